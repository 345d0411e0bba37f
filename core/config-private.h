/* FurlHintConfig internals (private to libfurlhint).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONFIG_PRIVATE_H
#define FURLHINT_CONFIG_PRIVATE_H

#include <furlhint/furlhint.h>

#include "config-parser.h"

G_BEGIN_DECLS

/* What config.c derives from the document; rebuilt as a whole by every
 * load and furlhint_config_set_value(), so it never disagrees with it. */
typedef struct {
  gboolean anonymous;           /* from [node] anonymous / reveal-IP-address */
  gchar *anonymous_where;       /* (owned) (nullable) "file:line: [node] key = value" */
  FurlHintTcpMode tcp_mode;
  gboolean tcp_explicit;        /* [connections] tcp was given */
  gchar *tcp_where;             /* (owned) (nullable) "file:line" of it */
  gboolean tor_fallback;
  gchar **tub_location;         /* (owned) (nullable) entries, not stripped (as Tahoe) */
  gchar *tub_location_where;    /* (owned) (nullable) */
  gchar *tub_port;              /* (owned) (nullable) stripped value */
  GHashTable *values;           /* (owned) section → (key → interpolated value) */
  GPtrArray *warnings;          /* (owned) NULL-terminated (element-type utf8) */
} FhConfigState;

struct _FurlHintConfig {
  grefcount ref;
  FhCfgDocument *doc;           /* (owned) the file as read, plus set_value() */
  FhConfigState state;
  gint anonymous_override;      /* -1: none; else furlhint_config_set_anonymous() */
};

G_END_DECLS

#endif /* FURLHINT_CONFIG_PRIVATE_H */
