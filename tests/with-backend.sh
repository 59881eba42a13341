#!/usr/bin/env bash
# with-backend.sh BACKEND CMD...: runs a test against one storage backend.
# sqlite runs as is; postgresql and mysql read the private servers' settings
# that the servers/start fixture wrote (CS_SERVERS_ENV) and pass them on as
# CS_TEST_BACKEND and CS_TEST_DB_URL. Without a server the test is skipped
# (exit 77) with the reason, which is what CLASSY_SYNC_SKIP_SERVER_DBS=1 asks.
set -euo pipefail
backend=$1
shift
if [ "$backend" != sqlite ]; then
	# shellcheck disable=SC1090
	[ -r "${CS_SERVERS_ENV:-}" ] && . "$CS_SERVERS_ENV"
	case $backend in
	postgresql) url=${CS_TEST_PG_URL:-} ;;
	mysql) url=${CS_TEST_MYSQL_URL:-} ;;
	*) echo "with-backend.sh: unknown backend '$backend'" >&2; exit 2 ;;
	esac
	if [ -z "$url" ]; then
		echo "SKIPPED: no $backend server for the tests (CLASSY_SYNC_SKIP_SERVER_DBS=1 was" \
			"set when the servers/start fixture ran); unset it to run them"
		exit 77
	fi
	export CS_TEST_DB_URL=$url
fi
export CS_TEST_BACKEND=$backend
exec "$@"
