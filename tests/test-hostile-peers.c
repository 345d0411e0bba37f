/* Hostile peers: FAKE SOCKS5 proxies, SAM bridges and Tor control ports
 * (tests/fake-peers.c) that send garbage, truncated replies, a 1 MiB line,
 * replies byte by byte, a wrong version, absurd lengths, never answer, or
 * close early, each at a chosen reply of a chosen connection.
 *
 * For each case: alone, the attempt ends in the expected coded error
 * within the configured timeout (or, for the harmless oddities, connects
 * and the stream carries the echo server's bytes), and no descriptor is
 * left open once the context is gone; with a good hint next to the
 * hostile one (a real socat echo server), the good hint still wins.
 *
 * Runs in the lab's private network namespace (tests/lab.h): the fakes
 * relay good connections to the echo server whatever target they are
 * asked for, so nothing is ever resolved.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/furlhint.h>

#include "fake-peers.h"
#include "lab.h"
#include "lab-connect.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define ONION "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
#define B32 "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst.b32.i2p"
/* The bound for a hostile hint alone, and the slack the connector gets
 * past it (timer dispatch, closing). */
#define ALONE_TIMEOUT_MS 1500
/* The timeout for a hostile hint alone whose outcome is not a timeout:
 * only a bound for a hang, so that no reply, however slowly the machine
 * delivers it, races the connector's timer. */
#define ALONE_BOUND_MS 10000
#define WITH_GOOD_TIMEOUT_MS 3000
#define SLACK_MS 1000

typedef enum {
  VIA_SOCKS,          /* socks plugin: [connections] tcp.socks-proxy = the fake */
  VIA_TOR_SOCKS,      /* tor plugin: [tor] socks.port = the fake */
  VIA_TOR_CONTROL,    /* tor plugin: [tor] control.port = the fake; SOCKS: a good fake */
  VIA_SAM,            /* i2p plugin: [connections] i2p.sam-api = the fake */
} Via;

typedef struct {
  const gchar *name;
  Via via;
  guint conn;               /* the fake's connection that misbehaves */
  FakeBehaviour behaviour;
  guint stage;              /* its reply number that misbehaves */
  gint code;                /* FURLHINT_CONNECT_ERROR code; 0: connects */
  const gchar *message;     /* (nullable) a part of the error message */
} PeerCase;

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  FakePeer *hostile;
  FakePeer *helper;         /* VIA_TOR_CONTROL: the good SOCKS port */
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  guint16 echo_port;
} Fixture;

/* make check-valgrind runs us under memcheck (its preload library is in
 * LD_PRELOAD), some twenty times slower: byte-by-byte cases need room. */
static gboolean
under_valgrind (void)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL;
}

static void
setup (Fixture *f, gconstpointer data)
{
  /* A deadlock blocks inside g_main_context_iteration(), where no
   * timeout of ours runs: the watchdog bounds each case instead. */
  lab_set_watchdog (under_valgrind () ? 240 : 20);
  f->lab = lab_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  furlhint_connect_result_unref (f->result);
  g_clear_error (&f->error);
  if (f->ctx != NULL)
    furlhint_context_unref (f->ctx);
  fake_peer_free (f->hostile);
  fake_peer_free (f->helper);
  lab_free (f->lab);
}

