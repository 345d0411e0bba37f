/* A valid test plugin: handles "testproto:HOST:PORT" hints and the
 * ".testnet" host suffix. It tells the test what happens to it through
 * its log function (init arguments, fini), since it may not link
 * libfurlhint.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/plugin.h>

typedef struct {
  FurlHintLogFunc log;
  gpointer log_data;
} GoodState;

static void
log_settings (const FurlHintPluginInitArgs *args)
{
  g_autoptr(GList) keys = g_hash_table_get_keys (args->settings);
  g_autoptr(GString) line = g_string_new ("init:");
  GList *l;

  g_string_append_printf (line, " anonymous=%d", args->anonymous ? 1 : 0);
  keys = g_list_sort (keys, (GCompareFunc) strcmp);
  for (l = keys; l != NULL; l = l->next)
    g_string_append_printf (line, " %s=%s", (const gchar *) l->data,
                            (const gchar *) g_hash_table_lookup (args->settings, l->data));
  args->log (G_LOG_LEVEL_INFO, line->str, args->log_data);
}

static gpointer
good_init (const FurlHintPluginInitArgs *args,
           gboolean *configured,
           GError **error)
{
  GoodState *state = g_new0 (GoodState, 1);
  const gchar *enabled;

  state->log = args->log;
  state->log_data = args->log_data;
  log_settings (args);

  enabled = g_hash_table_lookup (args->settings, "enabled");
  if (enabled != NULL && g_str_equal (enabled, "false"))
    *configured = FALSE;
  return state;
}

static void
good_fini (gpointer data)
{
  GoodState *state = data;

  state->log (G_LOG_LEVEL_INFO, "fini", state->log_data);
  g_free (state);
}

static gboolean
good_parse (gpointer data,
            const gchar *hint,
            FurlHintParseMode mode,
            FurlHintTarget *target,
            GError **error)
{
  g_auto(GStrv) parts = g_strsplit (hint, ":", -1);
  guint64 port;

  if (!g_utf8_validate (hint, -1, NULL))
    {
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           "unrecognized testproto hint: not UTF-8");
      return FALSE;
    }
  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], "testproto") ||
      parts[1][0] == '\0' ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized testproto hint '%s'; expected "
                   "testproto:HOST:PORT with PORT 1-65535", hint);
      return FALSE;
    }

  target->host = g_strdup (parts[1]);
  target->port = (guint16) port;
  target->host_kind = FURLHINT_HOST_DNS;
  target->hint = g_strdup (hint);
  return TRUE;
}

static void
good_connect_async (gpointer data,
                    const FurlHintConnectArgs *args,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, good_connect_async);
  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                           FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                           "the good_test plugin does not connect");
}

static GIOStream *
good_connect_finish (gpointer data,
                     GAsyncResult *result,
                     GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
good_describe (gpointer data,
               const FurlHintTarget *target)
{
  return g_strdup_printf ("testproto to %s:%u", target->host, (guint) target->port);
}

static const gchar *const good_prefixes[] = { "testproto", NULL };
static const gchar *const good_suffixes[] = { ".testnet", NULL };

FURLHINT_PLUGIN_DEFINE (good_test) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "good_test",
  .version = "1.0",
  .description = "test plugin that loads",
  .prefixes = good_prefixes,
  .host_suffixes = good_suffixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = good_init,
  .fini = good_fini,
  .parse = good_parse,
  .connect_async = good_connect_async,
  .connect_finish = good_connect_finish,
  .describe = good_describe,
};
