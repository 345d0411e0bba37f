/* bench-connect: what furlhint's connector costs over the raw equivalent,
 * measured in the same run against the same local servers (`make
 * bench-connect`; a benchmark, not a test).
 *
 * Routes, N sequential connects each (interleaved round by round, so that
 * drift in machine load hits every route alike), each followed by a
 * one-byte round trip through a socat echo server, then closed:
 *   direct, raw:       GSocketClient alone (async, on the main loop)
 *   direct, furlhint:  furlhint_context_connect_async(), tcp plugin
 *   SOCKS5, raw:       a minimal blocking SOCKS5 client (bench-common.h)
 *                      via microsocks
 *   SOCKS5, furlhint:  furlhint_context_connect_async() through
 *                      `[connections] tcp.socks-proxy` (socks plugin)
 * Prints median and p90 of "connect" (until the stream is usable) and
 * "connect+rtt" (plus the echoed byte), and furlhint/raw ratios.
 *
 * As root it runs in a private network namespace (tests/lab.c), so
 * nothing but loopback is involved.
 *
 * Usage: bench-connect [N]   (default 200)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <furlhint/furlhint.h>

#include "bench-common.h"
#include "lab.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define DEFAULT_N 200
#define WARMUP 10
#define WAIT_MS 10000

typedef enum {
  ROUTE_RAW_DIRECT,
  ROUTE_FURLHINT_DIRECT,
  ROUTE_RAW_SOCKS,
  ROUTE_FURLHINT_SOCKS,
  N_ROUTES
} Route;

static const gchar *const route_names[N_ROUTES] = {
  "direct: GSocketClient (raw)",
  "direct: furlhint tcp",
  "SOCKS5: bare client (raw)",
  "SOCKS5: furlhint socks",
};

typedef struct {
  GArray *connect_us;   /* (element-type gint64) */
  GArray *total_us;
} Samples;

typedef struct {
  guint16 echo_port;
  guint16 proxy_port;   /* 0: no microsocks */
  GSocketClient *client;
  FurlHintContext *direct_ctx;
  FurlHintContext *socks_ctx;
  FurlHintContext *ctx;         /* (unowned) the one connecting now */
  FurlHintFurl *furl;
  gboolean done;
  GIOStream *stream;
  FurlHintConnectResult *result;
  GError *error;
} Bench;

/* --- one byte through the echo ------------------------------------------- */

static void
round_trip_stream (GIOStream *stream)
{
  GError *error = NULL;
  gchar byte = 'x';
  gsize n = 0;

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (stream), &byte, 1, NULL, NULL, &error)
      || !g_input_stream_read_all (g_io_stream_get_input_stream (stream), &byte, 1, &n, NULL, &error))
    fh_bench_die ("round trip", error);
  if (n != 1 || byte != 'x')
    fh_bench_die ("round trip: the echo did not answer", NULL);
}

static void
round_trip_fd (int fd)
{
  gchar byte = 'x';

  if (send (fd, &byte, 1, MSG_NOSIGNAL) != 1 || recv (fd, &byte, 1, MSG_WAITALL) != 1 || byte != 'x')
    fh_bench_die ("round trip (SOCKS)", NULL);
}

/* --- (a) GSocketClient ---------------------------------------------------- */

static void
raw_connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Bench *b = user_data;

  b->stream = G_IO_STREAM (g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                                   res, &b->error));
  b->done = TRUE;
}

static void
run_raw_direct (Bench *b, gint64 *connect_us, gint64 *total_us)
{
  gint64 t0 = g_get_monotonic_time ();

  b->done = FALSE;
  g_socket_client_connect_to_host_async (b->client, "127.0.0.1", b->echo_port, NULL,
                                         raw_connected_cb, b);
  if (!lab_iterate_until (&b->done, WAIT_MS) || b->stream == NULL)
    fh_bench_die ("GSocketClient connect", b->error);
  *connect_us = g_get_monotonic_time () - t0;
  round_trip_stream (b->stream);
  *total_us = g_get_monotonic_time () - t0;
  g_io_stream_close (b->stream, NULL, NULL);
  g_clear_object (&b->stream);
}

