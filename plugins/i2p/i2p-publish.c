/* The i2p plugin's server side: publishing a destination (txi2p's
 * `i2p:KEYFILE` server endpoint, Tahoe's `listen:i2p`).
 *
 * A publication is a job on the worker (i2p-connect.c) with a session of
 * its own (i2p-session.c): the job's stream socket says HELLO, then
 * `DEST GENERATE SIGNATURE_TYPE=7` when the key file does not exist yet
 * (the new keys saved to it before anything else happens), a dedicated
 * session does `SESSION CREATE DESTINATION=<keys>` with the operator's
 * `[i2p] sam.session-options` (checked at init, zero-hop refused in
 * anonymous mode, as for client sessions), and the stream socket then
 * says `STREAM FORWARD ID=<session> PORT=<local> HOST=<local> SILENT=true`:
 * the router connects to the node's loopback listener for every incoming
 * stream and, SILENT, sends nothing on it before the peer's bytes. Both
 * sockets stay open while the destination is published: closing the
 * session's control socket removes the destination from the router.
 *
 * The key file is txi2p's: the I2P base64 private keys exactly as SAM
 * answers DEST GENERATE's PRIV=. A new one is created 0600 with
 * O_EXCL|O_NOFOLLOW in a directory others cannot write; an existing one
 * is read without following a symlink and refused when others can read
 * or write it.
 *
 * Restarts: withdrawing a publication stamps its key file's mtime, and a
 * publish from a key stamped less than SAM_RELEASE_WAIT_US ago waits the
 * rest (after HELLO, before SESSION CREATE) so that i2pd has dropped the
 * previous session's destination (i2p-private.h). The stamp survives the
 * process, which is the case that matters: a node restarted at once.
 *
 * Ports: SAM 3.1 (i2pd up to at least 2.45.1) carries no port, and a 3.2
 * STREAM FORWARD takes every port of the destination: the forward gets
 * every stream whatever port a client names. The hint carries the
 * endpoint's port when it has one, as Tahoe advertises it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* O_NOFOLLOW, O_CLOEXEC and lstat() under -std=c11. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i2p-private.h"
#include "i2p-keys.h"

/* A key file is under 1 KiB (Ed25519); refuse to read much more. */
#define KEY_FILE_MAX (64 * 1024)

static gchar *
parent_dir (const gchar *path)
{
  return g_path_get_dirname (path);
}

/* The directory that holds a key: a directory (not a symlink to one),
 * that neither group nor others can write (they could replace the key). */
static gboolean
check_key_dir (const gchar *path,
               GError **error)
{
  gchar *dir = parent_dir (path);
  struct stat st;
  gboolean ok = FALSE;

  if (lstat (dir, &st) != 0)
    {
      gint saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "I2P: cannot create the key file %s: its directory %s: %s; accepted: "
                   "an existing directory only its owner can write",
                   path, dir, g_strerror (saved_errno));
    }
  else if (!S_ISDIR (st.st_mode))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                 "I2P: cannot create the key file %s: %s is not a directory (a "
                 "symlink?); accepted: an existing directory only its owner can write",
                 path, dir);
  else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                 "I2P: refusing to create the key file %s: its directory %s is writable "
                 "by others (mode %03o), who could replace the key; accepted: a directory "
                 "only its owner can write (chmod go-w %s)",
                 path, dir, (guint) (st.st_mode & 0777), dir);
  else
    ok = TRUE;
  g_free (dir);
  return ok;
}

/* Saves a new key: never over an existing file or through a symlink,
 * 0600 from the start, synced before the destination is used. */
