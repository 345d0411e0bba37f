/* Test plugin whose module name reaches FURLHINT_PLUGIN_DEFINE through a
 * macro, as a project does that builds one source under several names:
 * the macro must be expanded (macro_name_LTX_...), not pasted as written
 * (TEST_MODNAME_LTX_...).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "macro_name"
#include "../plugins/test-plugin-skeleton.h"

#define TEST_MODNAME macro_name

static const gchar *const t_prefixes[] = { "macroname", NULL };

FURLHINT_PLUGIN_DEFINE (TEST_MODNAME) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = skeleton_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("its module name is given through a macro"),
};

/* The name a literal argument gives is part of the ABI: it must be the
 * one libtool's convention makes of the expanded name. Does not compile
 * when the macro pastes its argument unexpanded. */
G_STATIC_ASSERT (sizeof (macro_name_LTX_furlhint_plugin_descriptor) ==
                 sizeof (FurlHintPluginDescriptor));
