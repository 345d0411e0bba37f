/* `furlhint listen --config FILE (--echo | --pipe | --exec CMD)`: brings a
 * node's listening side up (furlhint_context_listen_async()), prints the
 * FURL to hand to clients as the first line on stdout, and serves incoming
 * streams until SIGINT or SIGTERM, when it unpublishes everything and
 * exits 0. With --pipe it serves one stream, relayed to stdin/stdout
 * (cli/relay.c), and stops when that stream ends.
 *
 * The first stdout line is the FURL and nothing else, so that a script
 * (or a test) can read it and connect; every event goes to stderr, one
 * line each.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib-unix.h>

#include "cli-common.h"
#include "json-writer.h"
#include "relay.h"

/* Foolscap's base32 alphabet (foolscap/base32.py). */
#define BASE32_ALPHABET "abcdefghijklmnopqrstuvwxyz234567"

typedef struct {
  FhCli *cli;
  FurlHintContext *ctx;            /* (unowned) */
  GMainLoop *loop;                 /* (owned) */
  GCancellable *cancellable;       /* (owned) ends the streams being served at exit */
  FurlHintListener *listener;      /* (owned) (nullable) */
  GError *error;                   /* (owned) (nullable) why listen failed */
  gboolean started;
  gchar **exec_argv;               /* (owned) (nullable) --exec CMD, split as a shell would */
  gboolean pipe;                   /* --pipe */
  GSocketConnection *piped;        /* (owned) (nullable) the stream --pipe relays */
  guint piped_id;                  /* its number in status lines; 0 until one came */
  guint next_id;                   /* numbers incoming streams for status lines */
  guint active;                    /* streams being served */
  int signum;
} Listen;

typedef struct {
  Listen *l;                       /* (unowned) */
  guint id;
  GSocketConnection *connection;   /* (owned) */
  GSubprocess *process;            /* (owned) (nullable) --exec */
  guint pending;                   /* splices still running */
} Stream;

/* 20 random bytes as 32 base32 characters: a valid tub ID or swissnum. */
static gchar *
random_base32 (void)
{
  GString *out = g_string_sized_new (33);
  guint8 bytes[20];
  guint bits = 0, value = 0;
  gsize i;

  for (i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) g_random_int_range (0, 256);
  for (i = 0; i < sizeof bytes; i++)
    {
      value = (value << 8) | bytes[i];
      bits += 8;
      while (bits >= 5)
        {
          g_string_append_c (out, BASE32_ALPHABET[(value >> (bits - 5)) & 31]);
          bits -= 5;
        }
    }
  return g_string_free (out, FALSE);
}

static gboolean
tubid_is_valid (const gchar *text)
{
  gsize i;

  if (strlen (text) != 32)
    return FALSE;
  for (i = 0; i < 32; i++)
    if (strchr (BASE32_ALPHABET, g_ascii_tolower (text[i])) == NULL)
      return FALSE;
  return TRUE;
}

static void
on_status (const FurlHintListenEntry *entry,
           const gchar *status,
           gpointer user_data)
{
  Listen *l = user_data;

  fh_cli_print_listen_status (l->cli, entry, status);
}

static void
stream_done (Stream *s)
{
  Listen *l = s->l;

  if (--s->pending > 0)
    return;
  fh_cli_error (l->cli, "connection %u closed", s->id);
  g_io_stream_close (G_IO_STREAM (s->connection), NULL, NULL);
  g_object_unref (s->connection);
  if (s->process != NULL)
    {
      g_subprocess_force_exit (s->process);
      g_object_unref (s->process);
    }
  g_free (s);
  l->active--;
}

static void
splice_done (GObject *source,
             GAsyncResult *res,
             gpointer user_data)
{
  Stream *s = user_data;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (source), res, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fh_cli_error (s->l->cli, "connection %u: %s", s->id, error->message);
  /* The peer's end of stream (or the command's): pass it on as an end of
   * stream the other way, so a half-closed peer still gets its answer. */
  if (s->process == NULL || G_OUTPUT_STREAM (source) == g_io_stream_get_output_stream (G_IO_STREAM (s->connection)))
    g_socket_shutdown (g_socket_connection_get_socket (s->connection), FALSE, TRUE, NULL);
  stream_done (s);
}

