/* Tor control protocol (tor's control-spec.txt) messages (private).
 *
 * Pure functions, no I/O, like core/socks5.h: the tor plugin's control-port
 * client moves the bytes, everything here only builds commands and parses
 * replies, so it can be unit-tested and fuzzed without a tor.
 *
 * Errors are in the "furlhint-connect-error-quark" domain
 * (FurlHintConnectError codes from <furlhint/plugin.h>): PROTOCOL for
 * something that is not the control protocol, AUTH for a refused or
 * unusable authentication, FAILED for a well-formed error reply.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TORCTL_H
#define FURLHINT_TORCTL_H

#include <glib.h>

#include "endpoint.h"

G_BEGIN_DECLS

/* A reply larger than this is refused: nothing we ask for is near it. */
#define FH_TORCTL_MAX_REPLY (64 * 1024)

/* Tor's authentication cookie and SAFECOOKIE nonces are 32 bytes. */
#define FH_TORCTL_COOKIE_LEN 32
#define FH_TORCTL_NONCE_LEN 32

typedef enum {
  FH_TORCTL_OK = 0,
  FH_TORCTL_NEED_MORE,
  FH_TORCTL_ERROR,
} FhTorctlResult;

/* One reply: the status code of its lines (all lines of a reply share it)
 * and the text of each line after the "NNN-", "NNN+" or "NNN " prefix.
 * A data line ("NNN+keyword=" followed by a dot-terminated block) gives
 * one entry: the line's text, "\n", then the block's lines (dot-stuffing
 * undone) joined by "\n". */
typedef struct {
  guint code;
  GPtrArray *lines;   /* (owned) (element-type utf8) */
} FhTorReply;

void _furlhint_torctl_reply_free (FhTorReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhTorReply, _furlhint_torctl_reply_free)

/* Parses one whole reply from the start of @data (what has arrived so
 * far). FH_TORCTL_NEED_MORE: incomplete, read more and call again with the
 * same data plus the new bytes. FH_TORCTL_OK: *@reply is set and
 * *@consumed bytes were used. Lines end with CRLF (a bare LF is accepted).
 * Asynchronous events (6xx) are parsed like any reply; callers skip them. */
FhTorctlResult _furlhint_torctl_parse_reply (const gchar *data,
                                             gsize len,
                                             gsize *consumed,
                                             FhTorReply **reply,
                                             GError **error);

/* TRUE for a 250 reply; otherwise sets @error saying that @command failed
 * with the reply's code and text (515 and 514 → AUTH, 5xx/4xx → FAILED,
 * anything else → PROTOCOL). */
gboolean _furlhint_torctl_reply_check (const FhTorReply *reply,
                                       const gchar *command,
                                       GError **error);

/* Control-spec QuotedString at *@p (which points at the opening quote):
 * the unescaped value (C escapes \n \t \r \\ \" \' and octal \ooo, as tor
 * writes them), *@p moved past the closing quote. NULL with @error set
 * when the string is unterminated or has a NUL. */
gchar *_furlhint_torctl_unquote (const gchar **p,
                                 GError **error);

/* "\"...\"" with \ and " escaped, for AUTHENTICATE with a password. */
gchar *_furlhint_torctl_quote (const gchar *text);

typedef enum {
  FH_TOR_AUTH_NULL = 1 << 0,
  FH_TOR_AUTH_HASHEDPASSWORD = 1 << 1,
  FH_TOR_AUTH_COOKIE = 1 << 2,
  FH_TOR_AUTH_SAFECOOKIE = 1 << 3,
} FhTorAuthMethods;

typedef struct {
  guint auth_methods;     /* FhTorAuthMethods; unknown methods ignored */
  gchar *cookie_file;     /* (owned) (nullable) COOKIEFILE, unescaped */
  gchar *version;         /* (owned) (nullable) VERSION Tor="..." */
} FhTorProtocolInfo;

void _furlhint_torctl_protocolinfo_clear (FhTorProtocolInfo *info);

/* The reply to "PROTOCOLINFO 1". Fails when it is not a 250 reply, has no
 * AUTH line, or names no method at all. */
