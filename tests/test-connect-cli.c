/* `furlhint connect`, end to end: the built command (FURLHINT_CLI) run
 * with GSubprocess against real servers on loopback, in a private network
 * namespace (tests/lab.c): a socat echo server, closed ports, a black
 * hole, and a listening socket of the test's own that counts connections.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab.h"
#include "lab-cli.h"
#include "leakcheck/leakcheck.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"

/* Every run of the command is bounded: the longest case waits a 1 s
 * timeout. */
#define RUN_TIMEOUT_MS 20000

typedef struct {
  Lab *lab;
  guint fds_before;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
  f->fds_before = lab_count_open_fds ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
  lab_free (f->lab);
}

/* Runs `$FURLHINT_CLI connect ARGS...` with @input on stdin. Bounded. */
static void
run_connect (LabCliRun *run,
             GBytes *input,
             const gchar *first,
             ...)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "connect");
  va_start (ap, first);
  for (const gchar *a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  lab_cli_run (run, input, (const gchar *const *) argv->pdata, RUN_TIMEOUT_MS);
}

/* The lab's echo server; returns its port. Lab set-up: its own connects
 * (waiting for socat) are not the library's. */
static guint16
start_echo (Fixture *f)
{
  GError *error = NULL;
  guint16 port;

  leakcheck_suspend ();
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  leakcheck_resume ();
  g_assert_no_error (error);
  return port;
}

/* A black hole in the lab (lab set-up, as start_echo()). */
static LabBlackHole *
start_black_hole (Fixture *f)
{
  GError *error = NULL;
  LabBlackHole *hole;

  leakcheck_suspend ();
  hole = lab_black_hole_new (f->lab, &error);
  leakcheck_resume ();
  g_assert_no_error (error);
  return hole;
}

static gchar *
make_furl (const gchar *hints)
{
  return g_strdup_printf ("pb://%s@%s/swiss", TUB, hints);
}

/* --- connecting ------------------------------------------------------------- */

/* A refused hint and the live echo server: the echo server wins, stdout
 * names it with its route, every hint's final status follows, and stderr
 * has one plain line per status change (stderr is not a terminal here). */
static void
test_winner (Fixture *f, gconstpointer data)
{
  guint16 live, refused;
  gchar *hints, *furl, *expected;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  live = start_echo (f);
  refused = lab_free_port ("127.0.0.1");
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u", refused, live);
  furl = make_furl (hints);

  run_connect (&run, NULL, "--stagger", "100", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  expected = g_strdup_printf ("connected via hint 2 tcp:127.0.0.1:%u "
                              "(tcp, clear, direct TCP to 127.0.0.1:%u) in ", live, live);
  g_assert_true (g_str_has_prefix (run.out, expected));
  g_free (expected);
  expected = g_strdup_printf (" ms\n"
                              "  hint 1 tcp:127.0.0.1:%u: connection refused\n"
                              "  hint 2 tcp:127.0.0.1:%u: connected\n", refused, live);
  g_assert_true (g_str_has_suffix (run.out, expected));
  g_free (expected);
  expected = g_strdup_printf ("hint 1 tcp:127.0.0.1:%u: connecting\n"
                              "hint 1 tcp:127.0.0.1:%u: connection refused\n"
                              "hint 2 tcp:127.0.0.1:%u: connecting\n"
                              "hint 2 tcp:127.0.0.1:%u: connected\n",
                              refused, refused, live, live);
  g_assert_cmpstr (run.err, ==, expected);
  g_free (expected);
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hints);
}

