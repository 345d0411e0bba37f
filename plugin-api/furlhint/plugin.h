/* furlhint — plugin ABI.
 *
 * This header is the whole contract between libfurlhint and a transport
 * plugin. It is self-contained: it needs GLib/GIO and nothing else, and a
 * plugin built against it needs no symbol from libfurlhint (build it with
 * `pkg-config --cflags furlhint glib-2.0 gio-2.0`, link it with only
 * `pkg-config --libs gio-2.0`).
 *
 * A plugin is a libtool module that exports exactly ONE symbol: a const
 * #FurlHintPluginDescriptor named `furlhint_plugin_descriptor`, declared
 * with FURLHINT_PLUGIN_DEFINE(). With libtool's `name_LTX_sym` convention
 * (module `tcp.la` exports `tcp_LTX_furlhint_plugin_descriptor`) several
 * plugins can be linked statically into one program (dlpreopen) without
 * clashing; the loader looks for both spellings.
 *
 * The host checks `abi_version` and `struct_size` before it touches any
 * other field or runs any plugin code. Fields are only ever appended; a
 * host reads a field only when `struct_size` says the plugin has it.
 *
 * See docs/plugin-guide.md for a worked example that builds out of tree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_PLUGIN_H
#define FURLHINT_PLUGIN_H

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * FURLHINT_PLUGIN_ABI_VERSION:
 *
 * The plugin ABI version this header describes. Bumped only on an
 * incompatible change (a field removed or changed in meaning); appending a
 * field does not bump it, `struct_size` tells the host what a plugin has.
 */
#define FURLHINT_PLUGIN_ABI_VERSION 1

/**
 * FURLHINT_PLUGIN_SYMBOL:
 *
 * The name of the one symbol a plugin exports.
 */
#define FURLHINT_PLUGIN_SYMBOL "furlhint_plugin_descriptor"

/**
 * FurlHintAnonClass:
 * @FURLHINT_ANON_CLEAR: direct connection from this host; the server (and
 *   anyone on the path) sees our IP address; host names are resolved
 *   locally.
 * @FURLHINT_ANON_PROXIED: through a proxy that resolves names remotely; hides
 *   our IP address from the server only if the proxy does.
 * @FURLHINT_ANON_ANONYMOUS: through an anonymity network (Tor, I2P).
 *
 * How much a route reveals. Ordered: a larger value reveals less.
 */
typedef enum {
  FURLHINT_ANON_CLEAR = 0,
  FURLHINT_ANON_PROXIED = 1,
  FURLHINT_ANON_ANONYMOUS = 2,
} FurlHintAnonClass;

/**
 * FurlHintHostKind:
 * @FURLHINT_HOST_NONE: the target has no host (should not happen for the
 *   bundled plugins).
 * @FURLHINT_HOST_DNS: a DNS name that someone has to resolve.
 * @FURLHINT_HOST_IPV4: an IPv4 literal.
 * @FURLHINT_HOST_IPV6: an IPv6 literal (no brackets, maybe a `%zone`).
 * @FURLHINT_HOST_ONION: a Tor onion service name (`*.onion`).
 * @FURLHINT_HOST_I2P: an I2P destination (`*.i2p`, or base64).
 *
 * What kind of host a target names. The ranker uses it to keep local DNS
 * lookups out of anonymous mode and to send `.onion`/`.i2p` to the
 * networks that can reach them.
 */
typedef enum {
  FURLHINT_HOST_NONE = 0,
  FURLHINT_HOST_DNS,
  FURLHINT_HOST_IPV4,
  FURLHINT_HOST_IPV6,
  FURLHINT_HOST_ONION,
  FURLHINT_HOST_I2P,
} FurlHintHostKind;

