#!/usr/bin/env bash
# End to end: the Debian package on a clean system. Builds it with scripts/package (a release
# build), runs Debian's lintian on it (no errors), then installs it with dpkg into a fresh Debian
# root made by debootstrap (minbase: no Swift, no build tree) and, inside that root (chroot):
#
#   modes and owners      every file root:root, plugins 0644 in 0755 directories, binaries 0755
#   postinst              the portcullis system user (not in group shadow), users.htpasswd root:portcullis 0640
#   ldd                   every image resolves, the Swift runtime from /usr/lib/portcullis/lib only
#   config check          the shipped /etc/portcullis/portcullis.toml passes
#   plugins               every plugin listed from /usr/lib/portcullis/plugins, with nothing set
#   check                 as the portcullis user, through the installed crypt plugin: right password
#                         allows, wrong one denies (a hash made by the installed portcullis hash)
#   serve                 the daemon as the portcullis user answers /auth (host's curl, loopback)
#   purge                 removes the files and the password file
#
# Needs root (debootstrap, chroot, mount). Prints how long each part took.
set -uo pipefail
cd "$(dirname "$0")/../.."

for tool in dpkg-deb dpkg-shlibdeps lintian debootstrap; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/setup installs it)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "package.sh needs root (debootstrap, chroot)"; exit 1; }
source Tests/e2e/lib/common.sh
auth=18495 metrics=18496
started=$SECONDS
timings=()
lap() { timings+=("$1 $((SECONDS - lap_started)) s"); lap_started=$SECONDS; }
lap_started=$SECONDS

echo "== scripts/package"
deb=$(scripts/package "$work/out" | tail -1)
[ -f "$deb" ] || { echo "  FAIL: scripts/package made no package"; exit 1; }
echo "  $(basename "$deb"): $(du -h "$deb" | cut -f1)"
lap package

echo "== lintian"
# --fail-on error: warnings are listed (and justified in packaging/README.md), errors fail.
lintian_output=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1)
lintian_status=$?
echo "$lintian_output" | sed 's/^/  /'
check "lintian reports no error" 0 "$lintian_status"
lap lintian

echo "== the package's files"
listing=$(dpkg-deb -c "$deb")
check "no file is owned by anyone but root" "" "$(awk '$2 != "root/root"' <<<"$listing")"
check "plugin directory 0755" "drwxr-xr-x" "$(awk '$6 == "./usr/lib/portcullis/plugins/" { print $1 }' <<<"$listing")"
check "plugins 0644" "-rw-r--r-- x7" "$(awk '$6 ~ /^\.\/usr\/lib\/portcullis\/plugins\/libportcullis-.*\.so$/ { print $1 }' <<<"$listing" | sort | uniq -c | awk '{ print $2 " x" $1 }')"
check "no directory writable by group or others" "" "$(awk '$1 ~ /^d/ && $1 != "drwxr-xr-x"' <<<"$listing")"
check "conffiles" "$(printf '/etc/pam.d/portcullis\n/etc/portcullis/portcullis.toml')" "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | sort)"

echo "== a clean Debian root (debootstrap --variant=minbase)"
chroot=$work/root
# The downloaded .debs are kept for the next run on this machine; a fresh one downloads them.
cache=/var/cache/portcullis-e2e/debootstrap
mkdir -p "$cache"
if ! debootstrap --variant=minbase --cache-dir="$cache" bookworm "$chroot" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1; then
  tail -20 "$work/debootstrap.log"
  echo "  FAIL: debootstrap"
  exit 1
