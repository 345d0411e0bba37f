/* The socks plugin: carry `tcp:` hints through a SOCKS5 proxy, as
 * `[connections] tcp.socks-proxy` asks (remote DNS: the hint's host name
 * is sent to the proxy, never looked up here).
 *
 * Anonymity class PROXIED: the proxy hides our address from the server
 * only if the proxy itself does. The plugin has no hint prefix of its own;
 * it only carries (FURLHINT_PLUGIN_CAN_CARRY_TCP).
 *
 * Setting (received as "connections.tcp.socks-proxy"):
 *
 *   [connections]
 *   tcp.socks-proxy = ENDPOINT[:user=NAME:password=SECRET]
 *
 * ENDPOINT is a Twisted client endpoint string as everywhere in tahoe.cfg:
 * `tcp:HOST:PORT`, `tcp:host=HOST:port=PORT`, `tcp:[IPv6]:PORT`,
 * `unix:/path` or plain `HOST:PORT`. Username/password authentication
 * (RFC 1929) is asked for with two more Twisted-style keyword arguments,
 * `user=` and `password=`, appended anywhere after the first field, both
 * or neither, each 1-255 bytes; a literal `:`, `=` or `\` in them is
 * written `\:`, `\=`, `\\` (Twisted's escaping). For example:
 *
 *   tcp.socks-proxy = tcp:127.0.0.1:1080:user=alice:password=s3cr\:t
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/plugin.h>

#include "../common/plugin-util.h"

#define SOCKS_PLUGIN_NAME "socks"
#define SOCKS_PROXY_KEY "connections.tcp.socks-proxy"
#define SOCKS_ACCEPTED \
  "accepted: a Twisted endpoint (tcp:HOST:PORT, tcp:host=HOST:port=PORT, " \
  "unix:/path, or HOST:PORT), optionally followed by :user=NAME:password=SECRET"

/* RFC 1929: ULEN and PLEN are one octet each, and at least 1. */
#define SOCKS_MAX_CREDENTIAL 255

typedef struct {
  FhEndpoint proxy;         /* (owned) where the SOCKS5 server listens */
  gchar *proxy_display;     /* (owned) "127.0.0.1:1080", for describe */
  gchar *username;          /* (owned) (nullable) RFC 1929 user name */
  gchar *password;          /* (owned) (nullable) RFC 1929 password; set iff username is */
  gboolean anonymous;       /* the node runs in anonymous mode */
} SocksState;

/* Wipes a secret before freeing it; volatile so the stores are kept. */
static void
secret_free (gchar *secret)
{
  if (secret == NULL)
    return;
  for (volatile gchar *p = secret; *p != '\0'; p++)
    *p = '\0';
  g_free (secret);
}

static void
socks_state_free (SocksState *state)
{
  _furlhint_endpoint_clear (&state->proxy);
  g_free (state->proxy_display);
  g_free (state->username);
  secret_free (state->password);
  g_free (state);
}

/* Splits Twisted-style on unescaped colons; fields keep their escapes. */
static GPtrArray *
split_fields (const gchar *value)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  const gchar *start = value;
  const gchar *p;

  for (p = value; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == ':')
        {
          g_ptr_array_add (fields, g_strndup (start, (gsize) (p - start)));
          start = p + 1;
        }
    }
  g_ptr_array_add (fields, g_strndup (start, (gsize) (p - start)));
  return fields;
}

static gchar *
unescape (const gchar *text)
{
  GString *out = g_string_new (NULL);

  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Takes `user=` and `password=` out of @value; *@endpoint gets the rest.
 * On failure sets @error (naming the setting) and frees what it made. */
static gboolean
split_credentials (const gchar *value,
                   gchar **endpoint,
                   gchar **username,
                   gchar **password,
                   GError **error)
{
  GPtrArray *fields = split_fields (value);
  GString *rest = g_string_new (NULL);
  const gchar *problem = NULL;

  *username = NULL;
  *password = NULL;

  for (guint i = 0; i < fields->len && problem == NULL; i++)
    {
      const gchar *field = g_ptr_array_index (fields, i);
      gchar **slot = NULL;

      /* The first field is the endpoint type (or the host of HOST:PORT),
       * never a keyword. */
      if (i > 0 && g_str_has_prefix (field, "user="))
        slot = username;
      else if (i > 0 && g_str_has_prefix (field, "password="))
        slot = password;

      if (slot == NULL)
        {
          if (i > 0)
            g_string_append_c (rest, ':');
          g_string_append (rest, field);
          continue;
        }

      if (*slot != NULL)
        problem = slot == username ? "user= is given twice" : "password= is given twice";
      else
        *slot = unescape (strchr (field, '=') + 1);
    }

  if (problem == NULL && (*username == NULL) != (*password == NULL))
    problem = "user= and password= go together (RFC 1929 needs both)";
  if (problem == NULL && *username != NULL &&
      (strlen (*username) < 1 || strlen (*username) > SOCKS_MAX_CREDENTIAL))
    problem = "the user name must be 1-255 bytes long (RFC 1929)";
  if (problem == NULL && *password != NULL &&
      (strlen (*password) < 1 || strlen (*password) > SOCKS_MAX_CREDENTIAL))
    problem = "the password must be 1-255 bytes long (RFC 1929)";

  g_ptr_array_unref (fields);
  if (problem != NULL)
    {
      _furlhint_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                                      "%s; %s", problem, SOCKS_ACCEPTED);
      g_string_free (rest, TRUE);
      g_clear_pointer (username, g_free);
      g_clear_pointer (password, secret_free);
      return FALSE;
    }
  *endpoint = g_string_free (rest, FALSE);
  return TRUE;
}

