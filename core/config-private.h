/* FurlHintConfig internals (private to libfurlhint).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CONFIG_PRIVATE_H
#define FURLHINT_CONFIG_PRIVATE_H

#include <furlhint/furlhint.h>
#include <furlhint/plugin.h>

#include "config-parser.h"

G_BEGIN_DECLS

/* What config.c derives from the document; rebuilt as a whole by every
 * load and furlhint_config_set_value(), so it never disagrees with it. */
typedef struct {
  gboolean anonymous;           /* from [node] anonymous / reveal-IP-address */
  gchar *anonymous_where;       /* (owned) (nullable) "file:line: [node] key = value" */
  FurlHintTcpMode tcp_mode;
  gboolean tcp_explicit;        /* [connections] tcp was given */
  gchar *tcp_where;             /* (owned) (nullable) "file:line: [connections] tcp = VALUE" */
  gchar *tcp_carrier;           /* (owned) (nullable) lower-cased name when tcp_mode is CARRIER */
  gboolean tor_fallback;
  gboolean socks_proxy_set;     /* [connections] tcp.socks-proxy is not empty
                                 * (read by the ranker for every FURL) */
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
  guint serial;                 /* changes whenever what the ranker reads may
                                 * have (set_anonymous(), set_value()) */
};

/* config.c: a `[connections] tcp` value (or a per-peer override of it)
 * has the form of a plugin name in any letter case. */
gboolean fh_config_tcp_route_is_well_formed (const gchar *value);
/* config.c: the rules core/listen.c shares */
gboolean fh_config_check_server_keys (const FurlHintConfig *config, GError **error);
/* The keys of [@section] against what its plugin declares (@keys ends
 * with a NULL section): each value checked by type, with file:line, a
 * secret never quoted; an unknown key (with a "did you mean" for one at
 * most two edits from a declared key) is added to @warnings (element-type
 * utf8, owned). */
gboolean fh_config_check_plugin_keys (const FurlHintConfig *config, const gchar *section,
                                      const FurlHintPluginKey *keys, GPtrArray *warnings,
                                      GError **error);
/* a name in .onion or .i2p */
gboolean fh_config_host_is_anonymous (const gchar *host);
/* Why connection hint @entry of tub.location would reveal the node in
 * anonymous mode, or NULL when it would not. (transfer full) */
gchar *fh_config_location_hint_problem (const gchar *entry);

/* listen.c */
/* One entry of @key ("tub.location" or "tub.port"); relative key paths
 * against @base_dir (nullable: left as written). NULL and *@problem
 * (owned) when malformed. `listen:tor` / `listen:i2p` come back without
 * their [tor] / [i2p] keys. */
FurlHintListenEntry *fh_listen_entry_parse (const gchar *key, const gchar *text,
                                            const gchar *base_dir, gchar **problem);
void fh_listen_entry_free (FurlHintListenEntry *entry);
/* Why @entry would reveal the node in anonymous mode, or NULL. (transfer full) */
gchar *fh_listen_entry_privacy_problem (const FurlHintListenEntry *entry);
/* Tahoe's AUTO: calls @add with `tcp:ADDR:@port` and the interface's name
 * for every local IPv4 address (loopback included), in netifaces' order. */
typedef void (*FhAutoHintFunc) (const gchar *hint, const gchar *ifname, gpointer user_data);
void fh_listen_auto_expand (guint16 port, FhAutoHintFunc add, gpointer user_data);
/* TRUE for a hint that reaches the node only through an anonymity network
 * (a tor:/i2p:/tcp: hint to an onion or I2P name). */
gboolean fh_listen_hint_is_anonymous (const gchar *hint);
/* TRUE for an onion or I2P endpoint whose key does not exist yet (a key
 * directory without its hostname file, a missing key file): the ones
 * furlhint_config_get_location() says are "created on first listen". */
gboolean fh_listen_entry_key_missing (const FurlHintListenEntry *entry);

G_END_DECLS

#endif /* FURLHINT_CONFIG_PRIVATE_H */
