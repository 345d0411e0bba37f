/* furlhint — the default ranking policy (docs/design.md, "Policy tiers")
 * and the entry point that runs whichever policy the context has.
 *
 * Everything that decides "which plugin, which tier, or why not" for a
 * hint lives in this file, in furlhint_rank_default() and its helpers.
 * The connector only executes plans. furlhint_plan_add_route() re-checks
 * the anonymity rule on every route, so a mistake here (or in a custom
 * ranker) fails closed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "config-private.h"
#include "context-private.h"
#include "foolscap-hint.h"
#include "hostname.h"

#include <stddef.h>
#include <string.h>

typedef struct {
  FurlHintContext *ctx;
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  GHashTable *overrides;          /* (unowned) (nullable) */
  gboolean anonymous;
  FurlHintNetwork network;
  FurlHintTcpMode tcp_mode;
  gboolean tor_fallback;
  FurlHintPlugin *tcp;            /* owner of the "tcp" prefix */
  FurlHintPlugin *tor;            /* owner of the "tor" prefix: a pb+tor:// NURL's network */
  FurlHintPlugin *i2p;            /* owner of the "i2p" prefix */
  FurlHintPlugin *tcp_proxy;      /* the plugin that serves tcp.socks-proxy
                                   * (FURLHINT_PLUGIN_TCP_PROXY) */
  gboolean proxy_requested;       /* [connections] tcp.socks-proxy is set */
  FurlHintPlugin *anon_carrier;   /* furlhint_context_find_anonymous_carrier() */
  GHashTable *seen;               /* (owned) (nullable) canonical hint → index + 1,
                                   * only for FURLs with many hints */
  /* The host of the `tcp:` hint being ranked, in canonical form
   * (find_suffix_plugin()), or NULL: a plugin's target with this host
   * needs no second check of its form (fh_target_canonicalize()). */
  const gchar *tcp_host;
  gchar *tcp_host_buffer;         /* (unowned) RANK_HOST_BUFFER bytes on the
                                   * ranker's stack (not cleared with the
                                   * state): holds tcp_host when it fits */
  gchar *tcp_host_allocated;      /* (owned) (nullable) holds it when not */
} RankState;

/* Room for nearly every host name on the stack. */
#define RANK_HOST_BUFFER 256

/* How a `tcp:` hint to a public host is to be reached ("disabled" never
 * gets this far: choose_tcp_route() rejects the hint). */
typedef enum {
  TCP_ROUTE_CONFIG,               /* `tcp = tcp`: direct, or tcp.socks-proxy */
  TCP_ROUTE_CARRIER,              /* `tcp = NAME` or an override `tcp: NAME`:
                                   * the carrier plugin NAME (tor included) */
} TcpRoute;

/* ---- helpers: texts ------------------------------------------------------ */

static gchar *
dup_loaded_prefixes (FurlHintContext *ctx)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; plugins != NULL && i < plugins->len; i++)
    {
      const gchar *const *prefixes = furlhint_plugin_get_prefixes (g_ptr_array_index (plugins, i));
      guint j;

      for (j = 0; prefixes != NULL && prefixes[j] != NULL; j++)
        {
          if (s->len > 0)
            g_string_append (s, ", ");
          g_string_append (s, prefixes[j]);
        }
    }

  if (s->len == 0)
    g_string_append (s, "none");

  return g_string_free (s, FALSE);
}

static void
reject_no_handler (RankState *st,
                   guint idx,
                   const gchar *type)
{
  g_autofree gchar *loaded = dup_loaded_prefixes (st->ctx);
  const gchar *const *lint = furlhint_hint_get_lint (furlhint_furl_get_hint (st->furl, idx));
  g_autofree gchar *joined = NULL;

  /* " tcp:a:1" has the type " tcp": the lint says why. */
  if (lint != NULL && lint[0] != NULL)
    joined = g_strjoinv ("; ", (gchar **) lint);

  furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NO_HANDLER,
                               "no plugin handles hint type '%s'; loaded: %s%s%s%s",
                               type, loaded,
                               joined != NULL ? " (" : "",
                               joined != NULL ? joined : "",
                               joined != NULL ? ")" : "");
}

static void
reject_not_configured (RankState *st,
                       guint idx,
                       FurlHintPlugin *plugin)
{
  const gchar *name = furlhint_plugin_get_name (plugin);
  const gchar *advice = fh_descriptor_setup_hint (plugin->desc);

  /* What would configure it is the plugin's to say (it owns its section
   * and its rules with [connections]); without a word from it, its
   * section. */
  if (advice != NULL)
    furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NOT_CONFIGURED,
                                 "%s: hint needs the '%s' transport, which is not "
                                 "configured; %s", name, name, advice);
  else
    furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NOT_CONFIGURED,
                                 "%s: hint needs the '%s' transport, which is not "
                                 "configured; see the [%s] section of tahoe.cfg",
                                 name, name, name);
}

/* @error is the plugin's refusal (Foolscap's text for the bundled
 * plugins). @context (nullable) says why this plugin was asked. */
