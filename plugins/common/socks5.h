/* SOCKS5 (RFC 1928) and username/password auth (RFC 1929) messages (private).
 *
 * Pure functions, no I/O: building requests and parsing replies are kept
 * apart from the code that moves bytes (as in GIO's gsocks5proxy.c), so
 * they can be unit-tested and fuzzed without sockets. Shared by the socks
 * and tor plugins.
 *
 * Parsers take what has arrived so far and return FH_SOCKS5_NEED_MORE when
 * the message is incomplete (with *need = the total length known so far),
 * FH_SOCKS5_OK when complete, FH_SOCKS5_ERROR with @error set otherwise.
 * Errors are in the "furlhint-connect-error-quark" domain (FurlHintConnectError
 * codes from <furlhint/plugin.h>).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_SOCKS5_H
#define FURLHINT_SOCKS5_H

#include <glib.h>

G_BEGIN_DECLS

#define FH_SOCKS5_METHOD_NONE 0x00
#define FH_SOCKS5_METHOD_USERPASS 0x02
#define FH_SOCKS5_METHOD_REFUSED 0xff

/* The longest message we build: connect request with a 255-byte name. */
#define FH_SOCKS5_MAX_REQUEST 262

typedef enum {
  FH_SOCKS5_OK = 0,
  FH_SOCKS5_NEED_MORE,
  FH_SOCKS5_ERROR,
} FhSocks5Result;

/* The authentication methods a greeting offers. USERPASS_ONLY is for
 * credentials that must reach the proxy, such as Tor's stream isolation:
 * offered "no authentication" as well, a proxy may pick it (tor does with
 * PreferSOCKSNoAuth) and the credentials are silently never sent. */
typedef enum {
  FH_SOCKS5_OFFER_NONE = 0,         /* no authentication */
  FH_SOCKS5_OFFER_NONE_OR_USERPASS, /* either; the proxy picks */
  FH_SOCKS5_OFFER_USERPASS_ONLY,    /* username/password, nothing else */
} FhSocks5Offer;

/* Greeting: version 5 and the methods of @offer. Returns the length
 * written into @buf (≥ 4 bytes). */
gsize fh_socks5_build_greeting (guint8 *buf, FhSocks5Offer offer);

/* Method selection reply (2 bytes). *method is the chosen method; a
 * method not in @offer, or 0xFF, is an error. */
FhSocks5Result fh_socks5_parse_method (const guint8 *data, gsize len,
                                       FhSocks5Offer offer,
                                       guint8 *method, gsize *need,
                                       GError **error);

/* RFC 1929 request. Fails (FALSE, @error) when a field is empty or longer
 * than 255 bytes. @buf must hold 3 + 255 + 255 bytes. */
gboolean fh_socks5_build_userpass (guint8 *buf, gsize *len,
                                   const gchar *user, const gchar *password,
                                   GError **error);

/* RFC 1929 reply (2 bytes); status ≠ 0 → FURLHINT_CONNECT_ERROR_AUTH. */
FhSocks5Result fh_socks5_parse_userpass (const guint8 *data, gsize len,
                                         gsize *need, GError **error);

/* CONNECT request. A host that is an IPv4 or IPv6 literal is sent as an
 * address (ATYP 1/4); anything else as a name (ATYP 3) for the proxy to
 * resolve — never resolved here. A name longer than 255 bytes is an error.
 * @buf must hold FH_SOCKS5_MAX_REQUEST bytes. */
gboolean fh_socks5_build_connect (guint8 *buf, gsize *len,
                                  const gchar *host, guint16 port,
                                  GError **error);

/* CONNECT reply: VER REP RSV ATYP BND.ADDR BND.PORT; its length depends on
 * ATYP, so a client must read exactly *need bytes before relaying data.
 * REP ≠ 0 is an error naming the reply ("proxy refused: connection refused
 * (SOCKS reply 5)"), including Tor's extended codes 0xF0–0xF7. */
FhSocks5Result fh_socks5_parse_connect (const guint8 *data, gsize len,
                                        gsize *need, GError **error);

/* The text for a SOCKS reply code ("host unreachable"), or NULL if unknown. */
const gchar *fh_socks5_reply_name (guint8 rep);

G_END_DECLS

#endif
