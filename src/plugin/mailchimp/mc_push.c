/* Executing a plan, conservatively:
 *  1. new contacts: batch subscribe, 500 per call, update_existing false,
 *     each member with the documented `status` (MAILCHIMP_STATUS_IF_NEW).
 *     With update_existing false Mailchimp applies it only to a member that
 *     does not exist: one that exists comes back as ERROR_CONTACT_EXISTS,
 *     its status untouched, and becomes an update;
 *  2. updates (PUT with status_if_new, never status) and tag changes
 *     (is_syncing true), over the connection pool, or through /batches
 *     when there are many;
 *  3. outcomes and last-sent state, per contact, in transactions of 1000.
 * Never DELETE, never archive, never set the status of a member that
 * exists (no `status` in a PUT, never update_existing true). A transient
 * failure leaves the contact's state as it was, so the next run tries
 * again; a permanent rejection is remembered with the payload hash, so it
 * is not retried until the supporter's data changes. */
#include "plugin/mailchimp/mc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void set_result(mc_item *it, int *flag, const char *action, const mc_result *r,
		       const char *title, const char *detail)
{
	*flag = 1;
	it->failed_action = action;
	mc_why *w = mc_item_why(it);
	snprintf(w->title, sizeof(w->title), "%s", title ? title : r ? r->title : "");
	snprintf(w->detail, sizeof(w->detail), "%s", detail ? detail : r ? r->detail : "");
	if (r)
		snprintf(w->request_id, sizeof(w->request_id), "%s", r->instance);
}

/* A 4xx that will not change until the data does: rejected or, for a
 * compliance state, skipped. Anything else (429, 5xx, transport) failed. */
static void judge(mc_item *it, const char *action, const mc_result *r)
{
	if (r->transient || r->status == 0 || r->status == 429 || r->status >= 500 ||
	    r->status == 404 || r->status == 401 || r->status == 403)
		set_result(it, &it->failed, action, r, r->title[0] ? NULL : "No answer", NULL);
	else if (!strcasecmp(r->title, "Member In Compliance State"))
		set_result(it, &it->skipped, action, r, NULL, NULL);
	else
		set_result(it, &it->rejected, action, r, NULL, NULL);
}

/* ---- 1. batch subscribe ---- */

static char *subscribe_body(const mc_config *cfg, mc_item **items, size_t n)
{
	cJSON *root = cJSON_CreateObject(), *members = cJSON_AddArrayToObject(root, "members");
	for (size_t i = 0; i < n; i++) {
		cJSON *doc = cJSON_Parse(items[i]->payload), *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "email_address", items[i]->email);
		/* the schema's field (Add_List_Members); status_if_new is not in
		 * it. update_existing false below keeps it off existing members. */
		cJSON_AddStringToObject(m, "status", cfg->status_if_new);
		cJSON_AddItemToObject(m, "merge_fields",
				      cJSON_DetachItemFromObject(doc, "merge_fields"));
		cJSON_AddItemToArray(members, m);
		cJSON_Delete(doc);
	}
	cJSON_AddBoolToObject(root, "update_existing", 0);
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static mc_item *by_email(mc_item **items, size_t n, const char *email)
{
	char h[33];
	if (!email)
		return NULL;
	mc_subscriber_hash(email, h);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(items[i]->shash, h))
			return items[i];
	return NULL;
}

