/* furlhint-plugin-check — conformance checks for transport plugins.
 *
 *   furlhint-plugin-check [--config FILE] [--hint HINT]... [--no-fork]
 *                         [--verbose] PLUGIN...
 *
 * Loads each plugin into a fresh context (the same code path as
 * furlhint_context_load_plugin_file()) and holds it to the contract of
 * <furlhint/plugin.h>: a valid descriptor, init with default settings (or
 * those of a tahoe.cfg, so that a transport that needs settings is checked
 * configured) and in anonymous mode, parse of a set of sample hints giving either a target
 * with a host or a FURLHINT_HINT_ERROR, describe giving one line of text,
 * connect_async calling back exactly once on the caller's thread-default
 * main context (tried with a cancelled cancellable, so nothing goes out on
 * the network), the server side's descriptor fields (statically: nothing
 * is published), and fini. Prints one PASS/FAIL line per check; exits 0 only
 * when every check of every plugin passed.
 *
 * Each plugin is checked in a child process, so that a plugin that crashes
 * is reported as a failure instead of taking the checker down.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <furlhint/furlhint.h>

#include "json-writer.h"

#define CONNECT_TIMEOUT_MS 10000
#define SECOND_CALLBACK_WAIT_MS 100

typedef struct {
  const gchar *path;
  guint checks;
  guint failed;
  gboolean verbose;
  gchar **extra_hints;
  const gchar *config_path;   /* (nullable) tahoe.cfg to init with */
} Checker;


/* One line of text from the plugin (its strings, its log, the loader's
 * messages quoting the file): control characters and invalid UTF-8
 * escaped as the furlhint command escapes them, so that a plugin cannot
 * drive the terminal. */
static void G_GNUC_PRINTF (2, 3)
print_escaped (FILE *stream,
               const gchar *format,
               ...)
{
  g_autofree gchar *text = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fh_text_append_escaped (out, text, -1, TRUE);
  g_string_append_c (out, '\n');
  fwrite (out->str, 1, out->len, stream);
}

static void G_GNUC_PRINTF (4, 5)
report (Checker *checker,
        gboolean pass,
        const gchar *check,
        const gchar *format,
        ...)
{
  g_autofree gchar *detail = NULL;

  if (format != NULL)
    {
      va_list args;

      va_start (args, format);
      detail = g_strdup_vprintf (format, args);
      va_end (args);
    }

  /* Keep a passing line readable whatever the plugin returned; a failure
   * is shown whole, since its end is often the reason. */
  if (pass && detail != NULL && g_utf8_validate (detail, -1, NULL) && g_utf8_strlen (detail, -1) > 160)
    {
      gchar *end = g_utf8_offset_to_pointer (detail, 150);
      gchar *shorter = g_strdup_printf ("%.*s... (%zu bytes)", (int) (end - detail), detail, strlen (detail));

      g_free (detail);
      detail = shorter;
    }

  checker->checks++;
  if (!pass)
    checker->failed++;
  print_escaped (stdout, "%s %s: %s%s%s", pass ? "PASS" : "FAIL", checker->path, check,
                 detail != NULL ? ": " : "", detail != NULL ? detail : "");
  fflush (stdout);
}

static void
print_log (GLogLevelFlags level,
           const gchar *message,
           gpointer user_data)
{
  Checker *checker = user_data;

  if (checker->verbose)
    print_escaped (stderr, "  log: %s", message);
}

/* Printable, quoted form of a hint that may hold anything. */
static gchar *
quote (const gchar *s)
{
  g_autofree gchar *escaped = g_strescape (s, NULL);

  if (strlen (escaped) > 60)
    return g_strdup_printf ("'%.40s...' (%zu bytes)", escaped, strlen (s));
  return g_strdup_printf ("'%s'", escaped);
}

static const gchar *
mode_name (FurlHintParseMode mode)
{
  switch (mode)
    {
    case FURLHINT_PARSE_NATIVE:
      return "native";
    case FURLHINT_PARSE_CARRY:
      return "carry";
    case FURLHINT_PARSE_SUFFIX:
      return "suffix";
    }
  return "?";
}

