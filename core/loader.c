/* furlhint — finding and opening plugin modules (libltdl).
 *
 * Lifecycle, as in collectd's src/daemon/plugin.c: find → open → look up
 * the descriptor → check → init → register. Each step can fail for one
 * plugin; the failure is recorded with the file and the reason and the
 * plugin is skipped, never the process aborted. Registration itself is
 * fh_context_add_plugin() (context.c), shared with builtin plugins.
 *
 * libltdl is not thread-safe (collectd learned it the hard way): every
 * lt_* call below happens under loader_lock, and lt_dlinit()/lt_dlexit()
 * are paired per open handle so that libltdl is shut down when the last
 * module is closed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <ltdl.h>

#include "context-private.h"

#ifndef FURLHINT_PLUGINS_DIR
#error "FURLHINT_PLUGINS_DIR must be defined by the build"
#endif

static GMutex loader_lock;

/* Set once a module has run code: from then on libltdl stays initialised
 * for the life of the process (see make_resident_locked()). */
static gboolean loader_pinned;

static const gchar *
lt_error_locked (void)
{
  const gchar *msg = lt_dlerror ();

  return msg != NULL ? msg : "unknown error";
}

/* A module whose init ran may have left pointers into itself inside GLib
 * (static quark strings, registered GTypes, g_once data): unmapping it
 * would leave those dangling, so, like GStreamer and GIO modules, it stays
 * mapped once it has been used. lt_dlclose() still drops our reference.
 * libltdl must then never be shut down (its handle list would point to
 * freed loaders), so the first resident module pins one lt_dlinit(). */
static void
make_resident_locked (lt_dlhandle handle)
{
  if (!loader_pinned)
    {
      if (lt_dlinit () == 0)
        loader_pinned = TRUE;
    }
  if (loader_pinned)
    lt_dlmakeresident (handle);
}

void
fh_loader_close (gpointer module)
{
  if (module == NULL)
    return;

  g_mutex_lock (&loader_lock);
  /* Fails, harmlessly, for a resident module: the reference is dropped
   * all the same. */
  lt_dlclose ((lt_dlhandle) module);
  lt_dlexit ();
  g_mutex_unlock (&loader_lock);
}

/* The name libtool gives a module: the file's base name without its
 * extension, each non-alphanumeric character replaced by '_'. libltdl
 * already tries "NAME_LTX_furlhint_plugin_descriptor" with this name;
 * we try a "lib"-less variant too, for plugins built as libNAME.so. */
static gchar *
module_name_from_path (const gchar *path)
{
  g_autofree gchar *base = g_path_get_basename (path);
  gchar *dot = strchr (base, '.');
  gchar *p;

  if (dot != NULL)
    *dot = '\0';
  for (p = base; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p))
        *p = '_';
    }
  return g_steal_pointer (&base);
}

static const FurlHintPluginDescriptor *
lookup_descriptor_locked (lt_dlhandle handle,
                          const gchar *path,
                          GError **error)
{
  const lt_dlinfo *info = lt_dlgetinfo (handle);
  g_autofree gchar *modname = NULL;
  g_autofree gchar *symbol = NULL;
  gpointer address;

  /* libltdl tries "MODNAME_LTX_furlhint_plugin_descriptor" first, then
   * the plain name. */
  address = lt_dlsym (handle, FURLHINT_PLUGIN_SYMBOL);
  if (address != NULL)
    return address;

  if (info != NULL && info->name != NULL)
    modname = g_strdup (info->name);
  else
    modname = module_name_from_path (path);

  if (g_str_has_prefix (modname, "lib") && modname[3] != '\0')
    {
      g_autofree gchar *alt = g_strdup_printf ("%s_LTX_%s", modname + 3,
                                               FURLHINT_PLUGIN_SYMBOL);

      address = lt_dlsym (handle, alt);
      if (address != NULL)
        return address;
    }

  symbol = g_strdup_printf ("%s_LTX_%s", modname, FURLHINT_PLUGIN_SYMBOL);
  address = lt_dlsym (handle, symbol);
  if (address != NULL)
    return address;

  g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_NO_SYMBOL,
               "plugin %s exports no descriptor: neither '%s' nor '%s' was "
               "found (%s); declare it with FURLHINT_PLUGIN_DEFINE (%s)",
               path, symbol, FURLHINT_PLUGIN_SYMBOL, lt_error_locked (), modname);
  return NULL;
}

