/* The tor plugin's discovery: finding Tor's SOCKS port through a control
 * port ([tor] control.port) or by launching a private tor ([tor] launch
 * = true), on a thread of its own, because the control-port client
 * (tor-control.c) blocks and a launch waits for tor to bootstrap. One
 * discovery runs at a time per plugin state; every connect that needs the
 * port waits for it (tor_wait_for_discovery(), from tor-connect.c), gets
 * its statuses while it runs and is resumed on its own main context when
 * it ends (plugins/common/caller-queue.h). What it found is cached in the
 * state. The launched tor, its data directory and its owning control
 * connection live as long as the discovery (tor_discovery_free()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_CLOEXEC and kill() are POSIX, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "tor-private.h"

static void
discovery_set_phase (Discovery *d,
                     const gchar *phase)
{
  g_mutex_lock (&d->state->lock);
  d->phase = phase;
  for (guint i = 0; i < d->waiters->len; i++)
    {
      ConnectData *data = g_task_get_task_data (g_ptr_array_index (d->waiters, i));

      fh_caller_queue_status (data->caller, phase);
    }
  g_mutex_unlock (&d->state->lock);
}

/* Sleeps @ms unless cancelled; FALSE when cancelled. */
static gboolean
sleep_cancellable (GCancellable *cancellable,
                   guint ms)
{
  GPollFD pfd;

  if (g_cancellable_make_pollfd (cancellable, &pfd))
    {
      g_poll (&pfd, 1, ms);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep (ms * 1000);
  return !g_cancellable_is_cancelled (cancellable);
}

static gboolean
return_if_cancelled (GCancellable *cancellable,
                     GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The last lines of the launched tor's output, for error messages: from
 * its last TOR_LOG_TAIL_BYTES only, however long it grew. */
#define TOR_LOG_TAIL_BYTES 4096

static gchar *
log_tail (const gchar *path)
{
  gchar contents[TOR_LOG_TAIL_BYTES + 1];
  gchar **lines;
  GString *tail = g_string_new (NULL);
  struct stat st;
  gssize got;
  guint n, first;
  gint fd;

  if (path == NULL || (fd = tor_open_regular_file (path, &st)) < 0)
    return g_string_free (tail, FALSE);
  if (st.st_size > TOR_LOG_TAIL_BYTES)
    lseek (fd, st.st_size - TOR_LOG_TAIL_BYTES, SEEK_SET);
  got = tor_read_at_most (fd, (guint8 *) contents, TOR_LOG_TAIL_BYTES);
  close (fd);
  if (got <= 0)
    return g_string_free (tail, FALSE);
  contents[got] = '\0';
  lines = g_strsplit (g_strstrip (contents), "\n", -1);
  n = g_strv_length (lines);
  first = n > 3 ? n - 3 : 0;
  for (guint i = first; i < n; i++)
    {
      g_string_append (tail, tail->len > 0 ? " | " : "");
      g_string_append (tail, g_strstrip (lines[i]));
    }
  g_strfreev (lines);
  return g_string_free (tail, FALSE);
}

/* TRUE (and d->pid cleared, *@status set) when the launched tor exited. */
static gboolean
tor_exited (Discovery *d,
            gint *status)
{
  if (d->pid <= 0)
    return TRUE;
  if (waitpid (d->pid, status, WNOHANG) == d->pid)
    {
      d->pid = 0;
      return TRUE;
    }
  return FALSE;
}

static void
set_tor_exited_error (Discovery *d,
                      gint status,
                      const gchar *when,
                      GError **error)
{
  gchar *tail = log_tail (d->log_path);
  gchar *how = WIFEXITED (status) ? g_strdup_printf ("with status %d", WEXITSTATUS (status))
             : WIFSIGNALED (status) ? g_strdup_printf ("on signal %d", WTERMSIG (status))
             : g_strdup ("");

  tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "the launched tor exited %s %s; its last words: %s",
                         how, when, *tail != '\0' ? tail : "(none)");
  g_free (how);
  g_free (tail);
}

static void
kill_and_reap (GPid pid)
{
  gint status;
  gint64 deadline = g_get_monotonic_time () + TOR_KILL_GRACE_MS * (G_USEC_PER_SEC / 1000);

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return;
      g_usleep (20 * 1000);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
}

/* rm -r of a directory we created (symbolic links are removed, not
 * followed). */
static void
remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          gchar *child = g_build_filename (path, name, NULL);

          remove_tree (child);
          g_free (child);
        }
      if (dir != NULL)
        g_dir_close (dir);
      rmdir (path);
    }
  else
    unlink (path);
}

