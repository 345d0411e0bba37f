/* Tests for the furlhint command: run the built program ($FURLHINT_CLI)
 * and check exit statuses and output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include <furlhint/furlhint.h>

/* A run that takes longer than this is a hang, and a failure. */
#define CLI_TIMEOUT_SECONDS 60

#define EXAMPLE_FURL \
  "pb://ce6rpdlmb7jzah7shgq2bfpsb6jzkzim@tcp:storage1.example.org:3457,storage2.example.org:3457," \
  "tcp:203.0.113.10:3457,tcp:[2001:db8::10]:3457," \
  "tor:u33m4y7klhz3bypswqkozwetvabelhxt4eqwi6q2dbr7uqgp6yzrgqad.onion:3457," \
  "i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p," \
  "tcp:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457/storage-k6dqnzwvjh3oazbd"

typedef struct {
  int status;          /* exit status; -1 when killed by a signal */
  int signal;
  gchar *out;          /* stdout, NUL-terminated */
  gsize out_len;
  gchar *err;          /* stderr */
} CliResult;

static void
cli_result_clear (CliResult *res)
{
  g_clear_pointer (&res->out, g_free);
  g_clear_pointer (&res->err, g_free);
}

typedef struct {
  GAsyncResult *result;
  gboolean timed_out;
} Wait;

static void
communicate_cb (GObject *source,
                GAsyncResult *result,
                gpointer user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Wait *wait = user_data;

  wait->timed_out = TRUE;
  g_main_context_wakeup (NULL);
  return G_SOURCE_REMOVE;
}

static gchar *
bytes_to_string (GBytes *bytes,
                 gsize *len)
{
  gsize size = 0;
  const gchar *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;
  gchar *s = g_malloc (size + 1);

  if (size > 0)
    memcpy (s, data, size);
  s[size] = '\0';
  if (len != NULL)
    *len = size;
  return s;
}

/* Runs @cli with @argv (NULL-terminated, without the program) and @input
 * on stdin; fails the test on a hang. */
static void
run_program (CliResult *res,
             const gchar *cli,
             const gchar *input,
             gssize input_len,
             const gchar *const *argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) stdin_bytes = NULL;
  g_autoptr(GBytes) stdout_bytes = NULL;
  g_autoptr(GBytes) stderr_bytes = NULL;
  Wait wait = { NULL, FALSE };
  guint timeout_id;

  memset (res, 0, sizeof *res);
  g_assert_nonnull (cli);
  g_ptr_array_add (args, (gpointer) cli);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  proc = g_subprocess_newv ((const gchar *const *) args->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE |
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);

  if (input != NULL)
    stdin_bytes = g_bytes_new (input, input_len < 0 ? strlen (input) : (gsize) input_len);
  else
    stdin_bytes = g_bytes_new (NULL, 0);

  g_subprocess_communicate_async (proc, stdin_bytes, NULL, communicate_cb, &wait);
  timeout_id = g_timeout_add_seconds (CLI_TIMEOUT_SECONDS, timeout_cb, &wait);
  while (wait.result == NULL && !wait.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (wait.result == NULL)
    {
      g_subprocess_force_exit (proc);
      while (wait.result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_clear_object (&wait.result);
      g_test_fail_printf ("%s %s did not finish within %d s", cli, argv[0] ? argv[0] : "",
                          CLI_TIMEOUT_SECONDS);
      res->status = -1;
      res->out = g_strdup ("");
      res->err = g_strdup ("");
      return;
    }
  g_source_remove (timeout_id);

  g_subprocess_communicate_finish (proc, wait.result, &stdout_bytes, &stderr_bytes, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);

  res->out = bytes_to_string (stdout_bytes, &res->out_len);
  res->err = bytes_to_string (stderr_bytes, NULL);
  if (g_subprocess_get_if_exited (proc))
    res->status = g_subprocess_get_exit_status (proc);
  else
    {
      res->status = -1;
      res->signal = g_subprocess_get_term_sig (proc);
    }
  if (g_test_verbose ())
    g_test_message ("exit %d\nstdout:\n%s\nstderr:\n%s", res->status, res->out, res->err);
}

/* Runs $FURLHINT_CLI: see run_program(). */
static void
run_cli_input (CliResult *res,
               const gchar *input,
               gssize input_len,
               const gchar *const *argv)
{
  run_program (res, g_getenv ("FURLHINT_CLI"), input, input_len, argv);
}

static void
run_cli (CliResult *res,
         const gchar *const *argv)
{
  run_cli_input (res, NULL, 0, argv);
}

#define RUN(res, ...) \
  G_STMT_START { \
    const gchar *const argv_[] = { __VA_ARGS__, NULL }; \
    run_cli ((res), argv_); \
  } G_STMT_END

#define RUN_INPUT(res, input, len, ...) \
  G_STMT_START { \
    const gchar *const argv_[] = { __VA_ARGS__, NULL }; \
    run_cli_input ((res), (input), (len), argv_); \
  } G_STMT_END

static gboolean
have_cli (void)
{
  if (g_getenv ("FURLHINT_CLI") == NULL)
    {
      g_test_skip ("FURLHINT_CLI is not set (run through make check)");
      return FALSE;
    }
  return TRUE;
}

static gchar *
example_path (const gchar *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "docs", "examples", name, NULL);
}

static gchar *
write_temp_config (const gchar *contents)
{
  g_autoptr(GError) error = NULL;
  gchar *path = NULL;
  int fd = g_file_open_tmp ("furlhint-test-cli-XXXXXX.cfg", &path, &error);

  g_assert_no_error (error);
  g_close (fd, NULL);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}


/* Removes every `,"lint":[...]` furlhint adds (to hint objects and to the
 * FURL object), leaving Foolscap's keys. A bare `"` never occurs inside a
 * JSON string, so the key cannot be matched inside a value. */
static gchar *
strip_lint (const gchar *line)
{
  static const gchar key[] = ",\"lint\":[";
  GString *out = g_string_new (NULL);
  const gchar *p = line;
  const gchar *at;

  while ((at = strstr (p, key)) != NULL)
    {
      gboolean in_string = FALSE;

      g_string_append_len (out, p, at - p);
      p = at + strlen (key);
      /* Skip the array of strings up to its closing bracket. */
      for (; *p != '\0'; p++)
        {
          if (in_string && *p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = !in_string;
          else if (!in_string && *p == ']')
            break;
        }
      g_assert_cmpint (*p, ==, ']');
      p++;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

static gchar **
read_lines (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  if (g_str_has_suffix (contents, "\n"))
    contents[strlen (contents) - 1] = '\0';
  return g_strsplit (contents, "\n", -1);
}

/* ---- parse ------------------------------------------------------------ */

/* Batch mode over the shared corpus gives Foolscap's verdicts, in order,
 * with only the "lint" key added. */
static void
test_parse_json_corpus (void)
{
  g_autofree gchar *input_path = NULL;
  g_autofree gchar *expected_path = NULL;
  g_autofree gchar *input = NULL;
  g_auto(GStrv) expected = NULL;
  g_auto(GStrv) got = NULL;
  g_auto(GStrv) inputs = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  CliResult res;

  if (!have_cli ())
    return;

  input_path = g_test_build_filename (G_TEST_DIST, "data", "hints-public.txt", NULL);
  expected_path = g_test_build_filename (G_TEST_DIST, "data", "hints-public.expected.jsonl", NULL);
  g_file_get_contents (input_path, &input, NULL, &error);
  g_assert_no_error (error);
  expected = read_lines (expected_path);

  /* The inputs the corpus README says count, for the lint-free
   * comparison against the library. */
  inputs = g_strsplit (input, "\n", -1);
  for (guint i = 0; inputs[i] != NULL; i++)
    if (inputs[i][0] != '\0' && inputs[i][0] != '#')
      g_ptr_array_add (kept, inputs[i]);

  RUN_INPUT (&res, input, -1, "parse", "--json");
  /* The corpus has FURLs Foolscap refuses: exit 1. */
  g_assert_cmpint (res.status, ==, 1);
  g_assert_true (g_str_has_suffix (res.out, "\n"));
  res.out[res.out_len - 1] = '\0';
  got = g_strsplit (res.out, "\n", -1);

  g_assert_cmpuint (g_strv_length (got), ==, g_strv_length (expected));
  g_assert_cmpuint (g_strv_length (got), ==, kept->len);
  for (guint i = 0; got[i] != NULL; i++)
    {
      g_autofree gchar *stripped = strip_lint (got[i]);
      g_autofree gchar *library = furlhint_foolscap_verdict_json (g_ptr_array_index (kept, i), FALSE);

      if (g_strcmp0 (stripped, expected[i]) != 0)
        g_test_message ("input %u: %s", i + 1, (const gchar *) g_ptr_array_index (kept, i));
      g_assert_cmpstr (stripped, ==, expected[i]);
      g_assert_cmpstr (stripped, ==, library);
    }
  cli_result_clear (&res);
}

static void
test_parse_bad_furl (void)
{
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "parse", "pb://klzcmzngbqjnfciylwkq52ebgyerm018@tcp:example.org:1/digits-0-1-8");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_cmpstr (res.out, ==, "");
  g_assert_nonnull (strstr (res.err, "'klzcmzngbqjnfciylwkq52ebgyerm018' is not a valid tubid"));
  g_assert_nonnull (strstr (res.err, "(bad-tubid)"));
  g_assert_nonnull (strstr (res.err, "argument 1"));
  cli_result_clear (&res);

  RUN (&res, "parse", "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.org:1,,tcp:example.org:2/x");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "no connection hint may be empty"));
  cli_result_clear (&res);

  /* A bare hint no handler takes. */
  RUN (&res, "parse", "unix:/tmp/socket");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "tcp:       refused: unrecognized TCP hint"));
  g_assert_nonnull (strstr (res.out, "i2p:       refused: unrecognized I2P hint"));
  g_assert_nonnull (strstr (res.err, "argument 1: unix:/tmp/socket: none of Foolscap's tcp, tor and i2p "
                                     "handlers accepts this hint (accepted: "));
  cli_result_clear (&res);

  /* Foolscap takes port 0; furlhint's lint does not. */
  RUN (&res, "parse", "tcp:example.org:0");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "tcp:       host example.org, port 0\n"));
  g_assert_nonnull (strstr (res.out, "  lint:      port 0"));
  g_assert_nonnull (strstr (res.err, "tcp:example.org:0: Foolscap would try it, furlhint will not: port 0"));
  cli_result_clear (&res);
}

