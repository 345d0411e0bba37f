/* furlhint — the context: configuration, loaded plugins, logger, ranker.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONTEXT_H
#define FURLHINT_CONTEXT_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/furlhint-config.h>

G_BEGIN_DECLS

/**
 * FurlHintContext:
 *
 * Everything a node needs to turn FURLs into connections: its
 * configuration, the registry of loaded plugins (by hint prefix), the
 * logger and the ranking policy. Reference counted. Not thread-safe: use
 * one context from one thread (loading plugins is serialized internally,
 * since libltdl is not thread-safe).
 */
typedef struct _FurlHintContext FurlHintContext;

/**
 * FurlHintPlugin:
 *
 * A loaded, initialised plugin, owned by its context.
 */
typedef struct _FurlHintPlugin FurlHintPlugin;

/**
 * FURLHINT_TYPE_CONTEXT:
 *
 * The #GType of #FurlHintContext (boxed: copying takes a reference).
 */
#define FURLHINT_TYPE_CONTEXT (furlhint_context_get_type ())

/**
 * furlhint_context_get_type:
 *
 * The boxed #GType of #FurlHintContext (copying takes a reference).
 *
 * Returns: the #GType of #FurlHintContext.
 */
GType furlhint_context_get_type (void) G_GNUC_CONST;

/**
 * FURLHINT_TYPE_TARGET:
 *
 * The #GType of #FurlHintTarget (boxed: copying copies the strings with furlhint_target_copy()).
 */
#define FURLHINT_TYPE_TARGET (furlhint_target_get_type ())

/**
 * furlhint_target_get_type:
 *
 * The boxed #GType of #FurlHintTarget (copying copies the strings).
 *
 * Returns: the #GType of #FurlHintTarget.
 */
GType furlhint_target_get_type (void) G_GNUC_CONST;

/**
 * furlhint_context_new:
 * @config: (nullable): the node's configuration; %NULL for defaults
 *
 * Makes a context with no plugins loaded.
 *
 * Returns: (transfer full): the context.
 */
FurlHintContext *furlhint_context_new (FurlHintConfig *config);

/**
 * furlhint_context_ref:
 * @ctx: a context
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @ctx
 */
FurlHintContext *furlhint_context_ref (FurlHintContext *ctx);

/**
 * furlhint_context_unref:
 * @ctx: (transfer full) (nullable): a context
 *
 * Drops a reference; the last one finalises every plugin (fini) and
 * closes their modules.
 *
 * Keep the context for as long as the streams it connected are in use: a
 * stream may depend on what a plugin keeps running. The bundled i2p
 * plugin ends its SAM sessions at fini, and the I2P router then closes
 * every stream of them; a tor the tor plugin launched (`[tor] launch`)
 * is stopped at fini, with every circuit through it. A plain TCP stream,
 * or one through a tor or SOCKS proxy the plugin did not start, does not
 * depend on the context.
 */
void furlhint_context_unref (FurlHintContext *ctx);

/**
 * furlhint_context_get_config:
 * @ctx: a context
 *
 * The configuration the context was made with.
 *
 * Returns: (transfer none): the context's configuration.
 */
FurlHintConfig *furlhint_context_get_config (FurlHintContext *ctx);

/**
 * furlhint_context_set_logger:
 * @ctx: a context
 * @func: (nullable): where messages go; %NULL drops them (the default)
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * The library never prints: its messages and its plugins' go to @func.
 * furlhint_log_to_glib() forwards to GLib structured logging.
 */
void furlhint_context_set_logger (FurlHintContext *ctx,
                                  FurlHintLogFunc func,
                                  gpointer user_data,
                                  GDestroyNotify destroy);

/**
 * furlhint_log_to_glib:
 * @level: the level
 * @message: the message
 * @user_data: ignored
 *
 * A #FurlHintLogFunc that sends messages to g_log_structured() with the
 * log domain "furlhint".
 */
void furlhint_log_to_glib (GLogLevelFlags level,
                           const gchar *message,
                           gpointer user_data);

/**
 * furlhint_context_load_plugins:
 * @ctx: a context
 *
 * Loads every plugin from the default search path: first the plugins
 * linked into the program (libtool dlpreopen), then the compiled-in plugin
 * directory, then each directory of `FURLHINT_PLUGIN_PATH`
 * (colon-separated). A plugin that fails is skipped and its error recorded
 * (furlhint_context_get_plugin_errors()); so is a plugin whose name or
 * prefix is already taken (the first loaded wins).
 *
 * Returns: the number of plugins loaded by this call.
 */
