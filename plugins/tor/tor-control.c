/* The tor plugin's control-port client: blocking and bounded (every read
 * and write gives up after TOR_CONTROL_IO_TIMEOUT_S), for the discovery
 * thread only (tor-discovery.c), which asks a running or a launched tor
 * for its SOCKS port. Authentication (PROTOCOLINFO, then the best method
 * allowed: SAFECOOKIE, HASHEDPASSWORD, COOKIE, none), GETINFO, and the
 * careful reading of the files a control port names (its cookie), and
 * ADD_ONION for tor-publish.c, which runs it on a thread of its own. The
 * messages themselves are built and parsed by torctl.c; this file moves
 * bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_CLOEXEC and O_NOFOLLOW are POSIX, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <gio/gunixsocketaddress.h>

#include "tor-private.h"

void
tor_control_free (TorControl *ctl)
{
  if (ctl == NULL)
    return;
  if (ctl->conn != NULL)
    {
      g_io_stream_close (G_IO_STREAM (ctl->conn), NULL, NULL);
      g_object_unref (ctl->conn);
    }
  g_string_free (ctl->buf, TRUE);
  g_free (ctl->label);
  g_free (ctl);
}

static gboolean
is_down_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE);
}

/* Turns a GIO error of the control connection into a connect error. */
static void
control_io_error (TorControl *ctl,
                  const gchar *doing,
                  GError *local,
                  GError **error)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, local);
  else
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                               "%s did not answer %s within %d s",
                               ctl->label, doing, TOR_CONTROL_IO_TIMEOUT_S);
      /* A reset is a hang-up, as with a close (which one arrives can be
       * timing alone). */
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                               "%s closed the connection instead of answering %s (%s)",
                               ctl->label, doing, local->message);
      else
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED, "%s failed during %s: %s",
                               ctl->label, doing, local->message);
      g_error_free (local);
    }
}

TorControl *
tor_control_open (const FhEndpoint *endpoint,
                  GCancellable *cancellable,
                  GError **error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnectable *address;
  GError *local = NULL;
  TorControl *ctl = g_new0 (TorControl, 1);

  ctl->buf = g_string_new (NULL);
  ctl->label = tor_endpoint_label ("Tor control port", endpoint);

  /* Never through a proxy from the environment; bounded I/O. */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, TOR_CONTROL_IO_TIMEOUT_S);
  if (endpoint->kind == FH_ENDPOINT_UNIX)
    address = G_SOCKET_CONNECTABLE (g_unix_socket_address_new (endpoint->path));
  else
    address = g_network_address_new (endpoint->host, endpoint->port);

  ctl->conn = g_socket_client_connect (client, address, cancellable, &local);
  g_object_unref (address);
  g_object_unref (client);
  if (ctl->conn != NULL)
    return ctl;

  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, local);
  else
    {
      if (is_down_error (local))
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                               "%s refused the connection: is Tor running? (%s)",
                               ctl->label, local->message);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                               "%s did not accept the connection within %d s",
                               ctl->label, TOR_CONTROL_IO_TIMEOUT_S);
      else
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                               "cannot connect to %s: %s", ctl->label, local->message);
      g_error_free (local);
    }
  tor_control_free (ctl);
  return NULL;
}

/* Sends @line (a whole command with CR LF) and reads its reply, skipping
 * asynchronous events. @what names the command in errors (never the line:
 * it may hold a password). */
static FhTorReply *
tor_control_command (TorControl *ctl,
                     const gchar *line,
                     const gchar *what,
                     GCancellable *cancellable,
                     GError **error)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (ctl->conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (ctl->conn));
  GError *local = NULL;

  if (!g_output_stream_write_all (out, line, strlen (line), NULL, cancellable, &local))
    {
      control_io_error (ctl, what, local, error);
      return NULL;
    }

  for (;;)
    {
      FhTorReply *reply = NULL;
      gsize consumed = 0;
      gchar chunk[4096];
      gssize n;

      switch (fh_torctl_parse_reply (ctl->buf->str, ctl->buf->len, &consumed,
                                     &reply, &local))
        {
        case FH_TORCTL_OK:
          g_string_erase (ctl->buf, 0, consumed);
          if (reply->code / 100 == 6)
            {
              fh_torctl_reply_free (reply);
              continue;
            }
          return reply;
        case FH_TORCTL_ERROR:
          g_propagate_prefixed_error (error, local, "%s, answering %s: ", ctl->label, what);
          return NULL;
        case FH_TORCTL_NEED_MORE:
        default:
          break;
        }

      n = g_input_stream_read (in, chunk, sizeof chunk, cancellable, &local);
      if (n < 0)
        {
          control_io_error (ctl, what, local, error);
          return NULL;
        }
      if (n == 0)
        {
          tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                                 "%s closed the connection instead of answering %s",
                                 ctl->label, what);
          return NULL;
        }
      g_string_append_len (ctl->buf, chunk, n);
    }
}

