/* The anonymous-mode matrix (docs/design.md, "Anonymous mode"; what it
 * proves: docs/SECURITY.md, guarantees 1, 2, 4, 5, 10 and 11).
 *
 * Every combination of hint kind × configuration, in anonymous mode:
 *
 *   hint kinds  legacy HOST:PORT, tcp: DNS name, tcp: public IPv4, tcp:
 *               private IPv4, tcp: IPv6, tor: .onion, tor: DNS name,
 *               tcp:X.onion, i2p: b32, tcp:X.i2p — alone and in every
 *               ordered pair — and NURLs pb://, pb+tor://, pb+i2p:// with
 *               the locations each can carry (and some it cannot)
 *   configs     Tor configured or not × I2P configured or not ×
 *               [connections] tcp unset / tor / disabled ×
 *               tcp.socks-proxy set or not × per-peer override none /
 *               {tcp: tcp} / {tcp: tor}
 *
 * For each, the plan is compared with an oracle written here from
 * docs/design.md, "Anonymous mode" (not from core/rank.c): tier 0 = native
 * anonymous routes (tor:, i2p:, tcp: to .onion/.i2p) through configured
 * plugins, in FURL order; tier 1 = public TCP hints carried by Tor, only
 * when Tor is configured; never a clear or proxied route; every other hint
 * a coded refusal.
 *
 * Then, for a representative subset, the plan is executed with
 * furlhint_context_connect_async() in a private network namespace where
 * Tor's SOCKS port (127.0.0.1:9050) and the SAM bridge (127.0.0.1:7656)
 * are FAKES owned by this test: they record every target asked of them
 * and either refuse it ("host unreachable" / CANT_REACH_PEER: the native
 * route fails) or accept it and echo (the route works). A fake is right
 * here: what matters is what is asked of Tor and I2P, in which order; real
 * tor and i2pd are exercised by test-connect-tor, test-tornet and
 * test-connect-i2p. The whole program runs under the leak checker
 * (tests/leakcheck) allowing only those two endpoints: any other connect,
 * any name lookup, any read of the resolver's files is a violation.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>
#include <gio/gio.h>

#include <string.h>

#include "lab.h"
#include "lab-connect.h"
#include "leakcheck/leakcheck.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define NURL_HASH "C8QOQPnbAwOEcX7XH1H3aK1F6Y2gG1RM79S0_i1Rg-Q"
/* Hosts get a variant letter in front so that two hints of one kind in a
 * FURL are different hints (not duplicates). */
#define ONION_TAIL "ww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion"
#define B32_TAIL "keu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"

#define FAKE_TOR_SOCKS_PORT 9050
#define FAKE_SAM_PORT 7656
#define FAKE_TOR_SOCKS "127.0.0.1:9050"
#define FAKE_SAM "127.0.0.1:7656"
#define STAGGER_MS 250
/* In the connect runs: the next route of a tier starts only when the
 * earlier ones failed, so the fakes see a deterministic order. */
#define CONNECT_STAGGER_MS 5000
#define CONNECT_TIMEOUT_MS 15000

/* ---- the matrix's axes --------------------------------------------------- */

typedef enum {
  K_LEGACY,
  K_TCP_DNS,
  K_TCP_V4_PUBLIC,
  K_TCP_V4_PRIVATE,
  K_TCP_V6,
  K_TOR_ONION,
  K_TOR_DNS,
  K_TCP_ONION,
  K_I2P,
  K_TCP_I2P,
  N_FURL_KINDS,
  /* NURLs: one location each */
  K_PB_DNS = N_FURL_KINDS,
  K_PB_V4_PRIVATE,
  K_PB_ONION,
  K_PB_I2P,
  K_PBTOR_ONION,
  K_PBTOR_DNS,
  K_PBTOR_V4_PRIVATE,
  K_PBTOR_ONION_DOT,
  K_PBTOR_I2P,
  K_PBI2P_B32,
  K_PBI2P_B32_PORT,
  K_PBI2P_ONION,
  /* FURLs with one hint, not paired: host names written with a final dot
   * (the DNS root), in upper case, or with empty labels. A target must
   * carry the canonical name ("x.onion", never "x.onion."), and a name
   * that has none is refused. */
  K_FIRST_SINGLE,
  K_DOT_TCP_ONION = K_FIRST_SINGLE,
  K_DOT_TOR_ONION,
  K_UPPER_TCP_ONION,
  K_DOT_TCP_I2P,
  K_DOT_TCP_DNS,
  K_DOT_TOR_DNS,
  K_DOT_TCP_V4_PRIVATE,
  K_DOT_TOR_I2P,
  K_DOTDOT_TCP_ONION,
  K_DOTDOT_TOR_ONION,
  K_DOT_ONION_ALONE,
  N_KINDS
} Kind;

static const gchar *const kind_names[N_KINDS] = {
  "legacy", "tcp-dns", "tcp-ipv4-public", "tcp-ipv4-private", "tcp-ipv6",
  "tor-onion", "tor-dns", "tcp-onion", "i2p-b32", "tcp-i2p",
  "pb-dns", "pb-ipv4-private", "pb-onion", "pb-i2p",
  "pb+tor-onion", "pb+tor-dns", "pb+tor-ipv4-private", "pb+tor-onion-dot", "pb+tor-i2p",
  "pb+i2p-b32", "pb+i2p-b32-port", "pb+i2p-onion",
  "tcp-onion-dot", "tor-onion-dot", "tcp-onion-upper", "tcp-i2p-dot", "tcp-dns-dot",
  "tor-dns-dot", "tcp-ipv4-private-dot", "tor-i2p-dot", "tcp-onion-dotdot",
  "tor-onion-dotdot", "tcp-dot-onion",
};

typedef enum { TCP_UNSET, TCP_TOR, TCP_DISABLED, N_TCP } TcpSetting;
typedef enum { OV_NONE, OV_TCP_TCP, OV_TCP_TOR, N_OV } Override;

static const gchar *const tcp_names[N_TCP] = { "unset", "tor", "disabled" };
static const gchar *const ov_names[N_OV] = { "none", "tcp:tcp", "tcp:tor" };

typedef struct {
  gboolean tor;           /* [connections] tor.socks-proxy = the fake */
  gboolean i2p;           /* [connections] i2p.sam-api = the fake */
  TcpSetting tcp;
  gboolean socks;         /* [connections] tcp.socks-proxy set */
  Override ov;
} Config;

#define N_CONFIGS (2 * 2 * N_TCP * 2 * N_OV)

static Config
config_nth (guint n)
{
  Config c;

  c.ov = n % N_OV;
  n /= N_OV;
  c.socks = n % 2;
  n /= 2;
  c.tcp = n % N_TCP;
  n /= N_TCP;
  c.i2p = n % 2;
  n /= 2;
  c.tor = n % 2;
  return c;
}

static gchar *
config_describe (const Config *c)
{
  return g_strdup_printf ("tor=%s i2p=%s tcp=%s socks-proxy=%s override=%s",
                          c->tor ? "yes" : "no", c->i2p ? "yes" : "no",
                          tcp_names[c->tcp], c->socks ? "yes" : "no", ov_names[c->ov]);
}

static gchar *
config_text (const Config *c)
{
  GString *s = g_string_new ("[node]\nanonymous = true\n[connections]\n");

  if (c->tor)
    g_string_append (s, "tor.socks-proxy = tcp:" FAKE_TOR_SOCKS "\n");
  if (c->i2p)
    g_string_append (s, "i2p.sam-api = tcp:" FAKE_SAM "\n");
  if (c->tcp == TCP_TOR)
    g_string_append (s, "tcp = tor\n");
  else if (c->tcp == TCP_DISABLED)
    g_string_append (s, "tcp = disabled\n");
  /* Nothing listens there: using it at all would be a leak-checker
   * violation (and, without the checker, a refused connect). */
  if (c->socks)
    g_string_append (s, "tcp.socks-proxy = tcp:127.0.0.1:1080\n");
  return g_string_free (s, FALSE);
}

