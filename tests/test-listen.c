/* The listening side: furlhint_context_listen_async() on real sockets in a
 * private network namespace (tests/lab.c), publishing through the FAKE
 * publishing plugin (tests/plugins/fake_publisher.c, which records every
 * publish and unpublish in a file), `furlhint listen --echo` reached by
 * `furlhint connect --pipe`, and `furlhint listen --pipe` reached by the
 * test's own sockets.
 *
 * Everything waits on events: the listen's completion, the incoming
 * callback, the command's first stdout line and its exit; timeouts are
 * only failure bounds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"
#include "leakcheck/leakcheck.h"

#define FAKE_HINT "tor:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion:80"
#define WAIT_MS 10000

typedef struct {
  Lab *lab;
  FurlHintContext *ctx;
  FurlHintListener *listener;
  GError *error;
  gboolean done;
  GPtrArray *statuses;            /* (element-type utf8) "KEY[INDEX] STATUS" */
  GSocketConnection *incoming;    /* (owned) (nullable) the last one */
  gchar *transport;
  gchar *record;                  /* the fake publisher's record file */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  lab_set_watchdog (60);
  f->lab = lab_new ();
  f->statuses = g_ptr_array_new_with_free_func (g_free);
  f->record = g_build_filename (lab_get_dir (f->lab), "record", NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->listener, furlhint_listener_unref);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  g_clear_error (&f->error);
  g_clear_object (&f->incoming);
  g_free (f->transport);
  g_free (f->record);
  g_ptr_array_unref (f->statuses);
  lab_free (f->lab);
}

static void
on_status (const FurlHintListenEntry *entry,
           const gchar *status,
           gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->statuses, g_strdup_printf ("%s[%u] %s", entry->key, entry->index, status));
}

static void
on_incoming (FurlHintListener *listener,
             GSocketConnection *connection,
             const gchar *transport,
             gpointer user_data)
{
  Fixture *f = user_data;

  g_clear_object (&f->incoming);
  g_free (f->transport);
  f->incoming = g_object_ref (connection);
  f->transport = g_strdup (transport);
}

static void
listen_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fixture *f = user_data;

  f->listener = furlhint_context_listen_finish (f->ctx, res, &f->error);
  f->done = TRUE;
}

/* A context for @cfg with no plugin, or only the fake publisher: the
 * bundled tor plugin may publish onion endpoints too, and these tests are
 * about the listener, not about Tor. */
static void
make_context (Fixture *f, const gchar *cfg, gboolean fake)
{
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config = furlhint_config_load_data (cfg, -1, "tahoe.cfg", &error);

  g_assert_no_error (error);
  f->ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  if (fake)
    {
      const gchar *dir = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");
      g_autofree gchar *path = g_build_filename (dir != NULL ? dir : "plugins",
                                                 "fake_publisher.la", NULL);

      furlhint_context_load_plugin_file (f->ctx, path, &error);
      g_assert_no_error (error);
    }
}

/* Starts listening with the fixture's callbacks and waits for it; with
 * @keys_only, only the missing keys are created (`furlhint location
 * --create`). */
static void
start (Fixture *f, gboolean keys_only)
{
  FurlHintListenOptions options = {
    .struct_size = sizeof options,
    .create_keys = keys_only,
    .status = on_status,
    .status_data = f,
    .incoming = on_incoming,
    .incoming_data = f,
    .keys_only = keys_only,
  };

  furlhint_context_listen_async (f->ctx, &options, NULL, listen_done, f);
  g_assert_true (lab_iterate_until (&f->done, WAIT_MS));
}

static gboolean
has_status (Fixture *f, const gchar *status)
{
  for (guint i = 0; i < f->statuses->len; i++)
    if (g_str_equal (g_ptr_array_index (f->statuses, i), status))
      return TRUE;
  return FALSE;
}

static gboolean
incoming_arrived (gpointer user_data)
{
  return ((Fixture *) user_data)->incoming != NULL;
}

