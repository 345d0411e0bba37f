/* `furlhint parse`: what Foolscap 21.7 makes of FURLs and hints, and what
 * furlhint's stricter lint says about them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cli-common.h"
#include "json-writer.h"

typedef struct {
  FhCli *cli;
  gboolean refused;   /* some input was refused: exit 1 */
  gboolean first;     /* no report printed yet (blank lines between) */
} ParseState;

/* Shows @text as is, or JSON-quoted when it has controls or spaces at
 * its ends, so that "tcp:a:1 " and "tcp:a:1" do not look alike. */
static gchar *
display (const gchar *text)
{
  gsize len = strlen (text);
  gboolean quote = len == 0 || g_ascii_isspace (text[0]) || g_ascii_isspace (text[len - 1]);

  for (const guchar *p = (const guchar *) text; !quote && *p != '\0'; p++)
    quote = *p < 0x20 || *p == 0x7f;
  if (!quote)
    return g_strdup (text);
  else
    {
      GString *s = g_string_new (NULL);

      fh_json_append_text (s, text);
      return g_string_free (s, FALSE);
    }
}

static gboolean
looks_like_nurl (const gchar *text)
{
  return g_ascii_strncasecmp (text, "pb+tor://", 9) == 0 ||
         g_ascii_strncasecmp (text, "pb+i2p://", 9) == 0;
}

static const gchar *const handler_names[] = { "tcp", "tor", "i2p" };

/* Whether a bare hint is refused: no Foolscap handler takes it, or
 * furlhint's lint would refuse to connect to it. */
static gboolean
hint_refused (const FurlHintHint *hint)
{
  const gchar *canonical = furlhint_hint_get_canonical (hint);
  gboolean accepted = FALSE;

  for (guint h = 0; h < G_N_ELEMENTS (handler_names); h++)
    accepted |= furlhint_foolscap_parse_hint (canonical, (FurlHintFoolscapHandler) h,
                                              NULL, NULL, NULL);
  const gchar *const *lint = furlhint_hint_get_lint (hint);

  return !accepted || (lint != NULL && lint[0] != NULL);
}

/* display() of @text, with what may be a FURL's name censored (a bare
 * "hint" may be a FURL missing a slash). */
static gchar *
display_censored (FhCli *cli,
                  const gchar *text)
{
  g_autofree gchar *censored = fh_cli_show_furl (cli, text);

  return display (censored);
}

static void
print_hint_report (FhCli *cli,
                   const FurlHintHint *hint,
                   const gchar *indent)
{
  const gchar *text = furlhint_hint_get_text (hint);
  const gchar *canonical = furlhint_hint_get_canonical (hint);
  const gchar *type = furlhint_hint_get_hint_type (hint);
  const gchar *const *lint = furlhint_hint_get_lint (hint);
  g_autofree gchar *shown_canonical = display_censored (cli, canonical);

  if (g_strcmp0 (text, canonical) != 0)
    fh_print (stdout, "%scanonical: %s (legacy HOST:PORT converted)\n", indent, shown_canonical);
  else
    fh_print (stdout, "%scanonical: %s\n", indent, shown_canonical);
  if (type != NULL)
    {
      g_autofree gchar *shown_type = display (type);

      fh_print (stdout, "%stype:      %s\n", indent, shown_type);
    }
  else
    fh_print (stdout, "%stype:      none (no ':' in the hint)\n", indent);

  for (guint h = 0; h < G_N_ELEMENTS (handler_names); h++)
    {
      g_autofree gchar *host = NULL;
      g_autofree gchar *port = NULL;
      g_autofree gchar *message = NULL;

      if (furlhint_foolscap_parse_hint (canonical, (FurlHintFoolscapHandler) h,
                                        &host, &port, &message))
        {
          g_autofree gchar *shown_host = display_censored (cli, host);

          if (port != NULL)
            fh_print (stdout, "%s%s:       host %s, port %s\n", indent, handler_names[h], shown_host, port);
          else
            fh_print (stdout, "%s%s:       destination %s, no port\n", indent, handler_names[h], shown_host);
        }
      else
        fh_print (stdout, "%s%s:       refused: %s\n", indent, handler_names[h],
                message != NULL ? message : "(no message)");
    }
  for (guint i = 0; lint != NULL && lint[i] != NULL; i++)
    fh_print (stdout, "%slint:      %s\n", indent, lint[i]);
}