fi
mount -t proc proc "$chroot/proc" || { echo "  FAIL: cannot mount /proc in the root"; exit 1; }
e2e_before_cleanup() {
  [ -n "${daemon_pid:-}" ] && [ -f "$chroot/tmp/serve.pid" ] && kill "$(cat "$chroot/tmp/serve.pid")" 2>/dev/null
  sleep 0.2
  umount "$chroot/proc" 2>/dev/null || umount -l "$chroot/proc"
}
# Inside the root, with a clean environment: nothing of this machine's PATH, LD_LIBRARY_PATH or
# PORTCULLIS_PLUGIN_DIR.
inside() { chroot "$chroot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
check "the root has no Swift" "" "$(inside sh -c 'ls /opt/swift /usr/bin/swift 2>/dev/null')"
lap debootstrap

echo "== dpkg -i"
cp "$deb" "$chroot/tmp/portcullis.deb"
installed=$(inside dpkg -i /tmp/portcullis.deb 2>&1)
check "dpkg -i succeeds" 0 "$?"
grep -iE "warning|error" <<<"$installed" | sed 's/^/  dpkg: /'

stat_of() { inside stat -c '%U:%G %a' "$@"; }
check "portcullis 0755 root" "root:root 755" "$(stat_of /usr/bin/portcullis)"
check "plugin directory 0755 root" "root:root 755" "$(stat_of /usr/lib/portcullis/plugins)"
check "every plugin 0644 root" "root:root 644" "$(inside sh -c 'stat -c "%U:%G %a" /usr/lib/portcullis/plugins/*.so' | sort -u)"
check "users.htpasswd made by postinst, for the portcullis group only" "root:portcullis 640" "$(stat_of /etc/portcullis/users.htpasswd)"
check "the portcullis system user, in its own group only" "portcullis" "$(inside id -nG portcullis)"
check "... with no login shell" "/usr/sbin/nologin" "$(inside getent passwd portcullis | cut -d: -f7)"
check "the unit is installed" "root:root 644" "$(stat_of /usr/lib/systemd/system/portcullis.service)"

libraries=$(inside sh -c 'for f in /usr/bin/portcullis* /usr/lib/portcullis/plugins/*.so; do ldd "$f"; done')
check "every library resolves" "" "$(grep "not found" <<<"$libraries")"
# ldd prints the RUNPATH's $ORIGIN form: /usr/bin/../lib/portcullis/lib, /usr/lib/portcullis/plugins/../lib.
runtime=$(grep -E 'libswift|libFoundation|libdispatch' <<<"$libraries" \
  | sed -E 's#=> /usr/bin/\.\./lib/#=> /usr/lib/#; s#=> /usr/lib/portcullis/plugins/\.\./lib/#=> /usr/lib/portcullis/lib/#')
check "the Swift runtime comes from /usr/lib/portcullis/lib" "" "$(grep -v '=> /usr/lib/portcullis/lib/' <<<"$runtime")"
check "... for every image" "$(inside sh -c 'ls /usr/bin/portcullis* /usr/lib/portcullis/plugins/*.so' | wc -l)" "$(grep -c 'libswiftCore.so => /usr/lib/portcullis/lib/' <<<"$runtime")"

config_check=$(inside portcullis config check /etc/portcullis/portcullis.toml 2>&1)
check "config check on the shipped config" 0 "$?"
echo "  $config_check"

plugins=$(inside portcullis plugins 2>&1)
echo "$plugins" | sed 's/^/  /'
check "portcullis plugins lists 7 plugins, all from /usr/lib/portcullis/plugins" 7 \
  "$(grep -c ' /usr/lib/portcullis/plugins/libportcullis-[a-z]*\.so$' <<<"$plugins")"
check "... and nothing else" 7 "$(wc -l <<<"$plugins")"

# A user, hashed by the installed tool; then checks as the daemon's user.
printf 'secret\n' | inside portcullis hash --user alice >>"$chroot/etc/portcullis/users.htpasswd"
basic() { printf 'Authorization: Basic %s' "$(printf '%s' "$1" | base64)"; }
as_daemon() { inside runuser -u portcullis -- "$@"; }
allowed=$(as_daemon portcullis check --config /etc/portcullis/portcullis.toml --header "$(basic alice:secret)" 2>&1)
check "check as portcullis: the right password is allowed (exit 0)" 0 "$?"
contains "... through the installed crypt plugin" "crypt [required] -> allow" "$allowed"
denied=$(as_daemon portcullis check --config /etc/portcullis/portcullis.toml --header "$(basic alice:wrong)" 2>&1)
check "check as portcullis: a wrong password is denied (exit 1)" 1 "$?"
contains "... invalid_credentials" "DENY invalid_credentials" "$denied"

# The daemon as the unit runs it (user portcullis), on the shipped config moved to test ports.
sed -e "s/^listen = .*/listen = \"127.0.0.1:$auth\"/" -e "s/^metrics_listen = .*/metrics_listen = \"127.0.0.1:$metrics\"/" \
  "$chroot/etc/portcullis/portcullis.toml" >"$chroot/tmp/serve.toml"
chroot "$chroot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin runuser -u portcullis -- \
  portcullis serve --config /tmp/serve.toml --pid-file /tmp/serve.pid >"$work/serve.log" 2>&1 &
daemon_pid=$!
wait_for "http://127.0.0.1:$auth/healthz" "the installed daemon" "$work/serve.log"
check "serve: no credentials → 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$auth/auth")"
check "serve: alice → 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u alice:secret "http://127.0.0.1:$auth/auth")"
# runuser waits for the daemon; the daemon itself is stopped by its pid file.
kill "$(cat "$chroot/tmp/serve.pid")"; wait "$daemon_pid" 2>/dev/null; daemon_pid=""
lap "install and run"

inside dpkg --purge portcullis >/dev/null 2>&1
check "dpkg --purge succeeds" 0 "$?"
check "purge leaves no /etc/portcullis, no plugin" "" "$(inside sh -c 'ls -d /etc/portcullis /usr/lib/portcullis 2>/dev/null')"
lap purge

echo "package end-to-end: ${timings[*]}; total $((SECONDS - started)) s"
echo "package end-to-end: $failures failed"
[ "$failures" -eq 0 ]
