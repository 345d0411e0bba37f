/* tahoe.cfg files meant to hurt: unreadable, binary, huge, endless,
 * duplicated, contradictory, with NUL bytes, monstrous lines and keys, and
 * interpolation bombs. Each must end in a clear, coded FURLHINT_CONFIG_ERROR
 * (or a reading that is exactly right), never a crash, hang or unbounded
 * allocation.
 *
 * "Unreadable" while running as root: root reads a chmod 000 file (the
 * DAC override capability), so the permission case drops to nobody in a
 * subprocess first; a directory, a FIFO (opening it would block until a
 * writer comes) and /proc/self/mem (a regular file whose read() fails
 * with EIO) are unreadable for root too.
 *
 * Cases that could exhaust memory run in a subprocess under RLIMIT_AS, so
 * that an unbounded allocation fails the test instead of the machine.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <grp.h>

#include <glib/gstdio.h>
#include <furlhint/furlhint.h>

#define SUBPROCESS_TIMEOUT_US (20 * G_USEC_PER_SEC)
/* Far above what a tahoe.cfg needs, far below what a bomb wants. */
#define MEMORY_LIMIT (1024UL * 1024 * 1024)

typedef struct {
  gchar *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("furlhint-hostile-cfg-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_dir (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_dir (child);
      else
        g_unlink (child);
      g_free (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  remove_dir (f->dir);
  g_free (f->dir);
}

static gchar *
write_file (Fixture *f, const gchar *name, const gchar *data, gssize len)
{
  gchar *path = g_build_filename (f->dir, name, NULL);
  GError *error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

/* Loads @path; expects @code and a message containing @part. */
static void
assert_file_error (const gchar *path, gint code, const gchar *part)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_file (path, &error);

  g_assert_null (config);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, code);
  g_test_message ("%s: %s", path, error->message);
  if (strstr (error->message, part) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, part);
  g_error_free (error);
}

static void
assert_data_error (const gchar *data, gssize len, gint code, const gchar *part)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_data (data, len, "tahoe.cfg", &error);

  if (config != NULL)
    g_error ("accepted a tahoe.cfg that should fail with \"%s\"", part);
  g_assert_error (error, FURLHINT_CONFIG_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, part) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", error->message, part);
  g_error_free (error);
}

/* In the subprocess: at most MEMORY_LIMIT of address space. */
static gboolean
in_limited_subprocess (void)
{
  if (g_test_subprocess ())
    {
      /* ASan reserves terabytes of shadow address space: an address-space
       * limit only makes it fail to mmap. Its own allocator reports
       * runaway allocations there, and the time bound still holds. */
#if !defined(__SANITIZE_ADDRESS__)
      struct rlimit limit = { MEMORY_LIMIT, MEMORY_LIMIT };

      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
#endif
      return TRUE;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/* --- unreadable ---------------------------------------------------------------- */

static void
test_directory (Fixture *f, gconstpointer data)
{
  assert_file_error (f->dir, FURLHINT_CONFIG_ERROR_IO, "it is a directory");
}

static void
test_fifo (Fixture *f, gconstpointer data)
{
  gchar *path = g_build_filename (f->dir, "tahoe.cfg", NULL);
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  /* Opening a FIFO without a writer blocks: never open it. */
  assert_file_error (path, FURLHINT_CONFIG_ERROR_IO, "not a regular file");
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_free (path);
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  gchar *path = g_build_filename (f->dir, "no-such-tahoe.cfg", NULL);

  assert_file_error (path, FURLHINT_CONFIG_ERROR_IO, "No such file or directory");
  g_free (path);
}

static void
test_proc_mem (Fixture *f, gconstpointer data)
{
  /* A regular file of size 0 whose read() fails (EIO) even for root. */
  assert_file_error ("/proc/self/mem", FURLHINT_CONFIG_ERROR_IO, "cannot read the configuration");
}

/* chmod 000, read by nobody: root would read it anyway. */
static void
test_permission (Fixture *f, gconstpointer data)
{
  if (g_test_subprocess ())
    {
      const gchar *path = g_getenv ("HOSTILE_CFG_PATH");

      g_assert_nonnull (path);
      if (geteuid () == 0)
        {
          g_assert_cmpint (setgroups (0, NULL), ==, 0);
          g_assert_cmpint (setgid (65534), ==, 0);
          g_assert_cmpint (setuid (65534), ==, 0);
        }
      g_assert_cmpint (access (path, R_OK), !=, 0);
      assert_file_error (path, FURLHINT_CONFIG_ERROR_IO, "Permission denied");
      return;
    }
  else
    {
      gchar *path = write_file (f, "tahoe.cfg", "[node]\nnickname = secret\n", -1);

      g_assert_cmpint (g_chmod (path, 0), ==, 0);
      /* nobody may enter the directory but not read the file. */
      g_assert_cmpint (g_chmod (f->dir, 0711), ==, 0);
      g_setenv ("HOSTILE_CFG_PATH", path, TRUE);
      g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_unsetenv ("HOSTILE_CFG_PATH");
      g_test_trap_assert_passed ();
      g_free (path);
    }
}

/* --- big ------------------------------------------------------------------------ */

/* 100 MB (sparse: made in no time, no disk used): refused on its size
 * before reading a byte. */
static void
test_100mb (Fixture *f, gconstpointer data)
{
  gchar *path = g_build_filename (f->dir, "tahoe.cfg", NULL);
  gint fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gint64 start;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 100 * 1000 * 1000), ==, 0);
  close (fd);
  start = g_get_monotonic_time ();
  assert_file_error (path, FURLHINT_CONFIG_ERROR_IO, "100000000 bytes is too large");
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 10);
  g_free (path);
}

