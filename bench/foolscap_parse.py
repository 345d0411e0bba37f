#!/usr/bin/env python3
"""Benchmark (not a test): what Foolscap 21.7 itself does with FURLs.

For every FURL in FILE (one per line): foolscap.furl.decode_furl(), then
for every hint convert_legacy_hint() and the hint parsing of the three
connection handlers (tcp.DefaultTCP, tor._Common, i2p._RunningI2P) with
their own regular expressions and is_non_public_numeric_address(): the
same work bench-parse's "parse" row does. No endpoint is built, nothing
is connected.

Usage: foolscap_parse.py [-r REPEAT] FILE
Prints "key value" lines (see bench/run-parse.sh).
"""

import argparse
import sys
import time
import types

# foolscap.connections.i2p imports txi2p at module level; Debian has no
# python3-txi2p, and only the module's HINT_RE is used here.
if "txi2p" not in sys.modules:
    try:
        import txi2p.sam  # noqa: F401
    except ImportError:
        txi2p = types.ModuleType("txi2p")
        sam = types.ModuleType("txi2p.sam")
        sam.SAMI2PStreamClientEndpoint = object
        txi2p.sam = sam
        sys.modules["txi2p"] = txi2p
        sys.modules["txi2p.sam"] = sam

import foolscap  # noqa: E402
from foolscap.furl import decode_furl  # noqa: E402
from foolscap.connections import tcp, tor, i2p  # noqa: E402


def tcp_view(hint):
    # DefaultTCP.hint_to_endpoint() without building the endpoint.
    mo = tcp.NEW_STYLE_HINT_RE.search(hint)
    if not mo:
        return None
    host, port = mo.group(1), int(mo.group(2))
    return host.lstrip("[").rstrip("]"), port


def tor_view(hint):
    # tor._Common.hint_to_endpoint(), parsing part.
    mo = tor.HINT_RE.search(hint)
    if not mo:
        return None
    host, port = mo.group(1), int(mo.group(2))
    if tor.is_non_public_numeric_address(host):
        return None
    return host, port


def i2p_view(hint):
    # i2p._RunningI2P.hint_to_endpoint(), parsing part.
    mo = i2p.HINT_RE.search(hint)
    if not mo:
        return None
    return mo.group(1), int(mo.group(3)) if mo.group(3) else None


def run(furls):
    accepted = 0
    for furl in furls:
        try:
            _tubid, hints, _name = decode_furl(furl)
        except ValueError:
            continue
        for hint in hints:
            canonical = tcp.convert_legacy_hint(hint)
            for view in (tcp_view, tor_view, i2p_view):
                if view(canonical) is not None:
                    accepted += 1
    return accepted


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-r", "--repeat", type=int, default=3)
    ap.add_argument("file")
    args = ap.parse_args()

    with open(args.file, encoding="utf-8") as f:
        furls = [line.rstrip("\n") for line in f if line.strip()]

    best = 0.0
    accepted = 0
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        accepted = run(furls)
        elapsed = max(time.perf_counter() - start, 1e-9)
        best = max(best, len(furls) / elapsed)

    print("foolscap-version %s" % foolscap.__version__)
    print("python %s" % sys.version.split()[0])
    print("furls %d" % len(furls))
    print("accepted %d" % accepted)
    print("foolscap-parse %.1f" % best)


if __name__ == "__main__":
    main()
