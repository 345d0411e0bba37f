/* The leak checker (tests/leakcheck/leakcheck.c) must be able to fail:
 * a plugin that lies about being anonymous (tests/leakcheck/leaky.la)
 * leaks in each way the checker knows, and each leak must be in the log
 * with the call and its arguments; a connect to an allowed endpoint must
 * not be. Then the anonymous-mode CLI runs (rank, parse, check-config,
 * plugins) run under it with zero violations.
 *
 * Every leaking run happens in a child process with the checker preloaded
 * in fail mode (so the leaking call fails and nothing leaves), and the
 * whole program runs in a private network namespace (unshare at the start
 * of main, before any thread), so that even a real lookup of the canary
 * name "leak-canary.invalid" fails locally. Without root the child tests
 * skip.
 *
 * The children are this program itself, run as
 *   test-leakcheck --leaky-child HINT     connect to a FURL with HINT
 *   test-leakcheck --api-child PORT       the checker's runtime interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "leakcheck/leakcheck.h"

#define TUBID "ce6rpdlmb7jzah7shgq2bfpsb6jzkzim"
#define CHILD_TIMEOUT_SECONDS 60

static gboolean netns_ok;
static const gchar *netns_skip_reason = "not set up";

/* --- the private network namespace ---------------------------------------- */

static void
enter_private_netns (void)
{
  struct ifreq ifr;
  int fd;

  if (geteuid () != 0)
    {
      netns_skip_reason = "leaking children need root to run in a private network namespace";
      return;
    }
  if (unshare (CLONE_NEWNET) != 0)
    {
      netns_skip_reason = "unshare(CLONE_NEWNET) failed";
      return;
    }
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (fd < 0 || ioctl (fd, SIOCGIFFLAGS, &ifr) != 0 ||
      (ifr.ifr_flags |= IFF_UP, ioctl (fd, SIOCSIFFLAGS, &ifr) != 0))
    netns_skip_reason = "cannot bring up lo in the private network namespace";
  else
    netns_ok = TRUE;
  if (fd >= 0)
    close (fd);
}

static gboolean
need_netns (void)
{
  if (!netns_ok)
    g_test_skip (netns_skip_reason);
  return netns_ok;
}

/* --- the children ------------------------------------------------------------ */

static void
child_status_cb (guint hint_index,
                 const gchar *status,
                 gpointer user_data)
{
  g_print ("status: %u %s\n", hint_index, status);
}

/* Connects in anonymous mode to a FURL whose only hint is @hint, through
 * the leaky plugin; prints what happened. Runs under the checker. */
static int
leaky_child (const gchar *hint)
{
  const gchar *plugin = g_getenv ("FURLHINT_LEAKY_PLUGIN");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = g_strdup_printf ("pb://" TUBID "@%s/swiss", hint);
  FurlHintConfig *config = furlhint_config_new ();
  FurlHintContext *ctx;
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  FurlHintConnectResult *result = NULL;
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  gint fd;

  furlhint_config_set_anonymous (config, TRUE);
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  if (plugin == NULL || !furlhint_context_load_plugin_file (ctx, plugin, &error))
    {
      g_print ("error: cannot load the leaky plugin: %s\n", error ? error->message : "FURLHINT_LEAKY_PLUGIN unset");
      furlhint_context_unref (ctx);
      return 2;
    }
  furl = furlhint_furl_parse (text, &error);
  if (furl == NULL)
    {
      g_print ("error: %s\n", error->message);
      furlhint_context_unref (ctx);
      return 2;
    }
  plan = furlhint_context_rank (ctx, furl, NULL);
  g_print ("routes: %u\n", furlhint_plan_get_n_routes (plan));
  furlhint_plan_unref (plan);

  options.timeout_ms = 20000;
  options.status = child_status_cb;
  fd = furlhint_context_connect_fd (ctx, furl, &options, NULL, &result, &error);
  if (fd >= 0)
    {
      g_print ("connected\n");
      close (fd);
    }
  else
    g_print ("error: %s\n", error->message);
  g_print ("final: %s\n", furlhint_connect_result_get_hint_status (result, 0));

  furlhint_connect_result_unref (result);
  furlhint_furl_unref (furl);
  furlhint_context_unref (ctx);
  return 0;
}

