/* Tor control protocol (tor's control-spec.txt) messages (private).
 *
 * Pure functions, no I/O, like plugins/common/socks5.h: the tor plugin's control-port
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

void fh_torctl_reply_free (FhTorReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhTorReply, fh_torctl_reply_free)

/* Parses one whole reply from the start of @data (what has arrived so
 * far). FH_TORCTL_NEED_MORE: incomplete, read more and call again with the
 * same data plus the new bytes. FH_TORCTL_OK: *@reply is set and
 * *@consumed bytes were used. Lines end with CRLF (a bare LF is accepted).
 * Asynchronous events (6xx) are parsed like any reply; callers skip them. */
FhTorctlResult fh_torctl_parse_reply (const gchar *data,
                                      gsize len,
                                      gsize *consumed,
                                      FhTorReply **reply,
                                      GError **error);

/* TRUE for a 250 reply; otherwise sets @error saying that @command failed
 * with the reply's code and text (515 and 514 → AUTH, 5xx/4xx → FAILED,
 * anything else → PROTOCOL). */
gboolean fh_torctl_reply_check (const FhTorReply *reply,
                                const gchar *command,
                                GError **error);

/* Control-spec QuotedString at *@p (which points at the opening quote):
 * the unescaped value (C escapes \n \t \r \\ \" \' and octal \ooo, as tor
 * writes them), *@p moved past the closing quote. NULL with @error set
 * when the string is unterminated or has a NUL. */
gchar *fh_torctl_unquote (const gchar **p,
                          GError **error);

/* "\"...\"" with \ and " escaped, for AUTHENTICATE with a password. */
gchar *fh_torctl_quote (const gchar *text);

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

void fh_torctl_protocolinfo_clear (FhTorProtocolInfo *info);

/* The reply to "PROTOCOLINFO 1". Fails when it is not a 250 reply, has no
 * AUTH line, or names no method at all. */
gboolean fh_torctl_parse_protocolinfo (const FhTorReply *reply,
                                       FhTorProtocolInfo *info,
                                       GError **error);

/* What furlhint uses unless `[tor] control.auth` says otherwise: the
 * two methods with which nothing secret goes to whatever listens on the
 * port (SAFECOOKIE checks tor's server hash before answering; a password
 * is sent only when the operator configured one for that port). */
#define FH_TOR_AUTH_DEFAULT (FH_TOR_AUTH_SAFECOOKIE | FH_TOR_AUTH_HASHEDPASSWORD)

/* The value of `[tor] control.auth`: method names as PROTOCOLINFO spells
 * them (any letter case), separated by commas and/or spaces, e.g.
 * "safecookie, cookie". Blank gives FH_TOR_AUTH_DEFAULT. FALSE with
 * *@bad set to the first word that is not a method (free it). */
gboolean fh_torctl_parse_auth_setting (const gchar *text,
                                       guint *methods,
                                       gchar **bad);

/* The method to use among those offered and @allowed (FhTorAuthMethods):
 * HASHEDPASSWORD when @have_password (the operator's explicit choice),
 * then SAFECOOKIE, then COOKIE, then NULL (no authentication). 0 with
 * @error set (AUTH) when none of them is usable, the message naming what
 * tor offered, what is allowed, and the setting that would allow more. */
FhTorAuthMethods fh_torctl_choose_auth (const FhTorProtocolInfo *info,
                                        guint allowed,
                                        gboolean have_password,
                                        GError **error);

/* "AUTHENTICATE <hex>\r\n" for COOKIE. */
gchar *fh_torctl_build_auth_cookie (const guint8 *cookie,
                                    gsize len);

/* "AUTHENTICATE \"password\"\r\n" for HASHEDPASSWORD. */
gchar *fh_torctl_build_auth_password (const gchar *password);

/* "AUTHCHALLENGE SAFECOOKIE <hex nonce>\r\n". */
gchar *fh_torctl_build_authchallenge (const guint8 client_nonce[FH_TORCTL_NONCE_LEN]);

