#!/usr/bin/env bash
# backends: all
# Full sync then incremental against the sandbox: the database equals the sandbox's data (split
# into key ranges, each record stored once), orphans are kept, aggregates are exact, and a no-op
# incremental makes at most one data request per entity.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 2 --ties 150 --orphans 5
cs_env
cs_ok db migrate
cs_add_org 1001
cs_add_org 1002

LOG_LEVEL=debug cs_ok sync all full
grep -q "total:" "$OUT" || fail "no summary printed"
grep -q "range split" "$ERR" || fail "fixture: no key range was split"
for org in 1001 1002; do
  for e in campaigns supporters transactions recurring_plans; do
    assert_matches_sandbox "$org" "$e"
    # each record stored once: no range walked twice (split walks meet, never overlap)
    assert_eq "$(db "SELECT records FROM sync_runs WHERE organization_id = $org AND entity = '$e'")" \
      "$(curl -sf "$SANDBOX_URL/__sandbox/dump?org=$org&entity=$(cs_endpoint "$e")" | jq length)" \
      "records stored by the full sync of $e of $org"
  done
done

# Orphans are stored and counted.
cs_ok status --json
orphans=$(jq '.organizations[] | select(.id==1001) | .orphan_transactions' "$OUT")
[ "$orphans" -ge 5 ] || fail "expected at least 5 orphan transactions, status says $orphans"

# Aggregates: lifetime amounts equal an independent sum over the sandbox's successful gifts.
curl -sf "$SANDBOX_URL/__sandbox/dump?org=1001&entity=transactions" >"$TEST_TMP/tx.json"
known=$(db "SELECT id FROM supporters WHERE organization_id=1001" | paste -sd, -)
expected=$(jq -r --arg ids "$known" '($ids|split(",")|map(tonumber)) as $s
            | [.[] | select(.status=="success" and (.supporter_id as $x | $s|index($x)))
            | (.total_gross_amount*100|round)] | add // 0' "$TEST_TMP/tx.json")
actual=$(db "SELECT SUM(lifetime_donation_amount) FROM supporters WHERE organization_id=1001" |
         jq -r '(tonumber * 100) | round')
assert_eq "$actual" "$expected" "sum of lifetime_donation_amount (cents) for org 1001"

# Changes at the source arrive with an incremental sync.
curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=1001&entity=supporters&update=25&create=10" >/dev/null
curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=1001&entity=transactions&update=25&create=10" >/dev/null
cs_ok sync all
for e in supporters transactions; do assert_matches_sandbox 1001 "$e"; done

# A record that disappeared at the source (a hard delete) is soft-marked by the next complete full
# scan and never deleted; every record the source still has stays live.
db "INSERT INTO supporters (id, organization_id, raw_json, synced_at)
    VALUES (999999001, 1001, '{\"id\":999999001}', '2020-01-01 00:00:00')"
cs_ok sync supporters full --org 1001
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE id = 999999001 AND deleted_at IS NOT NULL")" 1 \
  "a record absent from a complete full scan is soft-marked"
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE organization_id = 1001 AND deleted_at IS NOT NULL")" 1 \
  "rows soft-marked by the full scan"
grep -q "marked deleted" "$OUT" || fail "the summary does not report the soft-marked row"
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE organization_id = 1002 AND deleted_at IS NOT NULL")" 0 \
  "rows of another organization soft-marked by org 1001's scan"
assert_matches_sandbox 1001 supporters

# A no-op incremental: at most one list request per entity and org.
curl -sf -X POST "$SANDBOX_URL/__sandbox/reset-stats" >/dev/null
cs_ok sync all
lists=$(curl -sf "$SANDBOX_URL/__sandbox/stats" | jq .list_requests)
[ "$lists" -le 8 ] || fail "no-op incremental made $lists list requests for 2 orgs x 4 entities"

# The run log has one row per org and entity run, all successful.
bad=$(db "SELECT COUNT(*) FROM sync_runs WHERE status <> 'success'")
assert_eq "$bad" 0 "unsuccessful runs in sync_runs"
runs=$(db "SELECT COUNT(*) FROM sync_runs WHERE organization_id=1001 AND entity='supporters'")
assert_eq "$runs" 4 "supporters runs of org 1001"
echo "ok"