/* Tor counts as configured when asked for: tor.socks-proxy, or tcp = tor
 * (which, without tor.socks-proxy, means Tor's default port 9050: the same
 * fake). */
static gboolean
config_has_tor (const Config *c)
{
  return c->tor || c->tcp == TCP_TOR;
}

/* ---- hints --------------------------------------------------------------- */

typedef struct {
  gchar *text;            /* as written in the FURL */
  gchar *host;            /* the target host a route must have (canonical) */
  guint16 port;
} HintSpec;

/* @host as the FURL writes it for kind @k: a final dot, "..", upper case,
 * or as it is. */
static gchar *
written_host (Kind k, const gchar *host)
{
  switch (k)
    {
    case K_PBTOR_ONION_DOT:
    case K_DOT_TCP_ONION:
    case K_DOT_TOR_ONION:
    case K_DOT_TCP_I2P:
    case K_DOT_TCP_DNS:
    case K_DOT_TOR_DNS:
    case K_DOT_TCP_V4_PRIVATE:
    case K_DOT_TOR_I2P:
      return g_strconcat (host, ".", NULL);
    case K_DOTDOT_TCP_ONION:
    case K_DOTDOT_TOR_ONION:
      return g_strconcat (host, "..", NULL);
    case K_UPPER_TCP_ONION:
      return g_ascii_strup (host, -1);
    default:
      return g_strdup (host);
    }
}

static void
hint_spec_clear (HintSpec *h)
{
  g_free (h->text);
  g_free (h->host);
}

/* Kind @k with variant @v (a letter in the host) → text and target. */
static void
hint_spec_make (Kind k, guint v, HintSpec *h)
{
  gchar letter = (gchar) ('a' + v);
  gchar *written;

  h->text = NULL;
  h->host = NULL;
  h->port = 0;
  switch (k)
    {
    case K_LEGACY:
      h->host = g_strdup_printf ("%c.legacy.example", letter);
      h->port = 1234;
      h->text = g_strdup_printf ("%s:%u", h->host, h->port);
      break;
    case K_TCP_DNS:
    case K_PB_DNS:
    case K_PBTOR_DNS:
    case K_DOT_TCP_DNS:
      h->host = g_strdup_printf ("%c.example.com", letter);
      h->port = 443;
      break;
    case K_TCP_V4_PUBLIC:
      h->host = g_strdup_printf ("93.184.216.%u", 34 + v);
      h->port = 80;
      break;
    case K_TCP_V4_PRIVATE:
    case K_PB_V4_PRIVATE:
    case K_PBTOR_V4_PRIVATE:
    case K_DOT_TCP_V4_PRIVATE:
      h->host = g_strdup_printf ("10.0.0.%u", 1 + v);
      h->port = 1234;
      break;
    case K_TCP_V6:
      h->host = g_strdup_printf ("2001:db8::%x", 1 + v);
      h->port = 1234;
      h->text = g_strdup_printf ("tcp:[%s]:%u", h->host, h->port);
      break;
    case K_TOR_ONION:
    case K_TCP_ONION:
    case K_PB_ONION:
    case K_PBTOR_ONION:
    case K_PBI2P_ONION:
    case K_PBTOR_ONION_DOT:
    case K_DOT_TCP_ONION:
    case K_DOT_TOR_ONION:
    case K_UPPER_TCP_ONION:
    case K_DOTDOT_TCP_ONION:
    case K_DOTDOT_TOR_ONION:
      h->host = g_strdup_printf ("%c" ONION_TAIL, letter);
      h->port = 3457;
      break;
    case K_DOT_ONION_ALONE:
      h->host = g_strdup (".onion");
      h->port = 3457;
      h->text = g_strdup ("tcp:.onion:3457");
      break;
    case K_TOR_DNS:
    case K_DOT_TOR_DNS:
      h->host = g_strdup_printf ("%c.tor.example", letter);
      h->port = 3457;
      break;
    case K_I2P:
    case K_PBI2P_B32:
      h->host = g_strdup_printf ("%c" B32_TAIL, letter);
      break;
    case K_TCP_I2P:
    case K_PB_I2P:
    case K_PBTOR_I2P:
    case K_PBI2P_B32_PORT:
    case K_DOT_TCP_I2P:
    case K_DOT_TOR_I2P:
      h->host = g_strdup_printf ("%c" B32_TAIL, letter);
      h->port = 80;
      break;
    case N_KINDS:
    default:
      g_assert_not_reached ();
    }

  if (h->text != NULL)
    return;
  written = written_host (k, h->host);
  switch (k)
    {
    case K_TOR_ONION:
    case K_TOR_DNS:
    case K_DOT_TOR_ONION:
    case K_DOT_TOR_DNS:
    case K_DOT_TOR_I2P:
    case K_DOTDOT_TOR_ONION:
      h->text = g_strdup_printf ("tor:%s:%u", written, h->port);
      break;
    case K_I2P:
      h->text = g_strdup_printf ("i2p:%s", written);
      break;
    default:
      if (k < N_FURL_KINDS || k >= K_FIRST_SINGLE)
        h->text = g_strdup_printf ("tcp:%s:%u", written, h->port);
      else if (h->port != 0)
        h->text = g_strdup_printf ("%s:%u", written, h->port);
      else
        h->text = g_strdup (written);
      break;
    }
  g_free (written);
}

/* ---- the oracle (docs/design.md, "Anonymous mode") ----------------------- */

#define CODE_BIT(c) (1u << (c))

typedef struct {
  gboolean routed;
  const gchar *plugin;    /* "tor" or "i2p": nothing else is anonymous */
  guint tier;
  gboolean carried;
  guint codes;            /* rejections: acceptable FURLHINT_POLICY_ERROR bits */
} Expect;

static Expect
route (const gchar *plugin, guint tier, gboolean carried)
{
  Expect e = { TRUE, plugin, tier, carried, 0 };
  return e;
}

static Expect
reject (guint codes)
{
  Expect e = { FALSE, NULL, 0, FALSE, codes };
  return e;
}

/* A tcp: hint to a host that is not .onion/.i2p. Tor refuses to carry
 * IPv6 and non-public IPv4 (Foolscap's tor regex and is_non_public check)
 * when asked to: that is the plugin's refusal, a bad hint. */
static Expect
oracle_public_tcp (const Config *c, gboolean torable)
{
  /* An explicit request for a clear route is refused, not rerouted. */
  if (c->ov == OV_TCP_TCP)
    return reject (CODE_BIT (FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED));
  if (c->ov == OV_NONE && c->tcp == TCP_DISABLED)
    return reject (CODE_BIT (FURLHINT_POLICY_ERROR_TCP_DISABLED));
  /* Tier 1 only with Tor; the SOCKS proxy is never an option. */
  if (!config_has_tor (c))
    return reject (CODE_BIT (FURLHINT_POLICY_ERROR_REVEALING));
  if (!torable)
    return reject (CODE_BIT (FURLHINT_POLICY_ERROR_BAD_HINT));
  return route ("tor", FURLHINT_TIER_TOR_FALLBACK, TRUE);
}

static Expect
oracle_native (gboolean configured,
               const gchar *plugin)
{
  if (!configured)
    return reject (CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED));
  return route (plugin, FURLHINT_TIER_NATIVE, FALSE);
}

