/* FurlHintFurl, FurlHintHint and the Foolscap view: FURLs, NURLs, error
 * codes and messages, lint, round trips, odd bytes and big inputs.
 *
 * Expected values were taken from the real Foolscap 21.7 / Python 3.11
 * (tests/foolscap-oracle.py) where Foolscap has an opinion.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/furlhint.h>

#include "foolscap-hint.h"

#define TUBID "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define KELVIN "\xe2\x84\xaa"

static guint
strv_len (const gchar *const *v)
{
  return g_strv_length ((gchar **) v);
}

static void
assert_lint (const gchar *const *lint,
             const gchar *const *want)
{
  guint i;

  g_assert_nonnull (lint);
  for (i = 0; want[i] != NULL; i++)
    {
      g_assert_nonnull (lint[i]);
      g_assert_cmpstr (lint[i], ==, want[i]);
    }
  g_assert_null (lint[i]);
}

static const gchar *const no_lint[] = { NULL };

/* --- FURLs ------------------------------------------------------------------ */

static void
test_furl_basic (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;
  const FurlHintHint *hint;

  furl = furlhint_furl_parse ("pb://" TUBID "@tcp:example.org:44801,192.168.1.10:5555,"
                              "tor:abc.onion:80/ce6rpdlmb7jzah7shgq2bfpsb6jzkzim", &error);
  g_assert_no_error (error);
  g_assert_nonnull (furl);
  g_assert_cmpint (furlhint_furl_get_kind (furl), ==, FURLHINT_FURL_KIND_FURL);
  g_assert_cmpint (furlhint_furl_get_network (furl), ==, FURLHINT_NETWORK_ANY);
  g_assert_cmpuint (furlhint_furl_get_nurl_version (furl), ==, 0);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, TUBID);
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "ce6rpdlmb7jzah7shgq2bfpsb6jzkzim");
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, 3);
  assert_lint (furlhint_furl_get_lint (furl), no_lint);

  hint = furlhint_furl_get_hint (furl, 0);
  g_assert_cmpstr (furlhint_hint_get_text (hint), ==, "tcp:example.org:44801");
  g_assert_cmpstr (furlhint_hint_get_canonical (hint), ==, "tcp:example.org:44801");
  g_assert_cmpstr (furlhint_hint_get_hint_type (hint), ==, "tcp");
  assert_lint (furlhint_hint_get_lint (hint), no_lint);

  hint = furlhint_furl_get_hint (furl, 1);
  g_assert_cmpstr (furlhint_hint_get_text (hint), ==, "192.168.1.10:5555");
  g_assert_cmpstr (furlhint_hint_get_canonical (hint), ==, "tcp:192.168.1.10:5555");
  g_assert_cmpstr (furlhint_hint_get_hint_type (hint), ==, "tcp");

  hint = furlhint_furl_get_hint (furl, 2);
  g_assert_cmpstr (furlhint_hint_get_hint_type (hint), ==, "tor");

  g_assert_true (furlhint_furl_ref (furl) == furl);
  furlhint_furl_unref (furl);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, TUBID);
  furlhint_furl_unref (furl);
  furlhint_furl_unref (NULL);
}

static void
test_furl_no_hints (void)
{
  GError *error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse ("pb://" TUBID "@/no-hints-at-all", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, 0);
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "no-hints-at-all");
  furlhint_furl_unref (furl);
}

static void
test_furl_unanchored (void)
{
  GError *error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse ("see pb://" TUBID "EXTRA@/n", &error);
  const gchar *const want[] = {
    "text before \"pb://\" is ignored: 'see '",
    "tub ID is longer than 32 characters; Foolscap ignores the rest: 'EXTRA'",
    NULL
  };

  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, TUBID);
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "n");
  assert_lint (furlhint_furl_get_lint (furl), want);
  furlhint_furl_unref (furl);
}

static void
test_furl_second_occurrence (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;

  /* The first "pb://" cannot match (a "\n" inside the name that is not
   * final), the second does. */
  furl = furlhint_furl_parse ("pb://" TUBID "@tcp:h:1/na\nme pb://" TUBID "@h:2/m", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, 1);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==, "tcp:h:2");
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "m");
  furlhint_furl_unref (furl);

  /* ...but when the first one matches, its (bad) tub ID is the verdict. */
  furl = furlhint_furl_parse ("pb://x pb://" TUBID "@tcp:h:1/n", &error);
  g_assert_null (furl);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_TUBID);
  g_assert_true (g_str_has_prefix (error->message,
                                   "'x pb://klzcmzngbqjnfciylwkq52ebg' is not a valid tubid ("));
  g_clear_error (&error);
}

static void
test_furl_newlines (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;
  const gchar *const want[] = { "the newline after the name is ignored", NULL };
  const gchar *const hint_want[] = { "leading or trailing whitespace in hint", NULL };

  furl = furlhint_furl_parse ("pb://" TUBID "@tcp:h:1\n,x/name\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, 2);
  g_assert_cmpstr (furlhint_hint_get_text (furlhint_furl_get_hint (furl, 0)), ==, "tcp:h:1\n");
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "name");
  assert_lint (furlhint_furl_get_lint (furl), want);
  assert_lint (furlhint_hint_get_lint (furlhint_furl_get_hint (furl, 0)), hint_want);
  furlhint_furl_unref (furl);

  /* Two final newlines: `$` cannot match. */
  furl = furlhint_furl_parse ("pb://" TUBID "@h:1/n\n\n", &error);
  g_assert_null (furl);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_UNKNOWN_PREFIX);
  g_assert_true (g_str_has_prefix (error->message,
                                   "unknown FURL prefix in 'pb://" TUBID "@h:1/[censored]\\n\\n' ("));
  g_clear_error (&error);
}

static void
test_furl_kelvin (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;
  const gchar *const want[] = {
    "tub ID contains U+212A KELVIN SIGN, which Foolscap accepts as \"k\"", NULL
  };

  /* str.lower() maps KELVIN SIGN to ASCII 'k'; the tub ID is reported as
   * written. */
  furl = furlhint_furl_parse ("pb://" KELVIN "lzcmzngbqjnfciylwkq52ebgyerm33l@/n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, KELVIN "lzcmzngbqjnfciylwkq52ebgyerm33l");
  assert_lint (furlhint_furl_get_lint (furl), want);
  furlhint_furl_unref (furl);

  /* Other look-alikes are not base32 (U+0130 lowers to two characters,
   * U+FF4B stays full-width). */
  furl = furlhint_furl_parse ("pb://\xc4\xb0lzcmzngbqjnfciylwkq52ebgyerm33l@/n", &error);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_TUBID);
  g_assert_null (furl);
  g_clear_error (&error);
  furl = furlhint_furl_parse ("pb://\xef\xbd\x8blzcmzngbqjnfciylwkq52ebgyerm33l@/n", &error);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_TUBID);
  g_clear_error (&error);
}

