#!/usr/bin/env bash
# The status page in a real browser (issue 13): headless Chromium (Debian's
# `chromium`, installed by scripts/bootstrap) loads / from the daemon with no
# console message (a script error, a resource the page's Content-Security-
# Policy blocked, a refused load all show there) and writes a screenshot a
# person can open: build/status-page.png. Skipped (77) without chromium.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
command -v chromium >/dev/null || { echo "SKIPPED: no chromium (apt-get install chromium)"; exit 77; }
need_shot_fonts
cs_env
cs_ok db migrate
. "$(dirname "$0")/page.sh"
page_seed
page_start
shot=$(dirname "$CS_BIN")/status-page.png
rm -f "$shot"
# its own profile, no first-run work, logs of the page's console on stderr
timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --user-data-dir="$TEST_TMP/chromium" --window-size=1280,2000 --hide-scrollbars \
  --enable-logging=stderr --v=0 --screenshot="$shot" "$PAGE_URL" \
  >"$TEST_TMP/chromium.out" 2>"$TEST_TMP/chromium.err" ||
  { tail -n 20 "$TEST_TMP/chromium.err"; fail "chromium exited $?"; }
[ -s "$shot" ] || fail "no screenshot at $shot"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$shot is not a PNG"
if grep -E 'CONSOLE|Refused to|Uncaught' "$TEST_TMP/chromium.err"; then
  fail "the page wrote to the browser console"
fi
# the browser saw the page, not an error: the DOM it built has the org's section
timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --user-data-dir="$TEST_TMP/chromium" --dump-dom "$PAGE_URL" 2>/dev/null >"$TEST_TMP/dom.html"
grep -q "id=\"org-$ORG\"" "$TEST_TMP/dom.html" || fail "chromium did not render the status page"
cs_ok daemon stop
echo "ok: screenshot at $shot"
