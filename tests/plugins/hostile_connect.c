/* Hostile test plugin: its connects break the plugin contract in the ways
 * the host must survive. The hint's type picks the misbehaviour:
 *
 *   hang:H:P      never completes until cancelled (then G_IO_ERROR_CANCELLED,
 *                 as the contract asks): the overall timeout must end it
 *   deaf:H:P      never calls back at all, not even when cancelled
 *   neither:H:P   completes; connect_finish returns NULL without an error
 *   both:H:P      connect_finish returns a stream AND sets an error
 *   twice:H:P     calls back twice: an error, then another one 50 ms later
 *   twiceok:H:P   calls back twice: a stream, then an error 50 ms later
 *   sync:H:P      calls back from inside connect_async (an error)
 *   syncok:H:P    calls back from inside connect_async (a stream)
 *   nullstatus:H:P reports a NULL status, then fails
 *   latecancel:H:P never completes until cancelled, and answers the cancel
 *                 later, from a thread of its own (as a plugin with a
 *                 worker thread may)
 *
 * Streams are in-memory (GSimpleIOStream), so nothing here opens a
 * descriptor. The plugin counts its live streams and pending connects in
 * the log (see hostile_log below) so the test can check what it left.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/plugin.h>

typedef struct {
  GPtrArray *deaf;              /* (element-type DeafCall) never answered */
} HostileState;

typedef struct {
  GAsyncReadyCallback callback;
  gpointer user_data;
} DeafCall;

static gpointer
h_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  HostileState *state = g_new0 (HostileState, 1);

  state->deaf = g_ptr_array_new_with_free_func (g_free);
  return state;
}

static void
h_fini (gpointer data)
{
  HostileState *state = data;

  /* The deaf calls' user data belongs to the host; a deaf plugin simply
   * forgets it (the host cannot get it back: that is the point). */
  g_ptr_array_unref (state->deaf);
  g_free (state);
}

static gboolean
h_parse (gpointer data,
         const gchar *hint,
         FurlHintParseMode mode,
         FurlHintTarget *target,
         GError **error)
{
  g_auto(GStrv) parts = g_strsplit (hint, ":", -1);
  guint64 port;

  if (g_strv_length (parts) != 3 || parts[1][0] == '\0' ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized hostile hint '%s'; expected TYPE:HOST:PORT", hint);
      return FALSE;
    }
  target->host = g_strdup (parts[1]);
  target->port = (guint16) port;
  target->host_kind = FURLHINT_HOST_DNS;
  target->hint = g_strdup (hint);
  return TRUE;
}

static GIOStream *
memory_stream (void)
{
  GInputStream *in = g_memory_input_stream_new ();
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  GIOStream *stream = g_simple_io_stream_new (in, out);

  g_object_unref (in);
  g_object_unref (out);
  return stream;
}

static const gchar *
hint_type (const FurlHintConnectArgs *args)
{
  return args->target->hint;
}

/* hang: answers only the cancellable. */
static void
hang_cancelled_cb (GCancellable *cancellable,
                   gpointer user_data)
{
  GTask *task = user_data;

  /* GTask returns in an idle on the task's context when needed. */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "hostile plugin: hang attempt cancelled");
}

static void
hang_task_free (gpointer data)
{
  g_object_unref (data);
}

/* latecancel: the answer to the cancel, from a thread of its own, after
 * a pause (the host has long had its turn). */
static gpointer
late_answer_thread (gpointer data)
{
  GTask *task = data;

  g_usleep (200 * 1000);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "hostile plugin: late answer to a cancel");
  g_object_unref (task);
  return NULL;
}

static void
late_cancelled_cb (GCancellable *cancellable,
                   gpointer user_data)
{
  g_thread_unref (g_thread_new ("late-cancel", late_answer_thread, g_object_ref (user_data)));
}

/* twice: the second answer, later. */
static gboolean
second_answer_cb (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                           "hostile plugin: second answer");
  return G_SOURCE_REMOVE;
}

