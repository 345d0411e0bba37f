/* The tcp plugin: direct TCP connections (Foolscap's DefaultTCP handler).
 *
 * Anonymity class CLEAR: the server sees our address and host names are
 * resolved locally. The ranker never routes through this plugin in
 * anonymous mode; the plugin also remembers the mode so that its connect
 * can fail closed should a broken policy ever ask.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"

#define TCP_PLUGIN_NAME "tcp"

typedef struct {
  gboolean anonymous;       /* the node runs in anonymous mode */
  GSocketClient *client;    /* (owned) (nullable) made on first connect */
  /* Guards the pollers and the connects registered in them: a connect's
   * cancellable may be cancelled from any thread. */
  GMutex lock;
  GHashTable *pollers;      /* (owned) (nullable) GMainContext → (owned) TcpPoller */
} TcpState;

/* Connects to a literal address skip GSocketClient (docs/design.md,
 * Connector, "Direct TCP at node scale"): a non-blocking socket and
 * connect(), waited for in ONE epoll instance per GMainContext, which the
 * context polls as a single GPollFD. GLib keeps a context's poll records
 * in a sorted list, so one record (and one GSource) per pending socket
 * makes a burst of N connects cost O(N²); here it costs one record
 * whatever N. The GSocketConnection is made only for a connect that
 * succeeded. */
typedef struct _TcpPending TcpPending;

typedef struct {
  GSource source;
  TcpState *state;          /* (unowned) outlives its pollers */
  GMainContext *context;    /* (unowned) the key in state->pollers */
  int epfd;                 /* (owned) */
  guint n_registered;       /* connects in epfd; under state->lock */
  TcpPending *cancelled;    /* cancelled connects, their sockets already
                             * closed, to return on the context; under
                             * state->lock */
  TcpPending *cancelled_tail;
} TcpPoller;

struct _TcpPending {
  TcpState *state;          /* (unowned) */
  TcpPoller *poller;        /* (unowned) valid while registered or queued */
  GTask *task;              /* (owned) */
  GCancellable *cancellable; /* (owned) (nullable) */
  gulong cancel_id;
  int fd;                   /* (owned) -1 once closed */
  gboolean registered;      /* in poller->epfd; under state->lock */
  TcpPending *next;         /* in a list of finished connects */
};

static gpointer
tcp_init (const FurlHintPluginInitArgs *args,
          gboolean *configured,
          GError **error)
{
  TcpState *state;

  if (!fh_plugin_check_init_args (TCP_PLUGIN_NAME, args, error))
    return NULL;

  /* Direct TCP needs no setting: `[connections] tcp` (tcp, tor, disabled)
   * and `tcp.socks-proxy` decide whether the ranker uses this plugin, not
   * whether it works. */
  state = g_new0 (TcpState, 1);
  state->anonymous = args->anonymous;
  g_mutex_init (&state->lock);
  *configured = TRUE;

  fh_plugin_log (args, G_LOG_LEVEL_DEBUG,
                 "tcp: direct TCP with local DNS lookups%s",
                 args->anonymous ? " (anonymous mode: never used)" : "");
  return state;
}

static void
tcp_fini (gpointer data)
{
  TcpState *state = data;

  if (state == NULL)
    return;
  g_clear_object (&state->client);
  /* A poller goes with its last connect, and a connect keeps the context,
   * hence the plugin, alive: what is left here belongs to a main context
   * that was freed with connects pending (its sources destroyed). */
  if (state->pollers != NULL)
    {
      GHashTableIter iter;
      gpointer poller;

      g_hash_table_iter_init (&iter, state->pollers);
      while (g_hash_table_iter_next (&iter, NULL, &poller))
        {
          g_source_destroy (poller);
          g_source_unref (poller);
        }
      g_hash_table_unref (state->pollers);
    }
  g_mutex_clear (&state->lock);
  g_free (state);
}

static gboolean
tcp_parse (gpointer data,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  /* Every mode means the same here: Foolscap's tcp regex on the whole
   * (canonical) hint. */
  return fh_plugin_parse_tcp (hint, target, error);
}

/* GSocketClient's errors, in the connector's terms. Refused keeps
 * G_IO_ERROR_CONNECTION_REFUSED's meaning ("connection refused" in the
 * hint's status) but says where. */
