/* furlhint — plugin descriptors and the FurlHintPlugin object.
 *
 * The descriptor check is the first thing that happens to a plugin after
 * its module is opened, before any of its code runs. It follows
 * GStreamer's rule: look at the ABI version and the struct size first,
 * and never read a field the plugin's struct does not have.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "context-private.h"
#include "hostname.h"

/* A v1 descriptor ends with the describe callback: a plugin must have at
 * least that much. Later ABI additions are appended and read only when
 * struct_size covers them (see DESC_HAS). */
#define DESC_V1_SIZE (offsetof (FurlHintPluginDescriptor, describe) + \
                      sizeof (((FurlHintPluginDescriptor *) NULL)->describe))

#define DESC_HAS(desc, field) \
  ((desc)->struct_size >= offsetof (FurlHintPluginDescriptor, field) + \
                          sizeof ((desc)->field))

/* Plugin names, prefixes and suffixes come from foreign code: quote them
 * so that an error message stays printable (and valid UTF-8) whatever the
 * plugin put there. */
static gchar *
quote_plugin_string (const gchar *s)
{
  return g_strescape (s, NULL);
}

static gboolean
name_is_valid (const gchar *name)
{
  const gchar *p;

  if (name == NULL || *name == '\0')
    return FALSE;
  for (p = name; *p != '\0'; p++)
    {
      if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '-'))
        return FALSE;
    }
  return TRUE;
}

/* The server side appended to ABI 1 (docs/plugin-guide.md): a plugin that
 * lists endpoint types in publishes must be able to publish, finish and
 * withdraw; the host would otherwise find out only when a node listens.
 * Each callback counts only when struct_size covers it. */
static gboolean
check_publishing (const FurlHintPluginDescriptor *desc,
                  const gchar *qname,
                  const gchar *origin,
                  GError **error)
{
  const gchar *const *publishes = fh_descriptor_publishes (desc);
  struct {
    const gchar *name;
    gboolean present;
  } required[3];
  gsize i;

  if (publishes[0] == NULL)
    return TRUE;

  for (i = 0; publishes[i] != NULL; i++)
    {
      if (*publishes[i] == '\0' || strchr (publishes[i], ':') != NULL)
        {
          g_autofree gchar *qbad = quote_plugin_string (publishes[i]);

          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s): invalid endpoint type '%s' in publishes; "
                       "an endpoint type is the non-empty word before the first ':' "
                       "of a server endpoint (\"onion\", \"i2p\") and contains no ':'",
                       qname, origin, qbad);
          return FALSE;
        }
    }

  required[0].name = "publish_async";
  required[0].present = DESC_HAS (desc, publish_async) && desc->publish_async != NULL;
  required[1].name = "publish_finish";
  required[1].present = DESC_HAS (desc, publish_finish) && desc->publish_finish != NULL;
  required[2].name = "unpublish";
  required[2].present = DESC_HAS (desc, unpublish) && desc->unpublish != NULL;
  for (i = 0; i < G_N_ELEMENTS (required); i++)
    {
      if (!required[i].present)
        {
          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s) publishes '%s' but has no %s callback; a "
                       "plugin that lists endpoint types in publishes must provide "
                       "publish_async, publish_finish and unpublish",
                       qname, origin, publishes[0], required[i].name);
          return FALSE;
        }
    }
  return TRUE;
}

/* The declared keys (appended to ABI 1, read only when struct_size covers
 * them): each in the plugin's own section, a lower-case key tahoe.cfg can
 * hold, a known type, a doc line, declared once. */
