/* The i2p plugin: `i2p:DEST[:PORT]` hints and `tcp:` hints to `.i2p`
 * hosts, through an I2P router's SAM v3 bridge.
 *
 * Anonymity class ANONYMOUS. I2P reaches only I2P destinations, so it
 * carries no plain TCP. Destinations are looked up by the router (SAM
 * NAMING LOOKUP), never here.
 *
 * How the SAM bridge is reached (Tahoe-LAFS configuration.rst, "[i2p]",
 * and Tahoe's i2p_provider):
 *   1. a SAM endpoint: `[i2p] sam.port` or the seed's
 *      `[connections] i2p.sam-api` (both given → they must agree);
 *   2. otherwise 127.0.0.1:7656, the router's default SAM port.
 * `[i2p] enabled = false` turns I2P off whatever else is set.
 * Tahoe's other two ways, `[i2p] launch = true` (start a private router,
 * `i2p.executable`, in `i2p.configdir`) and `[i2p] i2p.configdir` alone
 * (read a running router's SAM port from its directory), are not
 * implemented: init refuses `launch = true`, `i2p.configdir` and
 * `i2p.executable`, saying what is accepted, rather than loading a plugin
 * that could only fail at connect.
 *
 * furlhint's own settings:
 * - `[i2p] sam.session-options`: I2CP options for the client sessions
 *   ("inbound.length=2 outbound.length=2"), space separated; the router's
 *   defaults when absent. Zero-hop tunnels give up anonymity (the peer's
 *   side sees this node's router): in anonymous mode any setting that can
 *   make a tunnel of 0 hops is refused at init (see check_tunnel_hops()),
 *   unless `[i2p] sam.allow-zero-hop = true` says this is a test network,
 *   which is logged as a warning.
 * - `[i2p] sam.client-destinations`: `per-peer` (the default) gives each
 *   peer (tub ID) a transient client destination of its own, `shared` one
 *   for every peer (see "Destinations" below).
 *
 * I2P counts as configured only when asked for: `[connections]
 * i2p.sam-api` present (blank = 127.0.0.1:7656), or `[i2p] sam.port` or
 * `enabled = true`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"
#include "sam.h"

#define I2P_PLUGIN_NAME "i2p"

#define I2P_DEFAULT_SAM_HOST "127.0.0.1"
#define I2P_DEFAULT_SAM_PORT 7656

/* What init accepts instead of Tahoe's launched and configdir routers. */
#define I2P_SAM_ACCEPTED \
  "a running router's SAM bridge in [i2p] sam.port or [connections] i2p.sam-api " \
  "(default tcp:127.0.0.1:7656)"

/* I2P's range for a tunnel's length and its variance, in hops. */
#define I2P_MAX_TUNNEL_LENGTH 7

/* The thread that owns the SAM sockets (see "connecting" below). */
typedef struct _I2pWorker I2pWorker;

typedef struct {
  FhEndpoint sam;           /* (owned) the SAM bridge */
  gboolean anonymous;       /* the node runs in anonymous mode */
  gboolean disabled;        /* [i2p] enabled = false */
  gchar *route_display;     /* (owned) "SAM 127.0.0.1:7656", for describe */
  gchar **session_options;  /* (owned) I2CP options for SESSION CREATE */
  gboolean per_peer;        /* [i2p] sam.client-destinations = per-peer */
  GMutex lock;              /* guards @worker's creation */
  I2pWorker *worker;        /* (owned) (nullable) started by the first connect */
} I2pState;

static void worker_free (I2pWorker *worker);

static void
i2p_state_free (I2pState *state)
{
  /* First: it ends the session and fails what is still running. */
  if (state->worker != NULL)
    worker_free (state->worker);
  g_mutex_clear (&state->lock);
  g_strfreev (state->session_options);
  _furlhint_endpoint_clear (&state->sam);
  g_free (state->route_display);
  g_free (state);
}

/* One direction's tunnel settings in the I2CP options. A key given twice
 * counts with its worst value: which one a router keeps is its business. */
typedef struct {
  gboolean have_length;
  gint64 min_length;        /* the smallest DIR.length given */
  gint64 min_variance;      /* the most negative DIR.lengthVariance, else 0 */
  gboolean allow_zero_hop;  /* some DIR.allowZeroHop=true */
} TunnelHops;

static gboolean
read_tunnel_hops (const gchar *const *options,
                  const gchar *direction,
                  const gchar *options_text,
                  TunnelHops *hops,
                  GError **error)
{
  gchar *length_key = g_strconcat (direction, ".length", NULL);
  gchar *variance_key = g_strconcat (direction, ".lengthVariance", NULL);
  gchar *zero_key = g_strconcat (direction, ".allowZeroHop", NULL);
  gboolean ok = TRUE;

  memset (hops, 0, sizeof *hops);
  for (gsize i = 0; ok && options[i] != NULL; i++)
    {
      const gchar *eq = strchr (options[i], '=');
      gsize key_len = (gsize) (eq - options[i]);
      const gchar *value = eq + 1;
      gint64 n = 0;

      if (key_len == strlen (length_key) && strncmp (options[i], length_key, key_len) == 0)
        {
          ok = g_ascii_string_to_signed (value, 10, 0, I2P_MAX_TUNNEL_LENGTH, &n, NULL);
          if (ok && (!hops->have_length || n < hops->min_length))
            hops->min_length = n;
          hops->have_length = TRUE;
        }
      else if (key_len == strlen (variance_key) &&
               strncmp (options[i], variance_key, key_len) == 0)
        {
          ok = g_ascii_string_to_signed (value, 10, -I2P_MAX_TUNNEL_LENGTH,
                                         I2P_MAX_TUNNEL_LENGTH, &n, NULL);
          hops->min_variance = MIN (hops->min_variance, n);
        }
      else if (key_len == strlen (zero_key) && strncmp (options[i], zero_key, key_len) == 0)
        {
          ok = g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "false") == 0;
          hops->allow_zero_hop |= g_ascii_strcasecmp (value, "true") == 0;
        }
      if (!ok)
        _furlhint_plugin_set_bad_value (error, I2P_PLUGIN_NAME, "sam.session-options",
                                        options_text,
                                        "%s is not a tunnel setting I2P takes; accepted: "
                                        "%s.length=0..%d, %s.lengthVariance=-%d..%d, "
                                        "%s.allowZeroHop=true or false",
                                        options[i], direction, I2P_MAX_TUNNEL_LENGTH,
                                        direction, I2P_MAX_TUNNEL_LENGTH,
                                        I2P_MAX_TUNNEL_LENGTH, direction);
    }
  g_free (length_key);
  g_free (variance_key);
  g_free (zero_key);
  return ok;
}

/* Why a direction's tunnels may have 0 hops, or NULL. A tunnel gets
 * LENGTH hops plus a random offset set by lengthVariance: 0..+v for a
 * positive v; for a negative v, -|v|..0 on i2pd and -|v|..+|v| on Java
 * I2P. So the fewest hops are LENGTH - |v|; without a LENGTH they depend
 * on the router's default, which is not ours to guess. */
static gchar *
zero_hop_reason (const TunnelHops *hops,
                 const gchar *direction)
{
  if (hops->have_length && hops->min_length + hops->min_variance <= 0)
    {
      if (hops->min_variance == 0)
        return g_strdup_printf ("%s.length=%" G_GINT64_FORMAT " makes zero-hop tunnels",
                                direction, hops->min_length);
      return g_strdup_printf ("%s.length=%" G_GINT64_FORMAT " with %s.lengthVariance=%"
                              G_GINT64_FORMAT " can make zero-hop tunnels",
                              direction, hops->min_length, direction, hops->min_variance);
    }
  if (!hops->have_length && hops->min_variance < 0)
    return g_strdup_printf ("%s.lengthVariance=%" G_GINT64_FORMAT " without %s.length can "
                            "make zero-hop tunnels, depending on the router's default length",
                            direction, hops->min_variance, direction);
  if (hops->allow_zero_hop)
    return g_strdup_printf ("%s.allowZeroHop=true lets the router fall back to zero-hop "
                            "tunnels", direction);
  return NULL;
}

