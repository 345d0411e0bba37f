/* Hostile test plugin: claims hint types and then breaks the parse and
 * describe contract. The hint's type picks the misbehaviour:
 *
 *   refuse:...     claims the prefix, then refuses every hint of it
 *   nohost:...     returns TRUE without filling target->host
 *   emptyhost:...  returns TRUE with target->host = ""
 *   falsenoerr:... returns FALSE without setting an error
 *   trueerr:H:P    returns TRUE with a good target AND sets an error
 *   wrongdomain:...returns FALSE with a G_IO_ERROR (not FURLHINT_HINT_ERROR)
 *   badkind:H:P    returns TRUE with host_kind 99
 *   halfleft:...   fills host and hint, then returns FALSE (with an error)
 *   nulldesc:H:P   parses fine; describe returns NULL
 *
 * Its connects always fail (NOT_SUPPORTED): only parsing is under test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <furlhint/plugin.h>

static gpointer
p_init (const FurlHintPluginInitArgs *args,
        gboolean *configured,
        GError **error)
{
  return NULL;
}

static gboolean
fill (const gchar *hint,
      FurlHintTarget *target)
{
  g_auto(GStrv) parts = g_strsplit (hint, ":", -1);

  if (g_strv_length (parts) < 2)
    return FALSE;
  target->host = g_strdup (parts[1][0] != '\0' ? parts[1] : "x");
  target->port = 1;
  target->host_kind = FURLHINT_HOST_DNS;
  target->hint = g_strdup (hint);
  return TRUE;
}

static gboolean
p_parse (gpointer data,
         const gchar *hint,
         FurlHintParseMode mode,
         FurlHintTarget *target,
         GError **error)
{
  if (g_str_has_prefix (hint, "refuse:"))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "hostile plugin refuses every refuse: hint ('%s')", hint);
      return FALSE;
    }
  if (g_str_has_prefix (hint, "nohost:"))
    {
      target->port = 1;
      target->host_kind = FURLHINT_HOST_DNS;
      target->hint = g_strdup (hint);
      return TRUE;
    }
  if (g_str_has_prefix (hint, "emptyhost:"))
    {
      target->host = g_strdup ("");
      target->port = 1;
      target->host_kind = FURLHINT_HOST_DNS;
      return TRUE;
    }
  if (g_str_has_prefix (hint, "falsenoerr:"))
    return FALSE;
  if (g_str_has_prefix (hint, "trueerr:"))
    {
      fill (hint, target);
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                           "hostile plugin: an error next to TRUE");
      return TRUE;
    }
  if (g_str_has_prefix (hint, "wrongdomain:"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "hostile plugin: an error of the wrong domain");
      return FALSE;
    }
  if (g_str_has_prefix (hint, "badkind:"))
    {
      fill (hint, target);
      target->host_kind = (FurlHintHostKind) 99;
      return TRUE;
    }
  if (g_str_has_prefix (hint, "halfleft:"))
    {
      fill (hint, target);
      g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNSUPPORTED,
                           "hostile plugin: refused after filling the target");
      return FALSE;
    }
  /* nulldesc: and anything else. */
  return fill (hint, target) ||
         (g_set_error_literal (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                               "hostile plugin: no host"), FALSE);
}

static void
p_connect_async (gpointer state,
                 const FurlHintConnectArgs *args,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_new_error (task, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_NOT_SUPPORTED,
                           "hostile_parse does not connect");
  g_object_unref (task);
}

static GIOStream *
p_connect_finish (gpointer state,
                  GAsyncResult *result,
                  GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gchar *
p_describe (gpointer state,
            const FurlHintTarget *target)
{
  if (g_str_has_prefix (target->hint, "nulldesc:"))
    return NULL;
  return g_strdup_printf ("hostile_parse %s", target->hint);
}

static const gchar *const p_prefixes[] = {
  "refuse", "nohost", "emptyhost", "falsenoerr", "trueerr", "wrongdomain", "badkind",
  "halfleft", "nulldesc", NULL
};

FURLHINT_PLUGIN_DEFINE (hostile_parse) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = "hostile_parse",
  .version = "1.0",
  .description = "test plugin whose parse and describe break the contract",
  .prefixes = p_prefixes,
  .anon_class = FURLHINT_ANON_CLEAR,
  .flags = FURLHINT_PLUGIN_FLAGS_NONE,
  .init = p_init,
  .parse = p_parse,
  .connect_async = p_connect_async,
  .connect_finish = p_connect_finish,
  .describe = p_describe,
};
