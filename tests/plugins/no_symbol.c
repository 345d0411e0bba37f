/* Test plugin broken in exactly one way: it exports no descriptor symbol
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "no_symbol"
#include "test-plugin-skeleton.h"

static const gchar *const t_prefixes[] = { "nosymbol", NULL };

/* The descriptor is there but not exported under the name the host
 * looks for (a typo'd FURLHINT_PLUGIN_DEFINE), so the module has no
 * furlhint_plugin_descriptor symbol. */
G_MODULE_EXPORT const FurlHintPluginDescriptor no_symbol_LTX_furlhint_plugin_descriptr;
G_MODULE_EXPORT const FurlHintPluginDescriptor no_symbol_LTX_furlhint_plugin_descriptr = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("it exports no descriptor symbol"),
};
