#!/usr/bin/env bash
# The checkpoints are used, not only written: a full scan killed mid-way resumes after its
# last committed id (it does not read the whole table again), and an incremental run moves
# its cursor to the newest updated_at it read. Both mutations survived the whole suite in
# the first mutation campaign (full-never-resumes, cursor-not-saved in
# tests/mutate/mutations.txt): the data stayed right, only the work grew without bound.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 900 --transactions 300
cs_env
cs_ok db migrate
cs_add_org 1001

# one page per transaction and one range (no split: cs.sh splits small data
# sets, and two ranges commit in whatever order their answers come), so the
# kill in page 4 leaves exactly pages 1-3 committed
export CLASSY_SYNC_TEST_RANGE_RECORDS=1000000
CLASSY_SYNC_PIPELINE=0 CLASSY_SYNC_TEST_KILL_AT=4 cs sync supporters full
assert_eq "$RC" 137 "exit status of the killed full sync"
committed=$(db "SELECT COUNT(*) FROM supporters")
assert_eq "$committed" 300 "rows committed before the kill"
assert_eq "$(db "SELECT full_last_id FROM sync_state WHERE entity = 'supporters'")" \
  "$(db "SELECT MAX(id) FROM supporters")" "the checkpoint is the last committed id"
cs_ok sync supporters full
assert_eq "$(db "SELECT records FROM sync_runs WHERE entity = 'supporters' AND status = 'success'
                 ORDER BY id DESC LIMIT 1")" $((900 - committed)) \
  "the resumed scan read only what was not committed"
assert_matches_sandbox 1001 supporters

# the cursor follows the newest change read (from an old cursor: the full scan's start can
# share its second with the newest change)
curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=1001&entity=supporters&update=25&create=5" >/dev/null
db "UPDATE sync_state SET cursor = '2001-01-01T00:00:00Z' WHERE entity = 'supporters'"
cs_ok sync supporters
newest=$(curl -sf "$SANDBOX_URL/__sandbox/dump?org=1001&entity=supporters" |
  jq -r '[.[].updated_at | sub("\\.[0-9]+"; "") | sub("\\+0000$"; "Z")] | max')
assert_eq "$(db "SELECT cursor FROM sync_state WHERE entity = 'supporters'")" "$newest" \
  "the incremental cursor is the newest updated_at read"
assert_matches_sandbox 1001 supporters
echo ok
