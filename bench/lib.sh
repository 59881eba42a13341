# Helpers shared by bench/run and bench/ceiling (sourced, not run). They use
# $sandbox_pid (the sandbox started by the caller), $SB_URL, $BIN and $RUN_DIR,
# and install the EXIT trap that stops the sandbox.
sandbox_pid=
cleanup() {
	[ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (up to $3 s) for a line matching ERE $2 in file $1 while the sandbox lives.
wait_for_line() {
	local deadline=$((SECONDS + $3)) line
	while [ $SECONDS -lt $deadline ]; do
		line=$(grep -a -m1 -E "$2" "$1" 2>/dev/null) && { printf '%s\n' "$line"; return 0; }
		kill -0 "$sandbox_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Percent of the machine's CPU busy over $1 seconds (everything, from /proc/stat):
# other work on the box skews wall-clock figures on a small machine.
machine_busy() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		busy = y[1] - x[1]; idle = y[2] - x[2];
		printf "%.1f\n", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
}

# CPU seconds (user+sys) the sandbox has used so far, from /proc.
sandbox_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
		"/proc/$sandbox_pid/stat"
}

# The sandbox's request counters ({requests, list_requests, token_requests,
# by_path}) since the last reset; "null" when the endpoint is not available.
sandbox_stats() {
	curl -sf "$SB_URL/__sandbox/stats" 2>/dev/null | jq -c . 2>/dev/null || echo null
}
# b - a for two stats snapshots (counters never reset here, so deltas are exact).
stats_delta() {
	jq -nc --argjson a "$1" --argjson b "$2" '
		if $a == null or $b == null then null else
		{requests: ($b.requests - $a.requests), list_requests: ($b.list_requests - $a.list_requests),
		 token_requests: ($b.token_requests - $a.token_requests),
		 by_path: ($b.by_path | with_entries(.value -= ($a.by_path[.key] // 0)) | with_entries(select(.value > 0)))}
		end'
}

# Parses the sync summary printed by classy-sync into JSON:
# {"entities": {name: {records, pages, requests, retries, status}}, "records", "requests"}
parse_summary() {
	awk '
	BEGIN { printf "{\"entities\":{" }
	/^  [a-z_-]+ +(success|partial|failed|interrupted|running) / {
		printf "%s\"%s\":{\"status\":\"%s\",\"records\":%s,\"pages\":%s,\"requests\":%s,\"retries\":%s,\"seconds\":%s}",
			sep, $1, $2, $3, $4, $5, $6, $7; sep = ","
	}
	/^total: / { r = $2; q = $4; t = $6 }
	END { printf "},\"records\":%d,\"requests\":%d,\"seconds\":%s}\n", r, q, t + 0 }' "$1"
}

# GNU time -v fields.
time_field() { awk -F': ' -v k="$2" 'index($0, k) { v = $NF } END { print v }' "$1"; }

# timed NAME CMD...: runs classy-sync under /usr/bin/time -v; sets WALL (s).
timed() {
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -v -o "$RUN_DIR/$name.time" "$BIN" "$@" >"$RUN_DIR/$name.out" 2>"$RUN_DIR/$name.err"; then
		echo "bench: 'classy-sync $*' failed; last lines:" >&2
		tail -20 "$RUN_DIR/$name.out" "$RUN_DIR/$name.err" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

