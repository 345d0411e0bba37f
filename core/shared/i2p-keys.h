/* I2P destination keys (private): the `.b32.i2p` address of a key file,
 * shared by the library (`furlhint location`, core/listen.c) and the i2p
 * plugin (publishing), so both derive the same address from the same
 * file. Pure: no I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_I2P_KEYS_H
#define FURLHINT_I2P_KEYS_H

#include <glib.h>

G_BEGIN_DECLS

/* The "<52 base32>.b32.i2p" address (base32 of the SHA-256 of the
 * destination) of the private keys @text (@length bytes; surrounding
 * whitespace ignored): I2P base64 of a destination followed by its
 * private keys, as SAM's DEST GENERATE answers in PRIV= and txi2p keeps
 * in its key file. NULL with *@problem (static text) saying what is
 * wrong when @text is not that. */
gchar *fh_i2p_b32_from_keys (const gchar *text,
                             gsize length,
                             const gchar **problem);

G_END_DECLS

#endif /* FURLHINT_I2P_KEYS_H */
