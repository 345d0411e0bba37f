/* Foolscap itself with furlhint's hint handlers (python/furlhint_foolscap.py):
 * two real Foolscap 21.7 Tubs (tests/foolscap-tubs.py, run by
 * tests/lab-foolscap.c) on loopback, in a private network namespace
 * (tests/lab.c); the client's handlers are
 * furlhint's, and a callRemote comes back over direct TCP and through a
 * real SOCKS proxy (microsocks). In anonymous mode the clear hint is
 * refused by furlhint's policy, in furlhint's words. A connect Foolscap
 * cancels (another hint won) ends at once, and the handler's context is
 * finalised when the reactor shuts down (a tor it launched is stopped,
 * its data directory removed). Through the private
 * Tor network to a Tub behind an onion service: tests/test-tornet.c.
 *
 * Needs introspection and a python3 with PyGObject and Foolscap; skipped,
 * saying why, without them and in a sanitizer build (as
 * tests/test-gi-python.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-foolscap.h"

/* Only microsocks can resolve it (lab_spawn_isolated()): a connection to
 * it went through the proxy. */
#define LAB_NAME "tub.lab.test"

typedef struct {
  Lab *lab;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lab_free (f->lab);
}

/* Tahoe's defaults (no tahoe.cfg): direct TCP, chosen by furlhint. */
static void
test_direct (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  out = lab_foolscap_run (NULL, &status, "-", NULL);
  g_assert_cmpint (status, ==, 0);
  lab_assert_contains (out, "handlers: i2p=furlhint, tcp=furlhint, tor=furlhint\n");
  lab_assert_contains (out, ": direct TCP to 127.0.0.1:");
  lab_assert_contains (out, "echo: through furlhint\n");
  lab_assert_contains (out, ": successful\n");
}

/* `[connections] tcp.socks-proxy`: the hint names a host only microsocks
 * can resolve, so the round trip proves the proxy carried it. */
static void
test_socks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *port_text = NULL;
  guint16 port;
  LabProc *proxy;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  port_text = g_strdup_printf ("%u", port);
  {
    const gchar *argv[] = { "microsocks", "-i", "127.0.0.1", "-p", port_text, NULL };

    proxy = lab_spawn_isolated (f->lab, "microsocks", "127.0.0.1 " LAB_NAME "\n", argv, &error);
    g_assert_no_error (error);
  }
  lab_wait_port (proxy, "127.0.0.1", port, LAB_WAIT_PORT_MS, &error);
  g_assert_no_error (error);
  cfg_text = g_strdup_printf ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:%u\n", port);
  cfg = lab_write_file (f->lab, "tahoe.cfg", cfg_text);

  out = lab_foolscap_run (NULL, &status, cfg, "--hint-host", LAB_NAME, NULL);
  g_assert_cmpint (status, ==, 0);
  lab_assert_contains (out, "route tcp:" LAB_NAME ":");
  lab_assert_contains (out, "(furlhint, proxied)\n");
  lab_assert_contains (out, "echo: through furlhint\n");
}

/* Anonymous mode without Tor: furlhint's policy refuses the clear hint
 * (Foolscap's own TCP handler is gone), and no connection is made. */
static void
test_anonymous (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  out = lab_foolscap_run (NULL, &status, "-", "--anonymous", NULL);
  g_assert_cmpint (status, ==, 1);
  lab_assert_contains (out, ": InvalidHintError: no route: anonymous mode forbids direct TCP");
  lab_assert_contains (out, "failed: NoLocationHintsError()\n");
  g_assert_null (strstr (out, "echo:"));
}

/* Well-formed v3 onion (valid checksum) that nobody publishes. */
#define ONION_DEAD "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"

/* Anonymous mode with Tor configured: the clear hint to an IP address is
 * one Tor cannot carry either, and furlhint's reason reaches Foolscap's
 * status once, under Foolscap's own "bad hint: " prefix. The onion hint
 * keeps the connection pending (Foolscap reports every hint's status only
 * then) until the configured SOCKS port, where nothing listens, refuses
 * it. */
