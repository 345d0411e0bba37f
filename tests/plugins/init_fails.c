/* Test plugin broken in exactly one way: its init always fails
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "init_fails"
#include "test-plugin-skeleton.h"

/* The one defect. */
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

static const gchar *const t_prefixes[] = { "initfails", NULL };

FURLHINT_PLUGIN_DEFINE (init_fails) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = t_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("its init always fails"),
};
