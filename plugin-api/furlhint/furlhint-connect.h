/* furlhint — connecting: a plan's routes raced into one stream.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONNECT_H
#define FURLHINT_CONNECT_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-plan.h>

G_BEGIN_DECLS

/**
 * FURLHINT_DEFAULT_TIMEOUT_MS:
 *
 * Overall connection timeout: Foolscap's TubConnector.CONNECTION_TIMEOUT.
 */
#define FURLHINT_DEFAULT_TIMEOUT_MS 120000

/**
 * FurlHintConnectStatusFunc:
 * @hint_index: the hint (index into the FURL's hints)
 * @status: its new status, as Foolscap words it ("resolving hint",
 *   "connecting", "connected", "connection refused", "abandoned",
 *   "bad hint: ...", "failed to connect: ...", plugin progress such as
 *   "connecting to a Tor")
 * @user_data: what was given with the function
 *
 * Live progress of one hint, called on the thread-default main context the
 * connect was started on.
 */
typedef void (*FurlHintConnectStatusFunc) (guint hint_index,
                                           const gchar *status,
                                           gpointer user_data);

/**
 * FurlHintConnectOptions:
 * @struct_size: sizeof (FurlHintConnectOptions)
 * @rank: ranking options (overrides, stagger) used when connecting to a FURL
 * @timeout_ms: overall timeout; 0 means %FURLHINT_DEFAULT_TIMEOUT_MS
 * @status: (nullable): live progress
 * @status_data: data for @status
 *
 * Optional inputs to connecting. Initialise with
 * `FurlHintConnectOptions o = { sizeof o, { sizeof o.rank, }, };`.
 */
typedef struct {
  guint32 struct_size;
  FurlHintRankOptions rank;
  guint timeout_ms;
  FurlHintConnectStatusFunc status;
  gpointer status_data;
} FurlHintConnectOptions;

/**
 * FurlHintConnectResult:
 *
 * What connecting gave: the stream (on success), the winning route, and
 * every hint's final status. Reference counted.
 */
typedef struct _FurlHintConnectResult FurlHintConnectResult;

/**
 * FURLHINT_TYPE_CONNECT_RESULT:
 *
 * The #GType of #FurlHintConnectResult (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_CONNECT_RESULT (furlhint_connect_result_get_type ())

/**
 * furlhint_connect_result_get_type:
 *
 * The boxed #GType of #FurlHintConnectResult (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintConnectResult.
 */
GType furlhint_connect_result_get_type (void) G_GNUC_CONST;

/**
 * furlhint_context_connect_async:
 * @ctx: a context
 * @furl: the FURL to connect to
 * @options: (nullable): options
 * @cancellable: (nullable): cancels the whole attempt
 * @callback: called once, on the thread-default main context of the caller
 * @user_data: data for @callback
 *
 * Ranks @furl with the context's policy, then connects: the routes of a
 * tier are started in rank order, each after its start delay (or as soon
 * as every earlier route of the tier has failed); the first established
 * stream wins and the others are cancelled and closed; the next tier
 * starts only when the previous one is exhausted. A transport found down
 * makes its other routes fail at once with the same cause.
 *
 * Cancelling @cancellable (from any thread) ends the connect with
 * %G_IO_ERROR_CANCELLED ahead of any result already on its way; a
 * @cancellable cancelled before the call starts no route at all.
 */
void furlhint_context_connect_async (FurlHintContext *ctx,
                                     FurlHintFurl *furl,
                                     const FurlHintConnectOptions *options,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);