/* Only a closed port: exit 1, the hint says "connection refused", stderr
 * gives the error. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  guint16 refused;
  gchar *hint, *furl, *expected;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  refused = lab_free_port ("127.0.0.1");
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", refused);
  furl = make_furl (hint);

  run_connect (&run, NULL, furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  expected = g_strdup_printf ("not connected\n  hint 1 %s: connection refused\n", hint);
  g_assert_cmpstr (run.out, ==, expected);
  g_free (expected);
  expected = g_strdup_printf ("ms: 127.0.0.1:%u: ", refused);
  lab_assert_contains (run.err, "furlhint connect: not connected after ");
  lab_assert_contains (run.err, expected);
  g_free (expected);
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hint);
}

/* --json: one status object per change, then the result. */
static void
test_json (Fixture *f, gconstpointer data)
{
  guint16 live, refused;
  gchar *hints, *furl, *expected, **lines;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  live = start_echo (f);
  refused = lab_free_port ("127.0.0.1");
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u", refused, live);
  furl = make_furl (hints);

  run_connect (&run, NULL, "--json", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  lines = g_strsplit (run.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);   /* 4 events, result, "" */
  g_assert_cmpstr (lines[5], ==, "");
  expected = g_strdup_printf ("{\"event\":\"status\",\"hint_index\":0,\"hint\":\"tcp:127.0.0.1:%u\","
                              "\"status\":\"connecting\"}", refused);
  g_assert_cmpstr (lines[0], ==, expected);
  g_free (expected);
  expected = g_strdup_printf ("{\"event\":\"status\",\"hint_index\":0,\"hint\":\"tcp:127.0.0.1:%u\","
                              "\"status\":\"connection refused\"}", refused);
  g_assert_cmpstr (lines[1], ==, expected);
  g_free (expected);
  expected = g_strdup_printf ("{\"event\":\"status\",\"hint_index\":1,\"hint\":\"tcp:127.0.0.1:%u\","
                              "\"status\":\"connected\"}", live);
  g_assert_cmpstr (lines[3], ==, expected);
  g_free (expected);

  g_assert_true (g_str_has_prefix (lines[4], "{\"event\":\"result\",\"ok\":true,\"anonymous\":false,"
                                   "\"tubid\":\"" TUB "\",\"elapsed_ms\":"));
  g_assert_true (g_str_has_suffix (lines[4], "}"));
  expected = g_strdup_printf ("\"winner\":{\"hint_index\":1,\"hint\":\"tcp:127.0.0.1:%u\","
                              "\"routed\":true,\"plugin\":\"tcp\",\"target\":{\"host\":\"127.0.0.1\","
                              "\"port\":%u,\"host_kind\":\"ipv4\",\"hint\":\"tcp:127.0.0.1:%u\"},"
                              "\"anon_class\":\"clear\",\"tier\":0,\"delay_ms\":250,", live, live, live);
  lab_assert_contains (lines[4], expected);
  g_free (expected);
  expected = g_strdup_printf ("\"statuses\":[{\"hint_index\":0,\"hint\":\"tcp:127.0.0.1:%u\","
                              "\"status\":\"connection refused\"},{\"hint_index\":1,"
                              "\"hint\":\"tcp:127.0.0.1:%u\",\"status\":\"connected\"}],"
                              "\"domain\":null,\"error\":null,\"message\":null}", refused, live);
  g_assert_true (g_str_has_suffix (lines[4], expected));
  g_free (expected);
  /* The swissnum is a secret: never printed. */
  g_assert_null (strstr (run.out, "swiss"));
  g_strfreev (lines);
  lab_cli_run_clear (&run);

  /* A failure: the result carries the error's code and message. */
  g_free (hints);
  g_free (furl);
  hints = g_strdup_printf ("tcp:127.0.0.1:%u", refused);
  furl = make_furl (hints);
  run_connect (&run, NULL, "--json", furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lines = g_strsplit (run.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[2], "{\"event\":\"result\",\"ok\":false,"));
  lab_assert_contains (lines[2], "\"winner\":null,");
  expected = g_strdup_printf ("\"domain\":\"connect\",\"error\":\"refused\","
                              "\"message\":\"127.0.0.1:%u: ", refused);
  lab_assert_contains (lines[2], expected);
  g_free (expected);
  g_strfreev (lines);
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hints);
}

/* --pipe --half-close: 64 KiB of random bytes through the echo server
 * come back byte for byte on stdout; stdin's EOF half-closes, the echo's
 * EOF ends it. */
