/* Contact -> Mailchimp payload: merge-field values formatted the way the API
 * takes them (numbers as JSON numbers, dates as YYYY-MM-DD, "" to clear),
 * the managed tags, and the field-level diff between two payloads. The
 * payload is canonical (fixed field order, sorted tags) so equal data
 * always hashes equal. Pure formatting: it must never make a request. */
#include "plugin/mailchimp/mc_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Segment tag columns of contact_segments; a NULL value means the contact
 * is in no segment of that kind (e.g. no successful gift yet). */
static const char *const segment_tag_cols[] = {"value_tag", "engagement_tag", "frequency_tag"};

/* Special tags: the tag applies when the flag column is 1. */
static const struct {
	const char *flag, *tag;
} special_tags[] = {
	{"is_monthly_recurring", "monthly_recurring_tag"},
	{"is_lifetime_1k", "lifetime_1k_tag"},
	{"is_lifetime_5k", "lifetime_5k_tag"},
	{"is_monthly_100", "monthly_100_tag"},
};

int mc_has_prefix(const char *tag, const char *prefix)
{
	return tag && !strncmp(tag, prefix, strlen(prefix));
}

static int is_date(const char *v)
{
	for (int i = 0; i < 10; i++) {
		int digit = i != 4 && i != 7;
		if (!v[i] || (digit ? !isdigit((unsigned char)v[i]) : v[i] != '-'))
			return 0;
	}
	return 1;
}

cJSON *mc_field_value(const mc_field *f, const char *v)
{
	switch (f->type) {
	case MC_F_NUMBER: {
		char *end = NULL;
		double d = v && *v ? strtod(v, &end) : 0;
		if (!v || !*v || *end)
			return cJSON_CreateString("");
		return cJSON_CreateNumber(d);
	}
	case MC_F_DATE: {
		char day[11] = "";
		if (v && is_date(v))
			memcpy(day, v, 10);
		return cJSON_CreateString(day);
	}
	case MC_F_YESNO:
		return cJSON_CreateString(cs_plugin_consent_true(v) ? "Yes" : "No");
	default:
		return cJSON_CreateString(v ? v : "");
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The managed tags of c, prefixed and sorted, as a JSON array. */
static cJSON *tags_of(const mc_config *cfg, const cs_contact *c)
{
	const char *names[8];
	int n = 0;
	for (size_t i = 0; i < sizeof(segment_tag_cols) / sizeof(segment_tag_cols[0]); i++) {
		const char *t = cs_plugin_contact_get(c, segment_tag_cols[i]);
		if (t && *t)
			names[n++] = t;
	}
	for (size_t i = 0; i < sizeof(special_tags) / sizeof(special_tags[0]); i++) {
		const char *flag = cs_plugin_contact_get(c, special_tags[i].flag);
		const char *t = cs_plugin_contact_get(c, special_tags[i].tag);
		if (flag && !strcmp(flag, "1") && t && *t)
			names[n++] = t;
	}
	char *full[8];
	for (int i = 0; i < n; i++) {
		size_t len = strlen(cfg->tag_prefix) + strlen(names[i]) + 1;
		full[i] = malloc(len);
		if (full[i])
			snprintf(full[i], len, "%s%s", cfg->tag_prefix, names[i]);
	}
	qsort(full, (size_t)n, sizeof(full[0]), cmp_str);
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		if (full[i] && (i == 0 || !full[i - 1] || strcmp(full[i], full[i - 1])))
			cJSON_AddItemToArray(arr, cJSON_CreateString(full[i]));
	}
	for (int i = 0; i < n; i++)
		free(full[i]);
	return arr;
}

char *mc_payload(const mc_config *cfg, const cs_contact *c)
{
	cJSON *root = cJSON_CreateObject();
	const char *email = cs_plugin_contact_get(c, "email_address");
	cJSON_AddStringToObject(root, "email", email ? email : "");
	cJSON *merge = cJSON_AddObjectToObject(root, "merge_fields");
	for (int i = 0; i < cfg->nfields; i++) {
		const mc_field *f = &cfg->fields[i];
		cJSON_AddItemToObject(merge, f->tag,
				      mc_field_value(f, cs_plugin_contact_get(c, f->column)));
	}
	cJSON_AddItemToObject(root, "tags", tags_of(cfg, c));
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

/* A value as display text: strings without quotes. */
static char *display(const cJSON *v)
{
	if (!v)
		return NULL;
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

int mc_merge_diff(const cJSON *old_merge, const cJSON *new_merge, cJSON *changes)
{
	int n = 0;
	const cJSON *nv;
	cJSON_ArrayForEach(nv, new_merge)
	{
		const cJSON *ov = old_merge ? cJSON_GetObjectItemCaseSensitive(old_merge, nv->string)
					    : NULL;
		char *to = display(nv), *from = display(ov);
		if (!from || !to || strcmp(from, to)) {
			n++;
			if (changes) {
				cJSON *ch = cJSON_CreateObject();
				cJSON_AddStringToObject(ch, "field", nv->string);
				if (from)
					cJSON_AddStringToObject(ch, "from", from);
				else
					cJSON_AddNullToObject(ch, "from");
				cJSON_AddStringToObject(ch, "to", to ? to : "");
				cJSON_AddItemToArray(changes, ch);
			}
		}
		cJSON_free(to);
		cJSON_free(from);
	}
	return n;
}

static int has_string(const cJSON *arr, const char *s)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e) && !strcmp(e->valuestring, s)) return 1;
	return 0;
}

int mc_tags_minus(const cJSON *a, const cJSON *b, cJSON *out)
{
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, a)
	{
		if (cJSON_IsString(e) && !has_string(b, e->valuestring)) {
			cJSON_AddItemToArray(out, cJSON_CreateString(e->valuestring));
			n++;
		}
	}
	return n;
}
