/* Test plugin broken in exactly one way: its init always fails
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <furlhint/plugin.h>

static gpointer
t_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  /* As the bundled plugins report a bad setting: in the configuration
   * error domain, its quark interned from this module's own static string
   * (plugins/common/plugin-util.h), which must stay valid after the
   * failed module is closed. */
  g_set_error (error, g_quark_from_static_string ("furlhint-config-error-quark"), 3,
               "refusing to start: this plugin always fails");
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
  return g_strdup ("init_fails");
}

static const gchar *const t_prefixes[] = { "initfails", NULL };

FURLHINT_PLUGIN_DEFINE (init_fails) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "init_fails",
  .version = "1.0",
  .description = "its init always fails",
  .prefixes = t_prefixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .init = t_init,
  .parse = t_parse,
  .connect_async = t_connect_async,
  .connect_finish = t_connect_finish,
  .describe = t_describe,
};
