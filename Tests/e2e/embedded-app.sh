#!/usr/bin/env bash
# End to end: a Swift app that embeds Portcullis (examples/embedded-app: Hummingbird with
# PortcullisMiddleware, depending on this checkout by path), built and run as README "Embedding"
# says, answering real HTTP requests:
#
#   plugins built into the app's own build directory (swift build --product portcullis-crypt),
#   found beside the app with no setting  → no credentials 401 with the Basic challenge, alice 200
#   plugins in a directory the app passes (Gatekeeper(contentsOf:pluginDirectory:)), the app
#   copied where nothing is beside it → alice 200
#
# The app builds in this checkout's scratch path (.build), not its own: the dependencies the
# test build compiled are reused (SwiftPM recompiles only Hummingbird for the other root), so
# this takes about 20 s, not the 6 minutes of building swift-nio and BoringSSL again. An app of
# your own builds in its own .build, as README "Embedding" says. Prints how long the build took.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/e2e/lib/common.sh
port=18497
app=examples/embedded-app
started=$SECONDS

build=(swift build --package-path "$app" --scratch-path "$PWD/.build")
echo "== ${build[*]} (the app, then the crypt plugin product)"
for product in EmbeddedApp portcullis-crypt; do
  if ! "${build[@]}" --product "$product" >"$work/build.log" 2>&1; then
    grep -E "error" "$work/build.log" | head -20
    tail -20 "$work/build.log"
    echo "  FAIL: the embedded app does not build"
    exit 1
  fi
done
app_bin=$("${build[@]}" --show-bin-path)
echo "  built in $((SECONDS - started)) s"

config=$PWD/$app/portcullis.toml   # the example's own, as README "Embedding" runs it

run_app() { # EXECUTABLE, then extra arguments after CONFIG PORT
  local executable=$1
  shift
  env -u PORTCULLIS_PLUGIN_DIR "$executable" "$config" "$port" "$@" >"$work/app.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/me")" != 000 ] && return 0
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "  FAIL: the app did not start:"
  cat "$work/app.log"
  exit 1
}
stop_app() { kill "$app_pid"; wait "$app_pid" 2>/dev/null; }

echo "== plugins beside the app (its build directory), no setting"
check "the crypt plugin is in the app's build directory" yes "$([ -f "$app_bin/libportcullis-crypt.so" ] && echo yes)"
run_app "$app_bin/EmbeddedApp"
check "no credentials: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/me")"
contains "... with the Basic challenge" 'Basic realm="app", charset="UTF-8"' "$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/api/me")"
check "alice: 200, the handler sees her" alice "$(curl -s -u alice:wonderland "http://127.0.0.1:$port/api/me")"
check "a wrong password: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -u alice:wrong "http://127.0.0.1:$port/api/me")"
stop_app

echo "== plugins in a directory the app passes"
plugins=$work/plugins
install -d -m 0755 "$plugins"
install -m 0644 "$app_bin/libportcullis-crypt.so" "$plugins/"
install -d -m 0755 "$work/app"
install -m 0755 "$app_bin/EmbeddedApp" "$work/app/"   # nothing beside it, and not under .build
check "no plugin beside the copied app" "" "$(find "$work/app" -name '*.so')"
run_app "$work/app/EmbeddedApp" "$plugins"
check "alice: 200 through the passed directory" alice "$(curl -s -u alice:wonderland "http://127.0.0.1:$port/api/me")"
stop_app

echo "embedded-app end-to-end: $((SECONDS - started)) s; $failures failed"
[ "$failures" -eq 0 ]
