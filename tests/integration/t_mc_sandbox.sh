#!/usr/bin/env bash
# classy-sandbox's Mailchimp half against its contract: Basic auth, ping,
# the audience, merge fields, the conservative PUT upsert and its failures
# (compliance state, forgotten, fake emails, merge value types), tags,
# batch subscribe, async /batches with tar.gz results, refused deletes,
# seeded faults, the 10-connection limit and the counters tests rely on.
. "$(dirname "$0")/lib.sh"

KEY=sandbox-key-us1
LIST=sandbox-list
SEED=7
SMALL=(--seed "$SEED" --supporters 5 --transactions 5 --campaigns 1 --plans 1 --ties 0 --orphans 0)

hash() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | md5sum | cut -d' ' -f1; }

# mc METHOD PATH [BODY]: prints the status; body in $TEST_TMP/body, headers in $TEST_TMP/hdr.
mc() {
	local args=(-sS -o "$TEST_TMP/body" -D "$TEST_TMP/hdr" -w '%{http_code}' -u "anyone:${MC_KEY:-$KEY}"
		-X "$1")
	[[ -z ${3+x} ]] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$MC/$2"
}
jb() { jq -r "$1" "$TEST_TMP/body"; }
header() { grep -i "^$1:" "$TEST_TMP/hdr" | tr -d '\r' | cut -d' ' -f2- || true; }
# problem STATUS TITLE WHY: the last answer is problem+json with this status and title.
problem() {
	assert_eq "$(header Content-Type)" application/problem+json "$3: content type"
	assert_eq "$(jb '[.status, .title] | @tsv')" "$1	$2" "$3: status and title"
	[[ $(jb .instance) =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
		fail "$3: instance '$(jb .instance)' is not a request id"
	[[ $(jb .type) == https://* && -n $(jb .detail) ]] || fail "$3: no type or detail"
}
# expect CODE WHY METHOD PATH [BODY]
expect() {
	local want=$1 why=$2 c
	shift 2
	c=$(mc "$@")
	[[ $c == "$want" ]] || fail "$why: expected $want, got $c: $(head -c 400 "$TEST_TMP/body")"
}
admin() { curl -sS --fail -X "$1" "$SANDBOX_URL/__sandbox/mc/$2" "${@:3}"; }
stat() { admin GET stats | jq -r "$1"; }
member() { admin GET members | jq -c --arg e "$1" '.members[] | select(.email_address == $e)'; }
put() { # put EMAIL BODY-JSON: PUT to the member's hash
	mc PUT "lists/$LIST/members/$(hash "$1")" "$2"
}
# Twenty pings with half of them faulted, from a fresh sandbox: the codes
# must repeat exactly across runs with the same seed.
fault_sequence() {
	admin POST "knobs?fail_rate=0.5" >/dev/null
	local i out=""
	for ((i = 0; i < 20; i++)); do out+=$(mc GET ping)" "; done
	admin POST "knobs?fail_rate=0" >/dev/null
	echo "$out"
}

# ---- command line ----
"$CS_SANDBOX" --help >"$TEST_TMP/help"
for word in --mc-api-key --mc-list --mc-latency-ms --mc-max-connections --mc-fail-rate \
	--mc-throttle-rate /3.0/batches /__sandbox/mc/stats /__sandbox/mc/seed /__sandbox/mc/knobs; do
	grep -q -- "$word" "$TEST_TMP/help" || fail "--help does not document $word"
done

sandbox_start "${SMALL[@]}"
MC=$SANDBOX_URL/3.0
SEQ1=$(fault_sequence)
[[ $SEQ1 == *200* && $SEQ1 == *500* ]] || fail "fail_rate 0.5 gave '$SEQ1'"
admin POST reset-stats >/dev/null

# ---- auth ----
c=$(curl -sS -o "$TEST_TMP/body" -D "$TEST_TMP/hdr" -w '%{http_code}' "$MC/ping")
assert_eq "$c" 401 "no credentials"
problem 401 "API Key Invalid" "no credentials"
assert_eq "$(jb .detail)" "Your API key may be invalid, or you've attempted to access the wrong datacenter." \
	"401 detail"
first=$(jb .instance)
assert_eq "$(MC_KEY=wrong-us1 mc GET ping)" 401 "a wrong key"
[[ $(jb .instance) != "$first" ]] || fail "two requests share the instance '$first'"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -u "$KEY:" "$MC/ping")" 401 "the key as the username"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$MC/ping")" 401 \
	"a bearer token"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -u "someone-else:$KEY" "$MC/ping")" 200 \
	"any username with the key"
assert_eq "$(stat .unauthorized_401)" 4 "401s counted"

# ---- ping, list ----
expect 200 "ping" GET ping
assert_eq "$(jb .health_status)" "Everything's Chimpy!" "ping body"
expect 200 "the list" GET "lists/$LIST"
assert_eq "$(jb '[.id, .stats.member_count, .stats.unsubscribe_count, .stats.cleaned_count] | @tsv')" \
	"$LIST	1	1	1" "list object"
expect 404 "an unknown list" GET lists/nope
problem 404 "Resource Not Found" "unknown list"
expect 404 "an unknown list's members" GET lists/nope/members
expect 404 "an unknown route" GET "lists/$LIST/donkeys"
problem 404 "Resource Not Found" "unknown route"

# ---- merge fields ----
expect 200 "merge fields" GET "lists/$LIST/merge-fields?count=1000"
assert_eq "$(jb '[.merge_fields[] | "\(.tag):\(.type)"] | join(" ")')" \
	"FNAME:text LNAME:text ADDRESS:address PHONE:phone" "seeded merge fields"
assert_eq "$(jb '[.list_id, .total_items] | @tsv')" "$LIST	4" "merge field envelope"
assert_eq "$(jb '.merge_fields[0] | keys | map(select(IN("merge_id","tag","name","type","required","default_value","public","display_order","options"))) | length')" \
	9 "merge field shape"
expect 200 "create TOTALAMT" POST "lists/$LIST/merge-fields" '{"tag":"TOTALAMT","name":"Lifetime total","type":"number"}'
assert_eq "$(jb '[.tag, .type, .merge_id] | @tsv')" "TOTALAMT	number	5" "created field"
expect 200 "create LASTGIFT" POST "lists/$LIST/merge-fields" '{"tag":"LASTGIFT","name":"Last gift","type":"date"}'
expect 400 "a duplicate tag" POST "lists/$LIST/merge-fields" '{"tag":"TOTALAMT","name":"Again","type":"number"}'
problem 400 "Invalid Resource" "duplicate tag"
expect 400 "a tag over 10 characters" POST "lists/$LIST/merge-fields" '{"tag":"LIFETIMETOTAL","name":"x","type":"number"}'
problem 400 "Invalid Resource" "long tag"
expect 400 "an unknown type" POST "lists/$LIST/merge-fields" '{"tag":"MONEY","name":"x","type":"money"}'
problem 400 "Invalid Resource" "unknown type"
expect 200 "merge fields again" GET "lists/$LIST/merge-fields?count=1000"
assert_eq "$(jb .total_items)" 6 "two fields added, three refused"

# ---- PUT: create, update, the conservative upsert ----
NEW=new@example.com
expect 200 "PUT creates" PUT "lists/$LIST/members/$(hash "$NEW")" \
	'{"email_address":" New@Example.com ","status_if_new":"subscribed","merge_fields":{"FNAME":"Ann","TOTALAMT":12.5,"NOTAFIELD":"x"}}'
assert_eq "$(jb '[.id, .status, .merge_fields.FNAME, .merge_fields.TOTALAMT, .list_id] | @tsv')" \
	"$(hash "$NEW")	subscribed	Ann	12.5	$LIST" "created member"
assert_eq "$(jb '.merge_fields | has("NOTAFIELD")')" false "unknown merge tags are ignored"
[[ $(jb .unique_email_id) =~ ^[0-9a-f]{10}$ && -n $(jb .last_changed) ]] || fail "member ids and times"
expect 200 "PUT updates" PUT "lists/$LIST/members/$(hash "$NEW")" \
	'{"email_address":"new@example.com","status_if_new":"pending","merge_fields":{"LNAME":"Lee","TOTALAMT":"20.25"}}'
assert_eq "$(jb '[.status, .merge_fields.FNAME, .merge_fields.LNAME, .merge_fields.TOTALAMT] | @tsv')" \
	"subscribed	Ann	Lee	20.25" "status_if_new leaves an existing status; merge fields merge"
expect 200 "GET the member" GET "lists/$LIST/members/$(hash "$NEW")"
assert_eq "$(jb .email_address)" "New@Example.com" "the email is stored trimmed, case kept"
expect 404 "GET an unknown member" GET "lists/$LIST/members/$(hash nobody@example.com)"
problem 404 "Resource Not Found" "unknown member"
expect 404 "PATCH an unknown member" PATCH "lists/$LIST/members/$(hash nobody@example.com)" '{"merge_fields":{}}'

U=unsubscribed@example.org
expect 200 "PUT without status on an unsubscribed member" PUT "lists/$LIST/members/$(hash $U)" \
	"{\"email_address\":\"$U\",\"status_if_new\":\"subscribed\",\"merge_fields\":{\"FNAME\":\"Una\"}}"
assert_eq "$(jb '[.status, .merge_fields.FNAME] | @tsv')" "unsubscribed	Una" "unsubscribed stays unsubscribed"
for who in $U cleaned@example.org; do
	for st in subscribed pending; do
		expect 400 "status $st on $who" PUT "lists/$LIST/members/$(hash $who)" \
			"{\"email_address\":\"$who\",\"status\":\"$st\"}"
		problem 400 "Member In Compliance State" "status $st on $who"
	done
done
assert_eq "$(member $U | jq -r .status)" unsubscribed "the refused PUT changed nothing"
FLIP=flip@example.com
expect 200 "create flip" PUT "lists/$LIST/members/$(hash $FLIP)" "{\"email_address\":\"$FLIP\",\"status_if_new\":\"subscribed\"}"
expect 200 "status changes when sent" PUT "lists/$LIST/members/$(hash $FLIP)" "{\"email_address\":\"$FLIP\",\"status\":\"unsubscribed\"}"
assert_eq "$(jb .status)" unsubscribed "explicit status applied"
expect 400 "and cannot come back" PUT "lists/$LIST/members/$(hash $FLIP)" "{\"email_address\":\"$FLIP\",\"status\":\"subscribed\"}"
problem 400 "Member In Compliance State" "re-subscribe after unsubscribe"
A=archived@example.org
expect 200 "PUT on an archived member" PUT "lists/$LIST/members/$(hash $A)" "{\"email_address\":\"$A\",\"status_if_new\":\"subscribed\"}"
assert_eq "$(jb .status)" subscribed "re-adding an archived contact unarchives it with status_if_new"

F=forgotten@example.org
expect 400 "a forgotten email" PUT "lists/$LIST/members/$(hash $F)" "{\"email_address\":\"$F\",\"status_if_new\":\"subscribed\"}"
problem 400 "Forgotten Email Not Subscribed" "forgotten"
expect 404 "the forgotten email was not added" GET "lists/$LIST/members/$(hash $F)"
for e in fake@example.com test@example.org someone@example.invalid someone@mail.test not-an-email a@b@example.com; do
	expect 400 "fake email $e" PUT "lists/$LIST/members/$(hash "$e")" \
		"{\"email_address\":\"$e\",\"status_if_new\":\"subscribed\"}"
	problem 400 "Invalid Resource" "fake email $e"
	assert_eq "$(jb .detail)" "$e looks fake or invalid, please enter a real email address." "fake detail"
done
expect 400 "a hash that does not match the email" PUT "lists/$LIST/members/$(hash other@example.com)" \
	'{"email_address":"mismatch@example.com","status_if_new":"subscribed"}'
problem 400 "Invalid Resource" "hash mismatch"
expect 400 "a new member without status_if_new" PUT "lists/$LIST/members/$(hash nostatus@example.com)" \
	'{"email_address":"nostatus@example.com"}'
expect 400 "no email_address" PUT "lists/$LIST/members/$(hash "$NEW")" '{"status_if_new":"subscribed"}'
expect 400 "malformed JSON" PUT "lists/$LIST/members/$(hash "$NEW")" '{"email_address":'
problem 400 "JSON Parse Exception" "malformed JSON"

expect 400 "a number field given text" PUT "lists/$LIST/members/$(hash "$NEW")" \
	'{"email_address":"new@example.com","merge_fields":{"TOTALAMT":"lots"}}'
problem 400 "Invalid Resource" "number validation"
assert_eq "$(jb '.errors[0] | [.field, .message] | @tsv')" "TOTALAMT	Please enter a number" "number error"
for d in 2024-13-01 2023-02-29 01/02/2024 20240101; do
	expect 400 "date $d" PUT "lists/$LIST/members/$(hash "$NEW")" \
		"{\"email_address\":\"new@example.com\",\"merge_fields\":{\"LASTGIFT\":\"$d\"}}"
	assert_eq "$(jb '.errors[0].field')" LASTGIFT "date error field for $d"
done
expect 200 "a valid date" PUT "lists/$LIST/members/$(hash "$NEW")" \
	'{"email_address":"new@example.com","merge_fields":{"LASTGIFT":"2024-02-29"}}'
assert_eq "$(jb .merge_fields.LASTGIFT)" 2024-02-29 "date stored"
expect 200 "an empty date clears it" PUT "lists/$LIST/members/$(hash "$NEW")" \
	'{"email_address":"new@example.com","merge_fields":{"LASTGIFT":""}}'
assert_eq "$(jb .merge_fields.LASTGIFT)" "" "date cleared"
assert_eq "$(member New@Example.com | jq -r .merge_fields.TOTALAMT)" 20.25 "failed PUTs changed nothing"

# ---- listing members ----
expect 200 "members" GET "lists/$LIST/members"
assert_eq "$(jb '[.list_id, .total_items, (.members | length)] | @tsv')" "$LIST	6	6" "members envelope"
expect 200 "members page" GET "lists/$LIST/members?count=2&offset=1"
assert_eq "$(jb '[.total_items, (.members | map(.email_address) | join(","))] | @tsv')" \
	"6	cleaned@example.org,archived@example.org" "count and offset"
expect 200 "members by status" GET "lists/$LIST/members?status=unsubscribed&count=1000"
assert_eq "$(jb '[.members[].email_address] | join(",")')" "$U,$FLIP" "status filter"
expect 200 "sparse fields" GET "lists/$LIST/members?count=1&fields=members.email_address,total_items"
assert_eq "$(jq -c . "$TEST_TMP/body")" '{"members":[{"email_address":"unsubscribed@example.org"}],"total_items":6}' "fields="
expect 200 "excluded fields" GET "lists/$LIST/members/$(hash "$NEW")?exclude_fields=merge_fields,tags"
assert_eq "$(jb '[has("merge_fields"), has("tags"), has("status")] | @tsv')" "false	false	true" "exclude_fields="
expect 400 "count over 1000" GET "lists/$LIST/members?count=1001"
expect 400 "an unknown status" GET "lists/$LIST/members?status=happy"

# ---- tags ----
assert_eq "$(member foreign@example.org | jq -c .tags)" '["VIP","Classy-Old Tag"]' "seeded foreign tags"
expect 204 "tags added" POST "lists/$LIST/members/$(hash "$NEW")/tags" \
	'{"tags":[{"name":"Classy-Major Donor","status":"active"},{"name":"Classy-Lapsed","status":"active"}],"is_syncing":true}'
[[ ! -s $TEST_TMP/body ]] || fail "204 with a body: $(cat "$TEST_TMP/body")"
expect 204 "a tag removed" POST "lists/$LIST/members/$(hash "$NEW")/tags" \
	'{"tags":[{"name":"Classy-Lapsed","status":"inactive"},{"name":"Classy-Never","status":"inactive"}],"is_syncing":true}'
assert_eq "$(member New@Example.com | jq -c .tags)" '["Classy-Major Donor"]' "tags after add and remove"
expect 200 "tags in the member" GET "lists/$LIST/members/$(hash "$NEW")"
assert_eq "$(jb '[.tags_count, .tags[0].name, (.tags[0].id | type)] | @tsv')" "1	Classy-Major Donor	number" "member tags"
expect 404 "tags on an unknown member" POST "lists/$LIST/members/$(hash nobody@example.com)/tags" \
	'{"tags":[{"name":"Classy-X","status":"active"}],"is_syncing":true}'
problem 404 "Resource Not Found" "tags on an unknown member"
expect 400 "a bad tag status" POST "lists/$LIST/members/$(hash "$NEW")/tags" \
	'{"tags":[{"name":"Classy-X","status":"on"}],"is_syncing":true}'

# ---- batch subscribe ----
# members carry the documented `status` (Add_List_Members); status_if_new is not in that schema,
# so it is ignored like any unknown property and a new member without `status` is refused
BODY=$(jq -nc '{update_existing: false, members: [
	{email_address: "new@example.com", status: "unsubscribed"},
	{email_address: "forgotten@example.org", status: "subscribed"},
	{email_address: "fake@example.com", status: "subscribed"},
	{email_address: "badnum@example.com", status: "subscribed", merge_fields: {TOTALAMT: "many"}},
	{email_address: "nostatus@example.com"},
	{email_address: "bs1@example.com", status: "subscribed", merge_fields: {FNAME: "Bea"}},
	{email_address: "bs2@example.com", status: "pending"},
	{email_address: "sin@example.com", status_if_new: "subscribed"}]}')
expect 200 "batch subscribe" POST "lists/$LIST" "$BODY"
assert_eq "$(jb '[.total_created, .total_updated, .error_count] | @tsv')" "2	0	6" "batch subscribe totals"
assert_eq "$(jb '[.new_members[] | "\(.email_address):\(.status)"] | join(" ")')" \
	"bs1@example.com:subscribed bs2@example.com:pending" "new members"
assert_eq "$(jb '.errors[0] | [.email_address, .error_code, .field, .field_message, .error] | @tsv')" \
	"new@example.com	ERROR_CONTACT_EXISTS	email_address		new@example.com is already a list member. Use PUT to insert or update list members." \
	"ERROR_CONTACT_EXISTS entry"
assert_eq "$(jb '.errors[1] | [.error_code, .error] | @tsv')" \
	"ERROR_GENERIC	forgotten@example.org was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list." \
	"forgotten entry"
assert_eq "$(jb '.errors[2] | [.error_code, .error] | @tsv')" \
	"ERROR_GENERIC	fake@example.com looks fake or invalid, please enter a real email address." "fake entry"
assert_eq "$(jb '.errors[3] | [.error_code, .field, .field_message] | @tsv')" \
	"ERROR_GENERIC	TOTALAMT	Please enter a number" "merge field entry"
assert_eq "$(jb '.errors[4] | [.email_address, .error] | @tsv')" "nostatus@example.com	status is required" "no status"
assert_eq "$(jb '.errors[5] | [.email_address, .error] | @tsv')" "sin@example.com	status is required" \
	"status_if_new is not a batch-subscribe field"
expect 200 "the existing member" GET "lists/$LIST/members/$(hash "$NEW")"
assert_eq "$(jb .status)" subscribed "update_existing false: an existing member keeps its status"
expect 200 "update_existing overwrites status" POST "lists/$LIST" \
	'{"update_existing":true,"members":[{"email_address":"bs1@example.com","status":"unsubscribed"}]}'
assert_eq "$(jb '[.total_updated, .updated_members[0].status, .updated_members[0].merge_fields.FNAME] | @tsv')" \
	"1	unsubscribed	Bea" "updated member"
BIG=$(jq -nc '{members: [range(501) | {email_address: "m\(.)@example.com", status: "subscribed"}]}')
expect 400 "501 members" POST "lists/$LIST" "$BIG"
problem 400 "Invalid Resource" "501 members"
assert_eq "$(member m0@example.com)" "" "a refused batch adds nobody"

# ---- deletes are refused and counted ----
D0=$(stat .deletes)
expect 405 "DELETE a member" DELETE "lists/$LIST/members/$(hash "$NEW")"
problem 405 "Method Not Allowed" "DELETE"
expect 405 "delete-permanent" POST "lists/$LIST/members/$(hash "$NEW")/actions/delete-permanent"
assert_eq "$(stat .deletes)" $((D0 + 2)) "deletes counted"
expect 200 "the member is still there" GET "lists/$LIST/members/$(hash "$NEW")"

# ---- /batches ----
B1=batch1@example.com
OPS=$(jq -nc --arg list "$LIST" --arg h1 "$(hash $B1)" --arg hf "$(hash $F)" '{operations: ([
	{method: "GET", path: "/ping", operation_id: "op-ping"},
	{method: "PUT", path: "/3.0/lists/\($list)/members/\($h1)", operation_id: "op-put",
	 body: ({email_address: "batch1@example.com", status_if_new: "subscribed", merge_fields: {FNAME: "Bo", TOTALAMT: 5}} | tojson)},
	{method: "PUT", path: "3.0/lists/\($list)/members/\($hf)", operation_id: "op-forgotten",
	 body: ({email_address: "forgotten@example.org", status_if_new: "subscribed"} | tojson)},
	{method: "POST", path: "lists/\($list)/members/\($h1)/tags", operation_id: "op-tags",
	 body: ({tags: [{name: "Classy-Batch", status: "active"}], is_syncing: true} | tojson)},
	{method: "GET", path: "/lists/\($list)/members", params: {count: 1, fields: "members.email_address"}, operation_id: "op-list"},
	{method: "GET", path: "/lists/\($list)/members/\($h1)?fields=status", operation_id: "op-get"}
	] + [range(100) | {method: "GET", path: "/ping", operation_id: "ping-\(.)"}])}')
