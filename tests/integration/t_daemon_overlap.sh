#!/usr/bin/env bash
# backends: all
# No overlap across processes: a manual sync of what the daemon is syncing is
# skipped with a message naming the daemon, the daemon skips (and logs) what a
# manual sync holds, and no org x entity ever has two runs at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 1500 --latency-ms 150
cs_add_org 1001

# 1. a manual sync holds supporters; the daemon starts and must skip it. One
# request at a time and no range splits, so it lasts the 15 pages x 150 ms it
# needs to meet the daemon.
CLASSY_CONCURRENCY=1 CLASSY_SYNC_TEST_RANGE_RECORDS=1000000 \
  "$CS_BIN" sync supporters full >"$TEST_TMP/m1.out" 2>"$TEST_TMP/m1.err" </dev/null &
manual=$!
wait_for "[ \"\$(db \"SELECT holder FROM sync_leases WHERE job='supporters'\")\" = 'manual sync' ]"
dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":1000},"maxConcurrentJobs":2}'
dm_start
pid=$(cat "$(dm_pidfile)")
wait_for "grep -q 'supporters of organization 1001 is being synced by a manual sync (pid $manual); skipped' '$(dm_log)'"
wait "$manual" || fail "the manual sync failed: $(cat "$TEST_TMP/m1.err")"

# 2. the daemon holds transactions (slow pages); a manual sync of it is
# skipped. The daemon's run may end just before the manual one asks, so try
# again (bounded) until one attempt meets a daemon run in flight.
sandbox_admin POST "knobs?latency_ms=400" >/dev/null
wpid=$(dm_jq .worker_pid)
skipped=
for attempt in 1 2 3 4 5; do
  wait_for "[ \"\$(db \"SELECT holder FROM sync_leases WHERE job='transactions'\")\" = daemon ]" 40
  cs sync transactions --org 1001
  if grep -q "transactions of organization 1001 is being synced by the daemon (pid $wpid); skipped" "$ERR"; then
    assert_eq "$RC" 1 "exit code of a sync where nothing ran"
    skipped=1
    break
  fi
done
[ -n "$skipped" ] || fail "a manual sync never met the daemon's transactions run"
sandbox_admin POST "knobs?latency_ms=150" >/dev/null
# sync all alongside: what the daemon holds is skipped, the rest runs (partial = 3)
wait_for "[ \$(dm_jq '[.jobs[] | select(.progress != null)] | length') -ge 1 ]"
cs sync all
case "$RC" in 0|3) ;; *) fail "sync all alongside the daemon exited $RC: $(cat "$ERR")" ;; esac
assert_eq "$(dm_overlaps)" 0 "overlapping runs of one org and entity"
n=$(dm_runs "status='success'")
wait_for "[ \$(dm_runs \"status='success'\") -ge $((n + 4)) ]" 40
cs_ok daemon stop
assert_eq "$(dm_overlaps)" 0 "overlapping runs of one org and entity"
assert_eq "$(db "SELECT COUNT(*) FROM sync_leases")" 0 "leases left"
echo "ok"
