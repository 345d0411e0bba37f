/* furlhint — ranking: a FURL's hints → an ordered plan of routes.
 *
 * The policy is one replaceable function (#FurlHintRanker) from (FURL,
 * configuration, loaded plugins, per-peer overrides) to a #FurlHintPlan,
 * not logic spread through the connector.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_PLAN_H
#define FURLHINT_PLAN_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-furl.h>
#include <furlhint/furlhint-context.h>

G_BEGIN_DECLS

/**
 * FURLHINT_DEFAULT_STAGGER_MS:
 *
 * Delay between the starts of two routes of one tier (Happy Eyeballs).
 */
#define FURLHINT_DEFAULT_STAGGER_MS 250

/**
 * FURLHINT_TIER_NATIVE:
 *
 * The tier of routes that use a hint as written (direct TCP in normal mode,
 * native Tor/I2P hints in anonymous mode).
 */
#define FURLHINT_TIER_NATIVE 0

/**
 * FURLHINT_TIER_TOR_FALLBACK:
 *
 * The tier of public TCP hints wrapped in Tor after every native route
 * failed.
 */
#define FURLHINT_TIER_TOR_FALLBACK 1

/**
 * FurlHintRankOptions:
 * @struct_size: sizeof (FurlHintRankOptions)
 * @overrides: (nullable) (element-type utf8 utf8): per-peer overrides, as
 *   Tahoe's servers.yaml `connections:` gives them: hint type → handler
 *   name or "disabled" (`{"tcp": "tor"}`). The anonymity policy still
 *   applies: an override never opens a clear route in anonymous mode.
 * @stagger_ms: delay between starts within a tier; 0 means
 *   %FURLHINT_DEFAULT_STAGGER_MS.
 *
 * Optional inputs to ranking. Initialise with
 * `FurlHintRankOptions o = { sizeof o, };`.
 */
typedef struct {
  guint32 struct_size;
  GHashTable *overrides;
  guint stagger_ms;
} FurlHintRankOptions;

/**
 * FurlHintPlanEntry:
 * @hint_index: which hint of the FURL (0-based)
 * @hint: (transfer none): that hint
 * @routed: TRUE for a route, FALSE for a rejection
 * @plugin: (transfer none) (nullable): the plugin that connects (routes)
 * @target: where the plugin connects (routes)
 * @anon_class: what the route reveals (routes)
 * @tier: the route's tier; tier N+1 starts only when tier N is exhausted
 * @delay_ms: when the route starts, counted from the start of its tier,
 *   when no route of the tier fails: each failure starts the next route at
 *   once and the following ones a stagger apart from then, so a route
 *   never starts later than this, and may start earlier
 * @carried: TRUE when @plugin carries a `tcp:` hint for another transport
 *   (SOCKS proxy, Tor wrapping)
 * @description: a one-line human account of the route or the rejection
 * @code: the rejection's #FurlHintPolicyError (0 for routes)
 * @reason: (nullable): the rejection's reason; %NULL for routes
 *
 * One verdict about one hint. A hint may have several entries (a direct
 * route in tier 0 and a Tor-wrapped retry in tier 1), and has at least one.
 */
typedef struct {
  guint hint_index;
  const FurlHintHint *hint;
  gboolean routed;
  FurlHintPlugin *plugin;
  FurlHintTarget target;
  FurlHintAnonClass anon_class;
  guint tier;
  guint delay_ms;
  gboolean carried;
  gchar *description;
  FurlHintPolicyError code;
  gchar *reason;
} FurlHintPlanEntry;

