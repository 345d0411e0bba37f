/* `furlhint rank`: the connection plan for FURLs under a configuration,
 * and (--explain) why.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cli-common.h"
#include "endpoint.h"
#include "json-writer.h"

typedef struct {
  FhCli *cli;
  FurlHintContext *ctx;
  gboolean explain;
  gboolean refused;   /* some FURL refused or without a route: exit 1 */
  gboolean first;
} RankState;

static guint
count_tiers (const FurlHintPlan *plan)
{
  guint n_routes = furlhint_plan_get_n_routes (plan);
  guint n_tiers = 0;
  guint last = G_MAXUINT;

  /* Routes come first, sorted by tier. */
  for (guint i = 0; i < n_routes; i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      if (entry->tier != last)
        n_tiers++;
      last = entry->tier;
    }
  return n_tiers;
}

/* ---- JSON ------------------------------------------------------------ */

/* One object per FURL. @plan is NULL when the FURL did not parse. */
static void
print_plan_json (RankState *state,
                 const gchar *input,
                 FurlHintFurl *furl,
                 FurlHintPlan *plan,
                 const GError *error)
{
  g_autoptr(GString) out = g_string_new ("{");
  guint n_routes = plan ? furlhint_plan_get_n_routes (plan) : 0;
  gboolean anonymous = furlhint_config_get_anonymous (furlhint_context_get_config (state->ctx));

  fh_json_append_key (out, "input");
  {
    g_autofree gchar *shown = input != NULL ? fh_cli_show_furl (state->cli, input) : NULL;

    fh_json_append_text (out, shown);
  }
  g_string_append_c (out, ',');
  fh_json_append_outcome (out, error);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "anonymous");
  fh_json_append_bool (out, plan ? furlhint_plan_is_anonymous (plan) : anonymous);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "kind");
  fh_json_append_text (out, furl ? fh_enum_nick (FURLHINT_TYPE_FURL_KIND, furlhint_furl_get_kind (furl)) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "network");
  fh_json_append_text (out, furl ? fh_enum_nick (FURLHINT_TYPE_NETWORK, furlhint_furl_get_network (furl)) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tubid");
  fh_json_append_text (out, furl ? furlhint_furl_get_tubid (furl) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "name");
  fh_json_append_text (out, furl == NULL ? NULL
                       : state->cli->show_secrets ? furlhint_furl_get_name (furl)
                       : FURLHINT_CENSORED);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "hints");
  g_string_append_c (out, '[');
  for (guint i = 0; furl != NULL && i < furlhint_furl_get_n_hints (furl); i++)
    {
      const FurlHintHint *hint = furlhint_furl_get_hint (furl, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "hint");
      fh_json_append_text (out, furlhint_hint_get_text (hint));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "canonical");
      fh_json_append_text (out, furlhint_hint_get_canonical (hint));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "type");
      fh_json_append_text (out, furlhint_hint_get_hint_type (hint));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "lint");
      fh_json_append_strv (out, furlhint_hint_get_lint (hint));
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],");
  fh_json_append_key (out, "entries");
  g_string_append_c (out, '[');
  for (guint i = 0; plan != NULL && i < furlhint_plan_get_n_entries (plan); i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      fh_json_append_plan_entry (out, furlhint_plan_get_entry (plan, i));
    }
  g_string_append (out, "],");
  fh_json_append_key (out, "n_routes");
  fh_json_append_uint (out, n_routes);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "n_tiers");
  fh_json_append_uint (out, plan ? count_tiers (plan) : 0);
  g_string_append_c (out, '}');
  fh_json_print_line (out);
}

/* ---- text ------------------------------------------------------------ */

/* Which carrier takes public TCP hints in anonymous mode (and for the
 * Tor fallback), and why that one: furlhint_context_find_anonymous_carrier(). */
