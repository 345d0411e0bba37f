/* The tor plugin's private header: what its files share.
 *
 *   tor.c            the settings ([tor], [connections]), parse, init and
 *                    fini, describe, and the descriptor;
 *   tor-control.c    the blocking control-port client (discovery thread);
 *   tor-discovery.c  finding the SOCKS port through a control port or a
 *                    launched tor, on a thread of its own;
 *   tor-connect.c    one connect: the SOCKS port to use, waiting for the
 *                    discovery, the checks on the target, stream isolation;
 *   tor-publish.c    publishing an onion service (ADD_ONION) on a thread of
 *                    its own, and withdrawing it;
 *   tor-files.c      files read from and written to: cookies, private
 *                    directories, onion service keys.
 *
 * Nothing here is seen outside the plugin: the module exports only its
 * descriptor.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TOR_PRIVATE_H
#define FURLHINT_TOR_PRIVATE_H

#include <furlhint/plugin.h>

#include "../common/caller-queue.h"
#include "../common/plugin-util.h"

G_BEGIN_DECLS

#include "torctl.h"

#define TOR_PLUGIN_NAME "tor"

/* Tor's SocksPort default and Tor Browser's, tried in this order. */
#define TOR_DEFAULT_SOCKS_HOST "127.0.0.1"
#define TOR_DEFAULT_SOCKS_PORT 9050
#define TOR_BROWSER_SOCKS_PORT 9150

/* Foolscap's status words (foolscap/connections/tor.py). */
#define STATUS_FINDING "connecting to a Tor"
#define STATUS_LAUNCHING "launching Tor"
#define STATUS_BOOTSTRAP "waiting for Tor bootstrap"

/* Every blocking control-port read or write gives up after this. */
#define TOR_CONTROL_IO_TIMEOUT_S 10
/* A launched tor writes its control port file within a second or two;
 * this bounds a tor that hangs before it. */
#define TOR_LAUNCH_START_TIMEOUT_MS 30000
/* Foolscap's connection timeout: no connect waits longer anyway. */
#define TOR_BOOTSTRAP_TIMEOUT_MS 120000
#define TOR_BOOTSTRAP_POLL_MS 250
/* How long a launched tor gets to exit on SIGTERM before SIGKILL. */
#define TOR_KILL_GRACE_MS 3000

/* SOCKS user name for stream isolation; the password is per peer and per
 * plugin state (see isolation_password()). */
#define TOR_ISOLATION_USER "furlhint"
/* Bytes of the per-state secret keying the isolation passwords. */
#define TOR_ISOLATION_SECRET_LEN 32

typedef enum {
  TOR_MODE_DEFAULT_PORTS = 0,
  TOR_MODE_SOCKS,
  TOR_MODE_CONTROL,
  TOR_MODE_LAUNCH,
} TorMode;

typedef struct _Discovery Discovery;

typedef struct {
  TorMode mode;
  gboolean have_socks;
  FhEndpoint socks;           /* (owned) when have_socks: the SOCKS port to use */
  gboolean have_control;
  FhEndpoint control;         /* (owned) when have_control: asked for the SOCKS
                               * port (TOR_MODE_CONTROL), and for onion services */
  gchar *control_password;    /* (owned) (nullable) [tor] control.password, for
                               * a control port with HashedControlPassword */
  guint control_auth;         /* FhTorAuthMethods [tor] control.auth allows on a
                               * control port we did not launch */
  gchar *executable;          /* (owned) (nullable) tor.executable; NULL: "tor" on $PATH */
  gchar *data_directory;      /* (owned) (nullable) [tor] data-directory for a
                               * launched tor; NULL: a private temporary one */
  guint16 default_ports[2];   /* TOR_MODE_DEFAULT_PORTS, on TOR_DEFAULT_SOCKS_HOST */
  gboolean isolate_streams;   /* SOCKS credentials from the connect's isolation
                               * key, so that peers do not share circuits
                               * (Tor's IsolateSOCKSAuth, on by default) */
  guint8 isolation_secret[TOR_ISOLATION_SECRET_LEN];
                              /* random, drawn at init: one per plugin state,
                               * so one per context (node identity); never
                               * shown anywhere, wiped on free */
  gboolean anonymous;         /* the node runs in anonymous mode */
  gboolean disabled;          /* [tor] enabled = false */
  gchar *route_display;       /* (owned) "SOCKS 127.0.0.1:9050", for describe */
  gchar *describe_prefix;     /* (owned) "Tor (SOCKS 127.0.0.1:9050) → ": what
                               * describe writes before every target */

  /* Connects may run on several threads (a blocking connect runs on a
   * private main context), and discovery runs on a thread of its own. */
  GMutex lock;
  gboolean have_found;        /* (lock) */
  FhEndpoint found;           /* (lock) (owned) the SOCKS port found by
                               * probing, the control port or a launch */
  Discovery *discovery;       /* (lock) (owned) (nullable) the last one */
  GPtrArray *publishing;      /* (lock) (owned) (element-type GCancellable) one per
                               * publish thread still running (tor-publish.c) */
  GPtrArray *withdrawals;     /* (lock) (owned) (element-type GCancellable) one per
                               * withdrawal thread still running */
  GCond publish_done;         /* (lock) signalled when one of them ends */
  GPtrArray *withdraw_problems;  /* (lock) (owned) (element-type utf8) what they
                                  * could not do, logged on the caller's thread */
  FurlHintLogFunc log;        /* the host's logger (lives as long as the plugin) */
  gpointer log_data;
} TorState;