static int
tcp_connect (const gchar *ip,
             guint16 port)
{
  struct sockaddr_in sin;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int r;

  memset (&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  inet_pton (AF_INET, ip, &sin.sin_addr);
  r = connect (fd, (struct sockaddr *) &sin, sizeof sin);
  g_print ("connect %s:%u = %d%s%s\n", ip, port, r, r != 0 ? " " : "",
           r != 0 ? g_strerror (errno) : "");
  close (fd);
  return r;
}

/* The runtime interface: allow an endpoint, suspend and resume. */
static int
api_child (const gchar *port_text)
{
  guint16 port = (guint16) g_ascii_strtoull (port_text, NULL, 10);
  g_autofree gchar *endpoint = g_strdup_printf ("127.0.0.1:%u", port);

  g_print ("active: %d\n", leakcheck_is_active ());
  tcp_connect ("127.0.0.1", port);             /* not allowed yet: 1 */
  leakcheck_allow (endpoint);
  tcp_connect ("127.0.0.1", port);             /* allowed now */
  leakcheck_suspend ();
  tcp_connect ("127.0.0.2", 9);                /* this thread is exempt */
  leakcheck_resume ();
  tcp_connect ("127.0.0.2", 9);                /* checked again: 2 */
  g_print ("violations: %u\n", leakcheck_violations ());
  return 0;
}

/* --- running a child under the checker ------------------------------------- */

typedef struct {
  gint exit_status;     /* -1 when signalled */
  gchar *out;
  gchar *err;
  gchar *log;           /* the checker's log ("" when nothing was logged) */
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  g_clear_pointer (&run->log, g_free);
}

static gchar *
checker_path (void)
{
  return g_test_build_filename (G_TEST_BUILT, "leakcheck", ".libs", "leakcheck.so", NULL);
}

typedef struct {
  GAsyncResult *result;
  gboolean timed_out;
} Wait;

static void
communicate_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Wait *wait = user_data;

  wait->timed_out = TRUE;
  g_main_context_wakeup (NULL);
  return G_SOURCE_REMOVE;
}

