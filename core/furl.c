/* FurlHintFurl: FURLs as Foolscap 21.7's decode_furl() reads them, and
 * Tahoe-LAFS NURLs (docs/specifications/url.rst).
 *
 * Which syntax a text is in:
 *  - it starts with "pb+tor://" or "pb+i2p://": a NURL restricted to that
 *    network;
 *  - its last '#' starts a `v=` fragment (after a "pb://"): a NURL (the
 *    `#v=1` fragment is what tells a v1 NURL from a FURL; url.rst says
 *    never to guess from the hash length). It must start with "pb://":
 *    NURLs are new syntax, text before the scheme is an error;
 *  - anything else: a FURL, decoded exactly as Foolscap does, i.e. the
 *    pattern is *searched* for, not anchored, and a '#' is just part of
 *    the name (Foolscap accepts "pb://T@H/name#x"). So a FURL never has a
 *    name whose last '#' starts "v=", and furlhint_furl_to_string() output
 *    always parses back to the same kind.
 * Schemes are matched in lower case only, as Foolscap matches "pb://".
 *
 * A NURL has exactly one location, which becomes the FURL's only hint:
 *  - pb://     HOST:PORT or tcp:HOST:PORT → "tcp:HOST:PORT" (tor:HOST:PORT
 *              and i2p:DEST[:PORT] locations keep their type);
 *  - pb+tor:// HOST:PORT, tcp:HOST:PORT or tor:HOST:PORT → "tor:HOST:PORT",
 *              so that even a caller ignoring the network restriction can
 *              only route it through Tor (a Tor hint has no clear route);
 *              IPv6 is refused, as Foolscap's Tor handler refuses it;
 *  - pb+i2p:// DEST[:PORT] or i2p:DEST[:PORT] → "i2p:DEST[:PORT]".
 * The port is required (except for I2P) and must be 1-65535 in ASCII: a
 * NURL is new syntax, there is no legacy to be lenient with.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "foolscap-hint.h"
#include "hint-private.h"

/* One allocation per FURL: this struct, then its hints, then every
 * string (tub ID, name, each hint's text, canonical form and type). */
struct _FurlHintFurl {
  gatomicrefcount ref_count;   /* immutable, so shared between threads */
  FurlHintFurlKind kind;
  FurlHintNetwork network;
  guint nurl_version;
  guint n_hints;
  const gchar *tubid;   /* FURL: first 32 characters; NURL: the hash */
  const gchar *name;    /* object name / swissnum */
  FurlHintHint *hints;  /* n_hints of them */
  gchar **lint;         /* (owned) (nullable) NULL when there is none */
  gchar *location;      /* (owned) (nullable) a NURL's location as written */
};

static const gchar *const no_lint[] = { NULL };

#define ACCEPTED_FORMS \
  "expected pb://TUBID@HINT,HINT/NAME, or a NURL pb://HASH@HOST:PORT/SWISSNUM#v=1, " \
  "pb+tor://HASH@HOST:PORT/SWISSNUM[#v=1] or pb+i2p://HASH@DEST[:PORT]/SWISSNUM[#v=1]"

/* --- Python repr() ---------------------------------------------------------- */

/* str.isprintable() for one character (Unicode version aside). */
static gboolean
py_isprintable (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return FALSE;
    case G_UNICODE_SPACE_SEPARATOR:
      return c == ' ';
    default:
      return TRUE;
    }
}

gchar *
fh_py_repr (const gchar *utf8)
{
  gchar *valid = g_utf8_make_valid (utf8, -1);
  gchar quote = (strchr (valid, '\'') != NULL && strchr (valid, '"') == NULL) ? '"' : '\'';
  GString *out = g_string_new (NULL);
  const gchar *p;

  g_string_append_c (out, quote);
  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == (gunichar) quote || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (gchar) c);
        }
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c < 0x7f || py_isprintable (c))
        g_string_append_unichar (out, c);
      else if (c <= 0xff)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c <= 0xffff)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_printf (out, "\\U%08x", c);
    }
  g_string_append_c (out, quote);
  g_free (valid);
  return g_string_free (out, FALSE);
}

/* repr() of at most the first 40 characters, for lint sentences. */
static gchar *
short_repr (const gchar *utf8)
{
  glong n = g_utf8_strlen (utf8, -1);
  gchar *head, *repr, *result;

  if (n <= 40)
    return fh_py_repr (utf8);
  head = g_utf8_substring (utf8, 0, 40);
  repr = fh_py_repr (head);
  result = g_strconcat (repr, "...", NULL);
  g_free (head);
  g_free (repr);
  return result;
}

/* --- decode_furl() ---------------------------------------------------------- */

/* Memoised "first @ch at or after @from": the decoder asks with
 * non-decreasing @from, so the whole search is linear, however many
 * "pb://" the text holds. */
