/* furlhint — FURLs, NURLs and connection hints.
 *
 * Two views of the same text:
 *  - Foolscap's view (furlhint_foolscap_*): exactly what Foolscap 21.7's
 *    decode_furl(), convert_legacy_hint() and the tcp/tor/i2p handlers'
 *    hint_to_endpoint() make of it, oddities included (unbounded ports,
 *    Unicode digits, an unanchored `pb://` match).
 *  - furlhint's view (FurlHintFurl): the same parse, plus NURLs and lint
 *    warnings for what Foolscap accepts but can never be connected safely.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_FURL_H
#define FURLHINT_FURL_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-error.h>

G_BEGIN_DECLS

/**
 * FurlHintFurlKind:
 * @FURLHINT_FURL_KIND_FURL: a Foolscap FURL, `pb://TUBID@HINTS/NAME`.
 * @FURLHINT_FURL_KIND_NURL: a Tahoe-LAFS NURL, `pb://HASH@LOCATION/SWISSNUM#v=1`
 *   (or `pb+tor://`, `pb+i2p://`).
 *
 * Which syntax a #FurlHintFurl was written in.
 */
typedef enum {
  FURLHINT_FURL_KIND_FURL = 0,
  FURLHINT_FURL_KIND_NURL,
} FurlHintFurlKind;

/**
 * FurlHintNetwork:
 * @FURLHINT_NETWORK_ANY: any route the policy allows (`pb://`).
 * @FURLHINT_NETWORK_TOR: only over Tor (`pb+tor://`).
 * @FURLHINT_NETWORK_I2P: only over I2P (`pb+i2p://`).
 *
 * The network a NURL's scheme restricts it to.
 */
typedef enum {
  FURLHINT_NETWORK_ANY = 0,
  FURLHINT_NETWORK_TOR,
  FURLHINT_NETWORK_I2P,
} FurlHintNetwork;

/**
 * FurlHintHint:
 *
 * One connection hint: the text as written, its canonical form (legacy
 * `HOST:PORT` becomes `tcp:HOST:PORT`) and its type. Immutable.
 */
typedef struct _FurlHintHint FurlHintHint;

/**
 * FurlHintFurl:
 *
 * A parsed FURL or NURL. Immutable and reference counted, atomically: one
 * FURL may be used and released from several threads at once.
 */
typedef struct _FurlHintFurl FurlHintFurl;

/**
 * FURLHINT_TYPE_HINT:
 *
 * The #GType of #FurlHintHint (boxed: copying copies the hint).
 */
#define FURLHINT_TYPE_HINT (furlhint_hint_get_type ())

/**
 * furlhint_hint_get_type:
 *
 * The boxed #GType of #FurlHintHint (copying copies the hint).
 *
 * Returns: the #GType of #FurlHintHint.
 */
GType furlhint_hint_get_type (void) G_GNUC_CONST;

/**
 * FURLHINT_TYPE_FURL:
 *
 * The #GType of #FurlHintFurl (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_FURL (furlhint_furl_get_type ())

/**
 * furlhint_furl_get_type:
 *
 * The boxed #GType of #FurlHintFurl (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintFurl.
 */
GType furlhint_furl_get_type (void) G_GNUC_CONST;

/**
 * furlhint_hint_new:
 * @text: the hint as written (UTF-8)
 *
 * Any text is a hint: what it means is for the handlers to say. Legacy
 * conversion is applied as Foolscap's convert_legacy_hint() does.
 *
 * Returns: (transfer full): a new hint; free with furlhint_hint_free().
 */
FurlHintHint *furlhint_hint_new (const gchar *text);

/**
 * furlhint_hint_copy:
 * @hint: a hint
 *
 * Copies a hint, for keeping it beyond the life of its FURL.
 *
 * Returns: (transfer full): a copy of @hint.
 */
FurlHintHint *furlhint_hint_copy (const FurlHintHint *hint);

/**
 * furlhint_hint_free:
 * @hint: (nullable): a hint
 *
 * Frees a hint made by furlhint_hint_new() or furlhint_hint_copy().
 */
void furlhint_hint_free (FurlHintHint *hint);

/**
 * furlhint_hint_get_text:
 * @hint: a hint
 *
 * The hint's text, exactly as the FURL has it.
 *
 * Returns: the hint as written.
 */
const gchar *furlhint_hint_get_text (const FurlHintHint *hint);