/* Echo server, fakes scripted for @c, and a context that uses them. */
static void
prepare (Fixture *f, const PeerCase *c)
{
  GError *error = NULL;
  gchar *text = NULL;
  FakeKind kind = c->via == VIA_SAM ? FAKE_SAM
                  : c->via == VIA_TOR_CONTROL ? FAKE_TORCTL : FAKE_SOCKS5;

  f->echo_port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->fds_before = lab_count_open_fds ();

  f->hostile = fake_peer_new (kind);
  for (guint i = 0; i < c->conn; i++)
    fake_peer_script (f->hostile, i, FAKE_OK, 0);
  fake_peer_script (f->hostile, c->conn, c->behaviour, c->stage);
  fake_peer_script (f->hostile, c->conn + 1, FAKE_OK, 0);
  fake_peer_set_relay_port (f->hostile, f->echo_port);

  switch (c->via)
    {
    case VIA_SOCKS:
      text = g_strdup_printf ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:%u\n",
                              fake_peer_get_port (f->hostile));
      break;
    case VIA_TOR_SOCKS:
      text = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n",
                              fake_peer_get_port (f->hostile));
      break;
    case VIA_TOR_CONTROL:
      f->helper = fake_peer_new (FAKE_SOCKS5);
      fake_peer_set_relay_port (f->helper, f->echo_port);
      fake_peer_set_socks_port (f->hostile, fake_peer_get_port (f->helper));
      /* The fake offers only NULL (no authentication): allowed as an
       * operator of such a tor would, since furlhint refuses it unless
       * told (tests/test-connect-tor.c checks that). */
      text = g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\ncontrol.auth = null\n",
                              fake_peer_get_port (f->hostile));
      break;
    case VIA_SAM:
      text = g_strdup_printf ("[connections]\ni2p.sam-api = tcp:127.0.0.1:%u\n",
                              fake_peer_get_port (f->hostile));
      break;
    default:
      g_assert_not_reached ();
    }
  f->ctx = lab_context_new (text, NULL, NULL);
  g_free (text);
}

/* The hostile hint: what goes through the fake. */
static gchar *
hostile_hint (const PeerCase *c, Fixture *f)
{
  switch (c->via)
    {
    case VIA_SOCKS:
      return g_strdup_printf ("tcp:hostile.lab.test:%u", f->echo_port);
    case VIA_TOR_SOCKS:
    case VIA_TOR_CONTROL:
      return g_strdup ("tor:" ONION ":80");
    case VIA_SAM:
      return g_strdup ("i2p:" B32);
    default:
      g_assert_not_reached ();
    }
}

static void
connect_hints (Fixture *f, const gchar *hints, guint timeout_ms)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  options.rank.stagger_ms = 50;
  options.timeout_ms = timeout_ms;
  options.status = lab_on_status;
  /* The connector's own timeout bounds this; past it, a hang. */
  f->result = lab_connect (f->ctx, TUB, hints, &options, NULL, timeout_ms + SLACK_MS, &f->error);
}

/* Connects with @cancellable, the connector's timeout only a bound for a
 * hang (what ends the connect is the test's event). */
static FurlHintConnectResult *
connect_cancellable (Fixture *f, const gchar *hints, GCancellable *cancellable)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  guint bound_ms = under_valgrind () ? 120000 : 10000;

  options.timeout_ms = bound_ms;
  options.status = lab_on_status;
  return lab_connect (f->ctx, TUB, hints, &options, cancellable, bound_ms + SLACK_MS, &f->error);
}

/* Everything closed: the result, the context (its plugins' threads and
 * sessions), the fakes. Then as many descriptors as before them. */
static void
assert_fds_back (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  g_clear_pointer (&f->hostile, fake_peer_free);
  g_clear_pointer (&f->helper, fake_peer_free);
  lab_assert_fds_back (f->fds_before, LAB_FDS_AT_MOST);
}