expect 200 "submit a batch" POST batches "$OPS"
assert_eq "$(jb '[.status, .total_operations, .finished_operations, .errored_operations, .response_body_url] | @tsv')" \
	"pending	106	0	0	" "submitted batch"
BID=$(jb .id)
for ((i = 0; i < 100; i++)); do
	expect 200 "poll the batch" GET "batches/$BID"
	[[ $(jb .status) == finished ]] && break
	sleep 0.05
done
assert_eq "$(jb '[.status, .finished_operations, .errored_operations] | @tsv')" "finished	106	1" "finished batch"
[[ -n $(jb .completed_at) ]] || fail "no completed_at"
URL=$(jb .response_body_url)
assert_eq "$URL" "$SANDBOX_URL/__mc/batch-results/$BID.tar.gz" "response_body_url"
expect 404 "an unknown batch" GET batches/nope
problem 404 "Resource Not Found" "unknown batch"
expect 400 "an operation without a method" POST batches '{"operations":[{"path":"/ping"}]}'
problem 400 "Invalid Resource" "operation without a method"

mkdir "$TEST_TMP/results"
curl -sS --fail -o "$TEST_TMP/results.tar.gz" "$URL"
tar xzf "$TEST_TMP/results.tar.gz" -C "$TEST_TMP/results"
find "$TEST_TMP/results" -type f -name '*.json' | sort >"$TEST_TMP/files"
[[ $(wc -l <"$TEST_TMP/files") -ge 2 ]] || fail "106 results in one file: $(cat "$TEST_TMP/files")"
xargs cat <"$TEST_TMP/files" | jq -s 'add' >"$TEST_TMP/results.json"
res() { jq -r --arg id "$1" ".[] | select(.operation_id == \$id) | $2" "$TEST_TMP/results.json"; }
assert_eq "$(jq length "$TEST_TMP/results.json")" 106 "one result per operation"
assert_eq "$(jq '[.[].operation_id] | unique | length' "$TEST_TMP/results.json")" 106 "operation ids kept"
assert_eq "$(res op-ping '[.status_code, (.response | fromjson | .health_status)] | @tsv')" \
	"200	Everything's Chimpy!" "op-ping"