/* Connects to @address and waits for the listener to hand the stream to
 * the application. */
static void
connect_and_wait (Fixture *f, GSocketAddress *address)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  g_clear_object (&f->incoming);
  /* the test's own peer: lab set-up, not the code under test */
  leakcheck_suspend ();
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  leakcheck_resume ();
  g_assert_no_error (error);
  while (!incoming_arrived (f) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (f->incoming);
}

static gsize
count_lines (const gchar *path, const gchar *prefix)
{
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      n++;
  return n;
}

/* Every listening TCP socket of this network namespace is on 127.0.0.1:
 * /proc/net/tcp is what getsockname() says of each, for every socket the
 * process (and anything else in the namespace) has, and no IPv6 one
 * listens at all. */
static void
assert_only_loopback_listens (void)
{
  g_autofree gchar *tcp = NULL, *tcp6 = NULL;
  g_auto(GStrv) lines = NULL;
  guint listening = 0;

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &tcp, NULL, NULL));
  lines = g_strsplit (tcp, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      guint n = 0;
      const gchar *local = NULL, *state = NULL;

      for (guint j = 0; fields[j] != NULL; j++)
        {
          if (*fields[j] == '\0')
            continue;
          if (n == 1)
            local = fields[j];
          else if (n == 3)
            state = fields[j];
          n++;
        }
      if (state == NULL || strcmp (state, "0A") != 0)   /* TCP_LISTEN */
        continue;
      listening++;
      /* 127.0.0.1 in /proc's little-endian hex */
      g_assert_true (g_str_has_prefix (local, "0100007F:"));
    }
  g_assert_cmpuint (listening, >, 0);
  if (g_file_get_contents ("/proc/net/tcp6", &tcp6, NULL, NULL))
    g_assert_null (strstr (tcp6, " 0A "));
}

/* A TCP listener of tub.port, its hint advertised as written, an incoming
 * stream handed over as "tcp"; close stops accepting. */
static void
test_tcp (Fixture *f, gconstpointer data)
{
  guint16 port;
  g_autofree gchar *cfg = NULL, *listening = NULL, *hint = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) after = NULL;
  g_autoptr(GError) error = NULL;

  if (!lab_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  cfg = g_strdup_printf ("[node]\ntub.port = tcp:%u:interface=127.0.0.1\n"
                         "tub.location = tcp:127.0.0.1:%u\n", port, port);
  make_context (f, cfg, FALSE);
  start (f, FALSE);
  g_assert_no_error (f->error);
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  g_assert_cmpstrv (furlhint_listener_get_hints (f->listener), ((const gchar *const[]) { hint, NULL }));
  listening = g_strdup_printf ("tub.port[0] listening on 127.0.0.1:%u", port);
  g_assert_true (has_status (f, listening));

  address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  connect_and_wait (f, address);
  g_assert_cmpstr (f->transport, ==, "tcp");

  furlhint_listener_close (f->listener);
  g_assert_true (has_status (f, "tub.port[0] closed"));
  leakcheck_suspend ();
  after = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  leakcheck_resume ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* Runs `ip ARGS...` (the test's own network set-up); aborts on failure. */
static void
run_ip (const gchar *first,
        ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *arg;
  gchar *err = NULL;
  gint status = 0;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "ip");
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  leakcheck_suspend ();
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, NULL));
  leakcheck_resume ();
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("ip %s failed: %s", first, err);
  g_free (err);
  g_ptr_array_unref (argv);
}

/* Tahoe's AUTO, served for real: in the test's namespace a veth pair
 * whose two ends have known addresses; the listener binds tub.port on
 * every interface and advertises one tcp: hint per IPv4 address, loopback
 * included (as Tahoe does), each with tub.port's port, and each reaches
 * the node. */
