#!/usr/bin/env bash
# End to end, in a real browser: headless Chromium (selenium) logs in to an application behind
# real nginx (auth_request) and `portcullis serve` with the csrf plugin, then visits a page on
# another site that posts a form and a fetch() to it.
#
#   application  http://localhost:$front   nginx → portcullis (stacks app, basic, open) → upstream
#   other site   http://127.0.0.1:$attack  python3 -m http.server (a different origin AND site)
#
#   the application's own form and fetch() (Sec-Fetch-Site: same-origin)  → 200, as alice
#   the other site's form and fetch() (cross-site), stack app              → 403 csrf_failed
#   the other site's form carrying the cached Basic login, stack basic     → 403 csrf_failed
#     (the default ambient = "cookie+basic": the replayed Basic login is what makes it checked)
#   the same form to an area without csrf, stack open                      → 200 as alice: the
#     attack is real, the browser does replay the login cross-site
#
# Asserts on the daemon's decision log (reason, and the header its detail blames) and on what
# reached the upstream, not only on statuses. Chromium not starting is a failure. Loopback only;
# stops everything it starts.
set -uo pipefail
cd "$(dirname "$0")/../.."

source Tests/e2e/lib/common.sh
attack=18560 front=18561 upstream=18562 auth=18563 metrics=18564
app_origin="http://localhost:$front"
attacker_origin="http://127.0.0.1:$attack"
# The browser driver runs in its own process group (setsid): end it with Chromium's children.
e2e_before_cleanup() { [ -n "${browser_pid:-}" ] && kill -- "-$browser_pid" 2>/dev/null; }

for tool in nginx chromium chromedriver python3; do
  command -v "$tool" >/dev/null || { echo "csrf browser test: $tool is not installed (scripts/setup installs it)"; exit 1; }
done
[ -f "$bin/libportcullis-csrf.so" ] || { echo "csrf browser test: $bin/libportcullis-csrf.so not built"; exit 1; }

# Portcullis: alice's password in a file; three stacks for three areas of the application.
htpasswd -bcB -C 5 "$work/users.htpasswd" alice wonderland 2>/dev/null || { echo "htpasswd failed"; exit 1; }
cat > "$work/portcullis.toml" <<EOF2
[server]
listen = "127.0.0.1:$auth"
metrics_listen = "127.0.0.1:$metrics"

[proxy]
trusted = ["127.0.0.1", "::1"]

# /app/: every unsafe request is checked (a headless browser's fetch() from another site carries
# no login of its own), then the password.
[[stack.app]]
plugin = "csrf"
control = "requisite"
origins = ["$app_origin"]
ambient = "always"

