#!/usr/bin/env bash
# The master key (issue 11, finding 5): a new key is made only for a database that holds no
# encrypted secret. A missing key file while secrets exist is an error naming the file and what
# to do, for every command that needs the key (sync, org add), and no key file appears. A key
# that cannot decrypt the stored secrets is refused by org add, so secrets never end up under
# two keys. The way out of a lost key works: remove the orgs (data kept), add them again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 2 --supporters 20 --transactions 40 --campaigns 2 --plans 4
cs_env
cs_ok db migrate
[ ! -e "$CLASSY_SYNC_KEY_FILE" ] || fail "fixture: a key file before the first org"
cs_add_org 1001 # a database without secrets: the key is made here
[ -s "$CLASSY_SYNC_KEY_FILE" ] || fail "org add on a database without secrets made no key"
cs_ok sync supporters

# ---- the key file goes missing ----
mv "$CLASSY_SYNC_KEY_FILE" "$TEST_TMP/key.bak"
expect_missing() { # what
  assert_eq "$RC" 1 "$1: exit code"
  grep -q "master key file '$CLASSY_SYNC_KEY_FILE' is missing, but the database holds organization credentials" "$ERR" ||
    fail "$1: the error does not name the key file: $(cat "$ERR")"
  grep -q "restore the file from a backup" "$ERR" || fail "$1: no word on restoring it"
  grep -q "classy-sync org remove ID" "$ERR" || fail "$1: no word on re-adding the orgs"
  [ ! -e "$CLASSY_SYNC_KEY_FILE" ] || fail "$1: a new key file was made"
}
cs sync supporters
expect_missing "sync"
CLASSY_CLIENT_SECRET=sandbox-secret cs org add --org-id 1002 --client-id sandbox-client
expect_missing "org add"
assert_eq "$(db "SELECT COUNT(*) FROM organizations")" 1 "org add saved nothing"

# ---- restored: everything works again ----
mv "$TEST_TMP/key.bak" "$CLASSY_SYNC_KEY_FILE"
cs_ok sync supporters

# ---- another key: org add refuses to store a second key's secret ----
CLASSY_SYNC_KEY=$(head -c 32 /dev/urandom | base64) CLASSY_CLIENT_SECRET=sandbox-secret \
  cs org add --org-id 1002 --client-id sandbox-client
assert_eq "$RC" 1 "org add under another key: exit code"
grep -q "the master key (CLASSY_SYNC_KEY) cannot decrypt the credentials stored for organization 1001" "$ERR" ||
  fail "org add under another key: $(cat "$ERR")"
assert_eq "$(db "SELECT COUNT(*) FROM organizations")" 1 "nothing saved under another key"

# ---- the key is lost for good: remove the orgs (data kept), add them again ----
rm "$CLASSY_SYNC_KEY_FILE"
rows=$(db "SELECT COUNT(*) FROM supporters")
cs_ok org remove 1001
[ ! -e "$CLASSY_SYNC_KEY_FILE" ] || fail "org remove made a key"
cs_add_org 1001
[ -s "$CLASSY_SYNC_KEY_FILE" ] || fail "no new key once no secret was left"
assert_eq "$(db "SELECT COUNT(*) FROM supporters")" "$rows" "the synced data was kept"
cs_ok sync supporters
echo ok
