#!/usr/bin/env bash
# backends: all
# The giving report (issue 13), from `report --html` and from the daemon's
# /report: well-formed XHTML (a strict XML parser), every number equal to
# SQL run here directly over the views (donor_value_distribution,
# donor_engagement_distribution, campaign_performance, supporter_summary)
# and over transactions for the months, for one org and for all together;
# an org and a campaign named with quotes, ampersand, markup, CJK and RTL
# text escaped and shown as they are; no email address or donor name
# anywhere; the file self-contained (no URL, no link); the page's selector
# only links "?org=". Checked by tests/integration/report.py.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
cs_ok db migrate
cs_ok db seed --demo
NAME=$'Amis "d\'Accès" & <b>Co</b> 慈善基金会 جمعية الخير'
CAMPAIGN='<script>alert(1)</script> & "Gala"'
ORG=2002
q() { printf '%s' "${1//\'/\'\'}"; }
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The hostile org: one campaign, one donor with an email and a name, one
# gift so large that the campaign leads the report of all orgs.
db "INSERT INTO organizations (id, name, client_id, created_at, updated_at)
    VALUES ($ORG, '$(q "$NAME")', 'c', '$now', '$now')"
db "INSERT INTO campaigns (id, organization_id, name, status, goal, raw_json, synced_at)
    VALUES (990001, $ORG, '$(q "$CAMPAIGN")', 'active', 500000, '{}', '$now')"
db "INSERT INTO supporters (id, organization_id, email_address, first_name, last_name, raw_json,
    synced_at, lifetime_donation_amount, lifetime_donation_count, first_donation_date,
    last_donation_date) VALUES (990001, $ORG, 'Zed.Quux@Example.com', 'Zedekiah', 'Quuxley', '{}',
    '$now', 999999.5, 1, '$now', '$now')"
db "INSERT INTO transactions (id, organization_id, supporter_id, campaign_id, status,
    total_gross_amount, purchased_at, raw_json, synced_at) VALUES (990001, $ORG, 990001, 990001,
    'success', 999999.5, '$now', '{}', '$now')"

case $(cs_backend) in
sqlite) month() { echo "substr($1, 1, 7)"; } ;;
postgresql) month() { echo "to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM')"; } ;;
mysql) month() { echo "DATE_FORMAT($1, '%Y-%m')"; } ;;
esac
# rows a|b|c as a JSON object {a: [b, c]} (numbers), or a list of lists
obj() { jq -Rn '[inputs | split("|") | {key: .[0], value: (.[1:] | map(tonumber))}] | from_entries'; }
list() { jq -Rn '[inputs | split("|") | map(if . == "" then null else tonumber end)]'; }

