/* Asynchronous SOCKS5 client: the I/O around socks5.c. See
 * socks-client.h (including why GIO's GSocks5Proxy is not used).
 *
 * One GTask per handshake; its task data (SocksClient) owns the proxy
 * connection until it is handed to the caller, so every failure and
 * cancellation path closes the socket by dropping the task.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#ifdef G_OS_UNIX
#include <gio/gunixsocketaddress.h>
#endif

#include "socks-client.h"
#include "socks5.h"

/* The handshake, in order; the names are for error messages. */
typedef enum {
  SOCKS_STATE_CONNECTING,
  SOCKS_STATE_GREETING,
  SOCKS_STATE_USERPASS,
  SOCKS_STATE_CONNECT,
  SOCKS_STATE_DONE,
} SocksState;

static const gchar *const socks_state_names[] = {
  [SOCKS_STATE_CONNECTING] = "connecting",
  [SOCKS_STATE_GREETING] = "method negotiation",
  [SOCKS_STATE_USERPASS] = "username/password authentication",
  [SOCKS_STATE_CONNECT] = "CONNECT request",
  [SOCKS_STATE_DONE] = "done",
};

/* RFC 1929 request: VER ULEN UNAME PLEN PASSWD. */
#define SOCKS_USERPASS_MAX (3 + 255 + 255)
/* Longest reply: VER REP RSV ATYP LEN NAME[255] PORT[2]. */
#define SOCKS_REPLY_MAX (5 + 255 + 2)

typedef struct {
  SocksState state;
  FhEndpoint proxy;            /* (owned) copy */
  gchar *label;                /* (owned) "SOCKS proxy 127.0.0.1:1080" */
  gchar *advice;               /* (owned) */
  gchar *username;             /* (owned) (nullable) */
  gchar *password;             /* (owned) (nullable) wiped on free */
  FhSocks5Offer offer;         /* the methods the greeting offers */
  gchar *host;                 /* (owned) */
  guint16 port;
  FurlHintStatusFunc status;
  gpointer status_data;

  GSocketClient *client;       /* (owned) */
  GSocketConnection *conn;     /* (owned) (nullable) until connected */
  guint8 out[MAX (SOCKS_USERPASS_MAX, FH_SOCKS5_MAX_REQUEST)];
  gsize out_len;
  guint8 in[SOCKS_REPLY_MAX];
  gsize in_len;                /* bytes in @in */
  gsize in_need;               /* bytes the message needs, as known so far */
} SocksClient;

static void
wipe (gchar *secret)
{
  if (secret == NULL)
    return;
  for (volatile gchar *p = secret; *p != '\0'; p++)
    *p = '\0';
  g_free (secret);
}

static void
socks_client_free (gpointer data)
{
  SocksClient *sc = data;

  fh_endpoint_clear (&sc->proxy);
  g_free (sc->label);
  g_free (sc->advice);
  g_free (sc->username);
  wipe (sc->password);
  g_free (sc->host);
  g_clear_object (&sc->client);
  g_clear_object (&sc->conn);
  /* The out buffer may hold the password. */
  memset (sc->out, 0, sizeof sc->out);
  g_free (sc);
}

