/* The tor plugin end to end through a private Tor network on loopback
 * (docs/lab-notes.md, "A private Tor network"), inside a private network
 * namespace (tests/lab.c), so no tor can reach anything but 127.0.0.0/8.
 *
 * tests/lab/tor-net.sh writes the keys and torrcs of 3 directory
 * authorities (also Guard/Exit/HSDir relays, exits only to 127.0.0.0/8),
 * 2 relays, a client (MapAddress echo.lab.test -> 127.0.0.1) and an onion
 * service in front of a socat echo server; this program starts every tor
 * itself with lab_spawn() (own process group, killed by pid on teardown,
 * on abort and when the program dies; tor also watches our pid through
 * __OwningControllerProcess). The network is started once, by the first
 * test case, and shared; it is ready when the client bootstrapped, an echo
 * went through an exit, the onion service uploaded its descriptor and an
 * echo went through the onion. That takes 20–90 s; after 180 s the cases
 * fail with the client's and the onion service's log tails.
 *
 * Cases: a `tor:` onion hint via `tor.socks-proxy` and via control-port
 * discovery (cookie auth); `tcp = tor` through an exit; anonymous mode
 * with a dead onion (tier 0 fails) and a `tcp:` name hint carried by Tor
 * (tier 1 wins); stream isolation, seen in the client's stream-status: two
 * tub IDs → two circuits, also through a SocksPort with PreferSOCKSNoAuth
 * (which would pick "no authentication" if it were offered), and one tub
 * ID from two contexts (two node identities) → two circuits; publishing an
 * onion service through the client tor's control port (the tor plugin's
 * publish callbacks, a fresh key directory), reached by another context
 * through the network, withdrawn and published again at the same address;
 * the same end to end through the CLI: `furlhint listen` with the guide's
 * server use case 3 (Tor half) reached by `furlhint connect --pipe`, and
 * again at the same address after a restart; Foolscap itself: a callRemote
 * between two real Tubs (tests/foolscap-tubs.py), the server Tub behind the
 * network's onion service and the client's hint handlers furlhint's
 * (python/furlhint_foolscap.py) in anonymous mode, through `[tor]
 * socks.port` (the FURL also has a clear hint to the Tub's own port,
 * refused) and through `[tor] control.port`; the server Tub names the
 * onion service's tor as the other end of the one connection it accepted.
 * Every case checks that no socket of the namespace is bound or connected
 * outside 127.0.0.0/8.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"
#include "lab-foolscap.h"
#include "leakcheck/leakcheck.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define TUB2 "x7bvf5wvsrnwu4zqh3cqzhhfpqqpiwpe"
/* Well-formed v3 onion (valid checksum) that nobody publishes here: the
 * HSDirs answer 404 and tor gives SOCKS reply 4 within a second. */
#define ONION_DEAD "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
/* The client's torrc maps it to 127.0.0.1 (a hint with a DNS name passes
 * the non-Tor-able address check and still reaches our echo server). */
#define MAPPED_NAME "echo.lab.test"
#define DEAD_STATUS "failed to connect: proxy refused: host unreachable (SOCKS reply 4)"

#define NET_READY_TIMEOUT_S 180
#define PROBE_TIMEOUT_S 20
#define CONNECT_TIMEOUT_MS 30000
/* Readiness (≤ 180 s) + seven cases of a few seconds + publishing (two
 * publishes and uploads, each bounded at 120 s); the watchdog bounds the
 * worst case at 10 minutes. */
#define WATCHDOG_S 600

/* --- the shared network -------------------------------------------------- */

typedef struct {
  Lab *lab;
  gboolean started;
  gchar *failure;               /* why the network is not usable */
  GHashTable *env;              /* tor-net.sh's KEY=VALUE */
  LabProc *client;
  LabProc *hs;
  GPtrArray *tors;              /* LabProc*, owned by the lab */
  guint16 echo_port;
  guint16 socks_port;
  guint16 control_port;
  guint16 onion_port;
  gchar *onion;                 /* "<56>.onion" */
  gint64 t0;
} TorNet;

static TorNet net;
/* Why the network could not be used; it is stopped by then. */
static gchar *net_failed;

static gdouble
net_elapsed (void)
{
  return (g_get_monotonic_time () - net.t0) / 1e6;
}

static const gchar *
net_env (const gchar *key)
{
  const gchar *value = g_hash_table_lookup (net.env, key);

  if (value == NULL)
    g_error ("tor-net.sh printed no %s", key);
  return value;
}

static guint16
net_env_port (const gchar *key)
{
  guint64 port = 0;

  if (!g_ascii_string_to_unsigned (net_env (key), 10, 1, 65535, &port, NULL))
    g_error ("tor-net.sh printed a bad %s: %s", key, net_env (key));
  return (guint16) port;
}

static gchar *
tail_of (LabProc *proc, gsize max)
{
  gchar *log = lab_proc_read_log (proc);
  gsize len = strlen (log);
  gchar *tail = g_strdup (len > max ? log + len - max : log);

  g_free (log);
  return tail;
}

static void
net_print_tails (void)
{
  LabProc *procs[] = { net.client, net.hs };
  const gchar *names[] = { "client", "hs" };

  for (guint i = 0; i < G_N_ELEMENTS (procs); i++)
    if (procs[i] != NULL)
      {
        gchar *tail = tail_of (procs[i], 6000);
        g_test_message ("=== tail of the %s tor's log ===\n%s", names[i], tail);
        g_free (tail);
      }
}

/* NULL while every tor runs; otherwise which one exited. */
static gchar *
net_dead_tor (void)
{
  for (guint i = 0; i < net.tors->len; i++)
    {
      LabProc *proc = g_ptr_array_index (net.tors, i);

      if (!lab_proc_is_running (proc))
        {
          gchar *tail = tail_of (proc, 3000);
          gchar *why = g_strdup_printf ("tor pid %d exited; its log:\n%s",
                                        (int) lab_proc_get_pid (proc), tail);
          g_free (tail);
          return why;
        }
    }
  return NULL;
}

/* TORNET_READY_TIMEOUT_S lowers the bound, to see the failure path. */
static guint
net_ready_timeout (void)
{
  const gchar *text = g_getenv ("TORNET_READY_TIMEOUT_S");
  guint64 value;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, NET_READY_TIMEOUT_S,
                                                  &value, NULL))
    return (guint) value;
  return NET_READY_TIMEOUT_S;
}

static gboolean
net_deadline_passed (void)
{
  return net_elapsed () > net_ready_timeout ();
}

/* Runs tor-net.sh (keys and torrcs only, a few seconds of CPU). */
static gboolean
net_configure (GError **error)
{
  gchar *script = g_test_build_filename (G_TEST_DIST, "lab", "tor-net.sh", NULL);
  gchar *echo = g_strdup_printf ("%u", net.echo_port);
  gchar *owner = g_strdup_printf ("%d", (int) getpid ());
  const gchar *argv[] = { "sh", script, lab_get_dir (net.lab), echo, NULL };
  GSubprocessLauncher *launcher;
  GSubprocess *sub;
  gchar *out = NULL, *err = NULL;
  gboolean ok = FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "TORNET_OWNER_PID", owner, TRUE);
  sub = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_object_unref (launcher);
  if (sub != NULL && g_subprocess_communicate_utf8 (sub, NULL, NULL, &out, &err, error))
    {
      if (!g_subprocess_get_if_exited (sub) || g_subprocess_get_exit_status (sub) != 0)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "%s failed: %s", script, err != NULL ? err : "");
      else
        {
          gchar **lines = g_strsplit (out, "\n", -1);

          for (guint i = 0; lines[i] != NULL; i++)
            {
              gchar *eq = strchr (lines[i], '=');
              gchar *value;
              gsize len;

              if (eq == NULL)
                continue;
              *eq = '\0';
              value = eq + 1;
              len = strlen (value);
              if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
                {
                  value[len - 1] = '\0';
                  value++;
                }
              g_hash_table_insert (net.env, g_strdup (lines[i]), g_strdup (value));
            }
          g_strfreev (lines);
          ok = TRUE;
        }
    }
  g_clear_object (&sub);
  g_free (out);
  g_free (err);
  g_free (owner);
  g_free (echo);
  g_free (script);
  return ok;
}