static GError *
tcp_map_error (const FurlHintTarget *target, GError *error)
{
  gchar *where;
  GError *mapped;
  FurlHintConnectError code;

  if (error->domain != G_IO_ERROR)
    return error;
  switch (error->code)
    {
    case G_IO_ERROR_CANCELLED:
      return error;
    case G_IO_ERROR_CONNECTION_REFUSED:
      code = FURLHINT_CONNECT_ERROR_REFUSED;
      break;
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_NOT_FOUND:             /* name unknown to the resolver */
      code = FURLHINT_CONNECT_ERROR_UNREACHABLE;
      break;
    case G_IO_ERROR_TIMED_OUT:
      code = FURLHINT_CONNECT_ERROR_TIMED_OUT;
      break;
    default:
      code = FURLHINT_CONNECT_ERROR_FAILED;
      break;
    }
  where = fh_plugin_host_port_display (target->host, target->port);
  mapped = g_error_new (FURLHINT_CONNECT_ERROR, code, "%s: %s", where, error->message);
  g_free (where);
  g_error_free (error);
  return mapped;
}

static void
tcp_connected_cb (GObject *source,
                  GAsyncResult *res,
                  gpointer user_data)
{
  GTask *task = user_data;
  const FurlHintTarget *target = g_task_get_task_data (task);
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  if (conn == NULL)
    g_task_return_error (task, tcp_map_error (target, error));
  else
    g_task_return_pointer (task, conn, g_object_unref);
  g_object_unref (task);
}

/* --- connects to a literal address ------------------------------------- */

static void
tcp_return_errno (GTask *task, const FurlHintTarget *target, int err)
{
  g_task_return_error (task, tcp_map_error (target, g_error_new (G_IO_ERROR, g_io_error_from_errno (err),
                                                                  "Could not connect: %s",
                                                                  g_strerror (err))));
}

/* Hands a connected socket over to a GSocketConnection. */
static void
tcp_return_connected (GTask *task, int fd)
{
  GError *error = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &error);

  if (socket == NULL)
    {
      close (fd);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_socket_connection_factory_create_connection (socket),
                         g_object_unref);
  g_object_unref (socket);
}

/* Takes @p out of its poller's epoll. Under state->lock. */
static void
tcp_pending_unregister (TcpPending *p)
{
  epoll_ctl (p->poller->epfd, EPOLL_CTL_DEL, p->fd, NULL);
  p->registered = FALSE;
  p->poller->n_registered--;
}

