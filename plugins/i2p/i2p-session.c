/* The i2p plugin's SAM sessions, on the worker thread: one per peer
 * (or one for all, with shared client destinations), each a control
 * socket to the bridge that does HELLO and SESSION CREATE once and stays
 * open for the plugin's life, since closing it ends the session. Jobs
 * wait for their session to be ready and queue their NAMING LOOKUP on
 * it; commands go one at a time (SAM bridges do not answer pipelined
 * ones); PING is answered; a session that fails fails its waiting jobs
 * and leaves the worker's table, so the next job makes a new one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "i2p-private.h"

Session *
i2p_session_ref (Session *session)
{
  session->ref++;
  return session;
}

void
i2p_session_unref (Session *session)
{
  I2pWorker *worker;

  if (session == NULL || --session->ref > 0)
    return;
  worker = session->worker;
  /* Every operation holds a reference: none is pending now. Closing the
   * control socket ends the session on the router. */
  if (session->conn != NULL)
    g_io_stream_close (G_IO_STREAM (session->conn), NULL, NULL);
  g_clear_object (&session->conn);
  g_clear_object (&session->cancellable);
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);
  g_byte_array_unref (session->inbuf);
  g_queue_clear_full (&session->commands, (GDestroyNotify) i2p_command_free);
  g_queue_clear_full (&session->waiters, i2p_job_unref);
  g_queue_clear_full (&session->output, g_free);
  g_free (session->id);
  g_free (session->peer);
  if (session->private_key != NULL)
    memset (session->private_key, 0, strlen (session->private_key));
  g_free (session->private_key);
  g_free (session);
  worker->n_alive--;
  i2p_worker_maybe_quit (worker);
}

void
i2p_session_die (Session *session,
                 GError *error)
{
  I2pWorker *worker = session->worker;
  GQueue commands = G_QUEUE_INIT, waiters = G_QUEUE_INIT;

  if (session->phase == SESSION_DEAD)
    {
      g_error_free (error);
      return;
    }
  session->phase = SESSION_DEAD;
  i2p_session_ref (session);
  if (session->peer == NULL)
    {
      if (g_list_find (worker->published, session) != NULL)
        {
          worker->published = g_list_remove (worker->published, session);
          i2p_session_unref (session);   /* the worker's */
        }
    }
  else if (g_hash_table_lookup (worker->sessions, session->peer) == session)
    {
      g_hash_table_remove (worker->sessions, session->peer);
      i2p_session_unref (session);   /* the worker's */
    }
  g_cancellable_cancel (session->cancellable);
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);

  /* Steal the queues: failing a job detaches it from them. */
  commands = session->commands;
  g_queue_init (&session->commands);
  waiters = session->waiters;
  g_queue_init (&session->waiters);
  for (GList *l = commands.head; l != NULL; l = l->next)
    {
      Command *command = l->data;
      command->done (session, command, NULL, error);
    }
  g_queue_clear_full (&commands, (GDestroyNotify) i2p_command_free);
  for (GList *l = waiters.head; l != NULL; l = l->next)
    i2p_job_fail (l->data, g_error_copy (error));
  g_queue_clear_full (&waiters, i2p_job_unref);
  g_error_free (error);
  i2p_session_unref (session);
}

static void session_write_next (Session *session);

static void
session_write_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer data)
{
  Session *session = data;
  GError *error = NULL;

  session->writing = FALSE;
  g_free (g_queue_pop_head (&session->output));
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (session->phase != SESSION_DEAD)
        i2p_session_die (session, i2p_bridge_io_error (session->worker,
                                                       "on the session's control connection",
                                                       error));
      g_error_free (error);
    }
  else if (session->phase != SESSION_DEAD)
    session_write_next (session);
  i2p_session_unref (session);
}

static void
session_write_next (Session *session)
{
  const gchar *line = g_queue_peek_head (&session->output);

  if (session->writing || line == NULL || session->phase == SESSION_DEAD)
    return;
  session->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (session->conn)),
                                   line, strlen (line), G_PRIORITY_DEFAULT,
                                   session->cancellable, session_write_cb,
                                   i2p_session_ref (session));
}

