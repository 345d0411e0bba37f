/* The connection tests' common steps with the library: a context from
 * tahoe.cfg text with the bundled plugins loaded, and one connect waited
 * for (bounded). Each step fails the test on what it cannot do, so the
 * tests say only what differs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_CONNECT_H
#define FURLHINT_TESTS_LAB_CONNECT_H

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

/* A context from @cfg (tahoe.cfg text; NULL: an empty configuration)
 * with the bundled plugins of FURLHINT_PLUGIN_DIR loaded. @log (nullable)
 * is its logger from the start, so the plugins' init messages reach it
 * too. A configuration error or a plugin that fails to load fails the
 * test, after every plugin error is logged. */
FurlHintContext *lab_context_new (const gchar *cfg,
                                  FurlHintLogFunc log,
                                  gpointer log_data);

/* Connects to pb://@tub@@hints/swiss (a FURL that must parse) with
 * @options, iterating the thread-default main context until the connect
 * finishes; still running after @wait_ms, the test fails (a hang). Returns
 * the result (never NULL) and sets @error to the connect's error. */
FurlHintConnectResult *lab_connect (FurlHintContext *ctx,
                                    const gchar *tub,
                                    const gchar *hints,
                                    const FurlHintConnectOptions *options,
                                    GCancellable *cancellable,
                                    guint wait_ms,
                                    GError **error);

/* The same for a plan the test made (furlhint_context_connect_plan_async()). */
FurlHintConnectResult *lab_connect_plan (FurlHintContext *ctx,
                                         FurlHintPlan *plan,
                                         const FurlHintConnectOptions *options,
                                         GCancellable *cancellable,
                                         guint wait_ms,
                                         GError **error);

G_END_DECLS

#endif /* FURLHINT_TESTS_LAB_CONNECT_H */