static gboolean
check_keys (const FurlHintPluginDescriptor *desc,
            const gchar *qname,
            const gchar *origin,
            GError **error)
{
  const FurlHintPluginKey *keys = fh_descriptor_keys (desc);
  gsize i, j;

  if (keys == NULL)
    return TRUE;
  for (i = 0; keys[i].section != NULL; i++)
    {
      const FurlHintPluginKey *key = &keys[i];
      const gchar *problem = NULL;

      if (strcmp (key->section, desc->name) != 0)
        problem = "is not in the plugin's own section (a plugin declares the keys of "
                  "[NAME], NAME being its name; [node] and [connections] are the core's)";
      else if (key->key == NULL || *key->key == '\0' ||
               strpbrk (key->key, "=:[]#; \t\r\n") != NULL)
        problem = "has no key, or one with a character tahoe.cfg keys cannot hold";
      else
        {
          for (const gchar *p = key->key; *p != '\0' && problem == NULL; p++)
            if (g_ascii_isupper (*p) || (guchar) *p < 0x20 || (guchar) *p >= 0x7f)
              problem = "has a key that is not lower-case ASCII (tahoe.cfg keys are "
                        "read lower-cased)";
        }
      if (problem == NULL &&
          ((gint) key->type < FURLHINT_KEY_STRING || (gint) key->type > FURLHINT_KEY_LIST))
        problem = "has an unknown type; expected a FurlHintKeyType";
      if (problem == NULL && (key->doc == NULL || *key->doc == '\0'))
        problem = "has no doc line";
      for (j = 0; problem == NULL && j < i; j++)
        if (strcmp (keys[j].key, key->key) == 0)
          problem = "is declared twice";
      if (problem != NULL)
        {
          g_autofree gchar *qsection = quote_plugin_string (key->section);
          g_autofree gchar *qkey = key->key != NULL ? quote_plugin_string (key->key) : NULL;

          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s): declared key %" G_GSIZE_FORMAT " ([%s] %s) %s",
                       qname, origin, i + 1, qsection, qkey != NULL ? qkey : "(none)",
                       problem);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
fh_descriptor_check (const FurlHintPluginDescriptor *desc,
                     const gchar *origin,
                     GError **error)
{
  struct {
    const gchar *name;
    gboolean present;
  } required[5];
  g_autofree gchar *qname = NULL;
  gsize i;

  g_return_val_if_fail (origin != NULL, FALSE);

  if (desc == NULL)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_NO_SYMBOL,
                   "plugin %s: its '%s' symbol is NULL; a plugin must export a "
                   "descriptor declared with FURLHINT_PLUGIN_DEFINE()",
                   origin, FURLHINT_PLUGIN_SYMBOL);
      return FALSE;
    }

  /* abi_version and struct_size are the only fields every ABI version
   * shares; nothing else may be read before both are checked. */
  if (desc->abi_version != FURLHINT_PLUGIN_ABI_VERSION)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_ABI_VERSION,
                   "plugin %s was built for furlhint plugin ABI version %u, "
                   "but this furlhint (%s) loads only ABI version %d; rebuild "
                   "the plugin against this furlhint's <furlhint/plugin.h>",
                   origin, (guint) desc->abi_version, FURLHINT_VERSION,
                   FURLHINT_PLUGIN_ABI_VERSION);
      return FALSE;
    }

  if (desc->struct_size < DESC_V1_SIZE)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_STRUCT_SIZE,
                   "plugin %s: its descriptor is %u bytes, but plugin ABI "
                   "version %d needs at least %u; set struct_size to "
                   "sizeof (FurlHintPluginDescriptor) and rebuild",
                   origin, (guint) desc->struct_size, FURLHINT_PLUGIN_ABI_VERSION,
                   (guint) DESC_V1_SIZE);
      return FALSE;
    }

  if (!name_is_valid (desc->name))
    {
      g_autofree gchar *qbad = desc->name ? quote_plugin_string (desc->name) : NULL;

      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                   "plugin %s: invalid name %s%s%s; a plugin name is one or more "
                   "of a-z, 0-9, '_' and '-'",
                   origin, qbad ? "'" : "", qbad ? qbad : "(none)", qbad ? "'" : "");
      return FALSE;
    }
  qname = g_strdup (desc->name);

  if (desc->prefixes == NULL)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                   "plugin '%s' (%s): its prefixes array is NULL; use "
                   "{ NULL } for a plugin that handles no hint type natively",
                   qname, origin);
      return FALSE;
    }

  for (i = 0; desc->prefixes[i] != NULL; i++)
    {
      const gchar *prefix = desc->prefixes[i];
      gsize j;

      if (*prefix == '\0' || strchr (prefix, ':') != NULL)
        {
          g_autofree gchar *qbad = quote_plugin_string (prefix);

          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s): invalid prefix '%s'; a prefix is the "
                       "non-empty hint type before the first ':' (\"tor\" for "
                       "\"tor:HOST:PORT\") and contains no ':'",
                       qname, origin, qbad);
          return FALSE;
        }
      for (j = 0; j < i; j++)
        {
          if (g_str_equal (desc->prefixes[j], prefix))
            {
              g_autofree gchar *qbad = quote_plugin_string (prefix);

              g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                           "plugin '%s' (%s) lists prefix '%s' twice; list each "
                           "prefix once", qname, origin, qbad);
              return FALSE;
            }
        }
    }

  if (desc->host_suffixes != NULL)
    {
      for (i = 0; desc->host_suffixes[i] != NULL; i++)
        {
          const gchar *suffix = desc->host_suffixes[i];

          if (suffix[strspn (suffix, ".")] == '\0')
            {
              g_autofree gchar *qbad = quote_plugin_string (suffix);

              g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                           "plugin '%s' (%s): invalid host suffix '%s'; a host "
                           "suffix is a domain such as \".onion\"",
                           qname, origin, qbad);
              return FALSE;
            }
        }
    }

  if ((gint) desc->anon_class < FURLHINT_ANON_CLEAR ||
      (gint) desc->anon_class > FURLHINT_ANON_ANONYMOUS)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                   "plugin '%s' (%s): unknown anonymity class %d; expected "
                   "FURLHINT_ANON_CLEAR (0), FURLHINT_ANON_PROXIED (1) or "
                   "FURLHINT_ANON_ANONYMOUS (2)",
                   qname, origin, (gint) desc->anon_class);
      return FALSE;
    }

  required[0].name = "init";
  required[0].present = desc->init != NULL;
  required[1].name = "parse";
  required[1].present = desc->parse != NULL;
  required[2].name = "connect_async";
  required[2].present = desc->connect_async != NULL;
  required[3].name = "connect_finish";
  required[3].present = desc->connect_finish != NULL;
  required[4].name = "describe";
  required[4].present = DESC_HAS (desc, describe) && desc->describe != NULL;

  for (i = 0; i < G_N_ELEMENTS (required); i++)
    {
      if (!required[i].present)
        {
          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s) has no %s callback; every plugin must "
                       "provide init, parse, connect_async, connect_finish and "
                       "describe (fini is optional)",
                       qname, origin, required[i].name);
          return FALSE;
        }
    }

  if (!check_publishing (desc, qname, origin, error))
    return FALSE;
  if (!check_keys (desc, qname, origin, error))
    return FALSE;
  /* Quoted in rejections an operator reads: one printable line. */
  if (DESC_HAS (desc, setup_hint) && desc->setup_hint != NULL)
    {
      const gchar *hint = desc->setup_hint;
      gboolean ok = *hint != '\0' && g_utf8_validate (hint, -1, NULL);

      for (const gchar *p = hint; ok && *p != '\0'; p++)
        ok = (guchar) *p >= 0x20 && *p != 0x7f;
      if (!ok)
        {
          g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INVALID,
                       "plugin '%s' (%s): its setup_hint is empty, not UTF-8, or has a "
                       "line break or another control character; accepted: one line of "
                       "printable text, or NULL", qname, origin);
          return FALSE;
        }
    }
  return TRUE;
}

