#!/usr/bin/env bash
# Bad input of every kind gets a clear message, the right exit code, and no damage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 2 --supporters 200 --transactions 300
cs_env
cs_ok db migrate

expect() { # expect CODE PATTERN ARGS...
  local code=$1 pattern=$2; shift 2
  cs "$@"
  [ "$RC" -eq "$code" ] || { cat "$ERR"; fail "classy-sync $* exited $RC, expected $code"; }
  grep -qiE -- "$pattern" "$ERR" || { cat "$ERR"; fail "classy-sync $*: message lacks /$pattern/"; }
}

# Bad flags and arguments: exit 2.
expect 2 "unknown option '--bogus'" sync all --bogus
expect 2 "unknown entity 'donors'" sync donors
expect 2 "unknown mode 'sideways'" sync all sideways
expect 2 "needs a non-negative whole number" sync all --org abc
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "--yes" db reset
expect 2 "never taken from the command line" org add --org-id 1 --client-id x --client-secret s

# Bad configuration: exit 2, naming the variable, before any work.
LOG_LEVEL=loud expect 2 "LOG_LEVEL" status
CLASSY_API_URL="not a url" expect 2 "CLASSY_API_URL" status
DB_TYPE=oracle expect 2 "DB_TYPE" status
DB_TYPE=postgresql DB_HOST=/nonexistent-socket-dir expect 2 "cannot connect to PostgreSQL" status
DB_TYPE=pg DATABASE_URL=mysql://u:p@127.0.0.1/x expect 2 "DATABASE_URL is a mysql URL" status
printf 'LOG_LEVEL=info\nthis line is wrong\n' >"$TEST_TMP/bad.env"
CLASSY_SYNC_ENV_FILE="$TEST_TMP/bad.env" expect 2 "line 2" status

# Bad credentials and a bad org id: exit 1, nothing saved, secret never echoed.
export CLASSY_CLIENT_SECRET=wrong-secret-xyz
expect 1 "rejected" org add --org-id 1001 --client-id sandbox-client
grep -q "wrong-secret-xyz" "$ERR" && fail "the secret appeared in an error message"
export CLASSY_CLIENT_SECRET=sandbox-secret
expect 1 "not found" org add --org-id 999999 --client-id sandbox-client
cs_ok org list --json
assert_eq "$(jq length "$OUT")" 0 "organizations saved after failed verification"

# No organizations registered: a clear failure.
expect 1 "no organizations registered" sync all

# One org with rotated credentials, one fine: partial (exit 3), the good one is synced.
cs_add_org 1001
cs_add_org 1002
curl -sf -X POST "$SANDBOX_URL/__sandbox/set-credentials?client_secret=rotated" >/dev/null
cs sync all
assert_eq "$RC" 1 "exit status when every org fails to authenticate"
grep -qi "rejected" "$ERR" "$OUT" || fail "no credentials message"
curl -sf -X POST "$SANDBOX_URL/__sandbox/set-credentials?client_secret=sandbox-secret" >/dev/null

# A bad DB_PATH: exit 1 with the path and what to do.
DB_PATH=/nonexistent/dir/x.db expect 2 "/nonexistent/dir" status

# A read-only database: exit 1, the data untouched.
cs_ok sync all full --org 1001
before=$(db "SELECT COUNT(*) FROM supporters")
chmod 444 "$DB_PATH"
if [ "$(id -u)" -ne 0 ]; then
  expect 1 "read-only|readonly|permission" sync all full --org 1001
else
  # root writes through any mode bits: run this one as nobody, with the key in the environment
  # (the key file is root's, mode 0600), from a copy of the binary that nobody can reach (the
  # checkout may sit in a directory only root can enter).
  chmod 755 "$TEST_TMP"
  install -m 755 "$CS_BIN" "$TEST_TMP/classy-sync-nobody"
  set +e
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env CLASSY_SYNC_KEY="$(tr -d '\n' <"$CLASSY_SYNC_KEY_FILE")" \
    "$TEST_TMP/classy-sync-nobody" sync all full --org 1001 >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  set -e
  assert_eq "$RC" 1 "exit status of a sync into a read-only database"
  grep -qiE "read-only|readonly|permission" "$ERR" || { cat "$ERR"; fail "no read-only message"; }
fi
chmod 644 "$DB_PATH"
assert_eq "$(db "SELECT COUNT(*) FROM supporters")" "$before" "rows after the read-only attempt"

# A full disk mid-sync: exit 1, the page in flight rolled back, earlier pages kept, and a
# rerun with space completes.
cs_ok db reset --yes
cs_ok db migrate
cs_add_org 1001
# room for a few pages of data beyond the schema, whatever its size
pages=$(db "PRAGMA page_count")
CLASSY_SYNC_TEST_MAX_PAGE_COUNT=$((pages + 22)) expect 3 "disk is full" sync all full
cs_ok sync all full
for e in campaigns supporters transactions recurring_plans; do assert_matches_sandbox 1001 "$e"; done

# Bad master key permissions: refused with the fix.
chmod 644 "$CLASSY_SYNC_KEY_FILE"
expect 2 "chmod 600" sync all
chmod 600 "$CLASSY_SYNC_KEY_FILE"
echo ok
