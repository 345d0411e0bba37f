/* Foolscap's verdict on one corpus input line, as the corpus JSON.
 *
 * This is Foolscap's view only (decode_furl(), convert_legacy_hint() and
 * the three handlers' hint parsing), never furlhint's NURL reading: the
 * output must equal tests/data/hints-public.expected.jsonl byte for byte.
 * furlhint's own judgement goes into the optional "lint" keys, after the
 * keys of the schema.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "foolscap-hint.h"
#include "hint-private.h"
#include "json-writer.h"

static void
append_lint (GString            *out,
             const gchar *const *lint)
{
  gsize i;

  g_string_append_c (out, ',');
  fh_json_append_key (out, "lint");
  g_string_append_c (out, '[');
  for (i = 0; lint != NULL && lint[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      fh_json_append_string (out, lint[i]);
    }
  g_string_append_c (out, ']');
}

/* "tcp":[host,port] or null; the port is a bare JSON integer of any
 * length, null when absent (i2p only). */
static void
append_view (GString              *out,
             const gchar          *key,
             gboolean              ok,
             const FhFoolscapAddr *addr)
{
  fh_json_append_key (out, key);
  if (!ok)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '[');
  fh_json_append_string (out, addr->host);
  g_string_append_c (out, ',');
  g_string_append (out, addr->port != NULL ? addr->port : "null");
  g_string_append_c (out, ']');
}

static void
append_hint (GString     *out,
             const gchar *text,
             gboolean     with_lint)
{
  FurlHintHint *hint = furlhint_hint_new (text);
  FhFoolscapAddr tcp = { NULL, NULL, FALSE }, tor = { NULL, NULL, FALSE }, i2p = { NULL, NULL, FALSE };
  gchar *tcp_error = NULL, *tor_error = NULL, *i2p_error = NULL;
  gboolean tcp_ok, tor_ok, i2p_ok;

  tcp_ok = fh_foolscap_match_tcp (hint->canonical, &tcp, &tcp_error);
  tor_ok = fh_foolscap_match_tor (hint->canonical, &tor, &tor_error);
  i2p_ok = fh_foolscap_match_i2p (hint->canonical, &i2p, &i2p_error);

  g_string_append_c (out, '{');
  fh_json_append_key (out, "hint");
  fh_json_append_string (out, hint->text);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "canonical");
  fh_json_append_string (out, hint->canonical);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "type");
  fh_json_append_string (out, hint->type);
  g_string_append_c (out, ',');
  append_view (out, "tcp", tcp_ok, &tcp);
  g_string_append_c (out, ',');
  append_view (out, "tor", tor_ok, &tor);
  g_string_append_c (out, ',');
  append_view (out, "i2p", i2p_ok, &i2p);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tcp_error");
  fh_json_append_string (out, tcp_error);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "tor_error");
  fh_json_append_string (out, tor_error);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "i2p_error");
  fh_json_append_string (out, i2p_error);
  if (with_lint)
    append_lint (out, furlhint_hint_get_lint (hint));
  g_string_append_c (out, '}');

  fh_foolscap_addr_clear (&tcp);
  fh_foolscap_addr_clear (&tor);
  fh_foolscap_addr_clear (&i2p);
  g_free (tcp_error);
  g_free (tor_error);
  g_free (i2p_error);
  furlhint_hint_free (hint);
}

static void
append_furl_failure (GString     *out,
                     const gchar *input,
                     const gchar *code,
                     gboolean     with_lint)
{
  g_string_append_c (out, '{');
  fh_json_append_key (out, "input");
  fh_json_append_string (out, input);
  g_string_append (out, ",\"ok\":false,");
  fh_json_append_key (out, "error");
  fh_json_append_string (out, code);
  g_string_append (out, ",\"tubid\":null,\"name\":null,\"hints\":[]");
  if (with_lint)
    append_lint (out, NULL);
  g_string_append_c (out, '}');
}

/* `"pb://" in line.lower()`: no non-ASCII character lowers to any of
 * "pb:/", so an ASCII case-insensitive search is exact. */
static gboolean
looks_like_furl (const gchar *input)
{
  const gchar *p;

  for (p = input; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, "pb://", 5) == 0)
      return TRUE;
  return FALSE;
}

gchar *
furlhint_foolscap_verdict_json (const gchar *input,
                                gboolean     with_lint)
{
  GString *out;
  FhDecodedFurl decoded;
  GError *error = NULL;
  gchar **h;

  g_return_val_if_fail (input != NULL, NULL);

  out = g_string_new (NULL);

  if (!g_utf8_validate (input, -1, NULL))
    {
      /* Not in any corpus (Python reads text): report the reserved code
       * with the input made printable. */
      gchar *valid = g_utf8_make_valid (input, -1);

      append_furl_failure (out, valid, furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_NOT_UTF8),
                           with_lint);
      g_free (valid);
      return g_string_free (out, FALSE);
    }

  if (!looks_like_furl (input))
    {
      g_string_append_c (out, '{');
      fh_json_append_key (out, "input");
      fh_json_append_string (out, input);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hint");
      append_hint (out, input, with_lint);
      g_string_append_c (out, '}');
      return g_string_free (out, FALSE);
    }

  if (!fh_foolscap_decode_furl (input, &decoded, &error))
    {
      append_furl_failure (out, input, furlhint_furl_error_code_name (error->code), with_lint);
      g_error_free (error);
      return g_string_free (out, FALSE);
    }

  g_string_append_c (out, '{');
  fh_json_append_key (out, "input");
  fh_json_append_string (out, input);
  g_string_append (out, ",\"ok\":true,\"error\":null,");
  fh_json_append_key (out, "tubid");
  fh_json_append_string (out, decoded.tubid);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "name");
  fh_json_append_string (out, decoded.name);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "hints");
  g_string_append_c (out, '[');
  for (h = decoded.hints; *h != NULL; h++)
    {
      if (h != decoded.hints)
        g_string_append_c (out, ',');
      append_hint (out, *h, with_lint);
    }
  g_string_append_c (out, ']');
  if (with_lint)
    {
      gchar **lint = fh_decoded_furl_lint (input, &decoded);

      append_lint (out, (const gchar *const *) lint);
      g_strfreev (lint);
    }
  g_string_append_c (out, '}');
  fh_decoded_furl_clear (&decoded);
  return g_string_free (out, FALSE);
}