static Expect
oracle (const Config *c, Kind k)
{
  gboolean tor = config_has_tor (c);

  switch (k)
    {
    case K_LEGACY:
    case K_TCP_DNS:
    case K_TCP_V4_PUBLIC:
    case K_PB_DNS:
      return oracle_public_tcp (c, TRUE);
    case K_TCP_V4_PRIVATE:
    case K_TCP_V6:
    case K_PB_V4_PRIVATE:
      return oracle_public_tcp (c, FALSE);
    /* Native anonymous hints: tcp settings and tcp overrides do not apply
     * (a .onion/.i2p name is never a TCP route). */
    case K_TOR_ONION:
    case K_TOR_DNS:
    case K_TCP_ONION:
    case K_PB_ONION:
    case K_PBTOR_ONION:
    case K_PBTOR_DNS:
    case K_PBTOR_ONION_DOT:
    case K_DOT_TCP_ONION:
    case K_DOT_TOR_ONION:
    case K_UPPER_TCP_ONION:
    case K_DOT_TOR_DNS:
      return oracle_native (tor, "tor");
    case K_I2P:
    case K_TCP_I2P:
    case K_PB_I2P:
    case K_PBI2P_B32:
    case K_PBI2P_B32_PORT:
    case K_DOT_TCP_I2P:
      return oracle_native (c->i2p, "i2p");
    case K_DOT_TCP_DNS:
      return oracle_public_tcp (c, TRUE);
    case K_DOT_TCP_V4_PRIVATE:
      return oracle_public_tcp (c, FALSE);
    /* The name is the I2P router's, not Tor's, dot or no dot. */
    case K_DOT_TOR_I2P:
      return reject (tor ? CODE_BIT (FURLHINT_POLICY_ERROR_WRONG_NETWORK)
                         : CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED));
    /* No canonical form: refused whatever the configuration (a tor: hint
     * is first found not configured when Tor is not). */
    case K_DOTDOT_TCP_ONION:
    case K_DOT_ONION_ALONE:
      return reject (CODE_BIT (FURLHINT_POLICY_ERROR_BAD_HINT));
    case K_DOTDOT_TOR_ONION:
      return reject (tor ? CODE_BIT (FURLHINT_POLICY_ERROR_BAD_HINT)
                         : CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED));
    /* A pb+tor:// NURL only over Tor, pb+i2p:// only over I2P: the other
     * network's names and non-Tor-able addresses are refused. Which
     * refusal comes first when the network is not configured either is
     * not fixed by the policy (docs/design.md, "NURLs"). */
    case K_PBTOR_V4_PRIVATE:
      return reject (CODE_BIT (FURLHINT_POLICY_ERROR_BAD_HINT) |
                     (tor ? 0 : CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED)));
    case K_PBTOR_I2P:
      return reject (CODE_BIT (FURLHINT_POLICY_ERROR_WRONG_NETWORK) |
                     (tor ? 0 : CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED)));
    case K_PBI2P_ONION:
      return reject (CODE_BIT (FURLHINT_POLICY_ERROR_WRONG_NETWORK) |
                     (c->i2p ? 0 : CODE_BIT (FURLHINT_POLICY_ERROR_NOT_CONFIGURED)));
    case N_KINDS:
    default:
      g_assert_not_reached ();
    }
  return reject (0);
}

/* ---- cases: a FURL made of hint kinds ------------------------------------ */

typedef struct {
  guint n;
  Kind kinds[2];
  HintSpec hints[2];
  gchar *furl;
} Case;

static void
case_clear (Case *cs)
{
  for (guint i = 0; i < cs->n; i++)
    hint_spec_clear (&cs->hints[i]);
  g_free (cs->furl);
}

static void
case_make (Case *cs, guint n, const Kind *kinds)
{
  memset (cs, 0, sizeof *cs);
  cs->n = n;
  for (guint i = 0; i < n; i++)
    {
      cs->kinds[i] = kinds[i];
      hint_spec_make (kinds[i], i, &cs->hints[i]);
    }

  if (kinds[0] >= N_FURL_KINDS && kinds[0] < K_FIRST_SINGLE)
    {
      const gchar *scheme = "pb";

      g_assert_cmpuint (n, ==, 1);
      if (kinds[0] >= K_PBTOR_ONION && kinds[0] <= K_PBTOR_I2P)
        scheme = "pb+tor";
      else if (kinds[0] >= K_PBI2P_B32)
        scheme = "pb+i2p";
      cs->furl = g_strdup_printf ("%s://" NURL_HASH "@%s/swissnum#v=1", scheme,
                                  cs->hints[0].text);
    }
  else if (n == 1)
    cs->furl = g_strdup_printf ("pb://" TUB "@%s/swissnum", cs->hints[0].text);
  else
    cs->furl = g_strdup_printf ("pb://" TUB "@%s,%s/swissnum", cs->hints[0].text,
                                cs->hints[1].text);
}

/* Every case: each FURL kind alone, every ordered pair, each NURL. */
static GArray *
all_cases (void)
{
  GArray *cases = g_array_new (FALSE, FALSE, sizeof (Case));
  Case cs;

  g_array_set_clear_func (cases, (GDestroyNotify) case_clear);
  for (guint a = 0; a < N_KINDS; a++)
    {
      Kind k[1] = { a };

      case_make (&cs, 1, k);
      g_array_append_val (cases, cs);
    }
  for (guint a = 0; a < N_FURL_KINDS; a++)
    for (guint b = 0; b < N_FURL_KINDS; b++)
      {
        Kind k[2] = { a, b };

        case_make (&cs, 2, k);
        g_array_append_val (cases, cs);
      }
  return cases;
}

/* ---- contexts ------------------------------------------------------------ */

/* tcp.socks-proxy says how TCP hints go, so does tcp = tor/disabled: the
 * two together are a contradiction the node must refuse to start with
 * (a coded config error naming both keys), not resolve silently. */
static gboolean
config_is_contradictory (const Config *c)
{
  return c->socks && c->tcp != TCP_UNSET;
}

/* NULL for a contradictory config, after checking the refusal. */
static FurlHintContext *
context_for (const Config *c)
{
  g_autofree gchar *text = config_text (c);
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;
  FurlHintContext *ctx;
  GPtrArray *errors;

  config = furlhint_config_load_data (text, -1, "tahoe.cfg", &error);
  if (config_is_contradictory (c))
    {
      g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT);
      g_assert_null (config);
      g_assert_nonnull (strstr (error->message, "tcp.socks-proxy"));
      g_assert_nonnull (strstr (error->message, c->tcp == TCP_TOR ? "tcp = \"tor\"" : "tcp = \"disabled\""));
      return NULL;
    }
  g_assert_no_error (error);
  g_assert_true (furlhint_config_get_anonymous (config));
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 4);
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 0);

  /* The configuration axes mean what the oracle thinks they mean. */
  g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "tor")),
                   ==, config_has_tor (c));
  g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "i2p")),
                   ==, c->i2p);
  g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "socks")),
                   ==, c->socks);
  return ctx;
}

static GHashTable *
overrides_for (const Config *c)
{
  GHashTable *ov;

  if (c->ov == OV_NONE)
    return NULL;
  ov = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (ov, (gpointer) "tcp", (gpointer) (c->ov == OV_TCP_TCP ? "tcp" : "tor"));
  return ov;
}

/* ---- the plan against the oracle ----------------------------------------- */

/* Whether @cs cannot even be parsed: a pb+tor:// NURL cannot name an
 * IPv6 address (none of our kinds does), so every case parses. */

/* The routes the oracle expects, in start order (tier, then FURL order;
 * every route is anonymous, so class does not reorder). Returns the
 * number; @order gets hint indexes. */
static guint
expected_routes (const Config *c, const Case *cs, guint *order)
{
  guint n = 0;

  for (guint tier = 0; tier < 2; tier++)
    for (guint i = 0; i < cs->n; i++)
      {
        Expect e = oracle (c, cs->kinds[i]);

        if (e.routed && e.tier == tier)
          order[n++] = i;
      }
  return n;
}

/* "tcp-dns,tor-onion" (transfer full) */
static gchar *
case_kinds (const Case *cs)
{
  if (cs->n == 0)
    return g_strdup ("mixed");
  if (cs->n == 1)
    return g_strdup (kind_names[cs->kinds[0]]);
  return g_strconcat (kind_names[cs->kinds[0]], ",", kind_names[cs->kinds[1]], NULL);
}

#define FAIL_CASE(...) \
  g_error ("%s | %s (%s): %s", cfg_desc, cs->furl, case_kinds (cs), g_strdup_printf (__VA_ARGS__))

