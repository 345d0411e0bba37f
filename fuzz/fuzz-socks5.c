/* The SOCKS5 reply parsers (plugins/common/socks5.h). The first byte picks the
 * parser; the rest is what the proxy sent. Each parser is also fed every
 * prefix of its input, as a client that reads byte by byte would: a
 * prefix must never be OK when the whole is not, and NEED_MORE must ask
 * for more than it has.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/plugin.h>
#include "socks5.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_glib ();
  return 0;
}

static FhSocks5Result
parse_one (guint which, const guint8 *data, gsize len, gsize *need)
{
  g_autoptr(GError) error = NULL;
  FhSocks5Result r;
  guint8 method = 0;

  *need = 0;
  switch (which)
    {
    case 0:
      r = fh_socks5_parse_method (data, len, FH_SOCKS5_OFFER_NONE, &method, need, &error);
      break;
    case 1:
      r = fh_socks5_parse_method (data, len, FH_SOCKS5_OFFER_NONE_OR_USERPASS, &method, need, &error);
      break;
    case 2:
      r = fh_socks5_parse_userpass (data, len, need, &error);
      break;
    default:
      r = fh_socks5_parse_connect (data, len, need, &error);
      break;
    }
  if (r == FH_SOCKS5_ERROR)
    {
      FUZZ_ASSERT_ERROR (error, FURLHINT_CONNECT_ERROR);
    }
  else
    FUZZ_ASSERT (error == NULL);
  if (r == FH_SOCKS5_NEED_MORE)
    FUZZ_ASSERT (*need > len);
  if (r == FH_SOCKS5_OK)
    FUZZ_ASSERT (*need <= len);
  return r;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint which;
  gsize len, need = 0;
  FhSocks5Result whole;

  if (size < 1)
    return 0;
  which = data[0] % 4;
  data++;
  size--;

  whole = parse_one (which, data, size, &need);
  for (len = 0; len < size && len < 300; len++)
    {
      gsize part_need;
      /* An exact-size copy, so that ASan sees any read past the end. */
      g_autofree guint8 *part = g_memdup2 (data, len);
      FhSocks5Result r = parse_one (which, part, len, &part_need);

      if (r == FH_SOCKS5_OK)
        FUZZ_ASSERT (whole == FH_SOCKS5_OK);
    }

  /* Reply names for every code are total. */
  if (size > 0)
    (void) fh_socks5_reply_name (data[0]);
  return 0;
}
