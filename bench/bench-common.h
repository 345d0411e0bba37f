/* bench-common: what the benchmarks (bench-connect, bench-tor,
 * bench-scale) share — dying with a message, the socket and the SOCKS5
 * steps of their bare reference clients, a context from a tahoe.cfg
 * text, and percentiles.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <furlhint/furlhint.h>

/* "PRGNAME: @what: @error's message (or errno's)" on stderr, exit 1. */
G_GNUC_NORETURN void fh_bench_die (const gchar *what, const GError *error);

/* The whole buffer sent / received on a blocking socket, or FALSE. */
gboolean fh_bench_send_all (int fd, const void *buf, size_t len);
gboolean fh_bench_recv_all (int fd, void *buf, size_t len);

/* The reference client's blocking socket, connected to 127.0.0.1:@port
 * (TCP_NODELAY; receives bounded at @timeout_s, a failure bound, not a
 * measurement); dies naming @what when the connect fails. */
int fh_bench_reference_socket (guint16 port, guint timeout_s, const gchar *what);

/* The bare SOCKS5 clients' steps (RFC 1928) on a blocking socket: the
 * least a SOCKS client can do. */

/* The greeting offering the one @method (0: no authentication, 2:
 * username/password, RFC 1929), and the proxy choosing it; FALSE when it
 * does not. */
gboolean fh_bench_socks5_greet (int fd, guint8 method);

/* The longest CONNECT request: one with a 255-byte domain name. */
#define FH_BENCH_SOCKS5_REQUEST_MAX (7 + 255)

/* Writes into @buf (FH_BENCH_SOCKS5_REQUEST_MAX bytes) the CONNECT
 * request to @host (at most 255 bytes) as a domain name (ATYP 3, as `curl
 * --socks5-hostname` sends it), port @port; returns its length. */
gsize fh_bench_socks5_connect_request (guint8 *buf, const gchar *host, guint16 port);

/* Sends the CONNECT request to @host:@port and reads the reply: TRUE on
 * success with an IPv4 bound address (10 bytes, as microsocks and tor
 * answer). */
gboolean fh_bench_socks5_connect (int fd, const gchar *host, guint16 port);

/* A print handler that drops what the library's log would print. */
void fh_bench_discard_print (const gchar *text);

/* A context on @cfg (a tahoe.cfg text) with the plugins loaded; dies on a
 * config or plugin error, or when no plugin was found. */
FurlHintContext *fh_bench_make_context (const gchar *cfg);

/* For g_array_sort() of gint64 samples. */
gint fh_bench_cmp_gint64 (gconstpointer a, gconstpointer b);

/* Nearest-rank percentile @pct of @sorted (gint64 µs), in ms. */
gdouble fh_bench_percentile_ms (GArray *sorted, guint pct);