typedef struct {
  gboolean valid;
  gsize from;
  gsize pos;  /* G_MAXSIZE: none at or after from */
} FindCache;

static gsize
find_from (const gchar *s,
           gsize        len,
           gchar        ch,
           gsize        from,
           FindCache   *cache)
{
  const gchar *hit;

  if (cache->valid && cache->from <= from &&
      (cache->pos == G_MAXSIZE || cache->pos >= from))
    return cache->pos;
  /* memchr(), not strchr()/strstr(): sanitizer interceptors check only
   * the bytes memchr() looked at, but the whole remaining string for the
   * others, which would make this search quadratic under ASan. */
  hit = from < len ? memchr (s + from, ch, len - from) : NULL;
  cache->valid = TRUE;
  cache->from = from;
  cache->pos = hit != NULL ? (gsize) (hit - s) : G_MAXSIZE;
  return cache->pos;
}

/* Next "pb://" at or after @from, or G_MAXSIZE. */
static gsize
find_scheme (const gchar *s,
             gsize        len,
             gsize        from)
{
  while (from + 5 <= len)
    {
      const gchar *p = memchr (s + from, 'p', len - 4 - from);

      if (p == NULL)
        break;
      if (p[1] == 'b' && p[2] == ':' && p[3] == '/' && p[4] == '/')
        return (gsize) (p - s);
      from = (gsize) (p - s) + 1;
    }
  return G_MAXSIZE;
}

/* str.split(",") of [start, end) (g_strsplit() would rescan the rest of
 * the text for every piece under ASan). */
static gchar **
split_commas (const gchar *s,
              gsize        start,
              gsize        end)
{
  GPtrArray *parts = g_ptr_array_new ();
  gsize piece = start, pos;

  for (pos = start; pos <= end; pos++)
    if (pos == end || s[pos] == ',')
      {
        g_ptr_array_add (parts, g_strndup (s + piece, pos - piece));
        piece = pos + 1;
      }
  g_ptr_array_add (parts, NULL);
  return (gchar **) g_ptr_array_free (parts, FALSE);
}

/* Which ASCII bytes foolscap.base32.is_base32() takes: s.lower() in a-z2-7. */
static const guint8 base32_ascii[128] = {
  ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
  ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
  ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
  ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
  ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
  ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
  ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
  ['y'] = 1, ['z'] = 1,
};

/* foolscap.base32.is_base32(s) on [start, end): every character of
 * s.lower() in a-z2-7.  Of all non-ASCII characters only U+212A KELVIN
 * SIGN lowers into that alphabet (to 'k'); checked over all of Unicode
 * with Python 3.11.  *@kelvin says whether one was seen. */
static gboolean
py_is_base32 (const gchar *s,
              gsize        start,
              gsize        end,
              gboolean    *kelvin)
{
  gsize pos = start;

  *kelvin = FALSE;
  while (pos < end)
    {
      guchar b = (guchar) s[pos];

      /* Four ASCII bytes a step (a byte >= 0x80 fails the table too). */
      if (end - pos >= 4)
        {
          const guchar *u = (const guchar *) s + pos;

          if (u[0] < 0x80 && u[1] < 0x80 && u[2] < 0x80 && u[3] < 0x80)
            {
              if (!(base32_ascii[u[0]] & base32_ascii[u[1]] &
                    base32_ascii[u[2]] & base32_ascii[u[3]]))
                return FALSE;
              pos += 4;
              continue;
            }
        }

      if (b < 0x80)
        {
          if (!base32_ascii[b])
            return FALSE;
          pos++;
          continue;
        }
      if (g_utf8_get_char (s + pos) != 0x212A)
        return FALSE;
      *kelvin = TRUE;
      pos = (gsize) (g_utf8_next_char (s + pos) - s);
    }
  return TRUE;
}

void
fh_decoded_furl_clear (FhDecodedFurl *decoded)
{
  if (decoded == NULL)
    return;
  g_clear_pointer (&decoded->tubid, g_free);
  g_clear_pointer (&decoded->tubid_rest, g_free);
  g_clear_pointer (&decoded->hints, g_strfreev);
  g_clear_pointer (&decoded->name, g_free);
  decoded->match_start = 0;
  decoded->dropped_newline = FALSE;
}

/* Whether the first @len bytes of @text hold a byte >= 0x80, eight at a
 * time: FURLs are nearly always ASCII, and then neither the UTF-8
 * validation nor the character counting needs to look closer. */
static gboolean
has_non_ascii (const gchar *text,
               gsize        len)
{
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 word;

      memcpy (&word, text + i, 8);
      if (word & G_GUINT64_CONSTANT (0x8080808080808080))
        return TRUE;
    }
  for (; i < len; i++)
    if ((guchar) text[i] >= 0x80)
      return TRUE;
  return FALSE;
}

