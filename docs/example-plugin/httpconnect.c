/* httpconnect — an example furlhint carrier plugin: `tcp:` hints carried
 * through an HTTP proxy with the CONNECT method (RFC 9110, 9.3.6), as
 * tinyproxy, Squid or a corporate proxy offer it.
 *
 *   [connections]
 *   tcp = httpconnect          every public tcp: hint goes through the proxy
 *   [httpconnect]
 *   proxy = tcp:127.0.0.1:8888
 *
 * or per server: `furlhint connect --override tcp=httpconnect FURL`, or a
 * server's `connections: {tcp: httpconnect}` in Tahoe's servers.yaml.
 *
 * The plugin declares no hint type of its own (prefixes is empty) and
 * FURLHINT_PLUGIN_CAN_CARRY_TCP: the ranker hands it `tcp:` hints when
 * `tcp = httpconnect` (or an override) asks for it. Its class is
 * "proxied": the proxy, not this host, resolves the peer's name and
 * opens the connection, so the peer sees the proxy's address; but the
 * proxy sees everything, so anonymous mode never uses it (the ranker
 * refuses, and `furlhint rank --explain` says so).
 *
 * This file needs only <furlhint/plugin.h> and GLib/GIO: build it with
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags furlhint) \
 *      -o httpconnect.so httpconnect.c -Wl,-z,defs $(pkg-config --libs gio-2.0)
 *
 * (the Makefile beside it does, with `make`).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/plugin.h>

/* The proxy's answer to CONNECT is a status line and headers; anything
 * longer is not an HTTP proxy talking. */
#define HTTPCONNECT_MAX_REPLY 8192

/* The configuration domain (FURLHINT_CONFIG_ERROR's quark string) and
 * its code 3, FURLHINT_CONFIG_ERROR_BAD_VALUE: see the plugin guide. */
#define HTTPCONNECT_CONFIG_ERROR (g_quark_from_static_string ("furlhint-config-error-quark"))
#define HTTPCONNECT_CONFIG_ERROR_BAD_VALUE 3

typedef struct {
  gchar *proxy_host;          /* (owned) an address literal or "localhost" */
  guint16 proxy_port;
} HttpconnectState;

/* "tcp:HOST:PORT", "tcp:[IPV6]:PORT" or "HOST:PORT" → host, port. The
 * proxy's own name is never looked up in DNS: an address literal or
 * localhost only (a lookup would tell the resolver where we go). */
static gboolean
parse_proxy (const gchar *text,
             gchar **host,
             guint16 *port)
{
  const gchar *rest = g_str_has_prefix (text, "tcp:") ? text + 4 : text;
  const gchar *colon = strrchr (rest, ':');
  g_autofree gchar *name = NULL;
  guint64 number;

  if (colon == NULL || colon == rest ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &number, NULL))
    return FALSE;
  if (rest[0] == '[' && colon[-1] == ']')
    name = g_strndup (rest + 1, colon - rest - 2);
  else
    name = g_strndup (rest, colon - rest);
  if (!g_hostname_is_ip_address (name) && g_ascii_strcasecmp (name, "localhost") != 0)
    return FALSE;
  *host = g_steal_pointer (&name);
  *port = (guint16) number;
  return TRUE;
}

static gpointer
httpconnect_init (const FurlHintPluginInitArgs *args,
                  gboolean *configured,
                  GError **error)
{
  HttpconnectState *state;
  const gchar *proxy;
  gchar *host;
  guint16 port;

  /* [httpconnect] proxy; settings are the host's: copy what we keep. */
  proxy = g_hash_table_lookup (args->settings, "proxy");
  if (proxy == NULL || *proxy == '\0')
    {
      /* Not set up: listed, but the ranker routes nothing through it. */
      *configured = FALSE;
      return NULL;
    }
  if (!parse_proxy (proxy, &host, &port))
    {
      g_set_error (error, HTTPCONNECT_CONFIG_ERROR, HTTPCONNECT_CONFIG_ERROR_BAD_VALUE,
                   "[httpconnect] proxy = %s: expected tcp:ADDRESS:PORT with an IP "
                   "address or localhost (the proxy's name is not looked up), such "
                   "as tcp:127.0.0.1:8888 or tcp:[::1]:8888", proxy);
      return NULL;
    }

  state = g_new0 (HttpconnectState, 1);
  state->proxy_host = host;
  state->proxy_port = port;
  return state;
}

static void
httpconnect_fini (gpointer data)
{
  HttpconnectState *state = data;

  if (state == NULL)
    return;
  g_free (state->proxy_host);
  g_free (state);
}

/* Pure: no I/O, and nothing kept that points into @hint. The host hands
 * `tcp:` hints in their canonical form: tcp:HOST:PORT or tcp:[IPV6]:PORT. */
