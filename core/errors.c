/* Error domains of the library layers, their code names, and the version.
 *
 * The quark strings are spelled out in <furlhint/plugin.h> style
 * ("furlhint-furl-error-quark", ...) so that anyone can get the same quark
 * with g_quark_from_static_string() without linking libfurlhint.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

G_DEFINE_QUARK (furlhint-furl-error-quark, furlhint_furl_error)
G_DEFINE_QUARK (furlhint-config-error-quark, furlhint_config_error)
G_DEFINE_QUARK (furlhint-plugin-error-quark, furlhint_plugin_error)
G_DEFINE_QUARK (furlhint-policy-error-quark, furlhint_policy_error)

const gchar *
furlhint_furl_error_code_name (FurlHintFurlError code)
{
  /* The corpus spelling (tests/data/README.md). */
  switch (code)
    {
    case FURLHINT_FURL_ERROR_NOT_UTF8:
      return "not-utf8";
    case FURLHINT_FURL_ERROR_UNKNOWN_PREFIX:
      return "unknown-prefix";
    case FURLHINT_FURL_ERROR_BAD_TUBID:
      return "bad-tubid";
    case FURLHINT_FURL_ERROR_EMPTY_HINT:
      return "empty-hint";
    case FURLHINT_FURL_ERROR_BAD_FURL:
      return "bad-furl";
    default:
      return "unknown";
    }
}

const gchar *
furlhint_policy_error_code_name (FurlHintPolicyError code)
{
  switch (code)
    {
    case FURLHINT_POLICY_ERROR_NO_HANDLER:
      return "no-handler";
    case FURLHINT_POLICY_ERROR_BAD_HINT:
      return "bad-hint";
    case FURLHINT_POLICY_ERROR_NOT_CONFIGURED:
      return "not-configured";
    case FURLHINT_POLICY_ERROR_REVEALING:
      return "revealing";
    case FURLHINT_POLICY_ERROR_TCP_DISABLED:
      return "tcp-disabled";
    case FURLHINT_POLICY_ERROR_DUPLICATE:
      return "duplicate";
    case FURLHINT_POLICY_ERROR_WRONG_NETWORK:
      return "wrong-network";
    case FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED:
      return "override-refused";
    case FURLHINT_POLICY_ERROR_NO_ROUTE:
      return "no-route";
    case FURLHINT_POLICY_ERROR_STALE:
      return "stale";
    default:
      return "unknown";
    }
}

const gchar *
furlhint_anon_class_name (FurlHintAnonClass anon_class)
{
  switch (anon_class)
    {
    case FURLHINT_ANON_CLEAR:
      return "clear";
    case FURLHINT_ANON_PROXIED:
      return "proxied";
    case FURLHINT_ANON_ANONYMOUS:
      return "anonymous";
    default:
      return "unknown";
    }
}

const gchar *
furlhint_version (void)
{
  return PACKAGE_VERSION;
}
