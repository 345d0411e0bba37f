/* bench-common: what the benchmarks (bench-connect, bench-tor,
 * bench-scale) share — dying with a message, whole-buffer socket I/O for their bare
 * SOCKS5 clients, a context from a tahoe.cfg text, and percentiles.
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

/* A print handler that drops what the library's log would print. */
void fh_bench_discard_print (const gchar *text);

/* A context on @cfg (a tahoe.cfg text) with the plugins loaded; dies on a
 * config or plugin error, or when no plugin was found. */
FurlHintContext *fh_bench_make_context (const gchar *cfg);

/* For g_array_sort() of gint64 samples. */
gint fh_bench_cmp_gint64 (gconstpointer a, gconstpointer b);

/* Nearest-rank percentile @pct of @sorted (gint64 µs), in ms. */
gdouble fh_bench_percentile_ms (GArray *sorted, guint pct);
