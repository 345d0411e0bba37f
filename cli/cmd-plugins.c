/* `furlhint plugins`: what is loaded, what each plugin handles, and what
 * failed to load.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cli-common.h"
#include "json-writer.h"

static gchar *
join_or_none (const gchar *const *strv)
{
  if (strv == NULL || strv[0] == NULL)
    return g_strdup ("(none)");
  return g_strjoinv (", ", (gchar **) strv);
}

static const gchar *
key_type_name (FurlHintKeyType type)
{
  switch (type)
    {
    case FURLHINT_KEY_BOOLEAN:
      return "boolean";
    case FURLHINT_KEY_PORT:
      return "port";
    case FURLHINT_KEY_ENDPOINT:
      return "endpoint";
    case FURLHINT_KEY_PATH:
      return "path";
    case FURLHINT_KEY_LIST:
      return "list";
    case FURLHINT_KEY_STRING:
    default:
      return "string";
    }
}

/* The keys as JSON: null when the plugin declares none (its section is
 * not checked), else [{section, key, type, default, doc, secret}]. */
static void
append_keys_json (GString *out,
                  const FurlHintPluginKey *keys)
{
  if (keys == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '[');
  for (guint i = 0; keys[i].section != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "section");
      fh_json_append_text (out, keys[i].section);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "key");
      fh_json_append_text (out, keys[i].key);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "type");
      fh_json_append_text (out, key_type_name (keys[i].type));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "default");
      fh_json_append_text (out, keys[i].default_value);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "doc");
      fh_json_append_text (out, keys[i].doc);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "secret");
      fh_json_append_bool (out, keys[i].secret);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

static void
print_keys_text (FurlHintPlugin *plugin)
{
  const FurlHintPluginKey *keys = furlhint_plugin_get_keys (plugin);

  if (keys == NULL)
    {
      fh_print (stdout, "  keys:          (none declared: its section [%s] is passed to it "
                "unchecked)\n", furlhint_plugin_get_name (plugin));
      return;
    }
  if (keys[0].section == NULL)
    {
      fh_print (stdout, "  keys:          none (any key in a [%s] section is reported as unknown)\n",
                furlhint_plugin_get_name (plugin));
      return;
    }
  fh_print (stdout, "  keys:\n");
  for (guint i = 0; keys[i].section != NULL; i++)
    {
      g_autofree gchar *doc = fh_text_make_printable (keys[i].doc, -1);
      g_autofree gchar *def = keys[i].default_value != NULL
        ? fh_text_make_printable (keys[i].default_value, -1) : NULL;

      fh_print (stdout, "    [%s] %s: %s%s%s%s — %s\n", keys[i].section, keys[i].key,
                key_type_name (keys[i].type), def != NULL ? ", default " : "",
                def != NULL ? def : "", keys[i].secret ? ", secret (never shown)" : "", doc);
    }
}

static void
print_json (FurlHintContext *ctx,
            gboolean with_keys)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  GPtrArray *errors = furlhint_context_get_plugin_errors (ctx);
  g_autoptr(GString) out = g_string_new ("{");

  fh_json_append_key (out, "plugins");
  g_string_append_c (out, '[');
  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "name");
      fh_json_append_text (out, furlhint_plugin_get_name (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "version");
      fh_json_append_text (out, furlhint_plugin_get_version (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "description");
      fh_json_append_text (out, furlhint_plugin_get_description (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "origin");
      fh_json_append_text (out, furlhint_plugin_get_origin (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "prefixes");
      fh_json_append_strv (out, furlhint_plugin_get_prefixes (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "host_suffixes");
      fh_json_append_strv (out, furlhint_plugin_get_host_suffixes (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "anon_class");
      fh_json_append_text (out, furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "can_carry_tcp");
      fh_json_append_bool (out, furlhint_plugin_can_carry_tcp (plugin));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "configured");
      fh_json_append_bool (out, furlhint_plugin_is_configured (plugin));
      if (with_keys)
        {
          g_string_append_c (out, ',');
          fh_json_append_key (out, "keys");
          append_keys_json (out, furlhint_plugin_get_keys (plugin));
        }
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],");
  fh_json_append_key (out, "errors");
  g_string_append_c (out, '[');
  for (guint i = 0; i < errors->len; i++)
    {
      const GError *error = g_ptr_array_index (errors, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "code");
      fh_json_append_text (out, furlhint_error_code_name (error));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "message");
      fh_json_append_text (out, error->message);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  fh_json_print_line (out);
}

static void
print_text (FurlHintContext *ctx,
            gboolean with_keys)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  GPtrArray *errors = furlhint_context_get_plugin_errors (ctx);

  if (plugins->len == 0)
    fh_print (stdout, "no plugin loaded (searched: the compiled-in plugin directory or "
            "$FURLHINT_PLUGIN_DIR, $FURLHINT_PLUGIN_PATH, --plugin-dir)\n");
  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);
      g_autofree gchar *prefixes = join_or_none (furlhint_plugin_get_prefixes (plugin));
      g_autofree gchar *suffixes = join_or_none (furlhint_plugin_get_host_suffixes (plugin));

      if (i > 0)
        fh_print (stdout, "\n");
      fh_print (stdout, "%s %s: %s\n", furlhint_plugin_get_name (plugin),
              furlhint_plugin_get_version (plugin),
              furlhint_plugin_get_description (plugin));
      fh_print (stdout, "  origin:        %s\n", furlhint_plugin_get_origin (plugin));
      fh_print (stdout, "  prefixes:      %s\n", prefixes);
      fh_print (stdout, "  host suffixes: %s\n", suffixes);
      fh_print (stdout, "  class:         %s\n",
              furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)));
      fh_print (stdout, "  carries tcp:   %s\n", furlhint_plugin_can_carry_tcp (plugin) ? "yes" : "no");
      fh_print (stdout, "  configured:    %s\n", furlhint_plugin_is_configured (plugin)
              ? "yes" : "no (the configuration does not enable it: nothing is routed through it)");
      if (with_keys)
        print_keys_text (plugin);
    }

  if (errors->len > 0)
    {
      fh_print (stdout, "\nnot loaded:\n");
      for (guint i = 0; i < errors->len; i++)
        {
          const GError *error = g_ptr_array_index (errors, i);

          fh_print (stdout, "  %s: %s\n", furlhint_error_code_name (error), error->message);
        }
    }
}

