/* Test plugin broken in exactly one way: valid, but claims good_test's prefix testproto
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "dup_prefix"
#include "test-plugin-skeleton.h"

/* The one defect: good_test's prefix. */
static const gchar *const t_prefixes[] = { "testproto", NULL };

FURLHINT_PLUGIN_DEFINE (dup_prefix) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("valid, but claims good_test's prefix testproto"),
};
