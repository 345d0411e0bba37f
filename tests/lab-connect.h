/* The connection tests' common steps with the library: a context from
 * tahoe.cfg text with the bundled plugins loaded, one connect waited for
 * (bounded), the statuses it reported and the echo through its stream
 * (the descriptors it leaves: lab_assert_fds_back()). Each step fails the test on what it cannot
 * do, so the tests say only what differs.
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

/* The same for a plan the test made (furlhint_context_connect_plan_async()).
 * Both are lab_connect_start() then lab_connect_wait(). */
FurlHintConnectResult *lab_connect_plan (FurlHintContext *ctx,
                                         FurlHintPlan *plan,
                                         const FurlHintConnectOptions *options,
                                         GCancellable *cancellable,
                                         guint wait_ms,
                                         GError **error);

/* A connect under way, for a test that acts while it runs: started by
 * lab_connect_start(), waited for (and freed) by lab_connect_wait(). */
typedef struct _LabConnecting LabConnecting;

/* Starts connecting @plan (furlhint_context_connect_plan_async()) or,
 * when @plan is NULL, @furl (furlhint_context_connect_async()); exactly
 * one of the two is set. The callback runs on the thread-default main
 * context; a second callback fails the test. (transfer full) */
LabConnecting *lab_connect_start (FurlHintContext *ctx,
                                  FurlHintFurl *furl,
                                  FurlHintPlan *plan,
                                  const FurlHintConnectOptions *options,
                                  GCancellable *cancellable);

/* Whether @connecting's callback has run (the main context is not
 * iterated). */
gboolean lab_connect_finished (const LabConnecting *connecting);

/* Iterates the thread-default main context until @connecting finishes;
 * still running after @wait_ms, the test fails (a hang). Frees
 * @connecting; returns the result (never NULL) and sets @error to the
 * connect's error. */
FurlHintConnectResult *lab_connect_wait (LabConnecting *connecting,
                                         guint wait_ms,
                                         GError **error);

/* What a connect's status callback saw, and what the test wants done on
 * one: lab_on_status() is the callback (#FurlHintStatusFunc), a
 * LabStatuses its data. */
typedef struct {
  GPtrArray *lines;             /* (owned) (element-type utf8) "HINT:status", in order */
  const gchar *cancel_at;       /* (unowned) (nullable) the "HINT:status" that cancels */
  GCancellable *cancellable;    /* (unowned) (nullable) what it cancels */
  gboolean saw_null;            /* a NULL status was passed on (a host bug) */
} LabStatuses;

/* Empty, with nothing to cancel. */
void lab_statuses_init (LabStatuses *statuses);
/* Frees what lab_statuses_init() allocated. */
void lab_statuses_clear (LabStatuses *statuses);

/* Logs the status (g_test_message) and, when @user_data is a LabStatuses,
 * appends "HINT:status" to it and cancels its cancellable at its
 * cancel_at. A NULL status is only noted (saw_null), not logged. With
 * @user_data NULL the status is only logged. */
void lab_on_status (guint hint_index, const gchar *status, gpointer user_data);

/* The lines joined with "|" ("0:connecting|0:connected"). Free it. */
gchar *lab_statuses_join (const LabStatuses *statuses);

/* Where @line ("HINT:status") is among the lines; -1 when it is not. */
gint lab_statuses_find (const LabStatuses *statuses, const gchar *line);
/* Whether @line ("HINT:status") is among the lines. */
gboolean lab_statuses_has (const LabStatuses *statuses, const gchar *line);

/* Sends @line through @stream (a #GSocketConnection) and expects it back,
 * every blocking write and read bounded by a socket timeout of
 * @timeout_s seconds. */
void lab_assert_echo (GIOStream *stream, const gchar *line, guint timeout_s);

/* A TCP socket listening on 127.0.0.1, on a port the kernel picks (in
 * *@port), with @backlog (0: GLib's default). Nothing accepts on it unless
 * the test does: the kernel completes each handshake into its accept
 * queue. Fails the test when it cannot listen. (transfer full) */
GSocket *lab_listen_loopback (guint backlog, guint16 *port);

/* Publishes through the plugin @plugin_name of @ctx straight through its
 * descriptor (publish_async, then publish_finish), as a listener would:
 * @args as given, except its status fields, which append each status to
 * @statuses (nullable; element-type utf8) and log it. Waits at most
 * @wait_ms (g_error() beyond). Returns the hint with *@publication set,
 * or NULL with @error set. */
gchar *lab_publish (FurlHintContext *ctx,
                    const gchar *plugin_name,
                    const FurlHintPublishArgs *args,
                    guint wait_ms,
                    GPtrArray *statuses,
                    gpointer *publication,
                    GError **error);

/* Withdraws what lab_publish() published. */
void lab_unpublish (FurlHintContext *ctx,
                    const gchar *plugin_name,
                    gpointer publication);

G_END_DECLS

#endif /* FURLHINT_TESTS_LAB_CONNECT_H */
