#!/usr/bin/env bash
# backends: all
# db rollback and db reset name what they drop, with the rows each table holds; a step that drops
# rows needs --yes, and without it exits 2 and changes nothing (rows and schema version). Before
# any schema change of an SQLite database (rollback, reset, and the migration another command
# runs) a backup is written next to it (VACUUM INTO, mode 0600) that opens and holds the rows;
# on a server database no backup is made, and the output says it is the DBA's job.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 40 --transactions 60
cs_env
cs_ok db migrate
cs_add_org 1001
cs_ok sync all full

version() { db "SELECT MAX(version) FROM schema_migrations"; }
supporters=$(db "SELECT COUNT(*) FROM supporters")
[ "$supporters" -eq 40 ] || fail "the sync stored $supporters supporters, not 40"
hosts=$(db "SELECT COUNT(*) FROM sync_runs WHERE host IS NOT NULL")
latest=$(version) # the newest migration this build knows
[ "$hosts" -gt 0 ] || fail "no sync run recorded its host"

# The one backup of version $1 next to the database (SQLite): mode 0600, opens, and is a
# database at that schema version. Prints its path.
backup_of() {
  local files
  files=$(compgen -G "$DB_PATH.bak-v$1-*" || true)
  [ "$(wc -w <<<"$files")" -eq 1 ] || fail "expected one backup of version $1, found: '$files'"
  assert_eq "$(stat -c %a "$files")" 600 "mode of the backup $files"
  assert_eq "$(sqlite3 -batch "$files" "SELECT MAX(version) FROM schema_migrations")" "$1" \
    "schema version inside the backup $files"
  echo "$files"
}
# What the output says about a backup: where it is (SQLite), or that there is none (servers).
check_backup_note() {
  if [ "$(cs_backend)" = sqlite ]; then
    grep -qF "written to '$DB_PATH.bak-v$1-" "$OUT" || fail "no backup location in: $(cat "$OUT")"
  else
    grep -q "no backup was made.*DBA" "$OUT" || fail "no 'no backup' note in: $(cat "$OUT")"
    [ -z "$(compgen -G "$DB_PATH.bak-*" || true)" ] || fail "a backup file on $(cs_backend)"
  fi
}

# Migration 10 holds the exact cents of migration 9's amounts, copies of what raw_json holds (it
# fills them again when applied): named with their values, but no --yes.
ppcents=$(db "SELECT COUNT(pp_fees_amount_cents) FROM transactions")
[ "$ppcents" -gt 0 ] || fail "the sync filled no pp_fees_amount_cents"
cs_ok db rollback
grep -qF "rolled back migration 10" "$OUT" || fail "rollback of 10: $(cat "$OUT")"
grep -qF "transactions.pp_fees_amount_cents (column): $ppcents values of exact cents (made again from raw_json by migration 10)" "$OUT" ||
  fail "the cents column of migration 10 is not named: $(cat "$OUT")"
assert_eq "$(version)" 9 "schema version after rolling back migration 10"
check_backup_note 10
rm -f "$DB_PATH".bak-*

# Migration 9 added a column for every field, which the sync filled: rolling it back drops those
# values, named column by column, and needs --yes.
infos=$(db "SELECT COUNT(*) FROM transactions WHERE browser_info IS NOT NULL")
[ "$infos" -gt 0 ] || fail "the sync filled no transactions.browser_info"
cs db rollback
assert_eq "$RC" 2 "rollback of migration 9 without --yes"
grep -qF "rolling back migration 9 'every-field'" "$ERR" || fail "9 is not named: $(cat "$ERR")"
grep -qF "transactions.browser_info (column): $infos value" "$ERR" ||
  fail "the column is not named with its values: $(cat "$ERR")"
assert_eq "$(version)" 9 "schema version after the refused rollback of 9"
cs_ok db rollback --yes
grep -qF "rolled back migration 9" "$OUT" || fail "rollback of 9: $(cat "$OUT")"
assert_eq "$(version)" 8 "schema version after rolling back migration 9"
check_backup_note 9
[ "$(cs_backend)" = sqlite ] && backup_of 9 >/dev/null
rm -f "$DB_PATH".bak-*

# Migration 8 holds the exact cents of the synced amounts, copies of what raw_json holds (it
# fills them again when applied): named with their values, but no --yes; typed views go too.
cents=$(db "SELECT COUNT(total_gross_amount_cents) FROM transactions")
[ "$cents" -gt 0 ] || fail "the sync filled no cents"
cs_ok db rollback
grep -qF "rolled back migration 8" "$OUT" || fail "rollback of 8: $(cat "$OUT")"
grep -qF "transactions.total_gross_amount_cents (column): $cents values of exact cents" "$OUT" ||
  fail "the cents column is not named: $(cat "$OUT")"
assert_eq "$(version)" 7 "schema version after rolling back migration 8"
check_backup_note 8
rm -f "$DB_PATH".bak-*