const gchar *
fh_descriptor_setup_hint (const FurlHintPluginDescriptor *desc)
{
  if (!DESC_HAS (desc, setup_hint))
    return NULL;
  return desc->setup_hint;
}

const FurlHintPluginKey *
fh_descriptor_keys (const FurlHintPluginDescriptor *desc)
{
  if (!DESC_HAS (desc, keys))
    return NULL;
  return desc->keys;
}

const gchar *const *
fh_descriptor_publishes (const FurlHintPluginDescriptor *desc)
{
  static const gchar *const none[] = { NULL };

  if (!DESC_HAS (desc, publishes) || desc->publishes == NULL)
    return none;
  return desc->publishes;
}

const gchar *
furlhint_plugin_get_name (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc->name;
}

const gchar *
furlhint_plugin_get_version (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc->version != NULL ? plugin->desc->version : "";
}

const gchar *
furlhint_plugin_get_description (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc->description != NULL ? plugin->desc->description : "";
}

const gchar *
furlhint_plugin_get_origin (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->origin;
}

const gchar *const *
furlhint_plugin_get_prefixes (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc->prefixes;
}

const gchar *const *
furlhint_plugin_get_host_suffixes (const FurlHintPlugin *plugin)
{
  static const gchar *const none[] = { NULL };

  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc->host_suffixes != NULL ? plugin->desc->host_suffixes : none;
}

