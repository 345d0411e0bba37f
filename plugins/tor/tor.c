/* The tor plugin: `tor:` hints, `tcp:` hints to `.onion` hosts, and any
 * public `tcp:` hint it is asked to carry (`[connections] tcp = tor`, the
 * anonymous-mode fallback), through Tor's SOCKS port.
 *
 * Anonymity class ANONYMOUS. Nothing is ever resolved here: host names go
 * to Tor as they are written (SOCKS5 remote DNS).
 *
 * How Tor is reached (Tahoe-LAFS configuration.rst, "[tor]"), first match
 * wins as in Tahoe's tor_provider:
 *   1. `[tor] launch = true`: a private tor is started (`tor.executable`,
 *      else `tor` on $PATH) and its SOCKS port asked through its control
 *      port;
 *   2. a SOCKS endpoint: `[tor] socks.port` or the seed's
 *      `[connections] tor.socks-proxy` (both given → they must agree);
 *   3. `[tor] control.port`: the SOCKS port is asked from a running tor;
 *   4. otherwise Tor's default SOCKS ports on 127.0.0.1: 9050 (the tor
 *      daemon), then 9150 (Tor Browser).
 * `[tor] enabled = false` turns Tor off whatever else is set.
 *
 * Tor counts as configured (the ranker routes through it) only when asked
 * for: `[connections] tor.socks-proxy` present (blank = the default
 * ports), `[tor] socks.port`, `control.port`, `launch = true` or
 * `enabled = true`, or `[connections] tcp = tor`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_CLOEXEC, inet_aton() and kill() are POSIX/BSD, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <gio/gunixsocketaddress.h>
#include <furlhint/plugin.h>

#include "../common/plugin-util.h"
#include "../common/socks-client.h"
#include "torctl.h"

#define TOR_PLUGIN_NAME "tor"

/* Tor's SocksPort default and Tor Browser's, tried in this order. */
#define TOR_DEFAULT_SOCKS_HOST "127.0.0.1"
#define TOR_DEFAULT_SOCKS_PORT 9050
#define TOR_BROWSER_SOCKS_PORT 9150

/* Foolscap's status words (foolscap/connections/tor.py). */
#define STATUS_FINDING "connecting to a Tor"
#define STATUS_LAUNCHING "launching Tor"
#define STATUS_BOOTSTRAP "waiting for Tor bootstrap"

/* Every blocking control-port read or write gives up after this. */
#define TOR_CONTROL_IO_TIMEOUT_S 10
/* A launched tor writes its control port file within a second or two;
 * this bounds a tor that hangs before it. */
#define TOR_LAUNCH_START_TIMEOUT_MS 30000
/* Foolscap's connection timeout: no connect waits longer anyway. */
#define TOR_BOOTSTRAP_TIMEOUT_MS 120000
#define TOR_BOOTSTRAP_POLL_MS 250
/* How long a launched tor gets to exit on SIGTERM before SIGKILL. */
#define TOR_KILL_GRACE_MS 3000

/* SOCKS user name for stream isolation; the password is per peer and per
 * plugin state (see isolation_password()). */
#define TOR_ISOLATION_USER "furlhint"
/* Bytes of the per-state secret keying the isolation passwords. */
#define TOR_ISOLATION_SECRET_LEN 32

typedef enum {
  TOR_MODE_DEFAULT_PORTS = 0,
  TOR_MODE_SOCKS,
  TOR_MODE_CONTROL,
  TOR_MODE_LAUNCH,
} TorMode;

typedef struct _Discovery Discovery;

typedef struct {
  TorMode mode;
  gboolean have_socks;
  FhEndpoint socks;           /* (owned) when have_socks: the SOCKS port to use */
  gboolean have_control;
  FhEndpoint control;         /* (owned) when have_control: asked for the SOCKS
                               * port (TOR_MODE_CONTROL), and for onion services */
  gchar *control_password;    /* (owned) (nullable) [tor] control.password, for
                               * a control port with HashedControlPassword */
  guint control_auth;         /* FhTorAuthMethods [tor] control.auth allows on a
                               * control port we did not launch */
  gchar *executable;          /* (owned) (nullable) tor.executable; NULL: "tor" on $PATH */
  gchar *data_directory;      /* (owned) (nullable) [tor] data-directory for a
                               * launched tor; NULL: a private temporary one */
  guint16 default_ports[2];   /* TOR_MODE_DEFAULT_PORTS, on TOR_DEFAULT_SOCKS_HOST */
  gboolean isolate_streams;   /* SOCKS credentials from the connect's isolation
                               * key, so that peers do not share circuits
                               * (Tor's IsolateSOCKSAuth, on by default) */
  guint8 isolation_secret[TOR_ISOLATION_SECRET_LEN];
                              /* random, drawn at init: one per plugin state,
                               * so one per context (node identity); never
                               * shown anywhere, wiped on free */
  gboolean anonymous;         /* the node runs in anonymous mode */
  gboolean disabled;          /* [tor] enabled = false */
  gchar *route_display;       /* (owned) "SOCKS 127.0.0.1:9050", for describe */

  /* Connects may run on several threads (a blocking connect runs on a
   * private main context), and discovery runs on a thread of its own. */
  GMutex lock;
  gboolean have_found;        /* (lock) */
  FhEndpoint found;           /* (lock) (owned) the SOCKS port found by
                               * probing, the control port or a launch */
  Discovery *discovery;       /* (lock) (owned) (nullable) the last one */
  FurlHintLogFunc log;        /* the host's logger (lives as long as the plugin) */
  gpointer log_data;
} TorState;

static void discovery_free (Discovery *d);

static void
tor_state_free (TorState *state)
{
  /* Stops a discovery still running (bounded: its I/O is cancellable and
   * times out) and kills a tor we launched. */
  g_clear_pointer (&state->discovery, discovery_free);
  _furlhint_endpoint_clear (&state->found);
  _furlhint_endpoint_clear (&state->socks);
  _furlhint_endpoint_clear (&state->control);
  if (state->control_password != NULL)
    memset (state->control_password, 0, strlen (state->control_password));
  g_free (state->control_password);
  g_free (state->executable);
  g_free (state->data_directory);
  g_free (state->route_display);
  g_mutex_clear (&state->lock);
  explicit_bzero (state->isolation_secret, sizeof state->isolation_secret);
  g_free (state);
}

/* Reads and checks every [tor] / [connections] setting the plugin knows,
 * also those it does not use yet (onion service keys), so that a typo
 * is reported at start and not at first use. */
