/* Tahoe's `private/servers.yaml`, "Static Server Definitions" in Tahoe's
 * docs/configuration.rst: only what furlhint needs from it, each
 * server's `connections:` table (the per-server override of
 * `[connections]`), keyed by the tub ID of its announcement's
 * `anonymous-storage-FURL`.
 *
 *   storage:
 *     v0-SERVERID:
 *       ann:
 *         anonymous-storage-FURL: pb://TUBID@HINTS/SWISSNUM
 *       connections:
 *         tcp: tor
 *
 * Other keys (nickname, permutation-seed-base32, ...) are Tahoe's and
 * ignored here, as Tahoe ignores keys it does not know.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <yaml.h>

#include "cli-common.h"

typedef struct {
  const gchar *path;
  yaml_document_t doc;
} Reader;

static gboolean
fail (Reader *r,
      const yaml_node_t *node,
      GError **error,
      const gchar *format,
      ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (Reader *r,
      const yaml_node_t *node,
      GError **error,
      const gchar *format,
      ...)
{
  g_autofree gchar *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%lu: %s; accepted: "
               "storage: SERVERID: { ann: { anonymous-storage-FURL: FURL }, "
               "connections: { HINTTYPE: HANDLER } } (Tahoe's private/servers.yaml)",
               r->path, (gulong) node->start_mark.line + 1, message);
  return FALSE;
}

static const gchar *
scalar (const yaml_node_t *node)
{
  return node != NULL && node->type == YAML_SCALAR_NODE
         ? (const gchar *) node->data.scalar.value : NULL;
}

/* The value of @key in mapping @map, or NULL. */
static yaml_node_t *
lookup (Reader *r,
        const yaml_node_t *map,
        const gchar *key)
{
  yaml_node_pair_t *pair;

  for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++)
    if (g_strcmp0 (scalar (yaml_document_get_node (&r->doc, pair->key)), key) == 0)
      return yaml_document_get_node (&r->doc, pair->value);
  return NULL;
}

/* One server's `connections:` → a table type → handler (lower case). */
static GHashTable *
read_connections (Reader *r,
                  const gchar *server,
                  const yaml_node_t *node,
                  GError **error)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  yaml_node_pair_t *pair;

  if (node->type != YAML_MAPPING_NODE)
    {
      fail (r, node, error, "server %s: connections is not a mapping of hint type to handler",
            server);
      return NULL;
    }
  for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = yaml_document_get_node (&r->doc, pair->key);
      yaml_node_t *value = yaml_document_get_node (&r->doc, pair->value);
      g_autofree gchar *message = NULL;

      if (scalar (key) == NULL || scalar (value) == NULL)
        {
          fail (r, key, error, "server %s: connections entries are HINTTYPE: HANDLER", server);
          return NULL;
        }
      if (!fh_cli_add_override (table, scalar (key), scalar (value), &message))
        {
          fail (r, key, error, "server %s: connections: %s", server, message);
          return NULL;
        }
    }
  return g_steal_pointer (&table);
}

/* libyaml takes time quadratic in the nesting of flow collections
 * ("[[[[...") to load them, and reading the document costs the size of
 * a mapping for each alias to it (one `ann:` table under thousands of
 * server IDs): a hostile file of a few megabytes would keep the CLI busy
 * for hours. A servers.yaml is a few levels deep and has few aliases, so
 * more than these is refused before the document is built. */
#define SERVERS_YAML_MAX_DEPTH 64
#define SERVERS_YAML_MAX_ALIASES 1024
/* Some 40 000 servers' entries; a path to a device or a FIFO that never
 * ends (/dev/zero) stops here, not when memory runs out. */
#define SERVERS_YAML_MAX_BYTES (16 * 1024 * 1024)

/* g_file_get_contents(), up to SERVERS_YAML_MAX_BYTES. */
static gchar *
read_capped (const gchar *path,
             gsize *length,
             GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, error);
  GString *text;
  gsize got;

  if (in == NULL)
    return NULL;
  text = g_string_new (NULL);
  do
    {
      gsize old_len = text->len;

      g_string_set_size (text, old_len + 65536);
      if (!g_input_stream_read_all (G_INPUT_STREAM (in), text->str + old_len, 65536, &got,
                                    NULL, error))
        {
          g_string_free (text, TRUE);
          return NULL;
        }
      g_string_set_size (text, old_len + got);
      if (text->len > SERVERS_YAML_MAX_BYTES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: larger than %u bytes; accepted: Tahoe's private/servers.yaml, "
                       "a regular file of some kilobytes", path, SERVERS_YAML_MAX_BYTES);
          g_string_free (text, TRUE);
          return NULL;
        }
    }
  while (got == 65536);
  *length = text->len;
  return g_string_free (text, FALSE);
}

/* The events of @text, up to the first that is past the limits: FALSE
 * with @error then. A syntax error is left to yaml_parser_load(), which
 * reports it. */