static gchar *
anon_carrier_text (FurlHintContext *ctx,
                   FurlHintPlugin *carrier)
{
  if (carrier == NULL)
    return g_strdup ("nowhere (unavailable: Tor is not configured, nor any other "
                     "anonymous carrier)");
  if (carrier == furlhint_context_find_plugin_for_prefix (ctx, "tor"))
    return g_strdup_printf ("through the '%s' plugin (Tor: the owner of tor: hints is "
                            "preferred)", furlhint_plugin_get_name (carrier));
  return g_strdup_printf ("through the '%s' plugin (the first configured anonymous carrier "
                          "by name; Tor is not configured)", furlhint_plugin_get_name (carrier));
}

/* The plugin that serves tcp.socks-proxy (FURLHINT_PLUGIN_TCP_PROXY), a
 * configured one first; the ranker's rule (core/rank.c). */
static FurlHintPlugin *
find_tcp_proxy (GPtrArray *plugins)
{
  FurlHintPlugin *found = NULL;

  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if ((furlhint_plugin_get_flags (plugin) & FURLHINT_PLUGIN_TCP_PROXY) != 0 &&
          (found == NULL || (furlhint_plugin_is_configured (plugin) &&
                             !furlhint_plugin_is_configured (found))))
        found = plugin;
    }
  return found;
}