static void
test_alone (Fixture *f, gconstpointer data)
{
  const PeerCase *c = data;
  gchar *hint;
  guint elapsed, timeout_ms;

  if (!lab_ready ())
    return;
  prepare (f, c);
  hint = hostile_hint (c, f);
  timeout_ms = c->code == FURLHINT_CONNECT_ERROR_TIMED_OUT ? ALONE_TIMEOUT_MS : ALONE_BOUND_MS;
  connect_hints (f, hint, timeout_ms);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_test_message ("%s: %s after %u ms (%s)", c->name,
                  f->error != NULL ? f->error->message : "connected", elapsed,
                  furlhint_connect_result_get_hint_status (f->result, 0));
  g_assert_cmpuint (fake_peer_get_n_accepted (f->hostile), >, c->conn);
  if (c->code == 0)
    {
      g_assert_no_error (f->error);
      g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
      lab_assert_echo (furlhint_connect_result_get_stream (f->result), "through a fake\n", 10);
    }
  else
    {
      g_assert_error (f->error, FURLHINT_CONNECT_ERROR, c->code);
      if (c->message != NULL && strstr (f->error->message, c->message) == NULL)
        g_error ("error message \"%s\" does not contain \"%s\"", f->error->message, c->message);
      g_assert_null (furlhint_connect_result_get_stream (f->result));
      g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), !=, "connected");
      g_assert_cmpuint (elapsed, <=, timeout_ms + SLACK_MS);
    }
  assert_fds_back (f);
  g_free (hint);
}

/* The hostile hint first, a good one 50 ms later: the good one wins. For
 * the SOCKS proxy both go through the fake (a proxy is all tcp: hints
 * have then), whose next connection is good; otherwise the good hint is
 * direct TCP. */
static void
test_with_good (Fixture *f, gconstpointer data)
{
  const PeerCase *c = data;
  const FurlHintPlanEntry *winner;
  gchar *hint, *hints;

  if (!lab_ready ())
    return;
  prepare (f, c);
  hint = hostile_hint (c, f);
  if (c->via == VIA_SOCKS)
    hints = g_strdup_printf ("%s,tcp:good.lab.test:%u", hint, f->echo_port);
  else
    hints = g_strdup_printf ("%s,tcp:127.0.0.1:%u", hint, f->echo_port);
  connect_hints (f, hints, WITH_GOOD_TIMEOUT_MS);
  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpuint (winner->hint_index, ==, 1);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==,
                   c->via == VIA_SOCKS ? "socks" : "tcp");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), !=, "connected");
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "the good hint\n", 10);
  /* The hostile attempt did not hold the good one up. */
  g_assert_cmpuint (furlhint_connect_result_get_elapsed_ms (f->result), <, 1000);
  assert_fds_back (f);
  g_free (hints);
  g_free (hint);
}

/* The target speaks first, and its bytes arrive in the same segment as
 * the proxy's or bridge's good reply: the handshake must stop exactly at
 * the reply's end and leave them, unread, at the head of the stream. */
#define GREETING "220 the target speaks first\r\n"

static void
test_greeting_with_reply (Fixture *f, gconstpointer data)
{
  const PeerCase *c = data;
  GIOStream *stream;
  GError *error = NULL;
  gchar buf[sizeof GREETING - 1];
  gsize got = 0;
  gchar *hint;

  if (!lab_ready ())
    return;
  prepare (f, c);
  fake_peer_set_greeting (f->hostile, GREETING);
  hint = hostile_hint (c, f);
  connect_hints (f, hint, ALONE_TIMEOUT_MS);
  g_assert_no_error (f->error);
  stream = furlhint_connect_result_get_stream (f->result);
  g_assert_true (G_IS_SOCKET_CONNECTION (stream));
  g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), 10);
  g_input_stream_read_all (g_io_stream_get_input_stream (stream), buf, sizeof buf, &got,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buf, got, GREETING, sizeof GREETING - 1);
  /* And the relay behind it is intact. */
  lab_assert_echo (stream, "after the greeting\n", 10);
  assert_fds_back (f);
  g_free (hint);
}

static const PeerCase greeting_cases[] = {
  { "socks/greeting-with-reply", VIA_SOCKS, 0, FAKE_OK, 0, },
  { "tor-socks/greeting-with-reply", VIA_TOR_SOCKS, 0, FAKE_OK, 0, },
  { "sam/greeting-with-reply", VIA_SAM, 0, FAKE_OK, 0, },
};

