/* Twisted client endpoint strings as tahoe.cfg uses them.
 *
 * The tokenizer is Twisted's endpoints._tokenize()/_parse() (twisted 22):
 * `:` separates arguments, the first `=` of an argument splits keyword
 * from value (later `=` are literal), a backslash makes the next character
 * literal. clientFromString() then applies _parseClientTCP() or
 * _parseClientUNIX(), whose argument juggling is reproduced here (one
 * positional argument after `tcp:` is the host, unless `host=` was given,
 * in which case it is the port).
 *
 * furlhint additions, none of which Twisted would accept otherwise: a plain
 * `HOST:PORT`, and a bracketed IPv6 literal (`tcp:[::1]:9050`,
 * `host=[::1]`), whose colons are not separators. Stricter than Twisted:
 * the port is 1..65535 in ASCII digits (Python's int() would take spaces,
 * signs, underscores and any Unicode digit), and a host is an address
 * literal or an ASCII host name.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "endpoint.h"

#include <stdarg.h>
#include <string.h>

/* FURLHINT_CONFIG_ERROR_BAD_VALUE, spelled out so that the plugins (which
 * do not link libfurlhint) can use this file too. */
#define ENDPOINT_ERROR (g_quark_from_static_string ("furlhint-config-error-quark"))
#define ENDPOINT_ERROR_BAD_VALUE 3

#define ACCEPTED \
  "accepted: tcp:HOST:PORT, tcp:host=HOST:port=PORT (also timeout=, " \
  "bindAddress=), tcp:[IPv6]:PORT, unix:/PATH, unix:path=/PATH, or HOST:PORT"

typedef FhEndpointArg EpArg;

static void
ep_arg_clear (gpointer data)
{
  EpArg *arg = data;

  g_free (arg->key);
  g_free (arg->value);
}

GArray *
fh_endpoint_args_new (void)
{
  GArray *args = g_array_new (FALSE, TRUE, sizeof (EpArg));

  g_array_set_clear_func (args, ep_arg_clear);
  return args;
}

static void
set_error (GError **error,
           const gchar *format,
           ...) G_GNUC_PRINTF (2, 3);

static void
set_error (GError **error,
           const gchar *format,
           ...)
{
  va_list ap;
  gchar *reason;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, ENDPOINT_ERROR, ENDPOINT_ERROR_BAD_VALUE,
               "%s; " ACCEPTED, reason);
  g_free (reason);
}

gboolean
fh_endpoint_tokenize (const gchar *text,
                      GArray *args,
                      const gchar **problem)
{
  GString *current = g_string_new (NULL);
  gchar *first = NULL;          /* keyword part of the current argument */
  gboolean seen_equals = FALSE; /* after `=`, only `:` is an operator */
  const gchar *p = text;

  while (TRUE)
    {
      gchar c = *p;

      /* A `[` opening an argument or a keyword's value starts an IPv6
       * literal: copy it whole, colons included. */
      if (c == '[' && current->len == 0)
        {
          const gchar *close = strchr (p, ']');

          if (close == NULL)
            {
              *problem = "“[” without a closing “]”";
              goto fail;
            }
          g_string_append_len (current, p, close + 1 - p);
          p = close + 1;
          continue;
        }

      if (c == '\0' || c == ':')
        {
          EpArg arg = { NULL, NULL };

          if (first != NULL)
            {
              arg.key = first;
              first = NULL;
            }
          arg.value = g_string_free (current, FALSE);
          current = g_string_new (NULL);
          g_array_append_val (args, arg);
          seen_equals = FALSE;
          if (c == '\0')
            break;
          p++;
          continue;
        }

      if (c == '=' && !seen_equals)
        {
          first = g_string_free (current, FALSE);
          current = g_string_new (NULL);
          seen_equals = TRUE;
          p++;
          continue;
        }

      if (c == '\\')
        {
          p++;
          if (*p == '\0')
            {
              *problem = "it ends with a lone backslash";
              goto fail;
            }
        }
      g_string_append_c (current, *p);
      p++;
    }

  g_string_free (current, TRUE);
  return TRUE;

fail:
  g_free (first);
  g_string_free (current, TRUE);
  return FALSE;
}