static void
reject_bad_hint (RankState *st,
                 guint idx,
                 const GError *error,
                 const gchar *context)
{
  const FurlHintHint *hint = furlhint_furl_get_hint (st->furl, idx);
  const gchar *const *lint = furlhint_hint_get_lint (hint);
  const gchar *message = error != NULL ? error->message : "refused by the plugin";
  GString *reason = g_string_new (NULL);

  if (!g_str_has_prefix (message, "bad hint: "))
    g_string_append (reason, "bad hint: ");
  g_string_append (reason, message);

  /* Foolscap would try to connect to these; say that furlhint refusing
   * them is deliberate, not a parsing disagreement. */
  if (error != NULL && error->domain == FURLHINT_HINT_ERROR &&
      (error->code == FURLHINT_HINT_ERROR_BAD_PORT || error->code == FURLHINT_HINT_ERROR_BAD_HOST))
    {
      /* The message already says what is wrong with the port or host. */
      g_string_append (reason, " (Foolscap accepts this hint, furlhint refuses it)");
    }
  else if (lint != NULL && lint[0] != NULL)
    {
      g_autofree gchar *joined = g_strjoinv ("; ", (gchar **) lint);
      g_string_append_printf (reason,
                              " (Foolscap accepts this hint, furlhint refuses it: %s)",
                              joined);
    }

  if (context != NULL)
    g_string_append_printf (reason, "; %s", context);

  furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_BAD_HINT,
                               "%s", reason->str);
  g_string_free (reason, TRUE);
}

/* ---- carriers ------------------------------------------------------------ */

static gboolean
is_carrier (FurlHintPlugin *plugin)
{
  return plugin != NULL && furlhint_plugin_can_carry_tcp (plugin);
}

FurlHintPlugin *
furlhint_context_find_carrier (FurlHintContext *ctx,
                               const gchar *name)
{
  g_autofree gchar *lower = NULL;
  FurlHintPlugin *plugin;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  /* Plugin names are lower case (core/plugin.c), tahoe.cfg values are
   * compared in any case: `tcp = TOR` is `tcp = tor`. */
  lower = g_ascii_strdown (name, -1);
  plugin = furlhint_context_find_plugin (ctx, lower);
  if (plugin == NULL)
    plugin = furlhint_context_find_plugin_for_prefix (ctx, lower);
  return plugin;
}

/* Loaded plugins that can carry tcp: hints, in load order, for messages. */
static gchar *
dup_loaded_carriers (FurlHintContext *ctx)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; plugins != NULL && i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if (!is_carrier (plugin))
        continue;
      g_string_append_printf (s, "%s%s (%s%s)", s->len > 0 ? ", " : "",
                              furlhint_plugin_get_name (plugin),
                              furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)),
                              furlhint_plugin_is_configured (plugin) ? "" : ", not configured");
    }
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

/* Why @name (a `tcp` value other than tcp and disabled) names no loaded
 * carrier, or NULL with *@carrier set when it does. @where says where the
 * name comes from. */
static gchar *
dup_carrier_problem (FurlHintContext *ctx,
                     const gchar *name,
                     const gchar *where,
                     FurlHintPlugin **carrier)
{
  FurlHintPlugin *plugin = furlhint_context_find_carrier (ctx, name);
  g_autofree gchar *loaded = dup_loaded_carriers (ctx);

  *carrier = NULL;
  if (is_carrier (plugin))
    {
      *carrier = plugin;
      return NULL;
    }
  if (plugin != NULL)
    return g_strdup_printf ("%s: the '%s' plugin cannot carry tcp: hints (it does not "
                            "declare FURLHINT_PLUGIN_CAN_CARRY_TCP); accepted: tcp, "
                            "disabled, or a loaded carrier: %s",
                            where, furlhint_plugin_get_name (plugin), loaded);
  return g_strdup_printf ("%s: no loaded plugin is called '%s'; accepted: tcp, "
                          "disabled, or a loaded carrier: %s",
                          where, name, loaded);
}

gboolean
furlhint_context_check_tcp_route (FurlHintContext *ctx,
                                  GError **error)
{
  FurlHintConfig *config;
  FurlHintPlugin *carrier;
  gchar *problem;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  config = furlhint_context_get_config (ctx);
  if (config == NULL)
    return TRUE;
  switch (furlhint_config_get_tcp_mode (config))
    {
    case FURLHINT_TCP_MODE_TOR:
    case FURLHINT_TCP_MODE_CARRIER:
      break;
    case FURLHINT_TCP_MODE_TCP:
    case FURLHINT_TCP_MODE_DISABLED:
    default:
      return TRUE;
    }

  problem = dup_carrier_problem (ctx, furlhint_config_get_tcp_route (config),
                                 furlhint_config_get_tcp_where (config), &carrier);
  if (problem == NULL)
    return TRUE;
  g_set_error_literal (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE, problem);
  g_free (problem);
  return FALSE;
}

static gint
compare_plugin_names (gconstpointer a,
                      gconstpointer b)
{
  return strcmp (furlhint_plugin_get_name (*(FurlHintPlugin *const *) a),
                 furlhint_plugin_get_name (*(FurlHintPlugin *const *) b));
}

FurlHintPlugin *
furlhint_context_find_anonymous_carrier (FurlHintContext *ctx)
{
  GPtrArray *plugins;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  FurlHintPlugin *tor;
  guint i;

  g_return_val_if_fail (ctx != NULL, NULL);

  plugins = furlhint_context_get_plugins (ctx);
  for (i = 0; plugins != NULL && i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if (is_carrier (plugin) && furlhint_plugin_is_configured (plugin) &&
          furlhint_plugin_get_anon_class (plugin) == FURLHINT_ANON_ANONYMOUS)
        g_ptr_array_add (candidates, plugin);
    }
  if (candidates->len == 0)
    return NULL;

  /* Tor first: it is what Tahoe's anonymous mode means by "over Tor";
   * among others the name decides, not the order plugins were found. */
  tor = furlhint_context_find_plugin_for_prefix (ctx, "tor");
  for (i = 0; i < candidates->len; i++)
    if (g_ptr_array_index (candidates, i) == tor)
      return tor;
  g_ptr_array_sort (candidates, compare_plugin_names);
  return g_ptr_array_index (candidates, 0);
}

