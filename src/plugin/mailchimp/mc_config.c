/* Mailchimp plugin configuration: the key table, per-org lists and the
 * merge-field mapping. Every bad value fails with a message naming the
 * variable; the API key must never appear in one. */
#include "plugin/mailchimp/mc_int.h"

#include "util/config.h"
#include "util/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plugin's keys, in the order `config show` lists them. mc_config_load
 * takes each default from here, so a default is written once. */
const cs_plugin_key mc_config_keys[] = {
	{"MAILCHIMP_API_KEY", 1, 1, NULL, "API key; its -dc suffix picks the data center"},
	{"MAILCHIMP_LIST_ID", 1, 0, NULL, "audience (list) id pushed to"},
	{"MAILCHIMP_API_URL", 0, 0, NULL, "API base URL (default https://DC.api.mailchimp.com/3.0)"},
	{"MAILCHIMP_ORG_LISTS", 0, 0, "", "per-org audiences: ORG_ID=LIST_ID,..."},
	{"MAILCHIMP_TAG_PREFIX", 0, 0, "Classy-", "prefix of the tags classy-sync manages"},
	{"MAILCHIMP_STATUS_IF_NEW", 0, 0, "subscribed", "status of new contacts: subscribed or pending"},
	{"MAILCHIMP_MERGE_FIELDS", 0, 0, "FNAME,LNAME,TOTALAMT,DONCNT,RECAMT,ACTIVESUB",
	 "merge fields sent: known tags, or TAG=column:type"},
	{"MAILCHIMP_CONCURRENCY", 0, 0, "5", "connections at once, 1 to 10"},
	{"MAILCHIMP_BATCH_MIN", 0, 0, "200", "updates at or above this count go through /batches"},
	{NULL, 0, 0, NULL, NULL},
};

/* The merge fields the plugin knows by tag; MAILCHIMP_MERGE_FIELDS picks
 * among them (or maps TAG=column:type for anything else). The optional ones
 * are off by default: DAYSLAST and ENGAGEMENT change with the calendar and
 * would update every contact every day. */
static const mc_field known_fields[] = {
	{"FNAME", "first_name", MC_F_TEXT},
	{"LNAME", "last_name", MC_F_TEXT},
	{"TOTALAMT", "lifetime_donation_amount", MC_F_NUMBER},
	{"DONCNT", "lifetime_donation_count", MC_F_NUMBER},
	{"RECAMT", "monthly_recurring_amount", MC_F_NUMBER},
	{"ACTIVESUB", "is_monthly_recurring", MC_F_YESNO},
	{"LASTGIFT", "last_donation_date", MC_F_DATE},
	{"FIRSTGIFT", "first_donation_date", MC_F_DATE},
	{"DONORLEVEL", "value_tier", MC_F_TEXT},
	{"ENGAGEMENT", "engagement_segment", MC_F_TEXT},
	{"FREQUENCY", "frequency_segment", MC_F_TEXT},
	{"DAYSLAST", "days_since_last_gift", MC_F_NUMBER},
};

static const char *const ftype_names[] = {"text", "number", "date", "yesno"};

const char *mc_ftype_name(int type)
{
	return type >= 0 && type <= MC_F_YESNO ? ftype_names[type] : "?";
}

static int ftype_parse(const char *s)
{
	for (int i = 0; i <= MC_F_YESNO; i++)
		if (!strcmp(s, ftype_names[i]))
			return i;
	return -1;
}

static int tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 10)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)t[i]) && !isdigit((unsigned char)t[i]) && t[i] != '_')
			return 0;
	return 1;
}

