/* Plugins that break the plugin contract (tests/plugins/hostile_*.c): the
 * host must survive each one, turn it into a coded error, and still give
 * the FURL's other hints their chance. The good hint is a real TCP echo
 * server (socat) in the lab's private network namespace.
 *
 * Cases that may poison the process (a plugin calling back twice: a
 * use-after-free in the host would corrupt the heap) run in a subprocess,
 * with malloc's perturbation (M_PERTURB) on, so that freed memory is garbage at once and a
 * use-after-free crashes instead of passing by luck.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <malloc.h>
#include <string.h>

#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define SUBPROCESS_TIMEOUT_US (30 * G_USEC_PER_SEC)

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  LabStatuses statuses;
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  guint16 echo_port;
} Fixture;

static const gchar *
test_plugin_dir (void)
{
  static gchar *dir;

  if (dir == NULL)
    {
      const gchar *env = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");

      dir = env != NULL ? g_strdup (env) : g_test_build_filename (G_TEST_BUILT, "plugins", NULL);
    }
  return dir;
}

static void
load_test_plugin (FurlHintContext *ctx, const gchar *name)
{
  gchar *file = g_strconcat (name, ".la", NULL);
  gchar *path = g_build_filename (test_plugin_dir (), file, NULL);
  GError *error = NULL;

  furlhint_context_load_plugin_file (ctx, path, &error);
  g_assert_no_error (error);
  g_free (path);
  g_free (file);
}

static void
setup (Fixture *f, gconstpointer data)
{
  lab_set_watchdog (30);
  f->lab = lab_new ();
  lab_statuses_init (&f->statuses);
  f->ctx = lab_context_new (NULL, NULL, NULL);
  load_test_plugin (f->ctx, "hostile_connect");
  load_test_plugin (f->ctx, "hostile_parse");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  furlhint_connect_result_unref (f->result);
  g_clear_error (&f->error);
  if (f->ctx != NULL)
    furlhint_context_unref (f->ctx);
  lab_statuses_clear (&f->statuses);
  lab_free (f->lab);
}

static void
start_echo (Fixture *f)
{
  GError *error = NULL;

  f->echo_port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
}

static FurlHintFurl *
make_furl (const gchar *hints)
{
  gchar *text = g_strdup_printf ("pb://%s@%s/swiss", TUB, hints);
  GError *error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse (text, &error);

  g_assert_no_error (error);
  g_free (text);
  return furl;
}

/* "hang:x:1,tcp:127.0.0.1:%u" → with the echo port. */
static gchar *
hints_with_echo (Fixture *f, const gchar *hostile)
{
  return g_strdup_printf ("%s,tcp:127.0.0.1:%u", hostile, f->echo_port);
}

/* Connects and waits (bounded) for the result. */
static void
connect_hints (Fixture *f, const gchar *hints, guint timeout_ms)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  options.rank.stagger_ms = 50;
  options.timeout_ms = timeout_ms;
  options.status = lab_on_status;
  options.status_data = &f->statuses;
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  g_ptr_array_set_size (f->statuses.lines, 0);
  /* Bounded by the connector's own timeout; twice that is a hang. */
  f->result = lab_connect (f->ctx, TUB, hints, &options, NULL, 2 * timeout_ms + 1000, &f->error);
}

/* Lets late callbacks (the hostile plugin's second answer) arrive. */
static void
iterate_for (guint ms)
{
  gboolean never = FALSE;

  lab_iterate_until (&never, ms);
}

/* The good hint (index @good) won through the tcp plugin. */
static void
assert_good_won (Fixture *f, guint good)
{
  const FurlHintPlanEntry *winner;

  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpuint (winner->hint_index, ==, good);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "tcp");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, good), ==, "connected");
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "the good hint\n", 10);
}

/* At most as many descriptors as before: a child watch of the lab's own
 * set-up (pidfd, eventfd) may close meanwhile. */
static void
assert_fds_back (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  lab_assert_fds_back (f->fds_before, LAB_FDS_AT_MOST);
}

/* Runs the test in a subprocess (see the top of the file); returns TRUE in
 * the subprocess, which then does the work. */
