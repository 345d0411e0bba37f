/* Test plugin broken in exactly one way: it has no parse callback
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
  return g_strdup ("no_callback");
}

static const gchar *const t_prefixes[] = { "nocallback", NULL };

FURLHINT_PLUGIN_DEFINE (no_callback) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "no_callback",
  .version = "1.0",
  .description = "it has no parse callback",
  .prefixes = t_prefixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .init = t_init,
  /* .parse is missing: the one defect. */
  .connect_async = t_connect_async,
  .connect_finish = t_connect_finish,
  .describe = t_describe,
};
