/* Tests for ranking (docs/design.md, "Policy tiers"): FURL + tahoe.cfg +
 * the real bundled plugins → plan. Every test asserts the exact plan: per
 * entry the hint, route or rejection, plugin, tier, class, delay and code.
 * client1-3 and server1-3 are the configurations named in docs/design.md,
 * "Client and server configurations".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

#include "hostname.h"

#include <string.h>

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define FURL(hints) "pb://" TUB "@" hints "/swissnum"
#define ONION "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion"
#define I2PDEST "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"
#define NURL_HASH "C8QOQPnbAwOEcX7XH1H3aK1F6Y2gG1RM79S0_i1Rg-Q"

/* ---- helpers ------------------------------------------------------------- */

static FurlHintContext *
context_with_plugins (FurlHintConfig *config)
{
  FurlHintContext *ctx = furlhint_context_new (config);
  GPtrArray *errors;
  guint n, i;

  n = furlhint_context_load_plugins (ctx);
  errors = furlhint_context_get_plugin_errors (ctx);
  for (i = 0; i < errors->len; i++)
    g_test_message ("plugin error: %s", ((GError *) g_ptr_array_index (errors, i))->message);
  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_cmpuint (n, ==, 4);

  return ctx;
}

static FurlHintConfig *
config_from_text (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;

  config = furlhint_config_load_data (text, -1, "tahoe.cfg", &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static FurlHintConfig *
config_from_file (const gchar *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "rank", name, NULL);
  FurlHintConfig *config;

  config = furlhint_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static FurlHintContext *
ctx_from_text (const gchar *text)
{
  FurlHintConfig *config = config_from_text (text);
  FurlHintContext *ctx = context_with_plugins (config);

  furlhint_config_unref (config);
  return ctx;
}

static FurlHintContext *
ctx_from_file (const gchar *name)
{
  FurlHintConfig *config = config_from_file (name);
  FurlHintContext *ctx = context_with_plugins (config);

  furlhint_config_unref (config);
  return ctx;
}

/* Builds a table type → handler from "type", "handler", ..., NULL. */
static GHashTable *
make_overrides (const gchar *first_type,
                ...)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const gchar *type;
  va_list args;

  va_start (args, first_type);
  for (type = first_type; type != NULL; type = va_arg (args, const gchar *))
    {
      const gchar *handler = va_arg (args, const gchar *);
      g_hash_table_insert (table, g_strdup (type), g_strdup (handler));
    }
  va_end (args);

  return table;
}

static FurlHintPlan *
rank_full (FurlHintContext *ctx,
           const gchar *text,
           GHashTable *overrides,
           guint stagger_ms)
{
  FurlHintRankOptions options = { sizeof options, };
  g_autoptr(GError) error = NULL;
  FurlHintFurl *furl;
  FurlHintPlan *plan;

  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (furl);

  options.overrides = overrides;
  options.stagger_ms = stagger_ms;
  plan = furlhint_context_rank (ctx, furl, &options);
  g_assert_nonnull (plan);
  g_assert_true (furlhint_plan_get_furl (plan) == furl);

  furlhint_furl_unref (furl);
  return plan;
}

static FurlHintPlan *
rank (FurlHintContext *ctx,
      const gchar *text)
{
  return rank_full (ctx, text, NULL, 0);
}

static gchar *
render_entry (const FurlHintPlanEntry *e)
{
  if (e->routed)
    return g_strdup_printf ("%u route %s tier=%u %s +%u%s",
                            e->hint_index, furlhint_plugin_get_name (e->plugin),
                            e->tier, furlhint_anon_class_name (e->anon_class),
                            e->delay_ms, e->carried ? " carried" : "");
  return g_strdup_printf ("%u reject %s", e->hint_index,
                          furlhint_policy_error_code_name (e->code));
}

static gchar *
render_plan (const FurlHintPlan *plan)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      g_autofree gchar *line = render_entry (furlhint_plan_get_entry (plan, i));

      if (i > 0)
        g_string_append_c (s, '\n');
      g_string_append (s, line);
    }
  return g_string_free (s, FALSE);
}

/* Checks the plan line by line (and, per entry, the invariants every
 * plan has: routes first with code 0 and no reason, rejections with a
 * code, a reason and that reason as their description). */
static void
assert_plan (const FurlHintPlan *plan,
             const gchar *const *expected)
{
  g_autofree gchar *got = render_plan (plan);
  g_autofree gchar *want = g_strjoinv ("\n", (gchar **) expected);
  guint i, n_routes = 0;
  gboolean seen_rejection = FALSE;

  for (i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);
      g_autofree gchar *line = render_entry (e);

      g_test_message ("plan[%u] %s :: %s", i, line, e->description);
      g_assert_true (e->hint == furlhint_furl_get_hint (furlhint_plan_get_furl (plan), e->hint_index));
      g_assert_nonnull (e->description);
      g_assert_cmpstr (e->description, !=, "");
      if (e->routed)
        {
          g_assert_false (seen_rejection);
          g_assert_nonnull (e->plugin);
          g_assert_nonnull (e->target.host);
          g_assert_cmpint (e->code, ==, 0);
          g_assert_null (e->reason);
          g_assert_cmpint (e->anon_class, ==, furlhint_plugin_get_anon_class (e->plugin));
          n_routes++;
        }
      else
        {
          seen_rejection = TRUE;
          g_assert_cmpint (e->code, !=, 0);
          g_assert_nonnull (e->reason);
          g_assert_cmpstr (e->description, ==, e->reason);
        }
    }

  g_assert_cmpstr (got, ==, want);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, n_routes);
}

/* The reason of entry @index contains @part. */
static void
assert_reason (const FurlHintPlan *plan,
               guint index,
               const gchar *part)
{
  const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, index);

  g_assert_nonnull (e);
  g_assert_false (e->routed);
  if (strstr (e->reason, part) == NULL)
    {
      g_test_message ("reason of entry %u lacks \"%s\"", index, part);
      g_assert_cmpstr (e->reason, ==, part);
    }
}

static void
assert_target (const FurlHintPlan *plan,
               guint index,
               const gchar *host,
               guint16 port,
               FurlHintHostKind kind)
{
  const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, index);

  g_assert_true (e->routed);
  g_assert_cmpstr (e->target.host, ==, host);
  g_assert_cmpuint (e->target.port, ==, port);
  g_assert_cmpint (e->target.host_kind, ==, kind);
}

/* furlhint_plan_entry_dup_status() of entry @index contains @fragment
 * (starts with it when @fragment ends in ": "); NULL: the entry is a route. */
static void
assert_status (FurlHintPlan *plan, guint index, const gchar *fragment)
{
  g_autofree gchar *status = furlhint_plan_entry_dup_status (furlhint_plan_get_entry (plan, index));

  if (fragment == NULL)
    {
      g_assert_null (status);
      return;
    }
  g_assert_nonnull (status);
  if (g_str_has_suffix (fragment, ": ") ? !g_str_has_prefix (status, fragment)
                                        : strstr (status, fragment) == NULL)
    g_error ("status of entry %u is \"%s\", expected \"%s\" in it", index, status, fragment);
}

#define EXPECT(...) ((const gchar *const []) { __VA_ARGS__, NULL })

/* ---- client1: a normal node ---------------------------------------------- */

