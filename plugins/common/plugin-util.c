/* Helpers shared by the four bundled plugins (private).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>

#include <gio/gio.h>

/* Only for the enum values checked below: a plugin never calls libfurlhint. */
#include <furlhint/furlhint-error.h>

#include "plugin-util.h"

G_STATIC_ASSERT (FH_PLUGIN_CONFIG_ERROR_BAD_VALUE == FURLHINT_CONFIG_ERROR_BAD_VALUE);
G_STATIC_ASSERT (FH_PLUGIN_CONFIG_ERROR_CONFLICT == FURLHINT_CONFIG_ERROR_CONFLICT);

#define CONNECTIONS_PREFIX "connections."

gboolean
fh_plugin_check_init_args (const gchar *plugin,
                           const FurlHintPluginInitArgs *args,
                           GError **error)
{
  if (args == NULL || args->struct_size < sizeof (FurlHintPluginInitArgs) ||
      args->settings == NULL || args->log == NULL)
    {
      g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_BAD_VALUE,
                   "plugin %s: the host passed incomplete init arguments "
                   "(struct_size %u, need %u, with settings and a logger)",
                   plugin, args != NULL ? (guint) args->struct_size : 0u,
                   (guint) sizeof (FurlHintPluginInitArgs));
      return FALSE;
    }
  return TRUE;
}

gchar *
fh_plugin_setting_label (const gchar *plugin,
                         const gchar *key)
{
  if (g_str_has_prefix (key, CONNECTIONS_PREFIX))
    return g_strdup_printf ("[connections] %s", key + strlen (CONNECTIONS_PREFIX));
  return g_strdup_printf ("[%s] %s", plugin, key);
}

const gchar *
fh_plugin_get (const FurlHintPluginInitArgs *args,
               const gchar *key)
{
  return g_hash_table_lookup (args->settings, key);
}

/* Quotes a configuration value for a message: C-style escapes for quotes,
 * backslashes and control characters, UTF-8 kept as it is. */
static gchar *
quote_value (const gchar *value)
{
  GString *out = g_string_new ("\"");

  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
        case '\\':
          g_string_append_c (out, '\\');
          g_string_append_c (out, (gchar) *p);
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\x%02x", (guint) *p);
          else
            g_string_append_c (out, (gchar) *p);
        }
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

void
fh_plugin_set_bad_value (GError **error,
                         const gchar *plugin,
                         const gchar *key,
                         const gchar *value,
                         const gchar *format,
                         ...)
{
  gchar *label, *quoted, *reason;
  va_list ap;

  if (error == NULL)
    return;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  label = fh_plugin_setting_label (plugin, key);
  /* A password is never shown, nor is the password= part of an endpoint
   * such as tcp.socks-proxy. */
  if (g_str_has_suffix (key, "password"))
    quoted = g_strdup (FH_CENSORED);
  else
    {
      gchar *censored = fh_endpoint_censor_credentials (value);

      quoted = quote_value (censored);
      g_free (censored);
    }
  g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_BAD_VALUE,
               "tahoe.cfg %s = %s: %s", label, quoted, reason);
  g_free (quoted);
  g_free (label);
  g_free (reason);
}

gboolean
fh_plugin_get_boolean (const gchar *plugin,
                       const FurlHintPluginInitArgs *args,
                       const gchar *key,
                       gboolean default_value,
                       gboolean *out,
                       GError **error)
{
  static const gchar *const yes[] = { "true", "yes", "on", "1", NULL };
  static const gchar *const no[] = { "false", "no", "off", "0", NULL };
  const gchar *value = fh_plugin_get (args, key);

  *out = default_value;
  if (value == NULL || *value == '\0')
    return TRUE;

  for (guint i = 0; yes[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (value, yes[i]) == 0)
        {
          *out = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (value, no[i]) == 0)
        {
          *out = FALSE;
          return TRUE;
        }
    }

  fh_plugin_set_bad_value (error, plugin, key, value,
                           "not a boolean; accepted: true/false, yes/no, "
                           "on/off, 1/0 (any letter case)");
  return FALSE;
}

gboolean
fh_plugin_get_endpoint (const gchar *plugin,
                        const FurlHintPluginInitArgs *args,
                        const gchar *key,
                        FhEndpoint *out,
                        FhSettingState *state,
                        GError **error)
{
  const gchar *value = fh_plugin_get (args, key);
  GError *local_error = NULL;

  memset (out, 0, sizeof *out);
  if (value == NULL)
    {
      *state = FH_SETTING_ABSENT;
      return TRUE;
    }
  if (*value == '\0')
    {
      *state = FH_SETTING_BLANK;
      return TRUE;
    }

  *state = FH_SETTING_SET;
  if (!fh_endpoint_parse (value, out, &local_error))
    {
      fh_plugin_set_bad_value (error, plugin, key, value, "%s",
                               local_error->message);
      g_error_free (local_error);
      fh_endpoint_clear (out);
      return FALSE;
    }
  if (args->anonymous && fh_endpoint_needs_lookup (out))
    {
      fh_plugin_set_bad_value (error, plugin, key, value, FH_ENDPOINT_LOOKUP_PROBLEM);
      fh_endpoint_clear (out);
      return FALSE;
    }
  return TRUE;
}

