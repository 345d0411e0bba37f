/* The lab's i2pd routers (see lab-i2p.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lab.h"
#include "lab-i2p.h"
#include "leakcheck/leakcheck.h"

/* A healthy router publishes its RouterInfo to the floodfill about 2 s
 * after its start (docs/lab-notes.md, "I2P"). */
#define FLOODFILL_WAIT_MS 60000
#define FLOODFILL_STARTS 3

static gchar *
router_config (const LabI2pRouter *r,
               const gchar *host,
               gboolean floodfill)
{
  /* Pitfalls from the notes: [sam] singlethread (the default) made the
   * SAM thread of 2.45.1 segfault about once in three loaded runs, 20 s
   * into a publication's SESSION CREATE, so the lab runs SAM sessions on
   * their own threads; addressbook.enabled=false or an empty
   * defaulturl/subscriptions crash 2.45.1, so they point at a b32 that
   * does not exist (fetched inside I2P: fails quietly); reseed.file is a
   * missing local file, so no reseed server is ever contacted. */
  return g_strdup_printf (
    "log = file\n"
    "logfile = %s\n"
    "loglevel = info\n"
    "daemon = false\n"
    "service = false\n"
    "ipv4 = true\n"
    "ipv6 = false\n"
    "host = %s\n"
    "address4 = %s\n"
    "reservedrange = false\n"
    "floodfill = %s\n"
    "port = %u\n"
    "[ntcp2]\nenabled = true\npublished = true\nport = %u\n"
    "[ssu2]\nenabled = false\n"
    "[http]\nenabled = false\n"
    "[httpproxy]\nenabled = false\n"
    "[socksproxy]\nenabled = false\n"
    "[sam]\nenabled = %s\naddress = 127.0.0.1\nport = %u\nsinglethread = false\n"
    "[bob]\nenabled = false\n"
    "[i2cp]\nenabled = false\n"
    "[i2pcontrol]\nenabled = false\n"
    "[upnp]\nenabled = false\n"
    "[nettime]\nenabled = false\n"
    "[reseed]\nverify = false\nfile = %s/no-such-reseed.su3\nurls = http://127.0.0.1:1/\n"
    "[addressbook]\n"
    "defaulturl = http://" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p/hosts.txt\n"
    "subscriptions = http://" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p/hosts.txt\n",
    r->log_path, host, host, floodfill ? "true" : "false", r->ntcp2_port, r->ntcp2_port,
    r->sam_port != 0 ? "true" : "false", r->sam_port != 0 ? r->sam_port : 7656, r->dir);
}

void
lab_i2p_router_prepare (Lab *lab,
                        LabI2pRouter *r,
                        const gchar *name,
                        const gchar *host,
                        gboolean with_sam,
                        gboolean floodfill)
{
  gchar *conf, *conf_path, *file;

  r->dir = g_build_filename (lab_get_dir (lab), name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (r->dir, 0700), ==, 0);
  r->log_path = g_build_filename (r->dir, "i2pd.log", NULL);
  r->sam_port = with_sam ? lab_free_port ("127.0.0.1") : 0;
  if (with_sam)
    {
      /* a SAM bridge the library is handed is an allowed endpoint under
       * the leak checker (make check-leakcheck) */
      gchar *endpoint = g_strdup_printf ("127.0.0.1:%u", r->sam_port);

      leakcheck_allow (endpoint);
      g_free (endpoint);
    }
  do
    r->ntcp2_port = lab_free_port ("127.0.0.1");
  while (r->ntcp2_port == r->sam_port);
  conf = router_config (r, host, floodfill);
  file = g_build_filename (name, "i2pd.conf", NULL);
  conf_path = lab_write_file (lab, file, conf);
  g_free (file);
  file = g_build_filename (name, "tunnels.conf", NULL);
  g_free (lab_write_file (lab, file, ""));
  g_free (file);
  g_free (conf_path);
  g_free (conf);
}

