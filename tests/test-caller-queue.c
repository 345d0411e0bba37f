/* The caller queue (plugins/common/caller-queue.c), by itself: what a
 * worker thread posts reaches the caller's main context, in the order
 * posted, on the caller's thread and never before the caller iterates
 * its context; statuses stop at close; posted functions always run, or
 * have their data freed when the context goes first.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>

#include "../plugins/common/caller-queue.h"

typedef struct {
  GThread *caller;            /* the thread that made the queue */
  GPtrArray *events;          /* (owned) (element-type utf8) what ran, in order */
  gboolean wrong_thread;      /* something ran on another thread */
  guint freed;                /* destroy notifies run */
} Record;

static void
on_status (const gchar *text,
           gpointer user_data)
{
  Record *rec = user_data;

  if (g_thread_self () != rec->caller)
    rec->wrong_thread = TRUE;
  g_ptr_array_add (rec->events, g_strconcat ("status:", text, NULL));
}

static gboolean
on_result (gpointer user_data)
{
  Record *rec = user_data;

  if (g_thread_self () != rec->caller)
    rec->wrong_thread = TRUE;
  g_ptr_array_add (rec->events, g_strdup ("result"));
  return G_SOURCE_REMOVE;
}

static void
on_result_freed (gpointer user_data)
{
  Record *rec = user_data;

  rec->freed++;
}

/* What the worker posts, in this order. */
typedef struct {
  FhCallerQueue *queue;       /* (unowned) freed by the caller after the join */
  Record *rec;
} Worker;

static gpointer
worker_posts (gpointer user_data)
{
  Worker *w = user_data;
  gchar text[] = "finding";

  fh_caller_queue_status (w->queue, text);
  /* The queue copies: the worker's buffer may change at once. */
  text[0] = 'X';
  fh_caller_queue_status (w->queue, "waiting");
  fh_caller_queue_post (w->queue, on_result, w->rec, on_result_freed);
  return NULL;
}

static void
record_init (Record *rec)
{
  rec->caller = g_thread_self ();
  rec->events = g_ptr_array_new_with_free_func (g_free);
  rec->wrong_thread = FALSE;
  rec->freed = 0;
}

static void
record_check (Record *rec,
              const gchar *const *expected)
{
  guint n = g_strv_length ((gchar **) expected);

  g_assert_false (rec->wrong_thread);
  g_assert_cmpuint (rec->events->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (rec->events, i), ==, expected[i]);
  g_ptr_array_unref (rec->events);
}

/* Runs a worker that posts two statuses and a result, and joins it
 * before the caller iterates: nothing may have run on the worker. */
static FhCallerQueue *
run_worker (GMainContext *context,
            Record *rec)
{
  FhCallerQueue *queue;
  Worker w;
  GThread *thread;

  g_main_context_push_thread_default (context);
  queue = fh_caller_queue_new (on_status, rec, "[furlhint] test");
  g_main_context_pop_thread_default (context);
  w.queue = queue;
  w.rec = rec;
  thread = g_thread_new ("test-worker", worker_posts, &w);
  g_thread_join (thread);
  g_assert_cmpuint (rec->events->len, ==, 0);
  return queue;
}

static void
test_order (void)
{
  static const gchar *const expected[] = { "status:finding", "status:waiting", "result", NULL };
  GMainContext *context = g_main_context_new ();
  FhCallerQueue *queue;
  Record rec;

  record_init (&rec);
  queue = run_worker (context, &rec);
  /* The owner may let go at once: what is pending does not need it. */
  fh_caller_queue_free (queue);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (rec.freed, ==, 1);
  record_check (&rec, expected);
  g_main_context_unref (context);
}

static void
test_closed (void)
{
  static const gchar *const expected[] = { "result", NULL };
  GMainContext *context = g_main_context_new ();
  FhCallerQueue *queue;
  Record rec;

  record_init (&rec);
  queue = run_worker (context, &rec);
  /* The connect got its result before the statuses arrived: they are
   * dropped; the posted function still runs (it decides). */
  g_assert_false (fh_caller_queue_is_closed (queue));
  fh_caller_queue_close (queue);
  g_assert_true (fh_caller_queue_is_closed (queue));
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (rec.freed, ==, 1);
  record_check (&rec, expected);
  fh_caller_queue_free (queue);
  g_main_context_unref (context);
}

static void
test_context_freed (void)
{
  static const gchar *const expected[] = { NULL };
  GMainContext *context = g_main_context_new ();
  FhCallerQueue *queue;
  Record rec;

  record_init (&rec);
  queue = run_worker (context, &rec);
  fh_caller_queue_free (queue);
  /* Nobody iterates the context: freeing it frees what was posted
   * (the statuses and their references to the queue: valgrind and ASan
   * see any leak), running nothing. */
  g_main_context_unref (context);
  g_assert_cmpuint (rec.freed, ==, 1);
  record_check (&rec, expected);
}

static void
test_no_status_func (void)
{
  static const gchar *const expected[] = { "result", NULL };
  GMainContext *context = g_main_context_new ();
  FhCallerQueue *queue;
  Record rec;

  record_init (&rec);
  g_main_context_push_thread_default (context);
  queue = fh_caller_queue_new (NULL, NULL, "[furlhint] test");
  g_main_context_pop_thread_default (context);
  fh_caller_queue_status (queue, "dropped");
  fh_caller_queue_post (queue, on_result, &rec, on_result_freed);
  fh_caller_queue_free (queue);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (rec.freed, ==, 1);
  record_check (&rec, expected);
  g_main_context_unref (context);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/caller-queue/order", test_order);
  g_test_add_func ("/caller-queue/closed", test_closed);
  g_test_add_func ("/caller-queue/context-freed", test_context_freed);
  g_test_add_func ("/caller-queue/no-status-func", test_no_status_func);
  return g_test_run ();
}
