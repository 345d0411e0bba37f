#!/bin/sh
# The stranger's path (`make installcheck`, run by `make distcheck`): the
# example plugin installed under $(docdir) is built out of tree the way its
# README says, with its own Makefile and pkg-config only, against the
# installed furlhint; the installed furlhint-plugin-check passes it, and
# the installed furlhint loads it from FURLHINT_PLUGIN_PATH.
#
#   example-plugin.sh PKGCONFIGDIR BINDIR EXAMPLEDIR
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

pcdir=$1
bindir=$2
exampledir=$3
make=${MAKE:-make}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/furlhint-example-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for f in Makefile README.md unixsock.c httpconnect.c; do
  test -f "$exampledir/$f" || { echo "example-plugin.sh: $exampledir/$f is not installed" >&2; exit 1; }
  cp "$exampledir/$f" "$tmp/"
done

PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
# Only what the installed furlhint offers; MAKEFLAGS of the calling make
# (its -j jobserver) must not leak into the example's build.
unset MAKEFLAGS MFLAGS MAKELEVEL FURLHINT_PLUGIN_DIR
cd "$tmp"

$make
$make check PLUGIN_CHECK="$bindir/furlhint-plugin-check" > check.out
tail -n 1 check.out
grep -q '^PASS ./unixsock.so: .* checks, 0 failed$' check.out
grep -q '^PASS ./httpconnect.so: .* checks, 0 failed$' check.out

FURLHINT_PLUGIN_PATH="$tmp" "$bindir/furlhint" plugins > plugins.out
for p in unixsock httpconnect; do
  grep -q "$p" plugins.out || { cat plugins.out; echo "example-plugin.sh: furlhint did not load $p.so" >&2; exit 1; }
done
FURLHINT_PLUGIN_PATH="$tmp" "$bindir/furlhint" plugins --keys > keys.out
grep -q '^    \[unixsock\] socket-dir: path — ' keys.out || { cat keys.out; echo "example-plugin.sh: furlhint does not list [unixsock] socket-dir" >&2; exit 1; }
echo "example-plugin.sh: the installed example builds, passes furlhint-plugin-check and loads"
