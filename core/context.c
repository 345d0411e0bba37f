/* furlhint — the context: configuration, plugin registry, logger, ranker.
 *
 * Every plugin, whether built in, dlpreopened, loaded from a file or
 * registered by a test, enters the registry through
 * fh_context_add_plugin(): one path, one set of checks (as in
 * collectd's plugin.c, where each step of find → open → check → init →
 * register can fail and only skips that plugin).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "config-private.h"
#include "context-private.h"
#include "hostname.h"

FurlHintContext *
furlhint_context_new (FurlHintConfig *config)
{
  FurlHintContext *ctx;

  /* Plugins name these domains with g_quark_from_static_string() on their
   * own string literals. If a plugin were the first to intern them, GLib's
   * quark table would point into the plugin's memory; intern them here,
   * from libfurlhint's literals, before any plugin code runs. */
  (void) FURLHINT_HINT_ERROR;
  (void) FURLHINT_CONNECT_ERROR;
  (void) FURLHINT_PLUGIN_ERROR;

  ctx = g_new0 (FurlHintContext, 1);
  g_ref_count_init (&ctx->ref);
  ctx->config = config != NULL ? furlhint_config_ref (config) : furlhint_config_new ();
  ctx->plugins = g_ptr_array_new ();
  ctx->by_prefix = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx->plugin_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  ctx->ranker = furlhint_rank_default;
  ctx->ranker_data = NULL;

  return ctx;
}

FurlHintContext *
furlhint_context_ref (FurlHintContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, NULL);

  g_ref_count_inc (&ctx->ref);
  return ctx;
}

void
furlhint_context_unref (FurlHintContext *ctx)
{
  guint i;

  if (ctx == NULL)
    return;
  if (!g_ref_count_dec (&ctx->ref))
    return;

  g_clear_pointer (&ctx->connect_plan, furlhint_plan_unref);
  g_clear_pointer (&ctx->suffixes, g_array_unref);

  /* Reverse load order: a plugin loaded later may have been set up on top
   * of an earlier one, so it goes first. The logger stays installed until
   * every fini has run, since plugins may log while shutting down. */
  for (i = ctx->plugins->len; i > 0; i--)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i - 1);

      fh_loaded_plugin_free (plugin);
    }
  g_ptr_array_unref (ctx->plugins);
  g_hash_table_unref (ctx->by_prefix);
  g_ptr_array_unref (ctx->plugin_errors);
  g_clear_pointer (&ctx->transport_down, g_hash_table_unref);

  if (ctx->log_destroy != NULL)
    ctx->log_destroy (ctx->log_data);
  if (ctx->ranker_destroy != NULL)
    ctx->ranker_destroy (ctx->ranker_data);

  furlhint_config_unref (ctx->config);
  g_free (ctx);
}

FurlHintConfig *
furlhint_context_get_config (FurlHintContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, NULL);
  return ctx->config;
}

void
furlhint_context_set_logger (FurlHintContext *ctx,
                             FurlHintLogFunc func,
                             gpointer user_data,
                             GDestroyNotify destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (ctx != NULL);

  old_destroy = ctx->log_destroy;
  old_data = ctx->log_data;

  ctx->log_func = func;
  ctx->log_data = user_data;
  ctx->log_destroy = destroy;

  if (old_destroy != NULL)
    old_destroy (old_data);
}

void
furlhint_log_to_glib (GLogLevelFlags level,
                      const gchar *message,
                      gpointer user_data)
{
  level &= G_LOG_LEVEL_MASK;
  /* G_LOG_LEVEL_ERROR aborts the process; a library (or a plugin speaking
   * through it) must never do that on runtime input. */
  if (level == 0 || (level & G_LOG_LEVEL_ERROR) != 0)
    level = G_LOG_LEVEL_CRITICAL;

  g_log_structured ("furlhint", level, "MESSAGE", "%s", message);
}