/* --- blocking probes (independent of the code under test) ------------------ */

static GSocket *
tcp_open (guint16 port, guint timeout_s, GError **error)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (lo, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, error);

  if (socket != NULL)
    {
      g_socket_set_timeout (socket, timeout_s);
      if (!g_socket_connect (socket, address, NULL, error))
        g_clear_object (&socket);
    }
  g_object_unref (address);
  g_object_unref (lo);
  return socket;
}

static gboolean
recv_exact (GSocket *socket, guint8 *buf, gsize len, GError **error)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = g_socket_receive (socket, (gchar *) buf + got, len - got, NULL, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "connection closed after %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                       " bytes", got, len);
          return FALSE;
        }
      got += n;
    }
  return TRUE;
}

static gboolean
send_all (GSocket *socket, const void *buf, gsize len, GError **error)
{
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (socket, (const gchar *) buf + sent, len - sent, NULL, error);

      if (n < 0)
        return FALSE;
      sent += n;
    }
  return TRUE;
}

/* One SOCKS5 CONNECT to @host:@port through the client, then an echo. The
 * socket stays open until the echo is back: Tor has no half-close. */
static gboolean
socks_echo_probe (const gchar *host, guint16 port, GError **error)
{
  static const gchar payload[] = "tornet probe\n";
  GSocket *socket = tcp_open (net.socks_port, PROBE_TIMEOUT_S, error);
  guint8 buf[300];
  gsize hlen = strlen (host);
  gboolean ok = FALSE;

  if (socket == NULL)
    return FALSE;
  if (!send_all (socket, "\x05\x01\x00", 3, error) || !recv_exact (socket, buf, 2, error))
    goto out;
  buf[0] = 5;
  buf[1] = 1;
  buf[2] = 0;
  buf[3] = 3;
  buf[4] = (guint8) hlen;
  memcpy (buf + 5, host, hlen);
  buf[5 + hlen] = port >> 8;
  buf[6 + hlen] = port & 0xff;
  if (!send_all (socket, buf, 7 + hlen, error) || !recv_exact (socket, buf, 4, error))
    goto out;
  if (buf[1] != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SOCKS reply %u", buf[1]);
      goto out;
    }
  /* Tor answers with an IPv4 address. */
  if (buf[3] != 1 || !recv_exact (socket, buf, 6, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SOCKS reply with ATYP %u", buf[3]);
      goto out;
    }
  if (!send_all (socket, payload, strlen (payload), error)
      || !recv_exact (socket, buf, strlen (payload), error))
    goto out;
  if (memcmp (buf, payload, strlen (payload)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the echo came back different");
      goto out;
    }
  ok = TRUE;

out:
  g_socket_close (socket, NULL);
  g_object_unref (socket);
  return ok;
}

/* A control-port connection (cookie authentication) with a line reader. */
typedef struct {
  GSocket *socket;
  GString *buf;
} Ctl;

static void
ctl_free (Ctl *ctl)
{
  if (ctl == NULL)
    return;
  g_socket_close (ctl->socket, NULL);
  g_object_unref (ctl->socket);
  g_string_free (ctl->buf, TRUE);
  g_free (ctl);
}

/* The next line (without CRLF), waiting at most until @deadline_us
 * (monotonic); NULL on timeout or error. */
static gchar *
ctl_read_line (Ctl *ctl, gint64 deadline_us, GError **error)
{
  for (;;)
    {
      gchar *nl = memchr (ctl->buf->str, '\n', ctl->buf->len);
      gchar chunk[4096];
      gint64 left;
      gssize n;

      if (nl != NULL)
        {
          gsize len = nl - ctl->buf->str;
          gchar *line = g_strndup (ctl->buf->str, len > 0 && nl[-1] == '\r' ? len - 1 : len);

          g_string_erase (ctl->buf, 0, len + 1);
          return line;
        }
      left = deadline_us - g_get_monotonic_time ();
      if (left <= 0 || !g_socket_condition_timed_wait (ctl->socket, G_IO_IN, left, NULL, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no line from the control port");
          return NULL;
        }
      n = g_socket_receive (ctl->socket, chunk, sizeof chunk, NULL, error);
      if (n <= 0)
        {
          if (n == 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                         "the control port closed the connection");
          return NULL;
        }
      g_string_append_len (ctl->buf, chunk, n);
    }
}

static gboolean
ctl_command (Ctl *ctl, const gchar *command, GError **error)
{
  gchar *text = g_strconcat (command, "\r\n", NULL);
  gboolean ok = send_all (ctl->socket, text, strlen (text), error);

  g_free (text);
  return ok;
}

/* Sends @command and expects a single "250 OK" (events are skipped). */
static gboolean
ctl_command_ok (Ctl *ctl, const gchar *command, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (!ctl_command (ctl, command, error))
    return FALSE;
  for (;;)
    {
      gchar *line = ctl_read_line (ctl, deadline, error);
      gboolean ok;

      if (line == NULL)
        return FALSE;
      if (g_str_has_prefix (line, "650"))
        {
          g_free (line);
          continue;
        }
      ok = strcmp (line, "250 OK") == 0;
      if (!ok)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", command, line);
      g_free (line);
      return ok;
    }
}

static Ctl *
ctl_open (guint16 port, const gchar *cookie_file, GError **error)
{
  Ctl *ctl;
  gchar *cookie = NULL, *hex, *auth;
  gsize len = 0;
  gboolean ok;

  if (!g_file_get_contents (cookie_file, &cookie, &len, error))
    return NULL;
  ctl = g_new0 (Ctl, 1);
  ctl->buf = g_string_new (NULL);
  ctl->socket = tcp_open (port, 10, error);
  if (ctl->socket == NULL)
    {
      g_string_free (ctl->buf, TRUE);
      g_free (ctl);
      g_free (cookie);
      return NULL;
    }
  hex = g_malloc (2 * len + 1);
  for (gsize i = 0; i < len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", (guint8) cookie[i]);
  hex[2 * len] = '\0';
  auth = g_strconcat ("AUTHENTICATE ", hex, NULL);
  ok = ctl_command_ok (ctl, auth, error);
  g_free (auth);
  g_free (hex);
  g_free (cookie);
  if (!ok)
    {
      ctl_free (ctl);
      return NULL;
    }
  return ctl;
}

/* --- starting the network ------------------------------------------------- */

static gboolean
net_log_has (LabProc *proc, const gchar *needle)
{
  gchar *log = lab_proc_read_log (proc);
  gboolean found = strstr (log, needle) != NULL;

  g_free (log);
  return found;
}

/* Polls @ready every 250 ms until it is TRUE, a tor dies or the deadline
 * passes; then sets net.failure. */
static gboolean
net_wait (const gchar *what, gboolean (*ready) (gpointer), gpointer data)
{
  for (;;)
    {
      gchar *dead;

      if (ready (data))
        {
          g_test_message ("tornet: %s after %.1f s", what, net_elapsed ());
          return TRUE;
        }
      if ((dead = net_dead_tor ()) != NULL)
        {
          net.failure = g_strdup_printf ("waiting for %s: %s", what, dead);
          g_free (dead);
          return FALSE;
        }
      if (net_deadline_passed ())
        {
          net.failure = g_strdup_printf ("the private Tor network was not ready after "
                                         "%u s: still waiting for %s",
                                         net_ready_timeout (), what);
          return FALSE;
        }
      g_usleep (250 * 1000);
    }
}

static gboolean
ready_file (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
ready_bootstrapped (gpointer data)
{
  return net_log_has (net.client, "Bootstrapped 100%");
}

typedef struct {
  const gchar *host;
  guint16 port;
  guint attempts;
} Probe;

static gboolean
ready_echo (gpointer data)
{
  Probe *probe = data;
  GError *error = NULL;

  if (socks_echo_probe (probe->host, probe->port, &error))
    return TRUE;
  /* Failed probes are normal for a while; say so in the log. */
  if (probe->attempts++ % 5 == 0)
    g_test_message ("tornet: probe %s:%u: %s", probe->host, probe->port, error->message);
  g_error_free (error);
  g_usleep (750 * 1000);
  return FALSE;
}

typedef struct {
  Ctl *ctl;
  gchar *uploaded;              /* "650 HS_DESC UPLOADED <address> " */
} DescWait;

static gboolean
ready_desc (gpointer data)
{
  DescWait *w = data;
  GError *error = NULL;
  gchar *line = ctl_read_line (w->ctl, g_get_monotonic_time () + G_USEC_PER_SEC, &error);
  gboolean found;

  if (line == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_test_message ("tornet: onion service control port: %s", error->message);
      g_error_free (error);
      return FALSE;
    }
  found = g_str_has_prefix (line, w->uploaded);
  g_free (line);
  return found;
}

/* Starts the network and waits until both paths echo. Sets net.failure
 * on any problem. */
static void
net_start (void)
{
  GError *error = NULL;
  gchar *empty, *cookie_file, *hostname_file, *hostname = NULL, *address;
  gchar **tors;
  Ctl *hs_ctl = NULL;
  DescWait desc = { NULL, NULL };
  Probe exit_probe = { "127.0.0.1", 0, 0 };
  Probe onion_probe = { NULL, 0, 0 };

  net.started = TRUE;
  net.t0 = g_get_monotonic_time ();
  net.lab = lab_new ();
  net.env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  net.tors = g_ptr_array_new ();

  net.echo_port = lab_echo_server_start (net.lab, "127.0.0.1", &error);
  if (net.echo_port == 0 || !net_configure (&error))
    {
      net.failure = g_strdup_printf ("cannot set up the network: %s", error->message);
      g_error_free (error);
      return;
    }
  g_test_message ("tornet: keys and torrcs after %.1f s", net_elapsed ());
  net.socks_port = net_env_port ("SOCKS_PORT");
  net.control_port = net_env_port ("CONTROL_PORT");
  net.onion_port = net_env_port ("ONION_PORT");
  /* Under the leak checker: the client's SOCKS ports and control port are
   * what the library is given (and what the control port names). */
  {
    gchar *socks = g_strdup_printf ("127.0.0.1:%u", net.socks_port);
    gchar *noauth = g_strdup_printf ("127.0.0.1:%u", net_env_port ("NOAUTH_SOCKS_PORT"));
    gchar *control = g_strdup_printf ("127.0.0.1:%u", net.control_port);

    leakcheck_allow (socks);
    leakcheck_allow (noauth);
    leakcheck_allow (control);
    g_free (socks);
    g_free (noauth);
    g_free (control);
  }

  /* The order tor-net.sh gives; the lab kills each of them by pid. */
  tors = g_strsplit (net_env ("TORS"), " ", -1);
  g_assert_cmpuint (g_strv_length (tors), ==, 7);
  empty = g_build_filename (lab_get_dir (net.lab), "empty", NULL);
  for (guint i = 0; tors[i] != NULL; i++)
    {
      gchar *torrc = g_build_filename (lab_get_dir (net.lab), tors[i], "torrc", NULL);
      const gchar *argv[] = { "tor", "--defaults-torrc", empty, "-f", torrc, NULL };
      LabProc *proc = lab_spawn (net.lab, tors[i], argv, &error);

      g_assert_no_error (error);
      g_ptr_array_add (net.tors, proc);
      if (strcmp (tors[i], "client") == 0)
        net.client = proc;
      else if (strcmp (tors[i], "hs") == 0)
        net.hs = proc;
      g_free (torrc);
    }
  g_strfreev (tors);
  g_free (empty);
  g_assert_nonnull (net.client);
  g_assert_nonnull (net.hs);

  /* Subscribe to HS_DESC at once: the upload must not happen unseen. Tor
   * writes the cookie just after opening the control port. */
  cookie_file = g_strdup (net_env ("HS_CONTROL_COOKIE_FILE"));
  if (!net_wait ("the onion service's control cookie", ready_file, cookie_file))
    {
      g_free (cookie_file);
      goto out;
    }
  g_free (cookie_file);
  if (!lab_wait_port (net.hs, "127.0.0.1", net_env_port ("HS_CONTROL_PORT"), 20000, &error)
      || (hs_ctl = ctl_open (net_env_port ("HS_CONTROL_PORT"),
                             net_env ("HS_CONTROL_COOKIE_FILE"), &error)) == NULL
      || !ctl_command_ok (hs_ctl, "SETEVENTS HS_DESC", &error))
    {
      net.failure = g_strdup_printf ("onion service control port: %s", error->message);
      g_error_free (error);
      goto out;
    }
  hostname_file = g_strdup (net_env ("HS_HOSTNAME_FILE"));
  if (!net_wait ("the onion's hostname file", ready_file, hostname_file))
    {
      g_free (hostname_file);
      goto out;
    }
  if (!g_file_get_contents (hostname_file, &hostname, NULL, &error))
    {
      net.failure = g_strdup_printf ("the onion's hostname: %s", error->message);
      g_error_free (error);
      g_free (hostname_file);
      goto out;
    }
  g_free (hostname_file);
  net.onion = g_strstrip (hostname);
  g_assert_true (g_str_has_suffix (net.onion, ".onion"));
  g_assert_cmpuint (strlen (net.onion), ==, 56 + 6);

  if (!net_wait ("the client's bootstrap", ready_bootstrapped, NULL))
    goto out;
  exit_probe.port = net.echo_port;
  if (!net_wait ("an echo through an exit", ready_echo, &exit_probe))
    goto out;
  address = g_strndup (net.onion, 56);
  desc.ctl = hs_ctl;
  desc.uploaded = g_strdup_printf ("650 HS_DESC UPLOADED %s ", address);
  g_free (address);
  if (!net_wait ("the onion descriptor's upload", ready_desc, &desc))
    goto out;
  onion_probe.host = net.onion;
  onion_probe.port = net.onion_port;
  if (!net_wait ("an echo through the onion", ready_echo, &onion_probe))
    goto out;

out:
  g_free (desc.uploaded);
  ctl_free (hs_ctl);
  if (net.failure != NULL)
    net_print_tails ();
}

static void
net_stop (void)
{
  if (!net.started)
    return;
  lab_free (net.lab);
  g_ptr_array_unref (net.tors);
  g_hash_table_unref (net.env);
  g_free (net.onion);
  g_free (net.failure);
  memset (&net, 0, sizeof net);
}

/* --- per-case fixture ------------------------------------------------------- */

typedef struct {
  FurlHintContext *ctx;
  LabStatuses statuses;
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  gboolean usable;
} Fixture;

static void
on_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  g_test_message ("log: %s", message);
}

static void
setup (Fixture *f, gconstpointer data)
{
  lab_statuses_init (&f->statuses);
  if (!lab_ready ())
    return;
  if (net_failed == NULL && !net.started)
    {
      gchar *tor = g_find_program_in_path ("tor");
      gchar *gencert = g_find_program_in_path ("tor-gencert");
      gboolean have = tor != NULL && gencert != NULL;

      g_free (tor);
      g_free (gencert);
      if (!have)
        {
          g_test_skip ("tor and tor-gencert are not installed (Debian package tor)");
          return;
        }
      /* The lab's own I/O (waiting for ports, the onion service's control
       * port, the readiness probes through Tor) on this thread: exempt
       * from the leak checker; no library code runs in net_start(). */
      leakcheck_suspend ();
      net_start ();
      leakcheck_resume ();
      if (net.failure != NULL)
        {
          /* Kill every tor and remove the lab now (the tails are printed);
           * GLib ends the program after a failed case. */
          net_failed = g_steal_pointer (&net.failure);
          net_stop ();
        }
    }
  if (net_failed != NULL)
    {
      g_test_fail_printf ("%s", net_failed);
      return;
    }
  f->usable = TRUE;
  f->fds_before = lab_count_open_fds ();
}

static void
drop_context (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* An address of /proc/net/{tcp,udp}{,6}: hex, in the kernel's byte order
 * (0100007F:4E20 is 127.0.0.1:20000). A peer may be the wildcard (a
 * listener, an unconnected UDP socket); a local address may not. */
static gboolean
proc_net_addr_ok (const gchar *addr, gboolean peer)
{
  static const gchar v4_any[] = "00000000:";
  static const gchar v6_any[] = "00000000000000000000000000000000:";
  static const gchar v6_loopback[] = "00000000000000000000000001000000:";
  const gchar *colon = strchr (addr, ':');

  if (peer && (g_str_has_prefix (addr, v4_any) || g_str_has_prefix (addr, v6_any)))
    return TRUE;
  if (colon - addr == 8)
    return g_ascii_strncasecmp (addr + 6, "7F", 2) == 0;
  return g_str_has_prefix (addr, v6_loopback);
}

/* Every TCP and UDP socket of the namespace (ours and every tor's) is
 * bound to, and connected within, 127.0.0.0/8 or ::1. /proc/net/ shows
 * the whole namespace, not just this process. */
static void
assert_loopback_only (void)
{
  const gchar *files[] = { "/proc/net/tcp", "/proc/net/udp",
                           "/proc/net/tcp6", "/proc/net/udp6" };
  guint n_checked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      gchar *text = NULL;
      gchar **lines;

      /* Without IPv6 there are no *6 files (and no IPv6 sockets). */
      if (!g_file_get_contents (files[i], &text, NULL, NULL))
        {
          g_assert_true (i >= 2);
          continue;
        }
      lines = g_strsplit (text, "\n", -1);
      for (guint j = 1; lines[j] != NULL; j++)
        {
          gchar **fields = g_strsplit_set (g_strstrip (lines[j]), " ", -1);
          const gchar *addrs[2] = { NULL, NULL };
          guint k = 0;

          /* "sl: local remote st ...", with runs of spaces. */
          for (guint m = 1; fields[0] != NULL && fields[m] != NULL && k < 2; m++)
            if (strchr (fields[m], ':') != NULL)
              addrs[k++] = fields[m];
          for (guint a = 0; a < k; a++)
            {
              if (!proc_net_addr_ok (addrs[a], a == 1))
                g_error ("%s: a socket outside 127.0.0.0/8: %s", files[i], lines[j]);
              n_checked++;
            }
          g_strfreev (fields);
        }
      g_strfreev (lines);
      g_free (text);
    }
  /* At least the tors' own listeners were seen. */
  g_assert_cmpuint (n_checked, >=, 10);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  drop_context (f);
  if (f->usable)
    {
      lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
      assert_loopback_only ();
      if (g_test_failed ())
        net_print_tails ();
    }
  lab_statuses_clear (&f->statuses);
}

static void
use_config (Fixture *f, const gchar *cfg)
{
  drop_context (f);
  g_ptr_array_set_size (f->statuses.lines, 0);
  f->ctx = lab_context_new (cfg, on_log, f);
  g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (f->ctx, "tor")));
}

/* Connects to pb://@tub@@hints/swiss and waits (bounded). */
static void
connect_furl (Fixture *f, const gchar *tub, const gchar *hints)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  options.timeout_ms = CONNECT_TIMEOUT_MS;
  options.status = lab_on_status;
  options.status_data = &f->statuses;
  f->result = lab_connect (f->ctx, tub, hints, &options, NULL, CONNECT_TIMEOUT_MS + 20000,
                           &f->error);
  g_test_message ("%s @ %s: %s after %u ms", tub, hints,
                  f->error != NULL ? f->error->message : "connected",
                  furlhint_connect_result_get_elapsed_ms (f->result));
}

/* The connect won through hint @hint_index in @tier via the tor plugin. */
static void
assert_won (Fixture *f, guint hint_index, guint tier, gboolean carried)
{
  const FurlHintPlanEntry *winner;

  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpuint (winner->hint_index, ==, hint_index);
  g_assert_cmpuint (winner->tier, ==, tier);
  g_assert_true (winner->routed);
  g_assert_cmpint (winner->carried, ==, carried);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "tor");
  g_assert_cmpint (winner->anon_class, ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, hint_index), ==,
                   "connected");
}