/* Reads one batch-subscribe answer into its items. */
static void take_subscribe(const mc_result *r, mc_item **items, size_t n)
{
	if (r->status != 200 || r->transient) {
		for (size_t i = 0; i < n; i++)
			judge(items[i], "create", r);
		return;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(r->body, "new_members"))
	{
		mc_item *it = by_email(items, n, cJSON_GetStringValue(cJSON_GetObjectItem(e, "email_address")));
		if (it)
			it->created = 1;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(r->body, "errors"))
	{
		mc_item *it = by_email(items, n, cJSON_GetStringValue(cJSON_GetObjectItem(e, "email_address")));
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(e, "error_code"));
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(e, "error"));
		if (!it)
			continue;
		if (code && !strcmp(code, "ERROR_CONTACT_EXISTS")) {
			it->kind = MC_UPDATE; /* update it in place, status untouched */
			it->merge_changed = 1;
			continue;
		}
		const char *title = msg && strstr(msg, "permanently deleted")
					    ? "Forgotten Email Not Subscribed"
				    : msg && strstr(msg, "fake or invalid") ? "Invalid Resource"
									    : "Batch subscribe error";
		set_result(it, &it->rejected, "create", r, title, msg ? msg : code);
	}
	for (size_t i = 0; i < n; i++) {
		mc_item *it = items[i];
		if (!it->created && it->kind == MC_CREATE && !it->rejected && !it->failed)
			set_result(it, &it->failed, "create", r, "No result",
				   "the batch-subscribe answer did not mention this member");
	}
}

/* Chunks go out in waves of `concurrency`, and each wave's answers (500
 * member objects apiece) are read and freed before the next: memory stays
 * bounded however many contacts are new. */
static int run_creates(mc_plugin *mp, cs_err *err)
{
	mc_plan *p = &mp->plan;
	size_t wave = (size_t)mp->cfg.concurrency;
	mc_item **items = malloc((p->n + 1) * sizeof(*items));
	mc_op *ops = calloc(wave, sizeof(*ops));
	size_t n = 0;
	int rc = items && ops ? 0 : cs_err_set(err, CS_ERR, "out of memory");
	for (size_t i = 0; rc == 0 && i < p->n; i++)
		if (p->v[i].kind == MC_CREATE && !p->v[i].skipped)
			items[n++] = &p->v[i];
	char path[128];
	snprintf(path, sizeof(path), "/lists/%s", mp->list);
	for (size_t at = 0; rc == 0 && at < n; at += wave * MC_SUBSCRIBE_CHUNK) {
		size_t nops = 0;
		for (size_t c = at; c < n && nops < wave; c += MC_SUBSCRIBE_CHUNK, nops++) {
			size_t k = n - c < MC_SUBSCRIBE_CHUNK ? n - c : MC_SUBSCRIBE_CHUNK;
			ops[nops] = (mc_op){.method = "POST", .path = strdup(path),
					    .body = subscribe_body(&mp->cfg, items + c, k)};
			snprintf(ops[nops].id, sizeof(ops[nops].id), "subscribe-%zu", c);
		}
		rc = mc_run_parallel(mp->client, ops, nops, err);
		/* every op has a result, a transient one when the run stopped early */
		for (size_t o = 0; o < nops; o++) {
			size_t c = at + o * MC_SUBSCRIBE_CHUNK;
			take_subscribe(&ops[o].res, items + c,
				       n - c < MC_SUBSCRIBE_CHUNK ? n - c : MC_SUBSCRIBE_CHUNK);
		}
		mc_ops_release(ops, nops);
	}
	/* a wave that never ran leaves its items without a result: not finished */
	free(ops);
	free(items);
	return rc;
}

/* ---- 2. updates and tags ---- */

static char *put_body(const mc_config *cfg, const mc_item *it)
{
	cJSON *doc = cJSON_Parse(it->payload), *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "email_address", it->email);
	cJSON_AddStringToObject(b, "status_if_new", cfg->status_if_new);
	cJSON_AddItemToObject(b, "merge_fields", cJSON_DetachItemFromObject(doc, "merge_fields"));
	char *s = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	cJSON_Delete(doc);
	return s;
}

static char *tags_request(const mc_item *it)
{
	size_t n = strlen(it->tags_body) + 40;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "{\"tags\":%s,\"is_syncing\":true}", it->tags_body);
	return s;
}

static int alive(const mc_item *it)
{
	return !it->failed && !it->rejected && !it->skipped;
}

/* Builds the PUT and tag operations; op.user is the item, op.id tells
 * which ("p" or "t" + index). */
/* The operations of one item (a PUT when fields changed, a tag call when
 * tags did) into ops; returns how many. op.user is the item, op.id says
 * which ("p" or "t" + item index). */
