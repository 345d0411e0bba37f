/* A private Tor network on loopback (docs/lab-notes.md, "A private Tor
 * network"), for programs that run inside the lab's private network
 * namespace (lab_enter_private_netns()), so that no tor can reach anything
 * but 127.0.0.0/8: tests/test-tornet.c and bench/bench-tor.c.
 *
 * tests/lab/tor-net.sh writes the keys and torrcs of 3 directory
 * authorities (also Guard/Exit/HSDir relays, exits only to 127.0.0.0/8),
 * 2 relays, a client (MapAddress echo.lab.test -> 127.0.0.1) and an onion
 * service in front of a socat echo server; lab_tornet_start() starts every
 * tor itself with lab_spawn() (own process group, killed by pid on
 * teardown, on abort and when the program dies; tor also watches our pid
 * through __OwningControllerProcess). The network is ready when the client
 * bootstrapped, an echo went through an exit, the onion service uploaded
 * its descriptor and an echo went through the onion. That takes 20–90 s;
 * after 180 s (TORNET_READY_TIMEOUT_S lowers it) the start fails with the
 * client's and the onion service's log tails.
 *
 * There is one network per process, lab_tornet. Progress and failures
 * are reported with g_test_message().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_TESTS_LAB_TORNET_H
#define FURLHINT_TESTS_LAB_TORNET_H

#include "lab.h"

G_BEGIN_DECLS

/* Bound of one blocking probe through the network (SOCKS, echo). */
#define LAB_TORNET_PROBE_TIMEOUT_S 20

typedef struct {
  Lab *lab;
  gboolean started;
  gchar *failure;               /* why the network is not usable */
  GHashTable *env;              /* tor-net.sh's KEY=VALUE */
  LabProc *client;
  LabProc *hs;
  GPtrArray *tors;              /* LabProc*, owned by the lab */
  guint16 echo_port;            /* the socat echo server behind ONION_PORT */
  guint16 socks_port;           /* the client tor's SocksPort */
  guint16 control_port;         /* the client tor's ControlPort (cookie) */
  guint16 onion_port;           /* the onion service's virtual port */
  gchar *onion;                 /* "<56>.onion" */
  gint64 t0;
} LabTorNet;

extern LabTorNet lab_tornet;

/* Starts the network and waits (bounded) until it is ready; on any
 * problem sets lab_tornet.failure (the caller stops it). @tor_net_sh is
 * the path of tests/lab/tor-net.sh; NULL finds it with
 * g_test_build_filename() (in a g_test program of tests/). */
void lab_tornet_start (const gchar *tor_net_sh);
/* Kills every tor, removes the lab. Idempotent. */
void lab_tornet_stop (void);
/* A KEY=VALUE tor-net.sh printed; aborts when it printed none. */
const gchar *lab_tornet_env (const gchar *key);
guint16 lab_tornet_env_port (const gchar *key);
/* The client's and the onion service's log tails, with g_test_message(). */
void lab_tornet_print_tails (void);

/* A control-port connection (cookie authentication) with a line reader. */
typedef struct _LabTorCtl LabTorCtl;

LabTorCtl *lab_tornet_ctl_open (guint16 port, const gchar *cookie_file, GError **error);
void lab_tornet_ctl_free (LabTorCtl *ctl);
/* The next line (without CRLF), waiting at most until @deadline_us
 * (monotonic); NULL on timeout or error. */
gchar *lab_tornet_ctl_read_line (LabTorCtl *ctl, gint64 deadline_us, GError **error);
gboolean lab_tornet_ctl_command (LabTorCtl *ctl, const gchar *command, GError **error);
/* Sends @command and expects a single "250 OK" (events are skipped). */
gboolean lab_tornet_ctl_command_ok (LabTorCtl *ctl, const gchar *command, GError **error);

G_END_DECLS

#endif