# Migration 7 holds only the request budget's recent seconds (rate_slots, filled on a server
# database, where the budget is shared by default): not data, so no --yes, but still a backup.
cs_ok db rollback
grep -qF "rolled back migration 7" "$OUT" || fail "rollback of 7: $(cat "$OUT")"
assert_eq "$(version)" 6 "schema version after rolling back migration 7"
check_backup_note 7
[ "$(cs_backend)" = sqlite ] && backup_of 7 >/dev/null
rm -f "$DB_PATH".bak-*

# Migration 6 added sync_runs.host, which the sync filled: rolling it back drops those values.
cs db rollback
assert_eq "$RC" 2 "rollback of a step that drops values, without --yes"
grep -qF "rolling back migration 6 'workers'" "$ERR" || fail "the step is not named: $(cat "$ERR")"
grep -qF "sync_runs.host (column): $hosts value" "$ERR" || fail "the column is not named: $(cat "$ERR")"
grep -q "add --yes" "$ERR" || fail "no hint to add --yes: $(cat "$ERR")"
assert_eq "$(version)" 6 "schema version after the refused rollback"
assert_eq "$(db "SELECT COUNT(*) FROM sync_runs WHERE host IS NOT NULL")" "$hosts" "hosts kept"
[ -z "$(compgen -G "$DB_PATH.bak-*" || true)" ] || fail "a refused rollback wrote a backup"

cs_ok db rollback --yes
assert_eq "$(version)" 5 "schema version after rollback --yes"
grep -qF "rolled back migration 6" "$OUT" || fail "rollback result: $(cat "$OUT")"
check_backup_note 6
if [ "$(cs_backend)" = sqlite ]; then
  bak=$(backup_of 6)
  assert_eq "$(sqlite3 -batch "$bak" "SELECT COUNT(*) FROM sync_runs WHERE host IS NOT NULL")" \
    "$hosts" "host values in the backup"
fi
cs_ok db rollback --yes # migration 5: leases and alerts
assert_eq "$(version)" 4 "schema version after rolling back migration 5"

# Migration 4 holds the Mailchimp sent-state: three rows of it.
for i in 1 2 3; do
  db "INSERT INTO plugin_state (plugin, scope, email_key, organization_id, supporter_id, status,
      updated_at) VALUES ('mailchimp', 'list1', 'donor$i@example.org', 1001, $i, 'sent',
      '2026-01-01T00:00:00Z')" >/dev/null
done
cs db rollback
assert_eq "$RC" 2 "rollback of migration 4 without --yes"
grep -qF "plugin_state (table): 3 rows of Mailchimp sent-state" "$ERR" ||
  fail "plugin_state and its rows are not named: $(cat "$ERR")"
grep -qF "this drops 3 rows" "$ERR" || fail "the total is not given: $(cat "$ERR")"
assert_eq "$(version)" 4 "schema version after the refused rollback of 4"
assert_eq "$(db "SELECT COUNT(*) FROM plugin_state")" 3 "plugin_state rows after the refusal"
cs_ok db rollback --yes
assert_eq "$(version)" 3 "schema version after rolling back migration 4"
check_backup_note 4
if [ "$(cs_backend)" = sqlite ]; then
  bak=$(backup_of 4)
  assert_eq "$(sqlite3 -batch "$bak" "SELECT group_concat(email_key) FROM plugin_state")" \
    "donor1@example.org,donor2@example.org,donor3@example.org" "plugin_state in the backup"
fi

# Another command migrates on its own: the database is backed up first (SQLite).
cs_ok status
assert_eq "$(version)" "$latest" "schema version after the implicit migration"
if [ "$(cs_backend)" = sqlite ]; then
  bak=$(backup_of 3)
  assert_eq "$(sqlite3 -batch "$bak" "SELECT COUNT(*) FROM supporters")" "$supporters" \
    "supporters in the backup before the implicit migration"
fi

# Reset: always --yes; names the tables with their rows; refused, it changes nothing.
cs db reset
assert_eq "$RC" 2 "reset without --yes"
grep -qF "supporters (table): 40 rows of records synced from Classy" "$ERR" ||
  fail "reset does not name supporters and its rows: $(cat "$ERR")"
grep -qF "organizations (table): 1 row of" "$ERR" || fail "reset does not name organizations"
assert_eq "$(version)" "$latest" "schema version after the refused reset"
assert_eq "$(db "SELECT COUNT(*) FROM supporters")" "$supporters" "supporters after the refused reset"
cs_ok db reset --yes
check_backup_note "$latest"
if [ "$(cs_backend)" = sqlite ]; then
  bak=$(compgen -G "$DB_PATH.bak-v$latest-*" | sort | tail -1)
  assert_eq "$(stat -c %a "$bak")" 600 "mode of the reset's backup"
  assert_eq "$(sqlite3 -batch "$bak" "SELECT COUNT(*) FROM supporters")" "$supporters" \
    "supporters in the reset's backup"
  assert_eq "$(sqlite3 -batch "$DB_PATH" "SELECT COUNT(*) FROM sqlite_master WHERE type='table'")" 0 \
    "tables left after the reset"
fi
cs_ok db rollback
grep -q "nothing to roll back" "$OUT" || fail "rollback of an empty database: $(cat "$OUT")"
echo ok
