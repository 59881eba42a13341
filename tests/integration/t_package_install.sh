#!/usr/bin/env bash
# The package installed as a machine would install it, into a throwaway root:
# `dpkg --root=DIR --force-script-chrootless` runs the real maintainer scripts
# with DPKG_ROOT=DIR (they honour it), so nothing of the test machine changes.
# --force-depends: the empty root has none of the libraries Depends names
# (the host's serve the binary). Then: the service user made from
# sysusers.d, the env file 0640 root:classy-sync, the state directory
# /var/lib/classy-sync 0750 classy-sync (kept by the purge), the binary's
# --version, `man -l` on the installed page, the installed completion, the
# unit without a parse error (systemd-analyze verify); an edited conffile
# survives a reinstall; a purge takes every file of the package and the
# configuration directory away.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkg.sh"
pkg_need dpkg man systemd-sysusers systemd-analyze
pkg_build

root=$TEST_TMP/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends "$@" >>"$TEST_TMP/dpkg.log" 2>&1; }
dpkg_root -i "$PKG_DEB" || fail "dpkg -i into $root failed: $(tail -n 30 "$TEST_TMP/dpkg.log")"
status=$(dpkg-query --root="$root" -W -f='${Status} ${Version}' classy-sync)
assert_eq "$status" "install ok installed $PKG_VERSION" "the package's state in the root"

# the postinst: the user from sysusers.d, then the env file's group
user=$(awk -F: '$1 == "classy-sync" { print $6, $7 }' "$root/etc/passwd")
assert_eq "$user" "/var/lib/classy-sync /usr/sbin/nologin" "the classy-sync user's home and shell"
gid=$(awk -F: '$1 == "classy-sync" { print $3 }' "$root/etc/group")
[ -n "$gid" ] || fail "the postinst made no classy-sync group"
assert_eq "$(stat -c '%a %u %g' "$root/etc/classy-sync/classy-sync.env")" "640 0 $gid" \
	"classy-sync.env's mode, owner and group"

uid=$(awk -F: '$1 == "classy-sync" { print $3 }' "$root/etc/passwd")
assert_eq "$(stat -c '%a %u %g' "$root/var/lib/classy-sync")" "750 $uid $gid" "the state directory"

version=$("$root/usr/bin/classy-sync" --version) || fail "the installed classy-sync does not run"
assert_eq "$version" "classy-sync $PKG_VERSION" "the installed binary's version"
page=$(LC_ALL=C MANWIDTH=200 man -l "$root/usr/share/man/man1/classy-sync.1.gz" 2>&1) || fail "man -l failed: $page"
grep -qx '       classy-sync - mirror Classy (GoFundMe Pro) organizations into SQL and keep them current' <<<"$page" ||
	fail "man -l shows no NAME line: $(head -n 8 <<<"$page")"
grep -q "^   classy-sync daemon start " <<<"$page" || fail "the installed page has no 'daemon start' section"
offered=$(bash -c '. "$1"; COMP_WORDS=(classy-sync d); COMP_CWORD=1; _classy_sync; echo "${COMPREPLY[*]}"' _ \
	"$root/usr/share/bash-completion/completions/classy-sync")
assert_eq "$offered" "daemon db" "the installed completion of 'classy-sync d'"

# a parse error is reported as "FILE:LINE: ..."; a missing /usr/bin/classy-sync
# (it is in the root) or man page lookup are not the unit's fault
unit=$root/usr/lib/systemd/system/classy-sync.service
verify=$(systemd-analyze verify --man=no "$unit" 2>&1 || true)
grep -E "^$unit:[0-9]+:" <<<"$verify" && fail "systemd-analyze finds errors in the unit: $verify"

# conffiles: an edit survives a reinstall (a plain file would be replaced)
conffiles=$(dpkg-query --root="$root" -W -f='${Conffiles}' classy-sync | awk 'NF { print $1 }')
assert_eq "$conffiles" "/etc/classy-sync/daemon-config.json
/etc/classy-sync/classy-sync.env" "the conffiles dpkg records"
echo 'LOG_LEVEL=debug' >>"$root/etc/classy-sync/classy-sync.env"
dpkg_root -i "$PKG_DEB" || fail "a reinstall failed: $(tail -n 30 "$TEST_TMP/dpkg.log")"
grep -qx 'LOG_LEVEL=debug' "$root/etc/classy-sync/classy-sync.env" || fail "a reinstall replaced the edited env file"
assert_eq "$(stat -c '%a %g' "$root/etc/classy-sync/classy-sync.env")" "640 $gid" "the env file after a reinstall"

files=$(dpkg-deb -c "$PKG_DEB" | awk '$1 !~ /^d/ { print substr($6, 2) }')
dpkg_root --purge classy-sync || fail "dpkg --purge failed: $(tail -n 30 "$TEST_TMP/dpkg.log")"
for f in $files; do [ ! -e "$root$f" ] || fail "the purge left $f"; done
[ -d "$root/var/lib/classy-sync" ] || fail "the purge took the state directory (the mirror and its key)"
[ ! -e "$root/etc/classy-sync" ] || fail "the purge left /etc/classy-sync: $(ls -la "$root/etc/classy-sync")"
dpkg-query --root="$root" -W classy-sync >/dev/null 2>&1 && fail "dpkg still knows classy-sync after the purge"
echo "ok: installed into a throwaway root, user and env file made, version, man page, completion, conffiles, purge"
