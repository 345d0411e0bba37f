/* furlhint — tahoe.cfg: the settings that decide routes.
 *
 * What Tahoe-LAFS does with these keys, and where (tahoe-lafs master,
 * src/allmydata/):
 * - node.py _common_valid_config() and client.py _client_config: the keys
 *   Tahoe accepts; the ones of [node], [connections], [tor] and [i2p] are
 *   known (those of [node] and [connections] here, those of [tor] and
 *   [i2p] declared by the tor and i2p plugins), so a real tahoe.cfg gives
 *   no "unknown key" warning.
 * - node.py create_default_connection_handlers(): `[connections] tcp`
 *   lower-cased; "disabled", or a handler name; with reveal-IP-address =
 *   false, `tcp = tcp` raises PrivacyError.
 * - node.py _tub_portlocation(): tub.port and tub.location stripped, must
 *   not be empty, "disabled" on both or neither, tub.port 0 refused, a
 *   missing tub.location means "AUTO"; tub.location is split on "," and
 *   the entries are NOT stripped; in private mode the entry "AUTO" (exact
 *   case) and any entry whose convert_legacy_hint() type is "tcp" raise
 *   PrivacyError.
 * - util/tor_provider.py, util/i2p_provider.py: [tor] launch wins over
 *   socks.port, which wins over control.port (a warning here);
 *   onion = true / dest = true need their keys (checked here, for
 *   core/listen.c). The conflicts between a plugin's section and its
 *   [connections] keys are the plugin's to refuse.
 *
 * furlhint differs on purpose in two places: in anonymous mode a `tcp:`
 * (or legacy) entry of tub.location to a .onion or .i2p host is allowed
 * (Tahoe refuses every tcp: hint), and any entry that is neither that nor
 * `tor:`/`i2p:` is refused (Tahoe lets unknown hint types through); and
 * a Tor or SAM endpoint given by a host name other than localhost is
 * refused, since reaching it starts with a local DNS lookup.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_CLOEXEC */
#define _GNU_SOURCE 1
#include "config.h"

#include "config-private.h"
#include "endpoint.h"
#include "foolscap-hint.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

/* A tahoe.cfg is a few kilobytes; refuse to slurp anything absurd. */
#define MAX_CONFIG_FILE_SIZE (16 * 1024 * 1024)

#define SET_ORIGIN "(set)"

#define ACCEPTED_BOOLEAN "accepted: true, false, yes, no, on, off, 1, 0 (any letter case)"
#define ACCEPTED_TCP_MODE \
  "accepted: tcp, tor, disabled, or the name of a loaded plugin that carries " \
  "tcp: hints (letters, digits, '_' and '-'; any letter case)"
#define ACCEPTED_PORT "accepted: a port number 1..65535"
#define ACCEPTED_LOCATION \
  "accepted: comma-separated connection hints (tcp:HOST:PORT, tor:HOST:PORT, " \
  "i2p:ADDR.i2p[:PORT], HOST:PORT), AUTO, and server endpoints " \
  "(onion:PORT:hiddenServiceDir=DIR, i2p:KEYFILE[:PORT]); or disabled; or " \
  "nothing (a client that advertises nothing)"
#define ACCEPTED_TUB_PORT \
  "accepted: comma-separated Twisted server endpoints (tcp:PORT, " \
  "tcp:PORT:interface=ADDR, listen:tor, listen:i2p, onion:PORT:..., " \
  "i2p:KEYFILE[:PORT]), a bare port number other than 0, or disabled"
#define ACCEPTED_ANONYMOUS \
  "accepted in anonymous mode: tub.location entries tor:HOST:PORT, " \
  "i2p:ADDR[:PORT], or tcp:/HOST:PORT hints to a .onion or .i2p host, " \
  "onion:PORT:hiddenServiceDir=DIR and i2p:KEYFILE[:PORT] endpoints (or an " \
  "empty tub.location, or tub.location = disabled with tub.port = disabled), " \
  "tub.port on a loopback interface, and [connections] tcp = tor or disabled"

typedef enum {
  KIND_PLAIN,          /* Tahoe's, not interpreted here */
  KIND_BOOLEAN,
  KIND_ENDPOINT,       /* a Twisted client endpoint, required */
  KIND_ENDPOINT_BLANK, /* the same, blank = the default */
  KIND_SOCKS_PROXY,    /* an endpoint, then optional :user=NAME:password=SECRET */
  KIND_TCP_MODE,
  KIND_LOCATION,
  KIND_TUB_PORT,
  KIND_PORT,
} KeyKind;

typedef struct {
  const gchar *section;
  const gchar *key;       /* as optionxform() leaves it: lower case */
  KeyKind kind;
} KeySpec;

/* The sections the core owns (docs/design.md, "tahoe.cfg ownership"); a
 * plugin's section is checked against the keys the plugin declares
 * (fh_config_check_plugin_keys()). */
static const gchar *const read_sections[] = { "node", "connections", NULL };

static const KeySpec known_keys[] = {
  /* [node]: furlhint's `anonymous` (docs/design.md, "tahoe.cfg ownership"),
   * then Tahoe's list */
  { "node", "anonymous", KIND_BOOLEAN },
  { "node", "log_gatherer.furl", KIND_PLAIN },
  { "node", "nickname", KIND_PLAIN },
  { "node", "reveal-ip-address", KIND_BOOLEAN },
  { "node", "tempdir", KIND_PLAIN },
  { "node", "timeout.disconnect", KIND_PLAIN },
  { "node", "timeout.keepalive", KIND_PLAIN },
  { "node", "tub.location", KIND_LOCATION },
  { "node", "tub.port", KIND_TUB_PORT },
  { "node", "web.port", KIND_PLAIN },
  { "node", "web.static", KIND_PLAIN },
  /* [connections]: Tahoe's `tcp`, then furlhint's own keys (docs/design.md,
   * "tahoe.cfg ownership") */
  { "connections", "tcp", KIND_TCP_MODE },
  { "connections", "tcp.socks-proxy", KIND_SOCKS_PROXY },
  { "connections", "tor.socks-proxy", KIND_ENDPOINT_BLANK },
  { "connections", "i2p.sam-api", KIND_ENDPOINT_BLANK },
  { "connections", "tcp.tor-fallback", KIND_BOOLEAN },
};

static const KeySpec *
find_spec (const gchar *section,
           const gchar *key)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (strcmp (known_keys[i].section, section) == 0 &&
        strcmp (known_keys[i].key, key) == 0)
      return &known_keys[i];
  return NULL;
}

/* The spelling Tahoe's documentation uses. */
static const gchar *
display_key (const gchar *key)
{
  if (strcmp (key, "reveal-ip-address") == 0)
    return "reveal-IP-address";
  return key;
}

/* --- state -------------------------------------------------------------- */