static void
test_auto (Fixture *f, gconstpointer data)
{
  static const gchar *const addresses[] = { "127.0.0.1", "198.18.5.1", "198.18.6.1" };
  guint16 port;
  g_autofree gchar *cfg = NULL;
  const gchar *const *hints;

  if (!lab_ready ())
    return;
  run_ip ("link", "add", "fhauto0", "type", "veth", "peer", "name", "fhauto1", NULL);
  run_ip ("addr", "add", "198.18.5.1/24", "dev", "fhauto0", NULL);
  run_ip ("addr", "add", "198.18.6.1/24", "dev", "fhauto1", NULL);
  run_ip ("link", "set", "fhauto0", "up", NULL);
  run_ip ("link", "set", "fhauto1", "up", NULL);

  port = lab_free_port ("127.0.0.1");
  cfg = g_strdup_printf ("[node]\nanonymous = False\ntub.port = tcp:%u\ntub.location = AUTO\n",
                         port);
  make_context (f, cfg, FALSE);
  start (f, FALSE);
  g_assert_no_error (f->error);
  hints = furlhint_listener_get_hints (f->listener);
  g_assert_cmpuint (g_strv_length ((gchar **) hints), ==, G_N_ELEMENTS (addresses));
  for (gsize i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autofree gchar *hint = g_strdup_printf ("tcp:%s:%u", addresses[i], port);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string (addresses[i],
                                                                                port);

      g_test_message ("AUTO hint %s", hints[i]);
      g_assert_true (g_strv_contains (hints, hint));
      connect_and_wait (f, address);
      g_assert_cmpstr (f->transport, ==, "tcp");
    }
  furlhint_listener_close (f->listener);
  run_ip ("link", "del", "fhauto0", NULL);
}

/* An anonymous node whose tub.location is an onion endpoint: a loopback
 * listener published through the plugin that publishes "onion", its hint
 * advertised, streams handed over with the publisher's name, and close
 * withdraws the publication exactly once, before the plugin's fini. */
static void
test_fake_publish (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL, *dir = NULL, *text = NULL;
  GPtrArray *addresses;
  GInetSocketAddress *local;

  if (!lab_ready ())
    return;
  dir = g_build_filename (lab_get_dir (f->lab), "onion", NULL);
  cfg = g_strdup_printf ("[node]\nanonymous = true\n"
                         "tub.location = onion:80:hiddenServiceDir=%s\n"
                         "[fake_publisher]\nrecord = %s\n", dir, f->record);
  make_context (f, cfg, TRUE);
  start (f, FALSE);
  g_assert_no_error (f->error);
  g_assert_cmpstrv (furlhint_listener_get_hints (f->listener),
                    ((const gchar *const[]) { FAKE_HINT, NULL }));
  g_assert_true (has_status (f, "tub.location[0] publishing"));
  g_assert_true (has_status (f, "tub.location[0] fake: publishing without Tor"));
  g_assert_true (has_status (f, "tub.location[0] published " FAKE_HINT));

  addresses = furlhint_listener_get_local_addresses (f->listener);
  g_assert_cmpuint (addresses->len, ==, 1);
  local = g_ptr_array_index (addresses, 0);
  g_assert_true (g_inet_address_get_is_loopback (g_inet_socket_address_get_address (local)));
  assert_only_loopback_listens ();

  g_assert_cmpuint (count_lines (f->record, "publish onion 80 onion:80:hiddenServiceDir="), ==, 1);
  g_assert_cmpuint (count_lines (f->record, "unpublish"), ==, 0);
  g_file_get_contents (f->record, &text, NULL, NULL);
  {
    g_autofree gchar *where = g_strdup_printf (" 127.0.0.1:%u create_key=0\n",
                                               (guint) g_inet_socket_address_get_port (local));
    g_assert_nonnull (strstr (text, where));
  }

  connect_and_wait (f, G_SOCKET_ADDRESS (local));
  g_assert_cmpstr (f->transport, ==, "fake_publisher");

  furlhint_listener_close (f->listener);
  furlhint_listener_close (f->listener);
  g_assert_cmpuint (count_lines (f->record, "unpublish onion:80:hiddenServiceDir="), ==, 1);
  g_assert_true (has_status (f, "tub.location[0] unpublished"));
  g_clear_pointer (&f->listener, furlhint_listener_unref);
  g_assert_cmpuint (count_lines (f->record, "unpublish"), ==, 1);
  g_assert_cmpuint (count_lines (f->record, "fini"), ==, 0);
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  g_assert_cmpuint (count_lines (f->record, "fini"), ==, 1);
}