/* Zero-hop tunnels: this node's own router is then the gateway of its
 * inbound tunnels, named in the destination's lease set, or sends
 * straight to the peer's tunnels: the peer's side sees the node's router
 * and its IP address. Refused in anonymous mode unless @allow_zero_hop
 * (a test network, logged as a warning); in any mode the tunnel options
 * must be in range. *@reason: why tunnels may have 0 hops, or NULL. */
static gboolean
check_tunnel_hops (const gchar *const *options,
                   const gchar *options_text,
                   gboolean anonymous,
                   gboolean allow_zero_hop,
                   gchar **reason,
                   GError **error)
{
  static const gchar *const directions[] = { "inbound", "outbound" };

  *reason = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (directions); i++)
    {
      TunnelHops hops;

      if (!read_tunnel_hops (options, directions[i], options_text, &hops, error))
        {
          g_clear_pointer (reason, g_free);
          return FALSE;
        }
      if (*reason == NULL)
        *reason = zero_hop_reason (&hops, directions[i]);
    }
  if (*reason != NULL && anonymous && !allow_zero_hop)
    {
      _furlhint_plugin_set_bad_value (error, I2P_PLUGIN_NAME, "sam.session-options",
                                      options_text,
                                      "%s, which in anonymous mode would show this "
                                      "node's I2P router and its IP address to its peers; "
                                      "accepted in anonymous mode: at least one hop each "
                                      "way (inbound.length and outbound.length of 1 or "
                                      "more, and more than the size of a negative "
                                      "lengthVariance; no allowZeroHop=true), or [i2p] "
                                      "sam.allow-zero-hop = true on a test network",
                                      *reason);
      g_clear_pointer (reason, g_free);
      return FALSE;
    }
  return TRUE;
}

/* Reads and checks every [i2p] / [connections] setting the plugin knows,
 * also the server-side ones it does not use yet (dest.*). */
static gboolean
read_settings (const FurlHintPluginInitArgs *args,
               I2pState *state,
               gboolean *configured,
               GError **error)
{
  const gchar *name = I2P_PLUGIN_NAME;
  const gchar *enabled_text = _furlhint_plugin_get (args, "enabled");
  const gchar *destinations = _furlhint_plugin_get (args, "sam.client-destinations");
  static const gchar *const unsupported_keys[] = { "i2p.configdir", "i2p.executable", NULL };
  gboolean enabled, launch, dest, allow_zero_hop;
  gboolean have_sam;
  FhSettingState sam_port_state, sam_api_state;
  FhEndpoint sam_api;
  guint16 unused_port;

  if (!_furlhint_plugin_get_boolean (name, args, "enabled", TRUE, &enabled, error) ||
      !_furlhint_plugin_get_boolean (name, args, "launch", FALSE, &launch, error) ||
      !_furlhint_plugin_get_boolean (name, args, "dest", FALSE, &dest, error) ||
      !_furlhint_plugin_get_boolean (name, args, "sam.allow-zero-hop", FALSE,
                                     &allow_zero_hop, error) ||
      !_furlhint_plugin_get_port (name, args, "dest.port", &unused_port, error))
    return FALSE;

  /* Tahoe's launched and configdir routers: not implemented, so refused
   * here, where the message reaches check-config and the plugin list,
   * not at the first connect. */
  if (launch)
    {
      _furlhint_plugin_set_bad_value (error, name, "launch", _furlhint_plugin_get (args, "launch"),
                                      "furlhint does not launch I2P routers; accepted: "
                                      "launch = false (or absent) and " I2P_SAM_ACCEPTED);
      return FALSE;
    }
  for (const gchar *const *key = unsupported_keys; *key != NULL; key++)
    {
      const gchar *value = _furlhint_plugin_get (args, *key);

      if (value != NULL && *value != '\0')
        {
          _furlhint_plugin_set_bad_value (error, name, *key, value,
                                          "furlhint neither launches I2P routers nor reads "
                                          "their configuration directories; accepted: no %s "
                                          "and " I2P_SAM_ACCEPTED, *key);
          return FALSE;
        }
    }

  if (destinations == NULL || *destinations == '\0' ||
      g_ascii_strcasecmp (destinations, "per-peer") == 0)
    state->per_peer = TRUE;
  else if (g_ascii_strcasecmp (destinations, "shared") == 0)
    state->per_peer = FALSE;
  else
    {
      _furlhint_plugin_set_bad_value (error, name, "sam.client-destinations", destinations,
                                      "unknown; accepted: per-peer (a transient client "
                                      "destination for each peer, the default) or shared "
                                      "(one for every peer)");
      return FALSE;
    }

  if (!_furlhint_plugin_get_endpoint (name, args, "sam.port", &state->sam,
                                      &sam_port_state, error))
    return FALSE;
  have_sam = sam_port_state == FH_SETTING_SET;

  if (!_furlhint_plugin_get_endpoint (name, args, "connections.i2p.sam-api", &sam_api,
                                      &sam_api_state, error))
    return FALSE;
  if (sam_api_state == FH_SETTING_SET)
    {
      if (have_sam)
        {
          gchar *a = _furlhint_endpoint_to_string (&state->sam);
          gchar *b = _furlhint_endpoint_to_string (&sam_api);
          gboolean same = g_strcmp0 (a, b) == 0;

          if (!same)
            g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                         "tahoe.cfg [connections] i2p.sam-api = \"%s\" and "
                         "[i2p] sam.port = \"%s\" name different SAM bridges; "
                         "accepted: one of them, or both naming the same endpoint",
                         _furlhint_plugin_get (args, "connections.i2p.sam-api"),
                         _furlhint_plugin_get (args, "sam.port"));
          g_free (a);
          g_free (b);
          _furlhint_endpoint_clear (&sam_api);
          if (!same)
            return FALSE;
        }
      else
        {
          state->sam = sam_api;
          have_sam = TRUE;
        }
    }

  {
    const gchar *options = _furlhint_plugin_get (args, "sam.session-options");
    GError *local_error = NULL;

    gchar *zero_hop = NULL;

    state->session_options = _furlhint_sam_parse_options (options, &local_error);
    if (state->session_options == NULL)
      {
        _furlhint_plugin_set_bad_value (error, name, "sam.session-options", options,
                                        "%s", local_error->message);
        g_error_free (local_error);
        return FALSE;
      }
    if (!check_tunnel_hops ((const gchar *const *) state->session_options, options,
                            args->anonymous, allow_zero_hop, &zero_hop, error))
      return FALSE;
    if (zero_hop != NULL && args->anonymous)
      _furlhint_plugin_log (args, G_LOG_LEVEL_WARNING,
                            "i2p: anonymous mode with zero-hop tunnels, as [i2p] "
                            "sam.allow-zero-hop = true allows: %s, so peers can see this "
                            "node's I2P router and its IP address; for test networks only",
                            zero_hop);
    g_free (zero_hop);
  }

  if (!have_sam)
    {
      state->sam.kind = FH_ENDPOINT_TCP;
      state->sam.host = g_strdup (I2P_DEFAULT_SAM_HOST);
      state->sam.port = I2P_DEFAULT_SAM_PORT;
    }

  if (!enabled)
    {
      state->disabled = TRUE;
      *configured = FALSE;
      return TRUE;
    }
  *configured = sam_api_state != FH_SETTING_ABSENT || have_sam ||
                (enabled_text != NULL && *enabled_text != '\0');
  return TRUE;
}

