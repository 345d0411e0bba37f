/* Running a Python script from a test program against the build tree's
 * typelib and library (GObject Introspection): configure's GI_PYTHON,
 * nothing installed. Shared by tests/test-gi-python.c (the demo) and
 * tests/lab-foolscap.c (the Foolscap Tubs). Compiled with GI_PYTHON,
 * ABS_TOP_BUILDDIR and ABS_TOP_SRCDIR defined (Makefile.am:
 * tests_test_gi_python_CPPFLAGS).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_PYTHON_H
#define FURLHINT_TESTS_LAB_PYTHON_H

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when GI_PYTHON can load the build tree's library: introspection, a
 * python3 with PyGObject, no sanitizer build (configure's
 * FURLHINT_GI_TEST_SKIP), and the lab (lab_ready()). Otherwise calls
 * g_test_skip() with the reason and returns FALSE. */
gboolean lab_python_ready (void);

/* Runs GI_PYTHON with @args (NULL-terminated: the interpreter's options,
 * the script, its arguments), the build tree's typelib and library in its
 * environment and @env (nullable, NULL-terminated "NAME=VALUE" strings)
 * added, and waits for it to exit (bounded: a hang fails the test, naming
 * @what). Returns its output, stdout and stderr merged (transfer full), and
 * its exit status in @status (-1 when it did not exit). */
gchar *lab_python_run (const gchar *what, const gchar *const *env,
                       const gchar *const *args, gint *status);

G_END_DECLS

#endif
