/* The furlhint command: options, input, configuration and output helpers
 * shared by the subcommands.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli-common.h"
#include "json-writer.h"

void
fh_cli_init (FhCli *cli,
             const gchar *prgname)
{
  memset (cli, 0, sizeof *cli);
  cli->prgname = prgname;
  cli->plugin_dirs = g_ptr_array_new_with_free_func (g_free);
}

void
fh_cli_clear (FhCli *cli)
{
  g_clear_pointer (&cli->config_path, g_free);
  g_clear_pointer (&cli->plugin_dirs, g_ptr_array_unref);
  g_clear_pointer (&cli->args, g_strfreev);
  g_clear_pointer (&cli->overrides, g_hash_table_unref);
  g_clear_pointer (&cli->servers, g_hash_table_unref);
}

/* --config and --plugin-dir are callbacks rather than plain string
 * options: they may be given both before and after the command name, and
 * GOption would leak (string) or forget (array) the first value. */
static gboolean
option_config_cb (const gchar *option_name,
                  const gchar *value,
                  gpointer data,
                  GError **error)
{
  FhCli *cli = data;

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s needs a file name (a tahoe.cfg)", option_name);
      return FALSE;
    }
  g_free (cli->config_path);
  cli->config_path = g_strdup (value);
  return TRUE;
}

static gboolean
option_plugin_dir_cb (const gchar *option_name,
                      const gchar *value,
                      gpointer data,
                      GError **error)
{
  FhCli *cli = data;

  if (value == NULL || *value == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s needs a directory holding plugin modules (*.la or *.so)",
                   option_name);
      return FALSE;
    }
  g_ptr_array_add (cli->plugin_dirs, g_strdup (value));
  return TRUE;
}

static gchar *
command_description (const FhCommand *command)
{
  GString *s = g_string_new (NULL);

  if (command == NULL)
    {
      g_string_append (s, "Commands:\n");
      for (const FhCommand *c = fh_commands; c->name != NULL; c++)
        g_string_append_printf (s, "  %-15s %s\n", c->name, c->summary);
      g_string_append (s, "  help [COMMAND]  show the options of a command\n\n"
                          "Options may also be given after the command name.\n"
                          "Run 'furlhint COMMAND --help' for a command's options.\n\n");
    }
  g_string_append (s, FH_EXIT_STATUS_HELP);
  g_string_append (s, "\nEnvironment:\n"
                      "  FURLHINT_PLUGIN_DIR   replaces the compiled-in plugin directory\n"
                      "  FURLHINT_PLUGIN_PATH  colon-separated directories searched after it\n"
                      "\nSee furlhint(1).");
  return g_string_free (s, FALSE);
}

