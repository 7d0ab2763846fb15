#!/usr/bin/env bash
# End to end: real nginx (auth_request) in front of a static upstream, `portcullis serve` behind
# it on the demo stacks, real HTTP requests with curl. Loopback only; stops everything it starts.
#
#   no credentials          → 401 with both challenges, passed through by nginx
#   right Basic / Bearer    → 200 from the upstream, with the user header
#   denied client address   → 403
#   authz (stack api)       → allowed reaches the upstream; forbidden → 403, without
#                             WWW-Authenticate for Basic, with insufficient_scope for Bearer
#   daemon stopped          → 500 (fail closed)
set -uo pipefail
cd "$(dirname "$0")/../.."

source Tests/e2e/lib/common.sh
front=18480 upstream=18481 auth=18482 metrics=18483

# Portcullis: the demo stacks, plus one that refuses the loopback network (our only client address).
demo_config
cat >> "$work/portcullis.toml" <<EOF

[[stack.blocked]]
plugin = "iplist"
control = "requisite"
deny = ["127.0.0.0/8"]

[[stack.blocked]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"

# The company network may come in, and must still log in (issue 10: once a 200 without a password).
[[stack.gate]]
plugin = "iplist"
control = "requisite"
allow = ["127.0.0.0/8"]

[[stack.gate]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"
EOF
start_daemon

# nginx: the example's location blocks, on test ports, with a static upstream.
cat > "$work/nginx.conf" <<EOF
$(nginx_main)
http {
    access_log off;
$(nginx_http_scratch)
    upstream portcullis { server 127.0.0.1:$auth; keepalive 8; }
    server {
        listen 127.0.0.1:$upstream;
        location / {
            add_header X-Seen-Decision-Id \$http_x_auth_decision_id;
            default_type text/plain; return 200 "upstream says hello to [\$http_x_auth_user]\n";
        }
    }
    server {
        listen 127.0.0.1:$front;
        location / {
            auth_request /_portcullis;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            auth_request_set \$portcullis_decision \$upstream_http_x_auth_decision_id;
            proxy_set_header X-Auth-Decision-Id \$portcullis_decision;
            auth_request_set \$portcullis_challenge \$upstream_http_www_authenticate;
            error_page 401 = @portcullis_unauthorized;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location /blocked/ {
            auth_request /_portcullis/blocked;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location /gate/ {
            auth_request /_portcullis/gate;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location /api/ {
            auth_request /_portcullis/api;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            # RFC 6750 §3.1: a 403 for a token without the scope carries its challenge; nginx
            # copies WWW-Authenticate only on 401, so the 403 page adds it (empty: no header).
            auth_request_set \$portcullis_challenge \$upstream_http_www_authenticate;
            error_page 401 = @portcullis_unauthorized;
            error_page 403 = @portcullis_forbidden;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location @portcullis_forbidden {
            add_header WWW-Authenticate \$portcullis_challenge always;
            default_type application/problem+json;
            return 403 '{"type":"about:blank","title":"Forbidden","status":403}';
        }
        location @portcullis_unauthorized {
            default_type application/problem+json;
            return 401 '{"type":"about:blank","title":"Unauthorized","status":401}';
        }
$(nginx_portcullis_location)
    }
}
EOF
nginx -t -q -c "$work/nginx.conf" -p "$work" || { echo "nginx.conf invalid"; exit 1; }
nginx -c "$work/nginx.conf" -p "$work" || { echo "nginx did not start"; exit 1; }

wait_for "http://127.0.0.1:$auth/healthz" portcullis "$work/portcullis.log"

url="http://127.0.0.1:$front"
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

echo "nginx auth_request → portcullis:"
headers=$(curl -s -D - -o /dev/null "$url/")
check "no credentials → 401" "401" "$(echo "$headers" | head -1 | awk '{print $2}')"
challenge=$(echo "$headers" | grep -i '^WWW-Authenticate:' | tr -d '\r')
check "exactly one WWW-Authenticate line" "1" "$(echo "$challenge" | grep -c .)"
contains "Bearer challenge passed through" 'Bearer realm="demo"' "$challenge"
contains "Basic challenge passed through" 'Basic realm="demo", charset="UTF-8"' "$challenge"

check "wrong password → 401" "401" "$(status -u alice:wrong "$url/")"
check "right Basic → 200" "200" "$(status -u alice:wonderland "$url/")"
contains "upstream sees the Basic user" "hello to [alice]" "$(curl -s -u alice:wonderland "$url/")"
seen=$(curl -s -D - -o /dev/null -u alice:wonderland "$url/" | grep -i '^X-Seen-Decision-Id:' | tr -d '\r' | awk '{print $2}')
check "upstream gets the decision id (auth_request_set)" "1" "$(echo "$seen" | grep -cE '^[0-9a-f]{32}$')"
contains "the decision id is the one in the daemon's log" "decision_id=$seen" "$(cat "$work/portcullis.log")"

token=$("$bin/portcullis" token issue --keys examples/demo/keys.jwks --sub carol --ttl 5m)
check "right Bearer → 200" "200" "$(status -H "Authorization: Bearer $token" "$url/")"
contains "upstream sees the token's subject" "hello to [carol]" "$(curl -s -H "Authorization: Bearer $token" "$url/")"
check "tampered Bearer → 401" "401" "$(status -H "Authorization: Bearer ${token}x" "$url/")"
check "client-sent X-Auth-User is overwritten" "hello to [alice]" "$(curl -s -u alice:wonderland -H 'X-Auth-User: mallory' "$url/" | sed 's/upstream says //')"

check "denied client address → 403" "403" "$(status -u alice:wonderland "$url/blocked/x")"
gate=$(curl -s -D - -o /dev/null "$url/gate/x")
check "gate stack, allowed network, no credentials → 401" "401" "$(echo "$gate" | head -1 | awk '{print $2}')"
contains "gate stack asks for the password" 'WWW-Authenticate: Basic realm="Restricted", charset="UTF-8"' "$gate"
check "gate stack, allowed network, right Basic → 200" "hello to [alice]" "$(curl -s -u alice:wonderland "$url/gate/x" | sed 's/upstream says //')"

echo "authz (stack api):"
check "reader reads → 200 from the upstream" "hello to [bob]" "$(curl -s -u bob:builder "$url/api/items" | sed 's/upstream says //')"
check "admin deletes → 200" "200" "$(status -X DELETE -u alice:wonderland "$url/api/items/7")"
forbidden=$(curl -s -D - -o /dev/null -X DELETE -u bob:builder "$url/api/items/7")
check "reader deletes → 403" "403" "$(echo "$forbidden" | head -1 | awk '{print $2}')"
check "Basic 403 has no WWW-Authenticate" "0" "$(echo "$forbidden" | grep -ci '^WWW-Authenticate:')"
check "raw \$request_uri normalized before matching" "200" "$(status -u bob:builder "$url/api//items;jsessionid=1/./x")"
check "encoded slash refused (nginx decodes it, an upstream may not)" "403" "$(status -u bob:builder "$url/api%2fitems")"
none=$(curl -s -D - -o /dev/null "$url/api/items")
check "no credentials → 401" "401" "$(echo "$none" | head -1 | awk '{print $2}')"
contains "401 offers both challenges" 'Bearer realm="demo", Basic realm="demo", charset="UTF-8"' "$none"
scoped=$("$bin/portcullis" token issue --keys examples/demo/keys.jwks --sub carol --ttl 5m --claim scope=api:read)
check "token with api:read reads → 200" "hello to [carol]" "$(curl -s -H "Authorization: Bearer $scoped" "$url/api/items" | sed 's/upstream says //')"
unscoped=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" "$url/api/items")
check "token without the scope → 403" "403" "$(echo "$unscoped" | head -1 | awk '{print $2}')"
contains "Bearer 403 says insufficient_scope" 'WWW-Authenticate: Bearer error="insufficient_scope", scope="api:read"' "$(echo "$unscoped" | tr -d '\r')"
metrics_text=$(curl -s "http://127.0.0.1:$metrics/metrics")
contains "rule matches counted" 'portcullis_authz_rule_matches_total{stack="api",rule="readers read",effect="allow",shadow="false"}' "$metrics_text"

kill "$portcullis_pid"
wait "$portcullis_pid" 2>/dev/null
check "daemon stopped → 500 (fail closed)" "500" "$(status -u alice:wonderland "$url/")"

if [ "$failures" -ne 0 ]; then
  echo "portcullis log:"; tail -20 "$work/portcullis.log"
  echo "nginx error log:"; tail -20 "$work/nginx-error.log"
fi
echo "nginx end-to-end: $failures failed"
[ "$failures" -eq 0 ]
