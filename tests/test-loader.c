/* Tests for the plugin loader, the descriptor checks and the registry.
 *
 * Tests that dlopen modules run in a subprocess (g_test_trap_subprocess),
 * so that a broken module cannot poison the other tests. Set
 * FURLHINT_TEST_INLINE=1 to run them in-process (for valgrind, which does
 * not follow the re-executed children by default).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include <furlhint/furlhint.h>

/* --- helpers ---------------------------------------------------------------- */

typedef struct {
  GPtrArray *messages;   /* (element-type utf8) */
  guint destroyed;
} LogCapture;

static void
capture_log (GLogLevelFlags level,
             const gchar *message,
             gpointer user_data)
{
  LogCapture *capture = user_data;

  g_ptr_array_add (capture->messages, g_strdup (message));
}

static void
capture_destroy (gpointer user_data)
{
  LogCapture *capture = user_data;

  capture->destroyed++;
}

static void
capture_init (LogCapture *capture)
{
  capture->messages = g_ptr_array_new_with_free_func (g_free);
  capture->destroyed = 0;
}

static void
capture_clear (LogCapture *capture)
{
  g_clear_pointer (&capture->messages, g_ptr_array_unref);
}

static guint
capture_count (LogCapture *capture,
               const gchar *message)
{
  guint i, n = 0;

  for (i = 0; i < capture->messages->len; i++)
    {
      if (g_str_equal (g_ptr_array_index (capture->messages, i), message))
        n++;
    }
  return n;
}

static gboolean
capture_has_prefix (LogCapture *capture,
                    const gchar *prefix)
{
  guint i;

  for (i = 0; i < capture->messages->len; i++)
    {
      if (g_str_has_prefix (g_ptr_array_index (capture->messages, i), prefix))
        return TRUE;
    }
  return FALSE;
}

static FurlHintContext *
new_context (LogCapture *capture)
{
  FurlHintContext *ctx = furlhint_context_new (NULL);

  if (capture != NULL)
    furlhint_context_set_logger (ctx, capture_log, capture, capture_destroy);
  return ctx;
}

static const gchar *
test_plugin_dir (void)
{
  static gchar *dir;

  if (dir == NULL)
    {
      const gchar *env = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");

      dir = env != NULL ? g_strdup (env) : g_test_build_filename (G_TEST_BUILT, "plugins", NULL);
    }
  return dir;
}

static gchar *
test_plugin (const gchar *name)
{
  g_autofree gchar *file = g_strconcat (name, ".la", NULL);

  return g_build_filename (test_plugin_dir (), file, NULL);
}

/* tests/loader-plugins, beside tests/plugins: plugins for the loader's
 * own tests that the directory tests must not see. */
static gchar *
loader_plugin (const gchar *file)
{
  g_autofree gchar *parent = g_path_get_dirname (test_plugin_dir ());

  return g_build_filename (parent, "loader-plugins", file, NULL);
}

static void
assert_message_contains (const GError *error,
                         const gchar *part)
{
  if (strstr (error->message, part) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, part);
}

static void
assert_message_lacks (const GError *error,
                      const gchar *part)
{
  if (strstr (error->message, part) != NULL)
    g_error ("message '%s' says '%s'", error->message, part);
}

/* The shared object libtool built for a test plugin (for tests that need
 * a bare .so). */
static gchar *
test_plugin_so (const gchar *name)
{
  g_autofree gchar *file = g_strconcat (name, ".so", NULL);

  return g_build_filename (test_plugin_dir (), ".libs", file, NULL);
}

static void
copy_file (const gchar *from,
           const gchar *to)
{
  g_autofree gchar *contents = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, len, &error);
  g_assert_no_error (error);
}

static void
write_file (const gchar *path,
            const gchar *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const gchar *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_remove (path);
    }
  g_rmdir (dir);
}

static gchar *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("furlhint-loader-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
assert_plugin_error (const GError *error,
                     FurlHintPluginError code,
                     const gchar *must_contain_1,
                     const gchar *must_contain_2)
{
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, (gint) code);
  if (must_contain_1 != NULL && strstr (error->message, must_contain_1) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, must_contain_1);
  if (must_contain_2 != NULL && strstr (error->message, must_contain_2) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, must_contain_2);
}

/* Runs @data (a test function) in a subprocess, unless FURLHINT_TEST_INLINE
 * is set. */
static void
run_isolated (gconstpointer data)
{
  void (*func) (void) = (void (*) (void)) data;

  if (g_test_subprocess () || g_getenv ("FURLHINT_TEST_INLINE") != NULL)
    {
      func ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
add_isolated (const gchar *path,
              void (*func) (void))
{
  g_test_add_data_func (path, (gconstpointer) func, run_isolated);
}

/* --- a good plugin from a file --------------------------------------------- */

static void
test_good_plugin (void)
{
  LogCapture capture;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = test_plugin ("good_test");
  FurlHintContext *ctx;
  FurlHintPlugin *plugin;
  FurlHintTarget target;
  g_autofree gchar *description = NULL;
  const FurlHintPluginDescriptor *desc;
  const gchar *const *prefixes;
  const gchar *const *suffixes;

  capture_init (&capture);
  ctx = new_context (&capture);

  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 1);
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 0);

  plugin = g_ptr_array_index (furlhint_context_get_plugins (ctx), 0);
  g_assert_cmpstr (furlhint_plugin_get_name (plugin), ==, "good_test");
  g_assert_cmpstr (furlhint_plugin_get_version (plugin), ==, "1.0");
  g_assert_cmpstr (furlhint_plugin_get_description (plugin), ==, "test plugin that loads");
  g_assert_cmpstr (furlhint_plugin_get_origin (plugin), ==, path);
  prefixes = furlhint_plugin_get_prefixes (plugin);
  g_assert_cmpstrv (prefixes, ((const gchar *const[]) { "testproto", NULL }));
  suffixes = furlhint_plugin_get_host_suffixes (plugin);
  g_assert_cmpstrv (suffixes, ((const gchar *const[]) { ".testnet", NULL }));
  g_assert_cmpint (furlhint_plugin_get_anon_class (plugin), ==, FURLHINT_ANON_CLEAR);
  g_assert_false (furlhint_plugin_can_carry_tcp (plugin));
  g_assert_true (furlhint_plugin_is_configured (plugin));

  g_assert_true (furlhint_context_find_plugin (ctx, "good_test") == plugin);
  g_assert_true (furlhint_context_find_plugin_for_prefix (ctx, "testproto") == plugin);
  g_assert_null (furlhint_context_find_plugin_for_prefix (ctx, "tcp"));
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "x.testnet") == plugin);
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "testnet"));

  /* init got the plugin's settings and the mode, and its log goes through
   * the context's logger with the plugin's name in front. */
  g_assert_cmpuint (capture_count (&capture, "good_test: init: anonymous=0"), ==, 1);

  g_assert_true (furlhint_plugin_parse (plugin, "testproto:example.org:1234",
                                        FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target.host, ==, "example.org");
  g_assert_cmpuint (target.port, ==, 1234);
  g_assert_cmpint (target.host_kind, ==, FURLHINT_HOST_DNS);
  g_assert_cmpstr (target.hint, ==, "testproto:example.org:1234");
  description = furlhint_plugin_describe (plugin, &target);
  g_assert_cmpstr (description, ==, "testproto to example.org:1234");
  g_clear_pointer (&description, g_free);

  /* The descriptor as the module wrote it and init's state, for callers
   * that call the plugin themselves (furlhint-plugin-check). */
  desc = furlhint_plugin_get_descriptor (plugin);
  g_assert_nonnull (desc);
  g_assert_cmpuint (desc->abi_version, ==, FURLHINT_PLUGIN_ABI_VERSION);
  g_assert_cmpuint (desc->struct_size, ==, sizeof (FurlHintPluginDescriptor));
  g_assert_cmpstr (desc->name, ==, "good_test");
  g_assert_true (desc->prefixes == furlhint_plugin_get_prefixes (plugin));
  g_assert_nonnull (furlhint_plugin_get_state (plugin));
  description = desc->describe (furlhint_plugin_get_state (plugin), &target);
  g_assert_cmpstr (description, ==, "testproto to example.org:1234");
  furlhint_target_clear (&target);
  g_assert_null (target.host);

  g_assert_false (furlhint_plugin_parse (plugin, "testproto:example.org:0",
                                         FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED);
  g_assert_cmpstr (error->message, ==,
                   "unrecognized testproto hint 'testproto:example.org:0'; "
                   "expected testproto:HOST:PORT with PORT 1-65535");
  g_assert_null (target.host);
  g_clear_error (&error);

  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 0);
  furlhint_context_ref (ctx);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 0);
  g_assert_cmpuint (capture.destroyed, ==, 0);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  g_assert_cmpuint (capture.destroyed, ==, 1);
  capture_clear (&capture);
}

