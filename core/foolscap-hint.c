/* Foolscap 21.7's connection-hint grammar, hand-written.
 *
 * The regular expressions of foolscap/connections/{tcp,tor,i2p}.py are
 * matched here without a regex engine, because their Python semantics are
 * what matters and PCRE (GRegex) differs on exactly the odd cases:
 *
 *  - `\d` is any Unicode decimal digit (category Nd) *as of Python 3.11's
 *    Unicode 14.0 tables*, and int() accepts all of them;
 *  - character classes such as `[A-Za-z.0-9\-]` are ASCII only;
 *  - `$` (no MULTILINE) matches at the very end or just before one final
 *    "\n", so "tcp:h:1\n" is accepted with port 1;
 *  - `(\d+){1,5}` captures the whole run of digits, whatever its length:
 *    ports are unbounded integers.
 *
 * Each pattern is decided by its separators (':' and the brackets), which
 * leaves at most one way for it to match; the comments at each matcher
 * explain why, so the code can use plain scans instead of backtracking.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/furlhint.h>

#include "foolscap-hint.h"

/* The decimal digit "zeros" of Unicode 14.0 (Python 3.11's
 * unicodedata.unidata_version): every Nd character is one of ZERO..ZERO+9
 * with value c - ZERO.  A fixed table rather than g_unichar_isdigit(),
 * because GLib follows newer Unicode versions (15.0 added Kawi U+11F50 and
 * Nag Mundari U+1E4F0, 16.0 more) which Python 3.11 does not know as
 * digits.  Generated with:
 *   [c for c in range(0x110000) if chr(c).isdecimal() and
 *    unicodedata.decimal(chr(c)) == 0]
 */
static const gunichar py_digit_zeros[] = {
  0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6,
  0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0,
  0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
  0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0,
  0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
  0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0,
  0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
  0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};

/* Python's unicodedata.decimal(c) for Unicode 14.0, or -1. */
static gint
py_decimal_value (gunichar c)
{
  gsize lo = 0, hi = G_N_ELEMENTS (py_digit_zeros);

  if (c < 0x80)
    return (c >= '0' && c <= '9') ? (gint) (c - '0') : -1;

  /* Largest zero <= c. */
  while (hi - lo > 1)
    {
      gsize mid = (lo + hi) / 2;

      if (py_digit_zeros[mid] <= c)
        lo = mid;
      else
        hi = mid;
    }
  if (py_digit_zeros[lo] <= c && c - py_digit_zeros[lo] < 10)
    return (gint) (c - py_digit_zeros[lo]);
  return -1;
}

/* Decodes the character at @pos (< @end); invalid UTF-8 counts as one
 * non-matching byte, so nothing here can read past @end or loop. */
static gunichar
next_char (const gchar *s,
           gsize        end,
           gsize       *pos)
{
  gunichar c = g_utf8_get_char_validated (s + *pos, (gssize) (end - *pos));

  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      *pos += 1;
      return 0xFFFD;
    }
  *pos = (gsize) (g_utf8_next_char (s + *pos) - s);
  return c;
}

/* Where Python's `$` can match for a pattern whose last item cannot
 * match "\n": before a final "\n" if there is one, else at the end. */
static gsize
dollar_end (const gchar *s,
            gsize        len)
{
  return (len > 0 && s[len - 1] == '\n') ? len - 1 : len;
}

static gboolean
at_dollar (const gchar *s,
           gsize        len,
           gsize        pos)
{
  return pos == len || (pos + 1 == len && s[pos] == '\n');
}

static gboolean
is_dns_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-';
}

static gboolean
is_hex_colon_char (gchar c)
{
  return g_ascii_isxdigit (c) || c == ':';
}

static gboolean
is_zone_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '.';
}

/* `\d+` over exactly [start, end).  On success appends int()'s value in
 * ASCII to @ascii (nullable) and ORs non-ASCII digits into @non_ascii. */
