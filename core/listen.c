/* furlhint — the server side of tahoe.cfg: tub.port and tub.location
 * entries, and the hints a node advertises.
 *
 * The forms (docs/design.md, "tahoe.cfg ownership"):
 * - Tahoe's node.py _tub_portlocation() and tub_listen_on(): tub.port is
 *   "disabled", a bare port number (the whole value only: "tcp:N"), or
 *   comma-separated Twisted server endpoints, where "listen:tor" and
 *   "listen:i2p" stand for the [tor] onion* / [i2p] dest* keys;
 *   tub.location is "disabled" or comma-separated entries, "AUTO" (exact
 *   case) being every local IPv4 address (iputil.get_local_addresses_sync(),
 *   loopback included) with the port of tub.port's first entry, which
 *   Tahoe keeps in NODEDIR/client.port when tub.port is not set.
 * - The seed (docs/SECURITY.md's anonymity guide): tub.location may hold
 *   server endpoint strings, txtorcon's `onion:PORT[:keyword=value...]`
 *   (TCPHiddenServiceEndpointParser.parseStreamServer(): public_port,
 *   localPort, controlPort, hiddenServiceDir, privateKey, privateKeyFile,
 *   version, singleHop) and txi2p's `i2p:KEYFILE[:PORT][:keyword=value...]`
 *   (I2PServerParser: keyfile, port, api, apiEndpoint, nickname,
 *   autoClose, options, sigType); the node publishes them and advertises
 *   the hints that reach them. An empty tub.location is the seed's
 *   client-only node: it advertises nothing and listens nowhere.
 *
 * Where furlhint is stricter than Twisted/Tahoe (which would fail later,
 * or publish something the operator did not mean): an empty entry, a
 * keyword given twice, an unknown keyword, `disabled` in another letter
 * case or inside a list, a key written inline (`privateKey=`: it would be
 * printed wherever the entry is), onion services of version 2 (gone from
 * tor), txi2p's BOB API (furlhint speaks SAM).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1
#include "config.h"

#include "config-private.h"
#include "errors-private.h"
#include "endpoint.h"
#include "foolscap-hint.h"
#include "i2p-keys.h"

#include <glib/gstdio.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#define ACCEPTED_ONION_KEYWORDS \
  "public_port, localPort, controlPort, hiddenServiceDir, privateKeyFile, version, singleHop"
#define ACCEPTED_I2P_KEYWORDS \
  "keyfile, port, api, apiEndpoint, nickname, autoClose, options, sigType"

/* A key file or tor's hostname file is small; refuse to slurp more. */
#define MAX_KEY_FILE_SIZE (64 * 1024)

const gchar *
furlhint_listen_kind_name (FurlHintListenKind kind)
{
  return fh_enum_nick (FURLHINT_TYPE_LISTEN_KIND, kind);
}

void
fh_listen_entry_free (FurlHintListenEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->text);
  g_free (entry->where);
  g_free (entry->interface);
  g_free (entry->key_path);
  g_clear_pointer (&entry->options, g_hash_table_unref);
  g_free (entry);
}

static FurlHintListenEntry *
entry_new (FurlHintListenKind kind,
           const gchar *text)
{
  FurlHintListenEntry *entry = g_new0 (FurlHintListenEntry, 1);

  entry->kind = kind;
  entry->text = g_strdup (text);
  entry->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return entry;
}

/* ASCII digits 1..65535. */
static gboolean
parse_port (const gchar *text,
            guint16 *out)
{
  guint64 value;

  if (*text == '\0' || strspn (text, "0123456789") != strlen (text) || strlen (text) > 5)
    return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  if (value < 1 || value > 65535)
    return FALSE;
  *out = (guint16) value;
  return TRUE;
}

/* @path as the node would open it: `~/` is the home directory
 * (txtorcon expands it), a relative path is relative to @base_dir
 * (NODEDIR: Tahoe runs in it). */
static gchar *
resolve_path (const gchar *path,
              const gchar *base_dir)
{
  if (g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 2, NULL);
  if (g_path_is_absolute (path) || base_dir == NULL)
    return g_strdup (path);
  return g_build_filename (base_dir, path, NULL);
}

/* The keywords and positionals of a tokenized endpoint; the positional
 * names are the Python parameter names, so `onion:80` and
 * `onion:public_port=80` are the same (Python binds both alike). */
static gboolean
collect_args (GArray *args,
              const gchar *const *positional,
              const gchar *const *keywords,
              const gchar *what,
              const gchar *accepted,
              GHashTable *out,
              gchar **problem)
{
  guint next = 0;
  guint i;

  for (i = 1; i < args->len; i++)
    {
      const FhEndpointArg *arg = &g_array_index (args, FhEndpointArg, i);
      const gchar *name = arg->key;

      if (name == NULL)
        {
          if (positional[next] == NULL)
            {
              *problem = g_strdup_printf ("%s takes %u positional argument%s, \"%s\" is one "
                                          "too many; accepted keywords: %s", what, next,
                                          next == 1 ? "" : "s", arg->value, accepted);
              return FALSE;
            }
          name = positional[next++];
        }
      else if (!g_strv_contains (positional, name) && !g_strv_contains (keywords, name))
        {
          *problem = g_strdup_printf ("%s has no keyword %s=; accepted keywords: %s",
                                      what, name, accepted);
          return FALSE;
        }
      if (g_hash_table_contains (out, name))
        {
          *problem = g_strdup_printf ("%s: %s is given twice", what, name);
          return FALSE;
        }
      g_hash_table_insert (out, g_strdup (name), g_strdup (arg->value));
    }
  return TRUE;
}

