/* daemon-config.json: parsing and validation, driven by one table of keys
 * (cs_dconfig_table) that also gives the defaults, the effective dump and
 * the key reference (dconfig_dump.c). Adding a key means adding a row (and
 * a long field), never a new code path. Rows are in the order of the
 * example file, which is also the order of the dump and of "known keys".
 *
 * Never half-loads: *out is written only when the whole file is valid, so
 * a bad edit on SIGHUP leaves the running config alone. Never guesses:
 * an unknown key, a wrong type or a value out of range is an error naming
 * the full key path. */
#include "sched/dconfig.h"

#include "sched/dconfig_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define SEC_MS 1000L
#define DAY_MS 86400000L
#define WEEK_MS (7 * DAY_MS)

#define TOP(f) offsetof(cs_dconfig, f)
#define ORG(f) offsetof(cs_dconfig_org, f)
#define TOP_IV(k) (offsetof(cs_dconfig, interval_ms) + (size_t)(k) * sizeof(long))
#define ORG_IV(k) (offsetof(cs_dconfig_org, interval_ms) + (size_t)(k) * sizeof(long))
#define INTERVAL(name, kind, def, what)                                                       \
	{"syncIntervals." name, DK_MS, DK_TOP | DK_ORG, TOP_IV(kind), ORG_IV(kind), def,        \
	 SEC_MS, WEEK_MS, "time from the end of one " what " run to the start of the next"}

const cs_dconfig_key cs_dconfig_table[] = {
	INTERVAL("supporters", CS_ENT_SUPPORTERS, 1800000, "supporters sync"),
	INTERVAL("transactions", CS_ENT_TRANSACTIONS, 900000, "transactions sync"),
	INTERVAL("campaigns", CS_ENT_CAMPAIGNS, 3600000, "campaigns sync"),
	INTERVAL("recurringPlans", CS_ENT_RECURRING_PLANS, 3600000, "recurring plans sync"),
	INTERVAL("plugins", CS_SCHED_JOB_PLUGINS, 3600000, "push plugins"),
	{"healthCheck.interval", DK_MS, DK_TOP, TOP(health_interval_ms), 0, 300000, SEC_MS, DAY_MS,
	 "time between two health checks (database, disk, freshness, error rate, staleness)"},
	{"healthCheck.alertOnFailure", DK_BOOL, DK_TOP, TOP(health_alert_on_failure), 0, 1, 0, 1,
	 "raise an alert when a health check fails"},
	{"autoRestart.enabled", DK_BOOL, DK_TOP, TOP(restart_enabled), 0, 1, 0, 1,
	 "the supervisor restarts the daemon's worker after a crash"},
	{"autoRestart.maxRestarts", DK_INT, DK_TOP, TOP(restart_max), 0, 5, 1, 100,
	 "give up after this many restarts within autoRestart.window"},
	{"autoRestart.restartDelay", DK_MS, DK_TOP, TOP(restart_delay_ms), 0, 30000, 0, DAY_MS,
	 "wait before restarting a crashed worker"},
	{"autoRestart.window", DK_MS, DK_TOP, TOP(restart_window_ms), 0, 600000, SEC_MS, WEEK_MS,
	 "sliding window in which autoRestart.maxRestarts is counted"},
	{"nightlyFullSync", DK_HHMM, DK_TOP | DK_ORG, TOP(nightly_minute), ORG(nightly_minute),
	 3 * 60, 0, 0,
	 "UTC time of the daily full reconciliation of every entity; \"\" or null turns it off"},
	{"maxConcurrentJobs", DK_INT, DK_TOP, TOP(max_concurrent_jobs), 0, 2, 1, 16,
	 "jobs running at once across all organizations (one at a time within an org)"},
	{"alerts.consecutiveFailures", DK_INT, DK_TOP, TOP(alert_consecutive_failures), 0, 3, 1,
	 1000, "alert when a job has failed this many times in a row"},
	{"alerts.cooldown", DK_MS, DK_TOP, TOP(alert_cooldown_ms), 0, 3600000, 0, WEEK_MS,
	 "minimum time between two alerts about the same job"},
	{"alerts.staleFactor", DK_INT, DK_TOP, TOP(alert_stale_factor), 0, 2, 1, 100,
	 "data is stale when its last success is older than staleFactor x its interval"},
	{"enabled", DK_BOOL, DK_ORG, 0, ORG(enabled), 1, 0, 1,
	 "false: the daemon schedules nothing for this organization"},
	{"organizations", DK_ORGS, DK_TOP, 0, 0, 0, 0, 0,
	 "per-organization overrides keyed by org id (\"1001\"): syncIntervals.*, enabled, "
	 "nightlyFullSync"},
};
const size_t cs_dconfig_ntable = sizeof(cs_dconfig_table) / sizeof(cs_dconfig_table[0]);

