#!/usr/bin/env bash
# bench/run forward: forward-auth throughput with wrk on loopback, side by side in one run:
#   (a) nginx `return 204`                               the ceiling
#   (b) nginx auth_basic, 1 000-user htpasswd, bcrypt 10 what operators use today
#   (c) nginx → auth_request → portcullis, same file      the cache makes repeat credentials cheap
#   (d) portcullis /auth directly                         the daemon alone
# Targets: (c) ≥ 50 × (b) requests/s; (d) ≥ 50 % of (a). Prints one row per figure, then ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-$(swift build -c release --show-bin-path)}
duration=${DURATION:-8s}
connections=${CONNECTIONS:-32}
work=$(mktemp -d)
plain=18580 basic=18581 front=18582 auth=18583 upstream=18584
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

# One bcrypt (cost 10) hash, shared by 1 000 users: each check costs one bcrypt either way.
hash=$(htpasswd -nbB -C 10 bench secret | head -1 | cut -d: -f2)
for i in $(seq 0 999); do echo "user$i:$hash"; done > "$work/users"
credential="Authorization: Basic $(printf 'user500:secret' | base64)"

cat > "$work/portcullis.toml" <<TOML
[server]
listen = "127.0.0.1:$auth"
[proxy]
trusted = ["127.0.0.1"]
[[stack.default]]
plugin = "crypt"
control = "required"
file = "$work/users"
TOML
# One log line per decision at info costs 15-20 % at these rates; benchmark the decision path.
"$bin/portcullis" serve --config "$work/portcullis.toml" --log-level warning >"$work/portcullis.log" 2>&1 &
daemon=$!

cat > "$work/nginx.conf" <<NGINX
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
    upstream portcullis { server 127.0.0.1:$auth; keepalive 64; }
    server { listen 127.0.0.1:$plain; location / { return 204; } }
    server { listen 127.0.0.1:$upstream; location / { return 204; } }
    server {
        listen 127.0.0.1:$basic;
        # proxy_pass, not return: return runs before the access phase and would skip auth_basic.
        location / { auth_basic "bench"; auth_basic_user_file $work/users; proxy_pass http://127.0.0.1:$upstream; }
    }
    server {
        listen 127.0.0.1:$front;
        location / { auth_request /_auth; proxy_pass http://127.0.0.1:$upstream; }
        location = /_auth {
            internal;
            proxy_pass http://portcullis/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Forwarded-For \$remote_addr;
        }
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$auth/healthz" >/dev/null && break; sleep 0.1; done

expect() { # url, expected status
  local got; got=$(curl -s -o /dev/null -w '%{http_code}' -H "$credential" "$1")
  [ "$got" == "$2" ] || { echo "bench: $1 answered $got, expected $2" >&2; cat "$work/portcullis.log" >&2; exit 1; }
}
expect "http://127.0.0.1:$plain/" 204
expect "http://127.0.0.1:$basic/" 204
expect "http://127.0.0.1:$front/" 204
expect "http://127.0.0.1:$auth/auth" 200

declare -A rps p50 p99
measure() { # name, url
  local out; out=$(wrk -t2 -c"$connections" -d"$duration" --latency -H "$credential" "$2")
  rps[$1]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50[$1]=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99[$1]=$(echo "$out" | awk '$1 == "99%" {print $2}')
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [ -z "$non2xx" ] || echo "warning: $1 had $non2xx non-2xx answers" >&2
}
measure a_nginx_return_204 "http://127.0.0.1:$plain/"
measure b_nginx_auth_basic_bcrypt10 "http://127.0.0.1:$basic/"
measure c_nginx_auth_request_portcullis "http://127.0.0.1:$front/"
measure d_portcullis_direct "http://127.0.0.1:$auth/auth"

ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", (y > 0 ? x / y : 0) }'; }
for name in a_nginx_return_204 b_nginx_auth_basic_bcrypt10 c_nginx_auth_request_portcullis d_portcullis_direct; do
  printf '%s_rps\t%s\treq/s\tp50\t%s\tp99\t%s\n' "$name" "${rps[$name]}" "${p50[$name]}" "${p99[$name]}"
done
printf 'c_over_b\t%s\tratio\ttarget\t50\n' "$(ratio "${rps[c_nginx_auth_request_portcullis]}" "${rps[b_nginx_auth_basic_bcrypt10]}")"
printf 'd_over_a\t%s\tratio\ttarget\t0.5\n' "$(ratio "${rps[d_portcullis_direct]}" "${rps[a_nginx_return_204]}")"
