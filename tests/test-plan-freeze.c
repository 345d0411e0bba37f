/* A plan a connector has been handed is in use for good: the three plan
 * mutators (furlhint_plan_add_route(), furlhint_plan_add_rejection(),
 * furlhint_plan_finish()) refuse it with a critical and leave it exactly
 * as it was (entries, order, delays, descriptions), while the connect
 * runs, after it ended, when it was refused, and through the plan of
 * furlhint_connect_result_get_plan() that connects to one FURL share. A
 * plan no connector has been handed stays mutable, and
 * furlhint_context_rank() never returns a plan in use.
 *
 * Real components: the bundled tcp plugin connecting to listening
 * sockets on 127.0.0.1 that never accept (the kernel completes each
 * handshake into the accept queue). Nothing else on the network.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <furlhint/furlhint.h>

#include "lab-connect.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define WAIT_MS 20000

typedef struct {
  FurlHintContext *ctx;
  GSocket *listeners[2];
  guint16 ports[2];
  FurlHintFurl *furl;         /* tcp: to both listeners, then a hint no plugin takes */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gchar *text;

  f->ctx = furlhint_context_new (NULL);
  furlhint_context_load_plugins (f->ctx);
  g_assert_nonnull (furlhint_context_find_plugin (f->ctx, "tcp"));
  for (guint i = 0; i < G_N_ELEMENTS (f->listeners); i++)
    f->listeners[i] = lab_listen_loopback (0, &f->ports[i]);
  text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,nosuchtype:x/swiss",
                          TUB, f->ports[0], f->ports[1]);
  f->furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_free (text);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  furlhint_furl_unref (f->furl);
  for (guint i = 0; i < G_N_ELEMENTS (f->listeners); i++)
    g_object_unref (f->listeners[i]);
  furlhint_context_unref (f->ctx);
}

/* --- a plan, as it is ---------------------------------------------------- */

/* Everything a reader of the plan sees: each entry (where it is, and
 * every field), the counts. */
typedef struct {
  guint n_entries;
  guint n_routes;
  GPtrArray *entries;         /* (element-type FurlHintPlanEntry) (unowned) in plan order */
  GPtrArray *texts;           /* (element-type utf8) (owned) each entry's fields */
} Snapshot;

static gchar *
entry_text (const FurlHintPlanEntry *e)
{
  return g_strdup_printf ("hint=%u routed=%d plugin=%s host=%s port=%u kind=%d class=%d "
                          "tier=%u delay=%u carried=%d description=%s code=%d reason=%s",
                          e->hint_index, e->routed,
                          e->plugin != NULL ? furlhint_plugin_get_name (e->plugin) : "-",
                          e->target.host != NULL ? e->target.host : "-", e->target.port,
                          e->target.host_kind, e->anon_class, e->tier, e->delay_ms, e->carried,
                          e->description != NULL ? e->description : "-", e->code,
                          e->reason != NULL ? e->reason : "-");
}

static void
snapshot_take (Snapshot *s, const FurlHintPlan *plan)
{
  s->n_entries = furlhint_plan_get_n_entries (plan);
  s->n_routes = furlhint_plan_get_n_routes (plan);
  s->entries = g_ptr_array_new ();
  s->texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < s->n_entries; i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);

      g_ptr_array_add (s->entries, (gpointer) e);
      g_ptr_array_add (s->texts, entry_text (e));
    }
}

static void
snapshot_clear (Snapshot *s)
{
  g_clear_pointer (&s->entries, g_ptr_array_unref);
  g_clear_pointer (&s->texts, g_ptr_array_unref);
}

/* @plan is as @s saw it: the same entries, at the same places, with the
 * same fields. */
static void
assert_unchanged (const FurlHintPlan *plan, const Snapshot *s)
{
  g_assert_cmpuint (furlhint_plan_get_n_entries (plan), ==, s->n_entries);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, s->n_routes);
  for (guint i = 0; i < s->n_entries; i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);
      g_autofree gchar *text = entry_text (e);

      g_assert_true (e == g_ptr_array_index (s->entries, i));
      g_assert_cmpstr (text, ==, g_ptr_array_index (s->texts, i));
    }
}

