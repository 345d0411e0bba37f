/* The tor plugin's server side: publishing an onion service through Tor's
 * control port (ADD_ONION), and withdrawing it (DEL_ONION).
 *
 * The control port is the one the client side finds: `[tor] control.port`,
 * or the control port of the tor launched for `[tor] launch = true`
 * (tor-discovery.c); a SOCKS port alone cannot publish. Authentication is
 * the client side's (tor_control_authenticate()). The key is the
 * endpoint's (tor-files.c): a directory in tor's hidden-service layout,
 * as txtorcon's `hiddenServiceDir=`, or Tahoe's onion.private_key_file;
 * a missing one is made by tor (`NEW:ED25519-V3`) and saved, so the
 * address is the same at every publish.
 *
 * The service is not detached: it lives as long as the control connection
 * that added it, which the publication keeps open. So it goes away when
 * the node stops, even when the node dies without unpublishing.
 *
 * Unpublishing must not block the caller's main loop, and a DEL_ONION
 * waits for tor's answer (up to TOR_CONTROL_IO_TIMEOUT_S when tor hangs):
 * it runs on a thread of its own, which then closes the control
 * connection (removing the service in any case). The host closes the
 * local listener right after unpublish, so nothing reaches the node
 * meanwhile. A publish waits for the withdrawals still running (bounded),
 * since the same key published again before tor removed it is refused as
 * a collision; fini gives them TOR_WITHDRAW_GRACE_MS, then cuts them short
 * (tor_publish_wait_all()).
 *
 * The control client blocks, so each publish runs on a thread of its own;
 * its statuses and result reach the caller's main context through
 * plugins/common/caller-queue.h, as a connect's do. fini cancels and
 * waits for publishes still running (tor_publish_wait_all()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "tor-private.h"

/* Foolscap has no words for the server side; these follow its style. */
#define STATUS_CONTROL "connecting to a Tor control port"
#define STATUS_PUBLISHING "publishing onion service"
#define STATUS_PUBLISHED "published"

/* How often a publish that waits for a launched tor looks again. */
#define TOR_PUBLISH_POLL_MS 100
/* How long fini lets withdrawals finish their DEL_ONION (a running tor
 * answers in milliseconds) before it closes their connections, which
 * removes the services too. */
#define TOR_WITHDRAW_GRACE_MS 1000

typedef struct {
  TorControl *ctl;            /* (owned) the connection the service lives on */
  gchar *service_id;          /* (owned) 56 characters, without ".onion" */
  guint16 port;               /* the virtual port */
} Publication;

typedef struct {
  TorState *state;            /* (unowned) fini waits for the thread */
  /* What the thread needs, copied on the caller's thread: */
  gchar *endpoint;            /* (owned) as written, for messages */
  guint16 port;
  gchar *key_path;            /* (owned) (nullable) */
  gboolean key_is_dir;
  gboolean create_key;
  gchar *target;              /* (owned) "127.0.0.1:LOCAL" */
  gboolean launch;            /* the control port is the launched tor's */
  FhEndpoint control;         /* (owned) unless launch */
  guint auth;                 /* FhTorAuthMethods allowed */
  gchar *password;            /* (owned) (nullable) */
  FhCallerQueue *caller;      /* (owned) statuses and the result */
  FurlHintLogFunc state_log;  /* the host's logger, called on the caller's context */
  gpointer state_log_data;
  GCancellable *cancellable;  /* (owned) the thread's; the caller's forwards to it */
  GCancellable *caller_cancellable;  /* (owned) (nullable) */
  gulong cancel_handler;
  /* The thread's result, read on the caller's context after it posted: */
  Publication *publication;   /* (owned) (nullable) */
  GError *error;              /* (owned) (nullable) */
  GArray *notes;              /* (owned) (element-type Note) for the log */
} PublishData;

static void
publication_free (Publication *pub)
{
  if (pub == NULL)
    return;
  tor_control_free (pub->ctl);
  g_free (pub->service_id);
  g_free (pub);
}

static void
publish_data_free (gpointer p)
{
  PublishData *data = p;

  if (data->cancel_handler != 0)
    g_cancellable_disconnect (data->caller_cancellable, data->cancel_handler);
  g_clear_object (&data->caller_cancellable);
  g_clear_object (&data->cancellable);
  g_free (data->endpoint);
  g_free (data->key_path);
  g_free (data->target);
  fh_endpoint_clear (&data->control);
  fh_secret_free (data->password);
  fh_caller_queue_free (data->caller);
  publication_free (data->publication);
  g_clear_error (&data->error);
  g_array_unref (data->notes);
  g_free (data);
}