static void
state_clear (FhConfigState *st)
{
  g_clear_pointer (&st->anonymous_where, g_free);
  g_clear_pointer (&st->tcp_where, g_free);
  g_clear_pointer (&st->tcp_carrier, g_free);
  g_clear_pointer (&st->tub_location, g_strfreev);
  g_clear_pointer (&st->tub_location_where, g_free);
  g_clear_pointer (&st->tub_port, g_free);
  g_clear_pointer (&st->values, g_hash_table_unref);
  g_clear_pointer (&st->warnings, g_ptr_array_unref);
  st->anonymous = FALSE;
  st->tcp_mode = FURLHINT_TCP_MODE_TCP;
  st->tcp_explicit = FALSE;
  st->tor_fallback = FALSE;
}

typedef struct {
  const FhCfgDocument *doc;
  FhConfigState *st;
} Builder;

/* "file:line" of @opt. */
static gchar *
opt_where (const FhCfgOption *opt)
{
  if (opt->line > 0)
    return g_strdup_printf ("%s:%u", opt->origin, opt->line);
  return g_strdup (opt->origin);
}

static gboolean
opt_is_default (const FhCfgDocument *doc,
                const FhCfgOption *opt)
{
  return g_hash_table_lookup (doc->defaults->index, opt->key) == opt;
}

/* `file:line: [section] key = "value"`, naming [DEFAULT] when the key
 * came from there. */
static gchar *
opt_ref (const FhCfgDocument *doc,
         const gchar *section,
         const FhCfgOption *opt,
         const gchar *value)
{
  gchar *where = opt_where (opt);
  gchar *quoted = fh_cfg_quote_value (opt->key, value != NULL ? value : opt->value);
  gchar *ref;

  ref = g_strdup_printf ("%s: [%s] %s = %s%s", where, section,
                         display_key (opt->key), quoted,
                         (opt_is_default (doc, opt) &&
                          strcmp (section, FH_CFG_DEFAULT_SECTION) != 0)
                           ? " (from [DEFAULT])" : "");
  g_free (quoted);
  g_free (where);
  return ref;
}

static void
set_opt_error (GError **error,
               gint code,
               const FhCfgDocument *doc,
               const gchar *section,
               const FhCfgOption *opt,
               const gchar *value,
               const gchar *format,
               ...) G_GNUC_PRINTF (7, 8);

static void
set_opt_error (GError **error,
               gint code,
               const FhCfgDocument *doc,
               const gchar *section,
               const FhCfgOption *opt,
               const gchar *value,
               const gchar *format,
               ...)
{
  gchar *ref = opt_ref (doc, section, opt, value);
  gchar *reason;
  va_list ap;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);

  /* tahoe.cfg has no inline comments: say so when that is the likely
   * cause */
  if (code == FURLHINT_CONFIG_ERROR_BAD_VALUE && value != NULL &&
      (strstr (value, " #") != NULL || strstr (value, " ;") != NULL ||
       strstr (value, "\t#") != NULL || strstr (value, "\t;") != NULL))
    g_set_error (error, FURLHINT_CONFIG_ERROR, code,
                 "%s: %s (a # or ; comment must be on a line of its own: "
                 "tahoe.cfg has no comments after a value)", ref, reason);
  else
    g_set_error (error, FURLHINT_CONFIG_ERROR, code, "%s: %s", ref, reason);
  g_free (reason);
  g_free (ref);
}

static void
add_warning (FhConfigState *st,
             gchar *warning)
{
  g_ptr_array_add (st->warnings, warning);
}

static const gchar *
value_of (const FhConfigState *st,
          const gchar *section,
          const gchar *key)
{
  GHashTable *keys = g_hash_table_lookup (st->values, section);

  return keys != NULL ? g_hash_table_lookup (keys, key) : NULL;
}

/* The effective boolean; @def when absent. Values were checked already. */
static gboolean
bool_of (const FhConfigState *st,
         const gchar *section,
         const gchar *key,
         gboolean def)
{
  const gchar *value = value_of (st, section, key);
  gboolean out = def;

  if (value != NULL && !fh_cfg_parse_boolean (value, &out))
    out = def;
  return out;
}

static gboolean
nonblank (const gchar *value)
{
  return value != NULL && *value != '\0';
}

/* Interpolated values of every section, so that get_value() and the
 * plugin settings show what ConfigParser.get() would return. A value
 * whose interpolation fails keeps its raw text here; the sections
 * furlhint reads refuse it in check_sections(). */
static void
build_values (Builder *b)
{
  guint i;

  b->st->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_hash_table_unref);
  for (i = 0; i <= b->doc->sections->len; i++)
    {
      const FhCfgSection *sect = i < b->doc->sections->len
        ? g_ptr_array_index (b->doc->sections, i) : b->doc->defaults;
      GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      GPtrArray *opts = fh_cfg_list_options (b->doc, sect->name);
      guint j;

      for (j = 0; j < opts->len; j++)
        {
          const FhCfgOption *opt = g_ptr_array_index (opts, j);
          gchar *value = fh_cfg_interpolate (b->doc, sect->name, opt, NULL);

          if (value == NULL)
            value = g_strdup (opt->value);
          g_hash_table_insert (keys, g_strdup (opt->key), value);
        }
      g_ptr_array_unref (opts);
      g_hash_table_insert (b->st->values, g_strdup (sect->name), keys);
    }
}

/* Levenshtein distance between two keys, stopping at @limit + 1: enough
 * to tell a likely typo (1 or 2 edits) from another word. */
static guint
key_distance (const gchar *a,
              const gchar *b,
              guint limit)
{
  gsize la = strlen (a), lb = strlen (b);
  guint *row;
  guint result;
  gsize i, j;

  if ((la > lb ? la - lb : lb - la) > limit)
    return limit + 1;
  row = g_new (guint, lb + 1);
  for (j = 0; j <= lb; j++)
    row[j] = j;
  for (i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint best = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);

          best = MIN (best, above + 1);
          best = MIN (best, row[j - 1] + 1);
          diagonal = above;
          row[j] = best;
        }
    }
  result = MIN (row[lb], limit + 1);
  g_free (row);
  return result;
}

static gchar *
known_list (const gchar *section)
{
  GString *list = g_string_new (NULL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      if (strcmp (known_keys[i].section, section) != 0)
        continue;
      if (list->len > 0)
        g_string_append (list, ", ");
      g_string_append (list, display_key (known_keys[i].key));
    }
  return g_string_free (list, FALSE);
}

