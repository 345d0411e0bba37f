/* Integration-test lab: private network namespace, spawned servers killed by
 * pid, bounded waits, logs kept and shown on failure. See lab.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1
#include "config.h"

#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostname.h"

/* The signal handler may only touch these fixed arrays (async-signal-safe). */
#define LAB_MAX_PROCS 64
#define LAB_LOG_PATH_MAX 512

static volatile sig_atomic_t lab_pids[LAB_MAX_PROCS]; /* 0 = free slot */
static char lab_logs[LAB_MAX_PROCS][LAB_LOG_PATH_MAX];
static volatile sig_atomic_t lab_watchdog_seconds;

static gboolean lab_netns_ok;
static gchar *lab_skip_reason;

struct _LabProc {
  Lab *lab;
  gchar *name;
  gchar *log_path;
  GSubprocess *subprocess;
  GPid pid;
  int slot;
  gboolean stopped;
};

struct _LabBlackHole {
  int listen_fd;
  int fill_fd;     /* our own queued connection, never accepted */
  guint16 port;
};

struct _Lab {
  gchar *dir;
  GPtrArray *procs;  /* LabProc* */
  GPtrArray *holes;  /* LabBlackHole* */
};

/* --- kill-on-abort ------------------------------------------------------- */

static void
lab_write_str (const char *s)
{
  ssize_t r = write (STDERR_FILENO, s, strlen (s));
  (void) r;
}