/**
 * furlhint_hint_get_canonical:
 * @hint: a hint
 *
 * The hint in the form the ranker and the plugins see.
 *
 * Returns: the hint after legacy conversion (`HOST:PORT` →
 *   `tcp:HOST:<int(PORT)>`); otherwise the text unchanged.
 */
const gchar *furlhint_hint_get_canonical (const FurlHintHint *hint);

/**
 * furlhint_hint_get_hint_type:
 * @hint: a hint
 *
 * The hint's type, which selects the plugin that parses it.
 *
 * Returns: (nullable): the text before the first `:` of the canonical hint,
 *   or %NULL when it has no colon.
 */
const gchar *furlhint_hint_get_hint_type (const FurlHintHint *hint);

/**
 * furlhint_hint_get_lint:
 * @hint: a hint
 *
 * Warnings about what Foolscap accepts but furlhint will not connect to
 * (port 0 or above 65535, non-ASCII digits, spaces around the hint).
 *
 * Returns: (array zero-terminated=1) (transfer none): the warnings, maybe
 *   an empty array, never %NULL.
 */
const gchar *const *furlhint_hint_get_lint (const FurlHintHint *hint);

/**
 * FurlHintFoolscapHandler:
 * @FURLHINT_FOOLSCAP_TCP: foolscap.connections.tcp.DefaultTCP
 * @FURLHINT_FOOLSCAP_TOR: foolscap.connections.tor (any of its handlers)
 * @FURLHINT_FOOLSCAP_I2P: foolscap.connections.i2p
 *
 * The three Foolscap 21.7 handlers whose hint parsing furlhint reproduces.
 */
typedef enum {
  FURLHINT_FOOLSCAP_TCP = 0,
  FURLHINT_FOOLSCAP_TOR,
  FURLHINT_FOOLSCAP_I2P,
} FurlHintFoolscapHandler;

/**
 * furlhint_foolscap_parse_hint:
 * @canonical: a canonical hint (see furlhint_hint_get_canonical())
 * @handler: whose parsing to reproduce
 * @host: (out) (optional) (transfer full): the host on success
 * @port: (out) (optional) (transfer full) (nullable): the port on success,
 *   as ASCII decimal digits without leading zeros ("0" for zero), or %NULL
 *   when an I2P hint has none. Unbounded, as in Python.
 * @message: (out) (optional) (transfer full): on failure, the handler's
 *   exact message ("unrecognized TCP hint", "ignoring non-Tor-able ipaddr
 *   10.0.0.1", ...)
 *
 * What the Foolscap handler's hint_to_endpoint() makes of @canonical,
 * whatever its type prefix (Foolscap's regular expressions do not all
 * check it). Pure: no I/O, no DNS.
 *
 * Returns: TRUE when the handler accepts the hint.
 */
gboolean furlhint_foolscap_parse_hint (const gchar *canonical,
                                       FurlHintFoolscapHandler handler,
                                       gchar **host,
                                       gchar **port,
                                       gchar **message);

/**
 * furlhint_foolscap_verdict_json:
 * @input: one input line, without its newline (a FURL when it contains
 *   `pb://` in any letter case, otherwise one bare hint)
 * @with_lint: add furlhint's `"lint"` key beside Foolscap's keys
 *
 * Foolscap 21.7's verdict on @input as one compact JSON object with the
 * schema of the shared corpus (keys in its order, non-ASCII raw UTF-8).
 *
 * Returns: (transfer full): the JSON text, no trailing newline.
 */
gchar *furlhint_foolscap_verdict_json (const gchar *input,
                                       gboolean with_lint);

/**
 * furlhint_furl_parse:
 * @text: a FURL or NURL
 * @error: return location for a %FURLHINT_FURL_ERROR
 *
 * Parses @text. A FURL is decoded exactly as Foolscap's decode_furl() does
 * (the `pb://` pattern is searched for, not anchored; only the first 32
 * characters of the tub ID are checked). Text with a `pb+tor://` or
 * `pb+i2p://` scheme, or a `pb://` URL with a `#` fragment, is a NURL:
 * exactly one location, a `#v=1` fragment (no other is known).
 *
 * Returns: (transfer full) (nullable): the FURL, or %NULL with @error set.
 */
FurlHintFurl *furlhint_furl_parse (const gchar *text,
                                   GError **error);

/**
 * furlhint_furl_ref:
 * @furl: a FURL
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @furl
 */
FurlHintFurl *furlhint_furl_ref (FurlHintFurl *furl);