/* @len is strlen (@text); *@ascii (nullable) says whether it is ASCII. */
static gboolean
check_utf8 (const gchar *text,
            gsize        len,
            gboolean    *ascii,
            GError     **error)
{
  const gchar *bad;

  if (!has_non_ascii (text, len))
    {
      if (ascii != NULL)
        *ascii = TRUE;
      return TRUE;
    }
  if (ascii != NULL)
    *ascii = FALSE;
  if (g_utf8_validate (text, (gssize) len, &bad))
    return TRUE;
  g_set_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_NOT_UTF8,
               "FURL is not valid UTF-8 (bad byte 0x%02x at offset %" G_GSIZE_FORMAT "); "
               "FURLs and NURLs must be UTF-8 text",
               (guint) (guchar) *bad, (gsize) (bad - text));
  return FALSE;
}

/* Where decode_furl() found its groups in the text. */
typedef struct {
  gsize match_start;   /* the "pb://" that matched */
  gsize tubid_start;   /* group 1 */
  gsize tubid_end;     /* after its first 32 characters */
  gsize at;            /* group 1 ends here; the hints start after it */
  gsize slash;         /* the hints end here */
  gsize name_start;    /* group 3 */
  gsize name_end;
  guint n_hints;       /* hints.split(",") pieces; 0 for "" */
  gboolean kelvin;     /* the tub ID has a U+212A */
  gboolean dropped_newline;  /* `$` matched before a final "\n" after the name */
} FurlSpans;

/* decode_furl() on @text (valid UTF-8, @len = strlen (@text)), without
 * copying anything: the GError message is Foolscap's exact text. */
static gboolean
decode_furl_spans (const gchar *text,
                   gsize        len,
                   gboolean     ascii,
                   FurlSpans   *out,
                   GError     **error)
{
  /* AUTH_STURDYREF_RE `pb://([^@]+)@([^/]*)/(.+)$` with search(): tried
   * at each "pb://" in turn.  At a given start there is at most one way
   * to match: group 1 cannot cross an '@', so it ends at the first one;
   * group 2 cannot cross a '/', so it ends at the first one after that;
   * group 3 (`.` takes no "\n") runs to the first "\n", where `$` must
   * then match (end of text, or a final "\n"). */
  FindCache at_cache = { FALSE, 0, 0 }, slash_cache = { FALSE, 0, 0 }, nl_cache = { FALSE, 0, 0 };
  gsize q;

  for (q = find_scheme (text, len, 0); q != G_MAXSIZE; q = find_scheme (text, len, q + 1))
    {
      gsize g1 = q + 5, at, slash, g3, nl, g3_end, tub_end, pos;
      guint count;

      at = find_from (text, len, '@', g1, &at_cache);
      if (at == G_MAXSIZE)
        break;  /* no later start finds one either */
      if (at == g1)
        continue;
      slash = find_from (text, len, '/', at + 1, &slash_cache);
      if (slash == G_MAXSIZE)
        break;
      g3 = slash + 1;
      nl = find_from (text, len, '\n', g3, &nl_cache);
      g3_end = nl == G_MAXSIZE ? len : nl;
      if (g3_end == g3 || (nl != G_MAXSIZE && nl + 1 != len))
        continue;

      /* Matched. */
      out->match_start = q;
      out->tubid_start = g1;
      if (ascii)
        tub_end = MIN (g1 + 32, at);
      else
        for (tub_end = g1, count = 0; tub_end < at && count < 32; count++)
          tub_end = (gsize) (g_utf8_next_char (text + tub_end) - text);
      out->tubid_end = tub_end;
      if (!py_is_base32 (text, g1, tub_end, &out->kelvin))
        {
          gchar *tubid = g_strndup (text + g1, tub_end - g1);

          g_set_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_TUBID,
                       "'%s' is not a valid tubid", tubid);
          g_free (tubid);
          return FALSE;
        }

      out->at = at;
      out->slash = slash;
      out->n_hints = 0;
      if (slash > at + 1)
        {
          gsize piece = at + 1;

          for (;;)
            {
              const gchar *comma = memchr (text + piece, ',', slash - piece);

              pos = comma != NULL ? (gsize) (comma - text) : slash;
              if (pos == piece)
                {
                  g_set_error_literal (error, FURLHINT_FURL_ERROR,
                                       FURLHINT_FURL_ERROR_EMPTY_HINT,
                                       "no connection hint may be empty");
                  return FALSE;
                }
              out->n_hints++;
              if (pos == slash)
                break;
              piece = pos + 1;
            }
        }
      out->name_start = g3;
      out->name_end = g3_end;
      out->dropped_newline = nl != G_MAXSIZE;
      return TRUE;
    }

  {
    /* Foolscap's words, but its %r would quote the name, a capability. */
    gchar *censored = furlhint_furl_censor_text (text);
    gchar *repr = fh_py_repr (censored);

    g_set_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_UNKNOWN_PREFIX,
                 "unknown FURL prefix in %s", repr);
    g_free (repr);
    g_free (censored);
  }
  return FALSE;
}