/* keys_only (`furlhint location --create`): only the endpoint whose key
 * is missing is published, with create_key, and nothing is bound for
 * tub.port nor advertised; with no key missing it succeeds doing nothing;
 * a missing key nobody can make fails the start. */
static void
test_keys_only (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL, *have = NULL, *missing = NULL, *hostname = NULL;
  g_autofree gchar *text = NULL, *expected = NULL;
  guint16 port;

  if (!lab_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  have = g_build_filename (lab_get_dir (f->lab), "have", NULL);
  missing = g_build_filename (lab_get_dir (f->lab), "missing", NULL);
  g_assert_cmpint (g_mkdir (have, 0700), ==, 0);
  hostname = g_build_filename (have, "hostname", NULL);
  g_assert_true (g_file_set_contents (hostname, FAKE_HINT + 4, 62, NULL));
  cfg = g_strdup_printf ("[node]\ntub.port = tcp:%u:interface=127.0.0.1\n"
                         "tub.location = tcp:127.0.0.1:%u,onion:80:hiddenServiceDir=%s,"
                         "onion:81:hiddenServiceDir=%s,onion:82\n"
                         "[fake_publisher]\nrecord = %s\n", port, port, have, missing,
                         f->record);
  make_context (f, cfg, TRUE);
  start (f, TRUE);
  g_assert_no_error (f->error);
  g_assert_cmpstrv (furlhint_listener_get_hints (f->listener), ((const gchar *const[]) { NULL }));
  g_assert_cmpuint (count_lines (f->record, "publish "), ==, 1);
  g_file_get_contents (f->record, &text, NULL, NULL);
  expected = g_strdup_printf ("publish onion 81 onion:81:hiddenServiceDir=%s 127.0.0.1:", missing);
  g_assert_true (g_str_has_prefix (text, expected));
  g_assert_true (g_str_has_suffix (text, " create_key=1\n"));
  for (guint i = 0; i < f->statuses->len; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (f->statuses, i), "tub.location[2] "));
  furlhint_listener_close (f->listener);
  g_assert_cmpuint (count_lines (f->record, "unpublish onion:81:"), ==, 1);
  g_clear_pointer (&f->listener, furlhint_listener_unref);
  g_clear_pointer (&f->ctx, furlhint_context_unref);

  /* nothing missing: done at once */
  g_ptr_array_set_size (f->statuses, 0);
  f->done = FALSE;
  g_free (cfg);
  cfg = g_strdup_printf ("[node]\ntub.port = tcp:%u:interface=127.0.0.1\n"
                         "tub.location = tcp:127.0.0.1:%u,onion:80:hiddenServiceDir=%s\n",
                         port, port, have);
  make_context (f, cfg, FALSE);
  start (f, TRUE);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->statuses->len, ==, 0);
  g_clear_pointer (&f->listener, furlhint_listener_unref);
  g_clear_pointer (&f->ctx, furlhint_context_unref);

  /* a missing key and no plugin to make it */
  f->done = FALSE;
  g_free (cfg);
  cfg = g_strdup_printf ("[node]\ntub.location = onion:81:hiddenServiceDir=%s\n", missing);
  make_context (f, cfg, FALSE);
  start (f, TRUE);
  g_assert_null (f->listener);
  g_assert_error (f->error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (f->error->message, "could not create every missing key: "));
  g_assert_nonnull (strstr (f->error->message, "no loaded plugin publishes onion endpoints"));
}

