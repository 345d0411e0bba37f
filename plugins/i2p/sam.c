/* SAM v3 message building and parsing, no I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "sam.h"
#include "../common/plugin-util.h"
#include "json-writer.h"

#include <string.h>
#include <furlhint/plugin.h>

/* A MESSAGE= from the bridge is quoted in our errors, up to this length. */
#define MAX_QUOTED_MESSAGE 200

/* The longest value we put on a command line: a private key with an offline
 * signature is a few KiB; anything near the line cap is not a key. */
#define MAX_VALUE_LEN (FH_SAM_MAX_LINE / 2)

/* --- building ------------------------------------------------------------- */

/* A value that cannot end the line, start a new pair or open a quote: a
 * host name or key from a FURL or a file must never smuggle a second
 * command onto the control socket. */
static gboolean
value_is_safe (const gchar *value,
               gboolean allow_equals)
{
  gsize len;

  if (value == NULL || *value == '\0')
    return FALSE;
  len = strlen (value);
  if (len > MAX_VALUE_LEN)
    return FALSE;
  for (const gchar *p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
        return FALSE;
      if (c == '=' && !allow_equals)
        return FALSE;
    }
  return TRUE;
}

static gboolean
id_is_safe (const gchar *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > FH_SAM_MAX_ID)
    return FALSE;
  for (const gchar *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
check_id (const gchar *id,
          GError **error)
{
  if (id_is_safe (id))
    return TRUE;
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
               "I2P: \"%s\" cannot be a SAM session ID; accepted: 1-%d characters "
               "of A-Z, a-z, 0-9, '-', '_', '.'", id != NULL ? id : "", FH_SAM_MAX_ID);
  return FALSE;
}

/* A printable excerpt of @text for an error message. */
static gchar *
excerpt (const gchar *text)
{
  GString *out = g_string_new (NULL);
  gsize i;

  for (i = 0; text[i] != '\0' && i < 60; i++)
    {
      guchar c = (guchar) text[i];
      if (c < 0x20 || c >= 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (gchar) c);
    }
  if (text[i] != '\0')
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

gchar *
fh_sam_build_hello (const gchar *min,
                    const gchar *max)
{
  g_return_val_if_fail (min != NULL && max != NULL, NULL);
  return g_strdup_printf ("HELLO VERSION MIN=%s MAX=%s\n", min, max);
}

gchar *
fh_sam_build_session_create (const gchar *id,
                             const gchar *private_key,
                             const gchar *const *options,
                             GError **error)
{
  GString *line;

  if (!check_id (id, error))
    return NULL;
  if (private_key != NULL && !value_is_safe (private_key, TRUE))
    {
      g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                           "I2P: the private key is not I2P base64 text; accepted: the "
                           "base64 key a SAM bridge gave for a destination (A-Z a-z "
                           "0-9 - ~ =)");
      return NULL;
    }

  line = g_string_new ("SESSION CREATE STYLE=STREAM ID=");
  g_string_append (line, id);
  g_string_append (line, " DESTINATION=");
  g_string_append (line, private_key != NULL ? private_key : "TRANSIENT");
  /* Ed25519, what i2pd and Java I2P use by default for new destinations;
   * the SAM 3.0 default (DSA_SHA1) is deprecated. Ignored with a key. */
  if (private_key == NULL)
    g_string_append (line, " SIGNATURE_TYPE=7");
  for (gsize i = 0; options != NULL && options[i] != NULL; i++)
    {
      const gchar *eq = strchr (options[i], '=');

      if (eq == NULL || eq == options[i] || !value_is_safe (options[i], TRUE))
        {
          gchar *shown = excerpt (options[i]);
          g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                       "I2P: \"%s\" is not an I2CP option; accepted: KEY=VALUE "
                       "without spaces or quotes", shown);
          g_free (shown);
          g_string_free (line, TRUE);
          return NULL;
        }
      g_string_append_c (line, ' ');
      g_string_append (line, options[i]);
    }
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