gboolean
fh_foolscap_decode_furl (const gchar   *text,
                         FhDecodedFurl *out,
                         GError       **error)
{
  FurlSpans spans;
  gboolean ascii;
  gsize len;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  len = strlen (text);
  if (!check_utf8 (text, len, &ascii, error) ||
      !decode_furl_spans (text, len, ascii, &spans, error))
    return FALSE;

  out->match_start = spans.match_start;
  out->tubid = g_strndup (text + spans.tubid_start, spans.tubid_end - spans.tubid_start);
  out->tubid_rest = g_strndup (text + spans.tubid_end, spans.at - spans.tubid_end);
  if (spans.n_hints == 0)
    out->hints = g_new0 (gchar *, 1);
  else
    out->hints = split_commas (text, spans.at + 1, spans.slash);
  out->name = g_strndup (text + spans.name_start, spans.name_end - spans.name_start);
  out->dropped_newline = spans.dropped_newline;
  return TRUE;
}

gchar **
fh_decoded_furl_lint (const gchar         *text,
                      const FhDecodedFurl *decoded)
{
  GPtrArray *lint = g_ptr_array_new ();

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (decoded != NULL, NULL);

  if (decoded->match_start > 0)
    {
      gchar *before = g_strndup (text, decoded->match_start);
      gchar *repr = short_repr (before);

      g_ptr_array_add (lint, g_strdup_printf ("text before \"pb://\" is ignored: %s", repr));
      g_free (repr);
      g_free (before);
    }
  if (decoded->tubid_rest != NULL && decoded->tubid_rest[0] != '\0')
    {
      gchar *repr = short_repr (decoded->tubid_rest);

      g_ptr_array_add (lint, g_strdup_printf ("tub ID is longer than 32 characters; "
                                              "Foolscap ignores the rest: %s", repr));
      g_free (repr);
    }
  if (decoded->tubid != NULL && strstr (decoded->tubid, "\xe2\x84\xaa") != NULL)
    g_ptr_array_add (lint, g_strdup ("tub ID contains U+212A KELVIN SIGN, "
                                     "which Foolscap accepts as \"k\""));
  if (decoded->dropped_newline)
    g_ptr_array_add (lint, g_strdup ("the newline after the name is ignored"));

  g_ptr_array_add (lint, NULL);
  return (gchar **) g_ptr_array_free (lint, FALSE);
}

/* --- FurlHintFurl ------------------------------------------------------------ */

/* A FURL with its hints and strings in one allocation.  The hints are
 * the @n_hints comma-separated pieces of the @hints_len bytes at @hints
 * (one piece, commas and all, when @n_hints is 1). */
static FurlHintFurl *
furl_build (FurlHintFurlKind kind,
            const gchar     *tubid,
            gsize            tubid_len,
            const gchar     *name,
            gsize            name_len,
            const gchar     *hints,
            gsize            hints_len,
            guint            n_hints)
{
  gsize size = sizeof (FurlHintFurl) + n_hints * sizeof (FurlHintHint) +
               tubid_len + 1 + name_len + 1 +
               _FURLHINT_HINT_STRINGS_SIZE (hints_len) +
               (gsize) n_hints * _FURLHINT_HINT_STRINGS_SIZE (0);
  FurlHintFurl *furl = g_malloc (size);
  gchar *strings;
  gsize piece;
  guint i;

  g_atomic_ref_count_init (&furl->ref_count);
  furl->kind = kind;
  furl->network = FURLHINT_NETWORK_ANY;
  furl->nurl_version = 0;
  furl->n_hints = n_hints;
  furl->hints = (FurlHintHint *) (furl + 1);
  furl->lint = NULL;
  furl->location = NULL;

  strings = (gchar *) (furl->hints + n_hints);
  memcpy (strings, tubid, tubid_len);
  strings[tubid_len] = '\0';
  furl->tubid = strings;
  strings += tubid_len + 1;
  memcpy (strings, name, name_len);
  strings[name_len] = '\0';
  furl->name = strings;
  strings += name_len + 1;

  for (i = 0, piece = 0; i < n_hints; i++)
    {
      const gchar *comma = i + 1 < n_hints ? memchr (hints + piece, ',', hints_len - piece) : NULL;
      gsize end = comma != NULL ? (gsize) (comma - hints) : hints_len;

      strings = fh_hint_init (&furl->hints[i], hints + piece, end - piece, strings);
      piece = end + 1;
    }

  g_assert ((gsize) (strings - (gchar *) furl) <= size);
  return furl;
}

