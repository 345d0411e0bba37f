/* The socks plugin: carry `tcp:` hints through a SOCKS5 proxy, as
 * `[connections] tcp.socks-proxy` asks (remote DNS: the hint's host name
 * is sent to the proxy, never looked up here).
 *
 * Anonymity class PROXIED: the proxy hides our address from the server
 * only if the proxy itself does. The plugin has no hint prefix of its own;
 * it only carries (FURLHINT_PLUGIN_CAN_CARRY_TCP).
 *
 * Setting (received as "connections.tcp.socks-proxy"):
 *
 *   [connections]
 *   tcp.socks-proxy = ENDPOINT[:user=NAME:password=SECRET]
 *
 * ENDPOINT is a Twisted client endpoint string as everywhere in tahoe.cfg:
 * `tcp:HOST:PORT`, `tcp:host=HOST:port=PORT`, `tcp:[IPv6]:PORT`,
 * `unix:/path` or plain `HOST:PORT`. Username/password authentication
 * (RFC 1929) is asked for with two more Twisted-style keyword arguments,
 * `user=` and `password=`, appended anywhere after the first field, both
 * or neither, each 1-255 bytes; a literal `:`, `=` or `\` in them is
 * written `\:`, `\=`, `\\` (Twisted's escaping). For example:
 *
 *   tcp.socks-proxy = tcp:127.0.0.1:1080:user=alice:password=s3cr\:t
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"
#include "../common/socks-client.h"

#define SOCKS_PLUGIN_NAME "socks"
#define SOCKS_PROXY_KEY "connections.tcp.socks-proxy"
#define SOCKS_ACCEPTED \
  "accepted: a Twisted endpoint (tcp:HOST:PORT, tcp:host=HOST:port=PORT, " \
  "unix:/path, or HOST:PORT), optionally followed by :user=NAME:password=SECRET"

typedef struct {
  FhEndpoint proxy;         /* (owned) where the SOCKS5 server listens */
  gchar *proxy_display;     /* (owned) "127.0.0.1:1080", for describe */
  gchar *username;          /* (owned) (nullable) RFC 1929 user name */
  gchar *password;          /* (owned) (nullable) RFC 1929 password; set iff username is */
  gboolean anonymous;       /* the node runs in anonymous mode */
} SocksState;

static void
socks_state_free (SocksState *state)
{
  fh_endpoint_clear (&state->proxy);
  g_free (state->proxy_display);
  g_free (state->username);
  fh_secret_free (state->password);
  g_free (state);
}

/* Takes `user=` and `password=` out of @value (core/shared/endpoint.c,
 * shared with the config reader); *@endpoint gets the rest. */
static gboolean
split_credentials (const gchar *value,
                   gchar **endpoint,
                   gchar **username,
                   gchar **password,
                   GError **error)
{
  const gchar *problem = NULL;

  if (fh_endpoint_split_credentials (value, endpoint, username, password, &problem))
    return TRUE;
  fh_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                           "%s; %s", problem, SOCKS_ACCEPTED);
  return FALSE;
}

static gpointer
socks_init (const FurlHintPluginInitArgs *args,
            gboolean *configured,
            GError **error)
{
  SocksState *state;
  const gchar *value;
  gchar *endpoint_text = NULL;
  GError *local_error = NULL;

  if (!fh_plugin_check_init_args (SOCKS_PLUGIN_NAME, args, error))
    return NULL;

  value = fh_plugin_get (args, SOCKS_PROXY_KEY);
  if (value == NULL)
    {
      *configured = FALSE;
      fh_plugin_log (args, G_LOG_LEVEL_DEBUG,
                     "socks: not configured ([connections] tcp.socks-proxy is not set)");
      return NULL;
    }
  if (*value == '\0')
    {
      /* Unlike tor.socks-proxy, a SOCKS proxy has no default address. */
      fh_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                               "a SOCKS proxy needs an address; %s", SOCKS_ACCEPTED);
      return NULL;
    }

  state = g_new0 (SocksState, 1);
  state->anonymous = args->anonymous;
  if (!split_credentials (value, &endpoint_text, &state->username, &state->password, error))
    {
      socks_state_free (state);
      return NULL;
    }
  if (!fh_endpoint_parse (endpoint_text, &state->proxy, &local_error))
    {
      fh_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                               "%s (optionally followed by "
                               ":user=NAME:password=SECRET)",
                                      local_error->message);
      g_error_free (local_error);
      g_free (endpoint_text);
      socks_state_free (state);
      return NULL;
    }
  g_free (endpoint_text);

  state->proxy_display = fh_plugin_endpoint_display (&state->proxy);
  *configured = TRUE;
  fh_plugin_log (args, G_LOG_LEVEL_DEBUG,
                 "socks: SOCKS5 proxy %s, remote DNS, %s%s",
                 state->proxy_display,
                 state->username != NULL ? "username/password authentication"
                                         : "no authentication",
                 args->anonymous ? " (anonymous mode: never used)" : "");
  return state;
}