/* A log message from the thread, logged on the caller's context
 * (publish_resume()): the host's logger is called only from there, as the
 * connects' are. */
typedef struct {
  GLogLevelFlags level;
  gchar *message;             /* (owned) */
} Note;

static void
note_clear (gpointer p)
{
  g_free (((Note *) p)->message);
}

static void
add_note (PublishData *data,
          GLogLevelFlags level,
          const gchar *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
add_note (PublishData *data,
          GLogLevelFlags level,
          const gchar *format,
          ...)
{
  va_list ap;
  Note note = { level, NULL };

  va_start (ap, format);
  note.message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_array_append_val (data->notes, note);
}

/* The launched tor's control port, as soon as it is known: tor takes an
 * onion service before it has bootstrapped and uploads the descriptor
 * when it can. Waits for the discovery that launches it (starting one if
 * none ran, or if the last one failed before this publish began), as
 * connects do. */
static gboolean
wait_launched_control (PublishData *data,
                       FhEndpoint *control,
                       GError **error)
{
  TorState *state = data->state;
  gboolean started = FALSE;

  for (;;)
    {
      Discovery *d;
      gboolean done = FALSE;

      g_mutex_lock (&state->lock);
      d = state->discovery;
      if (d != NULL && d->finished && d->error != NULL && started)
        {
          *error = g_error_copy (d->error);
          done = TRUE;
        }
      else if (d != NULL && d->have_control && !(d->finished && d->error != NULL))
        {
          tor_endpoint_copy (control, &d->control);
          done = TRUE;
        }
      else if (d == NULL || d->finished)
        {
          if (tor_discovery_start (state, error) == NULL)
            done = TRUE;
          started = TRUE;
        }
      g_mutex_unlock (&state->lock);
      if (done)
        return *error == NULL;

      if (g_cancellable_set_error_if_cancelled (data->cancellable, error))
        return FALSE;
      {
        GPollFD pfd;

        if (g_cancellable_make_pollfd (data->cancellable, &pfd))
          {
            g_poll (&pfd, 1, TOR_PUBLISH_POLL_MS);
            g_cancellable_release_fd (data->cancellable);
          }
      }
    }
}

/* DEL_ONION, best effort: the service goes with the connection anyway.
 * NULL, or what went wrong (for the log; g_free() it). */
static gchar *
del_onion (TorControl *ctl,
           const gchar *service_id,
           GCancellable *cancellable)
{
  gchar *line = fh_torctl_build_del_onion (service_id);
  gchar *problem = NULL;
  GError *error = NULL;

  if (!tor_control_simple (ctl, line, "DEL_ONION", cancellable, &error))
    {
      problem = g_strdup_printf ("tor: DEL_ONION %s.onion: %s (closing the control "
                                 "connection removes it)", service_id, error->message);
      g_error_free (error);
    }
  g_free (line);
  return problem;
}

/* del_onion() on the publish thread. */
static void
withdraw (PublishData *data,
          TorControl *ctl,
          const gchar *service_id)
{
  gchar *problem = del_onion (ctl, service_id, data->cancellable);

  if (problem != NULL)
    add_note (data, G_LOG_LEVEL_WARNING, "%s", problem);
  g_free (problem);
}

/* A withdrawal on its thread: the publication and a cancellable that fini
 * cancels (also in state->withdrawals). */
typedef struct {
  TorState *state;            /* (unowned) fini waits for the thread */
  Publication *pub;           /* (owned) */
  GCancellable *cancellable;  /* (owned) */
} Withdrawal;

static gpointer
withdraw_thread (gpointer user_data)
{
  Withdrawal *w = user_data;
  TorState *state = w->state;
  gchar *problem = del_onion (w->pub->ctl, w->pub->service_id, w->cancellable);

  publication_free (w->pub);
  g_mutex_lock (&state->lock);
  if (problem != NULL)
    g_ptr_array_add (state->withdraw_problems, problem);
  g_ptr_array_remove (state->withdrawals, w->cancellable);
  g_cond_broadcast (&state->publish_done);
  g_mutex_unlock (&state->lock);
  g_object_unref (w->cancellable);
  g_free (w);
  return NULL;
}

/* What the withdrawals could not do, logged on the caller's thread (the
 * host's logger is called only from there). */
static void
log_withdraw_problems (TorState *state)
{
  GPtrArray *problems;

  g_mutex_lock (&state->lock);
  problems = state->withdraw_problems;
  state->withdraw_problems = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&state->lock);
  for (guint i = 0; i < problems->len; i++)
    if (state->log != NULL)
      state->log (G_LOG_LEVEL_WARNING, g_ptr_array_index (problems, i), state->log_data);
  g_ptr_array_unref (problems);
}

