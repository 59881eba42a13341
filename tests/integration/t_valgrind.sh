#!/usr/bin/env bash
# valgrind shows no leaks and no memory errors on a full and an incremental sync.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/bootstrap installs it)"
sandbox_start --orgs 1 --supporters 250 --transactions 400 --plans 30
cs_env
cs_ok db migrate
cs_add_org 1001
vg() {
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --log-file="$TEST_TMP/vg.log" "$CS_BIN" "$@" >/dev/null 2>&1 </dev/null || {
      cat "$TEST_TMP/vg.log"; fail "valgrind found errors or leaks in: classy-sync $*"; }
}
vg sync all full
vg sync all
vg status --json
assert_matches_sandbox 1001 transactions
echo ok
