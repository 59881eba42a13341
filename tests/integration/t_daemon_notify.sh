#!/usr/bin/env bash
# systemd notify under --foreground: READY=1, STATUS=, WATCHDOG=1 (from the
# worker, at half of WATCHDOG_USEC) and STOPPING=1 arrive on NOTIFY_SOCKET;
# SIGTERM to the foreground daemon stops it with exit 0 and removes the pidfile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cs.sh"
. "$(dirname "$0")/daemon.sh"
cs_env
command -v python3 >/dev/null || { echo "skip: no python3"; exit 0; }
sandbox_start --supporters 20
cs_add_org 1001
sock="$TEST_TMP/notify.sock"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    d = s.recv(4096).decode()
    print(d.replace("\n", "|"), flush=True)
' "$sock" >"$TEST_TMP/notify.log" 2>&1 &
listener=$!
lib_on_exit "kill $listener 2>/dev/null || true"
wait_for "grep -q bound '$TEST_TMP/notify.log'"
dm_config '{"syncIntervals":{"supporters":1000,"transactions":1000,"campaigns":1000,
  "recurringPlans":1000,"plugins":1000}}'
dm_trap
# as systemd does: WATCHDOG_PID is the main process (the supervisor)
(export NOTIFY_SOCKET="$sock" WATCHDOG_USEC=400000 WATCHDOG_PID=$BASHPID LOG_LEVEL=info
  exec "$CS_BIN" daemon start --foreground --config "$DM_CONFIG" >"$TEST_TMP/fg.out" \
    2>"$TEST_TMP/fg.err" </dev/null) &
fg=$!
wait_for "grep -q '^READY=1' '$TEST_TMP/notify.log'"
wait_for "[ \$(grep -c '^WATCHDOG=1' '$TEST_TMP/notify.log') -ge 3 ]"
grep -q '^STATUS=.*job(s) running' "$TEST_TMP/notify.log" || fail "no STATUS: $(cat "$TEST_TMP/notify.log")"
wait_for "[ -s '$(dm_pidfile)' ]"
assert_eq "$(cat "$(dm_pidfile)")" "$fg" "pidfile of a foreground daemon"
kill -TERM "$fg"
rc=0
wait "$fg" || rc=$?
assert_eq "$rc" 0 "foreground exit code after SIGTERM"
grep -q '^STOPPING=1' "$TEST_TMP/notify.log" || fail "no STOPPING=1"
[ ! -e "$(dm_pidfile)" ] || fail "pidfile left"
echo "ok"