/* --- (b), (d) furlhint --------------------------------------------------------- */

static void
furlhint_connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Bench *b = user_data;

  b->done = TRUE;
  b->result = furlhint_context_connect_finish (b->ctx, res, &b->error);
}

static void
run_furlhint (Bench *b, FurlHintContext *ctx, gint64 *connect_us, gint64 *total_us)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  gint64 t0 = g_get_monotonic_time ();
  GIOStream *stream;

  options.timeout_ms = WAIT_MS;
  b->ctx = ctx;
  b->done = FALSE;
  furlhint_context_connect_async (ctx, b->furl, &options, NULL, furlhint_connected_cb, b);
  if (!lab_iterate_until (&b->done, WAIT_MS + 1000) || b->error != NULL)
    fh_bench_die ("furlhint connect", b->error);
  stream = furlhint_connect_result_get_stream (b->result);
  *connect_us = g_get_monotonic_time () - t0;
  round_trip_stream (stream);
  *total_us = g_get_monotonic_time () - t0;
  g_clear_pointer (&b->result, furlhint_connect_result_unref);
}

/* --- (c) a bare SOCKS5 client ----------------------------------------------------- */

static void
run_raw_socks (Bench *b, gint64 *connect_us, gint64 *total_us)
{
  gint64 t0 = g_get_monotonic_time ();
  int fd = fh_bench_reference_socket (b->proxy_port, WAIT_MS / 1000,
                                      "bare SOCKS5 connect: connect to microsocks");

  /* No authentication, the host as a domain name. */
  if (!fh_bench_socks5_greet (fd, 0) || !fh_bench_socks5_connect (fd, "127.0.0.1", b->echo_port))
    fh_bench_die ("bare SOCKS5 connect", NULL);
  *connect_us = g_get_monotonic_time () - t0;
  round_trip_fd (fd);
  *total_us = g_get_monotonic_time () - t0;
  close (fd);
}

/* --- setup and statistics ------------------------------------------------------ */

/* Nearest-rank percentile of sorted samples, in ms. */
static void
print_row (const gchar *name, Samples *s)
{
  g_array_sort (s->connect_us, fh_bench_cmp_gint64);
  g_array_sort (s->total_us, fh_bench_cmp_gint64);
  printf ("  %-28s %8.3f %8.3f   %8.3f %8.3f\n", name,
          fh_bench_percentile_ms (s->connect_us, 50), fh_bench_percentile_ms (s->connect_us, 90),
          fh_bench_percentile_ms (s->total_us, 50), fh_bench_percentile_ms (s->total_us, 90));
}

