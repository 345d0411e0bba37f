#!/bin/sh
# Prepares a private Tor network on 127.0.0.1 (docs/lab-notes.md, "A private
# Tor network"):
# 3 directory authorities that are also Guard/Exit/HSDir relays (exits only
# to 127.0.0.0/8), 2 non-exit relays, a client (SocksPort, a second
# SocksPort with PreferSOCKSNoAuth, a third with NoIsolateSOCKSAuth,
# ControlPort with cookie auth,
# UseMicrodescriptors 0, MapAddress echo.lab.test -> 127.0.0.1) and an
# onion service in front of ECHO_PORT, which also forwards TUB_ONION_PORT
# to 127.0.0.1:TUB_PORT, the way the Tahoe documentation has an operator
# put a node's tub.port behind an onion service of their own tor (nothing
# listens there until a test's Foolscap Tub does).
#
#   tor-net.sh DIR ECHO_PORT
#
# Only generates keys and torrcs in DIR (which must exist and be empty):
# it starts nothing that keeps running, so the caller starts each tor
# itself (`tor --defaults-torrc DIR/empty -f DIR/NAME/torrc`) and can kill
# every one of them by pid — tests/test-tornet.c does that through
# tests/lab.c, whose processes die with the test program.
#
# Prints KEY=VALUE lines on stdout (also written to DIR/tor-net.env):
#   TORS="auth0 auth1 auth2 relay0 relay1 hs client"   (start order)
#   SOCKS_PORT, CONTROL_PORT, CONTROL_COOKIE_FILE      (the client)
#   NOAUTH_SOCKS_PORT     the client's SocksPort with PreferSOCKSNoAuth
#   SHARED_SOCKS_PORT     its SocksPort with NoIsolateSOCKSAuth (streams of
#                         different credentials share circuits: bench-tor)
#   HS_CONTROL_PORT, HS_CONTROL_COOKIE_FILE, HS_HOSTNAME_FILE, ONION_PORT
#   TUB_ONION_PORT, TUB_PORT   the onion's second port and its target
#   CLIENT_LOG_HINT="Bootstrapped 100%"
#
# Environment (optional):
#   TORNET_BASE_PORT   first of the ~50 ports used (default 20000). Inside a
#                      private network namespace any fixed range is free;
#                      stay below the ephemeral range (32768).
#   TORNET_OWNER_PID   every tor exits when this process is gone
#                      (__OwningControllerProcess): a last line of defence
#                      if the caller dies without killing them.
#   TORNET_ONION_PORT  the onion's virtual port (default 5858).
#   TORNET_TUB_ONION_PORT  its second virtual port (default 3457).
#   TOR_GENCERT, TOR   the binaries (default: from PATH).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

