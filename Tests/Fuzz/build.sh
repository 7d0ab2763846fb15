#!/usr/bin/env bash
# Builds the libFuzzer harnesses: Tests/Fuzz/build.sh [target…] → .build-fuzz/bin/fuzz-TARGET.
#
# swiftc directly, not SwiftPM: each of our modules a harness needs is compiled once, whole-module
# and optimized, with libFuzzer's coverage and AddressSanitizer (-sanitize=fuzzer,address), in
# dependency order. Third-party modules (TOMLKit, swift-crypto, swift-log, swift-metrics) are not
# ours to fuzz: they are taken, uninstrumented, from the debug build (`swift build`), so nothing
# is built twice. A module is rebuilt only when one of its sources is newer than its object.
# Fails loudly when the toolchain cannot build with the fuzzer.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.build-fuzz
mods=$out/modules
objs=$out/objects
mkdir -p "$mods" "$objs" "$out/bin" "$out/cmodules/CPortcullisPlugin"

all_targets=(authorization forwarded jwt path iplist htpasswd csrf authz config)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# Our C header as a clang module (SwiftPM generates the same for the target).
cat >"$out/cmodules/CPortcullisPlugin/module.modulemap.new" <<MAP
module CPortcullisPlugin {
    header "$root/Sources/CPortcullisPlugin/include/portcullis_plugin.h"
    export *
}
MAP
cmp -s "$out/cmodules/CPortcullisPlugin/module.modulemap.new" "$out/cmodules/CPortcullisPlugin/module.modulemap" 2>/dev/null \
  || mv "$out/cmodules/CPortcullisPlugin/module.modulemap.new" "$out/cmodules/CPortcullisPlugin/module.modulemap"
rm -f "$out/cmodules/CPortcullisPlugin/module.modulemap.new"