static gboolean
read_settings (const FurlHintPluginInitArgs *args,
               TorState *state,
               gboolean *configured,
               GError **error)
{
  const gchar *name = TOR_PLUGIN_NAME;
  const gchar *enabled_text = _furlhint_plugin_get (args, "enabled");
  const gchar *tcp_mode = _furlhint_plugin_get (args, "connections.tcp");
  gboolean enabled, launch, onion;
  gboolean tcp_is_tor = FALSE;
  FhSettingState socks_port_state, proxy_state, control_state;
  FhEndpoint proxy;
  guint16 unused_port;

  if (!_furlhint_plugin_get_boolean (name, args, "enabled", TRUE, &enabled, error) ||
      !_furlhint_plugin_get_boolean (name, args, "launch", FALSE, &launch, error) ||
      !_furlhint_plugin_get_boolean (name, args, "onion", FALSE, &onion, error) ||
      !_furlhint_plugin_get_port (name, args, "onion.local_port", &unused_port, error) ||
      !_furlhint_plugin_get_port (name, args, "onion.external_port", &unused_port, error))
    return FALSE;

  if (tcp_mode != NULL)
    {
      if (g_strcmp0 (tcp_mode, "tor") == 0)
        tcp_is_tor = TRUE;
      else if (g_strcmp0 (tcp_mode, "tcp") != 0 && g_strcmp0 (tcp_mode, "disabled") != 0)
        {
          _furlhint_plugin_set_bad_value (error, name, "connections.tcp", tcp_mode,
                                          "unknown TCP handler; accepted: tcp, tor, disabled");
          return FALSE;
        }
    }

  if (!_furlhint_plugin_get_endpoint (name, args, "socks.port", &state->socks,
                                      &socks_port_state, error))
    return FALSE;
  state->have_socks = socks_port_state == FH_SETTING_SET;

  if (!_furlhint_plugin_get_endpoint (name, args, "connections.tor.socks-proxy", &proxy,
                                      &proxy_state, error))
    return FALSE;
  if (proxy_state == FH_SETTING_SET)
    {
      if (state->have_socks)
        {
          gchar *a = _furlhint_endpoint_to_string (&state->socks);
          gchar *b = _furlhint_endpoint_to_string (&proxy);
          gboolean same = g_strcmp0 (a, b) == 0;

          if (!same)
            g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                         "tahoe.cfg [connections] tor.socks-proxy = \"%s\" and "
                         "[tor] socks.port = \"%s\" name different Tor SOCKS ports; "
                         "accepted: one of them, or both naming the same endpoint",
                         _furlhint_plugin_get (args, "connections.tor.socks-proxy"),
                         _furlhint_plugin_get (args, "socks.port"));
          g_free (a);
          g_free (b);
          _furlhint_endpoint_clear (&proxy);
          if (!same)
            return FALSE;
        }
      else
        {
          state->socks = proxy;
          state->have_socks = TRUE;
        }
    }

  if (!_furlhint_plugin_get_endpoint (name, args, "control.port", &state->control,
                                      &control_state, error))
    return FALSE;
  state->have_control = control_state == FH_SETTING_SET;

  state->executable = _furlhint_plugin_dup_string (args, "tor.executable");
  state->data_directory = _furlhint_plugin_dup_string (args, "data-directory");
  /* Not Tahoe keys: Tahoe's tor_provider (txtorcon) only uses cookies. */
  state->control_password = _furlhint_plugin_dup_string (args, "control.password");
  {
    const gchar *auth = _furlhint_plugin_get (args, "control.auth");
    gchar *bad = NULL;

    if (!_furlhint_torctl_parse_auth_setting (auth, &state->control_auth, &bad))
      {
        _furlhint_plugin_set_bad_value (error, name, "control.auth", auth,
                                        "“%s” is not an authentication method; accepted: "
                                        "a list of safecookie, hashedpassword, cookie and "
                                        "null (default: safecookie, hashedpassword)", bad);
        g_free (bad);
        return FALSE;
      }
    if (state->control_password != NULL &&
        !(state->control_auth & FH_TOR_AUTH_HASHEDPASSWORD))
      {
        g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                     "tahoe.cfg [tor] control.password is set, but [tor] control.auth = "
                     "\"%s\" does not allow hashedpassword; accepted: control.auth "
                     "naming hashedpassword, or no control.password", auth);
        return FALSE;
      }
  }

  if (!enabled)
    {
      if (tcp_is_tor)
        {
          g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                       "tahoe.cfg [tor] enabled = \"%s\" turns Tor off, but "
                       "[connections] tcp = tor needs it; accepted: enabled = true, "
                       "or [connections] tcp = tcp or disabled", enabled_text);
          return FALSE;
        }
      state->disabled = TRUE;
      *configured = FALSE;
      return TRUE;
    }

  *configured = proxy_state != FH_SETTING_ABSENT || state->have_socks ||
                state->have_control || launch || tcp_is_tor ||
                (enabled_text != NULL && *enabled_text != '\0');

  if (launch)
    state->mode = TOR_MODE_LAUNCH;
  else if (state->have_socks)
    state->mode = TOR_MODE_SOCKS;
  else if (state->have_control)
    state->mode = TOR_MODE_CONTROL;
  else
    state->mode = TOR_MODE_DEFAULT_PORTS;
  return TRUE;
}

static gchar *
route_display (const TorState *state)
{
  gchar *endpoint, *text;

  switch (state->mode)
    {
    case TOR_MODE_SOCKS:
      endpoint = _furlhint_plugin_endpoint_display (&state->socks);
      text = g_strdup_printf ("SOCKS %s", endpoint);
      g_free (endpoint);
      return text;
    case TOR_MODE_CONTROL:
      endpoint = _furlhint_plugin_endpoint_display (&state->control);
      text = g_strdup_printf ("control port %s, SOCKS port discovered", endpoint);
      g_free (endpoint);
      return text;
    case TOR_MODE_LAUNCH:
      return g_strdup ("launched privately");
    case TOR_MODE_DEFAULT_PORTS:
    default:
      return g_strdup_printf ("default SOCKS port %u, then %u",
                              (guint) state->default_ports[0],
                              (guint) state->default_ports[1]);
    }
}

static gpointer
tor_init (const FurlHintPluginInitArgs *args,
          gboolean *configured,
          GError **error)
{
  TorState *state;

  if (!_furlhint_plugin_check_init_args (TOR_PLUGIN_NAME, args, error))
    return NULL;

  state = g_new0 (TorState, 1);
  g_mutex_init (&state->lock);
  state->log = args->log;
  state->log_data = args->log_data;
  state->default_ports[0] = TOR_DEFAULT_SOCKS_PORT;
  state->default_ports[1] = TOR_BROWSER_SOCKS_PORT;
  state->isolate_streams = TRUE;
  state->anonymous = args->anonymous;
  if (!_furlhint_plugin_random_bytes (state->isolation_secret,
                                      sizeof state->isolation_secret, error))
    {
      g_prefix_error (error, "tor: no secret for stream isolation: ");
      tor_state_free (state);
      return NULL;
    }

  if (!read_settings (args, state, configured, error))
    {
      tor_state_free (state);
      return NULL;
    }
  state->route_display = route_display (state);

  if (!*configured)
    _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG, "tor: not configured (%s)",
                          state->disabled ? "[tor] enabled = false"
                                          : "nothing in [tor] or [connections] asks for Tor");
  else
    _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG, "tor: %s%s%s%s",
                          state->route_display,
                          state->mode == TOR_MODE_LAUNCH && state->executable != NULL
                            ? ", executable " : "",
                          state->mode == TOR_MODE_LAUNCH && state->executable != NULL
                            ? state->executable : "",
                          state->mode == TOR_MODE_LAUNCH && state->have_socks
                            ? " (launch = true takes precedence over the SOCKS setting)" : "");
  return state;
}

static void
tor_fini (gpointer data)
{
  if (data != NULL)
    tor_state_free (data);
}

static gboolean
tor_parse (gpointer data,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  gchar *message = NULL;
  guint16 port = 0;
  FurlHintHostKind kind;

  /* The same regex for all three modes: Foolscap's tor handler ignores the
   * type prefix, and hands it `tcp:` hints when `tcp = tor`. */
  if (!_furlhint_foolscap_match_tor (hint, &addr, &message))
    {
      gboolean not_torable = message != NULL &&
                             g_str_has_prefix (message, "ignoring non-Tor-able");

      g_set_error_literal (error, FURLHINT_HINT_ERROR,
                           not_torable ? FURLHINT_HINT_ERROR_NOT_TORABLE
                                       : FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           message != NULL ? message : "unrecognized TCP/Tor hint");
      g_free (message);
      return FALSE;
    }

  if (!_furlhint_plugin_check_hint_text (hint, error) ||
      !_furlhint_plugin_check_port (&addr, &port, error) ||
      !_furlhint_plugin_canonicalize_host (&addr, error))
    {
      _furlhint_foolscap_addr_clear (&addr);
      return FALSE;
    }
  /* Foolscap looked at the host as written: "10.0.0.1." is a name to it,
   * but the address 10.0.0.1 once canonical, and Tor must not be asked
   * for it. */
  if (_furlhint_foolscap_is_non_public_numeric (addr.host))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_NOT_TORABLE,
                   "ignoring non-Tor-able ipaddr %s (written with a final dot, which "
                   "does not make an address a name)", addr.host);
      _furlhint_foolscap_addr_clear (&addr);
      return FALSE;
    }

  /* Text only: Tor does the resolving, exits pick IPv4 addresses. The
   * tor regex has already refused IPv6; an .i2p name is classified as
   * such, so that the ranker and check_target() see it for what it is. */
  kind = _furlhint_plugin_classify_host (addr.host);

  _furlhint_plugin_fill_target (target, &addr, port, kind, hint);
  _furlhint_foolscap_addr_clear (&addr);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Connecting.
 *
 * Finding the SOCKS port ("connecting to a Tor", as Foolscap says) depends
 * on the mode: a configured port is used as is; the default ports are
 * probed by the SOCKS connect itself (9050 refused → 9150); the control
 * port and a launched tor are asked by a discovery that runs on a thread
 * of its own (blocking, bounded control-port I/O), shared by every connect
 * that waits for it, and whose result is cached in the state. The SOCKS
 * handshake is plugins/common/socks-client.c.
 * ------------------------------------------------------------------------ */