static void
check_plan (const Config *c, const gchar *cfg_desc, const Case *cs, FurlHintPlan *plan)
{
  guint order[2];
  guint n_expected = expected_routes (c, cs, order);
  guint n_entries = furlhint_plan_get_n_entries (plan);
  guint n_routes = furlhint_plan_get_n_routes (plan);
  gboolean seen_reject[2] = { FALSE, FALSE };
  guint tier_pos[2] = { 0, 0 };

  if (!furlhint_plan_is_anonymous (plan))
    FAIL_CASE ("plan is not anonymous");
  if (n_routes != n_expected)
    FAIL_CASE ("%u routes, the oracle expects %u", n_routes, n_expected);

  /* Routes, in the oracle's order, with the oracle's plugin, tier, target. */
  for (guint r = 0; r < n_routes; r++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, r);
      const HintSpec *h = &cs->hints[order[r]];
      Expect x = oracle (c, cs->kinds[order[r]]);

      if (!e->routed)
        FAIL_CASE ("entry %u is a rejection before a route", r);
      if (e->hint_index != order[r])
        FAIL_CASE ("route %u is hint %u, the oracle expects hint %u", r, e->hint_index, order[r]);
      if (e->anon_class != FURLHINT_ANON_ANONYMOUS)
        FAIL_CASE ("route %u is not anonymous (%s)", r, furlhint_anon_class_name (e->anon_class));
      if (g_strcmp0 (furlhint_plugin_get_name (e->plugin), x.plugin) != 0)
        FAIL_CASE ("route %u via '%s', the oracle expects '%s'", r,
                   furlhint_plugin_get_name (e->plugin), x.plugin);
      if (e->tier != x.tier || e->carried != x.carried)
        FAIL_CASE ("route %u tier %u carried %d, the oracle expects tier %u carried %d", r,
                   e->tier, e->carried, x.tier, x.carried);
      if (g_strcmp0 (e->target.host, h->host) != 0 || e->target.port != h->port)
        FAIL_CASE ("route %u target %s:%u, the oracle expects %s:%u", r,
                   e->target.host, e->target.port, h->host, h->port);
      if (e->delay_ms != tier_pos[e->tier] * STAGGER_MS)
        FAIL_CASE ("route %u starts at +%u ms, expected +%u", r, e->delay_ms,
                   tier_pos[e->tier] * STAGGER_MS);
      tier_pos[e->tier]++;
      if (e->code != 0 || e->reason != NULL)
        FAIL_CASE ("route %u has a rejection code or reason", r);
    }

  /* Rejections: every other hint exactly once, with an accepted code and a
   * reason. */
  for (guint r = n_routes; r < n_entries; r++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, r);
      Expect x;

      if (e->routed)
        FAIL_CASE ("entry %u: a route after the rejections", r);
      if (e->hint_index >= cs->n || seen_reject[e->hint_index])
        FAIL_CASE ("entry %u: hint %u rejected twice or out of range", r, e->hint_index);
      seen_reject[e->hint_index] = TRUE;
      x = oracle (c, cs->kinds[e->hint_index]);
      if (x.routed)
        FAIL_CASE ("hint %u rejected (%s: %s), the oracle expects a route", e->hint_index,
                   furlhint_policy_error_code_name (e->code), e->reason);
      if ((CODE_BIT (e->code) & x.codes) == 0)
        FAIL_CASE ("hint %u rejected with %s (%s); the oracle accepts another code",
                   e->hint_index, furlhint_policy_error_code_name (e->code), e->reason);
      if (e->reason == NULL || *e->reason == '\0')
        FAIL_CASE ("hint %u rejected without a reason", e->hint_index);
    }
  for (guint i = 0; i < cs->n; i++)
    if (!oracle (c, cs->kinds[i]).routed && !seen_reject[i])
      FAIL_CASE ("hint %u has no rejection entry", i);
  if (n_entries != n_routes + (cs->n - (n_expected)))
    FAIL_CASE ("%u entries for %u hints and %u routes", n_entries, cs->n, n_routes);

  if (n_routes == 0)
    {
      g_autoptr(GError) error = furlhint_plan_dup_no_route_error (plan);

      if (error == NULL || !g_error_matches (error, FURLHINT_POLICY_ERROR,
                                             FURLHINT_POLICY_ERROR_NO_ROUTE))
        FAIL_CASE ("no route, but no NO_ROUTE error");
      if (!g_str_has_prefix (error->message, "no route: "))
        FAIL_CASE ("no-route message: %s", error->message);
    }
}

static guint matrix_size;
static guint n_refused_configs;

static void
test_plan_matrix (void)
{
  g_autoptr(GArray) cases = all_cases ();
  guint n = 0;

  for (guint ci = 0; ci < N_CONFIGS; ci++)
    {
      Config c = config_nth (ci);
      g_autofree gchar *desc = config_describe (&c);
      FurlHintContext *ctx = context_for (&c);
      GHashTable *ov;
      FurlHintRankOptions options = { sizeof options, };

      if (ctx == NULL)
        {
          /* Every FURL is refused with the node's configuration. */
          n += cases->len;
          n_refused_configs++;
          continue;
        }
      ov = overrides_for (&c);
      options.overrides = ov;
      options.stagger_ms = STAGGER_MS;
      for (guint i = 0; i < cases->len; i++)
        {
          Case *cs = &g_array_index (cases, Case, i);
          g_autoptr(GError) error = NULL;
          FurlHintFurl *furl = furlhint_furl_parse (cs->furl, &error);
          FurlHintPlan *plan;

          g_assert_no_error (error);
          plan = furlhint_context_rank (ctx, furl, &options);
          check_plan (&c, desc, cs, plan);
          furlhint_plan_unref (plan);
          furlhint_furl_unref (furl);
          n++;
        }
      g_clear_pointer (&ov, g_hash_table_unref);
      furlhint_context_unref (ctx);
    }

  matrix_size = n;
  g_test_message ("anonymous-mode matrix: %u configurations (%u refused as contradictory) "
                  "x %u FURLs = %u cases", (guint) N_CONFIGS, n_refused_configs, cases->len, n);
  g_assert_cmpuint (n, ==, N_CONFIGS * (N_KINDS + N_FURL_KINDS * N_FURL_KINDS));
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
}

/* ---- the fake Tor SOCKS port and the fake SAM bridge --------------------- */

/* Both fakes run on threads of their own with blocking sockets (short
 * timeouts), so that they never depend on the main loop the connector
 * runs on. */
typedef struct {
  GMutex lock;
  GPtrArray *requests;        /* (lock) "tor:HOST:PORT", "i2p:DEST", "other:..." */
  GPtrArray *clients;         /* (lock) GSocket */
  GPtrArray *threads;         /* (lock) GThread */
  gint works;                 /* atomic: accept requests (echo) or refuse */
  gint stop;                  /* atomic */
  GSocket *socks_listener;
  GSocket *sam_listener;
  GThread *socks_thread;
  GThread *sam_thread;
} Fakes;

static Fakes fakes;

static void
fakes_record (const gchar *text)
{
  g_mutex_lock (&fakes.lock);
  g_ptr_array_add (fakes.requests, g_strdup (text));
  g_mutex_unlock (&fakes.lock);
}

static gboolean
sock_read_exact (GSocket *s, guint8 *buf, gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = g_socket_receive (s, (gchar *) buf + got, len - got, NULL, NULL);

      if (n <= 0)
        return FALSE;
      got += (gsize) n;
    }
  return TRUE;
}

