/* I2P destination keys: see i2p-keys.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "i2p-keys.h"

gchar *
fh_i2p_b32_from_keys (const gchar *text,
                      gsize length,
                      const gchar **problem)
{
  static const gchar alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  gchar *b64 = g_strndup (text, length);
  guchar *raw = NULL;
  gsize raw_len = 0, dest_len, i;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  GChecksum *sum;
  GString *out;
  guint buffer = 0, bits = 0;

  g_strstrip (b64);
  /* I2P's base64 alphabet: "-" and "~" for "+" and "/" */
  if (*b64 == '\0' || strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-~=") != strlen (b64) || strlen (b64) % 4 != 0)
    {
      *problem = "not I2P base64 (A-Z a-z 0-9 - ~, as SAM's DEST GENERATE writes it)";
      g_free (b64);
      return NULL;
    }
  g_strdelimit (b64, "-", '+');
  g_strdelimit (b64, "~", '/');
  raw = g_base64_decode (b64, &raw_len);
  g_free (b64);

  /* Destination: 256-byte public key, 128-byte signing key, certificate
   * (type, 2-byte length, payload); the private keys follow it. */
  if (raw_len < 387)
    {
      *problem = "too short for an I2P destination (at least 387 bytes)";
      g_free (raw);
      return NULL;
    }
  dest_len = 387 + ((gsize) raw[385] << 8 | raw[386]);
  if (raw[384] != 0 && raw[384] != 5)
    {
      *problem = "the destination's certificate is neither NULL nor KEY";
      g_free (raw);
      return NULL;
    }
  if (raw_len <= dest_len)
    {
      *problem = "a destination without its private keys (the key file holds SAM's "
                 "DEST GENERATE PRIV= value)";
      g_free (raw);
      return NULL;
    }

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, raw, dest_len);
  g_checksum_get_digest (sum, digest, &digest_len);
  g_checksum_free (sum);
  g_free (raw);

  out = g_string_sized_new (60);
  for (i = 0; i < digest_len; i++)
    {
      buffer = (buffer << 8) | digest[i];
      bits += 8;
      while (bits >= 5)
        {
          g_string_append_c (out, alphabet[(buffer >> (bits - 5)) & 31]);
          bits -= 5;
        }
    }
  if (bits > 0)
    g_string_append_c (out, alphabet[(buffer << (5 - bits)) & 31]);
  g_string_append (out, ".b32.i2p");
  return g_string_free (out, FALSE);
}