static FurlHintFurl *
parse_furl (const gchar *text,
            gsize        len,
            gboolean     ascii,
            GError     **error)
{
  FurlSpans spans;
  GError *local = NULL;
  FurlHintFurl *furl;

  if (!decode_furl_spans (text, len, ascii, &spans, &local))
    {
      const gchar *accepted;

      switch (local->code)
        {
        case FURLHINT_FURL_ERROR_BAD_TUBID:
          accepted = "a tub ID starts with 32 base32 characters: a-z and 2-7, in any letter case";
          break;
        case FURLHINT_FURL_ERROR_EMPTY_HINT:
          accepted = "separate hints with single commas, none at either end; "
                     "a FURL without hints is written pb://TUBID@/NAME";
          break;
        case FURLHINT_FURL_ERROR_UNKNOWN_PREFIX:
          accepted = ACCEPTED_FORMS;
          break;
        default:
          accepted = NULL;
          break;
        }
      if (accepted != NULL)
        g_set_error (error, local->domain, local->code, "%s (%s)", local->message, accepted);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      g_clear_error (&local);
      return NULL;
    }

  furl = furl_build (FURLHINT_FURL_KIND_FURL,
                     text + spans.tubid_start, spans.tubid_end - spans.tubid_start,
                     text + spans.name_start, spans.name_end - spans.name_start,
                     text + spans.at + 1, spans.slash - spans.at - 1, spans.n_hints);

  /* The FURL-level lint, in the rare case there is any, from the same
   * decoder's strings. */
  if (spans.match_start > 0 || spans.tubid_end != spans.at || spans.kelvin ||
      spans.dropped_newline)
    {
      FhDecodedFurl decoded;

      if (fh_foolscap_decode_furl (text, &decoded, NULL))
        {
          furl->lint = fh_decoded_furl_lint (text, &decoded);
          fh_decoded_furl_clear (&decoded);
        }
    }
  return furl;
}

/* RFC 2396 "unreserved": what url.rst allows in a NURL hash. */
static gboolean
is_unreserved (gchar c)
{
  return g_ascii_isalnum (c) || strchr ("-_.!~*'()", c) != NULL;
}

static gboolean
ascii_port_ok (const gchar *port)
{
  gsize n = strlen (port), i;
  guint v = 0;

  if (n == 0 || n > 5)
    return FALSE;
  for (i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (port[i]))
        return FALSE;
      v = v * 10 + (guint) (port[i] - '0');
    }
  return v >= 1 && v <= 65535;
}

/* Sets a BAD_FURL error whose (literal) format has one %s: repr (@what),
 * with what may be a swissnum censored (furlhint_furl_censor_text()). */
#define NURL_ERROR(error, format, what) \
  G_STMT_START { \
    gchar *censored_ = furlhint_furl_censor_text (what); \
    gchar *repr_ = fh_py_repr (censored_); \
    g_set_error ((error), FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_FURL, format, repr_); \
    g_free (repr_); \
    g_free (censored_); \
  } G_STMT_END