/* The settings to init with: the --config file, or none. In the
 * anonymous context the file's settings with the mode forced on. */
static FurlHintConfig *
new_config (Checker *checker,
            gboolean anonymous,
            GError **error)
{
  FurlHintConfig *config;

  if (checker->config_path == NULL)
    {
      config = furlhint_config_new ();
      furlhint_config_set_anonymous (config, anonymous);
      return config;
    }
  config = furlhint_config_load_file (checker->config_path, error);
  if (config != NULL && anonymous)
    furlhint_config_set_anonymous (config, TRUE);
  return config;
}

static FurlHintContext *
load_into_new_context (Checker *checker,
                       gboolean anonymous,
                       FurlHintPlugin **plugin_out,
                       GError **error)
{
  FurlHintConfig *config = new_config (checker, anonymous, error);
  FurlHintContext *ctx;

  if (config == NULL)
    return NULL;
  ctx = furlhint_context_new (config);
  furlhint_config_unref (config);
  furlhint_context_set_logger (ctx, print_log, checker, NULL);

  if (!furlhint_context_load_plugin_file (ctx, checker->path, error))
    {
      furlhint_context_unref (ctx);
      return NULL;
    }
  *plugin_out = g_ptr_array_index (furlhint_context_get_plugins (ctx), 0);
  return ctx;
}

static void
check_descriptor (Checker *checker,
                  FurlHintPlugin *plugin)
{
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  g_autofree gchar *prefixes = g_strjoinv (", ", (gchar **) desc->prefixes);
  guint32 known_flags = FURLHINT_PLUGIN_CAN_CARRY_TCP | FURLHINT_PLUGIN_TCP_PROXY;

  report (checker, TRUE, "descriptor",
          "plugin '%s' %s, prefixes: %s, class %s%s%s",
          desc->name, furlhint_plugin_get_version (plugin),
          *prefixes != '\0' ? prefixes : "none",
          furlhint_anon_class_name (desc->anon_class),
          furlhint_plugin_can_carry_tcp (plugin) ? ", carries tcp" : "",
          furlhint_plugin_is_configured (plugin) ? "" : ", not configured by default");

  if (desc->version == NULL || *desc->version == '\0')
    report (checker, FALSE, "descriptor version", "no version string (`furlhint plugins` shows it)");
  else
    report (checker, TRUE, "descriptor version", "%s", desc->version);

  if (desc->description == NULL || *desc->description == '\0' ||
      strchr (desc->description, '\n') != NULL || !g_utf8_validate (desc->description, -1, NULL))
    report (checker, FALSE, "descriptor description",
            "must be one non-empty line of UTF-8 text (`furlhint plugins` shows it)");
  else
    report (checker, TRUE, "descriptor description", "%s", desc->description);

  if ((desc->flags & ~known_flags) != 0)
    report (checker, FALSE, "descriptor flags",
            "unknown flag bits 0x%x; defined: FURLHINT_PLUGIN_CAN_CARRY_TCP, "
            "FURLHINT_PLUGIN_TCP_PROXY",
            (guint) (desc->flags & ~known_flags));
  else if ((desc->flags & FURLHINT_PLUGIN_TCP_PROXY) != 0 &&
           (desc->flags & FURLHINT_PLUGIN_CAN_CARRY_TCP) == 0)
    report (checker, FALSE, "descriptor flags",
            "FURLHINT_PLUGIN_TCP_PROXY without FURLHINT_PLUGIN_CAN_CARRY_TCP: the proxy "
            "for tcp.socks-proxy must carry tcp: hints");
  else
    report (checker, TRUE, "descriptor flags", NULL);
}

static void
add_hint (GPtrArray *hints,
          GArray *modes,
          FurlHintParseMode mode,
          gchar *hint)
{
  g_ptr_array_add (hints, hint);
  g_array_append_val (modes, mode);
}

