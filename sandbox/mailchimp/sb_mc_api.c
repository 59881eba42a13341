/* Mailchimp API handlers: ping, the audience, merge fields, members, tags
 * and batch subscribe. They behave as the real service does where a client
 * can go wrong: compliance states, forgotten contacts, fake-looking
 * emails, merge values of the wrong type, status overwrites.
 *
 * Must never: be kinder than the real service (accept what it refuses), or
 * remove a contact: deletions are refused and counted. */
#include "mailchimp/sb_mc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BATCH_SUBSCRIBE_MAX 500

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

void sb_mc_h_ping(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)m;
	(void)rq;
	sb_resp_json(rs, 200, "{\"health_status\":\"Everything's Chimpy!\"}");
}

/* ---- the audience ---- */

static void add_strings(cJSON *o, const char *const *kv)
{
	for (; kv[0]; kv += 2)
		cJSON_AddStringToObject(o, kv[0], kv[1]);
}

void sb_mc_h_list(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	if (!sb_mc_list_ok(m, rq, rs))
		return;
	static const char *const contact[] = {
		"company", "Classy Sandbox", "address1", "1 Sandbox Way", "address2", "",
		"city", "San Diego", "state", "CA", "zip", "92101", "country", "US", "phone", "", NULL};
	static const char *const defaults[] = {
		"from_name", "Classy Sandbox", "from_email", "sandbox@example.org", "subject", "",
		"language", "en", NULL};
	sb_mc_store *st = &m->store;
	size_t n[SB_MC_NSTATUS] = {0}, fields;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->nmembers; i++)
		n[st->members[i].status]++;
	fields = st->nfields;
	pthread_mutex_unlock(&st->lock);

	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", st->list_id);
	cJSON_AddNumberToObject(j, "web_id", (double)(sb_hash(m->seed, 0x11, 0) % 1000000));
	cJSON_AddStringToObject(j, "name", "Classy Sandbox Audience");
	add_strings(cJSON_AddObjectToObject(j, "contact"), contact);
	cJSON_AddStringToObject(j, "permission_reminder", "You gave to a Classy campaign.");
	cJSON_AddBoolToObject(j, "use_archive_bar", 0);
	add_strings(cJSON_AddObjectToObject(j, "campaign_defaults"), defaults);
	cJSON_AddStringToObject(j, "date_created", "2024-01-01T00:00:00+00:00");
	cJSON_AddBoolToObject(j, "email_type_option", 0);
	cJSON_AddStringToObject(j, "visibility", "prv");
	cJSON_AddBoolToObject(j, "double_optin", 0);
	cJSON_AddBoolToObject(j, "marketing_permissions", 0);
	cJSON *s = cJSON_AddObjectToObject(j, "stats");
	cJSON_AddNumberToObject(s, "member_count", (double)n[SB_MC_SUBSCRIBED]);
	cJSON_AddNumberToObject(s, "total_contacts",
				(double)(n[SB_MC_SUBSCRIBED] + n[SB_MC_UNSUBSCRIBED] + n[SB_MC_CLEANED] +
					 n[SB_MC_PENDING] + n[SB_MC_TRANSACTIONAL]));
	cJSON_AddNumberToObject(s, "unsubscribe_count", (double)n[SB_MC_UNSUBSCRIBED]);
	cJSON_AddNumberToObject(s, "cleaned_count", (double)n[SB_MC_CLEANED]);
	cJSON_AddNumberToObject(s, "campaign_count", 0);
	cJSON_AddNumberToObject(s, "merge_field_count", (double)fields);
	sb_mc_resp_cjson(rs, j);
}

/* ?count= (default 10, at most 1000) and ?offset=; answers 400 when bad. */
static int paging(sb_mc_req *rq, sb_resp *rs, long *count, long *offset)
{
	static const char *const keys[] = {"count", "offset"};
	long *out[] = {count, offset}, max[] = {1000, 100000000};
	*count = 10;
	*offset = 0;
	for (int i = 0; i < 2; i++) {
		const char *v = sb_mc_arg(rq, keys[i]);
		char msg[96];
		if (v && sb_parse_long(v, 0, max[i], out[i])) {
			snprintf(msg, sizeof(msg), "Please use a whole number from 0 to %ld.", max[i]);
			sb_mc_invalid(rq, rs, keys[i], msg);
			return -1;
		}
	}
	return 0;
}