static void
test_furl_errors (void)
{
  static const struct {
    const gchar *text;
    FurlHintFurlError code;
    const gchar *message;
  } cases[] = {
    { "pb://" TUBID "@tcp:example.org:1,/trailing-comma", FURLHINT_FURL_ERROR_EMPTY_HINT,
      "no connection hint may be empty (separate hints with single commas, none at either "
      "end; a FURL without hints is written pb://TUBID@/NAME)" },
    { "pb://!!@,/bad-tubid-and-empty-hint", FURLHINT_FURL_ERROR_BAD_TUBID,
      "'!!' is not a valid tubid (a tub ID starts with 32 base32 characters: a-z and 2-7, "
      "in any letter case)" },
    { "pb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/x", FURLHINT_FURL_ERROR_BAD_TUBID,
      "'klzcmzngbqjnfciylwkq52ebgyerm018' is not a valid tubid (a tub ID starts with 32 "
      "base32 characters: a-z and 2-7, in any letter case)" },
    { "PB://" TUBID "@h:1/x", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX,
      "unknown FURL prefix in 'PB://" TUBID "@h:1/[censored]' (expected pb://TUBID@HINT,HINT/NAME, "
      "or a NURL pb://HASH@HOST:PORT/SWISSNUM#v=1, pb+tor://HASH@HOST:PORT/SWISSNUM[#v=1] "
      "or pb+i2p://HASH@DEST[:PORT]/SWISSNUM[#v=1])" },
    { "pb://", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    { "", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    { "pb://" TUBID "@tcp:h:1/", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    { "pb://" TUBID "@tcp:h:1", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    { "pb://" TUBID "/name-without-at", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    { "pb://@tcp:h:1/missing-tubid", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, NULL },
    /* Python's repr() picks its quotes and escapes like this: */
    { "it's", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, "unknown FURL prefix in \"it's\" (" },
    { "a\"b'c", FURLHINT_FURL_ERROR_UNKNOWN_PREFIX, "unknown FURL prefix in 'a\"b\\'c' (" },
    { "\t\xc2\x85\xc3\xa9\xe2\x80\x8b\xf0\x9f\x98\x80\xf3\xa0\x80\x81\x7f\\",
      FURLHINT_FURL_ERROR_UNKNOWN_PREFIX,
      "unknown FURL prefix in '\\t\\x85\xc3\xa9\\u200b\xf0\x9f\x98\x80\\U000e0001\\x7f\\\\' (" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      FurlHintFurl *furl = furlhint_furl_parse (cases[i].text, &error);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].text);
      g_assert_null (furl);
      g_assert_error (error, FURLHINT_FURL_ERROR, (gint) cases[i].code);
      if (cases[i].message != NULL && g_str_has_suffix (cases[i].message, "("))
        g_assert_true (g_str_has_prefix (error->message, cases[i].message));
      else if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }
}

static void
test_furl_not_utf8 (void)
{
  GError *error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse ("pb://" TUBID "@h\xff:1/n", &error);
  gchar *json;

  g_assert_null (furl);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_NOT_UTF8);
  g_assert_cmpstr (error->message, ==,
                   "FURL is not valid UTF-8 (bad byte 0xff at offset 39); "
                   "FURLs and NURLs must be UTF-8 text");
  g_clear_error (&error);

  furl = furlhint_furl_parse ("pb+tor://\xc3(@h:1/n", &error);
  g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_NOT_UTF8);
  g_clear_error (&error);

  json = furlhint_foolscap_verdict_json ("tcp:h\xc0:1", FALSE);
  g_assert_cmpstr (json, ==, "{\"input\":\"tcp:h\xef\xbf\xbd:1\",\"ok\":false,\"error\":"
                             "\"not-utf8\",\"tubid\":null,\"name\":null,\"hints\":[]}");
  g_free (json);
}

static void
test_error_names (void)
{
  g_assert_cmpstr (g_quark_to_string (FURLHINT_FURL_ERROR), ==, "furlhint-furl-error-quark");
  g_assert_cmpstr (g_quark_to_string (FURLHINT_CONFIG_ERROR), ==, "furlhint-config-error-quark");
  g_assert_cmpstr (g_quark_to_string (FURLHINT_PLUGIN_ERROR), ==, "furlhint-plugin-error-quark");
  g_assert_cmpstr (g_quark_to_string (FURLHINT_POLICY_ERROR), ==, "furlhint-policy-error-quark");
  g_assert_true (FURLHINT_FURL_ERROR == g_quark_from_static_string ("furlhint-furl-error-quark"));

  g_assert_cmpstr (furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_NOT_UTF8), ==, "not-utf8");
  g_assert_cmpstr (furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_UNKNOWN_PREFIX), ==, "unknown-prefix");
  g_assert_cmpstr (furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_BAD_TUBID), ==, "bad-tubid");
  g_assert_cmpstr (furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_EMPTY_HINT), ==, "empty-hint");
  g_assert_cmpstr (furlhint_furl_error_code_name (FURLHINT_FURL_ERROR_BAD_FURL), ==, "bad-furl");
  g_assert_cmpstr (furlhint_furl_error_code_name (0), ==, "unknown");

  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_NO_HANDLER), ==, "no-handler");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_BAD_HINT), ==, "bad-hint");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_NOT_CONFIGURED), ==, "not-configured");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_REVEALING), ==, "revealing");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_TCP_DISABLED), ==, "tcp-disabled");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_DUPLICATE), ==, "duplicate");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_WRONG_NETWORK), ==, "wrong-network");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED), ==, "override-refused");
  g_assert_cmpstr (furlhint_policy_error_code_name (FURLHINT_POLICY_ERROR_NO_ROUTE), ==, "no-route");
  g_assert_cmpstr (furlhint_policy_error_code_name (99), ==, "unknown");

  g_assert_cmpstr (furlhint_anon_class_name (FURLHINT_ANON_CLEAR), ==, "clear");
  g_assert_cmpstr (furlhint_anon_class_name (FURLHINT_ANON_PROXIED), ==, "proxied");
  g_assert_cmpstr (furlhint_anon_class_name (FURLHINT_ANON_ANONYMOUS), ==, "anonymous");
  g_assert_cmpstr (furlhint_anon_class_name (7), ==, "unknown");

  /* One table for every domain, the plugin-facing ones included. */
  {
    static const struct { GQuark (*quark) (void); gint code; const gchar *domain, *name; } cases[] = {
      { furlhint_furl_error_quark, FURLHINT_FURL_ERROR_BAD_TUBID, "furl", "bad-tubid" },
      { furlhint_config_error_quark, FURLHINT_CONFIG_ERROR_PRIVACY, "config", "privacy" },
      { furlhint_plugin_error_quark, FURLHINT_PLUGIN_ERROR_INIT, "plugin", "init" },
      { furlhint_policy_error_quark, FURLHINT_POLICY_ERROR_STALE, "policy", "stale" },
      { NULL, FURLHINT_HINT_ERROR_BAD_HOST, "hint", "bad-host" },
      { NULL, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, "connect", "transport-down" },
      { NULL, 999, "connect", "unknown" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        GQuark domain = cases[i].quark != NULL ? cases[i].quark ()
                        : g_str_equal (cases[i].domain, "hint") ? FURLHINT_HINT_ERROR
                        : FURLHINT_CONNECT_ERROR;
        GError *error = g_error_new_literal (domain, cases[i].code, "x");

        g_assert_cmpstr (furlhint_error_domain_name (domain), ==, cases[i].domain);
        g_assert_cmpstr (furlhint_error_code_name (error), ==, cases[i].name);
        g_error_free (error);
      }
    GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
    g_assert_null (furlhint_error_domain_name (G_IO_ERROR));
    g_assert_cmpstr (furlhint_error_code_name (error), ==, "cancelled");
    g_error_free (error);
  }

  g_assert_cmpstr (furlhint_version (), ==, FURLHINT_VERSION);
}