static void
sample_hints (Checker *checker,
              const FurlHintPluginDescriptor *desc,
              GPtrArray *hints,
              GArray *modes)
{
  static const gchar *const native_tails[] = {
    "", "example.com:1234", "127.0.0.1:80", "[::1]:80", "example.com",
    "example.com:0", "example.com:65536", "example.com:-1", ":80", "a:b:c",
    "/tmp/furlhint-plugin-check.sock", "ex\xc3\xa4mple.com:80",
    " example.com:80", "example.com:80 ", "\xff\xfe:80", "%00:80",
  };
  static const gchar *const carry_hints[] = {
    "tcp:example.com:80", "tcp:127.0.0.1:80", "tcp:[::1]:80", "tcp:10.0.0.1:80",
    "tcp:example.com:0", "tcp:example.com", "tcp:", "tcp:example.com:99999",
  };
  gsize i, j;

  for (i = 0; desc->prefixes[i] != NULL; i++)
    {
      g_autoptr(GString) long_hint = g_string_new (desc->prefixes[i]);

      for (j = 0; j < G_N_ELEMENTS (native_tails); j++)
        add_hint (hints, modes, FURLHINT_PARSE_NATIVE,
                  g_strconcat (desc->prefixes[i], ":", native_tails[j], NULL));
      g_string_append_c (long_hint, ':');
      for (j = 0; j < 4000; j++)
        g_string_append_c (long_hint, 'a');
      g_string_append (long_hint, ":80");
      add_hint (hints, modes, FURLHINT_PARSE_NATIVE, g_string_free (g_steal_pointer (&long_hint), FALSE));
    }

  if ((desc->flags & FURLHINT_PLUGIN_CAN_CARRY_TCP) != 0)
    {
      for (j = 0; j < G_N_ELEMENTS (carry_hints); j++)
        add_hint (hints, modes, FURLHINT_PARSE_CARRY, g_strdup (carry_hints[j]));
    }

  for (i = 0; desc->host_suffixes != NULL && desc->host_suffixes[i] != NULL; i++)
    {
      const gchar *suffix = desc->host_suffixes[i];
      const gchar *dot = suffix[0] == '.' ? "" : ".";

      add_hint (hints, modes, FURLHINT_PARSE_SUFFIX,
                g_strdup_printf ("tcp:abcdefghijklmnop%s%s:80", dot, suffix));
      add_hint (hints, modes, FURLHINT_PARSE_SUFFIX,
                g_strdup_printf ("tcp:ABCDEFGHIJKLMNOP%s%s:80", dot, suffix));
      add_hint (hints, modes, FURLHINT_PARSE_SUFFIX,
                g_strdup_printf ("tcp:x%s%s", dot, suffix));
    }

}

/* How the host would hand @hint to @plugin (core/rank.c): natively when
 * its type is one of the plugin's prefixes, in suffix mode when it is a
 * `tcp:` hint to a host in one of the plugin's domains, in carry mode
 * when it is another `tcp:` hint and the plugin carries TCP. FALSE with
 * @why when the host would never give it to this plugin. */
static gboolean
hint_mode (FurlHintContext *ctx,
           FurlHintPlugin *plugin,
           const gchar *hint,
           FurlHintParseMode *mode,
           gchar **why)
{
  const gchar *const *prefixes = furlhint_plugin_get_prefixes (plugin);
  const gchar *colon = strchr (hint, ':');
  g_autofree gchar *type = g_ascii_strdown (hint, colon != NULL ? colon - hint : -1);
  g_autofree gchar *host = NULL;
  gsize i;

  for (i = 0; colon != NULL && prefixes[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (type, prefixes[i]) == 0)
        {
          *mode = FURLHINT_PARSE_NATIVE;
          return TRUE;
        }
    }

  if (colon != NULL && g_str_equal (type, "tcp") &&
      furlhint_foolscap_parse_hint (hint, FURLHINT_FOOLSCAP_TCP, &host, NULL, NULL) &&
      host != NULL)
    {
      if (furlhint_context_find_plugin_for_host (ctx, host) == plugin)
        {
          *mode = FURLHINT_PARSE_SUFFIX;
          return TRUE;
        }
      if (furlhint_plugin_can_carry_tcp (plugin))
        {
          *mode = FURLHINT_PARSE_CARRY;
          return TRUE;
        }
    }

  {
    g_autofree gchar *joined = g_strjoinv (", ", (gchar **) prefixes);
    g_autofree gchar *suffixes = g_strjoinv (", ", (gchar **) furlhint_plugin_get_host_suffixes (plugin));
    g_autofree gchar *native = *joined != '\0'
      ? g_strdup_printf ("hint types %s", joined) : g_strdup ("no hint type");
    g_autofree gchar *claimed = *suffixes != '\0'
      ? g_strdup_printf ("`tcp:` hints to hosts in %s", suffixes) : g_strdup ("no host suffix");

    *why = g_strdup_printf ("the host never gives this hint to plugin '%s', which "
                            "takes %s natively, %s, and %s",
                            furlhint_plugin_get_name (plugin), native, claimed,
                            furlhint_plugin_can_carry_tcp (plugin)
                              ? "carries well-formed `tcp:` hints"
                              : "no `tcp:` hint to carry");
  }
  return FALSE;
}

