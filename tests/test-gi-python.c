/* The library from Python through GObject Introspection: runs
 * examples/python/furlhint_demo.py (PyGObject, the FurlHint-1.0 typelib of
 * the build tree) against a socat echo server on loopback, in a private
 * network namespace (tests/lab.c), and checks what it prints: the parse,
 * the plan with its reasons, the asynchronous connect on a GLib main loop,
 * the echoed line, the anonymity policy and the error domains.
 *
 * Needs --enable-introspection and a python3 with PyGObject (configure's
 * GI_PYTHON); skipped, saying why, without them and in a sanitizer build
 * (its library cannot be loaded into an uninstrumented python3).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/furlhint.h>

#include "lab.h"
#include "lab-python.h"

#define TUBID "klzcmzngbqjnfciylwkq52ebgyerm33l"

typedef struct {
  Lab *lab;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->lab = lab_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lab_free (f->lab);
}

/* Runs the demo with @args (NULL-terminated); returns its output (stdout
 * and stderr), its exit status in *@status. */
static gchar *
run_demo (gint *status, const gchar *first, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  va_list ap;

  g_ptr_array_add (args, g_build_filename (ABS_TOP_SRCDIR, "examples", "python",
                                           "furlhint_demo.py", NULL));
  va_start (ap, first);
  for (const gchar *a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return lab_python_run ("the Python example", NULL, (const gchar *const *) args->pdata,
                         status);
}

/* Parse, plan and an asynchronous connect that wins on the echo server
 * (the refused port and the unconfigured Tor hint lose), one line echoed. */
static void
test_connect (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *furl = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *want_route = NULL;
  guint16 port;
  gint status;

  if (!lab_python_ready ())
    return;
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  furl = g_strdup_printf ("pb://" TUBID "@tcp:127.0.0.1:%u,tor:abc.onion:80/swissnum", port);

  out = run_demo (&status, furl, "one line through furlhint", NULL);
  g_assert_cmpint (status, ==, 0);
  /* the FURL, its secret name censored */
  lab_assert_contains (out, "FURL pb://" TUBID "@tcp:127.0.0.1:");
  lab_assert_contains (out, "/" FURLHINT_CENSORED "\n");
  g_assert_null (strstr (out, "swissnum"));
  lab_assert_contains (out, "  kind: furl, network: any\n");
  lab_assert_contains (out, "  hint 2: tor:abc.onion:80 (type tor)\n");
  /* the plan and why, with the enums' nicks */
  lab_assert_contains (out, "mode: normal\n[connections] tcp = tcp\n");
  lab_assert_contains (out, "plugin tor: anonymous, carries tcp, not configured\n");
  want_route = g_strdup_printf ("  route #1: tcp:127.0.0.1:%u: clear via tcp: direct TCP to 127.0.0.1:%u",
                                port, port);
  lab_assert_contains (out, want_route);
  lab_assert_contains (out, "  tor:abc.onion:80: rejected (not-configured): tor: hint needs the 'tor' transport");
  lab_assert_contains (out, "verdict: 1 route in 1 tier\n");
  /* the connect, on the main loop */
  lab_assert_contains (out, "through tcp (clear): direct TCP to 127.0.0.1:");
  lab_assert_contains (out, "  hint 1: connected\n");
  lab_assert_contains (out, "  hint 2: no route: tor: hint needs the 'tor' transport");
  lab_assert_contains (out, "echo: one line through furlhint\n");
}

/* Anonymous mode from Python: the clear hint is refused by the policy,
 * and nothing is connected. */
static void
test_anonymous (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *furl = NULL;
  g_autofree gchar *out = NULL;
  guint16 port;
  gint status;

  if (!lab_python_ready ())
    return;
  port = lab_echo_server_start (f->lab, "127.0.0.1", &error);
  g_assert_no_error (error);
  furl = g_strdup_printf ("pb://" TUBID "@tcp:127.0.0.1:%u/swissnum", port);

  out = run_demo (&status, "--anonymous", furl, NULL);
  g_assert_cmpint (status, ==, 1);
  lab_assert_contains (out, "mode: anonymous\n");
  lab_assert_contains (out, "rejected (revealing): ");
  lab_assert_contains (out, "verdict: 0 routes in 0 tiers\n");
  lab_assert_contains (out, "no route: ");
  g_assert_null (strstr (out, "connected in"));
  g_assert_null (strstr (out, "echo:"));
}

/* Every route fails (a refused port): the result comes back with its
 * error (furlhint_context_connect_finish_result(), which bindings use:
 * it raises nothing, so the result is not dropped), and the demo prints
 * that error with furlhint's domain and code names. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autofree gchar *furl = NULL;
  g_autofree gchar *out = NULL;
  gint status;

  if (!lab_python_ready ())
    return;
  furl = g_strdup_printf ("pb://" TUBID "@tcp:127.0.0.1:%u/swissnum",
                          lab_free_port ("127.0.0.1"));
  out = run_demo (&status, furl, NULL);
  g_assert_cmpint (status, ==, 1);
  lab_assert_contains (out, "verdict: 1 route in 1 tier\n");
  lab_assert_contains (out, "connect failed: ");
  lab_assert_contains (out, "(connect/refused)\n");
  g_assert_null (strstr (out, "echo:"));
}

/* A FURL that does not parse: a Python exception whose domain and code
 * are furlhint's (the error quark functions and the enums' nicks). */
static void
test_bad_furl (Fixture *f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  gint status;

  if (!lab_python_ready ())
    return;
  out = run_demo (&status, "pb://notbase32!!@tcp:127.0.0.1:9/x", NULL);
  g_assert_cmpint (status, ==, 2);
  lab_assert_contains (out, "refused: ");
  lab_assert_contains (out, "(furl/bad-tubid)\n");
}

int
main (int argc, char **argv)
{
  lab_enter_private_netns ();
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gi/python/connect", Fixture, NULL, setup, test_connect, teardown);
  g_test_add ("/gi/python/anonymous", Fixture, NULL, setup, test_anonymous, teardown);
  g_test_add ("/gi/python/refused", Fixture, NULL, setup, test_refused, teardown);
  g_test_add ("/gi/python/bad-furl", Fixture, NULL, setup, test_bad_furl, teardown);
  return g_test_run ();
}
