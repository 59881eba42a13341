# Helpers for the daemon tests (t_daemon_*.sh). Source after lib.sh and cs.sh.
#   dm_config JSON          write $DM_CONFIG (a daemon-config.json)
#   dm_start ARGS...        `daemon start --config $DM_CONFIG ARGS` (LOG_LEVEL=info, or
#                           $DM_LOG_LEVEL), must succeed; the
#                           exit trap stops the daemon (and kills it if it hangs)
#   dm_status               print `daemon status --json`
#   dm_jq FILTER            jq FILTER over the status file
#   wait_for CMD [SECS]     poll CMD (eval'd) every 0.1 s until it succeeds, at most
#                           SECS (default 30) seconds; fails the test on timeout
#   dm_runs [WHERE]         count sync_runs rows matching WHERE
#   dm_overlaps             runs of one org and entity that overlapped in time (a run
#                           of a killed process, relabelled when the next began, aside)
#   dm_report_ready URL [TOKEN]
#                           poll the giving report at URL until it is 200 (its figures are
#                           read on the daemon's loader thread: 503 until then)
DM_CONFIG="$TEST_TMP/daemon-config.json"

dm_config() { printf '%s\n' "$1" >"$DM_CONFIG"; }

dm_pidfile() { echo "$DB_PATH.daemon.pid"; }
dm_statusfile() { echo "$DB_PATH.daemon.json"; }
dm_log() { echo "$DB_PATH.daemon.log"; }

_dm_cleanup() {
  local pid wpid
  pid=$(cat "$(dm_pidfile)" 2>/dev/null || true)
  wpid=$(jq -r '.worker_pid // empty' "$(dm_statusfile)" 2>/dev/null || true)
  "$CS_BIN" daemon stop --timeout 20 >/dev/null 2>&1 </dev/null || true
  for p in $pid $wpid; do
    dm_alive "$p" && kill -9 "$p" 2>/dev/null || true
  done
  return 0
}

_DM_TRAP=
dm_trap() {
  if [ -z "$_DM_TRAP" ]; then
    lib_on_exit _dm_cleanup
    lib_on_exit '[ -f "$(dm_log)" ] && [ "${DM_SHOW_LOG:-}" ] && tail -n 40 "$(dm_log)" >&2; true'
    _DM_TRAP=1
  fi
}

dm_start() {
  dm_trap
  LOG_LEVEL=${DM_LOG_LEVEL:-info} cs daemon start --config "$DM_CONFIG" "$@"
  if [ "$RC" -ne 0 ]; then
    cat "$OUT" "$ERR"; [ -f "$(dm_log)" ] && tail -n 30 "$(dm_log)"
    fail "daemon start exited $RC"
  fi
}

dm_status() { "$CS_BIN" daemon status --json </dev/null; }
dm_jq() { jq -r "$1" "$(dm_statusfile)" 2>/dev/null; }

wait_for() {
  local cond=$1 secs=${2:-30} i=0
  local n=$((secs * 10))
  while ! eval "$cond" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$n" ]; then
      [ -f "$(dm_log)" ] && tail -n 30 "$(dm_log)" >&2
      fail "timed out after ${secs}s waiting for: $cond"
    fi
    sleep 0.1
  done
}

# A live process (a zombie left for a non-reaping init does not count).
dm_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

dm_runs() { db "SELECT COUNT(*) FROM sync_runs ${1:+WHERE $1}"; }

dm_overlaps() {
  # SQLite keeps times as text, with or without milliseconds: compare them as times
  local ts=julianday
  [ "$(cs_backend)" = sqlite ] || ts=
  db "SELECT COUNT(*) FROM sync_runs a JOIN sync_runs b ON a.organization_id = b.organization_id
      AND a.entity = b.entity AND a.id < b.id
      WHERE $ts(b.started_at) < $ts(COALESCE(a.finished_at, '9999-01-01'))
      AND COALESCE(a.error, '') NOT LIKE 'the process (pid %'
      AND COALESCE(a.error, '') NOT LIKE 'the worker on host %'"
}

# Milliseconds a command takes (stdout/stderr discarded).
dm_time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 </dev/null || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

dm_report_ready() {
  local auth=
  [ -n "${2:-}" ] && auth="-H 'Authorization: Bearer $2'"
  wait_for "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $auth '$1')\" = 200 ]" 60
}