/* --- NURLs ------------------------------------------------------------------- */

static void
test_nurl_pb (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;
  const FurlHintHint *hint;

  /* The examples of Tahoe-LAFS docs/specifications/url.rst. */
  furl = furlhint_furl_parse ("pb://1WUX44xKjKdpGLohmFcBNuIRN-8rlv1Iij_7rQ@tcp:127.1:34399/jhjbc3bjbhk#v=1",
                              &error);
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_furl_get_kind (furl), ==, FURLHINT_FURL_KIND_NURL);
  g_assert_cmpint (furlhint_furl_get_network (furl), ==, FURLHINT_NETWORK_ANY);
  g_assert_cmpuint (furlhint_furl_get_nurl_version (furl), ==, 1);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, "1WUX44xKjKdpGLohmFcBNuIRN-8rlv1Iij_7rQ");
  g_assert_cmpstr (furlhint_furl_get_name (furl), ==, "jhjbc3bjbhk");
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, 1);
  hint = furlhint_furl_get_hint (furl, 0);
  g_assert_cmpstr (furlhint_hint_get_canonical (hint), ==, "tcp:127.1:34399");
  g_assert_cmpstr (furlhint_hint_get_hint_type (hint), ==, "tcp");
  assert_lint (furlhint_furl_get_lint (furl), no_lint);
  furlhint_furl_unref (furl);

  furl = furlhint_furl_parse ("pb://azEu8vlRpnEeYm0DySQDeNY3Z2iJXHC_bsbaAw@localhost:47877/64i4aokv4ej#v=1",
                              &error);
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "tcp:localhost:47877");
  furlhint_furl_unref (furl);

  /* A 43-character hash (real v1 NURLs) is no different: the version is
   * the fragment's. */
  furl = furlhint_furl_parse ("pb://abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ@[2001:db8::1]:0443/s#v=1",
                              &error);
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_nurl_version (furl), ==, 1);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "tcp:[2001:db8::1]:443");
  furlhint_furl_unref (furl);
}

static void
test_nurl_tor (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;

  furl = furlhint_furl_parse ("pb+tor://azEu8vlRpnEeYm0DySQDeNY3Z2iJXHC_bsbaAw@"
                              "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457/sw#v=1",
                              &error);
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_furl_get_kind (furl), ==, FURLHINT_FURL_KIND_NURL);
  g_assert_cmpint (furlhint_furl_get_network (furl), ==, FURLHINT_NETWORK_TOR);
  g_assert_cmpuint (furlhint_furl_get_nurl_version (furl), ==, 1);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "tor:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457");
  furlhint_furl_unref (furl);

  /* No fragment: a version 0 NURL; tcp: and tor: prefixes are tolerated. */
  furl = furlhint_furl_parse ("pb+tor://" TUBID "@tcp:example.org:80/sw", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_nurl_version (furl), ==, 0);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "tor:example.org:80");
  furlhint_furl_unref (furl);

  furl = furlhint_furl_parse ("pb+tor://" TUBID "@tor:10.0.0.1:80/sw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "tor:10.0.0.1:80");
  furlhint_furl_unref (furl);
}

static void
test_nurl_i2p (void)
{
  GError *error = NULL;
  FurlHintFurl *furl;

  furl = furlhint_furl_parse ("pb+i2p://HASH@ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p/sw#v=1",
                              &error);
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_furl_get_network (furl), ==, FURLHINT_NETWORK_I2P);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p");
  furlhint_furl_unref (furl);

  furl = furlhint_furl_parse ("pb+i2p://HASH@i2p:stats.i2p:1234/sw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, 0)), ==,
                   "i2p:stats.i2p:1234");
  furlhint_furl_unref (furl);
}

