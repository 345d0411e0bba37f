/* A small lab for integration tests that talk to real servers on loopback.
 *
 * How a test program uses it:
 *
 *   int
 *   main (int argc, char **argv)
 *   {
 *     lab_enter_private_netns ();     // FIRST, before g_test_init / any thread
 *     g_test_init (&argc, &argv, NULL);
 *     g_test_add ("/x/y", Fixture, NULL, setup, test_y, teardown);
 *     return g_test_run ();
 *   }
 *
 *   static void setup (Fixture *f, gconstpointer d) { f->lab = lab_new (); }
 *   static void teardown (Fixture *f, gconstpointer d) { lab_free (f->lab); }
 *   static void
 *   test_y (Fixture *f, gconstpointer d)
 *   {
 *     if (!lab_ready ())               // g_test_skip()s when no netns
 *       return;
 *     guint16 port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
 *     ...
 *   }
 *
 * What it guarantees:
 * - The program runs in a network namespace of its own with only `lo` (up):
 *   nothing can leave the machine, and a stray DNS lookup fails (the system
 *   resolver is unreachable) instead of leaking. Needs root (CAP_SYS_ADMIN);
 *   without it every test skips with the reason.
 * - Every process started with lab_spawn() is its own process group, gets
 *   SIGKILL when the test program dies (PR_SET_PDEATHSIG), and is killed by
 *   pid/process group by lab_stop(), lab_free(), at exit, and from a signal
 *   handler on abort (a failed assertion), SIGTERM, SIGINT and the watchdog.
 * - Every wait is bounded. A watchdog (alarm) ends the program after
 *   LAB_WATCHDOG_SECONDS (change it with lab_set_watchdog()).
 * - The output of each spawned process goes to a log file in the lab's
 *   temporary directory; when the test fails, lab_free() prints the logs
 *   with g_test_message(), and the abort handler writes them to stderr.
 *
 * Black holes: a TCP port whose SYNs are silently dropped (connect() hangs
 * until it times out). No iptables/netem here, so the lab listens with a
 * backlog of 0 and fills the accept queue with one connection it never
 * accepts; Linux drops further SYNs while the queue is full. Opening the
 * hole (lab_black_hole_open()) accepts the queued connection: the client's
 * next SYN retransmission (~1 s after its first SYN) then completes — a
 * "slow" route. (`ip route add blackhole` is no use on 127/8: the local
 * table wins, and a blackhole route fails connect() at once with EINVAL.)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_H
#define FURLHINT_TESTS_LAB_H

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define LAB_WATCHDOG_SECONDS 170

/* Default bound for waiting on a server to listen. */
#define LAB_WAIT_PORT_MS 10000

typedef struct _Lab Lab;
typedef struct _LabProc LabProc;
typedef struct _LabBlackHole LabBlackHole;

/* Call first in main(), before anything starts a thread: unshare(CLONE_NEWNET)
 * only moves the calling thread. Brings `lo` up, installs the kill-on-abort
 * signal handlers and the watchdog. Returns FALSE (and remembers why, for
 * lab_ready()) when the namespace cannot be made; never exits. */
gboolean lab_enter_private_netns (void);

/* In every test case: TRUE when the lab works; otherwise calls
 * g_test_skip() with the reason and returns FALSE. */
gboolean lab_ready (void);

/* Re-arm the watchdog: the program is killed (with its processes, logs
 * printed, exit status 99) @seconds from now. 0 disables it. */
void lab_set_watchdog (guint seconds);
/* Gives the watchdog @seconds more than it has left (a case that runs
 * again after a crash of a component outside the code under test). */
void lab_extend_watchdog (guint seconds);

/* A lab: a temporary directory and the processes started in it. */
Lab *lab_new (void);
/* Stops every process of the lab (bounded), closes its black holes, prints
 * the logs when the test failed, removes the directory. NULL is fine. */
void lab_free (Lab *lab);
const gchar *lab_get_dir (Lab *lab);
/* Writes @contents to a file @name in the lab's directory; returns its path
 * (transfer full). Aborts the test on I/O error. */
gchar *lab_write_file (Lab *lab, const gchar *name, const gchar *contents);

/* A TCP port nobody listens on at the moment, on @host ("127.0.0.1", "::1").
 * Inside the private namespace no one else takes it in the meantime. */
guint16 lab_free_port (const gchar *host);

