/* furlhint — the listening side of a node: local listeners for tub.port
 * and for each onion/I2P endpoint, publications through the plugins that
 * publish them, and the hints the node advertises.
 *
 * Every entry goes its own way (Foolscap's listenerStatus reports each
 * listener separately): one that fails is reported and the others serve.
 * The whole fails only when not one listener came up, so that a node
 * never serves with nothing reachable while believing it listens.
 *
 * In anonymous mode nothing clear is bound or advertised: a TCP listener
 * binds a loopback interface only (furlhint_config_validate() refuses
 * anything else; checked again here, before bind()), the listeners that
 * publishing plugins deliver to bind 127.0.0.1, only a plugin of the
 * anonymous class may publish, and a hint a plugin returns must be an
 * onion or I2P name (docs/design.md, "Anonymous mode").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "config-private.h"
#include "context-private.h"

typedef struct {
  FurlHintListener *listener;             /* (unowned) back pointer */
  const FurlHintListenEntry *entry;       /* (unowned) in listener->entries */
  const gchar *transport;                 /* (unowned) "tcp", or the publisher's name */
  GSocketService *service;                /* (owned) (nullable) the local listener */
  gulong incoming_id;
  GSocketAddress *local;                  /* (owned) (nullable) where it is bound */
  FurlHintPlugin *plugin;                 /* (unowned) (nullable) the publisher */
  FurlHintPublishArgs args;               /* valid until the publish completes */
  gpointer publication;                   /* (owned by the plugin) */
  gboolean published;
  gchar *hint;                            /* (owned) (nullable) what it advertises */
  gchar *failure;                         /* (owned) (nullable) why it failed */
} FhListenItem;

struct _FurlHintListener {
  grefcount ref;
  FurlHintContext *ctx;                   /* (owned) keeps the plugins alive until unpublish */
  FurlHintListenOptions options;
  gboolean anonymous;
  GPtrArray *entries;                     /* (owned) (element-type FurlHintListenEntry) */
  GPtrArray *items;                       /* (owned) (element-type FhListenItem) */
  GPtrArray *hints;                       /* (owned) NULL-terminated (element-type utf8) */
  GPtrArray *local_addresses;             /* (owned) (element-type GSocketAddress) */
  guint pending;                          /* publishes not finished yet */
  gboolean closed;
};

static void
report (FhListenItem *item,
        const gchar *format,
        ...) G_GNUC_PRINTF (2, 3);

static void
report (FhListenItem *item,
        const gchar *format,
        ...)
{
  FurlHintListener *listener = item->listener;
  g_autofree gchar *status = NULL;
  va_list ap;

  va_start (ap, format);
  status = g_strdup_vprintf (format, ap);
  va_end (ap);
  fh_context_log (listener->ctx, G_LOG_LEVEL_INFO, "listen %s (%s[%u]): %s",
                  item->entry->text, item->entry->key, item->entry->index, status);
  if (listener->options.status != NULL)
    listener->options.status (item->entry, status, listener->options.status_data);
}

static void
fail_item (FhListenItem *item,
           gchar *failure)
{
  g_free (item->failure);
  item->failure = failure;
  report (item, "failed: %s", failure);
}

static void
item_free (FhListenItem *item)
{
  g_assert (!item->published);
  g_assert (item->service == NULL);
  g_clear_object (&item->local);
  g_free (item->hint);
  g_free (item->failure);
  g_free (item);
}

static gboolean
on_incoming (GSocketService *service,
             GSocketConnection *connection,
             GObject *source_object,
             gpointer user_data)
{
  FhListenItem *item = user_data;
  FurlHintListener *listener = item->listener;

  listener->options.incoming (listener, connection, item->transport,
                              listener->options.incoming_data);
  return TRUE;
}

