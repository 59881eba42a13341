#!/usr/bin/env bash
# The man page classy-sync(1) and the bash completion are generated from the
# command tables (src/cmd/gen_docs.c), so they cannot drift from --help. This
# walks the tree as a user would, through --help at every level, and holds
# both generated files to it: every command has its section in the man page
# and is offered by the completion at its level; every option is listed in
# its command's section (or under OPTIONS when every command has it) and is
# offered after a '-'; every literal choice of a usage line ("<a|b>") is
# offered; an option whose value is a FILE completes file names. The files
# the build made are what the binary prints now, `man --warnings` finds
# nothing to say, and the hidden generator shows nowhere.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build=$(dirname "$CS_BIN")
page=$build/classy-sync.1
completion=$build/classy-sync.bash-completion
[ -s "$page" ] && [ -s "$completion" ] || fail "the build made no $page or $completion"
cmp -s "$page" <("$CS_BIN" gen-docs man) || fail "$page is stale: not what 'gen-docs man' prints"
cmp -s "$completion" <("$CS_BIN" gen-docs bash-completion) ||
	fail "$completion is stale: not what 'gen-docs bash-completion' prints"
command -v man >/dev/null || fail "man is missing: scripts/bootstrap installs man-db"

warnings=$(LC_ALL=C MANWIDTH=250 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l failed"
[ -z "$warnings" ] || fail "roff warnings in the generated page: $warnings"
# rendered in ASCII, wide enough that no heading or option line wraps
text=$(LC_ALL=C MANWIDTH=250 man -l "$page")

# man_section PATH: the rendered text of the command's subsection (OPTIONS
# for the top), up to the next subsection or section
man_section() {
	if [ -z "$1" ]; then
		awk '/^OPTIONS$/ { on = 1; next } on && /^[A-Z]/ { exit } on' <<<"$text"
	else
		awk -v h="   classy-sync $1" 'on && (/^   classy-sync / || /^[A-Z]/) { exit }
			index($0, h " ") == 1 || $0 == h { on = 1; next } on' <<<"$text"
	fi
}
nl=$'\n'
# in_list WORD LIST: WORD is one of the whitespace-separated words of LIST
in_list() { [[ " ${2//$nl/ } " == *" $1 "* ]]; }
# in_man_section OPTION SECTION: the option starts a tagged paragraph there
in_man_section() {
	local re="(^|$nl)       ([^$nl]*, )?$1([ ,]|$nl|\$)"
	[[ $2 =~ $re ]]
}

# the help of every command path, breadth first: its commands, its options
# ("-h, --help" is two) and the literal choices of its usage line
declare -A subs opts words files
paths=("")
for ((i = 0; i < ${#paths[@]}; i++)); do
	p=${paths[i]}
	# shellcheck disable=SC2086
	h=$("$CS_BIN" $p --help) || fail "classy-sync $p --help failed"
	subs[x$p]=$(awk '/^commands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$h")
	opts[x$p]=$(awk '/^options:$/ { on = 1; next } on && /^$/ { exit } on' <<<"$h" |
		grep -oE '(^  |, )--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^, //; s/^  //')
	words[x$p]=$(head -1 <<<"$h" | grep -oE '[<[][a-z-]+(\|[a-z-]+)+[]>]' | tr -d '<>[]' | tr '|' ' ' || true)
	files[x$p]=$(grep -oE '^  --[a-z-]+ FILE' <<<"$h" | awk '{ print $1 }' || true)
	[ -z "$p" ] && grep -q 'gen-docs' <<<"$h" && fail "the hidden gen-docs shows in --help"
	for c in ${subs[x$p]}; do paths+=("${p:+$p }$c"); done
done
[ ${#paths[@]} -ge 25 ] || fail "the walk found only ${#paths[@]} commands: ${paths[*]}"

# what the completion offers, asked in one bash: per path after a space, after
# '-', and after each FILE option with the start of a file name typed
cd "$TEST_TMP"
touch daemon-config.test.json
declare -A offered
queries=$(for p in "${paths[@]}"; do
	printf 'w%s|%s|\n' "$p" "$p"
	printf 'o%s|%s|-\n' "$p" "$p"
	for o in ${files[x$p]}; do printf 'f%s %s|%s %s|daemon-config.t\n' "$p" "$o" "$p" "$o"; done
done)
while IFS='|' read -r id reply; do
	offered[$id]=$reply
done < <(bash -c '. "$1"
	while IFS="|" read -r id line cur; do
		read -ra w <<<"$line"
		COMP_WORDS=(classy-sync "${w[@]}" "$cur"); COMP_CWORD=$((${#w[@]} + 1)); COMPREPLY=()
		_classy_sync 2>/dev/null
		printf "%s|%s\n" "$id" "${COMPREPLY[*]}"
	done' _ "$completion" <<<"$queries")

# options every command has are documented once, under OPTIONS
global=${opts[x]}
for p in "${paths[@]}"; do
	global=$(comm -12 <(tr ' ' '\n' <<<"$global" | sort) <(sort <<<"${opts[x$p]}"))
done
[ -n "$global" ] || fail "no option is common to every command (-h, --help at least)"

checked=0 files_checked=0
for p in "${paths[@]}"; do
	section=$(man_section "$p")
	[ -n "$section" ] || fail "the man page has no section for 'classy-sync $p'"
	for c in ${subs[x$p]} ${words[x$p]}; do
		in_list "$c" "${offered[w$p]-}" || fail "completion of 'classy-sync $p' does not offer '$c'"
		checked=$((checked + 1))
	done
	in_list gen-docs "${offered[w$p]-}" && fail "completion offers the hidden gen-docs"
	for o in ${opts[x$p]}; do
		in_list "$o" "${offered[o$p]-}" || fail "completion of 'classy-sync $p -' does not offer '$o'"
		checked=$((checked + 1))
		[ -n "$p" ] && in_list "$o" "$global" && continue
		in_man_section "$o" "$section" || fail "the man page's section for 'classy-sync $p' does not list $o"
	done
	for o in ${files[x$p]}; do
		in_list daemon-config.test.json "${offered[f$p $o]-}" ||
			fail "'classy-sync $p $o <TAB>' does not complete file names"
		files_checked=$((files_checked + 1))
	done
done
section=$(man_section "")
for o in $global; do in_man_section "$o" "$section" || fail "OPTIONS does not list $o"; done
[ "$files_checked" -gt 0 ] || fail "no option takes a FILE: the file completion went untested"
echo "ok: ${#paths[@]} commands, $checked commands, choices and options offered and in the man page, $files_checked file options"
