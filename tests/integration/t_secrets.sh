#!/usr/bin/env bash
# No secret leaves in any encoding or fragment (docs/SECURITY.md). A token
# endpoint that echoes the request (the client secret URL-encoded in its form
# body, sandbox knob token_echo) reaches stderr, the debug log, sync_runs.error,
# the daemon's status file, log and alert webhook only redacted, also when the
# message is cut inside the secret. A token holding CR LF (knob token_inject)
# is refused and never sent. At info level the logs hold no donor's data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"

# Every character a form body or a JSON string has to encode, no 5 of them a word.
SECRET='Zq7+x/Y= k%9"Lm\Pw&3~tR#u'
sandbox_start --orgs 2 --supporters 20 --transactions 20 --client-secret "$SECRET"
cs_env
cs_ok db migrate

# The secret as it travels: raw, form-encoded (upper and lower hex, '+' for a space).
enc_upper=$(jq -rn --arg s "$SECRET" '$s | @uri')
enc_lower=$(sed -E 's/%([0-9A-F]{2})/%\L\1/g' <<<"$enc_upper")
enc_plus=${enc_upper//%20/+}
# no_leak FILE WHAT: no 5-character piece of any form of the secret is in FILE.
# All pieces in one grep (a fork each was a third of this test's CPU); the piece
# found is named on failure.
pieces="$TEST_TMP/secret-pieces"
for form in "$SECRET" "$enc_upper" "$enc_lower" "$enc_plus"; do
  for ((i = 0; i + 5 <= ${#form}; i++)); do printf '%s\n' "${form:i:5}"; done
done >"$pieces"
no_leak() {
  local file=$1 what=$2 piece
  grep -qFf "$pieces" -- "$file" || return 0
  piece=$(grep -oFf "$pieces" -- "$file" | head -1)
  echo "--- $what"; cat "$file"
  fail "$what holds '$piece' of the client secret"
}

# 1. The token endpoint echoes the form body in its 401 message.
register() { # ORG CLIENT_ID
  CLASSY_CLIENT_SECRET="$SECRET" "$CS_BIN" org add --org-id "$1" --client-id "$2" --no-verify \
    >/dev/null </dev/null || fail "org add $1"
}
register 1001 sandbox-client
sandbox_admin POST "knobs?token_echo=1" >/dev/null
curl -s -X POST -d "grant_type=client_credentials&client_id=x&client_secret=$enc_upper" \
  "$CLASSY_TOKEN_URL" | grep -qF "client_secret=$enc_upper" || fail "the sandbox does not echo"
LOG_LEVEL=debug LOG_FORMAT=json cs sync all --org 1001
assert_eq "$RC" 1 "exit status when the token endpoint refuses"
grep -q "rejected the credentials" "$ERR" || { cat "$ERR"; fail "no credentials message"; }
grep -qF "client_secret=[redacted]" "$ERR" || { cat "$ERR"; fail "the echo was not kept, redacted"; }
no_leak "$ERR" "stderr (JSON debug log and errors)"
db "SELECT COALESCE(error, '') FROM sync_runs" >"$TEST_TMP/runs.txt"
grep -q "rejected" "$TEST_TMP/runs.txt" || fail "no error stored in sync_runs"
no_leak "$TEST_TMP/runs.txt" "sync_runs.error"

# 2. Cut inside the secret: a client id long enough that the API's words are cut
#    (at 255 bytes) anywhere inside the encoded secret; no first characters remain.
for n in 140 145 150 155 160; do
  id=$(printf 'c%.0s' $(seq "$n"))
  "$CS_BIN" org remove 1002 >/dev/null 2>&1 </dev/null || true
  register 1002 "$id"
  cs sync all --org 1002
  assert_eq "$RC" 1 "exit status (client id of $n)"
  no_leak "$ERR" "stderr with a client id of $n characters"
done
db "SELECT COALESCE(error, '') FROM sync_runs" >"$TEST_TMP/runs.txt"
no_leak "$TEST_TMP/runs.txt" "sync_runs.error after the cuts"

# 3. The daemon: its log, status file and alert webhook show the error redacted.
"$CS_BIN" org remove 1002 >/dev/null 2>&1 </dev/null || true
export ALERT_WEBHOOK_URL="$SANDBOX_URL/__sandbox/webhook" ALERT_ALLOW_HTTP=1
dm_config '{"syncIntervals":{"supporters":1000,"transactions":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000},"alerts":{"cooldown":600000}}'
DM_LOG_LEVEL=debug dm_start
wait_for "curl -sf '$SANDBOX_URL/__sandbox/webhook' | jq -e '[.posts[] | select(.event==\"job_failed\")] | length > 0'" 40
curl -sf "$SANDBOX_URL/__sandbox/webhook" >"$TEST_TMP/posts.json"
jq -e '[.posts[] | select(.event=="job_failed")][0].detail | test("rejected")' \
  "$TEST_TMP/posts.json" >/dev/null || { cat "$TEST_TMP/posts.json"; fail "no error in the alert"; }
no_leak "$TEST_TMP/posts.json" "the alert webhook's posts"
cp "$(dm_statusfile)" "$TEST_TMP/status.json"
no_leak "$TEST_TMP/status.json" "the daemon status file"
"$CS_BIN" daemon stop --timeout 20 >/dev/null 2>&1 </dev/null || fail "daemon stop"
no_leak "$(dm_log)" "the daemon log"
unset ALERT_WEBHOOK_URL ALERT_ALLOW_HTTP

# 4. A token with CR LF in it is refused with a clear error, and never sent.
sandbox_admin POST "knobs?token_echo=0&token_inject=1" >/dev/null
sandbox_admin POST reset-stats >/dev/null
cs sync supporters --org 1001
assert_eq "$RC" 1 "exit status with a CR LF token"
grep -q "control characters" "$ERR" || { cat "$ERR"; fail "no message about the token"; }
stats=$(sandbox_admin GET stats)
assert_eq "$(jq .list_requests <<<"$stats")" 0 "API requests sent with the injected token"
assert_eq "$(jq '.requests - .token_requests' <<<"$stats")" 0 "requests besides the token's"
sandbox_admin POST "knobs?token_inject=0" >/dev/null

# 5. No personal data in the logs at info level: a full sync and a Mailchimp push
#    (rejections included) name organizations, entities and counts, never a donor.
LOG_LEVEL=info cs_ok sync all full --org 1001
cp "$ERR" "$TEST_TMP/info.log"
db "UPDATE supporters SET opt_in = 1; UPDATE supporters SET email_address = 'fake@example.test'
    WHERE id IN (SELECT id FROM supporters ORDER BY id LIMIT 2)"
LOG_LEVEL=info MAILCHIMP_API_KEY=sandbox-key-us1 MAILCHIMP_LIST_ID=sandbox-list \
  MAILCHIMP_API_URL="$SANDBOX_URL/3.0" cs mailchimp sync --create-fields
[ "$RC" -eq 0 ] || [ "$RC" -eq 3 ] || { cat "$ERR"; fail "mailchimp sync exited $RC"; }
cat "$ERR" >>"$TEST_TMP/info.log"
if grep -qE '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z.]+' "$TEST_TMP/info.log"; then
  cat "$TEST_TMP/info.log"; fail "an email address in the info log"
fi
db "SELECT DISTINCT last_name FROM supporters WHERE length(last_name) > 3" >"$TEST_TMP/names"
[ -s "$TEST_TMP/names" ] || fail "fixture: no names to look for"
if grep -qwFf "$TEST_TMP/names" "$TEST_TMP/info.log"; then
  cat "$TEST_TMP/info.log"; fail "a donor's name in the info log"
fi
echo ok