static void
explain_context (RankState *state)
{
  FhCli *cli = state->cli;
  FurlHintConfig *config = furlhint_context_get_config (state->ctx);
  GPtrArray *plugins = furlhint_context_get_plugins (state->ctx);
  FurlHintPlugin *tor = furlhint_context_find_plugin (state->ctx, "tor");
  FurlHintPlugin *i2p = furlhint_context_find_plugin (state->ctx, "i2p");
  FurlHintPlugin *tcp_proxy = find_tcp_proxy (plugins);
  gboolean anonymous = furlhint_config_get_anonymous (config);
  FurlHintTcpMode tcp_mode = furlhint_config_get_tcp_mode (config);
  gboolean tor_ok = tor != NULL && furlhint_plugin_is_configured (tor);
  gboolean i2p_ok = i2p != NULL && furlhint_plugin_is_configured (i2p);
  gboolean proxy_ok = tcp_proxy != NULL && furlhint_plugin_is_configured (tcp_proxy);
  const gchar *tcp_default = furlhint_config_get_value (config, "connections", "tcp") == NULL
                            ? " (the default)" : "";
  FurlHintPlugin *anon_carrier = furlhint_context_find_anonymous_carrier (state->ctx);
  g_autoptr(GError) invalid = NULL;
  const gchar *value;

  fh_print (stdout, "configuration: %s\n", cli->config_path ? cli->config_path
                                  : "none (Tahoe's defaults)");
  if (cli->anonymous)
    fh_print (stdout, "mode: anonymous (--anonymous)\n");
  else if (anonymous)
    {
      if (furlhint_config_get_value (config, "node", "anonymous") != NULL)
        fh_print (stdout, "mode: anonymous ([node] anonymous = %s)\n",
                furlhint_config_get_value (config, "node", "anonymous"));
      else
        fh_print (stdout, "mode: anonymous ([node] reveal-IP-address = %s)\n",
                furlhint_config_get_value (config, "node", "reveal-IP-address"));
    }
  else
    fh_print (stdout, "mode: normal\n");

  if (anonymous)
    {
      g_autofree gchar *why = anon_carrier_text (state->ctx, anon_carrier);

      fh_print (stdout, "  never a clear or proxied connection, never a local DNS lookup of a hint host;\n"
                "  tier 0 = tor:, i2p: and .onion/.i2p hints, tier 1 = public TCP hints %s\n", why);
    }

  switch (tcp_mode)
    {
    case FURLHINT_TCP_MODE_TOR:
    case FURLHINT_TCP_MODE_CARRIER:
      {
        const gchar *route = furlhint_config_get_tcp_route (config);
        FurlHintPlugin *carrier = furlhint_context_find_carrier (state->ctx, route);
        FurlHintAnonClass anon_class = furlhint_plugin_get_anon_class (carrier);

        /* fh_cli_check_tcp_route() made sure it is a loaded carrier. */
        if (anonymous && anon_class != FURLHINT_ANON_ANONYMOUS)
          fh_print (stdout, "[connections] tcp = %s: NOT used: anonymous mode forbids a %s "
                    "carrier (the '%s' plugin); public TCP hints go %s\n", route,
                    furlhint_anon_class_name (anon_class), furlhint_plugin_get_name (carrier),
                    anon_carrier != NULL ? "through the anonymous carrier above" : "nowhere");
        else
          fh_print (stdout, "[connections] tcp = %s: every public TCP hint is carried by the "
                    "'%s' plugin (%s)%s\n", route, furlhint_plugin_get_name (carrier),
                    furlhint_anon_class_name (anon_class),
                    furlhint_plugin_is_configured (carrier) ? ""
                    : ", which is not configured, so TCP hints get no route");
      }
      break;
    case FURLHINT_TCP_MODE_DISABLED:
      fh_print (stdout, "[connections] tcp = disabled: TCP hints are dropped\n");
      break;
    case FURLHINT_TCP_MODE_TCP:
    default:
      value = furlhint_config_get_value (config, "connections", "tcp.socks-proxy");
      if (value != NULL)
        {
          /* Its password= field is never shown, --show-secrets or not. */
          g_autofree gchar *shown = fh_endpoint_censor_credentials (value);

          fh_print (stdout, "[connections] tcp = tcp, tcp.socks-proxy = %s: TCP hints go through "
                    "the SOCKS proxy (proxied, remote DNS)%s\n", shown,
                    proxy_ok ? "" : " (but no loaded plugin that serves it, one declaring "
                    "FURLHINT_PLUGIN_TCP_PROXY such as socks, is configured)");
        }
      else if (anonymous)
        fh_print (stdout, "[connections] tcp = tcp%s: never used in anonymous mode\n", tcp_default);
      else
        fh_print (stdout, "[connections] tcp = tcp%s: TCP hints connect directly (clear, local DNS)\n",
                tcp_default);
      break;
    }

  if (tor == NULL)
    fh_print (stdout, "Tor: no tor plugin loaded: tor: and .onion hints get no route\n");
  else if (tor_ok)
    {
      value = furlhint_config_get_value (config, "connections", "tor.socks-proxy");
      fh_print (stdout, "Tor: configured (%s)\n",
              value == NULL ? "from [tor] or tcp = tor"
              : *value == '\0' ? "tor.socks-proxy blank: 127.0.0.1:9050, then 9150"
              : value);
    }
  else
    fh_print (stdout, "Tor: not configured (no [connections] tor.socks-proxy, no [tor] section that enables it): "
            "tor: and .onion hints get no route\n");

  if (i2p == NULL)
    fh_print (stdout, "I2P: no i2p plugin loaded: i2p: and .i2p hints get no route\n");
  else if (i2p_ok)
    {
      value = furlhint_config_get_value (config, "connections", "i2p.sam-api");
      fh_print (stdout, "I2P: configured (%s)\n",
              value == NULL ? "from [i2p]"
              : *value == '\0' ? "i2p.sam-api blank: 127.0.0.1:7656"
              : value);
    }
  else
    fh_print (stdout, "I2P: not configured (no [connections] i2p.sam-api, no [i2p] section that enables it): "
            "i2p: and .i2p hints get no route\n");

  if (!anonymous)
    {
      g_autofree gchar *why = anon_carrier_text (state->ctx, anon_carrier);

      fh_print (stdout, "Tor fallback for failed TCP hints ([connections] tcp.tor-fallback): %s%s\n",
                furlhint_config_get_tor_fallback (config) ? "on, " : "off",
                furlhint_config_get_tor_fallback (config) ? why : "");
    }

  /* A carrier that is configured but carries nothing must not look as if
   * it did (`furlhint plugins` shows it "configured: yes"). */
  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);
      const gchar *name = furlhint_plugin_get_name (plugin);

      if (!furlhint_plugin_can_carry_tcp (plugin) || !furlhint_plugin_is_configured (plugin) ||
          plugin == anon_carrier || plugin == tor ||
          (furlhint_plugin_get_flags (plugin) & FURLHINT_PLUGIN_TCP_PROXY) != 0 ||
          furlhint_context_find_carrier (state->ctx, furlhint_config_get_tcp_route (config)) == plugin)
        continue;
      fh_print (stdout, "carrier %s (%s): configured but not used for public TCP hints: "
                "[connections] tcp = %s; use it with tcp = %s or --override tcp=%s%s\n",
                name, furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)),
                furlhint_config_get_tcp_route (config), name, name,
                anonymous && furlhint_plugin_get_anon_class (plugin) != FURLHINT_ANON_ANONYMOUS
                ? " (not in anonymous mode, which forbids it)" : "");
    }

  /* Ranking does not need a valid tub.location, but an operator asking
   * "why" wants to know that the node itself would not start. */
  if (!furlhint_config_validate (config, &invalid))
    fh_print (stdout, "note: a node with this configuration would not start (see check-config): %s\n",
            invalid->message);

  fh_print (stdout, "plugins:");
  for (guint i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      fh_print (stdout, "%s %s (%s%s%s)", i > 0 ? "," : "",
              furlhint_plugin_get_name (plugin),
              furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin)),
              furlhint_plugin_can_carry_tcp (plugin) ? ", carries tcp" : "",
              furlhint_plugin_is_configured (plugin) ? "" : ", not configured");
    }
  fh_print (stdout, "%s\n", plugins->len == 0 ? " none loaded" : "");
}

