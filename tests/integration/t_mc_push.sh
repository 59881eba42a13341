#!/usr/bin/env bash
# backends: all
# The Mailchimp push against the sandbox: consent filtering, merge fields,
# compliance states skipped and recorded, permanent rejections, case-merged
# duplicates, no `status` and no DELETE ever sent, a rerun sends nothing,
# stats-only changes and segment moves are pushed, foreign tags untouched,
# consent withdrawal reported (not unsubscribed), --dry-run, --limit, --full.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/mc.sh"

mc_setup

# ---- fixture: the people the rules are about ----
# (SQLite keeps consent in the form it arrived: 't' is a case to handle there)
yes="'t'"
[ "$(cs_backend)" = sqlite ] || yes=TRUE
mapfile -t ids < <(db "SELECT id FROM supporters WHERE opt_in = TRUE AND email_address LIKE '%@%'
                       ORDER BY id LIMIT 9")
db "UPDATE supporters SET email_address = 'unsubscribed@example.org' WHERE id = ${ids[0]};
    UPDATE supporters SET email_address = 'cleaned@example.org' WHERE id = ${ids[1]};
    UPDATE supporters SET email_address = 'forgotten@example.org' WHERE id = ${ids[2]};
    UPDATE supporters SET email_address = ' Foreign@Example.org ' WHERE id = ${ids[3]};
    UPDATE supporters SET email_address = 'fake@example.org' WHERE id = ${ids[4]};
    UPDATE supporters SET email_address = 'archived@example.org' WHERE id = ${ids[5]};
    UPDATE supporters SET email_address = 'Dup.Person@Example.org', lifetime_donation_amount = 30,
      lifetime_donation_count = 1, last_donation_date = '2026-01-01T00:00:00Z' WHERE id = ${ids[6]};
    UPDATE supporters SET email_address = 'dup.person@example.org', lifetime_donation_amount = 1200,
      lifetime_donation_count = 2, last_donation_date = '2026-02-01T00:00:00Z' WHERE id = ${ids[7]};
    UPDATE supporters SET opt_in = $yes WHERE id = ${ids[8]};"
noconsent=$(db "SELECT LOWER(TRIM(email_address)) FROM supporters WHERE opt_in = FALSE
                AND email_address LIKE '%_@_%._%' LIMIT 1")
[ -n "$noconsent" ] || fail "fixture: no non-consenting supporter"
tconsent=$(db "SELECT LOWER(TRIM(email_address)) FROM supporters WHERE id = ${ids[8]}")

# ---- pre-flight: mapped merge fields must exist ----
cs mailchimp sync
assert_eq "$RC" 1 "missing merge fields stop the run"
grep -q "TOTALAMT (number)" "$ERR" || fail "missing fields not listed: $(cat "$ERR")"
grep -q -- "'classy-sync mailchimp sync --create-fields'" "$ERR" || fail "no hint at --create-fields: $(cat "$ERR")"
# health --detailed runs the same pre-flight: its hint names the command that has the flag
cs health mailchimp --detailed
grep -q -- "run 'classy-sync mailchimp sync --create-fields'" "$OUT" ||
  fail "health --detailed does not name the command of --create-fields: $(cat "$OUT")"
assert_eq "$(mc_stats .writes)" 0 "nothing was written before the pre-flight passed"

# ---- first push ----
cs mailchimp sync --create-fields --json
assert_eq "$RC" 3 "permanent rejections make the run partial"
# a status is only ever applied to a member that did not exist: new contacts are batch-subscribed
# with the documented `status`, and update_existing false keeps it off members that exist
assert_eq "$(mc_stats .status_on_existing)" 0 "no status was applied to a member that existed"
[ "$(mc_stats .status_on_new)" -ge 1 ] || fail "new contacts were not created with a status"
assert_eq "$(mc_stats .status_on_existing_refused)" 1 \
  "foreign@example.org (a member already, never sent) was subscribed as new: its status was refused"
assert_eq "$(mc_stats .deletes)" 0 "no DELETE or delete-permanent"
assert_eq "$(mc_stats .is_syncing_false)" 0 "every tag call had is_syncing true"
[ "$(mc_stats '.by_route["POST batch-subscribe"]')" -ge 1 ] || fail "new contacts not batch-subscribed"

# every sendable contact except the special ones is a subscribed member with its figures
db "SELECT email_key, lifetime_donation_amount, value_tag FROM contact_segments
  WHERE $(cs_consent_sql) AND email_key NOT IN ('unsubscribed@example.org', 'cleaned@example.org',
  'forgotten@example.org', 'fake@example.org', 'archived@example.org')" |
  jq -R 'split("|") | {email_key: .[0], amt: (.[1] | tonumber), value_tag: (if .[2] == "" then null else .[2] end)}' |
  jq -s . >"$TEST_TMP/want.json"
mc_members >"$TEST_TMP/members.json"
missing=$(jq -n --slurpfile w "$TEST_TMP/want.json" --slurpfile m "$TEST_TMP/members.json" '
  ($m[0] | map({key: (.email_address | ascii_downcase | ltrimstr(" ") | rtrimstr(" ")), value: .}) | from_entries) as $by
  | [$w[0][] | . as $c | $by[$c.email_key] as $mm
    | select(($mm | not) or $mm.status != "subscribed" or $mm.merge_fields.TOTALAMT != $c.amt
      or ($c.value_tag != null and ($mm.tags | index("Classy-" + $c.value_tag) | not)))
    | .email_key]')
assert_eq "$missing" "[]" "members match the consenting contacts (figures and value tags)"
assert_eq "$(mc_member "$noconsent")" null "a supporter without consent is not sent"
[ "$(mc_member "$tconsent" | jq -r .status)" = subscribed ] || fail "opt_in 't' counts as consent"

# duplicates differing only in case: one contact, figures summed, tier from the sum
dup=$(mc_member dup.person@example.org)
assert_eq "$(jq -r .merge_fields.TOTALAMT <<<"$dup")" 1230 "merged duplicates sum their gifts"
assert_eq "$(jq -r .merge_fields.DONCNT <<<"$dup")" 3 "merged gift count"
jq -e '.tags | index("Classy-Major Donor")' <<<"$dup" >/dev/null || fail "merged contact tier: $dup"
assert_eq "$(mc_members | jq '[.[] | select((.email_address | ascii_downcase) == "dup.person@example.org")] | length')" 1 "one member"

# compliance states untouched and recorded, permanent rejections recorded
for s in unsubscribed cleaned archived; do
  m=$(mc_member "$s@example.org")
  assert_eq "$(jq -r .status <<<"$m")" "$s" "$s member keeps its status"
  assert_eq "$(jq -r '.merge_fields.TOTALAMT // "none"' <<<"$m")" none "$s member not updated"
  assert_eq "$(db "SELECT status || '|' || error_title FROM plugin_outcomes WHERE email_key = '$s@example.org'")" \
    "skipped|Member is $s" "$s outcome"
done
assert_eq "$(db "SELECT status || '|' || error_title FROM plugin_outcomes WHERE email_key = 'forgotten@example.org'")" \
  "rejected|Forgotten Email Not Subscribed" "forgotten email outcome"
assert_eq "$(db "SELECT status || '|' || error_title FROM plugin_outcomes WHERE email_key = 'fake@example.org'")" \
  "rejected|Invalid Resource" "fake email outcome"

# a member that existed: updated in place, its own tags kept
f=$(mc_member foreign@example.org)
assert_eq "$(jq -r .status <<<"$f")" subscribed "existing member keeps its status"
jq -e '.tags | index("VIP")' <<<"$f" >/dev/null || fail "foreign tag VIP removed: $f"
[ "$(jq -r '.merge_fields.TOTALAMT' <<<"$f")" != null ] || fail "existing member not updated: $f"

# ---- a rerun with nothing changed sends nothing ----
mc_reset_stats
cs mailchimp sync --json
assert_eq "$RC" 0 "a quiet rerun succeeds (old rejections are not failures again)"
assert_eq "$(mc_stats .writes)" 0 "a rerun with nothing changed makes no write"
assert_eq "$(jq -r .totals.writes "$OUT")" 0 "the report agrees"

# ---- a stats-only change moves a contact between segments ----
mover=$(db "SELECT email_key FROM contact_segments WHERE opt_in = TRUE AND value_tier = 'Small Donor'
            AND email_key NOT LIKE '%example.org' LIMIT 1")
[ -n "$mover" ] || mover=$(db "SELECT email_key FROM contact_segments WHERE opt_in = TRUE AND value_tier IS NOT NULL AND value_tier <> 'Major Donor' AND email_key NOT LIKE '%@example.org' LIMIT 1")
old_tag=$(db "SELECT value_tag FROM contact_segments WHERE email_key = '$mover'")
db "UPDATE supporters SET lifetime_donation_amount = 2000 WHERE LOWER(TRIM(email_address)) = '$mover'"
mc_reset_stats
cs_ok mailchimp sync
m=$(mc_member "$mover")
assert_eq "$(jq -r .merge_fields.TOTALAMT <<<"$m")" 2000 "stats-only change pushed"
jq -e '.tags | index("Classy-Major Donor")' <<<"$m" >/dev/null || fail "new tier tag missing: $m"
jq -e --arg t "Classy-$old_tag" '.tags | index($t)' <<<"$m" >/dev/null && fail "old tier tag $old_tag kept: $m"
jq -e '.tags | index("Classy-$1K+ Lifetime")' <<<"$m" >/dev/null || fail "special tag missing: $m"
assert_eq "$(mc_stats '.by_route["PUT members"]')" 1 "one PUT"
assert_eq "$(mc_stats '.by_route["POST tags"]')" 1 "one tag call"

# ---- consent withdrawn: reported, never unsubscribed ----
db "UPDATE supporters SET opt_in = FALSE WHERE LOWER(TRIM(email_address)) = '$mover'"
mc_reset_stats
cs_ok mailchimp sync
assert_eq "$(mc_stats .writes)" 0 "withdrawn consent sends nothing"
assert_eq "$(mc_member "$mover" | jq -r .status)" subscribed "member left as is"
assert_eq "$(db "SELECT error_title FROM plugin_outcomes WHERE email_key = '$mover' AND action = 'report'")" \
  "Consent withdrawn in Classy" "withdrawal reported"
cs_ok mailchimp sync
assert_eq "$(db "SELECT COUNT(*) FROM plugin_outcomes WHERE email_key = '$mover' AND action = 'report'")" 1 "reported once"

# ---- --dry-run makes no write of any kind; --limit caps the contacts sent ----
five=$(db "SELECT supporter_id FROM contact_segments WHERE opt_in = TRUE
           AND email_key NOT LIKE '%@example.org' ORDER BY supporter_id LIMIT 5" | paste -sd, -)
db "UPDATE supporters SET lifetime_donation_amount = lifetime_donation_amount + 1 WHERE id IN ($five)"
mc_reset_stats
cs_ok mailchimp sync --dry-run
assert_eq "$(mc_stats .writes)" 0 "--dry-run writes nothing"
grep -q "planned changes" "$OUT" || fail "no plan printed: $(cat "$OUT")"
grep -q "TOTALAMT" "$OUT" || fail "plan shows no field diff: $(cat "$OUT")"
cs_ok mailchimp sync --limit 2 --json
assert_eq "$(jq -r .totals.updated "$OUT")" 2 "--limit 2 updates two contacts"
cs_ok mailchimp sync --json
assert_eq "$(jq -r .totals.updated "$OUT")" 3 "the rest follows on the next run"

# ---- --full diffs against Mailchimp's own data ----
jq -e '.tags | index("Classy-Old Tag")' <<<"$(mc_member foreign@example.org)" >/dev/null ||
  fail "fixture: the stale managed tag should still be there"
mc_reset_stats
cs_ok mailchimp sync --full --json
f=$(mc_member foreign@example.org)
jq -e '.tags | index("Classy-Old Tag")' <<<"$f" >/dev/null && fail "--full left a stale managed tag: $f"
jq -e '.tags | index("VIP")' <<<"$f" >/dev/null || fail "--full touched a foreign tag: $f"
[ "$(mc_stats '.by_route["POST tags"]')" -le 3 ] || fail "--full rewrote members that were right"
assert_eq "$(mc_stats .status_on_existing)" 0 "--full never sets the status of a member that exists"

cs_ok mailchimp status --json
assert_eq "$(jq -r '.last_runs[0].status' "$OUT")" success "status shows the last run"
[ "$(jq '.recent_errors | length' "$OUT")" -ge 2 ] || fail "recent errors missing"
echo ok
