/* i2pd 2.45.1 routers for programs that run inside the lab's private
 * network namespace (lab_enter_private_netns()): tests/test-connect-i2p.c
 * and bench/bench-i2p.c.
 *
 * A router gets a data directory in the lab, a config with everything
 * that could reach the Internet off (no reseeding, UPnP, NTP, SSU2;
 * NTCP2 only inside the namespace) and, if asked, a SAM bridge on a free
 * loopback port. Alone it has no floodfill, so no destination can be
 * found. lab_i2p_start_two_routers() makes a network that can: a
 * floodfill B in a namespace of its own joined to ours by a veth pair on
 * 198.18.0.0/24 (the only non-public range i2pd 2.45.1 takes incoming
 * router connections from) and a router A2 with SAM that knows B from a
 * copy of its RouterInfo. LabI2pServer is a SAM server session on such a
 * router forwarding its destination to a local port (an echo server).
 *
 * What i2pd 2.45.1 does on loopback, and the settings that keep it from
 * crashing or reaching the Internet, are in docs/lab-notes.md ("I2P").
 * Failures of the lab itself abort the program (g_assert), with the
 * router's log tail.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_I2P_H
#define FURLHINT_TESTS_LAB_I2P_H

#include <gio/gio.h>

#include "lab.h"

G_BEGIN_DECLS

/* Zero-hop tunnels: the lab has one or two routers. Anonymous-mode
 * contexts refuse them without sam.allow-zero-hop. */
#define LAB_I2P_SESSION_OPTIONS \
  "inbound.length=0 outbound.length=0 inbound.quantity=1 outbound.quantity=1"

typedef struct {
  LabProc *proc;
  gchar *dir;
  gchar *log_path;
  guint16 sam_port;     /* 0: no SAM */
  guint16 ntcp2_port;
  gboolean networked;   /* has a floodfill to reach (lab_i2p_start_two_routers()) */
} LabI2pRouter;

/* Writes router @name's data directory and config in @lab; its SAM port
 * (when @with_sam) is an allowed endpoint under the leak checker. */
void lab_i2p_router_prepare (Lab *lab, LabI2pRouter *r, const gchar *name, const gchar *host,
                             gboolean with_sam, gboolean floodfill);
/* i2pd's argv for @r (argv[0] "i2pd", 4 options, NULL-terminated). */
gchar **lab_i2p_router_argv (const LabI2pRouter *r);
/* The last @lines lines of the log at @path, for failure messages. */
gchar *lab_i2p_log_tail (const gchar *path, guint lines);
/* Whether the SAM bridge on @port answers HELLO with version 3.1. */
gboolean lab_i2p_hello_works (guint16 port, GError **error);
/* Waits (bounded) until @r's SAM bridge answers HELLO. */
gboolean lab_i2p_wait_sam (LabI2pRouter *r, guint timeout_ms, GError **error);
/* Waits (bounded) until @r, since its last start, has published its
 * RouterInfo to a floodfill: it can reach the other router. */
gboolean lab_i2p_wait_floodfill (LabI2pRouter *r, guint timeout_ms);
/* Whether @r's process has died (see lab-i2p.c). */
gboolean lab_i2p_router_died (LabI2pRouter *r);
/* Starts @r again when it died, saying so; FALSE when it was running. */
gboolean lab_i2p_router_revive (Lab *lab, LabI2pRouter *r, const gchar *name);
/* Starts the two-router network (see above); aborts on failure. */
void lab_i2p_start_two_routers (Lab *lab, LabI2pRouter *b_out, LabI2pRouter *a2_out);
/* "<52 base32>.b32.i2p" of a base64 destination. */
gchar *lab_i2p_b32_of_destination (const gchar *dest_b64);

typedef struct {
  guint16 sam_port;
  guint16 echo_port;
  GSocketConnection *control;   /* keeps the server session */
  GSocketConnection *forward;   /* keeps the STREAM FORWARD */
  gchar *b32;
  GError *error;
  gdouble create_seconds;
} LabI2pServer;

/* A thread's function (its data a LabI2pServer with sam_port and
 * echo_port set): SESSION CREATE of a transient destination, then STREAM
 * FORWARD to echo_port; sets b32 or error. lab_i2p_server_clear() ends
 * it. */
gpointer lab_i2p_server_thread (gpointer data);
/* Ends @srv's session and forward (closing their sockets) and frees what
 * lab_i2p_server_thread() set; @srv can be started again. */
void lab_i2p_server_clear (LabI2pServer *srv);

G_END_DECLS

#endif
