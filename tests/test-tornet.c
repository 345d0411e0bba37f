/* The tor plugin end to end through a private Tor network on loopback
 * (docs/lab-notes.md, "A private Tor network"), inside a private network
 * namespace (tests/lab.c), so no tor can reach anything but 127.0.0.0/8.
 *
 * tests/lab-tornet.c starts the network (3 directory authorities, 2
 * relays, a client tor and an onion service in front of a socat echo
 * server, every tor killed by pid) and waits until it is ready. It is
 * started once, by the first test case, and shared; after 180 s the cases
 * fail with the client's and the onion service's log tails.
 *
 * Cases: a `tor:` onion hint via `tor.socks-proxy` and via control-port
 * discovery (cookie auth); `tcp = tor` through an exit; anonymous mode
 * with a dead onion (tier 0 fails) and a `tcp:` name hint carried by Tor
 * (tier 1 wins); stream isolation, seen in the client's stream-status: two
 * tub IDs → two circuits, also through a SocksPort with PreferSOCKSNoAuth
 * (which would pick "no authentication" if it were offered), and one tub
 * ID from two contexts (two node identities) → two circuits; publishing an
 * onion service through the client tor's control port (the tor plugin's
 * publish callbacks, a fresh key directory), reached by another context
 * through the network, withdrawn and published again at the same address;
 * the same end to end through the CLI: `furlhint listen` with the guide's
 * server use case 3 (Tor half) reached by `furlhint connect --pipe`, and
 * again at the same address after a restart; Foolscap itself: a callRemote
 * between two real Tubs (tests/foolscap-tubs.py), the server Tub behind the
 * network's onion service and the client's hint handlers furlhint's
 * (python/furlhint_foolscap.py) in anonymous mode, through `[tor]
 * socks.port` (the FURL also has a clear hint to the Tub's own port,
 * refused) and through `[tor] control.port`; the server Tub names the
 * onion service's tor as the other end of the one connection it accepted.
 * Every case checks that no socket of the namespace is bound or connected
 * outside 127.0.0.0/8.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-connect.h"
#include "lab-foolscap.h"
#include "lab-tornet.h"
#include "leakcheck/leakcheck.h"

#define TUB "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define TUB2 "x7bvf5wvsrnwu4zqh3cqzhhfpqqpiwpe"
/* Well-formed v3 onion (valid checksum) that nobody publishes here: the
 * HSDirs answer 404 and tor gives SOCKS reply 4 within a second. */
#define ONION_DEAD "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
/* The client's torrc maps it to 127.0.0.1 (a hint with a DNS name passes
 * the non-Tor-able address check and still reaches our echo server). */
#define MAPPED_NAME "echo.lab.test"
#define DEAD_STATUS "failed to connect: proxy refused: host unreachable (SOCKS reply 4)"

#define CONNECT_TIMEOUT_MS 30000
/* Readiness (≤ 180 s) + seven cases of a few seconds + publishing (two
 * publishes and uploads, each bounded at 120 s); the watchdog bounds the
 * worst case at 10 minutes. */
#define WATCHDOG_S 600

/* Why the network could not be used; it is stopped by then. */
static gchar *net_failed;

/* --- per-case fixture ------------------------------------------------------- */

typedef struct {
  FurlHintContext *ctx;
  LabStatuses statuses;
  FurlHintConnectResult *result;
  GError *error;
  guint fds_before;
  gboolean usable;
} Fixture;

static void
on_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  g_test_message ("log: %s", message);
}

static void
setup (Fixture *f, gconstpointer data)
{
  lab_statuses_init (&f->statuses);
  if (!lab_ready ())
    return;
  if (net_failed == NULL && !lab_tornet.started)
    {
      gchar *tor = g_find_program_in_path ("tor");
      gchar *gencert = g_find_program_in_path ("tor-gencert");
      gboolean have = tor != NULL && gencert != NULL;

      g_free (tor);
      g_free (gencert);
      if (!have)
        {
          g_test_skip ("tor and tor-gencert are not installed (Debian package tor)");
          return;
        }
      /* The lab's own I/O (waiting for ports, the onion service's control
       * port, the readiness probes through Tor) on this thread: exempt
       * from the leak checker; no library code runs in lab_tornet_start(). */
      leakcheck_suspend ();
      lab_tornet_start (NULL);
      leakcheck_resume ();
      if (lab_tornet.failure != NULL)
        {
          /* Kill every tor and remove the lab now (the tails are printed);
           * GLib ends the program after a failed case. */
          net_failed = g_steal_pointer (&lab_tornet.failure);
          lab_tornet_stop ();
        }
    }
  if (net_failed != NULL)
    {
      g_test_fail_printf ("%s", net_failed);
      return;
    }
  f->usable = TRUE;
  f->fds_before = lab_count_open_fds ();
}