/* Async-signal-safe: kill, open, read, write only. */
static void
lab_emergency_cleanup (void)
{
  for (int i = 0; i < LAB_MAX_PROCS; i++)
    {
      pid_t pid = lab_pids[i];
      if (pid > 0)
        {
          kill (-pid, SIGKILL);
          kill (pid, SIGKILL);
        }
    }
  for (int i = 0; i < LAB_MAX_PROCS; i++)
    {
      char buf[4096];
      ssize_t n;
      int fd;

      if (lab_pids[i] <= 0 || lab_logs[i][0] == '\0')
        continue;
      lab_pids[i] = 0;
      fd = open (lab_logs[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      lab_write_str ("\n=== lab: log of ");
      lab_write_str (lab_logs[i]);
      lab_write_str (" ===\n");
      while ((n = read (fd, buf, sizeof buf)) > 0)
        {
          ssize_t r = write (STDERR_FILENO, buf, (size_t) n);
          (void) r;
        }
      close (fd);
    }
}

static void
lab_fatal_signal (int signum)
{
  if (signum == SIGALRM)
    lab_write_str ("\nlab: watchdog expired: the test program hung; killing its processes\n");
  lab_emergency_cleanup ();
  if (signum == SIGALRM)
    _exit (99);
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
lab_atexit (void)
{
  /* Normal exit with processes still registered (a test forgot lab_free):
   * kill them, but don't print (nothing failed). */
  for (int i = 0; i < LAB_MAX_PROCS; i++)
    if (lab_pids[i] > 0)
      {
        kill (-(pid_t) lab_pids[i], SIGKILL);
        lab_pids[i] = 0;
      }
}

static void
lab_install_handlers (void)
{
  static const int signals[] = { SIGABRT, SIGTERM, SIGINT, SIGALRM, SIGSEGV, SIGBUS };
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = lab_fatal_signal;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &sa, NULL);
  atexit (lab_atexit);
}

void
lab_set_watchdog (guint seconds)
{
  lab_watchdog_seconds = (sig_atomic_t) seconds;
  alarm (seconds);
}

void
lab_extend_watchdog (guint seconds)
{
  guint left = alarm (0);

  lab_set_watchdog (left != 0 ? left + seconds : 0);
}

/* --- namespace ------------------------------------------------------------- */

gboolean
lab_enter_private_netns (void)
{
  struct ifreq ifr;
  int fd;

  lab_install_handlers ();
  lab_set_watchdog (LAB_WATCHDOG_SECONDS);

  if (geteuid () != 0)
    {
      lab_skip_reason = g_strdup ("integration tests need root (CAP_SYS_ADMIN) "
                                  "to run in a private network namespace");
      return FALSE;
    }
  if (unshare (CLONE_NEWNET) != 0)
    {
      lab_skip_reason = g_strdup_printf ("unshare(CLONE_NEWNET) failed: %s; "
                                         "integration tests need a private "
                                         "network namespace",
                                         g_strerror (errno));
      return FALSE;
    }

  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  memset (&ifr, 0, sizeof ifr);
  g_strlcpy (ifr.ifr_name, "lo", sizeof ifr.ifr_name);
  if (fd < 0 || ioctl (fd, SIOCGIFFLAGS, &ifr) != 0
      || (ifr.ifr_flags |= IFF_UP, ioctl (fd, SIOCSIFFLAGS, &ifr) != 0))
    {
      lab_skip_reason = g_strdup_printf ("cannot bring up lo in the private "
                                         "network namespace: %s",
                                         g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  close (fd);
  lab_netns_ok = TRUE;
  return TRUE;
}

gboolean
lab_ready (void)
{
  if (lab_netns_ok)
    return TRUE;
  g_test_skip (lab_skip_reason != NULL ? lab_skip_reason
               : "lab_enter_private_netns() was not called first in main()");
  return FALSE;
}

/* --- lab ------------------------------------------------------------------ */

static void lab_proc_free (LabProc *proc);
static void lab_black_hole_free (LabBlackHole *hole);

Lab *
lab_new (void)
{
  GError *error = NULL;
  Lab *lab = g_new0 (Lab, 1);

  lab->dir = g_dir_make_tmp ("furlhint-lab-XXXXXX", &error);
  g_assert_no_error (error);
  /* danted started as root drops to nobody; it must read its config. */
  g_chmod (lab->dir, 0755);
  /* GLib makes the default main context and its worker thread's context
   * (each with an eventfd) on first use; make them now so that fd counts
   * taken by the test stay comparable. */
  g_main_context_iteration (NULL, FALSE);
  {
    static gsize warm = 0;
    if (g_once_init_enter (&warm))
      {
        const gchar *argv[] = { "true", NULL };
        GSubprocess *sub = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, NULL);
        if (sub != NULL)
          {
            g_subprocess_wait (sub, NULL, NULL);
            g_object_unref (sub);
          }
        g_once_init_leave (&warm, 1);
      }
  }
  lab->procs = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_proc_free);
  lab->holes = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_black_hole_free);
  return lab;
}

const gchar *
lab_get_dir (Lab *lab)
{
  return lab->dir;
}

gchar *
lab_write_file (Lab *lab, const gchar *name, const gchar *contents)
{
  GError *error = NULL;
  gchar *path = g_build_filename (lab->dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  g_chmod (path, 0644);
  return path;
}

static void
lab_rm_rf (const gchar *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      gchar *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR)
          && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        lab_rm_rf (path);
      else
        g_unlink (path);
      g_free (path);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

void
lab_free (Lab *lab)
{
  if (lab == NULL)
    return;
  for (guint i = 0; i < lab->procs->len; i++)
    lab_stop (g_ptr_array_index (lab->procs, i));
  if (g_test_failed ())
    for (guint i = 0; i < lab->procs->len; i++)
      {
        LabProc *proc = g_ptr_array_index (lab->procs, i);
        gchar *log = lab_proc_read_log (proc);
        g_test_message ("=== log of %s (%s) ===\n%s", proc->name, proc->log_path, log);
        g_free (log);
      }
  g_ptr_array_unref (lab->procs);
  g_ptr_array_unref (lab->holes);
  if (g_getenv ("LAB_KEEP") == NULL)
    lab_rm_rf (lab->dir);
  else
    g_test_message ("lab directory kept: %s", lab->dir);
  g_free (lab->dir);
  g_free (lab);
}

/* --- ports ------------------------------------------------------------------ */

guint16
lab_free_port (const gchar *host)
{
  struct sockaddr_storage ss;
  socklen_t len;
  guint16 port = 0;
  int fd;

  g_assert_true (fh_hostname_literal_sockaddr (host, 0, &ss, &len));
  fd = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  if (bind (fd, (struct sockaddr *) &ss, len) == 0
      && getsockname (fd, (struct sockaddr *) &ss, &len) == 0)
    port = ntohs (ss.ss_family == AF_INET6
                  ? ((struct sockaddr_in6 *) &ss)->sin6_port
                  : ((struct sockaddr_in *) &ss)->sin_port);
  close (fd);
  g_assert_cmpuint (port, !=, 0);
  return port;
}

/* One connect() attempt bounded by @timeout_ms. */
static gboolean
lab_try_connect (const gchar *host, guint16 port, int timeout_ms)
{
  struct sockaddr_storage ss;
  socklen_t len;
  gboolean ok = FALSE;
  int fd;

  if (!fh_hostname_literal_sockaddr (host, port, &ss, &len))
    return FALSE;
  fd = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return FALSE;
  if (connect (fd, (struct sockaddr *) &ss, len) == 0)
    ok = TRUE;
  else if (errno == EINPROGRESS)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLOUT };
      int err = 0;
      socklen_t errlen = sizeof err;

      if (poll (&pfd, 1, timeout_ms) == 1
          && getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == 0
          && err == 0)
        ok = TRUE;
    }
  close (fd);
  return ok;
}