static void
test_client1_normal (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;
  const FurlHintPlanEntry *e;

  plan = rank (ctx, FURL ("tcp:example.com:1234,example.org:5678,tcp:[2001:db8::1]:1234"));
  g_assert_false (furlhint_plan_is_anonymous (plan));
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0",
                             "1 route tcp tier=0 clear +250",
                             "2 route tcp tier=0 clear +500"));
  assert_target (plan, 0, "example.com", 1234, FURLHINT_HOST_DNS);
  assert_target (plan, 1, "example.org", 5678, FURLHINT_HOST_DNS);
  assert_target (plan, 2, "2001:db8::1", 1234, FURLHINT_HOST_IPV6);

  /* The legacy hint keeps its text; the route uses the canonical form. */
  e = furlhint_plan_get_entry (plan, 1);
  g_assert_cmpstr (furlhint_hint_get_text (e->hint), ==, "example.org:5678");
  g_assert_cmpstr (e->target.hint, ==, "tcp:example.org:5678");
  g_assert_nonnull (strstr (e->description, "tier 0"));
  g_assert_null (furlhint_plan_dup_no_route_error (plan));

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_client1_stagger (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;

  plan = rank_full (ctx, FURL ("tcp:a.example:1,tcp:b.example:2,tcp:c.example:3"), NULL, 100);
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0",
                             "1 route tcp tier=0 clear +100",
                             "2 route tcp tier=0 clear +200"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* ---- client2: normal node, Tor-only servers ------------------------------ */

static void
test_client2_onion (void)
{
  FurlHintContext *ctx = ctx_from_file ("client2-onion.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":3457,tcp:" ONION ":80"));
  /* Within tier 0 the anonymous routes start first. */
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "2 route tor tier=0 anonymous +250",
                             "0 route tcp tier=0 clear +500"));
  assert_target (plan, 0, ONION, 3457, FURLHINT_HOST_ONION);
  assert_target (plan, 1, ONION, 80, FURLHINT_HOST_ONION);
  assert_target (plan, 2, "example.com", 1234, FURLHINT_HOST_DNS);
  g_assert_false (furlhint_plan_get_entry (plan, 1)->carried);

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* Host names are classified and routed in one canonical form: one final
 * dot (the DNS root) dropped, .onion/.i2p names in lower case, names
 * with empty labels refused. Normal mode with Tor: the anonymous-mode
 * matrix (tests/test-anon-matrix.c) covers anonymous mode and what Tor is
 * then asked for. */
static void
test_canonical_names (void)
{
  FurlHintContext *ctx = ctx_from_file ("client2-onion.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:" ONION ".:80,tor:" ONION ".:81,tcp:VWW6YBAL4BD7SZMGNCYRUUCPGFKQAHZDDI37KTCEO3AH7NGMCOPNPYYD.ONION:82,"
                          "tcp:example.com.:83,tcp:" ONION "..:84,tor:" ONION "..:85,"
                          "tcp:.onion:86,tcp:..:87,tcp:onion.:88,tor:" I2PDEST ".:89"));
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0",
                             "1 route tor tier=0 anonymous +250",
                             "2 route tor tier=0 anonymous +500",
                             "3 route tcp tier=0 clear +750",
                             "4 reject bad-hint",
                             "5 reject bad-hint",
                             "6 reject bad-hint",
                             "7 reject bad-hint",
                             "8 reject bad-hint",
                             "9 reject wrong-network"));
  assert_target (plan, 0, ONION, 80, FURLHINT_HOST_ONION);
  assert_target (plan, 1, ONION, 81, FURLHINT_HOST_ONION);
  assert_target (plan, 2, ONION, 82, FURLHINT_HOST_ONION);
  assert_target (plan, 3, "example.com", 83, FURLHINT_HOST_DNS);
  assert_reason (plan, 4, "empty label");
  assert_reason (plan, 4, "Foolscap accepts this hint, furlhint refuses it");
  assert_reason (plan, 5, "empty label");
  assert_reason (plan, 6, "empty label");
  assert_reason (plan, 7, "empty label");
  assert_reason (plan, 8, "special-use top-level domain");
  assert_reason (plan, 9, "belongs to the 'i2p' plugin's network");
  g_assert_nonnull (strstr (furlhint_plan_get_entry (plan, 0)->description, ONION ":80"));
  g_assert_null (strstr (furlhint_plan_get_entry (plan, 0)->description, ONION ".:80"));
  furlhint_plan_unref (plan);

  /* The public lookup agrees: one final dot and case do not matter, an
   * empty label belongs to no network. */
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, ONION ".") ==
                 furlhint_context_find_plugin (ctx, "tor"));
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "X.ONION") ==
                 furlhint_context_find_plugin (ctx, "tor"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, ONION ".."));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, ".onion"));
  furlhint_context_unref (ctx);
}

static void
test_client2_no_tor (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;

  /* No Tor, no I2P: the .onion TCP hint must not become a DNS lookup. */
  plan = rank (ctx, FURL ("tor:" ONION ":3457,tcp:" ONION ":80,i2p:" I2PDEST ",tcp:example.com:1"));
  assert_plan (plan, EXPECT ("3 route tcp tier=0 clear +0",
                             "0 reject not-configured",
                             "1 reject not-configured",
                             "2 reject not-configured"));
  assert_reason (plan, 1, "tor: hint needs the 'tor' transport, which is not configured; set "
                "[connections] tor.socks-proxy");
  assert_reason (plan, 2, "tor: hint needs the 'tor' transport, which is not configured");
  assert_reason (plan, 3, "i2p: hint needs the 'i2p' transport, which is not configured; set "
                "[connections] i2p.sam-api");

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* ---- client3: anonymous node --------------------------------------------- */

static void
test_client3_tcp_with_tor (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-tor.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:10.0.0.1:1234,tcp:127.0.0.1:1234,"
                          "tcp:[2001:db8::1]:1234,93.184.216.34:80"));
  g_assert_true (furlhint_plan_is_anonymous (plan));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried",
                             "4 route tor tier=1 anonymous +250 carried",
                             "1 reject bad-hint",
                             "2 reject bad-hint",
                             "3 reject bad-hint"));
  assert_target (plan, 0, "example.com", 1234, FURLHINT_HOST_DNS);
  assert_target (plan, 1, "93.184.216.34", 80, FURLHINT_HOST_IPV4);
  assert_reason (plan, 2, "bad hint: ignoring non-Tor-able ipaddr 10.0.0.1");
  assert_reason (plan, 3, "bad hint: ignoring non-Tor-able ipaddr 127.0.0.1");
  assert_reason (plan, 4, "unrecognized TCP/Tor hint");
  assert_reason (plan, 4, "only through Tor");

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_client3_tcp_no_tor (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-no-tor.cfg");
  g_autoptr(GError) error = NULL;
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,example.org:5678,tcp:[2001:db8::1]:1"));
  assert_plan (plan, EXPECT ("0 reject revealing",
                             "1 reject revealing",
                             "2 reject revealing"));
  assert_reason (plan, 0, "no route: anonymous mode forbids direct TCP and Tor is not configured");

  error = furlhint_plan_dup_no_route_error (plan);
  g_assert_error (error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE);
  g_assert_cmpstr (error->message, ==,
                   "no route: "
                   "tcp:example.com:1234: anonymous mode forbids direct TCP and Tor is not "
                   "configured, nor any other anonymous carrier; "
                   "example.org:5678: anonymous mode forbids direct TCP and Tor is not "
                   "configured, nor any other anonymous carrier; "
                   "tcp:[2001:db8::1]:1: anonymous mode forbids direct TCP and Tor is not "
                   "configured, nor any other anonymous carrier");

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_client3_mixed (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-tor-i2p.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":3457,i2p:" I2PDEST ","
                          "tcp:" ONION ":80,tcp:10.0.0.1:1234"));
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "2 route i2p tier=0 anonymous +250",
                             "3 route tor tier=0 anonymous +500",
                             "0 route tor tier=1 anonymous +0 carried",
                             "4 reject bad-hint"));
  assert_target (plan, 1, I2PDEST, 0, FURLHINT_HOST_I2P);
  assert_reason (plan, 4, "ignoring non-Tor-able ipaddr 10.0.0.1");

  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_client3_socks_never (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-socks.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:93.184.216.34:80"));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried",
                             "1 route tor tier=1 anonymous +250 carried"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  /* Without Tor the proxy is still not used, and the reason says so. */
  ctx = ctx_from_text ("[node]\nanonymous = true\n"
                       "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 reject revealing"));
  assert_reason (plan, 0, "anonymous mode forbids direct TCP and Tor is not configured");
  assert_reason (plan, 0, "tcp.socks-proxy is not used in anonymous mode");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_client3_overrides (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-tor.cfg");
  GHashTable *overrides;
  FurlHintPlan *plan;

  overrides = make_overrides ("tcp", "tcp", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":3457"), overrides, 0);
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "0 reject override-refused"));
  assert_reason (plan, 1, "per-peer override tcp: tcp");
  assert_reason (plan, 1, "anonymous mode forbids");
  assert_reason (plan, 1, "not even through Tor");
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  overrides = make_overrides ("tcp", "socks", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234"), overrides, 0);
  assert_plan (plan, EXPECT ("0 reject override-refused"));
  assert_reason (plan, 0, "proxied");
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  overrides = make_overrides ("tcp", "tor", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234"), overrides, 0);
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried"));
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  overrides = make_overrides ("tcp", "disabled", "tor", "disabled", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":3457"), overrides, 0);
  assert_plan (plan, EXPECT ("0 reject tcp-disabled",
                             "1 reject tcp-disabled"));
  assert_reason (plan, 0, "per-peer override (tcp: disabled)");
  assert_reason (plan, 1, "per-peer override (tor: disabled)");
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  furlhint_context_unref (ctx);
}