/* A command whose reply must be 250. */
gboolean
tor_control_simple (TorControl *ctl,
                    const gchar *line,
                    const gchar *what,
                    GCancellable *cancellable,
                    GError **error)
{
  FhTorReply *reply = tor_control_command (ctl, line, what, cancellable, error);
  gboolean ok;

  if (reply == NULL)
    return FALSE;
  ok = fh_torctl_reply_check (reply, what, error);
  fh_torctl_reply_free (reply);
  return ok;
}

static gboolean
random_bytes (guint8 *buf,
              gsize len,
              GError **error)
{
  gint fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  gsize got = 0;

  while (fd >= 0 && got < len)
    {
      gssize n = read (fd, buf + got, len - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
  if (fd >= 0)
    close (fd);
  if (got < len)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                             "cannot read /dev/urandom for a SAFECOOKIE nonce");
      return FALSE;
    }
  return TRUE;
}

/* Tor's cookie: a regular file of exactly FH_TORCTL_COOKIE_LEN bytes.
 * Anything else is refused before a byte is read, so a COOKIEFILE of
 * /dev/zero, a FIFO or a huge file costs nothing. */
static guint8 *
read_cookie (const gchar *path,
             gsize *len,
             GError **error)
{
  struct stat st;
  guint8 *cookie;
  gssize got;
  gint fd, saved;

  fd = tor_open_regular_file (path, &st);
  if (fd < 0)
    {
      saved = errno;
      if (saved == EACCES || saved == EPERM)
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                               "cannot read Tor's control cookie %s: %s; accepted: run as a "
                               "user who may read it (Debian: the debian-tor group), or "
                               "HashedControlPassword in the torrc with [tor] control.password",
                               path, g_strerror (saved));
      else
        tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                               "refusing Tor's control cookie %s: %s; accepted: a regular file "
                               "of %d bytes (not a symbolic link)", path, tor_open_problem (saved),
                               FH_TORCTL_COOKIE_LEN);
      return NULL;
    }
  if (st.st_size != FH_TORCTL_COOKIE_LEN)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                             "refusing Tor's control cookie %s: it has %" G_GINT64_FORMAT
                             " bytes, expected %d: not a Tor cookie file", path,
                             (gint64) st.st_size, FH_TORCTL_COOKIE_LEN);
      close (fd);
      return NULL;
    }
  cookie = g_malloc (FH_TORCTL_COOKIE_LEN);
  got = tor_read_at_most (fd, cookie, FH_TORCTL_COOKIE_LEN);
  saved = errno;
  close (fd);
  if (got != FH_TORCTL_COOKIE_LEN)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                             "cannot read Tor's control cookie %s: %s", path,
                             got < 0 ? g_strerror (saved) : "it got shorter while being read");
      memset (cookie, 0, FH_TORCTL_COOKIE_LEN);
      g_free (cookie);
      return NULL;
    }
  *len = FH_TORCTL_COOKIE_LEN;
  return cookie;
}

/* PROTOCOLINFO, then AUTHENTICATE with the best method offered among
 * @allowed (FhTorAuthMethods). *@how says which, for the log. */