static gchar *
route_display (const I2pState *state)
{
  gchar *endpoint = _furlhint_plugin_endpoint_display (&state->sam);
  gchar *text = g_strdup_printf ("SAM %s", endpoint);

  g_free (endpoint);
  return text;
}

static gpointer
i2p_init (const FurlHintPluginInitArgs *args,
          gboolean *configured,
          GError **error)
{
  I2pState *state;

  if (!_furlhint_plugin_check_init_args (I2P_PLUGIN_NAME, args, error))
    return NULL;

  state = g_new0 (I2pState, 1);
  g_mutex_init (&state->lock);
  state->anonymous = args->anonymous;
  if (!read_settings (args, state, configured, error))
    {
      i2p_state_free (state);
      return NULL;
    }
  state->route_display = route_display (state);

  if (!*configured)
    _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG, "i2p: not configured (%s)",
                          state->disabled ? "[i2p] enabled = false"
                                          : "nothing in [i2p] or [connections] asks for I2P");
  else
    _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG, "i2p: %s%s",
                          state->route_display,
                          state->per_peer ? "" : ", one client destination for every peer");
  return state;
}

static void
i2p_fini (gpointer data)
{
  if (data != NULL)
    i2p_state_free (data);
}

static gboolean
parse_native (const gchar *hint,
              FurlHintTarget *target,
              GError **error)
{
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  gchar *message = NULL;
  guint16 port = 0;

  if (!_furlhint_foolscap_match_i2p (hint, &addr, &message))
    {
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           message != NULL ? message : "unrecognized I2P hint");
      g_free (message);
      return FALSE;
    }
  if (!_furlhint_plugin_check_hint_text (hint, error) ||
      !_furlhint_plugin_canonicalize_host (&addr, error))
    {
      _furlhint_foolscap_addr_clear (&addr);
      return FALSE;
    }

  /* Foolscap treats port 0 like no port at all (SAM's default). */
  if (addr.port != NULL && addr.port_non_ascii)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                   "port %s is written with non-ASCII digits; accepted: no port, "
                   "or 0-65535 in ASCII digits", addr.port);
      _furlhint_foolscap_addr_clear (&addr);
      return FALSE;
    }
  if (addr.port != NULL && g_strcmp0 (addr.port, "0") != 0 &&
      !_furlhint_foolscap_port_usable (&addr, &port))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                   "port %s is out of range; accepted: no port, or 0-65535 "
                   "(0 meaning no port)", addr.port);
      _furlhint_foolscap_addr_clear (&addr);
      return FALSE;
    }

  _furlhint_plugin_fill_target (target, &addr, port, FURLHINT_HOST_I2P, hint);
  _furlhint_foolscap_addr_clear (&addr);
  return TRUE;
}

static gboolean
i2p_parse (gpointer data,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  switch (mode)
    {
    case FURLHINT_PARSE_NATIVE:
      return parse_native (hint, target, error);

    case FURLHINT_PARSE_SUFFIX:
      if (!_furlhint_plugin_parse_tcp (hint, target, error))
        return FALSE;
      if (!_furlhint_hostname_in_domain (target->host, "i2p"))
        {
          g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                       "I2P reaches only I2P destinations, not %s; accepted: "
                       "i2p:DEST[:PORT], or tcp:NAME.i2p:PORT", target->host);
          g_clear_pointer (&target->host, g_free);
          g_clear_pointer (&target->hint, g_free);
          return FALSE;
        }
      target->host_kind = FURLHINT_HOST_I2P;
      return TRUE;

    case FURLHINT_PARSE_CARRY:
    default:
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                   "I2P cannot carry TCP connections; accepted: i2p:DEST[:PORT], "
                   "or tcp:NAME.i2p:PORT");
      return FALSE;
    }
}

/* --- connecting ------------------------------------------------------------
 *
 * A SAM session is a client destination. Its control socket does HELLO
 * and SESSION CREATE once — 20 s on i2pd 2.45.1, seconds on newer
 * routers, longer on a real network while tunnels are built — and stays
 * open for the plugin's life, because closing it ends the session. Each
 * connection then opens a socket of its own to the bridge: HELLO, STREAM
 * CONNECT, and after "STREAM STATUS RESULT=OK" that socket is the stream.
 *
 * Destinations: the sessions belong to the plugin state, so two contexts
 * (two node identities) never share one, and every one is TRANSIENT (a
 * fresh key made by the router). With `sam.client-destinations =
 * per-peer`, the default, each peer (the connect's isolation key, its tub
 * ID) gets a session of its own, made at the first connect to it and used
 * by every later one: peers cannot tell, by the destination that calls
 * them, that they serve the same node, as Tor's per-peer circuits keep
 * them from it in the tor plugin. The price is one SESSION CREATE per new
 * peer and a tunnel pool per peer on the router. `shared` makes one
 * session for every peer (what Tahoe's i2p_provider does through txi2p):
 * one SESSION CREATE in all, and peers that compare notes see one client.
 *
 * The session outlives any one connect, and connects come from whatever
 * thread-default main context the caller runs (the blocking wrapper makes
 * a private one per call and drops it afterwards). So every SAM socket
 * lives on a worker thread with a main context of its own, started at the
 * first connect and stopped by fini; a connect is handed over as a Job,
 * and its progress and result come back to the caller's context through
 * idle sources, in order. The worker's data is touched only on the worker
 * thread; a Job's caller fields only on the caller's.
 *
 * Names: a `.b32.i2p` address or a full base64 destination goes straight
 * into STREAM CONNECT (the router reads the key from the name itself);
 * anything else (NAME.i2p) is first resolved by the router's address book
 * with NAMING LOOKUP on the session's control socket. Nothing is ever
 * resolved here, and no socket goes anywhere but the SAM bridge.
 *
 * Ports: SAM carries a port only from 3.2 on (STREAM CONNECT TO_PORT). A
 * 3.1 bridge — i2pd up to at least 2.45.1 — has no way to say it, so the
 * port of an `i2p:DEST:PORT` hint is then not sent: the stream reaches
 * whatever the destination serves (its port 0 service), as with Foolscap
 * and txi2p on such a router. Tahoe's own I2P servers listen on one port
 * per destination, so this works for them.
 *
 * `[i2p] dest.private_key_file` is Tahoe's *server* key (the destination
 * the node publishes in tub.location); outgoing connections never use it:
 * a transient destination keeps the node's client traffic unlinkable from
 * its server identity, and the server's own session (txi2p) would make a
 * second session on that key fail with DUPLICATED_DEST.
 */

/* Bridge TCP connect plus HELLO reply, for the session's control socket:
 * beyond it the bridge counts as not answering (TRANSPORT_DOWN). Session
 * creation itself has no bound of its own (the caller's timeout applies
 * to each connect; the session carries on for the next one). */
#define SAM_HANDSHAKE_TIMEOUT_S 10
#define SAM_READ_CHUNK 4096

typedef struct _Session Session;
typedef struct _Command Command;
typedef struct _Job Job;

struct _I2pWorker {
  GThread *thread;
  GMainContext *context;       /* (owned) the worker's own */
  GMainLoop *loop;             /* (owned) */
  GSocketConnectable *sam;     /* (owned) the bridge */
  gchar *bridge;               /* (owned) "127.0.0.1:7656", for messages */
  gchar **options;             /* (owned) I2CP options for SESSION CREATE */

