/* Linkability: what a shared Tor or I2P router, or the peers, can tell
 * about which connections come from one node identity.
 *
 * Tor (through a FAKE SOCKS5 proxy standing in for Tor's SocksPort,
 * tests/fake-peers.c, which logs every greeting, credential and CONNECT):
 * - the SOCKS credentials that put streams on circuits (Tor's
 *   IsolateSOCKSAuth) are the same for one peer within one context,
 *   different for two peers, and different for two contexts (two node
 *   identities) asking for the same peer;
 * - the greeting offers username/password alone, never "no
 *   authentication" (which a SocksPort with PreferSOCKSNoAuth would pick,
 *   dropping the isolation): a proxy that picks it anyway fails the
 *   connect with AUTH.
 * I2P (through a FAKE SAM bridge logging every command):
 * - per-peer client destinations by default: two peers, two SESSION
 *   CREATEs, each STREAM CONNECT on its peer's session; one peer, one;
 * - two contexts never share a session, both TRANSIENT;
 * - `sam.client-destinations = shared`: one session for every peer.
 * A fake is the right tool here: what matters is what is asked of Tor and
 * I2P; real tor and i2pd do the same in test-tornet and test-connect-i2p.
 *
 * Runs in the lab's private network namespace (tests/lab.h).
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
#define TUB2 "x7bvf5wvsrnwu4zqh3cqzhhfpqqpiwpe"
#define ONION "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
#define B32 "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst.b32.i2p"
#define CONNECT_TIMEOUT_MS 10000

typedef struct {
  Lab *lab;
  FakePeer *fake;
  guint16 echo_port;
  FurlHintContext *ctx[2];
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->fake != NULL)
    {
      gchar **requests = fake_peer_dup_requests (f->fake);

      for (guint i = 0; requests[i] != NULL; i++)
        g_test_message ("fake, connection %s", requests[i]);
      g_strfreev (requests);
    }
  for (guint i = 0; i < G_N_ELEMENTS (f->ctx); i++)
    g_clear_pointer (&f->ctx[i], furlhint_context_unref);
  /* Abandoned attempts report back from idles and hold their context. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  fake_peer_free (f->fake);
  lab_free (f->lab);
}

/* A fake Tor SocksPort or SAM bridge relaying good streams to an echo
 * server, and two contexts using it ([tor] socks.port or [i2p] sam.port),
 * with @extra lines in the same section. */
static void
prepare (Fixture *f, FakeKind kind, const gchar *extra)
{
  GError *error = NULL;
  gchar *cfg;

  f->echo_port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->fake = fake_peer_new (kind);
  fake_peer_set_relay_port (f->fake, f->echo_port);
  cfg = g_strdup_printf ("[%s]\n%s = tcp:127.0.0.1:%u\n%s",
                         kind == FAKE_SAM ? "i2p" : "tor",
                         kind == FAKE_SAM ? "sam.port" : "socks.port",
                         fake_peer_get_port (f->fake), extra);
  for (guint i = 0; i < G_N_ELEMENTS (f->ctx); i++)
    f->ctx[i] = lab_context_new (cfg, NULL, NULL);
  g_free (cfg);
}

/* Connects @ctx to @tub at @hints; it must succeed (the echo answers). */
static void
connect_ok (FurlHintContext *ctx, const gchar *tub, const gchar *hints)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  FurlHintConnectResult *result;
  GError *error = NULL;
  GIOStream *stream;
  gchar buf[5] = { 0, };
  gsize got = 0;

  options.timeout_ms = CONNECT_TIMEOUT_MS;
  result = lab_connect (ctx, tub, hints, &options, NULL, CONNECT_TIMEOUT_MS + 1000, &error);
  g_assert_no_error (error);
  stream = furlhint_connect_result_get_stream (result);
  g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), 10);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), "ping", 4, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (stream), buf, 4, &got, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (buf, ==, "ping");
  furlhint_connect_result_unref (result);
}

/* The fake's requests of connection @conn that start with @prefix, with
 * "CONN: " and @prefix taken off. */
static GPtrArray *
requests_of (Fixture *f, gint conn, const gchar *prefix)
{
  gchar **all = fake_peer_dup_requests (f->fake);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; all[i] != NULL; i++)
    {
      gchar *colon = strstr (all[i], ": ");
      guint64 index = 0;

      g_assert_nonnull (colon);
      *colon = '\0';
      g_assert_true (g_ascii_string_to_unsigned (all[i], 10, 0, G_MAXUINT, &index, NULL));
      if ((conn < 0 || (guint64) conn == index) && g_str_has_prefix (colon + 2, prefix))
        g_ptr_array_add (out, g_strdup (colon + 2 + strlen (prefix)));
    }
  g_strfreev (all);
  return out;
}

/* The credentials of the @n-th SOCKS connection ("USER PASS"). */
static gchar *
credentials_of (Fixture *f, guint n)
{
  GPtrArray *found = requests_of (f, (gint) n, "userpass ");
  gchar *credentials;

  g_assert_cmpuint (found->len, ==, 1);
  credentials = g_strdup (g_ptr_array_index (found, 0));
  g_ptr_array_unref (found);
  return credentials;
}