static void
drop_context (Fixture *f)
{
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* An address of /proc/net/{tcp,udp}{,6}: hex, in the kernel's byte order
 * (0100007F:4E20 is 127.0.0.1:20000). A peer may be the wildcard (a
 * listener, an unconnected UDP socket); a local address may not. */
static gboolean
proc_net_addr_ok (const gchar *addr, gboolean peer)
{
  static const gchar v4_any[] = "00000000:";
  static const gchar v6_any[] = "00000000000000000000000000000000:";
  static const gchar v6_loopback[] = "00000000000000000000000001000000:";
  const gchar *colon = strchr (addr, ':');

  if (peer && (g_str_has_prefix (addr, v4_any) || g_str_has_prefix (addr, v6_any)))
    return TRUE;
  if (colon - addr == 8)
    return g_ascii_strncasecmp (addr + 6, "7F", 2) == 0;
  return g_str_has_prefix (addr, v6_loopback);
}

/* Every TCP and UDP socket of the namespace (ours and every tor's) is
 * bound to, and connected within, 127.0.0.0/8 or ::1. /proc/net/ shows
 * the whole namespace, not just this process. */
static void
assert_loopback_only (void)
{
  const gchar *files[] = { "/proc/net/tcp", "/proc/net/udp",
                           "/proc/net/tcp6", "/proc/net/udp6" };
  guint n_checked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      gchar *text = NULL;
      gchar **lines;

      /* Without IPv6 there are no *6 files (and no IPv6 sockets). */
      if (!g_file_get_contents (files[i], &text, NULL, NULL))
        {
          g_assert_true (i >= 2);
          continue;
        }
      lines = g_strsplit (text, "\n", -1);
      for (guint j = 1; lines[j] != NULL; j++)
        {
          gchar **fields = g_strsplit_set (g_strstrip (lines[j]), " ", -1);
          const gchar *addrs[2] = { NULL, NULL };
          guint k = 0;

          /* "sl: local remote st ...", with runs of spaces. */
          for (guint m = 1; fields[0] != NULL && fields[m] != NULL && k < 2; m++)
            if (strchr (fields[m], ':') != NULL)
              addrs[k++] = fields[m];
          for (guint a = 0; a < k; a++)
            {
              if (!proc_net_addr_ok (addrs[a], a == 1))
                g_error ("%s: a socket outside 127.0.0.0/8: %s", files[i], lines[j]);
              n_checked++;
            }
          g_strfreev (fields);
        }
      g_strfreev (lines);
      g_free (text);
    }
  /* At least the tors' own listeners were seen. */
  g_assert_cmpuint (n_checked, >=, 10);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  drop_context (f);
  if (f->usable)
    {
      lab_assert_fds_back (f->fds_before, LAB_FDS_SAME);
      assert_loopback_only ();
      if (g_test_failed ())
        lab_tornet_print_tails ();
    }
  lab_statuses_clear (&f->statuses);
}

static void
use_config (Fixture *f, const gchar *cfg)
{
  drop_context (f);
  g_ptr_array_set_size (f->statuses.lines, 0);
  f->ctx = lab_context_new (cfg, on_log, f);
  g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (f->ctx, "tor")));
}

/* Connects to pb://@tub@@hints/swiss and waits (bounded). */
static void
connect_furl (Fixture *f, const gchar *tub, const gchar *hints)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };

  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  g_clear_error (&f->error);
  options.timeout_ms = CONNECT_TIMEOUT_MS;
  options.status = lab_on_status;
  options.status_data = &f->statuses;
  f->result = lab_connect (f->ctx, tub, hints, &options, NULL, CONNECT_TIMEOUT_MS + 20000,
                           &f->error);
  g_test_message ("%s @ %s: %s after %u ms", tub, hints,
                  f->error != NULL ? f->error->message : "connected",
                  furlhint_connect_result_get_elapsed_ms (f->result));
}

/* The connect won through hint @hint_index in @tier via the tor plugin. */
static void
assert_won (Fixture *f, guint hint_index, guint tier, gboolean carried)
{
  const FurlHintPlanEntry *winner;

  g_assert_no_error (f->error);
  winner = furlhint_connect_result_get_winner (f->result);
  g_assert_nonnull (winner);
  g_assert_cmpuint (winner->hint_index, ==, hint_index);
  g_assert_cmpuint (winner->tier, ==, tier);
  g_assert_true (winner->routed);
  g_assert_cmpint (winner->carried, ==, carried);
  g_assert_cmpstr (furlhint_plugin_get_name (winner->plugin), ==, "tor");
  g_assert_cmpint (winner->anon_class, ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, hint_index), ==,
                   "connected");
}

/* --- cases ------------------------------------------------------------------- */

