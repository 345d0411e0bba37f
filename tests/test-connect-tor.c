/* The tor plugin against real tor processes on loopback (tests/lab.c: a
 * private network namespace; nothing can leave the machine).
 *
 * A single tor in the two modes of docs/lab-notes.md ("A single tor without
 * a network"):
 * - "disablenet" (DisableNetwork 1): control port, each authentication
 *   method (SAFECOOKIE, HASHEDPASSWORD; COOKIE alone only from a scripted
 *   controller, as tor always offers SAFECOOKIE with it), and the empty
 *   net/listeners/socks;
 * - "deadauth" (network on, a dead DirAuthority, no fallbacks): SOCKS
 *   listeners that answer at once for malformed onions and after a short
 *   SocksTimeout for anything that needs a circuit.
 * Plus: the default ports (9050 then 9150), the transport-down memory,
 * launching tor (statuses, bootstrap wait, the tor killed and its data
 * directory removed in fini, launch failures), stream isolation
 * credentials (a scripted SOCKS server records them), and targets refused
 * before any I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* symlink(), mkfifo() and lstat() are POSIX, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"
#include "leakcheck/leakcheck.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define TUB2 "x7bvf5wvsrnwu4zqh3cqzhhfpqqpiwpe"
/* A well-formed v3 address (the Tor Project's; unreachable in the namespace). */
#define ONION_V3 "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
/* Malformed: tor refuses it at once (SOCKS 1, or 0xF6 with ExtendedErrors). */
#define ONION_BAD "abc.onion"
#define FINDING "(while connecting to a Tor)"

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  LabStatuses statuses;
  GPtrArray *logs;              /* plugin and library log lines */
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  gchar *empty;                 /* an empty file: torrc, GeoIP files */
  guint n_tors;
} Fixture;

/* --- helpers --------------------------------------------------------------- */

/* The thread the tests run on: the host's logger is called there only,
 * never from a plugin's worker thread. */
static GThread *main_thread;

static void
on_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  Fixture *f = user_data;

  if (g_thread_self () != main_thread)
    g_error ("logged from another thread: %s", message);

  g_test_message ("log: %s", message);
  g_ptr_array_add (f->logs, g_strdup (message));
}

static gboolean
has_line (GPtrArray *lines, const gchar *fragment)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), fragment) != NULL)
      return TRUE;
  return FALSE;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
  lab_statuses_init (&f->statuses);
  f->logs = g_ptr_array_new_with_free_func (g_free);
  f->empty = lab_write_file (f->lab, "empty", "");
  f->fds_before = lab_count_open_fds ();
}

static void
drop_context (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  /* Abandoned attempts report back from idles and hold the context until
   * then; its plugins' fini runs with the last reference. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  drop_context (f);
  lab_statuses_clear (&f->statuses);
  g_ptr_array_unref (f->logs);
  g_free (f->empty);
  lab_free (f->lab);
}

/* A fresh context (the previous one freed: its plugin's fini kills what it
 * launched) from tahoe.cfg text. */
static void
use_config (Fixture *f, const gchar *cfg)
{
  drop_context (f);
  g_ptr_array_set_size (f->statuses.lines, 0);
  g_ptr_array_set_size (f->logs, 0);
  f->ctx = lab_context_new (cfg, on_log, f);
  g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (f->ctx, "tor")));
}

/* Connects to pb://@tub@@hints/swiss and waits (bounded). */
static void
connect_furl_tub (Fixture *f, const gchar *tub, const gchar *hints, guint timeout_ms)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  options.timeout_ms = timeout_ms;
  options.status = lab_on_status;
  options.status_data = &f->statuses;
  f->result = lab_connect (f->ctx, tub, hints, &options, NULL, timeout_ms + 20000, &f->error);
  if (f->error != NULL)
    g_test_message ("connect error: %s", f->error->message);
}

static void
connect_furl (Fixture *f, const gchar *hints, guint timeout_ms)
{
  connect_furl_tub (f, TUB, hints, timeout_ms);
}

/* The connect failed with @code and a message containing @fragment (and
 * ending with @suffix when not NULL). */
static void
assert_failed (Fixture *f, gint code, const gchar *fragment, const gchar *suffix)
{
  g_assert_null (furlhint_connect_result_get_stream (f->result));
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, code);
  if (strstr (f->error->message, fragment) == NULL)
    g_error ("“%s” not in “%s”", fragment, f->error->message);
  if (suffix != NULL)
    g_assert_true (g_str_has_suffix (f->error->message, suffix));
}

static void
assert_fds_back (Fixture *f)
{
  drop_context (f);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
}

/* Starts a tor with an empty torrc, its DataDirectory in the lab, a
 * ControlPort on 127.0.0.1 and @extra options; waits for the control
 * port. Returns that port. */
/* Under the leak checker: a port this program hands to the library as a
 * Tor SOCKS or control endpoint is an allowed endpoint. */
static void
allow_port (guint16 port)
{
  gchar *endpoint = g_strdup_printf ("127.0.0.1:%u", port);

  leakcheck_allow (endpoint);
  g_free (endpoint);
}

/* A free port that will be given to the library as a Tor endpoint. */
static guint16
tor_free_port (void)
{
  guint16 port = lab_free_port ("127.0.0.1");

  allow_port (port);
  return port;
}

/* Allows every listener a tor logged ("Opened Socks listener connection
 * (ready) on 127.0.0.1:PORT"): its SOCKS port may be "auto". */
static void
allow_tor_listeners (LabProc *proc)
{
  gchar *log = lab_proc_read_log (proc);
  const gchar *p = log;
  const gchar *key = "listener connection (ready) on 127.0.0.1:";

  while ((p = strstr (p, key)) != NULL)
    {
      p += strlen (key);
      allow_port ((guint16) g_ascii_strtoull (p, NULL, 10));
    }
  g_free (log);
}

static guint16
start_tor (Fixture *f, const gchar *const *extra, LabProc **proc_out)
{
  GError *error = NULL;
  guint16 control = tor_free_port ();
  gchar *name = g_strdup_printf ("tor%u", f->n_tors++);
  gchar *dir = g_build_filename (lab_get_dir (f->lab), name, NULL);
  gchar *control_arg = g_strdup_printf ("127.0.0.1:%u", control);
  GPtrArray *argv = g_ptr_array_new ();
  LabProc *proc;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_ptr_array_add (argv, "tor");
  g_ptr_array_add (argv, "--defaults-torrc");
  g_ptr_array_add (argv, f->empty);
  g_ptr_array_add (argv, "-f");
  g_ptr_array_add (argv, f->empty);
  g_ptr_array_add (argv, "--DataDirectory");
  g_ptr_array_add (argv, dir);
  g_ptr_array_add (argv, "--ControlPort");
  g_ptr_array_add (argv, control_arg);
  g_ptr_array_add (argv, "--GeoIPFile");
  g_ptr_array_add (argv, f->empty);
  g_ptr_array_add (argv, "--GeoIPv6File");
  g_ptr_array_add (argv, f->empty);
  g_ptr_array_add (argv, "--Log");
  g_ptr_array_add (argv, "notice stdout");
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  proc = lab_spawn (f->lab, name, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* Lab set-up: this thread's own connects while waiting. */
  leakcheck_suspend ();
  g_assert_true (lab_wait_port (proc, "127.0.0.1", control, 20000, &error));
  leakcheck_resume ();
  g_assert_no_error (error);
  allow_tor_listeners (proc);
  if (proc_out != NULL)
    *proc_out = proc;
  /* GLib watches a running child with a pidfd: count from here. */
  f->fds_before = lab_count_open_fds ();

  g_ptr_array_unref (argv);
  g_free (control_arg);
  g_free (dir);
  g_free (name);
  return control;
}

static gchar *
control_config (guint16 port, const gchar *extra)
{
  return g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\n%s", port,
                          extra != NULL ? extra : "");
}

/* --- a scripted server on a thread ----------------------------------------- */

typedef struct {
  GSocket *listener;
  GThread *thread;
  guint16 port;
  guint max_clients;
  gboolean (*serve) (gpointer server, GSocket *client);
  GMutex lock;
  GPtrArray *seen;              /* (lock) what the clients sent that matters */
  const gchar *methods;         /* fake controller: AUTH METHODS=; NULL: "COOKIE" */
  gchar *cookie_file;           /* fake controller: its COOKIEFILE (nullable) */
  gchar *cookie_hex;            /* (nullable) the cookie AUTHENTICATE must send */
  guint16 socks_port;           /* fake controller: the listener it reports */
  const gchar *listeners;       /* (nullable) or this net/listeners/socks value */
} Scripted;

static gboolean
read_line (GSocket *socket, GString *line)
{
  gchar c;

  g_string_truncate (line, 0);
  for (;;)
    {
      gssize n = g_socket_receive (socket, &c, 1, NULL, NULL);

      if (n <= 0)
        return FALSE;
      if (c == '\n')
        {
          if (line->len > 0 && line->str[line->len - 1] == '\r')
            g_string_truncate (line, line->len - 1);
          return TRUE;
        }
      g_string_append_c (line, c);
    }
}

static gboolean
read_exact (GSocket *socket, guint8 *buf, gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = g_socket_receive (socket, (gchar *) buf + got, len - got, NULL, NULL);

      if (n <= 0)
        return FALSE;
      got += n;
    }
  return TRUE;
}

