/* furlhint connect: rank a FURL, race its routes, show each hint's status
 * live, report the winner — and with --pipe relay stdin/stdout over the
 * connection, as ncat does.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cli-common.h"
#include "json-writer.h"
#include "relay.h"

#define DEFAULT_TIMEOUT_S (FURLHINT_DEFAULT_TIMEOUT_MS / 1000)
/* GSource timeouts count milliseconds in a guint. */
#define MAX_TIMEOUT_S (G_MAXUINT / 1000)
#define MAX_STAGGER_MS 600000
/* --pipe: after the end of standard input, how long the peer may stay
 * silent before the relay ends (0: wait for the peer to close). */
#define DEFAULT_IDLE_TIMEOUT_S 30

/* Cancelled attempts call back after the result: give them this long to
 * close their sockets before the process exits. */
#define DRAIN_MS 500

typedef struct {
  FhCli *cli;
  FurlHintContext *ctx;           /* (owned) */
  FurlHintFurl *furl;             /* (owned) */
  FurlHintPlan *plan;             /* (owned) */
  gboolean pipe;
  FILE *report_out;               /* stdout, or stderr with --pipe */
  gboolean redraw;                /* live block redrawn in place on stderr */
  GPtrArray *live;                /* (owned) (element-type utf8) per hint */
  guint drawn;                    /* lines of the live block on screen */
  GCancellable *cancellable;      /* (owned) Ctrl-C */
  int signum;                     /* the signal that cancelled, 0 for none */

  /* connecting */
  gboolean connect_done;
  FurlHintConnectResult *result;  /* (owned) (nullable) */
  GError *error;                  /* (owned) (nullable) */

  /* --pipe (cli/relay.c) */
  gboolean half_close;            /* --half-close */
  guint idle_timeout_ms;          /* --idle-timeout; 0: none */
} Connect;

/* --- output --------------------------------------------------------------- */

static FILE *
json_out (Connect *c)
{
  return c->pipe ? stderr : stdout;
}

static void
print_json (Connect *c,
            GString *out)
{
  FILE *f = json_out (c);

  fwrite (out->str, 1, out->len, f);
  fputc ('\n', f);
  fflush (f);
}

static const gchar *
hint_text (Connect *c,
           guint index)
{
  return furlhint_hint_get_canonical (furlhint_furl_get_hint (c->furl, index));
}

/* "hint 2 tcp:example.org:80: connecting" (hints counted from 1, as
 * `rank --explain` does). */
static gchar *
status_line (Connect *c,
             guint index,
             const gchar *status)
{
  return g_strdup_printf ("hint %u %s: %s", index + 1, hint_text (c, index),
                          status != NULL ? status : "");
}

static guint
terminal_columns (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

/* Moves the cursor back to the top of the live block and clears it. */
static void
erase_live (Connect *c)
{
  if (c->drawn == 0)
    return;
  /* Our own cursor movement: the one output that is not escaped. */
  fprintf (stderr, "\r\033[%uA\033[J", c->drawn);
  c->drawn = 0;
}

/* One line per hint, cut to the terminal width so that no line wraps
 * (a wrapped line would break the cursor arithmetic). */
static void
draw_live (Connect *c)
{
  guint columns = terminal_columns ();

  erase_live (c);
  for (guint i = 0; i < c->live->len; i++)
    {
      g_autofree gchar *raw = status_line (c, i, g_ptr_array_index (c->live, i));
      /* Escaped before measuring, so that the width is the one shown. */
      g_autofree gchar *line = fh_text_escape (raw, -1);
      glong n_chars = g_utf8_strlen (line, -1);

      if (columns > 8 && n_chars > (glong) columns - 1)
        {
          gchar *end = g_utf8_offset_to_pointer (line, (glong) columns - 4);

          fh_print (stderr, "%.*s...\n", (int) (end - line), line);
        }
      else
        fh_print (stderr, "%s\n", line);
    }
  c->drawn = c->live->len;
  fflush (stderr);
}

static void
on_status (guint hint_index,
           const gchar *status,
           gpointer user_data)
{
  Connect *c = user_data;

  if (hint_index >= c->live->len)
    return;
  g_free (g_ptr_array_index (c->live, hint_index));
  c->live->pdata[hint_index] = g_strdup (status);

  if (c->cli->json)
    {
      g_autoptr(GString) out = g_string_new ("{");

      fh_json_append_key (out, "event");
      fh_json_append_text (out, "status");
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hint_index");
      fh_json_append_uint (out, hint_index);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hint");
      fh_json_append_text (out, hint_text (c, hint_index));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "status");
      fh_json_append_text (out, status);
      g_string_append_c (out, '}');
      print_json (c, out);
    }
  else if (c->redraw)
    draw_live (c);
  else
    {
      g_autofree gchar *line = status_line (c, hint_index, status);

      fflush (stdout);
      fh_print (stderr, "%s\n", line);
      fflush (stderr);
    }
}