/* ---- helpers: routes ----------------------------------------------------- */

static gboolean
plugin_ready (FurlHintPlugin *plugin)
{
  return plugin != NULL && furlhint_plugin_is_configured (plugin);
}

/* Asks @plugin to parse hint @idx in @mode and adds the route, or the
 * rejection with the plugin's reason. */
static gboolean
parse_and_route (RankState *st,
                 guint idx,
                 FurlHintPlugin *plugin,
                 FurlHintParseMode mode,
                 guint tier,
                 const gchar *context)
{
  const FurlHintHint *hint = furlhint_furl_get_hint (st->furl, idx);
  FurlHintTarget target = { NULL, };
  g_autoptr(GError) error = NULL;

  if (!fh_plugin_parse (plugin, furlhint_hint_get_canonical (hint), mode, st->tcp_host,
                        &target, &error))
    {
      furlhint_target_clear (&target);
      reject_bad_hint (st, idx, error, context);
      return FALSE;
    }

  return fh_plan_add_parsed_route (st->plan, idx, plugin, &target, tier,
                                   mode == FURLHINT_PARSE_CARRY);
}

/* Routes a `tcp:` hint through a plugin that carries TCP (Tor, SOCKS). */
static gboolean
carry (RankState *st,
       guint idx,
       FurlHintPlugin *plugin,
       const gchar *plugin_role,
       guint tier,
       const gchar *context)
{
  if (plugin == NULL)
    {
      g_autofree gchar *loaded = dup_loaded_prefixes (st->ctx);

      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NO_HANDLER,
                                   "%s, but no %s plugin is loaded (loaded: %s); the hint "
                                   "is not used rather than connected some other way",
                                   context, plugin_role, loaded);
      return FALSE;
    }
  if (!furlhint_plugin_is_configured (plugin))
    {
      reject_not_configured (st, idx, plugin);
      return FALSE;
    }
  if (!furlhint_plugin_can_carry_tcp (plugin))
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NO_HANDLER,
                                   "%s, but the '%s' plugin cannot carry tcp: hints",
                                   context, furlhint_plugin_get_name (plugin));
      return FALSE;
    }

  return parse_and_route (st, idx, plugin, FURLHINT_PARSE_CARRY, tier, context);
}

/* A hint handled as written by @plugin: a native prefix (`tor:`, `i2p:`,
 * a third party's), or a `tcp:` hint whose host suffix @plugin claims. */
static void
rank_native (RankState *st,
             guint idx,
             FurlHintPlugin *plugin,
             FurlHintParseMode mode)
{
  const gchar *name = furlhint_plugin_get_name (plugin);
  FurlHintAnonClass anon_class = furlhint_plugin_get_anon_class (plugin);

  if (st->network == FURLHINT_NETWORK_TOR && plugin != st->tor)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_WRONG_NETWORK,
                                   "a pb+tor:// NURL is reached only over Tor, and this "
                                   "hint belongs to the '%s' plugin", name);
      return;
    }
  if (st->network == FURLHINT_NETWORK_I2P && plugin != st->i2p)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_WRONG_NETWORK,
                                   "a pb+i2p:// NURL is reached only over I2P, and this "
                                   "hint belongs to the '%s' plugin", name);
      return;
    }

  if (!furlhint_plugin_is_configured (plugin))
    {
      reject_not_configured (st, idx, plugin);
      return;
    }

  if (st->anonymous && anon_class != FURLHINT_ANON_ANONYMOUS)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_REVEALING,
                                   "no route: anonymous mode forbids %s connections, and "
                                   "this hint is handled only by the '%s' plugin (%s)",
                                   furlhint_anon_class_name (anon_class), name,
                                   furlhint_anon_class_name (anon_class));
      return;
    }

  {
    const FurlHintHint *hint = furlhint_furl_get_hint (st->furl, idx);
    FurlHintTarget target = { NULL, };
    g_autoptr(GError) error = NULL;
    FurlHintPlugin *claimant;

    if (!fh_plugin_parse (plugin, furlhint_hint_get_canonical (hint), mode, st->tcp_host,
                          &target, &error))
      {
        furlhint_target_clear (&target);
        reject_bad_hint (st, idx, error, NULL);
        return;
      }

    /* A host that belongs to another plugin's network (x.b32.i2p in a
     * tor: hint, or in a pb+tor:// location that furl.c turned into one)
     * is not one this plugin's network can reach. Compared on the
     * canonical target, so "x.b32.i2p." is caught too. */
    claimant = fh_context_find_plugin_for_canonical_host (st->ctx, target.host,
                                                          strlen (target.host));
    if (claimant != NULL && claimant != plugin && claimant != st->tcp)
      {
        if (st->network != FURLHINT_NETWORK_ANY)
          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_WRONG_NETWORK,
                                       "a %s NURL is reached only over %s, and %s belongs "
                                       "to the '%s' plugin's network",
                                       st->network == FURLHINT_NETWORK_TOR ? "pb+tor://" : "pb+i2p://",
                                       st->network == FURLHINT_NETWORK_TOR ? "Tor" : "I2P",
                                       target.host, furlhint_plugin_get_name (claimant));
        else
          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_WRONG_NETWORK,
                                       "a %s: hint goes through the '%s' plugin, and %s "
                                       "belongs to the '%s' plugin's network, which '%s' "
                                       "cannot reach; accepted: a hint the '%s' plugin "
                                       "handles",
                                       furlhint_hint_get_hint_type (hint), name, target.host,
                                       furlhint_plugin_get_name (claimant), name,
                                       furlhint_plugin_get_name (claimant));
        furlhint_target_clear (&target);
        return;
      }

    fh_plan_add_parsed_route (st->plan, idx, plugin, &target, FURLHINT_TIER_NATIVE,
                              mode == FURLHINT_PARSE_CARRY);
    furlhint_target_clear (&target);
  }
}