/**
 * FurlHintPlan:
 *
 * The ordered result of ranking: routes in the order they start (tier,
 * then delay), then rejections in FURL order. Reference counted.
 *
 * A plan goes through three states, in this order:
 *
 * - new: furlhint_plan_new() makes it empty, and a ranker adds entries
 *   with furlhint_plan_add_route() and furlhint_plan_add_rejection(),
 *   in any order.
 * - finished: furlhint_plan_finish() has put the entries in plan order
 *   and set the start delays and descriptions (furlhint_context_rank()
 *   always returns a finished plan). Adding an entry to a finished plan
 *   makes it unfinished again (its order and delays are stale until it
 *   is finished again), so a finished plan the caller owns may still be
 *   built on.
 * - in use: once a plan is handed to a connector
 *   (furlhint_context_connect_plan_async(), and
 *   furlhint_context_connect_async() with the plan it ranks or shares),
 *   it is frozen, for good, whether the connect runs, is refused or has
 *   ended: furlhint_plan_add_route(), furlhint_plan_add_rejection() and
 *   furlhint_plan_finish() refuse it as a programmer error (a critical
 *   warning, as for any failed precondition; the plan does not change).
 *   Connects to one FURL may share one plan, and each reads it while it
 *   runs; the plan of furlhint_connect_result_get_plan() is such a plan.
 *
 * There is no copy function: to build on a plan in use, rank the FURL
 * again (furlhint_context_rank() never returns a plan in use), or make
 * a new plan with the plan API.
 */
typedef struct _FurlHintPlan FurlHintPlan;

/**
 * FURLHINT_TYPE_PLAN:
 *
 * The #GType of #FurlHintPlan (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_PLAN (furlhint_plan_get_type ())

/**
 * furlhint_plan_get_type:
 *
 * The boxed #GType of #FurlHintPlan (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintPlan.
 */
GType furlhint_plan_get_type (void) G_GNUC_CONST;

/**
 * FurlHintRanker:
 * @ctx: the context (configuration and plugins)
 * @furl: the FURL to rank
 * @options: (not nullable): the options (defaults filled in)
 * @user_data: what was given to furlhint_context_set_ranker()
 *
 * A ranking policy. It must give every hint of @furl at least one entry,
 * build the plan with furlhint_plan_new(), furlhint_plan_add_route() and
 * furlhint_plan_add_rejection(), and must not do I/O. It may return a
 * plan it made before (a reference to it); when a connector is already
 * using that plan (see #FurlHintPlan), furlhint_context_rank() returns a
 * copy of it instead, to which it can still add and which it can finish.
 *
 * Returns: (transfer full): the plan.
 */
typedef FurlHintPlan *(*FurlHintRanker) (FurlHintContext *ctx,
                                         FurlHintFurl *furl,
                                         const FurlHintRankOptions *options,
                                         gpointer user_data);

/**
 * furlhint_rank_default:
 * @ctx: the context
 * @furl: the FURL
 * @options: (nullable): the options; %NULL for the defaults
 * @user_data: unused
 *
 * furlhint's policy (docs/design.md, "Policy tiers"). Anonymous mode:
 * tier 0 = native anonymous routes (`tor:`, `i2p:`, `tcp:` to
 * `.onion`/`.i2p`) through configured plugins; tier 1 = public TCP hints
 * wrapped in Tor, when Tor is configured; nothing clear or proxied, no route that needs a local DNS
 * lookup. Normal mode: TCP hints through the configured TCP route (direct,
 * `tcp.socks-proxy`, Tor for `tcp = tor`, dropped for `tcp = disabled`),
 * other hints through their plugins; Tor-wrapped retries in tier 1 only
 * when `tcp.tor-fallback` allows. Within a tier: more anonymous first,
 * then FURL order; duplicate hints collapse onto the first.
 *
 * Returns: (transfer full): the plan.
 */
FurlHintPlan *furlhint_rank_default (FurlHintContext *ctx,
                                     FurlHintFurl *furl,
                                     const FurlHintRankOptions *options,
                                     gpointer user_data);

/**
 * furlhint_context_set_ranker: (skip)
 * @ctx: a context
 * @ranker: (nullable) (scope forever): the policy; %NULL restores
 *   furlhint_rank_default()
 * @user_data: (closure ranker): data for @ranker
 *
 * Replaces the ranking policy. The context keeps @ranker and @user_data
 * until it is replaced or the context is finalised (nothing frees
 * @user_data; see furlhint_context_set_ranker_full()).
 */
