/* The tor plugin's onion service key files (plugins/tor/tor-files.c),
 * without a tor: tor's hidden-service directory layout and Tahoe's one-line
 * key file, written and read back, and every hostile file refused with a
 * message naming it: a symbolic link, a FIFO, a wrong size or header, a
 * file or directory others may read or write, one that is not ours, a
 * hostname file without its key. The bytes themselves are tested in
 * tests/test-torctl.c against tor's own files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* lstat(), symlink() and mkfifo() are POSIX, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "tor-private.h"

#define SERVICE_ID "yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad"

typedef struct {
  gchar *tmp;
  TorOnionKey key;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->tmp = g_dir_make_tmp ("furlhint-onion-key-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
}

static void
remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          gchar *child = g_build_filename (path, name, NULL);

          remove_tree (child);
          g_free (child);
        }
      if (dir != NULL)
        g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  tor_onion_key_clear (&f->key);
  remove_tree (f->tmp);
  g_free (f->tmp);
}

static gchar *
path_in (Fixture *f, const gchar *a, const gchar *b)
{
  return g_build_filename (f->tmp, a, b, NULL);
}

static guint
mode_of (const gchar *path)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static void
write_file (const gchar *path, const void *data, gsize len, guint mode)
{
  GError *error = NULL;

  g_assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

/* A key made up for the test, with the service ID of tor's own example. */
static void
fill_key (TorOnionKey *key)
{
  for (guint i = 0; i < sizeof key->key; i++)
    key->key[i] = (guint8) (i * 7 + 1);
  key->have_key = TRUE;
  key->service_id = g_strdup (SERVICE_ID);
}