gchar *
fh_sam_build_stream_connect (const gchar *id,
                             const gchar *destination,
                             guint16 to_port,
                             GError **error)
{
  if (!check_id (id, error))
    return NULL;
  if (!value_is_safe (destination, TRUE))
    {
      gchar *shown = excerpt (destination != NULL ? destination : "");
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                   "I2P: \"%s\" cannot be an I2P destination; accepted: NAME.i2p, "
                   "a .b32.i2p address or a base64 destination", shown);
      g_free (shown);
      return NULL;
    }
  if (to_port != 0)
    return g_strdup_printf ("STREAM CONNECT ID=%s DESTINATION=%s SILENT=false TO_PORT=%u\n",
                            id, destination, (guint) to_port);
  return g_strdup_printf ("STREAM CONNECT ID=%s DESTINATION=%s SILENT=false\n",
                          id, destination);
}

gchar *
fh_sam_build_naming_lookup (const gchar *name,
                            GError **error)
{
  if (!value_is_safe (name, FALSE))
    {
      gchar *shown = excerpt (name != NULL ? name : "");
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_UNREACHABLE,
                   "I2P: \"%s\" cannot be looked up; accepted: an I2P name such as "
                   "NAME.i2p (printable ASCII without spaces, quotes or '=')", shown);
      g_free (shown);
      return NULL;
    }
  return g_strdup_printf ("NAMING LOOKUP NAME=%s\n", name);
}

gchar *
fh_sam_build_dest_generate (void)
{
  /* Ed25519 (7), as for transient destinations: the SAM 3.0 default
   * (DSA_SHA1) is deprecated. */
  return g_strdup ("DEST GENERATE SIGNATURE_TYPE=7\n");
}

gchar *
fh_sam_build_stream_forward (const gchar *id,
                             const gchar *host,
                             guint16 port,
                             GError **error)
{
  if (!check_id (id, error))
    return NULL;
  if (host == NULL || !g_hostname_is_ip_address (host) || !value_is_safe (host, FALSE) ||
      port == 0)
    {
      gchar *shown = excerpt (host != NULL ? host : "");
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_FAILED,
                   "I2P: cannot forward incoming streams to \"%s\" port %u; accepted: "
                   "an IP address literal and a port of 1-65535", shown, (guint) port);
      g_free (shown);
      return NULL;
    }
  return g_strdup_printf ("STREAM FORWARD ID=%s PORT=%u HOST=%s SILENT=true\n",
                          id, (guint) port, host);
}

gchar *
fh_sam_build_pong (const FhSamReply *ping)
{
  g_return_val_if_fail (ping != NULL, NULL);
  if (ping->op == NULL)
    return g_strdup ("PONG\n");
  return g_strdup_printf ("PONG %s\n", ping->op);
}

/* --- reading -------------------------------------------------------------- */

FhSamLineResult
fh_sam_find_line (const guint8 *data,
                  gsize len,
                  gsize *line_len,
                  GError **error)
{
  gsize scan = MIN (len, (gsize) FH_SAM_MAX_LINE);

  for (gsize i = 0; i < scan; i++)
    {
      if (data[i] == '\n')
        {
          *line_len = i + 1;
          return FH_SAM_LINE_OK;
        }
      if (data[i] == '\0')
        {
          g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                               "I2P: the SAM bridge sent a NUL byte in a reply line: "
                               "not a SAM bridge?");
          return FH_SAM_LINE_ERROR;
        }
    }
  if (len >= FH_SAM_MAX_LINE)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                   "I2P: the SAM bridge sent a reply line longer than %d bytes: "
                   "not a SAM bridge?", FH_SAM_MAX_LINE);
      return FH_SAM_LINE_ERROR;
    }
  return FH_SAM_LINE_NEED_MORE;
}

static gboolean
is_space (gchar c)
{
  return c == ' ' || c == '\t';
}

/* One token from *@p: "quoted" (backslash escapes the next character, as
 * SAM 3.2 says) or a run up to whitespace (or '=' when @stop_at_equals).
 * Returns NULL at an unterminated quote. */
static gchar *
read_token (const gchar **p,
            gboolean stop_at_equals)
{
  const gchar *s = *p;
  GString *out = g_string_new (NULL);

  if (*s == '"')
    {
      s++;
      while (*s != '"')
        {
          if (*s == '\0')
            {
              g_string_free (out, TRUE);
              return NULL;
            }
          if (*s == '\\' && s[1] != '\0')
            s++;
          g_string_append_c (out, *s);
          s++;
        }
      s++;
    }
  else
    {
      while (*s != '\0' && !is_space (*s) && !(stop_at_equals && *s == '='))
        g_string_append_c (out, *s++);
    }
  *p = s;
  return g_string_free (out, FALSE);
}