/* The --hint hints, each in the mode the host would use for it. */
static void
extra_hints (Checker *checker,
             FurlHintContext *ctx,
             FurlHintPlugin *plugin,
             GPtrArray *hints,
             GArray *modes)
{
  gsize i;

  for (i = 0; checker->extra_hints != NULL && checker->extra_hints[i] != NULL; i++)
    {
      const gchar *hint = checker->extra_hints[i];
      g_autofree gchar *why = NULL;
      FurlHintParseMode mode;

      if (hint_mode (ctx, plugin, hint, &mode, &why))
        add_hint (hints, modes, mode, g_strdup (hint));
      else
        {
          g_autofree gchar *check = NULL;
          g_autofree gchar *qhint = quote (hint);

          check = g_strdup_printf ("--hint %s", qhint);
          report (checker, FALSE, check, "%s", why);
        }
    }
}

static gboolean
points_into (const gchar *p,
             const gchar *buffer,
             gsize len)
{
  return p != NULL && p >= buffer && p <= buffer + len;
}

/* Calls the plugin's own parse (not furlhint_plugin_parse(), which would
 * paper over a broken contract) and judges what comes back. On success
 * the target is appended to @targets. */
static void
check_parse_one (Checker *checker,
                 FurlHintPlugin *plugin,
                 const gchar *hint,
                 FurlHintParseMode mode,
                 GArray *targets)
{
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  g_autofree gchar *check = NULL;
  g_autofree gchar *qhint = quote (hint);
  gsize len = strlen (hint);
  /* A private copy, scribbled over afterwards: a plugin that keeps
   * pointers into the hint is caught (by valgrind/ASan at the latest). */
  gchar *copy = g_strdup (hint);
  FurlHintTarget target = { NULL, 0, FURLHINT_HOST_NONE, NULL };
  GError *error = NULL;
  gboolean ok;

  check = g_strdup_printf ("parse %s %s", mode_name (mode), qhint);
  ok = desc->parse (furlhint_plugin_get_state (plugin), copy, mode, &target, &error);

  if (ok)
    {
      if (error != NULL)
        report (checker, FALSE, check, "returned TRUE but also set an error (%s)", error->message);
      else if (target.host == NULL || *target.host == '\0')
        report (checker, FALSE, check, "returned TRUE without a host");
      else if (points_into (target.host, copy, len) || points_into (target.hint, copy, len))
        {
          report (checker, FALSE, check, "the target points into the hint string; copy with g_strdup()");
          /* Not ours to free. */
          if (points_into (target.host, copy, len))
            target.host = NULL;
          if (points_into (target.hint, copy, len))
            target.hint = NULL;
        }
      else if (!g_utf8_validate (target.host, -1, NULL))
        report (checker, FALSE, check, "the host is not valid UTF-8");
      else if ((gint) target.host_kind < FURLHINT_HOST_NONE || (gint) target.host_kind > FURLHINT_HOST_I2P)
        report (checker, FALSE, check, "unknown host kind %d", (gint) target.host_kind);
      else
        {
          g_autofree gchar *qhost = quote (target.host);

          report (checker, TRUE, check, "host %s port %u%s", qhost, (guint) target.port,
                  target.hint == NULL ? " (no target->hint; the host fills it in)" : "");
          if (target.hint == NULL)
            target.hint = g_strdup (hint);
          g_array_append_val (targets, target);
          memset (&target, 0, sizeof (target));
        }
    }
  else
    {
      if (error == NULL)
        report (checker, FALSE, check, "returned FALSE without setting an error");
      else if (error->domain != FURLHINT_HINT_ERROR)
        report (checker, FALSE, check, "error domain is %s, expected FURLHINT_HINT_ERROR (%s)",
                g_quark_to_string (error->domain), error->message);
      else if (error->code < FURLHINT_HINT_ERROR_UNRECOGNIZED || error->code > FURLHINT_HINT_ERROR_BAD_HOST)
        report (checker, FALSE, check, "unknown FURLHINT_HINT_ERROR code %d (%s)",
                error->code, error->message);
      else if (error->message == NULL || *error->message == '\0' ||
               !g_utf8_validate (error->message, -1, NULL))
        report (checker, FALSE, check, "the error message is empty or not UTF-8");
      else
        report (checker, TRUE, check, "refused (code %d): %s", error->code, error->message);
    }

  memset (copy, 'X', len);
  g_free (copy);
  g_clear_error (&error);
  furlhint_target_clear (&target);
}

