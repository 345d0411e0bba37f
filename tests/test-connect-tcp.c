/* Connecting over direct TCP, end to end, against real servers on loopback
 * (tests/lab.c: private network namespace, socat echo servers, black holes).
 *
 * Covers the tcp plugin and the connector's racing as Foolscap's
 * TubConnector does it: stagger, first stream wins, losers "abandoned",
 * refused hints "connection refused", the furthest error when all fail,
 * the overall timeout, caller cancellation, and no socket left open.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  LabStatuses statuses;
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  LabBlackHole *slow;           /* (nullable) opened when hint opens_slow connects */
  guint opens_slow;
  const gchar *turn_after;      /* (nullable) the "HINT:status" after which... */
  gint turn_at;                 /* ...the main loop first ran again: how many statuses
                                 * had been reported then; -1 before */
  const gchar *cancel_after;    /* (nullable) the "HINT:status" 50 ms after which... */
  GCancellable *cancel;         /* (unowned) ...this is cancelled */
} Fixture;

/* Notes how many statuses had been reported when the main loop next gets
 * control: at the highest priority, before any timer or I/O callback of
 * the connector can run. */
static gboolean
loop_turn_cb (gpointer user_data)
{
  Fixture *f = user_data;

  f->turn_at = (gint) f->statuses.lines->len;
  return G_SOURCE_REMOVE;
}

static gboolean cancel_cb (gpointer user_data);

static void
on_status (guint hint_index, const gchar *status, gpointer user_data)
{
  Fixture *f = user_data;

  /* The slow route answers its next SYN retransmission only once the
   * live route has won: whatever the machine's speed, it comes too late. */
  if (f->slow != NULL && hint_index == f->opens_slow && g_str_equal (status, "connected"))
    lab_black_hole_open (f->slow);
  lab_on_status (hint_index, status, &f->statuses);
  if (f->cancel_after != NULL
      && g_str_equal (g_ptr_array_index (f->statuses.lines, f->statuses.lines->len - 1),
                      f->cancel_after))
    g_timeout_add (50, cancel_cb, f->cancel);
  if (f->turn_after != NULL && f->turn_at < 0
      && g_str_equal (g_ptr_array_index (f->statuses.lines, f->statuses.lines->len - 1),
                      f->turn_after))
    {
      GSource *turn = g_idle_source_new ();

      g_source_set_priority (turn, G_PRIORITY_HIGH);
      g_source_set_callback (turn, loop_turn_cb, f, NULL);
      g_source_attach (turn, g_main_context_get_thread_default ());
      g_source_unref (turn);
    }
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
  f->ctx = lab_context_new (NULL, NULL, NULL);
  g_assert_nonnull (furlhint_context_find_plugin (f->ctx, "tcp"));
  lab_statuses_init (&f->statuses);
  f->turn_at = -1;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  furlhint_connect_result_unref (f->result);
  g_clear_error (&f->error);
  furlhint_context_unref (f->ctx);
  lab_statuses_clear (&f->statuses);
  lab_free (f->lab);
}

/* Connects to pb://TUB@HINTS/swiss and waits (bounded) for the result. */
static void
connect_furl (Fixture *f, const gchar *hints, guint stagger_ms, guint timeout_ms,
              GCancellable *cancellable)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  options.rank.stagger_ms = stagger_ms;
  options.timeout_ms = timeout_ms;
  options.status = on_status;
  options.status_data = f;
  f->result = lab_connect (f->ctx, TUB, hints, &options, cancellable, 30000, &f->error);
}

/* The statuses of one hint, in order, without its "N:" prefix. */
static gchar *
hint_statuses (Fixture *f, guint hint_index)
{
  GString *s = g_string_new (NULL);
  gchar *prefix = g_strdup_printf ("%u:", hint_index);

  for (guint i = 0; i < f->statuses.lines->len; i++)
    {
      const gchar *status = g_ptr_array_index (f->statuses.lines, i);
      if (g_str_has_prefix (status, prefix))
        g_string_append_printf (s, "%s%s", s->len > 0 ? "|" : "", status + strlen (prefix));
    }
  g_free (prefix);
  return g_string_free (s, FALSE);
}

/* The sockets of a finished connect are all closed once the result is
 * gone. */
static void
assert_fds_back (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
}

/* --- the lab itself ------------------------------------------------------- */

static void
test_lab (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  guint16 port;
  LabBlackHole *hole;
  GSocketClient *client;
  GSocketConnection *conn;
  gint64 t0;

  if (!lab_ready ())
    return;

  /* Nothing but loopback: the outside world is unreachable, so a stray
   * DNS query or connection fails here instead of leaving the machine. */
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "192.0.2.1:80", 0, NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE);
  g_clear_error (&error);

  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  lab_assert_echo (G_IO_STREAM (conn), "lab\n", 10);
  g_object_unref (conn);

  /* A black hole: connect() neither succeeds nor fails. */
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  g_socket_client_set_timeout (client, 1);
  t0 = g_get_monotonic_time ();
  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
                                          lab_black_hole_get_port (hole), NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 900 * 1000);

  /* Opened, it answers. */
  lab_black_hole_open (hole);
  g_socket_client_set_timeout (client, 5);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
                                          lab_black_hole_get_port (hole), NULL, &error);
  g_assert_no_error (error);
  g_object_unref (conn);
  g_object_unref (client);
}

