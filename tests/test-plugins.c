/* Tests for the four bundled plugins (tcp, socks, tor, i2p).
 *
 * Two ways in:
 *  - straight through each module's descriptor (opened with GModule from
 *    FURLHINT_PLUGIN_DIR, as a third-party host would), to test parse,
 *    init, describe and connect without the rest of the library;
 *  - through a FurlHintContext (the library's loader and tahoe.cfg
 *    reader), to test what the ranker will see.
 *
 * The parse tests run every hint of tests/data/hints-public.expected.jsonl
 * (Foolscap 21.7's own verdicts) through the plugins and compare.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <gmodule.h>
#include <furlhint/furlhint.h>

/* ------------------------------------------------------------------------ */
/* A tiny JSON reader: enough for the corpus (objects, arrays, strings with
 * escapes, numbers kept as text because ports are unbounded, null, bools). */

typedef enum {
  J_NULL,
  J_BOOL,
  J_NUMBER,
  J_STRING,
  J_ARRAY,
  J_OBJECT,
} JType;

typedef struct _JNode JNode;
struct _JNode {
  JType type;
  gchar *text;       /* J_STRING: the value; J_NUMBER: the literal */
  gboolean boolean;
  GPtrArray *items;  /* J_ARRAY: values; J_OBJECT: key, value, key, value... */
};

static void
j_free (gpointer data)
{
  JNode *node = data;

  if (node == NULL)
    return;
  g_free (node->text);
  if (node->items != NULL)
    g_ptr_array_unref (node->items);
  g_free (node);
}

static JNode *
j_new (JType type)
{
  JNode *node = g_new0 (JNode, 1);

  node->type = type;
  if (type == J_ARRAY || type == J_OBJECT)
    node->items = g_ptr_array_new_with_free_func (j_free);
  return node;
}

static void
j_skip_ws (const gchar **p)
{
  while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
    (*p)++;
}

static gboolean
j_hex4 (const gchar *p,
        gunichar *out)
{
  *out = 0;
  for (guint i = 0; i < 4; i++)
    {
      gint digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      *out = (*out << 4) | (gunichar) digit;
    }
  return TRUE;
}

static JNode *j_parse_value (const gchar **p);

static JNode *
j_parse_string (const gchar **p)
{
  GString *out = g_string_new (NULL);
  const gchar *s = *p + 1;
  JNode *node;

  while (*s != '"')
    {
      if (*s == '\0')
        goto fail;
      if (*s != '\\')
        {
          g_string_append_c (out, *s++);
          continue;
        }
      s++;
      switch (*s)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar c, low;

            if (!j_hex4 (s + 1, &c))
              goto fail;
            s += 4;
            if (c >= 0xd800 && c < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
                j_hex4 (s + 3, &low) && low >= 0xdc00 && low < 0xe000)
              {
                c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                s += 6;
              }
            g_string_append_unichar (out, c);
          }
          break;
        default:
          goto fail;
        }
      s++;
    }
  *p = s + 1;
  node = j_new (J_STRING);
  node->text = g_string_free (out, FALSE);
  return node;

fail:
  g_string_free (out, TRUE);
  return NULL;
}

static JNode *
j_parse_container (const gchar **p,
                   gboolean object)
{
  JNode *node = j_new (object ? J_OBJECT : J_ARRAY);
  gchar close = object ? '}' : ']';

  (*p)++;
  j_skip_ws (p);
  if (**p == close)
    {
      (*p)++;
      return node;
    }
  for (;;)
    {
      JNode *item;

      j_skip_ws (p);
      if (object)
        {
          if (**p != '"' || (item = j_parse_string (p)) == NULL)
            goto fail;
          g_ptr_array_add (node->items, item);
          j_skip_ws (p);
          if (**p != ':')
            goto fail;
          (*p)++;
        }
      if ((item = j_parse_value (p)) == NULL)
        goto fail;
      g_ptr_array_add (node->items, item);
      j_skip_ws (p);
      if (**p == ',')
        {
          (*p)++;
          continue;
        }
      if (**p != close)
        goto fail;
      (*p)++;
      return node;
    }

fail:
  j_free (node);
  return NULL;
}

static JNode *
j_parse_value (const gchar **p)
{
  JNode *node;

  j_skip_ws (p);
  switch (**p)
    {
    case '"':
      return j_parse_string (p);
    case '{':
      return j_parse_container (p, TRUE);
    case '[':
      return j_parse_container (p, FALSE);
    case 'n':
      if (strncmp (*p, "null", 4) != 0)
        return NULL;
      *p += 4;
      return j_new (J_NULL);
    case 't':
    case 'f':
      node = j_new (J_BOOL);
      node->boolean = **p == 't';
      if (strncmp (*p, node->boolean ? "true" : "false", node->boolean ? 4 : 5) != 0)
        {
          j_free (node);
          return NULL;
        }
      *p += node->boolean ? 4 : 5;
      return node;
    default:
      {
        const gchar *start = *p;

        if (**p == '-')
          (*p)++;
        while (g_ascii_isdigit (**p) || **p == '.' || **p == 'e' || **p == 'E' ||
               **p == '+' || **p == '-')
          (*p)++;
        if (*p == start)
          return NULL;
        node = j_new (J_NUMBER);
        node->text = g_strndup (start, (gsize) (*p - start));
        return node;
      }
    }
}

static JNode *
j_parse (const gchar *text)
{
  const gchar *p = text;
  JNode *node = j_parse_value (&p);

  if (node == NULL)
    return NULL;
  j_skip_ws (&p);
  if (*p != '\0')
    {
      j_free (node);
      return NULL;
    }
  return node;
}

/* (nullable) the member @key of object @node. */
static const JNode *
j_get (const JNode *node,
       const gchar *key)
{
  g_assert_nonnull (node);
  g_assert_cmpint (node->type, ==, J_OBJECT);
  for (guint i = 0; i + 1 < node->items->len; i += 2)
    {
      const JNode *k = g_ptr_array_index (node->items, i);

      if (g_strcmp0 (k->text, key) == 0)
        return g_ptr_array_index (node->items, i + 1);
    }
  return NULL;
}

static const gchar *
j_get_string (const JNode *node,
              const gchar *key)
{
  const JNode *value = j_get (node, key);

  if (value == NULL || value->type == J_NULL)
    return NULL;
  g_assert_cmpint (value->type, ==, J_STRING);
  return value->text;
}

static void
test_json_reader (void)
{
  JNode *node = j_parse ("{\"a\":[1,\"x\\u00e9\\ud83d\\ude00\\n\",null,true],"
                         "\"b\":{},\"c\":18446744073709551616}");
  const JNode *a;

  g_assert_nonnull (node);
  a = j_get (node, "a");
  g_assert_cmpint (a->type, ==, J_ARRAY);
  g_assert_cmpuint (a->items->len, ==, 4);
  g_assert_cmpstr (((JNode *) g_ptr_array_index (a->items, 0))->text, ==, "1");
  g_assert_cmpstr (((JNode *) g_ptr_array_index (a->items, 1))->text, ==, "x\xc3\xa9\xf0\x9f\x98\x80\n");
  g_assert_cmpint (((JNode *) g_ptr_array_index (a->items, 2))->type, ==, J_NULL);
  g_assert_true (((JNode *) g_ptr_array_index (a->items, 3))->boolean);
  g_assert_cmpint (j_get (node, "b")->type, ==, J_OBJECT);
  g_assert_cmpstr (j_get (node, "c")->text, ==, "18446744073709551616");
  g_assert_null (j_get (node, "d"));
  j_free (node);

  g_assert_null (j_parse ("{\"a\":}"));
  g_assert_null (j_parse ("[1,2"));
  g_assert_null (j_parse ("\"abc"));
}

/* ------------------------------------------------------------------------ */
/* Plugins opened straight from their modules. */

static const gchar *const bundled[] = { "tcp", "socks", "tor", "i2p", NULL };
static GHashTable *modules; /* name → GModule */

static void
close_module (gpointer module)
{
  g_module_close (module);
}

static const FurlHintPluginDescriptor *
descriptor (const gchar *name)
{
  const gchar *dir = g_getenv ("FURLHINT_PLUGIN_DIR");
  GModule *module;
  gpointer symbol = NULL;
  gchar *ltx;

  g_assert_nonnull (dir);
  module = g_hash_table_lookup (modules, name);
  if (module == NULL)
    {
      gchar *file = g_strdup_printf ("%s.%s", name, G_MODULE_SUFFIX);
      gchar *in_build = g_build_filename (dir, ".libs", file, NULL);
      gchar *installed = g_build_filename (dir, file, NULL);

      module = g_module_open (in_build, G_MODULE_BIND_LOCAL);
      if (module == NULL)
        module = g_module_open (installed, G_MODULE_BIND_LOCAL);
      if (module == NULL)
        g_error ("cannot open plugin %s in %s: %s", name, dir, g_module_error ());
      g_hash_table_insert (modules, g_strdup (name), module);
      g_free (file);
      g_free (in_build);
      g_free (installed);
    }

  ltx = g_strdup_printf ("%s_LTX_%s", name, FURLHINT_PLUGIN_SYMBOL);
  g_assert_true (g_module_symbol (module, ltx, &symbol));
  g_assert_nonnull (symbol);
  g_free (ltx);
  return symbol;
}

typedef struct {
  const FurlHintPluginDescriptor *desc;
  gpointer state;
  gboolean configured;
  GPtrArray *log;           /* "LEVEL message" */
} Instance;

static void
collect_log (GLogLevelFlags level,
             const gchar *message,
             gpointer user_data)
{
  GPtrArray *log = user_data;

  g_ptr_array_add (log, g_strdup_printf ("%s %s",
                                         level == G_LOG_LEVEL_DEBUG ? "debug"
                                         : level == G_LOG_LEVEL_WARNING ? "warning"
                                         : "other",
                                         message));
}

