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

/* The ASCII character classes of the patterns, one lookup per byte:
 * these run on every byte of every hint.  Bytes >= 0x80 are in none. */
enum {
  CC_DIGIT = 1,       /* [0-9] */
  CC_DNS = 2,         /* [A-Za-z.0-9\-] */
  CC_HEX_COLON = 4,   /* [A-Fa-f0-9:] */
  CC_ZONE = 8,        /* [a-zA-Z0-9.] */
};

static const guint8 char_class[256] = {
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x00 */
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2, 10,  0,  /* 0x20: - . */
  15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  4,  0,  0,  0,  0,  0,  /* 0x30: 0-9 : */
   0, 14, 14, 14, 14, 14, 14, 10, 10, 10, 10, 10, 10, 10, 10, 10,  /* 0x40: A-O */
  10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,  0,  0,  0,  0,  0,  /* 0x50: P-Z */
   0, 14, 14, 14, 14, 14, 14, 10, 10, 10, 10, 10, 10, 10, 10, 10,  /* 0x60: a-o */
  10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,  0,  0,  0,  0,  0,  /* 0x70: p-z */
};

static inline gboolean
is_ascii_digit (guchar c)
{
  return (char_class[c] & CC_DIGIT) != 0;
}

static inline gboolean
is_dns_char (gchar c)
{
  return (char_class[(guchar) c] & CC_DNS) != 0;
}

static inline gboolean
is_hex_colon_char (gchar c)
{
  return (char_class[(guchar) c] & CC_HEX_COLON) != 0;
}

static inline gboolean
is_zone_char (gchar c)
{
  return (char_class[(guchar) c] & CC_ZONE) != 0;
}

/* One `\d` at @pos (< @end): advances @pos and returns TRUE if there is
 * one, setting *@non_ascii for a non-ASCII digit.  ASCII bytes are
 * decided here; only bytes >= 0x80 need the Unicode table. */
static inline gboolean
take_digit (const gchar *s,
            gsize        end,
            gsize       *pos,
            gboolean    *non_ascii)
{
  guchar b = (guchar) s[*pos];
  gsize next = *pos;

  if (b < 0x80)
    {
      if (!is_ascii_digit (b))
        return FALSE;
      *pos += 1;
      return TRUE;
    }
  if (py_decimal_value (next_char (s, end, &next)) < 0)
    return FALSE;
  *pos = next;
  *non_ascii = TRUE;
  return TRUE;
}

/* Where a port's digits are: [start, end) of the hint. */
typedef struct {
  gsize start;
  gsize end;
  gboolean non_ascii;  /* some digit is not ASCII */
} PortSpan;

/* Port `(\d+){1,5}$` occupying [start, dollar_end): the run is anchored
 * by the preceding ':' and by `$`, and the greedy first repetition takes
 * the whole run, so the group is every digit up to `$`. */
static gboolean
scan_port (const gchar *s,
           gsize        len,
           gsize        start,
           PortSpan    *port)
{
  gsize end = dollar_end (s, len);
  gsize pos = start;
  gboolean non_ascii = FALSE;

  if (start >= end)
    return FALSE;
  while (pos < end && is_ascii_digit ((guchar) s[pos]))
    pos++;
  while (pos < end)
    if (!take_digit (s, end, &pos, &non_ascii))
      return FALSE;
  port->start = start;
  port->end = end;
  port->non_ascii = non_ascii;
  return TRUE;
}

/* int(digits) as Python prints it (ASCII, no leading zeros, "0" for zero)
 * written to @out, which has room for the span's length; returns the
 * number of bytes written (no NUL).  No big-number arithmetic: int() of
 * decimal digits only drops the leading zeros. */
static gsize
port_write (const gchar    *s,
            const PortSpan *port,
            gchar          *out)
{
  gsize i, n = 0, pos;

  if (!port->non_ascii)
    {
      for (i = port->start; i + 1 < port->end && s[i] == '0'; i++)
        ;
      memcpy (out, s + i, port->end - i);
      return port->end - i;
    }

  /* Every character is a digit (scan_port checked), one ASCII digit out
   * for each, so @out cannot overflow. */
  for (pos = port->start; pos < port->end; )
    out[n++] = (gchar) ('0' + py_decimal_value (next_char (s, port->end, &pos)));
  for (i = 0; i + 1 < n && out[i] == '0'; i++)
    ;
  memmove (out, out + i, n - i);
  return n - i;
}