assert_eq "$(res op-put '[.status_code, (.response | fromjson | .status, .merge_fields.FNAME)] | @tsv')" \
	"200	subscribed	Bo" "op-put"
assert_eq "$(res op-forgotten '[.status_code, (.response | fromjson | .title)] | @tsv')" \
	"400	Forgotten Email Not Subscribed" "op-forgotten"
assert_eq "$(res op-tags '[.status_code, .response] | @tsv')" "204	" "op-tags"
assert_eq "$(res op-list '.response | fromjson | .members | length')" 1 "op-list params"
assert_eq "$(res op-list '.response | fromjson | .members[0] | keys | join(",")')" email_address "op-list fields"
assert_eq "$(res op-get '.response')" '{"status":"subscribed"}' "op-get query string"
assert_eq "$(member $B1 | jq -c '[.status, .merge_fields.TOTALAMT, .tags]')" '["subscribed",5,["Classy-Batch"]]' \
	"the batch's writes landed"
assert_eq "$(stat .result_downloads_with_auth)" 0 "download without credentials"
curl -sS --fail -o /dev/null -u "anyone:$KEY" "$URL"
assert_eq "$(stat '[.result_downloads, .result_downloads_with_auth] | @tsv')" "2	1" "a download with credentials is counted"
assert_eq "$(stat '.batch_by_route["PUT members"], .batch_by_route["POST tags"]' | paste -sd' ')" "2 1" \
	"batch operations by route"

