/* Tiny JSON and text output helpers (private), shared by the library, the
 * plugins and the CLI.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_JSON_WRITER_H
#define FURLHINT_JSON_WRITER_H

#include <glib.h>

G_BEGIN_DECLS

/* Appends @utf8 as a JSON string literal, escaped exactly as Python's
 * json.dumps(ensure_ascii=False) does (\" \\ \n \r \t \b \f, other
 * controls as \u00XX, everything else raw). NULL appends `null`. */
void fh_json_append_string (GString *out, const gchar *utf8);

/* Appends @text as a JSON string literal for our own JSON output (not
 * the corpus verdicts): as fh_json_append_string(), and also DEL
 * and the C1 controls (U+0080-U+009F) as \u00XX, which JSON allows raw
 * but a terminal may obey, and each byte that is not UTF-8 as \ufffd, so
 * that the output is always valid JSON. NULL appends `null`. */
void fh_json_append_text (GString *out, const gchar *text);

/* Appends @len bytes of @text (-1: NUL-terminated) for a human reader on a
 * terminal: the C0 controls (but "\n" when @keep_newlines) and DEL as
 * \xNN, the C1 controls (U+0080-U+009F) as \u00NN, and each byte that is
 * not UTF-8 as \xNN; everything else as it is. Peer-supplied and
 * user-supplied text can then neither move the cursor, change colours,
 * set the window title, nor forge a line. */
void fh_text_append_escaped (GString *out, const gchar *text, gssize len,
                             gboolean keep_newlines);

/* The same as a new string, newlines escaped too. (transfer full) */
gchar *fh_text_escape (const gchar *text, gssize len);

/* Appends `"key":` (escaped). */
void fh_json_append_key (GString *out, const gchar *key);

/* Appends `true`/`false`. */
void fh_json_append_bool (GString *out, gboolean value);

G_END_DECLS

#endif