/* Withdraws @pub on a thread of its own and returns at once. */
static void
withdraw_later (TorState *state,
                Publication *pub)
{
  Withdrawal *w = g_new0 (Withdrawal, 1);
  GError *error = NULL;
  GThread *thread;

  w->state = state;
  w->pub = pub;
  w->cancellable = g_cancellable_new ();
  g_mutex_lock (&state->lock);
  g_ptr_array_add (state->withdrawals, g_object_ref (w->cancellable));
  thread = g_thread_try_new ("furlhint-tor-withdraw", withdraw_thread, w, &error);
  if (thread == NULL)
    g_ptr_array_remove (state->withdrawals, w->cancellable);
  g_mutex_unlock (&state->lock);
  if (thread != NULL)
    {
      g_thread_unref (thread);
      return;
    }
  /* No thread: closing the control connection removes the service. */
  if (state->log != NULL)
    {
      gchar *problem = g_strdup_printf ("tor: withdrawing %s.onion: cannot start a thread "
                                        "(%s); closing the control connection removes it",
                                        pub->service_id, error->message);

      state->log (G_LOG_LEVEL_WARNING, problem, state->log_data);
      g_free (problem);
    }
  g_error_free (error);
  publication_free (pub);
  g_object_unref (w->cancellable);
  g_free (w);
}

/* Waits (bounded) until no withdrawal runs: the key published now may be
 * one of theirs, which tor would refuse until it is removed. FALSE when
 * cancelled. */
static gboolean
wait_withdrawals (PublishData *data,
                  GError **error)
{
  TorState *state = data->state;
  gint64 deadline = g_get_monotonic_time () +
                    (TOR_CONTROL_IO_TIMEOUT_S + 1) * G_TIME_SPAN_SECOND;

  g_mutex_lock (&state->lock);
  while (state->withdrawals->len > 0 && !g_cancellable_is_cancelled (data->cancellable) &&
         g_get_monotonic_time () < deadline)
    g_cond_wait_until (&state->publish_done, &state->lock,
                       MIN (deadline, g_get_monotonic_time () +
                                      TOR_PUBLISH_POLL_MS * G_TIME_SPAN_MILLISECOND));
  g_mutex_unlock (&state->lock);
  return !g_cancellable_set_error_if_cancelled (data->cancellable, error);
}

