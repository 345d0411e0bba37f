/* Test plugin broken in exactly one way: its publishes list is one the
 * loader accepts (every callback set, no empty type, no ':') but no host
 * would use: "Onion" in the wrong letter case (never asked: the host
 * matches the lower-case endpoint types exactly) and "i2p" listed twice.
 * Publishing is never called (furlhint-plugin-check checks the descriptor
 * statically), so its callbacks only refuse.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "odd_publisher"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { NULL };
/* The one defect. */
static const gchar *const t_publishes[] = { "Onion", "i2p", "i2p", NULL };

static void
odd_publish_async (gpointer state,
                   const FurlHintPublishArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                           FURLHINT_CONNECT_ERROR_NOT_SUPPORTED, "not supported");
}

static gchar *
odd_publish_finish (gpointer state,
                    GAsyncResult *result,
                    gpointer *publication,
                    GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
odd_unpublish (gpointer state,
               gpointer publication)
{
}

FURLHINT_PLUGIN_DEFINE (odd_publisher) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  .publishes = t_publishes,
  .publish_async = odd_publish_async,
  .publish_finish = odd_publish_finish,
  .unpublish = odd_unpublish,
  TEST_PLUGIN_UNBROKEN_FIELDS ("publishes \"Onion\" and \"i2p\" twice"),
};
