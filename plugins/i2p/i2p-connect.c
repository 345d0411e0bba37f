/* The i2p plugin's jobs: one connect each. The caller's side runs on the
 * caller's thread: i2p_connect_async() hands the job to the worker, the
 * caller's cancellation is forwarded to the worker's context, and the
 * statuses and the result come back through the job's caller queue
 * (plugins/common/caller-queue.h). The worker's side runs on the worker
 * thread (i2p-worker.c): waiting for the peer's session (i2p-session.c),
 * NAMING LOOKUP on it for a name, then a stream socket of the job's own
 * (HELLO, STREAM CONNECT), which becomes the caller's stream.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "i2p-private.h"
#include "i2p-keys.h"

/* --- jobs: the caller's side ---------------------------------------------- */

Job *
i2p_job_ref (Job *job)
{
  g_atomic_int_inc (&job->ref);
  return job;
}

void
i2p_job_unref (gpointer data)
{
  Job *job = data;

  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref))
    return;
  g_clear_object (&job->task);
  fh_caller_queue_free (job->caller);
  g_clear_object (&job->caller_cancellable);
  g_clear_object (&job->cancellable);
  g_free (job->host);
  g_free (job->key_path);
  if (job->private_key != NULL)
    memset (job->private_key, 0, strlen (job->private_key));
  g_free (job->private_key);
  g_clear_pointer (&job->publication, i2p_publication_free);
  g_free (job->peer);
  g_free (job->session_id);
  g_free (job->destination);
  g_free (job->last_status);
  g_free (job->out);
  g_byte_array_unref (job->line);
  g_clear_error (&job->error);
  if (job->result != NULL)
    g_io_stream_close (G_IO_STREAM (job->result), NULL, NULL);
  g_clear_object (&job->result);
  g_free (job);
}

static gboolean
complete_in_caller_cb (gpointer data)
{
  Job *job = data;
  GTask *task = g_steal_pointer (&job->task);

  fh_caller_queue_close (job->caller);
  if (job->cancel_handler != 0)
    g_cancellable_disconnect (job->caller_cancellable, job->cancel_handler);
  job->cancel_handler = 0;

  /* With check_cancellable (the default), a stream that won the race
   * against the caller's cancellation is unreffed — closed — by GTask. */
  if (job->result != NULL)
    g_task_return_pointer (task, g_steal_pointer (&job->result), g_object_unref);
  else if (job->publication != NULL)
    g_task_return_pointer (task, g_steal_pointer (&job->publication), i2p_publication_free);
  else
    g_task_return_error (task, g_steal_pointer (&job->error));
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* The caller's cancellation reaches the job's own cancellable on the
 * worker thread only, never from the caller's thread: the worker disposes
 * that cancellable's GCancellableSources (its own and those of GIO's
 * pending reads and writes) as the job winds down, and GLib 2.74 leaks a
 * GCancellableSource disposed in one thread while g_cancellable_cancel()
 * is emitting "cancelled" in another (cancellable_source_dispose() takes
 * a reference that only a handler it has just disconnected would drop). */
typedef struct {
  GMainContext *worker_context;  /* (owned) */
  GCancellable *job_cancellable; /* (owned) */
} CancelForward;

static void
cancel_forward_free (gpointer data)
{
  CancelForward *forward = data;

  g_main_context_unref (forward->worker_context);
  g_object_unref (forward->job_cancellable);
  g_free (forward);
}

static gboolean
cancel_in_worker_cb (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_REMOVE;
}

/* Runs in whatever thread cancels the caller's cancellable. An idle
 * source, not g_main_context_invoke(), which would run the cancel right
 * here whenever this thread can acquire the worker's context. A worker
 * already gone leaves the source in a context nobody iterates; freeing
 * that context frees it. */
static void
caller_cancelled_cb (GCancellable *caller_cancellable,
                     gpointer data)
{
  CancelForward *forward = data;
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, cancel_in_worker_cb,
                         g_object_ref (forward->job_cancellable), g_object_unref);
  g_source_set_static_name (source, "[furlhint] i2p cancel");
  g_source_attach (source, forward->worker_context);
  g_source_unref (source);
}

/* --- jobs: the worker's side ---------------------------------------------- */

/* Statuses are posted before the completion, through the same queue, so
 * none arrives after the caller's args went away. */
void
i2p_job_status (Job *job,
                const gchar *text)
{
  if (job->finished || g_strcmp0 (job->last_status, text) == 0)
    return;
  g_free (job->last_status);
  job->last_status = g_strdup (text);
  fh_caller_queue_status (job->caller, text);
}