gchar **
lab_i2p_router_argv (const LabI2pRouter *r)
{
  gchar **argv = g_new0 (gchar *, 6);

  argv[0] = g_strdup ("i2pd");
  argv[1] = g_strdup_printf ("--datadir=%s", r->dir);
  argv[2] = g_strdup_printf ("--conf=%s/i2pd.conf", r->dir);
  argv[3] = g_strdup_printf ("--tunconf=%s/tunnels.conf", r->dir);
  argv[4] = g_strdup_printf ("--tunnelsdir=%s/tunnels.d", r->dir);
  return argv;
}

/* The last @lines lines of a router's log, for failure messages. */
gchar *
lab_i2p_log_tail (const gchar *path,
                  guint lines)
{
  gchar *text = NULL;
  gchar **split;
  guint n, from;
  gchar *tail;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("(no log)");
  split = g_strsplit (text, "\n", -1);
  n = g_strv_length (split);
  from = n > lines ? n - lines : 0;
  tail = g_strjoinv ("\n", split + from);
  g_strfreev (split);
  g_free (text);
  return tail;
}

gboolean
lab_i2p_hello_works (guint16 port,
                     GError **error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GDataInputStream *in;
  gchar *line;
  const gchar hello[] = "HELLO VERSION MIN=3.1 MAX=3.3\n";
  gboolean ok = FALSE;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 5);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  g_object_unref (client);
  if (conn == NULL)
    return FALSE;
  if (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                 hello, strlen (hello), NULL, NULL, error))
    {
      in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
      line = g_data_input_stream_read_line (in, NULL, NULL, error);
      if (line != NULL)
        {
          /* i2pd 2.45.1 speaks 3.0-3.1: the highest it has is agreed. */
          ok = g_strcmp0 (line, "HELLO REPLY RESULT=OK VERSION=3.1") == 0;
          if (!ok)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HELLO got \"%s\"", line);
        }
      g_free (line);
      g_object_unref (in);
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  return ok;
}

/* Polls HELLO until the bridge answers (bounded). */
static gboolean
wait_sam_unchecked (LabI2pRouter *r,
                    guint timeout_ms,
                    GError **error)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (!lab_wait_port (r->proc, "127.0.0.1", r->sam_port, timeout_ms, error))
    return FALSE;
  while (!lab_i2p_hello_works (r->sam_port, error))
    {
      if (g_get_monotonic_time () > end || !lab_proc_is_running (r->proc))
        return FALSE;
      g_clear_error (error);
      g_usleep (100 * 1000);
    }
  return TRUE;
}

/* Lab set-up, not the code under test: this thread's own connects are
 * exempt from the leak checker while it waits. */
gboolean
lab_i2p_wait_sam (LabI2pRouter *r,
                  guint timeout_ms,
                  GError **error)
{
  gboolean ok;

  leakcheck_suspend ();
  ok = wait_sam_unchecked (r, timeout_ms, error);
  leakcheck_resume ();
  return ok;
}

/* Waits (bounded) until @r's log holds @line after its last start
 * ("i2pd v... starting..."): i2pd appends to its log when restarted. */
static gboolean
log_has_since_start (LabI2pRouter *r,
                     const gchar *line,
                     guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gchar *text = NULL;
      const gchar *start;
      gboolean done = FALSE;

      if (g_file_get_contents (r->log_path, &text, NULL, NULL))
        {
          start = g_strrstr (text, ") starting...");
          done = start != NULL && strstr (start, line) != NULL;
        }
      g_free (text);
      if (done)
        return TRUE;
      if (g_get_monotonic_time () > deadline || !lab_proc_is_running (r->proc))
        return FALSE;
      g_usleep (100 * 1000);
    }
}

/* i2pd 2.45.1 says "NetDb: Publishing confirmed" once a floodfill has
 * stored its RouterInfo: from then on it reaches the floodfill. A busy
 * machine once showed A2 give its only floodfill up instead ("Can't
 * publish LeaseSet, no more floodfills found") and stay alone. */