static gboolean
scan_digits (const gchar *s,
             gsize        start,
             gsize        end,
             GString     *ascii,
             gboolean    *non_ascii)
{
  gsize pos = start;

  if (start >= end)
    return FALSE;

  while (pos < end)
    {
      gunichar c = next_char (s, end, &pos);
      gint v = py_decimal_value (c);

      if (v < 0)
        return FALSE;
      if (ascii != NULL)
        g_string_append_c (ascii, (gchar) ('0' + v));
      if (non_ascii != NULL && c >= 0x80)
        *non_ascii = TRUE;
    }
  return TRUE;
}

/* int(digits) as Python prints it: no leading zeros, "0" for zero. */
static gchar *
normalise_port (GString *digits)
{
  gsize i = 0;

  while (i + 1 < digits->len && digits->str[i] == '0')
    i++;
  return g_strdup (digits->str + i);
}

/* Port `(\d+){1,5}$` occupying [start, dollar_end): the run is anchored
 * by the preceding ':' and by `$`, and the greedy first repetition takes
 * the whole run, so the group is every digit up to `$`. */
static gboolean
match_port (const gchar *s,
            gsize        len,
            gsize        start,
            gchar      **port,
            gboolean    *non_ascii)
{
  GString *digits = g_string_new (NULL);
  gboolean na = FALSE;

  if (!scan_digits (s, start, dollar_end (s, len), digits, &na))
    {
      g_string_free (digits, TRUE);
      return FALSE;
    }
  *port = normalise_port (digits);
  *non_ascii = na;
  g_string_free (digits, TRUE);
  return TRUE;
}

/* DOTTED_QUAD_RESTR `\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}` matching exactly
 * [start, end).  '.' is no digit, so backtracking cannot change the
 * groups: each is the whole run of digits before its dot. */
static gboolean
match_dotted_quad (const gchar *s,
                   gsize        start,
                   gsize        end)
{
  gsize pos = start;
  guint group;

  for (group = 0; group < 4; group++)
    {
      guint n = 0;

      while (pos < end)
        {
          gsize save = pos;
          gunichar c = next_char (s, end, &pos);

          if (py_decimal_value (c) < 0)
            {
              pos = save;
              break;
            }
          n++;
        }
      if (n < 1 || n > 3)
        return FALSE;
      if (group < 3)
        {
          if (pos >= end || s[pos] != '.')
            return FALSE;
          pos++;
        }
    }
  return pos == end;
}

/* DNS_NAME_RESTR `[A-Za-z.0-9\-]+` matching exactly [start, end). */
static gboolean
match_dns_name (const gchar *s,
                gsize        start,
                gsize        end)
{
  gsize pos;

  if (start >= end)
    return FALSE;
  for (pos = start; pos < end; pos++)
    if (!is_dns_char (s[pos]))
      return FALSE;
  return TRUE;
}

/* The inside of COLON_HEX_RESTR, `[A-Fa-f0-9:]+(?:DQ|%[a-zA-Z0-9.]+)?`,
 * matching exactly [start, end). */
static gboolean
match_colon_hex_inner (const gchar *s,
                       gsize        start,
                       gsize        end)
{
  gsize k, j, pos;

  /* k = end of the longest hex/colon prefix. */
  for (k = start; k < end && is_hex_colon_char (s[k]); k++)
    ;
  if (k == end)
    return k > start;
  if (k == start)
    return FALSE;

  if (s[k] == '%')
    {
      /* The zone class has no '%', so the split is at the first one. */
      if (k + 1 >= end)
        return FALSE;
      for (pos = k + 1; pos < end; pos++)
        if (!is_zone_char (s[pos]))
          return FALSE;
      return TRUE;
    }

  /* An embedded dotted quad: the hex part H+ may give back up to three
   * trailing (ASCII) digits to the quad's first group, which is where a
   * backtracking engine would find the split.  Try each. */
  for (j = k; j > start && k - j <= 3; j--)
    if (match_dotted_quad (s, j, end))
      return TRUE;
  return FALSE;
}

