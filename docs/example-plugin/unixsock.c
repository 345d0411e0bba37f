/* unixsock — an example furlhint transport plugin: connection hints that
 * name a Unix domain socket.
 *
 *   unix:/run/example/node.sock   an absolute socket path
 *   unix:node.sock                a socket NAME in [unixsock] socket-dir
 *
 * A FURL cannot carry '/' inside its hints (Foolscap's FURL syntax ends
 * the hint list at the first '/'), so hints inside FURLs use the second
 * form; the first form is for hints passed to the library directly.
 *
 * This file needs only <furlhint/plugin.h> and GLib/GIO: build it with
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags furlhint) \
 *      -o unixsock.so unixsock.c -Wl,-z,defs $(pkg-config --libs gio-2.0)
 *
 * (the Makefile beside it does, with `make`).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/plugin.h>

/* sizeof (struct sockaddr_un.sun_path) on Linux, less the final NUL. */
#define UNIXSOCK_MAX_PATH 107

typedef struct {
  gchar *socket_dir;          /* (owned) (nullable) [unixsock] socket-dir */
  FurlHintLogFunc log;
  gpointer log_data;
} UnixsockState;

static gpointer
unixsock_init (const FurlHintPluginInitArgs *args,
               gboolean *configured,
               GError **error)
{
  UnixsockState *state;
  const gchar *dir;

  /* Settings are the host's: copy what we keep. */
  dir = g_hash_table_lookup (args->settings, "socket-dir");
  if (dir != NULL && *dir != '\0' && !g_path_is_absolute (dir))
    {
      /* The configuration domain (FURLHINT_CONFIG_ERROR's quark string),
       * code 3, FURLHINT_CONFIG_ERROR_BAD_VALUE: see the plugin guide. */
      g_set_error (error, g_quark_from_static_string ("furlhint-config-error-quark"), 3,
                   "[unixsock] socket-dir = %s: expected an absolute directory "
                   "path, such as /run/example", dir);
      return NULL;
    }

  state = g_new0 (UnixsockState, 1);
  state->socket_dir = (dir != NULL && *dir != '\0') ? g_strdup (dir) : NULL;
  state->log = args->log;
  state->log_data = args->log_data;

  /* A local socket is always available; a transport that needs setup
   * (a proxy, a daemon) would set *configured = FALSE when its settings
   * are absent, and the ranker would then route nothing through it. */
  *configured = TRUE;
  return state;
}

static void
unixsock_fini (gpointer data)
{
  UnixsockState *state = data;

  g_free (state->socket_dir);
  g_free (state);
}

static gboolean
name_is_plain (const gchar *name)
{
  const gchar *p;

  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    return FALSE;
  for (p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
        return FALSE;
    }
  return TRUE;
}

/* Pure: no I/O, and nothing kept that points into @hint. */
static gboolean
unixsock_parse (gpointer data,
                const gchar *hint,
                FurlHintParseMode mode,
                FurlHintTarget *target,
                GError **error)
{
  UnixsockState *state = data;
  const gchar *rest;
  gchar *path;

  if (mode != FURLHINT_PARSE_NATIVE)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                   "the unixsock plugin cannot carry '%s'", hint);
      return FALSE;
    }
  if (!g_str_has_prefix (hint, "unix:") || !g_utf8_validate (hint, -1, NULL))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized unix hint; expected unix:/PATH or unix:NAME");
      return FALSE;
    }
  rest = hint + strlen ("unix:");

  if (rest[0] == '/')
    path = g_strdup (rest);
  else if (rest[0] != '\0' && name_is_plain (rest))
    {
      if (state->socket_dir == NULL)
        {
          g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                       "unix hint '%s' names a socket, but no [unixsock] "
                       "socket-dir is configured to find it in", hint);
          return FALSE;
        }
      path = g_build_filename (state->socket_dir, rest, NULL);
    }
  else
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized unix hint '%s'; expected unix:/PATH or "
                   "unix:NAME (NAME of letters, digits, '.', '_' and '-')", hint);
      return FALSE;
    }

  if (strlen (path) > UNIXSOCK_MAX_PATH)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                   "unix hint '%.40s...': the socket path is longer than %d bytes",
                   hint, UNIXSOCK_MAX_PATH);
      g_free (path);
      return FALSE;
    }

  target->host = path;
  target->port = 0;
  target->host_kind = FURLHINT_HOST_NONE;
  target->hint = g_strdup (hint);
  return TRUE;
}

static void
connected_cb (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const gchar *path = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection != NULL)
    {
      g_task_return_pointer (task, connection, g_object_unref);
      return;
    }

  /* Keep cancellation as GIO says it; map the rest to furlhint's codes. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_REFUSED,
                             "unix socket %s refused the connection (is the server running?)", path);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                             "unix socket %s does not exist", path);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                             "unix socket %s: %s", path, error->message);
  else
    g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                             "cannot connect to unix socket %s: %s", path, error->message);
}

/* Calls @callback exactly once, from the caller's thread-default main
 * context (GTask takes care of both), also when @cancellable fires. */
static void
unixsock_connect_async (gpointer data,
                        const FurlHintConnectArgs *args,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  GTask *task;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, unixsock_connect_async);
  /* args->target is only valid until we call back: keep a copy. */
  g_task_set_task_data (task, g_strdup (args->target->host), g_free);

  args->status ("connecting", args->status_data);
  address = g_unix_socket_address_new (args->target->host);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address),
                                 cancellable, connected_cb, task);
}

static GIOStream *
unixsock_connect_finish (gpointer data,
                         GAsyncResult *result,
                         GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == unixsock_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
unixsock_describe (gpointer data,
                   const FurlHintTarget *target)
{
  return g_strdup_printf ("Unix socket %s (local)", target->host);
}

static const gchar *const unixsock_prefixes[] = { "unix", NULL };

/* The keys of [unixsock], for the host: it checks the section against
 * them before init (a typo such as `socket_dir` is reported with file,
 * line and "did you mean socket-dir?"), and `furlhint plugins --keys`
 * lists them. A path is not checked by the host: init says what is wrong
 * with it. Ended by { NULL }. */
static const FurlHintPluginKey unixsock_keys[] = {
  { "unixsock", "socket-dir", FURLHINT_KEY_PATH, NULL,
    "absolute directory of the sockets unix:NAME hints name", FALSE },
  { NULL }
};

FURLHINT_PLUGIN_DEFINE (unixsock) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "unixsock",
  .version = "1.0",
  .description = "Unix domain sockets: unix:/PATH and unix:NAME hints (example plugin)",
  .prefixes = unixsock_prefixes,
  .host_suffixes = NULL,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = unixsock_init,
  .fini = unixsock_fini,
  .parse = unixsock_parse,
  .connect_async = unixsock_connect_async,
  .connect_finish = unixsock_connect_finish,
  .describe = unixsock_describe,
  .keys = unixsock_keys,
};