/**
 * FurlHintTarget:
 * @host: host name or address literal (owned), without brackets; for I2P
 *   the destination. Allocated with g_malloc(); freed by the host with
 *   g_free(). A name is in its canonical form: no final dot (the DNS
 *   root: `x.onion.` becomes `x.onion`), no empty label, `.onion` and
 *   `.i2p` names in lower case. The host puts every target a plugin's
 *   parse returns into that form (or refuses it with
 *   %FURLHINT_HINT_ERROR_BAD_HOST), so the name a route is classified by
 *   is the name the plugin is later asked to connect to.
 * @port: 1–65535, or 0 when the hint carries no port (I2P without a port).
 * @host_kind: what @host is.
 * @hint: the canonical hint the target was parsed from (owned).
 *
 * Where a plugin is asked to connect to. The plugin's parse callback fills
 * one in; the host owns it afterwards (see furlhint_target_clear() in the
 * library, or free @host and @hint with g_free()).
 */
typedef struct {
  gchar *host;
  guint16 port;
  FurlHintHostKind host_kind;
  gchar *hint;
} FurlHintTarget;

/**
 * FurlHintParseMode:
 * @FURLHINT_PARSE_NATIVE: the hint's type is one of the plugin's prefixes.
 * @FURLHINT_PARSE_CARRY: the hint is a `tcp:` hint the plugin is asked to
 *   carry (the plugin declared %FURLHINT_PLUGIN_CAN_CARRY_TCP), as Foolscap
 *   hands a `tcp:` hint to the Tor handler when `tcp = tor`.
 * @FURLHINT_PARSE_SUFFIX: the hint is a `tcp:` hint whose host ends with one
 *   of the plugin's @host_suffixes (e.g. `tcp:x.onion:80` for Tor).
 *
 * Why the host asks a plugin to parse a hint.
 */
typedef enum {
  FURLHINT_PARSE_NATIVE = 0,
  FURLHINT_PARSE_CARRY = 1,
  FURLHINT_PARSE_SUFFIX = 2,
} FurlHintParseMode;

/**
 * FURLHINT_HINT_ERROR:
 *
 * Error domain for a plugin's refusal of a hint (parse callback). Its codes
 * are #FurlHintHintError. The quark string is part of the ABI, so a plugin
 * gets the same quark as the library without linking it.
 */
#define FURLHINT_HINT_ERROR (g_quark_from_static_string ("furlhint-hint-error-quark"))

/**
 * FurlHintHintError:
 * @FURLHINT_HINT_ERROR_UNRECOGNIZED: the hint does not have the plugin's
 *   syntax (Foolscap: "unrecognized TCP hint", "unrecognized TCP/Tor hint",
 *   "unrecognized I2P hint").
 * @FURLHINT_HINT_ERROR_NOT_TORABLE: an address no Tor exit can reach
 *   (Foolscap: "ignoring non-Tor-able ipaddr HOST").
 * @FURLHINT_HINT_ERROR_BAD_PORT: Foolscap accepts the port, furlhint does
 *   not (0, above 65535, or non-ASCII digits).
 * @FURLHINT_HINT_ERROR_UNSUPPORTED: the syntax is fine but this plugin
 *   cannot reach it (e.g. an IPv6 literal through Tor).
 * @FURLHINT_HINT_ERROR_BAD_HOST: Foolscap accepts the host, but it is not a
 *   usable name: an empty label (`x..onion`, `.onion`, `x.onion..`), only
 *   the DNS root, or a bare `onion`/`i2p`. (One final dot is not an error:
 *   `x.onion.` is the name `x.onion`, and targets carry that canonical
 *   form.)
 *
 * Codes for %FURLHINT_HINT_ERROR.
 */
typedef enum {
  FURLHINT_HINT_ERROR_UNRECOGNIZED = 1,
  FURLHINT_HINT_ERROR_NOT_TORABLE,
  FURLHINT_HINT_ERROR_BAD_PORT,
  FURLHINT_HINT_ERROR_UNSUPPORTED,
  FURLHINT_HINT_ERROR_BAD_HOST,
} FurlHintHintError;

/**
 * FURLHINT_CONNECT_ERROR:
 *
 * Error domain for connection failures (connect callback, and the
 * library's connector). Codes are #FurlHintConnectError.
 */
#define FURLHINT_CONNECT_ERROR (g_quark_from_static_string ("furlhint-connect-error-quark"))

