#!/usr/bin/env bash
# MAILCHIMP_STATUS_IF_NEW=pending (double opt-in): every new member lands pending, never
# subscribed, and the setting never touches a member that exists. The mutation
# status-if-new-ignored (tests/mutate/mutations.txt) survived the whole suite before.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/mc.sh"
mc_setup
MAILCHIMP_STATUS_IF_NEW=pending cs_ok mailchimp sync --create-fields --json
created=$(jq -r .totals.created "$OUT")
[ "$created" -gt 10 ] || fail "too few new members to prove anything ($created)"
assert_eq "$(mc_members | jq '[.[] | select(.merge_fields.TOTALAMT != null and .status == "pending")] | length')" \
  "$created" "every new member is pending"
assert_eq "$(mc_members | jq '[.[] | select(.merge_fields.TOTALAMT != null and .status == "subscribed")] | length')" \
  0 "no new member was subscribed without confirming"
echo ok
