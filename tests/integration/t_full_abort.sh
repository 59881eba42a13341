#!/usr/bin/env bash
# Only a complete full scan soft-deletes (issue 11: tests a mutation campaign showed missing).
#  1. A full scan that fails on a non-kill error (every request answered 500/503 until the
#     retries run out) ends failed and marks no row deleted. (A planted `break` on the fetch error
#     ended the scan as complete and soft-marked every live row.)
#  2. SIGTERM during a full scan: the page in flight finishes, the run ends interrupted, and no
#     row is marked deleted. (A planted "stop ends the scan as complete" marked thousands.)
# Both scans follow a complete one, so every row was synced before they began: a scan that
# wrongly ended as complete would mark the rows it had not reached yet.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 1500 --transactions 0 --campaigns 0 --plans 0 --ties 0 \
  --orphans 0
cs_env
cs_ok db migrate
cs_add_org 1001
cs_ok sync supporters full
total=$(db "SELECT COUNT(*) FROM supporters")
assert_eq "$total" 1500 "the first full scan"
marked() { db "SELECT COUNT(*) FROM supporters WHERE deleted_at IS NOT NULL"; }
last_run() { db "SELECT status FROM sync_runs WHERE entity = 'supporters' ORDER BY id DESC LIMIT 1"; }

# ---- 1. 5xx until the retries run out ----
sandbox_admin POST "knobs?fail_rate=1" >/dev/null
cs sync supporters full
assert_eq "$RC" 1 "a scan whose requests all fail: exit code"
grep -Eq "50[03]" "$ERR" || fail "the error does not say what the API answered: $(cat "$ERR")"
assert_eq "$(last_run)" failed "the run row"
assert_eq "$(marked)" 0 "a failed full scan marks no row deleted"
sandbox_admin POST "knobs?fail_rate=0" >/dev/null

# ---- 2. SIGTERM while the scan is running ----
# CLASSY_SYNC_TEST_TERM_AT=N: the process gets SIGTERM when the engine takes its Nth page answer,
# before asking for the next one, so the scan is mid-way by construction (15 pages, one walk: 1,500
# rows are too few to split) however slow the machine; on one thread (CLASSY_SYNC_PIPELINE=0) and
# pipelined alike. (Sending it after the first commit raced the fetch: under load the whole scan
# could be fetched before the writer's first commit, and the run ended as complete.)
for pipeline in 0 1; do
  db "DELETE FROM sync_state WHERE entity = 'supporters'" # a new scan, not a resumed one
  CLASSY_SYNC_PIPELINE=$pipeline CLASSY_SYNC_TEST_TERM_AT=2 cs sync supporters full
  assert_eq "$RC" 1 "pipeline=$pipeline: a stopped sync: exit code"
  grep -q "interrupted" "$ERR" || fail "pipeline=$pipeline: no word that it was interrupted: $(cat "$ERR")"
  assert_eq "$(last_run)" interrupted "pipeline=$pipeline: the run row"
  assert_eq "$(marked)" 0 "pipeline=$pipeline: an interrupted full scan marks no row deleted"
  [ "$(db "SELECT full_last_id FROM sync_state WHERE entity = 'supporters'")" -lt \
    "$(db "SELECT MAX(id) FROM supporters")" ] || fail "pipeline=$pipeline: the scan was not stopped midway"
done

# ---- and the next scan resumes and completes ----
cs_ok sync supporters full
assert_matches_sandbox 1001 supporters
assert_eq "$(marked)" 0 "nothing is absent from the source"
echo ok