static gboolean
parse_port (const gchar *text,
            guint16 *out,
            GError **error)
{
  guint64 value = 0;
  const gchar *p;

  if (*text == '\0')
    {
      set_error (error, "the port is empty");
      return FALSE;
    }
  for (p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        {
          set_error (error, "port “%s” is not a number (ASCII digits 1..65535)", text);
          return FALSE;
        }
      value = value * 10 + (guint64) (*p - '0');
      if (value > 65535)
        break;
    }
  if (value < 1 || value > 65535)
    {
      set_error (error, "port “%s” is out of range 1..65535", text);
      return FALSE;
    }
  *out = (guint16) value;
  return TRUE;
}

static gboolean
is_digits (const gchar *text)
{
  if (*text == '\0')
    return FALSE;
  for (; *text != '\0'; text++)
    if (!g_ascii_isdigit (*text))
      return FALSE;
  return TRUE;
}

/* Takes ownership of nothing; returns the bare host in *out. */
static gboolean
check_host (const gchar *text,
            gchar **out,
            GError **error)
{
  gsize len = strlen (text);
  const gchar *p;

  if (len == 0)
    {
      set_error (error, "the host is empty");
      return FALSE;
    }

  if (text[0] == '[')
    {
      gchar *inner;

      if (text[len - 1] != ']')
        {
          set_error (error, "host “%s” has text after its “]”", text);
          return FALSE;
        }
      inner = g_strndup (text + 1, len - 2);
      if (strchr (inner, ':') == NULL || !g_hostname_is_ip_address (inner))
        {
          set_error (error, "“%s” is not a bracketed IPv6 address", text);
          g_free (inner);
          return FALSE;
        }
      *out = inner;
      return TRUE;
    }

  if (strchr (text, ':') != NULL)
    {
      /* Only reachable through backslash escapes: Twisted's own way of
       * writing an IPv6 literal (`tcp:\:\:1:9050`). */
      if (!g_hostname_is_ip_address (text))
        {
          set_error (error, "host “%s” is not an IPv6 address", text);
          return FALSE;
        }
      *out = g_strdup (text);
      return TRUE;
    }

  for (p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
        {
          set_error (error, "host “%s” is not an IPv4 address or an ASCII host name", text);
          return FALSE;
        }
    }
  *out = g_strdup (text);
  return TRUE;
}

/* The last value given for @key (Python: later keywords overwrite). */
static const EpArg *
find_kw (GArray *args,
         guint from,
         const gchar *key)
{
  const EpArg *found = NULL;
  guint i;

  for (i = from; i < args->len; i++)
    {
      const EpArg *arg = &g_array_index (args, EpArg, i);

      if (arg->key != NULL && strcmp (arg->key, key) == 0)
        found = arg;
    }
  return found;
}

static gboolean
check_keywords (GArray *args,
                guint from,
                const gchar *const *known,
                const gchar *kind,
                GError **error)
{
  guint i;

  for (i = from; i < args->len; i++)
    {
      const EpArg *arg = &g_array_index (args, EpArg, i);

      if (arg->key != NULL && !g_strv_contains (known, arg->key))
        {
          gchar *list = g_strjoinv ("=, ", (gchar **) known);

          set_error (error, "“%s=” is not a %s endpoint keyword (known: %s=)",
                     arg->key, kind, list);
          g_free (list);
          return FALSE;
        }
    }
  return TRUE;
}

/* _parseClientTCP(): positional arguments after the type are host and port;
 * a single one is the port when host= is given, the host otherwise. */
static gboolean
parse_tcp (GArray *args,
           guint from,
           FhEndpoint *out,
           GError **error)
{
  static const gchar *const known[] = { "host", "port", "timeout", "bindAddress", "attemptDelay", NULL };
  const gchar *positional[3] = { NULL, NULL, NULL };
  guint n_positional = 0;
  const gchar *host = NULL;
  const gchar *port = NULL;
  const EpArg *kw;
  guint i;

  if (!check_keywords (args, from, known, "TCP", error))
    return FALSE;

  for (i = from; i < args->len; i++)
    {
      const EpArg *arg = &g_array_index (args, EpArg, i);

      if (arg->key != NULL)
        continue;
      if (n_positional == 2)
        {
          set_error (error, "too many “:”-separated parts (a literal “:” is written “\\:”, "
                     "an IPv6 address in brackets)");
          return FALSE;
        }
      positional[n_positional++] = arg->value;
    }

  if ((kw = find_kw (args, from, "host")) != NULL)
    host = kw->value;
  if ((kw = find_kw (args, from, "port")) != NULL)
    port = kw->value;

  if (n_positional == 2)
    {
      host = positional[0];
      port = positional[1];
    }
  else if (n_positional == 1)
    {
      if (host != NULL)
        port = positional[0];
      else
        host = positional[0];
    }

  if (host == NULL)
    {
      set_error (error, "no host");
      return FALSE;
    }
  if (port == NULL)
    {
      set_error (error, "no port");
      return FALSE;
    }
  if ((kw = find_kw (args, from, "timeout")) != NULL && !is_digits (kw->value))
    {
      set_error (error, "timeout “%s” is not a whole number of seconds", kw->value);
      return FALSE;
    }

  if (!parse_port (port, &out->port, error))
    return FALSE;
  if (!check_host (host, &out->host, error))
    return FALSE;
  out->kind = FH_ENDPOINT_TCP;
  return TRUE;
}