/* A blocking control-port connection (discovery thread only). */
typedef struct {
  GSocketConnection *conn;    /* (owned) */
  GString *buf;               /* (owned) bytes read and not parsed yet */
  gchar *label;               /* (owned) "Tor control port 127.0.0.1:9051" */
} TorControl;

struct _Discovery {
  TorState *state;            /* (unowned) outlives it */
  TorMode mode;
  GThread *thread;            /* (owned) joined by discovery_free() */
  GCancellable *cancellable;  /* (owned) cancelled by discovery_free() */
  Discovery *previous;        /* (owned) (nullable) cleaned up by the thread */
  /* (state->lock): */
  const gchar *phase;         /* the status to report to a new waiter */
  gboolean finished;
  GError *error;              /* (owned) (nullable) why it failed */
  gchar *found_how;           /* (owned) (nullable) for the log */
  GPtrArray *waiters;         /* (owned) (element-type GTask) */
  /* A launched tor (thread, then discovery_free()): */
  GPid pid;                   /* 0: none running */
  gchar *tmp_dir;             /* (owned) (nullable) removed at the end */
  gchar *log_path;            /* (owned) (nullable) its stdout/stderr */
  TorControl *owner;          /* (owned) (nullable) TAKEOWNERSHIP connection */
};

typedef struct {
  TorState *state;            /* (unowned) the state outlives its connects */
  gchar *host;                /* (owned) the target, sent to Tor as is */
  guint16 port;
  gchar *username;            /* (owned) (nullable) stream isolation */
  gchar *password;            /* (owned) (nullable) */
  FurlHintStatusFunc status;
  gpointer status_data;
  FhEndpoint endpoint;        /* (owned) the SOCKS port being tried */
  gchar *label;               /* (owned) "Tor SOCKS port 127.0.0.1:9050" */
  gboolean probing;           /* default ports: endpoint is default_ports[probe] */
  guint probe;
  gboolean from_found;        /* endpoint came from state->found */
  gboolean done;              /* the task has its result */
  GSource *cancel_source;     /* (owned) (nullable) while waiting for discovery */
} ConnectData;

static void
connect_data_free (gpointer p)
{
  ConnectData *data = p;

  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_free (data->host);
  g_free (data->username);
  _furlhint_secret_free (data->password);
  _furlhint_endpoint_clear (&data->endpoint);
  g_free (data->label);
  g_free (data);
}

static void
endpoint_copy (FhEndpoint *dest,
               const FhEndpoint *src)
{
  dest->kind = src->kind;
  dest->host = g_strdup (src->host);
  dest->port = src->port;
  dest->path = g_strdup (src->path);
}

static gboolean
endpoint_equal (const FhEndpoint *a,
                const FhEndpoint *b)
{
  return a->kind == b->kind && a->port == b->port &&
         g_strcmp0 (a->host, b->host) == 0 && g_strcmp0 (a->path, b->path) == 0;
}

static gchar *
endpoint_label (const gchar *what,
                const FhEndpoint *endpoint)
{
  gchar *where = _furlhint_plugin_endpoint_display (endpoint);
  gchar *label = g_strdup_printf ("%s %s", what, where);

  g_free (where);
  return label;
}

/* Foolscap adds the phase to an error raised while in it. */
static GError *
error_in_phase (const GError *error,
                const gchar *phase)
{
  return g_error_new (error->domain, error->code, "%s (while %s)", error->message, phase);
}

static void
set_connect_error (GError **error,
                   FurlHintConnectError code,
                   const gchar *format,
                   ...) G_GNUC_PRINTF (3, 4);

static void
set_connect_error (GError **error,
                   FurlHintConnectError code,
                   const gchar *format,
                   ...)
{
  va_list ap;
  gchar *message;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, FURLHINT_CONNECT_ERROR, code, message);
  g_free (message);
}

/* ---- the blocking control-port client ---------------------------------- */

static void
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
        set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                           "%s did not answer %s within %d s",
                           ctl->label, doing, TOR_CONTROL_IO_TIMEOUT_S);
      /* A reset is a hang-up, as with a close (which one arrives can be
       * timing alone). */
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                           "%s closed the connection instead of answering %s (%s)",
                           ctl->label, doing, local->message);
      else
        set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED, "%s failed during %s: %s",
                           ctl->label, doing, local->message);
      g_error_free (local);
    }
}

static TorControl *
tor_control_open (const FhEndpoint *endpoint,
                  GCancellable *cancellable,
                  GError **error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnectable *address;
  GError *local = NULL;
  TorControl *ctl = g_new0 (TorControl, 1);

  ctl->buf = g_string_new (NULL);
  ctl->label = endpoint_label ("Tor control port", endpoint);

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
        set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                           "%s refused the connection: is Tor running? (%s)",
                           ctl->label, local->message);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                           "%s did not accept the connection within %d s",
                           ctl->label, TOR_CONTROL_IO_TIMEOUT_S);
      else
        set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
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

      switch (_furlhint_torctl_parse_reply (ctl->buf->str, ctl->buf->len, &consumed,
                                            &reply, &local))
        {
        case FH_TORCTL_OK:
          g_string_erase (ctl->buf, 0, consumed);
          if (reply->code / 100 == 6)
            {
              _furlhint_torctl_reply_free (reply);
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
          set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                             "%s closed the connection instead of answering %s",
                             ctl->label, what);
          return NULL;
        }
      g_string_append_len (ctl->buf, chunk, n);
    }
}

/* A command whose reply must be 250. */
static gboolean
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
  ok = _furlhint_torctl_reply_check (reply, what, error);
  _furlhint_torctl_reply_free (reply);
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
      set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                         "cannot read /dev/urandom for a SAFECOOKIE nonce");
      return FALSE;
    }
  return TRUE;
}

/* Opens @path for reading only if it is a regular file: never through a
 * symbolic link as its last component, and without blocking on a FIFO or
 * a device (O_NONBLOCK; whether it is one is seen by fstat() before any
 * read). The paths read here come from a control port, which may be any
 * local process's, or from a directory another process may have touched.
 * -1 with errno set (ELOOP: a symbolic link; EINVAL: not a regular
 * file), else the descriptor with *@st filled. */
static gint
open_regular_file (const gchar *path,
                   struct stat *st)
{
  gint fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  gint saved;

  if (fd < 0)
    return -1;
  if (fstat (fd, st) != 0)
    saved = errno;
  else if (!S_ISREG (st->st_mode))
    saved = EINVAL;
  else
    return fd;
  close (fd);
  errno = saved;
  return -1;
}

/* Reads up to @len bytes from @fd (at most @len: the file may have grown
 * since fstat()). The count read, or -1 with errno set. */
static gssize
read_at_most (gint fd,
              guint8 *buf,
              gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = read (fd, buf + got, len - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += n;
    }
  return got;
}