void furlhint_context_set_ranker (FurlHintContext *ctx,
                                  FurlHintRanker ranker,
                                  gpointer user_data);

/**
 * furlhint_context_set_ranker_full: (rename-to furlhint_context_set_ranker)
 * @ctx: a context
 * @ranker: (nullable) (scope notified): the policy; %NULL restores
 *   furlhint_rank_default()
 * @user_data: (closure ranker): data for @ranker
 * @destroy: (nullable): frees @user_data when the policy is replaced or
 *   the context finalised (at once when @ranker is %NULL)
 *
 * As furlhint_context_set_ranker(), with a function that frees the
 * ranker's data; bindings call this one.
 */
void furlhint_context_set_ranker_full (FurlHintContext *ctx,
                                       FurlHintRanker ranker,
                                       gpointer user_data,
                                       GDestroyNotify destroy);

/**
 * furlhint_context_rank:
 * @ctx: a context
 * @furl: a FURL
 * @options: (nullable): options, %NULL for defaults
 *
 * Ranks @furl with the context's policy. Pure: no I/O, no DNS. The plan
 * may have no route at all; see furlhint_plan_get_n_routes().
 *
 * Returns: (transfer full): the plan, finished, and never one a
 *   connector is using (see #FurlHintPlan): the caller may build on it.
 */
FurlHintPlan *furlhint_context_rank (FurlHintContext *ctx,
                                     FurlHintFurl *furl,
                                     const FurlHintRankOptions *options);

/**
 * furlhint_plan_new:
 * @furl: the FURL the plan is for
 * @anonymous: whether it was ranked in anonymous mode
 *
 * For rankers: an empty plan.
 *
 * Returns: (transfer full): the plan.
 */
FurlHintPlan *furlhint_plan_new (FurlHintFurl *furl,
                                 gboolean anonymous);

/**
 * furlhint_plan_add_route:
 * @plan: a plan no connector has been handed (see #FurlHintPlan)
 * @hint_index: the hint
 * @plugin: the plugin that connects
 * @target: (transfer full): the target (@plan takes its strings; @target
 *   is zeroed)
 * @tier: the tier
 * @carried: whether @plugin carries a `tcp:` hint
 *
 * For rankers: adds a route. Its class is the plugin's; its delay is set
 * by furlhint_plan_finish(). The target's host is put in its canonical
 * form first (see #FurlHintTarget: `x.onion.` becomes `x.onion`, a .onion
 * or .i2p name is lower-cased and its host kind set to match); a host that
 * has none (`x..onion`) is refused with %FURLHINT_POLICY_ERROR_BAD_HINT.
 * Refuses (returns FALSE, adds a rejection with code
 * %FURLHINT_POLICY_ERROR_REVEALING) a clear or proxied route in an
 * anonymous plan, one whose target needs a local DNS lookup there, or a
 * carried `tcp:` route (@carried) in a tier before
 * %FURLHINT_TIER_TOR_FALLBACK there: a custom ranker cannot break the
 * anonymity guarantee. The connector checks every route again
 * (furlhint_context_connect_plan_async()).
 *
 * A plan in use by a connector is refused as a programmer error: a
 * critical warning, FALSE, and neither @plan nor @target changes (the
 * caller still owns @target's strings).
 *
 * Returns: TRUE when the route was added.
 */
gboolean furlhint_plan_add_route (FurlHintPlan *plan,
                                  guint hint_index,
                                  FurlHintPlugin *plugin,
                                  FurlHintTarget *target,
                                  guint tier,
                                  gboolean carried);

/**
 * furlhint_plan_add_rejection:
 * @plan: a plan no connector has been handed (see #FurlHintPlan)
 * @hint_index: the hint
 * @code: why
 * @format: printf-style reason
 * @...: arguments
 *
 * For rankers: records that a hint gets no route (of some kind). On a
 * plan in use by a connector: a critical warning, and nothing changes.
 */
