/* `furlhint location --config FILE`: the hints this node advertises.
 *
 * The configuration is validated as a node validates it before starting
 * (a node that would not start advertises nothing), then each entry of
 * tub.location is turned into the hints clients get, anonymous ones
 * first, each with the entry it came from, the transport that publishes
 * it and where its key lives (furlhint_config_get_location()).
 *
 * --create first makes the keys that do not exist yet, the way a node's
 * first start would: each such endpoint is published through its plugin
 * with create_keys, and withdrawn at once (FurlHintListenOptions
 * keys_only).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cli-common.h"
#include "json-writer.h"

/* The value of tub.location a FURL would carry: the known hints. */
static gchar *
joined_location (GPtrArray *hints)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < hints->len; i++)
    {
      const FurlHintLocationHint *hint = g_ptr_array_index (hints, i);

      if (hint->hint == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append (out, hint->hint);
    }
  return g_string_free (out, FALSE);
}

static void
append_entry_json (GString *out,
                   const FurlHintListenEntry *entry)
{
  g_string_append_c (out, '{');
  fh_json_append_key (out, "kind");
  fh_json_append_text (out, furlhint_listen_kind_name (entry->kind));
  g_string_append_c (out, ',');
  fh_json_append_key (out, "key");
  fh_json_append_text (out, entry->key);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "index");
  fh_json_append_uint (out, entry->index);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "text");
  fh_json_append_text (out, entry->text);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "where");
  fh_json_append_text (out, entry->where);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "key_path");
  fh_json_append_text (out, entry->key_path);
  g_string_append_c (out, '}');
}

static void
print_json (const gchar *path,
            const GError *error,
            GPtrArray *hints)
{
  g_autoptr(GString) out = g_string_new ("{");
  g_autofree gchar *printable = fh_text_make_printable (path, -1);

  fh_json_append_key (out, "file");
  fh_json_append_text (out, printable);
  g_string_append_c (out, ',');
  fh_json_append_outcome (out, error);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "location");
  if (hints != NULL)
    {
      g_autofree gchar *location = joined_location (hints);

      fh_json_append_text (out, location);
    }
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "hints");
  g_string_append_c (out, '[');
  for (guint i = 0; hints != NULL && i < hints->len; i++)
    {
      const FurlHintLocationHint *hint = g_ptr_array_index (hints, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "hint");
      fh_json_append_text (out, hint->hint);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "transport");
      fh_json_append_text (out, hint->transport);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "anonymous");
      fh_json_append_bool (out, hint->anonymous);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "note");
      fh_json_append_text (out, hint->note);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "entry");
      append_entry_json (out, hint->entry);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  fh_json_print_line (out);
}

typedef struct {
  FhCli *cli;
  FurlHintContext *ctx;           /* (owned) */
  FurlHintListener *listener;     /* (owned) (nullable) */
  GError *error;                  /* (owned) (nullable) */
  gboolean done;
} Create;

static void
create_status (const FurlHintListenEntry *entry,
               const gchar *status,
               gpointer user_data)
{
  Create *c = user_data;

  fh_cli_print_listen_status (c->cli, entry, status);
}

/* Nothing is served while the keys are made: a stream that reaches the
 * brief publication is closed. */
