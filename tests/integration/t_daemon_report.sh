#!/usr/bin/env bash
# /report never blocks the daemon's endpoint (issue 13): the figures are read
# on the loader's thread, which the test-only hook CLASSY_SYNC_TEST_REPORT_HOLD
# holds while its file exists. While a load is held: /healthz, /readyz and /
# answer at once; /report is 503 with Retry-After: 2 and a small page that
# reloads itself, for every request; an unknown org is still 404. Released,
# /report is 200 with the report. Figures a change has made stale (the org
# renamed: part of the runs key) are shown marked "being refreshed", with a
# meta refresh, while their reload is held; then fresh, unmarked. A daemon
# reads all organizations' figures at start: the first /report after that is
# 200 without a request having asked for them; then each org's, and idle it
# lets go of the database file it mapped to read them. The demo
# org's syncs are disabled, so no sync run changes the runs key meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
cs_ok db migrate
cs_ok db seed --demo
orgs=$(db "SELECT id FROM organizations" | jq -Rn '[inputs | {key: ., value: {enabled: false}}] | from_entries')
dm_config "{\"organizations\": $orgs}"
HOLD=$TEST_TMP/hold
touch "$HOLD"
CLASSY_SYNC_TEST_REPORT_HOLD=$HOLD dm_start --http 127.0.0.1:0
base="http://127.0.0.1:$(dm_jq .http_port)"
# get PATH: the status code; headers in $TEST_TMP/h.txt, body in $TEST_TMP/body.
# A 2 s cap: an endpoint whose thread were held would fail the test here.
get() { curl -s --max-time 2 -D "$TEST_TMP/h.txt" -o "$TEST_TMP/body" -w '%{http_code}' "$base$1"; }

# held: the load is queued and waits on the hook
assert_eq "$(get /report)" 503 "/report while its figures are not read"
grep -qi '^retry-after: 2' "$TEST_TMP/h.txt" || fail "no Retry-After: 2: $(cat "$TEST_TMP/h.txt")"
grep -qi '^content-type: text/html; charset=utf-8' "$TEST_TMP/h.txt" || fail "the 503 is not HTML"
grep -q '<meta http-equiv="refresh" content="2"/>' "$TEST_TMP/body" || fail "the 503 page does not reload"
grep -q 'being read' "$TEST_TMP/body" || fail "the 503 page does not say why: $(cat "$TEST_TMP/body")"
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$TEST_TMP/body" ||
  fail "the 503 page is not well-formed"
for path in /healthz /readyz /; do
  assert_eq "$(get $path)" 200 "$path while a report load is held"
done
assert_eq "$(get /report)" 503 "/report again while the load is held"
assert_eq "$(get '/report?org=424242')" 404 "an unknown org while a load is held"
assert_eq "$(get /healthz)" 200 "/healthz after more report requests"

# released: the figures arrive
rm "$HOLD"
wait_for '[ "$(get /report)" = 200 ]' 30
grep -q '<h1>Giving report: <bdi>all organizations</bdi></h1>' "$TEST_TMP/body" || fail "not the report"
! grep -q 'being refreshed' "$TEST_TMP/body" || fail "fresh figures are marked as being refreshed"
! grep -q 'http-equiv="refresh"' "$TEST_TMP/body" || fail "fresh figures reload themselves"

# stale: a rename changes the runs key; the old figures show, marked, while
# their reload is held
touch "$HOLD"
db "UPDATE organizations SET name = 'Renamed Org' WHERE id = 1"
assert_eq "$(get /report)" 200 "/report with stale figures"
grep -q 'being refreshed' "$TEST_TMP/body" || fail "stale figures are not marked"
grep -q '<meta http-equiv="refresh" content="2"/>' "$TEST_TMP/body" || fail "stale figures do not reload"
! grep -q 'Renamed Org' "$TEST_TMP/body" || fail "the stale page shows figures it has not read"
assert_eq "$(get /healthz)" 200 "/healthz while a reload is held"
rm "$HOLD"
wait_for '[ "$(get /report)" = 200 ] && grep -q "Renamed Org" "$TEST_TMP/body"' 30
! grep -q 'being refreshed' "$TEST_TMP/body" || fail "reloaded figures are marked as being refreshed"
cs_ok daemon stop

# started: the default selection (all organizations) is read before anyone asks,
# so the first person to open /report gets the report, not the waiting page
read_all='giving report: read the figures of all organizations in [0-9]+ ms'
before=$(grep -cE "$read_all" "$(dm_log)" || true)
dm_start --http 127.0.0.1:0
base="http://127.0.0.1:$(dm_jq .http_port)"
wait_for "[ \$(grep -cE '$read_all' '$(dm_log)') -gt $before ]" 30
assert_eq "$(get /report)" 200 "the first /report after a start, once the loader has read it"
grep -q 'Renamed Org' "$TEST_TMP/body" || fail "not the report of the store's organizations"
# then every org's own, ahead of any request for it
for org in $(db "SELECT id FROM organizations"); do
  wait_for "grep -qE 'giving report: read the figures of org $org in [0-9]+ ms' '$(dm_log)'" 30
  assert_eq "$(get "/report?org=$org")" 200 "the first /report?org=$org, read ahead"
  grep -q 'being refreshed' "$TEST_TMP/body" && fail "org $org's figures read ahead are not fresh"
done
# idle, the loader has closed its connection: the file it mapped to read
# (CS_CTRL_READER) is no longer mapped into the daemon
db_file=$(readlink -f "$DB_PATH")
mapped() { grep -cE " $db_file\$" "/proc/$(dm_jq .worker_pid)/maps"; }
wait_for '[ "$(mapped)" = 0 ]' 30
cs_ok daemon stop
echo "ok"