/* One NURL location → the canonical hint (see the comment at the top). */
static gchar *
nurl_location_to_hint (const gchar    *location,
                       FurlHintNetwork network,
                       GError        **error)
{
  const gchar *rest = location, *type, *colon, *p;
  gchar *host = NULL, *port = NULL, *hint = NULL;

  /* The hint type: from the network, or from a written prefix that the
   * network allows (NULL: it does not). */
  if (g_str_has_prefix (location, "tcp:"))
    type = network == FURLHINT_NETWORK_ANY ? "tcp" : network == FURLHINT_NETWORK_TOR ? "tor" : NULL;
  else if (g_str_has_prefix (location, "tor:"))
    type = network == FURLHINT_NETWORK_I2P ? NULL : "tor";
  else if (g_str_has_prefix (location, "i2p:"))
    type = network == FURLHINT_NETWORK_TOR ? NULL : "i2p";
  else
    type = network == FURLHINT_NETWORK_ANY ? "tcp" : network == FURLHINT_NETWORK_TOR ? "tor" : "i2p";
  if (g_str_has_prefix (location, "tcp:") || g_str_has_prefix (location, "tor:") ||
      g_str_has_prefix (location, "i2p:"))
    rest = location + 4;

  if (type == NULL)
    {
      NURL_ERROR (error, network == FURLHINT_NETWORK_TOR
                    ? "a pb+tor NURL cannot have the location %s (accepted: HOST:PORT, "
                      "tcp:HOST:PORT or tor:HOST:PORT)"
                    : "a pb+i2p NURL cannot have the location %s (accepted: DEST[:PORT] "
                      "or i2p:DEST[:PORT])",
                  location);
      return NULL;
    }

  if (rest[0] == '[' && strcmp (type, "i2p") != 0)
    {
      const gchar *close = strchr (rest, ']');

      if (strcmp (type, "tor") == 0)
        {
          NURL_ERROR (error, "NURL location %s is an IPv6 address, which Tor hints cannot "
                             "carry (accepted: a DNS name, .onion or IPv4 address, then :PORT)",
                      location);
          return NULL;
        }
      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        goto bad_location;
      host = g_strndup (rest, (gsize) (close - rest + 1));
      port = close[1] == ':' ? g_strdup (close + 2) : NULL;
    }
  else
    {
      colon = strchr (rest, ':');
      host = colon != NULL ? g_strndup (rest, (gsize) (colon - rest)) : g_strdup (rest);
      port = colon != NULL ? g_strdup (colon + 1) : NULL;
      if (host[0] == '\0')
        goto bad_location;
      for (p = host; *p != '\0'; p++)
        if (!(g_ascii_isalnum (*p) || *p == '.' || *p == '-'))
          goto bad_location;
    }

  if (port == NULL && strcmp (type, "i2p") != 0)
    {
      NURL_ERROR (error, "NURL location %s has no port (expected HOST:PORT, PORT 1-65535)",
                  location);
      goto out;
    }
  if (port != NULL && !ascii_port_ok (port))
    goto bad_location;

  /* The port normalised ("0080" → "80"), as Foolscap's int() would. */
  if (port != NULL)
    hint = g_strdup_printf ("%s:%s:%u", type, host, (guint) g_ascii_strtoull (port, NULL, 10));
  else
    hint = g_strdup_printf ("%s:%s", type, host);

  /* The hint must be one the Foolscap views take, so that the plugins
   * parse exactly what we accepted here (e.g. a well-formed IPv6). */
  {
    FhFoolscapAddr addr = { NULL, NULL, FALSE };
    gboolean ok;

    if (strcmp (type, "tcp") == 0)
      ok = fh_foolscap_match_tcp (hint, &addr, NULL);
    else if (strcmp (type, "i2p") == 0)
      ok = fh_foolscap_match_i2p (hint, &addr, NULL);
    else
      {
        gchar *msg = NULL;

        /* Refusing a non-Tor-able address is the router's job, not
         * syntax: only "unrecognized" counts here. */
        ok = fh_foolscap_match_tor (hint, &addr, &msg) ||
             g_str_has_prefix (msg, "ignoring non-Tor-able");
        g_free (msg);
      }
    fh_foolscap_addr_clear (&addr);
    if (!ok)
      {
        g_clear_pointer (&hint, g_free);
        goto bad_location;
      }
  }
  goto out;

bad_location:
  NURL_ERROR (error, strcmp (type, "i2p") == 0
                ? "NURL location %s is not DEST[:PORT] (accepted: an I2P destination of "
                  "A-Z a-z 0-9 . -, then optionally :PORT with PORT 1-65535)"
                : "NURL location %s is not HOST:PORT (accepted: a DNS name, an IPv4 "
                  "address or a bracketed IPv6 address, then :PORT with PORT 1-65535)",
              location);
out:
  g_free (host);
  g_free (port);
  return hint;
}