static gboolean
in_subprocess (void)
{
  if (g_test_subprocess ())
    {
      /* MALLOC_PERTURB_: every freed byte becomes 0xa5 at once. */
      mallopt (M_PERTURB, 0xa5);
      return TRUE;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/* --- connects that never complete ---------------------------------------- */

/* The plugin honours only the cancellable: the overall timeout ends the
 * attempt, and the result says so. */
static void
test_hang (Fixture *f, gconstpointer data)
{
  guint elapsed;

  f->fds_before = lab_count_open_fds ();
  connect_hints (f, "hang:x:1", 1000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT);
  g_assert_cmpstr (f->error->message, ==,
                   "no connection established within client timeout (1000 ms)");
  g_assert_null (furlhint_connect_result_get_stream (f->result));
  g_assert_null (furlhint_connect_result_get_winner (f->result));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_assert_cmpuint (elapsed, >=, 1000);
  g_assert_cmpuint (elapsed, <, 1500);
  g_assert_cmpuint (f->statuses.lines->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f->statuses.lines, 0), ==, "0:connecting");
  g_assert_cmpstr (g_ptr_array_index (f->statuses.lines, 1), ==, "0:hanging forever");
  g_assert_cmpstr (g_ptr_array_index (f->statuses.lines, 2), ==, "0:abandoned");
  /* The plugin's cancelled answer comes after the result: ignored. */
  iterate_for (100);
  assert_fds_back (f);
}

static void
test_hang_and_good (Fixture *f, gconstpointer data)
{
  gchar *hints;

  if (!lab_ready ())
    return;
  start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hints = hints_with_echo (f, "hang:x:1");
  connect_hints (f, hints, 2000);
  assert_good_won (f, 1);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_assert_cmpuint (furlhint_connect_result_get_elapsed_ms (f->result), <, 1000);
  iterate_for (100);
  assert_fds_back (f);
  g_free (hints);
}

/* A route that answers its cancel late, from a thread of its own, after
 * the good route has won: furlhint_context_connect_fd() returns once that
 * answer is in, so the connect's hold on the context has ended (the
 * count of connects is 0) and nothing is left on its private main
 * context, which is gone. */
static void
test_late_cancel_fd (Fixture *f, gconstpointer data)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  FurlHintFurl *furl;
  gchar *hints;
  gint fd;

  if (!lab_ready ())
    return;
  start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hints = hints_with_echo (f, "latecancel:x:1");
  furl = make_furl (hints);
  options.rank.stagger_ms = 50;
  options.timeout_ms = 10000;
  fd = furlhint_context_connect_fd (f->ctx, furl, &options, NULL, &f->result, &f->error);
  g_assert_no_error (f->error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, "connected");
  g_assert_cmpuint (furlhint_context_get_n_connects (f->ctx), ==, 0);
  close (fd);
  furlhint_furl_unref (furl);
  g_free (hints);
  assert_fds_back (f);
}

/* Not even the cancellable: the caller still gets TIMED_OUT in time. The
 * connector's state for that attempt can never be freed (the plugin keeps
 * its callback): a subprocess, so the leak stays out of valgrind's count. */
static void
test_deaf (Fixture *f, gconstpointer data)
{
  gchar *hints;

  if (!in_subprocess ())
    return;
  if (!lab_ready ())
    return;
  start_echo (f);
  connect_hints (f, "deaf:x:1", 1000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_assert_cmpuint (furlhint_connect_result_get_elapsed_ms (f->result), <, 1500);

  hints = hints_with_echo (f, "deaf:x:1");
  connect_hints (f, hints, 2000);
  assert_good_won (f, 1);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  g_free (hints);
}

/* --- wrong answers --------------------------------------------------------- */

#define NEITHER_MESSAGE "plugin hostile_connect returned neither a stream nor an error"

static void
test_neither (Fixture *f, gconstpointer data)
{
  f->fds_before = lab_count_open_fds ();
  connect_hints (f, "neither:x:1", 2000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (f->error->message, ==, NEITHER_MESSAGE);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "failed to connect: " NEITHER_MESSAGE);
  g_assert_null (furlhint_connect_result_get_stream (f->result));
  g_assert_cmpuint (furlhint_connect_result_get_elapsed_ms (f->result), <, 500);
  assert_fds_back (f);
}

static void
test_neither_and_good (Fixture *f, gconstpointer data)
{
  gchar *hints;

  if (!lab_ready ())
    return;
  start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hints = hints_with_echo (f, "neither:x:1");
  connect_hints (f, hints, 2000);
  assert_good_won (f, 1);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "failed to connect: " NEITHER_MESSAGE);
  assert_fds_back (f);
  g_free (hints);
}