/* Returns the result of a connect out of epoll, on its context. */
static void
tcp_pending_complete (TcpPending *p)
{
  const FurlHintTarget *target = g_task_get_task_data (p->task);

  /* Blocks while a cancel handler runs in another thread: @p is freed
   * below. */
  g_cancellable_disconnect (p->cancellable, p->cancel_id);
  if (p->fd >= 0 && g_cancellable_is_cancelled (p->cancellable))
    {
      close (p->fd);
      p->fd = -1;
    }
  if (p->fd < 0)
    g_task_return_error_if_cancelled (p->task);
  else
    {
      int err = 0;
      socklen_t len = sizeof err;

      if (getsockopt (p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err != 0)
        {
          close (p->fd);
          tcp_return_errno (p->task, target, err);
        }
      else
        tcp_return_connected (p->task, p->fd);
    }
  g_object_unref (p->task);
  g_clear_object (&p->cancellable);
  g_free (p);
}

/* The poller goes with its last connect: a context must not keep a
 * source (and an epoll fd) of ours after its connects. */
static void
tcp_poller_release_if_idle (TcpPoller *poller)
{
  TcpState *state = poller->state;
  gboolean idle;

  g_mutex_lock (&state->lock);
  idle = poller->n_registered == 0 && poller->cancelled == NULL;
  if (idle)
    g_hash_table_steal (state->pollers, poller->context);
  g_mutex_unlock (&state->lock);
  if (idle)
    {
      g_source_destroy (&poller->source);
      g_source_unref (&poller->source);
    }
}

static gboolean
tcp_poller_dispatch (GSource *source,
                     GSourceFunc callback,
                     gpointer user_data)
{
  TcpPoller *poller = (TcpPoller *) source;
  TcpState *state = poller->state;
  struct epoll_event events[64];
  TcpPending *done, *tail;
  int n;

  g_source_set_ready_time (source, -1);
  /* Everything finished so far leaves epoll under the lock: from then on
   * a cancel handler finds it unregistered and leaves it to us. */
  g_mutex_lock (&state->lock);
  done = g_steal_pointer (&poller->cancelled);
  tail = g_steal_pointer (&poller->cancelled_tail);
  do
    {
      n = epoll_wait (poller->epfd, events, G_N_ELEMENTS (events), 0);
      for (int i = 0; i < n; i++)
        {
          TcpPending *p = events[i].data.ptr;

          tcp_pending_unregister (p);
          p->next = NULL;
          if (tail != NULL)
            tail->next = p;
          else
            done = p;
          tail = p;
        }
    }
  while (n == G_N_ELEMENTS (events));
  g_mutex_unlock (&state->lock);

  /* Returning a task may run the connector, which may start or cancel
   * other connects, and release this poller. */
  g_source_ref (source);
  while (done != NULL)
    {
      TcpPending *p = done;

      done = p->next;
      tcp_pending_complete (p);
    }
  tcp_poller_release_if_idle (poller);
  g_source_unref (source);
  return G_SOURCE_CONTINUE;
}

static void
tcp_poller_finalize (GSource *source)
{
  close (((TcpPoller *) source)->epfd);
}

static GSourceFuncs tcp_poller_funcs = {
  .dispatch = tcp_poller_dispatch,
  .finalize = tcp_poller_finalize,
};

/* The context's poller, made if needed. Under state->lock. NULL with
 * errno when epoll cannot be had. */
static TcpPoller *
tcp_poller_get (TcpState *state, GMainContext *context)
{
  TcpPoller *poller;
  int epfd;

  if (state->pollers == NULL)
    state->pollers = g_hash_table_new (NULL, NULL);
  poller = g_hash_table_lookup (state->pollers, context);
  if (poller != NULL && !g_source_is_destroyed (&poller->source))
    return poller;
  if (poller != NULL)
    {
      /* Its context was freed under it (and this one has its address). */
      g_hash_table_remove (state->pollers, context);
      g_source_unref (&poller->source);
    }
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    return NULL;
  poller = (TcpPoller *) g_source_new (&tcp_poller_funcs, sizeof (TcpPoller));
  poller->state = state;
  poller->context = context;
  poller->epfd = epfd;
  g_source_add_unix_fd (&poller->source, epfd, G_IO_IN);
  g_source_set_static_name (&poller->source, "[furlhint] tcp connects");
  g_source_attach (&poller->source, context);
  g_hash_table_insert (state->pollers, context, poller);
  return poller;
}

/* Cancellation closes the socket and takes it out of epoll at once, from
 * whatever thread cancels; the task returns on its context. */
static void
tcp_pending_cancelled_cb (GCancellable *cancellable,
                          gpointer user_data)
{
  TcpPending *p = user_data;
  TcpPoller *poller;

  g_mutex_lock (&p->state->lock);
  if (p->registered)
    {
      poller = p->poller;
      tcp_pending_unregister (p);
      close (p->fd);
      p->fd = -1;
      p->next = NULL;
      if (poller->cancelled_tail != NULL)
        poller->cancelled_tail->next = p;
      else
        poller->cancelled = p;
      poller->cancelled_tail = p;
      g_source_set_ready_time (&poller->source, 0);
    }
  g_mutex_unlock (&p->state->lock);
}

/* Connects to literal @host without GSocketClient. FALSE when this path
 * cannot take it (the caller uses GSocketClient); otherwise @task is
 * taken and returns later. */
static gboolean
tcp_connect_literal (TcpState *state,
                     const gchar *host,
                     guint16 port,
                     GCancellable *cancellable,
                     GTask *task)
{
  const FurlHintTarget *target = g_task_get_task_data (task);
  struct sockaddr_storage native;
  socklen_t native_len;
  struct epoll_event ev = { 0 };
  TcpPending *p;
  TcpPoller *poller;
  int fd;

  /* inet_pton(), as GInetAddress reads a literal, without two objects
   * made and dropped for every connect. */
  if (!fh_hostname_literal_sockaddr (host, port, &native, &native_len))
    return FALSE;
  fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      tcp_return_errno (task, target, errno);
      g_object_unref (task);
      return TRUE;
    }
  if (connect (fd, (struct sockaddr *) &native, (socklen_t) native_len) == 0)
    {
      tcp_return_connected (task, fd);
      g_object_unref (task);
      return TRUE;
    }
  if (errno != EINPROGRESS)
    {
      int err = errno;

      close (fd);
      tcp_return_errno (task, target, err);
      g_object_unref (task);
      return TRUE;
    }

  p = g_new0 (TcpPending, 1);
  p->state = state;
  p->task = task;
  p->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  p->fd = fd;
  ev.events = EPOLLOUT;
  ev.data.ptr = p;
  g_mutex_lock (&state->lock);
  poller = tcp_poller_get (state, g_task_get_context (task));
  if (poller != NULL && epoll_ctl (poller->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
    {
      p->poller = poller;
      p->registered = TRUE;
      poller->n_registered++;
    }
  g_mutex_unlock (&state->lock);
  if (!p->registered)
    {
      int err = errno;

      close (fd);
      tcp_return_errno (task, target, err);
      g_object_unref (task);
      g_clear_object (&p->cancellable);
      g_free (p);
      if (poller != NULL)
        tcp_poller_release_if_idle (poller);
      return TRUE;
    }
  /* A cancel from here on closes the socket (at once, if it races this
   * call: the handler then runs here). */
  if (cancellable != NULL)
    p->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (tcp_pending_cancelled_cb), p, NULL);
  return TRUE;
}

static void
tcp_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TcpState *state = data;
  const FurlHintTarget *target = args->target;
  GSocketConnectable *connectable;
  GTask *task;

  task = g_task_new (NULL, cancellable, callback, user_data);
  /* Named before the tag: g_task_set_source_tag() names a task that has
   * no name yet with a copy of its own, one more allocation per connect. */
  g_task_set_name (task, "[furlhint] tcp connect");
  g_task_set_source_tag (task, tcp_connect_async);
  /* args->target lives until we call back (plugin.h). */
  g_task_set_task_data (task, (gpointer) target, NULL);

  if (state->anonymous)
    {
      /* Fail closed: a broken policy must not make a clear connection. */
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "direct TCP to %s refused: the node runs in anonymous mode",
                               target->host);
      g_object_unref (task);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (target->host_kind == FURLHINT_HOST_IPV4 || target->host_kind == FURLHINT_HOST_IPV6)
    {
      /* What inet_pton() does not read (an IPv6 zone) goes through
       * GSocketClient. */
      if (tcp_connect_literal (state, target->host, target->port, cancellable, task))
        return;
    }

  if (state->client == NULL)
    {
      state->client = g_socket_client_new ();
      /* Never let the environment's proxy settings (GProxyResolver,
       * http_proxy, GNOME) silently reroute a clear route: proxies are the
       * socks plugin's business, with their own anonymity class. */
      g_socket_client_set_enable_proxy (state->client, FALSE);
    }

  /* The only place furlhint resolves a host name locally: this route is
   * CLEAR and the ranker keeps it out of anonymous mode. GSocketClient
   * races the addresses of a name itself (RFC 8305). GNetworkAddress takes
   * the host as is (an IPv6 literal needs no brackets, and a literal is not
   * looked up). */
  connectable = g_network_address_new (target->host, target->port);
  g_socket_client_connect_async (state->client, connectable,
                                 cancellable, tcp_connected_cb, task);
  g_object_unref (connectable);
}

