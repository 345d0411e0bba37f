#!/usr/bin/env python3
# Two Foolscap Tubs on loopback, the client's hints handled by furlhint
# (python/furlhint_foolscap.py): a server Tub offers an echo object, the
# client connects to its FURL and makes one callRemote. Run by
# tests/test-foolscap.c.
#
#   foolscap-tubs.py TAHOE_CFG|- [--anonymous] [--hint-host HOST]
#
# Prints the hint statuses Foolscap reports and "echo: ..." or
# "failed: ..."; exits 0 when the remote call came back.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
from foolscap.api import Referenceable, Tub
from twisted.internet import defer, task

import furlhint_foolscap


class Echo(Referenceable):
    def remote_echo(self, text):
        return text


@defer.inlineCallbacks
def run(args):
    server = Tub()
    server.startService()
    port = server.listenOn("tcp:0:interface=127.0.0.1")
    portnum = port.getPortnum()
    hint = "tcp:%s:%d" % (args.hint_host, portnum)
    server.setLocation(hint)
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
    try:
        ref = yield connector
        answer = yield ref.callRemote("echo", "through furlhint")
        print("echo: %s" % answer)
        ok = answer == "through furlhint"
    except Exception as e:  # Foolscap's failure, with every hint's status
        print("failed: %r" % e)
        ok = False
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
    args = parser.parse_args()
    def go(reactor_):
        def check(ok):
            if not ok:
                raise SystemExit(1)
        return run(args).addCallback(check)

    task.react(go)


if __name__ == "__main__":
    main()