/* Which plugin a `tcp:` hint's host belongs to, if not plain TCP. Uses
 * Foolscap's own TCP parse (the same code the tcp plugin runs), so the
 * decision does not depend on the tcp plugin being loaded, and the host's
 * canonical form (core/shared/hostname.h), the one every target carries: one
 * final dot dropped, so "x.onion." is routed (and later sent) as
 * "x.onion". Sets st->tcp_host to that canonical name, and
 * *@must_not_resolve for `.onion`/`.i2p` names: those never go to DNS,
 * whether or not a plugin claims them. FALSE with
 * @error set for a host that has no canonical form ("x.onion.."). */
static gboolean
find_suffix_plugin (RankState *st,
                    const gchar *canonical,
                    FurlHintPlugin **plugin_out,
                    gboolean *must_not_resolve,
                    GError **error)
{
  const gchar *host;
  gsize start, len;
  FurlHintPlugin *claimant;

  *must_not_resolve = FALSE;
  *plugin_out = NULL;

  if (!fh_foolscap_tcp_host_span (canonical, strlen (canonical), &start, &len))
    return TRUE;

  /* Foolscap's parse gives the name as written, nearly always canonical
   * already: then it is taken as it is, copied only onto the stack. */
  if (len < RANK_HOST_BUFFER)
    {
      memcpy (st->tcp_host_buffer, canonical + start, len);
      st->tcp_host_buffer[len] = '\0';
      host = st->tcp_host_buffer;
    }
  else
    host = st->tcp_host_allocated = g_strndup (canonical + start, len);
  if (!fh_hostname_is_canonical_len (host, len))
    {
      gchar *copy = fh_hostname_canonicalize (host, error);

      if (copy == NULL)
        return FALSE;
      g_free (st->tcp_host_allocated);
      host = st->tcp_host_allocated = copy;
      len = strlen (copy);
    }
  st->tcp_host = host;

  if (fh_hostname_in_domain_len (host, len, "onion", 5) ||
      fh_hostname_in_domain_len (host, len, "i2p", 3))
    *must_not_resolve = TRUE;

  claimant = fh_context_find_plugin_for_canonical_host (st->ctx, host, len);
  if (claimant != st->tcp)
    *plugin_out = claimant;
  return TRUE;
}

static const gchar *
lookup_override (const RankState *st,
                 const gchar *type)
{
  if (st->overrides == NULL || type == NULL)
    return NULL;
  return g_hash_table_lookup (st->overrides, type);
}

/* The `tcp:` policy is four decisions, one function each, in this order
 * (docs/design.md, "Policy tiers"): which route the override or
 * `[connections] tcp` asks for; then, in anonymous mode, an anonymous
 * carrier (Tor first) or nothing; in normal mode, the route asked for at
 * the native tier; and last the Tor fallback's second route. A NURL's
 * own network comes before all of them. */

/* A pb+tor:// or pb+i2p:// NURL says how to reach the server, whatever
 * tahoe.cfg's `tcp` says about ordinary FURLs: over Tor, or (for a
 * `tcp:` location, which is no I2P destination) not at all. TRUE when
 * the NURL decided the hint. */
static gboolean
rank_tcp_for_nurl (RankState *st,
                   guint idx)
{
  switch (st->network)
    {
    case FURLHINT_NETWORK_TOR:
      carry (st, idx, st->tor, "Tor", FURLHINT_TIER_NATIVE,
             "a pb+tor:// NURL is reached only over Tor");
      return TRUE;

    case FURLHINT_NETWORK_I2P:
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_WRONG_NETWORK,
                                   "a pb+i2p:// NURL is reached only over I2P, and %s is not "
                                   "an I2P destination (.i2p)",
                                   furlhint_hint_get_canonical (furlhint_furl_get_hint (st->furl, idx)));
      return TRUE;

    case FURLHINT_NETWORK_ANY:
    default:
      return FALSE;
    }
}

/* Decision 1, the route asked for: a per-peer override for `tcp:` wins
 * over `[connections] tcp`. Either may say tcp, disabled, or name a
 * loaded plugin that carries tcp: hints (tor is one), in any letter case;
 * anything else is refused, not ignored. "disabled", from either, means
 * the hint is not used. FALSE when the hint got its rejection here;
 * otherwise *@carrier is the plugin for TCP_ROUTE_CARRIER. */