/* The last reference closes: unpublished once, without close(). */
static void
test_unref_unpublishes (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;

  if (!lab_ready ())
    return;
  cfg = g_strdup_printf ("[node]\nanonymous = true\ntub.location = onion:80\n"
                         "[fake_publisher]\nrecord = %s\n", f->record);
  make_context (f, cfg, TRUE);
  start (f, FALSE);
  g_assert_no_error (f->error);
  g_clear_pointer (&f->listener, furlhint_listener_unref);
  g_assert_cmpuint (count_lines (f->record, "publish onion 80 onion:80 "), ==, 1);
  g_assert_cmpuint (count_lines (f->record, "unpublish onion:80"), ==, 1);
}

/* In anonymous mode a plugin's hint that would reveal the node is
 * withdrawn, never advertised; with nothing else up, listen fails. */
static void
test_anonymous_revealing_hint (Fixture *f, gconstpointer data)
{
  g_autofree gchar *cfg = NULL;

  if (!lab_ready ())
    return;
  cfg = g_strdup_printf ("[node]\nanonymous = true\ntub.location = onion:80\n"
                         "[fake_publisher]\nrecord = %s\nhint = tcp:203.0.113.5:80\n", f->record);
  make_context (f, cfg, TRUE);
  start (f, FALSE);
  g_assert_error (f->error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (f->error->message, "published it as 'tcp:203.0.113.5:80', which "
                                               "would reveal this node; withdrawn"));
  g_assert_null (f->listener);
  g_assert_cmpuint (count_lines (f->record, "publish "), ==, 1);
  g_assert_cmpuint (count_lines (f->record, "unpublish "), ==, 1);
}

/* No plugin publishes onion endpoints: that entry fails with what to do;
 * the TCP listener serves and its hint is advertised. */
static void
test_partial (Fixture *f, gconstpointer data)
{
  guint16 port;
  g_autofree gchar *cfg = NULL, *hint = NULL;

  if (!lab_ready ())
    return;
  port = lab_free_port ("127.0.0.1");
  cfg = g_strdup_printf ("[node]\ntub.port = tcp:%u:interface=127.0.0.1\n"
                         "tub.location = onion:80,tcp:127.0.0.1:%u\n", port, port);
  make_context (f, cfg, FALSE);
  start (f, FALSE);
  g_assert_no_error (f->error);
  hint = g_strdup_printf ("tcp:127.0.0.1:%u", port);
  g_assert_cmpstrv (furlhint_listener_get_hints (f->listener), ((const gchar *const[]) { hint, NULL }));
  g_assert_true (has_status (f, "tub.location[0] failed: no loaded plugin publishes onion "
                                "endpoints; load the tor plugin (furlhint plugins lists what "
                                "is loaded)"));
}

/* Nothing to listen on (the guide's client-only anonymous node), and
 * nothing that could come up: clear errors, nothing bound. */
