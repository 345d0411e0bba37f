/* The i2p plugin's private header: what its files share.
 *
 *   i2p.c          the settings ([i2p], [connections]), parse, init and
 *                  fini, describe, and the descriptor;
 *   i2p-connect.c  the jobs: one connect, its caller's side (the GTask,
 *                  statuses, cancellation) and its worker's side (the
 *                  stream socket: HELLO, NAMING LOOKUP, STREAM CONNECT);
 *   i2p-session.c  the SAM sessions: a control socket each, HELLO and
 *                  SESSION CREATE, commands queued one at a time;
 *   i2p-publish.c  publishing a destination: the key file, the caller's
 *                  side of a publish, unpublishing;
 *   i2p-worker.c   the worker thread that owns every SAM socket, and the
 *                  errors of the bridge it talks to.
 *
 * The design of connecting (sessions, destinations, threads, names,
 * ports) is the comment below. Nothing here is seen outside the plugin:
 * the module exports only its descriptor.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_I2P_PRIVATE_H
#define FURLHINT_I2P_PRIVATE_H

#include <furlhint/plugin.h>

#include "../common/caller-queue.h"
#include "../common/plugin-util.h"
#include "sam.h"

G_BEGIN_DECLS

/* The thread that owns the SAM sockets (see "connecting" below). */
typedef struct _I2pWorker I2pWorker;

typedef struct {
  FhEndpoint sam;           /* (owned) the SAM bridge */
  gboolean anonymous;       /* the node runs in anonymous mode */
  gboolean disabled;        /* [i2p] enabled = false */
  gchar *route_display;     /* (owned) "SAM 127.0.0.1:7656", for describe */
  gchar *describe_prefix;   /* (owned) "I2P (SAM 127.0.0.1:7656) → ": what
                             * describe writes before every target */
  gchar **session_options;  /* (owned) I2CP options for SESSION CREATE */
  gboolean per_peer;        /* [i2p] sam.client-destinations = per-peer */
  GMutex lock;              /* guards @worker's creation */
  I2pWorker *worker;        /* (owned) (nullable) started by the first connect */
} I2pState;

/* --- connecting ------------------------------------------------------------
 *
 * A SAM session is a client destination. Its control socket does HELLO
 * and SESSION CREATE once — 20 s on i2pd 2.45.1, seconds on newer
 * routers, longer on a real network while tunnels are built — and stays
 * open for the plugin's life, because closing it ends the session. Each
 * connection then opens a socket of its own to the bridge: HELLO, STREAM
 * CONNECT, and after "STREAM STATUS RESULT=OK" that socket is the stream.
 *
 * Destinations: the sessions belong to the plugin state, so two contexts
 * (two node identities) never share one, and every one is TRANSIENT (a
 * fresh key made by the router). With `sam.client-destinations =
 * per-peer`, the default, each peer (the connect's isolation key, its tub
 * ID) gets a session of its own, made at the first connect to it and used
 * by every later one: peers cannot tell, by the destination that calls
 * them, that they serve the same node, as Tor's per-peer circuits keep
 * them from it in the tor plugin. The price is one SESSION CREATE per new
 * peer and a tunnel pool per peer on the router. `shared` makes one
 * session for every peer (what Tahoe's i2p_provider does through txi2p):
 * one SESSION CREATE in all, and peers that compare notes see one client.
 *
 * The session outlives any one connect, and connects come from whatever
 * thread-default main context the caller runs (the blocking wrapper makes
 * a private one per call and drops it afterwards). So every SAM socket
 * lives on a worker thread with a main context of its own, started at the
 * first connect and stopped by fini; a connect is handed over as a Job,
 * and its progress and result come back to the caller's context through
 * idle sources, in order. The worker's data is touched only on the worker
 * thread; a Job's caller fields only on the caller's.
 *
 * Names: a `.b32.i2p` address or a full base64 destination goes straight
 * into STREAM CONNECT (the router reads the key from the name itself);
 * anything else (NAME.i2p) is first resolved by the router's address book
 * with NAMING LOOKUP on the session's control socket. Nothing is ever
 * resolved here, and no socket goes anywhere but the SAM bridge.
 *
 * Ports: SAM carries a port only from 3.2 on (STREAM CONNECT TO_PORT). A
 * 3.1 bridge — i2pd up to at least 2.45.1 — has no way to say it, so the
 * port of an `i2p:DEST:PORT` hint is then not sent: the stream reaches
 * whatever the destination serves (its port 0 service), as with Foolscap
 * and txi2p on such a router. Tahoe's own I2P servers listen on one port
 * per destination, so this works for them.
 *
 * `[i2p] dest.private_key_file` is Tahoe's *server* key (the destination
 * the node publishes in tub.location); outgoing connections never use it:
 * a transient destination keeps the node's client traffic unlinkable from
 * its server identity, and the server's own session (txi2p) would make a
 * second session on that key fail with DUPLICATED_DEST.
 */