static gboolean
discover_via_control (Discovery *d,
                      FhEndpoint *found,
                      GError **error)
{
  TorState *state = d->state;
  TorControl *ctl;
  gchar *how = NULL;
  gboolean ok;

  ctl = tor_control_open (&state->control, d->cancellable, error);
  if (ctl == NULL)
    return FALSE;
  ok = tor_control_authenticate (ctl, state->control_auth, state->control_password,
                                 d->cancellable, &how, error);
  if (ok)
    {
      /* Logged also when what follows fails: says how far we got. */
      g_mutex_lock (&state->lock);
      d->found_how = g_strdup_printf ("%s: %s", ctl->label, how);
      g_mutex_unlock (&state->lock);
      ok = tor_control_socks_port (ctl, d->cancellable, found, error);
    }
  if (ok)
    {
      gchar *where = fh_plugin_endpoint_display (found);

      g_mutex_lock (&state->lock);
      g_free (d->found_how);
      d->found_how = g_strdup_printf ("SOCKS port %s found through %s (%s)",
                                      where, ctl->label, how);
      g_mutex_unlock (&state->lock);
      g_free (where);
    }
  g_free (how);
  tor_control_free (ctl);
  return ok;
}

/* The control-port file is at most this long ("PORT=127.0.0.1:65535"). */
#define TOR_CONTROL_FILE_MAX 1024

/* Waits for ControlPortWriteToFile's "PORT=127.0.0.1:P". Trusted because
 * launch_tor() removed any earlier one before starting tor, in a data
 * directory nobody else may write to (prepare_data_directory()): the
 * file that appears is the new tor's. Still, it must be a regular file
 * of ours, and name a control port on loopback. */
static gboolean
wait_control_file (Discovery *d,
                   const gchar *path,
                   FhEndpoint *control,
                   GError **error)
{
  gint64 deadline = g_get_monotonic_time () + TOR_LAUNCH_START_TIMEOUT_MS * (gint64) 1000;

  for (;;)
    {
      gchar contents[TOR_CONTROL_FILE_MAX + 1];
      struct stat st;
      gssize got = 0;
      gint status = 0;
      gint fd = tor_open_regular_file (path, &st);
      gint saved = errno;

      if (fd < 0 && saved != ENOENT)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                                 "refusing the launched tor's control-port file %s: %s",
                                 path, tor_open_problem (saved));
          return FALSE;
        }
      if (fd >= 0)
        {
          if (st.st_uid != geteuid ())
            {
              tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                                     "refusing the launched tor's control-port file %s: it "
                                     "belongs to uid %u, not to us (uid %u)", path,
                                     (guint) st.st_uid, (guint) geteuid ());
              close (fd);
              return FALSE;
            }
          got = tor_read_at_most (fd, (guint8 *) contents, TOR_CONTROL_FILE_MAX);
          close (fd);
        }
      /* A whole line (or more than any line tor writes). */
      if (got > 0 && (memchr (contents, '\n', got) != NULL || got == TOR_CONTROL_FILE_MAX))
        {
          GArray *ports = NULL;
          gboolean ok = FALSE;
          gchar *shown;

          contents[got] = '\0';
          g_strstrip (contents);
          if (g_str_has_prefix (contents, "PORT="))
            ports = fh_torctl_parse_socks_listeners (contents + 5, NULL);
          if (ports != NULL && ports->len == 1 &&
              fh_torctl_endpoint_is_loopback (&g_array_index (ports, FhEndpoint, 0)))
            {
              tor_endpoint_copy (control, &g_array_index (ports, FhEndpoint, 0));
              ok = TRUE;
            }
          else
            {
              shown = g_utf8_make_valid (contents, -1);
              for (gchar *c = shown; *c != '\0'; c++)
                if ((guchar) *c < 0x20)
                  *c = '?';
              tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                                     "the launched tor wrote “%s” into %s; expected "
                                     "“PORT=ADDRESS:PORT” with an address on loopback", shown,
                                     path);
              g_free (shown);
            }
          if (ports != NULL)
            g_array_unref (ports);
          return ok;
        }

      if (tor_exited (d, &status))
        {
          set_tor_exited_error (d, status, "before opening its control port", error);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          gchar *tail = log_tail (d->log_path);

          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                                 "the launched tor did not open its control port within %d s; "
                                 "its last words: %s", TOR_LAUNCH_START_TIMEOUT_MS / 1000,
                                 *tail != '\0' ? tail : "(none)");
          g_free (tail);
          return FALSE;
        }
      if (!sleep_cancellable (d->cancellable, 50))
        return !return_if_cancelled (d->cancellable, error);
    }
}

