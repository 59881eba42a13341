#!/usr/bin/env bash
# A backup onto a full disk: the database sits on a small tmpfs (a mount namespace of the test's
# own, `unshare -rm`, so no root is needed where user namespaces are allowed) with room for it
# but not for its copy. `db rollback --yes`, `db reset --yes` and the migration another command
# runs all stop with exit 1 and a message that says the disk is full and nothing was changed;
# the database keeps its schema version and rows, and no partial backup is left.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
cs_sqlite_only "VACUUM INTO backups are SQLite's; a server database is backed up by its DBA"
unshare -rm true 2>/dev/null || {
  echo "SKIPPED: cannot make a mount namespace here (unshare -rm failed: user namespaces off?)"
  exit 77
}
cs_env
cs_ok db migrate
cs_ok db seed --demo
cs_ok db rollback --yes # one step back: the next command has a migration to run
ver=$(db "SELECT MAX(version) FROM schema_migrations")
before=$(db "SELECT (SELECT MAX(version) FROM schema_migrations) || '|' ||
  (SELECT COUNT(*) FROM supporters) || '|' || (SELECT COUNT(*) FROM transactions)")
rm -f "$DB_PATH".bak-*

small="$TEST_TMP/small"
mkdir "$small"
# room for the database, its -wal and -shm, not for a second copy
kb=$(($(stat -c %s "$DB_PATH") / 1024 + 64))
export small kb TEST_TMP
unshare -rm bash -c '
  set -u
  mount -t tmpfs -o "size=${kb}k,mode=0700" tmpfs "$small" || exit 99
  cp "$DB_PATH" "$small/test.db"
  run() { DB_PATH="$small/test.db" "$CS_BIN" "$@" >"$TEST_TMP/$1.$2.out" 2>"$TEST_TMP/$1.$2.err" </dev/null
          echo $? >"$TEST_TMP/$1.$2.rc"; }
  run db rollback --yes
  run db reset --yes
  run status --json
  sqlite3 -batch "$small/test.db" "SELECT (SELECT MAX(version) FROM schema_migrations) || '\''|'\'' ||
    (SELECT COUNT(*) FROM supporters) || '\''|'\'' || (SELECT COUNT(*) FROM transactions)" \
    >"$TEST_TMP/after"
  ls -A "$small" >"$TEST_TMP/files"
' || fail "the tmpfs could not be mounted in the test's namespace (exit $?)"

for step in "db.rollback" "db.reset" "status.--json"; do
  assert_eq "$(cat "$TEST_TMP/$step.rc")" 1 "exit status of ${step/./ } on a full disk"
  err=$(cat "$TEST_TMP/$step.err")
  grep -q "cannot back up database '$small/test.db' to '$small/test.db.bak-v$ver-.*': the disk is full; nothing was changed" \
    <<<"$err" || fail "${step/./ } on a full disk: no clear message: $err"
done
grep -q "cannot bring the database schema up to date" "$TEST_TMP/status.--json.err" ||
  fail "the implicit migration does not say what it was doing: $(cat "$TEST_TMP/status.--json.err")"
assert_eq "$(cat "$TEST_TMP/after")" "$before" "schema version and rows after the failed backups"
! grep -q "bak-" "$TEST_TMP/files" || fail "a partial backup was left: $(cat "$TEST_TMP/files")"
echo ok