/* --- direct connections ------------------------------------------------------ */

static void
test_echo (Fixture *f, gconstpointer data)
{
  const gchar *host = data;
  GError *error = NULL;
  guint16 port;
  gchar *hints, *statuses;
  const FurlHintPlanEntry *winner;

  if (!lab_ready ())
    return;
  port = lab_echo_server_start (f->lab, g_str_equal (host, "localhost") ? "127.0.0.1" : host,
                                &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  hints = g_strdup_printf (strchr (host, ':') != NULL ? "tcp:[%s]:%u" : "tcp:%s:%u", host, port);
  connect_furl (f, hints, 0, 10000, NULL);
  g_assert_no_error (f->error);
  g_assert_nonnull (furlhint_connect_result_get_stream (f->result));
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "hello through furlhint\n", 10);

  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpuint (winner->hint_index, ==, 0);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "tcp");
  g_assert_cmpstr (winner->target.host, ==, host);
  g_assert_cmpuint (winner->target.port, ==, port);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
  statuses = lab_statuses_join (&f->statuses);
  g_assert_cmpstr (statuses, ==, "0:connecting|0:connected");
  g_free (statuses);
  g_free (hints);
  assert_fds_back (f);
}

static void
test_fd (Fixture *f, gconstpointer data)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  GError *error = NULL;
  guint16 port;
  gchar *text;
  FurlHintFurl *furl;
  gint fd;
  gchar buf[16];
  gssize n;
  struct timeval tv = { 10, 0 };

  if (!lab_ready ())
    return;
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u/swiss", TUB, port);
  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  options.timeout_ms = 10000;
  fd = furlhint_context_connect_fd (f->ctx, furl, &options, NULL, &f->result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
  /* The caller's descriptor is the only one left open. */
  furlhint_connect_result_unref (f->result);
  f->result = NULL;
  g_assert_cmpuint (lab_wait_fds_at_most (f->fds_before + 1, 3000), ==, f->fds_before + 1);

  /* The descriptor is a dup of GSocket's, which is non-blocking; a
   * caller without a main loop wants blocking I/O. */
  if (fcntl (fd, F_GETFL) & O_NONBLOCK)
    {
      g_test_message ("furlhint_context_connect_fd() returned a non-blocking descriptor");
      g_assert_cmpint (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK), ==, 0);
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  g_assert_cmpint (send (fd, "ping\n", 5, MSG_NOSIGNAL), ==, 5);
  n = recv (fd, buf, 5, MSG_WAITALL);
  g_assert_cmpint (n, >=, 0);
  g_assert_cmpmem (buf, 5, "ping\n", 5);
  close (fd);
  g_assert_cmpuint (lab_count_open_fds (), ==, f->fds_before);
  furlhint_furl_unref (furl);
  g_free (text);
}

/* --- racing --------------------------------------------------------------------- */

#define RACE_STAGGER_MS 100

/* One FURL, four hints in rank order: refused (closed port), black hole
 * (SYNs dropped), slow (SYN dropped, answered on a retransmission once the
 * live route has won) and live. The refused one fails at once, so the black
 * hole starts then or at its stagger, whichever comes first, and the
 * stagger runs from there: the slow one starts a stagger later and the
 * live one a stagger after that, no earlier than 2×stagger, and wins. */
static void
test_race (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  guint16 live, refused;
  LabBlackHole *hole, *slow;
  gchar *hints;
  guint elapsed;
  const FurlHintPlan *plan;

  if (!lab_ready ())
    return;
  live = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  refused = lab_free_port ("127.0.0.1");
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  slow = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,tcp:127.0.0.1:%u",
                           refused, lab_black_hole_get_port (hole),
                           lab_black_hole_get_port (slow), live);
  f->slow = slow;
  f->opens_slow = 3;
  connect_furl (f, hints, RACE_STAGGER_MS, 20000, NULL);
  g_assert_no_error (f->error);

  plan = furlhint_connect_result_get_plan (f->result);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (furlhint_plan_get_entry ((FurlHintPlan *) plan, i)->delay_ms, ==,
                      i * RACE_STAGGER_MS);

  g_assert_cmpuint (furlhint_connect_result_get_winner (f->result)->hint_index, ==, 3);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_test_message ("live hint won after %u ms (started at or after %u ms)", elapsed,
                  2 * RACE_STAGGER_MS);
  g_assert_cmpuint (elapsed, >=, 2 * RACE_STAGGER_MS - 10);
  /* Only a bound against a hang: how long after its start the live route
   * connects depends on the machine, not on the connector. */
  g_assert_cmpuint (elapsed, <, 3 * RACE_STAGGER_MS + 10000);

  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connection refused");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, "abandoned");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 2), ==, "abandoned");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 3), ==, "connected");
  {
    /* Which of hint 0's refusal and hint 1's stagger timer comes first is
     * up to the machine; each hint's own sequence and the order of the
     * later routes are not. */
    static const gchar *const expected[] = {
      "connecting|connection refused", "connecting|abandoned",
      "connecting|abandoned", "connecting|connected",
    };
    gchar *statuses = lab_statuses_join (&f->statuses);
    const gchar *tail = strstr (statuses, "|2:connecting|");

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        gchar *one = hint_statuses (f, i);
        g_assert_cmpstr (one, ==, expected[i]);
        g_free (one);
      }
    g_assert_nonnull (tail);
    g_assert_cmpstr (tail, ==, "|2:connecting|3:connecting|3:connected|1:abandoned|2:abandoned");
    g_free (statuses);
  }
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "winner\n", 10);
  g_free (hints);
  /* Opening the slow hole closed the lab's own queued connection. */
  f->fds_before--;
  assert_fds_back (f);
}