void
fh_context_log (FurlHintContext *ctx,
                GLogLevelFlags level,
                const gchar *format,
                ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  if (ctx == NULL || ctx->log_func == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  ctx->log_func (level, message, ctx->log_data);
}

/* @text with the value of every key @desc declares secret replaced by
 * FURLHINT_CENSORED: what a plugin says (a log line, an init error)
 * reaches the user through the host, which keeps the plugin's secrets
 * out of it even when the plugin quotes them. (transfer full) */
static gchar *
censor_plugin_secrets (FurlHintContext *ctx,
                       const FurlHintPluginDescriptor *desc,
                       const gchar *text)
{
  const FurlHintPluginKey *keys = fh_descriptor_keys (desc);
  gchar *out = g_strdup (text);
  gsize i;

  for (i = 0; keys != NULL && keys[i].section != NULL; i++)
    {
      const gchar *value;
      gchar **parts;

      if (!keys[i].secret)
        continue;
      value = furlhint_config_get_value (ctx->config, keys[i].section, keys[i].key);
      if (value == NULL || *value == '\0' || strstr (out, value) == NULL)
        continue;
      parts = g_strsplit (out, value, -1);
      g_free (out);
      out = g_strjoinv (FURLHINT_CENSORED, parts);
      g_strfreev (parts);
    }
  return out;
}

/* What plugins log through: the context's logger, with the plugin's name
 * in front so that the reader knows who is speaking. */
static void
plugin_log (GLogLevelFlags level,
            const gchar *message,
            gpointer user_data)
{
  FurlHintPlugin *plugin = user_data;
  g_autofree gchar *censored = NULL;

  if (plugin == NULL || message == NULL)
    return;
  censored = censor_plugin_secrets (plugin->ctx, plugin->desc, message);
  /* Bundled and third-party plugins alike may already start with their
   * name ("tor: ..."): it is said once. */
  if (g_str_has_prefix (censored, plugin->desc->name)
      && g_str_has_prefix (censored + strlen (plugin->desc->name), ": "))
    fh_context_log (plugin->ctx, level, "%s", censored);
  else
    fh_context_log (plugin->ctx, level, "%s: %s", plugin->desc->name, censored);
}

/* The plugin's section against the keys it declares, before init
 * (docs/plugin-guide.md, "Declaring keys"): a bad value refuses the
 * plugin as its own init would; an unknown key is a warning. */
static gboolean
check_declared_keys (FurlHintContext *ctx,
                     const FurlHintPluginDescriptor *desc,
                     const gchar *origin,
                     GError **error)
{
  const FurlHintPluginKey *keys = fh_descriptor_keys (desc);
  g_autoptr(GPtrArray) warnings = NULL;
  GError *local_error = NULL;
  guint i;

  if (keys == NULL)
    return TRUE;
  warnings = g_ptr_array_new_with_free_func (g_free);
  if (!fh_config_check_plugin_keys (ctx->config, desc->name, keys, warnings, &local_error))
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT,
                   "plugin '%s' (%s) failed to initialise: %s",
                   desc->name, origin, local_error->message);
      g_error_free (local_error);
      return FALSE;
    }
  for (i = 0; i < warnings->len; i++)
    fh_context_log (ctx, G_LOG_LEVEL_WARNING, "%s: %s", desc->name,
                    (const gchar *) g_ptr_array_index (warnings, i));
  return TRUE;
}

void
fh_context_record_error (FurlHintContext *ctx,
                         const GError *error)
{
  g_return_if_fail (ctx != NULL);
  g_return_if_fail (error != NULL);

  g_ptr_array_add (ctx->plugin_errors, g_error_copy (error));
  fh_context_log (ctx, G_LOG_LEVEL_WARNING, "%s", error->message);
}

/* Strips the dots a suffix may start with: ".onion" and "onion" both mean
 * "the onion domain". */
static const gchar *
suffix_domain (const gchar *suffix)
{
  return suffix + strspn (suffix, ".");
}

static FurlHintPlugin *
find_plugin_for_suffix (FurlHintContext *ctx,
                        const gchar *suffix)
{
  const gchar *domain = suffix_domain (suffix);
  guint i;

  for (i = 0; i < ctx->plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i);
      const gchar *const *suffixes = furlhint_plugin_get_host_suffixes (plugin);
      gsize j;

      for (j = 0; suffixes[j] != NULL; j++)
        {
          if (g_ascii_strcasecmp (suffix_domain (suffixes[j]), domain) == 0)
            return plugin;
        }
    }
  return NULL;
}