/* Why open_regular_file() failed, for messages. */
static const gchar *
open_problem (gint err)
{
  if (err == ELOOP)
    return "it is a symbolic link";
  if (err == EINVAL)
    return "it is not a regular file (a FIFO, device, socket or directory)";
  return g_strerror (err);
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

  fd = open_regular_file (path, &st);
  if (fd < 0)
    {
      saved = errno;
      if (saved == EACCES || saved == EPERM)
        set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                           "cannot read Tor's control cookie %s: %s; accepted: run as a "
                           "user who may read it (Debian: the debian-tor group), or "
                           "HashedControlPassword in the torrc with [tor] control.password",
                           path, g_strerror (saved));
      else
        set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                           "refusing Tor's control cookie %s: %s; accepted: a regular file "
                           "of %d bytes (not a symbolic link)", path, open_problem (saved),
                           FH_TORCTL_COOKIE_LEN);
      return NULL;
    }
  if (st.st_size != FH_TORCTL_COOKIE_LEN)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
                         "refusing Tor's control cookie %s: it has %" G_GINT64_FORMAT
                         " bytes, expected %d: not a Tor cookie file", path,
                         (gint64) st.st_size, FH_TORCTL_COOKIE_LEN);
      close (fd);
      return NULL;
    }
  cookie = g_malloc (FH_TORCTL_COOKIE_LEN);
  got = read_at_most (fd, cookie, FH_TORCTL_COOKIE_LEN);
  saved = errno;
  close (fd);
  if (got != FH_TORCTL_COOKIE_LEN)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH,
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
static gboolean
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
  if (!_furlhint_torctl_parse_protocolinfo (reply, &info, error))
    {
      _furlhint_torctl_reply_free (reply);
      g_prefix_error (error, "%s: ", ctl->label);
      return FALSE;
    }
  _furlhint_torctl_reply_free (reply);

  method = _furlhint_torctl_choose_auth (&info, allowed, password != NULL, error);
  switch (method)
    {
    case FH_TOR_AUTH_NULL:
      line = g_strdup ("AUTHENTICATE\r\n");
      break;
    case FH_TOR_AUTH_HASHEDPASSWORD:
      line = _furlhint_torctl_build_auth_password (password);
      break;
    case FH_TOR_AUTH_COOKIE:
      cookie = read_cookie (info.cookie_file, &cookie_len, error);
      if (cookie != NULL)
        line = _furlhint_torctl_build_auth_cookie (cookie, cookie_len);
      break;
    case FH_TOR_AUTH_SAFECOOKIE:
      {
        guint8 nonce[FH_TORCTL_NONCE_LEN];
        gchar *challenge;

        cookie = read_cookie (info.cookie_file, &cookie_len, error);
        if (cookie == NULL || !random_bytes (nonce, sizeof nonce, error))
          break;
        challenge = _furlhint_torctl_build_authchallenge (nonce);
        reply = tor_control_command (ctl, challenge, "AUTHCHALLENGE", cancellable, error);
        g_free (challenge);
        if (reply == NULL)
          break;
        line = _furlhint_torctl_safecookie_response (reply, cookie, cookie_len, nonce, error);
        _furlhint_torctl_reply_free (reply);
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
    set_connect_error (error, FURLHINT_CONNECT_ERROR_AUTH, "%s: no usable authentication",
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
  _furlhint_torctl_protocolinfo_clear (&info);
  return ok;
}

static gboolean
tor_control_getinfo (TorControl *ctl,
                     const gchar *key,
                     gchar **value,
                     GCancellable *cancellable,
                     GError **error)
{
  gchar *line = _furlhint_torctl_build_getinfo (key);
  gchar *what = g_strconcat ("GETINFO ", key, NULL);
  FhTorReply *reply = tor_control_command (ctl, line, what, cancellable, error);

  g_free (line);
  g_free (what);
  if (reply == NULL)
    return FALSE;
  *value = _furlhint_torctl_getinfo_value (reply, key, error);
  _furlhint_torctl_reply_free (reply);
  return *value != NULL;
}

/* GETINFO net/listeners/socks → the first listener on loopback or a unix
 * socket (_furlhint_torctl_pick_socks_listener()). */
static gboolean
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
  listeners = _furlhint_torctl_parse_socks_listeners (value, error);
  g_free (value);
  if (listeners == NULL)
    return FALSE;
  if (listeners->len == 0)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "Tor has no SOCKS listener (DisableNetwork?): %s answers "
                         "GETINFO net/listeners/socks with an empty list; accepted: "
                         "a tor with a SocksPort and the network enabled, or "
                         "[tor] socks.port", ctl->label);
      g_array_unref (listeners);
      return FALSE;
    }
  ok = _furlhint_torctl_pick_socks_listener (listeners, ctl->label, out, error);
  g_array_unref (listeners);
  return ok;
}

/* ---- discovery (its own thread) ---------------------------------------- */

static gboolean
status_idle (gpointer user_data)
{
  GTask *task = G_TASK (g_object_get_data (user_data, "task"));
  const gchar *phase = g_object_get_data (user_data, "phase");
  ConnectData *data = g_task_get_task_data (task);

  if (!data->done)
    data->status (phase, data->status_data);
  return G_SOURCE_REMOVE;
}

/* Posts @phase to @task's context (state->lock held). The status string
 * is static; a small GObject carries both so one destroy frees all. */
static void
post_status (GTask *task,
             const gchar *phase)
{
  GObject *carrier = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data_full (carrier, "task", g_object_ref (task), g_object_unref);
  g_object_set_data (carrier, "phase", (gpointer) phase);
  /* An idle source, not g_main_context_invoke(): invoke would run the
   * caller's status function right here on the discovery thread when
   * nobody iterates the caller's context. */
  {
    GSource *idle = g_idle_source_new ();

    g_source_set_callback (idle, status_idle, carrier, g_object_unref);
    g_source_set_static_name (idle, "[furlhint] tor: status");
    g_source_attach (idle, g_task_get_context (task));
    g_source_unref (idle);
  }
}

static void
discovery_set_phase (Discovery *d,
                     const gchar *phase)
{
  g_mutex_lock (&d->state->lock);
  d->phase = phase;
  for (guint i = 0; i < d->waiters->len; i++)
    post_status (g_ptr_array_index (d->waiters, i), phase);
  g_mutex_unlock (&d->state->lock);
}