static void
h_connect_async (gpointer data,
                 const FurlHintConnectArgs *args,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  HostileState *state = data;
  const gchar *hint = hint_type (args);

  if (g_str_has_prefix (hint, "hang:"))
    {
      /* Not given the cancellable: the handler below holds the task, and
       * a task holding the cancellable would make a cycle that keeps both
       * (and the task's main context) for good. */
      GTask *task = g_task_new (NULL, NULL, callback, user_data);

      args->status ("hanging forever", args->status_data);
      if (cancellable == NULL)
        {
          /* Nothing can end it: the host always passes a cancellable. */
          g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                                   "hostile plugin: hang without a cancellable");
          g_object_unref (task);
          return;
        }
      /* The handler owns the task; disconnected never (once is enough:
       * the cancellable is the attempt's own and fires once). */
      g_cancellable_connect (cancellable, G_CALLBACK (hang_cancelled_cb), task, hang_task_free);
    }
  else if (g_str_has_prefix (hint, "latecancel:"))
    {
      GTask *task = g_task_new (NULL, NULL, callback, user_data);

      /* The host always passes a cancellable; the task does not hold it
       * (see hang). */
      g_cancellable_connect (cancellable, G_CALLBACK (late_cancelled_cb), task, hang_task_free);
    }
  else if (g_str_has_prefix (hint, "deaf:"))
    {
      DeafCall *call = g_new0 (DeafCall, 1);

      call->callback = callback;
      call->user_data = user_data;
      g_ptr_array_add (state->deaf, call);
    }
  else if (g_str_has_prefix (hint, "neither:"))
    {
      GTask *task = g_task_new (NULL, cancellable, callback, user_data);

      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
    }
  else if (g_str_has_prefix (hint, "both:"))
    {
      GTask *task = g_task_new (NULL, cancellable, callback, user_data);

      g_task_set_task_data (task, GINT_TO_POINTER (1), NULL);
      g_task_return_pointer (task, memory_stream (), g_object_unref);
      g_object_unref (task);
    }
  else if (g_str_has_prefix (hint, "twice:") || g_str_has_prefix (hint, "twiceok:"))
    {
      GTask *first = g_task_new (NULL, NULL, callback, user_data);
      GTask *second = g_task_new (NULL, NULL, callback, user_data);

      if (g_str_has_prefix (hint, "twiceok:"))
        g_task_return_pointer (first, memory_stream (), g_object_unref);
      else
        g_task_return_new_error (first, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED,
                                 "hostile plugin: first answer");
      g_object_unref (first);
      g_timeout_add_full (G_PRIORITY_DEFAULT, 50, second_answer_cb, second, g_object_unref);
    }
  else if (g_str_has_prefix (hint, "sync:") || g_str_has_prefix (hint, "syncok:"))
    {
      /* A task without a callback only stores its result: the host's
       * callback is then called by hand, before connect_async returns. */
      GTask *task = g_task_new (NULL, NULL, NULL, NULL);

      if (g_str_has_prefix (hint, "syncok:"))
        g_task_return_pointer (task, memory_stream (), g_object_unref);
      else
        g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED,
                                 "hostile plugin: synchronous refusal");
      callback (NULL, G_ASYNC_RESULT (task), user_data);
      g_object_unref (task);
    }
  else if (g_str_has_prefix (hint, "nullstatus:"))
    {
      GTask *task = g_task_new (NULL, cancellable, callback, user_data);

      args->status (NULL, args->status_data);
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "hostile plugin: failed after a NULL status");
      g_object_unref (task);
    }
  else
    {
      GTask *task = g_task_new (NULL, cancellable, callback, user_data);

      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "hostile plugin: no misbehaviour named by '%s'", hint);
      g_object_unref (task);
    }
}

static GIOStream *
h_connect_finish (gpointer data,
                  GAsyncResult *result,
                  GError **error)
{
  GTask *task = G_TASK (result);
  GIOStream *stream = g_task_propagate_pointer (task, error);

  /* both: a stream and, against the contract, an error too. */
  if (stream != NULL && g_task_get_task_data (task) != NULL)
    g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                         "hostile plugin: an error next to a stream");
  return stream;
}

static gchar *
h_describe (gpointer data,
            const FurlHintTarget *target)
{
  return g_strdup_printf ("hostile %s", target->hint);
}

static const gchar *const h_prefixes[] = {
  "hang", "deaf", "neither", "both", "twice", "twiceok", "sync", "syncok", "nullstatus",
  "latecancel", NULL
};

FURLHINT_PLUGIN_DEFINE (hostile_connect) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "hostile_connect",
  .version = "1.0",
  .description = "test plugin whose connects break the contract",
  .prefixes = h_prefixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = h_init,
  .fini = h_fini,
  .parse = h_parse,
  .connect_async = h_connect_async,
  .connect_finish = h_connect_finish,
  .describe = h_describe,
};
