/* Running tests/foolscap-tubs.py (two real Foolscap Tubs, the client's
 * hint handlers furlhint's: python/furlhint_foolscap.py) from a test
 * program, against the build tree's module, typelib and library. Shared
 * by tests/test-foolscap.c (loopback, SOCKS) and tests/test-tornet.c
 * (the private Tor network). Compiled with GI_PYTHON, ABS_TOP_BUILDDIR
 * and ABS_TOP_SRCDIR defined (Makefile.am: tests_test_gi_python_CPPFLAGS).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_FOOLSCAP_H
#define FURLHINT_TESTS_LAB_FOOLSCAP_H

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when the Tubs can run: introspection, a python3 with PyGObject,
 * Foolscap and Twisted, no sanitizer build, and the lab (lab_ready()).
 * Otherwise calls g_test_skip() with the reason and returns FALSE. */
gboolean lab_foolscap_ready (void);

/* Runs foolscap-tubs.py with the arguments @first... (NULL-terminated),
 * with @env (nullable, NULL-terminated "NAME=VALUE" strings) added to its
 * environment, and waits for it to exit (bounded: a hang fails the test).
 * Returns its output, stdout and stderr merged (transfer full), and its
 * exit status in @status (-1 when it did not exit). */
gchar *lab_foolscap_run (const gchar *const *env, gint *status,
                         const gchar *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS

#endif
