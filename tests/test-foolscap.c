/* Foolscap itself with furlhint's hint handlers (python/furlhint_foolscap.py):
 * two real Foolscap 21.7 Tubs (tests/foolscap-tubs.py) on loopback, in a
 * private network namespace (tests/lab.c); the client's handlers are
 * furlhint's, and a callRemote comes back over direct TCP and through a
 * real SOCKS proxy (microsocks). In anonymous mode the clear hint is
 * refused by furlhint's policy, in furlhint's words.
 *
 * Needs introspection and a python3 with PyGObject and Foolscap; skipped,
 * saying why, without them and in a sanitizer build (as
 * tests/test-gi-python.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/furlhint.h>

#include "lab.h"

/* Only microsocks can resolve it (lab_spawn_isolated()): a connection to
 * it went through the proxy. */
#define LAB_NAME "tub.lab.test"
/* A failure bound only: a round trip takes about a second. */
#define RUN_TIMEOUT_MS 60000

typedef struct {
  Lab *lab;
} Fixture;

typedef struct {
  gboolean done;
  gchar *out;
  GError *error;
} Communicate;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lab_free (f->lab);
}

static gboolean
foolscap_ready (void)
{
#ifdef FURLHINT_GI_TEST_SKIP
  g_test_skip (FURLHINT_GI_TEST_SKIP);
  return FALSE;
#else
  g_autofree gchar *out = NULL;
  gint status = -1;
  const gchar *argv[] = { GI_PYTHON, "-c", "import foolscap, twisted", NULL };

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("no Foolscap/Twisted for " GI_PYTHON " (install python3-foolscap)");
      return FALSE;
    }
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

/* Runs tests/foolscap-tubs.py with @first... (NULL-terminated) against the
 * build tree's module, typelib and library. */
static gchar *
run_tubs (gint *status, const gchar *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *lib_path = g_build_filename (ABS_TOP_BUILDDIR, "core", ".libs", NULL);
  g_autofree gchar *module_path = g_build_filename (ABS_TOP_SRCDIR, "python", NULL);
  Communicate com = { FALSE, NULL, NULL };
  va_list ap;

  g_ptr_array_add (argv, g_strdup (GI_PYTHON));
  g_ptr_array_add (argv, g_strdup ("-W"));
  g_ptr_array_add (argv, g_strdup ("ignore::DeprecationWarning"));
  g_ptr_array_add (argv, g_build_filename (ABS_TOP_SRCDIR, "tests", "foolscap-tubs.py", NULL));
  va_start (ap, first);
  for (const gchar *a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "GI_TYPELIB_PATH", ABS_TOP_BUILDDIR, TRUE);
  g_subprocess_launcher_setenv (launcher, "LD_LIBRARY_PATH", lib_path, TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", module_path, TRUE);
  g_assert_nonnull (g_getenv ("FURLHINT_PLUGIN_DIR"));
  sub = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (sub, NULL, NULL, communicate_cb, &com);
  if (!lab_iterate_until (&com.done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (sub);
      lab_iterate_until (&com.done, 3000);
      g_error ("the Tubs did not finish within %u ms", RUN_TIMEOUT_MS);
    }
  g_assert_no_error (com.error);
  g_subprocess_wait (sub, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_if_exited (sub) ? g_subprocess_get_exit_status (sub) : -1;
  g_test_message ("exit %d, output:\n%s", *status, com.out);
  return com.out;
}

static void
assert_contains (const gchar *haystack, const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}

/* Tahoe's defaults (no tahoe.cfg): direct TCP, chosen by furlhint. */
static void
test_direct (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  gint status;

  if (!foolscap_ready ())
    return;
  out = run_tubs (&status, "-", NULL);
  g_assert_cmpint (status, ==, 0);
  assert_contains (out, "handlers: i2p=furlhint, tcp=furlhint, tor=furlhint\n");
  assert_contains (out, ": direct TCP to 127.0.0.1:");
  assert_contains (out, "echo: through furlhint\n");
  assert_contains (out, ": successful\n");
}

/* `[connections] tcp.socks-proxy`: the hint names a host only microsocks
 * can resolve, so the round trip proves the proxy carried it. */
static void
test_socks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *port_text = NULL;
  guint16 port;
  LabProc *proxy;
  gint status;

  if (!foolscap_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  port_text = g_strdup_printf ("%u", port);
  {
    const gchar *argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_text, NULL };

    proxy = lab_spawn_isolated (f->lab, "microsocks", "127.0.0.1 " LAB_NAME "\n", argv, &error);
    g_assert_no_error (error);
  }
  lab_wait_port (proxy, "127.0.0.1", port, LAB_WAIT_PORT_MS, &error);
  g_assert_no_error (error);
  cfg_text = g_strdup_printf ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:%u\n", port);
  cfg = lab_write_file (f->lab, "tahoe.cfg", cfg_text);

  out = run_tubs (&status, cfg, "--hint-host", LAB_NAME, NULL);
  g_assert_cmpint (status, ==, 0);
  assert_contains (out, "route tcp:" LAB_NAME ":");
  assert_contains (out, "(furlhint, proxied)\n");
  assert_contains (out, "echo: through furlhint\n");
}

/* Anonymous mode without Tor: furlhint's policy refuses the clear hint
 * (Foolscap's own TCP handler is gone), and no connection is made. */
static void
test_anonymous (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  gint status;

  if (!foolscap_ready ())
    return;
  out = run_tubs (&status, "-", "--anonymous", NULL);
  g_assert_cmpint (status, ==, 1);
  assert_contains (out, ": InvalidHintError: no route: anonymous mode forbids direct TCP");
  assert_contains (out, "failed: NoLocationHintsError()\n");
  g_assert_null (strstr (out, "echo:"));
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/foolscap/direct", Fixture, NULL, setup, test_direct, teardown);
  g_test_add ("/foolscap/socks", Fixture, NULL, setup, test_socks, teardown);
  g_test_add ("/foolscap/anonymous", Fixture, NULL, setup, test_anonymous, teardown);
  return g_test_run ();
}
