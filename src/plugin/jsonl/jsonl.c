/* The example push plugin: appends consenting contacts that changed since
 * the last export to a JSON-lines file. It is small on purpose: it shows
 * everything a destination gets from the core (config keys, contacts with
 * last-sent state, diffing by hash, outcome and state rows) with the least
 * destination code. docs/PLUGINS.md walks through it.
 *
 * Durability: lines are written and fsync'd before the state says "sent",
 * so a crash or a full disk re-exports on the next run rather than losing
 * a contact; a reader de-duplicates by email_key (the newest line wins). */
#include "plugin/jsonl/jsonl.h"

#include "util/buf.h"
#include "util/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cs_plugin_key jsonl_keys[] = {
	{"JSONL_PATH", 1, 0, NULL, "file the contacts are appended to, one JSON object per line"},
	{NULL, 0, 0, NULL, NULL},
};

/* The exported columns of contact_segments, in output order. */
static const char *const exported[] = {
	"email_address",     "first_name",         "last_name",        "lifetime_donation_amount",
	"lifetime_donation_count", "value_tier",   "engagement_segment", "frequency_segment",
};

typedef struct pending {
	long long org_id, supporter_id;
	char *email_key, *payload;
	char hash[65];
} pending;

typedef struct jsonl {
	const cs_plugin_host *host;
	char path[1024];
	char scope[1100]; /* path#org */
	pending *items;
	size_t n, cap;
	long long limit;
	int full;
	cs_push_counts *counts;
} jsonl;

static int jsonl_init(const cs_plugin_host *host, void **self, cs_err *err)
{
	jsonl *j = calloc(1, sizeof(*j));
	if (!j)
		return cs_err_set(err, CS_ERR, "out of memory");
	j->host = host;
	*self = j;
	return 0;
}

static int jsonl_configure(void *self, cs_err *err)
{
	jsonl *j = self;
	int rc = cs_config_env_lookup("JSONL_PATH", j->path, sizeof(j->path));
	if (rc || !j->path[0])
		return cs_err_set(err, CS_EUSAGE,
				  "JSONL_PATH is not set: set it to the file the jsonl plugin appends to");
	return 0;
}

static int jsonl_health(void *self, char *msg, size_t msgsz, cs_err *err)
{
	jsonl *j = self;
	int fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cs_err_set(err, CS_EIO, "cannot open '%s' for appending: %s", j->path,
				  strerror(errno));
	close(fd);
	snprintf(msg, msgsz, "'%s' is writable", j->path);
	return 0;
}

static void clear_pending(jsonl *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->items[i].email_key);
		free(j->items[i].payload);
	}
	j->n = 0;
}

