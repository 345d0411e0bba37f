/* FAKE SOCKS5 / SAM / Tor-control servers that misbehave on demand; see
 * fake-peers.h. Blocking sockets on threads of their own: the code under
 * test runs on the test's main context and must not be able to tell.
 *
 * Every wait polls the connection together with the fake's stop pipe, so
 * fake_peer_free() ends every thread at once whatever it was doing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fake-peers.h"

/* No wait of a fake lasts longer than this (a client that neither talks
 * nor closes); the tests' own timeouts are far shorter. */
#define FAKE_IO_TIMEOUT_MS 60000
#define FAKE_MAX_LINE (64 * 1024)
#define FAKE_HUGE (1024 * 1024)
/* A SAM line / Tor reply line longer than the clients' 64 KiB limits. */
#define FAKE_LONG (70 * 1024)

typedef struct {
  FakeBehaviour behaviour;
  guint stage;
} FakeScript;

struct _FakePeer {
  FakeKind kind;
  gint listen_fd;
  guint16 port;
  gint stop_pipe[2];          /* readable once fake_peer_free() starts */
  GThread *accept_thread;
  GMutex lock;
  GArray *scripts;            /* (lock) (element-type FakeScript) */
  GPtrArray *conn_threads;    /* (lock) (element-type GThread) */
  guint n_accepted;           /* (lock) */
  guint16 relay_port;         /* (lock) */
  guint16 socks_port;         /* (lock) */
  gchar *greeting;            /* (lock) (nullable) */
  /* fake_peer_stall_slow_replies(): */
  gsize stall_bytes;          /* (lock) */
  GMainContext *stall_context; /* (lock) (owned) (nullable) */
  GSourceFunc stalled;        /* (lock) (nullable): NULL, no stall */
  gpointer stalled_data;      /* (lock) */
  GPtrArray *stall_sources;   /* (lock) (element-type GSource) not dispatched yet */
  GPtrArray *requests;        /* (lock) (element-type utf8) see fake_peer_dup_requests() */
};

typedef struct {
  FakePeer *peer;
  guint index;                /* accept order */
  gint fd;
  FakeScript script;
  guint reply_index;
  GByteArray *in;             /* received, not consumed yet */
} Conn;

const gchar *
fake_behaviour_name (FakeBehaviour behaviour)
{
  static const gchar *const names[] = {
    "ok", "slow", "garbage", "truncated", "huge-line", "silent", "close",
    "reset", "wrong-version", "absurd-length",
  };

  g_return_val_if_fail ((guint) behaviour < G_N_ELEMENTS (names), "?");
  return names[behaviour];
}

/* --- bounded blocking I/O -------------------------------------------------- */

/* Waits for @events on @fd; FALSE when stopping, on timeout or error. */
static gboolean
wait_fd (FakePeer *peer, gint fd, short events)
{
  struct pollfd fds[2] = {
    { .fd = fd, .events = events },
    { .fd = peer->stop_pipe[0], .events = POLLIN },
  };

  for (;;)
    {
      gint n = poll (fds, 2, FAKE_IO_TIMEOUT_MS);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || (fds[1].revents & POLLIN) != 0)
        return FALSE;
      return TRUE;
    }
}

static gboolean
stopping (FakePeer *peer)
{
  struct pollfd pfd = { .fd = peer->stop_pipe[0], .events = POLLIN };

  return poll (&pfd, 1, 0) > 0;
}

