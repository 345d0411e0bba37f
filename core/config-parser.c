/* A reader for Python configparser syntax, as Tahoe-LAFS reads tahoe.cfg.
 *
 * The line loop follows RawConfigParser._read() of Python 3.11 step by
 * step (see config-parser.h for the settings Tahoe passes): a line whose
 * stripped text starts with `#` or `;` is a comment wherever it is
 * indented; an empty line is added to the value being read (trailing ones
 * are stripped when the value is joined); a line indented deeper than the
 * line that started the current key continues it; otherwise the stripped
 * line is a section header (`[` ... last `]`, anything after it ignored, as
 * SECTCRE's greedy `.+` does), or a key line split at its FIRST `=` or `:`.
 *
 * Differences, all refusals of input Python would take or choke on
 * differently: a NUL byte and invalid UTF-8 are errors naming the line
 * (Python reads NULs as text, and raises UnicodeDecodeError without a
 * line); parsing errors report the first bad line and how many others.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "config-parser.h"

#include <furlhint/furlhint.h>

#include <string.h>

#include "endpoint.h"

/* configparser.MAX_INTERPOLATION_DEPTH */
#define MAX_INTERPOLATION_DEPTH 10
/* Python has no such limit; we need one: ten levels of ten references
 * each turn a 400-byte file into 10^10 bytes (an interpolation bomb). */
#define MAX_INTERPOLATED_SIZE (1024 * 1024)

#define QUOTE_MAX_CHARS 200

/* str.isspace() / re's \s on str patterns. */
static gboolean
py_isspace (gunichar c)
{
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
    return TRUE;
  if (c < 0x85)
    return FALSE;
  switch (c)
    {
    case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202f: case 0x205f: case 0x3000:
      return TRUE;
    default:
      return c >= 0x2000 && c <= 0x200a;
    }
}

