/* The tor plugin's files: reading a file another process may have
 * planted (never through a symbolic link, never blocking on a FIFO),
 * checking that a directory is private to us, and an onion service's
 * key as it is kept on disk: a directory in tor's hidden-service layout
 * (txtorcon's `hiddenServiceDir=`: hs_ed25519_secret_key and hostname) or
 * one file holding ADD_ONION's "ED25519-V3:<base64>" blob (Tahoe's
 * `[tor] onion.private_key_file`). The bytes themselves are torctl.c's.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_CLOEXEC and O_NOFOLLOW are POSIX, not C11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tor-private.h"

/* Opens @path for reading only if it is a regular file: never through a
 * symbolic link as its last component, and without blocking on a FIFO or
 * a device (O_NONBLOCK; whether it is one is seen by fstat() before any
 * read). The paths read here come from a control port, which may be any
 * local process's, or from a directory another process may have touched.
 * -1 with errno set (ELOOP: a symbolic link; EINVAL: not a regular
 * file), else the descriptor with *@st filled. */
gint
tor_open_regular_file (const gchar *path,
                       struct stat *st)
{
  gint fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  gint saved;

  if (fd < 0)
    return -1;
  if (fstat (fd, st) != 0)
    saved = errno;
  else if (!S_ISREG (st->st_mode))
    saved = EINVAL;
  else
    return fd;
  close (fd);
  errno = saved;
  return -1;
}

/* Reads up to @len bytes from @fd (at most @len: the file may have grown
 * since fstat()). The count read, or -1 with errno set. */
gssize
tor_read_at_most (gint fd,
                  guint8 *buf,
                  gsize len)
{
  gsize got = 0;

  while (got < len)
    {
      gssize n = read (fd, buf + got, len - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += n;
    }
  return got;
}

/* Why tor_open_regular_file() failed, for messages. */
const gchar *
tor_open_problem (gint err)
{
  if (err == ELOOP)
    return "it is a symbolic link";
  if (err == EINVAL)
    return "it is not a regular file (a FIFO, device, socket or directory)";
  return g_strerror (err);
}

gchar *
tor_private_dir_problem (const gchar *dir,
                         guint forbidden)
{
  struct stat st;

  if (lstat (dir, &st) != 0)
    return g_strdup (g_strerror (errno));
  if (S_ISLNK (st.st_mode))
    return g_strdup ("it is a symbolic link");
  if (!S_ISDIR (st.st_mode))
    return g_strdup ("it is not a directory");
  if (st.st_uid != geteuid ())
    return g_strdup_printf ("it belongs to uid %u, not to us (uid %u)",
                            (guint) st.st_uid, (guint) geteuid ());
  if (st.st_mode & forbidden)
    return g_strdup_printf ("others may %s it (mode %04o)",
                            (st.st_mode & forbidden & (S_IWGRP | S_IWOTH)) ? "write to"
                            : (st.st_mode & forbidden & (S_IRGRP | S_IROTH)) ? "read"
                                                                           : "enter",
                            (guint) (st.st_mode & 07777));
  return NULL;
}

static void
set_key_error (GError **error,
               const gchar *format,
               ...) G_GNUC_PRINTF (2, 3);

static void
set_key_error (GError **error,
               const gchar *format,
               ...)
{
  va_list ap;
  gchar *message;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED, message);
  g_free (message);
}

/* What a key directory or the directory of a key file may not allow
 * others: a key directory is tor's HiddenServiceDir, private to us (tor
 * itself insists on 0700); the directory of a key file (Tahoe's
 * NODEDIR/private) no write by others, who could replace the file. */
#define KEY_DIR_FORBIDDEN ((guint) (S_IRWXG | S_IRWXO))
#define KEY_FILE_DIR_FORBIDDEN ((guint) (S_IWGRP | S_IWOTH))
/* Longer than any key file furlhint or Tahoe writes (an ED25519-V3 blob
 * is 99 bytes; a hostname file 63). */
#define KEY_TEXT_MAX 4096

/* Reads a small file of ours that only we may read: 0 with *@out set
 * (NUL-terminated, *@len bytes), ENOENT when it does not exist, -1 with
 * @error set when it is refused. */
