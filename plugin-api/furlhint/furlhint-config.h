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
 * FURLHINT_TYPE_CONFIG:
 *
 * The #GType of #FurlHintConfig (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_CONFIG (furlhint_config_get_type ())

/**
 * furlhint_config_get_type:
 *
 * The boxed #GType of #FurlHintConfig (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintConfig.
 */
GType furlhint_config_get_type (void) G_GNUC_CONST;

/**
 * FurlHintTcpMode:
 * @FURLHINT_TCP_MODE_TCP: `[connections] tcp = tcp` (the default): direct,
 *   or through `tcp.socks-proxy` when that is set.
 * @FURLHINT_TCP_MODE_TOR: `tcp = tor`: every TCP hint is carried by Tor.
 * @FURLHINT_TCP_MODE_DISABLED: `tcp = disabled`: TCP hints are dropped.
 * @FURLHINT_TCP_MODE_CARRIER: `tcp = NAME`: every TCP hint is carried by
 *   the loaded plugin NAME, which must declare
 *   %FURLHINT_PLUGIN_CAN_CARRY_TCP (furlhint_config_get_tcp_route() gives
 *   NAME). Whether it is loaded is known only to a context: the ranker
 *   refuses the hints, naming the setting, when it is not.
 *
 * What `[connections] tcp` asks for. The value is compared in any letter
 * case: `tcp = TOR` is `tcp = tor`.
 */
typedef enum {
  FURLHINT_TCP_MODE_TCP = 0,
  FURLHINT_TCP_MODE_TOR,
  FURLHINT_TCP_MODE_DISABLED,
  FURLHINT_TCP_MODE_CARRIER,
} FurlHintTcpMode;

/**
 * furlhint_config_new:
 *
 * Makes a configuration with no file read, for callers that set what they
 * need (furlhint_config_set_anonymous(), ...) or that want Tahoe's
 * defaults.
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
 * Takes a reference.
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
 * Whether the node runs in anonymous mode, where every connection must go
 * through an anonymity network.
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
 * How plain `tcp:` hints are to be reached: directly, through Tor or
 * another carrier plugin, or not at all.
 *
 * Returns: what `[connections] tcp` asks for.
 */
FurlHintTcpMode furlhint_config_get_tcp_mode (const FurlHintConfig *config);

/**
 * furlhint_config_get_tcp_route:
 * @config: a configuration
 *
 * `[connections] tcp` in lower case: "tcp" (also when not set), "tor",
 * "disabled", or the name of the carrier plugin it asks for.
 *
 * Returns: (transfer none): the route's name, owned by @config.
 */
const gchar *furlhint_config_get_tcp_route (const FurlHintConfig *config);

/**
 * furlhint_config_get_tcp_where:
 * @config: a configuration
 *
 * Where `[connections] tcp` is set, for messages:
 * `FILE:LINE: [connections] tcp = "VALUE"`.
 *
 * Returns: (transfer none) (nullable): the reference, owned by @config,
 *   or %NULL when the key is not set.
 */
const gchar *furlhint_config_get_tcp_where (const FurlHintConfig *config);

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
 * The addresses the node announces in its own FURLs.
 *
 * Returns: (array zero-terminated=1) (transfer none) (nullable): the
 *   entries of `[node] tub.location` split on commas, or %NULL when unset.
 */
const gchar *const *furlhint_config_get_tub_location (const FurlHintConfig *config);

/**
 * furlhint_config_get_warnings:
 * @config: a configuration
 *
 * What the reader noticed but did not refuse.
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
 * The checks that decide whether a node may start: those of
 * furlhint_config_get_listen_entries(), and in anonymous mode
 * `tub.location` must not contain `AUTO`, a clear hint, or a `tor:`/`i2p:`
 * hint to a host that is not an onion/I2P name (only `tor:`/`i2p:` hints to
 * such names, `tcp:` hints to a `.onion`/`.i2p` host, and onion and I2P
 * server endpoints are accepted); a `tub.port` TCP listener must be bound to
 * a loopback `interface=`; an onion endpoint must not ask for `singleHop`;
 * `tcp = tcp` must not be set explicitly (Tahoe's PrivacyError). The error
 * lists every offending entry.
 *
 * Returns: TRUE when the node may start.
 */
