#!/usr/bin/env bash
# classy-sandbox against its contract: OAuth, the PaginatedResponse envelope,
# query validation, indexed filters and sorts, sparse fields, ties, orphans,
# mutation, faults, rate limiting and the admin endpoints.
. "$(dirname "$0")/lib.sh"

NOW=1735689600 # 2025-01-01: generated data ends here, mutations use the real clock
SEED=7
TEST_START=$(date +%s)

# jq helpers: every datetime form the sandbox sends, as epoch seconds.
JQ_TS='def ts: sub("\\.000Z$"; "Z") | sub("\\+0000$"; "Z") | fromdateiso8601;'

code() { # code PATH [CURL...]: GET with $TOKEN; body in $TEST_TMP/body, headers in .../hdr
	local path=$1
	shift
	curl -sS -o "$TEST_TMP/body" -D "$TEST_TMP/hdr" -w '%{http_code}' \
		-H "Authorization: Bearer $TOKEN" "$@" "$CLASSY_API_URL/$path"
}
get() { # get PATH: body of a 200, else fail
	local c
	c=$(code "$1")
	[[ $c == 200 ]] || fail "GET $1 answered $c: $(head -c 300 "$TEST_TMP/body")"
	cat "$TEST_TMP/body"
}
header() { grep -i "^$1:" "$TEST_TMP/hdr" | tr -d '\r' | cut -d' ' -f2; }
expect_400() { # expect_400 PATH WHY [MESSAGE-SUBSTRING]
	local c
	c=$(code "$1")
	assert_eq "$c" 400 "$2"
	jq -e '.error | type == "string"' "$TEST_TMP/body" >/dev/null || fail "$2: no error message"
	[[ -z ${3:-} ]] || grep -q "$3" "$TEST_TMP/body" || fail "$2: message lacks '$3'"
}
dump() { sandbox_admin GET "dump?org=$1&entity=$2"; }

# ---- command line ----
"$CS_SANDBOX" --help >"$TEST_TMP/help"
for word in --rate-limit --mutate-every --truncate-rate /__sandbox/dump /__sandbox/knobs; do
	grep -q -- "$word" "$TEST_TMP/help" || fail "--help does not document $word"
done
rc=0
"$CS_SANDBOX" --per-page 3 2>"$TEST_TMP/err" || rc=$?
assert_eq "$rc" 2 "an unknown flag exits 2"
grep -q "unknown option '--per-page'" "$TEST_TMP/err" || fail "unknown flag message: $(cat "$TEST_TMP/err")"