gboolean
fh_context_add_plugin (FurlHintContext *ctx,
                       const FurlHintPluginDescriptor *desc,
                       const gchar *origin,
                       gpointer module,
                       GError **error)
{
  FurlHintPluginInitArgs args;
  FurlHintPlugin *existing;
  FurlHintPlugin *plugin;
  g_autoptr(GHashTable) settings = NULL;
  g_autofree gchar *prefix_list = NULL;
  GError *init_error = NULL;
  gboolean configured = TRUE;
  gpointer state;
  gsize i;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (origin != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!fh_descriptor_check (desc, origin, error))
    return FALSE;

  existing = furlhint_context_find_plugin (ctx, desc->name);
  if (existing != NULL)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE,
                   "plugin '%s' (%s) is already loaded from %s; the first "
                   "loaded wins",
                   desc->name, origin, existing->origin);
      return FALSE;
    }

  for (i = 0; desc->prefixes[i] != NULL; i++)
    {
      existing = g_hash_table_lookup (ctx->by_prefix, desc->prefixes[i]);
      if (existing != NULL)
        {
          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE,
                       "prefix '%s' of plugin '%s' (%s) is already handled by "
                       "plugin '%s' (%s); the first loaded wins",
                       desc->prefixes[i], desc->name, origin,
                       existing->desc->name, existing->origin);
          return FALSE;
        }
    }

  /* Two plugins claiming ".onion" would make routing depend on load order
   * without anybody noticing; refuse the second one as for prefixes. */
  for (i = 0; desc->host_suffixes != NULL && desc->host_suffixes[i] != NULL; i++)
    {
      existing = find_plugin_for_suffix (ctx, desc->host_suffixes[i]);
      if (existing != NULL)
        {
          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE,
                       "host suffix '%s' of plugin '%s' (%s) is already "
                       "handled by plugin '%s' (%s); the first loaded wins",
                       desc->host_suffixes[i], desc->name, origin,
                       existing->desc->name, existing->origin);
          return FALSE;
        }
    }

  /* Likewise two plugins publishing "onion" endpoints: which one serves
   * the node's onion service must not depend on load order. */
  for (i = 0; fh_descriptor_publishes (desc)[i] != NULL; i++)
    {
      const gchar *kind = fh_descriptor_publishes (desc)[i];

      for (guint j = 0; j < ctx->plugins->len; j++)
        {
          existing = g_ptr_array_index (ctx->plugins, j);
          if (g_strv_contains (furlhint_plugin_get_publishes (existing), kind))
            {
              g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_DUPLICATE,
                           "endpoint type '%s' published by plugin '%s' (%s) is already "
                           "published by plugin '%s' (%s); the first loaded wins",
                           kind, desc->name, origin, existing->desc->name, existing->origin);
              return FALSE;
            }
        }
    }

  if (!check_declared_keys (ctx, desc, origin, error))
    return FALSE;

  plugin = g_new0 (FurlHintPlugin, 1);
  plugin->ctx = ctx;
  plugin->desc = desc;
  plugin->origin = g_strdup (origin);

  settings = furlhint_config_dup_plugin_settings (ctx->config, desc->name);
  memset (&args, 0, sizeof (args));
  args.struct_size = sizeof (args);
  args.settings = settings;
  args.anonymous = furlhint_config_get_anonymous (ctx->config);
  args.log = plugin_log;
  args.log_data = plugin;

  state = desc->init (&args, &configured, &init_error);
  if (init_error != NULL)
    {
      g_autofree gchar *censored =
        censor_plugin_secrets (ctx, desc, init_error->message != NULL
                                          ? init_error->message : "(no message)");

      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT,
                   "plugin '%s' (%s) failed to initialise: %s",
                   desc->name, origin, censored);
      g_error_free (init_error);
      /* A plugin that returns state along with an error still owns that
       * state; give it back so that nothing leaks. */
      if (state != NULL && desc->fini != NULL)
        desc->fini (state);
      g_free (plugin->origin);
      g_free (plugin);
      return FALSE;
    }

  plugin->state = state;
  plugin->configured = configured != FALSE;
  plugin->anonymous = args.anonymous;
  plugin->module = module;

  g_ptr_array_add (ctx->plugins, plugin);
  ctx->carriers_valid = FALSE;
  ctx->plugins_serial++;
  for (i = 0; desc->prefixes[i] != NULL; i++)
    g_hash_table_insert (ctx->by_prefix, g_strdup (desc->prefixes[i]), plugin);

  prefix_list = g_strjoinv (", ", (gchar **) desc->prefixes);
  fh_context_log (ctx, G_LOG_LEVEL_DEBUG,
                  "loaded plugin '%s' %s from %s (prefixes: %s; %s%s)",
                  desc->name, furlhint_plugin_get_version (plugin), origin,
                  *prefix_list != '\0' ? prefix_list : "none",
                  furlhint_anon_class_name (desc->anon_class),
                  plugin->configured ? "" : "; not configured");
  return TRUE;
}

