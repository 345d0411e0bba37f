/* A FAKE publishing plugin for tests/test-listen.c: it "publishes" onion
 * endpoints without any Tor, by answering every publish with the hint
 * `tor:<56 a's>.onion:PORT` (or the hint its `hint` setting gives), and
 * appends one line per call to the file its `record` setting names:
 *
 *   publish KIND PORT ENDPOINT LOCAL_ADDRESS:LOCAL_PORT create_key=0|1
 *   unpublish ENDPOINT
 *   fini
 *
 * so that a test can count publishes and unpublishes across the module
 * boundary. No real component can tell the listener's side from the
 * plugin's this way; the real ones are exercised by the tor and i2p
 * tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include <furlhint/plugin.h>

#define FAKE_ONION "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"

typedef struct {
  gchar *record;       /* (owned) (nullable) */
  gchar *hint;         /* (owned) (nullable) the hint to answer with */
} FakeState;

static void
record (FakeState *state,
        const gchar *line)
{
  FILE *f;

  if (state->record == NULL)
    return;
  f = fopen (state->record, "a");
  if (f == NULL)
    return;
  fputs (line, f);
  fputc ('\n', f);
  fclose (f);
}

static gpointer
fake_init (const FurlHintPluginInitArgs *args,
           gboolean *configured,
           GError **error)
{
  FakeState *state = g_new0 (FakeState, 1);

  state->record = g_strdup (g_hash_table_lookup (args->settings, "record"));
  state->hint = g_strdup (g_hash_table_lookup (args->settings, "hint"));
  return state;
}

static void
fake_fini (gpointer data)
{
  FakeState *state = data;

  record (state, "fini");
  g_free (state->record);
  g_free (state->hint);
  g_free (state);
}

static gboolean
fake_parse (gpointer state,
            const gchar *hint,
            FurlHintParseMode mode,
            FurlHintTarget *target,
            GError **error)
{
  g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
               "the fake publisher connects nowhere");
  return FALSE;
}

static void
fake_connect_async (gpointer state,
                    const FurlHintConnectArgs *args,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR,
                           FURLHINT_CONNECT_ERROR_NOT_SUPPORTED, "not supported");
}

static GIOStream *
fake_connect_finish (gpointer state,
                     GAsyncResult *result,
                     GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
fake_describe (gpointer state,
               const FurlHintTarget *target)
{
  return g_strdup ("fake publisher");
}

/* A publication: what unpublish gets back. */
typedef struct {
  gchar *endpoint;
} FakePublication;

static void
fake_publish_async (gpointer data,
                    const FurlHintPublishArgs *args,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  FakeState *state = data;
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GInetSocketAddress *local = G_INET_SOCKET_ADDRESS (args->local_address);
  g_autofree gchar *host = g_inet_address_to_string (g_inet_socket_address_get_address (local));
  g_autofree gchar *line = g_strdup_printf ("publish %s %u %s %s:%u create_key=%d", args->kind,
                                            (guint) args->port, args->endpoint, host,
                                            (guint) g_inet_socket_address_get_port (local),
                                            args->create_key ? 1 : 0);
  FakePublication *publication = g_new0 (FakePublication, 1);

  record (state, line);
  args->status ("fake: publishing without Tor", args->status_data);
  publication->endpoint = g_strdup (args->endpoint);
  g_task_set_task_data (task, state->hint != NULL
                              ? g_strdup (state->hint)
                              : g_strdup_printf ("tor:" FAKE_ONION ":%u", (guint) args->port),
                        g_free);
  g_task_return_pointer (task, publication, NULL);
}

static gchar *
fake_publish_finish (gpointer state,
                     GAsyncResult *result,
                     gpointer *publication,
                     GError **error)
{
  FakePublication *p = g_task_propagate_pointer (G_TASK (result), error);

  if (p == NULL)
    return NULL;
  *publication = p;
  return g_strdup (g_task_get_task_data (G_TASK (result)));
}

static void
fake_unpublish (gpointer data,
                gpointer publication)
{
  FakePublication *p = publication;
  g_autofree gchar *line = g_strdup_printf ("unpublish %s", p->endpoint);

  record (data, line);
  g_free (p->endpoint);
  g_free (p);
}

static const gchar *const fake_prefixes[] = { NULL };
static const gchar *const fake_publishes[] = { "onion", NULL };

FURLHINT_PLUGIN_DEFINE (fake_publisher) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "fake_publisher",
  .version = "1.0",
  .description = "FAKE: publishes onion endpoints without Tor (tests only)",
  .prefixes = fake_prefixes,
  .anon_class = FURLHINT_ANON_ANONYMOUS,
  .init = fake_init,
  .fini = fake_fini,
  .parse = fake_parse,
  .connect_async = fake_connect_async,
  .connect_finish = fake_connect_finish,
  .describe = fake_describe,
  .publishes = fake_publishes,
  .publish_async = fake_publish_async,
  .publish_finish = fake_publish_finish,
  .unpublish = fake_unpublish,
};