void sb_mc_h_fields(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	long count, offset;
	if (!sb_mc_list_ok(m, rq, rs) || paging(rq, rs, &count, &offset))
		return;
	sb_mc_store *st = &m->store;
	cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "merge_fields");
	pthread_mutex_lock(&st->lock);
	for (size_t i = (size_t)offset; i < st->nfields && i < (size_t)(offset + count); i++)
		cJSON_AddItemToArray(arr, sb_mc_field_json(st, &st->fields[i]));
	cJSON_AddStringToObject(j, "list_id", st->list_id);
	cJSON_AddNumberToObject(j, "total_items", (double)st->nfields);
	pthread_mutex_unlock(&st->lock);
	sb_mc_resp_cjson(rs, j);
}

void sb_mc_h_field_add(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	cJSON *b;
	if (!sb_mc_list_ok(m, rq, rs) || !(b = sb_mc_body_object(rq, rs)))
		return;
	const cJSON *tag = get(b, "tag"), *name = get(b, "name"), *type = get(b, "type");
	int t = sb_mc_ftype_find(cJSON_GetStringValue(type));
	char msg[256];
	sb_mc_store *st = &m->store;
	if (t < 0) {
		sb_mc_invalid(rq, rs, "type", "Value is not one of the allowed values: text, number, "
					   "address, phone, date, url, imageurl, radio, dropdown, "
					   "birthday, zip");
	} else if (tag && !cJSON_IsString(tag)) {
		sb_mc_invalid(rq, rs, "tag", "Schema describes string, another type found instead");
	} else {
		pthread_mutex_lock(&st->lock);
		if (sb_mc_field_add(st, cJSON_GetStringValue(tag), cJSON_GetStringValue(name), t, msg,
				    sizeof(msg)))
			sb_mc_problem(rq, rs, 400, "Invalid Resource", "%s", msg);
		else
			sb_mc_resp_cjson(rs, sb_mc_field_json(st, &st->fields[st->nfields - 1]));
		pthread_mutex_unlock(&st->lock);
	}
	cJSON_Delete(b);
}

/* ---- members ---- */

void sb_mc_h_members(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	long count, offset;
	if (!sb_mc_list_ok(m, rq, rs) || paging(rq, rs, &count, &offset))
		return;
	const char *sv = sb_mc_arg(rq, "status");
	int status = sv ? sb_mc_status_find(sv) : -1;
	if (sv && status < 0) {
		sb_mc_invalid(rq, rs, "status", "Value is not one of the allowed values: subscribed, "
					     "unsubscribed, cleaned, pending, transactional, archived");
		return;
	}
	sb_mc_store *st = &m->store;
	cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "members");
	long total = 0;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->nmembers; i++) {
		if (status >= 0 && st->members[i].status != status)
			continue;
		if (total >= offset && total < offset + count)
			cJSON_AddItemToArray(arr, sb_mc_member_json(st, &st->members[i]));
		total++;
	}
	cJSON_AddStringToObject(j, "list_id", st->list_id);
	pthread_mutex_unlock(&st->lock);
	cJSON_AddNumberToObject(j, "total_items", (double)total);
	sb_mc_resp_cjson(rs, j);
}

/* The URL names a member by hash, or (as Mailchimp also allows) by email. */
static void url_hash(const char *param, char out[33])
{
	if (strchr(param, '@'))
		sb_mc_email_hash(param, out);
	else
		snprintf(out, 33, "%s", param);
}

void sb_mc_h_member(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	if (!sb_mc_list_ok(m, rq, rs))
		return;
	char hash[33];
	url_hash(rq->params[1], hash);
	sb_mc_store *st = &m->store;
	pthread_mutex_lock(&st->lock);
	sb_mc_member *mm = sb_mc_member_find(st, hash);
	if (mm)
		sb_mc_resp_cjson(rs, sb_mc_member_json(st, mm));
	else
		sb_mc_not_found(rq, rs);
	pthread_mutex_unlock(&st->lock);
}

enum upsert_mode { UP_PUT, UP_PATCH, UP_POST };

/* A status value from a body: absent gives -2, invalid -1. Archived is
 * not a status a client may set. */
static int body_status(const cJSON *v)
{
	if (!v)
		return -2;
	int s = sb_mc_status_find(cJSON_GetStringValue(v));
	return s == SB_MC_ARCHIVED ? -1 : s;
}

static int blocked(int from, int to)
{
	return (to == SB_MC_SUBSCRIBED || to == SB_MC_PENDING) &&
	       (from == SB_MC_UNSUBSCRIBED || from == SB_MC_CLEANED);
}

static const char compliance_fmt[] =
	"%s is already a list member in compliance state due to unsubscribe, bounce, or "
	"compliance review.";
