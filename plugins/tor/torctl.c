/* Tor control protocol messages, no I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "torctl.h"
#include "json-writer.h"

#include <string.h>
#include <gio/gio.h>
#include <furlhint/plugin.h>

/* control-spec.txt, "AUTHCHALLENGE". */
#define SAFECOOKIE_SERVER_KEY "Tor safe cookie authentication server-to-controller hash"
#define SAFECOOKIE_CLIENT_KEY "Tor safe cookie authentication controller-to-server hash"

/* Reply text goes into error messages, which end up in logs, JSON and on
 * terminals: short, and with every control character and byte that is
 * not UTF-8 escaped (json-writer.h). */
static gchar *
printable (const gchar *text,
           gssize len)
{
  GString *out = g_string_new (NULL);

  if (len < 0)
    len = strlen (text);
  fh_text_append_escaped (out, text, MIN (len, 200), FALSE);
  if (len > 200)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static void
set_protocol_error (GError **error,
                    const gchar *format,
                    ...) G_GNUC_PRINTF (2, 3);

static void
set_protocol_error (GError **error,
                    const gchar *format,
                    ...)
{
  va_list ap;
  gchar *message;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
               "Tor control port: %s", message);
  g_free (message);
}

void
fh_torctl_reply_free (FhTorReply *reply)
{
  if (reply == NULL)
    return;
  g_ptr_array_unref (reply->lines);
  g_free (reply);
}

/* The next line of @data from @pos: its length without CR LF in *@line_len,
 * the position after its LF in *@next. FALSE when no LF has arrived. */
static gboolean
next_line (const gchar *data,
           gsize len,
           gsize pos,
           gsize *line_len,
           gsize *next)
{
  const gchar *lf;
  gsize end;

  /* memchr must not see NULL, even for a length of 0 (UBSan). */
  if (pos >= len)
    return FALSE;
  lf = memchr (data + pos, '\n', len - pos);
  if (lf == NULL)
    return FALSE;
  end = lf - data;
  *next = end + 1;
  if (end > pos && data[end - 1] == '\r')
    end--;
  *line_len = end - pos;
  return TRUE;
}

FhTorctlResult
fh_torctl_parse_reply (const gchar *data,
                       gsize len,
                       gsize *consumed,
                       FhTorReply **reply,
                       GError **error)
{
  g_autoptr(FhTorReply) result = NULL;
  gsize pos = 0;

  g_return_val_if_fail (data != NULL || len == 0, FH_TORCTL_ERROR);
  g_return_val_if_fail (reply != NULL, FH_TORCTL_ERROR);

  *reply = NULL;
  if (len > 0 && memchr (data, '\0', len) != NULL)
    {
      set_protocol_error (error, "reply contains a NUL byte: not a Tor control port?");
      return FH_TORCTL_ERROR;
    }

  result = g_new0 (FhTorReply, 1);
  result->lines = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      gsize line_len, next;
      const gchar *line = data + pos;
      guint code;
      gchar sep;

      if (!next_line (data, len, pos, &line_len, &next))
        goto need_more;

      if (line_len < 4 ||
          !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1]) ||
          !g_ascii_isdigit (line[2]) ||
          (line[3] != ' ' && line[3] != '-' && line[3] != '+'))
        {
          gchar *shown = printable (line, line_len);
          set_protocol_error (error, "malformed reply line “%s”: expected a 3-digit "
                              "status code followed by “ ”, “-” or “+”: "
                              "not a Tor control port?", shown);
          g_free (shown);
          return FH_TORCTL_ERROR;
        }
      code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      if (result->lines->len == 0)
        result->code = code;
      else if (code != result->code)
        {
          set_protocol_error (error, "reply mixes status codes %03u and %03u",
                              result->code, code);
          return FH_TORCTL_ERROR;
        }
      sep = line[3];

      if (sep == '+')
        {
          GString *text = g_string_new_len (line + 4, line_len - 4);
          gsize dpos = next;
          gboolean first = TRUE;

          g_string_append_c (text, '\n');
          for (;;)
            {
              gsize dlen, dnext;
              const gchar *dline = data + dpos;

              if (!next_line (data, len, dpos, &dlen, &dnext))
                {
                  g_string_free (text, TRUE);
                  goto need_more;
                }
              dpos = dnext;
              if (dlen == 1 && dline[0] == '.')
                break;
              if (!first)
                g_string_append_c (text, '\n');
              first = FALSE;
              /* Dot-stuffing: a data line starting with "." got one more. */
              if (dlen > 0 && dline[0] == '.')
                g_string_append_len (text, dline + 1, dlen - 1);
              else
                g_string_append_len (text, dline, dlen);
            }
          g_ptr_array_add (result->lines, g_string_free (text, FALSE));
          pos = dpos;
          continue;
        }

      g_ptr_array_add (result->lines, g_strndup (line + 4, line_len - 4));
      pos = next;
      if (sep == ' ')
        break;
    }

  if (consumed != NULL)
    *consumed = pos;
  *reply = g_steal_pointer (&result);
  return FH_TORCTL_OK;

