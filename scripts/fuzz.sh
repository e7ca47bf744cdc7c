#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang++ in build-fuzz/ and runs
# each for a bounded time: CI runs `scripts/fuzz.sh 8` (8 s each); longer runs
# are in fuzz/README.md. New interesting inputs stay in build-fuzz/, never in
# the repository; a crash leaves its input in build-fuzz/artifacts/ and fails
# the script (commit it to fuzz/corpus/<target>/ once fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-8}
build=${STACKD_FUZZ_BUILD:-build-fuzz}
export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_SLOPPINESS=time_macros
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
generator=()
[ -f "$build/CMakeCache.txt" ] || ! command -v ninja >/dev/null || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++ -DSTACKD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
# Every name of set(STACKD_FUZZ_TARGETS ...), however it is wrapped.
targets=$(awk '/^set\(STACKD_FUZZ_TARGETS/ { on = 1 } on { all = all " " $0 } on && /\)/ { exit } END { print all }' \
            fuzz/CMakeLists.txt | sed 's/.*STACKD_FUZZ_TARGETS//; s/).*//' | xargs)
nice cmake --build "$build" -j2 --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done) >/dev/null
mkdir -p "$build/artifacts"
failed=0
for t in $targets; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  seeds=("fuzz/corpus/$t")
  # Every broken manifest of the corpus, under ASan/UBSan before any mutation.
  [ "$t" = manifest_loader ] && seeds+=(tests/manifests/invalid)
  # Every rule file stackd ships and the corpus' broken ones.
  [ "$t" = alert_thresholds ] && seeds+=(manifests/prometheus tests/manifests/invalid/files)
  start=$(date +%s)
  if "$build/fuzz/fuzz_$t" -seed="${STACKD_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=0 -artifact_prefix="$build/artifacts/$t-" "$work" "${seeds[@]}" >"$build/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t: ok ($(( $(date +%s) - start )) s, $(grep -o 'cov: [0-9]*' "$build/fuzz_$t.log" | tail -1))"
  else
    echo "fuzz_$t: FAILED, see $build/fuzz_$t.log and $build/artifacts/"; tail -30 "$build/fuzz_$t.log"; failed=1
  fi
done
exit $failed
