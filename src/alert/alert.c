/* Alerts without the delivery: condition keys, the cooldown decision, the
 * message text and JSON payload, the in-memory record store and the webhook
 * configuration. Everything here is pure or local, so it is tested without
 * a network; alert_send.c does the queue and the thread.
 *
 * Never logs or shows a webhook URL whole: Slack's carry their token in the
 * path, so messages show scheme://host only. Never lets a template reach
 * printf: {s} and {n} are expanded by hand. */
#include "alert/alert.h"

#include "util/config.h"
#include "util/redact.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Message templates: {s} is the subject ("supporters for org 1001"), {n}
 * the failure count. `nobody` is the subject when neither org nor entity
 * applies. One table, so adding an event is one line. */
static const struct event_def {
	const char *name;
	const char *color; /* Slack attachment color while firing */
	const char *emoji;
	const char *firing;
	const char *resolved;
	const char *nobody;
} events[CS_ALERT__COUNT] = {
	[CS_ALERT_JOB_FAILED] = {"job_failed", "danger", ":red_circle:", "{s} failed",
				 "{s} succeeded again", "a sync run"},
	[CS_ALERT_CONSECUTIVE_FAILURES] = {"consecutive_failures", "danger", ":red_circle:",
					   "{s} failed {n} times in a row",
					   "{s} succeeded again", "sync runs"},
	[CS_ALERT_STALE] = {"stale", "warning", ":warning:", "{s} is stale",
			    "{s} is up to date again", "the mirror"},
	[CS_ALERT_HEALTH_CRITICAL] = {"health_critical", "danger", ":red_circle:",
				      "health is critical for {s}",
				      "health is back to normal for {s}", "the daemon"},
	[CS_ALERT_SUPERVISOR_GAVE_UP] = {"supervisor_gave_up", "danger", ":red_circle:",
					 "the supervisor gave up on {s}",
					 "the supervisor runs {s} again", "the daemon"},
};

#define RESOLVED_EMOJI ":large_green_circle:"
#define TEXT_DETAIL_MAX 300 /* of the detail in the one-line text */

const char *cs_alert_event_name(int event)
{
	return event >= 0 && event < CS_ALERT__COUNT ? events[event].name : NULL;
}

int cs_alert_key(const cs_alert *a, char *out, size_t outsz)
{
	const char *name = cs_alert_event_name(a->event);
	if (!name)
		return CS_EUSAGE;
	char org[24] = "";
	if (a->org)
		snprintf(org, sizeof(org), "%lld", a->org);
	int n = snprintf(out, outsz, "%s:%s:%s", name, org, a->entity ? a->entity : "");
	return n < 0 || (size_t)n >= outsz ? CS_EUSAGE : 0;
}

/* ---- the decision -------------------------------------------------------- */

int cs_alert_decide(const cs_alert_record *prev, int firing, int64_t now_ms, int64_t cooldown_ms)
{
	int was_firing = prev && prev->state == CS_ALERT_STATE_FIRING;
	if (!was_firing)
		return firing ? CS_ALERT_SEND_FIRING : CS_ALERT_NOTHING;
	if (!firing)
		return CS_ALERT_SEND_RESOLVED;
	/* A record from the future means the clock moved back: remind rather
	 * than stay silent until the clock catches up. */
	if (now_ms < prev->last_sent_at || now_ms - prev->last_sent_at >= cooldown_ms)
		return CS_ALERT_SEND_FIRING;
	return CS_ALERT_SUPPRESS;
}

void cs_alert_record_apply(cs_alert_record *rec, int decision, int64_t now_ms, const char *text)
{
	if (decision != CS_ALERT_SEND_FIRING && decision != CS_ALERT_SEND_RESOLVED)
		return;
	if (decision == CS_ALERT_SEND_FIRING) {
		if (rec->state != CS_ALERT_STATE_FIRING) { /* a new episode */
			rec->since = now_ms;
			rec->count = 0;
		}
		rec->count++;
		rec->state = CS_ALERT_STATE_FIRING;
	} else {
		rec->state = CS_ALERT_STATE_RESOLVED;
	}
	rec->last_sent_at = now_ms;
	snprintf(rec->last_message, sizeof(rec->last_message), "%s", text ? text : "");
}

