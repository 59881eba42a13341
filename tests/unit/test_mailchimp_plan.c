/* Plan building (mc_plan.c) against a scripted store and a fake Mailchimp:
 * what becomes a create, an update (with or without field changes), a tag
 * change, or nothing; consent, email, rejection and limit rules; the status
 * scan marking locked members; one person shared by two orgs of a list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin/mailchimp/mc_int.h"
#include "test_mailchimp_fake.h"

#include <stdlib.h>
#include <string.h>

enum { C_EMAIL, C_FIRST, C_OPT, C_AMT, C_CNT, C_VTAG, C_EMAILKEY, NCOLS };
static const char *names[NCOLS] = {"email_address", "first_name", "opt_in",
				   "lifetime_donation_amount", "lifetime_donation_count",
				   "value_tag", "email_key"};

typedef struct row {
	const char *v[NCOLS];
	char hash[65];
	char *payload;
	const char *status; /* last-sent status, NULL none */
} row;

typedef struct script {
	row *rows;
	size_t n;
} script;

static script the_script;

static int fake_contacts(cs_store *s, long long org, const char *plugin, const char *scope,
			 cs_contact_cb cb, void *ctx, cs_err *err)
{
	(void)s, (void)plugin, (void)scope, (void)err;
	for (size_t i = 0; i < the_script.n; i++) {
		row *r = &the_script.rows[i];
		cs_contact c = {.org_id = org, .supporter_id = (long long)i + 1,
				.email_key = r->v[C_EMAILKEY], .ncols = NCOLS, .names = names,
				.values = r->v, .sent_hash = r->status ? r->hash : NULL,
				.sent_payload = r->status ? r->payload : NULL, .sent_status = r->status};
		int rc = cb(&c, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static char locked_hash[33];

static void route(mcf_server *s, const mcf_req *r, mcf_answer *a)
{
	(void)s;
	if (!strcmp(r->method, "GET") && strstr(r->path, "/members"))
		mcf_json(a, 200, "{\"members\":[{\"id\":\"%s\",\"status\":\"unsubscribed\"}],"
				 "\"total_items\":1}", locked_hash);
	else
		mcf_json(a, 404, "{}");
}

typedef struct fx {
	mcf_server srv;
	cs_store store;
	cs_plugin_host host;
	mc_plugin mp;
	cs_push_counts counts;
	cJSON *samples;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	cs_err err = {0};
	mc_subscriber_hash("locked@example.org", locked_hash);
	assert_int_equal(mcf_start(&f->srv, route, NULL), 0);
	f->store.contacts = fake_contacts;
	f->host = (cs_plugin_host){.store = &f->store, .plugin = "mailchimp"};
	f->mp.host = &f->host;
	strcpy(f->mp.cfg.tag_prefix, "Classy-");
	assert_int_equal(mc_fields_parse("FNAME,TOTALAMT,DONCNT", f->mp.cfg.fields, MC_MAX_FIELDS,
					 &f->mp.cfg.nfields, &err), 0);
	f->mp.list = "L1";
	cs_idset_init(&f->mp.seen);
	f->mp.client = mcf_client(&f->srv, "k-us1", 2, 0, NULL);
	f->samples = cJSON_CreateArray();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	mc_plan_clear(&f->mp.plan);
	free(f->mp.plan.v);
	for (size_t i = 0; i < f->mp.nnotes; i++) {
		free(f->mp.notes[i].email_key);
		free(f->mp.notes[i].payload);
	}
	free(f->mp.notes);
	mc_members_release(&f->mp.members);
	cs_idset_release(&f->mp.seen);
	mc_client_free(f->mp.client);
	mcf_free(&f->srv);
	cJSON_Delete(f->samples);
	for (size_t i = 0; i < the_script.n; i++)
		free(the_script.rows[i].payload);
	free(the_script.rows);
	the_script = (script){0};
	free(f);
	return 0;
}

/* Adds a contact; with status, its last-sent payload is the row's own with
 * the sent_* values in place of the current ones (NULL: unchanged). */
static row *add(fx *f, const char *email, const char *opt, const char *amt, const char *vtag,
		const char *status, const char *sent_first, const char *sent_amt,
		const char *sent_vtag)
{
	the_script.rows = realloc(the_script.rows, (the_script.n + 1) * sizeof(row));
	row *r = &the_script.rows[the_script.n++];
	memset(r, 0, sizeof(*r));
	r->v[C_EMAIL] = email;
	r->v[C_FIRST] = "Ann";
	r->v[C_OPT] = opt;
	r->v[C_AMT] = amt;
	r->v[C_CNT] = "2";
	r->v[C_VTAG] = vtag;
	r->v[C_EMAILKEY] = email;
	r->status = status;
	if (status) {
		const char *keep[NCOLS];
		memcpy(keep, r->v, sizeof(keep));
		if (sent_first)
			r->v[C_FIRST] = sent_first;
		if (sent_amt)
			r->v[C_AMT] = sent_amt;
		if (sent_vtag)
			r->v[C_VTAG] = sent_vtag;
		cs_contact c = {.ncols = NCOLS, .names = names, .values = r->v};
		r->payload = mc_payload(&f->mp.cfg, &c);
		cs_plugin_payload_hash(r->payload, strlen(r->payload), r->hash);
		memcpy(r->v, keep, sizeof(keep));
	}
	return r;
}

static int plan(fx *f, long long limit, int full)
{
	cs_err err = {0};
	cs_plugin_push_opts o = {.limit = limit, .full = full};
	memset(&f->counts, 0, sizeof(f->counts));
	int rc = mc_plan_org(&f->mp, 1, &o, &f->counts, f->samples, &err);
	if (rc)
		fail_msg("plan: %s", err.msg);
	return rc;
}

static const mc_item *item(fx *f, const char *email)
{
	for (size_t i = 0; i < f->mp.plan.n; i++)
		if (!strcmp(f->mp.plan.v[i].email_key, email))
			return &f->mp.plan.v[i];
	return NULL;
}

static void test_what_becomes_an_item(void **state)
{
	fx *f = *state;
	add(f, "new@example.org", "1", "10", "Small Donor", NULL, NULL, NULL, NULL);
	add(f, "same@example.org", "1", "10", "Small Donor", "sent", NULL, NULL, NULL);
	add(f, "gift@example.org", "1", "2000", "Major Donor", "sent", NULL, "10", "Small Donor");
	add(f, "name@example.org", "1", "10", "Small Donor", "sent", "Anne", NULL, NULL);
	add(f, "nocons@example.org", "0", "10", "Small Donor", NULL, NULL, NULL, NULL);
	add(f, "bad-email", "1", "10", NULL, NULL, NULL, NULL, NULL);
	add(f, "rej@example.org", "1", "10", NULL, "rejected", NULL, NULL, NULL);
	add(f, "t@example.org", "t", "10", NULL, NULL, NULL, NULL, NULL);
	add(f, "locked@example.org", "1", "10", NULL, NULL, NULL, NULL, NULL);
	plan(f, 0, 0);
	assert_int_equal(f->counts.considered, 9);
	assert_int_equal(f->counts.unchanged, 1);         /* same@ */
	assert_int_equal(f->counts.skipped, 4);           /* nocons, bad-email, rej, locked */
	assert_int_equal(f->mp.plan.n, 5);                /* new, gift, name, t, locked */
	const mc_item *it = item(f, "new@example.org");
	assert_non_null(it);
	assert_int_equal(it->kind, MC_CREATE);
	assert_string_equal(it->tags_body, "[{\"name\":\"Classy-Small Donor\",\"status\":\"active\"}]");
	/* a gift moved TOTALAMT and the tier: an update with both */
	it = item(f, "gift@example.org");
	assert_int_equal(it->kind, MC_UPDATE);
	assert_true(it->merge_changed);
	assert_string_equal(it->tags_body, "[{\"name\":\"Classy-Major Donor\",\"status\":\"active\"},"
					   "{\"name\":\"Classy-Small Donor\",\"status\":\"inactive\"}]");
	/* a name change: fields only, no tag call */
	it = item(f, "name@example.org");
	assert_true(it->merge_changed);
	assert_null(it->tags_body);
	assert_non_null(item(f, "t@example.org")); /* 't' is consent as stored */
	assert_null(item(f, "same@example.org"));
	assert_null(item(f, "nocons@example.org"));
	assert_null(item(f, "rej@example.org"));  /* waits for a data change */
	it = item(f, "locked@example.org");       /* planned, then the scan locked it */
	assert_true(it->skipped);
	assert_non_null(it->why);
	assert_string_equal(it->why->title, "Member is unsubscribed");
	/* planned counts exclude the locked one */
	assert_int_equal(f->counts.created, 2);
	assert_int_equal(f->counts.updated, 2);
	/* the status scan ran because there were items */
	assert_true(mcf_count(&f->srv, "GET", "/3.0/lists/L1/members") >= 1);
	assert_int_equal(mcf_count(&f->srv, "PUT", "/"), 0);
	assert_int_equal(mcf_count(&f->srv, "POST", "/"), 0);
}

static void test_quiet_when_nothing_changed(void **state)
{
	fx *f = *state;
	add(f, "a@example.org", "1", "10", "Small Donor", "sent", NULL, NULL, NULL);
	add(f, "b@example.org", "1", "99", NULL, "sent", NULL, NULL, NULL);
	plan(f, 0, 0);
	assert_int_equal(f->mp.plan.n, 0);
	assert_int_equal(f->counts.unchanged, 2);
	assert_int_equal(f->srv.nreqs, 0); /* not even the status scan */
}

static void test_limit_and_consent_withdrawn(void **state)
{
	fx *f = *state;
	add(f, "a@example.org", "1", "10", NULL, NULL, NULL, NULL, NULL);
	add(f, "b@example.org", "1", "10", NULL, NULL, NULL, NULL, NULL);
	add(f, "c@example.org", "1", "10", NULL, NULL, NULL, NULL, NULL);
	add(f, "gone@example.org", "0", "10", NULL, "sent", NULL, NULL, NULL);
	plan(f, 2, 0);
	assert_int_equal(f->mp.plan.n, 2);
	assert_int_equal(f->mp.nnotes, 1);
	assert_string_equal(f->mp.notes[0].status, "consent_withdrawn");
	assert_string_equal(f->mp.notes[0].title, "Consent withdrawn in Classy");
}

static void test_one_person_two_orgs(void **state)
{
	fx *f = *state;
	add(f, "shared@example.org", "1", "10", NULL, NULL, NULL, NULL, NULL);
	plan(f, 0, 0);
	assert_int_equal(f->mp.plan.n, 1);
	plan(f, 0, 0); /* the second org of the same list */
	assert_int_equal(f->mp.plan.n, 0);
	assert_int_equal(f->counts.skipped, 1);
}

int main(void)
{
	cs_http_global_init(&(cs_err){0});
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_what_becomes_an_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_when_nothing_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_and_consent_withdrawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_person_two_orgs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