guint furlhint_context_load_plugins (FurlHintContext *ctx);

/**
 * furlhint_context_load_plugin_dir:
 * @ctx: a context
 * @dir: a directory
 * @error: return location for a %FURLHINT_PLUGIN_ERROR when @dir cannot be
 *   read
 *
 * Loads every libtool module in @dir (in name order); per-plugin failures
 * are recorded, not returned.
 *
 * Returns: FALSE when @dir could not be read.
 */
gboolean furlhint_context_load_plugin_dir (FurlHintContext *ctx,
                                           const gchar *dir,
                                           GError **error);

/**
 * furlhint_context_load_plugin_file:
 * @ctx: a context
 * @path: a module (`.la`, `.so`, or a name libltdl completes)
 * @error: return location for a %FURLHINT_PLUGIN_ERROR
 *
 * Loads one plugin: open, check the descriptor, register its prefixes,
 * init it with its configuration. On failure nothing of it stays loaded and
 * the error (naming @path and the reason) is both returned and recorded.
 *
 * Returns: TRUE when the plugin is loaded.
 */
gboolean furlhint_context_load_plugin_file (FurlHintContext *ctx,
                                            const gchar *path,
                                            GError **error);

/**
 * furlhint_context_register_plugin:
 * @ctx: a context
 * @descriptor: a descriptor that outlives @ctx (static storage)
 * @origin: (nullable): where it came from, for messages (a file name);
 *   %NULL: "builtin"
 * @error: return location for a %FURLHINT_PLUGIN_ERROR
 *
 * Registers a plugin that is already in memory (linked into the program).
 * Modules loaded from files go through the same checks and registration.
 *
 * Returns: TRUE when registered.
 */
gboolean furlhint_context_register_plugin (FurlHintContext *ctx,
                                           const FurlHintPluginDescriptor *descriptor,
                                           const gchar *origin,
                                           GError **error);

/**
 * furlhint_context_get_plugin_errors:
 * @ctx: a context
 *
 * Why plugins were skipped by the loading calls so far.
 *
 * Returns: (transfer none) (element-type GError): every plugin that could
 *   not be loaded, in order.
 */
GPtrArray *furlhint_context_get_plugin_errors (FurlHintContext *ctx);

/**
 * furlhint_context_get_plugins:
 * @ctx: a context
 *
 * The plugins the context loaded.
 *
 * Returns: (transfer none) (element-type FurlHintPlugin): the loaded
 *   plugins, in load order.
 */
GPtrArray *furlhint_context_get_plugins (FurlHintContext *ctx);

/**
 * furlhint_context_find_plugin:
 * @ctx: a context
 * @name: a plugin name
 *
 * Looks a loaded plugin up by name.
 *
 * Returns: (transfer none) (nullable): the plugin called @name.
 */
FurlHintPlugin *furlhint_context_find_plugin (FurlHintContext *ctx,
                                              const gchar *name);

/**
 * furlhint_context_find_plugin_for_prefix:
 * @ctx: a context
 * @prefix: a hint type ("tor")
 *
 * Looks up the loaded plugin that handles a hint type natively.
 *
 * Returns: (transfer none) (nullable): the plugin that owns @prefix.
 */
FurlHintPlugin *furlhint_context_find_plugin_for_prefix (FurlHintContext *ctx,
                                                         const gchar *prefix);

/**
 * furlhint_context_find_carrier:
 * @ctx: a context
 * @name: a TCP route as `[connections] tcp` or a per-peer override `tcp:`
 *   names it, in any letter case
 *
 * The plugin that `tcp = NAME` asks for: the plugin called @name, else
 * the owner of the hint type @name (Tahoe names a handler by the hint
 * type it handles). Whether it can carry `tcp:` hints is for the caller
 * to check (furlhint_plugin_can_carry_tcp()); the default ranker refuses
 * the hints when it cannot.
 *
 * Returns: (transfer none) (nullable): the plugin, or %NULL.
 */
FurlHintPlugin *furlhint_context_find_carrier (FurlHintContext *ctx,
                                               const gchar *name);

