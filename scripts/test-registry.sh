#!/usr/bin/env bash
# Starts or stops a private image registry for tests: Debian's docker-registry
# (the CNCF distribution registry) on 127.0.0.1 with its own storage, and
# optionally htpasswd (bcrypt) authentication. Engines treat 127.0.0.0/8 as
# an insecure registry, so plain HTTP works without engine configuration.
#   scripts/test-registry.sh start DIR PORT [USER:PASSWORD]   # prints 127.0.0.1:PORT
#   scripts/test-registry.sh slow DIR PORT BACKEND_PORT RATE   # nginx in front, sending RATE (e.g. 2m) per second
#   scripts/test-registry.sh stop DIR                         # stops what DIR started, by pid
set -euo pipefail
cmd=${1:?start|slow|stop}
dir=${2:?directory}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

wait_port() {  # wait_port PORT PIDFILE LOG: until /v2/ answers (200 or 401)
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/" || true)
    if [ "$code" = 200 ] || [ "$code" = 401 ]; then echo "127.0.0.1:$1"; return 0; fi
    kill -0 "$(cat "$2" 2>/dev/null)" 2>/dev/null || break
    sleep 0.1
  done
  echo "registry on port $1 did not come up; log:" >&2; tail -20 "$3" >&2; return 1
}

stop_pidfile() {
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

case "$cmd" in
start)
  port=${3:?port} user=${4:-}
  stop_pidfile "$dir/registry.pid"
  mkdir -p "$dir/storage"
  auth=""
  if [ -n "$user" ]; then
    htpasswd -Bbn "${user%%:*}" "${user#*:}" >"$dir/htpasswd"
    auth="auth:
  htpasswd:
    realm: stackd-test
    path: $dir/htpasswd"
  fi
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: stackd-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
$auth
YAML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/registry.pid"
  wait_port "$port" "$dir/registry.pid" "$dir/registry.log"
  ;;
slow)
  # A throttled front (nginx proxy_limit_rate), so a test can stop the
  # registry behind it while the engine is in the middle of a layer.
  port=${3:?port} backend=${4:?backend port} rate=${5:?rate}
  stop_pidfile "$dir/nginx.pid"
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx/nginx.conf" <<CONF
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    client_max_body_size 0;
    location / {
      proxy_pass http://127.0.0.1:$backend;
      proxy_set_header Host \$http_host;
      # nginx ignores limit_rate on unbuffered responses: throttle the read
      # from the registry instead, so stopping it cuts the layer short.
      proxy_limit_rate $rate;
      limit_rate $rate;
      proxy_request_buffering off;
    }
  }
}
CONF
  nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" >"$dir/nginx/stdout.log" 2>&1 &
  echo $! >"$dir/nginx.pid"
  wait_port "$port" "$dir/nginx.pid" "$dir/nginx/error.log"
  ;;
stop)
  stop_pidfile "$dir/nginx.pid"
  stop_pidfile "$dir/registry.pid"
  ;;
*) echo "usage: $0 start|slow|stop DIR ..." >&2; exit 2 ;;
esac