/**
 * furlhint_context_connect_plan_async:
 * @ctx: a context
 * @plan: a plan (from furlhint_context_rank(), a custom ranker, or built
 *   with the plan API)
 * @options: (nullable): options (@options->rank is ignored)
 * @cancellable: (nullable): cancels the whole attempt
 * @callback: called once
 * @user_data: data for @callback
 *
 * As furlhint_context_connect_async(), for a plan the caller already has.
 * Routes run tier by tier, by their tier number, whether or not the plan
 * was finished (furlhint_plan_finish() sets the start delays).
 *
 * From this call on, @plan is in use (see #FurlHintPlan), for good,
 * whatever the connect's outcome: furlhint_plan_add_route(),
 * furlhint_plan_add_rejection() and furlhint_plan_finish() refuse it, so
 * nothing changes it under the connect, whoever else holds a reference.
 * To connect with a changed plan, build or rank a new one.
 *
 * Before any route starts, @plan is checked again against @ctx as it is
 * now, not as it was when the plan was made; when the check fails nothing
 * is connected (no plugin runs, no socket opens, no name is looked up),
 * the error is a %FURLHINT_POLICY_ERROR, and each routed hint's status
 * in the result starts "not tried: " and gives the reason:
 *
 * - %FURLHINT_POLICY_ERROR_STALE when the configuration's anonymous mode
 *   (furlhint_config_get_anonymous()) differs from the mode the context's
 *   plugins were initialised with (plugins keep it: set the mode with
 *   furlhint_config_set_anonymous() before loading plugins, or make a new
 *   context and load them again); when the node is in anonymous mode and
 *   @plan was ranked in normal mode (rank the FURL again); or when a
 *   route's plugin belongs to another context. furlhint_context_connect_async()
 *   ranks afresh but makes the same plugin check.
 * - %FURLHINT_POLICY_ERROR_REVEALING when, in anonymous mode (or in a plan
 *   ranked in it), a route is clear or proxied, its target would need a
 *   local DNS lookup, or it carries a public `tcp:` hint before
 *   %FURLHINT_TIER_TOR_FALLBACK — the rules furlhint_plan_add_route()
 *   applies.
 * - %FURLHINT_POLICY_ERROR_BAD_HINT when a target's host is not in its
 *   canonical form (see #FurlHintTarget).
 */
void furlhint_context_connect_plan_async (FurlHintContext *ctx,
                                          FurlHintPlan *plan,
                                          const FurlHintConnectOptions *options,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);

/**
 * furlhint_context_connect_finish:
 * @ctx: a context
 * @result: the #GAsyncResult given to the callback
 * @error: return location: when no route won, the error of the attempt
 *   that got furthest (%FURLHINT_CONNECT_ERROR), %FURLHINT_POLICY_ERROR_NO_ROUTE
 *   when the plan had no route, %FURLHINT_CONNECT_ERROR_TIMED_OUT after the
 *   overall timeout, %G_IO_ERROR_CANCELLED when cancelled
 *
 * Finishes furlhint_context_connect_async().
 *
 * Returns: (transfer full): the result — also on failure, so that every
 *   hint's status can be shown; furlhint_connect_result_get_stream() is
 *   %NULL then. Never %NULL.
 */
FurlHintConnectResult *furlhint_context_connect_finish (FurlHintContext *ctx,
                                                        GAsyncResult *result,
                                                        GError **error);

/**
 * furlhint_context_get_n_connects:
 * @ctx: a context
 *
 * How many connects on @ctx still have work going: a connect counts from
 * furlhint_context_connect_async() until its callback has run, the
 * #GAsyncResult is released and every route it started has ended. Each
 * holds a reference to @ctx (its plugins are in use), so the plugins are
 * finalised only after the last of them, however the caller drops its
 * own reference. A caller that wants the plugins finalised at a given
 * point (a launched tor stopped, the I2P sessions ended) cancels its
 * connects, iterates their main context until this is 0, then drops the
 * context.
 *
 * Returns: the number of such connects.
 */
guint furlhint_context_get_n_connects (FurlHintContext *ctx);

/**
 * furlhint_context_connect_finish_result:
 * @ctx: a context
 * @result: the #GAsyncResult given to the callback
 *
 * furlhint_context_connect_finish() for language bindings. A binding
 * turns a set @error into an exception and drops the return value, which
 * furlhint_context_connect_finish() gives also on failure, so every failed
 * connect would leak its result. This one sets no error: the result
 * carries it (furlhint_connect_result_get_error()).
 *
 * Returns: (transfer full): the result, on success or failure. Never
 *   %NULL.
 */
FurlHintConnectResult *furlhint_context_connect_finish_result (FurlHintContext *ctx,
                                                               GAsyncResult *result);

