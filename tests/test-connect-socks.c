/* Connecting through a SOCKS5 proxy (`[connections] tcp.socks-proxy`), end
 * to end, against real proxies on loopback: microsocks without and with
 * username/password, and Dante (danted). Runs in a private network
 * namespace (tests/lab.c); each proxy runs in a mount namespace of its own
 * whose /etc/hosts knows echo.lab.test and whose resolver answers nothing
 * else, so that a name the proxy reaches proves it was resolved by the
 * proxy and not here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <string.h>
#include <netdb.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define LAB_NAME "echo.lab.test"
#define LAB_HOSTS "127.0.0.1 " LAB_NAME "\n"
#define USER "labuser"
#define PASS "labpass"

typedef enum {
  PROXY_MICROSOCKS,
  PROXY_MICROSOCKS_AUTH,
  PROXY_DANTE,
} ProxyKind;

static const gchar *const proxy_names[] = { "microsocks", "microsocks-auth", "danted" };

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  LabStatuses statuses;
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  guint16 echo_port;
  guint16 proxy_port;
  guint stagger_ms;             /* 0: 50 ms */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
  lab_statuses_init (&f->statuses);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  furlhint_connect_result_unref (f->result);
  g_clear_error (&f->error);
  if (f->ctx != NULL)
    furlhint_context_unref (f->ctx);
  lab_statuses_clear (&f->statuses);
  lab_free (f->lab);
}

/* A context whose tahoe.cfg says `tcp.socks-proxy = @proxy`. */
static void
make_context (Fixture *f, const gchar *proxy)
{
  gchar *text = g_strdup_printf ("[connections]\ntcp.socks-proxy = %s\n", proxy);

  if (f->ctx != NULL)
    furlhint_context_unref (f->ctx);
  f->ctx = lab_context_new (text, NULL, NULL);
  g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (f->ctx, "socks")));
  g_free (text);
}

static guint16
start_proxy_on (Fixture *f, ProxyKind kind, guint16 port)
{
  GError *error = NULL;
  gchar *port_text = g_strdup_printf ("%u", port);
  LabProc *proc = NULL;

  switch (kind)
    {
    case PROXY_MICROSOCKS:
      {
        const gchar *argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_text, NULL };
        proc = lab_spawn_isolated (f->lab, "microsocks", LAB_HOSTS, argv, &error);
      }
      break;
    case PROXY_MICROSOCKS_AUTH:
      {
        const gchar *argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_text,
                                "-u", USER, "-P", PASS, NULL };
        proc = lab_spawn_isolated (f->lab, "microsocks-auth", LAB_HOSTS, argv, &error);
      }
      break;
    case PROXY_DANTE:
      {
        /* A minimal configuration (docs/lab-notes.md, "SOCKS proxies"):
         * every option on its own line; started as root it drops to
         * nobody. */
        gchar *conf_text = g_strdup_printf (
          "logoutput: stderr\n"
          "internal: 127.0.0.1 port = %u\n"
          "external: 127.0.0.1\n"
          "external: ::1\n"
          "socksmethod: none\n"
          "clientmethod: none\n"
          "user.unprivileged: nobody\n"
          "client pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}\n"
          "socks pass {\n  from: 127.0.0.0/8 to: 127.0.0.0/8\n  command: connect\n}\n"
          "socks pass {\n  from: 127.0.0.0/8 to: ::1/128\n  command: connect\n}\n"
          "socks pass {\n  from: 127.0.0.0/8 to: .lab.test\n  command: connect\n}\n",
          port);
        gchar *conf = lab_write_file (f->lab, "danted.conf", conf_text);
        const gchar *argv[] = { "danted", "-f", conf, "-N", "1", NULL };
        proc = lab_spawn_isolated (f->lab, "danted", LAB_HOSTS, argv, &error);
        g_free (conf);
        g_free (conf_text);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_no_error (error);
  lab_wait_port (proc, "127.0.0.1", port, LAB_WAIT_PORT_MS, &error);
  g_assert_no_error (error);
  g_free (port_text);
  return port;
}

/* Echo server, and the proxy on a free port. */
static void
start_servers (Fixture *f, ProxyKind kind)
{
  GError *error = NULL;

  f->echo_port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->proxy_port = start_proxy_on (f, kind, lab_free_port ("127.0.0.1"));
}

static void
connect_furl (Fixture *f, const gchar *hints, GCancellable *cancellable)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  options.rank.stagger_ms = f->stagger_ms != 0 ? f->stagger_ms : 50;
  options.timeout_ms = 15000;
  options.status = lab_on_status;
  options.status_data = &f->statuses;
  furlhint_connect_result_unref (f->result);
  f->result = NULL;
  g_clear_error (&f->error);
  g_ptr_array_set_size (f->statuses.lines, 0);
  f->result = lab_connect (f->ctx, TUB, hints, &options, cancellable, 30000, &f->error);
}