/* Every hint's final status: the connector's, or the plan's reason for a
 * hint that never got a route. */
static const gchar *
final_status (Connect *c,
              guint index)
{
  const gchar *status = c->result != NULL
                        ? furlhint_connect_result_get_hint_status (c->result, index)
                        : NULL;

  return status != NULL ? status : g_ptr_array_index (c->live, index);
}

static void
print_report_text (Connect *c)
{
  const FurlHintPlanEntry *winner = c->result ? furlhint_connect_result_get_winner (c->result) : NULL;
  guint elapsed = c->result ? furlhint_connect_result_get_elapsed_ms (c->result) : 0;
  FILE *out = c->report_out;

  if (c->redraw)
    {
      erase_live (c);
      fflush (stderr);
    }

  if (winner != NULL)
    {
      g_autofree gchar *route = furlhint_plugin_describe (winner->plugin, &winner->target);

      fh_print (out, "connected via hint %u %s (%s, %s, %s) in %u ms\n",
               winner->hint_index + 1, hint_text (c, winner->hint_index),
               furlhint_plugin_get_name (winner->plugin),
               furlhint_anon_class_name (winner->anon_class), route, elapsed);
    }
  else
    {
      fflush (out);
      if (c->signum != 0)
        fh_cli_error (c->cli, "interrupted after %u ms", elapsed);
      else
        fh_cli_error (c->cli, "not connected after %u ms: %s", elapsed,
                      c->error != NULL ? c->error->message : "no route");
      fh_print (out, "not connected\n");
    }
  for (guint i = 0; i < c->live->len; i++)
    {
      g_autofree gchar *line = status_line (c, i, final_status (c, i));

      fh_print (out, "  %s\n", line);
    }
  fflush (out);
}

static void
print_report_json (Connect *c,
                   const GError *error)
{
  g_autoptr(GString) out = g_string_new ("{");
  const FurlHintPlanEntry *winner = c->result ? furlhint_connect_result_get_winner (c->result) : NULL;
  gboolean anonymous = furlhint_config_get_anonymous (furlhint_context_get_config (c->ctx));

  fh_json_append_key (out, "event");
  fh_json_append_text (out, "result");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "ok");
  fh_json_append_bool (out, winner != NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "anonymous");
  fh_json_append_bool (out, c->plan ? furlhint_plan_is_anonymous (c->plan) : anonymous);
  g_string_append_c (out, ',');
  /* Not the FURL itself: its swissnum is a secret. */
  fh_json_append_key (out, "tubid");
  fh_json_append_text (out, c->furl ? furlhint_furl_get_tubid (c->furl) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "elapsed_ms");
  fh_json_append_uint (out, c->result ? furlhint_connect_result_get_elapsed_ms (c->result) : 0);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "winner");
  if (winner != NULL)
    fh_json_append_plan_entry (out, winner);
  else
    g_string_append (out, "null");
  g_string_append_c (out, ',');
  fh_json_append_key (out, "statuses");
  g_string_append_c (out, '[');
  for (guint i = 0; c->live != NULL && i < c->live->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      fh_json_append_key (out, "hint_index");
      fh_json_append_uint (out, i);
      g_string_append_c (out, ',');
      fh_json_append_key (out, "hint");
      fh_json_append_text (out, hint_text (c, i));
      g_string_append_c (out, ',');
      fh_json_append_key (out, "status");
      fh_json_append_text (out, final_status (c, i));
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],");
  fh_json_append_key (out, "domain");
  if (error != NULL && furlhint_error_domain_name (error->domain) == NULL)
    fh_json_append_text (out, g_quark_to_string (error->domain));
  else
    fh_json_append_text (out, error ? furlhint_error_domain_name (error->domain) : NULL);
  g_string_append_c (out, ',');
  fh_json_append_error (out, error);
  g_string_append_c (out, '}');
  print_json (c, out);
}

/* --- signals ---------------------------------------------------------------- */

static gboolean
on_signal (gpointer user_data,
           int signum)
{
  Connect *c = user_data;

  if (c->signum == 0)
    c->signum = signum;
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  return on_signal (user_data, SIGINT);
}

static gboolean
on_sigterm (gpointer user_data)
{
  return on_signal (user_data, SIGTERM);
}

/* --- connecting --------------------------------------------------------------- */