/* txtorcon's onion endpoint. */
static FurlHintListenEntry *
parse_onion (const gchar *text,
             GArray *args,
             const gchar *base_dir,
             gchar **problem)
{
  static const gchar *const positional[] = { "public_port", NULL };
  static const gchar *const keywords[] = { "localPort", "controlPort", "hiddenServiceDir",
                                           "privateKey", "privateKeyFile", "version",
                                           "singleHop", NULL };
  const gchar *what = "txtorcon's onion:PORT endpoint";
  GHashTable *kw = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  FurlHintListenEntry *entry = NULL;
  const gchar *value;
  guint16 port = 0, local_port = 0;

  for (guint i = 1; i < args->len; i++)
    if (g_strcmp0 (g_array_index (args, FhEndpointArg, i).key, "privateKey") == 0)
      {
        *problem = g_strdup_printf ("%s: privateKey= would write the service's secret key into "
                                    "tahoe.cfg, where every error message and log shows it; "
                                    "accepted: privateKeyFile=PATH or hiddenServiceDir=DIR", what);
        goto out;
      }
  if (!collect_args (args, positional, keywords, what, ACCEPTED_ONION_KEYWORDS, kw, problem))
    goto out;
  value = g_hash_table_lookup (kw, "public_port");
  if (value == NULL || !parse_port (value, &port))
    {
      *problem = g_strdup_printf ("%s needs the virtual port clients reach, 1..65535 "
                                  "(onion:80:hiddenServiceDir=DIR)%s%s%s", what,
                                  value != NULL ? ", not \"" : "", value != NULL ? value : "",
                                  value != NULL ? "\"" : "");
      goto out;
    }
  value = g_hash_table_lookup (kw, "localPort");
  if (value != NULL && !parse_port (value, &local_port))
    {
      *problem = g_strdup_printf ("%s: localPort=%s is not a port number 1..65535", what, value);
      goto out;
    }
  if (g_hash_table_contains (kw, "hiddenServiceDir") && g_hash_table_contains (kw, "privateKeyFile"))
    {
      *problem = g_strdup_printf ("%s: only one of hiddenServiceDir= and privateKeyFile= "
                                  "(txtorcon's rule)", what);
      goto out;
    }
  value = g_hash_table_lookup (kw, "version");
  if (value != NULL && strcmp (value, "3") != 0)
    {
      *problem = g_strdup_printf ("%s: version=%s: %s; accepted: version=3 or no version=", what,
                                  value, strcmp (value, "2") == 0
                                    ? "version 2 onion services are no longer supported by tor"
                                    : "not an onion service version");
      goto out;
    }
  value = g_hash_table_lookup (kw, "singleHop");
  if (value != NULL)
    {
      gchar *stripped = g_ascii_strdown (value, -1);
      gboolean ok;

      g_strstrip (stripped);
      ok = g_strv_contains ((const gchar *const[]) { "0", "1", "true", "false", NULL }, stripped);
      g_free (stripped);
      if (!ok)
        {
          *problem = g_strdup_printf ("%s: singleHop=%s: accepted: true, false, 1, 0", what, value);
          goto out;
        }
    }
  value = g_hash_table_lookup (kw, "hiddenServiceDir");
  if (value == NULL)
    value = g_hash_table_lookup (kw, "privateKeyFile");
  if (value != NULL && *value == '\0')
    {
      *problem = g_strdup_printf ("%s: an empty path; accepted: hiddenServiceDir=DIR or "
                                  "privateKeyFile=PATH", what);
      goto out;
    }

  entry = entry_new (FURLHINT_LISTEN_ONION, text);
  entry->port = port;
  entry->local_port = local_port;
  if (value != NULL)
    {
      entry->key_path = resolve_path (value, base_dir);
      entry->key_is_dir = g_hash_table_contains (kw, "hiddenServiceDir");
    }
  g_hash_table_remove (kw, "public_port");
  g_hash_table_remove (kw, "localPort");
  g_hash_table_remove (kw, "hiddenServiceDir");
  g_hash_table_remove (kw, "privateKeyFile");
  g_hash_table_unref (entry->options);
  entry->options = g_hash_table_ref (kw);

out:
  g_hash_table_unref (kw);
  return entry;
}