/* Byte offsets of the stripped part of [start, end) (valid UTF-8). */
static void
strip_bounds (const gchar *start,
              const gchar *end,
              const gchar **out_start,
              const gchar **out_end)
{
  while (start < end && py_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start)
    {
      const gchar *prev = g_utf8_find_prev_char (start, end);

      if (prev == NULL)
        prev = start;
      if (!py_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  *out_start = start;
  *out_end = end;
}

gchar *
fh_cfg_strip (const gchar *text)
{
  const gchar *s, *e;

  g_return_val_if_fail (text != NULL, NULL);

  strip_bounds (text, text + strlen (text), &s, &e);
  return g_strndup (s, e - s);
}

static void
string_rstrip (GString *string)
{
  const gchar *start = string->str;
  const gchar *end = string->str + string->len;

  while (end > start)
    {
      const gchar *prev = g_utf8_find_prev_char (start, end);

      if (prev == NULL || !py_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  g_string_truncate (string, end - start);
}

gchar *
fh_cfg_key_fold (const gchar *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  /* Keys are nearly always ASCII, and g_utf8_strdown() is slow (it is on
   * the ranking path: furlhint_config_get_value()). */
  for (const gchar *p = key; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return g_utf8_strdown (key, -1);
  return g_ascii_strdown (key, -1);
}

gchar *
fh_cfg_quote (const gchar *text)
{
  GString *out = g_string_new ("\"");
  const gchar *p;
  guint n = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL))
    {
      gchar *escaped = g_strescape (text, NULL);

      g_string_append (out, escaped);
      g_string_append_c (out, '"');
      g_free (escaped);
      return g_string_free (out, FALSE);
    }

  for (p = text; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c;

      if (n == QUOTE_MAX_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      c = g_utf8_get_char (p);
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_unichar (out, c);
        }
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

gchar *
fh_cfg_display_value (const gchar *key,
                      const gchar *value)
{
  gchar *credentials;
  gchar *shown;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  if (strlen (key) >= 8 && g_ascii_strcasecmp (key + strlen (key) - 8, "password") == 0)
    return g_strdup (FURLHINT_CENSORED);
  credentials = fh_endpoint_censor_credentials (value);
  shown = furlhint_furl_censor_text (credentials);
  g_free (credentials);
  return shown;
}

gchar *
fh_cfg_quote_value (const gchar *key,
                    const gchar *value)
{
  gchar *shown = fh_cfg_display_value (key, value);
  gchar *quoted = fh_cfg_quote (shown);

  g_free (shown);
  return quoted;
}

/* Whether messages must not quote any part of @value. */
static gboolean
value_is_secret (const gchar *key,
                 const gchar *value)
{
  gchar *shown = fh_cfg_display_value (key, value);
  gboolean secret = strcmp (shown, value) != 0;

  g_free (shown);
  return secret;
}

/* A fragment of the value of @key for a message: quoted, or censored
 * whole when the value holds a secret (a fragment of a password would
 * not look like one). */
static gchar *
quote_fragment (const gchar *key,
                const gchar *value,
                const gchar *fragment)
{
  if (value_is_secret (key, value))
    return fh_cfg_quote (FURLHINT_CENSORED);
  return fh_cfg_quote (fragment);
}

/* A line that is no key line: its key is unknown, so a line naming a
 * password is not shown, and a FURL's name is censored. */
static gchar *
quote_bad_line (const gchar *line)
{
  gchar *folded = g_ascii_strdown (line, -1);
  gchar *quoted;

  if (strstr (folded, "password") != NULL)
    quoted = fh_cfg_quote (FURLHINT_CENSORED);
  else
    quoted = fh_cfg_quote_value ("", line);
  g_free (folded);
  return quoted;
}

gboolean
fh_cfg_parse_boolean (const gchar *value,
                      gboolean *out)
{
  static const gchar *const yes[] = { "1", "yes", "true", "on", NULL };
  static const gchar *const no[] = { "0", "no", "false", "off", NULL };
  gchar *lower;
  gboolean ok = TRUE;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  lower = g_utf8_strdown (value, -1);
  if (g_strv_contains (yes, lower))
    *out = TRUE;
  else if (g_strv_contains (no, lower))
    *out = FALSE;
  else
    ok = FALSE;
  g_free (lower);
  return ok;
}

/* --- the document ------------------------------------------------------- */

static void
option_free (gpointer data)
{
  FhCfgOption *option = data;

  g_free (option->key);
  g_free (option->value);
  g_free (option->origin);
  g_free (option);
}

static FhCfgSection *
section_new (const gchar *name,
             guint line)
{
  FhCfgSection *section = g_new0 (FhCfgSection, 1);

  section->name = g_strdup (name);
  section->line = line;
  section->options = g_ptr_array_new_with_free_func (option_free);
  section->index = g_hash_table_new (g_str_hash, g_str_equal);
  return section;
}

static void
section_free (gpointer data)
{
  FhCfgSection *section = data;

  if (section == NULL)
    return;
  g_hash_table_unref (section->index);
  g_ptr_array_unref (section->options);
  g_free (section->name);
  g_free (section);
}

FhCfgDocument *
fh_cfg_document_new (const gchar *origin)
{
  FhCfgDocument *doc = g_new0 (FhCfgDocument, 1);

  doc->origin = g_strdup (origin != NULL ? origin : "(data)");
  doc->defaults = section_new (FH_CFG_DEFAULT_SECTION, 0);
  doc->sections = g_ptr_array_new_with_free_func (section_free);
  doc->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  doc->notes = g_ptr_array_new_with_free_func (g_free);
  return doc;
}

void
fh_cfg_document_free (FhCfgDocument *doc)
{
  if (doc == NULL)
    return;
  g_hash_table_unref (doc->by_name);
  g_ptr_array_unref (doc->sections);
  section_free (doc->defaults);
  g_ptr_array_unref (doc->notes);
  g_free (doc->origin);
  g_free (doc);
}

static FhCfgSection *
doc_add_section (FhCfgDocument *doc,
                 const gchar *name,
                 guint line)
{
  FhCfgSection *section;

  if (strcmp (name, FH_CFG_DEFAULT_SECTION) == 0)
    return doc->defaults;
  section = g_hash_table_lookup (doc->by_name, name);
  if (section != NULL)
    return section;
  section = section_new (name, line);
  g_ptr_array_add (doc->sections, section);
  g_hash_table_insert (doc->by_name, section->name, section);
  return section;
}

/* Python dict assignment: an existing key keeps its place. */
static FhCfgOption *
section_set (FhCfgSection *section,
             const gchar *folded_key,
             gchar *value,
             const gchar *origin,
             guint line)
{
  FhCfgOption *option = g_hash_table_lookup (section->index, folded_key);

  if (option == NULL)
    {
      option = g_new0 (FhCfgOption, 1);
      option->key = g_strdup (folded_key);
      g_ptr_array_add (section->options, option);
      g_hash_table_insert (section->index, option->key, option);
    }
  g_free (option->value);
  option->value = value;
  if (option->origin == NULL || strcmp (option->origin, origin) != 0)
    {
      g_free (option->origin);
      option->origin = g_strdup (origin);
    }
  option->line = line;
  return option;
}

static void
section_remove (FhCfgSection *section,
                const gchar *folded_key)
{
  FhCfgOption *option = g_hash_table_lookup (section->index, folded_key);

  if (option == NULL)
    return;
  g_hash_table_remove (section->index, folded_key);
  g_ptr_array_remove (section->options, option);
}

static void
section_copy_into (const FhCfgSection *from,
                   FhCfgSection *to)
{
  guint i;

  for (i = 0; i < from->options->len; i++)
    {
      const FhCfgOption *option = g_ptr_array_index (from->options, i);

      section_set (to, option->key, g_strdup (option->value), option->origin, option->line);
    }
}

FhCfgDocument *
fh_cfg_document_copy (const FhCfgDocument *doc)
{
  FhCfgDocument *copy;
  guint i;

  g_return_val_if_fail (doc != NULL, NULL);

  copy = fh_cfg_document_new (doc->origin);
  copy->defaults->line = doc->defaults->line;
  section_copy_into (doc->defaults, copy->defaults);
  for (i = 0; i < doc->sections->len; i++)
    {
      const FhCfgSection *section = g_ptr_array_index (doc->sections, i);

      section_copy_into (section, doc_add_section (copy, section->name, section->line));
    }
  for (i = 0; i < doc->notes->len; i++)
    g_ptr_array_add (copy->notes, g_strdup (g_ptr_array_index (doc->notes, i)));
  return copy;
}

FhCfgSection *
fh_cfg_get_section (const FhCfgDocument *doc,
                    const gchar *section)
{
  g_return_val_if_fail (doc != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);

  if (strcmp (section, FH_CFG_DEFAULT_SECTION) == 0)
    return doc->defaults;
  return g_hash_table_lookup (doc->by_name, section);
}

const FhCfgOption *
fh_cfg_lookup (const FhCfgDocument *doc,
               const gchar *section,
               const gchar *key)
{
  FhCfgSection *sect;
  FhCfgOption *option;
  gchar *folded;

  g_return_val_if_fail (doc != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  sect = fh_cfg_get_section (doc, section);
  if (sect == NULL)
    return NULL;
  folded = fh_cfg_key_fold (key);
  option = g_hash_table_lookup (sect->index, folded);
  if (option == NULL)
    option = g_hash_table_lookup (doc->defaults->index, folded);
  g_free (folded);
  return option;
}

GPtrArray *
fh_cfg_list_options (const FhCfgDocument *doc,
                     const gchar *section)
{
  FhCfgSection *sect;
  GPtrArray *list;
  guint i;

  g_return_val_if_fail (doc != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);

  sect = fh_cfg_get_section (doc, section);
  if (sect == NULL)
    return NULL;
  list = g_ptr_array_new ();
  for (i = 0; i < sect->options->len; i++)
    g_ptr_array_add (list, g_ptr_array_index (sect->options, i));
  if (sect != doc->defaults)
    {
      for (i = 0; i < doc->defaults->options->len; i++)
        {
          FhCfgOption *option = g_ptr_array_index (doc->defaults->options, i);

          if (!g_hash_table_contains (sect->index, option->key))
            g_ptr_array_add (list, option);
        }
    }
  return list;
}

void
fh_cfg_set (FhCfgDocument *doc,
            const gchar *section,
            const gchar *key,
            const gchar *value,
            const gchar *origin,
            guint line)
{
  FhCfgSection *sect;
  gchar *folded;

  g_return_if_fail (doc != NULL);
  g_return_if_fail (section != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (origin != NULL);

  folded = fh_cfg_key_fold (key);
  if (value == NULL)
    {
      sect = fh_cfg_get_section (doc, section);
      if (sect != NULL)
        section_remove (sect, folded);
    }
  else
    {
      sect = doc_add_section (doc, section, 0);
      section_set (sect, folded, g_strdup (value), origin, line);
    }
  g_free (folded);
}

/* --- reading ------------------------------------------------------------ */

typedef struct {
  FhCfgDocument *doc;
  FhCfgSection *cursect;     /* (unowned) (nullable) */
  FhCfgOption *cur;          /* (unowned) (nullable) the key being read (Python's optname) */
  GString *acc;              /* its value lines, joined with "\n" */
  guint indent_level;
  guint n_errors;
  gchar *first_error;        /* (owned) */
} Reader;

static void
reader_flush (Reader *r)
{
  if (r->cur != NULL)
    {
      string_rstrip (r->acc);
      g_free (r->cur->value);
      r->cur->value = g_strndup (r->acc->str, r->acc->len);
    }
  r->cur = NULL;
  g_string_truncate (r->acc, 0);
}

static void
reader_error (Reader *r,
              const gchar *format,
              ...) G_GNUC_PRINTF (2, 3);

static void
reader_error (Reader *r,
              const gchar *format,
              ...)
{
  va_list ap;

  r->n_errors++;
  if (r->first_error != NULL)
    return;
  va_start (ap, format);
  r->first_error = g_strdup_vprintf (format, ap);
  va_end (ap);
}

/* One line, without its line break. Returns FALSE on an error that stops
 * reading at once (MissingSectionHeaderError). */
static gboolean
reader_line (Reader *r,
             const gchar *line,
             gsize len,
             guint lineno,
             GError **error)
{
  const gchar *end = line + len;
  const gchar *vs, *ve;
  const gchar *p;
  gchar *value;
  guint indent = 0;

  strip_bounds (line, end, &vs, &ve);

  if (vs == ve || *vs == '#' || *vs == ';')
    {
      /* empty_lines_in_values=True: a blank line (not a comment) belongs
       * to the value being read */
      if (vs == ve && r->cur != NULL)
        g_string_append_c (r->acc, '\n');
      return TRUE;
    }

  for (p = line; p < vs; p = g_utf8_next_char (p))
    indent++;

  value = g_strndup (vs, ve - vs);

  if (r->cursect != NULL && r->cur != NULL && indent > r->indent_level)
    {
      g_string_append_c (r->acc, '\n');
      g_string_append (r->acc, value);
      g_free (value);
      return TRUE;
    }

  r->indent_level = indent;

  if (value[0] == '[')
    {
      const gchar *close = strrchr (value, ']');

      if (close != NULL && close > value + 1)
        {
          gchar *name = g_strndup (value + 1, close - value - 1);

          reader_flush (r);
          r->cursect = doc_add_section (r->doc, name, lineno);
          if (r->cursect == r->doc->defaults && r->doc->defaults->line == 0)
            r->doc->defaults->line = lineno;
          g_free (name);
          g_free (value);
          return TRUE;
        }
    }

  if (r->cursect == NULL)
    {
      gchar *quoted = quote_bad_line (value);

      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX,
                   "%s:%u: %s comes before any section header; expected a "
                   "section header such as [node] first",
                   r->doc->origin, lineno, quoted);
      g_free (quoted);
      g_free (value);
      return FALSE;
    }

  /* OPTCRE: the shortest text before `=` or `:` is the key. */
  p = value + strcspn (value, "=:");
  if (*p == '\0')
    {
      /* Not quoted: in a section, such a line is most often a value
       * that lost its key line or its indentation (`token =` then the
       * secret on the next line), and which keys hold secrets is only
       * known once plugins declare theirs (docs/plugin-guide.md,
       * "Declaring keys"). Python leaves optname as it was after a bad
       * line. */
      reader_error (r, "%s:%u: this line (not shown: it may be a secret value) is not a "
                    "section header, a key line or a comment; expected \"[section]\", "
                    "\"key = value\" or \"key: value\" (a key needs a value, even an "
                    "empty one, and a continuation line must be indented)",
                    r->doc->origin, lineno);
    }
  else
    {
      const gchar *ks, *ke, *os, *oe;

      strip_bounds (value, p, &ks, &ke);
      strip_bounds (p + 1, value + strlen (value), &os, &oe);
      reader_flush (r);
      if (ks == ke)
        {
          gchar *quoted = quote_bad_line (value);

          reader_error (r, "%s:%u: %s has no key before \"%c\"; expected "
                        "\"key = value\"", r->doc->origin, lineno, quoted, *p);
          g_free (quoted);
        }
      else
        {
          gchar *raw_key = g_strndup (ks, ke - ks);
          gchar *key = fh_cfg_key_fold (raw_key);
          FhCfgOption *old = g_hash_table_lookup (r->cursect->index, key);

          if (old != NULL)
            g_ptr_array_add (r->doc->notes,
                             g_strdup_printf ("%s:%u: [%s] %s is given again "
                                              "(first at line %u); the last one "
                                              "counts",
                                              r->doc->origin, lineno,
                                              r->cursect->name, key, old->line));
          r->cur = section_set (r->cursect, key, NULL, r->doc->origin, lineno);
          g_string_append_len (r->acc, os, oe - os);
          g_free (key);
          g_free (raw_key);
        }
    }
  g_free (value);
  return TRUE;
}

static guint
count_lines (const gchar *data,
             const gchar *upto)
{
  guint line = 1;
  const gchar *p;

  for (p = data; p < upto; p++)
    {
      if (*p == '\n')
        line++;
      else if (*p == '\r' && (p + 1 >= upto || p[1] != '\n'))
        line++;
    }
  return line;
}

FhCfgDocument *
fh_cfg_parse (const gchar *data,
              gssize length,
              const gchar *origin,
              GError **error)
{
  Reader r = { NULL, NULL, NULL, NULL, 0, 0, NULL };
  const gchar *end, *p, *bad, *nul;
  guint lineno = 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (origin == NULL)
    origin = "(data)";
  if (length < 0)
    length = strlen (data);
  end = data + length;

  nul = memchr (data, '\0', length);
  if (nul != NULL)
    {
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX,
                   "%s:%u: contains a NUL byte (binary data?); expected a "
                   "UTF-8 text file in tahoe.cfg (ConfigParser) syntax",
                   origin, count_lines (data, nul));
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, &bad))
    {
      const gchar *line_start = bad;

      while (line_start > data && line_start[-1] != '\n' && line_start[-1] != '\r')
        line_start--;
      g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX,
                   "%s:%u: not valid UTF-8 (byte 0x%02x at byte %u of the "
                   "line); expected a UTF-8 text file in tahoe.cfg "
                   "(ConfigParser) syntax",
                   origin, count_lines (data, bad), (guchar) *bad,
                   (guint) (bad - line_start) + 1);
      return NULL;
    }

  /* encoding="utf-8-sig" */
  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    data += 3;

  r.doc = fh_cfg_document_new (origin);
  r.acc = g_string_new (NULL);

  for (p = data; p < end; )
    {
      const gchar *eol = p;

      while (eol < end && *eol != '\n' && *eol != '\r')
        eol++;
      lineno++;
      if (!reader_line (&r, p, eol - p, lineno, error))
        goto fail;
      if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
        eol++;
      p = eol + 1;
    }
  reader_flush (&r);

  if (r.n_errors > 0)
    {
      if (r.n_errors > 1)
        g_set_error (error, FURLHINT_CONFIG_ERROR, FURLHINT_CONFIG_ERROR_SYNTAX,
                     "%s (and %u more bad lines)", r.first_error, r.n_errors - 1);
      else
        g_set_error_literal (error, FURLHINT_CONFIG_ERROR,
                             FURLHINT_CONFIG_ERROR_SYNTAX, r.first_error);
      goto fail;
    }

  g_string_free (r.acc, TRUE);
  return r.doc;

fail:
  g_free (r.first_error);
  g_string_free (r.acc, TRUE);
  fh_cfg_document_free (r.doc);
  return NULL;
}

/* --- interpolation ------------------------------------------------------ */

/* _KEYCRE = %\(([^)]+)\)s at @p (which points at `%`): the length of the
 * match, or 0; *name_start and *name_len the group. */
static gsize
match_keycre (const gchar *p,
              const gchar **name_start,
              gsize *name_len)
{
  const gchar *q;

  if (p[0] != '%' || p[1] != '(')
    return 0;
  q = p + 2;
  while (*q != '\0' && *q != ')')
    q++;
  if (q == p + 2 || q[0] != ')' || q[1] != 's')
    return 0;
  *name_start = p + 2;
  *name_len = q - (p + 2);
  return (q + 2) - p;
}

static gboolean
interpolate_some (const FhCfgDocument *doc,
                  const gchar *section,
                  const FhCfgOption *option,
                  GString *accum,
                  const gchar *rest,
                  guint depth,
                  gchar **message)
{
  if (depth > MAX_INTERPOLATION_DEPTH)
    {
      gchar *raw = fh_cfg_quote_value (option->key, option->value);

      *message = g_strdup_printf ("recursion limit exceeded in value substitution: "
                                  "an interpolation key cannot be substituted in "
                                  "%d steps (raw value %s)",
                                  MAX_INTERPOLATION_DEPTH, raw);
      g_free (raw);
      return FALSE;
    }

  while (*rest != '\0')
    {
      const gchar *pct;
      const gchar *name;
      gsize name_len, match_len;

      if (accum->len > MAX_INTERPOLATED_SIZE)
        {
          *message = g_strdup_printf ("value substitution grows beyond %d bytes "
                                      "(an interpolation bomb?); accepted: values "
                                      "that expand to at most %d bytes",
                                      MAX_INTERPOLATED_SIZE, MAX_INTERPOLATED_SIZE);
          return FALSE;
        }
      pct = strchr (rest, '%');

      if (pct == NULL)
        {
          g_string_append (accum, rest);
          return TRUE;
        }
      g_string_append_len (accum, rest, pct - rest);
      rest = pct;

      if (rest[1] == '%')
        {
          g_string_append_c (accum, '%');
          rest += 2;
        }
      else if (rest[1] == '(')
        {
          const FhCfgOption *ref;
          gchar *var;

          match_len = match_keycre (rest, &name, &name_len);
          if (match_len == 0)
            {
              gchar *quoted = quote_fragment (option->key, option->value, rest);

              *message = g_strdup_printf ("bad interpolation variable reference %s", quoted);
              g_free (quoted);
              return FALSE;
            }
          var = g_strndup (name, name_len);
          ref = fh_cfg_lookup (doc, section, var);
          if (ref == NULL)
            {
              gchar *raw = fh_cfg_quote_value (option->key, option->value);
              gchar *folded = fh_cfg_key_fold (var);

              *message = g_strdup_printf ("bad value substitution: %%(%s)s names "
                                          "no key of [%s] or [DEFAULT] (raw value %s)",
                                          folded, section, raw);
              g_free (folded);
              g_free (raw);
              g_free (var);
              return FALSE;
            }
          g_free (var);
          rest += match_len;
          if (strchr (ref->value, '%') != NULL)
            {
              if (!interpolate_some (doc, section, option, accum, ref->value,
                                     depth + 1, message))
                return FALSE;
            }
          else
            g_string_append (accum, ref->value);
        }
      else
        {
          gchar *quoted = quote_fragment (option->key, option->value, rest);

          *message = g_strdup_printf ("'%%' must be followed by '%%' or '(', found: %s",
                                      quoted);
          g_free (quoted);
          return FALSE;
        }
    }
  return TRUE;
}

gchar *
fh_cfg_interpolate (const FhCfgDocument *doc,
                    const gchar *section,
                    const FhCfgOption *option,
                    gchar **message)
{
  GString *accum;
  gchar *dummy = NULL;

  g_return_val_if_fail (doc != NULL, NULL);
  g_return_val_if_fail (section != NULL, NULL);
  g_return_val_if_fail (option != NULL, NULL);

  if (message == NULL)
    message = &dummy;
  if (strchr (option->value, '%') == NULL)
    return g_strdup (option->value);

  accum = g_string_new (NULL);
  if (!interpolate_some (doc, section, option, accum, option->value, 1, message))
    {
      g_string_free (accum, TRUE);
      g_free (dummy);
      return NULL;
    }
  return g_string_free (accum, FALSE);
}

gboolean
fh_cfg_check_set (const gchar *key,
                  const gchar *value,
                  gchar **message)
{
  GString *tmp, *tmp2;
  const gchar *p, *pct;
  gboolean ok = TRUE;

  g_return_val_if_fail (value != NULL, FALSE);

  /* value.replace('%%', '') */
  tmp = g_string_new (NULL);
  for (p = value; *p != '\0'; )
    {
      if (p[0] == '%' && p[1] == '%')
        p += 2;
      else
        g_string_append_c (tmp, *p++);
    }
  /* _KEYCRE.sub('', tmp_value) */
  tmp2 = g_string_new (NULL);
  for (p = tmp->str; *p != '\0'; )
    {
      const gchar *name;
      gsize name_len, match_len = match_keycre (p, &name, &name_len);

      if (match_len > 0)
        p += match_len;
      else
        g_string_append_c (tmp2, *p++);
    }
  pct = strchr (tmp2->str, '%');
  if (pct != NULL)
    {
      ok = FALSE;
      if (message != NULL)
        {
          gchar *quoted = fh_cfg_quote_value (key, value);

          *message = g_strdup_printf ("invalid interpolation syntax in %s at "
                                      "position %u (write %%%% for a literal %%)",
                                      quoted, (guint) (pct - tmp2->str));
          g_free (quoted);
        }
    }
  g_string_free (tmp, TRUE);
  g_string_free (tmp2, TRUE);
  return ok;
}