/* g_strndup() without its strncpy(): the span holds no NUL. */
static gchar *
dup_span (const gchar *s,
          gsize        start,
          gsize        end)
{
  gchar *out = g_malloc (end - start + 1);

  memcpy (out, s + start, end - start);
  out[end - start] = '\0';
  return out;
}

static gchar *
port_dup (const gchar    *s,
          const PortSpan *port)
{
  gchar *out = g_malloc (port->end - port->start + 1);

  out[port_write (s, port, out)] = '\0';
  return out;
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
  gboolean non_ascii = FALSE;
  guint group;

  for (group = 0; group < 4; group++)
    {
      guint n = 0;

      while (pos < end && take_digit (s, end, &pos, &non_ascii))
        if (++n > 3)
          return FALSE;
      if (n < 1)
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

/* The end of the run of DNS characters from @start (before @end).  Four
 * bytes a step: their classes ANDed keep CC_DNS only if all have it. */
static gsize
dns_run_end (const gchar *s,
             gsize        start,
             gsize        end)
{
  const guchar *u = (const guchar *) s;
  gsize pos = start;

  while (end - pos >= 4 &&
         (char_class[u[pos]] & char_class[u[pos + 1]] &
          char_class[u[pos + 2]] & char_class[u[pos + 3]] & CC_DNS))
    pos += 4;
  while (pos < end && is_dns_char (s[pos]))
    pos++;
  return pos;
}

/* DNS_NAME_RESTR `[A-Za-z.0-9\-]+` matching exactly [start, end). */
static gboolean
match_dns_name (const gchar *s,
                gsize        start,
                gsize        end)
{
  return start < end && dns_run_end (s, start, end) == end;
}

/* DQ or DNS over exactly [start, end).  An ASCII dotted quad is also a
 * DNS name, so the cheap test goes first; the quad is only needed for
 * non-ASCII digits. */
static gboolean
match_dq_or_dns (const gchar *s,
                 gsize        start,
                 gsize        end)
{
  return match_dns_name (s, start, end) || match_dotted_quad (s, start, end);
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

static gsize
find_first_colon (const gchar *s,
                  gsize        start,
                  gsize        end)
{
  const gchar *colon = start < end ? memchr (s + start, ':', end - start) : NULL;

  return colon != NULL ? (gsize) (colon - s) : G_MAXSIZE;
}

/* Where a handler found the host and port in a hint.  The matchers below
 * work on (pointer, length) and allocate nothing; the FhFoolscapAddr and
 * public wrappers copy only what their caller asked for, and the FURL
 * parser converts legacy hints without any copy of its own. */
typedef struct {
  gsize host_start;
  gsize host_end;
  gboolean has_port;
  PortSpan port;
} HintSpan;

static gboolean
span_tcp (const gchar *hint,
          gsize        len,
          HintSpan    *m)
{
  /* NEW_STYLE_HINT_RE `^tcp:(DQ|COLONHEX|DNS):(\d+){1,5}$`.  The port has
   * no ':', so it follows the last ':'; the host is what lies between
   * "tcp:" and that colon (a bracketed host ends with ']' and has no ']'
   * inside, so even for IPv6 the split is unique). */
  gsize colon;

  if (len < 4 || memcmp (hint, "tcp:", 4) != 0)
    return FALSE;
  colon = find_last_colon (hint, 4, dollar_end (hint, len));
  if (colon == G_MAXSIZE)
    return FALSE;

  if (match_dq_or_dns (hint, 4, colon))
    {
      m->host_start = 4;
      m->host_end = colon;
    }
  else if (colon - 4 >= 2 && hint[4] == '[' && hint[colon - 1] == ']' &&
           match_colon_hex_inner (hint, 5, colon - 1))
    {
      /* host.lstrip("[").rstrip("]"): the inside has no brackets. */
      m->host_start = 5;
      m->host_end = colon - 1;
    }
  else
    return FALSE;

  m->has_port = TRUE;
  return scan_port (hint, len, colon + 1, &m->port);
}

static gboolean
span_tor (const gchar *hint,
          gsize        len,
          HintSpan    *m)
{
  /* tor.HINT_RE `^[^:]*:(DQ|DNS):(\d+){1,5}$`: any type prefix up to the
   * first ':', a host without ':' up to the last one, then the port. */
  gsize first, colon;

  first = find_first_colon (hint, 0, len);
  if (first == G_MAXSIZE)
    return FALSE;
  colon = find_last_colon (hint, first + 1, dollar_end (hint, len));
  if (colon == G_MAXSIZE || !match_dq_or_dns (hint, first + 1, colon))
    return FALSE;
  m->host_start = first + 1;
  m->host_end = colon;
  m->has_port = TRUE;
  return scan_port (hint, len, colon + 1, &m->port);
}

static gboolean
span_i2p (const gchar *hint,
          gsize        len,
          HintSpan    *m)
{
  /* i2p.HINT_RE `^i2p:([A-Za-z.0-9\-]+)(:(\d+){1,5})?$`: the destination
   * class has no ':', so it is the whole run after "i2p:"; a shorter one
   * would be followed by a DNS character, which neither ':' nor `$` take. */
  gsize pos;

  if (len < 4 || memcmp (hint, "i2p:", 4) != 0)
    return FALSE;
  pos = dns_run_end (hint, 4, len);
  if (pos == 4)
    return FALSE;
  m->host_start = 4;
  m->host_end = pos;
  m->has_port = FALSE;
  if (at_dollar (hint, len, pos))
    return TRUE;
  m->has_port = TRUE;
  return hint[pos] == ':' && scan_port (hint, len, pos + 1, &m->port);
}

static gboolean py_parse_ipv4 (const gchar *s, gsize len, guint32 *out);
static gboolean ipv4_non_public (guint32 a);

/* is_non_public_numeric_address() for a host the Tor pattern took: DQ or
 * DNS characters, so no ':' (never IPv6) and no '/'. */
static gboolean
tor_host_refused (const gchar    *hint,
                  const HintSpan *m)
{
  guint32 a;

  return py_parse_ipv4 (hint + m->host_start, m->host_end - m->host_start, &a) &&
         ipv4_non_public (a);
}

void
fh_foolscap_addr_clear (FhFoolscapAddr *addr)
{
  if (addr == NULL)
    return;
  g_clear_pointer (&addr->host, g_free);
  g_clear_pointer (&addr->port, g_free);
  addr->port_non_ascii = FALSE;
}

/* The FhFoolscapAddr API on top of a span matcher's answer. */
static gboolean
finish_addr (const gchar    *hint,
             gboolean        ok,
             const HintSpan *m,
             FhFoolscapAddr *addr,
             gchar         **message,
             const gchar    *failure)
{
  addr->host = NULL;
  addr->port = NULL;
  addr->port_non_ascii = FALSE;
  if (!ok)
    {
      if (message != NULL)
        *message = g_strdup (failure);
      return FALSE;
    }
  addr->host = dup_span (hint, m->host_start, m->host_end);
  if (m->has_port)
    {
      addr->port = port_dup (hint, &m->port);
      addr->port_non_ascii = m->port.non_ascii;
    }
  if (message != NULL)
    *message = NULL;
  return TRUE;
}

/* The Tor handler's message for a non-Tor-able address. */
static gchar *
tor_refusal (const gchar    *hint,
             const HintSpan *m)
{
  static const gchar prefix[] = "ignoring non-Tor-able ipaddr ";
  gsize n = m->host_end - m->host_start;
  gchar *text = g_malloc (sizeof prefix + n);

  memcpy (text, prefix, sizeof prefix - 1);
  memcpy (text + sizeof prefix - 1, hint + m->host_start, n);
  text[sizeof prefix - 1 + n] = '\0';
  return text;
}

gsize
fh_foolscap_write_canonical (const gchar *hint,
                             gsize        len,
                             gchar       *out,
                             gsize       *type_len)
{
  /* OLD_STYLE_HINT_RE `^(DQ|DNS):(\d+){1,5}$`: neither host alternative
   * contains ':', so the host is everything before the first ':' and the
   * port every digit after it. */
  gsize colon = find_first_colon (hint, 0, len);
  PortSpan port;
  gsize n;

  if (colon == G_MAXSIZE || !match_dq_or_dns (hint, 0, colon) ||
      !scan_port (hint, len, colon + 1, &port))
    {
      memcpy (out, hint, len);
      out[len] = '\0';
      if (type_len != NULL)
        *type_len = colon;
      return len;
    }

  if (type_len != NULL)
    *type_len = 3;
  memcpy (out, "tcp:", 4);
  memcpy (out + 4, hint, colon);
  n = 4 + colon;
  out[n++] = ':';
  n += port_write (hint, &port, out + n);
  out[n] = '\0';
  return n;
}

gchar *
fh_foolscap_convert_legacy (const gchar *hint)
{
  gsize len;
  gchar *out;

  g_return_val_if_fail (hint != NULL, NULL);

  len = strlen (hint);
  out = g_malloc (len + 5);
  fh_foolscap_write_canonical (hint, len, out, NULL);
  return out;
}

gboolean
fh_foolscap_match_tcp (const gchar    *hint,
                       FhFoolscapAddr *addr,
                       gchar         **message)
{
  HintSpan m;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  return finish_addr (hint, span_tcp (hint, strlen (hint), &m), &m, addr, message,
                      "unrecognized TCP hint");
}

gboolean
fh_foolscap_match_tor (const gchar    *hint,
                       FhFoolscapAddr *addr,
                       gchar         **message)
{
  HintSpan m;
  gsize len;
  gboolean ok;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  len = strlen (hint);
  ok = span_tor (hint, len, &m);
  if (ok && tor_host_refused (hint, &m))
    {
      addr->host = NULL;
      addr->port = NULL;
      addr->port_non_ascii = FALSE;
      if (message != NULL)
        *message = tor_refusal (hint, &m);
      return FALSE;
    }
  return finish_addr (hint, ok, &m, addr, message, "unrecognized TCP/Tor hint");
}

gboolean
fh_foolscap_match_i2p (const gchar    *hint,
                       FhFoolscapAddr *addr,
                       gchar         **message)
{
  HintSpan m;

  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (addr != NULL, FALSE);

  return finish_addr (hint, span_i2p (hint, strlen (hint), &m), &m, addr, message,
                      "unrecognized I2P hint");
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
#define PREFIX_MASK(prefix) ((guint32) (0xFFFFFFFFu << (32 - (prefix))))

/* is_private of the installed Python 3.11 (Debian's 3.11.2 carries the
 * 3.11.10 fix: the IANA "not globally reachable" list, minus two
 * exceptions); see _IPv4Constants in /usr/lib/python3.11/ipaddress.py. */
static gboolean
py_ipv4_is_private (guint32 a)
{
  static const struct { guint32 net; guint32 mask; } private_nets[] = {
    { IP4 (0, 0, 0, 0), PREFIX_MASK (8) },
    { IP4 (10, 0, 0, 0), PREFIX_MASK (8) },
    { IP4 (127, 0, 0, 0), PREFIX_MASK (8) },
    { IP4 (169, 254, 0, 0), PREFIX_MASK (16) },
    { IP4 (172, 16, 0, 0), PREFIX_MASK (12) },
    { IP4 (192, 0, 0, 0), PREFIX_MASK (24) },
    { IP4 (192, 0, 0, 170), PREFIX_MASK (31) },
    { IP4 (192, 0, 2, 0), PREFIX_MASK (24) },
    { IP4 (192, 168, 0, 0), PREFIX_MASK (16) },
    { IP4 (198, 18, 0, 0), PREFIX_MASK (15) },
    { IP4 (198, 51, 100, 0), PREFIX_MASK (24) },
    { IP4 (203, 0, 113, 0), PREFIX_MASK (24) },
    { IP4 (240, 0, 0, 0), PREFIX_MASK (4) },
    { IP4 (255, 255, 255, 255), PREFIX_MASK (32) },
  };
  gsize i;

  if (a == IP4 (192, 0, 0, 9) || a == IP4 (192, 0, 0, 10))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (private_nets); i++)
    if ((a & private_nets[i].mask) == private_nets[i].net)
      return TRUE;
  return FALSE;
}

/* The IPv4 part of is_non_public_numeric_address(). */
static gboolean
ipv4_non_public (guint32 a)
{
  return in_net (a, IP4 (127, 0, 0, 0), 8) ||      /* is_loopback */
         in_net (a, IP4 (224, 0, 0, 0), 4) ||      /* is_multicast */
         py_ipv4_is_private (a) ||                 /* is_private */
         in_net (a, IP4 (240, 0, 0, 0), 4) ||      /* is_reserved */
         a == 0;                                   /* is_unspecified */
}

/* is_non_public_numeric_address() on the @len bytes at @host. */
static gboolean
non_public_numeric (const gchar *host,
                    gsize        len)
{
  guint32 a;
  gsize i, colons = 0;

  /* ipaddress.ip_address(): IPv4 first, then IPv6; ValueError means "not
   * numeric, let Tor try it". Both refuse any '/' (an IPv4 parse refuses
   * it as a non-digit). Every Tor and I2P route's host comes here: a
   * name stops at its first letter, and one without a ':' at the IPv4
   * parse. */
  if (py_parse_ipv4 (host, len, &a))
    return ipv4_non_public (a);
  if (memchr (host, ':', len) == NULL)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      if (host[i] == '/')
        return FALSE;
      if (host[i] == ':')
        colons++;
    }
  /* IPv6 is always ignored.  An IPv6 address has at least three parts,
   * so two colons: the Tor pattern's hosts (no ':') never get here. */
  if (colons < 2)
    return FALSE;
  {
    gchar *copy = g_strndup (host, len);
    gboolean ipv6 = py_parses_ipv6 (copy);

    g_free (copy);
    return ipv6;
  }
}

gboolean
fh_foolscap_is_non_public_numeric (const gchar *host)
{
  g_return_val_if_fail (host != NULL, FALSE);

  return non_public_numeric (host, strlen (host));
}

gboolean
fh_foolscap_port_usable (const FhFoolscapAddr *addr,
                         guint16              *out)
{
  guint v = 0;
  gsize n;

  g_return_val_if_fail (addr != NULL, FALSE);

  if (addr->port == NULL || addr->port_non_ascii)
    return FALSE;
  /* ASCII digits (the match made sure), at most five: read by hand, as
   * strtoull() would read them, for every hint ranked. */
  for (n = 0; addr->port[n] != '\0'; n++)
    {
      if (n == 5 || !g_ascii_isdigit (addr->port[n]))
        return FALSE;
      v = v * 10 + (guint) (addr->port[n] - '0');
    }
  if (v < 1 || v > 65535)
    return FALSE;
  if (out != NULL)
    *out = (guint16) v;
  return TRUE;
}

gboolean
fh_foolscap_match_tcp_usable (const gchar *hint,
                              gsize        len,
                              gsize       *host_start,
                              gsize       *host_len,
                              guint16     *port)
{
  HintSpan m;
  guint value = 0, digits = 0;
  gsize i;

  if (!span_tcp (hint, len, &m) || !m.has_port || m.port.non_ascii)
    return FALSE;
  /* fh_foolscap_port_usable() on what port_dup() would write: leading
   * zeros dropped, at most five digits left, 1-65535. */
  for (i = m.port.start; i < m.port.end; i++)
    {
      if (digits == 0 && hint[i] == '0')
        continue;
      if (++digits > 5)
        return FALSE;
      value = value * 10 + (guint) (hint[i] - '0');
    }
  if (value < 1 || value > 65535)
    return FALSE;
  *host_start = m.host_start;
  *host_len = m.host_end - m.host_start;
  *port = (guint16) value;
  return TRUE;
}

gboolean
fh_foolscap_tcp_host_span (const gchar *hint,
                           gsize        len,
                           gsize       *host_start,
                           gsize       *host_len)
{
  HintSpan m;

  if (!span_tcp (hint, len, &m))
    return FALSE;
  *host_start = m.host_start;
  *host_len = m.host_end - m.host_start;
  return TRUE;
}

gboolean
furlhint_foolscap_parse_hint (const gchar             *canonical,
                              FurlHintFoolscapHandler  handler,
                              gchar                  **host,
                              gchar                  **port,
                              gchar                  **message)
{
  HintSpan m;
  gsize len;
  gboolean ok;
  const gchar *failure;

  g_return_val_if_fail (canonical != NULL, FALSE);

  len = strlen (canonical);
  switch (handler)
    {
    case FURLHINT_FOOLSCAP_TCP:
      ok = span_tcp (canonical, len, &m);
      failure = "unrecognized TCP hint";
      break;
    case FURLHINT_FOOLSCAP_TOR:
      ok = span_tor (canonical, len, &m);
      failure = "unrecognized TCP/Tor hint";
      if (ok && tor_host_refused (canonical, &m))
        {
          if (host != NULL)
            *host = NULL;
          if (port != NULL)
            *port = NULL;
          if (message != NULL)
            *message = tor_refusal (canonical, &m);
          return FALSE;
        }
      break;
    case FURLHINT_FOOLSCAP_I2P:
      ok = span_i2p (canonical, len, &m);
      failure = "unrecognized I2P hint";
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  if (!ok)
    {
      if (host != NULL)
        *host = NULL;
      if (port != NULL)
        *port = NULL;
      if (message != NULL)
        *message = g_strdup (failure);
      return FALSE;
    }
  if (host != NULL)
    *host = dup_span (canonical, m.host_start, m.host_end);
  if (port != NULL)
    *port = m.has_port ? port_dup (canonical, &m.port) : NULL;
  if (message != NULL)
    *message = NULL;
  return TRUE;
}
