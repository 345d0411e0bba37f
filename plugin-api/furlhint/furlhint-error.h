/* furlhint — error domains, one per layer.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_ERROR_H
#define FURLHINT_ERROR_H

#if !defined(FURLHINT_INSIDE) && !defined(FURLHINT_COMPILATION)
#error "Only <furlhint/furlhint.h> can be included directly."
#endif

#include <furlhint/plugin.h>

G_BEGIN_DECLS

/**
 * FURLHINT_FURL_ERROR:
 *
 * Error domain for FURL/NURL parsing. Codes are #FurlHintFurlError.
 */
#define FURLHINT_FURL_ERROR (furlhint_furl_error_quark ())

/**
 * FurlHintFurlError:
 * @FURLHINT_FURL_ERROR_NOT_UTF8: the text is not valid UTF-8 (corpus code
 *   `not-utf8`).
 * @FURLHINT_FURL_ERROR_UNKNOWN_PREFIX: Foolscap's `pb://TUBID@HINTS/NAME`
 *   pattern is nowhere in the text (`unknown-prefix`).
 * @FURLHINT_FURL_ERROR_BAD_TUBID: the first 32 characters of the tub ID
 *   are not base32 (`bad-tubid`).
 * @FURLHINT_FURL_ERROR_EMPTY_HINT: a connection hint is empty
 *   (`empty-hint`).
 * @FURLHINT_FURL_ERROR_BAD_FURL: anything else wrong with a FURL or NURL
 *   (`bad-furl`): a NURL with other than one location, an unknown
 *   fragment, a bad hash.
 *
 * Codes for %FURLHINT_FURL_ERROR; furlhint_furl_error_code_name() gives the
 * corpus spelling.
 */
typedef enum {
  FURLHINT_FURL_ERROR_NOT_UTF8 = 1,
  FURLHINT_FURL_ERROR_UNKNOWN_PREFIX,
  FURLHINT_FURL_ERROR_BAD_TUBID,
  FURLHINT_FURL_ERROR_EMPTY_HINT,
  FURLHINT_FURL_ERROR_BAD_FURL,
} FurlHintFurlError;

/**
 * FURLHINT_CONFIG_ERROR:
 *
 * Error domain for tahoe.cfg reading and validation. Codes are
 * #FurlHintConfigError.
 */
#define FURLHINT_CONFIG_ERROR (furlhint_config_error_quark ())

/**
 * FurlHintConfigError:
 * @FURLHINT_CONFIG_ERROR_IO: the file could not be read.
 * @FURLHINT_CONFIG_ERROR_SYNTAX: not ConfigParser syntax (the message names
 *   file and line).
 * @FURLHINT_CONFIG_ERROR_BAD_VALUE: a known key has a value we do not accept
 *   (names file, line, section, key, value and what is accepted).
 * @FURLHINT_CONFIG_ERROR_CONFLICT: two settings contradict each other
 *   (`anonymous` vs `reveal-IP-address`, a furlhint key vs the Tahoe key
 *   for the same setting).
 * @FURLHINT_CONFIG_ERROR_PRIVACY: anonymous mode is asked for but the
 *   configuration would reveal the node (tub.location with AUTO or a clear
 *   hint, `tcp = tcp`); the node must not start.
 *
 * Codes for %FURLHINT_CONFIG_ERROR.
 */
typedef enum {
  FURLHINT_CONFIG_ERROR_IO = 1,
  FURLHINT_CONFIG_ERROR_SYNTAX,
  FURLHINT_CONFIG_ERROR_BAD_VALUE,
  FURLHINT_CONFIG_ERROR_CONFLICT,
  FURLHINT_CONFIG_ERROR_PRIVACY,
} FurlHintConfigError;

/**
 * FURLHINT_PLUGIN_ERROR:
 *
 * Error domain for plugin loading and registration. Codes are
 * #FurlHintPluginError.
 */
#define FURLHINT_PLUGIN_ERROR (furlhint_plugin_error_quark ())