/* The reply to AUTHCHALLENGE ("250 AUTHCHALLENGE SERVERHASH=<64 hex>
 * SERVERNONCE=<64 hex>"): checks tor's SERVERHASH against the cookie (so
 * a process that merely read our nonce cannot pose as tor) and returns
 * "AUTHENTICATE <client hash hex>\r\n". NULL with @error set otherwise
 * (AUTH when the server hash is wrong: a wrong or stale cookie file). */
gchar *fh_torctl_safecookie_response (const FhTorReply *reply,
                                      const guint8 *cookie,
                                      gsize cookie_len,
                                      const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                                      GError **error);

/* The two HMAC-SHA256 values of SAFECOOKIE (32 bytes each into @out). */
void fh_torctl_safecookie_hash (gboolean server_to_controller,
                                const guint8 *cookie,
                                gsize cookie_len,
                                const guint8 client_nonce[FH_TORCTL_NONCE_LEN],
                                const guint8 server_nonce[FH_TORCTL_NONCE_LEN],
                                guint8 out[32]);

/* "GETINFO key\r\n"; @key must be a plain keyword. */
gchar *fh_torctl_build_getinfo (const gchar *key);

/* The value of @key in a 250 reply to GETINFO (from "key=value", or the
 * data block of "key=" + data). */
gchar *fh_torctl_getinfo_value (const FhTorReply *reply,
                                const gchar *key,
                                GError **error);

/* TRUE for an endpoint on this machine by address alone: a unix socket,
 * 127.0.0.0/8 or ::1. A host name is not (it would need a lookup). */
gboolean fh_torctl_endpoint_is_loopback (const FhEndpoint *endpoint);

/* The SOCKS listener to use among those tor reported: the first one on
 * loopback or a unix socket (see above). A control port may be anyone's
 * (a process squatting the port while tor is down), so an address it
 * names elsewhere is never connected to. FALSE with @error set (PROTOCOL)
 * naming the listeners refused when there is none; @label names the
 * control port in the message. */
gboolean fh_torctl_pick_socks_listener (const GArray *listeners,
                                        const gchar *label,
                                        FhEndpoint *out,
                                        GError **error);

/* The value of GETINFO net/listeners/socks: a space-separated list of
 * QuotedStrings "127.0.0.1:9050", "[::1]:9050", "unix:/path". Returns an
 * array of FhEndpoint (maybe empty: tor has no SOCKS listener, as with
 * DisableNetwork 1), or NULL with @error set on a malformed entry. */
GArray *fh_torctl_parse_socks_listeners (const gchar *value,
                                         GError **error);

typedef struct {
  gint progress;          /* 0–100 */
  gchar *tag;             /* (owned) (nullable) TAG=, e.g. "done" */
  gchar *summary;         /* (owned) (nullable) SUMMARY= */
  gchar *warning;         /* (owned) (nullable) WARNING=, on a problem */
} FhTorBootstrap;

void fh_torctl_bootstrap_clear (FhTorBootstrap *bootstrap);

/* The value of GETINFO status/bootstrap-phase: "NOTICE BOOTSTRAP
 * PROGRESS=100 TAG=done SUMMARY=\"Done\"" (WARN with WARNING=, REASON=...). */
gboolean fh_torctl_parse_bootstrap (const gchar *value,
                                    FhTorBootstrap *bootstrap,
                                    GError **error);

/* Splits @text into space-separated items: bare words (key = the word,
 * value = NULL) and KEY=VALUE with VALUE bare or a QuotedString. Returns
 * a GPtrArray of alternating key, value (value may be NULL), or NULL with
 * @error set. */
GPtrArray *fh_torctl_split_kwargs (const gchar *text,
                                   GError **error);

/* ------------------------------------------------------------------------
 * Onion services (ADD_ONION, DEL_ONION) and their v3 keys.
 * ------------------------------------------------------------------------ */