/* txi2p's server endpoint. */
static FurlHintListenEntry *
parse_i2p (const gchar *text,
           GArray *args,
           const gchar *base_dir,
           gchar **problem)
{
  static const gchar *const positional[] = { "keyfile", "port", NULL };
  static const gchar *const keywords[] = { "api", "apiEndpoint", "nickname", "autoClose",
                                           "options", "sigType", "tunnelNick", "outhost",
                                           "outport", NULL };
  static const gchar *const bob_only[] = { "tunnelNick", "outhost", "outport", NULL };
  const gchar *what = "txi2p's i2p:KEYFILE endpoint";
  GHashTable *kw = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  FurlHintListenEntry *entry = NULL;
  const gchar *value, *api;
  guint16 port = 0;
  guint i;

  if (!collect_args (args, positional, keywords, what, ACCEPTED_I2P_KEYWORDS, kw, problem))
    goto out;
  api = g_hash_table_lookup (kw, "api");
  for (i = 0; bob_only[i] != NULL; i++)
    if (g_hash_table_contains (kw, bob_only[i]) || g_strcmp0 (api, "BOB") == 0)
      {
        *problem = g_strdup_printf ("%s: the BOB API is not supported (furlhint speaks SAM); "
                                    "accepted: api=SAM or no api=", what);
        goto out;
      }
  if (api != NULL && strcmp (api, "SAM") != 0)
    {
      *problem = g_strdup_printf ("%s: api=%s is not an I2P API txi2p knows; accepted: api=SAM",
                                  what, api);
      goto out;
    }
  value = g_hash_table_lookup (kw, "apiEndpoint");
  if (value != NULL)
    {
      FhEndpoint endpoint;
      GError *local = NULL;

      if (api == NULL)
        {
          *problem = g_strdup_printf ("%s: apiEndpoint= needs api=SAM (txi2p's rule)", what);
          goto out;
        }
      if (!fh_endpoint_parse (value, &endpoint, &local))
        {
          *problem = g_strdup_printf ("%s: apiEndpoint=%s: %s", what, value, local->message);
          g_error_free (local);
          goto out;
        }
      fh_endpoint_clear (&endpoint);
    }
  value = g_hash_table_lookup (kw, "port");
  if (value != NULL && !parse_port (value, &port))
    {
      *problem = g_strdup_printf ("%s: port \"%s\" is not a port number 1..65535", what, value);
      goto out;
    }
  value = g_hash_table_lookup (kw, "keyfile");
  if (value == NULL || *value == '\0')
    {
      *problem = g_strdup_printf ("%s needs the path of the destination's key file "
                                  "(i2p:/var/lib/i2p/my_service.keypair)", what);
      goto out;
    }

  entry = entry_new (FURLHINT_LISTEN_I2P, text);
  entry->port = port;
  entry->key_path = resolve_path (value, base_dir);
  g_hash_table_remove (kw, "keyfile");
  g_hash_table_remove (kw, "port");
  g_hash_table_unref (entry->options);
  entry->options = g_hash_table_ref (kw);

out:
  g_hash_table_unref (kw);
  return entry;
}

/* Twisted's TCP server endpoint (tub.port). */
static FurlHintListenEntry *
parse_tcp_server (const gchar *text,
                  GArray *args,
                  gchar **problem)
{
  static const gchar *const positional[] = { "port", NULL };
  static const gchar *const keywords[] = { "interface", "backlog", NULL };
  const gchar *what = "the tcp:PORT endpoint";
  GHashTable *kw = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  FurlHintListenEntry *entry = NULL;
  const gchar *value;
  guint16 port = 0;

  if (!collect_args (args, positional, keywords, what, "port, interface, backlog", kw, problem))
    goto out;
  value = g_hash_table_lookup (kw, "port");
  if (value == NULL || !parse_port (value, &port))
    {
      *problem = g_strdup_printf ("%s needs a port number 1..65535%s%s%s", what,
                                  value != NULL ? ", not \"" : "", value != NULL ? value : "",
                                  value != NULL ? "\"" : "");
      goto out;
    }
  value = g_hash_table_lookup (kw, "interface");
  if (value != NULL && !g_hostname_is_ip_address (value))
    {
      *problem = g_strdup_printf ("%s: interface=%s is not an IP address (an IPv6 address "
                                  "is written with \\: for each colon)", what, value);
      goto out;
    }
  value = g_hash_table_lookup (kw, "backlog");
  if (value != NULL && (*value == '\0' || strspn (value, "0123456789") != strlen (value)))
    {
      *problem = g_strdup_printf ("%s: backlog=%s is not a number", what, value);
      goto out;
    }

  entry = entry_new (FURLHINT_LISTEN_TCP, text);
  entry->port = port;
  entry->local_port = port;
  entry->interface = g_strdup (g_hash_table_lookup (kw, "interface"));
  if (g_hash_table_contains (kw, "backlog"))
    g_hash_table_insert (entry->options, g_strdup ("backlog"),
                         g_strdup (g_hash_table_lookup (kw, "backlog")));

out:
  g_hash_table_unref (kw);
  return entry;
}

/* An endpoint string: tokenized as Twisted does, then by type. */
static FurlHintListenEntry *
parse_endpoint (const gchar *text,
                gboolean server_port,
                const gchar *base_dir,
                gchar **problem)
{
  GArray *args = fh_endpoint_args_new ();
  const gchar *static_problem = NULL;
  FurlHintListenEntry *entry = NULL;
  const FhEndpointArg *first;

  if (!fh_endpoint_tokenize (text, args, &static_problem))
    {
      *problem = g_strdup (static_problem);
      goto out;
    }
  first = &g_array_index (args, FhEndpointArg, 0);
  if (first->key != NULL)
    *problem = g_strdup_printf ("it starts with a keyword (%s=) instead of an endpoint type",
                                first->key);
  else if (strcmp (first->value, "onion") == 0)
    entry = parse_onion (text, args, base_dir, problem);
  else if (strcmp (first->value, "i2p") == 0)
    entry = parse_i2p (text, args, base_dir, problem);
  else if (server_port && strcmp (first->value, "tcp") == 0)
    entry = parse_tcp_server (text, args, problem);
  else
    *problem = g_strdup_printf ("\"%s\" is not a server endpoint type furlhint knows",
                                first->value);
out:
  g_array_unref (args);
  return entry;
}

/* Foolscap's hint types are lower case; "Disabled", "auto" are typos. */
static gchar *
no_colon_problem (const gchar *text,
                  const gchar *key)
{
  if (g_ascii_strcasecmp (text, "disabled") == 0)
    return g_strdup_printf ("\"disabled\" is written in lower case and is the whole value "
                            "of %s, never one entry among others", key);
  if (g_ascii_strcasecmp (text, "auto") == 0)
    return g_strdup ("AUTO is written in upper case (Tahoe compares it exactly)");
  return g_strdup ("not a connection hint (TYPE:...), AUTO, or a server endpoint");
}

