/* The furlhint command: what the subcommands share.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CLI_COMMON_H
#define FURLHINT_CLI_COMMON_H

#include <stdio.h>

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

/* Exit statuses; docs/furlhint.1 (EXIT STATUS) and every --help list them. */
typedef enum {
  FH_EXIT_OK = 0,        /* success */
  FH_EXIT_REFUSED = 1,   /* a FURL/hint refused or without a route; config invalid */
  FH_EXIT_USAGE = 2,     /* bad command line */
  FH_EXIT_IO = 3,        /* input, config file or plugin directory unreadable */
  FH_EXIT_PLUGINS = 4,   /* `plugins --strict`: a plugin failed to load */
  /* connect exits with 128 + the signal that interrupted it (130, 143). */
} FhExit;

#define FH_EXIT_STATUS_HELP \
  "Exit status:\n" \
  "  0  success\n" \
  "  1  a FURL or hint was refused or has no route, or the configuration is invalid\n" \
  "  2  usage error (unknown command or option, missing argument)\n" \
  "  3  an input, configuration file or plugin directory could not be read\n" \
  "  4  plugins --strict: a plugin could not be loaded\n" \
  "  130  connect: interrupted (Ctrl-C)\n"

/* Longest input line read from stdin; longer lines are refused, not
 * truncated, so a FURL is never judged on a prefix of itself. */
#define FH_CLI_MAX_LINE (1024 * 1024)

/* Options shared by every command, accepted before and after the command
 * name (`furlhint --anonymous rank ...` and `furlhint rank --anonymous`). */
typedef struct {
  const gchar *prgname;     /* "furlhint" */
  const gchar *command;     /* (nullable) the command being run */
  gchar *config_path;       /* (owned) (nullable) --config */
  gboolean anonymous;       /* --anonymous */
  gboolean json;            /* --json */
  GPtrArray *plugin_dirs;   /* (owned) (element-type filename) --plugin-dir */
  gboolean verbose;         /* -v/--verbose */
  gboolean show_secrets;    /* --show-secrets: FURL names and swissnums in full */
  gchar **args;             /* (owned) (nullable) the command's arguments, as bytes */
  GHashTable *overrides;    /* (owned) (nullable) --override: hint type → handler */
  GHashTable *servers;      /* (owned) (nullable) --servers: tub ID → (type → handler) */
} FhCli;

typedef int (*FhCommandFunc) (FhCli *cli, int argc, char **argv);

typedef struct {
  const gchar *name;
  const gchar *parameter_string;   /* "[FURL|HINT...]" */
  const gchar *summary;            /* one line for `furlhint help` */
  FhCommandFunc run;
} FhCommand;

void fh_cli_init (FhCli *cli, const gchar *prgname);
void fh_cli_clear (FhCli *cli);

/* A GOptionContext for @command (NULL: the global one) whose main group
 * holds the shared options followed by @entries (nullable). */
GOptionContext *fh_cli_option_context_new (FhCli *cli,
                                           const FhCommand *command,
                                           const GOptionEntry *entries);

/* Parses @argv with @octx; on error prints it with a usage hint on stderr
 * and returns FALSE (the caller exits with FH_EXIT_USAGE). */
gboolean fh_cli_parse_options (FhCli *cli,
                               GOptionContext *octx,
                               int *argc,
                               char ***argv);

/* Every line of text output for a human goes through here: formats, then
 * escapes control characters (but newlines) and invalid UTF-8 as
 * fh_text_append_escaped() does, so that nothing printed (a hint,
 * a plugin's or a peer's message, a config value) can drive the terminal.
 * JSON output is escaped by its writer instead. */
void fh_print (FILE *stream,
               const gchar *format,
               ...) G_GNUC_PRINTF (2, 3);

/* Prints "furlhint COMMAND: message" to stderr (escaped as fh_print()). */
void fh_cli_error (FhCli *cli,
                   const gchar *format,
                   ...) G_GNUC_PRINTF (2, 3);