/* Runs @argv with the checker preloaded (@mode, @allow), bounded in time. */
static void
run_checked_only (Run *run,
                  const gchar *const *argv,
                  const gchar *mode,
                  const gchar *allow,
                  const gchar *only)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *so = checker_path ();
  g_autofree gchar *plugin = g_test_build_filename (G_TEST_BUILT, "leakcheck", "leaky.la", NULL);
  g_autofree gchar *log = NULL;
  g_autofree gchar *asan = NULL;
  const gchar *old_asan = g_getenv ("ASAN_OPTIONS");
  Wait wait = { NULL, FALSE };
  guint timeout;
  int log_fd;

  memset (run, 0, sizeof *run);
  g_assert_true (g_file_test (so, G_FILE_TEST_EXISTS));

  log_fd = g_file_open_tmp ("leakcheck-log.XXXXXX", &log, &error);
  g_assert_no_error (error);
  close (log_fd);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* Replaces whatever LD_PRELOAD we run with (valgrind's own, say). */
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", so, TRUE);
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_LOG", log, TRUE);
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_MODE", mode, TRUE);
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ALLOW", allow, TRUE);
  if (only != NULL)
    g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ONLY", only, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "FURLHINT_LEAKCHECK_ONLY");
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKY_PLUGIN", plugin, TRUE);
  /* Under an ASan build the checker comes before ASan's runtime. */
  asan = g_strdup_printf ("%s%sverify_asan_link_order=0", old_asan ? old_asan : "",
                          old_asan ? ":" : "");
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);

  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicate_cb, &wait);
  timeout = g_timeout_add_seconds (CHILD_TIMEOUT_SECONDS, timeout_cb, &wait);
  while (wait.result == NULL && !wait.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (wait.result == NULL)
    {
      g_subprocess_force_exit (proc);
      while (wait.result == NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  else
    g_source_remove (timeout);

  g_subprocess_communicate_utf8_finish (proc, wait.result, &run->out, &run->err, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_false (wait.timed_out);

  if (g_subprocess_get_if_exited (proc))
    run->exit_status = g_subprocess_get_exit_status (proc);
  else
    run->exit_status = -1;

  g_file_get_contents (log, &run->log, NULL, &error);
  g_assert_no_error (error);
  g_unlink (log);

  if (run->out == NULL)
    run->out = g_strdup ("");
  if (run->err == NULL)
    run->err = g_strdup ("");
  g_test_message ("child %s: exit %d\nstdout:\n%s\nstderr:\n%s\nlog:\n%s", argv[1] ? argv[1] : argv[0],
                  run->exit_status, run->out, run->err, run->log);
}

static void
run_checked (Run *run,
             const gchar *const *argv,
             const gchar *mode,
             const gchar *allow)
{
  run_checked_only (run, argv, mode, allow, NULL);
}

static void
run_leaky (Run *run,
           const gchar *hint,
           const gchar *mode,
           const gchar *allow)
{
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  const gchar *argv[] = { self, "--leaky-child", hint, NULL };

  g_assert_nonnull (self);
  run_checked (run, argv, mode, allow);
  g_assert_cmpint (run->exit_status, ==, 0);
  g_assert_nonnull (strstr (run->out, "routes: 1\n"));
}

static guint
count_violations (const gchar *log)
{
  guint n = 0;
  const gchar *p;

  for (p = log; (p = strstr (p, "leakcheck: VIOLATION ")) != NULL; p++)
    n++;
  return n;
}

/* The first VIOLATION line of @log (transfer full). */
static gchar *
first_violation (const gchar *log)
{
  const gchar *p = strstr (log, "leakcheck: VIOLATION ");
  const gchar *end;

  g_assert_nonnull (p);
  end = strchr (p, '\n');
  g_assert_nonnull (end);
  return g_strndup (p, (gsize) (end - p));
}

static void
assert_contains (const gchar *haystack,
                 const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected to find\n  %s\nin\n%s", needle, haystack);
}

/* pid=P tid=T of a violation line: TRUE when T ≠ P (a thread other than
 * the main one made the call). */
static gboolean
violation_from_other_thread (const gchar *line)
{
  const gchar *pid = strstr (line, " pid=");
  const gchar *tid = strstr (line, " tid=");

  g_assert_nonnull (pid);
  g_assert_nonnull (tid);
  return g_ascii_strtoull (pid + 5, NULL, 10) != g_ascii_strtoull (tid + 5, NULL, 10);
}

/* --- each kind of leak -------------------------------------------------------- */

typedef struct {
  const gchar *hint;
  const gchar *violation;      /* in the VIOLATION line */
  const gchar *outcome;        /* in the child's connect error: the call failed */
  gboolean plugin_frames;      /* the backtrace reaches the plugin (not so
                                * for GResolver's own thread) */
} LeakCase;

static const LeakCase leak_cases[] = {
  { "leaky:getaddrinfo",
    "mode=fail call=getaddrinfo node=\"leak-canary.invalid\" service=\"9\" -> EAI_FAIL",
    "leaky: getaddrinfo(leak-canary.invalid) = -4 (EAI_FAIL)", TRUE },
  { "leaky:gethostbyname",
    "mode=fail call=gethostbyname name=\"leak-canary.invalid\" -> NULL, h_errno=NO_RECOVERY",
    "leaky: gethostbyname(leak-canary.invalid) = NULL (h_errno 3)", TRUE },
  { "leaky:gethostbyname_r",
    "mode=fail call=gethostbyname_r name=\"leak-canary.invalid\" -> NULL, h_errno=NO_RECOVERY",
    "leaky: gethostbyname_r(leak-canary.invalid) = 13, result NULL (h_errno 3)", TRUE },
  { "leaky:res_query",
    "mode=fail call=res_query name=\"leak-canary.invalid\" type=1 -> -1, h_errno=NO_RECOVERY",
    "leaky: res_query(leak-canary.invalid) = -1 (h_errno 3)", TRUE },
  { "leaky:gio-resolve",
    "mode=fail call=getaddrinfo node=\"leak-canary.invalid\" service=NULL -> EAI_FAIL",
    "leaky: g_resolver_lookup_by_name(leak-canary.invalid) failed:", FALSE },
  { "leaky:connect",
    "mode=fail call=connect fd=",
    "leaky: connect(127.0.0.2:9) = -1 (Permission denied)", TRUE },
  { "leaky:sendto",
    "family=AF_INET addr=127.0.0.3:53 kind=dns -> -1, errno=EACCES",
    "leaky: sendto(127.0.0.3:53) = -1 (Permission denied)", TRUE },
  { "leaky:open-hosts",
    "mode=fail call=open path=\"/etc/hosts\" -> -1, errno=EACCES",
    "leaky: open(/etc/hosts) = -1 (Permission denied)", TRUE },
  { "leaky:fopen-resolv",
    "mode=fail call=fopen path=\"/etc/resolv.conf\" mode=\"re\" -> -1, errno=EACCES",
    "leaky: fopen(/etc/resolv.conf) = NULL (Permission denied)", TRUE },
  { "leaky:nscd",
    "call=connect fd=",
    "leaky: connect(/var/run/nscd/socket) = -1 (Permission denied)", TRUE },
};

static void
test_leak_caught (gconstpointer data)
{
  const LeakCase *lc = data;
  g_autofree gchar *line = NULL;
  Run run;

  if (!need_netns ())
    return;

  run_leaky (&run, lc->hint, "fail", "127.0.0.1:9050,127.0.0.1:7656");
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  line = first_violation (run.log);
  assert_contains (line, lc->violation);
  /* The call failed in the plugin: nothing left. */
  assert_contains (run.out, lc->outcome);
  /* ... and the connector reported the failure for the hint. */
  assert_contains (run.out, "final: failed to connect: leaky: ");
  /* Every leak happens off the main thread (a GTask or GResolver
   * worker): the checker sees all threads. */
  g_assert_true (violation_from_other_thread (line));
  /* A backtrace that reaches the plugin (or GIO's resolver). */
  assert_contains (run.log, lc->plugin_frames ? "leaky.so" : "libgio-2.0.so");
  assert_contains (run.log, "leakcheck: END\n");
  run_clear (&run);
}

static void
test_leak_connect_details (void)
{
  g_autofree gchar *line = NULL;
  Run run;

  if (!need_netns ())
    return;

  run_leaky (&run, "leaky:connect", "fail", "127.0.0.1:9050");
  line = first_violation (run.log);
  assert_contains (line, "family=AF_INET addr=127.0.0.2:9 -> -1, errno=EACCES");
  run_clear (&run);

  run_leaky (&run, "leaky:nscd", "fail", "");
  g_free (line);
  line = first_violation (run.log);
  assert_contains (line, "family=AF_UNIX path=\"/var/run/nscd/socket\" kind=dns -> -1, errno=EACCES");
  run_clear (&run);
}

/* Record mode logs and lets the call through: the connect reaches the
 * (closed) port and is refused, instead of failing with EACCES. */
static void
test_record_mode (void)
{
  g_autofree gchar *line = NULL;
  Run run;

  if (!need_netns ())
    return;

  run_leaky (&run, "leaky:connect", "record", "");
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  line = first_violation (run.log);
  assert_contains (line, "mode=record call=connect fd=");
  assert_contains (line, "family=AF_INET addr=127.0.0.2:9 -> passed through (record mode)");
  assert_contains (run.out, "leaky: connect(127.0.0.2:9) = -1 (Connection refused)");
  run_clear (&run);
}

/* A listening socket on 127.0.0.1:free port, or on a unix path. */
static int
listen_tcp (guint16 *port)
{
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  memset (&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (fd, 8), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sin, &len), ==, 0);
  *port = ntohs (sin.sin_port);
  return fd;
}

static int
listen_unix (const gchar *path)
{
  struct sockaddr_un sun;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  memset (&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  g_assert_cmpuint (strlen (path), <, sizeof sun.sun_path);
  strcpy (sun.sun_path, path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sun, sizeof sun), ==, 0);
  g_assert_cmpint (listen (fd, 8), ==, 0);
  return fd;
}

/* An endpoint on the allow list is not a leak; the same connect with the
 * port left off the list is. */
static void
test_allowed_tcp (void)
{
  g_autofree gchar *hint = NULL;
  g_autofree gchar *allow = NULL;
  g_autofree gchar *other = NULL;
  g_autofree gchar *line = NULL;
  g_autofree gchar *expected = NULL;
  guint16 port;
  int fd;
  Run run;

  if (!need_netns ())
    return;

  fd = listen_tcp (&port);
  hint = g_strdup_printf ("leaky:allowed:%u", port);
  allow = g_strdup_printf ("127.0.0.1:9050,127.0.0.1:%u,unix:/nonexistent", port);
  run_leaky (&run, hint, "fail", allow);
  g_assert_cmpstr (run.log, ==, "");
  assert_contains (run.out, "connected\n");
  assert_contains (run.out, "final: connected\n");
  run_clear (&run);

  /* Any port of the host. */
  run_leaky (&run, hint, "fail", "127.0.0.1:*");
  g_assert_cmpstr (run.log, ==, "");
  assert_contains (run.out, "connected\n");
  run_clear (&run);

  /* Same host, other port; the IPv6 loopback with the port: not allowed. */
  other = g_strdup_printf ("127.0.0.1:%u,[::1]:%u", port == 65535 ? 1 : port + 1, port);
  run_leaky (&run, hint, "fail", other);
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  line = first_violation (run.log);
  assert_contains (line, "call=connect fd=");
  expected = g_strdup_printf ("family=AF_INET addr=127.0.0.1:%u -> -1, errno=EACCES", port);
  assert_contains (line, expected);
  assert_contains (run.out, "error: ");
  run_clear (&run);

  close (fd);
}

static void
test_allowed_unix (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("leakcheck-XXXXXX", &error);
  g_autofree gchar *path = NULL;
  g_autofree gchar *hint = NULL;
  g_autofree gchar *allow = NULL;
  g_autofree gchar *line = NULL;
  g_autofree gchar *expected = NULL;
  int fd;
  Run run;

  g_assert_no_error (error);
  if (!need_netns ())
    {
      g_rmdir (dir);
      return;
    }

  path = g_build_filename (dir, "sam.sock", NULL);
  fd = listen_unix (path);
  hint = g_strdup_printf ("leaky:unix:%s", path);
  g_strdelimit (hint, "/", '|');

  allow = g_strdup_printf ("unix:%s", path);
  run_leaky (&run, hint, "fail", allow);
  g_assert_cmpstr (run.log, ==, "");
  assert_contains (run.out, "final: connected\n");
  run_clear (&run);

  /* A directory prefix. */
  g_free (allow);
  allow = g_strdup_printf ("unix:%s/*", dir);
  run_leaky (&run, hint, "fail", allow);
  g_assert_cmpstr (run.log, ==, "");
  run_clear (&run);

  run_leaky (&run, hint, "fail", "unix:/run/tor/socks,127.0.0.1:9050");
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  line = first_violation (run.log);
  expected = g_strdup_printf ("family=AF_UNIX path=\"%s\" -> -1, errno=EACCES", path);
  assert_contains (line, expected);
  run_clear (&run);

  close (fd);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_runtime_api (void)
{
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *port_text = NULL;
  g_autofree gchar *expected = NULL;
  guint16 port;
  int fd;
  Run run;

  if (!need_netns ())
    return;

  fd = listen_tcp (&port);
  port_text = g_strdup_printf ("%u", port);
  {
    const gchar *argv[] = { self, "--api-child", port_text, NULL };
    run_checked (&run, argv, "fail", "127.0.0.1:9050");
  }
  g_assert_cmpint (run.exit_status, ==, 0);
  assert_contains (run.out, "active: 1\n");
  expected = g_strdup_printf ("connect 127.0.0.1:%u = -1 Permission denied\n"
                              "connect 127.0.0.1:%u = 0\n"
                              "connect 127.0.0.2:9 = -1 Connection refused\n"
                              "connect 127.0.0.2:9 = -1 Permission denied\n"
                              "violations: 2\n", port, port);
  assert_contains (run.out, expected);
  g_assert_cmpuint (count_violations (run.log), ==, 2);
  close (fd);
  run_clear (&run);
}

/* The checker stays passive in programs FURLHINT_LEAKCHECK_ONLY does not
 * name. */
static void
test_only_filter (void)
{
  Run run;
  const gchar *argv[] = { "/bin/sh", "-c", "exec 3</etc/hosts; echo read", NULL };

  if (!need_netns ())
    return;

  /* /bin/sh's own open of /etc/hosts: reported when sh is checked. */
  run_checked (&run, argv, "fail", "");
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  assert_contains (run.log, "call=open");
  assert_contains (run.log, "path=\"/etc/hosts\"");
  g_assert_cmpint (run.exit_status, !=, 0);
  run_clear (&run);

  /* Not when only other programs are. */
  run_checked_only (&run, argv, "fail", "", "lt-test-other,test-other");
  g_assert_cmpstr (run.log, ==, "");
  g_assert_cmpint (run.exit_status, ==, 0);
  g_assert_cmpstr (run.out, ==, "read\n");
  run_clear (&run);

  /* A name with libtool's "lt-" is the same program. */
  run_checked_only (&run, argv, "fail", "", "lt-sh");
  g_assert_cmpuint (count_violations (run.log), ==, 1);
  run_clear (&run);
}

/* tests/leakcheck/leakcheck-run.sh, as `make check-leakcheck` runs test
 * programs: a run with a leak fails (with a TAP "not ok" line and the
 * log), a clean run keeps the program's status. */
static void
run_wrapper (Run *run,
             const gchar *hint,
             const gchar *allow)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *script = g_test_build_filename (G_TEST_DIST, "leakcheck", "leakcheck-run.sh", NULL);
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *so = checker_path ();
  g_autofree gchar *plugin = g_test_build_filename (G_TEST_BUILT, "leakcheck", "leaky.la", NULL);
  const gchar *argv[] = { "/bin/sh", script, self, "--leaky-child", hint, NULL };

  memset (run, 0, sizeof *run);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "LD_PRELOAD");
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_SO", so, TRUE);
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ALLOW", allow, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "FURLHINT_LEAKCHECK_MODE");
  g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKY_PLUGIN", plugin, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  /* Bounded: the child's own connect timeout is 20 s. */
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  run->exit_status = g_subprocess_get_exit_status (proc);
  run->log = g_strdup ("");
  g_test_message ("wrapper: exit %d\nstdout:\n%s\nstderr:\n%s", run->exit_status, run->out, run->err);
}

static void
test_wrapper (void)
{
  g_autofree gchar *hint = NULL;
  g_autofree gchar *allow = NULL;
  guint16 port;
  int fd;
  Run run;

  if (!need_netns ())
    return;

  run_wrapper (&run, "leaky:getaddrinfo", "");
  g_assert_cmpint (run.exit_status, ==, 1);
  assert_contains (run.out, "not ok - leakcheck: 1 anonymity leak(s) in ");
  assert_contains (run.err, "# leakcheck: VIOLATION ");
  assert_contains (run.err, "mode=fail call=getaddrinfo node=\"leak-canary.invalid\"");
  run_clear (&run);

  fd = listen_tcp (&port);
  hint = g_strdup_printf ("leaky:allowed:%u", port);
  allow = g_strdup_printf ("127.0.0.1:%u", port);
  run_wrapper (&run, hint, allow);
  g_assert_cmpint (run.exit_status, ==, 0);
  assert_contains (run.out, "final: connected\n");
  g_assert_null (strstr (run.out, "not ok"));
  g_assert_null (strstr (run.err, "VIOLATION"));
  run_clear (&run);
  close (fd);
}

/* --- the anonymous-mode CLI under the checker ---------------------------------- */

static gchar *
example_path (const gchar *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "docs", "examples", name, NULL);
}