/* Sleeps @ms unless cancelled; FALSE when cancelled. */
static gboolean
sleep_cancellable (GCancellable *cancellable,
                   guint ms)
{
  GPollFD pfd;

  if (g_cancellable_make_pollfd (cancellable, &pfd))
    {
      g_poll (&pfd, 1, ms);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep (ms * 1000);
  return !g_cancellable_is_cancelled (cancellable);
}

static gboolean
return_if_cancelled (GCancellable *cancellable,
                     GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The last lines of the launched tor's output, for error messages: from
 * its last TOR_LOG_TAIL_BYTES only, however long it grew. */
#define TOR_LOG_TAIL_BYTES 4096

static gchar *
log_tail (const gchar *path)
{
  gchar contents[TOR_LOG_TAIL_BYTES + 1];
  gchar **lines;
  GString *tail = g_string_new (NULL);
  struct stat st;
  gssize got;
  guint n, first;
  gint fd;

  if (path == NULL || (fd = open_regular_file (path, &st)) < 0)
    return g_string_free (tail, FALSE);
  if (st.st_size > TOR_LOG_TAIL_BYTES)
    lseek (fd, st.st_size - TOR_LOG_TAIL_BYTES, SEEK_SET);
  got = read_at_most (fd, (guint8 *) contents, TOR_LOG_TAIL_BYTES);
  close (fd);
  if (got <= 0)
    return g_string_free (tail, FALSE);
  contents[got] = '\0';
  lines = g_strsplit (g_strstrip (contents), "\n", -1);
  n = g_strv_length (lines);
  first = n > 3 ? n - 3 : 0;
  for (guint i = first; i < n; i++)
    {
      g_string_append (tail, tail->len > 0 ? " | " : "");
      g_string_append (tail, g_strstrip (lines[i]));
    }
  g_strfreev (lines);
  return g_string_free (tail, FALSE);
}

/* TRUE (and d->pid cleared, *@status set) when the launched tor exited. */
static gboolean
tor_exited (Discovery *d,
            gint *status)
{
  if (d->pid <= 0)
    return TRUE;
  if (waitpid (d->pid, status, WNOHANG) == d->pid)
    {
      d->pid = 0;
      return TRUE;
    }
  return FALSE;
}

static void
set_tor_exited_error (Discovery *d,
                      gint status,
                      const gchar *when,
                      GError **error)
{
  gchar *tail = log_tail (d->log_path);
  gchar *how = WIFEXITED (status) ? g_strdup_printf ("with status %d", WEXITSTATUS (status))
             : WIFSIGNALED (status) ? g_strdup_printf ("on signal %d", WTERMSIG (status))
             : g_strdup ("");

  set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                     "the launched tor exited %s %s; its last words: %s",
                     how, when, *tail != '\0' ? tail : "(none)");
  g_free (how);
  g_free (tail);
}

static void
kill_and_reap (GPid pid)
{
  gint status;
  gint64 deadline = g_get_monotonic_time () + TOR_KILL_GRACE_MS * (G_USEC_PER_SEC / 1000);

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        return;
      g_usleep (20 * 1000);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
}

/* rm -r of a directory we created (symbolic links are removed, not
 * followed). */
static void
remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          gchar *child = g_build_filename (path, name, NULL);

          remove_tree (child);
          g_free (child);
        }
      if (dir != NULL)
        g_dir_close (dir);
      rmdir (path);
    }
  else
    unlink (path);
}

static gboolean
discover_via_control (Discovery *d,
                      FhEndpoint *found,
                      GError **error)
{
  TorState *state = d->state;
  TorControl *ctl;
  gchar *how = NULL;
  gboolean ok;

  ctl = tor_control_open (&state->control, d->cancellable, error);
  if (ctl == NULL)
    return FALSE;
  ok = tor_control_authenticate (ctl, state->control_auth, state->control_password,
                                 d->cancellable, &how, error);
  if (ok)
    {
      /* Logged also when what follows fails: says how far we got. */
      g_mutex_lock (&state->lock);
      d->found_how = g_strdup_printf ("%s: %s", ctl->label, how);
      g_mutex_unlock (&state->lock);
      ok = tor_control_socks_port (ctl, d->cancellable, found, error);
    }
  if (ok)
    {
      gchar *where = _furlhint_plugin_endpoint_display (found);

      g_mutex_lock (&state->lock);
      g_free (d->found_how);
      d->found_how = g_strdup_printf ("SOCKS port %s found through %s (%s)",
                                      where, ctl->label, how);
      g_mutex_unlock (&state->lock);
      g_free (where);
    }
  g_free (how);
  tor_control_free (ctl);
  return ok;
}

/* The control-port file is at most this long ("PORT=127.0.0.1:65535"). */
#define TOR_CONTROL_FILE_MAX 1024

/* Waits for ControlPortWriteToFile's "PORT=127.0.0.1:P". Trusted because
 * launch_tor() removed any earlier one before starting tor, in a data
 * directory nobody else may write to (prepare_data_directory()): the
 * file that appears is the new tor's. Still, it must be a regular file
 * of ours, and name a control port on loopback. */
static gboolean
wait_control_file (Discovery *d,
                   const gchar *path,
                   FhEndpoint *control,
                   GError **error)
{
  gint64 deadline = g_get_monotonic_time () + TOR_LAUNCH_START_TIMEOUT_MS * (gint64) 1000;

  for (;;)
    {
      gchar contents[TOR_CONTROL_FILE_MAX + 1];
      struct stat st;
      gssize got = 0;
      gint status = 0;
      gint fd = open_regular_file (path, &st);
      gint saved = errno;

      if (fd < 0 && saved != ENOENT)
        {
          set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "refusing the launched tor's control-port file %s: %s",
                             path, open_problem (saved));
          return FALSE;
        }
      if (fd >= 0)
        {
          if (st.st_uid != geteuid ())
            {
              set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                                 "refusing the launched tor's control-port file %s: it "
                                 "belongs to uid %u, not to us (uid %u)", path,
                                 (guint) st.st_uid, (guint) geteuid ());
              close (fd);
              return FALSE;
            }
          got = read_at_most (fd, (guint8 *) contents, TOR_CONTROL_FILE_MAX);
          close (fd);
        }
      /* A whole line (or more than any line tor writes). */
      if (got > 0 && (memchr (contents, '\n', got) != NULL || got == TOR_CONTROL_FILE_MAX))
        {
          GArray *ports = NULL;
          gboolean ok = FALSE;
          gchar *shown;

          contents[got] = '\0';
          g_strstrip (contents);
          if (g_str_has_prefix (contents, "PORT="))
            ports = _furlhint_torctl_parse_socks_listeners (contents + 5, NULL);
          if (ports != NULL && ports->len == 1 &&
              _furlhint_torctl_endpoint_is_loopback (&g_array_index (ports, FhEndpoint, 0)))
            {
              endpoint_copy (control, &g_array_index (ports, FhEndpoint, 0));
              ok = TRUE;
            }
          else
            {
              shown = g_utf8_make_valid (contents, -1);
              for (gchar *c = shown; *c != '\0'; c++)
                if ((guchar) *c < 0x20)
                  *c = '?';
              set_connect_error (error, FURLHINT_CONNECT_ERROR_PROTOCOL,
                                 "the launched tor wrote “%s” into %s; expected "
                                 "“PORT=ADDRESS:PORT” with an address on loopback", shown,
                                 path);
              g_free (shown);
            }
          if (ports != NULL)
            g_array_unref (ports);
          return ok;
        }

      if (tor_exited (d, &status))
        {
          set_tor_exited_error (d, status, "before opening its control port", error);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          gchar *tail = log_tail (d->log_path);

          set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                             "the launched tor did not open its control port within %d s; "
                             "its last words: %s", TOR_LAUNCH_START_TIMEOUT_MS / 1000,
                             *tail != '\0' ? tail : "(none)");
          g_free (tail);
          return FALSE;
        }
      if (!sleep_cancellable (d->cancellable, 50))
        return !return_if_cancelled (d->cancellable, error);
    }
}

static gboolean
wait_bootstrap (Discovery *d,
                GError **error)
{
  gint64 deadline = g_get_monotonic_time () + TOR_BOOTSTRAP_TIMEOUT_MS * (gint64) 1000;

  for (;;)
    {
      FhTorBootstrap phase = { 0, };
      gchar *value = NULL;
      gint status = 0;

      if (!tor_control_getinfo (d->owner, "status/bootstrap-phase", &value, d->cancellable,
                                error))
        return FALSE;
      if (!_furlhint_torctl_parse_bootstrap (value, &phase, error))
        {
          g_free (value);
          return FALSE;
        }
      g_free (value);
      if (phase.progress == 100)
        {
          _furlhint_torctl_bootstrap_clear (&phase);
          return TRUE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          set_connect_error (error, FURLHINT_CONNECT_ERROR_TIMED_OUT,
                             "the launched tor did not finish bootstrapping within %d s: "
                             "%d%% (%s)%s%s", TOR_BOOTSTRAP_TIMEOUT_MS / 1000,
                             phase.progress, phase.summary != NULL ? phase.summary : "?",
                             phase.warning != NULL ? ", last problem: " : "",
                             phase.warning != NULL ? phase.warning : "");
          _furlhint_torctl_bootstrap_clear (&phase);
          return FALSE;
        }
      _furlhint_torctl_bootstrap_clear (&phase);
      if (tor_exited (d, &status))
        {
          set_tor_exited_error (d, status, "while bootstrapping", error);
          return FALSE;
        }
      if (!sleep_cancellable (d->cancellable, TOR_BOOTSTRAP_POLL_MS))
        return !return_if_cancelled (d->cancellable, error);
    }
}

