#!/bin/sh
# Benchmark (not a test; `make bench` runs it): furlhint's FURL parsing and
# ranking against Foolscap 21.7 doing the same parsing, on the same
# generated FURLs, in the same run. Best of 3 runs each.
#
# Usage: run-parse.sh BENCH_PARSE_PROGRAM BENCH_SRCDIR
# Environment: BENCH_FURLS (default 20000), BENCH_REPEAT (default 10),
# PYTHON3 (a python3 that can import foolscap; else python3, /usr/bin/python3).
set -eu

bench=${1:?usage: run-parse.sh BENCH_PARSE_PROGRAM BENCH_SRCDIR}
srcdir=${2:?usage: run-parse.sh BENCH_PARSE_PROGRAM BENCH_SRCDIR}
count=${BENCH_FURLS:-20000}
repeat=${BENCH_REPEAT:-10}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/furlhint-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$bench" --count "$count" --repeat "$repeat" --output "$tmp/furls.txt" > "$tmp/furlhint.out"

python=
for candidate in "${PYTHON3:-}" python3 /usr/bin/python3; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import foolscap.furl' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done

if [ -n "$python" ]; then
  "$python" "$srcdir/foolscap_parse.py" --repeat "$repeat" "$tmp/furls.txt" > "$tmp/foolscap.out"
else
  echo "run-parse.sh: no python3 with Foolscap (Debian: apt-get install python3-foolscap); furlhint only" >&2
  : > "$tmp/foolscap.out"
fi

awk '
  FNR == 1 { file++ }
  file == 1 { c[$1] = $2 }
  file == 2 { p[$1] = $2 }
  function row(name, rate, base) {
    if (base > 0)
      printf "%-52s %12.0f %9.1fx\n", name, rate, rate / base
    else
      printf "%-52s %12.0f %10s\n", name, rate, "-"
  }
  END {
    base = ("foolscap-parse" in p) ? p["foolscap-parse"] : 0
    printf "%d FURLs, %d hints, best of %d; %d plugins loaded in %.2f ms\n",
           c["furls"], c["hints"], c["repeat"], c["plugins"], c["plugin-load-ms"]
    printf "%-52s %12s %10s\n", "", "FURLs/s", "vs Foolscap"
    if (base > 0)
      row("Foolscap " p["foolscap-version"] " (python " p["python"] "): decode + 3 handlers", base, base)
    row("furlhint: parse + Foolscap views of each hint", c["furlhint-parse"], base)
    row("furlhint: parse + rank (4 plugins, Tor+I2P config)", c["furlhint-rank"], base)
    printf "what any ranking must do (its rate bounds the line above):\n"
    row("  parse + each hint parsed by its plugin", c["furlhint-owner-parse"], base)
    row("  the same + each route described", c["furlhint-owner-describe"], base)
    if (base > 0 && c["accepted"] != p["accepted"])
      printf "WARNING: accepted handler views differ: furlhint %d, Foolscap %d\n", c["accepted"], p["accepted"]
  }
' "$tmp/furlhint.out" "$tmp/foolscap.out"
