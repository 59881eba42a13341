/* The entity tables: each entity's endpoint, CLI name and mirrored columns
 * (named exactly as the API fields), read by the migrations, the upserts,
 * the client and the tests. Data only, plus a sorted column index for the
 * hot path: it must never know about SQL, HTTP or the sync order beyond the
 * order of the table. */
#include "model/entity.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define I CS_COL_INT
#define T CS_COL_TEXT
#define B CS_COL_BOOL
#define M CS_COL_MONEY
#define TS CS_COL_TIME
#define D CS_COL_DATE
#define IX CS_COLF_INDEX

/* Column names are exactly the API field names (Classy OpenAPI schemas). */
static const cs_column campaign_cols[] = {
	{"name", T, 0},           {"internal_name", T, 0},   {"status", T, 0},
	{"type", T, 0},           {"goal", M, 0},            {"raw_goal", T, 0},
	{"currency_code", T, 0},  {"raw_currency_code", T, 0}, {"started_at", TS, 0},
	{"ended_at", TS, 0},      {"designation_id", I, IX}, {"timezone_identifier", T, 0},
	{"canonical_url", T, 0},  {"created_at", TS, 0},     {"updated_at", TS, 0},
};

static const cs_column supporter_cols[] = {
	{"email_address", T, IX}, {"first_name", T, 0},      {"last_name", T, 0},
	{"phone", T, 0},          {"cell_phone", T, 0},      {"address1", T, 0},
	{"address2", T, 0},       {"city", T, 0},            {"state", T, 0},
	{"postal_code", T, 0},    {"country", T, 0},         {"opt_in", B, 0},
	{"origin", T, 0},         {"source_campaign_id", I, IX}, {"member_id", I, IX},
	{"created_at", TS, 0},    {"updated_at", TS, 0},
};

static const cs_column transaction_cols[] = {
	{"supporter_id", I, IX},
	{"campaign_id", I, IX},
	{"recurring_donation_plan_id", I, IX},
	{"fundraising_page_id", I, 0},
	{"fundraising_team_id", I, 0},
	{"designation_id", I, 0},
	{"parent_transaction_id", I, 0},
	{"member_id", I, 0},
	{"status", T, 0},
	{"frequency", T, 0},
	{"payment_method", T, 0},
	{"payment_type", T, 0},
	{"currency_code", T, 0},
	{"raw_currency_code", T, 0},
	{"charged_currency_code", T, 0},
	{"total_gross_amount", M, 0},
	{"donation_gross_amount", M, 0},
	{"donation_net_amount", M, 0},
	{"fees_amount", M, 0},
	{"raw_total_gross_amount", M, 0},
	{"charged_total_gross_amount", M, 0},
	{"is_anonymous", B, 0},
	{"purchased_at", TS, 0},
	{"refunded_at", TS, 0},
	{"created_at", TS, 0},
	{"updated_at", TS, 0},
};

static const cs_column plan_cols[] = {
	{"supporter_id", I, IX},  {"campaign_id", I, IX},   {"status", T, 0},
	{"frequency", T, 0},      {"donation_amount", M, 0}, {"currency_code", T, 0},
	{"next_processing_date", D, 0}, {"started_at", TS, 0}, {"canceled_at", TS, 0},
	{"is_paused", B, 0},      {"created_at", TS, 0},     {"updated_at", TS, 0},
};

const cs_entity cs_entities[CS_ENT_COUNT] = {
	[CS_ENT_CAMPAIGNS] = {CS_ENT_CAMPAIGNS, "campaigns", "campaigns", "campaigns", NULL,
			      campaign_cols, ARRAY_LEN(campaign_cols), NULL},
	[CS_ENT_SUPPORTERS] = {CS_ENT_SUPPORTERS, "supporters", "supporters", "supporters", NULL,
			       supporter_cols, ARRAY_LEN(supporter_cols), "id"},
	[CS_ENT_TRANSACTIONS] = {CS_ENT_TRANSACTIONS, "transactions", "transactions",
				 "transactions", NULL, transaction_cols,
				 ARRAY_LEN(transaction_cols), "supporter_id"},
	[CS_ENT_RECURRING_PLANS] = {CS_ENT_RECURRING_PLANS, "recurring_plans", "recurring-plans",
				    "recurring-donation-plans", NULL, plan_cols,
				    ARRAY_LEN(plan_cols), "supporter_id"},
};

const cs_entity *cs_entity_find(const char *name)
{
	for (size_t i = 0; i < CS_ENT_COUNT; i++)
		if (!strcmp(name, cs_entities[i].name) || !strcmp(name, cs_entities[i].cli_name))
			return &cs_entities[i];
	return NULL;
}

/* Sorted permutation of each entity's columns, built once. */
#define MAX_COLS 64
static unsigned char sorted[CS_ENT_COUNT][MAX_COLS];
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;
static const cs_entity *sort_entity;

static int cmp_col(const void *a, const void *b)
{
	const cs_column *c = sort_entity->columns;
	return strcmp(c[*(const unsigned char *)a].name, c[*(const unsigned char *)b].name);
}

static void build_sorted(void)
{
	for (size_t e = 0; e < CS_ENT_COUNT; e++) {
		for (size_t i = 0; i < cs_entities[e].ncolumns; i++)
			sorted[e][i] = (unsigned char)i;
		sort_entity = &cs_entities[e];
		qsort(sorted[e], cs_entities[e].ncolumns, 1, cmp_col);
	}
}

int cs_entity_column_index(const cs_entity *e, const char *name)
{
	pthread_once(&sorted_once, build_sorted);
	const unsigned char *idx = sorted[e->id];
	size_t lo = 0, hi = e->ncolumns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, e->columns[idx[mid]].name);
		if (c == 0)
			return idx[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}