static void
test_parse_report (void)
{
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "parse", "pb://7e4axdw3ejfgwjekd2je5d6qvyxbvfes@example.org:44801,tcp:10.0.0.5:34567,"
       "tcp:[2001:db8::5]:34567,i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p/umyf");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_cmpstr (res.err, ==, "");
  g_assert_nonnull (strstr (res.out, "  tubid: 7e4axdw3ejfgwjekd2je5d6qvyxbvfes\n"));
  /* The name is a capability: not shown unless asked for. */
  g_assert_nonnull (strstr (res.out, "FURL pb://7e4axdw3ejfgwjekd2je5d6qvyxbvfes@example.org:44801,"));
  g_assert_nonnull (strstr (res.out, "i2p/[censored]\n"));
  g_assert_nonnull (strstr (res.out, "  name:  [censored] (--show-secrets shows it)\n"));
  g_assert_null (strstr (res.out, "umyf"));
  g_assert_nonnull (strstr (res.out, "  hint 1: example.org:44801\n"
                                     "    canonical: tcp:example.org:44801 (legacy HOST:PORT converted)\n"
                                     "    type:      tcp\n"
                                     "    tcp:       host example.org, port 44801\n"
                                     "    tor:       host example.org, port 44801\n"
                                     "    i2p:       refused: unrecognized I2P hint\n"));
  g_assert_nonnull (strstr (res.out, "    tor:       refused: ignoring non-Tor-able ipaddr 10.0.0.5\n"));
  g_assert_nonnull (strstr (res.out, "    tcp:       host 2001:db8::5, port 34567\n"
                                     "    tor:       refused: unrecognized TCP/Tor hint\n"));
  g_assert_nonnull (strstr (res.out, "    i2p:       destination ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p, no port\n"));
  cli_result_clear (&res);

  /* Arguments in --json mode: one line each, lint included. */
  RUN (&res, "parse", "--json", "tcp:example.org:1", "example.org:0002");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_cmpstr (res.out, ==,
    "{\"input\":\"tcp:example.org:1\",\"hint\":{\"hint\":\"tcp:example.org:1\",\"canonical\":\"tcp:example.org:1\","
    "\"type\":\"tcp\",\"tcp\":[\"example.org\",1],\"tor\":[\"example.org\",1],\"i2p\":null,\"tcp_error\":null,"
    "\"tor_error\":null,\"i2p_error\":\"unrecognized I2P hint\",\"lint\":[]}}\n"
    "{\"input\":\"example.org:0002\",\"hint\":{\"hint\":\"example.org:0002\",\"canonical\":\"tcp:example.org:2\","
    "\"type\":\"tcp\",\"tcp\":[\"example.org\",2],\"tor\":[\"example.org\",2],\"i2p\":null,\"tcp_error\":null,"
    "\"tor_error\":null,\"i2p_error\":\"unrecognized I2P hint\",\"lint\":[]}}\n");
  cli_result_clear (&res);
}

/* Binary garbage, invalid UTF-8, NULs and a huge line: answers, no crash. */
static void
test_parse_garbage (void)
{
  const gchar *const commands[][3] = {
    { "parse", NULL, NULL },
    { "parse", "--json", NULL },
    { "rank", NULL, NULL },
    { "rank", "--json", NULL },
  };
  static const gchar almost[] =
    "\npb://\xff\xfe@tcp:a:1/x\npb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:a\0b:1/x\n";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240917);
  g_autoptr(GByteArray) garbage = g_byte_array_new ();
  g_autofree gchar *huge = NULL;
  CliResult res;

  if (!have_cli ())
    return;

  for (guint i = 0; i < 64 * 1024; i++)
    {
      guint8 byte = (guint8) g_rand_int_range (rand, 0, 256);

      g_byte_array_append (garbage, &byte, 1);
    }
  /* Some lines that look almost right, in the middle of the noise. */
  g_byte_array_append (garbage, (const guint8 *) almost, sizeof almost - 1);

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      run_cli_input (&res, (const gchar *) garbage->data, garbage->len, commands[c]);
      g_assert_cmpint (res.signal, ==, 0);
      g_assert_cmpint (res.status, ==, 1);
      if (strcmp (commands[c][0], "parse") == 0 && commands[c][1] != NULL)
        g_assert_nonnull (strstr (res.out, "\"error\":\"not-utf8\""));
      cli_result_clear (&res);
    }

  huge = g_malloc (3 * 1024 * 1024 + 2);
  memset (huge, 'a', 3 * 1024 * 1024);
  memcpy (huge, "pb://", 5);
  huge[3 * 1024 * 1024] = '\n';
  huge[3 * 1024 * 1024 + 1] = '\0';
  RUN_INPUT (&res, huge, -1, "parse", "--json");
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_cmpstr (res.out, ==, "{\"input\":null,\"ok\":false,\"error\":\"bad-furl\",\"tubid\":null,"
                   "\"name\":null,\"hints\":[],\"lint\":[\"line 1 is longer than 1048576 bytes; "
                   "furlhint reads inputs of at most 1048576 bytes\"]}\n");
  cli_result_clear (&res);

  RUN_INPUT (&res, huge, -1, "rank");
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "line 1 is longer than 1048576 bytes"));
  cli_result_clear (&res);
}

/* ---- rank ------------------------------------------------------------- */