/* Entries with equal fields in equal order (@plan may be another plan). */
static void
assert_same_entries (const FurlHintPlan *plan, const Snapshot *s)
{
  g_assert_cmpuint (furlhint_plan_get_n_entries (plan), ==, s->n_entries);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, s->n_routes);
  for (guint i = 0; i < s->n_entries; i++)
    {
      g_autofree gchar *text = entry_text (furlhint_plan_get_entry (plan, i));

      g_assert_cmpstr (text, ==, g_ptr_array_index (s->texts, i));
    }
}

/* A target the tcp plugin parsed, for a route a test tries to add. */
static void
tcp_target (Fixture *f, guint16 port, FurlHintTarget *target)
{
  GError *error = NULL;
  gchar *hint = g_strdup_printf ("tcp:127.0.0.1:%u", port);

  g_assert_true (furlhint_plugin_parse (furlhint_context_find_plugin (f->ctx, "tcp"), hint,
                                        FURLHINT_PARSE_NATIVE, target, &error));
  g_assert_no_error (error);
  g_free (hint);
}

/* Each mutator on @plan, which a connector has been handed: each is
 * refused with a critical naming the precondition, and @plan stays as
 * @s saw it after each one. */
static void
assert_mutators_refused (Fixture *f, FurlHintPlan *plan, const Snapshot *s)
{
  FurlHintTarget target = { 0, };

  /* A route the plan would take were it not in use: tier 0, hint 1,
   * a valid target through this context's plugin. */
  tcp_target (f, f->ports[0], &target);
  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_add_route*!plan->in_use*");
  g_assert_false (furlhint_plan_add_route (plan, 1, furlhint_context_find_plugin (f->ctx, "tcp"),
                                           &target, FURLHINT_TIER_NATIVE, FALSE));
  g_test_assert_expected_messages ();
  assert_unchanged (plan, s);
  /* Refused before it was read: the caller still owns the target. */
  g_assert_nonnull (target.host);
  furlhint_target_clear (&target);

  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_add_rejection*!plan->in_use*");
  furlhint_plan_add_rejection (plan, 0, FURLHINT_POLICY_ERROR_NO_ROUTE, "changed by a caller");
  g_test_assert_expected_messages ();
  assert_unchanged (plan, s);

  /* Finishing again: with another stagger (it would set new delays), and
   * with the default one (it would change nothing): both refused. */
  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_finish*!plan->in_use*");
  furlhint_plan_finish (plan, 7);
  g_test_assert_expected_messages ();
  assert_unchanged (plan, s);

  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_finish*!plan->in_use*");
  furlhint_plan_finish (plan, FURLHINT_DEFAULT_STAGGER_MS);
  g_test_assert_expected_messages ();
  assert_unchanged (plan, s);
}

/* --- connecting ------------------------------------------------------------ */

/* The first route won: the connect ran the plan it was handed. */
static void
assert_connected_first (FurlHintConnectResult *result, const GError *error, FurlHintPlan *plan)
{
  g_assert_no_error (error);
  g_assert_nonnull (furlhint_connect_result_get_stream (result));
  g_assert_true (furlhint_connect_result_get_plan (result) == plan);
  g_assert_true (furlhint_connect_result_get_winner (result) == furlhint_plan_get_entry (plan, 0));
}

/* --- the cases ------------------------------------------------------------- */

/* A ranked plan handed to furlhint_context_connect_plan_async(): refused
 * while the connect runs (its first route started, the second one
 * waiting for its delay), and after it connected. */
