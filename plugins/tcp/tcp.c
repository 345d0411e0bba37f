/* The tcp plugin: direct TCP connections (Foolscap's DefaultTCP handler).
 *
 * Anonymity class CLEAR: the server sees our address and host names are
 * resolved locally. The ranker never routes through this plugin in
 * anonymous mode; the plugin also remembers the mode so that its connect
 * can fail closed should a broken policy ever ask.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"

#define TCP_PLUGIN_NAME "tcp"

typedef struct {
  gboolean anonymous;       /* the node runs in anonymous mode */
  GSocketClient *client;    /* (owned) (nullable) made on first connect */
} TcpState;

static gpointer
tcp_init (const FurlHintPluginInitArgs *args,
          gboolean *configured,
          GError **error)
{
  TcpState *state;

  if (!fh_plugin_check_init_args (TCP_PLUGIN_NAME, args, error))
    return NULL;

  /* Direct TCP needs no setting: `[connections] tcp` (tcp, tor, disabled)
   * and `tcp.socks-proxy` decide whether the ranker uses this plugin, not
   * whether it works. */
  state = g_new0 (TcpState, 1);
  state->anonymous = args->anonymous;
  *configured = TRUE;

  fh_plugin_log (args, G_LOG_LEVEL_DEBUG,
                 "tcp: direct TCP with local DNS lookups%s",
                 args->anonymous ? " (anonymous mode: never used)" : "");
  return state;
}

static void
tcp_fini (gpointer data)
{
  TcpState *state = data;

  if (state == NULL)
    return;
  g_clear_object (&state->client);
  g_free (state);
}

static gboolean
tcp_parse (gpointer data,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  /* Every mode means the same here: Foolscap's tcp regex on the whole
   * (canonical) hint. */
  return fh_plugin_parse_tcp (hint, target, error);
}

/* GSocketClient's errors, in the connector's terms. Refused keeps
 * G_IO_ERROR_CONNECTION_REFUSED's meaning ("connection refused" in the
 * hint's status) but says where. */
static GError *
tcp_map_error (const FurlHintTarget *target, GError *error)
{
  gchar *where;
  GError *mapped;
  FurlHintConnectError code;

  if (error->domain != G_IO_ERROR)
    return error;
  switch (error->code)
    {
    case G_IO_ERROR_CANCELLED:
      return error;
    case G_IO_ERROR_CONNECTION_REFUSED:
      code = FURLHINT_CONNECT_ERROR_REFUSED;
      break;
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_NOT_FOUND:             /* name unknown to the resolver */
      code = FURLHINT_CONNECT_ERROR_UNREACHABLE;
      break;
    case G_IO_ERROR_TIMED_OUT:
      code = FURLHINT_CONNECT_ERROR_TIMED_OUT;
      break;
    default:
      code = FURLHINT_CONNECT_ERROR_FAILED;
      break;
    }
  where = fh_plugin_host_port_display (target->host, target->port);
  mapped = g_error_new (FURLHINT_CONNECT_ERROR, code, "%s: %s", where, error->message);
  g_free (where);
  g_error_free (error);
  return mapped;
}

static void
tcp_connected_cb (GObject *source,
                  GAsyncResult *res,
                  gpointer user_data)
{
  GTask *task = user_data;
  const FurlHintTarget *target = g_task_get_task_data (task);
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  if (conn == NULL)
    g_task_return_error (task, tcp_map_error (target, error));
  else
    g_task_return_pointer (task, conn, g_object_unref);
  g_object_unref (task);
}

static void
tcp_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TcpState *state = data;
  const FurlHintTarget *target = args->target;
  GSocketConnectable *connectable;
  GTask *task;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tcp_connect_async);
  g_task_set_name (task, "[furlhint] tcp connect");
  /* args->target lives until we call back (plugin.h). */
  g_task_set_task_data (task, (gpointer) target, NULL);

  if (state->anonymous)
    {
      /* Fail closed: a broken policy must not make a clear connection. */
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "direct TCP to %s refused: the node runs in anonymous mode",
                               target->host);
      g_object_unref (task);
      return;
    }

  if (state->client == NULL)
    {
      state->client = g_socket_client_new ();
      /* Never let the environment's proxy settings (GProxyResolver,
       * http_proxy, GNOME) silently reroute a clear route: proxies are the
       * socks plugin's business, with their own anonymity class. */
      g_socket_client_set_enable_proxy (state->client, FALSE);
    }

  /* The only place furlhint resolves a host name locally: this route is
   * CLEAR and the ranker keeps it out of anonymous mode. GSocketClient
   * races the addresses of a name itself (RFC 8305). GNetworkAddress takes
   * the host as is (an IPv6 literal needs no brackets, and a literal is not
   * looked up). */
  connectable = g_network_address_new (target->host, target->port);
  g_socket_client_connect_async (state->client, connectable,
                                 cancellable, tcp_connected_cb, task);
  g_object_unref (connectable);
}

static GIOStream *
tcp_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tcp_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
tcp_describe (gpointer data,
              const FurlHintTarget *target)
{
  gchar *where = fh_plugin_host_port_display (target->host, target->port);
  gchar *text;

  /* Concatenated, not printed: every direct route of every ranked FURL
   * is described. */
  switch (target->host_kind)
    {
    case FURLHINT_HOST_IPV4:
    case FURLHINT_HOST_IPV6:
      text = g_strconcat ("direct TCP to ", where, NULL);
      break;
    case FURLHINT_HOST_NONE:
    case FURLHINT_HOST_DNS:
    case FURLHINT_HOST_ONION:
    case FURLHINT_HOST_I2P:
    default:
      text = g_strconcat ("direct TCP to ", where, " (local DNS lookup)", NULL);
      break;
    }
  g_free (where);
  return text;
}

static const gchar *const tcp_prefixes[] = { "tcp", NULL };
static const gchar *const tcp_host_suffixes[] = { NULL };

/* No [tcp] section: every setting it reads is the core's ([connections]).
 * Declaring none (rather than leaving keys NULL) has the host report any
 * key found in a [tcp] section as unknown. */
static const FurlHintPluginKey tcp_keys[] = { { NULL } };

FURLHINT_PLUGIN_DEFINE (tcp) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = TCP_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "direct TCP connections (local DNS lookups; reveals this host's IP address)",
  .prefixes = tcp_prefixes,
  .host_suffixes = tcp_host_suffixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = tcp_init,
  .fini = tcp_fini,
  .parse = tcp_parse,
  .connect_async = tcp_connect_async,
  .connect_finish = tcp_connect_finish,
  .describe = tcp_describe,
  .keys = tcp_keys,
};