need_more:
  if (len >= FH_TORCTL_MAX_REPLY)
    {
      set_protocol_error (error, "reply longer than %u bytes", (guint) FH_TORCTL_MAX_REPLY);
      return FH_TORCTL_ERROR;
    }
  return FH_TORCTL_NEED_MORE;
}

gboolean
fh_torctl_reply_check (const FhTorReply *reply,
                       const gchar *command,
                       GError **error)
{
  GString *text;
  gchar *shown;
  gint code;

  g_return_val_if_fail (reply != NULL, FALSE);

  if (reply->code == 250)
    return TRUE;

  text = g_string_new (NULL);
  for (guint i = 0; i < reply->lines->len; i++)
    {
      if (i > 0)
        g_string_append (text, "; ");
      g_string_append (text, g_ptr_array_index (reply->lines, i));
    }
  shown = printable (text->str, text->len);
  g_string_free (text, TRUE);

  if (reply->code == 515 || reply->code == 514)
    code = FURLHINT_CONNECT_ERROR_AUTH;
  else if (reply->code >= 400 && reply->code < 600)
    code = FURLHINT_CONNECT_ERROR_FAILED;
  else
    code = FURLHINT_CONNECT_ERROR_PROTOCOL;
  g_set_error (error, FURLHINT_CONNECT_ERROR, code,
               "Tor control port refused %s: %03u %s", command, reply->code, shown);
  g_free (shown);
  return FALSE;
}

gchar *
fh_torctl_unquote (const gchar **p,
                   GError **error)
{
  const gchar *s = *p;
  GString *out;

  g_return_val_if_fail (s != NULL && *s == '"', NULL);

  out = g_string_new (NULL);
  for (s++; *s != '"'; s++)
    {
      if (*s == '\0')
        goto unterminated;
      if (*s != '\\')
        {
          g_string_append_c (out, *s);
          continue;
        }
      s++;
      switch (*s)
        {
        case '\0':
          goto unterminated;
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 't':
          g_string_append_c (out, '\t');
          break;
        case 'r':
          g_string_append_c (out, '\r');
          break;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7':
          {
            guint value = 0;
            gint digits = 0;

            while (digits < 3 && *s >= '0' && *s <= '7')
              {
                value = value * 8 + (*s - '0');
                s++;
                digits++;
              }
            s--;
            if (value == 0 || value > 255)
              {
                set_protocol_error (error, "quoted string has an invalid octal escape "
                                    "(a NUL or a value above \\377)");
                g_string_free (out, TRUE);
                return NULL;
              }
            g_string_append_c (out, (gchar) value);
          }
          break;
        default:
          /* \\, \", \' and anything else stand for themselves. */
          g_string_append_c (out, *s);
          break;
        }
    }
  *p = s + 1;
  return g_string_free (out, FALSE);

unterminated:
  set_protocol_error (error, "quoted string without a closing quote");
  g_string_free (out, TRUE);
  return NULL;
}

gchar *
fh_torctl_quote (const gchar *text)
{
  GString *out = g_string_new ("\"");

  for (const gchar *s = text; *s != '\0'; s++)
    {
      guchar c = *s;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\%03o", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

GPtrArray *
fh_torctl_split_kwargs (const gchar *text,
                        GError **error)
{
  GPtrArray *items;
  const gchar *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  items = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      const gchar *start;

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;

      start = p;
      while (*p != '\0' && *p != ' ' && *p != '=')
        p++;
      if (p == start)
        {
          gchar *shown = printable (text, -1);
          set_protocol_error (error, "“%s”: “=” without a keyword before it", shown);
          g_free (shown);
          g_ptr_array_unref (items);
          return NULL;
        }
      g_ptr_array_add (items, g_strndup (start, p - start));

      if (*p != '=')
        {
          g_ptr_array_add (items, NULL);
          continue;
        }
      p++;
      if (*p == '"')
        {
          gchar *value = fh_torctl_unquote (&p, error);

          if (value == NULL)
            {
              g_ptr_array_unref (items);
              return NULL;
            }
          if (*p != '\0' && *p != ' ')
            {
              set_protocol_error (error, "text after a quoted string: “%c”", *p);
              g_free (value);
              g_ptr_array_unref (items);
              return NULL;
            }
          g_ptr_array_add (items, value);
        }
      else
        {
          start = p;
          while (*p != '\0' && *p != ' ')
            p++;
          g_ptr_array_add (items, g_strndup (start, p - start));
        }
    }
  return items;
}

void
fh_torctl_protocolinfo_clear (FhTorProtocolInfo *info)
{
  g_clear_pointer (&info->cookie_file, g_free);
  g_clear_pointer (&info->version, g_free);
  info->auth_methods = 0;
}

static const struct {
  const gchar *name;
  FhTorAuthMethods method;
} auth_names[] = {
  { "NULL", FH_TOR_AUTH_NULL },
  { "HASHEDPASSWORD", FH_TOR_AUTH_HASHEDPASSWORD },
  { "COOKIE", FH_TOR_AUTH_COOKIE },
  { "SAFECOOKIE", FH_TOR_AUTH_SAFECOOKIE },
};

static gchar *
auth_methods_text (guint methods)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (auth_names); i++)
    if (methods & auth_names[i].method)
      {
        if (text->len > 0)
          g_string_append_c (text, ',');
        g_string_append (text, auth_names[i].name);
      }
  if (text->len == 0)
    g_string_append (text, "none we know");
  return g_string_free (text, FALSE);
}