static gboolean
sock_write_all (GSocket *s, const void *buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = g_socket_send (s, (const gchar *) buf + done, len - done, NULL, NULL);

      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

static void
sock_echo (GSocket *s)
{
  gchar buf[512];
  gssize n;

  while ((n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
    if (!sock_write_all (s, buf, (gsize) n))
      break;
}

/* A minimal SOCKS5 server (RFC 1928/1929) that records CONNECT targets. */
static void
serve_socks (GSocket *s)
{
  guint8 head[4], methods[255], buf[300];
  guint16 port;
  gchar *host = NULL;
  gchar *record;
  gboolean userpass = FALSE;

  if (!sock_read_exact (s, head, 2) || head[0] != 5 || head[1] == 0 ||
      !sock_read_exact (s, methods, head[1]))
    {
      fakes_record ("other:socks greeting");
      return;
    }
  for (guint i = 0; i < head[1]; i++)
    if (methods[i] == 2)
      userpass = TRUE;
  if (!sock_write_all (s, userpass ? "\x05\x02" : "\x05\x00", 2))
    return;
  if (userpass)
    {
      if (!sock_read_exact (s, buf, 2) || !sock_read_exact (s, buf + 2, buf[1]) ||
          !sock_read_exact (s, head, 1) || !sock_read_exact (s, buf, head[0]) ||
          !sock_write_all (s, "\x01\x00", 2))
        {
          fakes_record ("other:socks auth");
          return;
        }
    }

  if (!sock_read_exact (s, head, 4) || head[0] != 5 || head[1] != 1)
    {
      fakes_record ("other:socks request");
      return;
    }
  switch (head[3])
    {
    case 1:
      if (!sock_read_exact (s, buf, 4))
        return;
      host = g_strdup_printf ("%u.%u.%u.%u", buf[0], buf[1], buf[2], buf[3]);
      break;
    case 3:
      if (!sock_read_exact (s, head, 1) || !sock_read_exact (s, buf, head[0]))
        return;
      host = g_strndup ((const gchar *) buf, head[0]);
      break;
    default:
      /* IPv6 or garbage: Tor is never asked for an IPv6 literal here. */
      fakes_record ("other:socks atyp");
      return;
    }
  if (!sock_read_exact (s, buf, 2))
    {
      g_free (host);
      return;
    }
  port = (guint16) ((buf[0] << 8) | buf[1]);
  record = g_strdup_printf ("tor:%s:%u", host, port);
  fakes_record (record);
  g_free (record);
  g_free (host);

  if (g_atomic_int_get (&fakes.works))
    {
      if (sock_write_all (s, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10))
        sock_echo (s);
    }
  else
    sock_write_all (s, "\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00", 10);
}

static gchar *
sock_read_line (GSocket *s)
{
  GString *line = g_string_new (NULL);
  gchar ch;

  while (line->len < 4096)
    {
      if (g_socket_receive (s, &ch, 1, NULL, NULL) != 1)
        {
          g_string_free (line, TRUE);
          return NULL;
        }
      if (ch == '\n')
        return g_string_free (line, FALSE);
      g_string_append_c (line, ch);
    }
  g_string_free (line, TRUE);
  return NULL;
}

/* A minimal SAM v3.1 bridge: HELLO, SESSION CREATE, STREAM CONNECT. */
static void
serve_sam (GSocket *s)
{
  gchar *line;

  while ((line = sock_read_line (s)) != NULL)
    {
      if (g_str_has_prefix (line, "HELLO VERSION"))
        sock_write_all (s, "HELLO REPLY RESULT=OK VERSION=3.1\n", 34);
      else if (g_str_has_prefix (line, "SESSION CREATE "))
        {
          g_autofree gchar *dest = g_strnfill (516, 'A');
          g_autofree gchar *reply = g_strdup_printf ("SESSION STATUS RESULT=OK DESTINATION=%s\n", dest);

          sock_write_all (s, reply, strlen (reply));
        }
      else if (g_str_has_prefix (line, "STREAM CONNECT "))
        {
          const gchar *d = strstr (line, " DESTINATION=");
          g_autofree gchar *dest = d != NULL ? g_strndup (d + 13, strcspn (d + 13, " ")) : g_strdup ("?");
          g_autofree gchar *record = g_strdup_printf ("i2p:%s", dest);

          fakes_record (record);
          g_free (line);
          if (g_atomic_int_get (&fakes.works))
            {
              if (sock_write_all (s, "STREAM STATUS RESULT=OK\n", 24))
                sock_echo (s);
            }
          else
            sock_write_all (s, "STREAM STATUS RESULT=CANT_REACH_PEER\n", 37);
          return;
        }
      else
        {
          g_autofree gchar *record = g_strdup_printf ("other:sam %s", line);

          fakes_record (record);
          g_free (line);
          return;
        }
      g_free (line);
    }
}

typedef struct {
  GSocket *client;
  gboolean sam;
} ClientJob;

static gpointer
client_thread (gpointer data)
{
  ClientJob *job = data;

  if (job->sam)
    serve_sam (job->client);
  else
    serve_socks (job->client);
  g_socket_close (job->client, NULL);
  g_free (job);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  GSocket *listener = data;
  gboolean sam = listener == fakes.sam_listener;

  while (!g_atomic_int_get (&fakes.stop))
    {
      GSocket *client;
      ClientJob *job;

      if (!g_socket_condition_timed_wait (listener, G_IO_IN, 50000, NULL, NULL))
        continue;
      client = g_socket_accept (listener, NULL, NULL);
      if (client == NULL)
        continue;
      g_socket_set_blocking (client, TRUE);
      g_socket_set_timeout (client, 20);
      job = g_new0 (ClientJob, 1);
      job->client = client;
      job->sam = sam;
      g_mutex_lock (&fakes.lock);
      g_ptr_array_add (fakes.clients, client);
      g_ptr_array_add (fakes.threads, g_thread_new ("fake-client", client_thread, job));
      g_mutex_unlock (&fakes.lock);
    }
  return NULL;
}

static GSocket *
listen_on (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (s, FALSE);
  if (!g_socket_bind (s, addr, TRUE, &error) || !g_socket_listen (s, &error))
    {
      g_test_message ("cannot listen on 127.0.0.1:%u: %s", port, error->message);
      g_object_unref (s);
      return NULL;
    }
  return s;
}

static gboolean
fakes_start (void)
{
  g_mutex_init (&fakes.lock);
  fakes.requests = g_ptr_array_new_with_free_func (g_free);
  fakes.clients = g_ptr_array_new_with_free_func (g_object_unref);
  fakes.threads = g_ptr_array_new ();
  fakes.socks_listener = listen_on (FAKE_TOR_SOCKS_PORT);
  fakes.sam_listener = listen_on (FAKE_SAM_PORT);
  if (fakes.socks_listener == NULL || fakes.sam_listener == NULL)
    return FALSE;
  fakes.socks_thread = g_thread_new ("fake-tor-socks", accept_thread, fakes.socks_listener);
  fakes.sam_thread = g_thread_new ("fake-sam", accept_thread, fakes.sam_listener);
  return TRUE;
}

/* Wakes and joins every client thread (the library closed its end, or
 * the shutdown ends a read). */
static void
fakes_reap_clients (void)
{
  GPtrArray *threads, *clients;

  g_mutex_lock (&fakes.lock);
  threads = g_steal_pointer (&fakes.threads);
  clients = g_steal_pointer (&fakes.clients);
  fakes.threads = g_ptr_array_new ();
  fakes.clients = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&fakes.lock);

  for (guint i = 0; i < clients->len; i++)
    g_socket_shutdown (g_ptr_array_index (clients, i), TRUE, TRUE, NULL);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (g_ptr_array_index (threads, i));
  g_ptr_array_unref (threads);
  g_ptr_array_unref (clients);
}

static void
fakes_stop (void)
{
  g_atomic_int_set (&fakes.stop, 1);
  if (fakes.socks_thread != NULL)
    g_thread_join (fakes.socks_thread);
  if (fakes.sam_thread != NULL)
    g_thread_join (fakes.sam_thread);
  fakes_reap_clients ();
  g_clear_object (&fakes.socks_listener);
  g_clear_object (&fakes.sam_listener);
  g_ptr_array_unref (fakes.requests);
  g_ptr_array_unref (fakes.clients);
  g_ptr_array_unref (fakes.threads);
}

static gchar *
fakes_take_requests (void)
{
  GString *s = g_string_new (NULL);

  g_mutex_lock (&fakes.lock);
  for (guint i = 0; i < fakes.requests->len; i++)
    {
      if (s->len > 0)
        g_string_append (s, " ");
      g_string_append (s, g_ptr_array_index (fakes.requests, i));
    }
  g_ptr_array_set_size (fakes.requests, 0);
  g_mutex_unlock (&fakes.lock);
  return g_string_free (s, FALSE);
}

/* ---- connecting: what is asked of Tor and I2P, in which order ------------ */

static gboolean fakes_ok;
static guint n_connects;

/* Connects to @cs under @c with every native route failing (@works FALSE)
 * or the fakes accepting (@works TRUE), and compares the targets the
 * fakes saw with the oracle's routes. */
static void
run_connect (const Config *c, const Case *cs, gboolean works)
{
  g_autofree gchar *desc = config_describe (c);
  const gchar *cfg_desc = desc;
  FurlHintContext *ctx = context_for (c);
  GHashTable *ov = overrides_for (c);
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  g_autoptr(GError) error = NULL;
  g_autofree gchar *seen = NULL;
  GString *want = g_string_new (NULL);
  FurlHintFurl *furl;
  guint order[2], n_expected, fds_before;
  FurlHintConnectResult *result;
  GError *connect_error = NULL;

  fds_before = lab_count_open_fds ();
  g_atomic_int_set (&fakes.works, works);
  g_free (fakes_take_requests ());

  n_expected = expected_routes (c, cs, order);
  for (guint r = 0; r < n_expected && (r == 0 || !works); r++)
    {
      const HintSpec *h = &cs->hints[order[r]];
      Expect x = oracle (c, cs->kinds[order[r]]);

      if (want->len > 0)
        g_string_append (want, " ");
      if (g_str_equal (x.plugin, "tor"))
        g_string_append_printf (want, "tor:%s:%u", h->host, h->port);
      else
        g_string_append_printf (want, "i2p:%s", h->host);
    }

  furl = furlhint_furl_parse (cs->furl, &error);
  g_assert_no_error (error);
  options.rank.overrides = ov;
  options.rank.stagger_ms = CONNECT_STAGGER_MS;
  options.timeout_ms = CONNECT_TIMEOUT_MS;
  result = lab_connect_wait (lab_connect_start (ctx, furl, NULL, &options, NULL),
                             CONNECT_TIMEOUT_MS + 10000, &connect_error);

  if (works && n_expected > 0)
    {
      GIOStream *stream = furlhint_connect_result_get_stream (result);
      const FurlHintPlanEntry *winner = furlhint_connect_result_get_winner (result);
      gchar buf[5] = { 0, };
      gsize got = 0;

      if (connect_error != NULL || stream == NULL)
        FAIL_CASE ("the fakes accept, but the connect failed: %s",
                   connect_error != NULL ? connect_error->message : "no stream");
      g_assert_nonnull (winner);
      g_assert_cmpuint (winner->hint_index, ==, order[0]);
      /* The stream is the fake's: it echoes. */
      g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream),
                                                "ping", 4, NULL, NULL, NULL));
      g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (stream),
                                              buf, 4, &got, NULL, NULL));
      g_assert_cmpstr (buf, ==, "ping");
    }
  else if (n_expected > 0)
    {
      if (connect_error == NULL || furlhint_connect_result_get_stream (result) != NULL)
        FAIL_CASE ("every route fails, but the connect succeeded");
      if (connect_error->domain != FURLHINT_CONNECT_ERROR)
        FAIL_CASE ("connect error %s: %s", g_quark_to_string (connect_error->domain),
                   connect_error->message);
    }
  else if (!g_error_matches (connect_error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE))
    FAIL_CASE ("no route, but the connect said: %s",
               connect_error != NULL ? connect_error->message : "ok");

  furlhint_connect_result_unref (result);
  g_clear_error (&connect_error);
  furlhint_furl_unref (furl);
  g_clear_pointer (&ov, g_hash_table_unref);
  furlhint_context_unref (ctx);

  /* Every client the fakes saw has ended or is ended now; then the
   * requests are complete. */
  fakes_reap_clients ();
  seen = fakes_take_requests ();
  if (g_strcmp0 (seen, want->str) != 0)
    FAIL_CASE ("%s: asked of Tor/I2P: [%s]; the oracle expects [%s]",
               works ? "routes work" : "routes fail", seen, want->str);
  g_string_free (want, TRUE);

  /* The first connect creates GLib's process-wide wakeup fds. */
  if (n_connects > 0 && lab_wait_fds_at_most (fds_before, 3000) > fds_before)
    {
      g_autofree gchar *fds = lab_list_fds ();
      FAIL_CASE ("fds left open: %s", fds);
    }
  if (leakcheck_violations () != 0)
    FAIL_CASE ("%u leak-checker violations", leakcheck_violations ());
  n_connects++;
}

