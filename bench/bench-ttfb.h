/* bench-ttfb: what the time-to-first-byte benchmarks (bench-tor,
 * bench-i2p) share — furlhint's side of a round, samples of one side,
 * their table, the load average.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <furlhint/furlhint.h>

/* One connect of @furl on @ctx (bounded by @timeout_ms, on the thread's
 * default main context) and one byte through the echo server behind it:
 * µs from furlhint_context_connect_async() to the echoed byte,
 * *@connect_us until the connect finished; -1 with @error when the
 * connect failed. Dies when the echo does not answer. */
gint64 fh_bench_furlhint_echo (FurlHintContext *ctx, FurlHintFurl *furl, guint timeout_ms,
                               gint64 *connect_us, GError **error);

/* One side's samples, in µs: from nothing to the echoed byte, and until
 * the connect finished (the reference: the proxy's or bridge's reply). */
typedef struct {
  GArray *total_us;             /* (element-type gint64) */
  GArray *connect_us;           /* (element-type gint64) */
} FhBenchSamples;

void fh_bench_samples_init (FhBenchSamples *s);
void fh_bench_samples_clear (FhBenchSamples *s);
void fh_bench_samples_add (FhBenchSamples *s, gint64 total_us, gint64 connect_us);

/* The table: a head, then a row per side (median, p90, min, max of the
 * time to the first echo byte, and the median connect), in ms. */
void fh_bench_print_head (void);
void fh_bench_print_row (const gchar *name, FhBenchSamples *s);

/* Median of @s's time to the first echo byte over @ref's, at @pct. */
gdouble fh_bench_ratio (FhBenchSamples *s, FhBenchSamples *ref, guint pct);

/* The three load averages of /proc/loadavg ("?" when unreadable). */
gchar *fh_bench_load_average (void);
