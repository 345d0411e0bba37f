/* tahoe.cfg reading (ConfigParser syntax as Tahoe-LAFS uses it), the keys
 * furlhint understands, validation, and Twisted client endpoint strings.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

#include "endpoint.h"

#include <glib/gstdio.h>
#include <string.h>

#define ACCEPTED_BOOLEAN "accepted: true, false, yes, no, on, off, 1, 0 (any letter case)"

static gchar *
data_path (const gchar *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "cfg", name, NULL);
}

static FurlHintConfig *
load_ok (const gchar *name)
{
  gchar *path = data_path (name);
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_free (path);
  return config;
}

static FurlHintConfig *
load_str (const gchar *text,
          GError **error)
{
  return furlhint_config_load_data (text, -1, "t.cfg", error);
}

static FurlHintConfig *
load_str_ok (const gchar *text)
{
  GError *error = NULL;
  FurlHintConfig *config = load_str (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* Loads @text, expects @code, and checks that the message contains every
 * string of the NULL-terminated list. */
static void
assert_load_fails (const gchar *text,
                   gint code,
                   ...)
{
  GError *error = NULL;
  FurlHintConfig *config = load_str (text, &error);
  const gchar *needle;
  va_list ap;

  g_assert_null (config);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, code);
  va_start (ap, code);
  while ((needle = va_arg (ap, const gchar *)) != NULL)
    {
      if (strstr (error->message, needle) == NULL)
        g_error ("message “%s” lacks “%s”", error->message, needle);
    }
  va_end (ap);
  g_error_free (error);
}

static void
assert_contains (const gchar *haystack,
                 const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” lacks “%s”", haystack, needle);
}

static void
collect_warning (GLogLevelFlags level,
                 const gchar *message,
                 gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING)
    g_ptr_array_add (user_data, g_strdup (message));
}

/* Loads the bundled plugins (FURLHINT_PLUGIN_DIR) with @config, which the
 * core accepted: a plugin's section is the plugin's to check (against
 * the keys it declares, then in its init). Returns what the context
 * logged as warnings; *@refusal: the one init failure, or NULL. */
static GPtrArray *
plugins_meet (FurlHintConfig *config,
              gchar **refusal)
{
  FurlHintContext *ctx = furlhint_context_new (config);
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *errors;

  furlhint_context_set_logger (ctx, collect_warning, warnings, NULL);
  furlhint_context_load_plugins (ctx);
  errors = furlhint_context_get_plugin_errors (ctx);
  *refusal = NULL;
  for (guint i = 0; i < errors->len; i++)
    {
      const GError *error = g_ptr_array_index (errors, i);

      g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT);
      g_assert_null (*refusal);
      *refusal = g_strdup (error->message);
    }
  furlhint_context_unref (ctx);
  return warnings;
}

/* @text loads, and then a plugin refuses it at load: the message holds
 * every string of the NULL-terminated list, then (after a NULL) none of
 * the secrets of the second NULL-terminated list. */
static void
assert_plugin_refuses (const gchar *text,
                       ...)
{
  FurlHintConfig *config = load_str_ok (text);
  gchar *refusal = NULL;
  GPtrArray *warnings = plugins_meet (config, &refusal);
  const gchar *needle;
  va_list ap;

  if (refusal == NULL)
    g_error ("no plugin refused %s", text);
  g_test_message ("%s", refusal);
  va_start (ap, text);
  while ((needle = va_arg (ap, const gchar *)) != NULL)
    assert_contains (refusal, needle);
  while ((needle = va_arg (ap, const gchar *)) != NULL)
    {
      if (strstr (refusal, needle) != NULL)
        g_error ("the secret \"%s\" is in the message: %s", needle, refusal);
      for (guint i = 0; i < warnings->len; i++)
        g_assert_null (strstr (g_ptr_array_index (warnings, i), needle));
    }
  va_end (ap);
  g_free (refusal);
  g_ptr_array_unref (warnings);
  furlhint_config_unref (config);
}

static void
assert_lacks (const gchar *haystack,
              const gchar *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("“%s” should not contain “%s”", haystack, needle);
}

/* --- defaults ------------------------------------------------------------ */

static void
test_defaults (void)
{
  FurlHintConfig *config = furlhint_config_new ();
  GHashTable *settings;
  GError *error = NULL;

  g_assert_false (furlhint_config_get_anonymous (config));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TCP);
  g_assert_false (furlhint_config_get_tor_fallback (config));
  g_assert_null (furlhint_config_get_tub_location (config));
  g_assert_nonnull (furlhint_config_get_warnings (config));
  g_assert_null (furlhint_config_get_warnings (config)[0]);
  g_assert_null (furlhint_config_get_value (config, "node", "nickname"));
  settings = furlhint_config_dup_plugin_settings (config, "tor");
  g_assert_cmpuint (g_hash_table_size (settings), ==, 0);
  g_hash_table_unref (settings);
  g_assert_true (furlhint_config_validate (config, &error));
  g_assert_no_error (error);

  g_assert_true (furlhint_config_ref (config) == config);
  furlhint_config_unref (config);
  furlhint_config_unref (config);
  furlhint_config_unref (NULL);
}

/* --- real tahoe.cfg files ------------------------------------------------ */

static void
test_tahoe_client (void)
{
  FurlHintConfig *config = load_ok ("tahoe-client.cfg");
  const gchar *const *location = furlhint_config_get_tub_location (config);
  GError *error = NULL;

  /* Tahoe's generated file: no noise */
  g_assert_null (furlhint_config_get_warnings (config)[0]);
  g_assert_false (furlhint_config_get_anonymous (config));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TCP);
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "alice-laptop");
  g_assert_cmpstr (furlhint_config_get_value (config, "client", "helper.furl"), ==, "");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "web.port"), ==,
                   "tcp:3456:interface=127.0.0.1");
  /* [storage] anonymous is storage authorisation, not [node] anonymous */
  g_assert_cmpstr (furlhint_config_get_value (config, "storage", "anonymous"), ==, "false");
  g_assert_null (furlhint_config_get_value (config, "node", "anonymous"));

  g_assert_nonnull (location);
  g_assert_cmpuint (g_strv_length ((gchar **) location), ==, 2);
  g_assert_cmpstr (location[0], ==, "tcp:alice.example.org:34567");
  g_assert_cmpstr (location[1], ==, "AUTO");

  /* normal mode: AUTO and tcp: hints are fine */
  g_assert_true (furlhint_config_validate (config, &error));
  g_assert_no_error (error);

  /* the CLI's --anonymous turns the same file into a privacy error */
  furlhint_config_set_anonymous (config, TRUE);
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_false (furlhint_config_validate (config, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);
  assert_contains (error->message, "set by furlhint_config_set_anonymous()");
  assert_contains (error->message, "\"tcp:alice.example.org:34567\": tub.location includes tcp: hint");
  assert_contains (error->message, "\"AUTO\": tub.location uses AUTO");
  assert_contains (error->message, "tahoe-client.cfg:16: [node] tub.location");
  g_clear_error (&error);
  furlhint_config_set_anonymous (config, FALSE);
  g_assert_true (furlhint_config_validate (config, NULL));

  furlhint_config_unref (config);
}

static void
test_tahoe_hide_ip (void)
{
  FurlHintConfig *config = load_ok ("tahoe-hide-ip.cfg");
  const gchar *const *location = furlhint_config_get_tub_location (config);
  GHashTable *settings;
  GError *error = NULL;

  g_assert_null (furlhint_config_get_warnings (config)[0]);
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TOR);
  g_assert_cmpuint (g_strv_length ((gchar **) location), ==, 3);
  g_assert_cmpstr (location[1], ==, "i2p:c2ng2pbrmxmlwpijn.b32.i2p");

  /* tor:, i2p: and a tcp: hint to a .onion: anonymous and allowed */
  g_assert_true (furlhint_config_validate (config, &error));
  g_assert_no_error (error);

  settings = furlhint_config_dup_plugin_settings (config, "tor");
  g_assert_cmpuint (g_hash_table_size (settings), ==, 7);
  g_assert_cmpstr (g_hash_table_lookup (settings, "enabled"), ==, "true");
  g_assert_cmpstr (g_hash_table_lookup (settings, "control.port"), ==, "tcp:127.0.0.1:9051");
  g_assert_cmpstr (g_hash_table_lookup (settings, "onion"), ==, "true");
  g_assert_cmpstr (g_hash_table_lookup (settings, "onion.local_port"), ==, "2000");
  g_assert_cmpstr (g_hash_table_lookup (settings, "onion.external_port"), ==, "3000");
  g_assert_cmpstr (g_hash_table_lookup (settings, "onion.private_key_file"), ==,
                   "private/tor_onion.privkey");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tcp"), ==, "tor");
  g_hash_table_unref (settings);

  settings = furlhint_config_dup_plugin_settings (config, "i2p");
  g_assert_cmpuint (g_hash_table_size (settings), ==, 6);
  g_assert_cmpstr (g_hash_table_lookup (settings, "sam.port"), ==, "tcp:127.0.0.1:7656");
  g_assert_cmpstr (g_hash_table_lookup (settings, "i2p.executable"), ==, "");
  g_assert_true (g_hash_table_contains (settings, "i2p.executable"));
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tcp"), ==, "tor");
  g_hash_table_unref (settings);

  /* a plugin without a section gets [connections] only */
  settings = furlhint_config_dup_plugin_settings (config, "socks");
  g_assert_cmpuint (g_hash_table_size (settings), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tcp"), ==, "tor");
  g_hash_table_unref (settings);

  furlhint_config_unref (config);
}

/* --- ConfigParser syntax ------------------------------------------------- */

