/* `db seed --demo`: a small generated demo organization so the views can
 * be explored without credentials. It goes through the store's own page
 * path (page_begin, page_upsert, page_commit) with records shaped like the
 * API's, so it exercises the real mapping, and is skipped when organization
 * 1 exists. Deterministic apart from being dated relative to now. It must
 * never touch an organization other than the demo's. */
#include "store/sql/sqlstore.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- demo organization ------------------------------------------------ */

#define DEMO_ORG 1LL
#define DAY_MS 86400000LL

enum { DEMO_SUPPORTERS = 60, DEMO_PLANS = 15 };

/* Supporters cycle through these profiles, so every value tier, engagement
 * and frequency segment is populated (profile comments: value / engagement /
 * frequency). Per-gift cents vary by less than one unit, never enough to
 * leave the band. */
static const struct demo_profile {
	int gifts;       /* successful gifts */
	int cents;       /* per gift */
	int last_days;   /* days since the latest gift */
	int plan;        /* has a recurring plan */
} profiles[] = {
	{12, 100000, 10, 1}, /* Transformational / Recent / Loyal */
	{6, 100000, 45, 0},  /* Principal / Active / Frequent */
	{2, 125000, 120, 0}, /* Major / Warm / Repeat */
	{4, 5000, 200, 0},   /* Regular / Cooling / Frequent */
	{1, 5000, 400, 0},   /* Small / Lapsed / One-Time */
	{1, 1000, 800, 0},   /* First-Time / Dormant / One-Time */
	{27, 2500, 5, 1},    /* Regular / Recent / Champion */
	{0, 0, 30, 0},       /* only a failed attempt: no segments */
	{3, 4000, 20, 0},    /* Regular / Recent / Repeat */
	{11, 12000, 70, 1},  /* Major / Active / Loyal */
	{1, 500, 2, 0},      /* First-Time / Recent / One-Time */
	{0, 0, 0, 0},        /* never gave */
};

static const char *const first_names[] = {
	"Ana", "José", "Zoë", "Łukasz", "Søren", "Chloé",
	"美咲", "Björn", "Anaïs", "Olúwaseun", "Ólafur", "Grace",
};
static const char *const last_names[] = {
	"Smith", "Müller", "García", "O'Brien", "Nguyễn",
	"Østergaard", "Dvořák", "Kowalski", "田中", "Ndiaye",
};

static const struct demo_campaign {
	long long id;
	const char *name, *status;
	int goal;          /* 0: no goal */
	int started_days;  /* ago */
	int ended_days;    /* ago; negative = ends in the future; 0 = open-ended */
} campaigns[] = {
	{101, "Annual Fund", "active", 50000, 1100, 0},
	{102, "Spring Gala", "deactivated", 20000, 420, 300},
	{103, "Year-End Match", "active", 0, 60, -30},
};

static const struct {
	const char *frequency;
	int cents;
} plan_kinds[] = {
	{"monthly", 15000}, {"yearly", 120000}, {"quarterly", 30000}, {"weekly", 2500},
	{"bi-weekly", 5000}, {"daily", 300},    {"semi-annually", 60000}, {"bi-monthly", 10000},
};

static const char *const plan_statuses[] = {"active", "active", "cancelled", "active",
					    "completed"};
static const char *const failed_statuses[] = {"failed", "refunded", "pending", "cancel"};

typedef struct demo {
	cs_sql_store *s;
	long long now_ms;
	long long next_tx;
	long long records;
} demo;

/* Adds a time `days` (plus a few seconds) ago; every fifth with ms, as the
 * API mixes both forms. */
static void add_time(cJSON *o, const char *name, const demo *d, long long days, long long salt)
{
	char t[CS_TIME_BUFSZ];
	long long ms = d->now_ms - days * DAY_MS - (salt % 3600) * 1000 - (salt % 1000);
	cs_time_format(ms, salt % 5 == 0, t);
	cJSON_AddStringToObject(o, name, t);
}

static void add_money(cJSON *o, const char *name, long long cents)
{
	cJSON_AddNumberToObject(o, name, (double)cents / 100.0);
}

/* Hands one record to the page in flight and frees it. */
static int put(demo *d, int entity, cJSON *o, cs_err *err)
{
	int rc = CS_ERR;
	char *raw = o ? cJSON_PrintUnformatted(o) : NULL;
	if (!raw) {
		cs_err_set(err, CS_ERR, "cannot build the demo organization: out of memory");
		goto out;
	}
	cs_record rec = {o, raw, strlen(raw), 0, NULL};
	rc = d->s->base.page_upsert(&d->s->base, &cs_entities[entity], DEMO_ORG, &rec, err);
	if (!rc)
		d->records++;
out:
	free(raw);
	cJSON_Delete(o);
	return rc;
}