static void
connect_done_cb (GObject *source,
                 GAsyncResult *res,
                 gpointer user_data)
{
  Connect *c = user_data;

  c->result = furlhint_context_connect_finish (c->ctx, res, &c->error);
  c->connect_done = TRUE;
}

static gboolean
drain_timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets cancelled attempts report back and close their sockets (bounded). */
static void
drain_main_context (void)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (DRAIN_MS, drain_timeout_cb, &expired);

  while (!expired && g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  if (!expired)
    g_source_remove (id);
}

/* --- the command ---------------------------------------------------------------- */

typedef struct {
  gchar *furl;       /* (owned) (nullable) the first FURL line */
  guint64 n_lines;
} ReadFurl;

static void
read_furl_line (const gchar *line,
                gsize length,
                guint64 line_no,
                gboolean too_long,
                gpointer user_data)
{
  ReadFurl *rf = user_data;

  if (++rf->n_lines == 1 && !too_long)
    rf->furl = g_strndup (line, length);
}

/* The FURL from the command line, or from one line of standard input for
 * "-" (a FURL holds a secret that `ps` would show). */
static gchar *
get_furl_text (Connect *c,
               int *rc)
{
  const gchar *arg = c->cli->args[0];
  ReadFurl rf = { NULL, 0 };
  g_autoptr(GError) error = NULL;

  if (strcmp (arg, "-") != 0)
    return g_strdup (arg);

  if (!fh_cli_read_lines (stdin, read_furl_line, &rf, &error))
    {
      fh_cli_error (c->cli, "standard input: %s", error->message);
      *rc = FH_EXIT_IO;
      g_free (rf.furl);
      return NULL;
    }
  if (rf.n_lines != 1 || rf.furl == NULL)
    {
      fh_cli_error (c->cli, "standard input: expected exactly one FURL line (got %" G_GUINT64_FORMAT
                    " non-empty, non-comment lines%s)", rf.n_lines,
                    rf.n_lines == 1 ? ", longer than the limit" : "");
      *rc = FH_EXIT_REFUSED;
      g_free (rf.furl);
      return NULL;
    }
  return rf.furl;
}

static FurlHintFurl *
parse_furl (Connect *c,
            const gchar *text,
            int *rc)
{
  g_autoptr(GError) error = NULL;
  FurlHintFurl *furl = NULL;

  if (!g_utf8_validate (text, -1, NULL))
    g_set_error (&error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_NOT_UTF8,
                 "the FURL is not valid UTF-8 text; a FURL is UTF-8 text");
  else
    furl = furlhint_furl_parse (text, &error);
  if (furl != NULL)
    return furl;

  *rc = FH_EXIT_REFUSED;
  if (c->cli->json)
    print_report_json (c, error);
  else
    fh_cli_error (c->cli, "%s (%s)", error->message, furlhint_error_code_name (error));
  return NULL;
}

static void
connect_clear (Connect *c)
{
  g_clear_pointer (&c->result, furlhint_connect_result_unref);
  g_clear_error (&c->error);
  g_clear_pointer (&c->plan, furlhint_plan_unref);
  g_clear_pointer (&c->furl, furlhint_furl_unref);
  g_clear_pointer (&c->live, g_ptr_array_unref);
  g_clear_object (&c->cancellable);
  if (c->ctx != NULL)
    {
      drain_main_context ();
      g_clear_pointer (&c->ctx, furlhint_context_unref);
    }
}

static int
signal_exit (int signum)
{
  return 128 + signum;
}

/* `furlhint connect --help`, after the options. The exit statuses are
 * connect's own, not FH_EXIT_STATUS_HELP: it adds the signals and has no
 * --strict. */