static void
test_good_plugin_anonymous (void)
{
  LogCapture capture;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = test_plugin ("good_test");
  FurlHintConfig *config = furlhint_config_new ();
  FurlHintContext *ctx;

  furlhint_config_set_anonymous (config, TRUE);
  ctx = furlhint_context_new (config);
  g_assert_true (furlhint_context_get_config (ctx) == config);
  furlhint_config_unref (config);

  capture_init (&capture);
  furlhint_context_set_logger (ctx, capture_log, &capture, NULL);
  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (capture_count (&capture, "good_test: init: anonymous=1"), ==, 1);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  capture_clear (&capture);
}

/* init sees its own section as-is and [connections] as "connections.KEY",
 * and can declare itself unconfigured. */
static void
test_good_plugin_settings (void)
{
  LogCapture capture;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = test_plugin ("good_test");
  FurlHintConfig *config;
  FurlHintContext *ctx;
  FurlHintPlugin *plugin;

  config = furlhint_config_load_data ("[good_test]\nenabled = false\n"
                                      "[connections]\ntcp = tcp\n",
                                      -1, "test.cfg", &error);
  g_assert_no_error (error);
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);

  capture_init (&capture);
  furlhint_context_set_logger (ctx, capture_log, &capture, NULL);
  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
  plugin = furlhint_context_find_plugin (ctx, "good_test");
  g_assert_nonnull (plugin);
  g_assert_false (furlhint_plugin_is_configured (plugin));
  g_assert_cmpuint (capture_count (&capture, "good_test: init: anonymous=0 "
                                   "connections.tcp=tcp enabled=false"), ==, 1);
  furlhint_context_unref (ctx);
  capture_clear (&capture);
}

/* --- plugins broken in one way ------------------------------------------- */

typedef struct {
  const gchar *file;
  const gchar *prefix;
  FurlHintPluginError code;
  const gchar *reason;         /* must appear in the message */
} FaultCase;

static const FaultCase fault_cases[] = {
  { "bad_abi", "badabi", FURLHINT_PLUGIN_ERROR_ABI_VERSION,
    "was built for furlhint plugin ABI version 999, but this furlhint (" FURLHINT_VERSION ") loads only ABI version 1" },
  { "short_struct", "shortstruct", FURLHINT_PLUGIN_ERROR_STRUCT_SIZE,
    "its descriptor is 8 bytes, but plugin ABI version 1 needs at least" },
  { "no_symbol", "nosymbol", FURLHINT_PLUGIN_ERROR_NO_SYMBOL,
    "exports no descriptor: neither 'no_symbol_LTX_furlhint_plugin_descriptor' nor 'furlhint_plugin_descriptor' was found" },
  { "no_callback", "nocallback", FURLHINT_PLUGIN_ERROR_INVALID,
    "has no parse callback; every plugin must provide init, parse, connect_async, connect_finish and describe" },
  { "init_fails", "initfails", FURLHINT_PLUGIN_ERROR_INIT,
    "failed to initialise: refusing to start: this plugin always fails" },
};

static void
check_fault (const FaultCase *fc)
{
  LogCapture capture;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = test_plugin (fc->file);
  g_autofree gchar *good = test_plugin ("good_test");
  FurlHintContext *ctx;
  GPtrArray *errors;
  const GError *recorded;

  capture_init (&capture);
  ctx = new_context (&capture);

  /* A plugin loaded before the broken one stays. */
  g_assert_true (furlhint_context_load_plugin_file (ctx, good, &error));
  g_assert_no_error (error);

  g_assert_false (furlhint_context_load_plugin_file (ctx, path, &error));
  assert_plugin_error (error, fc->code, path, fc->reason);

  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 1);
  g_assert_null (furlhint_context_find_plugin (ctx, fc->file));
  g_assert_null (furlhint_context_find_plugin_for_prefix (ctx, fc->prefix));
  g_assert_nonnull (furlhint_context_find_plugin_for_prefix (ctx, "testproto"));

  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 1);
  recorded = g_ptr_array_index (errors, 0);
  g_assert_true (g_error_matches (recorded, error->domain, error->code));
  g_assert_cmpstr (recorded->message, ==, error->message);
  /* ... and the logger heard about it. */
  g_assert_cmpuint (capture_count (&capture, error->message), ==, 1);

  /* A second attempt fails the same way: nothing of the first is left. */
  g_clear_error (&error);
  g_assert_false (furlhint_context_load_plugin_file (ctx, path, NULL));
  g_assert_cmpuint (errors->len, ==, 2);

  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  capture_clear (&capture);
}

static const FaultCase *current_fault;

static void
run_fault (void)
{
  check_fault (current_fault);
}

static void
test_fault (gconstpointer data)
{
  current_fault = data;
  run_isolated ((gconstpointer) run_fault);
}

/* The first plugin to claim a prefix keeps it; the second is refused and
 * reported, whichever order they come in. */
static void
test_duplicate_prefix (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *good = test_plugin ("good_test");
  g_autofree gchar *dup = test_plugin ("dup_prefix");
  g_autofree gchar *expected = NULL;
  FurlHintContext *ctx;
  FurlHintPlugin *owner;

  ctx = new_context (NULL);
  g_assert_true (furlhint_context_load_plugin_file (ctx, good, &error));
  g_assert_false (furlhint_context_load_plugin_file (ctx, dup, &error));
  expected = g_strdup_printf ("prefix 'testproto' of plugin 'dup_prefix' (%s) is "
                              "already handled by plugin 'good_test' (%s); the "
                              "first loaded wins", dup, good);
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpstr (error->message, ==, expected);
  owner = furlhint_context_find_plugin_for_prefix (ctx, "testproto");
  g_assert_cmpstr (furlhint_plugin_get_name (owner), ==, "good_test");
  g_assert_null (furlhint_context_find_plugin (ctx, "dup_prefix"));
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 1);
  furlhint_context_unref (ctx);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  ctx = new_context (NULL);
  g_assert_true (furlhint_context_load_plugin_file (ctx, dup, &error));
  g_assert_false (furlhint_context_load_plugin_file (ctx, good, &error));
  expected = g_strdup_printf ("prefix 'testproto' of plugin 'good_test' (%s) is "
                              "already handled by plugin 'dup_prefix' (%s); the "
                              "first loaded wins", good, dup);
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpstr (error->message, ==, expected);
  owner = furlhint_context_find_plugin_for_prefix (ctx, "testproto");
  g_assert_cmpstr (furlhint_plugin_get_name (owner), ==, "dup_prefix");
  furlhint_context_unref (ctx);
}

static void
test_duplicate_name (void)
{
  LogCapture capture;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *good = test_plugin ("good_test");
  g_autofree gchar *expected = NULL;
  FurlHintContext *ctx;

  capture_init (&capture);
  ctx = new_context (&capture);
  g_assert_true (furlhint_context_load_plugin_file (ctx, good, &error));
  g_assert_false (furlhint_context_load_plugin_file (ctx, good, &error));
  expected = g_strdup_printf ("plugin 'good_test' (%s) is already loaded from %s; "
                              "the first loaded wins", good, good);
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 1);
  /* init ran once, fini runs once. */
  g_assert_cmpuint (capture_count (&capture, "good_test: init: anonymous=0"), ==, 1);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  capture_clear (&capture);
}

/* Two contexts load the same module: each has its own state and fini. */
static void
test_two_contexts (void)
{
  LogCapture capture;
  g_autofree gchar *good = test_plugin ("good_test");
  FurlHintContext *a, *b;

  capture_init (&capture);
  a = new_context (&capture);
  b = furlhint_context_new (NULL);
  furlhint_context_set_logger (b, capture_log, &capture, NULL);
  g_assert_true (furlhint_context_load_plugin_file (a, good, NULL));
  g_assert_true (furlhint_context_load_plugin_file (b, good, NULL));
  furlhint_context_unref (a);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  g_assert_nonnull (furlhint_context_find_plugin_for_prefix (b, "testproto"));
  furlhint_context_unref (b);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 2);
  capture_clear (&capture);
}