# ---- counters ----
admin POST reset-stats >/dev/null
S=stats@example.com
put $S "{\"email_address\":\"$S\",\"status_if_new\":\"subscribed\"}" >/dev/null
put $S "{\"email_address\":\"$S\",\"status\":\"subscribed\"}" >/dev/null
mc POST "lists/$LIST" '{"members":[{"email_address":"s1@example.com","status":"subscribed"},{"email_address":"s2@example.com","status_if_new":"subscribed"},{"email_address":"s3@example.com","status":"pending"},{"email_address":"stats@example.com","status":"unsubscribed"}]}' >/dev/null
mc POST "lists/$LIST/members/$(hash $S)/tags" '{"tags":[{"name":"Classy-T","status":"active"}]}' >/dev/null
mc GET ping >/dev/null
OPS=$(jq -nc --arg list "$LIST" --arg h "$(hash $S)" '{operations: [
	{method: "PUT", path: "/lists/\($list)/members/\($h)", operation_id: "a", body: ({email_address: "stats@example.com", status: "subscribed"} | tojson)},
	{method: "PATCH", path: "/lists/\($list)/members/\($h)", operation_id: "b", body: ({status: "subscribed"} | tojson)},
	{method: "POST", path: "/lists/\($list)/members/\($h)/tags", operation_id: "c", body: ({tags: [], is_syncing: false} | tojson)},
	{method: "DELETE", path: "/lists/\($list)/members/\($h)", operation_id: "d"},
	{method: "GET", path: "/ping", operation_id: "e"}]}')
