/* Test plugin that is fine in itself but links a library that is not
 * there when it is loaded (libfh_gone, built beside it and never found:
 * it is looked for only in its install directory, /nowhere). The loader
 * must say which library is missing, not "file not found".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "needs_gone"
#include "../plugins/test-plugin-skeleton.h"

int fh_gone_answer (void);

static gpointer
t_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  /* A real reference, so that the link keeps the library. */
  *configured = fh_gone_answer () == 42;
  return NULL;
}

static const gchar *const t_prefixes[] = { "needsgone", NULL };

FURLHINT_PLUGIN_DEFINE (needs_gone) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = t_init,
  .parse = skeleton_parse,
  TEST_PLUGIN_UNBROKEN_FIELDS ("it links a library that is not installed"),
};