static gchar *
lab_log_tail (LabProc *proc)
{
  gchar *log = lab_proc_read_log (proc);
  gsize len = strlen (log);
  gchar *tail = g_strdup (len > 2000 ? log + len - 2000 : log);

  g_free (log);
  return tail;
}

gboolean
lab_wait_port (LabProc *proc, const gchar *host, guint16 port,
               guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      if (lab_try_connect (host, port, 200))
        return TRUE;
      if (proc != NULL && !lab_proc_is_running (proc))
        {
          gchar *tail = lab_log_tail (proc);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s exited before listening on %s:%u; its log:\n%s",
                       proc->name, host, port, tail);
          g_free (tail);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          gchar *tail = proc != NULL ? lab_log_tail (proc) : NULL;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "nothing listens on %s:%u after %u ms%s%s%s%s",
                       host, port, timeout_ms,
                       proc != NULL ? "; log of " : "",
                       proc != NULL ? proc->name : "",
                       proc != NULL ? ":\n" : "",
                       tail != NULL ? tail : "");
          g_free (tail);
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
}

/* TRUE when a listening unix socket is bound to @path: /proc/net/unix
 * lists it with __SO_ACCEPTCON (00010000) once listen() was called. The
 * socket file alone is no proof: it appears at bind(), before listen(). */
