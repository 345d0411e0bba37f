/* Twisted client endpoint strings as tahoe.cfg uses them (private).
 *
 * Accepted: `tcp:HOST:PORT`, `tcp:host=HOST:port=PORT` (keywords in any
 * order, `timeout=` and `bindAddress=` ignored with no effect on routing),
 * `tcp:[IPv6]:PORT`, `unix:/path` (`unix:path=/path`), and plain
 * `HOST:PORT`. Shared by the config reader and the plugins.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_ENDPOINT_H
#define FURLHINT_ENDPOINT_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_ENDPOINT_TCP = 0,
  FH_ENDPOINT_UNIX,
} FhEndpointKind;

typedef struct {
  FhEndpointKind kind;
  gchar *host;     /* (owned) TCP: host or address literal, no brackets */
  guint16 port;    /* TCP: 1..65535 */
  gchar *path;     /* (owned) UNIX: socket path */
} FhEndpoint;

/* One argument of a Twisted endpoint string. */
typedef struct {
  gchar *key;   /* (owned) (nullable) NULL for a positional argument */
  gchar *value; /* (owned) unescaped */
} FhEndpointArg;

/* An empty array of FhEndpointArg that frees its elements. */
GArray *fh_endpoint_args_new (void);

/* Twisted's endpoints._tokenize()/_parse() (twisted 22): `:` separates
 * arguments, the first `=` of an argument splits keyword from value
 * (later `=` are literal), a backslash makes the next character literal;
 * plus furlhint's rule that a `[` opening an argument or a value runs to
 * the next `]` (an IPv6 literal). Appends to @args (from
 * fh_endpoint_args_new()) in order; a keyword given twice appears twice.
 * On failure *@problem says why (a static string). Shared by the client
 * endpoints here and the config reader's server endpoints, so both split
 * text the same way. */
gboolean fh_endpoint_tokenize (const gchar *text, GArray *args, const gchar **problem);

/* Parses @text. On failure sets @error in domain
 * g_quark_from_static_string ("furlhint-config-error-quark") with code
 * FURLHINT_CONFIG_ERROR_BAD_VALUE (3), saying what is wrong and what is
 * accepted; the caller prefixes file/section/key. */
gboolean fh_endpoint_parse (const gchar *text, FhEndpoint *out, GError **error);

/* Canonical text: `tcp:HOST:PORT` (`tcp:[v6]:PORT`) or `unix:PATH`. */
gchar *fh_endpoint_to_string (const FhEndpoint *endpoint);

void fh_endpoint_clear (FhEndpoint *endpoint);

/* TRUE when @a and @b name the same endpoint: same kind, and the same
 * path, or the same port and host (host in any letter case), however
 * each was spelled (`localhost:9050`, `tcp:host=LOCALHOST:port=09050`). */
gboolean fh_endpoint_equal (const FhEndpoint *a, const FhEndpoint *b);

/* TRUE when connecting to @endpoint needs a name lookup on this machine:
 * a TCP host that is neither an address literal nor "localhost" (which
 * GIO answers from itself, RFC 6761). In anonymous mode such a Tor or
 * SAM endpoint is a local DNS query, so it is refused. */
gboolean fh_endpoint_needs_lookup (const FhEndpoint *endpoint);

/* What fh_endpoint_needs_lookup() refuses, and what is accepted,
 * for the error messages of the config reader and the plugins. */
#define FH_ENDPOINT_LOOKUP_PROBLEM \
  "in anonymous mode a Tor or I2P endpoint given by host name would be looked " \
  "up in the local DNS before anything reaches Tor or I2P; accepted: an IP " \
  "address (tcp:127.0.0.1:PORT, tcp:[::1]:PORT), localhost, or unix:PATH"

/* `[connections] tcp.socks-proxy` is ENDPOINT[:user=NAME:password=SECRET]
 * (Twisted-style keywords, `\:` `\=` `\\` escapes, both or neither, each
 * 1-255 bytes for RFC 1929). Takes the two keywords out of @value: on
 * success *@endpoint is the rest and *@user / *@password are set (both
 * NULL when absent); on failure returns FALSE and *@problem says why (a
 * static string), and nothing needs freeing. Shared by the config reader
 * and the socks plugin so both accept exactly the same text. */
gboolean fh_endpoint_split_credentials (const gchar *value,
                                        gchar **endpoint,
                                        gchar **user,
                                        gchar **password,
                                        const gchar **problem);

/* What every message, log line and status shows instead of a secret (a
 * password, a FURL's name, a NURL's swissnum). */
#define FH_CENSORED "[censored]"

/* @value (a `tcp.socks-proxy` setting, or any endpoint string) with the
 * value of each `password=` field replaced by FH_CENSORED, for messages.
 * (transfer full) */
gchar *fh_endpoint_censor_credentials (const gchar *value);

/* Zeroes a secret, then frees it. */
void fh_secret_free (gchar *secret);

G_END_DECLS

#endif