#define FAIL_STAGGER_MS 2000

/* A failure starts the next route of the tier at once, even while an
 * earlier route is still pending, and the stagger runs again from that
 * start. Four hints in rank order: black hole, refused, black hole, live.
 * The first starts at 0 and hangs; the refused one starts at 1×stagger
 * and fails; the second black hole starts in the same turn of the main
 * loop (not at its nominal 2×stagger), and the live one a stagger after
 * it, at 2×stagger (not at 3×stagger), and wins. */
static void
test_race_failure_starts_next (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  guint16 live, refused;
  LabBlackHole *hole, *hole2;
  gchar *hints, *statuses;
  guint elapsed;
  gint refused_at;
  const FurlHintPlan *plan;

  if (!lab_ready ())
    return;
  live = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  refused = lab_free_port ("127.0.0.1");
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  hole2 = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,tcp:127.0.0.1:%u,tcp:127.0.0.1:%u",
                           lab_black_hole_get_port (hole), refused,
                           lab_black_hole_get_port (hole2), live);
  f->turn_after = "1:connection refused";
  connect_furl (f, hints, FAIL_STAGGER_MS, 30000, NULL);
  g_assert_no_error (f->error);

  /* The plan keeps the nominal schedule: what happens when nothing fails. */
  plan = furlhint_connect_result_get_plan (f->result);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (furlhint_plan_get_entry ((FurlHintPlan *) plan, i)->delay_ms, ==,
                      i * FAIL_STAGGER_MS);

  statuses = lab_statuses_join (&f->statuses);
  g_assert_cmpstr (statuses, ==,
                   "0:connecting|1:connecting|1:connection refused|2:connecting"
                   "|3:connecting|3:connected|0:abandoned|2:abandoned");
  g_free (statuses);
  /* Hint 2 started before the main loop ran again after the refusal: the
   * failure started it, not a timer. */
  refused_at = lab_statuses_find (&f->statuses, "1:connection refused");
  g_assert_cmpint (f->turn_at, >, refused_at + 1);
  g_assert_cmpint (lab_statuses_find (&f->statuses, "2:connecting"), ==, refused_at + 1);

  g_assert_cmpuint (furlhint_connect_result_get_winner (f->result)->hint_index, ==, 3);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_test_message ("live hint won after %u ms (nominal start %u ms, after the failure %u ms)",
                  elapsed, 3 * FAIL_STAGGER_MS, 2 * FAIL_STAGGER_MS);
  g_assert_cmpuint (elapsed, >=, 2 * FAIL_STAGGER_MS - 10);
  /* The statuses above are the proof; this only bounds it: the live route
   * starts at 2×stagger, and at its nominal 3×stagger if the failure moved
   * nothing. */
  g_assert_cmpuint (elapsed, <, 3 * FAIL_STAGGER_MS - 10);

  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "winner\n", 10);
  g_free (hints);
  assert_fds_back (f);
}

/* All hints fail: the error is the furthest attempt's (ties: the first in
 * rank order), and each hint keeps its own failure. */
static void
test_all_fail (Fixture *f, gconstpointer data)
{
  guint16 refused = lab_ready () ? lab_free_port ("127.0.0.1") : 0;
  gchar *hints, *expected;

  if (!lab_ready ())
    return;
  f->fds_before = lab_count_open_fds ();
  /* 192.0.2.1: no route out of the private namespace. */
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:192.0.2.1:%u", refused, refused);
  connect_furl (f, hints, 50, 10000, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED);
  expected = g_strdup_printf ("127.0.0.1:%u: ", refused);
  g_assert_true (g_str_has_prefix (f->error->message, expected));
  g_free (expected);
  g_assert_null (furlhint_connect_result_get_stream (f->result));
  g_assert_null (furlhint_connect_result_get_winner (f->result));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connection refused");
  expected = g_strdup_printf ("failed to connect: 192.0.2.1:%u: ", refused);
  g_assert_true (g_str_has_prefix (furlhint_connect_result_get_hint_status (f->result, 1), expected));
  g_assert_nonnull (strstr (furlhint_connect_result_get_hint_status (f->result, 1), "unreachable"));
  g_free (expected);
  g_free (hints);
  assert_fds_back (f);
}