static void
test_failures (Fixture *f, gconstpointer data)
{
  if (!lab_ready ())
    return;
  make_context (f, "[node]\nanonymous = true\ntub.location =\n", FALSE);
  start (f, FALSE);
  g_assert_error (f->error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_true (g_str_has_prefix (f->error->message, "the configuration listens nowhere"));
  g_clear_pointer (&f->ctx, furlhint_context_unref);
  g_clear_error (&f->error);
  f->done = FALSE;

  make_context (f, "[node]\nanonymous = true\ntub.location = onion:80\n", FALSE);
  start (f, FALSE);
  g_assert_error (f->error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_cmpstr (f->error->message, ==,
                   "no listener could be brought up: onion:80 (tub.location, tahoe.cfg:3): no "
                   "loaded plugin publishes onion endpoints; load the tor plugin (furlhint "
                   "plugins lists what is loaded)");
}

/* --- furlhint listen ------------------------------------------------------- */

static gchar *
read_line (GDataInputStream *in)
{
  g_autoptr(GError) error = NULL;
  gchar *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

/* The start of every `furlhint listen` case: the lab and the command are
 * there. Writes a tahoe.cfg into the lab that listens on, and advertises,
 * 127.0.0.1:*@port (a free port); returns its path (free it), or NULL
 * when the test is skipped. */
static gchar *
cli_listen_setup (Fixture *f, guint16 *port)
{
  g_autofree gchar *cfg = NULL;

  if (!lab_ready ())
    return NULL;
  if (g_getenv ("FURLHINT_CLI") == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return NULL;
    }
  *port = lab_free_port ("127.0.0.1");
  cfg = g_strdup_printf ("[node]\ntub.port = tcp:%u:interface=127.0.0.1\n"
                         "tub.location = tcp:127.0.0.1:%u\n", *port, *port);
  return lab_write_file (f->lab, "tahoe.cfg", cfg);
}

/* Reads stderr lines of `furlhint listen` until @wanted. */
static void
wait_stderr_line (GDataInputStream *err, const gchar *wanted)
{
  gchar *line;

  while ((line = read_line (err)) != NULL)
    {
      gboolean found = g_str_equal (line, wanted);

      g_free (line);
      if (found)
        return;
    }
  g_error ("furlhint listen ended its stderr before \"%s\"", wanted);
}

/* The rest of `furlhint listen`'s stderr says its listener was withdrawn
 * ("...: closed"), and it exits 0. */
static void
assert_closed_exit_0 (GSubprocess *server, GDataInputStream *err)
{
  g_autoptr(GError) error = NULL;
  gboolean closed = FALSE;
  gchar *line;

  while ((line = read_line (err)) != NULL)
    {
      if (g_str_has_suffix (line, "): closed"))
        closed = TRUE;
      g_free (line);
    }
  g_assert_true (closed);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
}

/* `listen --echo` (@data NULL) or `listen --exec @data` prints the FURL
 * first; `connect --pipe --half-close` round-trips through it; SIGTERM
 * closes and exits 0. */
static void
test_cli_serve (Fixture *f, gconstpointer data)
{
  const gchar *exec = data;
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GSubprocess) server = NULL, client = NULL;
  g_autoptr(GDataInputStream) out = NULL, err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL, *furl = NULL, *prefix = NULL;
  g_autofree gchar *echoed = NULL;
  g_autoptr(GBytes) input = g_bytes_new_static ("hello, listener\n", 16);
  g_autoptr(GBytes) output = NULL;
  guint16 port;
  gchar *line;

  path = cli_listen_setup (f, &port);
  if (path == NULL)
    return;
  /* the one endpoint `furlhint connect` may reach: the FURL's hint */
  {
    g_autofree gchar *endpoint = g_strdup_printf ("127.0.0.1:%u", port);

    leakcheck_allow (endpoint);
  }

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, cli, "listen", "--config", path,
                             "--tubid", "klzcmzngbqjnfciylwkq52ebgyerm33l", "--name", "swiss",
                             exec != NULL ? "--exec" : "--echo", exec, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server));
  furl = read_line (out);
  prefix = g_strdup_printf ("pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:127.0.0.1:%u/swiss", port);
  g_assert_cmpstr (furl, ==, prefix);

  client = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             &error, cli, "connect", "--pipe", "--half-close", furl, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (client, input, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (client));
  g_assert_cmpint (g_subprocess_get_exit_status (client), ==, 0);
  echoed = g_strndup (g_bytes_get_data (output, NULL), g_bytes_get_size (output));
  g_assert_cmpstr (echoed, ==, exec != NULL ? "HELLO, LISTENER\n" : "hello, listener\n");

  /* the server said it served one connection and closed it */
  wait_stderr_line (err, "furlhint listen: connection 1 closed");
  g_subprocess_send_signal (server, SIGTERM);
  assert_closed_exit_0 (server, err);
  /* nothing after the FURL on stdout */
  line = read_line (out);
  g_assert_null (line);
}