static gboolean
publish (PublishData *data,
         GError **error)
{
  TorOnionKey key = { 0, };
  FhEndpoint launched = { 0, };
  TorControl *ctl = NULL;
  gchar *line = NULL, *how = NULL, *service_id = NULL;
  gboolean have_new_key = FALSE, ok = FALSE;
  guint8 new_key[FH_TORCTL_ONION_KEY_LEN];

  fh_caller_queue_status (data->caller, STATUS_CONTROL);

  /* The key first: a refused key file costs no connection. */
  if (data->key_path != NULL &&
      !tor_onion_key_load (data->key_path, data->key_is_dir, data->create_key, &key, error))
    goto out;

  if (data->launch && !wait_launched_control (data, &launched, error))
    goto out;
  if (!wait_withdrawals (data, error))
    goto out;
  ctl = tor_control_open (data->launch ? &launched : &data->control, data->cancellable, error);
  if (ctl == NULL ||
      /* Ours, started with CookieAuthentication 1: SAFECOOKIE only, as in
       * launch_tor(). */
      !tor_control_authenticate (ctl, data->launch ? FH_TOR_AUTH_SAFECOOKIE : data->auth,
                                 data->launch ? NULL : data->password, data->cancellable,
                                 &how, error))
    goto out;

  fh_caller_queue_status (data->caller, STATUS_PUBLISHING);
  line = fh_torctl_build_add_onion (key.have_key ? key.key : NULL, data->key_path == NULL,
                                    data->port, data->target);
  if (!tor_control_add_onion (ctl, line, &service_id, new_key, &have_new_key,
                              data->cancellable, error))
    goto out;

  if (data->key_path != NULL && !key.have_key)
    {
      if (!have_new_key)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                                 "%s: the reply to ADD_ONION NEW:ED25519-V3 has no "
                                 "PrivateKey line: the key cannot be saved", ctl->label);
          withdraw (data, ctl, service_id);
          goto out;
        }
      memcpy (key.key, new_key, sizeof key.key);
      key.have_key = TRUE;
      key.service_id = g_strdup (service_id);
      if (!tor_onion_key_save (data->key_path, data->key_is_dir, &key, TRUE, error))
        {
          withdraw (data, ctl, service_id);
          goto out;
        }
      add_note (data, G_LOG_LEVEL_INFO, "tor: %s: new onion service key saved in %s",
                   data->endpoint, data->key_path);
    }
  else if (data->key_path != NULL && data->key_is_dir)
    {
      if (key.service_id != NULL && strcmp (key.service_id, service_id) != 0)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                                 "the hostname file in %s names %s.onion, but its key is "
                                 "that of %s.onion; accepted: a hostname file that matches "
                                 "the key, or none (it is written again)", data->key_path,
                                 key.service_id, service_id);
          withdraw (data, ctl, service_id);
          goto out;
        }
      if (key.service_id == NULL)
        {
          key.service_id = g_strdup (service_id);
          if (!tor_onion_key_save (data->key_path, TRUE, &key, FALSE, error))
            {
              withdraw (data, ctl, service_id);
              goto out;
            }
        }
    }

  add_note (data, G_LOG_LEVEL_DEBUG, "tor: %s published as %s.onion:%u → %s through "
               "%s (%s)", data->endpoint, service_id, (guint) data->port, data->target,
               ctl->label, how);
  data->publication = g_new0 (Publication, 1);
  data->publication->ctl = g_steal_pointer (&ctl);
  data->publication->service_id = g_steal_pointer (&service_id);
  data->publication->port = data->port;
  fh_caller_queue_status (data->caller, STATUS_PUBLISHED);
  ok = TRUE;

out:
  if (!ok && error != NULL && *error != NULL &&
      !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (error, "publishing %s: ", data->endpoint);
  memset (new_key, 0, sizeof new_key);
  tor_onion_key_clear (&key);
  fh_endpoint_clear (&launched);
  if (line != NULL)
    memset (line, 0, strlen (line));
  g_free (line);
  g_free (how);
  g_free (service_id);
  tor_control_free (ctl);
  return ok;
}

/* On the caller's context: the thread is done. */
static gboolean
publish_resume (gpointer user_data)
{
  GTask *task = user_data;
  PublishData *data = g_task_get_task_data (task);

  fh_caller_queue_close (data->caller);
  for (guint i = 0; i < data->notes->len; i++)
    {
      Note *note = &g_array_index (data->notes, Note, i);

      if (data->state_log != NULL)
        data->state_log (note->level, note->message, data->state_log_data);
    }
  /* Cancelled while tor published it: withdrawn, never handed out. */
  if (data->publication != NULL &&
      g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      withdraw_later (data->state, g_steal_pointer (&data->publication));
    }
  if (data->publication != NULL)
    g_task_return_pointer (task, g_steal_pointer (&data->publication),
                           (GDestroyNotify) publication_free);
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_error (task, g_steal_pointer (&data->error));
  return G_SOURCE_REMOVE;
}

static gpointer
publish_thread (gpointer user_data)
{
  GTask *task = user_data;
  PublishData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  GError *error = NULL;

  if (!publish (data, &error) && error == NULL)
    tor_set_connect_error (&error, FURLHINT_CONNECT_ERROR_FAILED, "publishing %s failed",
                           data->endpoint);
  data->error = error;

  g_mutex_lock (&state->lock);
  g_ptr_array_remove (state->publishing, data->cancellable);
  g_cond_broadcast (&state->publish_done);
  g_mutex_unlock (&state->lock);

  fh_caller_queue_post (data->caller, publish_resume, task, g_object_unref);
  return NULL;
}

