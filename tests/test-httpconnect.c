/* The worked carrier example, end to end: docs/example-plugin/httpconnect.c
 * (built from that very file as tests/example/httpconnect.la) carries
 * `tcp:` hints through a real tinyproxy on loopback, in a private network
 * namespace (tests/lab.c). The built `furlhint` (FURLHINT_CLI) selects it
 * by `[connections] tcp = httpconnect` and by `--override tcp=httpconnect`,
 * and `connect --pipe` makes a round trip through the proxy to a socat
 * server that echoes one line; in anonymous mode it is never used, and `rank --explain`
 * says why. tinyproxy's own log (one "Request ... CONNECT" line per
 * tunnel) proves which connections went through it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "lab.h"
#include "lab-cli.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"

/* Every run of the command is bounded. */
#define RUN_TIMEOUT_MS 20000

typedef struct {
  Lab *lab;
  LabProc *proxy;
  guint16 proxy_port;
  guint16 echo_port;
  gchar *furl;                  /* (owned) pb://TUB@tcp:127.0.0.1:ECHO/swissnum */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *conf = NULL;
  g_autofree gchar *conf_path = NULL;

  lab_set_watchdog (60);
  f->lab = lab_new ();
  if (!lab_ready ())
    return;

  /* An echo server that answers one line and then closes: tinyproxy
   * ends a tunnel on the client's half-close, so the end of the answer
   * has to come from the peer (--idle-timeout 0 then waits for it). */
  f->echo_port = lab_free_port ("127.0.0.1");
  {
    g_autofree gchar *listen = g_strdup_printf ("TCP-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork",
                                                f->echo_port);
    const gchar *argv[] = { "socat", listen, "SYSTEM:head -n 1", NULL };
    LabProc *echo = lab_spawn (f->lab, "echo-line", argv, &error);

    g_assert_no_error (error);
    g_assert_true (lab_wait_port (echo, "127.0.0.1", f->echo_port, LAB_WAIT_PORT_MS, &error));
    g_assert_no_error (error);
  }
  f->furl = g_strdup_printf ("pb://" TUB "@tcp:127.0.0.1:%u/swissnum", f->echo_port);

  /* No ConnectPort line: tinyproxy then tunnels to any port. */
  f->proxy_port = lab_free_port ("127.0.0.1");
  conf = g_strdup_printf ("Port %u\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\n"
                          "LogLevel Info\nMaxClients 10\n", f->proxy_port);
  conf_path = lab_write_file (f->lab, "tinyproxy.conf", conf);
  {
    const gchar *argv[] = { "tinyproxy", "-d", "-c", conf_path, NULL };

    f->proxy = lab_spawn (f->lab, "tinyproxy", argv, &error);
    g_assert_no_error (error);
  }
  g_assert_true (lab_wait_port (f->proxy, "127.0.0.1", f->proxy_port, LAB_WAIT_PORT_MS, &error));
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lab_free (f->lab);
  g_free (f->furl);
}

/* Runs `$FURLHINT_CLI COMMAND --plugin-dir tests/example ARGS...` with
 * @input (nullable) on stdin. Bounded. */
static void
run_cli (LabCliRun *run,
         GBytes *input,
         const gchar *command,
         ...)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autofree gchar *example_dir = g_test_build_filename (G_TEST_BUILT, "example", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) command);
  g_ptr_array_add (argv, (gpointer) "--plugin-dir");
  g_ptr_array_add (argv, example_dir);
  va_start (ap, command);
  for (const gchar *a = va_arg (ap, const gchar *); a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  lab_cli_run (run, input, (const gchar *const *) argv->pdata, RUN_TIMEOUT_MS);
}

/* How many tunnels tinyproxy has opened so far. */
static guint
count_tunnels (Fixture *f)
{
  g_autofree gchar *log = lab_proc_read_log (f->proxy);
  guint n = 0;

  for (const gchar *p = log; (p = strstr (p, ": CONNECT 127.0.0.1:")) != NULL; p++)
    n++;
  return n;
}