gboolean furlhint_config_validate (const FurlHintConfig *config,
                                   GError **error);

/**
 * FurlHintListenKind:
 * @FURLHINT_LISTEN_AUTO: `AUTO` in `tub.location`: every local IPv4
 *   address with the TCP port of `tub.port` (Tahoe's expansion).
 * @FURLHINT_LISTEN_HINT: a connection hint in `tub.location` advertised as
 *   written (`tcp:HOST:PORT`, `HOST:PORT`, `tor:HOST:PORT`,
 *   `i2p:ADDR.i2p[:PORT]`, another Foolscap hint type).
 * @FURLHINT_LISTEN_TCP: a TCP listener of `tub.port` (`tcp:PORT`,
 *   `tcp:PORT:interface=ADDR`, a bare port number).
 * @FURLHINT_LISTEN_ONION: an onion service: txtorcon's server endpoint
 *   `onion:PORT[:hiddenServiceDir=DIR][:localPort=N]...` (in
 *   `tub.location` or `tub.port`), or Tahoe's `tub.port = listen:tor` with
 *   the `[tor] onion*` keys.
 * @FURLHINT_LISTEN_I2P: an I2P destination: txi2p's server endpoint
 *   `i2p:KEYFILE[:PORT][:option=value]...`, or Tahoe's
 *   `tub.port = listen:i2p` with the `[i2p] dest*` keys.
 *
 * What one entry of `tub.location` or `tub.port` asks the node to do.
 */
typedef enum {
  FURLHINT_LISTEN_AUTO = 0,
  FURLHINT_LISTEN_HINT,
  FURLHINT_LISTEN_TCP,
  FURLHINT_LISTEN_ONION,
  FURLHINT_LISTEN_I2P,
} FurlHintListenKind;

/**
 * FurlHintListenEntry:
 * @kind: what the entry asks for
 * @text: the entry as written (one comma-separated item; for
 *   `listen:tor`/`listen:i2p` that word)
 * @key: where it came from: "tub.location" or "tub.port"
 * @index: its position in that key's list, counted from 0
 * @where: "FILE:LINE" of the key
 * @port: the port clients reach: the onion service's virtual port, the I2P
 *   port (0: none, a bare destination), the TCP port (0 for AUTO and
 *   hints)
 * @local_port: where the node listens locally for an onion service
 *   (`localPort=`, `onion.local_port`) or a TCP listener; 0 when the node
 *   picks a free loopback port
 * @interface: (nullable): a TCP listener's `interface=` address
 * @key_path: (nullable): where the key lives: `hiddenServiceDir=` (a
 *   directory in tor's layout, see @key_is_dir), `privateKeyFile=`,
 *   `onion.private_key_file`, the I2P key file; relative paths are
 *   resolved against the directory of the configuration file (NODEDIR, as
 *   Tahoe does). %NULL for an onion service without a stored key (a new
 *   address at every start).
 * @key_is_dir: @key_path is a hidden-service directory (holding `hostname`
 *   and tor's key files)
 * @options: (element-type utf8 utf8): the endpoint's other keywords
 *   (txtorcon's `controlPort`, `version`, `singleHop`; txi2p's
 *   `apiEndpoint`, `nickname`, `options`, `sigType`, ...) as written,
 *   unescaped; never %NULL
 *
 * One parsed entry of `tub.location` or `tub.port`, for the code that
 * publishes and listens (the tor and i2p transports) and for
 * furlhint_config_get_location().
 */
typedef struct {
  FurlHintListenKind kind;
  gchar *text;
  const gchar *key;
  guint index;
  gchar *where;
  guint16 port;
  guint16 local_port;
  gchar *interface;
  gchar *key_path;
  gboolean key_is_dir;
  GHashTable *options;
} FurlHintListenEntry;