static void
send_text (GSocket *socket, const gchar *text)
{
  g_socket_send (socket, text, strlen (text), NULL, NULL);
}

/* A FAKE control port (no tor offers COOKIE without SAFECOOKIE, nor can
 * be made to report a SOCKS listener elsewhere): it offers s->methods
 * (COOKIE by default) with an escaped COOKIEFILE, and records every line
 * it receives. NULL authentication takes a bare AUTHENTICATE. */
static gboolean
serve_controller (gpointer server, GSocket *client)
{
  Scripted *s = server;
  GString *line = g_string_new (NULL);
  gboolean authenticated = FALSE;

  while (read_line (client, line))
    {
      g_mutex_lock (&s->lock);
      g_ptr_array_add (s->seen, g_strdup (line->str));
      g_mutex_unlock (&s->lock);
      if (strcmp (line->str, "PROTOCOLINFO 1") == 0)
        {
          GString *escaped = g_string_new (NULL);
          gchar *reply;

          for (const gchar *c = s->cookie_file; c != NULL && *c != '\0'; c++)
            {
              if (*c == '"' || *c == '\\')
                g_string_append_c (escaped, '\\');
              g_string_append_c (escaped, *c);
            }
          reply = g_strdup_printf ("250-PROTOCOLINFO 1\r\n"
                                   "250-AUTH METHODS=%s%s%s%s\r\n"
                                   "250-VERSION Tor=\"0.0.fake\"\r\n250 OK\r\n",
                                   s->methods != NULL ? s->methods : "COOKIE",
                                   s->cookie_file != NULL ? " COOKIEFILE=\"" : "",
                                   escaped->str, s->cookie_file != NULL ? "\"" : "");
          send_text (client, reply);
          g_free (reply);
          g_string_free (escaped, TRUE);
        }
      else if (strcmp (line->str, "AUTHENTICATE") == 0 ||
               g_str_has_prefix (line->str, "AUTHENTICATE "))
        {
          authenticated = s->cookie_hex != NULL
            ? g_str_has_prefix (line->str, "AUTHENTICATE ") &&
              g_ascii_strcasecmp (line->str + 13, s->cookie_hex) == 0
            : strcmp (line->str, "AUTHENTICATE") == 0;
          send_text (client, authenticated ? "250 OK\r\n"
                                           : "515 Authentication failed: Wrong length on "
                                             "authentication cookie.\r\n");
          if (!authenticated)
            break;
        }
      else if (authenticated && strcmp (line->str, "GETINFO net/listeners/socks") == 0)
        {
          /* An asynchronous event first: the client must skip it. */
          gchar *reply = s->listeners != NULL
            ? g_strdup_printf ("650 CIRC 1 LAUNCHED\r\n"
                               "250-net/listeners/socks=%s\r\n250 OK\r\n", s->listeners)
            : g_strdup_printf ("650 CIRC 1 LAUNCHED\r\n"
                               "250-net/listeners/socks=\"127.0.0.1:%u\"\r\n"
                               "250 OK\r\n", s->socks_port);
          send_text (client, reply);
          g_free (reply);
        }
      else
        {
          send_text (client, "514 Authentication required.\r\n");
          break;
        }
    }
  g_string_free (line, TRUE);
  return TRUE;
}

/* A SOCKS5 server that records the RFC 1929 credentials, then answers
 * "connection refused" (reply 5). */
static gboolean
serve_socks (gpointer server, GSocket *client)
{
  Scripted *s = server;
  guint8 buf[600];
  gboolean userpass = FALSE, no_auth = FALSE;
  gchar *record = NULL;

  if (!read_exact (client, buf, 2) || buf[0] != 5 || !read_exact (client, buf + 2, buf[1]))
    return TRUE;
  for (guint i = 0; i < buf[1]; i++)
    {
      userpass |= buf[2 + i] == 2;
      no_auth |= buf[2 + i] == 0;
    }
  g_socket_send (client, userpass ? "\x05\x02" : "\x05\x00", 2, NULL, NULL);
  if (userpass)
    {
      guint8 ulen, plen;
      gchar user[256], pass[256];

      if (!read_exact (client, buf, 2))
        return TRUE;
      ulen = buf[1];
      if (!read_exact (client, (guint8 *) user, ulen) || !read_exact (client, &plen, 1) ||
          !read_exact (client, (guint8 *) pass, plen))
        return TRUE;
      user[ulen] = '\0';
      pass[plen] = '\0';
      /* Offered "no auth" besides, a PreferSOCKSNoAuth tor would take it. */
      record = g_strdup_printf ("%s%s:%s", no_auth ? "(no auth offered too) " : "", user, pass);
      g_socket_send (client, "\x01\x00", 2, NULL, NULL);
    }
  else
    record = g_strdup ("(no auth)");
  /* VER CMD RSV ATYP=3 LEN NAME PORT */
  if (read_exact (client, buf, 5) && read_exact (client, buf + 5, buf[4] + 2))
    {
      gchar *with_host = g_strdup_printf ("%s@%.*s", record, buf[4], (gchar *) buf + 5);

      gboolean echo = buf[4] == strlen ("echo.lab.test") &&
                      memcmp (buf + 5, "echo.lab.test", buf[4]) == 0;

      g_free (record);
      record = with_host;
      if (echo)
        {
          /* Success, then an echo of what comes until EOF. */
          gssize n;

          g_socket_send (client, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x07", 10, NULL, NULL);
          while ((n = g_socket_receive (client, (gchar *) buf, sizeof buf, NULL, NULL)) > 0)
            g_socket_send (client, (gchar *) buf, n, NULL, NULL);
        }
      else
        g_socket_send (client, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10, NULL, NULL);
    }
  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->seen, record);
  g_mutex_unlock (&s->lock);
  return TRUE;
}

static gpointer
scripted_thread (gpointer data)
{
  Scripted *s = data;

  for (guint i = 0; i < s->max_clients; i++)
    {
      GSocket *client = g_socket_accept (s->listener, NULL, NULL);

      if (client == NULL)
        break;
      g_socket_set_timeout (client, 10);
      s->serve (s, client);
      g_socket_close (client, NULL);
      g_object_unref (client);
    }
  return NULL;
}

static Scripted *
scripted_start (gboolean (*serve) (gpointer, GSocket *), guint max_clients)
{
  Scripted *s = g_new0 (Scripted, 1);

  s->listener = lab_listen_loopback (0, &s->port);
  g_socket_set_timeout (s->listener, 15);
  allow_port (s->port);
  s->serve = serve;
  s->max_clients = max_clients;
  s->seen = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&s->lock);
  return s;
}

static void
scripted_run (Scripted *s)
{
  s->thread = g_thread_new ("scripted", scripted_thread, s);
}

static void
scripted_free (Scripted *s)
{
  /* Unblocks a pending accept(). */
  g_socket_shutdown (s->listener, TRUE, TRUE, NULL);
  g_socket_close (s->listener, NULL);
  if (s->thread != NULL)
    g_thread_join (s->thread);
  g_object_unref (s->listener);
  g_ptr_array_unref (s->seen);
  g_mutex_clear (&s->lock);
  g_free (s->cookie_file);
  g_free (s->cookie_hex);
  g_free (s);
}

/* --- disablenet: control port and authentication -------------------------- */

static const gchar *const disablenet_cookie[] = {
  "--DisableNetwork", "1", "--CookieAuthentication", "1",
  "--SocksPort", "127.0.0.1:auto", NULL
};

static void
test_safecookie (Fixture *f, gconstpointer data)
{
  guint16 control;
  gchar *cfg;

  if (!lab_ready ())
    return;
  control = start_tor (f, disablenet_cookie, NULL);
  cfg = control_config (control, NULL);
  use_config (f, cfg);

  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                 "Tor has no SOCKS listener (DisableNetwork?)", FINDING);
  g_assert_nonnull (strstr (f->error->message, "GETINFO net/listeners/socks"));
  g_assert_true (has_line (f->statuses.lines, "0:connecting to a Tor"));
  /* tor offers COOKIE and SAFECOOKIE; the safer one is used. */
  g_assert_true (has_line (f->logs, "SAFECOOKIE authentication, Tor 0.4."));
  g_assert_true (g_str_has_prefix (furlhint_connect_result_get_hint_status (f->result, 0),
                                   "failed to connect: Tor has no SOCKS listener"));
  g_free (cfg);
  assert_fds_back (f);
}

static gchar *
hash_password (const gchar *password)
{
  const gchar *argv[] = { "tor", "--hash-password", password, "--quiet", NULL };
  gchar *out = NULL;
  gchar **lines;
  gchar *hash = NULL;
  gint status = 0;
  GError *error = NULL;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                               &status, &error));
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (gchar **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "16:"))
      hash = g_strdup (g_strstrip (*l));
  g_strfreev (lines);
  g_free (out);
  g_assert_nonnull (hash);
  return hash;
}