/* The value of KEY in a libtool archive (.la): a shell assignment,
 * `KEY='value'` or `KEY=value`, one per line. %NULL when absent or empty. */
static gchar *
la_value (const gchar *contents,
          const gchar *key)
{
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  gsize klen = strlen (key);
  gsize i;

  for (i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = lines[i];
      gsize len;

      if (strncmp (line, key, klen) != 0 || line[klen] != '=')
        continue;
      line += klen + 1;
      len = strlen (line);
      if (len >= 2 && line[0] == '\'' && line[len - 1] == '\'')
        return len > 2 ? g_strndup (line + 1, len - 2) : NULL;
      return *line != '\0' ? g_strdup (line) : NULL;
    }
  return NULL;
}

/* Why libltdl could not open @file, a file that exists. libltdl asks each
 * of its loaders in turn and keeps the last one's error: the dlopen
 * loader's reason ("invalid ELF header", "libfoo.so.1: cannot open shared
 * object file") is overwritten by the preopen loader's "file not found",
 * and lt_dlerror() says that of a file that is there. So the dlopen loader
 * is asked again, alone, with the same advice: libltdl has just tried
 * exactly this, so no code runs that the caller's load would not have run.
 * Returns the reason, or %NULL when it opens after all. */
static gchar *
dlopen_reason_locked (const gchar *file,
                      lt_dladvise advise)
{
  const lt_dlvtable *vtable = lt_dlloader_find ("lt_dlopen");
  lt_module module;

  if (vtable == NULL || vtable->module_open == NULL)
    return NULL;
  module = vtable->module_open (vtable->dlloader_data, file, advise);
  if (module != NULL)
    {
      if (vtable->module_close != NULL)
        vtable->module_close (vtable->dlloader_data, module);
      return NULL;
    }
  return g_strdup (lt_error_locked ());
}

/* The real reason a plugin file that libltdl reported as "file not found"
 * did not open, following libltdl's own search (ltdl.c: lt_dlopenadvise()
 * tries NAME, or NAME.la then NAME.so; find_module() opens a .la's
 * `dlname` in `libdir` when installed, in DIR/.libs when not, then in
 * DIR). %NULL when no such file exists: "file not found" is then true. */