/* The plugin's own account of a route: the plan's description also
 * repeats the tier, class and delay the table already shows. */
static gchar *
route_description (const FurlHintPlanEntry *entry)
{
  if (entry->plugin != NULL && entry->target.host != NULL)
    return furlhint_plugin_describe (entry->plugin, &entry->target);
  return g_strdup (entry->description ? entry->description : "");
}

/* A `tcp:` hint that the carrier asked for (an override, else
 * `[connections] tcp`) does not go through: say so, and why.
 * @claimer (nullable) is the plugin whose network the host belongs to. */
static void
explain_unused_carrier (RankState *state,
                        const FurlHintPlan *plan,
                        guint index,
                        FurlHintPlugin *claimer)
{
  FurlHintConfig *config = furlhint_context_get_config (state->ctx);
  g_autoptr(GHashTable) overrides = fh_cli_dup_overrides (state->cli, furlhint_plan_get_furl (plan));
  const gchar *name = overrides != NULL ? g_hash_table_lookup (overrides, "tcp") : NULL;
  const gchar *source = name != NULL ? "per-peer override tcp" : "[connections] tcp";
  FurlHintPlugin *carrier;

  if (name == NULL)
    name = furlhint_config_get_tcp_route (config);
  carrier = furlhint_context_find_carrier (state->ctx, name);
  if (carrier == NULL || !furlhint_plugin_can_carry_tcp (carrier))
    return;
  for (guint i = 0; i < furlhint_plan_get_n_entries (plan); i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      if (entry->hint_index == index && entry->plugin == carrier)
        return;
    }

  if (claimer != NULL)
    fh_print (stdout, "    %s = %s is not used for this hint: its host belongs to the %s "
              "plugin's network, which reaches it natively\n", source, name,
              furlhint_plugin_get_name (claimer));
  else if (furlhint_plan_is_anonymous (plan) &&
           furlhint_plugin_get_anon_class (carrier) != FURLHINT_ANON_ANONYMOUS)
    fh_print (stdout, "    %s = %s is not used for this hint: anonymous mode forbids a %s "
              "carrier\n", source, name,
              furlhint_anon_class_name (furlhint_plugin_get_anon_class (carrier)));
  else
    fh_print (stdout, "    %s = %s is not used for this hint: see the reason below\n",
              source, name);
}

/* Why a hint goes where it goes: which plugin owns its type, which one
 * claims its host. */