static void
test_password (Fixture *f, gconstpointer data)
{
  gchar *hash;
  guint16 control;
  gchar *cfg;

  if (!lab_ready ())
    return;
  hash = hash_password ("lab \"secret\"");
  {
    const gchar *const extra[] = {
      "--DisableNetwork", "1", "--HashedControlPassword", hash, NULL
    };
    control = start_tor (f, extra, NULL);
  }

  /* The right password. */
  cfg = control_config (control, "control.password = lab \"secret\"\n");
  use_config (f, cfg);
  g_free (cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                 "Tor has no SOCKS listener (DisableNetwork?)", FINDING);
  g_assert_true (has_line (f->logs, "HASHEDPASSWORD authentication"));

  /* A wrong one: tor's 515 is quoted. */
  cfg = control_config (control, "control.password = wrong\n");
  use_config (f, cfg);
  g_free (cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_AUTH, "refused AUTHENTICATE: 515 ", FINDING);

  /* None: say what is missing. */
  cfg = control_config (control, NULL);
  use_config (f, cfg);
  g_free (cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_AUTH,
                 "wants a password (it offers HASHEDPASSWORD); accepted: "
                 "[tor] control.password", FINDING);
  g_free (hash);
  assert_fds_back (f);
}

static void
test_cookie_scripted (Fixture *f, gconstpointer data)
{
  Scripted *s;
  guint8 cookie[32];
  GString *hex = g_string_new (NULL);
  gchar *dir, *cfg, *expected;
  guint16 nobody = tor_free_port ();

  if (!lab_ready ())
    return;
  for (guint i = 0; i < sizeof cookie; i++)
    {
      cookie[i] = (guint8) (0xa0 + i);
      g_string_append_printf (hex, "%02X", cookie[i]);
    }
  /* A path that needs escaping in COOKIEFILE="...". */
  dir = g_build_filename (lab_get_dir (f->lab), "odd \"dir\"", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);

  s = scripted_start (serve_controller, 1);
  s->cookie_file = g_build_filename (dir, "control_auth_cookie", NULL);
  s->cookie_hex = g_string_free (hex, FALSE);
  s->socks_port = nobody;
  g_assert_true (g_file_set_contents (s->cookie_file, (gchar *) cookie, sizeof cookie, NULL));
  scripted_run (s);

  /* COOKIE only when the operator allows it (/connect/tor/control/cookie-refused). */
  cfg = control_config (s->port, "control.auth = cookie\n");
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  /* The discovered port is used (and is down: nothing listens there). */
  expected = g_strdup_printf ("Tor SOCKS port 127.0.0.1:%u refused the connection: "
                              "is Tor running?", nobody);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, NULL);
  g_assert_true (has_line (f->logs, "COOKIE authentication, Tor 0.0.fake"));
  g_assert_false (has_line (f->logs, "SAFECOOKIE"));
  g_mutex_lock (&s->lock);
  g_assert_cmpuint (s->seen->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (s->seen, 0), ==, "PROTOCOLINFO 1");
  g_assert_true (g_str_has_prefix (g_ptr_array_index (s->seen, 1), "AUTHENTICATE "));
  g_assert_cmpstr (g_ptr_array_index (s->seen, 2), ==, "GETINFO net/listeners/socks");
  g_mutex_unlock (&s->lock);

  scripted_free (s);
  g_free (expected);
  g_free (cfg);
  g_free (dir);
  assert_fds_back (f);
}

/* Stops a scripted server once its clients are gone (they hang up when
 * the connect fails), so that what it saw is complete. */
static void
scripted_join (Scripted *s)
{
  g_socket_shutdown (s->listener, TRUE, TRUE, NULL);
  g_thread_join (s->thread);
  s->thread = NULL;
}

/* What the plugin sent the fake controller, one line per command. */
static gchar *
scripted_seen (Scripted *s)
{
  gchar *text;

  g_ptr_array_add (s->seen, NULL);
  text = g_strjoinv ("|", (gchar **) s->seen->pdata);
  g_ptr_array_set_size (s->seen, s->seen->len - 1);
  return text;
}

/* A process on the control port (tor is down, the port is squatted) that
 * offers only COOKIE: by default furlhint refuses, names what it accepts
 * and the key that would allow it, and never reads nor sends the cookie
 * (a real tor's, which the squatter could not read itself). */
static void
test_cookie_refused (Fixture *f, gconstpointer data)
{
  static const guint8 cookie[32] = "furlhint's secret test cookie!!";
  Scripted *s;
  gchar *cfg, *seen;

  if (!lab_ready ())
    return;
  s = scripted_start (serve_controller, 1);
  s->cookie_file = lab_write_file (f->lab, "control_auth_cookie", "");
  g_assert_true (g_file_set_contents (s->cookie_file, (const gchar *) cookie, sizeof cookie,
                                      NULL));
  g_assert_cmpint (chmod (s->cookie_file, 0600), ==, 0);
  s->socks_port = tor_free_port ();
  scripted_run (s);

  cfg = control_config (s->port, NULL);
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_AUTH, "Tor control port offers only COOKIE, which "
                 "furlhint does not use unless told to", FINDING);
  g_assert_nonnull (strstr (f->error->message, "accepted: HASHEDPASSWORD,SAFECOOKIE (set by "
                                               "[tor] control.auth;"));
  g_assert_nonnull (strstr (f->error->message, "or [tor] control.auth naming COOKIE to "
                                               "allow it"));
  scripted_join (s);
  seen = scripted_seen (s);
  g_assert_cmpstr (seen, ==, "PROTOCOLINFO 1");
  g_free (seen);

  scripted_free (s);
  g_free (cfg);
  assert_fds_back (f);
}

/* NULL (no authentication) only: anyone on the port could be answering. */
static void
test_null_refused (Fixture *f, gconstpointer data)
{
  Scripted *s;
  gchar *cfg, *seen, *expected;

  if (!lab_ready ())
    return;
  s = scripted_start (serve_controller, 2);
  s->methods = "NULL";
  s->socks_port = tor_free_port ();
  scripted_run (s);

  cfg = control_config (s->port, NULL);
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_AUTH, "Tor control port offers only NULL, which "
                 "furlhint does not use unless told to", FINDING);
  g_assert_nonnull (strstr (f->error->message, "or [tor] control.auth naming NULL to allow it"));
  g_free (cfg);

  /* Allowed: the discovered port is used (and is down). */
  cfg = control_config (s->port, "control.auth = NULL, safecookie\n");
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  expected = g_strdup_printf ("Tor SOCKS port 127.0.0.1:%u refused the connection",
                              s->socks_port);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, NULL);
  g_assert_true (has_line (f->logs, "no authentication, Tor 0.0.fake"));

  scripted_join (s);
  seen = scripted_seen (s);
  g_assert_cmpstr (seen, ==, "PROTOCOLINFO 1|PROTOCOLINFO 1|AUTHENTICATE|"
                             "GETINFO net/listeners/socks");
  g_free (seen);
  scripted_free (s);
  g_free (expected);
  g_free (cfg);
  assert_fds_back (f);
}

/* A COOKIEFILE that is not a 32-byte regular file is refused before a
 * byte is read (or anything sent): /dev/zero would grow memory without
 * bound, a FIFO would block the discovery for ever. The connect's own
 * timeout is far away: a hang would end in TIMED_OUT, not AUTH. */
