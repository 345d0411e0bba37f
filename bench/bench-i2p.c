/* bench-i2p: time to the first echo byte over I2P, furlhint against a bare
 * SAM v3 client on the same destination, in the same run (`make
 * bench-tor` runs it after bench-tor; a benchmark, not a test).
 *
 * The lab's two i2pd routers (tests/lab-i2p.h) run in a private network
 * namespace (tests/lab.c; needs root): a floodfill B and a router A2 with
 * a SAM bridge. A server session on A2 forwards its destination to a
 * socat echo server; both sides are clients on A2's bridge, with the
 * lab's zero-hop tunnels. Each connect, on either side, runs from
 * nothing to the echoed byte on a session that exists already: a socket
 * to the bridge, HELLO, STREAM CONNECT to the server's b32 (i2pd opens
 * the stream to the destination), one byte written, time until it comes
 * back; then the stream is closed.
 *   reference: a minimal blocking SAM client (below): HELLO VERSION
 *              MIN=3.1 MAX=3.1, STREAM CONNECT ID=... DESTINATION=B32
 *              SILENT=false, the STREAM STATUS line, the byte;
 *   furlhint:  furlhint_context_connect_async() of pb://TUB@i2p:B32/swiss
 *              with `i2p.sam-api` set to A2's bridge (i2p plugin, its
 *              session for the tub ID made by the warm-up), then the same
 *              byte through the stream.
 * Sessions: SESSION CREATE takes 20 s on i2pd 2.45.1 (its readiness
 * check runs every 20 s; docs/lab-notes.md, "I2P"), on either side, so
 * it is made once per side before the rounds, by a warm-up connect that
 * also finds the server's LeaseSet; the rounds time what a node does for
 * each new connection. With zero-hop tunnels on one router both sides'
 * streams take the same path. Rounds alternate which side goes first.
 * Prints median and p90 of each side and the ratios furlhint/reference.
 *
 * Usage: bench-i2p [N]   (default 40)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <furlhint/furlhint.h>

#include "bench-common.h"
#include "bench-ttfb.h"
#include "lab.h"
#include "lab-i2p.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define REF_SESSION "benchref"
#define DEFAULT_N 40
#define WAIT_MS 30000
/* The server's LeaseSet reaches the floodfill some 20 s after its
 * session is up (docs/lab-notes.md): the warm-up retries until then. */
#define WARM_UP_S 180

typedef enum {
  SIDE_REFERENCE,
  SIDE_FURLHINT,
  N_SIDES
} Side;

static const gchar *const side_names[N_SIDES] = {
  "bare SAM v3 client (reference)",
  "furlhint i2p plugin",
};

typedef struct {
  FurlHintContext *ctx;
  FurlHintFurl *furl;
  guint16 sam_port;
  const gchar *b32;
  int ref_control;              /* the reference's session socket */
} Bench;

/* --- the reference: a bare SAM v3 client ------------------------------------ */

/* One line of the bridge's, byte by byte (what follows it is the
 * stream's), without its newline; NULL on EOF or timeout. */
static gchar *
sam_line (int fd)
{
  GString *line = g_string_new (NULL);
  gchar c;

  while (recv (fd, &c, 1, 0) == 1)
    {
      if (c == '\n')
        return g_string_free (line, FALSE);
      if (line->len > 4096)
        break;
      g_string_append_c (line, c);
    }
  g_string_free (line, TRUE);
  return NULL;
}

/* Sends @command, FALSE unless the reply starts with @expect; the reply
 * in *@reply (may be NULL). */
static gboolean
sam_ask (int fd, const gchar *command, const gchar *expect, gchar **reply)
{
  gchar *line;
  gboolean ok;

  if (!fh_bench_send_all (fd, command, strlen (command)))
    return FALSE;
  line = sam_line (fd);
  ok = line != NULL && g_str_has_prefix (line, expect);
  if (reply != NULL)
    *reply = line;
  else
    g_free (line);
  return ok;
}

/* The reference's session, outside the timed part: kept by the socket it
 * returns. */
