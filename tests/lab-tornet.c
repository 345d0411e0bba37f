/* The private Tor network of the lab (see lab-tornet.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "lab-tornet.h"
#include "leakcheck/leakcheck.h"

#define NET_READY_TIMEOUT_S 180

LabTorNet lab_tornet;

static gdouble
net_elapsed (void)
{
  return (g_get_monotonic_time () - lab_tornet.t0) / 1e6;
}

const gchar *
lab_tornet_env (const gchar *key)
{
  const gchar *value = g_hash_table_lookup (lab_tornet.env, key);

  if (value == NULL)
    g_error ("tor-net.sh printed no %s", key);
  return value;
}

guint16
lab_tornet_env_port (const gchar *key)
{
  guint64 port = 0;

  if (!g_ascii_string_to_unsigned (lab_tornet_env (key), 10, 1, 65535, &port, NULL))
    g_error ("tor-net.sh printed a bad %s: %s", key, lab_tornet_env (key));
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

void
lab_tornet_print_tails (void)
{
  LabProc *procs[] = { lab_tornet.client, lab_tornet.hs };
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
  for (guint i = 0; i < lab_tornet.tors->len; i++)
    {
      LabProc *proc = g_ptr_array_index (lab_tornet.tors, i);

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

/* Runs @tor_net_sh (NULL: the test's lab/tor-net.sh) to write the keys
 * and torrcs only (a few seconds of CPU). */