static gboolean
parse_auth_line (const gchar *rest,
                 FhTorProtocolInfo *info,
                 gboolean *saw_methods,
                 GError **error)
{
  GPtrArray *kw = fh_torctl_split_kwargs (rest, error);

  if (kw == NULL)
    return FALSE;
  for (guint i = 0; i + 1 < kw->len; i += 2)
    {
      const gchar *key = g_ptr_array_index (kw, i);
      const gchar *value = g_ptr_array_index (kw, i + 1);

      if (value == NULL)
        continue;
      if (strcmp (key, "METHODS") == 0)
        {
          gchar **names = g_strsplit (value, ",", -1);

          *saw_methods = TRUE;
          for (gchar **n = names; *n != NULL; n++)
            for (gsize j = 0; j < G_N_ELEMENTS (auth_names); j++)
              if (strcmp (*n, auth_names[j].name) == 0)
                info->auth_methods |= auth_names[j].method;
          g_strfreev (names);
        }
      else if (strcmp (key, "COOKIEFILE") == 0)
        {
          g_free (info->cookie_file);
          info->cookie_file = g_strdup (value);
        }
    }
  g_ptr_array_unref (kw);
  return TRUE;
}

gboolean
fh_torctl_parse_protocolinfo (const FhTorReply *reply,
                              FhTorProtocolInfo *info,
                              GError **error)
{
  gboolean saw_methods = FALSE;

  g_return_val_if_fail (reply != NULL && info != NULL, FALSE);

  memset (info, 0, sizeof *info);
  if (!fh_torctl_reply_check (reply, "PROTOCOLINFO", error))
    return FALSE;

  for (guint i = 0; i < reply->lines->len; i++)
    {
      const gchar *line = g_ptr_array_index (reply->lines, i);

      if (g_str_has_prefix (line, "AUTH "))
        {
          if (!parse_auth_line (line + 5, info, &saw_methods, error))
            {
              fh_torctl_protocolinfo_clear (info);
              return FALSE;
            }
        }
      else if (g_str_has_prefix (line, "VERSION "))
        {
          GPtrArray *kw = fh_torctl_split_kwargs (line + 8, error);

          if (kw == NULL)
            {
              fh_torctl_protocolinfo_clear (info);
              return FALSE;
            }
          for (guint j = 0; j + 1 < kw->len; j += 2)
            if (strcmp (g_ptr_array_index (kw, j), "Tor") == 0 &&
                g_ptr_array_index (kw, j + 1) != NULL)
              {
                g_free (info->version);
                info->version = g_strdup (g_ptr_array_index (kw, j + 1));
              }
          g_ptr_array_unref (kw);
        }
      /* "PROTOCOLINFO 1", "OK" and lines of later versions: nothing to use. */
    }

  if (!saw_methods)
    {
      set_protocol_error (error, "PROTOCOLINFO reply has no “AUTH METHODS=” line");
      fh_torctl_protocolinfo_clear (info);
      return FALSE;
    }
  return TRUE;
}

gboolean
fh_torctl_parse_auth_setting (const gchar *text,
                              guint *methods,
                              gchar **bad)
{
  gchar **words;
  guint result = 0;

  g_return_val_if_fail (methods != NULL && bad != NULL, FALSE);

  *bad = NULL;
  if (text == NULL)
    text = "";
  words = g_strsplit_set (text, ", \t", -1);
  for (gchar **w = words; *w != NULL; w++)
    {
      guint found = 0;

      if (**w == '\0')
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (auth_names); i++)
        if (g_ascii_strcasecmp (*w, auth_names[i].name) == 0)
          found = auth_names[i].method;
      if (found == 0)
        {
          *bad = g_strdup (*w);
          g_strfreev (words);
          return FALSE;
        }
      result |= found;
    }
  g_strfreev (words);
  *methods = result != 0 ? result : FH_TOR_AUTH_DEFAULT;
  return TRUE;
}

