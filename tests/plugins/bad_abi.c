/* Test plugin broken in exactly one way: its ABI version is 999
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "bad_abi"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { "badabi", NULL };

FURLHINT_PLUGIN_DEFINE (bad_abi) = {
  .abi_version = 999,   /* the one defect */
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("its ABI version is 999"),
};
