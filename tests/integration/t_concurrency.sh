#!/usr/bin/env bash
# Concurrent fetching, against a sandbox with latency and a rate limit: two organizations of one
# API application are synced at once, their key ranges split and paged concurrently under one
# budget; the mirror equals the source and 429s stay under 1 % of the requests (full and
# incremental). Then kill -9 in the middle of a split full scan: the checkpoint never passes a
# range that is not stored, each range holds whole pages from its start, and the rerun completes
# the scan. Counts only: nothing here depends on how long anything took.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 2 --supporters 1500 --transactions 3000 --latency-ms 30 --rate-limit 1200 \
  --seed 11
cs_env
export CLASSY_SYNC_TEST_TIME_SCALE=1 # the budget paces in real time here
export CLASSY_RATE_LIMIT=1200 CLASSY_CONCURRENCY=6
export CLASSY_SYNC_TEST_CHUNK=200 # aggregates in chunks of 200 supporters while waiting
cs_ok db migrate
cs_add_org 1001
cs_add_org 1002

throttle_bound() { # 429s under 1 % of the requests since the last reset
  local s req thr
  s=$(curl -sf "$SANDBOX_URL/__sandbox/stats")
  req=$(jq .requests <<<"$s")
  thr=$(jq .throttled <<<"$s")
  [ "$req" -gt 0 ] || fail "the sandbox saw no request"
  [ $((thr * 100)) -le "$req" ] || fail "$1: $thr of $req requests were throttled (429)"
}

# Every supporter's lifetime figures equal a fresh count over the stored gifts: the writer
# recomputes chunks of queued supporters while it waits on the network (before all their gifts
# arrived), and whatever came after a chunk must have been done again.
aggregates_exact() {
  local bad
  bad=$(db "SELECT COUNT(*) FROM supporters s WHERE s.organization_id IN (1001, 1002) AND (
      s.lifetime_donation_count <> (SELECT COUNT(*) FROM transactions t WHERE t.supporter_id = s.id
        AND t.status = 'success' AND t.deleted_at IS NULL)
      OR CAST(ROUND(CAST(s.lifetime_donation_amount AS REAL) * 100) AS INTEGER) <>
        (SELECT CAST(ROUND(COALESCE(SUM(CAST(t.total_gross_amount AS REAL)), 0) * 100) AS INTEGER)
         FROM transactions t WHERE t.supporter_id = s.id AND t.status = 'success'
         AND t.deleted_at IS NULL))")
  assert_eq "$bad" 0 "$1: supporters whose aggregates differ from their stored gifts"
  [ "$(db "SELECT COUNT(*) FROM aggregate_queue")" -eq 0 ] || fail "$1: supporters left queued"
}

curl -sf -X POST "$SANDBOX_URL/__sandbox/reset-stats" >/dev/null
LOG_LEVEL=debug cs_ok sync all full
grep -q "range split" "$ERR" || fail "no key range was split"
throttle_bound "full sync"
for org in 1001 1002; do
  for e in campaigns supporters transactions recurring_plans; do assert_matches_sandbox "$org" "$e"; done
done
[ "$(db "SELECT COUNT(*) FROM sync_runs WHERE status <> 'success'")" -eq 0 ] ||
  fail "runs that did not succeed: $(db "SELECT entity, status, error FROM sync_runs WHERE status <> 'success'")"
aggregates_exact "full sync"
# every range was walked once: each full run stored exactly the source's records (a
# split walk that went on into the range it gave away would store them twice)
for org in 1001 1002; do
  for e in campaigns supporters transactions recurring_plans; do
    want=$(curl -sf "$SANDBOX_URL/__sandbox/dump?org=$org&entity=$(cs_endpoint "$e")" | jq length)
    assert_eq "$(db "SELECT records FROM sync_runs WHERE organization_id = $org AND entity = '$e'
                     AND mode = 'full'")" "$want" "records stored by the full sync of $e of $org"
  done
done

# Changes on both orgs, then an incremental of everything: split by time, same budget.
for org in 1001 1002; do
  for e in supporters transactions; do
    curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=$org&entity=$e&update=700&create=40" >/dev/null
  done
