/* The --pipe relay shared by `furlhint connect` and `furlhint listen`.
 *
 * GIO's Unix fd streams would need gio-unix-2.0; the relay reads stdin
 * when poll() says it is readable and writes stdout blocking, as cat
 * does, and never changes the descriptors' flags (they are shared with
 * the shell). The connection side is plain GIO async I/O, so a plugin's
 * stream need not be a socket.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <glib-unix.h>

#include "relay.h"

typedef struct {
  FhCli *cli;
  GIOStream *stream;              /* (unowned) */
  GCancellable *cancellable;      /* (owned) ends the relay */
  gboolean half_close;            /* stdin's EOF shuts down the write side */
  guint idle_timeout_ms;          /* 0: none */
  gboolean upstream_active;       /* stdin → peer still running */
  gboolean downstream_active;     /* peer → stdout still running */
  gboolean input_ended;           /* stdin reached EOF */
  guint stdin_watch;              /* (nullable) waiting for stdin */
  guint idle_id;                  /* (nullable) the idle timeout after stdin's EOF */
  GError *relay_error;            /* (owned) (nullable) the first relay failure */
  gchar up_buf[16384];
  gchar down_buf[16384];
} FhRelay;

static void
relay_failed (FhRelay *c,
              const gchar *what,
              GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      return;
    }
  if (c->relay_error == NULL)
    {
      g_prefix_error (&error, "%s: ", what);
      c->relay_error = error;
    }
  else
    g_error_free (error);
  g_cancellable_cancel (c->cancellable);
}

static void watch_stdin (FhRelay *c);

/* --half-close: stdin's EOF becomes the peer's; its answer still comes
 * back from a peer that reads a half-closed connection, but a SAM bridge
 * or an HTTP CONNECT proxy ends the whole stream on it. */
static void
half_close (FhRelay *c)
{
  GError *error = NULL;

  if (G_IS_SOCKET_CONNECTION (c->stream))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (c->stream));

      if (!g_socket_shutdown (socket, FALSE, TRUE, &error))
        relay_failed (c, "shutting down the connection's write side", error);
    }
  else if (!g_output_stream_close (g_io_stream_get_output_stream (c->stream), NULL, &error))
    relay_failed (c, "closing the connection's write side", error);
}

static gboolean
idle_timeout_cb (gpointer user_data)
{
  FhRelay *c = user_data;

  c->idle_id = 0;
  if (c->cli->verbose)
    fh_cli_error (c->cli, "the peer sent nothing for %u ms after the end of standard "
                  "input (--idle-timeout): ending the relay", c->idle_timeout_ms);
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_REMOVE;
}

/* (Re)starts the idle timeout once standard input has ended. */
static void
restart_idle_timeout (FhRelay *c)
{
  if (!c->input_ended || c->idle_timeout_ms == 0)
    return;
  if (c->idle_id != 0)
    g_source_remove (c->idle_id);
  c->idle_id = g_timeout_add (c->idle_timeout_ms, idle_timeout_cb, c);
}

/* As nc does: the end of standard input is not the end of the
 * conversation. The connection stays open both ways (unless
 * --half-close) and the peer is read until it closes, or until it has
 * been silent for --idle-timeout. */
static void
input_ended (FhRelay *c)
{
  c->input_ended = TRUE;
  c->upstream_active = FALSE;
  if (c->half_close)
    half_close (c);
  if (c->cli->verbose)
    {
      g_autofree gchar *bound = c->idle_timeout_ms > 0
                                ? g_strdup_printf ("or has been silent for %u ms", c->idle_timeout_ms)
                                : g_strdup ("(no --idle-timeout)");

      fh_cli_error (c->cli, "end of standard input%s; reading the peer until it closes %s",
                    c->half_close ? " (write side shut down: --half-close)" : "", bound);
    }
  restart_idle_timeout (c);
}