static gchar *
open_failure_reason_locked (const gchar *path,
                            lt_dladvise advise)
{
  g_autofree gchar *la = NULL;
  g_autofree gchar *so = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree gchar *dlname = NULL;
  g_autofree gchar *libdir = NULL;
  g_autofree gchar *installed = NULL;
  g_autofree gchar *dir = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  guint i;

  if (g_str_has_suffix (path, ".la"))
    la = g_strdup (path);
  else if (g_str_has_suffix (path, ".so"))
    so = g_strdup (path);
  else
    {
      la = g_strconcat (path, ".la", NULL);
      so = g_strconcat (path, ".so", NULL);
      if (!g_file_test (la, G_FILE_TEST_EXISTS))
        g_clear_pointer (&la, g_free);
    }

  /* libltdl looks up a name without a directory in its search path, not
   * in the current directory. */
  if (strchr (path, G_DIR_SEPARATOR) == NULL)
    {
      const gchar *there = la != NULL ? la : so;

      if (there != NULL && g_file_test (there, G_FILE_TEST_EXISTS))
        return g_strdup_printf ("file not found: a name without a directory is "
                                "looked up in libltdl's search path, not in the "
                                "current directory; write ./%s", path);
      return NULL;
    }

  if (la == NULL)
    {
      if (!g_file_test (so, G_FILE_TEST_IS_REGULAR))
        return NULL;
      return dlopen_reason_locked (so, advise);
    }

  if (!g_file_get_contents (la, &contents, NULL, NULL))
    return NULL;
  dlname = la_value (contents, "dlname");
  if (dlname == NULL)
    return g_strdup_printf ("%s is not a libtool module: it names no shared "
                            "object (no dlname= line)", la);

  dir = g_path_get_dirname (la);
  libdir = la_value (contents, "libdir");
  installed = la_value (contents, "installed");
  candidates = g_ptr_array_new_with_free_func (g_free);
  if (g_strcmp0 (installed, "no") != 0 && libdir != NULL)
    g_ptr_array_add (candidates, g_build_filename (libdir, dlname, NULL));
  if (g_strcmp0 (installed, "no") == 0)
    g_ptr_array_add (candidates, g_build_filename (dir, ".libs", dlname, NULL));
  g_ptr_array_add (candidates, g_build_filename (dir, dlname, NULL));

  for (i = 0; i < candidates->len; i++)
    {
      const gchar *candidate = g_ptr_array_index (candidates, i);
      gchar *reason;

      if (!g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        continue;
      reason = dlopen_reason_locked (candidate, advise);
      if (reason != NULL && !g_str_has_prefix (reason, candidate))
        {
          gchar *named = g_strdup_printf ("its shared object %s does not load: %s",
                                          candidate, reason);

          g_free (reason);
          return named;
        }
      if (reason != NULL)
        return reason;
    }

  {
    g_autoptr(GString) where = g_string_new (NULL);

    for (i = 0; i < candidates->len; i++)
      {
        g_autofree gchar *cdir = g_path_get_dirname (g_ptr_array_index (candidates, i));

        g_string_append_printf (where, "%s%s", i > 0 ? " or " : "", cdir);
      }
    return g_strdup_printf ("the shared object %s names, '%s', is not in %s",
                            la, dlname, where->str);
  }
}

/* Registers an open module; on success the context owns @handle, on
 * failure it is closed. Runs plugin code, so it must not hold the lock. */
static gboolean
add_module (FurlHintContext *ctx,
            lt_dlhandle handle,
            const FurlHintPluginDescriptor *desc,
            const gchar *origin,
            GError **error)
{
  GError *local_error = NULL;

  if (!fh_context_add_plugin (ctx, desc, origin, handle, &local_error))
    {
      /* A failed init has run the plugin's code all the same: it may
       * have interned a quark from its own static string (the documented
       * FURLHINT_*_ERROR macros do) before failing, so the module stays
       * mapped as a registered one does. */
      if (g_error_matches (local_error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_INIT))
        {
          g_mutex_lock (&loader_lock);
          make_resident_locked (handle);
          g_mutex_unlock (&loader_lock);
        }
      fh_loader_close (handle);
      g_propagate_error (error, local_error);
      return FALSE;
    }

  g_mutex_lock (&loader_lock);
  make_resident_locked (handle);
  g_mutex_unlock (&loader_lock);
  return TRUE;
}

static gboolean
load_plugin_file (FurlHintContext *ctx,
                  const gchar *path,
                  GError **error)
{
  const FurlHintPluginDescriptor *desc;
  lt_dladvise advise;
  lt_dlhandle handle = NULL;
  g_autofree gchar *open_error = NULL;

  /* libltdl asserts on an empty name, and treats NULL as "the program". */
  if (*path == '\0')
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN,
                   "cannot open plugin '': empty file name; give the path of "
                   "a .la or .so module");
      return FALSE;
    }

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN,
                   "cannot open plugin %s: it is a directory; give the path of "
                   "a .la or .so module, or load the directory with "
                   "furlhint_context_load_plugin_dir()", path);
      return FALSE;
    }

  g_mutex_lock (&loader_lock);
  if (lt_dlinit () != 0)
    {
      open_error = g_strdup (lt_error_locked ());
      g_mutex_unlock (&loader_lock);
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN,
                   "cannot open plugin %s: libltdl failed to initialise: %s",
                   path, open_error);
      return FALSE;
    }

  if (lt_dladvise_init (&advise) == 0)
    {
      /* Local symbols: each plugin carries its own copy of the shared
       * helpers, which must not resolve against another plugin's. The
       * extension advice lets a caller name a module without ".la". */
      lt_dladvise_local (&advise);
      lt_dladvise_ext (&advise);
      handle = lt_dlopenadvise (path, advise);
      if (handle == NULL)
        {
          open_error = open_failure_reason_locked (path, advise);
          if (open_error == NULL)
            open_error = g_strdup (lt_error_locked ());
        }
      lt_dladvise_destroy (&advise);
    }
  else
    open_error = g_strdup (lt_error_locked ());
  if (handle == NULL)
    {
      lt_dlexit ();
      g_mutex_unlock (&loader_lock);
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN,
                   "cannot open plugin %s: %s; expected a libtool module "
                   "(.la) or a shared object (.so) built against "
                   "<furlhint/plugin.h>, with every library it links installed",
                   path, open_error);
      return FALSE;
    }

  desc = lookup_descriptor_locked (handle, path, error);
  if (desc == NULL)
    {
      lt_dlclose (handle);
      lt_dlexit ();
      g_mutex_unlock (&loader_lock);
      return FALSE;
    }
  g_mutex_unlock (&loader_lock);

  return add_module (ctx, handle, desc, path, error);
}

