#!/usr/bin/env bash
# backends: all
# Several daemons, one database (issue 9, scale-out): three daemons, each as
# on a machine of its own (its own HOME, state files and host name; the same
# database and master key), share 20 organizations of one API application
# while the source changes. One dies by kill -9 holding leases; its jobs are
# taken over once those leases expire, and not before. At the end the mirror
# equals the sandbox, no two runs of one org x entity overlapped, and the
# sandbox never saw more requests than one budget allows (budget.sh), nor a
# 429: the three shared the budget through the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/budget.sh"
if [ "$(cs_backend)" = sqlite ]; then
  echo "SKIPPED on sqlite: workers on several machines share a server database" \
    "(t_daemon_overlap and t_budget_shared cover several processes on one SQLite file)"
  exit 77
fi
ORGS=20 SUP=100 LIMIT=600 TTL=4 KILL_PAGE=20
sandbox_start --orgs "$ORGS" --supporters "$SUP" --transactions 100 --campaigns 5 --plans 20 \
  --rate-limit "$LIMIT" --mutate-every 2
cs_env
# real pacing and waits; leases that lapse 4 s after their holder dies
export CLASSY_SYNC_TEST_TIME_SCALE=1 CLASSY_RATE_LIMIT=$LIMIT CLASSY_SYNC_LEASE_TTL=$TTL
cs_ok db migrate
orgs=$(seq 1001 $((1000 + ORGS)) | paste -sd' ')
cs_add_org 1001 # makes the master key; the others at once
adds=()
for o in ${orgs#1001 }; do cs_add_org "$o" & adds+=($!); done
for p in "${adds[@]}"; do wait "$p" || fail "org add failed"; done
sandbox_admin POST reset-stats >/dev/null
jobs=$((ORGS * 4))

dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":60000},"maxConcurrentJobs":8,"nightlyFullSync":null,
  "autoRestart":{"enabled":false}}'

# worker N: its own HOME, state files (DB_PATH names them on a server backend) and host
wk() {
  local n=$1
  shift
  HOME="$TEST_TMP/w$n" DB_PATH="$TEST_TMP/w$n/state.db" CLASSY_SYNC_HOST="worker-$n" "$@"
}
wk_pid() { cat "$TEST_TMP/w$1/state.db.daemon.pid" 2>/dev/null; }
wk_stop() { wk "$1" "$CS_BIN" daemon stop --timeout 30 >/dev/null 2>&1 </dev/null; }
wk_cleanup() {
  local n p
  for n in 1 2 3; do
    p=$(wk_pid "$n" || true)
    wk_stop "$n" || true
    [ -n "$p" ] && dm_alive "$p" && kill -9 "$p" 2>/dev/null
  done
  return 0
}
lib_on_exit wk_cleanup
lib_on_exit '[ "${DM_SHOW_LOG:-}" ] && tail -n 30 "$TEST_TMP"/w*/state.db.daemon.log >&2; true'

# Worker 2 dies (its worker and its supervisor, kill -9) just before storing
# the 20th page of its process: with leases held, at no moment a sleep chose.
hook="date +%s%3N >'$TEST_TMP/killed_at'; kill -9 \$PPID \$(cat '$TEST_TMP/w2/state.db.daemon.pid')"
for n in 1 2 3; do
  mkdir -p "$TEST_TMP/w$n"
  extra=()
  [ "$n" = 2 ] && extra=(CLASSY_SYNC_TEST_PAGE_HOOK="$KILL_PAGE:$hook")
  wk "$n" env "${extra[@]}" LOG_LEVEL=info "$CS_BIN" daemon start --config "$DM_CONFIG" \
    >"$TEST_TMP/start$n.out" 2>&1 </dev/null || fail "worker $n did not start: $(cat "$TEST_TMP/start$n.out")"
done
w2=$(wk_pid 2)
w2_worker=$(jq -r .worker_pid "$TEST_TMP/w2/state.db.daemon.json")

# ---- worker 2 dies holding leases ----
wait_for "[ -s '$TEST_TMP/killed_at' ] && ! dm_alive $w2 && ! dm_alive $w2_worker" 60
killed_at=$(cat "$TEST_TMP/killed_at")
# its leases as it left them (read at once: none can be taken before it expires)
db "SELECT organization_id, job, expires_at FROM sync_leases WHERE host = 'worker-2'
    AND expires_at > $killed_at AND job <> 'plugins'" >"$TEST_TMP/dead_leases"