static gchar *
address_text (GSocketAddress *address)
{
  GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  g_autofree gchar *host = g_inet_address_to_string (inet);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* Binds @item's local listener on @address and starts accepting. */
static gboolean
bind_item (FhListenItem *item,
           GInetAddress *address,
           guint16 port)
{
  g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new (address, port);
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  GSocketAddress *effective = NULL;

  /* The anonymity rule once more, right before bind(): whatever let a
   * non-loopback address get this far, it is not bound. */
  if (item->listener->anonymous && !g_inet_address_get_is_loopback (address))
    {
      g_autofree gchar *host = g_inet_address_to_string (address);

      fail_item (item, g_strdup_printf ("refusing to bind %s in anonymous mode: an anonymous "
                                        "node listens on loopback only (interface=127.0.0.1)",
                                        host));
      return FALSE;
    }
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), wanted,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, &error))
    {
      text = address_text (wanted);
      fail_item (item, g_strdup_printf ("cannot listen on %s: %s", text, error->message));
      return FALSE;
    }
  item->local = effective;
  item->service = g_steal_pointer (&service);
  item->incoming_id = g_signal_connect (item->service, "incoming",
                                        G_CALLBACK (on_incoming), item);
  g_socket_service_start (item->service);
  text = address_text (effective);
  report (item, "listening on %s", text);
  return TRUE;
}

static void
bind_tcp (FhListenItem *item)
{
  const FurlHintListenEntry *entry = item->entry;
  g_autoptr(GInetAddress) address = NULL;

  if (entry->interface != NULL)
    address = g_inet_address_new_from_string (entry->interface);
  else if (!item->listener->anonymous)
    /* Twisted's tcp:PORT: every IPv4 address */
    address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  if (address == NULL)
    {
      fail_item (item, entry->interface == NULL
                 ? g_strdup ("refusing to listen on every address in anonymous mode: add "
                             "interface=127.0.0.1 to the tub.port entry")
                 : g_strdup_printf ("interface=%s is not an IP address", entry->interface));
      return;
    }
  bind_item (item, address, entry->local_port != 0 ? entry->local_port : entry->port);
}

static FurlHintPlugin *
find_publisher (FurlHintContext *ctx,
                const gchar *kind)
{
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  guint i;

  for (i = 0; i < plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);

      if (g_strv_contains (furlhint_plugin_get_publishes (plugin), kind))
        return plugin;
    }
  return NULL;
}

static void finish_start (GTask *task);

/* One outstanding publish: the start task and the entry it is for. */
typedef struct {
  GTask *task;                            /* (owned) */
  FhListenItem *item;                     /* (unowned) lives as long as the task's listener */
} PublishCall;

static void
publish_done (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  PublishCall *call = user_data;
  GTask *task = call->task;
  FhListenItem *item = call->item;
  FurlHintListener *listener = item->listener;
  g_autoptr(GError) error = NULL;
  gpointer publication = NULL;
  gchar *hint;

  g_free (call);
  hint = item->plugin->desc->publish_finish (item->plugin->state, result, &publication, &error);
  if (hint == NULL || *hint == '\0')
    {
      g_free (hint);
      fail_item (item, g_strdup_printf ("plugin '%s' could not publish it: %s",
                                        furlhint_plugin_get_name (item->plugin),
                                        error != NULL ? error->message
                                                      : "no hint and no reason (a bug in the plugin)"));
    }
  else
    {
      item->publication = publication;
      item->published = TRUE;
      if (listener->anonymous && !fh_listen_hint_is_anonymous (hint))
        {
          fail_item (item, g_strdup_printf ("plugin '%s' published it as '%s', which would "
                                            "reveal this node; withdrawn (an anonymous node "
                                            "advertises onion and I2P names only)",
                                            furlhint_plugin_get_name (item->plugin), hint));
          g_free (hint);
          item->plugin->desc->unpublish (item->plugin->state, item->publication);
          item->published = FALSE;
          item->publication = NULL;
        }
      else
        {
          item->hint = hint;
          report (item, "published %s", hint);
        }
    }

  g_assert (listener->pending > 0);
  if (--listener->pending == 0)
    finish_start (task);
  g_object_unref (task);
}

static void
on_publish_status (const gchar *status,
                   gpointer user_data)
{
  FhListenItem *item = user_data;

  report (item, "%s", status);
}

