/* bench-ttfb: see bench-ttfb.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>

#include "bench-common.h"
#include "bench-ttfb.h"
#include "lab.h"

typedef struct {
  FurlHintContext *ctx;
  gboolean done;
  FurlHintConnectResult *result;
  GError *error;
} Connect;

static void
connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Connect *c = user_data;

  c->done = TRUE;
  c->result = furlhint_context_connect_finish (c->ctx, res, &c->error);
}

gint64
fh_bench_furlhint_echo (FurlHintContext *ctx, FurlHintFurl *furl, guint timeout_ms,
                        gint64 *connect_us, GError **error)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  Connect c = { ctx, };
  gint64 t0 = g_get_monotonic_time ();
  GError *io_error = NULL;
  GIOStream *stream;
  gchar byte = 'x';
  gsize n = 0;

  options.timeout_ms = timeout_ms;
  furlhint_context_connect_async (ctx, furl, &options, NULL, connected_cb, &c);
  if (!lab_iterate_until (&c.done, timeout_ms + 1000))
    fh_bench_die ("furlhint: the connect did not finish", NULL);
  if (c.error != NULL)
    {
      g_propagate_error (error, c.error);
      return -1;
    }
  *connect_us = g_get_monotonic_time () - t0;
  stream = furlhint_connect_result_get_stream (c.result);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (stream), &byte, 1, NULL, NULL,
                                  &io_error)
      || !g_input_stream_read_all (g_io_stream_get_input_stream (stream), &byte, 1, &n, NULL,
                                   &io_error))
    fh_bench_die ("furlhint: round trip", io_error);
  if (n != 1 || byte != 'x')
    fh_bench_die ("furlhint: the echo did not answer", NULL);
  t0 = g_get_monotonic_time () - t0;
  furlhint_connect_result_unref (c.result);
  return t0;
}

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