/* Bridge TCP connect plus HELLO reply, for the session's control socket:
 * beyond it the bridge counts as not answering (TRANSPORT_DOWN). Session
 * creation itself has no bound of its own (the caller's timeout applies
 * to each connect; the session carries on for the next one). */
#define SAM_HANDSHAKE_TIMEOUT_S 10

/* i2pd's SAM bridge, single-threaded (its default; 2.45.1 and the
 * current source alike), keeps a closed session's destination for 5 s
 * before it deletes it; a SESSION CREATE with the
 * same keys meanwhile gets that destination back ("Local destination
 * ... exists"), which the delayed clean-up then stops under the new
 * session: nothing reaches the restarted node. So a publication stamps
 * its key file's mtime when it is withdrawn, and a publish whose key was
 * stamped less than this long ago waits the rest first (docs/lab-notes.md,
 * "I2P"). */
#define SAM_RELEASE_WAIT_US (6 * G_USEC_PER_SEC)
#define SAM_READ_CHUNK 4096

typedef struct _Session Session;
typedef struct _Command Command;
typedef struct _Job Job;

struct _I2pWorker {
  GThread *thread;
  GMainContext *context;       /* (owned) the worker's own */
  GMainLoop *loop;             /* (owned) */
  GSocketConnectable *sam;     /* (owned) the bridge */
  gchar *bridge;               /* (owned) "127.0.0.1:7656", for messages */
  gchar **options;             /* (owned) I2CP options for SESSION CREATE */

  /* worker thread only */
  GHashTable *sessions;        /* (owned) (element-type utf8 Session) the live
                                * sessions by peer key (see Job), each with a
                                * reference of the worker's */
  GList *published;            /* (element-type Session) publications' sessions
                                * (see "publishing"), each with a reference
                                * of the worker's */
  GList *jobs;                 /* (element-type Job) (unowned) running jobs */
  guint n_alive;               /* jobs not yet posted + sessions not yet freed */
  gboolean stopping;
};

typedef enum {
  SESSION_CONNECTING = 0,
  SESSION_HELLO,
  SESSION_CREATING,
  SESSION_READY,
  SESSION_DEAD,
} SessionPhase;

typedef void (*CommandDone) (Session *session,
                             Command *command,
                             const FhSamReply *reply,
                             const GError *error);

/* A command on the control socket. Only the head of the queue is ever on
 * the wire: SAM bridges do not answer pipelined commands. */
struct _Command {
  FhSamCommand kind;
  gchar *line;                 /* (owned) */
  CommandDone done;
  Job *job;                    /* (nullable) (owned ref) NULL once the job gave up */
  gboolean sent;
};

struct _Session {
  guint ref;
  I2pWorker *worker;           /* (unowned) */
  SessionPhase phase;
  gchar *id;                   /* (owned) */
  gchar *peer;                 /* (owned) (nullable) its key in worker->sessions;
                                * NULL: a publication's, in worker->published */
  gchar *private_key;          /* (owned) (nullable) SESSION CREATE's DESTINATION;
                                * NULL: TRANSIENT */
  GSocketConnection *conn;     /* (nullable) (owned) the control socket */
  GCancellable *cancellable;   /* (owned) cancelled when the session dies */
  GSource *timeout;            /* (nullable) (owned) handshake bound */
  GByteArray *inbuf;           /* (owned) bytes not yet split into lines */
  guint8 chunk[SAM_READ_CHUNK];
  GQueue commands;             /* (element-type Command) (owned) */
  GQueue waiters;              /* (element-type Job) (owned refs) wait for READY */
  GQueue output;               /* (element-type utf8) (owned) lines to write */
  gboolean writing;
};

typedef enum {
  JOB_HELLO = 0,
  JOB_STREAM_CONNECT,
  JOB_DEST_GENERATE,      /* publishing: a new key on the stream socket */
  JOB_WAIT_SESSION,       /* publishing: the socket idle until the session is up */
  JOB_STREAM_FORWARD,
} JobStep;

/* What a successful publish hands the caller (see "publishing"). */
typedef struct {
  I2pWorker *worker;           /* (unowned) the plugin's; unpublish comes before fini */
  Session *session;            /* (owned ref) worker thread only */
  GSocketConnection *forward;  /* (owned) the STREAM FORWARD socket */
  gchar *hint;                 /* (owned) "i2p:B32.b32.i2p[:PORT]" */
  gchar *key_path;             /* (owned) (nullable) stamped when withdrawn */
} I2pPublication;

