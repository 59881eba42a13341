#!/usr/bin/env bash
# backends: all
# The example plugin (docs/PLUGINS.md) through the generic plugin commands:
# only consenting contacts with valid emails are exported, a rerun exports
# nothing, a stats-only change is exported again, --dry-run and --limit hold,
# and a write failure (full disk) records nothing and loses nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"

sandbox_start --orgs 1 --supporters 120 --transactions 400 --plans 20
cs_env
cs_add_org 1001
cs_ok sync all full
export JSONL_PATH="$TEST_TMP/contacts.jsonl"

# Make some contacts unsendable in ways the rules must catch.
# (SQLite keeps whatever form arrived, so consent as the text 't' is a case there)
yes="'t'"
[ "$(cs_backend)" = sqlite ] || yes=TRUE
db "UPDATE supporters SET opt_in = $yes WHERE id % 7 = 0"
db "UPDATE supporters SET email_address = 'not-an-email' WHERE id % 11 = 0 AND opt_in = TRUE"
want=$(db "SELECT COUNT(*) FROM contact_segments WHERE $(cs_consent_sql)
           AND email_address LIKE '%_@_%._%' AND email_address <> 'not-an-email'")
[ "$want" -gt 20 ] || fail "fixture: only $want sendable contacts"

cs_ok jsonl sync --dry-run
[ ! -e "$JSONL_PATH" ] || fail "--dry-run wrote the file"
grep -q "dry run: no write request was sent" "$OUT" || fail "dry run not announced: $(cat "$OUT")"

cs_ok jsonl sync --limit 5
assert_eq "$(wc -l <"$JSONL_PATH")" 5 "--limit 5 exports 5 contacts"

cs_ok jsonl sync --json
assert_eq "$(wc -l <"$JSONL_PATH")" "$want" "every sendable contact exported once"
assert_eq "$(jq -r '.totals.created' "$OUT")" $((want - 5)) "second run exports the rest"
assert_eq "$(jq -s '[.[].email_key] | unique | length' "$JSONL_PATH")" "$want" "no duplicates"
jq -e 'select(.email_address == "not-an-email")' "$JSONL_PATH" >/dev/null && fail "invalid email exported"

cs_ok jsonl sync --json
assert_eq "$(jq -r '.totals.created' "$OUT")" 0 "a rerun with nothing changed exports nothing"
assert_eq "$(jq -r '.totals.writes' "$OUT")" 0 "a rerun makes no write"
assert_eq "$(jq -r '.totals.unchanged' "$OUT")" "$want" "a rerun sees every contact unchanged"

# A stats-only change: aggregates move, updated_at does not.
sid=$(db "SELECT supporter_id FROM contact_segments WHERE $(cs_consent_sql) AND email_address LIKE '%@%.%' ORDER BY supporter_id LIMIT 1")
db "UPDATE supporters SET lifetime_donation_amount = lifetime_donation_amount + 5000 WHERE id = $sid"
cs_ok jsonl sync --json
assert_eq "$(jq -r '.totals.created' "$OUT")" 1 "a stats-only change is exported"

# A full disk: the run fails clearly and records nothing, the next run catches up.
db "UPDATE supporters SET lifetime_donation_amount = lifetime_donation_amount + 1 WHERE id = $sid"
JSONL_PATH=/dev/full cs jsonl sync
assert_eq "$RC" 1 "a write failure fails the run"
grep -q "cannot write to '/dev/full'" "$ERR" || fail "no clear message: $(cat "$ERR")"
cs_ok jsonl sync --json
assert_eq "$(jq -r '.totals.created' "$OUT")" 1 "the failed export is retried"

cs_ok jsonl status --json
assert_eq "$(jq -r '.last_runs[0].status' "$OUT")" success "status shows the last run"

cs_ok health jsonl
unset JSONL_PATH
cs health jsonl
assert_eq "$RC" 2 "an unconfigured plugin asked by name is critical"
grep -q JSONL_PATH "$OUT" || fail "health does not name the variable: $(cat "$OUT")"
echo "ok"
