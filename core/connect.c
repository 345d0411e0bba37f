/* The connector: races a plan's routes, tier by tier, into one stream.
 *
 * Shaped like GSocketClient's Happy Eyeballs: attempts start in rank
 * order one stagger apart, and when an attempt fails the next one starts
 * at once, whatever else is still pending, with the stagger counted again
 * from that start; each has a cancellable of its own linked to the whole
 * operation's; the first stream wins and the others are cancelled and
 * closed; when everything fails, the error reported is the one of the
 * attempt that got furthest, not the last one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <glib-unix.h>
#include <furlhint/furlhint.h>
#include "config-private.h"
#include "context-private.h"

/* How long a transport found down (Tor's SOCKS port refused, SAM not
 * answering) makes its other routes fail at once instead of each waiting
 * for its own timeout. */
#define TRANSPORT_DOWN_MEMORY_US (30 * G_USEC_PER_SEC)

/* How long furlhint_context_connect_fd() waits, after the connect, for
 * the routes it abandoned to report back (they do at once; a failure
 * bound for a plugin that ignores cancellation). */
#define CONNECT_FD_DRAIN_MS 10000

struct _FurlHintConnectResult {
  grefcount ref;
  FurlHintPlan *plan;          /* (owned) */
  GIOStream *stream;           /* (owned) (nullable) */
  gint winner;                 /* plan entry index, -1 for none */
  guint elapsed_ms;
  guint n_hints;
  GError *error;               /* (owned) (nullable) why it failed, from finish */
  /* (owned) (nullable) one status per hint, in the result's own
   * allocation: a node holds a result per connection. */
  gchar *hint_status[];
};

typedef struct _Connector Connector;

/* How far a failed attempt got, in the order a connection is made; when
 * every route fails, the error reported is that of the attempt that got
 * furthest (GSocketClient ranks its GSocketClientEvent the same way).
 * Read from what the core knows for certain: whether the plugin ran, and
 * the documented code of its failure (#FurlHintConnectError in
 * furlhint/plugin.h), which says where it failed. Not from the statuses
 * a plugin reported: those are free text, and a plugin that says more
 * has not got further. */
typedef enum {
  /* No plugin ran: the transport-down memory failed it, or the plugin
   * cannot connect at all (NOT_SUPPORTED). */
  ATTEMPT_STAGE_NOT_STARTED,
  /* The transport itself was not there (TRANSPORT_DOWN): the first step
   * of a route through Tor, I2P or a proxy. */
  ATTEMPT_STAGE_TRANSPORT,
  /* Failed at a step the error does not name (FAILED, TIMED_OUT, an
   * error of another domain): somewhere after the plugin began. */
  ATTEMPT_STAGE_RUNNING,
  /* The transport answered, and its handshake failed (PROTOCOL, AUTH). */
  ATTEMPT_STAGE_HANDSHAKE,
  /* The target was asked for, and it (or the transport on its behalf)
   * said no (REFUSED, UNREACHABLE). */
  ATTEMPT_STAGE_TARGET,
} AttemptStage;

typedef struct {
  Connector *conn;             /* (unowned) the connector outlives its attempts */
  guint entry;                 /* index into the plan */
  GCancellable *cancellable;   /* (owned) cancelled with the whole operation */
  gboolean started;
  gboolean finished;
  AttemptStage stage;          /* how far it got, once it has failed */
  GError *error;               /* (owned) (nullable) why it failed */
  FurlHintConnectArgs args;    /* what the plugin reads until it calls back */
} Attempt;

struct _Connector {
  FurlHintContext *ctx;        /* (owned) */
  FurlHintConnectResult *result; /* (owned) */
  GTask *task;                 /* (unowned) owns us as task data */
  GCancellable *caller_cancellable; /* (owned) (nullable) */
  gulong caller_cancel_id;
  GSource *timeout_source;     /* (owned) (nullable) */
  guint timeout_ms;
  GPtrArray *attempts;         /* (owned) (element-type Attempt) one per route entry */
  guint tier;                  /* the tier running now */
  /* A route of the running tier is due at tier_base_us + its delay_ms:
   * the start of the tier, moved earlier each time a failure starts a
   * route before its due time, so the routes after it keep their
   * stagger from that start. */
  gint64 tier_base_us;
  GSource *stagger_source;     /* (owned) (nullable) the next route's start */
  gint64 start_us;
  gboolean done;               /* the task has returned */
  FurlHintConnectStatusFunc status;
  gpointer status_data;
};

/* Transport-down memory, per context. */
typedef struct {
  gint64 until_us;
  GError *error;
} DownEntry;

static void start_tier (Connector *conn);

/* --- results ------------------------------------------------------------ */