static gsize
find_last_colon (const gchar *s,
                 gsize        start,
                 gsize        end)
{
  gsize pos = end;

  while (pos > start)
    {
      pos--;
      if (s[pos] == ':')
        return pos;
    }
  return G_MAXSIZE;
}

void
_furlhint_foolscap_addr_clear (FhFoolscapAddr *addr)
{
  if (addr == NULL)
    return;
  g_clear_pointer (&addr->host, g_free);
  g_clear_pointer (&addr->port, g_free);
  addr->port_non_ascii = FALSE;
}

static gboolean
fail (FhFoolscapAddr *addr,
      gchar         **message,
      gchar          *text)
{
  _furlhint_foolscap_addr_clear (addr);
  if (message != NULL)
    *message = text;
  else
    g_free (text);
  return FALSE;
}

gchar *
_furlhint_foolscap_convert_legacy (const gchar *hint)
{
  /* OLD_STYLE_HINT_RE `^(DQ|DNS):(\d+){1,5}$`: neither host alternative
   * contains ':', so the host is everything before the first ':' and the
   * port every digit after it. */
  gsize len, colon;
  const gchar *c;
  gchar *port = NULL, *host, *result;
  gboolean non_ascii = FALSE;

  g_return_val_if_fail (hint != NULL, NULL);

  len = strlen (hint);
  c = strchr (hint, ':');
  if (c == NULL)
    return g_strdup (hint);
  colon = (gsize) (c - hint);

  if (!(match_dotted_quad (hint, 0, colon) || match_dns_name (hint, 0, colon)))
    return g_strdup (hint);
  if (!match_port (hint, len, colon + 1, &port, &non_ascii))
    return g_strdup (hint);

  host = g_strndup (hint, colon);
  result = g_strdup_printf ("tcp:%s:%s", host, port);
  g_free (host);
  g_free (port);
  return result;
}

gboolean
_furlhint_foolscap_match_tcp (const gchar    *hint,
                              FhFoolscapAddr *addr,
                              gchar         **message)
{
  /* NEW_STYLE_HINT_RE `^tcp:(DQ|COLONHEX|DNS):(\d+){1,5}$`.  The port has
   * no ':', so it follows the last ':'; the host is what lies between
   * "tcp:" and that colon (a bracketed host ends with ']' and has no ']'
   * inside, so even for IPv6 the split is unique). */
  gsize len, end, colon;
  gchar *port = NULL;
  gboolean non_ascii = FALSE;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  addr->host = NULL;
  addr->port = NULL;
  addr->port_non_ascii = FALSE;

  len = strlen (hint);
  end = dollar_end (hint, len);
  if (!g_str_has_prefix (hint, "tcp:"))
    return fail (addr, message, g_strdup ("unrecognized TCP hint"));
  colon = find_last_colon (hint, 4, end);
  if (colon == G_MAXSIZE)
    return fail (addr, message, g_strdup ("unrecognized TCP hint"));

  if (match_dotted_quad (hint, 4, colon) || match_dns_name (hint, 4, colon))
    {
      addr->host = g_strndup (hint + 4, colon - 4);
    }
  else if (colon - 4 >= 2 && hint[4] == '[' && hint[colon - 1] == ']' &&
           match_colon_hex_inner (hint, 5, colon - 1))
    {
      /* host.lstrip("[").rstrip("]"): the inside has no brackets. */
      addr->host = g_strndup (hint + 5, colon - 1 - 5);
    }
  else
    return fail (addr, message, g_strdup ("unrecognized TCP hint"));

  if (!match_port (hint, len, colon + 1, &port, &non_ascii))
    return fail (addr, message, g_strdup ("unrecognized TCP hint"));

  addr->port = port;
  addr->port_non_ascii = non_ascii;
  if (message != NULL)
    *message = NULL;
  return TRUE;
}