static gboolean
bad_line (const gchar *line,
          const gchar *why,
          GError **error)
{
  gchar *shown = excerpt (line);
  g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
               "I2P: the SAM bridge sent a reply line that is not SAM (%s): \"%s\"",
               why, shown);
  g_free (shown);
  return FALSE;
}

gboolean
fh_sam_parse_reply (const gchar *line,
                    gsize len,
                    FhSamReply *reply,
                    GError **error)
{
  gchar *text;
  const gchar *p;
  gboolean ok = FALSE;

  memset (reply, 0, sizeof *reply);
  if (memchr (line, '\0', len) != NULL)
    {
      g_set_error_literal (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                           "I2P: the SAM bridge sent a NUL byte in a reply line: "
                           "not a SAM bridge?");
      return FALSE;
    }
  if (len > 0 && line[len - 1] == '\n')
    len--;
  if (len > 0 && line[len - 1] == '\r')
    len--;
  /* Only ASCII matters to the protocol; a router's MESSAGE= in another
   * encoding is kept readable rather than refused. */
  text = g_utf8_make_valid (line, (gssize) len);

  reply->keys = g_ptr_array_new_with_free_func (g_free);
  reply->values = g_ptr_array_new_with_free_func (g_free);

  p = text;
  while (is_space (*p))
    p++;
  if (*p == '\0')
    {
      bad_line (text, "empty line", error);
      goto out;
    }
  {
    const gchar *start = p;
    while (*p != '\0' && !is_space (*p))
      p++;
    reply->topic = g_strndup (start, (gsize) (p - start));
  }
  while (is_space (*p))
    p++;

  /* PING/PONG carry free text, not pairs (SAM 3.2). */
  if (strcmp (reply->topic, "PING") == 0 || strcmp (reply->topic, "PONG") == 0)
    {
      if (*p != '\0')
        reply->op = g_strdup (p);
      ok = TRUE;
      goto out;
    }

  if (*p != '\0' && *p != '"')
    {
      const gchar *start = p;
      while (*p != '\0' && !is_space (*p) && *p != '=')
        p++;
      if (*p == '=')
        p = start; /* no OP: the first pair follows the topic */
      else
        reply->op = g_strndup (start, (gsize) (p - start));
    }

  for (;;)
    {
      gchar *key, *value = NULL;

      while (is_space (*p))
        p++;
      if (*p == '\0')
        break;
      key = read_token (&p, TRUE);
      if (key == NULL)
        {
          bad_line (text, "unterminated quote", error);
          goto out;
        }
      if (*p == '=')
        {
          p++;
          value = read_token (&p, FALSE);
          if (value == NULL)
            {
              g_free (key);
              bad_line (text, "unterminated quote", error);
              goto out;
            }
        }
      if (*p != '\0' && !is_space (*p))
        {
          g_free (key);
          g_free (value);
          bad_line (text, "text right after a quoted value", error);
          goto out;
        }
      if (*key == '\0')
        {
          g_free (key);
          g_free (value);
          bad_line (text, "a pair without a key", error);
          goto out;
        }
      g_ptr_array_add (reply->keys, key);
      g_ptr_array_add (reply->values, value);
    }
  ok = TRUE;

out:
  g_free (text);
  if (!ok)
    fh_sam_reply_clear (reply);
  return ok;
}

void
fh_sam_reply_clear (FhSamReply *reply)
{
  g_clear_pointer (&reply->topic, g_free);
  g_clear_pointer (&reply->op, g_free);
  g_clear_pointer (&reply->keys, g_ptr_array_unref);
  g_clear_pointer (&reply->values, g_ptr_array_unref);
}

const gchar *
fh_sam_reply_get (const FhSamReply *reply,
                  const gchar *key)
{
  if (reply->keys == NULL)
    return NULL;
  for (guint i = 0; i < reply->keys->len; i++)
    if (strcmp (g_ptr_array_index (reply->keys, i), key) == 0)
      return g_ptr_array_index (reply->values, i);
  return NULL;
}

/* --- results -------------------------------------------------------------- */