FurlHintAnonClass
furlhint_plugin_get_anon_class (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, FURLHINT_ANON_CLEAR);
  return plugin->desc->anon_class;
}

FurlHintPluginFlags
furlhint_plugin_get_flags (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, FURLHINT_PLUGIN_FLAGS_NONE);
  /* The descriptor's field is a guint32 (a fixed size in the ABI); the
   * same bits, unknown ones included, as the type callers test them by. */
  return (FurlHintPluginFlags) plugin->desc->flags;
}

gboolean
furlhint_plugin_can_carry_tcp (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, FALSE);
  return (plugin->desc->flags & FURLHINT_PLUGIN_CAN_CARRY_TCP) != 0;
}

gboolean
furlhint_plugin_is_configured (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, FALSE);
  return plugin->configured;
}

const gchar *const *
furlhint_plugin_get_publishes (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return fh_descriptor_publishes (plugin->desc);
}

const FurlHintPluginKey *
furlhint_plugin_get_keys (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return fh_descriptor_keys (plugin->desc);
}

const FurlHintPluginDescriptor *
furlhint_plugin_get_descriptor (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->desc;
}

gpointer
furlhint_plugin_get_state (const FurlHintPlugin *plugin)
{
  g_return_val_if_fail (plugin != NULL, NULL);
  return plugin->state;
}

gboolean
furlhint_plugin_parse (FurlHintPlugin *plugin,
                       const gchar *hint,
                       FurlHintParseMode mode,
                       FurlHintTarget *target,
                       GError **error)
{
  return fh_plugin_parse (plugin, hint, mode, NULL, target, error);
}

gboolean
fh_plugin_parse (FurlHintPlugin *plugin,
                 const gchar *hint,
                 FurlHintParseMode mode,
                 const gchar *known_canonical,
                 FurlHintTarget *target,
                 GError **error)
{
  GError *local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (plugin != NULL, FALSE);
  g_return_val_if_fail (hint != NULL, FALSE);
  g_return_val_if_fail (target != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (target, 0, sizeof (*target));
  ok = plugin->desc->parse (plugin->state, hint, mode, target, &local_error);

  /* The plugin is foreign code: hold it to its contract here, so that the
   * ranker and the connector never see a half-filled target or a FALSE
   * without a reason. */
  if (ok)
    {
      if (local_error != NULL)
        {
          fh_context_log (plugin->ctx, G_LOG_LEVEL_WARNING,
                          "plugin '%s' (%s) accepted hint '%s' but also "
                          "set an error (%s); ignoring the error",
                          plugin->desc->name, plugin->origin, hint,
                          local_error->message);
          g_clear_error (&local_error);
        }
      if (target->host == NULL || *target->host == '\0')
        {
          furlhint_target_clear (target);
          g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                       "plugin '%s' (%s) accepted hint '%s' but gave no host; "
                       "this is a bug in the plugin (parse must fill "
                       "target->host on success)",
                       plugin->desc->name, plugin->origin, hint);
          return FALSE;
        }
      if ((gint) target->host_kind < FURLHINT_HOST_NONE ||
          (gint) target->host_kind > FURLHINT_HOST_I2P)
        {
          gint kind = (gint) target->host_kind;

          furlhint_target_clear (target);
          g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                       "plugin '%s' (%s) accepted hint '%s' but gave an unknown "
                       "host kind %d; this is a bug in the plugin",
                       plugin->desc->name, plugin->origin, hint, kind);
          return FALSE;
        }
      if (target->hint == NULL)
        target->hint = g_strdup (hint);
      /* The bundled plugins already return canonical names; a foreign one
       * may not, and "x.onion." must not reach Tor (or be classified)
       * as anything but "x.onion". */
      if (!fh_target_canonicalize (target, known_canonical, error))
        {
          furlhint_target_clear (target);
          return FALSE;
        }
      return TRUE;
    }

  /* Whatever a failing parse left behind is ours to free. */
  furlhint_target_clear (target);

  if (local_error == NULL)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "plugin '%s' (%s) refused hint '%s' without giving a reason "
                   "(a bug in the plugin: parse must set an error when it "
                   "returns FALSE)",
                   plugin->desc->name, plugin->origin, hint);
      return FALSE;
    }

  if (local_error->domain != FURLHINT_HINT_ERROR)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "%s", local_error->message);
      g_error_free (local_error);
      return FALSE;
    }

  g_propagate_error (error, local_error);
  return FALSE;
}