gboolean
_furlhint_foolscap_match_tor (const gchar    *hint,
                              FhFoolscapAddr *addr,
                              gchar         **message)
{
  /* tor.HINT_RE `^[^:]*:(DQ|DNS):(\d+){1,5}$`: any type prefix up to the
   * first ':', a host without ':' up to the last one, then the port. */
  gsize len, end, first, colon;
  const gchar *c;
  gchar *port = NULL;
  gboolean non_ascii = FALSE;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  addr->host = NULL;
  addr->port = NULL;
  addr->port_non_ascii = FALSE;

  len = strlen (hint);
  end = dollar_end (hint, len);
  c = strchr (hint, ':');
  if (c == NULL)
    return fail (addr, message, g_strdup ("unrecognized TCP/Tor hint"));
  first = (gsize) (c - hint);
  colon = find_last_colon (hint, first + 1, end);
  if (colon == G_MAXSIZE ||
      !(match_dotted_quad (hint, first + 1, colon) ||
        match_dns_name (hint, first + 1, colon)) ||
      !match_port (hint, len, colon + 1, &port, &non_ascii))
    return fail (addr, message, g_strdup ("unrecognized TCP/Tor hint"));

  addr->host = g_strndup (hint + first + 1, colon - first - 1);
  addr->port = port;
  addr->port_non_ascii = non_ascii;

  if (_furlhint_foolscap_is_non_public_numeric (addr->host))
    {
      gchar *text = g_strdup_printf ("ignoring non-Tor-able ipaddr %s", addr->host);

      return fail (addr, message, text);
    }
  if (message != NULL)
    *message = NULL;
  return TRUE;
}

gboolean
_furlhint_foolscap_match_i2p (const gchar    *hint,
                              FhFoolscapAddr *addr,
                              gchar         **message)
{
  /* i2p.HINT_RE `^i2p:([A-Za-z.0-9\-]+)(:(\d+){1,5})?$`: the destination
   * class has no ':', so it is the whole run after "i2p:"; a shorter one
   * would be followed by a DNS character, which neither ':' nor `$` take. */
  gsize len, pos;
  gchar *port = NULL;
  gboolean non_ascii = FALSE;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  addr->host = NULL;
  addr->port = NULL;
  addr->port_non_ascii = FALSE;

  len = strlen (hint);
  if (!g_str_has_prefix (hint, "i2p:"))
    return fail (addr, message, g_strdup ("unrecognized I2P hint"));
  for (pos = 4; pos < len && is_dns_char (hint[pos]); pos++)
    ;
  if (pos == 4)
    return fail (addr, message, g_strdup ("unrecognized I2P hint"));

  if (!at_dollar (hint, len, pos))
    {
      if (hint[pos] != ':' || !match_port (hint, len, pos + 1, &port, &non_ascii))
        return fail (addr, message, g_strdup ("unrecognized I2P hint"));
    }

  addr->host = g_strndup (hint + 4, pos - 4);
  addr->port = port;
  addr->port_non_ascii = non_ascii;
  if (message != NULL)
    *message = NULL;
  return TRUE;
}

/* Python 3.11's IPv4Address._ip_int_from_string(): exactly four octets of
 * one to three ASCII digits, no leading zero (bpo-36384), each <= 255. */