/* Posts the result once the job has finished and no operation of it is
 * pending any more, so that its socket is closed before the caller hears
 * of a failure. */
static void
job_maybe_post (Job *job)
{
  I2pWorker *worker = job->worker;

  if (!job->finished || job->pending_io > 0 || job->posted)
    return;
  job->posted = TRUE;

  if (job->conn != NULL)
    g_io_stream_close (G_IO_STREAM (job->conn), NULL, NULL);
  g_clear_object (&job->conn);
  if (job->cancel_source != NULL)
    g_source_destroy (job->cancel_source);
  g_clear_pointer (&job->cancel_source, g_source_unref);
  if (job->read_source != NULL)
    g_source_destroy (job->read_source);
  g_clear_pointer (&job->read_source, g_source_unref);
  if (job->release_source != NULL)
    g_source_destroy (job->release_source);
  g_clear_pointer (&job->release_source, g_source_unref);
  g_clear_pointer (&job->session, i2p_session_unref);
  worker->jobs = g_list_remove (worker->jobs, job);

  fh_caller_queue_post (job->caller, complete_in_caller_cb, job,
                        i2p_job_unref);  /* the worker's ref */
  worker->n_alive--;
  i2p_worker_maybe_quit (worker);
}

void
i2p_command_free (Command *command)
{
  g_free (command->line);
  i2p_job_unref (command->job);
  g_free (command);
}

/* Takes the job out of its session's queues. A command already on the
 * wire stays (its reply must still be read) but no longer names the job. */
static void
job_detach (Job *job)
{
  Session *session = job->session;

  if (session == NULL)
    return;
  if (g_queue_remove (&session->waiters, job))
    i2p_job_unref (job);
  for (GList *l = session->commands.head; l != NULL;)
    {
      Command *command = l->data;
      GList *next = l->next;

      if (command->job == job)
        {
          if (command->sent)
            g_clear_pointer (&command->job, i2p_job_unref);
          else
            {
              g_queue_delete_link (&session->commands, l);
              i2p_command_free (command);
            }
        }
      l = next;
    }
}

void
i2p_job_fail (Job *job,
              GError *error)
{
  if (job->finished)
    {
      g_error_free (error);
      return;
    }
  job->finished = TRUE;
  job->error = error;
  job_detach (job);
  /* A publication's session serves nobody else: it ends with the job. */
  if (job->publish && job->session != NULL)
    i2p_session_die (job->session, g_error_copy (error));
  g_cancellable_cancel (job->cancellable);
  job_maybe_post (job);
}

static void
job_succeed (Job *job)
{
  job->finished = TRUE;
  if (job->publish)
    {
      I2pPublication *publication = g_new0 (I2pPublication, 1);
      const gchar *problem = NULL;
      gchar *b32 = fh_i2p_b32_from_keys (job->private_key, strlen (job->private_key),
                                         &problem);

      /* Checked before SESSION CREATE (a read key) or by DEST GENERATE's
       * reply check (a new one). */
      g_assert (b32 != NULL);
      publication->worker = job->worker;
      publication->session = i2p_session_ref (job->session);
      publication->forward = g_steal_pointer (&job->conn);
      publication->key_path = g_strdup (job->key_path);
      publication->hint = job->hint_port != 0
                            ? g_strdup_printf ("i2p:%s:%u", b32, (guint) job->hint_port)
                            : g_strdup_printf ("i2p:%s", b32);
      g_free (b32);
      job->publication = publication;
    }
  else
    job->result = g_steal_pointer (&job->conn);
  job_detach (job);
  job_maybe_post (job);
}

/* Publishing: the destination's session, once its keys are known. The
 * job's stream socket waits, HELLO done, for STREAM FORWARD. */
static void
job_open_publication_session (Job *job)
{
  GError *error = NULL;
  Session *session = i2p_session_open (job->worker, NULL, job->private_key, &error);

  if (session == NULL)
    {
      i2p_job_fail (job, error);
      return;
    }
  job->session = i2p_session_ref (session);
  job->step = JOB_WAIT_SESSION;
  i2p_job_status (job, "creating I2P session");
  g_queue_push_tail (&session->waiters, i2p_job_ref (job));
}

static gboolean
job_release_waited_cb (gpointer data)
{
  Job *job = data;

  g_clear_pointer (&job->release_source, g_source_unref);
  if (!job->finished)
    job_open_publication_session (job);
  return G_SOURCE_REMOVE;
}

