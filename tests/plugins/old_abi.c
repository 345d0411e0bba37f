/* Test plugin built before keys were appended to the descriptor (not
 * broken): its struct_size ends at unpublish, so the host must not read
 * keys, and loads it declaring none, its section [old_abi] unchecked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stddef.h>

#define TEST_PLUGIN_NAME "old_abi"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { "oldabi", NULL };

FURLHINT_PLUGIN_DEFINE (old_abi) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  /* the descriptor as it was before keys (whatever lies beyond is not
   * the plugin's: the host must not look) */
  .struct_size = offsetof (FurlHintPluginDescriptor, unpublish) + sizeof (gpointer),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("built before keys were appended"),
};