static void
test_syntax_mix (void)
{
  FurlHintConfig *config = load_ok ("syntax-mix.cfg");
  const gchar *const *location = furlhint_config_get_tub_location (config);
  const gchar *const *warnings = furlhint_config_get_warnings (config);
  GHashTable *settings;
  GError *error = NULL;

  /* `:` separator, continuation lines, an empty line kept, an indented
   * comment dropped, keys lower-cased */
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==,
                   "bob the\nbuilder\nof nodes\n\nand more");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "NickName"), ==,
                   "bob the\nbuilder\nof nodes\n\nand more");
  /* sections are case-sensitive */
  g_assert_null (furlhint_config_get_value (config, "Node", "nickname"));
  /* the first of `=` and `:` separates */
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "tub.port"), ==, "tcp:1234");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "anything"), ==,
                   "goes : here = too");
  /* interpolation: %% and %(key)s from [DEFAULT] */
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "web.static"), ==, "100% static");
  g_assert_cmpstr (furlhint_config_get_value (config, "connections", "tor.socks-proxy"), ==,
                   "tcp:host=127.0.0.1:port=9050");
  /* [DEFAULT] fallback, only for sections that exist */
  g_assert_cmpstr (furlhint_config_get_value (config, "tor", "enabled"), ==, "yes");
  g_assert_cmpstr (furlhint_config_get_value (config, "i2p", "enabled"), ==, "off");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "base"), ==, "127.0.0.1");
  g_assert_cmpstr (furlhint_config_get_value (config, "DEFAULT", "base"), ==, "127.0.0.1");
  g_assert_null (furlhint_config_get_value (config, "nosuch", "base"));
  /* a repeated section is merged (strict=False) */
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "timeout.keepalive"), ==, "240");

  /* boolean "On", "TOR" lower-cased as Tahoe does, "1" */
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TOR);
  g_assert_true (furlhint_config_get_tor_fallback (config));

  /* entries are not stripped, as in Tahoe */
  g_assert_cmpuint (g_strv_length ((gchar **) location), ==, 2);
  g_assert_cmpstr (location[0], ==, "tor:xyz.onion:1000 ");
  g_assert_cmpstr (location[1], ==, " i2p:abc.i2p");

  /* the [DEFAULT] keys the core does not know (`enabled` is the tor
   * plugin's) */
  g_assert_cmpuint (g_strv_length ((gchar **) warnings), ==, 2);
  assert_contains (warnings[0], "syntax-mix.cfg:3: [DEFAULT] base: unknown to [node] and [connections]");
  assert_contains (warnings[1], "[DEFAULT] enabled: unknown to [node] and [connections]");

  /* hints with spaces cannot be used by other nodes: refused when anonymous */
  g_assert_false (furlhint_config_validate (config, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);
  assert_contains (error->message, "syntax-mix.cfg:13: [node] tub.location entry \"tor:xyz.onion:1000 \": spaces");
  assert_contains (error->message, "syntax-mix.cfg:13: [node] tub.location entry \" i2p:abc.i2p\": spaces");
  assert_contains (error->message, "anonymous mode (");
  assert_contains (error->message, "syntax-mix.cfg:15: [node] anonymous = \"On\")");
  g_clear_error (&error);

  settings = furlhint_config_dup_plugin_settings (config, "tor");
  g_assert_cmpuint (g_hash_table_size (settings), ==, 9);
  g_assert_cmpstr (g_hash_table_lookup (settings, "socks.port"), ==, "tcp:127.0.0.1:9050");
  g_assert_cmpstr (g_hash_table_lookup (settings, "launch"), ==, "FALSE");
  g_assert_cmpstr (g_hash_table_lookup (settings, "enabled"), ==, "yes");
  g_assert_cmpstr (g_hash_table_lookup (settings, "base"), ==, "127.0.0.1");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tcp"), ==, "TOR");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tor.socks-proxy"), ==,
                   "tcp:host=127.0.0.1:port=9050");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.tcp.tor-fallback"), ==, "1");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.base"), ==, "127.0.0.1");
  g_assert_cmpstr (g_hash_table_lookup (settings, "connections.enabled"), ==, "yes");
  g_hash_table_unref (settings);

  furlhint_config_unref (config);
}

static void
test_syntax_bom_crlf (void)
{
  FurlHintConfig *config = load_ok ("bom-crlf.cfg");

  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "bom");
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_DISABLED);
  g_assert_cmpstr (furlhint_config_get_tub_location (config)[0], ==, "disabled");
  g_assert_true (furlhint_config_validate (config, NULL));
  furlhint_config_unref (config);

  /* a lone CR ends a line too (universal newlines) */
  config = load_str_ok ("[node]\rnickname = cr\rweb.port = 1\r");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "cr");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "web.port"), ==, "1");
  furlhint_config_unref (config);
}

static void
test_syntax_details (void)
{
  FurlHintConfig *config;

  /* header: [ ... last ], trailing text ignored; indented header fine */
  config = load_str_ok ("  [a]b]c\nk = 1\n[node] trailing\nnickname=x\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "a]b", "k"), ==, "1");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "x");
  furlhint_config_unref (config);

  /* keys indented alike are separate keys; a deeper one continues */
  config = load_str_ok ("[x]\n  a = 1\n  b = 2\n    c = 3\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "a"), ==, "1");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "b"), ==, "2\nc = 3");
  g_assert_null (furlhint_config_get_value (config, "x", "c"));
  furlhint_config_unref (config);

  /* first delimiter wins; an indented key line continues the previous
   * value (as in Python); empty value; whitespace stripped; ; comments;
   * a trailing empty line is not part of the value */
  config = load_str_ok ("[x]\na:b=c\nd=e:f\n  empty =   \nempty =\t \n; comment = no\n"
                        "#x = y\nlast = v  \n\n\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "a"), ==, "b=c");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "d"), ==, "e:f\nempty =");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "empty"), ==, "");
  g_assert_null (furlhint_config_get_value (config, "x", "; comment"));
  g_assert_null (furlhint_config_get_value (config, "x", "#x"));
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "last"), ==, "v");
  furlhint_config_unref (config);

  /* no inline comments: the text after # is part of the value */
  config = load_str_ok ("[node]\nnickname = eve # the admin\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "eve # the admin");
  furlhint_config_unref (config);

  /* Unicode keys are lower-cased as str.lower() does */
  config = load_str_ok ("[x]\nNÏCK = ü\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "nïck"), ==, "ü");
  g_assert_cmpstr (furlhint_config_get_value (config, "x", "NÏCK"), ==, "ü");
  furlhint_config_unref (config);

  /* a repeated key: the last one counts, with a warning */
  config = load_str_ok ("[node]\nnickname = a\nnickname = b\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "b");
  g_assert_cmpuint (g_strv_length ((gchar **) furlhint_config_get_warnings (config)), ==, 1);
  assert_contains (furlhint_config_get_warnings (config)[0],
                   "t.cfg:3: [node] nickname is given again (first at line 2)");
  furlhint_config_unref (config);

  /* interpolation in sections furlhint does not read: chained, %% kept
   * literal; a broken one is left raw (Tahoe fails only when it reads it) */
  config = load_str_ok ("[extra]\na = 1\nb = %(a)s-%%\nc = %(B)s!\nd = %(d)s\ne = 50%\n");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "b"), ==, "1-%");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "c"), ==, "1-%!");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "d"), ==, "%(d)s");
  g_assert_cmpstr (furlhint_config_get_value (config, "extra", "e"), ==, "50%");
  furlhint_config_unref (config);

  /* an empty tub.location entry (a comma too many) stops the node in
   * every mode, as Foolscap would refuse the FURL */
  assert_load_fails ("[node]\ntub.location = tor:a.onion:1,,tor:b.onion:2\n",
                     FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "t.cfg:2: [node] tub.location = \"tor:a.onion:1,,tor:b.onion:2\": entry 2 \"\": "
                     "no connection hint may be empty", NULL);
  assert_load_fails ("[node]\ntub.location = tcp:example.org:3457,\n",
                     FURLHINT_CONFIG_ERROR_BAD_VALUE, "entry 2 \"\": no connection hint may be empty",
                     "accepted:", NULL);

  /* the "comment" after an inline # makes a bad value: say why */
  assert_load_fails ("[connections]\ntcp = tor # hide\n", FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "t.cfg:2: [connections] tcp = \"tor # hide\": not a TCP route",
                     "comment must be on a line of its own", NULL);
}

static void
test_syntax_errors (void)
{
  assert_load_fails ("nickname = x\n[node]\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:1: \"nickname = x\" comes before any section header",
                     "expected a section header such as [node]", NULL);
  assert_load_fails ("# only a comment\n\n[]\nk=v\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:3: \"[]\" comes before any section header", NULL);
  assert_load_fails ("[node]\nnickname = x\njust words\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:3: this line (not shown: it may be a secret value) is not a "
                     "section header", "expected \"[section]\", \"key = value\" or "
                     "\"key: value\"", NULL);
  assert_load_fails ("[node]\nkey\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:2: this line", "a key needs a value", NULL);
  assert_load_fails ("[node]\n = value\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:2: \"= value\" has no key before \"=\"", "expected \"key = value\"", NULL);
  assert_load_fails ("[node]\n: value\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "has no key before \":\"", NULL);
  assert_load_fails ("[node]\nbad one\nok = 1\nbad two\nbad three\n", FURLHINT_CONFIG_ERROR_SYNTAX,
                     "t.cfg:2: this line (not shown", "(and 2 more bad lines)", NULL);
}

/* --- files --------------------------------------------------------------- */