static gboolean
wait_bootstrap (Discovery *d,
                GError **error)
{
  gint64 deadline = g_get_monotonic_time () + TOR_BOOTSTRAP_TIMEOUT_MS * (gint64) 1000;

  for (;;)
    {
      FhTorBootstrap phase = { 0, };
      gchar *value = NULL;
      gint status = 0;

      if (!tor_control_getinfo (d->owner, "status/bootstrap-phase", &value, d->cancellable,
                                error))
        return FALSE;
      if (!fh_torctl_parse_bootstrap (value, &phase, error))
        {
          g_free (value);
          return FALSE;
        }
      g_free (value);
      if (phase.progress == 100)
        {
          fh_torctl_bootstrap_clear (&phase);
          return TRUE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                                 "the launched tor did not finish bootstrapping within %d s: "
                                 "%d%% (%s)%s%s", TOR_BOOTSTRAP_TIMEOUT_MS / 1000,
                                 phase.progress, phase.summary != NULL ? phase.summary : "?",
                                 phase.warning != NULL ? ", last problem: " : "",
                                 phase.warning != NULL ? phase.warning : "");
          fh_torctl_bootstrap_clear (&phase);
          return FALSE;
        }
      fh_torctl_bootstrap_clear (&phase);
      if (tor_exited (d, &status))
        {
          set_tor_exited_error (d, status, "while bootstrapping", error);
          return FALSE;
        }
      if (!sleep_cancellable (d->cancellable, TOR_BOOTSTRAP_POLL_MS))
        return !return_if_cancelled (d->cancellable, error);
    }
}

/* [tor] data-directory: created 0700 when missing; otherwise it must be
 * a directory (not a symbolic link) of ours that nobody else may write
 * to. Whoever can write there can plant what we write (tor.log, through
 * a symbolic link) or read (the control-port file, naming their own
 * "tor"). Read permission for others is left to tor, which makes its
 * DataDirectory 0700 itself. */
static gboolean
prepare_data_directory (const gchar *dir,
                        GError **error)
{
  gchar *problem;

  if (!g_file_test (dir, G_FILE_TEST_EXISTS) && !g_file_test (dir, G_FILE_TEST_IS_SYMLINK) &&
      g_mkdir_with_parents (dir, 0700) != 0)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "cannot create tahoe.cfg [tor] data-directory %s: %s",
                             dir, g_strerror (errno));
      return FALSE;
    }
  problem = tor_private_dir_problem (dir, S_IWGRP | S_IWOTH);
  if (problem != NULL)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "refusing tahoe.cfg [tor] data-directory %s: %s; accepted: a "
                             "directory of ours that only we may write to (chmod 700), or a "
                             "path that does not exist yet (created 0700)", dir, problem);
      g_free (problem);
      return FALSE;
    }
  return TRUE;
}

/* Removes what an earlier run left at @path (in the data directory): a
 * regular file only. Anything else there (a symbolic link planted to make
 * us write elsewhere, a FIFO) is refused and left alone. */
static gboolean
remove_stale_file (const gchar *path,
                   GError **error)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
    }
  else if (!S_ISREG (st.st_mode))
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "refusing to launch tor: %s is %s, not a file furlhint wrote; "
                             "accepted: remove it", path,
                             S_ISLNK (st.st_mode) ? "a symbolic link" : "not a regular file");
      return FALSE;
    }
  else if (unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "cannot remove %s before launching tor: %s", path, g_strerror (errno));
  return FALSE;
}

/* A new file at @path, ours alone (0600), never through a link: the one
 * remove_stale_file() cleared the way for. */