static void
warn_unknown (Builder *b,
              const gchar *section,
              const FhCfgOption *opt)
{
  gchar *where = opt_where (opt);
  gchar *known = known_list (section);
  GString *elsewhere = g_string_new (NULL);
  const KeySpec *nearest = NULL;
  guint nearest_distance = 3;
  guint i;

  for (i = 0; read_sections[i] != NULL; i++)
    if (strcmp (read_sections[i], section) != 0 && find_spec (read_sections[i], opt->key) != NULL)
      g_string_append_printf (elsewhere, "; [%s] has a key %s", read_sections[i], opt->key);
  /* a likely typo: a key of this section at most two edits away */
  for (i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (strcmp (known_keys[i].section, section) == 0)
      {
        guint distance = key_distance (opt->key, known_keys[i].key, 2);

        if (distance < nearest_distance)
          {
            nearest = &known_keys[i];
            nearest_distance = distance;
          }
      }
  if (nearest != NULL)
    g_string_append_printf (elsewhere, "; did you mean %s?", display_key (nearest->key));

  add_warning (b->st, g_strdup_printf ("%s: [%s] %s: unknown key, ignored%s "
                                       "(known in [%s]: %s)",
                                       where, section, opt->key, elsewhere->str,
                                       section, known));
  g_string_free (elsewhere, TRUE);
  g_free (known);
  g_free (where);
}

static gboolean
check_port_number (const gchar *value)
{
  guint64 port;

  if (*value == '\0' || strspn (value, "0123456789") != strlen (value) || strlen (value) > 5)
    return FALSE;
  port = g_ascii_strtoull (value, NULL, 10);
  return port >= 1 && port <= 65535;
}

/* node.py _convert_tub_port() then the PortAssignmentRequired check. */
static gboolean
tub_port_asks_port_zero (const gchar *value)
{
  static const gchar *const zero[] = { "0", "tcp:0", "tcp:port=0", "tcp:0:interface=127.0.0.1", NULL };
  gchar *converted;
  gchar **entries;
  gboolean found = FALSE;
  guint i;

  if (*value != '\0' && strspn (value, "0123456789") == strlen (value))
    {
      const gchar *digits = value;

      while (digits[0] == '0' && digits[1] != '\0')
        digits++;
      converted = g_strconcat ("tcp:", digits, NULL);
    }
  else
    converted = g_strdup (value);

  entries = g_strsplit (converted, ",", -1);
  for (i = 0; entries[i] != NULL; i++)
    if (g_strv_contains (zero, entries[i]))
      found = TRUE;
  g_strfreev (entries);
  g_free (converted);
  return found;
}

/* Each comma-separated entry of tub.location or tub.port, parsed as the
 * node will use it (core/listen.c). */
static gboolean
check_entries (Builder *b,
               const gchar *section,
               const FhCfgOption *opt,
               const gchar *value,
               const gchar *accepted,
               GError **error)
{
  gchar **items = g_strsplit (value, ",", -1);
  gboolean ok = TRUE;
  guint i;

  for (i = 0; ok && items[i] != NULL; i++)
    {
      gchar *problem = NULL;
      FurlHintListenEntry *entry = fh_listen_entry_parse (opt->key, items[i], NULL, &problem);

      if (entry == NULL)
        {
          gchar *quoted = fh_cfg_quote_value (opt->key, items[i]);

          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "entry %u %s: %s%s%s", i + 1, quoted, problem,
                         strstr (problem, "accepted") != NULL ? "" : "; ",
                         strstr (problem, "accepted") != NULL ? "" : accepted);
          g_free (quoted);
          g_free (problem);
          ok = FALSE;
        }
      fh_listen_entry_free (entry);
    }
  g_strfreev (items);
  return ok;
}

static gboolean
check_value (Builder *b,
             const gchar *section,
             const FhCfgOption *opt,
             KeyKind kind,
             const gchar *value,
             GError **error)
{
  gboolean boolean;
  GError *local = NULL;
  FhEndpoint endpoint;

  switch (kind)
    {
    case KIND_PLAIN:
      return TRUE;

    case KIND_BOOLEAN:
      if (fh_cfg_parse_boolean (value, &boolean))
        return TRUE;
      set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                     "not a boolean; " ACCEPTED_BOOLEAN);
      return FALSE;

    case KIND_TCP_MODE:
      {
        /* Whether a name is a loaded carrier is known only once the
         * plugins are loaded: the ranker says so (core/rank.c). */
        gboolean ok = fh_config_tcp_route_is_well_formed (value);

        if (!ok)
          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "not a TCP route; " ACCEPTED_TCP_MODE);
        /* A carrier's name is quoted wherever the route is explained
         * (rank, check-config, JSON): one that %(key)s brought in could
         * be another key's secret, so it is written out. */
        else if (strcmp (value, opt->value) != 0 &&
                 g_ascii_strcasecmp (value, "tcp") != 0 &&
                 g_ascii_strcasecmp (value, "tor") != 0 &&
                 g_ascii_strcasecmp (value, "disabled") != 0)
          {
            set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, NULL,
                           "a carrier's name is written out, not brought in by %%(key)s; "
                           ACCEPTED_TCP_MODE);
            ok = FALSE;
          }
        return ok;
      }

    case KIND_ENDPOINT:
    case KIND_ENDPOINT_BLANK:
    case KIND_SOCKS_PROXY:
      if (*value == '\0')
        {
          if (kind == KIND_ENDPOINT_BLANK)
            return TRUE;
          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "a SOCKS proxy endpoint is required here (there is no "
                         "default); accepted: tcp:HOST:PORT, tcp:host=HOST:port=PORT, "
                         "tcp:[IPv6]:PORT, unix:/PATH, unix:path=/PATH, or HOST:PORT");
          return FALSE;
        }
      if (kind == KIND_SOCKS_PROXY)
        {
          gchar *endpoint_text = NULL, *user = NULL, *password = NULL;
          const gchar *problem = NULL;
          gboolean ok;

          if (!fh_endpoint_split_credentials (value, &endpoint_text, &user, &password, &problem))
            {
              set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                             "%s; accepted: a client endpoint optionally followed by "
                             ":user=NAME:password=SECRET", problem);
              return FALSE;
            }
          g_free (user);
          fh_secret_free (password);
          ok = fh_endpoint_parse (endpoint_text, &endpoint, &local);
          g_free (endpoint_text);
          if (ok)
            {
              fh_endpoint_clear (&endpoint);
              return TRUE;
            }
          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "not a client endpoint: %s (optionally followed by "
                         ":user=NAME:password=SECRET)", local->message);
          g_error_free (local);
          return FALSE;
        }
      if (fh_endpoint_parse (value, &endpoint, &local))
        {
          fh_endpoint_clear (&endpoint);
          return TRUE;
        }
      set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                     "not a client endpoint: %s", local->message);
      g_error_free (local);
      return FALSE;

    case KIND_PORT:
      if (check_port_number (value))
        return TRUE;
      set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                     "not a port number; " ACCEPTED_PORT);
      return FALSE;

    case KIND_LOCATION:
      /* empty: the seed's client-only node; "disabled": Tahoe's */
      if (*value == '\0' || strcmp (value, "disabled") == 0)
        return TRUE;
      return check_entries (b, section, opt, value, ACCEPTED_LOCATION, error);

    case KIND_TUB_PORT:
      if (*value == '\0')
        {
          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "tub.port must not be empty; " ACCEPTED_TUB_PORT);
          return FALSE;
        }
      if (tub_port_asks_port_zero (value))
        {
          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, value,
                         "port 0 (let the kernel choose) is refused by Tahoe "
                         "(PortAssignmentRequired: \"tub.port cannot be 0: you must "
                         "choose\"): the node's FURLs carry its port, so it must stay the "
                         "same at every start; " ACCEPTED_TUB_PORT);
          return FALSE;
        }
      /* node.py: "disabled", or a bare number as the whole value */
      if (strcmp (value, "disabled") == 0 || strspn (value, "0123456789") == strlen (value))
        return TRUE;
      return check_entries (b, section, opt, value, ACCEPTED_TUB_PORT, error);

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* One key's value: it interpolates, and is well-formed for @kind. A
 * secret (@secret_accepted not NULL: what the key accepts) is never
 * quoted, not even in part: the message says what is accepted instead. */