/* Iterates the thread-default main context until no connect on @ctx has
 * work left (furlhint_context_get_n_connects()); bounded. */
static void
wait_no_connects (FurlHintContext *ctx)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (furlhint_context_get_n_connects (ctx) > 0 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (furlhint_context_get_n_connects (ctx), ==, 0);
}

/* furlhint_context_connect_finish_result(), the finish for bindings: the
 * same result, on failure too, with the error in it and none set. */
typedef struct {
  FurlHintContext *ctx;
  FurlHintConnectResult *result;
  gboolean done;
} FinishResult;

static void
finish_result_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  FinishResult *fr = user_data;

  fr->result = furlhint_context_connect_finish_result (fr->ctx, res);
  fr->done = TRUE;
}

static FurlHintConnectResult *
connect_finish_result (Fixture *f, const gchar *hints)
{
  gchar *text = g_strdup_printf ("pb://%s@%s/swiss", TUB, hints);
  FurlHintFurl *furl = furlhint_furl_parse (text, NULL);
  FinishResult fr = { f->ctx, NULL, FALSE };

  g_assert_nonnull (furl);
  g_assert_cmpuint (furlhint_context_get_n_connects (f->ctx), ==, 0);
  furlhint_context_connect_async (f->ctx, furl, NULL, NULL, finish_result_cb, &fr);
  g_assert_cmpuint (furlhint_context_get_n_connects (f->ctx), ==, 1);
  g_assert_true (lab_iterate_until (&fr.done, 30000));
  wait_no_connects (f->ctx);
  g_assert_nonnull (fr.result);
  furlhint_furl_unref (furl);
  g_free (text);
  return fr.result;
}

static void
test_finish_result (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  FurlHintConnectResult *result;
  guint16 port, refused;
  gchar *hints;

  if (!lab_ready ())
    return;
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  refused = lab_free_port ("127.0.0.1");
  f->fds_before = lab_count_open_fds ();

  hints = g_strdup_printf ("tcp:127.0.0.1:%u", refused);
  result = connect_finish_result (f, hints);
  g_assert_error (furlhint_connect_result_get_error (result), FURLHINT_CONNECT_ERROR,
                  FURLHINT_CONNECT_ERROR_REFUSED);
  g_assert_null (furlhint_connect_result_get_stream (result));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (result, 0), ==, "connection refused");
  furlhint_connect_result_unref (result);
  g_free (hints);

  hints = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  result = connect_finish_result (f, hints);
  g_assert_null (furlhint_connect_result_get_error (result));
  lab_assert_echo (furlhint_connect_result_get_stream (result), "finish result\n", 10);
  furlhint_connect_result_unref (result);
  g_free (hints);
  assert_fds_back (f);
}

/* All hints fail, and the route that reported more statuses got less far:
 * the tor plugin says "connecting to a Tor" and "connecting to Tor's SOCKS
 * port" and finds nothing listening (TRANSPORT_DOWN), while the direct
 * route reaches its target, which refuses. The error is the refusal,
 * whichever route comes first and however chatty the other is. */
static void
test_furthest_not_chattiest (Fixture *f, gconstpointer data)
{
  guint16 refused = lab_ready () ? lab_free_port ("127.0.0.1") : 0;
  guint16 no_tor = lab_ready () ? lab_free_port ("127.0.0.1") : 0;
  gchar *cfg, *hints, *expected, *tor_statuses, *tcp_statuses;
  gchar **tor_split, **tcp_split;

  if (!lab_ready ())
    return;
  cfg = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n", no_tor);
  furlhint_context_unref (f->ctx);
  f->ctx = lab_context_new (cfg, NULL, NULL);
  g_assert_nonnull (furlhint_context_find_plugin (f->ctx, "tor"));
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tor:%s:80,tcp:127.0.0.1:%u",
                           "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
                           refused);
  connect_furl (f, hints, 50, 10000, NULL);

  /* The Tor route did report more than the direct one, and failed. */
  tor_statuses = hint_statuses (f, 0);
  tcp_statuses = hint_statuses (f, 1);
  tor_split = g_strsplit (tor_statuses, "|", -1);
  tcp_split = g_strsplit (tcp_statuses, "|", -1);
  g_assert_cmpuint (g_strv_length (tor_split), >, g_strv_length (tcp_split));
  g_strfreev (tor_split);
  g_strfreev (tcp_split);
  g_assert_true (g_str_has_prefix (furlhint_connect_result_get_hint_status (f->result, 0),
                                   "failed to connect: "));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, "connection refused");

  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED);
  expected = g_strdup_printf ("127.0.0.1:%u: ", refused);
  g_assert_true (g_str_has_prefix (f->error->message, expected));
  g_free (expected);
  g_free (tor_statuses);
  g_free (tcp_statuses);
  g_free (hints);
  g_free (cfg);
  assert_fds_back (f);
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  LabBlackHole *hole;
  gchar *hints;
  guint elapsed;

  if (!lab_ready ())
    return;
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u", lab_black_hole_get_port (hole));
  connect_furl (f, hints, 0, 300, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT);
  g_assert_cmpstr (f->error->message, ==, "no connection established within client timeout (300 ms)");
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_assert_cmpuint (elapsed, >=, 300);
  g_assert_cmpuint (elapsed, <, 300 + 5000);   /* a hang bound */
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_free (hints);
  assert_fds_back (f);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  LabBlackHole *hole, *hole2;
  GCancellable *cancellable;
  gchar *hints;
  guint elapsed;

  if (!lab_ready ())
    return;
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  hole2 = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  cancellable = g_cancellable_new ();
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u",
                           lab_black_hole_get_port (hole), lab_black_hole_get_port (hole2));
  /* Cancelled once both routes run: 50 ms after the second (stagger
   * 100 ms) starts, whatever the time the connect took to begin. */
  f->cancel_after = "1:connecting";
  f->cancel = cancellable;
  connect_furl (f, hints, 100, 10000, cancellable);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_assert_cmpuint (elapsed, >=, 150);
  g_assert_cmpuint (elapsed, <, 150 + 5000);   /* a hang bound */
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, "abandoned");
  /* The abandoned routes end after the connect has: until then it still
   * counts, and holds the context (its plugins). */
  wait_no_connects (f->ctx);
  g_free (hints);
  assert_fds_back (f);
  g_object_unref (cancellable);
}

