/* The entity tables: each entity's endpoint, CLI name and mirrored columns
 * (named exactly as the API fields; the column tables are one file per
 * entity, model/<entity>_cols.c), read by the migrations, the upserts, the client
 * and the tests. Data only, plus a sorted column index for the hot path: it
 * must never know about SQL, HTTP or the sync order beyond the order of the
 * table. */
#include "model/entity_cols.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const cs_entity cs_entities[CS_ENT_COUNT] = {
	[CS_ENT_CAMPAIGNS] = {CS_ENT_CAMPAIGNS, "campaigns", "campaigns", "campaigns", NULL,
			      cs_campaign_cols, CS_CAMPAIGN_NCOLS, NULL, "Campaign",
			      "Primary identifier of record"},
	[CS_ENT_SUPPORTERS] = {CS_ENT_SUPPORTERS, "supporters", "supporters", "supporters", NULL,
			       cs_supporter_cols, CS_SUPPORTER_NCOLS, "id", "Supporter",
			       "Supporter number identifier"},
	[CS_ENT_TRANSACTIONS] = {CS_ENT_TRANSACTIONS, "transactions", "transactions",
				 "transactions", NULL, cs_transaction_cols,
				 CS_TRANSACTION_NCOLS, "supporter_id",
				 "Transaction", "Unique ID of the Transaction"},
	[CS_ENT_RECURRING_PLANS] = {CS_ENT_RECURRING_PLANS, "recurring_plans", "recurring-plans",
				    "recurring-donation-plans", NULL, cs_plan_cols,
				    CS_PLAN_NCOLS, "supporter_id",
				    "RecurringDonationPlan", "ID of Recurring Donation Plan"},
};

const cs_entity *cs_entity_find(const char *name)
{
	for (size_t i = 0; i < CS_ENT_COUNT; i++)
		if (!strcmp(name, cs_entities[i].name) || !strcmp(name, cs_entities[i].cli_name))
			return &cs_entities[i];
	return NULL;
}

/* Sorted permutation of each entity's columns, built once. */
#define MAX_COLS 128 /* entity_cols.h: the widest table, campaigns, has 106 */
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