static gboolean
choose_tcp_route (RankState *st,
                  guint idx,
                  const gchar *override,
                  TcpRoute *route,
                  FurlHintPlugin **carrier)
{
  FurlHintConfig *config = furlhint_context_get_config (st->ctx);
  g_autofree gchar *name = NULL;
  g_autofree gchar *where = NULL;
  gchar *problem;

  *carrier = NULL;

  if (override == NULL)
    {
      switch (st->tcp_mode)
        {
        case FURLHINT_TCP_MODE_DISABLED:
          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_TCP_DISABLED,
                                       "[connections] tcp = disabled: TCP hints are not used");
          return FALSE;
        case FURLHINT_TCP_MODE_TOR:
        case FURLHINT_TCP_MODE_CARRIER:
          name = g_strdup (furlhint_config_get_tcp_route (config));
          where = g_strdup (furlhint_config_get_tcp_where (config));
          if (where == NULL)
            where = g_strdup_printf ("[connections] tcp = %s", name);
          break;
        case FURLHINT_TCP_MODE_TCP:
        default:
          *route = TCP_ROUTE_CONFIG;
          return TRUE;
        }
    }
  else
    {
      name = g_ascii_strdown (override, -1);
      where = g_strdup_printf ("per-peer override tcp: %s", override);
      if (strcmp (name, "disabled") == 0)
        {
          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_TCP_DISABLED,
                                       "tcp: hints are disabled for this server by a per-peer "
                                       "override (tcp: disabled)");
          return FALSE;
        }
      if (strcmp (name, "tcp") == 0 ||
          (st->tcp != NULL && furlhint_context_find_carrier (st->ctx, name) == st->tcp))
        {
          *route = TCP_ROUTE_CONFIG;
          return TRUE;
        }
    }

  problem = fh_config_tcp_route_is_well_formed (name)
            ? dup_carrier_problem (st->ctx, name, where, carrier)
            : g_strdup_printf ("%s: not a TCP route; accepted: tcp, disabled, or a loaded "
                               "carrier's name", where);
  if (problem != NULL)
    {
      furlhint_plan_add_rejection (st->plan, idx,
                                   override != NULL ? FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED
                                                    : FURLHINT_POLICY_ERROR_NO_HANDLER,
                                   "%s; the hint is not used rather than connected some "
                                   "other way", problem);
      g_free (problem);
      return FALSE;
    }
  *route = TCP_ROUTE_CARRIER;
  return TRUE;
}

/* Why the anonymous carrier is missing, for a rejection. */
static const gchar *
why_no_anon_carrier (const RankState *st)
{
  if (st->tor == NULL)
    return "the tor plugin is not loaded, nor any other anonymous carrier";
  if (!furlhint_plugin_is_configured (st->tor))
    return "Tor is not configured, nor any other anonymous carrier";
  return "no loaded anonymous plugin that is configured can carry tcp: hints";
}

/* Decision 2, anonymous mode: a `tcp:` hint goes through an anonymous
 * carrier (the one the override or `[connections] tcp` names, else
 * furlhint_context_find_anonymous_carrier(): Tor first) at the fallback
 * tier, or nowhere. An override that asks for a revealing route (direct,
 * SOCKS, a non-anonymous carrier) is refused outright, not quietly turned
 * into a Tor route: the caller asked for something else, and should hear
 * that it was not done. A revealing carrier tahoe.cfg names is not used
 * (rank --explain says so), as `tcp = tcp` is not. tcp.socks-proxy is
 * never used: a SOCKS proxy is not an anonymity network. */
static void
route_tcp_anonymous (RankState *st,
                     guint idx,
                     const gchar *override,
                     TcpRoute route,
                     FurlHintPlugin *carrier)
{
  FurlHintPlugin *anon_carrier = st->anon_carrier;
  g_autofree gchar *context = NULL;

  if (route == TCP_ROUTE_CONFIG && override != NULL)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED,
                                   "per-peer override tcp: %s asks for a %s route, which "
                                   "anonymous mode forbids; this hint is not used (not "
                                   "even through Tor)",
                                   override,
                                   st->proxy_requested ? "proxied (SOCKS)" : "clear (direct TCP)");
      return;
    }
  if (route == TCP_ROUTE_CARRIER &&
      furlhint_plugin_get_anon_class (carrier) != FURLHINT_ANON_ANONYMOUS)
    {
      if (override != NULL)
        {
          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED,
                                       "per-peer override tcp: %s asks for a %s route, which "
                                       "anonymous mode forbids; this hint is not used (not "
                                       "even through Tor)",
                                       override,
                                       furlhint_anon_class_name (furlhint_plugin_get_anon_class (carrier)));
          return;
        }
      /* [connections] tcp = NAME: not used, as `tcp = tcp` is not. */
    }
  else if (route == TCP_ROUTE_CARRIER)
    anon_carrier = carrier;

  if (!plugin_ready (anon_carrier))
    {
      g_autofree gchar *why = NULL;

      if (anon_carrier == NULL)
        why = g_strdup (why_no_anon_carrier (st));
      else if (anon_carrier == st->tor)
        why = g_strdup ("Tor is not configured");
      else
        why = g_strdup_printf ("the '%s' carrier is not configured",
                               furlhint_plugin_get_name (anon_carrier));
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_REVEALING,
                                   "no route: anonymous mode forbids direct TCP and %s%s",
                                   why,
                                   st->proxy_requested
                                     ? " ([connections] tcp.socks-proxy is not used in "
                                       "anonymous mode: a SOCKS proxy is not an anonymity "
                                       "network)"
                                     : "");
      return;
    }

  if (anon_carrier == st->tor)
    context = g_strdup ("anonymous mode reaches tcp: hints only through Tor");
  else
    context = g_strdup_printf ("anonymous mode reaches tcp: hints only through an "
                               "anonymous carrier, here the '%s' plugin",
                               furlhint_plugin_get_name (anon_carrier));
  parse_and_route (st, idx, anon_carrier, FURLHINT_PARSE_CARRY,
                   FURLHINT_TIER_TOR_FALLBACK, context);
}

/* Decision 3, normal mode: the route asked for, at the native tier: the
 * carrier `[connections] tcp` or an override names, else the proxy when
 * tcp.socks-proxy is set (never a direct connection when the proxy's
 * plugin is missing), else direct TCP. A route whose plugin is missing or
 * not configured is a rejection, not another route. TRUE when routed. */
