/* Test plugin broken in exactly one way: its struct_size is 8
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "short_struct"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { "shortstruct", NULL };

FURLHINT_PLUGIN_DEFINE (short_struct) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = 8,     /* the one defect */
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("its struct_size is 8"),
};