gboolean
furlhint_context_register_plugin (FurlHintContext *ctx,
                                  const FurlHintPluginDescriptor *descriptor,
                                  const gchar *origin,
                                  GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (descriptor != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (origin == NULL)
    origin = "builtin";

  if (!fh_context_add_plugin (ctx, descriptor, origin, NULL, &local_error))
    {
      fh_context_record_error (ctx, local_error);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
furlhint_context_get_plugin_errors (FurlHintContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, NULL);
  return ctx->plugin_errors;
}

GPtrArray *
furlhint_context_get_plugins (FurlHintContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, NULL);
  return ctx->plugins;
}

FurlHintPlugin *
furlhint_context_find_plugin (FurlHintContext *ctx,
                              const gchar *name)
{
  guint i;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (i = 0; i < ctx->plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i);

      if (g_str_equal (plugin->desc->name, name))
        return plugin;
    }
  return NULL;
}

FurlHintPlugin *
furlhint_context_find_plugin_for_prefix (FurlHintContext *ctx,
                                         const gchar *prefix)
{
  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  return g_hash_table_lookup (ctx->by_prefix, prefix);
}

FurlHintPlugin *
furlhint_context_find_plugin_for_host (FurlHintContext *ctx,
                                       const gchar *host)
{
  g_autofree gchar *copy = NULL;
  const gchar *canonical = host;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);

  /* Compared in canonical form: "x.onion." is the name "x.onion", and
   * sending it to DNS instead of Tor would leak it. A name with an empty
   * label has no canonical form and belongs to no plugin's domain (the
   * ranker refuses it before asking). A host already canonical (every
   * target's) is not copied. */
  if (!fh_hostname_is_canonical (host))
    {
      canonical = copy = fh_hostname_canonicalize (host, NULL);
      if (canonical == NULL)
        return NULL;
    }
  return fh_context_find_plugin_for_canonical_host (ctx, canonical, strlen (canonical));
}

/* One host suffix of one plugin, as a domain (ctx->suffixes). */
typedef struct {
  const gchar *domain;      /* (unowned) in the plugin's descriptor */
  gsize len;
  gchar last;               /* its final byte, in lower case */
  FurlHintPlugin *plugin;   /* (unowned) */
} FhSuffix;

FurlHintPlugin *
fh_context_find_plugin_for_canonical_host (FurlHintContext *ctx,
                                           const gchar *host,
                                           gsize host_len)
{
  gchar last;
  guint i;

  if (ctx->suffixes == NULL || ctx->suffixes_serial != ctx->plugins_serial)
    {
      if (ctx->suffixes == NULL)
        ctx->suffixes = g_array_new (FALSE, FALSE, sizeof (FhSuffix));
      g_array_set_size (ctx->suffixes, 0);
      for (i = 0; i < ctx->plugins->len; i++)
        {
          FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i);
          const gchar *const *suffixes = furlhint_plugin_get_host_suffixes (plugin);

          for (gsize j = 0; suffixes[j] != NULL; j++)
            {
              FhSuffix s = { suffix_domain (suffixes[j]), 0, '\0', plugin };

              s.len = strlen (s.domain);
              if (s.len == 0)
                continue;  /* no domain: fh_hostname_in_domain() says no */
              s.last = g_ascii_tolower (s.domain[s.len - 1]);
              g_array_append_val (ctx->suffixes, s);
            }
        }
      ctx->suffixes_serial = ctx->plugins_serial;
    }

  if (host_len == 0)
    return NULL;
  last = g_ascii_tolower (host[host_len - 1]);
  for (i = 0; i < ctx->suffixes->len; i++)
    {
      const FhSuffix *s = &g_array_index (ctx->suffixes, FhSuffix, i);

      /* The final byte first: most hosts end in no plugin's domain. */
      if (s->last == last && fh_hostname_in_domain_len (host, host_len, s->domain, s->len))
        return s->plugin;
    }
  return NULL;
}

void
furlhint_context_set_ranker (FurlHintContext *ctx,
                             FurlHintRanker ranker,
                             gpointer user_data)
{
  furlhint_context_set_ranker_full (ctx, ranker, user_data, NULL);
}

void
furlhint_context_set_ranker_full (FurlHintContext *ctx,
                                  FurlHintRanker ranker,
                                  gpointer user_data,
                                  GDestroyNotify destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (ctx != NULL);

  old_destroy = ctx->ranker_destroy;
  old_data = ctx->ranker_data;
  if (ranker == NULL)
    {
      ctx->ranker = furlhint_rank_default;
      ctx->ranker_data = NULL;
      ctx->ranker_destroy = NULL;
      /* Nothing will call a NULL ranker: its data goes now. */
      if (destroy != NULL)
        destroy (user_data);
    }
  else
    {
      ctx->ranker = ranker;
      ctx->ranker_data = user_data;
      ctx->ranker_destroy = destroy;
    }
  /* Last, so that a destroy function that looks at @ctx sees the new
   * policy in place. */
  if (old_destroy != NULL)
    old_destroy (old_data);
}
