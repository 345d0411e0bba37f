/* `furlhint check-config FILE`: would a node with this tahoe.cfg start?
 *
 * Reading checks every key furlhint knows; validation applies the
 * anonymity rules to tub.location; loading the plugins with the file
 * lets each transport check its own settings: the library checks a
 * plugin's section against the keys the plugin declares (values by type,
 * unknown keys and likely typos, secrets redacted), then the plugin's
 * init refuses what it must (a tor.socks-proxy that contradicts [tor]
 * socks.port is the tor plugin's to refuse), and what it warns about is
 * shown too.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cli-common.h"
#include "json-writer.h"

typedef struct {
  const gchar *path;
  FurlHintConfig *config;          /* (nullable) */
  FurlHintContext *ctx;            /* (nullable) */
  const GError *error;             /* (nullable) the verdict */
  GPtrArray *plugin_warnings;      /* (element-type utf8) */
} Report;

static void
print_json (const Report *r)
{
  g_autoptr(GString) out = g_string_new ("{");
  const gchar *const *location = r->config ? furlhint_config_get_tub_location (r->config) : NULL;

  fh_json_append_key (out, "file");
  {
    g_autofree gchar *printable = fh_text_make_printable (r->path, -1);

    fh_json_append_text (out, printable);
  }
  g_string_append_c (out, ',');
  fh_json_append_outcome (out, r->error);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "anonymous");
  if (r->config)
    fh_json_append_bool (out, furlhint_config_get_anonymous (r->config));
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tcp");
  fh_json_append_text (out, r->config ? furlhint_config_get_tcp_route (r->config) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tor_fallback");
  if (r->config)
    fh_json_append_bool (out, furlhint_config_get_tor_fallback (r->config));
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tub_location");
  fh_json_append_strv (out, location);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "transports");
  g_string_append_c (out, '[');
  if (r->ctx != NULL)
    {
      GPtrArray *plugins = furlhint_context_get_plugins (r->ctx);

      for (guint i = 0; i < plugins->len; i++)
        {
          FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

          if (i > 0)
            g_string_append_c (out, ',');
          g_string_append_c (out, '{');
          fh_json_append_key (out, "plugin");
          fh_json_append_text (out, furlhint_plugin_get_name (plugin));
          g_string_append_c (out, ',');
          fh_json_append_key (out, "anon_class");
          fh_json_append_text (out, furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)));
          g_string_append_c (out, ',');
          fh_json_append_key (out, "configured");
          fh_json_append_bool (out, furlhint_plugin_is_configured (plugin));
          g_string_append_c (out, '}');
        }
    }
  g_string_append (out, "],");
  fh_json_append_key (out, "warnings");
  {
    g_autoptr(GPtrArray) all = g_ptr_array_new ();
    const gchar *const *warnings = r->config ? furlhint_config_get_warnings (r->config) : NULL;

    for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
      g_ptr_array_add (all, (gpointer) warnings[i]);
    for (guint i = 0; i < r->plugin_warnings->len; i++)
      g_ptr_array_add (all, g_ptr_array_index (r->plugin_warnings, i));
    g_ptr_array_add (all, NULL);
    fh_json_append_strv (out, (const gchar *const *) all->pdata);
  }
  g_string_append_c (out, '}');
  fh_json_print_line (out);
}

static void
print_text (const Report *r)
{
  const gchar *const *warnings = furlhint_config_get_warnings (r->config);
  const gchar *const *location = furlhint_config_get_tub_location (r->config);
  GPtrArray *plugins = furlhint_context_get_plugins (r->ctx);

  fh_print (stdout, "OK\n");
  fh_print (stdout, "file:         %s\n", r->path);
  fh_print (stdout, "mode:         %s\n", furlhint_config_get_anonymous (r->config) ? "anonymous" : "normal");
  fh_print (stdout, "tcp:          %s\n", furlhint_config_get_tcp_route (r->config));
  if (location != NULL && location[0] == NULL)
    fh_print (stdout, "tub.location: (empty: this node advertises nothing and listens nowhere)\n");
  else if (location != NULL)
    {
      g_autofree gchar *joined = g_strjoinv (", ", (gchar **) location);

      fh_print (stdout, "tub.location: %s\n", joined);
    }
  else
    fh_print (stdout, "tub.location: (not set)\n");
  fh_print (stdout, "transports:  ");
  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      fh_print (stdout, "%s %s (%s)", i > 0 ? "," : "", furlhint_plugin_get_name (plugin),
              furlhint_plugin_is_configured (plugin) ? "configured" : "not configured");
    }
  fh_print (stdout, "%s\n", plugins->len == 0 ? " no plugin loaded" : "");
  for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
    fh_print (stdout, "warning: %s\n", warnings[i]);
  for (guint i = 0; i < r->plugin_warnings->len; i++)
    fh_print (stdout, "warning: %s\n", (const gchar *) g_ptr_array_index (r->plugin_warnings, i));
}

