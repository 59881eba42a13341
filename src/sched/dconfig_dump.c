/* The read side of the key table: the effective config as JSON (for
 * `daemon status`) and the key reference (for docs and help). Both walk the
 * same rows the parser does, so they cannot drift from it.
 *
 * Never writes anywhere but the FILE * the caller hands in. */
#include "sched/dconfig.h"

#include "sched/dconfig_int.h"

#include <stdio.h>
#include <string.h>


void cs_dconfig_hhmm(long minute, char *buf)
{
	if (minute < 0 || minute >= 24 * 60)
		buf[0] = '\0';
	else
		snprintf(buf, 8, "%02ld:%02ld", minute / 60, minute % 60);
}

/* The object that holds the last segment of a dotted path, created on the
 * way down; *leaf points at that segment. */
static cJSON *section_of(cJSON *root, const char *path, const char **leaf)
{
	cJSON *obj = root;
	const char *dot;
	while (obj && (dot = strchr(path, '.'))) {
		char seg[64];
		snprintf(seg, sizeof(seg), "%.*s", (int)(dot - path), path);
		cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, seg);
		if (!next)
			next = cJSON_AddObjectToObject(obj, seg);
		obj = next;
		path = dot + 1;
	}
	*leaf = path;
	return obj;
}

static int add_value(cJSON *root, const cs_dconfig_key *k, long v)
{
	const char *leaf;
	cJSON *obj = section_of(root, k->path, &leaf);
	char hhmm[8];
	cJSON *item = NULL;
	if (!obj)
		return -1;
	switch (k->type) {
	case DK_BOOL:
		item = cJSON_AddBoolToObject(obj, leaf, v != 0);
		break;
	case DK_HHMM:
		cs_dconfig_hhmm(v, hhmm);
		item = cJSON_AddStringToObject(obj, leaf, hhmm);
		break;
	default:
		item = cJSON_AddNumberToObject(obj, leaf, (double)v);
		break;
	}
	return item ? 0 : -1;
}

/* An org's effective value of an org-level key: its own, else the global
 * one, else (org-only keys such as enabled) the row's default. */
static long org_value(const cs_dconfig *cfg, const cs_dconfig_org *o, const cs_dconfig_key *k)
{
	long v = *cs_dconfig_field((void *)o, k->org_off);
	if (v != CS_DCONFIG_INHERIT)
		return v;
	return (k->flags & DK_TOP) ? *cs_dconfig_field((void *)cfg, k->off) : k->def;
}

static int add_orgs(cJSON *root, const cs_dconfig *cfg)
{
	cJSON *orgs = cJSON_AddObjectToObject(root, "organizations");
	if (!orgs)
		return -1;
	for (size_t i = 0; i < cfg->norgs; i++) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", cfg->orgs[i].org_id);
		cJSON *o = cJSON_AddObjectToObject(orgs, id);
		if (!o)
			return -1;
		for (size_t r = 0; r < cs_dconfig_ntable; r++)
			if ((cs_dconfig_table[r].flags & DK_ORG) &&
			    add_value(o, &cs_dconfig_table[r],
				      org_value(cfg, &cfg->orgs[i], &cs_dconfig_table[r])))
				return -1;
	}
	return 0;
}

cJSON *cs_dconfig_to_json(const cs_dconfig *cfg)
{
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	for (size_t i = 0; i < cs_dconfig_ntable; i++) {
		const cs_dconfig_key *k = &cs_dconfig_table[i];
		int rc = 0;
		if (k->type == DK_ORGS)
			rc = add_orgs(root, cfg);
		else if (k->flags & DK_TOP)
			rc = add_value(root, k, *cs_dconfig_field((void *)cfg, k->off));
		if (rc) {
			cJSON_Delete(root);
			return NULL;
		}
	}
	return root;
}

static const char *const type_names[] = {
	[DK_MS] = "milliseconds", [DK_INT] = "integer", [DK_BOOL] = "boolean",
	[DK_HHMM] = "\"HH:MM\" UTC", [DK_ORGS] = "object",
};

void cs_dconfig_visit_keys(cs_dconfig_key_fn fn, void *ctx)
{
	for (size_t i = 0; i < cs_dconfig_ntable; i++) {
		const cs_dconfig_key *k = &cs_dconfig_table[i];
		char def[32] = "", range[48] = "", hhmm[8];
		switch (k->type) {
		case DK_MS:
		case DK_INT:
			snprintf(def, sizeof(def), "%ld", k->def);
			snprintf(range, sizeof(range), "%ld..%ld", k->min, k->max);
			break;
		case DK_BOOL:
			snprintf(def, sizeof(def), "%s", k->def ? "true" : "false");
			break;
		case DK_HHMM:
			cs_dconfig_hhmm(k->def, hhmm);
			snprintf(def, sizeof(def), "\"%s\"", hhmm);
			snprintf(range, sizeof(range), "\"00:00\"..\"23:59\", \"\" = off");
			break;
		default:
			snprintf(def, sizeof(def), "{}");
			break;
		}
		cs_dconfig_keyinfo info = {
			.path = k->path,
			.type = type_names[k->type],
			.def = def,
			.range = range,
			.per_org = (k->flags & DK_ORG) != 0,
			.org_only = k->flags == DK_ORG,
			.help = k->help,
		};
		fn(&info, ctx);
	}
}

static void markdown_row(const cs_dconfig_keyinfo *k, void *ctx)
{
	FILE *out = ctx;
	fprintf(out, "| `%s%s` | %s | `%s` | %s | %s | %s |\n",
		k->org_only ? "organizations.<id>." : "", k->path, k->type, k->def,
		*k->range ? k->range : "", k->per_org ? "yes" : "", k->help);
}

void cs_dconfig_keys_markdown(FILE *out)
{
	fputs("| key | type | default | allowed | per org | meaning |\n", out);
	fputs("|---|---|---|---|---|---|\n", out);
	cs_dconfig_visit_keys(markdown_row, out);
}