static void
test_rank_json (void)
{
  g_autofree gchar *cfg = example_path ("tahoe.cfg");
  g_auto(GStrv) lines = NULL;
  CliResult res;

  if (!have_cli ())
    return;

  /* By default the name is censored, in "input" too. */
  RUN (&res, "rank", "--json", "--config", cfg, EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_null (strstr (res.out, "storage-k6dqnzwvjh3oazbd"));
  g_assert_nonnull (strstr (res.out, ".onion:3457/[censored]\",\"ok\":true,"));
  g_assert_nonnull (strstr (res.out, "\"name\":\"[censored]\",\"hints\":"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--json", "--show-secrets", "--config", cfg, EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 0);
  lines = g_strsplit (res.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);   /* one object and "" */
  g_assert_true (g_str_has_prefix (res.out, "{\"input\":\"" EXAMPLE_FURL "\",\"ok\":true,\"error\":null,"
                                   "\"message\":null,\"anonymous\":false,\"kind\":\"furl\",\"network\":\"any\","
                                   "\"tubid\":\"ce6rpdlmb7jzah7shgq2bfpsb6jzkzim\","
                                   "\"name\":\"storage-k6dqnzwvjh3oazbd\",\"hints\":[{\"hint\":"
                                   "\"tcp:storage1.example.org:3457\",\"canonical\":\"tcp:storage1.example.org:3457\","
                                   "\"type\":\"tcp\",\"lint\":[]},{\"hint\":\"storage2.example.org:3457\","
                                   "\"canonical\":\"tcp:storage2.example.org:3457\",\"type\":\"tcp\",\"lint\":[]}"));
  /* Each kind of hint, routed through the right plugin and class. */
  g_assert_nonnull (strstr (res.out, "{\"hint_index\":0,\"hint\":\"tcp:storage1.example.org:3457\",\"routed\":true,"
                                     "\"plugin\":\"tcp\",\"target\":{\"host\":\"storage1.example.org\",\"port\":3457,"
                                     "\"host_kind\":\"dns\",\"hint\":\"tcp:storage1.example.org:3457\"},"
                                     "\"anon_class\":\"clear\",\"tier\":0,\"delay_ms\":"));
  g_assert_nonnull (strstr (res.out, "\"hint\":\"tcp:[2001:db8::10]:3457\",\"routed\":true,\"plugin\":\"tcp\","
                                     "\"target\":{\"host\":\"2001:db8::10\",\"port\":3457,\"host_kind\":\"ipv6\""));
  g_assert_nonnull (strstr (res.out, "{\"hint_index\":4,\"hint\":\"tor:u33m4y7klhz3bypswqkozwetvabelhxt4eqwi6q2dbr7uqgp6yzrgqad.onion:3457\","
                                     "\"routed\":true,\"plugin\":\"tor\",\"target\":{\"host\":"
                                     "\"u33m4y7klhz3bypswqkozwetvabelhxt4eqwi6q2dbr7uqgp6yzrgqad.onion\",\"port\":3457,"
                                     "\"host_kind\":\"onion\""));
  g_assert_nonnull (strstr (res.out, "{\"hint_index\":5,\"hint\":\"i2p:ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p\","
                                     "\"routed\":true,\"plugin\":\"i2p\",\"target\":{\"host\":"
                                     "\"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p\",\"port\":null,"
                                     "\"host_kind\":\"i2p\""));
  g_assert_nonnull (strstr (res.out, "{\"hint_index\":6,\"hint\":\"tcp:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457\","
                                     "\"routed\":true,\"plugin\":\"tor\""));
  g_assert_null (strstr (res.out, "\"code\":\"")); /* no rejection */
  g_assert_true (g_str_has_suffix (res.out, "],\"n_routes\":7,\"n_tiers\":1}\n"));
  cli_result_clear (&res);

  /* A FURL that does not parse. */
  RUN (&res, "rank", "--json", "pb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/x");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_true (g_str_has_prefix (res.out, "{\"input\":\"pb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/[censored]\",\"ok\":false,\"error\":\"bad-tubid\",\"message\":\""));
  g_assert_true (g_str_has_suffix (res.out, "\"hints\":[],\"entries\":[],\"n_routes\":0,\"n_tiers\":0}\n"));
  cli_result_clear (&res);
}

/* Counts the route rows of `rank` tables ("  1   0    0 ms     anonymous
 * tor ..."), all of them or those of class @anon_class. */
static guint
count_route_rows (const gchar *out,
                  const gchar *anon_class)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      const gchar *field[6];
      guint k = 0;

      if (!g_str_has_prefix (lines[i], "  ") || !g_ascii_isdigit (lines[i][2]))
        continue;
      fields = g_strsplit (lines[i], " ", -1);
      for (guint j = 0; fields[j] != NULL && k < G_N_ELEMENTS (field); j++)
        if (fields[j][0] != '\0')
          field[k++] = fields[j];
      /* order, tier, delay, "ms", class, plugin */
      g_assert_cmpuint (k, ==, G_N_ELEMENTS (field));
      g_assert_cmpstr (field[3], ==, "ms");
      if (anon_class == NULL || strcmp (field[4], anon_class) == 0)
        n++;
    }
  return n;
}

/* Anonymous mode never shows a clear or proxied route, whatever the
 * configuration says. */
static void
test_rank_anonymous (void)
{
  g_autofree gchar *cfg = example_path ("tahoe.cfg");
  g_autofree gchar *anon_cfg = example_path ("tahoe-anonymous.cfg");
  g_autofree gchar *socks_cfg = write_temp_config ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n"
                                                   "tor.socks-proxy = tcp:127.0.0.1:9050\n");
  const gchar *const configs[] = { cfg, anon_cfg, socks_cfg };
  /* The example tahoe.cfg also has I2P; the other two only Tor. */
  const guint n_routes[] = { 5, 4, 4 };
  gchar *verdict = NULL;
  CliResult res;

  if (!have_cli ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      RUN (&res, "--anonymous", "rank", "--json", "--config", configs[i], EXAMPLE_FURL);
      g_assert_cmpint (res.status, ==, 0);
      g_assert_nonnull (strstr (res.out, "\"anonymous\":true"));
      g_assert_nonnull (strstr (res.out, "\"anon_class\":\"anonymous\""));
      g_assert_null (strstr (res.out, "\"anon_class\":\"clear\""));
      g_assert_null (strstr (res.out, "\"anon_class\":\"proxied\""));
      g_assert_null (strstr (res.out, "\"plugin\":\"tcp\",\"target\":{"));
      g_assert_null (strstr (res.out, "\"plugin\":\"socks\",\"target\":{"));
      /* The public DNS hint is wrapped in Tor, in the fallback tier. */
      g_assert_nonnull (strstr (res.out, "{\"hint_index\":0,\"hint\":\"tcp:storage1.example.org:3457\",\"routed\":true,"
                                         "\"plugin\":\"tor\",\"target\":{\"host\":\"storage1.example.org\",\"port\":3457,"
                                         "\"host_kind\":\"dns\",\"hint\":\"tcp:storage1.example.org:3457\"},"
                                         "\"anon_class\":\"anonymous\",\"tier\":1,"));
      g_assert_true (g_str_has_suffix (res.out, ",\"n_tiers\":2}\n"));
      cli_result_clear (&res);

      RUN (&res, "rank", "--anonymous", "--explain", "--config", configs[i], EXAMPLE_FURL);
      g_assert_cmpint (res.status, ==, 0);
      g_assert_nonnull (strstr (res.out, "mode: anonymous (--anonymous)\n"));
      g_assert_cmpuint (count_route_rows (res.out, "anonymous"), ==, n_routes[i]);
      g_assert_cmpuint (count_route_rows (res.out, NULL), ==, n_routes[i]);
      g_assert_null (strstr (res.out, "via tcp"));
      g_assert_null (strstr (res.out, "via socks"));
      verdict = g_strdup_printf ("  verdict: %u routes in 2 tiers", n_routes[i]);
      g_assert_nonnull (strstr (res.out, verdict));
      g_clear_pointer (&verdict, g_free);
      cli_result_clear (&res);
    }

  /* No Tor: nothing at all for a clear-net FURL. */
  RUN (&res, "--anonymous", "rank", "--explain", "pb://hckqqn4vq5ggzuukfztpuu4wykwefa6d@tcp:introducer.example.org:44801/introducer");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_cmpuint (count_route_rows (res.out, NULL), ==, 0);
  g_assert_nonnull (strstr (res.out, "Tor: not configured"));
  g_assert_nonnull (strstr (res.out, "  verdict: no route"));
  cli_result_clear (&res);

  g_unlink (socks_cfg);
}

static void
test_rank_normal_text (void)
{
  g_autofree gchar *cfg = example_path ("tahoe.cfg");
  g_autofree gchar *input = g_strdup ("# a comment\n\n" EXAMPLE_FURL "\npb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/x\n");
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "rank", "--explain", "--config", cfg, EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "mode: normal\n"));
  g_assert_nonnull (strstr (res.out, "Tor: configured (tcp:127.0.0.1:9050)\n"));
  g_assert_nonnull (strstr (res.out, "I2P: configured (tcp:127.0.0.1:7656)\n"));
  g_assert_nonnull (strstr (res.out, "  verdict: 7 routes in 1 tier\n"));
  g_assert_nonnull (strstr (res.out, "    type tor: handled by the tor plugin (anonymous)\n"));
  cli_result_clear (&res);

  /* Batch mode: comments skipped, one plan per FURL, bad FURL on stderr. */
  RUN_INPUT (&res, input, -1, "rank", "--config", cfg);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, ".onion:3457/[censored]\n"));
  g_assert_null (strstr (res.out, "storage-k6dqnzwvjh3oazbd"));
  g_assert_nonnull (strstr (res.err, "line 4: pb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/[censored]: "));
  g_assert_null (strstr (res.err, "line 1"));
  cli_result_clear (&res);

  RUN_INPUT (&res, input, -1, "rank", "--show-secrets", "--config", cfg);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "FURL " EXAMPLE_FURL "\n"));
  g_assert_nonnull (strstr (res.err, "line 4: pb://klzcmzngbqjnfciylwkq52ebgyerm018@h:1/x: "));
  cli_result_clear (&res);

  /* Without any configuration, onion and i2p hints get no route. */
  RUN (&res, "rank", "--json", "pb://4divav5rlgmh7fgmoqi5of7riv43fkqq@tor:vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:3457/b6");
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "\"ok\":false,\"error\":\"no-route\""));
  g_assert_nonnull (strstr (res.out, "\"routed\":false"));
  g_assert_nonnull (strstr (res.out, "\"code\":\"not-configured\""));
  cli_result_clear (&res);
}

/* ---- check-config ----------------------------------------------------- */

static void
test_check_config (void)
{
  g_autofree gchar *cfg = example_path ("tahoe.cfg");
  g_autofree gchar *anon_cfg = example_path ("tahoe-anonymous.cfg");
  g_autofree gchar *bad_value = write_temp_config ("[connections]\ntcp = carrier-pigeon\n");
  g_autofree gchar *syntax = write_temp_config ("this is not a tahoe.cfg\n");
  g_autofree gchar *privacy = write_temp_config ("[node]\nanonymous = true\ntub.location = AUTO\n");
  g_autofree gchar *clear_location = write_temp_config ("[node]\ntub.location = tcp:example.org:3457\n");
  g_autofree gchar *unknown_key = write_temp_config ("[connections]\nfrobnicate = yes\n");
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "check-config", cfg);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_true (g_str_has_prefix (res.out, "OK\n"));
  g_assert_nonnull (strstr (res.out, "mode:         normal\n"));
  cli_result_clear (&res);

  RUN (&res, "check-config", anon_cfg);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "mode:         anonymous\n"));
  cli_result_clear (&res);

  RUN (&res, "check-config", "--json", anon_cfg);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"ok\":true,\"error\":null,\"message\":null,\"anonymous\":true,\"tcp\":\"tor\","));
  cli_result_clear (&res);

  RUN (&res, "check-config", unknown_key);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "warning: "));
  g_assert_nonnull (strstr (res.out, "frobnicate"));
  cli_result_clear (&res);

  RUN (&res, "check-config", bad_value);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_cmpstr (res.out, ==, "");
  g_assert_nonnull (strstr (res.err, "carrier-pigeon"));
  cli_result_clear (&res);

  RUN (&res, "check-config", "--json", bad_value);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "\"ok\":false,\"error\":\"bad-value\",\"message\":\""));
  cli_result_clear (&res);

  RUN (&res, "check-config", syntax);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, syntax));
  cli_result_clear (&res);

  RUN (&res, "check-config", privacy);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "AUTO"));
  cli_result_clear (&res);

  /* Fine in normal mode, refused when checked as anonymous. */
  RUN (&res, "check-config", clear_location);
  g_assert_cmpint (res.status, ==, 0);
  cli_result_clear (&res);
  RUN (&res, "check-config", "--anonymous", "--json", clear_location);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "\"error\":\"privacy\""));
  cli_result_clear (&res);

  RUN (&res, "check-config", "/nonexistent/furlhint/tahoe.cfg");
  g_assert_cmpint (res.status, ==, 3);
  g_assert_nonnull (strstr (res.err, "/nonexistent/furlhint/tahoe.cfg"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--config", "/nonexistent/furlhint/tahoe.cfg", EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 3);
  cli_result_clear (&res);

  RUN (&res, "rank", "--config", bad_value, EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "carrier-pigeon"));
  cli_result_clear (&res);

  g_unlink (bad_value);
  g_unlink (syntax);
  g_unlink (privacy);
  g_unlink (clear_location);
  g_unlink (unknown_key);
}