/* Reads what is there into c->in; FALSE on EOF, error or stop. */
static gboolean
read_more (Conn *c)
{
  guint8 buf[4096];
  gssize n;

  if (!wait_fd (c->peer, c->fd, POLLIN))
    return FALSE;
  do
    n = recv (c->fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return FALSE;
  g_byte_array_append (c->in, buf, (guint) n);
  return TRUE;
}

static gboolean
need (Conn *c, gsize n)
{
  while (c->in->len < n)
    if (!read_more (c))
      return FALSE;
  return TRUE;
}

static void
consume (Conn *c, gsize n)
{
  g_byte_array_remove_range (c->in, 0, (guint) n);
}

/* One line without its "\n" (and "\r"), or NULL. */
static gchar *
read_line (Conn *c)
{
  for (;;)
    {
      /* An empty GByteArray may have no data at all: memchr must not
       * see NULL (UBSan). */
      guint8 *nl = c->in->len > 0 ? memchr (c->in->data, '\n', c->in->len) : NULL;

      if (nl != NULL)
        {
          gsize len = (gsize) (nl - c->in->data);
          gchar *line = g_strndup ((const gchar *) c->in->data, len);

          consume (c, len + 1);
          g_strchomp (line);
          return line;
        }
      if (c->in->len > FAKE_MAX_LINE || !read_more (c))
        return NULL;
    }
}

static gboolean
write_all (FakePeer *peer, gint fd, const void *data, gsize len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      gssize n;

      if (!wait_fd (peer, fd, POLLOUT))
        return FALSE;
      n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Silence: discard what comes until the client closes (or we stop). */
static void
wait_close (Conn *c)
{
  while (read_more (c))
    g_byte_array_set_size (c->in, 0);
}

static void
junk (guint8 *buf, gsize len)
{
  guint32 x = 0x9e3779b9;

  for (gsize i = 0; i < len; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = (guint8) x;
      /* No line ends inside: a line protocol must see one long line. */
      if (buf[i] == '\n')
        buf[i] = 0xff;
    }
}

/* --- stalling a slow reply at a point the test chose ------------------------ */

typedef struct {
  FakePeer *peer;
  GSource *source;            /* (unowned) removed from stall_sources when run */
  GSourceFunc stalled;
  gpointer data;
} StallNotice;

static gboolean
slow_reply_stalls (FakePeer *peer)
{
  gboolean stalls;

  g_mutex_lock (&peer->lock);
  stalls = peer->stalled != NULL;
  g_mutex_unlock (&peer->lock);
  return stalls;
}

/* Runs in the test's thread. */
static gboolean
stall_notice_cb (gpointer user_data)
{
  StallNotice *notice = user_data;

  g_mutex_lock (&notice->peer->lock);
  g_ptr_array_remove_fast (notice->peer->stall_sources, notice->source);
  g_mutex_unlock (&notice->peer->lock);
  notice->stalled (notice->data);
  return G_SOURCE_REMOVE;
}

/* FAKE_SLOW with a stall: the first stall_bytes of @right byte by byte,
 * the notice to the test, then silence until the client goes. Always
 * FALSE: the conversation is over. */
static gboolean
stall_after (Conn *c, const void *right, gsize right_len)
{
  FakePeer *peer = c->peer;
  StallNotice *notice = g_new0 (StallNotice, 1);
  gsize n;

  g_mutex_lock (&peer->lock);
  n = MIN (peer->stall_bytes, right_len);
  notice->peer = peer;
  notice->stalled = peer->stalled;
  notice->data = peer->stalled_data;
  notice->source = g_idle_source_new ();
  g_source_set_callback (notice->source, stall_notice_cb, notice, g_free);
  g_source_set_static_name (notice->source, "fake-peer stalled");
  g_ptr_array_add (peer->stall_sources, notice->source);
  g_mutex_unlock (&peer->lock);

  for (gsize i = 0; i < n; i++)
    {
      if (!write_all (peer, c->fd, (const guint8 *) right + i, 1))
        break;
      /* Read byte by byte, as for FAKE_SLOW; what the test does happens
       * on the notice, never on this delay. */
      if (i + 1 < n)
        g_usleep (FAKE_SLOW_DELAY_MS * 1000);
    }
  /* Attached under the lock: fake_peer_free() either destroys it or
   * finds it gone. An idle source, not g_main_context_invoke(), which
   * would run the notice on this thread whenever it can acquire the
   * test's context. */
  g_mutex_lock (&peer->lock);
  g_source_attach (notice->source, peer->stall_context);
  g_mutex_unlock (&peer->lock);
  wait_close (c);
  return FALSE;
}

/* --- the one misbehaving reply --------------------------------------------- */

/* Sends reply number c->reply_index: @right normally, the script's
 * behaviour at its stage. @wrong_version and @absurd are the protocol's
 * versions of those (NULL: @right). Returns FALSE when the conversation
 * is over (the connection is to be closed). */
static gboolean
reply (Conn *c,
       const void *right, gsize right_len,
       const void *wrong_version, gsize wrong_len,
       const void *absurd, gsize absurd_len)
{
  FakePeer *peer = c->peer;
  gboolean line_protocol = peer->kind != FAKE_SOCKS5;
  guint index = c->reply_index++;

  if (index != c->script.stage)
    return write_all (peer, c->fd, right, right_len);

  switch (c->script.behaviour)
    {
    case FAKE_OK:
      return write_all (peer, c->fd, right, right_len);
    case FAKE_SLOW:
      if (slow_reply_stalls (peer))
        return stall_after (c, right, right_len);
      for (gsize i = 0; i < right_len; i++)
        {
          if (!write_all (peer, c->fd, (const guint8 *) right + i, 1))
            return FALSE;
          /* A long reply (SAM's destinations) still within ~0.5 s. */
          g_usleep (MIN (FAKE_SLOW_DELAY_MS * 1000, 500000 / right_len));
          if (stopping (peer))
            return FALSE;
        }
      return TRUE;
    case FAKE_GARBAGE:
      {
        guint8 buf[65];

        junk (buf, 64);
        buf[64] = '\n';
        write_all (peer, c->fd, buf, line_protocol ? 65 : 64);
        wait_close (c);
        return FALSE;
      }
    case FAKE_TRUNCATED:
      write_all (peer, c->fd, right, MAX (right_len / 2, 1));
      return FALSE;
    case FAKE_HUGE_LINE:
      {
        guint8 *buf = g_malloc (FAKE_HUGE);

        if (line_protocol)
          memset (buf, 'A', FAKE_HUGE);
        else
          junk (buf, FAKE_HUGE);
        write_all (peer, c->fd, buf, FAKE_HUGE);
        g_free (buf);
        wait_close (c);
        return FALSE;
      }
    case FAKE_SILENT:
      wait_close (c);
      return FALSE;
    case FAKE_CLOSE:
      return FALSE;
    case FAKE_RESET:
      {
        struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };

        setsockopt (c->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        return FALSE;
      }
    case FAKE_WRONG_VERSION:
      /* The conversation goes on: a client that accepts the version
       * (Tor's PROTOCOLINFO 2: later versions only add lines) must get
       * the rest of it. */
      if (wrong_version == NULL)
        return write_all (peer, c->fd, right, right_len);
      return write_all (peer, c->fd, wrong_version, wrong_len);
    case FAKE_ABSURD_LENGTH:
      if (absurd == NULL)
        return write_all (peer, c->fd, right, right_len);
      /* Some absurd replies are valid (SOCKS5's longest BND.ADDR): the
       * conversation goes on when everything was sent. */
      return write_all (peer, c->fd, absurd, absurd_len);
    default:
      g_assert_not_reached ();
    }
}

/* What follows a good final reply: the greeting, or "". */
static gchar *
dup_greeting (FakePeer *peer)
{
  gchar *greeting;

  g_mutex_lock (&peer->lock);
  greeting = g_strdup (peer->greeting != NULL ? peer->greeting : "");
  g_mutex_unlock (&peer->lock);
  return greeting;
}

/* --- relaying a good connection ------------------------------------------- */

static gint
connect_relay (FakePeer *peer)
{
  struct sockaddr_in sin = { .sin_family = AF_INET };
  gint fd;

  g_mutex_lock (&peer->lock);
  sin.sin_port = htons (peer->relay_port);
  g_mutex_unlock (&peer->lock);
  if (sin.sin_port == 0)
    return -1;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &sin, sizeof sin) != 0)
    {
      close (fd);
      fd = -1;
    }
  return fd;
}

