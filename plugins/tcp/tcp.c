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

  if (!_furlhint_plugin_check_init_args (TCP_PLUGIN_NAME, args, error))
    return NULL;

  /* Direct TCP needs no setting: `[connections] tcp` (tcp, tor, disabled)
   * and `tcp.socks-proxy` decide whether the ranker uses this plugin, not
   * whether it works. */
  state = g_new0 (TcpState, 1);
  state->anonymous = args->anonymous;
  *configured = TRUE;

  _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG,
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
  return _furlhint_plugin_parse_tcp (hint, target, error);
}

static void
tcp_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  _furlhint_plugin_connect_not_supported (TCP_PLUGIN_NAME, tcp_connect_async,
                                          cancellable, callback, user_data);
}

static GIOStream *
tcp_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  return _furlhint_plugin_connect_finish (result, tcp_connect_async, error);
}

static gchar *
tcp_describe (gpointer data,
              const FurlHintTarget *target)
{
  gchar *where = _furlhint_plugin_host_port_display (target->host, target->port);
  gchar *text;

  switch (target->host_kind)
    {
    case FURLHINT_HOST_IPV4:
    case FURLHINT_HOST_IPV6:
      text = g_strdup_printf ("direct TCP to %s", where);
      break;
    case FURLHINT_HOST_NONE:
    case FURLHINT_HOST_DNS:
    case FURLHINT_HOST_ONION:
    case FURLHINT_HOST_I2P:
    default:
      text = g_strdup_printf ("direct TCP to %s (local DNS lookup)", where);
      break;
    }
  g_free (where);
  return text;
}

static const gchar *const tcp_prefixes[] = { "tcp", NULL };
static const gchar *const tcp_host_suffixes[] = { NULL };

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
};