static void
test_normal_overrides (void)
{
  FurlHintContext *ctx = ctx_from_file ("client2-onion.cfg");
  GHashTable *overrides;
  FurlHintPlan *plan;

  overrides = make_overrides ("tcp", "tor", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234,tcp:10.0.0.1:1"), overrides, 0);
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0 carried",
                             "1 reject bad-hint"));
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  overrides = make_overrides ("tcp", "carrier-pigeon", "tor", "tcp", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":1"), overrides, 0);
  assert_plan (plan, EXPECT ("0 reject override-refused",
                             "1 reject override-refused"));
  assert_reason (plan, 0, "per-peer override tcp: carrier-pigeon");
  assert_reason (plan, 1, "only the 'tor' plugin handles 'tor:' hints");
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  overrides = make_overrides ("tcp", "disabled", NULL);
  plan = rank_full (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":1"), overrides, 0);
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "0 reject tcp-disabled"));
  furlhint_plan_unref (plan);
  g_hash_table_unref (overrides);

  furlhint_context_unref (ctx);
}

/* ---- server1-3: tub.location under the policy ---------------------------- */

static void
test_server_validate (void)
{
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;

  config = config_from_file ("server1-normal.cfg");
  g_assert_false (furlhint_config_get_anonymous (config));
  g_assert_true (furlhint_config_validate (config, &error));
  g_assert_no_error (error);
  furlhint_config_unref (config);

  config = config_from_file ("server2-anon.cfg");
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_true (furlhint_config_validate (config, &error));
  g_assert_no_error (error);
  furlhint_config_unref (config);

  config = config_from_file ("server3-anon-auto.cfg");
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_false (furlhint_config_validate (config, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);
  g_assert_nonnull (strstr (error->message, "AUTO"));
  g_assert_nonnull (strstr (error->message, "tcp:example.org:3457"));
  furlhint_config_unref (config);
}

/* ---- [connections] tcp and friends --------------------------------------- */

static void
test_tcp_disabled (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;

  ctx = ctx_from_text ("[connections]\ntcp = disabled\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":3457,tcp:" ONION ":80"));
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "2 route tor tier=0 anonymous +250",
                             "0 reject tcp-disabled"));
  assert_reason (plan, 2, "[connections] tcp = disabled");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_from_text ("[node]\nanonymous = true\n"
                       "[connections]\ntcp = disabled\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,example.org:1"));
  assert_plan (plan, EXPECT ("0 reject tcp-disabled",
                             "1 reject tcp-disabled"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_tcp_tor (void)
{
  FurlHintContext *ctx = ctx_from_text ("[connections]\ntcp = tor\n");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:10.0.0.1:1234,tcp:[2001:db8::1]:1234"));
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0 carried",
                             "1 reject bad-hint",
                             "2 reject bad-hint"));
  assert_reason (plan, 1, "bad hint: ignoring non-Tor-able ipaddr 10.0.0.1");
  assert_reason (plan, 2, "bad hint: unrecognized TCP/Tor hint");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* `[connections] tcp` in any letter case means the same everywhere: the
 * core's config and the tor plugin's init both take `TOR` as `tor`. */
static void
test_tcp_tor_letter_case (void)
{
  FurlHintContext *ctx = ctx_from_text ("[connections]\ntcp = TOR\n");
  FurlHintPlan *plan;

  g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "tor")));
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0 carried"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* Loads the plugin file @name of @dir into @ctx. */
static void
load_plugin (FurlHintContext *ctx, const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
}

/* A context for @config with only the plugin file @name of @dir loaded. */
static FurlHintContext *
ctx_with_plugin (FurlHintConfig *config, const gchar *dir, const gchar *name)
{
  FurlHintContext *ctx = furlhint_context_new (config);

  load_plugin (ctx, dir, name);
  return ctx;
}

/* The bundled plugins plus tests/plugins/lax_anon, an anonymous carrier
 * that does not refuse non-public addresses itself. */
static FurlHintContext *
ctx_with_lax_anon (const gchar *text)
{
  FurlHintContext *ctx = ctx_from_text (text);
  const gchar *dir = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");
  g_autofree gchar *built = g_test_build_filename (G_TEST_BUILT, "plugins", NULL);

  load_plugin (ctx, dir != NULL ? dir : built, "lax_anon.la");
  return ctx;
}

#define NON_PUBLIC_HINTS "tcp:127.0.0.1:1,tcp:10.1.2.3:1,tcp:[::1]:1,tcp:169.254.1.1:1," \
  "tcp:192.168.1.1.:1"

/* Any anonymous carrier may carry tcp: hints in anonymous mode, and the
 * core, not the carrier, refuses the addresses no exit can reach. */