static cJSON *record(long long id)
{
	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddNumberToObject(o, "organization_id", (double)DEMO_ORG);
	}
	return o;
}

static int demo_campaigns(demo *d, cs_err *err)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < ARRAY_LEN(campaigns); i++) {
		const struct demo_campaign *c = &campaigns[i];
		cJSON *o = record(c->id);
		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "status", c->status);
		cJSON_AddStringToObject(o, "type", "crowdfunding");
		cJSON_AddStringToObject(o, "currency_code", "USD");
		if (c->goal)
			add_money(o, "goal", c->goal * 100LL);
		else
			cJSON_AddNullToObject(o, "goal");
		add_time(o, "started_at", d, c->started_days, 0);
		if (c->ended_days)
			add_time(o, "ended_at", d, c->ended_days, 0);
		else
			cJSON_AddNullToObject(o, "ended_at");
		add_time(o, "created_at", d, c->started_days + 7, 0);
		add_time(o, "updated_at", d, 1, (long long)i);
		rc = put(d, CS_ENT_CAMPAIGNS, o, err);
	}
	return rc;
}

static long long supporter_id(int i)
{
	return 1001 + i;
}

static int demo_supporters(demo *d, cs_err *err)
{
	int rc = 0;
	for (int i = 0; !rc && i < DEMO_SUPPORTERS; i++) {
		cJSON *o = record(supporter_id(i));
		char email[64];
		cJSON_AddStringToObject(o, "first_name", first_names[i % ARRAY_LEN(first_names)]);
		cJSON_AddStringToObject(o, "last_name",
					last_names[(i * 7) % ARRAY_LEN(last_names)]);
		snprintf(email, sizeof(email), "donor%d@example.org", i + 1);
		if (i % 7 == 3)
			cJSON_AddNullToObject(o, "email_address");
		else
			cJSON_AddStringToObject(o, "email_address", email);
		cJSON_AddBoolToObject(o, "opt_in", i % 3 != 0);
		cJSON_AddStringToObject(o, "origin", "demo");
		cJSON_AddStringToObject(o, "country", i % 4 ? "US" : "CA");
		add_time(o, "created_at", d, 1100 - i, i);
		add_time(o, "updated_at", d, 1, i);
		rc = put(d, CS_ENT_SUPPORTERS, o, err);
	}
	return rc;
}

/* A gift's campaign follows its date, so each campaign gets a share. */
static long long campaign_for(long long days)
{
	if (days < 60)
		return 103;
	if (days >= 300 && days <= 420)
		return 102;
	return 101;
}

static int add_tx(demo *d, long long sup, const char *status, long long cents, long long days,
		  long long plan, cs_err *err)
{
	long long id = d->next_tx++;
	cJSON *o = record(id);
	cJSON_AddNumberToObject(o, "supporter_id", (double)sup);
	cJSON_AddNumberToObject(o, "campaign_id", (double)campaign_for(days));
	if (plan)
		cJSON_AddNumberToObject(o, "recurring_donation_plan_id", (double)plan);
	else
		cJSON_AddNullToObject(o, "recurring_donation_plan_id");
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddStringToObject(o, "frequency", plan ? "monthly" : "one-time");
	cJSON_AddStringToObject(o, "payment_method", id % 3 ? "cc" : "ach");
	cJSON_AddStringToObject(o, "currency_code", "USD");
	add_money(o, "total_gross_amount", cents);
	add_money(o, "donation_gross_amount", cents);
	add_money(o, "fees_amount", cents * 3 / 100);
	add_money(o, "donation_net_amount", cents - cents * 3 / 100);
	add_time(o, "purchased_at", d, days, id);
	add_time(o, "created_at", d, days, id);
	add_time(o, "updated_at", d, days > 1 ? days - 1 : 0, id);
	return put(d, CS_ENT_TRANSACTIONS, o, err);
}

static long long plan_id(int i)
{
	return 5001 + i;
}

/* Gifts run from the latest back over up to three years. */
static int demo_gifts(demo *d, int i, cs_err *err)
{
	const struct demo_profile *p = &profiles[i % ARRAY_LEN(profiles)];
	int round = i / (int)ARRAY_LEN(profiles);
	long long last = p->last_days + round % 3;
	long long step = p->gifts > 1 ? (1095 - last) / (p->gifts - 1) : 0;
	int rc = 0;
	for (int k = 0; !rc && k < p->gifts; k++) {
		long long cents = p->cents + (i * 31 + k * 17) % 100;
		rc = add_tx(d, supporter_id(i), "success", cents, last + k * step,
			    p->plan ? plan_id(i) : 0, err);
	}
	/* some failed or refunded attempts, which no aggregate may count */
	if (!rc && (p->gifts == 0 ? p->last_days > 0 : i % 3 == 0))
		rc = add_tx(d, supporter_id(i), failed_statuses[i % ARRAY_LEN(failed_statuses)],
			    2000 + i * 100, last + 1, 0, err);
	return rc;
}

