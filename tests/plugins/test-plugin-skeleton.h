/* What the test plugins broken in exactly one way share: callbacks that
 * keep the plugin contract (init succeeds without state, parse
 * recognises no hint, connecting is not supported) and the descriptor
 * fields that no case breaks. Each plugin's own file fills in the fields
 * a case can break (abi_version, struct_size, prefixes, init, parse), so
 * that its one defect stands in plain sight there.
 *
 * Define TEST_PLUGIN_NAME (the plugin's name, a string literal) before
 * including this.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_PLUGIN_SKELETON_H
#define FURLHINT_TESTS_PLUGIN_SKELETON_H

#include <furlhint/plugin.h>

#ifndef TEST_PLUGIN_NAME
#error "define TEST_PLUGIN_NAME before including test-plugin-skeleton.h"
#endif

/* Unused where the case replaces or leaves out the callback. */
static G_GNUC_UNUSED gpointer
skeleton_init (const FurlHintPluginInitArgs *args,
               gboolean *configured,
               GError **error)
{
  return NULL;
}

static G_GNUC_UNUSED gboolean
skeleton_parse (gpointer state,
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
skeleton_connect_async (gpointer state,
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
skeleton_connect_finish (gpointer state,
                         GAsyncResult *result,
                         GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
skeleton_describe (gpointer state,
                   const FurlHintTarget *target)
{
  return g_strdup (TEST_PLUGIN_NAME);
}

/* The descriptor fields no case breaks; @description_ says what the case
 * breaks (the loader's tests show it). */
#define TEST_PLUGIN_UNBROKEN_FIELDS(description_) \
  .name = TEST_PLUGIN_NAME, \
  .version = "1.0", \
  .description = (description_), \
  .anon_class = FURLHINT_ANON_CLEAR, \
  .connect_async = skeleton_connect_async, \
  .connect_finish = skeleton_connect_finish, \
  .describe = skeleton_describe

#endif /* FURLHINT_TESTS_PLUGIN_SKELETON_H */