static void
test_anon_carrier_capability (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;
  guint i;

  /* No Tor configured: lax_anon is the anonymous carrier. */
  ctx = ctx_with_lax_anon ("[node]\nanonymous = true\n");
  g_assert_true (furlhint_context_find_anonymous_carrier (ctx) ==
                 furlhint_context_find_plugin (ctx, "lax_anon"));
  plan = rank (ctx, FURL ("tcp:example.com:1234," NON_PUBLIC_HINTS));
  assert_plan (plan, EXPECT ("0 route lax_anon tier=1 anonymous +0 carried",
                             "1 reject bad-hint", "2 reject bad-hint", "3 reject bad-hint",
                             "4 reject bad-hint", "5 reject bad-hint"));
  assert_reason (plan, 1, "ignoring non-Tor-able ipaddr 127.0.0.1: an anonymous carrier ('lax_anon')");
  assert_reason (plan, 2, "ipaddr 10.1.2.3");
  assert_reason (plan, 3, "ipaddr ::1");
  assert_reason (plan, 4, "ipaddr 169.254.1.1");
  assert_reason (plan, 5, "ipaddr 192.168.1.1");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  /* Tor configured too: Tor is preferred, lax_anon still never gets a
   * non-public address when named. */
  ctx = ctx_with_lax_anon ("[node]\nanonymous = true\n"
                           "[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  g_assert_true (furlhint_context_find_anonymous_carrier (ctx) ==
                 furlhint_context_find_plugin (ctx, "tor"));
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried"));
  furlhint_plan_unref (plan);
  {
    GHashTable *overrides = make_overrides ("tcp", "LAX_ANON", NULL);

    plan = rank_full (ctx, FURL ("tcp:example.com:1234,tcp:127.0.0.1:1"), overrides, 0);
    assert_plan (plan, EXPECT ("0 route lax_anon tier=1 anonymous +0 carried",
                               "1 reject bad-hint"));
    furlhint_plan_unref (plan);
    g_hash_table_unref (overrides);
  }
  furlhint_context_unref (ctx);

  /* Any ranker: furlhint_plan_add_route() refuses the route itself, in
   * either mode, whatever host kind the caller claims. */
  {
    g_autoptr(GError) error = NULL;
    FurlHintFurl *furl = furlhint_furl_parse (FURL ("tcp:127.0.0.1:1"), &error);
    FurlHintPlugin *lax;
    FurlHintPlan *custom;
    guint mode;

    g_assert_no_error (error);
    ctx = ctx_with_lax_anon ("[node]\n");
    lax = furlhint_context_find_plugin (ctx, "lax_anon");
    for (mode = 0; mode < 2; mode++)
      {
        FurlHintTarget target = { g_strdup ("127.0.0.1"), 1, FURLHINT_HOST_DNS,
                                  g_strdup ("tcp:127.0.0.1:1") };

        custom = furlhint_plan_new (furl, mode == 1);
        g_assert_false (furlhint_plan_add_route (custom, 0, lax, &target,
                                                 FURLHINT_TIER_TOR_FALLBACK, TRUE));
        g_assert_null (target.host);
        assert_reason (custom, 0, "ignoring non-Tor-able ipaddr 127.0.0.1");
        furlhint_plan_unref (custom);

        /* nor in a form inet_aton() reads (Python's ipaddress does not) */
        target = (FurlHintTarget) { g_strdup ("0x7f.1"), 1, FURLHINT_HOST_DNS,
                                    g_strdup ("tcp:0x7f.1:1") };
        custom = furlhint_plan_new (furl, mode == 1);
        g_assert_false (furlhint_plan_add_route (custom, 0, lax, &target,
                                                 FURLHINT_TIER_TOR_FALLBACK, TRUE));
        assert_reason (custom, 0, "ignoring non-Tor-able ipaddr 0x7f.1");
        furlhint_plan_unref (custom);

        /* nor when the ranker says the route is not carried */
        target = (FurlHintTarget) { g_strdup ("127.0.0.1"), 1, FURLHINT_HOST_IPV4,
                                    g_strdup ("tcp:127.0.0.1:1") };
        custom = furlhint_plan_new (furl, mode == 1);
        g_assert_false (furlhint_plan_add_route (custom, 0, lax, &target,
                                                 FURLHINT_TIER_NATIVE, FALSE));
        g_assert_null (target.host);
        assert_reason (custom, 0, "ignoring non-Tor-able ipaddr 127.0.0.1");
        furlhint_plan_unref (custom);
      }
    furlhint_furl_unref (furl);
    furlhint_context_unref (ctx);
  }

  /* Normal mode, `tcp = lax_anon`: the same refusal, and the fallback
   * tier is not needed for an anonymous carrier's route. */
  ctx = ctx_with_lax_anon ("[connections]\ntcp = Lax_Anon\n");
  g_assert_true (furlhint_context_check_tcp_route (ctx, NULL));
  plan = rank (ctx, FURL ("tcp:example.com:1234," NON_PUBLIC_HINTS));
  for (i = 1; i <= 5; i++)
    g_assert_cmpint (furlhint_plan_get_entry (plan, i)->code, ==, FURLHINT_POLICY_ERROR_BAD_HINT);
  assert_plan (plan, EXPECT ("0 route lax_anon tier=0 anonymous +0 carried",
                             "1 reject bad-hint", "2 reject bad-hint", "3 reject bad-hint",
                             "4 reject bad-hint", "5 reject bad-hint"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* `[connections] tcp = NAME` naming a proxied carrier: used in normal
 * mode (here refused, as it is not configured), never in anonymous mode,
 * where the anonymous carrier takes the hints as for `tcp = tcp`. */
static void
test_tcp_carrier_proxied (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;

  ctx = ctx_from_text ("[connections]\ntcp = Socks\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 reject not-configured"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_from_text ("[node]\nanonymous = true\n"
                       "[connections]\ntcp = socks\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:127.0.0.1:1"));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried",
                             "1 reject bad-hint"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* `[connections] tcp = NAME` for a NAME that is not a loaded carrier: the
 * config cannot know, the context and the ranker say so with file:line. */
static void
test_tcp_carrier_unknown (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;
  g_autoptr(GError) error = NULL;

  ctx = ctx_from_text ("[node]\nnickname = n\n[connections]\ntcp = HTTPConnect\n");
  g_assert_false (furlhint_context_check_tcp_route (ctx, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_cmpstr (error->message, ==,
                   "tahoe.cfg:4: [connections] tcp = \"HTTPConnect\": no loaded plugin is "
                   "called 'httpconnect'; accepted: tcp, disabled, or a loaded carrier: "
                   "socks (proxied, not configured), tor (anonymous, not configured)");
  g_clear_error (&error);
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 reject no-handler"));
  assert_reason (plan, 0, "tahoe.cfg:4: [connections] tcp = \"HTTPConnect\": no loaded plugin");
  assert_reason (plan, 0, "the hint is not used rather than connected some other way");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_from_text ("[connections]\ntcp = i2p\n");
  g_assert_false (furlhint_context_check_tcp_route (ctx, &error));
  g_assert_cmpstr (error->message, ==,
                   "tahoe.cfg:2: [connections] tcp = \"i2p\": the 'i2p' plugin cannot carry "
                   "tcp: hints (it does not declare FURLHINT_PLUGIN_CAN_CARRY_TCP); accepted: "
                   "tcp, disabled, or a loaded carrier: socks (proxied, not configured), "
                   "tor (anonymous, not configured)");
  furlhint_context_unref (ctx);
}

static void
test_tor_fallback (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;

  ctx = ctx_from_text ("[connections]\ntcp.tor-fallback = true\n"
                       "tor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:10.0.0.1:1234,tcp:[2001:db8::1]:1,"
                          "93.184.216.34:80"));
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0",
                             "1 route tcp tier=0 clear +250",
                             "2 route tcp tier=0 clear +500",
                             "3 route tcp tier=0 clear +750",
                             "0 route tor tier=1 anonymous +0 carried",
                             "3 route tor tier=1 anonymous +250 carried"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  /* The knob without Tor: nothing to fall back to. */
  ctx = ctx_from_text ("[connections]\ntcp.tor-fallback = true\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234"));
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* A FURL with more hints than a plan keeps with itself (its items and
 * their order array then grow on their own), two routes for most hints
 * (the Tor fallback), and duplicates past the point where they are
 * found through a table: every hint accounted for, in plan order, each
 * route described with its tier and delay. */
static void
test_many_hints (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;
  GString *text = g_string_new ("pb://" TUB "@");
  guint n_hints = 150, n_routes = 0, n_fallback = 0, n_duplicates = 0;

  for (guint i = 0; i < n_hints; i++)
    g_string_append_printf (text, "%stcp:node%u.example.org:%u", i > 0 ? "," : "",
                            i % 100, 1000 + i % 100);
  g_string_append (text, "/swiss");
  ctx = ctx_from_text ("[connections]\ntcp.tor-fallback = true\n"
                       "tor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, text->str);
  g_assert_cmpuint (furlhint_plan_get_n_entries (plan), ==, 100 + 100 + 50);
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);
      g_autofree gchar *expected = NULL;

      if (!e->routed)
        {
          g_assert_cmpint (e->code, ==, FURLHINT_POLICY_ERROR_DUPLICATE);
          g_assert_cmpuint (e->hint_index, ==, 100 + n_duplicates);
          g_assert_true (e->description == e->reason);
          n_duplicates++;
          continue;
        }
      g_assert_cmpuint (e->hint_index, ==, e->tier == 0 ? n_routes : n_fallback);
      expected = g_strdup_printf ("%s (tier %u, %s, starts at +%u ms)",
                                  e->tier == 0 ? "direct TCP to" : "", e->tier,
                                  e->tier == 0 ? "clear" : "anonymous",
                                  (e->tier == 0 ? n_routes : n_fallback) * FURLHINT_DEFAULT_STAGGER_MS);
      g_assert_true (g_str_has_suffix (e->description, strchr (expected, '(')));
      if (e->tier == 0)
        {
          g_assert_true (g_str_has_prefix (e->description, "direct TCP to node"));
          n_routes++;
        }
      else
        n_fallback++;
    }
  g_assert_cmpuint (n_routes, ==, 100);
  g_assert_cmpuint (n_fallback, ==, 100);
  g_assert_cmpuint (n_duplicates, ==, 50);
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
  g_string_free (text, TRUE);
}

static void
test_socks_proxy (void)
{
  FurlHintContext *ctx;
  FurlHintPlan *plan;

  ctx = ctx_from_text ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":1,tcp:[2001:db8::1]:1"));
  assert_plan (plan, EXPECT ("0 route socks tier=0 proxied +0 carried",
                             "2 route socks tier=0 proxied +250 carried",
                             "1 reject not-configured"));
  assert_target (plan, 0, "example.com", 1234, FURLHINT_HOST_DNS);
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_from_text ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n"
                       "tor.socks-proxy = tcp:127.0.0.1:9050\n");
  plan = rank (ctx, FURL ("tcp:example.com:1234,tor:" ONION ":1"));
  assert_plan (plan, EXPECT ("1 route tor tier=0 anonymous +0",
                             "0 route socks tier=0 proxied +250 carried"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* ---- NURLs --------------------------------------------------------------- */

static void
test_nurl_pb (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, "pb://" NURL_HASH "@tcp:example.com:443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0"));
  assert_target (plan, 0, "example.com", 443, FURLHINT_HOST_DNS);
  furlhint_plan_unref (plan);

  /* Tor-only NURL, no Tor. */
  plan = rank (ctx, "pb+tor://" NURL_HASH "@tcp:" ONION ":443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject not-configured"));
  furlhint_plan_unref (plan);
  plan = rank (ctx, "pb+tor://" NURL_HASH "@tcp:example.com:443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject not-configured"));
  furlhint_plan_unref (plan);

  furlhint_context_unref (ctx);
}