/* The walk over one object of the file, at the top or in one org. */
typedef struct walk {
	const char *src;   /* file name for messages */
	unsigned scope;    /* DK_TOP or DK_ORG */
	void *base;        /* cs_dconfig or cs_dconfig_org being filled */
	const char *shown; /* prefix of paths in messages: "" or "organizations.1001." */
	cs_dconfig *cfg;   /* receives the org table */
	cs_err *err;
} walk;

static size_t key_off(const walk *w, const cs_dconfig_key *k)
{
	return w->scope == DK_TOP ? k->off : k->org_off;
}

static const cs_dconfig_key *find_key(unsigned scope, const char *path)
{
	for (size_t i = 0; i < cs_dconfig_ntable; i++)
		if ((cs_dconfig_table[i].flags & scope) &&
		    strcmp(cs_dconfig_table[i].path, path) == 0)
			return &cs_dconfig_table[i];
	return NULL;
}

/* The segment of path right after prefix ("" = first segment), copied to
 * seg; 0 when path is not under prefix. */
static int child_segment(const char *path, const char *prefix, char *seg, size_t n)
{
	size_t plen = strlen(prefix);
	if (plen) {
		if (strncmp(path, prefix, plen) != 0 || path[plen] != '.')
			return 0;
		path += plen + 1;
	}
	size_t len = strcspn(path, ".");
	snprintf(seg, n, "%.*s", (int)len, path);
	return 1;
}

/* A section is an object that holds keys, such as "syncIntervals". */
static int is_section(unsigned scope, const char *path)
{
	char seg[64];
	for (size_t i = 0; i < cs_dconfig_ntable; i++)
		if ((cs_dconfig_table[i].flags & scope) &&
		    child_segment(cs_dconfig_table[i].path, path, seg, 64) &&
		    strcmp(cs_dconfig_table[i].path, path) != 0)
			return 1;
	return 0;
}

/* "supporters, transactions, ..." for the keys directly under section. */
static void known_keys(unsigned scope, const char *section, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < cs_dconfig_ntable; i++) {
		char seg[64], quoted[70];
		if (!(cs_dconfig_table[i].flags & scope) ||
		    !child_segment(cs_dconfig_table[i].path, section, seg, sizeof(seg)))
			continue;
		snprintf(quoted, sizeof(quoted), ", %s,", seg);
		char probe[1100];
		snprintf(probe, sizeof(probe), ", %s,", out);
		if (strstr(probe, quoted))
			continue;
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%s", len ? ", " : "", seg);
	}
}

/* A short JSON rendering of a bad value for messages. */
static void value_text(const cJSON *v, char *buf, size_t n)
{
	char *s = cJSON_PrintUnformatted(v);
	if (!s) {
		snprintf(buf, n, "(unprintable)");
		return;
	}
	if (strlen(s) > 60)
		snprintf(buf, n, "%.57s...", s);
	else
		snprintf(buf, n, "%s", s);
	cJSON_free(s);
}

static int set_number(walk *w, const cs_dconfig_key *k, const cJSON *v, const char *path,
		      long *field)
{
	const char *unit = k->type == DK_MS ? " milliseconds" : "";
	char text[80];
	value_text(v, text, sizeof(text));
	if (!cJSON_IsNumber(v))
		return cs_err_set(w->err, CS_EUSAGE,
				  "'%s%s' in '%s' must be a whole number%s from %ld to %ld, got %s",
				  w->shown, path, w->src, *unit ? " of milliseconds" : "", k->min,
				  k->max, text);
	double d = v->valuedouble;
	if (d != floor(d) || !isfinite(d))
		return cs_err_set(w->err, CS_EUSAGE,
				  "'%s%s' in '%s' is %s, not a whole number (allowed %ld to %ld%s)",
				  w->shown, path, w->src, text, k->min, k->max, unit);
	if (d < (double)k->min || d > (double)k->max)
		return cs_err_set(w->err, CS_EUSAGE,
				  "'%s%s' in '%s' is %s, out of range (allowed %ld to %ld%s)",
				  w->shown, path, w->src, text, k->min, k->max, unit);
	*field = (long)d;
	return 0;
}

