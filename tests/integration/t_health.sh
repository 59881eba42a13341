#!/usr/bin/env bash
# backends: all
# `classy-sync health`: the exit codes (0 healthy, 1 warning, 2 critical or
# usage), the --json schema, --detailed live checks against the sandbox
# (good and bad credentials), and --watch quitting on q and on SIGTERM.
# The daemon is played by a status file naming this shell's pid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"

sandbox_start --orgs 2 --supporters 40 --transactions 80 --plans 5
cs_env
cs_add_org 1001
cs_ok sync all

ago() { date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%SZ; }
# pid heartbeat: the contract of the daemon status file (DB_PATH + .daemon.json)
daemon_file() {
  printf '{"pid": %s, "started_at": "%s", "heartbeat_at": "%s", "restarts": 0}\n' \
    "$1" "$(ago 60)" "$2" >"$DB_PATH.daemon.json"
}
show() { echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"; }
expect_rc() { # CODE MSG ARGS...
  local want=$1 msg=$2; shift 2
  cs health "$@"
  [ "$RC" -eq "$want" ] || { show; fail "$msg: health $* exited $RC, expected $want"; }
}
level_of() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | .status' "$OUT"; }

# All healthy: fresh syncs, a live daemon with a fresh heartbeat.
daemon_file $$ "$(utc_now)"
expect_rc 0 "all healthy"
grep -q "running, pid $$" "$OUT" || { show; fail "daemon line missing"; }

# No daemon: a warning that points at cron.
rm "$DB_PATH.daemon.json"
expect_rc 1 "no daemon"
grep -q "daemon .*warning.*cron" "$OUT" || { show; fail "daemon warning does not mention cron"; }
daemon_file $$ "$(utc_now)"

# A stale entity: supporters (interval 30 min) last succeeded 70 min ago.
db "UPDATE sync_runs SET started_at = '$(ago 71)', finished_at = '$(ago 70)'
    WHERE entity = 'supporters'"
expect_rc 1 "stale supporters" --json
assert_eq "$(level_of 1001/supporters)" warning "supporters freshness"
assert_eq "$(level_of 1001/campaigns)" healthy "campaigns freshness"
cs health freshness --detailed
grep -q "classy-sync sync supporters --org 1001" "$OUT" || { show; fail "no recommendation"; }
cs_ok sync supporters

# Critical: a stale daemon heartbeat, then a high error rate.
daemon_file $$ "$(ago 10)"
expect_rc 2 "stale heartbeat" daemon
grep -q "heartbeat is 10 min old" "$OUT" || { show; fail "heartbeat message"; }
daemon_file $$ "$(utc_now)"
expect_rc 0 "recovered"
for i in 1 2 3 4 5 6; do
  db "INSERT INTO sync_runs (organization_id, entity, mode, started_at, finished_at, status,
      error) VALUES (1001, 'campaigns', 'incremental', '$(utc_now)', '$(utc_now)', 'failed',
      'HTTP 500 from the API')"
done
expect_rc 2 "error rate" --json
assert_eq "$(jq -r '.checks[] | select(.component == "errors") | .status' "$OUT")" critical \
  "error rate check"
db "DELETE FROM sync_runs WHERE status = 'failed'"

# The JSON schema (README "health --json").
expect_rc 0 "json" --json
jq -e '(.status == "healthy") and (.checked_at | test("^[0-9-]+T[0-9:]+Z$"))
  and (.duration_ms | type == "number") and (.checks | length > 5)
  and all(.checks[]; (keys - ["component", "name", "status", "message", "duration_ms"]) == []
      and (.status | IN("healthy", "warning", "critical")))' "$OUT" >/dev/null \
  || { show; fail "--json does not follow the schema"; }
for c in database daemon org freshness errors plugin; do
  jq -e --arg c "$c" 'any(.checks[]; .component == $c)' "$OUT" >/dev/null \
    || fail "no '$c' check in --json"
done

# Usage: an unknown component is exit 2 with a clear message.
expect_rc 2 "unknown component" nosuch
grep -q "unknown component 'nosuch' (known: database, daemon" "$ERR" || { show; fail "usage message"; }
expect_rc 2 "unknown org" org:4242
grep -q "organization 4242 is not registered" "$ERR" || { show; fail "unknown org message"; }

# --detailed: token fetch and API GET, healthy with the right secret ...
expect_rc 0 "detailed" org:1001 --detailed --json
assert_eq "$(level_of org:1001/api)" healthy "live check of org 1001"
jq -r '.checks[] | select(.name == "org:1001/api") | .message' "$OUT" | grep -q "X-RateLimit-Remaining" \
  || { show; fail "rate limit not reported"; }
jq -e 'all(.checks[]; has("recommendation"))' "$OUT" >/dev/null || fail "--detailed without recommendation"
# ... and critical naming the org with a wrong one.
CLASSY_CLIENT_SECRET=wrong-secret "$CS_BIN" org add --org-id 1002 --client-id sandbox-client \
  --no-verify >/dev/null </dev/null || fail "org add --no-verify"
expect_rc 2 "bad secret" --detailed --json
assert_eq "$(level_of org:1002/api)" critical "live check of org 1002"
jq -r '.checks[] | select(.name == "org:1002/api") | .message' "$OUT" | grep -q "1002" \
  || { show; fail "the failing org is not named"; }
assert_eq "$(level_of org:1001/api)" healthy "org 1001 still healthy"
"$CS_BIN" org remove 1002 >/dev/null 2>&1 </dev/null || "$CS_BIN" org remove --org-id 1002 >/dev/null </dev/null \
  || fail "org remove 1002"

# --watch: one frame, then q on stdin quits with 0; no sleeps: wait for the frame.
watch_until_frame() { # IN-FILE
  mkfifo "$TEST_TMP/wout"
  timeout -k 5 60 "$CS_BIN" health --watch <"$1" >"$TEST_TMP/wout" 2>"$TEST_TMP/werr" &
  WPID=$!
}
read_frame() {
  exec {wout}<"$TEST_TMP/wout"
  local line frame=0
  while IFS= read -r -t 60 line <&"$wout"; do
    if [[ $line == "-- refreshing every 2 s"* ]]; then frame=1; break; fi
    [[ $line == *"health: healthy"* ]] && saw_status=1
  done
  [ "$frame" = 1 ] || fail "--watch printed no frame: $(cat "$TEST_TMP/werr")"
  [ "${saw_status:-0}" = 1 ] || fail "--watch frame has no status line"
}
mkfifo "$TEST_TMP/win"
watch_until_frame "$TEST_TMP/win"
exec {win}>"$TEST_TMP/win"
read_frame
printf q >&"$win"
wrc=0; wait "$WPID" || wrc=$?
assert_eq "$wrc" 0 "--watch exit on q"
exec {win}>&- {wout}<&-
rm -f "$TEST_TMP/wout"

# Not a TTY and stdin at EOF: it keeps refreshing until SIGTERM, then exits 0.
watch_until_frame /dev/null
read_frame
kill -TERM "$WPID"
wrc=0; wait "$WPID" || wrc=$?
assert_eq "$wrc" 0 "--watch exit on SIGTERM"
exec {wout}<&-
echo "t_health: ok"
