# Shared helpers for the integration tests (tests/integration/t_*.sh).
#
# Use:   . "$(dirname "$0")/lib.sh"
#
# ctest runs every t_*.sh with these variables set:
#   CS_SANDBOX   path of the classy-sandbox binary
#   CS_BIN       path of the classy-sync binary
#   CS_SRC       the source directory
#
# Sourcing this file turns on `set -euo pipefail`, creates a per-test
# temporary directory and installs an EXIT trap that stops the sandbox and
# removes that directory. It provides:
#
#   TEST_TMP                    per-test temporary directory (removed on exit)
#   fail MSG                    print "FAIL: MSG" (and the sandbox log tail) and exit 1
#   assert_eq ACTUAL EXPECTED MSG
#                               fail unless ACTUAL == EXPECTED (string compare)
#   lib_on_exit CMD             run CMD (eval'd) on exit, before the sandbox stops
#
#   sandbox_start [ARGS...]     start classy-sandbox with ARGS (e.g. --supporters 50)
#                               and wait for its "listening" line (no sleeps). Sets
#                               SANDBOX_URL (http://127.0.0.1:PORT), SANDBOX_PID and
#                               SANDBOX_LOG (its stderr), and exports CLASSY_API_URL,
#                               CLASSY_TOKEN_URL, CLASSY_CLIENT_ID and CLASSY_CLIENT_SECRET
#                               (the sandbox defaults, or the --client-id/--client-secret
#                               given in ARGS). One sandbox at a time.
#   sandbox_stop                SIGTERM it and wait; fails the test when it exits non-zero
#                               (under ASan that includes leaks). Called on exit anyway.
#   sandbox_token               print a fresh access token
#   sandbox_api PATH [CURL...]  GET $CLASSY_API_URL/PATH with a fresh token, print the body
#   sandbox_admin METHOD PATH   call /__sandbox/PATH (e.g. POST "mutate?org=1001&...")
#
# Everything here is deterministic: no sleeps, no polling.

set -euo pipefail

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cs-test.XXXXXX")
SANDBOX_PID=
SANDBOX_URL=
SANDBOX_LOG=
_LIB_EXIT_CMDS=()
_SANDBOX_FD=

fail() {
	echo "FAIL: $*" >&2
	if [[ -n ${SANDBOX_LOG:-} && -s ${SANDBOX_LOG} ]]; then
		echo "--- last lines of the sandbox log ($SANDBOX_LOG) ---" >&2
		tail -n 20 "$SANDBOX_LOG" >&2 || true
	fi
	exit 1
}

assert_eq() {
	local actual=$1 expected=$2 msg=${3:-values differ}
	if [[ "$actual" != "$expected" ]]; then
		fail "$msg: expected '$expected', got '$actual'"
	fi
}

lib_on_exit() {
	_LIB_EXIT_CMDS+=("$1")
}

# Picks the value of --NAME from an argument list, or prints $2 by default.
# The browser tests' screenshots show org names in Chinese and Arabic: without a font for each
# script chromium draws boxes. scripts/bootstrap installs fonts-wqy-microhei; DejaVu has Arabic.
need_shot_fonts() {
  local lang
  for lang in zh ar; do
    fc-list ":lang=$lang" family | grep -q . ||
      fail "no '$lang' font: the screenshot would show boxes for its text (run scripts/bootstrap)"
  done
}

_lib_flag() {
	local name=$1 dflt=$2
	shift 2
	while (($#)); do
		case $1 in
		--"$name") echo "${2:-}"; return ;;
		--"$name"=*) echo "${1#*=}"; return ;;
		esac
		shift
	done
	echo "$dflt"
}

sandbox_start() {
	[[ -z $SANDBOX_PID ]] || fail "sandbox_start: a sandbox is already running (pid $SANDBOX_PID)"
	local bin=${CS_SANDBOX:-}
	[[ -x $bin ]] || fail "CS_SANDBOX='$bin' is not an executable classy-sandbox"
	local fifo="$TEST_TMP/sandbox-stdout.fifo" line=""
	SANDBOX_LOG="$TEST_TMP/sandbox.log"
	rm -f "$fifo"
	mkfifo "$fifo"
	"$bin" "$@" >"$fifo" 2>>"$SANDBOX_LOG" &
	SANDBOX_PID=$!
	# Opening the read end waits for the sandbox to open its stdout; the
	# read then returns its first line, or EOF if it died first.
	exec {_SANDBOX_FD}<"$fifo"
	rm -f "$fifo"
	if ! IFS= read -r -t 300 line <&"$_SANDBOX_FD"; then
		fail "classy-sandbox did not start (args: $*)"
	fi
	[[ $line == "classy-sandbox listening on http://"* ]] ||
		fail "unexpected first line from classy-sandbox: '$line'"
	SANDBOX_URL=${line#classy-sandbox listening on }
	export CLASSY_API_URL="$SANDBOX_URL/2.0"
	export CLASSY_TOKEN_URL="$SANDBOX_URL/oauth2/auth"
	CLASSY_CLIENT_ID=$(_lib_flag client-id sandbox-client "$@")
	CLASSY_CLIENT_SECRET=$(_lib_flag client-secret sandbox-secret "$@")
	export CLASSY_CLIENT_ID CLASSY_CLIENT_SECRET
}

# Stops the sandbox; returns its exit status instead of failing when $1 is "quiet".
_sandbox_stop() {
	[[ -n $SANDBOX_PID ]] || return 0
	local pid=$SANDBOX_PID rc=0
	SANDBOX_PID=
	kill -TERM "$pid" 2>/dev/null || true
	# bounded: a sandbox that does not stop fails the test naming it, instead
	# of hanging until ctest's timeout (tail --pid waits without polling)
	timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null || true
	if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
		echo "classy-sandbox (pid $pid) did not stop within 30 s of SIGTERM; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	if [[ -n $_SANDBOX_FD ]]; then
		exec {_SANDBOX_FD}<&-
		_SANDBOX_FD=
	fi
	return "$rc"
}

sandbox_stop() {
	local rc=0
	_sandbox_stop || rc=$?
	((rc == 0)) || fail "classy-sandbox exited with status $rc"
}

sandbox_token() {
	curl -sS --fail -d grant_type=client_credentials \
		--data-urlencode "client_id=$CLASSY_CLIENT_ID" \
		--data-urlencode "client_secret=$CLASSY_CLIENT_SECRET" \
		"$CLASSY_TOKEN_URL" | jq -er .access_token
}

sandbox_api() {
	local path=$1 token
	shift
	token=$(sandbox_token)
	curl -sS -H "Authorization: Bearer $token" "$@" "$CLASSY_API_URL/$path"
}

sandbox_admin() {
	curl -sS --fail -X "$1" "$SANDBOX_URL/__sandbox/$2"
}

_lib_exit() {
	local rc=$? cmd
	trap - EXIT
	for cmd in "${_LIB_EXIT_CMDS[@]}"; do
		eval "$cmd" || true
	done
	local src=0
	_sandbox_stop || src=$?
	if ((src != 0)); then
		echo "FAIL: classy-sandbox exited with status $src" >&2
		[[ -s $SANDBOX_LOG ]] && tail -n 40 "$SANDBOX_LOG" >&2
		((rc != 0)) || rc=1
	fi
	rm -rf "$TEST_TMP"
	exit "$rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT TERM
