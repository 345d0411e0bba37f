/* FurlHintHint: one connection hint, its canonical form and furlhint's
 * warnings about it.
 *
 * The lint is derived from Foolscap's own views of the hint (the tcp, tor
 * and i2p handlers): whatever one of them would accept but furlhint will
 * never connect to gets a sentence here, and the ranker/plugins refuse it
 * with a code.  No I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "foolscap-hint.h"
#include "hint-private.h"

static gboolean
has_outer_space (const gchar *text)
{
  const gchar *last;

  if (*text == '\0' || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  last = g_utf8_prev_char (text + strlen (text));
  return g_unichar_isspace (g_utf8_get_char (text)) ||
         g_unichar_isspace (g_utf8_get_char (last));
}

static gboolean
is_ascii (const gchar *s)
{
  for (; *s != '\0'; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

static gchar **
compute_lint (const gchar *text,
              const gchar *canonical)
{
  GPtrArray *lint = g_ptr_array_new ();
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  gboolean accepted;

  if (has_outer_space (text))
    g_ptr_array_add (lint, g_strdup ("leading or trailing whitespace in hint"));

  /* The three handlers agree on host and port whenever more than one of
   * them accepts a hint (their patterns split it at the same colons), so
   * the first view that accepts is the one to judge. */
  accepted = _furlhint_foolscap_match_tcp (canonical, &addr, NULL) ||
             _furlhint_foolscap_match_tor (canonical, &addr, NULL) ||
             _furlhint_foolscap_match_i2p (canonical, &addr, NULL);
  if (accepted)
    {
      if (!is_ascii (addr.host))
        g_ptr_array_add (lint, g_strdup_printf ("host %s written with non-ASCII digits",
                                                addr.host));
      if (addr.port != NULL)
        {
          if (addr.port_non_ascii)
            g_ptr_array_add (lint, g_strdup ("port written with non-ASCII digits"));
          if (strcmp (addr.port, "0") == 0)
            g_ptr_array_add (lint, g_strdup ("port 0 cannot be connected to (accepted: 1-65535)"));
          else if (strlen (addr.port) > 5 || g_ascii_strtoull (addr.port, NULL, 10) > 65535)
            g_ptr_array_add (lint, g_strdup_printf ("port %s is above 65535", addr.port));
        }
    }
  _furlhint_foolscap_addr_clear (&addr);

  g_ptr_array_add (lint, NULL);
  return (gchar **) g_ptr_array_free (lint, FALSE);
}

FurlHintHint *
furlhint_hint_new (const gchar *text)
{
  FurlHintHint *hint;
  const gchar *colon;

  g_return_val_if_fail (text != NULL, NULL);

  hint = g_new0 (FurlHintHint, 1);
  hint->text = g_strdup (text);
  hint->canonical = _furlhint_foolscap_convert_legacy (text);
  colon = strchr (hint->canonical, ':');
  hint->type = colon != NULL ? g_strndup (hint->canonical, (gsize) (colon - hint->canonical)) : NULL;
  hint->lint = compute_lint (hint->text, hint->canonical);
  return hint;
}

FurlHintHint *
furlhint_hint_copy (const FurlHintHint *hint)
{
  FurlHintHint *copy;

  g_return_val_if_fail (hint != NULL, NULL);

  copy = g_new0 (FurlHintHint, 1);
  copy->text = g_strdup (hint->text);
  copy->canonical = g_strdup (hint->canonical);
  copy->type = g_strdup (hint->type);
  copy->lint = g_strdupv (hint->lint);
  return copy;
}

void
furlhint_hint_free (FurlHintHint *hint)
{
  if (hint == NULL)
    return;
  g_free (hint->text);
  g_free (hint->canonical);
  g_free (hint->type);
  g_strfreev (hint->lint);
  g_free (hint);
}

const gchar *
furlhint_hint_get_text (const FurlHintHint *hint)
{
  g_return_val_if_fail (hint != NULL, NULL);
  return hint->text;
}

const gchar *
furlhint_hint_get_canonical (const FurlHintHint *hint)
{
  g_return_val_if_fail (hint != NULL, NULL);
  return hint->canonical;
}

const gchar *
furlhint_hint_get_hint_type (const FurlHintHint *hint)
{
  g_return_val_if_fail (hint != NULL, NULL);
  return hint->type;
}

const gchar *const *
furlhint_hint_get_lint (const FurlHintHint *hint)
{
  g_return_val_if_fail (hint != NULL, NULL);
  return (const gchar *const *) hint->lint;
}
