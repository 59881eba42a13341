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

NAME=$'Amis "d\'Accès" & <b>Co</b> 慈善基金会 جمعية الخير'
ORG=2002
now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
q() { printf '%s' "${1//\'/\'\'}"; }

db "INSERT INTO organizations (id, name, client_id, created_at, updated_at)
    VALUES ($ORG, '$(q "$NAME")', 'c', '$(iso "$now")', '$(iso "$now")')"

# 35 supporters runs (the page shows the newest 30): every 7th failed with an
# error that quotes an email address and markup; 3 transactions runs, one partial.
runs() { # ENTITY N FAILEVERY STATUS
  local ent=$1 n=$2 every=$3 bad=$4 i st err start sql=""
  for i in $(seq 1 "$n"); do
    st=success err=NULL
    if [ $((i % every)) -eq 0 ]; then
      st=$bad err="'page 3: rejected for bob.smith@example.org & <script>alert(1)</script>'"
    fi
    start=$((now - (n - i + 1) * 600))
    sql+="${sql:+,}($ORG, '$ent', 'incremental', '$(iso $start)', '$(iso $((start + i)))',
          '$st', $((i * 10)), 1, 1, 0, $err)"
  done
  db "INSERT INTO sync_runs (organization_id, entity, mode, started_at, finished_at, status,
      records, pages, requests, retries, error) VALUES $sql"
}
runs supporters 35 7 failed
runs transactions 3 2 partial

db "INSERT INTO plugin_runs (plugin, organization_id, mode, started_at, finished_at, status,
    considered, unchanged, created, updated, tagged, skipped, rejected, failed, requests, writes)
    VALUES ('mailchimp', $ORG, 'incremental', '$(iso $((now - 300)))', '$(iso $((now - 290)))',
    'partial', 120, 80, 20, 10, 5, 1, 4, 0, 9, 35)"
run_id=$(db "SELECT MAX(id) FROM plugin_runs")
for r in "Invalid Resource|dan@example.net looks fake" "Invalid Resource|x" \
         "Invalid Resource|y" "Member In Compliance State|eve@example.com is unsubscribed"; do
  db "INSERT INTO plugin_outcomes (run_id, plugin, organization_id, supporter_id, email_key,
      action, status, error_title, error_detail, at) VALUES ($run_id, 'mailchimp', $ORG, 7,
      'carol@example.net', 'create', 'rejected', '${r%%|*}', '${r#*|}', '$(iso "$now")')"
done
db "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at, expires_at)
    VALUES ($ORG, 'supporters', 'daemon pid 4242', 4242, 'other-host', $((now * 1000)),
    $(((now + 3600) * 1000)))"

dm_config '{}'
dm_start --http 127.0.0.1:0
port=$(dm_jq .http_port)
[ "$port" -gt 0 ] || fail "no http port in the status file"
curl -sf -D "$TEST_TMP/h.txt" "http://127.0.0.1:$port/" >"$TEST_TMP/page.html" || fail "GET / failed"
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