static FurlHintConnectResult *
result_new (FurlHintPlan *plan)
{
  guint n_hints = furlhint_furl_get_n_hints (furlhint_plan_get_furl (plan));
  FurlHintConnectResult *result = g_malloc0 (sizeof *result + n_hints * sizeof (gchar *));

  g_ref_count_init (&result->ref);
  result->plan = furlhint_plan_ref (plan);
  result->winner = -1;
  result->n_hints = n_hints;

  /* A hint with no route keeps the policy's reason as its status, in
   * Foolscap's words where Foolscap has some. */
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);
      if (e->routed || result->hint_status[e->hint_index] != NULL)
        continue;
      result->hint_status[e->hint_index] = furlhint_plan_entry_dup_status (e);
    }
  return result;
}

FurlHintConnectResult *
furlhint_connect_result_ref (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_ref_count_inc (&result->ref);
  return result;
}

void
furlhint_connect_result_unref (FurlHintConnectResult *result)
{
  if (result == NULL || !g_ref_count_dec (&result->ref))
    return;
  if (result->stream != NULL)
    {
      g_io_stream_close (result->stream, NULL, NULL);
      g_object_unref (result->stream);
    }
  furlhint_plan_unref (result->plan);
  g_clear_error (&result->error);
  for (guint i = 0; i < result->n_hints; i++)
    g_free (result->hint_status[i]);
  g_free (result);
}

guint
furlhint_context_get_n_connects (FurlHintContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, 0);
  return (guint) g_atomic_int_get (&ctx->n_connects);
}

const GError *
furlhint_connect_result_get_error (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->error;
}

FurlHintPlan *
furlhint_connect_result_get_plan (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->plan;
}

GIOStream *
furlhint_connect_result_get_stream (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return result->stream;
}

GIOStream *
furlhint_connect_result_steal_stream (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  return g_steal_pointer (&result->stream);
}

const FurlHintPlanEntry *
furlhint_connect_result_get_winner (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  if (result->winner < 0)
    return NULL;
  return furlhint_plan_get_entry (result->plan, (guint) result->winner);
}

const gchar *
furlhint_connect_result_get_hint_status (FurlHintConnectResult *result,
                                         guint hint_index)
{
  g_return_val_if_fail (result != NULL, NULL);
  if (hint_index >= result->n_hints)
    return NULL;
  return result->hint_status[hint_index];
}

guint
furlhint_connect_result_get_elapsed_ms (FurlHintConnectResult *result)
{
  g_return_val_if_fail (result != NULL, 0);
  return result->elapsed_ms;
}

/* --- the connector ------------------------------------------------------ */

static const FurlHintPlanEntry *
attempt_entry (Attempt *a)
{
  return furlhint_plan_get_entry (a->conn->result->plan, a->entry);
}

static void
set_status (Connector *conn, guint hint_index, const gchar *status)
{
  gchar **statuses = conn->result->hint_status;

  g_free (statuses[hint_index]);
  statuses[hint_index] = g_strdup (status);
  if (conn->status != NULL)
    conn->status (hint_index, status, conn->status_data);
}

static void
attempt_free (gpointer data)
{
  Attempt *a = data;

  g_clear_object (&a->cancellable);
  g_clear_error (&a->error);
  g_free (a);
}

static void
connector_free (gpointer data)
{
  Connector *conn = data;

  if (conn->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (conn->caller_cancellable, conn->caller_cancel_id);
      g_object_unref (conn->caller_cancellable);
    }
  if (conn->timeout_source != NULL)
    {
      g_source_destroy (conn->timeout_source);
      g_source_unref (conn->timeout_source);
    }
  if (conn->stagger_source != NULL)
    {
      g_source_destroy (conn->stagger_source);
      g_source_unref (conn->stagger_source);
    }
  g_ptr_array_unref (conn->attempts);
  furlhint_connect_result_unref (conn->result);
  g_atomic_int_add (&conn->ctx->n_connects, -1);
  furlhint_context_unref (conn->ctx);
  g_free (conn);
}

static void
stop_everything (Connector *conn)
{
  if (conn->stagger_source != NULL)
    {
      g_source_destroy (conn->stagger_source);
      g_clear_pointer (&conn->stagger_source, g_source_unref);
    }
  if (conn->timeout_source != NULL)
    {
      g_source_destroy (conn->timeout_source);
      g_clear_pointer (&conn->timeout_source, g_source_unref);
    }
  for (guint i = 0; i < conn->attempts->len; i++)
    g_cancellable_cancel (((Attempt *) g_ptr_array_index (conn->attempts, i))->cancellable);
}

/* Ends the operation. Attempts still running finish later (cancelled);
 * each holds a reference on the task, so the connector outlives them. */