/* A mixed FURL: two public TCP hints (tier 1), then native ones of each
 * network (tier 0), and hints nothing may reach. */
static const Kind mixed_kinds[] = {
  K_TCP_DNS, K_TOR_ONION, K_I2P, K_TCP_ONION, K_LEGACY, K_TCP_V4_PRIVATE, K_TCP_V6,
  K_TCP_I2P, K_TCP_V4_PUBLIC, K_TOR_DNS, K_DOT_TCP_ONION, K_UPPER_TCP_ONION, K_DOT_TCP_DNS,
  K_DOT_TCP_I2P, K_DOTDOT_TOR_ONION, K_DOT_TOR_I2P,
};

static void
test_connect_mixed (void)
{
  Case mixed = { 0, };
  const Case *cs = &mixed;
  GString *furl = g_string_new ("pb://" TUB "@");
  HintSpec hs[G_N_ELEMENTS (mixed_kinds)];

  if (!lab_ready ())
    return;
  if (!fakes_ok)
    {
      g_test_skip ("the fake Tor/SAM ports could not be opened");
      return;
    }

  /* Not a Case (those hold two hints): check the order by hand. */
  for (guint i = 0; i < G_N_ELEMENTS (mixed_kinds); i++)
    {
      hint_spec_make (mixed_kinds[i], i, &hs[i]);
      g_string_append_printf (furl, "%s%s", i > 0 ? "," : "", hs[i].text);
    }
  g_string_append (furl, "/swissnum");

  for (guint ci = 0; ci < N_CONFIGS; ci++)
    {
      Config c = config_nth (ci);
      g_autofree gchar *desc = config_describe (&c);
      const gchar *cfg_desc = desc;

      if (config_is_contradictory (&c))
        continue;
      for (gint works = 0; works < 2; works++)
        {
          FurlHintContext *ctx = context_for (&c);
          GHashTable *ov = overrides_for (&c);
          FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
          g_autoptr(GError) error = NULL;
          g_autofree gchar *seen = NULL;
          GString *want = g_string_new (NULL);
          FurlHintFurl *f = furlhint_furl_parse (furl->str, &error);
          FurlHintConnectResult *result;
          GError *connect_error = NULL;
          guint fds_before = lab_count_open_fds ();
          guint n_want = 0;

          mixed.furl = furl->str;
          g_assert_no_error (error);
          g_atomic_int_set (&fakes.works, works);
          g_free (fakes_take_requests ());

          for (guint tier = 0; tier < 2; tier++)
            for (guint i = 0; i < G_N_ELEMENTS (mixed_kinds); i++)
              {
                Expect x = oracle (&c, mixed_kinds[i]);

                if (!x.routed || x.tier != tier || (works && n_want > 0))
                  continue;
                if (want->len > 0)
                  g_string_append (want, " ");
                if (g_str_equal (x.plugin, "tor"))
                  g_string_append_printf (want, "tor:%s:%u", hs[i].host, hs[i].port);
                else
                  g_string_append_printf (want, "i2p:%s", hs[i].host);
                n_want++;
              }

          options.rank.overrides = ov;
          options.rank.stagger_ms = CONNECT_STAGGER_MS;
          options.timeout_ms = CONNECT_TIMEOUT_MS;
          result = lab_connect_wait (lab_connect_start (ctx, f, NULL, &options, NULL),
                                     CONNECT_TIMEOUT_MS + 10000, &connect_error);
          if (works && n_want > 0)
            {
              if (connect_error != NULL)
                FAIL_CASE ("the fakes accept, but: %s", connect_error->message);
            }
          else if (connect_error == NULL)
            FAIL_CASE ("nothing can work, but the connect succeeded");
          furlhint_connect_result_unref (result);
          g_clear_error (&connect_error);
          furlhint_furl_unref (f);
          g_clear_pointer (&ov, g_hash_table_unref);
          furlhint_context_unref (ctx);

          fakes_reap_clients ();
          seen = fakes_take_requests ();
          if (g_strcmp0 (seen, want->str) != 0)
            FAIL_CASE ("%s: asked of Tor/I2P: [%s]; the oracle expects [%s]",
                       works ? "routes work" : "routes fail", seen, want->str);
          if (c.tor && c.i2p && c.tcp == TCP_UNSET && c.ov == OV_NONE)
            g_test_message ("%s, routes %s: asked [%s]", desc, works ? "work" : "fail", seen);
          g_string_free (want, TRUE);
          /* The first connect creates GLib's process-wide wakeup fds. */
          if (n_connects > 0 && lab_wait_fds_at_most (fds_before, 3000) > fds_before)
            {
              g_autofree gchar *fds = lab_list_fds ();
              FAIL_CASE ("fds left open: %s", fds);
            }
          n_connects++;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (mixed_kinds); i++)
    hint_spec_clear (&hs[i]);
  g_string_free (furl, TRUE);
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
}

/* Every single-hint FURL and NURL, and every pair, under the
 * configurations that make a difference to connecting: both networks,
 * Tor only, I2P only, none; with tcp = tor (Tor on its default port, the
 * fake) and with the {tcp: tcp} override. */
static void
test_connect_cases (void)
{
  g_autoptr(GArray) cases = NULL;
  static const Config configs[] = {
    { TRUE, TRUE, TCP_UNSET, TRUE, OV_NONE },
    { TRUE, FALSE, TCP_UNSET, FALSE, OV_NONE },
    { FALSE, TRUE, TCP_UNSET, FALSE, OV_NONE },
    { FALSE, FALSE, TCP_TOR, FALSE, OV_NONE },
    { FALSE, FALSE, TCP_UNSET, TRUE, OV_TCP_TCP },
    { FALSE, TRUE, TCP_DISABLED, FALSE, OV_TCP_TOR },
  };

  if (!lab_ready ())
    return;
  if (!fakes_ok)
    {
      g_test_skip ("the fake Tor/SAM ports could not be opened");
      return;
    }

  cases = all_cases ();
  for (guint ci = 0; ci < G_N_ELEMENTS (configs); ci++)
    for (guint i = 0; i < cases->len; i++)
      {
        Case *cs = &g_array_index (cases, Case, i);

        /* All pairs only in the richest configuration: the rest adds
         * time, not paths. */
        if (cs->n > 1 && ci > 0)
          continue;
        run_connect (&configs[ci], cs, FALSE);
        run_connect (&configs[ci], cs, TRUE);
      }
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
}

/* ---- plans that no longer fit the context --------------------------------
 *
 * A plan is checked again when it is connected, against the context as it
 * is then: anonymous mode switched on after the plugins were loaded or
 * after ranking, a plan built by hand, a plan from another context. Each
 * is refused before any plugin runs: nothing reaches the fakes, no name is
 * looked up, no socket is opened (the leak checker sees every connect and
 * lookup; the fake Tor SOCKS port and SAM bridge see every request). */

#define STALE_FURL "pb://" TUB "@tcp:s.example.com:443,tcp:93.184.216.34:80,tor:s" ONION_TAIL \
                   ":3457/swissnum"

static FurlHintContext *
context_from_text (const gchar *text)
{
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config = furlhint_config_load_data (text, -1, "tahoe.cfg", &error);
  FurlHintContext *ctx;

  g_assert_no_error (error);
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 4);
  return ctx;
}