gchar *
furlhint_plugin_describe (FurlHintPlugin *plugin,
                          const FurlHintTarget *target)
{
  gchar *text;

  g_return_val_if_fail (plugin != NULL, NULL);
  g_return_val_if_fail (target != NULL, NULL);

  text = plugin->desc->describe (plugin->state, target);
  if (text == NULL || *text == '\0')
    {
      g_free (text);
      if (target->host != NULL && target->port != 0)
        return g_strdup_printf ("%s:%u via plugin '%s' (%s)", target->host,
                                (guint) target->port, plugin->desc->name,
                                furlhint_anon_class_name (plugin->desc->anon_class));
      return g_strdup_printf ("%s via plugin '%s' (%s)",
                              target->host != NULL ? target->host : "(no host)",
                              plugin->desc->name,
                              furlhint_anon_class_name (plugin->desc->anon_class));
    }
  return text;
}

gboolean
fh_target_canonicalize (FurlHintTarget *target,
                        const gchar *known_canonical,
                        GError **error)
{
  gchar *canonical;
  gsize len = strlen (target->host);

  /* Already canonical (a plugin's parse gives that form): kept as it is,
   * not copied. The ranker knows the host of a `tcp:` hint in that form,
   * and the plugin usually gives it back: one comparison, not the checks
   * again. */
  if ((known_canonical != NULL && strcmp (target->host, known_canonical) == 0) ||
      fh_hostname_is_canonical_len (target->host, len))
    canonical = target->host;
  else
    {
      canonical = fh_hostname_canonicalize (target->host, error);
      if (canonical == NULL)
        return FALSE;
      g_free (target->host);
      target->host = canonical;
      len = strlen (canonical);
    }

  /* What the name is, whatever the plugin said: a .onion or .i2p name is
   * never one for DNS. */
  if (target->host_kind == FURLHINT_HOST_NONE || target->host_kind == FURLHINT_HOST_DNS)
    {
      if (fh_hostname_in_domain_len (canonical, len, "onion", 5))
        target->host_kind = FURLHINT_HOST_ONION;
      else if (fh_hostname_in_domain_len (canonical, len, "i2p", 3))
        target->host_kind = FURLHINT_HOST_I2P;
    }
  return TRUE;
}

void
furlhint_target_copy (FurlHintTarget *dest,
                      const FurlHintTarget *src)
{
  g_return_if_fail (dest != NULL);
  g_return_if_fail (src != NULL);

  dest->host = g_strdup (src->host);
  dest->port = src->port;
  dest->host_kind = src->host_kind;
  dest->hint = g_strdup (src->hint);
}

void
furlhint_target_clear (FurlHintTarget *target)
{
  g_return_if_fail (target != NULL);

  g_free (target->host);
  g_free (target->hint);
  memset (target, 0, sizeof (*target));
}

void
fh_loaded_plugin_free (FurlHintPlugin *plugin)
{
  if (plugin == NULL)
    return;

  if (plugin->desc->fini != NULL)
    plugin->desc->fini (plugin->state);
  plugin->state = NULL;

  if (plugin->module != NULL)
    fh_loader_close (plugin->module);

  g_free (plugin->origin);
  g_free (plugin);
}
