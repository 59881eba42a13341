#!/usr/bin/env bash
# `make package` (CPack, cmake/package.cmake), inspected with dpkg-deb as a
# reviewer would: the exact files of classy-sync and classy-sync-sandbox with
# their modes and owners; the generated man page and completion as the build
# made them; the unit filled in for /usr and /etc, with its hardening, and
# its Documentation= file in the package; the conffiles; executable
# maintainer scripts that parse; and Depends naming the package of every
# library the binary links (dpkg-shlibdeps). Then `make install`
# (cmake --install --prefix) installs the very same set under its prefix,
# configured for it, and keeps an edited configuration on a second install.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pkg.sh"
pkg_need readelf ldd
pkg_build
build=$(dirname "$CS_BIN")

# files (not directories) with their modes and owners
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $1, $2, $6 }' | sort; }
expected="-rw-r----- root/root ./etc/classy-sync/classy-sync.env
-rw-r--r-- root/root ./etc/classy-sync/daemon-config.json
-rw-r--r-- root/root ./usr/lib/systemd/system/classy-sync.service
-rw-r--r-- root/root ./usr/lib/sysusers.d/classy-sync.conf
-rw-r--r-- root/root ./usr/share/bash-completion/completions/classy-sync
-rw-r--r-- root/root ./usr/share/doc/classy-sync/README.md
-rw-r--r-- root/root ./usr/share/man/man1/classy-sync.1.gz
-rwxr-xr-x root/root ./usr/bin/classy-sync"
assert_eq "$(files_of "$PKG_DEB")" "$(sort <<<"$expected")" "the files of classy-sync"
assert_eq "$(files_of "$PKG_SANDBOX_DEB")" "-rwxr-xr-x root/root ./usr/bin/classy-sandbox" \
	"the files of classy-sync-sandbox"