static gboolean
route_tcp_normal (RankState *st,
                  guint idx,
                  const gchar *override,
                  TcpRoute route,
                  FurlHintPlugin *carrier)
{
  if (route == TCP_ROUTE_CARRIER)
    {
      g_autofree gchar *context = NULL;

      if (override != NULL)
        context = g_strdup ("per-peer override");
      else if (carrier == st->tor)
        context = g_strdup_printf ("[connections] tcp = %s carries tcp: hints over Tor",
                                   furlhint_config_get_tcp_route (furlhint_context_get_config (st->ctx)));
      else
        context = g_strdup_printf ("[connections] tcp = %s carries tcp: hints through the "
                                   "'%s' plugin",
                                   furlhint_config_get_tcp_route (furlhint_context_get_config (st->ctx)),
                                   furlhint_plugin_get_name (carrier));
      return carry (st, idx, carrier, furlhint_plugin_get_name (carrier),
                    FURLHINT_TIER_NATIVE, context);
    }

  if (st->proxy_requested)
    return carry (st, idx, st->tcp_proxy, "tcp.socks-proxy (FURLHINT_PLUGIN_TCP_PROXY)",
                  FURLHINT_TIER_NATIVE, "[connections] tcp.socks-proxy is set");
  if (st->tcp == NULL)
    {
      reject_no_handler (st, idx, "tcp");
      return FALSE;
    }
  if (!furlhint_plugin_is_configured (st->tcp))
    {
      reject_not_configured (st, idx, st->tcp);
      return FALSE;
    }
  return parse_and_route (st, idx, st->tcp, FURLHINT_PARSE_NATIVE,
                          FURLHINT_TIER_NATIVE, NULL);
}

/* Decision 4, the Tor fallback (`[connections] tcp.tor-fallback`): after
 * a revealing route (direct, SOCKS, a non-anonymous carrier), a second
 * route for the same hint through the anonymous carrier (Tor first) at
 * the fallback tier. Only when it is ready and accepts the hint: the
 * native route covers the hint anyway, so a refusal here is no
 * rejection. */
static void
add_tor_fallback (RankState *st,
                  guint idx,
                  TcpRoute route,
                  FurlHintPlugin *carrier)
{
  const FurlHintHint *hint = furlhint_furl_get_hint (st->furl, idx);
  FurlHintTarget target = { NULL, };
  gboolean revealing;

  revealing = route == TCP_ROUTE_CONFIG ||
              (route == TCP_ROUTE_CARRIER &&
               furlhint_plugin_get_anon_class (carrier) != FURLHINT_ANON_ANONYMOUS);
  if (!st->tor_fallback || !revealing || st->anon_carrier == NULL)
    return;

  if (fh_plugin_parse (st->anon_carrier, furlhint_hint_get_canonical (hint),
                       FURLHINT_PARSE_CARRY, st->tcp_host, &target, NULL))
    {
      g_autofree gchar *problem = fh_carried_target_problem (st->anon_carrier, &target);

      if (problem == NULL)
        fh_plan_add_parsed_route (st->plan, idx, st->anon_carrier, &target,
                                  FURLHINT_TIER_TOR_FALLBACK, TRUE);
    }
  furlhint_target_clear (&target);
}

/* A `tcp:` hint to a public host (find_suffix_plugin() found no plugin
 * that claims it): the four decisions above, in order. */
static void
rank_tcp (RankState *st,
          guint idx)
{
  const gchar *override = lookup_override (st, "tcp");
  FurlHintPlugin *carrier;
  TcpRoute route;

  if (rank_tcp_for_nurl (st, idx))
    return;
  if (!choose_tcp_route (st, idx, override, &route, &carrier))
    return;
  if (st->anonymous)
    route_tcp_anonymous (st, idx, override, route, carrier);
  else if (route_tcp_normal (st, idx, override, route, carrier))
    add_tor_fallback (st, idx, route, carrier);
}

/* Up to this many hints, duplicates are found by comparing with each
 * earlier hint, which is cheaper than a hash table; more (a FURL can
 * hold thousands) use the table, so the search stays linear. */
#define RANK_SEEN_TABLE_MIN 16

/* Whether an earlier hint has the same canonical form; *@first_idx is the
 * first such hint. */
static gboolean
find_earlier (const RankState *st,
              guint idx,
              const gchar *canonical,
              guint *first_idx)
{
  gpointer first;
  guint j;

  if (st->seen != NULL)
    {
      if (!g_hash_table_lookup_extended (st->seen, canonical, NULL, &first))
        return FALSE;
      *first_idx = GPOINTER_TO_UINT (first) - 1;
      return TRUE;
    }
  for (j = 0; j < idx; j++)
    if (strcmp (furlhint_hint_get_canonical (furlhint_furl_get_hint (st->furl, j)), canonical) == 0)
      {
        *first_idx = j;
        return TRUE;
      }
  return FALSE;
}

