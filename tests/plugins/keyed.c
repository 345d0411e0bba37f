/* Test plugin that declares the tahoe.cfg keys of its section [keyed]
 * (not broken): one of each type the host checks, and a secret, `token`,
 * whose name does not say "password". Its init misbehaves on purpose
 * with the secret: it quotes it in a warning, and with `mode = fail` in
 * its error, so that the tests can see the host keep it out of what
 * the user reads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define TEST_PLUGIN_NAME "keyed"
#include "test-plugin-skeleton.h"

static gpointer
t_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  const gchar *token = g_hash_table_lookup (args->settings, "token");
  const gchar *mode = g_hash_table_lookup (args->settings, "mode");

  if (token != NULL)
    {
      gchar *message = g_strdup_printf ("token %s is shorter than advised", token);

      args->log (G_LOG_LEVEL_WARNING, message, args->log_data);
      g_free (message);
    }
  if (g_strcmp0 (mode, "fail") == 0)
    {
      g_set_error (error, g_quark_from_static_string ("furlhint-config-error-quark"), 3,
                   "mode = fail with token %s", token != NULL ? token : "(none)");
      return NULL;
    }
  return NULL;
}

static const gchar *const t_prefixes[] = { "keyed", NULL };

static const FurlHintPluginKey t_keys[] = {
  { "keyed", "flag", FURLHINT_KEY_BOOLEAN, "false", "a switch", FALSE },
  { "keyed", "port", FURLHINT_KEY_PORT, NULL, "a port", FALSE },
  { "keyed", "relay", FURLHINT_KEY_ENDPOINT, "tcp:127.0.0.1:1", "an endpoint", FALSE },
  { "keyed", "token", FURLHINT_KEY_STRING, NULL, "a secret", TRUE },
  { "keyed", "mode", FURLHINT_KEY_STRING, "normal", "normal, or fail", FALSE },
  { NULL }
};

FURLHINT_PLUGIN_DEFINE (keyed) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .prefixes = t_prefixes,
  .init = t_init,
  .parse = skeleton_parse,
  .keys = t_keys,
  TEST_PLUGIN_UNBROKEN_FIELDS ("declares the keys of [keyed]"),
};
