/* bench-ttfb: see bench-ttfb.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>

#include "bench-common.h"
#include "bench-ttfb.h"

void
fh_bench_samples_init (FhBenchSamples *s)
{
  s->total_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  s->connect_us = g_array_new (FALSE, FALSE, sizeof (gint64));
}

void
fh_bench_samples_clear (FhBenchSamples *s)
{
  g_clear_pointer (&s->total_us, g_array_unref);
  g_clear_pointer (&s->connect_us, g_array_unref);
}

void
fh_bench_samples_add (FhBenchSamples *s, gint64 total_us, gint64 connect_us)
{
  g_array_append_val (s->total_us, total_us);
  g_array_append_val (s->connect_us, connect_us);
}

void
fh_bench_print_head (void)
{
  printf ("  %-32s %8s %8s %8s %8s   %8s\n", "side (ms)", "median", "p90", "min", "max",
          "connect");
}

void
fh_bench_print_row (const gchar *name, FhBenchSamples *s)
{
  g_array_sort (s->total_us, fh_bench_cmp_gint64);
  g_array_sort (s->connect_us, fh_bench_cmp_gint64);
  printf ("  %-32s %8.1f %8.1f %8.1f %8.1f   %8.1f\n", name,
          fh_bench_percentile_ms (s->total_us, 50), fh_bench_percentile_ms (s->total_us, 90),
          fh_bench_percentile_ms (s->total_us, 0), fh_bench_percentile_ms (s->total_us, 100),
          fh_bench_percentile_ms (s->connect_us, 50));
}

gdouble
fh_bench_ratio (FhBenchSamples *s, FhBenchSamples *ref, guint pct)
{
  g_array_sort (s->total_us, fh_bench_cmp_gint64);
  g_array_sort (ref->total_us, fh_bench_cmp_gint64);
  return fh_bench_percentile_ms (s->total_us, pct) / fh_bench_percentile_ms (ref->total_us, pct);
}

gchar *
fh_bench_load_average (void)
{
  gchar *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  /* "0.47 0.97 2.05 1/123 4567": the three averages. */
  for (guint i = 0, spaces = 0; text[i] != '\0'; i++)
    if (text[i] == ' ' && ++spaces == 3)
      text[i] = '\0';
  return text;
}