static void
report_furl (ParseState *state,
             const gchar *input,
             const gchar *where)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FurlHintFurl) furl = furlhint_furl_parse (input, &error);
  g_autofree gchar *shown = display_censored (state->cli, input);
  const gchar *const *lint;
  guint n_hints;

  if (furl == NULL)
    {
      state->refused = TRUE;
      fh_cli_error (state->cli, "%s%s%s: %s (%s)", where, *where ? ": " : "", shown,
                    error->message, furlhint_error_code_name (error));
      return;
    }

  if (!state->first)
    fh_print (stdout, "\n");
  state->first = FALSE;

  fh_print (stdout, "FURL %s\n", shown);
  if (furlhint_furl_get_kind (furl) == FURLHINT_FURL_KIND_NURL)
    {
      const gchar *network;

      switch (furlhint_furl_get_network (furl))
        {
        case FURLHINT_NETWORK_TOR: network = "Tor only (pb+tor://)"; break;
        case FURLHINT_NETWORK_I2P: network = "I2P only (pb+i2p://)"; break;
        default: network = "any network (pb://)"; break;
        }
      fh_print (stdout, "  kind:  NURL version %u, %s\n", furlhint_furl_get_nurl_version (furl), network);
      fh_print (stdout, "  hash:  %s\n", furlhint_furl_get_tubid (furl));
      fh_print (stdout, "  swissnum: %s\n", state->cli->show_secrets
                ? furlhint_furl_get_name (furl) : FURLHINT_CENSORED " (--show-secrets shows it)");
    }
  else
    {
      g_autofree gchar *shown_name = state->cli->show_secrets
                                     ? display (furlhint_furl_get_name (furl))
                                     : g_strdup (FURLHINT_CENSORED " (--show-secrets shows it)");

      fh_print (stdout, "  kind:  FURL (Foolscap)\n");
      fh_print (stdout, "  tubid: %s\n", furlhint_furl_get_tubid (furl));
      fh_print (stdout, "  name:  %s\n", shown_name);
    }
  lint = furlhint_furl_get_lint (furl);
  for (guint i = 0; lint != NULL && lint[i] != NULL; i++)
    fh_print (stdout, "  lint:  %s\n", lint[i]);

  n_hints = furlhint_furl_get_n_hints (furl);
  if (n_hints == 0)
    fh_print (stdout, "  no connection hints (the FURL can only be reached through a\n"
            "  connection that already exists)\n");
  for (guint i = 0; i < n_hints; i++)
    {
      const FurlHintHint *hint = furlhint_furl_get_hint (furl, i);
      g_autofree gchar *shown_hint = display (furlhint_hint_get_text (hint));

      fh_print (stdout, "  hint %u: %s\n", i + 1, shown_hint);
      print_hint_report (state->cli, hint, "    ");
    }
}

static void
report_hint (ParseState *state,
             const gchar *input,
             const gchar *where)
{
  FurlHintHint *hint = furlhint_hint_new (input);
  g_autofree gchar *shown = display_censored (state->cli, input);

  if (!state->first)
    fh_print (stdout, "\n");
  state->first = FALSE;

  fh_print (stdout, "hint %s\n", shown);
  print_hint_report (state->cli, hint, "  ");
  if (hint_refused (hint))
    {
      const gchar *const *lint = furlhint_hint_get_lint (hint);

      state->refused = TRUE;
      if (lint != NULL && lint[0] != NULL)
        fh_cli_error (state->cli, "%s%s%s: Foolscap would try it, furlhint will not: %s",
                      where, *where ? ": " : "", shown, lint[0]);
      else
        fh_cli_error (state->cli, "%s%s%s: none of Foolscap's tcp, tor and i2p handlers "
                      "accepts this hint (accepted: tcp:HOST:PORT, HOST:PORT, "
                      "tor:HOST:PORT, i2p:DEST[:PORT])", where, *where ? ": " : "", shown);
    }
  furlhint_hint_free (hint);
}

/* One JSON line for an input we cannot judge at all (not UTF-8, too
 * long), with the corpus's FURL-line keys so consumers need no special
 * case. */
static void
print_unreadable_json (const gchar *printable,
                       const gchar *code,
                       const gchar *message)
{
  g_autoptr(GString) out = g_string_new ("{");
  const gchar *lint[] = { message, NULL };

  fh_json_append_key (out, "input");
  fh_json_append_text (out, printable);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "ok");
  fh_json_append_bool (out, FALSE);
  g_string_append_c (out, ',');
  fh_json_append_key (out, "error");
  fh_json_append_text (out, code);
  g_string_append (out, ",\"tubid\":null,\"name\":null,\"hints\":[],");
  fh_json_append_key (out, "lint");
  fh_json_append_strv (out, lint);
  g_string_append_c (out, '}');
  fh_json_print_line (out);
}

