/* Test plugin broken in exactly one way: it has no parse callback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "no_callback"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { "nocallback", NULL };

FURLHINT_PLUGIN_DEFINE (no_callback) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  /* .parse is missing: the one defect. */
  TEST_PLUGIN_UNBROKEN_FIELDS ("it has no parse callback"),
};
