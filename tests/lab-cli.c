/* Running the built command from a test program (tests/lab-cli.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lab.h"
#include "lab-cli.h"

typedef struct {
  gboolean done;
  GBytes *out;
  GBytes *err;
  GError *error;
} Communicate;

void
lab_cli_run_clear (LabCliRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

/* The bytes, NUL-terminated (they may hold NULs too), their length in
 * @length (nullable); never NULL, also for @bytes NULL. */
static gchar *
bytes_to_string (GBytes *bytes, gsize *length)
{
  gsize n = bytes != NULL ? g_bytes_get_size (bytes) : 0;
  gchar *s = g_malloc (n + 1);

  if (n > 0)
    memcpy (s, g_bytes_get_data (bytes, NULL), n);
  s[n] = '\0';
  if (length != NULL)
    *length = n;
  return s;
}

static void
communicate_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Communicate *com = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &com->out, &com->err,
                                   &com->error);
  com->done = TRUE;
}

void
lab_cli_run_reap (LabCliRun *run, GSubprocess *sub, gint64 t0)
{
  g_autoptr(GError) error = NULL;

  /* it has closed its pipes, so it exits now */
  g_subprocess_wait (sub, NULL, &error);
  g_assert_no_error (error);
  run->elapsed_ms = (guint) ((g_get_monotonic_time () - t0) / 1000);
  if (g_subprocess_get_if_exited (sub))
    run->status = g_subprocess_get_exit_status (sub);
  else
    run->status = 128 + g_subprocess_get_term_sig (sub);
}

void
lab_cli_run (LabCliRun *run, GBytes *input, const gchar *const *argv, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  /* With a stdin pipe GIO wants bytes to write, even none. */
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  Communicate com = { FALSE, NULL, NULL, NULL };
  const gchar *command = argv[1] != NULL ? argv[1] : "";
  gint64 t0;

  t0 = g_get_monotonic_time ();
  sub = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_async (sub, input != NULL ? input : empty, NULL, communicate_cb, &com);
  if (!lab_iterate_until (&com.done, timeout_ms))
    {
      g_subprocess_force_exit (sub);
      lab_iterate_until (&com.done, 3000);
      g_error ("furlhint %s did not finish within %u ms", command, timeout_ms);
    }
  g_assert_no_error (com.error);
  lab_cli_run_reap (run, sub, t0);
  run->out = bytes_to_string (com.out, &run->out_len);
  run->err = bytes_to_string (com.err, NULL);
  g_test_message ("furlhint %s: exit %d after %u ms\nstdout:\n%s\nstderr:\n%s", command,
                  run->status, run->elapsed_ms, run->out_len < 4096 ? run->out : "(binary)",
                  run->err);
  g_clear_pointer (&com.out, g_bytes_unref);
  g_clear_pointer (&com.err, g_bytes_unref);
}