static const struct {
  const gchar *topic;
  const gchar *op;
  const gchar *command;
} command_table[] = {
  [FH_SAM_CMD_HELLO] = { "HELLO", "REPLY", "HELLO VERSION" },
  [FH_SAM_CMD_SESSION_CREATE] = { "SESSION", "STATUS", "SESSION CREATE" },
  [FH_SAM_CMD_STREAM_CONNECT] = { "STREAM", "STATUS", "STREAM CONNECT" },
  [FH_SAM_CMD_NAMING_LOOKUP] = { "NAMING", "REPLY", "NAMING LOOKUP" },
  [FH_SAM_CMD_DEST_GENERATE] = { "DEST", "REPLY", "DEST GENERATE" },
  [FH_SAM_CMD_STREAM_FORWARD] = { "STREAM", "STATUS", "STREAM FORWARD" },
};

/* Every RESULT= value in the SAM v3 specification, plus the ones routers
 * are known to send. The text says what it means for a client that only
 * creates sessions and connects streams. */
static const struct {
  const gchar *result;
  FurlHintConnectError code;
  const gchar *text;
} result_table[] = {
  { "CANT_REACH_PEER", FURLHINT_CONNECT_ERROR_UNREACHABLE, "destination not reachable" },
  { "PEER_NOT_FOUND", FURLHINT_CONNECT_ERROR_UNREACHABLE, "destination not found" },
  { "KEY_NOT_FOUND", FURLHINT_CONNECT_ERROR_UNREACHABLE, "name not found" },
  { "LEASESET_NOT_FOUND", FURLHINT_CONNECT_ERROR_UNREACHABLE, "destination's LeaseSet not found" },
  { "TIMEOUT", FURLHINT_CONNECT_ERROR_TIMED_OUT, "timed out" },
  { "I2P_ERROR", FURLHINT_CONNECT_ERROR_FAILED, "router error" },
  { "DUPLICATED_ID", FURLHINT_CONNECT_ERROR_FAILED,
    "the SAM session ID is already in use on this bridge" },
  { "DUPLICATED_DEST", FURLHINT_CONNECT_ERROR_FAILED,
    "the destination is already used by another SAM session" },
  { "INVALID_ID", FURLHINT_CONNECT_ERROR_FAILED,
    "the SAM bridge does not know our session (it ended?)" },
  { "ALREADY_ACCEPTING", FURLHINT_CONNECT_ERROR_FAILED,
    "the SAM session is already accepting" },
  { "INVALID_MESSAGE", FURLHINT_CONNECT_ERROR_PROTOCOL,
    "the SAM bridge refused our message" },
};

void
fh_sam_result_error (FhSamCommand command,
                     const gchar *result,
                     const gchar *message,
                     const gchar *bridge,
                     GError **error)
{
  FurlHintConnectError code = FURLHINT_CONNECT_ERROR_PROTOCOL;
  gchar *text = NULL;
  gchar *detail = NULL;
  gchar *shown_result;

  g_return_if_fail (result != NULL);
  shown_result = excerpt (result);

  if (message != NULL && *message != '\0')
    {
      /* The bridge's own words, cut, with its control characters
       * escaped (json-writer.h): they reach logs and terminals. */
      gchar *valid = g_utf8_make_valid (message, -1);
      gboolean cut = g_utf8_strlen (valid, -1) > MAX_QUOTED_MESSAGE;
      gchar *shown;

      if (cut)
        *g_utf8_offset_to_pointer (valid, MAX_QUOTED_MESSAGE) = '\0';
      shown = fh_text_escape (valid, -1);
      detail = g_strdup_printf (": %s%s", shown, cut ? "..." : "");
      g_free (shown);
      g_free (valid);
    }

  if (strcmp (result, "NOVERSION") == 0)
    {
      code = FURLHINT_CONNECT_ERROR_PROTOCOL;
      text = g_strdup_printf ("the SAM bridge %s speaks no SAM version from %s to %s; "
                              "accepted: a bridge speaking SAM %s or newer (i2pd, Java I2P)",
                              bridge != NULL ? bridge : "", FH_SAM_VERSION_MIN,
                              FH_SAM_VERSION_MAX, FH_SAM_VERSION_MIN);
    }
  else if (strcmp (result, "INVALID_KEY") == 0)
    {
      if (command == FH_SAM_CMD_SESSION_CREATE)
        {
          code = FURLHINT_CONNECT_ERROR_FAILED;
          text = g_strdup ("the SAM bridge refused the session's private key");
        }
      else
        {
          /* i2pd says INVALID_KEY for a well-formed name nobody knows
           * (its floodfill answered "not found") as well as for garbage. */
          code = FURLHINT_CONNECT_ERROR_UNREACHABLE;
          text = g_strdup ("destination unknown or invalid");
        }
    }
  else
    {
      for (gsize i = 0; i < G_N_ELEMENTS (result_table); i++)
        if (strcmp (result_table[i].result, result) == 0)
          {
            code = result_table[i].code;
            text = g_strdup (result_table[i].text);
            break;
          }
      if (text == NULL)
        text = g_strdup_printf ("the SAM bridge answered %s with an unknown result",
                                command_table[command].command);
    }

  g_set_error (error, FURLHINT_CONNECT_ERROR, code, "I2P: %s%s (SAM RESULT=%s)",
               text, detail != NULL ? detail : "", shown_result);
  g_free (text);
  g_free (detail);
  g_free (shown_result);
}

