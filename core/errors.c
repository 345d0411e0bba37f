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

static const gchar *
config_error_code_name (gint code)
{
  switch (code)
    {
    case FURLHINT_CONFIG_ERROR_IO: return "io";
    case FURLHINT_CONFIG_ERROR_SYNTAX: return "syntax";
    case FURLHINT_CONFIG_ERROR_BAD_VALUE: return "bad-value";
    case FURLHINT_CONFIG_ERROR_CONFLICT: return "conflict";
    case FURLHINT_CONFIG_ERROR_PRIVACY: return "privacy";
    default: return "unknown";
    }
}

static const gchar *
plugin_error_code_name (gint code)
{
  switch (code)
    {
    case FURLHINT_PLUGIN_ERROR_OPEN: return "open";
    case FURLHINT_PLUGIN_ERROR_NO_SYMBOL: return "no-symbol";
    case FURLHINT_PLUGIN_ERROR_ABI_VERSION: return "abi-version";
    case FURLHINT_PLUGIN_ERROR_STRUCT_SIZE: return "struct-size";
    case FURLHINT_PLUGIN_ERROR_INVALID: return "invalid";
    case FURLHINT_PLUGIN_ERROR_DUPLICATE: return "duplicate";
    case FURLHINT_PLUGIN_ERROR_INIT: return "init";
    default: return "unknown";
    }
}

static const gchar *
hint_error_code_name (gint code)
{
  switch (code)
    {
    case FURLHINT_HINT_ERROR_UNRECOGNIZED: return "unrecognized";
    case FURLHINT_HINT_ERROR_NOT_TORABLE: return "not-torable";
    case FURLHINT_HINT_ERROR_BAD_PORT: return "bad-port";
    case FURLHINT_HINT_ERROR_UNSUPPORTED: return "unsupported";
    case FURLHINT_HINT_ERROR_BAD_HOST: return "bad-host";
    default: return "unknown";
    }
}

static const gchar *
connect_error_code_name (gint code)
{
  switch (code)
    {
    case FURLHINT_CONNECT_ERROR_FAILED: return "failed";
    case FURLHINT_CONNECT_ERROR_REFUSED: return "refused";
    case FURLHINT_CONNECT_ERROR_UNREACHABLE: return "unreachable";
    case FURLHINT_CONNECT_ERROR_TIMED_OUT: return "timed-out";
    case FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN: return "transport-down";
    case FURLHINT_CONNECT_ERROR_PROTOCOL: return "protocol";
    case FURLHINT_CONNECT_ERROR_AUTH: return "auth";
    case FURLHINT_CONNECT_ERROR_NOT_SUPPORTED: return "not-supported";
    case FURLHINT_CONNECT_ERROR_CANCELLED: return "cancelled";
    case FURLHINT_CONNECT_ERROR_NO_ROUTE: return "no-route";
    default: return "unknown";
    }
}

static const gchar *
furl_error_code_name (gint code)
{
  return furlhint_furl_error_code_name ((FurlHintFurlError) code);
}

static const gchar *
policy_error_code_name (gint code)
{
  return furlhint_policy_error_code_name ((FurlHintPolicyError) code);
}

/* The plugin-facing domains are macros over their quark strings
 * (<furlhint/plugin.h>), so that plugins need not link the library. */
static GQuark
hint_error_quark (void)
{
  return FURLHINT_HINT_ERROR;
}

static GQuark
connect_error_quark (void)
{
  return FURLHINT_CONNECT_ERROR;
}

/* Every furlhint error domain, its short name and its codes' names: the
 * one table the CLI, its JSON and bindings print from. */
static const struct {
  GQuark (*quark) (void);
  const gchar *name;
  const gchar *(*code_name) (gint code);
} domains[] = {
  { furlhint_furl_error_quark, "furl", furl_error_code_name },
  { furlhint_config_error_quark, "config", config_error_code_name },
  { furlhint_plugin_error_quark, "plugin", plugin_error_code_name },
  { furlhint_policy_error_quark, "policy", policy_error_code_name },
  { hint_error_quark, "hint", hint_error_code_name },
  { connect_error_quark, "connect", connect_error_code_name },
};

const gchar *
furlhint_error_domain_name (GQuark domain)
{
  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    if (domains[i].quark () == domain)
      return domains[i].name;
  return NULL;
}

const gchar *
furlhint_error_code_name (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    if (domains[i].quark () == error->domain)
      return domains[i].code_name (error->code);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  return "unknown";
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
