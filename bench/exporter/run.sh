#!/usr/bin/env bash
# Benchmark of the Ollama metering exporter, side by side in one run with
# direct access to the fake Ollama and with nginx as a plain reverse proxy
# (the peer: Debian's nginx, one worker, proxy_pass with upstream keep-alive,
# proxy_buffering off), all on 127.0.0.1, wrk with 32 connections (~2 minutes):
#   1a. throughput, non-streaming /api/generate answered at once (CPU-bound):
#       exporter / nginx >= 0.9, and the exporter's added p99 latency no worse
#       than nginx's
#   1b. throughput with model-like work (tokens over time): exporter / direct >= 0.95
#   2.  added latency p50/p99, one connection (rounds alternating like 1a)
#   3.  added time to first token for streams
#   4.  RSS of the exporter holding 1,000 concurrent open streams: at most
#       32 KiB per open stream
# The CPU-bound runs alternate direct, nginx, exporter for BENCH_ROUNDS rounds
# and report each one's median, so a burst of load from elsewhere on the
# machine does not land on one side only.
#
# Usage: bench/exporter/run.sh [BUILD_DIR]   (default: build)
# Needs wrk, nginx and python3. Prints the figures, the ratios and MET or
# MISSED per target.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
fake=${FAKE_OLLAMA_BIN:-$build/tests/fakes/ollama/fake-ollama}
exporter=${EXPORTER_BIN:-$build/exporter/stackd-ollama-exporter}
for b in "$fake" "$exporter"; do [[ -x $b ]] || { echo "missing $b (build targets fake-ollama stackd-ollama-exporter)" >&2; exit 2; }; done
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "$tool is required (scripts/setup.sh)" >&2; exit 2; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