static void
rank_hint (RankState *st,
           guint idx)
{
  const FurlHintHint *hint = furlhint_furl_get_hint (st->furl, idx);
  const gchar *canonical = furlhint_hint_get_canonical (hint);
  const gchar *type = furlhint_hint_get_hint_type (hint);
  const gchar *override;
  guint first_idx;
  FurlHintPlugin *plugin;

  if (find_earlier (st, idx, canonical, &first_idx))
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_DUPLICATE,
                                   "same as hint #%u (%s)", first_idx + 1,
                                   furlhint_hint_get_canonical (furlhint_furl_get_hint (st->furl, first_idx)));
      return;
    }
  if (st->seen != NULL)
    g_hash_table_insert (st->seen, (gpointer) canonical, GUINT_TO_POINTER (idx + 1));

  if (type == NULL)
    {
      g_autofree gchar *loaded = dup_loaded_prefixes (st->ctx);

      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NO_HANDLER,
                                   "hint has no type (no ':'); hints look like TYPE:ADDRESS "
                                   "with a type some plugin handles; loaded: %s", loaded);
      return;
    }

  if (g_strcmp0 (type, "tcp") == 0)
    {
      g_autoptr(GError) error = NULL;
      gboolean must_not_resolve;

      if (!find_suffix_plugin (st, canonical, &plugin, &must_not_resolve, &error))
        {
          reject_bad_hint (st, idx, error, NULL);
          return;
        }
      if (plugin != NULL)
        {
          rank_native (st, idx, plugin, FURLHINT_PARSE_SUFFIX);
          return;
        }
      if (must_not_resolve)
        {
          g_autofree gchar *loaded = dup_loaded_prefixes (st->ctx);

          furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_NO_HANDLER,
                                       "no loaded plugin reaches %s (load the tor plugin for "
                                       ".onion, the i2p plugin for .i2p; loaded: %s); such "
                                       "names are never looked up in DNS",
                                       st->tcp_host, loaded);
          return;
        }
      rank_tcp (st, idx);
      return;
    }

  override = lookup_override (st, type);
  if (g_strcmp0 (override, "disabled") == 0)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_TCP_DISABLED,
                                   "%s: hints are disabled for this server by a per-peer "
                                   "override (%s: disabled)", type, type);
      return;
    }

  /* The owners of "tor" and "i2p" are known already (st->tor, st->i2p
   * are found by prefix too): no table lookup for the usual hints. */
  if (strcmp (type, "tor") == 0)
    plugin = st->tor;
  else if (strcmp (type, "i2p") == 0)
    plugin = st->i2p;
  else
    plugin = furlhint_context_find_plugin_for_prefix (st->ctx, type);
  if (plugin == NULL)
    {
      reject_no_handler (st, idx, type);
      return;
    }

  if (override != NULL && g_strcmp0 (override, furlhint_plugin_get_name (plugin)) != 0)
    {
      furlhint_plan_add_rejection (st->plan, idx, FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED,
                                   "per-peer override %s: %s cannot be followed: only the "
                                   "'%s' plugin handles '%s:' hints; accepted: %s or disabled",
                                   type, override, furlhint_plugin_get_name (plugin), type,
                                   furlhint_plugin_get_name (plugin));
      return;
    }

  rank_native (st, idx, plugin, FURLHINT_PARSE_NATIVE);
}

/* The plugin that serves `[connections] tcp.socks-proxy`: one that
 * declares FURLHINT_PLUGIN_TCP_PROXY, a configured one first, then by
 * name (bundled: socks). */
static FurlHintPlugin *
find_tcp_proxy (FurlHintContext *ctx)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  FurlHintPlugin *best = NULL;
  guint i;

  for (i = 0; plugins != NULL && i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if (!is_carrier (plugin) ||
          (plugin->desc->flags & FURLHINT_PLUGIN_TCP_PROXY) == 0)
        continue;
      if (best == NULL ||
          (plugin_ready (plugin) && !plugin_ready (best)) ||
          (plugin_ready (plugin) == plugin_ready (best) &&
           strcmp (furlhint_plugin_get_name (plugin), furlhint_plugin_get_name (best)) < 0))
        best = plugin;
    }
  return best;
}

FurlHintPlan *
furlhint_rank_default (FurlHintContext *ctx,
                       FurlHintFurl *furl,
                       const FurlHintRankOptions *options,
                       gpointer user_data)
{
  FurlHintConfig *config;
  RankState st = { NULL, };
  gchar tcp_host_buffer[RANK_HOST_BUFFER];
  guint i, n_hints, stagger = FURLHINT_DEFAULT_STAGGER_MS;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (furl != NULL, NULL);

  if (options != NULL)
    {
      if (options->struct_size >= offsetof (FurlHintRankOptions, overrides) + sizeof options->overrides)
        st.overrides = options->overrides;
      if (options->struct_size >= offsetof (FurlHintRankOptions, stagger_ms) + sizeof options->stagger_ms &&
          options->stagger_ms != 0)
        stagger = options->stagger_ms;
    }

  config = furlhint_context_get_config (ctx);
  st.ctx = ctx;
  st.furl = furl;
  st.tcp_host_buffer = tcp_host_buffer;
  st.network = furlhint_furl_get_network (furl);
  if (config != NULL)
    {
      st.anonymous = furlhint_config_get_anonymous (config);
      st.tcp_mode = furlhint_config_get_tcp_mode (config);
      st.tor_fallback = furlhint_config_get_tor_fallback (config);
    }
  else
    st.tcp_mode = FURLHINT_TCP_MODE_TCP;

  /* The same for every FURL while the plugins are: found once. */
  if (!ctx->carriers_valid)
    {
      ctx->carrier_tcp = furlhint_context_find_plugin_for_prefix (ctx, "tcp");
      ctx->carrier_tor = furlhint_context_find_plugin_for_prefix (ctx, "tor");
      ctx->carrier_i2p = furlhint_context_find_plugin_for_prefix (ctx, "i2p");
      ctx->carrier_tcp_proxy = find_tcp_proxy (ctx);
      ctx->carrier_anonymous = furlhint_context_find_anonymous_carrier (ctx);
      ctx->carriers_valid = TRUE;
    }
  st.tcp = ctx->carrier_tcp;
  st.tor = ctx->carrier_tor;
  st.i2p = ctx->carrier_i2p;
  st.tcp_proxy = ctx->carrier_tcp_proxy;
  st.proxy_requested = (config != NULL && config->state.socks_proxy_set) ||
                       plugin_ready (st.tcp_proxy);
  st.anon_carrier = ctx->carrier_anonymous;
  st.plan = furlhint_plan_new (furl, st.anonymous);

  n_hints = furlhint_furl_get_n_hints (furl);
  if (n_hints > RANK_SEEN_TABLE_MIN)
    st.seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < n_hints; i++)
    {
      rank_hint (&st, i);
      /* The host found for this hint is no other hint's. */
      st.tcp_host = NULL;
      g_clear_pointer (&st.tcp_host_allocated, g_free);
    }

  g_clear_pointer (&st.seen, g_hash_table_unref);
  furlhint_plan_finish (st.plan, stagger);

  return st.plan;
}