gboolean
fh_sam_check_reply (FhSamCommand command,
                    const FhSamReply *reply,
                    const gchar *bridge,
                    GError **error)
{
  const gchar *result;

  g_return_val_if_fail (command <= FH_SAM_CMD_STREAM_FORWARD, FALSE);

  if (g_strcmp0 (reply->topic, command_table[command].topic) != 0 ||
      g_strcmp0 (reply->op, command_table[command].op) != 0)
    {
      gchar *got = excerpt (reply->op != NULL ? reply->op : "");
      gchar *topic = excerpt (reply->topic != NULL ? reply->topic : "");
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                   "I2P: the SAM bridge %s answered %s with \"%s%s%s\"; expected "
                   "\"%s %s\"", bridge != NULL ? bridge : "", command_table[command].command,
                   topic, reply->op != NULL ? " " : "", got,
                   command_table[command].topic, command_table[command].op);
      g_free (got);
      g_free (topic);
      return FALSE;
    }

  /* A DEST REPLY has no RESULT: its keys are its success (a bridge that
   * fails answers RESULT=I2P_ERROR, handled below like any result). */
  if (command == FH_SAM_CMD_DEST_GENERATE && fh_sam_reply_get (reply, "RESULT") == NULL)
    {
      const gchar *pub = fh_sam_reply_get (reply, "PUB");
      const gchar *priv = fh_sam_reply_get (reply, "PRIV");

      if (!fh_sam_is_base64_destination (pub) || !fh_sam_is_base64_destination (priv) ||
          strlen (priv) <= strlen (pub))
        {
          g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                       "I2P: the SAM bridge %s answered DEST GENERATE without a base64 "
                       "destination in PUB and its private keys in PRIV",
                       bridge != NULL ? bridge : "");
          return FALSE;
        }
      return TRUE;
    }

  result = fh_sam_reply_get (reply, "RESULT");
  if (result == NULL)
    {
      g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                   "I2P: the SAM bridge %s answered %s without a RESULT",
                   bridge != NULL ? bridge : "", command_table[command].command);
      return FALSE;
    }
  if (strcmp (result, "OK") != 0)
    {
      fh_sam_result_error (command, result,
                           fh_sam_reply_get (reply, "MESSAGE"),
                           bridge, error);
      return FALSE;
    }

  if (command == FH_SAM_CMD_HELLO)
    {
      const gchar *version = fh_sam_reply_get (reply, "VERSION");
      if (version == NULL || !fh_sam_version_at_least (version, 3, 1))
        {
          gchar *shown = excerpt (version != NULL ? version : "(none)");
          g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                       "I2P: the SAM bridge %s agreed on SAM version %s; accepted: "
                       "%s to %s", bridge != NULL ? bridge : "", shown,
                       FH_SAM_VERSION_MIN, FH_SAM_VERSION_MAX);
          g_free (shown);
          return FALSE;
        }
    }
  else if (command == FH_SAM_CMD_NAMING_LOOKUP)
    {
      const gchar *value = fh_sam_reply_get (reply, "VALUE");
      if (value == NULL || !fh_sam_is_base64_destination (value))
        {
          g_set_error (error, FURLHINT_CONNECT_ERROR, FURLHINT_CONNECT_ERROR_PROTOCOL,
                       "I2P: the SAM bridge %s answered NAMING LOOKUP with RESULT=OK "
                       "but no base64 destination in VALUE",
                       bridge != NULL ? bridge : "");
          return FALSE;
        }
    }
  return TRUE;
}