/* Splices c->fd and @relay until one side closes (or we stop). */
static void
relay (Conn *c, gint relay_fd)
{
  struct pollfd fds[3] = {
    { .fd = c->fd, .events = POLLIN },
    { .fd = relay_fd, .events = POLLIN },
    { .fd = c->peer->stop_pipe[0], .events = POLLIN },
  };

  if (c->in->len > 0 && !write_all (c->peer, relay_fd, c->in->data, c->in->len))
    return;
  g_byte_array_set_size (c->in, 0);
  for (;;)
    {
      guint8 buf[4096];
      gint n = poll (fds, 3, FAKE_IO_TIMEOUT_MS);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || fds[2].revents != 0)
        return;
      for (guint i = 0; i < 2; i++)
        if (fds[i].revents != 0)
          {
            gssize got = recv (fds[i].fd, buf, sizeof buf, 0);

            if (got <= 0 || !write_all (c->peer, fds[1 - i].fd, buf, (gsize) got))
              return;
          }
    }
}

static void
log_request (Conn *c, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
log_request (Conn *c, const gchar *format, ...)
{
  va_list ap;
  gchar *text;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_mutex_lock (&c->peer->lock);
  g_ptr_array_add (c->peer->requests, g_strdup_printf ("%u: %s", c->index, text));
  g_mutex_unlock (&c->peer->lock);
  g_free (text);
}

/* --- SOCKS5 ------------------------------------------------------------------- */

static void
serve_socks5 (Conn *c)
{
  guint8 method = 0xff, r[2], wrong[2];
  guint8 atyp;
  gsize request_len;
  gint relay_fd;

  if (!need (c, 2) || c->in->data[0] != 5 || !need (c, 2 + (gsize) c->in->data[1]))
    return;
  {
    GString *methods = g_string_new ("methods");

    for (guint i = 0; i < c->in->data[1]; i++)
      {
        guint8 m = c->in->data[2 + i];
        /* RFC 1929 when offered (Tor isolation), as Tor does. */
        if (m == 0x02 || (m == 0x00 && method == 0xff))
          method = m;
        g_string_append_printf (methods, " %02x", m);
      }
    log_request (c, "%s", methods->str);
    g_string_free (methods, TRUE);
  }
  consume (c, 2 + (gsize) c->in->data[1]);
  r[0] = 5, r[1] = method;
  wrong[0] = 4, wrong[1] = method;
  if (!reply (c, r, 2, wrong, 2, NULL, 0) || method == 0xff)
    return;

  if (method == 0x02)
    {
      gsize ulen, plen;

      if (!need (c, 2))
        return;
      ulen = c->in->data[1];
      if (!need (c, 2 + ulen + 1))
        return;
      plen = c->in->data[2 + ulen];
      if (!need (c, 3 + ulen + plen))
        return;
      log_request (c, "userpass %.*s %.*s", (int) ulen, (const gchar *) c->in->data + 2,
                   (int) plen, (const gchar *) c->in->data + 3 + ulen);
      consume (c, 3 + ulen + plen);
      r[0] = 1, r[1] = 0;
      wrong[0] = 2, wrong[1] = 0;
      if (!reply (c, r, 2, wrong, 2, NULL, 0))
        return;
    }

  if (!need (c, 5))
    return;
  atyp = c->in->data[3];
  if (atyp == 1)
    request_len = 4 + 4 + 2;
  else if (atyp == 4)
    request_len = 4 + 16 + 2;
  else if (atyp == 3)
    request_len = 5 + (gsize) c->in->data[4] + 2;
  else
    return;
  if (!need (c, request_len))
    return;
  if (atyp == 3)
    log_request (c, "connect %.*s:%u", (int) c->in->data[4], (const gchar *) c->in->data + 5,
                 (guint) (c->in->data[request_len - 2] << 8 | c->in->data[request_len - 1]));
  else
    log_request (c, "connect (address type %u)", atyp);
  consume (c, request_len);

  relay_fd = connect_relay (c->peer);
  {
    guint8 ok[10] = { 5, relay_fd >= 0 ? 0 : 5, 0, 1, 127, 0, 0, 1, 0x12, 0x34 };
    guint8 wrong_ok[10] = { 4, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34 };
    /* The longest BND.ADDR there is: a 255-byte name. Valid: the client
     * must consume exactly it and leave the stream at the peer's data. */
    guint8 longest[5 + 255 + 2] = { 5, relay_fd >= 0 ? 0 : 5, 0, 3, 255 };

    gchar *greeting = relay_fd >= 0 ? dup_greeting (c->peer) : g_strdup ("");
    GByteArray *good = g_byte_array_new ();

    memset (longest + 5, 'a', 255);
    longest[260] = 0x12, longest[261] = 0x34;
    g_byte_array_append (good, ok, sizeof ok);
    g_byte_array_append (good, (const guint8 *) greeting, strlen (greeting));
    if (reply (c, good->data, good->len, wrong_ok, sizeof wrong_ok, longest, sizeof longest) &&
        relay_fd >= 0)
      relay (c, relay_fd);
    g_byte_array_unref (good);
    g_free (greeting);
  }
  if (relay_fd >= 0)
    close (relay_fd);
}

/* --- SAM v3 ------------------------------------------------------------------- */

static gchar *
fake_destination (gsize len)
{
  gchar *dest = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    dest[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~"[i % 64];
  dest[len] = '\0';
  return dest;
}

static gboolean
sam_reply (Conn *c, const gchar *right, const gchar *wrong, const gchar *absurd)
{
  return reply (c, right, strlen (right),
                wrong, wrong != NULL ? strlen (wrong) : 0,
                absurd, absurd != NULL ? strlen (absurd) : 0);
}

static void
serve_sam (Conn *c)
{
  gchar *dest = fake_destination (616);
  gchar *long_dest = fake_destination (FAKE_LONG);
  gboolean go_on = TRUE;

  while (go_on)
    {
      gchar *line = read_line (c);
      gchar *right = NULL, *absurd = NULL;
      const gchar *wrong = NULL;
      gboolean stream = FALSE;
      gint relay_fd = -1;

      if (line == NULL)
        break;
      log_request (c, "%s", line);
      if (g_str_has_prefix (line, "HELLO VERSION"))
        {
          right = g_strdup ("HELLO REPLY RESULT=OK VERSION=3.1\n");
          wrong = "HELLO REPLY RESULT=OK VERSION=2.0\n";
          absurd = g_strdup_printf ("HELLO REPLY RESULT=OK VERSION=3.1 MESSAGE=%s\n", long_dest);
        }
      else if (g_str_has_prefix (line, "SESSION CREATE"))
        {
          right = g_strdup_printf ("SESSION STATUS RESULT=OK DESTINATION=%s\n", dest);
          absurd = g_strdup_printf ("SESSION STATUS RESULT=OK DESTINATION=%s\n", long_dest);
        }
      else if (g_str_has_prefix (line, "STREAM FORWARD"))
        right = g_strdup ("STREAM STATUS RESULT=OK\n");
      else if (g_str_has_prefix (line, "NAMING LOOKUP"))
        {
          right = g_strdup_printf ("NAMING REPLY RESULT=OK NAME=x VALUE=%s\n", dest);
          absurd = g_strdup_printf ("NAMING REPLY RESULT=OK NAME=x VALUE=%s\n", long_dest);
        }
      else if (g_str_has_prefix (line, "STREAM CONNECT"))
        {
          relay_fd = connect_relay (c->peer);
          if (relay_fd >= 0)
            {
              gchar *greeting = dup_greeting (c->peer);

              right = g_strconcat ("STREAM STATUS RESULT=OK\n", greeting, NULL);
              g_free (greeting);
            }
          else
            right = g_strdup ("STREAM STATUS RESULT=CANT_REACH_PEER\n");
          absurd = g_strdup_printf ("STREAM STATUS RESULT=OK MESSAGE=%s\n", long_dest);
          stream = relay_fd >= 0;
        }
      else
        right = g_strdup ("SESSION STATUS RESULT=I2P_ERROR MESSAGE=\"fake: unknown command\"\n");

      go_on = sam_reply (c, right, wrong, absurd);
      if (go_on && stream)
        {
          relay (c, relay_fd);
          go_on = FALSE;
        }
      if (relay_fd >= 0)
        close (relay_fd);
      g_free (right);
      g_free (absurd);
      g_free (line);
    }
  g_free (dest);
  g_free (long_dest);
}

/* --- Tor control port ------------------------------------------------------------ */

static void
serve_torctl (Conn *c)
{
  gboolean go_on = TRUE;
  GString *huge = g_string_sized_new (FAKE_HUGE + 64);

  /* A data reply ("250+") that never ends: 1 MiB of short lines. */
  g_string_append (huge, "250+PROTOCOLINFO 1\r\n");
  while (huge->len < FAKE_HUGE)
    g_string_append (huge, "AUTH METHODS=NULL\r\n");

  while (go_on)
    {
      gchar *line = read_line (c);
      gchar *right = NULL;
      const gchar *wrong = NULL, *absurd = NULL;
      gchar *long_line = NULL;

      if (line == NULL)
        break;
      if (g_str_has_prefix (line, "PROTOCOLINFO"))
        {
          right = g_strdup ("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
                            "250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n");
          wrong = "250-PROTOCOLINFO 2\r\n250-AUTH METHODS=NULL\r\n"
                  "250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n";
          absurd = huge->str;
        }
      else if (g_str_has_prefix (line, "AUTHENTICATE"))
        right = g_strdup ("250 OK\r\n");
      else if (g_str_has_prefix (line, "GETINFO net/listeners/socks"))
        {
          guint16 socks_port;
          gchar *pad = fake_destination (FAKE_LONG);

          g_mutex_lock (&c->peer->lock);
          socks_port = c->peer->socks_port;
          g_mutex_unlock (&c->peer->lock);
          right = g_strdup_printf ("250-net/listeners/socks=\"127.0.0.1:%u\"\r\n250 OK\r\n",
                                   socks_port);
          long_line = g_strdup_printf ("250-net/listeners/socks=\"127.0.0.1:%u %s\"\r\n250 OK\r\n",
                                       socks_port, pad);
          absurd = long_line;
          g_free (pad);
        }
      else if (g_str_has_prefix (line, "GETINFO status/bootstrap-phase"))
        right = g_strdup ("250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 "
                          "TAG=done SUMMARY=\"Done\"\r\n250 OK\r\n");
      else
        right = g_strdup ("510 Unrecognized command\r\n");

      go_on = reply (c, right, strlen (right), wrong, wrong != NULL ? strlen (wrong) : 0,
                     absurd, absurd != NULL ? strlen (absurd) : 0);
      g_free (right);
      g_free (long_line);
      g_free (line);
    }
  g_string_free (huge, TRUE);
}

/* --- threads -------------------------------------------------------------------- */

static gpointer
conn_thread (gpointer data)
{
  Conn *c = data;

  switch (c->peer->kind)
    {
    case FAKE_SOCKS5:
      serve_socks5 (c);
      break;
    case FAKE_SAM:
      serve_sam (c);
      break;
    case FAKE_TORCTL:
      serve_torctl (c);
      break;
    default:
      g_assert_not_reached ();
    }
  close (c->fd);
  g_byte_array_unref (c->in);
  g_free (c);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  FakePeer *peer = data;

  while (wait_fd (peer, peer->listen_fd, POLLIN))
    {
      gint fd = accept4 (peer->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      Conn *c;

      if (fd < 0)
        continue;
      /* One byte per segment when a reply is written byte by byte. */
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &(gint) { 1 }, sizeof (gint));
      c = g_new0 (Conn, 1);
      c->peer = peer;
      c->fd = fd;
      c->in = g_byte_array_new ();
      g_mutex_lock (&peer->lock);
      if (peer->scripts->len > 0)
        c->script = g_array_index (peer->scripts, FakeScript,
                                   MIN (peer->n_accepted, peer->scripts->len - 1));
      c->index = peer->n_accepted++;
      g_ptr_array_add (peer->conn_threads, g_thread_new ("fake-peer-conn", conn_thread, c));
      g_mutex_unlock (&peer->lock);
    }
  return NULL;
}

FakePeer *
fake_peer_new (FakeKind kind)
{
  FakePeer *peer = g_new0 (FakePeer, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET };
  socklen_t len = sizeof sin;
  gint one = 1;

  peer->kind = kind;
  g_mutex_init (&peer->lock);
  peer->scripts = g_array_new (FALSE, TRUE, sizeof (FakeScript));
  peer->conn_threads = g_ptr_array_new ();
  peer->stall_sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  peer->requests = g_ptr_array_new_with_free_func (g_free);
  g_assert_cmpint (pipe2 (peer->stop_pipe, O_CLOEXEC), ==, 0);

  peer->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (peer->listen_fd, >=, 0);
  setsockopt (peer->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (peer->listen_fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (peer->listen_fd, 16), ==, 0);
  g_assert_cmpint (getsockname (peer->listen_fd, (struct sockaddr *) &sin, &len), ==, 0);
  peer->port = ntohs (sin.sin_port);
  peer->accept_thread = g_thread_new ("fake-peer-accept", accept_thread, peer);
  return peer;
}

guint16
fake_peer_get_port (FakePeer *peer)
{
  return peer->port;
}

void
fake_peer_script (FakePeer *peer, guint conn_index, FakeBehaviour behaviour, guint stage)
{
  FakeScript script = { behaviour, stage };

  g_mutex_lock (&peer->lock);
  if (peer->scripts->len <= conn_index)
    g_array_set_size (peer->scripts, conn_index + 1);
  g_array_index (peer->scripts, FakeScript, conn_index) = script;
  g_mutex_unlock (&peer->lock);
}

void
fake_peer_set_relay_port (FakePeer *peer, guint16 port)
{
  g_mutex_lock (&peer->lock);
  peer->relay_port = port;
  g_mutex_unlock (&peer->lock);
}

void
fake_peer_set_greeting (FakePeer *peer, const gchar *greeting)
{
  g_mutex_lock (&peer->lock);
  g_free (peer->greeting);
  peer->greeting = g_strdup (greeting);
  g_mutex_unlock (&peer->lock);
}

void
fake_peer_set_socks_port (FakePeer *peer, guint16 port)
{
  g_mutex_lock (&peer->lock);
  peer->socks_port = port;
  g_mutex_unlock (&peer->lock);
}

gchar **
fake_peer_dup_requests (FakePeer *peer)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  gchar **requests;

  g_mutex_lock (&peer->lock);
  for (guint i = 0; i < peer->requests->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (peer->requests, i));
  g_mutex_unlock (&peer->lock);
  requests = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return requests;
}

guint
fake_peer_get_n_accepted (FakePeer *peer)
{
  guint n;

  g_mutex_lock (&peer->lock);
  n = peer->n_accepted;
  g_mutex_unlock (&peer->lock);
  return n;
}

void
fake_peer_stall_slow_replies (FakePeer *peer, gsize n_bytes,
                              GMainContext *context,
                              GSourceFunc stalled, gpointer data)
{
  g_mutex_lock (&peer->lock);
  peer->stall_bytes = n_bytes;
  g_clear_pointer (&peer->stall_context, g_main_context_unref);
  if (context != NULL)
    peer->stall_context = g_main_context_ref (context);
  peer->stalled = stalled;
  peer->stalled_data = data;
  g_mutex_unlock (&peer->lock);
}

void
fake_peer_free (FakePeer *peer)
{
  if (peer == NULL)
    return;
  /* Every wait polls the pipe: all threads end within one poll. */
  g_assert_cmpint (write (peer->stop_pipe[1], "x", 1), ==, 1);
  g_thread_join (peer->accept_thread);
  for (guint i = 0; i < peer->conn_threads->len; i++)
    g_thread_join (g_ptr_array_index (peer->conn_threads, i));
  g_ptr_array_unref (peer->conn_threads);
  /* Notices the test has not seen: their data may be gone with it. */
  for (guint i = 0; i < peer->stall_sources->len; i++)
    g_source_destroy (g_ptr_array_index (peer->stall_sources, i));
  g_ptr_array_unref (peer->stall_sources);
  g_clear_pointer (&peer->stall_context, g_main_context_unref);
  close (peer->listen_fd);
  close (peer->stop_pipe[0]);
  close (peer->stop_pipe[1]);
  g_array_unref (peer->scripts);
  g_free (peer->greeting);
  g_ptr_array_unref (peer->requests);
  g_mutex_clear (&peer->lock);
  g_free (peer);
}