done
db "UPDATE sync_state SET cursor = '2000-01-01T00:00:00Z'" # re-read everything by time
curl -sf -X POST "$SANDBOX_URL/__sandbox/reset-stats" >/dev/null
LOG_LEVEL=debug cs_ok sync all
grep -q "range split" "$ERR" || fail "no time range was split in the incremental sync"
throttle_bound "incremental sync"
for org in 1001 1002; do
  for e in supporters transactions; do assert_matches_sandbox "$org" "$e"; done
done
aggregates_exact "incremental sync"

# ---- kill -9 in a split full scan --------------------------------------------------------
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?rate_limit=0&latency_ms=0" >/dev/null
export DB_PATH="$TEST_TMP/kill.db" CLASSY_RATE_LIMIT=0
cs_ok db migrate
cs_add_org 1001
db "INSERT INTO transactions (id, organization_id, raw_json, synced_at)
    VALUES (999999001, 1001, '{\"id\":999999001}', '2020-01-01T00:00:00.000Z')"
LOG_LEVEL=debug CLASSY_SYNC_TEST_KILL_AT=12 cs sync transactions full
assert_eq "$RC" 137 "exit status of the killed sync (SIGKILL)"
grep -q "range split" "$ERR" || fail "the killed scan was not split"
assert_eq "$(db "SELECT deleted_at IS NULL FROM transactions WHERE id = 999999001")" 1 \
  "an interrupted full scan soft-marked a row"
curl -sf "$SANDBOX_URL/__sandbox/dump?org=1001&entity=transactions" | jq '.[].id' | sort -n >"$TEST_TMP/src"
db "SELECT id FROM transactions WHERE organization_id = 1001 AND id <> 999999001 ORDER BY id" >"$TEST_TMP/got"
ckpt=$(db "SELECT full_last_id FROM sync_state WHERE organization_id = 1001 AND entity = 'transactions'")
stored=$(wc -l <"$TEST_TMP/got")
[ "$stored" -lt "$(wc -l <"$TEST_TMP/src")" ] || fail "the killed scan stored everything"
# every id up to the checkpoint is stored
awk -v c="${ckpt:-0}" '$1 <= c' "$TEST_TMP/src" >"$TEST_TMP/want"
awk -v c="${ckpt:-0}" '$1 <= c' "$TEST_TMP/got" >"$TEST_TMP/have"
cmp -s "$TEST_TMP/want" "$TEST_TMP/have" ||
  fail "the checkpoint (id $ckpt) passes ids that were not stored"
# each range (lo, hi] from the split log holds a prefix of its ids: whole pages of 100, or all
grep -o "range split at [0-9]*" "$ERR" | awk '{ print $4 }' | sort -n >"$TEST_TMP/cuts"
awk -v cuts="$TEST_TMP/cuts" '
  BEGIN { n = 0; b[n++] = 0; while ((getline x < cuts) > 0) b[n++] = x; b[n] = 9e18 }
  function range(id,  r) { for (r = 0; r < n; r++) if (id > b[r] && id <= b[r + 1]) return r }
  FNR == NR { r = range($1); src[r, ++ns[r]] = $1; next }
  { r = range($1); k = ++nd[r]; if (src[r, k] != $1) { print "range " r ": id " $1 " stored, an earlier one not"; bad = 1 } }
  END { for (r = 0; r < n; r++) if (nd[r] % 100 != 0 && nd[r] != ns[r]) { print "range " r ": " nd[r] " of " ns[r] " ids stored: part of a page"; bad = 1 }
        exit bad }' "$TEST_TMP/src" "$TEST_TMP/got" >"$TEST_TMP/ranges.txt" ||
  fail "a range is not whole pages from its start: $(cat "$TEST_TMP/ranges.txt")"
cs_ok sync transactions full
assert_matches_sandbox 1001 transactions
assert_eq "$(db "SELECT deleted_at IS NOT NULL FROM transactions WHERE id = 999999001")" 1 \
  "the resumed, now complete, full scan soft-marks the row"
echo ok