/* ------------------------------------------------------------------------
 * Connecting.
 *
 * Finding the SOCKS port ("connecting to a Tor", as Foolscap says) depends
 * on the mode: a configured port is used as is; the default ports are
 * probed by the SOCKS connect itself (9050 refused → 9150); the control
 * port and a launched tor are asked by a discovery that runs on a thread
 * of its own (blocking, bounded control-port I/O), shared by every connect
 * that waits for it, and whose result is cached in the state. The SOCKS
 * handshake is plugins/common/socks-client.c.
 * ------------------------------------------------------------------------ */

/* A blocking control-port connection (discovery thread only). */
typedef struct {
  GSocketConnection *conn;    /* (owned) */
  GString *buf;               /* (owned) bytes read and not parsed yet */
  gchar *label;               /* (owned) "Tor control port 127.0.0.1:9051" */
} TorControl;

struct _Discovery {
  TorState *state;            /* (unowned) outlives it */
  TorMode mode;
  GThread *thread;            /* (owned) joined by tor_discovery_free() */
  GCancellable *cancellable;  /* (owned) cancelled by tor_discovery_free() */
  Discovery *previous;        /* (owned) (nullable) cleaned up by the thread */
  /* (state->lock): */
  const gchar *phase;         /* the status to report to a new waiter */
  gboolean finished;
  GError *error;              /* (owned) (nullable) why it failed */
  gchar *found_how;           /* (owned) (nullable) for the log */
  GPtrArray *waiters;         /* (owned) (element-type GTask) */
  /* A launched tor (thread, then tor_discovery_free()): */
  GPid pid;                   /* 0: none running */
  gchar *tmp_dir;             /* (owned) (nullable) removed at the end */
  gchar *log_path;            /* (owned) (nullable) its stdout/stderr */
  TorControl *owner;          /* (owned) (nullable) TAKEOWNERSHIP connection */
  gboolean have_control;      /* (state->lock) the launched tor's control port is known */
  FhEndpoint control;         /* (state->lock) (owned) when have_control */
};

typedef struct {
  TorState *state;            /* (unowned) the state outlives its connects */
  gchar *host;                /* (owned) the target, sent to Tor as is */
  guint16 port;
  gchar *username;            /* (owned) (nullable) stream isolation */
  gchar *password;            /* (owned) (nullable) */
  FurlHintStatusFunc status;
  gpointer status_data;
  FhCallerQueue *caller;      /* (owned) statuses and the resume from the
                               * discovery thread; closed once the task has
                               * its result */
  FhEndpoint endpoint;        /* (owned) the SOCKS port being tried */
  gchar *label;               /* (owned) "Tor SOCKS port 127.0.0.1:9050" */
  gboolean probing;           /* default ports: endpoint is default_ports[probe] */
  guint probe;
  gboolean from_found;        /* endpoint came from state->found */
  GSource *cancel_source;     /* (owned) (nullable) while waiting for discovery */
} ConnectData;

/* tor-control.c */
void tor_control_free (TorControl *ctl);
TorControl *tor_control_open (const FhEndpoint *endpoint,
                              GCancellable *cancellable,
                              GError **error);