/* A connect whose cancellable is cancelled before it starts tries nothing:
 * no route starts (every hint "not tried"), not even the live one. */
static void
test_cancelled_before (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  GCancellable *cancellable = g_cancellable_new ();
  guint16 port;
  gchar *hints;

  if (!lab_ready ())
    return;
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.2:%u", port, port);
  g_cancellable_cancel (cancellable);
  connect_furl (f, hints, 100, 10000, cancellable);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (furlhint_connect_result_get_stream (f->result));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "not tried");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, "not tried");
  g_free (hints);
  assert_fds_back (f);
  g_object_unref (cancellable);
}

/* --- many connects at once ------------------------------------------------- */

#define MANY 200

typedef struct {
  FurlHintContext *ctx;
  guint done;
  guint cancelled;
  guint connecting;             /* "connecting" statuses: routes started */
  gboolean all_done;
  FurlHintConnectResult *results[MANY];
  GError *errors[MANY];
} Many;

typedef struct {
  Many *many;
  guint index;
} ManyCall;

static void
many_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  ManyCall *call = user_data;
  Many *m = call->many;

  g_assert_null (m->results[call->index]);
  m->results[call->index] = furlhint_context_connect_finish (m->ctx, res, &m->errors[call->index]);
  if (g_error_matches (m->errors[call->index], G_IO_ERROR, G_IO_ERROR_CANCELLED))
    m->cancelled++;
  m->all_done = ++m->done == MANY;
  g_free (call);
}

static void
many_status_cb (guint hint_index, const gchar *status, gpointer user_data)
{
  Many *m = user_data;

  if (g_str_equal (status, "connecting"))
    m->connecting++;
}

static void
many_start (Fixture *f, Many *m, FurlHintFurl *furl, GCancellable **cancellables)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  options.timeout_ms = 30000;
  options.status = many_status_cb;
  options.status_data = m;
  m->ctx = f->ctx;
  for (guint i = 0; i < MANY; i++)
    {
      ManyCall *call = g_new0 (ManyCall, 1);

      call->many = m;
      call->index = i;
      furlhint_context_connect_async (f->ctx, furl, &options,
                                      cancellables != NULL ? cancellables[i] : NULL,
                                      many_done_cb, call);
    }
}

static void
many_clear (Many *m)
{
  for (guint i = 0; i < MANY; i++)
    {
      g_clear_pointer (&m->results[i], furlhint_connect_result_unref);
      g_clear_error (&m->errors[i]);
    }
}

static FurlHintFurl *
furl_for_port (guint16 port)
{
  GError *error = NULL;
  gchar *text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u/swiss", TUB, port);
  FurlHintFurl *furl = furlhint_furl_parse (text, &error);

  g_assert_no_error (error);
  g_free (text);
  return furl;
}

/* MANY connects started together to one server all connect, each to that
 * server, and leave no descriptor behind. The server is a listening
 * socket that never accepts: the kernel completes each handshake into its
 * accept queue (backlog MANY). */
