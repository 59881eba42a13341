/* Planning: every contact of the org against what was last sent (or, with
 * --full, against Mailchimp's own data). Only contacts whose canonical
 * payload changed become items, which is why a stats-only change (a new
 * gift moving TOTALAMT and a tag) is seen even though the supporter's
 * updated_at did not move, and why a rerun with nothing changed has no
 * item and sends nothing. Makes no write request. */
#include "plugin/mailchimp/mc_int.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_note(mc_plugin *mp, const cs_contact *c, const char *status, const char *hash,
		    const char *payload, const char *title, const char *detail)
{
	mc_note *v = cs_buf_grow_array(mp->notes, &mp->capnotes, mp->nnotes, sizeof(*v), 64);
	if (!v)
		return CS_ERR;
	mp->notes = v;
	mc_note *n = &mp->notes[mp->nnotes++];
	*n = (mc_note){.org_id = c->org_id, .supporter_id = c->supporter_id,
		       .email_key = strdup(c->email_key), .payload = payload ? strdup(payload) : NULL,
		       .scope = mp->list, .status = status, .title = title, .detail = detail};
	snprintf(n->hash, sizeof(n->hash), "%s", hash ? hash : "");
	return n->email_key ? 0 : CS_ERR;
}

static void add_sample(mc_plugin *mp, const char *email, const char *action, cJSON *changes,
		       cJSON *add, cJSON *remove, const char *reason)
{
	if (cJSON_GetArraySize(mp->samples) >= CS_PLUGIN_SAMPLES) {
		cJSON_Delete(changes);
		cJSON_Delete(add);
		cJSON_Delete(remove);
		return;
	}
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "email", email);
	cJSON_AddStringToObject(s, "action", action);
	cJSON_AddItemToObject(s, "changes", changes ? changes : cJSON_CreateArray());
	cJSON_AddItemToObject(s, "tags_add", add ? add : cJSON_CreateArray());
	cJSON_AddItemToObject(s, "tags_remove", remove ? remove : cJSON_CreateArray());
	if (reason)
		cJSON_AddStringToObject(s, "reason", reason);
	cJSON_AddItemToArray(mp->samples, s);
}

/* Contacts that may not be sent: reported once per change of state. */
static int plan_unsendable(mc_plugin *mp, const cs_contact *c, int verdict)
{
	const char *st = c->sent_status ? c->sent_status : "";
	mp->counts->skipped++;
	if (verdict == CS_PLUGIN_CONTACT_NO_CONSENT) {
		/* never sent: nothing to say; sent before: report, never unsubscribe */
		if (strcmp(st, "sent"))
			return 0;
		add_sample(mp, c->email_key, "report", NULL, NULL, NULL,
			   "consent withdrawn in Classy: left as is in Mailchimp");
		return add_note(mp, c, "consent_withdrawn", c->sent_hash, c->sent_payload,
				"Consent withdrawn in Classy",
				"opt_in is no longer true; classy-sync never unsubscribes, so the "
				"member was left as is in Mailchimp: unsubscribe them there if needed");
	}
	if (!strcmp(st, "invalid_email"))
		return 0;
	return add_note(mp, c, "invalid_email", NULL, NULL, "Invalid email address",
			"the email address is not valid; fix it in Classy to have it sent");
}

static int64_t seen_key(const char *list, const char *shash)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a of the list id */
	for (const char *p = list; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	char hex[15];
	memcpy(hex, shash, 14);
	hex[14] = '\0';
	return (int64_t)((strtoull(hex, NULL, 16) ^ h) & 0x7fffffffffffffffULL) | 1;
}

/* The old side of the diff: Mailchimp's data with --full, else what was
 * last sent. Returns the kind of change. */
static int old_side(mc_plugin *mp, const cs_contact *c, const char *shash, cJSON **old_doc,
		    const cJSON **old_merge, const cJSON **old_tags, const char **locked)
{
	*old_doc = NULL;
	*old_merge = *old_tags = NULL;
	*locked = NULL;
	if (mp->full) {
		const mc_member *m = mc_members_find(&mp->members, shash);
		if (!m)
			return MC_CREATE;
		if (mc_status_locked(m->status))
			*locked = m->status;
		*old_merge = m->merge;
		*old_tags = m->tags;
		return MC_UPDATE;
	}
	const char *st = c->sent_status ? c->sent_status : "";
	if (strcmp(st, "sent") && strcmp(st, "consent_withdrawn"))
		return MC_CREATE;
	*old_doc = c->sent_payload ? cJSON_Parse(c->sent_payload) : NULL;
	*old_merge = cJSON_GetObjectItem(*old_doc, "merge_fields");
	*old_tags = cJSON_GetObjectItem(*old_doc, "tags");
	return MC_UPDATE;
}