/* A stream and an error: the stream counts, the error is dropped (not
 * leaked: valgrind). */
static void
test_both (Fixture *f, gconstpointer data)
{
  const FurlHintPlanEntry *winner;

  connect_hints (f, "both:x:1", 2000);
  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "hostile_connect");
  g_assert_true (G_IS_SIMPLE_IO_STREAM (furlhint_connect_result_get_stream (f->result)));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
}

/* --- calling back twice ---------------------------------------------------- */

/* Error, then error: the first one counts; the second (50 ms later) must
 * be ignored, not touch freed memory. */
static void
test_twice (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ())
    return;
  connect_hints (f, "twice:x:1", 2000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "connection refused");
  iterate_for (300);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "connection refused");
}

/* Stream, then error: the connection stands. */
static void
test_twice_ok (Fixture *f, gconstpointer data)
{
  if (!in_subprocess ())
    return;
  connect_hints (f, "twiceok:x:1", 2000);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_SIMPLE_IO_STREAM (furlhint_connect_result_get_stream (f->result)));
  iterate_for (300);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
}

/* The second answer arrives while the good hint is still connecting: the
 * connector is alive then, and must not mistake it for anything. */
static void
test_twice_and_good (Fixture *f, gconstpointer data)
{
  gchar *hints;

  if (!in_subprocess ())
    return;
  if (!lab_ready ())
    return;
  start_echo (f);
  /* The hang: hint keeps the connector running past the second answer
   * (50 ms after the first); the good hint starts after its delay and
   * wins. */
  hints = g_strdup_printf ("twice:x:1,hang:y:1,tcp:127.0.0.1:%u", f->echo_port);
  connect_hints (f, hints, 2000);
  assert_good_won (f, 2);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "connection refused");
  iterate_for (300);
  g_free (hints);
}

/* --- calling back before connect_async returns ------------------------------ */

static void
test_sync (Fixture *f, gconstpointer data)
{
  connect_hints (f, "sync:x:1", 2000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "connection refused");
}

static void
test_sync_ok (Fixture *f, gconstpointer data)
{
  connect_hints (f, "syncok:x:1", 2000);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_SIMPLE_IO_STREAM (furlhint_connect_result_get_stream (f->result)));
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
}

static void
test_sync_and_good (Fixture *f, gconstpointer data)
{
  gchar *hints;

  if (!lab_ready ())
    return;
  start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hints = hints_with_echo (f, "sync:x:1,sync:y:2");
  connect_hints (f, hints, 2000);
  assert_good_won (f, 2);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "connection refused");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==,
                   "connection refused");
  assert_fds_back (f);
  g_free (hints);
}

/* A NULL status must not reach the application's status function (whose
 * @status is a string), nor become the hint's status. */
static void
test_null_status (Fixture *f, gconstpointer data)
{
  connect_hints (f, "nullstatus:x:1", 2000);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_false (f->statuses.saw_null);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "failed to connect: hostile plugin: failed after a NULL status");
}

/* --- parse and describe ------------------------------------------------------ */

typedef struct {
  const gchar *hint;
  gboolean by_host;      /* the host's words: "plugin 'hostile_parse' (ORIGIN) " first */
  const gchar *reason;   /* NULL: the hint gets a route */
} ParseCase;

static const ParseCase parse_cases[] = {
  { "refuse:a:1", FALSE, "hostile plugin refuses every refuse: hint ('refuse:a:1')" },
  { "nohost:a:1", TRUE, "accepted hint 'nohost:a:1' but gave no host; this is a bug "
                  "in the plugin (parse must fill target->host on success)" },
  { "emptyhost:a:1", TRUE, "accepted hint 'emptyhost:a:1' but gave no host; this is a "
                     "bug in the plugin (parse must fill target->host on success)" },
  { "falsenoerr:a:1", TRUE, "refused hint 'falsenoerr:a:1' without giving a reason (a "
                      "bug in the plugin: parse must set an error when it returns FALSE)" },
  { "wrongdomain:a:1", FALSE, "hostile plugin: an error of the wrong domain" },
  { "badkind:a:1", TRUE, "accepted hint 'badkind:a:1' but gave an unknown host kind "
                   "99; this is a bug in the plugin" },
  { "halfleft:a:1", FALSE, "hostile plugin: refused after filling the target" },
  { "trueerr:a:1", FALSE, NULL },
  { "nulldesc:a:1", FALSE, NULL },
};