static int set_bool(walk *w, const char *path, const cJSON *v, long *field)
{
	if (!cJSON_IsBool(v)) {
		char text[80];
		value_text(v, text, sizeof(text));
		return cs_err_set(w->err, CS_EUSAGE, "'%s%s' in '%s' must be true or false, got %s",
				  w->shown, path, w->src, text);
	}
	*field = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

static int two_digits(const char *s, int max)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	int n = (s[0] - '0') * 10 + (s[1] - '0');
	return n <= max ? n : -1;
}

static int set_hhmm(walk *w, const char *path, const cJSON *v, long *field)
{
	if (cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0')) {
		*field = CS_DCONFIG_OFF;
		return 0;
	}
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	int h = -1, m = -1;
	if (strlen(s) == 5 && s[2] == ':') {
		h = two_digits(s, 23);
		m = two_digits(s + 3, 59);
	}
	if (h < 0 || m < 0) {
		char text[80];
		value_text(v, text, sizeof(text));
		return cs_err_set(w->err, CS_EUSAGE,
				  "'%s%s' in '%s' must be a UTC time \"HH:MM\" from \"00:00\" to "
				  "\"23:59\", or \"\" to turn it off, got %s",
				  w->shown, path, w->src, text);
	}
	*field = h * 60L + m;
	return 0;
}

static int walk_object(walk *w, const cJSON *obj, const char *section);

static void org_init(cs_dconfig_org *o, long long id)
{
	o->org_id = id;
	for (int k = 0; k < CS_SCHED_JOB_KINDS; k++)
		o->interval_ms[k] = CS_DCONFIG_INHERIT;
	o->enabled = CS_DCONFIG_INHERIT;
	o->nightly_minute = CS_DCONFIG_INHERIT;
}

/* An org key is the decimal id as `org list` shows it: no sign, no leading
 * zero, so one org cannot appear twice under two spellings. */
static long long parse_org_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 18 || s[0] == '0' || strspn(s, "0123456789") != n)
		return -1;
	return strtoll(s, NULL, 10);
}

static int cmp_org(const void *a, const void *b)
{
	long long x = ((const cs_dconfig_org *)a)->org_id, y = ((const cs_dconfig_org *)b)->org_id;
	return (x > y) - (x < y);
}

static int set_orgs(walk *w, const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return cs_err_set(w->err, CS_EUSAGE,
				  "'organizations' in '%s' must be an object keyed by org id, "
				  "such as {\"1001\": {\"enabled\": false}}",
				  w->src);
	size_t n = (size_t)cJSON_GetArraySize(v);
	cs_dconfig_org *orgs = n ? calloc(n, sizeof(*orgs)) : NULL;
	if (n && !orgs)
		return cs_err_set(w->err, CS_ERR, "out of memory reading '%s'", w->src);
	w->cfg->orgs = orgs; /* owned by the config under construction from here */
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		long long id = parse_org_id(c->string);
		if (id <= 0)
			return cs_err_set(w->err, CS_EUSAGE,
					  "'organizations.%s' in '%s': '%s' is not an org id "
					  "(expected a positive whole number such as \"1001\")",
					  c->string, w->src, c->string);
		char shown[64];
		snprintf(shown, sizeof(shown), "organizations.%lld.", id);
		if (!cJSON_IsObject(c))
			return cs_err_set(w->err, CS_EUSAGE,
					  "'organizations.%lld' in '%s' must be an object", id,
					  w->src);
		org_init(&orgs[i], id);
		w->cfg->norgs = i + 1;
		walk sub = {w->src, DK_ORG, &orgs[i], shown, w->cfg, w->err};
		int rc = walk_object(&sub, c, "");
		if (rc)
			return rc;
	}
	if (n)
		qsort(orgs, n, sizeof(*orgs), cmp_org);
	/* JSON allows a key twice; the second entry would be silently ignored
	 * by the lookups. Found by fuzzing. */
	for (i = 1; i < n; i++)
		if (orgs[i].org_id == orgs[i - 1].org_id)
			return cs_err_set(w->err, CS_EUSAGE,
					  "'organizations.%lld' appears twice in '%s'; keep one entry",
					  orgs[i].org_id, w->src);
	return 0;
}

