/* Host names in targets: the one canonical form (see hostname.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <furlhint/plugin.h>

#include "hostname.h"

gboolean
fh_hostname_literal_sockaddr (const gchar *host,
                              guint16 port,
                              struct sockaddr_storage *address,
                              socklen_t *address_len)
{
  memset (address, 0, sizeof *address);
  if (strchr (host, ':') == NULL)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) address;

      in->sin_family = AF_INET;
      in->sin_port = g_htons (port);
      *address_len = sizeof *in;
      return inet_pton (AF_INET, host, &in->sin_addr) == 1;
    }
  else
    {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) address;

      in6->sin6_family = AF_INET6;
      in6->sin6_port = g_htons (port);
      *address_len = sizeof *in6;
      return inet_pton (AF_INET6, host, &in6->sin6_addr) == 1;
    }
}

gboolean
fh_hostname_in_domain (const gchar *host,
                       const gchar *domain)
{
  return fh_hostname_in_domain_len (host, strlen (host), domain, strlen (domain));
}

static gboolean
is_special_use_tld (const gchar *name)
{
  return g_ascii_strcasecmp (name, "onion") == 0 || g_ascii_strcasecmp (name, "i2p") == 0;
}

/* A name in .onion or .i2p: written in lower case only. */
static gboolean
in_special_use_domain (const gchar *name)
{
  return fh_hostname_in_domain (name, "onion") || fh_hostname_in_domain (name, "i2p");
}

gchar *
fh_hostname_canonicalize (const gchar *host,
                          GError **error)
{
  const gchar *problem = NULL;
  gchar *canonical;
  gsize len;

  g_return_val_if_fail (host != NULL, NULL);

  /* An IPv6 literal: no labels, nothing to strip. */
  if (strchr (host, ':') != NULL)
    return g_strdup (host);

  /* The root label: "x.onion." and "x.onion" are the same name. Only one;
   * what is left must not end with a dot. */
  len = strlen (host);
  if (len > 0 && host[len - 1] == '.')
    len--;

  if (*host == '\0')
    problem = "the name is empty";
  else if (len == 0)
    problem = "the name is only the DNS root ('.')";
  /* strstr() on the whole name: a ".." beyond @len is the final dot and
   * the one before it, which host[len - 1] already refuses. */
  else if (host[0] == '.' || host[len - 1] == '.' || strstr (host, "..") != NULL)
    problem = "the name has an empty label (a leading dot, '..', or more than one "
              "final dot)";
  if (problem != NULL)
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_HOST,
                   "host '%s' is not a usable name: %s; accepted: a name whose labels "
                   "are not empty (one final dot, the DNS root, is dropped: 'x.onion.' "
                   "is 'x.onion')", host, problem);
      return NULL;
    }

  canonical = g_strndup (host, len);
  if (is_special_use_tld (canonical))
    {
      g_set_error (error, FURLHINT_HINT_ERROR, FURLHINT_HINT_ERROR_BAD_HOST,
                   "host '%s' is not a usable name: it is a special-use top-level "
                   "domain itself, which no network reaches; accepted: a name in it, "
                   "such as 'x.onion'", host);
      g_free (canonical);
      return NULL;
    }
  if (in_special_use_domain (canonical))
    {
      for (gchar *p = canonical; *p != '\0'; p++)
        if (g_ascii_isupper (*p))
          *p = g_ascii_tolower (*p);
    }
  return canonical;
}

/* Whether any of the @len bytes at @s is an ASCII capital, eight bytes at
 * a time: a .onion or .i2p name is more than 60 of them. */
static gboolean
has_ascii_upper (const gchar *s,
                 gsize len)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = ones * 0x80;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 w, low7, ge_a, gt_z;

      memcpy (&w, s + i, 8);
      /* Per byte, on its low seven bits (no carry between bytes): high
       * bit set when >= 'A', and when > 'Z'; an ASCII byte has its own
       * high bit clear. */
      low7 = w & ~highs;
      ge_a = low7 + ones * (0x80 - 'A');
      gt_z = low7 + ones * (0x7f - 'Z');
      if ((ge_a & ~gt_z & ~w & highs) != 0)
        return TRUE;
    }
  for (; i < len; i++)
    if (s[i] >= 'A' && s[i] <= 'Z')
      return TRUE;
  return FALSE;
}

/* The same rules as fh_hostname_canonicalize(), without making the copy:
 * ranking checks every route's host this way. */
gboolean
fh_hostname_is_canonical (const gchar *host)
{
  g_return_val_if_fail (host != NULL, FALSE);

  return fh_hostname_is_canonical_len (host, strlen (host));
}

gboolean
fh_hostname_is_canonical_len (const gchar *host,
                              gsize len)
{
  g_return_val_if_fail (host != NULL, FALSE);

  if (memchr (host, ':', len) != NULL)
    return TRUE;  /* an IPv6 literal: no labels */
  /* Empty, an empty label, or a final dot (which the canonical form
   * drops, or refuses when it is not the only one). */
  if (len == 0 || host[0] == '.' || host[len - 1] == '.')
    return FALSE;
  /* From dot to dot: a name has few labels. The final byte is no dot,
   * so dot[1] is in the name. */
  for (const gchar *dot = memchr (host, '.', len); dot != NULL;
       dot = memchr (dot + 1, '.', len - (gsize) (dot + 1 - host)))
    if (dot[1] == '.')
      return FALSE;
  if ((len == 5 || len == 3) && is_special_use_tld (host))
    return FALSE;
  /* A name in .onion or .i2p: written in lower case only. */
  if ((fh_hostname_in_domain_len (host, len, "onion", 5) ||
       fh_hostname_in_domain_len (host, len, "i2p", 3)) &&
      has_ascii_upper (host, len))
    return FALSE;
  return TRUE;
}