/* Loading @path must fail with a message holding @problem (and @path). */
static void
assert_refused (const gchar *path, gboolean is_dir, gboolean create, const gchar *problem)
{
  TorOnionKey key = { 0, };
  GError *error = NULL;

  g_assert_false (tor_onion_key_load (path, is_dir, create, &key, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_test_message ("%s", error->message);
  if (strstr (error->message, problem) == NULL)
    g_error ("expected “%s” in: %s", problem, error->message);
  g_assert_false (key.have_key);
  g_assert_null (key.service_id);
  g_error_free (error);
}

static void
test_dir_create_and_reload (Fixture *f, gconstpointer data)
{
  gchar *dir = path_in (f, "var", "hs");
  gchar *secret = g_build_filename (dir, "hs_ed25519_secret_key", NULL);
  gchar *hostname = g_build_filename (dir, "hostname", NULL);
  TorOnionKey saved = { 0, };
  GError *error = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  /* Missing, may create: nothing yet, nothing written by loading. */
  g_assert_true (tor_onion_key_load (dir, TRUE, TRUE, &f->key, &error));
  g_assert_no_error (error);
  g_assert_false (f->key.have_key);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  /* Missing, may not create. */
  assert_refused (dir, TRUE, FALSE, "does not exist");

  fill_key (&saved);
  g_assert_true (tor_onion_key_save (dir, TRUE, &saved, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (dir), ==, 0700);
  g_assert_cmpuint (mode_of (secret), ==, 0600);
  g_assert_cmpuint (mode_of (hostname), ==, 0600);
  g_assert_true (g_file_get_contents (secret, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, 96);
  g_assert_cmpmem (contents, 32, "== ed25519v1-secret: type0 ==\0\0\0", 32);
  g_assert_cmpmem (contents + 32, 64, saved.key, 64);
  g_free (contents);
  g_assert_true (g_file_get_contents (hostname, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, SERVICE_ID ".onion\n");
  g_free (contents);

  g_assert_true (tor_onion_key_load (dir, TRUE, FALSE, &f->key, &error));
  g_assert_no_error (error);
  g_assert_true (f->key.have_key);
  g_assert_cmpmem (f->key.key, 64, saved.key, 64);
  g_assert_cmpstr (f->key.service_id, ==, SERVICE_ID);

  /* Never written over. */
  g_assert_false (tor_onion_key_save (dir, TRUE, &saved, TRUE, &error));
  g_assert_nonnull (strstr (error->message, "never writes over a key file"));
  g_clear_error (&error);

  /* A key without its hostname file (tor's layout copied partly): the
   * hostname is written again, the key left alone. */
  g_assert_cmpint (g_unlink (hostname), ==, 0);
  tor_onion_key_clear (&f->key);
  g_assert_true (tor_onion_key_load (dir, TRUE, FALSE, &f->key, &error));
  g_assert_true (f->key.have_key);
  g_assert_null (f->key.service_id);
  g_assert_true (tor_onion_key_save (dir, TRUE, &saved, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (hostname), ==, 0600);

  tor_onion_key_clear (&saved);
  g_free (dir);
  g_free (secret);
  g_free (hostname);
}

static void
test_file_create_and_reload (Fixture *f, gconstpointer data)
{
  gchar *file = path_in (f, "private", "tor_onion.privkey");
  gchar *dir = g_path_get_dirname (file);
  TorOnionKey saved = { 0, };
  GError *error = NULL;
  gchar *contents = NULL;

  g_assert_true (tor_onion_key_load (file, FALSE, TRUE, &f->key, &error));
  g_assert_no_error (error);
  g_assert_false (f->key.have_key);
  fill_key (&saved);
  g_assert_true (tor_onion_key_save (file, FALSE, &saved, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (dir), ==, 0700);
  g_assert_cmpuint (mode_of (file), ==, 0600);
  /* What Tahoe's tor_provider writes: ADD_ONION's PrivateKey value. */
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "ED25519-V3:"));
  g_assert_cmpuint (strlen (contents), ==, 11 + 88);
  g_free (contents);
  g_assert_true (tor_onion_key_load (file, FALSE, FALSE, &f->key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (f->key.key, 64, saved.key, 64);
  g_assert_null (f->key.service_id);

  /* The file's directory may be readable by others (a node directory),
   * not writable. */
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  tor_onion_key_clear (&f->key);
  g_assert_true (tor_onion_key_load (file, FALSE, FALSE, &f->key, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (dir, 0757), ==, 0);
  assert_refused (file, FALSE, FALSE, "others may write to it (mode 0757)");

  tor_onion_key_clear (&saved);
  g_free (file);
  g_free (dir);
}

static void
test_hostile_dir (Fixture *f, gconstpointer data)
{
  gchar *dir = path_in (f, "hs", NULL);
  gchar *target = path_in (f, "elsewhere", NULL);
  gchar *link = path_in (f, "link", NULL);
  gchar *plain = path_in (f, "plain", NULL);
  TorOnionKey key = { 0, };
  GError *error = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  assert_refused (dir, TRUE, TRUE, "others may read it (mode 0755)");
  g_assert_cmpint (g_chmod (dir, 0770), ==, 0);
  assert_refused (dir, TRUE, TRUE, "others may write to it (mode 0770)");
  g_assert_cmpint (g_chmod (dir, 0701), ==, 0);
  assert_refused (dir, TRUE, TRUE, "mode 0701");

  /* Saving checks again: nothing is written into such a directory. */
  fill_key (&key);
  g_assert_cmpint (g_chmod (dir, 0777), ==, 0);
  g_assert_false (tor_onion_key_save (dir, TRUE, &key, TRUE, &error));
  g_assert_nonnull (strstr (error->message, "others may write to it"));
  g_clear_error (&error);
  g_assert_cmpint (g_rmdir (dir), ==, 0);

  /* A symbolic link to a private directory of ours. */
  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  g_assert_cmpint (symlink (target, link), ==, 0);
  assert_refused (link, TRUE, TRUE, "it is a symbolic link");
  g_assert_false (tor_onion_key_save (link, TRUE, &key, TRUE, &error));
  g_clear_error (&error);
  /* Not a directory. */
  write_file (plain, "x", 1, 0600);
  assert_refused (plain, TRUE, TRUE, "it is not a directory");

  /* Not ours (only root can make one here). */
  if (geteuid () == 0)
    {
      g_assert_cmpint (chown (target, 65534, 65534), ==, 0);
      assert_refused (target, TRUE, TRUE, "belongs to uid 65534");
    }

  tor_onion_key_clear (&key);
  g_free (dir);
  g_free (target);
  g_free (link);
  g_free (plain);
}

static void
test_hostile_files (Fixture *f, gconstpointer data)
{
  gchar *dir = path_in (f, "hs", NULL);
  gchar *secret = g_build_filename (dir, "hs_ed25519_secret_key", NULL);
  gchar *hostname = g_build_filename (dir, "hostname", NULL);
  gchar *elsewhere = path_in (f, "stolen", NULL);
  gchar *file = path_in (f, "onion.privkey", NULL);
  guint8 good[96], bad[96];

  memset (good, 0, sizeof good);
  memcpy (good, "== ed25519v1-secret: type0 ==", 29);
  memset (good + 32, 0x42, 64);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);

  /* The key file a symbolic link (to a well-formed key elsewhere). */
  write_file (elsewhere, good, sizeof good, 0600);
  g_assert_cmpint (symlink (elsewhere, secret), ==, 0);
  assert_refused (dir, TRUE, TRUE, "it is a symbolic link");
  g_assert_cmpint (g_unlink (secret), ==, 0);

  /* A FIFO: refused without blocking on it. */
  g_assert_cmpint (mkfifo (secret, 0600), ==, 0);
  assert_refused (dir, TRUE, TRUE, "not a regular file");
  g_assert_cmpint (g_unlink (secret), ==, 0);

  /* Wrong size, wrong header. */
  write_file (secret, good, 95, 0600);
  assert_refused (dir, TRUE, TRUE, "it has 95 bytes");
  memcpy (bad, good, sizeof bad);
  memcpy (bad, "== ed25519v1-public: type0 ==", 29);
  g_assert_cmpint (g_unlink (secret), ==, 0);
  write_file (secret, bad, sizeof bad, 0600);
  assert_refused (dir, TRUE, TRUE, "does not begin with the header");
  g_assert_cmpint (g_unlink (secret), ==, 0);
  write_file (secret, good, sizeof good, 0600);
  /* Too big: refused before reading. */
  {
    gchar *big = g_malloc0 (8192);

    write_file (elsewhere, big, 8192, 0600);
    write_file (file, big, 8192, 0600);
    g_free (big);
    assert_refused (file, FALSE, FALSE, "it has 8192 bytes");
  }

  /* A key others may read. */
  g_assert_cmpint (g_chmod (secret, 0644), ==, 0);
  assert_refused (dir, TRUE, TRUE, "others may read or write it (mode 0644)");
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);

  /* A malformed hostname file. */
  write_file (hostname, "example.com\n", 12, 0600);
  assert_refused (dir, TRUE, TRUE, "does not hold a version 3 onion address");
  g_assert_cmpint (g_unlink (hostname), ==, 0);
  write_file (hostname, SERVICE_ID ".onion\n", 63, 0600);
  {
    TorOnionKey key = { 0, };
    GError *error = NULL;

    g_assert_true (tor_onion_key_load (dir, TRUE, FALSE, &key, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (key.service_id, ==, SERVICE_ID);
    g_assert_cmpmem (key.key, 64, good + 32, 64);
    tor_onion_key_clear (&key);
  }

  /* A hostname file without its key: a new key would change the address. */
  g_assert_cmpint (g_unlink (secret), ==, 0);
  assert_refused (dir, TRUE, TRUE, "a new key would change the address");

  /* Tahoe's key file: another key type, or not base64. */
  g_assert_cmpint (g_unlink (file), ==, 0);
  write_file (file, "RSA1024:MIICXAIBAAKBgQ==", 24, 0600);
  assert_refused (file, FALSE, FALSE, "RSA1024");
  g_assert_cmpint (g_unlink (file), ==, 0);
  write_file (file, "ED25519-V3:%%%", 14, 0600);
  assert_refused (file, FALSE, FALSE, "not base64");

  g_free (dir);
  g_free (secret);
  g_free (hostname);
  g_free (elsewhere);
  g_free (file);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The modes the tests expect are the ones asked for. */
  umask (022);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/onion-key/dir/create-and-reload", test_dir_create_and_reload);
  ADD ("/onion-key/file/create-and-reload", test_file_create_and_reload);
  ADD ("/onion-key/hostile/directory", test_hostile_dir);
  ADD ("/onion-key/hostile/files", test_hostile_files);
#undef ADD
  return g_test_run ();
}
