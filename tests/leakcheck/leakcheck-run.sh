#!/bin/sh
# Runs a test program under the leak checker (tests/leakcheck/leakcheck.c)
# and fails when it logged any violation.
#
#   tests/leakcheck/leakcheck-run.sh PROGRAM [ARGS...]
#
# Also an automake LOG_COMPILER: `make check-leakcheck` runs
# $(LEAKCHECK_TESTS) through it.
#
# The checker runs in fail mode (a leaking call fails; nothing leaves),
# checks only PROGRAM's own processes (FURLHINT_LEAKCHECK_ONLY: not the
# libtool wrapper's shell, nor the tor/i2pd/socat a test starts), and
# appends to a log of its own. Environment it honours:
#   FURLHINT_LEAKCHECK_SO     the checker (default: found next to this
#                             script in the build tree, BUILDDIR/tests/
#                             leakcheck/.libs/leakcheck.so, via
#                             G_TEST_BUILDDIR or the current directory)
#   FURLHINT_LEAKCHECK_ALLOW  extra allowed endpoints (see leakcheck.c)
#   FURLHINT_LEAKCHECK_MODE   fail (default) or record
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u

if [ $# -lt 1 ]; then
  echo "usage: $0 PROGRAM [ARGS...]" >&2
  exit 2
fi
prog=$1

so=${FURLHINT_LEAKCHECK_SO:-}
if [ -z "$so" ]; then
  for d in "${G_TEST_BUILDDIR:-}" "$(pwd)/tests" "$(pwd)"; do
    if [ -n "$d" ] && [ -f "$d/leakcheck/.libs/leakcheck.so" ]; then
      so="$d/leakcheck/.libs/leakcheck.so"
      break
    fi
  done
fi
if [ -z "$so" ] || [ ! -f "$so" ]; then
  echo "leakcheck-run: the checker library was not found; build it (make check) or set FURLHINT_LEAKCHECK_SO" >&2
  exit 99
fi

log=$(mktemp "${TMPDIR:-/tmp}/leakcheck.XXXXXX") || exit 99
trap 'rm -f "$log"' EXIT

name=$(basename "$prog")
name=${name#lt-}

# An ASan build puts its runtime first; the checker must come before it.
asan=${ASAN_OPTIONS:-}
LD_PRELOAD="$so" \
FURLHINT_LEAKCHECK_LOG="$log" \
FURLHINT_LEAKCHECK_MODE="${FURLHINT_LEAKCHECK_MODE:-fail}" \
FURLHINT_LEAKCHECK_ONLY="$name" \
ASAN_OPTIONS="${asan:+$asan:}verify_asan_link_order=0" \
  "$@"
status=$?

if [ -s "$log" ]; then
  n=$(grep -c '^leakcheck: VIOLATION' "$log")
  echo "# leakcheck: $n violation(s) in $name:" >&2
  sed 's/^/# /' "$log" >&2
  # A TAP line as well, so the TAP driver counts the failure.
  echo "not ok - leakcheck: $n anonymity leak(s) in $name (see the log above)"
  exit 1
fi
exit $status