static void
forward_cancel (GCancellable *caller,
                gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

/* fini: publishes cancelled and waited for; withdrawals given
 * TOR_WITHDRAW_GRACE_MS to finish, then cut short (their connections
 * closed, which removes the services) and waited for. */
void
tor_publish_wait_all (TorState *state)
{
  g_mutex_lock (&state->lock);
  for (guint i = 0; i < state->publishing->len; i++)
    g_cancellable_cancel (g_ptr_array_index (state->publishing, i));
  while (state->publishing->len > 0)
    g_cond_wait (&state->publish_done, &state->lock);
  {
    gint64 grace_end = g_get_monotonic_time () + TOR_WITHDRAW_GRACE_MS * G_TIME_SPAN_MILLISECOND;

    while (state->withdrawals->len > 0 &&
           g_cond_wait_until (&state->publish_done, &state->lock, grace_end))
      ;
  }
  for (guint i = 0; i < state->withdrawals->len; i++)
    g_cancellable_cancel (g_ptr_array_index (state->withdrawals, i));
  while (state->withdrawals->len > 0)
    g_cond_wait (&state->publish_done, &state->lock);
  g_mutex_unlock (&state->lock);
  log_withdraw_problems (state);
}

/* The endpoint's options as txtorcon knows them: refused when they would
 * make the service other than a v3 onion service reached anonymously. */
static gboolean
check_options (const FurlHintPublishArgs *args,
               GError **error)
{
  GHashTableIter iter;
  gpointer k, v;

  g_hash_table_iter_init (&iter, args->options);
  while (g_hash_table_iter_next (&iter, &k, &v))
    {
      const gchar *name = k, *value = v != NULL ? v : "";

      if (g_ascii_strcasecmp (name, "version") == 0)
        {
          if (strcmp (value, "3") != 0)
            {
              tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                                     "%s: version=%s: Tor publishes only version 3 onion "
                                     "services; accepted: version=3, or no version",
                                     args->endpoint, value);
              return FALSE;
            }
        }
      else if (g_ascii_strcasecmp (name, "singleHop") == 0 ||
               g_ascii_strcasecmp (name, "single_hop") == 0 ||
               g_ascii_strcasecmp (name, "nonAnonymous") == 0 ||
               g_ascii_strcasecmp (name, "non_anonymous") == 0)
        {
          if (g_ascii_strcasecmp (value, "false") != 0 && strcmp (value, "0") != 0)
            {
              tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                                     "%s: %s=%s would publish a single-hop (non-anonymous) "
                                     "onion service, which reveals the server's address to "
                                     "its introduction points; accepted: %s=false, or the "
                                     "option left out", args->endpoint, name, value, name);
              return FALSE;
            }
        }
      else if (g_ascii_strcasecmp (name, "controlPort") == 0)
        {
          /* txtorcon's own control port; furlhint has one per node. */
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                                 "%s: controlPort=%s: onion services are published "
                                 "through the control port of the [tor] section; accepted: "
                                 "[tor] control.port, or [tor] launch = true, and no "
                                 "controlPort=", args->endpoint, value);
          return FALSE;
        }
      else if (g_ascii_strcasecmp (name, "localPort") != 0 &&
               g_ascii_strcasecmp (name, "hiddenServiceDir") != 0 &&
               g_ascii_strcasecmp (name, "privateKeyFile") != 0)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                                 "%s: unknown onion endpoint option “%s”; accepted: "
                                 "version=3, localPort, hiddenServiceDir, privateKeyFile, "
                                 "singleHop=false", args->endpoint, name);
          return FALSE;
        }
    }
  return TRUE;
}

/* "127.0.0.1:PORT" (or "[::1]:PORT") for ADD_ONION's Port= target: only a
 * listener on this machine, by address. */
static gchar *
local_target (const FurlHintPublishArgs *args,
              GError **error)
{
  GInetAddress *address;
  gchar *text, *target;
  guint16 port;

  if (args->local_address == NULL || !G_IS_INET_SOCKET_ADDRESS (args->local_address))
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                             "%s: the local listener is not an IP address; accepted: a "
                             "listener on 127.0.0.1 or ::1", args->endpoint);
      return NULL;
    }
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (args->local_address));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (args->local_address));
  text = g_inet_address_to_string (address);
  if (!g_inet_address_get_is_loopback (address) || port == 0)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                             "%s: refusing to forward the onion service to %s port %u; "
                             "accepted: a listener on loopback (127.0.0.1 or ::1) with a port",
                             args->endpoint, text, (guint) port);
      g_free (text);
      return NULL;
    }
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    target = g_strdup_printf ("[%s]:%u", text, (guint) port);
  else
    target = g_strdup_printf ("%s:%u", text, (guint) port);
  g_free (text);
  return target;
}