GOptionContext *
fh_cli_option_context_new (FhCli *cli,
                           const FhCommand *command,
                           const GOptionEntry *entries)
{
  const GOptionEntry shared[] = {
    { "config", 'c', G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
      (gpointer) option_config_cb,
      "Read the node's tahoe.cfg (default: Tahoe's defaults: normal mode, tcp = tcp, no Tor, no I2P)",
      "FILE" },
    { "anonymous", 'a', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &cli->anonymous,
      "Rank and check as in anonymous mode, whatever the configuration says", NULL },
    { "json", 'j', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &cli->json,
      "Print JSON: one compact object per line", NULL },
    { "plugin-dir", 'P', G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
      (gpointer) option_plugin_dir_cb,
      "Also load the plugins in DIR (after the default ones; may be repeated)", "DIR" },
    { "verbose", 'v', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &cli->verbose,
      "Print the library's and the plugins' messages on stderr", NULL },
    { "show-secrets", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &cli->show_secrets,
      "Show FURL names and NURL swissnums (capabilities) in full instead of [censored]", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autofree gchar *param = NULL;
  g_autofree gchar *description = NULL;
  GOptionContext *octx;
  GOptionGroup *group;

  /* GOption's usage line is "PRGNAME [OPTION…] PARAM": name the command
   * in the program name so that it reads "furlhint rank [OPTION…] FURL". */
  if (command != NULL)
    {
      g_autofree gchar *prgname = g_strdup_printf ("%s %s", cli->prgname, command->name);

      g_set_prgname (prgname);
      param = g_strdup (command->parameter_string);
    }
  else
    param = g_strdup ("COMMAND [ARGS...]");

  octx = g_option_context_new (param);
  group = g_option_group_new ("furlhint", "furlhint options", "Show furlhint options",
                              cli, NULL);
  g_option_group_add_entries (group, shared);
  if (entries != NULL)
    g_option_group_add_entries (group, entries);
  if (command != NULL)
    {
      /* GOption then handles "--" itself (it keeps it in argv only
       * sometimes); the arguments stay raw bytes, checked later. */
      const GOptionEntry rest[] = {
        { G_OPTION_REMAINING, 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME_ARRAY, &cli->args,
          NULL, NULL },
        G_OPTION_ENTRY_NULL
      };

      g_option_group_add_entries (group, rest);
    }
  g_option_context_set_main_group (octx, group);

  if (command != NULL)
    g_option_context_set_summary (octx, command->summary);
  else
    g_option_context_set_summary (octx,
      "Turn Foolscap FURL connection hints into routes under a tahoe.cfg's\n"
      "anonymity policy, and explain the choice.");
  description = command_description (command);
  g_option_context_set_description (octx, description);
  return octx;
}

gboolean
fh_cli_parse_options (FhCli *cli,
                      GOptionContext *octx,
                      int *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;

  if (g_option_context_parse (octx, argc, argv, &error))
    return TRUE;
  fh_cli_usage_error (cli, "%s", error->message);
  return FALSE;
}

static void
fh_vprint (FILE *stream,
           const gchar *format,
           va_list args)
{
  g_autofree gchar *text = g_strdup_vprintf (format, args);
  g_autoptr(GString) out = g_string_sized_new (strlen (text) + 16);

  fh_text_append_escaped (out, text, -1, TRUE);
  fwrite (out->str, 1, out->len, stream);
}

void
fh_print (FILE *stream,
          const gchar *format,
          ...)
{
  va_list args;

  va_start (args, format);
  fh_vprint (stream, format, args);
  va_end (args);
}

static void
print_prefix (FhCli *cli)
{
  if (cli->command != NULL)
    fh_print (stderr, "%s %s: ", cli->prgname, cli->command);
  else
    fh_print (stderr, "%s: ", cli->prgname);
}

void
fh_cli_error (FhCli *cli,
              const gchar *format,
              ...)
{
  va_list args;
  g_autofree gchar *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fflush (stdout);
  print_prefix (cli);
  fh_print (stderr, "%s\n", message);
}

void
fh_cli_print_listen_status (FhCli *cli,
                            const FurlHintListenEntry *entry,
                            const gchar *status)
{
  fh_cli_error (cli, "%s (%s entry %u, %s): %s", entry->text, entry->key,
                entry->index + 1, entry->where, status);
}

int
fh_cli_usage_error (FhCli *cli,
                    const gchar *format,
                    ...)
{
  va_list args;
  g_autofree gchar *message = NULL;
  const FhCommand *command = cli->command ? fh_cli_find_command (cli->command) : NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fflush (stdout);
  print_prefix (cli);
  fh_print (stderr, "%s\n", message);
  if (command != NULL)
    fh_print (stderr, "Usage: %s %s [OPTION...] %s\n"
                     "Run '%s %s --help' for the options.\n",
             cli->prgname, command->name, command->parameter_string,
             cli->prgname, command->name);
  else
    {
      fh_print (stderr, "Usage: %s [OPTION...] COMMAND [ARGS...]\nCommands:", cli->prgname);
      for (const FhCommand *c = fh_commands; c->name != NULL; c++)
        fh_print (stderr, " %s", c->name);
      fh_print (stderr, " help\nRun '%s --help' for the options.\n", cli->prgname);
    }
  return FH_EXIT_USAGE;
}

FurlHintConfig *
fh_cli_load_config (FhCli *cli,
                    int *exit_code)
{
  FurlHintConfig *config;

  if (cli->config_path != NULL)
    {
      g_autoptr(GError) error = NULL;

      config = furlhint_config_load_file (cli->config_path, &error);
      if (config == NULL)
        {
          fh_cli_error (cli, "%s", error->message);
          *exit_code = g_error_matches (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO)
                       ? FH_EXIT_IO : FH_EXIT_REFUSED;
          return NULL;
        }
    }
  else
    config = furlhint_config_new ();

  if (cli->anonymous)
    furlhint_config_set_anonymous (config, TRUE);
  return config;
}

static void
verbose_log (GLogLevelFlags level,
             const gchar *message,
             gpointer user_data)
{
  FhCli *cli = user_data;
  const gchar *name;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    name = "error";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "warning";
  else if (level & G_LOG_LEVEL_MESSAGE)
    name = "message";
  else if (level & G_LOG_LEVEL_INFO)
    name = "info";
  else
    name = "debug";
  fflush (stdout);
  fh_print (stderr, "%s: [%s] %s\n", cli->prgname, name, message ? message : "(null)");
}

typedef struct {
  FhCli *cli;
  GPtrArray *warnings;
} Collector;

static void
collecting_log (GLogLevelFlags level,
                const gchar *message,
                gpointer user_data)
{
  Collector *collector = user_data;

  if ((level & G_LOG_LEVEL_WARNING) && message != NULL)
    g_ptr_array_add (collector->warnings, g_strdup (message));
  if (collector->cli->verbose)
    verbose_log (level, message, collector->cli);
}

FurlHintContext *
fh_cli_make_context (FhCli *cli,
                     FurlHintConfig *config,
                     int *exit_code)
{
  return fh_cli_make_context_collecting (cli, config, NULL, exit_code);
}

FurlHintContext *
fh_cli_make_context_collecting (FhCli *cli,
                                FurlHintConfig *config,
                                GPtrArray *warnings,
                                int *exit_code)
{
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = furlhint_context_new (config);

  if (warnings != NULL)
    {
      Collector *collector = g_new (Collector, 1);

      collector->cli = cli;
      collector->warnings = warnings;
      furlhint_context_set_logger (ctx, collecting_log, collector, g_free);
    }
  else if (cli->verbose)
    furlhint_context_set_logger (ctx, verbose_log, cli, NULL);

  furlhint_context_load_plugins (ctx);
  for (guint i = 0; i < cli->plugin_dirs->len; i++)
    {
      const gchar *dir = g_ptr_array_index (cli->plugin_dirs, i);

      if (!furlhint_context_load_plugin_dir (ctx, dir, &error))
        {
          fh_cli_error (cli, "--plugin-dir %s: %s", dir, error->message);
          furlhint_context_unref (ctx);
          *exit_code = FH_EXIT_IO;
          return NULL;
        }
    }
  return ctx;
}

static gboolean
is_name (const gchar *text)
{
  const gchar *p;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (p = text; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == '-'))
      return FALSE;
  return TRUE;
}

gboolean
fh_cli_add_override (GHashTable *table,
                     const gchar *type,
                     const gchar *handler,
                     gchar **message)
{
  if (!is_name (type) || !is_name (handler))
    {
      *message = g_strdup_printf ("'%s: %s' is not an override; accepted: HINTTYPE: "
                                  "HANDLER, each letters, digits, '_' or '-' (tcp: tcp, "
                                  "tcp: tor, tcp: disabled, tcp: CARRIER, tor: disabled, ...)",
                                  type, handler);
      return FALSE;
    }
  g_hash_table_replace (table, g_ascii_strdown (type, -1), g_ascii_strdown (handler, -1));
  return TRUE;
}

gboolean
fh_cli_option_override_cb (const gchar *option_name,
                           const gchar *value,
                           gpointer data,
                           GError **error)
{
  FhCli *cli = data;
  g_auto(GStrv) parts = g_strsplit (value, "=", 2);
  g_autofree gchar *message = NULL;

  if (cli->overrides == NULL)
    cli->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_strv_length (parts) != 2 ||
      !fh_cli_add_override (cli->overrides, parts[0], parts[1], &message))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s %s: not TYPE=NAME; accepted: tcp=tcp, tcp=tor, tcp=disabled, "
                   "tcp=CARRIER (a loaded plugin that carries tcp: hints), TYPE=disabled, "
                   "TYPE=the plugin that handles TYPE",
                   option_name, value);
      return FALSE;
    }
  return TRUE;
}