static void
test_connect_plan (Fixture *f, gconstpointer data)
{
  FurlHintPlan *plan = furlhint_context_rank (f->ctx, f->furl, NULL);
  FurlHintConnectResult *result;
  LabConnecting *connecting;
  GError *error = NULL;
  Snapshot s;

  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 2);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 1)->delay_ms, ==, FURLHINT_DEFAULT_STAGGER_MS);
  snapshot_take (&s, plan);

  connecting = lab_connect_start (f->ctx, NULL, plan, NULL, NULL);
  g_assert_false (lab_connect_finished (connecting));
  assert_mutators_refused (f, plan, &s);

  result = lab_connect_wait (connecting, WAIT_MS, &error);
  assert_connected_first (result, error, plan);
  assert_mutators_refused (f, plan, &s);

  furlhint_connect_result_unref (result);
  snapshot_clear (&s);
  furlhint_plan_unref (plan);
}

/* A plan built by hand and never finished, its routes in the reverse of
 * plan order (finishing it would re-sort them): in use from the connect
 * on, like any other; finishing it is refused too, so its order stays. */
static void
test_unfinished_plan (Fixture *f, gconstpointer data)
{
  FurlHintPlugin *tcp = furlhint_context_find_plugin (f->ctx, "tcp");
  FurlHintPlan *plan = furlhint_plan_new (f->furl, FALSE);
  FurlHintTarget target = { 0, };
  FurlHintConnectResult *result;
  LabConnecting *connecting;
  GError *error = NULL;
  Snapshot s;

  tcp_target (f, f->ports[1], &target);
  g_assert_true (furlhint_plan_add_route (plan, 1, tcp, &target, FURLHINT_TIER_TOR_FALLBACK, FALSE));
  tcp_target (f, f->ports[0], &target);
  g_assert_true (furlhint_plan_add_route (plan, 0, tcp, &target, FURLHINT_TIER_NATIVE, FALSE));
  furlhint_plan_add_rejection (plan, 2, FURLHINT_POLICY_ERROR_NO_HANDLER, "no plugin takes it");
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 0)->tier, ==, FURLHINT_TIER_TOR_FALLBACK);
  snapshot_take (&s, plan);

  connecting = lab_connect_start (f->ctx, NULL, plan, NULL, NULL);
  assert_mutators_refused (f, plan, &s);
  result = lab_connect_wait (connecting, WAIT_MS, &error);
  /* Tier 0 ran first, wherever it is in the unfinished plan. */
  g_assert_no_error (error);
  g_assert_true (furlhint_connect_result_get_winner (result) == furlhint_plan_get_entry (plan, 1));
  assert_mutators_refused (f, plan, &s);

  furlhint_connect_result_unref (result);
  snapshot_clear (&s);
  furlhint_plan_unref (plan);
}

/* A plan the connector refused before any route started (no route at
 * all) was handed to it all the same: in use. */
static void
test_refused_connect (Fixture *f, gconstpointer data)
{
  FurlHintPlan *plan = furlhint_plan_new (f->furl, FALSE);
  FurlHintConnectResult *result;
  GError *error = NULL;
  Snapshot s;

  for (guint i = 0; i < furlhint_furl_get_n_hints (f->furl); i++)
    furlhint_plan_add_rejection (plan, i, FURLHINT_POLICY_ERROR_NO_ROUTE, "not today");
  furlhint_plan_finish (plan, FURLHINT_DEFAULT_STAGGER_MS);
  snapshot_take (&s, plan);

  result = lab_connect_wait (lab_connect_start (f->ctx, NULL, plan, NULL, NULL), WAIT_MS, &error);
  g_assert_error (error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE);
  assert_mutators_refused (f, plan, &s);

  furlhint_connect_result_unref (result);
  g_error_free (error);
  snapshot_clear (&s);
  furlhint_plan_unref (plan);
}

/* The plan of furlhint_connect_result_get_plan() after
 * furlhint_context_connect_async(): refused the same way, and the next
 * connect to the FURL shares it, as it was. */
