/* The tahoe.cfg reader: load, validate (in the mode the file says and in
 * anonymous mode), the settings every bundled plugin would receive, and
 * the values furlhint looks up.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_glib ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const gchar *const plugins[] = { "tcp", "socks", "tor", "i2p", "node", NULL };
  static const gchar *const lookups[][2] = {
    { "node", "tub.location" }, { "node", "anonymous" }, { "node", "reveal-IP-address" },
    { "connections", "tcp" }, { "connections", "tor.socks-proxy" },
    { "tor", "control.port" }, { "i2p", "sam.port" }, { "DEFAULT", "x" },
  };
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;
  const gchar *const *p;
  guint i;

  config = furlhint_config_load_data ((const gchar *) data, (gssize) size, "fuzz.cfg", &error);
  if (config == NULL)
    {
      FUZZ_ASSERT_ERROR (error, FURLHINT_CONFIG_ERROR);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);

  for (p = furlhint_config_get_warnings (config); *p != NULL; p++)
    FUZZ_ASSERT (**p != '\0');
  for (i = 0; i < G_N_ELEMENTS (lookups); i++)
    {
      const gchar *v = furlhint_config_get_value (config, lookups[i][0], lookups[i][1]);

      /* Touch every byte: a dangling value shows up under ASan. */
      FUZZ_ASSERT (v == NULL || strlen (v) < size + 1);
    }
  (void) furlhint_config_get_tub_location (config);
  (void) furlhint_config_get_tcp_mode (config);
  (void) furlhint_config_get_tor_fallback (config);

  for (i = 0; i < 2; i++)
    {
      g_autoptr(GError) verror = NULL;

      if (i == 1)
        furlhint_config_set_anonymous (config, TRUE);
      if (!furlhint_config_validate (config, &verror))
        FUZZ_ASSERT_ERROR (verror, FURLHINT_CONFIG_ERROR);
      else
        FUZZ_ASSERT (verror == NULL);
    }

  for (p = plugins; *p != NULL; p++)
    {
      GHashTable *settings = furlhint_config_dup_plugin_settings (config, *p);

      FUZZ_ASSERT (settings != NULL);
      g_hash_table_unref (settings);
    }

  furlhint_config_unref (config);
  return 0;
}
