/* SOCKS5 message building and parsing (plugins/common/socks5.c), without sockets. */
#include "config.h"

#include <string.h>
#include <furlhint/furlhint.h>
#include "socks5.h"

static void
test_greeting (void)
{
  guint8 buf[8];
  g_assert_cmpuint (fh_socks5_build_greeting (buf, FH_SOCKS5_OFFER_NONE), ==, 3);
  g_assert_cmpmem (buf, 3, "\x05\x01\x00", 3);
  g_assert_cmpuint (fh_socks5_build_greeting (buf, FH_SOCKS5_OFFER_NONE_OR_USERPASS), ==, 4);
  g_assert_cmpmem (buf, 4, "\x05\x02\x00\x02", 4);
  /* Isolation credentials: username/password alone, never "no auth". */
  g_assert_cmpuint (fh_socks5_build_greeting (buf, FH_SOCKS5_OFFER_USERPASS_ONLY), ==, 3);
  g_assert_cmpmem (buf, 3, "\x05\x01\x02", 3);
}

static void
test_method (void)
{
  guint8 method = 0xaa;
  gsize need = 0;
  GError *error = NULL;

  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05", 1, FH_SOCKS5_OFFER_NONE, &method, &need, &error), ==, FH_SOCKS5_NEED_MORE);
  g_assert_cmpuint (need, ==, 2);
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\x00", 2, FH_SOCKS5_OFFER_NONE, &method, &need, &error), ==, FH_SOCKS5_OK);
  g_assert_cmpuint (method, ==, 0);
  g_assert_no_error (error);

  /* 05 FF: microsocks with auth answers this to a greeting offering only 0. */
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\xff", 2, FH_SOCKS5_OFFER_NONE, &method, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "username and password"));
  g_clear_error (&error);

  /* user/pass chosen although we did not offer it */
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\x02", 2, FH_SOCKS5_OFFER_NONE, &method, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Offered username/password alone (isolation): "no auth" is a refusal
   * to take the credentials (tor's PreferSOCKSNoAuth), not a success. */
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\x00", 2, FH_SOCKS5_OFFER_USERPASS_ONLY, &method, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==, "proxy chose no authentication although only "
                   "username/password was offered: it would ignore the credentials; "
                   "accepted: a proxy that takes username/password authentication (RFC 1929)");
  g_clear_error (&error);
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\xff", 2, FH_SOCKS5_OFFER_USERPASS_ONLY, &method, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "offered: username/password only"));
  g_clear_error (&error);
  method = 0xaa;
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "\x05\x02", 2, FH_SOCKS5_OFFER_USERPASS_ONLY, &method, &need, &error), ==, FH_SOCKS5_OK);
  g_assert_no_error (error);
  g_assert_cmpuint (method, ==, 2);

  /* An HTTP proxy or anything else */
  g_assert_cmpint (fh_socks5_parse_method ((const guint8 *) "HT", 2, FH_SOCKS5_OFFER_NONE_OR_USERPASS, &method, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "not a SOCKS5 server"));
  g_clear_error (&error);
}