static gint
read_private_file (const gchar *path,
                   const gchar *what,
                   gsize max,
                   guint8 **out,
                   gsize *len,
                   GError **error)
{
  struct stat st;
  guint8 *buf;
  gssize got;
  gint fd = tor_open_regular_file (path, &st);
  gint saved = errno;

  if (fd < 0)
    {
      if (saved == ENOENT)
        return ENOENT;
      set_key_error (error, "refusing %s %s: %s; accepted: a regular file of ours, mode 0600",
                     what, path, tor_open_problem (saved));
      return -1;
    }
  if (st.st_uid != geteuid () || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 ||
      (gsize) st.st_size > max)
    {
      if (st.st_uid != geteuid ())
        set_key_error (error, "refusing %s %s: it belongs to uid %u, not to us (uid %u)",
                       what, path, (guint) st.st_uid, (guint) geteuid ());
      else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        set_key_error (error, "refusing %s %s: others may read or write it (mode %04o); "
                       "accepted: chmod 600", what, path, (guint) (st.st_mode & 07777));
      else
        set_key_error (error, "refusing %s %s: it has %" G_GINT64_FORMAT " bytes, more than "
                       "any such file", what, path, (gint64) st.st_size);
      close (fd);
      return -1;
    }
  buf = g_malloc0 (max + 1);
  got = tor_read_at_most (fd, buf, max);
  saved = errno;
  close (fd);
  if (got < 0)
    {
      set_key_error (error, "cannot read %s %s: %s", what, path, g_strerror (saved));
      g_free (buf);
      return -1;
    }
  *out = buf;
  *len = got;
  return 0;
}

static void
free_secret (guint8 *buf,
             gsize len)
{
  if (buf != NULL)
    memset (buf, 0, len);
  g_free (buf);
}

/* Checks the directory that holds (or will hold) the key: *@exists FALSE
 * when it is missing. */
static gboolean
check_key_dir (const gchar *dir,
               guint forbidden,
               gboolean *exists,
               GError **error)
{
  gchar *problem;

  *exists = TRUE;
  if (g_file_test (dir, G_FILE_TEST_EXISTS) || g_file_test (dir, G_FILE_TEST_IS_SYMLINK))
    {
      problem = tor_private_dir_problem (dir, forbidden);
      if (problem == NULL)
        return TRUE;
      set_key_error (error, "refusing the onion service key directory %s: %s; accepted: a "
                     "directory of ours that %s (chmod 700), or a path that does not exist "
                     "yet (created 0700)", dir, problem,
                     forbidden == KEY_DIR_FORBIDDEN ? "only we may read and write"
                                                    : "only we may write to");
      g_free (problem);
      return FALSE;
    }
  *exists = FALSE;
  return TRUE;
}

void
tor_onion_key_clear (TorOnionKey *key)
{
  memset (key->key, 0, sizeof key->key);
  key->have_key = FALSE;
  g_clear_pointer (&key->service_id, g_free);
}

gboolean
tor_onion_key_load (const gchar *path,
                    gboolean is_dir,
                    gboolean create,
                    TorOnionKey *key,
                    GError **error)
{
  gchar *dir = is_dir ? g_strdup (path) : g_path_get_dirname (path);
  gchar *secret = is_dir ? g_build_filename (dir, TOR_HS_SECRET_KEY_FILE, NULL)
                         : g_strdup (path);
  gchar *hostname = is_dir ? g_build_filename (dir, TOR_HS_HOSTNAME_FILE, NULL) : NULL;
  guint8 *data = NULL;
  gsize len = 0;
  gboolean exists, ok = FALSE;
  gint r;

  memset (key, 0, sizeof *key);
  if (!check_key_dir (dir, is_dir ? KEY_DIR_FORBIDDEN : KEY_FILE_DIR_FORBIDDEN, &exists,
                      error))
    goto out;
  r = exists ? read_private_file (secret, "the onion service key",
                                  is_dir ? FH_TORCTL_SECRET_KEY_FILE_LEN + 1 : KEY_TEXT_MAX,
                                  &data, &len, error)
             : ENOENT;
  if (r < 0)
    goto out;
  if (r == 0)
    {
      if (is_dir ? !fh_torctl_secret_key_file_parse (data, len, secret, key->key, error)
                 : !fh_torctl_onion_key_decode ((const gchar *) data, secret, key->key, error))
        goto out;
      key->have_key = TRUE;
    }
  free_secret (g_steal_pointer (&data), len);

  if (hostname != NULL && exists)
    {
      r = read_private_file (hostname, "the onion service's hostname file", KEY_TEXT_MAX,
                             &data, &len, error);
      if (r < 0)
        goto out;
      if (r == 0)
        {
          gchar *text = g_strstrip ((gchar *) data);

          if (!g_str_has_suffix (text, ".onion") ||
              strlen (text) != FH_TORCTL_SERVICE_ID_LEN + strlen (".onion") ||
              (text[FH_TORCTL_SERVICE_ID_LEN] = '\0',
               !fh_torctl_service_id_is_valid (text)))
            {
              set_key_error (error, "refusing %s: it does not hold a version 3 onion "
                             "address; accepted: 56 base32 characters and “.onion”, as "
                             "tor writes it", hostname);
              goto out;
            }
          key->service_id = g_strdup (text);
        }
      g_clear_pointer (&data, g_free);
      if (!key->have_key && key->service_id != NULL)
        {
          set_key_error (error, "refusing to create a new onion service key in %s: its "
                         "hostname file names %s.onion, whose key %s is missing, and a new "
                         "key would change the address; accepted: the key restored, or the "
                         "hostname file removed", dir, key->service_id, secret);
          goto out;
        }
    }

  if (!key->have_key && !create)
    {
      set_key_error (error, "the onion service key %s does not exist; accepted: an "
                     "existing key, or creating one (furlhint location --create, or "
                     "a listener allowed to create keys)", secret);
      goto out;
    }
  ok = TRUE;

out:
  if (!ok)
    tor_onion_key_clear (key);
  free_secret (data, len);
  g_free (dir);
  g_free (secret);
  g_free (hostname);
  return ok;
}