static void
finish (Connector *conn, GError *error)
{
  GTask *task = conn->task;

  g_assert (!conn->done);
  conn->result->elapsed_ms = (guint) ((g_get_monotonic_time () - conn->start_us) / 1000);

  /* Final statuses now, while the caller's status function is still
   * valid: attempts still running are being abandoned (Foolscap's word),
   * routes that never started say so. Late callbacks change nothing. */
  for (guint i = 0; i < conn->attempts->len; i++)
    {
      Attempt *a = g_ptr_array_index (conn->attempts, i);
      guint hint = attempt_entry (a)->hint_index;
      if (a->started && !a->finished)
        set_status (conn, hint, "abandoned");
      else if (!a->started && conn->result->hint_status[hint] == NULL)
        set_status (conn, hint, conn->result->winner >= 0 ? "not tried: another hint connected first" : "not tried");
    }
  conn->done = TRUE;
  stop_everything (conn);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  /* The operation's own reference, taken in connect_plan_async: timers
   * hold none, so without it the task would die before any route ran.
   * Attempts still running keep theirs until they call back. */
  g_object_unref (task);
}

/* Where a plugin's failure happened, from its error's code. */
static AttemptStage
failure_stage (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    {
      /* Plugins may return GIO's errors as they are (docs/plugin-guide.md). */
      switch (error->code)
        {
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
          return ATTEMPT_STAGE_TARGET;
        default:
          return ATTEMPT_STAGE_RUNNING;
        }
    }
  if (error->domain != FURLHINT_CONNECT_ERROR)
    return ATTEMPT_STAGE_RUNNING;

  switch ((FurlHintConnectError) error->code)
    {
    case FURLHINT_CONNECT_ERROR_NOT_SUPPORTED:
      return ATTEMPT_STAGE_NOT_STARTED;
    case FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN:
      return ATTEMPT_STAGE_TRANSPORT;
    case FURLHINT_CONNECT_ERROR_PROTOCOL:
    case FURLHINT_CONNECT_ERROR_AUTH:
      return ATTEMPT_STAGE_HANDSHAKE;
    case FURLHINT_CONNECT_ERROR_REFUSED:
    case FURLHINT_CONNECT_ERROR_UNREACHABLE:
      return ATTEMPT_STAGE_TARGET;
    case FURLHINT_CONNECT_ERROR_FAILED:
    case FURLHINT_CONNECT_ERROR_TIMED_OUT:
    case FURLHINT_CONNECT_ERROR_CANCELLED:
    case FURLHINT_CONNECT_ERROR_NO_ROUTE:
    default:
      return ATTEMPT_STAGE_RUNNING;
    }
}

/* The failure to report: the attempt that got furthest, first in rank
 * order among equals (GSocketClient reports the furthest, not the last). */
static GError *
furthest_error (Connector *conn)
{
  Attempt *best = NULL;

  for (guint i = 0; i < conn->attempts->len; i++)
    {
      Attempt *a = g_ptr_array_index (conn->attempts, i);
      if (a->error != NULL && (best == NULL || a->stage > best->stage))
        best = a;
    }
  if (best == NULL)
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                        "no connection hint could be tried");
  return g_error_copy (best->error);
}

static gboolean
tier_exhausted (Connector *conn)
{
  for (guint i = 0; i < conn->attempts->len; i++)
    {
      Attempt *a = g_ptr_array_index (conn->attempts, i);
      if (attempt_entry (a)->tier == conn->tier && !a->finished)
        return FALSE;
    }
  return TRUE;
}

static DownEntry *
transport_down_lookup (Connector *conn, FurlHintPlugin *plugin)
{
  DownEntry *down;

  if (conn->ctx->transport_down == NULL)
    return NULL;
  down = g_hash_table_lookup (conn->ctx->transport_down, furlhint_plugin_get_name (plugin));
  if (down == NULL)
    return NULL;
  if (g_get_monotonic_time () >= down->until_us)
    {
      g_hash_table_remove (conn->ctx->transport_down, furlhint_plugin_get_name (plugin));
      return NULL;
    }
  return down;
}

static void
down_entry_free (gpointer data)
{
  DownEntry *down = data;
  g_clear_error (&down->error);
  g_free (down);
}

static void
transport_down_remember (Connector *conn, FurlHintPlugin *plugin, const GError *error)
{
  DownEntry *down = g_new0 (DownEntry, 1);

  if (conn->ctx->transport_down == NULL)
    conn->ctx->transport_down = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, down_entry_free);
  down->until_us = g_get_monotonic_time () + TRANSPORT_DOWN_MEMORY_US;
  down->error = g_error_copy (error);
  g_hash_table_replace (conn->ctx->transport_down, g_strdup (furlhint_plugin_get_name (plugin)), down);
}