static void
assert_fds_back (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
}

static gchar *
proxy_setting (Fixture *f, ProxyKind kind, const gchar *password)
{
  if (kind == PROXY_MICROSOCKS_AUTH)
    return g_strdup_printf ("tcp:127.0.0.1:%u:user=" USER ":password=%s", f->proxy_port,
                            password != NULL ? password : PASS);
  return g_strdup_printf ("tcp:127.0.0.1:%u", f->proxy_port);
}

/* --- through each proxy ------------------------------------------------------ */

typedef struct {
  ProxyKind kind;
  const gchar *target;   /* host in the hint; NULL = the echo server's address */
} Case;

/* Reaches the echo server through the proxy; with a name, proves the name
 * was resolved by the proxy: this process cannot resolve it. */
static void
test_echo (Fixture *f, gconstpointer data)
{
  const Case *c = data;
  const gchar *host = c->target != NULL ? c->target : "127.0.0.1";
  gchar *proxy, *hints, *statuses, *expected;
  const FurlHintPlanEntry *winner;

  if (!lab_ready ())
    return;
  start_servers (f, c->kind);
  if (strchr (host, ':') != NULL)
    {
      GError *error = NULL;
      f->echo_port = lab_echo_server_start (f->lab, host, &error);
      g_assert_no_error (error);
    }
  proxy = proxy_setting (f, c->kind, NULL);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();

  if (g_str_equal (host, LAB_NAME))
    {
      /* getaddrinfo() in this thread (GResolver's worker threads make
       * glibc leak its resolver state under valgrind). */
      struct addrinfo *ai = NULL;
      int rc = getaddrinfo (LAB_NAME, NULL, NULL, &ai);

      g_assert_cmpint (rc, !=, 0);
      g_test_message ("locally, %s does not resolve: %s", LAB_NAME, gai_strerror (rc));
    }

  hints = g_strdup_printf (strchr (host, ':') != NULL ? "tcp:[%s]:%u" : "tcp:%s:%u",
                           host, f->echo_port);
  connect_furl (f, hints, NULL);
  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "socks");
  g_assert_cmpstr (winner->target.host, ==, host);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "through the proxy\n", 10);

  statuses = lab_statuses_join (&f->statuses);
  expected = g_strdup_printf ("0:connecting|0:connecting to SOCKS proxy 127.0.0.1:%u|"
                              "0:asking SOCKS proxy 127.0.0.1:%u for %s%s%s:%u|0:connected",
                              f->proxy_port, f->proxy_port,
                              strchr (host, ':') != NULL ? "[" : "", host,
                              strchr (host, ':') != NULL ? "]" : "", f->echo_port);
  g_assert_cmpstr (statuses, ==, expected);
  g_free (expected);
  g_free (statuses);
  g_free (hints);
  g_free (proxy);
  assert_fds_back (f);
}

/* The proxy's refusal, with its reply code, as the hint's error. */
static void
test_reply_error (Fixture *f, gconstpointer data)
{
  const Case *c = data;
  gchar *proxy, *hints;
  guint16 closed;
  gint code;
  const gchar *message;

  if (!lab_ready ())
    return;
  start_servers (f, c->kind);
  proxy = proxy_setting (f, c->kind, NULL);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();
  closed = lab_free_port ("127.0.0.1");

  if (c->target == NULL)
    {
      hints = g_strdup_printf ("tcp:127.0.0.1:%u", closed);
      code = FURLHINT_CONNECT_ERROR_REFUSED;
      message = "proxy refused: connection refused (SOCKS reply 5)";
    }
  else
    {
      hints = g_strdup_printf ("tcp:%s:%u", c->target, f->echo_port);
      /* Observed: microsocks answers a failed lookup with REP 1, Dante
       * with REP 4. */
      if (c->kind == PROXY_DANTE)
        {
          code = FURLHINT_CONNECT_ERROR_UNREACHABLE;
          message = "proxy refused: host unreachable (SOCKS reply 4)";
        }
      else
        {
          code = FURLHINT_CONNECT_ERROR_FAILED;
          message = "proxy refused: general SOCKS server failure (SOCKS reply 1)";
        }
    }
  connect_furl (f, hints, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, code);
  g_assert_cmpstr (f->error->message, ==, message);
  if (code == FURLHINT_CONNECT_ERROR_REFUSED)
    g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "connection refused");
  else
    {
      gchar *status = g_strconcat ("failed to connect: ", message, NULL);
      g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, status);
      g_free (status);
    }
  g_free (hints);
  g_free (proxy);
  assert_fds_back (f);
}