gboolean
i2p_key_file_save (const gchar *path,
                   const gchar *private_key,
                   GError **error)
{
  gsize len = strlen (private_key), done = 0;
  gint fd, saved_errno = 0;

  if (!check_key_dir (path, error))
    return FALSE;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "I2P: cannot create the key file %s: %s%s", path, g_strerror (saved_errno),
                   saved_errno == EEXIST ? " (created meanwhile, or a symlink: not "
                                           "overwritten)" : "");
      return FALSE;
    }
  while (done < len && saved_errno == 0)
    {
      gssize n = write (fd, private_key + done, len - done);

      if (n < 0 && errno != EINTR)
        saved_errno = errno;
      else if (n > 0)
        done += (gsize) n;
    }
  if (saved_errno == 0 && fsync (fd) != 0)
    saved_errno = errno;
  if (close (fd) != 0 && saved_errno == 0)
    saved_errno = errno;
  if (saved_errno != 0)
    {
      unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "I2P: cannot write the key file %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Reads an existing key file. FALSE with *@missing when there is none;
 * *@mtime_us: when it was last written or stamped (wall clock). */
static gboolean
key_file_read (const gchar *path,
               gchar **private_key,
               gboolean *missing,
               gint64 *mtime_us,
               GError **error)
{
  gint fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  GString *text;
  gchar buf[4096];
  const gchar *problem = NULL;
  gchar *b32;
  gssize n;

  *missing = FALSE;
  if (fd < 0)
    {
      gint saved_errno = errno;

      *missing = saved_errno == ENOENT;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "I2P: cannot read the key file %s: %s%s", path, g_strerror (saved_errno),
                   saved_errno == ELOOP ? " (a symlink: refused, as anyone who can "
                                          "change it could swap the key)" : "");
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > KEY_FILE_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "I2P: the key file %s is not a regular file of at most %d bytes",
                   path, KEY_FILE_MAX);
      close (fd);
      return FALSE;
    }
  if ((st.st_mode & 0077) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "I2P: refusing the key file %s: others can read or write it (mode "
                   "%03o), and whoever reads it can impersonate this node's destination; "
                   "accepted: a file only its owner can use (chmod 600 %s)",
                   path, (guint) (st.st_mode & 0777), path);
      close (fd);
      return FALSE;
    }
  *mtime_us = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  text = g_string_new (NULL);
  while ((n = read (fd, buf, sizeof buf)) != 0 && text->len <= KEY_FILE_MAX)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      g_string_append_len (text, buf, n);
    }
  close (fd);
  memset (buf, 0, sizeof buf);
  g_strstrip (text->str);
  text->len = strlen (text->str);
  b32 = fh_i2p_b32_from_keys (text->str, text->len, &problem);
  if (b32 == NULL || n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "I2P: the key file %s does not hold I2P private keys: %s; accepted: "
                   "the I2P base64 keys SAM's DEST GENERATE answers in PRIV= (txi2p's "
                   "key file)", path, problem != NULL ? problem : "read error");
      memset (text->str, 0, text->len);
      g_string_free (text, TRUE);
      return FALSE;
    }
  g_free (b32);
  *private_key = g_string_free (text, FALSE);
  return TRUE;
}

void
i2p_publish_async (gpointer data,
                   const FurlHintPublishArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  I2pState *state = data;
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  GError *error = NULL;
  gchar *private_key = NULL, *host;
  const gchar *value;
  gboolean missing = FALSE;
  gint64 mtime_us = 0, age_us;
  Job *job;

  g_task_set_name (task, "[furlhint] i2p publish");
  g_task_set_source_tag (task, i2p_publish_async);
  if (state == NULL || args == NULL || g_strcmp0 (args->kind, "i2p") != 0 ||
      !G_IS_INET_SOCKET_ADDRESS (args->local_address))
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "I2P: cannot publish this endpoint; accepted: an initialised "
                               "plugin, kind \"i2p\" and a local IP address to forward to");
      g_object_unref (task);
      return;
    }
  /* txi2p's keywords that would change what is published: refused
   * rather than ignored (api=SAM and a nickname change nothing). */
  if (g_hash_table_contains (args->options, "options") ||
      ((value = g_hash_table_lookup (args->options, "sigType")) != NULL &&
       g_strcmp0 (value, "7") != 0 && g_strcmp0 (value, "EdDSA_SHA512_Ed25519") != 0))
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                               "I2P: %s: txi2p's options= and sigType= are not supported; "
                               "accepted: [i2p] sam.session-options for tunnel settings, "
                               "and Ed25519 keys (sigType=7)", args->endpoint);
      g_object_unref (task);
      return;
    }
  if ((value = g_hash_table_lookup (args->options, "apiEndpoint")) != NULL)
    {
      FhEndpoint endpoint = { 0, };
      gchar *want = fh_endpoint_to_string (&state->sam), *got = NULL;
      gboolean same = fh_endpoint_parse (value, &endpoint, NULL) &&
                      g_strcmp0 (want, got = fh_endpoint_to_string (&endpoint)) == 0;

      fh_endpoint_clear (&endpoint);
      g_free (got);
      if (!same)
        {
          g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                                   FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                                   "I2P: %s: apiEndpoint=%s is not the SAM bridge the i2p "
                                   "plugin uses (%s); accepted: that one, or no apiEndpoint",
                                   args->endpoint, value, want);
          g_free (want);
          g_object_unref (task);
          return;
        }
      g_free (want);
    }

  if (args->key_path != NULL &&
      !key_file_read (args->key_path, &private_key, &missing, &mtime_us, &error))
    {
      if (!missing || !args->create_key)
        {
          if (missing)
            g_prefix_error (&error, "%s: ", args->endpoint);
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      g_clear_error (&error);
      /* Before any key is made: a directory that cannot hold it. */
      if (!check_key_dir (args->key_path, &error))
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
    }

  job = i2p_job_new (state, task, args->status, args->status_data, cancellable);
  job->publish = TRUE;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (
                                     G_INET_SOCKET_ADDRESS (args->local_address)));
  job->host = host;
  job->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (args->local_address));
  job->hint_port = args->port;
  job->key_path = g_strdup (args->key_path);
  job->private_key = private_key;
  /* A key stamped in the future (a clock step) is not waited for. */
  age_us = g_get_real_time () - mtime_us;
  if (private_key != NULL && age_us >= 0 && age_us < SAM_RELEASE_WAIT_US)
    job->release_wait_us = SAM_RELEASE_WAIT_US - age_us;
  job->peer = g_strdup ("");
  g_main_context_invoke_full (state->worker->context, G_PRIORITY_DEFAULT,
                              i2p_job_start_in_worker_cb, job, NULL);
}