static GIOStream *
tcp_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tcp_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
tcp_describe (gpointer data,
              const FurlHintTarget *target)
{
  /* Written in one piece, not printed: every direct route of every
   * ranked FURL is described. */
  switch (target->host_kind)
    {
    case FURLHINT_HOST_IPV4:
    case FURLHINT_HOST_IPV6:
      return fh_plugin_describe_host_port ("direct TCP to ", target->host, target->port, "");
    case FURLHINT_HOST_NONE:
    case FURLHINT_HOST_DNS:
    case FURLHINT_HOST_ONION:
    case FURLHINT_HOST_I2P:
    default:
      return fh_plugin_describe_host_port ("direct TCP to ", target->host, target->port,
                                           " (local DNS lookup)");
    }
}

static const gchar *const tcp_prefixes[] = { "tcp", NULL };
static const gchar *const tcp_host_suffixes[] = { NULL };

/* No [tcp] section: every setting it reads is the core's ([connections]).
 * Declaring none (rather than leaving keys NULL) has the host report any
 * key found in a [tcp] section as unknown. */
static const FurlHintPluginKey tcp_keys[] = { { NULL } };

FURLHINT_PLUGIN_DEFINE (tcp) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = TCP_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "direct TCP connections (local DNS lookups; reveals this host's IP address)",
  .prefixes = tcp_prefixes,
  .host_suffixes = tcp_host_suffixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = tcp_init,
  .fini = tcp_fini,
  .parse = tcp_parse,
  .connect_async = tcp_connect_async,
  .connect_finish = tcp_connect_finish,
  .describe = tcp_describe,
  .keys = tcp_keys,
};
