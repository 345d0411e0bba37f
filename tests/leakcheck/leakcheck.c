/* leakcheck — an LD_PRELOAD interposer that catches anonymity leaks.
 *
 * Test-only (never installed). Preloaded into a process, it records, from
 * every thread, each call that could reveal to the network (or to the
 * local resolver) whom the process is about to contact:
 *
 *   name lookups   getaddrinfo, getaddrinfo_a, gethostbyname,
 *                  gethostbyname2, gethostbyname_r, gethostbyname2_r,
 *                  gethostbyaddr(_r), getnameinfo (without NI_NUMERICHOST),
 *                  res_query, res_search, res_querydomain, res_send and
 *                  their res_n* and __res_* spellings
 *   sockets        connect, sendto/sendmsg/sendmmsg with a destination:
 *                  AF_INET/AF_INET6 to anything but an allowed endpoint,
 *                  AF_UNIX to a path that is not allowed (the nscd and
 *                  systemd-resolved sockets are reported as DNS leaks);
 *                  other families (AF_NETLINK, ...) are ignored
 *   files          open, open64, openat, openat64, their fortified
 *                  __open*_2 forms, fopen, fopen64 of /etc/hosts,
 *                  /etc/resolv.conf, /etc/nsswitch.conf, /etc/host.conf,
 *                  /etc/gai.conf and any libnss_* module
 *   at exit        a hosts NSS module (libnss_dns, _resolve, _mdns*,
 *                  _myhostname, ...) loaded into the process
 *
 * A name lookup of an address literal (or with AI_NUMERICHOST) is not a
 * lookup and is not reported; neither is getaddrinfo with no node.
 *
 * Configuration (read once, at the first intercepted call):
 *
 *   FURLHINT_LEAKCHECK_ALLOW  comma-separated endpoints that may be
 *       contacted: "127.0.0.1:9050", "[::1]:9050", "tcp:127.0.0.1:7656",
 *       "127.0.0.1:*" (any port), "unix:/run/tor/socks",
 *       "unix:PREFIX*" (any path starting with PREFIX), "unix:@abstract", and
 *       "name:localhost" (a host name that may be looked up).
 *   FURLHINT_LEAKCHECK_LOG    file to append violations to (default:
 *       stderr). One entry per violation:
 *         leakcheck: VIOLATION pid=P tid=T exe=NAME mode=fail call=CALL ARGS -> RESULT
 *         leakcheck:   #0 0x7f.. /path/object(symbol+0x1f)
 *         ...
 *         leakcheck: END
 *       The first line alone says what happened; the frames say where.
 *   FURLHINT_LEAKCHECK_MODE   "fail" (the default: fail closed) makes a
 *       violating call fail without doing anything — EACCES for sockets
 *       and files, EAI_FAIL / NO_RECOVERY for lookups — so nothing
 *       leaves; "record" lets it through after logging it.
 *   FURLHINT_LEAKCHECK_ONLY   comma-separated program names (libtool's
 *       "lt-" prefix ignored): the checker stays passive in any other
 *       process that inherits LD_PRELOAD (the shell of a libtool wrapper,
 *       tor, socat...). Unset: active everywhere.
 *
 * Runtime interface for test programs (find it with dlsym (RTLD_DEFAULT,
 * ...): absent when the program does not run under the checker; see
 * tests/leakcheck/leakcheck.h):
 *
 *   int      furlhint_leakcheck_is_active (void);
 *   unsigned furlhint_leakcheck_get_violations (void);
 *   int      furlhint_leakcheck_allow (const char *endpoint);
 *   void     furlhint_leakcheck_suspend (void);   calling thread only
 *   void     furlhint_leakcheck_resume (void);
 *
 * allow() is for endpoints known only at run time (a lab's Tor SOCKS port
 * on a free port); suspend()/resume() exempt the calling thread while a
 * test sets up its lab (waiting for a port is a direct connect), never the
 * threads the library under test starts.
 *
 * Running a test program under it: tests/leakcheck/leakcheck-run.sh
 * PROGRAM [ARGS] (also usable as automake's LOG_COMPILER: `make
 * check-leakcheck` runs $(LEAKCHECK_TESTS) that way) preloads the checker
 * in fail mode, and fails the run when the log has any violation,
 * printing it. A test program can also re-exec itself under the checker
 * when FURLHINT_TEST_LEAKCHECK=1 (tests/leakcheck/leakcheck.h:
 * leakcheck_maybe_reexec()).
 *
 * Implementation notes: the hot path does not allocate: entries are
 * formatted into a stack buffer and written with write(2) to the log,
 * opened per entry with a raw syscall (no fd is kept open, so a test that
 * counts its fds sees no difference, and nothing is written to a reused
 * descriptor). A per-thread depth counter makes the checker reentrant:
 * calls made inside an intercepted call (the resolver's own socket and
 * file use) are not reported again, and a signal handler that connects
 * while an entry is written does not deadlock on the log lock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* <resolv.h> turns res_query into __res_query and so on; we define both
 * spellings ourselves. */
#undef res_query
#undef res_search
#undef res_querydomain
#undef res_send
#undef res_nquery
#undef res_nsearch
#undef res_nquerydomain
#undef res_nsend

#define LC_EXPORT __attribute__ ((visibility ("default")))

/* glibc exports these spellings too; newer <resolv.h> declares only the
 * plain names. */
LC_EXPORT int __res_query (const char *, int, int, unsigned char *, int);
LC_EXPORT int __res_search (const char *, int, int, unsigned char *, int);
LC_EXPORT int __res_querydomain (const char *, const char *, int, int, unsigned char *, int);
LC_EXPORT int __res_send (const unsigned char *, int, unsigned char *, int);
LC_EXPORT int __res_nquery (res_state, const char *, int, int, unsigned char *, int);
LC_EXPORT int __res_nsearch (res_state, const char *, int, int, unsigned char *, int);
LC_EXPORT int __res_nquerydomain (res_state, const char *, const char *, int, int,
                                  unsigned char *, int);
LC_EXPORT int __res_nsend (res_state, const unsigned char *, int, unsigned char *, int);

/* --- state ---------------------------------------------------------------- */

enum { LC_MODE_FAIL = 0, LC_MODE_RECORD = 1 };

typedef enum {
  ALLOW_INET4 = 1,
  ALLOW_INET6,
  ALLOW_UNIX,
  ALLOW_NAME,
} AllowKind;

typedef struct {
  AllowKind kind;
  int any_port;
  int prefix;                   /* ALLOW_UNIX: path ends in "*" */
  unsigned short port;          /* host order */
  unsigned char addr[16];
  char text[256];               /* unix path ("@x" abstract) or name */
} AllowEntry;

