/* A plugin that lies: it says it is anonymous (class ANONYMOUS, so the
 * ranker gives its hints tier-0 routes in anonymous mode) and then leaks,
 * in the one way its hint asks for, so that tests/test-leakcheck.c can
 * prove the leak checker (tests/leakcheck/leakcheck.c) catches each kind.
 * Built for the tests only.
 *
 * Hints: "leaky:KIND" or "leaky:KIND:ARG". Every leak happens in a GTask
 * worker thread (the checker must see other threads, as GIO resolves in
 * its own), except "gio-resolve", which leaves the thread to GResolver.
 *
 *   getaddrinfo        getaddrinfo ("leak-canary.invalid", "9")
 *   gethostbyname      gethostbyname ("leak-canary.invalid")
 *   gethostbyname_r    gethostbyname_r ("leak-canary.invalid")
 *   res_query          res_query ("leak-canary.invalid", IN, A)
 *   gio-resolve        g_resolver_lookup_by_name ("leak-canary.invalid")
 *   connect            TCP connect to 127.0.0.2:9
 *   sendto             UDP sendto 127.0.0.3:53 (a DNS query's way out)
 *   open-hosts         open ("/etc/hosts")
 *   fopen-resolv       fopen ("/etc/resolv.conf")
 *   nscd               AF_UNIX connect to /var/run/nscd/socket
 *   allowed:PORT       TCP connect to 127.0.0.1:PORT, and return the stream
 *   unix:PATH          AF_UNIX connect to PATH, and return the stream; PATH
 *                      is written with "|" for "/" (a FURL's hints end at
 *                      the first "/")
 *
 * It only ever touches loopback and a name under the reserved ".invalid"
 * TLD, and the tests run it in a private network namespace with the
 * checker in fail mode, so that even a real lookup could not leave.
 * The result of the leaking call goes into the connect error
 * ("leaky: getaddrinfo(leak-canary.invalid) = -4 (EAI_FAIL)"), so a test
 * can also see that fail mode made the call fail.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <furlhint/plugin.h>

#define CANARY "leak-canary.invalid"

static gpointer
leaky_init (const FurlHintPluginInitArgs *args,
            gboolean *configured,
            GError **error)
{
  return NULL;
}

static gboolean
leaky_parse (gpointer state,
             const gchar *hint,
             FurlHintParseMode mode,
             FurlHintTarget *target,
             GError **error)
{
  if (mode != FURLHINT_PARSE_NATIVE || !g_str_has_prefix (hint, "leaky:") || hint[6] == '\0')
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized leaky hint '%s'; expected leaky:KIND[:ARG]", hint);
      return FALSE;
    }
  target->host = g_strdup (CANARY);
  target->port = 9;
  target->host_kind = FURLHINT_HOST_DNS;
  target->hint = g_strdup (hint);
  return TRUE;
}

static gchar *
leaky_describe (gpointer state,
                const FurlHintTarget *target)
{
  return g_strdup_printf ("leaky (%s)", target->hint);
}

static const gchar *
gai_name (int code)
{
  switch (code)
    {
    case 0: return "OK";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    default: return "EAI_other";
    }
}

/* Connects a new socket of @family to @sa; returns the fd or -1 and
 * a description of the outcome in @outcome. */
static int
leak_connect (int family,
              int type,
              const struct sockaddr *sa,
              socklen_t len,
              const gchar *what,
              GString *outcome)
{
  int fd = socket (family, type | SOCK_CLOEXEC, 0);

  if (fd < 0)
    {
      g_string_append_printf (outcome, "socket() for %s failed: %s", what, g_strerror (errno));
      return -1;
    }
  if (connect (fd, sa, len) != 0)
    {
      int saved = errno;

      g_string_append_printf (outcome, "connect(%s) = -1 (%s)", what, g_strerror (saved));
      close (fd);
      return -1;
    }
  g_string_append_printf (outcome, "connect(%s) = 0", what);
  return fd;
}