gchar *
i2p_publish_finish (gpointer data,
                    GAsyncResult *result,
                    gpointer *publication,
                    GError **error)
{
  I2pPublication *pub;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, i2p_publish_async), NULL);

  pub = g_task_propagate_pointer (G_TASK (result), error);
  if (pub == NULL)
    return NULL;
  *publication = pub;
  return g_strdup (pub->hint);
}

typedef struct {
  I2pPublication *publication;
  GMutex lock;
  GCond cond;
  gboolean done;
} Withdrawal;

/* On the worker thread: closing the session's control socket removes the
 * destination from the router; the forward socket goes with it. */
static void
withdraw (I2pPublication *publication)
{
  if (publication->forward != NULL)
    g_io_stream_close (G_IO_STREAM (publication->forward), NULL, NULL);
  g_clear_object (&publication->forward);
  i2p_session_die (publication->session,
                   g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        "I2P: the destination was unpublished"));
  g_clear_pointer (&publication->session, i2p_session_unref);
  /* The stamp a restart waits for (see "Restarts" above); best effort:
   * a key file we may not touch only costs a restart that comes too soon. */
  if (publication->key_path != NULL)
    (void) utimensat (AT_FDCWD, publication->key_path, NULL, AT_SYMLINK_NOFOLLOW);
}

static gboolean
withdraw_in_worker_cb (gpointer data)
{
  Withdrawal *w = data;

  withdraw (w->publication);
  g_mutex_lock (&w->lock);
  w->done = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  return G_SOURCE_REMOVE;
}

/* Withdraws and frees a publication; returns once the worker has closed
 * its sockets. Also the destroy function of a publish's GTask result, for
 * a result nobody collected. */
void
i2p_publication_free (gpointer data)
{
  I2pPublication *publication = data;
  I2pWorker *worker = publication->worker;

  if (g_main_context_is_owner (worker->context))
    withdraw (publication);
  else
    {
      Withdrawal w = { publication, };

      g_mutex_init (&w.lock);
      g_cond_init (&w.cond);
      g_main_context_invoke_full (worker->context, G_PRIORITY_HIGH, withdraw_in_worker_cb,
                                  &w, NULL);
      g_mutex_lock (&w.lock);
      while (!w.done)
        g_cond_wait (&w.cond, &w.lock);
      g_mutex_unlock (&w.lock);
      g_mutex_clear (&w.lock);
      g_cond_clear (&w.cond);
    }
  g_free (publication->hint);
  g_free (publication->key_path);
  g_free (publication);
}

void
i2p_unpublish (gpointer data,
               gpointer publication)
{
  if (publication != NULL)
    i2p_publication_free (publication);
}