static const gchar connect_description[] =
  "Ranks FURL under the configuration (as `rank` does) and connects: the\n"
  "routes of a tier start in rank order, --stagger apart, and a route that\n"
  "fails starts the next one at once; the first one to connect wins and the\n"
  "others are abandoned; a later tier starts only when the earlier one has\n"
  "failed. Each hint's status is shown on standard error while connecting\n"
  "(redrawn in place on a terminal). Then prints the winner, its route and\n"
  "the time it took, and every hint's final status; or, when nothing\n"
  "connected, the error of the attempt that got furthest.\n"
  "FURL \"-\" reads the FURL from one line of standard input (not with --pipe),\n"
  "which keeps its secret out of the process list.\n"
  "\n"
  "--pipe: once connected, copies standard input to the peer and the peer to\n"
  "standard output (like nc). At the end of input the connection stays open and\n"
  "the peer is read until it closes, or until it has sent nothing for\n"
  "--idle-timeout seconds (default 30; 0 waits for the peer to close);\n"
  "--half-close also shuts down the connection's write side then, which tells a\n"
  "peer that waits for it that the request is complete (but a SAM bridge or an\n"
  "HTTP CONNECT proxy ends the whole stream on it, reply and all). Statuses and\n"
  "the report go to standard error, so standard output carries only the peer's\n"
  "bytes.\n"
  "\n"
  "--json prints one object per status change ({\"event\":\"status\",\n"
  "\"hint_index\",\"hint\",\"status\"}) and then one result object (event\n"
  "\"result\", ok, anonymous, tubid, elapsed_ms, winner (a plan entry as\n"
  "`rank --json` prints it), statuses [{hint_index, hint, status}], domain,\n"
  "error, message), on standard output (standard error with --pipe).\n"
  "\n"
  "Exit status:\n"
  "  0  connected (with --pipe: the relay ended cleanly)\n"
  "  1  the FURL was refused or has no route, every route failed, the\n"
  "     timeout passed, the relay failed, or the configuration is invalid\n"
  "  2  usage error\n"
  "  3  the configuration file, standard input or a plugin directory could\n"
  "     not be read\n"
  "  130 interrupted (SIGINT); 143 terminated (SIGTERM)\n";

/* The configuration, the plugins and the FURL. FALSE, with *@rc set and
 * the reason printed, when one of them is missing or unreadable. */
static gboolean
connect_load (Connect *c,
              int *rc)
{
  g_autofree gchar *text = NULL;
  FurlHintConfig *config;
  GPtrArray *plugin_errors;

  config = fh_cli_load_config (c->cli, rc);
  if (config == NULL)
    return FALSE;
  c->ctx = fh_cli_make_context (c->cli, config, rc);
  furlhint_config_unref (config);
  if (c->ctx == NULL)
    return FALSE;
  if (!fh_cli_check_tcp_route (c->cli, c->ctx, rc))
    return FALSE;
  plugin_errors = furlhint_context_get_plugin_errors (c->ctx);
  for (guint i = 0; i < plugin_errors->len; i++)
    {
      const GError *perr = g_ptr_array_index (plugin_errors, i);

      fh_cli_error (c->cli, "warning: %s", perr->message);
    }

  text = get_furl_text (c, rc);
  if (text == NULL)
    return FALSE;
  c->furl = parse_furl (c, text, rc);
  return c->furl != NULL;
}

/* Ranks, connects (showing each hint's status), reports, and with --pipe
 * relays. Returns the exit status. */
static int
connect_run (Connect *c,
             guint stagger_ms,
             gdouble timeout_s)
{
  FurlHintConnectOptions options = { sizeof options, { sizeof options.rank, }, };
  guint sigint_id, sigterm_id;
  int rc = FH_EXIT_OK;

  /* The library reads a stagger of 0 as "the default": 1 ms is as near
   * to "all at once" as it gets. */
  options.rank.stagger_ms = stagger_ms > 0 ? stagger_ms : 1;
  /* Rounded up: --timeout 0.0001 still waits a millisecond. */
  options.timeout_ms = (guint) MIN ((gdouble) G_MAXUINT, timeout_s * 1000 + 0.999);
  options.status = on_status;
  options.status_data = c;

  /* Ranked here rather than in the connector, so that every hint has a
   * line (with the policy's reason when it got no route) from the start. */
  options.rank.overrides = fh_cli_dup_overrides (c->cli, c->furl);
  c->plan = furlhint_context_rank (c->ctx, c->furl, &options.rank);
  c->live = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < furlhint_furl_get_n_hints (c->furl); i++)
    g_ptr_array_add (c->live, NULL);
  for (guint i = furlhint_plan_get_n_entries (c->plan); i-- > 0;)
    {
      const FurlHintPlanEntry *e = furlhint_plan_get_entry (c->plan, i);
      gchar *status = e->routed
                      ? g_strdup_printf ("waiting (tier %u, starts at %u ms)", e->tier, e->delay_ms)
                      : furlhint_plan_entry_dup_status (e);

      /* Entries are in rank order: the first route of a hint is its
       * earliest, so walk backwards and let earlier entries win. */
      g_free (g_ptr_array_index (c->live, e->hint_index));
      c->live->pdata[e->hint_index] = status;
    }
  if (c->redraw)
    draw_live (c);

  sigint_id = g_unix_signal_add (SIGINT, on_sigint, c);
  sigterm_id = g_unix_signal_add (SIGTERM, on_sigterm, c);

  furlhint_context_connect_plan_async (c->ctx, c->plan, &options, c->cancellable,
                                       connect_done_cb, c);
  while (!c->connect_done)
    g_main_context_iteration (NULL, TRUE);

  if (c->cli->json)
    print_report_json (c, c->error);
  else
    print_report_text (c);

  if (c->signum != 0)
    rc = signal_exit (c->signum);
  else if (c->error != NULL || furlhint_connect_result_get_stream (c->result) == NULL)
    rc = FH_EXIT_REFUSED;
  else if (c->pipe)
    {
      g_autoptr(GIOStream) stream = furlhint_connect_result_steal_stream (c->result);
      g_autoptr(GError) relay_error = NULL;
      gboolean relayed = fh_relay_run (c->cli, stream, c->half_close, c->idle_timeout_ms,
                                       c->cancellable, &relay_error);

      if (c->signum != 0)
        rc = signal_exit (c->signum);
      else if (!relayed)
        {
          fh_cli_error (c->cli, "relay: %s", relay_error->message);
          rc = FH_EXIT_REFUSED;
        }
    }

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_pointer (&options.rank.overrides, g_hash_table_unref);
  return rc;
}