/* --- names and versions --------------------------------------------------- */

static gboolean
parse_uint (const gchar *s,
            gsize len,
            guint *out)
{
  guint64 v = 0;

  if (len == 0 || len > 6)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      v = v * 10 + (guint) (s[i] - '0');
    }
  *out = (guint) v;
  return TRUE;
}

gboolean
fh_sam_version_at_least (const gchar *version,
                         guint major,
                         guint minor)
{
  const gchar *dot;
  guint got_major, got_minor = 0;

  if (version == NULL)
    return FALSE;
  dot = strchr (version, '.');
  if (dot == NULL)
    {
      if (!parse_uint (version, strlen (version), &got_major))
        return FALSE;
    }
  else if (!parse_uint (version, (gsize) (dot - version), &got_major) ||
           !parse_uint (dot + 1, strlen (dot + 1), &got_minor))
    return FALSE;
  return got_major > major || (got_major == major && got_minor >= minor);
}

gboolean
fh_sam_is_b32 (const gchar *host)
{
  static const gchar suffix[] = ".b32.i2p";
  gsize len, n;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len < sizeof suffix - 1 + 52 ||
      g_ascii_strcasecmp (host + len - (sizeof suffix - 1), suffix) != 0)
    return FALSE;
  n = len - (sizeof suffix - 1);
  for (gsize i = 0; i < n; i++)
    {
      gchar c = g_ascii_tolower (host[i]);
      if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
        return FALSE;
    }
  return TRUE;
}

gboolean
fh_sam_is_base64_destination (const gchar *host)
{
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len < 516 || len > MAX_VALUE_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      gchar c = host[i];
      if (c == '=')
        {
          /* padding only at the end */
          for (gsize j = i; j < len; j++)
            if (host[j] != '=')
              return FALSE;
          return len - i <= 2;
        }
      if (!g_ascii_isalnum (c) && c != '-' && c != '~')
        return FALSE;
    }
  return TRUE;
}

static gboolean
option_key_ok (const gchar *key,
               gsize len)
{
  gboolean dot = FALSE;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (key[i] == '.')
        dot = TRUE;
      else if (!g_ascii_isalnum (key[i]) && key[i] != '_' && key[i] != '-')
        return FALSE;
    }
  /* I2CP option names are dotted (inbound.length, i2cp.leaseSetEncType);
   * SAM's own keys (ID, DESTINATION, STYLE, ...) are not, so an option can
   * never override what we put on the line. */
  return dot;
}

gchar **
fh_sam_parse_options (const gchar *text,
                      GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gchar **parts;

  if (text == NULL)
    text = "";
  parts = g_strsplit_set (text, " \t", -1);
  for (gsize i = 0; parts[i] != NULL; i++)
    {
      const gchar *part = parts[i];
      const gchar *eq = strchr (part, '=');
      gboolean ok;

      if (*part == '\0')
        continue;
      ok = eq != NULL && option_key_ok (part, (gsize) (eq - part)) &&
           eq[1] != '\0' && value_is_safe (eq + 1, FALSE);
      if (!ok)
        {
          gchar *shown = excerpt (part);
          g_set_error (error, FH_PLUGIN_CONFIG_ERROR, FH_PLUGIN_CONFIG_ERROR_BAD_VALUE,
                       "\"%s\" is not an I2CP option; accepted: KEY=VALUE entries "
                       "separated by spaces, KEY dotted (such as "
                       "inbound.length=0 outbound.length=0), VALUE printable "
                       "without quotes, '=' or backslashes", shown);
          g_free (shown);
          g_strfreev (parts);
          g_ptr_array_unref (out);
          return NULL;
        }
      g_ptr_array_add (out, g_strdup (part));
    }
  g_strfreev (parts);
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

gchar *
fh_sam_new_session_id (GError **error)
{
  guint8 bytes[16];
  GString *id = g_string_new ("furlhint-");

  if (!fh_plugin_random_bytes (bytes, sizeof bytes, error))
    {
      g_string_free (id, TRUE);
      return NULL;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (id, "%02x", bytes[i]);
  return g_string_free (id, FALSE);
}