static void
test_load_missing (void)
{
  gchar *path = data_path ("no-such-file.cfg");
  GError *error = NULL;

  g_assert_null (furlhint_config_load_file (path, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO);
  assert_contains (error->message, path);
  assert_contains (error->message, "cannot read the configuration");
  assert_contains (error->message, "expected a readable tahoe.cfg file");
  g_error_free (error);
  g_free (path);
}

static void
test_load_directory (void)
{
  gchar *path = g_test_build_filename (G_TEST_DIST, "data", "cfg", NULL);
  GError *error = NULL;

  g_assert_null (furlhint_config_load_file (path, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_IO);
  assert_contains (error->message, path);
  assert_contains (error->message, "it is a directory");
  g_error_free (error);
  g_free (path);
}

static void
test_load_bad_bytes (void)
{
  static const struct {
    const gchar *file;
    const gchar *needle1;
    const gchar *needle2;
  } cases[] = {
    { "binary.cfg", ".cfg:1: contains a NUL byte", "expected a UTF-8 text file" },
    { "nul.cfg", "nul.cfg:2: contains a NUL byte", "expected a UTF-8 text file" },
    { "invalid-utf8.cfg", "invalid-utf8.cfg:2: not valid UTF-8 (byte 0xff at byte 12",
      "expected a UTF-8 text file" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gchar *path = data_path (cases[i].file);
      GError *error = NULL;

      g_assert_null (furlhint_config_load_file (path, &error));
      g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX);
      assert_contains (error->message, cases[i].needle1);
      assert_contains (error->message, cases[i].needle2);
      g_error_free (error);
      g_free (path);
    }

  /* load_data with an explicit length sees the NUL, too */
  {
    GError *error = NULL;

    g_assert_null (furlhint_config_load_data ("[x]\na=1\0b=2\n", 12, NULL, &error));
    g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX);
    assert_contains (error->message, "(data):2: contains a NUL byte");
    g_error_free (error);
  }
}

static void
test_load_empty (void)
{
  FurlHintConfig *config = load_ok ("empty.cfg");

  g_assert_false (furlhint_config_get_anonymous (config));
  g_assert_null (furlhint_config_get_tub_location (config));
  g_assert_null (furlhint_config_get_warnings (config)[0]);
  furlhint_config_unref (config);

  config = furlhint_config_load_data ("", 0, NULL, NULL);
  g_assert_nonnull (config);
  furlhint_config_unref (config);
}

static void
test_load_huge_line (void)
{
  GString *text = g_string_new ("[node]\nnickname = ");
  FurlHintConfig *config;
  GError *error = NULL;
  gsize i;

  for (i = 0; i < 1024 * 1024; i++)
    g_string_append_c (text, 'a' + (i % 26));
  g_string_append (text, "\n");
  config = load_str_ok (text->str);
  g_assert_cmpuint (strlen (furlhint_config_get_value (config, "node", "nickname")), ==, 1024 * 1024);
  furlhint_config_unref (config);

  /* a huge bad line: the message names its line, not its text */
  g_string_assign (text, "[node]\n");
  for (i = 0; i < 1024 * 1024; i++)
    g_string_append_c (text, 'x');
  config = load_str (text->str, &error);
  g_assert_null (config);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX);
  assert_contains (error->message, "t.cfg:2: this line");
  g_assert_cmpuint (strlen (error->message), <, 1000);
  g_error_free (error);
  g_string_free (text, TRUE);
}

/* --- values -------------------------------------------------------------- */

static void
test_booleans (void)
{
  static const gchar *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "ON", "1", NULL };
  static const gchar *const no[] = { "false", "False", "no", "NO", "off", "Off", "0", NULL };
  static const gchar *const bad[] = { "maybe", "", "2", "tru e", "y", "enabled", NULL };
  guint i;

  for (i = 0; yes[i] != NULL; i++)
    {
      gchar *text = g_strdup_printf ("[node]\nanonymous = %s\n[connections]\ntcp.tor-fallback = %s\n",
                                     yes[i], yes[i]);
      FurlHintConfig *config = load_str_ok (text);

      g_assert_true (furlhint_config_get_anonymous (config));
      g_assert_true (furlhint_config_get_tor_fallback (config));
      furlhint_config_unref (config);
      g_free (text);

      /* reveal-IP-address = false ≡ anonymous = true */
      text = g_strdup_printf ("[node]\nreveal-IP-address = %s\n", yes[i]);
      config = load_str_ok (text);
      g_assert_false (furlhint_config_get_anonymous (config));
      furlhint_config_unref (config);
      g_free (text);
    }
  for (i = 0; no[i] != NULL; i++)
    {
      gchar *text = g_strdup_printf ("[node]\nanonymous = %s\n", no[i]);
      FurlHintConfig *config = load_str_ok (text);

      g_assert_false (furlhint_config_get_anonymous (config));
      furlhint_config_unref (config);
      g_free (text);

      text = g_strdup_printf ("[node]\nREVEAL-ip-ADDRESS: %s\n", no[i]);
      config = load_str_ok (text);
      g_assert_true (furlhint_config_get_anonymous (config));
      furlhint_config_unref (config);
      g_free (text);
    }
  for (i = 0; bad[i] != NULL; i++)
    {
      gchar *text = g_strdup_printf ("[node]\nnickname = n\nanonymous = %s\n", bad[i]);
      gchar *needle = g_strdup_printf ("t.cfg:3: [node] anonymous = \"%s\": not a boolean; "
                                       ACCEPTED_BOOLEAN, bad[i]);

      assert_load_fails (text, FURLHINT_CONFIG_ERROR_BAD_VALUE, needle, NULL);
      g_free (needle);
      g_free (text);
    }
}

/* A carrier's name is well formed: the config keeps it (lower case) and
 * leaves "is it loaded" to the ranker. */
static void
test_tcp_carrier_name (void)
{
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;

  config = furlhint_config_load_data ("[connections]\ntcp = HTTPConnect\n", -1, "t.cfg", &error);
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_CARRIER);
  g_assert_cmpstr (furlhint_config_get_tcp_route (config), ==, "httpconnect");
  g_assert_cmpstr (furlhint_config_get_tcp_where (config), ==,
                   "t.cfg:2: [connections] tcp = \"HTTPConnect\"");
  furlhint_config_unref (config);

  config = furlhint_config_load_data ("[connections]\ntcp = Tor\n", -1, "t.cfg", &error);
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TOR);
  g_assert_cmpstr (furlhint_config_get_tcp_route (config), ==, "tor");
  furlhint_config_unref (config);

  config = furlhint_config_load_data ("[node]\n", -1, "t.cfg", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_config_get_tcp_route (config), ==, "tcp");
  g_assert_null (furlhint_config_get_tcp_where (config));
  furlhint_config_unref (config);
}