/* _parseClientUNIX(): one positional argument is the path (it wins over
 * path=); lockfile= is 0 or 1. */
static gboolean
parse_unix (GArray *args,
            guint from,
            FhEndpoint *out,
            GError **error)
{
  static const gchar *const known[] = { "path", "timeout", "lockfile", NULL };
  const gchar *path = NULL;
  guint n_positional = 0;
  const EpArg *kw;
  guint i;

  if (!check_keywords (args, from, known, "UNIX", error))
    return FALSE;

  if ((kw = find_kw (args, from, "path")) != NULL)
    path = kw->value;
  for (i = from; i < args->len; i++)
    {
      const EpArg *arg = &g_array_index (args, EpArg, i);

      if (arg->key != NULL)
        continue;
      if (++n_positional > 1)
        {
          set_error (error, "too many “:”-separated parts (a literal “:” in a path is written “\\:”)");
          return FALSE;
        }
      path = arg->value;
    }

  if (path == NULL || *path == '\0')
    {
      set_error (error, "no socket path");
      return FALSE;
    }
  if ((kw = find_kw (args, from, "timeout")) != NULL && !is_digits (kw->value))
    {
      set_error (error, "timeout “%s” is not a whole number of seconds", kw->value);
      return FALSE;
    }
  if ((kw = find_kw (args, from, "lockfile")) != NULL && !is_digits (kw->value))
    {
      set_error (error, "lockfile “%s” is not 0 or 1", kw->value);
      return FALSE;
    }

  out->kind = FH_ENDPOINT_UNIX;
  out->path = g_strdup (path);
  return TRUE;
}

gboolean
fh_endpoint_parse (const gchar *text,
                   FhEndpoint *out,
                   GError **error)
{
  /* Twisted endpoint types that exist but cannot be a client route here;
   * named so that `tor:9050` is not read as host "tor", port 9050. */
  static const gchar *const unsupported[] = {
    "ssl", "tls", "tcp6", "tor", "onion", "i2p", "stdio", "systemd",
    "txtorcon", "socks", NULL
  };
  GArray *args;
  const EpArg *first;
  const gchar *problem = NULL;
  gchar *type;
  gboolean ok = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);

  if (*text == '\0')
    {
      set_error (error, "the endpoint is empty");
      return FALSE;
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      set_error (error, "the endpoint is not valid UTF-8");
      return FALSE;
    }

  args = fh_endpoint_args_new ();
  if (!fh_endpoint_tokenize (text, args, &problem))
    {
      set_error (error, "%s", problem);
      goto out;
    }

  first = &g_array_index (args, EpArg, 0);
  if (first->key != NULL)
    {
      set_error (error, "it starts with a keyword (“%s=”) instead of an endpoint type", first->key);
      goto out;
    }

  type = g_ascii_strdown (first->value, -1);
  if (strcmp (type, "tcp") == 0)
    ok = parse_tcp (args, 1, out, error);
  else if (strcmp (type, "unix") == 0)
    ok = parse_unix (args, 1, out, error);
  else if (g_strv_contains (unsupported, type))
    set_error (error, "endpoint type “%s” cannot be used here", first->value);
  else if (args->len == 2 && g_array_index (args, EpArg, 1).key == NULL)
    ok = parse_tcp (args, 0, out, error);   /* plain HOST:PORT */
  else if (args->len == 1)
    set_error (error, "“%s” has no endpoint type and no port", first->value);
  else
    set_error (error, "unknown endpoint type “%s”", first->value);
  g_free (type);

out:
  g_array_unref (args);
  if (!ok)
    fh_endpoint_clear (out);
  return ok;
}

