/* The recurring plans' columns (RecurringDonationPlan in Classy's OpenAPI
 * document): each API field the table mirrors, its type and the document's
 * description, printed by scripts/entity-columns. Those the entity tables
 * had from the start come first (since 0); every other field of the schema
 * follows (issue 12), added by migration 9 (since 9), so that migration 1
 * keeps creating the tables it always did. Data only: model/entities.c puts
 * the tables together. */
#include "model/entity_cols.h"

#define I CS_COL_INT
#define T CS_COL_TEXT
#define B CS_COL_BOOL
#define M CS_COL_MONEY
#define TS CS_COL_TIME
#define D CS_COL_DATE
#define J CS_COL_JSON
#define IX CS_COLF_INDEX
#define NA CS_COLF_NOT_AMOUNT /* a percent or flag: no cents twin */

const cs_column cs_plan_cols[] = {
	{"supporter_id", I, IX,
	 "ID of the Supporter that associates the Member and the Organization", 0},
	{"campaign_id", I, IX, "ID for Recurring Donation Plan's Campaign", 0},
	{"status", T, 0, "Status of Recurring Donation Plan", 0},
	{"frequency", T, 0, "Rate at which a recurring transaction against this plan is made", 0},
	{"donation_amount", M, 0, "Recurring Donation amount in the organization's currency", 0},
	{"currency_code", T, 0, "ISO currency code for the Recurring Donation Plan", 0},
	{"next_processing_date", D, 0, "Next recurring charge date for recurring plan", 0},
	{"started_at", TS, 0, "Start time for recurring donations", 0},
	{"canceled_at", TS, 0, "Datetime representing cancellation time(can be null)", 0},
	{"is_paused", B, 0,
	 "Flag which indicates if the recurring donation is paused. Can be set by Admin or "
	 "the donor", 0},
	{"created_at", TS, 0, "Recurring Donation Plan created date", 0},
	{"updated_at", TS, 0, "Last modification date", 0},
	/* migration 9 */
	{"address", T, 0, "Line one of Billing address", 9},
	{"address2", T, 0, "Line two of Billing address", 9},
	{"applied_fot_percent", M, NA,
	 "The percentage to be added to all fee on top (aka Classy Mode) transactions created "
	 "for this plan", 9},
	{"cancel_by", T, 0, "Type of user that cancelled Recurring Donation Plan", 9},
	{"cancel_reason_code", T, 0, "Cancellation reason code", 9},
	{"cancel_reason_text", T, 0, "Cancellation reason for Recurring donation Plan", 9},
	{"cc_card_exp", T, 0, "Expiration date for the credit card used", 9},
	{"cc_last_four", T, 0, "Last four digits of the credit card used", 9},
	{"ach_last_four", I, 0,
	 "If the payment type is ACH, the last 4 digits of the ACH transaction is stored", 9},
	{"cc_type", T, 0, "Type of credit card used", 9},
	{"city", T, 0, "Billing city", 9},
	{"company_name", T, 0, "Company of recurring donator", 9},
	{"country", T, 0, "Billing country", 9},
	{"designation_id", I, 0,
	 "ID for the Designation the Transactions created from the recurring Donation Plan "
	 "will be allocated", 9},
	{"failed_at", TS, 0,
	 "Datetime representing the last time the recurring Donation failed", 9},
	{"fee_on_top", B, 0,
	 "Flag describing if the recurring donation covers fees (classymode)", 9},
	{"first_name", T, 0, "Donator's First Name", 9},
	{"fundraising_page_id", I, 0, "Fundraising Page ID of recurring donator", 9},
	{"fundraising_team_id", I, 0, "Fundraising Team ID of recurring donator", 9},
	{"is_anonymous", B, 0, "Flag determining if the Transactions should be anonymized", 9},
	{"hide_amount", B, 0,
	 "Flag determining if the Transactions amount should be anonymized", 9},
	{"is_gift_aid", B, 0,
	 "Flag whether the Donor opts into gift aid used by the UK or not. Can only be set if "
	 "the Organization allows it", 9},
	{"can_be_reactivated", B, 0,
	 "Whether the plan can be reactivated through Supporter Center. True only when the "
	 "plan's current internal_status is in [canceled, failed, ended] AND the org still "
	 "has an active ClassyPay PPC attached. False otherwise (wrong starting status, "
	 "missing pp_plan_id, no PPC, or non-ClassyPay PPC).", 9},
	{"last_name", T, 0, "Last name of recurring Donator", 9},
	{"member_id", I, 0, "Member ID of recurring donatior", 9},
	{"metadata", J, 0, "Arbitrary JSON metadata", 9},
	{"pause_until", D, 0,
	 "This attribute indicates the date till the recurring donation plan is Paused", 9},
	{"plan_paused_on_date", D, 0,
	 "This attribute holds the date on which the recurring donation plan was Paused", 9},
	{"payment_gateway", T, 0,
	 "Payment processor. (Underlying payment processor for Classy Pay)", 9},
	{"payment_provider_configuration_name", T, 0,
	 "The Recurring Donation Plan Payment Provider", 9},
	{"payment_type", T, 0, "Payment type of recurring", 9},
	{"postal_code", T, 0, "Billing postal code", 9},
	{"pp_plan_id", T, 0, "ID of the Payment provider", 9},
	{"raw_currency_code", T, 0,
	 "The currency code of the plan's transactions. Cannot be updated after being set", 9},
	{"raw_donation_amount", T, 0, "The value donated, in the raw currency", 9},
	{"recur_until", D, 0, "Recurring plan end date", 9},
	{"schedule", J, 0,
	 "JSON information specifying schedule for recurring transaction creation", 9},
	{"state", T, 0, "Billing state", 9},
	{"timezone_identifier", T, 0,
	 "Identifier of timezone against which recurring charges will be made", 9},
	{"is_donor_covered_fee", B, 0, "Flag if the rdp is a donor covered fee or not", 9},
	{"raw_initial_gross_amount", M, 0, "Amount before any fee adjustments where added", 9},
	{"raw_adjustment_amount", M, 0, "Total fee amount assessed", 9},
	{"dcf_enabled", B, 0, "Flag that indicate if the campaign has dcf enable", 9},
	{"dcf_allowed", B, 0, "Flag that indicate if the campaign is allowed to have dcf", 9},
	{"classy_mode_enabled", B, 0,
	 "Flag that indicate if the campaign has classy mode enable", 9},
	{"effective_fixed_fot_percent", T, 0, "Number of fixed fee on top percent", 9},
	{"migrated", B, 0, "Flag that indicates if the recurring plan is from a migration", 9},
	{"migration_date", TS, 0, "Date when migration was completed", 9},
};
_Static_assert(sizeof(cs_plan_cols) / sizeof(cs_plan_cols[0]) == CS_PLAN_NCOLS,
	       "CS_PLAN_NCOLS (model/entity_cols.h) must count cs_plan_cols");