static gpointer
socks_init (const FurlHintPluginInitArgs *args,
            gboolean *configured,
            GError **error)
{
  SocksState *state;
  const gchar *value;
  gchar *endpoint_text = NULL;
  GError *local_error = NULL;

  if (!_furlhint_plugin_check_init_args (SOCKS_PLUGIN_NAME, args, error))
    return NULL;

  value = _furlhint_plugin_get (args, SOCKS_PROXY_KEY);
  if (value == NULL)
    {
      *configured = FALSE;
      _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG,
                            "socks: not configured ([connections] tcp.socks-proxy is not set)");
      return NULL;
    }
  if (*value == '\0')
    {
      /* Unlike tor.socks-proxy, a SOCKS proxy has no default address. */
      _furlhint_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                                      "a SOCKS proxy needs an address; %s", SOCKS_ACCEPTED);
      return NULL;
    }

  state = g_new0 (SocksState, 1);
  state->anonymous = args->anonymous;
  if (!split_credentials (value, &endpoint_text, &state->username, &state->password, error))
    {
      socks_state_free (state);
      return NULL;
    }
  if (!_furlhint_endpoint_parse (endpoint_text, &state->proxy, &local_error))
    {
      _furlhint_plugin_set_bad_value (error, SOCKS_PLUGIN_NAME, SOCKS_PROXY_KEY, value,
                                      "%s (optionally followed by "
                                      ":user=NAME:password=SECRET)",
                                      local_error->message);
      g_error_free (local_error);
      g_free (endpoint_text);
      socks_state_free (state);
      return NULL;
    }
  g_free (endpoint_text);

  state->proxy_display = _furlhint_plugin_endpoint_display (&state->proxy);
  *configured = TRUE;
  _furlhint_plugin_log (args, G_LOG_LEVEL_DEBUG,
                        "socks: SOCKS5 proxy %s, remote DNS, %s%s",
                        state->proxy_display,
                        state->username != NULL ? "username/password authentication"
                                                : "no authentication",
                        args->anonymous ? " (anonymous mode: never used)" : "");
  return state;
}

static void
socks_fini (gpointer data)
{
  if (data != NULL)
    socks_state_free (data);
}

static gboolean
socks_parse (gpointer data,
             const gchar *hint,
             FurlHintParseMode mode,
             FurlHintTarget *target,
             GError **error)
{
  /* The proxy is handed the host as written (SOCKS5 ATYP domain name or
   * address literal), so every host Foolscap's tcp regex accepts, IPv6
   * included, can be carried. */
  return _furlhint_plugin_parse_tcp (hint, target, error);
}

static void
socks_connect_async (gpointer data,
                     const FurlHintConnectArgs *args,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  _furlhint_plugin_connect_not_supported (SOCKS_PLUGIN_NAME, socks_connect_async,
                                          cancellable, callback, user_data);
}

static GIOStream *
socks_connect_finish (gpointer data,
                      GAsyncResult *result,
                      GError **error)
{
  return _furlhint_plugin_connect_finish (result, socks_connect_async, error);
}

static gchar *
socks_describe (gpointer data,
                const FurlHintTarget *target)
{
  SocksState *state = data;
  gchar *where = _furlhint_plugin_host_port_display (target->host, target->port);
  gboolean literal = target->host_kind == FURLHINT_HOST_IPV4 ||
                     target->host_kind == FURLHINT_HOST_IPV6;
  gchar *text;

  text = g_strdup_printf ("SOCKS5 proxy %s%s → %s%s",
                          state != NULL ? state->proxy_display : "(not configured)",
                          state != NULL && state->username != NULL
                            ? " (username/password)" : "",
                          where, literal ? "" : " (remote DNS)");
  g_free (where);
  return text;
}

static const gchar *const socks_prefixes[] = { NULL };
static const gchar *const socks_host_suffixes[] = { NULL };

FURLHINT_PLUGIN_DEFINE (socks) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = SOCKS_PLUGIN_NAME,
  .version = PACKAGE_VERSION,
  .description = "TCP hints through a SOCKS5 proxy ([connections] tcp.socks-proxy; remote DNS)",
  .prefixes = socks_prefixes,
  .host_suffixes = socks_host_suffixes,
  .anon_class = FURLHINT_ANON_PROXIED,
  .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP,
  .init = socks_init,
  .fini = socks_fini,
  .parse = socks_parse,
  .connect_async = socks_connect_async,
  .connect_finish = socks_connect_finish,
  .describe = socks_describe,
};