static void
handle_input (ParseState *state,
              const gchar *input,
              gsize length,
              gboolean too_long,
              const gchar *where)
{
  FhCli *cli = state->cli;

  if (too_long || !g_utf8_validate_len (input, length, NULL))
    {
      g_autofree gchar *message = NULL;
      g_autofree gchar *printable = NULL;

      state->refused = TRUE;
      if (too_long)
        message = g_strdup_printf ("%s is longer than %d bytes; furlhint reads inputs of "
                                   "at most %d bytes", where, FH_CLI_MAX_LINE, FH_CLI_MAX_LINE);
      else
        message = g_strdup_printf ("%s is not valid UTF-8 text (or holds a NUL byte); "
                                   "FURLs and hints are UTF-8 text", where);
      if (cli->json)
        {
          printable = too_long ? NULL : fh_text_make_printable (input, length);
          print_unreadable_json (printable, too_long ? "bad-furl" : "not-utf8", message);
        }
      else
        fh_cli_error (cli, "%s", message);
      return;
    }

  if (cli->json)
    {
      g_autofree gchar *json = furlhint_foolscap_verdict_json (input, TRUE);

      g_autoptr(GString) out = g_string_new (NULL);

      /* The corpus format (tests/data/README.md). Python leaves DEL and
       * the C1 controls raw in strings, where a terminal may obey them:
       * the same value written \u00XX (no corpus line holds one). */
      for (const gchar *p = json; *p != '\0'; p++)
        {
          if (*p == 0x7f)
            g_string_append (out, "\\u007f");
          else if ((guchar) p[0] == 0xc2 && (guchar) p[1] >= 0x80 && (guchar) p[1] <= 0x9f)
            g_string_append_printf (out, "\\u%04x", (guint) (guchar) *++p);
          else
            g_string_append_c (out, *p);
        }
      fh_json_print_line (out);
      if (fh_text_is_furl (input) || looks_like_nurl (input))
        {
          g_autoptr(FurlHintFurl) furl = furlhint_furl_parse (input, NULL);

          state->refused |= furl == NULL;
        }
      else
        {
          g_autoptr(FurlHintHint) hint = furlhint_hint_new (input);

          state->refused |= hint_refused (hint);
        }
      return;
    }

  if (fh_text_is_furl (input) || looks_like_nurl (input))
    report_furl (state, input, where);
  else
    report_hint (state, input, where);
}

static void
line_cb (const gchar *line,
         gsize length,
         guint64 line_no,
         gboolean too_long,
         gpointer user_data)
{
  g_autofree gchar *where = g_strdup_printf ("line %" G_GUINT64_FORMAT, line_no);

  handle_input (user_data, line, length, too_long, where);
}

int
fh_cmd_parse (FhCli *cli,
              int argc,
              char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  ParseState state = { cli, FALSE, TRUE };

  octx = fh_cli_option_context_new (cli, fh_cli_find_command ("parse"), NULL);
  g_option_context_set_description (octx,
    "With no FURL or HINT, reads one input per line from standard input\n"
    "(empty lines and lines starting with '#' are skipped; nothing else is\n"
    "stripped). An input containing \"pb://\" in any letter case is a FURL;\n"
    "pb+tor:// and pb+i2p:// inputs are NURLs; anything else is one bare\n"
    "connection hint.\n"
    "\n"
    "--json prints one line per input: Foolscap 21.7's verdict in the schema\n"
    "of tests/data/README.md, plus furlhint's \"lint\" warnings.\n"
    "\n"
    "A FURL is refused when it does not decode; a bare hint when none of\n"
    "Foolscap's tcp, tor and i2p handlers accepts it or furlhint's lint\n"
    "would not connect to it (port 0 or above 65535, non-ASCII digits,\n"
    "spaces around it).\n\n" FH_EXIT_STATUS_HELP);
  if (!fh_cli_parse_options (cli, octx, &argc, &argv))
    return FH_EXIT_USAGE;

  if (cli->args != NULL && cli->args[0] != NULL)
    {
      for (guint i = 0; cli->args[i] != NULL; i++)
        {
          g_autofree gchar *where = g_strdup_printf ("argument %u", i + 1);

          handle_input (&state, cli->args[i], strlen (cli->args[i]), FALSE, where);
        }
    }
  else
    {
      g_autoptr(GError) error = NULL;

      if (!fh_cli_read_lines (stdin, line_cb, &state, &error))
        {
          fh_cli_error (cli, "standard input: %s", error->message);
          return FH_EXIT_IO;
        }
    }

  return state.refused ? FH_EXIT_REFUSED : FH_EXIT_OK;
}