static void
test_nurl_tor (void)
{
  FurlHintContext *ctx = ctx_from_file ("client2-onion.cfg");
  FurlHintPlan *plan;

  /* furl.c makes a pb+tor:// location a tor: hint: only Tor can take it. */
  plan = rank (ctx, "pb+tor://" NURL_HASH "@tcp:" ONION ":443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0"));
  assert_target (plan, 0, ONION, 443, FURLHINT_HOST_ONION);
  furlhint_plan_unref (plan);

  plan = rank (ctx, "pb+tor://" NURL_HASH "@example.com:443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0"));
  assert_target (plan, 0, "example.com", 443, FURLHINT_HOST_DNS);
  furlhint_plan_unref (plan);

  plan = rank (ctx, "pb+tor://" NURL_HASH "@tcp:10.1.2.3:443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject bad-hint"));
  assert_reason (plan, 0, "ignoring non-Tor-able ipaddr 10.1.2.3");
  furlhint_plan_unref (plan);

  /* A pb:// NURL is an ordinary FURL with one hint. */
  plan = rank (ctx, "pb://" NURL_HASH "@tcp:" ONION ":443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 route tor tier=0 anonymous +0"));
  furlhint_plan_unref (plan);

  furlhint_context_unref (ctx);
}

static void
test_nurl_wrong_network (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-tor-i2p.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, "pb+tor://" NURL_HASH "@" I2PDEST ":443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject wrong-network"));
  assert_reason (plan, 0, "a pb+tor:// NURL is reached only over Tor, and " I2PDEST
                          " belongs to the 'i2p' plugin's network");
  furlhint_plan_unref (plan);

  plan = rank (ctx, "pb+i2p://" NURL_HASH "@" ONION ":443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject wrong-network"));
  assert_reason (plan, 0, "a pb+i2p:// NURL is reached only over I2P");
  furlhint_plan_unref (plan);

  plan = rank (ctx, "pb+i2p://" NURL_HASH "@" I2PDEST "/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 route i2p tier=0 anonymous +0"));
  assert_target (plan, 0, I2PDEST, 0, FURLHINT_HOST_I2P);
  furlhint_plan_unref (plan);

  furlhint_context_unref (ctx);

  /* The network's plugin not configured: no other network stands in. */
  ctx = ctx_from_text ("[node]\nanonymous = true\n[connections]\ni2p.sam-api =\n");
  plan = rank (ctx, "pb+tor://" NURL_HASH "@example.com:443/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject not-configured"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_from_text ("[node]\nanonymous = true\n[connections]\ntor.socks-proxy =\n");
  plan = rank (ctx, "pb+i2p://" NURL_HASH "@" I2PDEST ":1/swissnum#v=1");
  assert_plan (plan, EXPECT ("0 reject not-configured"));
  assert_reason (plan, 0, "i2p: hint needs the 'i2p' transport");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* ---- hints the policy refuses -------------------------------------------- */

static void
test_duplicates (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("tcp:example.com:1234,example.com:1234,tcp:example.com:1234,"
                          "tcp:example.org:1"));
  assert_plan (plan, EXPECT ("0 route tcp tier=0 clear +0",
                             "3 route tcp tier=0 clear +250",
                             "1 reject duplicate",
                             "2 reject duplicate"));
  assert_reason (plan, 2, "same as hint #1 (tcp:example.com:1234)");
  assert_reason (plan, 3, "same as hint #1 (tcp:example.com:1234)");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

static void
test_unknown_types (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;

  plan = rank (ctx, FURL ("unix:foo,socks:bar,nocolon,tcp:example.com:1"));
  assert_plan (plan, EXPECT ("3 route tcp tier=0 clear +0",
                             "0 reject no-handler",
                             "1 reject no-handler",
                             "2 reject no-handler"));
  /* load_plugins() loads a directory in name order. */
  assert_reason (plan, 1, "no plugin handles hint type 'unix'; loaded: i2p, tcp, tor");
  assert_reason (plan, 2, "no plugin handles hint type 'socks'");
  assert_reason (plan, 3, "no type");
  /* What connecting (and the CLI before it) says of each. */
  assert_status (plan, 0, NULL);
  assert_status (plan, 1, "bad hint: no plugin handles hint type 'unix'; loaded: i2p, tcp, tor");
  assert_status (plan, 3, "bad hint: ");
  furlhint_plan_unref (plan);

  /* Spaces make the type " tcp"; the reason carries the lint. */
  plan = rank (ctx, "pb://" TUB "@ tcp:example.org:1,example.org:2 /spaces");
  assert_plan (plan, EXPECT ("0 reject no-handler",
                             "1 reject no-handler"));
  assert_reason (plan, 0, "no plugin handles hint type ' tcp'; loaded: i2p, tcp, tor (");
  assert_reason (plan, 1, "no plugin handles hint type 'example.org'; loaded: i2p, tcp, tor (");
  furlhint_plan_unref (plan);

  furlhint_context_unref (ctx);
}

static void
test_only_tcp_loaded (void)
{
  FurlHintConfig *config;
  FurlHintContext *ctx;
  FurlHintPlan *plan;
  const gchar *dir = g_getenv ("FURLHINT_PLUGIN_DIR");

  g_assert_nonnull (dir);

  /* Tor is configured, but its plugin is not there. */
  config = config_from_file ("client2-onion.cfg");
  ctx = ctx_with_plugin (config, dir, "tcp.la");

  plan = rank (ctx, FURL ("tor:" ONION ":1,tcp:" ONION ":80,i2p:" I2PDEST ",tcp:example.com:1"));
  assert_plan (plan, EXPECT ("3 route tcp tier=0 clear +0",
                             "0 reject no-handler",
                             "1 reject no-handler",
                             "2 reject no-handler"));
  assert_reason (plan, 1, "no plugin handles hint type 'tor'; loaded: tcp");
  assert_reason (plan, 2, "never looked up in DNS");
  assert_reason (plan, 3, "no plugin handles hint type 'i2p'; loaded: tcp");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  /* Anonymous with only the clear plugin: nothing at all. */
  furlhint_config_set_anonymous (config, TRUE);

  /* A plugin loaded after a FURL was ranked counts for the next one: the
   * carriers the ranker finds once per set of plugins are found again. */
  ctx = ctx_with_plugin (config, dir, "tcp.la");
  plan = rank (ctx, FURL ("tcp:example.com:1"));
  assert_plan (plan, EXPECT ("0 reject revealing"));
  furlhint_plan_unref (plan);
  load_plugin (ctx, dir, "tor.la");
  plan = rank (ctx, FURL ("tcp:example.com:1"));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried"));
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  ctx = ctx_with_plugin (config, dir, "tcp.la");
  plan = rank (ctx, FURL ("tcp:example.com:1,tcp:" ONION ":80"));
  assert_plan (plan, EXPECT ("0 reject revealing",
                             "1 reject no-handler"));
  assert_reason (plan, 0, "anonymous mode forbids direct TCP and the tor plugin is not loaded");
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);

  furlhint_config_unref (config);
}