/* [tor] data-directory: created 0700 when missing; otherwise it must be
 * a directory (not a symbolic link) of ours that nobody else may write
 * to. Whoever can write there can plant what we write (tor.log, through
 * a symbolic link) or read (the control-port file, naming their own
 * "tor"). Read permission for others is left to tor, which makes its
 * DataDirectory 0700 itself. */
static gboolean
prepare_data_directory (const gchar *dir,
                        GError **error)
{
  struct stat st;
  const gchar *problem = NULL;
  gchar *detail = NULL;

  if (lstat (dir, &st) != 0)
    {
      gint saved = errno;

      if (saved != ENOENT || g_mkdir_with_parents (dir, 0700) != 0 || lstat (dir, &st) != 0)
        {
          if (saved == ENOENT)
            saved = errno;
          set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "cannot create tahoe.cfg [tor] data-directory %s: %s",
                             dir, g_strerror (saved));
          return FALSE;
        }
    }
  if (S_ISLNK (st.st_mode))
    problem = "it is a symbolic link";
  else if (!S_ISDIR (st.st_mode))
    problem = "it is not a directory";
  else if (st.st_uid != geteuid ())
    problem = detail = g_strdup_printf ("it belongs to uid %u, not to us (uid %u)",
                                        (guint) st.st_uid, (guint) geteuid ());
  else if (st.st_mode & (S_IWGRP | S_IWOTH))
    problem = detail = g_strdup_printf ("others may write to it (mode %04o)",
                                        (guint) (st.st_mode & 07777));
  if (problem != NULL)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "refusing tahoe.cfg [tor] data-directory %s: %s; accepted: a "
                         "directory of ours that only we may write to (chmod 700), or a "
                         "path that does not exist yet (created 0700)", dir, problem);
      g_free (detail);
      return FALSE;
    }
  return TRUE;
}

/* Removes what an earlier run left at @path (in the data directory): a
 * regular file only. Anything else there (a symbolic link planted to make
 * us write elsewhere, a FIFO) is refused and left alone. */
static gboolean
remove_stale_file (const gchar *path,
                   GError **error)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    {
      if (errno == ENOENT)
        return TRUE;
    }
  else if (!S_ISREG (st.st_mode))
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "refusing to launch tor: %s is %s, not a file furlhint wrote; "
                         "accepted: remove it", path,
                         S_ISLNK (st.st_mode) ? "a symbolic link" : "not a regular file");
      return FALSE;
    }
  else if (unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                     "cannot remove %s before launching tor: %s", path, g_strerror (errno));
  return FALSE;
}

/* A new file at @path, ours alone (0600), never through a link: the one
 * remove_stale_file() cleared the way for. */
static gint
create_private_file (const gchar *path,
                     GError **error)
{
  gint fd;

  if (!remove_stale_file (path, error))
    return -1;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0)
    set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                       "cannot create %s: %s", path, g_strerror (errno));
  return fd;
}

static gboolean
launch_tor (Discovery *d,
            FhEndpoint *found,
            GError **error)
{
  TorState *state = d->state;
  const gchar *executable = state->executable != NULL ? state->executable : "tor";
  gchar *dir = NULL, *torrc = NULL, *control_file = NULL, *pid_text = NULL, *how = NULL;
  FhEndpoint control = { 0, };
  GError *local = NULL;
  gboolean ok = FALSE;
  gint log_fd = -1;

  discovery_set_phase (d, STATUS_LAUNCHING);

  if (state->data_directory != NULL)
    {
      dir = g_strdup (state->data_directory);
      if (!prepare_data_directory (dir, error))
        goto out;
    }
  else
    {
      /* g_dir_make_tmp() creates it 0700, as tor insists. */
      dir = g_dir_make_tmp ("furlhint-tor-XXXXXX", &local);
      if (dir == NULL)
        {
          set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                             "cannot create a data directory for tor: %s", local->message);
          g_error_free (local);
          goto out;
        }
      d->tmp_dir = g_strdup (dir);
    }

  /* Everything goes on the command line; the (empty) torrc only keeps
   * tor from reading the system's /etc/tor/torrc. */
  torrc = g_build_filename (dir, "furlhint-torrc", NULL);
  control_file = g_build_filename (dir, "control-port", NULL);
  d->log_path = g_build_filename (dir, "tor.log", NULL);
  /* The control-port file we will trust is the one the new tor writes. */
  if (!remove_stale_file (control_file, error))
    goto out;
  {
    static const gchar torrc_text[] = "# furlhint passes its settings on tor's command line\n";
    gint fd = create_private_file (torrc, error);
    gssize n;

    if (fd < 0)
      goto out;
    do
      n = write (fd, torrc_text, sizeof torrc_text - 1);
    while (n < 0 && errno == EINTR);
    if (n != sizeof torrc_text - 1)
      {
        set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                           "cannot write %s: %s", torrc,
                           n < 0 ? g_strerror (errno) : "short write");
        close (fd);
        goto out;
      }
    close (fd);
  }
  log_fd = create_private_file (d->log_path, error);
  if (log_fd < 0)
    goto out;

  pid_text = g_strdup_printf ("%d", (gint) getpid ());
  {
    const gchar *argv[] = {
      executable,
      "--defaults-torrc", torrc,
      "-f", torrc,
      "--DataDirectory", dir,
      "--SocksPort", "auto",
      "--ControlPort", "auto",
      "--ControlPortWriteToFile", control_file,
      "--CookieAuthentication", "1",
      /* tor exits when we do, even if TAKEOWNERSHIP below never happens */
      "--__OwningControllerProcess", pid_text,
      "--Log", "notice stdout",
      NULL
    };

    if (!g_spawn_async_with_fds (NULL, (gchar **) argv, NULL,
                                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &d->pid, -1, log_fd, log_fd, &local))
      {
        set_connect_error (error, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                           "cannot launch tor (%s): %s; accepted: Tor installed on $PATH, "
                           "or [tor] tor.executable naming it", executable, local->message);
        g_error_free (local);
        d->pid = 0;
        goto out;
      }
  }

  if (!wait_control_file (d, control_file, &control, error))
    goto out;
  d->owner = tor_control_open (&control, d->cancellable, error);
  if (d->owner == NULL ||
      /* Ours, started with CookieAuthentication 1: SAFECOOKIE only. */
      !tor_control_authenticate (d->owner, FH_TOR_AUTH_SAFECOOKIE, NULL, d->cancellable,
                                 &how, error) ||
      /* tor exits when this connection closes: in fini, or when we die */
      !tor_control_simple (d->owner, "TAKEOWNERSHIP\r\n", "TAKEOWNERSHIP", d->cancellable,
                           error))
    goto out;

  discovery_set_phase (d, STATUS_BOOTSTRAP);
  if (!wait_bootstrap (d, error) ||
      !tor_control_socks_port (d->owner, d->cancellable, found, error))
    goto out;

  {
    gchar *where = _furlhint_plugin_endpoint_display (found);

    g_mutex_lock (&state->lock);
    d->found_how = g_strdup_printf ("launched tor (pid %d, data directory %s) "
                                    "bootstrapped; SOCKS port %s (%s)",
                                    (gint) d->pid, dir, where, how);
    g_mutex_unlock (&state->lock);
    g_free (where);
  }
  ok = TRUE;

out:
  if (log_fd >= 0)
    close (log_fd);
  _furlhint_endpoint_clear (&control);
  g_free (dir);
  g_free (torrc);
  g_free (control_file);
  g_free (pid_text);
  g_free (how);
  return ok;
}

static gboolean waiter_resume (gpointer user_data);

