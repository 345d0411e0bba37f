/* bench-tor: time to the first echo byte through the private Tor network,
 * furlhint against a bare SOCKS5 client on the same onion, in the same run
 * (`make bench-tor`; a benchmark, not a test).
 *
 * The lab's private Tor network (tests/lab-tornet.h) runs in a private
 * network namespace (tests/lab.c; needs root): 3 authorities, 2 relays,
 * a client tor and an onion service whose port forwards to a socat echo
 * server. Each connect, on either side, runs from nothing to the echoed
 * byte: connect to the client tor's SOCKS port, SOCKS5 handshake, CONNECT
 * to ONION:PORT (tor attaches the stream to a rendezvous circuit), one
 * byte written, time until it comes back; then the stream is closed.
 *   reference: a minimal blocking SOCKS5 client (below): greeting offering
 *              username/password only, the RFC 1929 subnegotiation,
 *              CONNECT with the onion as a domain name (ATYP 3), as
 *              `curl --socks5-hostname` sends it;
 *   furlhint:  furlhint_context_connect_async() of
 *              pb://TUB@tor:ONION:PORT/swiss with `[tor] socks.port` set to
 *              the client tor's SOCKS port (tor plugin), then the same byte
 *              through the stream.
 * Stream isolation: furlhint sends SOCKS credentials derived from the tub
 * ID, and tor (IsolateSOCKSAuth) gives each pair its own circuits. The
 * reference sends credentials too: both do the same protocol steps.
 * Rendezvous circuits differ (seen: ~32, ~75 and ~200 ms per echo, each
 * circuit steady over its rounds), so the two sides are compared on the
 * same one:
 *   cold: the first connect of a new isolation identity (a fresh password
 *         for the reference, a fresh tub ID for furlhint) through the
 *         client's isolating SocksPort: tor builds a new rendezvous
 *         circuit (the descriptor is cached). Circuit building dominates
 *         and varies.
 *   warm: N rounds each, after one warm-up each, through the client's
 *         SocksPort with NoIsolateSOCKSAuth (tests/lab/tor-net.sh): both
 *         sides' streams share one rendezvous circuit, the credentials
 *         being ignored for isolation there.
 * Rounds alternate which side goes first, so that drift in the machine's
 * load hits both alike. Prints median and p90 of each side and the ratios
 * furlhint/reference.
 *
 * Usage: bench-tor TOR_NET_SH [N [COLD]]   (tests/lab/tor-net.sh; defaults
 * 40 and 6)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <furlhint/furlhint.h>

#include "bench-common.h"
#include "bench-ttfb.h"
#include "lab.h"
#include "lab-tornet.h"

/* furlhint's tub IDs: this one with two last letters of their own. */
#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define DEFAULT_N 40
#define DEFAULT_COLD 6
#define WAIT_MS 30000

typedef enum {
  SIDE_REFERENCE,
  SIDE_FURLHINT,
  N_SIDES
} Side;

static const gchar *const side_names[N_SIDES] = {
  "bare SOCKS5 client (reference)",
  "furlhint tor plugin",
};

typedef struct {
  FurlHintContext *ctx;         /* (unowned) furlhint's, for this phase */
  guint16 ref_port;             /* the reference's SOCKS port, this phase */
} Bench;

/* --- which circuits the warm streams used ----------------------------------- */

/* While set (the warm rounds), each connect notes the circuit its stream
 * is on, from the client tor's stream-status, once the echo is back and
 * before the stream is closed: outside the timed part. */
static LabTorCtl *warm_ctl;
static GHashTable *warm_circuits;       /* circuit IDs (set) */

static void
note_circuit (void)
{
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (warm_ctl == NULL)
    return;
  if (!lab_tornet_ctl_command (warm_ctl, "GETINFO stream-status", &error))
    fh_bench_die ("control port", error);
  for (;;)
    {
      gchar *line = lab_tornet_ctl_read_line (warm_ctl, deadline, &error);
      const gchar *entry;
      gchar **fields;

      if (line == NULL)
        fh_bench_die ("GETINFO stream-status", error);
      if (strcmp (line, "250 OK") == 0 || line[0] == '5')
        {
          g_free (line);
          return;
        }
      /* "250-stream-status=ID STATUS CIRCID TARGET", or the same without
       * the prefix in a "250+" data block. */
      entry = strchr (line, '=') != NULL && g_str_has_prefix (line, "250")
        ? strchr (line, '=') + 1 : line;
      fields = g_strsplit (entry, " ", 4);
      if (g_strv_length (fields) == 4 && strcmp (fields[1], "SUCCEEDED") == 0
          && g_str_has_prefix (fields[3], lab_tornet.onion))
        g_hash_table_add (warm_circuits, g_strdup (fields[2]));
      g_strfreev (fields);
      g_free (line);
    }
}

/* --- the reference: a bare SOCKS5 client ------------------------------------ */

/* RFC 1928 with RFC 1929 username/password (tor's stream isolation), the
 * onion as a domain name, through the client tor's @socks_port; one byte
 * through the echo. Microseconds from socket() to the echoed byte;
 * *@connect_us until the SOCKS reply. */