gboolean
lab_i2p_wait_floodfill (LabI2pRouter *r,
                        guint timeout_ms)
{
  return log_has_since_start (r, "NetDb: Publishing confirmed", timeout_ms);
}

/* i2pd 2.45.1 crashes now and then, in the thread of a SAM session's
 * destination (a segfault, kernel log "Destination[...]: segfault"), when
 * sessions close while their streams are still being torn down — our
 * code only closes its sockets (docs/lab-notes.md, "I2P"). A router that
 * died is said so, loudly, and started again on its data directory and
 * ports; FALSE when it was running. Router B (its own namespace) is not
 * restarted: a crash there stays a failure. */
gboolean
lab_i2p_router_revive (Lab *lab,
                       LabI2pRouter *r,
                       const gchar *name)
{
  GError *error = NULL;
  gchar **argv, *how, *tail, *again;

  how = lab_proc_describe_exit (r->proc);
  if (how == NULL)
    return FALSE;
  tail = lab_i2p_log_tail (r->log_path, 30);
  g_test_message ("router %s %s; the tail of its log:\n%s\nstarting it again (a known i2pd "
                  "2.45.1 crash, docs/lab-notes.md)", name, how, tail);
  g_free (tail);
  g_free (how);
  again = g_strconcat (name, "-again", NULL);
  argv = lab_i2p_router_argv (r);
  r->proc = lab_spawn (lab, again, (const gchar *const *) argv, &error);
  g_strfreev (argv);
  g_free (again);
  g_assert_no_error (error);
  if (!lab_i2p_wait_sam (r, 20000, &error))
    {
      tail = lab_i2p_log_tail (r->log_path, 40);
      g_test_message ("restarted router %s log:\n%s", name, tail);
      g_free (tail);
      g_assert_no_error (error);
      g_assert_not_reached ();
    }
  if (r->networked && !lab_i2p_wait_floodfill (r, FLOODFILL_WAIT_MS))
    {
      tail = lab_i2p_log_tail (r->log_path, 40);
      g_error ("restarted router %s did not reach its floodfill within %u s; its log:\n%s",
               name, FLOODFILL_WAIT_MS / 1000, tail);
    }
  return TRUE;
}

/* Whether router @r has died: its process is a zombie or gone (a
 * listener that lost its SAM bridge may see that first), then reaped by
 * GLib's worker (bounded). */
gboolean
lab_i2p_router_died (LabI2pRouter *r)
{
  gchar *path, *stat = NULL;
  const gchar *state;
  gboolean dead;

  if (!lab_proc_is_running (r->proc))
    return TRUE;
  path = g_strdup_printf ("/proc/%d/stat", (gint) lab_proc_get_pid (r->proc));
  dead = !g_file_get_contents (path, &stat, NULL, NULL);
  /* "PID (COMM) STATE ...", COMM may hold anything but the last ')' */
  if (!dead && (state = strrchr (stat, ')')) != NULL)
    dead = state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X');
  g_free (stat);
  g_free (path);
  for (gint i = 0; dead && i < 100 && lab_proc_is_running (r->proc); i++)
    g_usleep (50 * 1000);
  return dead;
}

/* I2P's base64: '-' and '~' for '+' and '/'. */
static guchar *
i2p_base64_decode (const gchar *text,
                   gsize *len)
{
  gchar *std = g_strdup (text);
  guchar *out;

  for (gchar *p = std; *p != '\0'; p++)
    if (*p == '-')
      *p = '+';
    else if (*p == '~')
      *p = '/';
  out = g_base64_decode (std, len);
  g_free (std);
  return out;
}

static gchar *
i2p_base64_encode (const guchar *data,
                   gsize len)
{
  gchar *out = g_base64_encode (data, len);

  for (gchar *p = out; *p != '\0'; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '~';
  return out;
}

static guint8 *
sha256 (const guchar *data,
        gsize len)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 *digest = g_malloc (32);
  gsize dlen = 32;

  g_checksum_update (sum, data, (gssize) len);
  g_checksum_get_digest (sum, digest, &dlen);
  g_checksum_free (sum);
  return digest;
}

