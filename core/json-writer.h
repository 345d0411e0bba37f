/* Tiny JSON output helpers (private), shared by the library and the CLI.
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
void _furlhint_json_append_string (GString *out, const gchar *utf8);

/* Appends `"key":` (escaped). */
void _furlhint_json_append_key (GString *out, const gchar *key);

/* Appends `true`/`false`. */
void _furlhint_json_append_bool (GString *out, gboolean value);

G_END_DECLS

#endif