#define MAX_ALLOW 64

static AllowEntry allow_list[MAX_ALLOW];
static unsigned allow_count;          /* published with release stores */
static int allow_lock;

static int lc_mode = LC_MODE_FAIL;
static int lc_passive;                /* not one of FURLHINT_LEAKCHECK_ONLY */
static char lc_log_path[PATH_MAX];    /* "" = stderr */
static unsigned lc_violations;
static int lc_log_lock;

/* 0: not yet, 1: being initialised, 2: ready. */
static int lc_init_state;

/* Calls made while this thread is already inside the checker (or has
 * suspended it) are not checked. */
static __thread int lc_depth __attribute__ ((tls_model ("initial-exec")));

/* The real functions. */
static int (*real_getaddrinfo) (const char *, const char *,
                                const struct addrinfo *, struct addrinfo **);
static int (*real_getaddrinfo_a) (int, struct gaicb **, int, struct sigevent *);
static struct hostent *(*real_gethostbyname) (const char *);
static struct hostent *(*real_gethostbyname2) (const char *, int);
static int (*real_gethostbyname_r) (const char *, struct hostent *, char *,
                                    size_t, struct hostent **, int *);
static int (*real_gethostbyname2_r) (const char *, int, struct hostent *, char *,
                                     size_t, struct hostent **, int *);
static struct hostent *(*real_gethostbyaddr) (const void *, socklen_t, int);
static int (*real_gethostbyaddr_r) (const void *, socklen_t, int, struct hostent *,
                                    char *, size_t, struct hostent **, int *);
static int (*real_getnameinfo) (const struct sockaddr *, socklen_t, char *,
                                socklen_t, char *, socklen_t, int);
static int (*real_res_query) (const char *, int, int, unsigned char *, int);
static int (*real_res_search) (const char *, int, int, unsigned char *, int);
static int (*real_res_querydomain) (const char *, const char *, int, int,
                                    unsigned char *, int);
static int (*real_res_send) (const unsigned char *, int, unsigned char *, int);
static int (*real_res_nquery) (res_state, const char *, int, int, unsigned char *, int);
static int (*real_res_nsearch) (res_state, const char *, int, int, unsigned char *, int);
static int (*real_res_nquerydomain) (res_state, const char *, const char *, int, int,
                                     unsigned char *, int);
static int (*real_res_nsend) (res_state, const unsigned char *, int, unsigned char *, int);
static int (*real_connect) (int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendto) (int, const void *, size_t, int,
                               const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg) (int, const struct msghdr *, int);
static int (*real_sendmmsg) (int, struct mmsghdr *, unsigned int, int);
static int (*real_open) (const char *, int, ...);
static int (*real_open64) (const char *, int, ...);
static int (*real_openat) (int, const char *, int, ...);
static int (*real_openat64) (int, const char *, int, ...);
static int (*real___open_2) (const char *, int);
static int (*real___open64_2) (const char *, int);
static int (*real___openat_2) (int, const char *, int);
static int (*real___openat64_2) (int, const char *, int);
static FILE *(*real_fopen) (const char *, const char *);
static FILE *(*real_fopen64) (const char *, const char *);

/* --- small helpers (no allocation) ------------------------------------------ */

static void
spin_lock (int *lock)
{
  while (__atomic_test_and_set (lock, __ATOMIC_ACQUIRE))
    sched_yield ();
}

static void
spin_unlock (int *lock)
{
  __atomic_clear (lock, __ATOMIC_RELEASE);
}

static void *
next_symbol (const char *name)
{
  return dlsym (RTLD_NEXT, name);
}

#define RESOLVE(var, name) (var = (__typeof__ (var)) next_symbol (name))
#define RESOLVE2(var, name, other)                          \
  do {                                                      \
    if (RESOLVE (var, name) == NULL)                        \
      RESOLVE (var, other);                                 \
  } while (0)

/* A bounded text buffer on the stack. */
typedef struct {
  char *buf;
  size_t len;
  size_t cap;
} Out;

static void
out_str (Out *o, const char *s)
{
  while (s != NULL && *s != '\0' && o->len + 1 < o->cap)
    o->buf[o->len++] = *s++;
  o->buf[o->len] = '\0';
}

static void
out_uint (Out *o, unsigned long long v, unsigned base)
{
  char tmp[32];
  int i = 0;

  do
    {
      unsigned d = (unsigned) (v % base);
      tmp[i++] = (char) (d < 10 ? '0' + d : 'a' + d - 10);
      v /= base;
    }
  while (v != 0 && i < (int) sizeof tmp);
  while (i > 0 && o->len + 1 < o->cap)
    o->buf[o->len++] = tmp[--i];
  o->buf[o->len] = '\0';
}

static void
out_int (Out *o, long long v)
{
  if (v < 0)
    {
      out_str (o, "-");
      out_uint (o, (unsigned long long) -(v + 1) + 1, 10);
    }
  else
    out_uint (o, (unsigned long long) v, 10);
}

/* "text" with quotes, backslashes and non-printable bytes escaped,
 * at most 200 bytes of it. */
static void
out_quoted (Out *o, const char *s)
{
  int n = 0;

  if (s == NULL)
    {
      out_str (o, "NULL");
      return;
    }
  out_str (o, "\"");
  for (; *s != '\0' && n < 200; s++, n++)
    {
      unsigned char c = (unsigned char) *s;

      if (c == '"' || c == '\\')
        {
          char e[3] = { '\\', (char) c, '\0' };
          out_str (o, e);
        }
      else if (c < 0x20 || c >= 0x7f)
        {
          out_str (o, "\\x");
          if (c < 16)
            out_str (o, "0");
          out_uint (o, c, 16);
        }
      else
        {
          char e[2] = { (char) c, '\0' };
          out_str (o, e);
        }
    }
  if (*s != '\0')
    out_str (o, "...");
  out_str (o, "\"");
}

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      buf += n;
      len -= (size_t) n;
    }
}

static int
str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* --- the allow list ------------------------------------------------------- */

static int
parse_port (const char *s, AllowEntry *e)
{
  unsigned long v = 0;

  if (strcmp (s, "*") == 0)
    {
      e->any_port = 1;
      return 0;
    }
  if (*s == '\0')
    return -1;
  for (; *s != '\0'; s++)
    {
      if (*s < '0' || *s > '9')
        return -1;
      v = v * 10 + (unsigned long) (*s - '0');
      if (v > 65535)
        return -1;
    }
  e->port = (unsigned short) v;
  return 0;
}