gboolean _furlhint_torctl_parse_protocolinfo (const FhTorReply *reply,
                                              FhTorProtocolInfo *info,
                                              GError **error);

/* The method to use among those offered: NULL (no auth) first, then
 * HASHEDPASSWORD when @have_password, then SAFECOOKIE, then COOKIE.
 * 0 with @error set (AUTH) when none of them is usable, the message naming
 * what tor offered and what would be needed. */
FhTorAuthMethods _furlhint_torctl_choose_auth (const FhTorProtocolInfo *info,
                                               gboolean have_password,
                                               GError **error);

/* "AUTHENTICATE <hex>\r\n" for COOKIE. */
gchar *_furlhint_torctl_build_auth_cookie (const guint8 *cookie,
                                           gsize len);

/* "AUTHENTICATE \"password\"\r\n" for HASHEDPASSWORD. */
gchar *_furlhint_torctl_build_auth_password (const gchar *password);

/* "AUTHCHALLENGE SAFECOOKIE <hex nonce>\r\n". */
gchar *_furlhint_torctl_build_authchallenge (const guint8 client_nonce[FH_TORCTL_NONCE_LEN]);

/* The reply to AUTHCHALLENGE ("250 AUTHCHALLENGE SERVERHASH=<64 hex>
 * SERVERNONCE=<64 hex>"): checks tor's SERVERHASH against the cookie (so
 * a process that merely read our nonce cannot pose as tor) and returns
 * "AUTHENTICATE <client hash hex>\r\n". NULL with @error set otherwise
 * (AUTH when the server hash is wrong: a wrong or stale cookie file). */
gchar *_furlhint_torctl_safecookie_response (const FhTorReply *reply,
                                             const guint8 *cookie,
                                             gsize cookie_len,
                                             const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                                             GError **error);

/* The two HMAC-SHA256 values of SAFECOOKIE (32 bytes each into @out). */
void _furlhint_torctl_safecookie_hash (gboolean server_to_controller,
                                       const guint8 *cookie,
                                       gsize cookie_len,
                                       const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                                       const guint8 server_nonce[FH_TORCTL_NONCE_LEN],
                                       guint8 out[32]);

/* "GETINFO key\r\n"; @key must be a plain keyword. */
gchar *_furlhint_torctl_build_getinfo (const gchar *key);

/* The value of @key in a 250 reply to GETINFO (from "key=value", or the
 * data block of "key=" + data). */
gchar *_furlhint_torctl_getinfo_value (const FhTorReply *reply,
                                       const gchar *key,
                                       GError **error);

/* The value of GETINFO net/listeners/socks: a space-separated list of
 * QuotedStrings "127.0.0.1:9050", "[::1]:9050", "unix:/path". Returns an
 * array of FhEndpoint (maybe empty: tor has no SOCKS listener, as with
 * DisableNetwork 1), or NULL with @error set on a malformed entry. */
GArray *_furlhint_torctl_parse_socks_listeners (const gchar *value,
                                                GError **error);

typedef struct {
  gint progress;          /* 0–100 */
  gchar *tag;             /* (owned) (nullable) TAG=, e.g. "done" */
  gchar *summary;         /* (owned) (nullable) SUMMARY= */
  gchar *warning;         /* (owned) (nullable) WARNING=, on a problem */
} FhTorBootstrap;

void _furlhint_torctl_bootstrap_clear (FhTorBootstrap *bootstrap);

/* The value of GETINFO status/bootstrap-phase: "NOTICE BOOTSTRAP
 * PROGRESS=100 TAG=done SUMMARY=\"Done\"" (WARN with WARNING=, REASON=...). */
gboolean _furlhint_torctl_parse_bootstrap (const gchar *value,
                                           FhTorBootstrap *bootstrap,
                                           GError **error);

/* Splits @text into space-separated items: bare words (key = the word,
 * value = NULL) and KEY=VALUE with VALUE bare or a QuotedString. Returns
 * a GPtrArray of alternating key, value (value may be NULL), or NULL with
 * @error set. */
GPtrArray *_furlhint_torctl_split_kwargs (const gchar *text,
                                          GError **error);

G_END_DECLS

#endif /* FURLHINT_TORCTL_H */
