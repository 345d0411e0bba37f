/* Test programs and the leak checker (tests/leakcheck/leakcheck.c).
 *
 * Header-only; include it in a test program that may run under the
 * checker. Every function is a no-op when the program does not (the
 * checker's symbols are looked up at run time), so the same test runs
 * with and without it.
 *
 * Three ways to run a test program under the checker:
 *
 *  1. `make check-leakcheck` runs every program in LEAKCHECK_TESTS
 *     (Makefile.am) through tests/leakcheck/leakcheck-run.sh, which
 *     preloads the checker in fail mode and fails the test when anything
 *     was logged. Add anonymous-mode test programs to that list.
 *  2. By hand: tests/leakcheck/leakcheck-run.sh ./tests/test-foo
 *     (the checker is found in the build tree; see the script).
 *  3. FURLHINT_TEST_LEAKCHECK=1 in the environment, and a call to
 *     leakcheck_maybe_reexec (argv) first thing in main() (before
 *     lab_enter_private_netns() and g_test_init()): the program re-executes
 *     itself with the checker preloaded, and exits with status 1 at the
 *     end when it saw any violation.
 *
 * A test that knows its endpoints only at run time (a lab's Tor SOCKS
 * port) allows them with leakcheck_allow ("127.0.0.1:PORT"), and brackets
 * its own direct connects (lab_wait_port on a server, an echo check) with
 * leakcheck_suspend () / leakcheck_resume (), which exempt only the
 * calling thread: the library's worker threads stay checked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LEAKCHECK_H
#define FURLHINT_TESTS_LEAKCHECK_H

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static inline void *
leakcheck_symbol (const char *name)
{
  return dlsym (RTLD_DEFAULT, name);
}

/* TRUE when this process runs under an active checker. */
static inline gboolean
leakcheck_is_active (void)
{
  int (*f) (void) = (int (*) (void)) leakcheck_symbol ("furlhint_leakcheck_is_active");

  return f != NULL && f () != 0;
}

/* Violations seen so far in this process (0 without the checker). */
static inline guint
leakcheck_violations (void)
{
  unsigned (*f) (void) = (unsigned (*) (void)) leakcheck_symbol ("furlhint_leakcheck_get_violations");

  return f != NULL ? f () : 0;
}

/* Adds an endpoint to the allow list ("127.0.0.1:9050", "unix:/path",
 * "name:localhost"); the syntax of FURLHINT_LEAKCHECK_ALLOW. */
static inline void
leakcheck_allow (const char *endpoint)
{
  int (*f) (const char *) = (int (*) (const char *)) leakcheck_symbol ("furlhint_leakcheck_allow");

  if (f != NULL && f (endpoint) != 0)
    g_error ("leakcheck: cannot allow '%s' (malformed, or the list is full)", endpoint);
}

static inline void
leakcheck_suspend (void)
{
  void (*f) (void) = (void (*) (void)) leakcheck_symbol ("furlhint_leakcheck_suspend");

  if (f != NULL)
    f ();
}

static inline void
leakcheck_resume (void)
{
  void (*f) (void) = (void (*) (void)) leakcheck_symbol ("furlhint_leakcheck_resume");

  if (f != NULL)
    f ();
}

static inline void
leakcheck_exit_check (void)
{
  guint n = leakcheck_violations ();

  if (n > 0)
    {
      fprintf (stderr, "leakcheck: %u violation(s) in this process (see %s)\n", n,
               g_getenv ("FURLHINT_LEAKCHECK_LOG") != NULL ?
               g_getenv ("FURLHINT_LEAKCHECK_LOG") : "stderr");
      _exit (1);
    }
}

/* Path of the checker in the build tree: $FURLHINT_LEAKCHECK_SO, or
 * $G_TEST_BUILDDIR/leakcheck/.libs/leakcheck.so (transfer full). */
static inline gchar *
leakcheck_find_library (void)
{
  const gchar *so = g_getenv ("FURLHINT_LEAKCHECK_SO");
  const gchar *builddir = g_getenv ("G_TEST_BUILDDIR");

  if (so != NULL && *so != '\0')
    return g_strdup (so);
  if (builddir == NULL)
    return NULL;
  return g_build_filename (builddir, "leakcheck", ".libs", "leakcheck.so", NULL);
}

/* See (3) above. Returns only when no re-exec happens (or it failed). */
static inline void
leakcheck_maybe_reexec (char **argv)
{
  const gchar *want = g_getenv ("FURLHINT_TEST_LEAKCHECK");
  g_autofree gchar *so = NULL;

  if (leakcheck_is_active ())
    {
      atexit (leakcheck_exit_check);
      return;
    }
  if (want == NULL || !g_str_equal (want, "1"))
    return;

  so = leakcheck_find_library ();
  if (so == NULL || !g_file_test (so, G_FILE_TEST_EXISTS))
    {
      fprintf (stderr, "leakcheck: FURLHINT_TEST_LEAKCHECK=1 but the checker library "
               "was not found (%s); set FURLHINT_LEAKCHECK_SO\n", so != NULL ? so : "no G_TEST_BUILDDIR");
      exit (1);
    }
  g_setenv ("LD_PRELOAD", so, TRUE);
  if (g_getenv ("FURLHINT_LEAKCHECK_MODE") == NULL)
    g_setenv ("FURLHINT_LEAKCHECK_MODE", "fail", TRUE);
  execv ("/proc/self/exe", argv);
  fprintf (stderr, "leakcheck: cannot re-execute under the checker: %s\n", g_strerror (errno));
  exit (1);
}

#endif
