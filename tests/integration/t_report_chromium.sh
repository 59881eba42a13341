#!/usr/bin/env bash
# The giving report in a real browser (issue 13): headless Chromium (Debian's
# `chromium`, installed by scripts/bootstrap) loads /report from the daemon
# over the generated demo organization with no console message (a script
# error, a resource the Content-Security-Policy blocked, a refused load all
# show there), follows the selector to one org, and writes a screenshot a
# person can open: build/giving-report.png. Skipped (77) without chromium.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
command -v chromium >/dev/null || { echo "SKIPPED: no chromium (apt-get install chromium)"; exit 77; }
need_shot_fonts
cs_env
cs_ok db migrate
cs_ok db seed --demo
dm_config '{}'
dm_start --http 127.0.0.1:0
url="http://127.0.0.1:$(dm_jq .http_port)/report"
# the figures are read on the daemon's loader: the browser gets them warm
dm_report_ready "$url"
dm_report_ready "$url?org=1"
shot=$(dirname "$CS_BIN")/giving-report.png
rm -f "$shot"
browse() { # ARGS...: chromium with its own profile, its console on stderr
  timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$TEST_TMP/chromium" --hide-scrollbars --enable-logging=stderr --v=0 "$@"
}
browse --window-size=1280,3900 --screenshot="$shot" "$url" \
  >"$TEST_TMP/chromium.out" 2>"$TEST_TMP/chromium.err" ||
  { tail -n 20 "$TEST_TMP/chromium.err"; fail "chromium exited $?"; }
[ -s "$shot" ] || fail "no screenshot at $shot"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$shot is not a PNG"
if grep -E 'CONSOLE|Refused to|Uncaught' "$TEST_TMP/chromium.err"; then
  fail "the report wrote to the browser console"
fi
# the browser built the report, and its selector leads to the demo org's
browse --dump-dom "$url" 2>/dev/null >"$TEST_TMP/dom.html"
grep -q 'id="campaigns"' "$TEST_TMP/dom.html" || fail "chromium did not render the report"
link=$(grep -o 'href="?org=1"' "$TEST_TMP/dom.html" | head -1)
[ -n "$link" ] || fail "no selector link to the demo org"
browse --dump-dom "$url?org=1" 2>"$TEST_TMP/chromium2.err" >"$TEST_TMP/dom1.html"
grep -q 'aria-current="page"' "$TEST_TMP/dom1.html" || fail "the org's report does not mark it in the selector"
grep -E 'CONSOLE|Refused to|Uncaught' "$TEST_TMP/chromium2.err" && fail "the org's report wrote to the console"
cs_ok daemon stop
echo "ok: screenshot at $shot"
