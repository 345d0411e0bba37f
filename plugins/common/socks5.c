/* SOCKS5 message building and parsing, no I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "socks5.h"

#include <string.h>
#include <gio/gio.h>
#include <furlhint/plugin.h>

#define SOCKS5_VERSION 0x05
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_DOMAIN 0x03
#define SOCKS5_ATYP_IPV6 0x04
#define USERPASS_VERSION 0x01

static const struct {
  guint8 rep;
  const gchar *name;
  FurlHintConnectError code;
} reply_table[] = {
  { 0x01, "general SOCKS server failure", FURLHINT_CONNECT_ERROR_FAILED },
  { 0x02, "connection not allowed by ruleset", FURLHINT_CONNECT_ERROR_REFUSED },
  { 0x03, "network unreachable", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0x04, "host unreachable", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0x05, "connection refused", FURLHINT_CONNECT_ERROR_REFUSED },
  { 0x06, "TTL expired", FURLHINT_CONNECT_ERROR_TIMED_OUT },
  { 0x07, "command not supported", FURLHINT_CONNECT_ERROR_PROTOCOL },
  { 0x08, "address type not supported", FURLHINT_CONNECT_ERROR_PROTOCOL },
  /* Tor's ExtendedErrors (tor's socks-extensions.txt). */
  { 0xf0, "onion service descriptor can not be found", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0xf1, "onion service descriptor is invalid", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0xf2, "onion service introduction failed", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0xf3, "onion service rendezvous failed", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0xf4, "onion service missing client authorization", FURLHINT_CONNECT_ERROR_AUTH },
  { 0xf5, "onion service wrong client authorization", FURLHINT_CONNECT_ERROR_AUTH },
  { 0xf6, "onion service invalid address", FURLHINT_CONNECT_ERROR_UNREACHABLE },
  { 0xf7, "onion service introduction timed out", FURLHINT_CONNECT_ERROR_TIMED_OUT },
};

const gchar *
fh_socks5_reply_name (guint8 rep)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reply_table); i++)
    if (reply_table[i].rep == rep)
      return reply_table[i].name;
  return NULL;
}

static FhSocks5Result
need_bytes (gsize len, gsize want, gsize *need)
{
  if (need != NULL)
    *need = want;
  return len < want ? FH_SOCKS5_NEED_MORE : FH_SOCKS5_OK;
}

static FhSocks5Result
bad_version (guint8 got, guint8 want, const gchar *what, GError **error)
{
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
               "proxy sent a %s with version %u, expected %u: not a SOCKS5 server?",
               what, got, want);
  return FH_SOCKS5_ERROR;
}

gsize
fh_socks5_build_greeting (guint8 *buf, FhSocks5Offer offer)
{
  buf[0] = SOCKS5_VERSION;
  switch (offer)
    {
    case FH_SOCKS5_OFFER_NONE_OR_USERPASS:
      buf[1] = 2;
      buf[2] = FH_SOCKS5_METHOD_NONE;
      buf[3] = FH_SOCKS5_METHOD_USERPASS;
      return 4;
    case FH_SOCKS5_OFFER_USERPASS_ONLY:
      buf[1] = 1;
      buf[2] = FH_SOCKS5_METHOD_USERPASS;
      return 3;
    case FH_SOCKS5_OFFER_NONE:
    default:
      buf[1] = 1;
      buf[2] = FH_SOCKS5_METHOD_NONE;
      return 3;
    }
}

FhSocks5Result
fh_socks5_parse_method (const guint8 *data, gsize len,
                        FhSocks5Offer offer,
                        guint8 *method, gsize *need,
                        GError **error)
{
  gboolean offered_none = offer != FH_SOCKS5_OFFER_USERPASS_ONLY;
  gboolean offered_userpass = offer != FH_SOCKS5_OFFER_NONE;

  if (need_bytes (len, 2, need) == FH_SOCKS5_NEED_MORE)
    return FH_SOCKS5_NEED_MORE;
  if (data[0] != SOCKS5_VERSION)
    return bad_version (data[0], SOCKS5_VERSION, "method reply", error);
  if ((data[1] == FH_SOCKS5_METHOD_NONE && offered_none)
      || (data[1] == FH_SOCKS5_METHOD_USERPASS && offered_userpass))
    {
      *method = data[1];
      return FH_SOCKS5_OK;
    }
  if (data[1] == FH_SOCKS5_METHOD_REFUSED)
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "proxy accepts none of our authentication methods (offered: %s)",
                 offer == FH_SOCKS5_OFFER_USERPASS_ONLY
                   ? "username/password only, as the credentials must reach it"
                   : offered_userpass
                   ? "none, username/password"
                   : "none; set a username and password if the proxy needs them");
  else if (data[1] == FH_SOCKS5_METHOD_NONE)
    /* Only when we offered username/password alone: a proxy skipping the
     * credentials would drop what they are for (Tor's stream isolation). */
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                 "proxy chose no authentication although only username/password "
                 "was offered: it would ignore the credentials; accepted: a proxy "
                 "that takes username/password authentication (RFC 1929)");
  else
    g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                 "proxy chose authentication method %u, which we did not offer", data[1]);
  return FH_SOCKS5_ERROR;
}