static FurlHintContext *
context_normal (void)
{
  return context_from_text ("[connections]\ntor.socks-proxy = tcp:" FAKE_TOR_SOCKS "\n"
                            "i2p.sam-api = tcp:" FAKE_SAM "\n");
}

static FurlHintContext *
context_anonymous (void)
{
  return context_from_text ("[node]\nanonymous = true\n[connections]\n"
                            "tor.socks-proxy = tcp:" FAKE_TOR_SOCKS "\n"
                            "i2p.sam-api = tcp:" FAKE_SAM "\n");
}

/* Connects @plan (or, when NULL, @furl through the ranking
 * furlhint_context_connect_async()) and checks that it was refused with
 * @code, a message containing @part, before any I/O. */
static void
assert_refused_before_io (FurlHintContext *ctx,
                          FurlHintPlan *plan,
                          FurlHintFurl *furl,
                          gint code,
                          const gchar *part)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  FurlHintConnectResult *result;
  GError *connect_error = NULL;
  guint fds_before = lab_count_open_fds ();
  g_autofree gchar *seen = NULL;
  FurlHintPlan *used;

  g_free (fakes_take_requests ());
  g_atomic_int_set (&fakes.works, TRUE);
  options.timeout_ms = CONNECT_TIMEOUT_MS;
  result = lab_connect_wait (lab_connect_start (ctx, plan == NULL ? furl : NULL, plan, &options,
                                                NULL),
                             CONNECT_TIMEOUT_MS + 10000, &connect_error);
  g_assert_error (connect_error, FURLHINT_POLICY_ERROR, code);
  g_test_message ("refused: %s", connect_error->message);
  g_assert_nonnull (strstr (connect_error->message, part));
  g_assert_nonnull (strstr (connect_error->message, "nothing was connected"));
  g_assert_null (furlhint_connect_result_get_stream (result));
  g_assert_null (furlhint_connect_result_get_winner (result));

  /* Each routed hint says why it was not tried. */
  used = furlhint_connect_result_get_plan (result);
  for (guint i = 0; i < furlhint_plan_get_n_entries (used); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (used, i);
      const gchar *status = furlhint_connect_result_get_hint_status (result, e->hint_index);

      if (e->routed)
        {
          g_assert_true (g_str_has_prefix (status, "not tried: "));
          g_assert_nonnull (strstr (status, part));
        }
    }
  furlhint_connect_result_unref (result);
  g_clear_error (&connect_error);

  fakes_reap_clients ();
  seen = fakes_take_requests ();
  g_assert_cmpstr (seen, ==, "");
  /* The first connect creates GLib's process-wide wakeup fds. */
  if (n_connects > 0)
    g_assert_cmpuint (lab_wait_fds_at_most (fds_before, 3000), <=, fds_before);
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
  n_connects++;
}

/* Plugins loaded and the FURL ranked in normal mode (a direct route that
 * looks a name up, one to an address), then anonymous mode switched on:
 * neither that plan nor a fresh ranking may run on the plugins that were
 * initialised for normal mode. */
