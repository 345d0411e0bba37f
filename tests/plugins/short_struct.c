/* Test plugin broken in exactly one way: its struct_size is 8
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <furlhint/plugin.h>

static gpointer
t_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  return NULL;
}

static gboolean
t_parse (gpointer state,
         const gchar *hint,
         FurlHintParseMode mode,
         FurlHintTarget *target,
         GError **error)
{
  g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
               "unrecognized hint '%s'", hint);
  return FALSE;
}

static void
t_connect_async (gpointer state,
                 const FurlHintConnectArgs *args,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                           FURLHINT_CONNECT_ERROR_NOT_SUPPORTED, "not supported");
}

static GIOStream *
t_connect_finish (gpointer state,
                  GAsyncResult *result,
                  GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
t_describe (gpointer state,
            const FurlHintTarget *target)
{
  return g_strdup ("short_struct");
}

static const gchar *const t_prefixes[] = { "shortstruct", NULL };

FURLHINT_PLUGIN_DEFINE (short_struct) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = 8,
  .name = "short_struct",
  .version = "1.0",
  .description = "its struct_size is 8",
  .prefixes = t_prefixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .init = t_init,
  .parse = t_parse,
  .connect_async = t_connect_async,
  .connect_finish = t_connect_finish,
  .describe = t_describe,
};