/* A `tor:HOST:PORT` hint: HOST (brackets kept) and digits. */
static gboolean
split_tor_hint (const gchar *text,
                gchar **host)
{
  const gchar *rest = text + strlen ("tor:");
  const gchar *colon = strrchr (rest, ':');
  guint16 port;

  if (colon == NULL || colon == rest || !parse_port (colon + 1, &port))
    return FALSE;
  *host = g_strndup (rest, (gsize) (colon - rest));
  return TRUE;
}

FurlHintListenEntry *
fh_listen_entry_parse (const gchar *key,
                       const gchar *text,
                       const gchar *base_dir,
                       gchar **problem)
{
  gboolean location = strcmp (key, "tub.location") == 0;
  FurlHintListenEntry *entry;

  *problem = NULL;
  if (*text == '\0')
    {
      *problem = g_strdup (location
                           ? "no connection hint may be empty (Foolscap refuses a FURL with "
                             "an empty hint: look for a comma too many)"
                           : "no endpoint may be empty (look for a comma too many)");
      return NULL;
    }

  if (location)
    {
      /* Tahoe does not strip entries: one with spaces around it is
       * advertised as written (and refused in anonymous mode) */
      if (g_ascii_isspace (text[0]) || g_ascii_isspace (text[strlen (text) - 1]))
        return entry_new (FURLHINT_LISTEN_HINT, text);
      if (strcmp (text, "AUTO") == 0)
        return entry_new (FURLHINT_LISTEN_AUTO, text);
      if (g_str_has_prefix (text, "onion:"))
        return parse_endpoint (text, FALSE, base_dir, problem);
      if (g_str_has_prefix (text, "i2p:"))
        {
          /* A hint when its first field is an I2P name, else txi2p's
           * KEYFILE (a path). */
          const gchar *host = text + strlen ("i2p:");
          gsize len = strcspn (host, ":");
          gchar *first = g_strndup (host, len);
          gboolean hint = g_str_has_suffix (first, ".i2p") && strchr (first, '/') == NULL &&
                          strchr (first, '=') == NULL;

          FhFoolscapAddr addr = { NULL, NULL, FALSE };
          gboolean matched;

          g_free (first);
          if (!hint)
            return parse_endpoint (text, FALSE, base_dir, problem);
          matched = fh_foolscap_match_i2p (text, &addr, NULL);
          fh_foolscap_addr_clear (&addr);
          if (!matched)
            {
              *problem = g_strdup ("not an i2p: hint Foolscap accepts; accepted: "
                                   "i2p:ADDR.i2p or i2p:ADDR.i2p:PORT");
              return NULL;
            }
          return entry_new (FURLHINT_LISTEN_HINT, text);
        }
      if (g_str_has_prefix (text, "tor:"))
        {
          gchar *host = NULL;

          if (!split_tor_hint (text, &host))
            {
              *problem = g_strdup ("not a tor: hint; accepted: tor:HOST:PORT (HOST a .onion "
                                   "name), or onion:PORT:hiddenServiceDir=DIR to publish an "
                                   "onion service");
              return NULL;
            }
          g_free (host);
          return entry_new (FURLHINT_LISTEN_HINT, text);
        }
      if (strchr (text, ':') == NULL)
        {
          *problem = no_colon_problem (text, key);
          return NULL;
        }
      return entry_new (FURLHINT_LISTEN_HINT, text);
    }

  /* tub.port */
  if (strcmp (text, "listen:tor") == 0)
    return entry_new (FURLHINT_LISTEN_ONION, text);
  if (strcmp (text, "listen:i2p") == 0)
    return entry_new (FURLHINT_LISTEN_I2P, text);
  if (g_str_has_prefix (text, "listen:"))
    {
      *problem = g_strdup ("Tahoe knows listen:tor and listen:i2p only");
      return NULL;
    }
  if (strspn (text, "0123456789") == strlen (text))
    {
      *problem = g_strdup ("a bare port number is accepted as the whole value of tub.port "
                           "only; in a list write tcp:PORT");
      return NULL;
    }
  if (strchr (text, ':') == NULL)
    {
      *problem = no_colon_problem (text, key);
      return NULL;
    }
  entry = parse_endpoint (text, TRUE, base_dir, problem);
  return entry;
}

/* --- building the list from a configuration ------------------------------ */

static gboolean
value_true (const FurlHintConfig *config,
            const gchar *section,
            const gchar *key)
{
  const gchar *value = furlhint_config_get_value (config, section, key);
  gboolean out = FALSE;

  return value != NULL && fh_cfg_parse_boolean (value, &out) && out;
}

static gchar *
config_dir (const FurlHintConfig *config)
{
  return g_path_get_dirname (config->doc->origin);
}

/* Fills a `listen:tor` / `listen:i2p` entry from its section (the keys
 * are known to be there: fh_config_check_server_keys()). */
static gboolean
fill_listen_word (const FurlHintConfig *config,
                  FurlHintListenEntry *entry,
                  const gchar *base_dir,
                  GError **error)
{
  gboolean tor = entry->kind == FURLHINT_LISTEN_ONION;
  const gchar *section = tor ? "tor" : "i2p";
  const gchar *flag = tor ? "onion" : "dest";
  const gchar *value;

  if (!value_true (config, section, flag))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
                   "%s: [node] tub.port entry \"%s\": listen:%s takes its service from "
                   "[%s] %s = true and its keys, which are not set; accepted: [%s] %s = true "
                   "with %s, or a tub.port without listen:%s",
                   entry->where, entry->text, section, section, flag, section, flag,
                   tor ? "onion.local_port, onion.external_port, onion.private_key_file"
                       : "dest.port, dest.private_key_file", section);
      return FALSE;
    }
  if (tor)
    {
      parse_port (furlhint_config_get_value (config, "tor", "onion.external_port"), &entry->port);
      parse_port (furlhint_config_get_value (config, "tor", "onion.local_port"), &entry->local_port);
      entry->key_path = resolve_path (furlhint_config_get_value (config, "tor", "onion.private_key_file"),
                                      base_dir);
    }
  else
    {
      parse_port (furlhint_config_get_value (config, "i2p", "dest.port"), &entry->port);
      entry->key_path = resolve_path (furlhint_config_get_value (config, "i2p", "dest.private_key_file"),
                                      base_dir);
      /* i2p_provider.py get_listener(): api=SAM:apiEndpoint=<sam.port> */
      value = furlhint_config_get_value (config, "i2p", "sam.port");
      if (value != NULL && *value != '\0')
        {
          g_hash_table_insert (entry->options, g_strdup ("api"), g_strdup ("SAM"));
          g_hash_table_insert (entry->options, g_strdup ("apiEndpoint"), g_strdup (value));
        }
    }
  return TRUE;
}

