#!/usr/bin/env bash
# valgrind shows no leaks and no memory errors on a full and an incremental sync,
# a Mailchimp push (pool threads, batch subscribe, /batches with tar.gz results)
# and a quick health check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/bootstrap installs it)"
sandbox_start --orgs 1 --supporters 250 --transactions 400 --plans 30
cs_env
cs_ok db migrate
cs_add_org 1001
# vg ARGS...: runs classy-sync under valgrind; fails on any valgrind finding
# (exit 99) or when the command's own exit code is not $VG_EXPECT (default 0).
vg() {
  local rc=0
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --log-file="$TEST_TMP/vg.log" "$CS_BIN" "$@" >/dev/null 2>&1 </dev/null || rc=$?
  if [ "$rc" -eq 99 ] || [ -s "$TEST_TMP/vg.log" ]; then
    cat "$TEST_TMP/vg.log"; fail "valgrind found errors or leaks in: classy-sync $*"
  fi
  [ "$rc" -eq "${VG_EXPECT:-0}" ] || fail "classy-sync $* exited $rc under valgrind"
}
vg sync all full
vg sync all
vg status --json
assert_matches_sandbox 1001 transactions
export MAILCHIMP_API_KEY=sandbox-key-us1 MAILCHIMP_LIST_ID=sandbox-list \
  MAILCHIMP_API_URL="$SANDBOX_URL/3.0" MAILCHIMP_BATCH_MIN=1
vg mailchimp sync --create-fields
db "UPDATE supporters SET first_name = 'V' WHERE opt_in = TRUE"
vg mailchimp sync
[ "$(curl -sf "$SANDBOX_URL/__sandbox/mc/stats" | jq '.by_route["POST batches"]')" -ge 1 ] ||
  fail "the push under valgrind did not go through /batches"
VG_EXPECT=1 vg health # warning: no daemon runs
echo ok
