/* Error domains of the library layers, their code names (the value nicks
 * of their enumerations' GTypes), and the version.
 *
 * The quark strings are spelled out in <furlhint/plugin.h> style
 * ("furlhint-furl-error-quark", ...) so that anyone can get the same quark
 * with g_quark_from_static_string() without linking libfurlhint.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "errors-private.h"

G_DEFINE_QUARK (furlhint-furl-error-quark, furlhint_furl_error)
G_DEFINE_QUARK (furlhint-config-error-quark, furlhint_config_error)
G_DEFINE_QUARK (furlhint-plugin-error-quark, furlhint_plugin_error)
G_DEFINE_QUARK (furlhint-policy-error-quark, furlhint_policy_error)
/* The plugin-facing domains are macros over these same strings
 * (<furlhint/plugin.h>), so that plugins need not link the library. */
G_DEFINE_QUARK (furlhint-hint-error-quark, furlhint_hint_error)
G_DEFINE_QUARK (furlhint-connect-error-quark, furlhint_connect_error)

const gchar *
fh_enum_nick (GType type,
              gint value)
{
  GEnumClass *klass = g_type_class_ref (type);
  const GEnumValue *v = g_enum_get_value (klass, value);

  /* An enumeration's class lives as long as the program: the nick stays
   * valid after the reference is dropped. */
  g_type_class_unref (klass);
  return v != NULL ? v->value_nick : "unknown";
}

const gchar *
furlhint_furl_error_code_name (FurlHintFurlError code)
{
  /* The corpus spelling (tests/data/README.md). */
  return fh_enum_nick (FURLHINT_TYPE_FURL_ERROR, code);
}

const gchar *
furlhint_policy_error_code_name (FurlHintPolicyError code)
{
  return fh_enum_nick (FURLHINT_TYPE_POLICY_ERROR, code);
}

/* Every furlhint error domain, its short name and the enumeration whose
 * value nicks name its codes: the one table the CLI, its JSON and
 * bindings print from. */
static const struct {
  GQuark (*quark) (void);
  const gchar *name;
  GType (*codes) (void);
} domains[] = {
  { furlhint_furl_error_quark, "furl", furlhint_furl_error_get_type },
  { furlhint_config_error_quark, "config", furlhint_config_error_get_type },
  { furlhint_plugin_error_quark, "plugin", furlhint_plugin_error_get_type },
  { furlhint_policy_error_quark, "policy", furlhint_policy_error_get_type },
  { furlhint_hint_error_quark, "hint", furlhint_hint_error_get_type },
  { furlhint_connect_error_quark, "connect", furlhint_connect_error_get_type },
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
      return fh_enum_nick (domains[i].codes (), error->code);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  return "unknown";
}

const gchar *
furlhint_anon_class_name (FurlHintAnonClass anon_class)
{
  gsize len;

  return fh_anon_class_name_len (anon_class, &len);
}

const gchar *
furlhint_version (void)
{
  return PACKAGE_VERSION;
}