static void
test_cookie_file_hostile (Fixture *f, gconstpointer data)
{
  gchar *real, *link, *fifo, *long_file;
  const gchar *dir;

  if (!lab_ready ())
    return;
  dir = lab_get_dir (f->lab);
  real = lab_write_file (f->lab, "real_cookie", "0123456789abcdef0123456789abcdef");
  link = g_build_filename (dir, "cookie_link", NULL);
  g_assert_cmpint (symlink (real, link), ==, 0);
  fifo = g_build_filename (dir, "cookie_fifo", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  long_file = lab_write_file (f->lab, "long_cookie", "0123456789abcdef0123456789abcdefX");

  {
    const struct {
      const gchar *path;
      const gchar *problem;
    } cases[] = {
      { "/dev/zero", "it is not a regular file (a FIFO, device, socket or directory)" },
      { fifo, "it is not a regular file (a FIFO, device, socket or directory)" },
      { dir, "it is not a regular file (a FIFO, device, socket or directory)" },
      { link, "it is a symbolic link" },
      { long_file, "it has 33 bytes, expected 32: not a Tor cookie file" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        Scripted *s = scripted_start (serve_controller, 1);
        gchar *cfg, *expected, *seen;

        g_test_message ("COOKIEFILE %s", cases[i].path);
        s->methods = "COOKIE,SAFECOOKIE";
        s->cookie_file = g_strdup (cases[i].path);
        scripted_run (s);
        cfg = control_config (s->port, NULL);
        use_config (f, cfg);
        connect_furl (f, "tor:" ONION_V3 ":80", 20000);
        expected = g_strdup_printf ("refusing Tor's control cookie %s: %s", cases[i].path,
                                    cases[i].problem);
        assert_failed (f, FURLHINT_CONNECT_ERROR_AUTH, expected, FINDING);
        scripted_join (s);
        seen = scripted_seen (s);
        g_assert_cmpstr (seen, ==, "PROTOCOLINFO 1");
        g_free (seen);
        g_free (expected);
        g_free (cfg);
        scripted_free (s);
      }
  }

  g_free (real);
  g_free (link);
  g_free (fifo);
  g_free (long_file);
  assert_fds_back (f);
}

/* A control port that names a SOCKS listener off this machine: never
 * connected to (it would carry the hint hosts in clear to someone else). */
static void
test_listener_elsewhere (Fixture *f, gconstpointer data)
{
  Scripted *s;
  gchar *cfg, *seen, *expected;

  if (!lab_ready ())
    return;
  s = scripted_start (serve_controller, 1);
  s->methods = "NULL";
  s->listeners = "\"198.51.100.7:9050\" \"0.0.0.0:9050\"";
  scripted_run (s);

  cfg = control_config (s->port, "control.auth = null\n");
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  expected = g_strdup_printf ("Tor control port 127.0.0.1:%u names no SOCKS listener on this "
                              "machine (tcp:198.51.100.7:9050, tcp:0.0.0.0:9050): refusing to "
                              "connect to an address a control port reports elsewhere; "
                              "accepted: a SocksPort on 127.0.0.0/8, [::1] or a unix socket, "
                              "or the SOCKS port configured with [tor] socks.port", s->port);
  assert_failed (f, FURLHINT_CONNECT_ERROR_FAILED, expected, FINDING);
  /* Nothing past discovery: no SOCKS status, nothing in the log about a
   * SOCKS port found. */
  g_assert_false (has_line (f->logs, "SOCKS port 198.51.100.7"));
  g_assert_false (has_line (f->statuses.lines, "connecting to a SOCKS"));
  scripted_join (s);
  seen = scripted_seen (s);
  g_assert_cmpstr (seen, ==, "PROTOCOLINFO 1|AUTHENTICATE|GETINFO net/listeners/socks");
  g_free (seen);

  scripted_free (s);
  g_free (expected);
  g_free (cfg);
  assert_fds_back (f);
}

static void
test_control_refused (Fixture *f, gconstpointer data)
{
  guint16 port;
  gchar *cfg, *expected;
  guint elapsed;

  if (!lab_ready ())
    return;
  port = tor_free_port ();
  cfg = control_config (port, NULL);
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  expected = g_strdup_printf ("Tor control port 127.0.0.1:%u refused the connection: "
                              "is Tor running?", port);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, FINDING);

  /* The transport-down memory: the next tor hint fails at once. */
  connect_furl (f, "tor:" ONION_V3 ":81", 20000);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  g_test_message ("second connect: %u ms", elapsed);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, NULL);
  g_assert_cmpuint (elapsed, <, 500);
  g_free (expected);
  g_free (cfg);
  assert_fds_back (f);
}

/* --- default ports ----------------------------------------------------------- */

static void
test_default_ports_down (Fixture *f, gconstpointer data)
{
  gint64 start;
  guint elapsed;

  if (!lab_ready ())
    return;
  /* Blank: Tor's default ports. In the namespace nothing listens on them. */
  use_config (f, "[connections]\ntor.socks-proxy =\n");
  start = g_get_monotonic_time ();
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  g_test_message ("both ports probed in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                 "Tor is not running: 127.0.0.1:9050 and 127.0.0.1:9150 refused " FINDING,
                 NULL);
  g_assert_cmpstr (f->error->message, ==,
                   "Tor is not running: 127.0.0.1:9050 and 127.0.0.1:9150 refused " FINDING);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

  /* Remembered: a second tor hint fails at once with the same cause. */
  connect_furl (f, "tor:" ONION_V3 ":443", 20000);
  elapsed = furlhint_connect_result_get_elapsed_ms (f->result);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, "Tor is not running", NULL);
  g_assert_cmpuint (elapsed, <, 500);
  assert_fds_back (f);
}

/* --- deadauth: real SOCKS listeners ----------------------------------------- */

static void
test_deadauth (Fixture *f, gconstpointer data)
{
  guint16 extended = tor_free_port ();
  gchar *extended_arg = g_strdup_printf ("127.0.0.1:%u ExtendedErrors", extended);
  guint16 dead = tor_free_port ();
  gchar *dead_auth = g_strdup_printf ("dead orport=1 no-v2 v3ident=%s 127.0.0.1:%u %s",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", dead,
                                      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  guint16 control;
  gchar *cfg;
  gint64 start;

  if (!lab_ready ())
    {
      g_free (extended_arg);
      g_free (dead_auth);
      return;
    }
  {
    /* 9150 (Tor Browser's port) first: found by the default-port probe
     * and listed first by net/listeners/socks. */
    const gchar *const extra[] = {
      "--CookieAuthentication", "1",
      "--SocksPort", "127.0.0.1:9150",
      "--SocksPort", extended_arg,
      "--SocksTimeout", "2",
      "--UseDefaultFallbackDirs", "0",
      "--DirAuthority", dead_auth,
      NULL
    };
    control = start_tor (f, extra, NULL);
  }
  leakcheck_suspend ();
  g_assert_true (lab_wait_port (NULL, "127.0.0.1", 9150, 10000, NULL));
  leakcheck_resume ();

  /* Discovered through the control port: tor refuses the malformed
   * onion at once. */
  cfg = control_config (control, NULL);
  use_config (f, cfg);
  g_free (cfg);
  connect_furl (f, "tor:" ONION_BAD ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_FAILED,
                 "proxy refused: general SOCKS server failure (SOCKS reply 1)", NULL);
  g_assert_true (has_line (f->logs, "SOCKS port 127.0.0.1:9150 found through Tor control port"));
  g_assert_true (has_line (f->statuses.lines, "0:connecting to a Tor"));
  /* Cached: the second connect does not ask the control port again. */
  g_ptr_array_set_size (f->logs, 0);
  connect_furl (f, "tor:" ONION_BAD ":81", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_FAILED, "(SOCKS reply 1)", NULL);
  g_assert_false (has_line (f->logs, "found through"));

  /* The configured ExtendedErrors port names the problem. */
  cfg = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n", extended);
  use_config (f, cfg);
  g_free (cfg);
  connect_furl (f, "tor:" ONION_BAD ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                 "proxy refused: onion service invalid address (SOCKS reply 246)", NULL);

  /* Default ports: 9050 refused, 9150 answers. */
  use_config (f, "[connections]\ntor.socks-proxy =\n");
  connect_furl (f, "tor:" ONION_BAD ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_FAILED, "(SOCKS reply 1)", NULL);

  /* tcp = tor carries a DNS name to Tor (remote DNS): no circuit here, so
   * tor gives up after SocksTimeout (2 s) with TTL expired. */
  cfg = g_strdup_printf ("[connections]\ntcp = tor\n[tor]\nsocks.port = tcp:127.0.0.1:%u\n",
                         extended);
  use_config (f, cfg);
  g_free (cfg);
  start = g_get_monotonic_time ();
  connect_furl (f, "tcp:echo.lab.test:7", 20000);
  g_test_message ("SocksTimeout answer after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TIMED_OUT, "(SOCKS reply 6)", NULL);

  /* A well-formed onion nobody publishes: the same after SocksTimeout. */
  start = g_get_monotonic_time ();
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  g_test_message ("unknown v3 onion answered after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_nonnull (f->error);
  g_assert_null (furlhint_connect_result_get_stream (f->result));

  g_free (extended_arg);
  g_free (dead_auth);
  assert_fds_back (f);
}

/* --- stream isolation ---------------------------------------------------- */

static void
test_isolation (Fixture *f, gconstpointer data)
{
  Scripted *s;
  gchar *cfg, *h1, *h2, *rec1, *rec2, *rec3;

  if (!lab_ready ())
    return;
  s = scripted_start (serve_socks, 4);
  scripted_run (s);
  cfg = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\ntcp = tor\n",
                         s->port);
  use_config (f, cfg);
  connect_furl_tub (f, TUB, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_REFUSED, "(SOCKS reply 5)", NULL);
  connect_furl_tub (f, TUB2, "tor:" ONION_V3 ":80", 20000);
  connect_furl_tub (f, TUB, "tor:" ONION_V3 ":80", 20000);

  /* Success: a stream positioned after the SOCKS reply (tcp = tor carries
   * the name to the proxy). */
  connect_furl_tub (f, TUB2, "tcp:echo.lab.test:7", 20000);
  g_assert_no_error (f->error);
  {
    GIOStream *stream = furlhint_connect_result_get_stream (f->result);
    GError *error = NULL;
    gchar back[5] = { 0, };
    gsize got = 0;

    g_assert_true (G_IS_SOCKET_CONNECTION (stream));
    g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), 10);
    g_output_stream_write_all (g_io_stream_get_output_stream (stream), "ping", 4, NULL, NULL,
                               &error);
    g_assert_no_error (error);
    g_input_stream_read_all (g_io_stream_get_input_stream (stream), back, 4, &got, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back, ==, "ping");
    g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connected");
  }
  g_clear_pointer (&f->result, furlhint_connect_result_unref);

  /* Closing the stream ended the echo; joining the thread waits for it. */
  g_socket_shutdown (s->listener, TRUE, TRUE, NULL);
  g_thread_join (s->thread);
  s->thread = NULL;
  g_assert_cmpuint (s->seen->len, ==, 4);
  /* "furlhint:PASSWORD@HOST": one password per peer (tub ID), keyed with
   * the context's secret (tests/test-isolation.c compares contexts), so
   * neither the tub ID nor its plain hash. */
  h1 = g_strdup (g_ptr_array_index (s->seen, 0));
  h2 = g_strdup (g_ptr_array_index (s->seen, 1));
  g_assert_true (g_str_has_prefix (h1, "furlhint:"));
  g_assert_true (g_str_has_suffix (h1, "@" ONION_V3));
  g_assert_true (g_str_has_suffix (h2, "@" ONION_V3));
  g_assert_cmpstr (h1, !=, h2);
  g_assert_cmpstr (g_ptr_array_index (s->seen, 2), ==, h1);
  *strchr (h2, '@') = '\0';
  rec3 = g_strdup_printf ("%s@echo.lab.test", h2);
  g_assert_cmpstr (g_ptr_array_index (s->seen, 3), ==, rec3);
  g_free (rec3);
  rec1 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, TUB, -1);
  rec2 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, TUB2, -1);
  g_assert_null (strstr (h1, rec1));
  g_assert_null (strstr (h1, TUB));
  g_assert_null (strstr (h2, rec2));

  scripted_free (s);
  g_free (h1);
  g_free (h2);
  g_free (rec1);
  g_free (rec2);
  g_free (cfg);
  assert_fds_back (f);
}