static void
test_onion_socks_proxy (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         lab_tornet.socks_port);
  hints = g_strdup_printf ("tor:%s:%u", lab_tornet.onion, lab_tornet.onion_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 0, 0, FALSE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==,
                   lab_tornet.onion);
  g_assert_cmpuint (furlhint_connect_result_get_winner (f->result)->target.port, ==,
                    lab_tornet.onion_port);
  g_assert_true (lab_statuses_has (&f->statuses, "0:connecting to a Tor"));
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello through the onion\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_onion_control_port (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", lab_tornet.control_port);
  /* Also as a `tcp:` hint to the .onion host: the tor plugin takes it. */
  hints = g_strdup_printf ("tcp:%s:%u", lab_tornet.onion, lab_tornet.onion_port);
  use_config (f, cfg);
  connect_furl (f, TUB2, hints);
  assert_won (f, 0, 0, FALSE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello via the control port\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_exit_tcp_tor (Fixture *f, gconstpointer data)
{
  gchar *cfg, *hints;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[connections]\ntcp = tor\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         lab_tornet.socks_port);
  /* Hint 0 is refused before any I/O (Foolscap: not Tor-able); hint 1 is
   * mapped to 127.0.0.1 by the client and exits there. */
  hints = g_strdup_printf ("tcp:127.0.0.1:%u,tcp:" MAPPED_NAME ":%u",
                           lab_tornet.echo_port, lab_tornet.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 1, 0, TRUE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==,
                   MAPPED_NAME);
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==,
                   "bad hint: ignoring non-Tor-able ipaddr 127.0.0.1; "
                   "[connections] tcp = tor carries tcp: hints over Tor");
  g_assert_false (lab_statuses_has (&f->statuses, "0:connecting"));
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello through an exit\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

static void
test_anonymous_fallback (Fixture *f, gconstpointer data)
{
  FurlHintPlan *plan;
  gchar *cfg, *hints;
  gint dead_at;
  guint n_routes = 0;

  if (!f->usable)
    return;
  cfg = g_strdup_printf ("[node]\nanonymous = true\n"
                         "[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         lab_tornet.socks_port);
  hints = g_strdup_printf ("tor:" ONION_DEAD ":%u,tcp:" MAPPED_NAME ":%u",
                           lab_tornet.onion_port, lab_tornet.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB2, hints);
  assert_won (f, 1, FURLHINT_TIER_TOR_FALLBACK, TRUE);
  g_assert_cmpstr (furlhint_connect_result_get_winner (f->result)->target.host, ==,
                   MAPPED_NAME);

  /* Tor's own answer for an onion nobody published (SOCKS reply 4), and
   * tier 1 started only after it. */
  g_assert_cmpstr (furlhint_connect_result_get_hint_status (f->result, 0), ==, DEAD_STATUS);
  dead_at = lab_statuses_find (&f->statuses, "0:" DEAD_STATUS);
  g_assert_cmpint (dead_at, >=, 0);
  g_assert_cmpint (lab_statuses_find (&f->statuses, "1:connecting"), >, dead_at);

  /* Never a clear or proxied route: every route is Tor. */
  plan = furlhint_connect_result_get_plan (f->result);
  g_assert_true (furlhint_plan_is_anonymous (plan));
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      g_test_message ("plan: %s", entry->description);
      if (!entry->routed)
        continue;
      n_routes++;
      g_assert_cmpint (entry->anon_class, ==, FURLHINT_ANON_ANONYMOUS);
      g_assert_cmpstr (furlhint_plugin_get_name (entry->plugin), ==, "tor");
      g_assert_cmpuint (entry->tier, ==, entry->hint_index == 0 ? 0 : 1);
    }
  g_assert_cmpuint (n_routes, ==, 2);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello from the anonymous fallback\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_free (hints);
  g_free (cfg);
}

/* --- publishing an onion service -------------------------------------------- */

/* Publishing through a private network: the descriptor upload to the
 * HSDirs takes seconds to tens of seconds (docs/lab-notes.md). */
#define PUBLISH_TIMEOUT_S 120
#define PUBLISH_PORT 3457

/* Publishes the onion service whose key lives in @key_dir through the tor
 * plugin of @ctx (the core's listener is not needed for it), forwarding
 * to the echo server; returns the hint and the publication. */
static gchar *
publish_onion (FurlHintContext *ctx, const gchar *key_dir, gboolean create_key,
               gpointer *publication, GError **error)
{
  FurlHintPublishArgs args = { sizeof args, };
  GHashTable *options = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *statuses = g_ptr_array_new_with_free_func (g_free);
  gchar *endpoint = g_strdup_printf ("onion:%u:hiddenServiceDir=%s", PUBLISH_PORT, key_dir);
  gchar *hint;

  args.endpoint = endpoint;
  args.kind = "onion";
  args.port = PUBLISH_PORT;
  args.key_path = key_dir;
  args.key_is_dir = TRUE;
  args.options = options;
  args.local_address = g_inet_socket_address_new_from_string ("127.0.0.1", lab_tornet.echo_port);
  args.create_key = create_key;
  hint = lab_publish (ctx, "tor", &args, PUBLISH_TIMEOUT_S * 1000, statuses, publication,
                      error);
  /* Every status, in order, before the result. */
  if (hint != NULL)
    {
      g_assert_cmpuint (statuses->len, ==, 3);
      g_assert_cmpstr (g_ptr_array_index (statuses, 0), ==, "connecting to a Tor control port");
      g_assert_cmpstr (g_ptr_array_index (statuses, 1), ==, "publishing onion service");
      g_assert_cmpstr (g_ptr_array_index (statuses, 2), ==, "published");
    }
  g_ptr_array_unref (statuses);
  g_object_unref (args.local_address);
  g_hash_table_unref (options);
  g_free (endpoint);
  return hint;
}

/* Subscribes @ctl to HS_DESC events, discarding those it has queued: tor
 * answers a command after every event it queued before it, so each event
 * read after this is newer (a withdrawn service's uploads cannot pass for
 * those of the service published next with its key). */
static void
watch_hs_desc (LabTorCtl *ctl)
{
  GError *error = NULL;

  g_assert_true (lab_tornet_ctl_command_ok (ctl, "SETEVENTS HS_DESC", &error));
  g_assert_no_error (error);
}

/* Waits (bounded) until the client tor has ended every upload of @hint's
 * descriptors it started ("650 HS_DESC UPLOAD ADDRESS AUTH HSDIR ...",
 * then UPLOADED or FAILED for the same HSDIR), with at least one
 * uploaded. Not just the first: a client asks one HSDir of its choice,
 * and one that still has a withdrawn service's descriptor sends it to
 * intro points that are gone. */
static void
wait_uploaded (LabTorCtl *ctl, const gchar *hint)
{
  gchar *id = g_strndup (hint + strlen ("tor:"), 56);
  /* HSDIR -> uploads not ended yet (two descriptors, the current and the
   * next time period's, may go to one HSDir) */
  GHashTable *pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint started = 0, uploaded = 0, failed = 0;
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;
  GError *error = NULL;

  while (started == 0 || uploaded == 0 || g_hash_table_size (pending) > 0)
    {
      gchar *line = lab_tornet_ctl_read_line (ctl, deadline, &error);
      gchar **f;

      if (line == NULL)
        g_error ("%s: %u upload(s) of its descriptors started, %u ended with "
                 "UPLOADED, %u with FAILED, %u not ended: %s", hint, started, uploaded,
                 failed, g_hash_table_size (pending), error->message);
      f = g_strsplit (line, " ", 7);
      if (g_strv_length (f) >= 6 && strcmp (f[0], "650") == 0
          && strcmp (f[1], "HS_DESC") == 0 && strcmp (f[3], id) == 0)
        {
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (pending, f[5]));

          if (strcmp (f[2], "UPLOAD") == 0)
            {
              g_hash_table_replace (pending, g_strdup (f[5]), GUINT_TO_POINTER (n + 1));
              started++;
            }
          else if (n > 0 && (strcmp (f[2], "UPLOADED") == 0 || strcmp (f[2], "FAILED") == 0))
            {
              if (n == 1)
                g_hash_table_remove (pending, f[5]);
              else
                g_hash_table_replace (pending, g_strdup (f[5]), GUINT_TO_POINTER (n - 1));
              if (f[2][0] == 'U')
                uploaded++;
              else
                failed++;
            }
        }
      g_strfreev (f);
      g_free (line);
    }
  g_test_message ("%s: %u upload(s) of its descriptors, %u failed", hint, started, failed);
  g_hash_table_unref (pending);
  g_free (id);
}

