/* SAM v3 message building and parsing (plugins/i2p/sam.c), without sockets.
 *
 * Reply lines are the ones i2pd 2.45.1 sends (docs/lab-notes.md, "I2P")
 * and the examples of the SAM v3 specification (geti2p.net, "SAM V3"). */
#include "config.h"

#include <string.h>
#include <furlhint/furlhint.h>
#include "sam.h"

/* Without linking libfurlhint: the quark string is part of the ABI. */
#define CONFIG_ERROR (g_quark_from_static_string ("furlhint-config-error-quark"))

#define B32 "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"

static gchar *
fake_destination (gsize len)
{
  gchar *dest = g_malloc (len + 1);
  static const gchar alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~";

  for (gsize i = 0; i < len; i++)
    dest[i] = alphabet[i % 64];
  dest[len] = '\0';
  return dest;
}

static void
parse_ok (const gchar *line, FhSamReply *reply)
{
  GError *error = NULL;
  g_assert_true (fh_sam_parse_reply (line, strlen (line), reply, &error));
  g_assert_no_error (error);
}

/* --- building -------------------------------------------------------------- */

static void
test_build_hello (void)
{
  gchar *line = fh_sam_build_hello (FH_SAM_VERSION_MIN, FH_SAM_VERSION_MAX);
  g_assert_cmpstr (line, ==, "HELLO VERSION MIN=3.1 MAX=3.3\n");
  g_free (line);
}

