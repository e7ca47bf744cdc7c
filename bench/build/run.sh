#!/usr/bin/env bash
# Clean build of the stackd binary alone: a fresh build directory, ccache off,
# all cores (nproc), CMAKE_BUILD_TYPE Release (what the image ships). Prints
# the wall-clock time, the compilers' CPU time, the machine's load average
# before and after (other work on a shared machine slows the build; CPU time
# divided by the cores is what a quiet machine would take at best), and MET
# or MISSED against the target of 4 minutes wall-clock.
#   bench/build/run.sh [BUILD_TYPE]   (default Release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
type=${1:-Release}
jobs=$(nproc)
dir=$(mktemp -d /tmp/stackd-build-bench-XXXX)
trap 'rm -rf "$dir"' EXIT
export CCACHE_DISABLE=1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)  # as scripts/build.sh
cmake -S "$root" -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$type" >"$dir/configure.log" 2>&1 \
  || { tail -20 "$dir/configure.log" >&2; exit 1; }
t0=$(date +%s.%N)
# `time` of bash reports the children's CPU time (user + sys of every compiler).
TIMEFORMAT='%U %S'
cpu=$( { time cmake --build "$dir" -j"$jobs" --target stackd >"$dir/build.log" 2>&1; } 2>&1 ) \
  || { tail -30 "$dir/build.log" >&2; exit 1; }
t1=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
wall=$(echo "$t1 - $t0" | bc -l)
cpu_s=$(echo "$cpu" | awk '{print $1 + $2}')
units=$(grep -c "Building CXX" "$dir/build.log" || true)
printf "clean build of stackd (%s, -j%d, ccache off, %d translation units)\n" "$type" "$jobs" "$units"
printf "  wall %.0f s   compiler CPU %.0f s (%.0f s per core)   load average before %s, after %s\n" \
  "$wall" "$cpu_s" "$(echo "$cpu_s / $jobs" | bc -l)" "$load_before" "$load_after"
symbols=$(readelf -S "$dir/stackd" | grep -q '\.symtab' && echo "with symbols" || echo stripped)
printf "  binary %s: %.1f MiB\n" "$symbols" \
  "$(echo "$(stat -c %s "$dir/stackd") / 1048576" | bc -l)"
verdict() { if (( $(echo "$1" | bc -l) )); then echo MET; else echo MISSED; fi; }
echo "target clean stackd build <= 240 s wall-clock: $(verdict "$wall <= 240") ($(printf %.0f "$wall") s)"
