#!/usr/bin/env bash
# --http: /healthz and /readyz answer ok, /metrics is valid Prometheus text
# carrying the sync counters with org and entity labels only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
sandbox_start --supporters 120
cs_add_org 1001
dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":1000}}'
dm_start --http 127.0.0.1:0
wait_for "[ \$(dm_runs \"entity='supporters' AND status='success'\") -ge 2 ]"
port=$(dm_jq .http_port)
[ "$port" -gt 0 ] || fail "no http port in the status file"
base="http://127.0.0.1:$port"
assert_eq "$(curl -s "$base/healthz")" ok "/healthz"
assert_eq "$(curl -s "$base/readyz")" ok "/readyz"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" 404 "unknown path"
curl -sf -D "$TEST_TMP/h.txt" "$base/metrics" >"$TEST_TMP/m.txt" || fail "/metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$TEST_TMP/h.txt" || fail "content type"

# strict exposition format: HELP/TYPE lines, samples "name{labels} value",
# labels only org and entity, each family's TYPE before its samples
awk '
  /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/ { next }
  /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/ { typed[$3] = 1; next }
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN)$/ {
    name = $1; sub(/\{.*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
    if (!(name in typed) && !(base in typed)) { print "no TYPE before: " $0; bad = 1 }
    lab = $1; gsub(/"[^"]*"/, "", lab)
    if (lab ~ /\{/) { n = split(substr(lab, index(lab, "{") + 1), ks, ",")
      for (i = 1; i <= n; i++) { k = ks[i]; sub(/=.*/, "", k)
        if (k != "org" && k != "entity" && k != "le") { print "bad label " k ": " $0; bad = 1 } } }
    next }
  { print "bad line: " $0; bad = 1 }
  END { exit bad }' "$TEST_TMP/m.txt" || fail "/metrics is not valid Prometheus text"

val() { awk -v k="$1" '$1 == k { print $2 }' "$TEST_TMP/m.txt"; }
up=$(val 'classy_sync_records_upserted_total{org="1001",entity="supporters"}')
[ "${up:-0}" -ge 120 ] || fail "records_upserted for supporters: '$up'"
runs=$(val 'classy_sync_runs_total{org="1001",entity="supporters"}')
[ "${runs:-0}" -ge 2 ] || fail "runs_total: '$runs'"
req=$(val 'classy_sync_requests_total{org="1001",entity="supporters"}')
[ "${req:-0}" -ge 2 ] || fail "requests_total: '$req'"
assert_eq "$(val classy_sync_up)" 1 "classy_sync_up"
grep -q '^classy_sync_run_duration_seconds_bucket{org="1001",entity="supporters",le="+Inf"} ' \
  "$TEST_TMP/m.txt" || fail "no duration histogram"
grep -q '^classy_sync_last_success_timestamp_seconds{org="1001",entity="campaigns"} ' \
  "$TEST_TMP/m.txt" || fail "no last success gauge"
grep -q '^classy_sync_rate_limit_remaining{org="1001"} ' "$TEST_TMP/m.txt" ||
  fail "no rate limit gauge"
cs_ok daemon stop
echo "ok"