/* --- Tor ------------------------------------------------------------------ */

static void
test_tor_same_context (Fixture *f, gconstpointer data)
{
  gchar *a, *b, *c, *unkeyed;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SOCKS5, "");
  connect_ok (f->ctx[0], TUB, "tor:" ONION ":80");
  connect_ok (f->ctx[0], TUB2, "tor:" ONION ":80");
  connect_ok (f->ctx[0], TUB, "tor:" ONION ":80");

  a = credentials_of (f, 0);
  b = credentials_of (f, 1);
  c = credentials_of (f, 2);
  /* One peer: one circuit; two peers: two. */
  g_assert_cmpstr (a, ==, c);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (g_str_has_prefix (a, "furlhint "));
  g_assert_true (g_str_has_prefix (b, "furlhint "));
  /* Neither the tub ID nor its plain hash, which every node would share. */
  unkeyed = g_compute_checksum_for_string (G_CHECKSUM_SHA256, TUB, -1);
  g_assert_null (strstr (a, unkeyed));
  g_assert_null (strstr (a, TUB));
  g_free (unkeyed);
  g_free (a);
  g_free (b);
  g_free (c);
}

static void
test_tor_two_contexts (Fixture *f, gconstpointer data)
{
  gchar *a, *b;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SOCKS5, "");
  /* Two node identities asking one tor for the same peer. */
  connect_ok (f->ctx[0], TUB, "tor:" ONION ":80");
  connect_ok (f->ctx[1], TUB, "tor:" ONION ":80");
  a = credentials_of (f, 0);
  b = credentials_of (f, 1);
  g_assert_cmpstr (a, !=, b);
  g_free (a);
  g_free (b);
}

static void
test_tor_greeting (Fixture *f, gconstpointer data)
{
  GPtrArray *greetings;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SOCKS5, "");
  connect_ok (f->ctx[0], TUB, "tor:" ONION ":80");
  greetings = requests_of (f, 0, "methods ");
  g_assert_cmpuint (greetings->len, ==, 1);
  /* Username/password (02) alone: no "no authentication" (00). */
  g_assert_cmpstr (g_ptr_array_index (greetings, 0), ==, "02");
  g_ptr_array_unref (greetings);
}

/* A SOCKS5 server that answers every greeting with "no authentication"
 * (what tor with PreferSOCKSNoAuth answers a greeting offering it) and
 * records the greeting. */
typedef struct {
  GSocket *listener;
  GThread *thread;
  gchar *greeting;     /* (owned) hex, set by the thread */
} NoAuthProxy;

static gpointer
no_auth_thread (gpointer data)
{
  NoAuthProxy *p = data;
  GSocket *client = g_socket_accept (p->listener, NULL, NULL);
  guint8 buf[257];
  GString *hex = g_string_new ("");
  gssize n;
  gsize got = 0;

  g_assert_nonnull (client);
  g_socket_set_timeout (client, 10);
  while (got < 2 || got < 2 + (gsize) buf[1])
    {
      n = g_socket_receive (client, (gchar *) buf + got, sizeof buf - got, NULL, NULL);
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  for (gsize i = 2; i < got; i++)
    g_string_append_printf (hex, "%s%02x", i > 2 ? " " : "", buf[i]);
  p->greeting = g_string_free (hex, FALSE);
  g_socket_send (client, "\x05\x00", 2, NULL, NULL);
  /* Whatever comes next (a CONNECT on the old code): until the client
   * goes. */
  while (g_socket_receive (client, (gchar *) buf, sizeof buf, NULL, NULL) > 0)
    ;
  g_socket_close (client, NULL);
  g_object_unref (client);
  return NULL;
}

static void
test_tor_no_auth_refused (Fixture *f, gconstpointer data)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  NoAuthProxy p = { NULL, };
  GError *error = NULL;
  FurlHintConnectResult *result;
  guint16 port;
  gchar *cfg;

  if (!lab_ready ())
    return;
  p.listener = lab_listen_loopback (0, &port);
  p.thread = g_thread_new ("no-auth-proxy", no_auth_thread, &p);
  cfg = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n", port);
  f->ctx[0] = lab_context_new (cfg, NULL, NULL);

  options.timeout_ms = CONNECT_TIMEOUT_MS;
  result = lab_connect (f->ctx[0], TUB, "tor:" ONION ":80", &options, NULL,
                        CONNECT_TIMEOUT_MS + 1000, &error);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "proxy chose no authentication although only "
                                            "username/password was offered"));
  g_assert_null (furlhint_connect_result_get_stream (result));
  furlhint_connect_result_unref (result);
  g_clear_error (&error);

  g_thread_join (p.thread);
  g_assert_cmpstr (p.greeting, ==, "02");
  g_free (p.greeting);
  g_free (cfg);
  g_socket_close (p.listener, NULL);
  g_object_unref (p.listener);
}