static int set_value(walk *w, const cs_dconfig_key *k, const cJSON *v, const char *path)
{
	long *field = cs_dconfig_field(w->base, key_off(w, k));
	switch (k->type) {
	case DK_MS:
	case DK_INT:
		return set_number(w, k, v, path, field);
	case DK_BOOL:
		return set_bool(w, path, v, field);
	case DK_HHMM:
		return set_hhmm(w, path, v, field);
	default:
		return set_orgs(w, v);
	}
}

static int dup_name(const cJSON *obj, const cJSON *c)
{
	for (const cJSON *p = obj->child; p != c; p = p->next)
		if (strcmp(p->string, c->string) == 0)
			return 1;
	return 0;
}

static int unknown_key(walk *w, const char *section, const char *path)
{
	char known[1024];
	known_keys(w->scope, section, known, sizeof(known));
	return cs_err_set(w->err, CS_EUSAGE, "unknown key '%s%s' in '%s'; known keys: %s",
			  w->shown, path, w->src, known);
}

/* Walks one object: every member must be a key of the table (then it is
 * parsed) or a section of keys (then it is walked); anything else is an
 * error naming the full path. A member name holding a '.' is never a key,
 * so {"syncIntervals.supporters": 1} cannot pass for the nested form. */
static int walk_object(walk *w, const cJSON *obj, const char *section)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s%.200s", section, *section ? "." : "", c->string);
		if (dup_name(obj, c))
			return cs_err_set(w->err, CS_EUSAGE, "duplicate key '%s%s' in '%s'",
					  w->shown, path, w->src);
		const cs_dconfig_key *k = strchr(c->string, '.') ? NULL : find_key(w->scope, path);
		int rc;
		if (k) {
			rc = set_value(w, k, c, path);
		} else if (!strchr(c->string, '.') && *c->string && is_section(w->scope, path)) {
			if (!cJSON_IsObject(c))
				return cs_err_set(w->err, CS_EUSAGE,
						  "'%s%s' in '%s' must be an object", w->shown,
						  path, w->src);
			rc = walk_object(w, c, path);
		} else {
			rc = unknown_key(w, section, path);
		}
		if (rc)
			return rc;
	}
	return 0;
}

void cs_dconfig_defaults(cs_dconfig *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < cs_dconfig_ntable; i++)
		if ((cs_dconfig_table[i].flags & DK_TOP) && cs_dconfig_table[i].type != DK_ORGS)
			*cs_dconfig_field(out, cs_dconfig_table[i].off) = cs_dconfig_table[i].def;
}