static gboolean
py_parse_ipv4 (const gchar *s,
               gsize        len,
               guint32     *out)
{
  guint32 value = 0;
  gsize pos = 0;
  guint octet;

  for (octet = 0; octet < 4; octet++)
    {
      gsize start = pos;
      guint v = 0;

      while (pos < len && s[pos] != '.')
        {
          if (!g_ascii_isdigit (s[pos]))
            return FALSE;
          v = v * 10 + (guint) (s[pos] - '0');
          pos++;
          if (pos - start > 3)
            return FALSE;
        }
      if (pos == start)
        return FALSE;
      if (s[start] == '0' && pos - start > 1)
        return FALSE;
      if (v > 255)
        return FALSE;
      value = (value << 8) | v;
      if (octet < 3)
        {
          if (pos >= len)
            return FALSE;
          pos++;  /* the '.' */
        }
    }
  if (pos != len)
    return FALSE;  /* a fifth octet */
  if (out != NULL)
    *out = value;
  return TRUE;
}

static gboolean
py_hextet_ok (const gchar *part)
{
  gsize n = strlen (part), i;

  if (n == 0 || n > 4)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isxdigit (part[i]))
      return FALSE;
  return TRUE;
}

/* Whether Python 3.11's IPv6Address() accepts @s (scope id included). */
static gboolean
py_parses_ipv6 (const gchar *s)
{
  const gchar *pct = strchr (s, '%');
  gchar *addr;
  gchar **parts;
  guint n, i, hi, lo;
  gint skip = -1;
  gboolean ok = FALSE;
  const gchar *p;

  /* More than eight colons make more than nine parts, which Python
   * refuses (even after an embedded IPv4 became two hextets). */
  for (p = s, n = 0; *p != '\0'; p++)
    if (*p == ':' && ++n > 8)
      return FALSE;

  if (pct != NULL)
    {
      if (pct[1] == '\0' || strchr (pct + 1, '%') != NULL)
        return FALSE;
      addr = g_strndup (s, (gsize) (pct - s));
    }
  else
    addr = g_strdup (s);

  parts = g_strsplit (addr, ":", -1);
  n = g_strv_length (parts);
  if (n < 3)
    goto out;

  if (strchr (parts[n - 1], '.') != NULL)
    {
      if (!py_parse_ipv4 (parts[n - 1], strlen (parts[n - 1]), NULL))
        goto out;
      /* Two hextets take the quad's place: grow the vector by one. */
      parts = g_renew (gchar *, parts, n + 2);
      g_free (parts[n - 1]);
      parts[n - 1] = g_strdup ("0");
      parts[n] = g_strdup ("0");
      parts[n + 1] = NULL;
      n++;
    }
  if (n > 9)
    goto out;

  for (i = 1; i + 1 < n; i++)
    if (parts[i][0] == '\0')
      {
        if (skip >= 0)
          goto out;
        skip = (gint) i;
      }

  if (skip >= 0)
    {
      hi = (guint) skip;
      lo = n - (guint) skip - 1;
      if (parts[0][0] == '\0')
        {
          if (--hi != 0)
            goto out;
        }
      if (parts[n - 1][0] == '\0')
        {
          if (--lo != 0)
            goto out;
        }
      if (hi + lo >= 8)
        goto out;
    }
  else
    {
      if (n != 8 || parts[0][0] == '\0' || parts[n - 1][0] == '\0')
        goto out;
      hi = n;
      lo = 0;
    }

  for (i = 0; i < hi; i++)
    if (!py_hextet_ok (parts[i]))
      goto out;
  for (i = n - lo; i < n; i++)
    if (!py_hextet_ok (parts[i]))
      goto out;
  ok = TRUE;

out:
  g_strfreev (parts);
  g_free (addr);
  return ok;
}

static gboolean
in_net (guint32 a,
        guint32 net,
        guint   prefix)
{
  guint32 mask = prefix == 0 ? 0 : (guint32) (0xFFFFFFFFu << (32 - prefix));

  return (a & mask) == (net & mask);
}

#define IP4(a, b, c, d) (((guint32) (a) << 24) | ((guint32) (b) << 16) | \
                         ((guint32) (c) << 8) | (guint32) (d))

/* is_private of the installed Python 3.11 (Debian's 3.11.2 carries the
 * 3.11.10 fix: the IANA "not globally reachable" list, minus two
 * exceptions); see _IPv4Constants in /usr/lib/python3.11/ipaddress.py. */
