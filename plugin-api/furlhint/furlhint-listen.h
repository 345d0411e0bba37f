/* furlhint — the listening side of a node: local listeners, published
 * onion services and I2P destinations, the hints the node advertises.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_LISTEN_H
#define FURLHINT_LISTEN_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-config.h>
#include <furlhint/furlhint-context.h>

G_BEGIN_DECLS

/**
 * FurlHintListener:
 *
 * A node's listening side, as furlhint_context_listen_async() brought it
 * up: one local listener per `tub.port` TCP entry and per onion or I2P
 * endpoint, each of the latter published through the plugin that
 * publishes its kind. Reference counted; furlhint_listener_close()
 * withdraws everything.
 */
typedef struct _FurlHintListener FurlHintListener;

/**
 * FURLHINT_TYPE_LISTENER:
 *
 * The #GType of #FurlHintListener (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_LISTENER (furlhint_listener_get_type ())

/**
 * furlhint_listener_get_type:
 *
 * The boxed #GType of #FurlHintListener (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintListener.
 */
GType furlhint_listener_get_type (void) G_GNUC_CONST;

/**
 * FurlHintListenStatusFunc:
 * @entry: (transfer none): the `tub.port` / `tub.location` entry the
 *   event is about (valid while the listener lives)
 * @status: what happened, in Foolscap's listenerStatus words:
 *   "listening on ADDR:PORT", "publishing", "published HINT",
 *   "advertised HINT", "failed: REASON", "unpublished", "closed"
 * @user_data: #FurlHintListenOptions status_data
 *
 * Reports one event of one entry, on the thread-default main context
 * furlhint_context_listen_async() was called on.
 */
typedef void (*FurlHintListenStatusFunc) (const FurlHintListenEntry *entry,
                                          const gchar *status,
                                          gpointer user_data);

/**
 * FurlHintIncomingFunc:
 * @listener: the listener that accepted the stream
 * @connection: (transfer none): the incoming stream; take a reference to
 *   keep it
 * @transport: the transport that carried it, known from the local
 *   listener that accepted it: "tcp", "tor", "i2p" (or the kind another
 *   publishing plugin serves)
 * @user_data: #FurlHintListenOptions incoming_data
 *
 * Hands one incoming stream to the application, on the thread-default
 * main context furlhint_context_listen_async() was called on.
 */
typedef void (*FurlHintIncomingFunc) (FurlHintListener *listener,
                                      GSocketConnection *connection,
                                      const gchar *transport,
                                      gpointer user_data);

/**
 * FurlHintListenOptions:
 * @struct_size: sizeof (FurlHintListenOptions) as the caller knows it
 * @create_keys: TRUE: a publishing plugin may create a key that does not
 *   exist yet (and save it where the entry says); FALSE: a missing key
 *   fails that entry
 * @status: (nullable): per-entry status reports
 * @status_data: user data for @status
 * @incoming: (not nullable): where incoming streams go
 * @incoming_data: user data for @incoming
 * @keys_only: TRUE: bring up only the onion and I2P endpoints whose key
 *   does not exist yet (those furlhint_config_get_location() says are
 *   "created on first listen"), binding no `tub.port` listener and
 *   advertising nothing. With @create_keys, and furlhint_listener_close()
 *   right after, this makes the keys a node will publish, as
 *   `furlhint location --create` does (Tahoe's `create-node --listen=tor`
 *   also adds the onion service and removes it). The start then succeeds
 *   only when every such endpoint was published, and at once, with
 *   nothing up, when no key is missing.
 *
 * How to listen. New fields are appended; set @struct_size.
 */
typedef struct {
  guint32 struct_size;
  gboolean create_keys;
  FurlHintListenStatusFunc status;
  gpointer status_data;
  FurlHintIncomingFunc incoming;
  gpointer incoming_data;
  gboolean keys_only;
} FurlHintListenOptions;