static void
check_describe (Checker *checker,
                FurlHintPlugin *plugin,
                const FurlHintTarget *target)
{
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  g_autofree gchar *check = NULL;
  g_autofree gchar *qhint = quote (target->hint);
  g_autofree gchar *text = NULL;

  check = g_strdup_printf ("describe %s", qhint);
  text = desc->describe (furlhint_plugin_get_state (plugin), target);
  if (text == NULL || *text == '\0')
    report (checker, FALSE, check, "returned no text");
  else if (strchr (text, '\n') != NULL || !g_utf8_validate (text, -1, NULL))
    report (checker, FALSE, check, "must return one line of UTF-8 text");
  else
    report (checker, TRUE, check, "%s", text);
}

typedef struct {
  FurlHintPlugin *plugin;
  GMainContext *context;
  gboolean returned;
  guint calls;
  gboolean called_synchronously;
  gboolean wrong_context;
  gboolean timed_out;
  GIOStream *stream;
  GError *error;
} ConnectRun;

static void
connect_status (const gchar *status,
                gpointer user_data)
{
}

static void
connect_done (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  ConnectRun *run = user_data;

  run->calls++;
  if (!run->returned)
    run->called_synchronously = TRUE;
  if (g_main_context_get_thread_default () != run->context)
    run->wrong_context = TRUE;
  if (run->calls == 1)
    {
      const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (run->plugin);

      run->stream = desc->connect_finish (furlhint_plugin_get_state (run->plugin), result, &run->error);
    }
}

