#!/usr/bin/env bash
# The Mailchimp push when things go wrong: bad settings name their variable
# (exit 2), a bad key or list id is a clear failure (exit 1) that never
# echoes the key, 429s from the connection limit and injected 5xx/429 are
# retried until every contact is in, and /batches results are read per
# operation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/mc.sh"

mc_setup --mc-latency-ms 5

# ---- configuration errors: exit 2, naming the variable ----
expect_usage() { # VAR=VALUE... -- message
  local msg=$1; shift
  env "$@" "$CS_BIN" mailchimp sync >"$TEST_TMP/o" 2>"$TEST_TMP/e" </dev/null && fail "accepted $*"
  local rc=$?
  [ $rc -eq 2 ] || fail "$*: exit $rc, expected 2 ($(cat "$TEST_TMP/e"))"
  grep -q "$msg" "$TEST_TMP/e" || fail "$*: message lacks '$msg': $(cat "$TEST_TMP/e")"
}
expect_usage MAILCHIMP_CONCURRENCY MAILCHIMP_CONCURRENCY=11
expect_usage MAILCHIMP_LIST_ID MAILCHIMP_LIST_ID=
expect_usage MAILCHIMP_MERGE_FIELDS MAILCHIMP_MERGE_FIELDS=FNAME,NOSUCH
expect_usage MAILCHIMP_STATUS_IF_NEW MAILCHIMP_STATUS_IF_NEW=unsubscribed
expect_usage MAILCHIMP_API_KEY MAILCHIMP_API_URL= MAILCHIMP_API_KEY=no-datacenter-suffix-
MAILCHIMP_API_KEY=very-secret-value-us1 cs_ok config show
grep -q "MAILCHIMP_API_KEY *(set)" "$OUT" || fail "config show does not list the plugin keys"
grep -q very-secret-value "$OUT" && fail "config show printed the key"
cs mailchimp sync --limit 0
assert_eq "$RC" 2 "--limit 0 is a usage error"

# ---- a bad key or list id: exit 1, clear, and the key never shown ----
MAILCHIMP_API_KEY=wrong-secret-key-us1 cs mailchimp sync
assert_eq "$RC" 1 "a rejected key fails the run"
grep -q MAILCHIMP_API_KEY "$ERR" || fail "bad key message: $(cat "$ERR")"
grep -q wrong-secret-key "$ERR" "$OUT" && fail "the key was echoed"
MAILCHIMP_LIST_ID=no-such-list cs mailchimp sync
assert_eq "$RC" 1 "an unknown list fails the run"
grep -q MAILCHIMP_LIST_ID "$ERR" || fail "bad list message: $(cat "$ERR")"
cs health mailchimp
assert_eq "$RC" 2 "health mailchimp is critical while mapped merge fields are missing"
grep -q "TOTALAMT" "$OUT" || fail "health does not say which field: $(cat "$OUT")"

# ---- connection limit and injected faults: every contact still gets in ----
curl -sf -X POST "$SANDBOX_URL/__sandbox/mc/knobs?max_connections=3&fail_rate=0.15&throttle_rate=0.15" >/dev/null
# real backoff spacing (scaled 1/10): with no wait at all, one worker can starve
MAILCHIMP_CONCURRENCY=6 CLASSY_SYNC_TEST_TIME_SCALE=10 cs mailchimp sync --create-fields --json
[ "$RC" -eq 0 ] || fail "faults were not recovered (exit $RC): $(cat "$ERR") $(jq -c .totals "$OUT") $(db "SELECT action, error_title, error_detail FROM plugin_outcomes WHERE status = 'failed'")"
[ "$(mc_stats .throttled_429)" -gt 0 ] || fail "the test did not provoke 429s"
[ "$(mc_stats .faults_500)" -gt 0 ] || fail "the test did not provoke 5xx"
[ "$(mc_stats .max_in_flight)" -le 3 ] || fail "the sandbox let more than 3 in"
want=$(sendable)
got=$(mc_members | jq '[.[] | select(.status == "subscribed" and .merge_fields.TOTALAMT != null)] | length')
assert_eq "$got" "$want" "every consenting contact was pushed despite the faults"
assert_eq "$(jq -r .totals.failed "$OUT")" 0 "no contact left failed"

# ---- many updates go through /batches; their per-operation results are read ----
curl -sf -X POST "$SANDBOX_URL/__sandbox/mc/knobs?max_connections=10&fail_rate=0&throttle_rate=0" >/dev/null
db "UPDATE supporters SET first_name = 'Batched' WHERE opt_in = 1"
mc_reset_stats
MAILCHIMP_BATCH_MIN=10 cs mailchimp sync --json
assert_eq "$RC" 0 "batched updates succeed"
[ "$(mc_stats '.by_route["POST batches"]')" -ge 1 ] || fail "/batches not used"
assert_eq "$(mc_stats .result_downloads_with_auth)" 0 "the key was sent to the results URL"
assert_eq "$(mc_stats '[.status_on_new, .status_on_existing] | @tsv')" "0	0" \
  "no status inside batch operations (they update members that exist)"
assert_eq "$(mc_members | jq '[.[] | select(.merge_fields.FNAME == "Batched")] | length')" \
  "$(jq -r .totals.updated "$OUT")" "every batched update landed and was counted"
[ "$(jq -r .totals.updated "$OUT")" -gt 10 ] || fail "too few updates to exercise /batches"

# ---- a transient failure is retried on the next run, not remembered as rejected ----
db "UPDATE supporters SET first_name = 'Again' WHERE opt_in = 1"
curl -sf -X POST "$SANDBOX_URL/__sandbox/mc/knobs?fail_writes=1" >/dev/null
CLASSY_SYNC_TEST_TIME_SCALE=100000 cs mailchimp sync --json
assert_eq "$RC" 3 "writes failing with 5xx make a partial run"
[ "$(jq -r .totals.failed "$OUT")" -gt 0 ] || fail "failures not counted"
assert_eq "$(db "SELECT COUNT(*) FROM plugin_state WHERE status = 'rejected' AND payload LIKE '%Again%'")" 0 \
  "a transient failure is not remembered as a rejection"
curl -sf -X POST "$SANDBOX_URL/__sandbox/mc/knobs?fail_writes=0" >/dev/null
cs mailchimp sync --json
[ "$RC" -eq 0 ] || fail "the retry run exited $RC: $(db "SELECT action, error_title, error_detail
  FROM plugin_outcomes WHERE status = 'failed' ORDER BY id DESC LIMIT 3")"
assert_eq "$(mc_members | jq '[.[] | select(.merge_fields.FNAME == "Again")] | length')" \
  "$(db "SELECT COUNT(*) FROM contact_segments WHERE opt_in = 1 AND first_name = 'Again'
         AND email_address LIKE '%_@_%._%'")" "the failed updates were retried"
echo ok