/* --- files that are not plugins ------------------------------------------- */

static void
test_open_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *missing = g_build_filename (dir, "missing.la", NULL);
  g_autofree gchar *text_so = g_build_filename (dir, "notes.so", NULL);
  g_autofree gchar *text_la = g_build_filename (dir, "notes.la", NULL);
  g_autofree gchar *expected = NULL;
  FurlHintContext *ctx = new_context (NULL);

  /* Longer than an ELF header, so that the dynamic linker reads one. */
  write_file (text_so, "this is not a shared object, whatever its name says; "
              "it is a text file of more than sixty-four bytes\n");
  write_file (text_la, "neither is this a libtool archive\n");

  g_assert_false (furlhint_context_load_plugin_file (ctx, missing, &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot open plugin ", missing);
  g_assert_nonnull (strstr (error->message, "file not found"));
  g_clear_error (&error);

  g_assert_false (furlhint_context_load_plugin_file (ctx, dir, &error));
  expected = g_strdup_printf ("cannot open plugin %s: it is a directory; give the "
                              "path of a .la or .so module, or load the directory "
                              "with furlhint_context_load_plugin_dir()", dir);
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* A file that is there is not "not found": the dynamic linker's reason. */
  g_assert_false (furlhint_context_load_plugin_file (ctx, text_so, &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot open plugin ", text_so);
  assert_message_contains (error, "invalid ELF header");
  assert_message_lacks (error, "not found");
  g_clear_error (&error);

  g_assert_false (furlhint_context_load_plugin_file (ctx, text_la, &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot open plugin ", text_la);
  assert_message_contains (error, "is not a libtool module: it names no shared object");
  assert_message_lacks (error, "not found");
  g_clear_error (&error);

  g_assert_false (furlhint_context_load_plugin_file (ctx, "", &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "empty file name", NULL);
  g_clear_error (&error);

  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 0);
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 5);
  furlhint_context_unref (ctx);
  remove_tree (dir);
}

/* A plugin that links a library which is not installed: the loader names
 * the library, whether the plugin is given as its .la, its .so, a copy of
 * the .so elsewhere, or a name without extension. */
static void
test_open_missing_dependency (void)
{
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *la = loader_plugin ("needs_gone.la");
  g_autofree gchar *bare = loader_plugin ("needs_gone");
  g_autofree gchar *so = loader_plugin (".libs/needs_gone.so");
  g_autofree gchar *copy = g_build_filename (dir, "needs_gone.so", NULL);
  const gchar *paths[4];
  FurlHintContext *ctx = new_context (NULL);
  gsize i;

  copy_file (so, copy);
  paths[0] = la;
  paths[1] = bare;
  paths[2] = so;
  paths[3] = copy;
  for (i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (furlhint_context_load_plugin_file (ctx, paths[i], &error));
      assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot open plugin ", paths[i]);
      assert_message_contains (error, "libfh_gone.so: cannot open shared object file");
      assert_message_lacks (error, "file not found");
      /* Through the .la: which of its files does not load. */
      if (i < 2)
        assert_message_contains (error, "its shared object ");
    }
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 0);
  furlhint_context_unref (ctx);
  remove_tree (dir);
}

/* A .la moved away from the shared object it names: say where it was
 * looked for. */
static void
test_open_la_without_object (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *la = loader_plugin ("macro_name.la");
  g_autofree gchar *copy = g_build_filename (dir, "macro_name.la", NULL);
  g_autofree gchar *expected = NULL;
  FurlHintContext *ctx = new_context (NULL);

  copy_file (la, copy);
  g_assert_false (furlhint_context_load_plugin_file (ctx, copy, &error));
  expected = g_strdup_printf ("the shared object %s names, 'macro_name.so', is not in "
                              "%s/.libs or %s", copy, dir, dir);
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, expected, NULL);
  furlhint_context_unref (ctx);
  remove_tree (dir);
}

/* libltdl looks a name without a directory up in its search path; a
 * module in the current directory is "not found", and the message says
 * how to name it. */
static void
test_open_bare_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *so = test_plugin_so ("good_test");
  g_autofree gchar *copy = g_build_filename (dir, "good_test.so", NULL);
  g_autofree gchar *cwd = g_get_current_dir ();
  FurlHintContext *ctx = new_context (NULL);

  copy_file (so, copy);
  g_assert_cmpint (g_chdir (dir), ==, 0);
  g_assert_false (furlhint_context_load_plugin_file (ctx, "good_test.so", &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "write ./good_test.so", NULL);
  g_clear_error (&error);
  g_assert_true (furlhint_context_load_plugin_file (ctx, "./good_test.so", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  furlhint_context_unref (ctx);
  remove_tree (dir);
}

/* FURLHINT_PLUGIN_DEFINE (MACRO) exports the name MACRO expands to
 * (tests/loader-plugins/macro_name.c). */
static void
test_define_through_macro (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = loader_plugin ("macro_name.la");
  FurlHintContext *ctx = new_context (NULL);

  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "macro_name"));
  furlhint_context_unref (ctx);
}

/* A name without extension is completed by libltdl (".la", then ".so"). */
static void
test_open_without_extension (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_build_filename (test_plugin_dir (), "good_test", NULL);
  FurlHintContext *ctx = new_context (NULL);

  g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_plugin_get_origin (furlhint_context_find_plugin (ctx, "good_test")),
                   ==, path);
  furlhint_context_unref (ctx);
}

static void
test_dir_empty_and_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *missing = g_build_filename (dir, "nope", NULL);
  g_autofree gchar *file = g_build_filename (dir, "file", NULL);
  FurlHintContext *ctx = new_context (NULL);

  g_assert_true (furlhint_context_load_plugin_dir (ctx, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 0);
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 0);

  g_assert_false (furlhint_context_load_plugin_dir (ctx, missing, &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot read plugin directory ", missing);
  g_clear_error (&error);

  write_file (file, "x");
  g_assert_false (furlhint_context_load_plugin_dir (ctx, file, &error));
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot read plugin directory ", file);
  g_clear_error (&error);

  furlhint_context_unref (ctx);
  remove_tree (dir);
}

/* Non-module files are skipped silently; a .so that is not a module is
 * an error for that file only; a .so beside its .la is loaded once. */
static void
test_dir_mixed (void)
{
  LogCapture capture;
  g_autofree gchar *dir = make_temp_dir ();
  g_autofree gchar *so = test_plugin_so ("good_test");
  g_autofree gchar *good_so = g_build_filename (dir, "good_test.so", NULL);
  g_autofree gchar *good_la = g_build_filename (dir, "good_test.la", NULL);
  g_autofree gchar *la_text = NULL;
  g_autofree gchar *sub = g_build_filename (dir, "sub.so", NULL);
  g_autofree gchar *junk = g_build_filename (dir, "junk.so", NULL);
  g_autofree gchar *readme = g_build_filename (dir, "README", NULL);
  g_autofree gchar *archive = g_build_filename (dir, "good_test.a", NULL);
  g_autofree gchar *hidden = g_build_filename (dir, ".hidden.so", NULL);
  FurlHintContext *ctx;
  GPtrArray *errors;
  const GError *error;

  copy_file (so, good_so);
  la_text = g_strdup_printf ("# good_test.la - a libtool library file\n"
                             "dlname='good_test.so'\n"
                             "library_names='good_test.so'\n"
                             "old_library=''\n"
                             "dependency_libs=''\n"
                             "installed=yes\n"
                             "shouldnotlink=yes\n"
                             "libdir='%s'\n", dir);
  write_file (good_la, la_text);
  write_file (junk, "not a module");
  write_file (readme, "read me");
  write_file (archive, "!<arch>\n");
  write_file (hidden, "hidden");
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);

  capture_init (&capture);
  ctx = new_context (&capture);
  g_assert_true (furlhint_context_load_plugin_dir (ctx, dir, NULL));
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 1);
  g_assert_cmpstr (furlhint_plugin_get_origin (g_ptr_array_index (furlhint_context_get_plugins (ctx), 0)),
                   ==, good_la);
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 1);
  error = g_ptr_array_index (errors, 0);
  assert_plugin_error (error, FURLHINT_PLUGIN_ERROR_OPEN, "cannot open plugin ", junk);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  capture_clear (&capture);

  /* Without the .la, the .so is loaded directly. */
  g_remove (good_la);
  ctx = new_context (NULL);
  g_assert_true (furlhint_context_load_plugin_dir (ctx, dir, NULL));
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 1);
  g_assert_cmpstr (furlhint_plugin_get_origin (g_ptr_array_index (furlhint_context_get_plugins (ctx), 0)),
                   ==, good_so);
  furlhint_context_unref (ctx);

  remove_tree (dir);
}

