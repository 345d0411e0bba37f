/* The --pipe relay of `furlhint connect` and `furlhint listen`: standard
 * input to a stream, the stream to standard output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_CLI_RELAY_H
#define FURLHINT_CLI_RELAY_H

#include "cli-common.h"

G_BEGIN_DECLS

/* Copies standard input to @stream and @stream to standard output,
 * iterating the thread-default main context, until the peer ends its side
 * (its EOF ends the relay, as ncat does), a copy fails, or @cancellable
 * (nullable; e.g. a signal) is cancelled. The end of standard input is
 * not the end of the conversation: the peer is read until it closes, or
 * until it has been silent for @idle_timeout_ms (0: no limit); with
 * @half_close the connection's write side is shut down then too. Closes
 * @stream. Returns FALSE with @error set when a copy (or the close,
 * unless @cancellable was cancelled) failed. */
gboolean fh_relay_run (FhCli *cli,
                       GIOStream *stream,
                       gboolean half_close,
                       guint idle_timeout_ms,
                       GCancellable *cancellable,
                       GError **error);

G_END_DECLS

#endif /* FURLHINT_CLI_RELAY_H */
