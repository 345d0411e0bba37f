/* See lab-connect.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "lab-connect.h"
#include "lab.h"

FurlHintContext *
lab_context_new (const gchar *cfg,
                 FurlHintLogFunc log,
                 gpointer log_data)
{
  GError *error = NULL;
  FurlHintConfig *config;
  FurlHintContext *ctx;
  GPtrArray *errors;

  config = cfg != NULL ? furlhint_config_load_data (cfg, -1, "tahoe.cfg", &error)
                       : furlhint_config_new ();
  g_assert_no_error (error);
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  if (log != NULL)
    furlhint_context_set_logger (ctx, log, log_data, NULL);
  furlhint_context_load_plugins (ctx);
  errors = furlhint_context_get_plugin_errors (ctx);
  for (guint i = 0; i < errors->len; i++)
    g_test_message ("plugin error: %s", ((GError *) g_ptr_array_index (errors, i))->message);
  g_assert_cmpuint (errors->len, ==, 0);
  return ctx;
}

/* On the heap: a second callback (a library bug) is then a use after
 * free that the memcheck and ASan passes report, not a silent write into
 * a stack frame. */
struct _LabConnecting {
  FurlHintContext *ctx;         /* (unowned) */
  gchar *what;                  /* (owned) the FURL, for the message on a hang */
  FurlHintConnectResult *result;        /* (owned) (nullable) */
  GError *error;                /* (owned) (nullable) */
  gboolean done;
};

static void
connect_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LabConnecting *c = user_data;

  const GError *kept;

  g_assert_false (c->done);
  c->result = furlhint_context_connect_finish (c->ctx, res, &c->error);
  /* Every connect a test makes: the result keeps the same error
   * (furlhint_connect_result_get_error()), or none on success. */
  kept = furlhint_connect_result_get_error (c->result);
  if (c->error == NULL)
    g_assert_null (kept);
  else
    {
      g_assert_error (kept, c->error->domain, c->error->code);
      g_assert_cmpstr (kept->message, ==, c->error->message);
    }
  c->done = TRUE;
}

LabConnecting *
lab_connect_start (FurlHintContext *ctx,
                   FurlHintFurl *furl,
                   FurlHintPlan *plan,
                   const FurlHintConnectOptions *options,
                   GCancellable *cancellable)
{
  LabConnecting *c = g_new0 (LabConnecting, 1);

  g_assert_true ((furl == NULL) != (plan == NULL));
  c->ctx = ctx;
  c->what = furlhint_furl_to_string (plan != NULL ? furlhint_plan_get_furl (plan) : furl);
  if (plan != NULL)
    furlhint_context_connect_plan_async (ctx, plan, options, cancellable, connect_done, c);
  else
    furlhint_context_connect_async (ctx, furl, options, cancellable, connect_done, c);
  return c;
}

gboolean
lab_connect_finished (const LabConnecting *connecting)
{
  return connecting->done;
}

FurlHintConnectResult *
lab_connect_wait (LabConnecting *connecting, guint wait_ms, GError **error)
{
  FurlHintConnectResult *result;

  if (!lab_iterate_until (&connecting->done, wait_ms))
    g_error ("connecting to %s did not finish within %u ms", connecting->what, wait_ms);
  g_assert_nonnull (connecting->result);
  result = connecting->result;
  if (connecting->error != NULL)
    g_propagate_error (error, connecting->error);
  g_free (connecting->what);
  g_free (connecting);
  return result;
}

FurlHintConnectResult *
lab_connect (FurlHintContext *ctx,
             const gchar *tub,
             const gchar *hints,
             const FurlHintConnectOptions *options,
             GCancellable *cancellable,
             guint wait_ms,
             GError **error)
{
  gchar *text = g_strdup_printf ("pb://%s@%s/swiss", tub, hints);
  GError *parse_error = NULL;
  FurlHintFurl *furl = furlhint_furl_parse (text, &parse_error);
  FurlHintConnectResult *result;

  g_assert_no_error (parse_error);
  result = lab_connect_wait (lab_connect_start (ctx, furl, NULL, options, cancellable),
                             wait_ms, error);
  furlhint_furl_unref (furl);
  g_free (text);
  return result;
}

FurlHintConnectResult *
lab_connect_plan (FurlHintContext *ctx,
                  FurlHintPlan *plan,
                  const FurlHintConnectOptions *options,
                  GCancellable *cancellable,
                  guint wait_ms,
                  GError **error)
{
  return lab_connect_wait (lab_connect_start (ctx, NULL, plan, options, cancellable),
                           wait_ms, error);
}

void
lab_statuses_init (LabStatuses *statuses)
{
  memset (statuses, 0, sizeof *statuses);
  statuses->lines = g_ptr_array_new_with_free_func (g_free);
}