/* "<52 base32>.b32.i2p" of a base64 destination. */
gchar *
lab_i2p_b32_of_destination (const gchar *dest_b64)
{
  static const gchar alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  gsize len = 0;
  guchar *dest = i2p_base64_decode (dest_b64, &len);
  guint8 *hash = sha256 (dest, len);
  GString *out = g_string_new (NULL);
  guint bits = 0, acc = 0;

  for (gsize i = 0; i < 32; i++)
    {
      acc = (acc << 8) | hash[i];
      bits += 8;
      while (bits >= 5)
        {
          g_string_append_c (out, alphabet[(acc >> (bits - 5)) & 31]);
          bits -= 5;
        }
    }
  if (bits > 0)
    g_string_append_c (out, alphabet[(acc << (5 - bits)) & 31]);
  g_string_append (out, ".b32.i2p");
  g_free (dest);
  g_free (hash);
  return g_string_free (out, FALSE);
}

/* Copies router @from's router.info into @to's netDb under the name i2pd
 * looks for (netDb/r<c>/routerInfo-<ident hash>.dat): how A learns of its
 * floodfill without reseeding (reseed.floodfill crashes 2.45.1). */
static gboolean
seed_netdb (const LabI2pRouter *from,
            const LabI2pRouter *to,
            GError **error)
{
  gchar *ri_path = g_build_filename (from->dir, "router.info", NULL);
  gchar *ri = NULL, *hash_b64 = NULL, *dir = NULL, *name = NULL, *path = NULL;
  gsize len = 0, ident_len;
  guint8 *hash;
  gboolean ok = FALSE;

  if (!g_file_get_contents (ri_path, &ri, &len, error))
    goto out;
  if (len < 387)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s is too short", ri_path);
      goto out;
    }
  /* RouterIdentity: 384 bytes of keys, then a certificate (type, length). */
  ident_len = 387 + (((guchar) ri[385] << 8) | (guchar) ri[386]);
  hash = sha256 ((const guchar *) ri, ident_len);
  hash_b64 = i2p_base64_encode (hash, 32);
  g_free (hash);
  dir = g_strdup_printf ("%s/netDb/r%c", to->dir, hash_b64[0]);
  g_mkdir_with_parents (dir, 0700);
  name = g_strdup_printf ("routerInfo-%s.dat", hash_b64);
  path = g_build_filename (dir, name, NULL);
  ok = g_file_set_contents (path, ri, (gssize) len, error);
out:
  g_free (ri_path);
  g_free (ri);
  g_free (hash_b64);
  g_free (dir);
  g_free (name);
  g_free (path);
  return ok;
}

static gboolean
run_ip (const gchar *const *argv,
        GError **error)
{
  gint status = 0;
  gchar *err = NULL;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s %s %s: %s: ", argv[0], argv[1], argv[2], err);
      g_free (err);
      return FALSE;
    }
  g_free (err);
  return TRUE;
}

static gchar *
sam_command (GSocketConnection *conn,
             GDataInputStream *in,
             const gchar *command,
             GError **error)
{
  gchar *line;

  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                  command, strlen (command), NULL, NULL, error))
    return NULL;
  line = g_data_input_stream_read_line (in, NULL, NULL, error);
  if (line == NULL && *error == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "EOF after %s", command);
  return line;
}

static GSocketConnection *
sam_open (guint16 port,
          GDataInputStream **in,
          GError **error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  gchar *line;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, error);
  g_object_unref (client);
  if (conn == NULL)
    return NULL;
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 60);
  *in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (*in), 1);
  line = sam_command (conn, *in, "HELLO VERSION MIN=3.1 MAX=3.1\n", error);
  if (line == NULL || !g_str_has_prefix (line, "HELLO REPLY RESULT=OK"))
    {
      if (line != NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HELLO: %s", line);
      g_free (line);
      g_clear_object (in);
      g_object_unref (conn);
      return NULL;
    }
  g_free (line);
  return conn;
}