static void
report (SocksClient *sc, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
report (SocksClient *sc, const gchar *format, ...)
{
  va_list ap;
  gchar *text;

  if (sc->status == NULL)
    return;
  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  sc->status (text, sc->status_data);
  g_free (text);
}

static gchar *
target_display (SocksClient *sc)
{
  if (strchr (sc->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", sc->host, sc->port);
  return g_strdup_printf ("%s:%u", sc->host, sc->port);
}

/* Ends the task with @error (taken). Cancellation wins over whatever the
 * failing operation said, so the caller sees G_IO_ERROR_CANCELLED. */
static void
fail (GTask *task, GError *error)
{
  GError *cancelled = NULL;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &cancelled))
    {
      g_error_free (error);
      error = cancelled;
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* An I/O error in the middle of the handshake. */
static void
fail_io (GTask *task, GError *error)
{
  SocksClient *sc = g_task_get_task_data (task);
  GError *wrapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (task, error);
      return;
    }
  /* A reset is the proxy hanging up, like a close (which of the two the
   * client sees can depend on timing alone): the same code for both. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    wrapped = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                           "%s closed the connection during the SOCKS %s "
                           "(after %" G_GSIZE_FORMAT " bytes of its reply: %s)",
                           sc->label, socks_state_names[sc->state], sc->in_len,
                           error->message);
  else
    wrapped = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                           "%s: %s during the SOCKS %s",
                           sc->label, error->message, socks_state_names[sc->state]);
  g_error_free (error);
  fail (task, wrapped);
}

static void send_message (GTask *task);
static void read_reply (GTask *task);

/* --- replies ---------------------------------------------------------------- */

/* Parses what has arrived for the current state. */
static FhSocks5Result
parse_reply (SocksClient *sc, GError **error)
{
  guint8 method = 0;
  FhSocks5Result r;

  switch (sc->state)
    {
    case SOCKS_STATE_GREETING:
      r = fh_socks5_parse_method (sc->in, sc->in_len, sc->offer,
                                  &method, &sc->in_need, error);
      if (r == FH_SOCKS5_OK && method == FH_SOCKS5_METHOD_USERPASS)
        sc->state = SOCKS_STATE_USERPASS;
      else if (r == FH_SOCKS5_OK)
        sc->state = SOCKS_STATE_CONNECT;
      return r;
    case SOCKS_STATE_USERPASS:
      r = fh_socks5_parse_userpass (sc->in, sc->in_len, &sc->in_need, error);
      if (r == FH_SOCKS5_OK)
        sc->state = SOCKS_STATE_CONNECT;
      return r;
    case SOCKS_STATE_CONNECT:
      r = fh_socks5_parse_connect (sc->in, sc->in_len, &sc->in_need, error);
      if (r == FH_SOCKS5_OK)
        sc->state = SOCKS_STATE_DONE;
      return r;
    case SOCKS_STATE_CONNECTING:
    case SOCKS_STATE_DONE:
    default:
      g_assert_not_reached ();
    }
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  SocksClient *sc = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);
  if (n < 0)
    {
      fail_io (task, error);
      return;
    }
  if (n == 0)
    {
      /* A proxy may send a short failure reply and close (before the
       * address): still report its reply code if it sent one. */
      if (sc->state == SOCKS_STATE_CONNECT && sc->in_len >= 2
          && sc->in[0] == 5 && sc->in[1] != 0)
        {
          memset (sc->in + sc->in_len, 0, 5 - MIN (sc->in_len, 5));
          sc->in_len = MAX (sc->in_len, 5);
          parse_reply (sc, &error);
          if (error != NULL)
            {
              fail (task, error);
              return;
            }
        }
      fail (task, g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                               "%s closed the connection during the SOCKS %s "
                               "(after %" G_GSIZE_FORMAT " bytes of its reply)",
                               sc->label, socks_state_names[sc->state], sc->in_len));
      return;
    }
  sc->in_len += (gsize) n;
  read_reply (task);
}

/* Reads exactly what the current reply needs, never more: bytes after the
 * CONNECT reply come from the target and belong to the caller. */
static void
read_reply (GTask *task)
{
  SocksClient *sc = g_task_get_task_data (task);
  GError *error = NULL;

  FhSocks5Result r = parse_reply (sc, &error);

  if (r == FH_SOCKS5_ERROR)
    {
      fail (task, error);
      return;
    }
  if (r == FH_SOCKS5_OK)
    {
      sc->in_len = 0;
      sc->in_need = 0;
      send_message (task);
      return;
    }
  g_assert (sc->in_need > sc->in_len);
  g_assert (sc->in_need <= sizeof sc->in);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (sc->conn)),
                             sc->in + sc->in_len, sc->in_need - sc->in_len,
                             g_task_get_priority (task), g_task_get_cancellable (task),
                             read_cb, task);
}

/* --- requests ---------------------------------------------------------------- */

static void
write_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  SocksClient *sc = g_task_get_task_data (task);
  GError *error = NULL;

  memset (sc->out, 0, sizeof sc->out);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      fail_io (task, error);
      return;
    }
  read_reply (task);
}

/* Sends the message of the current state, or hands over the connection
 * once the handshake is done. */
static void
send_message (GTask *task)
{
  SocksClient *sc = g_task_get_task_data (task);
  GError *error = NULL;

  switch (sc->state)
    {
    case SOCKS_STATE_GREETING:
      sc->out_len = fh_socks5_build_greeting (sc->out, sc->offer);
      break;
    case SOCKS_STATE_USERPASS:
      if (!fh_socks5_build_userpass (sc->out, &sc->out_len,
                                     sc->username, sc->password, &error))
        {
          fail (task, error);
          return;
        }
      break;
    case SOCKS_STATE_CONNECT:
      if (!fh_socks5_build_connect (sc->out, &sc->out_len, sc->host, sc->port, &error))
        {
          fail (task, error);
          return;
        }
      break;
    case SOCKS_STATE_DONE:
      g_task_return_pointer (task, g_steal_pointer (&sc->conn), g_object_unref);
      g_object_unref (task);
      return;
    case SOCKS_STATE_CONNECTING:
    default:
      g_assert_not_reached ();
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (sc->conn)),
                                   sc->out, sc->out_len,
                                   g_task_get_priority (task), g_task_get_cancellable (task),
                                   write_cb, task);
}