/* The connector cancels an i2p attempt on the caller's thread (the
 * caller's cancellable here; its timeout or a winning route elsewhere)
 * while the plugin's worker thread is in the middle of a stream reply read
 * byte by byte, so the worker disposes its GCancellableSources as the
 * cancellation is delivered. GLib 2.74 leaks such a source when it is
 * disposed in one thread while another is still emitting "cancelled":
 * memcheck (make check-valgrind) fails this case if the plugin ever lets
 * the cancellation cross threads. The bridge stalls after the first N
 * bytes of "STREAM STATUS RESULT=OK\n" and says so; only then does the
 * test cancel: every N from 0 to the last byte, twice. Every round must
 * end cancelled, and nothing may be left open. */
#define SAM_STREAM_OK "STREAM STATUS RESULT=OK\n"
#define CANCEL_PASSES 2

typedef struct {
  GCancellable *cancellable;
  guint n_stalled;
} CancelAtStall;

static gboolean
cancel_at_stall (gpointer data)
{
  CancelAtStall *at = data;

  at->n_stalled++;
  g_cancellable_cancel (at->cancellable);
  return G_SOURCE_REMOVE;
}

static void
test_sam_cancelled_mid_read (Fixture *f, gconstpointer data)
{
  static const PeerCase slow_stream = { "sam/cancelled-mid-read", VIA_SAM, 1, FAKE_SLOW, 1, };
  const guint reply_len = sizeof SAM_STREAM_OK - 1;
  CancelAtStall at = { NULL, 0 };
  guint rounds = 0;

  if (!lab_ready ())
    return;
  /* Forty-eight connects, each a bridge conversation. */
  lab_set_watchdog (under_valgrind () ? 900 : 120);
  prepare (f, &slow_stream);
  /* prepare() leaves the connection after the hostile one good: every
   * stream is to be slow. */
  fake_peer_script (f->hostile, slow_stream.conn + 1, FAKE_SLOW, slow_stream.stage);
  for (guint pass = 0; pass < CANCEL_PASSES; pass++)
    for (guint n = 0; n < reply_len; n++, rounds++)
      {
        g_clear_pointer (&f->result, furlhint_connect_result_unref);
        g_clear_error (&f->error);
        at.cancellable = g_cancellable_new ();
        fake_peer_stall_slow_replies (f->hostile, n, NULL, cancel_at_stall, &at);
        f->result = connect_cancellable (f, "i2p:" B32, at.cancellable);
        g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        g_assert_null (furlhint_connect_result_get_stream (f->result));
        /* Cancelled by the stall's notice, hence at byte n. */
        g_assert_cmpuint (at.n_stalled, ==, rounds + 1);
        g_clear_object (&at.cancellable);
      }
  /* One session, then a stream each. */
  g_assert_cmpuint (fake_peer_get_n_accepted (f->hostile), ==, rounds + 1);
  fake_peer_stall_slow_replies (f->hostile, 0, NULL, NULL, NULL);
  assert_fds_back (f);
}

#define E(code) FURLHINT_CONNECT_ERROR_##code

