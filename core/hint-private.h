/* FurlHintHint internals and the Foolscap FURL decoder (private).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_HINT_PRIVATE_H
#define FURLHINT_HINT_PRIVATE_H

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

/* The strings live in the same allocation as the hint (furlhint_hint_new())
 * or as the FURL that holds it (furl.c), right after the structs. */
struct _FurlHintHint {
  const gchar *text;       /* as written */
  const gchar *canonical;  /* after convert_legacy_hint() */
  const gchar *type;       /* (nullable) text before the first ':' of canonical */
  gchar **lint;            /* (owned) (atomic) (nullable) NULL-terminated, maybe
                            * empty; computed on the first furlhint_hint_get_lint() */
};

/* Bytes of string space fh_hint_init() may use for a hint of @len
 * bytes: the text, the canonical form (at most 4 bytes longer: "tcp:")
 * and the type, each with its NUL. */
#define _FURLHINT_HINT_STRINGS_SIZE(len) (3 * (gsize) (len) + 12)

/* Fills @hint from the @len bytes at @text (no NUL needed), writing its
 * strings from @strings on; returns where they end.  The lint is left to
 * furlhint_hint_get_lint(). */
gchar *fh_hint_init (FurlHintHint *hint,
                     const gchar  *text,
                     gsize         len,
                     gchar        *strings);

/* Frees what an initialised hint owns, not the hint itself. */
void fh_hint_clear (FurlHintHint *hint);

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
gboolean fh_foolscap_decode_furl (const gchar   *text,
                                  FhDecodedFurl *out,
                                  GError       **error);
void fh_decoded_furl_clear (FhDecodedFurl *decoded);

/* furlhint's FURL-level lint for a decoded FURL (a new strv, maybe empty). */
gchar **fh_decoded_furl_lint (const gchar         *text,
                              const FhDecodedFurl *decoded);

/* Python's repr() of a str, for messages ("unknown FURL prefix in %r"). */
gchar *fh_py_repr (const gchar *utf8);

G_END_DECLS

#endif /* FURLHINT_HINT_PRIVATE_H */