gboolean
fh_socks5_build_userpass (guint8 *buf, gsize *len,
                          const gchar *user, const gchar *password,
                          GError **error)
{
  gsize ulen = user != NULL ? strlen (user) : 0;
  gsize plen = password != NULL ? strlen (password) : 0;

  if (ulen == 0 || ulen > 255 || plen == 0 || plen > 255)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                   "SOCKS username and password must each be 1 to 255 bytes (got %" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT ")",
                   ulen, plen);
      return FALSE;
    }
  buf[0] = USERPASS_VERSION;
  buf[1] = (guint8) ulen;
  memcpy (buf + 2, user, ulen);
  buf[2 + ulen] = (guint8) plen;
  memcpy (buf + 3 + ulen, password, plen);
  *len = 3 + ulen + plen;
  return TRUE;
}

FhSocks5Result
fh_socks5_parse_userpass (const guint8 *data, gsize len,
                          gsize *need, GError **error)
{
  if (need_bytes (len, 2, need) == FH_SOCKS5_NEED_MORE)
    return FH_SOCKS5_NEED_MORE;
  if (data[0] != USERPASS_VERSION)
    return bad_version (data[0], USERPASS_VERSION, "username/password reply", error);
  if (data[1] != 0)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_AUTH,
                   "proxy rejected the username/password (status %u)", data[1]);
      return FH_SOCKS5_ERROR;
    }
  return FH_SOCKS5_OK;
}

gboolean
fh_socks5_build_connect (guint8 *buf, gsize *len,
                         const gchar *host, guint16 port,
                         GError **error)
{
  GInetAddress *addr;
  gsize n = 0;

  buf[n++] = SOCKS5_VERSION;
  buf[n++] = SOCKS5_CMD_CONNECT;
  buf[n++] = 0x00;

  /* Only literals go as addresses; g_inet_address_new_from_string() parses,
   * it never resolves. A scoped IPv6 literal cannot cross a proxy. */
  addr = strchr (host, '%') == NULL ? g_inet_address_new_from_string (host) : NULL;
  if (addr != NULL)
    {
      gsize asize = g_inet_address_get_native_size (addr);
      buf[n++] = asize == 4 ? SOCKS5_ATYP_IPV4 : SOCKS5_ATYP_IPV6;
      memcpy (buf + n, g_inet_address_to_bytes (addr), asize);
      n += asize;
      g_object_unref (addr);
    }
  else
    {
      gsize hlen = strlen (host);
      if (hlen == 0 || hlen > 255)
        {
          g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                       "host name of %" G_GSIZE_FORMAT " bytes cannot be sent through SOCKS5 (accepted: 1 to 255 bytes)",
                       hlen);
          return FALSE;
        }
      buf[n++] = SOCKS5_ATYP_DOMAIN;
      buf[n++] = (guint8) hlen;
      memcpy (buf + n, host, hlen);
      n += hlen;
    }
  buf[n++] = (guint8) (port >> 8);
  buf[n++] = (guint8) (port & 0xff);
  *len = n;
  return TRUE;
}

FhSocks5Result
fh_socks5_parse_connect (const guint8 *data, gsize len,
                         gsize *need, GError **error)
{
  gsize want;

  if (need_bytes (len, 5, need) == FH_SOCKS5_NEED_MORE)
    return FH_SOCKS5_NEED_MORE;
  if (data[0] != SOCKS5_VERSION)
    return bad_version (data[0], SOCKS5_VERSION, "connect reply", error);

  /* Fail on the reply code before waiting for the address: some proxies
   * close right after a failure reply with a short or absent address. */
  if (data[1] != 0)
    {
      FurlHintConnectError code = FURLHINT_CONNECT_ERROR_FAILED;
      const gchar *name = "unknown reply";
      for (gsize i = 0; i < G_N_ELEMENTS (reply_table); i++)
        if (reply_table[i].rep == data[1])
          {
            code = reply_table[i].code;
            name = reply_table[i].name;
          }
      g_set_error (error, FURLHINT_CONNECT_ERROR, code,
                   "proxy refused: %s (SOCKS reply %u)", name, data[1]);
      return FH_SOCKS5_ERROR;
    }

  switch (data[3])
    {
    case SOCKS5_ATYP_IPV4:
      want = 4 + 4 + 2;
      break;
    case SOCKS5_ATYP_IPV6:
      want = 4 + 16 + 2;
      break;
    case SOCKS5_ATYP_DOMAIN:
      want = 4 + 1 + data[4] + 2;
      break;
    default:
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                   "proxy sent a connect reply with unknown address type %u (accepted: 1, 3, 4)",
                   data[3]);
      return FH_SOCKS5_ERROR;
    }
  return need_bytes (len, want, need);
}
