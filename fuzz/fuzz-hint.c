/* One bare hint: furlhint's hint object, Foolscap's view through each of
 * the three handlers, and the verdict JSON (with and without lint) — and
 * the same verdict for the input taken as a FURL line.
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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = fuzz_strndup (data, size);
  FurlHintHint *hint, *copy;
  const gchar *canonical, *type;
  guint h;

  if (text == NULL)
    return 0;

  hint = furlhint_hint_new (text);
  canonical = furlhint_hint_get_canonical (hint);
  type = furlhint_hint_get_hint_type (hint);
  FUZZ_ASSERT (canonical != NULL);
  FUZZ_ASSERT (g_strcmp0 (furlhint_hint_get_text (hint), text) == 0);
  FUZZ_ASSERT (type == NULL || g_str_has_prefix (canonical, type));
  FUZZ_ASSERT (furlhint_hint_get_lint (hint) != NULL);

  for (h = FURLHINT_FOOLSCAP_TCP; h <= FURLHINT_FOOLSCAP_I2P; h++)
    {
      g_autofree gchar *host = NULL;
      g_autofree gchar *port = NULL;
      g_autofree gchar *message = NULL;

      if (furlhint_foolscap_parse_hint (canonical, h, &host, &port, &message))
        {
          FUZZ_ASSERT (host != NULL);
          FUZZ_ASSERT (message == NULL);
          FUZZ_ASSERT (h == FURLHINT_FOOLSCAP_I2P || port != NULL);
        }
      else
        FUZZ_ASSERT (message != NULL && message[0] != '\0');
    }

  copy = furlhint_hint_copy (hint);
  FUZZ_ASSERT (g_strcmp0 (furlhint_hint_get_canonical (copy), canonical) == 0);
  furlhint_hint_free (copy);
  furlhint_hint_free (hint);

  {
    g_autofree gchar *json = furlhint_foolscap_verdict_json (text, FALSE);
    g_autofree gchar *json_lint = furlhint_foolscap_verdict_json (text, TRUE);

    FUZZ_ASSERT (json != NULL && json[0] == '{' && g_str_has_suffix (json, "}"));
    FUZZ_ASSERT (json_lint != NULL && json_lint[0] == '{' && g_str_has_suffix (json_lint, "}"));
    FUZZ_ASSERT (strchr (json, '\n') == NULL);
  }
  return 0;
}