static void
start_publish (GTask *task,
               FhListenItem *item)
{
  FurlHintListener *listener = item->listener;
  const FurlHintListenEntry *entry = item->entry;
  const gchar *kind = furlhint_listen_kind_name (entry->kind);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  FurlHintPlugin *plugin = find_publisher (listener->ctx, kind);
  PublishCall *call;

  if (plugin == NULL)
    {
      fail_item (item, g_strdup_printf ("no loaded plugin publishes %s endpoints; load the %s "
                                        "plugin (furlhint plugins lists what is loaded)",
                                        kind, entry->kind == FURLHINT_LISTEN_ONION ? "tor" : "i2p"));
      return;
    }
  if (!furlhint_plugin_is_configured (plugin))
    {
      fail_item (item, g_strdup_printf ("plugin '%s' publishes %s endpoints but is not "
                                        "configured; configure its [%s] section (a control "
                                        "port, a SAM bridge, or launching it)",
                                        furlhint_plugin_get_name (plugin), kind,
                                        furlhint_plugin_get_name (plugin)));
      return;
    }
  if (listener->anonymous &&
      furlhint_plugin_get_anon_class (plugin) != FURLHINT_ANON_ANONYMOUS)
    {
      fail_item (item, g_strdup_printf ("plugin '%s' publishes %s endpoints but is of the %s "
                                        "class; an anonymous node publishes only through an "
                                        "anonymity network", furlhint_plugin_get_name (plugin),
                                        kind, furlhint_anon_class_name (furlhint_plugin_get_anon_class (plugin))));
      return;
    }
  item->plugin = plugin;
  item->transport = furlhint_plugin_get_name (plugin);
  if (!bind_item (item, loopback, entry->local_port))
    return;

  item->args.struct_size = sizeof (FurlHintPublishArgs);
  item->args.endpoint = entry->text;
  item->args.kind = kind;
  item->args.port = entry->port;
  item->args.key_path = entry->key_path;
  item->args.key_is_dir = entry->key_is_dir;
  item->args.options = entry->options;
  item->args.local_address = item->local;
  item->args.create_key = listener->options.create_keys;
  item->args.status = on_publish_status;
  item->args.status_data = item;
  report (item, "publishing");
  call = g_new0 (PublishCall, 1);
  call->task = g_object_ref (task);
  call->item = item;
  listener->pending++;
  plugin->desc->publish_async (plugin->state, &item->args, g_task_get_cancellable (task),
                               publish_done, call);
}

void
furlhint_listener_close (FurlHintListener *listener)
{
  guint i;

  g_return_if_fail (listener != NULL);

  if (listener->closed)
    return;
  listener->closed = TRUE;
  for (i = 0; i < listener->items->len; i++)
    {
      FhListenItem *item = g_ptr_array_index (listener->items, i);

      if (item->published)
        {
          item->plugin->desc->unpublish (item->plugin->state, item->publication);
          item->published = FALSE;
          item->publication = NULL;
          report (item, "unpublished");
        }
      if (item->service != NULL)
        {
          g_signal_handler_disconnect (item->service, item->incoming_id);
          g_socket_service_stop (item->service);
          g_socket_listener_close (G_SOCKET_LISTENER (item->service));
          g_clear_object (&item->service);
          report (item, "closed");
        }
    }
}

static void
add_auto_hint (const gchar *hint,
               const gchar *ifname,
               gpointer user_data)
{
  GPtrArray *hints = user_data;

  g_ptr_array_add (hints, g_strdup (hint));
}

