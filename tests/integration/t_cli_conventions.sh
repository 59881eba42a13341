#!/usr/bin/env bash
# CLI conventions (issue 12): -V/--version and the global options; no escape byte when stderr is
# piped or NO_COLOR is set, even on a terminal (a pty from script(1)); the retry wait on the
# progress line and in the log; exit 130 when Ctrl-C stopped a sync (SIGTERM keeps 1); sync --json
# checked against the database; LOG_FORMAT=json lines carrying org, entity, run_id, mode, counts
# and duration_ms.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 450 --transactions 300 --campaigns 5 --plans 20
cs_env
cs_ok db migrate
cs_add_org 1001
ESC=$'\x1b'
# log_has [JQ ARGS...] COND: some LOG_FORMAT=json line of $ERR satisfies COND (the command's own
# error lines are text, so only the lines that are objects are read)
log_has() {
  local cond=${*: -1}
  grep '^{' "$ERR" | jq -se "${@:1:$#-1}" "any(.[]; $cond)" >/dev/null
}

# ---- version and global options ----
version=$("$CS_BIN" version)
[[ $version == "classy-sync "[0-9]* ]] || fail "version prints '$version'"
for v in -V --version; do
  cs_ok "$v"
  assert_eq "$(cat "$OUT")" "$version" "$v"
done
cs_ok --help
for o in "-V, --version" "-q, --quiet" "-v, --verbose" "-h, --help"; do
  grep -qF -- "$o" "$OUT" || fail "top-level help does not list $o"
done
cs_ok sync --help
grep -qF -- "--json" "$OUT" || fail "sync --help does not list --json"
grep -qF "130" "$OUT" || fail "sync --help does not document exit code 130"
cs -x sync all
assert_eq "$RC" 2 "an unknown short option is a usage error"
# -v before the command or after it: debug lines; -q: none of the info lines
cs_ok -v sync campaigns
grep -q " debug " "$ERR" || fail "-v printed no debug line: $(cat "$ERR")"
cs_ok sync campaigns --verbose
grep -q " debug " "$ERR" || fail "--verbose after the command printed no debug line: $(cat "$ERR")"
LOG_LEVEL=info cs_ok sync campaigns -q
[ ! -s "$ERR" ] || fail "-q still wrote to stderr: $(cat "$ERR")"
LOG_LEVEL=info cs_ok sync campaigns
grep -q "campaigns of organization 1001: success" "$ERR" || fail "no run end line at info: $(cat "$ERR")"

# ---- no escapes when piped, nor on a terminal with NO_COLOR ----
on_tty() { # runs classy-sync ARGS on a pseudo-terminal; its output (both streams) in $TTY_OUT
  TTY_OUT="$TEST_TMP/tty.txt"
  local q
  q=$(printf '%q ' "$CS_BIN" "$@")
  set +e
  timeout -k 10 120 script -qec "$q" /dev/null </dev/null >"$TTY_OUT"
  RC=$?
  set -e
}
LOG_LEVEL=info cs_ok sync all full
! grep -q "$ESC" "$OUT" "$ERR" || fail "escape bytes in piped output"
# a control: on a terminal the progress is drawn with escapes...
sandbox_admin POST "knobs?latency_ms=300" >/dev/null
on_tty sync campaigns full
assert_eq "$RC" 0 "sync on a terminal"
grep -q "$ESC" "$TTY_OUT" || fail "no escape on a terminal: the NO_COLOR check below would prove nothing"
# ... and with NO_COLOR never, the progress still shown (over a carriage return)
NO_COLOR=1 on_tty sync campaigns full
assert_eq "$RC" 0 "sync on a terminal with NO_COLOR"
! grep -q "$ESC" "$TTY_OUT" || fail "escape bytes with NO_COLOR: $(cat -v "$TTY_OUT" | head -5)"
grep -q "requests: " "$TTY_OUT" || fail "no progress line with NO_COLOR: $(cat -v "$TTY_OUT")"
NO_COLOR=1 on_tty db status
! grep -q "$ESC" "$TTY_OUT" || fail "escape bytes from db status with NO_COLOR"
sandbox_admin POST "knobs?latency_ms=0" >/dev/null

# ---- a retry wait: on the progress line and at info level in the log ----
# Every answer is a 429 with Retry-After: 1 (0.5 s at time scale 2): each wait is known.
sandbox_admin POST "knobs?throttle_rate=1" >/dev/null
LOG_LEVEL=warn NO_COLOR=1 CLASSY_SYNC_TEST_TIME_SCALE=2 on_tty sync campaigns
assert_eq "$RC" 1 "a sync whose requests are all throttled"
tr '\r' '\n' <"$TTY_OUT" >"$TEST_TMP/lines.txt" # (grep -q would cut the pipe: pipefail)
grep -Eq "waiting [0-9.]+ s: HTTP 429 from Classy, retry [1-8] of 8" "$TEST_TMP/lines.txt" ||
  fail "no retry wait on the progress line: $(tr '\r' '\n' <"$TTY_OUT" | head -20)"
LOG_LEVEL=info cs sync campaigns
assert_eq "$RC" 1 "throttled sync, piped"
for n in 1 8; do
  grep -Eq " info  waiting [0-9.]+ s: HTTP 429 from Classy, retry $n of 8 \(GET http" "$ERR" ||
    fail "retry $n not logged at info: $(head -5 "$ERR")"
