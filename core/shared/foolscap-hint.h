/* Foolscap 21.7's hint grammar, reproduced exactly (private).
 *
 * Compiled into libfurlhint (the Foolscap view, furlhint_foolscap_*) and
 * into each bundled plugin (their parse callbacks), so both always agree.
 * Python semantics kept: `\d` matches any Unicode decimal digit (Unicode
 * 14.0, Python 3.11's tables), `$` also matches before one final "\n",
 * ports are unbounded integers, ipaddress.ip_address() is Python 3.11's
 * strict parser (no leading zeros, ASCII digits only).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_FOOLSCAP_HINT_H
#define FURLHINT_FOOLSCAP_HINT_H

#include <glib.h>

G_BEGIN_DECLS

/* What a Foolscap handler returns for a hint it accepts. */
typedef struct {
  gchar *host;              /* (owned) as Foolscap returns it (tcp: brackets stripped) */
  gchar *port;              /* (owned) (nullable) ASCII decimal, no leading zeros; NULL when absent (i2p) */
  gboolean port_non_ascii;  /* the port was written with non-ASCII digits */
} FhFoolscapAddr;

void fh_foolscap_addr_clear (FhFoolscapAddr *addr);

/* foolscap.connections.tcp.convert_legacy_hint(): `HOST:PORT` →
 * `tcp:HOST:<int(PORT)>`, anything else unchanged. Returns a new string. */
gchar *fh_foolscap_convert_legacy (const gchar *hint);

/* foolscap.connections.tcp.convert_legacy_hint() of the @len bytes at
 * @hint (no NUL needed), written with a NUL to @out, which has room for
 * @len + 5 bytes. Returns the canonical hint's length; *@type_len
 * (optional) is where its first ':' is, G_MAXSIZE if it has none. */
gsize fh_foolscap_write_canonical (const gchar *hint,
                                   gsize        len,
                                   gchar       *out,
                                   gsize       *type_len);

/* DefaultTCP.hint_to_endpoint(). On failure *message (optional) is the
 * exact Foolscap message and @addr is left cleared. */
gboolean fh_foolscap_match_tcp (const gchar *hint, FhFoolscapAddr *addr, gchar **message);

/* tor._Common.hint_to_endpoint() parsing part, including the
 * is_non_public_numeric_address() refusal. */
gboolean fh_foolscap_match_tor (const gchar *hint, FhFoolscapAddr *addr, gchar **message);

/* i2p._RunningI2P.hint_to_endpoint() parsing part. */
gboolean fh_foolscap_match_i2p (const gchar *hint, FhFoolscapAddr *addr, gchar **message);

/* fh_foolscap_match_tcp() and fh_foolscap_port_usable() in one, without
 * a copy: TRUE when the tcp handler accepts the @len bytes at @hint and
 * its port is usable, with where the host is (brackets stripped) and the
 * port. FALSE otherwise: fh_foolscap_match_tcp() then says why. */
gboolean fh_foolscap_match_tcp_usable (const gchar *hint,
                                       gsize        len,
                                       gsize       *host_start,
                                       gsize       *host_len,
                                       guint16     *port);

/* Where Foolscap's tcp handler finds the host in the @len bytes at
 * @hint (brackets stripped), without a copy: what
 * furlhint_foolscap_parse_hint (hint, FURLHINT_FOOLSCAP_TCP, &host, ...)
 * would copy. FALSE when the handler refuses the hint. */
gboolean fh_foolscap_tcp_host_span (const gchar *hint,
                                    gsize        len,
                                    gsize       *host_start,
                                    gsize       *host_len);

/* Python's is_non_public_numeric_address(host) from foolscap/connections/tor.py. */
gboolean fh_foolscap_is_non_public_numeric (const gchar *host);

/* furlhint's own check on a Foolscap port: TRUE and *out set when the
 * digits are ASCII and 1 ≤ port ≤ 65535. */
gboolean fh_foolscap_port_usable (const FhFoolscapAddr *addr, guint16 *out);

G_END_DECLS

#endif