/* The test plugins' directory, in name order: dup_prefix comes before
 * good_test and so owns "testproto"; every broken plugin is reported.
 * The hostile_* plugins there (tests/test-hostile-plugins.c) and lax_anon
 * (tests/test-rank.c) are valid descriptors that misbehave only when
 * used, so they load. */
static void
test_dir_test_plugins (void)
{
  static const struct {
    const gchar *file;
    FurlHintPluginError code;
  } expected[] = {
    { "bad_abi", FURLHINT_PLUGIN_ERROR_ABI_VERSION },
    { "good_test", FURLHINT_PLUGIN_ERROR_DUPLICATE },
    { "init_fails", FURLHINT_PLUGIN_ERROR_INIT },
    { "no_callback", FURLHINT_PLUGIN_ERROR_INVALID },
    { "no_symbol", FURLHINT_PLUGIN_ERROR_NO_SYMBOL },
    { "short_struct", FURLHINT_PLUGIN_ERROR_STRUCT_SIZE },
  };
  FurlHintContext *ctx = new_context (NULL);
  GPtrArray *errors;
  gsize i;

  g_assert_true (furlhint_context_load_plugin_dir (ctx, test_plugin_dir (), NULL));
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 8);
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "testproto")),
                   ==, "dup_prefix");
  /* keys appended to the descriptor: declared, or (a plugin built
   * before) none, and it loads all the same */
  g_assert_cmpstr (furlhint_plugin_get_keys (furlhint_context_find_plugin (ctx, "keyed"))[3].key,
                   ==, "token");
  g_assert_null (furlhint_plugin_get_keys (furlhint_context_find_plugin (ctx, "old_abi")));
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "hostile_connect"));
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "hostile_parse"));
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "fake_publisher"));
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "lax_anon"));
  /* (the loader lets its publishes list through; furlhint-plugin-check does not) */
  g_assert_nonnull (furlhint_context_find_plugin (ctx, "odd_publisher"));
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree gchar *path = test_plugin (expected[i].file);

      assert_plugin_error (g_ptr_array_index (errors, i), expected[i].code, path, NULL);
    }
  furlhint_context_unref (ctx);
}

/* The bundled plugins' own lines start with their name ("i2p: not
 * configured ..."): the context says the name once, not twice. */
static void
test_bundled_log_prefix (void)
{
  static const gchar *const names[] = { "tcp", "socks", "tor", "i2p" };
  const gchar *dir = g_getenv ("FURLHINT_PLUGIN_DIR");
  LogCapture capture;
  FurlHintContext *ctx;

  if (dir == NULL || *dir == '\0')
    {
      g_test_skip ("FURLHINT_PLUGIN_DIR is not set (run through make check)");
      return;
    }
  capture_init (&capture);
  ctx = new_context (&capture);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *file = g_strconcat (names[i], ".la", NULL);
      g_autofree gchar *path = g_build_filename (dir, file, NULL);
      g_autofree gchar *twice = g_strdup_printf ("%s: %s: ", names[i], names[i]);
      g_autofree gchar *once = g_strdup_printf ("%s: ", names[i]);

      g_assert_true (furlhint_context_load_plugin_file (ctx, path, &error));
      g_assert_no_error (error);
      g_assert_true (capture_has_prefix (&capture, once));
      g_assert_false (capture_has_prefix (&capture, twice));
    }
  g_assert_cmpuint (capture_count (&capture, "i2p: not configured (nothing in [i2p] or "
                                   "[connections] asks for I2P)"), ==, 1);
  furlhint_context_unref (ctx);
  capture_clear (&capture);
}

/* --- the search path ------------------------------------------------------- */

static void
test_search_path (void)
{
  g_autofree gchar *a = make_temp_dir ();
  g_autofree gchar *b = make_temp_dir ();
  g_autofree gchar *missing = g_build_filename (a, "missing", NULL);
  g_autofree gchar *so_good = test_plugin_so ("good_test");
  g_autofree gchar *so_fail = test_plugin_so ("init_fails");
  g_autofree gchar *copy_good = g_build_filename (a, "good_test.so", NULL);
  g_autofree gchar *copy_fail = g_build_filename (b, "init_fails.so", NULL);
  g_autofree gchar *path = NULL;
  g_autofree gchar *old_dir = g_strdup (g_getenv ("FURLHINT_PLUGIN_DIR"));
  g_autofree gchar *old_path = g_strdup (g_getenv ("FURLHINT_PLUGIN_PATH"));
  FurlHintContext *ctx;
  GPtrArray *errors;

  copy_file (so_good, copy_good);
  copy_file (so_fail, copy_fail);

  /* Empty and missing components are skipped without a word. */
  path = g_strjoin (":", "", missing, a, "", b, "", NULL);
  g_setenv ("FURLHINT_PLUGIN_DIR", "", TRUE);
  g_setenv ("FURLHINT_PLUGIN_PATH", path, TRUE);

  ctx = new_context (NULL);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 1);
  g_assert_cmpstr (furlhint_plugin_get_origin (furlhint_context_find_plugin (ctx, "good_test")),
                   ==, copy_good);
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 1);
  assert_plugin_error (g_ptr_array_index (errors, 0), FURLHINT_PLUGIN_ERROR_INIT, copy_fail, NULL);
  /* Again: everything is a duplicate or fails again, nothing new. */
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 0);
  furlhint_context_unref (ctx);

  /* FURLHINT_PLUGIN_DIR replaces the compiled-in directory and comes
   * before the path; a missing FURLHINT_PLUGIN_DIR is reported. */
  g_setenv ("FURLHINT_PLUGIN_DIR", b, TRUE);
  g_setenv ("FURLHINT_PLUGIN_PATH", a, TRUE);
  ctx = new_context (NULL);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 1);
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 1);
  assert_plugin_error (g_ptr_array_index (errors, 0), FURLHINT_PLUGIN_ERROR_INIT, copy_fail, NULL);
  furlhint_context_unref (ctx);

  g_setenv ("FURLHINT_PLUGIN_DIR", missing, TRUE);
  g_unsetenv ("FURLHINT_PLUGIN_PATH");
  ctx = new_context (NULL);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 0);
  errors = furlhint_context_get_plugin_errors (ctx);
  g_assert_cmpuint (errors->len, ==, 1);
  assert_plugin_error (g_ptr_array_index (errors, 0), FURLHINT_PLUGIN_ERROR_OPEN, missing, NULL);
  furlhint_context_unref (ctx);

  if (old_dir != NULL)
    g_setenv ("FURLHINT_PLUGIN_DIR", old_dir, TRUE);
  else
    g_unsetenv ("FURLHINT_PLUGIN_DIR");
  if (old_path != NULL)
    g_setenv ("FURLHINT_PLUGIN_PATH", old_path, TRUE);
  else
    g_unsetenv ("FURLHINT_PLUGIN_PATH");
  remove_tree (a);
  remove_tree (b);
}

/* --- the four bundled plugins ------------------------------------------------ */

