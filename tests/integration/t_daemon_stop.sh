#!/usr/bin/env bash
# `daemon stop` while a sync is mid-page: the page in flight commits or rolls
# back, the runs are recorded as interrupted (not failed), nothing is left
# running, and a later sync brings the data to exactly the sandbox's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 2000 --latency-ms 250
cs_add_org 1001
# supporters first and alone, so it is the job in flight
dm_config '{"syncIntervals":{"supporters":1000,"transactions":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000},"maxConcurrentJobs":1}'
dm_start
pid=$(cat "$(dm_pidfile)")
wait_for "[ \$(dm_jq '[.jobs[] | select(.kind==\"supporters\" and .progress.records > 0)] | length') = 1 ]" 30

cs daemon stop --timeout 30
assert_eq "$RC" 0 "stop exit code"
grep -q "daemon stopped (pid $pid)" "$OUT" || fail "stop output: $(cat "$OUT")"
[ ! -e "$(dm_pidfile)" ] || fail "pidfile left after stop"
dm_alive "$pid" && fail "daemon still alive after stop"
assert_eq "$(dm_runs "entity='supporters' AND status='interrupted'")" 1 "interrupted supporters run"
assert_eq "$(dm_runs "status IN ('running','failed')")" 0 "running or failed runs after stop"
assert_eq "$(db "SELECT COUNT(*) FROM sync_leases")" 0 "leases left after stop"
got=$(db "SELECT COUNT(*) FROM supporters")
[ "$got" -gt 0 ] && [ "$got" -lt 2000 ] || fail "expected a partial supporters table, got $got rows"
grep -q "stopping: waiting for 1 running job" "$(dm_log)" || fail "no stopping line in the log"

# resume: the next sync continues and the data equals the source
sandbox_admin POST "knobs?latency_ms=0" >/dev/null
cs_ok sync supporters
assert_matches_sandbox 1001 supporters
echo "ok"
