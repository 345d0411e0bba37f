/* A reader for Python configparser syntax, as Tahoe-LAFS reads tahoe.cfg
 * (private).
 *
 * Tahoe (allmydata/util/configutil.py get_config()) opens the file with
 * encoding "utf-8-sig" and parses it with `ConfigParser(strict=False)`,
 * i.e. Python 3's defaults otherwise: delimiters `=` and `:`, full-line
 * comments `#` and `;`, NO inline comments, empty lines kept inside values,
 * no value-less keys, keys lower-cased, a `[DEFAULT]` section inherited by
 * every other section, duplicate sections merged and duplicate keys
 * overwritten (strict=False), and BasicInterpolation (`%%`, `%(name)s`)
 * applied when a value is read. This module reproduces that, and keeps the
 * origin and line of every key so that later errors can name them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONFIG_PARSER_H
#define FURLHINT_CONFIG_PARSER_H

#include <glib.h>

G_BEGIN_DECLS

/* ConfigParser.default_section. */
#define FH_CFG_DEFAULT_SECTION "DEFAULT"

typedef struct {
  gchar *key;     /* (owned) lower-cased as optionxform() does */
  gchar *value;   /* (owned) raw: continuation lines joined with "\n", ends stripped */
  gchar *origin;  /* (owned) file name, or "(set)" */
  guint line;     /* 1-based line of the key; 0 when set through the API */
} FhCfgOption;

typedef struct {
  gchar *name;          /* (owned) as written, case-sensitive */
  guint line;           /* line of the first header; 0 when made through the API */
  GPtrArray *options;   /* (owned) (element-type FhCfgOption) first-seen order */
  GHashTable *index;    /* (owned) key → FhCfgOption (unowned, in @options) */
} FhCfgSection;

typedef struct {
  gchar *origin;        /* (owned) name used in messages */
  FhCfgSection *defaults; /* (owned) the [DEFAULT] section, always present */
  GPtrArray *sections;  /* (owned) (element-type FhCfgSection) other sections, file order */
  GHashTable *by_name;  /* (owned) name → FhCfgSection (unowned) */
  GPtrArray *notes;     /* (owned) (element-type utf8) harmless oddities: duplicate keys */
} FhCfgDocument;

/* Parses @data (@length bytes, or NUL-terminated when -1). A leading UTF-8
 * byte order mark is skipped (utf-8-sig); "\r\n" and "\r" end lines as
 * Python's universal newlines do. Refused with FURLHINT_CONFIG_ERROR_SYNTAX
 * and a message naming @origin and the line: a NUL byte, invalid UTF-8, a
 * key line before any section header, a line that is neither header, key,
 * comment nor continuation, an empty key. */
FhCfgDocument *fh_cfg_parse (const gchar *data,
                             gssize length,
                             const gchar *origin,
                             GError **error);

FhCfgDocument *fh_cfg_document_new (const gchar *origin);
FhCfgDocument *fh_cfg_document_copy (const FhCfgDocument *doc);
void fh_cfg_document_free (FhCfgDocument *doc);

/* The named section (FH_CFG_DEFAULT_SECTION gives the defaults), or NULL. */
FhCfgSection *fh_cfg_get_section (const FhCfgDocument *doc,
                                  const gchar *section);

/* ConfigParser.get(section, key, raw=True): the key of @section, else of
 * [DEFAULT] — but only when @section exists (NoSectionError otherwise).
 * @key any case. */
const FhCfgOption *fh_cfg_lookup (const FhCfgDocument *doc,
                                  const gchar *section,
                                  const gchar *key);

/* Keys visible in @section, [DEFAULT]'s included (ConfigParser.options()),
 * section keys first. Returns a new array of unowned FhCfgOption, or NULL
 * when @section does not exist. */
GPtrArray *fh_cfg_list_options (const FhCfgDocument *doc,
                                const gchar *section);

/* Sets (or with @value NULL removes) a key, creating the section. */
void fh_cfg_set (FhCfgDocument *doc,
                 const gchar *section,
                 const gchar *key,
                 const gchar *value,
                 const gchar *origin,
                 guint line);

/* BasicInterpolation.before_get() for @option read through @section:
 * `%%` → `%`, `%(name)s` → that key of @section or [DEFAULT] (recursively,
 * at most 10 deep). On failure returns NULL and *message (a new string)
 * says what is wrong, in Python's words where it has them, but with no
 * part of a value that holds a secret (fh_cfg_display_value()). */
gchar *fh_cfg_interpolate (const FhCfgDocument *doc,
                           const gchar *section,
                           const FhCfgOption *option,
                           gchar **message);

/* BasicInterpolation.before_set(): FALSE (and *message) when @value has a
 * `%` that is neither `%%` nor `%(name)s`. */
gboolean fh_cfg_check_set (const gchar *key,
                           const gchar *value,
                           gchar **message);

/* RawConfigParser._convert_to_boolean(): 1/yes/true/on and 0/no/false/off,
 * any letter case. */
gboolean fh_cfg_parse_boolean (const gchar *value,
                               gboolean *out);

/* str.lower() for keys (optionxform). */
gchar *fh_cfg_key_fold (const gchar *key);

/* str.strip() on UTF-8 text: Python's whitespace set. Returns a new string. */
gchar *fh_cfg_strip (const gchar *text);

/* @text quoted for messages: "..." with control characters, `"` and `\`
 * escaped, cut after 200 characters. */
gchar *fh_cfg_quote (const gchar *text);

/* @value of @key as messages may show it, not quoted: a key ending in
 * "password" (such as [tor] control.password) as FURLHINT_CENSORED, the
 * password= field of an endpoint (tcp.socks-proxy) as password=[censored],
 * a FURL's name as furlhint_furl_censor_text() does. (transfer full) */
gchar *fh_cfg_display_value (const gchar *key,
                             const gchar *value);

/* fh_cfg_quote (fh_cfg_display_value (@key, @value)). */
gchar *fh_cfg_quote_value (const gchar *key,
                           const gchar *value);

G_END_DECLS

#endif /* FURLHINT_CONFIG_PARSER_H */
