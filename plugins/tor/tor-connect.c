/* The tor plugin's connect: which SOCKS port to use (the configured one;
 * the default ports, probed by the SOCKS connect itself; or the one a
 * discovery found, waiting for it: tor-discovery.c), the checks on the
 * target as it reaches us, stream isolation, and the SOCKS handshake
 * (plugins/common/socks-client.c). Runs on the caller's thread and main
 * context; also the small helpers the other connect files share.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* inet_aton() is BSD, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "tor-private.h"
#include "../common/socks-client.h"

static void
connect_data_free (gpointer p)
{
  ConnectData *data = p;

  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_free (data->host);
  g_free (data->username);
  fh_secret_free (data->password);
  fh_endpoint_clear (&data->endpoint);
  g_free (data->label);
  fh_caller_queue_free (data->caller);
  g_free (data);
}

void
tor_endpoint_copy (FhEndpoint *dest,
                   const FhEndpoint *src)
{
  dest->kind = src->kind;
  dest->host = g_strdup (src->host);
  dest->port = src->port;
  dest->path = g_strdup (src->path);
}

static gboolean
endpoint_equal (const FhEndpoint *a,
                const FhEndpoint *b)
{
  return a->kind == b->kind && a->port == b->port &&
         g_strcmp0 (a->host, b->host) == 0 && g_strcmp0 (a->path, b->path) == 0;
}

gchar *
tor_endpoint_label (const gchar *what,
                    const FhEndpoint *endpoint)
{
  gchar *where = fh_plugin_endpoint_display (endpoint);
  gchar *label = g_strdup_printf ("%s %s", what, where);

  g_free (where);
  return label;
}

/* Foolscap adds the phase to an error raised while in it. */
static GError *
error_in_phase (const GError *error,
                const gchar *phase)
{
  return g_error_new (error->domain, error->code, "%s (while %s)", error->message, phase);
}

void
tor_set_connect_error (GError **error,
                       FurlHintConnectError code,
                       const gchar *format,
                       ...)
{
  va_list ap;
  gchar *message;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, FURLHINT_CONNECT_ERROR, code, message);
  g_free (message);
}


static void start_socks (GTask *task);

static void
connect_fail (GTask *task,
              GError *error)
{
  ConnectData *data = g_task_get_task_data (task);

  fh_caller_queue_close (data->caller);
  g_task_return_error (task, error);
}

static void
tor_log (TorState *state,
         GLogLevelFlags level,
         const gchar *format,
         ...) G_GNUC_PRINTF (3, 4);

static void
tor_log (TorState *state,
         GLogLevelFlags level,
         const gchar *format,
         ...)
{
  va_list ap;
  gchar *message;

  if (state->log == NULL)
    return;
  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  state->log (level, message, state->log_data);
  g_free (message);
}

static void
set_endpoint (ConnectData *data,
              const FhEndpoint *endpoint)
{
  fh_endpoint_clear (&data->endpoint);
  g_free (data->label);
  tor_endpoint_copy (&data->endpoint, endpoint);
  data->label = tor_endpoint_label ("Tor SOCKS port", endpoint);
}

static void
socks_done (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  GError *error = NULL;
  GIOStream *stream;

  stream = fh_socks_client_connect_finish (result, &error);
  if (stream != NULL)
    {
      if (data->probing)
        {
          g_mutex_lock (&state->lock);
          fh_endpoint_clear (&state->found);
          tor_endpoint_copy (&state->found, &data->endpoint);
          state->have_found = TRUE;
          g_mutex_unlock (&state->lock);
        }
      fh_caller_queue_close (data->caller);
      g_task_return_pointer (task, stream, g_object_unref);
      g_object_unref (task);
      return;
    }

  if (g_error_matches (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN))
    {
      if (data->probing && data->probe == 0)
        {
          FhEndpoint next = { FH_ENDPOINT_TCP, (gchar *) TOR_DEFAULT_SOCKS_HOST,
                              state->default_ports[1], NULL };

          g_clear_error (&error);
          data->probe = 1;
          set_endpoint (data, &next);
          start_socks (task);
          return;
        }
      if (data->probing)
        {
          g_clear_error (&error);
          error = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                               "Tor is not running: %s:%u and %s:%u refused (while %s)",
                               TOR_DEFAULT_SOCKS_HOST, (guint) state->default_ports[0],
                               TOR_DEFAULT_SOCKS_HOST, (guint) state->default_ports[1],
                               STATUS_FINDING);
        }
      else if (data->from_found)
        {
          /* That tor went away or moved: find it again next time. */
          g_mutex_lock (&state->lock);
          if (state->have_found && endpoint_equal (&state->found, &data->endpoint))
            {
              fh_endpoint_clear (&state->found);
              state->have_found = FALSE;
            }
          g_mutex_unlock (&state->lock);
        }
    }
  connect_fail (task, error);
  g_object_unref (task);
}