static GSocketConnection *
connect_to (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  /* the test's own peer: lab set-up, not the code under test */
  leakcheck_suspend ();
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  leakcheck_resume ();
  g_assert_no_error (error);
  return connection;
}

static void
send_text (GOutputStream *out, const gchar *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_flush (out, NULL, &error));
  g_assert_no_error (error);
}

/* `listen --pipe`: the FURL first on stdout; the first stream relayed both
 * ways; a second one, while the first is relayed, closed at once with a
 * status line; the end of standard input does not end the relay; the
 * peer's end does, and listen withdraws its listener and exits 0. */
static void
test_cli_pipe (Fixture *f, gconstpointer data)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL, err = NULL, peer_in = NULL;
  g_autoptr(GSocketConnection) peer = NULL, second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL, *furl = NULL, *expected = NULL;
  g_autofree gchar *line = NULL, *answer = NULL, *again = NULL, *after = NULL;
  GOutputStream *server_in;
  gchar byte;
  guint16 port;
  gchar *l;

  path = cli_listen_setup (f, &port);
  if (path == NULL)
    return;
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, cli, "listen", "--config", path, "--pipe",
                             "--tubid", "klzcmzngbqjnfciylwkq52ebgyerm33l", "--name", "swiss",
                             NULL);
  g_assert_no_error (error);
  server_in = g_subprocess_get_stdin_pipe (server);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server));
  furl = read_line (out);
  expected = g_strdup_printf ("pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:127.0.0.1:%u/swiss", port);
  g_assert_cmpstr (furl, ==, expected);

  /* the peer to standard output, standard input to the peer */
  peer = connect_to (port);
  peer_in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (peer)));
  send_text (g_io_stream_get_output_stream (G_IO_STREAM (peer)), "ping\n");
  line = read_line (out);
  g_assert_cmpstr (line, ==, "ping");
  send_text (server_in, "pong\n");
  answer = read_line (peer_in);
  g_assert_cmpstr (answer, ==, "pong");
  wait_stderr_line (err, "furlhint listen: connection 1: relayed to standard input and "
                    "output (--pipe)");

  /* a second stream meanwhile: closed before any byte */
  second = connect_to (port);
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (second)),
                                        &byte, 1, NULL, &error), ==, 0);
  g_assert_no_error (error);
  wait_stderr_line (err, "furlhint listen: connection 2: refused: --pipe relays one stream "
                    "only (connection 1)");

  /* the first one still flows, also after the end of standard input */
  send_text (g_io_stream_get_output_stream (G_IO_STREAM (peer)), "again\n");
  again = read_line (out);
  g_assert_cmpstr (again, ==, "again");
  g_assert_true (g_output_stream_close (server_in, NULL, &error));
  g_assert_no_error (error);
  send_text (g_io_stream_get_output_stream (G_IO_STREAM (peer)), "after the end of input\n");
  after = read_line (out);
  g_assert_cmpstr (after, ==, "after the end of input");

  /* the peer's end ends listen: the listener withdrawn, exit 0 */
  g_assert_true (g_io_stream_close (G_IO_STREAM (peer), NULL, &error));
  g_assert_no_error (error);
  wait_stderr_line (err, "furlhint listen: connection 1 closed (--pipe: closing)");
  assert_closed_exit_0 (server, err);
  l = read_line (out);
  g_assert_null (l);
}

/* SIGTERM while a stream is relayed: the relay ends, the peer sees the
 * end of the stream, everything is withdrawn and listen exits 0. */