/* A new plan with @plan's entries, in @anonymous mode, each route put
 * through add_route()'s checks again; drops the reference to @plan. For
 * a custom ranker's plan that is not marked anonymous although the node
 * is, and for one a connector is using (a ranker that kept its plan and
 * returns it again), which nothing may add to or finish again. */
static FurlHintPlan *
plan_rebuild (FurlHintPlan *plan,
              gboolean anonymous)
{
  FurlHintPlan *safe = furlhint_plan_new (furlhint_plan_get_furl (plan), anonymous);
  guint i;

  for (i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      if (entry->routed)
        {
          FurlHintTarget target;

          furlhint_target_copy (&target, &entry->target);
          furlhint_plan_add_route (safe, entry->hint_index, entry->plugin, &target,
                                   entry->tier, entry->carried);
          furlhint_target_clear (&target);
        }
      else
        furlhint_plan_add_rejection (safe, entry->hint_index, entry->code, "%s",
                                     entry->reason != NULL ? entry->reason : "rejected");
    }

  furlhint_plan_unref (plan);
  return safe;
}

void
fh_rank_options_read (const FurlHintRankOptions *options,
                      FurlHintRankOptions *out)
{
  *out = (FurlHintRankOptions) { sizeof *out, };
  /* Read only what the caller's struct has. */
  if (options != NULL)
    {
      if (options->struct_size >= offsetof (FurlHintRankOptions, overrides) + sizeof out->overrides)
        out->overrides = options->overrides;
      if (options->struct_size >= offsetof (FurlHintRankOptions, stagger_ms) + sizeof out->stagger_ms)
        out->stagger_ms = options->stagger_ms;
    }
  if (out->stagger_ms == 0)
    out->stagger_ms = FURLHINT_DEFAULT_STAGGER_MS;
}

FurlHintPlan *
furlhint_context_rank (FurlHintContext *ctx,
                       FurlHintFurl *furl,
                       const FurlHintRankOptions *options)
{
  FurlHintRankOptions o;
  FurlHintRanker ranker;
  gpointer ranker_data;
  FurlHintConfig *config;
  FurlHintPlan *plan;
  gboolean anonymous;
  gboolean covered_on_stack[64];
  gboolean *covered;
  guint i, n_hints;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (furl != NULL, NULL);

  fh_rank_options_read (options, &o);

  config = furlhint_context_get_config (ctx);
  anonymous = config != NULL && furlhint_config_get_anonymous (config);

  ranker = ctx->ranker != NULL ? ctx->ranker : furlhint_rank_default;
  ranker_data = ctx->ranker != NULL ? ctx->ranker_data : NULL;

  plan = ranker (ctx, furl, &o, ranker_data);

  /* Whatever the policy returned, the caller gets a plan for this FURL,
   * in the node's mode, with an entry for every hint. */
  if (plan == NULL || furlhint_plan_get_furl (plan) != furl)
    {
      fh_context_log (ctx, G_LOG_LEVEL_WARNING,
                      "the ranking policy returned %s; no hint is routed",
                      plan == NULL ? "no plan" : "a plan for another FURL");
      furlhint_plan_unref (plan);
      plan = furlhint_plan_new (furl, anonymous);
    }
  else if (anonymous && !furlhint_plan_is_anonymous (plan))
    {
      fh_context_log (ctx, G_LOG_LEVEL_WARNING,
                      "the ranking policy made a non-anonymous plan for an "
                      "anonymous node; re-checking every route");
      plan = plan_rebuild (plan, TRUE);
    }
  else if (fh_plan_is_in_use (plan))
    /* Handed to a connector already (fh_plan_set_in_use()): the caller
     * gets a copy it may build on, and the connects using the plan keep
     * it as it is. */
    plan = plan_rebuild (plan, furlhint_plan_is_anonymous (plan));

  n_hints = furlhint_furl_get_n_hints (furl);
  /* On the stack for the usual FURL: this runs for every one ranked. */
  if (n_hints < G_N_ELEMENTS (covered_on_stack))
    {
      covered = covered_on_stack;
      memset (covered, 0, n_hints * sizeof *covered);
    }
  else
    covered = g_new0 (gboolean, n_hints);
  for (i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      if (entry->hint_index < n_hints)
        covered[entry->hint_index] = TRUE;
    }
  for (i = 0; i < n_hints; i++)
    if (!covered[i])
      furlhint_plan_add_rejection (plan, i, FURLHINT_POLICY_ERROR_NO_ROUTE,
                                   "no route: the ranking policy gave this hint no route");
  if (covered != covered_on_stack)
    g_free (covered);

  furlhint_plan_finish (plan, o.stagger_ms);

  return plan;
}