static gboolean
check_option (Builder *b,
              const gchar *section,
              const FhCfgOption *opt,
              KeyKind kind,
              const gchar *secret_accepted,
              GError **error)
{
  gchar *message = NULL;
  gchar *value = fh_cfg_interpolate (b->doc, section, opt, &message);
  gboolean ok;

  if (value == NULL)
    {
      gchar *shown = fh_cfg_display_value (opt->key, opt->value);
      /* the parser's message censors what it quotes of a password's value,
       * not of another secret's */
      gboolean parser_hides = strcmp (shown, FURLHINT_CENSORED) == 0;

      g_free (shown);
      if (secret_accepted != NULL && !parser_hides)
        set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt,
                       FURLHINT_CENSORED, "a secret with a %% that is not %%%% or "
                       "%%(key)s (ConfigParser interpolation); accepted: %%%% for a "
                       "literal %%, %%(key)s for another key's value");
      else
        set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, NULL,
                       "%s (ConfigParser interpolation); accepted: %%%% for a "
                       "literal %%, %%(key)s for another key's value", message);
      g_free (message);
      return FALSE;
    }
  if (secret_accepted == NULL && strcmp (value, opt->value) == 0)
    ok = check_value (b, section, opt, kind, value, error);
  else if (secret_accepted == NULL)
    {
      GError *local_error = NULL;

      /* %(key)s brought in another key's value, perhaps a secret's
       * ([tor] control.port = %(control.password)s): the message quotes
       * the raw value and what is accepted, never what it interpolated
       * to, nor the checker's details, which quote it. */
      ok = check_value (b, section, opt, kind, value, &local_error);
      if (!ok)
        {
          const gchar *accepted = local_error != NULL
                                  ? g_strrstr (local_error->message, "; accepted: ") : NULL;

          set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt, NULL,
                         "not a valid value once interpolated (what %%(key)s gives is not "
                         "shown: it may be a secret)%s",
                         accepted != NULL ? accepted : "");
          g_clear_error (&local_error);
        }
    }
  else
    {
      ok = check_value (b, section, opt, kind, value, NULL);
      if (!ok)
        set_opt_error (error, FURLHINT_CONFIG_ERROR_BAD_VALUE, b->doc, section, opt,
                       FURLHINT_CENSORED, "not a valid value (a secret: not shown); %s",
                       secret_accepted);
    }
  fh_secret_free (value);
  return ok;
}

/* Every key of the sections furlhint reads: interpolation, known or not,
 * value well-formed. */
static gboolean
check_sections (Builder *b,
                GError **error)
{
  guint i, j;

  for (i = 0; read_sections[i] != NULL; i++)
    {
      const gchar *section = read_sections[i];
      GPtrArray *opts = fh_cfg_list_options (b->doc, section);

      if (opts == NULL)
        continue;
      for (j = 0; j < opts->len; j++)
        {
          const FhCfgOption *opt = g_ptr_array_index (opts, j);
          const KeySpec *spec = find_spec (section, opt->key);

          if (spec == NULL)
            {
              if (!opt_is_default (b->doc, opt))
                warn_unknown (b, section, opt);
              continue;
            }
          if (!check_option (b, section, opt, spec->kind, NULL, error))
            {
              g_ptr_array_unref (opts);
              return FALSE;
            }
        }
      g_ptr_array_unref (opts);
    }

  /* A [DEFAULT] key reaches every section: warn once when no section
   * furlhint reads knows it. */
  for (j = 0; j < b->doc->defaults->options->len; j++)
    {
      const FhCfgOption *opt = g_ptr_array_index (b->doc->defaults->options, j);
      gboolean known = FALSE;

      for (i = 0; read_sections[i] != NULL; i++)
        if (find_spec (read_sections[i], opt->key) != NULL)
          known = TRUE;
      if (!known)
        {
          gchar *where = opt_where (opt);

          add_warning (b->st, g_strdup_printf ("%s: [DEFAULT] %s: unknown to [node] and "
                                               "[connections] (a [DEFAULT] key applies to "
                                               "every section: only a plugin's section can "
                                               "use it)", where, opt->key));
          g_free (where);
        }
    }
  return TRUE;
}

static gboolean
derive_anonymous (Builder *b,
                  GError **error)
{
  const FhCfgOption *anon = fh_cfg_lookup (b->doc, "node", "anonymous");
  const FhCfgOption *reveal = fh_cfg_lookup (b->doc, "node", "reveal-ip-address");
  gboolean anon_value = bool_of (b->st, "node", "anonymous", FALSE);
  gboolean reveal_value = bool_of (b->st, "node", "reveal-ip-address", TRUE);

  if (anon != NULL && reveal != NULL && anon_value == reveal_value)
    {
      gchar *other = opt_ref (b->doc, "node", reveal, value_of (b->st, "node", "reveal-ip-address"));

      set_opt_error (error, FURLHINT_CONFIG_ERROR_CONFLICT, b->doc, "node", anon,
                     value_of (b->st, "node", "anonymous"),
                     "contradicts %s (reveal-IP-address = false means anonymous = true); "
                     "accepted: one of the two keys, or values that agree", other);
      g_free (other);
      return FALSE;
    }

  b->st->anonymous = (anon != NULL) ? anon_value : !reveal_value;
  if (anon != NULL)
    b->st->anonymous_where = opt_ref (b->doc, "node", anon, value_of (b->st, "node", "anonymous"));
  else if (reveal != NULL)
    b->st->anonymous_where = opt_ref (b->doc, "node", reveal,
                                      value_of (b->st, "node", "reveal-ip-address"));
  return TRUE;
}

