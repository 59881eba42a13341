#!/usr/bin/env bash
# A worker that keeps crashing: the supervisor restarts it maxRestarts times
# within the window, then gives up: the supervisor_gave_up alert reaches the
# webhook, the pidfile is removed and the daemon exits non-zero.
# CLASSY_SYNC_TEST_WORKER_CRASH=1 is a test-only hook: the worker aborts right
# after it reports ready.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 20
cs_add_org 1001
export ALERT_WEBHOOK_URL="$SANDBOX_URL/__sandbox/webhook" ALERT_ALLOW_HTTP=1
dm_config '{"autoRestart":{"maxRestarts":2,"restartDelay":50,"window":60000}}'
dm_trap
set +e
CLASSY_SYNC_TEST_WORKER_CRASH=1 LOG_LEVEL=info "$CS_BIN" daemon start --foreground \
  --config "$DM_CONFIG" >"$TEST_TMP/fg.out" 2>"$TEST_TMP/fg.err" </dev/null
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "the daemon exited 0 after giving up"
[ ! -e "$(dm_pidfile)" ] || fail "pidfile left after give-up"
assert_eq "$(grep -c 'restarting it in' "$TEST_TMP/fg.err")" 2 "restarts before giving up"
grep -q "supervisor gave up" "$TEST_TMP/fg.err" || fail "no give-up line: $(tail "$TEST_TMP/fg.err")"
posts=$(curl -sf "$SANDBOX_URL/__sandbox/webhook")
assert_eq "$(jq '[.posts[] | select(.event=="supervisor_gave_up")] | length' <<<"$posts")" 1 \
  "supervisor_gave_up alerts"
assert_eq "$(jq -r '.posts[0].status' <<<"$posts")" firing "alert status"
assert_eq "$(jq -r '.posts[0].condition' <<<"$posts")" "supervisor_gave_up::" "alert condition"
jq -e '.posts[0].text | test("classy-sync")' <<<"$posts" >/dev/null || fail "alert text: $posts"
jq -e '.posts[0].attachments[0].color == "danger"' <<<"$posts" >/dev/null || fail "color: $posts"
jq -e '.posts[0].detail | test("signal 6")' <<<"$posts" >/dev/null || fail "detail: $posts"
assert_eq "$(db "SELECT state FROM alerts WHERE key='supervisor_gave_up::'")" firing "alert record"
cs daemon status
assert_eq "$RC" 1 "status after give-up"
echo "ok"