static void
test_build_session (void)
{
  GError *error = NULL;
  const gchar *options[] = { "inbound.length=0", "outbound.length=0", NULL };
  const gchar *bad_options[] = { "inbound.length=0 ID=x", NULL };
  gchar *key = fake_destination (884);
  gchar *line, *expected;

  line = fh_sam_build_session_create ("furlhint-0011", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "SESSION CREATE STYLE=STREAM ID=furlhint-0011 "
                             "DESTINATION=TRANSIENT SIGNATURE_TYPE=7\n");
  g_free (line);

  line = fh_sam_build_session_create ("s1", NULL, options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "SESSION CREATE STYLE=STREAM ID=s1 DESTINATION=TRANSIENT "
                             "SIGNATURE_TYPE=7 inbound.length=0 outbound.length=0\n");
  g_free (line);

  /* A private key: the key decides the signature type. */
  line = fh_sam_build_session_create ("s1", key, NULL, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("SESSION CREATE STYLE=STREAM ID=s1 DESTINATION=%s\n", key);
  g_assert_cmpstr (line, ==, expected);
  g_free (expected);
  g_free (line);

  /* Nothing may end the line or add pairs. */
  g_assert_null (fh_sam_build_session_create ("s 1", NULL, NULL, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "I2P: \"s 1\" cannot be a SAM session ID; accepted: "
                                       "1-64 characters of A-Z, a-z, 0-9, '-', '_', '.'");
  g_clear_error (&error);
  g_assert_null (fh_sam_build_session_create ("", NULL, NULL, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (fh_sam_build_session_create ("s1", "abc\nSTREAM", NULL, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "private key is not I2P base64"));
  g_clear_error (&error);
  g_assert_null (fh_sam_build_session_create ("s1", NULL, bad_options, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "I2P: \"inbound.length=0 ID=x\" is not an I2CP "
                                       "option; accepted: KEY=VALUE without spaces or quotes");
  g_clear_error (&error);
  g_free (key);
}

static void
test_build_stream_connect (void)
{
  GError *error = NULL;
  gchar *line;

  line = fh_sam_build_stream_connect ("s1", B32, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "STREAM CONNECT ID=s1 DESTINATION=" B32 " SILENT=false\n");
  g_free (line);

  line = fh_sam_build_stream_connect ("s1", "AAAA~-==", 3457, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "STREAM CONNECT ID=s1 DESTINATION=AAAA~-== SILENT=false "
                             "TO_PORT=3457\n");
  g_free (line);

  line = fh_sam_build_stream_connect ("s1", "x.i2p\nSESSION CREATE", 0, &error);
  g_assert_null (line);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "I2P: \"x.i2p\\x0aSESSION CREATE\" cannot be an I2P "
                                       "destination; accepted: NAME.i2p, a .b32.i2p address "
                                       "or a base64 destination");
  g_clear_error (&error);

  g_assert_null (fh_sam_build_stream_connect ("s1", "a\"b", 0, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_clear_error (&error);
  g_assert_null (fh_sam_build_stream_connect ("s1", "", 0, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_clear_error (&error);
  g_assert_null (fh_sam_build_stream_connect ("bad id", B32, 0, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
}

static void
test_build_naming (void)
{
  GError *error = NULL;
  gchar *line = fh_sam_build_naming_lookup ("storage.i2p", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "NAMING LOOKUP NAME=storage.i2p\n");
  g_free (line);

  g_assert_null (fh_sam_build_naming_lookup ("a.i2p NAME=ME", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "I2P: \"a.i2p NAME=ME\" cannot be looked up; "
                                       "accepted: an I2P name such as NAME.i2p (printable "
                                       "ASCII without spaces, quotes or '=')");
  g_clear_error (&error);
  g_assert_null (fh_sam_build_naming_lookup ("caf\xc3\xa9.i2p", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_clear_error (&error);
}

static void
test_build_pong (void)
{
  FhSamReply reply;
  gchar *line;

  parse_ok ("PING 1234 abc\n", &reply);
  g_assert_cmpstr (reply.topic, ==, "PING");
  g_assert_cmpstr (reply.op, ==, "1234 abc");
  line = fh_sam_build_pong (&reply);
  g_assert_cmpstr (line, ==, "PONG 1234 abc\n");
  g_free (line);
  fh_sam_reply_clear (&reply);

  parse_ok ("PING\n", &reply);
  g_assert_null (reply.op);
  line = fh_sam_build_pong (&reply);
  g_assert_cmpstr (line, ==, "PONG\n");
  g_free (line);
  fh_sam_reply_clear (&reply);
}

/* --- framing and parsing --------------------------------------------------- */

static void
test_find_line (void)
{
  GError *error = NULL;
  gsize line_len = 0;
  guint8 *big;

  g_assert_cmpint (fh_sam_find_line ((const guint8 *) "HELLO REP", 9, &line_len, &error),
                   ==, FH_SAM_LINE_NEED_MORE);
  g_assert_cmpint (fh_sam_find_line ((const guint8 *) "", 0, &line_len, &error),
                   ==, FH_SAM_LINE_NEED_MORE);
  g_assert_cmpint (fh_sam_find_line ((const guint8 *) "A B\nC", 5, &line_len, &error),
                   ==, FH_SAM_LINE_OK);
  g_assert_cmpuint (line_len, ==, 4);
  g_assert_no_error (error);

  g_assert_cmpint (fh_sam_find_line ((const guint8 *) "A\0B\n", 4, &line_len, &error),
                   ==, FH_SAM_LINE_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* The cap: a full line of FH_SAM_MAX_LINE bytes including "\n" passes,
   * one byte more without a "\n" is an error, less is "need more". */
  big = g_malloc (FH_SAM_MAX_LINE + 1);
  memset (big, 'x', FH_SAM_MAX_LINE + 1);
  g_assert_cmpint (fh_sam_find_line (big, FH_SAM_MAX_LINE - 1, &line_len, &error),
                   ==, FH_SAM_LINE_NEED_MORE);
  big[FH_SAM_MAX_LINE - 1] = '\n';
  g_assert_cmpint (fh_sam_find_line (big, FH_SAM_MAX_LINE + 1, &line_len, &error),
                   ==, FH_SAM_LINE_OK);
  g_assert_cmpuint (line_len, ==, FH_SAM_MAX_LINE);
  big[FH_SAM_MAX_LINE - 1] = 'x';
  g_assert_cmpint (fh_sam_find_line (big, FH_SAM_MAX_LINE, &line_len, &error),
                   ==, FH_SAM_LINE_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "I2P: the SAM bridge sent a reply line longer than "
                                       "65536 bytes: not a SAM bridge?");
  g_clear_error (&error);
  g_free (big);
}

static void
test_parse_replies (void)
{
  FhSamReply reply;
  gchar *dest = fake_destination (516);
  gchar *line;

  parse_ok ("HELLO REPLY RESULT=OK VERSION=3.1\n", &reply);
  g_assert_cmpstr (reply.topic, ==, "HELLO");
  g_assert_cmpstr (reply.op, ==, "REPLY");
  g_assert_cmpuint (reply.keys->len, ==, 2);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "RESULT"), ==, "OK");
  g_assert_cmpstr (fh_sam_reply_get (&reply, "VERSION"), ==, "3.1");
  g_assert_null (fh_sam_reply_get (&reply, "result"));
  fh_sam_reply_clear (&reply);

  /* CRLF, tabs, extra spaces */
  parse_ok ("  STREAM\tSTATUS   RESULT=CANT_REACH_PEER  \r\n", &reply);
  g_assert_cmpstr (reply.topic, ==, "STREAM");
  g_assert_cmpstr (reply.op, ==, "STATUS");
  g_assert_cmpstr (fh_sam_reply_get (&reply, "RESULT"), ==, "CANT_REACH_PEER");
  g_assert_cmpuint (reply.keys->len, ==, 1);
  fh_sam_reply_clear (&reply);

  /* Quoted values, SAM 3.2 escapes; "=" inside a value; a bare word. */
  parse_ok ("STREAM STATUS RESULT=I2P_ERROR MESSAGE=\"Invalid \\\"ID\\\" \\\\ x=y\" "
            "FLAG DEST=AAAA==\n", &reply);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "MESSAGE"), ==, "Invalid \"ID\" \\ x=y");
  g_assert_cmpstr (fh_sam_reply_get (&reply, "DEST"), ==, "AAAA==");
  g_assert_cmpuint (reply.keys->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (reply.keys, 2), ==, "FLAG");
  g_assert_null (g_ptr_array_index (reply.values, 2));
  g_assert_null (fh_sam_reply_get (&reply, "FLAG"));
  fh_sam_reply_clear (&reply);

  /* An empty quoted value and an empty unquoted one. */
  parse_ok ("NAMING REPLY RESULT=KEY_NOT_FOUND NAME=\"\" MESSAGE=\n", &reply);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "NAME"), ==, "");
  g_assert_cmpstr (fh_sam_reply_get (&reply, "MESSAGE"), ==, "");
  fh_sam_reply_clear (&reply);

  /* No OP word: pairs straight after the topic. */
  parse_ok ("DEST PUB=abc PRIV=def", &reply);
  g_assert_cmpstr (reply.topic, ==, "DEST");
  g_assert_null (reply.op);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "PRIV"), ==, "def");
  fh_sam_reply_clear (&reply);

  /* A real-sized NAMING REPLY */
  line = g_strdup_printf ("NAMING REPLY RESULT=OK NAME=%s VALUE=%s\n", B32, dest);
  parse_ok (line, &reply);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "VALUE"), ==, dest);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "NAME"), ==, B32);
  fh_sam_reply_clear (&reply);
  g_free (line);
  g_free (dest);

  /* invalid UTF-8 in a MESSAGE is kept readable */
  parse_ok ("STREAM STATUS RESULT=I2P_ERROR MESSAGE=caf\xe9\n", &reply);
  g_assert_true (g_utf8_validate (fh_sam_reply_get (&reply, "MESSAGE"), -1, NULL));
  fh_sam_reply_clear (&reply);
}

static void
test_parse_bad (void)
{
  static const struct {
    const gchar *line;
    const gchar *message;
  } cases[] = {
    { "\n", "I2P: the SAM bridge sent a reply line that is not SAM (empty line): \"\"" },
    { "   \r\n", "I2P: the SAM bridge sent a reply line that is not SAM (empty line): \"   \"" },
    { "HELLO REPLY RESULT=\"OK\n",
      "I2P: the SAM bridge sent a reply line that is not SAM (unterminated quote): "
      "\"HELLO REPLY RESULT=\"OK\"" },
    { "HELLO REPLY RESULT=\"OK\"VERSION=3.1",
      "I2P: the SAM bridge sent a reply line that is not SAM (text right after a quoted "
      "value): \"HELLO REPLY RESULT=\"OK\"VERSION=3.1\"" },
    { "HELLO REPLY =OK",
      "I2P: the SAM bridge sent a reply line that is not SAM (a pair without a key): "
      "\"HELLO REPLY =OK\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FhSamReply reply;
      GError *error = NULL;

      g_assert_false (fh_sam_parse_reply (cases[i].line, strlen (cases[i].line),
                                          &reply, &error));
      g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_null (reply.topic);
      g_assert_null (reply.keys);
      g_clear_error (&error);
    }

  {
    FhSamReply reply;
    GError *error = NULL;
    g_assert_false (fh_sam_parse_reply ("HELLO\0REPLY", 11, &reply, &error));
    g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
    g_clear_error (&error);
  }
}

/* --- results --------------------------------------------------------------- */

static void
check_line (FhSamCommand command,
            const gchar *line,
            gint code,
            const gchar *message)
{
  FhSamReply reply;
  GError *error = NULL;
  gboolean ok;

  parse_ok (line, &reply);
  ok = fh_sam_check_reply (command, &reply, "127.0.0.1:7656", &error);
  if (code == 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, FURLHINT_CONNECT_ERROR, code);
      g_assert_cmpstr (error->message, ==, message);
      g_clear_error (&error);
    }
  fh_sam_reply_clear (&reply);
}

static void
test_results (void)
{
  gchar *dest = fake_destination (516);
  gchar *line;

  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=OK VERSION=3.1", 0, NULL);
  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=OK VERSION=3.3", 0, NULL);
  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=NOVERSION",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 speaks no SAM version from 3.1 to 3.3; "
              "accepted: a bridge speaking SAM 3.1 or newer (i2pd, Java I2P) "
              "(SAM RESULT=NOVERSION)");
  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=OK VERSION=3.0",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 agreed on SAM version 3.0; "
              "accepted: 3.1 to 3.3");
  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=OK",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 agreed on SAM version (none); "
              "accepted: 3.1 to 3.3");
  check_line (FH_SAM_CMD_HELLO, "HELLO REPLY RESULT=I2P_ERROR MESSAGE=\"USER and PASSWORD required\"",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: router error: USER and PASSWORD required (SAM RESULT=I2P_ERROR)");
  /* Something else than a SAM bridge answering */
  check_line (FH_SAM_CMD_HELLO, "HTTP/1.1 400 Bad Request",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 answered HELLO VERSION with "
              "\"HTTP/1.1 400\"; expected \"HELLO REPLY\"");
  check_line (FH_SAM_CMD_SESSION_CREATE, "SESSION REPLY RESULT=OK",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 answered SESSION CREATE with "
              "\"SESSION REPLY\"; expected \"SESSION STATUS\"");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 answered STREAM CONNECT without a RESULT");

  check_line (FH_SAM_CMD_SESSION_CREATE, "SESSION STATUS RESULT=OK DESTINATION=abc", 0, NULL);
  check_line (FH_SAM_CMD_SESSION_CREATE, "SESSION STATUS RESULT=DUPLICATED_ID",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: the SAM session ID is already in use on this bridge "
              "(SAM RESULT=DUPLICATED_ID)");
  check_line (FH_SAM_CMD_SESSION_CREATE, "SESSION STATUS RESULT=DUPLICATED_DEST",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: the destination is already used by another SAM session "
              "(SAM RESULT=DUPLICATED_DEST)");
  check_line (FH_SAM_CMD_SESSION_CREATE, "SESSION STATUS RESULT=INVALID_KEY",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: the SAM bridge refused the session's private key (SAM RESULT=INVALID_KEY)");
  check_line (FH_SAM_CMD_SESSION_CREATE,
              "SESSION STATUS RESULT=I2P_ERROR MESSAGE=\"Session already exists\"",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: router error: Session already exists (SAM RESULT=I2P_ERROR)");

  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=OK", 0, NULL);
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=CANT_REACH_PEER",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: destination not reachable (SAM RESULT=CANT_REACH_PEER)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=INVALID_KEY",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: destination unknown or invalid (SAM RESULT=INVALID_KEY)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=INVALID_ID",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: the SAM bridge does not know our session (it ended?) "
              "(SAM RESULT=INVALID_ID)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=TIMEOUT",
              FURLHINT_CONNECT_ERROR_TIMED_OUT,
              "I2P: timed out (SAM RESULT=TIMEOUT)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=PEER_NOT_FOUND",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: destination not found (SAM RESULT=PEER_NOT_FOUND)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=ALREADY_ACCEPTING",
              FURLHINT_CONNECT_ERROR_FAILED,
              "I2P: the SAM session is already accepting (SAM RESULT=ALREADY_ACCEPTING)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=CANT_REACH_PEER "
                                         "MESSAGE=\"Connection timed out\"",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: destination not reachable: Connection timed out "
              "(SAM RESULT=CANT_REACH_PEER)");
  check_line (FH_SAM_CMD_STREAM_CONNECT, "STREAM STATUS RESULT=WHATEVER",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge answered STREAM CONNECT with an unknown result "
              "(SAM RESULT=WHATEVER)");

  line = g_strdup_printf ("NAMING REPLY RESULT=OK NAME=%s VALUE=%s", B32, dest);
  check_line (FH_SAM_CMD_NAMING_LOOKUP, line, 0, NULL);
  g_free (line);
  check_line (FH_SAM_CMD_NAMING_LOOKUP, "NAMING REPLY RESULT=OK NAME=x.i2p VALUE=short",
              FURLHINT_CONNECT_ERROR_PROTOCOL,
              "I2P: the SAM bridge 127.0.0.1:7656 answered NAMING LOOKUP with RESULT=OK "
              "but no base64 destination in VALUE");
  check_line (FH_SAM_CMD_NAMING_LOOKUP, "NAMING REPLY RESULT=INVALID_KEY NAME=nosuchhost.i2p",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: destination unknown or invalid (SAM RESULT=INVALID_KEY)");
  check_line (FH_SAM_CMD_NAMING_LOOKUP, "NAMING REPLY RESULT=KEY_NOT_FOUND NAME=x.i2p",
              FURLHINT_CONNECT_ERROR_UNREACHABLE,
              "I2P: name not found (SAM RESULT=KEY_NOT_FOUND)");
  g_free (dest);
}

static void
test_long_message (void)
{
  GError *error = NULL;
  gchar *message = g_strnfill (300, 'm');
  gchar *expected;

  fh_sam_result_error (FH_SAM_CMD_STREAM_CONNECT, "I2P_ERROR", message, NULL, &error);
  message[200] = '\0';
  expected = g_strdup_printf ("I2P: router error: %s... (SAM RESULT=I2P_ERROR)", message);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_free (expected);
  g_free (message);

  /* So are the controls in MESSAGE, C1 (U+009B, CSI) included. */
  fh_sam_result_error (FH_SAM_CMD_STREAM_CONNECT, "I2P_ERROR",
                       "no\x1b]0;pwned\x07 \xc2\x9b" "2J\r\nRESULT=OK", NULL, &error);
  g_assert_cmpstr (error->message, ==, "I2P: router error: no\\x1b]0;pwned\\x07 \\u009b2J"
                                       "\\x0d\\x0aRESULT=OK (SAM RESULT=I2P_ERROR)");
  g_clear_error (&error);

  /* A control character in RESULT is escaped, not echoed. */
  fh_sam_result_error (FH_SAM_CMD_STREAM_CONNECT, "X\x1b[2J", NULL, NULL, &error);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "I2P: the SAM bridge answered STREAM CONNECT with an "
                                       "unknown result (SAM RESULT=X\\x1b[2J)");
  g_clear_error (&error);
}

/* --- names, versions, options ------------------------------------------------ */

static void
test_versions (void)
{
  g_assert_true (fh_sam_version_at_least ("3.1", 3, 1));
  g_assert_true (fh_sam_version_at_least ("3.2", 3, 1));
  g_assert_true (fh_sam_version_at_least ("3.10", 3, 2));
  g_assert_true (fh_sam_version_at_least ("4", 3, 2));
  g_assert_false (fh_sam_version_at_least ("3", 3, 1));
  g_assert_false (fh_sam_version_at_least ("3.0", 3, 1));
  g_assert_false (fh_sam_version_at_least ("3.1", 3, 2));
  g_assert_false (fh_sam_version_at_least ("", 3, 1));
  g_assert_false (fh_sam_version_at_least ("3.x", 3, 1));
  g_assert_false (fh_sam_version_at_least ("3.", 3, 1));
  g_assert_false (fh_sam_version_at_least (".1", 3, 1));
  g_assert_false (fh_sam_version_at_least ("99999999999.1", 3, 1));
  g_assert_false (fh_sam_version_at_least (NULL, 3, 1));
}

static void
test_names (void)
{
  gchar *dest = fake_destination (516);
  gchar *short_dest = fake_destination (515);

  g_assert_true (fh_sam_is_b32 (B32));
  g_assert_true (fh_sam_is_b32 ("UKEU3K5OYCGAAUNEQGTNVSELMT4YEMVOILKLN7JPVAMVFX7DNKDQ.B32.I2P"));
  /* encrypted LeaseSet addresses are longer */
  g_assert_true (fh_sam_is_b32 ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p"));
  g_assert_false (fh_sam_is_b32 ("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkd.b32.i2p"));
  g_assert_false (fh_sam_is_b32 ("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkd1.b32.i2p"));
  g_assert_false (fh_sam_is_b32 ("storage.i2p"));
  g_assert_false (fh_sam_is_b32 ("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.i2p"));
  g_assert_false (fh_sam_is_b32 (NULL));

  g_assert_true (fh_sam_is_base64_destination (dest));
  g_assert_false (fh_sam_is_base64_destination (short_dest));
  g_assert_false (fh_sam_is_base64_destination (B32));
  dest[10] = '+';
  g_assert_false (fh_sam_is_base64_destination (dest));
  dest[10] = 'A';
  dest[515] = '=';
  g_assert_true (fh_sam_is_base64_destination (dest));
  dest[100] = '=';
  g_assert_false (fh_sam_is_base64_destination (dest));
  g_free (dest);
  g_free (short_dest);
}

static void
test_options (void)
{
  GError *error = NULL;
  gchar **options;

  /* Commas belong to values (i2cp.leaseSetEncType=4,0), spaces separate. */
  options = fh_sam_parse_options ("inbound.length=0 \toutbound.length=0"
                                  "  i2cp.leaseSetEncType=4,0 ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (options), ==, 3);
  g_assert_cmpstr (options[0], ==, "inbound.length=0");
  g_assert_cmpstr (options[1], ==, "outbound.length=0");
  g_assert_cmpstr (options[2], ==, "i2cp.leaseSetEncType=4,0");
  g_strfreev (options);

  options = fh_sam_parse_options ("", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (options), ==, 0);
  g_strfreev (options);

  {
    static const gchar *const bad[] = {
      "inbound.length", "ID=foo", "=0", "inbound.length=", "inbound.length=\"0\"",
      "inbound.length=a\\b", "in bound.length=0x=1", "inbound.length=0=1", "x.y=\x01",
    };
    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        options = fh_sam_parse_options (bad[i], &error);
        g_assert_null (options);
        g_assert_error (error, CONFIG_ERROR, FURLHINT_CONFIG_ERROR_BAD_VALUE);
        g_clear_error (&error);
      }
  }
  options = fh_sam_parse_options ("ID=foo", &error);
  g_assert_null (options);
  g_assert_cmpstr (error->message, ==, "\"ID=foo\" is not an I2CP option; accepted: KEY=VALUE "
                                       "entries separated by spaces, KEY dotted (such "
                                       "as inbound.length=0 outbound.length=0), VALUE printable "
                                       "without quotes, '=' or backslashes");
  g_clear_error (&error);
}

static void
test_session_id (void)
{
  GError *error = NULL;
  gchar *a, *b, *line;

  /* GLib's generator, seeded the same way twice, gives the same numbers:
   * an ID made from it would be repeated (and guessable by anyone who
   * can reproduce the seed). The kernel's CSPRNG ignores the seed. */
  g_random_set_seed (1234);
  a = fh_sam_new_session_id (&error);
  g_assert_no_error (error);
  g_random_set_seed (1234);
  b = fh_sam_new_session_id (&error);
  g_assert_no_error (error);

  g_assert_true (g_str_has_prefix (a, "furlhint-"));
  g_assert_cmpuint (strlen (a), ==, 9 + 32);
  g_assert_cmpuint (strspn (a + 9, "0123456789abcdef"), ==, 32);
  g_assert_cmpstr (a, !=, b);
  line = fh_sam_build_session_create (a, NULL, NULL, &error);
  g_assert_no_error (error);
  g_free (line);
  g_free (a);
  g_free (b);
}

/* A PUB/PRIV pair as i2pd 2.45.1 answers DEST GENERATE SIGNATURE_TYPE=7
 * (the shape: a 391-byte destination with a KEY certificate, then 288
 * bytes of private keys), in I2P base64. */
static gchar *
fake_i2p_base64 (gsize n_bytes,
                 guint8 fill)
{
  guint8 *raw = g_malloc (n_bytes);
  gchar *text;

  memset (raw, fill, n_bytes);
  text = g_base64_encode (raw, n_bytes);
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '~');
  g_free (raw);
  return text;
}

static void
test_dest_generate (void)
{
  GError *error = NULL;
  FhSamReply reply;
  gchar *line, *pub = fake_i2p_base64 (391, 0xfb), *priv = fake_i2p_base64 (391 + 288, 0xfb);

  line = fh_sam_build_dest_generate ();
  g_assert_cmpstr (line, ==, "DEST GENERATE SIGNATURE_TYPE=7\n");
  g_free (line);

  line = g_strdup_printf ("DEST REPLY PUB=%s PRIV=%s\n", pub, priv);
  parse_ok (line, &reply);
  g_assert_true (fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, "b", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fh_sam_reply_get (&reply, "PRIV"), ==, priv);
  fh_sam_reply_clear (&reply);
  g_free (line);

  /* PRIV missing, or no longer than PUB (no private keys): refused. */
  line = g_strdup_printf ("DEST REPLY PUB=%s\n", pub);
  parse_ok (line, &reply);
  g_assert_false (fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, "b", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "I2P: the SAM bridge b answered DEST GENERATE without "
                                       "a base64 destination in PUB and its private keys in PRIV");
  g_clear_error (&error);
  fh_sam_reply_clear (&reply);
  g_free (line);
  line = g_strdup_printf ("DEST REPLY PUB=%s PRIV=%s\n", pub, pub);
  parse_ok (line, &reply);
  g_assert_false (fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, "b", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
  fh_sam_reply_clear (&reply);
  g_free (line);

  /* A failure is a RESULT, mapped as for other commands. */
  parse_ok ("DEST REPLY RESULT=I2P_ERROR MESSAGE=\"bad type\"\n", &reply);
  g_assert_false (fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, "b", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "I2P: router error: bad type (SAM RESULT=I2P_ERROR)");
  g_clear_error (&error);
  fh_sam_reply_clear (&reply);

  /* Another topic is not an answer. */
  parse_ok ("SESSION STATUS RESULT=OK\n", &reply);
  g_assert_false (fh_sam_check_reply (FH_SAM_CMD_DEST_GENERATE, &reply, "b", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);
  fh_sam_reply_clear (&reply);
  g_free (pub);
  g_free (priv);
}

static void
test_stream_forward (void)
{
  GError *error = NULL;
  FhSamReply reply;
  gchar *line;

  line = fh_sam_build_stream_forward ("furlhint-ab", "127.0.0.1", 4321, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "STREAM FORWARD ID=furlhint-ab PORT=4321 HOST=127.0.0.1 "
                             "SILENT=true\n");
  g_free (line);
  line = fh_sam_build_stream_forward ("x", "::1", 80, &error);
  g_assert_cmpstr (line, ==, "STREAM FORWARD ID=x PORT=80 HOST=::1 SILENT=true\n");
  g_free (line);

  /* A name (the router would resolve it), a smuggled pair, port 0, a
   * bad ID: refused. */
  g_assert_null (fh_sam_build_stream_forward ("x", "localhost", 80, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "I2P: cannot forward incoming streams to \"localhost\" "
                                       "port 80; accepted: an IP address literal and a port "
                                       "of 1-65535");
  g_clear_error (&error);
  g_assert_null (fh_sam_build_stream_forward ("x", "127.0.0.1 SILENT=false", 80, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (fh_sam_build_stream_forward ("x", "127.0.0.1", 0, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (fh_sam_build_stream_forward ("a b", "127.0.0.1", 80, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);

  parse_ok ("STREAM STATUS RESULT=OK\n", &reply);
  g_assert_true (fh_sam_check_reply (FH_SAM_CMD_STREAM_FORWARD, &reply, "b", &error));
  g_assert_no_error (error);
  fh_sam_reply_clear (&reply);
  parse_ok ("STREAM STATUS RESULT=INVALID_ID\n", &reply);
  g_assert_false (fh_sam_check_reply (FH_SAM_CMD_STREAM_FORWARD, &reply, "b", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  fh_sam_reply_clear (&reply);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sam/build/hello", test_build_hello);
  g_test_add_func ("/sam/build/session-create", test_build_session);
  g_test_add_func ("/sam/build/stream-connect", test_build_stream_connect);
  g_test_add_func ("/sam/build/naming-lookup", test_build_naming);
  g_test_add_func ("/sam/build/pong", test_build_pong);
  g_test_add_func ("/sam/reply/find-line", test_find_line);
  g_test_add_func ("/sam/reply/parse", test_parse_replies);
  g_test_add_func ("/sam/reply/parse-bad", test_parse_bad);
  g_test_add_func ("/sam/reply/results", test_results);
  g_test_add_func ("/sam/reply/long-message", test_long_message);
  g_test_add_func ("/sam/versions", test_versions);
  g_test_add_func ("/sam/names", test_names);
  g_test_add_func ("/sam/options", test_options);
  g_test_add_func ("/sam/session-id", test_session_id);
  g_test_add_func ("/sam/build/dest-generate", test_dest_generate);
  g_test_add_func ("/sam/build/stream-forward", test_stream_forward);

  return g_test_run ();
}