/* Connects to @hint until it works (a descriptor reaches the HSDirs one at
 * a time; the client may ask one that has none yet), bounded. */
static void
connect_until (Fixture *f, const gchar *hint)
{
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      connect_furl (f, TUB, hint);
      if (f->error == NULL || g_get_monotonic_time () > deadline)
        break;
      g_usleep (G_USEC_PER_SEC);
    }
  assert_won (f, 0, 0, FALSE);
}

static void
test_onion_publish (Fixture *f, gconstpointer data)
{
  FurlHintContext *pub_ctx;
  gpointer publication = NULL;
  GError *error = NULL;
  gchar *cfg, *key_dir, *hostname_file, *secret_file, *hostname = NULL;
  gchar *hint, *again, *expected;
  gint64 t0;
  LabTorCtl *ctl;

  if (!f->usable)
    return;
  key_dir = g_build_filename (lab_get_dir (lab_tornet.lab), "server", "hs", NULL);
  hostname_file = g_build_filename (key_dir, "hostname", NULL);
  secret_file = g_build_filename (key_dir, "hs_ed25519_secret_key", NULL);
  /* The node's tor: the client tor, through its control port. */
  cfg = g_strdup_printf ("[tor]\ncontrol.port = tcp:127.0.0.1:%u\n", lab_tornet.control_port);
  pub_ctx = lab_context_new (cfg, on_log, f);
  g_free (cfg);

  ctl = lab_tornet_ctl_open (lab_tornet.control_port, lab_tornet_env ("CONTROL_COOKIE_FILE"),
                             &error);
  g_assert_no_error (error);
  watch_hs_desc (ctl);

  /* A fresh key: made by tor, saved in tor's layout, private. */
  t0 = g_get_monotonic_time ();
  hint = publish_onion (pub_ctx, key_dir, TRUE, &publication, &error);
  g_assert_no_error (error);
  g_assert_nonnull (publication);
  g_test_message ("published %s after %.1f s", hint, (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (g_file_get_contents (hostname_file, &hostname, NULL, NULL));
  g_assert_cmpuint (strlen (hostname), ==, 56 + 7);
  g_strstrip (hostname);
  expected = g_strdup_printf ("tor:%s:%u", hostname, PUBLISH_PORT);
  g_assert_cmpstr (hint, ==, expected);
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (key_dir, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0700);
    g_assert_cmpint (g_stat (secret_file, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
    g_assert_cmpuint (st.st_size, ==, 96);
    g_assert_cmpint (g_stat (hostname_file, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  }

  /* Reached by another node through the network. */
  wait_uploaded (ctl, hint);
  g_test_message ("descriptor uploaded after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  {
    gchar *client = g_strdup_printf ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                                     lab_tornet.socks_port);
    use_config (f, client);
    g_free (client);
  }
  connect_until (f, hint);
  g_test_message ("first connect after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello to a published onion\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_clear_pointer (&f->result, furlhint_connect_result_unref);

  /* Withdrawn, then published again from the same directory, key kept:
   * the same address, reached again. */
  lab_unpublish (pub_ctx, "tor", publication);
  publication = NULL;
  watch_hs_desc (ctl);
  t0 = g_get_monotonic_time ();
  again = publish_onion (pub_ctx, key_dir, FALSE, &publication, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, hint);
  wait_uploaded (ctl, again);
  connect_until (f, again);
  g_test_message ("connect after republishing after %.1f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "hello again\n", LAB_TORNET_PROBE_TIMEOUT_S);
  g_clear_pointer (&f->result, furlhint_connect_result_unref);
  lab_unpublish (pub_ctx, "tor", publication);

  lab_tornet_ctl_free (ctl);
  furlhint_context_unref (pub_ctx);
  g_free (again);
  g_free (hint);
  g_free (expected);
  g_free (hostname);
  g_free (hostname_file);
  g_free (secret_file);
  g_free (key_dir);
}

static void
add_stream (const gchar *entry, const gchar *suffix, GPtrArray *circuits)
{
  gchar **fields = g_strsplit (entry, " ", -1);

  if (g_strv_length (fields) >= 4 && strcmp (fields[1], "SUCCEEDED") == 0
      && g_str_has_suffix (fields[3], suffix))
    g_ptr_array_add (circuits, g_strdup (fields[2]));
  g_strfreev (fields);
}

/* The circuits of the client's open streams to port @port. The reply is
 * "250-stream-status=ID STATUS CIRC TARGET" for one stream, or
 * "250+stream-status=" then one "ID STATUS CIRC TARGET" a line and ".",
 * then "250 OK". */
static void
stream_circuits (LabTorCtl *ctl, guint16 port, GPtrArray *circuits)
{
  static const gchar one[] = "250-stream-status=";
  static const gchar many[] = "250+stream-status=";
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gchar *suffix = g_strdup_printf (":%u", port);
  gboolean in_data = FALSE;

  g_assert_true (lab_tornet_ctl_command (ctl, "GETINFO stream-status", &error));
  g_assert_no_error (error);
  for (;;)
    {
      gchar *line = lab_tornet_ctl_read_line (ctl, deadline, &error);

      g_assert_no_error (error);
      if (in_data)
        {
          if (strcmp (line, ".") == 0)
            in_data = FALSE;
          else
            add_stream (line, suffix, circuits);
        }
      else if (strcmp (line, "250 OK") == 0)
        {
          g_free (line);
          break;
        }
      else if (g_str_has_prefix (line, many))
        in_data = TRUE;
      else if (g_str_has_prefix (line, one))
        add_stream (line + strlen (one), suffix, circuits);
      else
        g_error ("unexpected reply to GETINFO stream-status: %s", line);
      g_free (line);
    }
  g_free (suffix);
}

/* Two streams to the echo server through the client tor, each from the
 * context and peer (tub ID) the case says; Tor must show them on two
 * circuits. */
typedef struct {
  gboolean prefer_no_auth;      /* through the SocksPort with PreferSOCKSNoAuth */
  gboolean two_contexts;        /* one peer, from two contexts (node identities) */
} IsolationCase;

static const IsolationCase two_tubs = { FALSE, FALSE };
static const IsolationCase two_tubs_prefer_no_auth = { TRUE, FALSE };
static const IsolationCase two_contexts = { FALSE, TRUE };

/* A previous case's streams may still be closing: wait (bounded) until
 * Tor shows none to the echo server. */
static void
wait_no_streams (LabTorCtl *ctl)
{
  for (guint i = 0; i < 100; i++)
    {
      GPtrArray *circuits = g_ptr_array_new_with_free_func (g_free);
      guint n;

      stream_circuits (ctl, lab_tornet.echo_port, circuits);
      n = circuits->len;
      g_ptr_array_unref (circuits);
      if (n == 0)
        return;
      g_usleep (100 * 1000);
    }
  g_error ("Tor still shows streams to the echo server from an earlier case");
}

static void
test_isolation (Fixture *f, gconstpointer data)
{
  const IsolationCase *c = data;
  FurlHintConnectResult *first;
  FurlHintContext *first_ctx = NULL;
  GPtrArray *circuits = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  LabTorCtl *ctl;
  gchar *cfg, *hints;

  if (!f->usable)
    {
      g_ptr_array_unref (circuits);
      return;
    }
  ctl = lab_tornet_ctl_open (lab_tornet.control_port, lab_tornet_env ("CONTROL_COOKIE_FILE"),
                             &error);
  g_assert_no_error (error);
  wait_no_streams (ctl);

  cfg = g_strdup_printf ("[connections]\ntcp = tor\ntor.socks-proxy = tcp:127.0.0.1:%u\n",
                         c->prefer_no_auth ? lab_tornet_env_port ("NOAUTH_SOCKS_PORT")
                                           : lab_tornet.socks_port);
  hints = g_strdup_printf ("tcp:" MAPPED_NAME ":%u", lab_tornet.echo_port);
  use_config (f, cfg);
  connect_furl (f, TUB, hints);
  assert_won (f, 0, 0, TRUE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "first peer\n", LAB_TORNET_PROBE_TIMEOUT_S);
  first = g_steal_pointer (&f->result);
  if (c->two_contexts)
    {
      /* The second context: the same configuration, another node. */
      first_ctx = g_steal_pointer (&f->ctx);
      use_config (f, cfg);
    }
  connect_furl (f, c->two_contexts ? TUB : TUB2, hints);
  assert_won (f, 0, 0, TRUE);
  lab_assert_echo (furlhint_connect_result_get_stream (f->result),
                   "second peer\n", LAB_TORNET_PROBE_TIMEOUT_S);

  /* Both streams open: Tor shows them on two circuits. */
  stream_circuits (ctl, lab_tornet.echo_port, circuits);
  lab_tornet_ctl_free (ctl);
  for (guint i = 0; i < circuits->len; i++)
    g_test_message ("stream to the echo server on circuit %s",
                    (gchar *) g_ptr_array_index (circuits, i));
  g_assert_cmpuint (circuits->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (circuits, 0), !=, g_ptr_array_index (circuits, 1));

  furlhint_connect_result_unref (first);
  g_clear_pointer (&first_ctx, furlhint_context_unref);
  g_ptr_array_unref (circuits);
  g_free (hints);
  g_free (cfg);
}

/* The loopback check itself can fail (no tor needed). */
/* --- `furlhint listen` with the guide's server use case 3 --------------------- */

#define LISTEN_NAME "swiss"

/* A launcher for the CLI. Under the leak checker the CLI is checked too
 * (it inherits the log, and FURLHINT_LEAKCHECK_ONLY names it), and may
 * reach only @allowed (the endpoint the anonymous node is configured with). */
static GSubprocessLauncher *
cli_launcher (GSubprocessFlags flags, const gchar *allowed)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  const gchar *only = g_getenv ("FURLHINT_LEAKCHECK_ONLY");

  if (leakcheck_is_active () && only != NULL)
    {
      gchar *both = g_strconcat (only, ",furlhint", NULL);

      g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ONLY", both, TRUE);
      g_subprocess_launcher_setenv (launcher, "FURLHINT_LEAKCHECK_ALLOW", allowed, TRUE);
      g_free (both);
    }
  return launcher;
}

/* Starts `furlhint listen --config @cfg --echo` (stderr to @log) and
 * reads its first stdout line, the FURL, into @furl (nothing follows it). */
static GSubprocess *
cli_listen (const gchar *cli, const gchar *cfg, const gchar *log, gchar **furl)
{
  GSubprocessLauncher *launcher;
  GSubprocess *server;
  GDataInputStream *out;
  GError *error = NULL;
  gchar *control;

  control = g_strdup_printf ("127.0.0.1:%u", lab_tornet.control_port);
  launcher = cli_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE, control);
  g_free (control);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  server = g_subprocess_launcher_spawn (launcher, &error, cli, "listen", "--config", cfg,
                                        "--tubid", TUB, "--name", LISTEN_NAME, "--echo", NULL);
  g_object_unref (launcher);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  /* Printed once every entry is published (or the listener gave up). */
  *furl = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (*furl == NULL)
    {
      gchar *text = NULL, *last;

      /* The last line first: a summary shows only a bail-out's first line. */
      if (!g_file_get_contents (log, &text, NULL, NULL))
        text = g_strdup ("");
      g_strchomp (text);
      last = strrchr (text, '\n');
      g_error ("furlhint listen printed no FURL; last line on its stderr: \"%s\"; all of "
               "it:\n%s", last != NULL ? last + 1 : text, text);
    }
  g_object_unref (out);
  return server;
}

/* SIGTERM: the listener withdraws the onion service and exits 0. */
static void
cli_listen_stop (GSubprocess *server, const gchar *log)
{
  GError *error = NULL;
  gchar *text = NULL;

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_test_message ("furlhint listen's stderr:\n%s", text);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  g_free (text);
}

/* One `furlhint connect --pipe` round trip: a line written, the same line
 * read back (the event the test waits for), then the end of input; the
 * idle timeout starts only then, after the peer has answered, so it never
 * races the echo. FALSE when the connect failed (no echo, exit 1). */
static gboolean
cli_round_trip (const gchar *cli, const gchar *cfg, const gchar *furl, const gchar *text)
{
  GSubprocessLauncher *launcher;
  GSubprocess *client;
  GDataInputStream *out;
  GOutputStream *in;
  gchar *socks;
  GError *error = NULL;
  gchar *line, *sent = g_strdup_printf ("%s\n", text);
  gboolean ok;

  socks = g_strdup_printf ("127.0.0.1:%u", lab_tornet.socks_port);
  launcher = cli_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_SILENCE, socks);
  g_free (socks);
  client = g_subprocess_launcher_spawn (launcher, &error, cli, "connect", "--config", cfg,
                                        "--pipe", "--idle-timeout", "1", furl, NULL);
  g_object_unref (launcher);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (client);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (client));
  /* Buffered by the pipe until the connect is up (or lost with it). */
  g_output_stream_write_all (in, sent, strlen (sent), NULL, NULL, &error);
  g_clear_error (&error);
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, NULL);
  g_subprocess_wait (client, NULL, &error);
  g_assert_no_error (error);
  ok = g_subprocess_get_if_exited (client) && g_subprocess_get_exit_status (client) == 0;
  if (line != NULL || ok)
    {
      g_assert_cmpstr (line, ==, text);
      g_assert_true (ok);
    }
  g_free (line);
  g_free (sent);
  g_object_unref (out);
  g_object_unref (client);
  return ok;
}

/* Round trips until one works (the descriptor reaches the HSDirs one at a
 * time), bounded. */
static void
cli_round_trip_until (const gchar *cli, const gchar *cfg, const gchar *furl,
                      const gchar *text)
{
  gint64 deadline = g_get_monotonic_time () + PUBLISH_TIMEOUT_S * G_USEC_PER_SEC;
  guint tries = 1;

  while (!cli_round_trip (cli, cfg, furl, text))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("furlhint connect --pipe %s failed %u times in %d s", furl, tries,
                 PUBLISH_TIMEOUT_S);
      tries++;
      g_usleep (G_USEC_PER_SEC);
    }
  g_test_message ("round trip after %u connect(s)", tries);
}