struct _Job {
  gint ref;                    /* atomic: the caller's and the worker's sides */

  /* caller's thread */
  GTask *task;                 /* (nullable) (owned) until completion */
  FhCallerQueue *caller;       /* (owned) statuses and the completion, to the
                                * caller's context; closed at completion */
  GCancellable *caller_cancellable; /* (nullable) (owned) */
  gulong cancel_handler;

  /* set before the hand-over, then read-only */
  GCancellable *cancellable;   /* (owned) the job's own, linked to the caller's */
  gchar *host;                 /* (owned) */
  guint16 port;
  gboolean publish;            /* a publish, not a connect: @host and @port are
                                * where incoming streams go */
  gchar *key_path;             /* (owned) (nullable) publish: where to save a new key */
  gchar *private_key;          /* (owned) (nullable) publish: the destination's keys;
                                * NULL until DEST GENERATE made them */
  guint16 hint_port;           /* publish: the port in the hint (0: none) */
  gint64 release_wait_us;      /* publish: how long to let the router drop the
                                * key's previous session first (0: none) */
  gchar *peer;                 /* (owned) which session: the isolation key with
                                * per-peer destinations ("" without one), ""
                                * with a shared destination */

  /* worker thread */
  I2pWorker *worker;           /* (unowned) */
  GSource *cancel_source;      /* (nullable) (owned) */
  Session *session;            /* (nullable) (owned ref) */
  gchar *session_id;           /* (nullable) (owned) */
  gchar *destination;          /* (nullable) (owned) what STREAM CONNECT gets */
  gchar *last_status;          /* (nullable) (owned) */
  GSocketConnection *conn;     /* (nullable) (owned) the stream socket */
  gchar *out;                  /* (nullable) (owned) the line being written */
  GByteArray *line;            /* (owned) the reply being read */
  GSource *read_source;        /* (nullable) (owned) waits for the reply's bytes */
  GSource *release_source;     /* (nullable) (owned) publish: the release wait */
  JobStep step;
  guint pending_io;
  gboolean finished;
  gboolean posted;

  /* written by the worker before posting, read by the caller after */
  GError *error;               /* (nullable) (owned) */
  GSocketConnection *result;   /* (nullable) (owned) */
  I2pPublication *publication; /* (nullable) (owned) a publish's result */
};

/* i2p-connect.c */
Job *i2p_job_ref (Job *job);
void i2p_job_unref (gpointer data);
void i2p_job_status (Job *job,
                     const gchar *text);
void i2p_job_fail (Job *job,
                   GError *error);

gboolean i2p_job_cancelled_cb (GCancellable *cancellable,
                               gpointer data);
void i2p_job_session_ready (Job *job,
                            Session *session);
void i2p_command_free (Command *command);
Job *i2p_job_new (I2pState *state,
                  GTask *task,
                  FurlHintStatusFunc status,
                  gpointer status_data,
                  GCancellable *cancellable);
void i2p_job_open_stream (Job *job);
void i2p_connect_async (gpointer data,
                        const FurlHintConnectArgs *args,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
GIOStream *i2p_connect_finish (gpointer data,
                               GAsyncResult *result,
                               GError **error);

/* i2p-session.c */
Session *i2p_session_ref (Session *session);
void i2p_session_unref (Session *session);
void i2p_session_die (Session *session,
                      GError *error);
void i2p_session_queue_command (Session *session,
                                FhSamCommand kind,
                                gchar *line,
                                CommandDone done,
                                Job *job);
Session *i2p_session_open (I2pWorker *worker,
                           const gchar *peer,
                           const gchar *private_key,
                           GError **error);

/* i2p-publish.c */
void i2p_publish_async (gpointer data,
                        const FurlHintPublishArgs *args,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
gchar *i2p_publish_finish (gpointer data,
                           GAsyncResult *result,
                           gpointer *publication,
                           GError **error);
void i2p_unpublish (gpointer data,
                    gpointer publication);
void i2p_publication_free (gpointer data);
gboolean i2p_key_file_save (const gchar *path,
                            const gchar *private_key,
                            GError **error);

/* i2p-worker.c */
I2pWorker *i2p_worker_new (const I2pState *state);
void i2p_worker_ensure (I2pState *state);
void i2p_worker_free (I2pWorker *worker);
void i2p_worker_maybe_quit (I2pWorker *worker);
gboolean i2p_job_start_in_worker_cb (gpointer data);
GError *i2p_bridge_connect_error (I2pWorker *worker,
                                  const GError *error);
GError *i2p_bridge_io_error (I2pWorker *worker,
                             const gchar *during,
                             const GError *error);
GSocketClient *i2p_new_socket_client (void);

G_END_DECLS

#endif /* FURLHINT_I2P_PRIVATE_H */
