#!/usr/bin/env bash
# bench/run forward: forward-auth throughput with wrk on loopback, every peer side by side in ONE run
# (ratios measured in the same run are what matter on a shared 2-core machine):
#   nginx_return               nginx `return 204`                                    the ceiling
#   nginx_static               nginx serving a 615-byte file (its own index.html)    issue 16's peer for direct
#   nginx_hop_zero_cost        nginx auth_request → nginx `return 204`               the hop's ceiling
#   portcullis_direct          portcullis /auth, cached Basic (bcrypt 10, 1 000 users)
#   caddy_basicauth            Caddy basicauth in-process, the same 1 000 users (it caches verified passwords)
#   caddy_forward_auth         Caddy forward_auth → portcullis
#   nginx_portcullis_basic     nginx auth_request → portcullis, cached Basic
#   nginx_auth_basic           nginx auth_basic, same file (no cache: one bcrypt per request)
#   nginx_portcullis_hs256     nginx auth_request → portcullis hmac stack, HS256 bearer
#   apache_openidc_hs256       Apache mod_auth_openidc, OIDCOAuthVerifySharedKeys, same key and token
#   nginx_portcullis_pam       nginx auth_request → portcullis pam stack (cached)
#   apache_pam_socache         Apache mod_authnz_pam + mod_authn_socache
#   nginx_auth_pam             nginx auth_pam (libnginx-mod-http-auth-pam, no cache)
# The three PAM cases share one service file, /etc/pam.d/pcbench-forward (pam_matrix from
# libpam-wrapper: the same passdb for every peer; removed at exit).
# Every case is first checked with curl for its expected status; a peer that does not start or
# answers wrongly fails the suite (never a missing row reported as a win).
# Prints one row per figure (rps, p50, p99), then each target ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-$(swift build -c release --show-bin-path)}
duration=${DURATION:-8s}
connections=${CONNECTIONS:-32}

# Bench-only peers, installed here (idempotent) so CI's scripts/setup stays small.
peers=(apache2 libapache2-mod-auth-openidc libapache2-mod-authnz-pam libnginx-mod-http-auth-pam)
missing=()
for package in "${peers[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench forward: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged apache2 on install; it must not sit on port 80 during the run.
  $sudo systemctl disable --now apache2 >/dev/null 2>&1 || $sudo apache2ctl stop >/dev/null 2>&1 || true
fi

