/* /__sandbox/mc/ endpoints for tests (the counters are sb_mc_stats.c):
 * the audience as it stands, seeding, reset and the fault knobs. No auth,
 * no limits, never faulted; errors are the sandbox's {"error": ...}, not
 * Mailchimp's problem+json.
 *
 * Must never: bypass the store's rules for what a client could not do
 * either, except the one a test needs (a seeded member may have a
 * fake-looking email); or answer in problem+json. */
#include "mailchimp/sb_mc_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the audience ---- */

/* Every member, archived ones too, with only the merge values ever set
 * (so a test tells "never sent" from "cleared") and tags by name. */
void sb_mc_h_admin_members(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)rq;
	sb_mc_store *st = &m->store;
	cJSON *j = cJSON_CreateObject();
	pthread_mutex_lock(&st->lock);
	cJSON_AddStringToObject(j, "list_id", st->list_id);
	cJSON *arr = cJSON_AddArrayToObject(j, "members");
	for (size_t i = 0; i < st->nmembers; i++) {
		const sb_mc_member *mm = &st->members[i];
		cJSON *o = cJSON_CreateObject(), *tags;
		cJSON_AddStringToObject(o, "email_address", mm->email);
		cJSON_AddStringToObject(o, "id", mm->hash);
		cJSON_AddStringToObject(o, "status", sb_mc_status_names[mm->status]);
		cJSON_AddItemToObject(o, "merge_fields", cJSON_Duplicate(mm->merge, 1));
		tags = cJSON_AddArrayToObject(o, "tags");
		for (size_t t = 0; t < mm->ntags; t++)
			cJSON_AddItemToArray(tags, cJSON_CreateString(sb_mc_tag_name(st, mm->tags[t])));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON *fg = cJSON_AddArrayToObject(j, "forgotten");
	for (size_t i = 0; i < st->nforgotten; i++)
		cJSON_AddItemToArray(fg, cJSON_CreateString(st->forgotten[i]));
	pthread_mutex_unlock(&st->lock);
	sb_mc_resp_cjson(rs, j);
}

/* ---- seed and reset ---- */

static int seed_fields(sb_mc_store *st, const cJSON *fields, char *err, size_t errsz)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, fields) {
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "type"));
		int t = type ? sb_mc_ftype_find(type) : SB_MC_F_TEXT;
		char msg[200];
		if (t < 0)
			return snprintf(err, errsz, "unknown merge field type '%s'", type), -1;
		if (sb_mc_field_add(st, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "tag")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "name")), t,
				    msg, sizeof(msg)))
			return snprintf(err, errsz, "merge field refused: %s", msg), -1;
	}
	return 0;
}

/* A seeded member skips the fake-email rule (tests may want odd ones) but
 * not the merge value checks. An existing one is updated. */
static int seed_member(sb_mc_store *st, const cJSON *el, char *err, size_t errsz)
{
	const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(el, "email_address"));
	const char *sv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(el, "status"));
	const cJSON *merge = cJSON_GetObjectItemCaseSensitive(el, "merge_fields");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(el, "tags"), *t;
	int status = sv ? sb_mc_status_find(sv) : SB_MC_SUBSCRIBED;
	char hash[33], field[32], msg[128];
	if (!email || !strchr(email, '@'))
		return snprintf(err, errsz, "a seeded member needs an email_address"), -1;
	if (status < 0)
		return snprintf(err, errsz, "unknown status '%s' for '%s'", sv, email), -1;
	if (sb_mc_merge_check(st, merge, field, sizeof(field), msg, sizeof(msg)))
		return snprintf(err, errsz, "merge field '%s' of '%s': %s", field, email, msg), -1;
	sb_mc_email_hash(email, hash);
	sb_mc_member *mm = sb_mc_member_find(st, hash);
	if (!mm && !(mm = sb_mc_member_add(st, email, status)))
		return snprintf(err, errsz, "out of memory"), -1;
	mm->status = status;
	if (sb_mc_merge_apply(st, mm, merge))
		return snprintf(err, errsz, "out of memory"), -1;
	cJSON_ArrayForEach(t, tags)
		if (cJSON_IsString(t) && sb_mc_member_tag(st, mm, t->valuestring, 1))
			return snprintf(err, errsz, "out of memory"), -1;
	return 0;
}

