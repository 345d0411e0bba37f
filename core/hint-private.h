/* FurlHintHint internals and the Foolscap FURL decoder (private).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_HINT_PRIVATE_H
#define FURLHINT_HINT_PRIVATE_H

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

struct _FurlHintHint {
  gchar *text;       /* (owned) as written */
  gchar *canonical;  /* (owned) after convert_legacy_hint() */
  gchar *type;       /* (owned) (nullable) text before the first ':' of canonical */
  gchar **lint;      /* (owned) NULL-terminated, maybe empty */
};

/* What foolscap.furl.decode_furl() returns, plus where it found it. */
typedef struct {
  gsize match_start;  /* byte offset of the "pb://" that matched */
  gchar *tubid;       /* (owned) the first 32 characters of group 1 */
  gchar *tubid_rest;  /* (owned) the rest of group 1, which Foolscap ignores ("" if none) */
  gchar **hints;      /* (owned) hints.split(","), [] for "" */
  gchar *name;        /* (owned) */
  gboolean dropped_newline;  /* `$` matched before a final "\n" after the name */
} FhDecodedFurl;

/* decode_furl() on valid UTF-8 @text (NOT_UTF8 otherwise). The GError
 * message is Foolscap's exact text; @out is filled only on success. */
gboolean _furlhint_foolscap_decode_furl (const gchar   *text,
                                         FhDecodedFurl *out,
                                         GError       **error);
void _furlhint_decoded_furl_clear (FhDecodedFurl *decoded);

/* furlhint's FURL-level lint for a decoded FURL (a new strv, maybe empty). */
gchar **_furlhint_decoded_furl_lint (const gchar         *text,
                                     const FhDecodedFurl *decoded);

/* Python's repr() of a str, for messages ("unknown FURL prefix in %r"). */
gchar *_furlhint_py_repr (const gchar *utf8);

G_END_DECLS

#endif /* FURLHINT_HINT_PRIVATE_H */