/* ---- location: the seed's configurations, verbatim apart from paths ---- */

static void
test_location (void)
{
  /* client use case 3 */
  g_autofree gchar *client3 = write_temp_config ("[node]\nanonymous = True\ntub.location =\n");
  /* server use case 3 */
  g_autofree gchar *server3 = write_temp_config (
    "[node]\nanonymous = True\ntub.location = onion:80:hiddenServiceDir=/nonexistent/furlhint/"
    "tor/my_service,i2p:/nonexistent/furlhint/i2p/my_service.keypair\n");
  /* server use case 2 */
  g_autofree gchar *server2 = write_temp_config (
    "[node]\nanonymous = False\ntub.location = AUTO,onion:80:hiddenServiceDir=/nonexistent/"
    "furlhint/tor/my_service,i2p:/nonexistent/furlhint/i2p/my_service.keypair\n");
  /* ... with anonymous = True: AUTO refused */
  g_autofree gchar *server2_anon = write_temp_config (
    "[node]\nanonymous = True\ntub.location = AUTO,onion:80:hiddenServiceDir=/nonexistent/"
    "furlhint/tor/my_service,i2p:/nonexistent/furlhint/i2p/my_service.keypair\n");
  g_autofree gchar *tor_ip = write_temp_config ("[node]\nanonymous = True\ntub.location = tor:203.0.113.5:3457\n");
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "check-config", client3);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "tub.location: (empty: this node advertises nothing and listens nowhere)\n"));
  cli_result_clear (&res);
  /* the connecting commands read it too */
  RUN (&res, "rank", "--config", client3, EXAMPLE_FURL);
  g_assert_nonnull (strstr (res.out, "verdict: "));
  g_assert_null (strstr (res.err, "tub.location"));
  cli_result_clear (&res);
  RUN (&res, "location", "--json", client3);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"ok\":true,\"error\":null,\"message\":null,\"location\":\"\",\"hints\":[]}"));
  cli_result_clear (&res);

  RUN (&res, "check-config", server3);
  g_assert_cmpint (res.status, ==, 0);
  cli_result_clear (&res);
  RUN (&res, "location", "--config", server3);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "anonymous, tor, from tub.location entry 1 \"onion:80:hiddenServiceDir="));
  g_assert_nonnull (strstr (res.out, "created on first listen (tor writes /nonexistent/furlhint/tor/my_service/hostname)"));
  g_assert_nonnull (strstr (res.out, "anonymous, i2p, from tub.location entry 2 \"i2p:/nonexistent/furlhint/i2p/my_service.keypair\""));
  cli_result_clear (&res);

  RUN (&res, "check-config", server2);
  g_assert_cmpint (res.status, ==, 0);
  cli_result_clear (&res);
  RUN (&res, "location", "--json", server2);
  g_assert_cmpint (res.status, ==, 0);
  /* anonymous hints first, although AUTO comes first in the file */
  g_assert_nonnull (strstr (res.out, "\"hints\":[{\"hint\":null,\"transport\":\"tor\",\"anonymous\":true,"));
  cli_result_clear (&res);

  RUN (&res, "check-config", server2_anon);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "[node] tub.location entry \"AUTO\": tub.location uses AUTO"));
  cli_result_clear (&res);
  RUN (&res, "location", server2_anon);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_cmpstr (res.out, ==, "");
  cli_result_clear (&res);

  RUN (&res, "check-config", tor_ip);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "a tor: hint to 203.0.113.5 publishes this node's own address"));
  cli_result_clear (&res);

  g_unlink (client3);
  g_unlink (server3);
  g_unlink (server2);
  g_unlink (server2_anon);
  g_unlink (tor_ip);
}

/* ---- plugins ---------------------------------------------------------- */

static void
test_plugins (void)
{
  const gchar *test_plugin_dir = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");
  g_autofree gchar *cfg = example_path ("tahoe.cfg");
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "plugins", "--json", "--strict", "--config", cfg);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_true (g_str_has_prefix (res.out, "{\"plugins\":[{\"name\":\""));
  g_assert_true (g_str_has_suffix (res.out, "],\"errors\":[]}\n"));
  g_assert_nonnull (strstr (res.out, "{\"name\":\"tcp\","));
  g_assert_nonnull (strstr (res.out, "{\"name\":\"socks\","));
  g_assert_nonnull (strstr (res.out, "{\"name\":\"tor\","));
  g_assert_nonnull (strstr (res.out, "{\"name\":\"i2p\","));
  g_assert_nonnull (strstr (res.out, "\"prefixes\":[\"tor\"],\"host_suffixes\":[\".onion\"],"
                                     "\"anon_class\":\"anonymous\",\"can_carry_tcp\":true,\"configured\":true}"));
  g_assert_nonnull (strstr (res.out, "\"prefixes\":[\"tcp\"],\"host_suffixes\":[],"
                                     "\"anon_class\":\"clear\",\"can_carry_tcp\":false,\"configured\":true}"));
  g_assert_nonnull (strstr (res.out, "\"prefixes\":[],\"host_suffixes\":[],"
                                     "\"anon_class\":\"proxied\",\"can_carry_tcp\":true,\"configured\":false}"));
  cli_result_clear (&res);

  RUN (&res, "plugins");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "  configured:    no"));
  cli_result_clear (&res);

  if (test_plugin_dir != NULL)
    {
      /* The broken test plugins: listed as errors; --strict fails. */
      RUN (&res, "plugins", "--json", "--plugin-dir", test_plugin_dir);
      g_assert_cmpint (res.status, ==, 0);
      g_assert_nonnull (strstr (res.out, "\"code\":\"abi-version\""));
      cli_result_clear (&res);

      RUN (&res, "plugins", "--strict", "--plugin-dir", test_plugin_dir);
      g_assert_cmpint (res.status, ==, 4);
      g_assert_nonnull (strstr (res.out, "not loaded:\n"));
      g_assert_nonnull (strstr (res.err, "--strict"));
      cli_result_clear (&res);
    }

  RUN (&res, "plugins", "--plugin-dir", "/nonexistent/furlhint/plugins");
  g_assert_cmpint (res.status, ==, 3);
  g_assert_nonnull (strstr (res.err, "/nonexistent/furlhint/plugins"));
  cli_result_clear (&res);
}

/* A plugin whose init fails is reported, never a crash, by every command
 * that loads plugins. The test plugin interns the configuration error
 * quark from its own static string before the library does: closing the
 * module then left GLib's quark table pointing into unmapped memory, and
 * the next lookup of that quark crashed (`plugins` died of SIGSEGV). */
static void
test_plugin_init_fails (void)
{
  const gchar *test_plugin_dir = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *so = NULL;
  g_autofree gchar *copy = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree gchar *cfg = NULL;
  gsize len;
  const gchar *const furl = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@initfails:x/swiss";
  const gchar *const expected = "plugin 'init_fails' (";
  CliResult res;

  if (!have_cli ())
    return;
  if (test_plugin_dir == NULL)
    {
      g_test_skip ("FURLHINT_TEST_PLUGIN_DIR is not set (run through make check)");
      return;
    }

  /* Only the failing plugin in the directory: nothing else is loaded
   * from it that could intern the quark first. */
  dir = g_dir_make_tmp ("furlhint-test-cli-XXXXXX", &error);
  g_assert_no_error (error);
  so = g_build_filename (test_plugin_dir, ".libs", "init_fails.so", NULL);
  copy = g_build_filename (dir, "init_fails.so", NULL);
  g_file_get_contents (so, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (copy, contents, len, &error);
  g_assert_no_error (error);
  cfg = write_temp_config ("[node]\nnickname = test\n");

  RUN (&res, "plugins", "--plugin-dir", dir);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "not loaded:\n  init: plugin 'init_fails' ("));
  g_assert_nonnull (strstr (res.out, "failed to initialise: refusing to start: this plugin always fails\n"));
  cli_result_clear (&res);

  RUN (&res, "plugins", "--json", "--plugin-dir", dir);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"errors\":[{\"code\":\"init\",\"message\":\"plugin 'init_fails' ("));
  cli_result_clear (&res);

  RUN (&res, "plugins", "--strict", "--plugin-dir", dir);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 4);
  cli_result_clear (&res);

  RUN (&res, "rank", "--plugin-dir", dir, furl);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "furlhint rank: warning: plugin 'init_fails' ("));
  cli_result_clear (&res);

  RUN (&res, "rank", "--json", "--plugin-dir", dir, furl);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, expected));
  cli_result_clear (&res);

  /* Its only hint has no route: nothing is connected. */
  RUN (&res, "connect", "--plugin-dir", dir, furl);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, "furlhint connect: warning: plugin 'init_fails' ("));
  cli_result_clear (&res);

  RUN (&res, "connect", "--json", "--plugin-dir", dir, furl);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "\"event\":\"result\",\"ok\":false"));
  cli_result_clear (&res);

  /* check-config: a plugin refusing to start means the node would not. */
  RUN (&res, "check-config", "--plugin-dir", dir, cfg);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.err, expected));
  cli_result_clear (&res);

  RUN (&res, "check-config", "--json", "--plugin-dir", dir, cfg);
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "\"ok\":false,\"error\":\"init\",\"message\":\"plugin 'init_fails' ("));
  cli_result_clear (&res);

  g_unlink (cfg);
  g_unlink (copy);
  g_rmdir (dir);
}

