/* The GLib-native side of the public API (docs/design.md, "Public
 * types"): boxed GTypes of the reference-counted and copyable types, the
 * enumerations' GTypes and their nicks, the error quark functions beside
 * the quark macros, and g_autoptr() for every type.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <furlhint/furlhint.h>

#define TUBID "klzcmzngbqjnfciylwkq52ebgyerm33l"
#define FURL "pb://" TUBID "@tcp:127.0.0.1:9,tor:abc.onion:80/swiss"

/* Each boxed type is registered under its C name, and copying a
 * reference-counted one through GBoxed takes a reference. */
static void
test_boxed_types (void)
{
  static const struct { GType (*get_type) (void); const gchar *name; } types[] = {
    { furlhint_hint_get_type, "FurlHintHint" },
    { furlhint_furl_get_type, "FurlHintFurl" },
    { furlhint_config_get_type, "FurlHintConfig" },
    { furlhint_context_get_type, "FurlHintContext" },
    { furlhint_target_get_type, "FurlHintTarget" },
    { furlhint_plan_get_type, "FurlHintPlan" },
    { furlhint_connect_result_get_type, "FurlHintConnectResult" },
    { furlhint_listener_get_type, "FurlHintListener" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(FurlHintFurl) furl = furlhint_furl_parse (FURL, &error);
  g_autoptr(FurlHintConfig) config = furlhint_config_new ();
  g_autoptr(FurlHintContext) ctx = furlhint_context_new (config);
  g_autoptr(FurlHintPlan) plan = NULL;
  g_autoptr(FurlHintHint) hint = furlhint_hint_new ("127.0.0.1:9");
  g_autoptr(FurlHintHint) hint_copy = NULL;
  g_auto(FurlHintTarget) target = { g_strdup ("127.0.0.1"), 9, FURLHINT_HOST_IPV4, g_strdup ("tcp:127.0.0.1:9") };
  FurlHintTarget *target_copy;
  FurlHintFurl *same;
  g_auto(GValue) value = G_VALUE_INIT;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      GType type = types[i].get_type ();

      g_assert_true (G_TYPE_IS_BOXED (type));
      g_assert_cmpstr (g_type_name (type), ==, types[i].name);
    }
  g_assert_true (FURLHINT_TYPE_FURL == furlhint_furl_get_type ());
  g_assert_true (FURLHINT_TYPE_LISTENER == furlhint_listener_get_type ());

  /* A reference, not a copy: the same object, alive after the first
   * owner lets go. */
  g_assert_no_error (error);
  same = g_boxed_copy (FURLHINT_TYPE_FURL, furl);
  g_assert_true (same == furl);
  g_boxed_free (FURLHINT_TYPE_FURL, same);
  g_assert_cmpstr (furlhint_furl_get_tubid (furl), ==, TUBID);

  /* A GValue holds a reference of its own. */
  g_value_init (&value, FURLHINT_TYPE_CONFIG);
  g_value_set_boxed (&value, config);
  g_assert_true (g_value_get_boxed (&value) == config);

  plan = furlhint_context_rank (ctx, furl, NULL);
  g_assert_true (g_boxed_copy (FURLHINT_TYPE_PLAN, plan) == plan);
  g_boxed_free (FURLHINT_TYPE_PLAN, plan);
  g_assert_true (furlhint_plan_get_furl (plan) == furl);

  /* Copyable types are copied. */
  hint_copy = g_boxed_copy (FURLHINT_TYPE_HINT, hint);
  g_assert_true (hint_copy != hint);
  g_assert_cmpstr (furlhint_hint_get_canonical (hint_copy), ==, "tcp:127.0.0.1:9");

  target_copy = g_boxed_copy (FURLHINT_TYPE_TARGET, &target);
  g_assert_true (target_copy->host != target.host);
  g_assert_cmpstr (target_copy->host, ==, "127.0.0.1");
  g_assert_cmpstr (target_copy->hint, ==, "tcp:127.0.0.1:9");
  g_assert_cmpuint (target_copy->port, ==, 9);
  g_assert_cmpint (target_copy->host_kind, ==, FURLHINT_HOST_IPV4);
  g_boxed_free (FURLHINT_TYPE_TARGET, target_copy);
}

/* Every public enumeration has a GType, and each value's nick is the
 * name the CLI and its JSON print (the name functions read the nicks). */
static void
test_enum_types (void)
{
  static const struct { GType (*get_type) (void); gint value; const gchar *nick; } cases[] = {
    { furlhint_anon_class_get_type, FURLHINT_ANON_PROXIED, "proxied" },
    { furlhint_host_kind_get_type, FURLHINT_HOST_ONION, "onion" },
    { furlhint_parse_mode_get_type, FURLHINT_PARSE_SUFFIX, "suffix" },
    { furlhint_hint_error_get_type, FURLHINT_HINT_ERROR_NOT_TORABLE, "not-torable" },
    { furlhint_connect_error_get_type, FURLHINT_CONNECT_ERROR_TRANSPORT_DOWN, "transport-down" },
    { furlhint_furl_error_get_type, FURLHINT_FURL_ERROR_BAD_TUBID, "bad-tubid" },
    { furlhint_config_error_get_type, FURLHINT_CONFIG_ERROR_BAD_VALUE, "bad-value" },
    { furlhint_plugin_error_get_type, FURLHINT_PLUGIN_ERROR_ABI_VERSION, "abi-version" },
    { furlhint_policy_error_get_type, FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED, "override-refused" },
    { furlhint_furl_kind_get_type, FURLHINT_FURL_KIND_NURL, "nurl" },
    { furlhint_network_get_type, FURLHINT_NETWORK_I2P, "i2p" },
    { furlhint_foolscap_handler_get_type, FURLHINT_FOOLSCAP_TOR, "tor" },
    { furlhint_tcp_mode_get_type, FURLHINT_TCP_MODE_DISABLED, "disabled" },
    { furlhint_listen_kind_get_type, FURLHINT_LISTEN_ONION, "onion" },
  };
  GFlagsClass *flags;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GEnumClass *klass = g_type_class_ref (cases[i].get_type ());
      const GEnumValue *v = g_enum_get_value (klass, cases[i].value);

      g_assert_true (G_TYPE_IS_ENUM (cases[i].get_type ()));
      g_assert_nonnull (v);
      g_assert_cmpstr (v->value_nick, ==, cases[i].nick);
      g_type_class_unref (klass);
    }

  /* The name functions and the nicks are one table. */
  for (gint code = FURLHINT_POLICY_ERROR_NO_HANDLER; code <= FURLHINT_POLICY_ERROR_STALE; code++)
    {
      GEnumClass *klass = g_type_class_ref (FURLHINT_TYPE_POLICY_ERROR);

      g_assert_cmpstr (furlhint_policy_error_code_name (code), ==,
                       g_enum_get_value (klass, code)->value_nick);
      g_type_class_unref (klass);
    }
  for (gint kind = FURLHINT_LISTEN_AUTO; kind <= FURLHINT_LISTEN_I2P; kind++)
    {
      GEnumClass *klass = g_type_class_ref (FURLHINT_TYPE_LISTEN_KIND);

      g_assert_cmpstr (furlhint_listen_kind_name (kind), ==,
                       g_enum_get_value (klass, kind)->value_nick);
      g_type_class_unref (klass);
    }
  g_assert_cmpstr (furlhint_listen_kind_name (42), ==, "unknown");

  g_assert_true (G_TYPE_IS_FLAGS (FURLHINT_TYPE_PLUGIN_FLAGS));
  flags = g_type_class_ref (FURLHINT_TYPE_PLUGIN_FLAGS);
  g_assert_cmpstr (g_flags_get_first_value (flags, FURLHINT_PLUGIN_CAN_CARRY_TCP)->value_nick,
                   ==, "can-carry-tcp");
  g_assert_cmpstr (g_flags_get_value_by_nick (flags, "none")->value_name, ==,
                   "FURLHINT_PLUGIN_FLAGS_NONE");
  g_type_class_unref (flags);
}