static void
test_lint_ports (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  FurlHintPlan *plan;
  guint i;

  /* Foolscap accepts all three; furlhint must refuse them, and say so. */
  plan = rank (ctx, FURL ("tcp:example.com:0,tcp:example.com:65536,"
                          "tcp:example.com:\xd9\xa1\xd9\xa2\xd9\xa3,tcp:example.com:80"));
  assert_plan (plan, EXPECT ("3 route tcp tier=0 clear +0",
                             "0 reject bad-hint",
                             "1 reject bad-hint",
                             "2 reject bad-hint"));
  for (i = 1; i <= 3; i++)
    {
      assert_reason (plan, i, "bad hint: ");
      assert_reason (plan, i, "Foolscap accepts this hint, furlhint refuses it");
    }
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
}

/* ---- custom rankers cannot break the policy ------------------------------ */

typedef struct {
  gboolean clear_added;
  gboolean tor_added;
} RankerProbe;

static FurlHintPlan *
ranker_tries_clear (FurlHintContext *ctx,
                    FurlHintFurl *furl,
                    const FurlHintRankOptions *options,
                    gpointer user_data)
{
  RankerProbe *probe = user_data;
  FurlHintPlugin *tcp = furlhint_context_find_plugin_for_prefix (ctx, "tcp");
  FurlHintPlugin *tor = furlhint_context_find_plugin_for_prefix (ctx, "tor");
  FurlHintPlan *plan;
  FurlHintTarget target = { NULL, };
  guint i;

  g_assert_cmpuint (options->stagger_ms, ==, FURLHINT_DEFAULT_STAGGER_MS);

  plan = furlhint_plan_new (furl, furlhint_config_get_anonymous (furlhint_context_get_config (ctx)));
  for (i = 0; i < furlhint_furl_get_n_hints (furl); i++)
    {
      const gchar *hint = furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, i));

      g_assert_true (furlhint_plugin_parse (tcp, hint, FURLHINT_PARSE_NATIVE, &target, NULL));
      probe->clear_added |= furlhint_plan_add_route (plan, i, tcp, &target, 0, FALSE);
      furlhint_target_clear (&target);

      /* Public TCP through Tor only after the native routes: tier 0 is
       * refused in an anonymous plan, tier 1 accepted. */
      g_assert_true (furlhint_plugin_parse (tor, hint, FURLHINT_PARSE_CARRY, &target, NULL));
      probe->clear_added |= furlhint_plan_add_route (plan, i, tor, &target,
                                                     FURLHINT_TIER_NATIVE, TRUE);
      furlhint_target_clear (&target);
      g_assert_true (furlhint_plugin_parse (tor, hint, FURLHINT_PARSE_CARRY, &target, NULL));
      probe->tor_added |= furlhint_plan_add_route (plan, i, tor, &target,
                                                   FURLHINT_TIER_TOR_FALLBACK, TRUE);
      furlhint_target_clear (&target);
    }
  furlhint_plan_finish (plan, options->stagger_ms);
  return plan;
}

static FurlHintPlan *
ranker_not_anonymous (FurlHintContext *ctx,
                      FurlHintFurl *furl,
                      const FurlHintRankOptions *options,
                      gpointer user_data)
{
  FurlHintPlugin *tcp = furlhint_context_find_plugin_for_prefix (ctx, "tcp");
  FurlHintPlan *plan = furlhint_plan_new (furl, FALSE);
  FurlHintTarget target = { NULL, };

  g_assert_true (furlhint_plugin_parse (tcp, "tcp:93.184.216.34:80", FURLHINT_PARSE_NATIVE,
                                        &target, NULL));
  g_assert_true (furlhint_plan_add_route (plan, 0, tcp, &target, 0, FALSE));
  g_assert_null (target.host);
  furlhint_plan_finish (plan, options->stagger_ms);
  return plan;
}

static FurlHintPlan *
ranker_lazy (FurlHintContext *ctx,
             FurlHintFurl *furl,
             const FurlHintRankOptions *options,
             gpointer user_data)
{
  if (user_data != NULL)
    return NULL;
  return furlhint_plan_new (furl, TRUE);
}