/**
 * FurlHintConnectError:
 * @FURLHINT_CONNECT_ERROR_FAILED: any other failure.
 * @FURLHINT_CONNECT_ERROR_REFUSED: the peer (or the proxy for it) refused.
 * @FURLHINT_CONNECT_ERROR_UNREACHABLE: no route to the peer (host or
 *   network unreachable, name unknown).
 * @FURLHINT_CONNECT_ERROR_TIMED_OUT: no answer in time.
 * @FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN: the transport itself is not there
 *   (Tor's SOCKS port refused, SAM bridge not answering). The host
 *   remembers this for a short time and fails the plugin's other hints
 *   with the same cause instead of letting each time out.
 * @FURLHINT_CONNECT_ERROR_PROTOCOL: the proxy/bridge spoke something we do
 *   not understand.
 * @FURLHINT_CONNECT_ERROR_AUTH: the proxy/bridge refused our credentials.
 * @FURLHINT_CONNECT_ERROR_NOT_SUPPORTED: this plugin cannot connect (yet).
 * @FURLHINT_CONNECT_ERROR_CANCELLED: the attempt was abandoned (another
 *   hint won, or the caller cancelled).
 * @FURLHINT_CONNECT_ERROR_NO_ROUTE: the policy left no route for any hint.
 *
 * Codes for %FURLHINT_CONNECT_ERROR.
 */
typedef enum {
  FURLHINT_CONNECT_ERROR_FAILED = 1,
  FURLHINT_CONNECT_ERROR_REFUSED,
  FURLHINT_CONNECT_ERROR_UNREACHABLE,
  FURLHINT_CONNECT_ERROR_TIMED_OUT,
  FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN,
  FURLHINT_CONNECT_ERROR_PROTOCOL,
  FURLHINT_CONNECT_ERROR_AUTH,
  FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
  FURLHINT_CONNECT_ERROR_CANCELLED,
  FURLHINT_CONNECT_ERROR_NO_ROUTE,
} FurlHintConnectError;

/**
 * FurlHintLogFunc:
 * @level: a #GLogLevelFlags level (one bit).
 * @message: the message, without a trailing newline.
 * @user_data: what the host passed along with the function.
 *
 * How a plugin logs. A plugin never prints and never calls g_log()
 * itself: the host decides where messages go.
 */
typedef void (*FurlHintLogFunc) (GLogLevelFlags level,
                                 const gchar *message,
                                 gpointer user_data);

/**
 * FurlHintStatusFunc:
 * @status: a Foolscap-style status string ("connecting", "connecting to a
 *   Tor", "launching Tor", "waiting for Tor bootstrap", ...).
 * @user_data: what the host passed along with the function.
 *
 * How a plugin reports progress on one connection attempt. Called on the
 * thread-default main context the connect was started on.
 */
typedef void (*FurlHintStatusFunc) (const gchar *status,
                                    gpointer user_data);

/**
 * FurlHintPluginInitArgs:
 * @struct_size: sizeof (FurlHintPluginInitArgs) as the host knows it.
 * @settings: (not nullable): the plugin's configuration: every key of the
 *   tahoe.cfg section named like the plugin (`[tor] socks.port` →
 *   `"socks.port"`), and every key of `[connections]` under
 *   `"connections." + key` (`[connections] tor.socks-proxy` →
 *   `"connections.tor.socks-proxy"`, `[connections] tcp` →
 *   `"connections.tcp"`), so that a plugin can see the settings that name
 *   it (`tcp = tor`, `tcp.socks-proxy`). Keys are lower case, values
 *   stripped; a key given blank is present with value "". Owned by the
 *   host; valid during init only (copy what you keep).
 * @anonymous: TRUE when the node runs in anonymous mode.
 * @log: where to send log messages (never %NULL).
 * @log_data: user data for @log.
 *
 * What init receives. New fields are appended; check @struct_size before
 * reading one newer than your plugin.
 */
typedef struct {
  guint32 struct_size;
  GHashTable *settings;
  gboolean anonymous;
  FurlHintLogFunc log;
  gpointer log_data;
} FurlHintPluginInitArgs;

