/* Tiny JSON output helpers, escaping exactly as Python's
 * json.dumps(ensure_ascii=False) does, so that our verdicts compare byte
 * for byte with the Foolscap corpus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "json-writer.h"

#include <string.h>

void
fh_json_append_string (GString     *out,
                       const gchar *utf8)
{
  const gchar *p;

  g_return_if_fail (out != NULL);

  if (utf8 == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (p = utf8; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        default:
          /* Python leaves DEL and everything non-ASCII raw. */
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", (guint) c);
          else
            g_string_append_c (out, (gchar) c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

/* The next character of @p (before @end): its code point, or -1 for a
 * byte that does not start a valid UTF-8 sequence. *@next is set past it. */
static gint32
next_char (const gchar  *p,
           const gchar  *end,
           const gchar **next)
{
  gunichar c;

  if ((guchar) *p < 0x80)
    {
      *next = p + 1;
      return (guchar) *p;
    }
  c = g_utf8_get_char_validated (p, end - p);
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      *next = p + 1;
      return -1;
    }
  *next = g_utf8_next_char (p);
  return (gint32) c;
}

void
fh_json_append_text (GString     *out,
                     const gchar *text)
{
  const gchar *p, *end, *next;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  end = text + strlen (text);
  g_string_append_c (out, '"');
  for (p = text; p < end; p = next)
    {
      gint32 c = next_char (p, end, &next);

      if (c < 0)
        g_string_append (out, "\\ufffd");
      else if (c == '"')
        g_string_append (out, "\\\"");
      else if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        g_string_append_printf (out, "\\u%04x", (guint) c);
      else
        g_string_append_len (out, p, next - p);
    }
  g_string_append_c (out, '"');
}

void
fh_text_append_escaped (GString     *out,
                        const gchar *text,
                        gssize       len,
                        gboolean     keep_newlines)
{
  const gchar *p, *end, *next;

  g_return_if_fail (out != NULL);
  g_return_if_fail (text != NULL || len <= 0);

  if (text == NULL)
    return;
  end = text + (len < 0 ? strlen (text) : (gsize) len);
  for (p = text; p < end; p = next)
    {
      gint32 c = next_char (p, end, &next);

      if (c < 0 || (c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
      else if (c >= 0x80 && c <= 0x9f)
        g_string_append_printf (out, "\\u%04x", (guint) c);
      else
        g_string_append_len (out, p, next - p);
    }
}

gchar *
fh_text_escape (const gchar *text,
                gssize       len)
{
  GString *out = g_string_new (NULL);

  fh_text_append_escaped (out, text, len, FALSE);
  return g_string_free (out, FALSE);
}

void
fh_json_append_key (GString     *out,
                    const gchar *key)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (key != NULL);

  fh_json_append_string (out, key);
  g_string_append_c (out, ':');
}

void
fh_json_append_bool (GString  *out,
                     gboolean  value)
{
  g_return_if_fail (out != NULL);

  g_string_append (out, value ? "true" : "false");
}