static gboolean
unix_listening (const gchar *path)
{
  gchar *text = NULL;
  gboolean found = FALSE;

  gchar **lines;

  if (!g_file_get_contents ("/proc/net/unix", &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (gchar **l = lines; *l != NULL && !found; l++)
    {
      /* Num RefCount Protocol Flags Type St Inode Path */
      gchar **fields = g_strsplit_set (*l, " ", -1);
      const gchar *flags = NULL, *last = NULL;
      guint n = 0;

      for (gchar **f = fields; *f != NULL; f++)
        if (**f != '\0')
          {
            if (n == 3)
              flags = *f;
            last = *f;
            n++;
          }
      found = n >= 8 && g_strcmp0 (flags, "00010000") == 0 && g_strcmp0 (last, path) == 0;
      g_strfreev (fields);
    }
  g_strfreev (lines);
  g_free (text);
  return found;
}

gboolean
lab_wait_unix_listener (LabProc *proc, const gchar *path,
                        guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!unix_listening (path))
    {
      if (proc != NULL && !lab_proc_is_running (proc))
        {
          gchar *tail = lab_log_tail (proc);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s exited before listening on %s; its log:\n%s",
                       proc->name, path, tail);
          g_free (tail);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "nothing listens on %s after %u ms", path, timeout_ms);
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
  return TRUE;
}

/* --- processes ------------------------------------------------------------- */

static void
lab_child_setup (gpointer user_data)
{
  (void) user_data;
  /* Own process group, so lab_stop() reaches socat's and danted's children. */
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
lab_proc_free (LabProc *proc)
{
  lab_stop (proc);
  g_clear_object (&proc->subprocess);
  g_free (proc->name);
  g_free (proc->log_path);
  g_free (proc);
}

LabProc *
lab_spawn (Lab *lab, const gchar *name, const gchar *const *argv,
           GError **error)
{
  GSubprocessLauncher *launcher;
  GSubprocess *sub;
  LabProc *proc;
  gchar *log_path;
  gchar *log_name = g_strconcat (name, ".log", NULL);
  int slot = -1;

  log_path = g_build_filename (lab->dir, log_name, NULL);
  g_free (log_name);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_cwd (launcher, lab->dir);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, lab_child_setup, NULL, NULL);
  sub = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_object_unref (launcher);
  if (sub == NULL)
    {
      g_prefix_error (error, "cannot start %s: ", name);
      g_free (log_path);
      return NULL;
    }

  proc = g_new0 (LabProc, 1);
  proc->lab = lab;
  proc->name = g_strdup (name);
  proc->log_path = log_path;
  proc->subprocess = sub;
  proc->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (sub), NULL, 10);
  for (int i = 0; i < LAB_MAX_PROCS; i++)
    if (lab_pids[i] == 0)
      {
        slot = i;
        break;
      }
  g_assert_cmpint (slot, >=, 0);
  g_strlcpy (lab_logs[slot], log_path, LAB_LOG_PATH_MAX);
  lab_pids[slot] = proc->pid;
  proc->slot = slot;
  g_ptr_array_add (lab->procs, proc);
  return proc;
}

