/* Running tests/foolscap-tubs.py from a test program (tests/lab-foolscap.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "lab-python.h"
#include "lab-foolscap.h"

gboolean
lab_foolscap_ready (void)
{
  g_autofree gchar *out = NULL;
  gint status = -1;
  const gchar *argv[] = { GI_PYTHON, "-c", "import foolscap, twisted", NULL };

  if (!lab_python_ready ())
    return FALSE;
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("no Foolscap/Twisted for " GI_PYTHON " (install python3-foolscap)");
      return FALSE;
    }
  return TRUE;
}

gchar *
lab_foolscap_run (const gchar *const *env, gint *status, const gchar *first, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) all_env = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *module_path = g_build_filename (ABS_TOP_SRCDIR, "python", NULL);
  va_list ap;

  g_ptr_array_add (args, g_strdup ("-W"));
  g_ptr_array_add (args, g_strdup ("ignore::DeprecationWarning"));
  g_ptr_array_add (args, g_build_filename (ABS_TOP_SRCDIR, "tests", "foolscap-tubs.py", NULL));
  va_start (ap, first);
  for (const gchar *a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (args, NULL);

  /* furlhint_foolscap.py from the source tree; @env after it */
  g_ptr_array_add (all_env, g_strconcat ("PYTHONPATH=", module_path, NULL));
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    g_ptr_array_add (all_env, g_strdup (env[i]));
  g_ptr_array_add (all_env, NULL);

  return lab_python_run ("the Tubs", (const gchar *const *) all_env->pdata,
                         (const gchar *const *) args->pdata, status);
}