/* Publishing from a key whose previous session was withdrawn moments
 * ago: first the rest of SAM_RELEASE_WAIT_US (i2p-private.h). */
static void
job_publish_from_key (Job *job)
{
  gchar *text;

  if (job->release_wait_us <= 0)
    {
      job_open_publication_session (job);
      return;
    }
  text = g_strdup_printf ("waiting %.1f s for the I2P router to drop this destination's "
                          "previous session", job->release_wait_us / 1e6);
  i2p_job_status (job, text);
  g_free (text);
  job->release_source = g_timeout_source_new ((guint) (job->release_wait_us / 1000));
  g_source_set_callback (job->release_source, job_release_waited_cb, i2p_job_ref (job),
                         i2p_job_unref);
  g_source_set_static_name (job->release_source, "[furlhint] I2P release wait");
  g_source_attach (job->release_source, job->worker->context);
}

gboolean
i2p_job_cancelled_cb (GCancellable *cancellable,
                      gpointer data)
{
  Job *job = data;

  g_clear_pointer (&job->cancel_source, g_source_unref);
  i2p_job_fail (job, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          "I2P: connection attempt cancelled"));
  return G_SOURCE_REMOVE;
}

static void job_read_line (Job *job);

static void
job_write_cb (GObject *source,
              GAsyncResult *result,
              gpointer data)
{
  Job *job = data;
  GError *error = NULL;

  job->pending_io--;
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (job->finished)
    {
      g_clear_error (&error);
      job_maybe_post (job);
    }
  else if (error != NULL)
    {
      i2p_job_fail (job, i2p_bridge_io_error (job->worker, "while connecting a stream", error));
      g_error_free (error);
    }
  else
    job_read_line (job);
  i2p_job_unref (job);
}

static void
job_send (Job *job,
          gchar *line)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (job->conn));

  g_free (job->out);
  job->out = line;
  job->pending_io++;
  g_output_stream_write_all_async (out, job->out, strlen (job->out), G_PRIORITY_DEFAULT,
                                   job->cancellable, job_write_cb, i2p_job_ref (job));
}

static void
job_got_line (Job *job)
{
  FhSamReply reply;
  GError *error = NULL;
  gchar *line;

  if (!fh_sam_parse_reply ((const gchar *) job->line->data, job->line->len,
                           &reply, &error))
    {
      i2p_job_fail (job, error);
      return;
    }

  switch (job->step)
    {
    case JOB_HELLO:
      {
        const gchar *version;
        guint16 to_port = 0;

        if (!fh_sam_check_reply (FH_SAM_CMD_HELLO, &reply, job->worker->bridge, &error))
          break;
        if (job->publish)
          {
            if (job->private_key != NULL)
              job_publish_from_key (job);
            else
              {
                job->step = JOB_DEST_GENERATE;
                i2p_job_status (job, "generating an I2P destination");
                job_send (job, fh_sam_build_dest_generate ());
              }
            break;
          }
        version = fh_sam_reply_get (&reply, "VERSION");
        /* See "Ports" above: without 3.2 the port cannot be sent. */
        if (job->port != 0 && fh_sam_version_at_least (version, 3, 2))
          to_port = job->port;
        line = fh_sam_build_stream_connect (job->session_id, job->destination,
                                            to_port, &error);
        if (line == NULL)
          break;
        job->step = JOB_STREAM_CONNECT;
        i2p_job_status (job, "connecting to the I2P destination");
        job_send (job, line);
      }
      break;

    case JOB_DEST_GENERATE:
      if (!fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, job->worker->bridge,
                               &error))
        break;
      job->private_key = g_strdup (fh_sam_reply_get (&reply, "PRIV"));
      if (job->key_path != NULL && !i2p_key_file_save (job->key_path, job->private_key,
                                                       &error))
        break;
      job_open_publication_session (job);
      break;

    case JOB_STREAM_FORWARD:
      if (fh_sam_check_reply (FH_SAM_CMD_STREAM_FORWARD, &reply,
                              job->worker->bridge, &error))
        job_succeed (job);
      break;

    case JOB_WAIT_SESSION:
    case JOB_STREAM_CONNECT:
    default:
      if (fh_sam_check_reply (FH_SAM_CMD_STREAM_CONNECT, &reply,
                              job->worker->bridge, &error))
        job_succeed (job);
      break;
    }
  fh_sam_reply_clear (&reply);
  if (error != NULL)
    i2p_job_fail (job, error);
}