static void
run_cli_checked (Run *run,
                 const gchar *const *args)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  guint i;

  g_ptr_array_add (argv, (gpointer) cli);
  for (i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  /* Nothing is allowed: rank, parse and check-config do no I/O. */
  run_checked (run, (const gchar *const *) argv->pdata, "fail", "");
}

static const gchar *cli_furls[] = {
  "pb://ce6rpdlmb7jzah7shgq2bfpsb6jzkzim@tcp:storage1.example.org:3457,storage2.example.org:3457,"
  "tcp:203.0.113.10:3457,tcp:[2001:db8::10]:3457,"
  "tor:u33m4y7klhz3bypswqkozwetvabelhxt4eqwi6q2dbr7uqgp6yzrgqad.onion:3457,"
  "i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p,"
  "tcp:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457/storage-k6dqnzwvjh3oazbd",
  "pb://hckqqn4vq5ggzuukfztpuu4wykwefa6d@tcp:introducer.example.org:44801/introducer",
  "pb://7e4axdw3ejfgwjekd2je5d6qvyxbvfes@tcp:10.0.0.5:34567,tcp:[2001:db8::5]:34567/umyf6gemwyijad46gr725cdnyzihpfpm",
  "pb+tor://0hnMIQpNxJ5mn7bYE1B9iEQWtSmtKIcv1R8SPaeLnyE@tcp:sn4vkxqtsu2mfmsbqyxvaxuecnm5c3bmpiemfmelvxxwamhumjzefjid.onion:443/Rd-wF9NpeQBl8pCp8kYCEQ#v=1",
  "pb://xyz@tcp:leak-canary.invalid:1234/name",
  NULL,
};