static gboolean
add_entries (const FurlHintConfig *config,
             GPtrArray *out,
             const gchar *key,
             gchar **items,
             const gchar *where,
             const gchar *base_dir,
             GError **error)
{
  guint i;

  for (i = 0; items[i] != NULL; i++)
    {
      gchar *problem = NULL;
      FurlHintListenEntry *entry = fh_listen_entry_parse (key, items[i], base_dir, &problem);

      if (entry == NULL)
        {
          gchar *quoted = fh_cfg_quote_value (key, items[i]);

          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                       "%s: [node] %s entry %u %s: %s", where, key, i + 1, quoted, problem);
          g_free (quoted);
          g_free (problem);
          return FALSE;
        }
      entry->key = strcmp (key, "tub.port") == 0 ? "tub.port" : "tub.location";
      entry->index = i;
      entry->where = g_strdup (where);
      g_ptr_array_add (out, entry);
      if (entry->key_path == NULL && g_str_has_prefix (entry->text, "listen:") &&
          !fill_listen_word (config, entry, base_dir, error))
        return FALSE;
    }
  return TRUE;
}

static gchar *
key_where (const FurlHintConfig *config,
           const gchar *key)
{
  const FhCfgOption *opt = fh_cfg_lookup (config->doc, "node", key);

  if (opt != NULL && opt->line > 0)
    return g_strdup_printf ("%s:%u", opt->origin, opt->line);
  return g_strdup (opt != NULL ? opt->origin : config->doc->origin);
}

GPtrArray *
furlhint_config_get_listen_entries (const FurlHintConfig *config,
                                    GError **error)
{
  const FhConfigState *st;
  GPtrArray *out;
  gboolean port_disabled, location_disabled, location_empty, listening;
  gchar *base_dir = NULL, *where = NULL;
  guint i;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  st = &config->state;
  if (!fh_config_check_server_keys (config, error))
    return NULL;

  port_disabled = g_strcmp0 (st->tub_port, "disabled") == 0;
  location_empty = st->tub_location != NULL && st->tub_location[0] == NULL;
  location_disabled = st->tub_location != NULL && st->tub_location[0] != NULL &&
    st->tub_location[1] == NULL && strcmp (st->tub_location[0], "disabled") == 0;

  /* node.py _tub_portlocation(): "disabled" on both or neither; the
   * seed's empty tub.location goes with no tub.port or a disabled one */
  if (location_empty && st->tub_port != NULL && !port_disabled)
    {
      where = key_where (config, "tub.port");
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
                   "%s: [node] tub.port = \"%s\" asks to listen, but tub.location is empty, "
                   "which means this node advertises nothing and listens nowhere (a client "
                   "only); accepted: an empty tub.location with no tub.port or tub.port = "
                   "disabled, or a tub.location that says where the node is reached",
                   where, st->tub_port);
      g_free (where);
      return NULL;
    }
  if (!location_empty && port_disabled != location_disabled)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
                   "%s: [node] %s is disabled, but not %s; accepted: tub.port = "
                   "disabled together with tub.location = disabled, or neither",
                   config->doc->origin, port_disabled ? "tub.port" : "tub.location",
                   port_disabled ? "tub.location" : "tub.port");
      return NULL;
    }

  /* client.py: storage and the helper need the Tub to listen */
  listening = !location_empty && !location_disabled;
  if (!listening)
    {
      static const gchar *const sections[] = { "storage", "helper", NULL };

      for (i = 0; sections[i] != NULL; i++)
        if (value_true (config, sections[i], "enabled"))
          {
            g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
                         "%s: [%s] enabled = true needs a node that listens, but [node] "
                         "tub.location %s (Tahoe: \"config error: %s is enabled, but tub is "
                         "not listening\"); accepted: [%s] enabled = false, or tub.port and "
                         "tub.location that listen", config->doc->origin, sections[i],
                         location_empty ? "is empty" : "and tub.port are disabled",
                         sections[i], sections[i]);
            return NULL;
          }
      return g_ptr_array_new_with_free_func ((GDestroyNotify) fh_listen_entry_free);
    }

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) fh_listen_entry_free);
  base_dir = config_dir (config);
  if (st->tub_port != NULL)
    {
      gchar *converted = NULL;
      gchar **items;
      gboolean ok;

      /* node.py _convert_tub_port(): a bare number is tcp:N */
      if (strspn (st->tub_port, "0123456789") == strlen (st->tub_port))
        converted = g_strdup_printf ("tcp:%" G_GUINT64_FORMAT,
                                     g_ascii_strtoull (st->tub_port, NULL, 10));
      items = g_strsplit (converted != NULL ? converted : st->tub_port, ",", -1);
      where = key_where (config, "tub.port");
      ok = add_entries (config, out, "tub.port", items, where, base_dir, error);
      g_free (where);
      g_strfreev (items);
      g_free (converted);
      if (!ok)
        goto fail;
    }
  if (st->tub_location == NULL)
    {
      /* node.py: a missing tub.location means AUTO */
      FurlHintListenEntry *entry = entry_new (FURLHINT_LISTEN_AUTO, "AUTO");

      entry->key = "tub.location";
      entry->where = g_strdup (config->doc->origin);
      g_ptr_array_add (out, entry);
    }
  else if (!add_entries (config, out, "tub.location", st->tub_location,
                         st->tub_location_where, base_dir, error))
    goto fail;

  /* node.py: AUTO takes its port from tub.port's first entry, which must
   * be TCP then */
  for (i = 0; i < out->len; i++)
    {
      const FurlHintListenEntry *entry = g_ptr_array_index (out, i);
      const FurlHintListenEntry *first = g_ptr_array_index (out, 0);

      if (entry->kind == FURLHINT_LISTEN_AUTO && st->tub_port != NULL &&
          (strcmp (first->key, "tub.port") != 0 || first->kind != FURLHINT_LISTEN_TCP))
        {
          g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT,
                       "%s: [node] tub.location uses AUTO, which advertises every local "
                       "address with the TCP port of tub.port's first entry, but that "
                       "entry is \"%s\"; accepted: AUTO with tub.port = tcp:PORT first (or "
                       "no tub.port)", entry->where, first->text);
          goto fail;
        }
    }
  g_free (base_dir);
  return out;

