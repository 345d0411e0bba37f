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
 *   2. a SOCKS endpoint: `[tor] socks.port` or furlhint's
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
 * It also publishes onion services (kind "onion": ADD_ONION through the
 * control port the client side finds, tor-publish.c).
 *
 * This file: the settings and parse, init and fini, describe and the
 * descriptor; connecting is in tor-connect.c, tor-discovery.c and
 * tor-control.c, publishing in tor-publish.c and tor-files.c
 * (tor-private.h says which holds what).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* explicit_bzero() is BSD, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <string.h>
#include <furlhint/plugin.h>

#include "tor-private.h"

static void
tor_state_free (TorState *state)
{
  /* Stops a discovery still running (bounded: its I/O is cancellable and
   * times out) and kills a tor we launched. */
  /* Publishes first: one may be waiting for the discovery. */
  tor_publish_wait_all (state);
  g_ptr_array_unref (state->publishing);
  g_ptr_array_unref (state->withdrawals);
  g_ptr_array_unref (state->withdraw_problems);
  g_cond_clear (&state->publish_done);
  g_clear_pointer (&state->discovery, tor_discovery_free);
  fh_endpoint_clear (&state->found);
  fh_endpoint_clear (&state->socks);
  fh_endpoint_clear (&state->control);
  if (state->control_password != NULL)
    memset (state->control_password, 0, strlen (state->control_password));
  g_free (state->control_password);
  g_free (state->executable);
  g_free (state->data_directory);
  g_free (state->route_display);
  g_free (state->describe_prefix);
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
  const gchar *enabled_text = fh_plugin_get (args, "enabled");
  const gchar *tcp_mode = fh_plugin_get (args, "connections.tcp");
  gboolean enabled, launch, onion;
  gboolean tcp_is_tor = FALSE;
  FhSettingState socks_port_state, proxy_state, control_state;
  FhEndpoint proxy;
  guint16 unused_port;

  if (!fh_plugin_get_boolean (name, args, "enabled", TRUE, &enabled, error) ||
      !fh_plugin_get_boolean (name, args, "launch", FALSE, &launch, error) ||
      !fh_plugin_get_boolean (name, args, "onion", FALSE, &onion, error) ||
      !fh_plugin_get_port (name, args, "onion.local_port", &unused_port, error) ||
      !fh_plugin_get_port (name, args, "onion.external_port", &unused_port, error))
    return FALSE;

  /* The core owns `[connections] tcp` (any letter case, tcp, disabled or
   * a carrier's name): this plugin only needs to know whether it is the
   * carrier asked for. */
  if (tcp_mode != NULL && g_ascii_strcasecmp (tcp_mode, "tor") == 0)
    tcp_is_tor = TRUE;

  if (!fh_plugin_get_endpoint (name, args, "socks.port", &state->socks,
                               &socks_port_state, error))
    return FALSE;
  state->have_socks = socks_port_state == FH_SETTING_SET;

  if (!fh_plugin_get_endpoint (name, args, "connections.tor.socks-proxy", &proxy,
                               &proxy_state, error))
    return FALSE;
  if (proxy_state == FH_SETTING_SET)
    {
      if (state->have_socks)
        {
          gboolean same = fh_endpoint_equal (&state->socks, &proxy);

          if (!same)
            g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                         "tahoe.cfg [connections] tor.socks-proxy = \"%s\" and "
                         "[tor] socks.port = \"%s\" name different Tor SOCKS ports; "
                         "accepted: one of them, or both naming the same endpoint",
                         fh_plugin_get (args, "connections.tor.socks-proxy"),
                         fh_plugin_get (args, "socks.port"));
          fh_endpoint_clear (&proxy);
          if (!same)
            return FALSE;
        }
      else
        {
          state->socks = proxy;
          state->have_socks = TRUE;
        }
    }

  if (!fh_plugin_get_endpoint (name, args, "control.port", &state->control,
                               &control_state, error))
    return FALSE;
  state->have_control = control_state == FH_SETTING_SET;

  state->executable = fh_plugin_dup_string (args, "tor.executable");
  state->data_directory = fh_plugin_dup_string (args, "data-directory");
  /* Not Tahoe keys: Tahoe's tor_provider (txtorcon) only uses cookies. */
  state->control_password = fh_plugin_dup_string (args, "control.password");
  {
    const gchar *auth = fh_plugin_get (args, "control.auth");
    gchar *bad = NULL;

    if (!fh_torctl_parse_auth_setting (auth, &state->control_auth, &bad))
      {
        fh_plugin_set_bad_value (error, name, "control.auth", auth,
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
      if (proxy_state != FH_SETTING_ABSENT)
        {
          g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_CONFLICT,
                       "tahoe.cfg [tor] enabled = \"%s\" turns Tor off, but "
                       "[connections] tor.socks-proxy asks for it; accepted: "
                       "enabled = true, or no [connections] tor.socks-proxy",
                       enabled_text);
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
      endpoint = fh_plugin_endpoint_display (&state->socks);
      text = g_strdup_printf ("SOCKS %s", endpoint);
      g_free (endpoint);
      return text;
    case TOR_MODE_CONTROL:
      endpoint = fh_plugin_endpoint_display (&state->control);
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

  if (!fh_plugin_check_init_args (TOR_PLUGIN_NAME, args, error))
    return NULL;

  state = g_new0 (TorState, 1);
  g_mutex_init (&state->lock);
  state->publishing = g_ptr_array_new_with_free_func (g_object_unref);
  state->withdrawals = g_ptr_array_new_with_free_func (g_object_unref);
  state->withdraw_problems = g_ptr_array_new_with_free_func (g_free);
  g_cond_init (&state->publish_done);
  state->log = args->log;
  state->log_data = args->log_data;
  state->default_ports[0] = TOR_DEFAULT_SOCKS_PORT;
  state->default_ports[1] = TOR_BROWSER_SOCKS_PORT;
  state->isolate_streams = TRUE;
  state->anonymous = args->anonymous;
  if (!fh_plugin_random_bytes (state->isolation_secret,
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
  state->describe_prefix = g_strconcat ("Tor (", state->route_display, ") → ", NULL);

  if (!*configured)
    fh_plugin_log (args, G_LOG_LEVEL_DEBUG, "tor: not configured (%s)",
                   state->disabled ? "[tor] enabled = false"
                                   : "nothing in [tor] or [connections] asks for Tor");
  else
    fh_plugin_log (args, G_LOG_LEVEL_DEBUG, "tor: %s%s%s%s",
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
  if (!fh_foolscap_match_tor (hint, &addr, &message))
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

  if (!fh_plugin_check_hint_text (hint, error) ||
      !fh_plugin_check_port (&addr, &port, error) ||
      !fh_plugin_canonicalize_host (&addr, error))
    {
      fh_foolscap_addr_clear (&addr);
      return FALSE;
    }
  /* Foolscap looked at the host as written: "10.0.0.1." is a name to it,
   * but the address 10.0.0.1 once canonical, and Tor must not be asked
   * for it. */
  if (fh_foolscap_is_non_public_numeric (addr.host))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_NOT_TORABLE,
                   "ignoring non-Tor-able ipaddr %s (written with a final dot, which "
                   "does not make an address a name)", addr.host);
      fh_foolscap_addr_clear (&addr);
      return FALSE;
    }

  /* Text only: Tor does the resolving, exits pick IPv4 addresses. The
   * tor regex has already refused IPv6; an .i2p name is classified as
   * such, so that the ranker and check_target() see it for what it is. */
  kind = fh_plugin_classify_host (addr.host);

  fh_plugin_fill_target (target, &addr, port, kind, hint);
  fh_foolscap_addr_clear (&addr);
  return TRUE;
}

static gchar *
tor_describe (gpointer data,
              const FurlHintTarget *target)
{
  TorState *state = data;

  /* One allocation, its prefix made at init: every Tor route of every
   * ranked FURL is described. */
  return fh_plugin_describe_host_port (state != NULL ? state->describe_prefix
                                                     : "Tor (not configured) → ",
                                       target->host, target->port, "");
}

static const gchar *const tor_prefixes[] = { "tor", NULL };
static const gchar *const tor_host_suffixes[] = { ".onion", NULL };
static const gchar *const tor_publishes[] = { "onion", NULL };

/* The [tor] keys: Tahoe's (util/tor_provider.py), then furlhint's own
 * (control.password, control.auth, data-directory). The host checks the
 * booleans, ports and endpoints against these before init. */
static const FurlHintPluginKey tor_keys[] = {
  { "tor", "enabled", FURLHINT_KEY_BOOLEAN, "true",
    "false turns Tor off whatever else is set", FALSE },
  { "tor", "launch", FURLHINT_KEY_BOOLEAN, "false",
    "start a private tor (wins over socks.port and control.port)", FALSE },
  { "tor", "tor.executable", FURLHINT_KEY_PATH, "tor (from $PATH)",
    "the tor program launch = true starts", FALSE },
  { "tor", "socks.port", FURLHINT_KEY_ENDPOINT, "tcp:127.0.0.1:9050, then 9150",
    "a running Tor's SOCKS port", FALSE },
  { "tor", "control.port", FURLHINT_KEY_ENDPOINT, NULL,
    "a running Tor's control port (SOCKS port discovered there; onion services)", FALSE },
  { "tor", "control.password", FURLHINT_KEY_STRING, NULL,
    "password for HASHEDPASSWORD authentication on control.port", TRUE },
  { "tor", "control.auth", FURLHINT_KEY_LIST, "safecookie, hashedpassword",
    "authentication methods allowed on control.port (safecookie, hashedpassword, cookie, null)",
    FALSE },
  { "tor", "data-directory", FURLHINT_KEY_PATH, "a new temporary directory",
    "the launched tor's DataDirectory", FALSE },
  { "tor", "onion", FURLHINT_KEY_BOOLEAN, "false",
    "publish this node as an onion service (listen:tor)", FALSE },
  { "tor", "onion.local_port", FURLHINT_KEY_PORT, NULL,
    "the local port the onion service forwards to", FALSE },
  { "tor", "onion.external_port", FURLHINT_KEY_PORT, NULL,
    "the onion service's virtual port", FALSE },
  { "tor", "onion.private_key_file", FURLHINT_KEY_PATH, NULL,
    "the onion service's key (relative: to the node directory)", FALSE },
  { NULL }
};

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
  .publishes = tor_publishes,
  .publish_async = tor_publish_async,
  .publish_finish = tor_publish_finish,
  .unpublish = tor_unpublish,
  .keys = tor_keys,
  .setup_hint = "set [connections] tor.socks-proxy (blank tries 127.0.0.1:9050, then 9150),"
                " or [tor] socks.port, control.port, launch = true or enabled = true",
};