/* /proc/self/pagemap: a regular file that says it has 0 bytes and reads
 * on for hundreds of GiB. The size check cannot trust st_size: reading
 * must stop past the limit. */
static void
test_endless (Fixture *f, gconstpointer data)
{
  gint64 start = g_get_monotonic_time ();

  if (!in_limited_subprocess ())
    return;
  assert_file_error ("/proc/self/pagemap", FURLHINT_CONFIG_ERROR_IO, "too large");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* --- contents ----------------------------------------------------------------------- */

static void
test_binary (Fixture *f, gconstpointer data)
{
  guint8 junk[4096];
  guint32 x = 2463534242u;

  for (gsize i = 0; i < sizeof junk; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      junk[i] = (guint8) x;
    }
  assert_data_error ((const gchar *) junk, sizeof junk, FURLHINT_CONFIG_ERROR_SYNTAX,
                     "binary data?); expected a UTF-8 text file");
}

static void
test_nul (Fixture *f, gconstpointer data)
{
  static const gchar text[] = "[node]\nnickname = a\0b\n[connections]\ntcp = tor\n";

  assert_data_error (text, sizeof text - 1, FURLHINT_CONFIG_ERROR_SYNTAX,
                     "tahoe.cfg:2: contains a NUL byte");
}

static gboolean
warned (FurlHintConfig *config, const gchar *part)
{
  const gchar *const *warnings = furlhint_config_get_warnings (config);

  for (guint i = 0; warnings[i] != NULL; i++)
    {
      g_test_message ("warning: %s", warnings[i]);
      if (strstr (warnings[i], part) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Tahoe reads tahoe.cfg with ConfigParser(strict=False): a repeated
 * section is merged, a repeated key's last value counts. furlhint does
 * the same, and says so in a warning: a deliberate reading, not a crash
 * and not a silent surprise. */
static void
test_duplicate_section (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_data (
    "[node]\nanonymous = false\n[connections]\ntcp = tor\n[node]\nanonymous = true\n",
    -1, "tahoe.cfg", &error);

  g_assert_no_error (error);
  g_assert_true (furlhint_config_get_anonymous (config));
  g_assert_true (warned (config, "tahoe.cfg:6: [node] anonymous is given again "
                                 "(first at line 2); the last one counts"));
  furlhint_config_unref (config);
}

static void
test_duplicate_key (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  FurlHintConfig *config = furlhint_config_load_data ("[connections]\ntcp = tor\nTCP = disabled\n",
                                                      -1, "tahoe.cfg", &error);

  g_assert_no_error (error);
  g_assert_cmpint (furlhint_config_get_tcp_mode (config), ==, FURLHINT_TCP_MODE_DISABLED);
  g_assert_true (warned (config, "tahoe.cfg:3: [connections] tcp is given again "
                                 "(first at line 2); the last one counts"));
  furlhint_config_unref (config);
}

static void
test_contradictory_anonymity (Fixture *f, gconstpointer data)
{
  assert_data_error ("[node]\nanonymous = true\nreveal-IP-address = true\n", -1,
                     FURLHINT_CONFIG_ERROR_CONFLICT,
                     "[node] anonymous = \"true\": contradicts tahoe.cfg:3: "
                     "[node] reveal-IP-address = \"true\"");
}

static void
test_long_line (Fixture *f, gconstpointer data)
{
  GString *text = g_string_new ("[node]\nnickname = ");
  GError *error = NULL;
  FurlHintConfig *config;

  /* 8 MiB in one value: within the file limit, so it is read, and right. */
  for (guint i = 0; i < 8 * 1024 * 1024 / 16; i++)
    g_string_append (text, "0123456789abcdef");
  g_string_append_c (text, '\n');
  config = furlhint_config_load_data (text->str, (gssize) text->len, "tahoe.cfg", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (furlhint_config_get_value (config, "node", "nickname")), ==,
                    8 * 1024 * 1024);
  furlhint_config_unref (config);
  g_string_free (text, TRUE);
}

static void
test_long_key (Fixture *f, gconstpointer data)
{
  GString *text = g_string_new ("[connections]\n");
  GError *error = NULL;
  FurlHintConfig *config;
  const gchar *const *warnings;

  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (text, 'k');
  g_string_append (text, " = v\n");
  config = furlhint_config_load_data (text->str, (gssize) text->len, "tahoe.cfg", &error);
  /* An unknown key of [connections]: a warning, or an error; never more. */
  if (config == NULL)
    g_assert_true (error != NULL && error->domain == FURLHINT_CONFIG_ERROR);
  else
    {
      warnings = furlhint_config_get_warnings (config);
      g_assert_nonnull (warnings[0]);
      furlhint_config_unref (config);
    }
  g_clear_error (&error);
  g_string_free (text, TRUE);
}

static void
test_interpolation_loop (Fixture *f, gconstpointer data)
{
  assert_data_error ("[node]\na = %(b)s\nb = %(a)s\nnickname = %(a)s\n", -1,
                     FURLHINT_CONFIG_ERROR_BAD_VALUE,
                     "recursion limit exceeded in value substitution");
}

/* "Billion laughs": ten levels, each ten times the last; 10^10 bytes from
 * a few hundred. ConfigParser's depth limit (10) does not stop it. */
static void
test_interpolation_bomb (Fixture *f, gconstpointer data)
{
  GString *text;
  gint64 start = g_get_monotonic_time ();
  GError *error = NULL;
  FurlHintConfig *config;

  if (!in_limited_subprocess ())
    return;
  text = g_string_new ("[node]\nl0 = 0123456789\n");
  for (guint level = 1; level <= 9; level++)
    {
      g_string_append_printf (text, "l%u = ", level);
      for (guint i = 0; i < 10; i++)
        g_string_append_printf (text, "%%(l%u)s", level - 1);
      g_string_append_c (text, '\n');
    }
  g_string_append (text, "nickname = %(l9)s\n");
  config = furlhint_config_load_data (text->str, (gssize) text->len, "tahoe.cfg", &error);
  g_assert_null (config);
  g_assert_true (error != NULL && error->domain == FURLHINT_CONFIG_ERROR);
  g_test_message ("%s", error->message);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_error_free (error);
  g_string_free (text, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/hostile-config/unreadable/directory", test_directory);
  ADD ("/hostile-config/unreadable/fifo", test_fifo);
  ADD ("/hostile-config/unreadable/missing", test_missing);
  ADD ("/hostile-config/unreadable/proc-self-mem", test_proc_mem);
  ADD ("/hostile-config/unreadable/permission", test_permission);
  ADD ("/hostile-config/size/100mb", test_100mb);
  ADD ("/hostile-config/size/endless-proc-file", test_endless);
  ADD ("/hostile-config/contents/binary", test_binary);
  ADD ("/hostile-config/contents/nul", test_nul);
  ADD ("/hostile-config/contents/duplicate-section", test_duplicate_section);
  ADD ("/hostile-config/contents/duplicate-key", test_duplicate_key);
  ADD ("/hostile-config/contents/contradictory-anonymity", test_contradictory_anonymity);
  ADD ("/hostile-config/contents/long-line", test_long_line);
  ADD ("/hostile-config/contents/long-key", test_long_key);
  ADD ("/hostile-config/interpolation/loop", test_interpolation_loop);
  ADD ("/hostile-config/interpolation/bomb", test_interpolation_bomb);
#undef ADD
  return g_test_run ();
}
