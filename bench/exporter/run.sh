#!/usr/bin/env bash
# Benchmark of the Ollama metering exporter against direct access to the fake
# Ollama, side by side in one run, all on 127.0.0.1 (about 1.5 minutes):
#   1. throughput of non-streaming /api/generate (wrk), exporter / direct
#   2. added latency p50/p99 for non-streaming requests (wrk, one connection)
#   3. added time to first token for streams
#   4. RSS of the exporter holding 1,000 concurrent open streams
#
# Usage: bench/exporter/run.sh [BUILD_DIR]   (default: build-exporter)
# Needs wrk and python3. Prints the figures and the ratios.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-exporter}
fake=$build/tests/fakes/ollama/fake-ollama
exporter=$build/exporter/stackd-ollama-exporter
for b in "$fake" "$exporter"; do [[ -x $b ]] || { echo "missing $b (build targets fake-ollama stackd-ollama-exporter)" >&2; exit 2; }; done
command -v wrk >/dev/null || { echo "wrk is required" >&2; exit 2; }

duration=${BENCH_DURATION:-8s}
conns=${BENCH_CONNECTIONS:-32}
streams=${BENCH_STREAMS:-1000}
ulimit -n 65536 2>/dev/null || ulimit -n 8192

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fake_port=$(free_port); exp_port=$(free_port)
logs=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$logs"; }
trap cleanup EXIT

# (Re)starts the fake on the same port with a token delay. The exporter keeps
# running: its pooled connections to the old fake must be noticed as dead.
fake_pid=""
start_fake() {
  # wrk stops with requests still running; let them finish before the fake goes.
  sleep 1
  if [[ -n $fake_pid ]]; then kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fi
  OLLAMA_HOST=127.0.0.1:$fake_port OLLAMA_NUM_PARALLEL=4096 OLLAMA_MAX_QUEUE=100000 FAKE_OLLAMA_TOKEN_DELAY_MS=$1 FAKE_OLLAMA_TOKENS=8 \
    "$fake" >>"$logs/fake.log" 2>&1 & fake_pid=$!; pids+=($fake_pid)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$fake_port/api/version" >/dev/null && break; sleep 0.05; done
}
# No token delay first: this measures the proxy's own cost, not the fake's timers.
start_fake 0
"$exporter" --upstream "http://127.0.0.1:$fake_port" --listen "127.0.0.1:$exp_port" --num-parallel 4096 --log-level warn \
  >"$logs/exporter.log" 2>&1 & exporter_pid=$!; pids+=($exporter_pid)
for port in $fake_port $exp_port; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/version" >/dev/null && break; sleep 0.05; done
done

# wrk prints e.g. "Requests/sec:  12345.67" and "     99%    1.23ms".
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }
pctl() { awk -v p="$1%" '$1==p {print $2}' | to_ms; }

echo "== 1a. throughput, non-streaming /api/generate answered at once (CPU-bound: wrk, fake and exporter share the cores)"
direct=$(wrk -t1 -c"$conns" -d"$duration" -s "$here/generate.lua" "http://127.0.0.1:$fake_port/api/generate")
proxied=$(wrk -t1 -c"$conns" -d"$duration" -s "$here/generate.lua" "http://127.0.0.1:$exp_port/api/generate")
d_rps=$(rps <<<"$direct"); p_rps=$(rps <<<"$proxied")
printf "direct   %10.1f req/s\nexporter %10.1f req/s\nratio    %10.3f  (target >= 0.9)\n" "$d_rps" "$p_rps" "$(echo "$p_rps / $d_rps" | bc -l)"
grep -q "Non-2xx" <<<"$direct$proxied" && echo "WARNING: non-2xx answers during the throughput run"

echo "== 1b. throughput with model-like work: 8 tokens x 5 ms per answer, 64 connections"
start_fake 5
direct=$(wrk -t1 -c64 -d"$duration" -s "$here/generate.lua" "http://127.0.0.1:$fake_port/api/generate")
proxied=$(wrk -t1 -c64 -d"$duration" -s "$here/generate.lua" "http://127.0.0.1:$exp_port/api/generate")
d_rps=$(rps <<<"$direct"); p_rps=$(rps <<<"$proxied")
printf "direct   %10.1f req/s\nexporter %10.1f req/s\nratio    %10.3f  (target >= 0.9)\n" "$d_rps" "$p_rps" "$(echo "$p_rps / $d_rps" | bc -l)"
grep -q "Non-2xx" <<<"$direct$proxied" && echo "WARNING: non-2xx answers during the throughput run"
start_fake 0

echo "== 2. latency, non-streaming, one connection, $duration each"
direct=$(wrk -t1 -c1 -d"$duration" --latency -s "$here/generate.lua" "http://127.0.0.1:$fake_port/api/generate")
proxied=$(wrk -t1 -c1 -d"$duration" --latency -s "$here/generate.lua" "http://127.0.0.1:$exp_port/api/generate")
for p in 50 99; do
  d=$(pctl $p <<<"$direct"); x=$(pctl $p <<<"$proxied")
  printf "p%-3s direct %8.3f ms  exporter %8.3f ms  added %8.3f ms\n" "$p" "$d" "$x" "$(echo "$x - $d" | bc -l)"
done

echo "== 3. time to first token, streamed /api/generate, 200 sequential streams"
read -r d50 d99 < <(python3 "$here/streams.py" ttft "$fake_port" 200)
read -r x50 x99 < <(python3 "$here/streams.py" ttft "$exp_port" 200)
printf "p50  direct %8.3f ms  exporter %8.3f ms  added %8.3f ms\n" "$d50" "$x50" "$(echo "$x50 - $d50" | bc -l)"
printf "p99  direct %8.3f ms  exporter %8.3f ms  added %8.3f ms\n" "$d99" "$x99" "$(echo "$x99 - $d99" | bc -l)"

echo "== 4. RSS with $streams concurrent open streams"
# Slow tokens so every stream stays open while we look.
start_fake 200
read -r opened before during < <(timeout 60 python3 "$here/streams.py" hold "$exp_port" "$streams" "$exporter_pid")
printf "streams open %d   exporter RSS before %.1f MiB, with streams %.1f MiB (%.1f KiB per stream)\n" \
  "$opened" "$(echo "$before/1024" | bc -l)" "$(echo "$during/1024" | bc -l)" "$(echo "($during-$before)/$opened" | bc -l)"
total=$(curl -s "http://127.0.0.1:$exp_port/metrics" | awk '/^ollama_requests_total/ {s+=$2} END {print s}')
bad=$(curl -s "http://127.0.0.1:$exp_port/metrics" | awk '/^ollama_requests_total/ && !/status="200"/ && !/status="499"/ {printf "%s ", $0}')
echo "requests counted by the exporter: $total (not 200/499: $bad)"
if grep -q "warn" "$logs/exporter.log"; then
  echo "exporter warnings: $(grep -c warn "$logs/exporter.log"), first ones:"; grep warn "$logs/exporter.log" | sort | uniq -c | sort -rn | head -3
fi
