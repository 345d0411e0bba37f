/* Tor control protocol messages (plugins/tor/torctl.c), without a tor. */
#include "config.h"

#include <string.h>
#include <furlhint/furlhint.h>
#include "torctl.h"

/* What a real tor 0.4.9.11 sent on loopback (docs/lab-notes.md, "Tor"). */
static const gchar protocolinfo_reply[] =
  "250-PROTOCOLINFO 1\r\n"
  "250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"/tmp/lab/tor/control_auth_cookie\"\r\n"
  "250-VERSION Tor=\"0.4.9.11\"\r\n"
  "250 OK\r\n";

static FhTorReply *
parse_ok (const gchar *text)
{
  FhTorReply *reply = NULL;
  GError *error = NULL;
  gsize consumed = 0;

  g_assert_cmpint (fh_torctl_parse_reply (text, strlen (text), &consumed, &reply, &error),
                   ==, FH_TORCTL_OK);
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, strlen (text));
  return reply;
}

static void
test_reply_single (void)
{
  g_autoptr(FhTorReply) reply = parse_ok ("250 OK\r\n");

  g_assert_cmpuint (reply->code, ==, 250);
  g_assert_cmpuint (reply->lines->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 0), ==, "OK");
  g_assert_true (fh_torctl_reply_check (reply, "X", NULL));
}

static void
test_reply_multi (void)
{
  g_autoptr(FhTorReply) reply = parse_ok (protocolinfo_reply);

  g_assert_cmpuint (reply->code, ==, 250);
  g_assert_cmpuint (reply->lines->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 0), ==, "PROTOCOLINFO 1");
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 2), ==, "VERSION Tor=\"0.4.9.11\"");
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 3), ==, "OK");
}

static void
test_reply_data (void)
{
  const gchar *text =
    "250+config-text=\r\n"
    "SocksPort 9050\r\n"
    "..leading dot\r\n"
    "\r\n"
    ".\r\n"
    "250-net/listeners/socks=\"127.0.0.1:9050\"\r\n"
    "250 OK\r\n";
  g_autoptr(FhTorReply) reply = parse_ok (text);
  g_autofree gchar *value = NULL;
  g_autofree gchar *socks = NULL;

  g_assert_cmpuint (reply->lines->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (reply->lines, 0), ==,
                   "config-text=\nSocksPort 9050\n.leading dot\n");
  value = fh_torctl_getinfo_value (reply, "config-text", NULL);
  g_assert_cmpstr (value, ==, "SocksPort 9050\n.leading dot\n");
  socks = fh_torctl_getinfo_value (reply, "net/listeners/socks", NULL);
  g_assert_cmpstr (socks, ==, "\"127.0.0.1:9050\"");
}

/* Every prefix of a reply is "need more"; the bytes after it stay unread. */
static void
test_reply_incremental (void)
{
  const gchar *text = "250+x=\r\na\r\n.\r\n250-y=1\r\n250 OK\r\n650 CIRC 1 BUILT\r\n";
  gsize first_len = strlen (text) - strlen ("650 CIRC 1 BUILT\r\n");
  FhTorReply *reply = NULL;
  gsize consumed = 0;

  for (gsize len = 0; len < first_len; len++)
    {
      g_assert_cmpint (fh_torctl_parse_reply (text, len, &consumed, &reply, NULL),
                       ==, FH_TORCTL_NEED_MORE);
      g_assert_null (reply);
    }
  g_assert_cmpint (fh_torctl_parse_reply (text, strlen (text), &consumed, &reply, NULL),
                   ==, FH_TORCTL_OK);
  g_assert_cmpuint (consumed, ==, first_len);
  fh_torctl_reply_free (reply);

  /* The asynchronous event after it parses on its own, code 650. */
  g_assert_cmpint (fh_torctl_parse_reply (text + consumed, strlen (text + consumed),
                                          &consumed, &reply, NULL), ==, FH_TORCTL_OK);
  g_assert_cmpuint (reply->code, ==, 650);
  fh_torctl_reply_free (reply);

  /* A bare LF ends a line too. */
  reply = parse_ok ("250-a\n250 OK\n");
  g_assert_cmpuint (reply->lines->len, ==, 2);
  fh_torctl_reply_free (reply);
}

static void
expect_parse_error (const gchar *text,
                    gsize len,
                    const gchar *fragment)
{
  FhTorReply *reply = NULL;
  GError *error = NULL;

  g_assert_cmpint (fh_torctl_parse_reply (text, len, NULL, &reply, &error),
                   ==, FH_TORCTL_ERROR);
  g_assert_null (reply);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_error_free (error);
}

static void
test_reply_malformed (void)
{
  gchar *huge;

  /* A SOCKS port or web server answering our PROTOCOLINFO. */
  expect_parse_error ("HTTP/1.0 501 Tor is not an HTTP Proxy\r\n", 39,
                      "malformed reply line “HTTP/1.0 501 Tor is not an HTTP Proxy”");
  expect_parse_error ("25 OK\r\n", 7, "3-digit status code");
  expect_parse_error ("250\r\n", 5, "3-digit status code");
  expect_parse_error ("250_OK\r\n", 8, "3-digit status code");
  expect_parse_error ("250-a\r\n251 OK\r\n", 15, "mixes status codes 250 and 251");
  expect_parse_error ("250 O\0K\r\n", 9, "NUL byte");
  expect_parse_error ("\xff\xfe\x01\r\n", 5, "malformed reply line “\\xff\\xfe\\x01”");

  /* An endless line. */
  huge = g_strnfill (FH_TORCTL_MAX_REPLY + 1, 'x');
  expect_parse_error (huge, FH_TORCTL_MAX_REPLY + 1, "longer than 65536 bytes");
  g_free (huge);
}