/* ---- secrets ---------------------------------------------------------- */

static void
assert_hidden (const CliResult *res,
               const gchar *secret)
{
  if (strstr (res->out, secret) != NULL || strstr (res->err, secret) != NULL)
    g_error ("\"%s\" was printed:\nstdout:\n%s\nstderr:\n%s", secret, res->out, res->err);
}

/* A FURL's name, a NURL's swissnum and every password stay out of the
 * output of every command, text and JSON, unless --show-secrets (which
 * shows no password either). */
static void
test_secrets (void)
{
  g_autofree gchar *socks = write_temp_config (
    "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080:user=alice:password=hunter2\n");
  g_autofree gchar *socks_bad = write_temp_config (
    "[connections]\ntcp.socks-proxy = tcp:127.0.0.1:99999:user=alice:password=hunter2\n");
  g_autofree gchar *tor_bad = write_temp_config ("[tor]\ncontrol.password = hunter2%x\n");
  const gchar *const furl = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.org:1/zq7capname";
  const gchar *const bad_furl = "pb:/klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.org:1/zq7capname";
  const gchar *const nurl = "pb+tor://HASH@example.org:1/zq7capname";
  const gchar *const bad_nurl = "pb://HASH@example.org:1/zq7cap?name#v=1";
  CliResult res;

  if (!have_cli ())
    return;

  /* rank --explain shows the SOCKS proxy, not its password. */
  RUN (&res, "rank", "--explain", "--show-secrets", "--config", socks, furl);
  g_assert_cmpint (res.status, ==, 0);
  assert_hidden (&res, "hunter2");
  g_assert_nonnull (strstr (res.out, "tcp.socks-proxy = tcp:127.0.0.1:1080:user=alice:password=[censored]: "));
  cli_result_clear (&res);

  /* Every command meets the bad tcp.socks-proxy (and --json its message). */
  {
    const gchar *const commands[][3] = {
      { "rank", furl, NULL }, { "rank", "--json", furl }, { "plugins", NULL, NULL },
      { "plugins", "--json", NULL }, { "check-config", NULL, NULL },
      { "check-config", "--json", NULL }, { "connect", furl, NULL },
      { "connect", "--json", furl },
    };
    for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
      for (guint k = 0; k < 2; k++)
        {
          const gchar *cfg = k == 0 ? socks_bad : tor_bad;
          const gchar *argv[8];
          guint n = 0;

          /* [tor] is the tor plugin's section: a bad value there keeps
           * the tor plugin from loading (check-config refuses the file,
           * the other commands warn); connect would then go on to the
           * FURL's clear hint, so it is not run with it. */
          if (k == 1 && strcmp (commands[c][0], "connect") == 0)
            continue;

          argv[n++] = commands[c][0];
          argv[n++] = "--config";
          argv[n++] = cfg;
          argv[n++] = "--show-secrets";
          for (guint a = 1; a < 3 && commands[c][a] != NULL; a++)
            argv[n++] = commands[c][a];
          argv[n] = NULL;
          run_cli (&res, argv);
          /* The configuration is refused: exit 1 everywhere (for [tor],
           * by check-config; the others go on without the tor plugin). */
          g_assert_cmpint (res.status, ==,
                           k == 0 || strcmp (commands[c][0], "check-config") == 0 ? 1 : 0);
          assert_hidden (&res, "hunter2");
          g_assert_true (strstr (res.out, "[censored]") != NULL || strstr (res.err, "[censored]") != NULL);
          cli_result_clear (&res);
        }
  }

  /* A FURL's name: in rank, parse and connect, text and JSON. */
  {
    const gchar *const runs[][4] = {
      { "rank", furl, NULL }, { "rank", "--json", furl }, { "rank", bad_furl, NULL },
      { "rank", "--json", bad_furl }, { "rank", nurl, NULL }, { "rank", bad_nurl, NULL },
      { "parse", furl, NULL }, { "parse", bad_furl, NULL }, { "parse", nurl, NULL },
      { "parse", bad_nurl, NULL }, { "connect", "--json", bad_furl },
      { "connect", bad_furl, NULL }, { "connect", "--json", bad_nurl },
      /* --anonymous with no Tor: no route, nothing connected. */
      { "connect", "--anonymous", furl }, { "connect", "--anonymous", "--json" },
    };

    for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
      {
        const gchar *argv[6] = { runs[r][0], runs[r][1], runs[r][2], NULL, NULL, NULL };

        if (runs[r][2] != NULL && strcmp (runs[r][2], "--json") == 0)
          argv[3] = furl;
        run_cli (&res, argv);
        assert_hidden (&res, "zq7cap");
        cli_result_clear (&res);
      }
  }

  /* --show-secrets: the name, when asked for. */
  RUN (&res, "parse", "--show-secrets", furl);
  g_assert_nonnull (strstr (res.out, "  name:  zq7capname\n"));
  cli_result_clear (&res);

  g_unlink (socks);
  g_unlink (socks_bad);
  g_unlink (tor_bad);
}

/* ---- terminal escapes ------------------------------------------------- */

static void
assert_no_raw_controls (const gchar *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
        g_error ("raw control 0x%02x at offset %zu in:\n%s", *p, (gsize) (p - (const guchar *) text), text);
      if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        g_error ("raw C1 control U+%04X in:\n%s", p[1], text);
    }
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

/* A hint with an OSC title sequence, BEL, DEL, a C1 CSI and a byte that is
 * not UTF-8: every human-readable line shows them escaped, the JSON as
 * \u00XX, and nothing reaches the terminal raw. */
static void
test_escapes (void)
{
  const gchar *const furl = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@"
                            "tcp:x\x1b]0;pwned\x07\x7f\xc2\x9b" "2J.example:1/swiss";
  const gchar *const bad = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:x\xff\x1b[2J:1/swiss";
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "rank", "--explain", furl);
  assert_no_raw_controls (res.out);
  assert_no_raw_controls (res.err);
  g_assert_nonnull (strstr (res.out, "tcp:x\\x1b]0;pwned\\x07\\x7f\\u009b2J.example:1"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--json", furl);
  assert_no_raw_controls (res.out);
  g_assert_nonnull (strstr (res.out, "\"tcp:x\\u001b]0;pwned\\u0007\\u007f\\u009b2J.example:1\""));
  cli_result_clear (&res);

  RUN (&res, "parse", furl);
  assert_no_raw_controls (res.out);
  assert_no_raw_controls (res.err);
  cli_result_clear (&res);

  RUN (&res, "parse", "--json", furl);
  assert_no_raw_controls (res.out);
  cli_result_clear (&res);

  /* --anonymous with no Tor: no route, so nothing is looked up or
   * connected (this program runs outside a network namespace). */
  RUN (&res, "connect", "--anonymous", "--json", furl);
  g_assert_cmpint (res.status, ==, 1);
  assert_no_raw_controls (res.out);
  assert_no_raw_controls (res.err);
  cli_result_clear (&res);

  RUN (&res, "connect", "--anonymous", furl);
  g_assert_cmpint (res.status, ==, 1);
  assert_no_raw_controls (res.out);
  assert_no_raw_controls (res.err);
  cli_result_clear (&res);

  /* Not UTF-8: refused, and the message shows no raw byte either. */
  RUN (&res, "rank", bad);
  g_assert_cmpint (res.status, ==, 1);
  assert_no_raw_controls (res.err);
  cli_result_clear (&res);
}

/* ---- usage and help --------------------------------------------------- */

/* ---- plugin-declared keys --------------------------------------------- */

/* A temporary directory holding copies of the test plugins named in the
 * NULL-terminated list, nothing else. */
static gchar *
plugin_dir_with (const gchar *first,
                 ...)
{
  const gchar *test_plugin_dir = g_getenv ("FURLHINT_TEST_PLUGIN_DIR");
  g_autoptr(GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("furlhint-test-cli-XXXXXX", &error);
  va_list ap;

  g_assert_no_error (error);
  va_start (ap, first);
  for (const gchar *name = first; name != NULL; name = va_arg (ap, const gchar *))
    {
      g_autofree gchar *file = g_strconcat (name, ".so", NULL);
      g_autofree gchar *so = g_build_filename (test_plugin_dir, ".libs", file, NULL);
      g_autofree gchar *copy = g_build_filename (dir, file, NULL);
      g_autofree gchar *contents = NULL;
      gsize len;

      g_file_get_contents (so, &contents, &len, &error);
      g_assert_no_error (error);
      g_file_set_contents (copy, contents, len, &error);
      g_assert_no_error (error);
    }
  va_end (ap);
  return dir;
}

static void
remove_plugin_dir (const gchar *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

/* `plugins --keys` lists what each plugin declares; a plugin built before
 * keys were appended to the descriptor still loads, declaring none. */
static void
test_plugins_keys (void)
{
  g_autofree gchar *dir = NULL;
  CliResult res;

  if (!have_cli ())
    return;
  if (g_getenv ("FURLHINT_TEST_PLUGIN_DIR") == NULL)
    {
      g_test_skip ("FURLHINT_TEST_PLUGIN_DIR is not set (run through make check)");
      return;
    }
  dir = plugin_dir_with ("keyed", "old_abi", NULL);

  RUN (&res, "plugins", "--keys", "--strict", "--plugin-dir", dir);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "keyed 1.0: declares the keys of [keyed]\n"));
  g_assert_nonnull (strstr (res.out, "  keys:\n    [keyed] flag: boolean, default false — a switch\n"
                                     "    [keyed] port: port — a port\n"
                                     "    [keyed] relay: endpoint, default tcp:127.0.0.1:1 — an endpoint\n"
                                     "    [keyed] token: string, secret (never shown) — a secret\n"));
  g_assert_nonnull (strstr (res.out, "old_abi 1.0: built before keys were appended\n"));
  g_assert_nonnull (strstr (res.out, "  keys:          (none declared: its section [old_abi] is "
                                     "passed to it unchecked)\n"));
  g_assert_nonnull (strstr (res.out, "    [tor] control.password: string, secret (never shown) — "));
  g_assert_nonnull (strstr (res.out, "  keys:          none (any key in a [tcp] section is reported "
                                     "as unknown)\n"));
  cli_result_clear (&res);

  RUN (&res, "plugins", "--keys", "--json", "--plugin-dir", dir);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"keys\":[{\"section\":\"keyed\",\"key\":\"flag\",\"type\":"
                                     "\"boolean\",\"default\":\"false\",\"doc\":\"a switch\","
                                     "\"secret\":false},"));
  g_assert_nonnull (strstr (res.out, "{\"section\":\"keyed\",\"key\":\"token\",\"type\":\"string\","
                                     "\"default\":null,\"doc\":\"a secret\",\"secret\":true}"));
  g_assert_nonnull (strstr (res.out, "\"configured\":true,\"keys\":null}"));
  g_assert_nonnull (strstr (res.out, "{\"section\":\"tor\",\"key\":\"control.password\","));
  cli_result_clear (&res);

  /* without --keys: as before */
  RUN (&res, "plugins", "--json", "--plugin-dir", dir);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_null (strstr (res.out, "\"keys\""));
  cli_result_clear (&res);

  remove_plugin_dir (dir);
}

