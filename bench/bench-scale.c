/* bench-scale: many concurrent connects, and a soak of sequential ones
 * (`make bench-scale`, `make bench-soak`; a benchmark, not a test; see
 * bench/README.md for how to read it).
 *
 * One accept server written here (a forked child: epoll, backlog 65535,
 * every connection kept until its client closes it) takes, for each N:
 *   raw floor:  N non-blocking connect() + one epoll, nothing else
 *   furlhint:   N furlhint_context_connect_async() on a GLib main loop,
 *               tcp plugin, all started at once
 *   Foolscap:   N connects through Foolscap's DefaultTCP hint handler on
 *               Twisted's epoll reactor (bench/foolscap_scale.py)
 * Each side runs in a process of its own, so that its peak RSS
 * (wait4()'s ru_maxrss) is its own; wall time runs from the first connect
 * started to the last one finished, the connections held open until then.
 * Best wall time of BENCH_SCALE_REPEAT runs (default 3), interleaved, so
 * drift in machine load hits every side alike. BENCH_SCALE_SIDES (e.g.
 * "furlhint") runs only the sides named (floor, furlhint, foolscap).
 *
 * Then the time to make a context that loads the four bundled plugins
 * (median of 200, each in a fresh context).
 *
 * --soak CYCLES: CYCLES sequential connect/close cycles through
 * furlhint_context_connect_async(), with the fd count (/proc/self/fd) and
 * RSS sampled every 10,000 (or every tenth) cycles; says whether both
 * stayed flat after the first sample (the warm-up).
 *
 * As root it runs in a private network namespace (tests/lab.c) where it
 * raises net.core.somaxconn and widens the ephemeral port range; nothing
 * but loopback is involved.
 *
 * Usage: bench-scale [--srcdir DIR] [N...]        (default N: 1000 10000)
 *        bench-scale --soak [CYCLES]              (default 100000)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* accept4(), pipe2(), wait4() */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <malloc.h>

#include <furlhint/furlhint.h>

#include "bench-common.h"
#include "lab.h"

extern char **environ;

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define DEFAULT_SOAK_CYCLES 100000
#define SOAK_SAMPLE_EVERY 10000
#define PLUGIN_LOAD_RUNS 200
/* Goals (bench/README.md). */
#define GOAL_FLOOR_RATIO 2.0
#define GOAL_RSS_MIB 25.0
#define GOAL_LINEAR 1.2
#define GOAL_PLUGIN_LOAD_MS 2.0
/* Soak: RSS growth from the warm-up sample to the last one that still
 * counts as flat. A leak of 8 bytes a cycle over 90,000 cycles is 700 KiB. */
#define SOAK_RSS_SLACK_KIB 256

typedef enum {
  SIDE_FLOOR,
  SIDE_FURLHINT,
  SIDE_FOOLSCAP,
  N_SIDES
} Side;

static const gchar *const side_names[N_SIDES] = {
  "raw floor (connect+epoll)",
  "furlhint async (tcp)",
  "Foolscap DefaultTCP/Twisted",
};

static const gchar *const side_args[N_SIDES] = { "floor", "furlhint", "foolscap" };

/* --- the accept server (a forked child, no GLib) -------------------------- */