static void
test_many (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  GSocket *listener;
  guint16 port;
  FurlHintFurl *furl;
  Many m = { 0 };

  if (!lab_ready ())
    return;
  listener = lab_listen_loopback (MANY, &port);
  furl = furl_for_port (port);
  f->fds_before = lab_count_open_fds ();

  many_start (f, &m, furl, NULL);
  g_assert_true (lab_iterate_until (&m.all_done, 30000));
  for (guint i = 0; i < MANY; i++)
    {
      GIOStream *stream;
      GSocketAddress *remote;

      g_assert_no_error (m.errors[i]);
      stream = furlhint_connect_result_get_stream (m.results[i]);
      g_assert_true (G_IS_SOCKET_CONNECTION (stream));
      remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (stream), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)), ==, port);
      g_object_unref (remote);
      g_assert_cmpstr (furlhint_connect_result_get_hint_status (m.results[i], 0), ==, "connected");
    }
  g_assert_cmpuint (lab_count_open_fds (), ==, f->fds_before + MANY);
  many_clear (&m);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
  furlhint_furl_unref (furl);
  g_object_unref (listener);
}

typedef struct {
  FurlHintConnectResult *result;
  GError *error;
} Once;

/* One furlhint_context_connect_async() to @furl, waited for (bounded). */
static void
connect_once (Fixture *f, FurlHintFurl *furl, const FurlHintConnectOptions *options, Once *o)
{
  *o = (Once) { NULL, };
  o->result = lab_connect_wait (lab_connect_start (f->ctx, furl, NULL, options, NULL), 30000,
                                &o->error);
}

/* Connects to the same FURL share one ranked plan while nothing it was
 * ranked from has changed, and get a plan of their own as soon as
 * something has: the mode (a normal-mode plan never serves an anonymous
 * connect), the plan itself, the stagger; per-peer overrides are never
 * shared. */
static void
test_shared_plan (Fixture *f, gconstpointer data)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  FurlHintConfig *config = furlhint_context_get_config (f->ctx);
  GSocket *listener;
  guint16 port;
  GHashTable *overrides;
  FurlHintFurl *furl, *other;
  Once a, b, c, d, e, g, h, i, j, k;

  if (!lab_ready ())
    return;
  listener = lab_listen_loopback (0, &port);
  furl = furl_for_port (port);
  other = furl_for_port (port);

  connect_once (f, furl, NULL, &a);
  connect_once (f, furl, NULL, &b);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);
  g_assert_true (furlhint_connect_result_get_plan (a.result) ==
                 furlhint_connect_result_get_plan (b.result));

  /* Another FURL object, even with the same text: ranked again. */
  connect_once (f, other, NULL, &c);
  g_assert_no_error (c.error);
  g_assert_true (furlhint_connect_result_get_plan (c.result) !=
                 furlhint_connect_result_get_plan (a.result));

  /* Anonymous mode: ranked again, so refused by the policy (no Tor
   * here), not run from the normal-mode plan. */
  connect_once (f, furl, NULL, &d);
  g_assert_no_error (d.error);
  furlhint_config_set_anonymous (config, TRUE);
  connect_once (f, furl, NULL, &e);
  g_assert_error (e.error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE);
  g_assert_nonnull (strstr (e.error->message, "anonymous mode forbids direct TCP"));
  g_assert_null (strstr (e.error->message, "ranked in normal mode"));
  furlhint_config_set_anonymous (config, FALSE);

  /* Back in normal mode: a new plan, which then serves the next one. */
  connect_once (f, furl, NULL, &g);
  g_assert_no_error (g.error);
  g_assert_true (furlhint_connect_result_get_plan (g.result) !=
                 furlhint_connect_result_get_plan (d.result));

  /* Its holder cannot change a plan in use (tests/test-plan-freeze.c
   * tries every mutator): the next connect shares it, unchanged. */
  g_test_expect_message ("furlhint", G_LOG_LEVEL_CRITICAL, "*!plan->in_use*");
  furlhint_plan_add_rejection (furlhint_connect_result_get_plan (g.result), 0,
                               FURLHINT_POLICY_ERROR_NO_ROUTE, "changed by a caller");
  g_test_assert_expected_messages ();
  connect_once (f, furl, NULL, &h);
  g_assert_no_error (h.error);
  g_assert_true (furlhint_connect_result_get_plan (h.result) ==
                 furlhint_connect_result_get_plan (g.result));
  g_assert_cmpuint (furlhint_plan_get_n_entries (furlhint_connect_result_get_plan (h.result)), ==, 1);

  /* Another stagger, or overrides: a plan of its own. */
  options.rank.stagger_ms = 7;
  connect_once (f, furl, &options, &i);
  g_assert_no_error (i.error);
  g_assert_true (furlhint_connect_result_get_plan (i.result) !=
                 furlhint_connect_result_get_plan (h.result));
  overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (overrides, (gpointer) "tcp", (gpointer) "tcp");
  options.rank.overrides = overrides;
  connect_once (f, furl, &options, &j);
  connect_once (f, furl, &options, &k);
  g_assert_no_error (j.error);
  g_assert_no_error (k.error);
  g_assert_true (furlhint_connect_result_get_plan (j.result) !=
                 furlhint_connect_result_get_plan (k.result));
  g_hash_table_unref (overrides);

  furlhint_connect_result_unref (a.result);
  furlhint_connect_result_unref (b.result);
  furlhint_connect_result_unref (c.result);
  furlhint_connect_result_unref (d.result);
  furlhint_connect_result_unref (g.result);
  furlhint_connect_result_unref (h.result);
  furlhint_connect_result_unref (i.result);
  furlhint_connect_result_unref (j.result);
  furlhint_connect_result_unref (k.result);
  furlhint_connect_result_unref (e.result);
  g_clear_error (&e.error);
  furlhint_furl_unref (furl);
  furlhint_furl_unref (other);
  g_object_unref (listener);
}

