/* An asynchronous SOCKS5 client (private; used by the socks and tor plugins).
 *
 * Connects to a SOCKS5 server (TCP or unix socket), optionally
 * authenticates with username/password (RFC 1929), and asks it to CONNECT
 * to a target. The target host is sent as given: an IPv4/IPv6 literal as an
 * address (ATYP 1/4), anything else as a name (ATYP 3) that the PROXY
 * resolves — this client never looks up the target. The messages are built
 * and parsed by socks5.c; this file only moves bytes.
 *
 * Why not GIO's GSocks5Proxy (g_socket_client_add_application_proxy /
 * GProxyResolver): its errors are G_IO_ERROR_PROXY_FAILED with a fixed text
 * per reply and no reply number (and nothing for Tor's extended codes
 * 0xF0–0xF7); it only reaches proxies through a GProxyResolver (URIs, so no
 * `unix:` SocksPort); it takes its credentials from the proxy URI, whereas
 * Tor stream isolation needs different credentials per peer on the same
 * proxy; and a refused proxy port must become TRANSPORT_DOWN naming the
 * proxy, which GSocketClient reports as a plain connection error to the
 * target.
 *
 * Usage:
 *
 *   FhSocksClientRequest req = { 0, };
 *   req.proxy = &state->proxy;                 // FhEndpoint, tcp or unix
 *   req.proxy_label = "Tor SOCKS port 127.0.0.1:9050";   // optional
 *   req.down_advice = "is Tor running?";                 // optional
 *   req.username = "u"; req.password = key;              // optional
 *   req.userpass_only = TRUE;                            // optional
 *   req.host = target->host; req.port = target->port;
 *   req.status = args->status; req.status_data = args->status_data;
 *   fh_socks_client_connect_async (&req, cancellable, cb, data);
 *   ...
 *   GIOStream *stream = fh_socks_client_connect_finish (res, &error);
 *
 * Statuses reported (through @status): "connecting to LABEL", then
 * "asking LABEL for HOST:PORT" once the proxy's socket is open.
 *
 * Errors (domain FURLHINT_CONNECT_ERROR unless said otherwise):
 * - the proxy's port refuses, is unreachable, or its unix socket is
 *   missing: TRANSPORT_DOWN, "LABEL refused the connection: ADVICE"
 *   (or "LABEL is unreachable: ...");
 * - a SOCKS reply ≠ 0: the code socks5.c gives it (REFUSED for 2
 *   and 5, UNREACHABLE for 3, 4 and most of Tor's 0xF0–0xF6, TIMED_OUT for
 *   6 and 0xF7, AUTH for 0xF4/0xF5, FAILED for 1), with the message
 *   "proxy refused: host unreachable (SOCKS reply 4)";
 * - credentials refused, or (with @userpass_only) username/password
 *   refused or skipped: AUTH; garbage from the proxy: PROTOCOL;
 * - the proxy closes early: PROTOCOL, "LABEL closed the connection during
 *   the SOCKS handshake";
 * - cancelled: G_IO_ERROR_CANCELLED (the socket is closed).
 * The callback runs exactly once, on the thread-default main context of
 * the caller, never before _connect_async returns.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_SOCKS_CLIENT_H
#define FURLHINT_SOCKS_CLIENT_H

#include <gio/gio.h>
#include <furlhint/plugin.h>

#include "endpoint.h"

G_BEGIN_DECLS

/**
 * FhSocksClientRequest:
 * @proxy: (not nullable) the SOCKS5 server. A TCP host that is not an
 *   address literal is resolved locally (it names the proxy, not the
 *   target); pass a literal when that must not happen.
 * @proxy_label: (nullable) how statuses and errors name the proxy;
 *   default "SOCKS proxy 127.0.0.1:1080" (or "SOCKS proxy unix:/path").
 * @down_advice: (nullable) appended to the TRANSPORT_DOWN message;
 *   default "is the proxy running?".
 * @username: (nullable) RFC 1929 user name; with @password. Tor uses these
 *   for stream isolation (any value is accepted).
 * @password: (nullable) RFC 1929 password; set iff @username is.
 * @userpass_only: with @username: offer username/password alone, not
 *   "no authentication" besides it. For credentials the proxy must not
 *   skip: Tor's stream isolation, which a SocksPort with PreferSOCKSNoAuth
 *   would silently drop by choosing "no authentication". A proxy that
 *   refuses username/password then fails the connect with AUTH.
 * @host: (not nullable) target host, no brackets; sent to the proxy.
 * @port: target port, 1–65535.
 * @status: (nullable) progress reporter.
 * @status_data: data for @status.
 *
 * Everything is copied by fh_socks_client_connect_async().
 */
typedef struct {
  const FhEndpoint *proxy;
  const gchar *proxy_label;
  const gchar *down_advice;
  const gchar *username;
  const gchar *password;
  gboolean userpass_only;
  const gchar *host;
  guint16 port;
  FurlHintStatusFunc status;
  gpointer status_data;
} FhSocksClientRequest;

void fh_socks_client_connect_async (const FhSocksClientRequest *request,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);

/* Returns: (transfer full) the GSocketConnection to the proxy, positioned
 * after the CONNECT reply (BND.ADDR/BND.PORT consumed): bytes read from it
 * come from the target. NULL with @error set on failure. */
GIOStream *fh_socks_client_connect_finish (GAsyncResult *result,
                                           GError **error);

G_END_DECLS

#endif /* FURLHINT_SOCKS_CLIENT_H */
