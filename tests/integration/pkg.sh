# Shared by the package tests (t_package.sh, t_package_install.sh).
#
# Use:   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/pkg.sh"
#
#   pkg_need TOOL...   fail, naming the Debian package, when a tool is missing
#                      (scripts/bootstrap installs them all)
#   pkg_build          CPack's Debian packages of the build CS_BIN is in, made
#                      into $TEST_TMP/pkg (never into the build directory, so two
#                      tests at once do not meet). Sets PKG_VERSION (what
#                      `classy-sync --version` says), PKG_DEB (classy-sync) and
#                      PKG_SANDBOX_DEB (classy-sync-sandbox).

pkg_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			fail "'$t' is missing: run scripts/bootstrap (it installs dpkg-dev, man-db and systemd)"
	done
}

pkg_build() {
	pkg_need cpack dpkg-deb dpkg-shlibdeps
	local build out arch
	build=$(dirname "$CS_BIN")
	out=$TEST_TMP/pkg
	(cd "$build" && cpack -G DEB -B "$out") >"$TEST_TMP/cpack.log" 2>&1 ||
		fail "cpack failed: $(tail -n 20 "$TEST_TMP/cpack.log")"
	PKG_VERSION=$("$CS_BIN" --version | awk '{ print $2 }')
	arch=$(dpkg --print-architecture)
	PKG_DEB=$out/classy-sync_${PKG_VERSION}_${arch}.deb
	PKG_SANDBOX_DEB=$out/classy-sync-sandbox_${PKG_VERSION}_${arch}.deb
	[ -f "$PKG_DEB" ] && [ -f "$PKG_SANDBOX_DEB" ] ||
		fail "cpack made no $PKG_DEB and $PKG_SANDBOX_DEB: $(ls "$out")"
}