static gpointer
discovery_thread (gpointer user_data)
{
  Discovery *d = user_data;
  TorState *state = d->state;
  FhEndpoint found = { 0, };
  GError *error = NULL;
  GPtrArray *waiters;
  gboolean ok;

  g_clear_pointer (&d->previous, discovery_free);

  if (d->mode == TOR_MODE_LAUNCH)
    ok = launch_tor (d, &found, &error);
  else
    ok = discover_via_control (d, &found, &error);
  if (!ok && error == NULL)
    set_connect_error (&error, FURLHINT_CONNECT_ERROR_FAILED, "finding Tor failed");

  g_mutex_lock (&state->lock);
  d->finished = TRUE;
  if (ok)
    {
      _furlhint_endpoint_clear (&state->found);
      state->found = found;
      state->have_found = TRUE;
    }
  else
    d->error = error;
  waiters = g_steal_pointer (&d->waiters);
  d->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&state->lock);

  /* Always through an idle source on each waiter's own context, never
   * g_main_context_invoke(): with nobody iterating that context, invoke
   * would run waiter_resume here, on this thread (it takes state->lock,
   * and callbacks must run on the caller's thread). */
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, waiter_resume, g_object_ref (task), g_object_unref);
      g_source_set_static_name (idle, "[furlhint] tor: SOCKS port found");
      g_source_attach (idle, g_task_get_context (task));
      g_source_unref (idle);
    }
  g_ptr_array_unref (waiters);
  return NULL;
}

static void
discovery_free (Discovery *d)
{
  if (d == NULL)
    return;
  g_cancellable_cancel (d->cancellable);
  if (d->thread != NULL)
    g_thread_join (d->thread);
  g_clear_pointer (&d->previous, discovery_free);
  /* Closing the owning connection makes tor exit; the signal is for a
   * tor that never got that far. */
  g_clear_pointer (&d->owner, tor_control_free);
  kill_and_reap (d->pid);
  if (d->tmp_dir != NULL)
    remove_tree (d->tmp_dir);
  g_free (d->tmp_dir);
  g_free (d->log_path);
  g_free (d->found_how);
  g_clear_error (&d->error);
  /* Empty unless the host freed the plugin during a connect. */
  g_ptr_array_unref (d->waiters);
  g_object_unref (d->cancellable);
  g_free (d);
}

/* ---- one connect --------------------------------------------------------- */

static void start_socks (GTask *task);

static void
connect_fail (GTask *task,
              GError *error)
{
  ConnectData *data = g_task_get_task_data (task);

  data->done = TRUE;
  g_task_return_error (task, error);
}

static void
tor_log (TorState *state,
         GLogLevelFlags level,
         const gchar *format,
         ...) G_GNUC_PRINTF (3, 4);

static void
tor_log (TorState *state,
         GLogLevelFlags level,
         const gchar *format,
         ...)
{
  va_list ap;
  gchar *message;

  if (state->log == NULL)
    return;
  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  state->log (level, message, state->log_data);
  g_free (message);
}

static void
set_endpoint (ConnectData *data,
              const FhEndpoint *endpoint)
{
  _furlhint_endpoint_clear (&data->endpoint);
  g_free (data->label);
  endpoint_copy (&data->endpoint, endpoint);
  data->label = endpoint_label ("Tor SOCKS port", endpoint);
}

static void
socks_done (GObject *source,
            GAsyncResult *result,
            gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  GError *error = NULL;
  GIOStream *stream;

  stream = _furlhint_socks_client_connect_finish (result, &error);
  if (stream != NULL)
    {
      if (data->probing)
        {
          g_mutex_lock (&state->lock);
          _furlhint_endpoint_clear (&state->found);
          endpoint_copy (&state->found, &data->endpoint);
          state->have_found = TRUE;
          g_mutex_unlock (&state->lock);
        }
      data->done = TRUE;
      g_task_return_pointer (task, stream, g_object_unref);
      g_object_unref (task);
      return;
    }

  if (g_error_matches (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN))
    {
      if (data->probing && data->probe == 0)
        {
          FhEndpoint next = { FH_ENDPOINT_TCP, (gchar *) TOR_DEFAULT_SOCKS_HOST,
                              state->default_ports[1], NULL };

          g_clear_error (&error);
          data->probe = 1;
          set_endpoint (data, &next);
          start_socks (task);
          return;
        }
      if (data->probing)
        {
          g_clear_error (&error);
          error = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                               "Tor is not running: %s:%u and %s:%u refused (while %s)",
                               TOR_DEFAULT_SOCKS_HOST, (guint) state->default_ports[0],
                               TOR_DEFAULT_SOCKS_HOST, (guint) state->default_ports[1],
                               STATUS_FINDING);
        }
      else if (data->from_found)
        {
          /* That tor went away or moved: find it again next time. */
          g_mutex_lock (&state->lock);
          if (state->have_found && endpoint_equal (&state->found, &data->endpoint))
            {
              _furlhint_endpoint_clear (&state->found);
              state->have_found = FALSE;
            }
          g_mutex_unlock (&state->lock);
        }
    }
  connect_fail (task, error);
  g_object_unref (task);
}

/* Takes over a reference to @task (given back in socks_done()). */
static void
start_socks (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  FhSocksClientRequest req = { 0, };

  req.proxy = &data->endpoint;
  req.proxy_label = data->label;
  req.down_advice = "is Tor running?";
  req.username = data->username;
  req.password = data->password;
  /* Offering "no authentication" too would let a SocksPort with
   * PreferSOCKSNoAuth pick it and drop the isolation without a word. */
  req.userpass_only = data->username != NULL;
  req.host = data->host;
  req.port = data->port;
  req.status = data->status;
  req.status_data = data->status_data;
  _furlhint_socks_client_connect_async (&req, g_task_get_cancellable (task), socks_done,
                                        task);
}

static void
drop_cancel_source (ConnectData *data)
{
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
}

/* Discovery finished (on the task's context). */
static gboolean
waiter_resume (gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  GError *error = NULL;
  gchar *found_how = NULL;

  if (data->done)
    return G_SOURCE_REMOVE;
  drop_cancel_source (data);

  g_mutex_lock (&state->lock);
  if (state->discovery != NULL)
    found_how = g_strdup (state->discovery->found_how);
  if (state->have_found)
    {
      set_endpoint (data, &state->found);
      data->from_found = TRUE;
    }
  else if (state->discovery != NULL && state->discovery->error != NULL)
    error = error_in_phase (state->discovery->error, STATUS_FINDING);
  else
    error = g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                         "Tor's SOCKS port was found and lost again (while %s)",
                         STATUS_FINDING);
  g_mutex_unlock (&state->lock);

  if (found_how != NULL)
    tor_log (state, G_LOG_LEVEL_DEBUG, "%s", found_how);
  g_free (found_how);
  if (error != NULL)
    {
      connect_fail (task, error);
      return G_SOURCE_REMOVE;
    }
  /* The idle's own reference goes with the idle. */
  start_socks (g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static gboolean
waiter_cancelled (GCancellable *cancellable,
                  gpointer user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;

  if (data->done)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&state->lock);
  if (state->discovery != NULL)
    g_ptr_array_remove (state->discovery->waiters, task);
  g_mutex_unlock (&state->lock);
  data->done = TRUE;
  g_task_return_error_if_cancelled (task);
  drop_cancel_source (data);   /* drops the ref this callback runs on: last */
  return G_SOURCE_REMOVE;
}

/* Waits for (and if needed starts) the discovery; state->lock held. */
static gboolean
wait_for_discovery (GTask *task,
                    const gchar **phase,
                    GError **error)
{
  ConnectData *data = g_task_get_task_data (task);
  TorState *state = data->state;
  Discovery *d = state->discovery;

  if (d == NULL || d->finished)
    {
      Discovery *fresh = g_new0 (Discovery, 1);

      fresh->state = state;
      fresh->mode = state->mode;
      fresh->cancellable = g_cancellable_new ();
      fresh->phase = STATUS_FINDING;
      fresh->waiters = g_ptr_array_new_with_free_func (g_object_unref);
      fresh->previous = d;
      fresh->thread = g_thread_try_new ("furlhint-tor", discovery_thread, fresh, error);
      if (fresh->thread == NULL)
        {
          fresh->previous = NULL;
          discovery_free (fresh);
          return FALSE;
        }
      state->discovery = d = fresh;
    }
  g_ptr_array_add (d->waiters, g_object_ref (task));
  *phase = d->phase;
  return TRUE;
}