static size_t item_ops(mc_plugin *mp, size_t i, mc_op *ops)
{
	mc_item *it = &mp->plan.v[i];
	char path[256];
	size_t n = 0;
	if (!alive(it))
		return 0;
	if (it->kind == MC_UPDATE && it->merge_changed) {
		snprintf(path, sizeof(path), "/lists/%s/members/%s", mp->list, it->shash);
		ops[n] = (mc_op){.method = "PUT", .path = strdup(path),
				 .body = put_body(&mp->cfg, it), .user = it};
		snprintf(ops[n++].id, sizeof(ops->id), "p%zu", i);
	}
	if (it->tags_body) {
		snprintf(path, sizeof(path), "/lists/%s/members/%s/tags", mp->list, it->shash);
		ops[n] = (mc_op){.method = "POST", .path = strdup(path), .body = tags_request(it),
				 .user = it};
		snprintf(ops[n++].id, sizeof(ops->id), "t%zu", i);
	}
	return n;
}

/* How many operations the plan's updates make (to pick the route). */
static size_t count_updates(const mc_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const mc_item *it = &p->v[i];
		if (alive(it))
			n += (it->kind == MC_UPDATE && it->merge_changed) + (it->tags_body != NULL);
	}
	return n;
}

static void take_update(mc_op *op)
{
	mc_item *it = op->user;
	const mc_result *r = &op->res;
	int is_put = op->id[0] == 'p';
	const char *action = is_put ? "update" : "tags";
	if (r->status < 200 || r->status >= 300 || r->transient) {
		if (alive(it))
			judge(it, action, r);
		return;
	}
	if (!is_put) {
		it->tagged = 1;
		return;
	}
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "status"));
	if (mc_status_locked(st)) /* changed since the scan: say so, change nothing more */
		set_result(it, &it->skipped, action, r, "Member In Compliance State", st);
	else
		it->updated = 1;
}

/* Like the creates, in waves built, sent, read and freed one after the
 * other: `concurrency` batches of MC_BATCH_CHUNK operations, or 100 direct
 * requests per connection, so memory does not grow with the plan. */
static int run_updates(mc_plugin *mp, cs_err *err)
{
	int batches = count_updates(&mp->plan) >= (size_t)mp->cfg.batch_min;
	size_t wave = (size_t)mp->cfg.concurrency * (batches ? MC_BATCH_CHUNK : 100);
	mc_op *ops = calloc(wave + 2, sizeof(*ops)); /* an item adds up to 2 */
	if (!ops)
		return cs_err_set(err, CS_ERR, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < mp->plan.n;) {
		size_t k = 0;
		while (i < mp->plan.n && k < wave)
			k += item_ops(mp, i++, ops + k);
		if (rc == 0 && k)
			rc = batches ? mc_run_batches(mp->client, ops, k, MC_BATCH_CHUNK, err)
				     : mc_run_parallel(mp->client, ops, k, err);
		/* after a stop the rest keep no result: judged failed, retried next run */
		for (size_t j = 0; j < k; j++)
			take_update(&ops[j]);
		mc_ops_release(ops, k);
		memset(ops, 0, k * sizeof(*ops));
	}
	free(ops);
	return rc;
}

/* ---- 3. outcomes and state ---- */

#define RECORD_CHUNK 1000

/* Whether every action planned for an item that did not fail was done. */
static int complete(const mc_item *it)
{
	return (it->kind != MC_CREATE || it->created) &&
	       (it->kind != MC_UPDATE || !it->merge_changed || it->updated) &&
	       (!it->tags_body || it->tagged);
}