  /* worker thread only */
  GHashTable *sessions;        /* (owned) (element-type utf8 Session) the live
                                * sessions by peer key (see Job), each with a
                                * reference of the worker's */
  GList *jobs;                 /* (element-type Job) (unowned) running jobs */
  guint n_alive;               /* jobs not yet posted + sessions not yet freed */
  gboolean stopping;
};

typedef enum {
  SESSION_CONNECTING = 0,
  SESSION_HELLO,
  SESSION_CREATING,
  SESSION_READY,
  SESSION_DEAD,
} SessionPhase;

typedef void (*CommandDone) (Session *session,
                             Command *command,
                             const FhSamReply *reply,
                             const GError *error);

/* A command on the control socket. Only the head of the queue is ever on
 * the wire: SAM bridges do not answer pipelined commands. */
struct _Command {
  FhSamCommand kind;
  gchar *line;                 /* (owned) */
  CommandDone done;
  Job *job;                    /* (nullable) (owned ref) NULL once the job gave up */
  gboolean sent;
};

struct _Session {
  guint ref;
  I2pWorker *worker;           /* (unowned) */
  SessionPhase phase;
  gchar *id;                   /* (owned) */
  gchar *peer;                 /* (owned) its key in worker->sessions */
  GSocketConnection *conn;     /* (nullable) (owned) the control socket */
  GCancellable *cancellable;   /* (owned) cancelled when the session dies */
  GSource *timeout;            /* (nullable) (owned) handshake bound */
  GByteArray *inbuf;           /* (owned) bytes not yet split into lines */
  guint8 chunk[SAM_READ_CHUNK];
  GQueue commands;             /* (element-type Command) (owned) */
  GQueue waiters;              /* (element-type Job) (owned refs) wait for READY */
  GQueue output;               /* (element-type utf8) (owned) lines to write */
  gboolean writing;
};

typedef enum {
  JOB_HELLO = 0,
  JOB_STREAM_CONNECT,
} JobStep;

struct _Job {
  gint ref;                    /* atomic: the caller's and the worker's sides */

  /* caller's thread */
  GTask *task;                 /* (nullable) (owned) until completion */
  GMainContext *caller_context; /* (owned) */
  GCancellable *caller_cancellable; /* (nullable) (owned) */
  gulong cancel_handler;
  FurlHintStatusFunc status;
  gpointer status_data;
  gboolean completed;

  /* set before the hand-over, then read-only */
  GCancellable *cancellable;   /* (owned) the job's own, linked to the caller's */
  gchar *host;                 /* (owned) */
  guint16 port;
  gchar *peer;                 /* (owned) which session: the isolation key with
                                * per-peer destinations ("" without one), ""
                                * with a shared destination */

  /* worker thread */
  I2pWorker *worker;           /* (unowned) */
  GSource *cancel_source;      /* (nullable) (owned) */
  Session *session;            /* (nullable) (owned ref) */
  gchar *session_id;           /* (nullable) (owned) */
  gchar *destination;          /* (nullable) (owned) what STREAM CONNECT gets */
  gchar *last_status;          /* (nullable) (owned) */
  GSocketConnection *conn;     /* (nullable) (owned) the stream socket */
  gchar *out;                  /* (nullable) (owned) the line being written */
  GByteArray *line;            /* (owned) the reply being read */
  GSource *read_source;        /* (nullable) (owned) waits for the reply's bytes */
  JobStep step;
  guint pending_io;
  gboolean finished;
  gboolean posted;

  /* written by the worker before posting, read by the caller after */
  GError *error;               /* (nullable) (owned) */
  GSocketConnection *result;   /* (nullable) (owned) */
};

static void session_die (Session *session, GError *error);
static void session_pump (Session *session);
static void job_fail (Job *job, GError *error);
static void job_session_ready (Job *job, Session *session);

/* --- jobs: the caller's side ---------------------------------------------- */

static Job *
job_ref (Job *job)
{
  g_atomic_int_inc (&job->ref);
  return job;
}

static void
job_unref (gpointer data)
{
  Job *job = data;

  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref))
    return;
  g_clear_object (&job->task);
  g_main_context_unref (job->caller_context);
  g_clear_object (&job->caller_cancellable);
  g_clear_object (&job->cancellable);
  g_free (job->host);
  g_free (job->peer);
  g_free (job->session_id);
  g_free (job->destination);
  g_free (job->last_status);
  g_free (job->out);
  g_byte_array_unref (job->line);
  g_clear_error (&job->error);
  if (job->result != NULL)
    g_io_stream_close (G_IO_STREAM (job->result), NULL, NULL);
  g_clear_object (&job->result);
  g_free (job);
}

typedef struct {
  Job *job;                    /* (owned ref) */
  gchar *text;                 /* (owned) */
} StatusMessage;

static void
status_message_free (gpointer data)
{
  StatusMessage *msg = data;

  job_unref (msg->job);
  g_free (msg->text);
  g_free (msg);
}

static gboolean
status_in_caller_cb (gpointer data)
{
  StatusMessage *msg = data;

  /* Statuses are posted before the completion, on the same context at the
   * same priority, so none arrives after the caller's args went away. */
  if (!msg->job->completed && msg->job->status != NULL)
    msg->job->status (msg->text, msg->job->status_data);
  return G_SOURCE_REMOVE;
}

static gboolean
complete_in_caller_cb (gpointer data)
{
  Job *job = data;
  GTask *task = g_steal_pointer (&job->task);

  job->completed = TRUE;
  if (job->cancel_handler != 0)
    g_cancellable_disconnect (job->caller_cancellable, job->cancel_handler);
  job->cancel_handler = 0;

  /* With check_cancellable (the default), a stream that won the race
   * against the caller's cancellation is unreffed — closed — by GTask. */
  if (job->result != NULL)
    g_task_return_pointer (task, g_steal_pointer (&job->result), g_object_unref);
  else
    g_task_return_error (task, g_steal_pointer (&job->error));
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
post_to_caller (Job *job,
                GSourceFunc func,
                gpointer data,
                GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[furlhint] i2p connect");
  g_source_attach (source, job->caller_context);
  g_source_unref (source);
}

/* The caller's cancellation reaches the job's own cancellable on the
 * worker thread only, never from the caller's thread: the worker disposes
 * that cancellable's GCancellableSources (its own and those of GIO's
 * pending reads and writes) as the job winds down, and GLib 2.74 leaks a
 * GCancellableSource disposed in one thread while g_cancellable_cancel()
 * is emitting "cancelled" in another (cancellable_source_dispose() takes
 * a reference that only a handler it has just disconnected would drop). */
typedef struct {
  GMainContext *worker_context;  /* (owned) */
  GCancellable *job_cancellable; /* (owned) */
} CancelForward;

static void
cancel_forward_free (gpointer data)
{
  CancelForward *forward = data;

  g_main_context_unref (forward->worker_context);
  g_object_unref (forward->job_cancellable);
  g_free (forward);
}

static gboolean
cancel_in_worker_cb (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_REMOVE;
}

/* Runs in whatever thread cancels the caller's cancellable. An idle
 * source, not g_main_context_invoke(), which would run the cancel right
 * here whenever this thread can acquire the worker's context. A worker
 * already gone leaves the source in a context nobody iterates; freeing
 * that context frees it. */
static void
caller_cancelled_cb (GCancellable *caller_cancellable,
                     gpointer data)
{
  CancelForward *forward = data;
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, cancel_in_worker_cb,
                         g_object_ref (forward->job_cancellable), g_object_unref);
  g_source_set_static_name (source, "[furlhint] i2p cancel");
  g_source_attach (source, forward->worker_context);
  g_source_unref (source);
}