/* @settings: key, value, key, value, ..., NULL. */
static gboolean
instance_init (Instance *inst,
               const gchar *name,
               const gchar *const *settings,
               gboolean anonymous,
               GError **error)
{
  FurlHintPluginInitArgs args = { 0 };
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  GError *local_error = NULL;

  memset (inst, 0, sizeof *inst);
  inst->desc = descriptor (name);
  inst->log = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; settings != NULL && settings[i] != NULL; i += 2)
    g_hash_table_insert (table, (gpointer) settings[i], (gpointer) settings[i + 1]);

  args.struct_size = sizeof args;
  args.settings = table;
  args.anonymous = anonymous;
  args.log = collect_log;
  args.log_data = inst->log;

  inst->configured = TRUE;
  inst->state = inst->desc->init (&args, &inst->configured, &local_error);
  g_hash_table_unref (table);
  if (local_error != NULL)
    {
      g_assert_null (inst->state);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static void
instance_fini (Instance *inst)
{
  if (inst->desc != NULL && inst->desc->fini != NULL)
    inst->desc->fini (inst->state);
  g_clear_pointer (&inst->log, g_ptr_array_unref);
  inst->state = NULL;
}

static void
instance_init_ok (Instance *inst,
                  const gchar *name,
                  const gchar *const *settings)
{
  GError *error = NULL;

  instance_init (inst, name, settings, FALSE, &error);
  g_assert_no_error (error);
}

static void
target_clear (FurlHintTarget *target)
{
  g_clear_pointer (&target->host, g_free);
  g_clear_pointer (&target->hint, g_free);
}

/* ------------------------------------------------------------------------ */
/* Descriptors. */

static void
test_descriptors (void)
{
  static const struct {
    const gchar *name;
    const gchar *prefix;        /* nullable: no prefix */
    const gchar *suffix;        /* nullable: no suffix */
    FurlHintAnonClass anon_class;
    guint32 flags;
  } expected[] = {
    { "tcp", "tcp", NULL, FURLHINT_ANON_CLEAR, FURLHINT_PLUGIN_FLAGS_NONE },
    { "socks", NULL, NULL, FURLHINT_ANON_PROXIED, FURLHINT_PLUGIN_CAN_CARRY_TCP | FURLHINT_PLUGIN_TCP_PROXY },
    { "tor", "tor", ".onion", FURLHINT_ANON_ANONYMOUS, FURLHINT_PLUGIN_CAN_CARRY_TCP },
    { "i2p", "i2p", ".i2p", FURLHINT_ANON_ANONYMOUS, FURLHINT_PLUGIN_FLAGS_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const FurlHintPluginDescriptor *desc = descriptor (expected[i].name);

      g_assert_cmpuint (desc->abi_version, ==, FURLHINT_PLUGIN_ABI_VERSION);
      g_assert_cmpuint (desc->struct_size, ==, sizeof (FurlHintPluginDescriptor));
      g_assert_cmpstr (desc->name, ==, expected[i].name);
      g_assert_cmpstr (desc->version, ==, FURLHINT_VERSION);
      g_assert_nonnull (desc->description);
      g_assert_cmpuint (strlen (desc->description), >, 10);
      g_assert_null (strchr (desc->description, '\n'));
      g_assert_nonnull (desc->prefixes);
      g_assert_cmpstr (desc->prefixes[0], ==, expected[i].prefix);
      if (expected[i].prefix != NULL)
        g_assert_null (desc->prefixes[1]);
      if (desc->host_suffixes != NULL)
        {
          g_assert_cmpstr (desc->host_suffixes[0], ==, expected[i].suffix);
          if (expected[i].suffix != NULL)
            g_assert_null (desc->host_suffixes[1]);
        }
      else
        g_assert_null (expected[i].suffix);
      g_assert_cmpint (desc->anon_class, ==, expected[i].anon_class);
      g_assert_cmpuint (desc->flags, ==, expected[i].flags);
      g_assert_nonnull (desc->init);
      g_assert_nonnull (desc->fini);
      g_assert_nonnull (desc->parse);
      g_assert_nonnull (desc->connect_async);
      g_assert_nonnull (desc->connect_finish);
      g_assert_nonnull (desc->describe);
    }
}

/* Each plugin exports exactly the one descriptor: helpers shared with the
 * library must not leak out of a module (two copies would clash). */
static void
test_single_export (void)
{
  for (guint i = 0; bundled[i] != NULL; i++)
    {
      GModule *module;
      gpointer symbol = NULL;

      descriptor (bundled[i]);
      module = g_hash_table_lookup (modules, bundled[i]);
      g_assert_false (g_module_symbol (module, "fh_foolscap_match_tcp", &symbol));
      g_assert_false (g_module_symbol (module, "fh_plugin_parse_tcp", &symbol));
      g_assert_false (g_module_symbol (module, "fh_endpoint_parse", &symbol));
    }
}

/* ------------------------------------------------------------------------ */
/* Parsing against the corpus. */

typedef enum {
  HANDLER_TCP,
  HANDLER_TOR,
  HANDLER_I2P,
} Handler;

/* The port as written at the end of @canonical: Foolscap's int() also takes
 * non-ASCII digits, furlhint does not. */
static gboolean
port_written_in_ascii (const gchar *canonical)
{
  const gchar *colon = strrchr (canonical, ':');

  g_assert_nonnull (colon);
  for (const gchar *p = colon + 1; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return colon[1] != '\0';
}

/* 0–65535 when @text is a small decimal number, -1 otherwise. */
static gint
small_port (const gchar *text)
{
  gint value = 0;

  if (strlen (text) > 5)
    return -1;
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return -1;
      value = value * 10 + (*p - '0');
    }
  return value <= 65535 ? value : -1;
}

static gboolean
has_surrounding_space (const gchar *text)
{
  gsize len = strlen (text);

  return len > 0 && (g_ascii_isspace (text[0]) || g_ascii_isspace (text[len - 1]));
}

/* The host furlhint puts in a target for a host Foolscap accepted, by the
 * rule plugin.h gives for FurlHintTarget (written here from that text,
 * not from core/shared/hostname.c): one final dot dropped, .onion/.i2p
 * names in lower case; NULL for a name to refuse (an empty label, only
 * the root, a bare "onion" or "i2p"). */
static gchar *
expected_target_host (const gchar *host)
{
  gchar *h;
  gsize len;

  if (strchr (host, ':') != NULL)
    return g_strdup (host);
  h = g_strdup (host);
  len = strlen (h);
  if (len > 0 && h[len - 1] == '.')
    h[--len] = '\0';
  if (len == 0 || h[0] == '.' || h[len - 1] == '.' || strstr (h, "..") != NULL ||
      g_ascii_strcasecmp (h, "onion") == 0 || g_ascii_strcasecmp (h, "i2p") == 0)
    {
      g_free (h);
      return NULL;
    }
  if ((len > 6 && g_ascii_strcasecmp (h + len - 6, ".onion") == 0) ||
      (len > 4 && g_ascii_strcasecmp (h + len - 4, ".i2p") == 0))
    {
      gchar *lower = g_ascii_strdown (h, -1);

      g_free (h);
      h = lower;
    }
  return h;
}

typedef struct {
  guint accepted;
  guint bad_port;
  guint bad_host;
  guint refused;
} ParseCounts;

/* Checks one plugin on one corpus HINT object against Foolscap's verdict
 * of @handler. */
static void
check_hint (Instance *inst,
            FurlHintParseMode mode,
            const JNode *hint,
            Handler handler,
            ParseCounts *counts)
{
  static const gchar *const field[] = { "tcp", "tor", "i2p" };
  static const gchar *const error_field[] = { "tcp_error", "tor_error", "i2p_error" };
  const gchar *canonical = j_get_string (hint, "canonical");
  const JNode *verdict = j_get (hint, field[handler]);
  const gchar *message = j_get_string (hint, error_field[handler]);
  FurlHintTarget target = { 0 };
  GError *error = NULL;
  gboolean ok;

  if (canonical == NULL)
    return;
  g_assert_nonnull (verdict);

  ok = inst->desc->parse (inst->state, canonical, mode, &target, &error);

  if (verdict->type == J_NULL)
    {
      gint code = FURLHINT_HINT_ERROR_UNRECOGNIZED;

      if (handler == HANDLER_TOR && g_str_has_prefix (message, "ignoring non-Tor-able ipaddr "))
        code = FURLHINT_HINT_ERROR_NOT_TORABLE;
      if (ok)
        g_error ("%s accepted %s, which Foolscap refuses (%s)",
                 inst->desc->name, canonical, message);
      g_assert_error (error, FURLHINT_HINT_ERROR, code);
      g_assert_cmpstr (error->message, ==, message);
      g_assert_null (target.host);
      g_assert_null (target.hint);
      g_clear_error (&error);
      counts->refused++;
      return;
    }

  {
    const JNode *host = g_ptr_array_index (verdict->items, 0);
    const JNode *port = g_ptr_array_index (verdict->items, 1);
    gchar *expected_host;
    gint expected_port;

    g_assert_null (message);
    if (has_surrounding_space (canonical))
      {
        g_assert_false (ok);
        g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED);
        g_clear_error (&error);
        counts->refused++;
        return;
      }

    if (handler == HANDLER_I2P && port->type == J_NULL)
      expected_port = 0;
    else if (!port_written_in_ascii (canonical))
      expected_port = -1;
    else
      {
        expected_port = small_port (port->text);
        if (handler != HANDLER_I2P && expected_port == 0)
          expected_port = -1;
      }

    if (expected_port < 0)
      {
        if (ok)
          g_error ("%s accepted %s with port %u, furlhint must refuse port %s",
                   inst->desc->name, canonical, target.port, port->text);
        g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT);
        g_assert_null (target.host);
        g_clear_error (&error);
        counts->bad_port++;
        return;
      }

    expected_host = expected_target_host (host->text);
    if (expected_host == NULL)
      {
        if (ok)
          g_error ("%s accepted %s with host %s, furlhint must refuse host %s",
                   inst->desc->name, canonical, target.host, host->text);
        g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_HOST);
        g_assert_nonnull (strstr (error->message, "not a usable name"));
        g_assert_null (target.host);
        g_clear_error (&error);
        counts->bad_host++;
        return;
      }
    /* "10.0.0.1." is a name to Foolscap, the address 10.0.0.1 once its
     * final dot is dropped: Tor must not be asked for it. */
    if (!ok && handler == HANDLER_TOR && strcmp (expected_host, host->text) != 0 &&
        g_hostname_is_ip_address (expected_host) &&
        g_error_matches (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_NOT_TORABLE))
      {
        g_clear_error (&error);
        g_free (expected_host);
        counts->refused++;
        return;
      }

    if (!ok)
      g_error ("%s refused %s (%s), which Foolscap accepts", inst->desc->name,
               canonical, error->message);
    g_assert_cmpstr (target.host, ==, expected_host);
    g_free (expected_host);
    g_assert_cmpint (target.port, ==, expected_port);
    g_assert_cmpstr (target.hint, ==, canonical);
    g_assert_cmpint (target.host_kind, !=, FURLHINT_HOST_NONE);
    if (handler == HANDLER_I2P)
      g_assert_cmpint (target.host_kind, ==, FURLHINT_HOST_I2P);
    if (handler == HANDLER_TOR)
      g_assert_cmpint (target.host_kind, !=, FURLHINT_HOST_IPV6);
    target_clear (&target);
    counts->accepted++;
  }
}

/* Calls @func on every HINT object of the corpus. */
static guint
foreach_corpus_hint (void (*func) (const JNode *hint, gpointer data),
                     gpointer data)
{
  gchar *path = g_test_build_filename (G_TEST_DIST, "data", "hints-public.expected.jsonl", NULL);
  gchar *contents = NULL;
  gchar **lines;
  GError *error = NULL;
  guint n = 0;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      JNode *line;
      const JNode *hints;

      if (lines[i][0] == '\0')
        continue;
      line = j_parse (lines[i]);
      if (line == NULL)
        g_error ("%s:%u: not JSON", path, i + 1);
      if ((hints = j_get (line, "hints")) != NULL)
        {
          for (guint k = 0; k < hints->items->len; k++, n++)
            func (g_ptr_array_index (hints->items, k), data);
        }
      else
        {
          func (j_get (line, "hint"), data);
          n++;
        }
      j_free (line);
    }
  g_strfreev (lines);
  g_free (contents);
  g_free (path);
  return n;
}

