#!/usr/bin/env bash
# backends: all
# The command line: help at every level, org list never shows secrets, status --json, migrations,
# seed never overwrites, org remove keeps or purges.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 100 --transactions 200
cs_env

for path in "" "sync" "org" "org add" "org list" "org remove" "org sync" "db" "db migrate" \
            "db rollback" "db status" "db seed" "db reset" "status" "config" "config show"; do
  # shellcheck disable=SC2086
  cs $path --help
  assert_eq "$RC" 0 "exit status of '$path --help'"
  grep -q "usage: classy-sync" "$OUT" || fail "'$path --help' printed no usage"
done

cs_ok db migrate
cs_ok db status
grep -q "views" "$OUT" || fail "db status does not list the views migration"
# it says where the database is: the file, or the server's URL without the password
if [ "$(cs_backend)" = sqlite ]; then where=$DB_PATH; else where=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1@#' <<<"$DATABASE_URL"); fi
assert_eq "$(head -1 "$OUT")" "database: $where ($(cs_backend))" "db status names the database"
if [ "$(cs_backend)" != sqlite ]; then
  pw=$(sed -E 's#^[a-z]+://[^:/@]*:([^@/]*)@.*#\1#' <<<"$DATABASE_URL")
  [ -n "$pw" ] && [ "$pw" != "$DATABASE_URL" ] || fail "the test server's URL has no password to hide"
  ! grep -qF "$pw" "$OUT" || fail "db status shows the password: $(cat "$OUT")"
fi
cs db reset
assert_eq "$RC" 2 "db reset without --yes"
grep -qF "resetting database '$where'" "$ERR" || fail "db reset does not say which database: $(cat "$ERR")"
cs_ok db rollback
cs_ok db status
grep -q "pending" "$OUT" || fail "rollback left no pending migration"
cs_ok db migrate

cs_ok db seed
db "UPDATE segment_thresholds SET tag='My Big Givers' WHERE kind='value' AND min_value=10000"
cs_ok db seed
assert_eq "$(db "SELECT tag FROM segment_thresholds WHERE kind='value' AND min_value=10000")" \
  "My Big Givers" "a user-edited tag after reseeding"

cs_add_org 1001
cs_ok org list --json
assert_eq "$(jq '.[0].id' "$OUT")" 1001 "org list --json id"
grep -q "sandbox-secret" "$OUT" && fail "org list shows the secret"
jq -e '.[0] | has("client_secret") or has("secret_enc") | not' "$OUT" >/dev/null \
  || fail "org list --json has a secret field"
grep -rq "sandbox-secret" "$DB_PATH" && fail "the secret is stored in clear text"

cs_ok org sync 1001
cs_ok status --json
jq -e '.organizations[0].counts.supporters == 100' "$OUT" >/dev/null || fail "status counts"
jq -e '.organizations[0].last_runs.transactions.status == "success"' "$OUT" >/dev/null \
  || fail "status last run"
cs_ok status
grep -q "organization 1001" "$OUT" || fail "status text output"

cs_ok org remove 1001
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE organization_id=1001")" 100 \
  "rows kept after org remove without --purge"
cs_add_org 1001
cs_ok org remove 1001 --purge
assert_eq "$(db "SELECT COUNT(*) FROM supporters WHERE organization_id=1001")" 0 \
  "rows after org remove --purge"

cs_ok db seed --demo
assert_eq "$(db "SELECT COUNT(DISTINCT value_tier) FROM supporter_segments WHERE organization_id=1")" 6 \
  "value tiers populated by the demo organization"
cs org sync 1
assert_eq "$RC" 1 "syncing the demo organization"
grep -q "demo" "$ERR" || fail "no explanation when syncing the demo org"
echo ok