/* MANY connects hang on a black hole; cancelling half of them closes
 * their sockets by the time each has called back, while the other half
 * still wait, each with its socket; cancelling the rest leaves no
 * descriptor behind. */
static void
test_many_cancel (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  LabBlackHole *hole;
  GCancellable *cancellables[MANY];
  FurlHintFurl *furl;
  Many m = { 0 };
  guint waiting;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;   /* a hang bound */

  if (!lab_ready ())
    return;
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  furl = furl_for_port (lab_black_hole_get_port (hole));
  for (guint i = 0; i < MANY; i++)
    cancellables[i] = g_cancellable_new ();
  f->fds_before = lab_count_open_fds ();

  many_start (f, &m, furl, cancellables);
  /* Every route has started, and has its socket open (GSocketClient
   * opens it after the route starts). */
  while (m.connecting < MANY || lab_count_open_fds () < f->fds_before + MANY)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (m.done, ==, 0);
  /* A socket each, and what the plugin shares between them. */
  waiting = lab_count_open_fds ();

  for (guint i = 0; i < MANY; i += 2)
    g_cancellable_cancel (cancellables[i]);
  while (m.done < MANY / 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (m.cancelled, ==, MANY / 2);
  for (guint i = 0; i < MANY; i++)
    {
      if (i % 2 == 0)
        {
          g_assert_error (m.errors[i], G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_assert_cmpstr (furlhint_connect_result_get_hint_status (m.results[i], 0), ==, "abandoned");
        }
      else
        g_assert_null (m.results[i]);
    }
  /* Not a descriptor more than the connects still waiting, without
   * running the main loop again. */
  g_assert_cmpuint (lab_count_open_fds (), ==, waiting - MANY / 2);

  for (guint i = 1; i < MANY; i += 2)
    g_cancellable_cancel (cancellables[i]);
  g_assert_true (lab_iterate_until (&m.all_done, 10000));
  g_assert_cmpuint (m.cancelled, ==, MANY);
  many_clear (&m);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
  for (guint i = 0; i < MANY; i++)
    g_object_unref (cancellables[i]);
  furlhint_furl_unref (furl);
}

/* The tcp plugin called directly (furlhint_plugin_get_descriptor()), its
 * cancellable cancelled from another thread: the socket is closed by the
 * time g_cancellable_cancel() returns there, before this thread's main
 * loop runs again; the cancellation then arrives once, on the context the
 * connect started on. */
typedef struct {
  guint calls;
  GAsyncResult *result;         /* (owned) (nullable) */
} DirectCall;

static void
direct_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  DirectCall *call = user_data;

  call->calls++;
  g_clear_object (&call->result);
  call->result = g_object_ref (res);
}

static gpointer
cancel_thread (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  return NULL;
}

/* A custom ranker that wraps the default one: connects through it never
 * take the shared plan. */
static FurlHintPlan *
counting_ranker (FurlHintContext *ctx, FurlHintFurl *furl,
                 const FurlHintRankOptions *options, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return furlhint_rank_default (ctx, furl, options, NULL);
}

/* The shared plan and what else it was ranked from: a setting changed
 * with furlhint_config_set_value() (here `tcp = disabled`, then back)
 * makes the next connect rank again, and a custom ranker is asked for
 * every connect, never handed the plan the default ranker shared. */
static void
test_shared_plan_config_ranker (Fixture *f, gconstpointer data)
{
  FurlHintConfig *config = furlhint_context_get_config (f->ctx);
  GError *error = NULL;
  GSocket *listener;
  guint16 port;
  FurlHintFurl *furl;
  Once a, b, c, d, e, g;
  guint calls = 0;

  if (!lab_ready ())
    return;
  listener = lab_listen_loopback (0, &port);
  furl = furl_for_port (port);

  connect_once (f, furl, NULL, &a);
  g_assert_no_error (a.error);

  /* tcp = disabled: ranked again, so refused, not run from the plan. */
  g_assert_true (furlhint_config_set_value (config, "connections", "tcp", "disabled", &error));
  g_assert_no_error (error);
  connect_once (f, furl, NULL, &b);
  g_assert_error (b.error, FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE);
  g_assert_nonnull (strstr (b.error->message, "tcp = disabled"));
  g_assert_true (furlhint_config_set_value (config, "connections", "tcp", "tcp", &error));
  g_assert_no_error (error);
  connect_once (f, furl, NULL, &c);
  g_assert_no_error (c.error);
  g_assert_true (furlhint_connect_result_get_plan (c.result) !=
                 furlhint_connect_result_get_plan (a.result));

  /* A custom ranker ranks every connect itself. */
  furlhint_context_set_ranker (f->ctx, counting_ranker, &calls);
  connect_once (f, furl, NULL, &d);
  connect_once (f, furl, NULL, &e);
  g_assert_no_error (d.error);
  g_assert_no_error (e.error);
  g_assert_cmpuint (calls, ==, 2);
  g_assert_true (furlhint_connect_result_get_plan (d.result) !=
                 furlhint_connect_result_get_plan (c.result));
  g_assert_true (furlhint_connect_result_get_plan (e.result) !=
                 furlhint_connect_result_get_plan (d.result));

  /* Back to the default ranker: the plan it ranked last, which nothing
   * has changed since, serves again. */
  furlhint_context_set_ranker (f->ctx, NULL, NULL);
  connect_once (f, furl, NULL, &g);
  g_assert_no_error (g.error);
  g_assert_cmpuint (calls, ==, 2);
  g_assert_true (furlhint_connect_result_get_plan (g.result) ==
                 furlhint_connect_result_get_plan (c.result));

  furlhint_connect_result_unref (a.result);
  furlhint_connect_result_unref (b.result);
  g_clear_error (&b.error);
  furlhint_connect_result_unref (c.result);
  furlhint_connect_result_unref (d.result);
  furlhint_connect_result_unref (e.result);
  furlhint_connect_result_unref (g.result);
  furlhint_furl_unref (furl);
  g_object_unref (listener);
}

static void
test_cancel_other_thread (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  FurlHintPlugin *plugin = furlhint_context_find_plugin (f->ctx, "tcp");
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  gpointer state = furlhint_plugin_get_state (plugin);
  FurlHintConnectArgs args = { 0 };
  FurlHintTarget target = { 0 };
  GCancellable *cancellable = g_cancellable_new ();
  DirectCall call = { 0 };
  LabBlackHole *hole;
  GIOStream *stream;
  gchar *hint;
  guint waiting;

  if (!lab_ready ())
    return;
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", lab_black_hole_get_port (hole));
  g_assert_true (desc->parse (state, hint, FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  args.struct_size = sizeof args;
  args.target = &target;
  args.isolation_key = TUB;
  desc->connect_async (state, &args, cancellable, direct_done_cb, &call);
  /* The socket, and what the plugin shares between connects. */
  waiting = lab_count_open_fds ();
  g_assert_cmpuint (waiting, >, f->fds_before);
  g_thread_join (g_thread_new ("cancel", cancel_thread, cancellable));
  g_assert_cmpuint (lab_count_open_fds (), ==, waiting - 1);
  g_assert_cmpuint (call.calls, ==, 0);

  while (call.calls == 0)
    g_main_context_iteration (NULL, TRUE);
  stream = desc->connect_finish (state, call.result, &error);
  g_assert_null (stream);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&call.result);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (call.calls, ==, 1);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
  furlhint_target_clear (&target);
  g_free (hint);
  g_object_unref (cancellable);
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/lab/servers", Fixture, NULL, setup, test_lab, teardown);
  g_test_add ("/connect/tcp/ipv4", Fixture, "127.0.0.1", setup, test_echo, teardown);
  g_test_add ("/connect/tcp/ipv6", Fixture, "::1", setup, test_echo, teardown);
  g_test_add ("/connect/tcp/localhost", Fixture, "localhost", setup, test_echo, teardown);
  g_test_add ("/connect/tcp/fd", Fixture, NULL, setup, test_fd, teardown);
  g_test_add ("/connect/tcp/race", Fixture, NULL, setup, test_race, teardown);
  g_test_add ("/connect/tcp/race/failure-starts-next", Fixture, NULL, setup,
              test_race_failure_starts_next, teardown);
  g_test_add ("/connect/tcp/all-fail", Fixture, NULL, setup, test_all_fail, teardown);
  g_test_add ("/connect/tcp/finish-result", Fixture, NULL, setup, test_finish_result,
              teardown);
  g_test_add ("/connect/tcp/furthest-not-chattiest", Fixture, NULL, setup,
              test_furthest_not_chattiest, teardown);
  g_test_add ("/connect/tcp/timeout", Fixture, NULL, setup, test_timeout, teardown);
  g_test_add ("/connect/tcp/cancel", Fixture, NULL, setup, test_cancel, teardown);
  g_test_add ("/connect/tcp/cancelled-before", Fixture, NULL, setup, test_cancelled_before, teardown);
  g_test_add ("/connect/tcp/many", Fixture, NULL, setup, test_many, teardown);
  g_test_add ("/connect/tcp/many/cancel", Fixture, NULL, setup, test_many_cancel, teardown);
  g_test_add ("/connect/tcp/shared-plan", Fixture, NULL, setup, test_shared_plan, teardown);
  g_test_add ("/connect/tcp/shared-plan/config-ranker", Fixture, NULL, setup,
              test_shared_plan_config_ranker, teardown);
  g_test_add ("/connect/tcp/cancel/other-thread", Fixture, NULL, setup, test_cancel_other_thread,
              teardown);
  return g_test_run ();
}
