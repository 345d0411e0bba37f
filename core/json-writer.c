/* Tiny JSON output helpers, escaping exactly as Python's
 * json.dumps(ensure_ascii=False) does, so that our verdicts compare byte
 * for byte with the Foolscap corpus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "json-writer.h"

void
_furlhint_json_append_string (GString     *out,
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

void
_furlhint_json_append_key (GString     *out,
                           const gchar *key)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (key != NULL);

  _furlhint_json_append_string (out, key);
  g_string_append_c (out, ':');
}

void
_furlhint_json_append_bool (GString  *out,
                            gboolean  value)
{
  g_return_if_fail (out != NULL);

  g_string_append (out, value ? "true" : "false");
}
