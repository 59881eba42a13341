#!/usr/bin/env bash
# backends: all
# `db copy`: a synced SQLite mirror copied into the backend under test (a
# second SQLite file on the sqlite variant). Killed with SIGKILL between two
# committed batches, it resumes; the copy's rows equal the source's (checked
# here with the products' own clients, not only by the copy's checksums);
# the copied credentials still decrypt (a sync runs on the copy); a row
# changed in the target is put back by the next copy, and a row that exists
# only in the target makes the copy fail naming the table. A password in
# --to is refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 2 --supporters 1500 --transactions 2500
cs_env
backend=$(cs_backend)
SRC="$TEST_TMP/source.db"
if [ "$backend" = sqlite ]; then
  TGT_FILE="$TEST_TMP/target.db"
  TO="sqlite:$TGT_FILE"
  PW=
else
  TGT_URL=$DATABASE_URL
  # the password leaves the URL for DB_COPY_PASSWORD: never on a command line
  PW=$(sed -E 's|^[a-z]+://[^:/@]*:([^@]*)@.*|\1|' <<<"$TGT_URL")
  TO=$(sed -E 's|^([a-z]+://[^:/@]*):[^@]*@|\1@|' <<<"$TGT_URL")
fi
src_env() { unset DATABASE_URL; export DB_TYPE=sqlite DB_PATH=$SRC; export CS_TEST_BACKEND=sqlite; }
tgt_env() {
  export CS_TEST_BACKEND=$backend
  if [ "$backend" = sqlite ]; then export DB_TYPE=sqlite DB_PATH=$TGT_FILE; unset DATABASE_URL
  else unset DB_TYPE; export DATABASE_URL=$TGT_URL; fi
}
tdb() { (tgt_env; db "$@"); }

src_env
cs_ok db migrate
cs_add_org 1001
cs_add_org 1002
cs_ok sync all full

# a password on the command line is refused before anything is copied
if [ "$backend" != sqlite ]; then
  cs db copy --to "$TGT_URL"
  assert_eq "$RC" 2 "exit code for a password in --to"
  grep -q "DB_COPY_PASSWORD" "$ERR" || fail "the refusal does not say where the password goes: $(cat "$ERR")"
  grep -q "$PW" "$ERR" "$OUT" && fail "the password was printed"
fi

# killed after the 3rd committed batch (SIGKILL: no cleanup), then resumed
export DB_COPY_PASSWORD=$PW
CLASSY_SYNC_TEST_COPY_KILL_AT=3 cs db copy --to "$TO"
[ "$RC" -eq 137 ] || { cat "$OUT" "$ERR"; fail "the copy was not killed at its 3rd batch (exit $RC)"; }
cs db copy --to "$TO"
[ "$RC" -eq 0 ] || { cat "$OUT" "$ERR"; fail "the resumed copy failed (exit $RC)"; }
grep -q "copy verified" "$OUT" || fail "no verification line: $(cat "$OUT")"
resumed=$(awk '$1 == "supporters" || $1 == "organizations" || $1 == "transactions" { s += $4 } END { print s + 0 }' "$OUT")
[ "$resumed" -gt 0 ] || { cat "$OUT"; fail "the second run copied everything again instead of resuming"; }

# the copy's rows, read by the target product's own client, equal the source's
# (amounts compared by value: SQLite prints 12.5, the servers 12.5000)
num() { sed -E 's/([0-9])\.([0-9]*[1-9])0+(\||$)/\1.\2\3/g; s/([0-9])\.0+(\||$)/\1\2/g'; }
declare -A COLS=([supporters]="email_address, lifetime_donation_amount, lifetime_donation_count"
  [transactions]="supporter_id, total_gross_amount, status" [campaigns]="name"
  [recurring_plans]="supporter_id, donation_amount, frequency")
for t in supporters transactions campaigns recurring_plans; do
  q="SELECT id, organization_id, ${COLS[$t]} FROM $t ORDER BY id"
  a=$(db "$q" | num)
  b=$(tdb "$q" | num)
  [ "$(wc -l <<<"$a")" -gt 1 ] || fail "no $t in the source"
  [ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") | head; fail "$t differs between source and copy"; }
done
assert_eq "$(tdb "SELECT COUNT(*) FROM organizations")" 2 "organizations copied"
assert_eq "$(tdb "SELECT COUNT(*) FROM sync_runs")" "$(db "SELECT COUNT(*) FROM sync_runs")" "run history copied"

# the credentials still decrypt: a sync runs on the copy, and new runs are
# numbered after the copied ones
n_runs=$(db "SELECT MAX(id) FROM sync_runs")
(tgt_env; unset DB_COPY_PASSWORD; cs sync all; [ "$RC" -eq 0 ] || { cat "$ERR"; fail "sync on the copy failed (exit $RC)"; })
[ "$(tdb "SELECT MIN(id) FROM sync_runs WHERE id > $n_runs")" -eq $((n_runs + 1)) ] ||
  fail "new runs on the copy are not numbered after the copied ones"

# a changed row is put back; a row only in the target fails the copy
src_env
victim=$(db "SELECT MIN(id) FROM supporters")
tdb "UPDATE supporters SET first_name = 'tampered' WHERE id = $victim"
tdb "DELETE FROM sync_runs WHERE id > $n_runs"
cs db copy --to "$TO"
[ "$RC" -eq 0 ] || { cat "$ERR"; fail "the copy over a changed row failed (exit $RC)"; }
assert_eq "$(tdb "SELECT first_name FROM supporters WHERE id = $victim")" \
  "$(db "SELECT first_name FROM supporters WHERE id = $victim")" "the changed row is put back"
tdb "INSERT INTO frequency_factors (frequency, num, den) VALUES ('fortnightly-x', 1, 1)"
cs db copy --to "$TO"
assert_eq "$RC" 1 "exit code when the target holds rows of its own"
grep -q "table frequency_factors: the copy holds" "$ERR" || fail "the failure does not name the table: $(cat "$ERR")"
grep -q "copy verified" "$OUT" && fail "a failed copy claimed to be verified"
echo ok