static void
test_nurl_errors (void)
{
  static const struct {
    const gchar *text;
    const gchar *message;
  } cases[] = {
    { "pb://HASH@h:1/s#v=2",
      "unknown NURL fragment '#v=2' (accepted: \"#v=1\", or no fragment on pb+tor:// and pb+i2p://)" },
    { "pb://HASH@h:1/s#v=", "unknown NURL fragment '#v=' (" },
    { "xpb://HASH@h:1/s#v=1", "a NURL (it ends in a #v= fragment) must start with its scheme, but "
      "xpb://HASH@h:1/[censored] has text before \"pb://\" (accepted: pb://HASH@HOST:PORT/SWISSNUM#v=1)" },
    { "pb+tor://HASH@h:1/s#v=1#v=1", "unknown NURL fragment '#v=1#v=1' (" },
    { "pb://HASH@a.example:1,b.example:2/s#v=1",
      "a NURL has exactly one location, 'a.example:1,b.example:2' has 2 (expected one HOST:PORT)" },
    { "pb://HASH@/s#v=1", "a NURL has exactly one location, '' has 0 (expected one HOST:PORT)" },
    { "pb://HASH@example.org/s#v=1",
      "NURL location 'example.org' has no port (expected HOST:PORT, PORT 1-65535)" },
    { "pb://HASH@example.org:0/s#v=1", "NURL location 'example.org:0' is not HOST:PORT (" },
    { "pb://HASH@example.org:65536/s#v=1", "NURL location 'example.org:65536' is not HOST:PORT (" },
    { "pb://HASH@example.org:\xd9\xa1/s#v=1", "NURL location 'example.org:\xd9\xa1' is not HOST:PORT (" },
    { "pb://HASH@ex ample.org:1/s#v=1", "NURL location 'ex ample.org:1' is not HOST:PORT (" },
    { "pb://HASH@[g::1]:1/s#v=1", "NURL location '[g::1]:1' is not HOST:PORT (" },
    { "pb://HASH@::1:1/s#v=1", "NURL location '::1:1' is not HOST:PORT (" },
    { "pb://HA$H@h:1/s#v=1",
      "NURL hash 'HA$H' has a character URLs do not allow there "
      "(accepted: A-Z a-z 0-9 - _ . ! ~ * ' ( ))" },
    { "pb://@h:1/s#v=1", "NURL 'pb://@h:1/[censored]' has an empty hash (" },
    { "pb://HASH@h:1/#v=1", "NURL 'pb://HASH@h:1/[censored]' has an empty swissnum (" },
    { "pb://HASH@h:1/a/b#v=1", "the NURL swissnum has the character '/', which a URL path segment cannot hold (" },
    { "pb://HASH@h:1#v=1", "NURL 'pb://HASH@h:1#v=1' has no \"/SWISSNUM\" after its location (" },
    { "pb://HASH#v=1", "NURL 'pb://HASH#v=1' has no \"@\" after its hash (" },
    { "pb+tor://HASH@i2p:stats.i2p/s", "a pb+tor NURL cannot have the location 'i2p:stats.i2p' (" },
    { "pb+tor://HASH@[::1]:80/s", "NURL location '[::1]:80' is an IPv6 address, which Tor hints cannot carry (" },
    { "pb+i2p://HASH@tcp:h:1/s", "a pb+i2p NURL cannot have the location 'tcp:h:1' (" },
    { "pb+i2p://HASH@st_ats.i2p/s", "NURL location 'st_ats.i2p' is not DEST[:PORT] (" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      FurlHintFurl *furl = furlhint_furl_parse (cases[i].text, &error);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].text);
      g_assert_null (furl);
      g_assert_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_FURL);
      if (g_str_has_suffix (cases[i].message, "("))
        {
          if (!g_str_has_prefix (error->message, cases[i].message))
            g_assert_cmpstr (error->message, ==, cases[i].message);
          /* Every refusal says what would be accepted. */
          g_assert_true (strstr (error->message, "accepted") != NULL ||
                         strstr (error->message, "expected") != NULL);
        }
      else
        g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }
}

/* --- round trips ---------------------------------------------------------- */

static void
assert_same_furl (const FurlHintFurl *a,
                  const FurlHintFurl *b)
{
  guint i;

  g_assert_cmpint (furlhint_furl_get_kind (a), ==, furlhint_furl_get_kind (b));
  g_assert_cmpint (furlhint_furl_get_network (a), ==, furlhint_furl_get_network (b));
  g_assert_cmpuint (furlhint_furl_get_nurl_version (a), ==, furlhint_furl_get_nurl_version (b));
  g_assert_cmpstr (furlhint_furl_get_tubid (a), ==, furlhint_furl_get_tubid (b));
  g_assert_cmpstr (furlhint_furl_get_name (a), ==, furlhint_furl_get_name (b));
  g_assert_cmpuint (furlhint_furl_get_n_hints (a), ==, furlhint_furl_get_n_hints (b));
  for (i = 0; i < furlhint_furl_get_n_hints (a); i++)
    {
      const FurlHintHint *ha = furlhint_furl_get_hint (a, i), *hb = furlhint_furl_get_hint (b, i);

      g_assert_cmpstr (furlhint_hint_get_text (ha), ==, furlhint_hint_get_text (hb));
      g_assert_cmpstr (furlhint_hint_get_canonical (ha), ==, furlhint_hint_get_canonical (hb));
      g_assert_cmpstr (furlhint_hint_get_hint_type (ha), ==, furlhint_hint_get_hint_type (hb));
    }
}

static void
test_furl_round_trip (void)
{
  static const struct {
    const gchar *text;
    const gchar *string;
  } cases[] = {
    { "pb://" TUBID "@tcp:example.org:44801/ce6rpdlmb7jzah7shgq2bfpsb6jzkzim", NULL },
    { "pb://" TUBID "@/no-hints", NULL },
    { "see pb://" TUBID "EXTRA!@a:1,b:2/n/with/slashes", "pb://" TUBID "@a:1,b:2/n/with/slashes" },
    { "pb://" TUBID "@h@x:1/at-inside-hints", NULL },
    { "pb://" TUBID "@ tcp:example.org:1,example.org:2 /spaces", NULL },
    { "pb://" TUBID "@tcp:h:1\n,x/name\n", "pb://" TUBID "@tcp:h:1\n,x/name" },
    { "pb://" KELVIN "lzcmzngbqjnfciylwkq52ebgyerm33l@/n", NULL },
    { "pb://" TUBID "@tcp:example.org:1/name with spaces ", NULL },
    { "pb://1WUX44xKjKdpGLohmFcBNuIRN-8rlv1Iij_7rQ@tcp:127.1:34399/jhjbc3bjbhk#v=1", NULL },
    { "pb+tor://HASH@abc.onion:80/sw", NULL },
    { "pb+tor://HASH@tcp:abc.onion:80/sw#v=1", NULL },
    { "pb+i2p://HASH@stats.i2p/sw#v=1", NULL },
    { "pb://HASH@[::1]:443/sw#v=1", NULL },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      FurlHintFurl *a, *b;
      gchar *s1, *s2;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].text);
      a = furlhint_furl_parse (cases[i].text, &error);
      g_assert_no_error (error);
      s1 = furlhint_furl_to_string (a);
      g_assert_cmpstr (s1, ==, cases[i].string != NULL ? cases[i].string : cases[i].text);
      b = furlhint_furl_parse (s1, &error);
      g_assert_no_error (error);
      assert_same_furl (a, b);
      s2 = furlhint_furl_to_string (b);
      g_assert_cmpstr (s1, ==, s2);
      g_free (s1);
      g_free (s2);
      furlhint_furl_unref (a);
      furlhint_furl_unref (b);
    }
}

/* --- hints and lint -------------------------------------------------------- */