static void
explain_hint (RankState *state,
              const FurlHintPlan *plan,
              guint index,
              const FurlHintHint *hint)
{
  const gchar *type = furlhint_hint_get_hint_type (hint);
  const gchar *canonical = furlhint_hint_get_canonical (hint);
  FurlHintPlugin *owner = type ? furlhint_context_find_plugin_for_prefix (state->ctx, type) : NULL;
  g_autofree gchar *host = NULL;
  guint n = furlhint_plan_get_n_entries (plan);

  fh_print (stdout, "  hint %u: %s\n", index + 1, canonical);
  if (type == NULL)
    fh_print (stdout, "    no type (no ':'): not a hint any plugin handles\n");
  else if (owner != NULL && furlhint_plan_is_anonymous (plan) &&
           furlhint_plugin_get_anon_class (owner) != FURLHINT_ANON_ANONYMOUS)
    fh_print (stdout, "    type %s: native to the %s plugin (%s), which anonymous mode never uses; "
            "only Tor may carry it\n", type, furlhint_plugin_get_name (owner),
            furlhint_anon_class_name (furlhint_plugin_get_anon_class (owner)));
  else if (owner != NULL)
    fh_print (stdout, "    type %s: handled by the %s plugin (%s)\n", type,
            furlhint_plugin_get_name (owner),
            furlhint_anon_class_name (furlhint_plugin_get_anon_class (owner)));
  else
    fh_print (stdout, "    type %s: no loaded plugin handles it\n", type);

  if (g_strcmp0 (type, "tcp") == 0 &&
      furlhint_foolscap_parse_hint (canonical, FURLHINT_FOOLSCAP_TCP, &host, NULL, NULL))
    {
      FurlHintPlugin *claimer = furlhint_context_find_plugin_for_host (state->ctx, host);

      if (claimer != NULL && claimer != owner)
        fh_print (stdout, "    host %s has a suffix the %s plugin claims: it goes to %s, not %s\n", host,
                furlhint_plugin_get_name (claimer), furlhint_plugin_get_name (claimer),
                owner ? furlhint_plugin_get_name (owner) : "the tcp handler");
      explain_unused_carrier (state, plan, index, claimer != NULL && claimer != owner ? claimer : NULL);
    }

  for (guint i = 0; i < n; i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);

      if (entry->hint_index != index)
        continue;
      if (entry->routed)
        {
          g_autofree gchar *route = route_description (entry);

          fh_print (stdout, "    -> route #%u: tier %u, starts at %u ms, %s via %s%s: %s\n", i + 1,
                  entry->tier, entry->delay_ms, furlhint_anon_class_name (entry->anon_class),
                  entry->plugin ? furlhint_plugin_get_name (entry->plugin) : "?",
                  entry->carried ? " (carrying the tcp: hint)" : "", route);
        }
      else
        fh_print (stdout, "    -> rejected (%s): %s\n", furlhint_policy_error_code_name (entry->code),
                entry->reason ? entry->reason
                : entry->description ? entry->description : "no reason given");
    }
}