work=$(mktemp -d)
chmod 755 "$work"   # Apache's workers (www-data) read the passdb and the document root
pam_service=pcbench-forward
plain=18580 basic=18581 front=18582 auth=18583 upstream=18584 hop=18585 caddy_basic=18586 caddy_forward=18587
apache=18588 pam_front=18589 caddy_admin=18590 static=18591
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  [ -f "$work/apache.pid" ] && kill "$(cat "$work/apache.pid")" 2>/dev/null
  for pid in ${caddy:-} ${daemon:-}; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null
  rm -f "/etc/pam.d/$pam_service"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "bench forward: $*" >&2; for log in "$work"/*.log; do echo "--- $log" >&2; tail -20 "$log" >&2; done; exit 1; }

# One bcrypt (cost 10) hash, shared by 1 000 users: each check costs one bcrypt either way.
hash=$(htpasswd -nbB -C 10 bench secret | head -1 | cut -d: -f2)
for i in $(seq 0 999); do echo "user$i:$hash"; done > "$work/users"
basic_header="Authorization: Basic $(printf 'user500:secret' | base64)"

# HS256: one key, as a JWKS for portcullis and as hex for mod_auth_openidc; one token for both.
secret_hex=$(openssl rand -hex 32)
k=$(echo "$secret_hex" | xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '=')
printf '{"keys":[{"kty":"oct","kid":"bench","alg":"HS256","k":"%s"}]}\n' "$k" > "$work/keys.jwks"
token=$("$bin/portcullis" token issue --keys "$work/keys.jwks" --sub svc-billing --ttl 1h)
bearer="Authorization: Bearer $token"

# PAM: pam_matrix with its own passdb, one service file for portcullis, Apache and nginx.
matrix=$(ls /usr/lib/*-linux-gnu/pam_wrapper/pam_matrix.so | head -1)
[ -f "$matrix" ] || fail "pam_matrix.so (libpam-wrapper) not found"
echo "pamuser:pamsecret:$pam_service" > "$work/passdb"
chmod 644 "$work/passdb"
printf 'auth required %s passdb=%s\naccount required %s passdb=%s\n' "$matrix" "$work/passdb" "$matrix" "$work/passdb" > "/etc/pam.d/$pam_service"
pam="Authorization: Basic $(printf 'pamuser:pamsecret' | base64)"

cat > "$work/portcullis.toml" <<TOML
[server]
listen = "127.0.0.1:$auth"
[proxy]
trusted = ["127.0.0.1"]
[[stack.default]]
plugin = "crypt"
control = "required"
file = "$work/users"
[[stack.jwt]]
plugin = "hmac"
control = "required"
keys = "$work/keys.jwks"
[[stack.pam]]
plugin = "pam"
control = "required"
service = "$pam_service"
max_concurrent = 64
TOML
# One log line per decision at info costs 15-20 % at these rates; benchmark the decision path.
"$bin/portcullis" serve --config "$work/portcullis.toml" --log-level warning >"$work/portcullis.log" 2>&1 &
daemon=$!

# nginx: the ceiling, the zero-cost hop, auth_basic, and auth_request → portcullis for each stack.
auth_location() { # location name, portcullis path
  cat <<NGINX
        location = $1 {
            internal;
            proxy_pass http://portcullis$2;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Original-Method \$request_method;
            proxy_set_header X-Forwarded-For \$remote_addr;
        }
NGINX
}
cat > "$work/nginx.conf" <<NGINX
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
load_module /usr/lib/nginx/modules/ngx_http_auth_pam_module.so;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body; proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
    upstream portcullis { server 127.0.0.1:$auth; keepalive 64; }
    upstream zero { server 127.0.0.1:$upstream; keepalive 64; }
    # Every hop to the upstream and to the auth backends keeps its connections (as a production
    # nginx would): a new TCP connection per request measured connection setup, not the check.
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server { listen 127.0.0.1:$plain; location / { return 204; } }
    server { listen 127.0.0.1:$static; root $work/static; }
    server { listen 127.0.0.1:$upstream; location / { return 204; } }
    server {
        listen 127.0.0.1:$basic;
        # proxy_pass, not return: return runs before the access phase and would skip auth_basic.
        location / { auth_basic "bench"; auth_basic_user_file $work/users; proxy_pass http://zero; }
        location /pam { auth_pam "bench"; auth_pam_service_name "$pam_service"; proxy_pass http://zero; }
    }
    server {
        listen 127.0.0.1:$hop;
        location / { auth_request /_auth; proxy_pass http://zero; }
        location = /_auth {
            internal;
            proxy_pass http://zero/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Forwarded-For \$remote_addr;
        }
    }
    server {
        listen 127.0.0.1:$front;
        location / { auth_request /_auth; proxy_pass http://zero; }
        location /jwt { auth_request /_auth_jwt; proxy_pass http://zero; }
        location /pam { auth_request /_auth_pam; proxy_pass http://zero; }
$(auth_location /_auth /auth)
$(auth_location /_auth_jwt /auth/jwt)
$(auth_location /_auth_pam /auth/pam)
    }
}
NGINX
mkdir -p "$work/static"
head -c 615 /dev/zero | tr '\0' 'x' >"$work/static/index.html"
chmod -R a+rX "$work/static"
nginx -c "$work/nginx.conf" -p "$work" || fail "nginx did not start"

# Caddy: basicauth in-process on the same 1 000 users (Caddy wants base64 of the bcrypt hash), and
# forward_auth → portcullis. Both answer 204 themselves after the check.
caddy_hash=$(printf '%s' "$hash" | base64 -w0)
{
  echo "{"
  echo "  admin 127.0.0.1:$caddy_admin"
  echo "  auto_https off"
  echo "  log {"
  echo "    level ERROR"
  echo "  }"
  echo "}"
  echo "http://127.0.0.1:$caddy_basic {"
  echo "  basicauth {"
  for i in $(seq 0 999); do echo "    user$i $caddy_hash"; done
  echo "  }"
  echo "  respond 204"
  echo "}"
  echo "http://127.0.0.1:$caddy_forward {"
  echo "  forward_auth 127.0.0.1:$auth {"
  echo "    uri /auth"
  echo "  }"
  echo "  respond 204"
  echo "}"
} > "$work/Caddyfile"
HOME=$work XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
caddy=$!

# Apache (event MPM): mod_auth_openidc verifying the HS256 token locally, and mod_authnz_pam behind
# mod_authn_socache. Both serve an empty file after the check (200).
mods=/usr/lib/apache2/modules
mkdir -p "$work/htdocs/jwt" "$work/htdocs/pam"
: > "$work/htdocs/jwt/index.html"; : > "$work/htdocs/pam/index.html"
chmod -R a+rX "$work/htdocs"
cat > "$work/apache.conf" <<APACHE
ServerRoot "$work"
ServerName 127.0.0.1
Listen 127.0.0.1:$apache
PidFile $work/apache.pid
ErrorLog $work/apache.log
LogLevel warn
User www-data
Group www-data
Mutex file:$work default
DefaultRuntimeDir $work
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule auth_basic_module $mods/mod_auth_basic.so
LoadModule authn_socache_module $mods/mod_authn_socache.so
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
LoadModule authnz_pam_module $mods/mod_authnz_pam.so
LoadModule auth_openidc_module $mods/mod_auth_openidc.so
LoadModule dir_module $mods/mod_dir.so
ServerLimit 4
StartServers 2
ThreadsPerChild 32
MaxRequestWorkers 128
KeepAlive On
MaxKeepAliveRequests 0
DocumentRoot "$work/htdocs"
DirectoryIndex index.html
OIDCCryptoPassphrase $(openssl rand -hex 16)
OIDCOAuthVerifySharedKeys hex#bench#$secret_hex
OIDCOAuthRemoteUserClaim sub
AuthnCacheSOCache shmcb
<Location /jwt>
  AuthType oauth20
  Require valid-user
</Location>
<Location /pam>
  AuthType Basic
  AuthName bench
  AuthBasicProvider socache PAM
  AuthPAMService $pam_service
  AuthnCacheProvideFor PAM
  AuthnCacheTimeout 60
  Require valid-user
</Location>
APACHE
apache2 -f "$work/apache.conf" -k start || fail "apache2 did not start"

up() { # url: waits until it answers at all
  for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  fail "$1 never answered"
}
up "http://127.0.0.1:$auth/healthz"; up "http://127.0.0.1:$plain/"; up "http://127.0.0.1:$caddy_basic/"
up "http://127.0.0.1:$apache/"

expect() { # header, url, expected status
  local got; got=$(curl -s -o /dev/null -w '%{http_code}' -H "$1" "$2")
  [ "$got" == "$3" ] || fail "$2 answered $got, expected $3"
}
expect_denied() { # url, expected status without credentials (the check really runs)
  local got; got=$(curl -s -o /dev/null -w '%{http_code}' "$1")
  [ "$got" == "$2" ] || fail "$1 without credentials answered $got, expected $2"
}
declare -A header url status
case_() { header[$1]=$2; url[$1]=$3; status[$1]=$4; }
case_ nginx_return          "$basic_header"  "http://127.0.0.1:$plain/"             204
case_ nginx_static          "$basic_header"  "http://127.0.0.1:$static/"            200
case_ nginx_hop_zero_cost   "$basic_header"  "http://127.0.0.1:$hop/"               204
case_ portcullis_direct     "$basic_header"  "http://127.0.0.1:$auth/auth"          200
case_ caddy_basicauth       "$basic_header"  "http://127.0.0.1:$caddy_basic/"       204
case_ caddy_forward_auth    "$basic_header"  "http://127.0.0.1:$caddy_forward/"     204
case_ nginx_portcullis_basic "$basic_header" "http://127.0.0.1:$front/"             204
case_ nginx_auth_basic      "$basic_header"  "http://127.0.0.1:$basic/"             204
case_ nginx_portcullis_hs256 "$bearer" "http://127.0.0.1:$front/jwt"         204
case_ apache_openidc_hs256  "$bearer" "http://127.0.0.1:$apache/jwt/"        200
case_ nginx_portcullis_pam  "$pam"    "http://127.0.0.1:$front/pam"          204
case_ apache_pam_socache    "$pam"    "http://127.0.0.1:$apache/pam/"        200
case_ nginx_auth_pam        "$pam"    "http://127.0.0.1:$basic/pam"          204
order=(nginx_return nginx_static nginx_hop_zero_cost portcullis_direct caddy_basicauth caddy_forward_auth nginx_portcullis_basic
       nginx_auth_basic nginx_portcullis_hs256 apache_openidc_hs256 nginx_portcullis_pam apache_pam_socache nginx_auth_pam)
for name in "${order[@]}"; do expect "${header[$name]}" "${url[$name]}" "${status[$name]}"; done
# The authenticated cases refuse a request without credentials: each really checks.
for name in "${order[@]}"; do
  case $name in nginx_return|nginx_static|nginx_hop_zero_cost) continue ;; esac
  expect_denied "${url[$name]}" 401
done

declare -A rps p50 p99
measure() { # name
  local name=$1 threads=2 out
  # nginx auth_basic and auth_pam (no cache) are far slower: a shorter run says as much.
  local d=$duration; case $name in nginx_auth_basic|nginx_auth_pam) d=4s ;; esac
  out=$(wrk -t$threads -c"$connections" -d"$d" --latency -H "${header[$name]}" "${url[$name]}")
  rps[$name]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50[$name]=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99[$name]=$(echo "$out" | awk '$1 == "99%" {print $2}')
  awk -v r="${rps[$name]:-0}" 'BEGIN { exit !(r > 0) }' || fail "$name: wrk measured no answers: $out"
  local bad; bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [ -z "$bad" ] || fail "$name had $bad non-2xx answers"
  # Timeouts are expected where one bcrypt per request meets 32 connections (auth_basic).
  ! echo "$out" | grep -q "Socket errors" || echo "warning: $name: $(echo "$out" | grep "Socket errors")" >&2
}
# CASES="a b" measures only those (a debugging aid; the ratios then need both sides).
[ -z "${CASES:-}" ] || read -r -a order <<< "$CASES"
for name in "${order[@]}"; do measure "$name"; done
kill -0 "$daemon" 2>/dev/null || fail "portcullis exited during the run"
kill -0 "$caddy" 2>/dev/null || fail "caddy exited during the run"

ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", (y > 0 ? x / y : 0) }'; }
for name in "${order[@]}"; do
  printf '%s_rps\t%s\treq/s\tp50\t%s\tp99\t%s\n' "$name" "${rps[$name]}" "${p50[$name]}" "${p99[$name]}"
done
# figure <TAB> ratio <TAB> "ratio" <TAB> "target" <TAB> target <TAB> met
target() { # name, numerator, denominator, target, direction (ge|le)
  local r; r=$(ratio "${rps[$2]:-0}" "${rps[$3]:-0}")
  local met; met=$(awk -v r="$r" -v t="$4" -v d="$5" 'BEGIN { print ((d == "ge" ? r >= t : r <= t) ? "met" : "MISSED") }')
  printf '%s\t%s\tratio\ttarget\t%s %s\t%s\n' "$1" "$r" "$([ "$5" = ge ] && echo '>=' || echo '<=')" "$4" "$met"
}
target nginx_portcullis_basic/caddy_basicauth nginx_portcullis_basic caddy_basicauth 1 ge
target nginx_portcullis_basic/nginx_hop_zero_cost nginx_portcullis_basic nginx_hop_zero_cost 0.6 ge
target portcullis_direct/nginx_static portcullis_direct nginx_static 0.75 ge
target portcullis_direct/nginx_return portcullis_direct nginx_return 0.75 ge
target nginx_portcullis_basic/nginx_auth_basic nginx_portcullis_basic nginx_auth_basic 50 ge
target caddy_forward_auth/caddy_basicauth caddy_forward_auth caddy_basicauth 1 ge
target nginx_portcullis_hs256/apache_openidc_hs256 nginx_portcullis_hs256 apache_openidc_hs256 1 ge
target nginx_portcullis_pam/apache_pam_socache nginx_portcullis_pam apache_pam_socache 1 ge
target nginx_portcullis_pam/nginx_auth_pam nginx_portcullis_pam nginx_auth_pam 1 ge
# p99 of the direct case, in ms (wrk prints us/ms/s).
milliseconds() { echo "$1" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}'; }
p99ms=$(milliseconds "${p99[portcullis_direct]}")
printf 'portcullis_direct_p99_ms\t%s\tms\ttarget\t<= 2\t%s\n' "$p99ms" "$(awk -v p="$p99ms" 'BEGIN { print (p <= 2 ? "met" : "MISSED") }')"
# The peers' own p99 under the same load: what the machine (wrk beside the server on 2 cores) allows.
for peer in nginx_static nginx_return; do
  printf 'portcullis_direct_p99/%s_p99\t%s\tratio\t%s_p99_ms\t%s\n' "$peer" "$(ratio "$p99ms" "$(milliseconds "${p99[$peer]}")")" "$peer" "$(milliseconds "${p99[$peer]}")"
done