duration=${BENCH_DURATION:-5s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
streams=${BENCH_STREAMS:-1000}
ulimit -n 65536 2>/dev/null || ulimit -n 8192

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fake_port=$(free_port); exp_port=$(free_port); nginx_port=$(free_port)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # nginx runs in the foreground (its pid is in pids); the pid file is a fallback.
  local nginx_pid; nginx_pid=$(cat "$work/nginx.pid" 2>/dev/null || true)
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_http() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1$2" >/dev/null && return 0; sleep 0.05; done; echo "nothing on :$1$2" >&2; exit 1; }

# (Re)starts the fake on the same port with a token delay. The proxies keep
# running: their pooled connections to the old fake must be noticed as dead.
# No model load and no prompt evaluation time: the runs measure the proxies
# and the token timing, not the fake's other timers.
fake_pid=""
start_fake() {
  # wrk stops with requests still running; let them finish before the fake goes.
  sleep 1
  if [[ -n $fake_pid ]]; then kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fi
  OLLAMA_HOST=127.0.0.1:$fake_port OLLAMA_NUM_PARALLEL=4096 OLLAMA_MAX_QUEUE=100000 FAKE_OLLAMA_TOKEN_DELAY_MS=$1 FAKE_OLLAMA_TOKENS=8 \
    FAKE_OLLAMA_LOAD_MS=0 FAKE_OLLAMA_PROMPT_TOKEN_US=0 \
    "$fake" >>"$work/fake.log" 2>&1 & fake_pid=$!; pids+=($fake_pid)
  wait_http "$fake_port" /api/version
}

# nginx as the peer, with its own prefix, config and pid file.
mkdir -p "$work/nginx-tmp"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body;
  proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi;
  uwsgi_temp_path $work/nginx-tmp/uwsgi;
  scgi_temp_path $work/nginx-tmp/scgi;
  upstream ollama {
    server 127.0.0.1:$fake_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://ollama;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
EOF

# No token delay first: this measures the proxies' own cost, not the fake's timers.
start_fake 0
"$exporter" --upstream "http://127.0.0.1:$fake_port" --listen "127.0.0.1:$exp_port" --num-parallel 4096 --log-level warn \
  >"$work/exporter.log" 2>&1 & exporter_pid=$!; pids+=($exporter_pid)
"$nginx_bin" -p "$work" -c "$work/nginx.conf" -e "$work/nginx-error.log" >"$work/nginx.log" 2>&1 & pids+=($!)
wait_http "$exp_port" /api/version
wait_http "$nginx_port" /api/version

# wrk prints e.g. "Requests/sec:  12345.67" and "     99%    1.23ms".
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }
pctl() { awk -v p="$1%" '$1==p {print $2}' | to_ms; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { echo "$1 / $2" | bc -l; }
verdict() { if (( $(echo "$1" | bc -l) )); then echo MET; else echo MISSED; fi; }
results=()

wrk_run() {  # PORT CONNECTIONS -> wrk's output
  wrk -t1 -c"$2" -d"$duration" --latency -s "$here/generate.lua" "http://127.0.0.1:$1/api/generate"
}

echo "== 1a. throughput, non-streaming /api/generate answered at once (CPU-bound: wrk, fake and proxy share 2 cores), $conns connections, $rounds rounds of $duration"
# CPU time per request of each proxy (its own utime+stime over the requests
# wrk counted): less sensitive to other load on the machine than throughput.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
declare -A rps_of p99_of cpu_of
for name in direct nginx exporter; do rps_of[$name]=""; p99_of[$name]=""; cpu_of[$name]=""; done
for r in $(seq "$rounds"); do
  for name in direct nginx exporter; do
    case $name in direct) port=$fake_port ;; nginx) port=$nginx_port ;; exporter) port=$exp_port ;; esac
    case $name in direct) cpid=$fake_pid ;; nginx) cpid=$nginx_worker ;; exporter) cpid=$exporter_pid ;; esac
    c0=$(cpu_ticks "$cpid")
    out=$(wrk_run "$port" "$conns")
    c1=$(cpu_ticks "$cpid")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    us=$(echo "($c1 - $c0) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l)
    grep -q "Non-2xx" <<<"$out" && echo "WARNING: non-2xx answers from $name"
    rps_of[$name]+="$(rps <<<"$out") "; p99_of[$name]+="$(pctl 99 <<<"$out") "; cpu_of[$name]+="$us "
    printf "  round %d %-8s %10.1f req/s  p99 %7.3f ms  %6.1f us CPU/request (%s)\n" "$r" "$name" "$(rps <<<"$out")" \
      "$(pctl 99 <<<"$out")" "$us" "$([[ $name == direct ]] && echo fake || echo proxy)"
  done
done
for name in direct nginx exporter; do
  declare "med_cpu_$name=$(tr ' ' '\n' <<<"${cpu_of[$name]}" | grep . | median)"
  declare "med_rps_$name=$(tr ' ' '\n' <<<"${rps_of[$name]}" | grep . | median)"
  declare "med_p99_$name=$(tr ' ' '\n' <<<"${p99_of[$name]}" | grep . | median)"
done
printf "median   direct %10.1f req/s   nginx %10.1f req/s   exporter %10.1f req/s\n" "$med_rps_direct" "$med_rps_nginx" "$med_rps_exporter"
r_nginx=$(ratio "$med_rps_exporter" "$med_rps_nginx")
printf "ratio    exporter/nginx %.3f   exporter/direct %.3f   nginx/direct %.3f\n" "$r_nginx" \
  "$(ratio "$med_rps_exporter" "$med_rps_direct")" "$(ratio "$med_rps_nginx" "$med_rps_direct")"
printf "CPU per request (median): fake %.1f us, nginx %.1f us, exporter %.1f us (exporter/nginx %.2f)\n" \
  "$med_cpu_direct" "$med_cpu_nginx" "$med_cpu_exporter" "$(ratio "$med_cpu_exporter" "$med_cpu_nginx")"
results+=("CPU-bound throughput exporter/nginx $(printf %.3f "$r_nginx") (target >= 0.9): $(verdict "$r_nginx >= 0.9")")
add_n=$(echo "$med_p99_nginx - $med_p99_direct" | bc -l); add_x=$(echo "$med_p99_exporter - $med_p99_direct" | bc -l)
printf "p99 at %d connections: direct %.3f ms, added by nginx %.3f ms, added by the exporter %.3f ms\n" "$conns" "$med_p99_direct" "$add_n" "$add_x"
results+=("CPU-bound p99 added latency ($conns conns) exporter $(printf %.3f "$add_x") ms vs nginx $(printf %.3f "$add_n") ms (target: no worse): $(verdict "$add_x <= $add_n")")

echo "== 2. latency, non-streaming, one connection, $rounds rounds of $duration, alternating like 1a"
# One connection has no queue to hide a scheduler hiccup in: a single run's p99
# is one stall on this machine. Each side's median over the rounds is compared.
declare -A p50_1 p99_1
for name in direct nginx exporter; do p50_1[$name]=""; p99_1[$name]=""; done
for r in $(seq "$rounds"); do
  for name in direct nginx exporter; do
    case $name in direct) port=$fake_port ;; nginx) port=$nginx_port ;; exporter) port=$exp_port ;; esac
    out=$(wrk_run "$port" 1)
    p50_1[$name]+="$(pctl 50 <<<"$out") "; p99_1[$name]+="$(pctl 99 <<<"$out") "
    printf "  round %d %-8s p50 %7.3f ms  p99 %7.3f ms\n" "$r" "$name" "$(pctl 50 <<<"$out")" "$(pctl 99 <<<"$out")"
  done