static void
test_result_plan (Fixture *f, gconstpointer data)
{
  FurlHintConnectResult *a, *b;
  LabConnecting *connecting;
  GError *error = NULL;
  FurlHintPlan *plan;
  Snapshot s;

  a = lab_connect_wait (lab_connect_start (f->ctx, f->furl, NULL, NULL, NULL), WAIT_MS, &error);
  plan = furlhint_connect_result_get_plan (a);
  assert_connected_first (a, error, plan);
  snapshot_take (&s, plan);
  assert_mutators_refused (f, plan, &s);

  connecting = lab_connect_start (f->ctx, f->furl, NULL, NULL, NULL);
  /* Shared while b runs; refused while it runs. */
  assert_mutators_refused (f, plan, &s);
  b = lab_connect_wait (connecting, WAIT_MS, &error);
  assert_connected_first (b, error, plan);
  assert_mutators_refused (f, plan, &s);

  snapshot_clear (&s);
  furlhint_connect_result_unref (a);
  furlhint_connect_result_unref (b);
}

/* A plan no connector has been handed may be built on, finished or not:
 * a route and a rejection added to a ranked (finished) plan, finished
 * again, re-sorted and re-timed. */
static void
test_unused_plan_mutable (Fixture *f, gconstpointer data)
{
  FurlHintPlugin *tcp = furlhint_context_find_plugin (f->ctx, "tcp");
  FurlHintPlan *plan = furlhint_context_rank (f->ctx, f->furl, NULL);
  FurlHintTarget target = { 0, };
  guint n = furlhint_plan_get_n_entries (plan);

  g_assert_cmpuint (n, ==, 3);
  tcp_target (f, f->ports[0], &target);
  g_assert_true (furlhint_plan_add_route (plan, 1, tcp, &target, FURLHINT_TIER_TOR_FALLBACK, FALSE));
  g_assert_null (target.host);
  furlhint_plan_add_rejection (plan, 0, FURLHINT_POLICY_ERROR_NO_ROUTE, "and also not");
  g_assert_cmpuint (furlhint_plan_get_n_entries (plan), ==, n + 2);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 3);

  furlhint_plan_finish (plan, 100);
  /* Routes first (tier 0 ones a stagger apart, then the tier 1 one),
   * then the rejections in FURL order. */
  g_assert_true (furlhint_plan_get_entry (plan, 0)->routed);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 1)->delay_ms, ==, 100);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 2)->tier, ==, FURLHINT_TIER_TOR_FALLBACK);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 2)->delay_ms, ==, 0);
  g_assert_false (furlhint_plan_get_entry (plan, 3)->routed);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 3)->hint_index, ==, 0);
  g_assert_cmpuint (furlhint_plan_get_entry (plan, 4)->hint_index, ==, 2);

  furlhint_plan_unref (plan);
}

/* A ranker that keeps the plan it made and returns it again. */
static FurlHintPlan *
keeping_ranker (FurlHintContext *ctx, FurlHintFurl *furl,
                const FurlHintRankOptions *options, gpointer user_data)
{
  FurlHintPlan **kept = user_data;

  if (*kept == NULL)
    *kept = furlhint_rank_default (ctx, furl, options, NULL);
  return furlhint_plan_ref (*kept);
}

/* furlhint_context_rank() never returns a plan in use: a ranker that
 * kept its plan gets it back until a connector is handed it, a copy
 * after that, which is not in use (mutable), and equal; the kept plan
 * stays as it was. Connects through that ranker rank from the copy. */
