# Helpers for classy-sync integration tests. Source after lib.sh (sandbox helpers).
#   cs_env            point classy-sync at a fresh database and key in $TEST_TMP: an SQLite
#                     file, or with CS_TEST_BACKEND=postgresql|mysql (tests/with-backend.sh)
#                     a database of its own on the test server, dropped on exit
#   cs ARGS...        run the binary under test ($CS_BIN), output in $OUT/$ERR, status in $RC
#   cs_ok ARGS...     like cs, but fail the test unless it exits 0
#   cs_add_org ID     register a sandbox organization (verified)
#   db SQL            query the test database (rows as a|b|c, NULL as nothing, any backend)
#   cs_backend        print the backend under test (sqlite, postgresql, mysql)
#   cs_sqlite_only WHY  end a test that checks SQLite itself on other backends (exit 77: skipped)
#   assert_matches_sandbox ORG ENTITY [BEFORE]
#                     the table holds exactly the sandbox's records (raw_json, compared as
#                     normalised JSON); with BEFORE (ISO time), only records whose updated_at
#                     is earlier are required, and newer ones may be absent or older. ORG may
#                     be a list ("1001 1002 ..."): those orgs' rows against their records, in one
#                     comparison
: "${CS_BIN:?CS_BIN must name the classy-sync binary}"

cs_backend() { echo "${CS_TEST_BACKEND:-sqlite}"; }

# SQL for "the supporter consented": SQLite keeps consent in the form it
# arrived ('t', 'true', 1); the server products store a boolean.
cs_consent_sql() {
  if [ "$(cs_backend)" = sqlite ]; then echo "opt_in IN (1, 't', 'true')"; else echo "opt_in = TRUE"; fi
}

cs_sqlite_only() {
  [ "$(cs_backend)" = sqlite ] && return 0
  echo "SKIPPED on $(cs_backend): $*"
  exit 77
}

# The mariadb client's options for URL $1 (mysql://user:pass@host:port/db).
_cs_mysql_args() {
  local u=${1#*://} cred host db
  cred=${u%%@*}; u=${u#*@}; host=${u%%/*}; db=${u#*/}
  echo "--host=${host%%:*} --port=${host##*:} --user=${cred%%:*} --password=${cred#*:} $db"
}

# A database of its own for this test on the server under test.
_cs_server_db() {
  local base=${CS_TEST_DB_URL:?CS_TEST_BACKEND needs CS_TEST_DB_URL (run through tests/with-backend.sh)}
  local name
  name="classy_i$(basename "$TEST_TMP" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
  _cs_admin_sql "$base" "DROP DATABASE IF EXISTS $name" && _cs_admin_sql "$base" "CREATE DATABASE $name" ||
    fail "cannot create the test database $name on $(cs_backend)"
  export DATABASE_URL="${base%/*}/$name"
  lib_on_exit "_cs_admin_sql '$base' 'DROP DATABASE IF EXISTS $name' >/dev/null 2>&1 || true"
}

_cs_admin_sql() {
  case $(cs_backend) in
  postgresql) PGOPTIONS=--client-min-messages=warning psql "$1" -qAtX -v ON_ERROR_STOP=1 -c "$2" >/dev/null ;;
  # shellcheck disable=SC2046
  mysql) mariadb --no-defaults $(_cs_mysql_args "$1") -e "$2" ;;
  esac
}

cs_env() {
  unset DATABASE_URL DB_TYPE
  export DB_TYPE=sqlite
  # also where the daemon keeps its runtime files, on every backend
  export DB_PATH="$TEST_TMP/test.db"
  export CLASSY_SYNC_KEY_FILE="$TEST_TMP/key/master.key"
  export CLASSY_SYNC_ENV_FILE=/dev/null
  export LOG_LEVEL=${LOG_LEVEL:-warn}
  export CLASSY_SYNC_TEST_TIME_SCALE=${CLASSY_SYNC_TEST_TIME_SCALE:-1000}
  # Split key ranges from 2 x 300 records left (10,000 in production), so every
  # test's small data set is paged by several walks at once.
  export CLASSY_SYNC_TEST_RANGE_RECORDS=${CLASSY_SYNC_TEST_RANGE_RECORDS:-300}
  unset CLASSY_SYNC_KEY
  if [ "$(cs_backend)" != sqlite ]; then
    unset DB_TYPE
    _cs_server_db
  fi
}

