#!/usr/bin/env bash
# The default DB_PATH: with DB_PATH unset, the database is classy.db under
# $XDG_STATE_HOME/classy-sync (else ~/.local/state/classy-sync, or systemd's
# $STATE_DIRECTORY), and the directories it needs are created 0700 whatever
# the umask; `config show` creates nothing; a working directory that holds
# the old default ./classy-sync.db keeps using it; a DB_PATH that is set is
# never created for.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
cs_env
unset DB_PATH XDG_STATE_HOME STATE_DIRECTORY
mkdir "$TEST_TMP/work"
cd "$TEST_TMP/work"
umask 022

# XDG_STATE_HOME: made with the directory below it, 0700.
export XDG_STATE_HOME="$TEST_TMP/xdg/state"
cs_ok config show
grep -qF "$XDG_STATE_HOME/classy-sync/classy.db" "$OUT" || fail "config show: $(cat "$OUT")"
[ ! -e "$TEST_TMP/xdg" ] || fail "config show created the state directory"
cs_ok db migrate
for d in "$TEST_TMP/xdg" "$XDG_STATE_HOME" "$XDG_STATE_HOME/classy-sync"; do
  assert_eq "$(stat -c %a "$d")" 700 "mode of $d"
done
# fully migrated: the same version as a database migrated at an explicit path
DB_PATH="$TEST_TMP/ref.db" "$CS_BIN" db migrate >/dev/null </dev/null || fail "db migrate at an explicit path"
latest=$(sqlite3 -batch "$TEST_TMP/ref.db" "SELECT MAX(version) FROM schema_migrations")
[ "${latest:-0}" -gt 0 ] || fail "the reference database has no schema"
assert_eq "$(sqlite3 -batch "$XDG_STATE_HOME/classy-sync/classy.db" \
  "SELECT MAX(version) FROM schema_migrations")" "$latest" "schema of the default database"
[ ! -e classy-sync.db ] || fail "a database was made in the working directory"

# No XDG_STATE_HOME: ~/.local/state/classy-sync under a HOME of its own.
unset XDG_STATE_HOME
export HOME="$TEST_TMP/home"
mkdir -m 755 "$HOME"
cs_ok db migrate
assert_eq "$(stat -c %a "$HOME/.local")" 700 "mode of ~/.local"
assert_eq "$(stat -c %a "$HOME/.local/state/classy-sync")" 700 "mode of ~/.local/state/classy-sync"
[ -s "$HOME/.local/state/classy-sync/classy.db" ] || fail "no database under ~/.local/state"
assert_eq "$(stat -c %a "$HOME")" 755 "an existing directory keeps its mode"

# systemd's StateDirectory= (STATE_DIRECTORY, maybe a list): classy.db in the first.
export STATE_DIRECTORY="$TEST_TMP/sd:$TEST_TMP/other"
cs_ok db migrate
[ -s "$TEST_TMP/sd/classy.db" ] || fail "no database in \$STATE_DIRECTORY"
unset STATE_DIRECTORY

# The old default stays in use where it exists.
sqlite3 -batch classy-sync.db "CREATE TABLE keep_me (x)"
cs_ok db status
grep -qF "database: ./classy-sync.db" "$OUT" || fail "the old ./classy-sync.db is not used: $(cat "$OUT")"
rm classy-sync.db

# A DB_PATH that is set names a directory that must exist: nothing is created.
DB_PATH="$TEST_TMP/nowhere/x.db" cs db migrate
assert_eq "$RC" 2 "DB_PATH in a missing directory"
grep -q "does not exist" "$ERR" || fail "no clear message: $(cat "$ERR")"
[ ! -e "$TEST_TMP/nowhere" ] || fail "a directory was made for a DB_PATH that was set"
echo ok
