/* furlhint — tahoe.cfg: the settings that decide routes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONFIG_H
#define FURLHINT_CONFIG_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-error.h>

G_BEGIN_DECLS

/**
 * FurlHintConfig:
 *
 * A tahoe.cfg as far as connection routing is concerned. Reference counted;
 * change it only before handing it to a #FurlHintContext.
 */
typedef struct _FurlHintConfig FurlHintConfig;

/**
 * FurlHintTcpMode:
 * @FURLHINT_TCP_MODE_TCP: `[connections] tcp = tcp` (the default): direct,
 *   or through `tcp.socks-proxy` when that is set.
 * @FURLHINT_TCP_MODE_TOR: `tcp = tor`: every TCP hint is carried by Tor.
 * @FURLHINT_TCP_MODE_DISABLED: `tcp = disabled`: TCP hints are dropped.
 *
 * What `[connections] tcp` asks for.
 */
typedef enum {
  FURLHINT_TCP_MODE_TCP = 0,
  FURLHINT_TCP_MODE_TOR,
  FURLHINT_TCP_MODE_DISABLED,
} FurlHintTcpMode;

/**
 * furlhint_config_new:
 *
 * Returns: (transfer full): an empty configuration (Tahoe's defaults: not
 *   anonymous, `tcp = tcp`, no Tor, no I2P).
 */
FurlHintConfig *furlhint_config_new (void);

/**
 * furlhint_config_load_file:
 * @path: a tahoe.cfg file
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * Reads @path (Python ConfigParser syntax: `=` or `:` separators, `#` and
 * `;` comments, indented continuation lines, case-insensitive booleans
 * true/false/yes/no/on/off/1/0) and checks every key furlhint knows. Unknown
 * keys in the sections furlhint reads become warnings
 * (furlhint_config_get_warnings()). Errors name the file, line, section,
 * key, value and what is accepted.
 *
 * Reading does not apply the anonymity rules to tub.location; call
 * furlhint_config_validate() for that (a client that never listens may
 * skip it).
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL.
 */
FurlHintConfig *furlhint_config_load_file (const gchar *path,
                                           GError **error);

/**
 * furlhint_config_load_data:
 * @data: tahoe.cfg text
 * @length: length of @data, or -1 when NUL-terminated
 * @origin: (nullable): a name for @data in error messages (a file name)
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * As furlhint_config_load_file(), from memory.
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL.
 */
FurlHintConfig *furlhint_config_load_data (const gchar *data,
                                           gssize length,
                                           const gchar *origin,
                                           GError **error);

/**
 * furlhint_config_ref:
 * @config: a configuration
 *
 * Returns: (transfer full): @config
 */
FurlHintConfig *furlhint_config_ref (FurlHintConfig *config);

/**
 * furlhint_config_unref:
 * @config: (transfer full) (nullable): a configuration
 *
 * Drops a reference.
 */
void furlhint_config_unref (FurlHintConfig *config);

/**
 * furlhint_config_get_anonymous:
 * @config: a configuration
 *
 * Returns: TRUE when `[node] anonymous = true` or
 *   `[node] reveal-IP-address = false` (or furlhint_config_set_anonymous()).
 */
gboolean furlhint_config_get_anonymous (const FurlHintConfig *config);

/**
 * furlhint_config_set_anonymous:
 * @config: a configuration
 * @anonymous: the new mode
 *
 * Overrides the mode read from the file (the CLI's `--anonymous`).
 *
 * Set the mode before a context loads its plugins: plugins are initialised
 * with the mode of that moment (#FurlHintPluginInitArgs), and a context
 * whose plugins were initialised in the other mode refuses to connect
 * (%FURLHINT_POLICY_ERROR_STALE) rather than let a plugin act on a mode
 * that is no longer the node's; make a new context and load the plugins
 * again. A plan ranked in normal mode is likewise refused once the mode is
 * anonymous: rank it again. See furlhint_context_connect_plan_async().
 */
void furlhint_config_set_anonymous (FurlHintConfig *config,
                                    gboolean anonymous);

