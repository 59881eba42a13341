#!/usr/bin/env bash
# backends: all
# 5xx, dropped connections, truncated bodies and token expiry mid-run: the sync retries, finishes,
# records its retries, and the database equals the source.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 800 --transactions 2000 --fail-rate 0.15 --drop-rate 0.05 \
  --truncate-rate 0.05 --seed 7
cs_env
cs_ok db migrate
cs_add_org 1001
cs_ok sync all full
for e in campaigns supporters transactions recurring_plans; do assert_matches_sandbox 1001 "$e"; done
retries=$(db "SELECT SUM(retries) FROM sync_runs")
[ "$retries" -gt 0 ] || fail "faults were injected but no retry was recorded"
faults=$(curl -sf "$SANDBOX_URL/__sandbox/stats" | jq .faults)
[ "$faults" -gt 0 ] || fail "the sandbox injected no fault"

# Tokens expiring mid-run are refreshed once and the request replayed.
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?fail_rate=0&drop_rate=0&truncate_rate=0&mutate_every=3" >/dev/null
curl -sf -X POST "$SANDBOX_URL/__sandbox/reset-stats" >/dev/null
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?token_ttl=1&latency_ms=150" >/dev/null
cs_ok sync all full
tokens=$(curl -sf "$SANDBOX_URL/__sandbox/stats" | jq .token_requests)
[ "$tokens" -ge 2 ] || fail "expected a token refresh during a run longer than the token TTL"
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?mutate_every=0&latency_ms=0&token_ttl=3600" >/dev/null
cs_ok sync all full
for e in supporters transactions; do assert_matches_sandbox 1001 "$e"; done
# A 429 storm: every third request is throttled with Retry-After; the sync waits and completes.
curl -sf -X POST "$SANDBOX_URL/__sandbox/reset-stats" >/dev/null
curl -sf -X POST "$SANDBOX_URL/__sandbox/knobs?throttle_rate=0.33" >/dev/null
curl -sf -X POST "$SANDBOX_URL/__sandbox/mutate?org=1001&entity=transactions&update=200&create=20" >/dev/null
cs_ok sync all
throttled=$(curl -sf "$SANDBOX_URL/__sandbox/stats" | jq .throttled)
[ "$throttled" -gt 0 ] || fail "the sandbox throttled nothing"
assert_matches_sandbox 1001 transactions
echo ok