/* One entry: "TAG" (a known field) or "TAG=column[:type]". */
static int field_entry(char *e, mc_field *f, cs_err *err)
{
	char *eq = strchr(e, '=');
	if (eq)
		*eq = '\0';
	if (!tag_ok(e))
		return cs_err_set(err, CS_EUSAGE,
				  "MAILCHIMP_MERGE_FIELDS: '%s' is not a merge tag (1-10 characters "
				  "A-Z, 0-9 or _)",
				  e);
	if (!eq) {
		for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
			if (!strcmp(known_fields[i].tag, e)) {
				*f = known_fields[i];
				return 0;
			}
		return cs_err_set(err, CS_EUSAGE,
				  "MAILCHIMP_MERGE_FIELDS: unknown merge tag '%s'; map it to a "
				  "contact_segments column as %s=column:type (text, number, date or yesno)",
				  e, e);
	}
	char *col = eq + 1, *colon = strchr(col, ':');
	int type = MC_F_TEXT;
	if (colon) {
		*colon = '\0';
		if ((type = ftype_parse(colon + 1)) < 0)
			return cs_err_set(err, CS_EUSAGE,
					  "MAILCHIMP_MERGE_FIELDS: '%s' has unknown type '%s' (use text, "
					  "number, date or yesno)",
					  e, colon + 1);
	}
	if (!*col || strlen(col) >= sizeof(f->column))
		return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_MERGE_FIELDS: '%s' needs a column", e);
	snprintf(f->tag, sizeof(f->tag), "%s", e);
	snprintf(f->column, sizeof(f->column), "%s", col);
	f->type = type;
	return 0;
}

int mc_fields_parse(const char *spec, mc_field *out, int max, int *n, cs_err *err)
{
	char buf[1024];
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_MERGE_FIELDS is too long");
	*n = 0;
	for (char *save = NULL, *e = strtok_r(buf, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
		if (*n == max)
			return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_MERGE_FIELDS: more than %d fields",
					  max);
		int rc = field_entry(e, &out[*n], err);
		if (rc)
			return rc;
		for (int i = 0; i < *n; i++)
			if (!strcmp(out[i].tag, out[*n].tag))
				return cs_err_set(err, CS_EUSAGE,
						  "MAILCHIMP_MERGE_FIELDS: '%s' is listed twice",
						  out[i].tag);
		(*n)++;
	}
	return 0;
}

int mc_org_lists_parse(const char *spec, mc_org_list *out, int max, int *n, cs_err *err)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_ORG_LISTS is too long");
	*n = 0;
	for (char *save = NULL, *e = strtok_r(buf, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(e, '='), *end = NULL;
		long long id = eq ? strtoll(e, &end, 10) : 0;
		if (!eq || end != eq || id <= 0 || !eq[1] || strlen(eq + 1) >= sizeof(out->list_id))
			return cs_err_set(err, CS_EUSAGE,
					  "MAILCHIMP_ORG_LISTS: '%s' is not ORG_ID=LIST_ID (e.g. "
					  "1001=a1b2c3d4e5)",
					  e);
		if (*n == max)
			return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_ORG_LISTS: more than %d entries",
					  max);
		out[*n].org_id = id;
		snprintf(out[*n].list_id, sizeof(out[*n].list_id), "%s", eq + 1);
		(*n)++;
	}
	return 0;
}

const char *mc_list_for_org(const mc_config *cfg, long long org_id)
{
	for (int i = 0; i < cfg->norg_lists; i++)
		if (cfg->org_lists[i].org_id == org_id)
			return cfg->org_lists[i].list_id;
	return cfg->list_id;
}