static void
test_hint_lint (void)
{
  static const struct {
    const gchar *text;
    const gchar *canonical;
    const gchar *type;
    const gchar *lint[3];
  } cases[] = {
    { "tcp:example.org:80", "tcp:example.org:80", "tcp", { NULL } },
    { "example.org:0080", "tcp:example.org:80", "tcp", { NULL } },
    { "tcp:example.org:0", "tcp:example.org:0", "tcp",
      { "port 0 cannot be connected to (accepted: 1-65535)", NULL } },
    { "example.org:000", "tcp:example.org:0", "tcp",
      { "port 0 cannot be connected to (accepted: 1-65535)", NULL } },
    { "tcp:example.org:99999", "tcp:example.org:99999", "tcp", { "port 99999 is above 65535", NULL } },
    { "1.2.3.4:18446744073709551616", "tcp:1.2.3.4:18446744073709551616", "tcp",
      { "port 18446744073709551616 is above 65535", NULL } },
    { "tcp:example.org:65535", "tcp:example.org:65535", "tcp", { NULL } },
    { "tcp:example.org:\xd9\xa1\xd9\xa2\xd9\xa3", "tcp:example.org:\xd9\xa1\xd9\xa2\xd9\xa3", "tcp",
      { "port written with non-ASCII digits", NULL } },
    { "example.org:\xd9\xa8\xd9\xa0", "tcp:example.org:80", "tcp", { NULL } },
    { "tcp:\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4:80", "tcp:\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4:80", "tcp",
      { "host \xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4 written with non-ASCII digits", NULL } },
    { " example.org:80", " example.org:80", " example.org",
      { "leading or trailing whitespace in hint", NULL } },
    { "tcp:a:1\n", "tcp:a:1\n", "tcp", { "leading or trailing whitespace in hint", NULL } },
    { "a:1\n", "tcp:a:1", "tcp", { "leading or trailing whitespace in hint", NULL } },
    { "i2p:stats.i2p:0", "i2p:stats.i2p:0", "i2p",
      { "port 0 cannot be connected to (accepted: 1-65535)", NULL } },
    { "i2p:stats.i2p", "i2p:stats.i2p", "i2p", { NULL } },
    { "tor:10.0.0.1:0", "tor:10.0.0.1:0", "tor", { NULL } },  /* nobody accepts it */
    { "nocolon", "nocolon", NULL, { NULL } },
    { "::", "::", "", { NULL } },
    { "tcp:a:\xf0\x91\xbd\x91", "tcp:a:\xf0\x91\xbd\x91", "tcp", { NULL } },  /* Kawi: no digit */
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FurlHintHint *hint = furlhint_hint_new (cases[i].text);
      FurlHintHint *copy = furlhint_hint_copy (hint);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].text);
      g_assert_cmpstr (furlhint_hint_get_text (hint), ==, cases[i].text);
      g_assert_cmpstr (furlhint_hint_get_canonical (hint), ==, cases[i].canonical);
      g_assert_cmpstr (furlhint_hint_get_hint_type (hint), ==, cases[i].type);
      assert_lint (furlhint_hint_get_lint (hint), cases[i].lint);
      g_assert_cmpstr (furlhint_hint_get_canonical (copy), ==, cases[i].canonical);
      g_assert_cmpuint (strv_len (furlhint_hint_get_lint (copy)), ==,
                        strv_len (furlhint_hint_get_lint (hint)));
      furlhint_hint_free (hint);
      furlhint_hint_free (copy);
    }
  furlhint_hint_free (NULL);
}

static void
test_verdict_lint (void)
{
  gchar *json = furlhint_foolscap_verdict_json ("see pb://" TUBID "@tcp:h:0/n", TRUE);

  g_assert_cmpstr (json, ==,
                   "{\"input\":\"see pb://" TUBID "@tcp:h:0/n\",\"ok\":true,\"error\":null,"
                   "\"tubid\":\"" TUBID "\",\"name\":\"n\",\"hints\":[{\"hint\":\"tcp:h:0\","
                   "\"canonical\":\"tcp:h:0\",\"type\":\"tcp\",\"tcp\":[\"h\",0],\"tor\":[\"h\",0],"
                   "\"i2p\":null,\"tcp_error\":null,\"tor_error\":null,"
                   "\"i2p_error\":\"unrecognized I2P hint\","
                   "\"lint\":[\"port 0 cannot be connected to (accepted: 1-65535)\"]}],"
                   "\"lint\":[\"text before \\\"pb://\\\" is ignored: 'see '\"]}");
  g_free (json);

  json = furlhint_foolscap_verdict_json ("pb://" TUBID "@,/x", TRUE);
  g_assert_cmpstr (json, ==, "{\"input\":\"pb://" TUBID "@,/x\",\"ok\":false,\"error\":\"empty-hint\","
                             "\"tubid\":null,\"name\":null,\"hints\":[],\"lint\":[]}");
  g_free (json);
}

/* Inputs with a "\n" cannot be in the line-based corpora; these verdicts
 * come from the oracle. */
