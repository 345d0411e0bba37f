/* SAM v3 (the I2P router's Simple Anonymous Messaging bridge) messages
 * (private).
 *
 * Pure functions, no I/O, like plugins/common/socks5.h: building command lines,
 * framing and parsing reply lines, and mapping every `RESULT=` a bridge
 * can send to a FurlHintConnectError code with a message that says what
 * happened ("I2P: destination not reachable (SAM RESULT=CANT_REACH_PEER)").
 * The i2p plugin moves the bytes.
 *
 * The protocol (geti2p.net/en/docs/api/samv3): one command or reply per
 * line, ending in "\n"; a line is TOPIC [OP] then space-separated KEY=VALUE
 * pairs; a value with spaces is "quoted", and since SAM 3.2 a quote or a
 * backslash inside quotes is escaped with a backslash. Commands must not be
 * pipelined (i2pd answers only the first of several commands sent in one
 * write), so callers wait for each reply line before sending the next.
 *
 * Errors are in the "furlhint-connect-error-quark" domain
 * (FurlHintConnectError codes from <furlhint/plugin.h>).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_SAM_H
#define FURLHINT_SAM_H

#include <glib.h>

G_BEGIN_DECLS

/* The versions we ask for. 3.1 is the floor: SIGNATURE_TYPE (Ed25519) in
 * SESSION CREATE needs it. 3.3 is the ceiling: 3.2 adds FROM_PORT/TO_PORT,
 * which is how a hint's port reaches the destination. i2pd 2.45.1 speaks
 * 3.0–3.1 and answers MIN=3.1 MAX=3.3 with 3.1 (but MIN=3.0 MAX=3.3 with
 * 3.0, hence no 3.0 floor); Java I2P answers 3.3. */
#define FH_SAM_VERSION_MIN "3.1"
#define FH_SAM_VERSION_MAX "3.3"

/* Longest reply line accepted, "\n" included. The longest real one is a
 * SESSION STATUS carrying a private key (under 1 KiB for Ed25519; a few KiB
 * with an offline signature). */
#define FH_SAM_MAX_LINE (64 * 1024)

/* Longest session ID we build or accept. */
#define FH_SAM_MAX_ID 64

typedef enum {
  FH_SAM_CMD_HELLO = 0,
  FH_SAM_CMD_SESSION_CREATE,
  FH_SAM_CMD_STREAM_CONNECT,
  FH_SAM_CMD_NAMING_LOOKUP,
  FH_SAM_CMD_DEST_GENERATE,
  FH_SAM_CMD_STREAM_FORWARD,
} FhSamCommand;

typedef enum {
  FH_SAM_LINE_OK = 0,
  FH_SAM_LINE_NEED_MORE,
  FH_SAM_LINE_ERROR,
} FhSamLineResult;

/* A parsed reply line. @keys and @values have the same length; a bare
 * word after TOPIC OP (no "=") has a NULL value. */
typedef struct {
  gchar *topic;        /* (owned) "HELLO", "SESSION", "STREAM", "NAMING", "PING" */
  gchar *op;           /* (owned) (nullable) "REPLY", "STATUS"; NULL for a one-word line */
  GPtrArray *keys;     /* (owned) (element-type utf8) */
  GPtrArray *values;   /* (owned) (element-type utf8) (nullable elements) */
} FhSamReply;

/* --- building commands (each returns a new string ending in "\n") ------- */

/* "HELLO VERSION MIN=@min MAX=@max\n". */
gchar *fh_sam_build_hello (const gchar *min,
                           const gchar *max);

/* "SESSION CREATE STYLE=STREAM ID=@id DESTINATION=@private_key|TRANSIENT
 *  SIGNATURE_TYPE=7 [@options...]\n". @private_key: (nullable) a base64
 * private key (what a previous SESSION STATUS returned) or NULL for a new
 * transient destination. @options: (nullable) I2CP "key=value" strings
 * ("inbound.length=0"). Fails when a value could break the line. */
gchar *fh_sam_build_session_create (const gchar *id,
                                    const gchar *private_key,
                                    const gchar *const *options,
                                    GError **error);

/* "STREAM CONNECT ID=@id DESTINATION=@destination SILENT=false
 *  [TO_PORT=@to_port]\n"; TO_PORT only when @to_port ≠ 0 (SAM 3.2+: the
 * caller decides). @destination: a base64 destination or a .i2p name. */
gchar *fh_sam_build_stream_connect (const gchar *id,
                                    const gchar *destination,
                                    guint16 to_port,
                                    GError **error);

/* "NAMING LOOKUP NAME=@name\n". */
gchar *fh_sam_build_naming_lookup (const gchar *name,
                                   GError **error);

/* "DEST GENERATE SIGNATURE_TYPE=7\n": a new Ed25519 destination (what
 * i2pd, Java I2P and txi2p make), answered by "DEST REPLY PUB=... PRIV=..."
 * (fh_sam_check_reply() checks both are there). */
gchar *fh_sam_build_dest_generate (void);