typedef struct {
  Instance inst;
  FurlHintParseMode mode;
  Handler handler;
  ParseCounts counts;
} CorpusRun;

static void
corpus_check_one (const JNode *hint,
                  gpointer data)
{
  CorpusRun *run = data;

  check_hint (&run->inst, run->mode, hint, run->handler, &run->counts);
}

typedef struct {
  const gchar *plugin;
  const gchar *const *settings;
  FurlHintParseMode mode;
  Handler handler;
} CorpusCase;

static const gchar *const socks_settings[] = {
  "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080", NULL
};
static const gchar *const tor_default_settings[] = {
  "connections.tor.socks-proxy", "", NULL
};

static const CorpusCase corpus_cases[] = {
  { "tcp", NULL, FURLHINT_PARSE_NATIVE, HANDLER_TCP },
  { "socks", socks_settings, FURLHINT_PARSE_CARRY, HANDLER_TCP },
  { "tor", tor_default_settings, FURLHINT_PARSE_NATIVE, HANDLER_TOR },
  { "tor", tor_default_settings, FURLHINT_PARSE_CARRY, HANDLER_TOR },
  { "tor", NULL, FURLHINT_PARSE_CARRY, HANDLER_TOR },
  { "i2p", NULL, FURLHINT_PARSE_NATIVE, HANDLER_I2P },
};

static void
test_corpus (gconstpointer data)
{
  const CorpusCase *c = data;
  CorpusRun run = { { 0 } };
  guint n;

  instance_init_ok (&run.inst, c->plugin, c->settings);
  run.mode = c->mode;
  run.handler = c->handler;
  n = foreach_corpus_hint (corpus_check_one, &run);
  instance_fini (&run.inst);

  /* The corpus has 167 hints; each outcome must actually occur. */
  g_assert_cmpuint (n, >=, 167);
  g_assert_cmpuint (run.counts.accepted + run.counts.bad_port + run.counts.bad_host +
                    run.counts.refused, ==, n);
  g_assert_cmpuint (run.counts.accepted, >=, 5);
  g_assert_cmpuint (run.counts.bad_port, >=, 1);
  g_assert_cmpuint (run.counts.refused, >, 10);
}

/* ------------------------------------------------------------------------ */
/* Parsing: exact targets, kinds and messages. */

typedef struct {
  const gchar *plugin;
  FurlHintParseMode mode;
  const gchar *hint;
  const gchar *host;         /* NULL: refused */
  guint16 port;
  FurlHintHostKind kind;
  gint code;                 /* when refused */
  const gchar *message;      /* when refused; NULL: not checked */
} ParseCase;

#define N FURLHINT_PARSE_NATIVE
#define C FURLHINT_PARSE_CARRY
#define S FURLHINT_PARSE_SUFFIX
#define OK(kind) FURLHINT_HOST_##kind, 0, NULL
#define REFUSED(code, msg) NULL, 0, FURLHINT_HOST_NONE, FURLHINT_HINT_ERROR_##code, msg

