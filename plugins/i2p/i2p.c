/* The i2p plugin: `i2p:DEST[:PORT]` hints and `tcp:` hints to `.i2p`
 * hosts, through an I2P router's SAM v3 bridge.
 *
 * Anonymity class ANONYMOUS. I2P reaches only I2P destinations, so it
 * carries no plain TCP. Destinations are looked up by the router (SAM
 * NAMING LOOKUP), never here.
 *
 * How the SAM bridge is reached (Tahoe-LAFS configuration.rst, "[i2p]",
 * and Tahoe's i2p_provider):
 *   1. a SAM endpoint: `[i2p] sam.port` or furlhint's
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
 *   for every peer (see "Destinations" in i2p-private.h).
 *
 * I2P counts as configured only when asked for: `[connections]
 * i2p.sam-api` present (blank = 127.0.0.1:7656), or `[i2p] sam.port` or
 * `enabled = true`.
 *
 * This file: the settings and parse, init and fini, describe and the
 * descriptor; connecting is in i2p-connect.c, i2p-session.c and
 * i2p-worker.c, publishing a destination (kind "i2p") in i2p-publish.c (i2p-private.h says which holds what, and how connecting
 * works).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/plugin.h>

#include "i2p-private.h"

#define I2P_PLUGIN_NAME "i2p"

#define I2P_DEFAULT_SAM_HOST "127.0.0.1"
#define I2P_DEFAULT_SAM_PORT 7656

/* What init accepts instead of Tahoe's launched and configdir routers. */
#define I2P_SAM_ACCEPTED \
  "a running router's SAM bridge in [i2p] sam.port or [connections] i2p.sam-api " \
  "(default tcp:127.0.0.1:7656)"

/* I2P's range for a tunnel's length and its variance, in hops. */
#define I2P_MAX_TUNNEL_LENGTH 7