static size_t outcomes_of(mc_item *it, const char *scope, cs_plugin_outcome *oc,
			  cs_plugin_state *st, size_t *nst)
{
	if (alive(it) && !complete(it))
		set_result(it, &it->failed, "update", NULL, "Not finished",
			   "the run stopped before all of this contact's changes were sent; the "
			   "next run sends them");
	size_t n = 0;
	cs_plugin_outcome base = {.org_id = it->org_id, .supporter_id = it->supporter_id,
				  .email_key = it->email_key};
	const char *verdict = it->failed ? "failed" : it->rejected ? "rejected" : "skipped";
	if (it->created)
		oc[n] = base, oc[n].action = "create", oc[n++].status = "ok";
	if (it->updated)
		oc[n] = base, oc[n].action = "update", oc[n++].status = "ok";
	if (it->tagged)
		oc[n] = base, oc[n].action = "tags", oc[n++].status = "ok";
	if (!alive(it)) {
		oc[n] = base;
		oc[n].action = it->skipped && !it->failed_action ? "skip" : it->failed_action;
		oc[n].status = verdict;
		const mc_why *w = mc_item_why(it);
		oc[n].error_title = w->title;
		oc[n].error_detail = w->detail;
		oc[n++].request_id = w->request_id[0] ? w->request_id : NULL;
	}
	if (!it->failed) /* a transient failure keeps the old state: retried next run */
		st[(*nst)++] = (cs_plugin_state){
			.scope = scope, .email_key = it->email_key, .org_id = it->org_id,
			.supporter_id = it->supporter_id, .hash = it->phash, .payload = it->payload,
			.status = alive(it) ? "sent" : it->rejected ? "rejected" : "skipped"};
	return n;
}

static int record_items(mc_plugin *mp, cs_err *err)
{
	cs_plugin_outcome *oc = calloc(RECORD_CHUNK * 4, sizeof(*oc));
	cs_plugin_state *st = calloc(RECORD_CHUNK, sizeof(*st));
	int rc = oc && st ? 0 : cs_err_set(err, CS_ERR, "out of memory");
	for (size_t at = 0; rc == 0 && at < mp->plan.n; at += RECORD_CHUNK) {
		size_t noc = 0, nst = 0;
		for (size_t i = at; i < mp->plan.n && i < at + RECORD_CHUNK; i++)
			noc += outcomes_of(&mp->plan.v[i], mp->list, oc + noc, st, &nst);
		rc = cs_plugin_record(mp->host, st, nst, oc, noc, err);
	}
	free(oc);
	free(st);
	return rc;
}

int mc_flush_pending(mc_plugin *mp, cs_err *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < mp->nnotes; i++) {
		const mc_note *n = &mp->notes[i];
		cs_plugin_state st = {.scope = n->scope, .email_key = n->email_key,
				      .org_id = n->org_id, .supporter_id = n->supporter_id,
				      .hash = n->hash[0] ? n->hash : NULL, .payload = n->payload,
				      .status = n->status};
		cs_plugin_outcome oc = {.org_id = n->org_id, .supporter_id = n->supporter_id,
					.email_key = n->email_key, .action = "report",
					.status = "skipped", .error_title = n->title,
					.error_detail = n->detail};
		rc = cs_plugin_record(mp->host, &st, 1, &oc, n->title ? 1 : 0, err);
	}
	return rc;
}

static void tally(const mc_plan *p, cs_push_counts *c)
{
	c->created = c->updated = c->tagged = c->rejected = c->failed = 0;
	for (size_t i = 0; i < p->n; i++) {
		const mc_item *it = &p->v[i];
		c->created += it->created;
		c->updated += it->updated;
		c->tagged += it->tagged;
		c->rejected += it->rejected;
		c->failed += it->failed;
		/* skipped at plan time were counted then; later skips now */
		c->skipped += it->skipped && it->failed_action;
	}
}

int mc_push_plan(mc_plugin *mp, cs_push_counts *counts, cs_err *err)
{
	mc_stats before, after;
	mc_client_stats(mp->client, &before);
	int rc = mc_flush_pending(mp, err);
	if (rc == 0 && mp->plan.n)
		rc = run_creates(mp, err);
	if (rc == 0 && mp->plan.n)
		rc = run_updates(mp, err);
	/* whatever happened, what was done is recorded */
	cs_err rerr = {0};
	int rrc = record_items(mp, &rerr);
	if (rrc && rc == 0) {
		*err = rerr;
		rc = rrc;
	}
	tally(&mp->plan, counts);
	mc_client_stats(mp->client, &after);
	counts->requests += after.requests - before.requests;
	counts->writes += after.writes - before.writes;
	return rc;
}