/* ---- text ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
		   : p[0] >= 0xF0 && p[0] < 0xF5 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* Copies at most max bytes of s, whole characters only, with '?' for bytes
 * that are not UTF-8: API error bodies can hold anything, and one stray
 * byte would make the payload invalid JSON for a strict parser. */
static void put_utf8(cs_buf *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;
	while (*p) {
		size_t n = utf8_seq(p);
		if (used + (n ? n : 1) > max)
			break;
		cs_buf_append(out, n ? (const char *)p : "?", n ? n : 1);
		used += n ? n : 1;
		p += n ? n : 1;
	}
}

static void put_subject(cs_buf *out, const cs_alert *a)
{
	if (a->entity && a->org)
		cs_buf_printf(out, "%s for org %lld", a->entity, a->org);
	else if (a->org)
		cs_buf_printf(out, "org %lld", a->org);
	else if (a->entity)
		cs_buf_puts(out, a->entity);
	else
		cs_buf_puts(out, events[a->event].nobody);
}

/* Expands {s} and {n} by hand: the templates never reach printf. */
static void expand(cs_buf *out, const char *tpl, const cs_alert *a)
{
	for (const char *p = tpl; *p; p++) {
		if (strncmp(p, "{s}", 3) == 0) {
			put_subject(out, a);
			p += 2;
		} else if (strncmp(p, "{n}", 3) == 0) {
			cs_buf_printf(out, "%d", a->failures);
			p += 2;
		} else {
			cs_buf_append(out, p, 1);
		}
	}
}

/* The detail (an error message, an API's words) redacted in full, then cut
 * to max: a cut first could leave the start of a secret. */
static void put_detail(cs_buf *out, const char *detail, size_t max)
{
	char *safe = cs_redact_dup(detail);
	put_utf8(out, safe ? safe : CS_REDACT_MARK, max);
	free(safe);
}

static void build_text(cs_buf *b, const cs_alert *a, int status)
{
	const struct event_def *d = &events[a->event];
	int resolved = status == CS_ALERT_STATE_RESOLVED;
	cs_buf_printf(b, "%s classy-sync: ", resolved ? RESOLVED_EMOJI : d->emoji);
	expand(b, resolved ? d->resolved : d->firing, a);
	if (a->detail && *a->detail) {
		cs_buf_puts(b, ": ");
		put_detail(b, a->detail, TEXT_DETAIL_MAX);
	}
}

void cs_alert_text(const cs_alert *a, int status, char *out, size_t outsz)
{
	if (!outsz)
		return;
	out[0] = '\0';
	if (!cs_alert_event_name(a->event))
		return;
	cs_buf b = CS_BUF_INIT, cut = CS_BUF_INIT;
	build_text(&b, a, status);
	put_utf8(&cut, cs_buf_str(&b), outsz - 1);
	snprintf(out, outsz, "%s", cs_buf_str(&cut));
	cs_buf_release(&b);
	cs_buf_release(&cut);
}

/* ---- the payload --------------------------------------------------------- */

static void add_field(cJSON *fields, const char *title, const char *value, int is_short)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "title", title);
	cJSON_AddStringToObject(f, "value", value && *value ? value : "-");
	cJSON_AddBoolToObject(f, "short", is_short);
	if (!cJSON_AddItemToArray(fields, f))
		cJSON_Delete(f);
}

