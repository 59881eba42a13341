#!/usr/bin/env bash
# The daemon's status page at / (issue 13): well-formed XHTML (a strict XML
# parser), an org name with quotes, ampersand, angle brackets, CJK and RTL
# text escaped and shown as it is, no URL and no email address anywhere, and
# every figure equal to SQL over sync_runs, plugin_runs, plugin_outcomes and
# sync_leases (tests/integration/status_page.py).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
cs_ok db migrate

. "$(dirname "$0")/page.sh"
page_seed
page_start
curl -sf -D "$TEST_TMP/h.txt" "$PAGE_URL" >"$TEST_TMP/page.html" || fail "GET / failed"
grep -qi '^content-type: text/html; charset=utf-8' "$TEST_TMP/h.txt" || fail "content type"
grep -qi "^content-security-policy: default-src 'none'" "$TEST_TMP/h.txt" || fail "no CSP"

# What SQL says the page must show.
hist() { # ENTITY: the newest 30 runs as JSON objects
  db "SELECT id, status, records, CAST(ROUND((julianday(finished_at) - julianday(started_at))
      * 86400) AS INTEGER) FROM sync_runs WHERE organization_id = $ORG AND entity = '$1'
      ORDER BY id DESC LIMIT 30" |
    jq -Rn '[inputs | split("|") | {id: (.[0]|tonumber), status: .[1],
                                     records: (.[2]|tonumber), secs: (.[3]|tonumber)}]'
}
window=$(db "SELECT SUM(status IN ('failed', 'partial')), COUNT(*) FROM (SELECT status FROM sync_runs
  WHERE organization_id = $ORG AND status NOT IN ('running', 'interrupted') ORDER BY id DESC LIMIT 20)")
push=$(db "SELECT considered, unchanged, created, updated, tagged, skipped, rejected, failed
  FROM plugin_runs WHERE id = $run_id" | jq -Rn 'input | split("|") | map(tonumber) as $v |
  ["considered","unchanged","created","updated","tagged","skipped","rejected","failed"] |
  to_entries | map({key: .value, value: $v[.key]}) | from_entries')
reasons=$(db "SELECT error_title, COUNT(*) FROM plugin_outcomes WHERE organization_id = $ORG
  AND status = 'rejected' GROUP BY error_title" |
  jq -Rn '[inputs | split("|") | {key: .[0], value: (.[1]|tonumber)}] | from_entries')
jq -n --arg name "$NAME" --argjson org $ORG --argjson s "$(hist supporters)" \
  --argjson t "$(hist transactions)" --arg w "$window" --argjson push "$push" \
  --argjson reasons "$reasons" '{name: $name, org: $org,
    escaped: ["Amis &quot;d&#39;Accès&quot; &amp; &lt;b&gt;Co&lt;/b&gt; 慈善基金会 جمعية الخير",
              "&lt;script&gt;alert(1)&lt;/script&gt;"],
    history: {supporters: $s, transactions: $t}, window: ($w | split("|") | map(tonumber)),
    push: $push, reasons: $reasons, lease: {host: "other-host", pid: 4242, job: "supporters"}}' \
  >"$TEST_TMP/want.json"
[ "$(jq '.history.supporters | length' "$TEST_TMP/want.json")" = 30 ] || fail "seeded history"
python3 "$CS_SRC/tests/integration/status_page.py" "$TEST_TMP/page.html" "$TEST_TMP/want.json" ||
  { cp "$TEST_TMP/page.html" "${CS_PAGE_KEEP:-/dev/null}" 2>/dev/null; fail "the status page is wrong"; }
# the email stored in plugin_outcomes and the run errors is in the database, not on the page
[ "$(db "SELECT COUNT(*) FROM plugin_outcomes WHERE email_key = 'carol@example.net'")" = 4 ] ||
  fail "the seeded emails are missing"
cs_ok daemon stop
echo "ok"