/**
 * FurlHintConnectArgs:
 * @struct_size: sizeof (FurlHintConnectArgs) as the host knows it.
 * @target: where to connect; valid until the operation completes.
 * @isolation_key: (nullable): a string identifying the peer (the FURL's tub
 *   ID); plugins that can isolate streams (Tor: SOCKS credentials) keep
 *   different keys on different circuits.
 * @status: progress reporter (never %NULL).
 * @status_data: user data for @status.
 *
 * What connect receives besides the cancellable and the callback.
 */
typedef struct {
  guint32 struct_size;
  const FurlHintTarget *target;
  const gchar *isolation_key;
  FurlHintStatusFunc status;
  gpointer status_data;
} FurlHintConnectArgs;

/**
 * FurlHintPublishArgs:
 * @struct_size: sizeof (FurlHintPublishArgs) as the host knows it.
 * @endpoint: the server endpoint as written in tahoe.cfg (for messages):
 *   `onion:80:hiddenServiceDir=DIR`, `i2p:KEYFILE`, or Tahoe 1.20's
 *   `listen:tor` / `listen:i2p`.
 * @kind: the endpoint type the host matched against
 *   #FurlHintPluginDescriptor.publishes ("onion", "i2p", ...).
 * @port: the port clients reach: an onion service's virtual port, an I2P
 *   port (0: none).
 * @key_path: (nullable): where the service's key lives; %NULL: a key that
 *   is not kept (a new address at every publish). Absolute.
 * @key_is_dir: @key_path is a directory in tor's hidden-service layout
 *   (`hostname` plus tor's key files), as txtorcon's `hiddenServiceDir=`.
 * @options: (element-type utf8 utf8): the endpoint's other keywords as
 *   written (txtorcon's `version`, txi2p's `options`, ...); never %NULL.
 *   Owned by the host; valid until the publish completes.
 * @local_address: the node's loopback listener for this endpoint: the
 *   plugin makes its network deliver every incoming stream there (Tor:
 *   `ADD_ONION ... Port=VIRT,127.0.0.1:LOCAL`; SAM: `STREAM FORWARD`).
 *   Owned by the host.
 * @create_key: TRUE when the plugin may create a missing key (and save it
 *   at @key_path, private to the user: a 0700 directory, 0600 files);
 *   FALSE: a missing key is an error.
 * @status: progress reporter (never %NULL), as for connects.
 * @status_data: user data for @status.
 *
 * What publish receives besides the cancellable and the callback.
 */
typedef struct {
  guint32 struct_size;
  const gchar *endpoint;
  const gchar *kind;
  guint16 port;
  const gchar *key_path;
  gboolean key_is_dir;
  GHashTable *options;
  GSocketAddress *local_address;
  gboolean create_key;
  FurlHintStatusFunc status;
  gpointer status_data;
} FurlHintPublishArgs;

/**
 * FurlHintPluginFlags:
 * @FURLHINT_PLUGIN_FLAGS_NONE: nothing special.
 * @FURLHINT_PLUGIN_CAN_CARRY_TCP: the plugin can carry plain `tcp:` targets
 *   (a SOCKS proxy, Tor, an HTTP CONNECT proxy). `[connections] tcp = NAME`
 *   and a per-peer override `tcp: NAME` select such a plugin by its name;
 *   in anonymous mode (and for `tcp.tor-fallback`) the core uses a
 *   configured carrier of class %FURLHINT_ANON_ANONYMOUS (the owner of
 *   `tor:` first, else the first by name). The core itself never hands a
 *   carrier of that class a loopback, private, link-local, multicast,
 *   reserved or IPv6 address literal (Foolscap's "non-Tor-able"
 *   addresses): such a plugin need not, and cannot forget to, refuse them.
 * @FURLHINT_PLUGIN_TCP_PROXY: with %FURLHINT_PLUGIN_CAN_CARRY_TCP: the
 *   plugin serves `[connections] tcp.socks-proxy`, Tahoe's proxy for
 *   `tcp = tcp` (the bundled socks plugin). When it is configured, every
 *   `tcp:` hint that would connect directly goes through it instead.
 *
 * Capabilities a plugin declares. New capabilities are new bits; a host
 * ignores bits it does not know.
 */