static gboolean
py_ipv4_is_private (guint32 a)
{
  static const struct { guint32 net; guint prefix; } private_nets[] = {
    { IP4 (0, 0, 0, 0), 8 },
    { IP4 (10, 0, 0, 0), 8 },
    { IP4 (127, 0, 0, 0), 8 },
    { IP4 (169, 254, 0, 0), 16 },
    { IP4 (172, 16, 0, 0), 12 },
    { IP4 (192, 0, 0, 0), 24 },
    { IP4 (192, 0, 0, 170), 31 },
    { IP4 (192, 0, 2, 0), 24 },
    { IP4 (192, 168, 0, 0), 16 },
    { IP4 (198, 18, 0, 0), 15 },
    { IP4 (198, 51, 100, 0), 24 },
    { IP4 (203, 0, 113, 0), 24 },
    { IP4 (240, 0, 0, 0), 4 },
    { IP4 (255, 255, 255, 255), 32 },
  };
  gsize i;

  if (a == IP4 (192, 0, 0, 9) || a == IP4 (192, 0, 0, 10))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (private_nets); i++)
    if (in_net (a, private_nets[i].net, private_nets[i].prefix))
      return TRUE;
  return FALSE;
}

gboolean
_furlhint_foolscap_is_non_public_numeric (const gchar *host)
{
  guint32 a;

  g_return_val_if_fail (host != NULL, FALSE);

  /* ipaddress.ip_address(): IPv4 first, then IPv6; ValueError means "not
   * numeric, let Tor try it". Both refuse any '/'. */
  if (strchr (host, '/') != NULL)
    return FALSE;
  if (py_parse_ipv4 (host, strlen (host), &a))
    return in_net (a, IP4 (127, 0, 0, 0), 8) ||      /* is_loopback */
           in_net (a, IP4 (224, 0, 0, 0), 4) ||      /* is_multicast */
           py_ipv4_is_private (a) ||                 /* is_private */
           in_net (a, IP4 (240, 0, 0, 0), 4) ||      /* is_reserved */
           a == 0;                                   /* is_unspecified */
  /* IPv6 is always ignored. */
  return py_parses_ipv6 (host);
}

gboolean
_furlhint_foolscap_port_usable (const FhFoolscapAddr *addr,
                                guint16              *out)
{
  guint64 v;

  g_return_val_if_fail (addr != NULL, FALSE);

  if (addr->port == NULL || addr->port_non_ascii)
    return FALSE;
  if (strlen (addr->port) > 5)
    return FALSE;
  v = g_ascii_strtoull (addr->port, NULL, 10);
  if (v < 1 || v > 65535)
    return FALSE;
  if (out != NULL)
    *out = (guint16) v;
  return TRUE;
}

gboolean
furlhint_foolscap_parse_hint (const gchar             *canonical,
                              FurlHintFoolscapHandler  handler,
                              gchar                  **host,
                              gchar                  **port,
                              gchar                  **message)
{
  FhFoolscapAddr addr = { NULL, NULL, FALSE };
  gboolean ok;

  g_return_val_if_fail (canonical != NULL, FALSE);

  switch (handler)
    {
    case FURLHINT_FOOLSCAP_TCP:
      ok = _furlhint_foolscap_match_tcp (canonical, &addr, message);
      break;
    case FURLHINT_FOOLSCAP_TOR:
      ok = _furlhint_foolscap_match_tor (canonical, &addr, message);
      break;
    case FURLHINT_FOOLSCAP_I2P:
      ok = _furlhint_foolscap_match_i2p (canonical, &addr, message);
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  if (host != NULL)
    *host = g_steal_pointer (&addr.host);
  if (port != NULL)
    *port = g_steal_pointer (&addr.port);
  _furlhint_foolscap_addr_clear (&addr);
  return ok;
}
