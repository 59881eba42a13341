/* The transactions' columns (Transaction in Classy's OpenAPI
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

const cs_column cs_transaction_cols[] = {
	{"supporter_id", I, IX, "Supporter ID associated with the Member", 0},
	{"campaign_id", I, IX, "ID of Campaign Transaction is associated with", 0},
	{"recurring_donation_plan_id", I, IX,
	 "ID of recurring Donation plan the Transaction belongs to. If there is no recurring "
	 "Donation plan then this is null", 0},
	{"fundraising_page_id", I, 0,
	 "ID of the Fundraising Page Transaction is associated with", 0},
	{"fundraising_team_id", I, 0, "ID of Fundraising Team Transaction is associated with", 0},
	{"designation_id", I, 0, "ID of the Designation this Transaction is allocated to", 0},
	{"parent_transaction_id", I, 0, "Parent Transaction identifier", 0},
	{"member_id", I, 0, "Primary ID of the purchaser GoFundMe Pro Member", 0},
	{"status", T, 0, "The status of the Transaction", 0},
	{"frequency", T, 0, "Frequency of transaction: one-time or recurring", 0},
	{"payment_method", T, 0, "Service for processing payment", 0},
	{"payment_type", T, 0, "How payment was made", 0},
	{"currency_code", T, 0, "Currency code", 0},
	{"raw_currency_code", T, 0, "Currency Code of the Transaction before normalization", 0},
	{"charged_currency_code", T, 0,
	 "Currency code of final charge. Required if charged_pp_fees_amount, "
	 "charged_total_gross_amount or charged_classy_fees_amount are present.", 0},
	{"total_gross_amount", M, 0, "Total value of Transaction", 0},
	{"donation_gross_amount", M, 0, "Gross total applied to purchaser in the raw currency", 0},
	{"donation_net_amount", M, 0, "Total gross amount - Overhead net amount - Fees amount", 0},
	{"fees_amount", M, 0, "Payment for professional service", 0},
	{"raw_total_gross_amount", M, 0,
	 "Gross amount charged to purchaser if raw currency code is set", 0},
	{"charged_total_gross_amount", M, 0, "Gross total charged to purchaser", 0},
	{"is_anonymous", B, 0, "Whether purchaser indicated if transaction should be anonymous", 0},
	{"purchased_at", TS, 0, "Date and time of Transaction", 0},
	{"refunded_at", TS, 0, "Date and time of Refund, if applies", 0},
	{"created_at", TS, 0, "Date Transaction record was created", 0},
	{"updated_at", TS, 0, "Date and time of last update", 0},
	/* migration 9 */
	{"account_number", T, 0,
	 "For ACH, the last digits of the account funds were drawn from", 9},
	{"account_type", T, 0,
	 "For ACH, what type of account funds were drawn from (savings, checking)", 9},
	{"acknowledgements_count", I, 0,
	 "Number of times Transaction was acknowledged by staff", 9},
	{"adjustment_amount", M, 0,
	 "The total value the transaction's total_gross_amount has been adjusted", 9},
	{"application_fee_amount", M, 0,
	 "Flat amount associated with the application fee (normalized value)", 9},
	{"applied_application_fee_percent", M, NA, "Percent taken by GoFundMe Pro", 9},
	{"applied_flex_rate_percent", M, NA, "Add on rate set by organization", 9},
	{"applied_fot_percent", M, NA,
	 "Percentage added to Fee on Top (aka Classy Mode) Transactions to cover fees. Null "
	 "if the Transaction is not fee on top", 9},
	{"applied_processor_fee_percent", M, NA, "Percent taken by card processor", 9},
	{"applied_raw_processor_fee_flat", M, 0, "Flat rate taken by card processor", 9},
	{"billing_address1", T, 0, "Billing address", 9},
	{"billing_address2", T, 0, "Billing address 2", 9},
	{"billing_city", T, 0, "Billing city", 9},
	{"billing_country", T, 0,
	 "Billing country. Must be a valid ISO 3166-1 alpha-2 country code", 9},
	{"billing_first_name", T, 0, " Billing first name", 9},
	{"billing_last_name", T, 0, "Billing last name", 9},
	{"billing_postal_code", T, 0, "Billing zip/postal code", 9},
	{"billing_state", T, 0, "Billing state/province", 9},
	{"browser_info", T, 0, "Browser information", 9},
	{"card_expiration", T, 0,
	 "The expiration of credit card used (when applicable) in MMYY format", 9},
	{"card_last_four", I, 0, "The last four digits of the credit card (when applicable)", 9},
	{"card_type", T, 0, "Type of credit card used (when applicable)", 9},
	{"charged_at", TS, 0, "Date and time Transaction was charged", 9},
	{"charged_classy_fees_amount", M, 0, "Total fees applied by GoFundMe Pro", 9},
	{"charged_fees_amount", M, 0,
	 "Total fees applied to Transaction (GoFundMe Pro and payment processor)", 9},
	{"charged_pp_fees_amount", M, 0, "Total fees applied to by payment processor", 9},
	{"classy_fees_amount", M, 0, "Amount of fees applied by GoFundMe Pro", 9},
	{"comment", T, 0, "Organization comment", 9},
	{"company_name", T, 0, "Name of company this Transaction has ties to", 9},
	{"context", J, 0,
	 "Contextual data about the transaction that can be used for filtering/sorting", 9},
	{"donation_matching_plan_id", I, 0,
	 "ID of the Donation Matching Plan this Transaction is associated with", 9},
	{"fee_on_top", B, 0, "Flag if the transaction is a fee on top (classymode) or not", 9},
	{"flex_rate_amount", M, 0,
	 "Flat amount associated with the flex rate percent (normalized value)", 9},
	{"hide_amount", B, 0,
	 "Whether purchaser indicated if Transaction amount should be hidden", 9},
	{"initial_gross_amount", M, 0,
	 "Amount before any fee adjustments where added (Normalization value)", 9},
	{"institution", T, 0,
	 "For ACH, the name of the banking institution funds were drawn from", 9},
	{"in_honor_of", T, 0,
	 "A person this donation is in honor or memory of. Deprecated, this field was "
	 "replaced for the dedication object. When fetching the transaction, use the with "
	 "query parameter with the dedication value to include it in the response.", 9},
	{"is_donor_covered_fee", B, 0, "Flag if the transaction is a donor covered fee or not", 9},
	{"is_gift_aid", B, 0,
	 "Flag whether the donor opted into gift aid used by the UK or not. Can only be set "
	 "if the organization allows it", 9},
	{"is_reprocess", B, 0, "If it is a reprocessed transaction or not", 9},
	{"member_country", T, 0,
	 "Country of the Member. Must be a valid ISO 3166-1 alpha-2 country code", 9},
	{"member_email_address", T, 0, "Email address of purchaser GoFundMe Pro Member", 9},
	{"member_name", T, 0, " Name of purchaser GoFundMe Pro Member", 9},
	{"member_phone", T, 0, "Phone number of purchaser GoFundMe Pro Member", 9},
	{"member_cell_phone", T, 0,
	 "Cell phone number of purchaser GoFundMe Pro Member — the SMS consent target when "
	 "collected", 9},
	{"consent", J, 0, "Consent details captured for this transaction", 9},
	{"metadata", T, 0,
	 "An optional set of unstructured metadata to be stored with a Transaction", 9},
	{"overhead_net_amount", M, 0, "Amount of event/host fees", 9},
	{"payment_gateway", T, 0, "Payment processor", 9},
	{"payment_source", T, 0, "How payment information was captured", 9},
	{"pp_fees_amount", M, 0, "Total fees applied by payment processor", 9},
	{"pp_reference_id", T, 0, "Reference ID for underlying transaction processing.", 9},
	{"pp_response", T, 0, "Paypal response", 9},
	{"pp_transaction_id", T, 0, "Reference ID for underlying Transaction processing", 9},
	{"processor_decline_code", T, 0, "Code of processor decline", 9},
	{"processor_fee_amount", M, 0,
	 "Flat amount associated with the processor fee (normalized value)", 9},
	{"promo_code_code", T, 0, "The code of the promo code applied to the Transaction", 9},
	{"raw_adjustment_amount", M, 0, "Total fee amount assessed", 9},
	{"raw_application_fee_amount", M, 0,
	 "Raw Flat amount associated with the application fee", 9},
	{"raw_donation_gross_amount", M, 0,
	 "Gross total applied to purchaser in the raw currency", 9},
	{"raw_flex_rate_amount", M, 0, "Raw Flat amount associated with the flex rate percent", 9},
	{"raw_initial_gross_amount", M, 0, "Amount before any fee adjustments where added", 9},
	{"raw_overhead_net_amount", M, 0, "Net Amount of event/host fees in the raw currency", 9},
	{"raw_processor_fee_amount", M, 0, "Raw Flat amount associated with the processor fee", 9},
	{"reprocess_attempts", I, 0, "Number of reprocess attempts for the transaction", 9},
	{"tax_entity_id", I, 0, "Tax entity that satisfies tax compliance for the Transaction", 9},
	{"utm", J, 0,
	 "UTM tracking parameters captured for this transaction, from the most recent "
	 "associated source tracking code. Included only when the source_tracking_codes "
	 "association is requested via the 'with' query parameter. When included, all keys "
	 "are always present; values are null when not captured.", 9},
	{"opted_into_payment_sync", B, 0,
	 "Registrant has opted into storing their payment info for future Live Events "
	 "purchases.", 9},
};
_Static_assert(sizeof(cs_transaction_cols) / sizeof(cs_transaction_cols[0]) == CS_TRANSACTION_NCOLS,
	       "CS_TRANSACTION_NCOLS (model/entity_cols.h) must count cs_transaction_cols");