expect 200 "a counted batch" POST batches "$OPS"
BID=$(jb .id)
for ((i = 0; i < 100; i++)); do
	expect 200 "poll" GET "batches/$BID"
	[[ $(jb .status) == finished ]] && break
	sleep 0.05
done
assert_eq "$(jb .status)" finished "counted batch finished"
admin GET stats >"$TEST_TMP/stats"
sj() { jq -r "$1" "$TEST_TMP/stats"; }
assert_eq "$(sj '[.requests, .writes, .batch_operations, .batch_writes] | @tsv')" "$((6 + i + 1))	5	5	4" \
	"requests, writes, batch operations"
assert_eq "$(sj '[.status_on_new, .status_on_existing, .status_on_existing_refused] | @tsv')" "2	3	1" \
	"status keys: 2 batch-subscribe members that were new; 1 PUT and the PUT and PATCH in /batches on an existing member; 1 batch-subscribe member that existed, refused"
assert_eq "$(sj .is_syncing_false)" 2 "tag calls without is_syncing: true"
assert_eq "$(sj .deletes)" 1 "a DELETE inside a batch counts"
assert_eq "$(sj '[.by_route["PUT members"], .by_route["POST batch-subscribe"], .by_route["POST tags"], .by_route["GET ping"], .by_route["POST batches"]] | @tsv')" \
	"2	1	1	1	1" "by_route"