# A command that hangs fails its test at once, naming itself, instead of
# running into ctest's timeout with nothing to show (CS_TIMEOUT seconds).
cs() {
  OUT="$TEST_TMP/out.txt"; ERR="$TEST_TMP/err.txt"
  local t0=$SECONDS
  set +e
  timeout -k 10 "${CS_TIMEOUT:-120}" "$CS_BIN" "$@" >"$OUT" 2>"$ERR" </dev/null
  RC=$?
  set -e
  # 124: timed out; 137 after the deadline: it ignored SIGTERM too (a test's
  # own SIGKILL hook also exits 137, but long before the deadline)
  if [ "$RC" -eq 124 ] || { [ "$RC" -eq 137 ] && [ $((SECONDS - t0)) -ge "${CS_TIMEOUT:-120}" ]; }; then
    echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"
    fail "classy-sync $* did not finish within ${CS_TIMEOUT:-120} s"
  fi
}

cs_ok() {
  cs "$@"
  if [ "$RC" -ne 0 ]; then
    echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"
    fail "classy-sync $* exited $RC"
  fi
}

cs_add_org() {
  CLASSY_CLIENT_SECRET="${2:-sandbox-secret}" "$CS_BIN" org add --org-id "$1" \
    --client-id "${3:-sandbox-client}" >/dev/null </dev/null || fail "org add $1 failed"
}

db() {
  case $(cs_backend) in
  sqlite) sqlite3 -batch -noheader "$DB_PATH" "$@" ;;
  postgresql) PGTZ=UTC psql "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1" ;;
  # shellcheck disable=SC2046
  # (the tests write times in the stored ISO form; MySQL's DATETIME wants them without T and Z)
  mysql) mariadb --no-defaults --default-character-set=utf8mb4 $(_cs_mysql_args "$DATABASE_URL") -N -B -r \
      --init-command="SET sql_mode='ANSI_QUOTES,PIPES_AS_CONCAT', time_zone='+00:00'" \
      -e "$(sed -E "s/'([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9:.]+)Z'/'\\1 \\2'/g" <<<"$1")" |
    awk -F'\t' -v OFS='|' '{ for (i = 1; i <= NF; i++) if ($i == "NULL") $i = ""; $1 = $1; print }' ;;
  esac
}

# Table name for an API endpoint name.
cs_table() {
  case "$1" in
    recurring-donation-plans|recurring-plans) echo recurring_plans ;;
    *) echo "$1" ;;
  esac
}
cs_endpoint() {
  case "$1" in
    recurring_plans|recurring-plans) echo recurring-donation-plans ;;
    *) echo "$1" ;;
  esac
}

assert_matches_sandbox() {
  local org=$1 entity=$2 before=${3:-}
  local table endpoint o
  table=$(cs_table "$entity"); endpoint=$(cs_endpoint "$entity")
  for o in $org; do
    curl -sf "$SANDBOX_URL/__sandbox/dump?org=$o&entity=$endpoint" \
      || fail "cannot dump $endpoint of $o from the sandbox"
  done | jq -s 'add' >"$TEST_TMP/dump.json"
  db "SELECT raw_json FROM $table WHERE organization_id IN (${org// /, }) AND deleted_at IS NULL" \
    | jq -cS . | sort >"$TEST_TMP/db.jsonl"
  if [ -z "$before" ]; then
    jq -cS '.[]' "$TEST_TMP/dump.json" | sort >"$TEST_TMP/src.jsonl"
    if ! cmp -s "$TEST_TMP/src.jsonl" "$TEST_TMP/db.jsonl"; then
      echo "source: $(wc -l <"$TEST_TMP/src.jsonl") records, database: $(wc -l <"$TEST_TMP/db.jsonl")"
      diff <(jq -r .id "$TEST_TMP/src.jsonl" | sort) <(jq -r .id "$TEST_TMP/db.jsonl" | sort) | head -5
      fail "$table of org $org differs from the sandbox"
    fi
  else
    # Every record last changed before $before must be present in exactly that version.
    jq -cS --arg t "$before" '.[] | select((.updated_at // "") | sub("\\.[0-9]+";"") |
        sub("\\+0000$";"Z") < $t)' "$TEST_TMP/dump.json" | sort >"$TEST_TMP/src.jsonl"
    local missing
    missing=$(comm -23 "$TEST_TMP/src.jsonl" "$TEST_TMP/db.jsonl" | wc -l)
    if [ "$missing" -ne 0 ]; then
      comm -23 "$TEST_TMP/src.jsonl" "$TEST_TMP/db.jsonl" | jq -c '{id, updated_at}' | head -5
      fail "$missing $table record(s) of org $org changed before $before are missing or stale"
    fi
  fi
}

# Current UTC time in the stored form, whole seconds.
utc_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