/* --- targets refused before any I/O ---------------------------------------- */

typedef struct {
  const gchar *host;
} RefuseCase;

/* A hand-built plan: route @host through Tor, not as a carried hint.
 * FALSE when furlhint_plan_add_route() refused it (the plan then holds
 * the rejection). */
static FurlHintPlan *
plan_for_host_routed (Fixture *f, const gchar *host, gboolean *routed)
{
  GError *error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse ("pb://" TUB "@tor:" ONION_V3 ":80/swiss", &error);
  FurlHintPlan *plan;
  FurlHintTarget target = { g_strdup (host), 80, FURLHINT_HOST_DNS, g_strdup ("tor:x:80") };

  g_assert_no_error (error);
  plan = furlhint_plan_new (furl, FALSE);
  *routed = furlhint_plan_add_route (plan, 0, furlhint_context_find_plugin (f->ctx, "tor"),
                                     &target, 0, FALSE);
  furlhint_plan_finish (plan, 0);
  furlhint_furl_unref (furl);
  return plan;
}

static FurlHintPlan *
plan_for_host (Fixture *f, const gchar *host)
{
  gboolean routed;
  FurlHintPlan *plan = plan_for_host_routed (f, host, &routed);

  g_assert_true (routed);
  return plan;
}

static void
test_refuse_targets (Fixture *f, gconstpointer data)
{
  /* Refused by the plugin when it is asked */
  static const gchar *const hosts[] = {
    "x.b32.i2p", "1.1", "0x8.8.8.8", "134744072", "bad host",
  };
  /* and refused before: furlhint_plan_add_route() never hands an
   * anonymous plugin a non-Tor-able address, even in a plan built by
   * hand whose route is not "carried" */
  static const gchar *const non_torable[] = {
    "10.1.2.3", "127.0.0.1", "fd00::1", "::1", "192.168.1.1",
    "127.1", "0x7f.1", "2130706433", "0177.0.0.1",
  };
  guint16 nobody;
  gchar *cfg;

  if (!lab_ready ())
    return;
  /* Nothing listens there: any I/O would give TRANSPORT_DOWN instead. */
  nobody = tor_free_port ();
  cfg = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n", nobody);
  use_config (f, cfg);
  for (gsize i = 0; i < G_N_ELEMENTS (non_torable); i++)
    {
      gboolean routed;
      FurlHintPlan *plan = plan_for_host_routed (f, non_torable[i], &routed);
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, 0);

      g_assert_false (routed);
      g_assert_false (entry->routed);
      g_assert_nonnull (strstr (entry->reason, "ignoring non-Tor-able ipaddr"));
      furlhint_plan_unref (plan);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
      FurlHintPlan *plan = plan_for_host (f, hosts[i]);

      g_test_message ("target %s", hosts[i]);
      g_clear_pointer (&f->result, furlhint_connect_result_unref);
      g_clear_error (&f->error);
      options.timeout_ms = 5000;
      f->result = lab_connect_plan (f->ctx, plan, &options, NULL, 10000, &f->error);
      assert_failed (f, FURLHINT_CONNECT_ERROR_UNREACHABLE, "refusing to ask Tor", NULL);
      furlhint_plan_unref (plan);
    }
  /* A public address and a name do get as far as the SOCKS port. */
  {
    FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
    FurlHintPlan *plan = plan_for_host (f, "93.184.216.34");

    g_clear_pointer (&f->result, furlhint_connect_result_unref);
    g_clear_error (&f->error);
    f->result = lab_connect_plan (f->ctx, plan, &options, NULL, 10000, &f->error);
    assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, "refused the connection", NULL);
    furlhint_plan_unref (plan);
  }
  g_free (cfg);
  assert_fds_back (f);
}

/* --- launch ----------------------------------------------------------------- */

static gboolean
pid_alive (GPid pid)
{
  return kill (pid, 0) == 0 || errno != ESRCH;
}

static void
test_launch_bootstrap_wait (Fixture *f, gconstpointer data)
{
  gchar *record, *script, *wrapper, *cfg, *contents = NULL;
  gchar **words;
  const gchar *data_dir = NULL;
  GPid pid;
  gint64 deadline;
  guint16 control, socks;
  gboolean control_auto = FALSE, socks_auto = FALSE;

  if (!lab_ready ())
    return;
  /* A tor that can never bootstrap (no network): the launch gets as far
   * as "waiting for Tor bootstrap" and the connect times out. The wrapper
   * records tor's pid (exec keeps it) and arguments. */
  record = g_build_filename (lab_get_dir (f->lab), "launched", NULL);
  /* The plugin asks for "--ControlPort auto" and "--SocksPort auto" and
   * reads the real control port from ControlPortWriteToFile. The wrapper
   * turns "auto" into ports picked (and allowed for the leak checker)
   * here, so the plugin's control connection goes to a known endpoint;
   * the plugin still learns it from the file, as with "auto". */
  control = tor_free_port ();
  socks = tor_free_port ();
  script = g_strdup_printf ("#!/bin/sh\necho $$ \"$@\" > '%s'\n"
                            "prev=\n"
                            "for a do\n"
                            "  shift\n"
                            "  case $prev/$a in\n"
                            "    --ControlPort/auto) set -- \"$@\" 127.0.0.1:%u ;;\n"
                            "    --SocksPort/auto) set -- \"$@\" 127.0.0.1:%u ;;\n"
                            "    *) set -- \"$@\" \"$a\" ;;\n"
                            "  esac\n"
                            "  prev=$a\n"
                            "done\n"
                            "exec tor \"$@\" --DisableNetwork 1 --GeoIPFile '%s' "
                            "--GeoIPv6File '%s'\n", record, control, socks, f->empty, f->empty);
  wrapper = lab_write_file (f->lab, "tor-wrapper", script);
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n", wrapper);
  use_config (f, cfg);

  connect_furl (f, "tor:" ONION_V3 ":80", 4000);
  g_assert_true (has_line (f->statuses.lines, "0:connecting to a Tor"));
  g_assert_true (has_line (f->statuses.lines, "0:launching Tor"));
  g_assert_true (has_line (f->statuses.lines, "0:waiting for Tor bootstrap"));
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT);

  g_assert_true (g_file_get_contents (record, &contents, NULL, NULL));
  words = g_strsplit (g_strstrip (contents), " ", -1);
  pid = (GPid) g_ascii_strtoll (words[0], NULL, 10);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (strcmp (words[i], "--DataDirectory") == 0)
        data_dir = words[i + 1];
      /* What the wrapper rewrites: without it, nothing was rewritten. */
      if (strcmp (words[i], "--ControlPort") == 0)
        control_auto = g_strcmp0 (words[i + 1], "auto") == 0;
      if (strcmp (words[i], "--SocksPort") == 0)
        socks_auto = g_strcmp0 (words[i + 1], "auto") == 0;
    }
  g_assert_nonnull (data_dir);
  g_assert_true (control_auto);
  g_assert_true (socks_auto);
  g_assert_true (g_str_has_prefix (data_dir, g_get_tmp_dir ()));
  g_assert_true (g_file_test (data_dir, G_FILE_TEST_IS_DIR));
  g_assert_true (pid_alive (pid));

  /* The plugin's fini kills it and removes its private data directory. */
  drop_context (f);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (pid_alive (pid) && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_false (pid_alive (pid));
  g_assert_false (g_file_test (data_dir, G_FILE_TEST_EXISTS));

  g_strfreev (words);
  g_free (contents);
  g_free (record);
  g_free (script);
  g_free (wrapper);
  g_free (cfg);
  assert_fds_back (f);
}

static void
test_launch_fails (Fixture *f, gconstpointer data)
{
  gchar *wrapper, *cfg;

  if (!lab_ready ())
    return;
  use_config (f, "[tor]\nlaunch = true\ntor.executable = /nonexistent/tor\n");
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                 "cannot launch tor (/nonexistent/tor): ", FINDING);
  g_assert_true (has_line (f->statuses.lines, "0:launching Tor"));

  wrapper = lab_write_file (f->lab, "bad-tor", "#!/bin/sh\necho 'boom: no such option'\nexit 3\n");
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n", wrapper);
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                 "the launched tor exited with status 3 before opening its control port; "
                 "its last words: boom: no such option", FINDING);
  g_free (wrapper);
  g_free (cfg);
  assert_fds_back (f);
}

