#!/bin/sh
# Runs every libFuzzer target for SECONDS each (default 60) and prints a
# line per target with its executions, coverage and outcome; exits 1 when
# any target found a crash, a leak or a broken invariant.
#
#   fuzz/run.sh [SECONDS] [TARGET...]        (from the build directory,
#                                             after `make fuzz`)
#
# Each target starts from its seed corpus (SRCDIR/fuzz/corpus/NAME) and a
# working corpus in BUILDDIR/fuzz/work/NAME (kept between runs, never
# written back to the source tree). Crash reproducers land in
# BUILDDIR/fuzz/artifacts/; run the target on one to replay it:
#   fuzz/fuzz-furl fuzz/artifacts/crash-...
# Environment: FUZZ_JOBS (parallel workers per target, default 1),
# FUZZ_FLAGS (extra libFuzzer flags, e.g. -max_len=4096).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u

seconds=${1:-60}
[ $# -gt 0 ] && shift
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(pwd)
targets=${*:-furl hint config socks5 sam torctl rank}

mkdir -p "$builddir/fuzz/artifacts"
failed=0
printf '%-8s %12s %10s %8s %8s  %s\n' target execs exec/s cov ft result
for t in $targets; do
  t=${t#fuzz-}
  bin="$builddir/fuzz/fuzz-$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz/run.sh: $bin is missing: run 'make fuzz' first" >&2
    exit 2
  fi
  work="$builddir/fuzz/work/$t"
  mkdir -p "$work"
  log="$builddir/fuzz/work/$t.log"
  # GLib's one-time allocations are reachable, not leaks; ours are not.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$builddir/fuzz/artifacts/$t-" ${FUZZ_FLAGS:-} \
    "$work" "$srcdir/fuzz/corpus/$t" >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ $status -eq 0 ]; then
    result=ok
  else
    result="FAILED (status $status; see $log)"
    failed=1
    grep -E 'ERROR: |runtime error|fuzz invariant|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
  printf '%-8s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