static const ParseCase parse_cases[] = {
  /* tcp: host kinds from the text alone */
  { "tcp", N, "tcp:example.org:80", "example.org", 80, OK (DNS) },
  { "tcp", N, "tcp:1.2.3.4:80", "1.2.3.4", 80, OK (IPV4) },
  { "tcp", N, "tcp:127.0.0.1:8098", "127.0.0.1", 8098, OK (IPV4) },
  { "tcp", N, "tcp:[::1]:80", "::1", 80, OK (IPV6) },
  { "tcp", N, "tcp:[2001:db8:85a3::8a2e:370:7334]:443", "2001:db8:85a3::8a2e:370:7334", 443, OK (IPV6) },
  { "tcp", N, "tcp:[fe80::1%eth0]:80", "fe80::1%eth0", 80, OK (IPV6) },
  { "tcp", N, "tcp:[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80, OK (IPV6) },
  { "tcp", N, "tcp:[11.2.3.4]:80", "11.2.3.4", 80, OK (IPV4) },
  { "tcp", N, "tcp:[:]:80", ":", 80, OK (DNS) },
  { "tcp", N, "tcp:010.0.0.1:80", "010.0.0.1", 80, OK (DNS) },
  { "tcp", N, "tcp:999.999.999.999:1", "999.999.999.999", 1, OK (DNS) },
  { "tcp", N, "tcp:1.2.3.4.5:1", "1.2.3.4.5", 1, OK (DNS) },
  { "tcp", N, "tcp:3g2upl4pq6kufc4m.onion:80", "3g2upl4pq6kufc4m.onion", 80, OK (ONION) },
  { "tcp", N, "tcp:EXAMPLE.ONION:80", "example.onion", 80, OK (ONION) },
  /* canonical names: one final dot (the DNS root) dropped, .onion/.i2p in
   * lower case, empty labels refused */
  { "tcp", N, "tcp:example.org.:80", "example.org", 80, OK (DNS) },
  { "tcp", N, "tcp:Example.ORG.:80", "Example.ORG", 80, OK (DNS) },
  { "tcp", N, "tcp:1.2.3.4.:80", "1.2.3.4", 80, OK (IPV4) },
  { "tcp", N, "tcp:x.onion.:80", "x.onion", 80, OK (ONION) },
  { "tcp", N, "tcp:x.onion..:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:x..onion:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:.onion:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:..:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:.:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:onion:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:I2P.:80", REFUSED (BAD_HOST, NULL) },
  { "tcp", N, "tcp:stats.i2p:80", "stats.i2p", 80, OK (I2P) },
  { "tcp", N, "tcp:example.org:007", "example.org", 7, OK (DNS) },
  { "tcp", N, "tcp:example.org:65535", "example.org", 65535, OK (DNS) },
  /* tcp: furlhint's stricter port and whitespace checks */
  { "tcp", N, "tcp:example.org:0", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  { "tcp", N, "tcp:example.org:000", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  { "tcp", N, "tcp:example.org:65536", REFUSED (BAD_PORT, "port 65536 is not connectable; accepted: 1-65535") },
  { "tcp", N, "tcp:1.2.3.4:18446744073709551616",
    REFUSED (BAD_PORT, "port 18446744073709551616 is not connectable; accepted: 1-65535") },
  { "tcp", N, "tcp:example.org:\xd9\xa1\xd9\xa2\xd9\xa3",
    REFUSED (BAD_PORT, "port 123 is written with non-ASCII digits; accepted: 1-65535 in ASCII digits") },
  { "tcp", N, "tcp:example.org:80\n",
    REFUSED (UNRECOGNIZED, "hint has whitespace around it (Foolscap lets a final newline "
                           "through, furlhint does not); accepted: the hint without "
                           "leading or trailing spaces, tabs or newlines") },
  { "tcp", N, "tcp:example.org:80 ", REFUSED (UNRECOGNIZED, "unrecognized TCP hint") },
  { "tcp", N, "tor:example.org:80", REFUSED (UNRECOGNIZED, "unrecognized TCP hint") },
  { "tcp", N, "", REFUSED (UNRECOGNIZED, "unrecognized TCP hint") },
  /* socks carries what the tcp regex accepts, IPv6 included */
  { "socks", C, "tcp:example.org:80", "example.org", 80, OK (DNS) },
  { "socks", C, "tcp:[2001:db8::1]:443", "2001:db8::1", 443, OK (IPV6) },
  { "socks", C, "tcp:10.0.0.1:80", "10.0.0.1", 80, OK (IPV4) },
  { "socks", C, "tcp:x.onion:80", "x.onion", 80, OK (ONION) },
  { "socks", C, "tcp:example.org:0", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  { "socks", C, "tcp:example.org:80:90", REFUSED (UNRECOGNIZED, "unrecognized TCP hint") },
  /* tor: all three modes, never IPv6, never non-public IPv4 */
  { "tor", N, "tor:3g2upl4pq6kufc4m.onion:80", "3g2upl4pq6kufc4m.onion", 80, OK (ONION) },
  { "tor", N, "tor:VWW6YBAL4BD7SZMGNCYRUUCPGFKQAHZDDI37KTCEO3AH7NGMCOPNPYYD.ONION:3457",
    "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion", 3457, OK (ONION) },
  { "tor", N, "tor:3g2upl4pq6kufc4m.onion.:80", "3g2upl4pq6kufc4m.onion", 80, OK (ONION) },
  { "tor", N, "tor:example.org.:80", "example.org", 80, OK (DNS) },
  { "tor", N, "tor:stats.i2p.:80", "stats.i2p", 80, OK (I2P) },
  { "tor", N, "tor:3g2upl4pq6kufc4m.onion..:80",
    REFUSED (BAD_HOST, "host '3g2upl4pq6kufc4m.onion..' is not a usable name: the name has an "
                       "empty label (a leading dot, '..', or more than one final dot); "
                       "accepted: a name whose labels are not empty (one final dot, the DNS "
                       "root, is dropped: 'x.onion.' is 'x.onion')") },
  { "tor", N, "tor:10.1.2.3.:80",
    REFUSED (NOT_TORABLE, "ignoring non-Tor-able ipaddr 10.1.2.3 (written with a final dot, "
                          "which does not make an address a name)") },
  { "tor", N, "tor:example.org:80", "example.org", 80, OK (DNS) },
  { "tor", N, "tor:8.8.8.8:53", "8.8.8.8", 53, OK (IPV4) },
  { "tor", N, "tor:010.0.0.1:80", "010.0.0.1", 80, OK (DNS) },
  { "tor", N, "tor:stats.i2p:80", "stats.i2p", 80, OK (I2P) },
  { "tor", N, "tor:10.1.2.3:80", REFUSED (NOT_TORABLE, "ignoring non-Tor-able ipaddr 10.1.2.3") },
  { "tor", N, "tor:127.0.0.1:80", REFUSED (NOT_TORABLE, "ignoring non-Tor-able ipaddr 127.0.0.1") },
  { "tor", N, "tor:[::1]:80", REFUSED (UNRECOGNIZED, "unrecognized TCP/Tor hint") },
  { "tor", N, "tor:example.onion:0", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  { "tor", N, "tor:example.onion:99999", REFUSED (BAD_PORT, "port 99999 is not connectable; accepted: 1-65535") },
  { "tor", N, "tor:example.onion", REFUSED (UNRECOGNIZED, "unrecognized TCP/Tor hint") },
  { "tor", C, "tcp:example.org:80", "example.org", 80, OK (DNS) },
  { "tor", C, "tcp:203.0.113.7:34567", REFUSED (NOT_TORABLE, "ignoring non-Tor-able ipaddr 203.0.113.7") },
  { "tor", C, "tcp:[2001:db8::5]:34567", REFUSED (UNRECOGNIZED, "unrecognized TCP/Tor hint") },
  { "tor", C, "tcp:example.org:80\n", REFUSED (UNRECOGNIZED, NULL) },
  { "tor", S, "tcp:3g2upl4pq6kufc4m.onion:80", "3g2upl4pq6kufc4m.onion", 80, OK (ONION) },
  { "tor", S, "tcp:3G2UPL4PQ6KUFC4M.Onion.:80", "3g2upl4pq6kufc4m.onion", 80, OK (ONION) },
  { "tor", C, "tcp:example.org.:80", "example.org", 80, OK (DNS) },
  { "tor", C, "tcp:example..org:80", REFUSED (BAD_HOST, NULL) },
  { "tor", S, "tcp:3g2upl4pq6kufc4m.onion:0", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  /* i2p: port optional, 0 = no port; .i2p tcp hints in suffix mode */
  { "i2p", N, "i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p",
    "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p", 0, OK (I2P) },
  { "i2p", N, "i2p:stats.i2p:0", "stats.i2p", 0, OK (I2P) },
  { "i2p", N, "i2p:stats.i2p:1234", "stats.i2p", 1234, OK (I2P) },
  { "i2p", N, "i2p:stats.i2p:007", "stats.i2p", 7, OK (I2P) },
  { "i2p", N, "i2p:stats.i2p:65536",
    REFUSED (BAD_PORT, "port 65536 is out of range; accepted: no port, or 0-65535 (0 meaning no port)") },
  { "i2p", N, "i2p:stats.i2p:\xd9\xa0",
    REFUSED (BAD_PORT, "port 0 is written with non-ASCII digits; accepted: no port, or 0-65535 in ASCII digits") },
  { "i2p", N, "i2p:stats.i2p\n", REFUSED (UNRECOGNIZED, NULL) },
  { "i2p", N, "i2p:stats.i2p:1:2", REFUSED (UNRECOGNIZED, "unrecognized I2P hint") },
  { "i2p", S, "tcp:stats.i2p:80", "stats.i2p", 80, OK (I2P) },
  { "i2p", S, "tcp:Stats.I2P.:80", "stats.i2p", 80, OK (I2P) },
  { "i2p", S, "tcp:stats.i2p..:80", REFUSED (BAD_HOST, NULL) },
  { "i2p", N, "i2p:UKEU3K5OYCGAAUNEQGTNVSELMT4YEMVOILKLN7JPVAMVFX7DNKDQ.B32.I2P.",
    "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p", 0, OK (I2P) },
  { "i2p", N, "i2p:stats..i2p", REFUSED (BAD_HOST, NULL) },
  { "i2p", S, "tcp:stats.i2p:0", REFUSED (BAD_PORT, "port 0 is not connectable; accepted: 1-65535") },
  { "i2p", S, "tcp:example.org:80",
    REFUSED (UNSUPPORTED, "I2P reaches only I2P destinations, not example.org; accepted: "
                          "i2p:DEST[:PORT], or tcp:NAME.i2p:PORT") },
  { "i2p", S, "tcp:stats.i2p", REFUSED (UNRECOGNIZED, "unrecognized TCP hint") },
  { "i2p", C, "tcp:example.org:80",
    REFUSED (UNSUPPORTED, "I2P cannot carry TCP connections; accepted: i2p:DEST[:PORT], "
                          "or tcp:NAME.i2p:PORT") },
};

#undef N
#undef C
#undef S

static void
test_parse_cases (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      const ParseCase *c = &parse_cases[i];
      Instance inst;
      FurlHintTarget target = { 0 };
      GError *error = NULL;
      gboolean ok;

      instance_init_ok (&inst, c->plugin, NULL);
      g_test_message ("%s parses %s", c->plugin, c->hint);
      ok = inst.desc->parse (inst.state, c->hint, c->mode, &target, &error);
      if (c->host != NULL)
        {
          if (!ok)
            g_error ("%s refused %s: %s", c->plugin, c->hint, error->message);
          g_assert_cmpstr (target.host, ==, c->host);
          g_assert_cmpuint (target.port, ==, c->port);
          g_assert_cmpint (target.host_kind, ==, c->kind);
          g_assert_cmpstr (target.hint, ==, c->hint);
        }
      else
        {
          if (ok)
            g_error ("%s accepted %s", c->plugin, c->hint);
          g_assert_error (error, FURLHINT_HINT_ERROR, c->code);
          if (c->message != NULL)
            g_assert_cmpstr (error->message, ==, c->message);
          g_assert_null (target.host);
          g_assert_null (target.hint);
          g_clear_error (&error);
        }
      target_clear (&target);
      instance_fini (&inst);
    }
}

/* ------------------------------------------------------------------------ */
/* configured, and the one debug line. */

typedef struct {
  const gchar *plugin;
  const gchar *settings[9];
  gboolean configured;
  const gchar *log;        /* the expected debug line */
} ConfiguredCase;

static const ConfiguredCase configured_cases[] = {
  { "tcp", { NULL }, TRUE, "tcp: direct TCP with local DNS lookups" },
  { "tcp", { "connections.tcp", "disabled", NULL }, TRUE, "tcp: direct TCP with local DNS lookups" },

  { "socks", { NULL }, FALSE, "socks: not configured ([connections] tcp.socks-proxy is not set)" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080", NULL }, TRUE,
    "socks: SOCKS5 proxy 127.0.0.1:1080, remote DNS, no authentication" },
  { "socks", { "connections.tcp.socks-proxy", "localhost:1080", NULL }, TRUE,
    "socks: SOCKS5 proxy localhost:1080, remote DNS, no authentication" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:host=[::1]:port=1080", NULL }, TRUE,
    "socks: SOCKS5 proxy [::1]:1080, remote DNS, no authentication" },
  { "socks", { "connections.tcp.socks-proxy", "unix:/run/socks.sock", NULL }, TRUE,
    "socks: SOCKS5 proxy unix:/run/socks.sock, remote DNS, no authentication" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=alice:password=s3cr\\:t", NULL }, TRUE,
    "socks: SOCKS5 proxy 127.0.0.1:1080, remote DNS, username/password authentication" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:user=alice:127.0.0.1:password=x:1080", NULL }, TRUE,
    "socks: SOCKS5 proxy 127.0.0.1:1080, remote DNS, username/password authentication" },

  { "tor", { NULL }, FALSE, "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "tor.executable", "/usr/bin/tor", NULL }, FALSE,
    "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "socks.port", "", "control.port", "", NULL }, FALSE,
    "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "launch", "false", NULL }, FALSE,
    "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "connections.tcp", "tcp", NULL }, FALSE,
    "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "connections.tor.socks-proxy", "", NULL }, TRUE, "tor: default SOCKS port 9050, then 9150" },
  { "tor", { "connections.tor.socks-proxy", "tcp:127.0.0.1:9150", NULL }, TRUE, "tor: SOCKS 127.0.0.1:9150" },
  { "tor", { "socks.port", "tcp:127.0.0.1:9050", NULL }, TRUE, "tor: SOCKS 127.0.0.1:9050" },
  { "tor", { "socks.port", "tcp:localhost:9050", "connections.tor.socks-proxy", "localhost:9050", NULL },
    TRUE, "tor: SOCKS localhost:9050" },
  { "tor", { "socks.port", "unix:/run/tor/socks", NULL }, TRUE, "tor: SOCKS unix:/run/tor/socks" },
  { "tor", { "control.port", "tcp:127.0.0.1:9051", NULL }, TRUE,
    "tor: control port 127.0.0.1:9051, SOCKS port discovered" },
  { "tor", { "control.port", "unix:/run/tor/control", "socks.port", "tcp:127.0.0.1:9050", NULL }, TRUE,
    "tor: SOCKS 127.0.0.1:9050" },
  { "tor", { "launch", "true", NULL }, TRUE, "tor: launched privately" },
  { "tor", { "launch", "YES", "tor.executable", "/opt/tor/bin/tor", NULL }, TRUE,
    "tor: launched privately, executable /opt/tor/bin/tor" },
  { "tor", { "launch", "on", "socks.port", "tcp:127.0.0.1:9050", NULL }, TRUE,
    "tor: launched privately (launch = true takes precedence over the SOCKS setting)" },
  { "tor", { "enabled", "true", NULL }, TRUE, "tor: default SOCKS port 9050, then 9150" },
  { "tor", { "enabled", "1", "onion", "true", "onion.local_port", "3457",
             "onion.external_port", "3457", NULL }, TRUE, "tor: default SOCKS port 9050, then 9150" },
  { "tor", { "connections.tcp", "tor", NULL }, TRUE, "tor: default SOCKS port 9050, then 9150" },
  /* The core owns `[connections] tcp`: any letter case, and another
   * carrier's name only means this plugin is not the one asked for. */
  { "tor", { "connections.tcp", "TOR", NULL }, TRUE, "tor: default SOCKS port 9050, then 9150" },
  { "tor", { "connections.tcp", "httpconnect", NULL }, FALSE,
    "tor: not configured (nothing in [tor] or [connections] asks for Tor)" },
  { "tor", { "enabled", "false", "socks.port", "tcp:127.0.0.1:9050", NULL }, FALSE,
    "tor: not configured ([tor] enabled = false)" },
  /* the same endpoint spelled two ways (host in any letter case) */
  { "tor", { "socks.port", "localhost:9050", "connections.tor.socks-proxy",
             "tcp:host=LOCALHOST:port=09050", NULL }, TRUE, "tor: SOCKS localhost:9050" },

  { "i2p", { NULL }, FALSE, "i2p: not configured (nothing in [i2p] or [connections] asks for I2P)" },
  { "i2p", { "i2p.executable", "", "i2p.configdir", "", "launch", "false", NULL }, FALSE,
    "i2p: not configured (nothing in [i2p] or [connections] asks for I2P)" },
  { "i2p", { "connections.i2p.sam-api", "", NULL }, TRUE, "i2p: SAM 127.0.0.1:7656" },
  { "i2p", { "connections.i2p.sam-api", "tcp:127.0.0.1:7000", NULL }, TRUE, "i2p: SAM 127.0.0.1:7000" },
  { "i2p", { "sam.port", "tcp:127.0.0.1:7657", NULL }, TRUE, "i2p: SAM 127.0.0.1:7657" },
  { "i2p", { "sam.port", "tcp:127.0.0.1:7657", "connections.i2p.sam-api", "127.0.0.1:7657", NULL }, TRUE,
    "i2p: SAM 127.0.0.1:7657" },
  { "i2p", { "enabled", "on", NULL }, TRUE, "i2p: SAM 127.0.0.1:7656" },
  { "i2p", { "enabled", "true", "dest", "true", "dest.port", "3459", NULL }, TRUE, "i2p: SAM 127.0.0.1:7656" },
  { "i2p", { "enabled", "NO", "sam.port", "tcp:127.0.0.1:7656", NULL }, FALSE,
    "i2p: not configured ([i2p] enabled = false)" },
  { "i2p", { "sam.port", "unix:/run/i2p/sam", "connections.i2p.sam-api", "unix:path=/run/i2p/sam", NULL },
    TRUE, "i2p: SAM unix:/run/i2p/sam" },
};

static void
test_configured (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (configured_cases); i++)
    {
      const ConfiguredCase *c = &configured_cases[i];
      Instance inst;
      GError *error = NULL;
      gchar *expected;

      instance_init (&inst, c->plugin, c->settings, FALSE, &error);
      if (error != NULL)
        g_error ("case %" G_GSIZE_FORMAT " (%s): %s", i, c->plugin, error->message);
      if (inst.configured != c->configured)
        g_error ("case %" G_GSIZE_FORMAT " (%s): configured is %d", i, c->plugin, inst.configured);
      g_assert_cmpuint (inst.log->len, ==, 1);
      expected = g_strconcat ("debug ", c->log, NULL);
      g_assert_cmpstr (g_ptr_array_index (inst.log, 0), ==, expected);
      g_free (expected);
      instance_fini (&inst);
    }
}

static void
test_anonymous_log (void)
{
  Instance inst;

  instance_init (&inst, "tcp", NULL, TRUE, NULL);
  g_assert_true (inst.configured);
  g_assert_cmpuint (inst.log->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (inst.log, 0), ==,
                   "debug tcp: direct TCP with local DNS lookups (anonymous mode: never used)");
  instance_fini (&inst);
}

/* Zero-hop I2P tunnels in anonymous mode: refused at init, naming the
 * key, the value and what is accepted, unless sam.allow-zero-hop says it
 * is a test network (then a warning). */
typedef struct {
  const gchar *options;
  const gchar *reason;    /* NULL: tunnels of at least one hop */
} ZeroHopCase;

static const ZeroHopCase zero_hop_cases[] = {
  { "inbound.length=0 outbound.length=0 inbound.quantity=1 outbound.quantity=1",
    "inbound.length=0 makes zero-hop tunnels" },
  { "inbound.length=3 outbound.length=0", "outbound.length=0 makes zero-hop tunnels" },
  { "inbound.length=1 inbound.lengthVariance=-1",
    "inbound.length=1 with inbound.lengthVariance=-1 can make zero-hop tunnels" },
  { "outbound.length=2 outbound.lengthVariance=-3",
    "outbound.length=2 with outbound.lengthVariance=-3 can make zero-hop tunnels" },
  /* Given twice: the worst value counts. */
  { "inbound.length=3 inbound.length=0", "inbound.length=0 makes zero-hop tunnels" },
  { "outbound.lengthVariance=-1",
    "outbound.lengthVariance=-1 without outbound.length can make zero-hop tunnels, "
    "depending on the router's default length" },
  { "inbound.allowZeroHop=true",
    "inbound.allowZeroHop=true lets the router fall back to zero-hop tunnels" },
  { "outbound.allowZeroHop=TRUE",
    "outbound.allowZeroHop=true lets the router fall back to zero-hop tunnels" },
  { "", NULL },
  { "inbound.quantity=1 outbound.quantity=1", NULL },
  { "inbound.length=1 outbound.length=1", NULL },
  { "inbound.length=1 inbound.lengthVariance=2", NULL },
  { "inbound.length=3 inbound.lengthVariance=-2 outbound.lengthVariance=1", NULL },
  { "inbound.allowZeroHop=false outbound.allowZeroHop=false", NULL },
  /* Not I2CP's spelling: the router ignores it (and uses its default). */
  { "Inbound.Length=0", NULL },
};

static void
test_i2p_zero_hop (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (zero_hop_cases); i++)
    {
      const ZeroHopCase *c = &zero_hop_cases[i];
      const gchar *settings[] = { "sam.session-options", c->options, NULL, NULL, NULL };
      Instance inst;
      GError *error = NULL;

      g_test_message ("sam.session-options = %s", c->options);
      /* Anonymous mode: refused. */
      if (instance_init (&inst, "i2p", settings, TRUE, &error))
        {
          g_assert_null (c->reason);
          g_assert_no_error (error);
          for (guint j = 0; j < inst.log->len; j++)
            g_assert_false (g_str_has_prefix (g_ptr_array_index (inst.log, j), "warning "));
        }
      else
        {
          gchar *message;

          g_assert_nonnull (c->reason);
          message = g_strdup_printf ("tahoe.cfg [i2p] sam.session-options = \"%s\": %s, which "
                                     "in anonymous mode would show this node's I2P router and "
                                     "its IP address to its peers; accepted in anonymous mode: "
                                     "at least one hop each way (inbound.length and "
                                     "outbound.length of 1 or more, and more than the size of "
                                     "a negative lengthVariance; no allowZeroHop=true), or "
                                     "[i2p] sam.allow-zero-hop = true on a test network",
                                     c->options, c->reason);
          g_assert_error (error, g_quark_from_static_string ("furlhint-config-error-quark"),
                          FURLHINT_CONFIG_ERROR_BAD_VALUE);
          g_assert_cmpstr (error->message, ==, message);
          g_free (message);
          g_clear_error (&error);
        }
      instance_fini (&inst);

      /* Normal mode: the node has given up anonymity anyway. */
      instance_init (&inst, "i2p", settings, FALSE, &error);
      g_assert_no_error (error);
      for (guint j = 0; j < inst.log->len; j++)
        g_assert_false (g_str_has_prefix (g_ptr_array_index (inst.log, j), "warning "));
      instance_fini (&inst);

      /* The operator's override: accepted, and said loudly. */
      settings[2] = "sam.allow-zero-hop";
      settings[3] = "true";
      instance_init (&inst, "i2p", settings, TRUE, &error);
      g_assert_no_error (error);
      if (c->reason != NULL)
        {
          gchar *warning = g_strdup_printf ("warning i2p: anonymous mode with zero-hop tunnels, "
                                            "as [i2p] sam.allow-zero-hop = true allows: %s, so "
                                            "peers can see this node's I2P router and its IP "
                                            "address; for test networks only", c->reason);

          g_assert_cmpuint (inst.log->len, >=, 1);
          g_assert_cmpstr (g_ptr_array_index (inst.log, 0), ==, warning);
          g_free (warning);
        }
      else
        for (guint j = 0; j < inst.log->len; j++)
          g_assert_false (g_str_has_prefix (g_ptr_array_index (inst.log, j), "warning "));
      instance_fini (&inst);
    }
}

/* A password never reaches the log or a description. */
static void
test_socks_secret (void)
{
  static const gchar *const settings[] = {
    "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=alice:password=hunter2", NULL
  };
  Instance inst;
  FurlHintTarget target = { 0 };
  gchar *text;

  instance_init_ok (&inst, "socks", settings);
  g_assert_true (inst.configured);
  g_assert_null (strstr (g_ptr_array_index (inst.log, 0), "hunter2"));
  g_assert_true (inst.desc->parse (inst.state, "tcp:example.org:80", FURLHINT_PARSE_CARRY,
                                   &target, NULL));
  text = inst.desc->describe (inst.state, &target);
  g_assert_cmpstr (text, ==, "SOCKS5 proxy 127.0.0.1:1080 (username/password) → example.org:80 (remote DNS)");
  g_free (text);
  target_clear (&target);
  instance_fini (&inst);
}

/* ------------------------------------------------------------------------ */
/* Init errors: every bad setting is named, with the value and what is
 * accepted. */

typedef struct {
  const gchar *plugin;
  const gchar *settings[7];
  gint code;
  const gchar *message;    /* exact, or a prefix when it ends with "…" */
  gboolean anonymous;
} InitErrorCase;

#define BOOL_ACCEPTED "not a boolean; accepted: true/false, yes/no, on/off, 1/0 (any letter case)"
#define PORT_ACCEPTED "not a TCP port number; accepted: 1-65535 in decimal digits"
#define LOOKUP_PROBLEM "in anonymous mode a Tor or I2P endpoint given by host name would be " \
  "looked up in the local DNS before anything reaches Tor or I2P; accepted: an IP address " \
  "(tcp:127.0.0.1:PORT, tcp:[::1]:PORT), localhost, or unix:PATH"
#define I2P_SAM_ACCEPTED "a running router's SAM bridge in [i2p] sam.port or [connections] " \
  "i2p.sam-api (default tcp:127.0.0.1:7656)"
#define BAD FURLHINT_CONFIG_ERROR_BAD_VALUE
#define CONFLICT FURLHINT_CONFIG_ERROR_CONFLICT

static const InitErrorCase init_error_cases[] = {
  { "socks", { "connections.tcp.socks-proxy", "", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"\": a SOCKS proxy needs an address; accepted: "
    "a Twisted endpoint (tcp:HOST:PORT, tcp:host=HOST:port=PORT, unix:/path, or HOST:PORT), "
    "optionally followed by :user=NAME:password=SECRET" },
  { "socks", { "connections.tcp.socks-proxy", "socks5://127.0.0.1:1080", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"socks5://127.0.0.1:1080\": …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1\": …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=alice", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080:user=alice\": user= and "
    "password= go together (RFC 1929 needs both); accepted: …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=:password=x", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080:user=:password=[censored]\": the user "
    "name must be 1-255 bytes long (RFC 1929); accepted: …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=a:password=", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080:user=a:password=[censored]\": the "
    "password must be 1-255 bytes long (RFC 1929); accepted: …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:user=a:user=b:password=c", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080:user=a:user=b:password=[censored]\": "
    "user= is given twice; accepted: …" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080:bogus=1", NULL }, BAD,
    "tahoe.cfg [connections] tcp.socks-proxy = \"tcp:127.0.0.1:1080:bogus=1\": …" },

  { "tor", { "launch", "maybe", NULL }, BAD, "tahoe.cfg [tor] launch = \"maybe\": " BOOL_ACCEPTED },
  { "tor", { "enabled", "2", NULL }, BAD, "tahoe.cfg [tor] enabled = \"2\": " BOOL_ACCEPTED },
  { "tor", { "onion", "tru", NULL }, BAD, "tahoe.cfg [tor] onion = \"tru\": " BOOL_ACCEPTED },
  { "tor", { "onion.local_port", "0", NULL }, BAD, "tahoe.cfg [tor] onion.local_port = \"0\": " PORT_ACCEPTED },
  { "tor", { "onion.external_port", "+80", NULL }, BAD,
    "tahoe.cfg [tor] onion.external_port = \"+80\": " PORT_ACCEPTED },
  { "tor", { "onion.external_port", "65536", NULL }, BAD,
    "tahoe.cfg [tor] onion.external_port = \"65536\": " PORT_ACCEPTED },
  { "tor", { "socks.port", "tcp:127.0.0.1", NULL }, BAD, "tahoe.cfg [tor] socks.port = \"tcp:127.0.0.1\": …" },
  { "tor", { "socks.port", "tcp:127.0.0.1:0", NULL }, BAD, "tahoe.cfg [tor] socks.port = \"tcp:127.0.0.1:0\": …" },
  { "tor", { "control.port", "carrier-pigeon", NULL }, BAD,
    "tahoe.cfg [tor] control.port = \"carrier-pigeon\": …" },
  { "tor", { "connections.tor.socks-proxy", "9050", NULL }, BAD,
    "tahoe.cfg [connections] tor.socks-proxy = \"9050\": …" },
  { "tor", { "socks.port", "tcp:127.0.0.1:9050", "connections.tor.socks-proxy", "tcp:127.0.0.1:9150", NULL },
    CONFLICT,
    "tahoe.cfg [connections] tor.socks-proxy = \"tcp:127.0.0.1:9150\" and [tor] socks.port = "
    "\"tcp:127.0.0.1:9050\" name different Tor SOCKS ports; accepted: one of them, or both "
    "naming the same endpoint" },
  { "tor", { "enabled", "false", "connections.tcp", "tor", NULL }, CONFLICT,
    "tahoe.cfg [tor] enabled = \"false\" turns Tor off, but [connections] tcp = tor needs it; "
    "accepted: enabled = true, or [connections] tcp = tcp or disabled" },
  /* The plugin owns the rules between its section and its [connections]
   * keys (the core checked these too, worded otherwise, before). */
  { "tor", { "enabled", "Off", "connections.tor.socks-proxy", "", NULL }, CONFLICT,
    "tahoe.cfg [tor] enabled = \"Off\" turns Tor off, but [connections] tor.socks-proxy asks "
    "for it; accepted: enabled = true, or no [connections] tor.socks-proxy" },
  { "tor", { "enabled", "no", "connections.tor.socks-proxy", "tcp:127.0.0.1:9050", NULL }, CONFLICT,
    "tahoe.cfg [tor] enabled = \"no\" turns Tor off, but [connections] tor.socks-proxy asks "
    "for it; accepted: enabled = true, or no [connections] tor.socks-proxy" },
  { "tor", { "control.auth", "safecookie,password", NULL }, BAD,
    "tahoe.cfg [tor] control.auth = \"safecookie,password\": “password” is not an "
    "authentication method; accepted: a list of safecookie, hashedpassword, cookie and null "
    "(default: safecookie, hashedpassword)" },
  { "tor", { "control.auth", "safecookie", "control.password", "x", NULL }, CONFLICT,
    "tahoe.cfg [tor] control.password is set, but [tor] control.auth = \"safecookie\" does not "
    "allow hashedpassword; accepted: control.auth naming hashedpassword, or no control.password" },
  /* Anonymous mode: reaching Tor by a host name starts with a DNS lookup. */
  { "tor", { "connections.tor.socks-proxy", "tcp:tor.example:9050", NULL }, BAD,
    "tahoe.cfg [connections] tor.socks-proxy = \"tcp:tor.example:9050\": " LOOKUP_PROBLEM, TRUE },
  { "tor", { "socks.port", "tor.example:9050", NULL }, BAD,
    "tahoe.cfg [tor] socks.port = \"tor.example:9050\": " LOOKUP_PROBLEM, TRUE },
  { "tor", { "control.port", "tcp:host=127.0.0.1.nip.io:port=9051", NULL }, BAD,
    "tahoe.cfg [tor] control.port = \"tcp:host=127.0.0.1.nip.io:port=9051\": " LOOKUP_PROBLEM,
    TRUE },
  { "tor", { "socks.port", "tcp:localhost.:9050", NULL }, BAD,
    "tahoe.cfg [tor] socks.port = \"tcp:localhost.:9050\": " LOOKUP_PROBLEM, TRUE },

  { "i2p", { "launch", "sometimes", NULL }, BAD, "tahoe.cfg [i2p] launch = \"sometimes\": " BOOL_ACCEPTED },
  { "i2p", { "enabled", "enabled", NULL }, BAD, "tahoe.cfg [i2p] enabled = \"enabled\": " BOOL_ACCEPTED },
  { "i2p", { "dest", "y", NULL }, BAD, "tahoe.cfg [i2p] dest = \"y\": " BOOL_ACCEPTED },
  { "i2p", { "dest.port", "port", NULL }, BAD, "tahoe.cfg [i2p] dest.port = \"port\": " PORT_ACCEPTED },
  { "i2p", { "sam.port", "7656", NULL }, BAD, "tahoe.cfg [i2p] sam.port = \"7656\": …" },
  { "i2p", { "connections.i2p.sam-api", "tcp:127.0.0.1:x", NULL }, BAD,
    "tahoe.cfg [connections] i2p.sam-api = \"tcp:127.0.0.1:x\": …" },
  /* Tahoe's launched and configdir routers: not implemented, refused at
   * init whatever else is set, saying what is accepted. */
  { "i2p", { "launch", "True", NULL }, BAD,
    "tahoe.cfg [i2p] launch = \"True\": furlhint does not launch I2P routers; accepted: "
    "launch = false (or absent) and " I2P_SAM_ACCEPTED },
  { "i2p", { "launch", "1", "i2p.executable", "/usr/bin/i2prouter", NULL }, BAD,
    "tahoe.cfg [i2p] launch = \"1\": furlhint does not launch I2P routers; accepted: …" },
  { "i2p", { "sam.port", "tcp:127.0.0.1:7656", "launch", "true", NULL }, BAD,
    "tahoe.cfg [i2p] launch = \"true\": furlhint does not launch I2P routers; accepted: …" },
  { "i2p", { "connections.i2p.sam-api", "tcp:127.0.0.1:7656", "launch", "yes", NULL }, BAD,
    "tahoe.cfg [i2p] launch = \"yes\": furlhint does not launch I2P routers; accepted: …" },
  { "i2p", { "enabled", "false", "launch", "on", NULL }, BAD,
    "tahoe.cfg [i2p] launch = \"on\": furlhint does not launch I2P routers; accepted: …" },
  { "i2p", { "i2p.configdir", "/var/lib/i2p", NULL }, BAD,
    "tahoe.cfg [i2p] i2p.configdir = \"/var/lib/i2p\": furlhint neither launches I2P routers "
    "nor reads their configuration directories; accepted: no i2p.configdir and " I2P_SAM_ACCEPTED },
  { "i2p", { "enabled", "yes", "i2p.configdir", "/var/lib/i2p", "sam.port", "tcp:127.0.0.1:7656", NULL },
    BAD, "tahoe.cfg [i2p] i2p.configdir = \"/var/lib/i2p\": …" },
  { "i2p", { "i2p.executable", "/usr/bin/i2prouter", "launch", "false", NULL }, BAD,
    "tahoe.cfg [i2p] i2p.executable = \"/usr/bin/i2prouter\": furlhint neither launches I2P "
    "routers nor reads their configuration directories; accepted: no i2p.executable and "
    I2P_SAM_ACCEPTED },
  { "i2p", { "sam.port", "tcp:127.0.0.1:7656", "connections.i2p.sam-api", "tcp:127.0.0.1:7657", NULL },
    CONFLICT,
    "tahoe.cfg [connections] i2p.sam-api = \"tcp:127.0.0.1:7657\" and [i2p] sam.port = "
    "\"tcp:127.0.0.1:7656\" name different SAM bridges; accepted: one of them, or both naming "
    "the same endpoint" },
  { "i2p", { "enabled", "no", "connections.i2p.sam-api", "", NULL }, CONFLICT,
    "tahoe.cfg [i2p] enabled = \"no\" turns I2P off, but [connections] i2p.sam-api asks "
    "for it; accepted: enabled = true, or no [connections] i2p.sam-api" },
  { "i2p", { "sam.client-destinations", "per-node", NULL }, BAD,
    "tahoe.cfg [i2p] sam.client-destinations = \"per-node\": unknown; accepted: per-peer (a "
    "transient client destination for each peer, the default) or shared (one for every peer)" },
  { "i2p", { "sam.allow-zero-hop", "please", NULL }, BAD,
    "tahoe.cfg [i2p] sam.allow-zero-hop = \"please\": " BOOL_ACCEPTED },
  /* Tunnel options out of I2P's range: refused in any mode. */
  { "i2p", { "sam.session-options", "inbound.length=8", NULL }, BAD,
    "tahoe.cfg [i2p] sam.session-options = \"inbound.length=8\": inbound.length=8 is not a "
    "tunnel setting I2P takes; accepted: inbound.length=0..7, inbound.lengthVariance=-7..7, "
    "inbound.allowZeroHop=true or false" },
  { "i2p", { "sam.session-options", "outbound.length=two", NULL }, BAD,
    "tahoe.cfg [i2p] sam.session-options = \"outbound.length=two\": outbound.length=two is not a "
    "tunnel setting I2P takes; accepted: …" },
  { "i2p", { "sam.session-options", "inbound.length=-1", NULL }, BAD,
    "tahoe.cfg [i2p] sam.session-options = \"inbound.length=-1\": inbound.length=-1 is not a "
    "tunnel setting I2P takes; accepted: …" },
  { "i2p", { "sam.session-options", "inbound.length=3 outbound.lengthVariance=-8", NULL }, BAD,
    "tahoe.cfg [i2p] sam.session-options = \"inbound.length=3 outbound.lengthVariance=-8\": "
    "outbound.lengthVariance=-8 is not a tunnel setting I2P takes; accepted: …" },
  { "i2p", { "sam.session-options", "inbound.allowZeroHop=maybe", NULL }, BAD,
    "tahoe.cfg [i2p] sam.session-options = \"inbound.allowZeroHop=maybe\": "
    "inbound.allowZeroHop=maybe is not a tunnel setting I2P takes; accepted: …" },
  { "i2p", { "connections.i2p.sam-api", "tcp:i2p.example:7656", NULL }, BAD,
    "tahoe.cfg [connections] i2p.sam-api = \"tcp:i2p.example:7656\": " LOOKUP_PROBLEM, TRUE },
  { "i2p", { "sam.port", "tcp:sam.lan:7656", NULL }, BAD,
    "tahoe.cfg [i2p] sam.port = \"tcp:sam.lan:7656\": " LOOKUP_PROBLEM, TRUE },
};

#undef BAD
#undef CONFLICT

static void
assert_message (const gchar *actual,
                const gchar *expected)
{
  const gchar *ellipsis = "…";

  if (g_str_has_suffix (expected, ellipsis))
    {
      gsize len = strlen (expected) - strlen (ellipsis);

      if (strncmp (actual, expected, len) != 0 || strlen (actual) <= len + 10)
        g_error ("message \"%s\" does not start with \"%.*s\"", actual, (int) len, expected);
      /* Whatever follows must say what is accepted. */
      g_assert_nonnull (strstr (actual, "accepted: "));
    }
  else
    g_assert_cmpstr (actual, ==, expected);
}

static void
test_init_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (init_error_cases); i++)
    {
      const InitErrorCase *c = &init_error_cases[i];
      Instance inst;
      GError *error = NULL;

      if (instance_init (&inst, c->plugin, c->settings, c->anonymous, &error))
        g_error ("case %" G_GSIZE_FORMAT ": %s init accepted %s = \"%s\"", i, c->plugin,
                 c->settings[0], c->settings[1]);
      g_assert_error (error, g_quark_from_static_string ("furlhint-config-error-quark"), c->code);
      assert_message (error->message, c->message);
      g_clear_error (&error);
      g_assert_cmpuint (inst.log->len, ==, 0);
      instance_fini (&inst);
    }
}

/* The endpoints anonymous mode accepts (no lookup), and a name in normal
 * mode. */
static void
test_init_endpoints_anonymous (void)
{
  static const struct {
    const gchar *plugin;
    const gchar *key;
    const gchar *value;
    gboolean anonymous;
  } cases[] = {
    { "tor", "connections.tor.socks-proxy", "tcp:127.0.0.1:9050", TRUE },
    { "tor", "socks.port", "tcp:[::1]:9050", TRUE },
    { "tor", "socks.port", "tcp:localhost:9050", TRUE },
    { "tor", "control.port", "unix:/run/tor/control", TRUE },
    { "tor", "connections.tor.socks-proxy", "", TRUE },
    { "i2p", "connections.i2p.sam-api", "tcp:localhost:7656", TRUE },
    { "i2p", "sam.port", "tcp:127.0.0.1:7656", TRUE },
    { "tor", "connections.tor.socks-proxy", "tcp:tor.example:9050", FALSE },
    { "i2p", "sam.port", "tcp:sam.lan:7656", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const gchar *settings[] = { cases[i].key, cases[i].value, NULL };
      Instance inst;
      GError *error = NULL;

      g_test_message ("%s %s = %s", cases[i].plugin, cases[i].key, cases[i].value);
      g_assert_true (instance_init (&inst, cases[i].plugin, settings, cases[i].anonymous, &error));
      g_assert_no_error (error);
      g_assert_true (inst.configured);
      instance_fini (&inst);
    }
}

static void
test_init_bad_args (void)
{
  for (guint i = 0; bundled[i] != NULL; i++)
    {
      const FurlHintPluginDescriptor *desc = descriptor (bundled[i]);
      FurlHintPluginInitArgs args = { 0 };
      gboolean configured = TRUE;
      GError *error = NULL;

      args.struct_size = 4;
      g_assert_null (desc->init (&args, &configured, &error));
      g_assert_error (error, g_quark_from_static_string ("furlhint-config-error-quark"),
                      FURLHINT_CONFIG_ERROR_BAD_VALUE);
      g_clear_error (&error);
    }
}

/* ------------------------------------------------------------------------ */
/* describe */

typedef struct {
  const gchar *plugin;
  const gchar *settings[5];
  FurlHintParseMode mode;
  const gchar *hint;
  const gchar *text;
} DescribeCase;

static const DescribeCase describe_cases[] = {
  { "tcp", { NULL }, FURLHINT_PARSE_NATIVE, "tcp:example.org:80",
    "direct TCP to example.org:80 (local DNS lookup)" },
  { "tcp", { NULL }, FURLHINT_PARSE_NATIVE, "tcp:1.2.3.4:80", "direct TCP to 1.2.3.4:80" },
  { "tcp", { NULL }, FURLHINT_PARSE_NATIVE, "tcp:[2001:db8::1]:443", "direct TCP to [2001:db8::1]:443" },
  { "tcp", { NULL }, FURLHINT_PARSE_NATIVE, "tcp:x.onion:80", "direct TCP to x.onion:80 (local DNS lookup)" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:127.0.0.1:1080", NULL }, FURLHINT_PARSE_CARRY,
    "tcp:example.org:80", "SOCKS5 proxy 127.0.0.1:1080 → example.org:80 (remote DNS)" },
  { "socks", { "connections.tcp.socks-proxy", "tcp:[::1]:1080", NULL }, FURLHINT_PARSE_CARRY,
    "tcp:[2001:db8::1]:443", "SOCKS5 proxy [::1]:1080 → [2001:db8::1]:443" },
  { "socks", { "connections.tcp.socks-proxy", "unix:/run/socks.sock", NULL }, FURLHINT_PARSE_CARRY,
    "tcp:1.2.3.4:80", "SOCKS5 proxy unix:/run/socks.sock → 1.2.3.4:80" },
  { "tor", { "connections.tor.socks-proxy", "", NULL }, FURLHINT_PARSE_NATIVE,
    "tor:3g2upl4pq6kufc4m.onion:80", "Tor (default SOCKS port 9050, then 9150) → 3g2upl4pq6kufc4m.onion:80" },
  { "tor", { NULL }, FURLHINT_PARSE_CARRY,
    "tcp:example.org:80", "Tor (default SOCKS port 9050, then 9150) → example.org:80" },
  { "tor", { "socks.port", "tcp:127.0.0.1:9050", NULL }, FURLHINT_PARSE_CARRY,
    "tcp:example.org:80", "Tor (SOCKS 127.0.0.1:9050) → example.org:80" },
  { "tor", { "control.port", "unix:/run/tor/control", NULL }, FURLHINT_PARSE_SUFFIX,
    "tcp:x.onion:80", "Tor (control port unix:/run/tor/control, SOCKS port discovered) → x.onion:80" },
  { "tor", { "launch", "true", NULL }, FURLHINT_PARSE_NATIVE,
    "tor:example.org:443", "Tor (launched privately) → example.org:443" },
  { "i2p", { "connections.i2p.sam-api", "", NULL }, FURLHINT_PARSE_NATIVE,
    "i2p:stats.i2p", "I2P (SAM 127.0.0.1:7656) → stats.i2p" },
  { "i2p", { "sam.port", "tcp:127.0.0.1:7000", NULL }, FURLHINT_PARSE_NATIVE,
    "i2p:stats.i2p:1234", "I2P (SAM 127.0.0.1:7000) → stats.i2p:1234" },
  { "i2p", { "enabled", "true", NULL }, FURLHINT_PARSE_SUFFIX,
    "tcp:stats.i2p:80", "I2P (SAM 127.0.0.1:7656) → stats.i2p:80" },
};

static void
test_describe (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (describe_cases); i++)
    {
      const DescribeCase *c = &describe_cases[i];
      Instance inst;
      FurlHintTarget target = { 0 };
      GError *error = NULL;
      gchar *text;

      instance_init_ok (&inst, c->plugin, c->settings);
      inst.desc->parse (inst.state, c->hint, c->mode, &target, &error);
      g_assert_no_error (error);
      text = inst.desc->describe (inst.state, &target);
      g_assert_cmpstr (text, ==, c->text);
      g_free (text);
      target_clear (&target);
      instance_fini (&inst);
    }
}

/* ------------------------------------------------------------------------ */
/* connect: not implemented yet, but asynchronous and cancellable. */

typedef struct {
  GMainContext *context;
  const FurlHintPluginDescriptor *desc;
  gpointer state;
  GError *error;
  GIOStream *stream;
  guint calls;
  gboolean on_right_context;
} ConnectResult;

static void
connect_done (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  ConnectResult *r = user_data;

  g_assert_null (source);
  r->calls++;
  r->on_right_context = g_main_context_get_thread_default () == r->context ||
                        (r->context == g_main_context_default () &&
                         g_main_context_get_thread_default () == NULL);
  r->stream = r->desc->connect_finish (r->state, result, &r->error);
}

static void
ignore_status (const gchar *status,
               gpointer user_data)
{
}

static void
run_connect (const gchar *plugin,
             GCancellable *cancellable,
             gboolean cancel_after_start,
             ConnectResult *r)
{
  /* Every transport points at 127.0.0.1:1, where nothing listens: the
   * attempt fails at once and nothing can leave the machine (a default
   * Tor port could reach a real Tor running on the host). */
  static const gchar *const settings[] = {
    "connections.tcp.socks-proxy", "tcp:127.0.0.1:1",
    "connections.tor.socks-proxy", "tcp:127.0.0.1:1",
    "connections.i2p.sam-api", "tcp:127.0.0.1:1",
    NULL
  };
  const gchar *hint = g_str_equal (plugin, "i2p") ? "i2p:stats.i2p" : "tcp:127.0.0.1:1";
  FurlHintParseMode mode = g_str_equal (plugin, "tcp") || g_str_equal (plugin, "i2p")
                             ? FURLHINT_PARSE_NATIVE : FURLHINT_PARSE_CARRY;
  FurlHintConnectArgs args = { 0 };
  FurlHintTarget target = { 0 };
  Instance inst;

  /* tor refuses 127.0.0.1; give it a public name (never looked up). */
  if (g_str_equal (plugin, "tor"))
    hint = "tcp:example.org:80";

  instance_init_ok (&inst, plugin, settings);
  g_assert_true (inst.desc->parse (inst.state, hint, mode, &target, NULL));

  memset (r, 0, sizeof *r);
  r->context = g_main_context_new ();
  r->desc = inst.desc;
  r->state = inst.state;
  args.struct_size = sizeof args;
  args.target = &target;
  args.isolation_key = "klzcmzngbqjnfciylwkq52ebgyerm33l";
  args.status = ignore_status;

  /* The result must arrive on the context that was thread-default when
   * the connect started, not on the global default one. */
  g_main_context_push_thread_default (r->context);
  inst.desc->connect_async (inst.state, &args, cancellable, connect_done, r);
  g_main_context_pop_thread_default (r->context);
  g_assert_cmpuint (r->calls, ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (r->calls, ==, 0);

  if (cancel_after_start)
    g_cancellable_cancel (cancellable);

  g_main_context_push_thread_default (r->context);
  while (r->calls == 0)
    g_main_context_iteration (r->context, TRUE);
  g_main_context_pop_thread_default (r->context);

  g_assert_cmpuint (r->calls, ==, 1);
  g_assert_true (r->on_right_context);
  g_assert_null (r->stream);
  g_main_context_unref (r->context);
  r->context = NULL;
  target_clear (&target);
  instance_fini (&inst);
}

/* With nothing listening, each plugin fails — once, asynchronously, on
 * the caller's context — with a coded error that names the address. */
static void
test_connect_fails_cleanly (void)
{
  for (guint i = 0; bundled[i] != NULL; i++)
    {
      ConnectResult r;

      run_connect (bundled[i], NULL, FALSE, &r);
      g_assert_nonnull (r.error);
      g_assert_true (r.error->domain == FURLHINT_CONNECT_ERROR || r.error->domain == G_IO_ERROR);
      g_assert_false (g_error_matches (r.error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED));
      g_assert_nonnull (strstr (r.error->message, "127.0.0.1"));
      g_clear_error (&r.error);
    }
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_connect_main_loop (void)
{
  static const gchar *const settings[] = { "connections.tor.socks-proxy", "tcp:127.0.0.1:1", NULL };
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  FurlHintConnectArgs args = { 0 };
  FurlHintTarget target = { 0 };
  ConnectResult r = { 0 };
  Instance inst;

  instance_init_ok (&inst, "tor", settings);
  g_assert_true (inst.desc->parse (inst.state, "tor:3g2upl4pq6kufc4m.onion:80",
                                   FURLHINT_PARSE_NATIVE, &target, NULL));
  r.context = g_main_context_default ();
  r.desc = inst.desc;
  r.state = inst.state;
  args.struct_size = sizeof args;
  args.target = &target;
  args.status = ignore_status;
  inst.desc->connect_async (inst.state, &args, NULL, connect_done, &r);
  g_assert_cmpuint (r.calls, ==, 0);
  g_idle_add_full (G_PRIORITY_LOW, quit_loop, loop, NULL);
  g_main_loop_run (loop);
  g_assert_cmpuint (r.calls, ==, 1);
  g_assert_true (r.on_right_context);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
  g_main_loop_unref (loop);
  target_clear (&target);
  instance_fini (&inst);
}

static void
test_connect_cancelled (void)
{
  for (guint i = 0; bundled[i] != NULL; i++)
    {
      for (guint after = 0; after < 2; after++)
        {
          GCancellable *cancellable = g_cancellable_new ();
          ConnectResult r;

          if (!after)
            g_cancellable_cancel (cancellable);
          run_connect (bundled[i], cancellable, after, &r);
          g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_clear_error (&r.error);
          g_object_unref (cancellable);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Through the library: loader, registry, tahoe.cfg. */

static FurlHintContext *
context_for (const gchar *cfg)
{
  FurlHintConfig *config = NULL;
  FurlHintContext *ctx;
  GPtrArray *errors;
  GError *error = NULL;
  guint n;

  if (cfg != NULL)
    {
      config = furlhint_config_load_data (cfg, -1, "test.cfg", &error);
      g_assert_no_error (error);
    }
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  n = furlhint_context_load_plugins (ctx);
  errors = furlhint_context_get_plugin_errors (ctx);
  for (guint i = 0; i < errors->len; i++)
    g_test_message ("plugin error: %s", ((GError *) g_ptr_array_index (errors, i))->message);
  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_cmpuint (n, ==, 4);
  return ctx;
}

static void
test_context_load (void)
{
  FurlHintContext *ctx = context_for (NULL);
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  FurlHintPlugin *tcp, *socks, *tor, *i2p;
  FurlHintTarget target = { 0 };
  GError *error = NULL;
  gchar *text;

  g_assert_cmpuint (plugins->len, ==, 4);
  tcp = furlhint_context_find_plugin (ctx, "tcp");
  socks = furlhint_context_find_plugin (ctx, "socks");
  tor = furlhint_context_find_plugin (ctx, "tor");
  i2p = furlhint_context_find_plugin (ctx, "i2p");
  g_assert_nonnull (tcp);
  g_assert_nonnull (socks);
  g_assert_nonnull (tor);
  g_assert_nonnull (i2p);

  g_assert_true (furlhint_context_find_plugin_for_prefix (ctx, "tcp") == tcp);
  g_assert_true (furlhint_context_find_plugin_for_prefix (ctx, "tor") == tor);
  g_assert_true (furlhint_context_find_plugin_for_prefix (ctx, "i2p") == i2p);
  g_assert_null (furlhint_context_find_plugin_for_prefix (ctx, "socks"));
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "abc.ONION") == tor);
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "stats.i2p") == i2p);
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "example.org"));

  g_assert_cmpstr (furlhint_plugin_get_name (tcp), ==, "tcp");
  g_assert_cmpstr (furlhint_plugin_get_version (tor), ==, FURLHINT_VERSION);
  g_assert_cmpstr (furlhint_plugin_get_prefixes (tcp)[0], ==, "tcp");
  g_assert_null (furlhint_plugin_get_prefixes (tcp)[1]);
  g_assert_null (furlhint_plugin_get_prefixes (socks)[0]);
  g_assert_null (furlhint_plugin_get_host_suffixes (tcp)[0]);
  g_assert_null (furlhint_plugin_get_host_suffixes (socks)[0]);
  g_assert_cmpstr (furlhint_plugin_get_host_suffixes (tor)[0], ==, ".onion");
  g_assert_cmpstr (furlhint_plugin_get_host_suffixes (i2p)[0], ==, ".i2p");
  g_assert_cmpint (furlhint_plugin_get_anon_class (tcp), ==, FURLHINT_ANON_CLEAR);
  g_assert_cmpint (furlhint_plugin_get_anon_class (socks), ==, FURLHINT_ANON_PROXIED);
  g_assert_cmpint (furlhint_plugin_get_anon_class (tor), ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_cmpint (furlhint_plugin_get_anon_class (i2p), ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_false (furlhint_plugin_can_carry_tcp (tcp));
  g_assert_true (furlhint_plugin_can_carry_tcp (socks));
  g_assert_true (furlhint_plugin_can_carry_tcp (tor));
  g_assert_false (furlhint_plugin_can_carry_tcp (i2p));

  /* Defaults: only direct TCP is configured. */
  g_assert_true (furlhint_plugin_is_configured (tcp));
  g_assert_false (furlhint_plugin_is_configured (socks));
  g_assert_false (furlhint_plugin_is_configured (tor));
  g_assert_false (furlhint_plugin_is_configured (i2p));

  /* The library's parse wrapper sees the same targets. */
  g_assert_true (furlhint_plugin_parse (tor, "tcp:x.onion:80", FURLHINT_PARSE_SUFFIX, &target, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target.host, ==, "x.onion");
  g_assert_cmpint (target.host_kind, ==, FURLHINT_HOST_ONION);
  text = furlhint_plugin_describe (tor, &target);
  g_assert_cmpstr (text, ==, "Tor (default SOCKS port 9050, then 9150) → x.onion:80");
  g_free (text);
  furlhint_target_clear (&target);
  g_assert_false (furlhint_plugin_parse (tcp, "tcp:example.org:0", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_PORT);
  g_clear_error (&error);

  furlhint_context_unref (ctx);
}

typedef struct {
  const gchar *cfg;
  gboolean socks, tor, i2p;
} ContextConfigCase;

static const ContextConfigCase context_config_cases[] = {
  { "[node]\nnickname = x\n", FALSE, FALSE, FALSE },
  { "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n", TRUE, FALSE, FALSE },
  { "[connections]\ntor.socks-proxy =\n", FALSE, TRUE, FALSE },
  { "[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\n", FALSE, TRUE, FALSE },
  { "[connections]\ntcp = tor\n", FALSE, TRUE, FALSE },
  { "[connections]\ntcp = tcp\n", FALSE, FALSE, FALSE },
  { "[tor]\nsocks.port = tcp:127.0.0.1:9050\n", FALSE, TRUE, FALSE },
  { "[tor]\ncontrol.port = tcp:127.0.0.1:9051\n", FALSE, TRUE, FALSE },
  { "[tor]\nlaunch = True\n", FALSE, TRUE, FALSE },
  { "[tor]\nlaunch = false\n", FALSE, FALSE, FALSE },
  { "[tor]\nenabled = yes\n", FALSE, TRUE, FALSE },
  { "[tor]\nenabled = false\nsocks.port = tcp:127.0.0.1:9050\n", FALSE, FALSE, FALSE },
  { "[connections]\ni2p.sam-api =\n", FALSE, FALSE, TRUE },
  { "[i2p]\nsam.port = tcp:127.0.0.1:7656\n", FALSE, FALSE, TRUE },
  { "[i2p]\nenabled = true\n", FALSE, FALSE, TRUE },
  { "[connections]\ntor.socks-proxy =\ntcp.socks-proxy = tcp:127.0.0.1:1080\n"
    "i2p.sam-api = tcp:127.0.0.1:7656\n", TRUE, TRUE, TRUE },
};

static void
test_context_configured (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (context_config_cases); i++)
    {
      const ContextConfigCase *c = &context_config_cases[i];
      FurlHintContext *ctx = context_for (c->cfg);

      g_test_message ("config: %s", c->cfg);
      g_assert_true (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "tcp")));
      g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "socks")), ==, c->socks);
      g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "tor")), ==, c->tor);
      g_assert_cmpint (furlhint_plugin_is_configured (furlhint_context_find_plugin (ctx, "i2p")), ==, c->i2p);
      furlhint_context_unref (ctx);
    }
}