gboolean
fh_plugin_get_port (const gchar *plugin,
                    const FurlHintPluginInitArgs *args,
                    const gchar *key,
                    guint16 *out,
                    GError **error)
{
  const gchar *value = fh_plugin_get (args, key);
  guint64 number = 0;

  *out = 0;
  if (value == NULL || *value == '\0')
    return TRUE;

  /* g_ascii_string_to_unsigned() would accept a leading '+'; be exact. */
  for (const gchar *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p) || number > 65535)
        {
          number = 0;
          break;
        }
      number = number * 10 + (guint64) (*p - '0');
    }
  if (number < 1 || number > 65535)
    {
      fh_plugin_set_bad_value (error, plugin, key, value,
                               "not a TCP port number; accepted: 1-65535 "
                               "in decimal digits");
      return FALSE;
    }
  *out = (guint16) number;
  return TRUE;
}

gchar *
fh_plugin_dup_string (const FurlHintPluginInitArgs *args,
                      const gchar *key)
{
  const gchar *value = fh_plugin_get (args, key);

  if (value == NULL || *value == '\0')
    return NULL;
  return g_strdup (value);
}

void
fh_plugin_log (const FurlHintPluginInitArgs *args,
               GLogLevelFlags level,
               const gchar *format,
               ...)
{
  gchar *message;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  args->log (level, message, args->log_data);
  g_free (message);
}

gboolean
fh_plugin_random_bytes (guint8 *buf,
                        gsize len,
                        GError **error)
{
  gsize got = 0;

  while (got < len)
    {
      /* Blocks only until the pool is first initialised, at boot. */
      gssize n = getrandom (buf + got, len - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          gint saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "cannot get random bytes from the kernel (getrandom: %s)",
                       g_strerror (saved_errno));
          return FALSE;
        }
      got += (gsize) n;
    }
  return TRUE;
}

gchar *
fh_plugin_endpoint_display (const FhEndpoint *endpoint)
{
  if (endpoint->kind == FH_ENDPOINT_UNIX)
    return g_strdup_printf ("unix:%s", endpoint->path);
  return fh_plugin_host_port_display (endpoint->host, endpoint->port);
}

gchar *
fh_plugin_host_port_display (const gchar *host,
                             guint16 port)
{
  return fh_plugin_describe_host_port ("", host, port, "");
}

gchar *
fh_plugin_describe_host_port (const gchar *before,
                              const gchar *host,
                              guint16 port,
                              const gchar *after)
{
  gboolean bracket = port != 0 && strchr (host, ':') != NULL;
  gsize before_len = strlen (before), host_len = strlen (host), after_len = strlen (after);
  gchar digits[8];
  gsize n = sizeof digits, digits_len;
  guint value = port;
  gchar *text, *p;

  /* The port's digits by hand, and one allocation, not printf: routes'
   * descriptions are made for every hint ranked. */
  if (port != 0)
    do
      {
        digits[--n] = (gchar) ('0' + value % 10);
        value /= 10;
      }
    while (value != 0);
  digits_len = sizeof digits - n;

  p = text = g_malloc (before_len + host_len + after_len + digits_len + 4);
  memcpy (p, before, before_len);
  p += before_len;
  if (bracket)
    *p++ = '[';
  memcpy (p, host, host_len);
  p += host_len;
  if (bracket)
    *p++ = ']';
  if (port != 0)
    {
      *p++ = ':';
      memcpy (p, digits + n, digits_len);
      p += digits_len;
    }
  memcpy (p, after, after_len);
  p += after_len;
  *p = '\0';
  return text;
}

/* Python 3.11's ipaddress.IPv4Address(): exactly four parts of 1–3 ASCII
 * digits, 0–255, no leading zero. inet_aton() would also take "010.1"
 * (octal, three parts), which is exactly the ambiguity to avoid. */
static gboolean
is_strict_ipv4 (const gchar *host)
{
  const gchar *p = host;

  for (guint part = 0; part < 4; part++)
    {
      guint value = 0, digits = 0;

      if (part > 0 && *p++ != '.')
        return FALSE;
      if (p[0] == '0' && g_ascii_isdigit (p[1]))
        return FALSE;
      while (g_ascii_isdigit (*p) && digits < 4)
        {
          value = value * 10 + (guint) (*p - '0');
          digits++;
          p++;
        }
      if (digits == 0 || digits > 3 || value > 255)
        return FALSE;
    }
  return *p == '\0';
}