done
for p in 50 99; do
  declare -n of="p${p}_1"
  d=$(tr ' ' '\n' <<<"${of[direct]}" | grep . | median)
  n=$(tr ' ' '\n' <<<"${of[nginx]}" | grep . | median)
  x=$(tr ' ' '\n' <<<"${of[exporter]}" | grep . | median)
  unset -n of
  printf "p%-3s median direct %8.3f ms  nginx %8.3f ms (added %6.3f)  exporter %8.3f ms (added %6.3f)\n" "$p" "$d" "$n" \
    "$(echo "$n - $d" | bc -l)" "$x" "$(echo "$x - $d" | bc -l)"
  if [[ $p == 99 ]]; then
    results+=("p99 added latency (1 conn) exporter $(printf %.3f "$(echo "$x - $d" | bc -l)") ms vs nginx $(printf %.3f "$(echo "$n - $d" | bc -l)") ms (target: no worse): $(verdict "$x <= $n")")
  fi
done

echo "== 1b. throughput with model-like work: 8 tokens x 5 ms per answer, 64 connections"
start_fake 5
direct=$(wrk_run "$fake_port" 64); viang=$(wrk_run "$nginx_port" 64); proxied=$(wrk_run "$exp_port" 64)
d_rps=$(rps <<<"$direct"); n_rps=$(rps <<<"$viang"); p_rps=$(rps <<<"$proxied")
r_direct=$(ratio "$p_rps" "$d_rps")
printf "direct   %10.1f req/s\nnginx    %10.1f req/s\nexporter %10.1f req/s\nratio exporter/direct %.3f\n" "$d_rps" "$n_rps" "$p_rps" "$r_direct"
grep -q "Non-2xx" <<<"$direct$viang$proxied" && echo "WARNING: non-2xx answers during the model-like run"
results+=("model-like throughput exporter/direct $(printf %.3f "$r_direct") (target >= 0.95): $(verdict "$r_direct >= 0.95")")
start_fake 0

echo "== 3. time to first token, streamed /api/generate, 200 sequential streams"
read -r d50 d99 < <(python3 "$here/streams.py" ttft "$fake_port" 200)
read -r x50 x99 < <(python3 "$here/streams.py" ttft "$exp_port" 200)
printf "p50  direct %8.3f ms  exporter %8.3f ms  added %8.3f ms\n" "$d50" "$x50" "$(echo "$x50 - $d50" | bc -l)"
printf "p99  direct %8.3f ms  exporter %8.3f ms  added %8.3f ms\n" "$d99" "$x99" "$(echo "$x99 - $d99" | bc -l)"

echo "== 4. RSS with $streams concurrent open streams"
# Slow tokens so every stream stays open while we look.
start_fake 200
read -r opened before during < <(timeout 60 python3 "$here/streams.py" hold "$exp_port" "$streams" "$exporter_pid")
per_stream=$(echo "($during-$before)/$opened" | bc -l)
printf "streams open %d   exporter RSS before %.1f MiB, with streams %.1f MiB (%.1f KiB per stream)\n" \
  "$opened" "$(echo "$before/1024" | bc -l)" "$(echo "$during/1024" | bc -l)" "$per_stream"
results+=("RSS per open stream at $opened streams $(printf %.1f "$per_stream") KiB (target <= 32 KiB): $(verdict "$per_stream <= 32 && $opened == $streams")")
total=$(curl -s "http://127.0.0.1:$exp_port/metrics" | awk '/^ollama_requests_total/ {s+=$2} END {print s}')
bad=$(curl -s "http://127.0.0.1:$exp_port/metrics" | awk '/^ollama_requests_total/ && !/status="200"/ && !/status="499"/ {printf "%s ", $0}')
echo "requests counted by the exporter: $total (not 200/499: $bad)"
if grep -q "warn" "$work/exporter.log"; then
  echo "exporter warnings: $(grep -c warn "$work/exporter.log"), first ones:"; grep warn "$work/exporter.log" | sort | uniq -c | sort -rn | head -3
fi

echo "== targets"
for line in "${results[@]}"; do echo "$line"; done