static void
session_send (Session *session,
              gchar *line)
{
  g_queue_push_tail (&session->output, line);
  session_write_next (session);
}

static void
session_pump (Session *session)
{
  Command *head = g_queue_peek_head (&session->commands);

  if (head == NULL || head->sent || session->conn == NULL || session->phase == SESSION_DEAD)
    return;
  head->sent = TRUE;
  session_send (session, g_strdup (head->line));
}

void
i2p_session_queue_command (Session *session,
                           FhSamCommand kind,
                           gchar *line,
                           CommandDone done,
                           Job *job)
{
  Command *command = g_new0 (Command, 1);

  command->kind = kind;
  command->line = line;
  command->done = done;
  command->job = job != NULL ? i2p_job_ref (job) : NULL;
  g_queue_push_tail (&session->commands, command);
  session_pump (session);
}

static const gchar *
session_during (const Session *session)
{
  switch (session->phase)
    {
    case SESSION_CONNECTING:
    case SESSION_HELLO:
      return "before answering HELLO";
    case SESSION_CREATING:
      return "during SESSION CREATE";
    case SESSION_READY:
    case SESSION_DEAD:
    default:
      return "of the I2P session (the router stopped?)";
    }
}

static void
session_got_line (Session *session,
                  const guint8 *data,
                  gsize len)
{
  FhSamReply reply;
  GError *error = NULL;
  Command *head;

  if (!fh_sam_parse_reply ((const gchar *) data, len, &reply, &error))
    {
      i2p_session_die (session, error);
      return;
    }
  if (g_strcmp0 (reply.topic, "PING") == 0)
    session_send (session, fh_sam_build_pong (&reply));
  else if ((head = g_queue_peek_head (&session->commands)) != NULL && head->sent)
    {
      g_queue_pop_head (&session->commands);
      head->done (session, head, &reply, NULL);
      i2p_command_free (head);
      session_pump (session);
    }
  /* else: a line nobody asked for (a PONG, a newer bridge's notice) */
  fh_sam_reply_clear (&reply);
}

static void session_read_more (Session *session);

static void
session_read_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer data)
{
  Session *session = data;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (session->phase == SESSION_DEAD)
    g_clear_error (&error);
  else if (n <= 0)
    {
      i2p_session_die (session, i2p_bridge_io_error (session->worker, session_during (session),
                                                     error));
      g_clear_error (&error);
    }
  else
    {
      gsize line_len;
      FhSamLineResult res = FH_SAM_LINE_NEED_MORE;

      g_byte_array_append (session->inbuf, session->chunk, (guint) n);
      while (session->phase != SESSION_DEAD &&
             (res = fh_sam_find_line (session->inbuf->data, session->inbuf->len,
                                      &line_len, &error)) == FH_SAM_LINE_OK)
        {
          guint8 *line = g_memdup2 (session->inbuf->data, line_len);

          g_byte_array_remove_range (session->inbuf, 0, (guint) line_len);
          session_got_line (session, line, line_len);
          g_free (line);
        }
      if (res == FH_SAM_LINE_ERROR && session->phase != SESSION_DEAD)
        i2p_session_die (session, g_steal_pointer (&error));
      g_clear_error (&error);
      if (session->phase != SESSION_DEAD)
        session_read_more (session);
    }
  i2p_session_unref (session);
}

static void
session_read_more (Session *session)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (session->conn)),
                             session->chunk, sizeof session->chunk, G_PRIORITY_DEFAULT,
                             session->cancellable, session_read_cb, i2p_session_ref (session));
}

static void
session_status (Session *session,
                const gchar *text)
{
  for (GList *l = session->waiters.head; l != NULL; l = l->next)
    i2p_job_status (l->data, text);
}

static void
session_create_done (Session *session,
                     Command *command,
                     const FhSamReply *reply,
                     const GError *error)
{
  GError *local_error = NULL;
  GQueue waiters;

  if (error != NULL || session->phase == SESSION_DEAD)
    return;   /* the session is dying already */
  if (!fh_sam_check_reply (FH_SAM_CMD_SESSION_CREATE, reply,
                           session->worker->bridge, &local_error))
    {
      i2p_session_die (session, local_error);
      return;
    }
  session->phase = SESSION_READY;
  waiters = session->waiters;
  g_queue_init (&session->waiters);
  for (GList *l = waiters.head; l != NULL; l = l->next)
    {
      Job *job = l->data;
      if (!job->finished)
        i2p_job_session_ready (job, session);
    }
  g_queue_clear_full (&waiters, i2p_job_unref);
}