/* Two contexts with different settings at once: plugin state is per
 * context, nothing global. */
static void
test_two_contexts (void)
{
  FurlHintContext *a = context_for ("[tor]\nsocks.port = tcp:127.0.0.1:9050\n");
  FurlHintContext *b = context_for ("[tor]\nsocks.port = tcp:127.0.0.1:9150\n");
  FurlHintTarget target = { 0 };
  gchar *text;

  g_assert_true (furlhint_plugin_parse (furlhint_context_find_plugin (a, "tor"), "tor:x.onion:80",
                                        FURLHINT_PARSE_NATIVE, &target, NULL));
  text = furlhint_plugin_describe (furlhint_context_find_plugin (a, "tor"), &target);
  g_assert_cmpstr (text, ==, "Tor (SOCKS 127.0.0.1:9050) → x.onion:80");
  g_free (text);
  text = furlhint_plugin_describe (furlhint_context_find_plugin (b, "tor"), &target);
  g_assert_cmpstr (text, ==, "Tor (SOCKS 127.0.0.1:9150) → x.onion:80");
  g_free (text);
  furlhint_context_unref (a);
  text = furlhint_plugin_describe (furlhint_context_find_plugin (b, "tor"), &target);
  g_assert_cmpstr (text, ==, "Tor (SOCKS 127.0.0.1:9150) → x.onion:80");
  g_free (text);
  furlhint_target_clear (&target);
  furlhint_context_unref (b);
}

