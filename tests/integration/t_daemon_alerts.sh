#!/usr/bin/env bash
# Alerts: Classy fails every request -> job_failed and, after 2 in a row,
# consecutive_failures; no success for staleFactor x interval -> stale; the
# periodic health check critical -> health_critical. Each
# condition is sent once (cooldown), a failing webhook delays nothing, and
# when Classy recovers each condition gets exactly one resolved message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 20
cs_add_org 1001
export ALERT_WEBHOOK_URL="$SANDBOX_URL/__sandbox/webhook" ALERT_ALLOW_HTTP=1
posts() { curl -sf "$SANDBOX_URL/__sandbox/webhook"; }
count() { posts | jq "[.posts[] | select($1)] | length"; }

# only supporters matters here; the others run rarely
dm_config '{"syncIntervals":{"supporters":1000,"transactions":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000},
  "alerts":{"consecutiveFailures":2,"cooldown":600000,"staleFactor":2},
  "healthCheck":{"interval":1000}}'
sandbox_admin POST "knobs?fail_rate=1" >/dev/null
# the first two posts fail: the alerter retries, syncing goes on
sandbox_admin POST "webhook/fail?n=2" >/dev/null
dm_start
S='.condition=="job_failed:1001:supporters"'
C='.condition=="consecutive_failures:1001:supporters"'
T='.condition=="stale:1001:supporters"'
wait_for "[ \$(count '$S') -ge 1 ] && [ \$(count '$C') -ge 1 ] && [ \$(count '$T') -ge 1 ]" 40
# keep failing for a few more runs: the cooldown holds every condition to one message
n=$(dm_runs "entity='supporters' AND status='failed'")
wait_for "[ \$(dm_runs \"entity='supporters' AND status='failed'\") -ge $((n + 3)) ]"
for c in "$S" "$C" "$T"; do
  assert_eq "$(count "$c and .status==\"firing\"")" 1 "firing messages for $c"
done
p=$(posts | jq -c "[.posts[] | select($C)][0]")
assert_eq "$(jq -r .event <<<"$p")" consecutive_failures "event"
assert_eq "$(jq -r .org <<<"$p")" 1001 "org"
assert_eq "$(jq -r .entity <<<"$p")" supporters "entity"
assert_eq "$(jq -r '.attachments[0].color' <<<"$p")" danger "color"
jq -e '.text | test("supporters") and test("1001")' <<<"$p" >/dev/null || fail "text: $p"
jq -e '[.attachments[0].fields[].title] | index("org") != null and index("event") != null' \
  <<<"$p" >/dev/null || fail "fields: $p"
assert_eq "$(posts | jq -r "[.posts[] | select($T)][0].attachments[0].color")" warning "stale color"
# the periodic health check goes critical (every run fails): one message, naming why
H='.condition=="health_critical::"'
wait_for "[ \$(count '$H') -ge 1 ]" 20
assert_eq "$(count "$H and .status==\"firing\"")" 1 "health_critical fired once"
jq -e '.detail | test("errors|1001")' <<<"$(posts | jq -c "[.posts[] | select($H)][0]")" >/dev/null ||
  fail "health_critical detail: $(posts | jq -c "[.posts[] | select($H)][0]")"
# failed runs are failed, never interrupted, and the daemon kept going
dm_alive "$(cat "$(dm_pidfile)")" || fail "daemon died"

# recovery: one resolved message per condition
sandbox_admin POST "knobs?fail_rate=0" >/dev/null
wait_for "[ \$(count '$S and .status==\"resolved\"') = 1 ] && [ \$(count '$C and .status==\"resolved\"') = 1 ] && [ \$(count '$T and .status==\"resolved\"') = 1 ]" 40
n=$(dm_runs "entity='supporters' AND status='success'")
wait_for "[ \$(dm_runs \"entity='supporters' AND status='success'\") -ge $((n + 2)) ]"
for c in "$S" "$C" "$T"; do
  assert_eq "$(count "$c and .status==\"resolved\"")" 1 "resolved messages for $c"
  assert_eq "$(count "$c and .status==\"firing\"")" 1 "firing messages for $c after recovery"
done
assert_eq "$(posts | jq -r "[.posts[] | select($S and .status==\"resolved\")][0].attachments[0].color")" \
  good "resolved color"
assert_eq "$(db "SELECT state FROM alerts WHERE key='stale:1001:supporters'")" resolved "record"
cs_ok daemon stop
echo "ok"
