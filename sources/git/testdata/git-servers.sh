#!/usr/bin/env bash
# Starts (or stops) the real git servers the transport tests fetch from, all
# on 127.0.0.1, each recorded and stopped by its pid:
#   git daemon                      git://127.0.0.1:$GIT_PORT/
#   nginx + fcgiwrap + http-backend http://127.0.0.1:$HTTP_PORT/ (Basic auth)
#   openssh-server                  ssh://root@127.0.0.1:$SSH_PORT/ (own host key, user key, known_hosts)
# Repositories live in $DIR/repos. Credentials: $DIR/http-token (user "git"),
# $DIR/ssh/user_ed25519, $DIR/ssh/known_hosts.
#
# http-stop and http-start take only the web server away and bring it back
# (a remote that goes down and recovers), with the same repositories.
#
# usage: git-servers.sh start|stop|http-stop|http-start DIR [GIT_PORT HTTP_PORT SSH_PORT]
set -euo pipefail
# The servers outlive this script: they must not inherit its descriptors,
# above all the e2e lock that `flock /tmp/stackd-e2e.lock ctest` holds (a
# server keeping it would block every other suite until it is stopped).
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if [ "$fd" -gt 2 ] 2>/dev/null && [ "$fd" -lt 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
cmd=$1
DIR=$2
GIT_PORT=${3:-29641}
HTTP_PORT=${4:-29642}
SSH_PORT=${5:-29643}

stop_pid() {
  local file=$1 group=${2:-}
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill ${group:+--} ${group:+-}"$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 ${group:+--} ${group:+-}"$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

stop_all() {
  stop_pid "$DIR/nginx.pid"
  stop_pid "$DIR/fcgiwrap.pid" group
  stop_pid "$DIR/git-daemon.pid"
  stop_pid "$DIR/sshd.pid"
}

case "$cmd" in
stop)
  stop_all
  exit 0
  ;;
http-stop)
  stop_pid "$DIR/nginx.pid"
  ;;
http-start)
  DIR=$(cd "$DIR" && pwd)
  nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"
  wait_port "$(cat "$DIR/http-port")"
  ;;
start)
  stop_all
  rm -rf "$DIR"
  mkdir -p "$DIR/repos" "$DIR/nginx" "$DIR/ssh"
  DIR=$(cd "$DIR" && pwd)
  echo "$HTTP_PORT" > "$DIR/http-port"

  # git daemon: read-only, every repository under repos/.
  git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$DIR/repos" --export-all \
    --detach --pid-file="$DIR/git-daemon.pid" "$DIR/repos"

  # Smart HTTP: nginx asks for Basic auth, fcgiwrap runs git http-backend.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/http-token"
  printf 'git:%s\n' "$(openssl passwd -apr1 "$(cat "$DIR/http-token")")" > "$DIR/nginx/htpasswd"
  # Its own process group: fcgiwrap preforks, stop kills the group.
  # Detached from our stdio: ctest waits for the pipes of a test to close.
  setsid fcgiwrap -c 2 -s "unix:$DIR/fcgiwrap.sock" </dev/null >"$DIR/fcgiwrap.log" 2>&1 &
  echo $! > "$DIR/fcgiwrap.pid"
  for _ in $(seq 1 100); do [ -S "$DIR/fcgiwrap.sock" ] && break; sleep 0.05; done
  chmod 666 "$DIR/fcgiwrap.sock"
  cat > "$DIR/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/body;
  fastcgi_temp_path $DIR/nginx/fastcgi;
  proxy_temp_path $DIR/nginx/proxy;
  uwsgi_temp_path $DIR/nginx/uwsgi;
  scgi_temp_path $DIR/nginx/scgi;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    location / {
      auth_basic "git";
      auth_basic_user_file $DIR/nginx/htpasswd;
      fastcgi_pass unix:$DIR/fcgiwrap.sock;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT $DIR/repos;
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param REMOTE_USER \$remote_user;
      fastcgi_param PATH_INFO \$uri;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param CONTENT_TYPE \$content_type;
      fastcgi_param CONTENT_LENGTH \$content_length;
      fastcgi_param GIT_PROTOCOL \$http_git_protocol;
    }
  }
}
CONF
  nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"

  # SSH: its own host key; the test's user key is the only one accepted.
  ssh-keygen -q -t ed25519 -N '' -f "$DIR/ssh/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$DIR/ssh/user_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$DIR/ssh/other_ed25519"
  cp "$DIR/ssh/user_ed25519.pub" "$DIR/ssh/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$DIR/ssh/host_ed25519.pub")" > "$DIR/ssh/known_hosts"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$DIR/ssh/other_ed25519.pub")" > "$DIR/ssh/wrong_known_hosts"
  cat > "$DIR/ssh/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $DIR/ssh/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/ssh/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
CONF
  mkdir -p /run/sshd 2>/dev/null || true  # privilege separation directory (root only)
  "$(command -v sshd || echo /usr/sbin/sshd)" -f "$DIR/ssh/sshd_config" -E "$DIR/ssh/sshd.log"

  wait_port "$GIT_PORT"
  wait_port "$HTTP_PORT"
  wait_port "$SSH_PORT"
  ;;
*)
  echo "usage: $0 start|stop|http-stop|http-start DIR [GIT_PORT HTTP_PORT SSH_PORT]" >&2
  exit 2
  ;;
esac