gboolean
fh_cli_option_servers_cb (const gchar *option_name,
                          const gchar *value,
                          gpointer data,
                          GError **error)
{
  FhCli *cli = data;
  g_autoptr(GError) local = NULL;
  GHashTable *servers = fh_servers_yaml_load (value, &local);

  if (servers == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s",
                   option_name, local->message);
      return FALSE;
    }
  g_clear_pointer (&cli->servers, g_hash_table_unref);
  cli->servers = servers;
  return TRUE;
}

GHashTable *
fh_cli_dup_overrides (FhCli *cli,
                      FurlHintFurl *furl)
{
  GHashTable *server = cli->servers != NULL
                       ? g_hash_table_lookup (cli->servers, furlhint_furl_get_tubid (furl))
                       : NULL;
  GHashTable *table;
  GHashTableIter iter;
  gpointer key, value;

  if (server == NULL && cli->overrides == NULL)
    return NULL;
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (server != NULL)
    {
      g_hash_table_iter_init (&iter, server);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_replace (table, g_strdup (key), g_strdup (value));
    }
  if (cli->overrides != NULL)
    {
      g_hash_table_iter_init (&iter, cli->overrides);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_replace (table, g_strdup (key), g_strdup (value));
    }
  return table;
}

gboolean
fh_cli_check_tcp_route (FhCli *cli,
                        FurlHintContext *ctx,
                        int *exit_code)
{
  g_autoptr(GError) error = NULL;

  if (furlhint_context_check_tcp_route (ctx, &error))
    return TRUE;
  fh_cli_error (cli, "%s", error->message);
  *exit_code = FH_EXIT_REFUSED;
  return FALSE;
}