static gchar *
describe_failure (const GError *error)
{
  if (g_error_matches (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_strdup ("connection refused");
  if (g_error_matches (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_CANCELLED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup ("abandoned");
  return g_strdup_printf ("failed to connect: %s", error->message);
}

typedef struct {
  GTask *task;                 /* (owned) keeps the connector alive */
  Attempt *attempt;            /* (unowned) lives in the connector */
} AttemptCall;

/* Plugins get a serial number, not a pointer, as their callback's
 * user_data: a hostile or buggy plugin that calls back twice must find
 * nothing the second time, not freed memory. Serials are never reused. */
static GMutex calls_lock;
static GHashTable *calls;      /* (owned) serial → AttemptCall */
static guint64 calls_next = 1;

static gpointer
call_register (AttemptCall *call)
{
  guint64 *serial = g_new (guint64, 1);

  g_mutex_lock (&calls_lock);
  if (calls == NULL)
    calls = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  *serial = calls_next++;
  g_hash_table_insert (calls, serial, call);
  g_mutex_unlock (&calls_lock);
  /* The serial rides in a pointer-sized integer (64-bit hosts). */
  return (gpointer) (guintptr) *serial;
}

static AttemptCall *
call_take (gpointer user_data)
{
  guint64 serial = (guint64) (guintptr) user_data;
  AttemptCall *call = NULL;
  gpointer key;

  g_mutex_lock (&calls_lock);
  if (calls != NULL && g_hash_table_steal_extended (calls, &serial, &key, (gpointer *) &call))
    g_free (key);
  g_mutex_unlock (&calls_lock);
  return call;
}

static void start_attempt (Attempt *a);

/* A plugin's progress report ("connecting to a Tor"): shown as the hint's
 * status. It does not move the attempt's stage (see AttemptStage). */
static void
attempt_status_cb (const gchar *status, gpointer user_data)
{
  Attempt *a = user_data;

  if (status == NULL || !g_utf8_validate (status, -1, NULL) || a->finished || a->conn->done)
    return;
  set_status (a->conn, attempt_entry (a)->hint_index, status);
}

/* The route of the running tier that starts next: the earliest due
 * among those not started, the first in plan order among equals. */
static Attempt *
next_unstarted (Connector *conn)
{
  Attempt *next = NULL;

  for (guint i = 0; i < conn->attempts->len; i++)
    {
      Attempt *a = g_ptr_array_index (conn->attempts, i);
      const FurlHintPlanEntry *e = attempt_entry (a);

      if (e->tier == conn->tier && !a->started
          && (next == NULL || e->delay_ms < attempt_entry (next)->delay_ms))
        next = a;
    }
  return next;
}

static gboolean stagger_elapsed_cb (gpointer user_data);

/* Arms the timer for the next route of the running tier at its due time,
 * replacing any timer armed before; none when every route has started. */
static void
schedule_next (Connector *conn)
{
  Attempt *next = next_unstarted (conn);
  gint64 wait_us;

  if (conn->stagger_source != NULL)
    {
      g_source_destroy (conn->stagger_source);
      g_clear_pointer (&conn->stagger_source, g_source_unref);
    }
  if (next == NULL)
    return;
  wait_us = conn->tier_base_us + (gint64) attempt_entry (next)->delay_ms * 1000
            - g_get_monotonic_time ();
  /* Rounded up: a timer fires no earlier than asked. */
  conn->stagger_source = g_timeout_source_new (wait_us > 0 ? (guint) ((wait_us + 999) / 1000) : 0);
  g_source_set_callback (conn->stagger_source, stagger_elapsed_cb, conn, NULL);
  g_source_set_static_name (conn->stagger_source, "[furlhint] route start delay");
  g_source_attach (conn->stagger_source, g_task_get_context (conn->task));
}

/* Starts the next route of the running tier, if one is left: on its
 * timer, or, @early, now because a route has failed. An early start
 * moves the rest of the tier's schedule with it, so the route after
 * starts one stagger after this one, not at its nominal time (which may
 * be nearly now). */
static void
start_next (Connector *conn, gboolean early)
{
  Attempt *a = next_unstarted (conn);

  if (a == NULL)
    return;
  if (early)
    conn->tier_base_us = MIN (conn->tier_base_us,
                              g_get_monotonic_time () - (gint64) attempt_entry (a)->delay_ms * 1000);
  /* Marked and the following one scheduled before the plugin runs: a
   * route that fails at once (the transport-down memory) re-enters here,
   * and may even end the whole operation; nothing touches the connector
   * after start_attempt(). */
  a->started = TRUE;
  schedule_next (conn);
  start_attempt (a);
}

static gboolean
stagger_elapsed_cb (gpointer user_data)
{
  Connector *conn = user_data;

  g_clear_pointer (&conn->stagger_source, g_source_unref);
  if (!conn->done)
    start_next (conn, FALSE);
  return G_SOURCE_REMOVE;
}

static void
attempt_failed (Attempt *a, GError *error)
{
  Connector *conn = a->conn;
  const FurlHintPlanEntry *e = attempt_entry (a);
  gchar *description;

  a->finished = TRUE;
  a->error = error;
  if (conn->done)
    return;
  description = describe_failure (error);
  set_status (conn, e->hint_index, description);
  g_free (description);

  if (g_error_matches (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN))
    transport_down_remember (conn, e->plugin, error);
  fh_context_log (conn->ctx, G_LOG_LEVEL_INFO, "hint %s via %s failed: %s",
                  furlhint_hint_get_canonical (e->hint),
                  furlhint_plugin_get_name (e->plugin), error->message);

  if (tier_exhausted (conn))
    {
      conn->tier++;
      start_tier (conn);
    }
  else
    start_next (conn, TRUE);
}

static void
attempt_succeeded (Attempt *a, GIOStream *stream)
{
  Connector *conn = a->conn;
  const FurlHintPlanEntry *e = attempt_entry (a);

  a->finished = TRUE;
  if (conn->done)
    {
      /* Lost the race after the winner was chosen: close it at once. */
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
      return;
    }
  conn->result->stream = stream;
  conn->result->winner = (gint) a->entry;
  set_status (conn, e->hint_index, "connected");
  fh_context_log (conn->ctx, G_LOG_LEVEL_INFO, "connected through hint %s via %s",
                  furlhint_hint_get_canonical (e->hint),
                  furlhint_plugin_get_name (e->plugin));
  finish (conn, NULL);
}

static void
attempt_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AttemptCall *call = call_take (user_data);
  Attempt *a;
  const FurlHintPlanEntry *e;
  const FurlHintPluginDescriptor *desc;
  GError *error = NULL;
  GIOStream *stream;

  /* A second callback for the same attempt: the plugin broke its
   * contract; there is nothing left to complete. */
  if (call == NULL)
    return;
  a = call->attempt;
  e = attempt_entry (a);
  desc = e->plugin->desc;

  stream = desc->connect_finish (e->plugin->state, res, &error);
  if (stream != NULL && error != NULL)
    g_clear_error (&error);
  if (stream == NULL && error == NULL)
    error = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                         "plugin %s returned neither a stream nor an error",
                         furlhint_plugin_get_name (e->plugin));
  if (stream != NULL)
    attempt_succeeded (a, stream);
  else
    {
      a->stage = failure_stage (error);
      attempt_failed (a, error);
    }

  g_object_unref (call->task);
  g_free (call);
}

static void
start_attempt (Attempt *a)
{
  Connector *conn = a->conn;
  const FurlHintPlanEntry *e = attempt_entry (a);
  AttemptCall *call;
  DownEntry *down;

  a->started = TRUE;

  down = transport_down_lookup (conn, e->plugin);
  if (down != NULL)
    {
      /* No plugin runs: the stage stays ATTEMPT_STAGE_NOT_STARTED. */
      attempt_failed (a, g_error_copy (down->error));
      return;
    }

  set_status (conn, e->hint_index, "connecting");
  call = g_new0 (AttemptCall, 1);
  call->task = g_object_ref (conn->task);
  call->attempt = a;

  /* The plugin reads args until it calls back; they live in the attempt,
   * which the task keeps alive until then. */
  a->args.struct_size = sizeof a->args;
  a->args.target = &e->target;
  a->args.isolation_key = furlhint_furl_get_tubid (furlhint_plan_get_furl (conn->result->plan));
  a->args.status = attempt_status_cb;
  a->args.status_data = a;
  e->plugin->desc->connect_async (e->plugin->state, &a->args, a->cancellable, attempt_done_cb,
                                  call_register (call));
}

/* Runs the first tier from conn->tier on that has routes: its routes
 * start on a schedule counted from now (its first route, delay 0, from
 * the main loop, never inside the call that started the tier). With no
 * tier left, the operation has failed. */
static void
start_tier (Connector *conn)
{
  guint max_tier = 0;

  for (guint i = 0; i < conn->attempts->len; i++)
    max_tier = MAX (max_tier, attempt_entry (g_ptr_array_index (conn->attempts, i))->tier);

  for (; conn->tier <= max_tier; conn->tier++)
    {
      conn->tier_base_us = g_get_monotonic_time ();
      if (next_unstarted (conn) != NULL)
        {
          schedule_next (conn);
          return;
        }
    }
  finish (conn, furthest_error (conn));
}

static gboolean
timeout_cb (gpointer user_data)
{
  Connector *conn = user_data;

  g_clear_pointer (&conn->timeout_source, g_source_unref);
  if (!conn->done)
    finish (conn, g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                               "no connection established within client timeout (%u ms)",
                               conn->timeout_ms));
  return G_SOURCE_REMOVE;
}

static gboolean
caller_cancelled_idle_cb (gpointer user_data)
{
  Connector *conn = g_task_get_task_data (G_TASK (user_data));

  if (!conn->done)
    finish (conn, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       "connecting was cancelled"));
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Connector *conn = user_data;
  GSource *idle = g_idle_source_new ();

  /* Called from whatever thread cancelled: finish on ours, before
   * anything the attempts have queued there (an idle's default priority
   * would let a stream of statuses and results hold the cancel back). */
  g_source_set_priority (idle, G_PRIORITY_HIGH);
  g_source_set_callback (idle, caller_cancelled_idle_cb, g_object_ref (conn->task), g_object_unref);
  g_source_attach (idle, g_task_get_context (conn->task));
  g_source_unref (idle);
}

