#!/usr/bin/env bash
# End to end: Debian's real Caddy (forward_auth) in front of an upstream, `portcullis serve`
# behind it on the demo stacks with original_request = "x-forwarded", real HTTP requests with
# curl. Loopback only; stops everything it starts.
#
#   no credentials                      → 401 with every challenge, passed through by Caddy
#   right Basic / Bearer                → 200 from the upstream, which sees the user
#   X-Forwarded-For / -Method from the client → not believed (Caddy overwrites them; the daemon
#                                         trusts only Caddy's address)
#   daemon stopped                      → 502/503 from Caddy, never the upstream
set -uo pipefail
cd "$(dirname "$0")/../.."

command -v caddy >/dev/null || { echo "caddy is not installed (scripts/setup installs it)"; exit 1; }
source Tests/e2e/lib/common.sh
front=18490 office=18491 upstream=18492 auth=18493 metrics=18494

# Portcullis: the demo stacks, read through Caddy's X-Forwarded-* family, plus an office stack for
# a network the test's client is not on: a believed X-Forwarded-For would let it in.
demo_config -e 's/^\[server\]$/[server]\noriginal_request = "x-forwarded"/'
grep -q '^original_request = "x-forwarded"' "$work/portcullis.toml" || { echo "could not set original_request"; exit 1; }
cat >> "$work/portcullis.toml" <<EOF

[[stack.lan]]
plugin = "iplist"
control = "sufficient"
anonymous = true
allow = ["10.20.0.0/16"]

[[stack.lan]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"
realm = "lan"
EOF
start_daemon

# Caddy: the example's forward_auth, on test ports; Caddy itself plays the upstream.
cat > "$work/Caddyfile" <<EOF
{
	admin off
	auto_https off
	storage file_system $work/caddy-data
}
http://127.0.0.1:$upstream {
	respond "upstream says hello to [{http.request.header.X-Auth-User}] via {method}"
}
http://127.0.0.1:$front {
	forward_auth 127.0.0.1:$auth {
		uri /auth
		copy_headers X-Auth-User
	}
	reverse_proxy 127.0.0.1:$upstream
}
http://127.0.0.1:$office {
	forward_auth 127.0.0.1:$auth {
		uri /auth/lan
		copy_headers X-Auth-User
	}
	reverse_proxy 127.0.0.1:$upstream
}
EOF
HOME="$work" XDG_CONFIG_HOME="$work" XDG_DATA_HOME="$work" \
  caddy run --adapter caddyfile --config "$work/Caddyfile" >"$work/caddy.log" 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$auth/healthz" portcullis "$work/portcullis.log"
wait_for "http://127.0.0.1:$upstream/" caddy "$work/caddy.log"

url="http://127.0.0.1:$front"
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

echo "Caddy forward_auth → portcullis:"
headers=$(curl -s -D - -o /dev/null "$url/")
check "no credentials → 401" "401" "$(echo "$headers" | head -1 | awk '{print $2}')"
challenges=$(echo "$headers" | grep -i '^WWW-Authenticate:' | tr -d '\r')
contains "Bearer challenge passed through" 'Bearer realm="demo"' "$challenges"
contains "Basic challenge passed through" 'Basic realm="demo", charset="UTF-8"' "$challenges"

check "wrong password → 401" "401" "$(status -u alice:wrong "$url/")"
check "right Basic → 200" "200" "$(status -u alice:wonderland "$url/")"
contains "upstream sees the Basic user" "hello to [alice]" "$(curl -s -u alice:wonderland "$url/")"

token=$("$bin/portcullis" token issue --keys examples/demo/keys.jwks --sub carol --ttl 5m)
check "right Bearer → 200" "200" "$(status -H "Authorization: Bearer $token" "$url/")"
contains "upstream sees the token's subject" "hello to [carol]" "$(curl -s -H "Authorization: Bearer $token" "$url/")"
check "client-sent X-Auth-User is replaced" "hello to [alice] via GET" \
  "$(curl -s -u alice:wonderland -H 'X-Auth-User: mallory' "$url/" | sed 's/upstream says //')"

# The client claims to be on the LAN and to be sending a GET: Caddy overwrites both headers, and
# the daemon believes X-Forwarded-* only from Caddy's address.
check "client-sent X-Forwarded-For is not believed → 401" "401" \
  "$(status -H 'X-Forwarded-For: 10.20.0.5' "http://127.0.0.1:$office/")"
check "the same header from Caddy's address is believed (so the line above can fail)" "200" \
  "$(status -H 'X-Forwarded-For: 10.20.0.5' "http://127.0.0.1:$auth/auth/lan")"
curl -s -o /dev/null -X DELETE -u alice:wonderland -H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /spoofed' "$url/real/path?q=1"
sleep 0.2
decision=$(grep 'decision' "$work/portcullis.log" | grep 'path=/real/path' | tail -1)
contains "the daemon saw the real method" "method=DELETE" "$decision"
contains "the daemon saw the client as Caddy's peer" "client=127.0.0.1" "$decision"

kill "$portcullis_pid"
wait "$portcullis_pid" 2>/dev/null
stopped=$(curl -s -w '\n%{http_code}' -u alice:wonderland "$url/")
stopped_status=$(echo "$stopped" | tail -1)
if [ "$stopped_status" == "502" ] || [ "$stopped_status" == "503" ]; then
  echo "  ok: daemon stopped → $stopped_status"
else
  echo "  FAIL: daemon stopped: expected 502 or 503, got $stopped_status"; failures=$((failures + 1))
fi
if [[ "$stopped" == *"upstream says"* ]]; then
  echo "  FAIL: daemon stopped, yet the upstream answered"; failures=$((failures + 1))
else
  echo "  ok: daemon stopped: the upstream is never reached"
fi

if [ "$failures" -ne 0 ]; then
  echo "portcullis log:"; tail -20 "$work/portcullis.log"
  echo "caddy log:"; tail -20 "$work/caddy.log"
fi
echo "caddy end-to-end: $failures failed"
[ "$failures" -eq 0 ]