bad_dirs=$( (dpkg-deb -c "$PKG_DEB"; dpkg-deb -c "$PKG_SANDBOX_DEB") | awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")')
[ -z "$bad_dirs" ] || fail "directories not 0755 root/root: $bad_dirs"

data=$TEST_TMP/data
dpkg-deb -x "$PKG_DEB" "$data"
member() { cat "$data/$1"; }
cmp -s <(member ./usr/share/man/man1/classy-sync.1.gz) "$build/classy-sync.1.gz" ||
	fail "the packaged man page is not the one the build generated"
cmp -s <(member ./usr/share/bash-completion/completions/classy-sync) "$build/classy-sync.bash-completion" ||
	fail "the packaged completion is not the one the build generated"
cmp -s <(member ./etc/classy-sync/daemon-config.json) "$CS_SRC/contrib/daemon-config.example.json" ||
	fail "/etc/classy-sync/daemon-config.json is not contrib/daemon-config.example.json"
grep -qx 'u classy-sync - "classy-sync daemon" /var/lib/classy-sync' <(member ./usr/lib/sysusers.d/classy-sync.conf) ||
	fail "sysusers.d/classy-sync.conf does not make the classy-sync user"

unit=$(member ./usr/lib/systemd/system/classy-sync.service)
for line in Type=notify User=classy-sync Group=classy-sync NoNewPrivileges=yes ProtectSystem=strict \
	PrivateTmp=yes LimitCORE=0 StateDirectory=classy-sync \
	EnvironmentFile=/etc/classy-sync/classy-sync.env \
	"ExecStart=/usr/bin/classy-sync daemon start --foreground --config /etc/classy-sync/daemon-config.json" \
	"Documentation=man:classy-sync(1) file:///usr/share/doc/classy-sync/README.md"; do
	grep -qxF -- "$line" <<<"$unit" || fail "the unit lacks '$line'"
done
grep -qE '@CS_[A-Z]+@' <<<"$unit" && fail "the unit keeps a placeholder: $(grep -E '@CS_[A-Z]+@' <<<"$unit")"

assert_eq "$(dpkg-deb -I "$PKG_DEB" conffiles)" "/etc/classy-sync/daemon-config.json
/etc/classy-sync/classy-sync.env" "conffiles"
scripts=$(dpkg-deb --ctrl-tarfile "$PKG_DEB" | tar -tvf - | awk '$6 ~ /(postinst|prerm|postrm)$/ { print $1, $6 }' | sort)
assert_eq "$scripts" "-rwxr-xr-x ./postinst
-rwxr-xr-x ./postrm
-rwxr-xr-x ./prerm" "maintainer scripts"
mkdir -p "$TEST_TMP/control"
dpkg-deb -e "$PKG_DEB" "$TEST_TMP/control"
for s in postinst prerm postrm; do sh -n "$TEST_TMP/control/$s" || fail "$s does not parse"; done

# Depends: the package of every library the binary links, from dpkg-shlibdeps
depends=$(dpkg-deb -f "$PKG_DEB" Depends)
grep -q '^systemd | adduser, ' <<<"$depends" || fail "Depends lacks 'systemd | adduser': $depends"
needed=$(readelf -d "$CS_BIN" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
[ "$(wc -l <<<"$needed")" -ge 5 ] || fail "readelf found too few libraries: $needed"
libs=$(ldd "$CS_BIN")
owners=$(for so in $needed; do printf '*/%s\n' "$so"; done | xargs dpkg -S 2>/dev/null || true)
for so in $needed; do
	found=0
	for pkg in $(grep -E "/$so\$" <<<"$owners" | cut -d: -f1 | tr ',' ' '); do
		grep -qE "(^|, |\| )$pkg( |,|$)" <<<"$depends" && found=1
	done
	[ "$found" = 1 ] || fail "Depends names no package of $so ($(grep -F "$so" <<<"$libs")): $depends"
done
grep -q 'libc6 (>= ' <<<"$depends" || fail "Depends has no versioned libc6: $depends"

# `make install`: the same files under PREFIX, /etc as PREFIX/etc, the unit
# pointing there
prefix=$TEST_TMP/prefix
cmake --install "$build" --prefix "$prefix" >"$TEST_TMP/install.log" 2>&1 ||
	fail "cmake --install failed: $(tail -n 20 "$TEST_TMP/install.log")"
installed=$(cd "$prefix" && find . -type f -printf '%m %p\n' | sed 's|^\([0-9]*\) \./etc/|\1 ./etc/|' | sort)
packaged=$( (dpkg-deb -c "$PKG_DEB"; dpkg-deb -c "$PKG_SANDBOX_DEB") | awk '$1 !~ /^d/ { print $1, $6 }' |
	sed 's| \./usr/| ./|' | sed 's/^-rw-r-----/640/; s/^-rw-r--r--/644/; s/^-rwxr-xr-x/755/' | sort)
assert_eq "$installed" "$packaged" "make install's files and modes against the packages'"
grep -qxF "ExecStart=$prefix/bin/classy-sync daemon start --foreground --config $prefix/etc/classy-sync/daemon-config.json" \
	"$prefix/lib/systemd/system/classy-sync.service" || fail "the installed unit does not point into $prefix"
grep -qxF "EnvironmentFile=$prefix/etc/classy-sync/classy-sync.env" "$prefix/lib/systemd/system/classy-sync.service" ||
	fail "the installed unit's EnvironmentFile is not under $prefix"
"$prefix/bin/classy-sync" --version | grep -qx "classy-sync $PKG_VERSION" || fail "the installed binary's version"
echo 'LOG_LEVEL=debug' >>"$prefix/etc/classy-sync/classy-sync.env"
cmake --install "$build" --prefix "$prefix" >"$TEST_TMP/install2.log" 2>&1 || fail "a second install failed"
grep -qx 'LOG_LEVEL=debug' "$prefix/etc/classy-sync/classy-sync.env" || fail "a second install overwrote the edited env file"
echo "ok: classy-sync $PKG_VERSION and classy-sync-sandbox inspected; make install gives the same $(wc -l <<<"$installed") files"