/* The plan is checked again here, against the context as it is now, not
 * as it was when the plan was made: the mode may have changed since the
 * plugins were loaded or the plan was ranked (furlhint_config_set_anonymous()
 * at any time), and a plan may be built by hand. NULL when it may run. */
static GError *
recheck_plan (FurlHintContext *ctx,
              FurlHintPlan *plan)
{
  gboolean anonymous = furlhint_config_get_anonymous (ctx->config);
  gboolean strict = anonymous || furlhint_plan_is_anonymous (plan);

  /* Plugins keep what init was told (the tcp plugin refuses everything in
   * anonymous mode; the tor plugin's choices depend on it): a plugin
   * initialised in the other mode must not act at all. */
  for (guint i = 0; i < ctx->plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i);

      if (plugin->anonymous != anonymous)
        return g_error_new (FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_STALE,
                            "no route: anonymous mode changed after plugins were loaded: "
                            "plugin '%s' was initialised in %s mode, and the configuration "
                            "now says %s mode; nothing was connected. Set the mode "
                            "(furlhint_config_set_anonymous()) before loading plugins, or "
                            "make a new context with this configuration and load the "
                            "plugins again",
                            furlhint_plugin_get_name (plugin),
                            plugin->anonymous ? "anonymous" : "normal",
                            anonymous ? "anonymous" : "normal");
    }

  if (anonymous && !furlhint_plan_is_anonymous (plan))
    return g_error_new_literal (FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_STALE,
                                "no route: the plan was ranked in normal mode, and the "
                                "context is now in anonymous mode; nothing was connected. "
                                "Rank the FURL again (furlhint_context_rank()), or use "
                                "furlhint_context_connect_async(), which ranks it");

  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (plan, i);
      FurlHintPolicyError code;
      gchar *problem;
      GError *error;

      if (!e->routed)
        continue;
      if (e->plugin->ctx != ctx)
        return g_error_new (FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_STALE,
                            "no route: the plan routes hint %s through plugin '%s' of "
                            "another context; nothing was connected. Rank the FURL with "
                            "this context",
                            furlhint_hint_get_text (e->hint), furlhint_plugin_get_name (e->plugin));
      problem = fh_plan_route_problem (strict, e->plugin, &e->target, e->tier,
                                       e->carried, &code);
      if (problem == NULL)
        continue;
      error = g_error_new (FURLHINT_POLICY_ERROR, code, "%s; nothing was connected",
                           problem);
      g_free (problem);
      return error;
    }
  return NULL;
}