[[stack.app]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"
realm = "app"

# /app/basic/: the default, checking what carries a browser-managed credential.
[[stack.basic]]
plugin = "csrf"
control = "requisite"
origins = ["$app_origin"]

[[stack.basic]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"
realm = "app"

# /app/open/: no csrf gate, the control.
[[stack.open]]
plugin = "crypt"
control = "required"
file = "\${config_dir}/users.htpasswd"
realm = "app"
EOF2
"$bin/portcullis" config check "$work/portcullis.toml" >/dev/null 2>&1 || { echo "portcullis config invalid"; "$bin/portcullis" config check "$work/portcullis.toml"; exit 1; }
start_daemon

# The other site: a static file server on another origin.
mkdir -p "$work/site"
cp Tests/e2e/csrf/attacker.html "$work/site/"
python3 -m http.server "$attack" --bind 127.0.0.1 --directory "$work/site" >"$work/site.log" 2>&1 &
pids+=($!)

# nginx: the application (its page, and an upstream that says who posted) behind auth_request,
# with the example's /_portcullis location. The front log records what the browser sent.
cat > "$work/nginx.conf" <<EOF2
$(nginx_main)
http {
$(nginx_http_scratch)
    log_format seen '\$request_method \$uri \$status site=[\$http_sec_fetch_site] origin=[\$http_origin] user=[\$http_x_auth_user]';
    upstream portcullis { server 127.0.0.1:$auth; keepalive 8; }
    server {
        listen 127.0.0.1:$upstream;
        access_log $work/upstream.log seen;
        location = /app/ { default_type text/html; root $PWD/Tests/e2e/csrf; try_files /app.html =404; }
        location / {
            default_type text/plain;
            return 200 "\$request_method \$uri by [\$http_x_auth_user]\n";
        }
    }
    server {
        listen 127.0.0.1:$front;
        access_log $work/front.log seen;
        location /app/ {
            auth_request /_portcullis/app;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location /app/basic/ {
            auth_request /_portcullis/basic;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            proxy_pass http://127.0.0.1:$upstream;
        }
        location /app/open/ {
            auth_request /_portcullis/open;
            auth_request_set \$portcullis_user \$upstream_http_x_auth_user;
            proxy_set_header X-Auth-User \$portcullis_user;
            proxy_pass http://127.0.0.1:$upstream;
        }
$(nginx_portcullis_location)
    }
}
EOF2
nginx -t -q -c "$work/nginx.conf" -p "$work" || { echo "nginx.conf invalid"; exit 1; }
nginx -c "$work/nginx.conf" -p "$work" || { echo "nginx did not start"; exit 1; }

wait_for "http://127.0.0.1:$auth/healthz" portcullis "$work/portcullis.log"
wait_for "$attacker_origin/attacker.html" "the other site" "$work/site.log"

echo "csrf in Chromium, through nginx auth_request → portcullis:"
mkdir -p "$work/chromium"
setsid python3 Tests/e2e/csrf/browser.py --app "$app_origin" --attacker "$attacker_origin" \
  --user alice --password wonderland --profile "$work/chromium" >"$work/browser.out" 2>"$work/browser.err" &
browser_pid=$!
wait "$browser_pid"
browser_status=$?
browser_pid=""
if [ "$browser_status" -ne 0 ]; then
  echo "  FAIL: the browser run failed (status $browser_status):"
  sed 's/^/    /' "$work/browser.err" | tail -30
  sed 's/^/    /' "$work/browser.out"
  echo "  portcullis log:"; tail -10 "$work/portcullis.log" | sed 's/^/    /'
  echo "  nginx error log:"; tail -10 "$work/nginx-error.log" | sed 's/^/    /'
  exit 1
fi
seen() { sed -n "s/^$1: //p" "$work/browser.out"; }
echo "  $(seen chromium | sed 's/^/chromium /')"

# What the browser showed.
check "the login page loaded (Basic, cached by the browser)" "portcullis csrf test: the application" "$(seen 'login title')"
check "own form → upstream, as alice" "POST /app/form-transfer by [alice]" "$(seen 'own form')"
check "own fetch() → 200 from upstream, as alice" "200 POST /app/fetch-transfer by [alice]" "$(seen 'own fetch')"
check "own fetch() in the default mode → 200, as alice" "200 POST /app/basic/fetch-transfer by [alice]" "$(seen 'own basic fetch')"
check "the other site's page loaded" "portcullis csrf test: another site" "$(seen 'attacker title')"
contains "other site's form → 403" "403 Forbidden" "$(seen 'attacker form')"
contains "other site's form with the cached login, default mode → 403" "403 Forbidden" "$(seen 'attacker basic form')"
check "control: the same form where no csrf gate stands → upstream, as alice" "POST /app/open/form-transfer by [alice]" "$(seen 'attacker open form')"

# What the daemon decided: one decision line per request (method, path, reason, detail).
decisions() { # method path → the decision lines for it
  grep -F " decision=" "$work/portcullis.log" | grep -F "method=$1 " | grep -F "path=$2 "
}
one() { # description, method, path, decision=…, needle…: exactly one such decision, containing every needle
  local description=$1 lines count
  lines=$(decisions "$2" "$3" | grep -F "$4")
  count=$(printf '%s' "$lines" | grep -c .)
  shift 3
  [ "$count" -eq 1 ] || { echo "  FAIL: $description: $count decisions, expected 1"; printf '%s\n' "$lines" | sed 's/^/    /'; failures=$((failures + 1)); return; }
  for needle in "$@"; do contains "$description: $needle" "$needle" "$lines"; done
}
refused="decision=deny"
cross="Sec-Fetch-Site cross-site, Origin $attacker_origin not in origins"
one "daemon: other site's form (the browser replayed the login)" POST /app/form-transfer "$refused" "reason=csrf_failed" "status=403" \
  "detail=POST with ambient = always: $cross" "credential=Basic user=\"alice\""
one "daemon: other site's fetch()" POST /app/fetch-transfer "$refused" "reason=csrf_failed" "status=403" "detail=POST with ambient = always: $cross"
one "daemon: other site's form, default mode" POST /app/basic/form-transfer "$refused" "reason=csrf_failed" "status=403" \
  "detail=POST with Basic credentials: $cross" "credential=Basic user=\"alice\""
one "daemon: control form" POST /app/open/form-transfer "decision=allow" "principal=alice" "status=200"

# The application's own posts: allowed once each; with the other site's, two decisions each.
one "daemon: own form" POST /app/form-transfer "decision=allow" "principal=alice" "status=200"
one "daemon: own fetch()" POST /app/fetch-transfer "decision=allow" "principal=alice" "status=200"
one "daemon: own fetch(), default mode" POST /app/basic/fetch-transfer "decision=allow" "principal=alice" "status=200"
for path in /app/form-transfer /app/fetch-transfer; do
  check "daemon: two decisions for POST $path, no more" "2" "$(decisions POST "$path" | grep -c .)"
done

# What the browser sent and what reached the upstream (nginx's logs).
upstream_posts() { grep -c "^POST $1 " "$work/upstream.log"; }
check "upstream got exactly the application's own form post" "1" "$(upstream_posts /app/form-transfer)"
check "upstream got exactly the application's own fetch() post" "1" "$(upstream_posts /app/fetch-transfer)"
check "upstream got no forged post in the default mode" "0" "$(upstream_posts /app/basic/form-transfer)"
check "upstream got the forged post where no csrf gate stands" "1" "$(upstream_posts /app/open/form-transfer)"
contains "the browser sent same-origin for its own form" \
  "POST /app/form-transfer 200 site=[same-origin] origin=[$app_origin]" "$(cat "$work/front.log")"
contains "the browser sent same-origin for its own fetch()" \
  "POST /app/fetch-transfer 200 site=[same-origin] origin=[$app_origin]" "$(cat "$work/front.log")"
contains "the browser sent cross-site for the other site's fetch()" \
  "POST /app/fetch-transfer 403 site=[cross-site] origin=[$attacker_origin]" "$(cat "$work/front.log")"
contains "the browser sent cross-site for the other site's form" \
  "POST /app/form-transfer 403 site=[cross-site] origin=[$attacker_origin]" "$(cat "$work/front.log")"

if [ "$failures" -ne 0 ]; then
  echo "browser:"; sed 's/^/    /' "$work/browser.out"
  echo "portcullis log:"; grep -F "decision=" "$work/portcullis.log" | tail -30
  echo "front log:"; cat "$work/front.log"
  echo "nginx error log:"; tail -20 "$work/nginx-error.log"
fi
echo "csrf browser end-to-end: $failures failed"
[ "$failures" -eq 0 ]