done
LOG_LEVEL=info LOG_FORMAT=json cs sync campaigns
log_has '(.msg | startswith("waiting")) and .level == "info" and .org == 1001 and
  .entity == "campaigns" and .status == 429 and .max_retries == 8 and .wait_ms == 1000' || fail "retry wait lines lack their fields: $(head -3 "$ERR")"
sandbox_admin POST "knobs?throttle_rate=0" >/dev/null

# ---- sync --json, checked against the database ----
sandbox_admin POST "mutate?org=1001&entity=supporters&update=30&create=5" >/dev/null
cs_ok sync all --json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" || fail "sync --json is not one JSON document"
assert_eq "$(wc -l <"$OUT")" 1 "sync --json lines on stdout"
jq -e '.status == "ok" and .exit_code == 0 and .mode == "incremental" and .errors == [] and
       (.runs | length) == 4 and .records == ([.runs[].records] | add) and
       .requests == ([.runs[].requests] | add) and .duration_ms >= 0' "$OUT" >/dev/null ||
  fail "sync --json totals: $(cat "$OUT")"
jq -r '.runs[] | [.run_id, .org, .entity, .mode, .status, .records, .pages, .requests,
                  (.error // "")] | join("|")' "$OUT" | sort >"$TEST_TMP/json_runs"
ids=$(jq -r '[.runs[].run_id] | join(",")' "$OUT")
db "SELECT id, organization_id, entity, mode, status, records, pages, requests, COALESCE(error, '')
    FROM sync_runs WHERE id IN ($ids)" | sort >"$TEST_TMP/db_runs"
diff "$TEST_TMP/db_runs" "$TEST_TMP/json_runs" >&2 || fail "sync --json runs differ from sync_runs"
jq -e '.runs[] | select(.entity == "supporters") | .records >= 35' "$OUT" >/dev/null ||
  fail "sync --json: the 35 changed supporters are not counted"
cs_ok org sync 1001 full --json
jq -e '.mode == "full" and all(.runs[]; .mode == "full" and .status == "success" and .error == null
       and .duration_ms >= 0)' "$OUT" >/dev/null || fail "org sync --json: $(cat "$OUT")"

# ---- Ctrl-C: exit 130 after a clean stop; SIGTERM keeps 1 ----
db "DELETE FROM sync_state WHERE entity = 'supporters'" # a new full scan of several pages
CLASSY_SYNC_TEST_INT_AT=2 cs sync supporters full --json
assert_eq "$RC" 130 "a sync stopped by SIGINT: exit code"
grep -q "interrupted" "$ERR" || fail "no word that it was interrupted: $(cat "$ERR")"
jq -e '.status == "interrupted" and .exit_code == 130 and .runs[0].status == "interrupted"' "$OUT" \
  >/dev/null || fail "sync --json after SIGINT: $(cat "$OUT")"
assert_eq "$(db "SELECT status FROM sync_runs WHERE entity = 'supporters' ORDER BY id DESC LIMIT 1")" \
  interrupted "the run row after SIGINT"
db "DELETE FROM sync_state WHERE entity = 'supporters'"
CLASSY_SYNC_TEST_TERM_AT=2 cs sync supporters full
assert_eq "$RC" 1 "a sync stopped by SIGTERM: exit code"
cs_ok sync supporters full
assert_matches_sandbox 1001 supporters

# ---- LOG_FORMAT=json: the run's lines carry its fields ----
LOG_LEVEL=debug LOG_FORMAT=json cs_ok sync supporters full
jq -e . "$ERR" >/dev/null || fail "a LOG_FORMAT=json line is not JSON"
run_id=$(db "SELECT MAX(id) FROM sync_runs WHERE entity = 'supporters'")
records=$(db "SELECT records FROM sync_runs WHERE id = $run_id")
log_has --argjson id "$run_id" '(.msg | endswith("started")) and .org == 1001 and
       .entity == "supporters" and .mode == "full" and .run_id == $id' ||
  fail "no run start line with its fields: $(head -3 "$ERR")"
log_has --argjson id "$run_id" --argjson n "$records" '.status == "success" and
       .level == "info" and .run_id == $id and .records == $n and .pages > 0 and .requests > 0 and
       .duration_ms >= 0 and .entity == "supporters" and .mode == "full"' || fail "no run end line with its counts: $(grep success "$ERR")"
log_has --argjson id "$run_id" '(.msg | contains("committed")) and .run_id == $id and
       .records > 0 and .pages > 0' || fail "no page line with its counts"
# a failed run's end line is a warning with its error as a field
sandbox_admin POST "knobs?fail_rate=1" >/dev/null
LOG_FORMAT=json cs sync campaigns
assert_eq "$RC" 1 "a failing sync"
log_has '.entity == "campaigns" and .status == "failed" and .level == "warn" and
  (.error | test("50[03]"))' || fail "no failed run line with its error: $(cat "$ERR")"
sandbox_admin POST "knobs?fail_rate=0" >/dev/null
grep -q "sandbox-secret" "$ERR" "$OUT" && fail "a secret in the output"
echo ok