static const char forgotten_fmt[] =
	"%s was permanently deleted and cannot be re-imported. The contact must re-subscribe to "
	"get back on the list.";
static const char fake_fmt[] = "%s looks fake or invalid, please enter a real email address.";
static const char exists_fmt[] =
	"%s is already a list member. Use PUT to insert or update list members.";

/* An existing member: merge fields merged in, status changed only when the
 * body says so; an archived one is re-added with status_if_new, as
 * re-adding an archived contact unarchives it. */
static void update_member(sb_mc_store *st, sb_mc_member *mm, int status, int status_if_new,
			  const cJSON *merge, sb_mc_req *rq, sb_resp *rs)
{
	if (status < 0 && mm->status == SB_MC_ARCHIVED && status_if_new >= 0)
		status = status_if_new;
	if (status >= 0 && blocked(mm->status, status)) {
		sb_mc_problem(rq, rs, 400, "Member In Compliance State", compliance_fmt, mm->email);
		return;
	}
	if (status >= 0)
		mm->status = status;
	sb_mc_merge_apply(st, mm, merge);
	sb_mc_resp_cjson(rs, sb_mc_member_json(st, mm));
}

static void create_member(sb_mc_store *st, const char *email, int status, const cJSON *merge,
			  sb_mc_req *rq, sb_resp *rs)
{
	if (sb_mc_forgotten_has(st, email)) {
		sb_mc_problem(rq, rs, 400, "Forgotten Email Not Subscribed", forgotten_fmt, email);
	} else if (sb_mc_email_fake(email)) {
		sb_mc_problem(rq, rs, 400, "Invalid Resource", fake_fmt, email);
	} else if (status < 0) {
		sb_mc_invalid(rq, rs, "status_if_new", "This value should not be blank.");
	} else {
		sb_mc_member *mm = sb_mc_member_add(st, email, status);
		if (!mm || sb_mc_merge_apply(st, mm, merge))
			sb_mc_problem(rq, rs, 500, "Internal Server Error", "Out of memory.");
		else
			sb_mc_resp_cjson(rs, sb_mc_member_json(st, mm));
	}
}

static void upsert(sb_mc *m, sb_mc_req *rq, sb_resp *rs, int mode)
{
	cJSON *b;
	if (!sb_mc_list_ok(m, rq, rs) || !(b = sb_mc_body_object(rq, rs)))
		return;
	const char *email = cJSON_GetStringValue(get(b, "email_address"));
	int status = body_status(get(b, "status")), sin = body_status(get(b, "status_if_new"));
	const cJSON *merge = get(b, "merge_fields");
	char hash[33], ehash[33], field[32], msg[128];
	sb_mc_store *st = &m->store;
	if (mode == UP_POST) {
		sin = status; /* POST has no status_if_new: status is the one */
		status = -2;
	}
	if (email)
		sb_mc_email_hash(email, ehash);
	if (mode != UP_POST)
		url_hash(rq->params[1], hash);
	else if (email)
		memcpy(hash, ehash, sizeof(hash));
	pthread_mutex_lock(&st->lock);
	sb_mc_member *mm = email || mode != UP_POST ? sb_mc_member_find(st, hash) : NULL;
	if (get(b, "status")) /* POST refuses an existing member; PUT and PATCH apply it */
		sb_mc_count_status(m, mm != NULL, mode != UP_POST);
	if (!email && (mode != UP_PATCH || get(b, "email_address")))
		sb_mc_invalid(rq, rs, "email_address", "This value should not be blank.");
	else if (email && mode != UP_POST && strcasecmp(hash, ehash))
		sb_mc_problem(rq, rs, 400, "Invalid Resource",
			      "The subscriber hash in the URL does not match the email address %s.",
			      email);
	else if (status == -1 || sin == -1)
		sb_mc_invalid(rq, rs, status == -1 ? "status" : mode == UP_POST ? "status"
									: "status_if_new",
			   "Value is not one of the allowed values: subscribed, unsubscribed, "
			   "cleaned, pending, transactional");
	else if (sb_mc_merge_check(st, merge, field, sizeof(field), msg, sizeof(msg)))
		sb_mc_invalid(rq, rs, field, msg);
	else if (mm && mode == UP_POST)
		sb_mc_problem(rq, rs, 400, "Member Exists", exists_fmt, email);
	else if (mm)
		update_member(st, mm, status, sin, merge, rq, rs);
	else if (mode == UP_PATCH)
		sb_mc_not_found(rq, rs);
	else
		create_member(st, email, status >= 0 ? status : sin, merge, rq, rs);
	pthread_mutex_unlock(&st->lock);
	cJSON_Delete(b);
}