/* One entry of FURLHINT_LEAKCHECK_ALLOW, @len bytes of @s. */
static int
parse_allow_entry (const char *s, size_t len, AllowEntry *e)
{
  char tmp[300];
  char *colon;

  while (len > 0 && (*s == ' ' || *s == '\t'))
    s++, len--;
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= sizeof tmp)
    return -1;
  memcpy (tmp, s, len);
  tmp[len] = '\0';
  memset (e, 0, sizeof *e);

  if (str_has_prefix (tmp, "unix:"))
    {
      const char *path = tmp + 5;
      size_t plen = strlen (path);

      if (plen == 0 || plen >= sizeof e->text)
        return -1;
      e->kind = ALLOW_UNIX;
      memcpy (e->text, path, plen + 1);
      if (e->text[plen - 1] == '*')
        {
          e->prefix = 1;
          e->text[plen - 1] = '\0';
        }
      return 0;
    }
  if (str_has_prefix (tmp, "name:"))
    {
      const char *name = tmp + 5;

      if (*name == '\0' || strlen (name) >= sizeof e->text)
        return -1;
      e->kind = ALLOW_NAME;
      strcpy (e->text, name);
      return 0;
    }

  {
    char *host = tmp;

    if (str_has_prefix (host, "tcp:"))
      host += 4;
    if (*host == '[')
      {
        char *end = strchr (host, ']');

        if (end == NULL || end[1] != ':')
          return -1;
        *end = '\0';
        if (inet_pton (AF_INET6, host + 1, e->addr) != 1)
          return -1;
        e->kind = ALLOW_INET6;
        return parse_port (end + 2, e);
      }
    colon = strrchr (host, ':');
    if (colon == NULL)
      return -1;
    *colon = '\0';
    if (inet_pton (AF_INET, host, e->addr) != 1)
      return -1;
    e->kind = ALLOW_INET4;
    return parse_port (colon + 1, e);
  }
}

static int
add_allow (const char *s, size_t len)
{
  AllowEntry e;
  unsigned n;
  int ret = -1;

  if (parse_allow_entry (s, len, &e) != 0)
    return -1;
  spin_lock (&allow_lock);
  n = __atomic_load_n (&allow_count, __ATOMIC_RELAXED);
  if (n < MAX_ALLOW)
    {
      allow_list[n] = e;
      __atomic_store_n (&allow_count, n + 1, __ATOMIC_RELEASE);
      ret = 0;
    }
  spin_unlock (&allow_lock);
  return ret;
}

static int
inet_allowed (int family, const unsigned char *addr, unsigned short port)
{
  unsigned n = __atomic_load_n (&allow_count, __ATOMIC_ACQUIRE);
  unsigned i;

  for (i = 0; i < n; i++)
    {
      const AllowEntry *e = &allow_list[i];

      if (!e->any_port && e->port != port)
        continue;
      if (family == AF_INET && e->kind == ALLOW_INET4 && memcmp (e->addr, addr, 4) == 0)
        return 1;
      if (family == AF_INET6 && e->kind == ALLOW_INET6 && memcmp (e->addr, addr, 16) == 0)
        return 1;
    }
  return 0;
}

static int
unix_allowed (const char *path)
{
  unsigned n = __atomic_load_n (&allow_count, __ATOMIC_ACQUIRE);
  unsigned i;

  for (i = 0; i < n; i++)
    {
      const AllowEntry *e = &allow_list[i];

      if (e->kind != ALLOW_UNIX)
        continue;
      if (e->prefix ? str_has_prefix (path, e->text) : strcmp (path, e->text) == 0)
        return 1;
    }
  return 0;
}

static int
name_allowed (const char *name)
{
  unsigned n = __atomic_load_n (&allow_count, __ATOMIC_ACQUIRE);
  unsigned i;

  for (i = 0; i < n; i++)
    if (allow_list[i].kind == ALLOW_NAME && strcasecmp (allow_list[i].text, name) == 0)
      return 1;
  return 0;
}

/* --- initialisation ------------------------------------------------------- */

static int
program_selected (const char *only)
{
  const char *self = program_invocation_short_name;
  size_t self_len;

  if (only == NULL || *only == '\0')
    return 1;
  if (self == NULL)
    return 0;
  if (str_has_prefix (self, "lt-"))
    self += 3;
  self_len = strlen (self);

  while (*only != '\0')
    {
      const char *end = strchr (only, ',');
      size_t len = end != NULL ? (size_t) (end - only) : strlen (only);

      if (str_has_prefix (only, "lt-") && len > 3)
        only += 3, len -= 3;
      if (len == self_len && strncmp (only, self, len) == 0)
        return 1;
      if (end == NULL)
        break;
      only = end + 1;
    }
  return 0;
}

static void
lc_do_init (void)
{
  const char *allow = getenv ("FURLHINT_LEAKCHECK_ALLOW");
  const char *log = getenv ("FURLHINT_LEAKCHECK_LOG");
  const char *mode = getenv ("FURLHINT_LEAKCHECK_MODE");
  void *frames[2];

  RESOLVE (real_getaddrinfo, "getaddrinfo");
  RESOLVE (real_getaddrinfo_a, "getaddrinfo_a");
  RESOLVE (real_gethostbyname, "gethostbyname");
  RESOLVE (real_gethostbyname2, "gethostbyname2");
  RESOLVE (real_gethostbyname_r, "gethostbyname_r");
  RESOLVE (real_gethostbyname2_r, "gethostbyname2_r");
  RESOLVE (real_gethostbyaddr, "gethostbyaddr");
  RESOLVE (real_gethostbyaddr_r, "gethostbyaddr_r");
  RESOLVE (real_getnameinfo, "getnameinfo");
  /* glibc < 2.34 has them in libresolv, under both names. */
  RESOLVE2 (real_res_query, "__res_query", "res_query");
  RESOLVE2 (real_res_search, "__res_search", "res_search");
  RESOLVE2 (real_res_querydomain, "__res_querydomain", "res_querydomain");
  RESOLVE2 (real_res_send, "__res_send", "res_send");
  RESOLVE2 (real_res_nquery, "__res_nquery", "res_nquery");
  RESOLVE2 (real_res_nsearch, "__res_nsearch", "res_nsearch");
  RESOLVE2 (real_res_nquerydomain, "__res_nquerydomain", "res_nquerydomain");
  RESOLVE2 (real_res_nsend, "__res_nsend", "res_nsend");
  RESOLVE (real_connect, "connect");
  RESOLVE (real_sendto, "sendto");
  RESOLVE (real_sendmsg, "sendmsg");
  RESOLVE (real_sendmmsg, "sendmmsg");
  RESOLVE (real_open, "open");
  RESOLVE (real_open64, "open64");
  RESOLVE (real_openat, "openat");
  RESOLVE (real_openat64, "openat64");
  RESOLVE (real___open_2, "__open_2");
  RESOLVE (real___open64_2, "__open64_2");
  RESOLVE (real___openat_2, "__openat_2");
  RESOLVE (real___openat64_2, "__openat64_2");
  RESOLVE (real_fopen, "fopen");
  RESOLVE (real_fopen64, "fopen64");

  if (mode != NULL && strcmp (mode, "record") == 0)
    lc_mode = LC_MODE_RECORD;
  if (log != NULL && strlen (log) < sizeof lc_log_path)
    strcpy (lc_log_path, log);
  lc_passive = !program_selected (getenv ("FURLHINT_LEAKCHECK_ONLY"));

  while (allow != NULL && *allow != '\0')
    {
      const char *end = strchr (allow, ',');
      size_t len = end != NULL ? (size_t) (end - allow) : strlen (allow);

      if (len > 0 && add_allow (allow, len) != 0)
        {
          static const char msg[] = "leakcheck: ignoring a malformed FURLHINT_LEAKCHECK_ALLOW entry\n";
          write_all (2, msg, sizeof msg - 1);
        }
      if (end == NULL)
        break;
      allow = end + 1;
    }

  /* The first backtrace() loads libgcc_s (and allocates): do it now,
   * not in the middle of an intercepted call. */
  backtrace (frames, 2);
}