/* --- cases ------------------------------------------------------------------- */

static void
test_onion_socks_proxy (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n", net.socks_port);
  hints = g_strdup_printf ("tor:%s:%u", net.onion, net.onion_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 0, 0, FALSE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==, net.onion);
  g_assert_cmpuint (furlhint_connect_result_get_winner (f->result)->target.port, ==,
                    net.onion_port);
  g_assert_true (lab_statuses_has (&f->statuses, "0:connecting to a Tor"));
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello through the onion\n", PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_onion_control_port (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", net.control_port);
  /* Also as a `tcp:` hint to the .onion host: the tor plugin takes it. */
  hints = g_strdup_printf ("tcp:%s:%u", net.onion, net.onion_port);
  use_config (f, cfg);
  connect_furl (f, TUB2, hints);
  assert_won (f, 0, 0, FALSE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello via the control port\n", PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_exit_tcp_tor (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[connections]\ntcp = tor\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         net.socks_port);
  /* Hint 0 is refused before any I/O (Foolscap: not Tor-able); hint 1 is
   * mapped to 127.0.0.1 by the client and exits there. */
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:" MAPPED_NAME ":%u",
                           net.echo_port, net.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 1, 0, TRUE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==,
                   MAPPED_NAME);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "bad hint: ignoring non-Tor-able ipaddr 127.0.0.1; "
                   "[connections] tcp = tor carries tcp: hints over Tor");
  g_assert_false (lab_statuses_has (&f->statuses, "0:connecting"));
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello through an exit\n", PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_anonymous_fallback (Fixture *f, gconstpointer data)
{
  FurlHintPlan *plan;
  gchar *cfg, *hints;
  gint dead_at;
  guint n_routes = 0;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[node]\nanonymous = true\n"
                         "[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         net.socks_port);
  hints = g_strdup_printf ("tor:" ONION_DEAD ":%u,tcp:" MAPPED_NAME ":%u",
                           net.onion_port, net.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB2, hints);
  assert_won (f, 1, FURLHINT_TIER_TOR_FALLBACK, TRUE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==,
                   MAPPED_NAME);

  /* Tor's own answer for an onion nobody published (SOCKS reply 4), and
   * tier 1 started only after it. */
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, DEAD_STATUS);
  dead_at = lab_statuses_find (&f->statuses, "0:" DEAD_STATUS);
  g_assert_cmpint (dead_at, >=, 0);
  g_assert_cmpint (lab_statuses_find (&f->statuses, "1:connecting"), >, dead_at);

  /* Never a clear or proxied route: every route is Tor. */
  plan = furlhint_connect_result_get_plan (f->result);
  g_assert_true (furlhint_plan_is_anonymous (plan));
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      g_test_message ("plan: %s", entry->description);
      if (!entry->routed)
        continue;
      n_routes++;
      g_assert_cmpint (entry->anon_class, ==, FURLHINT_ANON_ANONYMOUS);
      g_assert_cmpstr (furlhint_plugin_get_name (entry->plugin), ==, "tor");
      g_assert_cmpuint (entry->tier, ==, entry->hint_index == 0 ? 0 : 1);
    }
  g_assert_cmpuint (n_routes, ==, 2);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello from the anonymous fallback\n", PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