/* --- jobs: the worker's side ---------------------------------------------- */

static void
job_status (Job *job,
            const gchar *text)
{
  StatusMessage *msg;

  if (job->finished || g_strcmp0 (job->last_status, text) == 0)
    return;
  g_free (job->last_status);
  job->last_status = g_strdup (text);
  msg = g_new0 (StatusMessage, 1);
  msg->job = job_ref (job);
  msg->text = g_strdup (text);
  post_to_caller (job, status_in_caller_cb, msg, status_message_free);
}

static void
worker_maybe_quit (I2pWorker *worker)
{
  if (worker->stopping && worker->n_alive == 0)
    g_main_loop_quit (worker->loop);
}

static void session_unref (Session *session);

/* Posts the result once the job has finished and no operation of it is
 * pending any more, so that its socket is closed before the caller hears
 * of a failure. */
static void
job_maybe_post (Job *job)
{
  I2pWorker *worker = job->worker;

  if (!job->finished || job->pending_io > 0 || job->posted)
    return;
  job->posted = TRUE;

  if (job->conn != NULL)
    g_io_stream_close (G_IO_STREAM (job->conn), NULL, NULL);
  g_clear_object (&job->conn);
  if (job->cancel_source != NULL)
    g_source_destroy (job->cancel_source);
  g_clear_pointer (&job->cancel_source, g_source_unref);
  if (job->read_source != NULL)
    g_source_destroy (job->read_source);
  g_clear_pointer (&job->read_source, g_source_unref);
  g_clear_pointer (&job->session, session_unref);
  worker->jobs = g_list_remove (worker->jobs, job);

  post_to_caller (job, complete_in_caller_cb, job, job_unref);  /* the worker's ref */
  worker->n_alive--;
  worker_maybe_quit (worker);
}

static void
command_free (Command *command)
{
  g_free (command->line);
  job_unref (command->job);
  g_free (command);
}

/* Takes the job out of its session's queues. A command already on the
 * wire stays (its reply must still be read) but no longer names the job. */
static void
job_detach (Job *job)
{
  Session *session = job->session;

  if (session == NULL)
    return;
  if (g_queue_remove (&session->waiters, job))
    job_unref (job);
  for (GList *l = session->commands.head; l != NULL;)
    {
      Command *command = l->data;
      GList *next = l->next;

      if (command->job == job)
        {
          if (command->sent)
            g_clear_pointer (&command->job, job_unref);
          else
            {
              g_queue_delete_link (&session->commands, l);
              command_free (command);
            }
        }
      l = next;
    }
}

static void
job_fail (Job *job,
          GError *error)
{
  if (job->finished)
    {
      g_error_free (error);
      return;
    }
  job->finished = TRUE;
  job->error = error;
  job_detach (job);
  g_cancellable_cancel (job->cancellable);
  job_maybe_post (job);
}

static void
job_succeed (Job *job)
{
  job->finished = TRUE;
  job->result = g_steal_pointer (&job->conn);
  job_detach (job);
  job_maybe_post (job);
}

static gboolean
job_cancelled_cb (GCancellable *cancellable,
                  gpointer data)
{
  Job *job = data;

  g_clear_pointer (&job->cancel_source, g_source_unref);
  job_fail (job, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                      "I2P: connection attempt cancelled"));
  return G_SOURCE_REMOVE;
}

/* The bridge refusing or not answering a TCP connection means I2P is not
 * there for any hint: TRANSPORT_DOWN, which the host remembers. */
static GError *
bridge_connect_error (I2pWorker *worker,
                      const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                        "SAM bridge %s refused the connection: is i2pd running with "
                        "SAM enabled?", worker->bridge);
  return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                      "SAM bridge %s is not reachable (%s): is i2pd running with "
                      "SAM enabled?", worker->bridge, error->message);
}

static GError *
bridge_io_error (I2pWorker *worker,
                 const gchar *during,
                 const GError *error)
{
  if (error == NULL)
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                        "I2P: the SAM bridge %s closed the connection %s",
                        worker->bridge, during);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  /* A reset is the bridge hanging up, as with a close (timing alone can
   * decide which the client sees). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                        "I2P: the SAM bridge %s closed the connection %s (%s)",
                        worker->bridge, during, error->message);
  return g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                      "I2P: lost the SAM bridge %s %s: %s",
                      worker->bridge, during, error->message);
}

static GSocketClient *
new_socket_client (void)
{
  GSocketClient *client = g_socket_client_new ();

  /* Never through a system proxy: the bridge is local. No timeout either:
   * GSocketClient would keep it on the socket, and the control socket
   * waits idle for as long as the plugin lives. */
  g_socket_client_set_enable_proxy (client, FALSE);
  return client;
}

static void job_read_line (Job *job);

static void
job_write_cb (GObject *source,
              GAsyncResult *result,
              gpointer data)
{
  Job *job = data;
  GError *error = NULL;

  job->pending_io--;
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (job->finished)
    {
      g_clear_error (&error);
      job_maybe_post (job);
    }
  else if (error != NULL)
    {
      job_fail (job, bridge_io_error (job->worker, "while connecting a stream", error));
      g_error_free (error);
    }
  else
    job_read_line (job);
  job_unref (job);
}

static void
job_send (Job *job,
          gchar *line)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (job->conn));

  g_free (job->out);
  job->out = line;
  job->pending_io++;
  g_output_stream_write_all_async (out, job->out, strlen (job->out), G_PRIORITY_DEFAULT,
                                   job->cancellable, job_write_cb, job_ref (job));
}

static void
job_got_line (Job *job)
{
  FhSamReply reply;
  GError *error = NULL;
  gchar *line;

  if (!_furlhint_sam_parse_reply ((const gchar *) job->line->data, job->line->len,
                                  &reply, &error))
    {
      job_fail (job, error);
      return;
    }

  switch (job->step)
    {
    case JOB_HELLO:
      {
        const gchar *version;
        guint16 to_port = 0;

        if (!_furlhint_sam_check_reply (FH_SAM_CMD_HELLO, &reply, job->worker->bridge, &error))
          break;
        version = _furlhint_sam_reply_get (&reply, "VERSION");
        /* See "Ports" above: without 3.2 the port cannot be sent. */
        if (job->port != 0 && _furlhint_sam_version_at_least (version, 3, 2))
          to_port = job->port;
        line = _furlhint_sam_build_stream_connect (job->session_id, job->destination,
                                                   to_port, &error);
        if (line == NULL)
          break;
        job->step = JOB_STREAM_CONNECT;
        job_status (job, "connecting to the I2P destination");
        job_send (job, line);
      }
      break;

    case JOB_STREAM_CONNECT:
    default:
      if (_furlhint_sam_check_reply (FH_SAM_CMD_STREAM_CONNECT, &reply,
                                     job->worker->bridge, &error))
        job_succeed (job);
      break;
    }
  _furlhint_sam_reply_clear (&reply);
  if (error != NULL)
    job_fail (job, error);
}

static const gchar *
job_reply_name (const Job *job)
{
  return job->step == JOB_HELLO ? "before answering HELLO" : "before answering STREAM CONNECT";
}

/* The stream socket's replies are read up to their "\n" and not a byte
 * further: what follows is the peer's data and belongs to the caller's
 * socket, unread (a buffered reader would swallow it). So each wake-up
 * peeks at what has arrived (MSG_PEEK, never blocking: other jobs share
 * this thread) and then takes exactly the bytes up to the line's end,
 * which are there: one peek and one read per chunk, where reading a
 * byte at a time cost a read per byte of a hostile bridge's endless
 * line. */
