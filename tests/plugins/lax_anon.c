/* Test plugin: an anonymous carrier that forgets a duty. It declares
 * class anonymous and FURLHINT_PLUGIN_CAN_CARRY_TCP, is always
 * configured, and parses any `tcp:HOST:PORT` it is asked to carry
 * WITHOUT refusing loopback, private or other non-public addresses, as a
 * careless third-party anonymous carrier might. The core must refuse
 * those itself (docs/plugin-guide.md, "Carriers"). Its connects always
 * fail (NOT_SUPPORTED): only the policy is under test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#define TEST_PLUGIN_NAME "lax_anon"
#include "test-plugin-skeleton.h"

static gboolean
lax_parse (gpointer state,
           const gchar *hint,
           FurlHintParseMode mode,
           FurlHintTarget *target,
           GError **error)
{
  const gchar *rest = hint + strlen ("tcp:");
  const gchar *colon = strrchr (hint, ':');
  gsize host_len;
  guint64 port;

  if (mode != FURLHINT_PARSE_CARRY || !g_str_has_prefix (hint, "tcp:") ||
      colon < rest || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_UNRECOGNIZED,
                   "unrecognized hint '%s'", hint);
      return FALSE;
    }
  host_len = colon - rest;
  if (host_len >= 2 && rest[0] == '[' && rest[host_len - 1] == ']')
    {
      rest++;
      host_len -= 2;
    }
  target->host = g_strndup (rest, host_len);
  target->port = (guint16) port;
  target->host_kind = strchr (target->host, ':') != NULL ? FURLHINT_HOST_IPV6
                      : g_ascii_isdigit (target->host[0]) ? FURLHINT_HOST_IPV4
                      : FURLHINT_HOST_DNS;
  target->hint = g_strdup (hint);
  return TRUE;
}

static const gchar *const no_prefixes[] = { NULL };

FURLHINT_PLUGIN_DEFINE (lax_anon) = {
  .abi_version = FURLHINT_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (FurlHintPluginDescriptor),
  .name = TEST_PLUGIN_NAME,
  .version = "1.0",
  .description = "anonymous carrier that does not refuse non-public addresses",
  .anon_class = FURLHINT_ANON_ANONYMOUS,
  .connect_async = skeleton_connect_async,
  .connect_finish = skeleton_connect_finish,
  .describe = skeleton_describe,
  .flags = FURLHINT_PLUGIN_CAN_CARRY_TCP,
  .prefixes = no_prefixes,
  .init = skeleton_init,
  .parse = lax_parse,
};
