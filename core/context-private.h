/* The context and plugin structures (private to libfurlhint).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONTEXT_PRIVATE_H
#define FURLHINT_CONTEXT_PRIVATE_H

#include <furlhint/furlhint.h>

G_BEGIN_DECLS

struct _FurlHintPlugin {
  FurlHintContext *ctx;                       /* (unowned) back pointer */
  const FurlHintPluginDescriptor *desc;       /* (unowned) lives in the module or the program */
  gchar *origin;                              /* (owned) file name, or "builtin" */
  gpointer module;                            /* (owned) (nullable) lt_dlhandle; NULL when registered from memory */
  gpointer state;                             /* (owned by the plugin) what init returned */
  gboolean configured;                        /* init said the transport is configured */
  gboolean anonymous;                         /* the mode init was given (args.anonymous) */
};

struct _FurlHintContext {
  grefcount ref;
  FurlHintConfig *config;                     /* (owned) */
  GPtrArray *plugins;                         /* (owned) (element-type FurlHintPlugin) load order */
  GHashTable *by_prefix;                      /* (owned) prefix → FurlHintPlugin (unowned) */
  GPtrArray *plugin_errors;                   /* (owned) (element-type GError) */
  FurlHintLogFunc log_func;
  gpointer log_data;
  GDestroyNotify log_destroy;
  FurlHintRanker ranker;
  gpointer ranker_data;
  GDestroyNotify ranker_destroy;       /* frees ranker_data, or NULL */
  GHashTable *transport_down;                 /* (owned) (nullable) plugin name → connect.c's memory of a transport found down */
  /* What the default ranker looks up for every FURL (core/rank.c), found
   * once per set of plugins: registration clears @carriers_valid. */
  gboolean carriers_valid;
  FurlHintPlugin *carrier_tcp, *carrier_tor, *carrier_i2p;   /* (unowned) (nullable) */
  FurlHintPlugin *carrier_tcp_proxy, *carrier_anonymous;     /* (unowned) (nullable) */
  guint plugins_serial;                       /* changes at every registration */
  /* Every plugin's host suffixes, as domains, in load order: what
   * fh_context_find_plugin_for_canonical_host() compares with, made
   * again when @plugins_serial has changed since. */
  GArray *suffixes;                           /* (owned) (nullable) (element-type FhSuffix) */
  guint suffixes_serial;
  /* The plan furlhint_context_connect_async() ranked last (core/connect.c),
   * shared by the connects that follow to the same FURL while nothing it
   * was ranked from has changed: the config (its serial), the plugins
   * (their serial), the stagger, the plan itself (its version). */
  FurlHintPlan *connect_plan;                 /* (owned) (nullable) */
  guint connect_plan_version;
  guint connect_plan_config_serial;
  guint connect_plan_plugins_serial;
  guint connect_plan_stagger_ms;
  /* Connects whose work has not ended (core/connect.c: each holds a
   * reference to the context until its last attempt has called back);
   * atomic, since a caller may drop the GAsyncResult on any thread. */
  gint n_connects;
};

/* Logs through the context's logger (no-op without one). */
void fh_context_log (FurlHintContext *ctx,
                     GLogLevelFlags level,
                     const gchar *format,
                     ...) G_GNUC_PRINTF (3, 4);

/* THE registration path, for builtin, preloaded, test and third-party
 * plugins alike: check the descriptor (ABI version and struct size first,
 * before touching anything else), refuse a duplicate name or prefix, run
 * init with the plugin's settings, register its prefixes. On success the
 * context owns @module (may be NULL); on failure the caller still owns it.
 * Records nothing: callers record failures with
 * fh_context_record_error(). */
gboolean fh_context_add_plugin (FurlHintContext *ctx,
                                const FurlHintPluginDescriptor *desc,
                                const gchar *origin,
                                gpointer module,
                                GError **error);

/* Appends a copy of @error to the context's plugin errors and logs it. */
void fh_context_record_error (FurlHintContext *ctx,
                              const GError *error);

/* Checks a descriptor (plugin.c). Never reads a field beyond what
 * @desc->struct_size covers. */
gboolean fh_descriptor_check (const FurlHintPluginDescriptor *desc,
                              const gchar *origin,
                              GError **error);

/* The endpoint types @desc publishes ({ NULL } when none, or when its
 * struct_size ends before the field); @desc passed fh_descriptor_check(),
 * which also made sure publish_async, publish_finish and unpublish are
 * there when the list is not empty. */