static void
test_bad_tcp_file (void)
{
  gchar *path = data_path ("bad-tcp.cfg");
  gchar *expected = g_strdup_printf ("%s:8: [connections] tcp = \"tcp, tor\": not a TCP route; "
                                     "accepted: tcp, tor, disabled, or the name of a loaded "
                                     "plugin that carries tcp: hints (letters, digits, '_' and "
                                     "'-'; any letter case)", path);
  GError *error = NULL;

  g_assert_null (furlhint_config_load_file (path, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_cmpstr (error->message, ==, expected);
  g_error_free (error);
  g_free (expected);
  g_free (path);
}

static void
test_bad_values (void)
{
  static const struct {
    const gchar *section;
    const gchar *key;
    const gchar *value;
    const gchar *reason;     /* text after `[section] key = "value": ` */
    const gchar *accepted;   /* must also appear */
  } cases[] = {
    { "connections", "tcp", "tcp/tor", "not a TCP route", "accepted: tcp, tor, disabled" },
    { "connections", "tcp", "tor.socks-proxy", "not a TCP route",
      "or the name of a loaded plugin that carries tcp: hints" },
    { "connections", "tcp", "", "not a TCP route", "accepted: tcp, tor, disabled" },
    { "connections", "tcp.socks-proxy", "", "a SOCKS proxy endpoint is required here",
      "accepted: tcp:HOST:PORT" },
    { "connections", "tcp.socks-proxy", "tcp:localhost", "not a client endpoint: no port",
      "accepted: tcp:HOST:PORT" },
    { "connections", "tor.socks-proxy", "tcp:127.0.0.1:0",
      "not a client endpoint: port “0” is out of range 1..65535", "accepted: tcp:HOST:PORT" },
    { "connections", "tor.socks-proxy", "ssl:foo:443",
      "not a client endpoint: endpoint type “ssl” cannot be used here", "unix:/PATH" },
    { "connections", "i2p.sam-api", "127.0.0.1:http",
      "not a client endpoint: port “http” is not a number", "HOST:PORT" },
    { "connections", "tcp.tor-fallback", "sometimes", "not a boolean", ACCEPTED_BOOLEAN },
    { "tor", "socks.port", "tcp:127.0.0.1:99999", "not a client endpoint: port “99999” is out of range 1..65535", "accepted: tcp:HOST:PORT" },
    { "tor", "control.port", "unix:", "not a client endpoint: no socket path", "unix:path=/PATH" },
    { "tor", "enabled", "maybe", "not a boolean", ACCEPTED_BOOLEAN },
    { "tor", "launch", "please", "not a boolean", ACCEPTED_BOOLEAN },
    { "tor", "onion", "perhaps", "not a boolean", ACCEPTED_BOOLEAN },
    { "tor", "onion.local_port", "0", "not a port number", "accepted: a port number 1..65535" },
    { "tor", "onion.external_port", "65536", "not a port number", "accepted: a port number 1..65535" },
    { "i2p", "sam.port", "tcp:host=127.0.0.1", "not a client endpoint: no port", "accepted: tcp:HOST:PORT" },
    { "i2p", "dest.port", "x", "not a port number", "accepted: a port number 1..65535" },
    { "i2p", "enabled", "nah", "not a boolean", ACCEPTED_BOOLEAN },
    { "i2p", "launch", "2", "not a boolean", ACCEPTED_BOOLEAN },
    { "i2p", "dest", "yess", "not a boolean", ACCEPTED_BOOLEAN },
    /* tub.location: an entry that is no hint, AUTO or server endpoint */
    { "node", "tub.location", "tcp:example.org:3457,", "entry 2 \"\": no connection hint may be empty", "accepted: comma-separated connection hints" },
    { "node", "tub.location", "Auto", "entry 1 \"Auto\": AUTO is written in upper case", "accepted:" },
    { "node", "tub.location", "tcp:a.org:1,Disabled", "entry 2 \"Disabled\": \"disabled\" is written in lower case and is the whole value", "accepted:" },
    { "node", "tub.location", "tor:abc.onion", "entry 1 \"tor:abc.onion\": not a tor: hint", "accepted: tor:HOST:PORT" },
    { "node", "tub.location", "onion:hiddenServiceDir=/x", "needs the virtual port clients reach", "onion:80:hiddenServiceDir=DIR" },
    { "node", "tub.location", "onion:0:hiddenServiceDir=/x", "needs the virtual port clients reach, 1..65535 (onion:80:hiddenServiceDir=DIR), not \"0\"", "accepted:" },
    { "node", "tub.location", "onion:80:hiddenservicedir=/x", "has no keyword hiddenservicedir=; accepted keywords: public_port, localPort", "accepted keywords:" },
    { "node", "tub.location", "onion:80:localPort=abc", "localPort=abc is not a port number", "accepted:" },
    { "node", "tub.location", "onion:80:hiddenServiceDir=/a:privateKeyFile=/b", "only one of hiddenServiceDir= and privateKeyFile=", "accepted:" },
    { "node", "tub.location", "onion:80:version=2:hiddenServiceDir=/a", "version 2 onion services are no longer supported by tor", "version=3" },
    { "node", "tub.location", "onion:80:81", "takes 1 positional argument, \"81\" is one too many", "accepted keywords" },
    { "node", "tub.location", "onion:80:hiddenServiceDir=/a:hiddenServiceDir=/b", "hiddenServiceDir is given twice", "accepted:" },
    { "node", "tub.location", "i2p:/k:api=BOB", "the BOB API is not supported (furlhint speaks SAM)", "api=SAM" },
    { "node", "tub.location", "i2p:/k:port=x", "port \"x\" is not a port number", "accepted:" },
    { "node", "tub.location", "i2p:/k:apiEndpoint=x", "apiEndpoint= needs api=SAM", "accepted:" },
    { "node", "tub.location", "i2p:/k:sam=1", "has no keyword sam=; accepted keywords: keyfile, port, api", "accepted keywords:" },
    { "node", "tub.location", "i2p::1", "needs the path of the destination's key file", "accepted:" },
    /* tub.port: Tahoe's forms only, in Tahoe's letter case */
    { "node", "tub.port", "foo:bar", "entry 1 \"foo:bar\": \"foo\" is not a server endpoint type furlhint knows", "accepted: comma-separated Twisted server endpoints" },
    { "node", "tub.port", "tcp:abc", "entry 1 \"tcp:abc\": the tcp:PORT endpoint needs a port number 1..65535, not \"abc\"", "accepted:" },
    { "node", "tub.port", "Disabled", "entry 1 \"Disabled\": \"disabled\" is written in lower case", "accepted:" },
    { "node", "tub.port", "tcp:3457,", "entry 2 \"\": no endpoint may be empty", "accepted:" },
    { "node", "tub.port", "3457,listen:tor", "a bare port number is accepted as the whole value of tub.port only", "write tcp:PORT" },
    { "node", "tub.port", "listen:onion", "Tahoe knows listen:tor and listen:i2p only", "accepted:" },
    { "node", "tub.port", "tcp:3457:interface=example.org", "interface=example.org is not an IP address", "accepted:" },
    { "node", "tub.port", "tcp:3457:bind=1.2.3.4", "has no keyword bind=", "accepted keywords:" },
    { "node", "tub.port", "", "tub.port must not be empty", "accepted: comma-separated Twisted server endpoints" },
    { "node", "tub.port", "0", "port 0 (let the kernel choose) is refused by Tahoe", "or disabled" },
    { "node", "tub.port", "000", "port 0 (let the kernel choose) is refused by Tahoe", "or disabled" },
    { "node", "tub.port", "tcp:3456,tcp:port=0", "port 0 (let the kernel choose) is refused by Tahoe (PortAssignmentRequired", "accepted:" },
    /* node.py's PortAssignmentRequired list, and why */
    { "node", "tub.port", "tcp:0", "port 0 (let the kernel choose) is refused by Tahoe (PortAssignmentRequired: \"tub.port cannot be 0: you must choose\"): the node's FURLs carry its port, so it must stay the same at every start", "a bare port number other than 0" },
    { "node", "tub.port", "listen:tor,tcp:0:interface=127.0.0.1", "port 0 (let the kernel choose) is refused by Tahoe", "accepted:" },
    /* beyond Tahoe's list (which would bind a kernel-chosen port, that
     * AUTO then advertises as 0): the endpoint's own port rule */
    { "node", "tub.port", "tcp:0:interface=10.0.0.1", "entry 1 \"tcp:0:interface=10.0.0.1\": the tcp:PORT endpoint needs a port number 1..65535, not \"0\"", "accepted:" },
    { "node", "reveal-IP-address", "nope", "not a boolean", ACCEPTED_BOOLEAN },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gchar *text = g_strdup_printf ("[node]\nnickname = n\n\n[%s]\n%s = %s\n",
                                     cases[i].section, cases[i].key, cases[i].value);
      gchar *needle = g_strdup_printf ("t.cfg:5: [%s] %s = \"%s\": %s", cases[i].section,
                                       cases[i].key, cases[i].value, cases[i].reason);

      g_test_message ("case %u: %s", i, text);
      if (strcmp (cases[i].section, "node") == 0)
        {
          g_free (text);
          text = g_strdup_printf ("[node]\nnickname = n\n\n\n%s = %s\n",
                                  cases[i].key, cases[i].value);
        }
      /* an entry's problem: the entry is named first, then the reason */
      if (g_str_has_prefix (cases[i].key, "tub.") && !g_str_has_prefix (cases[i].reason, "entry ") &&
          strstr (cases[i].reason, "port 0") == NULL && strstr (cases[i].reason, "must not") == NULL)
        {
          gchar *prefix = g_strdup_printf ("t.cfg:5: [%s] %s = \"%s\": entry ", cases[i].section,
                                           cases[i].key, cases[i].value);

          assert_load_fails (text, FURLHINT_CONFIG_ERROR_BAD_VALUE, prefix, cases[i].reason,
                             cases[i].accepted, NULL);
          g_free (prefix);
        }
      /* a plugin's section: checked against the keys the plugin declares
       * as it loads, in the same words, with file and line */
      else if (strcmp (cases[i].section, "tor") == 0 || strcmp (cases[i].section, "i2p") == 0)
        assert_plugin_refuses (text, needle, cases[i].accepted, NULL, NULL);
      else
        assert_load_fails (text, FURLHINT_CONFIG_ERROR_BAD_VALUE, needle, cases[i].accepted, NULL);
      g_free (needle);
      g_free (text);
    }
}

static void
test_bad_interpolation (void)
{
  assert_load_fails ("[connections]\ntcp = 50%\n", FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "t.cfg:2: [connections] tcp = \"50%\": '%' must be followed by '%' or '(', found: \"%\"",
                     "accepted: %% for a literal %", NULL);
  assert_load_fails ("[node]\ntub.location = %(nope)s\n", FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "t.cfg:2: [node] tub.location = \"%(nope)s\": bad value substitution: "
                     "%(nope)s names no key of [node] or [DEFAULT]", NULL);
  assert_load_fails ("[node]\na = %(b)s\nb = %(a)s\ntub.location = %(a)s\n",
                     FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "t.cfg:4: [node] tub.location = \"%(a)s\": recursion limit exceeded", NULL);
  /* a plugin's section: refused as the plugin loads, in the same words */
  assert_plugin_refuses ("[tor]\nsocks.port = %(x\n", "plugin 'tor' (",
                         "failed to initialise: t.cfg:2: [tor] socks.port = \"%(x\": "
                         "bad interpolation variable reference \"%(x\"", NULL, NULL);
  /* a bad value reached through [DEFAULT] names [DEFAULT] */
  assert_plugin_refuses ("[DEFAULT]\nenabled = sure\n[tor]\n",
                         "t.cfg:2: [tor] enabled = \"sure\" (from [DEFAULT]): not a boolean",
                         NULL, NULL);
}

/* Loads @text, expects it to fail, and checks that the message quotes
 * none of @secrets (NULL-terminated) and holds @shown. */
static void
assert_fails_hiding (const gchar *text,
                     const gchar *shown,
                     ...)
{
  GError *error = NULL;
  FurlHintConfig *config = load_str (text, &error);
  va_list ap;

  g_assert_null (config);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  assert_contains (error->message, shown);
  va_start (ap, shown);
  for (const gchar *secret = va_arg (ap, const gchar *); secret != NULL;
       secret = va_arg (ap, const gchar *))
    if (strstr (error->message, secret) != NULL)
      g_error ("the secret \"%s\" is in the message: %s", secret, error->message);
  va_end (ap);
  g_error_free (error);
}

/* ConfigParser's interpolation errors quote the value, and so do the
 * other errors: never a password, nor a FURL's name. */
static void
test_secrets_not_quoted (void)
{
  GError *error = NULL;
  FurlHintConfig *config;

  /* [tor] control.password: no part of it, in any error about it. */
  /* an onion key written inline is refused, and never quoted */
  assert_fails_hiding ("[node]\ntub.location = onion:80:privateKey=ED25519-V3\\:c2VjcmV0a2V5\n",
                       "privateKey= would write the service's secret key", "c2VjcmV0a2V5", NULL);
  assert_fails_hiding ("[node]\ntub.location = tor:a.onion:1,onion:80:privateKey=ED25519-V3:c2VjcmV0a2V5:localPort=1\n",
                       "entry 2 \"onion:80:privateKey=[censored]:[censored]:localPort=1\": txtorcon's onion:PORT "
                       "endpoint: privateKey= would write", "c2VjcmV0a2V5", NULL);
  /* (the tor plugin's section: refused as it loads, which the core checks
   * against the keys the plugin declares, control.password a secret) */
  assert_plugin_refuses ("[tor]\ncontrol.password = hunter2%sec\n",
                         "t.cfg:2: [tor] control.password = \"[censored]\": '%' must be followed "
                         "by '%' or '(', found: \"[censored]\"", NULL, "hunter2", "%sec", NULL);
  assert_plugin_refuses ("[tor]\ncontrol.password = hunter2%(nope)s\n",
                         "[tor] control.password = \"[censored]\": bad value substitution: "
                         "%(nope)s names no key of [tor] or [DEFAULT] (raw value \"[censored]\")",
                         NULL, "hunter2", NULL);
  assert_plugin_refuses ("[tor]\ncontrol.password = hunter2%(x\n",
                         "bad interpolation variable reference \"[censored]\"", NULL, "hunter2", NULL);
  assert_plugin_refuses ("[DEFAULT]\na = %(b)s\nb = %(a)s\n[tor]\ncontrol.password = %(a)shunter2\n",
                         "recursion limit exceeded", NULL, "hunter2", NULL);
  /* Another key of the section that interpolates the secret: its error
   * quotes the raw value, not what it interpolated to. */
  assert_plugin_refuses ("[tor]\ncontrol.password = hunter2\ncontrol.port = %(control.password)s\n",
                         "t.cfg:3: [tor] control.port = \"%(control.password)s\": not a valid "
                         "value once interpolated", "accepted: tcp:HOST:PORT", NULL,
                         "hunter2", NULL);
  assert_plugin_refuses ("[tor]\ncontrol.password = hunter2\nsocks.port = tcp:127.0.0.1:%(control.password)s\n",
                         "[tor] socks.port = \"tcp:127.0.0.1:%(control.password)s\"", NULL,
                         "hunter2", NULL);
  /* The same key through [DEFAULT]. */
  assert_plugin_refuses ("[DEFAULT]\ncontrol.password = hunter2%\n[tor]\n",
                         "[tor] control.password = \"[censored]\" (from [DEFAULT])", NULL,
                         "hunter2", NULL);

  /* tcp.socks-proxy: the password= field, whatever else is wrong. */
  assert_fails_hiding ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:99999:user=alice:password=hunter2\n",
                       "[connections] tcp.socks-proxy = \"tcp:127.0.0.1:99999:user=alice:"
                       "password=[censored]\": not a client endpoint", "hunter2", NULL);
  assert_fails_hiding ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080:password=hunter2\n",
                       "password=[censored]\": user= and password= go together", "hunter2", NULL);
  assert_fails_hiding ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080:user=a:password=hunter2%\n",
                       "found: \"[censored]\"", "hunter2", NULL);

  /* [connections] tcp naming a carrier through %(key)s: the name is
   * quoted wherever the route is explained, so it is refused (a route
   * Tahoe knows, through %(key)s, is still fine). */
  assert_fails_hiding ("[DEFAULT]\ncontrol.password = hunter2\n[connections]\ntcp = %(control.password)s\n",
                       "t.cfg:4: [connections] tcp = \"%(control.password)s\": not a valid value",
                       "hunter2", NULL);
  config = load_str_ok ("[DEFAULT]\nroute = TOR\n[connections]\ntcp = %(route)s\n");
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TOR);
  furlhint_config_unref (config);

  /* A line that is no key line may still hold a password. */
  assert_fails_hiding ("[tor]\ncontrol.password hunter2\n", "t.cfg:2: this line (not shown: "
                       "it may be a secret value) is not a section header", "hunter2", NULL);
  /* A secret on the line after its key, not indented: the line is
   * neither a key line nor a continuation, and is all secret; so is a
   * plugin's secret (its name says nothing) on a line without '='. */
  assert_fails_hiding ("[tor]\ncontrol.password =\nhunter2\n", "t.cfg:3: this line", "hunter2", NULL);
  assert_fails_hiding ("[keyed]\ntoken hunter2\n", "t.cfg:2: this line", "hunter2", NULL);
  /* A FURL in a value: its name. */
  assert_fails_hiding ("[node]\nlog_gatherer.furl = pb://t@h:1/swiss%num\n",
                       "[node] log_gatherer.furl = \"pb://t@h:1/[censored]\"", "swiss", NULL);

  /* furlhint_config_set_value(): the same. */
  config = load_str_ok ("[tor]\n");
  g_assert_false (furlhint_config_set_value (config, "tor", "control.password", "hunter2%", &error));
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "hunter2"));
  assert_contains (error->message, "control.password = \"[censored]\"");
  g_clear_error (&error);
  furlhint_config_unref (config);
}