static const gchar *
job_reply_name (const Job *job)
{
  switch (job->step)
    {
    case JOB_HELLO: return "before answering HELLO";
    case JOB_DEST_GENERATE: return "before answering DEST GENERATE";
    case JOB_STREAM_FORWARD: return "before answering STREAM FORWARD";
    case JOB_WAIT_SESSION:
    case JOB_STREAM_CONNECT:
    default: return "before answering STREAM CONNECT";
    }
}

/* The stream socket's replies are read up to their "\n" and not a byte
 * further: what follows is the peer's data and belongs to the caller's
 * socket, unread (a buffered reader would swallow it). So each wake-up
 * peeks at what has arrived (MSG_PEEK, never blocking: other jobs share
 * this thread) and then takes exactly the bytes up to the line's end,
 * which are there: one peek and one read per chunk, where reading a
 * byte at a time cost a read per byte of a hostile bridge's endless
 * line. */
static gboolean
job_readable_cb (GSocket *socket,
                 GIOCondition condition,
                 gpointer data)
{
  Job *job = data;
  guint8 chunk[SAM_READ_CHUNK];
  GError *error = NULL;
  gssize n;
  gsize take, line_len;
  const guint8 *nl;

  /* Every way out that ends the read lets go of the source before
   * i2p_job_fail() or job_got_line(): those may post the job to the caller,
   * whose thread can then free it while this callback still runs. */
  if (job->finished || g_cancellable_is_cancelled (job->cancellable))
    {
      /* i2p_job_cancelled_cb() ends the job; this source is done. */
      g_clear_pointer (&job->read_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  do
    n = recv (g_socket_get_fd (socket), chunk, sizeof chunk, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      gint saved_errno = errno;

      if (n < 0)
        error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                             "Error receiving data: %s", g_strerror (saved_errno));
      g_clear_pointer (&job->read_source, g_source_unref);
      i2p_job_fail (job, i2p_bridge_io_error (job->worker, job_reply_name (job), error));
      g_clear_error (&error);
      return G_SOURCE_REMOVE;
    }

  nl = memchr (chunk, '\n', (gsize) n);
  take = nl != NULL ? (gsize) (nl - chunk) + 1 : (gsize) n;
  /* Peeked, so there: a short read would be the kernel breaking its word. */
  n = g_socket_receive_with_blocking (socket, (gchar *) chunk, take, FALSE, NULL, &error);
  if (n != (gssize) take)
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                             "read %" G_GSSIZE_FORMAT " of %" G_GSIZE_FORMAT " peeked bytes",
                             n, take);
      g_clear_pointer (&job->read_source, g_source_unref);
      i2p_job_fail (job, i2p_bridge_io_error (job->worker, job_reply_name (job), error));
      g_error_free (error);
      return G_SOURCE_REMOVE;
    }
  g_byte_array_append (job->line, chunk, take);

  switch (fh_sam_find_line (job->line->data, job->line->len, &line_len, &error))
    {
    case FH_SAM_LINE_NEED_MORE:
      return G_SOURCE_CONTINUE;
    case FH_SAM_LINE_OK:
      g_clear_pointer (&job->read_source, g_source_unref);
      job_got_line (job);
      return G_SOURCE_REMOVE;
    case FH_SAM_LINE_ERROR:
    default:
      g_clear_pointer (&job->read_source, g_source_unref);
      i2p_job_fail (job, error);
      return G_SOURCE_REMOVE;
    }
}

static void
job_read_line (Job *job)
{
  GSocket *socket = g_socket_connection_get_socket (job->conn);

  g_byte_array_set_size (job->line, 0);
  job->read_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                             job->cancellable);
  g_source_set_callback (job->read_source, G_SOURCE_FUNC (job_readable_cb), job, NULL);
  g_source_set_static_name (job->read_source, "[furlhint] i2p: SAM reply");
  g_source_attach (job->read_source, job->worker->context);
}

static void
job_connected_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer data)
{
  Job *job = data;
  GError *error = NULL;
  GSocketConnection *conn;

  job->pending_io--;
  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (job->finished)
    {
      if (conn != NULL)
        {
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_object_unref (conn);
        }
      g_clear_error (&error);
      job_maybe_post (job);
    }
  else if (conn == NULL)
    {
      i2p_job_fail (job, i2p_bridge_connect_error (job->worker, error));
      g_error_free (error);
    }
  else
    {
      job->conn = conn;
      job->step = JOB_HELLO;
      job_send (job, fh_sam_build_hello (FH_SAM_VERSION_MIN, FH_SAM_VERSION_MAX));
    }
  i2p_job_unref (job);
}

