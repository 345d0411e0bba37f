/* bench-common: see bench-common.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

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

int
fh_bench_reference_socket (guint16 port, guint timeout_s, const gchar *what)
{
  struct sockaddr_in sin = { 0 };
  struct timeval tv = { timeout_s, 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    fh_bench_die ("socket", NULL);
  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect (fd, (struct sockaddr *) &sin, sizeof sin) != 0)
    fh_bench_die (what, NULL);
  return fd;
}

gboolean
fh_bench_socks5_greet (int fd, guint8 method)
{
  guint8 greeting[3] = { 5, 1, method };
  guint8 rep[2];

  return fh_bench_send_all (fd, greeting, sizeof greeting) && fh_bench_recv_all (fd, rep, 2)
    && rep[0] == 5 && rep[1] == method;
}

gsize
fh_bench_socks5_connect_request (guint8 *buf, const gchar *host, guint16 port)
{
  size_t host_len = strlen (host);

  g_assert (host_len <= 255);
  buf[0] = 5;
  buf[1] = 1;
  buf[2] = 0;
  buf[3] = 3;
  buf[4] = (guint8) host_len;
  memcpy (buf + 5, host, host_len);
  buf[5 + host_len] = (guint8) (port >> 8);
  buf[6 + host_len] = (guint8) (port & 0xff);
  return 7 + host_len;
}

gboolean
fh_bench_socks5_connect (int fd, const gchar *host, guint16 port)
{
  guint8 req[FH_BENCH_SOCKS5_REQUEST_MAX];
  guint8 rep[10];
  gsize len = fh_bench_socks5_connect_request (req, host, port);

  return fh_bench_send_all (fd, req, len) && fh_bench_recv_all (fd, rep, sizeof rep)
    && rep[1] == 0 && rep[3] == 1;
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