static void
test_bundled (void)
{
  const gchar *dir = g_getenv ("FURLHINT_PLUGIN_DIR");
  g_autofree gchar *tcp_la = NULL;
  g_autofree gchar *old_path = g_strdup (g_getenv ("FURLHINT_PLUGIN_PATH"));
  FurlHintContext *ctx;
  GPtrArray *plugins;
  gint64 start, elapsed;
  guint i;

  if (dir == NULL || *dir == '\0')
    {
      g_test_skip ("FURLHINT_PLUGIN_DIR is not set (run through make check)");
      return;
    }
  tcp_la = g_build_filename (dir, "tcp.la", NULL);
  if (!g_file_test (tcp_la, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the bundled plugins are not built");
      return;
    }

  g_unsetenv ("FURLHINT_PLUGIN_PATH");
  ctx = new_context (NULL);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 4);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("loading the four bundled plugins took %" G_GINT64_FORMAT " us", elapsed);

  for (i = 0; i < furlhint_context_get_plugin_errors (ctx)->len; i++)
    g_test_message ("%s", ((GError *) g_ptr_array_index (furlhint_context_get_plugin_errors (ctx), i))->message);
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 0);

  /* Directory order. */
  plugins = furlhint_context_get_plugins (ctx);
  g_assert_cmpstr (furlhint_plugin_get_name (g_ptr_array_index (plugins, 0)), ==, "i2p");
  g_assert_cmpstr (furlhint_plugin_get_name (g_ptr_array_index (plugins, 1)), ==, "socks");
  g_assert_cmpstr (furlhint_plugin_get_name (g_ptr_array_index (plugins, 2)), ==, "tcp");
  g_assert_cmpstr (furlhint_plugin_get_name (g_ptr_array_index (plugins, 3)), ==, "tor");

  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "tcp")), ==, "tcp");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "tor")), ==, "tor");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "i2p")), ==, "i2p");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_host (ctx, "abc.onion")), ==, "tor");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_host (ctx, "ABC.I2P")), ==, "i2p");
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "example.org"));
  g_assert_true (furlhint_plugin_can_carry_tcp (furlhint_context_find_plugin (ctx, "socks")));
  g_assert_true (furlhint_plugin_can_carry_tcp (furlhint_context_find_plugin (ctx, "tor")));
  g_assert_false (furlhint_plugin_can_carry_tcp (furlhint_context_find_plugin (ctx, "tcp")));
  g_assert_cmpint (furlhint_plugin_get_anon_class (furlhint_context_find_plugin (ctx, "tcp")), ==, FURLHINT_ANON_CLEAR);
  g_assert_cmpint (furlhint_plugin_get_anon_class (furlhint_context_find_plugin (ctx, "socks")), ==, FURLHINT_ANON_PROXIED);
  g_assert_cmpint (furlhint_plugin_get_anon_class (furlhint_context_find_plugin (ctx, "tor")), ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_cmpint (furlhint_plugin_get_anon_class (furlhint_context_find_plugin (ctx, "i2p")), ==, FURLHINT_ANON_ANONYMOUS);
  furlhint_context_unref (ctx);

  if (old_path != NULL)
    g_setenv ("FURLHINT_PLUGIN_PATH", old_path, TRUE);
}

/* --- in-memory descriptors: the checks and the parse contract ------------- */

static guint mem_fini_calls;

static gpointer
mem_init (const FurlHintPluginInitArgs *args,
          gboolean *configured,
          GError **error)
{
  g_assert_cmpuint (args->struct_size, ==, sizeof (FurlHintPluginInitArgs));
  g_assert_nonnull (args->settings);
  g_assert_nonnull (args->log);
  return g_strdup ("state");
}

static gpointer
mem_init_fails_with_state (const FurlHintPluginInitArgs *args,
                           gboolean *configured,
                           GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no luck");
  return g_strdup ("leaked unless fini runs");
}

static void
mem_fini (gpointer state)
{
  mem_fini_calls++;
  g_free (state);
}

typedef enum {
  PARSE_OK,
  PARSE_OK_NO_HOST,
  PARSE_OK_NO_HINT,
  PARSE_OK_BAD_KIND,
  PARSE_OK_WITH_ERROR,
  PARSE_FAIL_NO_ERROR,
  PARSE_FAIL_PARTIAL_OTHER_DOMAIN,
} ParseBehaviour;

static ParseBehaviour parse_behaviour;

static gboolean
mem_parse (gpointer state,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  switch (parse_behaviour)
    {
    case PARSE_OK:
      target->host = g_strdup ("h");
      target->hint = g_strdup (hint);
      target->port = 1;
      return TRUE;
    case PARSE_OK_NO_HOST:
      target->hint = g_strdup (hint);
      return TRUE;
    case PARSE_OK_NO_HINT:
      target->host = g_strdup ("h");
      return TRUE;
    case PARSE_OK_BAD_KIND:
      target->host = g_strdup ("h");
      target->host_kind = (FurlHintHostKind) 42;
      return TRUE;
    case PARSE_OK_WITH_ERROR:
      target->host = g_strdup ("h");
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED, "ignored");
      return TRUE;
    case PARSE_FAIL_NO_ERROR:
      return FALSE;
    case PARSE_FAIL_PARTIAL_OTHER_DOMAIN:
      target->host = g_strdup ("partial");
      target->hint = g_strdup (hint);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the plugin's reason");
      return FALSE;
    }
  g_assert_not_reached ();
}

static void
mem_connect_async (gpointer state,
                   const FurlHintConnectArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_assert_not_reached ();
}

static GIOStream *
mem_connect_finish (gpointer state,
                    GAsyncResult *result,
                    GError **error)
{
  g_assert_not_reached ();
}

static gboolean describe_returns_null;

static gchar *
mem_describe (gpointer state,
              const FurlHintTarget *target)
{
  return describe_returns_null ? NULL : g_strdup ("described");
}

static void
mem_publish_async (gpointer state,
                   const FurlHintPublishArgs *args,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_assert_not_reached ();
}

static gchar *
mem_publish_finish (gpointer state,
                    GAsyncResult *result,
                    gpointer *publication,
                    GError **error)
{
  g_assert_not_reached ();
}

static void
mem_unpublish (gpointer state,
               gpointer publication)
{
  g_assert_not_reached ();
}

static const gchar *const mem_publishes[] = { "onion", NULL };

static const gchar *const mem_prefixes[] = { "mem", NULL };
static const gchar *const mem_suffixes[] = { ".onion", NULL };
static const gchar *const no_prefixes[] = { NULL };

static FurlHintPluginDescriptor
mem_descriptor (void)
{
  FurlHintPluginDescriptor desc = {
    .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
    .struct_size = sizeof (FurlHintPluginDescriptor),
    .name = "mem",
    .version = "2.0",
    .description = "in memory",
    .prefixes = mem_prefixes,
    .host_suffixes = mem_suffixes,
    .anon_class = FURLHINT_ANON_ANONYMOUS,
    .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP,
    .init = mem_init,
    .fini = mem_fini,
    .parse = mem_parse,
    .connect_async = mem_connect_async,
    .connect_finish = mem_connect_finish,
    .describe = mem_describe,
  };
  return desc;
}

typedef struct {
  const gchar *test_name;
  void (*mutate) (FurlHintPluginDescriptor *desc);
  FurlHintPluginError code;
  const gchar *message;
} CheckCase;

#define MUTATOR(id, ...) \
  static void mutate_##id (FurlHintPluginDescriptor *d) { __VA_ARGS__; }

MUTATOR (abi_0, d->abi_version = 0)
MUTATOR (abi_2, d->abi_version = 2)
MUTATOR (size_0, d->struct_size = 0)
MUTATOR (size_short, d->struct_size = offsetof (FurlHintPluginDescriptor, describe) + sizeof (gpointer) - 1)
MUTATOR (name_null, d->name = NULL)
MUTATOR (name_empty, d->name = "")
MUTATOR (name_upper, d->name = "Mem")
MUTATOR (name_space, d->name = "m m")
MUTATOR (prefixes_null, d->prefixes = NULL)
MUTATOR (prefix_empty, static const gchar *const p[] = { "ok", "", NULL }; d->prefixes = p)
MUTATOR (prefix_colon, static const gchar *const p[] = { "a:b", NULL }; d->prefixes = p)
MUTATOR (prefix_twice, static const gchar *const p[] = { "a", "a", NULL }; d->prefixes = p)
MUTATOR (suffix_empty, static const gchar *const p[] = { "", NULL }; d->host_suffixes = p)
MUTATOR (suffix_dot, static const gchar *const p[] = { ".", NULL }; d->host_suffixes = p)
MUTATOR (anon_class, d->anon_class = (FurlHintAnonClass) 3)
MUTATOR (no_init, d->init = NULL)
MUTATOR (no_parse, d->parse = NULL)
MUTATOR (no_connect_async, d->connect_async = NULL)
MUTATOR (no_connect_finish, d->connect_finish = NULL)
MUTATOR (no_describe, d->describe = NULL)
#define PUBLISHING(d) ((d)->publishes = mem_publishes, (d)->publish_async = mem_publish_async, \
                       (d)->publish_finish = mem_publish_finish, (d)->unpublish = mem_unpublish)
MUTATOR (publish_no_async, PUBLISHING (d); d->publish_async = NULL)
MUTATOR (publish_no_finish, PUBLISHING (d); d->publish_finish = NULL)
MUTATOR (publish_no_unpublish, PUBLISHING (d); d->unpublish = NULL)
/* the callbacks are set, but struct_size ends before unpublish */
MUTATOR (publish_size_short, PUBLISHING (d);
         d->struct_size = offsetof (FurlHintPluginDescriptor, unpublish))