void furlhint_plan_add_rejection (FurlHintPlan *plan,
                                  guint hint_index,
                                  FurlHintPolicyError code,
                                  const gchar *format,
                                  ...) G_GNUC_PRINTF (4, 5);

/**
 * furlhint_plan_finish:
 * @plan: a plan no connector has been handed (see #FurlHintPlan)
 * @stagger_ms: delay between starts within a tier
 *
 * For rankers: orders the entries (tier, class, FURL order; rejections
 * last), sets each route's delay and description, and marks the plan
 * finished. Finishing a finished plan again with the same stagger changes
 * nothing; entries added afterwards make it unfinished until it is
 * finished again. Finishing is not freezing: that happens when a
 * connector is handed the plan. On a plan in use by a connector: a
 * critical warning, and nothing changes (not even with the stagger it
 * was finished with).
 */
void furlhint_plan_finish (FurlHintPlan *plan,
                           guint stagger_ms);

/**
 * furlhint_plan_ref:
 * @plan: a plan
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @plan
 */
FurlHintPlan *furlhint_plan_ref (FurlHintPlan *plan);

/**
 * furlhint_plan_unref:
 * @plan: (transfer full) (nullable): a plan
 *
 * Drops a reference.
 */
void furlhint_plan_unref (FurlHintPlan *plan);

/**
 * furlhint_plan_get_furl:
 * @plan: a plan
 *
 * The FURL the plan was ranked for.
 *
 * Returns: (transfer none): the FURL.
 */
FurlHintFurl *furlhint_plan_get_furl (const FurlHintPlan *plan);

/**
 * furlhint_plan_is_anonymous:
 * @plan: a plan
 *
 * Whether the policy that ranked the plan was anonymous mode's.
 *
 * Returns: whether it was ranked in anonymous mode.
 */
gboolean furlhint_plan_is_anonymous (const FurlHintPlan *plan);

/**
 * furlhint_plan_get_n_entries:
 * @plan: a plan
 *
 * The number of entries of the plan.
 *
 * Returns: the number of entries (routes and rejections).
 */
guint furlhint_plan_get_n_entries (const FurlHintPlan *plan);

/**
 * furlhint_plan_get_entry:
 * @plan: a plan
 * @index: 0 ≤ @index < furlhint_plan_get_n_entries()
 *
 * One entry of the plan: the routes first, in the order they start, then
 * the rejected hints in FURL order.
 *
 * Returns: (transfer none): the entry.
 */
const FurlHintPlanEntry *furlhint_plan_get_entry (const FurlHintPlan *plan,
                                                  guint index);

/**
 * furlhint_plan_get_n_routes:
 * @plan: a plan
 *
 * The number of routes the plan has.
 *
 * Returns: how many entries are routes (they come first).
 */
guint furlhint_plan_get_n_routes (const FurlHintPlan *plan);

/**
 * furlhint_plan_dup_no_route_error:
 * @plan: a plan with no route
 *
 * The error a connect reports when the plan has no route.
 *
 * Returns: (transfer full) (nullable): a %FURLHINT_POLICY_ERROR_NO_ROUTE
 *   error whose message gives every hint's reason ("no route: tcp:a:1:
 *   anonymous mode forbids clear connections; ..."), or %NULL when the
 *   plan has a route.
 */
GError *furlhint_plan_dup_no_route_error (const FurlHintPlan *plan);

/**
 * furlhint_plan_entry_dup_status:
 * @entry: an entry of a finished plan
 *
 * The status a hint refused by the policy has from the start, in
 * Foolscap's words where it has some: "bad hint: ..." for a hint no
 * plugin takes or that does not parse, "no route: ..." for one the policy
 * will not route. Connecting reports the same text for that hint (see
 * #FurlHintConnectStatusFunc); a user interface that lists a plan's hints
 * before connecting uses this to say the same.
 *
 * Returns: (transfer full) (nullable): the status, or %NULL for a route.
 */
gchar *furlhint_plan_entry_dup_status (const FurlHintPlanEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintPlan, furlhint_plan_unref)

G_END_DECLS

#endif /* FURLHINT_PLAN_H */
