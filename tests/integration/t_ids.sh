#!/usr/bin/env bash
# Ids are exact 64-bit integers read from the JSON text (issue 11, finding 7).
#  1. Ids past 2^53 (9007199254740992 and 9007199254740993 are one double): every record is its
#     own row with its exact id, and foreign keys (transactions.supporter_id, campaign_id) too.
#  2. Records whose id is not valid (here negative) are rejected one by one, each named on
#     stderr; the rest of the page is stored, the run ends partial (and the command fails: it
#     synced one entity, and that one did not finish clean), and the full scan that rejected
#     them marks nothing deleted.
# Ids are compared with SQLite's JSON functions, which keep 64-bit integers exact (jq 1.6 does
# not).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --id-base 9007199254740990 --supporters 6 --transactions 30 \
  --campaigns 2 --plans 4 --ties 0 --orphans 0
cs_env
cs_ok db migrate
cs_add_org 1001

# "id|fk" pairs of the sandbox's records, through SQLite's exact JSON integers
src_pairs() { # endpoint fk
  curl -sf "$SANDBOX_URL/__sandbox/dump?org=1001&entity=$1" >"$TEST_TMP/dump.json"
  sqlite3 -batch -noheader :memory: "SELECT json_extract(value, '\$.id') || '|' ||
      COALESCE(json_extract(value, '\$.$2'), '') FROM json_each(readfile('$TEST_TMP/dump.json'))
    ORDER BY 1"
}

# ---- 1. ids past 2^53 ----
cs_ok sync all full
assert_eq "$(db "SELECT group_concat(id, ' ') FROM (SELECT id FROM supporters ORDER BY id)")" \
  "9007199254740990 9007199254740991 9007199254740992 9007199254740993 9007199254740994 9007199254740995" \
  "six supporters, six exact ids"
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE json_extract(raw_json, '\$.id') <> id")" 0 \
  "each row's id is the id in its raw_json"
assert_eq "$(db "SELECT id || '|' || COALESCE(supporter_id, '') FROM transactions ORDER BY 1")" \
  "$(src_pairs transactions supporter_id)" "transactions keep their exact ids and supporter ids"
assert_eq "$(db "SELECT id || '|' || COALESCE(campaign_id, '') FROM recurring_plans ORDER BY 1")" \
  "$(src_pairs recurring-donation-plans campaign_id)" "plans keep their exact campaign ids"
n=$(db "SELECT COUNT(*) FROM transactions")
assert_eq "$n" 30 "every transaction is its own row"
grep -Eq "^  transactions +success +$n " "$OUT" || fail "the summary counts what was stored: $(cat "$OUT")"
# aggregates follow the exact supporter ids
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE aggregates_at IS NULL")" 0 \
  "aggregates computed for every supporter"

# ---- 2. invalid ids are rejected one by one ----
sandbox_admin POST "knobs?bad_id_every=3" >/dev/null
cs sync supporters full
assert_eq "$RC" 1 "rejected records fail the command"
bad=$(db "SELECT COUNT(*) FROM supporters WHERE id % 3 = 0")
[ "$bad" -ge 1 ] || fail "fixture: no supporter id is a multiple of 3"
assert_eq "$(grep -c "not positive; not stored, the rest of the page is" "$ERR")" "$bad" \
  "each rejected record is named once"
grep -q "supporters record(s) not stored because their id is not valid" "$ERR" ||
  fail "the run's error does not say records were rejected: $(cat "$ERR")"
grep -q "marks no row deleted this time" "$ERR" || fail "no word that nothing was marked"
assert_eq "$(db "SELECT status FROM sync_runs WHERE entity = 'supporters' ORDER BY id DESC LIMIT 1")" \
  partial "the run row"
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE deleted_at IS NOT NULL OR id <= 0")" 0 \
  "a scan that rejected records marks nothing deleted, and stores no bad id"
sandbox_admin POST "knobs?bad_id_every=0" >/dev/null
cs_ok sync supporters full
assert_matches_sandbox 1001 supporters
echo ok