MUTATOR (publish_type_empty, static const gchar *const p[] = { "onion", "", NULL };
         PUBLISHING (d); d->publishes = p)
MUTATOR (publish_type_colon, static const gchar *const p[] = { "onion:80", NULL };
         PUBLISHING (d); d->publishes = p)
#define KEYS(...) static const FurlHintPluginKey k[] = { __VA_ARGS__, { NULL } }; d->keys = k
MUTATOR (keys_other_section, KEYS ({ "tor", "socks.port", FURLHINT_KEY_ENDPOINT, NULL, "d", FALSE }))
MUTATOR (keys_connections, KEYS ({ "connections", "mem.x", FURLHINT_KEY_STRING, NULL, "d", FALSE }))
MUTATOR (keys_upper, KEYS ({ "mem", "Socks.Port", FURLHINT_KEY_ENDPOINT, NULL, "d", FALSE }))
MUTATOR (keys_equals, KEYS ({ "mem", "a=b", FURLHINT_KEY_STRING, NULL, "d", FALSE }))
MUTATOR (keys_null_key, KEYS ({ "mem", NULL, FURLHINT_KEY_STRING, NULL, "d", FALSE }))
MUTATOR (keys_type, KEYS ({ "mem", "a", (FurlHintKeyType) 6, NULL, "d", FALSE }))
MUTATOR (keys_no_doc, KEYS ({ "mem", "a", FURLHINT_KEY_STRING, NULL, NULL, FALSE }))
MUTATOR (keys_twice, KEYS ({ "mem", "a", FURLHINT_KEY_STRING, NULL, "d", FALSE },
                           { "mem", "a", FURLHINT_KEY_PORT, NULL, "d", FALSE }))

MUTATOR (setup_hint_newline, d->setup_hint = "set [mem] a\nthen [mem] b")
MUTATOR (setup_hint_empty, d->setup_hint = "")
MUTATOR (setup_hint_escape, d->setup_hint = "set \x1b[31m[mem] a")

#define CB_MSG(cb) "plugin 'mem' (test) has no " cb " callback; every plugin must " \
  "provide init, parse, connect_async, connect_finish and describe (fini is optional)"

#define PUB_MSG(cb) "plugin 'mem' (test) publishes 'onion' but has no " cb " callback; a " \
  "plugin that lists endpoint types in publishes must provide publish_async, " \
  "publish_finish and unpublish"

static const CheckCase check_cases[] = {
  { "abi-0", mutate_abi_0, FURLHINT_PLUGIN_ERROR_ABI_VERSION,
    "plugin test was built for furlhint plugin ABI version 0, but this furlhint ("
    FURLHINT_VERSION ") loads only ABI version 1; rebuild the plugin against this "
    "furlhint's <furlhint/plugin.h>" },
  { "abi-2", mutate_abi_2, FURLHINT_PLUGIN_ERROR_ABI_VERSION, NULL },
  { "size-0", mutate_size_0, FURLHINT_PLUGIN_ERROR_STRUCT_SIZE, NULL },
  { "size-short", mutate_size_short, FURLHINT_PLUGIN_ERROR_STRUCT_SIZE, NULL },
  { "name-null", mutate_name_null, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin test: invalid name (none); a plugin name is one or more of a-z, 0-9, '_' and '-'" },
  { "name-empty", mutate_name_empty, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin test: invalid name ''; a plugin name is one or more of a-z, 0-9, '_' and '-'" },
  { "name-upper", mutate_name_upper, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "name-space", mutate_name_space, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "prefixes-null", mutate_prefixes_null, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): its prefixes array is NULL; use { NULL } for a plugin "
    "that handles no hint type natively" },
  { "prefix-empty", mutate_prefix_empty, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "prefix-colon", mutate_prefix_colon, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): invalid prefix 'a:b'; a prefix is the non-empty hint type "
    "before the first ':' (\"tor\" for \"tor:HOST:PORT\") and contains no ':'" },
  { "prefix-twice", mutate_prefix_twice, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test) lists prefix 'a' twice; list each prefix once" },
  { "suffix-empty", mutate_suffix_empty, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "suffix-dot", mutate_suffix_dot, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "anon-class", mutate_anon_class, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "no-init", mutate_no_init, FURLHINT_PLUGIN_ERROR_INVALID, CB_MSG ("init") },
  { "no-parse", mutate_no_parse, FURLHINT_PLUGIN_ERROR_INVALID, CB_MSG ("parse") },
  { "no-connect-async", mutate_no_connect_async, FURLHINT_PLUGIN_ERROR_INVALID, CB_MSG ("connect_async") },
  { "no-connect-finish", mutate_no_connect_finish, FURLHINT_PLUGIN_ERROR_INVALID, CB_MSG ("connect_finish") },
  { "no-describe", mutate_no_describe, FURLHINT_PLUGIN_ERROR_INVALID, CB_MSG ("describe") },
  { "publish-no-async", mutate_publish_no_async, FURLHINT_PLUGIN_ERROR_INVALID, PUB_MSG ("publish_async") },
  { "publish-no-finish", mutate_publish_no_finish, FURLHINT_PLUGIN_ERROR_INVALID, PUB_MSG ("publish_finish") },
  { "publish-no-unpublish", mutate_publish_no_unpublish, FURLHINT_PLUGIN_ERROR_INVALID, PUB_MSG ("unpublish") },
  { "publish-size-short", mutate_publish_size_short, FURLHINT_PLUGIN_ERROR_INVALID, PUB_MSG ("unpublish") },
  { "publish-type-empty", mutate_publish_type_empty, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): invalid endpoint type '' in publishes; an endpoint type is the "
    "non-empty word before the first ':' of a server endpoint (\"onion\", \"i2p\") and "
    "contains no ':'" },
  { "publish-type-colon", mutate_publish_type_colon, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "keys-other-section", mutate_keys_other_section, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): declared key 1 ([tor] socks.port) is not in the plugin's own "
    "section (a plugin declares the keys of [NAME], NAME being its name; [node] and "
    "[connections] are the core's)" },
  { "keys-connections", mutate_keys_connections, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "keys-upper", mutate_keys_upper, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): declared key 1 ([mem] Socks.Port) has a key that is not "
    "lower-case ASCII (tahoe.cfg keys are read lower-cased)" },
  { "keys-equals", mutate_keys_equals, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "keys-null-key", mutate_keys_null_key, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): declared key 1 ([mem] (none)) has no key, or one with a "
    "character tahoe.cfg keys cannot hold" },
  { "keys-type", mutate_keys_type, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): declared key 1 ([mem] a) has an unknown type; expected a "
    "FurlHintKeyType" },
  { "keys-no-doc", mutate_keys_no_doc, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "keys-twice", mutate_keys_twice, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): declared key 2 ([mem] a) is declared twice" },
  { "setup-hint-newline", mutate_setup_hint_newline, FURLHINT_PLUGIN_ERROR_INVALID,
    "plugin 'mem' (test): its setup_hint is empty, not UTF-8, or has a line break or "
    "another control character; accepted: one line of printable text, or NULL" },
  { "setup-hint-empty", mutate_setup_hint_empty, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
  { "setup-hint-escape", mutate_setup_hint_escape, FURLHINT_PLUGIN_ERROR_INVALID, NULL },
};

static void
test_descriptor_check (gconstpointer data)
{
  const CheckCase *cc = data;
  FurlHintPluginDescriptor desc = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = new_context (NULL);

  cc->mutate (&desc);
  mem_fini_calls = 0;
  g_assert_false (furlhint_context_register_plugin (ctx, &desc, "test", &error));
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, (gint) cc->code);
  if (cc->message != NULL)
    g_assert_cmpstr (error->message, ==, cc->message);
  else
    g_assert_true (g_str_has_prefix (error->message, "plugin test") ||
                   g_str_has_prefix (error->message, "plugin 'mem' (test)"));
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 0);
  g_assert_null (furlhint_context_find_plugin_for_prefix (ctx, "mem"));
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 1);
  furlhint_context_unref (ctx);
  /* init never ran, so fini must not either. */
  g_assert_cmpuint (mem_fini_calls, ==, 0);
}

/* A descriptor that is really only 8 bytes long: the check must not read
 * past struct_size (valgrind/ASan would catch it). */