static gchar *
write_config (Fixture *f, const gchar *extra)
{
  g_autofree gchar *text = g_strdup_printf ("%s[httpconnect]\nproxy = tcp:127.0.0.1:%u\n",
                                            extra, f->proxy_port);

  return lab_write_file (f->lab, "tahoe.cfg", text);
}

/* `connect --pipe --idle-timeout 0`: the line comes back through the
 * proxy, and the report names the carrier. */
static void
assert_round_trip (Fixture *f, const gchar *cfg, const gchar *override)
{
  g_autoptr(GBytes) input = g_bytes_new_static ("ping through the proxy\n", 23);
  g_autofree gchar *route = NULL;
  guint before = count_tunnels (f);
  LabCliRun run = { 0 };

  if (override != NULL)
    run_cli (&run, input, "connect", "--config", cfg, "--pipe", "--idle-timeout", "0",
             "--override", override, f->furl, NULL);
  else
    run_cli (&run, input, "connect", "--config", cfg, "--pipe", "--idle-timeout", "0",
             f->furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpmem (run.out, run.out_len, "ping through the proxy\n", 23);
  route = g_strdup_printf ("(httpconnect, proxied, HTTP CONNECT via proxy 127.0.0.1:%u to "
                           "127.0.0.1:%u", f->proxy_port, f->echo_port);
  lab_assert_contains (run.err, route);
  lab_cli_run_clear (&run);
  g_assert_cmpuint (count_tunnels (f), ==, before + 1);
}

/* `[connections] tcp = httpconnect` (in any letter case) selects it. */
static void
test_selected_by_config (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;

  if (!lab_ready ())
    return;
  cfg = write_config (f, "[connections]\ntcp = HTTPConnect\n");
  assert_round_trip (f, cfg, NULL);
}

/* Without `tcp = httpconnect` the carrier is configured but unused, and
 * --explain says so; `--override tcp=httpconnect` selects it for the
 * peer. */
static void
test_selected_by_override (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  cfg = write_config (f, "");

  run_cli (&run, NULL, "rank", "--explain", "--config", cfg, f->furl, NULL);
  g_assert_cmpint (run.status, ==, 0);
  lab_assert_contains (run.out, "carrier httpconnect (proxied): configured but not used for public "
                                "TCP hints: [connections] tcp = tcp; use it with tcp = httpconnect "
                                "or --override tcp=httpconnect");
  lab_cli_run_clear (&run);

  assert_round_trip (f, cfg, "tcp=httpconnect");
}

/* Anonymous mode: neither the setting nor an override makes furlhint use
 * a proxied carrier, nothing reaches the proxy, and --explain says why. */
static void
test_anonymous_never (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *onion_furl = NULL;
  guint before;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  cfg = write_config (f, "[node]\nanonymous = true\n[connections]\ntcp = httpconnect\n");
  before = count_tunnels (f);

  run_cli (&run, NULL, "rank", "--explain", "--config", cfg, f->furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lab_assert_contains (run.out, "[connections] tcp = httpconnect: NOT used: anonymous mode forbids "
                                "a proxied carrier (the 'httpconnect' plugin); public TCP hints go "
                                "nowhere");
  lab_assert_contains (run.out, "[connections] tcp = httpconnect is not used for this hint: "
                                "anonymous mode forbids a proxied carrier");
  lab_cli_run_clear (&run);

  run_cli (&run, NULL, "rank", "--config", cfg, "--override", "tcp=httpconnect", f->furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lab_assert_contains (run.out, "per-peer override tcp: httpconnect asks for a proxied route, which "
                                "anonymous mode forbids");
  lab_cli_run_clear (&run);

  run_cli (&run, NULL, "connect", "--config", cfg, "--timeout", "5", f->furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lab_cli_run_clear (&run);

  /* A hint to an onion name goes to Tor (here: not configured), never to
   * the configured carrier. */
  onion_furl = g_strdup_printf ("pb://" TUB "@tcp:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7"
                                "ngmcopnpyyd.onion:3457/swissnum");
  run_cli (&run, NULL, "rank", "--explain", "--config", cfg, onion_furl, NULL);
  lab_assert_contains (run.out, "is not used for this hint: its host belongs to the tor plugin's "
                                "network, which reaches it natively");
  lab_cli_run_clear (&run);

  g_assert_cmpuint (count_tunnels (f), ==, before);
}

/* The proxy's refusal and a proxy that is not there are coded failures
 * that say which proxy and what it answered. */
static void
test_failures (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *closed_furl = NULL;
  g_autofree gchar *down_cfg = NULL;
  g_autofree gchar *down_text = NULL;
  g_autofree gchar *expected = NULL;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  cfg = write_config (f, "[connections]\ntcp = httpconnect\n");
  closed_furl = g_strdup_printf ("pb://" TUB "@tcp:127.0.0.1:%u/swissnum",
                                 lab_free_port ("127.0.0.1"));
  run_cli (&run, NULL, "connect", "--config", cfg, "--timeout", "10", closed_furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  expected = g_strdup_printf ("HTTP proxy 127.0.0.1:%u refused CONNECT: \"HTTP/1.1 500 ",
                              f->proxy_port);
  lab_assert_contains (run.err, expected);
  lab_cli_run_clear (&run);

  down_text = g_strdup_printf ("[connections]\ntcp = httpconnect\n[httpconnect]\n"
                               "proxy = tcp:127.0.0.1:%u\n", lab_free_port ("127.0.0.1"));
  down_cfg = lab_write_file (f->lab, "down.cfg", down_text);
  run_cli (&run, NULL, "connect", "--config", down_cfg, "--timeout", "10", f->furl, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lab_assert_contains (run.err, "cannot connect to the proxy (is it running?)");
  lab_cli_run_clear (&run);
}

/* A proxy given by name would be looked up in DNS: refused at init, with
 * the setting and what is accepted. */
static void
test_bad_proxy (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;
  LabCliRun run = { 0 };

  if (!lab_ready ())
    return;
  cfg = lab_write_file (f->lab, "bad.cfg", "[httpconnect]\nproxy = tcp:proxy.example:8888\n");
  run_cli (&run, NULL, "check-config", cfg, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lab_assert_contains (run.err, "[httpconnect] proxy = tcp:proxy.example:8888: expected "
                                "tcp:ADDRESS:PORT with an IP address or localhost");
  lab_cli_run_clear (&run);
}

/* furlhint-plugin-check passes the example, configured and not (a
 * connect to an unconfigured plugin is answered, not crashed on). */
static void
test_plugin_check (Fixture *f, gconstpointer data)
{
  g_autofree gchar *dir = g_path_get_dirname (g_getenv ("FURLHINT_CLI"));
  g_autofree gchar *checker = g_build_filename (dir, "furlhint-plugin-check", NULL);
  g_autofree gchar *module = g_test_build_filename (G_TEST_BUILT, "example", "httpconnect.la", NULL);
  g_autofree gchar *cfg = NULL;

  if (!lab_ready ())
    return;
  cfg = write_config (f, "");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *out = NULL;
      g_autofree gchar *err = NULL;
      gint status = 0;
      const gchar *argv[] = { checker, module, NULL, NULL, NULL };

      if (i == 1)
        {
          argv[1] = "--config";
          argv[2] = cfg;
          argv[3] = module;
        }
      g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                    &status, &error);
      g_assert_no_error (error);
      g_test_message ("%s\n%s", out, err);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      lab_assert_contains (out, "checks, 0 failed");
    }
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/httpconnect/selected-by-config", Fixture, NULL, setup,
              test_selected_by_config, teardown);
  g_test_add ("/httpconnect/selected-by-override", Fixture, NULL, setup,
              test_selected_by_override, teardown);
  g_test_add ("/httpconnect/anonymous-never", Fixture, NULL, setup,
              test_anonymous_never, teardown);
  g_test_add ("/httpconnect/failures", Fixture, NULL, setup, test_failures, teardown);
  g_test_add ("/httpconnect/bad-proxy", Fixture, NULL, setup, test_bad_proxy, teardown);
  g_test_add ("/httpconnect/plugin-check", Fixture, NULL, setup, test_plugin_check, teardown);

  return g_test_run ();
}