static gboolean
check_shape (const gchar *path,
             const gchar *text,
             gsize length,
             GError **error)
{
  yaml_parser_t parser;
  yaml_event_t event;
  guint depth = 0, aliases = 0;
  gboolean ok = TRUE, done = FALSE;

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const guchar *) text, length);
  while (!done && yaml_parser_parse (&parser, &event))
    {
      switch (event.type)
        {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          if (++depth > SERVERS_YAML_MAX_DEPTH)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s:%lu: nested more than %u levels deep; accepted: Tahoe's "
                           "private/servers.yaml, a few levels deep", path,
                           (gulong) event.start_mark.line + 1, SERVERS_YAML_MAX_DEPTH);
              ok = FALSE;
            }
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          depth--;
          break;
        case YAML_ALIAS_EVENT:
          if (++aliases > SERVERS_YAML_MAX_ALIASES)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s:%lu: more than %u aliases (*NAME); accepted: Tahoe's "
                           "private/servers.yaml, with few or none", path,
                           (gulong) event.start_mark.line + 1, SERVERS_YAML_MAX_ALIASES);
              ok = FALSE;
            }
          break;
        case YAML_STREAM_END_EVENT:
          done = TRUE;
          break;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SCALAR_EVENT:
        default:
          break;
        }
      yaml_event_delete (&event);
      if (!ok)
        break;
    }
  yaml_parser_delete (&parser);
  return ok;
}

GHashTable *
fh_servers_yaml_load (const gchar *path,
                      GError **error)
{
  g_autoptr(GHashTable) servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) g_hash_table_unref);
  g_autofree gchar *text = NULL;
  gsize length;
  yaml_parser_t parser;
  Reader r = { path, };
  yaml_node_t *root, *storage;
  yaml_node_pair_t *pair;
  gboolean ok = FALSE;

  text = read_capped (path, &length, error);
  if (text == NULL)
    return NULL;
  if (!check_shape (path, text, length, error))
    return NULL;

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const guchar *) text, length);
  if (!yaml_parser_load (&parser, &r.doc))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%lu: not YAML: %s%s%s",
                   path, (gulong) parser.problem_mark.line + 1,
                   parser.problem != NULL ? parser.problem : "syntax error",
                   parser.context != NULL ? " " : "",
                   parser.context != NULL ? parser.context : "");
      yaml_parser_delete (&parser);
      return NULL;
    }
  yaml_parser_delete (&parser);

  root = yaml_document_get_root_node (&r.doc);
  if (root == NULL)
    {
      /* An empty file: no static servers. */
      yaml_document_delete (&r.doc);
      return g_steal_pointer (&servers);
    }
  if (root->type != YAML_MAPPING_NODE)
    {
      fail (&r, root, error, "the file is not a mapping with a storage key");
      goto out;
    }
  storage = lookup (&r, root, "storage");
  if (storage == NULL)
    {
      ok = TRUE;
      goto out;
    }
  if (storage->type != YAML_MAPPING_NODE)
    {
      fail (&r, storage, error, "storage is not a mapping of server IDs");
      goto out;
    }

  for (pair = storage->data.mapping.pairs.start; pair < storage->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *key = yaml_document_get_node (&r.doc, pair->key);
      yaml_node_t *server = yaml_document_get_node (&r.doc, pair->value);
      const gchar *id = scalar (key);
      yaml_node_t *ann, *connections;
      const gchar *furl_text;
      FurlHintFurl *furl;
      g_autoptr(GError) furl_error = NULL;
      GHashTable *table;

      if (id == NULL || server->type != YAML_MAPPING_NODE)
        {
          fail (&r, key, error, "a storage entry is SERVERID: { ann: ..., connections: ... }");
          goto out;
        }
      connections = lookup (&r, server, "connections");
      if (connections == NULL)
        continue;
      ann = lookup (&r, server, "ann");
      furl_text = ann != NULL && ann->type == YAML_MAPPING_NODE
                  ? scalar (lookup (&r, ann, "anonymous-storage-FURL")) : NULL;
      if (furl_text == NULL)
        {
          fail (&r, server, error, "server %s has connections but no ann: "
                "anonymous-storage-FURL to apply them to", id);
          goto out;
        }
      furl = furlhint_furl_parse (furl_text, &furl_error);
      if (furl == NULL)
        {
          /* Only the error's name: the parser's message may quote the
           * FURL, and its swissnum is a capability. */
          fail (&r, lookup (&r, ann, "anonymous-storage-FURL"), error,
                "server %s: anonymous-storage-FURL is not a FURL (%s)", id,
                furlhint_error_code_name (furl_error));
          goto out;
        }
      table = read_connections (&r, id, connections, error);
      if (table != NULL)
        g_hash_table_replace (servers, g_strdup (furlhint_furl_get_tubid (furl)), table);
      furlhint_furl_unref (furl);
      if (table == NULL)
        goto out;
    }
  ok = TRUE;

out:
  yaml_document_delete (&r.doc);
  return ok ? g_steal_pointer (&servers) : NULL;
}