static void
test_ranker_kept_plan (Fixture *f, gconstpointer data)
{
  FurlHintPlugin *tcp = furlhint_context_find_plugin (f->ctx, "tcp");
  FurlHintPlan *kept = NULL, *first, *again;
  FurlHintTarget target = { 0, };
  FurlHintConnectResult *result;
  GError *error = NULL;
  Snapshot s;

  furlhint_context_set_ranker (f->ctx, keeping_ranker, &kept);
  first = furlhint_context_rank (f->ctx, f->furl, NULL);
  g_assert_true (first == kept);
  snapshot_take (&s, kept);

  result = lab_connect_wait (lab_connect_start (f->ctx, NULL, first, NULL, NULL), WAIT_MS,
                             &error);
  assert_connected_first (result, error, kept);
  furlhint_connect_result_unref (result);

  again = furlhint_context_rank (f->ctx, f->furl, NULL);
  g_assert_true (again != kept);
  assert_same_entries (again, &s);
  assert_unchanged (kept, &s);
  tcp_target (f, f->ports[1], &target);
  g_assert_true (furlhint_plan_add_route (again, 0, tcp, &target, FURLHINT_TIER_TOR_FALLBACK, FALSE));
  furlhint_plan_finish (again, FURLHINT_DEFAULT_STAGGER_MS);
  g_assert_cmpuint (furlhint_plan_get_n_routes (again), ==, 3);
  assert_unchanged (kept, &s);
  assert_mutators_refused (f, kept, &s);

  /* Through the ranker, a connect gets the copy, ranked for it. */
  result = lab_connect_wait (lab_connect_start (f->ctx, f->furl, NULL, NULL, NULL), WAIT_MS,
                             &error);
  g_assert_no_error (error);
  g_assert_true (furlhint_connect_result_get_plan (result) != kept);
  assert_same_entries (furlhint_connect_result_get_plan (result), &s);
  assert_unchanged (kept, &s);
  furlhint_connect_result_unref (result);

  furlhint_context_set_ranker (f->ctx, NULL, NULL);
  furlhint_plan_unref (again);
  furlhint_plan_unref (first);
  furlhint_plan_unref (kept);
  snapshot_clear (&s);
}

/* A TCP socket bound to 127.0.0.1 and not listening: a connect to its
 * port is refused at once (RST), for as long as the test holds it. */
static GSocket *
bound_not_listening (guint16 *port)
{
  GError *error = NULL;
  GSocket *socket;
  GInetAddress *lo;
  GSocketAddress *addr;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (socket, addr, FALSE, &error));
  g_assert_no_error (error);
  g_object_unref (addr);
  g_object_unref (lo);
  addr = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  g_object_unref (addr);
  return socket;
}

/* What freezing prevents: a route added to a plan under a running
 * connect, then re-sorted into the place of a route not started yet,
 * would be run without the connector's start-of-connect check (here a
 * route through another context's tcp plugin, which that check refuses).
 * Refused: the connect runs its own two routes, both refused by the
 * kernel, and nothing reaches the listener the added route named. */
static void
test_no_route_added_under_connect (Fixture *f, gconstpointer data)
{
  FurlHintContext *other = furlhint_context_new (NULL);
  FurlHintPlugin *other_tcp;
  GSocket *closed[2];
  guint16 closed_ports[2];
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  FurlHintTarget target = { 0, };
  FurlHintConnectResult *result;
  LabConnecting *connecting;
  GError *error = NULL;
  gchar *text;
  Snapshot s;

  furlhint_context_load_plugins (other);
  other_tcp = furlhint_context_find_plugin (other, "tcp");
  g_assert_nonnull (other_tcp);
  for (guint i = 0; i < G_N_ELEMENTS (closed); i++)
    closed[i] = bound_not_listening (&closed_ports[i]);
  text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u,tcp:127.0.0.1:%u/swiss",
                          TUB, closed_ports[0], closed_ports[1]);
  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_free (text);
  plan = furlhint_context_rank (f->ctx, furl, NULL);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 2);
  snapshot_take (&s, plan);

  connecting = lab_connect_start (f->ctx, NULL, plan, NULL, NULL);
  g_assert_false (lab_connect_finished (connecting));
  /* Hint 0 again, tier 0: plan order would put it second, where the
   * connect's second route (not started yet) reads its entry. */
  g_assert_true (furlhint_plugin_parse (other_tcp, "tcp:127.0.0.1:1", FURLHINT_PARSE_NATIVE,
                                        &target, &error));
  g_assert_no_error (error);
  g_free (target.host);
  target.host = g_strdup ("127.0.0.1");
  target.port = f->ports[0];
  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_add_route*!plan->in_use*");
  g_assert_false (furlhint_plan_add_route (plan, 0, other_tcp, &target, FURLHINT_TIER_NATIVE, FALSE));
  g_test_assert_expected_messages ();
  furlhint_target_clear (&target);
  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL,
                         "*furlhint_plan_finish*!plan->in_use*");
  furlhint_plan_finish (plan, FURLHINT_DEFAULT_STAGGER_MS);
  g_test_assert_expected_messages ();
  assert_unchanged (plan, &s);

  result = lab_connect_wait (connecting, WAIT_MS, &error);
  g_assert_nonnull (error);
  g_test_message ("connect: %s", error->message);
  g_assert_null (furlhint_connect_result_get_stream (result));
  g_assert_null (furlhint_connect_result_get_winner (result));
  assert_unchanged (plan, &s);
  /* Nothing knocked at the listener the added route named. */
  g_assert_cmpint (g_socket_condition_check (f->listeners[0], G_IO_IN), ==, 0);

  furlhint_connect_result_unref (result);
  g_error_free (error);
  snapshot_clear (&s);
  furlhint_plan_unref (plan);
  furlhint_furl_unref (furl);
  for (guint i = 0; i < G_N_ELEMENTS (closed); i++)
    g_object_unref (closed[i]);
  furlhint_context_unref (other);
}