/**
 * furlhint_context_find_anonymous_carrier:
 * @ctx: a context
 *
 * The carrier the default ranker uses for public `tcp:` hints in
 * anonymous mode and for `[connections] tcp.tor-fallback`: a configured
 * plugin of class %FURLHINT_ANON_ANONYMOUS that carries `tcp:` hints; the
 * owner of `tor:` hints when it is one, else the first such plugin by
 * name.
 *
 * Returns: (transfer none) (nullable): the plugin, or %NULL when no
 *   anonymous carrier is loaded and configured.
 */
FurlHintPlugin *furlhint_context_find_anonymous_carrier (FurlHintContext *ctx);

/**
 * furlhint_context_check_tcp_route:
 * @ctx: a context, its plugins loaded
 * @error: return location for a %FURLHINT_CONFIG_ERROR_BAD_VALUE error
 *
 * Checks that `[connections] tcp` of the context's configuration names a
 * route this context has: tcp, disabled, or a loaded plugin that carries
 * `tcp:` hints (tor is one). The configuration alone cannot tell, as
 * plugins are loaded later. The error names the setting (file:line), the
 * value and the loaded carriers. The default ranker refuses `tcp:` hints
 * with the same text when the check fails.
 *
 * Returns: TRUE when the route is usable.
 */
gboolean furlhint_context_check_tcp_route (FurlHintContext *ctx,
                                           GError **error);

/**
 * furlhint_context_find_plugin_for_host:
 * @ctx: a context
 * @host: a host name
 *
 * Which plugin's network @host belongs to. Names are compared in their
 * canonical form, without regard to case and with one final dot (the DNS
 * root) dropped: `x.onion.` and `X.ONION` are `x.onion`. A name with an
 * empty label (`x..onion`, `.onion`, `x.onion..`) belongs to no plugin:
 * it is not a usable name at all, and furlhint's ranker refuses it
 * (%FURLHINT_HINT_ERROR_BAD_HOST) before asking; a caller doing its own
 * routing must refuse it too, not resolve it.
 *
 * Returns: (transfer none) (nullable): the plugin whose host suffixes
 *   claim @host (".onion" → tor).
 */
FurlHintPlugin *furlhint_context_find_plugin_for_host (FurlHintContext *ctx,
                                                       const gchar *host);

/**
 * furlhint_plugin_get_name:
 * @plugin: a plugin
 *
 * The plugin's name (#FurlHintPluginDescriptor.name), also the name of its
 * tahoe.cfg section.
 *
 * Returns: its name.
 */
