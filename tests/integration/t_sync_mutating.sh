#!/usr/bin/env bash
# backends: all
# Incremental sync while the source changes under it, with more than 100 records sharing one
# updated_at second: every record last changed before the sync started must be stored, latest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 1500 --transactions 2500 --ties 350 --mutate-every 2
cs_env
cs_ok db migrate
cs_add_org 1001

for round in 1 2 3; do
  start=$(utc_now)
  cs_ok sync supporters
  cs_ok sync transactions
  assert_matches_sandbox 1001 supporters "$start"
  assert_matches_sandbox 1001 transactions "$start"
done

# The source really changed while we paged (otherwise this test proves nothing).
created=$(curl -sf "$SANDBOX_URL/__sandbox/dump?org=1001&entity=supporters" | jq length)
[ "$created" -gt 1500 ] || fail "the sandbox did not mutate during the sync ($created supporters)"

# Once the source is quiet, one more incremental converges to an exact copy.
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?mutate_every=0" >/dev/null
cs_ok sync supporters
cs_ok sync transactions
assert_matches_sandbox 1001 supporters
assert_matches_sandbox 1001 transactions
echo ok
