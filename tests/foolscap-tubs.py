#!/usr/bin/env python3
# Two Foolscap Tubs on loopback, the client's hints handled by furlhint
# (python/furlhint_foolscap.py): a server Tub offers an echo object, the
# client connects to its FURL and makes one callRemote. Run by
# tests/test-foolscap.c, and by tests/test-tornet.c with the server Tub
# behind the private Tor network's onion service (--listen on the port the
# onion service forwards to, --location tor:ONION:PORT).
#
#   foolscap-tubs.py TAHOE_CFG|- [--anonymous] [--hint-host HOST]
#                    [--listen ENDPOINT --location HINTS] [--until-file PATH]
#
# Prints the hint statuses Foolscap reports and "echo: ..." or
# "failed: ..."; exits 0 when the remote call came back, and once no
# connect of furlhint's is pending any more ("furlhint: no connect
# pending"). With --until-file it stops the Tubs as soon as PATH exists,
# and exits 0. For each
# connection the server Tub accepts it prints the process that holds the
# other end ("accepted ... from pid N (tor)"): through an onion service,
# the service's tor.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import os
from foolscap.api import Referenceable, Tub
from twisted.internet import defer, reactor, task

import furlhint_foolscap


class Echo(Referenceable):
    def remote_echo(self, text):
        return text


def socket_owner(local, peer):
    """The pid and name of the process holding the IPv4 TCP socket
    local -> peer (IPv4Address), looked up in /proc while it is open."""
    def hex_addr(addr):
        a, b, c, d = (int(x) for x in addr.host.split("."))
        return "%02X%02X%02X%02X:%04X" % (d, c, b, a, addr.port)

    inode = None
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == hex_addr(local) and fields[2] == hex_addr(peer):
                inode = fields[9]
    if inode is None:
        return "no such socket"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:  # a process that exited meanwhile
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                    with open("/proc/%s/comm" % pid) as comm:
                        return "pid %s (%s)" % (pid, comm.read().strip())
            except OSError:  # closed meanwhile (the listing's own descriptor)
                continue
    return "socket %s of no process" % inode


def report_peers(listener):
    """Prints who is at the other end of each connection the listener
    accepts, while it is open (the lookup is synchronous)."""
    build = listener.buildProtocol

    def build_and_report(addr):
        protocol = build(addr)
        host = listener._lp.getHost()
        print("server accepted %s:%d from %s" % (addr.host, addr.port,
                                                 socket_owner(addr, host)))
        return protocol

    listener.buildProtocol = build_and_report


@defer.inlineCallbacks
def run(args):
    server = Tub()
    server.startService()
    if args.listen is None:
        port = server.listenOn("tcp:0:interface=127.0.0.1")
        location = "tcp:%s:%d" % (args.hint_host, port.getPortnum())
    else:
        listener = server.listenOn(args.listen)
        # Foolscap listens at once and keeps a failure to itself (an
        # unhandled error in a Deferred, printed at exit): say it here,
        # not as a connect through the onion that finds no server.
        if listener._lp is None:
            raise RuntimeError("the server Tub is not listening on %s" % args.listen)
        report_peers(listener)
        location = args.location
    server.setLocation(location)
    furl = server.registerReference(Echo(), "echo")

    client = Tub()
    handler = furlhint_foolscap.install_handlers(
        client, None if args.config == "-" else args.config,
        anonymous=True if args.anonymous else None)
    print("handlers: %s" % ", ".join(
        "%s=%s" % (t, h.describe())
        for t, h in sorted(client._connectionHandlers.items())))
    hint_to_endpoint = handler.hint_to_endpoint

    def show_refusal(hint, reactor_, update_status):
        # The route furlhint chose; what the handler refuses becomes
        # Foolscap's "bad hint: ..."
        # status for that hint; Foolscap forgets it once the connection
        # failed, so it is shown here.
        try:
            endpoint, description = hint_to_endpoint(hint, reactor_, update_status)
            print("route %s: %s" % (hint, description))
            return endpoint, description
        except Exception as e:
            print("refused %s: %s: %s" % (hint, type(e).__name__, e))
            raise

    handler.hint_to_endpoint = show_refusal
    client.startService()
    connector = client.getReference(furl)
    # The connection's info, taken while it is pending: Foolscap forgets a
    # connection that failed, with its hints' statuses.
    info = client.getConnectionInfoForFURL(furl)
    if args.until_file is not None:
        # Only as far as a file appears (the connect is still pending);
        # then the Tubs stop, and the reactor shuts down.
        while not os.path.exists(args.until_file):
            yield task.deferLater(reactor, 0.05, lambda: None)
        print("until-file: %s appeared" % args.until_file)
        yield client.stopService()
        yield server.stopService()
        return True
    try:
        ref = yield connector
        answer = yield ref.callRemote("echo", "through furlhint")
        print("echo: %s" % answer)
        ok = answer == "through furlhint"
    except Exception as e:  # Foolscap's failure, with every hint's status
        print("failed: %r" % e)
        ok = False
    # Foolscap cancels the connects that lost; each must end in furlhint
    # too (python/furlhint_foolscap.py), not at its timeout.
    yield handler.connector._when_idle()
    print("furlhint: no connect pending")
    if info is not None:
        for location, status in sorted(info.connectorStatuses.items()):
            print("status %s: %s" % (location, status))
        for location, description in sorted(info.connectionHandlers.items()):
            print("handler %s: %s" % (location, description))
    yield client.stopService()
    yield server.stopService()
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--anonymous", action="store_true")
    parser.add_argument("--hint-host", default="127.0.0.1",
                        help="the host of the server's hint (its port is the listener's)")
    parser.add_argument("--listen", help="the server Tub's endpoint (with --location)")
    parser.add_argument("--location", help="the server Tub's hints (with --listen)")
    parser.add_argument("--until-file", help="stop once this file exists, connected or not")
    args = parser.parse_args()
    if (args.listen is None) != (args.location is None):
        parser.error("--listen and --location go together")
    def go(reactor_):
        def check(ok):
            if not ok:
                raise SystemExit(1)
        return run(args).addCallback(check)

    task.react(go)


if __name__ == "__main__":
    main()
