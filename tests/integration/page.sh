# Helpers for the status page tests (t_status_page*.sh). Source after lib.sh,
# cs.sh and daemon.sh.
#   page_seed     an org named with quotes, ampersand, markup, CJK and RTL text
#                 ($NAME, id $ORG) with 35 supporters runs (every 7th failed, its
#                 error quoting an email and markup) and 3 transactions runs (one
#                 partial), a Mailchimp push with 4 rejections whose contacts have
#                 emails, and a lease held on another host; $run_id is the push's id
#   page_start    start the daemon on loopback with --http; sets PAGE_URL
NAME=$'Amis "d\'Accès" & <b>Co</b> 慈善基金会 جمعية الخير'
ORG=2002
now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
q() { printf '%s' "${1//\'/\'\'}"; }

page_seed() {
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

}

page_start() {
  dm_config '{}'
  dm_start --http 127.0.0.1:0
  PAGE_URL="http://127.0.0.1:$(dm_jq .http_port)/"
}
