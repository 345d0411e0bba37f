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
 *      `[connections] i2p.sam-api` (both given → they must agree; either
 *      together with `launch = true` is an error, as in Tahoe);
 *   2. `[i2p] launch = true`: a private router is started
 *      (`i2p.executable`, else `i2p` on $PATH, in `i2p.configdir`) and its
 *      SAM port read from its config directory;
 *   3. `[i2p] i2p.configdir`: the SAM port of a running router is read
 *      from that directory;
 *   4. otherwise 127.0.0.1:7656, the router's default SAM port.
 * `[i2p] enabled = false` turns I2P off whatever else is set.
 *
 * I2P counts as configured only when asked for: `[connections]
 * i2p.sam-api` present (blank = 127.0.0.1:7656), or `[i2p] sam.port`,
 * `launch = true` or `enabled = true`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"

#define I2P_PLUGIN_NAME "i2p"

#define I2P_DEFAULT_SAM_HOST "127.0.0.1"
#define I2P_DEFAULT_SAM_PORT 7656

typedef enum {
  I2P_MODE_SAM = 0,       /* explicit or default SAM endpoint */
  I2P_MODE_LAUNCH,
  I2P_MODE_CONFIGDIR,
} I2pMode;

typedef struct {
  I2pMode mode;
  FhEndpoint sam;           /* (owned) I2P_MODE_SAM: the SAM bridge */
  gchar *executable;        /* (owned) (nullable) i2p.executable; NULL: "i2p" on $PATH */
  gchar *configdir;         /* (owned) (nullable) i2p.configdir */
  gboolean anonymous;       /* the node runs in anonymous mode */
  gboolean disabled;        /* [i2p] enabled = false */
  gchar *route_display;     /* (owned) "SAM 127.0.0.1:7656", for describe */
} I2pState;

static void
i2p_state_free (I2pState *state)
{
  _furlhint_endpoint_clear (&state->sam);
  g_free (state->executable);
  g_free (state->configdir);
  g_free (state->route_display);
  g_free (state);
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
  gboolean enabled, launch, dest;
  gboolean have_sam;
  FhSettingState sam_port_state, sam_api_state;
  FhEndpoint sam_api;
  guint16 unused_port;

  if (!_furlhint_plugin_get_boolean (name, args, "enabled", TRUE, &enabled, error) ||
      !_furlhint_plugin_get_boolean (name, args, "launch", FALSE, &launch, error) ||
      !_furlhint_plugin_get_boolean (name, args, "dest", FALSE, &dest, error) ||
      !_furlhint_plugin_get_port (name, args, "dest.port", &unused_port, error))
    return FALSE;

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

  if (have_sam && launch)
    {
      g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                   "tahoe.cfg [i2p] launch = \"%s\" and %s = \"%s\" both say how to "
                   "reach I2P; accepted: either launch = true (the launched router's "
                   "SAM port is found in i2p.configdir) or a SAM endpoint, not both",
                   _furlhint_plugin_get (args, "launch"),
                   sam_port_state == FH_SETTING_SET ? "[i2p] sam.port"
                                                    : "[connections] i2p.sam-api",
                   sam_port_state == FH_SETTING_SET
                     ? _furlhint_plugin_get (args, "sam.port")
                     : _furlhint_plugin_get (args, "connections.i2p.sam-api"));
      return FALSE;
    }

  state->executable = _furlhint_plugin_dup_string (args, "i2p.executable");
  state->configdir = _furlhint_plugin_dup_string (args, "i2p.configdir");

  if (have_sam)
    state->mode = I2P_MODE_SAM;
  else if (launch)
    state->mode = I2P_MODE_LAUNCH;
  else if (state->configdir != NULL)
    state->mode = I2P_MODE_CONFIGDIR;
  else
    state->mode = I2P_MODE_SAM;

  if (state->mode == I2P_MODE_SAM && !have_sam)
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
  *configured = sam_api_state != FH_SETTING_ABSENT || have_sam || launch ||
                (enabled_text != NULL && *enabled_text != '\0');
  return TRUE;
}

static gchar *
route_display (const I2pState *state)
{
  gchar *endpoint, *text;

  switch (state->mode)
    {
    case I2P_MODE_LAUNCH:
      return g_strdup ("launched privately");
    case I2P_MODE_CONFIGDIR:
      return g_strdup_printf ("SAM port from i2p.configdir %s", state->configdir);
    case I2P_MODE_SAM:
    default:
      endpoint = _furlhint_plugin_endpoint_display (&state->sam);
      text = g_strdup_printf ("SAM %s", endpoint);
      g_free (endpoint);
      return text;
    }
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
    _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG, "i2p: %s%s%s",
                          state->route_display,
                          state->mode == I2P_MODE_LAUNCH && state->executable != NULL
                            ? ", executable " : "",
                          state->mode == I2P_MODE_LAUNCH && state->executable != NULL
                            ? state->executable : "");
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
  if (!_furlhint_plugin_check_hint_text (hint, error))
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
      if (!_furlhint_plugin_host_has_suffix (target->host, ".i2p"))
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

static void
i2p_connect_async (gpointer data,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  _furlhint_plugin_connect_not_supported (I2P_PLUGIN_NAME, i2p_connect_async,
                                          cancellable, callback, user_data);
}

static GIOStream *
i2p_connect_finish (gpointer data,
                    GAsyncResult *result,
                    GError **error)
{
  return _furlhint_plugin_connect_finish (result, i2p_connect_async, error);
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