/* A reply is quoted in the error with its controls escaped: ESC, BEL,
 * a C1 CSI (U+009B) and a byte that is not UTF-8 cannot reach a terminal
 * or a log raw. */
static void
test_reply_escaped (void)
{
  g_autoptr(FhTorReply) reply = parse_ok ("551 no\x1b]0;pwned\x07 \xc2\x9b" "2J \xff\r\n");
  GError *error = NULL;
  const gchar *bad = "2\x1b[2J50 OK\r\n";
  FhTorReply *none = NULL;

  g_assert_false (fh_torctl_reply_check (reply, "GETINFO", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "Tor control port refused GETINFO: 551 "
                   "no\\x1b]0;pwned\\x07 \\u009b2J \\xff");
  g_clear_error (&error);

  g_assert_cmpint (fh_torctl_parse_reply (bad, strlen (bad), NULL, &none, &error),
                   ==, FH_TORCTL_ERROR);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "“2\\x1b[2J50 OK”"));
  g_clear_error (&error);
}

static void
test_reply_check (void)
{
  g_autoptr(FhTorReply) bad_auth =
    parse_ok ("515 Authentication failed: Password did not match HashedControlPassword "
              "value from configuration\r\n");
  g_autoptr(FhTorReply) unrecognized = parse_ok ("552 Unrecognized key \"nope\"\r\n");
  g_autoptr(FhTorReply) odd = parse_ok ("999 what\r\n");
  GError *error = NULL;

  g_assert_false (fh_torctl_reply_check (bad_auth, "AUTHENTICATE", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port refused AUTHENTICATE: 515 Authentication failed: "
                   "Password did not match HashedControlPassword value from configuration");
  g_clear_error (&error);

  g_assert_false (fh_torctl_reply_check (unrecognized, "GETINFO nope", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port refused GETINFO nope: 552 Unrecognized key \"nope\"");
  g_clear_error (&error);

  g_assert_false (fh_torctl_reply_check (odd, "X", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
}

static void
test_unquote (void)
{
  static const struct {
    const gchar *in;
    const gchar *out;    /* NULL: error */
    gsize rest;          /* bytes left after the closing quote */
  } cases[] = {
    { "\"plain\"", "plain", 0 },
    { "\"\" tail", "", 5 },
    { "\"a\\\"b\\\\c\"", "a\"b\\c", 0 },
    { "\"\\n\\t\\r\\'\"", "\n\t\r'", 0 },
    { "\"/home/\\303\\251t\\303\\251/cookie\"", "/home/été/cookie", 0 },
    { "\"\\1x\"", "\001x", 0 },
    { "\"\\101\\1011\"", "AA1", 0 },
    { "\"unterminated", NULL, 0 },
    { "\"ends in backslash\\", NULL, 0 },
    { "\"\\000\"", NULL, 0 },
    { "\"\\400\"", NULL, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const gchar *p = cases[i].in;
      GError *error = NULL;
      gchar *out = fh_torctl_unquote (&p, &error);

      g_test_message ("unquote %s", cases[i].in);
      if (cases[i].out == NULL)
        {
          g_assert_null (out);
          g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
          g_assert_true (p == cases[i].in);
          g_error_free (error);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].out);
      g_assert_cmpuint (strlen (p), ==, cases[i].rest);
      g_free (out);
    }
}

static void
test_quote (void)
{
  static const gchar *const passwords[] = {
    "", "simple", "with \"quotes\" and \\", "new\nline\ttab\rcr", "\001ctl\177", "été",
  };

  {
    g_autofree gchar *q = fh_torctl_quote ("a\"b\\c");
    g_assert_cmpstr (q, ==, "\"a\\\"b\\\\c\"");
  }
  /* Round trip through the unquoting tor would do. */
  for (gsize i = 0; i < G_N_ELEMENTS (passwords); i++)
    {
      g_autofree gchar *quoted = fh_torctl_quote (passwords[i]);
      const gchar *p = quoted;
      g_autofree gchar *back = fh_torctl_unquote (&p, NULL);

      g_assert_cmpstr (back, ==, passwords[i]);
      g_assert_cmpstr (p, ==, "");
      g_assert_null (strchr (quoted, '\n'));
    }
}

static void
test_kwargs (void)
{
  GError *error = NULL;
  GPtrArray *kw = fh_torctl_split_kwargs ("  WORD A=1 B=\"x y\"  C= D", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (kw->len, ==, 10);
  g_assert_cmpstr (g_ptr_array_index (kw, 0), ==, "WORD");
  g_assert_null (g_ptr_array_index (kw, 1));
  g_assert_cmpstr (g_ptr_array_index (kw, 3), ==, "1");
  g_assert_cmpstr (g_ptr_array_index (kw, 5), ==, "x y");
  g_assert_cmpstr (g_ptr_array_index (kw, 6), ==, "C");
  g_assert_cmpstr (g_ptr_array_index (kw, 7), ==, "");
  g_assert_cmpstr (g_ptr_array_index (kw, 8), ==, "D");
  g_ptr_array_unref (kw);

  g_assert_null (fh_torctl_split_kwargs ("A=\"x\"y", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (fh_torctl_split_kwargs ("=x", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (fh_torctl_split_kwargs ("A=\"open", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
}

static void
test_protocolinfo (void)
{
  g_autoptr(FhTorReply) reply = parse_ok (protocolinfo_reply);
  FhTorProtocolInfo info = { 0, };
  GError *error = NULL;

  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.auth_methods, ==, FH_TOR_AUTH_COOKIE | FH_TOR_AUTH_SAFECOOKIE);
  g_assert_cmpstr (info.cookie_file, ==, "/tmp/lab/tor/control_auth_cookie");
  g_assert_cmpstr (info.version, ==, "0.4.9.11");
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, FALSE, NULL), ==,
                   FH_TOR_AUTH_SAFECOOKIE);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, TRUE, NULL), ==,
                   FH_TOR_AUTH_SAFECOOKIE);
  /* COOKIE only when allowed, and SAFECOOKIE still wins then. */
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_COOKIE |
                                          FH_TOR_AUTH_SAFECOOKIE, FALSE, NULL), ==,
                   FH_TOR_AUTH_SAFECOOKIE);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_COOKIE, FALSE, NULL), ==,
                   FH_TOR_AUTH_COOKIE);
  fh_torctl_protocolinfo_clear (&info);
  g_assert_null (info.cookie_file);
}

static void
test_protocolinfo_variants (void)
{
  FhTorProtocolInfo info = { 0, };
  GError *error = NULL;
  FhTorReply *reply;

  /* Password and cookie, escaped path, an unknown method and an unknown
   * line from a later protocol version. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n"
                    "250-AUTH METHODS=HASHEDPASSWORD,COOKIE,FUTURE "
                    "COOKIEFILE=\"/home/a \\\"b\\\"/c\\\\d\"\r\n"
                    "250-FUTURE THING=1\r\n"
                    "250 OK\r\n");
  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.auth_methods, ==, FH_TOR_AUTH_HASHEDPASSWORD | FH_TOR_AUTH_COOKIE);
  g_assert_cmpstr (info.cookie_file, ==, "/home/a \"b\"/c\\d");
  g_assert_null (info.version);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT |
                                          FH_TOR_AUTH_COOKIE, FALSE, NULL), ==,
                   FH_TOR_AUTH_COOKIE);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, TRUE, NULL), ==,
                   FH_TOR_AUTH_HASHEDPASSWORD);
  fh_torctl_protocolinfo_clear (&info);
  fh_torctl_reply_free (reply);

  /* Password only, none configured. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD\r\n250 OK\r\n");
  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, FALSE, &error),
                   ==, 0);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port wants a password (it offers HASHEDPASSWORD); accepted: "
                   "[tor] control.password, or CookieAuthentication 1 in the torrc");
  g_clear_error (&error);
  fh_torctl_protocolinfo_clear (&info);
  fh_torctl_reply_free (reply);

  /* No auth at all: anyone could be answering, so only when allowed. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n");
  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, TRUE, &error), ==, 0);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port offers only NULL, which furlhint does not use unless "
                   "told to (COOKIE sends the cookie to whatever listens on the port, NULL "
                   "trusts it unauthenticated: maybe not tor at all); accepted: "
                   "HASHEDPASSWORD,SAFECOOKIE (set by [tor] control.auth; SAFECOOKIE is what "
                   "tor offers with CookieAuthentication 1), or [tor] control.auth naming NULL "
                   "to allow it");
  g_clear_error (&error);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_NULL, FALSE, NULL), ==,
                   FH_TOR_AUTH_NULL);
  fh_torctl_protocolinfo_clear (&info);
  fh_torctl_reply_free (reply);

  /* COOKIE alone (no tor since 0.2.3 offers it without SAFECOOKIE): the
   * cookie would go in clear to whoever answers. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE "
                    "COOKIEFILE=\"/var/lib/tor/control_auth_cookie\"\r\n250 OK\r\n");
  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, FALSE, &error),
                   ==, 0);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_true (g_str_has_prefix (error->message, "Tor control port offers only COOKIE, "));
  g_assert_true (g_str_has_suffix (error->message, "or [tor] control.auth naming COOKIE to "
                                                   "allow it"));
  g_clear_error (&error);
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_COOKIE, FALSE, NULL), ==,
                   FH_TOR_AUTH_COOKIE);
  fh_torctl_protocolinfo_clear (&info);
  fh_torctl_reply_free (reply);

  /* Cookie without a file name. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n250-AUTH METHODS=SAFECOOKIE\r\n250 OK\r\n");
  g_assert_true (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_cmpint (fh_torctl_choose_auth (&info, FH_TOR_AUTH_DEFAULT, FALSE, &error),
                   ==, 0);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "offers SAFECOOKIE but names no COOKIEFILE"));
  g_clear_error (&error);
  fh_torctl_protocolinfo_clear (&info);
  fh_torctl_reply_free (reply);

  /* No AUTH line. */
  reply = parse_ok ("250-PROTOCOLINFO 1\r\n250 OK\r\n");
  g_assert_false (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "no “AUTH METHODS=” line"));
  g_clear_error (&error);
  fh_torctl_reply_free (reply);

  /* Broken quoting in COOKIEFILE. */
  reply = parse_ok ("250-AUTH METHODS=COOKIE COOKIEFILE=\"/x\r\n250 OK\r\n");
  g_assert_false (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (info.cookie_file);
  fh_torctl_reply_free (reply);

  /* An error reply (tor answers 513 to an unknown PROTOCOLINFO version). */
  reply = parse_ok ("513 No such version \"x\"\r\n");
  g_assert_false (fh_torctl_parse_protocolinfo (reply, &info, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  fh_torctl_reply_free (reply);
}

static void
test_auth_lines (void)
{
  guint8 cookie[FH_TORCTL_COOKIE_LEN];
  guint8 nonce[FH_TORCTL_NONCE_LEN];
  g_autofree gchar *cookie_line = NULL;
  g_autofree gchar *password_line = NULL;
  g_autofree gchar *challenge = NULL;

  for (gsize i = 0; i < sizeof cookie; i++)
    cookie[i] = (guint8) i;
  memset (nonce, 0xaa, sizeof nonce);
  cookie_line = fh_torctl_build_auth_cookie (cookie, sizeof cookie);
  g_assert_cmpstr (cookie_line, ==,
                   "AUTHENTICATE 000102030405060708090A0B0C0D0E0F"
                   "101112131415161718191A1B1C1D1E1F\r\n");
  password_line = fh_torctl_build_auth_password ("pa\"ss");
  g_assert_cmpstr (password_line, ==, "AUTHENTICATE \"pa\\\"ss\"\r\n");
  challenge = fh_torctl_build_authchallenge (nonce);
  g_assert_cmpstr (challenge, ==,
                   "AUTHCHALLENGE SAFECOOKIE "
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n");
}

/* Expected values from Python: hmac.new(KEY, cookie + cnonce + snonce,
 * hashlib.sha256), cookie = bytes(range(32)), cnonce = 0xAA * 32,
 * snonce = 0x55 * 32. */
#define SERVER_HASH "5F7CB5569957C99373E329258545940F029AF175DA225F4A3125EEBF30C24BBA"
#define CLIENT_HASH "9F99F2C4B75C91123CA5C6C6E3F76A9EF7FBD9471053CBE34454A4269CC39F7C"
#define SERVER_NONCE "5555555555555555555555555555555555555555555555555555555555555555"

static void
test_safecookie (void)
{
  guint8 cookie[FH_TORCTL_COOKIE_LEN];
  guint8 cnonce[FH_TORCTL_NONCE_LEN];
  GError *error = NULL;
  FhTorReply *reply;
  gchar *line;

  for (gsize i = 0; i < sizeof cookie; i++)
    cookie[i] = (guint8) i;
  memset (cnonce, 0xaa, sizeof cnonce);

  reply = parse_ok ("250 AUTHCHALLENGE SERVERHASH=" SERVER_HASH " SERVERNONCE=" SERVER_NONCE "\r\n");
  line = fh_torctl_safecookie_response (reply, cookie, sizeof cookie, cnonce, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "AUTHENTICATE " CLIENT_HASH "\r\n");
  g_free (line);
  fh_torctl_reply_free (reply);

  /* Lower-case hex is fine too. */
  {
    g_autofree gchar *lower_hash = g_ascii_strdown (SERVER_HASH, -1);
    g_autofree gchar *text = g_strdup_printf ("250 AUTHCHALLENGE SERVERHASH=%s SERVERNONCE=%s\r\n",
                                              lower_hash, SERVER_NONCE);
    reply = parse_ok (text);
    line = fh_torctl_safecookie_response (reply, cookie, sizeof cookie, cnonce, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (line, ==, "AUTHENTICATE " CLIENT_HASH "\r\n");
    g_free (line);
    fh_torctl_reply_free (reply);
  }

  /* A different cookie: tor's hash does not match ours. */
  cookie[0] ^= 1;
  reply = parse_ok ("250 AUTHCHALLENGE SERVERHASH=" SERVER_HASH " SERVERNONCE=" SERVER_NONCE "\r\n");
  g_assert_null (fh_torctl_safecookie_response (reply, cookie, sizeof cookie, cnonce, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "server hash does not match the cookie file"));
  g_clear_error (&error);
  fh_torctl_reply_free (reply);

  /* Malformed replies. */
  {
    static const gchar *const bad[] = {
      "250 AUTHCHALLENGE SERVERHASH=" SERVER_HASH "\r\n",
      "250 AUTHCHALLENGE SERVERHASH=12 SERVERNONCE=" SERVER_NONCE "\r\n",
      "250 AUTHCHALLENGE SERVERHASH=" SERVER_NONCE "ZZ SERVERNONCE=" SERVER_NONCE "\r\n",
      "250 OK\r\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        reply = parse_ok (bad[i]);
        g_assert_null (fh_torctl_safecookie_response (reply, cookie, sizeof cookie,
                                                      cnonce, &error));
        g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
        g_clear_error (&error);
        fh_torctl_reply_free (reply);
      }
  }

  /* Tor refusing the challenge (no cookie auth configured). */
  reply = parse_ok ("513 Unrecognized authentication type\r\n");
  g_assert_null (fh_torctl_safecookie_response (reply, cookie, sizeof cookie, cnonce, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port refused AUTHCHALLENGE: 513 Unrecognized authentication type");
  g_clear_error (&error);
  fh_torctl_reply_free (reply);
}

static void
test_getinfo (void)
{
  g_autofree gchar *command = fh_torctl_build_getinfo ("net/listeners/socks");
  g_autoptr(FhTorReply) empty = parse_ok ("250-net/listeners/socks=\r\n250 OK\r\n");
  g_autoptr(FhTorReply) other = parse_ok ("250-version=0.4.9.11\r\n250 OK\r\n");
  g_autoptr(FhTorReply) refused = parse_ok ("552 Unrecognized key \"net/listeners/socks\"\r\n");
  GError *error = NULL;
  gchar *value;

  g_assert_cmpstr (command, ==, "GETINFO net/listeners/socks\r\n");
  value = fh_torctl_getinfo_value (empty, "net/listeners/socks", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "");
  g_free (value);

  /* A key that is a prefix of another is not confused with it. */
  g_assert_null (fh_torctl_getinfo_value (other, "versio", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==,
                   "Tor control port: reply to GETINFO versio has no “versio=” line");
  g_clear_error (&error);

  g_assert_null (fh_torctl_getinfo_value (refused, "net/listeners/socks", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "Tor control port refused GETINFO net/listeners/socks: "
                   "552 Unrecognized key \"net/listeners/socks\"");
  g_clear_error (&error);
}

static void
test_listeners (void)
{
  GError *error = NULL;
  GArray *list;
  FhEndpoint *e;

  list = fh_torctl_parse_socks_listeners ("", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_array_unref (list);

  list = fh_torctl_parse_socks_listeners (
    "\"127.0.0.1:23845\" \"[::1]:9050\" \"unix:/run/tor/so cks\" 10.0.0.1:1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  e = &g_array_index (list, FhEndpoint, 0);
  g_assert_cmpint (e->kind, ==, FH_ENDPOINT_TCP);
  g_assert_cmpstr (e->host, ==, "127.0.0.1");
  g_assert_cmpuint (e->port, ==, 23845);
  e = &g_array_index (list, FhEndpoint, 1);
  g_assert_cmpstr (e->host, ==, "::1");
  g_assert_cmpuint (e->port, ==, 9050);
  e = &g_array_index (list, FhEndpoint, 2);
  g_assert_cmpint (e->kind, ==, FH_ENDPOINT_UNIX);
  g_assert_cmpstr (e->path, ==, "/run/tor/so cks");
  e = &g_array_index (list, FhEndpoint, 3);
  g_assert_cmpstr (e->host, ==, "10.0.0.1");
  g_assert_cmpuint (e->port, ==, 1);
  g_array_unref (list);

  {
    static const gchar *const bad[] = {
      "\"localhost:9050\"", "\"127.0.0.1\"", "\"127.0.0.1:0\"", "\"127.0.0.1:65536\"",
      "\"127.0.0.1:+5\"", "\"[::1]9050\"", "\"[::1\"", "\"unix:\"", "\"127.0.0.1:1",
      "\"127.0.0.1:1\"x", "\"fe80::1%eth0:9\"",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_test_message ("listener %s", bad[i]);
        g_assert_null (fh_torctl_parse_socks_listeners (bad[i], &error));
        g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
        g_clear_error (&error);
      }
  }
}

/* Only addresses on this machine are used from what a control port
 * reports: it may not be tor (a process squatting the port). */
static void
test_listeners_pick (void)
{
  static const struct {
    const gchar *value;
    const gchar *picked;      /* NULL: refused */
  } cases[] = {
    { "\"127.0.0.1:9050\"", "tcp:127.0.0.1:9050" },
    { "\"127.3.4.5:9050\"", "tcp:127.3.4.5:9050" },
    { "\"[::1]:9050\"", "tcp:[::1]:9050" },
    { "\"unix:/run/tor/socks\"", "unix:/run/tor/socks" },
    { "\"198.51.100.7:9050\" \"127.0.0.1:9150\"", "tcp:127.0.0.1:9150" },
    { "\"198.51.100.7:9050\"", NULL },
    { "\"0.0.0.0:9050\"", NULL },
    { "\"[::]:9050\"", NULL },
    { "\"[::ffff:127.0.0.1]:9050\"", NULL },
    { "\"10.0.0.1:9050\" \"[2001:db8::1]:9050\"", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      GArray *list = fh_torctl_parse_socks_listeners (cases[i].value, &error);
      FhEndpoint picked = { 0, };

      g_test_message ("listeners %s", cases[i].value);
      g_assert_no_error (error);
      if (cases[i].picked != NULL)
        {
          gchar *text;

          g_assert_true (fh_torctl_pick_socks_listener (list, "Tor control port x",
                                                        &picked, &error));
          g_assert_no_error (error);
          text = fh_endpoint_to_string (&picked);
          g_assert_cmpstr (text, ==, cases[i].picked);
          g_free (text);
          fh_endpoint_clear (&picked);
        }
      else
        {
          g_assert_false (fh_torctl_pick_socks_listener (list, "Tor control port x",
                                                         &picked, &error));
          g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
          g_assert_true (g_str_has_prefix (error->message, "Tor control port x names no SOCKS "
                                                           "listener on this machine ("));
          g_assert_nonnull (strstr (error->message, "accepted: a SocksPort on 127.0.0.0/8, "
                                                    "[::1] or a unix socket"));
          g_assert_null (picked.host);
          g_clear_error (&error);
        }
      g_array_unref (list);
    }
}

/* [tor] control.auth: tor's method names, any case, commas or spaces. */
static void
test_auth_setting (void)
{
  guint methods = 0;
  gchar *bad = NULL;

  g_assert_true (fh_torctl_parse_auth_setting (NULL, &methods, &bad));
  g_assert_cmpuint (methods, ==, FH_TOR_AUTH_DEFAULT);
  g_assert_true (fh_torctl_parse_auth_setting (" , ", &methods, &bad));
  g_assert_cmpuint (methods, ==, FH_TOR_AUTH_DEFAULT);
  g_assert_true (fh_torctl_parse_auth_setting ("safecookie, COOKIE null", &methods, &bad));
  g_assert_cmpuint (methods, ==, FH_TOR_AUTH_SAFECOOKIE | FH_TOR_AUTH_COOKIE | FH_TOR_AUTH_NULL);
  g_assert_true (fh_torctl_parse_auth_setting ("HashedPassword", &methods, &bad));
  g_assert_cmpuint (methods, ==, FH_TOR_AUTH_HASHEDPASSWORD);
  g_assert_null (bad);
  g_assert_false (fh_torctl_parse_auth_setting ("safecookie,password", &methods, &bad));
  g_assert_cmpstr (bad, ==, "password");
  g_free (bad);
}

static void
test_bootstrap (void)
{
  FhTorBootstrap b = { 0, };
  GError *error = NULL;

  g_assert_true (fh_torctl_parse_bootstrap (
    "NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"", &b, &error));
  g_assert_no_error (error);
  g_assert_cmpint (b.progress, ==, 100);
  g_assert_cmpstr (b.tag, ==, "done");
  g_assert_cmpstr (b.summary, ==, "Done");
  g_assert_null (b.warning);
  fh_torctl_bootstrap_clear (&b);

  g_assert_true (fh_torctl_parse_bootstrap (
    "NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY=\"Starting\"", &b, &error));
  g_assert_cmpint (b.progress, ==, 0);
  fh_torctl_bootstrap_clear (&b);

  g_assert_true (fh_torctl_parse_bootstrap (
    "WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY=\"Connecting to a relay\" "
    "WARNING=\"Connection refused\" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore "
    "HOSTID=\"ABC\" HOSTADDR=\"127.0.0.1:1\"", &b, &error));
  g_assert_cmpint (b.progress, ==, 5);
  g_assert_cmpstr (b.warning, ==, "Connection refused");
  g_assert_cmpstr (b.summary, ==, "Connecting to a relay");
  fh_torctl_bootstrap_clear (&b);

  {
    static const gchar *const bad[] = {
      "", "NOTICE", "NOTICE CIRC PROGRESS=1", "NOTICE BOOTSTRAP TAG=x",
      "NOTICE BOOTSTRAP PROGRESS=101", "NOTICE BOOTSTRAP PROGRESS=-1",
      "NOTICE BOOTSTRAP PROGRESS=x", "NOTICE BOOTSTRAP SUMMARY=\"x",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_test_message ("bootstrap %s", bad[i]);
        g_assert_false (fh_torctl_parse_bootstrap (bad[i], &b, &error));
        g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
        g_clear_error (&error);
        g_assert_null (b.tag);
      }
  }
}

/* Random bytes and mangled real replies: no crash, and each result is one
 * of the three with the outputs consistent. A small fuzz in-process; run
 * it under valgrind/ASan to catch reads out of bounds. */
static void
test_fuzz (void)
{
  static const gchar *const seeds[] = {
    protocolinfo_reply,
    "250+x=\r\na\r\n..b\r\n.\r\n250 OK\r\n",
    "250 AUTHCHALLENGE SERVERHASH=" SERVER_HASH " SERVERNONCE=" SERVER_NONCE "\r\n",
    "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\r\n250 OK\r\n",
    "250-net/listeners/socks=\"127.0.0.1:9050\" \"unix:/x\"\r\n250 OK\r\n",
  };
  GRand *rand = g_rand_new_with_seed (4);
  guint8 cookie[32] = { 0, }, nonce[32] = { 0, };

  for (guint round = 0; round < 3000; round++)
    {
      const gchar *seed = seeds[round % G_N_ELEMENTS (seeds)];
      gsize len = strlen (seed);
      gchar *buf = g_malloc (len + 1);
      FhTorReply *reply = NULL;
      GError *error = NULL;
      gsize consumed = 0;
      guint flips = g_rand_int_range (rand, 0, 4);
      gsize cut = g_rand_int_range (rand, 0, (gint32) len + 1);
      FhTorctlResult r;

      memcpy (buf, seed, len + 1);
      for (guint f = 0; f < flips; f++)
        buf[g_rand_int_range (rand, 0, (gint32) len)] = (gchar) g_rand_int_range (rand, 1, 256);
      /* Exactly @cut bytes, not NUL-terminated, to catch over-reads. */
      {
        gchar *exact = g_memdup2 (buf, cut);
        r = fh_torctl_parse_reply (exact, cut, &consumed, &reply, &error);
        g_free (exact);
      }
      if (r == FH_TORCTL_OK)
        {
          FhTorProtocolInfo info;
          FhTorBootstrap b;
          gchar *value;
          GArray *list;

          g_assert_nonnull (reply);
          g_assert_no_error (error);
          g_assert_cmpuint (consumed, <=, cut);
          if (fh_torctl_parse_protocolinfo (reply, &info, NULL))
            {
              fh_torctl_choose_auth (&info, round & 2 ? 0xf : FH_TOR_AUTH_DEFAULT,
                                     round & 1, NULL);
              fh_torctl_protocolinfo_clear (&info);
            }
          g_free (fh_torctl_safecookie_response (reply, cookie, sizeof cookie, nonce, NULL));
          value = fh_torctl_getinfo_value (reply, "status/bootstrap-phase", NULL);
          if (value != NULL && fh_torctl_parse_bootstrap (value, &b, NULL))
            fh_torctl_bootstrap_clear (&b);
          g_free (value);
          value = fh_torctl_getinfo_value (reply, "net/listeners/socks", NULL);
          if (value != NULL && (list = fh_torctl_parse_socks_listeners (value, NULL)) != NULL)
            g_array_unref (list);
          g_free (value);
          fh_torctl_reply_free (reply);
        }
      else if (r == FH_TORCTL_NEED_MORE)
        {
          g_assert_null (reply);
          g_assert_no_error (error);
        }
      else
        {
          g_assert_null (reply);
          g_assert_nonnull (error);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          g_error_free (error);
        }
      g_free (buf);
    }
  g_rand_free (rand);
}

/* --- onion services ------------------------------------------------------- */

/* What tor 0.4.9.11 wrote into a HiddenServiceDir (hs_ed25519_secret_key,
 * base64 here) and its hostname file, and what it answered to ADD_ONION
 * (docs/lab-notes.md, "A single tor without a network"). */
static const gchar real_secret_file_b64[] =
  "PT0gZWQyNTUxOXYxLXNlY3JldDogdHlwZTAgPT0AAADwZm8/0Q+XvyginTZskn9T+3+5rI2do1CfzrJnpSll"
  "Q/utAx1ammbnmr2wtuPvJOZT4BlUl9clOfpMYYrdFIlj";
static const gchar real_hostname[] =
  "yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad";
static const gchar add_onion_new_reply[] =
  "250-ServiceID=2ljvzmyvouadywplp2hfwkvuupaik5y6nxrnjsorbgoep4atecbmzsqd\r\n"
  "250-PrivateKey=ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT+0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f8"
  "6ZH7xjoL+fX426WwoJyg==\r\n"
  "250 OK\r\n";

static void
test_onion_key_file (void)
{
  gsize len = 0;
  guchar *file = g_base64_decode (real_secret_file_b64, &len);
  guint8 key[FH_TORCTL_ONION_KEY_LEN], rebuilt[FH_TORCTL_SECRET_KEY_FILE_LEN];
  guint8 bad[FH_TORCTL_SECRET_KEY_FILE_LEN + 1];
  GError *error = NULL;
  gchar *blob;

  g_assert_cmpuint (len, ==, FH_TORCTL_SECRET_KEY_FILE_LEN);
  g_assert_true (fh_torctl_secret_key_file_parse (file, len, "F", key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (key, sizeof key, file + 32, 64);
  /* What we write is byte for byte what tor writes. */
  fh_torctl_secret_key_file_build (key, rebuilt);
  g_assert_cmpmem (rebuilt, sizeof rebuilt, file, len);

  /* The ADD_ONION blob of the same key, and back. */
  blob = fh_torctl_onion_key_encode (key);
  g_assert_true (g_str_has_prefix (blob, "ED25519-V3:"));
  g_assert_cmpuint (strlen (blob), ==, 11 + 88);
  memset (key, 0, sizeof key);
  g_assert_true (fh_torctl_onion_key_decode (blob, "B", key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (key, sizeof key, file + 32, 64);
  g_free (blob);

  /* Wrong size, wrong header: refused, the file named. */
  g_assert_false (fh_torctl_secret_key_file_parse (file, len - 1, "/k/short", key, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/k/short: it has 95 bytes"));
  g_clear_error (&error);
  memcpy (bad, file, len);
  bad[len] = 0;
  g_assert_false (fh_torctl_secret_key_file_parse (bad, len + 1, "F", key, &error));
  g_clear_error (&error);
  memcpy (bad, file, len);
  memcpy (bad, "== ed25519v1-public: type0 ==", 29);
  g_assert_false (fh_torctl_secret_key_file_parse (bad, len, "/k/pub", key, &error));
  g_assert_nonnull (strstr (error->message, "does not begin with the header"));
  g_clear_error (&error);
  /* The header's padding is NULs, not anything. */
  memcpy (bad, file, len);
  bad[31] = ' ';
  g_assert_false (fh_torctl_secret_key_file_parse (bad, len, "F", key, &error));
  g_clear_error (&error);
  g_free (file);
}

static void
test_onion_key_blob (void)
{
  static const struct { const gchar *blob; const gchar *problem; } bad[] = {
    { "", "does not begin with" },
    { "ED25519-V3", "does not begin with" },
    { "ed25519-v3:AAAA", "does not begin with" },
    { "RSA1024:MIICXAIBAAKBgQ==", "RSA1024 key of a version 2 onion service" },
    { "ED25519-V3:", "does not hold exactly 64 bytes" },
    { "ED25519-V3:AAAA", "does not hold exactly 64 bytes" },
    /* 65 and 63 bytes */
    { "ED25519-V3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
      "does not hold exactly 64 bytes" },
    { "ED25519-V3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "does not hold exactly 64 bytes" },
    /* not base64: a space, a newline inside, a '-', padding in the middle */
    { "ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT 0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f86ZH7xjoL+fX426WwoJyg==",
      "not base64" },
    { "ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT\n0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f86ZH7xjoL+fX426WwoJyg==",
      "not base64" },
    { "ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT-0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f86ZH7xjoL+fX426WwoJyg==",
      "not base64" },
    { "ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT=0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f86ZH7xjoL+fX426WwoJyg==",
      "not base64" },
  };
  guint8 key[FH_TORCTL_ONION_KEY_LEN];
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (fh_torctl_onion_key_decode (bad[i].blob, "/p/key", key, &error))
        g_error ("case %u accepted", i);
      g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
      if (strstr (error->message, bad[i].problem) == NULL ||
          strstr (error->message, "/p/key") == NULL)
        g_error ("case %u: %s", i, error->message);
      g_clear_error (&error);
    }
  /* Tahoe's file as written, with white space around it. */
  g_assert_true (fh_torctl_onion_key_decode (
    " ED25519-V3:GBQjInE2qIN9n7oVkeXP41Z3zdzjV5ZT+0L/dW5Zq2q/4L8jibQe3EKJhehK6Pt0f86ZH7xjoL+fX426WwoJyg==\n",
    "F", key, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (key[0], ==, 0x18);
}

static void
test_service_id (void)
{
  g_assert_true (fh_torctl_service_id_is_valid (real_hostname));
  g_assert_false (fh_torctl_service_id_is_valid (NULL));
  g_assert_false (fh_torctl_service_id_is_valid (""));
  g_assert_false (fh_torctl_service_id_is_valid ("yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6a"));
  g_assert_false (fh_torctl_service_id_is_valid ("YEZTK6IQZCWIGPEINSPEEWRWM7Y576WO72R6OH3PIMHTGLCK45JXD6AD"));
  g_assert_false (fh_torctl_service_id_is_valid ("yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6a1"));
  /* version 2 would end differently */
  g_assert_false (fh_torctl_service_id_is_valid ("yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ac"));
  g_assert_false (fh_torctl_service_id_is_valid ("yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\n"));
}

static void
test_add_onion_build (void)
{
  guint8 key[FH_TORCTL_ONION_KEY_LEN];
  gchar *line;

  line = fh_torctl_build_add_onion (NULL, FALSE, 80, "127.0.0.1:4567");
  g_assert_cmpstr (line, ==, "ADD_ONION NEW:ED25519-V3 Port=80,127.0.0.1:4567\r\n");
  g_free (line);
  line = fh_torctl_build_add_onion (NULL, TRUE, 3457, "[::1]:1");
  g_assert_cmpstr (line, ==, "ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=3457,[::1]:1\r\n");
  g_free (line);
  memset (key, 0, sizeof key);
  key[63] = 1;
  line = fh_torctl_build_add_onion (key, FALSE, 80, "127.0.0.1:9");
  g_assert_cmpstr (line, ==, "ADD_ONION ED25519-V3:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ== Port=80,127.0.0.1:9\r\n");
  g_free (line);
  line = fh_torctl_build_del_onion (real_hostname);
  g_assert_cmpstr (line, ==, "DEL_ONION yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\r\n");
  g_free (line);
}

static void
test_add_onion_parse (void)
{
  static const struct { const gchar *reply; gint code; const gchar *problem; } bad[] = {
    { "550 Onion address collision\r\n", FURLHINT_CONNECT_ERROR_FAILED, "collision" },
    { "512 Failed to decode ED25519-V3 key\r\n", FURLHINT_CONNECT_ERROR_FAILED, "decode" },
    { "250 OK\r\n", FURLHINT_CONNECT_ERROR_PROTOCOL, "no ServiceID line" },
    { "250-ServiceID=abc\r\n250 OK\r\n", FURLHINT_CONNECT_ERROR_PROTOCOL, "malformed ServiceID" },
    { "250-ServiceID=yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\r\n"
      "250-ServiceID=yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\r\n250 OK\r\n",
      FURLHINT_CONNECT_ERROR_PROTOCOL, "two ServiceID" },
    { "250-ServiceID=yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\r\n"
      "250-PrivateKey=RSA1024:AAAA\r\n250 OK\r\n", FURLHINT_CONNECT_ERROR_PROTOCOL, "RSA1024" },
    { "250-ServiceID=yeztk6iqzcwigpeinspeewrwm7y576wo72r6oh3pimhtglck45jxd6ad\r\n"
      "250-PrivateKey=ED25519-V3:AAAA\r\n250 OK\r\n", FURLHINT_CONNECT_ERROR_PROTOCOL,
      "64 bytes" },
  };
  guint8 key[FH_TORCTL_ONION_KEY_LEN];
  gboolean have_key = TRUE;
  gchar *id = NULL;
  GError *error = NULL;

  {
    g_autoptr(FhTorReply) reply = parse_ok (add_onion_new_reply);

    g_assert_true (fh_torctl_parse_add_onion (reply, &id, key, &have_key, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (id, ==, "2ljvzmyvouadywplp2hfwkvuupaik5y6nxrnjsorbgoep4atecbmzsqd");
    g_assert_true (have_key);
    g_assert_cmpuint (key[0], ==, 0x18);
    g_clear_pointer (&id, g_free);
    /* A key nobody asked for is a protocol error. */
    g_assert_false (fh_torctl_parse_add_onion (reply, &id, NULL, NULL, &error));
    g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
    g_clear_error (&error);
  }
  {
    g_autoptr(FhTorReply) reply =
      parse_ok ("250-ServiceID=eya73akrob4jadikdfafndnkoquanhvvcheaaxymmpvvo3ittn3xxoyd\r\n"
                "250 OK\r\n");

    g_assert_true (fh_torctl_parse_add_onion (reply, &id, key, &have_key, &error));
    g_assert_no_error (error);
    g_assert_false (have_key);
    g_assert_cmpstr (id, ==, "eya73akrob4jadikdfafndnkoquanhvvcheaaxymmpvvo3ittn3xxoyd");
    g_clear_pointer (&id, g_free);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(FhTorReply) reply = parse_ok (bad[i].reply);

      g_assert_false (fh_torctl_parse_add_onion (reply, &id, key, &have_key, &error));
      g_assert_null (id);
      g_assert_error (error, FURLHINT_CONNECT_ERROR, bad[i].code);
      if (strstr (error->message, bad[i].problem) == NULL)
        g_error ("case %u: %s", i, error->message);
      g_clear_error (&error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/torctl/reply/single", test_reply_single);
  g_test_add_func ("/torctl/reply/multi-line", test_reply_multi);
  g_test_add_func ("/torctl/reply/data", test_reply_data);
  g_test_add_func ("/torctl/reply/incremental", test_reply_incremental);
  g_test_add_func ("/torctl/reply/malformed", test_reply_malformed);
  g_test_add_func ("/torctl/reply/escaped", test_reply_escaped);
  g_test_add_func ("/torctl/reply/check", test_reply_check);
  g_test_add_func ("/torctl/quoted/unquote", test_unquote);
  g_test_add_func ("/torctl/quoted/quote", test_quote);
  g_test_add_func ("/torctl/kwargs", test_kwargs);
  g_test_add_func ("/torctl/protocolinfo/tor-0.4.9", test_protocolinfo);
  g_test_add_func ("/torctl/protocolinfo/variants", test_protocolinfo_variants);
  g_test_add_func ("/torctl/auth/lines", test_auth_lines);
  g_test_add_func ("/torctl/auth/safecookie", test_safecookie);
  g_test_add_func ("/torctl/getinfo/value", test_getinfo);
  g_test_add_func ("/torctl/getinfo/socks-listeners", test_listeners);
  g_test_add_func ("/torctl/getinfo/socks-listeners/pick", test_listeners_pick);
  g_test_add_func ("/torctl/auth/setting", test_auth_setting);
  g_test_add_func ("/torctl/getinfo/bootstrap-phase", test_bootstrap);
  g_test_add_func ("/torctl/onion/key-file", test_onion_key_file);
  g_test_add_func ("/torctl/onion/key-blob", test_onion_key_blob);
  g_test_add_func ("/torctl/onion/service-id", test_service_id);
  g_test_add_func ("/torctl/onion/add-onion/build", test_add_onion_build);
  g_test_add_func ("/torctl/onion/add-onion/parse", test_add_onion_parse);
  g_test_add_func ("/torctl/fuzz", test_fuzz);

  return g_test_run ();
}