int
fh_cmd_connect (FhCli *cli,
                int argc,
                char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  Connect c = { 0 };
  gdouble timeout_s = DEFAULT_TIMEOUT_S;
  gint stagger_ms = FURLHINT_DEFAULT_STAGGER_MS;
  gboolean pipe = FALSE;
  gboolean half_close_opt = FALSE;
  gdouble idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
  int rc = FH_EXIT_OK;
  const GOptionEntry entries[] = {
    { "timeout", 't', G_OPTION_FLAG_NONE, G_OPTION_ARG_DOUBLE, &timeout_s,
      "Give up when no route has connected after SECONDS (default 120, Foolscap's)", "SECONDS" },
    { "stagger", 's', G_OPTION_FLAG_NONE, G_OPTION_ARG_INT, &stagger_ms,
      "Start the routes of a tier MS milliseconds apart (default 250)", "MS" },
    { "pipe", 'p', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &pipe,
      "Once connected, relay standard input to the peer and the peer to standard output", NULL },
    { "idle-timeout", 'i', G_OPTION_FLAG_NONE, G_OPTION_ARG_DOUBLE, &idle_timeout_s,
      "--pipe: after the end of input, stop when the peer has sent nothing for SECONDS "
      "(default 30; 0: wait until the peer closes)", "SECONDS" },
    { "half-close", 'H', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &half_close_opt,
      "--pipe: at the end of input, shut down the connection's write side", NULL },
    FH_CLI_OVERRIDE_OPTIONS,
    G_OPTION_ENTRY_NULL
  };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("connect"), entries);
  g_option_context_set_description (octx, connect_description);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;

  if (cli->args == NULL || cli->args[0] == NULL)
    return fh_cli_usage_error (cli, "no FURL given");
  if (cli->args[1] != NULL)
    return fh_cli_usage_error (cli, "connect takes one FURL (got %u arguments)",
                               g_strv_length (cli->args));
  if (!(timeout_s > 0) || !(timeout_s <= MAX_TIMEOUT_S))
    return fh_cli_usage_error (cli, "--timeout must be a number of seconds above 0 and at "
                               "most %u (got %g)", MAX_TIMEOUT_S, timeout_s);
  if (stagger_ms < 0 || stagger_ms > MAX_STAGGER_MS)
    return fh_cli_usage_error (cli, "--stagger must be a number of milliseconds from 0 to %d "
                               "(got %d)", MAX_STAGGER_MS, stagger_ms);
  if (!(idle_timeout_s >= 0) || !(idle_timeout_s <= MAX_TIMEOUT_S))
    return fh_cli_usage_error (cli, "--idle-timeout must be a number of seconds from 0 (no "
                               "limit) to %u (got %g)", MAX_TIMEOUT_S, idle_timeout_s);
  if (pipe && strcmp (cli->args[0], "-") == 0)
    return fh_cli_usage_error (cli, "--pipe relays standard input, so the FURL cannot be "
                               "read from it: give the FURL as the argument");

  c.cli = cli;
  c.pipe = pipe;
  c.half_close = half_close_opt;
  /* Rounded up, as --timeout is: a positive timeout is never 0 ms. */
  c.idle_timeout_ms = (guint) MIN ((gdouble) G_MAXUINT, idle_timeout_s * 1000 + 0.999);
  c.report_out = pipe ? stderr : stdout;
  c.redraw = !cli->json && !cli->verbose && isatty (STDERR_FILENO)
             && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  c.cancellable = g_cancellable_new ();

  if (connect_load (&c, &rc))
    rc = connect_run (&c, (guint) stagger_ms, timeout_s);
  connect_clear (&c);
  return rc;
}