static void
i2p_state_free (I2pState *state)
{
  /* First: it ends the session and fails what is still running. */
  if (state->worker != NULL)
    i2p_worker_free (state->worker);
  g_mutex_clear (&state->lock);
  g_strfreev (state->session_options);
  fh_endpoint_clear (&state->sam);
  g_free (state->route_display);
  g_free (state->describe_prefix);
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
        fh_plugin_set_bad_value (error, I2P_PLUGIN_NAME, "sam.session-options",
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
      fh_plugin_set_bad_value (error, I2P_PLUGIN_NAME, "sam.session-options",
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
  const gchar *enabled_text = fh_plugin_get (args, "enabled");
  const gchar *destinations = fh_plugin_get (args, "sam.client-destinations");
  static const gchar *const unsupported_keys[] = { "i2p.configdir", "i2p.executable", NULL };
  gboolean enabled, launch, dest, allow_zero_hop;
  gboolean have_sam;
  FhSettingState sam_port_state, sam_api_state;
  FhEndpoint sam_api;
  guint16 unused_port;

  if (!fh_plugin_get_boolean (name, args, "enabled", TRUE, &enabled, error) ||
      !fh_plugin_get_boolean (name, args, "launch", FALSE, &launch, error) ||
      !fh_plugin_get_boolean (name, args, "dest", FALSE, &dest, error) ||
      !fh_plugin_get_boolean (name, args, "sam.allow-zero-hop", FALSE,
                              &allow_zero_hop, error) ||
      !fh_plugin_get_port (name, args, "dest.port", &unused_port, error))
    return FALSE;

  /* Tahoe's launched and configdir routers: not implemented, so refused
   * here, where the message reaches check-config and the plugin list,
   * not at the first connect. */
  if (launch)
    {
      fh_plugin_set_bad_value (error, name, "launch", fh_plugin_get (args, "launch"),
                               "furlhint does not launch I2P routers; accepted: "
                               "launch = false (or absent) and " I2P_SAM_ACCEPTED);
      return FALSE;
    }
  for (const gchar *const *key = unsupported_keys; *key != NULL; key++)
    {
      const gchar *value = fh_plugin_get (args, *key);

      if (value != NULL && *value != '\0')
        {
          fh_plugin_set_bad_value (error, name, *key, value,
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
      fh_plugin_set_bad_value (error, name, "sam.client-destinations", destinations,
                               "unknown; accepted: per-peer (a transient client "
                               "destination for each peer, the default) or shared "
                                      "(one for every peer)");
      return FALSE;
    }

  if (!fh_plugin_get_endpoint (name, args, "sam.port", &state->sam,
                               &sam_port_state, error))
    return FALSE;
  have_sam = sam_port_state == FH_SETTING_SET;

  if (!fh_plugin_get_endpoint (name, args, "connections.i2p.sam-api", &sam_api,
                               &sam_api_state, error))
    return FALSE;
  if (sam_api_state == FH_SETTING_SET)
    {
      if (have_sam)
        {
          gboolean same = fh_endpoint_equal (&state->sam, &sam_api);

          if (!same)
            g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                         "tahoe.cfg [connections] i2p.sam-api = \"%s\" and "
                         "[i2p] sam.port = \"%s\" name different SAM bridges; "
                         "accepted: one of them, or both naming the same endpoint",
                         fh_plugin_get (args, "connections.i2p.sam-api"),
                         fh_plugin_get (args, "sam.port"));
          fh_endpoint_clear (&sam_api);
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
    const gchar *options = fh_plugin_get (args, "sam.session-options");
    GError *local_error = NULL;

    gchar *zero_hop = NULL;

    state->session_options = fh_sam_parse_options (options, &local_error);
    if (state->session_options == NULL)
      {
        fh_plugin_set_bad_value (error, name, "sam.session-options", options,
                                 "%s", local_error->message);
        g_error_free (local_error);
        return FALSE;
      }
    if (!check_tunnel_hops ((const gchar *const *) state->session_options, options,
                            args->anonymous, allow_zero_hop, &zero_hop, error))
      return FALSE;
    if (zero_hop != NULL && args->anonymous)
      fh_plugin_log (args, G_LOG_LEVEL_WARNING,
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
      if (sam_api_state != FH_SETTING_ABSENT)
        {
          g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                       "tahoe.cfg [i2p] enabled = \"%s\" turns I2P off, but "
                       "[connections] i2p.sam-api asks for it; accepted: "
                       "enabled = true, or no [connections] i2p.sam-api",
                       enabled_text);
          return FALSE;
        }
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
  gchar *endpoint = fh_plugin_endpoint_display (&state->sam);
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

  if (!fh_plugin_check_init_args (I2P_PLUGIN_NAME, args, error))
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
  state->describe_prefix = g_strconcat ("I2P (", state->route_display, ") → ", NULL);

  if (!*configured)
    fh_plugin_log (args, G_LOG_LEVEL_DEBUG, "i2p: not configured (%s)",
                   state->disabled ? "[i2p] enabled = false"
                                   : "nothing in [i2p] or [connections] asks for I2P");
  else
    fh_plugin_log (args, G_LOG_LEVEL_DEBUG, "i2p: %s%s",
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

  if (!fh_foolscap_match_i2p (hint, &addr, &message))
    {
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           message != NULL ? message : "unrecognized I2P hint");
      g_free (message);
      return FALSE;
    }
  if (!fh_plugin_check_hint_text (hint, error) ||
      !fh_plugin_canonicalize_host (&addr, error))
    {
      fh_foolscap_addr_clear (&addr);
      return FALSE;
    }

  /* Foolscap treats port 0 like no port at all (SAM's default). */
  if (addr.port != NULL && addr.port_non_ascii)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                   "port %s is written with non-ASCII digits; accepted: no port, "
                   "or 0-65535 in ASCII digits", addr.port);
      fh_foolscap_addr_clear (&addr);
      return FALSE;
    }
  if (addr.port != NULL && g_strcmp0 (addr.port, "0") != 0 &&
      !fh_foolscap_port_usable (&addr, &port))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                   "port %s is out of range; accepted: no port, or 0-65535 "
                   "(0 meaning no port)", addr.port);
      fh_foolscap_addr_clear (&addr);
      return FALSE;
    }

  fh_plugin_fill_target (target, &addr, port, FURLHINT_HOST_I2P, hint);
  fh_foolscap_addr_clear (&addr);
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
      if (!fh_plugin_parse_tcp (hint, target, error))
        return FALSE;
      if (!fh_hostname_in_domain (target->host, "i2p"))
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

static gchar *
i2p_describe (gpointer data,
              const FurlHintTarget *target)
{
  I2pState *state = data;
  const gchar *prefix = state != NULL ? state->describe_prefix : "I2P (not configured) → ";

  /* A destination is never an IPv6 literal: no brackets, even with a ':'
   * (fh_plugin_describe_host_port() would add them). One allocation, its
   * prefix made at init: every I2P route of every ranked FURL is
   * described. */
  if (target->port != 0 && strchr (target->host, ':') != NULL)
    return g_strdup_printf ("%s%s:%u", prefix, target->host, (guint) target->port);
  return fh_plugin_describe_host_port (prefix, target->host, target->port, "");
}

static const gchar *const i2p_prefixes[] = { "i2p", NULL };
static const gchar *const i2p_host_suffixes[] = { ".i2p", NULL };
static const gchar *const i2p_publishes[] = { "i2p", NULL };

/* The [i2p] keys: Tahoe's (util/i2p_provider.py), then furlhint's own
 * (sam.session-options, sam.client-destinations, sam.allow-zero-hop). The
 * host checks the booleans, ports and endpoints against these before
 * init. */
static const FurlHintPluginKey i2p_keys[] = {
  { "i2p", "enabled", FURLHINT_KEY_BOOLEAN, "true",
    "false turns I2P off whatever else is set", FALSE },
  { "i2p", "sam.port", FURLHINT_KEY_ENDPOINT, "tcp:127.0.0.1:7656",
    "a running I2P router's SAM bridge", FALSE },
  { "i2p", "launch", FURLHINT_KEY_BOOLEAN, "false",
    "Tahoe's launched router; refused (furlhint launches no I2P router)", FALSE },
  { "i2p", "i2p.configdir", FURLHINT_KEY_PATH, NULL,
    "Tahoe's router configuration directory; refused (not read)", FALSE },
  { "i2p", "i2p.executable", FURLHINT_KEY_PATH, NULL,
    "Tahoe's router program; refused (furlhint launches no I2P router)", FALSE },
  { "i2p", "sam.session-options", FURLHINT_KEY_LIST, NULL,
    "I2CP options of the SAM session (inbound.length=N ...)", FALSE },
  { "i2p", "sam.client-destinations", FURLHINT_KEY_STRING, "per-peer",
    "per-peer (a transient client destination for each peer) or shared", FALSE },
  { "i2p", "sam.allow-zero-hop", FURLHINT_KEY_BOOLEAN, "false",
    "allow zero-hop tunnels in anonymous mode (test networks only)", FALSE },
  { "i2p", "dest", FURLHINT_KEY_BOOLEAN, "false",
    "publish this node as an I2P destination (listen:i2p)", FALSE },
  { "i2p", "dest.port", FURLHINT_KEY_PORT, NULL,
    "the I2P port the destination is reached on", FALSE },
  { "i2p", "dest.private_key_file", FURLHINT_KEY_PATH, NULL,
    "the destination's key (relative: to the node directory)", FALSE },
  { NULL }
};

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
  .publishes = i2p_publishes,
  .publish_async = i2p_publish_async,
  .publish_finish = i2p_publish_finish,
  .unpublish = i2p_unpublish,
  .keys = i2p_keys,
  .setup_hint = "set [connections] i2p.sam-api (blank means 127.0.0.1:7656),"
                " or [i2p] sam.port, launch = true or enabled = true",
};