static char *payload_of(const cs_contact *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "email_key", c->email_key);
	cJSON_AddNumberToObject(o, "organization_id", (double)c->org_id);
	for (size_t i = 0; i < sizeof(exported) / sizeof(exported[0]); i++) {
		const char *v = cs_plugin_contact_get(c, exported[i]);
		if (v)
			cJSON_AddStringToObject(o, exported[i], v);
		else
			cJSON_AddNullToObject(o, exported[i]);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int plan_one(const cs_contact *c, void *ctx)
{
	jsonl *j = ctx;
	j->counts->considered++;
	if (cs_plugin_contact_verdict(c) != CS_PLUGIN_CONTACT_SEND) {
		j->counts->skipped++;
		return 0;
	}
	char *payload = payload_of(c);
	char hash[65];
	if (!payload)
		return CS_ERR;
	cs_plugin_payload_hash(payload, strlen(payload), hash);
	if (!j->full && c->sent_hash && !strcmp(c->sent_hash, hash)) {
		j->counts->unchanged++;
		free(payload);
		return 0;
	}
	if (j->limit && (long long)j->n >= j->limit) {
		free(payload); /* the rest goes next run */
		return 0;
	}
	pending *grown = cs_buf_grow_array(j->items, &j->cap, j->n, sizeof(*grown), 256);
	if (!grown) {
		free(payload);
		return CS_ERR;
	}
	j->items = grown;
	pending *p = &j->items[j->n++];
	*p = (pending){.org_id = c->org_id, .supporter_id = c->supporter_id,
		       .email_key = strdup(c->email_key), .payload = payload};
	memcpy(p->hash, hash, sizeof(hash));
	return p->email_key ? 0 : CS_ERR;
}

static int jsonl_plan(void *self, long long org, const cs_plugin_push_opts *opts,
		      cs_push_counts *counts, cJSON *samples, cs_err *err)
{
	jsonl *j = self;
	clear_pending(j);
	j->limit = opts->limit;
	j->full = opts->full;
	j->counts = counts;
	/* one line per org and contact: the same person in two orgs is two
	 * supporters to a file, so the state is kept per org */
	snprintf(j->scope, sizeof(j->scope), "%s#%lld", j->path, org);
	int rc = cs_plugin_contacts(j->host, org, j->scope, plan_one, j, err);
	if (rc == CS_ERR && !err->msg[0])
		cs_err_set(err, CS_ERR, "out of memory planning the jsonl export");
	for (size_t i = 0; rc == 0 && i < j->n && cJSON_GetArraySize(samples) < CS_PLUGIN_SAMPLES;
	     i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "email", j->items[i].email_key);
		cJSON_AddStringToObject(s, "action", "export");
		cJSON_AddItemToArray(samples, s);
	}
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int append_lines(jsonl *j, cs_err *err)
{
	int fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cs_err_set(err, CS_EIO, "cannot open '%s' for appending: %s", j->path,
				  strerror(errno));
	int bad = 0;
	for (size_t i = 0; !bad && i < j->n; i++)
		bad = write_all(fd, j->items[i].payload, strlen(j->items[i].payload)) ||
		      write_all(fd, "\n", 1);
	if (!bad && fsync(fd))
		bad = 1;
	int saved = errno;
	close(fd);
	if (bad)
		return cs_err_set(err, CS_EIO,
				  "cannot write to '%s': %s; nothing was marked as exported, the next "
				  "run writes these contacts again",
				  j->path, strerror(saved));
	return 0;
}

static int jsonl_push(void *self, long long org, cs_push_counts *counts, cs_err *err)
{
	jsonl *j = self;
	(void)org;
	if (j->n == 0)
		return 0;
	int rc = append_lines(j, err);
	cs_plugin_state *st = calloc(j->n, sizeof(*st));
	cs_plugin_outcome *oc = calloc(j->n, sizeof(*oc));
	if (rc == 0 && (!st || !oc))
		rc = cs_err_set(err, CS_ERR, "out of memory");
	for (size_t i = 0; rc == 0 && i < j->n; i++) {
		const pending *p = &j->items[i];
		st[i] = (cs_plugin_state){.scope = j->scope, .email_key = p->email_key,
					  .org_id = p->org_id, .supporter_id = p->supporter_id,
					  .hash = p->hash, .payload = p->payload, .status = "sent"};
		oc[i] = (cs_plugin_outcome){.org_id = p->org_id, .supporter_id = p->supporter_id,
					    .email_key = p->email_key, .action = "export",
					    .status = "ok"};
	}
	if (rc == 0 && (rc = cs_plugin_record(j->host, st, j->n, oc, j->n, err)) == 0) {
		counts->created += (long long)j->n;
		counts->writes += (long long)j->n;
	}
	free(st);
	free(oc);
	clear_pending(j);
	return rc;
}

static void jsonl_close(void *self)
{
	jsonl *j = self;
	if (!j)
		return;
	clear_pending(j);
	free(j->items);
	free(j);
}

const cs_plugin cs_plugin_jsonl = {
	.abi = CS_PLUGIN_ABI,
	.name = "jsonl",
	.summary = "example destination: append changed consenting contacts to a JSON-lines file",
	.keys = jsonl_keys,
	.init = jsonl_init,
	.configure = jsonl_configure,
	.health = jsonl_health,
	.plan = jsonl_plan,
	.push = jsonl_push,
	.close = jsonl_close,
};