assert_eq "$(sj '.batch_by_route["PATCH members"]')" 1 "batch_by_route"

# ---- seed and reset ----
admin POST seed -H 'Content-Type: application/json' --data-binary \
	'{"merge_fields":[{"tag":"DONCNT","name":"Gifts","type":"number"}],"members":[{"email_address":"seeded@example.org","status":"cleaned","merge_fields":{"DONCNT":3},"tags":["Other"]}],"forgotten":["gone@example.org"]}' >/dev/null
assert_eq "$(member seeded@example.org | jq -c '[.status, .merge_fields.DONCNT, .tags]')" '["cleaned",3,["Other"]]' "seeded member"
expect 400 "a seeded forgotten email" PUT "lists/$LIST/members/$(hash gone@example.org)" \
	'{"email_address":"gone@example.org","status_if_new":"subscribed"}'
problem 400 "Forgotten Email Not Subscribed" "seeded forgotten"
c=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary '{"members":[{"status":"subscribed"}]}' \
	"$SANDBOX_URL/__sandbox/mc/seed")
assert_eq "$c" 400 "a seeded member without email"
admin POST reset >/dev/null
assert_eq "$(admin GET members | jq -c '[[.members[] | "\(.email_address):\(.status)"], .forgotten]')" \
	'[["unsubscribed@example.org:unsubscribed","cleaned@example.org:cleaned","archived@example.org:archived","foreign@example.org:subscribed"],["forgotten@example.org"]]' \
	"reset restores the initial audience"
