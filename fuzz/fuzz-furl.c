/* FURL/NURL parser, and the differential check: parse → serialize →
 * parse gives an equal FURL, and serializing that gives the same text.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_glib ();
  return 0;
}

static void
assert_same_furl (FurlHintFurl *a,
                  FurlHintFurl *b)
{
  guint i;

  FUZZ_ASSERT (furlhint_furl_get_kind (a) == furlhint_furl_get_kind (b));
  FUZZ_ASSERT (furlhint_furl_get_network (a) == furlhint_furl_get_network (b));
  FUZZ_ASSERT (furlhint_furl_get_nurl_version (a) == furlhint_furl_get_nurl_version (b));
  FUZZ_ASSERT (g_strcmp0 (furlhint_furl_get_tubid (a), furlhint_furl_get_tubid (b)) == 0);
  FUZZ_ASSERT (g_strcmp0 (furlhint_furl_get_name (a), furlhint_furl_get_name (b)) == 0);
  FUZZ_ASSERT (furlhint_furl_get_n_hints (a) == furlhint_furl_get_n_hints (b));
  for (i = 0; i < furlhint_furl_get_n_hints (a); i++)
    {
      const FurlHintHint *ha = furlhint_furl_get_hint (a, i);
      const FurlHintHint *hb = furlhint_furl_get_hint (b, i);

      FUZZ_ASSERT (g_strcmp0 (furlhint_hint_get_text (ha), furlhint_hint_get_text (hb)) == 0);
      FUZZ_ASSERT (g_strcmp0 (furlhint_hint_get_canonical (ha), furlhint_hint_get_canonical (hb)) == 0);
      FUZZ_ASSERT (g_strcmp0 (furlhint_hint_get_hint_type (ha), furlhint_hint_get_hint_type (hb)) == 0);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = fuzz_strndup (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *out2 = NULL;
  FurlHintFurl *furl, *again;
  const gchar *const *lint;
  guint i;

  if (text == NULL)
    return 0;

  furl = furlhint_furl_parse (text, &error);
  if (furl == NULL)
    {
      FUZZ_ASSERT_ERROR (error, FURLHINT_FURL_ERROR);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);

  for (lint = furlhint_furl_get_lint (furl); *lint != NULL; lint++)
    FUZZ_ASSERT (**lint != '\0');
  for (i = 0; i < furlhint_furl_get_n_hints (furl); i++)
    {
      const FurlHintHint *hint = furlhint_furl_get_hint (furl, i);

      FUZZ_ASSERT (furlhint_hint_get_text (hint) != NULL);
      FUZZ_ASSERT (furlhint_hint_get_canonical (hint) != NULL);
      FUZZ_ASSERT (furlhint_hint_get_lint (hint) != NULL);
    }

  out = furlhint_furl_to_string (furl);
  again = furlhint_furl_parse (out, &error2);
  if (again == NULL)
    {
      g_printerr ("input:  %s\nserialized: %s\nreparse error: %s\n", text, out, error2->message);
      FUZZ_ASSERT (!"parse(to_string(parse(x))) failed");
    }
  assert_same_furl (furl, again);
  out2 = furlhint_furl_to_string (again);
  FUZZ_ASSERT (g_strcmp0 (out, out2) == 0);

  furlhint_furl_unref (again);
  furlhint_furl_unref (furl);
  return 0;
}