gboolean
furlhint_context_load_plugin_file (FurlHintContext *ctx,
                                   const gchar *path,
                                   GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!load_plugin_file (ctx, path, &local_error))
    {
      fh_context_record_error (ctx, local_error);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

/* Whether a plugin loaded from @path is already linked into the program
 * (origin "builtin:NAME"): loading the installed copy as well would only
 * produce a "duplicate" error for every plugin of a static build. */
static FurlHintPlugin *
find_builtin_for_file (FurlHintContext *ctx,
                       const gchar *file_name)
{
  g_autofree gchar *modname = module_name_from_path (file_name);
  g_autofree gchar *origin = g_strconcat ("builtin:", modname, NULL);
  guint i;

  for (i = 0; i < ctx->plugins->len; i++)
    {
      FurlHintPlugin *plugin = g_ptr_array_index (ctx->plugins, i);

      if (g_str_equal (plugin->origin, origin))
        return plugin;
    }
  return NULL;
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

gboolean
furlhint_context_load_plugin_dir (FurlHintContext *ctx,
                                  const gchar *dir,
                                  GError **error)
{
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GHashTable) present = NULL;
  GError *local_error = NULL;
  const gchar *name;
  guint i;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  handle = g_dir_open (dir, 0, &local_error);
  if (handle == NULL)
    {
      g_set_error (error, FURLHINT_PLUGIN_ERROR, FURLHINT_PLUGIN_ERROR_OPEN,
                   "cannot read plugin directory %s: %s", dir, local_error->message);
      g_error_free (local_error);
      return FALSE;
    }

  names = g_ptr_array_new_with_free_func (g_free);
  present = g_hash_table_new (g_str_hash, g_str_equal);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      /* Only what looks like a module: libtool's .la and the .so it
       * describes. READMEs, static archives, .libs/ and friends are not
       * plugins and are skipped silently. */
      if (name[0] == '.')
        continue;
      if (!g_str_has_suffix (name, ".la") && !g_str_has_suffix (name, ".so"))
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++)
    g_hash_table_add (present, g_ptr_array_index (names, i));

  for (i = 0; i < names->len; i++)
    {
      const gchar *file_name = g_ptr_array_index (names, i);
      g_autofree gchar *path = NULL;
      FurlHintPlugin *builtin;

      /* "x.so" beside "x.la" is the same module: load it through the .la,
       * which knows its dependencies. */
      if (g_str_has_suffix (file_name, ".so"))
        {
          g_autofree gchar *la = g_strndup (file_name, strlen (file_name) - 3);
          g_autofree gchar *la_name = g_strconcat (la, ".la", NULL);

          if (g_hash_table_contains (present, la_name))
            continue;
        }

      path = g_build_filename (dir, file_name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;

      builtin = find_builtin_for_file (ctx, file_name);
      if (builtin != NULL)
        {
          fh_context_log (ctx, G_LOG_LEVEL_DEBUG,
                          "not loading %s: plugin '%s' is linked into "
                          "the program", path,
                          furlhint_plugin_get_name (builtin));
          continue;
        }

      furlhint_context_load_plugin_file (ctx, path, NULL);
    }

  return TRUE;
}

/* libltdl's preload iterator takes no user data: the handles are collected
 * here, under loader_lock, and registered after the lock is released. */
static GPtrArray *preloaded_handles;

static int
collect_preloaded (lt_dlhandle handle)
{
  g_ptr_array_add (preloaded_handles, handle);
  return 0;
}

static guint
load_preloaded (FurlHintContext *ctx)
{
  g_autoptr(GPtrArray) handles = NULL;
  guint loaded = 0;
  guint i;

  handles = g_ptr_array_new ();

  g_mutex_lock (&loader_lock);
  if (lt_dlinit () != 0)
    {
      g_mutex_unlock (&loader_lock);
      return 0;
    }
  preloaded_handles = handles;
  /* Fails (no "@PROGRAM@" symbol list) in a program that was not linked
   * with -dlpreopen: that simply means there is nothing built in. */
  lt_dlpreload_open (NULL, collect_preloaded);
  preloaded_handles = NULL;

  for (i = 0; i < handles->len; i++)
    {
      lt_dlhandle handle = g_ptr_array_index (handles, i);
      const lt_dlinfo *info = lt_dlgetinfo (handle);
      g_autofree gchar *modname = NULL;
      g_autofree gchar *origin = NULL;
      const FurlHintPluginDescriptor *desc;
      GError *error = NULL;

      /* Each handle holds one lt_dlinit() reference, as in load_plugin_file(). */
      if (lt_dlinit () != 0)
        {
          lt_dlclose (handle);
          continue;
        }

      modname = (info != NULL && info->name != NULL) ? g_strdup (info->name)
                                                      : g_strdup ("unknown");
      origin = g_strconcat ("builtin:", modname, NULL);

      desc = lookup_descriptor_locked (handle, origin, &error);
      if (desc == NULL)
        {
          /* Other libraries linked with -dlpreopen (not plugins) end up
           * in the same list; only a plugin-like module is an error. */
          lt_dlclose (handle);
          lt_dlexit ();
          g_clear_error (&error);
          continue;
        }

      g_mutex_unlock (&loader_lock);
      if (add_module (ctx, handle, desc, origin, &error))
        loaded++;
      else
        {
          fh_context_record_error (ctx, error);
          g_clear_error (&error);
        }
      g_mutex_lock (&loader_lock);
    }

  lt_dlexit ();
  g_mutex_unlock (&loader_lock);
  return loaded;
}

static void
load_search_dir (FurlHintContext *ctx,
                 const gchar *dir,
                 gboolean missing_is_error)
{
  GError *error = NULL;

  if (!missing_is_error && !g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      fh_context_log (ctx, G_LOG_LEVEL_DEBUG,
                      "plugin directory %s does not exist; skipped", dir);
      return;
    }

  if (!furlhint_context_load_plugin_dir (ctx, dir, &error))
    {
      fh_context_record_error (ctx, error);
      g_error_free (error);
    }
}

guint
furlhint_context_load_plugins (FurlHintContext *ctx)
{
  const gchar *env_dir;
  const gchar *env_path;
  guint before;

  g_return_val_if_fail (ctx != NULL, 0);

  before = ctx->plugins->len;

  load_preloaded (ctx);

  /* FURLHINT_PLUGIN_DIR replaces the compiled-in directory; set but empty,
   * it means "no plugin directory" (only built-in plugins and the path). */
  env_dir = g_getenv ("FURLHINT_PLUGIN_DIR");
  if (env_dir == NULL)
    load_search_dir (ctx, FURLHINT_PLUGINS_DIR, FALSE);
  else if (*env_dir != '\0')
    load_search_dir (ctx, env_dir, TRUE);

  env_path = g_getenv ("FURLHINT_PLUGIN_PATH");
  if (env_path != NULL && *env_path != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (env_path, G_SEARCHPATH_SEPARATOR_S, -1);
      gsize i;

      for (i = 0; dirs[i] != NULL; i++)
        {
          if (*dirs[i] == '\0')
            continue;
          load_search_dir (ctx, dirs[i], FALSE);
        }
    }

  return ctx->plugins->len - before;
}
