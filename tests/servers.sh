#!/usr/bin/env bash
# The servers/start and servers/stop fixtures of ctest: private PostgreSQL and
# MariaDB instances (scripts/test-servers) for the tests that run on every
# backend, started once per ctest run and stopped at its end, also when a test
# failed. `start DIR` writes their settings to DIR.env.
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")/.." && pwd)
case $cmd in
start)
	"$here/scripts/test-servers" stop "$dir" 2>/dev/null || true
	if [ "${CLASSY_SYNC_SKIP_SERVER_DBS:-0}" = 1 ]; then
		: >"$dir.env"
		echo "SKIPPED: CLASSY_SYNC_SKIP_SERVER_DBS=1: no PostgreSQL or MariaDB tests this run"
		exit 0
	fi
	"$here/scripts/test-servers" start "$dir" >"$dir.env.tmp"
	mv "$dir.env.tmp" "$dir.env"
	cat "$dir.env"
	;;
stop)
	"$here/scripts/test-servers" stop "$dir"
	rm -f "$dir.env"
	;;
esac