/* --- conflicts ----------------------------------------------------------- */

static void
test_conflicts (void)
{
  FurlHintConfig *config;

  assert_load_fails ("[node]\nanonymous = true\nreveal-IP-address = true\n",
                     FURLHINT_CONFIG_ERROR_CONFLICT,
                     "t.cfg:2: [node] anonymous = \"true\": contradicts "
                     "t.cfg:3: [node] reveal-IP-address = \"true\"",
                     "accepted: one of the two keys, or values that agree", NULL);
  assert_load_fails ("[node]\nreveal-ip-address = off\nanonymous = no\n",
                     FURLHINT_CONFIG_ERROR_CONFLICT,
                     "t.cfg:3: [node] anonymous = \"no\": contradicts "
                     "t.cfg:2: [node] reveal-IP-address = \"off\"", NULL);

  config = load_str_ok ("[node]\nanonymous = true\nreveal-IP-address = false\n");
  g_assert_true (furlhint_config_get_anonymous (config));
  furlhint_config_unref (config);
  config = load_str_ok ("[node]\nanonymous = 0\nreveal-IP-address = 1\n");
  g_assert_false (furlhint_config_get_anonymous (config));
  furlhint_config_unref (config);

  /* Between [connections] NAME.* and [NAME]: plugin NAME's rule, made
   * once, in its words (docs/design.md, "tahoe.cfg ownership"). */
  assert_plugin_refuses ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\n"
                         "[tor]\nsocks.port = tcp:127.0.0.1:9150\n",
                         "plugin 'tor' (", "tahoe.cfg [connections] tor.socks-proxy = "
                         "\"tcp:127.0.0.1:9050\" and [tor] socks.port = \"tcp:127.0.0.1:9150\" "
                         "name different Tor SOCKS ports; accepted: one of them, or both naming "
                         "the same endpoint", NULL, NULL);
  /* the same endpoint spelled two ways, or one of them blank: fine */
  {
    static const gchar *const fine[] = {
      "[connections]\ntor.socks-proxy = tcp:host=LOCALHOST:port=09050\n[tor]\nsocks.port = localhost:9050\n",
      "[connections]\ntor.socks-proxy =\n[tor]\nsocks.port = tcp:127.0.0.1:9150\n",
    };

    for (guint i = 0; i < G_N_ELEMENTS (fine); i++)
      {
        gchar *refusal = NULL;
        GPtrArray *warnings;

        config = load_str_ok (fine[i]);
        warnings = plugins_meet (config, &refusal);
        g_assert_cmpstr (refusal, ==, NULL);
        g_ptr_array_unref (warnings);
        furlhint_config_unref (config);
      }
  }

  assert_plugin_refuses ("[connections]\ni2p.sam-api = tcp:127.0.0.1:7656\n"
                         "[i2p]\nsam.port = unix:/run/i2p/sam\n",
                         "plugin 'i2p' (", "tahoe.cfg [connections] i2p.sam-api = "
                         "\"tcp:127.0.0.1:7656\" and [i2p] sam.port = \"unix:/run/i2p/sam\" name "
                         "different SAM bridges", NULL, NULL);
  /* Tahoe's "must not set both sam.port and launch": furlhint refuses
   * launch whatever else is set */
  assert_plugin_refuses ("[i2p]\nsam.port = tcp:127.0.0.1:7656\nlaunch = true\n",
                         "plugin 'i2p' (", "tahoe.cfg [i2p] launch = \"true\": furlhint does not "
                         "launch I2P routers", NULL, NULL);
  assert_plugin_refuses ("[connections]\ntcp = tor\n[tor]\nenabled = false\n",
                         "plugin 'tor' (", "tahoe.cfg [tor] enabled = \"false\" turns Tor off, but "
                         "[connections] tcp = tor needs it; accepted:", NULL, NULL);
  assert_plugin_refuses ("[connections]\ntor.socks-proxy =\n[tor]\nenabled = no\n",
                         "tahoe.cfg [tor] enabled = \"no\" turns Tor off, but [connections] "
                         "tor.socks-proxy asks for it", NULL, NULL);
  assert_plugin_refuses ("[connections]\ni2p.sam-api =\n[i2p]\nenabled = no\n",
                         "tahoe.cfg [i2p] enabled = \"no\" turns I2P off, but [connections] "
                         "i2p.sam-api asks for it", NULL, NULL);
  assert_load_fails ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\ntcp = tor\n",
                     FURLHINT_CONFIG_ERROR_CONFLICT,
                     "t.cfg:2: [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080\" conflicts with "
                     "t.cfg:3: [connections] tcp = \"tor\"", "through Tor", NULL);
  assert_load_fails ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\ntcp = disabled\n",
                     FURLHINT_CONFIG_ERROR_CONFLICT, "be disabled", NULL);

  /* [tor] launch with socks.port: Tahoe's precedence, a warning */
  config = load_str_ok ("[tor]\nlaunch = true\nsocks.port = tcp:127.0.0.1:9050\ncontrol.port =\n");
  g_assert_cmpuint (g_strv_length ((gchar **) furlhint_config_get_warnings (config)), ==, 1);
  assert_contains (furlhint_config_get_warnings (config)[0],
                   "t.cfg:3: [tor] socks.port: ignored for outgoing connections because [tor] launch = true");
  furlhint_config_unref (config);
}

