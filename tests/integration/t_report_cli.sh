#!/usr/bin/env bash
# classy-sync report (issue 13): usage errors exit 2 and write nothing
# (no --html, an --org that is not a positive number, an extra argument);
# an unknown org and a file that cannot be written exit 1, naming the
# org or the path, and leave nothing behind; '-' writes to stdout; the
# command is in the help. (The report's content: t_report.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
cs_env
cs_ok db migrate

cs report
[ "$RC" = 2 ] || fail "report without --html exited $RC, want 2"
grep -q -- "--html FILE is required" "$ERR" || fail "no word on --html: $(cat "$ERR")"
for bad in "--org abc" "--org 0" "--org -3" "extra"; do
  # shellcheck disable=SC2086
  cs report --html "$TEST_TMP/r.html" $bad
  [ "$RC" = 2 ] || fail "report $bad exited $RC, want 2"
  [ ! -e "$TEST_TMP/r.html" ] || fail "report $bad wrote the file"
done

cs report --html "$TEST_TMP/r.html" --org 424242
[ "$RC" = 1 ] || fail "an unknown org exited $RC, want 1"
grep -q "no organization 424242" "$ERR" || fail "the unknown org is not named: $(cat "$ERR")"
[ ! -e "$TEST_TMP/r.html" ] || fail "the file was written for an unknown org"

cs report --html "$TEST_TMP/no/such/dir/r.html"
[ "$RC" = 1 ] || fail "an unwritable path exited $RC, want 1"
grep -q "cannot write '$TEST_TMP/no/such/dir/r.html'" "$ERR" || fail "the path is not named: $(cat "$ERR")"

# an empty mirror still makes a whole report; '-' is stdout
cs_ok report --html -
grep -q '</html>' "$OUT" || fail "'-' did not write the report to stdout"
grep -q 'data-month=' "$OUT" || fail "the empty report lacks its months"
cs_ok report --html "$TEST_TMP/r.html"
[ -s "$TEST_TMP/r.html" ] || fail "no file written"
grep -q "wrote the giving report" "$ERR" || fail "no word on stderr"
# a path that is not a regular file (a pipe, /dev/stdout) is written into,
# not renamed over: as root, a rename over /dev/null replaces the device
mkfifo "$TEST_TMP/pipe"
cat "$TEST_TMP/pipe" >"$TEST_TMP/piped.html" &
reader=$!
cs report --html "$TEST_TMP/pipe"
if [ ! -p "$TEST_TMP/pipe" ]; then
  kill "$reader" 2>/dev/null
  fail "report --html replaced the pipe with a file"
fi
wait "$reader"
[ "$RC" = 0 ] || fail "report --html PIPE exited $RC: $(cat "$ERR")"
grep -q '</html>' "$TEST_TMP/piped.html" || fail "the report did not come out of the pipe"
cs_ok --help
grep -qE '^  report ' "$OUT" || fail "report is not in the help"
echo "ok"