static gint64
run_reference (guint16 socks_port, const gchar *user, const gchar *password, gint64 *connect_us)
{
  guint8 req[515];
  guint8 rep[2];
  size_t ulen = strlen (user), plen = strlen (password);
  gint64 t0 = g_get_monotonic_time ();
  int fd = fh_bench_reference_socket (socks_port, WAIT_MS / 1000,
                                      "reference: connect to the SOCKS port");
  gchar byte = 'x';

  if (!fh_bench_socks5_greet (fd, 2))
    fh_bench_die ("reference: SOCKS greeting", NULL);
  req[0] = 1;
  req[1] = (guint8) ulen;
  memcpy (req + 2, user, ulen);
  req[2 + ulen] = (guint8) plen;
  memcpy (req + 3 + ulen, password, plen);
  if (!fh_bench_send_all (fd, req, 3 + ulen + plen) || !fh_bench_recv_all (fd, rep, 2) || rep[1] != 0)
    fh_bench_die ("reference: SOCKS username/password", NULL);
  if (!fh_bench_socks5_connect (fd, lab_tornet.onion, lab_tornet.onion_port))
    fh_bench_die ("reference: SOCKS CONNECT to the onion", NULL);
  *connect_us = g_get_monotonic_time () - t0;
  if (!fh_bench_send_all (fd, &byte, 1) || !fh_bench_recv_all (fd, &byte, 1) || byte != 'x')
    fh_bench_die ("reference: the echo did not answer", NULL);
  t0 = g_get_monotonic_time () - t0;
  note_circuit ();
  close (fd);
  return t0;
}

/* --- furlhint ------------------------------------------------------------------ */

/* Microseconds from furlhint_context_connect_async() to the echoed byte;
 * *@connect_us until the connect finished. */
static gint64
run_furlhint (Bench *b, FurlHintFurl *furl, gint64 *connect_us)
{
  GError *error = NULL;
  gint64 total_us = fh_bench_furlhint_echo (b->ctx, furl, WAIT_MS, connect_us, &error);

  if (total_us < 0)
    fh_bench_die ("furlhint connect", error);
  note_circuit ();
  return total_us;
}

static FurlHintFurl *
make_furl (const gchar *tub)
{
  GError *error = NULL;
  gchar *text = g_strdup_printf ("pb://%s@tor:%s:%u/swiss", tub, lab_tornet.onion,
                                 lab_tornet.onion_port);
  FurlHintFurl *furl = furlhint_furl_parse (text, &error);

  if (furl == NULL)
    fh_bench_die ("FURL", error);
  g_free (text);
  return furl;
}

/* --- setup and statistics ------------------------------------------------------ */

/* The tub ID of furlhint's isolation identity @index: TUB with its last
 * two letters replaced. */
static FurlHintFurl *
identity_furl (guint index)
{
  static const gchar base32[] = "abcdefghijklmnopqrstuvwxyz234567";
  gchar tub[] = TUB;

  tub[30] = base32[(index / 32) % 32];
  tub[31] = base32[index % 32];
  return make_furl (tub);
}

/* One connect of @side with isolation identity @index: the reference's
 * password, furlhint's FURL (@furl; NULL: a fresh tub ID). */