/* --- publishing an onion service -------------------------------------------- */

/* Publishing through a private network: the descriptor upload to the
 * HSDirs takes seconds to tens of seconds (docs/lab-notes.md). */
#define PUBLISH_TIMEOUT_S 120
#define PUBLISH_PORT 3457

/* Publishes the onion service whose key lives in @key_dir through the tor
 * plugin of @ctx (the core's listener is not needed for it), forwarding
 * to the echo server; returns the hint and the publication. */
static gchar *
publish_onion (FurlHintContext *ctx, const gchar *key_dir, gboolean create_key,
               gpointer *publication, GError **error)
{
  FurlHintPublishArgs args = { sizeof args, };
  GHashTable *options = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *statuses = g_ptr_array_new_with_free_func (g_free);
  gchar *endpoint = g_strdup_printf ("onion:%u:hiddenServiceDir=%s", PUBLISH_PORT, key_dir);
  gchar *hint;

  args.endpoint = endpoint;
  args.kind = "onion";
  args.port = PUBLISH_PORT;
  args.key_path = key_dir;
  args.key_is_dir = TRUE;
  args.options = options;
  args.local_address = g_inet_socket_address_new_from_string ("127.0.0.1", net.echo_port);
  args.create_key = create_key;
  hint = lab_publish (ctx, "tor", &args, PUBLISH_TIMEOUT_S * 1000, statuses, publication,
                      error);
  /* Every status, in order, before the result. */
  if (hint != NULL)
    {
      g_assert_cmpuint (statuses->len, ==, 3);
      g_assert_cmpstr (g_ptr_array_index (statuses, 0), ==, "connecting to a Tor control port");
      g_assert_cmpstr (g_ptr_array_index (statuses, 1), ==, "publishing onion service");
      g_assert_cmpstr (g_ptr_array_index (statuses, 2), ==, "published");
    }
  g_ptr_array_unref (statuses);
  g_object_unref (args.local_address);
  g_hash_table_unref (options);
  g_free (endpoint);
  return hint;
}