FhTorAuthMethods
fh_torctl_choose_auth (const FhTorProtocolInfo *info,
                       guint allowed,
                       gboolean have_password,
                       GError **error)
{
  guint usable;
  gchar *offered, *permitted, *refused;

  g_return_val_if_fail (info != NULL, 0);

  usable = info->auth_methods & allowed;
  /* A configured password is the operator's explicit choice. */
  if (have_password && (usable & FH_TOR_AUTH_HASHEDPASSWORD))
    return FH_TOR_AUTH_HASHEDPASSWORD;
  if ((usable & FH_TOR_AUTH_SAFECOOKIE) && info->cookie_file != NULL)
    return FH_TOR_AUTH_SAFECOOKIE;
  /* COOKIE hands the cookie to whatever answers, and NULL trusts it
   * unseen: only when the operator allowed them (docs/furlhint.1). */
  if ((usable & FH_TOR_AUTH_COOKIE) && info->cookie_file != NULL)
    return FH_TOR_AUTH_COOKIE;
  if (usable & FH_TOR_AUTH_NULL)
    return FH_TOR_AUTH_NULL;

  offered = auth_methods_text (info->auth_methods);
  permitted = auth_methods_text (allowed);
  refused = auth_methods_text (info->auth_methods & ~allowed);
  if (usable & FH_TOR_AUTH_HASHEDPASSWORD)
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "Tor control port wants a password (it offers %s); accepted: "
                 "[tor] control.password, or CookieAuthentication 1 in the torrc",
                 offered);
  else if (usable & (FH_TOR_AUTH_COOKIE | FH_TOR_AUTH_SAFECOOKIE))
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "Tor control port offers %s but names no COOKIEFILE; accepted: "
                 "a COOKIEFILE with SAFECOOKIE, or HASHEDPASSWORD with "
                 "[tor] control.password", offered);
  else if ((info->auth_methods & ~allowed) != 0)
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "Tor control port offers only %s, which furlhint does not use unless "
                 "told to (COOKIE sends the cookie to whatever listens on the port, "
                 "NULL trusts it unauthenticated: maybe not tor at all); accepted: "
                 "%s (set by [tor] control.auth; SAFECOOKIE is what tor offers with "
                 "CookieAuthentication 1), or [tor] control.auth naming %s to allow it",
                 offered, permitted, refused);
  else
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "Tor control port offers no authentication method furlhint can use "
                 "(it offers %s); accepted: SAFECOOKIE, HASHEDPASSWORD with "
                 "[tor] control.password, or COOKIE or NULL allowed by "
                 "[tor] control.auth", offered);
  g_free (offered);
  g_free (permitted);
  g_free (refused);
  return 0;
}

static gchar *
hex_encode (const guint8 *data,
            gsize len)
{
  static const gchar digits[] = "0123456789ABCDEF";
  gchar *out = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[len * 2] = '\0';
  return out;
}

