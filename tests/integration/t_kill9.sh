#!/usr/bin/env bash
# backends: all
# kill -9 in the middle of a page (rows written, not committed), then rerun: nothing lost,
# nothing duplicated, for both a full and an incremental sync.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 900 --transactions 1500
cs_env
cs_ok db migrate
cs_add_org 1001

# A row the source no longer has: only a complete scan may soft-mark it.
cs_ok sync campaigns full
db "INSERT INTO supporters (id, organization_id, raw_json, synced_at)
    VALUES (999999001, 1001, '{\"id\":999999001}', '2020-01-01 00:00:00')"
CLASSY_SYNC_TEST_KILL_AT=4 cs sync all full
assert_eq "$RC" 137 "exit status of the killed sync (SIGKILL)"
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE id = 999999001 AND deleted_at IS NULL")" 1 \
  "an interrupted full scan soft-marked a row"
rows=$(db "SELECT COUNT(*) FROM supporters WHERE id <> 999999001")
# Killed in the 3rd supporters page: the pages before it are committed, unless the
# writer was batching them with it (it does when pages queue up, as on a loaded
# machine), so 0 is possible; a complete table or a part of a page is not.
[ "$rows" -lt 900 ] || fail "expected a partial supporters table, got $rows rows"
[ $((rows % 100)) -eq 0 ] || fail "a half-written page was committed ($rows rows)"
cs_ok sync all full
for e in campaigns supporters transactions recurring_plans; do assert_matches_sandbox 1001 "$e"; done
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE id = 999999001 AND deleted_at IS NOT NULL")" 1 \
  "the resumed, now complete, full scan soft-marks the row"
# The killed run is not left "running": the next run of that entity relabels it.
assert_eq "$(db "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")" 0 "runs left running"
db "SELECT error FROM sync_runs WHERE status = 'interrupted' AND entity = 'supporters'" \
  | grep -q "ended before this run finished" || fail "the killed run was not marked interrupted"

curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=1001&entity=transactions&update=300&create=50" >/dev/null
CLASSY_SYNC_TEST_KILL_AT=2 cs sync transactions
assert_eq "$RC" 137 "exit status of the killed incremental sync"
cs_ok sync transactions
assert_matches_sandbox 1001 transactions
dups=$(db "SELECT COUNT(*) - COUNT(DISTINCT id) FROM transactions")
assert_eq "$dups" 0 "duplicate transaction rows"
echo ok