/* Prints a listener's status for one tub.port/tub.location entry to
 * stderr (fh_cli_error()): "TEXT (KEY entry N, WHERE): STATUS"; the status
 * callback of listen and location --create. */
void fh_cli_print_listen_status (FhCli *cli,
                                 const FurlHintListenEntry *entry,
                                 const gchar *status);

/* Prints the usage error, the usage line and where to find help; returns
 * FH_EXIT_USAGE. */
int fh_cli_usage_error (FhCli *cli,
                        const gchar *format,
                        ...) G_GNUC_PRINTF (2, 3);

/* Reads --config (or makes a default configuration) and applies
 * --anonymous. On failure prints the error and sets *exit_code (FH_EXIT_IO
 * when the file cannot be read, FH_EXIT_REFUSED when it is invalid). */
FurlHintConfig *fh_cli_load_config (FhCli *cli,
                                    int *exit_code);

/* A context for @config with the default plugins and every --plugin-dir
 * loaded, and the -v logger installed. Returns NULL (message printed,
 * *exit_code = FH_EXIT_IO) when a --plugin-dir cannot be read. */
FurlHintContext *fh_cli_make_context (FhCli *cli,
                                      FurlHintConfig *config,
                                      int *exit_code);

/* fh_cli_make_context(), and every warning the library and its plugins
 * log while loading (a plugin's own, an unknown key of its section) added
 * to @warnings (element-type utf8, owned), also without -v. */
FurlHintContext *fh_cli_make_context_collecting (FhCli *cli,
                                                 FurlHintConfig *config,
                                                 GPtrArray *warnings,
                                                 int *exit_code);

/* Adds TYPE → HANDLER (both lower-cased) to an overrides table as
 * furlhint_context_rank() reads it (FurlHintRankOptions.overrides). FALSE
 * and *@message (owned) saying what is accepted when either is not a
 * name (letters, digits, '_', '-'). */
gboolean fh_cli_add_override (GHashTable *table,
                              const gchar *type,
                              const gchar *handler,
                              gchar **message);

/* GOption callback for `--override TYPE=NAME` (repeatable) into
 * cli->overrides; data is the FhCli. */
gboolean fh_cli_option_override_cb (const gchar *option_name,
                                    const gchar *value,
                                    gpointer data,
                                    GError **error);

/* GOption callback for `--servers FILE`: reads Tahoe's servers.yaml
 * (cli/servers-yaml.c) into cli->servers; data is the FhCli. */
gboolean fh_cli_option_servers_cb (const gchar *option_name,
                                   const gchar *value,
                                   gpointer data,
                                   GError **error);

/* The per-peer overrides for @furl (new reference, or NULL for none):
 * its server's `connections:` from --servers (matched by tub ID), then
 * every --override, which wins. */
GHashTable *fh_cli_dup_overrides (FhCli *cli,
                                  FurlHintFurl *furl);

/* The options of the commands that rank: --override and --servers. */
#define FH_CLI_OVERRIDE_OPTIONS \
  { "override", 'o', G_OPTION_FLAG_NONE, G_OPTION_ARG_CALLBACK, \
    (gpointer) fh_cli_option_override_cb, \
    "Per-peer override of a hint type's handler, as in Tahoe's servers.yaml " \
    "connections: (tcp=tor, tcp=tcp, tcp=disabled, tcp=CARRIER, tor=disabled; " \
    "may be repeated; wins over --servers)", "TYPE=NAME" }, \
  { "servers", 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK, \
    (gpointer) fh_cli_option_servers_cb, \
    "Read Tahoe's private/servers.yaml: a server's connections: table overrides " \
    "[connections] for the FURLs with its anonymous-storage-FURL's tub ID", "FILE" }

/* servers-yaml.c: tub ID of each static server's anonymous-storage-FURL →
 * its `connections:` table (type → handler, lower case); NULL with
 * @error (naming FILE:LINE and what is accepted) when the file is not
 * such YAML. */