/* The guide's server use case 3 (its Tor half), verbatim apart from the
 * path, plus the node's tor: `furlhint listen` publishes the onion
 * service through the client tor's control port and prints the FURL;
 * `furlhint connect --pipe` under the guide's client use case 3 reaches it
 * through the client tor's SOCKS port; after SIGTERM and a restart the
 * node has the same address and is reached again. */
static void
test_cli_listen (Fixture *f, gconstpointer data)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  GSubprocess *server;
  GError *error = NULL;
  gchar *dir, *key_dir, *server_cfg, *client_cfg, *log, *text, *furl, *again, *hint;
  gchar *prefix;
  gint64 t0;
  LabTorCtl *ctl;

  if (!f->usable)
    return;
  if (cli == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return;
    }
  dir = g_build_filename (lab_get_dir (lab_tornet.lab), "node", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  key_dir = g_build_filename (dir, "my_service", NULL);
  text = g_strdup_printf ("[node]\n"
                          "anonymous = True\n"
                          "tub.location = onion:80:hiddenServiceDir=%s\n"
                          "[tor]\n"
                          "control.port = tcp:127.0.0.1:%u\n", key_dir, lab_tornet.control_port);
  server_cfg = g_build_filename (dir, "tahoe.cfg", NULL);
  g_assert_true (g_file_set_contents (server_cfg, text, -1, NULL));
  g_free (text);
  text = g_strdup_printf ("[node]\n"
                          "anonymous = True\n"
                          "tub.location =\n"
                          "[connections]\n"
                          "tor.socks-proxy = tcp:127.0.0.1:%u\n", lab_tornet.socks_port);
  client_cfg = g_build_filename (dir, "client.cfg", NULL);
  g_assert_true (g_file_set_contents (client_cfg, text, -1, NULL));
  g_free (text);
  log = g_build_filename (dir, "listen.log", NULL);

  ctl = lab_tornet_ctl_open (lab_tornet.control_port, lab_tornet_env ("CONTROL_COOKIE_FILE"),
                             &error);
  g_assert_no_error (error);
  watch_hs_desc (ctl);

  t0 = g_get_monotonic_time ();
  server = cli_listen (cli, server_cfg, log, &furl);
  g_test_message ("FURL %s after %.1f s", furl, (g_get_monotonic_time () - t0) / 1e6);
  /* pb://TUB@tor:<56>.onion:80/swiss: the one hint, from the new key */
  prefix = g_strdup_printf ("pb://%s@tor:", TUB);
  g_assert_true (g_str_has_prefix (furl, prefix));
  g_assert_true (g_str_has_suffix (furl, ".onion:80/" LISTEN_NAME));
  g_assert_cmpuint (strlen (furl), ==, strlen (prefix) + 56 + strlen (".onion:80/" LISTEN_NAME));
  g_assert_true (g_file_test (key_dir, G_FILE_TEST_IS_DIR));
  hint = g_strndup (furl + strlen (prefix) - strlen ("tor:"), strlen ("tor:") + 56 + 9);
  wait_uploaded (ctl, hint);
  g_test_message ("descriptor uploaded after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  cli_round_trip_until (cli, client_cfg, furl, "hello, onion node");
  g_test_message ("first round trip after %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  cli_listen_stop (server, log);
  g_object_unref (server);

  /* Restarted: the key in hiddenServiceDir gives the same address. */
  watch_hs_desc (ctl);
  t0 = g_get_monotonic_time ();
  server = cli_listen (cli, server_cfg, log, &again);
  g_assert_cmpstr (again, ==, furl);
  wait_uploaded (ctl, hint);
  cli_round_trip_until (cli, client_cfg, again, "hello again");
  g_test_message ("round trip after the restart after %.1f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  cli_listen_stop (server, log);
  g_object_unref (server);

  lab_tornet_ctl_free (ctl);
  g_free (hint);
  g_free (prefix);
  g_free (again);
  g_free (furl);
  g_free (log);
  g_free (client_cfg);
  g_free (server_cfg);
  g_free (key_dir);
  g_free (dir);
}

/* --- Foolscap: a remote call to a Tub behind the onion service ---------------- */

typedef struct {
  const gchar *tor_key;         /* how the client's tahoe.cfg names the client tor */
  gboolean clear_too;           /* the server is also reachable in the clear */
} FoolscapCase;

/* The guide's server use case 2 (an onion service and a clear address)
 * and use case 3 (the onion service only). */
static const FoolscapCase foolscap_socks_port = { "socks.port", TRUE };
static const FoolscapCase foolscap_control_port = { "control.port", FALSE };

/* Two Foolscap Tubs (tests/foolscap-tubs.py). The server Tub listens on
 * 127.0.0.1:TUB_PORT, where the onion service's second port leads (the
 * Tahoe documentation's tub.port behind an operator's own onion service),
 * and advertises tor:ONION:TUB_ONION_PORT, after tcp:127.0.0.1:TUB_PORT
 * when the case says so. The client Tub's hint handlers are furlhint's
 * (furlhint_foolscap.install_handlers()), from a tahoe.cfg of the guide's
 * client use case 3 whose `[tor]` names the client tor. The remote call
 * comes back, the clear hint (a direct route to the very listener) is
 * refused by furlhint's policy, and the one connection the server Tub
 * accepted was made by the onion service's tor (the owner of its other
 * end, read from /proc by the script; for a direct connection it names
 * the Python process): the call went through the private network. Under
 * the leak checker the Python process is checked too, allowed only the
 * client tor's ports. */
static void
test_foolscap_onion (Fixture *f, gconstpointer data)
{
  const FoolscapCase *c = data;
  const gchar *tor_key = c->tor_key;
  gboolean by_control = strcmp (tor_key, "control.port") == 0;
  g_autofree gchar *onion_hint = NULL;
  g_autofree gchar *clear_hint = NULL;
  g_autofree gchar *cfg_name = g_strdup_printf ("foolscap-%s.cfg", tor_key);
  g_autofree gchar *cfg_text = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *listen = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *route = NULL;
  g_autofree gchar *from_hs = NULL;
  g_autofree gchar *out = NULL;
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  guint n_accepted = 0;
  gint64 t0;
  gint status;

  if (!f->usable || !lab_foolscap_ready ())
    return;
  cfg_text = g_strdup_printf ("[node]\n"
                              "anonymous = True\n"
                              "tub.location =\n"
                              "[tor]\n"
                              "%s = tcp:127.0.0.1:%u\n", tor_key,
                              by_control ? lab_tornet.control_port : lab_tornet.socks_port);
  cfg = lab_write_file (lab_tornet.lab, cfg_name, cfg_text);
  listen = g_strdup_printf ("tcp:%u:interface=127.0.0.1", lab_tornet_env_port ("TUB_PORT"));
  onion_hint = g_strdup_printf ("tor:%s:%u", lab_tornet.onion,
                                lab_tornet_env_port ("TUB_ONION_PORT"));
  clear_hint = g_strdup_printf ("tcp:127.0.0.1:%u", lab_tornet_env_port ("TUB_PORT"));
  location = c->clear_too ? g_strconcat (clear_hint, ",", onion_hint, NULL)
                          : g_strdup (onion_hint);
  if (leakcheck_is_active ())
    {
      g_autofree gchar *python = g_path_get_basename (GI_PYTHON);

      g_ptr_array_add (env, g_strdup_printf ("FURLHINT_LEAKCHECK_ONLY=%s", python));
      /* The control port, and SOCKS ports of the client tor it names. */
      g_ptr_array_add (env, g_strdup_printf ("FURLHINT_LEAKCHECK_ALLOW=127.0.0.1:%u,"
                                             "127.0.0.1:%u,127.0.0.1:%u",
                                             lab_tornet.socks_port, lab_tornet.control_port,
                                             lab_tornet_env_port ("NOAUTH_SOCKS_PORT")));
    }
  g_ptr_array_add (env, NULL);

  t0 = g_get_monotonic_time ();
  out = lab_foolscap_run ((const gchar *const *) env->pdata, &status, cfg,
                          "--listen", listen, "--location", location, NULL);
  g_test_message ("the Tubs ran for %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (status, ==, 0);
  lab_assert_contains (out, "handlers: i2p=furlhint, tcp=furlhint, tor=furlhint\n");
  /* furlhint's tor plugin, reaching the client tor the way the tahoe.cfg
   * says. */
  route = by_control
    ? g_strdup_printf ("route %s: Tor (control port 127.0.0.1:%u, SOCKS port discovered) ",
                       onion_hint, lab_tornet.control_port)
    : g_strdup_printf ("route %s: Tor (SOCKS 127.0.0.1:%u) ", onion_hint, lab_tornet.socks_port);
  lab_assert_contains (out, route);
  lab_assert_contains (out, "(furlhint, anonymous)\n");
  lab_assert_contains (out, "echo: through furlhint\n");
  if (c->clear_too)
    {
      g_autofree gchar *refused = g_strdup_printf ("status %s: bad hint: ignoring non-Tor-able "
                                                   "ipaddr 127.0.0.1; anonymous mode reaches "
                                                   "tcp: hints only through Tor\n", clear_hint);

      lab_assert_contains (out, refused);
    }

  /* Every connection the server Tub accepted came from the onion
   * service's tor. */
  from_hs = g_strdup_printf (" from pid %d (tor)", (int) lab_proc_get_pid (lab_tornet.hs));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "server accepted "))
      {
        n_accepted++;
        if (!g_str_has_suffix (lines[i], from_hs))
          g_error ("not a connection of the onion service's tor (%s): %s", from_hs, lines[i]);
      }
  g_assert_cmpuint (n_accepted, ==, 1);
}

static void
test_proc_net_parser (void)
{
  g_assert_true (proc_net_addr_ok ("0100007F:4E20", FALSE));
  g_assert_true (proc_net_addr_ok ("0200007F:0035", TRUE));
  g_assert_true (proc_net_addr_ok ("00000000:0000", TRUE));
  g_assert_true (proc_net_addr_ok ("00000000000000000000000001000000:1F90", FALSE));
  g_assert_false (proc_net_addr_ok ("00000000:4E20", FALSE));     /* 0.0.0.0 */
  g_assert_false (proc_net_addr_ok ("0100A8C0:0050", TRUE));      /* 192.168.0.1 */
  g_assert_false (proc_net_addr_ok ("0101007E:0050", TRUE));      /* 126.0.1.1 */
  g_assert_false (proc_net_addr_ok ("00000000000000000000000000000000:1F90", FALSE));
  g_assert_false (proc_net_addr_ok ("0000000000000000FFFF00000100A8C0:0050", TRUE));
}

/* Registered last (its suite runs after the others): stops the network
 * inside a test case, so that the lab shows the tors' logs only when a case
 * failed, and checks that every process it started is gone. */
static void
test_stop_network (void)
{
  GArray *pids;
  gchar *dir;

  if (!lab_ready ())
    return;
  if (!lab_tornet.started)
    {
      g_test_skip ("the network was not started (no case ran)");
      return;
    }
  pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  for (guint i = 0; i < lab_tornet.tors->len; i++)
    {
      GPid pid = lab_proc_get_pid (g_ptr_array_index (lab_tornet.tors, i));
      g_array_append_val (pids, pid);
    }
  g_assert_cmpuint (pids->len, ==, 7);
  dir = g_strdup (lab_get_dir (lab_tornet.lab));
  lab_tornet_stop ();
  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);

      g_assert_cmpint (kill (pid, 0), ==, -1);
      g_assert_cmpint (errno, ==, ESRCH);
    }
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_free (dir);
  g_array_unref (pids);
}