static void
run_side (Bench *b, Side side, const gchar *kind, guint index, FurlHintFurl *furl,
          FhBenchSamples *into)
{
  gint64 total_us, connect_us;

  if (side == SIDE_REFERENCE)
    {
      gchar *password = g_strdup_printf ("%s-%u", kind, index);

      total_us = run_reference (b->ref_port, "bench-tor", password, &connect_us);
      g_free (password);
    }
  else if (furl == NULL)
    {
      furl = identity_furl (index);
      total_us = run_furlhint (b, furl, &connect_us);
      furlhint_furl_unref (furl);
    }
  else
    total_us = run_furlhint (b, furl, &connect_us);
  if (into != NULL)
    fh_bench_samples_add (into, total_us, connect_us);
}

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  FhBenchSamples warm[N_SIDES], cold[N_SIDES];
  FurlHintContext *cold_ctx, *warm_ctx;
  FurlHintFurl *warm_furl;
  guint n = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : DEFAULT_N;
  guint n_cold = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : DEFAULT_COLD;
  guint16 shared_port;
  GError *error = NULL;
  gchar *tor, *gencert, *cfg, *load_before, *load_after;
  gdouble ready_s, ratio50, ratio90;

  g_set_prgname ("bench-tor");

  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-tor TOR_NET_SH [N [COLD]]\n");
      return 2;
    }
  if (geteuid () != 0 || !lab_enter_private_netns ())
    {
      fprintf (stderr, "bench-tor: needs root: the private Tor network runs in a "
               "private network namespace (tests/lab.c)\n");
      return 1;
    }
  tor = g_find_program_in_path ("tor");
  gencert = g_find_program_in_path ("tor-gencert");
  if (tor == NULL || gencert == NULL)
    {
      fprintf (stderr, "bench-tor: tor and tor-gencert are not installed (Debian package tor)\n");
      return 1;
    }
  g_free (tor);
  g_free (gencert);
  if (n == 0)
    n = DEFAULT_N;
  /* Start-up (≤ 180 s) and every connect bounded at WAIT_MS. */
  lab_set_watchdog (240 + (n + n_cold + 1) * 2 * (WAIT_MS / 1000));

  lab_tornet_start (argv[1]);
  if (lab_tornet.failure != NULL)
    {
      fprintf (stderr, "bench-tor: %s\n", lab_tornet.failure);
      lab_tornet_stop ();
      return 1;
    }
  ready_s = (g_get_monotonic_time () - lab_tornet.t0) / 1e6;
  load_before = fh_bench_load_average ();
  shared_port = lab_tornet_env_port ("SHARED_SOCKS_PORT");

  cfg = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n", lab_tornet.socks_port);
  cold_ctx = fh_bench_make_context (cfg);
  g_free (cfg);
  cfg = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n", shared_port);
  warm_ctx = fh_bench_make_context (cfg);
  g_free (cfg);
  warm_furl = make_furl (TUB);
  for (guint s = 0; s < N_SIDES; s++)
    {
      fh_bench_samples_init (&warm[s]);
      fh_bench_samples_init (&cold[s]);
    }

  /* Cold, on the isolating SocksPort: the onion's descriptor was fetched
   * by the network's readiness probe; each connect builds a rendezvous
   * circuit for its new identity. */
  b.ctx = cold_ctx;
  b.ref_port = lab_tornet.socks_port;
  for (guint i = 0; i < n_cold; i++)
    for (guint k = 0; k < N_SIDES; k++)
      {
        Side side = (i + k) % N_SIDES;

        run_side (&b, side, "cold", i, NULL, &cold[side]);
      }
  /* Warm, on the SocksPort without isolation by credentials: both sides'
   * streams share the rendezvous circuit the warm-up builds, so a slow or
   * fast circuit is the same for both. */
  b.ctx = warm_ctx;
  b.ref_port = shared_port;
  warm_circuits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  warm_ctl = lab_tornet_ctl_open (lab_tornet.control_port,
                                  lab_tornet_env ("CONTROL_COOKIE_FILE"), &error);
  if (warm_ctl == NULL)
    fh_bench_die ("control port", error);
  for (guint i = 0; i < n + 1; i++)
    for (guint k = 0; k < N_SIDES; k++)
      {
        Side side = (i + k) % N_SIDES;

        run_side (&b, side, "warm", 0, warm_furl, i > 0 ? &warm[side] : NULL);
      }
  g_clear_pointer (&warm_ctl, lab_tornet_ctl_free);
  load_after = fh_bench_load_average ();

  printf ("bench-tor: time to the first echo byte through the private Tor network "
          "(ready after %.1f s), onion port -> socat echo;\n  load average %s at the first "
          "round, %s after the last\n",
          ready_s, load_before, load_after);
  printf ("  reference: a bare SOCKS5 client in C (username/password, ATYP 3); "
          "furlhint: tor:ONION:PORT hint, [tor] socks.port\n");
  if (n_cold > 0)
    {
      printf ("cold: first connect of a new isolation identity (new rendezvous circuit), %u each\n",
              n_cold);
      fh_bench_print_head ();
      for (guint s = 0; s < N_SIDES; s++)
        fh_bench_print_row (side_names[s], &cold[s]);
      printf ("  ratio furlhint/reference: median %.2fx\n",
              fh_bench_ratio (&cold[SIDE_FURLHINT], &cold[SIDE_REFERENCE], 50));
    }
  printf ("warm: %u rounds each (+1 warm-up), both sides on one shared rendezvous circuit "
          "(circuits the streams used: %u)\n", n, g_hash_table_size (warm_circuits));
  fh_bench_print_head ();
  for (guint s = 0; s < N_SIDES; s++)
    fh_bench_print_row (side_names[s], &warm[s]);
  ratio50 = fh_bench_ratio (&warm[SIDE_FURLHINT], &warm[SIDE_REFERENCE], 50);
  ratio90 = fh_bench_ratio (&warm[SIDE_FURLHINT], &warm[SIDE_REFERENCE], 90);
  printf ("  ratio furlhint/reference: median %.2fx, p90 %.2fx\n", ratio50, ratio90);
  printf ("goal: warm median within 1.1x of the reference: %s\n",
          ratio50 <= 1.1 ? "met" : "NOT met");

  for (guint s = 0; s < N_SIDES; s++)
    {
      fh_bench_samples_clear (&warm[s]);
      fh_bench_samples_clear (&cold[s]);
    }
  furlhint_furl_unref (warm_furl);
  g_hash_table_unref (warm_circuits);
  g_free (load_before);
  g_free (load_after);
  furlhint_context_unref (cold_ctx);
  furlhint_context_unref (warm_ctx);
  /* Outside a g_test run lab_free() takes the run for a failed test and
   * prints the logs with g_test_message(): nothing failed here. */
  g_set_print_handler (fh_bench_discard_print);
  lab_tornet_stop ();
  g_set_print_handler (NULL);
  return 0;
}
