#!/usr/bin/env bash
# The endpoint's access rule (issue 13): beyond loopback the daemon refuses
# to start without a token (exit 2, nothing left running); with one, /,
# /report and /metrics answer 401 without it and 200 with 'Authorization: Bearer TOKEN',
# /healthz and /readyz need none; the token is never on the command line,
# in the log, in the status file or in an answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
cs_ok db migrate
dm_config '{}'
dm_trap

TOKEN=tok-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cs daemon start --config "$DM_CONFIG" --http 0.0.0.0:0
assert_eq "$RC" 2 "beyond loopback without a token"
grep -q "serving '0.0.0.0:0' beyond this machine needs a token" "$ERR" || fail "message: $(cat "$ERR")"
[ -z "$("$CS_BIN" daemon status --json | jq -r 'select(.running) | .pid')" ] ||
  fail "a daemon runs after the refusal"
cs daemon start --config "$DM_CONFIG" --http '[::]:0' --foreground
assert_eq "$RC" 2 "[::] without a token (foreground)"
CLASSY_SYNC_HTTP_TOKEN=short cs daemon start --config "$DM_CONFIG" --http 0.0.0.0:0
assert_eq "$RC" 2 "a short token"
grep -q "at least 16" "$ERR" || fail "short token message: $(cat "$ERR")"
! grep -q short "$ERR" || fail "the message quotes the token"
printf '%s\n' "$TOKEN" >"$TEST_TMP/token"
chmod 644 "$TEST_TMP/token"
cs daemon start --config "$DM_CONFIG" --http 0.0.0.0:0 --http-token-file "$TEST_TMP/token"
assert_eq "$RC" 2 "a token file others can read"
grep -q "chmod 600" "$ERR" || fail "mode message: $(cat "$ERR")"
chmod 600 "$TEST_TMP/token"

dm_start --http 0.0.0.0:0 --http-token-file "$TEST_TMP/token"
port=$(dm_jq .http_port)
base="http://127.0.0.1:$port"
code() { curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }
assert_eq "$(code "$base/")" 401 "/ without the token"
! grep -q "$TOKEN" "$TEST_TMP/body" || fail "the 401 answer shows the token"
assert_eq "$(code "$base/metrics")" 401 "/metrics without the token"
assert_eq "$(code "$base/report")" 401 "/report without the token"
assert_eq "$(code "$base/report?org=all")" 401 "/report?org=all without the token"
assert_eq "$(code -H "Authorization: Bearer wrong-$TOKEN" "$base/")" 401 "a wrong token"
assert_eq "$(code -H "Authorization: Bearer $TOKEN" "$base/")" 200 "/ with the token"
grep -q '<h1>classy-sync status</h1>' "$TEST_TMP/body" || fail "not the status page"
dm_report_ready "$base/report" "$TOKEN" # its figures are read on the daemon's loader
assert_eq "$(code -H "Authorization: Bearer $TOKEN" "$base/report")" 200 "/report with the token"
grep -q '<h1>Giving report: ' "$TEST_TMP/body" || fail "not the giving report"
assert_eq "$(code -H "Authorization: Bearer $TOKEN" "$base/metrics")" 200 "/metrics with the token"
assert_eq "$(code "$base/healthz")" 200 "/healthz needs no token"
assert_eq "$(code "$base/readyz")" 200 "/readyz needs no token"

# the token is on no command line and in no file the daemon writes
for pid in $(cat "$(dm_pidfile)") $(dm_jq .worker_pid); do
  ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$TOKEN" || fail "token in the cmdline of $pid"
done
! grep -q "$TOKEN" "$(dm_log)" "$(dm_statusfile)" || fail "the token is in the log or status file"
cs_ok daemon stop
# the environment variable works as well, on an IPv4 loopback alias with auth on
CLASSY_SYNC_HTTP_TOKEN=$TOKEN dm_start --http 127.0.0.2:0
port=$(dm_jq .http_port)
assert_eq "$(code "http://127.0.0.2:$port/")" 401 "a token given is checked on loopback too"
assert_eq "$(code -H "Authorization: Bearer $TOKEN" "http://127.0.0.2:$port/")" 200 "env token"
cs_ok daemon stop
echo "ok"