gboolean
tor_control_authenticate (TorControl *ctl,
                          guint allowed,
                          const gchar *password,
                          GCancellable *cancellable,
                          gchar **how,
                          GError **error)
{
  FhTorProtocolInfo info = { 0, };
  FhTorAuthMethods method;
  FhTorReply *reply;
  guint8 *cookie = NULL;
  gsize cookie_len = 0;
  gchar *line = NULL;
  gboolean ok = FALSE;

  reply = tor_control_command (ctl, "PROTOCOLINFO 1\r\n", "PROTOCOLINFO", cancellable, error);
  if (reply == NULL)
    return FALSE;
  if (!fh_torctl_parse_protocolinfo (reply, &info, error))
    {
      fh_torctl_reply_free (reply);
      g_prefix_error (error, "%s: ", ctl->label);
      return FALSE;
    }
  fh_torctl_reply_free (reply);

  method = fh_torctl_choose_auth (&info, allowed, password != NULL, error);
  switch (method)
    {
    case FH_TOR_AUTH_NULL:
      line = g_strdup ("AUTHENTICATE\r\n");
      break;
    case FH_TOR_AUTH_HASHEDPASSWORD:
      line = fh_torctl_build_auth_password (password);
      break;
    case FH_TOR_AUTH_COOKIE:
      cookie = read_cookie (info.cookie_file, &cookie_len, error);
      if (cookie != NULL)
        line = fh_torctl_build_auth_cookie (cookie, cookie_len);
      break;
    case FH_TOR_AUTH_SAFECOOKIE:
      {
        guint8 nonce[FH_TORCTL_NONCE_LEN];
        gchar *challenge;

        cookie = read_cookie (info.cookie_file, &cookie_len, error);
        if (cookie == NULL || !random_bytes (nonce, sizeof nonce, error))
          break;
        challenge = fh_torctl_build_authchallenge (nonce);
        reply = tor_control_command (ctl, challenge, "AUTHCHALLENGE", cancellable, error);
        g_free (challenge);
        if (reply == NULL)
          break;
        line = fh_torctl_safecookie_response (reply, cookie, cookie_len, nonce, error);
        fh_torctl_reply_free (reply);
      }
      break;
    default:
      break;
    }

  if (line != NULL)
    {
      ok = tor_control_simple (ctl, line, "AUTHENTICATE", cancellable, error);
      memset (line, 0, strlen (line));
      g_free (line);
    }
  else if (error != NULL && *error == NULL)
    tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH, "%s: no usable authentication",
                           ctl->label);
  if (error != NULL && *error != NULL && !g_str_has_prefix ((*error)->message, ctl->label) &&
      !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (error, "%s: ", ctl->label);

  if (ok && how != NULL)
    {
      static const struct { FhTorAuthMethods m; const gchar *name; } names[] = {
        { FH_TOR_AUTH_NULL, "no" },
        { FH_TOR_AUTH_HASHEDPASSWORD, "HASHEDPASSWORD" },
        { FH_TOR_AUTH_COOKIE, "COOKIE" },
        { FH_TOR_AUTH_SAFECOOKIE, "SAFECOOKIE" },
      };
      const gchar *name = "?";

      for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
        if (names[i].m == method)
          name = names[i].name;
      *how = g_strdup_printf ("%s authentication, Tor %s", name,
                              info.version != NULL ? info.version : "of unknown version");
    }
  if (cookie != NULL)
    memset (cookie, 0, cookie_len);
  g_free (cookie);
  fh_torctl_protocolinfo_clear (&info);
  return ok;
}

gboolean
tor_control_getinfo (TorControl *ctl,
                     const gchar *key,
                     gchar **value,
                     GCancellable *cancellable,
                     GError **error)
{
  gchar *line = fh_torctl_build_getinfo (key);
  gchar *what = g_strconcat ("GETINFO ", key, NULL);
  FhTorReply *reply = tor_control_command (ctl, line, what, cancellable, error);

  g_free (line);
  g_free (what);
  if (reply == NULL)
    return FALSE;
  *value = fh_torctl_getinfo_value (reply, key, error);
  fh_torctl_reply_free (reply);
  return *value != NULL;
}

/* ADD_ONION (@line, built by fh_torctl_build_add_onion(): never shown,
 * it may hold the key) and its reply. */
gboolean
tor_control_add_onion (TorControl *ctl,
                       const gchar *line,
                       gchar **service_id,
                       guint8 key[FH_TORCTL_ONION_KEY_LEN],
                       gboolean *have_key,
                       GCancellable *cancellable,
                       GError **error)
{
  FhTorReply *reply = tor_control_command (ctl, line, "ADD_ONION", cancellable, error);
  gboolean ok;

  if (reply == NULL)
    return FALSE;
  ok = fh_torctl_parse_add_onion (reply, service_id, key, have_key, error);
  /* The reply may carry the new key. */
  for (guint i = 0; i < reply->lines->len; i++)
    {
      gchar *text = g_ptr_array_index (reply->lines, i);

      memset (text, 0, strlen (text));
    }
  fh_torctl_reply_free (reply);
  if (!ok)
    g_prefix_error (error, "%s: ", ctl->label);
  return ok;
}

/* GETINFO net/listeners/socks → the first listener on loopback or a unix
 * socket (fh_torctl_pick_socks_listener()). */
gboolean
tor_control_socks_port (TorControl *ctl,
                        GCancellable *cancellable,
                        FhEndpoint *out,
                        GError **error)
{
  gchar *value = NULL;
  GArray *listeners;
  gboolean ok;

  if (!tor_control_getinfo (ctl, "net/listeners/socks", &value, cancellable, error))
    return FALSE;
  listeners = fh_torctl_parse_socks_listeners (value, error);
  g_free (value);
  if (listeners == NULL)
    return FALSE;
  if (listeners->len == 0)
    {
      tor_set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "Tor has no SOCKS listener (DisableNetwork?): %s answers "
                             "GETINFO net/listeners/socks with an empty list; accepted: "
                             "a tor with a SocksPort and the network enabled, or "
                             "[tor] socks.port", ctl->label);
      g_array_unref (listeners);
      return FALSE;
    }
  ok = fh_torctl_pick_socks_listener (listeners, ctl->label, out, error);
  g_array_unref (listeners);
  return ok;
}

