#!/usr/bin/env bash
# classy-sync db schema: the data dictionary, without a database.
#  - docs/SCHEMA.md is exactly `db schema --format markdown` (it says how to
#    regenerate it when it is not);
#  - --format json is one document naming every table and view, each column
#    with a description, and "type" the declared type on DB_TYPE;
#  - --format dbt is a dbt sources.yml (version 2, sources, tables, columns
#    with descriptions) that parses as YAML and holds the same tables;
#  - an unknown format is a usage error, and no database file is made.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export CLASSY_SYNC_ENV_FILE=/dev/null DB_TYPE=sqlite DB_PATH=$TEST_TMP/never.db
"$CS_BIN" db schema --format markdown >"$TEST_TMP/SCHEMA.md"
[ ! -e "$DB_PATH" ] || fail "db schema opened or made the database"

# ---- json ----
"$CS_BIN" db schema --format json >"$TEST_TMP/dict.json"
jq -e . "$TEST_TMP/dict.json" >/dev/null || fail "--format json is not JSON"
assert_eq "$(jq -r .backend "$TEST_TMP/dict.json")" sqlite "json backend"
for t in transactions supporters campaigns recurring_plans sync_runs schema_migrations \
	supporter_summary campaign_performance contact_segments; do
	jq -e --arg t "$t" '.tables[] | select(.name == $t)' "$TEST_TMP/dict.json" >/dev/null ||
		fail "json names no table or view '$t'"
done
undescribed=$(jq -r '.tables[] | .name as $t | .columns[] | select(.description == "") | "\($t).\(.name)"' "$TEST_TMP/dict.json")
[ -z "$undescribed" ] || fail "columns without a description: $undescribed"
assert_eq "$(jq -r '.tables[] | select(.name == "transactions") | .columns[] | select(.name == "total_gross_amount") | [.logical_type, .type, .types.postgresql // "-", .api_field, .description] | join("|")' "$TEST_TMP/dict.json")" \
	"money|REAL|NUMERIC(19,4)|total_gross_amount|Total value of Transaction" "json money column"
assert_eq "$(jq -r '[.tables[] | select(.name == "transactions") | .columns[] | select(.name == "raw_json" or .name == "synced_at") | .api_field] | map(tostring) | join(",")' "$TEST_TMP/dict.json")" \
	"null,null" "project columns name no API field"
ntables=$(jq '.tables | length' "$TEST_TMP/dict.json")

# ---- dbt ----
"$CS_BIN" db schema --format dbt >"$TEST_TMP/sources.yml"
python3 - "$TEST_TMP/sources.yml" "$ntables" <<'PY' || fail "--format dbt is not a dbt sources.yml with every table: $(head -20 "$TEST_TMP/sources.yml")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["version"] == 2, doc.get("version")
src = doc["sources"][0]
assert src["name"] == "classy_sync"
tables = {t["name"]: t for t in src["tables"]}
assert len(tables) == int(sys.argv[2]), (len(tables), sys.argv[2])
cols = {c["name"]: c for c in tables["transactions"]["columns"]}
assert cols["total_gross_amount"]["description"] == "Total value of Transaction"
assert cols["total_gross_amount"]["data_type"] == "REAL"
assert cols["total_gross_amount"]["meta"]["classy_api_field"] == "total_gross_amount"
assert all(c["description"] for t in tables.values() for c in t["columns"])
# a description with newlines and quotes survives the quoting
camp = {c["name"]: c for c in tables["campaigns"]["columns"]}
assert "\n - donation:" in camp["type"]["description"], camp["type"]["description"]
PY

# ---- usage ----
if out=$("$CS_BIN" db schema --format csv 2>&1); then fail "an unknown format was accepted"; fi
grep -q "unknown format 'csv'" <<<"$out" || fail "unknown format message: $out"

# ---- docs/SCHEMA.md is current ----
# (its types name all three backends: a build without one cannot say them)
if grep -q '(not built)' "$TEST_TMP/SCHEMA.md"; then
	echo "SKIPPED: this build lacks a backend, so docs/SCHEMA.md cannot be compared in full"
	exit 77
fi
if ! diff -u "$CS_SRC/docs/SCHEMA.md" "$TEST_TMP/SCHEMA.md" >"$TEST_TMP/schema.diff"; then
	fail "docs/SCHEMA.md is out of date; regenerate it with
  build/classy-sync db schema --format markdown > docs/SCHEMA.md
$(head -30 "$TEST_TMP/schema.diff")"
fi
