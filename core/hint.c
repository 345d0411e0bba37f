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
  accepted = fh_foolscap_match_tcp (canonical, &addr, NULL) ||
             fh_foolscap_match_tor (canonical, &addr, NULL) ||
             fh_foolscap_match_i2p (canonical, &addr, NULL);
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
  fh_foolscap_addr_clear (&addr);

  g_ptr_array_add (lint, NULL);
  return (gchar **) g_ptr_array_free (lint, FALSE);
}

gchar *
fh_hint_init (FurlHintHint *hint,
              const gchar  *text,
              gsize         len,
              gchar        *strings)
{
  gchar *canonical;
  gsize canonical_len, type_len;

  memcpy (strings, text, len);
  strings[len] = '\0';
  hint->text = strings;

  canonical = strings + len + 1;
  canonical_len = fh_foolscap_write_canonical (text, len, canonical, &type_len);
  hint->canonical = canonical;
  strings = canonical + canonical_len + 1;

  if (type_len != G_MAXSIZE)
    {
      memcpy (strings, canonical, type_len);
      strings[type_len] = '\0';
      hint->type = strings;
      strings += type_len + 1;
    }
  else
    hint->type = NULL;

  hint->lint = NULL;
  return strings;
}

void
fh_hint_clear (FurlHintHint *hint)
{
  g_strfreev (hint->lint);
  hint->lint = NULL;
}

FurlHintHint *
furlhint_hint_new (const gchar *text)
{
  FurlHintHint *hint;
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  hint = g_malloc (sizeof (FurlHintHint) + _FURLHINT_HINT_STRINGS_SIZE (len));
  fh_hint_init (hint, text, len, (gchar *) (hint + 1));
  return hint;
}

FurlHintHint *
furlhint_hint_copy (const FurlHintHint *hint)
{
  gsize text_len, canonical_len, type_len;
  FurlHintHint *copy;
  gchar *p;

  g_return_val_if_fail (hint != NULL, NULL);

  text_len = strlen (hint->text) + 1;
  canonical_len = strlen (hint->canonical) + 1;
  type_len = hint->type != NULL ? strlen (hint->type) + 1 : 0;
  copy = g_malloc (sizeof (FurlHintHint) + text_len + canonical_len + type_len);
  p = (gchar *) (copy + 1);
  copy->text = memcpy (p, hint->text, text_len);
  p += text_len;
  copy->canonical = memcpy (p, hint->canonical, canonical_len);
  p += canonical_len;
  copy->type = hint->type != NULL ? memcpy (p, hint->type, type_len) : NULL;
  copy->lint = NULL;
  return copy;
}

void
furlhint_hint_free (FurlHintHint *hint)
{
  if (hint == NULL)
    return;
  fh_hint_clear (hint);
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
  FurlHintHint *mutable_hint = (FurlHintHint *) hint;
  gchar **lint;

  g_return_val_if_fail (hint != NULL, NULL);

  /* Computed on first use: parsing a FURL is hot (a node parses every
   * announcement), the lint is read only when something is refused or
   * shown. Hints are shared between threads through their FURL, so the
   * first computed strv is published atomically and any other is
   * dropped; all are equal. */
  lint = g_atomic_pointer_get (&mutable_hint->lint);
  if (lint == NULL)
    {
      lint = compute_lint (hint->text, hint->canonical);
      if (!g_atomic_pointer_compare_and_exchange (&mutable_hint->lint, NULL, lint))
        {
          g_strfreev (lint);
          lint = g_atomic_pointer_get (&mutable_hint->lint);
        }
    }
  return (const gchar *const *) lint;
}