static void
test_pipe (Fixture *f, gconstpointer data)
{
  guint16 live;
  gchar *hint, *furl, *expected;
  guint8 *bytes;
  GBytes *input;
  LabCliRun run = { 0 };
  gsize n = 64 * 1024;

  if (!lab_ready ())
    return;
  live = start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", live);
  furl = make_furl (hint);
  bytes = g_malloc (n);
  for (gsize i = 0; i < n; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (bytes + i, &r, 4);
    }
  input = g_bytes_new_take (bytes, n);

  run_connect (&run, input, "--pipe", "--half-close", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpmem (run.out, run.out_len, g_bytes_get_data (input, NULL), n);
  /* The report went to stderr. */
  expected = g_strdup_printf ("connected via hint 1 %s (tcp, clear, direct TCP to 127.0.0.1:%u) in ",
                              hint, live);
  lab_assert_contains (run.err, expected);
  g_free (expected);
  lab_cli_run_clear (&run);

  /* No input at all: the peer sees EOF at once and the relay ends. */
  run_connect (&run, NULL, "--pipe", "--half-close", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (run.out_len, ==, 0);
  lab_cli_run_clear (&run);

  g_bytes_unref (input);
  g_free (furl);
  g_free (hint);
}

/* --- --pipe and the end of input ------------------------------------------- */

/* What `connect -v` says on standard error once it has read standard
 * input's EOF: the event the peer below waits for. */
#define END_OF_INPUT "furlhint connect: end of standard input"

typedef struct {
  GDataInputStream *err_in;     /* (owned) */
  GString *err;
  const gchar *go_path;         /* (nullable) created when END_OF_INPUT is seen */
  GSubprocess *sub;             /* (unowned) */
  const gchar *sigint_on;       /* (nullable) SIGINT when a line ends with this */
  gboolean err_done;
  GMemoryOutputStream *out;     /* (owned) */
  gboolean out_done;
} PipeRun;

static void
pipe_run_err_line_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PipeRun *pr = user_data;
  GError *error = NULL;
  gchar *line = g_data_input_stream_read_line_finish (pr->err_in, res, NULL, &error);

  g_assert_no_error (error);
  if (line == NULL)
    {
      pr->err_done = TRUE;
      return;
    }
  g_string_append_printf (pr->err, "%s\n", line);
  if (pr->go_path != NULL && g_str_has_prefix (line, END_OF_INPUT))
    {
      g_file_set_contents (pr->go_path, "go\n", -1, &error);
      g_assert_no_error (error);
    }
  if (pr->sigint_on != NULL && g_str_has_suffix (line, pr->sigint_on))
    g_subprocess_send_signal (pr->sub, SIGINT);
  g_free (line);
  g_data_input_stream_read_line_async (pr->err_in, G_PRIORITY_DEFAULT, NULL,
                                       pipe_run_err_line_cb, pr);
}

static void
pipe_run_out_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PipeRun *pr = user_data;
  GError *error = NULL;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), res, &error);
  g_assert_no_error (error);
  pr->out_done = TRUE;
}

/* Runs @argv (NULL-terminated) with @input on stdin (then EOF); its
 * standard error is read line by line as it comes: when it says that
 * standard input has ended, @go_path (nullable) is created, and when a
 * line ends with @sigint_on (nullable), it gets a SIGINT. Bounded. */