LabProc *
lab_spawn_isolated (Lab *lab, const gchar *name, const gchar *extra_hosts,
                    const gchar *const *argv, GError **error)
{
  gchar *hosts_name = g_strconcat (name, ".hosts", NULL);
  gchar *resolv_name = g_strconcat (name, ".resolv.conf", NULL);
  gchar *hosts_text = g_strconcat ("127.0.0.1 localhost\n",
                                   extra_hosts != NULL ? extra_hosts : "",
                                   "\n", NULL);
  gchar *hosts = lab_write_file (lab, hosts_name, hosts_text);
  gchar *resolv = lab_write_file (lab, resolv_name,
                                  "nameserver 127.0.0.1\n"
                                  "options timeout:1 attempts:1\n");
  GPtrArray *args = g_ptr_array_new ();
  LabProc *proc;

  /* `unshare` execs (no fork), so the pid we kill is the server's. */
  g_ptr_array_add (args, (gpointer) "unshare");
  g_ptr_array_add (args, (gpointer) "-m");
  g_ptr_array_add (args, (gpointer) "--propagation");
  g_ptr_array_add (args, (gpointer) "private");
  g_ptr_array_add (args, (gpointer) "sh");
  g_ptr_array_add (args, (gpointer) "-c");
  g_ptr_array_add (args, (gpointer) "mount --bind \"$1\" /etc/hosts && "
                   "mount --bind \"$2\" /etc/resolv.conf && shift 2 && exec \"$@\"");
  g_ptr_array_add (args, (gpointer) "sh");
  g_ptr_array_add (args, hosts);
  g_ptr_array_add (args, resolv);
  for (gsize i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  proc = lab_spawn (lab, name, (const gchar *const *) args->pdata, error);

  g_ptr_array_unref (args);
  g_free (hosts);
  g_free (resolv);
  g_free (hosts_text);
  g_free (hosts_name);
  g_free (resolv_name);
  return proc;
}

GPid
lab_proc_get_pid (LabProc *proc)
{
  return proc->pid;
}

gboolean
lab_proc_is_running (LabProc *proc)
{
  /* GSubprocess reaps in GLib's worker thread and then drops its pid. */
  return !proc->stopped && g_subprocess_get_identifier (proc->subprocess) != NULL;
}

gchar *
lab_proc_describe_exit (LabProc *proc)
{
  if (lab_proc_is_running (proc))
    return NULL;
  if (proc->stopped)
    return g_strdup ("stopped by the lab");
  /* reaped (no identifier): its status is set */
  if (g_subprocess_get_if_signaled (proc->subprocess))
    return g_strdup_printf ("killed by signal %d (%s)", g_subprocess_get_term_sig (proc->subprocess),
                            g_strsignal (g_subprocess_get_term_sig (proc->subprocess)));
  return g_strdup_printf ("exited %d", g_subprocess_get_exit_status (proc->subprocess));
}

gchar *
lab_proc_read_log (LabProc *proc)
{
  gchar *contents = NULL;

  if (!g_file_get_contents (proc->log_path, &contents, NULL, NULL))
    return g_strdup ("(no log)");
  return contents;
}

static void
lab_wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

/* Wait for the process to be reaped, at most @timeout_ms. */
static gboolean
lab_wait_exit (LabProc *proc, guint timeout_ms)
{
  GMainContext *ctx = g_main_context_new ();
  GCancellable *cancellable = g_cancellable_new ();
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  g_main_context_push_thread_default (ctx);
  g_subprocess_wait_async (proc->subprocess, cancellable, lab_wait_done, &done);
  while (!done && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (ctx, FALSE);
      if (!done)
        g_usleep (5 * 1000);
    }
  if (!done)
    {
      g_cancellable_cancel (cancellable);
      while (!done)
        g_main_context_iteration (ctx, TRUE);
      done = FALSE;
    }
  g_main_context_pop_thread_default (ctx);
  g_object_unref (cancellable);
  g_main_context_unref (ctx);
  return done;
}

void
lab_stop (LabProc *proc)
{
  if (proc->stopped)
    return;

  if (g_subprocess_get_identifier (proc->subprocess) != NULL)
    {
      kill (-proc->pid, SIGTERM);
      kill (proc->pid, SIGTERM);
      if (!lab_wait_exit (proc, 3000))
        {
          kill (-proc->pid, SIGKILL);
          kill (proc->pid, SIGKILL);
          if (!lab_wait_exit (proc, 3000))
            g_test_message ("lab: %s (pid %d) did not die after SIGKILL",
                            proc->name, (int) proc->pid);
        }
    }
  /* Children that outlived their parent (socat's forks with an open
   * connection) are still in the group. */
  kill (-proc->pid, SIGKILL);
  lab_pids[proc->slot] = 0;
  lab_logs[proc->slot][0] = '\0';
  proc->stopped = TRUE;
}

/* --- echo server ------------------------------------------------------------ */

guint16
lab_echo_server_start (Lab *lab, const gchar *host, GError **error)
{
  gboolean v6 = strchr (host, ':') != NULL;
  guint16 port = lab_free_port (host);
  gchar *listen_arg = g_strdup_printf ("%s:%u,bind=%s%s%s,reuseaddr,fork",
                                       v6 ? "TCP6-LISTEN" : "TCP4-LISTEN",
                                       port, v6 ? "[" : "", host, v6 ? "]" : "");
  gchar *name = g_strdup_printf ("echo-%s-%u", v6 ? "ipv6" : "ipv4", port);
  const gchar *argv[] = { "socat", listen_arg, "EXEC:cat", NULL };
  LabProc *proc = lab_spawn (lab, name, argv, error);

  g_free (listen_arg);
  g_free (name);
  if (proc == NULL)
    return 0;
  if (!lab_wait_port (proc, host, port, LAB_WAIT_PORT_MS, error))
    return 0;
  return port;
}

/* --- black holes ------------------------------------------------------------ */

static void
lab_black_hole_free (LabBlackHole *hole)
{
  if (hole->fill_fd >= 0)
    close (hole->fill_fd);
  if (hole->listen_fd >= 0)
    close (hole->listen_fd);
  g_free (hole);
}

LabBlackHole *
lab_black_hole_new (Lab *lab, GError **error)
{
  struct sockaddr_storage ss;
  socklen_t len;
  struct pollfd pfd;
  LabBlackHole *hole = g_new0 (LabBlackHole, 1);
  int err = 0;
  socklen_t errlen = sizeof err;

  hole->fill_fd = -1;
  hole->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fh_hostname_literal_sockaddr ("127.0.0.1", 0, &ss, &len);
  if (hole->listen_fd < 0
      || bind (hole->listen_fd, (struct sockaddr *) &ss, len) != 0
      || listen (hole->listen_fd, 0) != 0
      || getsockname (hole->listen_fd, (struct sockaddr *) &ss, &len) != 0)
    goto fail;
  hole->port = ntohs (((struct sockaddr_in *) &ss)->sin_port);

  /* Backlog 0 queues one connection; ours fills the queue. */
  hole->fill_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (hole->fill_fd < 0)
    goto fail;
  if (connect (hole->fill_fd, (struct sockaddr *) &ss, len) != 0 && errno != EINPROGRESS)
    goto fail;
  pfd.fd = hole->fill_fd;
  pfd.events = POLLOUT;
  if (poll (&pfd, 1, 2000) != 1
      || getsockopt (hole->fill_fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0
      || err != 0)
    {
      errno = err != 0 ? err : ETIMEDOUT;
      goto fail;
    }
  g_ptr_array_add (lab->holes, hole);
  return hole;

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
               "cannot make a black hole on 127.0.0.1: %s", g_strerror (errno));
  lab_black_hole_free (hole);
  return NULL;
}

guint16
lab_black_hole_get_port (LabBlackHole *hole)
{
  return hole->port;
}

void
lab_black_hole_open (LabBlackHole *hole)
{
  int fd;

  if (hole->fill_fd < 0)
    return;
  fd = accept4 (hole->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0)
    close (fd);
  close (hole->fill_fd);
  hole->fill_fd = -1;
  /* Later connections complete in the kernel (queue of one) without an
   * accept(); each further connection would need another accept, which a
   * test of one slow route does not need. */
}

/* --- fds and main loop --------------------------------------------------------- */

guint
lab_count_open_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n - 1; /* the directory's own fd */
}

