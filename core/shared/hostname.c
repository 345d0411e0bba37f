/* Host names in targets: the one canonical form (see hostname.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <furlhint/plugin.h>

#include "hostname.h"

/* fh_hostname_in_domain() with both lengths known. */
static gboolean
in_domain_len (const gchar *host,
               gsize host_len,
               const gchar *domain,
               gsize domain_len)
{
  const gchar *tail;

  if (domain_len == 0 || host_len < domain_len + 2)
    return FALSE;
  tail = host + host_len - domain_len;
  if (tail[-1] != '.' || tail[-2] == '.')
    return FALSE;
  for (gsize i = 0; i < domain_len; i++)
    if (g_ascii_tolower (tail[i]) != g_ascii_tolower (domain[i]))
      return FALSE;
  return TRUE;
}

gboolean
fh_hostname_in_domain (const gchar *host,
                       const gchar *domain)
{
  return in_domain_len (host, strlen (host), domain, strlen (domain));
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

/* The same rules as fh_hostname_canonicalize(), without making the copy:
 * ranking checks every route's host this way, several times over. */
gboolean
fh_hostname_is_canonical (const gchar *host)
{
  gsize len;

  g_return_val_if_fail (host != NULL, FALSE);

  if (strchr (host, ':') != NULL)
    return TRUE;
  len = strlen (host);
  /* Empty, an empty label, or a final dot (which the canonical form
   * drops, or refuses when it is not the only one). */
  if (len == 0 || host[0] == '.' || host[len - 1] == '.' || strstr (host, "..") != NULL)
    return FALSE;
  if (is_special_use_tld (host))
    return FALSE;
  /* A name in .onion or .i2p: written in lower case only. */
  if (in_domain_len (host, len, "onion", 5) || in_domain_len (host, len, "i2p", 3))
    {
      for (const gchar *p = host; *p != '\0'; p++)
        if (g_ascii_isupper (*p))
          return FALSE;
    }
  return TRUE;
}
