/* Running the built command (FURLHINT_CLI) from a test program, bounded,
 * and what it answered. Shared by tests/test-connect-cli.c and
 * tests/test-httpconnect.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_CLI_H
#define FURLHINT_TESTS_LAB_CLI_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gint status;                  /* exit status, or 128 + signal */
  gchar *out;                   /* stdout, NUL-terminated (may hold NULs) */
  gsize out_len;
  gchar *err;                   /* stderr, NUL-terminated */
  guint elapsed_ms;
} LabCliRun;

/* Frees what a run filled in. */
void lab_cli_run_clear (LabCliRun *run);

/* Reaps @sub (its pipes closed), then fills in @run's status (exit
 * status, or 128 + signal) and elapsed_ms since @t0
 * (g_get_monotonic_time()). */
void lab_cli_run_reap (LabCliRun *run, GSubprocess *sub, gint64 t0);

/* Runs @argv (NULL-terminated; argv[0] the command, argv[1] its
 * subcommand) with @input (nullable: none) on stdin, iterating the
 * thread-default main context until it exits; still running after
 * @timeout_ms, it is killed and the test fails. Fills @run in and logs it
 * (g_test_message). */
void lab_cli_run (LabCliRun *run, GBytes *input, const gchar *const *argv, guint timeout_ms);

G_END_DECLS

#endif