const gchar *furlhint_plugin_get_name (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_version:
 * @plugin: a plugin
 *
 * The plugin's own version (#FurlHintPluginDescriptor.version).
 *
 * Returns: its version string.
 */
const gchar *furlhint_plugin_get_version (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_description:
 * @plugin: a plugin
 *
 * The plugin's description (#FurlHintPluginDescriptor.description), as
 * `furlhint plugins` lists it.
 *
 * Returns: its one-line description.
 */
const gchar *furlhint_plugin_get_description (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_origin:
 * @plugin: a plugin
 *
 * Where the plugin came from.
 *
 * Returns: the file it was loaded from, or "builtin".
 */
const gchar *furlhint_plugin_get_origin (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_prefixes:
 * @plugin: a plugin
 *
 * The hint types the plugin handles natively
 * (#FurlHintPluginDescriptor.prefixes).
 *
 * Returns: (array zero-terminated=1) (transfer none): its native prefixes.
 */
const gchar *const *furlhint_plugin_get_prefixes (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_host_suffixes:
 * @plugin: a plugin
 *
 * The `tcp:` host suffixes the plugin claims
 * (#FurlHintPluginDescriptor.host_suffixes).
 *
 * Returns: (array zero-terminated=1) (transfer none): the host suffixes it
 *   claims (maybe empty, never %NULL).
 */
const gchar *const *furlhint_plugin_get_host_suffixes (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_anon_class:
 * @plugin: a plugin
 *
 * The plugin's anonymity class (#FurlHintPluginDescriptor.anon_class).
 *
 * Returns: what a route through it reveals.
 */
FurlHintAnonClass furlhint_plugin_get_anon_class (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_publishes:
 * @plugin: a plugin
 *
 * The server endpoint types @plugin publishes (#FurlHintPluginDescriptor
 * publishes: "onion", "i2p", ...). A plugin built before the server side
 * was appended to its descriptor publishes nothing.
 *
 * Returns: (array zero-terminated=1) (transfer none): the types (maybe
 *   empty, never %NULL).
 */
const gchar *const *furlhint_plugin_get_publishes (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_keys:
 * @plugin: a plugin
 *
 * The tahoe.cfg keys @plugin declares (#FurlHintPluginDescriptor keys),
 * each in the plugin's own section; the host checked its section against
 * them when it loaded. A plugin built before keys were appended to its
 * descriptor (or that leaves them %NULL) declares none, and its section
 * was not checked.
 *
 * Returns: (transfer none) (nullable): the keys, ended by an entry whose
 *   section is %NULL; %NULL when the plugin declares none.
 */
const FurlHintPluginKey *furlhint_plugin_get_keys (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_flags:
 * @plugin: a plugin
 *
 * The plugin's capabilities (#FurlHintPluginDescriptor.flags).
 *
 * Returns: the #FurlHintPluginFlags the plugin declares (bits this
 *   library does not know included).
 */
FurlHintPluginFlags furlhint_plugin_get_flags (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_can_carry_tcp:
 * @plugin: a plugin
 *
 * Whether the plugin declares %FURLHINT_PLUGIN_CAN_CARRY_TCP.
 *
 * Returns: TRUE when it can carry plain `tcp:` targets.
 */
gboolean furlhint_plugin_can_carry_tcp (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_is_configured:
 * @plugin: a plugin
 *
 * Whether the plugin's init found its transport configured.
 *
 * Returns: FALSE when the configuration does not enable its transport (no
 *   Tor configured, say); the ranker routes nothing through it then.
 */
gboolean furlhint_plugin_is_configured (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_descriptor:
 * @plugin: a plugin
 *
 * The descriptor @plugin was registered with, as the plugin wrote it: for
 * programs that hold a plugin to the contract of <furlhint/plugin.h>
 * themselves, such as furlhint-plugin-check. Nothing in it has been
 * checked beyond what registration checks (ABI version, struct size,
 * name, prefixes, callbacks), and an older plugin's descriptor ends at its
 * @struct_size. Everything else should use the other furlhint_plugin_*()
 * functions, which check what the plugin returns.
 *
 * Returns: (transfer none): the descriptor; it lives as long as @plugin.
 */
const FurlHintPluginDescriptor *furlhint_plugin_get_descriptor (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_get_state:
 * @plugin: a plugin
 *
 * What @plugin's init returned: the @state argument of its descriptor's
 * callbacks, for calling them directly (see
 * furlhint_plugin_get_descriptor()). Calling them this way skips the
 * checks of furlhint_plugin_parse() and of the connector.
 *
 * Returns: (transfer none) (nullable): the plugin's state, owned by the
 *   plugin until its context finalises it.
 */
gpointer furlhint_plugin_get_state (const FurlHintPlugin *plugin);

/**
 * furlhint_plugin_parse:
 * @plugin: a plugin
 * @hint: a canonical hint
 * @mode: why it is asked
 * @target: (out caller-allocates): filled on success; release with
 *   furlhint_target_clear()
 * @error: return location for a %FURLHINT_HINT_ERROR
 *
 * Calls the plugin's parse callback, and checks what it returns (a plugin
 * that reports success without a host gets an error, not a crash).
 *
 * Returns: TRUE on success.
 */
gboolean furlhint_plugin_parse (FurlHintPlugin *plugin,
                                const gchar *hint,
                                FurlHintParseMode mode,
                                FurlHintTarget *target,
                                GError **error);

/**
 * furlhint_plugin_describe:
 * @plugin: a plugin
 * @target: a target it parsed
 *
 * Asks the plugin to describe the route to @target (its describe callback),
 * as `furlhint connect` shows the route that won.
 *
 * Returns: (transfer full): a one-line description of the route.
 */
gchar *furlhint_plugin_describe (FurlHintPlugin *plugin,
                                 const FurlHintTarget *target);

/**
 * furlhint_target_copy:
 * @dest: (out caller-allocates): where to copy to
 * @src: a target
 *
 * Deep-copies @src into @dest.
 */
void furlhint_target_copy (FurlHintTarget *dest,
                           const FurlHintTarget *src);

/**
 * furlhint_target_clear:
 * @target: a target
 *
 * Frees the strings of @target and zeroes it.
 */
void furlhint_target_clear (FurlHintTarget *target);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FurlHintContext, furlhint_context_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FurlHintTarget, furlhint_target_clear)

G_END_DECLS

#endif /* FURLHINT_CONTEXT_H */