/* The advertised hints: tub.location's entries, anonymous first. */
static void
collect_hints (FurlHintListener *listener)
{
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
  guint16 auto_port = 0;
  guint i, pass;

  for (i = 0; i < listener->items->len; i++)
    {
      FhListenItem *item = g_ptr_array_index (listener->items, i);

      if (item->entry->kind == FURLHINT_LISTEN_TCP && item->service != NULL && auto_port == 0)
        auto_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (item->local));
    }

  for (i = 0; i < listener->items->len; i++)
    {
      FhListenItem *item = g_ptr_array_index (listener->items, i);
      const FurlHintListenEntry *entry = item->entry;

      if (strcmp (entry->key, "tub.location") != 0)
        continue;
      switch (entry->kind)
        {
        case FURLHINT_LISTEN_HINT:
          g_ptr_array_add (written, g_strdup (entry->text));
          report (item, "advertised %s", entry->text);
          break;
        case FURLHINT_LISTEN_AUTO:
          if (auto_port == 0)
            {
              fail_item (item, g_strdup ("AUTO advertises the port of the first TCP listener "
                                         "of tub.port, and none is up"));
              break;
            }
          {
            guint before = written->len, j;

            fh_listen_auto_expand (auto_port, add_auto_hint, written);
            for (j = before; j < written->len; j++)
              report (item, "advertised %s", (const gchar *) g_ptr_array_index (written, j));
          }
          break;
        case FURLHINT_LISTEN_ONION:
        case FURLHINT_LISTEN_I2P:
          if (item->hint != NULL)
            g_ptr_array_add (written, g_strdup (item->hint));
          break;
        case FURLHINT_LISTEN_TCP:
        default:
          break;
        }
    }

  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < written->len; i++)
      {
        const gchar *hint = g_ptr_array_index (written, i);

        if (fh_listen_hint_is_anonymous (hint) == (pass == 0))
          g_ptr_array_add (listener->hints, g_strdup (hint));
      }
  g_ptr_array_add (listener->hints, NULL);
}

static void
finish_start (GTask *task)
{
  FurlHintListener *listener = g_task_get_task_data (task);
  g_autoptr(GString) reasons = g_string_new (NULL);
  guint i, up = 0;

  for (i = 0; i < listener->items->len; i++)
    {
      FhListenItem *item = g_ptr_array_index (listener->items, i);

      if (item->service != NULL && item->failure == NULL)
        {
          up++;
          g_ptr_array_add (listener->local_addresses, g_object_ref (item->local));
        }
      if (item->failure != NULL)
        g_string_append_printf (reasons, "%s%s (%s, %s): %s", reasons->len > 0 ? "; " : "",
                                item->entry->text, item->entry->key, item->entry->where,
                                item->failure);
    }

  if (g_task_return_error_if_cancelled (task))
    {
      furlhint_listener_close (listener);
      return;
    }
  if (listener->options.keys_only)
    {
      /* every missing key made, or the whole fails: a key half made is
       * no key to advertise */
      if (reasons->len > 0)
        {
          furlhint_listener_close (listener);
          g_task_return_new_error (task, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                                   "could not create every missing key: %s", reasons->str);
          return;
        }
      g_ptr_array_add (listener->hints, NULL);
      g_task_return_pointer (task, furlhint_listener_ref (listener),
                             (GDestroyNotify) furlhint_listener_unref);
      return;
    }
  if (up == 0)
    {
      furlhint_listener_close (listener);
      g_task_return_new_error (task, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                               "no listener could be brought up: %s", reasons->str);
      return;
    }
  collect_hints (listener);
  g_task_return_pointer (task, furlhint_listener_ref (listener),
                         (GDestroyNotify) furlhint_listener_unref);
}