/* check-config checks a plugin's section against the keys it declares:
 * values with file:line, unknown keys with "did you mean", the plugin's
 * own warnings without -v, and never a secret, in text or JSON. */
static void
test_check_config_keys (void)
{
  g_autofree gchar *dir = NULL;
  CliResult res;

  if (!have_cli ())
    return;
  if (g_getenv ("FURLHINT_TEST_PLUGIN_DIR") == NULL)
    {
      g_test_skip ("FURLHINT_TEST_PLUGIN_DIR is not set (run through make check)");
      return;
    }
  dir = plugin_dir_with ("keyed", "old_abi", NULL);

  /* a typo, the plugin's warning quoting its secret, an old plugin's
   * section (unchecked) */
  {
    g_autofree gchar *cfg = write_temp_config ("[keyed]\ntoken = s3cr3t-tok\nflga = yes\n"
                                               "[old_abi]\nanything = 1\n");
    g_autofree gchar *typo = g_strdup_printf ("warning: keyed: %s:3: [keyed] flga: unknown key, "
                                              "ignored; did you mean flag? (known in [keyed]: flag, "
                                              "port, relay, token, mode)\n", cfg);

    RUN (&res, "check-config", "--plugin-dir", dir, cfg);
    g_assert_cmpint (res.status, ==, 0);
    g_assert_true (g_str_has_prefix (res.out, "OK\n"));
    g_assert_nonnull (strstr (res.out, typo));
    g_assert_nonnull (strstr (res.out, "warning: keyed: token [censored] is shorter than advised\n"));
    g_assert_null (strstr (res.out, "anything"));
    assert_hidden (&res, "s3cr3t");
    cli_result_clear (&res);

    RUN (&res, "check-config", "--json", "--plugin-dir", dir, cfg);
    g_assert_cmpint (res.status, ==, 0);
    g_assert_nonnull (strstr (res.out, "did you mean flag?"));
    g_assert_nonnull (strstr (res.out, "keyed: token [censored] is shorter than advised"));
    assert_hidden (&res, "s3cr3t");
    cli_result_clear (&res);
    g_unlink (cfg);
  }

  /* a value of the wrong type: file:line, refused */
  {
    g_autofree gchar *cfg = write_temp_config ("[keyed]\nflag = yes\nport = 99999\n");
    g_autofree gchar *bad = g_strdup_printf ("failed to initialise: %s:3: [keyed] port = \"99999\": "
                                             "not a port number; accepted: a port number 1..65535",
                                             cfg);

    RUN (&res, "check-config", "--plugin-dir", dir, cfg);
    g_assert_cmpint (res.status, ==, 1);
    g_assert_nonnull (strstr (res.err, bad));
    cli_result_clear (&res);
    g_unlink (cfg);
  }

  /* the secret in the plugin's init error, and in a value that does not
   * interpolate: never shown */
  {
    const gchar *const texts[] = {
      "[keyed]\ntoken = s3cr3t-tok\nmode = fail\n",
      "[keyed]\ntoken = s3cr3t%tok\n",
      "[keyed]\ntoken = %(s3cr3t)s\n",
    };
    /* text, then JSON */
    const gchar *const shown[] = {
      "failed to initialise: mode = fail with token [censored]",
      /* (JSON escapes the quotes around the value) */
      "token = \"[censored]\": a secret with a % that is not %% or %(key)s",
      "token = \\\"[censored]\\\": a secret with a % that is not %% or %(key)s",
    };

    for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
      for (guint json = 0; json < 2; json++)
        {
          g_autofree gchar *cfg = write_temp_config (texts[i]);
          const gchar *expected = i == 0 ? shown[0] : shown[json ? 2 : 1];

          if (json)
            RUN (&res, "check-config", "--json", "--plugin-dir", dir, cfg);
          else
            RUN (&res, "check-config", "-v", "--plugin-dir", dir, cfg);
          g_assert_cmpint (res.status, ==, 1);
          g_assert_true (strstr (res.out, expected) != NULL || strstr (res.err, expected) != NULL);
          assert_hidden (&res, "s3cr3t");
          cli_result_clear (&res);
          g_unlink (cfg);
        }
  }

  /* a bundled plugin's own warning (i2p: zero-hop tunnels allowed in
   * anonymous mode), shown without -v */
  {
    g_autofree gchar *cfg = write_temp_config ("[node]\ntub.location =\n[storage]\nenabled = false\n"
                                               "[i2p]\nsam.port = tcp:127.0.0.1:7656\n"
                                               "sam.session-options = inbound.length=0 outbound.length=0\n"
                                               "sam.allow-zero-hop = true\n");

    RUN (&res, "check-config", "--anonymous", cfg);
    g_assert_cmpint (res.status, ==, 0);
    g_assert_nonnull (strstr (res.out, "\nwarning: i2p: anonymous mode with zero-hop tunnels, "
                                       "as [i2p] sam.allow-zero-hop = true allows: "));
    cli_result_clear (&res);
    g_unlink (cfg);
  }

  /* [tor] control.password, a secret the tor plugin declares: a typo
   * beside it is reported, the password never */
  {
    g_autofree gchar *cfg = write_temp_config ("[tor]\ncontrol.password = hunter2\n"
                                               "contrl.auth = hashedpassword\n");

    RUN (&res, "check-config", cfg);
    g_assert_cmpint (res.status, ==, 0);
    g_assert_nonnull (strstr (res.out, ":3: [tor] contrl.auth: unknown key, ignored; did you "
                                       "mean control.auth?"));
    assert_hidden (&res, "hunter2");
    cli_result_clear (&res);

    RUN (&res, "check-config", "--json", cfg);
    g_assert_cmpint (res.status, ==, 0);
    assert_hidden (&res, "hunter2");
    cli_result_clear (&res);
    g_unlink (cfg);
  }

  remove_plugin_dir (dir);
}

static void
test_usage_errors (void)
{
  CliResult res;

  if (!have_cli ())
    return;

  RUN (&res, "frobnicate");
  g_assert_cmpint (res.status, ==, 2);
  g_assert_cmpstr (res.out, ==, "");
  g_assert_nonnull (strstr (res.err, "unknown command 'frobnicate'"));
  g_assert_nonnull (strstr (res.err, "Usage: furlhint [OPTION...] COMMAND [ARGS...]"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--frobnicate", EXAMPLE_FURL);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "--frobnicate"));
  g_assert_nonnull (strstr (res.err, "Usage: furlhint rank"));
  cli_result_clear (&res);

  RUN (&res, "--frobnicate", "rank");
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "Usage: furlhint"));
  cli_result_clear (&res);

  {
    const gchar *const argv[] = { NULL };

    run_cli (&res, argv);
    g_assert_cmpint (res.status, ==, 2);
    g_assert_nonnull (strstr (res.err, "no command given"));
    cli_result_clear (&res);
  }

  RUN (&res, "check-config");
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "Usage: furlhint check-config"));
  cli_result_clear (&res);

  RUN (&res, "plugins", "extra");
  g_assert_cmpint (res.status, ==, 2);
  cli_result_clear (&res);

  RUN (&res, "help", "frobnicate");
  g_assert_cmpint (res.status, ==, 2);
  cli_result_clear (&res);

  RUN (&res, "rank", "--config");
  g_assert_cmpint (res.status, ==, 2);
  cli_result_clear (&res);
}