/* The target again, as it reaches us: whatever parse said, never ask Tor
 * for something no exit should be asked for, and never anything that
 * would need a lookup here. */
static gboolean
check_target (const FurlHintTarget *target,
              GError **error)
{
  const gchar *host = target->host;
  struct in_addr a;

  if (host == NULL || *host == '\0' || target->port == 0)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_FAILED,
                         "Tor target without a host or port");
      return FALSE;
    }
  for (const gchar *c = host; *c != '\0'; c++)
    if ((guchar) *c <= 0x20 || *c == 0x7f)
      {
        set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                           "refusing to ask Tor for a host with a space or control "
                           "character; accepted: a DNS name, public IPv4 address or .onion");
        return FALSE;
      }
  if (strlen (host) > 255)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                         "refusing to ask Tor for a host name of %" G_GSIZE_FORMAT
                         " bytes: SOCKS5 carries at most 255", strlen (host));
      return FALSE;
    }
  /* Tor reads "x.onion." as an ordinary name and asks an exit to look it
   * up in public DNS; the host puts every target in canonical form, so a
   * name that is not has been tampered with. */
  if (!_furlhint_hostname_is_canonical (host))
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                         "refusing to ask Tor for '%s': not a canonical host name (a "
                         "final dot, an empty label, or a .onion/.i2p name not in lower "
                         "case); Tor would take a final dot for an ordinary DNS name", host);
      return FALSE;
    }
  if (_furlhint_hostname_in_domain (host, "i2p"))
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                         "refusing to ask Tor for I2P destination %s: Tor cannot reach "
                         "I2P; accepted: the i2p plugin", host);
      return FALSE;
    }
  if (_furlhint_foolscap_is_non_public_numeric (host))
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                         "refusing to ask Tor for %s: a non-Tor-able address (IPv6, "
                         "loopback, private, multicast, reserved or unspecified); "
                         "accepted: a public IPv4 address, a DNS name or a .onion", host);
      return FALSE;
    }
  /* "127.1", "0x7f.1", "2130706433": inet_aton() reads them as addresses,
   * Python's ipaddress (so Foolscap's check above) does not. */
  if (inet_aton (host, &a) != 0 && _furlhint_plugin_classify_host (host) != FURLHINT_HOST_IPV4)
    {
      set_connect_error (error, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                         "refusing to ask Tor for %s: a numeric address in a "
                         "non-standard form; accepted: four decimal parts (a.b.c.d)", host);
      return FALSE;
    }
  return TRUE;
}

/* The SOCKS password for connects to the peer @isolation_key names: hex
 * HMAC-SHA256 of the key under the state's secret. Tor puts streams with
 * different credentials on different circuits (IsolateSOCKSAuth; it only
 * compares them). So connects to one peer share circuits, connects to two
 * peers do not, and neither do two node identities (two contexts, in one
 * process or two) connecting to the same peer through one tor: each has a
 * secret of its own. The HMAC keeps the tub ID out of tor's memory and
 * logs, and an unkeyed hash of it would be the same for every node. A
 * connect without a key gets the password of the empty key: isolated from
 * every peer's and from other contexts'. */
static gchar *
isolation_password (const TorState *state,
                    const gchar *isolation_key)
{
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, state->isolation_secret,
                                    sizeof state->isolation_secret,
                                    isolation_key != NULL ? isolation_key : "", -1);
}

static void
tor_connect_async (gpointer state_data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  TorState *state = state_data;
  GTask *task;
  ConnectData *data;
  GError *error = NULL;
  const gchar *phase = NULL;

  g_return_if_fail (args != NULL && args->target != NULL && args->status != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tor_connect_async);
  g_task_set_name (task, "[furlhint] tor connect");

  if (state == NULL || state->disabled)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                               FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "Tor is not configured; accepted: [connections] "
                               "tor.socks-proxy, [tor] socks.port, control.port or "
                               "launch = true");
      g_object_unref (task);
      return;
    }

  data = g_new0 (ConnectData, 1);
  data->state = state;
  data->status = args->status;
  data->status_data = args->status_data;
  g_task_set_task_data (task, data, connect_data_free);

  if (!check_target (args->target, &error))
    {
      connect_fail (task, error);
      g_object_unref (task);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      data->done = TRUE;
      g_object_unref (task);
      return;
    }
  data->host = g_strdup (args->target->host);
  data->port = args->target->port;
  if (state->isolate_streams)
    {
      data->username = g_strdup (TOR_ISOLATION_USER);
      data->password = isolation_password (state, args->isolation_key);
    }

  args->status (STATUS_FINDING, args->status_data);

  switch (state->mode)
    {
    case TOR_MODE_SOCKS:
      set_endpoint (data, &state->socks);
      break;

    case TOR_MODE_DEFAULT_PORTS:
      g_mutex_lock (&state->lock);
      if (state->have_found)
        {
          set_endpoint (data, &state->found);
          data->from_found = TRUE;
        }
      g_mutex_unlock (&state->lock);
      if (!data->from_found)
        {
          FhEndpoint first = { FH_ENDPOINT_TCP, (gchar *) TOR_DEFAULT_SOCKS_HOST,
                               state->default_ports[0], NULL };

          data->probing = TRUE;
          set_endpoint (data, &first);
        }
      break;

    case TOR_MODE_CONTROL:
    case TOR_MODE_LAUNCH:
    default:
      g_mutex_lock (&state->lock);
      if (state->have_found)
        {
          set_endpoint (data, &state->found);
          data->from_found = TRUE;
          g_mutex_unlock (&state->lock);
          break;
        }
      if (!wait_for_discovery (task, &phase, &error))
        {
          g_mutex_unlock (&state->lock);
          g_prefix_error (&error, "cannot start a thread to find Tor: ");
          connect_fail (task, error_in_phase (error, STATUS_FINDING));
          g_error_free (error);
          g_object_unref (task);
          return;
        }
      g_mutex_unlock (&state->lock);
      if (phase != NULL && strcmp (phase, STATUS_FINDING) != 0)
        args->status (phase, args->status_data);
      if (cancellable != NULL)
        {
          data->cancel_source = g_cancellable_source_new (cancellable);
          g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (waiter_cancelled),
                                 g_object_ref (task), g_object_unref);
          g_source_attach (data->cancel_source, g_task_get_context (task));
        }
      g_object_unref (task);
      return;
    }

  start_socks (task);   /* takes over our reference */
}

static GIOStream *
tor_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  return _furlhint_plugin_connect_finish (result, tor_connect_async, error);
}

static gchar *
tor_describe (gpointer data,
              const FurlHintTarget *target)
{
  TorState *state = data;
  gchar *where = _furlhint_plugin_host_port_display (target->host, target->port);
  gchar *text;

  text = g_strdup_printf ("Tor (%s) → %s",
                          state != NULL ? state->route_display : "not configured",
                          where);
  g_free (where);
  return text;
}

static const gchar *const tor_prefixes[] = { "tor", NULL };
static const gchar *const tor_host_suffixes[] = { ".onion", NULL };

FURLHINT_PLUGIN_DEFINE (tor) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = TOR_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "Tor: tor: hints, .onion hosts, and TCP hints carried over Tor (remote DNS)",
  .prefixes = tor_prefixes,
  .host_suffixes = tor_host_suffixes,
  .anon_class = FURLHINT_ANON_ANONYMOUS,
  .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP,
  .init = tor_init,
  .fini = tor_fini,
  .parse = tor_parse,
  .connect_async = tor_connect_async,
  .connect_finish = tor_connect_finish,
  .describe = tor_describe,
};