/* Ranking keeps the plugin to its contract: a coded rejection with the
 * plugin's (or the host's) reason, or a route. Connecting a FURL with the
 * hostile hint first still reaches the good hint. */
static void
test_parse (Fixture *f, gconstpointer data)
{
  const ParseCase *c = data;
  gchar *origin = g_build_filename (test_plugin_dir (), "hostile_parse.la", NULL);
  gchar *hints, *reason;
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  const FurlHintPlanEntry *e = NULL;

  if (!lab_ready ())
    return;
  start_echo (f);
  hints = hints_with_echo (f, c->hint);
  furl = make_furl (hints);
  plan = furlhint_context_rank (f->ctx, furl, NULL);
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    if (furlhint_plan_get_entry (plan, i)->hint_index == 0)
      e = furlhint_plan_get_entry (plan, i);
  g_assert_nonnull (e);
  g_assert_nonnull (e->description);
  g_test_message ("%s: %s", c->hint, e->description);
  if (c->reason == NULL)
    {
      g_assert_true (e->routed);
      g_assert_cmpstr (e->target.host, ==, "a");
      g_assert_cmpstr (furlhint_plugin_get_name (e->plugin), ==, "hostile_parse");
      if (g_str_has_prefix (c->hint, "nulldesc:"))
        g_assert_true (g_str_has_prefix (e->description,
                                         "a:1 via plugin 'hostile_parse' (clear) "));
    }
  else
    {
      const gchar *status;

      g_assert_false (e->routed);
      g_assert_cmpint (e->code, ==, FURLHINT_POLICY_ERROR_BAD_HINT);
      reason = c->by_host
                 ? g_strdup_printf ("plugin 'hostile_parse' (%s) %s", origin, c->reason)
                 : g_strdup (c->reason);
      g_assert_nonnull (strstr (e->reason, reason));
      connect_hints (f, hints, 2000);
      assert_good_won (f, 1);
      status = furlhint_connect_result_get_hint_status (f->result, 0);
      g_assert_true (g_str_has_prefix (status, "bad hint: "));
      g_assert_nonnull (strstr (status, reason));
      g_free (reason);
    }
  furlhint_plan_unref (plan);
  furlhint_furl_unref (furl);
  g_free (hints);
  g_free (origin);
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/hostile-plugins/connect/hang", test_hang);
  ADD ("/hostile-plugins/connect/hang+good", test_hang_and_good);
  ADD ("/hostile-plugins/connect/deaf", test_deaf);
  ADD ("/hostile-plugins/connect/late-cancel/fd", test_late_cancel_fd);
  ADD ("/hostile-plugins/connect/neither", test_neither);
  ADD ("/hostile-plugins/connect/neither+good", test_neither_and_good);
  ADD ("/hostile-plugins/connect/both", test_both);
  ADD ("/hostile-plugins/connect/twice", test_twice);
  ADD ("/hostile-plugins/connect/twice-stream-first", test_twice_ok);
  ADD ("/hostile-plugins/connect/twice+good", test_twice_and_good);
  ADD ("/hostile-plugins/connect/sync", test_sync);
  ADD ("/hostile-plugins/connect/sync-stream", test_sync_ok);
  ADD ("/hostile-plugins/connect/sync+good", test_sync_and_good);
  ADD ("/hostile-plugins/connect/null-status", test_null_status);
#undef ADD
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      gchar *name = g_strndup (parse_cases[i].hint, strcspn (parse_cases[i].hint, ":"));
      gchar *path = g_strconcat ("/hostile-plugins/parse/", name, NULL);

      g_test_add (path, Fixture, &parse_cases[i], setup, test_parse, teardown);
      g_free (path);
      g_free (name);
    }
  return g_test_run ();
}