/* A v3 onion service's secret key as tor keeps it: the 64-byte expanded
 * ed25519 secret key. ADD_ONION carries it as "ED25519-V3:" + base64 of
 * these bytes (what txtorcon and Tahoe's tor_provider write into
 * onion.private_key_file); tor's HiddenServiceDir as the file
 * hs_ed25519_secret_key: a 32-byte header, then these bytes. */
#define FH_TORCTL_ONION_KEY_LEN 64
#define FH_TORCTL_ONION_KEY_PREFIX "ED25519-V3:"
/* The header of hs_ed25519_secret_key: this text, NUL-padded to 32 bytes. */
#define FH_TORCTL_SECRET_KEY_HEADER "== ed25519v1-secret: type0 =="
#define FH_TORCTL_SECRET_KEY_HEADER_LEN 32
#define FH_TORCTL_SECRET_KEY_FILE_LEN \
  (FH_TORCTL_SECRET_KEY_HEADER_LEN + FH_TORCTL_ONION_KEY_LEN)
/* A v3 service ID: 56 base32 characters (lower case), without ".onion". */
#define FH_TORCTL_SERVICE_ID_LEN 56

/* "ED25519-V3:<base64>" (no line end) for @key. */
gchar *fh_torctl_onion_key_encode (const guint8 key[FH_TORCTL_ONION_KEY_LEN]);

/* The key of an "ED25519-V3:<base64>" blob (surrounding white space
 * ignored, as a file written with a final newline has it). FALSE with
 * @error set (FAILED) naming what is wrong: another key type (tor's old
 * RSA1024 v2 keys), bad base64, or not 64 bytes. @what names the blob's
 * origin in the message. */
gboolean fh_torctl_onion_key_decode (const gchar *blob,
                                     const gchar *what,
                                     guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                     GError **error);

/* hs_ed25519_secret_key's contents (FH_TORCTL_SECRET_KEY_FILE_LEN bytes
 * into @out) for @key. */
void fh_torctl_secret_key_file_build (const guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                      guint8 out[FH_TORCTL_SECRET_KEY_FILE_LEN]);

/* The key in hs_ed25519_secret_key's contents: exactly
 * FH_TORCTL_SECRET_KEY_FILE_LEN bytes beginning with the header. FALSE
 * with @error set (FAILED) otherwise; @what names the file. */
gboolean fh_torctl_secret_key_file_parse (const guint8 *data,
                                          gsize len,
                                          const gchar *what,
                                          guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                          GError **error);

/* TRUE when @id is a v3 service ID: 56 characters of RFC 4648 base32 in
 * lower case, the last one the version nibble 3 ('d'). */
gboolean fh_torctl_service_id_is_valid (const gchar *id);

/* "ADD_ONION <key> [Flags=DiscardPK] Port=<virt_port>,<target>\r\n".
 * @key: NULL for a new key ("NEW:ED25519-V3"), else the stored one;
 * @discard_pk: ask tor not to send the new key back (nobody keeps it);
 * @target: "127.0.0.1:PORT". */
gchar *fh_torctl_build_add_onion (const guint8 *key,
                                  gboolean discard_pk,
                                  guint16 virt_port,
                                  const gchar *target);

/* The reply to ADD_ONION: "250-ServiceID=<id>", for a new key
 * "250-PrivateKey=ED25519-V3:<base64>", then "250 OK". *@service_id set
 * (checked with fh_torctl_service_id_is_valid()); @key (nullable) filled
 * and *@have_key TRUE when the reply carries a key. FALSE with @error set
 * for an error reply (fh_torctl_reply_check()) or a malformed one
 * (PROTOCOL). */
gboolean fh_torctl_parse_add_onion (const FhTorReply *reply,
                                    gchar **service_id,
                                    guint8 key[FH_TORCTL_ONION_KEY_LEN],
                                    gboolean *have_key,
                                    GError **error);

/* "DEL_ONION <id>\r\n". */
gchar *fh_torctl_build_del_onion (const gchar *service_id);

G_END_DECLS

#endif /* FURLHINT_TORCTL_H */
