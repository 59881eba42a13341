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

/* Column names are exactly the API field names (Classy OpenAPI schemas), and
 * each description is the field's own there: scripts/entity-columns prints
 * these lines from the document, tests/contract/schema checks them. */
static const cs_column campaign_cols[] = {
	{"name", T, 0, "Campaign name"},
	{"internal_name", T, 0, "Internal name for Campaign. Can differ from name attribute"},
	{"status", T, 0, "Status of Campaign"},
	{"type", T, 0,
	 "The campaign's type, which determines its functionality and features:\n - donation:     "
	 "Classic standard donation page (retired)\n - crowdfunding: Classic Crowdfunding "
	 "campaign (retired)\n - peer_to_peer: Classic Peer-to-Peer campaign\n - ticketed:     "
	 "Ticketed Event campaign\n - reg_w_fund:   Registration with Fundraising campaign\n - "
	 "dynamic:      Campaign Studio Donation Page and Embedded Form campaigns\n - gfm_npo:    "
	 "  Campaign used to process transactions from an organization's GoFundMe Nonprofit Page "
	 "and individual fundraisers on behalf of the organization (only available if the "
	 "organization's GoFundMe Nonprofit Page is claimed)\n - gfm_p2p:      GoFundMe "
	 "Peer-to-Peer campaign that leverages GoFundMe for the fundraising experience (only "
	 "available if the organization's GoFundMe Nonprofit Page is claimed)"},
	{"goal", M, 0, "Fundraising goal for this Campaign normalized against currency_code"},
	{"raw_goal", T, 0, "Raw Fundraising Goal for this Campaign"},
	{"currency_code", T, 0,
	 "ISO code of the currency against which this Campaign is normalized. Inherited from "
	 "Organization's currency code."},
	{"raw_currency_code", T, 0,
	 "ISO code of the currency in which this Campaign should be presented. Defaults to "
	 "`currency_code` value if not specified."},
	{"started_at", TS, 0, "Date/time the campaign begins"},
	{"ended_at", TS, 0, "Date/time of when the campaign ends"},
	{"designation_id", I, IX,
	 "ID of Designation the Campaign Transactions will be allocated to"},
	{"timezone_identifier", T, 0, "Timezone Identifier"},
	{"canonical_url", T, 0, "Canonical url of the Campaign"},
	{"created_at", TS, 0, "Date/time of initial record creation"},
	{"updated_at", TS, 0, "Date/time of last alteration"},
};

static const cs_column supporter_cols[] = {
	{"email_address", T, IX, "Supporter email address"},
	{"first_name", T, 0, "First name of the supporter"},
	{"last_name", T, 0, "Supporter last name"},
	{"phone", T, 0, "Supporter phone number"},
	{"cell_phone", T, 0, "Supporter cell phone number (SMS consent target when collected)"},
	{"address1", T, 0, "Supporter main address"},
	{"address2", T, 0, "Secondary Supporter address"},
	{"city", T, 0, "Supporter City"},
	{"state", T, 0, "State/province name"},
	{"postal_code", T, 0, "Zip Code"},
	{"country", T, 0, "Supporter Country"},
	{"opt_in", B, 0, "Indicates whether the supported opted in to email communication or not"},
	{"origin", T, 0, "Supporter origin"},
	{"source_campaign_id", I, IX, "Campaign number identifier"},
	{"member_id", I, IX, "Member number identifier"},
	{"created_at", TS, 0, "Date/time of initial record creation"},
	{"updated_at", TS, 0, "Date/time of initial record creation"},
};