static gboolean
connect_timeout (gpointer user_data)
{
  ConnectRun *run = user_data;

  run->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* connect_async with a cancellable that is already cancelled: the plugin
 * must not connect anywhere, and must call back exactly once, later, on
 * our thread-default main context, with an error. */
static void
check_connect_cancelled (Checker *checker,
                         FurlHintPlugin *plugin,
                         const FurlHintTarget *target)
{
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) timeout = NULL;
  g_autofree gchar *check = NULL;
  g_autofree gchar *qhint = quote (target->hint);
  FurlHintConnectArgs args;
  ConnectRun run;
  guint spins;

  check = g_strdup_printf ("connect (cancelled) %s", qhint);
  memset (&run, 0, sizeof (run));
  run.plugin = plugin;
  run.context = g_main_context_new ();
  g_main_context_push_thread_default (run.context);

  memset (&args, 0, sizeof (args));
  args.struct_size = sizeof (args);
  args.target = target;
  args.isolation_key = "furlhint-plugin-check";
  args.status = connect_status;
  args.status_data = &run;

  g_cancellable_cancel (cancellable);
  desc->connect_async (furlhint_plugin_get_state (plugin), &args, cancellable, connect_done, &run);
  run.returned = TRUE;

  timeout = g_timeout_source_new (CONNECT_TIMEOUT_MS);
  g_source_set_callback (timeout, connect_timeout, &run, NULL);
  g_source_attach (timeout, run.context);
  while (run.calls == 0 && !run.timed_out)
    g_main_context_iteration (run.context, TRUE);
  g_source_destroy (timeout);
  g_clear_pointer (&timeout, g_source_unref);

  /* Wait a little for a second (wrong) callback. */
  if (run.calls > 0)
    {
      run.timed_out = FALSE;
      timeout = g_timeout_source_new (SECOND_CALLBACK_WAIT_MS);
      g_source_set_callback (timeout, connect_timeout, &run, NULL);
      g_source_attach (timeout, run.context);
      while (!run.timed_out)
        g_main_context_iteration (run.context, TRUE);
      g_source_destroy (timeout);
      run.timed_out = FALSE;
    }

  if (run.calls == 0)
    report (checker, FALSE, check, "the callback was not called within %d s", CONNECT_TIMEOUT_MS / 1000);
  else if (run.calls > 1)
    report (checker, FALSE, check, "the callback was called %u times; it must be called exactly once", run.calls);
  else if (run.called_synchronously)
    report (checker, FALSE, check, "the callback was called before connect_async returned; "
            "call back from the main loop (GTask does this)");
  else if (run.wrong_context)
    report (checker, FALSE, check, "the callback ran on another main context than the caller's thread-default one");
  else if (run.stream != NULL)
    report (checker, FALSE, check, "connected although the cancellable was cancelled");
  else if (run.error == NULL)
    report (checker, FALSE, check, "connect_finish returned NULL without an error");
  else if (run.error->domain != FURLHINT_CONNECT_ERROR && run.error->domain != G_IO_ERROR)
    report (checker, FALSE, check, "error domain %s, expected FURLHINT_CONNECT_ERROR or G_IO_ERROR (%s)",
            g_quark_to_string (run.error->domain), run.error->message);
  else
    report (checker, TRUE, check, "%s", run.error->message);

  /* Let whatever the plugin left on the context finish before it goes. */
  for (spins = 0; spins < 1000 && g_main_context_pending (run.context); spins++)
    g_main_context_iteration (run.context, FALSE);

  g_clear_object (&run.stream);
  g_clear_error (&run.error);
  g_main_context_pop_thread_default (run.context);
  g_main_context_unref (run.context);
}

/* The server side, statically (publishing would need a Tor or an I2P
 * router). The loader already refuses a publishes list without its three
 * callbacks, or with an empty type or one with ':'; here what it lets
 * through but no host would use. */
