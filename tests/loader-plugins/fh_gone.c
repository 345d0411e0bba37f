/* The library tests/loader-plugins/needs_gone links: built so that the
 * link succeeds, never installed where the loader would find it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
int fh_gone_answer (void);

int
fh_gone_answer (void)
{
  return 42;
}
