/* Handing a worker thread's statuses and results back to the caller's
 * main context (private; used by the tor and i2p plugins).
 *
 * A plugin that does blocking work on a thread of its own (tor's
 * discovery) or keeps its sockets on one (i2p's worker) must still call
 * the host's status function and complete the connect on the thread and
 * main context the connect was started from (docs/plugin-guide.md,
 * "connect_async"). One FhCallerQueue per connect, made on the caller's
 * thread, carries both:
 *
 *   - fh_caller_queue_status() (any thread): a status text, given
 *     to the caller's FurlHintStatusFunc on the caller's context, unless
 *     the queue has been closed by then;
 *   - fh_caller_queue_post() (any thread): a function run on the
 *     caller's context (the continuation or the completion), always, or
 *     its destroy notify alone when that context is freed first;
 *   - fh_caller_queue_close() (the caller's thread): no status is
 *     delivered any more. Call it when the connect has its result: the
 *     caller's status_data may be gone once the connect's callback ran.
 *
 * Everything posted from one thread runs in the order posted (idle sources
 * at one priority, G_PRIORITY_DEFAULT, on one context), so the statuses a
 * worker posts before the result reach the caller before it. Nothing is
 * ever run on the posting thread: never g_main_context_invoke(), which
 * runs the function right away when the posting thread can acquire the
 * caller's context (nobody iterating it), on the wrong thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CALLER_QUEUE_H
#define FURLHINT_CALLER_QUEUE_H

#include <furlhint/plugin.h>

G_BEGIN_DECLS

/* Owned by the connect; freed with it, on any thread, but not while
 * another thread may still post through it. What is pending keeps what
 * it needs without the queue; a pending status holds no reference to the
 * caller's context, so a context dropped with statuses pending is freed,
 * and they with it. */
typedef struct _FhCallerQueue FhCallerQueue;

/* A queue to the calling thread's thread-default main context. @status
 * (nullable: statuses are then dropped) and @status_data are the
 * connect's (FurlHintConnectArgs); @name (static) names the idle sources
 * (g_source_set_static_name()). Call on the caller's thread. */
FhCallerQueue *fh_caller_queue_new (FurlHintStatusFunc status,
                                    gpointer status_data,
                                    const gchar *name);

void fh_caller_queue_free (FhCallerQueue *queue);

/* Posts a copy of @text (any thread); given to the status function on the
 * caller's context if the queue is still open when it gets there. */
void fh_caller_queue_status (FhCallerQueue *queue,
                             const gchar *text);

/* Runs @func (@data) once on the caller's context (any thread), after
 * everything posted before it from the same thread; @destroy (nullable)
 * frees @data afterwards, or alone if that context is freed first. Runs
 * whether or not the queue is closed: @func decides. */
void fh_caller_queue_post (FhCallerQueue *queue,
                           GSourceFunc func,
                           gpointer data,
                           GDestroyNotify destroy);

/* Stops the delivery of statuses, also of those already posted (the
 * caller's thread only). */
void fh_caller_queue_close (FhCallerQueue *queue);

/* Whether fh_caller_queue_close() was called (the caller's thread
 * only). */
gboolean fh_caller_queue_is_closed (FhCallerQueue *queue);

G_END_DECLS

#endif /* FURLHINT_CALLER_QUEUE_H */