static gboolean
hex_decode (const gchar *text,
            guint8 *out,
            gsize len)
{
  if (strlen (text) != len * 2)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      gint hi = g_ascii_xdigit_value (text[2 * i]);
      gint lo = g_ascii_xdigit_value (text[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

gchar *
fh_torctl_build_auth_cookie (const guint8 *cookie,
                             gsize len)
{
  gchar *hex = hex_encode (cookie, len);
  gchar *line = g_strdup_printf ("AUTHENTICATE %s\r\n", hex);

  g_free (hex);
  return line;
}

gchar *
fh_torctl_build_auth_password (const gchar *password)
{
  gchar *quoted = fh_torctl_quote (password);
  gchar *line = g_strdup_printf ("AUTHENTICATE %s\r\n", quoted);

  /* The password was in there: do not leave it in freed memory. */
  memset (quoted, 0, strlen (quoted));
  g_free (quoted);
  return line;
}

gchar *
fh_torctl_build_authchallenge (const guint8 client_nonce[FH_TORCTL_NONCE_LEN])
{
  gchar *hex = hex_encode (client_nonce, FH_TORCTL_NONCE_LEN);
  gchar *line = g_strdup_printf ("AUTHCHALLENGE SAFECOOKIE %s\r\n", hex);

  g_free (hex);
  return line;
}

void
fh_torctl_safecookie_hash (gboolean server_to_controller,
                           const guint8 *cookie,
                           gsize cookie_len,
                           const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                           const guint8 server_nonce[FH_TORCTL_NONCE_LEN],
                           guint8 out[32])
{
  const gchar *key = server_to_controller ? SAFECOOKIE_SERVER_KEY : SAFECOOKIE_CLIENT_KEY;
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  gsize out_len = 32;

  g_hmac_update (hmac, cookie, cookie_len);
  g_hmac_update (hmac, client_nonce, FH_TORCTL_NONCE_LEN);
  g_hmac_update (hmac, server_nonce, FH_TORCTL_NONCE_LEN);
  g_hmac_get_digest (hmac, out, &out_len);
  g_hmac_unref (hmac);
}

gchar *
fh_torctl_safecookie_response (const FhTorReply *reply,
                               const guint8 *cookie,
                               gsize cookie_len,
                               const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                               GError **error)
{
  const gchar *server_hash_hex = NULL, *server_nonce_hex = NULL;
  guint8 server_hash[32], server_nonce[FH_TORCTL_NONCE_LEN], expected[32], client_hash[32];
  GPtrArray *kw;
  guint8 diff = 0;
  gchar *line;

  g_return_val_if_fail (reply != NULL && cookie != NULL && client_nonce != NULL, NULL);

  if (!fh_torctl_reply_check (reply, "AUTHCHALLENGE", error))
    return NULL;
  kw = fh_torctl_split_kwargs (g_ptr_array_index (reply->lines, 0), error);
  if (kw == NULL)
    return NULL;
  if (kw->len < 2 || strcmp (g_ptr_array_index (kw, 0), "AUTHCHALLENGE") != 0)
    {
      set_protocol_error (error, "reply to AUTHCHALLENGE does not start with “AUTHCHALLENGE”");
      g_ptr_array_unref (kw);
      return NULL;
    }
  for (guint i = 2; i + 1 < kw->len; i += 2)
    {
      const gchar *key = g_ptr_array_index (kw, i);

      if (strcmp (key, "SERVERHASH") == 0)
        server_hash_hex = g_ptr_array_index (kw, i + 1);
      else if (strcmp (key, "SERVERNONCE") == 0)
        server_nonce_hex = g_ptr_array_index (kw, i + 1);
    }
  if (server_hash_hex == NULL || server_nonce_hex == NULL ||
      !hex_decode (server_hash_hex, server_hash, sizeof server_hash) ||
      !hex_decode (server_nonce_hex, server_nonce, sizeof server_nonce))
    {
      set_protocol_error (error, "reply to AUTHCHALLENGE needs SERVERHASH= and SERVERNONCE= "
                          "with 64 hexadecimal digits each");
      g_ptr_array_unref (kw);
      return NULL;
    }
  g_ptr_array_unref (kw);

  fh_torctl_safecookie_hash (TRUE, cookie, cookie_len, client_nonce, server_nonce,
                             expected);
  for (gsize i = 0; i < sizeof expected; i++)
    diff |= expected[i] ^ server_hash[i];
  if (diff != 0)
    {
      g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                           "Tor control port's SAFECOOKIE server hash does not match "
                           "the cookie file: the cookie is stale or belongs to another "
                           "tor (or this is not the tor it claims to be)");
      return NULL;
    }

  fh_torctl_safecookie_hash (FALSE, cookie, cookie_len, client_nonce, server_nonce,
                             client_hash);
  line = fh_torctl_build_auth_cookie (client_hash, sizeof client_hash);
  return line;
}

gchar *
fh_torctl_build_getinfo (const gchar *key)
{
  return g_strdup_printf ("GETINFO %s\r\n", key);
}

gchar *
fh_torctl_getinfo_value (const FhTorReply *reply,
                         const gchar *key,
                         GError **error)
{
  gsize key_len;
  gchar *command;

  g_return_val_if_fail (reply != NULL && key != NULL, NULL);

  command = g_strconcat ("GETINFO ", key, NULL);
  if (!fh_torctl_reply_check (reply, command, error))
    {
      g_free (command);
      return NULL;
    }
  g_free (command);

  key_len = strlen (key);
  for (guint i = 0; i < reply->lines->len; i++)
    {
      const gchar *line = g_ptr_array_index (reply->lines, i);

      if (strncmp (line, key, key_len) == 0 && line[key_len] == '=')
        {
          const gchar *value = line + key_len + 1;

          /* A data entry: "key=" then "\n" then the block. */
          if (*value == '\n')
            value++;
          return g_strdup (value);
        }
    }
  set_protocol_error (error, "reply to GETINFO %s has no “%s=” line", key, key);
  return NULL;
}

static void
endpoint_clear_func (gpointer data)
{
  fh_endpoint_clear (data);
}

static gboolean
parse_listener (const gchar *item,
                FhEndpoint *out,
                GError **error)
{
  const gchar *colon;
  gchar *host = NULL;
  guint64 port = 0;

  memset (out, 0, sizeof *out);
  if (g_str_has_prefix (item, "unix:"))
    {
      if (item[5] == '\0')
        goto bad;
      out->kind = FH_ENDPOINT_UNIX;
      out->path = g_strdup (item + 5);
      return TRUE;
    }

  if (item[0] == '[')
    {
      const gchar *close = strchr (item, ']');

      if (close == NULL || close[1] != ':')
        goto bad;
      host = g_strndup (item + 1, close - item - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (item, ':');
      if (colon == NULL)
        goto bad;
      host = g_strndup (item, colon - item);
    }
  /* Tor reports addresses; a name would need a lookup we never make. */
  if (!g_hostname_is_ip_address (host) || strchr (host, '%') != NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL) ||
      !g_ascii_isdigit (colon[1]))
    goto bad;

  out->kind = FH_ENDPOINT_TCP;
  out->host = host;
  out->port = (guint16) port;
  return TRUE;

bad:
  {
    gchar *shown = printable (item, -1);
    set_protocol_error (error, "SOCKS listener “%s” is neither ADDRESS:PORT, [IPv6]:PORT "
                        "nor unix:PATH", shown);
    g_free (shown);
  }
  g_free (host);
  return FALSE;
}

gboolean
fh_torctl_endpoint_is_loopback (const FhEndpoint *endpoint)
{
  GInetAddress *address;
  gboolean loopback;

  g_return_val_if_fail (endpoint != NULL, FALSE);

  if (endpoint->kind == FH_ENDPOINT_UNIX)
    return TRUE;
  if (endpoint->host == NULL)
    return FALSE;
  address = g_inet_address_new_from_string (endpoint->host);
  if (address == NULL)
    return FALSE;
  /* 127.0.0.0/8 and ::1 only: an IPv4-mapped ::ffff:127.0.0.1 is not. */
  loopback = g_inet_address_get_is_loopback (address);
  g_object_unref (address);
  return loopback;
}

gboolean
fh_torctl_pick_socks_listener (const GArray *listeners,
                               const gchar *label,
                               FhEndpoint *out,
                               GError **error)
{
  GString *refused;

  g_return_val_if_fail (listeners != NULL && label != NULL && out != NULL, FALSE);

  for (guint i = 0; i < listeners->len; i++)
    {
      const FhEndpoint *e = &g_array_index (listeners, FhEndpoint, i);

      if (fh_torctl_endpoint_is_loopback (e))
        {
          out->kind = e->kind;
          out->host = g_strdup (e->host);
          out->port = e->port;
          out->path = g_strdup (e->path);
          return TRUE;
        }
    }

  refused = g_string_new (NULL);
  for (guint i = 0; i < listeners->len; i++)
    {
      gchar *text = fh_endpoint_to_string (&g_array_index (listeners, FhEndpoint, i));
      gchar *shown = printable (text, -1);

      g_string_append_printf (refused, "%s%s", i > 0 ? ", " : "", shown);
      g_free (shown);
      g_free (text);
    }
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
               "%s names no SOCKS listener on this machine (%s): refusing to "
               "connect to an address a control port reports elsewhere; accepted: "
               "a SocksPort on 127.0.0.0/8, [::1] or a unix socket, or the SOCKS "
               "port configured with [tor] socks.port", label, refused->str);
  g_string_free (refused, TRUE);
  return FALSE;
}

GArray *
fh_torctl_parse_socks_listeners (const gchar *value,
                                 GError **error)
{
  GArray *listeners;
  const gchar *p = value;

  g_return_val_if_fail (value != NULL, NULL);

  listeners = g_array_new (FALSE, TRUE, sizeof (FhEndpoint));
  g_array_set_clear_func (listeners, endpoint_clear_func);
  for (;;)
    {
      gchar *item;
      FhEndpoint endpoint;

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      if (*p == '"')
        {
          item = fh_torctl_unquote (&p, error);
          if (item == NULL)
            goto fail;
          if (*p != '\0' && *p != ' ')
            {
              set_protocol_error (error, "text after a quoted SOCKS listener");
              g_free (item);
              goto fail;
            }
        }
      else
        {
          const gchar *start = p;

          while (*p != '\0' && *p != ' ')
            p++;
          item = g_strndup (start, p - start);
        }
      if (!parse_listener (item, &endpoint, error))
        {
          g_free (item);
          goto fail;
        }
      g_free (item);
      g_array_append_val (listeners, endpoint);
    }
  return listeners;

fail:
  g_array_unref (listeners);
  return NULL;
}

void
fh_torctl_bootstrap_clear (FhTorBootstrap *bootstrap)
{
  g_clear_pointer (&bootstrap->tag, g_free);
  g_clear_pointer (&bootstrap->summary, g_free);
  g_clear_pointer (&bootstrap->warning, g_free);
  bootstrap->progress = 0;
}

gboolean
fh_torctl_parse_bootstrap (const gchar *value,
                           FhTorBootstrap *bootstrap,
                           GError **error)
{
  GPtrArray *kw;
  gboolean have_progress = FALSE;

  g_return_val_if_fail (value != NULL && bootstrap != NULL, FALSE);

  memset (bootstrap, 0, sizeof *bootstrap);
  kw = fh_torctl_split_kwargs (value, error);
  if (kw == NULL)
    return FALSE;
  if (kw->len < 4 || g_ptr_array_index (kw, 1) != NULL ||
      g_strcmp0 (g_ptr_array_index (kw, 2), "BOOTSTRAP") != 0 ||
      g_ptr_array_index (kw, 3) != NULL)
    {
      gchar *shown = printable (value, -1);
      set_protocol_error (error, "bootstrap phase “%s”: expected “SEVERITY BOOTSTRAP "
                          "PROGRESS=N ...”", shown);
      g_free (shown);
      g_ptr_array_unref (kw);
      return FALSE;
    }
  for (guint i = 4; i + 1 < kw->len; i += 2)
    {
      const gchar *key = g_ptr_array_index (kw, i);
      const gchar *v = g_ptr_array_index (kw, i + 1);
      guint64 progress;

      if (v == NULL)
        continue;
      if (strcmp (key, "PROGRESS") == 0)
        {
          if (!g_ascii_string_to_unsigned (v, 10, 0, 100, &progress, NULL))
            {
              gchar *shown = printable (v, -1);
              set_protocol_error (error, "bootstrap PROGRESS=“%s” is not 0–100", shown);
              g_free (shown);
              g_ptr_array_unref (kw);
              fh_torctl_bootstrap_clear (bootstrap);
              return FALSE;
            }
          bootstrap->progress = (gint) progress;
          have_progress = TRUE;
        }
      else if (strcmp (key, "TAG") == 0)
        {
          g_free (bootstrap->tag);
          bootstrap->tag = g_strdup (v);
        }
      else if (strcmp (key, "SUMMARY") == 0)
        {
          g_free (bootstrap->summary);
          bootstrap->summary = g_strdup (v);
        }
      else if (strcmp (key, "WARNING") == 0)
        {
          g_free (bootstrap->warning);
          bootstrap->warning = g_strdup (v);
        }
    }
  g_ptr_array_unref (kw);
  if (!have_progress)
    {
      set_protocol_error (error, "bootstrap phase has no PROGRESS=");
      fh_torctl_bootstrap_clear (bootstrap);
      return FALSE;
    }
  return TRUE;
}

/* --- onion services ------------------------------------------------------- */

static void
set_key_error (GError **error,
               const gchar *what,
               const gchar *problem)
{
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
               "refusing the onion service key in %s: %s; accepted: a Tor v3 key, "
               "“" FH_TORCTL_ONION_KEY_PREFIX "” and the base64 of %d bytes (as "
               "ADD_ONION returns it and Tahoe writes it)", what, problem,
               FH_TORCTL_ONION_KEY_LEN);
}