static void
test_help (void)
{
  const gchar *const commands[] = { "parse", "rank", "plugins", "check-config" };
  CliResult res;

  if (!have_cli ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree gchar *usage = g_strdup_printf ("furlhint %s", commands[i]);

      RUN (&res, commands[i], "--help");
      g_assert_cmpint (res.status, ==, 0);
      g_assert_nonnull (strstr (res.out, usage));
      g_assert_nonnull (strstr (res.out, "--config"));
      g_assert_nonnull (strstr (res.out, "Exit status:"));
      cli_result_clear (&res);

      RUN (&res, "help", commands[i]);
      g_assert_cmpint (res.status, ==, 0);
      g_assert_nonnull (strstr (res.out, usage));
      cli_result_clear (&res);
    }

  RUN (&res, "--help");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "check-config"));
  g_assert_nonnull (strstr (res.out, "Exit status:"));
  cli_result_clear (&res);

  RUN (&res, "help");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "Commands:"));
  cli_result_clear (&res);

  RUN (&res, "--version");
  g_assert_cmpint (res.status, ==, 0);
  g_assert_true (g_str_has_prefix (res.out, "furlhint " FURLHINT_VERSION " (library "));
  cli_result_clear (&res);
}

/* The start of every furlhint-plugin-check case: the command and the
 * plugin directory that @dir_var (an environment variable) names are
 * there. Sets *@dir to that directory and returns the path of
 * furlhint-plugin-check, built beside $FURLHINT_CLI (free it); NULL, the
 * test skipped, without them. The checker drives each plugin's callbacks
 * itself, through furlhint_plugin_get_descriptor() and
 * furlhint_plugin_get_state(). */
static gchar *
plugin_check_setup (const gchar *dir_var, const gchar **dir)
{
  g_autofree gchar *cli_dir = NULL;

  *dir = g_getenv (dir_var);
  if (!have_cli ())
    return NULL;
  if (*dir == NULL)
    {
      g_autofree gchar *reason = g_strdup_printf ("%s is not set (run through make check)",
                                                  dir_var);

      g_test_skip (reason);
      return NULL;
    }
  cli_dir = g_path_get_dirname (g_getenv ("FURLHINT_CLI"));
  return g_build_filename (cli_dir, "furlhint-plugin-check", NULL);
}

/* The bundled plugins keep the plugin contract: every check passes, the
 * parse, describe and (cancelled) connect checks among them. */
static void
test_plugin_check_bundled (void)
{
  static const gchar *const names[] = { "tcp", "socks", "tor", "i2p" };
  const gchar *plugin_dir;
  g_autofree gchar *checker = NULL;

  checker = plugin_check_setup ("FURLHINT_PLUGIN_DIR", &plugin_dir);
  if (checker == NULL)
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *la = g_strconcat (names[i], ".la", NULL);
      g_autofree gchar *path = g_build_filename (plugin_dir, la, NULL);
      g_autofree gchar *summary = NULL;
      const gchar *const argv[] = { path, NULL };
      CliResult res;

      run_program (&res, checker, NULL, 0, argv);
      g_assert_cmpint (res.signal, ==, 0);
      g_assert_cmpint (res.status, ==, 0);
      g_assert_null (strstr (res.out, "FAIL "));
      g_assert_nonnull (strstr (res.out, "PASS "));
      g_assert_nonnull (strstr (res.out, ": descriptor version: "));
      g_assert_nonnull (strstr (res.out, ": parse "));
      g_assert_nonnull (strstr (res.out, ": describe '"));
      g_assert_nonnull (strstr (res.out, ": connect (cancelled) '"));
      g_assert_nonnull (strstr (res.out, i < 2 ? ": descriptor publishes: none"
                                               : ": descriptor publishes: "));
      summary = g_strdup_printf ("PASS %s: ", path);
      g_assert_nonnull (strstr (res.out, summary));
      g_assert_true (g_str_has_suffix (res.out, " checks, 0 failed\n"));
      cli_result_clear (&res);
    }
}

/* The server side's descriptor fields, checked statically: the fake
 * publisher passes; a publishes list the loader accepts but no host would
 * use fails, saying why. */