/* A wrapper "tor" that records that it ran, then fails. */
static gchar *
recording_wrapper (Fixture *f, gchar **record)
{
  gchar *script, *wrapper;

  *record = g_build_filename (lab_get_dir (f->lab), "wrapper-ran", NULL);
  script = g_strdup_printf ("#!/bin/sh\necho ran > '%s'\necho 'wrapper: not a tor'\nexit 3\n",
                            *record);
  wrapper = lab_write_file (f->lab, "recording-tor", script);
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  g_free (script);
  return wrapper;
}

/* [tor] data-directory that others may write to, or that is a symbolic
 * link, or not ours: refused before tor is started. */
static void
test_launch_data_dir_unsafe (Fixture *f, gconstpointer data)
{
  gchar *record, *wrapper, *shared, *group, *link, *private_dir, *cfg, *expected;
  const gchar *dir;

  if (!lab_ready ())
    return;
  dir = lab_get_dir (f->lab);
  wrapper = recording_wrapper (f, &record);
  shared = g_build_filename (dir, "shared", NULL);
  g_assert_cmpint (g_mkdir (shared, 0700), ==, 0);
  g_assert_cmpint (chmod (shared, 0777), ==, 0);
  group = g_build_filename (dir, "group", NULL);
  g_assert_cmpint (g_mkdir (group, 0700), ==, 0);
  g_assert_cmpint (chmod (group, 0770), ==, 0);
  private_dir = g_build_filename (dir, "private", NULL);
  g_assert_cmpint (g_mkdir (private_dir, 0700), ==, 0);
  link = g_build_filename (dir, "link", NULL);
  g_assert_cmpint (symlink (private_dir, link), ==, 0);

  {
    const struct {
      const gchar *path;
      const gchar *problem;
    } cases[] = {
      { shared, "others may write to it (mode 0777)" },
      { group, "others may write to it (mode 0770)" },
      { link, "it is a symbolic link" },
      { "/", "it belongs to uid 0, not to us" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        /* Under a root CI, "/" is ours. */
        if (geteuid () == 0 && strcmp (cases[i].path, "/") == 0)
          continue;
        g_test_message ("data-directory %s", cases[i].path);
        cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n"
                               "data-directory = %s\n", wrapper, cases[i].path);
        use_config (f, cfg);
        connect_furl (f, "tor:" ONION_V3 ":80", 20000);
        expected = g_strdup_printf ("refusing tahoe.cfg [tor] data-directory %s: %s",
                                    cases[i].path, cases[i].problem);
        assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, FINDING);
        g_assert_nonnull (strstr (f->error->message, "accepted: a directory of ours that only "
                                                     "we may write to (chmod 700), or a path "
                                                     "that does not exist yet (created 0700)"));
        g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
        g_free (expected);
        g_free (cfg);
      }
  }

  /* A path that does not exist yet is created 0700, and used. */
  {
    gchar *fresh = g_build_filename (dir, "fresh", "tor", NULL);
    GStatBuf st;

    cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\ndata-directory = %s\n",
                           wrapper, fresh);
    use_config (f, cfg);
    connect_furl (f, "tor:" ONION_V3 ":80", 20000);
    assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                   "the launched tor exited with status 3 before opening its control port; "
                   "its last words: wrapper: not a tor", FINDING);
    g_assert_true (g_file_test (record, G_FILE_TEST_EXISTS));
    g_assert_cmpint (g_lstat (fresh, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0700);
    g_free (cfg);
    g_free (fresh);
  }

  g_free (record);
  g_free (wrapper);
  g_free (shared);
  g_free (group);
  g_free (link);
  g_free (private_dir);
  assert_fds_back (f);
}

/* A symbolic link planted in the data directory where the plugin writes
 * (tor.log, its torrc, the control-port file) is refused and never
 * followed: its target is unchanged. */
static void
test_launch_planted_symlink (Fixture *f, gconstpointer data)
{
  static const gchar *const names[] = { "tor.log", "furlhint-torrc", "control-port" };
  gchar *record, *wrapper, *target;

  if (!lab_ready ())
    return;
  wrapper = recording_wrapper (f, &record);
  target = lab_write_file (f->lab, "precious", "precious contents\n");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      gchar *sub = g_strdup_printf ("data%" G_GSIZE_FORMAT, i);
      gchar *data_dir = g_build_filename (lab_get_dir (f->lab), sub, NULL);
      gchar *planted = g_build_filename (data_dir, names[i], NULL);
      gchar *cfg, *expected, *contents = NULL;

      g_test_message ("planted %s", planted);
      g_assert_cmpint (g_mkdir (data_dir, 0700), ==, 0);
      g_assert_cmpint (symlink (target, planted), ==, 0);
      cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\ndata-directory = %s\n",
                             wrapper, data_dir);
      use_config (f, cfg);
      connect_furl (f, "tor:" ONION_V3 ":80", 20000);
      expected = g_strdup_printf ("refusing to launch tor: %s is a symbolic link, not a file "
                                  "furlhint wrote; accepted: remove it", planted);
      assert_failed (f, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, expected, FINDING);
      g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "precious contents\n");
      g_assert_true (g_file_test (planted, G_FILE_TEST_IS_SYMLINK));
      g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
      g_free (contents);
      g_free (expected);
      g_free (cfg);
      g_free (planted);
      g_free (data_dir);
      g_free (sub);
    }

  g_free (target);
  g_free (record);
  g_free (wrapper);
  assert_fds_back (f);
}

/* The launched "tor" names a control port off this machine in its
 * control-port file: refused, never connected to. */
static void
test_launch_control_file_elsewhere (Fixture *f, gconstpointer data)
{
  gchar *wrapper, *cfg;

  if (!lab_ready ())
    return;
  wrapper = lab_write_file (f->lab, "elsewhere-tor",
                            "#!/bin/sh\n"
                            "while [ $# -gt 0 ]; do\n"
                            "  [ \"$1\" = --ControlPortWriteToFile ] && file=$2\n"
                            "  shift\n"
                            "done\n"
                            "echo PORT=198.51.100.7:9051 > \"$file.tmp\" && mv \"$file.tmp\" \"$file\"\n"
                            "exec sleep 60\n");
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n", wrapper);
  use_config (f, cfg);
  connect_furl (f, "tor:" ONION_V3 ":80", 20000);
  assert_failed (f, FURLHINT_CONNECT_ERROR_PROTOCOL,
                 "the launched tor wrote “PORT=198.51.100.7:9051” into ", FINDING);
  g_assert_nonnull (strstr (f->error->message, "expected “PORT=ADDRESS:PORT” with an address "
                                               "on loopback"));
  g_free (wrapper);
  g_free (cfg);
  assert_fds_back (f);
}

/* --- publishing onion services ----------------------------------------------- */

#define PUBLISH_WAIT_MS 30000

typedef struct {
  FurlHintPublishArgs args;
  GHashTable *options;
  GPtrArray *statuses;
  gchar *endpoint;
} Publish;

/* An onion endpoint on virtual port 80 forwarding to 127.0.0.1:@local,
 * its key at @key_path (a directory when @is_dir). */
static void
publish_init (Publish *p, const gchar *key_path, gboolean is_dir, gboolean create,
              const gchar *local_host, guint16 local)
{
  memset (p, 0, sizeof *p);
  p->options = g_hash_table_new (g_str_hash, g_str_equal);
  p->statuses = g_ptr_array_new_with_free_func (g_free);
  p->endpoint = g_strdup_printf ("onion:80:%s=%s", is_dir ? "hiddenServiceDir"
                                                         : "privateKeyFile", key_path);
  p->args.struct_size = sizeof p->args;
  p->args.endpoint = p->endpoint;
  p->args.kind = "onion";
  p->args.port = 80;
  p->args.key_path = key_path;
  p->args.key_is_dir = is_dir;
  p->args.options = p->options;
  p->args.local_address = g_inet_socket_address_new_from_string (local_host, local);
  p->args.create_key = create;
}

static void
publish_clear (Publish *p)
{
  g_hash_table_unref (p->options);
  g_ptr_array_unref (p->statuses);
  g_object_unref (p->args.local_address);
  g_free (p->endpoint);
}

static gchar *
publish (Fixture *f, Publish *p, gpointer *publication, GError **error)
{
  g_ptr_array_set_size (p->statuses, 0);
  return lab_publish (f->ctx, "tor", &p->args, PUBLISH_WAIT_MS, p->statuses, publication,
                      error);
}

static void
assert_publish_statuses (Publish *p)
{
  g_assert_cmpuint (p->statuses->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (p->statuses, 0), ==, "connecting to a Tor control port");
  g_assert_cmpstr (g_ptr_array_index (p->statuses, 1), ==, "publishing onion service");
  g_assert_cmpstr (g_ptr_array_index (p->statuses, 2), ==, "published");
}

static guint
file_mode (const gchar *path)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static gchar *
read_hostname (const gchar *dir)
{
  gchar *path = g_build_filename (dir, "hostname", NULL);
  gchar *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_free (path);
  return g_strstrip (text);
}