static gboolean
net_configure (const gchar *tor_net_sh, GError **error)
{
  gchar *script = tor_net_sh != NULL
    ? g_strdup (tor_net_sh)
    : g_test_build_filename (G_TEST_DIST, "lab", "tor-net.sh", NULL);
  gchar *echo = g_strdup_printf ("%u", lab_tornet.echo_port);
  gchar *owner = g_strdup_printf ("%d", (int) getpid ());
  const gchar *argv[] = { "sh", script, lab_get_dir (lab_tornet.lab), echo, NULL };
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
              g_hash_table_insert (lab_tornet.env, g_strdup (lines[i]), g_strdup (value));
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
  GSocket *socket = tcp_open (lab_tornet.socks_port, LAB_TORNET_PROBE_TIMEOUT_S, error);
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
struct _LabTorCtl {
  GSocket *socket;
  GString *buf;
};

void
lab_tornet_ctl_free (LabTorCtl *ctl)
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
gchar *
lab_tornet_ctl_read_line (LabTorCtl *ctl, gint64 deadline_us, GError **error)
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

gboolean
lab_tornet_ctl_command (LabTorCtl *ctl, const gchar *command, GError **error)
{
  gchar *text = g_strconcat (command, "\r\n", NULL);
  gboolean ok = send_all (ctl->socket, text, strlen (text), error);

  g_free (text);
  return ok;
}

/* Sends @command and expects a single "250 OK" (events are skipped). */
gboolean
lab_tornet_ctl_command_ok (LabTorCtl *ctl, const gchar *command, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (!lab_tornet_ctl_command (ctl, command, error))
    return FALSE;
  for (;;)
    {
      gchar *line = lab_tornet_ctl_read_line (ctl, deadline, error);
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

LabTorCtl *
lab_tornet_ctl_open (guint16 port, const gchar *cookie_file, GError **error)
{
  LabTorCtl *ctl;
  gchar *cookie = NULL, *hex, *auth;
  gsize len = 0;
  gboolean ok;

  if (!g_file_get_contents (cookie_file, &cookie, &len, error))
    return NULL;
  ctl = g_new0 (LabTorCtl, 1);
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
  ok = lab_tornet_ctl_command_ok (ctl, auth, error);
  g_free (auth);
  g_free (hex);
  g_free (cookie);
  if (!ok)
    {
      lab_tornet_ctl_free (ctl);
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
 * passes; then sets lab_tornet.failure. */
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
          lab_tornet.failure = g_strdup_printf ("waiting for %s: %s", what, dead);
          g_free (dead);
          return FALSE;
        }
      if (net_deadline_passed ())
        {
          lab_tornet.failure = g_strdup_printf ("the private Tor network was not ready after "
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
  return net_log_has (lab_tornet.client, "Bootstrapped 100%");
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
  LabTorCtl *ctl;
  gchar *uploaded;              /* "650 HS_DESC UPLOADED <address> " */
} DescWait;

static gboolean
ready_desc (gpointer data)
{
  DescWait *w = data;
  GError *error = NULL;
  gchar *line = lab_tornet_ctl_read_line (w->ctl, g_get_monotonic_time () + G_USEC_PER_SEC, &error);
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

/* Starts the network and waits until both paths echo. Sets lab_tornet.failure
 * on any problem. */
void
lab_tornet_start (const gchar *tor_net_sh)
{
  GError *error = NULL;
  gchar *empty, *cookie_file, *hostname_file, *hostname = NULL, *address;
  gchar **tors;
  LabTorCtl *hs_ctl = NULL;
  DescWait desc = { NULL, NULL };
  Probe exit_probe = { "127.0.0.1", 0, 0 };
  Probe onion_probe = { NULL, 0, 0 };

  lab_tornet.started = TRUE;
  lab_tornet.t0 = g_get_monotonic_time ();
  lab_tornet.lab = lab_new ();
  lab_tornet.env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lab_tornet.tors = g_ptr_array_new ();

  lab_tornet.echo_port = lab_echo_server_start (lab_tornet.lab, "127.0.0.1", &error);
  if (lab_tornet.echo_port == 0 || !net_configure (tor_net_sh, &error))
    {
      lab_tornet.failure = g_strdup_printf ("cannot set up the network: %s", error->message);
      g_error_free (error);
      return;
    }
  g_test_message ("tornet: keys and torrcs after %.1f s", net_elapsed ());
  lab_tornet.socks_port = lab_tornet_env_port ("SOCKS_PORT");
  lab_tornet.control_port = lab_tornet_env_port ("CONTROL_PORT");
  lab_tornet.onion_port = lab_tornet_env_port ("ONION_PORT");
  /* Under the leak checker: the client's SOCKS ports and control port are
   * what the library is given (and what the control port names). */
  {
    gchar *socks = g_strdup_printf ("127.0.0.1:%u", lab_tornet.socks_port);
    gchar *noauth = g_strdup_printf ("127.0.0.1:%u", lab_tornet_env_port ("NOAUTH_SOCKS_PORT"));
    gchar *control = g_strdup_printf ("127.0.0.1:%u", lab_tornet.control_port);

    leakcheck_allow (socks);
    leakcheck_allow (noauth);
    leakcheck_allow (control);
    g_free (socks);
    g_free (noauth);
    g_free (control);
  }

  /* The order tor-net.sh gives; the lab kills each of them by pid. */
  tors = g_strsplit (lab_tornet_env ("TORS"), " ", -1);
  g_assert_cmpuint (g_strv_length (tors), ==, 7);
  empty = g_build_filename (lab_get_dir (lab_tornet.lab), "empty", NULL);
  for (guint i = 0; tors[i] != NULL; i++)
    {
      gchar *torrc = g_build_filename (lab_get_dir (lab_tornet.lab), tors[i], "torrc", NULL);
      const gchar *argv[] = { "tor", "--defaults-torrc", empty, "-f", torrc, NULL };
      LabProc *proc = lab_spawn (lab_tornet.lab, tors[i], argv, &error);

      g_assert_no_error (error);
      g_ptr_array_add (lab_tornet.tors, proc);
      if (strcmp (tors[i], "client") == 0)
        lab_tornet.client = proc;
      else if (strcmp (tors[i], "hs") == 0)
        lab_tornet.hs = proc;
      g_free (torrc);
    }
  g_strfreev (tors);
  g_free (empty);
  g_assert_nonnull (lab_tornet.client);
  g_assert_nonnull (lab_tornet.hs);

  /* Subscribe to HS_DESC at once: the upload must not happen unseen. Tor
   * writes the cookie just after opening the control port. */
  cookie_file = g_strdup (lab_tornet_env ("HS_CONTROL_COOKIE_FILE"));
  if (!net_wait ("the onion service's control cookie", ready_file, cookie_file))
    {
      g_free (cookie_file);
      goto out;
    }
  g_free (cookie_file);
  if (!lab_wait_port (lab_tornet.hs, "127.0.0.1", lab_tornet_env_port ("HS_CONTROL_PORT"), 20000,
                      &error)
      || (hs_ctl = lab_tornet_ctl_open (lab_tornet_env_port ("HS_CONTROL_PORT"),
                             lab_tornet_env ("HS_CONTROL_COOKIE_FILE"), &error)) == NULL
      || !lab_tornet_ctl_command_ok (hs_ctl, "SETEVENTS HS_DESC", &error))
    {
      lab_tornet.failure = g_strdup_printf ("onion service control port: %s", error->message);
      g_error_free (error);
      goto out;
    }
  hostname_file = g_strdup (lab_tornet_env ("HS_HOSTNAME_FILE"));
  if (!net_wait ("the onion's hostname file", ready_file, hostname_file))
    {
      g_free (hostname_file);
      goto out;
    }
  if (!g_file_get_contents (hostname_file, &hostname, NULL, &error))
    {
      lab_tornet.failure = g_strdup_printf ("the onion's hostname: %s", error->message);
      g_error_free (error);
      g_free (hostname_file);
      goto out;
    }
  g_free (hostname_file);
  lab_tornet.onion = g_strstrip (hostname);
  g_assert_true (g_str_has_suffix (lab_tornet.onion, ".onion"));
  g_assert_cmpuint (strlen (lab_tornet.onion), ==, 56 + 6);

  if (!net_wait ("the client's bootstrap", ready_bootstrapped, NULL))
    goto out;
  exit_probe.port = lab_tornet.echo_port;
  if (!net_wait ("an echo through an exit", ready_echo, &exit_probe))
    goto out;
  address = g_strndup (lab_tornet.onion, 56);
  desc.ctl = hs_ctl;
  desc.uploaded = g_strdup_printf ("650 HS_DESC UPLOADED %s ", address);
  g_free (address);
  if (!net_wait ("the onion descriptor's upload", ready_desc, &desc))
    goto out;
  onion_probe.host = lab_tornet.onion;
  onion_probe.port = lab_tornet.onion_port;
  if (!net_wait ("an echo through the onion", ready_echo, &onion_probe))
    goto out;

out:
  g_free (desc.uploaded);
  lab_tornet_ctl_free (hs_ctl);
  if (lab_tornet.failure != NULL)
    lab_tornet_print_tails ();
}

void
lab_tornet_stop (void)
{
  if (!lab_tornet.started)
    return;
  lab_free (lab_tornet.lab);
  g_ptr_array_unref (lab_tornet.tors);
  g_hash_table_unref (lab_tornet.env);
  g_free (lab_tornet.onion);
  g_free (lab_tornet.failure);
  memset (&lab_tornet, 0, sizeof lab_tornet);
}