GHashTable *fh_servers_yaml_load (const gchar *path,
                                  GError **error);

/* furlhint_context_check_tcp_route() for a command that connects or
 * ranks: FALSE (message printed, *exit_code = FH_EXIT_REFUSED) when
 * `[connections] tcp` names no loaded carrier. */
gboolean fh_cli_check_tcp_route (FhCli *cli,
                                 FurlHintContext *ctx,
                                 int *exit_code);

/* Batch input: calls @func for each line of @stream (final "\n" removed,
 * nothing else stripped), skipping empty lines and lines starting with '#'
 * as the corpus README says. @func gets the raw bytes and their length
 * (which may contain NUL bytes or invalid UTF-8); @line_no counts every
 * line read. Lines longer than FH_CLI_MAX_LINE are passed with
 * @too_long set and @line truncated. Returns FALSE with @error set when
 * @stream could not be read. */
typedef void (*FhLineFunc) (const gchar *line,
                            gsize length,
                            guint64 line_no,
                            gboolean too_long,
                            gpointer user_data);

gboolean fh_cli_read_lines (FILE *stream,
                            FhLineFunc func,
                            gpointer user_data,
                            GError **error);

/* TRUE when @text contains "pb://" in any letter case (the corpus rule
 * for "this line is a FURL"). */
gboolean fh_text_is_furl (const gchar *text);

/* @text, or a valid UTF-8 rendering of @length bytes at @text (invalid
 * bytes and NULs replaced by U+FFFD) for messages. (transfer full) */
gchar *fh_text_make_printable (const gchar *text,
                               gssize length);

/* A FURL (or text that may hold one) as output shows it: with its name
 * censored (furlhint_furl_censor_text()), unless --show-secrets. Passwords
 * are never shown. (transfer full) */
gchar *fh_cli_show_furl (FhCli *cli,
                         const gchar *text);

/* The nick of @value in the enumeration @type (the name the CLI and its
 * JSON print), or "unknown". Static storage. */
const gchar *fh_enum_nick (GType type,
                           gint value);

/* Short names for enums the public API has no name function for. */
const gchar *fh_host_kind_name (FurlHintHostKind kind);

/* JSON helpers on top of core/shared/json-writer.h. */
void fh_json_append_strv (GString *out,
                          const gchar *const *strv);
void fh_json_append_uint (GString *out,
                          guint64 value);
/* The port as an integer (not a string): Foolscap ports are unbounded,
 * the digits are written as they are. NULL appends null. */
void fh_json_append_raw_number (GString *out,
                                const gchar *digits);

/* `"error":CODE,"message":TEXT` for @error (nullable: both null). */
void fh_json_append_error (GString *out,
                           const GError *error);

/* `"ok":BOOL,` and fh_json_append_error(): @error NULL is ok, as the
 * commands' --json objects begin. */
void fh_json_append_outcome (GString *out,
                             const GError *error);

/* A plan entry as `rank --json` and `connect --json` print it:
 * hint_index, hint, routed, plugin, target, anon_class, tier, delay_ms,
 * carried, description, code, reason. */
void fh_json_append_plan_entry (GString *out,
                                const FurlHintPlanEntry *entry);

/* Writes @out plus "\n" to stdout. */
void fh_json_print_line (GString *out);

/* The commands. */
int fh_cmd_parse (FhCli *cli, int argc, char **argv);
int fh_cmd_rank (FhCli *cli, int argc, char **argv);
int fh_cmd_plugins (FhCli *cli, int argc, char **argv);
int fh_cmd_check_config (FhCli *cli, int argc, char **argv);
int fh_cmd_connect (FhCli *cli, int argc, char **argv);
int fh_cmd_location (FhCli *cli, int argc, char **argv);
int fh_cmd_listen (FhCli *cli, int argc, char **argv);

extern const FhCommand fh_commands[];

const FhCommand *fh_cli_find_command (const gchar *name);

G_END_DECLS

#endif /* FURLHINT_CLI_COMMON_H */