sandbox_start --seed "$SEED" --now "$NOW"
[[ $SANDBOX_URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "bad SANDBOX_URL '$SANDBOX_URL'"

# ---- OAuth ----
resp=$(curl -sS -d grant_type=client_credentials -d client_id=sandbox-client \
	-d client_secret=sandbox-secret "$CLASSY_TOKEN_URL")
assert_eq "$(jq -r .token_type <<<"$resp")" bearer "token_type"
assert_eq "$(jq -r .expires_in <<<"$resp")" 3600 "expires_in"
TOKEN=$(jq -r .access_token <<<"$resp")
[[ ${#TOKEN} -ge 20 ]] || fail "short access token '$TOKEN'"

c=$(curl -sS -o "$TEST_TMP/body" -w '%{http_code}' -d grant_type=client_credentials \
	-d client_id=sandbox-client -d client_secret=wrong "$CLASSY_TOKEN_URL")
assert_eq "$c" 401 "a wrong secret is refused"
assert_eq "$(jq -r .error "$TEST_TMP/body")" invalid_client "wrong secret error"
c=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
	"$CLASSY_TOKEN_URL?grant_type=client_credentials&client_id=sandbox-client&client_secret=sandbox-secret")
assert_eq "$c" 400 "credentials in the query string are refused"

c=$(curl -sS -o "$TEST_TMP/body" -D "$TEST_TMP/hdr" -w '%{http_code}' "$CLASSY_API_URL/organizations/1001")
assert_eq "$c" 401 "no bearer token"
assert_eq "$(jq -r .error "$TEST_TMP/body")" access_denied "401 error code"
assert_eq "$(header X-RateLimit-Limit)" 1800 "X-RateLimit-Limit on a 401"
[[ -n $(header X-RateLimit-Remaining) ]] || fail "no X-RateLimit-Remaining on a 401"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' \
	"$CLASSY_API_URL/organizations/1001")" 401 "unknown token"

# ---- organization ----
assert_eq "$(get organizations/1001 | jq -r '.id, .currency_code, (.name|type)' | paste -sd' ')" \
	"1001 USD string" "organization object"
assert_eq "$(code organizations/9999)" 404 "unknown org"
jq -e '.error | test("9999")' "$TEST_TMP/body" >/dev/null || fail "404 body names the org"
assert_eq "$(code organizations/1001/donkeys)" 404 "unknown collection"

# ---- envelope and record shapes ----
env=$(get organizations/1001/supporters)
assert_eq "$(jq -c 'keys' <<<"$env")" \
	'["current_page","data","first_page_url","from","last_page","last_page_url","links","next_page_url","path","per_page","prev_page_url","to","total"]' \
	"envelope fields"
assert_eq "$(jq -c '[.current_page,.per_page,(.data|length),.from,.to,.total,.last_page,.prev_page_url]' <<<"$env")" \
	'[1,20,20,1,20,300,15,null]' "envelope values"
assert_eq "$(jq -r .next_page_url <<<"$env")" "$SANDBOX_URL/2.0/organizations/1001/supporters?page=2" "next_page_url"
assert_eq "$(jq -r .path <<<"$env")" "$SANDBOX_URL/2.0/organizations/1001/supporters" "path"
assert_eq "$(jq -c '[.links[0].label, .links[1].active, .links[-1].label]' <<<"$env")" \
	'["&laquo; Previous",true,"Next &raquo;"]' "links"
last=$(get "organizations/1001/supporters?page=15")
assert_eq "$(jq -c '[.from,.to,.next_page_url,(.data|length)]' <<<"$last")" '[281,300,null,20]' "last page"
assert_eq "$(get 'organizations/1001/supporters?page=99' | jq -c '[.from,.to,(.data|length)]')" \
	'[null,null,0]' "page past the end"
for pair in supporters:27 transactions:96 campaigns:108 recurring-donation-plans:62; do
	e=${pair%%:*} n=${pair##*:}
	assert_eq "$(get "organizations/1002/$e?per_page=5" | jq '[.data[] | keys | length] | unique | .[]')" \
		"$n" "$e records carry every schema field"
done

# ---- query validation ----
expect_400 "organizations/1001/supporters?per_page=101" "per_page over 100" per_page
expect_400 "organizations/1001/supporters?per_page=0" "per_page under 1" per_page
expect_400 "organizations/1001/supporters?page=0" "page 0" page
expect_400 "organizations/1001/supporters?sort=shoe_size" "sort by an unknown field" shoe_size
expect_400 "organizations/1001/supporters?sort=id:sideways" "bad sort direction"
expect_400 "organizations/1001/supporters?fields=id,shoe_size" "unknown sparse field" shoe_size
expect_400 "organizations/1001/supporters?filter=shoe_size%3D3" "filter on an unknown field" shoe_size
expect_400 "organizations/1001/supporters?filter=metadata%3D3" "filter on an object field"
expect_400 "organizations/1001/supporters?filter=id%3Dabc" "non-integer id filter"
expect_400 "organizations/1001/supporters?filter=updated_at%3E%3D2024-01-01T00%3A00%3A00.000Z" \
	"milliseconds in a datetime filter" milliseconds
expect_400 "organizations/1001/supporters?filter=updated_at%3E%3D2024-01-01T00%253A00%253A00%252B0000" \
	"double-encoded filter value" encoded
expect_400 "organizations/1001/supporters?filter=updated_at%253E%253D2024-01-01" "double-encoded operator"
expect_400 "organizations/1001/supporters?filter=updated_at%3E%3D2024-01-01T00%3A00%3A00+0000" \
	"an unencoded '+' (decoded to a space)" "%2B"
for v in 2024-01-01T00%3A00%3A00%2B0000 2024-01-01T00%3A00%3A00Z 2024-01-01; do
	t=$(get "organizations/1001/supporters?filter=updated_at%3E%3D$v" | jq .total)
	[[ ${t0:=$t} == "$t" ]] || fail "datetime form $v gives total $t, not $t0"
done
get "organizations/1001/transactions?with=items&per_page=1" >/dev/null

# ---- dumps: counts, realism, ties, orphans ----
for org in 1001 1002; do
	for e in supporters transactions campaigns recurring-donation-plans; do
		dump "$org" "$e" >"$TEST_TMP/dump-$org-$e.json"
		assert_eq "$(jq length "$TEST_TMP/dump-$org-$e.json")" \
			"$(get "organizations/$org/$e?per_page=1" | jq .total)" "dump count of $org $e equals total"
	done
done
# Every record has exactly its schema's fields, with the spec's types, enums
# and nullability (email_address excepted: some supporters have none).
SPEC=${CLASSY_SPEC:-${CLASSY_SYNC_SPEC_DIR:-${CS_SRC:-$(dirname "$0")/../..}/../shared/specs}/classy-api-v2.openapi.json}
if [[ -f $SPEC ]]; then
	for pair in supporters:Supporter transactions:Transaction campaigns:Campaign \
		recurring-donation-plans:RecurringDonationPlan; do
		problems=$(jq -nc --slurpfile spec "$SPEC" --slurpfile recs "$TEST_TMP/dump-1001-${pair%%:*}.json" \
			--arg s "${pair##*:}" '
			$spec[0].components.schemas[$s].properties as $p
			| def bad($d; $v): ($v == null and ($d.nullable | not))
				or ($v != null and (($d.type == "integer" and ($v|type != "number" or $v != ($v|floor)))
					or ($d.type == "number" and ($v|type) != "number")
					or ($d.type == "string" and ($v|type) != "string")
					or ($d.type == "boolean" and ($v|type) != "boolean")
					or ($d.type == "object" and ($v|type) != "object")
					or ($d.enum != null and ($d.enum | index($v)) == null)));
			[$recs[0][] | select((keys) != ($p|keys)) | "fields of \(.id)"] +
			[$recs[0][] | to_entries[] | select(.key != "email_address" and bad($p[.key]; .value)) | .key]
			| unique')
		assert_eq "$problems" "[]" "${pair##*:} records conform to the spec"
	done
else
	echo "SKIPPED (schema conformance): $SPEC not found; set CLASSY_SYNC_SPEC_DIR to check it" >&2
fi
S="$TEST_TMP/dump-1001-supporters.json" T="$TEST_TMP/dump-1001-transactions.json"
P="$TEST_TMP/dump-1001-recurring-donation-plans.json"
get "organizations/1001/supporters?per_page=100&page=2" | jq -c .data >"$TEST_TMP/a.json"
jq -c '.[100:200]' "$S" >"$TEST_TMP/b.json"
cmp -s "$TEST_TMP/a.json" "$TEST_TMP/b.json" || fail "dump differs from what the list endpoint renders"
jq -e '[.[] | select(.email_address == null)] | length > 0' "$S" >/dev/null || fail "no null email_address"
jq -e '[.[] | .opt_in] | unique == [false,true]' "$S" >/dev/null || fail "opt_in not both true and false"
jq -e '[.[].first_name // "" | select(explode | any(. > 127))] | length > 0' "$S" >/dev/null ||
	fail "no unicode first names"
for re in '[0-9]Z$' '\+0000$' '\.000Z$'; do
	jq -e --arg re "$re" '[.[].updated_at | select(test($re))] | length > 0' "$T" >/dev/null ||
		fail "no updated_at matching $re"
done
assert_eq "$(jq -c '[.[].status] | unique' "$T")" \
	'["canceled","failed","incomplete","pending","refunded","success"]' "transaction statuses"
jq -e '[.[].total_gross_amount | select(. == 0.1 or . == 1234.56)] | length > 0' "$T" >/dev/null ||
	fail "no 0.10 or 1234.56 amounts"
jq -e '[.[] | select(.recurring_donation_plan_id != null)] | length > 0' "$T" >/dev/null || fail "no plan links"
jq -e '[.[].frequency] | unique | length >= 5' "$P" >/dev/null || fail "too few plan frequencies"
jq -e "$JQ_TS"' all(.[]; (.updated_at|ts) >= (.created_at|ts))' "$T" >/dev/null || fail "updated_at < created_at"
for f in "$S" "$T"; do
	jq -e "$JQ_TS"' [.[].updated_at | ts] | group_by(.) | map(length) | max >= 150' "$f" >/dev/null ||
		fail "fewer than 150 records share one updated_at in $f"
done
orphans=$(jq -n --slurpfile s "$S" --slurpfile t "$T" \
	'($s[0] | map({key: (.id|tostring), value: 1}) | from_entries) as $ids
	 | [$t[0][] | select(.supporter_id != null and ($ids[.supporter_id|tostring] | not))] | length')
[[ $orphans -ge 5 ]] || fail "expected at least 5 orphan transactions, found $orphans"

# The tie second needs more than one page to read in full.
tie=$(jq -r "$JQ_TS"' [.[].updated_at | ts] | group_by(.) | max_by(length)[0] | strftime("%Y-%m-%dT%H:%M:%S+0000")' "$T")
tie_enc=$(jq -rn --arg v "$tie" '$v|@uri')
tp=$(get "organizations/1001/transactions?per_page=100&sort=updated_at,id&filter=updated_at%3D$tie_enc")
jq -e '.total >= 150 and .last_page >= 2' <<<"$tp" >/dev/null || fail "tie filter: $(jq -c '{total,last_page}' <<<"$tp")"

# ---- indexed filter + sort ----
bound=2024-06-01T00:00:00+0000
bound_enc=$(jq -rn --arg v "$bound" '$v|@uri')
page=$(get "organizations/1001/transactions?per_page=100&sort=updated_at,id&filter=updated_at%3E%3D$bound_enc")
want=$(jq "$JQ_TS"' [.[] | select((.updated_at|ts) >= ("2024-06-01T00:00:00Z"|fromdateiso8601))] | length' "$T")
assert_eq "$(jq .total <<<"$page")" "$want" "updated_at>= total matches the dump"
jq -e "$JQ_TS"' .data | length == 100 and all(.[]; (.updated_at|ts) >= ("2024-06-01T00:00:00Z"|fromdateiso8601))
	and (map([(.updated_at|ts), .id]) as $k | $k == ($k|sort))' <<<"$page" >/dev/null ||
	fail "updated_at>= with sort=updated_at,id is not ascending and bounded"
desc=$(get "organizations/1001/transactions?per_page=50&sort=updated_at:desc&filter=updated_at%3C$bound_enc")
jq -e "$JQ_TS"' .data | map(.updated_at|ts) as $k | $k == ($k|sort|reverse) and all($k[]; . < ("2024-06-01T00:00:00Z"|fromdateiso8601))' \
	<<<"$desc" >/dev/null || fail "sort=updated_at:desc with filter < is wrong"

minid=$(jq 'map(.id) | min' "$T")
n=$((minid + 500))
page=$(get "organizations/1001/transactions?per_page=100&sort=id&filter=id%3E$n")
assert_eq "$(jq '.data[0].id' <<<"$page")" "$((n + 1))" "filter=id>N starts after N"
assert_eq "$(jq .total <<<"$page")" "$(jq --argjson n "$n" '[.[] | select(.id > $n)] | length' "$T")" "id>N total"
jq -e '.data | map(.id) as $k | $k == ($k|sort) and length == 100' <<<"$page" >/dev/null || fail "sort=id not ascending"

# ---- scanning filters, generic sorts, sparse fields ----
for f in "status%3Drefunded:status == \"refunded\"" "status%21%3Dsuccess:status != \"success\"" \
	"total_gross_amount%3E%3D1000:total_gross_amount >= 1000" "is_anonymous%3D1:is_anonymous" \
	"recurring_donation_plan_id%3Dnull:recurring_donation_plan_id == null"; do
	q=${f%%:*} sel=${f#*:}
	assert_eq "$(get "organizations/1001/transactions?per_page=1&filter=$q" | jq .total)" \
		"$(jq "[.[] | select(.$sel)] | length" "$T")" "filter $q"
done
get "organizations/1001/supporters?per_page=100&sort=last_name,id:desc&filter=opt_in%3Dfalse" >"$TEST_TMP/s.json"
jq -e 'all(.data[]; .opt_in == false) and (.data | map([.last_name, -.id]) as $k | $k == ($k|sort))' \
	"$TEST_TMP/s.json" >/dev/null || fail "sort=last_name,id:desc with an opt_in filter"
assert_eq "$(get 'organizations/1001/campaigns?fields=id,updated_at' | jq -c '[.data[] | keys] | unique')" \
	'[["id","updated_at"]]' "sparse fieldset"

# ---- mutation ----
first20=$(get "organizations/1001/supporters?sort=updated_at,id&per_page=20" | jq -c '[.data[].id]')
m=$(sandbox_admin POST "mutate?org=1001&entity=supporters&update=2&create=1")
assert_eq "$(jq -c '[(.updated|length), (.created|length)]' <<<"$m")" '[2,1]' "mutate answer"
jq -e --argjson f "$first20" '.updated | all(. as $i | $f | index($i))' <<<"$m" >/dev/null ||
	fail "mutated records were not among the earliest-sorting ones"
assert_eq "$(get 'organizations/1001/supporters?per_page=1' | jq .total)" 301 "create adds a record"
tail=$(get "organizations/1001/supporters?sort=updated_at,id&filter=updated_at%3E%3D2025-01-01")
assert_eq "$(jq -c '[.data[].id] | sort' <<<"$tail")" "$(jq -c '.updated + .created | sort' <<<"$m")" \
	"mutated records move to the end of updated_at order"
jq -e --argjson t0 "$TEST_START" "$JQ_TS"' all(.data[]; (.updated_at|ts) >= $t0)' <<<"$tail" >/dev/null ||
	fail "mutated records carry the current time"

sandbox_admin POST "knobs?mutate_every=2" >/dev/null
t0=$(get "organizations/1002/campaigns?per_page=1" | jq .total)
get "organizations/1002/campaigns?per_page=1" >/dev/null
assert_eq "$(get 'organizations/1002/campaigns?per_page=1' | jq .total)" "$((t0 + 2))" "--mutate-every creates records"
sandbox_admin POST "knobs?mutate_every=0" >/dev/null

# ---- stats ----
sandbox_admin POST reset-stats >/dev/null
for _ in 1 2 3; do get "organizations/1002/campaigns?per_page=1" >/dev/null; done
st=$(sandbox_admin GET stats)
assert_eq "$(jq -c '[.list_requests, .requests, .by_path["/2.0/organizations/1002/campaigns"]]' <<<"$st")" \
	'[3,3,3]' "stats"
# every API request in the second it arrived (tokens aside), within the last hour
assert_eq "$(jq '[.per_second[][1]] | add' <<<"$st")" 3 "requests per second add up"
jq -e --argjson now "$(date +%s)" '.per_second | all(.[0] <= $now and .[0] > $now - 3600)' \
	<<<"$st" >/dev/null || fail "per_second: seconds out of the last hour: $(jq -c .per_second <<<"$st")"

# ---- faults and latency ----
sandbox_admin POST "knobs?fail_rate=1" >/dev/null
c=$(code organizations/1001/campaigns)
[[ $c == 500 || $c == 503 ]] || fail "fail_rate=1 answered $c"
sandbox_admin POST "knobs?fail_rate=0&drop_rate=1" >/dev/null
rc=0
curl -sS -o /dev/null -H "Authorization: Bearer $TOKEN" "$CLASSY_API_URL/organizations/1001/campaigns" 2>/dev/null || rc=$?
assert_eq "$rc" 52 "drop_rate=1 closes with an empty reply (curl exit 52)"
sandbox_admin POST "knobs?drop_rate=0&truncate_rate=1" >/dev/null
for _ in 1 2 3 4; do
	rc=0
	curl -sS -o "$TEST_TMP/body" -H "Authorization: Bearer $TOKEN" \
		"$CLASSY_API_URL/organizations/1001/transactions?per_page=50" 2>/dev/null || rc=$?
	if ((rc == 0)) && jq -e . "$TEST_TMP/body" >/dev/null 2>&1; then
		fail "truncate_rate=1 sent a complete JSON body"
	fi
done
sandbox_admin POST "knobs?truncate_rate=0&latency_ms=300" >/dev/null
secs=$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$CLASSY_API_URL/organizations/1001")
jq -en --argjson s "$secs" '$s >= 0.3' >/dev/null || fail "latency_ms=300 answered in ${secs}s"
k=$(sandbox_admin POST "knobs?latency_ms=0")
assert_eq "$(jq -c '[.fail_rate,.drop_rate,.truncate_rate,.latency_ms]' <<<"$k")" '[0,0,0,0]' "knobs reset"
[[ $(sandbox_admin GET stats | jq .faults) -ge 6 ]] || fail "faults are not counted"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$SANDBOX_URL/__sandbox/knobs?fail_rate=2")" 400 "bad knob"

# ---- token expiry and credential rotation ----
assert_eq "$(code organizations/1001)" 200 "token works before expire-tokens"
sandbox_admin POST expire-tokens >/dev/null
assert_eq "$(code organizations/1001)" 401 "expire-tokens invalidates issued tokens"
TOKEN=$(sandbox_token)
assert_eq "$(code organizations/1001)" 200 "a new token works"
sandbox_admin POST "set-credentials?client_secret=rotated" >/dev/null
c=$(curl -sS -o /dev/null -w '%{http_code}' -d grant_type=client_credentials \
	-d client_id=sandbox-client -d client_secret=sandbox-secret "$CLASSY_TOKEN_URL")
assert_eq "$c" 401 "the old secret fails after set-credentials"
CLASSY_CLIENT_SECRET=rotated sandbox_token >/dev/null || fail "the rotated secret does not work"

sandbox_stop

# ---- determinism and the rate limit ----
sandbox_start --seed "$SEED" --now "$NOW" --rate-limit 3/min --client-secret s3cret
assert_eq "$CLASSY_CLIENT_SECRET" s3cret "sandbox_start exports --client-secret"
dump 1001 transactions >"$TEST_TMP/again.json"
cmp -s "$TEST_TMP/again.json" "$T" || fail "the same seed and --now give different data"
TOKEN=$(sandbox_token)
for want in 2 1 0; do
	assert_eq "$(code organizations/1001/campaigns)" 200 "request under the limit"
	assert_eq "$(header X-RateLimit-Remaining)" "$want" "X-RateLimit-Remaining"
done
assert_eq "$(code organizations/1001/campaigns)" 429 "over the limit"
ra=$(header Retry-After) reset=$(header X-RateLimit-Reset)
[[ $ra -ge 1 && $ra -le 60 ]] || fail "Retry-After '$ra' is not in 1..60"
[[ $reset -gt $(date +%s) ]] || fail "X-RateLimit-Reset '$reset' is not in the future"
assert_eq "$(jq -c '[.message, .retry_after]' "$TEST_TMP/body")" "[\"Too Many Attempts.\",$ra]" "429 body"
assert_eq "$(sandbox_admin GET stats | jq .throttled)" 1 "throttled count"
# reset-stats starts a new window as well
sandbox_admin POST reset-stats >/dev/null
assert_eq "$(code organizations/1001/campaigns)" 200 "a new window after reset-stats"
assert_eq "$(header X-RateLimit-Remaining)" 2 "X-RateLimit-Remaining in the new window"
assert_eq "$(sandbox_admin GET stats | jq -c '[.throttled, ([.per_second[][1]] | add)]')" '[0,1]' \
	"counters after reset-stats"
sandbox_stop

sandbox_start --seed 8 --now "$NOW" --orgs 1
dump 1001 transactions >"$TEST_TMP/other.json"
cmp -s "$TEST_TMP/other.json" "$T" && fail "a different seed gives the same data"
sandbox_stop
echo "t_sandbox: ok"
