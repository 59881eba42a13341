#!/usr/bin/env bash
# backends: all
# Mailchimp with several organizations: MAILCHIMP_ORG_LISTS sends each org to
# its own audience (an org mapped to a list that does not exist fails alone,
# clearly, and the others are pushed: exit 3); two orgs sharing one audience
# never send the same person twice; --org pushes one org only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/mc.sh"

sandbox_start --orgs 2 --supporters 80 --transactions 200 --plans 10
cs_env
cs_add_org 1001
cs_add_org 1002
cs_ok sync all full
export MAILCHIMP_API_KEY=sandbox-key-us1 MAILCHIMP_LIST_ID=sandbox-list \
  MAILCHIMP_API_URL="$SANDBOX_URL/3.0"

# one person in both orgs (same email, different case)
shared=$(db "SELECT LOWER(TRIM(email_address)) FROM supporters WHERE organization_id = 1001
             AND opt_in = TRUE AND email_address LIKE '%_@_%._%' ORDER BY id LIMIT 1")
db "UPDATE supporters SET email_address = UPPER('$shared'), opt_in = TRUE WHERE id =
    (SELECT id FROM supporters WHERE organization_id = 1002 ORDER BY id LIMIT 1)"

# org 1002 mapped to an audience that does not exist: it fails alone
MAILCHIMP_ORG_LISTS=1002=no-such-list cs mailchimp sync --create-fields --json
assert_eq "$RC" 3 "one org failing makes the run partial"
assert_eq "$(jq -r '.organizations[] | select(.organization_id == 1001) | .status' "$OUT")" success "org 1001"
assert_eq "$(jq -r '.organizations[] | select(.organization_id == 1002) | .status' "$OUT")" failed "org 1002"
jq -r '.organizations[] | select(.organization_id == 1002) | .error' "$OUT" | grep -q "no-such-list" ||
  fail "the error does not name the list: $(cat "$OUT")"
grep -q "MAILCHIMP_ORG_LISTS" "$ERR" || fail "the error does not name the variable: $(cat "$ERR")"
n1=$(db "SELECT COUNT(*) FROM contact_segments WHERE organization_id = 1001 AND opt_in = TRUE
         AND email_address LIKE '%_@_%._%'")
assert_eq "$(mc_members | jq '[.[] | select(.status == "subscribed" and .merge_fields.TOTALAMT != null)] | length')" \
  "$n1" "only org 1001 reached the audience"

# --org pushes one org; sharing the audience, the shared person is not sent twice
mc_reset_stats
cs_ok mailchimp sync --org 1002 --json
assert_eq "$(jq '.organizations | length' "$OUT")" 1 "--org pushes one org"
cs_ok mailchimp sync --json
assert_eq "$(jq -r '.totals.writes' "$OUT")" 0 "both orgs up to date: nothing sent"
assert_eq "$(mc_members | jq --arg e "$shared" '[.[] | select((.email_address | ascii_downcase) == $e)] | length')" \
  1 "the shared person is one member"
echo ok