gboolean tor_control_simple (TorControl *ctl,
                             const gchar *line,
                             const gchar *what,
                             GCancellable *cancellable,
                             GError **error);
gboolean tor_control_authenticate (TorControl *ctl,
                                   guint allowed,
                                   const gchar *password,
                                   GCancellable *cancellable,
                                   gchar **how,
                                   GError **error);
gboolean tor_control_getinfo (TorControl *ctl,
                              const gchar *key,
                              gchar **value,
                              GCancellable *cancellable,
                              GError **error);
gboolean tor_control_add_onion (TorControl *ctl,
                                const gchar *line,
                                gchar **service_id,
                                guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                gboolean *have_key,
                                GCancellable *cancellable,
                                GError **error);
gboolean tor_control_socks_port (TorControl *ctl,
                                 GCancellable *cancellable,
                                 FhEndpoint *out,
                                 GError **error);

/* tor-files.c */
struct stat;
gint tor_open_regular_file (const gchar *path,
                            struct stat *st);
gssize tor_read_at_most (gint fd,
                         guint8 *buf,
                         gsize len);
const gchar *tor_open_problem (gint err);
/* NULL when @dir is a directory (not a symbolic link) of ours whose mode
 * has none of the @forbidden bits; else why not (g_free() it). */
gchar *tor_private_dir_problem (const gchar *dir,
                                guint forbidden);

/* tor's names in a HiddenServiceDir */
#define TOR_HS_SECRET_KEY_FILE "hs_ed25519_secret_key"
#define TOR_HS_HOSTNAME_FILE "hostname"

/* An onion service's key as kept on disk. */
typedef struct {
  gboolean have_key;
  guint8 key[FH_TORCTL_ONION_KEY_LEN];  /* secret; wiped by tor_onion_key_clear() */
  gchar *service_id;                    /* (owned) (nullable) the hostname file's,
                                         * or the one tor reported */
} TorOnionKey;

void tor_onion_key_clear (TorOnionKey *key);
/* Reads the key at @path: a directory in tor's layout (@is_dir) or a file
 * with the "ED25519-V3:" blob; the directory (@path, or the file's) must
 * be ours and private (a key directory: nobody else may read or write
 * it; a key file's directory: nobody else may write to it), the files
 * ours, regular, 0600. A missing key: @key->have_key FALSE when @create,
 * else an error; so is a hostname file without its key. */
gboolean tor_onion_key_load (const gchar *path,
                             gboolean is_dir,
                             gboolean create,
                             TorOnionKey *key,
                             GError **error);
/* Saves what tor_onion_key_load() did not find: the key when
 * @write_key, and (@is_dir) the hostname file "<service_id>.onion\n".
 * The directory is created 0700 when missing; files are new (O_EXCL,
 * never through a link), 0600. */
gboolean tor_onion_key_save (const gchar *path,
                             gboolean is_dir,
                             const TorOnionKey *key,
                             gboolean write_key,
                             GError **error);

/* tor-discovery.c */
gboolean tor_wait_for_discovery (GTask *task,
                                 const gchar **phase,
                                 GError **error);
void tor_discovery_free (Discovery *d);
Discovery *tor_discovery_start (TorState *state,
                                GError **error);

/* tor-publish.c */
void tor_publish_wait_all (TorState *state);
void tor_publish_async (gpointer state_data,
                        const FurlHintPublishArgs *args,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
gchar *tor_publish_finish (gpointer state_data,
                           GAsyncResult *result,
                           gpointer *publication,
                           GError **error);
void tor_unpublish (gpointer state_data,
                    gpointer publication);

/* tor-connect.c */
void tor_endpoint_copy (FhEndpoint *dest,
                        const FhEndpoint *src);
gchar *tor_endpoint_label (const gchar *what,
                           const FhEndpoint *endpoint);
void tor_set_connect_error (GError **error,
                            FurlHintConnectError code,
                            const gchar *format,
                            ...) G_GNUC_PRINTF (3, 4);
gboolean tor_waiter_resume (gpointer user_data);
void tor_connect_async (gpointer state_data,
                        const FurlHintConnectArgs *args,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
GIOStream *tor_connect_finish (gpointer data,
                               GAsyncResult *result,
                               GError **error);

G_END_DECLS

#endif /* FURLHINT_TOR_PRIVATE_H */
