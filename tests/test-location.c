/* The server side of tahoe.cfg: furlhint_config_get_listen_entries() and
 * the hints furlhint_config_get_location() derives, with the seed's
 * server configurations (docs/SECURITY.md's anonymity guide) verbatim
 * apart from paths.
 *
 * Runs in a private network namespace (tests/lab.c) with only `lo` up,
 * so AUTO's expansion is known: 127.0.0.1.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#include "lab.h"

/* A v3 onion address as tor writes it into HiddenServiceDir/hostname. */
#define ONION "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"

static gchar *
write_cfg (Lab *lab,
           const gchar *format,
           ...) G_GNUC_PRINTF (2, 3);

static gchar *
write_cfg (Lab *lab,
           const gchar *format,
           ...)
{
  va_list ap;
  gchar *text, *path;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  path = lab_write_file (lab, "tahoe.cfg", text);
  g_free (text);
  return path;
}

static GPtrArray *
location_of (const gchar *path,
             GError **error)
{
  FurlHintConfig *config = furlhint_config_load_file (path, error);
  GPtrArray *hints;

  if (config == NULL)
    return NULL;
  hints = furlhint_config_get_location (config, error);
  furlhint_config_unref (config);
  return hints;
}

static const FurlHintLocationHint *
hint_at (GPtrArray *hints,
         guint i)
{
  g_assert_cmpuint (i, <, hints->len);
  return g_ptr_array_index (hints, i);
}

/* Server use case 3: both keys present. */
static void
test_server3_keys_present (void)
{
  Lab *lab;
  gchar *dir, *hs, *keyfile, *path;
  GPtrArray *hints;
  GError *error = NULL;
  const FurlHintLocationHint *h;

  if (!lab_ready ())
    return;
  lab = lab_new ();
  dir = g_strdup (lab_get_dir (lab));
  hs = g_build_filename (dir, "my_service", NULL);
  g_assert_cmpint (g_mkdir (hs, 0700), ==, 0);
  g_free (lab_write_file (lab, "my_service/hostname", ONION "\n"));
  /* a destination (NULL certificate) and its private keys: 387 + 256 +
   * 20 bytes of I2P base64; the expected name is base32(sha256(first
   * 387 bytes)), computed independently with Python's hashlib */
  {
    guchar raw[387 + 256 + 20];
    gchar *b64;

    for (guint i = 0; i < sizeof raw; i++)
      raw[i] = (guchar) (i * 7 + 3);
    raw[384] = 0;
    raw[385] = 0;
    raw[386] = 0;
    b64 = g_base64_encode (raw, sizeof raw);
    g_strdelimit (b64, "+", '-');
    g_strdelimit (b64, "/", '~');
    keyfile = lab_write_file (lab, "my_service.keypair", b64);
    g_free (b64);
  }
  /* relative key paths are NODEDIR's, as in Tahoe */
  path = write_cfg (lab, "[node]\nanonymous = True\ntub.location = onion:80:hiddenServiceDir=%s,"
                    "i2p:my_service.keypair\n", hs);
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 2);

  h = hint_at (hints, 0);
  g_assert_cmpstr (h->hint, ==, "tor:" ONION ":80");
  g_assert_cmpstr (h->transport, ==, "tor");
  g_assert_true (h->anonymous);
  g_assert_cmpint (h->entry->kind, ==, FURLHINT_LISTEN_ONION);
  g_assert_cmpstr (h->entry->key_path, ==, hs);
  g_assert_true (h->entry->key_is_dir);
  g_assert_cmpuint (h->entry->port, ==, 80);
  g_assert_cmpuint (h->entry->index, ==, 0);

  h = hint_at (hints, 1);
  g_assert_cmpstr (h->hint, ==, "i2p:" "cvkz73hxqxywmu575qrzu4yjzomhpylanltmvdpfr5u4xxusr4ua" ".b32.i2p");
  g_assert_cmpstr (h->transport, ==, "i2p");
  g_assert_true (h->anonymous);
  g_assert_cmpstr (h->entry->key_path, ==, keyfile);
  g_assert_cmpuint (h->entry->index, ==, 1);
  g_ptr_array_unref (hints);

  /* a hostname file that is no v3 address is an error, not a hint */
  g_free (lab_write_file (lab, "my_service/hostname", "example.org\n"));
  hints = location_of (path, &error);
  g_assert_null (hints);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "does not hold a version 3 onion address"));
  g_clear_error (&error);

  /* a key file that is not I2P base64 */
  g_free (lab_write_file (lab, "my_service/hostname", ONION "\n"));
  g_free (lab_write_file (lab, "my_service.keypair", "not+base64/at all"));
  hints = location_of (path, &error);
  g_assert_null (hints);
  g_assert_nonnull (strstr (error->message, "my_service.keypair: not I2P base64"));
  g_clear_error (&error);

  g_free (path);
  g_free (keyfile);
  g_free (hs);
  g_free (dir);
  lab_free (lab);
}