/* The quark functions give the macros' quarks; the two plugin-facing
 * domains keep the strings plugins use without the library. */
static void
test_error_quarks (void)
{
  g_assert_true (furlhint_hint_error_quark () == FURLHINT_HINT_ERROR);
  g_assert_true (furlhint_connect_error_quark () == FURLHINT_CONNECT_ERROR);
  g_assert_true (furlhint_furl_error_quark () == FURLHINT_FURL_ERROR);
  g_assert_true (furlhint_config_error_quark () == FURLHINT_CONFIG_ERROR);
  g_assert_true (furlhint_plugin_error_quark () == FURLHINT_PLUGIN_ERROR);
  g_assert_true (furlhint_policy_error_quark () == FURLHINT_POLICY_ERROR);
  g_assert_cmpstr (g_quark_to_string (furlhint_hint_error_quark ()), ==, "furlhint-hint-error-quark");
  g_assert_cmpstr (g_quark_to_string (furlhint_connect_error_quark ()), ==,
                   "furlhint-connect-error-quark");
  g_assert_true (furlhint_connect_error_quark () ==
                 g_quark_from_static_string ("furlhint-connect-error-quark"));
}

static FurlHintPlan *
ranker_default (FurlHintContext *ctx,
                FurlHintFurl *furl,
                const FurlHintRankOptions *options,
                gpointer user_data)
{
  (*(guint *) user_data)++;
  return furlhint_rank_default (ctx, furl, options, NULL);
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data) += 100;
}

/* What bindings call for a ranker: its data is freed when the policy is
 * replaced, at once for a NULL ranker, and with the context. */
static void
test_ranker_full (void)
{
  g_autoptr(FurlHintFurl) furl = furlhint_furl_parse (FURL, NULL);
  FurlHintContext *ctx = furlhint_context_new (NULL);
  FurlHintPlan *plan;
  guint a = 0, b = 0, c = 0;

  furlhint_context_set_ranker_full (ctx, ranker_default, &a, count_destroy);
  plan = furlhint_context_rank (ctx, furl, NULL);
  furlhint_plan_unref (plan);
  g_assert_cmpuint (a, ==, 1);
  furlhint_context_set_ranker_full (ctx, ranker_default, &b, count_destroy);
  g_assert_cmpuint (a, ==, 101);
  furlhint_context_set_ranker_full (ctx, NULL, &c, count_destroy);
  g_assert_cmpuint (b, ==, 100);
  g_assert_cmpuint (c, ==, 100);
  plan = furlhint_context_rank (ctx, furl, NULL);
  furlhint_plan_unref (plan);
  furlhint_context_set_ranker_full (ctx, ranker_default, &b, count_destroy);
  furlhint_context_unref (ctx);
  g_assert_cmpuint (b, ==, 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gtypes/boxed", test_boxed_types);
  g_test_add_func ("/gtypes/enums", test_enum_types);
  g_test_add_func ("/gtypes/error-quarks", test_error_quarks);
  g_test_add_func ("/gtypes/ranker-full", test_ranker_full);
  return g_test_run ();
}