gchar *
fh_torctl_onion_key_encode (const guint8 key[FH_TORCTL_ONION_KEY_LEN])
{
  gchar *b64 = g_base64_encode (key, FH_TORCTL_ONION_KEY_LEN);
  gchar *blob = g_strconcat (FH_TORCTL_ONION_KEY_PREFIX, b64, NULL);

  memset (b64, 0, strlen (b64));
  g_free (b64);
  return blob;
}

gboolean
fh_torctl_onion_key_decode (const gchar *blob,
                            const gchar *what,
                            guint8 key[FH_TORCTL_ONION_KEY_LEN],
                            GError **error)
{
  static const gchar b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const gchar *start = blob;
  gsize len, n_data = 0, decoded_len = 0;
  guchar *decoded;
  gchar *text;

  while (g_ascii_isspace (*start))
    start++;
  len = strlen (start);
  while (len > 0 && g_ascii_isspace (start[len - 1]))
    len--;
  if (strncmp (start, FH_TORCTL_ONION_KEY_PREFIX, strlen (FH_TORCTL_ONION_KEY_PREFIX)) != 0)
    {
      set_key_error (error, what,
                     strncmp (start, "RSA1024:", 8) == 0
                       ? "it is an RSA1024 key of a version 2 onion service, which Tor "
                         "no longer supports"
                       : "it does not begin with “" FH_TORCTL_ONION_KEY_PREFIX "”");
      return FALSE;
    }
  start += strlen (FH_TORCTL_ONION_KEY_PREFIX);
  len -= strlen (FH_TORCTL_ONION_KEY_PREFIX);
  /* g_base64_decode() skips what is not base64: check it all first. */
  for (gsize i = 0; i < len; i++)
    {
      if (start[i] == '=' && i + 2 >= len && i >= len - 2)
        continue;
      if (start[i] == '\0' || strchr (b64_chars, start[i]) == NULL)
        {
          set_key_error (error, what, "it is not base64");
          return FALSE;
        }
      n_data++;
    }
  if (len % 4 != 0 || n_data * 3 / 4 != FH_TORCTL_ONION_KEY_LEN)
    {
      set_key_error (error, what, "its base64 does not hold exactly 64 bytes");
      return FALSE;
    }
  text = g_strndup (start, len);
  decoded = g_base64_decode (text, &decoded_len);
  memset (text, 0, len);
  g_free (text);
  if (decoded_len != FH_TORCTL_ONION_KEY_LEN)
    {
      memset (decoded, 0, decoded_len);
      g_free (decoded);
      set_key_error (error, what, "its base64 does not hold exactly 64 bytes");
      return FALSE;
    }
  memcpy (key, decoded, FH_TORCTL_ONION_KEY_LEN);
  memset (decoded, 0, decoded_len);
  g_free (decoded);
  return TRUE;
}