static void
test_custom_ranker (void)
{
  FurlHintContext *ctx = ctx_from_file ("client3-anon-tor.cfg");
  RankerProbe probe = { FALSE, FALSE };
  FurlHintPlan *plan;

  furlhint_context_set_ranker (ctx, ranker_tries_clear, &probe);
  plan = rank (ctx, FURL ("tcp:example.com:1234,tcp:93.184.216.34:80"));
  g_assert_false (probe.clear_added);
  g_assert_true (probe.tor_added);
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried",
                             "1 route tor tier=1 anonymous +250 carried",
                             "0 reject revealing",
                             "0 reject revealing",
                             "1 reject revealing",
                             "1 reject revealing"));
  assert_reason (plan, 2, "local DNS");
  assert_reason (plan, 3, "tries such hints only in tier 1");
  assert_reason (plan, 4, "anonymous mode allows only anonymous routes");
  assert_reason (plan, 5, "tries such hints only in tier 1");
  assert_status (plan, 4, "no route: ");
  assert_status (plan, 4, "anonymous mode allows only anonymous routes");
  furlhint_plan_unref (plan);

  /* A plan that claims not to be anonymous is re-checked. */
  furlhint_context_set_ranker (ctx, ranker_not_anonymous, NULL);
  plan = rank (ctx, FURL ("tcp:93.184.216.34:80"));
  g_assert_true (furlhint_plan_is_anonymous (plan));
  assert_plan (plan, EXPECT ("0 reject revealing"));
  furlhint_plan_unref (plan);

  /* Forgotten hints and a missing plan still give every hint an entry. */
  furlhint_context_set_ranker (ctx, ranker_lazy, NULL);
  plan = rank (ctx, FURL ("tcp:example.com:1,tor:" ONION ":1"));
  assert_plan (plan, EXPECT ("0 reject no-route", "1 reject no-route"));
  furlhint_plan_unref (plan);
  furlhint_context_set_ranker (ctx, ranker_lazy, GUINT_TO_POINTER (1));
  plan = rank (ctx, FURL ("tcp:example.com:1"));
  assert_plan (plan, EXPECT ("0 reject no-route"));
  furlhint_plan_unref (plan);

  /* NULL restores the default policy. */
  furlhint_context_set_ranker (ctx, NULL, NULL);
  plan = rank (ctx, FURL ("tcp:example.com:1"));
  assert_plan (plan, EXPECT ("0 route tor tier=1 anonymous +0 carried"));
  furlhint_plan_unref (plan);

  furlhint_context_unref (ctx);
}

/* ---- the plan object ----------------------------------------------------- */

static void
test_plan_api (void)
{
  FurlHintContext *ctx = ctx_from_file ("client1-normal.cfg");
  g_autoptr(GError) error = NULL;
  FurlHintFurl *furl;
  FurlHintPlan *plan, *plan2;

  /* No hints at all. */
  plan = rank (ctx, "pb://" TUB "@/swissnum");
  g_assert_cmpuint (furlhint_plan_get_n_entries (plan), ==, 0);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 0);
  error = furlhint_plan_dup_no_route_error (plan);
  g_assert_error (error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE);
  g_assert_cmpstr (error->message, ==, "no route: the FURL has no connection hints");
  g_clear_error (&error);
  furlhint_plan_unref (plan);

  /* Built by hand; rejections come after routes whatever the order. */
  furl = furlhint_furl_parse (FURL ("tcp:example.com:1,tcp:example.com:2"), &error);
  g_assert_no_error (error);
  plan = furlhint_plan_new (furl, FALSE);
  furlhint_furl_unref (furl);
  furlhint_plan_add_rejection (plan, 0, FURLHINT_POLICY_ERROR_BAD_HINT, "bad hint: %s", "nope");
  {
    FurlHintTarget target = { NULL, };
    FurlHintPlugin *tcp = furlhint_context_find_plugin (ctx, "tcp");

    g_assert_true (furlhint_plugin_parse (tcp, "tcp:example.com:2", FURLHINT_PARSE_NATIVE,
                                          &target, NULL));
    g_assert_true (furlhint_plan_add_route (plan, 1, tcp, &target, 3, FALSE));
  }
  furlhint_plan_finish (plan, 10);
  plan2 = furlhint_plan_ref (plan);
  furlhint_plan_unref (plan);
  assert_plan (plan2, EXPECT ("1 route tcp tier=3 clear +0", "0 reject bad-hint"));
  g_assert_cmpstr (furlhint_plan_get_entry (plan2, 1)->reason, ==, "bad hint: nope");
  g_assert_nonnull (strstr (furlhint_plan_get_entry (plan2, 0)->description, "tier 3"));
  g_assert_null (furlhint_plan_dup_no_route_error (plan2));
  furlhint_plan_unref (plan2);
  furlhint_plan_unref (NULL);

  furlhint_context_unref (ctx);
}

/* ---- invariants over the corpus ------------------------------------------ */

static GPtrArray *
load_corpus_furls (void)
{
  static const gchar *const files[] = { "hints-public.txt", "hints-generated.txt" };
  GPtrArray *furls = g_ptr_array_new_with_free_func ((GDestroyNotify) furlhint_furl_unref);
  guint f;

  for (f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", files[f], NULL);
      g_autofree gchar *contents = NULL;
      g_auto(GStrv) lines = NULL;
      guint i;

      if (!g_file_get_contents (path, &contents, NULL, NULL))
        continue;
      lines = g_strsplit (contents, "\n", -1);
      for (i = 0; lines[i] != NULL; i++)
        {
          g_autofree gchar *lower = NULL;
          g_autofree gchar *text = NULL;
          FurlHintFurl *furl;

          if (lines[i][0] == '\0' || lines[i][0] == '#')
            continue;
          lower = g_ascii_strdown (lines[i], -1);
          if (strstr (lower, "pb://") != NULL)
            text = g_strdup (lines[i]);
          else
            text = g_strdup_printf ("pb://" TUB "@%s/swissnum", lines[i]);
          furl = furlhint_furl_parse (text, NULL);
          if (furl != NULL)
            g_ptr_array_add (furls, furl);
        }
    }

  g_test_message ("%u FURLs from the corpus", furls->len);
  g_assert_cmpuint (furls->len, >, 100);
  return furls;
}

static void
check_invariants (FurlHintContext *ctx,
                  FurlHintFurl *furl,
                  gboolean anonymous)
{
  FurlHintPlan *plan = furlhint_context_rank (ctx, furl, NULL);
  FurlHintPlan *again = furlhint_context_rank (ctx, furl, NULL);
  g_autofree gchar *first = render_plan (plan);
  g_autofree gchar *second = render_plan (again);
  guint n_hints = furlhint_furl_get_n_hints (furl);
  g_autofree gboolean *covered = g_new0 (gboolean, n_hints + 1);
  guint i;

  g_assert_cmpstr (first, ==, second);
  g_assert_cmpint (furlhint_plan_is_anonymous (plan), ==, anonymous);

  for (i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);

      g_assert_cmpuint (e->hint_index, <, n_hints);
      covered[e->hint_index] = TRUE;
      if (e->routed && anonymous)
        {
          const gchar *name = furlhint_plugin_get_name (e->plugin);

          if (e->anon_class != FURLHINT_ANON_ANONYMOUS ||
              g_str_equal (name, "tcp") || g_str_equal (name, "socks"))
            {
              g_autofree gchar *text = furlhint_furl_to_string (furl);
              g_test_message ("revealing route for %s:\n%s", text, first);
              g_assert_not_reached ();
            }
        }
    }
  for (i = 0; i < n_hints; i++)
    g_assert_true (covered[i]);

  furlhint_plan_unref (again);
  furlhint_plan_unref (plan);
}

