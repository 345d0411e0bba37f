#!/usr/bin/env python3
"""Benchmark side (not a test; bench/bench-scale runs it): N concurrent
connects the way Foolscap 21.7 makes them.

For each of N connects: foolscap.connections.tcp.DefaultTCP's
hint_to_endpoint() on "tcp:127.0.0.1:PORT" (a Twisted HostnameEndpoint, as
a Tub's connector gets it), then endpoint.connect() with a plain protocol
factory, all started at once on the epoll reactor. Timed from the first
hint_to_endpoint() until every connect has either connected or failed.
The connections stay open until then, as a node keeps its connections.

Usage: foolscap_scale.py PORT N
Prints "key value" lines: wall-us, cpu-us, connected, failed (bench/bench-scale
reads them; peak RSS is taken by bench-scale from wait4()).
"""

import resource
import sys
import time

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import reactor  # noqa: E402
from twisted.internet.protocol import Factory, Protocol  # noqa: E402
from foolscap.connections.tcp import DefaultTCP  # noqa: E402


def main():
    port = int(sys.argv[1])
    n = int(sys.argv[2])
    handler = DefaultTCP()
    factory = Factory.forProtocol(Protocol)
    state = {"connected": 0, "failed": 0, "protocols": [], "error": None}
    hint = "tcp:127.0.0.1:%d" % port

    def cpu():
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime

    def check_done():
        if state["connected"] + state["failed"] == n:
            state["end"] = time.monotonic()
            state["cpu_end"] = cpu()
            reactor.stop()

    def ok(proto):
        state["connected"] += 1
        state["protocols"].append(proto)
        check_done()

    def fail(failure):
        state["failed"] += 1
        if state["error"] is None:
            state["error"] = str(failure.value)
        check_done()

    def start():
        state["cpu_start"] = cpu()
        state["start"] = time.monotonic()
        for _ in range(n):
            endpoint, _host = handler.hint_to_endpoint(hint, reactor, lambda status: None)
            d = endpoint.connect(factory)
            d.addCallbacks(ok, fail)

    reactor.callWhenRunning(start)
    reactor.run()
    print("wall-us %d" % int((state["end"] - state["start"]) * 1e6))
    print("cpu-us %d" % int((state["cpu_end"] - state["cpu_start"]) * 1e6))
    print("connected %d" % state["connected"])
    print("failed %d" % state["failed"])
    if state["error"] is not None:
        print("error %s" % state["error"].replace("\n", " "))
    for proto in state["protocols"]:
        proto.transport.abortConnection()
    return 0


if __name__ == "__main__":
    sys.exit(main())