static void
test_anonymous_not_tor_able (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *status_line = NULL;
  guint16 port, socks_port;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  socks_port = lab_free_port ("127.0.0.1");
  cfg_text = g_strdup_printf ("[node]\nanonymous = True\ntub.location =\n"
                              "[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                              socks_port);
  cfg = lab_write_file (f->lab, "tahoe.cfg", cfg_text);
  listen = g_strdup_printf ("tcp:%u:interface=127.0.0.1", port);
  location = g_strdup_printf ("tcp:127.0.0.1:%u,tor:" ONION_DEAD ":%u", port, port);
  out = lab_foolscap_run (NULL, &status, cfg, "--listen", listen, "--location", location,
                          NULL);
  g_assert_cmpint (status, ==, 1);
  status_line = g_strdup_printf ("status tcp:127.0.0.1:%u: bad hint: ignoring non-Tor-able "
                                 "ipaddr 127.0.0.1; anonymous mode reaches tcp: hints only "
                                 "through Tor\n", port);
  lab_assert_contains (out, status_line);
  lab_assert_contains (out, "status tor:" ONION_DEAD);
  g_assert_null (strstr (out, "server accepted"));
  g_assert_null (strstr (out, "echo:"));
}

/* The server's first hint is a black hole, its second the listener:
 * Foolscap connects to both at once, the listener wins, and Foolscap
 * cancels the connect still pending. The cancel reaches furlhint's
 * connect, which ends then: the script waits for the handler to have no
 * connect pending before it exits. Without it the connect would go on
 * until its timeout (FURLHINT_DEFAULT_TIMEOUT_MS, 2 minutes), and the
 * run's own bound (tests/lab-python.c) fails the test. */
static void
test_cancel_pending (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *hole_route = NULL;
  LabBlackHole *hole;
  guint16 port;
  gint64 t0;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  hole = lab_black_hole_new (f->lab, &error);
  g_assert_no_error (error);
  port = lab_free_port ("127.0.0.1");
  listen = g_strdup_printf ("tcp:%u:interface=127.0.0.1", port);
  location = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:127.0.0.1:%u",
                              lab_black_hole_get_port (hole), port);
  t0 = g_get_monotonic_time ();
  out = lab_foolscap_run (NULL, &status, "-", "--listen", listen, "--location", location,
                          NULL);
  g_test_message ("the Tubs ran for %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (status, ==, 0);
  hole_route = g_strdup_printf ("route tcp:127.0.0.1:%u: direct TCP to 127.0.0.1:%u",
                                lab_black_hole_get_port (hole),
                                lab_black_hole_get_port (hole));
  lab_assert_contains (out, hole_route);
  lab_assert_contains (out, "echo: through furlhint\n");
  lab_assert_contains (out, "furlhint: no connect pending\n");
}

/* `[tor] launch = true`: the handler's connecting context launches a tor
 * (a wrapper that records its arguments, then a real tor with the network
 * off, which never bootstraps) for the onion hint. The Tubs stop while
 * the connect waits for it, and when the reactor shuts down the handler
 * is closed: the context is finalised on its thread, which stops that tor
 * and removes its private data directory. A context that is never
 * finalised leaves the directory (the Tor state of the node) behind. */
static void
test_launch_closed (Fixture *f, gconstpointer data)
{
  g_autofree gchar *empty = NULL;
  g_autofree gchar *record = NULL;
  g_autofree gchar *script = NULL;
  g_autofree gchar *wrapper = NULL;
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *contents = NULL;
  g_auto(GStrv) words = NULL;
  const gchar *data_dir = NULL;
  GPid pid;
  gint64 deadline;
  guint16 port;
  gint status;

  if (!lab_foolscap_ready ())
    return;
  empty = lab_write_file (f->lab, "empty", "");
  record = g_build_filename (lab_get_dir (f->lab), "launched", NULL);
  script = g_strdup_printf ("#!/bin/sh\necho $$ \"$@\" > '%s.tmp' && mv '%s.tmp' '%s'\n"
                            "exec tor \"$@\" --DisableNetwork 1 --GeoIPFile '%s' "
                            "--GeoIPv6File '%s'\n", record, record, record, empty, empty);
  wrapper = lab_write_file (f->lab, "tor-wrapper", script);
  g_assert_cmpint (g_chmod (wrapper, 0755), ==, 0);
  cfg_text = g_strdup_printf ("[tor]\nlaunch = true\ntor.executable = %s\n", wrapper);
  cfg = lab_write_file (f->lab, "tahoe.cfg", cfg_text);
  port = lab_free_port ("127.0.0.1");
  listen = g_strdup_printf ("tcp:%u:interface=127.0.0.1", port);
  location = g_strdup_printf ("tor:" ONION_DEAD ":%u", port);

  out = lab_foolscap_run (NULL, &status, cfg, "--listen", listen, "--location", location,
                          "--until-file", record, NULL);
  g_assert_cmpint (status, ==, 0);
  lab_assert_contains (out, ": Tor (launched privately) ");
  lab_assert_contains (out, "until-file: ");

  g_assert_true (g_file_get_contents (record, &contents, NULL, NULL));
  words = g_strsplit (g_strstrip (contents), " ", -1);
  pid = (GPid) g_ascii_strtoll (words[0], NULL, 10);
  for (guint i = 0; words[i] != NULL; i++)
    if (strcmp (words[i], "--DataDirectory") == 0)
      data_dir = words[i + 1];
  g_assert_nonnull (data_dir);
  g_assert_true (g_str_has_prefix (data_dir, g_get_tmp_dir ()));
  g_assert_false (g_file_test (data_dir, G_FILE_TEST_EXISTS));
  /* Stopped by the plugin's fini (or, without it, by losing its owning
   * controller when the Python process exited): bounded. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (kill (pid, 0) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_cmpint (kill (pid, 0), ==, -1);
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/foolscap/direct", Fixture, NULL, setup, test_direct, teardown);
  g_test_add ("/foolscap/socks", Fixture, NULL, setup, test_socks, teardown);
  g_test_add ("/foolscap/anonymous", Fixture, NULL, setup, test_anonymous, teardown);
  g_test_add ("/foolscap/anonymous-not-tor-able", Fixture, NULL, setup,
              test_anonymous_not_tor_able, teardown);
  g_test_add ("/foolscap/cancel-pending", Fixture, NULL, setup, test_cancel_pending,
              teardown);
  g_test_add ("/foolscap/launch-closed", Fixture, NULL, setup, test_launch_closed, teardown);
  return g_test_run ();
}