# The debug build's products, for the third-party modules.
debug_dir() { for dir in "$root/.build/debug" "$root"/.build/*-linux-gnu/debug; do [ -d "$dir/Modules" ] && { echo "$dir"; return; }; done; }
deps_needed() { for t in "${targets[@]}"; do case $t in authorization|forwarded|config|jwt|htpasswd|authz) return 0 ;; esac; done; return 1; }
debug=$(debug_dir)
if deps_needed && { [ -z "$debug" ] || [ ! -e "$debug/Modules/TOMLKit.swiftmodule" ] || [ ! -e "$debug/Modules/Crypto.swiftmodule" ]; }; then
  echo "fuzz build: building the debug products the harnesses link (swift build)"
  swift build >/dev/null || { echo "fuzz build: swift build failed" >&2; exit 1; }
  debug=$(debug_dir)
fi
dep_flags=()
if [ -n "$debug" ]; then
  dep_flags+=(-I "$debug/Modules")
  # The C modules those Swift modules import.
  for c in CTOML CCryptoBoringSSL CCryptoBoringSSLShims; do
    [ -e "$debug/$c.build/module.modulemap" ] && dep_flags+=(-Xcc "-fmodule-map-file=$debug/$c.build/module.modulemap")
  done
  for include in "$root"/.build/checkouts/{TOMLKit,swift-crypto}/Sources/*/include; do [ -d "$include" ] && dep_flags+=(-Xcc -I -Xcc "$include"); done
fi

swift_flags=(
  -O -wmo -parse-as-library -enable-testing -sanitize=fuzzer,address -g
  -package-name portcullis -swift-version 6
  -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault
  -I "$mods" -I "$out/cmodules/CPortcullisPlugin" -I "$root/plugins/crypt/CLibxcrypt"
)

# Whether FILE exists and is newer than every one of the rest.
up_to_date() {
  local file=$1
  shift
  [ -e "$file" ] || return 1
  for input in "$@"; do [ "$input" -nt "$file" ] && return 1; done
  return 0
}

# module NAME SOURCE_DIR [DEPENDENCY…]: compiles NAME into one object and its .swiftmodule, if
# out of date (a source, this script or a dependency's object is newer).
module() {
  local name=$1 dir=$2 object=$objs/$1.o
  shift 2
  local sources dependencies=()
  mapfile -t sources < <(find "$dir" -name '*.swift' | sort)
  for dependency in "$@"; do dependencies+=("$objs/$dependency.o"); done
  up_to_date "$object" "${sources[@]}" "${dependencies[@]}" "$root/Tests/Fuzz/build.sh" && return 0
  echo "fuzz build: $name"
  swiftc "${swift_flags[@]}" "${dep_flags[@]}" -module-name "$name" -emit-module -emit-module-path "$mods/$name.swiftmodule" \
    -c -o "$object" "${sources[@]}"
  # swiftc keeps an unchanged object's old time; the next run must see it as built.
  touch "$object"
}

# Objects of a third-party target from the debug build.
debug_objects() {
  for target in "$@"; do
    # CTOML is built here (below) and linked among the inputs.
    [ "$target" = CTOML ] || find "$debug/$target.build" -name '*.o' 2>/dev/null
  done
}

# toml++ (CTOML, inside TOMLKit) is compiled here as a release build compiles it (NDEBUG, so its
# TOML_ASSERT_ASSUMEs are assumptions, not aborts) and with AddressSanitizer: the debug build's
# copy aborts on its own debug assertions (docs/fuzzing.md), which would hide what a release
# daemon does with the same file.
ctoml_sources=$root/.build/checkouts/TOMLKit/Sources/CTOML
ctoml_objects=()
for source in "$ctoml_sources"/Sources/*.cpp; do
  ctoml_objects+=("$objs/ctoml-$(basename "$source" .cpp | tr -c 'A-Za-z0-9\n' '_').o")
done
ctoml() {
  local source object
  for source in "$ctoml_sources"/Sources/*.cpp; do
    object=$objs/ctoml-$(basename "$source" .cpp | tr -c 'A-Za-z0-9\n' '_').o
    up_to_date "$object" "$source" "$ctoml_sources/Sources/toml.hpp" "$root/Tests/Fuzz/build.sh" && continue
    echo "fuzz build: CTOML $(basename "$source") (NDEBUG, ASan)"
    clang++ -std=c++17 -O1 -g -DNDEBUG -DTOML_EXCEPTIONS=1 -fsanitize=address,fuzzer-no-link \
      -I "$ctoml_sources/include" -I "$ctoml_sources/Sources" -c "$source" -o "$object"
  done
}

# Each swiftc here is one whole-module job on one core: what does not depend on another job runs
# beside it, one per core (`spawn`), and `settle` waits for them all and fails if one failed.
parallel=$(nproc)
pending=()
spawn() {
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 0.2; done
  "$@" &
  pending+=("$!")
}
settle() {
  local pid status=0
  for pid in "${pending[@]}"; do wait "$pid" || status=1; done
  pending=()
  [ "$status" -eq 0 ] || { echo "fuzz build: a step above failed" >&2; exit 1; }
}

# plan TARGET: the plugin module the harness fuzzes (if any), our modules and third-party targets
# it links, and the system libraries.
plan() {
  plugin="" our=(PortcullisNetwork PortcullisProtocol PortcullisPluginKit) theirs=() libs=()
  case $1 in
    authorization|forwarded|config)
      our=(PortcullisNetwork PortcullisProtocol PortcullisCrypto Portcullis)
      theirs=(TOMLKit CTOML Logging Crypto CCryptoBoringSSL CCryptoBoringSSLShims CryptoBoringWrapper CoreMetrics Metrics)
      libs=(-lstdc++) ;;
    jwt) plugin=hmac our+=(PortcullisCrypto) theirs=(Crypto CCryptoBoringSSL CCryptoBoringSSLShims CryptoBoringWrapper) ;;
    path) ;;
    iplist) plugin=iplist ;;
    htpasswd) plugin=crypt our+=(PortcullisCrypto) theirs=(Crypto CCryptoBoringSSL CCryptoBoringSSLShims CryptoBoringWrapper) libs=(-lcrypt) ;;
    csrf) plugin=csrf ;;
    authz) plugin=authz theirs=(TOMLKit CTOML) libs=(-lstdc++) ;;
    *) echo "fuzz build: unknown target '$1' (targets: ${all_targets[*]})" >&2; exit 2 ;;
  esac
  plugin_module=""
  [ -z "$plugin" ] || { plugin_module=$(module_name "$plugin"); our+=("$plugin_module"); }
}
module_name() { case $1 in hmac) echo HmacPlugin ;; iplist) echo IplistPlugin ;; crypt) echo CryptPlugin ;; csrf) echo CsrfPlugin ;; authz) echo AuthzPlugin ;; esac; }

# harness TARGET: links one harness, if out of date.
harness() {
  plan "$1"
  local binary=$out/bin/fuzz-$1 name
  local inputs=("$root/Tests/Fuzz/Targets/$1.swift" "$root/Tests/Fuzz/Support/Fuzz.swift")
  for name in "${our[@]}"; do inputs+=("$objs/$name.o"); done
  for name in "${theirs[@]}"; do [ "$name" = CTOML ] && inputs+=("${ctoml_objects[@]}"); done
  up_to_date "$binary" "${inputs[@]}" && return 0
  echo "fuzz build: fuzz-$1"
  # shellcheck disable=SC2046
  swiftc "${swift_flags[@]}" "${dep_flags[@]}" -module-name "Fuzz_$1" "${inputs[@]}" $(debug_objects "${theirs[@]}") \
    "${libs[@]}" -o "$binary" \
    || { echo "fuzz build: fuzz-$1 failed to build with -sanitize=fuzzer,address" >&2; exit 1; }
}

# What the targets asked for need, in dependency order: the SDK's modules, the shared crypto and
# toml++; then the host module and the plugins; then the harnesses.
plugins=() host=no toml=no crypto=no
for target in "${targets[@]}"; do
  plan "$target"
  [ -z "$plugin" ] || plugins+=("$plugin")
  [[ " ${our[*]} " != *" Portcullis "* ]] || host=yes
  [[ " ${our[*]} " != *" PortcullisCrypto "* ]] || crypto=yes
  [[ " ${theirs[*]} " != *" CTOML "* ]] || toml=yes
done

started=$SECONDS
module PortcullisNetwork "$root/Sources/PortcullisNetwork"
[ "$toml" = no ] || spawn ctoml
[ "$crypto" = no ] || spawn module PortcullisCrypto "$root/Sources/PortcullisCrypto"
spawn module PortcullisProtocol "$root/Sources/PortcullisProtocol" PortcullisNetwork
settle
spawn module PortcullisPluginKit "$root/Sources/PortcullisPluginKit" PortcullisNetwork PortcullisProtocol
[ "$host" = no ] || spawn module Portcullis "$root/Sources/Portcullis" PortcullisNetwork PortcullisProtocol PortcullisCrypto
settle
for plugin in "${plugins[@]}"; do
  uses=(PortcullisNetwork PortcullisProtocol PortcullisPluginKit)
  case $plugin in hmac|crypt) uses+=(PortcullisCrypto) ;; esac
  spawn module "$(module_name "$plugin")" "$root/plugins/$plugin/Sources/$(module_name "$plugin")" "${uses[@]}"
done
settle
for target in "${targets[@]}"; do spawn harness "$target"; done
settle
echo "fuzz build: done in $((SECONDS - started)) s"