typedef enum {
  FURLHINT_PLUGIN_FLAGS_NONE = 0, /*< nick=none >*/
  FURLHINT_PLUGIN_CAN_CARRY_TCP = 1 << 0, /*< nick=can-carry-tcp >*/
  FURLHINT_PLUGIN_TCP_PROXY = 1 << 1, /*< nick=tcp-proxy >*/
} FurlHintPluginFlags;

/**
 * FurlHintKeyType:
 * @FURLHINT_KEY_STRING: any text.
 * @FURLHINT_KEY_BOOLEAN: true, false, yes, no, on, off, 1 or 0 (any
 *   letter case), as Python's ConfigParser.getboolean().
 * @FURLHINT_KEY_PORT: a port number 1–65535 in ASCII digits.
 * @FURLHINT_KEY_ENDPOINT: a Twisted client endpoint (`tcp:HOST:PORT`,
 *   `tcp:host=HOST:port=PORT`, `unix:/PATH`, `HOST:PORT`); blank means
 *   the key's default.
 * @FURLHINT_KEY_PATH: a file or directory name.
 * @FURLHINT_KEY_LIST: a comma- or space-separated list of words.
 *
 * What a declared key holds. The host checks #FURLHINT_KEY_BOOLEAN,
 * #FURLHINT_KEY_PORT and #FURLHINT_KEY_ENDPOINT values before init, so a
 * plugin never sees a malformed one; the other types are checked by the
 * plugin itself (the type is then documentation for `furlhint plugins
 * --keys`).
 */
typedef enum {
  FURLHINT_KEY_STRING = 0,
  FURLHINT_KEY_BOOLEAN,
  FURLHINT_KEY_PORT,
  FURLHINT_KEY_ENDPOINT,
  FURLHINT_KEY_PATH,
  FURLHINT_KEY_LIST,
} FurlHintKeyType;

/**
 * FurlHintPluginKey:
 * @section: the tahoe.cfg section, which must be the plugin's name (a
 *   plugin owns its section; `[node]` and `[connections]` are the
 *   core's). %NULL only in the terminating entry.
 * @key: the key as tahoe.cfg spells it, lower case (`socks.port`).
 * @type: a #FurlHintKeyType.
 * @default_value: (nullable): the value used when the key is absent, as
 *   text for people (`"true"`, `"tcp:127.0.0.1:9050"`); %NULL: none.
 * @doc: one line saying what the key does.
 * @secret: the value is a secret (a password): the host never prints
 *   it, in an error, a warning or a listing.
 *
 * One tahoe.cfg key a plugin reads, for #FurlHintPluginDescriptor.keys.
 * The host validates the plugin's section against these before init,
 * with file and line: values by @type, and unknown keys (with the
 * nearest declared key as a suggestion). This struct is part of ABI 1 as
 * it is and never grows (an array's stride cannot be told by a
 * struct_size); more per-key information would come in a new field of the
 * descriptor.
 */
typedef struct {
  const gchar *section;
  const gchar *key;
  FurlHintKeyType type;
  const gchar *default_value;
  const gchar *doc;
  gboolean secret;
} FurlHintPluginKey;