gpointer
lab_i2p_server_thread (gpointer data)
{
  LabI2pServer *srv = data;
  GDataInputStream *in = NULL, *fin = NULL;
  gchar *line = NULL, *value;
  gint64 t0 = g_get_monotonic_time ();

  /* The test's own server side: its thread is exempt (the library's are
   * not). */
  leakcheck_suspend ();
  srv->control = sam_open (srv->sam_port, &in, &srv->error);
  if (srv->control == NULL)
    goto out;
  line = sam_command (srv->control, in,
                      "SESSION CREATE STYLE=STREAM ID=labserver DESTINATION=TRANSIENT "
                      "SIGNATURE_TYPE=7 " LAB_I2P_SESSION_OPTIONS "\n", &srv->error);
  srv->create_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (line == NULL || !g_str_has_prefix (line, "SESSION STATUS RESULT=OK"))
    goto fail;
  g_free (line);
  line = sam_command (srv->control, in, "NAMING LOOKUP NAME=ME\n", &srv->error);
  if (line == NULL || (value = strstr (line, " VALUE=")) == NULL)
    goto fail;
  srv->b32 = lab_i2p_b32_of_destination (value + strlen (" VALUE="));
  g_free (line);

  srv->forward = sam_open (srv->sam_port, &fin, &srv->error);
  if (srv->forward == NULL)
    goto out;
  line = g_strdup_printf ("STREAM FORWARD ID=labserver PORT=%u SILENT=true\n", srv->echo_port);
  value = sam_command (srv->forward, fin, line, &srv->error);
  g_free (line);
  line = value;
  if (line == NULL || !g_str_has_prefix (line, "STREAM STATUS RESULT=OK"))
    goto fail;
  g_free (line);
  goto out;

fail:
  if (srv->error == NULL)
    g_set_error (&srv->error, G_IO_ERROR, G_IO_ERROR_FAILED, "SAM said: %s", line);
  g_free (line);
out:
  g_clear_object (&in);
  g_clear_object (&fin);
  leakcheck_resume ();
  return NULL;
}

/* Router B (floodfill) in a namespace of its own, joined to ours by a veth
 * pair 198.18.0.1 (us, router A2) - 198.18.0.2 (B); A2 learns B from a
 * copy of B's RouterInfo and has SAM. */
