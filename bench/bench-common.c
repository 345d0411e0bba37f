/* bench-common: see bench-common.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "bench-common.h"

void
fh_bench_die (const gchar *what, const GError *error)
{
  fprintf (stderr, "%s: %s: %s\n", g_get_prgname (), what,
           error ? error->message : g_strerror (errno));
  exit (1);
}

gboolean
fh_bench_send_all (int fd, const void *buf, size_t len)
{
  return send (fd, buf, len, MSG_NOSIGNAL) == (ssize_t) len;
}

gboolean
fh_bench_recv_all (int fd, void *buf, size_t len)
{
  return recv (fd, buf, len, MSG_WAITALL) == (ssize_t) len;
}

void
fh_bench_discard_print (const gchar *text)
{
}

FurlHintContext *
fh_bench_make_context (const gchar *cfg)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_data (cfg, -1, "bench.cfg", &error);
  FurlHintContext *ctx;
  GPtrArray *errors;

  if (config == NULL)
    fh_bench_die ("config", error);
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  if (furlhint_context_load_plugins (ctx) == 0)
    {
      fprintf (stderr, "%s: no plugin loaded (FURLHINT_PLUGIN_DIR: the build's plugins/)\n",
               g_get_prgname ());
      exit (1);
    }
  errors = furlhint_context_get_plugin_errors (ctx);
  if (errors->len > 0)
    fh_bench_die ("plugins", g_ptr_array_index (errors, 0));
  return ctx;
}

gint
fh_bench_cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

gdouble
fh_bench_percentile_ms (GArray *sorted, guint pct)
{
  guint rank = (sorted->len * pct + 99) / 100;

  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, gint64, MAX (rank, 1) - 1) / 1000.0;
}