void
furlhint_context_listen_async (FurlHintContext *ctx,
                               const FurlHintListenOptions *options,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  FurlHintConfig *config;
  FurlHintListener *listener;
  GPtrArray *entries;
  gboolean any_listener = FALSE, keys_only;
  guint i;

  g_return_if_fail (ctx != NULL);
  g_return_if_fail (options != NULL);
  g_return_if_fail (options->struct_size >= G_STRUCT_OFFSET (FurlHintListenOptions, incoming_data) +
                                            sizeof (gpointer));
  g_return_if_fail (options->incoming != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, furlhint_context_listen_async);

  config = furlhint_context_get_config (ctx);
  if (config == NULL)
    {
      g_task_return_new_error (task, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                               "the context has no configuration to listen by");
      return;
    }
  if (!furlhint_config_validate (config, &error) ||
      (entries = furlhint_config_get_listen_entries (config, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (i = 0; i < entries->len; i++)
    {
      const FurlHintListenEntry *entry = g_ptr_array_index (entries, i);

      if (entry->kind == FURLHINT_LISTEN_TCP || entry->kind == FURLHINT_LISTEN_ONION ||
          entry->kind == FURLHINT_LISTEN_I2P)
        any_listener = TRUE;
    }
  /* (a caller built before keys_only was appended never sets it) */
  keys_only = options->struct_size >= G_STRUCT_OFFSET (FurlHintListenOptions, keys_only) +
                                      sizeof (gboolean) && options->keys_only;
  if (!any_listener && !keys_only)
    {
      g_ptr_array_unref (entries);
      g_task_return_new_error (task, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE,
                               "the configuration listens nowhere: set tub.port (tcp:PORT, "
                               "listen:tor, listen:i2p) or put an onion: or i2p: server "
                               "endpoint in tub.location (an empty or disabled tub.location "
                               "is a client-only node)");
      return;
    }

  listener = g_new0 (FurlHintListener, 1);
  g_ref_count_init (&listener->ref);
  listener->ctx = furlhint_context_ref (ctx);
  memcpy (&listener->options, options, MIN (options->struct_size, sizeof listener->options));
  listener->options.struct_size = sizeof listener->options;
  listener->anonymous = furlhint_config_get_anonymous (config);
  listener->entries = entries;
  listener->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  listener->hints = g_ptr_array_new_with_free_func (g_free);
  listener->local_addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, listener, (GDestroyNotify) furlhint_listener_unref);

  for (i = 0; i < entries->len; i++)
    {
      FhListenItem *item = g_new0 (FhListenItem, 1);

      item->listener = listener;
      item->entry = g_ptr_array_index (entries, i);
      item->transport = "tcp";
      g_ptr_array_add (listener->items, item);
    }

  /* The pending count starts at one for this loop, so that a publish that
   * completes at once cannot finish the start before every entry began. */
  listener->pending = 1;
  for (i = 0; i < listener->items->len; i++)
    {
      FhListenItem *item = g_ptr_array_index (listener->items, i);

      if (listener->options.keys_only && !fh_listen_entry_key_missing (item->entry))
        continue;
      switch (item->entry->kind)
        {
        case FURLHINT_LISTEN_TCP:
          bind_tcp (item);
          break;
        case FURLHINT_LISTEN_ONION:
        case FURLHINT_LISTEN_I2P:
          start_publish (task, item);
          break;
        case FURLHINT_LISTEN_AUTO:
        case FURLHINT_LISTEN_HINT:
        default:
          break;
        }
    }
  if (--listener->pending == 0)
    finish_start (task);
}

FurlHintListener *
furlhint_context_listen_finish (FurlHintContext *ctx,
                                GAsyncResult *result,
                                GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == furlhint_context_listen_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

FurlHintListener *
furlhint_listener_ref (FurlHintListener *listener)
{
  g_return_val_if_fail (listener != NULL, NULL);
  g_ref_count_inc (&listener->ref);
  return listener;
}

void
furlhint_listener_unref (FurlHintListener *listener)
{
  if (listener == NULL || !g_ref_count_dec (&listener->ref))
    return;
  furlhint_listener_close (listener);
  g_ptr_array_unref (listener->items);
  g_ptr_array_unref (listener->entries);
  g_ptr_array_unref (listener->hints);
  g_ptr_array_unref (listener->local_addresses);
  furlhint_context_unref (listener->ctx);
  g_free (listener);
}

const gchar *const *
furlhint_listener_get_hints (FurlHintListener *listener)
{
  static const gchar *const none[] = { NULL };

  g_return_val_if_fail (listener != NULL, NULL);
  if (listener->hints->len == 0)
    return none;
  return (const gchar *const *) listener->hints->pdata;
}

GPtrArray *
furlhint_listener_get_local_addresses (FurlHintListener *listener)
{
  g_return_val_if_fail (listener != NULL, NULL);
  return listener->local_addresses;
}
