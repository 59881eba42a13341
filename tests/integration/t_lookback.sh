#!/usr/bin/env bash
# The lookback window (issue 11: a test a mutation campaign showed missing). A change that
# appears with an updated_at older than the stored cursor (a late commit at the source, or its
# clock running behind: the sandbox's clock_skew knob) is picked up by the next incremental sync
# because each run starts lookback_s (300 s) before the cursor. With lookback 0 the same sync
# misses it, which shows the window is what catches it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 400 --transactions 0 --campaigns 0 --plans 0 --ties 0 \
  --orphans 0
cs_env
cs_ok db migrate
cs_add_org 1001
cs_ok sync supporters
cursor=$(db "SELECT strftime('%s', cursor) FROM sync_state WHERE entity = 'supporters'")
[ -n "$cursor" ] || fail "no cursor after the first sync"

# three records change now, but the source stamps them 100 s before our cursor
skew=$(($(date +%s) - (cursor - 100)))
sandbox_admin POST "knobs?clock_skew=$skew" >/dev/null
sandbox_admin POST "mutate?org=1001&entity=supporters&update=3" >"$TEST_TMP/mutated.json"
ids=$(jq -r '.updated | join(",")' "$TEST_TMP/mutated.json")
stamped=$(jq -r .updated_at_unix "$TEST_TMP/mutated.json")
[ "$stamped" -lt "$cursor" ] && [ "$stamped" -gt $((cursor - 300)) ] ||
  fail "fixture: the late change ($stamped) is not inside the window before the cursor ($cursor)"
fresh() { db "SELECT COUNT(*) FROM supporters WHERE id IN ($ids) AND strftime('%s', updated_at) = '$stamped'"; }
assert_eq "$(fresh)" 0 "fixture: the late changes are not stored yet"

# ---- without the window the late changes are missed ----
db "UPDATE sync_state SET lookback_s = 0 WHERE entity = 'supporters'"
cs_ok sync supporters
assert_eq "$(fresh)" 0 "with lookback 0 the late changes are missed"

# ---- with the window (the default, 300 s) they are read ----
db "UPDATE sync_state SET lookback_s = 300 WHERE entity = 'supporters'"
cs_ok sync supporters
assert_eq "$(fresh)" 3 "the lookback window picks the late changes up"
assert_matches_sandbox 1001 supporters
echo ok
