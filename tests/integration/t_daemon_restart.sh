#!/usr/bin/env bash
# kill -9 of the worker: the supervisor restarts it (restart count 1) and runs
# resume; the dead worker's leases are taken over. SIGHUP reloads a valid
# config and rejects an invalid one, naming the key and keeping the old one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 500 --latency-ms 30
cs_add_org 1001
dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":1000},"autoRestart":{"restartDelay":200}}'
dm_start
pid=$(cat "$(dm_pidfile)")
wait_for "[ \$(dm_runs \"status='success'\") -ge 4 ]"
w1=$(dm_jq .worker_pid)
kill -9 "$w1"
wait_for "[ \"\$(dm_jq .restarts)\" = 1 ] && [ \"\$(dm_jq .worker_pid)\" != $w1 ]"
w2=$(dm_jq .worker_pid)
assert_eq "$(cat "$(dm_pidfile)")" "$pid" "the supervisor pid is unchanged"
dm_alive "$w2" || fail "the new worker $w2 is not running"
grep -q "worker $w1 killed by signal 9; restarting it" "$(dm_log)" || fail "no restart line in the log"
# runs resume after the restart: new successes beyond the ones before
n=$(dm_runs "status='success'")
wait_for "[ \$(dm_runs \"status='success'\") -ge $((n + 5)) ]"
cs_ok daemon status --json
assert_eq "$(jq .restarts "$OUT")" 1 "restart count in status"

# SIGHUP with a valid change: the interval of campaigns changes
dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":7000,
  "recurringPlans":1000,"plugins":1000},"autoRestart":{"restartDelay":200}}'
kill -HUP "$pid"
wait_for "[ \"\$(dm_jq '.schedule.jobs[] | select(.kind==\"campaigns\") | .interval_ms')\" = 7000 ]"
grep -q "config reloaded" "$(dm_log)" || fail "no reload line in the log"
# SIGHUP with an invalid file: rejected, the key named, the old config kept
dm_config '{"syncIntervals":{"campaigns":5},"nope":1}'
kill -HUP "$pid"
wait_for "grep -q 'reload rejected' '$(dm_log)'"
grep "reload rejected" "$(dm_log)" | grep -Eq "syncIntervals.campaigns|nope" ||
  fail "the rejection does not name the key: $(grep 'reload rejected' "$(dm_log)")"
assert_eq "$(dm_jq '.schedule.jobs[] | select(.kind=="campaigns") | .interval_ms')" 7000 \
  "interval after a rejected reload"
dm_alive "$pid" || fail "the daemon died on a bad reload"
cs_ok daemon stop
assert_eq "$(dm_runs "status IN ('running','failed')")" 0 "running or failed runs"
assert_eq "$(dm_overlaps)" 0 "overlapping runs"
echo "ok"