static void
test_userpass (void)
{
  guint8 buf[3 + 255 + 255];
  gsize len = 0, need = 0;
  GError *error = NULL;
  gchar *long_user = g_strnfill (256, 'u');

  g_assert_true (fh_socks5_build_userpass (buf, &len, "labuser", "labpass", &error));
  g_assert_cmpmem (buf, len, "\x01\x07labuser\x07labpass", 17);

  g_assert_false (fh_socks5_build_userpass (buf, &len, long_user, "p", &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_clear_error (&error);
  g_assert_false (fh_socks5_build_userpass (buf, &len, "", "p", &error));
  g_clear_error (&error);
  g_free (long_user);

  g_assert_cmpint (fh_socks5_parse_userpass ((const guint8 *) "\x01\x00", 2, &need, &error), ==, FH_SOCKS5_OK);
  /* microsocks answers 01 02 to a wrong password */
  g_assert_cmpint (fh_socks5_parse_userpass ((const guint8 *) "\x01\x02", 2, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "status 2"));
  g_clear_error (&error);
}

static void
test_connect_request (void)
{
  guint8 buf[FH_SOCKS5_MAX_REQUEST];
  gsize len = 0;
  GError *error = NULL;
  gchar *long_name = g_strnfill (256, 'a');

  g_assert_true (fh_socks5_build_connect (buf, &len, "127.0.0.1", 8098, &error));
  g_assert_cmpmem (buf, len, "\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\xa2", 10);

  /* Names go to the proxy as names: ATYP 3, never resolved here. */
  g_assert_true (fh_socks5_build_connect (buf, &len, "echo.lab.test", 80, &error));
  g_assert_cmpmem (buf, len, "\x05\x01\x00\x03\x0d" "echo.lab.test" "\x00\x50", 20);

  g_assert_true (fh_socks5_build_connect (buf, &len, "::1", 1, &error));
  g_assert_cmpuint (len, ==, 4 + 16 + 2);
  g_assert_cmpuint (buf[3], ==, 4);
  g_assert_cmpuint (buf[19], ==, 1);

  g_assert_false (fh_socks5_build_connect (buf, &len, long_name, 80, &error));
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED);
  g_clear_error (&error);
  g_free (long_name);
}

static void
test_connect_reply (void)
{
  gsize need = 0;
  GError *error = NULL;
  /* microsocks: always BND 0.0.0.0:0 */
  const guint8 ok4[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  /* dante on failure echoes the requested name */
  const guint8 fail_name[] = { 5, 4, 0, 3, 14, 'n','o','s','u','c','h','.','i','n','v','a','l','i','d', 0, 80 };
  const guint8 ok_name[] = { 5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80 };
  guint8 ok6[22] = { 5, 0, 0, 4 };

  g_assert_cmpint (fh_socks5_parse_connect (ok4, 4, &need, &error), ==, FH_SOCKS5_NEED_MORE);
  g_assert_cmpint (fh_socks5_parse_connect (ok4, 5, &need, &error), ==, FH_SOCKS5_NEED_MORE);
  g_assert_cmpuint (need, ==, 10);
  g_assert_cmpint (fh_socks5_parse_connect (ok4, 10, &need, &error), ==, FH_SOCKS5_OK);
  g_assert_cmpint (fh_socks5_parse_connect (ok6, 21, &need, &error), ==, FH_SOCKS5_NEED_MORE);
  g_assert_cmpuint (need, ==, 22);
  g_assert_cmpint (fh_socks5_parse_connect (ok6, 22, &need, &error), ==, FH_SOCKS5_OK);
  g_assert_cmpint (fh_socks5_parse_connect (ok_name, sizeof ok_name, &need, &error), ==, FH_SOCKS5_OK);
  g_assert_cmpuint (need, ==, sizeof ok_name);
  g_assert_no_error (error);

  g_assert_cmpint (fh_socks5_parse_connect (fail_name, sizeof fail_name, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "proxy refused: host unreachable (SOCKS reply 4)");
  g_clear_error (&error);
}

static void
test_reply_codes (void)
{
  static const struct { guint8 rep; FurlHintConnectError code; const gchar *text; } cases[] = {
    { 1, FURLHINT_CONNECT_ERROR_FAILED, "general SOCKS server failure" },
    { 2, FURLHINT_CONNECT_ERROR_REFUSED, "connection not allowed by ruleset" },
    { 3, FURLHINT_CONNECT_ERROR_UNREACHABLE, "network unreachable" },
    { 5, FURLHINT_CONNECT_ERROR_REFUSED, "connection refused" },
    { 6, FURLHINT_CONNECT_ERROR_TIMED_OUT, "TTL expired" },
    { 7, FURLHINT_CONNECT_ERROR_PROTOCOL, "command not supported" },
    { 8, FURLHINT_CONNECT_ERROR_PROTOCOL, "address type not supported" },
    { 0xf6, FURLHINT_CONNECT_ERROR_UNREACHABLE, "onion service invalid address" },
    { 0x42, FURLHINT_CONNECT_ERROR_FAILED, "unknown reply" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 reply[10] = { 5, cases[i].rep, 0, 1 };
      gsize need = 0;
      GError *error = NULL;
      gchar *want = g_strdup_printf ("proxy refused: %s (SOCKS reply %u)", cases[i].text, cases[i].rep);

      g_assert_cmpint (fh_socks5_parse_connect (reply, sizeof reply, &need, &error), ==, FH_SOCKS5_ERROR);
      g_assert_error (error, FURLHINT_CONNECT_ERROR, (gint) cases[i].code);
      g_assert_cmpstr (error->message, ==, want);
      g_clear_error (&error);
      g_free (want);
    }
}

static void
test_bad_atyp_and_garbage (void)
{
  gsize need = 0;
  GError *error = NULL;
  const guint8 bad_atyp[] = { 5, 0, 0, 9, 0, 0, 0 };
  guint8 noise[64];

  g_assert_cmpint (fh_socks5_parse_connect (bad_atyp, sizeof bad_atyp, &need, &error), ==, FH_SOCKS5_ERROR);
  g_assert_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Every byte pattern of every length is either incomplete, complete
   * within its declared length, or a coded error. */
  for (guint seed = 0; seed < 2000; seed++)
    {
      GRand *rand = g_rand_new_with_seed (seed);
      gsize len = g_rand_int_range (rand, 0, sizeof noise);
      FhSocks5Result r;
      for (gsize i = 0; i < len; i++)
        noise[i] = (guint8) g_rand_int (rand);
      if (len > 0 && seed % 2 == 0)
        noise[0] = 5;
      if (len > 1 && seed % 4 == 0)
        noise[1] = 0;
      r = fh_socks5_parse_connect (noise, len, &need, &error);
      if (r == FH_SOCKS5_OK)
        g_assert_cmpuint (need, <=, len);
      else if (r == FH_SOCKS5_NEED_MORE)
        g_assert_cmpuint (need, >, len);
      else
        g_assert_nonnull (error);
      g_clear_error (&error);
      g_rand_free (rand);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/socks5/greeting", test_greeting);
  g_test_add_func ("/socks5/method", test_method);
  g_test_add_func ("/socks5/userpass", test_userpass);
  g_test_add_func ("/socks5/connect-request", test_connect_request);
  g_test_add_func ("/socks5/connect-reply", test_connect_reply);
  g_test_add_func ("/socks5/reply-codes", test_reply_codes);
  g_test_add_func ("/socks5/bad-atyp-and-garbage", test_bad_atyp_and_garbage);
  return g_test_run ();
}