static G_GNUC_NORETURN void
serve (int listen_fd)
{
  struct epoll_event ev = { 0 }, events[256];
  int ep = epoll_create1 (EPOLL_CLOEXEC);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  if (ep < 0 || epoll_ctl (ep, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
    _exit (2);
  for (;;)
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), -1);

      for (int i = 0; i < n; i++)
        {
          int fd = events[i].data.fd;

          if (fd == listen_fd)
            {
              int c;

              while ((c = accept4 (listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
                {
                  ev.events = EPOLLIN | EPOLLRDHUP;
                  ev.data.fd = c;
                  if (epoll_ctl (ep, EPOLL_CTL_ADD, c, &ev) != 0)
                    close (c);
                }
            }
          else
            {
              char buf[256];

              /* Nothing is ever sent: anything readable is the client's
               * FIN (or a reset). */
              if (read (fd, buf, sizeof buf) <= 0)
                close (fd);
            }
        }
    }
}

static pid_t
server_start (guint16 *port)
{
  struct sockaddr_in sin = { 0 };
  socklen_t len = sizeof sin;
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  pid_t pid;

  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
      || bind (fd, (struct sockaddr *) &sin, sizeof sin) != 0
      || listen (fd, 65535) != 0
      || getsockname (fd, (struct sockaddr *) &sin, &len) != 0)
    fh_bench_die ("accept server", NULL);
  *port = ntohs (sin.sin_port);
  pid = fork ();
  if (pid < 0)
    fh_bench_die ("fork", NULL);
  if (pid == 0)
    serve (fd);
  close (fd);
  return pid;
}

/* --- sides (each in a process of its own) ---------------------------------- */

/* This process's user + system time: on a machine shared with other work
 * the wall time counts the time others had the CPU, this does not. */
static gint64
cpu_time_us (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC
         + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int
side_floor (guint16 port, guint n)
{
  struct sockaddr_in sin = { 0 };
  struct epoll_event ev = { 0 }, events[256];
  int *fds = g_new (int, n);
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  guint done = 0, failed = 0;
  gint64 t0, t1, c0;

  sin.sin_family = AF_INET;
  sin.sin_port = htons (port);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);

  c0 = cpu_time_us ();
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      fds[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fds[i] < 0)
        fh_bench_die ("socket", NULL);
      if (connect (fds[i], (struct sockaddr *) &sin, sizeof sin) == 0)
        {
          done++;
          continue;
        }
      if (errno != EINPROGRESS)
        {
          done++;
          failed++;
          continue;
        }
      ev.events = EPOLLOUT;
      ev.data.u32 = i;
      if (epoll_ctl (ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
        fh_bench_die ("epoll_ctl", NULL);
    }
  while (done < n)
    {
      int k = epoll_wait (ep, events, G_N_ELEMENTS (events), 30000);

      if (k <= 0)
        fh_bench_die ("epoll_wait (timed out)", NULL);
      for (int j = 0; j < k; j++)
        {
          int fd = fds[events[j].data.u32];
          int err = 0;
          socklen_t len = sizeof err;

          getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len);
          epoll_ctl (ep, EPOLL_CTL_DEL, fd, NULL);
          if (err != 0)
            failed++;
          done++;
        }
    }
  t1 = g_get_monotonic_time ();
  printf ("cpu-us %" G_GINT64_FORMAT "\n", cpu_time_us () - c0);
  printf ("wall-us %" G_GINT64_FORMAT "\nconnected %u\nfailed %u\n", t1 - t0, n - failed, failed);
  for (guint i = 0; i < n; i++)
    close (fds[i]);
  close (ep);
  g_free (fds);
  return 0;
}

static FurlHintFurl *
make_furl (guint16 port)
{
  GError *error = NULL;
  gchar *text = g_strdup_printf ("pb://%s@tcp:127.0.0.1:%u/swiss", TUB, port);
  FurlHintFurl *furl = furlhint_furl_parse (text, &error);

  if (furl == NULL)
    fh_bench_die ("FURL", error);
  g_free (text);
  return furl;
}

typedef struct {
  FurlHintContext *ctx;
  guint done;
  guint failed;
  GPtrArray *streams;          /* (element-type GIOStream) kept open */
  gchar *first_error;
} Burst;

static void
burst_connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Burst *b = user_data;
  GError *error = NULL;
  FurlHintConnectResult *result = furlhint_context_connect_finish (b->ctx, res, &error);

  b->done++;
  if (error != NULL)
    {
      b->failed++;
      if (b->first_error == NULL)
        b->first_error = g_strdup (error->message);
      g_error_free (error);
    }
  else
    g_ptr_array_add (b->streams, furlhint_connect_result_steal_stream (result));
  furlhint_connect_result_unref (result);
}

static int
side_furlhint (guint16 port, guint n)
{
  Burst b = { 0 };
  FurlHintFurl *furl = make_furl (port);
  gint64 t0, t1, c0;

  b.ctx = fh_bench_make_context ("");
  b.streams = g_ptr_array_new_full (n, g_object_unref);
  c0 = cpu_time_us ();
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    furlhint_context_connect_async (b.ctx, furl, NULL, NULL, burst_connected_cb, &b);
  while (b.done < n)
    g_main_context_iteration (NULL, TRUE);
  t1 = g_get_monotonic_time ();
  printf ("cpu-us %" G_GINT64_FORMAT "\n", cpu_time_us () - c0);
  printf ("wall-us %" G_GINT64_FORMAT "\nconnected %u\nfailed %u\n", t1 - t0, n - b.failed, b.failed);
  if (b.first_error != NULL)
    printf ("error %s\n", b.first_error);
  g_ptr_array_unref (b.streams);
  g_free (b.first_error);
  furlhint_furl_unref (furl);
  furlhint_context_unref (b.ctx);
  return 0;
}