static gint
create_private_file (const gchar *path,
                     GError **error)
{
  gint fd;

  if (!remove_stale_file (path, error))
    return -1;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0)
    tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                           "cannot create %s: %s", path, g_strerror (errno));
  return fd;
}

static gboolean
launch_tor (Discovery *d,
            FhEndpoint *found,
            GError **error)
{
  TorState *state = d->state;
  const gchar *executable = state->executable != NULL ? state->executable : "tor";
  gchar *dir = NULL, *torrc = NULL, *control_file = NULL, *pid_text = NULL, *how = NULL;
  FhEndpoint control = { 0, };
  GError *local = NULL;
  gboolean ok = FALSE;
  gint log_fd = -1;

  discovery_set_phase (d, STATUS_LAUNCHING);

  if (state->data_directory != NULL)
    {
      dir = g_strdup (state->data_directory);
      if (!prepare_data_directory (dir, error))
        goto out;
    }
  else
    {
      /* g_dir_make_tmp() creates it 0700, as tor insists. */
      dir = g_dir_make_tmp ("furlhint-tor-XXXXXX", &local);
      if (dir == NULL)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                                 "cannot create a data directory for tor: %s", local->message);
          g_error_free (local);
          goto out;
        }
      d->tmp_dir = g_strdup (dir);
    }

  /* Everything goes on the command line; the (empty) torrc only keeps
   * tor from reading the system's /etc/tor/torrc. */
  torrc = g_build_filename (dir, "furlhint-torrc", NULL);
  control_file = g_build_filename (dir, "control-port", NULL);
  d->log_path = g_build_filename (dir, "tor.log", NULL);
  /* The control-port file we will trust is the one the new tor writes. */
  if (!remove_stale_file (control_file, error))
    goto out;
  {
    static const gchar torrc_text[] = "# furlhint passes its settings on tor's command line\n";
    gint fd = create_private_file (torrc, error);
    gssize n;

    if (fd < 0)
      goto out;
    do
      n = write (fd, torrc_text, sizeof torrc_text - 1);
    while (n < 0 && errno == EINTR);
    if (n != sizeof torrc_text - 1)
      {
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                               "cannot write %s: %s", torrc,
                               n < 0 ? g_strerror (errno) : "short write");
        close (fd);
        goto out;
      }
    close (fd);
  }
  log_fd = create_private_file (d->log_path, error);
  if (log_fd < 0)
    goto out;

  pid_text = g_strdup_printf ("%d", (gint) getpid ());
  {
    const gchar *argv[] = {
      executable,
      "--defaults-torrc", torrc,
      "-f", torrc,
      "--DataDirectory", dir,
      "--SocksPort", "auto",
      "--ControlPort", "auto",
      "--ControlPortWriteToFile", control_file,
      "--CookieAuthentication", "1",
      /* tor exits when we do, even if TAKEOWNERSHIP below never happens */
      "--__OwningControllerProcess", pid_text,
      "--Log", "notice stdout",
      NULL
    };

    if (!g_spawn_async_with_fds (NULL, (gchar **) argv, NULL,
                                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &d->pid, -1, log_fd, log_fd, &local))
      {
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                               "cannot launch tor (%s): %s; accepted: Tor installed on $PATH, "
                               "or [tor] tor.executable naming it", executable, local->message);
        g_error_free (local);
        d->pid = 0;
        goto out;
      }
  }

  if (!wait_control_file (d, control_file, &control, error))
    goto out;
  d->owner = tor_control_open (&control, d->cancellable, error);
  if (d->owner == NULL ||
      /* Ours, started with CookieAuthentication 1: SAFECOOKIE only. */
      !tor_control_authenticate (d->owner, FH_TOR_AUTH_SAFECOOKIE, NULL, d->cancellable,
                                 &how, error) ||
      /* tor exits when this connection closes: in fini, or when we die */
      !tor_control_simple (d->owner, "TAKEOWNERSHIP\r\n", "TAKEOWNERSHIP", d->cancellable,
                           error))
    goto out;

  /* For onion services (tor-publish.c), which authenticate as we did. */
  g_mutex_lock (&state->lock);
  tor_endpoint_copy (&d->control, &control);
  d->have_control = TRUE;
  g_mutex_unlock (&state->lock);

  discovery_set_phase (d, STATUS_BOOTSTRAP);
  if (!wait_bootstrap (d, error) ||
      !tor_control_socks_port (d->owner, d->cancellable, found, error))
    goto out;

  {
    gchar *where = fh_plugin_endpoint_display (found);

    g_mutex_lock (&state->lock);
    d->found_how = g_strdup_printf ("launched tor (pid %d, data directory %s) "
                                    "bootstrapped; SOCKS port %s (%s)",
                                    (gint) d->pid, dir, where, how);
    g_mutex_unlock (&state->lock);
    g_free (where);
  }
  ok = TRUE;