/* ------------------------------------------------------------------------ */

int
main (int argc,
      char **argv)
{
  gint status;

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("FURLHINT_PLUGIN_DIR") == NULL)
    {
      g_printerr ("FURLHINT_PLUGIN_DIR is not set (run through make check)\n");
      return 77;
    }
  modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, close_module);

  g_test_add_func ("/plugins/json-reader", test_json_reader);
  g_test_add_func ("/plugins/descriptors", test_descriptors);
  g_test_add_func ("/plugins/single-export", test_single_export);
  g_test_add_data_func ("/plugins/corpus/tcp/native", &corpus_cases[0], test_corpus);
  g_test_add_data_func ("/plugins/corpus/socks/carry", &corpus_cases[1], test_corpus);
  g_test_add_data_func ("/plugins/corpus/tor/native", &corpus_cases[2], test_corpus);
  g_test_add_data_func ("/plugins/corpus/tor/carry", &corpus_cases[3], test_corpus);
  g_test_add_data_func ("/plugins/corpus/tor/carry-unconfigured", &corpus_cases[4], test_corpus);
  g_test_add_data_func ("/plugins/corpus/i2p/native", &corpus_cases[5], test_corpus);
  g_test_add_func ("/plugins/parse/cases", test_parse_cases);
  g_test_add_func ("/plugins/init/configured", test_configured);
  g_test_add_func ("/plugins/init/anonymous-log", test_anonymous_log);
  g_test_add_func ("/plugins/init/errors", test_init_errors);
  g_test_add_func ("/plugins/init/endpoints-anonymous", test_init_endpoints_anonymous);
  g_test_add_func ("/plugins/init/bad-args", test_init_bad_args);
  g_test_add_func ("/plugins/init/i2p-zero-hop", test_i2p_zero_hop);
  g_test_add_func ("/plugins/socks/secret", test_socks_secret);
  g_test_add_func ("/plugins/describe", test_describe);
  g_test_add_func ("/plugins/connect/fails-cleanly", test_connect_fails_cleanly);
  g_test_add_func ("/plugins/connect/main-loop", test_connect_main_loop);
  g_test_add_func ("/plugins/connect/cancelled", test_connect_cancelled);
  g_test_add_func ("/plugins/context/load", test_context_load);
  g_test_add_func ("/plugins/context/configured", test_context_configured);
  g_test_add_func ("/plugins/context/two-contexts", test_two_contexts);

  status = g_test_run ();
  g_hash_table_unref (modules);
  return status;
}