/* Waits (bounded) for the client tor to report the upload of @hint's
 * descriptor to an HSDir. */
static void
wait_uploaded (Ctl *ctl, const gchar *hint)
{
  gchar *id = g_strndup (hint + strlen ("tor:"), 56);
  gchar *uploaded = g_strdup_printf ("650 HS_DESC UPLOADED %s ", id);
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;
  GError *error = NULL;

  for (;;)
    {
      gchar *line = ctl_read_line (ctl, deadline, &error);

      g_assert_no_error (error);
      if (g_str_has_prefix (line, uploaded))
        {
          g_free (line);
          break;
        }
      g_free (line);
    }
  g_free (id);
  g_free (uploaded);
}

/* Connects to @hint until it works (a descriptor reaches the HSDirs one at
 * a time; the client may ask one that has none yet), bounded. */
static void
connect_until (Fixture *f, const gchar *hint)
{
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      connect_furl (f, TUB, hint);
      if (f->error == NULL || g_get_monotonic_time () > deadline)
        break;
      g_usleep (G_USEC_PER_SEC);
    }
  assert_won (f, 0, 0, FALSE);
}

static void
test_onion_publish (Fixture *f, gconstpointer data)
{
  FurlHintContext *pub_ctx;
  gpointer publication = NULL;
  GError *error = NULL;
  gchar *cfg, *key_dir, *hostname_file, *secret_file, *hostname = NULL;
  gchar *hint, *again, *expected;
  gint64 t0;
  Ctl *ctl;

  if (!f->usable)
    return;
  key_dir = g_build_filename (lab_get_dir (net.lab), "server", "hs", NULL);
  hostname_file = g_build_filename (key_dir, "hostname", NULL);
  secret_file = g_build_filename (key_dir, "hs_ed25519_secret_key", NULL);
  /* The node's tor: the client tor, through its control port. */
  cfg = g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", net.control_port);
  pub_ctx = lab_context_new (cfg, on_log, f);
  g_free (cfg);

  ctl = ctl_open (net.control_port, net_env ("CONTROL_COOKIE_FILE"), &error);
  g_assert_no_error (error);
  g_assert_true (ctl_command_ok (ctl, "SETEVENTS HS_DESC", &error));
  g_assert_no_error (error);

  /* A fresh key: made by tor, saved in tor's layout, private. */
  t0 = g_get_monotonic_time ();
  hint = publish_onion (pub_ctx, key_dir, TRUE, &publication, &error);
  g_assert_no_error (error);
  g_assert_nonnull (publication);
  g_test_message ("published %s after %.1f s", hint, (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (g_file_get_contents (hostname_file, &hostname, NULL, NULL));
  g_assert_cmpuint (strlen (hostname), ==, 56 + 7);
  g_strstrip (hostname);
  expected = g_strdup_printf ("tor:%s:%u", hostname, PUBLISH_PORT);
  g_assert_cmpstr (hint, ==, expected);
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (key_dir, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0700);
    g_assert_cmpint (g_stat (secret_file, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
    g_assert_cmpuint (st.st_size, ==, 96);
    g_assert_cmpint (g_stat (hostname_file, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  }

  /* Reached by another node through the network. */
  wait_uploaded (ctl, hint);
  g_test_message ("descriptor uploaded after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  {
    gchar *client = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                                     net.socks_port);
    use_config (f, client);
    g_free (client);
  }
  connect_until (f, hint);
  g_test_message ("first connect after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello to a published onion\n", PROBE_TIMEOUT_S);
  g_clear_pointer (&f->result, furlhint_connect_result_unref);

  /* Withdrawn, then published again from the same directory, key kept:
   * the same address, reached again. */
  lab_unpublish (pub_ctx, "tor", publication);
  publication = NULL;
  t0 = g_get_monotonic_time ();
  again = publish_onion (pub_ctx, key_dir, FALSE, &publication, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, hint);
  wait_uploaded (ctl, again);
  connect_until (f, again);
  g_test_message ("connect after republishing after %.1f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello again\n", PROBE_TIMEOUT_S);
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  lab_unpublish (pub_ctx, "tor", publication);

  ctl_free (ctl);
  furlhint_context_unref (pub_ctx);
  g_free (again);
  g_free (hint);
  g_free (expected);
  g_free (hostname);
  g_free (hostname_file);
  g_free (secret_file);
  g_free (key_dir);
}

static void
add_stream (const gchar *entry, const gchar *suffix, GPtrArray *circuits)
{
  gchar **fields = g_strsplit (entry, " ", -1);

  if (g_strv_length (fields) >= 4 && strcmp (fields[1], "SUCCEEDED") == 0
      && g_str_has_suffix (fields[3], suffix))
    g_ptr_array_add (circuits, g_strdup (fields[2]));
  g_strfreev (fields);
}

/* The circuits of the client's open streams to port @port. The reply is
 * "250-stream-status=ID STATUS CIRC TARGET" for one stream, or
 * "250+stream-status=" then one "ID STATUS CIRC TARGET" a line and ".",
 * then "250 OK". */
static void
stream_circuits (Ctl *ctl, guint16 port, GPtrArray *circuits)
{
  static const gchar one[] = "250-stream-status=";
  static const gchar many[] = "250+stream-status=";
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gchar *suffix = g_strdup_printf (":%u", port);
  gboolean in_data = FALSE;

  g_assert_true (ctl_command (ctl, "GETINFO stream-status", &error));
  g_assert_no_error (error);
  for (;;)
    {
      gchar *line = ctl_read_line (ctl, deadline, &error);

      g_assert_no_error (error);
      if (in_data)
        {
          if (strcmp (line, ".") == 0)
            in_data = FALSE;
          else
            add_stream (line, suffix, circuits);
        }
      else if (strcmp (line, "250 OK") == 0)
        {
          g_free (line);
          break;
        }
      else if (g_str_has_prefix (line, many))
        in_data = TRUE;
      else if (g_str_has_prefix (line, one))
        add_stream (line + strlen (one), suffix, circuits);
      else
        g_error ("unexpected reply to GETINFO stream-status: %s", line);
      g_free (line);
    }
  g_free (suffix);
}

/* Two streams to the echo server through the client tor, each from the
 * context and peer (tub ID) the case says; Tor must show them on two
 * circuits. */
typedef struct {
  gboolean prefer_no_auth;      /* through the SocksPort with PreferSOCKSNoAuth */
  gboolean two_contexts;        /* one peer, from two contexts (node identities) */
} IsolationCase;

static const IsolationCase two_tubs = { FALSE, FALSE };
static const IsolationCase two_tubs_prefer_no_auth = { TRUE, FALSE };
static const IsolationCase two_contexts = { FALSE, TRUE };

/* A previous case's streams may still be closing: wait (bounded) until
 * Tor shows none to the echo server. */
static void
wait_no_streams (Ctl *ctl)
{
  for (guint i = 0; i < 100; i++)
    {
      GPtrArray *circuits = g_ptr_array_new_with_free_func (g_free);
      guint n;

      stream_circuits (ctl, net.echo_port, circuits);
      n = circuits->len;
      g_ptr_array_unref (circuits);
      if (n == 0)
        return;
      g_usleep (100 * 1000);
    }
  g_error ("Tor still shows streams to the echo server from an earlier case");
}

static void
test_isolation (Fixture *f, gconstpointer data)
{
  const IsolationCase *c = data;
  FurlHintConnectResult *first;
  FurlHintContext *first_ctx = NULL;
  GPtrArray *circuits = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  Ctl *ctl;
  gchar *cfg, *hints;

  if (!f->usable)
    {
      g_ptr_array_unref (circuits);
      return;
    }
  ctl = ctl_open (net.control_port, net_env ("CONTROL_COOKIE_FILE"), &error);
  g_assert_no_error (error);
  wait_no_streams (ctl);

  cfg = g_strdup_printf ("[connections]\ntcp = tor\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         c->prefer_no_auth ? net_env_port ("NOAUTH_SOCKS_PORT")
                                           : net.socks_port);
  hints = g_strdup_printf ("tcp:" MAPPED_NAME ":%u", net.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 0, 0, TRUE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "first peer\n", PROBE_TIMEOUT_S);
  first = g_steal_pointer (&f->result);
  if (c->two_contexts)
    {
      /* The second context: the same configuration, another node. */
      first_ctx = g_steal_pointer (&f->ctx);
      use_config (f, cfg);
    }
  connect_furl (f, c->two_contexts ? TUB : TUB2, hints);
  assert_won (f, 0, 0, TRUE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "second peer\n", PROBE_TIMEOUT_S);

  /* Both streams open: Tor shows them on two circuits. */
  stream_circuits (ctl, net.echo_port, circuits);
  ctl_free (ctl);
  for (guint i = 0; i < circuits->len; i++)
    g_test_message ("stream to the echo server on circuit %s",
                    (gchar *) g_ptr_array_index (circuits, i));
  g_assert_cmpuint (circuits->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (circuits, 0), !=, g_ptr_array_index (circuits, 1));

  furlhint_connect_result_unref (first);
  g_clear_pointer (&first_ctx, furlhint_context_unref);
  g_ptr_array_unref (circuits);
  g_free (hints);
  g_free (cfg);
}

/* The loopback check itself can fail (no tor needed). */
/* --- `furlhint listen` with the guide's server use case 3 --------------------- */

#define LISTEN_NAME "swiss"

/* A launcher for the CLI. Under the leak checker the CLI is checked too
 * (it inherits the log, and FURLHINT_LEAKCHECK_ONLY names it), and may
 * reach only @allowed (the endpoint the anonymous node is configured with). */
static GSubprocessLauncher *
cli_launcher (GSubprocessFlags flags, const gchar *allowed)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  const gchar *only = g_getenv ("FURLHINT_LEAKCHECK_ONLY");

  if (leakcheck_is_active () && only != NULL)
    {
      gchar *both = g_strconcat (only, ",furlhint", NULL);

      g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ONLY", both, TRUE);
      g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ALLOW", allowed, TRUE);
      g_free (both);
    }
  return launcher;
}

/* Starts `furlhint listen --config @cfg --echo` (stderr to @log) and
 * reads its first stdout line, the FURL, into @furl (nothing follows it). */
static GSubprocess *
cli_listen (const gchar *cli, const gchar *cfg, const gchar *log, gchar **furl)
{
  GSubprocessLauncher *launcher;
  GSubprocess *server;
  GDataInputStream *out;
  GError *error = NULL;
  gchar *control;

  control = g_strdup_printf ("127.0.0.1:%u", net.control_port);
  launcher = cli_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE, control);
  g_free (control);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  server = g_subprocess_launcher_spawn (launcher, &error, cli, "listen", "--config", cfg,
                                        "--tubid", TUB, "--name", LISTEN_NAME, "--echo", NULL);
  g_object_unref (launcher);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  /* Printed once every entry is published (or the listener gave up). */
  *furl = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (*furl == NULL)
    {
      gchar *text = NULL, *last;

      /* The last line first: a summary shows only a bail-out's first line. */
      if (!g_file_get_contents (log, &text, NULL, NULL))
        text = g_strdup ("");
      g_strchomp (text);
      last = strrchr (text, '\n');
      g_error ("furlhint listen printed no FURL; last line on its stderr: \"%s\"; all of "
               "it:\n%s", last != NULL ? last + 1 : text, text);
    }
  g_object_unref (out);
  return server;
}

/* SIGTERM: the listener withdraws the onion service and exits 0. */
static void
cli_listen_stop (GSubprocess *server, const gchar *log)
{
  GError *error = NULL;
  gchar *text = NULL;

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_test_message ("furlhint listen's stderr:\n%s", text);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  g_free (text);
}

/* One `furlhint connect --pipe` round trip: a line written, the same line
 * read back (the event the test waits for), then the end of input; the
 * idle timeout starts only then, after the peer has answered, so it never
 * races the echo. FALSE when the connect failed (no echo, exit 1). */
static gboolean
cli_round_trip (const gchar *cli, const gchar *cfg, const gchar *furl, const gchar *text)
{
  GSubprocessLauncher *launcher;
  GSubprocess *client;
  GDataInputStream *out;
  GOutputStream *in;
  gchar *socks;
  GError *error = NULL;
  gchar *line, *sent = g_strdup_printf ("%s\n", text);
  gboolean ok;

  socks = g_strdup_printf ("127.0.0.1:%u", net.socks_port);
  launcher = cli_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_SILENCE, socks);
  g_free (socks);
  client = g_subprocess_launcher_spawn (launcher, &error, cli, "connect", "--config", cfg,
                                        "--pipe", "--idle-timeout", "1", furl, NULL);
  g_object_unref (launcher);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (client);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (client));
  /* Buffered by the pipe until the connect is up (or lost with it). */
  g_output_stream_write_all (in, sent, strlen (sent), NULL, NULL, &error);
  g_clear_error (&error);
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, NULL);
  g_subprocess_wait (client, NULL, &error);
  g_assert_no_error (error);
  ok = g_subprocess_get_if_exited (client) && g_subprocess_get_exit_status (client) == 0;
  if (line != NULL || ok)
    {
      g_assert_cmpstr (line, ==, text);
      g_assert_true (ok);
    }
  g_free (line);
  g_free (sent);
  g_object_unref (out);
  g_object_unref (client);
  return ok;
}