static gboolean
httpconnect_parse (gpointer data,
                   const gchar *hint,
                   FurlHintParseMode mode,
                   FurlHintTarget *target,
                   GError **error)
{
  const gchar *rest, *colon;
  g_autofree gchar *host = NULL;
  guint64 port;
  gsize i;

  if (mode != FURLHINT_PARSE_CARRY)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                   "the httpconnect plugin only carries tcp: hints, not '%s'", hint);
      return FALSE;
    }
  rest = g_str_has_prefix (hint, "tcp:") ? hint + 4 : NULL;
  colon = rest != NULL ? strrchr (rest, ':') : NULL;
  if (colon == NULL || colon == rest ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized TCP hint; expected tcp:HOST:PORT or tcp:[IPV6]:PORT");
      return FALSE;
    }
  if (rest[0] == '[' && colon[-1] == ']')
    host = g_strndup (rest + 1, colon - rest - 2);
  else
    host = g_strndup (rest, colon - rest);

  /* The host goes into the CONNECT request line: nothing that could end
   * it or start a header. */
  for (i = 0; host[i] != '\0'; i++)
    if (!g_ascii_isalnum (host[i]) && strchr (".-_:", host[i]) == NULL)
      {
        g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                     "unrecognized TCP hint: the host has a character an HTTP "
                     "proxy request cannot carry");
        return FALSE;
      }
  if (host[0] == '\0')
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized TCP hint: no host");
      return FALSE;
    }

  target->host_kind = strchr (host, ':') != NULL ? FURLHINT_HOST_IPV6
                      : g_hostname_is_ip_address (host) ? FURLHINT_HOST_IPV4
                      : FURLHINT_HOST_DNS;
  target->host = g_steal_pointer (&host);
  target->port = (guint16) port;
  target->hint = g_strdup (hint);
  return TRUE;
}

/* One connect: lives as the GTask's data until the callback. */
typedef struct {
  gchar *proxy;               /* (owned) "HOST:PORT" of the proxy, for messages */
  gchar *request;             /* (owned) the CONNECT request */
  GSocketConnection *connection;  /* (owned) (nullable) to the proxy */
  GString *reply;             /* (owned) the proxy's answer so far */
  gchar byte;                 /* the byte being read */
} Attempt;

static void
attempt_free (gpointer data)
{
  Attempt *attempt = data;

  g_free (attempt->proxy);
  g_free (attempt->request);
  g_clear_object (&attempt->connection);
  g_string_free (attempt->reply, TRUE);
  g_free (attempt);
}

/* Fails @task: cancellation as GIO says it, anything else in furlhint's
 * connect domain with @code. Takes @error. */
static void
fail (GTask *task,
      GError *error,
      FurlHintConnectError code,
      const gchar *what)
{
  Attempt *attempt = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, code,
                               "HTTP proxy %s: %s: %s", attempt->proxy, what, error->message);
      g_error_free (error);
    }
}

/* The status line of the answer decides. */
static void
finish_reply (GTask *task)
{
  Attempt *attempt = g_task_get_task_data (task);
  g_autofree gchar *line = g_strndup (attempt->reply->str, strcspn (attempt->reply->str, "\r\n"));
  g_auto(GStrv) words = g_strsplit (line, " ", 3);
  gboolean http = g_str_has_prefix (line, "HTTP/1.") && words[0] != NULL && words[1] != NULL;

  if (http && strcmp (words[1], "200") == 0)
    {
      /* The tunnel is open; nothing of the peer's was read (the answer
       * is read a byte at a time), so the connection itself is the
       * stream, and a half-close reaches the peer. */
      g_task_return_pointer (task, g_steal_pointer (&attempt->connection), g_object_unref);
    }
  else
    {
      /* The proxy's words, escaped: they end up on a terminal. */
      g_autofree gchar *shown = g_strescape (line, NULL);

      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                               !http ? FURLHINT_CONNECT_ERROR_PROTOCOL
                               : strcmp (words[1], "407") == 0 ? FURLHINT_CONNECT_ERROR_AUTH
                               : FURLHINT_CONNECT_ERROR_REFUSED,
                               "HTTP proxy %s %s: \"%.80s\"", attempt->proxy,
                               http ? "refused CONNECT" : "did not answer in HTTP", shown);
    }
}

static void read_reply_byte (GTask *task);

