/* Pre-flight, before any write: the key works (GET /ping), the list exists
 * (GET /lists/{id}), and every mapped merge tag exists with a compatible
 * type. Mailchimp silently ignores unknown merge tags, so without this check
 * a typo would push nothing and report success. The only write it may
 * make is creating a missing merge field, only with --create-fields and
 * never on a dry run. */
#include "plugin/mailchimp/mc_int.h"

#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Mailchimp field types each of ours may land in, and the one we create. */
static const struct {
	const char *accepts[4];
	const char *create;
} compat[] = {
	[MC_F_TEXT] = {{"text", "dropdown", "radio", NULL}, "text"},
	[MC_F_NUMBER] = {{"number", NULL}, "number"},
	[MC_F_DATE] = {{"date", NULL}, "date"},
	[MC_F_YESNO] = {{"text", "dropdown", "radio", NULL}, "text"},
};

static int compatible(int ftype, const char *mc_type)
{
	for (int i = 0; compat[ftype].accepts[i]; i++)
		if (!strcmp(compat[ftype].accepts[i], mc_type))
			return 1;
	return 0;
}

/* A fail-fast GET: anything but 200 is an error naming what to check. */
static int get_ok(mc_client *c, const char *path, const char *what, const char *hint,
		  mc_result *res, cs_err *err)
{
	int rc = mc_request(c, "GET", path, NULL, res, err);
	if (rc)
		return rc;
	if (res->status == 200 && !res->transient)
		return 0;
	return cs_err_set(err, CS_ERR, "%s failed (%ld %s%s%s)%s%s", what, res->status,
			  res->title[0] ? res->title : "no answer", res->detail[0] ? ": " : "",
			  res->detail, hint ? "; " : "", hint ? hint : "");
}

static int create_field(mc_client *c, const char *list, const mc_field *f, cs_err *err)
{
	char path[256], name[64];
	snprintf(path, sizeof(path), "/lists/%s/merge-fields", list);
	/* a readable name from the column: "lifetime_donation_amount" ->
	 * "Lifetime donation amount" */
	snprintf(name, sizeof(name), "%s", f->column);
	for (char *p = name; *p; p++)
		*p = *p == '_' ? ' ' : *p;
	name[0] = (char)toupper((unsigned char)name[0]);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "tag", f->tag);
	cJSON_AddStringToObject(b, "name", name);
	cJSON_AddStringToObject(b, "type", compat[f->type].create);
	char *body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	mc_result res = {0};
	int rc = mc_request(c, "POST", path, body, &res, err);
	cJSON_free(body);
	if (rc == 0 && (res.transient || res.status != 200))
		rc = cs_err_set(err, CS_ERR, "cannot create merge field %s in mailchimp list '%s' (%ld %s%s%s)",
				f->tag, list, res.status, res.title, res.detail[0] ? ": " : "",
				res.detail);
	mc_result_release(&res);
	return rc;
}

/* Checks each mapped field against the list's; collects missing and
 * incompatible ones in two messages. */
static void check_fields(const mc_config *cfg, const cJSON *have, cs_buf *missing, cs_buf *bad,
			 int *is_missing)
{
	for (int i = 0; i < cfg->nfields; i++) {
		const mc_field *f = &cfg->fields[i];
		const cJSON *m, *found = NULL;
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(have, "merge_fields"))
		{
			const char *tag = cJSON_GetStringValue(cJSON_GetObjectItem(m, "tag"));
			if (tag && !strcmp(tag, f->tag))
				found = m;
		}
		is_missing[i] = !found;
		if (!found) {
			cs_buf_printf(missing, "%s%s (%s)", missing->len ? ", " : "", f->tag,
				      compat[f->type].create);
			continue;
		}
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(found, "type"));
		if (!type || !compatible(f->type, type))
			cs_buf_printf(bad, "%s%s is '%s' but %s needs %s", bad->len ? "; " : "", f->tag,
				      type ? type : "?", f->column, compat[f->type].accepts[0]);
	}
}

static int check_merge_fields(mc_client *c, const mc_config *cfg, const char *list, int create,
			      int dry, char *note, size_t notesz, cs_err *err)
{
	char path[256];
	mc_result res = {0};
	snprintf(path, sizeof(path), "/lists/%s/merge-fields?count=1000", list);
	int rc = get_ok(c, path, "reading the merge fields of the mailchimp list", NULL, &res, err);
	cs_buf missing = CS_BUF_INIT, bad = CS_BUF_INIT;
	int is_missing[MC_MAX_FIELDS] = {0};
	if (rc == 0)
		check_fields(cfg, res.body, &missing, &bad, is_missing);
	mc_result_release(&res);
	if (rc == 0 && bad.len)
		rc = cs_err_set(err, CS_ERR,
				"merge fields of mailchimp list '%s' have incompatible types: %s; change "
				"them in Mailchimp or map other tags with MAILCHIMP_MERGE_FIELDS",
				list, cs_buf_str(&bad));
	else if (rc == 0 && missing.len && !create)
		rc = cs_err_set(err, CS_ERR,
				"merge fields missing in mailchimp list '%s': %s; create them in "
				"Mailchimp, or run 'classy-sync mailchimp sync --create-fields' to let "
				"classy-sync create them",
				list, cs_buf_str(&missing));
	else if (rc == 0 && missing.len && dry)
		snprintf(note, notesz, "would create merge fields: %s", cs_buf_str(&missing));
	for (int i = 0; rc == 0 && missing.len && !dry && i < cfg->nfields; i++)
		if (is_missing[i])
			rc = create_field(c, list, &cfg->fields[i], err);
	if (rc == 0 && missing.len && !dry)
		snprintf(note, notesz, "created merge fields: %s", cs_buf_str(&missing));
	cs_buf_release(&missing);
	cs_buf_release(&bad);
	return rc;
}

int mc_preflight(mc_client *c, const mc_config *cfg, const char *list, int create, int dry,
		 char *note, size_t notesz, cs_err *err)
{
	char path[256];
	mc_result res = {0};
	note[0] = '\0';
	int rc = get_ok(c, "/ping", "mailchimp ping", "check MAILCHIMP_API_URL", &res, err);
	mc_result_release(&res);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/lists/%s", list);
	char what[160];
	snprintf(what, sizeof(what), "reading mailchimp list '%s'", list);
	rc = get_ok(c, path, what, "check MAILCHIMP_LIST_ID (and MAILCHIMP_ORG_LISTS)", &res, err);
	mc_result_release(&res);
	if (rc)
		return rc;
	return check_merge_fields(c, cfg, list, create, dry, note, notesz, err);
}