/* Round trips until one works (the descriptor reaches the HSDirs one at a
 * time), bounded. */
static void
cli_round_trip_until (const gchar *cli, const gchar *cfg, const gchar *furl,
                      const gchar *text)
{
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;
  guint tries = 1;

  while (!cli_round_trip (cli, cfg, furl, text))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("furlhint connect --pipe %s failed %u times in %d s", furl, tries,
                 PUBLISH_TIMEOUT_S);
      tries++;
      g_usleep (G_USEC_PER_SEC);
    }
  g_test_message ("round trip after %u connect(s)", tries);
}

/* The guide's server use case 3 (its Tor half), verbatim apart from the
 * path, plus the node's tor: `furlhint listen` publishes the onion
 * service through the client tor's control port and prints the FURL;
 * `furlhint connect --pipe` under the guide's client use case 3 reaches it
 * through the client tor's SOCKS port; after SIGTERM and a restart the
 * node has the same address and is reached again. */
static void
test_cli_listen (Fixture *f, gconstpointer data)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  GSubprocess *server;
  GError *error = NULL;
  gchar *dir, *key_dir, *server_cfg, *client_cfg, *log, *text, *furl, *again, *hint;
  gchar *prefix;
  gint64 t0;
  Ctl *ctl;

  if (!f->usable)
    return;
  if (cli == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return;
    }
  dir = g_build_filename (lab_get_dir (net.lab), "node", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  key_dir = g_build_filename (dir, "my_service", NULL);
  text = g_strdup_printf ("[node]\n"
                          "anonymous = True\n"
                          "tub.location = onion:80:hiddenServiceDir=%s\n"
                          "[tor]\n"
                          "control.port = tcp:127.0.0.1:%u\n", key_dir, net.control_port);
  server_cfg = g_build_filename (dir, "tahoe.cfg", NULL);
  g_assert_true (g_file_set_contents (server_cfg, text, -1, NULL));
  g_free (text);
  text = g_strdup_printf ("[node]\n"
                          "anonymous = True\n"
                          "tub.location =\n"
                          "[connections]\n"
                          "tor.socks-proxy = tcp:127.0.0.1:%u\n", net.socks_port);
  client_cfg = g_build_filename (dir, "client.cfg", NULL);
  g_assert_true (g_file_set_contents (client_cfg, text, -1, NULL));
  g_free (text);
  log = g_build_filename (dir, "listen.log", NULL);

  ctl = ctl_open (net.control_port, net_env ("CONTROL_COOKIE_FILE"), &error);
  g_assert_no_error (error);
  g_assert_true (ctl_command_ok (ctl, "SETEVENTS HS_DESC", &error));
  g_assert_no_error (error);

  t0 = g_get_monotonic_time ();
  server = cli_listen (cli, server_cfg, log, &furl);
  g_test_message ("FURL %s after %.1f s", furl, (g_get_monotonic_time () - t0) / 1e6);
  /* pb://TUB@tor:<56>.onion:80/swiss: the one hint, from the new key */
  prefix = g_strdup_printf ("pb://%s@tor:", TUB);
  g_assert_true (g_str_has_prefix (furl, prefix));
  g_assert_true (g_str_has_suffix (furl, ".onion:80/" LISTEN_NAME));
  g_assert_cmpuint (strlen (furl), ==, strlen (prefix) + 56 + strlen (".onion:80/" LISTEN_NAME));
  g_assert_true (g_file_test (key_dir, G_FILE_TEST_IS_DIR));
  hint = g_strndup (furl + strlen (prefix) - strlen ("tor:"), strlen ("tor:") + 56 + 9);
  wait_uploaded (ctl, hint);
  g_test_message ("descriptor uploaded after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  cli_round_trip_until (cli, client_cfg, furl, "hello, onion node");
  g_test_message ("first round trip after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  cli_listen_stop (server, log);
  g_object_unref (server);

  /* Restarted: the key in hiddenServiceDir gives the same address. */
  t0 = g_get_monotonic_time ();
  server = cli_listen (cli, server_cfg, log, &again);
  g_assert_cmpstr (again, ==, furl);
  wait_uploaded (ctl, hint);
  cli_round_trip_until (cli, client_cfg, again, "hello again");
  g_test_message ("round trip after the restart after %.1f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  cli_listen_stop (server, log);
  g_object_unref (server);

  ctl_free (ctl);
  g_free (hint);
  g_free (prefix);
  g_free (again);
  g_free (furl);
  g_free (log);
  g_free (client_cfg);
  g_free (server_cfg);
  g_free (key_dir);
  g_free (dir);
}

/* --- Foolscap: a remote call to a Tub behind the onion service ---------------- */

static void
assert_contains (const gchar *haystack, const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}

typedef struct {
  const gchar *tor_key;         /* how the client's tahoe.cfg names the client tor */
  gboolean clear_too;           /* the server is also reachable in the clear */
} FoolscapCase;

/* The guide's server use case 2 (an onion service and a clear address)
 * and use case 3 (the onion service only). */
static const FoolscapCase foolscap_socks_port = { "socks.port", TRUE };
static const FoolscapCase foolscap_control_port = { "control.port", FALSE };

/* Two Foolscap Tubs (tests/foolscap-tubs.py). The server Tub listens on
 * 127.0.0.1:TUB_PORT, where the onion service's second port leads (the
 * Tahoe documentation's tub.port behind an operator's own onion service),
 * and advertises tor:ONION:TUB_ONION_PORT, after tcp:127.0.0.1:TUB_PORT
 * when the case says so. The client Tub's hint handlers are furlhint's
 * (furlhint_foolscap.install_handlers()), from a tahoe.cfg of the guide's
 * client use case 3 whose `[tor]` names the client tor. The remote call
 * comes back, the clear hint (a direct route to the very listener) is
 * refused by furlhint's policy, and the one connection the server Tub
 * accepted was made by the onion service's tor (the owner of its other
 * end, read from /proc by the script; for a direct connection it names
 * the Python process): the call went through the private network. Under
 * the leak checker the Python process is checked too, allowed only the
 * client tor's ports. */
static void
test_foolscap_onion (Fixture *f, gconstpointer data)
{
  const FoolscapCase *c = data;
  const gchar *tor_key = c->tor_key;
  gboolean by_control = strcmp (tor_key, "control.port") == 0;
  g_autofree gchar *onion_hint = NULL;
  g_autofree gchar *clear_hint = NULL;
  g_autofree gchar *cfg_name = g_strdup_printf ("foolscap-%s.cfg", tor_key);
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *route = NULL;
  g_autofree gchar *from_hs = NULL;
  g_autofree gchar *out = NULL;
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  guint n_accepted = 0;
  gint64 t0;
  gint status;

  if (!f->usable || !lab_foolscap_ready ())
    return;
  cfg_text = g_strdup_printf ("[node]\n"
                              "anonymous = True\n"
                              "tub.location =\n"
                              "[tor]\n"
                              "%s = tcp:127.0.0.1:%u\n", tor_key,
                              by_control ? net.control_port : net.socks_port);
  cfg = lab_write_file (net.lab, cfg_name, cfg_text);
  listen = g_strdup_printf ("tcp:%u:interface=127.0.0.1", net_env_port ("TUB_PORT"));
  onion_hint = g_strdup_printf ("tor:%s:%u", net.onion, net_env_port ("TUB_ONION_PORT"));
  clear_hint = g_strdup_printf ("tcp:127.0.0.1:%u", net_env_port ("TUB_PORT"));
  location = c->clear_too ? g_strconcat (clear_hint, ",", onion_hint, NULL)
                          : g_strdup (onion_hint);
  if (leakcheck_is_active ())
    {
      g_autofree gchar *python = g_path_get_basename (GI_PYTHON);

      g_ptr_array_add (env, g_strdup_printf ("FURLHINT_LEAKCHECK_ONLY=%s", python));
      /* The control port reports both SOCKS ports of the client tor. */
      g_ptr_array_add (env, g_strdup_printf ("FURLHINT_LEAKCHECK_ALLOW=127.0.0.1:%u,"
                                             "127.0.0.1:%u,127.0.0.1:%u",
                                             net.socks_port, net.control_port,
                                             net_env_port ("NOAUTH_SOCKS_PORT")));
    }
  g_ptr_array_add (env, NULL);

  t0 = g_get_monotonic_time ();
  out = lab_foolscap_run ((const gchar *const *) env->pdata, &status, cfg,
                          "--listen", listen, "--location", location, NULL);
  g_test_message ("the Tubs ran for %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (status, ==, 0);
  assert_contains (out, "handlers: i2p=furlhint, tcp=furlhint, tor=furlhint\n");
  /* furlhint's tor plugin, reaching the client tor the way the tahoe.cfg
   * says. */
  route = by_control
    ? g_strdup_printf ("route %s: Tor (control port 127.0.0.1:%u, SOCKS port discovered) ",
                       onion_hint, net.control_port)
    : g_strdup_printf ("route %s: Tor (SOCKS 127.0.0.1:%u) ", onion_hint, net.socks_port);
  assert_contains (out, route);
  assert_contains (out, "(furlhint, anonymous)\n");
  assert_contains (out, "echo: through furlhint\n");
  if (c->clear_too)
    {
      g_autofree gchar *refused = g_strdup_printf ("status %s: bad hint: ignoring non-Tor-able "
                                                   "ipaddr 127.0.0.1; anonymous mode reaches "
                                                   "tcp: hints only through Tor\n", clear_hint);

      assert_contains (out, refused);
    }

  /* Every connection the server Tub accepted came from the onion
   * service's tor. */
  from_hs = g_strdup_printf (" from pid %d (tor)", (int) lab_proc_get_pid (net.hs));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "server accepted "))
      {
        n_accepted++;
        if (!g_str_has_suffix (lines[i], from_hs))
          g_error ("not a connection of the onion service's tor (%s): %s", from_hs, lines[i]);
      }
  g_assert_cmpuint (n_accepted, ==, 1);
}

static void
test_proc_net_parser (void)
{
  g_assert_true (proc_net_addr_ok ("0100007F:4E20", FALSE));
  g_assert_true (proc_net_addr_ok ("0200007F:0035", TRUE));
  g_assert_true (proc_net_addr_ok ("00000000:0000", TRUE));
  g_assert_true (proc_net_addr_ok ("00000000000000000000000001000000:1F90", FALSE));
  g_assert_false (proc_net_addr_ok ("00000000:4E20", FALSE));     /* 0.0.0.0 */
  g_assert_false (proc_net_addr_ok ("0100A8C0:0050", TRUE));      /* 192.168.0.1 */
  g_assert_false (proc_net_addr_ok ("0101007E:0050", TRUE));      /* 126.0.1.1 */
  g_assert_false (proc_net_addr_ok ("00000000000000000000000000000000:1F90", FALSE));
  g_assert_false (proc_net_addr_ok ("0000000000000000FFFF00000100A8C0:0050", TRUE));
}

/* Registered last (its suite runs after the others): stops the network
 * inside a test case, so that the lab shows the tors' logs only when a case
 * failed, and checks that every process it started is gone. */
static void
test_stop_network (void)
{
  GArray *pids;
  gchar *dir;

  if (!lab_ready ())
    return;
  if (!net.started)
    {
      g_test_skip ("the network was not started (no case ran)");
      return;
    }
  pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  for (guint i = 0; i < net.tors->len; i++)
    {
      GPid pid = lab_proc_get_pid (g_ptr_array_index (net.tors, i));
      g_array_append_val (pids, pid);
    }
  g_assert_cmpuint (pids->len, ==, 7);
  dir = g_strdup (lab_get_dir (net.lab));
  net_stop ();
  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);

      g_assert_cmpint (kill (pid, 0), ==, -1);
      g_assert_cmpint (errno, ==, ESRCH);
    }
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_free (dir);
  g_array_unref (pids);
}