/* Keys tor made in its own HiddenServiceDir give the address tor gave
 * them; a new key is saved in tor's layout and gives the same address
 * again; a service lives while its publication is held (the same key is
 * refused elsewhere meanwhile) and is gone once unpublished. Tor without
 * a network (docs/lab-notes.md: ADD_ONION succeeds, nothing is
 * uploaded). */
static void
test_publish_keys (Fixture *f, gconstpointer data)
{
  gchar *tor_dir, *hs_arg, *cfg, *hostname, *expected, *hint, *again, *new_dir, *key_file;
  gchar *contents = NULL;
  gpointer pub = NULL, pub2 = NULL;
  GError *error = NULL;
  guint16 control;
  Publish p;

  if (!lab_ready ())
    return;
  /* tor0 makes a key in its own layout; tor1 (another process, so no
   * collision with tor0's service) publishes from that directory. */
  tor_dir = g_build_filename (lab_get_dir (f->lab), "tor-made-hs", NULL);
  hs_arg = g_strdup (tor_dir);
  {
    const gchar *const make_hs[] = {
      "--DisableNetwork", "1", "--SocksPort", "0", "--HiddenServiceDir", hs_arg,
      "--HiddenServicePort", "80 127.0.0.1:1", NULL
    };
    gchar *hostname_file = g_build_filename (tor_dir, "hostname", NULL);
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    start_tor (f, make_hs, NULL);
    while (!g_file_test (hostname_file, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time () < deadline)
      g_usleep (20000);
    g_assert_true (g_file_test (hostname_file, G_FILE_TEST_EXISTS));
    g_free (hostname_file);
  }
  control = start_tor (f, disablenet_cookie, NULL);
  cfg = control_config (control, NULL);
  use_config (f, cfg);

  hostname = read_hostname (tor_dir);
  expected = g_strdup_printf ("tor:%s:80", hostname);
  publish_init (&p, tor_dir, TRUE, FALSE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hint, ==, expected);
  assert_publish_statuses (&p);
  g_assert_true (has_line (f->logs, "SAFECOOKIE authentication"));
  lab_unpublish (f->ctx, "tor", pub);
  publish_clear (&p);
  g_free (hint);

  /* A new key directory: created 0700, tor's files 0600. */
  new_dir = g_build_filename (lab_get_dir (f->lab), "node", "private", "hs", NULL);
  publish_init (&p, new_dir, TRUE, TRUE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  assert_publish_statuses (&p);
  g_free (hostname);
  hostname = read_hostname (new_dir);
  g_free (expected);
  expected = g_strdup_printf ("tor:%s:80", hostname);
  g_assert_cmpstr (hint, ==, expected);
  g_assert_cmpuint (file_mode (new_dir), ==, 0700);
  {
    gchar *secret = g_build_filename (new_dir, "hs_ed25519_secret_key", NULL);
    gchar *name = g_build_filename (new_dir, "hostname", NULL);
    gsize len = 0;

    g_assert_cmpuint (file_mode (secret), ==, 0600);
    g_assert_cmpuint (file_mode (name), ==, 0600);
    g_assert_true (g_file_get_contents (secret, &contents, &len, NULL));
    g_assert_cmpuint (len, ==, 96);
    g_assert_cmpstr (contents, ==, "== ed25519v1-secret: type0 ==");
    g_free (contents);
    g_free (secret);
    g_free (name);
  }

  /* While it is held, the same key cannot be published again. */
  p.args.create_key = FALSE;
  again = publish (f, &p, &pub2, &error);
  g_assert_null (again);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Onion address collision"));
  g_clear_error (&error);
  /* Unpublished: the same address again, from the saved key. */
  lab_unpublish (f->ctx, "tor", pub);
  again = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, hint);
  lab_unpublish (f->ctx, "tor", pub);
  publish_clear (&p);
  g_free (again);
  g_free (hint);

  /* Tahoe's onion.private_key_file: the ADD_ONION blob, 0600. */
  key_file = g_build_filename (lab_get_dir (f->lab), "node", "private", "onion.privkey", NULL);
  publish_init (&p, key_file, FALSE, TRUE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (key_file), ==, 0600);
  g_assert_true (g_file_get_contents (key_file, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "ED25519-V3:"));
  g_free (contents);
  lab_unpublish (f->ctx, "tor", pub);
  p.args.create_key = FALSE;
  again = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, hint);
  g_assert_cmpstr (again, !=, expected);
  lab_unpublish (f->ctx, "tor", pub);
  publish_clear (&p);

  g_free (again);
  g_free (hint);
  g_free (key_file);
  g_free (new_dir);
  g_free (expected);
  g_free (hostname);
  g_free (cfg);
  g_free (hs_arg);
  g_free (tor_dir);
  assert_fds_back (f);
}

/* What is refused, each before any key is written and with a message
 * saying what is accepted. No tor runs: the control port is closed, so
 * whatever got as far as connecting would fail differently. */
static void
test_publish_refused (Fixture *f, gconstpointer data)
{
  static const struct {
    const gchar *key, *value, *problem;
  } options[] = {
    { "version", "2", "only version 3 onion services" },
    { "singleHop", "true", "single-hop (non-anonymous)" },
    { "nonAnonymous", "1", "single-hop (non-anonymous)" },
    { "controlPort", "9051", "through the control port of the [tor] section" },
    { "hiddenservicedirs", "x", "unknown onion endpoint option “hiddenservicedirs”" },
  };
  gchar *cfg, *dir, *hint, *unsafe;
  gpointer pub = NULL;
  GError *error = NULL;
  guint16 closed;
  Publish p;

  if (!lab_ready ())
    return;
  dir = g_build_filename (lab_get_dir (f->lab), "hs", NULL);

  /* A SOCKS port alone cannot publish. */
  cfg = g_strdup_printf ("[tor]\nsocks.port = tcp:127.0.0.1:%u\n", tor_free_port ());
  use_config (f, cfg);
  g_free (cfg);
  publish_init (&p, dir, TRUE, TRUE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_null (hint);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "only a SOCKS port is configured"));
  g_assert_nonnull (strstr (error->message, "[tor] control.port"));
  g_assert_nonnull (strstr (error->message, "launch = true"));
  g_clear_error (&error);
  g_assert_cmpuint (p.statuses->len, ==, 0);
  publish_clear (&p);

  closed = tor_free_port ();
  cfg = control_config (closed, NULL);
  use_config (f, cfg);
  g_free (cfg);
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    {
      publish_init (&p, dir, TRUE, TRUE, "127.0.0.1", 1);
      g_hash_table_insert (p.options, (gpointer) options[i].key, (gpointer) options[i].value);
      g_assert_null (publish (f, &p, &pub, &error));
      g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED);
      g_test_message ("%s", error->message);
      if (strstr (error->message, options[i].problem) == NULL)
        g_error ("%s=%s: %s", options[i].key, options[i].value, error->message);
      g_clear_error (&error);
      publish_clear (&p);
    }
  /* Harmless ones pass the check (and fail on the closed port). */
  publish_init (&p, dir, TRUE, TRUE, "127.0.0.1", 1);
  g_hash_table_insert (p.options, "version", "3");
  g_hash_table_insert (p.options, "singleHop", "false");
  g_assert_null (publish (f, &p, &pub, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN);
  g_assert_nonnull (strstr (error->message, "refused the connection"));
  g_clear_error (&error);
  /* Nothing was written: the key is saved only once tor made it. */
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  publish_clear (&p);

  /* Forwarding anywhere but loopback. */
  publish_init (&p, dir, TRUE, TRUE, "192.0.2.1", 80);
  g_assert_null (publish (f, &p, &pub, &error));
  g_assert_nonnull (strstr (error->message, "refusing to forward the onion service to "
                                            "192.0.2.1 port 80"));
  g_clear_error (&error);
  publish_clear (&p);

  /* A relative key path; a missing key that may not be made. */
  publish_init (&p, "relative/hs", TRUE, TRUE, "127.0.0.1", 1);
  g_assert_null (publish (f, &p, &pub, &error));
  g_assert_nonnull (strstr (error->message, "is relative"));
  g_clear_error (&error);
  publish_clear (&p);
  publish_init (&p, dir, TRUE, FALSE, "127.0.0.1", 1);
  g_assert_null (publish (f, &p, &pub, &error));
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);
  publish_clear (&p);

  /* A key directory others may read: refused before connecting. */
  unsafe = g_build_filename (lab_get_dir (f->lab), "unsafe", NULL);
  g_assert_cmpint (g_mkdir (unsafe, 0755), ==, 0);
  g_assert_cmpint (chmod (unsafe, 0755), ==, 0);
  publish_init (&p, unsafe, TRUE, TRUE, "127.0.0.1", 1);
  g_assert_null (publish (f, &p, &pub, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "others may read it (mode 0755)"));
  g_assert_cmpuint (p.statuses->len, ==, 1);
  g_clear_error (&error);
  publish_clear (&p);

  g_free (unsafe);
  g_free (dir);
  assert_fds_back (f);
}

/* [tor] launch = true: the onion service goes to the launched tor, as
 * soon as its control port is known (tor takes it before bootstrapping;
 * this one never does: no network). */
