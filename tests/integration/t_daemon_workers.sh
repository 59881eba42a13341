#!/usr/bin/env bash
# backends: all
# `daemon workers` lists every live worker sharing the database, from its
# unexpired leases: a sync in flight on this host (asked from inside it, at a
# known page: no timing) and the workers of other hosts, each with the org x
# jobs it holds. An expired lease or a placeholder row is no worker. On a
# server database `daemon status` lists them too, after this host's status
# file; on SQLite it stays file-only (t_daemon_basic.sh proves it never opens
# the database there).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
sandbox_start --orgs 1 --supporters 900
cs_env
cs_ok db migrate
cs_add_org 1001
me=$(hostname)

cs_ok daemon workers
grep -q "no worker holds a lease in this database" "$OUT" || fail "empty listing: $(cat "$OUT")"
cs_ok daemon workers --json
assert_eq "$(jq -c . "$OUT")" '{"workers":[]}' "empty listing as JSON"

# another host's worker holding two jobs; an expired one; a placeholder
now=$(date +%s%3N)
db "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at, expires_at)
    VALUES (1001, 'transactions', 'daemon', 4242, 'worker-b.example', $now, $((now + 600000)))"
db "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at, expires_at)
    VALUES (1002, 'plugins', 'daemon', 4242, 'worker-b.example', $now, $((now + 600000)))"
db "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at, expires_at)
    VALUES (1003, 'campaigns', 'daemon', 77, 'worker-c.example', $((now - 200000)), $((now - 1)))"
db "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at, expires_at)
    VALUES (1004, 'campaigns', '', 0, '', 0, 0)"

# the listing taken by a hook inside a sync, before its 3rd page is stored
# ($PPID there is the sync's pid)
hook="\"$CS_BIN\" daemon workers --json >\"$TEST_TMP/w.json\" 2>\"$TEST_TMP/w.err\";"
hook+=" \"$CS_BIN\" daemon workers >\"$TEST_TMP/w.txt\" 2>>\"$TEST_TMP/w.err\"; echo \$PPID >\"$TEST_TMP/sync.pid\""
CLASSY_SYNC_TEST_PAGE_HOOK="3:$hook" cs_ok sync supporters full
[ -s "$TEST_TMP/w.json" ] || fail "the hook did not list the workers: $(cat "$TEST_TMP/w.err")"
W="$TEST_TMP/w.json"
sync_pid=$(cat "$TEST_TMP/sync.pid")
assert_eq "$(jq '.workers | length' "$W")" 2 "workers listed"
assert_eq "$(jq -r '[.workers[].host] | sort | join(",")' "$W")" "$(printf '%s\n' "$me" worker-b.example | sort | paste -sd,)" "hosts"
here='.workers[] | select(.this_host)'
assert_eq "$(jq -r "$here | .pid" "$W")" "$sync_pid" "this host's worker is the sync"
assert_eq "$(jq -r "$here | .host" "$W")" "$me" "its host"
assert_eq "$(jq -r "$here | .holder" "$W")" "manual sync" "its holder"
assert_eq "$(jq -r "$here | .alive" "$W")" true "it is alive"
assert_eq "$(jq -c "[$here | .leases[] | [.org, .job]]" "$W")" '[[1001,"supporters"]]' "what it holds"
[ "$(jq -r "$here | .leases[0].expires_in_ms" "$W")" -gt 0 ] || fail "its lease has expired"
b='.workers[] | select(.host == "worker-b.example")'
assert_eq "$(jq -r "$b | [.pid, .holder, .this_host, .alive] | join(\",\")" "$W")" "4242,daemon,false,true" "worker b"
assert_eq "$(jq -c "[$b | .leases[] | [.org, .job]]" "$W")" '[[1001,"transactions"],[1002,"plugins"]]' "what worker b holds"
assert_eq "$(jq -r "$b | .leases[0].expires_at" "$W" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T')" 1 "lease expiry as a time"
grep -Eq "^worker-b\.example +4242 +daemon +1002 +plugins " "$TEST_TMP/w.txt" || fail "text listing: $(cat "$TEST_TMP/w.txt")"
grep -Eq "^$me +$sync_pid +manual sync +1001 +supporters " "$TEST_TMP/w.txt" || fail "text listing: $(cat "$TEST_TMP/w.txt")"
grep -q "2 worker(s) hold 3 lease(s)" "$TEST_TMP/w.txt" || fail "text summary: $(cat "$TEST_TMP/w.txt")"
grep -q worker-c "$TEST_TMP/w.txt" && fail "an expired lease was listed"

# the sync released its lease: only worker b is left
cs_ok daemon workers --json
assert_eq "$(jq -r '[.workers[].host] | join(",")' "$OUT")" worker-b.example "after the sync"

# `daemon status`, with no daemon on this host: exit 1 (none runs here), and on a server database
# the workers of every host all the same
cs daemon status --json
assert_eq "$RC" 1 "daemon status exit code with no daemon here"
assert_eq "$(jq -r .running "$OUT")" false "running"
cs daemon status
if [ "$(cs_backend)" = sqlite ]; then
  grep -q "worker" "$OUT" && fail "daemon status read workers from SQLite: $(cat "$OUT")"
else
  grep -q "workers sharing the database (all hosts)" "$OUT" || fail "daemon status text: $(cat "$OUT")"
  grep -Eq "^worker-b\.example +4242 +daemon +1001 +transactions " "$OUT" || fail "daemon status text: $(cat "$OUT")"
  cs daemon status --json
  assert_eq "$(jq -r '[.workers[].host] | join(",")' "$OUT")" worker-b.example "daemon status --json workers"
  # a database that cannot be read is a line of the status, not a failure of it
  down=$(sed -E 's#@[^/@]+/#@127.0.0.1:1/#' <<<"$DATABASE_URL")
  DATABASE_URL=$down cs daemon status --json
  assert_eq "$RC" 1 "exit code (no daemon here) with the database down"
  jq -e '.workers_error | length > 0' "$OUT" >/dev/null || fail "no workers_error: $(cat "$OUT")"
fi
echo ok
