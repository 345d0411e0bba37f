/* furlhint — the command: `furlhint [GLOBAL OPTIONS] COMMAND [ARGS]`.
 *
 * Global options stop at the command name; each command parses the rest
 * with its own GOptionContext, which knows the shared options again, so
 * `furlhint --anonymous rank` and `furlhint rank --anonymous` mean the
 * same.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#ifdef FURLHINT_CLI_PRELOAD
#include <ltdl.h>
#endif

#include "cli-common.h"

const FhCommand fh_commands[] = {
  { "parse", "[FURL|HINT...]",
    "show what Foolscap (and furlhint's lint) make of FURLs and hints", fh_cmd_parse },
  { "rank", "[FURL...]",
    "show the connection plan for FURLs under the configuration", fh_cmd_rank },
  { "plugins", "",
    "list the loaded transport plugins and the ones that failed to load", fh_cmd_plugins },
  { "check-config", "FILE",
    "check a tahoe.cfg as a node would before starting", fh_cmd_check_config },
  { "location", "[FILE]",
    "show the connection hints a node with this tahoe.cfg advertises, and why", fh_cmd_location },
  { "connect", "FURL",
    "connect to a FURL, showing each hint's status; --pipe relays stdin/stdout", fh_cmd_connect },
  { "listen", "",
    "bring a node's listening side up, print its FURL, serve incoming streams", fh_cmd_listen },
  { NULL, NULL, NULL, NULL }
};

int
main (int argc,
      char **argv)
{
  g_autoptr(GOptionContext) octx = NULL;
  const FhCommand *command;
  gboolean version = FALSE;
  FhCli cli;
  int rc;
  const GOptionEntry entries[] = {
    { "version", 'V', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };

#ifdef FURLHINT_CLI_PRELOAD
  /* The furlhint-static program has the four plugins linked in; hand
   * libltdl their symbol table before any context looks for plugins. */
  LTDL_SET_PRELOADED_SYMBOLS ();
#endif

  setlocale (LC_ALL, "");
  g_set_prgname ("furlhint");
  fh_cli_init (&cli, "furlhint");

  octx = fh_cli_option_context_new (&cli, NULL, entries);
  /* Stop at the command name: what follows is the command's. */
  g_option_context_set_strict_posix (octx, TRUE);
  if (!fh_cli_parse_options (&cli, octx, &argc, &argv))
    {
      fh_cli_clear (&cli);
      return FH_EXIT_USAGE;
    }

  if (version)
    {
      fh_print (stdout, "furlhint %s (library %s, plugin ABI %d)\n",
              FURLHINT_VERSION, furlhint_version (), FURLHINT_PLUGIN_ABI_VERSION);
      fh_cli_clear (&cli);
      return FH_EXIT_OK;
    }

  if (argc < 2)
    {
      rc = fh_cli_usage_error (&cli, "no command given");
      fh_cli_clear (&cli);
      return rc;
    }

  if (strcmp (argv[1], "help") == 0)
    {
      if (argc == 2)
        {
          g_autofree gchar *help = g_option_context_get_help (octx, TRUE, NULL);

          fputs (help, stdout);
          fh_cli_clear (&cli);
          return FH_EXIT_OK;
        }
      command = fh_cli_find_command (argv[2]);
      if (command == NULL || argc > 3)
        {
          rc = command == NULL
               ? fh_cli_usage_error (&cli, "help: unknown command '%s'", argv[2])
               : fh_cli_usage_error (&cli, "help takes at most one command name");
          fh_cli_clear (&cli);
          return rc;
        }
      else
        {
          /* `help CMD` is `CMD --help`: one place builds each command's
           * options. */
          char *help_argv[] = { (char *) command->name, (char *) "--help", NULL };

          cli.command = command->name;
          rc = command->run (&cli, 2, help_argv);
          fh_cli_clear (&cli);
          return rc;
        }
    }

  command = fh_cli_find_command (argv[1]);
  if (command == NULL)
    {
      g_autofree gchar *shown = fh_text_make_printable (argv[1], -1);

      rc = fh_cli_usage_error (&cli, "unknown command '%s'", shown);
      fh_cli_clear (&cli);
      return rc;
    }

  cli.command = command->name;
  rc = command->run (&cli, argc - 1, argv + 1);
  fflush (stdout);
  fh_cli_clear (&cli);
  return rc;
}