static gboolean
job_readable_cb (GSocket *socket,
                 GIOCondition condition,
                 gpointer data)
{
  Job *job = data;
  guint8 chunk[SAM_READ_CHUNK];
  GError *error = NULL;
  gssize n;
  gsize take, line_len;
  const guint8 *nl;

  /* Every way out that ends the read lets go of the source before
   * job_fail() or job_got_line(): those may post the job to the caller,
   * whose thread can then free it while this callback still runs. */
  if (job->finished || g_cancellable_is_cancelled (job->cancellable))
    {
      /* job_cancelled_cb() ends the job; this source is done. */
      g_clear_pointer (&job->read_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  do
    n = recv (g_socket_get_fd (socket), chunk, sizeof chunk, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      gint saved_errno = errno;

      if (n < 0)
        error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                             "Error receiving data: %s", g_strerror (saved_errno));
      g_clear_pointer (&job->read_source, g_source_unref);
      job_fail (job, bridge_io_error (job->worker, job_reply_name (job), error));
      g_clear_error (&error);
      return G_SOURCE_REMOVE;
    }

  nl = memchr (chunk, '\n', (gsize) n);
  take = nl != NULL ? (gsize) (nl - chunk) + 1 : (gsize) n;
  /* Peeked, so there: a short read would be the kernel breaking its word. */
  n = g_socket_receive_with_blocking (socket, (gchar *) chunk, take, FALSE, NULL, &error);
  if (n != (gssize) take)
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                             "read %" G_GSSIZE_FORMAT " of %" G_GSIZE_FORMAT " peeked bytes",
                             n, take);
      g_clear_pointer (&job->read_source, g_source_unref);
      job_fail (job, bridge_io_error (job->worker, job_reply_name (job), error));
      g_error_free (error);
      return G_SOURCE_REMOVE;
    }
  g_byte_array_append (job->line, chunk, take);

  switch (_furlhint_sam_find_line (job->line->data, job->line->len, &line_len, &error))
    {
    case FH_SAM_LINE_NEED_MORE:
      return G_SOURCE_CONTINUE;
    case FH_SAM_LINE_OK:
      g_clear_pointer (&job->read_source, g_source_unref);
      job_got_line (job);
      return G_SOURCE_REMOVE;
    case FH_SAM_LINE_ERROR:
    default:
      g_clear_pointer (&job->read_source, g_source_unref);
      job_fail (job, error);
      return G_SOURCE_REMOVE;
    }
}

static void
job_read_line (Job *job)
{
  GSocket *socket = g_socket_connection_get_socket (job->conn);

  g_byte_array_set_size (job->line, 0);
  job->read_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                             job->cancellable);
  g_source_set_callback (job->read_source, G_SOURCE_FUNC (job_readable_cb), job, NULL);
  g_source_set_static_name (job->read_source, "[furlhint] i2p: SAM reply");
  g_source_attach (job->read_source, job->worker->context);
}

static void
job_connected_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer data)
{
  Job *job = data;
  GError *error = NULL;
  GSocketConnection *conn;

  job->pending_io--;
  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (job->finished)
    {
      if (conn != NULL)
        {
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_object_unref (conn);
        }
      g_clear_error (&error);
      job_maybe_post (job);
    }
  else if (conn == NULL)
    {
      job_fail (job, bridge_connect_error (job->worker, error));
      g_error_free (error);
    }
  else
    {
      job->conn = conn;
      job->step = JOB_HELLO;
      job_send (job, _furlhint_sam_build_hello (FH_SAM_VERSION_MIN, FH_SAM_VERSION_MAX));
    }
  job_unref (job);
}

static void
job_open_stream (Job *job)
{
  GSocketClient *client = new_socket_client ();

  job->pending_io++;
  g_socket_client_connect_async (client, job->worker->sam, job->cancellable,
                                 job_connected_cb, job_ref (job));
  g_object_unref (client);
}

static void
naming_done (Session *session,
             Command *command,
             const FhSamReply *reply,
             const GError *error)
{
  Job *job = command->job;
  GError *local_error = NULL;

  if (job == NULL || job->finished)
    return;
  if (error != NULL)
    job_fail (job, g_error_copy (error));
  else if (!_furlhint_sam_check_reply (FH_SAM_CMD_NAMING_LOOKUP, reply,
                                       session->worker->bridge, &local_error))
    job_fail (job, local_error);
  else
    {
      job->destination = g_strdup (_furlhint_sam_reply_get (reply, "VALUE"));
      job_open_stream (job);
    }
}

static void
session_queue_command (Session *session,
                       FhSamCommand kind,
                       gchar *line,
                       CommandDone done,
                       Job *job)
{
  Command *command = g_new0 (Command, 1);

  command->kind = kind;
  command->line = line;
  command->done = done;
  command->job = job != NULL ? job_ref (job) : NULL;
  g_queue_push_tail (&session->commands, command);
  session_pump (session);
}

static void
job_session_ready (Job *job,
                   Session *session)
{
  GError *error = NULL;
  gchar *line;

  g_free (job->session_id);
  job->session_id = g_strdup (session->id);
  if (_furlhint_sam_is_b32 (job->host) || _furlhint_sam_is_base64_destination (job->host))
    {
      job->destination = g_strdup (job->host);
      job_open_stream (job);
      return;
    }
  line = _furlhint_sam_build_naming_lookup (job->host, &error);
  if (line == NULL)
    {
      job_fail (job, error);
      return;
    }
  job_status (job, "looking up the I2P name");
  session_queue_command (session, FH_SAM_CMD_NAMING_LOOKUP, line, naming_done, job);
}

/* --- the session ------------------------------------------------------------ */

static Session *
session_ref (Session *session)
{
  session->ref++;
  return session;
}

static void
session_unref (Session *session)
{
  I2pWorker *worker;

  if (session == NULL || --session->ref > 0)
    return;
  worker = session->worker;
  /* Every operation holds a reference: none is pending now. Closing the
   * control socket ends the session on the router. */
  if (session->conn != NULL)
    g_io_stream_close (G_IO_STREAM (session->conn), NULL, NULL);
  g_clear_object (&session->conn);
  g_clear_object (&session->cancellable);
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);
  g_byte_array_unref (session->inbuf);
  g_queue_clear_full (&session->commands, (GDestroyNotify) command_free);
  g_queue_clear_full (&session->waiters, job_unref);
  g_queue_clear_full (&session->output, g_free);
  g_free (session->id);
  g_free (session->peer);
  g_free (session);
  worker->n_alive--;
  worker_maybe_quit (worker);
}

static void
session_die (Session *session,
             GError *error)
{
  I2pWorker *worker = session->worker;
  GQueue commands = G_QUEUE_INIT, waiters = G_QUEUE_INIT;

  if (session->phase == SESSION_DEAD)
    {
      g_error_free (error);
      return;
    }
  session->phase = SESSION_DEAD;
  session_ref (session);
  if (g_hash_table_lookup (worker->sessions, session->peer) == session)
    {
      g_hash_table_remove (worker->sessions, session->peer);
      session_unref (session);   /* the worker's */
    }
  g_cancellable_cancel (session->cancellable);
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);

  /* Steal the queues: failing a job detaches it from them. */
  commands = session->commands;
  g_queue_init (&session->commands);
  waiters = session->waiters;
  g_queue_init (&session->waiters);
  for (GList *l = commands.head; l != NULL; l = l->next)
    {
      Command *command = l->data;
      command->done (session, command, NULL, error);
    }
  g_queue_clear_full (&commands, (GDestroyNotify) command_free);
  for (GList *l = waiters.head; l != NULL; l = l->next)
    job_fail (l->data, g_error_copy (error));
  g_queue_clear_full (&waiters, job_unref);
  g_error_free (error);
  session_unref (session);
}

