/* The i2p plugin's worker: the thread, with a main context of its own,
 * on which every SAM socket lives (see the design in i2p-private.h),
 * started by the first connect and stopped by fini, which fails what is
 * still running and ends every session. Also where a job starts on that
 * thread, and the errors of the bridge the worker talks to.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "i2p-private.h"

void
i2p_worker_maybe_quit (I2pWorker *worker)
{
  if (worker->stopping && worker->n_alive == 0)
    g_main_loop_quit (worker->loop);
}

/* The bridge refusing or not answering a TCP connection means I2P is not
 * there for any hint: TRANSPORT_DOWN, which the host remembers. */
GError *
i2p_bridge_connect_error (I2pWorker *worker,
                          const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                        "SAM bridge %s refused the connection: is i2pd running with "
                        "SAM enabled?", worker->bridge);
  return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                      "SAM bridge %s is not reachable (%s): is i2pd running with "
                      "SAM enabled?", worker->bridge, error->message);
}

GError *
i2p_bridge_io_error (I2pWorker *worker,
                     const gchar *during,
                     const GError *error)
{
  if (error == NULL)
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                        "I2P: the SAM bridge %s closed the connection %s",
                        worker->bridge, during);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  /* A reset is the bridge hanging up, as with a close (timing alone can
   * decide which the client sees). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                        "I2P: the SAM bridge %s closed the connection %s (%s)",
                        worker->bridge, during, error->message);
  return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                      "I2P: lost the SAM bridge %s %s: %s",
                      worker->bridge, during, error->message);
}

GSocketClient *
i2p_new_socket_client (void)
{
  GSocketClient *client = g_socket_client_new ();

  /* Never through a system proxy: the bridge is local. No timeout either:
   * GSocketClient would keep it on the socket, and the control socket
   * waits idle for as long as the plugin lives. */
  g_socket_client_set_enable_proxy (client, FALSE);
  return client;
}

/* Starts the worker at the first connect or publish. */
void
i2p_worker_ensure (I2pState *state)
{
  g_mutex_lock (&state->lock);
  if (state->worker == NULL)
    state->worker = i2p_worker_new (state);
  g_mutex_unlock (&state->lock);
}

gboolean
i2p_job_start_in_worker_cb (gpointer data)
{
  Job *job = data;   /* the worker's reference, released by job_maybe_post */
  I2pWorker *worker = job->worker;
  Session *session;

  worker->n_alive++;
  worker->jobs = g_list_prepend (worker->jobs, job);
  job->cancel_source = g_cancellable_source_new (job->cancellable);
  g_source_set_callback (job->cancel_source, G_SOURCE_FUNC (i2p_job_cancelled_cb), job, NULL);
  g_source_attach (job->cancel_source, worker->context);

  if (worker->stopping)
    {
      i2p_job_fail (job, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                              "I2P: the i2p plugin is shutting down"));
      return G_SOURCE_REMOVE;
    }
  if (g_cancellable_is_cancelled (job->cancellable))
    return G_SOURCE_REMOVE;   /* i2p_job_cancelled_cb follows */

  if (job->publish)
    {
      /* The stream socket first: HELLO, DEST GENERATE for a new key, and
       * STREAM FORWARD once the publication's session is up. */
      i2p_job_status (job, "connecting to I2P");
      i2p_job_open_stream (job);
      return G_SOURCE_REMOVE;
    }

  session = g_hash_table_lookup (worker->sessions, job->peer);
  if (session == NULL)
    {
      GError *error = NULL;

      session = i2p_session_open (worker, job->peer, NULL, &error);
      if (session == NULL)
        {
          i2p_job_fail (job, error);
          return G_SOURCE_REMOVE;
        }
    }
  job->session = i2p_session_ref (session);
  if (session->phase == SESSION_READY)
    {
      i2p_job_status (job, "connecting to I2P");
      i2p_job_session_ready (job, session);
    }
  else
    {
      i2p_job_status (job, session->phase == SESSION_CREATING ? "creating I2P session"
                                                           : "connecting to I2P");
      g_queue_push_tail (&session->waiters, i2p_job_ref (job));
    }
  return G_SOURCE_REMOVE;
}

static gboolean
worker_shutdown_cb (gpointer data)
{
  I2pWorker *worker = data;
  GList *jobs = g_list_copy (worker->jobs);
  GList *sessions;

  worker->stopping = TRUE;
  for (GList *l = jobs; l != NULL; l = l->next)
    i2p_job_fail (l->data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                "I2P: the i2p plugin is shutting down"));
  g_list_free (jobs);
  /* Each i2p_session_die() takes its session out of the table or the
   * list of publications (unpublished before fini, so normally none). */
  sessions = g_list_concat (g_hash_table_get_values (worker->sessions),
                            g_list_copy (worker->published));
  for (GList *l = sessions; l != NULL; l = l->next)
    i2p_session_die (l->data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   "I2P: the i2p plugin is shutting down"));
  g_list_free (sessions);
  i2p_worker_maybe_quit (worker);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  I2pWorker *worker = data;

  g_main_context_push_thread_default (worker->context);
  g_main_loop_run (worker->loop);
  /* Finished operations may still have sources to dispatch. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

I2pWorker *
i2p_worker_new (const I2pState *state)
{
  I2pWorker *worker = g_new0 (I2pWorker, 1);

  worker->context = g_main_context_new ();
  worker->loop = g_main_loop_new (worker->context, FALSE);
  if (state->sam.kind == FH_ENDPOINT_UNIX)
    worker->sam = G_SOCKET_CONNECTABLE (g_unix_socket_address_new (state->sam.path));
  else
    /* The configured bridge, usually an address literal; a name here is
     * the node's own setting, not a peer's. */
    worker->sam = g_network_address_new (state->sam.host, state->sam.port);
  worker->bridge = fh_plugin_endpoint_display (&state->sam);
  worker->options = g_strdupv (state->session_options);
  worker->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  worker->thread = g_thread_new ("furlhint-i2p", worker_thread, worker);
  return worker;
}

void
i2p_worker_free (I2pWorker *worker)
{
  g_main_context_invoke (worker->context, worker_shutdown_cb, worker);
  g_thread_join (worker->thread);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_object_unref (worker->sam);
  g_free (worker->bridge);
  g_strfreev (worker->options);
  /* Empty: the shutdown ended every session. */
  g_hash_table_unref (worker->sessions);
  g_free (worker);
}