static const cs_column transaction_cols[] = {
	{"supporter_id", I, IX, "Supporter ID associated with the Member"},
	{"campaign_id", I, IX, "ID of Campaign Transaction is associated with"},
	{"recurring_donation_plan_id", I, IX,
	 "ID of recurring Donation plan the Transaction belongs to. If there is no recurring "
	 "Donation plan then this is null"},
	{"fundraising_page_id", I, 0, "ID of the Fundraising Page Transaction is associated with"},
	{"fundraising_team_id", I, 0, "ID of Fundraising Team Transaction is associated with"},
	{"designation_id", I, 0, "ID of the Designation this Transaction is allocated to"},
	{"parent_transaction_id", I, 0, "Parent Transaction identifier"},
	{"member_id", I, 0, "Primary ID of the purchaser GoFundMe Pro Member"},
	{"status", T, 0, "The status of the Transaction"},
	{"frequency", T, 0, "Frequency of transaction: one-time or recurring"},
	{"payment_method", T, 0, "Service for processing payment"},
	{"payment_type", T, 0, "How payment was made"},
	{"currency_code", T, 0, "Currency code"},
	{"raw_currency_code", T, 0, "Currency Code of the Transaction before normalization"},
	{"charged_currency_code", T, 0,
	 "Currency code of final charge. Required if charged_pp_fees_amount, "
	 "charged_total_gross_amount or charged_classy_fees_amount are present."},
	{"total_gross_amount", M, 0, "Total value of Transaction"},
	{"donation_gross_amount", M, 0, "Gross total applied to purchaser in the raw currency"},
	{"donation_net_amount", M, 0, "Total gross amount - Overhead net amount - Fees amount"},
	{"fees_amount", M, 0, "Payment for professional service"},
	{"raw_total_gross_amount", M, 0,
	 "Gross amount charged to purchaser if raw currency code is set"},
	{"charged_total_gross_amount", M, 0, "Gross total charged to purchaser"},
	{"is_anonymous", B, 0, "Whether purchaser indicated if transaction should be anonymous"},
	{"purchased_at", TS, 0, "Date and time of Transaction"},
	{"refunded_at", TS, 0, "Date and time of Refund, if applies"},
	{"created_at", TS, 0, "Date Transaction record was created"},
	{"updated_at", TS, 0, "Date and time of last update"},
};

static const cs_column plan_cols[] = {
	{"supporter_id", I, IX,
	 "ID of the Supporter that associates the Member and the Organization"},
	{"campaign_id", I, IX, "ID for Recurring Donation Plan's Campaign"},
	{"status", T, 0, "Status of Recurring Donation Plan"},
	{"frequency", T, 0, "Rate at which a recurring transaction against this plan is made"},
	{"donation_amount", M, 0, "Recurring Donation amount in the organization's currency"},
	{"currency_code", T, 0, "ISO currency code for the Recurring Donation Plan"},
	{"next_processing_date", D, 0, "Next recurring charge date for recurring plan"},
	{"started_at", TS, 0, "Start time for recurring donations"},
	{"canceled_at", TS, 0, "Datetime representing cancellation time(can be null)"},
	{"is_paused", B, 0,
	 "Flag which indicates if the recurring donation is paused. Can be set by Admin or the "
	 "donor"},
	{"created_at", TS, 0, "Recurring Donation Plan created date"},
	{"updated_at", TS, 0, "Last modification date"},
};

const cs_entity cs_entities[CS_ENT_COUNT] = {
	[CS_ENT_CAMPAIGNS] = {CS_ENT_CAMPAIGNS, "campaigns", "campaigns", "campaigns", NULL,
			      campaign_cols, ARRAY_LEN(campaign_cols), NULL, "Campaign",
			      "Primary identifier of record"},
	[CS_ENT_SUPPORTERS] = {CS_ENT_SUPPORTERS, "supporters", "supporters", "supporters", NULL,
			       supporter_cols, ARRAY_LEN(supporter_cols), "id", "Supporter",
			       "Supporter number identifier"},
	[CS_ENT_TRANSACTIONS] = {CS_ENT_TRANSACTIONS, "transactions", "transactions",
				 "transactions", NULL, transaction_cols,
				 ARRAY_LEN(transaction_cols), "supporter_id",
				 "Transaction", "Unique ID of the Transaction"},
	[CS_ENT_RECURRING_PLANS] = {CS_ENT_RECURRING_PLANS, "recurring_plans", "recurring-plans",
				    "recurring-donation-plans", NULL, plan_cols,
				    ARRAY_LEN(plan_cols), "supporter_id",
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
