/* Tor control-port replies (plugins/tor/torctl.h): the reply parser over a
 * stream of replies, and every interpretation the tor plugin makes of a
 * reply (PROTOCOLINFO, auth choice, AUTHCHALLENGE, GETINFO values, SOCKS
 * listeners, bootstrap phase, keyword arguments).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>
#include "torctl.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_glib ();
  return 0;
}

static void
interpret (const FhTorReply *reply,
           gboolean have_password)
{
  static const guint8 cookie[FH_TORCTL_COOKIE_LEN] = { 1, 2, 3 };
  static const guint8 nonce[FH_TORCTL_NONCE_LEN] = { 4, 5, 6 };
  static const gchar *const keys[] = {
    "net/listeners/socks", "status/bootstrap-phase", "version", "config-text", NULL,
  };
  guint i;

  {
    g_autoptr(GError) error = NULL;

    if (!fh_torctl_reply_check (reply, "GETINFO", &error))
      FUZZ_ASSERT_ERROR (error, FURLHINT_CONNECT_ERROR);
  }
  {
    g_autoptr(GError) error = NULL;
    FhTorProtocolInfo info = { 0, };

    if (fh_torctl_parse_protocolinfo (reply, &info, &error))
      {
        g_autoptr(GError) auth_error = NULL;
        /* The default, and everything allowed: a choice is always both
         * offered and allowed. */
        guint allowed = have_password ? FH_TOR_AUTH_DEFAULT : 0xf;
        FhTorAuthMethods m = fh_torctl_choose_auth (&info, allowed, have_password,
                                                    &auth_error);

        FUZZ_ASSERT ((m == 0) == (auth_error != NULL));
        FUZZ_ASSERT ((m & ~(info.auth_methods & allowed)) == 0);
      }
    else
      FUZZ_ASSERT (error != NULL);
    fh_torctl_protocolinfo_clear (&info);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *resp = fh_torctl_safecookie_response (reply, cookie, sizeof cookie,
                                                            nonce, &error);

    FUZZ_ASSERT ((resp == NULL) == (error != NULL));
  }
  for (i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *value = fh_torctl_getinfo_value (reply, keys[i], &error);

      if (value == NULL)
        {
          FUZZ_ASSERT (error != NULL);
          continue;
        }
      if (i == 0)
        {
          g_autoptr(GError) lerror = NULL;
          GArray *listeners = fh_torctl_parse_socks_listeners (value, &lerror);

          FUZZ_ASSERT ((listeners == NULL) == (lerror != NULL));
          if (listeners != NULL)
            {
              g_autoptr(GError) pick_error = NULL;
              FhEndpoint picked = { 0, };

              /* Never an address off this machine. */
              if (fh_torctl_pick_socks_listener (listeners, "fuzz", &picked, &pick_error))
                FUZZ_ASSERT (fh_torctl_endpoint_is_loopback (&picked));
              else
                FUZZ_ASSERT (pick_error != NULL);
              fh_endpoint_clear (&picked);
              g_array_unref (listeners);
            }
        }
      else if (i == 1)
        {
          g_autoptr(GError) berror = NULL;
          FhTorBootstrap boot = { 0, };

          if (fh_torctl_parse_bootstrap (value, &boot, &berror))
            FUZZ_ASSERT (boot.progress >= 0 && boot.progress <= 100);
          else
            FUZZ_ASSERT (berror != NULL);
          fh_torctl_bootstrap_clear (&boot);
        }
    }
  /* ADD_ONION's reply: a valid ID and, when a key came, one that encodes
   * back to what decodes to it. */
  {
    g_autoptr(GError) error = NULL;
    guint8 key[FH_TORCTL_ONION_KEY_LEN];
    gboolean have_key = FALSE;
    gchar *id = NULL;

    if (fh_torctl_parse_add_onion (reply, &id, key, &have_key, &error))
      {
        FUZZ_ASSERT (fh_torctl_service_id_is_valid (id));
        if (have_key)
          {
            g_autofree gchar *blob = fh_torctl_onion_key_encode (key);
            guint8 back[FH_TORCTL_ONION_KEY_LEN];

            FUZZ_ASSERT (fh_torctl_onion_key_decode (blob, "fuzz", back, NULL));
            FUZZ_ASSERT (memcmp (key, back, sizeof key) == 0);
          }
        g_free (id);
      }
    else
      FUZZ_ASSERT (error != NULL && id == NULL);
  }
  for (i = 0; i < reply->lines->len; i++)
    {
      g_autoptr(GError) error = NULL;
      GPtrArray *kw = fh_torctl_split_kwargs (g_ptr_array_index (reply->lines, i), &error);

      FUZZ_ASSERT ((kw == NULL) == (error != NULL));
      if (kw != NULL)
        {
          FUZZ_ASSERT (kw->len % 2 == 0);
          g_ptr_array_unref (kw);
        }
    }
}

static gboolean
has_control_chars (const gchar *s)
{
  for (; *s != '\0'; s++)
    if ((guchar) *s < 0x20 || *s == 0x7f)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *copy = g_memdup2 (data, size);
  gsize off = 0;
  guint replies = 0;

  while (off < size && replies < 32)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FhTorReply) reply = NULL;
      gsize consumed = 0;
      FhTorctlResult r = fh_torctl_parse_reply (copy + off, size - off, &consumed,
                                                &reply, &error);

      if (r == FH_TORCTL_NEED_MORE)
        {
          FUZZ_ASSERT (error == NULL && reply == NULL);
          break;
        }
      if (r == FH_TORCTL_ERROR)
        {
          FUZZ_ASSERT_ERROR (error, FURLHINT_CONNECT_ERROR);
          FUZZ_ASSERT (reply == NULL);
          break;
        }
      FUZZ_ASSERT (reply != NULL && consumed > 0 && consumed <= size - off);
      /* Three digits ("062" is 62). */
      FUZZ_ASSERT (reply->code <= 999);
      interpret (reply, replies % 2 == 1);
      off += consumed;
      replies++;
    }

  /* QuotedString on its own. */
  if (size > 0 && data[0] == '"' && memchr (data, '\0', size) == NULL)
    {
      g_autofree gchar *text = fuzz_strndup (data, size);
      const gchar *p = text;
      g_autoptr(GError) error = NULL;
      g_autofree gchar *value = fh_torctl_unquote (&p, &error);

      FUZZ_ASSERT ((value == NULL) == (error != NULL));
      if (value != NULL && !has_control_chars (value))
        {
          g_autofree gchar *quoted = fh_torctl_quote (value);
          const gchar *q = quoted;
          g_autoptr(GError) qerror = NULL;
          g_autofree gchar *back = fh_torctl_unquote (&q, &qerror);

          /* quote → unquote is the identity. */
          FUZZ_ASSERT (back != NULL && g_str_equal (back, value));
          FUZZ_ASSERT (p > text && p <= text + size);
        }
    }
  return 0;
}