void
furlhint_context_connect_plan_async (FurlHintContext *ctx,
                                     FurlHintPlan *plan,
                                     const FurlHintConnectOptions *options,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  Connector *conn;
  GTask *task;
  GError *recheck_error;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (plan != NULL);
  g_return_if_fail (options == NULL || options->struct_size >= sizeof (guint32));

  /* From here on the plan is this connect's to read, and maybe other
   * connects' too (rank_for_connect()), and the caller's through
   * furlhint_connect_result_get_plan(): nobody adds to it or re-sorts it
   * any more, whoever holds a reference (a caller, a ranker that kept
   * one). Before anything reads it, refused or not. */
  fh_plan_set_in_use (plan);

  task = g_task_new (NULL, NULL, callback, user_data);
  /* Named before the tag: g_task_set_source_tag() names a task that has
   * no name yet with a copy of its own, one more allocation per connect. */
  g_task_set_name (task, "[furlhint] connect");
  g_task_set_source_tag (task, furlhint_context_connect_plan_async);

  conn = g_new0 (Connector, 1);
  conn->ctx = furlhint_context_ref (ctx);
  g_atomic_int_inc (&ctx->n_connects);
  conn->result = result_new (plan);
  conn->task = task;
  conn->attempts = g_ptr_array_new_with_free_func (attempt_free);
  conn->start_us = g_get_monotonic_time ();
  conn->timeout_ms = options != NULL && options->timeout_ms > 0 ? options->timeout_ms : FURLHINT_DEFAULT_TIMEOUT_MS;
  if (options != NULL)
    {
      conn->status = options->status;
      conn->status_data = options->status_data;
    }
  g_task_set_task_data (task, conn, connector_free);

  /* Every route, wherever it is: a plan that was not finished (a
   * caller's own) has them in insertion order; start_tier() runs the
   * tiers in order whatever the entries' order. */
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      Attempt *a;

      if (!furlhint_plan_get_entry (plan, i)->routed)
        continue;
      a = g_new0 (Attempt, 1);
      a->conn = conn;
      a->entry = i;
      a->cancellable = g_cancellable_new ();
      g_ptr_array_add (conn->attempts, a);
    }
  if (conn->attempts->len == 0)
    {
      conn->done = TRUE;
      g_task_return_error (task, furlhint_plan_dup_no_route_error (plan));
      g_object_unref (task);
      return;
    }
  recheck_error = recheck_plan (ctx, plan);
  if (recheck_error != NULL)
    {
      /* Refused before any route starts: no plugin runs, no socket opens.
       * Each routed hint says why in the result. */
      g_autofree gchar *status = g_strconcat ("not tried: ", recheck_error->message, NULL);

      for (guint i = 0; i < conn->attempts->len; i++)
        {
          guint hint = attempt_entry (g_ptr_array_index (conn->attempts, i))->hint_index;

          g_free (conn->result->hint_status[hint]);
          conn->result->hint_status[hint] = g_strdup (status);
        }
      conn->done = TRUE;
      g_task_return_error (task, recheck_error);
      g_object_unref (task);
      return;
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      /* Cancelled before it began: no route starts, no socket opens. */
      finish (conn, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "connecting was cancelled"));
      return;
    }
  if (cancellable != NULL)
    {
      /* A cancel from here on comes through the handler (at once, if it
       * races this call). */
      conn->caller_cancellable = g_object_ref (cancellable);
      conn->caller_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb), conn, NULL);
    }
  conn->timeout_source = g_timeout_source_new (conn->timeout_ms);
  g_source_set_callback (conn->timeout_source, timeout_cb, conn, NULL);
  g_source_set_static_name (conn->timeout_source, "[furlhint] connect timeout");
  g_source_attach (conn->timeout_source, g_task_get_context (task));

  /* The reference from g_task_new() stays with the operation until
   * finish() drops it. */
  start_tier (conn);
}