static void
emit_line (GString *line,
           guint64 line_no,
           gboolean too_long,
           FhLineFunc func,
           gpointer user_data)
{
  if (!too_long && (line->len == 0 || line->str[0] == '#'))
    return;
  func (line->str, line->len, line_no, too_long, user_data);
}

gboolean
fh_cli_read_lines (FILE *stream,
                   FhLineFunc func,
                   gpointer user_data,
                   GError **error)
{
  g_autoptr(GString) line = g_string_sized_new (256);
  g_autofree gchar *buf = g_malloc (64 * 1024);
  guint64 line_no = 0;
  gboolean too_long = FALSE;
  gboolean pending = FALSE;
  size_t n;

  while ((n = fread (buf, 1, 64 * 1024, stream)) > 0)
    {
      const gchar *p = buf;
      const gchar *end = buf + n;

      while (p < end)
        {
          const gchar *nl = memchr (p, '\n', end - p);
          gsize chunk = (nl != NULL ? nl : end) - p;

          pending = TRUE;
          if (!too_long)
            {
              if (line->len + chunk > FH_CLI_MAX_LINE)
                {
                  g_string_append_len (line, p, FH_CLI_MAX_LINE - line->len);
                  too_long = TRUE;
                }
              else
                g_string_append_len (line, p, chunk);
            }
          if (nl == NULL)
            break;

          emit_line (line, ++line_no, too_long, func, user_data);
          g_string_truncate (line, 0);
          too_long = FALSE;
          pending = FALSE;
          p = nl + 1;
        }
    }

  if (ferror (stream))
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "could not read the input after line %" G_GUINT64_FORMAT ": %s",
                   line_no, g_strerror (saved_errno));
      return FALSE;
    }

  /* The last line needs no "\n" to count. */
  if (pending)
    emit_line (line, ++line_no, too_long, func, user_data);
  return TRUE;
}

gchar *
fh_cli_show_furl (FhCli *cli,
                  const gchar *text)
{
  if (cli->show_secrets)
    return g_strdup (text);
  return furlhint_furl_censor_text (text);
}

gboolean
fh_text_is_furl (const gchar *text)
{
  for (const gchar *p = text; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, "pb://", 5) == 0)
      return TRUE;
  return FALSE;
}