/* --- authentication ------------------------------------------------------------ */

static void
test_auth_wrong_password (Fixture *f, gconstpointer data)
{
  gchar *proxy, *hints;

  if (!lab_ready ())
    return;
  start_servers (f, PROXY_MICROSOCKS_AUTH);
  proxy = proxy_setting (f, PROXY_MICROSOCKS_AUTH, "wrong");
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u", f->echo_port);
  connect_furl (f, hints, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_cmpstr (f->error->message, ==, "proxy rejected the username/password (status 2)");
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "failed to connect: proxy rejected the username/password (status 2)");
  g_free (hints);
  g_free (proxy);
  assert_fds_back (f);
}

/* No credentials configured, but the proxy wants them: 05 FF. */
static void
test_auth_missing (Fixture *f, gconstpointer data)
{
  gchar *proxy, *hints;

  if (!lab_ready ())
    return;
  start_servers (f, PROXY_MICROSOCKS_AUTH);
  proxy = g_strdup_printf ("tcp:127.0.0.1:%u", f->proxy_port);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:127.0.0.1:%u", f->echo_port);
  connect_furl (f, hints, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (f->error->message, "username and password"));
  g_free (hints);
  g_free (proxy);
  assert_fds_back (f);
}

/* --- the proxy itself ------------------------------------------------------------- */

/* A closed proxy port is TRANSPORT_DOWN naming the proxy; the context
 * remembers it, so the next connect fails at once with the same cause even
 * though the proxy has come up meanwhile (for 30 s). */
static void
test_proxy_down (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gchar *proxy, *hints, *expected;

  if (!lab_ready ())
    return;
  f->echo_port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  f->proxy_port = lab_free_port ("127.0.0.1");
  proxy = proxy_setting (f, PROXY_MICROSOCKS, NULL);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();

  /* Two hints: the second fails on the first's cause without trying (it
   * starts when the first has failed, long before its stagger). */
  f->stagger_ms = 5000;
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:localhost:%u", f->echo_port, f->echo_port);
  connect_furl (f, hints, NULL);
  expected = g_strdup_printf ("SOCKS proxy 127.0.0.1:%u refused the connection: "
                              "is the proxy running?", f->proxy_port);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN);
  g_assert_cmpstr (f->error->message, ==, expected);
  {
    gchar *status = g_strconcat ("failed to connect: ", expected, NULL);
    gchar *statuses = lab_statuses_join (&f->statuses);
    gchar *want = g_strdup_printf ("0:connecting|0:connecting to SOCKS proxy 127.0.0.1:%u|0:%s|1:%s",
                                   f->proxy_port, status, status);
    g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, status);
    g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 1), ==, status);
    g_assert_cmpstr (statuses, ==, want);
    g_free (want);
    g_free (statuses);
    g_free (status);
  }
  assert_fds_back (f);

  /* Memory: the proxy is up now, but the context still knows it down. */
  start_proxy_on (f, PROXY_MICROSOCKS, f->proxy_port);
  f->fds_before = lab_count_open_fds ();
  connect_furl (f, hints, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN);
  g_assert_cmpstr (f->error->message, ==, expected);
  {
    /* Neither hint tried (nor waited for its stagger). */
    gchar *statuses = lab_statuses_join (&f->statuses);
    g_assert_null (strstr (statuses, "connecting to SOCKS proxy"));
    g_free (statuses);
  }
  g_assert_cmpuint (furlhint_connect_result_get_elapsed_ms (f->result), <, f->stagger_ms);
  assert_fds_back (f);

  /* A new context has no memory: it connects. */
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();
  connect_furl (f, hints, NULL);
  g_assert_no_error (f->error);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "up again\n", 10);
  assert_fds_back (f);

  g_free (expected);
  g_free (hints);
  g_free (proxy);
}