/* --- warnings ------------------------------------------------------------ */

static void
test_unknown_keys (void)
{
  FurlHintConfig *config = load_ok ("unknown-keys.cfg");
  const gchar *const *warnings = furlhint_config_get_warnings (config);
  gchar *path = data_path ("unknown-keys.cfg");
  gchar *expected;

  g_assert_cmpuint (g_strv_length ((gchar **) warnings), ==, 2);

  expected = g_strdup_printf ("%s:3: [node] tub.locaton: unknown key, ignored; did you mean "
                              "tub.location? (known in [node]: "
                              "anonymous, log_gatherer.furl, nickname, reveal-IP-address, tempdir, "
                              "timeout.disconnect, timeout.keepalive, tub.location, tub.port, "
                              "web.port, web.static)", path);
  g_assert_cmpstr (warnings[0], ==, expected);
  g_free (expected);

  expected = g_strdup_printf ("%s:8: [connections] socks.port: unknown key, ignored "
                              "(known in [connections]: ", path);
  g_assert_true (g_str_has_prefix (warnings[1], expected));
  g_free (expected);

  /* [tor] and [i2p]: the tor and i2p plugins' sections, checked against
   * the keys they declare as they load; a near miss gets a suggestion */
  {
    gchar *refusal = NULL;
    GPtrArray *plugin_warnings = plugins_meet (config, &refusal);
    gboolean seen_tor = FALSE, seen_i2p = FALSE;

    g_assert_null (refusal);
    for (guint i = 0; i < plugin_warnings->len; i++)
      {
        const gchar *w = g_ptr_array_index (plugin_warnings, i);

        expected = g_strdup_printf ("tor: %s:12: [tor] sokcs.port: unknown key, ignored; did you "
                                    "mean socks.port? (known in [tor]: enabled, launch, ", path);
        seen_tor |= g_str_has_prefix (w, expected);
        g_free (expected);
        expected = g_strdup_printf ("i2p: %s:15: [i2p] sam.api: unknown key, ignored (known in "
                                    "[i2p]: enabled, sam.port, ", path);
        seen_i2p |= g_str_has_prefix (w, expected);
        g_free (expected);
      }
    g_assert_true (seen_tor);
    g_assert_true (seen_i2p);
    g_ptr_array_unref (plugin_warnings);
  }

  /* [storage] and unknown sections are not ours: no warnings, values kept */
  g_assert_cmpstr (furlhint_config_get_value (config, "frobnicator", "foo"), ==, "bar");
  g_assert_true (furlhint_config_validate (config, NULL));

  g_free (path);
  furlhint_config_unref (config);
}

/* --- validate ------------------------------------------------------------ */