static char *tags_body(const cJSON *add, const cJSON *remove)
{
	if (cJSON_GetArraySize(add) + cJSON_GetArraySize(remove) == 0)
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	const cJSON *lists[2] = {add, remove};
	for (int k = 0; k < 2; k++) {
		const cJSON *t;
		cJSON_ArrayForEach(t, lists[k])
		{
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", t->valuestring);
			cJSON_AddStringToObject(o, "status", k ? "inactive" : "active");
			cJSON_AddItemToArray(arr, o);
		}
	}
	char *s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return s;
}

static mc_item *new_item(mc_plan *p)
{
	mc_item *v = cs_buf_grow_array(p->v, &p->cap, p->n, sizeof(*v), 256);
	if (!v)
		return NULL;
	p->v = v;
	mc_item *it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* An item whose member Mailchimp holds as unsubscribed, cleaned or
 * archived: skipped, with the reason, and never sent. */
static void skip_locked(mc_plugin *mp, mc_item *it, const char *status)
{
	it->skipped = 1;
	mc_why *w = mc_item_why(it);
	snprintf(w->title, sizeof(w->title), "Member is %s", status);
	snprintf(w->detail, sizeof(w->detail),
		 "Mailchimp holds this member as %s; classy-sync never changes that", status);
	mp->counts->skipped++;
}

typedef struct diff {
	int kind, merge_changed, ntags;
	const char *locked;
	cJSON *changes, *add, *remove;
} diff;

static int make_item(mc_plugin *mp, const cs_contact *c, char *payload, const char *phash,
		     const char *shash, diff *d)
{
	mc_item *it = new_item(&mp->plan);
	if (!it)
		return CS_ERR;
	const char *email = cs_plugin_contact_get(c, "email_address");
	*it = (mc_item){.org_id = c->org_id, .supporter_id = c->supporter_id,
			.email_key = strdup(c->email_key), .email = strdup(email ? email : ""),
			.payload = payload, .tags_body = tags_body(d->add, d->remove),
			.kind = d->kind, .merge_changed = d->merge_changed};
	memcpy(it->phash, phash, sizeof(it->phash));
	memcpy(it->shash, shash, sizeof(it->shash));
	if (d->locked) {
		skip_locked(mp, it, d->locked);
	} else {
		mp->counts->created += d->kind == MC_CREATE;
		mp->counts->updated += d->kind == MC_UPDATE && d->merge_changed;
		mp->counts->tagged += d->ntags > 0;
	}
	add_sample(mp, c->email_key, d->locked ? "skip" : d->kind == MC_CREATE ? "create" : "update",
		   d->changes, d->add, d->remove, d->locked ? mc_item_why(it)->title : NULL);
	d->changes = d->add = d->remove = NULL;
	return it->email_key && it->email ? 0 : CS_ERR;
}

/* Diffs a sendable contact and adds an item when something changed. */
static int plan_sendable(mc_plugin *mp, const cs_contact *c, char *payload, const char *phash,
			 const char *shash)
{
	cJSON *doc = cJSON_Parse(payload), *old_doc = NULL;
	const cJSON *old_merge, *old_tags;
	diff d = {.changes = cJSON_CreateArray(), .add = cJSON_CreateArray(),
		  .remove = cJSON_CreateArray()};
	d.kind = old_side(mp, c, shash, &old_doc, &old_merge, &old_tags, &d.locked);
	const cJSON *new_tags = cJSON_GetObjectItem(doc, "tags");
	d.merge_changed = mc_merge_diff(old_merge, cJSON_GetObjectItem(doc, "merge_fields"),
					d.changes);
	d.ntags = mc_tags_minus(new_tags, old_tags, d.add) + mc_tags_minus(old_tags, new_tags, d.remove);
	int rc = 0;
	if (d.kind == MC_UPDATE && !d.merge_changed && !d.ntags && !d.locked) {
		/* --full found Mailchimp already right: only our state catches up */
		mp->counts->unchanged++;
		rc = add_note(mp, c, "sent", phash, payload, NULL, NULL);
		free(payload);
	} else {
		rc = make_item(mp, c, payload, phash, shash, &d);
	}
	cJSON_Delete(d.changes);
	cJSON_Delete(d.add);
	cJSON_Delete(d.remove);
	cJSON_Delete(old_doc);
	cJSON_Delete(doc);
	return rc;
}

static int plan_contact(const cs_contact *c, void *ctx)
{
	mc_plugin *mp = ctx;
	mp->counts->considered++;
	int verdict = cs_plugin_contact_verdict(c);
	if (verdict != CS_PLUGIN_CONTACT_SEND)
		return plan_unsendable(mp, c, verdict);
	char *payload = mc_payload(&mp->cfg, c), phash[65], shash[33];
	if (!payload)
		return CS_ERR;
	cs_plugin_payload_hash(payload, strlen(payload), phash);
	mc_subscriber_hash(cs_plugin_contact_get(c, "email_address"), shash);
	int added = cs_idset_add(&mp->seen, seen_key(mp->list, shash));
	if (added > 0 && c->sent_org_id && c->sent_org_id != c->org_id)
		added = 0; /* another org of this audience pushed this person first: theirs */
	const char *st = c->sent_status ? c->sent_status : "";
	int same = c->sent_hash && !strcmp(c->sent_hash, phash);
	/* --full re-plans what was sent, but a permanent rejection still waits
	 * for the supporter's data to change */
	int settled = same && (!mp->full || !strcmp(st, "rejected"));
	if (added <= 0 || settled ||
	    (mp->limit && (long long)mp->plan.n >= mp->limit)) {
		/* another org of this list already has this person, or nothing
		 * changed (rejected and skipped ones wait for a change), or the
		 * limit is reached (the rest goes next run) */
		int rc = added < 0 ? CS_ERR : 0;
		if (added == 0)
			mp->counts->skipped++;
		else if (added > 0 && settled && !strcmp(st, "consent_withdrawn"))
			/* consent is back and Mailchimp still has this data */
			rc = add_note(mp, c, "sent", phash, payload, NULL, NULL);
		if (added > 0 && settled)
			*(strcmp(st, "rejected") && strcmp(st, "skipped") ? &mp->counts->unchanged
									  : &mp->counts->skipped) += 1;
		free(payload);
		return rc;
	}
	return plan_sendable(mp, c, payload, phash, shash);
}

/* Marks items whose member is unsubscribed, cleaned or archived. */
static void apply_locked(mc_plugin *mp)
{
	for (size_t i = 0; i < mp->plan.n; i++) {
		mc_item *it = &mp->plan.v[i];
		const mc_member *m = mc_members_find(&mp->members, it->shash);
		if (it->skipped || !m || !mc_status_locked(m->status))
			continue;
		skip_locked(mp, it, m->status);
		mp->counts->created -= it->kind == MC_CREATE;
		mp->counts->updated -= it->kind == MC_UPDATE && it->merge_changed;
		mp->counts->tagged -= it->tags_body != NULL;
	}
}

mc_why *mc_item_why(mc_item *it)
{
	static mc_why fallback;
	if (!it->why)
		it->why = calloc(1, sizeof(*it->why));
	return it->why ? it->why : &fallback;
}

void mc_plan_clear(mc_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].why);
		free(p->v[i].email_key);
		free(p->v[i].email);
		free(p->v[i].payload);
		cJSON_free(p->v[i].tags_body);
	}
	p->n = 0;
}

int mc_plan_org(mc_plugin *mp, long long org, const cs_plugin_push_opts *opts,
		cs_push_counts *counts, cJSON *samples, cs_err *err)
{
	mc_plan_clear(&mp->plan);
	mc_members_release(&mp->members);
	mp->full = opts->full;
	mp->limit = opts->limit;
	mp->counts = counts;
	mp->samples = samples;
	int rc = 0;
	if (mp->full)
		rc = mc_members_fetch(mp->client, &mp->cfg, mp->list, 1, &mp->members, err);
	if (rc == 0)
		rc = cs_plugin_contacts(mp->host, org, mp->list, plan_contact, mp, err);
	if (rc == CS_ERR && !err->msg[0])
		rc = cs_err_set(err, CS_ERR, "out of memory planning the mailchimp push");
	/* the status scan, only when something is to be written */
	if (rc == 0 && !mp->full && mp->plan.n > 0)
		rc = mc_members_fetch(mp->client, &mp->cfg, mp->list, 0, &mp->members, err);
	if (rc == 0 && !mp->full)
		apply_locked(mp);
	return rc;
}
