/* furlhint — turn Foolscap FURL connection hints into connections, under
 * an anonymity policy.
 *
 * Include only this header: <furlhint/furlhint.h>. Plugin authors need only
 * <furlhint/plugin.h>.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_H
#define FURLHINT_H

#define FURLHINT_INSIDE
#include <furlhint/plugin.h>
#include <furlhint/furlhint-version.h>
#include <furlhint/furlhint-error.h>
#include <furlhint/furlhint-furl.h>
#include <furlhint/furlhint-config.h>
#include <furlhint/furlhint-context.h>
#include <furlhint/furlhint-plan.h>
#include <furlhint/furlhint-connect.h>
#include <furlhint/furlhint-listen.h>
#include <furlhint/furlhint-enum-types.h>
#undef FURLHINT_INSIDE

#endif /* FURLHINT_H */