static int demo_transactions(demo *d, cs_err *err)
{
	int rc = 0;
	for (int i = 0; !rc && i < DEMO_SUPPORTERS; i++)
		rc = demo_gifts(d, i, err);
	/* orphans: their supporters never arrive */
	for (int k = 0; !rc && k < 2; k++)
		rc = add_tx(d, 990001 + k, "success", 2500 + k * 1000, 15 + k, 0, err);
	return rc;
}

static int demo_plans(demo *d, cs_err *err)
{
	int rc = 0, n = 0;
	for (int i = 0; !rc && i < DEMO_SUPPORTERS && n < DEMO_PLANS; i++) {
		if (!profiles[i % ARRAY_LEN(profiles)].plan)
			continue;
		cJSON *o = record(plan_id(i));
		size_t kind = (size_t)n % ARRAY_LEN(plan_kinds);
		cJSON_AddNumberToObject(o, "supporter_id", (double)supporter_id(i));
		cJSON_AddNumberToObject(o, "campaign_id", 101);
		cJSON_AddStringToObject(o, "status",
					plan_statuses[(size_t)n % ARRAY_LEN(plan_statuses)]);
		cJSON_AddStringToObject(o, "frequency", plan_kinds[kind].frequency);
		add_money(o, "donation_amount", plan_kinds[kind].cents);
		cJSON_AddStringToObject(o, "currency_code", "USD");
		add_time(o, "started_at", d, 700 - n * 20, n);
		add_time(o, "created_at", d, 700 - n * 20, n);
		add_time(o, "updated_at", d, 3, n);
		n++;
		rc = put(d, CS_ENT_RECURRING_PLANS, o, err);
	}
	return rc;
}

/* One page (one transaction) per entity, like a sync. */
static int demo_page(demo *d, int entity, int (*fill)(demo *, cs_err *), cs_err *err)
{
	char synced_at[CS_TIME_BUFSZ];
	cs_store *st = &d->s->base;
	cs_sync_state state = {0};
	cs_time_format(d->now_ms, 1, synced_at);
	int rc = st->page_begin(st, synced_at, err);
	if (rc)
		return rc;
	if ((rc = fill(d, err))) {
		st->page_abort(st);
		return rc;
	}
	state.org_id = DEMO_ORG;
	state.entity = entity;
	return st->page_commit(st, &state, err);
}

static int demo_org_exists(cs_sql_store *s, int *exists, cs_err *err)
{
	long long one = 0;
	return cs_sql_query_int(s->c, "SELECT 1 FROM organizations WHERE id = 1",
				"look up the demo organization", CS_SQL_NOARGS, &one, exists, err);
}

static const struct {
	int entity;
	int (*fill)(demo *, cs_err *);
} demo_pages[] = {
	{CS_ENT_CAMPAIGNS, demo_campaigns},
	{CS_ENT_SUPPORTERS, demo_supporters},
	{CS_ENT_TRANSACTIONS, demo_transactions},
	{CS_ENT_RECURRING_PLANS, demo_plans},
};

int cs_sql_seed_demo(cs_sql_store *s, long long *inserted, cs_err *err)
{
	/* An empty secret marks the demo org: the command layer refuses to
	 * sync it. It is written last, so its presence means a complete demo. */
	char no_secret[1] = "";
	cs_org org = {.id = DEMO_ORG, .name = "Demo Organization", .client_id = "demo",
		      .secret_enc = no_secret};
	demo d = {s, cs_time_now_ms(), 200001, 0};
	long long updated = 0;
	int exists = 0, rc;

	if ((rc = demo_org_exists(s, &exists, err)))
		return rc;
	if (exists) {
		cs_info("organization %lld already exists: demo not seeded again", DEMO_ORG);
		return 0;
	}
	for (size_t i = 0; !rc && i < ARRAY_LEN(demo_pages); i++)
		rc = demo_page(&d, demo_pages[i].entity, demo_pages[i].fill, err);
	if (!rc)
		rc = cs_sql_recompute(&s->base, DEMO_ORG, &updated, err);
	if (!rc)
		rc = s->base.org_put(&s->base, &org, err);
	if (rc)
		return cs_err_wrap(err, "cannot seed the demo organization");
	*inserted += d.records + 1;
	return 0;
}
