/* What Mailchimp already holds, read before any write:
 *  - the status scan: members that are unsubscribed, cleaned or archived,
 *    so the push skips them instead of touching them (only these statuses
 *    are read, so the cost follows the number of such members, not the
 *    size of the audience);
 *  - the full snapshot (--full): every member with its merge fields and
 *    managed tags, to diff against Mailchimp's own data.
 * It only reads: it must never write to Mailchimp. */
#include "plugin/mailchimp/mc_int.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000

static const char *const locked_statuses[] = {"unsubscribed", "cleaned", "archived"};

int mc_status_locked(const char *status)
{
	for (size_t i = 0; i < sizeof(locked_statuses) / sizeof(locked_statuses[0]); i++)
		if (status && !strcmp(status, locked_statuses[i]))
			return 1;
	return 0;
}

static mc_member *add_member(mc_members *m)
{
	mc_member *v = cs_buf_grow_array(m->v, &m->cap, m->n, sizeof(*v), 256);
	if (!v)
		return NULL;
	m->v = v;
	mc_member *r = &m->v[m->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Keeps only the tags the plugin manages, as a sorted array of names. */
static cJSON *managed_tags(const cJSON *tags, const char *prefix)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *t;
	cJSON_ArrayForEach(t, tags)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(t, "name"));
		if (mc_has_prefix(name, prefix))
			cJSON_AddItemToArray(out, cJSON_CreateString(name));
	}
	return out;
}

static int take_page(const cJSON *body, mc_members *m, const char *prefix, int full)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(body, "members"))
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(e, "id"));
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(e, "status"));
		if (!id || strlen(id) != 32 || !st)
			continue;
		mc_member *r = add_member(m);
		if (!r)
			return CS_ERR;
		memcpy(r->hash, id, 33);
		snprintf(r->status, sizeof(r->status), "%s", st);
		if (full) {
			r->merge = cJSON_Duplicate(cJSON_GetObjectItem(e, "merge_fields"), 1);
			r->tags = managed_tags(cJSON_GetObjectItem(e, "tags"), prefix);
		}
	}
	return 0;
}

/* Pages through one member listing (status may be NULL for all). */
static int scan(mc_client *c, const mc_config *cfg, const char *list, const char *status,
		int full, mc_members *m, cs_err *err)
{
	static const char full_fields[] = "members.id,members.status,members.merge_fields,"
					  "members.tags,total_items";
	static const char scan_fields[] = "members.id,members.status,total_items";
	for (long offset = 0;; offset += PAGE) {
		char path[512];
		snprintf(path, sizeof(path), "/lists/%s/members?count=%d&offset=%ld&fields=%s%s%s",
			 list, PAGE, offset, full ? full_fields : scan_fields, status ? "&status=" : "",
			 status ? status : "");
		mc_result res = {0};
		int rc = mc_request(c, "GET", path, NULL, &res, err);
		if (rc == 0 && (res.transient || res.status != 200))
			rc = cs_err_set(err, res.transient ? CS_ETRANSPORT : CS_EHTTP,
					"cannot read the members of mailchimp list '%s' (%ld %s%s%s); "
					"nothing was sent",
					list, res.status, res.title, res.detail[0] ? ": " : "", res.detail);
		long total = rc ? 0 : (long)cJSON_GetNumberValue(cJSON_GetObjectItem(res.body, "total_items"));
		int got = rc ? 0 : cJSON_GetArraySize(cJSON_GetObjectItem(res.body, "members"));
		if (rc == 0 && take_page(res.body, m, cfg->tag_prefix, full))
			rc = cs_err_set(err, CS_ERR, "out of memory reading mailchimp members");
		mc_result_release(&res);
		if (rc)
			return rc;
		if (got < PAGE || offset + got >= total)
			return 0;
	}
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const mc_member *)a)->hash, ((const mc_member *)b)->hash);
}

int mc_members_fetch(mc_client *c, const mc_config *cfg, const char *list, int full,
		     mc_members *out, cs_err *err)
{
	int rc = 0;
	if (full)
		rc = scan(c, cfg, list, NULL, 1, out, err);
	for (size_t i = 0; !full && rc == 0 && i < sizeof(locked_statuses) / sizeof(locked_statuses[0]); i++)
		rc = scan(c, cfg, list, locked_statuses[i], 0, out, err);
	if (rc == 0)
		qsort(out->v, out->n, sizeof(*out->v), cmp_member);
	out->sorted = 1;
	return rc;
}

const mc_member *mc_members_find(mc_members *m, const char *hash)
{
	mc_member key;
	if (!m->n)
		return NULL;
	snprintf(key.hash, sizeof(key.hash), "%s", hash);
	return bsearch(&key, m->v, m->n, sizeof(*m->v), cmp_member);
}

void mc_members_release(mc_members *m)
{
	for (size_t i = 0; i < m->n; i++) {
		cJSON_Delete(m->v[i].merge);
		cJSON_Delete(m->v[i].tags);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}
