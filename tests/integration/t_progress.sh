#!/usr/bin/env bash
# Every paging loop proves progress (issue 11, finding 2). An API (or a caching proxy in front of
# it) that ignores `filter` or `page` must stop a sync with an error naming what it ignored, never
# send the same request for ever: the run row ends `failed` (not left `running`), the process
# exits 1, a handful of requests were made, and nothing was marked deleted.
#
# If the guard regressed, each sync below would loop until CS_TIMEOUT (the harness's own command
# timeout in cs.sh) and the test fails there, naming the command, instead of hanging.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
export CS_TIMEOUT=${CS_TIMEOUT_PROGRESS:-60}
sandbox_start --orgs 1 --supporters 450 --transactions 0 --campaigns 0 --plans 0 --ties 250 \
  --orphans 0
cs_env
cs_ok db migrate
cs_add_org 1001

list_requests() { curl -sf "$SANDBOX_URL/__sandbox/stats" | jq -r .list_requests; }
last_run() { db "SELECT status FROM sync_runs WHERE entity = 'supporters' ORDER BY id DESC LIMIT 1"; }
expect_stopped() { # what
  assert_eq "$RC" 1 "$1: exit code"
  assert_eq "$(last_run)" failed "$1: the run row"
  assert_eq "$(db "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")" 0 "$1: no run left running"
  assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE deleted_at IS NOT NULL")" 0 \
    "$1: nothing marked deleted"
  local n
  n=$(list_requests)
  [ "$n" -le 6 ] || fail "$1: $n list requests before stopping"
}

# ---- full scan: filter=id>N ignored ----
sandbox_admin POST "knobs?ignore_filters=1" >/dev/null
sandbox_admin POST reset-stats >/dev/null
cs sync supporters full
expect_stopped "full scan, filter ignored"
grep -q "ignored filter=id>" "$ERR" || fail "the error does not name the ignored filter: $(cat "$ERR")"
grep -q "full scan" "$ERR" || fail "the error does not say what stopped: $(cat "$ERR")"

# ---- the same data with a working API: complete, and the guard does not get in the way ----
sandbox_admin POST "knobs?ignore_filters=0" >/dev/null
cs_ok sync supporters full
assert_matches_sandbox 1001 supporters

# ---- incremental: filter=updated_at>=BOUND ignored ----
sandbox_admin POST "knobs?ignore_filters=1" >/dev/null
sandbox_admin POST reset-stats >/dev/null
cs sync supporters
expect_stopped "incremental, filter ignored"
grep -q "ignored filter=updated_at>=" "$ERR" || fail "the error does not name the filter: $(cat "$ERR")"

# ---- a tie group walked by page number: page ignored (page 2 is page 1 again) ----
# The cursor is put on the tie second, so the walk starts inside the group of 250 records.
sandbox_admin POST "knobs?ignore_filters=0&ignore_page=1" >/dev/null
sandbox_admin POST reset-stats >/dev/null
db "UPDATE sync_state SET lookback_s = 0, cursor = (SELECT MIN(updated_at) FROM supporters WHERE
      updated_at IN (SELECT updated_at FROM supporters GROUP BY updated_at HAVING COUNT(*) > 100))
    WHERE entity = 'supporters'"
cs sync supporters
expect_stopped "tie-group walk, page ignored"
grep -q "same records for page 2 as for page 1" "$ERR" || fail "the error does not say the page repeated: $(cat "$ERR")"
echo ok