out:
  if (log_fd >= 0)
    close (log_fd);
  fh_endpoint_clear (&control);
  g_free (dir);
  g_free (torrc);
  g_free (control_file);
  g_free (pid_text);
  g_free (how);
  return ok;
}

static gpointer
discovery_thread (gpointer user_data)
{
  Discovery *d = user_data;
  TorState *state = d->state;
  FhEndpoint found = { 0, };
  GError *error = NULL;
  GPtrArray *waiters;
  gboolean ok;

  g_clear_pointer (&d->previous, tor_discovery_free);

  if (d->mode == TOR_MODE_LAUNCH)
    ok = launch_tor (d, &found, &error);
  else
    ok = discover_via_control (d, &found, &error);
  if (!ok && error == NULL)
    tor_set_connect_error (&error, FURLHINT_CONNECT_ERROR_FAILED, "finding Tor failed");

  g_mutex_lock (&state->lock);
  d->finished = TRUE;
  if (ok)
    {
      fh_endpoint_clear (&state->found);
      state->found = found;
      state->have_found = TRUE;
    }
  else
    d->error = error;
  waiters = g_steal_pointer (&d->waiters);
  d->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&state->lock);

  /* On each waiter's own context, after the statuses posted to it, never
   * here: tor_waiter_resume takes state->lock, and callbacks must run on the
   * caller's thread. */
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      ConnectData *data = g_task_get_task_data (task);

      fh_caller_queue_post (data->caller, tor_waiter_resume, g_object_ref (task),
                            g_object_unref);
    }
  g_ptr_array_unref (waiters);
  return NULL;
}

void
tor_discovery_free (Discovery *d)
{
  if (d == NULL)
    return;
  g_cancellable_cancel (d->cancellable);
  if (d->thread != NULL)
    g_thread_join (d->thread);
  g_clear_pointer (&d->previous, tor_discovery_free);
  /* Closing the owning connection makes tor exit; the signal is for a
   * tor that never got that far. */
  g_clear_pointer (&d->owner, tor_control_free);
  kill_and_reap (d->pid);
  if (d->tmp_dir != NULL)
    remove_tree (d->tmp_dir);
  g_free (d->tmp_dir);
  g_free (d->log_path);
  g_free (d->found_how);
  fh_endpoint_clear (&d->control);
  g_clear_error (&d->error);
  /* Empty unless the host freed the plugin during a connect. */
  g_ptr_array_unref (d->waiters);
  g_object_unref (d->cancellable);
  g_free (d);
}

/* Starts a new discovery in place of the finished one (or none);
 * state->lock held. */
Discovery *
tor_discovery_start (TorState *state,
                     GError **error)
{
  Discovery *fresh = g_new0 (Discovery, 1);

  fresh->state = state;
  fresh->mode = state->mode;
  fresh->cancellable = g_cancellable_new ();
  fresh->phase = STATUS_FINDING;
  fresh->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  fresh->previous = state->discovery;
  fresh->thread = g_thread_try_new ("furlhint-tor", discovery_thread, fresh, error);
  if (fresh->thread == NULL)
    {
      fresh->previous = NULL;
      tor_discovery_free (fresh);
      return NULL;
    }
  state->discovery = fresh;
  return fresh;
}

/* Waits for (and if needed starts) the discovery; state->lock held. */
gboolean
tor_wait_for_discovery (GTask *task,
                        const gchar **phase,
                        GError **error)
{
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  Discovery *d = state->discovery;

  if ((d == NULL || d->finished) && (d = tor_discovery_start (state, error)) == NULL)
    return FALSE;
  g_ptr_array_add (d->waiters, g_object_ref (task));
  *phase = d->phase;
  return TRUE;
}