void
fh_torctl_secret_key_file_build (const guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                 guint8 out[FH_TORCTL_SECRET_KEY_FILE_LEN])
{
  memset (out, 0, FH_TORCTL_SECRET_KEY_HEADER_LEN);
  memcpy (out, FH_TORCTL_SECRET_KEY_HEADER, strlen (FH_TORCTL_SECRET_KEY_HEADER));
  memcpy (out + FH_TORCTL_SECRET_KEY_HEADER_LEN, key, FH_TORCTL_ONION_KEY_LEN);
}

gboolean
fh_torctl_secret_key_file_parse (const guint8 *data,
                                 gsize len,
                                 const gchar *what,
                                 guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                 GError **error)
{
  guint8 header[FH_TORCTL_SECRET_KEY_HEADER_LEN] = { 0, };

  memcpy (header, FH_TORCTL_SECRET_KEY_HEADER, strlen (FH_TORCTL_SECRET_KEY_HEADER));
  if (len != FH_TORCTL_SECRET_KEY_FILE_LEN)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                   "refusing the onion service key %s: it has %" G_GSIZE_FORMAT " bytes; "
                   "accepted: tor's hs_ed25519_secret_key of %d bytes (the header “"
                   FH_TORCTL_SECRET_KEY_HEADER "”, then a v3 key)", what, len,
                   FH_TORCTL_SECRET_KEY_FILE_LEN);
      return FALSE;
    }
  if (memcmp (data, header, sizeof header) != 0)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                   "refusing the onion service key %s: it does not begin with the header "
                   "“" FH_TORCTL_SECRET_KEY_HEADER "”; accepted: tor's "
                   "hs_ed25519_secret_key of a version 3 onion service", what);
      return FALSE;
    }
  memcpy (key, data + FH_TORCTL_SECRET_KEY_HEADER_LEN, FH_TORCTL_ONION_KEY_LEN);
  return TRUE;
}