static void session_write_next (Session *session);

static void
session_write_cb (GObject *source,
                  GAsyncResult *result,
                  gpointer data)
{
  Session *session = data;
  GError *error = NULL;

  session->writing = FALSE;
  g_free (g_queue_pop_head (&session->output));
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (session->phase != SESSION_DEAD)
        session_die (session, bridge_io_error (session->worker, "on the session's control "
                                                                "connection", error));
      g_error_free (error);
    }
  else if (session->phase != SESSION_DEAD)
    session_write_next (session);
  session_unref (session);
}

static void
session_write_next (Session *session)
{
  const gchar *line = g_queue_peek_head (&session->output);

  if (session->writing || line == NULL || session->phase == SESSION_DEAD)
    return;
  session->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (session->conn)),
                                   line, strlen (line), G_PRIORITY_DEFAULT,
                                   session->cancellable, session_write_cb,
                                   session_ref (session));
}

static void
session_send (Session *session,
              gchar *line)
{
  g_queue_push_tail (&session->output, line);
  session_write_next (session);
}

static void
session_pump (Session *session)
{
  Command *head = g_queue_peek_head (&session->commands);

  if (head == NULL || head->sent || session->conn == NULL || session->phase == SESSION_DEAD)
    return;
  head->sent = TRUE;
  session_send (session, g_strdup (head->line));
}

static const gchar *
session_during (const Session *session)
{
  switch (session->phase)
    {
    case SESSION_CONNECTING:
    case SESSION_HELLO:
      return "before answering HELLO";
    case SESSION_CREATING:
      return "during SESSION CREATE";
    case SESSION_READY:
    case SESSION_DEAD:
    default:
      return "of the I2P session (the router stopped?)";
    }
}

static void
session_got_line (Session *session,
                  const guint8 *data,
                  gsize len)
{
  FhSamReply reply;
  GError *error = NULL;
  Command *head;

  if (!_furlhint_sam_parse_reply ((const gchar *) data, len, &reply, &error))
    {
      session_die (session, error);
      return;
    }
  if (g_strcmp0 (reply.topic, "PING") == 0)
    session_send (session, _furlhint_sam_build_pong (&reply));
  else if ((head = g_queue_peek_head (&session->commands)) != NULL && head->sent)
    {
      g_queue_pop_head (&session->commands);
      head->done (session, head, &reply, NULL);
      command_free (head);
      session_pump (session);
    }
  /* else: a line nobody asked for (a PONG, a newer bridge's notice) */
  _furlhint_sam_reply_clear (&reply);
}

static void session_read_more (Session *session);

static void
session_read_cb (GObject *source,
                 GAsyncResult *result,
                 gpointer data)
{
  Session *session = data;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (session->phase == SESSION_DEAD)
    g_clear_error (&error);
  else if (n <= 0)
    {
      session_die (session, bridge_io_error (session->worker, session_during (session), error));
      g_clear_error (&error);
    }
  else
    {
      gsize line_len;
      FhSamLineResult res = FH_SAM_LINE_NEED_MORE;

      g_byte_array_append (session->inbuf, session->chunk, (guint) n);
      while (session->phase != SESSION_DEAD &&
             (res = _furlhint_sam_find_line (session->inbuf->data, session->inbuf->len,
                                             &line_len, &error)) == FH_SAM_LINE_OK)
        {
          guint8 *line = g_memdup2 (session->inbuf->data, line_len);

          g_byte_array_remove_range (session->inbuf, 0, (guint) line_len);
          session_got_line (session, line, line_len);
          g_free (line);
        }
      if (res == FH_SAM_LINE_ERROR && session->phase != SESSION_DEAD)
        session_die (session, g_steal_pointer (&error));
      g_clear_error (&error);
      if (session->phase != SESSION_DEAD)
        session_read_more (session);
    }
  session_unref (session);
}

static void
session_read_more (Session *session)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (session->conn)),
                             session->chunk, sizeof session->chunk, G_PRIORITY_DEFAULT,
                             session->cancellable, session_read_cb, session_ref (session));
}

static void
session_status (Session *session,
                const gchar *text)
{
  for (GList *l = session->waiters.head; l != NULL; l = l->next)
    job_status (l->data, text);
}

static void
session_create_done (Session *session,
                     Command *command,
                     const FhSamReply *reply,
                     const GError *error)
{
  GError *local_error = NULL;
  GQueue waiters;

  if (error != NULL || session->phase == SESSION_DEAD)
    return;   /* the session is dying already */
  if (!_furlhint_sam_check_reply (FH_SAM_CMD_SESSION_CREATE, reply,
                                  session->worker->bridge, &local_error))
    {
      session_die (session, local_error);
      return;
    }
  session->phase = SESSION_READY;
  waiters = session->waiters;
  g_queue_init (&session->waiters);
  for (GList *l = waiters.head; l != NULL; l = l->next)
    {
      Job *job = l->data;
      if (!job->finished)
        job_session_ready (job, session);
    }
  g_queue_clear_full (&waiters, job_unref);
}

static void
session_hello_done (Session *session,
                    Command *command,
                    const FhSamReply *reply,
                    const GError *error)
{
  GError *local_error = NULL;
  gchar *line;

  if (error != NULL || session->phase == SESSION_DEAD)
    return;
  if (session->timeout != NULL)
    g_source_destroy (session->timeout);
  g_clear_pointer (&session->timeout, g_source_unref);

  if (!_furlhint_sam_check_reply (FH_SAM_CMD_HELLO, reply, session->worker->bridge,
                                  &local_error))
    {
      session_die (session, local_error);
      return;
    }
  line = _furlhint_sam_build_session_create (session->id, NULL,
                                             (const gchar *const *) session->worker->options,
                                             &local_error);
  if (line == NULL)
    {
      session_die (session, local_error);
      return;
    }
  session->phase = SESSION_CREATING;
  session_status (session, "creating I2P session");
  session_queue_command (session, FH_SAM_CMD_SESSION_CREATE, line, session_create_done, NULL);
}

