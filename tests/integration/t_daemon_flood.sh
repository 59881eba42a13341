#!/usr/bin/env bash
# The daemon's HTTP endpoint under a flood (docs/SECURITY.md): 200 idle TCP
# connections from one address do not keep /healthz from answering a probe
# from another (per-address limit, short idle timeout). The probe is bounded
# by curl's own timeout; nothing here sleeps.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
command -v python3 >/dev/null || fail "python3 is not installed (scripts/bootstrap installs it)"
cs_env
sandbox_start --supporters 20
cs_add_org 1001
dm_config '{"syncIntervals":{"supporters":600000,"transactions":600000,"campaigns":600000,
  "recurringPlans":600000,"plugins":600000}}'
dm_start --http 127.0.0.1:0
wait_for "[ \"\$(dm_jq .http_port)\" -gt 0 ]"
port=$(dm_jq .http_port)
assert_eq "$(curl -s --max-time 10 "http://127.0.0.1:$port/healthz")" ok "/healthz before the flood"

# 200 connections from 127.0.0.1 that never send a byte, held open until
# the flooder's stdin closes; it prints how many connected.
cat >"$TEST_TMP/flood.py" <<'EOF'
import socket, sys
held = []
for _ in range(200):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
        held.append(s)
    except OSError:
        s.close()
print(len(held), flush=True)
sys.stdin.read()
EOF
mkfifo "$TEST_TMP/flood.in"
exec {flood_out}< <(exec python3 "$TEST_TMP/flood.py" "$port" <"$TEST_TMP/flood.in")
flood_pid=$!
exec {flood_in}>"$TEST_TMP/flood.in"
lib_on_exit "exec $flood_in>&-; kill $flood_pid 2>/dev/null"
IFS= read -r -t 300 connected <&"$flood_out" || fail "the flooder did not report"
[ "$connected" -ge 100 ] || fail "only $connected flood connections were made"

# The probe comes from another loopback address, as a supervisor's would come
# from somewhere other than an attacker.
code=$(curl -s -o "$TEST_TMP/healthz" -w '%{http_code}' --interface 127.0.0.2 --max-time 5 \
  "http://127.0.0.1:$port/healthz" || true)
assert_eq "$code" 200 "/healthz status during a flood of $connected idle connections"
assert_eq "$(cat "$TEST_TMP/healthz")" ok "/healthz body during the flood"
# and again: the endpoint is not starved after one lucky answer
assert_eq "$(curl -s --interface 127.0.0.3 --max-time 5 "http://127.0.0.1:$port/readyz")" ok \
  "/readyz during the flood"
exec {flood_in}>&-
wait "$flood_pid" || true
dm_alive "$(cat "$(dm_pidfile)")" || fail "the daemon died under the flood"
echo ok