static void
run_streaming (LabCliRun *run, const gchar *input, const gchar *go_path,
               const gchar *sigint_on, GPtrArray *argv)
{
  GError *error = NULL;
  GSubprocess *sub;
  PipeRun pr = { NULL, g_string_new (NULL), go_path, NULL, sigint_on, FALSE, NULL, FALSE };
  GOutputStream *in;
  gint64 t0;

  t0 = g_get_monotonic_time ();
  sub = g_subprocess_newv ((const gchar *const *) argv->pdata,
                           G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  pr.sub = sub;
  in = g_subprocess_get_stdin_pipe (sub);
  g_output_stream_write_all (in, input, strlen (input), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, &error);
  g_assert_no_error (error);

  pr.err_in = g_data_input_stream_new (g_subprocess_get_stderr_pipe (sub));
  g_data_input_stream_read_line_async (pr.err_in, G_PRIORITY_DEFAULT, NULL,
                                       pipe_run_err_line_cb, &pr);
  pr.out = G_MEMORY_OUTPUT_STREAM (g_memory_output_stream_new_resizable ());
  g_output_stream_splice_async (G_OUTPUT_STREAM (pr.out), g_subprocess_get_stdout_pipe (sub),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, pipe_run_out_cb, &pr);
  if (!lab_iterate_until (&pr.err_done, RUN_TIMEOUT_MS) ||
      !lab_iterate_until (&pr.out_done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (sub);
      g_error ("furlhint connect --pipe did not finish within %u ms; stderr:\n%s",
               RUN_TIMEOUT_MS, pr.err->str);
    }
  lab_cli_run_reap (run, sub, t0);
  run->out_len = g_memory_output_stream_get_data_size (pr.out);
  run->out = g_malloc (run->out_len + 1);
  if (run->out_len > 0)         /* no data: the stream's buffer is NULL */
    memcpy (run->out, g_memory_output_stream_get_data (pr.out), run->out_len);
  run->out[run->out_len] = '\0';
  run->err = g_string_free (pr.err, FALSE);
  g_test_message ("exit %d after %u ms\nstdout:\n%s\nstderr:\n%s", run->status,
                  run->elapsed_ms, run->out, run->err);
  g_object_unref (pr.err_in);
  g_object_unref (pr.out);
  g_object_unref (sub);
}

/* `connect -v --pipe ARGS...` through run_streaming(). */
static void
run_pipe (LabCliRun *run, const gchar *input, const gchar *go_path, const gchar *first, ...)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  GPtrArray *argv = g_ptr_array_new ();
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "connect");
  g_ptr_array_add (argv, (gpointer) "-v");
  g_ptr_array_add (argv, (gpointer) "--pipe");
  va_start (ap, first);
  for (const gchar *a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  run_streaming (run, input, go_path, NULL, argv);
  g_ptr_array_unref (argv);
}

/* A peer that, like a SAM bridge or an HTTP CONNECT proxy, ends the whole
 * connection when it reads our FIN, and answers a request only later: a
 * real socat whose child reads one line and answers it only once the
 * file @go_path exists. The FIN makes socat close the child's input and,
 * after its -t (0.5 s), the whole connection; the child never answers
 * before the test creates the file, so with a FIN the answer is lost,
 * whatever the timing. */
static guint16
start_late_answer_peer (Fixture *f, const gchar *go_path)
{
  GError *error = NULL;
  guint16 port = lab_free_port ("127.0.0.1");
  gchar *listen_arg = g_strdup_printf ("TCP4-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork", port);
  /* lab_wait_port()'s probe sends nothing: the child then exits at once.
   * The wait for the file is bounded (30 s) so that no child outlives a
   * failed run for long. */
  gchar *system_arg = g_strdup_printf ("SYSTEM:read line || exit 0; i=0; "
                                       "while [ ! -e '%s' ] && [ $i -lt 600 ]; do "
                                       "sleep 0.05; i=$((i+1)); done; "
                                       "[ -e '%s' ] && echo \"pong $line\"",
                                       go_path, go_path);
  const gchar *argv[] = { "socat", "-t", "0.5", listen_arg, system_arg, NULL };
  LabProc *proc;

  leakcheck_suspend ();
  proc = lab_spawn (f->lab, "late-answer", argv, &error);
  g_assert_no_error (error);
  lab_wait_port (proc, "127.0.0.1", port, LAB_WAIT_PORT_MS, &error);
  leakcheck_resume ();
  g_assert_no_error (error);
  g_free (listen_arg);
  g_free (system_arg);
  return port;
}

/* `echo ping | connect --pipe`: the end of input does not end the
 * conversation. Nothing tells the peer (no FIN), the peer's answer, sent
 * only after we have read our EOF, reaches stdout, and the peer's close
 * ends the relay. With --half-close the same peer ends the connection on
 * the FIN and the answer never comes: exit 0 with nothing on stdout. */
static void
test_pipe_end_of_input (Fixture *f, gconstpointer data)
{
  gchar *go_path, *hint, *furl;
  guint16 port;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  go_path = g_build_filename (lab_get_dir (f->lab), "go", NULL);
  port = start_late_answer_peer (f, go_path);
  f->fds_before = lab_count_open_fds ();
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  furl = make_furl (hint);

  run_pipe (&run, "ping\n", go_path, furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "pong ping\n");
  lab_assert_contains (run.err, END_OF_INPUT "; reading the peer until it closes or has been "
                       "silent for 30000 ms\n");
  lab_cli_run_clear (&run);

  /* The old way, on request: the peer reads the FIN and hangs up. The
   * file is not created, so the peer cannot answer in any order of
   * events. */
  g_assert_cmpint (g_unlink (go_path), ==, 0);
  run_pipe (&run, "ping\n", NULL, "--half-close", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (run.out_len, ==, 0);
  lab_assert_contains (run.err, END_OF_INPUT " (write side shut down: --half-close); ");
  lab_cli_run_clear (&run);

  g_free (furl);
  g_free (hint);
  g_free (go_path);
}

/* --idle-timeout bounds the wait for a peer that never closes (the echo
 * server, which sees no EOF): the relay ends cleanly after that much
 * silence, exit 0. */
static void
test_pipe_idle_timeout (Fixture *f, gconstpointer data)
{
  gchar *hint, *furl;
  guint16 live;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  live = start_echo (f);
  f->fds_before = lab_count_open_fds ();
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", live);
  furl = make_furl (hint);

  /* No input: nothing comes back, so nothing restarts the 1 s. */
  run_pipe (&run, "", NULL, "--idle-timeout", "1", furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (run.out_len, ==, 0);
  g_assert_cmpuint (run.elapsed_ms, >=, 1000);
  lab_assert_contains (run.err, "furlhint connect: the peer sent nothing for 1000 ms after the "
                       "end of standard input (--idle-timeout): ending the relay\n");
  lab_cli_run_clear (&run);

  g_free (furl);
  g_free (hint);
}

/* --timeout with a black hole: exit 1 within timeout + 1 s, the hint
 * "abandoned", the error the connector's timeout. */
static void
test_timeout (Fixture *f, gconstpointer data)
{
  LabBlackHole *hole;
  gchar *hint, *furl, *expected;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  hole = start_black_hole (f);
  f->fds_before = lab_count_open_fds ();
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", lab_black_hole_get_port (hole));
  furl = make_furl (hint);

  run_connect (&run, NULL, "--timeout", "1", furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (run.elapsed_ms, >=, 1000);
  g_assert_cmpuint (run.elapsed_ms, <, 2000);
  expected = g_strdup_printf ("not connected\n  hint 1 %s: abandoned\n", hint);
  g_assert_cmpstr (run.out, ==, expected);
  g_free (expected);
  lab_assert_contains (run.err, ": no connection established within client timeout (1000 ms)\n");
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hint);
}

/* Ctrl-C while connecting: cancelled cleanly, exit 130. */
static void
test_sigint (Fixture *f, gconstpointer data)
{
  LabBlackHole *hole;
  gchar *hint, *furl, *expected;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  hole = start_black_hole (f);
  f->fds_before = lab_count_open_fds ();
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", lab_black_hole_get_port (hole));
  furl = make_furl (hint);

  {
    /* The interrupt comes once the CLI says it is connecting: its signal
     * handlers are in place by then, whatever the machine's speed. */
    const gchar *argv[] = { g_getenv ("FURLHINT_CLI"), "connect", furl, NULL };
    GPtrArray *args = g_ptr_array_new ();
    gchar *connecting = g_strdup_printf ("%s: connecting", hint);

    g_assert_nonnull (argv[0]);
    for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
      g_ptr_array_add (args, (gpointer) argv[i]);
    run_streaming (&run, "", NULL, connecting, args);
    g_ptr_array_unref (args);
    g_free (connecting);
  }
  g_assert_cmpint (run.status, ==, 130);
  expected = g_strdup_printf ("not connected\n  hint 1 %s: abandoned\n", hint);
  g_assert_cmpstr (run.out, ==, expected);
  g_free (expected);
  lab_assert_contains (run.err, "furlhint connect: interrupted after ");
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hint);
}

/* --anonymous with only a clear hint and no Tor: no route, exit 1, and
 * the server the hint names never saw a connection. */
static void
test_anonymous (Fixture *f, gconstpointer data)
{
  struct sockaddr_in sin = { 0 };
  socklen_t len = sizeof sin;
  int listener, accepted;
  gchar *hint, *furl, *expected, *only;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  g_assert_cmpint (listener, >=, 0);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (listener, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (listener, 16), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &sin, &len), ==, 0);
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", ntohs (sin.sin_port));
  furl = make_furl (hint);

  /* Under the leak checker (make check-leakcheck), check the anonymous
   * CLI as well, not only this program: it inherits the log. */
  only = g_strdup (g_getenv ("FURLHINT_LEAKCHECK_ONLY"));
  if (only != NULL)
    {
      gchar *both = g_strconcat (only, ",furlhint", NULL);
      g_setenv ("FURLHINT_LEAKCHECK_ONLY", both, TRUE);
      g_free (both);
    }
  run_connect (&run, NULL, "--anonymous", furl, NULL);
  if (only != NULL)
    g_setenv ("FURLHINT_LEAKCHECK_ONLY", only, TRUE);
  g_free (only);
  g_assert_cmpint (run.status, ==, 1);
  expected = g_strdup_printf ("not connected\n  hint 1 %s: no route: ", hint);
  g_assert_true (g_str_has_prefix (run.out, expected));
  g_free (expected);
  lab_assert_contains (run.out, "anonymous mode");
  lab_assert_contains (run.err, "not connected after ");
  /* Nothing in stderr's live lines either: no attempt started. */
  g_assert_null (strstr (run.err, "connecting"));

  /* The listener's queue is empty: nobody connected. */
  accepted = accept (listener, NULL, NULL);
  g_assert_cmpint (accepted, ==, -1);
  g_assert_cmpint (errno, ==, EAGAIN);
  close (listener);
  lab_cli_run_clear (&run);
  g_free (furl);
  g_free (hint);
}

/* Usage and input errors: exit 2 and 3, nothing connected. */
static void
test_usage (Fixture *f, gconstpointer data)
{
  LabCliRun run = { 0 };
  gchar *furl = make_furl ("tcp:127.0.0.1:1");
  GBytes *furl_line;

  if (!lab_ready ())
    {
      g_free (furl);
      return;
    }
  run_connect (&run, NULL, NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_assert_contains (run.err, "furlhint connect: no FURL given\n");
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "--timeout", "0", furl, NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_assert_contains (run.err, "--timeout must be a number of seconds above 0");
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "--stagger", "-1", furl, NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "--pipe", "--idle-timeout", "-1", furl, NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_assert_contains (run.err, "--idle-timeout must be a number of seconds from 0");
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, furl, furl, NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "--pipe", "-", NULL);
  g_assert_cmpint (run.status, ==, 2);
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "--config", "/nonexistent/tahoe.cfg", furl, NULL);
  g_assert_cmpint (run.status, ==, 3);
  lab_cli_run_clear (&run);

  run_connect (&run, NULL, "pb://not-a-furl", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpstr (run.out, ==, "");
  lab_cli_run_clear (&run);

  /* "-": the FURL from stdin (a closed port: refused, exit 1). */
  furl_line = g_bytes_new (furl, strlen (furl));
  run_connect (&run, furl_line, "-", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpstr (run.out, ==, "not connected\n  hint 1 tcp:127.0.0.1:1: connection refused\n");
  lab_cli_run_clear (&run);
  g_bytes_unref (furl_line);
  g_free (furl);
}

int
main (int argc, char **argv)
{
  leakcheck_maybe_reexec (argv);
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/connect-cli/winner", Fixture, NULL, setup, test_winner, teardown);
  g_test_add ("/connect-cli/refused", Fixture, NULL, setup, test_refused, teardown);
  g_test_add ("/connect-cli/json", Fixture, NULL, setup, test_json, teardown);
  g_test_add ("/connect-cli/pipe", Fixture, NULL, setup, test_pipe, teardown);
  g_test_add ("/connect-cli/pipe/end-of-input", Fixture, NULL, setup, test_pipe_end_of_input,
              teardown);
  g_test_add ("/connect-cli/pipe/idle-timeout", Fixture, NULL, setup, test_pipe_idle_timeout,
              teardown);
  g_test_add ("/connect-cli/timeout", Fixture, NULL, setup, test_timeout, teardown);
  g_test_add ("/connect-cli/sigint", Fixture, NULL, setup, test_sigint, teardown);
  g_test_add ("/connect-cli/anonymous", Fixture, NULL, setup, test_anonymous, teardown);
  g_test_add ("/connect-cli/usage", Fixture, NULL, setup, test_usage, teardown);
  return g_test_run ();
}