void sb_mc_h_member_put(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	upsert(m, rq, rs, UP_PUT);
}

void sb_mc_h_member_patch(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	upsert(m, rq, rs, UP_PATCH);
}

void sb_mc_h_member_post(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	upsert(m, rq, rs, UP_POST);
}

/* Archiving and permanent deletion both exist on the real API; the
 * sandbox refuses them (after counting them) because a correct client
 * never removes a contact it did not create. */
void sb_mc_h_refuse_delete(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)m;
	sb_mc_problem(rq, rs, 405, "Method Not Allowed",
		      "classy-sandbox refuses to archive or delete contacts; this call was counted in "
		      "/__sandbox/mc/stats deletes.");
}

/* ---- tags ---- */

/* Every tag must be {name: 1..100 chars, status: active|inactive}. */
static int tags_valid(const cJSON *tags, char *field, size_t fieldsz)
{
	const cJSON *t;
	int i = 0;
	cJSON_ArrayForEach(t, tags) {
		const char *name = cJSON_GetStringValue(get(t, "name"));
		const char *status = cJSON_GetStringValue(get(t, "status"));
		if (!name || !*name || strlen(name) > 100) {
			snprintf(field, fieldsz, "tags.%d.name", i);
			return 0;
		}
		if (!status || (strcmp(status, "active") && strcmp(status, "inactive"))) {
			snprintf(field, fieldsz, "tags.%d.status", i);
			return 0;
		}
		i++;
	}
	return 1;
}

void sb_mc_h_tags(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	/* Counted before any check: every tag write without is_syncing counts. */
	cJSON *b = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	sb_mc_count_tag_call(m, cJSON_IsTrue(get(b, "is_syncing")));
	cJSON_Delete(b);
	if (!sb_mc_list_ok(m, rq, rs) || !(b = sb_mc_body_object(rq, rs)))
		return;
	const cJSON *tags = get(b, "tags"), *t;
	char hash[33], field[32];
	url_hash(rq->params[1], hash);
	sb_mc_store *st = &m->store;
	pthread_mutex_lock(&st->lock);
	sb_mc_member *mm = sb_mc_member_find(st, hash);
	if (!cJSON_IsArray(tags)) {
		sb_mc_invalid(rq, rs, "tags", "Schema describes array, another type found instead");
	} else if (!tags_valid(tags, field, sizeof(field))) {
		sb_mc_invalid(rq, rs, field, "A tag needs a name of 1 to 100 characters and a status "
					  "of active or inactive.");
	} else if (!mm) {
		sb_mc_not_found(rq, rs);
	} else {
		cJSON_ArrayForEach(t, tags)
			sb_mc_member_tag(st, mm, cJSON_GetStringValue(get(t, "name")),
					 !strcmp(cJSON_GetStringValue(get(t, "status")), "active"));
		mm->changed = time(NULL);
		rs->status = 204;
		cs_buf_reset(&rs->body);
	}
	pthread_mutex_unlock(&st->lock);
	cJSON_Delete(b);
}

/* ---- batch subscribe: POST /lists/{id} ---- */

static void add_error(cJSON *errors, const char *email, const char *code, const char *field,
		      const char *field_msg, const char *fmt)
{
	char msg[512];
	cJSON *e = cJSON_CreateObject();
	snprintf(msg, sizeof(msg), fmt, email);
	cJSON_AddStringToObject(e, "email_address", email);
	cJSON_AddStringToObject(e, "error", msg);
	cJSON_AddStringToObject(e, "error_code", code);
	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "field_message", field_msg);
	cJSON_AddItemToArray(errors, e);
}

/* members[].tags (names): replace the member's tags with sync_tags, else add. */
static void subscribe_tags(sb_mc_store *st, sb_mc_member *mm, const cJSON *tags, int sync)
{
	const cJSON *t;
	if (!cJSON_IsArray(tags))
		return;
	if (sync)
		sb_mc_member_clear_tags(mm);
	cJSON_ArrayForEach(t, tags)
		if (cJSON_IsString(t) && *t->valuestring)
			sb_mc_member_tag(st, mm, t->valuestring, 1);
}

typedef struct sub_out {
	sb_mc *m;
	cJSON *created, *updated, *errors;
	int update_existing, sync_tags;
} sub_out;

