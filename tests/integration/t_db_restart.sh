#!/usr/bin/env bash
# backends: all
# servers: restarts
# The database server restarts in the middle of a full sync (at a known page,
# through CLASSY_SYNC_TEST_PAGE_HOOK, no timing): the sync reconnects, closes
# the runs that lost their connection as interrupted, resumes from the last
# committed page, and the mirror equals the sandbox exactly; the next run too.
# Then once more on one range, where the resume point is known to the record.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
[ "$(cs_backend)" != sqlite ] || { echo "SKIPPED on sqlite: an embedded database has no server to restart"; exit 77; }
servers=${CS_SERVERS_ENV%.env}
[ -d "$servers" ] || fail "no server directory next to CS_SERVERS_ENV ($CS_SERVERS_ENV)"
sandbox_start --orgs 1 --supporters 1500 --transactions 3000
cs_env
cs_ok db migrate
cs_add_org 1001

CLASSY_SYNC_TEST_PAGE_HOOK="12:$CS_SRC/scripts/test-servers restart $servers $(cs_backend)" \
  LOG_LEVEL=info cs sync all full
[ "$RC" -eq 0 ] || { cat "$ERR"; fail "the sync did not recover from the restart (exit $RC)"; }
grep -q "reconnecting" "$ERR" || { cat "$ERR"; fail "the restart went unnoticed (no 'reconnecting')"; }
for e in supporters transactions campaigns recurring-plans; do assert_matches_sandbox 1001 "$e"; done
# entities sync at once: every run in progress at the restart lost its
# connection (one or more), and each says so
lost=$(db "SELECT COUNT(*) FROM sync_runs WHERE status = 'interrupted'
           AND error LIKE '%connection to the database was lost%'")
[ "$lost" -ge 1 ] || fail "no run says it lost its connection"
assert_eq "$(db "SELECT COUNT(*) FROM sync_runs WHERE status <> 'success'")" "$lost" \
  "runs that ended otherwise than lost and resumed"
assert_eq "$(db "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")" 0 "runs left running"
dups=$(db "SELECT COUNT(*) - COUNT(DISTINCT id) FROM transactions")
assert_eq "$dups" 0 "duplicate rows"

cs_ok sync all
for e in supporters transactions; do assert_matches_sandbox 1001 "$e"; done

# The resume point, exactly: one entity, one range, one page per transaction, so
# pages 1-5 (500 records) are committed when the server restarts before page 6. The
# run cut there keeps its 500; the run after the reconnect reads the other 1,000 (a
# scan that started over would read 1,500).
restart="$CS_SRC/scripts/test-servers restart $servers $(cs_backend)"
CLASSY_SYNC_PIPELINE=0 CLASSY_SYNC_TEST_RANGE_RECORDS=1000000 \
  CLASSY_SYNC_TEST_PAGE_HOOK="6:$restart" LOG_LEVEL=info cs sync supporters full
[ "$RC" -eq 0 ] || { cat "$ERR"; fail "one range: the sync did not recover from the restart (exit $RC)"; }
grep -q "reconnecting" "$ERR" || { cat "$ERR"; fail "one range: the restart went unnoticed"; }
runs=$(db "SELECT status, records FROM sync_runs WHERE entity = 'supporters' AND mode = 'full'
           ORDER BY id DESC LIMIT 2" | tr '\n' ' ')
assert_eq "$runs" "success|1000 interrupted|500 " \
  "one range: the runs cut by the restart and resumed after it (newest first)"
assert_matches_sandbox 1001 supporters
echo ok