static const gchar *const anonymous_configs[] = {
  "[node]\nanonymous = true\n",
  "[node]\nreveal-IP-address = false\n[connections]\ntcp = tor\n[tor]\nsocks.port = tcp:127.0.0.1:9050\n",
  "[node]\nanonymous = true\n[connections]\ntor.socks-proxy =\ni2p.sam-api =\n"
  "tcp.socks-proxy = tcp:127.0.0.1:1080\ntcp.tor-fallback = true\n",
  "[node]\nanonymous = true\n[connections]\ntcp = disabled\ni2p.sam-api =\n",
};

static const gchar *const normal_configs[] = {
  "",
  "[connections]\ntor.socks-proxy =\ni2p.sam-api =\ntcp.tor-fallback = true\n",
  "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n",
};

static void
test_invariants (gconstpointer data)
{
  gboolean anonymous = GPOINTER_TO_INT (data);
  const gchar *const *configs = anonymous ? anonymous_configs : normal_configs;
  guint n_configs = anonymous ? G_N_ELEMENTS (anonymous_configs) : G_N_ELEMENTS (normal_configs);
  GPtrArray *furls = load_corpus_furls ();
  GHashTable *overrides = make_overrides ("tcp", "tcp", NULL);
  guint c, i;

  for (c = 0; c < n_configs; c++)
    {
      FurlHintContext *ctx = ctx_from_text (configs[c]);

      for (i = 0; i < furls->len; i++)
        check_invariants (ctx, g_ptr_array_index (furls, i), anonymous);

      /* An override asking for direct TCP changes nothing in anonymous mode. */
      if (anonymous)
        for (i = 0; i < furls->len; i += 7)
          {
            FurlHintRankOptions options = { sizeof options, overrides, 0 };
            FurlHintPlan *plan = furlhint_context_rank (ctx, g_ptr_array_index (furls, i), &options);
            guint j;

            for (j = 0; j < furlhint_plan_get_n_routes (plan); j++)
              g_assert_cmpint (furlhint_plan_get_entry (plan, j)->anon_class, ==,
                               FURLHINT_ANON_ANONYMOUS);
            furlhint_plan_unref (plan);
          }

      furlhint_context_unref (ctx);
    }

  g_hash_table_unref (overrides);
  g_ptr_array_unref (furls);
}

/* fh_hostname_is_canonical() checks without copying, for speed; it must
 * say exactly what fh_hostname_canonicalize() implies: a host is
 * canonical when its canonical form is itself. */
static void
test_hostname_is_canonical (void)
{
  static const gchar *const hosts[] = {
    "", ".", "..", "a", "a.", "a..", ".a", "a..b", "a.b", "A.B", "a.b.",
    "onion", "ONION", "onion.", "i2p", "I2P.", ".onion", "x.onion", "x.onion.",
    "x.onion..", "X.onion", "x.ONION", "x.Onion.", "xonion", "x..onion",
    "abc.b32.i2p", "ABC.b32.i2p", "abc.B32.I2P", "abc.b32.i2p.", "b32.i2p",
    "::1", "[::1]", "2001:DB8::1", "fe80::1%eth0", "a:b.", "Example.COM",
    "example.com.", "x.onion.com", "X.ONION.com", "127.0.0.1", "127.0.0.1.",
    "\xc3\xa9.onion", "\xc3\x89.ONION", "a b.onion", "-x.onion",
    /* Long enough for the capitals to be looked for eight bytes at a
     * time: one in each position of a word, in the tail, none; bytes
     * whose low seven bits are capitals (0xc1, 0xda) are not. */
    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
    "Abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
    "abcdefgHijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
    "abcdefghIjklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.oNion",
    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onioN",
    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwZ.b32.i2p",
    "@[`{abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop.b32.i2p",
    "\xc1\xda\xc1\xda\xc1\xda\xc1\xda\xc1\xda" "abcdefghijklmnop.onion",
    "\xc1\xda\xc1\xda\xc1\xda\xc1\xdaZ\xc1\xda" "abcdefghijklmnop.onion",
    "Example-With-Capitals-Everywhere.Long-Name.COM",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      gchar *canonical = fh_hostname_canonicalize (hosts[i], NULL);
      gboolean expected = canonical != NULL && strcmp (canonical, hosts[i]) == 0;

      g_test_message ("'%s' -> '%s'", hosts[i], canonical != NULL ? canonical : "(refused)");
      g_assert_cmpint (fh_hostname_is_canonical (hosts[i]), ==, expected);
      g_free (canonical);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rank/client1/normal-mixed", test_client1_normal);
  g_test_add_func ("/rank/client1/stagger", test_client1_stagger);
  g_test_add_func ("/rank/client2/onion", test_client2_onion);
  g_test_add_func ("/rank/client2/no-tor", test_client2_no_tor);
  g_test_add_func ("/rank/hints/canonical-names", test_canonical_names);
  g_test_add_func ("/rank/client3/tcp-with-tor", test_client3_tcp_with_tor);
  g_test_add_func ("/rank/client3/tcp-no-tor", test_client3_tcp_no_tor);
  g_test_add_func ("/rank/client3/tor-i2p-tcp", test_client3_mixed);
  g_test_add_func ("/rank/client3/socks-never", test_client3_socks_never);
  g_test_add_func ("/rank/client3/overrides", test_client3_overrides);
  g_test_add_func ("/rank/normal/overrides", test_normal_overrides);
  g_test_add_func ("/rank/server/validate", test_server_validate);
  g_test_add_func ("/rank/connections/tcp-disabled", test_tcp_disabled);
  g_test_add_func ("/rank/connections/tcp-tor", test_tcp_tor);
  g_test_add_func ("/rank/connections/tcp-tor-letter-case", test_tcp_tor_letter_case);
  g_test_add_func ("/rank/connections/anon-carrier-capability", test_anon_carrier_capability);
  g_test_add_func ("/rank/connections/tcp-carrier-unknown", test_tcp_carrier_unknown);
  g_test_add_func ("/rank/connections/tcp-carrier-proxied", test_tcp_carrier_proxied);
  g_test_add_func ("/rank/connections/tor-fallback", test_tor_fallback);
  g_test_add_func ("/rank/plan/many-hints", test_many_hints);
  g_test_add_func ("/rank/connections/socks-proxy", test_socks_proxy);
  g_test_add_func ("/rank/nurl/pb", test_nurl_pb);
  g_test_add_func ("/rank/nurl/pb+tor", test_nurl_tor);
  g_test_add_func ("/rank/nurl/wrong-network", test_nurl_wrong_network);
  g_test_add_func ("/rank/hints/duplicates", test_duplicates);
  g_test_add_func ("/rank/hints/unknown-types", test_unknown_types);
  g_test_add_func ("/rank/hints/lint-ports", test_lint_ports);
  g_test_add_func ("/rank/plugins/only-tcp-loaded", test_only_tcp_loaded);
  g_test_add_func ("/rank/custom-ranker", test_custom_ranker);
  g_test_add_func ("/rank/plan/api", test_plan_api);
  g_test_add_func ("/rank/hostname/is-canonical", test_hostname_is_canonical);
  g_test_add_data_func ("/rank/invariants/anonymous", GINT_TO_POINTER (TRUE), test_invariants);
  g_test_add_data_func ("/rank/invariants/normal", GINT_TO_POINTER (FALSE), test_invariants);

  return g_test_run ();
}
