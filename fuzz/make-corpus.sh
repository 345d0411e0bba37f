#!/bin/sh
# Regenerates the seed corpora in fuzz/corpus/NAME/ from the test data
# (tests/data, docs/examples) and a few protocol messages written out
# here. Seeds are named by the SHA-1 of their content, as libFuzzer does.
# Run it from anywhere: fuzz/make-corpus.sh
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "${PYTHON3:-python3}" - "$top" <<'PY'
import hashlib, os, sys, glob, shutil

top = sys.argv[1]
out = os.path.join(top, "fuzz", "corpus")

def lines(path):
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            if raw and not raw.startswith(b"#"):
                yield raw

def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

for t in ("furl", "hint", "config", "socks5", "sam", "torctl", "rank"):
    shutil.rmtree(os.path.join(out, t), ignore_errors=True)

furls, hints = [], []
for name in ("hints-public.txt", "hints-generated.txt"):
    for i, l in enumerate(lines(os.path.join(top, "tests", "data", name))):
        if b"pb://" in l.lower():
            furls.append(l)
        elif name == "hints-public.txt" or i % 12 == 0:
            hints.append(l)
furls += list(lines(os.path.join(top, "docs", "examples", "furls.txt")))
furls += [
    b"pb://0hnMIQpNxJ5mn7bYE1B9iEQWtSmtKIcv1R8SPaeLnyE@tcp:10.0.0.1:443/Rd-wF9NpeQBl8pCp8kYCEQ#v=1",
    b"pb+tor://0hnMIQpNxJ5mn7bYE1B9iEQWtSmtKIcv1R8SPaeLnyE@sn4vkxqtsu2mfmsbqyxvaxuecnm5c3bmpiemfmelvxxwamhumjzefjid.onion:443/Rd-wF9NpeQBl8pCp8kYCEQ#v=1",
    b"pb+i2p://0hnMIQpNxJ5mn7bYE1B9iEQWtSmtKIcv1R8SPaeLnyE@ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p/Rd-wF9NpeQBl8pCp8kYCEQ#v=1",
    b"pb://0hnMIQpNxJ5mn7bYE1B9iEQWtSmtKIcv1R8SPaeLnyE@[2001:db8::1]:443/Rd-wF9NpeQBl8pCp8kYCEQ#v=1",
]
for f in furls:
    put("furl", f)
for h in hints:
    put("hint", h)
for i, f in enumerate(furls):
    put("rank", bytes([i % 5]) + f)

for path in sorted(glob.glob(os.path.join(top, "tests", "data", "cfg", "*.cfg")) +
                   glob.glob(os.path.join(top, "tests", "data", "rank", "*.cfg")) +
                   glob.glob(os.path.join(top, "docs", "examples", "*.cfg"))):
    with open(path, "rb") as f:
        put("config", f.read())

# SOCKS5: first byte picks the parser (0/1 method, 2 user/pass, 3 connect).
for seed in (b"\x00\x05\x00", b"\x01\x05\x02", b"\x01\x05\xff", b"\x00\x04\x00",
             b"\x02\x01\x00", b"\x02\x01\x01",
             b"\x03\x05\x00\x00\x01\x7f\x00\x00\x01\x23\x82",
             b"\x03\x05\x00\x00\x03\x0bexample.org\x00\x50",
             b"\x03\x05\x00\x00\x04" + bytes(15) + b"\x01\x00\x50",
             b"\x03\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00",
             b"\x03\x05\xf6\x00\x01\x00\x00\x00\x00\x00\x00"):
    put("socks5", seed)

key = b"A" * 516 + b"AAAA"
for seed in (b"HELLO REPLY RESULT=OK VERSION=3.1\n",
             b"HELLO REPLY RESULT=NOVERSION\n",
             b"SESSION STATUS RESULT=OK DESTINATION=" + key + b"\n",
             b"SESSION STATUS RESULT=DUPLICATED_ID\n",
             b"STREAM STATUS RESULT=OK\n",
             b"  STREAM\tSTATUS   RESULT=CANT_REACH_PEER  \r\n",
             b"STREAM STATUS RESULT=I2P_ERROR MESSAGE=\"Stream closed \\\"early\\\"\"\n",
             b"NAMING REPLY RESULT=OK NAME=ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p VALUE=" + key + b"\n",
             b"NAMING REPLY RESULT=KEY_NOT_FOUND NAME=\"\" MESSAGE=\n",
             b"PING 1234 abc\n",
             b"HELLO REPLY RESULT=OK VERSION=3.1\nSESSION STATUS RESULT=OK DESTINATION=AAAA\nSTREAM STATUS RESULT=OK\n",
             b"inbound.length=0 outbound.length=0 i2cp.leaseSetEncType=4,0"):
    put("sam", seed)

for seed in (b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"/var/lib/tor/control_auth_cookie\"\r\n250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n",
             b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n",
             b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=HASHEDPASSWORD,COOKIE,FUTURE COOKIEFILE=\"/a\\\\b\\\"c\\101\"\r\n250-FUTURE THING=1\r\n250 OK\r\n",
             b"250 AUTHCHALLENGE SERVERHASH=" + b"a" * 64 + b" SERVERNONCE=" + b"b" * 64 + b"\r\n",
             b"250-net/listeners/socks=\"127.0.0.1:9050\" \"[::1]:9050\" \"unix:/run/tor/socks\"\r\n250 OK\r\n",
             b"250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\r\n250 OK\r\n",
             b"250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY=\"Connecting\" WARNING=\"No route\" REASON=NOROUTE\r\n250 OK\r\n",
             b"250+config-text=\r\nSocksPort 9050\r\n..dot\r\n.\r\n250 OK\r\n",
             b"250+x=\r\na\r\n.\r\n250-y=1\r\n250 OK\r\n650 CIRC 1 BUILT\r\n",
             b"515 Authentication failed: Password did not match HashedControlPassword\r\n",
             b"552 Unrecognized key \"nope\"\r\n",
             b"250-a\n250 OK\n",
             b"\"quoted \\\"string\\\" \\n\\t\\101\""):
    put("torctl", seed)

for t in sorted(os.listdir(out)):
    print("%-8s %d seeds" % (t, len(os.listdir(os.path.join(out, t)))))
PY
