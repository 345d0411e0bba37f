/* The Foolscap corpora: furlhint_foolscap_verdict_json() must reproduce
 * Foolscap 21.7's verdict on every line, byte for byte.
 *
 * - hints-public.*: the hand-picked corpus, a verbatim copy of the one
 *   provided beside the checkout (test_corpus_shared_copy() checks that
 *   when it finds it, and skips when it does not);
 * - hints-generated.*: ~2000 seeded-random and systematic inputs whose
 *   verdicts tests/foolscap-oracle.py took from the real Foolscap.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/furlhint.h>

/* The corpus README's input rules: one input per line with only its
 * final "\n" removed; empty lines and lines starting with '#' skipped. */
static GPtrArray *
read_inputs (const gchar *path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *error = NULL;
  GPtrArray *inputs = g_ptr_array_new_with_free_func (g_free);
  gchar **lines;
  gsize n, i;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (contents), ==, len);

  lines = g_strsplit (contents, "\n", -1);
  n = g_strv_length (lines);
  /* A final "\n" leaves one empty element, which is no input. */
  for (i = 0; i < n; i++)
    {
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      g_ptr_array_add (inputs, g_strdup (lines[i]));
    }
  g_strfreev (lines);
  g_free (contents);
  return inputs;
}

static GPtrArray *
read_expected (const gchar *path)
{
  gchar *contents = NULL;
  GError *error = NULL;
  GPtrArray *expected = g_ptr_array_new_with_free_func (g_free);
  gchar **lines;
  gsize i;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (contents, "\n"));
  contents[strlen (contents) - 1] = '\0';
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    g_ptr_array_add (expected, g_strdup (lines[i]));
  g_strfreev (lines);
  g_free (contents);
  return expected;
}

/* Removes every `,"lint":[...]` member.  The pattern cannot occur inside
 * a JSON string (its quotes would be escaped), and a lint array holds
 * only strings. */
static gchar *
strip_lint (const gchar *json)
{
  static const gchar key[] = ",\"lint\":[";
  GString *out = g_string_new (NULL);
  const gchar *p = json;

  while (*p != '\0')
    {
      if (strncmp (p, key, sizeof key - 1) == 0)
        {
          gboolean in_string = FALSE;

          p += sizeof key - 1;
          while (*p != '\0' && (in_string || *p != ']'))
            {
              if (in_string && *p == '\\' && p[1] != '\0')
                p++;
              else if (*p == '"')
                in_string = !in_string;
              p++;
            }
          g_assert_cmpint (*p, ==, ']');
          p++;
          continue;
        }
      g_string_append_c (out, *p);
      p++;
    }
  return g_string_free (out, FALSE);
}

static void
check_corpus (const gchar *stem)
{
  gchar *txt_name = g_strconcat (stem, ".txt", NULL);
  gchar *jsonl_name = g_strconcat (stem, ".expected.jsonl", NULL);
  gchar *txt = g_test_build_filename (G_TEST_DIST, "data", txt_name, NULL);
  gchar *jsonl = g_test_build_filename (G_TEST_DIST, "data", jsonl_name, NULL);
  GPtrArray *inputs = read_inputs (txt);
  GPtrArray *expected = read_expected (jsonl);
  guint i;

  g_assert_cmpuint (inputs->len, >, 0);
  g_assert_cmpuint (inputs->len, ==, expected->len);

  for (i = 0; i < inputs->len; i++)
    {
      const gchar *input = g_ptr_array_index (inputs, i);
      const gchar *want = g_ptr_array_index (expected, i);
      gchar *got = furlhint_foolscap_verdict_json (input, FALSE);
      gchar *with_lint = furlhint_foolscap_verdict_json (input, TRUE);
      gchar *stripped = strip_lint (with_lint);

      if (strcmp (got, want) != 0)
        g_test_message ("%s: input %u differs:\n  input:    %s\n  expected: %s\n  got:      %s",
                        txt_name, i + 1, input, want, got);
      g_assert_cmpstr (got, ==, want);

      /* The lint keys only add to Foolscap's view. */
      if (strcmp (stripped, want) != 0)
        g_test_message ("%s: input %u with lint differs:\n  input:    %s\n  expected: %s\n"
                        "  got:      %s", txt_name, i + 1, input, want, with_lint);
      g_assert_cmpstr (stripped, ==, want);
      g_assert_nonnull (strstr (with_lint, "\"lint\":["));

      g_free (got);
      g_free (with_lint);
      g_free (stripped);
    }

  g_ptr_array_unref (inputs);
  g_ptr_array_unref (expected);
  g_free (txt);
  g_free (jsonl);
  g_free (txt_name);
  g_free (jsonl_name);
}