/* Server use case 2: AUTO first in the file, anonymous hints first in
 * the location; keys that do not exist yet. */
static void
test_server2_keys_missing (void)
{
  Lab *lab;
  gchar *path;
  GPtrArray *hints, *entries;
  GError *error = NULL;
  FurlHintConfig *config;

  if (!lab_ready ())
    return;
  lab = lab_new ();
  path = write_cfg (lab, "[node]\nanonymous = False\ntub.port = tcp:3457\n"
                    "tub.location = AUTO,onion:80:hiddenServiceDir=%s/tor/my_service,"
                    "i2p:%s/i2p/my_service.keypair\n", lab_get_dir (lab), lab_get_dir (lab));
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 3);
  g_assert_null (hint_at (hints, 0)->hint);
  g_assert_nonnull (strstr (hint_at (hints, 0)->note, "created on first listen"));
  g_assert_null (hint_at (hints, 1)->hint);
  g_assert_nonnull (strstr (hint_at (hints, 1)->note, "created on first listen"));
  g_assert_cmpstr (hint_at (hints, 1)->transport, ==, "i2p");
  /* the namespace has only lo: Tahoe's AUTO includes loopback */
  g_assert_cmpstr (hint_at (hints, 2)->hint, ==, "tcp:127.0.0.1:3457");
  g_assert_false (hint_at (hints, 2)->anonymous);
  g_assert_cmpint (hint_at (hints, 2)->entry->kind, ==, FURLHINT_LISTEN_AUTO);
  g_ptr_array_unref (hints);

  /* the listen entries: tub.port's, then tub.location's */
  config = furlhint_config_load_file (path, &error);
  g_assert_no_error (error);
  entries = furlhint_config_get_listen_entries (config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  g_assert_cmpint (((FurlHintListenEntry *) g_ptr_array_index (entries, 0))->kind, ==, FURLHINT_LISTEN_TCP);
  g_assert_cmpstr (((FurlHintListenEntry *) g_ptr_array_index (entries, 0))->key, ==, "tub.port");
  g_assert_cmpuint (((FurlHintListenEntry *) g_ptr_array_index (entries, 0))->port, ==, 3457);
  g_assert_cmpint (((FurlHintListenEntry *) g_ptr_array_index (entries, 3))->kind, ==, FURLHINT_LISTEN_I2P);
  g_ptr_array_unref (entries);

  /* the same file in anonymous mode does not start: no location */
  furlhint_config_set_anonymous (config, TRUE);
  hints = furlhint_config_get_location (config, &error);
  g_assert_null (hints);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_PRIVACY);
  g_clear_error (&error);
  furlhint_config_unref (config);

  /* AUTO without tub.port: Tahoe's NODEDIR/client.port */
  g_free (path);
  path = write_cfg (lab, "[node]\ntub.location = AUTO\n");
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 1);
  g_assert_null (hint_at (hints, 0)->hint);
  g_ptr_array_unref (hints);
  g_free (lab_write_file (lab, "client.port", "tcp:4567\n"));
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hint_at (hints, 0)->hint, ==, "tcp:127.0.0.1:4567");
  g_ptr_array_unref (hints);

  g_free (path);
  lab_free (lab);
}

