/* Handing a worker thread's statuses and results back to the caller's
 * main context: see caller-queue.h for the contract.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "caller-queue.h"

/* What a pending status needs, apart from the queue: it must not hold the
 * caller's context, which holds it (the context could then never be
 * freed with statuses pending). */
typedef struct {
  gatomicrefcount ref;          /* the queue's and each pending status's */
  FurlHintStatusFunc status;    /* (nullable) */
  gpointer status_data;
  gboolean closed;              /* the caller's thread only */
} StatusGate;

struct _FhCallerQueue {
  GMainContext *context;        /* (owned) the caller's thread-default */
  StatusGate *gate;             /* (owned ref) */
  const gchar *name;            /* (unowned) static */
};

/* One posted status. */
typedef struct {
  StatusGate *gate;             /* (owned ref) */
  gchar *text;                  /* (owned) */
} StatusMessage;

static StatusGate *
status_gate_ref (StatusGate *gate)
{
  g_atomic_ref_count_inc (&gate->ref);
  return gate;
}

static void
status_gate_unref (StatusGate *gate)
{
  if (g_atomic_ref_count_dec (&gate->ref))
    g_free (gate);
}

FhCallerQueue *
fh_caller_queue_new (FurlHintStatusFunc status,
                     gpointer status_data,
                     const gchar *name)
{
  FhCallerQueue *queue = g_new0 (FhCallerQueue, 1);

  queue->context = g_main_context_ref_thread_default ();
  queue->gate = g_new0 (StatusGate, 1);
  g_atomic_ref_count_init (&queue->gate->ref);
  queue->gate->status = status;
  queue->gate->status_data = status_data;
  queue->name = name;
  return queue;
}

void
fh_caller_queue_free (FhCallerQueue *queue)
{
  if (queue == NULL)
    return;
  g_main_context_unref (queue->context);
  status_gate_unref (queue->gate);
  g_free (queue);
}

static void
status_message_free (gpointer data)
{
  StatusMessage *msg = data;

  status_gate_unref (msg->gate);
  g_free (msg->text);
  g_free (msg);
}

static gboolean
status_in_caller_cb (gpointer data)
{
  StatusMessage *msg = data;

  if (!msg->gate->closed && msg->gate->status != NULL)
    msg->gate->status (msg->text, msg->gate->status_data);
  return G_SOURCE_REMOVE;
}

void
fh_caller_queue_post (FhCallerQueue *queue,
                      GSourceFunc func,
                      gpointer data,
                      GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  /* One priority for statuses and results: their order is the order
   * posted. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, queue->name);
  g_source_attach (source, queue->context);
  g_source_unref (source);
}

void
fh_caller_queue_status (FhCallerQueue *queue,
                        const gchar *text)
{
  StatusMessage *msg = g_new0 (StatusMessage, 1);

  msg->gate = status_gate_ref (queue->gate);
  msg->text = g_strdup (text);
  fh_caller_queue_post (queue, status_in_caller_cb, msg, status_message_free);
}

void
fh_caller_queue_close (FhCallerQueue *queue)
{
  queue->gate->closed = TRUE;
}

gboolean
fh_caller_queue_is_closed (FhCallerQueue *queue)
{
  return queue->gate->closed;
}