int
main (int argc, char **argv)
{
  int ret;

  leakcheck_maybe_reexec (argv);
  /* Re-executed under the checker (FURLHINT_TEST_LEAKCHECK=1): check this
   * program only, not the routers and servers it starts, as
   * leakcheck-run.sh does; they inherit LD_PRELOAD. */
  if (leakcheck_is_active () && g_getenv ("FURLHINT_LEAKCHECK_ONLY") == NULL)
    {
      gchar *self = g_path_get_basename (argv[0]);

      g_setenv ("FURLHINT_LEAKCHECK_ONLY", self, TRUE);
      g_free (self);
    }
  lab_enter_private_netns ();
  lab_set_watchdog (WATCHDOG_S);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tornet/loopback-check", test_proc_net_parser);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/tornet/onion/socks-proxy", test_onion_socks_proxy);
  ADD ("/tornet/onion/control-port", test_onion_control_port);
  ADD ("/tornet/exit/tcp=tor", test_exit_tcp_tor);
  ADD ("/tornet/anonymous/tor-wrapped-fallback", test_anonymous_fallback);
  ADD ("/tornet/onion/publish", test_onion_publish);
  ADD ("/tornet/onion/cli-listen", test_cli_listen);
#undef ADD
  g_test_add ("/tornet/foolscap/onion-and-clear-tub/socks-port", Fixture,
              &foolscap_socks_port, setup, test_foolscap_onion, teardown);
  g_test_add ("/tornet/foolscap/onion-tub/control-port", Fixture, &foolscap_control_port,
              setup, test_foolscap_onion, teardown);
  g_test_add ("/tornet/isolation/two-tubs-two-circuits", Fixture, &two_tubs,
              setup, test_isolation, teardown);
  g_test_add ("/tornet/isolation/prefer-no-auth-two-tubs-two-circuits", Fixture,
              &two_tubs_prefer_no_auth, setup, test_isolation, teardown);
  g_test_add ("/tornet/isolation/two-contexts-two-circuits", Fixture, &two_contexts,
              setup, test_isolation, teardown);
  g_test_add_func ("/tornet/teardown/stop-network", test_stop_network);

  ret = g_test_run ();
  /* Only when the stop case was left out (-p/-s). */
  net_stop ();
  g_free (net_failed);
  return ret;
}