# want ORG_ID(0: all) STANDALONE PAGE: what SQL says PAGE must show
want() {
  local org=$1 w="" ws="" first last from until scope
  [ "$org" != 0 ] && { w="AND organization_id = $org"; ws="WHERE organization_id = $org"; }
  # the window is the page's own (24 months up to its month), read back from it
  first=$(grep -o 'data-month="[0-9-]*"' "$3" | head -1 | cut -d'"' -f2)
  last=$(grep -o 'data-month="[0-9-]*"' "$3" | tail -1 | cut -d'"' -f2)
  from="$first-01"; until=$(date -u -d "$last-01 +1 month" +%Y-%m-%d)
  [ "$(date -u -d "$from +23 months" +%Y-%m)" = "$last" ] || fail "the window is not 24 months"
  if [ "$org" = 0 ]; then scope="all organizations"; else scope=$(db "SELECT name FROM organizations WHERE id = $org"); fi
  months=$(db "SELECT $(month purchased_at), COUNT(*), SUM(total_gross_amount),
    SUM(CASE WHEN recurring_donation_plan_id IS NOT NULL THEN 1 ELSE 0 END),
    COALESCE(SUM(CASE WHEN recurring_donation_plan_id IS NOT NULL THEN total_gross_amount END), 0),
    COUNT(DISTINCT supporter_id) FROM transactions WHERE status = 'success' AND deleted_at IS NULL
    AND purchased_at >= '$from' AND purchased_at < '$until' $w GROUP BY 1" | obj)
  firsts=$(db "SELECT $(month first_donation_date), COUNT(*) FROM supporter_summary
    WHERE lifetime_donation_count > 0 AND first_donation_date >= '$from'
    AND first_donation_date < '$until' $w GROUP BY 1" | jq -Rn '[inputs | split("|") |
    {key: .[0], value: (.[1] | tonumber)}] | from_entries')
  dist() { db "SELECT $2, SUM(supporters), SUM(total_lifetime_value) FROM $1
    WHERE $2 IS NOT NULL $w GROUP BY $2" | obj; }
  nogift() { db "SELECT COALESCE(SUM(supporters), 0) FROM $1 WHERE $2 IS NULL $w"; }
  campaigns=$(db "SELECT campaign_id, raised, goal, gift_count, unique_donors FROM campaign_performance
    $ws ORDER BY raised DESC, campaign_id LIMIT 10" | list)
  split=$(db "SELECT COALESCE(SUM(CASE WHEN lifetime_donation_count = 1 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN lifetime_donation_count > 1 THEN 1 ELSE 0 END), 0) FROM supporter_summary $ws")
  jq -n --arg scope "$scope" --argjson standalone "$2" --argjson months "$months" \
    --argjson first "$firsts" --argjson value "$(dist donor_value_distribution value_tier)" \
    --argjson engagement "$(dist donor_engagement_distribution engagement_segment)" \
    --argjson nv "$(nogift donor_value_distribution value_tier)" \
    --argjson ne "$(nogift donor_engagement_distribution engagement_segment)" \
    --argjson campaigns "$campaigns" --arg split "$split" \
    --argjson emails "$(db "SELECT email_address FROM supporters WHERE email_address IS NOT NULL" | jq -Rn '[inputs]')" \
    --argjson names "$(db "SELECT first_name || ' ' || last_name FROM supporters WHERE first_name IS NOT NULL AND last_name IS NOT NULL" | jq -Rn '[inputs]')" \
    --argjson escaped "$4" \
    '{scope: $scope, standalone: $standalone, months: $months, first: $first, value: $value,
      engagement: $engagement, no_gift_value: $nv, no_gift_engagement: $ne, campaigns: $campaigns,
      once: ($split | split("|")[0] | tonumber), repeat: ($split | split("|")[1] | tonumber),
      emails: $emails, names: $names, escaped: $escaped}'
}
check() { # PAGE ORG STANDALONE ESCAPED_JSON
  want "$2" "$3" "$1" "$4" >"$1.want.json"
  python3 "$CS_SRC/tests/integration/report.py" "$1" "$1.want.json" ||
    { cp "$1" "${CS_PAGE_KEEP:-/dev/null}" 2>/dev/null; fail "the report in $1 is wrong"; }
}
[ "$(db "SELECT COUNT(*) FROM transactions WHERE organization_id = 1")" -gt 100 ] || fail "no demo data"
ESC_CAMPAIGN='["&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Gala&quot;"]'
ESC_ORG='["Amis &quot;d&#39;Accès&quot; &amp; &lt;b&gt;Co&lt;/b&gt; 慈善基金会 جمعية الخير"]'

# the file: every org together, then the demo org alone
cs_ok report --html "$TEST_TMP/all.html"
check "$TEST_TMP/all.html" 0 true "$ESC_CAMPAIGN"
cs_ok report --html "$TEST_TMP/one.html" --org 1
check "$TEST_TMP/one.html" 1 true '[]'
cs_ok report --html "$TEST_TMP/hostile.html" --org $ORG
check "$TEST_TMP/hostile.html" $ORG true "$ESC_ORG"
ls "$TEST_TMP" | grep -q '\.tmp-' && fail "a temporary file was left beside the report"

# the daemon's page: the same figures, with the selector
dm_config '{}'
dm_start --http 127.0.0.1:0
base="http://127.0.0.1:$(dm_jq .http_port)/report"
dm_report_ready "$base"
dm_report_ready "$base?org=$ORG"
curl -sf -D "$TEST_TMP/h.txt" "$base" >"$TEST_TMP/page-all.html" || fail "GET /report failed"
grep -qi '^content-type: text/html; charset=utf-8' "$TEST_TMP/h.txt" || fail "content type"
grep -qi "^content-security-policy: default-src 'none'" "$TEST_TMP/h.txt" || fail "no CSP"
check "$TEST_TMP/page-all.html" 0 false "$(jq -c '. + ["?org=2002"]' <<<"$ESC_ORG")"
curl -sf "$base?org=$ORG" >"$TEST_TMP/page-org.html" || fail "GET /report?org=$ORG failed"
check "$TEST_TMP/page-org.html" $ORG false "$ESC_ORG"
grep -q '<a href="?org=2002" aria-current="page">' "$TEST_TMP/page-org.html" ||
  fail "the selector does not mark the org shown"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base?org=x1")" = 400 ] || fail "?org=x1 is not 400"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base?org=424242")" = 404 ] || fail "an unknown org is not 404"
cs_ok daemon stop
echo "ok"