int
fh_cmd_check_config (FhCli *cli,
                     int argc,
                     char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) plugin_warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) logged = g_ptr_array_new_with_free_func (g_free);
  Report r = { NULL, NULL, NULL, NULL, plugin_warnings };
  int rc = FH_EXIT_OK;
  guint n_args;

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("check-config"), NULL);
  g_option_context_set_description (octx,
    "Reads FILE (or --config FILE) as a tahoe.cfg, checks every key of\n"
    "[node] and [connections], applies the anonymity rules a node applies\n"
    "before it starts (in anonymous mode: no AUTO and no clear hint in\n"
    "tub.location, no explicit tcp = tcp), and loads the plugins with it:\n"
    "each plugin's section is checked against the keys the plugin declares\n"
    "(furlhint plugins --keys), then by the plugin itself. Prints OK and the\n"
    "warnings (unknown keys, with \"did you mean\" for a likely typo, and\n"
    "what the plugins warn about), or the error naming file, section, key,\n"
    "value and what is accepted. A secret (a password) is never shown.\n"
    "--anonymous checks the file as if it asked for anonymous mode.\n"
    "\n"
    "--json prints one object: file, ok, error, message, anonymous, tcp,\n"
    "tor_fallback, tub_location, transports, warnings.\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;

  n_args = cli->args != NULL ? g_strv_length (cli->args) : 0;
  if (n_args > 1)
    return fh_cli_usage_error (cli, "check-config takes one FILE, got %u", n_args);
  if (n_args == 1)
    r.path = cli->args[0];
  else if (cli->config_path != NULL)
    r.path = cli->config_path;
  else
    return fh_cli_usage_error (cli, "which file? give a tahoe.cfg: check-config FILE");

  r.config = furlhint_config_load_file (r.path, &error);
  if (r.config == NULL)
    {
      rc = g_error_matches (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO)
           ? FH_EXIT_IO : FH_EXIT_REFUSED;
      goto out;
    }
  if (cli->anonymous)
    furlhint_config_set_anonymous (r.config, TRUE);

  if (!furlhint_config_validate (r.config, &error))
    {
      rc = FH_EXIT_REFUSED;
      goto out;
    }

  r.ctx = fh_cli_make_context_collecting (cli, r.config, logged, &rc);
  if (r.ctx == NULL)
    goto out_quiet;
  {
    GPtrArray *errors = furlhint_context_get_plugin_errors (r.ctx);

    /* What the plugins said while loading (their own warnings, unknown
     * keys of their sections), shown without -v: the library logs each
     * load failure as well, which is reported below instead. */
    for (guint i = 0; i < logged->len; i++)
      {
        const gchar *message = g_ptr_array_index (logged, i);
        gboolean is_error = FALSE;

        for (guint j = 0; j < errors->len && !is_error; j++)
          is_error = g_strcmp0 (((const GError *) g_ptr_array_index (errors, j))->message,
                                message) == 0;
        if (!is_error)
          g_ptr_array_add (plugin_warnings, g_strdup (message));
      }

    for (guint i = 0; i < errors->len; i++)
      {
        const GError *perr = g_ptr_array_index (errors, i);

        /* A plugin whose init refused the settings means the file is
         * wrong; any other load failure is the installation's problem. */
        if (error == NULL && g_error_matches (perr, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT))
          {
            error = g_error_copy (perr);
            rc = FH_EXIT_REFUSED;
          }
        else
          g_ptr_array_add (plugin_warnings, g_strdup_printf ("plugin not loaded: %s", perr->message));
      }
  }
  /* `[connections] tcp = NAME` needs NAME loaded: only now is that known. */
  if (error == NULL && !furlhint_context_check_tcp_route (r.ctx, &error))
    rc = FH_EXIT_REFUSED;

out:
  r.error = error;
  if (cli->json)
    print_json (&r);
  else if (error != NULL)
    fh_cli_error (cli, "%s", error->message);
  else
    print_text (&r);
out_quiet:
  g_clear_pointer (&r.ctx, furlhint_context_unref);
  g_clear_pointer (&r.config, furlhint_config_unref);
  return rc;
}