void
tor_publish_async (gpointer state_data,
                   const FurlHintPublishArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TorState *state = state_data;
  PublishData *data;
  GError *error = NULL;
  GThread *thread;
  GTask *task;

  g_return_if_fail (args != NULL && args->endpoint != NULL && args->options != NULL &&
                    args->status != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_name (task, "[furlhint] tor publish");
  g_task_set_source_tag (task, tor_publish_async);

  if (state == NULL || state->disabled)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                               FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "publishing %s: Tor is turned off ([tor] enabled = false)",
                               args->endpoint);
      g_object_unref (task);
      return;
    }
  if (state->mode != TOR_MODE_LAUNCH && !state->have_control)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                               FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "publishing %s needs Tor's control port, and %s; accepted: "
                               "[tor] control.port (a running tor's), or [tor] launch = true",
                               args->endpoint,
                               state->mode == TOR_MODE_SOCKS
                                 ? "only a SOCKS port is configured (which cannot publish)"
                                 : "none is configured");
      g_object_unref (task);
      return;
    }
  if (args->port == 0)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "publishing %s: no port for clients to reach; accepted: "
                               "onion:PORT with PORT 1–65535", args->endpoint);
      g_object_unref (task);
      return;
    }

  data = g_new0 (PublishData, 1);
  data->state = state;
  data->endpoint = g_strdup (args->endpoint);
  data->port = args->port;
  data->key_path = g_strdup (args->key_path);
  data->key_is_dir = args->key_is_dir;
  data->create_key = args->create_key;
  data->launch = state->mode == TOR_MODE_LAUNCH;
  if (!data->launch)
    tor_endpoint_copy (&data->control, &state->control);
  data->auth = state->control_auth;
  data->password = g_strdup (state->control_password);
  data->cancellable = g_cancellable_new ();
  data->notes = g_array_new (FALSE, FALSE, sizeof (Note));
  g_array_set_clear_func (data->notes, note_clear);
  data->state_log = state->log;
  data->state_log_data = state->log_data;
  data->caller = fh_caller_queue_new (args->status, args->status_data,
                                      "[furlhint] tor publish");
  g_task_set_task_data (task, data, publish_data_free);

  if (!check_options (args, &error) ||
      (data->target = local_target (args, &error)) == NULL)
    {
      fh_caller_queue_close (data->caller);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (data->key_path != NULL && !g_path_is_absolute (data->key_path))
    {
      fh_caller_queue_close (data->caller);
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "publishing %s: the key path %s is relative; accepted: an "
                               "absolute path", args->endpoint, data->key_path);
      g_object_unref (task);
      return;
    }
  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel),
                                                    g_object_ref (data->cancellable),
                                                    g_object_unref);
    }

  g_mutex_lock (&state->lock);
  g_ptr_array_add (state->publishing, g_object_ref (data->cancellable));
  /* The thread's reference to the task goes back with its result. */
  thread = g_thread_try_new ("furlhint-tor-publish", publish_thread, g_object_ref (task),
                             &error);
  if (thread == NULL)
    g_ptr_array_remove (state->publishing, data->cancellable);
  g_mutex_unlock (&state->lock);
  if (thread == NULL)
    {
      g_object_unref (task);
      fh_caller_queue_close (data->caller);
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "publishing %s: cannot start a thread: %s", args->endpoint,
                               error->message);
      g_error_free (error);
    }
  else
    g_thread_unref (thread);
  g_object_unref (task);
}

gchar *
tor_publish_finish (gpointer state_data,
                    GAsyncResult *result,
                    gpointer *publication,
                    GError **error)
{
  Publication *pub;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, tor_publish_async), NULL);
  g_return_val_if_fail (publication != NULL, NULL);

  pub = g_task_propagate_pointer (G_TASK (result), error);
  if (pub == NULL)
    return NULL;
  *publication = pub;
  return g_strdup_printf ("tor:%s.onion:%u", pub->service_id, (guint) pub->port);
}

void
tor_unpublish (gpointer state_data,
               gpointer publication)
{
  TorState *state = state_data;
  Publication *pub = publication;

  log_withdraw_problems (state);
  if (pub == NULL)
    return;
  withdraw_later (state, pub);
}