/**
 * furlhint_furl_unref:
 * @furl: (transfer full) (nullable): a FURL
 *
 * Drops a reference; frees the FURL when it was the last.
 */
void furlhint_furl_unref (FurlHintFurl *furl);

/**
 * furlhint_furl_get_kind:
 * @furl: a FURL
 *
 * Whether the text parsed was a FURL or a NURL.
 *
 * Returns: whether @furl was written as a FURL or a NURL.
 */
FurlHintFurlKind furlhint_furl_get_kind (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_network:
 * @furl: a FURL
 *
 * The network the FURL may be reached through.
 *
 * Returns: the network a NURL's scheme restricts it to;
 *   %FURLHINT_NETWORK_ANY for FURLs and `pb://` NURLs.
 */
FurlHintNetwork furlhint_furl_get_network (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_nurl_version:
 * @furl: a FURL
 *
 * The version of a NURL.
 *
 * Returns: the NURL version from the `#v=` fragment, 0 for a FURL.
 */
guint furlhint_furl_get_nurl_version (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_tubid:
 * @furl: a FURL
 *
 * The ID of the Tub the FURL names.
 *
 * Returns: the tub ID as Foolscap reports it (its first 32 characters), or
 *   a NURL's hash.
 */
const gchar *furlhint_furl_get_tubid (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_name:
 * @furl: a FURL
 *
 * The name of the object the FURL refers to.
 *
 * Returns: the object name (swissnum) after the hints.
 */
const gchar *furlhint_furl_get_name (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_n_hints:
 * @furl: a FURL
 *
 * The number of connection hints.
 *
 * Returns: how many connection hints @furl has (may be 0).
 */
guint furlhint_furl_get_n_hints (const FurlHintFurl *furl);

/**
 * furlhint_furl_get_hint:
 * @furl: a FURL
 * @index: 0 ≤ @index < furlhint_furl_get_n_hints()
 *
 * One of the FURL's connection hints, in the FURL's order.
 *
 * Returns: (transfer none): the hint, owned by @furl.
 */
const FurlHintHint *furlhint_furl_get_hint (const FurlHintFurl *furl,
                                            guint index);

/**
 * furlhint_furl_get_lint:
 * @furl: a FURL
 *
 * FURL-level warnings (text before `pb://`, a tub ID longer than 32
 * characters). Hint warnings are on each hint.
 *
 * Returns: (array zero-terminated=1) (transfer none): never %NULL.
 */
const gchar *const *furlhint_furl_get_lint (const FurlHintFurl *furl);

/**
 * furlhint_furl_to_string:
 * @furl: a FURL
 *
 * Serializes @furl back: `pb://TUBID@HINT,HINT/NAME` (Foolscap's
 * encode_furl()) for a FURL, the NURL form for a NURL. Parsing the result
 * gives an equal FURL.
 *
 * Returns: (transfer full): the text.
 */
gchar *furlhint_furl_to_string (const FurlHintFurl *furl);

/**
 * FURLHINT_CENSORED:
 *
 * What furlhint shows in place of a secret: a FURL's name, a NURL's
 * swissnum, a password.
 */
#define FURLHINT_CENSORED "[censored]"

/**
 * furlhint_furl_to_censored_string:
 * @furl: a FURL
 *
 * @furl as messages, logs and statuses may show it: as
 * furlhint_furl_to_string() with the name (or a NURL's swissnum), which is
 * a capability, replaced by %FURLHINT_CENSORED:
 * `pb://TUBID@HINT,HINT/[censored]`.
 *
 * Returns: (transfer full): the text.
 */
gchar *furlhint_furl_to_censored_string (const FurlHintFurl *furl);

/**
 * furlhint_furl_censor_text:
 * @text: any text, such as a FURL that did not parse
 *
 * @text with what may be a FURL's name or a NURL's swissnum replaced by
 * %FURLHINT_CENSORED: on each line that holds `://` or an `@`, everything
 * after the first `/` that follows the `@` (or the `://` when there is no
 * `@`). A line without either is left alone, so a bare hint shows as it
 * is. Errs on the side of hiding: the rest of the line goes, spaces and
 * all, since a Foolscap name may hold spaces.
 *
 * Returns: (transfer full): the text.
 */
gchar *furlhint_furl_censor_text (const gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintHint, furlhint_hint_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintFurl, furlhint_furl_unref)

G_END_DECLS

#endif /* FURLHINT_FURL_H */