gchar *
lab_list_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  GString *out = g_string_new (NULL);
  const gchar *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
      gchar *target = g_file_read_link (path, NULL);
      g_string_append_printf (out, "%s -> %s\n", name, target != NULL ? target : "?");
      g_free (target);
      g_free (path);
    }
  g_dir_close (dir);
  return g_string_free (out, FALSE);
}

guint
lab_wait_fds_at_most (guint max, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint n;

  while ((n = lab_count_open_fds ()) > max && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5 * 1000);
    }
  if (n > max)
    {
      gchar *list = lab_list_fds ();
      g_test_message ("%u fds open, expected at most %u:\n%s", n, max, list);
      g_free (list);
    }
  return n;
}

void
lab_assert_fds_back (guint before, LabFdsCount count)
{
  /* It logs the open ones when there are more. */
  guint now = lab_wait_fds_at_most (before, 3000);

  if (count == LAB_FDS_AT_MOST)
    {
      g_assert_cmpuint (now, <=, before);
      return;
    }
  if (now < before)
    {
      gchar *list = lab_list_fds ();
      g_test_message ("%u fds open, expected %u:\n%s", now, before, list);
      g_free (list);
    }
  g_assert_cmpuint (now, ==, before);
}

static gboolean
lab_wakeup (gpointer user_data)
{
  (void) user_data;
  return G_SOURCE_CONTINUE;
}

gboolean
lab_iterate_until (const gboolean *flag, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GSource *tick = g_timeout_source_new (10);

  g_source_set_callback (tick, lab_wakeup, NULL, NULL);
  g_source_attach (tick, g_main_context_get_thread_default ());
  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_source_destroy (tick);
  g_source_unref (tick);
  return *flag;
}

void
lab_assert_contains (const gchar *haystack, const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}