static void
test_descriptor_truncated (void)
{
  guint32 *raw = g_malloc (2 * sizeof (guint32));
  g_autoptr(GError) error = NULL;
  g_autofree gchar *expected = NULL;
  FurlHintContext *ctx = new_context (NULL);

  raw[0] = FURLHINT_PLUGIN_ABI_VERSION;
  raw[1] = 2 * sizeof (guint32);
  g_assert_false (furlhint_context_register_plugin (ctx, (const FurlHintPluginDescriptor *) raw,
                                                    "short.so", &error));
  expected = g_strdup_printf ("plugin short.so: its descriptor is 8 bytes, but plugin "
                              "ABI version 1 needs at least %u; set struct_size to "
                              "sizeof (FurlHintPluginDescriptor) and rebuild",
                              /* ABI 1 as first released, up to describe:
                               * what was appended later is optional */
                              (guint) (offsetof (FurlHintPluginDescriptor, describe) +
                                       sizeof (gpointer)));
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_STRUCT_SIZE);
  g_assert_cmpstr (error->message, ==, expected);
  furlhint_context_unref (ctx);
  g_free (raw);
}

/* A plugin built before the server side was appended: its struct_size
 * ends at describe, and whatever lies beyond (here a publishes list and
 * no callbacks, which a full-size descriptor could not register with) is
 * not its descriptor's. It loads, and publishes nothing. */
static void
test_descriptor_old_size_publishes_nothing (void)
{
  FurlHintPluginDescriptor desc = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = new_context (NULL);
  FurlHintPlugin *plugin;

  desc.struct_size = offsetof (FurlHintPluginDescriptor, describe) + sizeof (gpointer);
  desc.publishes = mem_publishes;
  g_assert_true (furlhint_context_register_plugin (ctx, &desc, "test", &error));
  g_assert_no_error (error);
  plugin = furlhint_context_find_plugin_for_prefix (ctx, "mem");
  g_assert_nonnull (plugin);
  g_assert_null (furlhint_plugin_get_publishes (plugin)[0]);
  furlhint_context_unref (ctx);
}

/* The full-size descriptor with the server side filled in registers and
 * says what it publishes. */
static void
test_descriptor_publishing (void)
{
  FurlHintPluginDescriptor desc = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = new_context (NULL);
  FurlHintPlugin *plugin;

  PUBLISHING (&desc);
  g_assert_true (furlhint_context_register_plugin (ctx, &desc, "test", &error));
  g_assert_no_error (error);
  plugin = furlhint_context_find_plugin_for_prefix (ctx, "mem");
  g_assert_cmpstrv (furlhint_plugin_get_publishes (plugin), ((const gchar *const[]) { "onion", NULL }));

  /* A second plugin publishing "onion" is refused, as a second owner of a
   * prefix or host suffix is: the first loaded wins. */
  {
    FurlHintPluginDescriptor second = desc;
    static const gchar *const other_prefixes[] = { "mem2", NULL };
    static const gchar *const no_suffixes[] = { NULL };

    second.name = "mem2";
    second.prefixes = other_prefixes;
    second.host_suffixes = no_suffixes;
    g_assert_false (furlhint_context_register_plugin (ctx, &second, "test2", &error));
    g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE);
    g_assert_cmpstr (error->message, ==,
                     "endpoint type 'onion' published by plugin 'mem2' (test2) is already "
                     "published by plugin 'mem' (test); the first loaded wins");
  }
  furlhint_context_unref (ctx);
}

static void
test_register_memory (void)
{
  LogCapture capture;
  FurlHintPluginDescriptor desc = mem_descriptor ();
  FurlHintPluginDescriptor other = mem_descriptor ();
  FurlHintPluginDescriptor noprefix = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx;
  FurlHintPlugin *plugin;

  capture_init (&capture);
  ctx = new_context (&capture);
  mem_fini_calls = 0;
  g_assert_true (furlhint_context_register_plugin (ctx, &desc, "test", &error));
  g_assert_no_error (error);
  plugin = furlhint_context_find_plugin (ctx, "mem");
  g_assert_nonnull (plugin);
  g_assert_true (furlhint_plugin_get_descriptor (plugin) == &desc);
  g_assert_cmpstr (furlhint_plugin_get_state (plugin), ==, "state");
  g_assert_cmpstr (furlhint_plugin_get_origin (plugin), ==, "test");
  g_assert_true (furlhint_plugin_can_carry_tcp (plugin));
  g_assert_cmpint (furlhint_plugin_get_anon_class (plugin), ==, FURLHINT_ANON_ANONYMOUS);
  g_assert_true (capture_has_prefix (&capture, "loaded plugin 'mem' 2.0 from test"));

  /* Host suffixes: case-insensitive, on a label boundary. */
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "x.onion") == plugin);
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "X.ONION") == plugin);
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "a.b.Onion") == plugin);
  g_assert_true (furlhint_context_find_plugin_for_host (ctx, "x.onion.") == plugin);
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "onion"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, ".onion"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "xonion"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "x.onion.com"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, ""));

  /* Another plugin claiming the same host suffix is refused too. */
  other.name = "other";
  other.prefixes = no_prefixes;
  g_assert_false (furlhint_context_register_plugin (ctx, &other, "test2", &error));
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpstr (error->message, ==,
                   "host suffix '.onion' of plugin 'other' (test2) is already "
                   "handled by plugin 'mem' (test); the first loaded wins");
  g_clear_error (&error);

  /* A plugin with no prefix and no suffix (a pure carrier) is fine. */
  noprefix.name = "carrier";
  noprefix.prefixes = no_prefixes;
  noprefix.host_suffixes = NULL;
  g_assert_true (furlhint_context_register_plugin (ctx, &noprefix, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (furlhint_plugin_get_origin (furlhint_context_find_plugin (ctx, "carrier")),
                   ==, "builtin");
  g_assert_cmpstrv (furlhint_plugin_get_host_suffixes (furlhint_context_find_plugin (ctx, "carrier")),
                    ((const gchar *const[]) { NULL }));

  furlhint_context_unref (ctx);
  g_assert_cmpuint (mem_fini_calls, ==, 2);
  capture_clear (&capture);
}

static void
test_init_error_with_state (void)
{
  FurlHintPluginDescriptor desc = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = new_context (NULL);

  desc.init = mem_init_fails_with_state;
  mem_fini_calls = 0;
  g_assert_false (furlhint_context_register_plugin (ctx, &desc, "test", &error));
  g_assert_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT);
  g_assert_cmpstr (error->message, ==, "plugin 'mem' (test) failed to initialise: no luck");
  /* The state came back with the error: it was handed to fini. */
  g_assert_cmpuint (mem_fini_calls, ==, 1);
  g_assert_null (furlhint_context_find_plugin (ctx, "mem"));
  g_assert_null (furlhint_context_find_plugin_for_prefix (ctx, "mem"));
  g_assert_null (furlhint_context_find_plugin_for_host (ctx, "x.onion"));
  furlhint_context_unref (ctx);
  g_assert_cmpuint (mem_fini_calls, ==, 1);
}