static void
upstream_written_cb (GObject *source,
                     GAsyncResult *res,
                     gpointer user_data)
{
  FhRelay *c = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error))
    {
      relay_failed (c, "writing to the connection", error);
      c->upstream_active = FALSE;
      return;
    }
  if (g_cancellable_is_cancelled (c->cancellable))
    c->upstream_active = FALSE;
  else
    watch_stdin (c);
}

static gboolean
stdin_ready_cb (gint fd,
                GIOCondition condition,
                gpointer user_data)
{
  FhRelay *c = user_data;
  gssize n = read (fd, c->up_buf, sizeof c->up_buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  c->stdin_watch = 0;
  if (n < 0)
    {
      int saved_errno = errno;

      relay_failed (c, "reading standard input",
                    g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s",
                                 g_strerror (saved_errno)));
      c->upstream_active = FALSE;
    }
  else if (n == 0)
    input_ended (c);
  else
    g_output_stream_write_all_async (g_io_stream_get_output_stream (c->stream),
                                     c->up_buf, (gsize) n, G_PRIORITY_DEFAULT,
                                     c->cancellable, upstream_written_cb, c);
  return G_SOURCE_REMOVE;
}

static void
watch_stdin (FhRelay *c)
{
  c->stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                  stdin_ready_cb, c);
}

static gboolean
write_stdout (const gchar *data,
              gsize length,
              GError **error)
{
  while (length > 0)
    {
      gssize n = write (STDOUT_FILENO, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

static void read_peer (FhRelay *c);

/* The peer's bytes go to stdout; its EOF ends the relay and stops
 * reading stdin, as ncat does. */
static void
downstream_read_cb (GObject *source,
                    GAsyncResult *res,
                    gpointer user_data)
{
  FhRelay *c = user_data;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);

  if (n < 0)
    {
      relay_failed (c, "reading from the connection", error);
      c->downstream_active = FALSE;
    }
  else if (n == 0)
    {
      c->downstream_active = FALSE;
      g_cancellable_cancel (c->cancellable);
    }
  else if (!write_stdout (c->down_buf, (gsize) n, &error))
    {
      relay_failed (c, "writing standard output", error);
      c->downstream_active = FALSE;
    }
  else
    {
      restart_idle_timeout (c);
      read_peer (c);
    }
}

static void
read_peer (FhRelay *c)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (c->stream), c->down_buf,
                             sizeof c->down_buf, G_PRIORITY_DEFAULT, c->cancellable,
                             downstream_read_cb, c);
}

static void
cancel_relay (GCancellable *outer,
              gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

gboolean
fh_relay_run (FhCli *cli,
              GIOStream *stream,
              gboolean half_close,
              guint idle_timeout_ms,
              GCancellable *cancellable,
              GError **error)
{
  FhRelay *c = g_new0 (FhRelay, 1);
  GError *close_error = NULL;
  gulong handler = 0;
  gboolean ok;

  c->cli = cli;
  c->stream = stream;
  c->half_close = half_close;
  c->idle_timeout_ms = idle_timeout_ms;
  c->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_relay),
                                     c->cancellable, NULL);

  fflush (stdout);
  c->upstream_active = TRUE;
  c->downstream_active = TRUE;
  watch_stdin (c);
  read_peer (c);
  while (c->upstream_active || c->downstream_active)
    {
      g_main_context_iteration (NULL, TRUE);
      /* A pending stdin watch has no cancellable of its own. */
      if (g_cancellable_is_cancelled (c->cancellable) && c->stdin_watch != 0)
        {
          g_source_remove (c->stdin_watch);
          c->stdin_watch = 0;
          c->upstream_active = FALSE;
        }
    }
  if (c->idle_id != 0)
    g_source_remove (c->idle_id);

  if (!g_io_stream_close (c->stream, NULL, &close_error) && c->relay_error == NULL
      && !g_cancellable_is_cancelled (cancellable))
    c->relay_error = g_steal_pointer (&close_error);
  g_clear_error (&close_error);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  ok = c->relay_error == NULL;
  if (!ok)
    g_propagate_error (error, c->relay_error);
  g_object_unref (c->cancellable);
  g_free (c);
  return ok;
}