static void
set_conflict (Builder *b,
              GError **error,
              const gchar *section_a,
              const gchar *key_a,
              const gchar *section_b,
              const gchar *key_b,
              const gchar *format,
              ...) G_GNUC_PRINTF (7, 8);

static void
set_conflict (Builder *b,
              GError **error,
              const gchar *section_a,
              const gchar *key_a,
              const gchar *section_b,
              const gchar *key_b,
              const gchar *format,
              ...)
{
  const FhCfgOption *a = fh_cfg_lookup (b->doc, section_a, key_a);
  const FhCfgOption *o = fh_cfg_lookup (b->doc, section_b, key_b);
  gchar *ref_a = opt_ref (b->doc, section_a, a, value_of (b->st, section_a, key_a));
  gchar *ref_b = opt_ref (b->doc, section_b, o, value_of (b->st, section_b, key_b));
  gchar *reason;
  va_list ap;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
               "%s conflicts with %s: %s", ref_a, ref_b, reason);
  g_free (reason);
  g_free (ref_b);
  g_free (ref_a);
}

static gboolean
check_conflicts (Builder *b,
                 GError **error)
{
  FhConfigState *st = b->st;
  const gchar *tcp_proxy = value_of (st, "connections", "tcp.socks-proxy");

  /* Only the core's own keys here: a conflict between [connections]
   * NAME.* and [NAME] is plugin NAME's to refuse at init (docs/design.md,
   * "tahoe.cfg ownership"). */
  if (tcp_proxy != NULL && st->tcp_mode != FURLHINT_TCP_MODE_TCP)
    {
      set_conflict (b, error, "connections", "tcp.socks-proxy", "connections", "tcp",
                    "TCP hints cannot go through a SOCKS proxy and %s at once; "
                    "accepted: tcp.socks-proxy with tcp = tcp (or no tcp key)",
                    st->tcp_mode == FURLHINT_TCP_MODE_TOR ? "through Tor"
                    : st->tcp_mode == FURLHINT_TCP_MODE_CARRIER ? "through another carrier"
                    : "be disabled");
      return FALSE;
    }
  return TRUE;
}

/* Tahoe's precedence among [tor] keys, said out loud. */
static void
warn_tor_precedence (Builder *b)
{
  static const gchar *const shadowed[] = { "socks.port", "control.port", NULL };
  guint i;

  if (!bool_of (b->st, "tor", "launch", FALSE))
    return;
  for (i = 0; shadowed[i] != NULL; i++)
    {
      const FhCfgOption *opt = fh_cfg_lookup (b->doc, "tor", shadowed[i]);

      if (opt != NULL && nonblank (value_of (b->st, "tor", shadowed[i])))
        {
          gchar *where = opt_where (opt);

          add_warning (b->st, g_strdup_printf ("%s: [tor] %s: ignored for outgoing "
                                               "connections because [tor] launch = true "
                                               "(Tahoe's precedence: launch, then "
                                               "socks.port, then control.port)",
                                               where, shadowed[i]));
          g_free (where);
        }
    }
}

static void
derive_node (Builder *b)
{
  FhConfigState *st = b->st;
  const FhCfgOption *opt;
  const gchar *value;

  value = value_of (st, "connections", "tcp");
  if (value != NULL)
    {
      gchar *lower = g_ascii_strdown (value, -1);

      st->tcp_explicit = TRUE;
      if (strcmp (lower, "tor") == 0)
        st->tcp_mode = FURLHINT_TCP_MODE_TOR;
      else if (strcmp (lower, "disabled") == 0)
        st->tcp_mode = FURLHINT_TCP_MODE_DISABLED;
      else if (strcmp (lower, "tcp") == 0)
        st->tcp_mode = FURLHINT_TCP_MODE_TCP;
      else
        {
          st->tcp_mode = FURLHINT_TCP_MODE_CARRIER;
          st->tcp_carrier = g_steal_pointer (&lower);
        }
      g_free (lower);
      st->tcp_where = opt_ref (b->doc, "connections",
                               fh_cfg_lookup (b->doc, "connections", "tcp"), value);
    }

  st->tor_fallback = bool_of (st, "connections", "tcp.tor-fallback", FALSE);
  value = value_of (st, "connections", "tcp.socks-proxy");
  st->socks_proxy_set = value != NULL && *value != '\0';

  value = value_of (st, "node", "tub.location");
  if (value != NULL)
    {
      gchar *stripped = fh_cfg_strip (value);

      st->tub_location = g_strsplit (stripped, ",", -1);
      g_free (stripped);
      opt = fh_cfg_lookup (b->doc, "node", "tub.location");
      st->tub_location_where = opt_where (opt);
      /* client.py: [storage] enabled defaults to true, and Tahoe then
       * refuses to start a node that does not listen */
      if (st->tub_location[0] == NULL && value_of (st, "storage", "enabled") == NULL)
        add_warning (st, g_strdup_printf ("%s: [node] tub.location is empty: this node "
                                          "advertises nothing and listens nowhere; Tahoe's "
                                          "[storage] enabled defaults to true and then refuses "
                                          "to start, so add [storage] enabled = false for "
                                          "Tahoe", st->tub_location_where));
    }

  value = value_of (st, "node", "tub.port");
  if (value != NULL)
    st->tub_port = fh_cfg_strip (value);
}

static gboolean
state_build (const FhCfgDocument *doc,
             FhConfigState *st,
             GError **error)
{
  Builder b = { doc, st };
  guint i;

  memset (st, 0, sizeof *st);
  st->warnings = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  for (i = 0; i < doc->notes->len; i++)
    add_warning (st, g_strdup (g_ptr_array_index (doc->notes, i)));

  build_values (&b);
  if (!check_sections (&b, error) ||
      !derive_anonymous (&b, error))
    goto fail;
  derive_node (&b);
  if (!check_conflicts (&b, error))
    goto fail;
  warn_tor_precedence (&b);
  return TRUE;

fail:
  state_clear (st);
  return FALSE;
}

/* --- public API --------------------------------------------------------- */

static FurlHintConfig *
config_new_from_doc (FhCfgDocument *doc,
                     GError **error)
{
  FurlHintConfig *config = g_new0 (FurlHintConfig, 1);

  g_ref_count_init (&config->ref);
  config->anonymous_override = -1;
  config->doc = doc;
  if (!state_build (doc, &config->state, error))
    {
      furlhint_config_unref (config);
      return NULL;
    }
  return config;
}

FurlHintConfig *
furlhint_config_new (void)
{
  return config_new_from_doc (fh_cfg_document_new ("(defaults)"), NULL);
}

FurlHintConfig *
furlhint_config_load_data (const gchar *data,
                           gssize length,
                           const gchar *origin,
                           GError **error)
{
  FhCfgDocument *doc;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = fh_cfg_parse (data != NULL ? data : "", length, origin, error);
  if (doc == NULL)
    return NULL;
  return config_new_from_doc (doc, error);
}