static void
on_incoming (FurlHintListener *listener,
             GSocketConnection *connection,
             const gchar *transport,
             gpointer user_data)
{
  Listen *l = user_data;
  Stream *s = g_new0 (Stream, 1);
  GIOStream *io = G_IO_STREAM (connection);

  s->l = l;
  s->id = ++l->next_id;
  s->connection = g_object_ref (connection);
  l->active++;
  fh_cli_error (l->cli, "connection %u: incoming over %s", s->id, transport);

  if (l->pipe)
    {
      /* --pipe has one standard input and output: the first stream gets
       * them, and every later one is closed at once (its peer sees the
       * end of the stream before any byte), with a status line. */
      if (l->piped_id == 0)
        {
          l->piped_id = s->id;
          l->piped = g_steal_pointer (&s->connection);
          fh_cli_error (l->cli, "connection %u: relayed to standard input and output (--pipe)",
                        s->id);
          g_free (s);
          l->active--;
          g_main_loop_quit (l->loop);
          return;
        }
      fh_cli_error (l->cli, "connection %u: refused: --pipe relays one stream only "
                    "(connection %u)", s->id, l->piped_id);
      s->pending = 1;
      stream_done (s);
      return;
    }

  if (l->exec_argv == NULL)
    {
      /* --echo: what the peer sends comes back, until it ends its side. */
      s->pending = 1;
      g_output_stream_splice_async (g_io_stream_get_output_stream (io),
                                    g_io_stream_get_input_stream (io),
                                    G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT,
                                    l->cancellable, splice_done, s);
      return;
    }

  {
    g_autoptr(GError) error = NULL;

    s->process = g_subprocess_newv ((const gchar *const *) l->exec_argv,
                                    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error);
    if (s->process == NULL)
      {
        fh_cli_error (l->cli, "connection %u: --exec: %s", s->id, error->message);
        s->pending = 1;
        stream_done (s);
        return;
      }
    /* the stream on the command's stdin, its stdout back to the peer */
    s->pending = 2;
    g_output_stream_splice_async (g_subprocess_get_stdin_pipe (s->process),
                                  g_io_stream_get_input_stream (io),
                                  G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT,
                                  l->cancellable, splice_done, s);
    g_output_stream_splice_async (g_io_stream_get_output_stream (io),
                                  g_subprocess_get_stdout_pipe (s->process),
                                  G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT,
                                  l->cancellable, splice_done, s);
  }
}