/**
 * FurlHintPluginError:
 * @FURLHINT_PLUGIN_ERROR_OPEN: the file could not be opened as a module.
 * @FURLHINT_PLUGIN_ERROR_NO_SYMBOL: the module exports no
 *   `furlhint_plugin_descriptor`.
 * @FURLHINT_PLUGIN_ERROR_ABI_VERSION: the descriptor's ABI version is not
 *   the host's.
 * @FURLHINT_PLUGIN_ERROR_STRUCT_SIZE: the descriptor is smaller than the
 *   ABI requires.
 * @FURLHINT_PLUGIN_ERROR_INVALID: a required field or callback is missing
 *   or malformed (no name, bad prefix, no parse callback, ...).
 * @FURLHINT_PLUGIN_ERROR_DUPLICATE: a plugin with the same name or a prefix
 *   already owned by another plugin (the first loaded wins).
 * @FURLHINT_PLUGIN_ERROR_INIT: the plugin's init callback failed.
 *
 * Codes for %FURLHINT_PLUGIN_ERROR. Every message names the plugin file
 * (or origin) and the reason.
 */
typedef enum {
  FURLHINT_PLUGIN_ERROR_OPEN = 1,
  FURLHINT_PLUGIN_ERROR_NO_SYMBOL,
  FURLHINT_PLUGIN_ERROR_ABI_VERSION,
  FURLHINT_PLUGIN_ERROR_STRUCT_SIZE,
  FURLHINT_PLUGIN_ERROR_INVALID,
  FURLHINT_PLUGIN_ERROR_DUPLICATE,
  FURLHINT_PLUGIN_ERROR_INIT,
} FurlHintPluginError;

/**
 * FURLHINT_POLICY_ERROR:
 *
 * Error domain for the anonymity policy and ranking: why a hint got no
 * route. Codes are #FurlHintPolicyError.
 */
#define FURLHINT_POLICY_ERROR (furlhint_policy_error_quark ())

/**
 * FurlHintPolicyError:
 * @FURLHINT_POLICY_ERROR_NO_HANDLER: no loaded plugin handles the hint's
 *   type (`no-handler`).
 * @FURLHINT_POLICY_ERROR_BAD_HINT: the plugin that handles the type refused
 *   the hint (`bad-hint`); the message is the plugin's.
 * @FURLHINT_POLICY_ERROR_NOT_CONFIGURED: the transport exists but is not
 *   configured (`not-configured`), e.g. a `tor:` hint with no Tor set up.
 * @FURLHINT_POLICY_ERROR_REVEALING: the only route would reveal the node
 *   (clear or proxied) and anonymous mode forbids it (`revealing`).
 * @FURLHINT_POLICY_ERROR_TCP_DISABLED: `[connections] tcp = disabled`
 *   (`tcp-disabled`).
 * @FURLHINT_POLICY_ERROR_DUPLICATE: the same canonical hint appears earlier
 *   in the FURL (`duplicate`).
 * @FURLHINT_POLICY_ERROR_WRONG_NETWORK: a `pb+tor://`/`pb+i2p://` NURL hint
 *   that the network named by the scheme cannot carry, or a hint whose
 *   host belongs to another plugin's network (`tor:x.b32.i2p:80`)
 *   (`wrong-network`).
 * @FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED: a per-peer override asked for a
 *   route the policy forbids (`override-refused`).
 * @FURLHINT_POLICY_ERROR_NO_ROUTE: no hint of the FURL has a route
 *   (`no-route`; returned by the connector, and by the ranker's caller).
 * @FURLHINT_POLICY_ERROR_STALE: the connector refused a plan that no
 *   longer fits the context (`stale`): anonymous mode was changed after
 *   the context's plugins were loaded, or after the plan was ranked, or
 *   the plan routes through another context's plugins. Nothing was
 *   connected; see furlhint_context_connect_plan_async().
 *
 * Codes for %FURLHINT_POLICY_ERROR; furlhint_policy_error_code_name() gives
 * the short names shown above.
 */
typedef enum {
  FURLHINT_POLICY_ERROR_NO_HANDLER = 1,
  FURLHINT_POLICY_ERROR_BAD_HINT,
  FURLHINT_POLICY_ERROR_NOT_CONFIGURED,
  FURLHINT_POLICY_ERROR_REVEALING,
  FURLHINT_POLICY_ERROR_TCP_DISABLED,
  FURLHINT_POLICY_ERROR_DUPLICATE,
  FURLHINT_POLICY_ERROR_WRONG_NETWORK,
  FURLHINT_POLICY_ERROR_OVERRIDE_REFUSED,
  FURLHINT_POLICY_ERROR_NO_ROUTE,
  FURLHINT_POLICY_ERROR_STALE,
} FurlHintPolicyError;