static void
print_plan_text (RankState *state,
                 const gchar *input,
                 FurlHintFurl *furl,
                 FurlHintPlan *plan)
{
  guint n = furlhint_plan_get_n_entries (plan);
  guint n_routes = furlhint_plan_get_n_routes (plan);
  gsize hint_width = 4;
  gsize plugin_width = 6;

  for (guint i = 0; i < n; i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);
      const gchar *canonical = entry->hint ? furlhint_hint_get_canonical (entry->hint) : "?";

      hint_width = MAX (hint_width, (gsize) g_utf8_strlen (canonical, -1));
      if (entry->plugin != NULL)
        plugin_width = MAX (plugin_width, strlen (furlhint_plugin_get_name (entry->plugin)));
    }
  hint_width = MIN (hint_width, 64);

  if (!state->first)
    fh_print (stdout, "\n");
  state->first = FALSE;

  {
    g_autofree gchar *shown = fh_cli_show_furl (state->cli, input);

    fh_print (stdout, "FURL %s\n", shown);
  }
  fh_print (stdout, "  %-3s %-4s %-8s %-9s %-*s %-*s %s\n", "#", "tier", "start", "class",
          (int) plugin_width, "plugin", (int) hint_width, "hint", "route / reason");
  for (guint i = 0; i < n; i++)
    {
      const FurlHintPlanEntry *entry = furlhint_plan_get_entry (plan, i);
      const gchar *canonical = entry->hint ? furlhint_hint_get_canonical (entry->hint) : "?";
      const gchar *plugin = entry->plugin ? furlhint_plugin_get_name (entry->plugin) : "-";
      /* printf pads by bytes; pad by characters so columns line up. */
      int pad = (int) hint_width + (int) (strlen (canonical) - g_utf8_strlen (canonical, -1));

      if (entry->routed)
        {
          g_autofree gchar *start = g_strdup_printf ("%u ms", entry->delay_ms);
          g_autofree gchar *order = g_strdup_printf ("%u", i + 1);
          g_autofree gchar *route = route_description (entry);

          fh_print (stdout, "  %-3s %-4u %-8s %-9s %-*s %-*s %s\n", order, entry->tier, start,
                  furlhint_anon_class_name (entry->anon_class),
                  (int) plugin_width, plugin, pad, canonical, route);
        }
      else
        fh_print (stdout, "  %-3s %-4s %-8s %-9s %-*s %-*s rejected (%s): %s\n", "-", "-", "-", "-",
                (int) plugin_width, plugin, pad, canonical,
                furlhint_policy_error_code_name (entry->code),
                entry->reason ? entry->reason : "");
    }
  if (n == 0)
    fh_print (stdout, "  (the FURL has no connection hints)\n");

  if (state->explain)
    {
      fh_print (stdout, " why:\n");
      for (guint i = 0; i < furlhint_furl_get_n_hints (furl); i++)
        explain_hint (state, plan, i, furlhint_furl_get_hint (furl, i));
    }

  if (n_routes > 0)
    {
      guint n_tiers = count_tiers (plan);

      fh_print (stdout, "  verdict: %u route%s in %u tier%s%s\n", n_routes, n_routes == 1 ? "" : "s",
              n_tiers, n_tiers == 1 ? "" : "s",
              n_tiers > 1 ? " (a later tier starts only when the earlier one has failed)" : "");
    }
  else
    {
      g_autoptr(GError) no_route = furlhint_plan_dup_no_route_error (plan);
      const gchar *message = no_route ? no_route->message : "no route";

      fh_print (stdout, "  verdict: %s%s\n", g_str_has_prefix (message, "no route") ? "" : "no route: ",
              message);
    }
}

static void
rank_one (RankState *state,
          const gchar *input,
          gsize length,
          gboolean too_long,
          const gchar *where)
{
  FhCli *cli = state->cli;
  g_autoptr(GError) error = NULL;
  FurlHintFurl *furl = NULL;
  FurlHintPlan *plan = NULL;
  g_autofree gchar *printable = NULL;

  if (too_long || !g_utf8_validate_len (input, length, NULL))
    {
      if (too_long)
        g_set_error (&error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_FURL,
                     "%s is longer than %d bytes; furlhint reads FURLs of at most %d bytes",
                     where, FH_CLI_MAX_LINE, FH_CLI_MAX_LINE);
      else
        {
          printable = fh_text_make_printable (input, length);
          g_set_error (&error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_NOT_UTF8,
                       "%s is not valid UTF-8 text (or holds a NUL byte); a FURL is "
                       "UTF-8 text", where);
        }
    }
  else
    furl = furlhint_furl_parse (input, &error);

  if (furl == NULL)
    {
      state->refused = TRUE;
      if (cli->json)
        print_plan_json (state, too_long ? NULL : printable ? printable : input,
                         NULL, NULL, error);
      else if (too_long || printable != NULL)
        fh_cli_error (cli, "%s", error->message);
      else
        {
          g_autofree gchar *shown = fh_cli_show_furl (cli, input);

          fh_cli_error (cli, "%s: %s: %s (%s)", where, shown, error->message,
                        furlhint_error_code_name (error));
        }
      return;
    }

  {
    FurlHintRankOptions options = { sizeof options, };

    options.overrides = fh_cli_dup_overrides (cli, furl);
    plan = furlhint_context_rank (state->ctx, furl, &options);
    g_clear_pointer (&options.overrides, g_hash_table_unref);
  }
  if (furlhint_plan_get_n_routes (plan) == 0)
    state->refused = TRUE;

  if (cli->json)
    {
      g_autoptr(GError) no_route = furlhint_plan_dup_no_route_error (plan);

      print_plan_json (state, input, furl, plan, no_route);
    }
  else
    print_plan_text (state, input, furl, plan);

  furlhint_plan_unref (plan);
  furlhint_furl_unref (furl);
}

