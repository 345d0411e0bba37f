/* The ranking policy under fuzzed FURLs, with the four bundled plugins
 * linked in: whatever the FURL, an anonymous plan holds only anonymous
 * routes (no clear or proxied route, nothing that needs local DNS), a
 * pb+tor:// / pb+i2p:// NURL is routed only over its network, routes come
 * before rejections, every hint gets at least one entry, and a plan with
 * no route explains itself. The first input byte picks per-peer
 * overrides; the rest is the FURL.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

#include "fuzz-common.h"

extern const FurlHintPluginDescriptor tcp_LTX_furlhint_plugin_descriptor;
extern const FurlHintPluginDescriptor socks_LTX_furlhint_plugin_descriptor;
extern const FurlHintPluginDescriptor tor_LTX_furlhint_plugin_descriptor;
extern const FurlHintPluginDescriptor i2p_LTX_furlhint_plugin_descriptor;

static const gchar *const configs[] = {
  /* normal, nothing configured */
  "",
  /* normal, Tor and I2P, Tor fallback */
  "[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\ni2p.sam-api = tcp:127.0.0.1:7656\n"
  "tcp.tor-fallback = true\n",
  /* normal, tcp through a SOCKS proxy */
  "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n",
  /* anonymous, Tor and I2P */
  "[node]\nanonymous = true\n[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\n"
  "i2p.sam-api = tcp:127.0.0.1:7656\n",
  /* anonymous, tcp = tor */
  "[node]\nreveal-IP-address = false\n[connections]\ntcp = tor\n",
  /* anonymous, only a SOCKS proxy: nothing may be routed through it */
  "[node]\nanonymous = true\n[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n",
  /* anonymous, I2P only */
  "[node]\nanonymous = true\n[i2p]\nenabled = true\n",
  /* anonymous, nothing */
  "[node]\nanonymous = true\n",
};

static FurlHintContext *contexts[G_N_ELEMENTS (configs)];
static GHashTable *overrides[5];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const FurlHintPluginDescriptor *descriptors[] = {
    &tcp_LTX_furlhint_plugin_descriptor, &socks_LTX_furlhint_plugin_descriptor,
    &tor_LTX_furlhint_plugin_descriptor, &i2p_LTX_furlhint_plugin_descriptor,
  };
  guint c, d;

  fuzz_setup_glib ();
  for (c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autoptr(GError) error = NULL;
      FurlHintConfig *config = furlhint_config_load_data (configs[c], -1, "fuzz", &error);

      if (config == NULL)
        g_error ("fuzz-rank config %u: %s", c, error->message);
      contexts[c] = furlhint_context_new (config);
      furlhint_config_unref (config);
      for (d = 0; d < G_N_ELEMENTS (descriptors); d++)
        if (!furlhint_context_register_plugin (contexts[c], descriptors[d], "builtin", &error))
          g_error ("fuzz-rank config %u: %s", c, error->message);
    }

  overrides[0] = NULL;
  for (c = 1; c < G_N_ELEMENTS (overrides); c++)
    overrides[c] = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (overrides[1], "tcp", "tcp");
  g_hash_table_insert (overrides[2], "tcp", "tor");
  g_hash_table_insert (overrides[3], "tcp", "disabled");
  g_hash_table_insert (overrides[4], "tor", "disabled");
  g_hash_table_insert (overrides[4], "i2p", "tcp");
  return 0;
}

static void
check_plan (FurlHintContext *ctx,
            FurlHintFurl *furl,
            FurlHintPlan *plan,
            gboolean utf8_input)
{
  gboolean anonymous = furlhint_config_get_anonymous (furlhint_context_get_config (ctx));
  FurlHintNetwork network = furlhint_furl_get_network (furl);
  guint n_hints = furlhint_furl_get_n_hints (furl);
  guint n = furlhint_plan_get_n_entries (plan);
  guint n_routes = furlhint_plan_get_n_routes (plan);
  g_autofree gboolean *seen = g_new0 (gboolean, n_hints + 1);
  guint i, prev_tier = 0;

  FUZZ_ASSERT (furlhint_plan_is_anonymous (plan) == anonymous);
  FUZZ_ASSERT (n_routes <= n);
  for (i = 0; i < n; i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);

      FUZZ_ASSERT (e->hint_index < n_hints);
      seen[e->hint_index] = TRUE;
      FUZZ_ASSERT (e->routed == (i < n_routes));
      FUZZ_ASSERT (e->description != NULL);
      /* Reasons reach terminals and logs: UTF-8 in, UTF-8 out. */
      FUZZ_ASSERT (!utf8_input || g_utf8_validate (e->description, -1, NULL));
      FUZZ_ASSERT (!utf8_input || e->reason == NULL || g_utf8_validate (e->reason, -1, NULL));
      if (!e->routed)
        {
          FUZZ_ASSERT (e->code != 0 && e->reason != NULL && e->reason[0] != '\0');
          continue;
        }
      FUZZ_ASSERT (e->plugin != NULL && e->target.host != NULL);
      FUZZ_ASSERT (e->anon_class == furlhint_plugin_get_anon_class (e->plugin));
      FUZZ_ASSERT (e->tier >= prev_tier);
      prev_tier = e->tier;
      if (anonymous)
        {
          /* The guarantee. */
          FUZZ_ASSERT (e->anon_class == FURLHINT_ANON_ANONYMOUS);
          FUZZ_ASSERT (e->tier == FURLHINT_TIER_NATIVE ||
                       g_str_equal (furlhint_plugin_get_name (e->plugin), "tor"));
        }
      if (network == FURLHINT_NETWORK_TOR)
        FUZZ_ASSERT (g_str_equal (furlhint_plugin_get_name (e->plugin), "tor"));
      if (network == FURLHINT_NETWORK_I2P)
        FUZZ_ASSERT (g_str_equal (furlhint_plugin_get_name (e->plugin), "i2p"));
    }
  for (i = 0; i < n_hints; i++)
    FUZZ_ASSERT (seen[i]);

  {
    GError *error = furlhint_plan_dup_no_route_error (plan);

    FUZZ_ASSERT ((error == NULL) == (n_routes > 0));
    g_clear_error (&error);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;
  FurlHintRankOptions options = { sizeof options, NULL, 0 };
  FurlHintFurl *furl;
  gboolean utf8;
  guint c;

  if (size < 1)
    return 0;
  options.overrides = overrides[data[0] % G_N_ELEMENTS (overrides)];
  text = fuzz_strndup (data + 1, size - 1);
  if (text == NULL)
    return 0;
  furl = furlhint_furl_parse (text, &error);
  if (furl == NULL)
    return 0;
  utf8 = g_utf8_validate (text, -1, NULL);

  for (c = 0; c < G_N_ELEMENTS (contexts); c++)
    {
      FurlHintPlan *plan = furlhint_context_rank (contexts[c], furl, &options);

      check_plan (contexts[c], furl, plan, utf8);
      furlhint_plan_unref (plan);
    }
  furlhint_furl_unref (furl);
  return 0;
}