static int
leak_tcp (const gchar *ip,
          guint port,
          GString *outcome)
{
  struct sockaddr_in sin;
  g_autofree gchar *what = g_strdup_printf ("%s:%u", ip, port);

  memset (&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons ((guint16) port);
  inet_pton (AF_INET, ip, &sin.sin_addr);
  return leak_connect (AF_INET, SOCK_STREAM, (struct sockaddr *) &sin, sizeof sin, what, outcome);
}

static int
leak_unix (const gchar *path,
           GString *outcome)
{
  struct sockaddr_un sun;

  memset (&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (strlen (path) >= sizeof sun.sun_path)
    {
      g_string_append_printf (outcome, "unix path too long: %s", path);
      return -1;
    }
  strcpy (sun.sun_path, path);
  return leak_connect (AF_UNIX, SOCK_STREAM, (struct sockaddr *) &sun, sizeof sun, path, outcome);
}

/* Does the leak @kind (with @arg); returns a connected fd for the kinds
 * that connect somewhere allowed, -1 otherwise; @outcome says what the
 * leaking call returned. */
static int
do_leak (const gchar *kind,
         const gchar *arg,
         GString *outcome)
{
  if (g_str_equal (kind, "getaddrinfo"))
    {
      struct addrinfo hints, *res = NULL;
      int r;

      memset (&hints, 0, sizeof hints);
      hints.ai_socktype = SOCK_STREAM;
      r = getaddrinfo (CANARY, "9", &hints, &res);
      g_string_append_printf (outcome, "getaddrinfo(%s) = %d (%s)", CANARY, r, gai_name (r));
      if (res != NULL)
        freeaddrinfo (res);
      return -1;
    }
  if (g_str_equal (kind, "gethostbyname"))
    {
      struct hostent *h = gethostbyname (CANARY);

      g_string_append_printf (outcome, "gethostbyname(%s) = %s (h_errno %d)", CANARY,
                              h != NULL ? "a hostent" : "NULL", h_errno);
      return -1;
    }
  if (g_str_equal (kind, "gethostbyname_r"))
    {
      struct hostent h, *result = NULL;
      char buf[2048];
      int herr = 0;
      int r = gethostbyname_r (CANARY, &h, buf, sizeof buf, &result, &herr);

      g_string_append_printf (outcome, "gethostbyname_r(%s) = %d, result %s (h_errno %d)",
                              CANARY, r, result != NULL ? "set" : "NULL", herr);
      return -1;
    }
  if (g_str_equal (kind, "res_query"))
    {
      unsigned char answer[512];
      int r = res_query (CANARY, ns_c_in, ns_t_a, answer, sizeof answer);

      g_string_append_printf (outcome, "res_query(%s) = %d (h_errno %d)", CANARY, r, h_errno);
      return -1;
    }
  if (g_str_equal (kind, "gio-resolve"))
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      g_autoptr(GError) error = NULL;
      GList *addresses = g_resolver_lookup_by_name (resolver, CANARY, NULL, &error);

      if (addresses != NULL)
        {
          g_resolver_free_addresses (addresses);
          g_string_append_printf (outcome, "g_resolver_lookup_by_name(%s) succeeded", CANARY);
        }
      else
        g_string_append_printf (outcome, "g_resolver_lookup_by_name(%s) failed: %s",
                                CANARY, error->message);
      return -1;
    }
  if (g_str_equal (kind, "connect"))
    {
      int fd = leak_tcp ("127.0.0.2", 9, outcome);

      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (g_str_equal (kind, "sendto"))
    {
      struct sockaddr_in sin;
      /* A DNS header asking nothing: the bytes do not matter, the
       * destination does. */
      static const unsigned char query[12] = { 0x12, 0x34, 0x01, 0x00 };
      int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ssize_t n;

      memset (&sin, 0, sizeof sin);
      sin.sin_family = AF_INET;
      sin.sin_port = htons (53);
      inet_pton (AF_INET, "127.0.0.3", &sin.sin_addr);
      n = sendto (fd, query, sizeof query, 0, (struct sockaddr *) &sin, sizeof sin);
      g_string_append_printf (outcome, "sendto(127.0.0.3:53) = %zd (%s)", n,
                              n < 0 ? g_strerror (errno) : "sent");
      close (fd);
      return -1;
    }
  if (g_str_equal (kind, "open-hosts"))
    {
      int fd = open ("/etc/hosts", O_RDONLY | O_CLOEXEC);

      g_string_append_printf (outcome, "open(/etc/hosts) = %s (%s)", fd >= 0 ? "fd" : "-1",
                              fd >= 0 ? "opened" : g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (g_str_equal (kind, "fopen-resolv"))
    {
      FILE *f = fopen ("/etc/resolv.conf", "re");

      g_string_append_printf (outcome, "fopen(/etc/resolv.conf) = %s (%s)",
                              f != NULL ? "FILE" : "NULL",
                              f != NULL ? "opened" : g_strerror (errno));
      if (f != NULL)
        fclose (f);
      return -1;
    }
  if (g_str_equal (kind, "nscd"))
    {
      int fd = leak_unix ("/var/run/nscd/socket", outcome);

      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (g_str_equal (kind, "allowed") && arg != NULL)
    {
      guint64 port = 0;

      if (!g_ascii_string_to_unsigned (arg, 10, 1, 65535, &port, NULL))
        {
          g_string_append_printf (outcome, "bad port '%s'", arg);
          return -1;
        }
      return leak_tcp ("127.0.0.1", (guint) port, outcome);
    }
  if (g_str_equal (kind, "unix") && arg != NULL)
    {
      g_autofree gchar *path = g_strdelimit (g_strdup (arg), "|", '/');

      return leak_unix (path, outcome);
    }

  g_string_append_printf (outcome, "unknown leak kind '%s'", kind);
  return -1;
}

static void
leak_thread (GTask *task,
             gpointer source_object,
             gpointer task_data,
             GCancellable *cancellable)
{
  const gchar *hint = task_data;
  g_auto(GStrv) parts = g_strsplit (hint, ":", 3);
  g_autoptr(GString) outcome = g_string_new ("leaky: ");
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  int fd;

  fd = do_leak (parts[1], parts[2], outcome);
  if (fd < 0)
    {
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "%s", outcome->str);
      return;
    }

  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      close (fd);
      g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                               "%s; g_socket_new_from_fd: %s", outcome->str, error->message);
      return;
    }
  g_task_return_pointer (task, g_socket_connection_factory_create_connection (socket),
                         g_object_unref);
  g_object_unref (socket);
}

static void
leaky_connect_async (gpointer state,
                     const FurlHintConnectArgs *args,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, leaky_connect_async);
  g_task_set_task_data (task, g_strdup (args->target->hint), g_free);
  args->status ("leaking", args->status_data);
  g_task_run_in_thread (task, leak_thread);
}

static GIOStream *
leaky_connect_finish (gpointer state,
                      GAsyncResult *result,
                      GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const gchar *const leaky_prefixes[] = { "leaky", NULL };

FURLHINT_PLUGIN_DEFINE (leaky) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "leaky",
  .version = "1.0",
  .description = "test plugin that claims to be anonymous and leaks (leak checker tests)",
  .prefixes = leaky_prefixes,
  .host_suffixes = NULL,
  .anon_class = FURLHINT_ANON_ANONYMOUS,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = leaky_init,
  .fini = NULL,
  .parse = leaky_parse,
  .connect_async = leaky_connect_async,
  .connect_finish = leaky_connect_finish,
  .describe = leaky_describe,
};
