#!/usr/bin/env bash
# backends: all
# Two processes that sync into one database with one API application share
# its request budget through the database (rate_slots): the sandbox sees no
# more requests than one budget allows (budget.sh says how a rate is judged),
# and no 429. Two syncs of two orgs run at once (on SQLite with
# CLASSY_RATE_LIMIT_SHARED=1, the server products share by default); alone,
# each would pace to the whole allowance and the seconds they share would
# see twice as many.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/budget.sh"
LIMIT=300 # a minute: 297 paced, 4 or 5 a second
sandbox_start --orgs 2 --supporters 700 --transactions 900 --campaigns 5 --plans 20 --ties 0 \
  --rate-limit "$LIMIT"
cs_env
# real pacing (no shortened waits), one walk per entity, the budget as the sandbox's limit
export CLASSY_SYNC_TEST_TIME_SCALE=1 CLASSY_SYNC_TEST_RANGE_RECORDS=1000000 CLASSY_RATE_LIMIT=$LIMIT
[ "$(cs_backend)" = sqlite ] && export CLASSY_RATE_LIMIT_SHARED=1
cs_ok db migrate
cs_add_org 1001
cs_add_org 1002
sandbox_admin POST reset-stats >/dev/null

for org in 1001 1002; do
  "$CS_BIN" sync all full --org "$org" >"$TEST_TMP/s$org.out" 2>"$TEST_TMP/s$org.err" </dev/null &
  eval "pid$org=$!"
done
wait "$pid1001" || fail "the sync of 1001 failed: $(cat "$TEST_TMP/s1001.err")"
wait "$pid1002" || fail "the sync of 1002 failed: $(cat "$TEST_TMP/s1002.err")"
for org in 1001 1002; do
  for e in supporters transactions campaigns recurring-plans; do assert_matches_sandbox "$org" "$e"; done
done

# the two ran at the same time (otherwise the limit below proves nothing); SQLite keeps
# times as text, with or without milliseconds: compared as times
ts=; [ "$(cs_backend)" = sqlite ] && ts=julianday
overlap=$(db "SELECT COUNT(*) FROM sync_runs a JOIN sync_runs b ON a.organization_id = 1001
  AND b.organization_id = 1002 AND a.entity = 'transactions' AND b.entity = 'transactions'
  WHERE $ts(a.started_at) < $ts(b.finished_at) AND $ts(b.started_at) < $ts(a.finished_at)")
assert_eq "$overlap" 1 "the two syncs' transactions runs overlapped"
budget_check "$LIMIT" 0
budget_all_shared "$LIMIT"
grep -q "shared request reservation failed" "$TEST_TMP"/s*.err && fail "a reservation failed: $(cat "$TEST_TMP"/s*.err)"
echo ok