/* Writes a new file of ours (0600), never through a link nor over an
 * existing file; removed again when it cannot be written whole. */
static gboolean
write_new_private_file (const gchar *path,
                        const gchar *what,
                        const guint8 *data,
                        gsize len,
                        GError **error)
{
  gint fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
                  0600);
  gsize done = 0;
  gint saved = 0;

  if (fd < 0)
    {
      saved = errno;
      set_key_error (error, "cannot create %s %s: %s%s", what, path, g_strerror (saved),
                     saved == EEXIST ? " (furlhint never writes over a key file)" : "");
      return FALSE;
    }
  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          saved = n < 0 ? errno : EIO;
          break;
        }
      done += n;
    }
  if (saved == 0 && fsync (fd) != 0)
    saved = errno;
  if (close (fd) != 0 && saved == 0)
    saved = errno;
  if (saved != 0)
    {
      unlink (path);
      set_key_error (error, "cannot write %s %s: %s", what, path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
tor_onion_key_save (const gchar *path,
                    gboolean is_dir,
                    const TorOnionKey *key,
                    gboolean write_key,
                    GError **error)
{
  gchar *dir = is_dir ? g_strdup (path) : g_path_get_dirname (path);
  gboolean exists, ok = FALSE;

  g_return_val_if_fail (key->have_key && key->service_id != NULL, FALSE);

  if (!check_key_dir (dir, is_dir ? KEY_DIR_FORBIDDEN : KEY_FILE_DIR_FORBIDDEN, &exists,
                      error))
    goto out;
  if (!exists)
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          set_key_error (error, "cannot create the onion service key directory %s: %s",
                         dir, g_strerror (errno));
          goto out;
        }
      /* Whatever made it (a race, a umask): it must be private now. */
      if (!check_key_dir (dir, is_dir ? KEY_DIR_FORBIDDEN : KEY_FILE_DIR_FORBIDDEN, &exists,
                          error))
        goto out;
    }

  if (write_key && is_dir)
    {
      gchar *secret = g_build_filename (dir, TOR_HS_SECRET_KEY_FILE, NULL);
      guint8 contents[FH_TORCTL_SECRET_KEY_FILE_LEN];

      fh_torctl_secret_key_file_build (key->key, contents);
      ok = write_new_private_file (secret, "the onion service key", contents,
                                   sizeof contents, error);
      memset (contents, 0, sizeof contents);
      g_free (secret);
      if (!ok)
        goto out;
      ok = FALSE;
    }
  else if (write_key)
    {
      gchar *blob = fh_torctl_onion_key_encode (key->key);

      ok = write_new_private_file (path, "the onion service key", (const guint8 *) blob,
                                   strlen (blob), error);
      memset (blob, 0, strlen (blob));
      g_free (blob);
      if (!ok)
        goto out;
      ok = FALSE;
    }

  if (is_dir)
    {
      gchar *hostname = g_build_filename (dir, TOR_HS_HOSTNAME_FILE, NULL);
      gchar *text = g_strdup_printf ("%s.onion\n", key->service_id);

      ok = write_new_private_file (hostname, "the onion service's hostname file",
                                   (const guint8 *) text, strlen (text), error);
      g_free (text);
      g_free (hostname);
      goto out;
    }
  ok = TRUE;

out:
  g_free (dir);
  return ok;
}