fail:
  g_free (base_dir);
  g_ptr_array_unref (out);
  return NULL;
}

/* --- anonymity ------------------------------------------------------------ */

static gboolean
host_is_anonymous (const gchar *host)
{
  return fh_config_host_is_anonymous (host);
}

gchar *
fh_listen_entry_privacy_problem (const FurlHintListenEntry *entry)
{
  const gchar *value;

  switch (entry->kind)
    {
    case FURLHINT_LISTEN_AUTO:
      return g_strdup ("tub.location uses AUTO");

    case FURLHINT_LISTEN_TCP:
      {
        GInetAddress *address = entry->interface != NULL
          ? g_inet_address_new_from_string (entry->interface) : NULL;
        gboolean loopback = address != NULL && g_inet_address_get_is_loopback (address);

        g_clear_object (&address);
        if (loopback)
          return NULL;
        return g_strdup_printf ("listens on %s, where anyone who finds the port finds the "
                                "node (tcp:PORT:interface=127.0.0.1 listens on loopback only)",
                                entry->interface != NULL ? entry->interface : "every interface");
      }

    case FURLHINT_LISTEN_ONION:
      value = g_hash_table_lookup (entry->options, "singleHop");
      if (value != NULL)
        {
          gchar *lower = g_ascii_strdown (value, -1);
          gboolean single = strcmp (g_strstrip (lower), "true") == 0 || strcmp (lower, "1") == 0;

          g_free (lower);
          if (single)
            return g_strdup ("singleHop=true makes a non-anonymous onion service (the "
                             "server's location is not hidden)");
        }
      return NULL;

    case FURLHINT_LISTEN_I2P:
      value = g_hash_table_lookup (entry->options, "apiEndpoint");
      if (value != NULL)
        {
          FhEndpoint endpoint;
          gboolean lookup = FALSE;

          if (fh_endpoint_parse (value, &endpoint, NULL))
            {
              lookup = fh_endpoint_needs_lookup (&endpoint);
              fh_endpoint_clear (&endpoint);
            }
          if (lookup)
            return g_strdup ("apiEndpoint= " FH_ENDPOINT_LOOKUP_PROBLEM);
        }
      return NULL;

    case FURLHINT_LISTEN_HINT:
    default:
      break;
    }

  if (g_str_has_prefix (entry->text, "tor:") &&
      !g_ascii_isspace (entry->text[strlen (entry->text) - 1]))
    {
      gchar *host = NULL;
      gchar *problem = NULL;

      if (!split_tor_hint (entry->text, &host))
        return fh_config_location_hint_problem (entry->text);
      if (!host_is_anonymous (host))
        problem = g_strdup_printf ("a tor: hint to %s publishes this node's own address "
                                   "(clients reach it through a Tor exit; only a .onion "
                                   "name hides it)", host);
      g_free (host);
      return problem;
    }
  return fh_config_location_hint_problem (entry->text);
}

/* --- the advertised location --------------------------------------------- */

typedef struct {
  FurlHintLocationHint pub;
  GPtrArray *entries;           /* (owned) keeps pub.entry alive */
} LocationHint;

static void
location_hint_free (LocationHint *lh)
{
  g_free (lh->pub.hint);
  g_free (lh->pub.note);
  g_ptr_array_unref (lh->entries);
  g_free (lh);
}

static void
add_hint (GPtrArray *out,
          GPtrArray *entries,
          const FurlHintListenEntry *entry,
          const gchar *transport,
          gboolean anonymous,
          gchar *hint,
          gchar *note)
{
  LocationHint *lh = g_new0 (LocationHint, 1);

  lh->pub.hint = hint;
  lh->pub.transport = transport;
  lh->pub.anonymous = anonymous;
  lh->pub.entry = entry;
  lh->pub.note = note;
  lh->entries = g_ptr_array_ref (entries);
  g_ptr_array_add (out, lh);
}

/* Reads a small file: TRUE with *contents, or FALSE with *missing set
 * when it does not exist, or FALSE with @error. */