static void
test_stale_mode_after_load (void)
{
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx;
  FurlHintFurl *furl;
  FurlHintPlan *plan;

  if (!lab_ready ())
    return;
  if (!fakes_ok)
    {
      g_test_skip ("the fake Tor/SAM ports could not be opened");
      return;
    }

  ctx = context_normal ();
  furl = furlhint_furl_parse (STALE_FURL, &error);
  g_assert_no_error (error);
  plan = furlhint_context_rank (ctx, furl, NULL);
  g_assert_false (furlhint_plan_is_anonymous (plan));
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 3);
  /* Within the tier the more anonymous route comes first: tor, then the
   * two direct ones. */
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_plan_get_entry (plan, 1)->plugin), ==, "tcp");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_plan_get_entry (plan, 2)->plugin), ==, "tcp");

  furlhint_config_set_anonymous (furlhint_context_get_config (ctx), TRUE);
  assert_refused_before_io (ctx, plan, NULL, FURLHINT_POLICY_ERROR_STALE,
                            "anonymous mode changed after plugins were loaded");
  assert_refused_before_io (ctx, NULL, furl, FURLHINT_POLICY_ERROR_STALE,
                            "anonymous mode changed after plugins were loaded");

  /* And the other way round: plugins loaded for anonymous mode do not
   * serve a node that left it. */
  furlhint_config_set_anonymous (furlhint_context_get_config (ctx), FALSE);
  furlhint_plan_unref (plan);
  furlhint_context_unref (ctx);
  ctx = context_anonymous ();
  furlhint_config_set_anonymous (furlhint_context_get_config (ctx), FALSE);
  assert_refused_before_io (ctx, NULL, furl, FURLHINT_POLICY_ERROR_STALE,
                            "was initialised in anonymous mode, and the configuration now says normal mode");

  furlhint_furl_unref (furl);
  furlhint_context_unref (ctx);
}

/* Plugins loaded in anonymous mode, the FURL ranked while the mode was
 * briefly off, then connected with the mode on again: the plan's direct
 * routes must not run. */
static void
test_stale_plan (void)
{
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx, *other;
  FurlHintFurl *furl;
  FurlHintPlan *plan;

  if (!lab_ready ())
    return;
  if (!fakes_ok)
    {
      g_test_skip ("the fake Tor/SAM ports could not be opened");
      return;
    }

  ctx = context_anonymous ();
  furl = furlhint_furl_parse (STALE_FURL, &error);
  g_assert_no_error (error);
  furlhint_config_set_anonymous (furlhint_context_get_config (ctx), FALSE);
  plan = furlhint_context_rank (ctx, furl, NULL);
  furlhint_config_set_anonymous (furlhint_context_get_config (ctx), TRUE);
  g_assert_false (furlhint_plan_is_anonymous (plan));
  assert_refused_before_io (ctx, plan, NULL, FURLHINT_POLICY_ERROR_STALE,
                            "the plan was ranked in normal mode");
  furlhint_plan_unref (plan);

  /* An anonymous plan of another context: its plugins are not this
   * context's. */
  other = context_anonymous ();
  plan = furlhint_context_rank (other, furl, NULL);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), >, 0);
  assert_refused_before_io (ctx, plan, NULL, FURLHINT_POLICY_ERROR_STALE, "another context");
  furlhint_plan_unref (plan);
  furlhint_context_unref (other);

  furlhint_furl_unref (furl);
  furlhint_context_unref (ctx);
}

/* Plans built by hand with the public plan API. */
static void
test_stale_hand_built (void)
{
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx;
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  FurlHintTarget target = { NULL, };
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  FurlHintConnectResult *result;
  GError *connect_error = NULL;
  g_autofree gchar *seen = NULL;

  if (!lab_ready ())
    return;
  if (!fakes_ok)
    {
      g_test_skip ("the fake Tor/SAM ports could not be opened");
      return;
    }

  ctx = context_anonymous ();
  furl = furlhint_furl_parse (STALE_FURL, &error);
  g_assert_no_error (error);

  /* A clear route to an address (no lookup), in a plan that says it is
   * not anonymous: add_route() lets it in, the connector does not. */
  plan = furlhint_plan_new (furl, FALSE);
  g_assert_true (furlhint_plugin_parse (furlhint_context_find_plugin (ctx, "tcp"),
                                        "tcp:93.184.216.34:80", FURLHINT_PARSE_NATIVE,
                                        &target, NULL));
  g_assert_true (furlhint_plan_add_route (plan, 1, furlhint_context_find_plugin (ctx, "tcp"),
                                          &target, FURLHINT_TIER_NATIVE, FALSE));
  furlhint_plan_finish (plan, 0);
  assert_refused_before_io (ctx, plan, NULL, FURLHINT_POLICY_ERROR_STALE,
                            "the plan was ranked in normal mode");
  furlhint_plan_unref (plan);

  /* A target written with a final dot or in upper case is routed under
   * its canonical name; one with an empty label is not routed at all. */
  plan = furlhint_plan_new (furl, TRUE);
  target.host = g_strdup ("S" ONION_TAIL ".");
  target.port = 3457;
  target.host_kind = FURLHINT_HOST_DNS;
  g_assert_true (furlhint_plan_add_route (plan, 2, furlhint_context_find_plugin (ctx, "tor"),
                                          &target, FURLHINT_TIER_NATIVE, FALSE));
  target.host = g_strdup ("s" ONION_TAIL "..");
  target.port = 3457;
  g_assert_false (furlhint_plan_add_route (plan, 2, furlhint_context_find_plugin (ctx, "tor"),
                                           &target, FURLHINT_TIER_NATIVE, FALSE));
  g_assert_null (target.host);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 1);
  g_assert_cmpstr (furlhint_plan_get_entry (plan, 0)->target.host, ==, "s" ONION_TAIL);
  g_assert_cmpint (furlhint_plan_get_entry (plan, 0)->target.host_kind, ==, FURLHINT_HOST_ONION);
  g_assert_cmpint (furlhint_plan_get_entry (plan, 1)->code, ==, FURLHINT_POLICY_ERROR_BAD_HINT);
  g_assert_nonnull (strstr (furlhint_plan_get_entry (plan, 1)->reason, "empty label"));

  /* Not finished, the rejection first: the connector takes the routes
   * wherever they are, and asks Tor for the canonical name. */
  g_free (fakes_take_requests ());
  g_atomic_int_set (&fakes.works, FALSE);
  options.timeout_ms = CONNECT_TIMEOUT_MS;
  furlhint_plan_add_rejection (plan, 0, FURLHINT_POLICY_ERROR_BAD_HINT, "not this one");
  result = lab_connect_wait (lab_connect_start (ctx, NULL, plan, &options, NULL),
                             CONNECT_TIMEOUT_MS + 10000, &connect_error);
  g_assert_error (connect_error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  furlhint_connect_result_unref (result);
  g_clear_error (&connect_error);
  fakes_reap_clients ();
  seen = fakes_take_requests ();
  g_assert_cmpstr (seen, ==, "tor:s" ONION_TAIL ":3457");
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
  furlhint_plan_unref (plan);

  furlhint_furl_unref (furl);
  furlhint_context_unref (ctx);
}

static void
test_report (void)
{
  g_test_message ("matrix: %u cases (%u configurations refused as contradictory), "
                  "%u connects observed", matrix_size, n_refused_configs, n_connects);
  g_test_message ("leak checker: %s, %u violation(s)",
                  leakcheck_is_active () ? "active" : "not loaded", leakcheck_violations ());
  g_assert_cmpuint (matrix_size, >, 0);
  g_assert_cmpuint (leakcheck_violations (), ==, 0);
}

int
main (int argc, char **argv)
{
  gboolean in_netns;
  int ret;

  leakcheck_maybe_reexec (argv);
  leakcheck_allow ("127.0.0.1:9050");
  leakcheck_allow ("127.0.0.1:7656");
  in_netns = lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  /* The fakes listen only inside the private namespace: outside it,
   * 9050 and 7656 may be a real Tor and a real router. */
  if (in_netns)
    fakes_ok = fakes_start ();

  g_test_add_func ("/anon-matrix/plans", test_plan_matrix);
  g_test_add_func ("/anon-matrix/connect-cases", test_connect_cases);
  g_test_add_func ("/anon-matrix/connect-mixed", test_connect_mixed);
  g_test_add_func ("/anon-matrix/stale/mode-after-load", test_stale_mode_after_load);
  g_test_add_func ("/anon-matrix/stale/plan", test_stale_plan);
  g_test_add_func ("/anon-matrix/stale/hand-built", test_stale_hand_built);
  g_test_add_func ("/anon-matrix/summary", test_report);

  ret = g_test_run ();
  if (fakes_ok)
    fakes_stop ();
  return ret;
}
