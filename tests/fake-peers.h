/* FAKE servers for the hostile-peer tests: a SOCKS5 proxy, an I2P SAM v3
 * bridge and a Tor control port that misbehave on demand. Real servers
 * (tests/lab.h) are what the connection tests use; these exist only
 * because real servers do not send garbage when asked to.
 *
 * Each fake listens on a free port of 127.0.0.1 and runs in this process:
 * one thread accepts, one thread per connection speaks (blocking I/O,
 * every wait bounded and interrupted by fake_peer_free()).
 *
 * A fake speaks its protocol correctly, except at ONE reply of each
 * connection, chosen by a script per connection (accept order): the
 * reply number @stage (0 = the first reply the server sends on that
 * connection) is replaced by @behaviour. Replies, in order:
 *
 *   SOCKS5:   0 method selection, 1 username/password status (only when
 *             the client offered RFC 1929: the fake then picks it), then
 *             the CONNECT reply; after a good CONNECT reply it relays the
 *             connection to 127.0.0.1:relay_port whatever the target.
 *   SAM:      0 HELLO REPLY, then SESSION STATUS / NAMING REPLY / STREAM
 *             STATUS as the commands come; after STREAM STATUS RESULT=OK
 *             to a STREAM CONNECT the connection is relayed to
 *             127.0.0.1:relay_port (a STREAM FORWARD is only answered).
 *   Tor control: 0 PROTOCOLINFO (AUTH METHODS=NULL), 1 AUTHENTICATE,
 *             2 GETINFO net/listeners/socks (= 127.0.0.1:socks_port),
 *             further GETINFO answered as Tor would for a bootstrapped tor.
 *
 * Connections beyond the scripted ones get the last script.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_FAKE_PEERS_H
#define FURLHINT_TESTS_FAKE_PEERS_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FAKE_SOCKS5,
  FAKE_SAM,
  FAKE_TORCTL,
} FakeKind;

typedef enum {
  FAKE_OK = 0,          /* the right reply */
  FAKE_SLOW,            /* the right reply, byte by byte, FAKE_SLOW_DELAY_MS
                         * apart (less for long replies: 0.5 s in all) */
  FAKE_GARBAGE,         /* 64 bytes of junk (line protocols: then "\n"), then silence */
  FAKE_TRUNCATED,       /* the first half of the right reply, then close */
  FAKE_HUGE_LINE,       /* 1 MiB without a line end (SOCKS5: 1 MiB of junk), then silence */
  FAKE_SILENT,          /* no reply; the connection stays open until the client goes */
  FAKE_CLOSE,           /* close instead of replying, the request read: a clean
                         * FIN (closing with unread bytes would send a RST
                         * or a FIN depending on timing) */
  FAKE_RESET,           /* abort instead of replying, the request read: a RST
                         * (SO_LINGER 0), never a FIN */
  FAKE_WRONG_VERSION,   /* SOCKS 4 / "VERSION=2.0" / "250-PROTOCOLINFO 2" */
  FAKE_ABSURD_LENGTH,   /* SOCKS5 CONNECT reply: the longest BND.ADDR (255
                         * bytes; valid: the stream must still be right);
                         * SAM: a 70 KiB reply line; Tor: a "250+" data
                         * reply of 1 MiB that never ends, or a 70 KiB
                         * GETINFO line */
} FakeBehaviour;

#define FAKE_SLOW_DELAY_MS 5

typedef struct _FakePeer FakePeer;

/* Starts the fake; aborts the test when it cannot listen. */
FakePeer *fake_peer_new (FakeKind kind);
guint16 fake_peer_get_port (FakePeer *peer);
/* Script for the @conn_index-th accepted connection (0-based). */
void fake_peer_script (FakePeer *peer, guint conn_index,
                       FakeBehaviour behaviour, guint stage);
/* SOCKS5 and SAM: where a good CONNECT goes (127.0.0.1). */
void fake_peer_set_relay_port (FakePeer *peer, guint16 port);
/* SOCKS5 and SAM: bytes the target "sends first", written in the same
 * write() as a good CONNECT reply / STREAM STATUS (so they arrive with it):
 * the client must leave them on the stream for its caller. */
void fake_peer_set_greeting (FakePeer *peer, const gchar *greeting);
/* Tor control: the SOCKS port GETINFO net/listeners/socks names. */
void fake_peer_set_socks_port (FakePeer *peer, guint16 port);
/* Connections accepted so far. */
guint fake_peer_get_n_accepted (FakePeer *peer);
/* FAKE_SLOW replies from now on send only their first @n_bytes (byte by
 * byte, as FAKE_SLOW does; 0: none), then stall: silence until the client
 * goes. Once those bytes are written (send() returned: they are with the
 * client's kernel; or the client has gone), @stalled runs once with @data,
 * from an idle source of @context (NULL: the global default; the test's
 * own thread, never the fake's), so a test can act at an exact point of a
 * reply without betting on timers. @stalled NULL: FAKE_SLOW replies are
 * whole again. Sources still pending when the fake is freed are destroyed
 * with it. */
void fake_peer_stall_slow_replies (FakePeer *peer, gsize n_bytes,
                                   GMainContext *context,
                                   GSourceFunc stalled, gpointer data);
/* What the clients asked, in order, each "CONN: REQUEST" with CONN the
 * connection's accept index: SOCKS5 "methods 02" (the greeting's method
 * list in hex), "userpass USER PASS", "connect HOST:PORT"; SAM each
 * command line as sent. A request is logged before the fake replies, so
 * a client that saw the reply finds it here. Free with g_strfreev(). */
gchar **fake_peer_dup_requests (FakePeer *peer);
/* Closes every connection, joins every thread (bounded). NULL is fine. */
void fake_peer_free (FakePeer *peer);

const gchar *fake_behaviour_name (FakeBehaviour behaviour);

G_END_DECLS

#endif