/**
 * FurlHintPluginDescriptor:
 * @abi_version: must be %FURLHINT_PLUGIN_ABI_VERSION.
 * @struct_size: must be sizeof (FurlHintPluginDescriptor) at build time.
 * @name: short lower-case name ("tor"); also the name of its tahoe.cfg
 *   section and of its `[connections] NAME.*` keys.
 * @version: the plugin's own version string.
 * @description: one line for `furlhint plugins`.
 * @prefixes: (array zero-terminated=1): hint types handled natively
 *   (`{ "tor", NULL }`). May be empty (`{ NULL }`) for a plugin that only
 *   carries, like socks. No two loaded plugins may share a prefix.
 * @host_suffixes: (array zero-terminated=1) (nullable): `tcp:` hints whose
 *   host ends with one of these (case-insensitive, e.g. ".onion") are sent
 *   to this plugin natively.
 * @anon_class: what a route through this plugin reveals.
 * @flags: #FurlHintPluginFlags.
 * @init: (not nullable): set up from config. Returns the plugin's state
 *   (may be %NULL on success), or sets @error and returns %NULL. Set
 *   *@configured to FALSE when the config does not enable this transport
 *   (e.g. no Tor configured): the host then keeps the plugin listed but
 *   routes nothing through it. *@configured is TRUE on entry.
 * @fini: (nullable): free the state.
 * @parse: (not nullable): hint → target, pure (no I/O, no DNS). Fill
 *   @target and return TRUE, or set @error (domain %FURLHINT_HINT_ERROR)
 *   and return FALSE. Must not keep pointers into @hint.
 * @connect_async: (not nullable): start connecting to @args->target. Must
 *   call @callback exactly once, on the caller's thread-default main
 *   context, also when @cancellable fires.
 * @connect_finish: (not nullable): the stream, or %NULL with @error set
 *   (domain %FURLHINT_CONNECT_ERROR, or %G_IO_ERROR).
 * @describe: (not nullable): a one-line human description of the route to
 *   @target ("Tor via SOCKS 127.0.0.1:9050"), g_free()d by the host.
 * @publishes: (array zero-terminated=1) (nullable): the server endpoint
 *   types this plugin publishes (`{ "onion", NULL }`); %NULL: none. The
 *   server side, from here to @unpublish, was appended to ABI 1: the host
 *   reads it only when @struct_size covers it, so older plugins load as
 *   before and publish nothing.
 * @publish_async: (nullable): make the endpoint @args describes reachable
 *   through this transport and deliver its incoming streams to
 *   @args->local_address. Calls @callback exactly once, on the caller's
 *   thread-default main context. Required when @publishes is not empty.
 * @publish_finish: (nullable): the hint that reaches the published
 *   endpoint (`tor:ONION.onion:PORT`, `i2p:B32.b32.i2p`), g_free()d by the
 *   host, and in *@publication the plugin's handle for @unpublish; or
 *   %NULL with @error set (domain %FURLHINT_CONNECT_ERROR or %G_IO_ERROR).
 * @unpublish: (nullable): withdraw a publication and free its handle.
 *   Called once per successful publish, on the caller's thread, before
 *   fini. It must not block: a withdrawal that waits for an answer (Tor's
 *   DEL_ONION) finishes on a thread of the plugin's, bounded, and fini
 *   waits for it or cuts it short; the host closes the endpoint's local
 *   listener right after unpublish returns, so nothing reaches the node
 *   meanwhile. Required when @publishes is not empty.
 * @keys: (array zero-terminated=1) (nullable): the tahoe.cfg keys of the
 *   plugin's own section, ended by an entry whose @section is %NULL
 *   (`{ NULL }`). Appended to ABI 1 after @unpublish: the host reads it
 *   only when @struct_size covers it; an older plugin (or %NULL) declares
 *   no keys, and its section is then passed to init unchecked, as before.
 *   A plugin that declares its keys gets, from the host, every value
 *   checked by type, every unknown key of its section reported (with a
 *   "did you mean" for a near miss), and its secrets redacted; see
 *   docs/plugin-guide.md.
 * @setup_hint: (nullable): one line telling an operator what would
 *   configure the plugin when init left *configured FALSE, such as "set
 *   [connections] tor.socks-proxy, or [tor] socks.port"; the ranker
 *   quotes it when it refuses a hint for that reason. The plugin owns its
 *   advice as it owns its section. Appended to ABI 1 after @keys (read
 *   only when @struct_size covers it; without it the ranker points at the
 *   plugin's section). Printable UTF-8 without a line break, or the
 *   plugin is refused at registration.
 *
 * The one thing a plugin exports. Declare it with FURLHINT_PLUGIN_DEFINE().
 */