/* furlhint_context_rank() for a connect. A node that connects to the
 * same FURL many times at once (or over and over) would hold as many
 * equal plans: with the default ranker and no per-peer overrides, the
 * plan ranked last for this FURL is shared (the first connect marks it
 * in use, and from then on nothing changes it: fh_plan_set_in_use();
 * the connector only reads it) for as long as the config (the mode with
 * it), the plugins and the stagger are as they were. A custom ranker's
 * plans are never shared: it may rank from anything. The plan's version
 * is compared too, though a plan in use cannot change: a second line,
 * should anything ever change it. */
static FurlHintPlan *
rank_for_connect (FurlHintContext *ctx,
                  FurlHintFurl *furl,
                  const FurlHintRankOptions *options)
{
  FurlHintConfig *config = furlhint_context_get_config (ctx);
  FurlHintRankOptions o;
  FurlHintPlan *plan;

  fh_rank_options_read (options, &o);
  if (ctx->ranker != furlhint_rank_default || o.overrides != NULL)
    return furlhint_context_rank (ctx, furl, options);

  plan = ctx->connect_plan;
  if (plan != NULL && furlhint_plan_get_furl (plan) == furl &&
      fh_plan_get_version (plan) == ctx->connect_plan_version &&
      config->serial == ctx->connect_plan_config_serial &&
      ctx->plugins_serial == ctx->connect_plan_plugins_serial &&
      o.stagger_ms == ctx->connect_plan_stagger_ms)
    return furlhint_plan_ref (plan);

  plan = furlhint_context_rank (ctx, furl, options);
  g_clear_pointer (&ctx->connect_plan, furlhint_plan_unref);
  ctx->connect_plan = furlhint_plan_ref (plan);
  ctx->connect_plan_version = fh_plan_get_version (plan);
  ctx->connect_plan_config_serial = config->serial;
  ctx->connect_plan_plugins_serial = ctx->plugins_serial;
  ctx->connect_plan_stagger_ms = o.stagger_ms;
  return plan;
}