/* "STREAM FORWARD ID=@id PORT=@port HOST=@host SILENT=true\n": the bridge
 * connects to @host:@port for every stream reaching session @id's
 * destination, and with SILENT=true sends nothing on it before the
 * peer's bytes. @host: an IP address literal (no name: the router would
 * resolve it). */
gchar *fh_sam_build_stream_forward (const gchar *id,
                                    const gchar *host,
                                    guint16 port,
                                    GError **error);

/* "PONG @text\n" for a bridge's "PING @text" (SAM 3.2 keepalive). */
gchar *fh_sam_build_pong (const FhSamReply *ping);

/* --- reading replies ------------------------------------------------------ */

/* Finds the end of the first line in what has arrived so far. FH_SAM_LINE_OK
 * with *line_len = its length including "\n"; FH_SAM_LINE_NEED_MORE when no
 * "\n" yet (and @len is still below FH_SAM_MAX_LINE); FH_SAM_LINE_ERROR
 * (PROTOCOL) when the line is too long or holds a NUL byte. */
FhSamLineResult fh_sam_find_line (const guint8 *data,
                                  gsize len,
                                  gsize *line_len,
                                  GError **error);

/* Parses one line (with or without its "\n" / "\r\n"). Fails (PROTOCOL)
 * on an empty line, an unterminated quote or a NUL byte. Invalid UTF-8 is
 * repaired (g_utf8_make_valid), not refused: the values only ever reach
 * error messages and commands we build, which re-check them. Callers
 * frame lines first (fh_sam_find_line); an embedded "\n" is not
 * looked for here. */
gboolean fh_sam_parse_reply (const gchar *line,
                             gsize len,
                             FhSamReply *reply,
                             GError **error);

void fh_sam_reply_clear (FhSamReply *reply);

/* (nullable) the value of the first @key (case-sensitive, as SAM is). */
const gchar *fh_sam_reply_get (const FhSamReply *reply,
                               const gchar *key);

/* Checks that @reply answers @command (HELLO REPLY, SESSION STATUS, STREAM
 * STATUS, NAMING REPLY, DEST REPLY) and that RESULT=OK (DEST REPLY has no
 * RESULT: a PUB and a PRIV that are I2P base64, PRIV longer than PUB, are
 * its success). Otherwise sets @error: a
 * mismatched or RESULT-less line is PROTOCOL; a RESULT is mapped by
 * fh_sam_result_error(). @bridge names the bridge for messages
 * ("127.0.0.1:7656"). */
gboolean fh_sam_check_reply (FhSamCommand command,
                             const FhSamReply *reply,
                             const gchar *bridge,
                             GError **error);

/* Sets @error for a RESULT other than OK: the FurlHintConnectError code and
 * a message naming the result ("I2P: destination not reachable (SAM
 * RESULT=CANT_REACH_PEER)"), with the bridge's MESSAGE= when it sent one.
 * The meaning of INVALID_KEY depends on @command (an unknown name or
 * destination for NAMING LOOKUP/STREAM CONNECT, a bad private key for
 * SESSION CREATE). */
void fh_sam_result_error (FhSamCommand command,
                          const gchar *result,
                          const gchar *message,
                          const gchar *bridge,
                          GError **error);

/* --- names and versions --------------------------------------------------- */

/* TRUE for "MAJOR.MINOR" ≥ @major.@minor ("3.1", "3.10"). */
gboolean fh_sam_version_at_least (const gchar *version,
                                  guint major,
                                  guint minor);

/* A `.b32.i2p` name: at least 52 base32 characters (a-z, 2-7, any case;
 * longer for encrypted LeaseSets) then ".b32.i2p". The router resolves it
 * from the name alone (no address book), so it needs no NAMING LOOKUP. */
gboolean fh_sam_is_b32 (const gchar *host);

/* A full destination in I2P's base64 (A-Z a-z 0-9 - ~, "=" padding), at
 * least 516 characters (387 bytes: the smallest destination). */
gboolean fh_sam_is_base64_destination (const gchar *host);

/* Splits an I2CP option list ("inbound.length=0 outbound.length=0", spaces
 * between; commas belong to values, as in i2cp.leaseSetEncType=4,0) into
 * "key=value" strings. Fails (@error in the
 * "furlhint-config-error-quark" domain, BAD_VALUE) when an entry is not
 * KEY=VALUE with KEY of [A-Za-z0-9._-] and VALUE of printable ASCII
 * without quotes, "=" or backslashes. Empty text gives an empty vector. */
gchar **fh_sam_parse_options (const gchar *text,
                              GError **error);

/* A random session ID ("furlhint-" and 32 hex digits, 128 bits from the
 * kernel's CSPRNG): IDs are global to a bridge, and any program that can
 * talk to the bridge and knows an ID can use that session (open streams
 * from its destination, or take its incoming ones), so an ID must not be
 * guessable. NULL with @error (G_IO_ERROR) when the kernel gives no
 * random bytes. */
gchar *fh_sam_new_session_id (GError **error);

G_END_DECLS

#endif /* FURLHINT_SAM_H */