static void
lc_init (void)
{
  int state = __atomic_load_n (&lc_init_state, __ATOMIC_ACQUIRE);
  int expected = 0;

  if (state == 2)
    return;
  if (__atomic_compare_exchange_n (&lc_init_state, &expected, 1, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    {
      lc_depth++;
      lc_do_init ();
      lc_depth--;
      __atomic_store_n (&lc_init_state, 2, __ATOMIC_RELEASE);
      return;
    }
  /* A call made by the initialisation itself (this thread is inside
   * it) must not wait for it. */
  if (lc_depth > 0)
    return;
  while (__atomic_load_n (&lc_init_state, __ATOMIC_ACQUIRE) != 2)
    sched_yield ();
}

__attribute__ ((constructor)) static void
lc_constructor (void)
{
  lc_init ();
}

/* Enter an intercepted call. Returns 1 when the call must be checked;
 * the caller then calls lc_leave() when done. Returns 0 (nothing to
 * leave) when the checker is passive or the thread is already inside. */
static int
lc_enter (void)
{
  lc_init ();
  if (lc_passive || lc_depth > 0)
    return 0;
  lc_depth++;
  return 1;
}

static void
lc_leave (void)
{
  lc_depth--;
}

/* --- reporting ------------------------------------------------------------ */

/* Appends one entry to the log: @what is the already formatted
 * "call=... args" part, @result what the caller gets. */
static void
report (const char *what, const char *result)
{
  char line[2048];
  Out o = { line, 0, sizeof line };
  void *frames[48];
  int n_frames, i, fd, saved_errno = errno;

  __atomic_add_fetch (&lc_violations, 1, __ATOMIC_RELAXED);

  out_str (&o, "leakcheck: VIOLATION pid=");
  out_int (&o, getpid ());
  out_str (&o, " tid=");
  out_int (&o, (long long) syscall (SYS_gettid));
  out_str (&o, " exe=");
  out_str (&o, program_invocation_short_name);
  out_str (&o, lc_mode == LC_MODE_FAIL ? " mode=fail " : " mode=record ");
  out_str (&o, what);
  out_str (&o, " -> ");
  out_str (&o, result);
  out_str (&o, "\n");

  n_frames = backtrace (frames, (int) (sizeof frames / sizeof frames[0]));

  spin_lock (&lc_log_lock);
  if (lc_log_path[0] != '\0')
    fd = (int) syscall (SYS_openat, AT_FDCWD, lc_log_path,
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  else
    fd = 2;
  if (fd >= 0)
    {
      write_all (fd, o.buf, o.len);
      Dl_info self;
      int shown = 0;

      if (dladdr ((void *) report, &self) == 0)
        self.dli_fbase = NULL;
      for (i = 0; i < n_frames; i++)
        {
          char frame[600];
          Out f = { frame, 0, sizeof frame };
          Dl_info info;

          /* Our own frames say nothing about who made the call. */
          if (shown == 0 && self.dli_fbase != NULL &&
              dladdr (frames[i], &info) != 0 && info.dli_fbase == self.dli_fbase)
            continue;

          out_str (&f, "leakcheck:   #");
          out_int (&f, shown++);
          out_str (&f, " 0x");
          out_uint (&f, (unsigned long long) (uintptr_t) frames[i], 16);
          if (dladdr (frames[i], &info) != 0)
            {
              out_str (&f, " ");
              out_str (&f, info.dli_fname != NULL ? info.dli_fname : "?");
              if (info.dli_sname != NULL)
                {
                  out_str (&f, "(");
                  out_str (&f, info.dli_sname);
                  out_str (&f, "+0x");
                  out_uint (&f, (unsigned long long) ((uintptr_t) frames[i] - (uintptr_t) info.dli_saddr), 16);
                  out_str (&f, ")");
                }
              else if (info.dli_fbase != NULL)
                {
                  out_str (&f, "(+0x");
                  out_uint (&f, (unsigned long long) ((uintptr_t) frames[i] - (uintptr_t) info.dli_fbase), 16);
                  out_str (&f, ")");
                }
            }
          out_str (&f, "\n");
          write_all (fd, f.buf, f.len);
        }
      write_all (fd, "leakcheck: END\n", 15);
      if (fd != 2)
        close (fd);
    }
  spin_unlock (&lc_log_lock);
  errno = saved_errno;
}

/* A sockaddr as "family=AF_INET addr=1.2.3.4:53", and whether it is a
 * violation: 1 = leak, 0 = allowed or not a network address. *@dns is
 * set for the local resolver daemons' sockets. */
static int
describe_sockaddr (Out *o, const struct sockaddr *sa, socklen_t len, int *dns)
{
  char text[INET6_ADDRSTRLEN];

  *dns = 0;
  if (sa == NULL || len < (socklen_t) sizeof (sa_family_t))
    return 0;

  switch (sa->sa_family)
    {
    case AF_INET:
      {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;
        unsigned short port;

        if (len < (socklen_t) sizeof *sin)
          return 0;
        port = ntohs (sin->sin_port);
        inet_ntop (AF_INET, &sin->sin_addr, text, sizeof text);
        out_str (o, "family=AF_INET addr=");
        out_str (o, text);
        out_str (o, ":");
        out_uint (o, port, 10);
        if (port == 53)
          *dns = 1;
        return !inet_allowed (AF_INET, (const unsigned char *) &sin->sin_addr, port);
      }
    case AF_INET6:
      {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
        unsigned short port;

        if (len < (socklen_t) sizeof *sin6)
          return 0;
        port = ntohs (sin6->sin6_port);
        inet_ntop (AF_INET6, &sin6->sin6_addr, text, sizeof text);
        out_str (o, "family=AF_INET6 addr=[");
        out_str (o, text);
        out_str (o, "]:");
        out_uint (o, port, 10);
        if (port == 53)
          *dns = 1;
        if (IN6_IS_ADDR_V4MAPPED (&sin6->sin6_addr))
          return !inet_allowed (AF_INET, (const unsigned char *) &sin6->sin6_addr + 12, port);
        return !inet_allowed (AF_INET6, (const unsigned char *) &sin6->sin6_addr, port);
      }
    case AF_UNIX:
      {
        const struct sockaddr_un *sun = (const struct sockaddr_un *) sa;
        size_t max = (size_t) len - offsetof (struct sockaddr_un, sun_path);
        char path[sizeof sun->sun_path + 2];
        size_t i;

        if (len <= (socklen_t) offsetof (struct sockaddr_un, sun_path))
          return 0;           /* unnamed: socketpair-like, nothing to reveal */
        if (max > sizeof sun->sun_path)
          max = sizeof sun->sun_path;
        if (sun->sun_path[0] == '\0')
          {
            /* Abstract: "@name" (the name may hold NULs; stop at one). */
            path[0] = '@';
            for (i = 1; i < max && sun->sun_path[i] != '\0'; i++)
              path[i] = sun->sun_path[i];
            path[i] = '\0';
          }
        else
          {
            for (i = 0; i < max && sun->sun_path[i] != '\0'; i++)
              path[i] = sun->sun_path[i];
            path[i] = '\0';
          }
        out_str (o, "family=AF_UNIX path=");
        out_quoted (o, path);
        if (strstr (path, "nscd") != NULL ||
            str_has_prefix (path, "/run/systemd/resolve/") ||
            str_has_prefix (path, "/var/run/systemd/resolve/") ||
            str_has_prefix (path, "/run/avahi-daemon/") ||
            str_has_prefix (path, "/var/run/avahi-daemon/"))
          *dns = 1;
        return !unix_allowed (path);
      }
    default:
      return 0;               /* AF_NETLINK and friends: not a destination */
    }
}

static int
mode_fails (void)
{
  return lc_mode == LC_MODE_FAIL;
}

/* --- name lookups --------------------------------------------------------- */

/* Does looking @node up ask anyone? Address literals (as getaddrinfo and
 * gethostbyname parse them) do not. */
static int
is_address_literal (const char *node)
{
  unsigned char buf[16];
  char tmp[INET6_ADDRSTRLEN + 64];
  const char *pct;
  struct in_addr in;

  if (inet_aton (node, &in) != 0)
    return 1;
  pct = strchr (node, '%');
  if (pct != NULL)
    {
      size_t len = (size_t) (pct - node);

      if (len >= sizeof tmp)
        return 0;
      memcpy (tmp, node, len);
      tmp[len] = '\0';
      node = tmp;
    }
  return inet_pton (AF_INET6, node, buf) == 1;
}

static int
name_lookup_leaks (const char *name)
{
  return name != NULL && !is_address_literal (name) && !name_allowed (name);
}

LC_EXPORT int
getaddrinfo (const char *node,
             const char *service,
             const struct addrinfo *hints,
             struct addrinfo **res)
{
  int ret;

  if (!lc_enter ())
    return real_getaddrinfo (node, service, hints, res);

  if (node != NULL && (hints == NULL || !(hints->ai_flags & AI_NUMERICHOST)) &&
      name_lookup_leaks (node))
    {
      char buf[600];
      Out o = { buf, 0, sizeof buf };

      out_str (&o, "call=getaddrinfo node=");
      out_quoted (&o, node);
      out_str (&o, " service=");
      out_quoted (&o, service);
      if (mode_fails ())
        {
          report (buf, "EAI_FAIL");
          if (res != NULL)
            *res = NULL;
          lc_leave ();
          return EAI_FAIL;
        }
      report (buf, "passed through (record mode)");
    }
  ret = real_getaddrinfo (node, service, hints, res);
  lc_leave ();
  return ret;
}

LC_EXPORT int
getaddrinfo_a (int mode,
               struct gaicb *list[],
               int nitems,
               struct sigevent *sevp)
{
  int i, leaks = 0, ret;

  if (!lc_enter ())
    return real_getaddrinfo_a (mode, list, nitems, sevp);

  for (i = 0; i < nitems; i++)
    {
      const struct addrinfo *hints = list[i] != NULL ? list[i]->ar_request : NULL;

      if (list[i] == NULL || list[i]->ar_name == NULL ||
          (hints != NULL && (hints->ai_flags & AI_NUMERICHOST)) ||
          !name_lookup_leaks (list[i]->ar_name))
        continue;
      {
        char buf[600];
        Out o = { buf, 0, sizeof buf };

        out_str (&o, "call=getaddrinfo_a node=");
        out_quoted (&o, list[i]->ar_name);
        out_str (&o, " service=");
        out_quoted (&o, list[i]->ar_service);
        report (buf, mode_fails () ? "EAI_FAIL" : "passed through (record mode)");
        leaks++;
      }
    }
  if (leaks > 0 && mode_fails ())
    {
      for (i = 0; i < nitems; i++)
        if (list[i] != NULL)
          {
            list[i]->ar_result = NULL;
            list[i]->__return = EAI_FAIL;
          }
      lc_leave ();
      return EAI_FAIL;
    }
  ret = real_getaddrinfo_a (mode, list, nitems, sevp);
  lc_leave ();
  return ret;
}

/* Shared by the gethostbyname family: reports a lookup of @name; returns
 * 1 when the caller must fail it. */
static int
check_hostname_call (const char *call, const char *name, int family)
{
  char buf[600];
  Out o = { buf, 0, sizeof buf };

  if (!name_lookup_leaks (name))
    return 0;
  out_str (&o, "call=");
  out_str (&o, call);
  out_str (&o, " name=");
  out_quoted (&o, name);
  if (family >= 0)
    {
      out_str (&o, " family=");
      out_str (&o, family == AF_INET ? "AF_INET" : family == AF_INET6 ? "AF_INET6" : "other");
    }
  report (buf, mode_fails () ? "NULL, h_errno=NO_RECOVERY" : "passed through (record mode)");
  return mode_fails ();
}

LC_EXPORT struct hostent *
gethostbyname (const char *name)
{
  struct hostent *ret;

  if (!lc_enter ())
    return real_gethostbyname (name);
  if (check_hostname_call ("gethostbyname", name, -1))
    {
      h_errno = NO_RECOVERY;
      lc_leave ();
      return NULL;
    }
  ret = real_gethostbyname (name);
  lc_leave ();
  return ret;
}

LC_EXPORT struct hostent *
gethostbyname2 (const char *name, int af)
{
  struct hostent *ret;

  if (!lc_enter ())
    return real_gethostbyname2 (name, af);
  if (check_hostname_call ("gethostbyname2", name, af))
    {
      h_errno = NO_RECOVERY;
      lc_leave ();
      return NULL;
    }
  ret = real_gethostbyname2 (name, af);
  lc_leave ();
  return ret;
}

LC_EXPORT int
gethostbyname_r (const char *name, struct hostent *ret, char *buf, size_t buflen,
                 struct hostent **result, int *h_errnop)
{
  int r;

  if (!lc_enter ())
    return real_gethostbyname_r (name, ret, buf, buflen, result, h_errnop);
  if (check_hostname_call ("gethostbyname_r", name, -1))
    {
      *result = NULL;
      if (h_errnop != NULL)
        *h_errnop = NO_RECOVERY;
      lc_leave ();
      return EACCES;
    }
  r = real_gethostbyname_r (name, ret, buf, buflen, result, h_errnop);
  lc_leave ();
  return r;
}

LC_EXPORT int
gethostbyname2_r (const char *name, int af, struct hostent *ret, char *buf,
                  size_t buflen, struct hostent **result, int *h_errnop)
{
  int r;

  if (!lc_enter ())
    return real_gethostbyname2_r (name, af, ret, buf, buflen, result, h_errnop);
  if (check_hostname_call ("gethostbyname2_r", name, af))
    {
      *result = NULL;
      if (h_errnop != NULL)
        *h_errnop = NO_RECOVERY;
      lc_leave ();
      return EACCES;
    }
  r = real_gethostbyname2_r (name, af, ret, buf, buflen, result, h_errnop);
  lc_leave ();
  return r;
}

/* Reverse lookups tell the resolver whom we talk to just as well. */
static void
report_reverse (const char *call, const void *addr, socklen_t len, int type)
{
  char buf[300];
  char text[INET6_ADDRSTRLEN] = "?";
  Out o = { buf, 0, sizeof buf };

  if (type == AF_INET && len >= 4)
    inet_ntop (AF_INET, addr, text, sizeof text);
  else if (type == AF_INET6 && len >= 16)
    inet_ntop (AF_INET6, addr, text, sizeof text);
  out_str (&o, "call=");
  out_str (&o, call);
  out_str (&o, " addr=");
  out_str (&o, text);
  report (buf, mode_fails () ? "NULL, h_errno=NO_RECOVERY" : "passed through (record mode)");
}

LC_EXPORT struct hostent *
gethostbyaddr (const void *addr, socklen_t len, int type)
{
  struct hostent *ret;

  if (!lc_enter ())
    return real_gethostbyaddr (addr, len, type);
  report_reverse ("gethostbyaddr", addr, len, type);
  if (mode_fails ())
    {
      h_errno = NO_RECOVERY;
      lc_leave ();
      return NULL;
    }
  ret = real_gethostbyaddr (addr, len, type);
  lc_leave ();
  return ret;
}

LC_EXPORT int
gethostbyaddr_r (const void *addr, socklen_t len, int type, struct hostent *ret,
                 char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
  int r;

  if (!lc_enter ())
    return real_gethostbyaddr_r (addr, len, type, ret, buf, buflen, result, h_errnop);
  report_reverse ("gethostbyaddr_r", addr, len, type);
  if (mode_fails ())
    {
      *result = NULL;
      if (h_errnop != NULL)
        *h_errnop = NO_RECOVERY;
      lc_leave ();
      return EACCES;
    }
  r = real_gethostbyaddr_r (addr, len, type, ret, buf, buflen, result, h_errnop);
  lc_leave ();
  return r;
}

LC_EXPORT int
getnameinfo (const struct sockaddr *sa, socklen_t salen, char *host,
             socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
  int r;

  if (!lc_enter ())
    return real_getnameinfo (sa, salen, host, hostlen, serv, servlen, flags);
  if (host != NULL && hostlen > 0 && !(flags & NI_NUMERICHOST) && sa != NULL &&
      (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
    {
      char buf[300];
      Out o = { buf, 0, sizeof buf };
      int dns;

      out_str (&o, "call=getnameinfo ");
      describe_sockaddr (&o, sa, salen, &dns);
      report (buf, mode_fails () ? "EAI_FAIL" : "passed through (record mode)");
      if (mode_fails ())
        {
          lc_leave ();
          return EAI_FAIL;
        }
    }
  r = real_getnameinfo (sa, salen, host, hostlen, serv, servlen, flags);
  lc_leave ();
  return r;
}

/* res_*: there is no harmless use of these in an anonymous process. */
static int
report_res (const char *call, const char *dname, const char *domain, int type)
{
  char buf[700];
  Out o = { buf, 0, sizeof buf };

  out_str (&o, "call=");
  out_str (&o, call);
  if (dname != NULL)
    {
      out_str (&o, " name=");
      out_quoted (&o, dname);
    }
  if (domain != NULL)
    {
      out_str (&o, " domain=");
      out_quoted (&o, domain);
    }
  if (type >= 0)
    {
      out_str (&o, " type=");
      out_int (&o, type);
    }
  report (buf, mode_fails () ? "-1, h_errno=NO_RECOVERY" : "passed through (record mode)");
  if (mode_fails ())
    {
      h_errno = NO_RECOVERY;
      errno = EACCES;
      return 1;
    }
  return 0;
}

#define RES_GUARD(call_name, dname, domain, type, real_call)        \
  do {                                                              \
    int r_;                                                         \
    if (!lc_enter ())                                               \
      return real_call;                                             \
    if (report_res (call_name, dname, domain, type))                \
      {                                                             \
        lc_leave ();                                                \
        return -1;                                                  \
      }                                                             \
    r_ = real_call;                                                 \
    lc_leave ();                                                    \
    return r_;                                                      \
  } while (0)

LC_EXPORT int
__res_query (const char *dname, int class, int type, unsigned char *answer, int anslen)
{
  RES_GUARD ("res_query", dname, NULL, type,
             real_res_query (dname, class, type, answer, anslen));
}

LC_EXPORT int
res_query (const char *dname, int class, int type, unsigned char *answer, int anslen)
{
  return __res_query (dname, class, type, answer, anslen);
}

LC_EXPORT int
__res_search (const char *dname, int class, int type, unsigned char *answer, int anslen)
{
  RES_GUARD ("res_search", dname, NULL, type,
             real_res_search (dname, class, type, answer, anslen));
}

LC_EXPORT int
res_search (const char *dname, int class, int type, unsigned char *answer, int anslen)
{
  return __res_search (dname, class, type, answer, anslen);
}

LC_EXPORT int
__res_querydomain (const char *name, const char *domain, int class, int type,
                   unsigned char *answer, int anslen)
{
  RES_GUARD ("res_querydomain", name, domain, type,
             real_res_querydomain (name, domain, class, type, answer, anslen));
}

LC_EXPORT int
res_querydomain (const char *name, const char *domain, int class, int type,
                 unsigned char *answer, int anslen)
{
  return __res_querydomain (name, domain, class, type, answer, anslen);
}

LC_EXPORT int
__res_send (const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
  RES_GUARD ("res_send", NULL, NULL, -1, real_res_send (msg, msglen, answer, anslen));
}

LC_EXPORT int
res_send (const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
  return __res_send (msg, msglen, answer, anslen);
}

LC_EXPORT int
__res_nquery (res_state statp, const char *dname, int class, int type,
              unsigned char *answer, int anslen)
{
  RES_GUARD ("res_nquery", dname, NULL, type,
             real_res_nquery (statp, dname, class, type, answer, anslen));
}

LC_EXPORT int
res_nquery (res_state statp, const char *dname, int class, int type,
            unsigned char *answer, int anslen)
{
  return __res_nquery (statp, dname, class, type, answer, anslen);
}

LC_EXPORT int
__res_nsearch (res_state statp, const char *dname, int class, int type,
               unsigned char *answer, int anslen)
{
  RES_GUARD ("res_nsearch", dname, NULL, type,
             real_res_nsearch (statp, dname, class, type, answer, anslen));
}

LC_EXPORT int
res_nsearch (res_state statp, const char *dname, int class, int type,
             unsigned char *answer, int anslen)
{
  return __res_nsearch (statp, dname, class, type, answer, anslen);
}

LC_EXPORT int
__res_nquerydomain (res_state statp, const char *name, const char *domain, int class,
                    int type, unsigned char *answer, int anslen)
{
  RES_GUARD ("res_nquerydomain", name, domain, type,
             real_res_nquerydomain (statp, name, domain, class, type, answer, anslen));
}

LC_EXPORT int
res_nquerydomain (res_state statp, const char *name, const char *domain, int class,
                  int type, unsigned char *answer, int anslen)
{
  return __res_nquerydomain (statp, name, domain, class, type, answer, anslen);
}

LC_EXPORT int
__res_nsend (res_state statp, const unsigned char *msg, int msglen,
             unsigned char *answer, int anslen)
{
  RES_GUARD ("res_nsend", NULL, NULL, -1, real_res_nsend (statp, msg, msglen, answer, anslen));
}

LC_EXPORT int
res_nsend (res_state statp, const unsigned char *msg, int msglen,
           unsigned char *answer, int anslen)
{
  return __res_nsend (statp, msg, msglen, answer, anslen);
}

/* --- sockets ---------------------------------------------------------------- */

/* Reports a socket call to @sa when it is not allowed; returns 1 when the
 * caller must fail it. */
static int
check_destination (const char *call, int fd, const struct sockaddr *sa, socklen_t len)
{
  char buf[600];
  Out o = { buf, 0, sizeof buf };
  int dns;

  out_str (&o, "call=");
  out_str (&o, call);
  out_str (&o, " fd=");
  out_int (&o, fd);
  out_str (&o, " ");
  if (!describe_sockaddr (&o, sa, len, &dns))
    return 0;
  if (dns)
    out_str (&o, " kind=dns");
  report (buf, mode_fails () ? "-1, errno=EACCES" : "passed through (record mode)");
  return mode_fails ();
}

LC_EXPORT int
connect (int fd, const struct sockaddr *addr, socklen_t len)
{
  int r;

  if (!lc_enter ())
    return real_connect (fd, addr, len);
  if (check_destination ("connect", fd, addr, len))
    {
      lc_leave ();
      errno = EACCES;
      return -1;
    }
  r = real_connect (fd, addr, len);
  lc_leave ();
  return r;
}

LC_EXPORT ssize_t
sendto (int fd, const void *buf, size_t n, int flags,
        const struct sockaddr *addr, socklen_t len)
{
  ssize_t r;

  if (!lc_enter ())
    return real_sendto (fd, buf, n, flags, addr, len);
  if (addr != NULL && check_destination ("sendto", fd, addr, len))
    {
      lc_leave ();
      errno = EACCES;
      return -1;
    }
  r = real_sendto (fd, buf, n, flags, addr, len);
  lc_leave ();
  return r;
}

LC_EXPORT ssize_t
sendmsg (int fd, const struct msghdr *msg, int flags)
{
  ssize_t r;

  if (!lc_enter ())
    return real_sendmsg (fd, msg, flags);
  if (msg != NULL && msg->msg_name != NULL &&
      check_destination ("sendmsg", fd, msg->msg_name, msg->msg_namelen))
    {
      lc_leave ();
      errno = EACCES;
      return -1;
    }
  r = real_sendmsg (fd, msg, flags);
  lc_leave ();
  return r;
}

LC_EXPORT int
sendmmsg (int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
  unsigned int i;
  int r, fail = 0;

  if (!lc_enter ())
    return real_sendmmsg (fd, vec, vlen, flags);
  for (i = 0; vec != NULL && i < vlen; i++)
    if (vec[i].msg_hdr.msg_name != NULL &&
        check_destination ("sendmmsg", fd, vec[i].msg_hdr.msg_name, vec[i].msg_hdr.msg_namelen))
      fail = 1;
  if (fail)
    {
      lc_leave ();
      errno = EACCES;
      return -1;
    }
  r = real_sendmmsg (fd, vec, vlen, flags);
  lc_leave ();
  return r;
}

/* --- files ----------------------------------------------------------------- */

static int
watched_path (const char *path)
{
  static const char *const files[] = {
    "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
    "/etc/host.conf", "/etc/gai.conf", NULL,
  };
  int i;

  if (path == NULL)
    return 0;
  for (i = 0; files[i] != NULL; i++)
    if (strcmp (path, files[i]) == 0)
      return 1;
  /* /run/systemd/resolve/stub-resolv.conf and friends */
  if (strstr (path, "resolv.conf") != NULL)
    return 1;
  return strstr (path, "/libnss_") != NULL || str_has_prefix (path, "libnss_");
}

/* Reports an open of a watched file; returns 1 when the caller must fail. */
static int
check_open (const char *call, const char *path, const char *flags)
{
  char buf[600];
  Out o = { buf, 0, sizeof buf };

  if (!watched_path (path))
    return 0;
  out_str (&o, "call=");
  out_str (&o, call);
  out_str (&o, " path=");
  out_quoted (&o, path);
  if (flags != NULL)
    {
      out_str (&o, " mode=");
      out_quoted (&o, flags);
    }
  report (buf, mode_fails () ? "-1, errno=EACCES" : "passed through (record mode)");
  return mode_fails ();
}

static int
needs_mode (int flags)
{
#ifdef O_TMPFILE
  if ((flags & O_TMPFILE) == O_TMPFILE)
    return 1;
#endif
  return (flags & O_CREAT) != 0;
}

#define OPEN_GUARD(call_name, path, real_call)   \
  do {                                           \
    int r_;                                      \
    if (!lc_enter ())                            \
      return real_call;                          \
    if (check_open (call_name, path, NULL))      \
      {                                          \
        lc_leave ();                             \
        errno = EACCES;                          \
        return -1;                               \
      }                                          \
    r_ = real_call;                              \
    lc_leave ();                                 \
    return r_;                                   \
  } while (0)

LC_EXPORT int
open (const char *path, int flags, ...)
{
  mode_t mode = 0;

  if (needs_mode (flags))
    {
      va_list ap;
      va_start (ap, flags);
      mode = (mode_t) va_arg (ap, int);
      va_end (ap);
    }
  OPEN_GUARD ("open", path, real_open (path, flags, mode));
}

LC_EXPORT int
open64 (const char *path, int flags, ...)
{
  mode_t mode = 0;

  if (needs_mode (flags))
    {
      va_list ap;
      va_start (ap, flags);
      mode = (mode_t) va_arg (ap, int);
      va_end (ap);
    }
  OPEN_GUARD ("open64", path, real_open64 (path, flags, mode));
}

LC_EXPORT int
openat (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;

  if (needs_mode (flags))
    {
      va_list ap;
      va_start (ap, flags);
      mode = (mode_t) va_arg (ap, int);
      va_end (ap);
    }
  OPEN_GUARD ("openat", path, real_openat (dirfd, path, flags, mode));
}

LC_EXPORT int
openat64 (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;

  if (needs_mode (flags))
    {
      va_list ap;
      va_start (ap, flags);
      mode = (mode_t) va_arg (ap, int);
      va_end (ap);
    }
  OPEN_GUARD ("openat64", path, real_openat64 (dirfd, path, flags, mode));
}

/* _FORTIFY_SOURCE builds call these. */
LC_EXPORT int __open_2 (const char *path, int flags);
LC_EXPORT int __open64_2 (const char *path, int flags);
LC_EXPORT int __openat_2 (int dirfd, const char *path, int flags);
LC_EXPORT int __openat64_2 (int dirfd, const char *path, int flags);

LC_EXPORT int
__open_2 (const char *path, int flags)
{
  OPEN_GUARD ("open", path, real___open_2 (path, flags));
}

LC_EXPORT int
__open64_2 (const char *path, int flags)
{
  OPEN_GUARD ("open64", path, real___open64_2 (path, flags));
}

LC_EXPORT int
__openat_2 (int dirfd, const char *path, int flags)
{
  OPEN_GUARD ("openat", path, real___openat_2 (dirfd, path, flags));
}

LC_EXPORT int
__openat64_2 (int dirfd, const char *path, int flags)
{
  OPEN_GUARD ("openat64", path, real___openat64_2 (dirfd, path, flags));
}

LC_EXPORT FILE *
fopen (const char *path, const char *mode)
{
  FILE *f;

  if (!lc_enter ())
    return real_fopen (path, mode);
  if (check_open ("fopen", path, mode))
    {
      lc_leave ();
      errno = EACCES;
      return NULL;
    }
  f = real_fopen (path, mode);
  lc_leave ();
  return f;
}

LC_EXPORT FILE *
fopen64 (const char *path, const char *mode)
{
  FILE *f;

  if (!lc_enter ())
    return real_fopen64 (path, mode);
  if (check_open ("fopen64", path, mode))
    {
      lc_leave ();
      errno = EACCES;
      return NULL;
    }
  f = real_fopen64 (path, mode);
  lc_leave ();
  return f;
}

/* --- at exit: hosts NSS modules ----------------------------------------------- */

/* glibc loads NSS modules with its private dlopen and reads their files
 * with its private open, which no interposer sees; a module for host
 * lookups sitting in the process at exit means someone resolved a name
 * through NSS. (libnss_files and libnss_compat serve passwd/group too.) */
static int
scan_nss_module (struct dl_phdr_info *info, size_t size, void *data)
{
  static const char *const hosts_modules[] = {
    "libnss_dns", "libnss_resolve", "libnss_mdns", "libnss_myhostname",
    "libnss_mymachines", "libnss_wins", "libnss_libvirt", "libnss_hesiod", NULL,
  };
  const char *name = info->dlpi_name;
  const char *base;
  int i;

  (void) size;
  (void) data;
  if (name == NULL || *name == '\0')
    return 0;
  base = strrchr (name, '/');
  base = base != NULL ? base + 1 : name;
  for (i = 0; hosts_modules[i] != NULL; i++)
    if (str_has_prefix (base, hosts_modules[i]))
      {
        char buf[600];
        Out o = { buf, 0, sizeof buf };

        out_str (&o, "call=nss-module-loaded path=");
        out_quoted (&o, name);
        report (buf, "found at exit");
        break;
      }
  return 0;
}

__attribute__ ((destructor)) static void
lc_destructor (void)
{
  if (lc_passive || lc_depth > 0)
    return;
  lc_depth++;
  dl_iterate_phdr (scan_nss_module, NULL);
  lc_depth--;
}

/* --- runtime interface -------------------------------------------------------- */

LC_EXPORT int furlhint_leakcheck_is_active (void);
LC_EXPORT unsigned furlhint_leakcheck_get_violations (void);
LC_EXPORT int furlhint_leakcheck_allow (const char *endpoint);
LC_EXPORT void furlhint_leakcheck_suspend (void);
LC_EXPORT void furlhint_leakcheck_resume (void);

LC_EXPORT int
furlhint_leakcheck_is_active (void)
{
  lc_init ();
  return !lc_passive;
}

LC_EXPORT unsigned
furlhint_leakcheck_get_violations (void)
{
  return __atomic_load_n (&lc_violations, __ATOMIC_RELAXED);
}

LC_EXPORT int
furlhint_leakcheck_allow (const char *endpoint)
{
  lc_init ();
  if (endpoint == NULL)
    return -1;
  return add_allow (endpoint, strlen (endpoint));
}

LC_EXPORT void
furlhint_leakcheck_suspend (void)
{
  lc_init ();
  lc_depth++;
}

LC_EXPORT void
furlhint_leakcheck_resume (void)
{
  if (lc_depth > 0)
    lc_depth--;
}