/* Current (not peak) RSS in KiB. */
static guint64
current_rss_kib (void)
{
  gchar *text = NULL;
  guint64 pages = 0;

  if (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL))
    {
      gchar **fields = g_strsplit (text, " ", 3);
      if (fields[0] != NULL && fields[1] != NULL)
        pages = g_ascii_strtoull (fields[1], NULL, 10);
      g_strfreev (fields);
    }
  g_free (text);
  return pages * (guint64) sysconf (_SC_PAGESIZE) / 1024;
}

static int
side_soak (guint16 port, guint cycles)
{
  Burst b = { 0 };
  FurlHintFurl *furl = make_furl (port);
  guint every = MIN (SOAK_SAMPLE_EVERY, MAX (cycles / 10, 1));
  guint fds_warm = 0, fds_max = 0;
  guint64 rss_warm = 0, rss_last = 0;
  gboolean fds_flat = TRUE;
  gint64 t0 = g_get_monotonic_time ();

  b.ctx = fh_bench_make_context ("");
  b.streams = g_ptr_array_new_with_free_func (g_object_unref);
  printf ("  %9s %6s %10s %9s\n", "cycles", "fds", "RSS (KiB)", "elapsed");
  for (guint i = 1; i <= cycles; i++)
    {
      GIOStream *stream;

      furlhint_context_connect_async (b.ctx, furl, NULL, NULL, burst_connected_cb, &b);
      while (b.done < i)
        g_main_context_iteration (NULL, TRUE);
      if (b.failed > 0)
        {
          fprintf (stderr, "bench-soak: cycle %u failed: %s\n", i, b.first_error);
          return 1;
        }
      stream = g_ptr_array_steal_index_fast (b.streams, 0);
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
      /* What the cancelled and closed leave behind runs now, as a node's
       * main loop would run it, before the next sample. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (i % every == 0)
        {
          guint fds = lab_count_open_fds ();
          guint64 rss = current_rss_kib ();

          printf ("  %9u %6u %10" G_GUINT64_FORMAT " %8.1fs\n", i, fds, rss,
                  (g_get_monotonic_time () - t0) / 1e6);
          fflush (stdout);
          if (i == every)
            {
              fds_warm = fds;
              rss_warm = rss;
            }
          else if (fds != fds_warm)
            fds_flat = FALSE;
          fds_max = MAX (fds_max, fds);
          rss_last = rss;
        }
    }
  printf ("fd count: %s (%u after warm-up, at most %u)\n",
          fds_flat ? "FLAT" : "GROWS", fds_warm, fds_max);
  printf ("RSS: %s (%+" G_GINT64_FORMAT " KiB from the warm-up sample to the last, "
          "%.2f bytes a cycle; flat means at most %d KiB)\n",
          rss_last <= rss_warm + SOAK_RSS_SLACK_KIB ? "FLAT" : "GROWS",
          (gint64) rss_last - (gint64) rss_warm,
          cycles > every ? ((gdouble) rss_last - (gdouble) rss_warm) * 1024 / (cycles - every) : 0.0,
          SOAK_RSS_SLACK_KIB);
  g_ptr_array_unref (b.streams);
  furlhint_furl_unref (furl);
  furlhint_context_unref (b.ctx);
  return fds_flat && rss_last <= rss_warm + SOAK_RSS_SLACK_KIB ? 0 : 1;
}

static int
side_plugin_load (void)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_data ("", -1, "bench.cfg", &error);
  GArray *us = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 first = 0;
  guint loaded = 0;

  if (config == NULL)
    fh_bench_die ("config", error);
  for (guint i = 0; i < PLUGIN_LOAD_RUNS; i++)
    {
      gint64 t0 = g_get_monotonic_time (), t;
      FurlHintContext *ctx = furlhint_context_new (config);

      loaded = furlhint_context_load_plugins (ctx);
      t = g_get_monotonic_time () - t0;
      furlhint_context_unref (ctx);
      if (i == 0)
        first = t;
      g_array_append_val (us, t);
    }
  g_array_sort (us, fh_bench_cmp_gint64);
  printf ("plugins %u\nfirst-us %" G_GINT64_FORMAT "\nmedian-us %" G_GINT64_FORMAT "\n",
          loaded, first, g_array_index (us, gint64, us->len / 2));
  g_array_unref (us);
  furlhint_config_unref (config);
  return 0;
}

/* --- the driver ---------------------------------------------------------------- */

typedef struct {
  gint64 wall_us;              /* best of the runs; 0 for none */
  glong maxrss_kib;            /* the largest of the runs */
  gint64 cpu_us;               /* best CPU time (user + system) of the timed part */
  gchar *problem;              /* (owned) (nullable) why a run failed */
} Measure;

static gchar *
find_python (void)
{
  const gchar *candidates[] = { g_getenv ("PYTHON3"), "python3", "/usr/bin/python3" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      const gchar *argv[] = { candidates[i], "-c", "import foolscap.connections.tcp, twisted", NULL };
      gint status = 1;

      if (candidates[i] == NULL || *candidates[i] == '\0')
        continue;
      if (g_spawn_sync (NULL, (gchar **) argv, NULL,
                        G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                        NULL, NULL, NULL, NULL, &status, NULL)
          && g_spawn_check_wait_status (status, NULL))
        return g_strdup (candidates[i]);
    }
  return NULL;
}

/* Runs @argv (searched in PATH), returns its standard output as "key value"
 * lines in a table, its peak RSS in *@maxrss_kib; NULL with *@problem when
 * it failed. */
static GHashTable *
run_child (const gchar *const *argv, glong *maxrss_kib, gchar **problem)
{
  posix_spawn_file_actions_t actions;
  GString *out = g_string_new (NULL);
  GHashTable *kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  struct rusage ru = { 0 };
  int pipefd[2];
  pid_t pid;
  int status = 0;
  gchar buf[4096];
  ssize_t k;
  gchar **lines;

  if (pipe2 (pipefd, O_CLOEXEC) != 0)
    fh_bench_die ("pipe", NULL);
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, pipefd[1], STDOUT_FILENO);
  if (posix_spawnp (&pid, argv[0], &actions, NULL, (char *const *) argv, environ) != 0)
    fh_bench_die (argv[0], NULL);
  posix_spawn_file_actions_destroy (&actions);
  close (pipefd[1]);
  while ((k = read (pipefd[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
    if (k > 0)
      g_string_append_len (out, buf, k);
  close (pipefd[0]);
  while (wait4 (pid, &status, 0, &ru) < 0 && errno == EINTR)
    ;
  *maxrss_kib = ru.ru_maxrss;
  lines = g_strsplit (out->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *space = strchr (lines[i], ' ');
      if (space != NULL)
        g_hash_table_replace (kv, g_strndup (lines[i], space - lines[i]), g_strdup (space + 1));
    }
  g_strfreev (lines);
  g_string_free (out, TRUE);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    *problem = g_strdup_printf ("%s exited abnormally (status %d)", argv[0], status);
  else if (g_hash_table_lookup (kv, "wall-us") == NULL && g_hash_table_lookup (kv, "median-us") == NULL)
    *problem = g_strdup_printf ("%s printed no result", argv[0]);
  else if (g_hash_table_lookup (kv, "failed") != NULL
           && strcmp (g_hash_table_lookup (kv, "failed"), "0") != 0)
    *problem = g_strdup_printf ("%s connects failed (%s)",
                                (const gchar *) g_hash_table_lookup (kv, "failed"),
                                g_hash_table_lookup (kv, "error") != NULL
                                ? (const gchar *) g_hash_table_lookup (kv, "error") : "?");
  if (*problem != NULL)
    {
      g_hash_table_unref (kv);
      return NULL;
    }
  return kv;
}

static void
measure (Measure *m, Side side, const gchar *self, const gchar *python,
         const gchar *srcdir, guint16 port, guint n)
{
  gchar port_text[8], n_text[16];
  gchar *script = g_build_filename (srcdir, "foolscap_scale.py", NULL);
  const gchar *self_argv[] = { self, "--side", side_args[side], port_text, n_text, NULL };
  const gchar *py_argv[] = { python, script, port_text, n_text, NULL };
  glong maxrss = 0;
  gchar *problem = NULL;
  GHashTable *kv;

  g_snprintf (port_text, sizeof port_text, "%u", port);
  g_snprintf (n_text, sizeof n_text, "%u", n);
  kv = run_child (side == SIDE_FOOLSCAP ? py_argv : self_argv, &maxrss, &problem);
  g_free (script);
  if (kv == NULL)
    {
      if (m->problem == NULL)
        m->problem = problem;
      else
        g_free (problem);
      return;
    }
  {
    gint64 wall = g_ascii_strtoll (g_hash_table_lookup (kv, "wall-us"), NULL, 10);
    gint64 cpu = g_ascii_strtoll (g_hash_table_lookup (kv, "cpu-us"), NULL, 10);

    if (m->wall_us == 0 || wall < m->wall_us)
      m->wall_us = wall;
    if (m->cpu_us == 0 || cpu < m->cpu_us)
      m->cpu_us = cpu;
  }
  m->maxrss_kib = MAX (m->maxrss_kib, maxrss);
  g_hash_table_unref (kv);
  /* Let the server take the closes in before the next side connects. */
  g_usleep (200 * 1000);
}

static void
write_sysctl (const gchar *path, const gchar *value)
{
  /* Not g_file_set_contents(): /proc/sys takes a write to the file itself. */
  FILE *f = fopen (path, "w");

  if (f == NULL || fputs (value, f) < 0 || fclose (f) != 0)
    fprintf (stderr, "bench-scale: cannot set %s to %s: %s\n", path, value, g_strerror (errno));
}

/* Each side holds its N sockets at once (the server is another process). */
static void
raise_fd_limit (guint n)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) n + 256;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
    return;
  if (rl.rlim_max < want && geteuid () == 0)
    {
      struct rlimit raised = { want, want };
      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        return;
    }
  rl.rlim_cur = MIN (want, rl.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
    fprintf (stderr, "bench-scale: the fd limit is %lu, %lu wanted: large N will fail\n",
             (unsigned long) rl.rlim_cur, (unsigned long) want);
}

static const gchar *
goal (gboolean met)
{
  return met ? "met" : "NOT met";
}

int
main (int argc, char **argv)
{
  const gchar *srcdir = ".";
  const gchar *self = "/proc/self/exe";
  gchar *self_path;
  GArray *ns = g_array_new (FALSE, FALSE, sizeof (guint));
  guint repeat = 3, soak = 0, max_n = 0;
  gboolean netns = FALSE;
  gchar *python;
  gchar **sides = NULL;
  guint16 port;
  pid_t server;
  Measure *m;

  g_set_prgname ("bench-scale");
  if (argc == 5 && strcmp (argv[1], "--side") == 0)
    {
      guint16 p = (guint16) g_ascii_strtoull (argv[3], NULL, 10);
      guint n = (guint) g_ascii_strtoull (argv[4], NULL, 10);

      if (strcmp (argv[2], "floor") == 0)
        return side_floor (p, n);
      if (strcmp (argv[2], "furlhint") == 0)
        return side_furlhint (p, n);
      if (strcmp (argv[2], "soak") == 0)
        return side_soak (p, n);
      fh_bench_die ("unknown side", NULL);
    }
  if (argc == 2 && strcmp (argv[1], "--plugin-load") == 0)
    return side_plugin_load ();

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--srcdir") == 0 && i + 1 < argc)
        srcdir = argv[++i];
      else if (strcmp (argv[i], "--soak") == 0)
        soak = DEFAULT_SOAK_CYCLES;
      else
        {
          guint n = (guint) g_ascii_strtoull (argv[i], NULL, 10);
          if (n == 0)
            {
              fprintf (stderr, "usage: bench-scale [--srcdir DIR] [N...] | --soak [CYCLES]\n");
              return 2;
            }
          if (soak > 0)
            soak = n;
          else
            g_array_append_val (ns, n);
        }
    }
  if (ns->len == 0)
    {
      guint defaults[] = { 1000, 10000 };
      g_array_append_vals (ns, defaults, G_N_ELEMENTS (defaults));
    }
  if (g_getenv ("BENCH_SCALE_REPEAT") != NULL)
    repeat = MAX (1, (guint) g_ascii_strtoull (g_getenv ("BENCH_SCALE_REPEAT"), NULL, 10));
  for (guint i = 0; i < ns->len; i++)
    max_n = MAX (max_n, g_array_index (ns, guint, i));

  if (geteuid () == 0)
    netns = lab_enter_private_netns ();
  lab_set_watchdog (0);
  if (netns)
    {
      /* Per network namespace: the host's settings stay as they are. */
      write_sysctl ("/proc/sys/net/core/somaxconn", "65535");
      write_sysctl ("/proc/sys/net/ipv4/tcp_max_syn_backlog", "65535");
      write_sysctl ("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535");
    }
  raise_fd_limit (soak > 0 ? 1024 : max_n);
  /* The sides re-run this program; under libtool's wrapper /proc/self/exe
   * is the real binary, and the environment the wrapper set is inherited. */
  self_path = g_file_read_link (self, NULL);
  if (self_path != NULL)
    self = self_path;
  server = server_start (&port);

  if (soak > 0)
    {
      gchar port_text[8], n_text[16];
      const gchar *soak_argv[] = { self, "--side", "soak", port_text, n_text, NULL };
      struct rusage ru = { 0 };
      pid_t pid;
      int status = 0;

      printf ("bench-soak: %u sequential connect/close cycles through "
              "furlhint_context_connect_async() (tcp plugin)%s\n", soak,
              netns ? ", private network namespace" : ", host loopback (not root)");
      fflush (stdout);
      g_snprintf (port_text, sizeof port_text, "%u", port);
      g_snprintf (n_text, sizeof n_text, "%u", soak);
      /* The side prints its samples itself, straight to our stdout. */
      if (posix_spawn (&pid, self, NULL, NULL, (char *const *) soak_argv, environ) != 0)
        fh_bench_die ("spawn", NULL);
      while (wait4 (pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
      printf ("peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
      kill (server, SIGKILL);
      waitpid (server, NULL, 0);
      return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
    }

  /* BENCH_SCALE_SIDES="furlhint floor": only these (e.g. under a profiler). */
  if (g_getenv ("BENCH_SCALE_SIDES") != NULL)
    sides = g_strsplit (g_getenv ("BENCH_SCALE_SIDES"), " ", -1);
  python = find_python ();
  m = g_new0 (Measure, ns->len * N_SIDES);
  for (guint r = 0; r < repeat; r++)
    for (guint i = 0; i < ns->len; i++)
      for (guint s = 0; s < N_SIDES; s++)
        {
          if ((s == SIDE_FOOLSCAP && python == NULL)
              || (sides != NULL && !g_strv_contains ((const gchar *const *) sides, side_args[s])))
            continue;
          measure (&m[i * N_SIDES + s], (Side) s, self, python, srcdir, port,
                   g_array_index (ns, guint, i));
        }
  kill (server, SIGKILL);
  waitpid (server, NULL, 0);

  printf ("bench-scale: N concurrent connects to one C accept server (backlog 65535)%s; "
          "best of %u runs, each side its own process\n", netns
          ? ", private network namespace, somaxconn 65535" : ", host loopback (not root: host somaxconn)",
          repeat);
  if (python == NULL)
    printf ("  (no python3 with foolscap and twisted: Foolscap skipped; Debian: python3-foolscap)\n");
  printf ("  %-28s %6s %10s %12s %13s %14s\n", "side", "N", "wall (ms)", "µs/connect", "peak RSS MiB",
          "CPU ms");
  for (guint i = 0; i < ns->len; i++)
    for (guint s = 0; s < N_SIDES; s++)
      {
        Measure *x = &m[i * N_SIDES + s];
        guint n = g_array_index (ns, guint, i);

        if (x->problem != NULL)
          printf ("  %-28s %6u  FAILED: %s\n", side_names[s], n, x->problem);
        else if (x->wall_us > 0)
          printf ("  %-28s %6u %10.1f %12.2f %13.1f %14.1f\n", side_names[s], n, x->wall_us / 1000.0,
                  (gdouble) x->wall_us / n, x->maxrss_kib / 1024.0, x->cpu_us / 1000.0);
      }
  printf ("ratios (wall time)       %6s %14s %17s %16s\n", "N", "furlhint/floor", "furlhint/Foolscap",
          "CPU: fh/floor");
  for (guint i = 0; i < ns->len; i++)
    {
      Measure *x = &m[i * N_SIDES];
      gdouble fl = x[SIDE_FLOOR].wall_us, fh = x[SIDE_FURLHINT].wall_us, fs = x[SIDE_FOOLSCAP].wall_us;

      printf ("                         %6u %13.2fx", g_array_index (ns, guint, i), fl > 0 ? fh / fl : 0);
      if (fs > 0)
        printf (" %16.2fx", fh / fs);
      else
        printf (" %17s", "-");
      printf (" %15.2fx\n", x[SIDE_FLOOR].cpu_us > 0 ? (gdouble) x[SIDE_FURLHINT].cpu_us / x[SIDE_FLOOR].cpu_us : 0);
    }
  if (ns->len >= 2)
    {
      guint lo = 0, hi = 0;

      for (guint i = 0; i < ns->len; i++)
        {
          if (g_array_index (ns, guint, i) < g_array_index (ns, guint, lo))
            lo = i;
          if (g_array_index (ns, guint, i) > g_array_index (ns, guint, hi))
            hi = i;
        }
      printf ("per-connect cost at %u / at %u (1.0 = linear):", g_array_index (ns, guint, hi),
              g_array_index (ns, guint, lo));
      for (guint s = 0; s < N_SIDES; s++)
        {
          Measure *a = &m[lo * N_SIDES + s], *b = &m[hi * N_SIDES + s];
          if (a->wall_us > 0 && b->wall_us > 0)
            printf ("  %s %.2f", side_args[s],
                    ((gdouble) b->wall_us / g_array_index (ns, guint, hi))
                    / ((gdouble) a->wall_us / g_array_index (ns, guint, lo)));
        }
      printf ("\n");
      {
        Measure *fh = &m[hi * N_SIDES + SIDE_FURLHINT], *fl = &m[hi * N_SIDES + SIDE_FLOOR];
        Measure *fh_lo = &m[lo * N_SIDES + SIDE_FURLHINT];
        gdouble ratio = fl->wall_us > 0 ? (gdouble) fh->wall_us / fl->wall_us : 0;
        gdouble linear = fh_lo->wall_us > 0
          ? ((gdouble) fh->wall_us / g_array_index (ns, guint, hi))
            / ((gdouble) fh_lo->wall_us / g_array_index (ns, guint, lo)) : 0;

        printf ("goals at N=%u: furlhint/floor %.2fx <= %.1fx: %s; peak RSS %.1f MiB <= %.0f MiB: %s; "
                "cost %u/%u %.2f <= %.1f: %s\n", g_array_index (ns, guint, hi),
                ratio, GOAL_FLOOR_RATIO, goal (ratio > 0 && ratio <= GOAL_FLOOR_RATIO),
                fh->maxrss_kib / 1024.0, GOAL_RSS_MIB, goal (fh->maxrss_kib > 0 && fh->maxrss_kib / 1024.0 <= GOAL_RSS_MIB),
                g_array_index (ns, guint, hi), g_array_index (ns, guint, lo), linear, GOAL_LINEAR,
                goal (linear > 0 && linear <= GOAL_LINEAR));
      }
    }

  {
    const gchar *pl_argv[] = { self, "--plugin-load", NULL };
    glong maxrss = 0;
    gchar *problem = NULL;
    GHashTable *kv = run_child (pl_argv, &maxrss, &problem);

    if (kv == NULL)
      printf ("plugin load: FAILED: %s\n", problem);
    else
      {
        gdouble median_ms = g_ascii_strtoll (g_hash_table_lookup (kv, "median-us"), NULL, 10) / 1000.0;

        printf ("plugin load: context + %s bundled plugins, median of %d: %.3f ms (first: %.3f ms); "
                "goal < %.0f ms: %s\n", (const gchar *) g_hash_table_lookup (kv, "plugins"),
                PLUGIN_LOAD_RUNS, median_ms,
                g_ascii_strtoll (g_hash_table_lookup (kv, "first-us"), NULL, 10) / 1000.0,
                GOAL_PLUGIN_LOAD_MS, goal (median_ms < GOAL_PLUGIN_LOAD_MS));
        g_hash_table_unref (kv);
      }
    g_free (problem);
  }

  for (guint i = 0; i < ns->len * N_SIDES; i++)
    g_free (m[i].problem);
  g_free (m);
  g_free (python);
  g_strfreev (sides);
  g_free (self_path);
  g_array_unref (ns);
  return 0;
}