void
lab_statuses_clear (LabStatuses *statuses)
{
  g_clear_pointer (&statuses->lines, g_ptr_array_unref);
}

void
lab_on_status (guint hint_index, const gchar *status, gpointer user_data)
{
  LabStatuses *statuses = user_data;
  gchar *line;

  if (status == NULL)
    {
      if (statuses != NULL)
        statuses->saw_null = TRUE;
      return;
    }
  g_test_message ("hint %u: %s", hint_index, status);
  if (statuses == NULL)
    return;
  line = g_strdup_printf ("%u:%s", hint_index, status);
  g_ptr_array_add (statuses->lines, line);
  if (g_strcmp0 (line, statuses->cancel_at) == 0)
    g_cancellable_cancel (statuses->cancellable);
}

gchar *
lab_statuses_join (const LabStatuses *statuses)
{
  gchar *joined;

  g_ptr_array_add (statuses->lines, NULL);
  joined = g_strjoinv ("|", (gchar **) statuses->lines->pdata);
  g_ptr_array_remove_index (statuses->lines, statuses->lines->len - 1);
  return joined;
}

gint
lab_statuses_find (const LabStatuses *statuses, const gchar *line)
{
  for (guint i = 0; i < statuses->lines->len; i++)
    if (g_strcmp0 (g_ptr_array_index (statuses->lines, i), line) == 0)
      return (gint) i;
  return -1;
}

gboolean
lab_statuses_has (const LabStatuses *statuses, const gchar *line)
{
  return lab_statuses_find (statuses, line) >= 0;
}

void
lab_assert_echo (GIOStream *stream, const gchar *line, guint timeout_s)
{
  GError *error = NULL;
  gsize len = strlen (line), done = 0;
  gchar *buf = g_malloc0 (len + 1);

  g_assert_true (G_IS_SOCKET_CONNECTION (stream));
  /* Blocking I/O on the stream honours the socket's timeout. */
  g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), timeout_s);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), line, len, &done,
                             NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, len);
  g_input_stream_read_all (g_io_stream_get_input_stream (stream), buf, len, &done,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buf, done, line, len);
  g_free (buf);
}

typedef struct {
  gboolean done;
  GAsyncResult *result;
  GPtrArray *statuses;
} PublishWait;

static void
on_publish_status (const gchar *status, gpointer user_data)
{
  PublishWait *w = user_data;

  g_test_message ("publish: %s", status);
  if (w->statuses != NULL)
    g_ptr_array_add (w->statuses, g_strdup (status));
}

static void
on_published (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PublishWait *w = user_data;

  g_assert_false (w->done);
  w->done = TRUE;
  w->result = g_object_ref (result);
}

gchar *
lab_publish (FurlHintContext *ctx,
             const gchar *plugin_name,
             const FurlHintPublishArgs *args,
             guint wait_ms,
             GPtrArray *statuses,
             gpointer *publication,
             GError **error)
{
  const FurlHintPlugin *plugin = furlhint_context_find_plugin (ctx, plugin_name);
  const FurlHintPluginDescriptor *desc;
  FurlHintPublishArgs copy = *args;
  PublishWait w = { FALSE, NULL, statuses };
  gchar *hint;

  g_assert_nonnull (plugin);
  desc = furlhint_plugin_get_descriptor (plugin);
  g_assert_cmpuint (desc->struct_size, >=, G_STRUCT_OFFSET (FurlHintPluginDescriptor, unpublish)
                    + sizeof desc->unpublish);
  g_assert_nonnull (desc->publish_async);
  copy.struct_size = sizeof copy;
  copy.status = on_publish_status;
  copy.status_data = &w;
  desc->publish_async (furlhint_plugin_get_state (plugin), &copy, NULL, on_published, &w);
  if (!lab_iterate_until (&w.done, wait_ms))
    g_error ("publishing %s did not finish within %u ms", args->endpoint, wait_ms);
  hint = desc->publish_finish (furlhint_plugin_get_state (plugin), w.result, publication,
                               error);
  g_object_unref (w.result);
  if (hint != NULL)
    g_test_message ("published %s as %s", args->endpoint, hint);
  return hint;
}

void
lab_unpublish (FurlHintContext *ctx,
               const gchar *plugin_name,
               gpointer publication)
{
  const FurlHintPlugin *plugin = furlhint_context_find_plugin (ctx, plugin_name);

  furlhint_plugin_get_descriptor (plugin)->unpublish (furlhint_plugin_get_state (plugin),
                                                      publication);
}

GSocket *
lab_listen_loopback (guint backlog, guint16 *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener, addr, TRUE, &error));
  if (backlog > 0)
    g_socket_set_listen_backlog (listener, backlog);
  g_assert_true (g_socket_listen (listener, &error));
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return listener;
}