static void
test_validate_leaky_file (void)
{
  FurlHintConfig *config = load_ok ("anonymous-leaky.cfg");
  gchar *path = data_path ("anonymous-leaky.cfg");
  gchar *expected;
  GError *error = NULL;

  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_false (furlhint_config_validate (config, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);

  expected = g_strdup_printf ("%s: anonymous mode (%s:2: [node] reveal-IP-address = \"False\") "
                              "but the configuration would reveal this node's IP address: "
                              "%s:7: [connections] tcp = \"tcp\": Privacy requested with "
                              "`reveal-IP-address = false` but `tcp = tcp` conflicts with this.; "
                              "%s:3: [node] tub.port entry \"tcp:3457\": listens on every "
                              "interface, where anyone who finds the port finds the node "
                              "(tcp:PORT:interface=127.0.0.1 listens on loopback only); "
                              "%s:4: [node] tub.location entry \"AUTO\": tub.location uses AUTO; "
                              "%s:4: [node] tub.location entry \"tcp:10.0.0.5:3457\": "
                              "tub.location includes tcp: hint; "
                              "%s:4: [node] tub.location entry \"192.168.1.2:3457\": "
                              "tub.location includes tcp: hint; accepted in anonymous mode: ",
                              path, path, path, path, path, path, path);
  if (!g_str_has_prefix (error->message, expected))
    g_error ("got “%s”\nwanted “%s...”", error->message, expected);
  assert_lacks (error->message, "abcdefghijklmnop");
  g_free (expected);
  g_error_free (error);
  g_free (path);
  furlhint_config_unref (config);
}

static void
test_validate_cases (void)
{
  static const struct {
    const gchar *text;
    gint code;                /* 0: valid */
    const gchar *needle1;
    const gchar *needle2;
  } cases[] = {
    /* anonymous + AUTO */
    { "[node]\nanonymous = true\ntub.location = AUTO\n[connections]\ntcp = tor\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "entry \"AUTO\": tub.location uses AUTO", NULL },
    /* the seed's client use case 3, verbatim: advertises nothing */
    { "[node]\nanonymous = True\ntub.location =\n", 0, NULL, NULL },
    /* ... and Tahoe 1.20's spelling of it */
    { "[node]\nanonymous = True\ntub.port = disabled\ntub.location = disabled\n", 0, NULL, NULL },
    /* the seed's server use case 3 and 2, verbatim apart from paths */
    { "[node]\nanonymous = True\ntub.location = onion:80:hiddenServiceDir=/var/lib/tor/my_service,"
      "i2p:/var/lib/i2p/my_service.keypair\n", 0, NULL, NULL },
    { "[node]\nanonymous = False\ntub.location = AUTO,onion:80:hiddenServiceDir=/var/lib/tor/"
      "my_service,i2p:/var/lib/i2p/my_service.keypair\n", 0, NULL, NULL },
    /* the seed's other server examples (normal mode) */
    { "[node]\ntub.location = tcp:123.456.789.0:80,onion:80:hiddenServiceDir=/var/lib/tor/my_service\n",
      0, NULL, NULL },
    { "[node]\ntub.location = onion:80:hiddenServiceDir=/var/lib/tor/my_service\n", 0, NULL, NULL },
    /* ... but AUTO or a clear entry next to them under anonymity is not */
    { "[node]\nanonymous = True\ntub.location = AUTO,onion:80:hiddenServiceDir=/var/lib/tor/"
      "my_service,i2p:/var/lib/i2p/my_service.keypair\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "t.cfg:3: [node] tub.location entry \"AUTO\": tub.location uses AUTO", NULL },
    { "[node]\nanonymous = True\ntub.location = tcp:123.456.789.0:80,onion:80:hiddenServiceDir=/x\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "entry \"tcp:123.456.789.0:80\": tub.location includes tcp: hint", NULL },
    /* a tor: hint to anything but an onion name publishes the node */
    { "[node]\nanonymous = true\ntub.location = tor:203.0.113.5:3457,tor:mynode.example.com:3457,"
      "tor:[2001:db8::1]:3457\n", FURLHINT_CONFIG_ERROR_PRIVACY,
      "entry \"tor:203.0.113.5:3457\": a tor: hint to 203.0.113.5 publishes this node's own address "
      "(clients reach it through a Tor exit; only a .onion name hides it); "
      "t.cfg:3: [node] tub.location entry \"tor:mynode.example.com:3457\": a tor: hint to "
      "mynode.example.com publishes", "entry \"tor:[2001:db8::1]:3457\": a tor: hint to [2001:db8::1] publishes" },
    { "[node]\ntub.location = tor:mynode.example.com:3457\n", 0, NULL, NULL },
    /* a TCP listener under anonymity: loopback only */
    { "[node]\nanonymous = true\ntub.port = tcp:3457:interface=0.0.0.0\ntub.location = tor:abc.onion:3457\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "t.cfg:3: [node] tub.port entry \"tcp:3457:interface=0.0.0.0\": listens on 0.0.0.0", NULL },
    { "[node]\nanonymous = true\ntub.port = tcp:interface=127.0.0.1:8098,tcp:3458:interface=\\:\\:1\n"
      "tub.location = tor:abc.onion:3457\n", 0, NULL, NULL },
    /* singleHop is a non-anonymous onion service; a SAM endpoint by name is a DNS lookup */
    { "[node]\nanonymous = true\ntub.location = onion:80:hiddenServiceDir=/x:singleHop=true\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "singleHop=true makes a non-anonymous onion service", NULL },
    { "[node]\nanonymous = true\ntub.location = i2p:/k:api=SAM:apiEndpoint=tcp\\:sam.lan\\:7656\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "apiEndpoint= in anonymous mode a Tor or I2P endpoint given by host name", NULL },
    /* an empty tub.location with a listening tub.port */
    { "[node]\ntub.location =\ntub.port = tcp:3457\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "t.cfg:3: [node] tub.port = \"tcp:3457\" asks to listen, but tub.location is empty", "accepted:" },
    { "[node]\ntub.location =\ntub.port = disabled\n", 0, NULL, NULL },
    /* storage and the helper need a node that listens */
    { "[node]\nanonymous = True\ntub.location =\n[storage]\nenabled = true\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "[storage] enabled = true needs a node that listens, but [node] tub.location is empty", "accepted: [storage] enabled = false" },
    { "[node]\ntub.port = disabled\ntub.location = disabled\n[helper]\nenabled = yes\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "[helper] enabled = true needs a node that listens, but [node] tub.location and tub.port are disabled", NULL },
    { "[node]\ntub.location =\n[storage]\nenabled = false\n[helper]\nenabled = false\n", 0, NULL, NULL },
    /* Tahoe 1.20's listen:tor / listen:i2p need their keys */
    { "[node]\ntub.port = listen:tor\ntub.location = tor:abc.onion:3457\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "t.cfg:2: [node] tub.port entry \"listen:tor\": listen:tor takes its service from [tor] onion = true",
      "accepted: [tor] onion = true with onion.local_port, onion.external_port, onion.private_key_file" },
    { "[node]\ntub.port = tcp:3457,listen:i2p\ntub.location = AUTO\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "listen:i2p takes its service from [i2p] dest = true", NULL },
    { "[node]\nanonymous = true\ntub.port = listen:tor,listen:i2p\ntub.location = tor:abc.onion:3457,i2p:xyz.b32.i2p:3457\n"
      "[tor]\nonion = true\nlaunch = true\nonion.local_port = 4567\nonion.external_port = 3457\n"
      "onion.private_key_file = private/tor_onion.privkey\n[i2p]\ndest = true\nsam.port = tcp:127.0.0.1:7656\n"
      "dest.port = 3457\ndest.private_key_file = private/i2p_dest.privkey\n", 0, NULL, NULL },
    /* AUTO takes its port from a TCP first entry of tub.port */
    { "[node]\ntub.port = listen:tor\ntub.location = AUTO\n[tor]\nonion = true\nlaunch = true\n"
      "onion.local_port = 1\nonion.external_port = 2\nonion.private_key_file = k\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "uses AUTO, which advertises every local address with the TCP port of tub.port's first entry, but that entry is \"listen:tor\"", NULL },
    /* anonymous + tcp: location: both entries listed */
    { "[node]\nanonymous = true\ntub.location = tcp:1.2.3.4:5,tcp:example.org:6\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "t.cfg:3: [node] tub.location entry \"tcp:1.2.3.4:5\": tub.location includes tcp: hint; "
      "t.cfg:3: [node] tub.location entry \"tcp:example.org:6\": tub.location includes tcp: hint", NULL },
    /* legacy HOST:PORT is clear TCP too */
    { "[node]\nreveal-IP-address = false\ntub.location = example.org:1234\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "entry \"example.org:1234\": tub.location includes tcp: hint", NULL },
    /* hint types are case-sensitive in Foolscap */
    { "[node]\nanonymous = true\ntub.location = TOR:abc.onion:1\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "entry \"TOR:abc.onion:1\": not a tor:", NULL },
    /* anonymous + onion/i2p location: fine, with no tcp key at all */
    { "[node]\nanonymous = true\ntub.location = tor:abc.onion:1,i2p:xyz.b32.i2p,"
      "tcp:def.onion:2,ghi.onion:3,tcp:J.ONION:4,tcp:k.i2p:5,i2p:abc\n", 0, NULL, NULL },
    /* normal mode + AUTO */
    { "[node]\ntub.location = AUTO,tcp:example.org:3457\n", 0, NULL, NULL },
    /* normal mode + no location at all */
    { "[node]\nnickname = x\n", 0, NULL, NULL },
    /* anonymous + explicit tcp = tcp (any case) */
    { "[node]\nanonymous = true\ntub.port = disabled\ntub.location = disabled\n[connections]\ntcp = TCP\n",
      FURLHINT_CONFIG_ERROR_PRIVACY,
      "t.cfg:6: [connections] tcp = \"TCP\": Privacy requested with `reveal-IP-address = false` "
      "but `tcp = tcp` conflicts with this.", "[connections] tcp = tor or disabled" },
    /* anonymous client: disabled/disabled and tcp = tor */
    { "[node]\nreveal-IP-address = False\ntub.port = disabled\ntub.location = disabled\n"
      "[connections]\ntcp = tor\n", 0, NULL, NULL },
    /* anonymous and tub.location unset: Tahoe's default is AUTO */
    { "[node]\nanonymous = yes\n[connections]\ntcp = tor\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "t.cfg: [node] tub.location is not set, which means AUTO", NULL },
    /* anonymous: a Tor or SAM endpoint by host name is a local DNS lookup */
    { "[node]\nanonymous = true\ntub.port = disabled\ntub.location = disabled\n"
      "[connections]\ntcp = tor\ntor.socks-proxy = tcp:tor.example:9050\n",
      FURLHINT_CONFIG_ERROR_PRIVACY,
      "t.cfg: [connections] tor.socks-proxy = \"tcp:tor.example:9050\": in anonymous mode a Tor "
      "or I2P endpoint given by host name would be looked up in the local DNS",
      "accepted: an IP address (tcp:127.0.0.1:PORT, tcp:[::1]:PORT), localhost, or unix:PATH" },
    { "[node]\nanonymous = true\ntub.port = disabled\ntub.location = disabled\n"
      "[tor]\ncontrol.port = tcp:host=tor.lan:port=9051\n[i2p]\nsam.port = sam.lan:7656\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "[tor] control.port = \"tcp:host=tor.lan:port=9051\": in "
      "anonymous mode", "[i2p] sam.port = \"sam.lan:7656\": in anonymous mode" },
    { "[node]\nanonymous = true\ntub.port = disabled\ntub.location = disabled\n"
      "[connections]\ni2p.sam-api = tcp:i2p.example:7656\n[tor]\nsocks.port = tcp:tor.example:9050\n",
      FURLHINT_CONFIG_ERROR_PRIVACY, "[connections] i2p.sam-api = \"tcp:i2p.example:7656\"",
      "[tor] socks.port = \"tcp:tor.example:9050\"" },
    /* ... but addresses, localhost and unix sockets are fine, and in
     * normal mode a name is too */
    { "[node]\nanonymous = true\ntub.port = disabled\ntub.location = disabled\n"
      "[connections]\ntor.socks-proxy = tcp:localhost:9050\ni2p.sam-api = tcp:[::1]:7656\n"
      "[tor]\ncontrol.port = unix:/run/tor/control\n", 0, NULL, NULL },
    { "[connections]\ntor.socks-proxy = tcp:tor.example:9050\n", 0, NULL, NULL },
    /* disabled on one side only (Tahoe: ValueError) */
    { "[node]\ntub.port = disabled\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "t.cfg: [node] tub.port is disabled, but not tub.location", "accepted:" },
    { "[node]\ntub.port = tcp:1234\ntub.location = disabled\n", FURLHINT_CONFIG_ERROR_CONFLICT,
      "tub.location is disabled, but not tub.port", NULL },
    /* server keys Tahoe requires together */
    { "[tor]\nonion = true\n", FURLHINT_CONFIG_ERROR_BAD_VALUE,
      "[tor] onion = true, but we have neither launch=true nor control.port=", "accepted:" },
    { "[tor]\nonion = true\nlaunch = true\nonion.local_port = 1\nonion.external_port = 2\n",
      FURLHINT_CONFIG_ERROR_BAD_VALUE, "onion.private_key_file= is missing", NULL },
    { "[i2p]\ndest = true\n", FURLHINT_CONFIG_ERROR_BAD_VALUE,
      "[i2p] dest = true, but we have neither sam.port= nor launch=true nor configdir=", NULL },
    { "[i2p]\ndest = true\ni2p.configdir = /var/lib/i2p\ndest.port = 3\n",
      FURLHINT_CONFIG_ERROR_BAD_VALUE, "dest.private_key_file= is missing", NULL },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FurlHintConfig *config = load_str_ok (cases[i].text);
      GError *error = NULL;
      gboolean ok = furlhint_config_validate (config, &error);

      g_test_message ("case %u: %s", i, cases[i].text);
      if (cases[i].code == 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, FURLHINT_CONFIG_ERROR, cases[i].code);
          assert_contains (error->message, cases[i].needle1);
          if (cases[i].needle2 != NULL)
            assert_contains (error->message, cases[i].needle2);
          if (cases[i].code == FURLHINT_CONFIG_ERROR_PRIVACY)
            assert_contains (error->message, "; accepted in anonymous mode: ");
          g_error_free (error);
        }
      furlhint_config_unref (config);
    }
}

/* --- set_value ----------------------------------------------------------- */

static void
test_set_value (void)
{
  FurlHintConfig *config = load_ok ("tahoe-client.cfg");
  GError *error = NULL;

  /* refused like file input, and nothing changes */
  g_assert_false (furlhint_config_set_value (config, "connections", "tcp", "tcp tor", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_cmpstr (error->message, ==, "(set): [connections] tcp = \"tcp tor\": not a TCP route; "
                   "accepted: tcp, tor, disabled, or the name of a loaded plugin that carries "
                   "tcp: hints (letters, digits, '_' and '-'; any letter case)");
  g_clear_error (&error);
  g_assert_null (furlhint_config_get_value (config, "connections", "tcp"));

  /* keys any case; value stripped as the reader would */
  g_assert_true (furlhint_config_set_value (config, "connections", "TCP", "  tor  ", &error));
  g_assert_no_error (error);
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TOR);
  g_assert_cmpstr (furlhint_config_get_value (config, "connections", "tcp"), ==, "tor");

  /* conflicts are checked against the file */
  g_assert_false (furlhint_config_set_value (config, "node", "anonymous", "true", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_CONFLICT);
  assert_contains (error->message, "(set): [node] anonymous = \"true\": contradicts");
  assert_contains (error->message, "tahoe-client.cfg:12: [node] reveal-IP-address = \"true\"");
  g_clear_error (&error);
  g_assert_false (furlhint_config_get_anonymous (config));

  /* interpolation syntax (BasicInterpolation.before_set) */
  g_assert_false (furlhint_config_set_value (config, "node", "nickname", "50% off", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  assert_contains (error->message, "(set): [node] nickname = \"50% off\": invalid interpolation "
                   "syntax in \"50% off\" at position 2");
  g_clear_error (&error);
  g_assert_true (furlhint_config_set_value (config, "node", "nickname", "50%% off", NULL));
  g_assert_cmpstr (furlhint_config_get_value (config, "node", "nickname"), ==, "50% off");

  /* keys that could not be written to a file */
  g_assert_false (furlhint_config_set_value (config, "node", "a=b", "x", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_clear_error (&error);
  g_assert_false (furlhint_config_set_value (config, "node", "", "x", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_clear_error (&error);
  g_assert_false (furlhint_config_set_value (config, "", "k", "x", &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_clear_error (&error);

  /* a new section; an unknown key warns with "(set)" */
  g_assert_true (furlhint_config_set_value (config, "tor", "socks.port", "tcp:127.0.0.1:9050", NULL));
  g_assert_true (furlhint_config_set_value (config, "connections", "frob", "1", NULL));
  g_assert_cmpuint (g_strv_length ((gchar **) furlhint_config_get_warnings (config)), ==, 1);
  assert_contains (furlhint_config_get_warnings (config)[0], "(set): [connections] frob: unknown key");

  /* NULL removes */
  g_assert_true (furlhint_config_set_value (config, "connections", "frob", NULL, NULL));
  g_assert_null (furlhint_config_get_value (config, "connections", "frob"));
  g_assert_null (furlhint_config_get_warnings (config)[0]);
  g_assert_true (furlhint_config_set_value (config, "connections", "tcp", NULL, NULL));
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_TCP);

  /* furlhint's key against the Tahoe key set just before: the tor
   * plugin's rule, met when it loads */
  g_assert_true (furlhint_config_set_value (config, "connections", "tor.socks-proxy",
                                            "tcp:127.0.0.1:9150", NULL));
  {
    gchar *refusal = NULL;
    GPtrArray *warnings = plugins_meet (config, &refusal);

    g_assert_nonnull (refusal);
    assert_contains (refusal, "[connections] tor.socks-proxy = \"tcp:127.0.0.1:9150\" and "
                     "[tor] socks.port = \"tcp:127.0.0.1:9050\" name different Tor SOCKS ports");
    g_free (refusal);
    g_ptr_array_unref (warnings);
  }
  g_assert_true (furlhint_config_set_value (config, "connections", "tor.socks-proxy", NULL, NULL));

  /* anonymous through set_value, then validate sees it */
  g_assert_true (furlhint_config_set_value (config, "node", "reveal-IP-address", "false", NULL));
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_false (furlhint_config_validate (config, &error));
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);
  assert_contains (error->message, "anonymous mode ((set): [node] reveal-IP-address = \"false\")");
  g_clear_error (&error);

  furlhint_config_unref (config);
}

/* --- endpoints ----------------------------------------------------------- */

static void
test_endpoint_valid (void)
{
  static const struct {
    const gchar *text;
    const gchar *canonical;
  } cases[] = {
    { "tcp:127.0.0.1:9050", "tcp:127.0.0.1:9050" },
    { "TCP:localhost:9050", "tcp:localhost:9050" },
    { "tcp:host=127.0.0.1:port=9050", "tcp:127.0.0.1:9050" },
    { "tcp:port=9050:host=127.0.0.1", "tcp:127.0.0.1:9050" },
    { "tcp:127.0.0.1:port=9050", "tcp:127.0.0.1:9050" },
    { "tcp:9050:host=127.0.0.1", "tcp:127.0.0.1:9050" },
    { "tcp:host=localhost:port=9050:timeout=30:bindAddress=127.0.0.1", "tcp:localhost:9050" },
    { "tcp:[::1]:9050", "tcp:[::1]:9050" },
    { "tcp:host=[::1]:port=9050", "tcp:[::1]:9050" },
    { "tcp:\\:\\:1:9050", "tcp:[::1]:9050" },
    { "[::1]:9050", "tcp:[::1]:9050" },
    { "localhost:9050", "tcp:localhost:9050" },
    { "tcp:127.0.0.1:09050", "tcp:127.0.0.1:9050" },
    { "tcp:tor-proxy.internal:65535", "tcp:tor-proxy.internal:65535" },
    { "unix:/var/run/tor/socks", "unix:/var/run/tor/socks" },
    { "unix:path=/run/tor/control", "unix:/run/tor/control" },
    { "unix:/tmp/a\\:b", "unix:/tmp/a:b" },
    { "UNIX:/x:lockfile=1:timeout=5", "unix:/x" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FhEndpoint endpoint;
      GError *error = NULL;
      gchar *canonical;

      g_test_message ("endpoint %s", cases[i].text);
      g_assert_true (fh_endpoint_parse (cases[i].text, &endpoint, &error));
      g_assert_no_error (error);
      canonical = fh_endpoint_to_string (&endpoint);
      g_assert_cmpstr (canonical, ==, cases[i].canonical);
      g_free (canonical);
      fh_endpoint_clear (&endpoint);
    }

  {
    FhEndpoint endpoint;

    g_assert_true (fh_endpoint_parse ("tcp:host=[::1]:port=9050", &endpoint, NULL));
    g_assert_cmpint (endpoint.kind, ==, FH_ENDPOINT_TCP);
    g_assert_cmpstr (endpoint.host, ==, "::1");
    g_assert_cmpuint (endpoint.port, ==, 9050);
    g_assert_null (endpoint.path);
    fh_endpoint_clear (&endpoint);

    g_assert_true (fh_endpoint_parse ("unix:/run/x", &endpoint, NULL));
    g_assert_cmpint (endpoint.kind, ==, FH_ENDPOINT_UNIX);
    g_assert_cmpstr (endpoint.path, ==, "/run/x");
    g_assert_null (endpoint.host);
    fh_endpoint_clear (&endpoint);
  }
}

static void
test_endpoint_invalid (void)
{
  static const struct {
    const gchar *text;
    const gchar *reason;
  } cases[] = {
    { "", "the endpoint is empty" },
    { "tcp:127.0.0.1", "no port" },
    { "tcp:host=127.0.0.1", "no port" },
    { "tcp:port=9050", "no host" },
    { "tcp:127.0.0.1:0", "port “0” is out of range 1..65535" },
    { "tcp:127.0.0.1:65536", "port “65536” is out of range 1..65535" },
    { "tcp:127.0.0.1:99999999999999999999999", "out of range 1..65535" },
    { "tcp:127.0.0.1:９０５０", "is not a number" },
    { "tcp:127.0.0.1: 9050", "port “ 9050” is not a number" },
    { "tcp:127.0.0.1:-1", "is not a number" },
    { "tcp:127.0.0.1:", "the port is empty" },
    { "tcp::9050", "the host is empty" },
    { "tcp:::1:9050", "too many “:”-separated parts" },
    { "tcp:a:1:2", "too many" },
    { "tcp:[::1:9050", "“[” without a closing “]”" },
    { "tcp:[1.2.3.4]:9050", "“[1.2.3.4]” is not a bracketed IPv6 address" },
    { "tcp:[::1]x:9050", "has text after its “]”" },
    { "tcp:\\:\\:zz:9050", "is not an IPv6 address" },
    { "tcp:bad host:9050", "host “bad host” is not an IPv4 address or an ASCII host name" },
    { "tcp:host=a:port=1:frob=2", "“frob=” is not a TCP endpoint keyword" },
    { "tcp:host=a:port=1:timeout=soon", "timeout “soon” is not a whole number" },
    { "unix:", "no socket path" },
    { "unix:path=", "no socket path" },
    { "unix:/a:/b", "too many" },
    { "unix:/a:mode=0600", "“mode=” is not a UNIX endpoint keyword" },
    { "ssl:host:443", "endpoint type “ssl” cannot be used here" },
    { "tor:9050", "endpoint type “tor” cannot be used here" },
    { "onion:80", "cannot be used here" },
    { "foo", "“foo” has no endpoint type and no port" },
    { "foo:bar:baz", "unknown endpoint type “foo”" },
    { "tcp:127.0.0.1:9050\\", "it ends with a lone backslash" },
    { "host=x:port=1", "it starts with a keyword (“host=”)" },
    { "tcp:127.0.0.1:\xff", "not valid UTF-8" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FhEndpoint endpoint;
      GError *error = NULL;

      g_test_message ("invalid endpoint case %u", i);
      g_assert_false (fh_endpoint_parse (cases[i].text, &endpoint, &error));
      g_assert_nonnull (error);
      g_assert_cmpstr (g_quark_to_string (error->domain), ==, "furlhint-config-error-quark");
      g_assert_cmpint (error->code, ==, FURLHINT_CONFIG_ERROR_BAD_VALUE);
      assert_contains (error->message, cases[i].reason);
      assert_contains (error->message, "; accepted: tcp:HOST:PORT, tcp:host=HOST:port=PORT");
      g_assert_null (endpoint.host);
      g_assert_null (endpoint.path);
      g_error_free (error);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/tahoe/client", test_tahoe_client);
  g_test_add_func ("/config/tahoe/hide-ip", test_tahoe_hide_ip);
  g_test_add_func ("/config/syntax/mix", test_syntax_mix);
  g_test_add_func ("/config/syntax/bom-crlf", test_syntax_bom_crlf);
  g_test_add_func ("/config/syntax/details", test_syntax_details);
  g_test_add_func ("/config/syntax/errors", test_syntax_errors);
  g_test_add_func ("/config/load/missing", test_load_missing);
  g_test_add_func ("/config/load/directory", test_load_directory);
  g_test_add_func ("/config/load/bad-bytes", test_load_bad_bytes);
  g_test_add_func ("/config/load/empty", test_load_empty);
  g_test_add_func ("/config/load/huge-line", test_load_huge_line);
  g_test_add_func ("/config/values/booleans", test_booleans);
  g_test_add_func ("/config/values/bad-tcp-file", test_bad_tcp_file);
  g_test_add_func ("/config/values/tcp-carrier-name", test_tcp_carrier_name);
  g_test_add_func ("/config/values/bad", test_bad_values);
  g_test_add_func ("/config/values/bad-interpolation", test_bad_interpolation);
  g_test_add_func ("/config/values/secrets-not-quoted", test_secrets_not_quoted);
  g_test_add_func ("/config/conflicts", test_conflicts);
  g_test_add_func ("/config/warnings/unknown-keys", test_unknown_keys);
  g_test_add_func ("/config/validate/leaky-file", test_validate_leaky_file);
  g_test_add_func ("/config/validate/cases", test_validate_cases);
  g_test_add_func ("/config/set-value", test_set_value);
  g_test_add_func ("/config/endpoint/valid", test_endpoint_valid);
  g_test_add_func ("/config/endpoint/invalid", test_endpoint_invalid);

  return g_test_run ();
}