/**
 * furlhint_context_connect_fd:
 * @ctx: a context
 * @furl: the FURL
 * @options: (nullable): options
 * @cancellable: (nullable): cancels the attempt (from another thread)
 * @result: (out) (optional) (transfer full): the result, as from
 *   furlhint_context_connect_finish()
 * @error: return location, as for furlhint_context_connect_finish()
 *
 * Blocking wrapper for callers without a main loop: connects on a private
 * main context and returns a file descriptor for the stream (a socket the
 * caller owns and must close). Every bundled plugin gives a socket; a
 * third-party plugin whose stream is not a #GSocketConnection makes this
 * fail with %FURLHINT_CONNECT_ERROR_NOT_SUPPORTED (use the async API).
 * The descriptor outlives the call, not always @ctx: an I2P stream, or
 * one through a tor the context launched, ends when @ctx is finalised
 * (see furlhint_context_unref()). The call returns once the routes the
 * connect abandoned have ended too (at once for a plugin that answers
 * its cancellable; at most 10 s for one that does not), so nothing of
 * the connect is left holding @ctx.
 *
 * Returns: the descriptor, or -1 with @error set.
 */
gint furlhint_context_connect_fd (FurlHintContext *ctx,
                                  FurlHintFurl *furl,
                                  const FurlHintConnectOptions *options,
                                  GCancellable *cancellable,
                                  FurlHintConnectResult **result,
                                  GError **error);

/**
 * furlhint_connect_result_ref:
 * @result: a result
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @result
 */
FurlHintConnectResult *furlhint_connect_result_ref (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_unref:
 * @result: (transfer full) (nullable): a result
 *
 * Drops a reference; the last one closes a stream nobody stole.
 */
void furlhint_connect_result_unref (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_get_plan:
 * @result: a result
 *
 * The ranked plan the connector raced. Connects to the same FURL object
 * on one context may share one plan while nothing it was ranked from has
 * changed (the configuration, the mode with it, the plugins, the stagger;
 * never with per-peer overrides or a custom ranker). The plan is in use
 * (see #FurlHintPlan): read-only, and enforced so —
 * furlhint_plan_add_route(), furlhint_plan_add_rejection() and
 * furlhint_plan_finish() refuse it with a critical warning and leave it
 * as it is.
 *
 * Returns: (transfer none): the plan that was tried.
 */
FurlHintPlan *furlhint_connect_result_get_plan (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_get_stream:
 * @result: a result
 *
 * The stream of the route that won, still owned by @result.
 *
 * Returns: (transfer none) (nullable): the established stream.
 */
GIOStream *furlhint_connect_result_get_stream (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_steal_stream:
 * @result: a result
 *
 * Takes the stream of the route that won out of @result.
 *
 * Returns: (transfer full) (nullable): the stream, which @result then no
 *   longer closes.
 */
GIOStream *furlhint_connect_result_steal_stream (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_get_winner:
 * @result: a result
 *
 * Which route won.
 *
 * Returns: (transfer none) (nullable): the plan entry of the route that
 *   won, %NULL when none did.
 */
const FurlHintPlanEntry *furlhint_connect_result_get_winner (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_get_hint_status:
 * @result: a result
 * @hint_index: a hint of the FURL
 *
 * How one of the FURL's hints ended, as Foolscap's connection status would
 * say it.
 *
 * Returns: (nullable): the hint's final status ("connected", "abandoned",
 *   "connection refused", "failed to connect: ...", "bad hint: ...", or the
 *   policy's reason for a hint that got no route).
 */
const gchar *furlhint_connect_result_get_hint_status (FurlHintConnectResult *result,
                                                      guint hint_index);

/**
 * furlhint_connect_result_get_elapsed_ms:
 * @result: a result
 *
 * How long the connect took.
 *
 * Returns: milliseconds from the start to success or final failure.
 */
guint furlhint_connect_result_get_elapsed_ms (FurlHintConnectResult *result);

/**
 * furlhint_connect_result_get_error:
 * @result: a result
 *
 * Why the connect failed: the error furlhint_context_connect_finish() set
 * (or would have set), the same for furlhint_context_connect_finish_result()
 * and furlhint_context_connect_fd().
 *
 * Returns: (transfer none) (nullable): the error, %NULL when the connect
 *   succeeded; it lives as long as @result.
 */
const GError *furlhint_connect_result_get_error (FurlHintConnectResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintConnectResult, furlhint_connect_result_unref)

G_END_DECLS

#endif /* FURLHINT_CONNECT_H */