/* Client use case 3 and Tahoe 1.20's listen:tor / listen:i2p. */
static void
test_client3_and_tahoe120 (void)
{
  Lab *lab;
  gchar *path;
  GPtrArray *hints, *entries;
  GError *error = NULL;
  FurlHintConfig *config;
  const FurlHintListenEntry *e;

  if (!lab_ready ())
    return;
  lab = lab_new ();
  path = write_cfg (lab, "[node]\nanonymous = True\ntub.location =\n");
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 0);
  g_ptr_array_unref (hints);
  g_free (path);

  path = write_cfg (lab, "[node]\nanonymous = true\ntub.port = listen:tor,listen:i2p\n"
                    "tub.location = tor:" ONION ":3457,i2p:abc.b32.i2p:3457\n"
                    "[tor]\nonion = true\nlaunch = true\nonion.local_port = 4567\n"
                    "onion.external_port = 3457\nonion.private_key_file = private/tor_onion.privkey\n"
                    "[i2p]\ndest = true\nsam.port = tcp:127.0.0.1:7656\ndest.port = 3457\n"
                    "dest.private_key_file = private/i2p_dest.privkey\n");
  config = furlhint_config_load_file (path, &error);
  g_assert_no_error (error);
  entries = furlhint_config_get_listen_entries (config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  e = g_ptr_array_index (entries, 0);
  g_assert_cmpint (e->kind, ==, FURLHINT_LISTEN_ONION);
  g_assert_cmpuint (e->port, ==, 3457);
  g_assert_cmpuint (e->local_port, ==, 4567);
  g_assert_true (g_str_has_suffix (e->key_path, "/private/tor_onion.privkey"));
  g_assert_true (g_path_is_absolute (e->key_path));
  e = g_ptr_array_index (entries, 1);
  g_assert_cmpint (e->kind, ==, FURLHINT_LISTEN_I2P);
  g_assert_cmpstr (g_hash_table_lookup (e->options, "apiEndpoint"), ==, "tcp:127.0.0.1:7656");
  g_ptr_array_unref (entries);
  hints = furlhint_config_get_location (config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 2);
  g_assert_cmpstr (hint_at (hints, 0)->hint, ==, "tor:" ONION ":3457");
  g_assert_cmpstr (hint_at (hints, 1)->hint, ==, "i2p:abc.b32.i2p:3457");
  g_ptr_array_unref (hints);
  furlhint_config_unref (config);
  g_free (path);
  lab_free (lab);
}

/* A key file written by a real i2pd (tests/data/i2p/README): the name
 * i2pd's own PUB= hashes to, from the key file alone. */
static void
test_i2pd_keyfile (void)
{
  Lab *lab;
  gchar *keyfile, *path;
  GPtrArray *hints;
  GError *error = NULL;

  if (!lab_ready ())
    return;
  lab = lab_new ();
  keyfile = g_test_build_filename (G_TEST_DIST, "data", "i2p", "i2pd-ed25519.keypair", NULL);
  path = write_cfg (lab, "[node]\nanonymous = True\ntub.location = i2p:%s:3457\n", keyfile);
  hints = location_of (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hints->len, ==, 1);
  g_assert_cmpstr (hint_at (hints, 0)->hint, ==,
                   "i2p:hnykpkau3wl2i3narmupx7yzxb5mltajiasvyqui2emuai7svuvq.b32.i2p:3457");
  g_assert_cmpuint (hint_at (hints, 0)->entry->port, ==, 3457);
  g_ptr_array_unref (hints);
  g_free (path);
  g_free (keyfile);
  lab_free (lab);
}

int
main (int argc,
      char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/location/server3/keys-present", test_server3_keys_present);
  g_test_add_func ("/location/server2/keys-missing", test_server2_keys_missing);
  g_test_add_func ("/location/client3-and-tahoe120", test_client3_and_tahoe120);
  g_test_add_func ("/location/i2pd-keyfile", test_i2pd_keyfile);
  return g_test_run ();
}