static FurlHintFurl *
parse_nurl (const gchar    *text,
            gsize           scheme_len,
            FurlHintNetwork network,
            GError        **error)
{
  const gchar *body = text + scheme_len;
  const gchar *hash_p, *at, *slash, *p;
  gchar *body_copy = NULL, *hash = NULL, *location = NULL, *swissnum = NULL, *hint = NULL;
  const gchar *fragment;
  FurlHintFurl *furl = NULL;
  guint version = 0;
  guint n_locations = 1;

  fragment = strchr (body, '#');
  body_copy = fragment != NULL ? g_strndup (body, (gsize) (fragment - body)) : g_strdup (body);
  if (fragment != NULL)
    {
      if (strcmp (fragment, "#v=1") != 0)
        {
          NURL_ERROR (error, "unknown NURL fragment %s (accepted: \"#v=1\", or no fragment "
                             "on pb+tor:// and pb+i2p://)", fragment);
          goto out;
        }
      version = 1;
    }

  hash_p = body_copy;
  at = strchr (hash_p, '@');
  if (at == NULL)
    {
      NURL_ERROR (error, "NURL %s has no \"@\" after its hash (" ACCEPTED_FORMS ")", text);
      goto out;
    }
  hash = g_strndup (hash_p, (gsize) (at - hash_p));
  if (hash[0] == '\0')
    {
      NURL_ERROR (error, "NURL %s has an empty hash (expected the server's SPKI hash, "
                         "unpadded urlsafe base64, before the \"@\")", text);
      goto out;
    }
  for (p = hash; *p != '\0'; p++)
    if (!is_unreserved (*p))
      {
        NURL_ERROR (error, "NURL hash %s has a character URLs do not allow there "
                           "(accepted: A-Z a-z 0-9 - _ . ! ~ * ' ( ))", hash);
        goto out;
      }

  slash = strchr (at + 1, '/');
  if (slash == NULL)
    {
      NURL_ERROR (error, "NURL %s has no \"/SWISSNUM\" after its location (" ACCEPTED_FORMS ")",
                  text);
      goto out;
    }
  location = g_strndup (at + 1, (gsize) (slash - at - 1));
  swissnum = g_strdup (slash + 1);

  for (p = location; *p != '\0'; p++)
    if (*p == ',')
      n_locations++;
  if (location[0] == '\0' || n_locations != 1)
    {
      gchar *repr = fh_py_repr (location);

      g_set_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_FURL,
                   "a NURL has exactly one location, %s has %u (expected one HOST:PORT)",
                   repr, location[0] == '\0' ? 0 : n_locations);
      g_free (repr);
      goto out;
    }

  if (swissnum[0] == '\0')
    {
      NURL_ERROR (error, "NURL %s has an empty swissnum (expected /SWISSNUM after the location)",
                  text);
      goto out;
    }
  for (p = swissnum; *p != '\0'; p++)
    if (*p == '/' || *p == '?' || g_ascii_isspace (*p) || g_ascii_iscntrl (*p))
      {
        /* The swissnum itself is a secret: only the character is shown. */
        gchar *bad = g_strndup (p, 1);

        NURL_ERROR (error, "the NURL swissnum has the character %s, which a URL path "
                           "segment cannot hold (accepted: URL path characters other "
                           "than '/', '?', spaces and controls)", bad);
        g_free (bad);
        goto out;
      }

  hint = nurl_location_to_hint (location, network, error);
  if (hint == NULL)
    goto out;

  furl = furl_build (FURLHINT_FURL_KIND_NURL, hash, strlen (hash), swissnum, strlen (swissnum),
                     hint, strlen (hint), 1);
  furl->network = network;
  furl->nurl_version = version;
  furl->location = g_steal_pointer (&location);

out:
  g_free (body_copy);
  g_free (hash);
  g_free (location);
  g_free (swissnum);
  g_free (hint);
  return furl;
}

/* A `#v=...` fragment after a "pb://": the mark of a pb:// NURL. */
static gboolean
has_nurl_fragment (const gchar *text)
{
  const gchar *hash = strrchr (text, '#');
  const gchar *scheme = strstr (text, "pb://");

  return hash != NULL && scheme != NULL && scheme < hash && g_str_has_prefix (hash + 1, "v=");
}

FurlHintFurl *
furlhint_furl_parse (const gchar *text,
                     GError     **error)
{
  gboolean ascii;
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (text);
  if (!check_utf8 (text, len, &ascii, error))
    return NULL;

  if (len >= 9 && memcmp (text, "pb+tor://", 9) == 0)
    return parse_nurl (text, 9, FURLHINT_NETWORK_TOR, error);
  if (len >= 9 && memcmp (text, "pb+i2p://", 9) == 0)
    return parse_nurl (text, 9, FURLHINT_NETWORK_I2P, error);
  if (has_nurl_fragment (text))
    {
      if (len >= 5 && memcmp (text, "pb://", 5) == 0)
        return parse_nurl (text, 5, FURLHINT_NETWORK_ANY, error);
      gchar *censored = furlhint_furl_censor_text (text);

      g_set_error (error, FURLHINT_FURL_ERROR, FURLHINT_FURL_ERROR_BAD_FURL,
                   "a NURL (it ends in a #v= fragment) must start with its scheme, "
                   "but %s has text before \"pb://\" (accepted: pb://HASH@HOST:PORT/SWISSNUM#v=1)",
                   censored);
      g_free (censored);
      return NULL;
    }
  return parse_furl (text, len, ascii, error);
}

FurlHintFurl *
furlhint_furl_ref (FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, NULL);

  g_atomic_ref_count_inc (&furl->ref_count);
  return furl;
}

void
furlhint_furl_unref (FurlHintFurl *furl)
{
  if (furl == NULL)
    return;
  if (!g_atomic_ref_count_dec (&furl->ref_count))
    return;
  for (guint i = 0; i < furl->n_hints; i++)
    if (furl->hints[i].lint != NULL)
      fh_hint_clear (&furl->hints[i]);
  g_strfreev (furl->lint);
  g_free (furl->location);
  g_free (furl);
}