/* Reads at most @max bytes of @path; more is an error. */
static gboolean
read_bounded (const gchar *path,
              gsize max,
              gchar **out,
              gsize *out_len,
              GError **error)
{
  GString *buf;
  gint fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      gint saved = errno;
      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved), g_strerror (saved));
      return FALSE;
    }
  buf = g_string_sized_new (4096);
  for (;;)
    {
      gchar chunk[65536];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          gint saved = errno;
          g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved), g_strerror (saved));
          break;
        }
      if (n == 0)
        {
          close (fd);
          *out_len = buf->len;
          *out = g_string_free (buf, FALSE);
          return TRUE;
        }
      if (buf->len + (gsize) n > max)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "more than %" G_GSIZE_FORMAT " bytes: too large", max);
          break;
        }
      g_string_append_len (buf, chunk, n);
    }
  close (fd);
  g_string_free (buf, TRUE);
  return FALSE;
}

FurlHintConfig *
furlhint_config_load_file (const gchar *path,
                           GError **error)
{
  FurlHintConfig *config;
  GError *local = NULL;
  GStatBuf st;
  gchar *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: cannot read the configuration: %s; expected a readable "
                   "tahoe.cfg file", path, g_strerror (saved));
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: cannot read the configuration: it is a directory; "
                   "expected a tahoe.cfg file (NODEDIR/tahoe.cfg)", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: cannot read the configuration: not a regular file; "
                   "expected a tahoe.cfg file", path);
      return NULL;
    }
  if (st.st_size > MAX_CONFIG_FILE_SIZE)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: cannot read the configuration: %" G_GINT64_FORMAT
                   " bytes is too large; expected a tahoe.cfg of at most %d bytes",
                   path, (gint64) st.st_size, MAX_CONFIG_FILE_SIZE);
      return NULL;
    }
  /* Read with a bound, not g_file_get_contents(): some regular files
   * report size 0 and never end (/proc/self/pagemap). */
  if (!read_bounded (path, MAX_CONFIG_FILE_SIZE, &data, &length, &local))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: cannot read the configuration: %s; expected a readable "
                   "tahoe.cfg file of at most %d bytes", path, local->message,
                   MAX_CONFIG_FILE_SIZE);
      g_error_free (local);
      return NULL;
    }

  config = furlhint_config_load_data (data, (gssize) length, path, error);
  g_free (data);
  return config;
}

FurlHintConfig *
furlhint_config_ref (FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  g_ref_count_inc (&config->ref);
  return config;
}

void
furlhint_config_unref (FurlHintConfig *config)
{
  if (config == NULL)
    return;
  if (!g_ref_count_dec (&config->ref))
    return;
  state_clear (&config->state);
  fh_cfg_document_free (config->doc);
  g_free (config);
}

gboolean
furlhint_config_get_anonymous (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->anonymous_override >= 0)
    return config->anonymous_override != 0;
  return config->state.anonymous;
}

void
furlhint_config_set_anonymous (FurlHintConfig *config,
                               gboolean anonymous)
{
  g_return_if_fail (config != NULL);

  config->anonymous_override = anonymous ? 1 : 0;
  config->serial++;
}

FurlHintTcpMode
furlhint_config_get_tcp_mode (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, FURLHINT_TCP_MODE_TCP);

  return config->state.tcp_mode;
}

const gchar *
furlhint_config_get_tcp_route (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  switch (config->state.tcp_mode)
    {
    case FURLHINT_TCP_MODE_TOR: return "tor";
    case FURLHINT_TCP_MODE_DISABLED: return "disabled";
    case FURLHINT_TCP_MODE_CARRIER: return config->state.tcp_carrier;
    case FURLHINT_TCP_MODE_TCP:
    default: return "tcp";
    }
}

const gchar *
furlhint_config_get_tcp_where (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return config->state.tcp_where;
}

gboolean
fh_config_tcp_route_is_well_formed (const gchar *value)
{
  const gchar *p;

  /* A plugin name (core/plugin.c), in any letter case. */
  if (value == NULL || *value == '\0')
    return FALSE;
  for (p = value; *p != '\0'; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == '-'))
      return FALSE;
  return TRUE;
}

gboolean
furlhint_config_get_tor_fallback (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, FALSE);

  return config->state.tor_fallback;
}

const gchar *
furlhint_config_get_value (const FurlHintConfig *config,
                           const gchar *section,
                           const gchar *key)
{
  gchar *folded;
  const gchar *value;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  folded = fh_cfg_key_fold (key);
  value = value_of (&config->state, section, folded);
  g_free (folded);
  return value;
}

/* A key that could not be written back to a tahoe.cfg. */
static gboolean
key_is_writable (const gchar *key)
{
  gchar *stripped;
  gboolean ok;

  if (*key == '\0' || strpbrk (key, "=:\n\r") != NULL || key[0] == '[' ||
      key[0] == '#' || key[0] == ';')
    return FALSE;
  stripped = fh_cfg_strip (key);
  ok = strcmp (stripped, key) == 0;
  g_free (stripped);
  return ok;
}

gboolean
furlhint_config_set_value (FurlHintConfig *config,
                           const gchar *section,
                           const gchar *key,
                           const gchar *value,
                           GError **error)
{
  FhCfgDocument *doc;
  FhConfigState st;
  gchar *stripped = NULL;
  gchar *message = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (section != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_utf8_validate (section, -1, NULL) || *section == '\0' ||
      strpbrk (section, "]\n\r") != NULL)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                   SET_ORIGIN ": section name is empty, not UTF-8, or has \"]\" or a "
                   "line break; accepted: a section name such as node or connections");
      return FALSE;
    }
  if (!g_utf8_validate (key, -1, NULL) || !key_is_writable (key))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                   SET_ORIGIN ": [%s] key is empty, not UTF-8, has spaces around it, "
                   "\"=\", \":\" or a line break; accepted: a key such as tub.location",
                   section);
      return FALSE;
    }
  if (value != NULL)
    {
      if (!g_utf8_validate (value, -1, NULL))
        {
          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                       SET_ORIGIN ": [%s] %s: the value is not valid UTF-8; "
                       "accepted: UTF-8 text", section, key);
          return FALSE;
        }
      if (!fh_cfg_check_set (key, value, &message))
        {
          gchar *quoted = fh_cfg_quote_value (key, value);

          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                       SET_ORIGIN ": [%s] %s = %s: %s; accepted: %%%% for a literal "
                       "%%, %%(key)s for another key's value", section, key, quoted,
                       message);
          g_free (quoted);
          g_free (message);
          return FALSE;
        }
      /* as the file reader would have left it */
      stripped = fh_cfg_strip (value);
    }

  doc = fh_cfg_document_copy (config->doc);
  fh_cfg_set (doc, section, key, stripped, SET_ORIGIN, 0);
  g_free (stripped);
  if (!state_build (doc, &st, error))
    {
      fh_cfg_document_free (doc);
      return FALSE;
    }
  state_clear (&config->state);
  fh_cfg_document_free (config->doc);
  config->doc = doc;
  config->state = st;
  config->serial++;
  return TRUE;
}