/**
 * furlhint_listen_kind_name:
 * @kind: a kind
 *
 * The name of a #FurlHintListenKind.
 *
 * Returns: its stable lower-case name ("auto", "hint", "tcp", "onion",
 *   "i2p"), as JSON output uses it.
 */
const gchar *furlhint_listen_kind_name (FurlHintListenKind kind);

/**
 * furlhint_config_get_listen_entries: (skip)
 * @config: a configuration
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * The node's server side as the configuration asks for it: the entries of
 * `tub.port`, then those of `tub.location`, in order. Runs the checks
 * Tahoe runs before a node starts (furlhint_config_validate() without the
 * anonymity rules): `listen:tor` needs `[tor] onion = true` and its keys,
 * `listen:i2p` needs `[i2p] dest = true` and its keys, `disabled` on both
 * keys or neither, an empty `tub.location` (the seed's client-only node)
 * with no listening `tub.port`, `[storage] enabled` or `[helper] enabled`
 * only on a node that listens, AUTO only with a TCP `tub.port`.
 *
 * An empty list means the node advertises nothing and listens nowhere
 * (`tub.location =` empty, or `tub.port` and `tub.location` disabled).
 *
 * Not for bindings (the entries belong to the array, which bindings
 * cannot keep alive beside them).
 *
 * Returns: (transfer full) (element-type FurlHintListenEntry) (nullable):
 *   the entries (the array frees them), or %NULL with @error set.
 */
GPtrArray *furlhint_config_get_listen_entries (const FurlHintConfig *config,
                                               GError **error);

/**
 * FurlHintLocationHint:
 * @hint: (nullable): the connection hint clients get (`tor:ONION:PORT`,
 *   `i2p:B32.b32.i2p[:PORT]`, `tcp:ADDR:PORT`, or a hint as written);
 *   %NULL when it is not known before the node first listens (see @note)
 * @transport: the transport that publishes or carries it: "tor", "i2p",
 *   "tcp", or the hint's type
 * @anonymous: TRUE for a hint that reaches the node through an anonymity
 *   network without revealing its address
 * @entry: (transfer none): the entry it comes from
 * @note: how @hint was found, or why it is not known yet ("from
 *   DIR/hostname", "created on first listen", ...)
 *
 * One hint the node advertises.
 */
typedef struct {
  gchar *hint;
  const gchar *transport;
  gboolean anonymous;
  const FurlHintListenEntry *entry;
  gchar *note;
} FurlHintLocationHint;

/**
 * furlhint_config_get_location: (skip)
 * @config: a configuration
 * @error: return location for a %FURLHINT_CONFIG_ERROR
 *
 * The hints the node advertises in its FURLs, derived from `tub.location`:
 * an onion endpoint becomes `tor:ONION:PORT` (ONION read from the
 * hidden-service directory's `hostname` file, as tor writes it), an I2P
 * endpoint `i2p:B32.b32.i2p[:PORT]` (B32 = base32 of the SHA-256 of the
 * destination stored at the start of the key file), AUTO one
 * `tcp:ADDR:PORT` per local IPv4 address (Tahoe's expansion, loopback
 * included), a hint itself. Anonymous hints come first, otherwise the
 * order of `tub.location`. A key that does not exist yet gives a hint of
 * %NULL with the note "created on first listen"; a key file that exists
 * but is unreadable or malformed is an error.
 *
 * Runs furlhint_config_validate() first: a node that would not start
 * advertises nothing.
 *
 * Not for bindings, as furlhint_config_get_listen_entries().
 *
 * Returns: (transfer full) (element-type FurlHintLocationHint) (nullable):
 *   the hints (the array frees them and keeps their entries alive), or
 *   %NULL with @error set.
 */
GPtrArray *furlhint_config_get_location (const FurlHintConfig *config,
                                         GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintConfig, furlhint_config_unref)

G_END_DECLS

#endif /* FURLHINT_CONFIG_H */