/* The key table's default for name ("" when it has none). */
static const char *default_of(const char *name)
{
	for (const cs_plugin_key *k = mc_config_keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k->def ? k->def : "";
	return "";
}

/* Reads name into out; its default when unset. CS_EUSAGE when it does not
 * fit. */
static int env(const char *name, char *out, size_t n, cs_err *err)
{
	int rc = cs_config_env_lookup(name, out, n);
	if (rc == CS_ENOTFOUND) {
		snprintf(out, n, "%s", default_of(name));
		return 0;
	}
	if (rc)
		return cs_err_set(err, CS_EUSAGE, "%s is too long (at most %zu characters)", name,
				  n - 1);
	return 0;
}

/* A whole number from lo to hi; the default also when set to "". */
static int env_long(const char *name, long lo, long hi, long *out, cs_err *err)
{
	char buf[32], *end = NULL;
	int rc = env(name, buf, sizeof(buf), err);
	if (rc)
		return rc;
	if (!buf[0])
		snprintf(buf, sizeof(buf), "%s", default_of(name));
	long v = strtol(buf, &end, 10);
	if (*end || v < lo || v > hi)
		return cs_err_set(err, CS_EUSAGE, "%s must be a whole number from %ld to %ld, not '%s'",
				  name, lo, hi, buf);
	*out = v;
	return 0;
}

static int load_required(mc_config *cfg, cs_err *err)
{
	int rc = env("MAILCHIMP_API_KEY", cfg->api_key, sizeof(cfg->api_key), err);
	if (rc == 0 && !cfg->api_key[0])
		rc = cs_err_set(err, CS_EUSAGE,
				"MAILCHIMP_API_KEY is not set: create a key in Mailchimp (Profile > "
				"Extras > API keys) and set it in the environment or .env");
	/* from now on no message shows it, raw or inside the Basic header */
	if (rc == 0 && cs_redact_add(cfg->api_key))
		rc = cs_err_set(err, CS_ERR, "cannot load MAILCHIMP_API_KEY: out of memory");
	if (rc == 0)
		rc = env("MAILCHIMP_LIST_ID", cfg->list_id, sizeof(cfg->list_id), err);
	if (rc == 0 && !cfg->list_id[0])
		rc = cs_err_set(err, CS_EUSAGE,
				"MAILCHIMP_LIST_ID is not set: use the audience id from Mailchimp "
				"(Audience > Settings > Audience name and defaults)");
	if (rc == 0 && (rc = env("MAILCHIMP_API_URL", cfg->api_url, sizeof(cfg->api_url), err)) == 0 &&
	    !cfg->api_url[0])
		rc = mc_base_url_from_key(cfg->api_key, cfg->api_url, sizeof(cfg->api_url), err);
	if (rc == 0 && strncmp(cfg->api_url, "https://", 8) && strncmp(cfg->api_url, "http://", 7))
		rc = cs_err_set(err, CS_EUSAGE, "MAILCHIMP_API_URL must start with https:// (got '%s')",
				cfg->api_url);
	/* the API key goes to it in every request */
	if (rc == 0)
		rc = cs_config_check_transport_env("MAILCHIMP_API_URL", cfg->api_url, err);
	return rc;
}

int mc_config_load(mc_config *cfg, cs_err *err)
{
	char fields[1024], lists[4096];
	long conc = 0;
	memset(cfg, 0, sizeof(*cfg));
	int rc = load_required(cfg, err);
	if (rc == 0)
		rc = env("MAILCHIMP_TAG_PREFIX", cfg->tag_prefix, sizeof(cfg->tag_prefix), err);
	if (rc == 0 && !cfg->tag_prefix[0])
		rc = cs_err_set(err, CS_EUSAGE,
				"MAILCHIMP_TAG_PREFIX must not be empty: without a prefix the plugin "
				"could not tell its tags from yours");
	if (rc == 0)
		rc = env("MAILCHIMP_STATUS_IF_NEW", cfg->status_if_new, sizeof(cfg->status_if_new),
			 err);
	if (rc == 0 && strcmp(cfg->status_if_new, "subscribed") && strcmp(cfg->status_if_new, "pending"))
		rc = cs_err_set(err, CS_EUSAGE,
				"MAILCHIMP_STATUS_IF_NEW must be 'subscribed' or 'pending', not '%s'",
				cfg->status_if_new);
	if (rc == 0)
		rc = env_long("MAILCHIMP_CONCURRENCY", 1, 10, &conc, err);
	cfg->concurrency = (int)conc;
	if (rc == 0)
		rc = env_long("MAILCHIMP_BATCH_MIN", 1, 1000000, &cfg->batch_min, err);
	if (rc == 0)
		rc = env("MAILCHIMP_MERGE_FIELDS", fields, sizeof(fields), err);
	if (rc == 0)
		rc = mc_fields_parse(fields, cfg->fields, MC_MAX_FIELDS, &cfg->nfields, err);
	if (rc == 0)
		rc = env("MAILCHIMP_ORG_LISTS", lists, sizeof(lists), err);
	if (rc == 0)
		rc = mc_org_lists_parse(lists, cfg->org_lists, MC_MAX_ORG_LISTS, &cfg->norg_lists, err);
	return rc;
}