static gboolean
is_ipv6 (const gchar *host,
         gsize host_len)
{
  const gchar *zone;
  gchar address[INET6_ADDRSTRLEN + 1];
  struct in6_addr in6;
  gsize len;

  if (memchr (host, ':', host_len) == NULL)
    return FALSE;
  zone = strchr (host, '%');
  if (zone != NULL && zone[1] == '\0')
    return FALSE;
  /* inet_pton(), a pure text check, no lookup (not
   * g_hostname_is_ip_address(), which takes ":" for an address), on a
   * copy on the stack: the longest IPv6 text fits INET6_ADDRSTRLEN. */
  len = zone != NULL ? (gsize) (zone - host) : host_len;
  if (len >= sizeof address)
    return FALSE;
  memcpy (address, host, len);
  address[len] = '\0';
  return inet_pton (AF_INET6, address, &in6) == 1;
}

FurlHintHostKind
fh_plugin_classify_host (const gchar *host)
{
  gsize len = strlen (host);

  if (fh_hostname_in_domain_len (host, len, "onion", 5))
    return FURLHINT_HOST_ONION;
  if (fh_hostname_in_domain_len (host, len, "i2p", 3))
    return FURLHINT_HOST_I2P;
  if (is_strict_ipv4 (host))
    return FURLHINT_HOST_IPV4;
  if (is_ipv6 (host, len))
    return FURLHINT_HOST_IPV6;
  return FURLHINT_HOST_DNS;
}

gboolean
fh_plugin_check_hint_text (const gchar *hint,
                           GError **error)
{
  gsize len = strlen (hint);

  if (len > 0 && (g_ascii_isspace (hint[0]) || g_ascii_isspace (hint[len - 1])))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "hint has whitespace around it (Foolscap lets a final newline "
                   "through, furlhint does not); accepted: the hint without "
                   "leading or trailing spaces, tabs or newlines");
      return FALSE;
    }
  return TRUE;
}

gboolean
fh_plugin_check_port (const FhFoolscapAddr *addr,
                      guint16 *out,
                      GError **error)
{
  if (fh_foolscap_port_usable (addr, out))
    return TRUE;

  if (addr->port == NULL)
    g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                 "hint has no port; accepted: 1-65535");
  else if (addr->port_non_ascii)
    g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                 "port %s is written with non-ASCII digits; accepted: 1-65535 "
                 "in ASCII digits", addr->port);
  else
    g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT,
                 "port %s is not connectable; accepted: 1-65535", addr->port);
  return FALSE;
}

gboolean
fh_plugin_canonicalize_host (FhFoolscapAddr *addr,
                             GError **error)
{
  gchar *canonical;

  /* Nearly every host is written canonical already: kept, not copied. */
  if (fh_hostname_is_canonical (addr->host))
    return TRUE;
  canonical = fh_hostname_canonicalize (addr->host, error);
  if (canonical == NULL)
    return FALSE;
  g_free (addr->host);
  addr->host = canonical;
  return TRUE;
}

void
fh_plugin_fill_target (FurlHintTarget *target,
                       FhFoolscapAddr *addr,
                       guint16 port,
                       FurlHintHostKind kind,
                       const gchar *hint)
{
  target->host = g_steal_pointer (&addr->host);
  target->port = port;
  target->host_kind = kind;
  target->hint = g_strdup (hint);
}

gboolean
fh_plugin_parse_tcp (const gchar *hint,
                     FurlHintTarget *target,
                     GError **error)
{
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  gchar *message = NULL;
  guint16 port = 0;
  gsize host_start, host_len;

  /* The usual hint, a usable one, without copying the port: the same
   * checks in the same order as below, which says why when one fails. */
  if (fh_foolscap_match_tcp_usable (hint, strlen (hint), &host_start, &host_len, &port))
    {
      if (!fh_plugin_check_hint_text (hint, error))
        return FALSE;
      /* Copied, not g_strndup()'d: the length is known, no NUL to look for. */
      addr.host = g_malloc (host_len + 1);
      memcpy (addr.host, hint + host_start, host_len);
      addr.host[host_len] = '\0';
      if (!fh_plugin_canonicalize_host (&addr, error))
        {
          fh_foolscap_addr_clear (&addr);
          return FALSE;
        }
      fh_plugin_fill_target (target, &addr, port, fh_plugin_classify_host (addr.host), hint);
      fh_foolscap_addr_clear (&addr);
      return TRUE;
    }

  if (!fh_foolscap_match_tcp (hint, &addr, &message))
    {
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           message != NULL ? message : "unrecognized TCP hint");
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

  fh_plugin_fill_target (target, &addr, port,
                         fh_plugin_classify_host (addr.host), hint);
  fh_foolscap_addr_clear (&addr);
  return TRUE;
}

GIOStream *
fh_plugin_connect_finish (GAsyncResult *result,
                          gpointer source_tag,
                          GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, source_tag), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
