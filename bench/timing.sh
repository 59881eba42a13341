# Timing helpers for the bench scripts (sourced, not run), with public tools only:
# /usr/bin/time for a whole process, curl's own time_total for one request. Each
# prints min, median and max over N runs: quote the median; a wide spread says the
# machine was busy.

# spread LABEL UNIT: min/median/max of the numbers on stdin (one per line).
spread() {
	sort -g | awk -v l="$1" -v u="$2" '{ v[NR] = $1 }
		END { if (!NR) { print l ": no runs"; exit 1 }
		      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%s: min %.3f, median %.3f, max %.3f %s (%d runs)\n", l, v[1], m, v[NR], u, NR }'
}

# time_runs N CMD...: runs CMD N times (stdout and stderr discarded) under
# /usr/bin/time; prints its wall and CPU (user + system) spreads in seconds.
time_runs() {
	local n=$1 i t
	shift
	t=$(mktemp)
	for i in $(seq "$n"); do
		/usr/bin/time -f '%e %U %S' -a -o "$t" "$@" >/dev/null 2>&1 ||
			{ echo "time_runs: '$*' failed (run $i)" >&2; rm -f "$t"; return 1; }
	done
	awk '{ print $1 }' "$t" | spread wall s
	awk '{ print $2 + $3 }' "$t" | spread cpu s
	rm -f "$t"
}

# curl_runs N URL: N GETs of URL, one curl process each; curl's time_total spread in ms
# (connecting and the whole transfer, without curl's own start-up).
curl_runs() {
	local i
	for i in $(seq "$1"); do
		curl -sf -o /dev/null -w '%{time_total}\n' "$2" || { echo "curl_runs: GET $2 failed" >&2; return 1; }
	done | awk '{ print $1 * 1000 }' | spread "GET time_total" ms
}