static void
check_publishing (Checker *checker,
                  FurlHintPlugin *plugin)
{
  const FurlHintPluginDescriptor *desc = furlhint_plugin_get_descriptor (plugin);
  const gchar *const *publishes = furlhint_plugin_get_publishes (plugin);
  const gchar *const known[] = { furlhint_listen_kind_name (FURLHINT_LISTEN_ONION),
                                 furlhint_listen_kind_name (FURLHINT_LISTEN_I2P), NULL };
  /* (each field counts only when struct_size covers it, as for the host) */
  gboolean covered = desc->struct_size >= G_STRUCT_OFFSET (FurlHintPluginDescriptor, unpublish) +
                                          sizeof desc->unpublish;
  g_autoptr(GString) unknown = g_string_new (NULL);
  g_autofree gchar *list = NULL;
  gboolean ok = TRUE;

  if (publishes[0] == NULL)
    {
      if (covered && (desc->publish_async != NULL || desc->publish_finish != NULL ||
                      desc->unpublish != NULL))
        report (checker, FALSE, "descriptor publishes",
                "publish callbacks are set but publishes lists no endpoint type, so the "
                "host never calls them; list the types it publishes ({ \"onion\", NULL }) "
                "or leave the callbacks NULL");
      else
        report (checker, TRUE, "descriptor publishes", "none (publishes no endpoint)");
      return;
    }

  for (guint i = 0; publishes[i] != NULL; i++)
    {
      const gchar *kind = publishes[i];
      g_autofree gchar *q = quote (kind);

      if (strspn (kind, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (kind))
        {
          report (checker, FALSE, "descriptor publishes",
                  "endpoint type %s is never asked for: the host matches the type of a "
                  "server endpoint (the word before its first ':', \"onion\", \"i2p\") "
                  "exactly, and those are lower-case letters, digits, '_' and '-'", q);
          ok = FALSE;
          continue;
        }
      for (guint j = 0; j < i; j++)
        if (strcmp (publishes[j], kind) == 0)
          {
            report (checker, FALSE, "descriptor publishes",
                    "endpoint type %s is listed twice; list each type once", q);
            ok = FALSE;
            break;
          }
      if (!g_strv_contains (known, kind))
        g_string_append_printf (unknown, "%s%s", unknown->len > 0 ? ", " : "", q);
    }
  if (!ok)
    return;
  list = g_strjoinv (", ", (gchar **) publishes);
  if (unknown->len > 0)
    report (checker, TRUE, "descriptor publishes",
            "%s, with publish_async, publish_finish and unpublish; this furlhint publishes "
            "onion and i2p endpoints, so %s is not asked for yet", list, unknown->str);
  else
    report (checker, TRUE, "descriptor publishes",
            "%s, with publish_async, publish_finish and unpublish", list);
}

static void
check_plugin (Checker *checker)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hints = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) modes = g_array_new (FALSE, FALSE, sizeof (FurlHintParseMode));
  g_autoptr(GArray) targets = g_array_new (FALSE, TRUE, sizeof (FurlHintTarget));
  FurlHintContext *ctx;
  FurlHintContext *anon_ctx;
  FurlHintPlugin *plugin = NULL;
  FurlHintPlugin *anon_plugin = NULL;
  FurlHintTarget synthetic = { NULL, 0, FURLHINT_HOST_NONE, NULL };
  guint i;

  ctx = load_into_new_context (checker, FALSE, &plugin, &error);
  if (ctx == NULL)
    {
      report (checker, FALSE, "load", "%s", error->message);
      return;
    }
  report (checker, TRUE, "load", "init with %s%s succeeded (configured: %s)",
          checker->config_path != NULL ? "the settings of " : "default settings",
          checker->config_path != NULL ? checker->config_path : "",
          furlhint_plugin_is_configured (plugin) ? "yes" : "no");
  check_descriptor (checker, plugin);
  check_publishing (checker, plugin);

  anon_ctx = load_into_new_context (checker, TRUE, &anon_plugin, &error);
  if (anon_ctx == NULL)
    {
      report (checker, FALSE, "init (anonymous)", "%s; in anonymous mode a plugin "
              "should load and leave the refusal of revealing routes to the ranker", error->message);
      g_clear_error (&error);
    }
  else
    report (checker, TRUE, "init (anonymous)", "configured: %s",
            furlhint_plugin_is_configured (anon_plugin) ? "yes" : "no");

  sample_hints (checker, furlhint_plugin_get_descriptor (plugin), hints, modes);
  extra_hints (checker, ctx, plugin, hints, modes);
  for (i = 0; i < hints->len; i++)
    check_parse_one (checker, plugin, g_ptr_array_index (hints, i),
                     g_array_index (modes, FurlHintParseMode, i), targets);
  if (anon_plugin != NULL)
    {
      for (i = 0; i < hints->len && i < 4; i++)
        check_parse_one (checker, anon_plugin, g_ptr_array_index (hints, i),
                         g_array_index (modes, FurlHintParseMode, i), targets);
    }

  for (i = 0; i < targets->len; i++)
    check_describe (checker, plugin, &g_array_index (targets, FurlHintTarget, i));

  if (targets->len > 0)
    check_connect_cancelled (checker, plugin, &g_array_index (targets, FurlHintTarget, 0));
  else
    {
      /* Nothing parsed: still check the callback contract, on a target
       * that could not leave this machine anyway. */
      synthetic.host = g_strdup ("127.0.0.1");
      synthetic.port = 9;
      synthetic.host_kind = FURLHINT_HOST_IPV4;
      synthetic.hint = g_strdup ("tcp:127.0.0.1:9");
      check_connect_cancelled (checker, plugin, &synthetic);
      furlhint_target_clear (&synthetic);
    }

  for (i = 0; i < targets->len; i++)
    furlhint_target_clear (&g_array_index (targets, FurlHintTarget, i));

  furlhint_context_unref (anon_ctx);
  furlhint_context_unref (ctx);
  report (checker, TRUE, "fini", NULL);
}