/* `tcp.socks-proxy = unix:/path`: socat relays a unix socket to microsocks. */
static void
test_unix_proxy (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  gchar *path, *listen_arg, *connect_arg, *proxy, *hints;
  LabProc *relay;

  if (!lab_ready ())
    return;
  start_servers (f, PROXY_MICROSOCKS);
  path = g_build_filename (lab_get_dir (f->lab), "socks.sock", NULL);
  listen_arg = g_strdup_printf ("UNIX-LISTEN:%s,fork", path);
  connect_arg = g_strdup_printf ("TCP4:127.0.0.1:%u", f->proxy_port);
  {
    const gchar *argv[] = { "socat", listen_arg, connect_arg, NULL };
    relay = lab_spawn (f->lab, "unix-relay", argv, &error);
    g_assert_no_error (error);
  }
  lab_wait_unix_listener (relay, path, LAB_WAIT_PORT_MS, &error);
  g_assert_no_error (error);

  proxy = g_strdup_printf ("unix:%s", path);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();
  hints = g_strdup_printf ("tcp:" LAB_NAME ":%u", f->echo_port);
  connect_furl (f, hints, NULL);
  g_assert_no_error (f->error);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result), "over a unix socket\n", 10);
  assert_fds_back (f);

  /* No socket file: TRANSPORT_DOWN too. */
  lab_stop (relay);
  g_unlink (path);
  make_context (f, proxy);
  connect_furl (f, hints, NULL);
  g_assert_error (f->error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN);
  g_assert_true (g_str_has_prefix (f->error->message, "SOCKS proxy unix:"));

  g_free (hints);
  g_free (proxy);
  g_free (connect_arg);
  g_free (listen_arg);
  g_free (path);
}

/* A "proxy" that accepts the TCP connection and never answers: the caller's
 * cancellation, once the request is on its way (its status), ends the
 * handshake and closes the socket. */
static void
test_cancel_handshake (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  LabBlackHole *mute;
  GCancellable *cancellable = g_cancellable_new ();
  gchar *proxy, *cancel_at;

  if (!lab_ready ())
    return;
  mute = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  lab_black_hole_open (mute);
  f->proxy_port = lab_black_hole_get_port (mute);
  proxy = proxy_setting (f, PROXY_MICROSOCKS, NULL);
  make_context (f, proxy);
  f->fds_before = lab_count_open_fds ();

  cancel_at = g_strdup_printf ("0:asking SOCKS proxy 127.0.0.1:%u for " LAB_NAME ":80",
                               f->proxy_port);
  f->statuses.cancel_at = cancel_at;
  f->statuses.cancellable = cancellable;
  connect_furl (f, "tcp:" LAB_NAME ":80", cancellable);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, "abandoned");
  {
    /* It got as far as asking. */
    gchar *statuses = lab_statuses_join (&f->statuses);
    g_assert_nonnull (strstr (statuses, cancel_at));
    g_free (statuses);
  }
  assert_fds_back (f);
  f->statuses.cancel_at = NULL;
  g_free (cancel_at);
  g_object_unref (cancellable);
  g_free (proxy);
}

int
main (int argc, char **argv)
{
  static const Case echo_cases[] = {
    { PROXY_MICROSOCKS, NULL }, { PROXY_MICROSOCKS, LAB_NAME }, { PROXY_MICROSOCKS, "localhost" },
    { PROXY_MICROSOCKS, "::1" },
    { PROXY_MICROSOCKS_AUTH, NULL }, { PROXY_MICROSOCKS_AUTH, LAB_NAME },
    { PROXY_DANTE, NULL }, { PROXY_DANTE, LAB_NAME }, { PROXY_DANTE, "localhost" },
    { PROXY_DANTE, "::1" },
  };
  static const Case error_cases[] = {
    { PROXY_MICROSOCKS, NULL }, { PROXY_MICROSOCKS, "nosuch.invalid" },
    { PROXY_MICROSOCKS_AUTH, NULL },
    { PROXY_DANTE, NULL }, { PROXY_DANTE, "nosuch.invalid" },
  };

  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (echo_cases); i++)
    {
      const Case *c = &echo_cases[i];
      gchar *path = g_strdup_printf ("/connect/socks/%s/echo/%s", proxy_names[c->kind],
                                     c->target == NULL ? "ipv4"
                                     : g_str_equal (c->target, "::1") ? "ipv6"
                                     : c->target);
      g_test_add (path, Fixture, c, setup, test_echo, teardown);
      g_free (path);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const Case *c = &error_cases[i];
      gchar *path = g_strdup_printf ("/connect/socks/%s/%s", proxy_names[c->kind],
                                     c->target == NULL ? "refused" : "nxdomain");
      g_test_add (path, Fixture, c, setup, test_reply_error, teardown);
      g_free (path);
    }
  g_test_add ("/connect/socks/auth/wrong-password", Fixture, NULL, setup, test_auth_wrong_password, teardown);
  g_test_add ("/connect/socks/auth/missing", Fixture, NULL, setup, test_auth_missing, teardown);
  g_test_add ("/connect/socks/proxy-down", Fixture, NULL, setup, test_proxy_down, teardown);
  g_test_add ("/connect/socks/unix-proxy", Fixture, NULL, setup, test_unix_proxy, teardown);
  g_test_add ("/connect/socks/cancel-handshake", Fixture, NULL, setup, test_cancel_handshake, teardown);
  return g_test_run ();
}