/* --- connecting to the proxy ------------------------------------------------- */

static void
proxy_connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  SocksClient *sc = g_task_get_task_data (task);
  GError *error = NULL;
  gchar *target;

  sc->conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  if (sc->conn == NULL)
    {
      GError *down;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fail (task, error);
          return;
        }
      /* Whatever kept us from the proxy, every target behind it is out of
       * reach: TRANSPORT_DOWN lets the connector fail its other routes at
       * once. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        down = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                            "%s refused the connection: %s", sc->label, sc->advice);
      else
        down = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                            "%s cannot be reached (%s): %s",
                            sc->label, error->message, sc->advice);
      g_error_free (error);
      fail (task, down);
      return;
    }

  target = target_display (sc);
  report (sc, "asking %s for %s", sc->label, target);
  g_free (target);
  sc->state = SOCKS_STATE_GREETING;
  send_message (task);
}

static GSocketConnectable *
proxy_connectable (const FhEndpoint *proxy)
{
#ifdef G_OS_UNIX
  if (proxy->kind == FH_ENDPOINT_UNIX)
    return G_SOCKET_CONNECTABLE (g_unix_socket_address_new (proxy->path));
#endif
  {
    GInetAddress *addr = g_inet_address_new_from_string (proxy->host);
    GSocketConnectable *c;

    if (addr == NULL)
      return g_network_address_new (proxy->host, proxy->port);
    c = G_SOCKET_CONNECTABLE (g_inet_socket_address_new (addr, proxy->port));
    g_object_unref (addr);
    return c;
  }
}

static gchar *
proxy_display (const FhEndpoint *proxy)
{
  if (proxy->kind == FH_ENDPOINT_UNIX)
    return g_strdup_printf ("SOCKS proxy unix:%s", proxy->path);
  if (strchr (proxy->host, ':') != NULL)
    return g_strdup_printf ("SOCKS proxy [%s]:%u", proxy->host, proxy->port);
  return g_strdup_printf ("SOCKS proxy %s:%u", proxy->host, proxy->port);
}

void
fh_socks_client_connect_async (const FhSocksClientRequest *request,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  SocksClient *sc;
  GTask *task;
  GSocketConnectable *connectable;

  g_return_if_fail (request != NULL && request->proxy != NULL && request->host != NULL);
  g_return_if_fail ((request->username == NULL) == (request->password == NULL));
  g_return_if_fail (!request->userpass_only || request->username != NULL);

  sc = g_new0 (SocksClient, 1);
  sc->proxy.kind = request->proxy->kind;
  sc->proxy.host = g_strdup (request->proxy->host);
  sc->proxy.port = request->proxy->port;
  sc->proxy.path = g_strdup (request->proxy->path);
  sc->label = request->proxy_label != NULL ? g_strdup (request->proxy_label)
                                           : proxy_display (request->proxy);
  sc->advice = g_strdup (request->down_advice != NULL ? request->down_advice
                                                      : "is the proxy running?");
  sc->username = g_strdup (request->username);
  sc->password = g_strdup (request->password);
  if (sc->username == NULL)
    sc->offer = FH_SOCKS5_OFFER_NONE;
  else if (request->userpass_only)
    sc->offer = FH_SOCKS5_OFFER_USERPASS_ONLY;
  else
    sc->offer = FH_SOCKS5_OFFER_NONE_OR_USERPASS;
  sc->host = g_strdup (request->host);
  sc->port = request->port;
  sc->status = request->status;
  sc->status_data = request->status_data;
  sc->state = SOCKS_STATE_CONNECTING;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_name (task, "[furlhint] SOCKS5 connect");
  g_task_set_source_tag (task, fh_socks_client_connect_async);
  g_task_set_task_data (task, sc, socks_client_free);

  /* The environment's proxy settings must never reroute the connection to
   * the proxy itself. */
  sc->client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (sc->client, FALSE);

  report (sc, "connecting to %s", sc->label);
  connectable = proxy_connectable (&sc->proxy);
  g_socket_client_connect_async (sc->client, connectable, cancellable,
                                 proxy_connected_cb, task);
  g_object_unref (connectable);
}

GIOStream *
fh_socks_client_connect_finish (GAsyncResult *result,
                                GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == fh_socks_client_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