expect 200 "fields after reset" GET "lists/$LIST/merge-fields"
assert_eq "$(jb .total_items)" 4 "reset restores the merge fields"

# ---- fault knobs ----
assert_eq "$(admin GET knobs | jq -c .)" '{"latency_ms":0,"max_connections":10,"fail_writes":0,"fail_rate":0,"throttle_rate":0}' "default knobs"
admin POST "knobs?fail_rate=1" >/dev/null
expect 500 "fail_rate 1" GET ping
problem 500 "Internal Server Error" "injected 500"
admin POST "knobs?fail_rate=0&throttle_rate=1" >/dev/null
expect 429 "throttle_rate 1" GET ping
problem 429 "Too Many Requests" "injected 429"
[[ -z $(header Retry-After) ]] || fail "a 429 with Retry-After"
admin POST "knobs?throttle_rate=0" >/dev/null
expect 200 "faults off" GET ping
c=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$SANDBOX_URL/__sandbox/mc/knobs?fail_rate=2")
assert_eq "$c" 400 "a rate over 1"
sandbox_stop

# ---- flags, determinism, the connection limit ----
sandbox_start "${SMALL[@]}" --mc-latency-ms 300 --mc-api-key other-key-us2 --mc-list abc123
MC=$SANDBOX_URL/3.0
KEY=other-key-us2
admin POST "knobs?latency_ms=0" >/dev/null
assert_eq "$(fault_sequence)" "$SEQ1" "the same seed injects the same faults"
assert_eq "$(MC_KEY=sandbox-key-us1 mc GET ping)" 401 "--mc-api-key replaces the default key"
expect 200 "--mc-list" GET lists/abc123
expect 404 "the default list is gone" GET "lists/$LIST"
admin POST "knobs?latency_ms=300" >/dev/null
admin POST reset-stats >/dev/null
pids=()
for i in $(seq 1 12); do
	curl -sS -o "$TEST_TMP/c$i.body" -D "$TEST_TMP/c$i.hdr" -w '%{http_code}' -u "u:$KEY" \
		"$MC/ping" >"$TEST_TMP/c$i.code" &
	pids+=($!)
done
wait "${pids[@]}"
ok=0 busy=0
for i in $(seq 1 12); do
	case $(cat "$TEST_TMP/c$i.code") in
	200) ok=$((ok + 1)) ;;
	429)
		busy=$((busy + 1))
		! grep -qi '^retry-after:' "$TEST_TMP/c$i.hdr" || fail "the connection limit sent Retry-After"
		assert_eq "$(jq -r .title "$TEST_TMP/c$i.body")" "Too Many Requests" "429 title"
		;;
	*) fail "concurrent request $i answered $(cat "$TEST_TMP/c$i.code")" ;;
	esac
done
((busy >= 1)) || fail "12 concurrent requests and no 429 ($ok answered 200)"
admin GET stats >"$TEST_TMP/stats"
max=$(sj .max_in_flight)
((max >= 1 && max <= 10)) || fail "max_in_flight $max"
assert_eq "$(sj .throttled_429)" "$busy" "429s counted"
assert_eq "$(sj .in_flight)" 0 "nothing left in flight"
sandbox_stop
echo "ok"