static void
socks_fini (gpointer data)
{
  if (data != NULL)
    socks_state_free (data);
}

static gboolean
socks_parse (gpointer data,
             const gchar *hint,
             FurlHintParseMode mode,
             FurlHintTarget *target,
             GError **error)
{
  /* The proxy is handed the host as written (SOCKS5 ATYP domain name or
   * address literal), so every host Foolscap's tcp regex accepts, IPv6
   * included, can be carried. */
  return fh_plugin_parse_tcp (hint, target, error);
}

static void
socks_connected_cb (GObject *source,
                    GAsyncResult *res,
                    gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  GIOStream *stream;

  stream = fh_socks_client_connect_finish (res, &error);
  if (stream == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stream, g_object_unref);
  g_object_unref (task);
}

/* GIO's own SOCKS5 support (GSocks5Proxy behind GProxyResolver) is not
 * used: its errors carry no reply number (the connector and users need
 * "proxy refused: host unreachable (SOCKS reply 4)", and Tor's extended
 * codes), it cannot reach a `unix:` proxy, and a refused proxy port must
 * be TRANSPORT_DOWN naming the proxy. See plugins/common/socks-client.h. */
static void
socks_connect_async (gpointer data,
                     const FurlHintConnectArgs *args,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  SocksState *state = data;
  FhSocksClientRequest request = { 0, };
  GTask *task;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_name (task, "[furlhint] socks connect");
  g_task_set_source_tag (task, socks_connect_async);

  if (state == NULL || state->anonymous)
    {
      /* A proxy that is not Tor/I2P gives no anonymity; a broken policy
       * must not make us use it in anonymous mode. */
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               state == NULL ? "no SOCKS proxy is configured "
                                               "([connections] tcp.socks-proxy)"
                                             : "SOCKS proxy not used: the node runs in "
                                               "anonymous mode");
      g_object_unref (task);
      return;
    }

  request.proxy = &state->proxy;
  request.username = state->username;
  request.password = state->password;
  /* Sent as written: a name goes to the proxy (ATYP 3), never to our
   * resolver. */
  request.host = args->target->host;
  request.port = args->target->port;
  request.status = args->status;
  request.status_data = args->status_data;
  fh_socks_client_connect_async (&request, cancellable, socks_connected_cb, task);
}

static GIOStream *
socks_connect_finish (gpointer data,
                      GAsyncResult *result,
                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == socks_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
socks_describe (gpointer data,
                const FurlHintTarget *target)
{
  SocksState *state = data;
  gchar *where = fh_plugin_host_port_display (target->host, target->port);
  gboolean literal = target->host_kind == FURLHINT_HOST_IPV4 ||
                     target->host_kind == FURLHINT_HOST_IPV6;
  gchar *text;

  text = g_strdup_printf ("SOCKS5 proxy %s%s → %s%s",
                          state != NULL ? state->proxy_display : "(not configured)",
                          state != NULL && state->username != NULL
                            ? " (username/password)" : "",
                          where, literal ? "" : " (remote DNS)");
  g_free (where);
  return text;
}

static const gchar *const socks_prefixes[] = { NULL };
static const gchar *const socks_host_suffixes[] = { NULL };

/* No [socks] section: every setting it reads is the core's ([connections]).
 * Declaring none (rather than leaving keys NULL) has the host report any
 * key found in a [socks] section as unknown. */
static const FurlHintPluginKey socks_keys[] = { { NULL } };

FURLHINT_PLUGIN_DEFINE (socks) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = SOCKS_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "TCP hints through a SOCKS5 proxy ([connections] tcp.socks-proxy; remote DNS)",
  .prefixes = socks_prefixes,
  .host_suffixes = socks_host_suffixes,
  .anon_class = FURLHINT_ANON_PROXIED,
  .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP | FURLHINT_PLUGIN_TCP_PROXY,
  .init = socks_init,
  .fini = socks_fini,
  .parse = socks_parse,
  .connect_async = socks_connect_async,
  .connect_finish = socks_connect_finish,
  .describe = socks_describe,
  .keys = socks_keys,
  .setup_hint = "set [connections] tcp.socks-proxy to the SOCKS5 proxy",
};
