/* SAM v3 replies (plugins/i2p/sam.h): line framing, line parsing, and the reply
 * checks for each command, as the i2p plugin runs them on what a bridge
 * sends.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>
#include "sam.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_glib ();
  return 0;
}

static void
check_line (const gchar *line, gsize len)
{
  g_autoptr(GError) error = NULL;
  FhSamReply reply;
  guint c, i;

  memset (&reply, 0, sizeof reply);
  if (!fh_sam_parse_reply (line, len, &reply, &error))
    {
      FUZZ_ASSERT_ERROR (error, FURLHINT_CONNECT_ERROR);
      fh_sam_reply_clear (&reply);
      return;
    }
  FUZZ_ASSERT (reply.topic != NULL);
  FUZZ_ASSERT (reply.keys->len == reply.values->len);
  for (i = 0; i < reply.keys->len; i++)
    FUZZ_ASSERT (g_ptr_array_index (reply.keys, i) != NULL);

  for (c = FH_SAM_CMD_HELLO; c <= FH_SAM_CMD_STREAM_FORWARD; c++)
    {
      g_autoptr(GError) check_error = NULL;

      if (!fh_sam_check_reply (c, &reply, "127.0.0.1:7656", &check_error))
        FUZZ_ASSERT_ERROR (check_error, FURLHINT_CONNECT_ERROR);
    }
  (void) fh_sam_reply_get (&reply, "RESULT");
  (void) fh_sam_reply_get (&reply, "VERSION");
  {
    const gchar *v = fh_sam_reply_get (&reply, "VERSION");

    if (v != NULL)
      (void) fh_sam_version_at_least (v, 3, 1);
    v = fh_sam_reply_get (&reply, "VALUE");
    if (v != NULL)
      {
        (void) fh_sam_is_b32 (v);
        (void) fh_sam_is_base64_destination (v);
      }
  }
  if (g_str_equal (reply.topic, "PING"))
    {
      g_autofree gchar *pong = fh_sam_build_pong (&reply);

      FUZZ_ASSERT (pong != NULL && g_str_has_suffix (pong, "\n"));
      FUZZ_ASSERT (strchr (pong, '\n') == pong + strlen (pong) - 1);
    }
  fh_sam_reply_clear (&reply);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize off = 0;
  guint lines = 0;

  /* Frame lines as the plugin does, from an exact-size copy. */
  while (off < size && lines < 64)
    {
      g_autoptr(GError) error = NULL;
      gsize line_len = 0;
      FhSamLineResult r = fh_sam_find_line (data + off, size - off, &line_len, &error);

      if (r == FH_SAM_LINE_NEED_MORE)
        {
          FUZZ_ASSERT (error == NULL);
          break;
        }
      if (r == FH_SAM_LINE_ERROR)
        {
          FUZZ_ASSERT (error != NULL);
          break;
        }
      FUZZ_ASSERT (line_len > 0 && line_len <= size - off);
      FUZZ_ASSERT (data[off + line_len - 1] == '\n');
      {
        g_autofree gchar *line = g_memdup2 (data + off, line_len);

        check_line (line, line_len);
      }
      off += line_len;
      lines++;
    }

  /* The parser on its own, without the framing, on one line (no NUL, and
   * no "\n" but a last one: it takes one line of text). */
  if (size > 0 && memchr (data, '\0', size) == NULL &&
      (memchr (data, '\n', size) == NULL || memchr (data, '\n', size) == data + size - 1))
    {
      g_autofree gchar *copy = g_memdup2 (data, size);

      check_line (copy, size);
    }

  /* I2CP option lists come from tahoe.cfg, also untrusted text. */
  {
    g_autofree gchar *text = fuzz_strndup (data, size);

    if (text != NULL)
      {
        g_autoptr(GError) error = NULL;
        gchar **opts = fh_sam_parse_options (text, &error);

        FUZZ_ASSERT ((opts == NULL) == (error != NULL));
        g_strfreev (opts);
      }
  }
  return 0;
}