/**
 * furlhint_config_get_tcp_mode:
 * @config: a configuration
 *
 * Returns: what `[connections] tcp` asks for.
 */
FurlHintTcpMode furlhint_config_get_tcp_mode (const FurlHintConfig *config);

/**
 * furlhint_config_get_tor_fallback:
 * @config: a configuration
 *
 * The policy knob for normal mode: `[connections] tcp.tor-fallback`
 * (a furlhint extension, default false). When TRUE, a public TCP hint whose
 * direct route failed is retried through Tor in a later tier. Anonymous mode
 * always falls back to Tor when Tor is available, whatever this says.
 *
 * Returns: the knob.
 */
gboolean furlhint_config_get_tor_fallback (const FurlHintConfig *config);

/**
 * furlhint_config_get_value:
 * @config: a configuration
 * @section: a section name ("node")
 * @key: a key name, any letter case ("tub.location")
 *
 * The value as written (continuation lines joined with "\n", ends
 * stripped), after ConfigParser's interpolation as Tahoe reads it (`%%` is
 * `%`, `%(key)s` another key's value). A section's missing key falls back
 * to `[DEFAULT]` when the section exists. Keys are case-insensitive as in
 * ConfigParser; sections are not.
 *
 * Returns: (nullable): the value, or %NULL when the key is absent.
 */
const gchar *furlhint_config_get_value (const FurlHintConfig *config,
                                        const gchar *section,
                                        const gchar *key);

/**
 * furlhint_config_set_value:
 * @config: a configuration
 * @section: a section name
 * @key: a key name
 * @value: (nullable): the value, or %NULL to remove the key
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * Sets one key, checked as if it had been read from a file.
 *
 * Returns: TRUE when the value was accepted.
 */
gboolean furlhint_config_set_value (FurlHintConfig *config,
                                    const gchar *section,
                                    const gchar *key,
                                    const gchar *value,
                                    GError **error);

/**
 * furlhint_config_dup_plugin_settings:
 * @config: a configuration
 * @plugin_name: a plugin name ("tor")
 *
 * The settings a plugin's init receives (see #FurlHintPluginInitArgs): every
 * key of section `[plugin_name]`, and every key of `[connections]` as
 * `connections.KEY`. Tahoe's and furlhint's spellings of the same setting
 * (`[tor] socks.port` and `[connections] tor.socks-proxy`, `[i2p] sam.port`
 * and `[connections] i2p.sam-api`) have already been checked against each
 * other.
 *
 * Returns: (transfer full) (element-type utf8 utf8): a new table.
 */
GHashTable *furlhint_config_dup_plugin_settings (const FurlHintConfig *config,
                                                 const gchar *plugin_name);

/**
 * furlhint_config_get_tub_location:
 * @config: a configuration
 *
 * Returns: (array zero-terminated=1) (transfer none) (nullable): the
 *   entries of `[node] tub.location` split on commas, or %NULL when unset.
 */
const gchar *const *furlhint_config_get_tub_location (const FurlHintConfig *config);

/**
 * furlhint_config_get_warnings:
 * @config: a configuration
 *
 * Returns: (array zero-terminated=1) (transfer none): warnings (unknown
 *   keys, keys that do nothing here), each naming file, line, section and
 *   key. Never %NULL.
 */
const gchar *const *furlhint_config_get_warnings (const FurlHintConfig *config);

/**
 * furlhint_config_validate:
 * @config: a configuration
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * The checks that decide whether a node may start: in anonymous mode,
 * `tub.location` must not contain `AUTO` or any hint that is not `tor:`,
 * `i2p:`, or `tcp:` to a `.onion`/`.i2p` host, and `tcp = tcp` must not be
 * set explicitly (Tahoe's PrivacyError); the error lists every offending
 * entry.
 *
 * Returns: TRUE when the node may start.
 */
gboolean furlhint_config_validate (const FurlHintConfig *config,
                                   GError **error);

G_END_DECLS

#endif /* FURLHINT_CONFIG_H */