FurlHintFurlKind
furlhint_furl_get_kind (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, FURLHINT_FURL_KIND_FURL);
  return furl->kind;
}

FurlHintNetwork
furlhint_furl_get_network (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, FURLHINT_NETWORK_ANY);
  return furl->network;
}

guint
furlhint_furl_get_nurl_version (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, 0);
  return furl->nurl_version;
}

const gchar *
furlhint_furl_get_tubid (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, NULL);
  return furl->tubid;
}

const gchar *
furlhint_furl_get_name (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, NULL);
  return furl->name;
}

guint
furlhint_furl_get_n_hints (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, 0);
  return furl->n_hints;
}

const FurlHintHint *
furlhint_furl_get_hint (const FurlHintFurl *furl,
                        guint               index)
{
  g_return_val_if_fail (furl != NULL, NULL);
  g_return_val_if_fail (index < furl->n_hints, NULL);
  return &furl->hints[index];
}

const gchar *const *
furlhint_furl_get_lint (const FurlHintFurl *furl)
{
  g_return_val_if_fail (furl != NULL, NULL);
  return furl->lint != NULL ? (const gchar *const *) furl->lint : no_lint;
}

gchar *
furlhint_furl_to_string (const FurlHintFurl *furl)
{
  GString *out;
  guint i;

  g_return_val_if_fail (furl != NULL, NULL);

  out = g_string_new (NULL);
  if (furl->kind == FURLHINT_FURL_KIND_NURL)
    {
      g_string_append (out, furl->network == FURLHINT_NETWORK_TOR ? "pb+tor://"
                            : furl->network == FURLHINT_NETWORK_I2P ? "pb+i2p://" : "pb://");
      g_string_append (out, furl->tubid);
      g_string_append_c (out, '@');
      g_string_append (out, furl->location);
      g_string_append_c (out, '/');
      g_string_append (out, furl->name);
      if (furl->nurl_version == 1)
        g_string_append (out, "#v=1");
      return g_string_free (out, FALSE);
    }

  /* foolscap.furl.encode_furl() */
  g_string_append (out, "pb://");
  g_string_append (out, furl->tubid);
  g_string_append_c (out, '@');
  for (i = 0; i < furl->n_hints; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, furl->hints[i].text);
    }
  g_string_append_c (out, '/');
  g_string_append (out, furl->name);
  return g_string_free (out, FALSE);
}

gchar *
furlhint_furl_to_censored_string (const FurlHintFurl *furl)
{
  GString *out;

  g_return_val_if_fail (furl != NULL, NULL);

  out = g_string_new (NULL);
  if (furl->kind == FURLHINT_FURL_KIND_NURL)
    {
      g_string_append (out, furl->network == FURLHINT_NETWORK_TOR ? "pb+tor://"
                            : furl->network == FURLHINT_NETWORK_I2P ? "pb+i2p://" : "pb://");
      g_string_append (out, furl->tubid);
      g_string_append_c (out, '@');
      g_string_append (out, furl->location);
      g_string_append (out, "/" FURLHINT_CENSORED);
      if (furl->nurl_version == 1)
        g_string_append (out, "#v=1");
      return g_string_free (out, FALSE);
    }

  g_string_append (out, "pb://");
  g_string_append (out, furl->tubid);
  g_string_append_c (out, '@');
  for (guint i = 0; i < furl->n_hints; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, furl->hints[i].text);
    }
  g_string_append (out, "/" FURLHINT_CENSORED);
  return g_string_free (out, FALSE);
}

/* One line of furlhint_furl_censor_text(). */
static void
censor_line (GString     *out,
             const gchar *line,
             gsize        len)
{
  const gchar *end = line + len;
  const gchar *scheme = g_strstr_len (line, (gssize) len, "://");
  const gchar *from = scheme != NULL ? scheme + 3 : line;
  const gchar *at = memchr (from, '@', (gsize) (end - from));
  const gchar *slash;

  if (at != NULL)
    from = at + 1;
  slash = (scheme != NULL || at != NULL) ? memchr (from, '/', (gsize) (end - from)) : NULL;
  if (slash == NULL || slash + 1 == end)
    {
      g_string_append_len (out, line, (gssize) len);
      return;
    }
  g_string_append_len (out, line, slash + 1 - line);
  g_string_append (out, FURLHINT_CENSORED);
}

gchar *
furlhint_furl_censor_text (const gchar *text)
{
  GString *out;
  const gchar *p;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_new (NULL);
  for (p = text;;)
    {
      const gchar *nl = strchr (p, '\n');

      censor_line (out, p, nl != NULL ? (gsize) (nl - p) : strlen (p));
      if (nl == NULL)
        break;
      g_string_append_c (out, '\n');
      p = nl + 1;
    }
  return g_string_free (out, FALSE);
}
