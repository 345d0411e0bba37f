/* Names of enumeration values, shared by the library's name functions.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_ERRORS_PRIVATE_H
#define FURLHINT_ERRORS_PRIVATE_H

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

/* The nick of @value in the enumeration @type (the name the CLI and its
 * JSON print: "no-handler", "anonymous"), or "unknown" for a value the
 * enumeration does not have. Static storage. */
const gchar *fh_enum_nick (GType type,
                           gint value);

G_END_DECLS

#endif