static void
test_verdict_newlines (void)
{
  static const struct {
    const gchar *input;
    const gchar *json;
  } cases[] = {
    { "h:1\n",
      "{\"input\":\"h:1\\n\",\"hint\":{\"hint\":\"h:1\\n\",\"canonical\":\"tcp:h:1\",\"type\":\"tcp\","
      "\"tcp\":[\"h\",1],\"tor\":[\"h\",1],\"i2p\":null,\"tcp_error\":null,\"tor_error\":null,"
      "\"i2p_error\":\"unrecognized I2P hint\"}}" },
    { "i2p:h\n",
      "{\"input\":\"i2p:h\\n\",\"hint\":{\"hint\":\"i2p:h\\n\",\"canonical\":\"i2p:h\\n\",\"type\":\"i2p\","
      "\"tcp\":null,\"tor\":null,\"i2p\":[\"h\",null],\"tcp_error\":\"unrecognized TCP hint\","
      "\"tor_error\":\"unrecognized TCP/Tor hint\",\"i2p_error\":null}}" },
    { "pb://" TUBID "@tcp:h:1\n,x/name\n",
      "{\"input\":\"pb://" TUBID "@tcp:h:1\\n,x/name\\n\",\"ok\":true,\"error\":null,"
      "\"tubid\":\"" TUBID "\",\"name\":\"name\",\"hints\":[{\"hint\":\"tcp:h:1\\n\","
      "\"canonical\":\"tcp:h:1\\n\",\"type\":\"tcp\",\"tcp\":[\"h\",1],\"tor\":[\"h\",1],\"i2p\":null,"
      "\"tcp_error\":null,\"tor_error\":null,\"i2p_error\":\"unrecognized I2P hint\"},{\"hint\":\"x\","
      "\"canonical\":\"x\",\"type\":null,\"tcp\":null,\"tor\":null,\"i2p\":null,"
      "\"tcp_error\":\"unrecognized TCP hint\",\"tor_error\":\"unrecognized TCP/Tor hint\","
      "\"i2p_error\":\"unrecognized I2P hint\"}]}" },
    { "pb://" TUBID "@h:1/n\n\n",
      "{\"input\":\"pb://" TUBID "@h:1/n\\n\\n\",\"ok\":false,\"error\":\"unknown-prefix\","
      "\"tubid\":null,\"name\":null,\"hints\":[]}" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gchar *json = furlhint_foolscap_verdict_json (cases[i].input, FALSE);

      g_assert_cmpstr (json, ==, cases[i].json);
      g_free (json);
    }
}

/* --- the Foolscap view ----------------------------------------------------- */

static void
test_foolscap_parse_hint (void)
{
  static const struct {
    const gchar *canonical;
    FurlHintFoolscapHandler handler;
    const gchar *host;
    const gchar *port;
    const gchar *message;
  } cases[] = {
    { "tcp:example.org:0080", FURLHINT_FOOLSCAP_TCP, "example.org", "80", NULL },
    { "tcp:[fe80::1%eth0.5]:80", FURLHINT_FOOLSCAP_TCP, "fe80::1%eth0.5", "80", NULL },
    { "tcp:[::ffff:192.0.2.1]:80", FURLHINT_FOOLSCAP_TCP, "::ffff:192.0.2.1", "80", NULL },
    { "tcp:[11.2.3.4]:80", FURLHINT_FOOLSCAP_TCP, "11.2.3.4", "80", NULL },
    { "tcp:[1.2.3.4]:80", FURLHINT_FOOLSCAP_TCP, NULL, NULL, "unrecognized TCP hint" },
    { "tcp:[fe80::1%eth_0]:80", FURLHINT_FOOLSCAP_TCP, NULL, NULL, "unrecognized TCP hint" },
    { "TCP:example.org:80", FURLHINT_FOOLSCAP_TCP, NULL, NULL, "unrecognized TCP hint" },
    { "tcp:example.org:\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x90", FURLHINT_FOOLSCAP_TCP, "example.org", "12", NULL },
    { "tcp:example.org:\xf0\x9e\x93\xb1", FURLHINT_FOOLSCAP_TCP, NULL, NULL, "unrecognized TCP hint" },
    { "tor:8.8.8.8:53", FURLHINT_FOOLSCAP_TOR, "8.8.8.8", "53", NULL },
    { "anything:example.org:53", FURLHINT_FOOLSCAP_TOR, "example.org", "53", NULL },
    { "tor:10.1.2.3:80", FURLHINT_FOOLSCAP_TOR, NULL, NULL, "ignoring non-Tor-able ipaddr 10.1.2.3" },
    { "tor:192.0.0.9:80", FURLHINT_FOOLSCAP_TOR, "192.0.0.9", "80", NULL },
    { "tor:192.0.0.8:80", FURLHINT_FOOLSCAP_TOR, NULL, NULL, "ignoring non-Tor-able ipaddr 192.0.0.8" },
    { "tor:100.64.0.1:80", FURLHINT_FOOLSCAP_TOR, "100.64.0.1", "80", NULL },
    { "tor:010.0.0.1:80", FURLHINT_FOOLSCAP_TOR, "010.0.0.1", "80", NULL },
    { "tor:[::1]:80", FURLHINT_FOOLSCAP_TOR, NULL, NULL, "unrecognized TCP/Tor hint" },
    { "i2p:stats.i2p", FURLHINT_FOOLSCAP_I2P, "stats.i2p", NULL, NULL },
    { "i2p:stats.i2p:007", FURLHINT_FOOLSCAP_I2P, "stats.i2p", "7", NULL },
    { "i2p:stats.i2p:", FURLHINT_FOOLSCAP_I2P, NULL, NULL, "unrecognized I2P hint" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gchar *host = NULL, *port = NULL, *message = NULL;
      gboolean ok;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].canonical);
      ok = furlhint_foolscap_parse_hint (cases[i].canonical, cases[i].handler, &host, &port, &message);
      g_assert_cmpint (ok, ==, cases[i].message == NULL);
      g_assert_cmpstr (host, ==, cases[i].host);
      g_assert_cmpstr (port, ==, cases[i].port);
      g_assert_cmpstr (message, ==, cases[i].message);
      g_free (host);
      g_free (port);
      g_free (message);

      /* Every out parameter is optional. */
      g_assert_cmpint (furlhint_foolscap_parse_hint (cases[i].canonical, cases[i].handler,
                                                     NULL, NULL, NULL), ==, ok);
    }
}