/* Runs the checks of one plugin in a child process. Returns TRUE when all
 * passed. */
static gboolean
check_in_child (Checker *checker)
{
  pid_t pid;
  int status;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "furlhint-plugin-check: fork failed; checking %s in-process\n", checker->path);
      check_plugin (checker);
      return checker->failed == 0;
    }
  if (pid == 0)
    {
      check_plugin (checker);
      printf ("%s %s: %u checks, %u failed\n", checker->failed == 0 ? "PASS" : "FAIL",
              checker->path, checker->checks, checker->failed);
      fflush (stdout);
      _exit (checker->failed == 0 ? 0 : 1);
    }

  while (waitpid (pid, &status, 0) < 0)
    ;
  if (WIFSIGNALED (status))
    {
      printf ("FAIL %s: crashed (signal %d, %s) during the checks above\n",
              checker->path, WTERMSIG (status), g_strsignal (WTERMSIG (status)));
      fflush (stdout);
      return FALSE;
    }
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

int
main (int argc,
      char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) hints = NULL;
  g_autofree gchar *config_path = NULL;
  gboolean no_fork = FALSE;
  gboolean verbose = FALSE;
  gboolean all_passed = TRUE;
  const GOptionEntry entries[] = {
    { "config", 'c', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &config_path,
      "Init the plugins with the settings of this tahoe.cfg", "FILE" },
    { "hint", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, &hints,
      "Also parse HINT, in the mode the host would use (native, suffix or "
      "carry); may be repeated", "HINT" },
    { "no-fork", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &no_fork,
      "Check in this process (for debuggers and valgrind)", NULL },
    { "verbose", 'v', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &verbose,
      "Show what the plugins log", NULL },
    G_OPTION_ENTRY_NULL
  };
  gint i;

  octx = g_option_context_new ("PLUGIN... - check furlhint transport plugins");
  g_option_context_set_summary (octx,
      "Loads each PLUGIN (a .la or .so file) and checks that it keeps the\n"
      "contract of <furlhint/plugin.h>. Prints one PASS or FAIL line per\n"
      "check; exits with 0 only when every check passed.");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "furlhint-plugin-check: %s (try --help)\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      fprintf (stderr, "furlhint-plugin-check: no plugin given; usage: "
               "furlhint-plugin-check [--config FILE] [--hint HINT]... "
               "PLUGIN.so|PLUGIN.la...\n");
      return 2;
    }
  if (config_path != NULL)
    {
      /* Read once here, so that a bad file is one usage error rather
       * than a failed load of every plugin. */
      FurlHintConfig *config = furlhint_config_load_file (config_path, &error);

      if (config == NULL)
        {
          fprintf (stderr, "furlhint-plugin-check: --config %s: %s\n", config_path, error->message);
          return 2;
        }
      furlhint_config_unref (config);
    }

  for (i = 1; i < argc; i++)
    {
      Checker checker = { argv[i], 0, 0, verbose, hints, config_path };
      gboolean passed;

      if (no_fork)
        {
          check_plugin (&checker);
          printf ("%s %s: %u checks, %u failed\n", checker.failed == 0 ? "PASS" : "FAIL",
                  checker.path, checker.checks, checker.failed);
          passed = checker.failed == 0;
        }
      else
        passed = check_in_child (&checker);
      all_passed = all_passed && passed;
    }

  return all_passed ? 0 : 1;
}