static void
test_cli_clean (gconstpointer data)
{
  const gchar *const *mode = data;
  g_autofree gchar *anon_cfg = example_path ("tahoe-anonymous.cfg");
  g_autofree gchar *normal_cfg = example_path ("tahoe.cfg");
  guint i;
  Run run;

  if (g_getenv ("FURLHINT_CLI") == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return;
    }
  if (!need_netns ())
    return;

  for (i = 0; cli_furls[i] != NULL; i++)
    {
      const gchar *furl = cli_furls[i];
      const gchar *rank_anon[] = { "--anonymous", "rank", "--explain", furl, NULL };
      const gchar *rank_cfg[] = { "--config", anon_cfg, "rank", "--explain", "--json", furl, NULL };
      const gchar *rank_cfg_anon[] = { "--anonymous", "--config", normal_cfg, "rank", furl, NULL };
      const gchar *parse[] = { "--anonymous", "parse", furl, NULL };
      const gchar *parse_json[] = { "--anonymous", "--json", "parse", furl, NULL };
      const gchar *const *cmds[] = { rank_anon, rank_cfg, rank_cfg_anon, parse, parse_json, NULL };
      guint c;

      for (c = 0; cmds[c] != NULL; c++)
        {
          if (g_str_equal (*mode, "parse") != (cmds[c] == parse || cmds[c] == parse_json))
            continue;
          run_cli_checked (&run, cmds[c]);
          /* 0: routed / parsed; 1: refused or no route. Never a crash. */
          g_assert_cmpint (run.exit_status, >=, 0);
          g_assert_cmpint (run.exit_status, <=, 1);
          if (run.log[0] != '\0')
            g_error ("furlhint %s %s leaked:\n%s", cmds[c][0], cmds[c][1], run.log);
          run_clear (&run);
        }
    }
}