/* Takes over a reference to @task (given back in socks_done()). */
static void
start_socks (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  FhSocksClientRequest req = { 0, };

  req.proxy = &data->endpoint;
  req.proxy_label = data->label;
  req.down_advice = "is Tor running?";
  req.username = data->username;
  req.password = data->password;
  /* Offering "no authentication" too would let a SocksPort with
   * PreferSOCKSNoAuth pick it and drop the isolation without a word. */
  req.userpass_only = data->username != NULL;
  req.host = data->host;
  req.port = data->port;
  req.status = data->status;
  req.status_data = data->status_data;
  fh_socks_client_connect_async (&req, g_task_get_cancellable (task), socks_done,
                                 task);
}

static void
drop_cancel_source (ConnectData *data)
{
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
}

/* Discovery finished (on the task's context). */
gboolean
tor_waiter_resume (gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  GError *error = NULL;
  gchar *found_how = NULL;

  if (fh_caller_queue_is_closed (data->caller))
    return G_SOURCE_REMOVE;
  drop_cancel_source (data);

  g_mutex_lock (&state->lock);
  if (state->discovery != NULL)
    found_how = g_strdup (state->discovery->found_how);
  if (state->have_found)
    {
      set_endpoint (data, &state->found);
      data->from_found = TRUE;
    }
  else if (state->discovery != NULL && state->discovery->error != NULL)
    error = error_in_phase (state->discovery->error, STATUS_FINDING);
  else
    error = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "Tor's SOCKS port was found and lost again (while %s)",
                         STATUS_FINDING);
  g_mutex_unlock (&state->lock);

  if (found_how != NULL)
    tor_log (state, G_LOG_LEVEL_DEBUG, "%s", found_how);
  g_free (found_how);
  if (error != NULL)
    {
      connect_fail (task, error);
      return G_SOURCE_REMOVE;
    }
  /* The idle's own reference goes with the idle. */
  start_socks (g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static gboolean
waiter_cancelled (GCancellable *cancellable,
                  gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;

  if (fh_caller_queue_is_closed (data->caller))
    return G_SOURCE_REMOVE;
  g_mutex_lock (&state->lock);
  if (state->discovery != NULL)
    g_ptr_array_remove (state->discovery->waiters, task);
  g_mutex_unlock (&state->lock);
  fh_caller_queue_close (data->caller);
  g_task_return_error_if_cancelled (task);
  drop_cancel_source (data);   /* drops the ref this callback runs on: last */
  return G_SOURCE_REMOVE;
}


/* The target again, as it reaches us: whatever parse said, never ask Tor
 * for something no exit should be asked for, and never anything that
 * would need a lookup here. */
static gboolean
check_target (const FurlHintTarget *target,
              GError **error)
{
  const gchar *host = target->host;
  struct in_addr a;

  if (host == NULL || *host == '\0' || target->port == 0)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                             "Tor target without a host or port");
      return FALSE;
    }
  for (const gchar *c = host; *c != '\0'; c++)
    if ((guchar) *c <= 0x20 || *c == 0x7f)
      {
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                               "refusing to ask Tor for a host with a space or control "
                               "character; accepted: a DNS name, public IPv4 address or .onion");
        return FALSE;
      }
  if (strlen (host) > 255)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "refusing to ask Tor for a host name of %" G_GSIZE_FORMAT
                             " bytes: SOCKS5 carries at most 255", strlen (host));
      return FALSE;
    }
  /* Tor reads "x.onion." as an ordinary name and asks an exit to look it
   * up in public DNS; the host puts every target in canonical form, so a
   * name that is not has been tampered with. */
  if (!fh_hostname_is_canonical (host))
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "refusing to ask Tor for '%s': not a canonical host name (a "
                             "final dot, an empty label, or a .onion/.i2p name not in lower "
                             "case); Tor would take a final dot for an ordinary DNS name", host);
      return FALSE;
    }
  if (fh_hostname_in_domain (host, "i2p"))
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "refusing to ask Tor for I2P destination %s: Tor cannot reach "
                             "I2P; accepted: the i2p plugin", host);
      return FALSE;
    }
  if (fh_foolscap_is_non_public_numeric (host))
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "refusing to ask Tor for %s: a non-Tor-able address (IPv6, "
                             "loopback, private, multicast, reserved or unspecified); "
                             "accepted: a public IPv4 address, a DNS name or a .onion", host);
      return FALSE;
    }
  /* "127.1", "0x7f.1", "2130706433": inet_aton() reads them as addresses,
   * Python's ipaddress (so Foolscap's check above) does not. */
  if (inet_aton (host, &a) != 0 && fh_plugin_classify_host (host) != FURLHINT_HOST_IPV4)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "refusing to ask Tor for %s: a numeric address in a "
                             "non-standard form; accepted: four decimal parts (a.b.c.d)", host);
      return FALSE;
    }
  return TRUE;
}

