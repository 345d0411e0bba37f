/* Helpers shared by the four bundled plugins (private).
 *
 * Compiled into each plugin as a convenience library. Nothing here may call
 * libfurlhint: a plugin only has GLib/GIO, <furlhint/plugin.h> and the
 * shared Foolscap/endpoint code (core/shared/libfurlhint-shared.la),
 * exactly like a third-party plugin built out of tree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_PLUGIN_UTIL_H
#define FURLHINT_PLUGIN_UTIL_H

#include <furlhint/plugin.h>

#include "endpoint.h"
#include "foolscap-hint.h"
#include "hostname.h"

G_BEGIN_DECLS

/* Init errors are configuration errors. The domain's quark string and these
 * two codes are the ones of FURLHINT_CONFIG_ERROR (furlhint-error.h);
 * plugin-util.c checks that they still agree. */
#define FH_PLUGIN_CONFIG_ERROR (g_quark_from_static_string ("furlhint-config-error-quark"))
#define FH_PLUGIN_CONFIG_ERROR_BAD_VALUE 3
#define FH_PLUGIN_CONFIG_ERROR_CONFLICT 4

/* Where a setting comes from. */
typedef enum {
  FH_SETTING_ABSENT = 0,
  FH_SETTING_BLANK,   /* present with an empty value */
  FH_SETTING_SET,
} FhSettingState;

/* Refuses (with @error set) an init argument block the plugin cannot read.
 * Needed because init returning NULL without an error means success. */
gboolean fh_plugin_check_init_args (const gchar *plugin,
                                    const FurlHintPluginInitArgs *args,
                                    GError **error);

/* "[connections] tor.socks-proxy" for "connections.tor.socks-proxy",
 * "[tor] socks.port" for "socks.port" in plugin "tor". */
gchar *fh_plugin_setting_label (const gchar *plugin,
                                const gchar *key);

/* (nullable) the value of @key, or NULL when absent. */
const gchar *fh_plugin_get (const FurlHintPluginInitArgs *args,
                            const gchar *key);

/* A Python ConfigParser boolean (true/false, yes/no, on/off, 1/0, any
 * case). Absent or blank gives @default_value. */
gboolean fh_plugin_get_boolean (const gchar *plugin,
                                const FurlHintPluginInitArgs *args,
                                const gchar *key,
                                gboolean default_value,
                                gboolean *out,
                                GError **error);

/* A Twisted client endpoint string. @out is filled only when *@state is
 * FH_SETTING_SET. In anonymous mode (args->anonymous) a TCP host name
 * other than "localhost" is refused (fh_endpoint_needs_lookup()):
 * every endpoint a plugin reads is one it connects to, and connecting
 * would ask the local resolver. */
gboolean fh_plugin_get_endpoint (const gchar *plugin,
                                 const FurlHintPluginInitArgs *args,
                                 const gchar *key,
                                 FhEndpoint *out,
                                 FhSettingState *state,
                                 GError **error);

/* A TCP port number 1–65535 in ASCII digits; 0 in *@out when absent or
 * blank. */
gboolean fh_plugin_get_port (const gchar *plugin,
                             const FurlHintPluginInitArgs *args,
                             const gchar *key,
                             guint16 *out,
                             GError **error);

/* A free-form string (a path, a program name); blank counts as absent.
 * Returns a new string or NULL. */
gchar *fh_plugin_dup_string (const FurlHintPluginInitArgs *args,
                             const gchar *key);

/* Sets the BAD_VALUE error every init failure uses: "tahoe.cfg [S] K =
 * "V": REASON". */
void fh_plugin_set_bad_value (GError **error,
                              const gchar *plugin,
                              const gchar *key,
                              const gchar *value,
                              const gchar *format,
                              ...) G_GNUC_PRINTF (5, 6);

void fh_plugin_log (const FurlHintPluginInitArgs *args,
                    GLogLevelFlags level,
                    const gchar *format,
                    ...) G_GNUC_PRINTF (3, 4);

/* Fills @buf with @len bytes from the kernel's CSPRNG (getrandom(2)),
 * for secrets that must not be guessable. FALSE with @error (G_IO_ERROR)
 * when the kernel cannot give them. */
gboolean fh_plugin_random_bytes (guint8 *buf,
                                 gsize len,
                                 GError **error);

/* "127.0.0.1:9050", "[::1]:9050" or "unix:/run/tor/socks". */
gchar *fh_plugin_endpoint_display (const FhEndpoint *endpoint);

/* "host:port", "[v6]:port", or just "host" when @port is 0. */
gchar *fh_plugin_host_port_display (const gchar *host,
                                    guint16 port);

/* @before, then @host and @port as fh_plugin_host_port_display() writes
 * them, then @after, in one allocation: what a plugin's describe()
 * returns for most routes. */
gchar *fh_plugin_describe_host_port (const gchar *before,
                                     const gchar *host,
                                     guint16 port,
                                     const gchar *after);

/* What a canonical host (core/shared/hostname.h) is, from its text alone (no
 * lookup): .onion / .i2p names first, then strict IPv4 (Python's
 * ipaddress rules: four ASCII decimal parts 0–255 without leading zeros),
 * IPv6 (optional %zone), everything else a DNS name. */
FurlHintHostKind fh_plugin_classify_host (const gchar *host);

/* Replaces the host Foolscap returned in @addr with its canonical form
 * (core/shared/hostname.h): "x.onion." → "x.onion". FALSE with a
 * FURLHINT_HINT_ERROR_BAD_HOST error for a name that has none ("x..onion"). */
gboolean fh_plugin_canonicalize_host (FhFoolscapAddr *addr,
                                      GError **error);

/* furlhint's checks on top of a hint Foolscap accepted: no whitespace
 * around the hint (Python's `$` lets a final "\n" through), and a port
 * 1–65535 written in ASCII digits. */
gboolean fh_plugin_check_hint_text (const gchar *hint,
                                    GError **error);
gboolean fh_plugin_check_port (const FhFoolscapAddr *addr,
                               guint16 *out,
                               GError **error);

/* Foolscap's tcp regex, then the checks above; fills @target (canonical
 * host, kind from fh_plugin_classify_host(), hint copied). */
gboolean fh_plugin_parse_tcp (const gchar *hint,
                              FurlHintTarget *target,
                              GError **error);

/* Moves @addr's host into @target and copies @hint. */
void fh_plugin_fill_target (FurlHintTarget *target,
                            FhFoolscapAddr *addr,
                            guint16 port,
                            FurlHintHostKind kind,
                            const gchar *hint);

/* The finish of a plugin's GTask-based connect: checks @result carries
 * @source_tag. */
GIOStream *fh_plugin_connect_finish (GAsyncResult *result,
                                     gpointer source_tag,
                                     GError **error);

G_END_DECLS

#endif /* FURLHINT_PLUGIN_UTIL_H */
