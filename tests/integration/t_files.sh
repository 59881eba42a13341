#!/usr/bin/env bash
# Files at rest and crash output (docs/SECURITY.md): under umask 000 every file
# classy-sync creates is 0600 and every directory 0700 (the database with its
# -wal and -shm, the master key and its directory, the jsonl export, the
# detached daemon's pidfile, status file and log); and its processes, the
# daemon's supervisor and worker included, run with no core dumps.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
sandbox_start --orgs 1 --supporters 40 --transactions 60
cs_env
# everything the tool creates lands under $DATA
DATA="$TEST_TMP/data"
mkdir -m 0777 "$DATA"
export DB_PATH="$DATA/mirror.db" CLASSY_SYNC_KEY_FILE="$DATA/keys/sub/master.key" \
  JSONL_PATH="$DATA/contacts.jsonl"
umask 000
# allow cores as far as this shell may, so a process that does not turn them
# off itself shows a non-zero limit below
ulimit -S -c "$(ulimit -H -c)"

cs_ok db migrate
cs_add_org 1001
cs_ok sync all full
db "UPDATE supporters SET opt_in = 1"
cs_ok jsonl sync
[ -s "$JSONL_PATH" ] || fail "the export was not written"
dm_config '{"syncIntervals":{"supporters":1000,"transactions":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000}}'
dm_start
wait_for "[ \$(dm_runs \"entity='supporters' AND status='success'\") -ge 2 ]" 40
pid=$(cat "$(dm_pidfile)")
wpid=$(dm_jq .worker_pid)
# no core dumps, in both daemon processes (a fork keeps the limit)
for p in "$pid" "$wpid"; do
  grep -E "^Max core file size +0 +0 " "/proc/$p/limits" >/dev/null ||
    { cat "/proc/$p/limits"; fail "process $p may dump core"; }
done
# every file and directory made, checked while the daemon holds the database
# open (its -wal and -shm exist only then) and again once it stopped
private() {
  local open
  open=$(find "$DATA" -mindepth 1 \( -type f -perm /077 -o -type d -perm /077 \) -printf '%m %P\n')
  [ -z "$open" ] || fail "readable by group or others under umask 000: $open"
}
for f in mirror.db mirror.db-wal mirror.db-shm keys/sub/master.key contacts.jsonl \
  mirror.db.daemon.pid mirror.db.daemon.json mirror.db.daemon.log; do
  [ -e "$DATA/$f" ] || fail "$f was not created (the test would prove nothing)"
done
private
cs_ok daemon stop --timeout 20
private
echo ok