held=$(wc -l <"$TEST_TMP/dead_leases")
[ "$held" -ge 1 ] || fail "worker 2 held no lease when it died"
echo "T+$SECONDS worker 2 died at $killed_at holding $held lease(s): $(tr '\n' ' ' <"$TEST_TMP/dead_leases")"

# ---- the others take its jobs over once the leases expire ----
# the first run of that org x job on another host after the kill: started after the expiry
ms_sql() { # a time column as ms since the epoch
  case $(cs_backend) in
  postgresql) echo "(EXTRACT(EPOCH FROM $1) * 1000)::bigint" ;;
  mysql) echo "CAST(UNIX_TIMESTAMP($1) * 1000 AS SIGNED)" ;;
  esac
}
while IFS='|' read -r org job expires; do
  q="SELECT $(ms_sql started_at) FROM sync_runs WHERE organization_id = $org AND entity = '$job'
     AND host <> 'worker-2' AND $(ms_sql started_at) > $killed_at ORDER BY id LIMIT 1"
  wait_for "[ -n \"\$(db \"$q\")\" ]" 60
  took=$(db "$q")
  [ "$took" -ge "$expires" ] ||
    fail "$job of $org was taken over at $took, before worker 2's lease expired at $expires"
  wait_for "[ \$(dm_runs \"organization_id = $org AND entity = '$job' AND status = 'success'
    AND host <> 'worker-2' AND id > (SELECT MAX(id) FROM sync_runs r WHERE r.host = 'worker-2')\") -ge 1 ]" 60
done <"$TEST_TMP/dead_leases"

echo "T+$SECONDS taken over"
# ---- the source goes quiet once it changed under the syncs; then every org x entity
# syncs once more ----
wait_for "[ \$(curl -sf '$SANDBOX_URL/__sandbox/dump?org=1001&entity=supporters' | jq length) -gt $SUP ]" 60
sandbox_admin POST "knobs?mutate_every=0" >/dev/null
quiet=$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%S.%3NZ)
wait_for "[ \$(db \"SELECT COUNT(*) FROM (SELECT DISTINCT organization_id, entity FROM sync_runs
  WHERE status = 'success' AND started_at > '$quiet') x\") -eq $jobs ]" 120
echo "T+$SECONDS quiet pass done"
wk_stop 1 || fail "worker 1 did not stop"
wk_stop 3 || fail "worker 3 did not stop"

# ---- the mirror, the runs, the rate ----
for e in supporters transactions campaigns recurring-plans; do assert_matches_sandbox "$orgs" "$e"; done
echo "T+$SECONDS mirror checked"
assert_eq "$(dm_overlaps)" 0 "overlapping runs of one org and entity"
assert_eq "$(dm_runs "status = 'running'")" 0 "runs left running"
# what worker 2 left running was closed as interrupted, naming it, and only runs whose
# lease had lapsed (their takeover was checked above)
db "SELECT organization_id, entity FROM sync_runs WHERE host = 'worker-2' AND status <> 'success'
    AND error LIKE 'the worker on host worker-2 (pid $w2_worker) stopped renewing its lease%'" \
  | sort >"$TEST_TMP/dead_runs"
[ -s "$TEST_TMP/dead_runs" ] || fail "no run of worker 2 was closed as interrupted: $(db "SELECT id,
  organization_id, entity, status, error FROM sync_runs WHERE host = 'worker-2' AND status <> 'success'")"
assert_eq "$(dm_runs "host = 'worker-2' AND status <> 'success'")" "$(wc -l <"$TEST_TMP/dead_runs")" \
  "worker 2's unfinished runs closed as interrupted"
cut -d'|' -f1,2 "$TEST_TMP/dead_leases" | sort >"$TEST_TMP/dead_jobs"
[ -z "$(comm -23 "$TEST_TMP/dead_runs" "$TEST_TMP/dead_jobs")" ] ||
  fail "runs of worker 2 closed without its lease lapsing: $(comm -23 "$TEST_TMP/dead_runs" "$TEST_TMP/dead_jobs")"
for n in 1 2 3; do
  [ "$(dm_runs "host = 'worker-$n' AND status = 'success'")" -ge 1 ] || fail "worker $n ran nothing"
done
echo "runs by host: $(db "SELECT host, COUNT(*) FROM sync_runs GROUP BY host ORDER BY host" | tr '\n' ' ')"
budget_check "$LIMIT" 0
budget_all_shared "$LIMIT"
echo ok