static void
test_parse_contract (void)
{
  FurlHintPluginDescriptor desc = mem_descriptor ();
  g_autoptr(GError) error = NULL;
  FurlHintContext *ctx = new_context (NULL);
  FurlHintPlugin *plugin;
  FurlHintTarget target;
  FurlHintTarget copy;
  g_autofree gchar *text = NULL;

  g_assert_true (furlhint_context_register_plugin (ctx, &desc, "test", NULL));
  plugin = furlhint_context_find_plugin (ctx, "mem");

  parse_behaviour = PARSE_OK;
  g_assert_true (furlhint_plugin_parse (plugin, "mem:x", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_no_error (error);
  furlhint_target_copy (&copy, &target);
  furlhint_target_clear (&target);
  g_assert_cmpstr (copy.host, ==, "h");
  g_assert_cmpstr (copy.hint, ==, "mem:x");
  g_assert_cmpuint (copy.port, ==, 1);
  describe_returns_null = FALSE;
  text = furlhint_plugin_describe (plugin, &copy);
  g_assert_cmpstr (text, ==, "described");
  g_clear_pointer (&text, g_free);
  describe_returns_null = TRUE;
  text = furlhint_plugin_describe (plugin, &copy);
  g_assert_cmpstr (text, ==, "h:1 via plugin 'mem' (anonymous)");
  g_clear_pointer (&text, g_free);
  describe_returns_null = FALSE;
  furlhint_target_clear (&copy);

  parse_behaviour = PARSE_OK_NO_HINT;
  g_assert_true (furlhint_plugin_parse (plugin, "mem:y", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_cmpstr (target.hint, ==, "mem:y");
  furlhint_target_clear (&target);

  parse_behaviour = PARSE_OK_WITH_ERROR;
  g_assert_true (furlhint_plugin_parse (plugin, "mem:y", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_no_error (error);
  furlhint_target_clear (&target);

  parse_behaviour = PARSE_OK_NO_HOST;
  g_assert_false (furlhint_plugin_parse (plugin, "mem:z", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED);
  g_assert_cmpstr (error->message, ==,
                   "plugin 'mem' (test) accepted hint 'mem:z' but gave no host; "
                   "this is a bug in the plugin (parse must fill target->host on success)");
  g_assert_null (target.hint);
  g_clear_error (&error);

  parse_behaviour = PARSE_OK_BAD_KIND;
  g_assert_false (furlhint_plugin_parse (plugin, "mem:k", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED);
  g_assert_null (target.host);
  g_clear_error (&error);

  parse_behaviour = PARSE_FAIL_NO_ERROR;
  g_assert_false (furlhint_plugin_parse (plugin, "mem:w", FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED);
  g_assert_cmpstr (error->message, ==,
                   "plugin 'mem' (test) refused hint 'mem:w' without giving a reason "
                   "(a bug in the plugin: parse must set an error when it returns FALSE)");
  g_clear_error (&error);

  /* A partial target is freed (valgrind checks) and a foreign error domain
   * is converted, keeping the plugin's message. */
  parse_behaviour = PARSE_FAIL_PARTIAL_OTHER_DOMAIN;
  g_assert_false (furlhint_plugin_parse (plugin, "mem:v", FURLHINT_PARSE_CARRY, &target, &error));
  g_assert_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED);
  g_assert_cmpstr (error->message, ==, "the plugin's reason");
  g_assert_null (target.host);
  g_assert_null (target.hint);
  g_clear_error (&error);

  furlhint_context_unref (ctx);
}

/* --- logger, ranker, config ------------------------------------------------ */

/* Registers a descriptor with a bad name: the error is logged. */
static void
log_something (FurlHintContext *ctx,
               const gchar *name)
{
  FurlHintPluginDescriptor desc = mem_descriptor ();

  desc.name = name;
  g_assert_false (furlhint_context_register_plugin (ctx, &desc, "log", NULL));
}

static void
test_logger (void)
{
  LogCapture first, second;
  FurlHintContext *ctx = furlhint_context_new (NULL);

  /* No logger: messages are dropped (and nothing crashes). */
  log_something (ctx, "Dropped");

  capture_init (&first);
  capture_init (&second);
  furlhint_context_set_logger (ctx, capture_log, &first, capture_destroy);
  log_something (ctx, "One");
  furlhint_context_set_logger (ctx, capture_log, &second, capture_destroy);
  g_assert_cmpuint (first.destroyed, ==, 1);
  log_something (ctx, "Two");
  g_assert_cmpuint (first.messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (first.messages, 0), ==,
                   "plugin log: invalid name 'One'; a plugin name is one or more of "
                   "a-z, 0-9, '_' and '-'");
  g_assert_cmpuint (second.messages->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (second.messages, 0),
                                   "plugin log: invalid name 'Two'"));

  furlhint_context_set_logger (ctx, NULL, NULL, NULL);
  g_assert_cmpuint (second.destroyed, ==, 1);
  log_something (ctx, "Dropped");
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 4);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (second.messages->len, ==, 1);
  capture_clear (&first);
  capture_clear (&second);
}

static void
test_log_to_glib (void)
{
  if (g_test_subprocess ())
    {
      furlhint_log_to_glib (G_LOG_LEVEL_MESSAGE, "a message for GLib", NULL);
      /* ERROR would abort the process; it is sent as CRITICAL, which the
       * test framework makes fatal. */
      furlhint_log_to_glib (G_LOG_LEVEL_ERROR, "an error for GLib", NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*furlhint-Message*a message for GLib*"
                             "furlhint-CRITICAL*an error for GLib*");
}

/* Counts its calls in the gint at @user_data; routes nothing. */
static FurlHintPlan *
custom_ranker (FurlHintContext *ctx,
               FurlHintFurl *furl,
               const FurlHintRankOptions *options,
               gpointer user_data)
{
  gint *calls = user_data;

  (*calls)++;
  return NULL;
}

/* Which policy ranks, as furlhint_context_rank() shows it: the custom
 * ranker, with its data, from furlhint_context_set_ranker() on, until
 * NULL restores the default. */
static void
test_ranker_and_config (void)
{
  FurlHintContext *ctx = furlhint_context_new (NULL);
  FurlHintConfig *config = furlhint_context_get_config (ctx);
  g_autoptr(GError) error = NULL;
  FurlHintFurl *furl;
  FurlHintPlan *plan;
  gint calls = 0;

  g_assert_nonnull (config);
  g_assert_false (furlhint_config_get_anonymous (config));
  furl = furlhint_furl_parse ("pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.com:1/swiss", &error);
  g_assert_no_error (error);

  plan = furlhint_context_rank (ctx, furl, NULL);
  furlhint_plan_unref (plan);
  g_assert_cmpint (calls, ==, 0);
  furlhint_context_set_ranker (ctx, custom_ranker, &calls);
  plan = furlhint_context_rank (ctx, furl, NULL);
  g_assert_cmpuint (furlhint_plan_get_n_routes (plan), ==, 0);
  furlhint_plan_unref (plan);
  g_assert_cmpint (calls, ==, 1);
  furlhint_context_set_ranker (ctx, NULL, &calls);
  plan = furlhint_context_rank (ctx, furl, NULL);
  furlhint_plan_unref (plan);
  g_assert_cmpint (calls, ==, 1);
  furlhint_furl_unref (furl);

  g_assert_true (furlhint_context_ref (ctx) == ctx);
  furlhint_context_unref (ctx);
  furlhint_context_unref (ctx);
  furlhint_context_unref (NULL);
}

int
main (int argc,
      char **argv)
{
  gsize i;

  g_test_init (&argc, &argv, NULL);

  add_isolated ("/loader/good/load-parse-fini", test_good_plugin);
  add_isolated ("/loader/good/anonymous", test_good_plugin_anonymous);
  add_isolated ("/loader/good/settings", test_good_plugin_settings);
  add_isolated ("/loader/good/without-extension", test_open_without_extension);
  add_isolated ("/loader/good/two-contexts", test_two_contexts);
  for (i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/loader/fault/%s", fault_cases[i].file);

      g_test_add_data_func (path, &fault_cases[i], test_fault);
    }
  add_isolated ("/loader/duplicate/prefix", test_duplicate_prefix);
  add_isolated ("/loader/duplicate/name", test_duplicate_name);
  add_isolated ("/loader/open/errors", test_open_errors);
  add_isolated ("/loader/open/missing-dependency", test_open_missing_dependency);
  add_isolated ("/loader/open/la-without-object", test_open_la_without_object);
  add_isolated ("/loader/open/bare-name", test_open_bare_name);
  add_isolated ("/loader/good/defined-through-macro", test_define_through_macro);
  add_isolated ("/loader/dir/empty-and-missing", test_dir_empty_and_missing);
  add_isolated ("/loader/dir/mixed", test_dir_mixed);
  add_isolated ("/loader/dir/test-plugins", test_dir_test_plugins);
  add_isolated ("/loader/search-path", test_search_path);
  add_isolated ("/loader/bundled", test_bundled);

  for (i = 0; i < G_N_ELEMENTS (check_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/descriptor/check/%s", check_cases[i].test_name);

      g_test_add_data_func (path, &check_cases[i], test_descriptor_check);
    }
  g_test_add_func ("/descriptor/truncated", test_descriptor_truncated);
  g_test_add_func ("/descriptor/old-size-publishes-nothing", test_descriptor_old_size_publishes_nothing);
  g_test_add_func ("/descriptor/publishing", test_descriptor_publishing);
  g_test_add_func ("/registry/in-memory", test_register_memory);
  g_test_add_func ("/registry/init-error-with-state", test_init_error_with_state);
  g_test_add_func ("/registry/parse-contract", test_parse_contract);
  g_test_add_func ("/context/logger", test_logger);
  g_test_add_func ("/context/log-to-glib", test_log_to_glib);
  g_test_add_func ("/context/bundled-log-prefix", test_bundled_log_prefix);
  g_test_add_func ("/context/ranker-and-config", test_ranker_and_config);

  return g_test_run ();
}