typedef struct {
  guint32 abi_version;
  guint32 struct_size;

  const gchar *name;
  const gchar *version;
  const gchar *description;
  const gchar *const *prefixes;
  const gchar *const *host_suffixes;
  FurlHintAnonClass anon_class;
  guint32 flags;

  gpointer (*init) (const FurlHintPluginInitArgs *args,
                    gboolean *configured,
                    GError **error);
  void (*fini) (gpointer state);
  gboolean (*parse) (gpointer state,
                     const gchar *hint,
                     FurlHintParseMode mode,
                     FurlHintTarget *target,
                     GError **error);
  void (*connect_async) (gpointer state,
                         const FurlHintConnectArgs *args,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data);
  GIOStream *(*connect_finish) (gpointer state,
                                GAsyncResult *result,
                                GError **error);
  gchar *(*describe) (gpointer state,
                      const FurlHintTarget *target);

  /* Appended to ABI 1: the server side (see above). */
  const gchar *const *publishes;
  void (*publish_async) (gpointer state,
                         const FurlHintPublishArgs *args,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data);
  gchar *(*publish_finish) (gpointer state,
                            GAsyncResult *result,
                            gpointer *publication,
                            GError **error);
  void (*unpublish) (gpointer state,
                     gpointer publication);

  /* Appended to ABI 1: the plugin's tahoe.cfg keys (see above). */
  const FurlHintPluginKey *keys;

  /* Appended to ABI 1: how to configure it (see above). */
  const gchar *setup_hint;
} FurlHintPluginDescriptor;

#ifndef G_MODULE_EXPORT
#  if defined(__GNUC__)
#    define G_MODULE_EXPORT __attribute__((visibility ("default")))
#  else
#    define G_MODULE_EXPORT
#  endif
#endif

/**
 * FURLHINT_PLUGIN_SYMBOL_NAME_:
 * @modname: the module's name, pasted as written
 *
 * The pasting step of FURLHINT_PLUGIN_SYMBOL_NAME(); not for direct use
 * (it would paste a macro's name instead of its value).
 */
#define FURLHINT_PLUGIN_SYMBOL_NAME_(modname) modname##_LTX_furlhint_plugin_descriptor

/**
 * FURLHINT_PLUGIN_SYMBOL_NAME:
 * @modname: the module's name as libtool knows it, or a macro that
 *   expands to it.
 *
 * The identifier of a module's descriptor, `modname_LTX_furlhint_plugin_descriptor`,
 * for a program that links a plugin in by hand:
 * `extern const FurlHintPluginDescriptor FURLHINT_PLUGIN_SYMBOL_NAME (unixsock);`.
 * @modname is macro-expanded before it is pasted (the extra level of
 * expansion), so `FURLHINT_PLUGIN_SYMBOL_NAME (MODNAME)` with
 * `-DMODNAME=unixsock` names `unixsock_LTX_furlhint_plugin_descriptor`.
 */
#define FURLHINT_PLUGIN_SYMBOL_NAME(modname) FURLHINT_PLUGIN_SYMBOL_NAME_ (modname)

/**
 * FURLHINT_PLUGIN_DEFINE:
 * @modname: the module's name as libtool knows it (`tcp` for `tcp.la`),
 *   used for the `modname_LTX_` prefix that lets several plugins be linked
 *   statically into one program. A macro is expanded first, so the name
 *   may come from the build (`-DMODNAME=unixsock`).
 *
 * Declares the exported descriptor. Follow it with the initializer:
 *
 * |[<!-- language="C" -->
 * FURLHINT_PLUGIN_DEFINE (echo) = {
 *   .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
 *   .struct_size = sizeof (FurlHintPluginDescriptor),
 *   .name = "echo",
 *   ...
 * };
 * ]|
 */
#define FURLHINT_PLUGIN_DEFINE(modname) \
  G_MODULE_EXPORT const FurlHintPluginDescriptor FURLHINT_PLUGIN_SYMBOL_NAME (modname); \
  G_MODULE_EXPORT const FurlHintPluginDescriptor FURLHINT_PLUGIN_SYMBOL_NAME (modname)

G_END_DECLS

#endif /* FURLHINT_PLUGIN_H */
