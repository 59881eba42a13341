#!/usr/bin/env bash
# Absurd amounts and failing steps (issue 11, finding 3).
#  1. An amount beyond what money can hold (1e15) is refused at ingest with a warning naming the
#     record: the column is NULL, raw_json keeps it. Two amounts that fit but whose sum does not
#     (2 x 9e14) give a total held at the largest amount, with a warning naming the supporter.
#     Nothing fails, and every other supporter's totals are exact.
#  2. A failing aggregate step reaches stderr and the exit code (here a planted trigger), fails
#     the daemon's job, and the next sync retries it even when nothing new arrived.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
sandbox_start --orgs 1 --supporters 30 --transactions 200 --campaigns 2 --plans 10 --ties 0 \
  --orphans 0
cs_env
cs_ok db migrate
cs_add_org 1001
cs_ok sync all full

# supporters (not in $1) whose lifetime amount is not the exact sum of their successful gifts
wrong_totals() {
  db "SELECT s.id FROM supporters s WHERE s.id NOT IN (${1:-0}) AND
        ROUND(COALESCE(s.lifetime_donation_amount, 0), 4) <> ROUND(COALESCE((SELECT
          SUM(t.total_gross_amount) FROM transactions t WHERE t.supporter_id = s.id
          AND t.status = 'success' AND t.deleted_at IS NULL), 0), 4)"
}
set_amount() { sandbox_admin POST "set-amount?org=1001&entity=transactions&id=$1&cents=$2" >/dev/null; }
assert_eq "$(wrong_totals)" "" "totals after the first sync"

# ---- 1. absurd amounts ----
IFS='|' read -r S T1 T2 < <(db "SELECT supporter_id, MIN(id), MAX(id) FROM transactions
  WHERE status = 'success' GROUP BY supporter_id HAVING COUNT(*) >= 2 ORDER BY supporter_id LIMIT 1")
IFS='|' read -r S2 T3 < <(db "SELECT supporter_id, MIN(id) FROM transactions
  WHERE status = 'success' AND supporter_id <> $S GROUP BY supporter_id ORDER BY supporter_id LIMIT 1")
set_amount "$T1" 90000000000000000 # 900000000000000.00: fits
set_amount "$T2" 90000000000000000 # ... but the two together do not
set_amount "$T3" 100000000000000000 # 1000000000000000.00: does not fit at all
cs sync transactions
if [ "$RC" -ne 0 ]; then cat "$ERR"; fail "absurd amounts failed the sync (exit $RC)"; fi
grep -q "transactions record $T3: 'total_gross_amount' is an amount too large to store (1000000000000000.00)" "$ERR" ||
  fail "the refused amount is not named: $(cat "$ERR")"
grep -q "supporter $S (org 1001): its lifetime amount is beyond the largest amount" "$ERR" ||
  fail "the held total is not named: $(cat "$ERR")"
assert_eq "$(db "SELECT total_gross_amount IS NULL FROM transactions WHERE id = $T3")" 1 \
  "the refused amount is stored NULL"
grep -q '"total_gross_amount":1000000000000000.00' <<<"$(db "SELECT raw_json FROM transactions WHERE id = $T3")" ||
  fail "raw_json lost the refused amount"
assert_eq "$(db "SELECT lifetime_donation_amount BETWEEN 922337203685477 AND 922337203685478
  FROM supporters WHERE id = $S")" 1 "the total beyond the largest amount is held there"
assert_eq "$(wrong_totals "$S")" "" "every other supporter's total is exact, $S2's without the refused gift"
# the views and the push's contacts still answer
db "SELECT COUNT(*) FROM contact_segments" >/dev/null
db "SELECT COUNT(*) FROM donor_value_distribution" >/dev/null
db "SELECT COUNT(*) FROM campaign_performance" >/dev/null

# ---- 2. a failing step reaches the exit code ----
db "CREATE TRIGGER planted_failure BEFORE UPDATE OF lifetime_donation_amount ON supporters
    BEGIN SELECT RAISE(ABORT, 'planted aggregate failure'); END"
set_amount "$T1" 1000
cs sync transactions
assert_eq "$RC" 3 "the entity synced but the aggregate step failed: partial"
grep -q "cannot recompute supporter aggregates of organization 1001: .*planted aggregate failure" "$ERR" ||
  fail "the aggregate failure is not on stderr: $(cat "$ERR")"
# the daemon's job too: it ends failed, naming the step (so it alerts and is retried), not ok
dm_config '{"syncIntervals":{"transactions":1000,"supporters":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000}}'
dm_start
tx_job='.jobs[] | select(.kind=="transactions") | .last'
# (a run of this daemon has a duration; the one it read from sync_runs at start has none)
wait_for "[ -n \"\$(dm_jq '$tx_job.duration_ms // empty')\" ]" 60
assert_eq "$(dm_jq "$tx_job.status")" failed "the daemon's transactions job with a failing aggregate step"
dm_jq "$tx_job.error" | grep -q "planted aggregate failure" ||
  fail "the daemon's job does not name the aggregate failure: $(dm_jq "$tx_job")"
"$CS_BIN" daemon stop --timeout 20 >/dev/null 2>&1 </dev/null || fail "daemon stop"
db "DROP TRIGGER planted_failure"
cs_ok sync transactions # nothing new: the queue left by the failure is recomputed anyway
set_amount "$T2" 2000
cs_ok sync transactions
assert_eq "$(wrong_totals)" "" "totals are exact again once the amounts are"
echo ok