static void
test_cli_other_commands (void)
{
  g_autofree gchar *anon_cfg = example_path ("tahoe-anonymous.cfg");
  g_autofree gchar *furls = example_path ("furls.txt");
  const gchar *check[] = { "check-config", anon_cfg, NULL };
  const gchar *check_json[] = { "--json", "check-config", anon_cfg, NULL };
  const gchar *plugins[] = { "--anonymous", "--config", anon_cfg, "plugins", NULL };
  Run run;

  if (g_getenv ("FURLHINT_CLI") == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return;
    }
  if (!need_netns ())
    return;

  run_cli_checked (&run, check);
  g_assert_cmpint (run.exit_status, ==, 0);
  g_assert_cmpstr (run.log, ==, "");
  run_clear (&run);

  run_cli_checked (&run, check_json);
  g_assert_cmpint (run.exit_status, ==, 0);
  g_assert_cmpstr (run.log, ==, "");
  run_clear (&run);

  run_cli_checked (&run, plugins);
  g_assert_cmpint (run.exit_status, ==, 0);
  assert_contains (run.out, "tor");
  g_assert_cmpstr (run.log, ==, "");
  run_clear (&run);

  g_assert_true (g_file_test (furls, G_FILE_TEST_EXISTS));
}

int
main (int argc,
      char **argv)
{
  guint i;

  if (argc == 3 && g_str_equal (argv[1], "--leaky-child"))
    return leaky_child (argv[2]);
  if (argc == 3 && g_str_equal (argv[1], "--api-child"))
    return api_child (argv[2]);

  /* Under FURLHINT_TEST_LEAKCHECK=1 the test itself runs under the
   * checker too (tests/leakcheck/leakcheck.h). */
  leakcheck_maybe_reexec (argv);

  /* First, before anything can start a thread. */
  enter_private_netns ();

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (leak_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/leakcheck/caught/%s", leak_cases[i].hint + 6);
      g_test_add_data_func (path, &leak_cases[i], test_leak_caught);
    }
  g_test_add_func ("/leakcheck/caught/connect-details", test_leak_connect_details);
  g_test_add_func ("/leakcheck/record-mode", test_record_mode);
  g_test_add_func ("/leakcheck/allowed/tcp", test_allowed_tcp);
  g_test_add_func ("/leakcheck/allowed/unix", test_allowed_unix);
  g_test_add_func ("/leakcheck/runtime-api", test_runtime_api);
  g_test_add_func ("/leakcheck/shell-checked", test_only_filter);
  g_test_add_func ("/leakcheck/wrapper", test_wrapper);
  {
    static const gchar *rank_mode = "rank";
    static const gchar *parse_mode = "parse";
    g_test_add_data_func ("/leakcheck/cli/anonymous-rank", &rank_mode, test_cli_clean);
    g_test_add_data_func ("/leakcheck/cli/anonymous-parse", &parse_mode, test_cli_clean);
  }
  g_test_add_func ("/leakcheck/cli/check-config-and-plugins", test_cli_other_commands);

  return g_test_run ();
}
