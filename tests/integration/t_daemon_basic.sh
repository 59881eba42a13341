#!/usr/bin/env bash
# The daemon runs syncs periodically, refuses a second start, answers
# status/schedule quickly while syncing, rejects bad config naming the key,
# and stops cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 3000 --latency-ms 20
cs_add_org 1001

# bad config: exit 2 naming the key; nothing left running
dm_config '{"syncIntervals":{"supporters":2000,"bogus":1}}'
cs daemon start --config "$DM_CONFIG"
assert_eq "$RC" 2 "unknown key exit code"
grep -q "syncIntervals.bogus" "$ERR" || fail "the error does not name the key: $(cat "$ERR")"
[ ! -s "$(dm_pidfile)" ] || fail "a pidfile was left by a refused start"
cs daemon status --json
assert_eq "$RC" 1 "status exit code when not running"
assert_eq "$(jq -r .running "$OUT")" false "status --json when not running"

dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":1000},"maxConcurrentJobs":2,"healthCheck":{"interval":1000}}'
dm_start
pid=$(cat "$(dm_pidfile)")
grep -q "daemon started (pid $pid)" "$OUT" || fail "start output: $(cat "$OUT")"

# a second start is refused with the running pid
cs daemon start --config "$DM_CONFIG"
assert_eq "$RC" 1 "second start exit code"
grep -q "already running (pid $pid)" "$ERR" || fail "second start: $(cat "$ERR")"

# periodic runs: every entity runs at least three times
for e in campaigns supporters transactions recurring_plans; do
  wait_for "[ \$(dm_runs \"entity='$e' AND status='success'\") -ge 3 ]" 40
done

# an organization registered while the daemon runs joins the timetable without a SIGHUP
cs_add_org 1002
wait_for "[ \$(dm_runs \"organization_id=1002 AND status='success'\") -ge 1 ]" 40

# status and schedule under load: a full sync of a slow API is running
"$CS_BIN" sync all full >/dev/null 2>&1 </dev/null &
load=$!
wait_for "[ \$(dm_jq '[.jobs[] | select(.progress != null)] | length') -ge 1 ]" 20
max=0
for i in 1 2 3 4 5; do
  for c in "daemon status" "daemon status --json" "daemon schedule" "daemon schedule --json"; do
    # shellcheck disable=SC2086
    ms=$(dm_time_ms "$CS_BIN" $c)
    [ "$ms" -gt "$max" ] && max=$ms
  done
done
echo "status/schedule latency under load: max ${max} ms (measured, not asserted: see make bench)"
# They answer fast because they never open the database (a sync may hold its
# write lock for a while): prove that, not a time, which a loaded CI machine
# would break.
for c in "daemon status" "daemon status --json" "daemon schedule" "daemon schedule --json"; do
  # shellcheck disable=SC2086
  # LeakSanitizer stops the world with ptrace, which a traced process cannot
  # do: leaks are checked by every other run of these commands.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=open,openat -o "$TEST_TMP/strace.out" "$CS_BIN" $c \
    >/dev/null 2>"$TEST_TMP/strace.err" ||
    fail "'$c' failed under strace: $(tail -5 "$TEST_TMP/strace.err")"
  grep -E "\"$DB_PATH(-wal|-shm|-journal)?\"" "$TEST_TMP/strace.out" &&
    fail "'$c' opened the database"
done
wait "$load" || true

cs daemon status --json
assert_eq "$RC" 0 "status exit code"
assert_eq "$(jq -r .running "$OUT")" true "running"
assert_eq "$(jq -r .pid "$OUT")" "$pid" "status pid"
assert_eq "$(jq -r .restarts "$OUT")" 0 "restarts"
assert_eq "$(jq -r .config_file "$OUT")" "$(realpath "$DM_CONFIG")" "config file"
assert_eq "$(jq '.jobs | length' "$OUT")" 10 "jobs in status (2 orgs x 5)"
[ "$(jq '.heartbeat_age_ms' "$OUT")" -lt 10000 ] || fail "stale heartbeat: $(cat "$OUT")"
jq -e '.jobs[] | select(.kind=="supporters") | (.last.status != null) and (.next_run != null or .running)' \
  "$OUT" >/dev/null ||
  fail "supporters has no last result or next run: $(cat "$OUT")"
cs_ok daemon status
grep -q "^daemon: running (pid $pid" "$OUT" || fail "status text: $(cat "$OUT")"
cs_ok daemon schedule --json
assert_eq "$(jq '.jobs | length' "$OUT")" 10 "jobs in schedule (2 orgs x 5)"
assert_eq "$(jq -r '.jobs[] | select(.kind=="campaigns" and .org == 1001) | .interval_ms' "$OUT")" 1000 "interval"
cs_ok daemon schedule
grep -q "recurring_plans" "$OUT" || fail "schedule text: $(cat "$OUT")"

# health reads the same status file: the daemon is healthy while it runs
cs health daemon --json
assert_eq "$(jq -r '.checks[0].status' "$OUT")" healthy "health sees the daemon: $(cat "$OUT")"
assert_eq "$RC" 0 "health daemon exit code"

cs_ok daemon stop
[ ! -e "$(dm_pidfile)" ] || fail "the pidfile is still there after stop"
dm_alive "$pid" && fail "the supervisor still runs after stop"
assert_eq "$(dm_runs "status='running'")" 0 "runs left running"
assert_eq "$(dm_overlaps)" 0 "overlapping runs"
cs daemon stop
assert_eq "$RC" 0 "stop when not running"
cs health daemon --json
assert_eq "$RC" 1 "health warns when no daemon runs: $(jq -c .checks "$OUT")"
echo "ok"