static gboolean
read_small_file (const gchar *path,
                 gchar **contents,
                 gsize *length,
                 gboolean *missing,
                 GError **error)
{
  GStatBuf st;
  GError *local = NULL;

  *missing = FALSE;
  if (g_stat (path, &st) != 0)
    {
      gint saved = errno;

      if (saved == ENOENT || saved == ENOTDIR)
        {
          *missing = TRUE;
          return FALSE;
        }
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_KEY_FILE_SIZE)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s: not a regular file of at most %d bytes", path, MAX_KEY_FILE_SIZE);
      return FALSE;
    }
  if (!g_file_get_contents (path, contents, length, &local))
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO,
                   "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
onion_hint (const FurlHintListenEntry *entry,
            gchar **hint,
            gchar **note,
            GError **error)
{
  gchar *path, *contents = NULL;
  gsize length = 0;
  gboolean missing;

  if (entry->key_path == NULL)
    {
      *note = g_strdup ("no hiddenServiceDir= or privateKeyFile=: a new onion address at "
                        "every start, known once Tor publishes it");
      return TRUE;
    }
  if (!entry->key_is_dir)
    {
      *note = g_file_test (entry->key_path, G_FILE_TEST_EXISTS)
        ? g_strdup_printf ("the address follows from the key in %s; Tor reports it when the "
                           "service is published", entry->key_path)
        : g_strdup_printf ("created on first listen (the key is saved to %s)", entry->key_path);
      return TRUE;
    }

  path = g_build_filename (entry->key_path, "hostname", NULL);
  if (!read_small_file (path, &contents, &length, &missing, error))
    {
      if (missing)
        *note = g_strdup_printf ("created on first listen (tor writes %s)", path);
      else
        g_prefix_error (error, "%s: [node] %s entry %u \"%s\": ", entry->where, entry->key,
                        entry->index + 1, entry->text);
      g_free (path);
      return missing;
    }
  g_strstrip (contents);
  /* a v3 address: 56 base32 characters, the last one the version (3) */
  if (strlen (contents) != 56 + strlen (".onion") || !g_str_has_suffix (contents, ".onion") ||
      strspn (contents, "abcdefghijklmnopqrstuvwxyz234567") != 56 || contents[55] != 'd')
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                   "%s: [node] %s entry %u \"%s\": %s does not hold a version 3 onion "
                   "address (56 base32 characters and .onion, as tor writes it)",
                   entry->where, entry->key, entry->index + 1, entry->text, path);
      g_free (contents);
      g_free (path);
      return FALSE;
    }
  *hint = g_strdup_printf ("tor:%s:%u", contents, entry->port);
  *note = g_strdup_printf ("address read from %s", path);
  g_free (contents);
  g_free (path);
  return TRUE;
}

static gboolean
i2p_hint (const FurlHintListenEntry *entry,
          gchar **hint,
          gchar **note,
          GError **error)
{
  gchar *contents = NULL, *address;
  gsize length = 0;
  gboolean missing;
  const gchar *problem = NULL;

  if (!read_small_file (entry->key_path, &contents, &length, &missing, error))
    {
      if (missing)
        *note = g_strdup_printf ("created on first listen (SAM DEST GENERATE, saved to %s)",
                                 entry->key_path);
      else
        g_prefix_error (error, "%s: [node] %s entry %u \"%s\": ", entry->where, entry->key,
                        entry->index + 1, entry->text);
      return missing;
    }
  address = fh_i2p_b32_from_keys (contents, length, &problem);
  g_free (contents);
  if (address == NULL)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                   "%s: [node] %s entry %u \"%s\": %s: %s", entry->where, entry->key,
                   entry->index + 1, entry->text, entry->key_path, problem);
      return FALSE;
    }
  *hint = entry->port != 0 ? g_strdup_printf ("i2p:%s:%u", address, entry->port)
                           : g_strdup_printf ("i2p:%s", address);
  *note = g_strdup_printf ("base32 of the SHA-256 of the destination in %s", entry->key_path);
  g_free (address);
  return TRUE;
}

/* Tahoe's NODEDIR/client.port: the port AUTO uses without tub.port. */
static guint16
stored_port (const FurlHintConfig *config)
{
  gchar *dir = config_dir (config);
  gchar *path = g_build_filename (dir, "client.port", NULL);
  gchar *contents = NULL;
  gsize length;
  gboolean missing;
  guint16 port = 0;

  if (read_small_file (path, &contents, &length, &missing, NULL))
    {
      g_strstrip (contents);
      if (!parse_port (g_str_has_prefix (contents, "tcp:") ? contents + 4 : contents, &port))
        port = 0;
    }
  g_free (contents);
  g_free (path);
  g_free (dir);
  return port;
}

void
fh_listen_auto_expand (guint16 port,
                       FhAutoHintFunc add,
                       gpointer user_data)
{
  struct ifaddrs *list = NULL, *ifa, *seen;

  if (getifaddrs (&list) != 0)
    list = NULL;
  /* netifaces' order: interfaces as first listed, each one's addresses */
  for (seen = list; seen != NULL; seen = seen->ifa_next)
    {
      gboolean first_of_name = TRUE;

      if (seen->ifa_addr == NULL || seen->ifa_addr->sa_family != AF_INET)
        continue;
      for (ifa = list; ifa != seen; ifa = ifa->ifa_next)
        if (ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET &&
            strcmp (ifa->ifa_name, seen->ifa_name) == 0)
          first_of_name = FALSE;
      if (!first_of_name)
        continue;
      for (ifa = seen; ifa != NULL; ifa = ifa->ifa_next)
        {
          gchar text[INET_ADDRSTRLEN];
          gchar *hint;

          if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
              strcmp (ifa->ifa_name, seen->ifa_name) != 0)
            continue;
          inet_ntop (AF_INET, &((struct sockaddr_in *) (void *) ifa->ifa_addr)->sin_addr,
                     text, sizeof text);
          hint = g_strdup_printf ("tcp:%s:%u", text, port);
          add (hint, ifa->ifa_name, user_data);
          g_free (hint);
        }
    }
  if (list != NULL)
    freeifaddrs (list);
}