static void add_string_or_null(cJSON *o, const char *name, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void add_attachment(cJSON *root, const cs_alert *a, int status, const char *text,
			   const char *org, const char *since, const char *detail, int64_t now_ms)
{
	cJSON *att = cJSON_CreateObject();
	if (!cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "attachments"), att)) {
		cJSON_Delete(att);
		return;
	}
	cJSON_AddStringToObject(att, "fallback", text);
	cJSON_AddStringToObject(att, "color", status == CS_ALERT_STATE_RESOLVED
						       ? "good"
						       : events[a->event].color);
	cJSON_AddNumberToObject(att, "ts", (double)(now_ms / 1000));
	cJSON *fields = cJSON_AddArrayToObject(att, "fields");
	add_field(fields, "org", org, 1);
	add_field(fields, "entity", a->entity, 1);
	add_field(fields, "event", events[a->event].name, 1);
	add_field(fields, "since", since, 1);
	add_field(fields, "detail", detail, 0);
}

int cs_alert_payload(const cs_alert *a, int status, int64_t since_ms, int64_t now_ms,
		     cs_buf *out, cs_err *err)
{
	char key[CS_ALERT_KEY_MAX], text[CS_ALERT_MSG_MAX], org[24] = "";
	char since[CS_TIME_BUFSZ], at[CS_TIME_BUFSZ];
	if (cs_alert_key(a, key, sizeof(key)) != 0)
		return cs_err_set(err, CS_EUSAGE, "cannot build an alert for event %d", a->event);
	if (a->org)
		snprintf(org, sizeof(org), "%lld", a->org);
	cs_time_format(since_ms, 0, since);
	cs_time_format(now_ms, 0, at);
	cs_alert_text(a, status, text, sizeof(text));
	cs_buf detail = CS_BUF_INIT;
	if (a->detail)
		put_detail(&detail, a->detail, CS_ALERT_DETAIL_MAX);

	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "text", text);
	add_attachment(root, a, status, text, org, since, cs_buf_str(&detail), now_ms);
	cJSON_AddStringToObject(root, "event", events[a->event].name);
	cJSON_AddStringToObject(root, "status",
				status == CS_ALERT_STATE_RESOLVED ? "resolved" : "firing");
	cJSON_AddStringToObject(root, "condition", key);
	add_string_or_null(root, "org", org);
	add_string_or_null(root, "entity", a->entity);
	cJSON_AddStringToObject(root, "since", since);
	cJSON_AddStringToObject(root, "at", at);
	add_string_or_null(root, "detail", cs_buf_str(&detail));
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	cs_buf_release(&detail);
	int rc = json && cs_buf_puts(out, json) == 0 ? 0 : CS_ERR;
	free(json);
	if (rc)
		return cs_err_set(err, CS_ERR, "cannot build the alert '%s': out of memory", key);
	return 0;
}

/* ---- in-memory records --------------------------------------------------- */

struct cs_alert_memstore {
	pthread_mutex_t mu;
	cs_alert_record *v;
	size_t n, cap;
};

cs_alert_memstore *cs_alert_memstore_new(void)
{
	cs_alert_memstore *ms = calloc(1, sizeof(*ms));
	if (ms)
		pthread_mutex_init(&ms->mu, NULL);
	return ms;
}

void cs_alert_memstore_free(cs_alert_memstore *ms)
{
	if (!ms)
		return;
	pthread_mutex_destroy(&ms->mu);
	free(ms->v);
	free(ms);
}

static cs_alert_record *mem_find(cs_alert_memstore *ms, const char *key)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].key, key) == 0)
			return &ms->v[i];
	return NULL;
}

static int mem_load(void *ctx, const char *key, cs_alert_record *rec, cs_err *err)
{
	(void)err;
	cs_alert_memstore *ms = ctx;
	pthread_mutex_lock(&ms->mu);
	cs_alert_record *r = mem_find(ms, key);
	if (r)
		*rec = *r;
	pthread_mutex_unlock(&ms->mu);
	return r ? 0 : CS_ENOTFOUND;
}