void
lab_i2p_start_two_routers (Lab *lab,
                           LabI2pRouter *b_out,
                           LabI2pRouter *a2_out)
{
  LabI2pRouter b = { 0 }, a2 = { 0 };
  GError *error = NULL;
  gchar **argv, *script, *pid_text, *ri_path, *ready_path;

  lab_i2p_router_prepare (lab, &b, "routerB", "198.18.0.2", FALSE, TRUE);
  argv = lab_i2p_router_argv (&b);
  /* The shell runs only once unshare has made B's namespace: it says so
   * in the file @ready, and the veth pair is made only then (made before,
   * its far end would land in our own namespace and B would wait for it
   * in vain). */
  ready_path = g_build_filename (b.dir, "netns-ready", NULL);
  script = g_strdup_printf (": > '%s'; i=0; while ! ip link show vethB >/dev/null 2>&1; do "
                            "i=$((i+1)); [ $i -gt 1200 ] && exit 3; sleep 0.05; done; "
                            "ip link set lo up && ip addr add 198.18.0.2/24 dev vethB && "
                            "ip link set vethB up && exec i2pd \"$@\"", ready_path);
  {
    const gchar *const wrapper[] = { "unshare", "-n", "sh", "-c", script, "i2pd",
                                     argv[1], argv[2], argv[3], argv[4], NULL };
    b.proc = lab_spawn (lab, "i2pd-B", wrapper, &error);
    g_assert_no_error (error);
  }
  g_strfreev (argv);
  g_free (script);

  /* unshare execs sh, sh execs i2pd: the pid is in B's namespace once
   * the shell has written @ready (bounded: a failure, not a race). */
  pid_text = g_strdup_printf ("%d", (gint) lab_proc_get_pid (b.proc));
  {
    const gchar *const add[] = { "ip", "link", "add", "vethA", "type", "veth", "peer",
                                 "name", "vethB", "netns", pid_text, NULL };
    const gchar *const addr[] = { "ip", "addr", "add", "198.18.0.1/24", "dev", "vethA", NULL };
    const gchar *const up[] = { "ip", "link", "set", "vethA", "up", NULL };
    for (gint i = 0; i < 1200 && lab_proc_is_running (b.proc) &&
                     !g_file_test (ready_path, G_FILE_TEST_EXISTS); i++)
      g_usleep (50 * 1000);
    g_assert_true (g_file_test (ready_path, G_FILE_TEST_EXISTS));
    g_assert_true (run_ip (add, &error));
    g_assert_no_error (error);
    g_assert_true (run_ip (addr, &error));
    g_assert_true (run_ip (up, &error));
    g_assert_no_error (error);
  }
  g_free (pid_text);
  g_free (ready_path);

  ri_path = g_build_filename (b.dir, "router.info", NULL);
  for (gint i = 0; i < 1200 && !g_file_test (ri_path, G_FILE_TEST_EXISTS); i++)
    g_usleep (50 * 1000);
  if (!g_file_test (ri_path, G_FILE_TEST_EXISTS))
    {
      gchar *tail = lab_i2p_log_tail (b.log_path, 40);
      g_test_message ("router B wrote no router.info; its log:\n%s", tail);
      g_free (tail);
      g_assert_not_reached ();
    }
  g_free (ri_path);
  g_usleep (200 * 1000);   /* written whole */
  /* B writes router.info at start-up, before its transports: A2 is
   * started once B's NTCP2 port listens (see lab_i2p_wait_floodfill()). */
  if (!log_has_since_start (&b, "NTCP2: Start listening", 60000))
    {
      gchar *tail = lab_i2p_log_tail (b.log_path, 40);
      g_error ("router B did not open its NTCP2 port within 60 s; its log:\n%s", tail);
    }

  lab_i2p_router_prepare (lab, &a2, "routerA2", "198.18.0.1", TRUE, FALSE);
  a2.networked = TRUE;
  g_assert_true (seed_netdb (&b, &a2, &error));
  g_assert_no_error (error);
  for (guint start = 1;; start++)
    {
      gchar *tail;

      argv = lab_i2p_router_argv (&a2);
      a2.proc = lab_spawn (lab, start == 1 ? "i2pd-A2" : "i2pd-A2-again",
                           (const gchar *const *) argv, &error);
      g_strfreev (argv);
      g_assert_no_error (error);
      if (!lab_i2p_wait_sam (&a2, 20000, &error))
        {
          tail = lab_i2p_log_tail (a2.log_path, 40);
          g_test_message ("router A2 log:\n%s", tail);
          g_free (tail);
          g_assert_no_error (error);
        }
      if (lab_i2p_wait_floodfill (&a2, FLOODFILL_WAIT_MS))
        break;
      tail = lab_i2p_log_tail (a2.log_path, 30);
      if (start == FLOODFILL_STARTS)
        g_error ("router A2 did not reach floodfill B in %u starts of %u s; its log:\n%s",
                 FLOODFILL_STARTS, FLOODFILL_WAIT_MS / 1000, tail);
      g_test_message ("router A2 did not reach floodfill B within %u s; starting it again; "
                      "its log:\n%s", FLOODFILL_WAIT_MS / 1000, tail);
      g_free (tail);
      lab_stop (a2.proc);
    }

  *b_out = b;
  *a2_out = a2;
}

void
lab_i2p_server_clear (LabI2pServer *srv)
{
  if (srv->control != NULL)
    g_io_stream_close (G_IO_STREAM (srv->control), NULL, NULL);
  if (srv->forward != NULL)
    g_io_stream_close (G_IO_STREAM (srv->forward), NULL, NULL);
  g_clear_object (&srv->control);
  g_clear_object (&srv->forward);
  g_clear_error (&srv->error);
  g_clear_pointer (&srv->b32, g_free);
}