typedef struct {
  GPtrArray *out;
  GPtrArray *entries;
  const FurlHintListenEntry *entry;
  gboolean any;
} AutoHints;

static void
add_one_auto_hint (const gchar *hint,
                   const gchar *ifname,
                   gpointer user_data)
{
  AutoHints *ah = user_data;

  add_hint (ah->out, ah->entries, ah->entry, "tcp", FALSE, g_strdup (hint),
            g_strdup_printf ("AUTO: an address of %s", ifname));
  ah->any = TRUE;
}

static void
add_auto_hints (const FurlHintConfig *config,
                GPtrArray *out,
                GPtrArray *entries,
                const FurlHintListenEntry *entry)
{
  const FurlHintListenEntry *first = g_ptr_array_index (entries, 0);
  AutoHints ah = { out, entries, entry, FALSE };
  guint16 port = 0;

  if (strcmp (first->key, "tub.port") == 0)
    port = first->port;
  else
    port = stored_port (config);
  if (port == 0)
    {
      add_hint (out, entries, entry, "tcp", FALSE, NULL,
                g_strdup ("AUTO: tub.port is not set, so Tahoe picks a port on first start "
                          "and keeps it in NODEDIR/client.port; then every local IPv4 address "
                          "with that port"));
      return;
    }
  fh_listen_auto_expand (port, add_one_auto_hint, &ah);
  if (!ah.any)
    add_hint (out, entries, entry, "tcp", FALSE, NULL,
              g_strdup ("AUTO: this machine has no IPv4 address"));
}

static gboolean
hint_is_anonymous (const gchar *text,
                   const gchar **transport)
{
  gchar *converted = fh_foolscap_convert_legacy (text);
  gboolean anonymous = FALSE;

  if (g_str_has_prefix (converted, "tor:"))
    {
      gchar *host = NULL;

      *transport = "tor";
      anonymous = split_tor_hint (converted, &host) && host_is_anonymous (host);
      g_free (host);
    }
  else if (g_str_has_prefix (converted, "i2p:"))
    {
      *transport = "i2p";
      anonymous = TRUE;
    }
  else if (g_str_has_prefix (converted, "tcp:"))
    {
      FhFoolscapAddr addr = { NULL, NULL, FALSE };

      *transport = "tcp";
      anonymous = fh_foolscap_match_tcp (converted, &addr, NULL) && host_is_anonymous (addr.host);
      fh_foolscap_addr_clear (&addr);
    }
  else
    *transport = NULL;
  g_free (converted);
  return anonymous;
}

gboolean
fh_listen_entry_key_missing (const FurlHintListenEntry *entry)
{
  g_autofree gchar *hostname = NULL;

  if ((entry->kind != FURLHINT_LISTEN_ONION && entry->kind != FURLHINT_LISTEN_I2P) ||
      entry->key_path == NULL)
    return FALSE;
  if (!entry->key_is_dir)
    return !g_file_test (entry->key_path, G_FILE_TEST_EXISTS);
  hostname = g_build_filename (entry->key_path, "hostname", NULL);
  return !g_file_test (hostname, G_FILE_TEST_EXISTS);
}

gboolean
fh_listen_hint_is_anonymous (const gchar *hint)
{
  const gchar *transport;

  return hint_is_anonymous (hint, &transport);
}

GPtrArray *
furlhint_config_get_location (const FurlHintConfig *config,
                              GError **error)
{
  GPtrArray *entries, *hints, *out;
  guint i, pass;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!furlhint_config_validate (config, error))
    return NULL;
  entries = furlhint_config_get_listen_entries (config, error);
  if (entries == NULL)
    return NULL;

  hints = g_ptr_array_new_with_free_func ((GDestroyNotify) location_hint_free);
  for (i = 0; i < entries->len; i++)
    {
      const FurlHintListenEntry *entry = g_ptr_array_index (entries, i);
      gchar *hint = NULL, *note = NULL;
      const gchar *transport = NULL;
      gboolean anonymous;

      if (strcmp (entry->key, "tub.location") != 0)
        continue;
      switch (entry->kind)
        {
        case FURLHINT_LISTEN_AUTO:
          add_auto_hints (config, hints, entries, entry);
          break;
        case FURLHINT_LISTEN_ONION:
          if (!onion_hint (entry, &hint, &note, error))
            goto fail;
          add_hint (hints, entries, entry, "tor", TRUE, hint, note);
          break;
        case FURLHINT_LISTEN_I2P:
          if (!i2p_hint (entry, &hint, &note, error))
            goto fail;
          add_hint (hints, entries, entry, "i2p", TRUE, hint, note);
          break;
        case FURLHINT_LISTEN_HINT:
        default:
          anonymous = hint_is_anonymous (entry->text, &transport);
          if (transport == NULL)
            transport = "other";
          add_hint (hints, entries, entry, transport, anonymous, g_strdup (entry->text),
                    g_strdup ("as written"));
          break;
        }
    }
  g_ptr_array_unref (entries);

  /* anonymous first, then tub.location's order */
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) location_hint_free);
  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < hints->len; i++)
      {
        LocationHint *lh = g_ptr_array_index (hints, i);

        if (lh->pub.anonymous == (pass == 0))
          g_ptr_array_add (out, lh);
      }
  g_ptr_array_set_free_func (hints, NULL);
  g_ptr_array_unref (hints);
  return out;

fail:
  g_ptr_array_unref (hints);
  g_ptr_array_unref (entries);
  return NULL;
}