static int mem_save(void *ctx, const cs_alert_record *rec, cs_err *err)
{
	cs_alert_memstore *ms = ctx;
	int rc = 0;
	pthread_mutex_lock(&ms->mu);
	cs_alert_record *r = mem_find(ms, rec->key);
	if (!r && ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 8;
		cs_alert_record *v = realloc(ms->v, cap * sizeof(*v));
		if (v) {
			ms->v = v;
			ms->cap = cap;
		}
	}
	if (!r && ms->n < ms->cap)
		r = &ms->v[ms->n++];
	if (r)
		*r = *rec;
	else
		rc = cs_err_set(err, CS_ERR, "cannot save the alert '%s': out of memory", rec->key);
	pthread_mutex_unlock(&ms->mu);
	return rc;
}

cs_alert_store cs_alert_memstore_store(cs_alert_memstore *ms)
{
	return (cs_alert_store){ms, mem_load, mem_save};
}

/* ---- configuration ------------------------------------------------------- */

void cs_alert_redact_url(const char *url, char *out, size_t outsz)
{
	const char *sep = url ? strstr(url, "://") : NULL;
	if (!sep || sep == url) {
		snprintf(out, outsz, "(not a URL)");
		return;
	}
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	/* user:password@ is a secret too. */
	const char *at = memrchr(auth, '@', alen);
	if (at) {
		alen -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	int slen = (int)(sep - url) > 16 ? 16 : (int)(sep - url);
	snprintf(out, outsz, "%.*s://%.*s", slen, url, (int)alen, auth);
}

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int cs_alert_check_url(const char *url, int allow_http, cs_err *err)
{
	char safe[300];
	if (!url || !*url)
		return cs_err_set(err, CS_EUSAGE, "ALERT_WEBHOOK_URL is empty; set it to the "
						  "webhook's https:// URL");
	cs_alert_redact_url(url, safe, sizeof(safe));
	for (const char *p = url; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return cs_err_set(err, CS_EUSAGE, "ALERT_WEBHOOK_URL ('%s') contains a "
							  "space or control character", safe);
	int https = has_prefix_ci(url, "https://"), http = has_prefix_ci(url, "http://");
	if (!https && !http)
		return cs_err_set(err, CS_EUSAGE, "ALERT_WEBHOOK_URL must be an https:// URL "
						  "(got '%s')", safe);
	if (http && !allow_http)
		return cs_err_set(err, CS_EUSAGE,
				  "ALERT_WEBHOOK_URL is plain http ('%s'), so alerts and the URL's "
				  "token would travel unencrypted; use an https:// URL, or set "
				  "ALERT_ALLOW_HTTP=1 for a trusted local relay", safe);
	const char *host = url + (https ? 8 : 7);
	if (strcspn(host, "/?#") == 0)
		return cs_err_set(err, CS_EUSAGE, "ALERT_WEBHOOK_URL has no host ('%s')", safe);
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"", "0", "false", "no", "off"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

int cs_alert_config_from_env(cs_alert_config *c, cs_err *err)
{
	char allow[16];
	memset(c, 0, sizeof(*c));
	int rc = cs_config_env_lookup("ALERT_ALLOW_HTTP", allow, sizeof(allow));
	if (rc == CS_ERR || (rc == 0 && parse_bool(allow, &c->allow_http) != 0))
		return cs_err_set(err, CS_EUSAGE, "ALERT_ALLOW_HTTP must be 1 or 0 (got '%.15s')",
				  rc == 0 ? allow : "a long value");
	rc = cs_config_env_lookup("ALERT_WEBHOOK_URL", c->url, sizeof(c->url));
	if (rc == CS_ERR)
		return cs_err_set(err, CS_EUSAGE, "ALERT_WEBHOOK_URL is longer than %zu bytes",
				  sizeof(c->url) - 1);
	if (rc == CS_ENOTFOUND || c->url[0] == '\0')
		return 0; /* alerts are off */
	rc = cs_alert_check_url(c->url, c->allow_http, err);
	/* Slack's token is the path: no message may show it from now on. */
	if (rc == 0 && cs_redact_add_url(c->url))
		rc = cs_err_set(err, CS_ERR, "cannot read ALERT_WEBHOOK_URL: out of memory");
	return rc;
}