/**
 * furlhint_context_listen_async:
 * @ctx: a context with its plugins loaded and a configuration
 * @options: how to listen (copied)
 * @cancellable: (nullable): cancels bringing the listener up
 * @callback: called once, on the caller's thread-default main context
 * @user_data: user data for @callback
 *
 * Brings up the node's listening side as furlhint_config_get_listen_entries()
 * describes it, after furlhint_config_validate() (a node that would not
 * start listens nowhere):
 *
 * - a TCP entry of `tub.port` binds a listener there (in anonymous mode
 *   only on a loopback `interface=`, checked again here);
 * - an onion or I2P endpoint binds a fresh listener on 127.0.0.1 (its
 *   `localPort=` / `onion.local_port`, or a free port) and asks the plugin
 *   that publishes that kind to publish it, delivering its streams there;
 *   the hint it returns is advertised when the endpoint is in
 *   `tub.location` (a `tub.port` endpoint is published only: Tahoe
 *   advertises what `tub.location` says);
 * - a hint of `tub.location` is advertised as written, and `AUTO` as every
 *   local IPv4 address with the port of the first TCP listener.
 *
 * Each entry succeeds or fails on its own, and says so through
 * @options->status. The whole fails only when the configuration does not
 * validate, asks for no listener at all, or when not one listener could
 * be brought up; the error then lists every entry's reason. In anonymous
 * mode a hint a plugin returns that would reveal the node fails its entry.
 */
void furlhint_context_listen_async (FurlHintContext *ctx,
                                    const FurlHintListenOptions *options,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);

/**
 * furlhint_context_listen_finish:
 * @ctx: the context
 * @result: what @callback received
 * @error: return location for a %FURLHINT_CONFIG_ERROR (the configuration,
 *   or no listener came up), or a %G_IO_ERROR (cancelled)
 *
 * Finishes furlhint_context_listen_async().
 *
 * Returns: (transfer full) (nullable): the listener, serving; or %NULL
 *   with @error set, and nothing left published or bound.
 */
FurlHintListener *furlhint_context_listen_finish (FurlHintContext *ctx,
                                                  GAsyncResult *result,
                                                  GError **error);

/**
 * furlhint_listener_ref:
 * @listener: a listener
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @listener
 */
FurlHintListener *furlhint_listener_ref (FurlHintListener *listener);

/**
 * furlhint_listener_unref:
 * @listener: (transfer full) (nullable): a listener
 *
 * Drops a reference; the last one closes the listener if it is open.
 */
void furlhint_listener_unref (FurlHintListener *listener);

/**
 * furlhint_listener_get_hints:
 * @listener: a listener
 *
 * The hints the node advertises, anonymous ones first, then the order of
 * `tub.location`: the location part of the FURL
 * (`pb://TUBID@HINT,HINT/NAME`). Empty for a node that listens but
 * advertises nothing it could bring up.
 *
 * Returns: (transfer none) (array zero-terminated=1): the hints.
 */
const gchar *const *furlhint_listener_get_hints (FurlHintListener *listener);

/**
 * furlhint_listener_get_local_addresses:
 * @listener: a listener
 *
 * Where the listener accepts connections on this host.
 *
 * Returns: (transfer none) (element-type GSocketAddress): the address of
 *   every local listener that is up, in entry order.
 */
GPtrArray *furlhint_listener_get_local_addresses (FurlHintListener *listener);

/**
 * furlhint_listener_close:
 * @listener: a listener
 *
 * Withdraws every publication (the plugin's unpublish, once each), stops
 * accepting and closes the local listeners, reporting "unpublished" and
 * "closed" through the status callback (so that callback's data must live
 * until the listener is closed, or until its last reference is dropped).
 * Streams already handed to the application stay open. Calling it again
 * does nothing.
 */
void furlhint_listener_close (FurlHintListener *listener);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintListener, furlhint_listener_unref)

G_END_DECLS

#endif /* FURLHINT_LISTEN_H */