static void
reply_byte_cb (GObject *source,
               GAsyncResult *result,
               gpointer user_data)
{
  GTask *task = user_data;
  Attempt *attempt = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n <= 0)
    {
      if (n == 0)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "closed the connection before its answer ended");
      fail (task, error, FURLHINT_CONNECT_ERROR_PROTOCOL, "reading the answer to CONNECT");
      g_object_unref (task);
      return;
    }
  g_string_append_c (attempt->reply, attempt->byte);
  if (g_str_has_suffix (attempt->reply->str, "\r\n\r\n") ||
      g_str_has_suffix (attempt->reply->str, "\n\n"))
    {
      finish_reply (task);
      g_object_unref (task);
      return;
    }
  if (attempt->reply->len >= HTTPCONNECT_MAX_REPLY)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                               "HTTP proxy %s: the answer to CONNECT is longer than %d bytes",
                               attempt->proxy, HTTPCONNECT_MAX_REPLY);
      g_object_unref (task);
      return;
    }
  read_reply_byte (task);
}

/* One byte at a time: the answer is short, and not one byte of what the
 * peer sends after it may be read here. */
static void
read_reply_byte (GTask *task)
{
  Attempt *attempt = g_task_get_task_data (task);

  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (attempt->connection)),
                             &attempt->byte, 1, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), reply_byte_cb, task);
}

static void
request_sent_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail (task, error, FURLHINT_CONNECT_ERROR_FAILED, "sending CONNECT");
      g_object_unref (task);
      return;
    }
  read_reply_byte (task);
}

static void
proxy_connected_cb (GObject *source,
                    GAsyncResult *result,
                    gpointer user_data)
{
  GTask *task = user_data;
  Attempt *attempt = g_task_get_task_data (task);
  GError *error = NULL;

  attempt->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (attempt->connection == NULL)
    {
      /* The proxy itself is not there: the host then fails this plugin's
       * other hints at once instead of letting each time out. */
      fail (task, error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
            "cannot connect to the proxy (is it running?)");
      g_object_unref (task);
      return;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (attempt->connection)),
                                   attempt->request, strlen (attempt->request), G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), request_sent_cb, task);
}

/* Calls @callback exactly once, from the caller's thread-default main
 * context (GTask takes care of both), also when @cancellable fires. */
static void
httpconnect_connect_async (gpointer data,
                           const FurlHintConnectArgs *args,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  HttpconnectState *state = data;
  const FurlHintTarget *target = args->target;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree gchar *authority = NULL;
  Attempt *attempt;
  GTask *task;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, httpconnect_connect_async);
  if (state == NULL)
    {
      /* The host routes nothing through an unconfigured plugin; a
       * checker calling anyway gets an answer, not a crash. */
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "no [httpconnect] proxy is configured");
      g_object_unref (task);
      return;
    }

  /* args->target is only valid until we call back: keep what we need. */
  authority = target->host_kind == FURLHINT_HOST_IPV6
              ? g_strdup_printf ("[%s]:%u", target->host, target->port)
              : g_strdup_printf ("%s:%u", target->host, target->port);
  attempt = g_new0 (Attempt, 1);
  attempt->reply = g_string_new (NULL);
  attempt->proxy = strchr (state->proxy_host, ':') != NULL
                   ? g_strdup_printf ("[%s]:%u", state->proxy_host, state->proxy_port)
                   : g_strdup_printf ("%s:%u", state->proxy_host, state->proxy_port);
  attempt->request = g_strdup_printf ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                                      authority, authority);
  g_task_set_task_data (task, attempt, attempt_free);

  args->status ("connecting to the HTTP proxy", args->status_data);
  g_socket_client_connect_to_host_async (client, state->proxy_host, state->proxy_port,
                                         cancellable, proxy_connected_cb, task);
}

static GIOStream *
httpconnect_connect_finish (gpointer data,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == httpconnect_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
httpconnect_describe (gpointer data,
                      const FurlHintTarget *target)
{
  HttpconnectState *state = data;

  if (state == NULL)
    return g_strdup_printf ("HTTP CONNECT to %s:%u (no [httpconnect] proxy configured)",
                            target->host, target->port);
  return g_strdup_printf ("HTTP CONNECT via proxy %s:%u to %s:%u (the proxy resolves names)",
                          state->proxy_host, state->proxy_port, target->host, target->port);
}

static const gchar *const httpconnect_prefixes[] = { NULL };

FURLHINT_PLUGIN_DEFINE (httpconnect) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "httpconnect",
  .version = "1.0",
  .description = "tcp: hints through an HTTP CONNECT proxy, [httpconnect] proxy (example carrier)",
  .prefixes = httpconnect_prefixes,
  .host_suffixes = NULL,
  .anon_class = FURLHINT_ANON_PROXIED,
  .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP,
  .init = httpconnect_init,
  .fini = httpconnect_fini,
  .parse = httpconnect_parse,
  .connect_async = httpconnect_connect_async,
  .connect_finish = httpconnect_connect_finish,
  .describe = httpconnect_describe,
};