gboolean
fh_torctl_service_id_is_valid (const gchar *id)
{
  if (id == NULL || strlen (id) != FH_TORCTL_SERVICE_ID_LEN)
    return FALSE;
  for (const gchar *c = id; *c != '\0'; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '2' && *c <= '7')))
      return FALSE;
  /* The last byte encoded is the version (3): the final character holds
   * its low bits and three zero bits of padding. */
  return id[FH_TORCTL_SERVICE_ID_LEN - 1] == 'd';
}

gchar *
fh_torctl_build_add_onion (const guint8 *key,
                           gboolean discard_pk,
                           guint16 virt_port,
                           const gchar *target)
{
  gchar *blob = key != NULL ? fh_torctl_onion_key_encode (key) : g_strdup ("NEW:ED25519-V3");
  gchar *line = g_strdup_printf ("ADD_ONION %s%s Port=%u,%s\r\n", blob,
                                 discard_pk ? " Flags=DiscardPK" : "",
                                 (guint) virt_port, target);

  memset (blob, 0, strlen (blob));
  g_free (blob);
  return line;
}

gboolean
fh_torctl_parse_add_onion (const FhTorReply *reply,
                           gchar **service_id,
                           guint8 key[FH_TORCTL_ONION_KEY_LEN],
                           gboolean *have_key,
                           GError **error)
{
  const gchar *id = NULL, *blob = NULL;

  g_return_val_if_fail (reply != NULL && service_id != NULL, FALSE);

  if (have_key != NULL)
    *have_key = FALSE;
  if (!fh_torctl_reply_check (reply, "ADD_ONION", error))
    return FALSE;
  for (guint i = 0; i < reply->lines->len; i++)
    {
      const gchar *line = g_ptr_array_index (reply->lines, i);

      if (g_str_has_prefix (line, "ServiceID="))
        {
          if (id != NULL)
            {
              set_protocol_error (error, "reply to ADD_ONION has two ServiceID lines");
              return FALSE;
            }
          id = line + strlen ("ServiceID=");
        }
      else if (g_str_has_prefix (line, "PrivateKey="))
        {
          if (blob != NULL)
            {
              set_protocol_error (error, "reply to ADD_ONION has two PrivateKey lines");
              return FALSE;
            }
          blob = line + strlen ("PrivateKey=");
        }
    }
  if (id == NULL || !fh_torctl_service_id_is_valid (id))
    {
      set_protocol_error (error, "reply to ADD_ONION has %s; expected “ServiceID=” and 56 "
                          "base32 characters of a version 3 onion service",
                          id == NULL ? "no ServiceID line" : "a malformed ServiceID");
      return FALSE;
    }
  if (blob != NULL)
    {
      GError *local = NULL;

      if (key == NULL)
        {
          set_protocol_error (error, "reply to ADD_ONION has a PrivateKey line, though "
                              "none was asked for");
          return FALSE;
        }
      if (!fh_torctl_onion_key_decode (blob, "tor's reply to ADD_ONION", key, &local))
        {
          set_protocol_error (error, "%s", local->message);
          g_error_free (local);
          return FALSE;
        }
      if (have_key != NULL)
        *have_key = TRUE;
    }
  *service_id = g_strdup (id);
  return TRUE;
}

gchar *
fh_torctl_build_del_onion (const gchar *service_id)
{
  return g_strdup_printf ("DEL_ONION %s\r\n", service_id);
}