/**
 * furlhint_furl_error_quark:
 *
 * The error domain of FURL parsing, for bindings (C code uses
 * %FURLHINT_FURL_ERROR).
 *
 * Returns: the quark of %FURLHINT_FURL_ERROR.
 */
GQuark furlhint_furl_error_quark (void);

/**
 * furlhint_config_error_quark:
 *
 * The error domain of the configuration reader, for bindings (C code uses
 * %FURLHINT_CONFIG_ERROR).
 *
 * Returns: the quark of %FURLHINT_CONFIG_ERROR.
 */
GQuark furlhint_config_error_quark (void);

/**
 * furlhint_plugin_error_quark:
 *
 * The error domain of plugin loading, for bindings (C code uses
 * %FURLHINT_PLUGIN_ERROR).
 *
 * Returns: the quark of %FURLHINT_PLUGIN_ERROR.
 */
GQuark furlhint_plugin_error_quark (void);

/**
 * furlhint_policy_error_quark:
 *
 * The error domain of the anonymity policy, for bindings (C code uses
 * %FURLHINT_POLICY_ERROR).
 *
 * Returns: the quark of %FURLHINT_POLICY_ERROR.
 */
GQuark furlhint_policy_error_quark (void);

/**
 * furlhint_hint_error_quark:
 *
 * The same quark as %FURLHINT_HINT_ERROR, which plugins use without
 * linking the library (its string is part of the plugin ABI); for
 * bindings, which cannot call a macro.
 *
 * Returns: the quark of %FURLHINT_HINT_ERROR.
 */
GQuark furlhint_hint_error_quark (void);

/**
 * furlhint_connect_error_quark:
 *
 * The same quark as %FURLHINT_CONNECT_ERROR (see
 * furlhint_hint_error_quark()).
 *
 * Returns: the quark of %FURLHINT_CONNECT_ERROR.
 */
GQuark furlhint_connect_error_quark (void);

/**
 * furlhint_furl_error_code_name:
 * @code: a #FurlHintFurlError
 *
 * The stable name of a #FurlHintFurlError code.
 *
 * Returns: the corpus spelling of @code ("bad-tubid"), or "unknown".
 */
const gchar *furlhint_furl_error_code_name (FurlHintFurlError code);

/**
 * furlhint_policy_error_code_name:
 * @code: a #FurlHintPolicyError
 *
 * The stable name of a #FurlHintPolicyError code, as the CLI and its JSON
 * print it.
 *
 * Returns: the short name of @code ("no-handler"), or "unknown".
 */
const gchar *furlhint_policy_error_code_name (FurlHintPolicyError code);

/**
 * furlhint_error_domain_name:
 * @domain: an error domain
 *
 * The stable name of an error domain, as the CLI and its JSON print it.
 *
 * Returns: (nullable): the short name of one of furlhint's error domains
 *   ("furl", "config", "plugin", "policy", "hint", "connect"), or %NULL
 *   for any other domain.
 */
const gchar *furlhint_error_domain_name (GQuark domain);

/**
 * furlhint_error_code_name:
 * @error: an error
 *
 * The short name of @error's code, as the CLI and its JSON print it, for
 * every furlhint domain: "bad-tubid" (furl), "privacy" (config), "init"
 * (plugin), "no-handler" (policy), "not-torable" (hint), "transport-down"
 * (connect); "cancelled" for %G_IO_ERROR_CANCELLED.
 *
 * Returns: the name, or "unknown" for a code or domain furlhint does not
 *   define.
 */
const gchar *furlhint_error_code_name (const GError *error);

/**
 * furlhint_anon_class_name:
 * @anon_class: a #FurlHintAnonClass
 *
 * The stable name of a #FurlHintAnonClass, as the CLI and its JSON print
 * it.
 *
 * Returns: "clear", "proxied" or "anonymous" (or "unknown").
 */
const gchar *furlhint_anon_class_name (FurlHintAnonClass anon_class);

G_END_DECLS

#endif /* FURLHINT_ERROR_H */