static void
session_hello_done (Session *session,
                    Command *command,
                    const FhSamReply *reply,
                    const GError *error)
{
  GError *local_error = NULL;
  gchar *line;

  if (error != NULL || session->phase == SESSION_DEAD)
    return;
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);

  if (!fh_sam_check_reply (FH_SAM_CMD_HELLO, reply, session->worker->bridge,
                           &local_error))
    {
      i2p_session_die (session, local_error);
      return;
    }
  line = fh_sam_build_session_create (session->id, session->private_key,
                                      (const gchar *const *) session->worker->options,
                                      &local_error);
  if (line == NULL)
    {
      i2p_session_die (session, local_error);
      return;
    }
  session->phase = SESSION_CREATING;
  session_status (session, "creating I2P session");
  i2p_session_queue_command (session, FH_SAM_CMD_SESSION_CREATE, line, session_create_done, NULL);
}

static gboolean
session_timeout_cb (gpointer data)
{
  Session *session = data;

  g_clear_pointer (&session->timeout, g_source_unref);
  i2p_session_die (session,
                   g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                                "SAM bridge %s did not answer HELLO within %d s: is it "
                                "i2pd's SAM port?", session->worker->bridge,
                                SAM_HANDSHAKE_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

static void
session_connected_cb (GObject *source,
                      GAsyncResult *result,
                      gpointer data)
{
  Session *session = data;
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (session->phase == SESSION_DEAD)
    {
      g_clear_error (&error);
      if (conn != NULL)
        {
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_object_unref (conn);
        }
    }
  else if (conn == NULL)
    {
      i2p_session_die (session, i2p_bridge_connect_error (session->worker, error));
      g_error_free (error);
    }
  else
    {
      session->conn = conn;
      session->phase = SESSION_HELLO;
      session_read_more (session);
      i2p_session_queue_command (session, FH_SAM_CMD_HELLO,
                                 fh_sam_build_hello (FH_SAM_VERSION_MIN,
                                                     FH_SAM_VERSION_MAX),
                                 session_hello_done, NULL);
    }
  i2p_session_unref (session);
}

/* A new session for @peer, in worker->sessions; or with @peer NULL a
 * publication's, in worker->published, on the destination
 * @private_key (NULL: a transient one). NULL with @error when no random
 * session ID can be had. */
Session *
i2p_session_open (I2pWorker *worker,
                  const gchar *peer,
                  const gchar *private_key,
                  GError **error)
{
  Session *session;
  GSocketClient *client;
  gchar *id = fh_sam_new_session_id (error);

  if (id == NULL)
    {
      g_prefix_error (error, "I2P: no SAM session ID: ");
      return NULL;
    }
  session = g_new0 (Session, 1);
  client = i2p_new_socket_client ();
  session->ref = 1;   /* the worker's */
  session->worker = worker;
  session->phase = SESSION_CONNECTING;
  session->id = id;
  session->peer = g_strdup (peer);
  session->private_key = g_strdup (private_key);
  if (peer != NULL)
    g_hash_table_insert (worker->sessions, g_strdup (peer), session);
  else
    worker->published = g_list_prepend (worker->published, session);
  session->cancellable = g_cancellable_new ();
  session->inbuf = g_byte_array_new ();
  worker->n_alive++;

  session->timeout = g_timeout_source_new_seconds (SAM_HANDSHAKE_TIMEOUT_S);
  g_source_set_callback (session->timeout, session_timeout_cb, session, NULL);
  g_source_set_static_name (session->timeout, "[furlhint] SAM handshake timeout");
  g_source_attach (session->timeout, worker->context);

  g_socket_client_connect_async (client, worker->sam, session->cancellable,
                                 session_connected_cb, i2p_session_ref (session));
  g_object_unref (client);
  return session;
}