static void
copy_section_into (GHashTable *out,
                   const FhConfigState *st,
                   const gchar *section,
                   const gchar *prefix)
{
  GHashTable *keys = g_hash_table_lookup (st->values, section);
  GHashTableIter iter;
  gpointer key, value;

  if (keys == NULL)
    return;
  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (out, g_strconcat (prefix, key, NULL), g_strdup (value));
}

GHashTable *
furlhint_config_dup_plugin_settings (const FurlHintConfig *config,
                                     const gchar *plugin_name)
{
  GHashTable *settings;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (plugin_name != NULL, NULL);

  settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  copy_section_into (settings, &config->state, plugin_name, "");
  copy_section_into (settings, &config->state, "connections", "connections.");
  return settings;
}

const gchar *const *
furlhint_config_get_tub_location (const FurlHintConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return (const gchar *const *) config->state.tub_location;
}

const gchar *const *
furlhint_config_get_warnings (const FurlHintConfig *config)
{
  static const gchar *const none[] = { NULL };

  g_return_val_if_fail (config != NULL, NULL);

  /* an empty null-terminated GPtrArray may have no pdata at all */
  if (config->state.warnings->pdata == NULL)
    return none;
  return (const gchar *const *) config->state.warnings->pdata;
}

/* --- validation --------------------------------------------------------- */