int
fh_cmd_plugins (FhCli *cli,
                int argc,
                char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  FurlHintConfig *config;
  FurlHintContext *ctx;
  gboolean strict = FALSE;
  gboolean with_keys = FALSE;
  int rc = FH_EXIT_OK;
  GPtrArray *errors;
  guint n_loaded;
  const GOptionEntry entries[] = {
    { "strict", 's', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &strict,
      "Exit with status 4 when a plugin failed to load or none was found", NULL },
    { "keys", 'k', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &with_keys,
      "Also list the tahoe.cfg keys each plugin declares", NULL },
    G_OPTION_ENTRY_NULL
  };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("plugins"), entries);
  g_option_context_set_description (octx,
    "Loads the plugins as rank does (linked-in ones, the compiled-in plugin\n"
    "directory or $FURLHINT_PLUGIN_DIR, each directory of $FURLHINT_PLUGIN_PATH,\n"
    "then each --plugin-dir), initialised with --config, and lists each one:\n"
    "name, version, origin file, hint prefixes, host suffixes, anonymity\n"
    "class, whether it can carry tcp: hints, whether the configuration\n"
    "enables it. Then every plugin that could not be loaded, and why.\n"
    "--keys also lists the tahoe.cfg keys each plugin declares (section, key,\n"
    "type, default, one line of doc, whether it is a secret), against which\n"
    "check-config checks the plugin's section.\n"
    "\n"
    "--json prints one object: {\"plugins\": [{name, version, description,\n"
    "origin, prefixes, host_suffixes, anon_class, can_carry_tcp, configured}],\n"
    "\"errors\": [{code, message}]}; with --keys each plugin also has \"keys\":\n"
    "[{section, key, type, default, doc, secret}], or null when it declares\n"
    "none.\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;
  if (cli->args != NULL && cli->args[0] != NULL)
    {
      g_autofree gchar *shown = fh_text_make_printable (cli->args[0], -1);

      return fh_cli_usage_error (cli, "plugins takes no arguments (got '%s'); "
                                 "use --plugin-dir DIR to load more plugins", shown);
    }

  config = fh_cli_load_config (cli, &rc);
  if (config == NULL)
    return rc;
  ctx = fh_cli_make_context (cli, config, &rc);
  furlhint_config_unref (config);
  if (ctx == NULL)
    return rc;

  if (cli->json)
    print_json (ctx, with_keys);
  else
    print_text (ctx, with_keys);

  errors = furlhint_context_get_plugin_errors (ctx);
  n_loaded = furlhint_context_get_plugins (ctx)->len;
  if (strict && (errors->len > 0 || n_loaded == 0))
    {
      fh_cli_error (cli, "--strict: %u plugin%s failed to load, %u loaded",
                    errors->len, errors->len == 1 ? "" : "s", n_loaded);
      rc = FH_EXIT_PLUGINS;
    }
  furlhint_context_unref (ctx);
  return rc;
}