static void
test_plugin_check_publishing (void)
{
  const gchar *test_plugin_dir;
  g_autofree gchar *checker = NULL, *good = NULL, *odd = NULL, *line = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_TEST_PLUGIN_DIR", &test_plugin_dir);
  if (checker == NULL)
    return;
  good = g_build_filename (test_plugin_dir, "fake_publisher.la", NULL);
  odd = g_build_filename (test_plugin_dir, "odd_publisher.la", NULL);

  {
    const gchar *const argv[] = { good, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 0);
  line = g_strdup_printf ("PASS %s: descriptor publishes: onion, with publish_async, "
                          "publish_finish and unpublish\n", good);
  g_assert_nonnull (strstr (res.out, line));
  cli_result_clear (&res);

  {
    const gchar *const argv[] = { odd, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_free (line);
  line = g_strdup_printf ("FAIL %s: descriptor publishes: endpoint type 'Onion' is never "
                          "asked for: the host matches the type of a server endpoint", odd);
  g_assert_nonnull (strstr (res.out, line));
  g_free (line);
  line = g_strdup_printf ("FAIL %s: descriptor publishes: endpoint type 'i2p' is listed "
                          "twice; list each type once\n", odd);
  g_assert_nonnull (strstr (res.out, line));
  g_assert_true (g_str_has_suffix (res.out, " checks, 2 failed\n"));
  cli_result_clear (&res);
}

/* A plugin that breaks the contract fails the check and says where. */
static void
test_plugin_check_broken (void)
{
  const gchar *test_plugin_dir;
  g_autofree gchar *checker = NULL;
  g_autofree gchar *path = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_TEST_PLUGIN_DIR", &test_plugin_dir);
  if (checker == NULL)
    return;
  path = g_build_filename (test_plugin_dir, "hostile_parse.la", NULL);

  {
    const gchar *const argv[] = { path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "PASS "));
  g_assert_nonnull (strstr (res.out, "FAIL "));
  g_assert_null (strstr (res.out, "crashed"));
  cli_result_clear (&res);
}

/* Text a plugin returns (here an error quoting the hint it was given)
 * reaches the terminal escaped, as everything the furlhint command prints. */
static void
test_plugin_check_escapes (void)
{
  const gchar *test_plugin_dir;
  g_autofree gchar *checker = NULL;
  g_autofree gchar *path = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_TEST_PLUGIN_DIR", &test_plugin_dir);
  if (checker == NULL)
    return;
  path = g_build_filename (test_plugin_dir, "hostile_parse.la", NULL);

  {
    const gchar *const argv[] = { "--hint", "refuse:\033[2Jx:1", path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.signal, ==, 0);
  g_assert_nonnull (strstr (res.out, "hostile plugin refuses every refuse: hint"));
  g_assert_null (strchr (res.out, '\033'));
  g_assert_nonnull (strstr (res.out, "\\x1b[2J"));
  cli_result_clear (&res);
}

/* A plugin that does not load: the checker shows the loader's whole
 * message, the dynamic linker's reason at its end included. */
static void
test_plugin_check_missing_dependency (void)
{
  const gchar *test_plugin_dir;
  g_autofree gchar *checker = NULL;
  g_autofree gchar *parent = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *line = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_TEST_PLUGIN_DIR", &test_plugin_dir);
  if (checker == NULL)
    return;
  parent = g_path_get_dirname (test_plugin_dir);
  path = g_build_filename (parent, "loader-plugins", "needs_gone.la", NULL);

  {
    const gchar *const argv[] = { path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 1);
  line = g_strdup_printf ("FAIL %s: load: cannot open plugin %s: its shared object ", path, path);
  g_assert_nonnull (strstr (res.out, line));
  g_assert_nonnull (strstr (res.out, "does not load: libfh_gone.so: cannot open shared object "
                            "file: No such file or directory; expected a libtool module (.la) "
                            "or a shared object (.so) built against <furlhint/plugin.h>, with "
                            "every library it links installed\n"));
  g_assert_null (strstr (res.out, "... ("));
  cli_result_clear (&res);
}

/* --config: a transport that needs settings is checked configured, its
 * init and (cancelled) connect on the configured path. */
static void
test_plugin_check_config (void)
{
  const gchar *plugin_dir;
  g_autofree gchar *checker = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *cfg = NULL;
  g_autofree gchar *expected = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_PLUGIN_DIR", &plugin_dir);
  if (checker == NULL)
    return;
  path = g_build_filename (plugin_dir, "socks.la", NULL);
  cfg = write_temp_config ("[connections]\ntcp.socks-proxy = tcp:127.0.0.1:1080\n");

  {
    const gchar *const argv[] = { "--config", cfg, path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 0);
  expected = g_strdup_printf ("PASS %s: load: init with the settings of %s succeeded "
                              "(configured: yes)\n", path, cfg);
  g_assert_nonnull (strstr (res.out, expected));
  g_assert_nonnull (strstr (res.out, ": init (anonymous): configured: yes\n"));
  g_assert_nonnull (strstr (res.out, ": connect (cancelled) '"));
  cli_result_clear (&res);

  /* Without it, the same plugin is checked unconfigured. */
  {
    const gchar *const argv[] = { path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, ": load: init with default settings succeeded (configured: no)\n"));
  cli_result_clear (&res);

  /* A file that cannot be read is a usage error, said once. */
  {
    const gchar *const argv[] = { "--config", "/nonexistent/tahoe.cfg", path, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "--config /nonexistent/tahoe.cfg: "));
  g_assert_cmpstr (res.out, ==, "");
  cli_result_clear (&res);
  g_remove (cfg);
}

/* --hint: each hint is parsed in the mode the host would hand it over
 * in; one the host would never give the plugin fails and says why. */
static void
test_plugin_check_hint_modes (void)
{
  const gchar *plugin_dir;
  g_autofree gchar *checker = NULL;
  g_autofree gchar *socks = NULL;
  g_autofree gchar *tor = NULL;
  g_autofree gchar *expected = NULL;
  CliResult res;

  checker = plugin_check_setup ("FURLHINT_PLUGIN_DIR", &plugin_dir);
  if (checker == NULL)
    return;
  socks = g_build_filename (plugin_dir, "socks.la", NULL);
  tor = g_build_filename (plugin_dir, "tor.la", NULL);

  {
    const gchar *const argv[] = { "--hint", "tcp:carried.example:81", socks, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, ": parse carry 'tcp:carried.example:81': host 'carried.example' port 81\n"));
  cli_result_clear (&res);

  {
    const gchar *const argv[] = { "--hint", "tcp:givenonion.onion:82", "--hint", "TOR:x.example:83",
                                  tor, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, ": parse suffix 'tcp:givenonion.onion:82': host 'givenonion.onion' port 82\n"));
  g_assert_nonnull (strstr (res.out, ": parse native 'TOR:x.example:83': "));
  cli_result_clear (&res);

  {
    const gchar *const argv[] = { "--hint", "i2p:nothere.i2p", socks, NULL };

    run_program (&res, checker, NULL, 0, argv);
  }
  g_assert_cmpint (res.status, ==, 1);
  expected = g_strdup_printf ("FAIL %s: --hint 'i2p:nothere.i2p': the host never gives this "
                              "hint to plugin 'socks', which takes no hint type natively, no "
                              "host suffix, and carries well-formed `tcp:` hints\n", socks);
  g_assert_nonnull (strstr (res.out, expected));
  cli_result_clear (&res);
}

/* Per-peer overrides from the command line and from Tahoe's servers.yaml
 * (its "Static Server Definitions"): the server's connections: table
 * applies to the FURLs with its anonymous-storage-FURL's tub ID, and
 * --override wins over it. */
static void
test_rank_overrides (void)
{
  g_autofree gchar *cfg = write_temp_config ("[connections]\ntor.socks-proxy = tcp:127.0.0.1:9050\n");
  g_autofree gchar *servers = write_temp_config (
    "storage:\n"
    "  v0-c2ng2pbrmxmlwpijn3mr72ckk5fmzk6uxf6nhowyosaubrt6y5mq:\n"
    "    ann:\n"
    "      nickname: my-server-1\n"
    "      anonymous-storage-FURL: pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:10.1.2.3:51298/eiu2i7p6d6mm4ihmss7ieou5hac3wn6b\n"
    "    connections:\n"
    "      tcp: Tor\n"
    "  other-server:\n"
    "    ann:\n"
    "      anonymous-storage-FURL: pb://u33m4y7klhz3bypswqkozwetvabelhxt@tcp:8.8.8.8:51298/x\n");
  g_autofree gchar *bad_yaml = write_temp_config ("storage:\n  x:\n    ann: [\n");
  g_autofree gchar *bad_override = write_temp_config (
    "storage:\n  x:\n    ann:\n      anonymous-storage-FURL: "
    "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:10.1.2.3:1/s\n    connections:\n      tcp: a b\n");
  const gchar *furl = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.com:1234/swissnum";
  const gchar *other = "pb://u33m4y7klhz3bypswqkozwetvabelhxt@tcp:example.com:1234/swissnum";
  CliResult res;

  RUN (&res, "rank", "--json", "--config", cfg, "--override", "tcp=TOR", furl);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"plugin\":\"tor\""));
  cli_result_clear (&res);

  RUN (&res, "rank", "--json", "--config", cfg, "--servers", servers, furl, other);
  g_assert_cmpint (res.status, ==, 0);
  {
    g_auto(GStrv) lines = g_strsplit (res.out, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_nonnull (strstr (lines[0], "\"plugin\":\"tor\""));
    g_assert_nonnull (strstr (lines[1], "\"plugin\":\"tcp\""));
  }
  cli_result_clear (&res);

  /* --override wins over servers.yaml */
  RUN (&res, "rank", "--json", "--config", cfg, "--servers", servers,
       "--override", "tcp=tcp", furl);
  g_assert_cmpint (res.status, ==, 0);
  g_assert_nonnull (strstr (res.out, "\"plugin\":\"tcp\""));
  cli_result_clear (&res);

  RUN (&res, "rank", "--config", cfg, "--override", "tcp=carrier-pigeon", furl);
  g_assert_cmpint (res.status, ==, 1);
  g_assert_nonnull (strstr (res.out, "per-peer override tcp: carrier-pigeon: no loaded plugin "
                                     "is called 'carrier-pigeon'"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--override", "tcp", furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "--override tcp: not TYPE=NAME; accepted: tcp=tcp"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--servers", bad_yaml, furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, ":4: not YAML: "));
  g_assert_nonnull (strstr (res.err, bad_yaml));
  cli_result_clear (&res);

  RUN (&res, "rank", "--servers", bad_override, furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, ":6: server x: connections: 'tcp: a b' is not an override"));
  cli_result_clear (&res);

  g_unlink (cfg);
  g_unlink (servers);
  g_unlink (bad_yaml);
  g_unlink (bad_override);
}

/* A hostile servers.yaml (a grid's operator hands it out): nesting and
 * aliases past what a servers.yaml needs are refused at once, before
 * libyaml builds the document (its cost grows with their square), and
 * the file is read up to a bound. */
static void
test_rank_servers_hostile (void)
{
  const gchar *furl = "pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:example.com:1234/swissnum";
  g_autoptr(GString) deep = g_string_new ("storage:\n  x: ");
  g_autoptr(GString) aliases = g_string_new (
    "server: &s\n"
    "  ann:\n"
    "    anonymous-storage-FURL: pb://klzcmzngbqjnfciylwkq52ebgyerm33l@tcp:10.1.2.3:1/s\n"
    "  connections:\n"
    "    tcp: tor\n"
    "storage:\n");
  g_autofree gchar *deep_file = NULL;
  g_autofree gchar *aliases_file = NULL;
  CliResult res;

  for (guint i = 0; i < 65; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 65; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '\n');
  for (guint i = 0; i < 1025; i++)
    g_string_append_printf (aliases, "  s%u: *s\n", i);
  deep_file = write_temp_config (deep->str);
  aliases_file = write_temp_config (aliases->str);

  RUN (&res, "rank", "--servers", deep_file, furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, ":2: nested more than 64 levels deep"));
  cli_result_clear (&res);

  RUN (&res, "rank", "--servers", aliases_file, furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, ":1031: more than 1024 aliases (*NAME)"));
  cli_result_clear (&res);

  /* a file that never ends: read up to a bound, not until memory runs out */
  RUN (&res, "rank", "--servers", "/dev/zero", furl);
  g_assert_cmpint (res.status, ==, 2);
  g_assert_nonnull (strstr (res.err, "/dev/zero: larger than 16777216 bytes"));
  cli_result_clear (&res);

  g_unlink (deep_file);
  g_unlink (aliases_file);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/parse/json-corpus", test_parse_json_corpus);
  g_test_add_func ("/cli/parse/bad-furl", test_parse_bad_furl);
  g_test_add_func ("/cli/parse/report", test_parse_report);
  g_test_add_func ("/cli/parse/garbage", test_parse_garbage);
  g_test_add_func ("/cli/rank/json", test_rank_json);
  g_test_add_func ("/cli/rank/overrides", test_rank_overrides);
  g_test_add_func ("/cli/rank/servers-hostile", test_rank_servers_hostile);
  g_test_add_func ("/cli/rank/anonymous", test_rank_anonymous);
  g_test_add_func ("/cli/rank/normal-text", test_rank_normal_text);
  g_test_add_func ("/cli/check-config", test_check_config);
  g_test_add_func ("/cli/location", test_location);
  g_test_add_func ("/cli/plugins", test_plugins);
  g_test_add_func ("/cli/plugins/init-fails", test_plugin_init_fails);
  g_test_add_func ("/cli/plugins/keys", test_plugins_keys);
  g_test_add_func ("/cli/check-config/keys", test_check_config_keys);
  g_test_add_func ("/cli/escapes", test_escapes);
  g_test_add_func ("/cli/secrets", test_secrets);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/plugin-check/bundled", test_plugin_check_bundled);
  g_test_add_func ("/cli/plugin-check/broken", test_plugin_check_broken);
  g_test_add_func ("/cli/plugin-check/publishing", test_plugin_check_publishing);
  g_test_add_func ("/cli/plugin-check/escapes", test_plugin_check_escapes);
  g_test_add_func ("/cli/plugin-check/missing-dependency", test_plugin_check_missing_dependency);
  g_test_add_func ("/cli/plugin-check/config", test_plugin_check_config);
  g_test_add_func ("/cli/plugin-check/hint-modes", test_plugin_check_hint_modes);

  return g_test_run ();
}