gchar *
fh_text_make_printable (const gchar *text,
                        gssize length)
{
  return g_utf8_make_valid (text, length);
}

const gchar *
fh_enum_nick (GType type,
              gint value)
{
  GEnumClass *klass = g_type_class_ref (type);
  const GEnumValue *v = g_enum_get_value (klass, value);

  /* An enumeration's class lives as long as the program. */
  g_type_class_unref (klass);
  return v != NULL ? v->value_nick : "unknown";
}

const gchar *
fh_host_kind_name (FurlHintHostKind kind)
{
  return fh_enum_nick (FURLHINT_TYPE_HOST_KIND, kind);
}

void
fh_json_append_strv (GString *out,
                     const gchar *const *strv)
{
  if (strv == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '[');
  for (guint i = 0; strv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      fh_json_append_text (out, strv[i]);
    }
  g_string_append_c (out, ']');
}

void
fh_json_append_error (GString *out,
                      const GError *error)
{
  fh_json_append_key (out, "error");
  fh_json_append_text (out, error ? furlhint_error_code_name (error) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "message");
  fh_json_append_text (out, error ? error->message : NULL);
}

void
fh_json_append_outcome (GString *out,
                        const GError *error)
{
  fh_json_append_key (out, "ok");
  fh_json_append_bool (out, error == NULL);
  g_string_append_c (out, ',');
  fh_json_append_error (out, error);
}

void
fh_json_append_uint (GString *out,
                     guint64 value)
{
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, value);
}

void
fh_json_append_raw_number (GString *out,
                           const gchar *digits)
{
  gboolean ok = digits != NULL && *digits != '\0';

  for (const gchar *p = digits; ok && *p != '\0'; p++)
    ok = g_ascii_isdigit (*p);
  if (ok)
    g_string_append (out, digits);
  else
    g_string_append (out, "null");
}

void
fh_json_append_plan_entry (GString *out,
                           const FurlHintPlanEntry *entry)
{
  g_string_append_c (out, '{');
  fh_json_append_key (out, "hint_index");
  fh_json_append_uint (out, entry->hint_index);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "hint");
  fh_json_append_text (out, entry->hint ? furlhint_hint_get_canonical (entry->hint) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "routed");
  fh_json_append_bool (out, entry->routed);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "plugin");
  fh_json_append_text (out, entry->plugin ? furlhint_plugin_get_name (entry->plugin) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "target");
  if (entry->routed && entry->target.host != NULL)
    {
      g_string_append_c (out, '{');
      fh_json_append_key (out, "host");
      fh_json_append_text (out, entry->target.host);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "port");
      if (entry->target.port != 0)
        fh_json_append_uint (out, entry->target.port);
      else
        g_string_append (out, "null");
      g_string_append_c (out, ',');
      fh_json_append_key (out, "host_kind");
      fh_json_append_text (out, fh_host_kind_name (entry->target.host_kind));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hint");
      fh_json_append_text (out, entry->target.hint);
      g_string_append_c (out, '}');
    }
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "anon_class");
  fh_json_append_text (out, entry->routed ? furlhint_anon_class_name (entry->anon_class) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tier");
  if (entry->routed)
    fh_json_append_uint (out, entry->tier);
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "delay_ms");
  if (entry->routed)
    fh_json_append_uint (out, entry->delay_ms);
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "carried");
  fh_json_append_bool (out, entry->carried);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "description");
  fh_json_append_text (out, entry->description);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "code");
  fh_json_append_text (out, entry->routed ? NULL : furlhint_policy_error_code_name (entry->code));
  g_string_append_c (out, ',');
  fh_json_append_key (out, "reason");
  fh_json_append_text (out, entry->routed ? NULL : entry->reason);
  g_string_append_c (out, '}');
}

void
fh_json_print_line (GString *out)
{
  fwrite (out->str, 1, out->len, stdout);
  fputc ('\n', stdout);
}

const FhCommand *
fh_cli_find_command (const gchar *name)
{
  for (const FhCommand *c = fh_commands; c->name != NULL; c++)
    if (g_strcmp0 (c->name, name) == 0)
      return c;
  return NULL;
}
