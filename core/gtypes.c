/* The GTypes of the public reference-counted and copyable types, so that
 * GValues, signals and bindings (GObject Introspection, docs/design.md
 * "Public types") can hold them. Copying a reference-counted type takes a
 * reference; the enumerations' types are generated (furlhint-enum-types.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <furlhint/furlhint.h>

G_DEFINE_BOXED_TYPE (FurlHintHint, furlhint_hint, furlhint_hint_copy, furlhint_hint_free)
G_DEFINE_BOXED_TYPE (FurlHintFurl, furlhint_furl, furlhint_furl_ref, furlhint_furl_unref)
G_DEFINE_BOXED_TYPE (FurlHintConfig, furlhint_config, furlhint_config_ref, furlhint_config_unref)
G_DEFINE_BOXED_TYPE (FurlHintContext, furlhint_context, furlhint_context_ref, furlhint_context_unref)
G_DEFINE_BOXED_TYPE (FurlHintPlan, furlhint_plan, furlhint_plan_ref, furlhint_plan_unref)
G_DEFINE_BOXED_TYPE (FurlHintConnectResult, furlhint_connect_result,
                     furlhint_connect_result_ref, furlhint_connect_result_unref)
G_DEFINE_BOXED_TYPE (FurlHintListener, furlhint_listener, furlhint_listener_ref, furlhint_listener_unref)

/* A target is a plain struct with two owned strings (<furlhint/plugin.h>):
 * its boxed copy lives on the heap. */
static FurlHintTarget *
target_dup (const FurlHintTarget *target)
{
  FurlHintTarget *copy = g_new0 (FurlHintTarget, 1);

  furlhint_target_copy (copy, target);
  return copy;
}

static void
target_free (FurlHintTarget *target)
{
  furlhint_target_clear (target);
  g_free (target);
}

G_DEFINE_BOXED_TYPE (FurlHintTarget, furlhint_target, target_dup, target_free)