static void
line_cb (const gchar *line,
         gsize length,
         guint64 line_no,
         gboolean too_long,
         gpointer user_data)
{
  g_autofree gchar *where = g_strdup_printf ("line %" G_GUINT64_FORMAT, line_no);

  rank_one (user_data, line, length, too_long, where);
}

int
fh_cmd_rank (FhCli *cli,
             int argc,
             char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  RankState state = { cli, NULL, FALSE, FALSE, TRUE };
  FurlHintConfig *config;
  GPtrArray *plugin_errors;
  int rc = FH_EXIT_OK;
  const GOptionEntry entries[] = {
    { "explain", 'e', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &state.explain,
      "Also say why: the mode, the settings that mattered, each hint's reasoning and a verdict",
      NULL },
    FH_CLI_OVERRIDE_OPTIONS,
    G_OPTION_ENTRY_NULL
  };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("rank"), entries);
  g_option_context_set_description (octx,
    "Loads the plugins (the default search path, then each --plugin-dir) with\n"
    "the configuration, and prints each FURL's plan: one line per entry with\n"
    "its order, tier, start delay, anonymity class, plugin, hint and route\n"
    "(or the rejection's code and reason). With no FURL, reads one FURL per\n"
    "line from standard input (empty lines and '#' lines are skipped).\n"
    "Nothing is connected and no name is resolved.\n"
    "\n"
    "--json prints one object per FURL: input, ok, error, message, anonymous,\n"
    "kind, network, tubid, name, hints, entries (hint_index, hint, routed,\n"
    "plugin, target, anon_class, tier, delay_ms, carried, description, code,\n"
    "reason), n_routes, n_tiers.\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;

  config = fh_cli_load_config (cli, &rc);
  if (config == NULL)
    return rc;
  state.ctx = fh_cli_make_context (cli, config, &rc);
  furlhint_config_unref (config);
  if (state.ctx == NULL)
    return rc;
  if (!fh_cli_check_tcp_route (cli, state.ctx, &rc))
    {
      furlhint_context_unref (state.ctx);
      return rc;
    }

  /* Without the plugin that should have handled them, hints would be
   * rejected as "no-handler" with no hint why: say it up front. */
  plugin_errors = furlhint_context_get_plugin_errors (state.ctx);
  for (guint i = 0; i < plugin_errors->len; i++)
    {
      const GError *perr = g_ptr_array_index (plugin_errors, i);

      fh_cli_error (cli, "warning: %s", perr->message);
    }

  if (state.explain && !cli->json)
    {
      explain_context (&state);
      state.first = FALSE;
    }

  if (cli->args != NULL && cli->args[0] != NULL)
    {
      for (guint i = 0; cli->args[i] != NULL; i++)
        {
          g_autofree gchar *where = g_strdup_printf ("argument %u", i + 1);

          rank_one (&state, cli->args[i], strlen (cli->args[i]), FALSE, where);
        }
    }
  else
    {
      g_autoptr(GError) error = NULL;

      if (!fh_cli_read_lines (stdin, line_cb, &state, &error))
        {
          fh_cli_error (cli, "standard input: %s", error->message);
          furlhint_context_unref (state.ctx);
          return FH_EXIT_IO;
        }
    }

  furlhint_context_unref (state.ctx);
  return state.refused ? FH_EXIT_REFUSED : FH_EXIT_OK;
}
