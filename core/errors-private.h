/* Names of enumeration values, shared by the library's name functions.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_ERRORS_PRIVATE_H
#define FURLHINT_ERRORS_PRIVATE_H

#include <string.h>

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

/* The nick of @value in the enumeration @type (the name the CLI and its
 * JSON print: "no-handler", "anonymous"), or "unknown" for a value the
 * enumeration does not have. Static storage. */
const gchar *fh_enum_nick (GType type,
                           gint value);

/* furlhint_anon_class_name(), and its length in *@len. The enumeration's
 * nicks without a class lookup, and their lengths without strlen(), inline:
 * every route of every ranked FURL is described with one. */
static inline const gchar *
fh_anon_class_name_len (FurlHintAnonClass anon_class,
                        gsize *len)
{
  const gchar *name;

  switch (anon_class)
    {
    case FURLHINT_ANON_CLEAR:
      *len = sizeof "clear" - 1;
      return "clear";
    case FURLHINT_ANON_PROXIED:
      *len = sizeof "proxied" - 1;
      return "proxied";
    case FURLHINT_ANON_ANONYMOUS:
      *len = sizeof "anonymous" - 1;
      return "anonymous";
    default:
      name = fh_enum_nick (FURLHINT_TYPE_ANON_CLASS, anon_class);
      *len = strlen (name);
      return name;
    }
}

G_END_DECLS

#endif