/* Applies merge_fields, then members, then forgotten; stops at the first
 * error, keeping what came before it. */
void sb_mc_h_admin_seed(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	cJSON *b = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	const cJSON *el;
	char err[512] = "";
	sb_mc_store *st = &m->store;
	if (!cJSON_IsObject(b)) {
		cJSON_Delete(b);
		sb_resp_error(rs, 400, "the body must be a JSON object: {\"members\":[...], "
				       "\"forgotten\":[...], \"merge_fields\":[...]}");
		return;
	}
	pthread_mutex_lock(&st->lock);
	int rc = seed_fields(st, cJSON_GetObjectItemCaseSensitive(b, "merge_fields"), err,
			     sizeof(err));
	cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(b, "members"))
		if (!rc)
			rc = seed_member(st, el, err, sizeof(err));
	cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(b, "forgotten"))
		if (!rc && (!cJSON_IsString(el) || sb_mc_forgotten_add(st, el->valuestring)))
			rc = -1, snprintf(err, sizeof(err), "forgotten: give email strings");
	size_t members = st->nmembers, forgotten = st->nforgotten, fields = st->nfields;
	pthread_mutex_unlock(&st->lock);
	cJSON_Delete(b);
	if (rc) {
		sb_resp_error(rs, 400, "%s", err);
		return;
	}
	cs_buf_reset(&rs->body);
	cs_buf_printf(&rs->body, "{\"ok\":true,\"members\":%zu,\"forgotten\":%zu,"
				 "\"merge_fields\":%zu}", members, forgotten, fields);
}

/* The initial audience again; stats, knobs and batches are kept. */
void sb_mc_h_admin_reset(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)rq;
	pthread_mutex_lock(&m->store.lock);
	int rc = sb_mc_store_reset(&m->store);
	pthread_mutex_unlock(&m->store.lock);
	if (rc)
		sb_resp_error(rs, 500, "cannot reset the audience: out of memory");
	else
		sb_resp_json(rs, 200, "{\"ok\":true}");
}

/* ---- knobs ---- */

static const char *req_arg(void *rq, const char *key)
{
	return sb_mc_arg(rq, key);
}

/* Validated in this order. */
#define K(n, t, lo, hi) {#n, SB_OPT_##t, offsetof(sb_mc_knobs, n), lo, hi}
static const sb_opt knob_defs[] = {
	K(latency_ms, LONG, 0, 600000),
	K(max_connections, LONG, 1, 100000),
	K(fail_writes, LONG, 0, 1),
	K(fail_rate, RATE, 0, 0),
	K(throttle_rate, RATE, 0, 0),
};
#undef K

void sb_mc_h_admin_knobs(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	pthread_mutex_lock(&m->lock);
	sb_mc_knobs k = m->knobs;
	pthread_mutex_unlock(&m->lock);
	if (!strcmp(rq->method, "POST")) {
		/* Validate everything (into the copy) before changing anything. */
		if (sb_resp_opts(rs, knob_defs, SB_NOPTS(knob_defs), &k, req_arg, rq))
			return;
		pthread_mutex_lock(&m->lock);
		m->knobs = k;
		pthread_mutex_unlock(&m->lock);
	}
	cs_buf_reset(&rs->body);
	cs_buf_printf(&rs->body,
		      "{\"latency_ms\":%ld,\"max_connections\":%ld,\"fail_writes\":%ld,"
		      "\"fail_rate\":%g,\"throttle_rate\":%g}",
		      k.latency_ms, k.max_connections, k.fail_writes, k.fail_rate, k.throttle_rate);
}