static void
test_cli_pipe_signal (Fixture *f, gconstpointer data)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL, err = NULL;
  g_autoptr(GSocketConnection) peer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL, *furl = NULL, *line = NULL;
  gchar byte;
  guint16 port;

  path = cli_listen_setup (f, &port);
  if (path == NULL)
    return;
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, cli, "listen", "--config", path, "--pipe", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server));
  furl = read_line (out);
  g_assert_true (g_str_has_prefix (furl, "pb://"));
  peer = connect_to (port);
  send_text (g_io_stream_get_output_stream (G_IO_STREAM (peer)), "ping\n");
  line = read_line (out);
  g_assert_cmpstr (line, ==, "ping");

  g_subprocess_send_signal (server, SIGTERM);
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (peer)),
                                        &byte, 1, NULL, &error), ==, 0);
  g_assert_no_error (error);
  wait_stderr_line (err, "furlhint listen: signal received: closing");
  wait_stderr_line (err, "furlhint listen: connection 1 closed");
  assert_closed_exit_0 (server, err);
}

/* --json: the first line is an object with the FURL. Usage errors. */
static void
test_cli_json_and_usage (Fixture *f, gconstpointer data)
{
  const gchar *cli = g_getenv ("FURLHINT_CLI");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL, *first = NULL, *expected = NULL;
  guint16 port;

  path = cli_listen_setup (f, &port);
  if (path == NULL)
    return;
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                             &error, cli, "listen", "--config", path, "--echo", "--json",
                             "--tubid", "klzcmzngbqjnfciylwkq52ebgyerm33l", "--name", "swiss",
                             NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  first = read_line (out);
  expected = g_strdup_printf ("{\"furl\":\"pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:127.0.0.1:%u"
                              "/swiss\",\"hints\":[\"tcp:127.0.0.1:%u\"]}", port, port);
  g_assert_cmpstr (first, ==, expected);
  g_subprocess_send_signal (server, SIGINT);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);

  {
    const gchar *const cases[][4] = {
      { "--echo", NULL, NULL, NULL },                      /* no --config */
      { "--config", "x", NULL, NULL },                     /* neither --echo nor --exec */
      { "--config", "x", "--tubid", "short" },
      { "--config", "x", "--pipe", "--echo" },             /* two modes */
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(GSubprocess) p = NULL;
        const gchar *argv[8] = { cli, "listen", NULL };
        guint n = 2;

        for (guint j = 0; j < 4 && cases[i][j] != NULL; j++)
          argv[n++] = cases[i][j];
        if (i == 2)
          argv[n++] = "--echo";
        argv[n] = NULL;
        p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
        g_assert_no_error (error);
        g_subprocess_wait (p, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
      }
  }
}

int
main (int argc, char **argv)
{
  leakcheck_maybe_reexec (argv);
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/listen/tcp", Fixture, NULL, setup, test_tcp, teardown);
  g_test_add ("/listen/auto", Fixture, NULL, setup, test_auto, teardown);
  g_test_add ("/listen/fake-publish", Fixture, NULL, setup, test_fake_publish, teardown);
  g_test_add ("/listen/keys-only", Fixture, NULL, setup, test_keys_only, teardown);
  g_test_add ("/listen/unref-unpublishes", Fixture, NULL, setup, test_unref_unpublishes, teardown);
  g_test_add ("/listen/anonymous-revealing-hint", Fixture, NULL, setup,
              test_anonymous_revealing_hint, teardown);
  g_test_add ("/listen/partial", Fixture, NULL, setup, test_partial, teardown);
  g_test_add ("/listen/failures", Fixture, NULL, setup, test_failures, teardown);
  g_test_add ("/listen/cli/echo", Fixture, NULL, setup, test_cli_serve, teardown);
  g_test_add ("/listen/cli/exec", Fixture, "tr a-z A-Z", setup, test_cli_serve, teardown);
  g_test_add ("/listen/cli/pipe", Fixture, NULL, setup, test_cli_pipe, teardown);
  g_test_add ("/listen/cli/pipe-signal", Fixture, NULL, setup, test_cli_pipe_signal, teardown);
  g_test_add ("/listen/cli/json-and-usage", Fixture, NULL, setup, test_cli_json_and_usage, teardown);
  return g_test_run ();
}
