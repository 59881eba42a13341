#!/usr/bin/env bash
# The house as documented: docs/ARCHITECTURE.md's file map names every source
# file and nothing that is gone; every .c opens with a comment saying what it
# is for; no source file passes 600 lines; no two .c files share a basename.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"

arch=docs/ARCHITECTURE.md
# the file map section: from its heading to the next "## " heading
map=$(awk '/^## File map/ { on = 1; next } on && /^## / { exit } on' "$arch")
[ -n "$map" ] || fail "$arch has no '## File map' section"
listed=$(grep -oE '`(src|sandbox)/[^`]+\.[ch]`' <<<"$map" | tr -d '`' | sort -u)
actual=$( (git ls-files 'src/*.[ch]' 'sandbox/*.[ch]' 2>/dev/null ||
	find src sandbox -name '*.[ch]') | sort -u)

missing=$(comm -13 <(echo "$listed") <(echo "$actual"))
[ -z "$missing" ] || fail "$arch's file map does not name: $(echo $missing)"
gone=$(comm -23 <(echo "$listed") <(echo "$actual"))
[ -z "$gone" ] || fail "$arch's file map names files that do not exist: $(echo $gone)"

for f in $(grep '\.c$' <<<"$actual"); do
	head -c 2 "$f" | grep -q '^/\*' || fail "$f does not open with a comment saying what it is for"
done

long=$(for f in $actual; do n=$(wc -l <"$f"); [ "$n" -le 600 ] || echo "$f ($n lines)"; done)
[ -z "$long" ] || fail "over 600 lines: $long"

dups=$(grep '\.c$' <<<"$actual" | xargs -n1 basename | sort | uniq -d)
[ -z "$dups" ] || fail "two .c files share a basename: $dups"
echo "ok: $(wc -l <<<"$actual") files mapped, each .c opens with its purpose"