static void
print_ratio (const gchar *name, Samples *furlhint, Samples *raw)
{
  printf ("  %-28s %8.2fx %7.2fx   %8.2fx %7.2fx\n", name,
          fh_bench_percentile_ms (furlhint->connect_us, 50) / fh_bench_percentile_ms (raw->connect_us, 50),
          fh_bench_percentile_ms (furlhint->connect_us, 90) / fh_bench_percentile_ms (raw->connect_us, 90),
          fh_bench_percentile_ms (furlhint->total_us, 50) / fh_bench_percentile_ms (raw->total_us, 50),
          fh_bench_percentile_ms (furlhint->total_us, 90) / fh_bench_percentile_ms (raw->total_us, 90));
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  Bench b = { 0 };
  Samples samples[N_ROUTES];
  Lab *lab;
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_N;
  gboolean netns = FALSE;
  gchar *text, *cfg;

  g_set_prgname ("bench-connect");

  if (geteuid () == 0)
    netns = lab_enter_private_netns ();
  lab_set_watchdog (0);
  if (n == 0)
    n = DEFAULT_N;

  lab = lab_new ();
  b.echo_port = lab_echo_server_start (lab, "127.0.0.1", &error);
  if (b.echo_port == 0)
    fh_bench_die ("socat echo server", error);
  if (g_find_program_in_path ("microsocks") != NULL)
    {
      guint16 port = lab_free_port ("127.0.0.1");
      gchar *port_text = g_strdup_printf ("%u", port);
      const gchar *ms_argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_text, NULL };
      LabProc *proc = lab_spawn (lab, "microsocks", ms_argv, &error);

      if (proc == NULL || !lab_wait_port (proc, "127.0.0.1", port, LAB_WAIT_PORT_MS, &error))
        fh_bench_die ("microsocks", error);
      b.proxy_port = port;
      g_free (port_text);
    }

  b.client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (b.client, FALSE);
  b.direct_ctx = fh_bench_make_context ("");
  cfg = g_strdup_printf ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:%u\n",
                         b.proxy_port != 0 ? b.proxy_port : 9);
  b.socks_ctx = fh_bench_make_context (cfg);
  g_free (cfg);
  text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u/swiss", TUB, b.echo_port);
  b.furl = furlhint_furl_parse (text, &error);
  if (b.furl == NULL)
    fh_bench_die ("FURL", error);
  g_free (text);

  for (guint r = 0; r < N_ROUTES; r++)
    {
      samples[r].connect_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      samples[r].total_us = g_array_new (FALSE, FALSE, sizeof (gint64));
    }

  for (guint i = 0; i < WARMUP + n; i++)
    for (guint r = 0; r < N_ROUTES; r++)
      {
        gint64 connect_us = 0, total_us = 0;

        if (b.proxy_port == 0 && (r == ROUTE_RAW_SOCKS || r == ROUTE_FURLHINT_SOCKS))
          continue;
        switch ((Route) r)
          {
          case ROUTE_RAW_DIRECT:
            run_raw_direct (&b, &connect_us, &total_us);
            break;
          case ROUTE_FURLHINT_DIRECT:
            run_furlhint (&b, b.direct_ctx, &connect_us, &total_us);
            break;
          case ROUTE_RAW_SOCKS:
            run_raw_socks (&b, &connect_us, &total_us);
            break;
          case ROUTE_FURLHINT_SOCKS:
          default:
            run_furlhint (&b, b.socks_ctx, &connect_us, &total_us);
            break;
          }
        if (i >= WARMUP)
          {
            g_array_append_val (samples[r].connect_us, connect_us);
            g_array_append_val (samples[r].total_us, total_us);
          }
      }

  printf ("bench-connect: %u sequential connects per route (+%u warm-up), "
          "one-byte round trip through socat (fork, EXEC:cat)%s\n", n, WARMUP,
          netns ? ", private network namespace" : ", host loopback (not root)");
  printf ("  %-28s %17s   %17s\n", "", "connect (ms)", "connect+rtt (ms)");
  printf ("  %-28s %8s %8s   %8s %8s\n", "route", "median", "p90", "median", "p90");
  for (guint r = 0; r < N_ROUTES; r++)
    if (samples[r].connect_us->len > 0)
      print_row (route_names[r], &samples[r]);
  printf ("ratios furlhint/raw:\n");
  print_ratio ("direct (tcp plugin)", &samples[ROUTE_FURLHINT_DIRECT], &samples[ROUTE_RAW_DIRECT]);
  if (b.proxy_port != 0)
    print_ratio ("SOCKS5 (socks plugin)", &samples[ROUTE_FURLHINT_SOCKS], &samples[ROUTE_RAW_SOCKS]);
  else
    printf ("  SOCKS5: skipped (microsocks is not installed)\n");

  for (guint r = 0; r < N_ROUTES; r++)
    {
      g_array_unref (samples[r].connect_us);
      g_array_unref (samples[r].total_us);
    }
  furlhint_furl_unref (b.furl);
  furlhint_context_unref (b.direct_ctx);
  furlhint_context_unref (b.socks_ctx);
  g_object_unref (b.client);
  /* Outside a g_test run lab_free() takes the run for a failed test and
   * prints the servers' logs with g_test_message(): nothing failed here. */
  g_set_print_handler (fh_bench_discard_print);
  lab_free (lab);
  g_set_print_handler (NULL);
  return 0;
}
