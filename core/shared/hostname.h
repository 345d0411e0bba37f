/* Host names in targets: the one canonical form furlhint classifies and
 * sends (private).
 *
 * Compiled into libfurlhint (ranking, plans, the connector) and into each
 * bundled plugin (parse and connect checks), so that the name a route is
 * classified by is, byte for byte, the name handed to Tor or the SAM
 * bridge. Foolscap itself accepts "x.onion." as a host (the FURL parse
 * keeps doing so); this is furlhint's rule, applied after the parse.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_HOSTNAME_H
#define FURLHINT_HOSTNAME_H

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* The socket address of the address literal @host (IPv4 dotted quad, or
 * IPv6 without brackets) and @port, as inet_pton() reads it: no lookup,
 * and an IPv6 zone is not a literal here. FALSE for anything else. */
gboolean fh_hostname_literal_sockaddr (const gchar *host,
                                       guint16 port,
                                       struct sockaddr_storage *address,
                                       socklen_t *address_len);

/* The canonical form of @host, newly allocated, or NULL with a
 * FURLHINT_HINT_ERROR_BAD_HOST error saying what is wrong:
 *  - an IPv6 literal (it has a ':') is returned as it is;
 *  - exactly one final '.' (the DNS root: "x.onion." is the name
 *    "x.onion") is removed;
 *  - an empty label ("x..onion", ".onion", "x.onion..", "..", ".", "")
 *    and a bare special-use domain ("onion", "i2p": no network reaches
 *    the domain itself) are refused;
 *  - a name in the .onion or .i2p domain is written in lower case: tor
 *    lower-cases every SOCKS address itself, and an I2P router knows
 *    ".b32.i2p" and base32 only in lower case. Other names keep their
 *    case (DNS compares names without regard to case).
 * A name that is already canonical comes back equal to @host. */
gchar *fh_hostname_canonicalize (const gchar *host,
                                 GError **error);

/* Whether @host is its own canonical form (see above). */
gboolean fh_hostname_is_canonical (const gchar *host);

/* The same for @host of @len bytes (strlen()), for callers that know it:
 * ranking checks every hint's host this way. */
gboolean fh_hostname_is_canonical_len (const gchar *host,
                                       gsize len);

/* Whether the canonical name @host is in the domain @domain ("onion",
 * "i2p": no dots), compared without regard to case: at least one label in
 * front of it, "x.onion" is, "onion" and "xonion" are not. */
gboolean fh_hostname_in_domain (const gchar *host,
                                const gchar *domain);

/* fh_hostname_in_domain() with both lengths known (strlen() of each):
 * inline, as ranking asks it two or three times for every hint. */
static inline gboolean
fh_hostname_in_domain_len (const gchar *host,
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
  /* ASCII case folding by hand: g_ascii_tolower() is a function call. */
  for (gsize i = 0; i < domain_len; i++)
    {
      gchar a = tail[i], b = domain[i];

      if (a >= 'A' && a <= 'Z')
        a = (gchar) (a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z')
        b = (gchar) (b - 'A' + 'a');
      if (a != b)
        return FALSE;
    }
  return TRUE;
}

G_END_DECLS

#endif