gchar *
fh_endpoint_to_string (const FhEndpoint *endpoint)
{
  g_return_val_if_fail (endpoint != NULL, NULL);

  if (endpoint->kind == FH_ENDPOINT_UNIX)
    return g_strconcat ("unix:", endpoint->path, NULL);
  if (strchr (endpoint->host, ':') != NULL)
    return g_strdup_printf ("tcp:[%s]:%u", endpoint->host, endpoint->port);
  return g_strdup_printf ("tcp:%s:%u", endpoint->host, endpoint->port);
}

void
fh_endpoint_clear (FhEndpoint *endpoint)
{
  if (endpoint == NULL)
    return;
  g_clear_pointer (&endpoint->host, g_free);
  g_clear_pointer (&endpoint->path, g_free);
  endpoint->port = 0;
  endpoint->kind = FH_ENDPOINT_TCP;
}

gboolean
fh_endpoint_needs_lookup (const FhEndpoint *endpoint)
{
  g_return_val_if_fail (endpoint != NULL, FALSE);

  if (endpoint->kind != FH_ENDPOINT_TCP || endpoint->host == NULL)
    return FALSE;
  /* Exactly "localhost": GIO treats that name (not "localhost.", nor
   * another letter case in every version) without asking the resolver. */
  return !g_hostname_is_ip_address (endpoint->host) &&
         strcmp (endpoint->host, "localhost") != 0;
}

/* --- tcp.socks-proxy credentials ------------------------------------- */

/* RFC 1929: ULEN and PLEN are one octet each, and at least 1. */
#define MAX_CREDENTIAL 255

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

gboolean
fh_endpoint_split_credentials (const gchar *value,
                               gchar **endpoint,
                               gchar **username,
                               gchar **password,
                               const gchar **problem_out)
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
      (strlen (*username) < 1 || strlen (*username) > MAX_CREDENTIAL))
    problem = "the user name must be 1-255 bytes long (RFC 1929)";
  if (problem == NULL && *password != NULL &&
      (strlen (*password) < 1 || strlen (*password) > MAX_CREDENTIAL))
    problem = "the password must be 1-255 bytes long (RFC 1929)";

  g_ptr_array_unref (fields);
  if (problem != NULL)
    {
      *problem_out = problem;
      g_string_free (rest, TRUE);
      g_clear_pointer (username, g_free);
      g_clear_pointer (password, fh_secret_free);
      return FALSE;
    }
  *endpoint = g_string_free (rest, FALSE);
  return TRUE;
}

gchar *
fh_endpoint_censor_credentials (const gchar *value)
{
  GPtrArray *fields;
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);

  fields = split_fields (value);
  out = g_string_new (NULL);
  for (guint i = 0; i < fields->len; i++)
    {
      const gchar *field = g_ptr_array_index (fields, i);
      gboolean key_continues = FALSE;

      if (i > 0)
        g_string_append_c (out, ':');
      /* Any field that names a password or a private key (txtorcon's
       * privateKey=), whatever its position or letter case: a misspelt
       * value is shown to say what is wrong with it. An onion key is
       * TYPE:BLOB; with its colon unescaped the blob is the next field. */
      if (g_ascii_strncasecmp (field, "password=", 9) == 0)
        {
          g_string_append_len (out, field, 9);
          g_string_append (out, FH_CENSORED);
        }
      else if (g_ascii_strncasecmp (field, "privatekey=", 11) == 0)
        {
          g_string_append_len (out, field, 11);
          g_string_append (out, FH_CENSORED);
          key_continues = TRUE;
        }
      else
        g_string_append (out, field);
      while (key_continues && i + 1 < fields->len &&
             strchr (g_ptr_array_index (fields, i + 1), '=') == NULL)
        {
          g_string_append (out, ":" FH_CENSORED);
          i++;
        }
    }
  g_ptr_array_unref (fields);
  return g_string_free (out, FALSE);
}

void
fh_secret_free (gchar *secret)
{
  if (secret == NULL)
    return;
  /* volatile so the stores are not optimised away */
  for (volatile gchar *p = secret; *p != '\0'; p++)
    *p = '\0';
  g_free (secret);
}

gboolean
fh_endpoint_equal (const FhEndpoint *a,
                   const FhEndpoint *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->kind != b->kind)
    return FALSE;
  if (a->kind == FH_ENDPOINT_UNIX)
    return g_strcmp0 (a->path, b->path) == 0;
  return a->port == b->port && g_ascii_strcasecmp (a->host, b->host) == 0;
}
