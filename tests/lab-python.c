/* Running a Python script against the build tree (tests/lab-python.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "lab.h"
#include "lab-python.h"

/* A failure bound only: the demo answers in well under a second, a
 * Foolscap round trip takes about a second on loopback, a few through the
 * private Tor network. */
#define RUN_TIMEOUT_MS 60000

typedef struct {
  gboolean done;
  gchar *out;
  GError *error;
} Communicate;

gboolean
lab_python_ready (void)
{
#ifdef FURLHINT_GI_TEST_SKIP
  g_test_skip (FURLHINT_GI_TEST_SKIP);
  return FALSE;
#else
  return lab_ready ();
#endif
}

static void
communicate_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicate *com = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &com->out, NULL,
                                        &com->error);
  com->done = TRUE;
}

gchar *
lab_python_run (const gchar *what, const gchar *const *env, const gchar *const *args,
                gint *status)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *lib_path = g_build_filename (ABS_TOP_BUILDDIR, "core", ".libs", NULL);
  Communicate com = { FALSE, NULL, NULL };

  g_ptr_array_add (argv, (gpointer) GI_PYTHON);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  /* The typelib and the library of the build tree, nothing installed;
   * the plugins come from FURLHINT_PLUGIN_DIR (the tests' environment). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "GI_TYPELIB_PATH", ABS_TOP_BUILDDIR, TRUE);
  g_subprocess_launcher_setenv (launcher, "LD_LIBRARY_PATH", lib_path, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_assert_nonnull (pair[1]);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  g_assert_nonnull (g_getenv ("FURLHINT_PLUGIN_DIR"));
  sub = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (sub, NULL, NULL, communicate_cb, &com);
  if (!lab_iterate_until (&com.done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (sub);
      lab_iterate_until (&com.done, 3000);
      g_error ("%s did not finish within %u ms; its output so far:\n%s",
               what, RUN_TIMEOUT_MS, com.out != NULL ? com.out : "");
    }
  g_assert_no_error (com.error);
  g_subprocess_wait (sub, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_if_exited (sub) ? g_subprocess_get_exit_status (sub) : -1;
  g_test_message ("exit %d, output:\n%s", *status, com.out);
  return com.out;
}