/* Polls connect() to @host:@port every 20 ms until it succeeds (TRUE) or
 * @timeout_ms pass or @proc (nullable) exits (FALSE, @error says which and
 * quotes the process's log). */
gboolean lab_wait_port (LabProc *proc, const gchar *host, guint16 port,
                        guint timeout_ms, GError **error);

/* Waits until a unix socket at @path listens (not merely exists: its
 * file appears at bind(), before listen()), or @timeout_ms pass or @proc
 * (nullable) exits (FALSE, @error says which). */
gboolean lab_wait_unix_listener (LabProc *proc, const gchar *path,
                                 guint timeout_ms, GError **error);

/* Starts @argv (argv[0] looked up in PATH) with stdout+stderr in
 * LAB_DIR/@name.log, as its own process group. The lab owns the result. */
LabProc *lab_spawn (Lab *lab, const gchar *name, const gchar *const *argv,
                    GError **error);
/* Same, inside a private mount namespace (`unshare -m`) where /etc/hosts is
 * "127.0.0.1 localhost" plus @extra_hosts (nullable, /etc/hosts lines) and
 * /etc/resolv.conf names only 127.0.0.1:53, where nothing answers: a name
 * the hosts file does not know fails at once (for proxies: NXDOMAIN-like)
 * and no query can leave. Lets a test prove that a name was resolved by the
 * proxy: give the proxy "127.0.0.1 echo.lab.test"; the test process cannot
 * resolve it. */
LabProc *lab_spawn_isolated (Lab *lab, const gchar *name,
                             const gchar *extra_hosts,
                             const gchar *const *argv, GError **error);
GPid lab_proc_get_pid (LabProc *proc);
gboolean lab_proc_is_running (LabProc *proc);
/* How a process that is no longer running ended: "exited 1", "killed by
 * signal 11"; NULL while it runs (transfer full). */
gchar *lab_proc_describe_exit (LabProc *proc);
/* The process's log so far (transfer full, never NULL). */
gchar *lab_proc_read_log (LabProc *proc);
/* SIGTERM to the process group, wait up to 3 s, then SIGKILL, wait up to
 * 3 s. Idempotent; the LabProc stays valid (owned by the lab). */
void lab_stop (LabProc *proc);

/* `socat TCP-LISTEN:P,bind=HOST,reuseaddr,fork EXEC:cat` on a free port of
 * @host ("127.0.0.1" or "::1"); returns the port once it accepts
 * connections, 0 with @error otherwise. */
guint16 lab_echo_server_start (Lab *lab, const gchar *host, GError **error);

/* A black hole on 127.0.0.1 (see above); owned by the lab. */
LabBlackHole *lab_black_hole_new (Lab *lab, GError **error);
guint16 lab_black_hole_get_port (LabBlackHole *hole);
/* Make the hole a slow route: SYNs sent from now on (retransmissions
 * included) are answered. Call it from a timeout to delay a route. */
void lab_black_hole_open (LabBlackHole *hole);

/* Number of open file descriptors of this process (/proc/self/fd). */
guint lab_count_open_fds (void);
/* "3 -> socket:[1234]\n4 -> /dev/null\n..." for messages (transfer full). */
gchar *lab_list_fds (void);
/* GIO closes some sockets from an idle callback: iterate the thread-default
 * main context until at most @max fds are open or @timeout_ms pass.
 * Returns the final count. */
guint lab_wait_fds_at_most (guint max, guint timeout_ms);

/* How lab_assert_fds_back() compares. */
typedef enum {
  LAB_FDS_SAME,                 /* exactly @before */
  LAB_FDS_AT_MOST,              /* @before or fewer: a descriptor of the lab's own
                                 * set-up (a child watch's pidfd) may close meanwhile */
} LabFdsCount;

/* Once the caller has released what it held (result, context, fakes):
 * waits (up to 3 s: GIO closes some sockets from an idle) until the
 * process has at most @before descriptors open. More fails the test, as
 * fewer does with LAB_FDS_SAME; the test's log then lists the open ones. */
void lab_assert_fds_back (guint before, LabFdsCount count);

/* Iterate the thread-default main context until *@flag is TRUE or
 * @timeout_ms pass; returns *@flag. */
gboolean lab_iterate_until (const gboolean *flag, guint timeout_ms);

/* Fails the test, quoting @haystack, unless @needle is in it. */
void lab_assert_contains (const gchar *haystack, const gchar *needle);

G_END_DECLS

#endif