/* One element of members[], as the document has it (Add_List_Members):
 * `status` is the member's status, and there is no status_if_new (it
 * appears in one example of Mailchimp's reference, not in the schema), so
 * it is ignored like any unknown property. With update_existing false an
 * existing member is refused (ERROR_CONTACT_EXISTS) and keeps its status. */
static void subscribe_one(sb_mc_store *st, const cJSON *el, sub_out *o)
{
	const char *email = cJSON_GetStringValue(get(el, "email_address"));
	int status = body_status(get(el, "status"));
	const cJSON *merge = get(el, "merge_fields");
	char hash[33], field[32], msg[128];
	if (!email || !*email) {
		add_error(o->errors, email ? email : "", "ERROR_GENERIC", "email_address", "",
			  "email_address is required");
		return;
	}
	sb_mc_email_hash(email, hash);
	sb_mc_member *mm = sb_mc_member_find(st, hash);
	if (get(el, "status"))
		sb_mc_count_status(o->m, mm != NULL, o->update_existing);
	if (mm && !o->update_existing)
		add_error(o->errors, email, "ERROR_CONTACT_EXISTS", "email_address", "", exists_fmt);
	else if (!mm && sb_mc_forgotten_has(st, email))
		add_error(o->errors, email, "ERROR_GENERIC", "email_address", "", forgotten_fmt);
	else if (!mm && sb_mc_email_fake(email))
		add_error(o->errors, email, "ERROR_GENERIC", "email_address", "", fake_fmt);
	else if (status == -1)
		add_error(o->errors, email, "ERROR_GENERIC", "status", "", "Invalid status for %s");
	else if (!mm && status < 0)
		add_error(o->errors, email, "ERROR_GENERIC", "status", "", "status is required");
	else if (sb_mc_merge_check(st, merge, field, sizeof(field), msg, sizeof(msg)))
		add_error(o->errors, email, "ERROR_GENERIC", field, msg,
			  "Your merge fields were invalid.");
	else if (mm && status >= 0 && blocked(mm->status, status))
		add_error(o->errors, email, "ERROR_GENERIC", "status", "", compliance_fmt);
	else if (mm) {
		/* update_existing overwrites the status: why clients use it only for new contacts */
		if (status >= 0)
			mm->status = status;
		sb_mc_merge_apply(st, mm, merge);
		subscribe_tags(st, mm, get(el, "tags"), o->sync_tags);
		cJSON_AddItemToArray(o->updated, sb_mc_member_json(st, mm));
	} else if ((mm = sb_mc_member_add(st, email, status)) && !sb_mc_merge_apply(st, mm, merge)) {
		subscribe_tags(st, mm, get(el, "tags"), 0);
		cJSON_AddItemToArray(o->created, sb_mc_member_json(st, mm));
	} else {
		add_error(o->errors, email, "ERROR_GENERIC", "", "", "Out of memory adding %s");
	}
}

void sb_mc_h_batch_subscribe(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	cJSON *b;
	if (!sb_mc_list_ok(m, rq, rs) || !(b = sb_mc_body_object(rq, rs)))
		return;
	const cJSON *members = get(b, "members"), *el;
	int n = cJSON_GetArraySize(members);
	if (!cJSON_IsArray(members)) {
		sb_mc_invalid(rq, rs, "members", "Schema describes array, another type found instead");
	} else if (n > BATCH_SUBSCRIBE_MAX) {
		sb_mc_problem(rq, rs, 400, "Invalid Resource",
			      "You can add at most %d members in one call; this one has %d.",
			      BATCH_SUBSCRIBE_MAX, n);
	} else {
		cJSON *j = cJSON_CreateObject();
		sub_out o = {m, cJSON_AddArrayToObject(j, "new_members"),
			     cJSON_AddArrayToObject(j, "updated_members"),
			     cJSON_AddArrayToObject(j, "errors"),
			     cJSON_IsTrue(get(b, "update_existing")), cJSON_IsTrue(get(b, "sync_tags"))};
		sb_mc_store *st = &m->store;
		pthread_mutex_lock(&st->lock);
		cJSON_ArrayForEach(el, members)
			subscribe_one(st, el, &o);
		pthread_mutex_unlock(&st->lock);
		cJSON_AddNumberToObject(j, "total_created", cJSON_GetArraySize(o.created));
		cJSON_AddNumberToObject(j, "total_updated", cJSON_GetArraySize(o.updated));
		cJSON_AddNumberToObject(j, "error_count", cJSON_GetArraySize(o.errors));
		sb_mc_resp_cjson(rs, j);
	}
	cJSON_Delete(b);
}
