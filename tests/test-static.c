/* The four bundled plugins (and the good_test plugin) linked into the
 * program with libtool's -dlpreopen: they load with no plugin directory at
 * all, through the same registration path as modules from files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <ltdl.h>

#include <furlhint/furlhint.h>

static gchar *build_plugin_dir;

typedef struct {
  GPtrArray *messages;
} Capture;

static void
capture_log (GLogLevelFlags level,
             const gchar *message,
             gpointer user_data)
{
  Capture *capture = user_data;

  g_ptr_array_add (capture->messages, g_strdup (message));
}

static guint
capture_count (Capture *capture,
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

static void
assert_builtins (FurlHintContext *ctx)
{
  static const gchar *const names[] = { "tcp", "socks", "tor", "i2p", "good_test" };
  GPtrArray *plugins = furlhint_context_get_plugins (ctx);
  GPtrArray *errors = furlhint_context_get_plugin_errors (ctx);
  gsize i;

  for (i = 0; i < errors->len; i++)
    g_test_message ("%s", ((GError *) g_ptr_array_index (errors, i))->message);
  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_cmpuint (plugins->len, ==, G_N_ELEMENTS (names));

  /* In -dlpreopen order, each with origin "builtin:NAME". */
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (plugins, i);
      g_autofree gchar *origin = g_strconcat ("builtin:", names[i], NULL);

      g_assert_cmpstr (furlhint_plugin_get_name (plugin), ==, names[i]);
      g_assert_cmpstr (furlhint_plugin_get_origin (plugin), ==, origin);
    }

  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "tcp")), ==, "tcp");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "tor")), ==, "tor");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "i2p")), ==, "i2p");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_prefix (ctx, "testproto")), ==, "good_test");
  g_assert_cmpstr (furlhint_plugin_get_name (furlhint_context_find_plugin_for_host (ctx, "x.onion")), ==, "tor");
}

static void
test_no_plugin_dir (void)
{
  Capture capture = { g_ptr_array_new_with_free_func (g_free) };
  FurlHintContext *ctx;
  FurlHintTarget target;
  g_autoptr(GError) error = NULL;
  gint64 start, elapsed;

  g_setenv ("FURLHINT_PLUGIN_DIR", "", TRUE);
  g_unsetenv ("FURLHINT_PLUGIN_PATH");

  ctx = furlhint_context_new (NULL);
  furlhint_context_set_logger (ctx, capture_log, &capture, NULL);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 5);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("registering the five preloaded plugins took %" G_GINT64_FORMAT " us", elapsed);
  assert_builtins (ctx);

  /* The plugin's code really runs from the program. */
  g_assert_true (furlhint_plugin_parse (furlhint_context_find_plugin (ctx, "good_test"),
                                        "testproto:example.org:80",
                                        FURLHINT_PARSE_NATIVE, &target, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target.host, ==, "example.org");
  furlhint_target_clear (&target);

  /* Loading again finds only duplicates: they are reported, nothing is
   * replaced. */
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 0);
  g_assert_cmpuint (furlhint_context_get_plugin_errors (ctx)->len, ==, 5);
  g_assert_cmpuint (furlhint_context_get_plugins (ctx)->len, ==, 5);

  furlhint_context_unref (ctx);
  g_assert_cmpuint (capture_count (&capture, "good_test: fini"), ==, 1);
  g_ptr_array_unref (capture.messages);
}

/* With the build tree's plugin directory as well, the files of plugins that
 * are linked in are not loaded a second time (and not reported). */
static void
test_with_plugin_dir (void)
{
  FurlHintContext *ctx;

  if (build_plugin_dir == NULL || *build_plugin_dir == '\0')
    {
      g_test_skip ("FURLHINT_PLUGIN_DIR is not set (run through make check)");
      return;
    }
  g_setenv ("FURLHINT_PLUGIN_DIR", build_plugin_dir, TRUE);
  g_unsetenv ("FURLHINT_PLUGIN_PATH");

  ctx = furlhint_context_new (NULL);
  g_assert_cmpuint (furlhint_context_load_plugins (ctx), ==, 5);
  assert_builtins (ctx);
  furlhint_context_unref (ctx);
}

int
main (int argc,
      char **argv)
{
  /* What every program linked with -dlpreopen must do before it loads
   * plugins (see docs/plugin-guide.md). */
  LTDL_SET_PRELOADED_SYMBOLS ();

  build_plugin_dir = g_strdup (g_getenv ("FURLHINT_PLUGIN_DIR"));

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/static/no-plugin-dir", test_no_plugin_dir);
  g_test_add_func ("/static/with-plugin-dir", test_with_plugin_dir);
  return g_test_run ();
}