int
main (int argc, char **argv)
{
  int ret;

  leakcheck_maybe_reexec (argv);
  /* Re-executed under the checker (FURLHINT_TEST_LEAKCHECK=1): check this
   * program only, not the routers and servers it starts, as
   * leakcheck-run.sh does; they inherit LD_PRELOAD. */
  if (leakcheck_is_active () && g_getenv ("FURLHINT_LEAKCHECK_ONLY") == NULL)
    {
      gchar *self = g_path_get_basename (argv[0]);

      g_setenv ("FURLHINT_LEAKCHECK_ONLY", self, TRUE);
      g_free (self);
    }
  lab_enter_private_netns ();
  lab_set_watchdog (WATCHDOG_S);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tornet/loopback-check", test_proc_net_parser);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/tornet/onion/socks-proxy", test_onion_socks_proxy);
  ADD ("/tornet/onion/control-port", test_onion_control_port);
  ADD ("/tornet/exit/tcp=tor", test_exit_tcp_tor);
  ADD ("/tornet/anonymous/tor-wrapped-fallback", test_anonymous_fallback);
  ADD ("/tornet/onion/publish", test_onion_publish);
  ADD ("/tornet/onion/cli-listen", test_cli_listen);
#undef ADD
  g_test_add ("/tornet/foolscap/onion-and-clear-tub/socks-port", Fixture,
              &foolscap_socks_port, setup, test_foolscap_onion, teardown);
  g_test_add ("/tornet/foolscap/onion-tub/control-port", Fixture, &foolscap_control_port,
              setup, test_foolscap_onion, teardown);
  g_test_add ("/tornet/isolation/two-tubs-two-circuits", Fixture, &two_tubs,
              setup, test_isolation, teardown);
  g_test_add ("/tornet/isolation/prefer-no-auth-two-tubs-two-circuits", Fixture,
              &two_tubs_prefer_no_auth, setup, test_isolation, teardown);
  g_test_add ("/tornet/isolation/two-contexts-two-circuits", Fixture, &two_contexts,
              setup, test_isolation, teardown);
  g_test_add_func ("/tornet/teardown/stop-network", test_stop_network);

  ret = g_test_run ();
  /* Only when the stop case was left out (-p/-s). */
  lab_tornet_stop ();
  g_free (net_failed);
  return ret;
}