static void
test_corpus_public (void)
{
  check_corpus ("hints-public");
}

static void
test_corpus_generated (void)
{
  check_corpus ("hints-generated");
}

/* tests/data/hints-public.* (and the README, when both sides have one)
 * must stay a verbatim copy of the corpus they were taken from, which is
 * provided beside the checkout, not in it: shared/corpus next to the
 * source tree (G_TEST_SRCDIR is its tests/, hence ../..), or
 * /work/shared/corpus where the development machines keep it. Without
 * either the test skips; every other test reads only the copy in
 * tests/data. */
static void
test_corpus_shared_copy (void)
{
  const gchar *srcdir = g_getenv ("G_TEST_SRCDIR");
  gchar *candidates[3] = { NULL, NULL, NULL };
  const gchar *shared = NULL;
  static const gchar *const files[] = {
    "hints-public.txt", "hints-public.expected.jsonl", "README.md",
  };
  gsize i;

  if (srcdir != NULL)
    candidates[0] = g_build_filename (srcdir, "..", "..", "shared", "corpus", NULL);
  candidates[1] = g_strdup ("/work/shared/corpus");
  for (i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (candidates[i] != NULL && shared == NULL &&
        g_file_test (candidates[i], G_FILE_TEST_IS_DIR))
      shared = candidates[i];

  if (shared == NULL)
    {
      g_test_skip ("no shared corpus directory beside the source tree");
      goto out;
    }

  for (i = 0; i < G_N_ELEMENTS (files); i++)
    {
      gchar *ours = g_test_build_filename (G_TEST_DIST, "data", files[i], NULL);
      gchar *theirs = g_build_filename (shared, files[i], NULL);
      gchar *a = NULL, *b = NULL;
      gsize alen = 0, blen = 0;
      GError *error = NULL;

      /* The README is only compared when both sides have it. */
      if (i < 2 || (g_file_test (ours, G_FILE_TEST_EXISTS) &&
                    g_file_test (theirs, G_FILE_TEST_EXISTS)))
        {
          g_file_get_contents (ours, &a, &alen, &error);
          g_assert_no_error (error);
          g_file_get_contents (theirs, &b, &blen, &error);
          g_assert_no_error (error);
          if (alen != blen || memcmp (a, b, alen) != 0)
            g_test_message ("%s differs from %s", ours, theirs);
          g_assert_cmpmem (a, alen, b, blen);
        }
      g_free (a);
      g_free (b);
      g_free (ours);
      g_free (theirs);
    }

out:
  for (i = 0; i < G_N_ELEMENTS (candidates); i++)
    g_free (candidates[i]);
}

/* The JSON lines also hold up to a structural reading (the README says to
 * compare parsed values; we compare bytes, which is stricter, but check
 * here that a large integer port stays a bare integer). */
static void
test_corpus_big_port (void)
{
  gchar *got = furlhint_foolscap_verdict_json ("tcp:h:" "000123456789012345678901234567890", FALSE);

  g_assert_cmpstr (got, ==,
                   "{\"input\":\"tcp:h:000123456789012345678901234567890\",\"hint\":{"
                   "\"hint\":\"tcp:h:000123456789012345678901234567890\","
                   "\"canonical\":\"tcp:h:000123456789012345678901234567890\",\"type\":\"tcp\","
                   "\"tcp\":[\"h\",123456789012345678901234567890],"
                   "\"tor\":[\"h\",123456789012345678901234567890],\"i2p\":null,"
                   "\"tcp_error\":null,\"tor_error\":null,\"i2p_error\":\"unrecognized I2P hint\"}}");
  g_free (got);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/corpus/public", test_corpus_public);
  g_test_add_func ("/corpus/generated", test_corpus_generated);
  g_test_add_func ("/corpus/shared-copy-identical", test_corpus_shared_copy);
  g_test_add_func ("/corpus/big-port", test_corpus_big_port);

  return g_test_run ();
}