[ $# -eq 2 ] || { echo "usage: $0 DIR ECHO_PORT" >&2; exit 2; }
DIR=$1
ECHO_PORT=$2
BASE=${TORNET_BASE_PORT:-20000}
ONION_PORT=${TORNET_ONION_PORT:-5858}
TUB_ONION_PORT=${TORNET_TUB_ONION_PORT:-3457}
TOR=${TOR:-tor}
TOR_GENCERT=${TOR_GENCERT:-tor-gencert}
N_AUTHS=3
N_RELAYS=2

cd "$DIR"
DIR=$(pwd)
: > empty
printf 'nameserver 127.0.0.1\n' > resolv.conf

auth_or () { echo $((BASE + $1)); }
auth_dir () { echo $((BASE + 10 + $1)); }
relay_or () { echo $((BASE + 20 + $1)); }
relay_dir () { echo $((BASE + 30 + $1)); }
SOCKS_PORT=$((BASE + 40))
CONTROL_PORT=$((BASE + 41))
HS_CONTROL_PORT=$((BASE + 42))
NOAUTH_SOCKS_PORT=$((BASE + 43))
TUB_PORT=$((BASE + 44))
SHARED_SOCKS_PORT=$((BASE + 45))

# Authority keys: an identity/signing certificate from tor-gencert (empty
# passphrase), and the relay identity from --list-fingerprint.
DIRAUTH_LINES=
i=0
while [ $i -lt $N_AUTHS ]; do
  d=$DIR/auth$i
  mkdir -p "$d/keys"
  chmod 700 "$d"
  (cd "$d/keys" &&
   printf '' | "$TOR_GENCERT" --create-identity-key -m 12 \
     -a "127.0.0.1:$(auth_dir $i)" --passphrase-fd 0 >/dev/null 2>"$d/gencert.log") ||
    { cat "$d/gencert.log" >&2; exit 1; }
  v3ident=$(sed -n 's/^fingerprint //p' "$d/keys/authority_certificate")
  "$TOR" --defaults-torrc "$DIR/empty" -f "$DIR/empty" --list-fingerprint \
    --DataDirectory "$d" --Nickname "auth$i" --ORPort 1 \
    --DirAuthority "x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff" \
    --GeoIPFile "$DIR/empty" --GeoIPv6File "$DIR/empty" \
    --Log "err stderr" >/dev/null 2>"$d/fingerprint.log" ||
    { cat "$d/fingerprint.log" >&2; exit 1; }
  fp=$(sed -n 's/^auth[0-9]* //p' "$d/fingerprint")
  [ -n "$v3ident" ] && [ -n "$fp" ] || { echo "tor-net: no fingerprint for auth$i" >&2; exit 1; }
  DIRAUTH_LINES="${DIRAUTH_LINES}DirAuthority auth$i orport=$(auth_or $i) no-v2 v3ident=$v3ident 127.0.0.1:$(auth_dir $i) $fp
"
  i=$((i + 1))
done

# common NAME [LOG]: what every tor shares, the start of its torrc; LOG
# is the severities of its log (default notice).
common () {
  cat <<EOF
TestingTorNetwork 1
DataDirectory $DIR/$1
Nickname $1
RunAsDaemon 0
Log ${2:-notice} stdout
SafeLogging 0
${DIRAUTH_LINES}AssumeReachable 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteGuard *
TestingDirAuthVoteHSDir *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
GeoIPFile $DIR/empty
GeoIPv6File $DIR/empty
EOF
  if [ -n "${TORNET_OWNER_PID:-}" ]; then
    echo "__OwningControllerProcess $TORNET_OWNER_PID"
  fi
}

i=0
while [ $i -lt $N_AUTHS ]; do
  { common "auth$i"; cat <<EOF
SocksPort 0
Address 127.0.0.1
ORPort 127.0.0.1:$(auth_or $i)
DirPort 127.0.0.1:$(auth_dir $i)
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
TestingV3AuthInitialVotingInterval 10
V3AuthVotingInterval 10
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVoteDelay 2
V3AuthDistDelay 2
ExitRelay 1
ExitPolicyRejectPrivate 0
ExitPolicyRejectLocalInterfaces 0
ExitPolicy accept 127.0.0.0/8:*
ExitPolicy reject *:*
ServerDNSResolvConfFile $DIR/resolv.conf
ServerDNSDetectHijacking 0
EOF
  } > "$DIR/auth$i/torrc"
  i=$((i + 1))
done

i=0
while [ $i -lt $N_RELAYS ]; do
  mkdir -p "$DIR/relay$i"
  chmod 700 "$DIR/relay$i"
  { common "relay$i"; cat <<EOF
SocksPort 0
Address 127.0.0.1
ORPort 127.0.0.1:$(relay_or $i)
DirPort 127.0.0.1:$(relay_dir $i)
ExitRelay 0
ExitPolicy reject *:*
EOF
  } > "$DIR/relay$i/torrc"
  i=$((i + 1))
done

mkdir -p "$DIR/hs/echo"
chmod 700 "$DIR/hs" "$DIR/hs/echo"
# The onion service's tor and the client's log their streams and onion
# circuits too ([edge] and [rend] at info): when a test's connect through
# an onion fails, the lab's log dump says which side ended it and why.
{ common hs "[edge,rend]info notice"; cat <<EOF
SocksPort 0
ControlPort 127.0.0.1:$HS_CONTROL_PORT
CookieAuthentication 1
HiddenServiceDir $DIR/hs/echo
HiddenServicePort $ONION_PORT 127.0.0.1:$ECHO_PORT
HiddenServicePort $TUB_ONION_PORT 127.0.0.1:$TUB_PORT
EOF
} > "$DIR/hs/torrc"

mkdir -p "$DIR/client"
chmod 700 "$DIR/client"
{ common client "[edge,rend]info notice"; cat <<EOF
SocksPort 127.0.0.1:$SOCKS_PORT
SocksPort 127.0.0.1:$NOAUTH_SOCKS_PORT PreferSOCKSNoAuth
SocksPort 127.0.0.1:$SHARED_SOCKS_PORT NoIsolateSOCKSAuth
ControlPort 127.0.0.1:$CONTROL_PORT
CookieAuthentication 1
UseMicrodescriptors 0
MapAddress echo.lab.test 127.0.0.1
EOF
} > "$DIR/client/torrc"

{
  echo "TORS=\"auth0 auth1 auth2 relay0 relay1 hs client\""
  echo "SOCKS_PORT=$SOCKS_PORT"
  echo "NOAUTH_SOCKS_PORT=$NOAUTH_SOCKS_PORT"
  echo "SHARED_SOCKS_PORT=$SHARED_SOCKS_PORT"
  echo "CONTROL_PORT=$CONTROL_PORT"
  echo "CONTROL_COOKIE_FILE=$DIR/client/control_auth_cookie"
  echo "HS_CONTROL_PORT=$HS_CONTROL_PORT"
  echo "HS_CONTROL_COOKIE_FILE=$DIR/hs/control_auth_cookie"
  echo "HS_HOSTNAME_FILE=$DIR/hs/echo/hostname"
  echo "ONION_PORT=$ONION_PORT"
  echo "TUB_ONION_PORT=$TUB_ONION_PORT"
  echo "TUB_PORT=$TUB_PORT"
  echo "ECHO_PORT=$ECHO_PORT"
} > "$DIR/tor-net.env"
cat "$DIR/tor-net.env"