void
furlhint_context_connect_async (FurlHintContext *ctx,
                                FurlHintFurl *furl,
                                const FurlHintConnectOptions *options,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  FurlHintPlan *plan;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (furl != NULL);

  plan = rank_for_connect (ctx, furl, options != NULL ? &options->rank : NULL);
  furlhint_context_connect_plan_async (ctx, plan, options, cancellable, callback, user_data);
  furlhint_plan_unref (plan);
}

FurlHintConnectResult *
furlhint_context_connect_finish (FurlHintContext *ctx,
                                 GAsyncResult *result,
                                 GError **error)
{
  Connector *conn;
  GError *local = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == furlhint_context_connect_plan_async, NULL);

  conn = g_task_get_task_data (G_TASK (result));
  /* The error is the task's to give once; the result keeps a copy for
   * furlhint_connect_result_get_error(). Finish runs once per connect, on
   * the connect's thread, before anyone else holds the result. */
  if (!g_task_propagate_boolean (G_TASK (result), &local))
    {
      if (conn->result->error == NULL)
        conn->result->error = g_error_copy (local);
      g_propagate_error (error, g_steal_pointer (&local));
    }
  return furlhint_connect_result_ref (conn->result);
}

FurlHintConnectResult *
furlhint_context_connect_finish_result (FurlHintContext *ctx,
                                        GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  return furlhint_context_connect_finish (ctx, result, &error);
}

/* --- blocking wrapper ---------------------------------------------------- */

typedef struct {
  GMainContext *context;
  GAsyncResult *result;
} SyncData;

static void
sync_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  SyncData *data = user_data;
  data->result = g_object_ref (res);
}

/* A flag set by a weak reference or a timeout source. */
static void
set_flag_weak_cb (gpointer data, GObject *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

static gboolean
set_flag_source_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gint
furlhint_context_connect_fd (FurlHintContext *ctx,
                             FurlHintFurl *furl,
                             const FurlHintConnectOptions *options,
                             GCancellable *cancellable,
                             FurlHintConnectResult **result,
                             GError **error)
{
  SyncData data = { 0 };
  FurlHintConnectResult *res;
  GIOStream *stream;
  GObject *task;
  gboolean task_gone = FALSE, gave_up = FALSE;
  gint fd = -1;

  g_return_val_if_fail (ctx != NULL, -1);
  g_return_val_if_fail (furl != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  data.context = g_main_context_new ();
  g_main_context_push_thread_default (data.context);
  furlhint_context_connect_async (ctx, furl, options, cancellable, sync_done_cb, &data);
  while (data.result == NULL)
    g_main_context_iteration (data.context, TRUE);
  res = furlhint_context_connect_finish (ctx, data.result, error);
  /* The task goes with the last route the connect abandoned: see below. */
  task = G_OBJECT (data.result);
  g_object_weak_ref (task, set_flag_weak_cb, &task_gone);
  g_clear_object (&data.result);

  stream = furlhint_connect_result_get_stream (res);
  if (stream != NULL)
    {
      if (G_IS_SOCKET_CONNECTION (stream))
        {
          GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
          fd = dup (g_socket_get_fd (socket));
          /* The duplicate shares GSocket's O_NONBLOCK; a caller without a
           * main loop expects blocking reads. */
          if (fd >= 0 && !g_unix_set_fd_nonblocking (fd, FALSE, NULL))
            {
              close (fd);
              fd = -1;
            }
          if (fd < 0)
            g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                         "could not duplicate the connection's descriptor: %s", g_strerror (errno));
        }
      else
        g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                     "the winning route's stream (%s) is not a socket; use furlhint_context_connect_async()",
                     G_OBJECT_TYPE_NAME (stream));
      /* The caller owns the duplicate; the stream's own socket closes. */
      g_io_stream_close (stream, NULL, NULL);
      g_clear_object (&res->stream);
    }

  /* The routes the connect abandoned report back on later turns of the
   * private context (a plugin may answer a cancel from a thread of its
   * own: the tor plugin's discovery, the i2p plugin's worker); until the
   * last one has, the connect holds @ctx and its plugins. So the context
   * turns until the connect's task is gone, bounded for a plugin that
   * never answers a cancel (the connect is then left as it is). */
  if (!task_gone)
    {
      GSource *bound = g_timeout_source_new (CONNECT_FD_DRAIN_MS);

      g_source_set_callback (bound, set_flag_source_cb, &gave_up, NULL);
      g_source_attach (bound, data.context);
      while (!task_gone && !gave_up)
        g_main_context_iteration (data.context, TRUE);
      if (!task_gone)
        g_object_weak_unref (task, set_flag_weak_cb, &task_gone);
      g_source_destroy (bound);
      g_source_unref (bound);
    }
  g_main_context_pop_thread_default (data.context);
  g_main_context_unref (data.context);

  if (result != NULL)
    *result = res;
  else
    furlhint_connect_result_unref (res);
  return fd;
}