static void
test_publish_launch (Fixture *f, gconstpointer data)
{
  gchar *script, *wrapper, *cfg, *dir, *hint;
  gpointer pub = NULL;
  GError *error = NULL;
  Publish p;

  if (!lab_ready ())
    return;
  /* As test_launch_bootstrap_wait: ports picked here, for the leak checker. */
  script = g_strdup_printf ("#!/bin/sh\nprev=\n"
                            "for a do\n"
                            "  shift\n"
                            "  case $prev/$a in\n"
                            "    --ControlPort/auto) set -- \"$@\" 127.0.0.1:%u ;;\n"
                            "    --SocksPort/auto) set -- \"$@\" 127.0.0.1:%u ;;\n"
                            "    *) set -- \"$@\" \"$a\" ;;\n"
                            "  esac\n"
                            "  prev=$a\n"
                            "done\n"
                            "exec tor \"$@\" --DisableNetwork 1 --GeoIPFile '%s' "
                            "--GeoIPv6File '%s'\n", tor_free_port (), tor_free_port (),
                            f->empty, f->empty);
  wrapper = lab_write_file (f->lab, "tor-wrapper", script);
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  cfg = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n", wrapper);
  use_config (f, cfg);

  dir = g_build_filename (lab_get_dir (f->lab), "hs", NULL);
  publish_init (&p, dir, TRUE, TRUE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  assert_publish_statuses (&p);
  {
    gchar *hostname = read_hostname (dir);
    gchar *expected = g_strdup_printf ("tor:%s:80", hostname);

    g_assert_cmpstr (hint, ==, expected);
    g_free (expected);
    g_free (hostname);
  }
  lab_unpublish (f->ctx, "tor", pub);
  publish_clear (&p);

  g_free (hint);
  g_free (dir);
  g_free (cfg);
  g_free (wrapper);
  g_free (script);
  assert_fds_back (f);
}

/* Unpublishing runs on the caller's main loop and must not wait for tor:
 * with the real tor stopped (SIGSTOP: its control port accepts nothing
 * and answers nothing, as a hung tor), unpublish returns at once, and
 * fini (the last context reference, as when a listener closes and the
 * node stops) gives the DEL_ONION its grace (1 s), then cuts it short and
 * closes the control connection. Before, unpublish blocked for
 * TOR_CONTROL_IO_TIMEOUT_S (10 s). */
static void
test_publish_unpublish_hung (Fixture *f, gconstpointer data)
{
  gchar *cfg, *dir, *hint;
  gpointer pub = NULL;
  GError *error = NULL;
  LabProc *tor = NULL;
  guint16 control;
  gint64 start, unpublish_us, fini_us;
  Publish p;

  if (!lab_ready ())
    return;
  control = start_tor (f, disablenet_cookie, &tor);
  cfg = control_config (control, NULL);
  use_config (f, cfg);
  dir = g_build_filename (lab_get_dir (f->lab), "hs", NULL);
  publish_init (&p, dir, TRUE, TRUE, "127.0.0.1", 1);
  hint = publish (f, &p, &pub, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hint);

  g_assert_cmpint (kill (lab_proc_get_pid (tor), SIGSTOP), ==, 0);
  start = g_get_monotonic_time ();
  lab_unpublish (f->ctx, "tor", pub);
  unpublish_us = g_get_monotonic_time () - start;
  start = g_get_monotonic_time ();
  drop_context (f);
  fini_us = g_get_monotonic_time () - start;
  g_assert_cmpint (kill (lab_proc_get_pid (tor), SIGCONT), ==, 0);
  g_test_message ("unpublish took %" G_GINT64_FORMAT " us, fini %" G_GINT64_FORMAT " us",
                  unpublish_us, fini_us);
  /* failure bounds only: half of the control port's I/O timeout */
  g_assert_cmpint (unpublish_us, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (fini_us, <, 5 * G_USEC_PER_SEC);

  publish_clear (&p);
  g_free (hint);
  g_free (dir);
  g_free (cfg);
  assert_fds_back (f);
}

/* Runs `furlhint location --create --config @cfg_path`; returns the exit
 * status, stdout and stderr. */
static gint
run_location_create (const gchar *cfg_path, gchar **out, gchar **err)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  GSubprocess *p;
  GError *error = NULL;
  gint status;

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                        cli, "location", "--create", "--config", cfg_path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  status = g_subprocess_get_exit_status (p);
  g_test_message ("location --create: exit %d\n%s%s", status, *out, *err);
  g_object_unref (p);
  return status;
}

/* `furlhint location --create`: the missing onion key made through a real
 * tor's control port (saved in tor's layout, 0700), the hint it gives
 * printed; a second run finds it and publishes nothing; with no tor
 * reachable it fails, says why, and writes nothing. */
static void
test_location_create (Fixture *f, gconstpointer data)
{
  gchar *dir, *cfg, *path, *out = NULL, *err = NULL, *hostname, *expected;
  guint16 control;

  if (!lab_ready ())
    return;
  if (g_getenv ("FURLHINT_CLI") == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return;
    }
  control = start_tor (f, disablenet_cookie, NULL);
  dir = g_build_filename (lab_get_dir (f->lab), "node", "private", "hs", NULL);
  cfg = g_strdup_printf ("[node]\nanonymous = true\n"
                         "tub.location = onion:80:hiddenServiceDir=%s\n"
                         "[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", dir, control);
  path = lab_write_file (f->lab, "tahoe.cfg", cfg);
  g_assert_cmpint (run_location_create (path, &out, &err), ==, 0);
  hostname = read_hostname (dir);
  expected = g_strdup_printf ("location: tor:%s:80\n", hostname);
  g_assert_true (g_str_has_prefix (out, expected));
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_nonnull (strstr (err, "): published tor:"));
  g_assert_nonnull (strstr (err, "): unpublished\n"));
  g_free (out);
  g_free (err);

  /* the key is there: nothing to make, the same address */
  g_assert_cmpint (run_location_create (path, &out, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out, expected));
  g_assert_cmpstr (err, ==, "");
  g_free (out);
  g_free (err);
  g_free (path);
  g_free (cfg);
  g_free (dir);

  /* no tor there */
  dir = g_build_filename (lab_get_dir (f->lab), "node", "private", "hs2", NULL);
  cfg = g_strdup_printf ("[node]\nanonymous = true\n"
                         "tub.location = onion:80:hiddenServiceDir=%s\n"
                         "[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", dir, tor_free_port ());
  path = lab_write_file (f->lab, "tahoe2.cfg", cfg);
  g_assert_cmpint (run_location_create (path, &out, &err), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "furlhint location: could not create every missing key: "
                                 "onion:80:hiddenServiceDir="));
  g_assert_nonnull (strstr (err, "refused the connection"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  g_free (out);
  g_free (err);
  g_free (expected);
  g_free (hostname);
  g_free (path);
  g_free (cfg);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  leakcheck_maybe_reexec (argv);
  /* Re-executed under the checker (FURLHINT_TEST_LEAKCHECK=1): check this
   * program only, not the tors and wrapper scripts it starts, as
   * leakcheck-run.sh does; they inherit LD_PRELOAD. */
  if (leakcheck_is_active () && g_getenv ("FURLHINT_LEAKCHECK_ONLY") == NULL)
    {
      gchar *self = g_path_get_basename (argv[0]);

      g_setenv ("FURLHINT_LEAKCHECK_ONLY", self, TRUE);
      g_free (self);
    }
  /* Tor's default SOCKS ports, which the plugin probes. */
  leakcheck_allow ("127.0.0.1:9050");
  leakcheck_allow ("127.0.0.1:9150");
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/connect/tor/control/safecookie", test_safecookie);
  ADD ("/connect/tor/control/hashedpassword", test_password);
  ADD ("/connect/tor/control/cookie-scripted", test_cookie_scripted);
  ADD ("/connect/tor/control/cookie-refused", test_cookie_refused);
  ADD ("/connect/tor/control/null-refused", test_null_refused);
  ADD ("/connect/tor/control/cookie-file-hostile", test_cookie_file_hostile);
  ADD ("/connect/tor/control/listener-elsewhere", test_listener_elsewhere);
  ADD ("/connect/tor/control/refused", test_control_refused);
  ADD ("/connect/tor/default-ports/down", test_default_ports_down);
  ADD ("/connect/tor/deadauth", test_deadauth);
  ADD ("/connect/tor/isolation", test_isolation);
  ADD ("/connect/tor/refuse-targets", test_refuse_targets);
  ADD ("/connect/tor/launch/bootstrap-wait", test_launch_bootstrap_wait);
  ADD ("/connect/tor/launch/fails", test_launch_fails);
  ADD ("/connect/tor/launch/data-dir-unsafe", test_launch_data_dir_unsafe);
  ADD ("/connect/tor/launch/planted-symlink", test_launch_planted_symlink);
  ADD ("/connect/tor/launch/control-file-elsewhere", test_launch_control_file_elsewhere);
  ADD ("/connect/tor/publish/keys", test_publish_keys);
  ADD ("/connect/tor/publish/refused", test_publish_refused);
  ADD ("/connect/tor/publish/launch", test_publish_launch);
  ADD ("/connect/tor/publish/unpublish-hung", test_publish_unpublish_hung);
  ADD ("/connect/tor/location-create", test_location_create);
#undef ADD

  return g_test_run ();
}