static int
reference_session (guint16 port)
{
  int fd = fh_bench_reference_socket (port, WAIT_MS / 1000,
                                      "reference: connect to the SAM bridge");
  struct timeval tv = { 60, 0 };
  gchar *reply = NULL;

  if (!sam_ask (fd, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK", NULL))
    fh_bench_die ("reference: HELLO", NULL);
  /* SESSION CREATE answers after its readiness check (20 s). */
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!sam_ask (fd, "SESSION CREATE STYLE=STREAM ID=" REF_SESSION " DESTINATION=TRANSIENT "
                "SIGNATURE_TYPE=7 " LAB_I2P_SESSION_OPTIONS "\n", "SESSION STATUS RESULT=OK",
                &reply))
    {
      fprintf (stderr, "bench-i2p: reference: SESSION CREATE: %s\n",
               reply != NULL ? reply : "no answer");
      exit (1);
    }
  g_free (reply);
  return fd;
}

/* Microseconds from socket() to the echoed byte; *@connect_us until the
 * STREAM STATUS; -1 when the stream failed (its status in *@why). */
static gint64
run_reference (Bench *b, gint64 *connect_us, gchar **why)
{
  gint64 t0 = g_get_monotonic_time ();
  int fd = fh_bench_reference_socket (b->sam_port, WAIT_MS / 1000,
                                      "reference: connect to the SAM bridge");
  gchar *command, *reply = NULL;
  gchar byte = 'x';
  gboolean ok;

  if (!sam_ask (fd, "HELLO VERSION MIN=3.1 MAX=3.1\n", "HELLO REPLY RESULT=OK", NULL))
    fh_bench_die ("reference: HELLO", NULL);
  command = g_strdup_printf ("STREAM CONNECT ID=" REF_SESSION " DESTINATION=%s SILENT=false\n",
                             b->b32);
  ok = sam_ask (fd, command, "STREAM STATUS RESULT=OK", &reply);
  g_free (command);
  if (!ok)
    {
      close (fd);
      *why = reply != NULL ? reply : g_strdup ("no answer");
      return -1;
    }
  g_free (reply);
  *connect_us = g_get_monotonic_time () - t0;
  if (!fh_bench_send_all (fd, &byte, 1) || !fh_bench_recv_all (fd, &byte, 1) || byte != 'x')
    fh_bench_die ("reference: the echo did not answer", NULL);
  t0 = g_get_monotonic_time () - t0;
  close (fd);
  return t0;
}

/* --- furlhint ------------------------------------------------------------------ */

/* Microseconds from furlhint_context_connect_async() to the echoed byte;
 * *@connect_us until the connect finished; -1 when it failed (the error
 * in *@why). */
static gint64
run_furlhint (Bench *b, gint64 *connect_us, gchar **why)
{
  GError *error = NULL;
  gint64 total_us = fh_bench_furlhint_echo (b->ctx, b->furl, WAIT_MS, connect_us, &error);

  if (total_us < 0)
    {
      *why = g_strdup (error->message);
      g_error_free (error);
    }
  return total_us;
}

/* --- setup ---------------------------------------------------------------------- */

static gint64
run_side (Bench *b, Side side, gint64 *connect_us, gchar **why)
{
  return side == SIDE_REFERENCE ? run_reference (b, connect_us, why)
                                : run_furlhint (b, connect_us, why);
}

/* The first connect of @side, until the server's LeaseSet is found
 * (bounded); the seconds it took. */
static gdouble
warm_up (Bench *b, Side side)
{
  gint64 t0 = g_get_monotonic_time (), connect_us;
  guint tries = 0;

  for (;;)
    {
      gchar *why = NULL;

      tries++;
      if (run_side (b, side, &connect_us, &why) >= 0)
        return (g_get_monotonic_time () - t0) / 1e6;
      if (g_get_monotonic_time () - t0 > WARM_UP_S * G_USEC_PER_SEC)
        {
          fprintf (stderr, "bench-i2p: %s: no stream to the server after %u tries in %d s: %s\n",
                   side_names[side], tries, WARM_UP_S, why);
          exit (1);
        }
      g_free (why);
      g_usleep (G_USEC_PER_SEC);
    }
}

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  FhBenchSamples samples[N_SIDES];
  LabI2pRouter router_b = { 0 }, a2 = { 0 };
  LabI2pServer srv = { 0 };
  GThread *thread;
  Lab *lab;
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_N;
  GError *error = NULL;
  gchar *i2pd, *cfg, *furl_text, *load_before, *load_after;
  gint64 t0;
  gdouble ready_s, warm_s[N_SIDES], ratio50, ratio90;

  g_set_prgname ("bench-i2p");
  if (geteuid () != 0 || !lab_enter_private_netns ())
    {
      fprintf (stderr, "bench-i2p: needs root: the I2P routers run in private network "
               "namespaces (tests/lab.c)\n");
      return 1;
    }
  i2pd = g_find_program_in_path ("i2pd");
  if (i2pd == NULL)
    {
      fprintf (stderr, "bench-i2p: i2pd is not installed (Debian package i2pd)\n");
      return 1;
    }
  g_free (i2pd);
  if (n == 0)
    n = DEFAULT_N;
  /* Start-up and warm-ups (≤ 60 + 3 × WARM_UP_S s), every connect
   * bounded at WAIT_MS. */
  lab_set_watchdog (60 + 3 * WARM_UP_S + (n + 1) * 2 * (WAIT_MS / 1000));

  t0 = g_get_monotonic_time ();
  lab = lab_new ();
  lab_i2p_start_two_routers (lab, &router_b, &a2);
  srv.sam_port = a2.sam_port;
  srv.echo_port = lab_echo_server_start (lab, "127.0.0.1", &error);
  if (srv.echo_port == 0)
    fh_bench_die ("echo server", error);
  thread = g_thread_new ("sam-server", lab_i2p_server_thread, &srv);
  g_thread_join (thread);
  if (srv.error != NULL)
    fh_bench_die ("server session", srv.error);
  ready_s = (g_get_monotonic_time () - t0) / 1e6;

  b.sam_port = a2.sam_port;
  b.b32 = srv.b32;
  cfg = g_strdup_printf ("[connections]\ntcp = disabled\n"
                         "i2p.sam-api = tcp:127.0.0.1:%u\n"
                         "[i2p]\nsam.session-options = " LAB_I2P_SESSION_OPTIONS "\n",
                         a2.sam_port);
  b.ctx = fh_bench_make_context (cfg);
  g_free (cfg);
  furl_text = g_strdup_printf ("pb://%s@i2p:%s/swiss", TUB, srv.b32);
  b.furl = furlhint_furl_parse (furl_text, &error);
  if (b.furl == NULL)
    fh_bench_die ("FURL", error);
  g_free (furl_text);
  b.ref_control = reference_session (a2.sam_port);
  warm_s[SIDE_FURLHINT] = warm_up (&b, SIDE_FURLHINT);
  warm_s[SIDE_REFERENCE] = warm_up (&b, SIDE_REFERENCE);

  load_before = fh_bench_load_average ();
  for (guint s = 0; s < N_SIDES; s++)
    fh_bench_samples_init (&samples[s]);
  for (guint i = 0; i < n; i++)
    for (guint k = 0; k < N_SIDES; k++)
      {
        Side side = (i + k) % N_SIDES;
        gint64 total_us, connect_us;
        gchar *why = NULL;

        total_us = run_side (&b, side, &connect_us, &why);
        if (total_us < 0)
          {
            fprintf (stderr, "bench-i2p: %s: round %u: %s\n", side_names[side], i + 1, why);
            return 1;
          }
        fh_bench_samples_add (&samples[side], total_us, connect_us);
      }
  load_after = fh_bench_load_average ();

  printf ("bench-i2p: time to the first echo byte over I2P (two routers, zero-hop tunnels; "
          "server destination up after %.1f s), b32 -> socat echo;\n  load average %s at the "
          "first round, %s after the last\n", ready_s, load_before, load_after);
  printf ("  reference: a bare SAM v3 client in C (HELLO, STREAM CONNECT on its session); "
          "furlhint: i2p:B32 hint, i2p.sam-api\n");
  printf ("  warm-up (session, LeaseSet): furlhint %.1f s, reference %.1f s after its "
          "SESSION CREATE\n", warm_s[SIDE_FURLHINT], warm_s[SIDE_REFERENCE]);
  printf ("warm: %u rounds each on an existing session\n", n);
  fh_bench_print_head ();
  for (guint s = 0; s < N_SIDES; s++)
    fh_bench_print_row (side_names[s], &samples[s]);
  ratio50 = fh_bench_ratio (&samples[SIDE_FURLHINT], &samples[SIDE_REFERENCE], 50);
  ratio90 = fh_bench_ratio (&samples[SIDE_FURLHINT], &samples[SIDE_REFERENCE], 90);
  printf ("  ratio furlhint/reference: median %.2fx, p90 %.2fx\n", ratio50, ratio90);
  printf ("goal: median within 1.1x of the reference: %s\n", ratio50 <= 1.1 ? "met" : "NOT met");

  for (guint s = 0; s < N_SIDES; s++)
    fh_bench_samples_clear (&samples[s]);
  g_free (load_before);
  g_free (load_after);
  furlhint_furl_unref (b.furl);
  furlhint_context_unref (b.ctx);
  close (b.ref_control);
  lab_i2p_server_clear (&srv);
  /* Outside a g_test run lab_free() takes the run for a failed test and
   * prints the logs with g_test_message(): nothing failed here. */
  g_set_print_handler (fh_bench_discard_print);
  lab_stop (a2.proc);
  lab_stop (router_b.proc);
  lab_free (lab);
  g_set_print_handler (NULL);
  g_free (a2.dir);
  g_free (a2.log_path);
  g_free (router_b.dir);
  g_free (router_b.log_path);
  return 0;
}