/* Line and column (from 1) of a byte offset, for JSON syntax errors. */
static void position(const char *text, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = text; p < at && *p; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(const char *text, const char *at, const char *src, cs_err *err)
{
	if (text[strspn(text, " \t\r\n")] == '\0')
		return cs_err_set(err, CS_EUSAGE,
				  "'%s' is empty; write {} to use every default", src);
	if (!at || at < text)
		at = text;
	int line, col;
	position(text, at, &line, &col);
	char near[24];
	snprintf(near, sizeof(near), "%.20s", at);
	for (char *p = near; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return cs_err_set(err, CS_EUSAGE,
			  "invalid JSON in '%s' near line %d, column %d (at '%s'); check for a "
			  "missing comma, quote or brace",
			  src, line, col, near);
}

int cs_dconfig_parse(const char *json_text, const char *source_name, cs_dconfig *out,
		     cs_err *err)
{
	const char *src = source_name ? source_name : "<string>";
	const char *end = NULL;
	if (!json_text)
		return cs_err_set(err, CS_EUSAGE, "no daemon config text for '%s'", src);
	cJSON *root = cJSON_ParseWithOpts(json_text, &end, 1);
	if (!root)
		return syntax_error(json_text, end, src, err);

	cs_dconfig next;
	cs_dconfig_defaults(&next);
	int rc;
	if (!cJSON_IsObject(root)) {
		rc = cs_err_set(err, CS_EUSAGE,
				"the top level of '%s' must be a JSON object ({} for every "
				"default)",
				src);
	} else {
		walk w = {src, DK_TOP, &next, "", &next, err};
		rc = walk_object(&w, root, "");
	}
	cJSON_Delete(root);
	if (rc) {
		cs_dconfig_release(&next);
		return rc;
	}
	*out = next; /* only now: a failed parse leaves *out as it was */
	return 0;
}

static int read_file(const char *path, char **text, cs_err *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return cs_err_set(err, errno == ENOENT ? CS_ENOTFOUND : CS_EIO,
				  "cannot open daemon config '%s': %s; create it (every key is in "
				  "contrib/daemon-config.example.json) or give another path",
				  path, strerror(errno));
	char *buf = malloc(CS_DCONFIG_MAX_BYTES + 1);
	size_t n = buf ? fread(buf, 1, CS_DCONFIG_MAX_BYTES + 1, fp) : 0;
	int rc = 0;
	if (!buf)
		rc = cs_err_set(err, CS_ERR, "out of memory reading '%s'", path);
	else if (ferror(fp))
		rc = cs_err_set(err, CS_EIO, "cannot read daemon config '%s': %s", path,
				strerror(errno));
	else if (n > CS_DCONFIG_MAX_BYTES)
		rc = cs_err_set(err, CS_EUSAGE, "daemon config '%s' is larger than %zu bytes", path,
				CS_DCONFIG_MAX_BYTES);
	else if (memchr(buf, '\0', n))
		rc = cs_err_set(err, CS_EUSAGE, "daemon config '%s' contains a NUL byte", path);
	fclose(fp);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	return 0;
}

int cs_dconfig_load(const char *path, cs_dconfig *out, cs_err *err)
{
	char *text = NULL;
	int rc = read_file(path, &text, err);
	if (rc)
		return rc;
	rc = cs_dconfig_parse(text, path, out, err);
	free(text);
	return rc;
}

int cs_dconfig_load_or_defaults(const char *path, cs_dconfig *out, cs_err *err)
{
	if (path && path[0])
		return cs_dconfig_load(path, out, err);
	cs_dconfig_defaults(out);
	return 0;
}

const char *cs_dconfig_pick(const char *given)
{
	if (given)
		return given;
	return access(CS_DCONFIG_DEFAULT_FILE, F_OK) == 0 ? CS_DCONFIG_DEFAULT_FILE : NULL;
}

void cs_dconfig_release(cs_dconfig *cfg)
{
	if (!cfg)
		return;
	free(cfg->orgs);
	memset(cfg, 0, sizeof(*cfg));
}

const cs_dconfig_org *cs_dconfig_org_find(const cs_dconfig *cfg, long long org_id)
{
	cs_dconfig_org key = {.org_id = org_id};
	if (!cfg->norgs)
		return NULL;
	return bsearch(&key, cfg->orgs, cfg->norgs, sizeof(key), cmp_org);
}

long cs_dconfig_interval_ms(const cs_dconfig *cfg, long long org_id, int kind)
{
	if (kind < 0 || kind >= CS_SCHED_JOB_KINDS)
		return 0;
	const cs_dconfig_org *o = cs_dconfig_org_find(cfg, org_id);
	if (o && o->interval_ms[kind] != CS_DCONFIG_INHERIT)
		return o->interval_ms[kind];
	return cfg->interval_ms[kind];
}

int cs_dconfig_org_enabled(const cs_dconfig *cfg, long long org_id)
{
	const cs_dconfig_org *o = cs_dconfig_org_find(cfg, org_id);
	return !o || o->enabled != 0;
}

long cs_dconfig_nightly_minute(const cs_dconfig *cfg, long long org_id)
{
	const cs_dconfig_org *o = cs_dconfig_org_find(cfg, org_id);
	if (o && o->nightly_minute != CS_DCONFIG_INHERIT)
		return o->nightly_minute;
	return cfg->nightly_minute;
}

const char *cs_sched_job_kind_name(int kind)
{
	if (kind >= 0 && kind < CS_ENT_COUNT)
		return cs_entities[kind].name;
	return kind == CS_SCHED_JOB_PLUGINS ? "plugins" : "unknown";
}