static gboolean
session_timeout_cb (gpointer data)
{
  Session *session = data;

  g_clear_pointer (&session->timeout, g_source_unref);
  session_die (session,
               g_error_new (FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
                            "SAM bridge %s did not answer HELLO within %d s: is it "
                            "i2pd's SAM port?", session->worker->bridge,
                            SAM_HANDSHAKE_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

static void
session_connected_cb (GObject *source,
                      GAsyncResult *result,
                      gpointer data)
{
  Session *session = data;
  GError *error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (session->phase == SESSION_DEAD)
    {
      g_clear_error (&error);
      if (conn != NULL)
        {
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_object_unref (conn);
        }
    }
  else if (conn == NULL)
    {
      session_die (session, bridge_connect_error (session->worker, error));
      g_error_free (error);
    }
  else
    {
      session->conn = conn;
      session->phase = SESSION_HELLO;
      session_read_more (session);
      session_queue_command (session, FH_SAM_CMD_HELLO,
                             _furlhint_sam_build_hello (FH_SAM_VERSION_MIN, FH_SAM_VERSION_MAX),
                             session_hello_done, NULL);
    }
  session_unref (session);
}

/* A new session for @peer, in worker->sessions. */
static Session *
session_open (I2pWorker *worker,
              const gchar *peer)
{
  Session *session = g_new0 (Session, 1);
  GSocketClient *client = new_socket_client ();

  session->ref = 1;   /* the worker's */
  session->worker = worker;
  session->phase = SESSION_CONNECTING;
  session->id = _furlhint_sam_new_session_id ();
  session->peer = g_strdup (peer);
  g_hash_table_insert (worker->sessions, g_strdup (peer), session);
  session->cancellable = g_cancellable_new ();
  session->inbuf = g_byte_array_new ();
  worker->n_alive++;

  session->timeout = g_timeout_source_new_seconds (SAM_HANDSHAKE_TIMEOUT_S);
  g_source_set_callback (session->timeout, session_timeout_cb, session, NULL);
  g_source_set_static_name (session->timeout, "[furlhint] SAM handshake timeout");
  g_source_attach (session->timeout, worker->context);

  g_socket_client_connect_async (client, worker->sam, session->cancellable,
                                 session_connected_cb, session_ref (session));
  g_object_unref (client);
  return session;
}

/* --- the worker ------------------------------------------------------------- */

static gboolean
job_start_in_worker_cb (gpointer data)
{
  Job *job = data;   /* the worker's reference, released by job_maybe_post */
  I2pWorker *worker = job->worker;
  Session *session;

  worker->n_alive++;
  worker->jobs = g_list_prepend (worker->jobs, job);
  job->cancel_source = g_cancellable_source_new (job->cancellable);
  g_source_set_callback (job->cancel_source, G_SOURCE_FUNC (job_cancelled_cb), job, NULL);
  g_source_attach (job->cancel_source, worker->context);

  if (worker->stopping)
    {
      job_fail (job, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          "I2P: the i2p plugin is shutting down"));
      return G_SOURCE_REMOVE;
    }
  if (g_cancellable_is_cancelled (job->cancellable))
    return G_SOURCE_REMOVE;   /* job_cancelled_cb follows */

  session = g_hash_table_lookup (worker->sessions, job->peer);
  if (session == NULL)
    session = session_open (worker, job->peer);
  job->session = session_ref (session);
  if (session->phase == SESSION_READY)
    {
      job_status (job, "connecting to I2P");
      job_session_ready (job, session);
    }
  else
    {
      job_status (job, session->phase == SESSION_CREATING ? "creating I2P session"
                                                           : "connecting to I2P");
      g_queue_push_tail (&session->waiters, job_ref (job));
    }
  return G_SOURCE_REMOVE;
}

static gboolean
worker_shutdown_cb (gpointer data)
{
  I2pWorker *worker = data;
  GList *jobs = g_list_copy (worker->jobs);
  GList *sessions;

  worker->stopping = TRUE;
  for (GList *l = jobs; l != NULL; l = l->next)
    job_fail (l->data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            "I2P: the i2p plugin is shutting down"));
  g_list_free (jobs);
  /* Each session_die() takes its session out of the table. */
  sessions = g_hash_table_get_values (worker->sessions);
  for (GList *l = sessions; l != NULL; l = l->next)
    session_die (l->data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "I2P: the i2p plugin is shutting down"));
  g_list_free (sessions);
  worker_maybe_quit (worker);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  I2pWorker *worker = data;

  g_main_context_push_thread_default (worker->context);
  g_main_loop_run (worker->loop);
  /* Finished operations may still have sources to dispatch. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

static I2pWorker *
worker_new (const I2pState *state)
{
  I2pWorker *worker = g_new0 (I2pWorker, 1);

  worker->context = g_main_context_new ();
  worker->loop = g_main_loop_new (worker->context, FALSE);
  if (state->sam.kind == FH_ENDPOINT_UNIX)
    worker->sam = G_SOCKET_CONNECTABLE (g_unix_socket_address_new (state->sam.path));
  else
    /* The configured bridge, usually an address literal; a name here is
     * the node's own setting, not a peer's. */
    worker->sam = g_network_address_new (state->sam.host, state->sam.port);
  worker->bridge = _furlhint_plugin_endpoint_display (&state->sam);
  worker->options = g_strdupv (state->session_options);
  worker->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  worker->thread = g_thread_new ("furlhint-i2p", worker_thread, worker);
  return worker;
}

static void
worker_free (I2pWorker *worker)
{
  g_main_context_invoke (worker->context, worker_shutdown_cb, worker);
  g_thread_join (worker->thread);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_object_unref (worker->sam);
  g_free (worker->bridge);
  g_strfreev (worker->options);
  /* Empty: the shutdown ended every session. */
  g_hash_table_unref (worker->sessions);
  g_free (worker);
}

static void
i2p_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  I2pState *state = data;
  GTask *task;
  Job *job;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, i2p_connect_async);
  g_task_set_name (task, "[furlhint] i2p connect");

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (state == NULL)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "I2P: the plugin is not initialised");
      g_object_unref (task);
      return;
    }
  if (args == NULL || args->target == NULL || args->target->host == NULL)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "I2P: no destination to connect to");
      g_object_unref (task);
      return;
    }
  /* The host puts every target in canonical form; the router would look
   * "x.b32.i2p." up as some other name. */
  if (!_furlhint_hostname_is_canonical (args->target->host))
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                               "I2P: refusing destination '%s': not a canonical name (a final "
                               "dot, an empty label, or a .i2p name not in lower case)",
                               args->target->host);
      g_object_unref (task);
      return;
    }

  g_mutex_lock (&state->lock);
  if (state->worker == NULL)
    state->worker = worker_new (state);
  g_mutex_unlock (&state->lock);

  job = g_new0 (Job, 1);
  job->ref = 1;
  job->task = task;
  job->caller_context = g_main_context_ref_thread_default ();
  job->status = args->status;
  job->status_data = args->status_data;
  job->cancellable = g_cancellable_new ();
  job->host = g_strdup (args->target->host);
  job->port = args->target->port;
  job->peer = g_strdup (state->per_peer && args->isolation_key != NULL ? args->isolation_key
                                                                       : "");
  job->worker = state->worker;
  job->line = g_byte_array_new ();
  if (cancellable != NULL)
    {
      CancelForward *forward = g_new0 (CancelForward, 1);

      forward->worker_context = g_main_context_ref (state->worker->context);
      forward->job_cancellable = g_object_ref (job->cancellable);
      job->caller_cancellable = g_object_ref (cancellable);
      job->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                   forward, cancel_forward_free);
    }
  g_main_context_invoke_full (state->worker->context, G_PRIORITY_DEFAULT,
                              job_start_in_worker_cb, job, NULL);
}

static GIOStream *
i2p_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, i2p_connect_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
i2p_describe (gpointer data,
              const FurlHintTarget *target)
{
  I2pState *state = data;
  /* A destination is never an IPv6 literal: no brackets, even with a ':'. */
  gchar *where = target->port != 0
                   ? g_strdup_printf ("%s:%u", target->host, (guint) target->port)
                   : g_strdup (target->host);
  gchar *text;

  text = g_strdup_printf ("I2P (%s) → %s",
                          state != NULL ? state->route_display : "not configured",
                          where);
  g_free (where);
  return text;
}

static const gchar *const i2p_prefixes[] = { "i2p", NULL };
static const gchar *const i2p_host_suffixes[] = { ".i2p", NULL };

FURLHINT_PLUGIN_DEFINE (i2p) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = I2P_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "I2P: i2p: hints and .i2p hosts through a SAM v3 bridge",
  .prefixes = i2p_prefixes,
  .host_suffixes = i2p_host_suffixes,
  .anon_class = FURLHINT_ANON_ANONYMOUS,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = i2p_init,
  .fini = i2p_fini,
  .parse = i2p_parse,
  .connect_async = i2p_connect_async,
  .connect_finish = i2p_connect_finish,
  .describe = i2p_describe,
};