const gchar *const *fh_descriptor_publishes (const FurlHintPluginDescriptor *desc);
/* The keys @desc declares, ended by a NULL section; NULL when it declares
 * none (the field is NULL, or its struct_size ends before it: its section
 * is then not checked). */
const FurlHintPluginKey *fh_descriptor_keys (const FurlHintPluginDescriptor *desc);
/* desc->setup_hint when struct_size covers it, else NULL. */
const gchar *fh_descriptor_setup_hint (const FurlHintPluginDescriptor *desc);

/* Puts @target's host in canonical form (core/shared/hostname.h), and makes a
 * .onion/.i2p name's kind say so; FALSE with a FURLHINT_HINT_ERROR_BAD_HOST
 * error (and @target untouched) for a name that has no such form.
 * @known_canonical (nullable) is a name the caller has found canonical
 * already: a host equal to it is not checked again. */
gboolean fh_target_canonicalize (FurlHintTarget *target,
                                 const gchar *known_canonical,
                                 GError **error);

/* furlhint_plugin_parse(), told a host that the ranker has already found
 * canonical in the hint (see fh_target_canonicalize()). */
gboolean fh_plugin_parse (FurlHintPlugin *plugin,
                          const gchar *hint,
                          FurlHintParseMode mode,
                          const gchar *known_canonical,
                          FurlHintTarget *target,
                          GError **error);

/* Why a route through @plugin to @target (canonical form expected) may
 * not be in a plan (anonymous or not, per @anonymous), or NULL when it
 * may: a host not in canonical form; in anonymous mode a clear or
 * proxied class, a target that needs a local DNS lookup, or a carried
 * (public TCP) route before FURLHINT_TIER_TOR_FALLBACK. *@code gets the
 * rejection's code (BAD_HINT or REVEALING). plan.c's add_route and the
 * connector's re-check share it. */
gchar *fh_plan_route_problem (gboolean anonymous,
                              FurlHintPlugin *plugin,
                              const FurlHintTarget *target,
                              guint tier,
                              gboolean carried,
                              FurlHintPolicyError *code);

/* Changes whenever @plan does (an entry added, finished again): a plan
 * with the version it had when it was cached is the plan that was
 * cached. */
guint fh_plan_get_version (const FurlHintPlan *plan);

/* Marks @plan as in use by a connector, for good (the connector calls it
 * before it reads the plan): furlhint_plan_add_route(),
 * furlhint_plan_add_rejection() and furlhint_plan_finish() refuse it from
 * then on (g_return_if_fail), so nothing about it changes under a
 * running connect, nor under the connects that share it. */
void fh_plan_set_in_use (FurlHintPlan *plan);
/* Whether fh_plan_set_in_use() was called on @plan. */
gboolean fh_plan_is_in_use (const FurlHintPlan *plan);

/* @options (nullable), as furlhint_context_rank() reads it: only the
 * fields its struct_size covers, a 0 stagger made the default. */
void fh_rank_options_read (const FurlHintRankOptions *options,
                           FurlHintRankOptions *out);

/* furlhint_plan_add_route() for a @target just filled by
 * furlhint_plugin_parse(), which already put it in canonical form (the
 * default ranker's routes): the route is checked the same way, the
 * host is not canonicalized a second time. */
gboolean fh_plan_add_parsed_route (FurlHintPlan *plan,
                                   guint hint_index,
                                   FurlHintPlugin *plugin,
                                   FurlHintTarget *target,
                                   guint tier,
                                   gboolean carried);

/* furlhint_context_find_plugin_for_host() for a @host of @host_len bytes
 * (strlen()) known to be in canonical form (a parsed target's). */
FurlHintPlugin *fh_context_find_plugin_for_canonical_host (FurlHintContext *ctx,
                                                           const gchar *host,
                                                           gsize host_len);

/* Why @target, parsed for a carried `tcp:` hint, must not be handed to
 * @plugin, or NULL: an anonymous carrier is never asked for an address
 * no anonymity network's exit can reach (Foolscap's non-Tor-able
 * addresses: loopback, private, link-local, multicast, reserved, any
 * IPv6). The tor plugin refuses the same in its parse; this is the one
 * check that covers every anonymous carrier (plan.c). (transfer full) */
gchar *fh_carried_target_problem (FurlHintPlugin *plugin,
                                  const FurlHintTarget *target);

/* Runs fini, closes the module (loader.c), frees the plugin. */
void fh_loaded_plugin_free (FurlHintPlugin *plugin);

/* loader.c: libltdl wrappers, serialized by one mutex. */
void fh_loader_close (gpointer module);

G_END_DECLS

#endif