static void
test_foolscap_internals (void)
{
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  guint16 port = 0;
  gchar *s;

  s = fh_foolscap_convert_legacy ("h:1\n");
  g_assert_cmpstr (s, ==, "tcp:h:1");
  g_free (s);
  s = fh_foolscap_convert_legacy ("\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4:\xd9\xa8\xd9\xa0");
  g_assert_cmpstr (s, ==, "tcp:\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4:80");
  g_free (s);
  s = fh_foolscap_convert_legacy ("example.org:80:90");
  g_assert_cmpstr (s, ==, "example.org:80:90");
  g_free (s);

  g_assert_true (fh_foolscap_is_non_public_numeric ("127.0.0.1"));
  g_assert_true (fh_foolscap_is_non_public_numeric ("0.0.0.0"));
  g_assert_true (fh_foolscap_is_non_public_numeric ("255.255.255.255"));
  g_assert_true (fh_foolscap_is_non_public_numeric ("::1"));
  g_assert_true (fh_foolscap_is_non_public_numeric ("fe80::1%eth0"));
  g_assert_true (fh_foolscap_is_non_public_numeric ("::ffff:8.8.8.8"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("8.8.8.8"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("192.0.0.10"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("01.2.3.4"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("1.2.3.4.5"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("example.onion"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("::1/128"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("1:2:3:4:5:6:7:8:9"));
  g_assert_false (fh_foolscap_is_non_public_numeric ("fe80::1%"));

  g_assert_true (fh_foolscap_match_tcp ("tcp:h:65535", &addr, NULL));
  g_assert_true (fh_foolscap_port_usable (&addr, &port));
  g_assert_cmpuint (port, ==, 65535);
  fh_foolscap_addr_clear (&addr);
  g_assert_true (fh_foolscap_match_tcp ("tcp:h:00065536", &addr, NULL));
  g_assert_cmpstr (addr.port, ==, "65536");
  g_assert_false (fh_foolscap_port_usable (&addr, NULL));
  fh_foolscap_addr_clear (&addr);
  g_assert_true (fh_foolscap_match_tcp ("tcp:h:\xd9\xa1", &addr, NULL));
  g_assert_true (addr.port_non_ascii);
  g_assert_false (fh_foolscap_port_usable (&addr, NULL));
  fh_foolscap_addr_clear (&addr);
  g_assert_true (fh_foolscap_match_i2p ("i2p:x", &addr, NULL));
  g_assert_null (addr.port);
  g_assert_false (fh_foolscap_port_usable (&addr, NULL));
  fh_foolscap_addr_clear (&addr);

  /* Invalid UTF-8 reaching the matchers (plugins may pass anything) is
   * simply no match. */
  g_assert_false (fh_foolscap_match_tcp ("tcp:h:1\xff", &addr, NULL));
  g_assert_false (fh_foolscap_match_tor ("tor:\xc3:1", &addr, NULL));
  g_assert_null (addr.host);
}

/* Python 3.11 knows exactly 660 decimal digits (Unicode 14.0); each must
 * be a port digit with its value, and nothing else may be. */
static void
test_foolscap_unicode_digits (void)
{
  gunichar c;
  guint n = 0;
  gchar buf[16] = "tcp:h:";

  for (c = 0; c <= 0x10FFFF; c++)
    {
      FhFoolscapAddr addr = { NULL, NULL, FALSE };
      gint len;

      if (c == '\n' || (c >= 0xD800 && c <= 0xDFFF) || c == 0)
        continue;
      len = g_unichar_to_utf8 (c, buf + 6);
      buf[6 + len] = '\0';
      if (!fh_foolscap_match_tcp (buf, &addr, NULL))
        continue;
      n++;
      g_assert_true (g_unichar_isdigit (c));
      g_assert_cmpint (g_unichar_digit_value (c), ==, addr.port[0] - '0');
      g_assert_cmpuint (strlen (addr.port), ==, 1);
      fh_foolscap_addr_clear (&addr);
    }
  g_assert_cmpuint (n, ==, 660);

  /* New in Unicode 15.0: Kawi and Nag Mundari digits are not Python 3.11's. */
  g_assert_false (furlhint_foolscap_parse_hint ("tcp:h:\xf0\x91\xbd\x90", FURLHINT_FOOLSCAP_TCP,
                                                NULL, NULL, NULL));
  g_assert_false (furlhint_foolscap_parse_hint ("tcp:h:\xf0\x9e\x93\xb9", FURLHINT_FOOLSCAP_TCP,
                                                NULL, NULL, NULL));
}

/* --- big inputs: linear time ----------------------------------------------- */

static void
check_fast (GTimer      *timer,
            const gchar *what)
{
  gdouble elapsed = g_timer_elapsed (timer, NULL);

  g_test_message ("%s: %.3f s", what, elapsed);
  /* Linear work on 1 MB takes milliseconds (a second or two under
   * valgrind, on a loaded machine); a quadratic scan would take hours. */
  g_assert_cmpfloat (elapsed, <, 60.0);
}

static gchar *
repeat (const gchar *piece,
        gsize        total)
{
  GString *s = g_string_sized_new (total + 64);

  while (s->len < total)
    g_string_append (s, piece);
  return g_string_free (s, FALSE);
}

static void
test_furl_big (void)
{
  GTimer *timer = g_timer_new ();
  GError *error = NULL;
  FurlHintFurl *furl;
  gchar *body, *text, *json;

  /* 1 MB of hints. */
  body = repeat ("tcp:host.example.org:12345,", 1 << 20);
  text = g_strconcat ("pb://" TUBID "@", body, "tcp:last:1/name", NULL);
  g_timer_start (timer);
  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_furl_get_n_hints (furl), ==, (1 << 20) / 27 + 1 + 1);
  json = furlhint_foolscap_verdict_json (text, TRUE);
  g_assert_true (g_str_has_suffix (json, "\"lint\":[]}"));
  check_fast (timer, "1 MB of hints");
  furlhint_furl_unref (furl);
  g_free (json);
  g_free (text);
  g_free (body);

  /* Many "pb://" that cannot match, in the ways that make a naive search
   * rescan the rest of the text for each of them. */
  {
    static const gchar *const pieces[] = {
      "pb://", "pb://@", "pb://x@", "pb://x@/\n", "pb://x@y/\nz", "pb:/pb://", "PB://",
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS (pieces); i++)
      {
        text = repeat (pieces[i], 1 << 20);
        g_timer_start (timer);
        /* Some of these do match in the end ("pb://" holds slashes):
         * only the time matters here. */
        furl = furlhint_furl_parse (text, &error);
        g_assert_true ((furl == NULL) != (error == NULL));
        g_clear_error (&error);
        g_clear_pointer (&furl, furlhint_furl_unref);
        json = furlhint_foolscap_verdict_json (text, TRUE);
        g_assert_nonnull (json);
        check_fast (timer, pieces[i]);
        g_free (json);
        g_free (text);
      }
  }

  /* One huge hint of each shape. */
  {
    static const gchar *const shapes[][2] = {
      { "tcp:h:", "1" },
      { "tcp:[", "1" },
      { "tcp:[::", "1." },
      { "", "1" },
      { "tor:", "a" },
      { "i2p:", "a" },
      { "tcp:\xd9\xa1", "\xd9\xa1." },
      { ":", ":" },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS (shapes); i++)
      {
        gchar *tail = repeat (shapes[i][1], 1 << 20);

        text = g_strconcat (shapes[i][0], tail, ":1", NULL);
        g_timer_start (timer);
        json = furlhint_foolscap_verdict_json (text, TRUE);
        g_assert_nonnull (json);
        check_fast (timer, shapes[i][0]);
        g_free (json);
        g_free (text);
        g_free (tail);
      }
  }

  /* A 1 MB NURL. */
  body = repeat ("a", 1 << 20);
  text = g_strconcat ("pb://", body, "@h:1/s#v=1", NULL);
  g_timer_start (timer);
  furl = furlhint_furl_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (furlhint_furl_get_tubid (furl)), ==, strlen (body));
  check_fast (timer, "1 MB NURL hash");
  furlhint_furl_unref (furl);
  g_free (text);
  g_free (body);

  g_timer_destroy (timer);
}

/* Foolscap accepts '#' in a FURL's name; only a `#v=` fragment makes a
 * pb:// text a NURL, so serializing a FURL never turns it into one. */
static void
test_furl_hash_in_name (void)
{
  static const gchar *const texts[] = {
    "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:a:1/name#frag",
    "xpb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:a:1/name#frag",
    "see pb://klzcmzngbqjnfciylwkq52ebgyerm33l@host:1#x/name",
    "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:a:1/s#",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      GError *error = NULL;
      FurlHintFurl *furl = furlhint_furl_parse (texts[i], &error);
      FurlHintFurl *again;
      gchar *out;

      g_test_message ("%s", texts[i]);
      g_assert_no_error (error);
      g_assert_cmpint (furlhint_furl_get_kind (furl), ==, FURLHINT_FURL_KIND_FURL);
      out = furlhint_furl_to_string (furl);
      again = furlhint_furl_parse (out, &error);
      g_assert_no_error (error);
      g_assert_cmpint (furlhint_furl_get_kind (again), ==, FURLHINT_FURL_KIND_FURL);
      g_assert_cmpstr (furlhint_furl_get_name (again), ==, furlhint_furl_get_name (furl));
      g_assert_cmpuint (furlhint_furl_get_n_hints (again), ==, furlhint_furl_get_n_hints (furl));
      g_free (out);
      furlhint_furl_unref (again);
      furlhint_furl_unref (furl);
    }
}

/* A FURL's name and a NURL's swissnum are capabilities: the censored
 * forms keep everything else, and free text loses what may be one. */
static void
test_censored (void)
{
  static const struct {
    const gchar *text;
    const gchar *censored;
  } cases[] = {
    { "pb://" TUBID "@tcp:a.example:1,tor:b.onion:2/swissnum", "pb://" TUBID "@tcp:a.example:1,tor:b.onion:2/[censored]" },
    { "pb://" TUBID "@/name", "pb://" TUBID "@/[censored]" },
    { "pb+tor://HASH@b.onion:2/swiss", "pb+tor://HASH@b.onion:2/[censored]" },
    { "pb://HASH@h.example:1/swiss#v=1", "pb://HASH@h.example:1/[censored]#v=1" },
  };
  static const struct {
    const gchar *text;
    const gchar *censored;
  } texts[] = {
    { "pb:/" TUBID "@h:1/name with spaces", "pb:/" TUBID "@h:1/[censored]" },
    { "x pb://t@h:1/a/b\npb://t@h/c", "x pb://t@h:1/[censored]\npb://t@h/[censored]" },
    { "pb://t/name", "pb://t/[censored]" },
    { "pb://t@h:1", "pb://t@h:1" },
    { "tcp:example.org:1", "tcp:example.org:1" },
    { "unix:/tmp/socket", "unix:/tmp/socket" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      FurlHintFurl *furl = furlhint_furl_parse (cases[i].text, &error);
      gchar *shown;

      g_assert_no_error (error);
      shown = furlhint_furl_to_censored_string (furl);
      g_assert_cmpstr (shown, ==, cases[i].censored);
      g_free (shown);
      shown = furlhint_furl_censor_text (cases[i].text);
      g_assert_null (strstr (shown, "swiss"));
      g_free (shown);
      furlhint_furl_unref (furl);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      gchar *shown = furlhint_furl_censor_text (texts[i].text);

      g_assert_cmpstr (shown, ==, texts[i].censored);
      g_free (shown);
    }
}

/* One FURL used and released from several threads at once (its
 * reference count is atomic): every reference taken is dropped, so the
 * last unref frees it once; a lost update would leak it or free it early
 * (make check-valgrind and the ASan build catch either). */
#define SHARED_THREADS 4
#define SHARED_ROUNDS 100000

static gpointer
shared_furl_thread (gpointer data)
{
  FurlHintFurl *furl = data;

  for (guint i = 0; i < SHARED_ROUNDS; i++)
    {
      FurlHintFurl *ref = furlhint_furl_ref (furl);

      g_assert_cmpuint (furlhint_furl_get_n_hints (ref), ==, 2);
      furlhint_furl_unref (ref);
    }
  furlhint_furl_unref (furl);
  return NULL;
}

static void
test_furl_shared_threads (void)
{
  FurlHintFurl *furl = furlhint_furl_parse ("pb://" TUBID "@tcp:a.example:1,tor:b.onion:2/x",
                                            NULL);
  GThread *threads[SHARED_THREADS];

  g_assert_nonnull (furl);
  for (guint i = 0; i < SHARED_THREADS; i++)
    threads[i] = g_thread_new ("furl", shared_furl_thread, furlhint_furl_ref (furl));
  for (guint i = 0; i < SHARED_THREADS; i++)
    g_thread_join (threads[i]);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, TUBID);
  furlhint_furl_unref (furl);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/furl/censored", test_censored);
  g_test_add_func ("/furl/foolscap/basic", test_furl_basic);
  g_test_add_func ("/furl/foolscap/no-hints", test_furl_no_hints);
  g_test_add_func ("/furl/foolscap/unanchored", test_furl_unanchored);
  g_test_add_func ("/furl/foolscap/second-occurrence", test_furl_second_occurrence);
  g_test_add_func ("/furl/foolscap/newlines", test_furl_newlines);
  g_test_add_func ("/furl/foolscap/kelvin-sign", test_furl_kelvin);
  g_test_add_func ("/furl/error/codes-and-messages", test_furl_errors);
  g_test_add_func ("/furl/error/not-utf8", test_furl_not_utf8);
  g_test_add_func ("/furl/error/names", test_error_names);
  g_test_add_func ("/furl/nurl/pb", test_nurl_pb);
  g_test_add_func ("/furl/nurl/pb+tor", test_nurl_tor);
  g_test_add_func ("/furl/nurl/pb+i2p", test_nurl_i2p);
  g_test_add_func ("/furl/nurl/errors", test_nurl_errors);
  g_test_add_func ("/furl/round-trip", test_furl_round_trip);
  g_test_add_func ("/furl/hint/lint", test_hint_lint);
  g_test_add_func ("/furl/verdict/lint", test_verdict_lint);
  g_test_add_func ("/furl/verdict/newlines", test_verdict_newlines);
  g_test_add_func ("/furl/foolscap-view/parse-hint", test_foolscap_parse_hint);
  g_test_add_func ("/furl/foolscap-view/internals", test_foolscap_internals);
  g_test_add_func ("/furl/foolscap-view/unicode-digits", test_foolscap_unicode_digits);
  g_test_add_func ("/furl/big-inputs", test_furl_big);

  g_test_add_func ("/furl/hash-in-name", test_furl_hash_in_name);
  g_test_add_func ("/furl/shared-threads", test_furl_shared_threads);
  return g_test_run ();
}