static const PeerCase cases[] = {
  /* SOCKS5 through the socks plugin: reply 0 method, 1 CONNECT. */
  { "socks/method/garbage", VIA_SOCKS, 0, FAKE_GARBAGE, 0, E (PROTOCOL),
    "proxy sent a method reply with version 25, expected 5: not a SOCKS5 server?" },
  { "socks/method/truncated", VIA_SOCKS, 0, FAKE_TRUNCATED, 0, E (PROTOCOL),
    "closed the connection during the SOCKS method negotiation (after 1 bytes of its reply)" },
  { "socks/method/huge", VIA_SOCKS, 0, FAKE_HUGE_LINE, 0, E (PROTOCOL),
    "proxy sent a method reply with version 25, expected 5: not a SOCKS5 server?" },
  { "socks/method/silent", VIA_SOCKS, 0, FAKE_SILENT, 0, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "socks/method/close", VIA_SOCKS, 0, FAKE_CLOSE, 0, E (PROTOCOL),
    "closed the connection during the SOCKS method negotiation (after 0 bytes of its reply)" },
  { "socks/method/reset", VIA_SOCKS, 0, FAKE_RESET, 0, E (PROTOCOL),
    "closed the connection during the SOCKS method negotiation (after 0 bytes of its reply: " },
  { "socks/method/wrong-version", VIA_SOCKS, 0, FAKE_WRONG_VERSION, 0, E (PROTOCOL),
    "proxy sent a method reply with version 4, expected 5: not a SOCKS5 server?" },
  { "socks/method/slow", VIA_SOCKS, 0, FAKE_SLOW, 0, 0, NULL },
  { "socks/connect/garbage", VIA_SOCKS, 0, FAKE_GARBAGE, 1, E (PROTOCOL),
    "proxy sent a connect reply with version 25, expected 5: not a SOCKS5 server?" },
  { "socks/connect/truncated", VIA_SOCKS, 0, FAKE_TRUNCATED, 1, E (PROTOCOL),
    "closed the connection during the SOCKS CONNECT request (after 5 bytes of its reply)" },
  { "socks/connect/huge", VIA_SOCKS, 0, FAKE_HUGE_LINE, 1, E (PROTOCOL),
    "proxy sent a connect reply with version 25, expected 5: not a SOCKS5 server?" },
  { "socks/connect/silent", VIA_SOCKS, 0, FAKE_SILENT, 1, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "socks/connect/close", VIA_SOCKS, 0, FAKE_CLOSE, 1, E (PROTOCOL),
    "closed the connection during the SOCKS CONNECT request (after 0 bytes of its reply)" },
  { "socks/connect/reset", VIA_SOCKS, 0, FAKE_RESET, 1, E (PROTOCOL),
    "closed the connection during the SOCKS CONNECT request (after 0 bytes of its reply: " },
  { "socks/connect/wrong-version", VIA_SOCKS, 0, FAKE_WRONG_VERSION, 1, E (PROTOCOL),
    "proxy sent a connect reply with version 4, expected 5: not a SOCKS5 server?" },
  { "socks/connect/slow", VIA_SOCKS, 0, FAKE_SLOW, 1, 0, NULL },
  { "socks/connect/longest-addr", VIA_SOCKS, 0, FAKE_ABSURD_LENGTH, 1, 0, NULL },
  /* SOCKS5 as Tor's SOCKS port: 0 method, 1 RFC 1929 (isolation), 2 CONNECT. */
  { "tor-socks/auth/garbage", VIA_TOR_SOCKS, 0, FAKE_GARBAGE, 1, E (PROTOCOL),
    "proxy sent a username/password reply with version 25, expected 1: not a SOCKS5 server?" },
  { "tor-socks/auth/truncated", VIA_TOR_SOCKS, 0, FAKE_TRUNCATED, 1, E (PROTOCOL),
    "closed the connection during the SOCKS username/password "
    "authentication (after 1 bytes of its reply)" },
  { "tor-socks/auth/wrong-version", VIA_TOR_SOCKS, 0, FAKE_WRONG_VERSION, 1, E (PROTOCOL),
    "proxy sent a username/password reply with version 2, expected 1: not a SOCKS5 server?" },
  { "tor-socks/connect/close", VIA_TOR_SOCKS, 0, FAKE_CLOSE, 2, E (PROTOCOL),
    "closed the connection during the SOCKS CONNECT request (after 0 bytes of its reply)" },
  { "tor-socks/connect/reset", VIA_TOR_SOCKS, 0, FAKE_RESET, 2, E (PROTOCOL),
    "closed the connection during the SOCKS CONNECT request (after 0 bytes of its reply: " },
  { "tor-socks/connect/silent", VIA_TOR_SOCKS, 0, FAKE_SILENT, 2, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "tor-socks/connect/slow", VIA_TOR_SOCKS, 0, FAKE_SLOW, 2, 0, NULL },
  { "tor-socks/method/close", VIA_TOR_SOCKS, 0, FAKE_CLOSE, 0, E (PROTOCOL),
    "closed the connection during the SOCKS method negotiation (after 0 bytes of its reply)" },
  /* Tor control port: 0 PROTOCOLINFO, 1 AUTHENTICATE, 2 GETINFO. */
  { "torctl/protocolinfo/garbage", VIA_TOR_CONTROL, 0, FAKE_GARBAGE, 0, E (PROTOCOL),
    "answering PROTOCOLINFO: Tor control port: malformed reply line" },
  { "torctl/protocolinfo/truncated", VIA_TOR_CONTROL, 0, FAKE_TRUNCATED, 0, E (PROTOCOL),
    "closed the connection instead of answering PROTOCOLINFO (while connecting to a Tor)" },
  { "torctl/protocolinfo/huge", VIA_TOR_CONTROL, 0, FAKE_HUGE_LINE, 0, E (PROTOCOL),
    "answering PROTOCOLINFO: Tor control port: reply longer "
    "than 65536 bytes (while connecting to a Tor)" },
  { "torctl/protocolinfo/silent", VIA_TOR_CONTROL, 0, FAKE_SILENT, 0, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  /* "250-PROTOCOLINFO 2": later versions only add lines (control-spec),
   * so furlhint goes on, and connects. */
  { "torctl/protocolinfo/wrong-version", VIA_TOR_CONTROL, 0, FAKE_WRONG_VERSION, 0, 0, NULL },
  { "torctl/protocolinfo/endless-data", VIA_TOR_CONTROL, 0, FAKE_ABSURD_LENGTH, 0, E (PROTOCOL),
    "answering PROTOCOLINFO: Tor control port: reply longer "
    "than 65536 bytes (while connecting to a Tor)" },
  { "torctl/protocolinfo/slow", VIA_TOR_CONTROL, 0, FAKE_SLOW, 0, 0, NULL },
  { "torctl/protocolinfo/close", VIA_TOR_CONTROL, 0, FAKE_CLOSE, 0, E (PROTOCOL),
    "closed the connection instead of answering PROTOCOLINFO (while connecting to a Tor)" },
  { "torctl/protocolinfo/reset", VIA_TOR_CONTROL, 0, FAKE_RESET, 0, E (PROTOCOL),
    "closed the connection instead of answering PROTOCOLINFO (" },
  { "torctl/authenticate/close", VIA_TOR_CONTROL, 0, FAKE_CLOSE, 1, E (PROTOCOL),
    "closed the connection instead of answering AUTHENTICATE (while connecting to a Tor)" },
  { "torctl/authenticate/garbage", VIA_TOR_CONTROL, 0, FAKE_GARBAGE, 1, E (PROTOCOL),
    "answering AUTHENTICATE: Tor control port: malformed reply line" },
  { "torctl/getinfo/truncated", VIA_TOR_CONTROL, 0, FAKE_TRUNCATED, 2, E (PROTOCOL),
    "closed the connection instead of answering GETINFO "
    "net/listeners/socks (while connecting to a Tor)" },
  { "torctl/getinfo/long-line", VIA_TOR_CONTROL, 0, FAKE_ABSURD_LENGTH, 2, E (PROTOCOL),
    "answering GETINFO net/listeners/socks: Tor control port: reply longer than 65536 bytes" },
  { "torctl/getinfo/garbage", VIA_TOR_CONTROL, 0, FAKE_GARBAGE, 2, E (PROTOCOL),
    "answering GETINFO net/listeners/socks: Tor control port: malformed reply line" },
  /* SAM: connection 0 the session (0 HELLO, 1 SESSION STATUS), connection
   * 1 the stream (0 HELLO, 1 STREAM STATUS). */
  { "sam/hello/garbage", VIA_SAM, 0, FAKE_GARBAGE, 0, E (PROTOCOL),
    "answered HELLO VERSION with" },
  { "sam/hello/truncated", VIA_SAM, 0, FAKE_TRUNCATED, 0, E (PROTOCOL),
    "closed the connection before answering HELLO" },
  { "sam/hello/huge", VIA_SAM, 0, FAKE_HUGE_LINE, 0, E (PROTOCOL),
    "I2P: the SAM bridge sent a reply line longer than 65536 bytes: not a SAM bridge?" },
  { "sam/hello/silent", VIA_SAM, 0, FAKE_SILENT, 0, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "sam/hello/wrong-version", VIA_SAM, 0, FAKE_WRONG_VERSION, 0, E (PROTOCOL),
    "agreed on SAM version 2.0; accepted: 3.1 to 3.3" },
  { "sam/hello/long-line", VIA_SAM, 0, FAKE_ABSURD_LENGTH, 0, E (PROTOCOL),
    "I2P: the SAM bridge sent a reply line longer than 65536 bytes: not a SAM bridge?" },
  { "sam/hello/slow", VIA_SAM, 0, FAKE_SLOW, 0, 0, NULL },
  { "sam/hello/close", VIA_SAM, 0, FAKE_CLOSE, 0, E (PROTOCOL),
    "closed the connection before answering HELLO" },
  { "sam/hello/reset", VIA_SAM, 0, FAKE_RESET, 0, E (PROTOCOL),
    "closed the connection before answering HELLO (" },
  { "sam/session/close", VIA_SAM, 0, FAKE_CLOSE, 1, E (PROTOCOL),
    "closed the connection during SESSION CREATE" },
  { "sam/session/silent", VIA_SAM, 0, FAKE_SILENT, 1, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "sam/session/long-line", VIA_SAM, 0, FAKE_ABSURD_LENGTH, 1, E (PROTOCOL),
    "I2P: the SAM bridge sent a reply line longer than 65536 bytes: not a SAM bridge?" },
  { "sam/session/slow", VIA_SAM, 0, FAKE_SLOW, 1, 0, NULL },
  { "sam/stream-hello/garbage", VIA_SAM, 1, FAKE_GARBAGE, 0, E (PROTOCOL),
    "answered HELLO VERSION with" },
  { "sam/stream/truncated", VIA_SAM, 1, FAKE_TRUNCATED, 1, E (PROTOCOL),
    "closed the connection before answering STREAM CONNECT" },
  { "sam/stream/huge", VIA_SAM, 1, FAKE_HUGE_LINE, 1, E (PROTOCOL),
    "I2P: the SAM bridge sent a reply line longer than 65536 bytes: not a SAM bridge?" },
  { "sam/stream/silent", VIA_SAM, 1, FAKE_SILENT, 1, E (TIMED_OUT),
    "no connection established within client timeout (1500 ms)" },
  { "sam/stream/close", VIA_SAM, 1, FAKE_CLOSE, 1, E (PROTOCOL),
    "closed the connection before answering STREAM CONNECT" },
  { "sam/stream/reset", VIA_SAM, 1, FAKE_RESET, 1, E (PROTOCOL),
    "closed the connection before answering STREAM CONNECT (" },
  { "sam/stream/slow", VIA_SAM, 1, FAKE_SLOW, 1, 0, NULL },
};

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gchar *path = g_strconcat ("/hostile-peers/", cases[i].name, NULL);

      g_test_add (path, Fixture, &cases[i], setup, test_alone, teardown);
      g_free (path);
      if (cases[i].code != 0)
        {
          path = g_strconcat ("/hostile-peers/", cases[i].name, "+good", NULL);
          g_test_add (path, Fixture, &cases[i], setup, test_with_good, teardown);
          g_free (path);
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (greeting_cases); i++)
    {
      gchar *path = g_strconcat ("/hostile-peers/", greeting_cases[i].name, NULL);

      g_test_add (path, Fixture, &greeting_cases[i], setup, test_greeting_with_reply, teardown);
      g_free (path);
    }
  g_test_add ("/hostile-peers/sam/cancelled-mid-read", Fixture, NULL,
              setup, test_sam_cancelled_mid_read, teardown);
  return g_test_run ();
}