static void
create_incoming (FurlHintListener *listener,
                 GSocketConnection *connection,
                 const gchar *transport,
                 gpointer user_data)
{
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static void
create_done (GObject *source,
             GAsyncResult *res,
             gpointer user_data)
{
  Create *c = user_data;

  c->listener = furlhint_context_listen_finish (c->ctx, res, &c->error);
  c->done = TRUE;
}

/* --create: the missing keys made through the plugins that publish them.
 * Returns FALSE with @error set when one could not be made, or with
 * *@rc set (and the reason printed) when the plugins could not be loaded. */
static gboolean
create_keys (FhCli *cli,
             FurlHintConfig *config,
             int *rc,
             GError **error)
{
  FurlHintListenOptions options = { 0 };
  Create c = { cli, NULL, NULL, NULL, FALSE };

  c.ctx = fh_cli_make_context (cli, config, rc);
  if (c.ctx == NULL)
    return FALSE;
  options.struct_size = sizeof options;
  options.create_keys = TRUE;
  options.keys_only = TRUE;
  options.status = create_status;
  options.status_data = &c;
  options.incoming = create_incoming;
  furlhint_context_listen_async (c.ctx, &options, NULL, create_done, &c);
  while (!c.done)
    g_main_context_iteration (NULL, TRUE);
  if (c.listener != NULL)
    {
      furlhint_listener_close (c.listener);
      furlhint_listener_unref (c.listener);
    }
  furlhint_context_unref (c.ctx);
  if (c.error != NULL)
    {
      g_propagate_error (error, c.error);
      return FALSE;
    }
  return TRUE;
}

static void
print_text (GPtrArray *hints)
{
  g_autofree gchar *location = joined_location (hints);

  if (hints->len == 0)
    {
      fh_print (stdout, "location: (none: this node advertises nothing and listens nowhere)\n");
      return;
    }
  fh_print (stdout, "location: %s\n", location);
  for (guint i = 0; i < hints->len; i++)
    {
      const FurlHintLocationHint *hint = g_ptr_array_index (hints, i);
      const FurlHintListenEntry *entry = hint->entry;

      fh_print (stdout, "%s\n", hint->hint != NULL ? hint->hint : "(not known yet)");
      fh_print (stdout, "  %s, %s, from %s entry %u \"%s\" (%s)\n",
                hint->anonymous ? "anonymous" : "reveals this node's address",
                hint->transport, entry->key, entry->index + 1, entry->text, entry->where);
      if (entry->key_path != NULL)
        fh_print (stdout, "  key: %s\n", entry->key_path);
      fh_print (stdout, "  %s\n", hint->note);
    }
}

int
fh_cmd_location (FhCli *cli,
                 int argc,
                 char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hints = NULL;
  FurlHintConfig *config = NULL;
  const gchar *path;
  gboolean create = FALSE;
  int rc = FH_EXIT_OK;
  const GOptionEntry entries[] = {
    { "create", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &create,
      "Create the keys that do not exist yet (through Tor's control port, I2P's SAM bridge)",
      NULL },
    G_OPTION_ENTRY_NULL
  };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("location"), entries);
  g_option_context_set_description (octx,
    "Reads FILE (or --config FILE) as a tahoe.cfg, checks it as a node does\n"
    "before starting, and prints the connection hints the node advertises\n"
    "in its FURLs (the location line), anonymous ones first, then each hint\n"
    "with the tub.location entry it comes from, the transport that publishes\n"
    "it and where its key lives. onion:PORT:hiddenServiceDir=DIR reads\n"
    "DIR/hostname; i2p:KEYFILE hashes the destination in KEYFILE; AUTO is\n"
    "every local IPv4 address with tub.port's port. A key that does not\n"
    "exist yet is \"created on first listen\".\n"
    "\n"
    "--create makes those keys first, as the node's first listen would: each\n"
    "onion or I2P endpoint whose key is missing is published through the\n"
    "loaded plugin that publishes its kind (tor: ADD_ONION NEW:ED25519-V3\n"
    "through the control port; i2p: SAM DEST GENERATE), its key saved where\n"
    "the entry says (0600, in a 0700 directory), and withdrawn at once;\n"
    "nothing else is bound. One status line per event goes to stderr. When a\n"
    "key cannot be made (no tor or SAM bridge reachable, no plugin), nothing\n"
    "is printed but the error, and the exit status is 1.\n"
    "\n"
    "--json prints one object: file, ok, error, message, location, hints\n"
    "(hint, transport, anonymous, note, entry).\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;

  if (cli->args != NULL && g_strv_length (cli->args) > 1)
    return fh_cli_usage_error (cli, "location takes one FILE, got %u", g_strv_length (cli->args));
  if (cli->args != NULL && cli->args[0] != NULL)
    path = cli->args[0];
  else if (cli->config_path != NULL)
    path = cli->config_path;
  else
    return fh_cli_usage_error (cli, "which file? give a tahoe.cfg: location --config FILE");

  config = furlhint_config_load_file (path, &error);
  if (config != NULL)
    {
      if (cli->anonymous)
        furlhint_config_set_anonymous (config, TRUE);
      /* (validated first, as listening does: a node that would not
       * start makes no key) */
      if (create && furlhint_config_validate (config, &error) &&
          !create_keys (cli, config, &rc, &error) && error == NULL)
        {
          furlhint_config_unref (config);
          return rc;
        }
      if (error == NULL)
        hints = furlhint_config_get_location (config, &error);
    }
  if (error != NULL)
    rc = g_error_matches (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO)
         ? FH_EXIT_IO : FH_EXIT_REFUSED;

  if (cli->json)
    print_json (path, error, hints);
  else if (error != NULL)
    fh_cli_error (cli, "%s", error->message);
  else
    print_text (hints);
  furlhint_config_unref (config);
  return rc;
}