/* The SOCKS password for connects to the peer @isolation_key names: hex
 * HMAC-SHA256 of the key under the state's secret. Tor puts streams with
 * different credentials on different circuits (IsolateSOCKSAuth; it only
 * compares them). So connects to one peer share circuits, connects to two
 * peers do not, and neither do two node identities (two contexts, in one
 * process or two) connecting to the same peer through one tor: each has a
 * secret of its own. The HMAC keeps the tub ID out of tor's memory and
 * logs, and an unkeyed hash of it would be the same for every node. A
 * connect without a key gets the password of the empty key: isolated from
 * every peer's and from other contexts'. */
static gchar *
isolation_password (const TorState *state,
                    const gchar *isolation_key)
{
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, state->isolation_secret,
                                    sizeof state->isolation_secret,
                                    isolation_key != NULL ? isolation_key : "", -1);
}

void
tor_connect_async (gpointer state_data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TorState *state = state_data;
  GTask *task;
  ConnectData *data;
  GError *error = NULL;
  const gchar *phase = NULL;

  g_return_if_fail (args != NULL && args->target != NULL && args->status != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_name (task, "[furlhint] tor connect");
  g_task_set_source_tag (task, tor_connect_async);

  if (state == NULL || state->disabled)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                               FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "Tor is not configured; accepted: [connections] "
                               "tor.socks-proxy, [tor] socks.port, control.port or "
                               "launch = true");
      g_object_unref (task);
      return;
    }

  data = g_new0 (ConnectData, 1);
  data->state = state;
  data->status = args->status;
  data->status_data = args->status_data;
  data->caller = fh_caller_queue_new (args->status, args->status_data,
                                      "[furlhint] tor connect");
  g_task_set_task_data (task, data, connect_data_free);

  if (!check_target (args->target, &error))
    {
      connect_fail (task, error);
      g_object_unref (task);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      fh_caller_queue_close (data->caller);
      g_object_unref (task);
      return;
    }
  data->host = g_strdup (args->target->host);
  data->port = args->target->port;
  if (state->isolate_streams)
    {
      data->username = g_strdup (TOR_ISOLATION_USER);
      data->password = isolation_password (state, args->isolation_key);
    }

  args->status (STATUS_FINDING, args->status_data);

  switch (state->mode)
    {
    case TOR_MODE_SOCKS:
      set_endpoint (data, &state->socks);
      break;

    case TOR_MODE_DEFAULT_PORTS:
      g_mutex_lock (&state->lock);
      if (state->have_found)
        {
          set_endpoint (data, &state->found);
          data->from_found = TRUE;
        }
      g_mutex_unlock (&state->lock);
      if (!data->from_found)
        {
          FhEndpoint first = { FH_ENDPOINT_TCP, (gchar *) TOR_DEFAULT_SOCKS_HOST,
                               state->default_ports[0], NULL };

          data->probing = TRUE;
          set_endpoint (data, &first);
        }
      break;

    case TOR_MODE_CONTROL:
    case TOR_MODE_LAUNCH:
    default:
      g_mutex_lock (&state->lock);
      if (state->have_found)
        {
          set_endpoint (data, &state->found);
          data->from_found = TRUE;
          g_mutex_unlock (&state->lock);
          break;
        }
      if (!tor_wait_for_discovery (task, &phase, &error))
        {
          g_mutex_unlock (&state->lock);
          g_prefix_error (&error, "cannot start a thread to find Tor: ");
          connect_fail (task, error_in_phase (error, STATUS_FINDING));
          g_error_free (error);
          g_object_unref (task);
          return;
        }
      g_mutex_unlock (&state->lock);
      if (phase != NULL && strcmp (phase, STATUS_FINDING) != 0)
        args->status (phase, args->status_data);
      if (cancellable != NULL)
        {
          data->cancel_source = g_cancellable_source_new (cancellable);
          g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (waiter_cancelled),
                                 g_object_ref (task), g_object_unref);
          g_source_attach (data->cancel_source, g_task_get_context (task));
        }
      g_object_unref (task);
      return;
    }

  start_socks (task);   /* takes over our reference */
}

GIOStream *
tor_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  return fh_plugin_connect_finish (result, tor_connect_async, error);
}

