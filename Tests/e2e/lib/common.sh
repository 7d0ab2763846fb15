# What every end-to-end script shares; source it from the repository's root. Not a test itself
# (scripts/test runs Tests/e2e/*.sh only).
#
#   $bin, $work          the debug build's binaries; a scratch directory removed at exit
#   pids+=($!)           processes stopped at exit (with an nginx started on $work/nginx.pid)
#   check / contains     one "ok:"/"FAIL:" line each; $failures counts the FAILs
#   wait_for URL NAME LOG   until URL answers 2xx (10 s), else prints LOG and exits 1
#   nginx_main / nginx_http_scratch / nginx_portcullis_location   the lines every test nginx needs

bin=$(swift build --show-bin-path)
work=$(mktemp -d)
pids=()
failures=0
# A script may define e2e_before_cleanup to stop what it started its own way.
e2e_cleanup() {
  declare -F e2e_before_cleanup >/dev/null && e2e_before_cleanup
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap e2e_cleanup EXIT

check() { # description, expected, actual
  if [ "$2" == "$3" ]; then echo "  ok: $1"; else echo "  FAIL: $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}
contains() { # description, needle, haystack
  if [[ "$3" == *"$2"* ]]; then echo "  ok: $1"; else echo "  FAIL: $1: '$2' not in '$3'"; failures=$((failures + 1)); fi
}

wait_for() { # url, what, its log
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "$2 did not start:"
  cat "$3"
  exit 1
}

# nginx's main context: one worker, its pid and error log in $work (root only when we are root).
nginx_main() {
  [ "$(id -u)" -eq 0 ] && echo "user root;"
  cat <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 256; }
NGINX
}

# Inside http {}: every temporary path in $work, so nginx needs nothing of the system's.
nginx_http_scratch() {
  cat <<NGINX
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
NGINX
}

# Inside server {}: the example's internal /_portcullis location (examples/nginx), to an
# `upstream portcullis`. The subrequest is a GET: the method that counts is X-Original-Method.
nginx_portcullis_location() {
  cat <<'NGINX'
        location /_portcullis {
            internal;
            rewrite ^/_portcullis/?(.*)$ /auth/$1 break;
            proxy_pass http://portcullis;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }
NGINX
}

# The demo configuration in $work, every file it reads beside it, listening on $auth and $metrics;
# extra sed expressions may follow (e.g. to add a [server] key). Stacks are appended by the script.
demo_config() {
  cp examples/demo/* "$work/"
  sed -e "s/^listen = .*/listen = \"127.0.0.1:$auth\"/" -e "s/^metrics_listen = .*/metrics_listen = \"127.0.0.1:$metrics\"/" \
    "$@" examples/demo/portcullis.toml > "$work/portcullis.toml"
  grep -q "^metrics_listen = \"127.0.0.1:$metrics\"" "$work/portcullis.toml" || { echo "the demo config sets no metrics_listen"; exit 1; }
}

# `portcullis serve` on $work/portcullis.toml, logging to $work/portcullis.log; its pid in $portcullis_pid.
start_daemon() {
  "$bin/portcullis" serve --config "$work/portcullis.toml" >"$work/portcullis.log" 2>&1 &
  portcullis_pid=$!
  pids+=("$portcullis_pid")
}