void
i2p_job_open_stream (Job *job)
{
  GSocketClient *client = i2p_new_socket_client ();

  job->pending_io++;
  g_socket_client_connect_async (client, job->worker->sam, job->cancellable,
                                 job_connected_cb, i2p_job_ref (job));
  g_object_unref (client);
}

static void
naming_done (Session *session,
             Command *command,
             const FhSamReply *reply,
             const GError *error)
{
  Job *job = command->job;
  GError *local_error = NULL;

  if (job == NULL || job->finished)
    return;
  if (error != NULL)
    i2p_job_fail (job, g_error_copy (error));
  else if (!fh_sam_check_reply (FH_SAM_CMD_NAMING_LOOKUP, reply,
                                session->worker->bridge, &local_error))
    i2p_job_fail (job, local_error);
  else
    {
      job->destination = g_strdup (fh_sam_reply_get (reply, "VALUE"));
      i2p_job_open_stream (job);
    }
}

void
i2p_job_session_ready (Job *job,
                       Session *session)
{
  GError *error = NULL;
  gchar *line;

  g_free (job->session_id);
  job->session_id = g_strdup (session->id);
  if (job->publish)
    {
      line = fh_sam_build_stream_forward (session->id, job->host, job->port, &error);
      if (line == NULL)
        {
          i2p_job_fail (job, error);
          return;
        }
      job->step = JOB_STREAM_FORWARD;
      i2p_job_status (job, "forwarding incoming I2P streams");
      job_send (job, line);
      return;
    }
  if (fh_sam_is_b32 (job->host) || fh_sam_is_base64_destination (job->host))
    {
      job->destination = g_strdup (job->host);
      i2p_job_open_stream (job);
      return;
    }
  line = fh_sam_build_naming_lookup (job->host, &error);
  if (line == NULL)
    {
      i2p_job_fail (job, error);
      return;
    }
  i2p_job_status (job, "looking up the I2P name");
  i2p_session_queue_command (session, FH_SAM_CMD_NAMING_LOOKUP, line, naming_done, job);
}

void
i2p_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  I2pState *state = data;
  GTask *task;
  Job *job;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_name (task, "[furlhint] i2p connect");
  g_task_set_source_tag (task, i2p_connect_async);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (state == NULL)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "I2P: the plugin is not initialised");
      g_object_unref (task);
      return;
    }
  if (args == NULL || args->target == NULL || args->target->host == NULL)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "I2P: no destination to connect to");
      g_object_unref (task);
      return;
    }
  /* The host puts every target in canonical form; the router would look
   * "x.b32.i2p." up as some other name. */
  if (!fh_hostname_is_canonical (args->target->host))
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                               "I2P: refusing destination '%s': not a canonical name (a final "
                               "dot, an empty label, or a .i2p name not in lower case)",
                               args->target->host);
      g_object_unref (task);
      return;
    }

  job = i2p_job_new (state, task, args->status, args->status_data, cancellable);
  job->host = g_strdup (args->target->host);
  job->port = args->target->port;
  job->peer = g_strdup (state->per_peer && args->isolation_key != NULL ? args->isolation_key
                                                                       : "");
  g_main_context_invoke_full (state->worker->context, G_PRIORITY_DEFAULT,
                              i2p_job_start_in_worker_cb, job, NULL);
}

/* A job for @task on the plugin's worker (started here if need be), its
 * statuses going to @status, @cancellable forwarded to the worker. The
 * caller fills in what the job is about and hands it over with
 * i2p_job_start_in_worker_cb(). */
Job *
i2p_job_new (I2pState *state,
             GTask *task,
             FurlHintStatusFunc status,
             gpointer status_data,
             GCancellable *cancellable)
{
  Job *job = g_new0 (Job, 1);

  i2p_worker_ensure (state);
  job->ref = 1;
  job->task = task;
  job->caller = fh_caller_queue_new (status, status_data, g_task_get_name (task));
  job->cancellable = g_cancellable_new ();
  job->worker = state->worker;
  job->line = g_byte_array_new ();
  if (cancellable != NULL)
    {
      CancelForward *forward = g_new0 (CancelForward, 1);

      forward->worker_context = g_main_context_ref (state->worker->context);
      forward->job_cancellable = g_object_ref (job->cancellable);
      job->caller_cancellable = g_object_ref (cancellable);
      job->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                   forward, cancel_forward_free);
    }
  return job;
}

GIOStream *
i2p_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, i2p_connect_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