gboolean
fh_config_host_is_anonymous (const gchar *host)
{
  static const gchar *const suffixes[] = { ".onion", ".i2p", NULL };
  gsize len = strlen (host);
  guint i;

  for (i = 0; suffixes[i] != NULL; i++)
    {
      gsize slen = strlen (suffixes[i]);

      if (len > slen && g_ascii_strcasecmp (host + len - slen, suffixes[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

gchar *
fh_config_location_hint_problem (const gchar *entry)
{
  gchar *converted, *colon, *type;
  gchar *problem = NULL;

  if (strcmp (entry, "AUTO") == 0)
    return g_strdup ("tub.location uses AUTO");
  if (*entry == '\0')
    return g_strdup ("an empty hint");
  if (g_ascii_isspace (entry[0]) || g_ascii_isspace (entry[strlen (entry) - 1]))
    return g_strdup ("spaces around a hint (tub.location entries are not "
                     "stripped, so other nodes cannot use it)");

  /* Tahoe: convert_legacy_hint(loc).split(":")[0] */
  converted = fh_foolscap_convert_legacy (entry);
  colon = strchr (converted, ':');
  type = colon != NULL ? g_strndup (converted, colon - converted) : g_strdup (converted);

  if (strcmp (type, "tcp") == 0)
    {
      FhFoolscapAddr addr = { NULL, NULL, FALSE };

      if (!fh_foolscap_match_tcp (converted, &addr, NULL))
        problem = g_strdup ("tub.location includes tcp: hint (not one Foolscap can parse)");
      else if (!fh_config_host_is_anonymous (addr.host))
        problem = g_strdup ("tub.location includes tcp: hint");
      fh_foolscap_addr_clear (&addr);
    }
  else if (strcmp (type, "tor") != 0 && strcmp (type, "i2p") != 0)
    problem = g_strdup ("not a tor:, i2p:, or .onion/.i2p tcp: hint");

  g_free (type);
  g_free (converted);
  return problem;
}

gboolean
fh_config_check_server_keys (const FurlHintConfig *config,
                             GError **error)
{
  const FhConfigState *st = &config->state;
  const gchar *origin = config->doc->origin;
  static const gchar *const onion_keys[] = { "onion.local_port", "onion.external_port",
                                             "onion.private_key_file", NULL };
  static const gchar *const dest_keys[] = { "dest.port", "dest.private_key_file", NULL };
  guint i;

  /* tor_provider.py check_onion_config() */
  if (bool_of (st, "tor", "onion", FALSE))
    {
      if (!bool_of (st, "tor", "launch", FALSE) && !nonblank (value_of (st, "tor", "control.port")))
        {
          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                       "%s: [tor] onion = true, but we have neither launch=true nor "
                       "control.port=; accepted: onion = true with launch = true or "
                       "control.port = ENDPOINT", origin);
          return FALSE;
        }
      for (i = 0; onion_keys[i] != NULL; i++)
        if (!nonblank (value_of (st, "tor", onion_keys[i])))
          {
            g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                         "%s: [tor] onion = true, but %s= is missing; accepted: "
                         "onion = true with onion.local_port, onion.external_port "
                         "and onion.private_key_file set", origin, onion_keys[i]);
            return FALSE;
          }
    }

  /* i2p_provider.py check_dest_config() */
  if (bool_of (st, "i2p", "dest", FALSE))
    {
      if (!nonblank (value_of (st, "i2p", "sam.port")) && !bool_of (st, "i2p", "launch", FALSE) &&
          !nonblank (value_of (st, "i2p", "i2p.configdir")))
        {
          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                       "%s: [i2p] dest = true, but we have neither sam.port= nor "
                       "launch=true nor configdir=; accepted: dest = true with "
                       "sam.port, launch = true or i2p.configdir", origin);
          return FALSE;
        }
      for (i = 0; dest_keys[i] != NULL; i++)
        if (!nonblank (value_of (st, "i2p", dest_keys[i])))
          {
            g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                         "%s: [i2p] dest = true, but %s= is missing; accepted: "
                         "dest = true with dest.port and dest.private_key_file set",
                         origin, dest_keys[i]);
            return FALSE;
          }
    }
  return TRUE;
}

gboolean
furlhint_config_validate (const FurlHintConfig *config,
                          GError **error)
{
  const FhConfigState *st;
  GPtrArray *problems, *entries;
  guint i;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  st = &config->state;
  entries = furlhint_config_get_listen_entries (config, error);
  if (entries == NULL)
    return FALSE;
  if (!furlhint_config_get_anonymous (config))
    {
      g_ptr_array_unref (entries);
      return TRUE;
    }

  problems = g_ptr_array_new_with_free_func (g_free);

  /* node.py create_default_connection_handlers() */
  if (st->tcp_explicit && st->tcp_mode == FURLHINT_TCP_MODE_TCP)
    g_ptr_array_add (problems,
                     g_strdup_printf ("%s: Privacy requested with `reveal-IP-address = "
                                      "false` but `tcp = tcp` conflicts with this.",
                                      st->tcp_where));

  /* The endpoints furlhint itself connects to (the tor and i2p plugins
   * refuse the same at init). */
  {
    static const struct { const gchar *section, *key; } endpoints[] = {
      { "connections", "tor.socks-proxy" }, { "tor", "socks.port" }, { "tor", "control.port" },
      { "connections", "i2p.sam-api" }, { "i2p", "sam.port" },
    };

    for (i = 0; i < G_N_ELEMENTS (endpoints); i++)
      {
        const gchar *value = value_of (st, endpoints[i].section, endpoints[i].key);
        FhEndpoint endpoint;

        if (!nonblank (value) || !fh_endpoint_parse (value, &endpoint, NULL))
          continue;
        if (fh_endpoint_needs_lookup (&endpoint))
          {
            gchar *quoted = fh_cfg_quote (value);

            g_ptr_array_add (problems,
                             g_strdup_printf ("%s: [%s] %s = %s: %s", config->doc->origin,
                                              endpoints[i].section, endpoints[i].key, quoted,
                                              FH_ENDPOINT_LOOKUP_PROBLEM));
            g_free (quoted);
          }
        fh_endpoint_clear (&endpoint);
      }
  }

  /* node.py _tub_portlocation(), and what furlhint adds: every entry
   * the node would listen on or advertise */
  if (st->tub_location == NULL)
    g_ptr_array_add (problems,
                     g_strdup_printf ("%s: [node] tub.location is not set, which means "
                                      "AUTO: tub.location uses AUTO",
                                      config->doc->origin));
  for (i = 0; i < entries->len; i++)
    {
      const FurlHintListenEntry *entry = g_ptr_array_index (entries, i);
      gchar *problem;

      if (st->tub_location == NULL && entry->kind == FURLHINT_LISTEN_AUTO)
        continue;
      problem = fh_listen_entry_privacy_problem (entry);
      if (problem != NULL)
        {
          gchar *quoted = fh_cfg_quote_value (entry->key, entry->text);

          g_ptr_array_add (problems,
                           g_strdup_printf ("%s: [node] %s entry %s: %s", entry->where,
                                            entry->key, quoted, problem));
          g_free (quoted);
          g_free (problem);
        }
    }
  g_ptr_array_unref (entries);

  if (problems->len > 0)
    {
      GString *message = g_string_new (NULL);

      g_string_append_printf (message, "%s: anonymous mode (%s) but the configuration "
                              "would reveal this node's IP address: ",
                              config->doc->origin,
                              config->anonymous_override >= 0
                                ? "set by furlhint_config_set_anonymous()"
                                : st->anonymous_where);
      for (i = 0; i < problems->len; i++)
        {
          if (i > 0)
            g_string_append (message, "; ");
          g_string_append (message, g_ptr_array_index (problems, i));
        }
      g_string_append (message, "; " ACCEPTED_ANONYMOUS);
      g_set_error_literal (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY,
                           message->str);
      g_string_free (message, TRUE);
      g_ptr_array_unref (problems);
      return FALSE;
    }
  g_ptr_array_unref (problems);
  return TRUE;
}

/* --- a plugin's section ------------------------------------------------- */

static const FurlHintPluginKey *
find_declared (const FurlHintPluginKey *keys,
               const gchar *key)
{
  for (; keys->section != NULL; keys++)
    if (strcmp (keys->key, key) == 0)
      return keys;
  return NULL;
}

static KeyKind
kind_of_type (FurlHintKeyType type)
{
  switch (type)
    {
    case FURLHINT_KEY_BOOLEAN:
      return KIND_BOOLEAN;
    case FURLHINT_KEY_PORT:
      return KIND_PORT;
    case FURLHINT_KEY_ENDPOINT:
      return KIND_ENDPOINT_BLANK;
    case FURLHINT_KEY_STRING:
    case FURLHINT_KEY_PATH:
    case FURLHINT_KEY_LIST:
    default:
      return KIND_PLAIN;
    }
}

static const gchar *
accepted_for_type (FurlHintKeyType type)
{
  switch (type)
    {
    case FURLHINT_KEY_BOOLEAN:
      return ACCEPTED_BOOLEAN;
    case FURLHINT_KEY_PORT:
      return ACCEPTED_PORT;
    case FURLHINT_KEY_ENDPOINT:
      return "accepted: a client endpoint (tcp:HOST:PORT, unix:/PATH, HOST:PORT) or nothing";
    case FURLHINT_KEY_STRING:
    case FURLHINT_KEY_PATH:
    case FURLHINT_KEY_LIST:
    default:
      return "accepted: text without a lone %";
    }
}

/* "did you mean KEY?" for the declared key nearest to @key, at most two
 * edits away; "" when none is. */
static gchar *
suggest_key (const FurlHintPluginKey *keys,
             const gchar *key)
{
  const FurlHintPluginKey *best = NULL;
  guint best_distance = 3;

  for (; keys->section != NULL; keys++)
    {
      guint distance = key_distance (key, keys->key, 2);

      if (distance < best_distance)
        {
          best = keys;
          best_distance = distance;
        }
    }
  return best != NULL ? g_strdup_printf ("; did you mean %s?", best->key) : g_strdup ("");
}

gboolean
fh_config_check_plugin_keys (const FurlHintConfig *config,
                             const gchar *section,
                             const FurlHintPluginKey *keys,
                             GPtrArray *warnings,
                             GError **error)
{
  Builder b = { config->doc, (FhConfigState *) &config->state };
  GPtrArray *opts = fh_cfg_list_options (config->doc, section);
  gboolean ok = TRUE;
  guint i;

  if (opts == NULL)
    return TRUE;
  for (i = 0; ok && i < opts->len; i++)
    {
      const FhCfgOption *opt = g_ptr_array_index (opts, i);
      const FurlHintPluginKey *decl = find_declared (keys, opt->key);

      if (decl == NULL)
        {
          /* a [DEFAULT] key reaches every section: not this one's typo */
          if (!opt_is_default (config->doc, opt))
            {
              GString *known = g_string_new (NULL);
              gchar *where = opt_where (opt);
              gchar *suggestion = suggest_key (keys, opt->key);
              const FurlHintPluginKey *k;

              for (k = keys; k->section != NULL; k++)
                g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", k->key);
              g_ptr_array_add (warnings,
                               g_strdup_printf ("%s: [%s] %s: unknown key, ignored%s "
                                                "(known in [%s]: %s)", where, section,
                                                opt->key, suggestion, section,
                                                known->len > 0 ? known->str : "none"));
              g_free (suggestion);
              g_free (where);
              g_string_free (known, TRUE);
            }
          continue;
        }
      ok = check_option (&b, section, opt, kind_of_type (decl->type),
                         decl->secret ? accepted_for_type (decl->type) : NULL, error);
    }
  g_ptr_array_unref (opts);
  return ok;
}
