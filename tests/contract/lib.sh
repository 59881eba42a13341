# Shared by the contract tests (run: Classy, mailchimp: Mailchimp): result
# counting, waiting for a log line, Prism's installation, and the check that
# every request passed Prism's validation. Source after setting HERE, WORK,
# TIMEOUT and SPEC; it starts nothing.

passed=0 failed=0
pids=()
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
note() { printf '      %s\n' "$@"; }
summary() { printf 'contract: %d passed, %d failed\n' "$passed" "$failed"; }
# A setup step that cannot go on: count it, print the summary, stop.
fatal() {
	bad "$@"
	summary
	exit 1
}
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "${CONTRACT_KEEP:-0}" = 1 ] || [ "$failed" -gt 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until file $1 has a line matching $2 (ERE) while process $3 lives;
# prints the first matching line.
wait_for_line() {
	local file=$1 re=$2 pid=$3 line rc fd
	# tail follows the log as it grows and grep stops at the first match: no polling.
	# tail ends by itself when $pid exits or the timeout passes.
	exec {fd}< <(exec timeout "$TIMEOUT" tail -n +1 --pid="$pid" -f "$file" 2>/dev/null)
	line=$(grep -a -m1 -E "$re" <&"$fd")
	rc=$?
	exec {fd}<&-
	[ "$rc" -eq 0 ] && printf '%s\n' "$line"
	return "$rc"
}
strip_ansi() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g'; }

# ---- prerequisites ---------------------------------------------------------
# The vendor's document is not part of the project: a clone with nothing beside
# it has none. That is a skip, said loudly, not a failure.
if [ ! -r "$SPEC" ]; then
	printf 'SKIPPED  tests/contract/%s: the OpenAPI document is not at %s.\n' "$(basename "$0")" "$SPEC"
	printf '         To run it, set CLASSY_SYNC_SPEC_DIR to the directory holding %s.\n' "$(basename "$SPEC")"
	summary
	trap - EXIT
	exit 0
fi
for t in jq sqlite3 curl; do
	command -v "$t" >/dev/null || fatal "prerequisite: '$t' is not installed (run scripts/bootstrap)"
done
[ -x "$BIN" ] || fatal "prerequisite: $BIN is not built (run make)"
[ -x "$SANDBOX" ] || fatal "prerequisite: $SANDBOX is not built (run make)"

# ---- Prism: install when node_modules is missing or stale ------------------
# (a test that needs no mock, such as schema, sets CONTRACT_NO_PRISM=1)
PRISM=$HERE/node_modules/.bin/prism
STAMP=$HERE/node_modules/.classy-sync-lock
if [ "${CONTRACT_NO_PRISM:-0}" = 1 ]; then
	: # no Prism wanted
elif [ ! -x "$PRISM" ] || ! cmp -s "$HERE/package-lock.json" "$STAMP"; then
	command -v npm >/dev/null ||
		fatal "prism: npm is not installed, so @stoplight/prism-cli cannot be installed (apt-get install nodejs npm)"
	echo "contract: installing @stoplight/prism-cli with npm ci (tests/contract/node_modules)"
	if ! npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error >"$HERE/npm-ci.log" 2>&1; then
		cat "$HERE/npm-ci.log" >&2
		fatal "prism: 'npm ci --prefix tests/contract' failed (is the npm registry reachable?); see above"
	fi
	rm -f "$HERE/npm-ci.log"
	cp "$HERE/package-lock.json" "$STAMP"
fi
if [ "${CONTRACT_NO_PRISM:-0}" != 1 ]; then
	[ -x "$PRISM" ] || fatal "prism: $PRISM is missing after npm ci"
	PRISM_VERSION=$(jq -r .version "$HERE/node_modules/@stoplight/prism-cli/package.json" 2>/dev/null)
fi


# check_requests LOG [EXEMPT]: every request in the Prism log excerpt LOG
# passed validation (prints the offending ones); sets $requests to how many
# there were. EXEMPT is an ERE of violations that are defects of the document
# itself, explained by the caller: they are counted and noted, not failed
# (the generic "did not pass" line then no longer counts on its own).
check_requests() {
	local log=$1 exempt=${2:-}
	requests=$(grep -ac 'Request received' "$log")
	grep -aE 'did not pass the validation|Violation: request|\[VALIDATOR\] .*(error|warning)|terminated with error|NO_PATH_MATCHED|Route not resolved' \
		"$log" >"$WORK/violations-all.txt"
	if [ -n "$exempt" ]; then
		grep -aE "$exempt" "$WORK/violations-all.txt" >"$WORK/violations-exempt.txt"
		grep -avE "$exempt|did not pass the validation rules" "$WORK/violations-all.txt" >"$WORK/violations.txt"
		[ -s "$WORK/violations-exempt.txt" ] &&
			note "$(grep -ac 'Violation:' "$WORK/violations-exempt.txt") violation(s) exempted as defects of the document (see the script)"
	else
		cp "$WORK/violations-all.txt" "$WORK/violations.txt"
	fi
	if [ "$requests" -gt 0 ] && [ ! -s "$WORK/violations.txt" ]; then
		ok "all $requests requests classy-sync sent to Prism passed validation against the document"
		return 0
	fi
	bad "requests valid against the document: $requests requests, $(wc -l <"$WORK/violations.txt") violation line(s)"
	# Print each offending request followed by its violations.
	grep -aE 'Request received|did not pass|Violation: request|\[VALIDATOR\] .*(error|warning)|terminated with error' \
		"$log" | { if [ -n "$exempt" ]; then grep -avE "$exempt"; else cat; fi; } |
		awk '/Request received/ { req = $0; shown = 0; next }
		     { if (!shown) { print "      " req; shown = 1 } print "        " $0 }' |
		sed 's/^\(      *\)\[[0-9:]* [AP]M\] › */\1/' | head -60
}