static void
listen_done (GObject *source,
             GAsyncResult *res,
             gpointer user_data)
{
  Listen *l = user_data;

  l->listener = furlhint_context_listen_finish (l->ctx, res, &l->error);
  l->started = TRUE;
  g_main_loop_quit (l->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Listen *l = user_data;

  if (l->signum == 0)
    fh_cli_error (l->cli, "signal received: closing");
  l->signum = 1;
  /* ends a --pipe relay (the streams being served end after the close) */
  if (l->piped != NULL)
    g_cancellable_cancel (l->cancellable);
  /* Before the listener is up, listen_done() ends the loop: the start
   * finishes first, so that what it published is withdrawn. */
  if (l->started)
    g_main_loop_quit (l->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_furl (Listen *l,
            const gchar *tubid,
            const gchar *name)
{
  const gchar *const *hints = furlhint_listener_get_hints (l->listener);
  g_autofree gchar *location = g_strjoinv (",", (gchar **) hints);
  g_autofree gchar *furl = g_strdup_printf ("pb://%s@%s/%s", tubid, location, name);

  if (l->cli->json)
    {
      g_autoptr(GString) out = g_string_new ("{");

      fh_json_append_key (out, "furl");
      fh_json_append_text (out, furl);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hints");
      fh_json_append_strv (out, hints);
      g_string_append_c (out, '}');
      fh_json_print_line (out);
    }
  else
    fh_print (stdout, "%s\n", furl);
  fflush (stdout);
  if (hints[0] == NULL)
    fh_cli_error (l->cli, "warning: this node advertises no hint (tub.location has none that "
                  "came up): no client can reach it");
}

int
fh_cmd_listen (FhCli *cli,
               int argc,
               char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *tubid = NULL, *name = NULL, *exec = NULL;
  gboolean echo = FALSE, pipe = FALSE;
  FurlHintConfig *config = NULL;
  FurlHintContext *ctx = NULL;
  FurlHintListenOptions options = { 0 };
  Listen l = { 0 };
  guint sigint_id, sigterm_id;
  int rc = FH_EXIT_OK;
  const GOptionEntry entries[] = {
    { "tubid", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &tubid,
      "The tub ID the FURL carries (32 base32 characters; default: random)", "ID" },
    { "name", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &name,
      "The FURL's name (swissnum; default: random)", "NAME" },
    { "echo", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &echo,
      "Echo every incoming stream back to its peer", NULL },
    { "pipe", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &pipe,
      "Relay the first incoming stream to standard input and output, then stop", NULL },
    { "exec", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &exec,
      "Run CMD for every incoming stream, the stream on its stdin and stdout", "CMD" },
    G_OPTION_ENTRY_NULL
  };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("listen"), entries);
  g_option_context_set_description (octx,
    "Reads --config FILE as a tahoe.cfg, checks it as a node does before\n"
    "starting, and brings the node's listening side up: a TCP listener for\n"
    "each tcp: entry of tub.port, and for each onion: or i2p: endpoint a\n"
    "loopback listener published through the tor or i2p plugin. The FURL to\n"
    "hand to clients, pb://TUBID@HINTS/NAME, is the first line on stdout\n"
    "(with --json an object with \"furl\" and \"hints\"); one status line per\n"
    "event goes to stderr. Serves until SIGINT or SIGTERM, then withdraws\n"
    "every publication, closes the listeners and exits 0.\n"
    "\n"
    "A key that does not exist yet is created and saved where the entry\n"
    "says; the next start reuses it, so the node keeps its address.\n"
    "\n"
    "An entry that fails is reported and the others serve; listen fails\n"
    "only when no listener could be brought up.\n"
    "\n"
    "--pipe: the first incoming stream is relayed as `connect --pipe` does:\n"
    "standard input to the peer, the peer to standard output after the FURL\n"
    "line. The end of standard input does not end it; the peer's end of the\n"
    "stream does, and then listen withdraws everything and exits (0, or 1\n"
    "when the relay failed). Streams that arrive while one is relayed are\n"
    "closed at once, each with a status line.\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;
  if (cli->args != NULL && cli->args[0] != NULL)
    return fh_cli_usage_error (cli, "listen takes no arguments, got '%s'", cli->args[0]);
  if (cli->config_path == NULL)
    return fh_cli_usage_error (cli, "which node? give its tahoe.cfg: listen --config FILE");
  if ((echo ? 1 : 0) + (pipe ? 1 : 0) + (exec != NULL ? 1 : 0) != 1)
    return fh_cli_usage_error (cli, "say what to do with incoming streams: one of --echo, "
                               "--pipe or --exec CMD");
  if (tubid != NULL && !tubid_is_valid (tubid))
    return fh_cli_usage_error (cli, "--tubid '%s': a tub ID is 32 base32 characters "
                               "(a-z and 2-7)", tubid);
  if (name != NULL && (*name == '\0' || strpbrk (name, "/@,#? \t\r\n") != NULL))
    return fh_cli_usage_error (cli, "--name: a FURL name is not empty and has no '/', '@', "
                               "',', '#', '?' or white space");
  if (exec != NULL && !g_shell_parse_argv (exec, NULL, &l.exec_argv, &error))
    return fh_cli_usage_error (cli, "--exec '%s': %s", exec, error->message);
  if (tubid == NULL)
    tubid = random_base32 ();
  if (name == NULL)
    name = random_base32 ();

  config = fh_cli_load_config (cli, &rc);
  if (config == NULL)
    goto out;
  ctx = fh_cli_make_context (cli, config, &rc);
  if (ctx == NULL)
    goto out;

  l.cli = cli;
  l.ctx = ctx;
  l.pipe = pipe;
  l.loop = g_main_loop_new (NULL, FALSE);
  l.cancellable = g_cancellable_new ();
  options.struct_size = sizeof options;
  /* A node makes its onion and I2P keys on its first start, as `furlhint
   * location` announces ("created on first listen"); later starts reuse
   * them, so the address stays. */
  options.create_keys = TRUE;
  options.status = on_status;
  options.status_data = &l;
  options.incoming = on_incoming;
  options.incoming_data = &l;

  sigint_id = g_unix_signal_add (SIGINT, on_signal, &l);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &l);
  furlhint_context_listen_async (ctx, &options, NULL, listen_done, &l);
  if (!l.started)
    g_main_loop_run (l.loop);

  if (l.listener == NULL)
    {
      if (l.signum == 0)
        {
          fh_cli_error (cli, "%s", l.error->message);
          rc = FH_EXIT_REFUSED;
        }
    }
  else if (l.signum == 0)
    {
      print_furl (&l, tubid, name);
      /* (with --pipe a stream may have come in already) */
      if (l.piped == NULL)
        g_main_loop_run (l.loop);
    }

  if (l.piped != NULL && l.signum == 0)
    {
      g_autoptr(GError) relay_error = NULL;

      /* As a server: the end of standard input does not shut the
       * connection down, and the peer is read until it closes. */
      if (!fh_relay_run (cli, G_IO_STREAM (l.piped), FALSE, 0, l.cancellable, &relay_error)
          && l.signum == 0)
        {
          fh_cli_error (cli, "connection %u: relay: %s", l.piped_id, relay_error->message);
          rc = FH_EXIT_REFUSED;
        }
      fh_cli_error (cli, "connection %u closed%s", l.piped_id,
                    l.signum == 0 ? " (--pipe: closing)" : "");
    }

  /* Withdraw first: nothing reaches the node once this returns. */
  if (l.listener != NULL)
    furlhint_listener_close (l.listener);
  /* and the streams being served end (their splices report back) */
  g_cancellable_cancel (l.cancellable);
  while (l.active > 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_pointer (&l.listener, furlhint_listener_unref);
  g_clear_object (&l.piped);
  g_clear_object (&l.cancellable);
  g_clear_error (&l.error);
  g_main_loop_unref (l.loop);

out:
  g_strfreev (l.exec_argv);
  if (ctx != NULL)
    furlhint_context_unref (ctx);
  furlhint_config_unref (config);
  return rc;
}