/* The shared plan and the plugins: a plugin registered after a connect
 * (here one that takes the FURL's third hint, which no plugin took) makes
 * the next connect rank again, and the plan the earlier connects shared
 * stays as it was. */
static void
test_shared_plan_plugin_change (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  FurlHintConnectResult *a, *b, *c;
  FurlHintFurl *furl;
  FurlHintPlan *shared, *fresh;
  gchar *text, *path;
  Snapshot s;

  text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,testproto:h.example:1/swiss",
                          TUB, f->ports[0], f->ports[1]);
  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_free (text);

  a = lab_connect_wait (lab_connect_start (f->ctx, furl, NULL, NULL, NULL), WAIT_MS, &error);
  shared = furlhint_connect_result_get_plan (a);
  assert_connected_first (a, error, shared);
  g_assert_false (furlhint_plan_get_entry (shared, 2)->routed);
  snapshot_take (&s, shared);
  b = lab_connect_wait (lab_connect_start (f->ctx, furl, NULL, NULL, NULL), WAIT_MS, &error);
  assert_connected_first (b, error, shared);

  path = g_build_filename (g_getenv ("FURLHINT_TEST_PLUGIN_DIR"), "good_test.la", NULL);
  g_assert_true (furlhint_context_load_plugin_file (f->ctx, path, &error));
  g_assert_no_error (error);
  g_free (path);

  c = lab_connect_wait (lab_connect_start (f->ctx, furl, NULL, NULL, NULL), WAIT_MS, &error);
  g_assert_no_error (error);
  fresh = furlhint_connect_result_get_plan (c);
  g_assert_true (fresh != shared);
  g_assert_cmpuint (furlhint_plan_get_n_routes (fresh), ==, 3);
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_connect_result_get_winner (c)->plugin),
                   ==, "tcp");
  assert_unchanged (shared, &s);

  snapshot_clear (&s);
  furlhint_connect_result_unref (a);
  furlhint_connect_result_unref (b);
  furlhint_connect_result_unref (c);
  furlhint_furl_unref (furl);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/plan/freeze/connect-plan", Fixture, NULL, setup, test_connect_plan, teardown);
  g_test_add ("/plan/freeze/unfinished-plan", Fixture, NULL, setup, test_unfinished_plan, teardown);
  g_test_add ("/plan/freeze/refused-connect", Fixture, NULL, setup, test_refused_connect, teardown);
  g_test_add ("/plan/freeze/result-plan", Fixture, NULL, setup, test_result_plan, teardown);
  g_test_add ("/plan/freeze/unused-plan-mutable", Fixture, NULL, setup,
              test_unused_plan_mutable, teardown);
  g_test_add ("/plan/freeze/ranker-kept-plan", Fixture, NULL, setup, test_ranker_kept_plan,
              teardown);
  g_test_add ("/plan/freeze/no-route-added-under-connect", Fixture, NULL, setup,
              test_no_route_added_under_connect, teardown);
  g_test_add ("/plan/freeze/shared-plan-plugin-change", Fixture, NULL, setup,
              test_shared_plan_plugin_change, teardown);
  return g_test_run ();
}