/* --- I2P ------------------------------------------------------------------ */

/* "ID" of each SESSION CREATE, in order; checks each is TRANSIENT. */
static GPtrArray *
session_ids (Fixture *f)
{
  GPtrArray *creates = requests_of (f, -1, "SESSION CREATE ");
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < creates->len; i++)
    {
      gchar **words = g_strsplit (g_ptr_array_index (creates, i), " ", -1);
      gboolean transient = FALSE;

      for (guint j = 0; words[j] != NULL; j++)
        {
          if (g_str_has_prefix (words[j], "ID="))
            g_ptr_array_add (ids, g_strdup (words[j] + 3));
          transient |= strcmp (words[j], "DESTINATION=TRANSIENT") == 0;
        }
      g_assert_true (transient);
      g_strfreev (words);
    }
  g_assert_cmpuint (ids->len, ==, creates->len);
  g_ptr_array_unref (creates);
  return ids;
}

/* The session ID each STREAM CONNECT used, in order. */
static GPtrArray *
stream_session_ids (Fixture *f)
{
  GPtrArray *connects = requests_of (f, -1, "STREAM CONNECT ");
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < connects->len; i++)
    {
      gchar **words = g_strsplit (g_ptr_array_index (connects, i), " ", -1);

      for (guint j = 0; words[j] != NULL; j++)
        if (g_str_has_prefix (words[j], "ID="))
          g_ptr_array_add (ids, g_strdup (words[j] + 3));
      g_strfreev (words);
    }
  g_assert_cmpuint (ids->len, ==, connects->len);
  g_ptr_array_unref (connects);
  return ids;
}

static void
test_i2p_per_peer (Fixture *f, gconstpointer data)
{
  GPtrArray *sessions, *streams;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SAM, "");
  connect_ok (f->ctx[0], TUB, "i2p:" B32);
  connect_ok (f->ctx[0], TUB2, "i2p:" B32);
  connect_ok (f->ctx[0], TUB, "i2p:" B32);

  /* Two peers: two destinations; the second connect to the first peer
   * reuses its session. */
  sessions = session_ids (f);
  g_assert_cmpuint (sessions->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (sessions, 0), !=, g_ptr_array_index (sessions, 1));
  streams = stream_session_ids (f);
  g_assert_cmpuint (streams->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (streams, 0), ==, g_ptr_array_index (sessions, 0));
  g_assert_cmpstr (g_ptr_array_index (streams, 1), ==, g_ptr_array_index (sessions, 1));
  g_assert_cmpstr (g_ptr_array_index (streams, 2), ==, g_ptr_array_index (sessions, 0));
  g_ptr_array_unref (sessions);
  g_ptr_array_unref (streams);
}

static void
test_i2p_two_contexts (Fixture *f, gconstpointer data)
{
  GPtrArray *sessions, *streams;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SAM, "");
  connect_ok (f->ctx[0], TUB, "i2p:" B32);
  connect_ok (f->ctx[1], TUB, "i2p:" B32);
  sessions = session_ids (f);
  g_assert_cmpuint (sessions->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (sessions, 0), !=, g_ptr_array_index (sessions, 1));
  streams = stream_session_ids (f);
  g_assert_cmpuint (streams->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (streams, 0), ==, g_ptr_array_index (sessions, 0));
  g_assert_cmpstr (g_ptr_array_index (streams, 1), ==, g_ptr_array_index (sessions, 1));
  g_ptr_array_unref (sessions);
  g_ptr_array_unref (streams);
}

static void
test_i2p_shared (Fixture *f, gconstpointer data)
{
  GPtrArray *sessions, *streams;

  if (!lab_ready ())
    return;
  prepare (f, FAKE_SAM, "sam.client-destinations = shared\n");
  connect_ok (f->ctx[0], TUB, "i2p:" B32);
  connect_ok (f->ctx[0], TUB2, "i2p:" B32);
  sessions = session_ids (f);
  g_assert_cmpuint (sessions->len, ==, 1);
  streams = stream_session_ids (f);
  g_assert_cmpuint (streams->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (streams, 0), ==, g_ptr_array_index (sessions, 0));
  g_assert_cmpstr (g_ptr_array_index (streams, 1), ==, g_ptr_array_index (sessions, 0));
  g_ptr_array_unref (sessions);
  g_ptr_array_unref (streams);
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/isolation/tor/same-context", test_tor_same_context);
  ADD ("/isolation/tor/two-contexts", test_tor_two_contexts);
  ADD ("/isolation/tor/greeting-userpass-only", test_tor_greeting);
  ADD ("/isolation/tor/no-auth-refused", test_tor_no_auth_refused);
  ADD ("/isolation/i2p/per-peer", test_i2p_per_peer);
  ADD ("/isolation/i2p/two-contexts", test_i2p_two_contexts);
  ADD ("/isolation/i2p/shared", test_i2p_shared);
#undef ADD
  return g_test_run ();
}
