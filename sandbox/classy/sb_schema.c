/* The four record shapes of components.schemas (Supporter 27 fields,
 * Transaction 96, Campaign 108, RecurringDonationPlan 62), in the order of
 * the spec, each with the recipe that derives its value. The tables are
 * data, one row a field; their likeness is not repetition to fold.
 *
 * Must never: reorder or drop a field of the spec (clients and the static
 * asserts below count them). */
#include "classy/sb_model.h"

#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define EN(...)                                                                   \
	(&(const sb_pool){(const char *const[]){__VA_ARGS__},                     \
			  (uint32_t)(sizeof((const char *const[]){__VA_ARGS__}) / \
				     sizeof(const char *))})
#define F(n, t, g, np, fl, gr, a, b, p) {n, SB_T_##t, SB_G_##g, np, fl, gr, a, b, p}
#define VOL SB_FF_VOL
#define SUP SB_FF_SUP
#define LOC 1 /* group: city, state, postal code and country agree */

/* Names carry their ASCII slug (for e-mail addresses) after a '\0'. */
static const char *const first_names[] = {
	"Hannah\0hannah", "José\0jose", "Zoë\0zoe", "Amélie\0amelie", "Jürgen\0jurgen",
	"Søren\0soren", "伟\0wei", "Aiyana\0aiyana", "Chloé\0chloe", "Mateo\0mateo",
	"Olivia\0olivia", "Noah\0noah", "Ava\0ava", "Björn\0bjorn", "Renée\0renee",
	"Ngozi\0ngozi", "Siobhán\0siobhan", "Łukasz\0lukasz", "Ana\0ana", "Fatima\0fatima",
	"Priya\0priya", "Kenji\0kenji", "Dmitri\0dmitri", "François\0francois",
	"Maya 🌻\0maya", "Liam\0liam", "Emma\0emma", "Sofía\0sofia", "明\0ming",
	"Ahmed\0ahmed", "Grace\0grace", "Ethan\0ethan", "Mia\0mia", "Lucas\0lucas",
	"Isabella\0isabella", "James\0james", "Charlotte\0charlotte", "Benjamin\0benjamin",
	"Amelia\0amelia", "Oliver\0oliver"};
static const char *const last_names[] = {
	"Rosendo\0rosendo", "Müller\0mueller", "García\0garcia", "O'Brien\0obrien",
	"Nguyễn\0nguyen", "Schäfer\0schaefer", "王\0wang", "Dubois\0dubois", "Smith\0smith",
	"Johnson\0johnson", "Kowalski\0kowalski", "Østergaard\0ostergaard", "Núñez\0nunez",
	"Brontë\0bronte", "Van Dyke\0vandyke", "Lefèvre\0lefevre", "Yılmaz\0yilmaz",
	"Al-Sayed\0alsayed", "Kim\0kim", "Patel\0patel", "中村\0nakamura", "Williams\0williams",
	"Brown\0brown", "Jones\0jones", "Miller\0miller", "Davis\0davis",
	"Rodríguez\0rodriguez", "Martínez\0martinez", "Hernández\0hernandez", "López\0lopez",
	"Wilson\0wilson", "Anderson\0anderson", "Thomas\0thomas", "Taylor\0taylor",
	"Moore\0moore", "Jackson\0jackson", "Martin\0martin", "Lee\0lee", "Pérez\0perez",
	"Thompson\0thompson"};
const sb_pool sb_first_names = {first_names, NELEM(first_names)};
const sb_pool sb_last_names = {last_names, NELEM(last_names)};

static const char *const cities[] = {
	"San Diego", "Gettysburg", "Omaha", "Austin", "Seattle", "Brooklyn", "Chicago",
	"Denver", "Boston", "Miami", "Portland", "Toronto", "Montréal", "London", "München",
	"Zürich"};
static const char *const states[] = {"CA", "PA", "NE", "TX", "WA", "NY", "IL", "CO",
				     "MA", "FL", "OR", "ON", "QC", "LND", "BY", "ZH"};
static const char *const zips[] = {"92101", "17325", "68102", "78701", "98101", "11201",
				   "60601", "80202", "02108", "33101", "97201", "M5H 2N2",
				   "H2Y 1C6", "SW1A 1AA", "80331", "8001"};
static const char *const countries[] = {"US", "US", "US", "US", "US", "US", "US", "US",
					"US", "US", "US", "CA", "CA", "GB", "DE", "CH"};
static const sb_pool city = {cities, NELEM(cities)}, state = {states, NELEM(states)},
		     zip = {zips, NELEM(zips)}, country = {countries, NELEM(countries)};

static const char *const streets[] = {
	"N Washington St", "F Street", "Maple Ave", "Oak Street", "Elm Dr", "Sunset Blvd",
	"Rue de Rivoli", "Hauptstraße", "Calle Mayor", "Market St", "Broadway", "Pine Rd"};
const sb_pool sb_streets = {streets, NELEM(streets)};

static const char *const campaign_names[] = {
	"Spring Appeal 2024", "Giving Tuesday", "Run for Rescue 5K", "Gala des Étoiles",
	"年末募金キャンペーン", "Holiday Match 🎄", "Annual Fund", "Capital Campaign",
	"Scholarship Drive", "Peer-to-Peer Challenge", "Clean Water Fund 💧", "Día de Dar"};
const sb_pool sb_campaign_names = {campaign_names, NELEM(campaign_names)};

#define COMMENTS                                                                        \
	EN("In memory of Grandma ❤️", "Keep up the great work!", "Für die Tiere 🐾",          \
	   "Happy to help", "Merci pour tout", "加油！", "Monthly gift — thank you", \
	   "Matching my employer's gift")
#define UA EN("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15", \
	      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36", \
	      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148")
#define PAY_TYPES EN("Credit Card", "Credit Card", "Credit Card", "Credit Card", "ACH", \
		     "PayPal", "Venmo", "Crypto")

static const sb_field supporter_fields[] = {
	F("address1", STR, STREET, 20, 0, 0, 0, 0, NULL),
	F("address2", STR, POOL, 80, 0, 0, 0, 0, EN("Apt 4B", "Unit 26", "Suite 100", "#12")),
	F("birthday", STR, POOL, 70, 0, 0, 0, 0, EN("3/15", "12/1", "7/4", "10/31", "1/9")),
	F("cell_phone", STR, PHONE, 50, 0, 0, 0, 0, NULL),
	F("city", STR, POOL, 15, 0, LOC, 0, 0, &city),
	F("country", STR, POOL, 15, 0, LOC, 0, 0, &country),
	F("created_at", TIME, CREATED, 0, 0, 0, 0, 0, NULL),
	F("email_address", STR, EMAIL, 6, 0, 0, 0, 0, NULL),
	F("first_name", STR, FIRST, 2, 0, 0, 0, 0, NULL),
	F("gender", STR, POOL, 60, 0, 0, 0, 0, EN("M", "F", "f", "m")),
	F("id", INT, ID, 0, 0, 0, 0, 0, NULL),
	F("last_emailed_at", STR, EMAIL, 70, 0, 0, 0, 0, NULL),
	F("last_name", STR, LAST, 2, 0, 0, 0, 0, NULL),
	F("location", STR, POOL, 90, 0, 0, 0, 0, EN("City Townhall", "Main Library")),
	F("member_id", INT, INT, 70, 0, 0, 1000, 999999, NULL),
	F("metadata", OBJ, RAW, 80, 0, 0, 0, 0, EN("{\"foo\":\"bar\"}", "{\"crm_id\":\"A-1\"}")),
	F("nickname", STR, POOL, 85, 0, 0, 0, 0, EN("GoFundMePro", "Sunny ☀️", "Doc", "🦊 Fox")),
	F("opt_in", BOOL, BOOL, 0, VOL, 0, 60, 0, NULL),
	F("origin", STR, POOL, 0, 0, 0, 0, 0,
	  EN("donation", "donation", "donation", "registration", "fundraiser", "import")),
	F("phone", STR, PHONE, 40, VOL, 0, 0, 0, NULL),
	F("postal_code", STR, POOL, 15, 0, LOC, 0, 0, &zip),
	F("source_campaign_id", INT, CAMPAIGN, 0, 0, 0, 0, 0, NULL),
	F("source_fundraising_page_id", INT, INT, 80, 0, 0, 2100000, 2199999, NULL),
	F("source_member_id", INT, INT, 80, 0, 0, 1000, 999999, NULL),
	F("source_organization_id", INT, ORG, 0, 0, 0, 0, 0, NULL),
	F("state", STR, POOL, 15, 0, LOC, 0, 0, &state),
	F("updated_at", TIME, UPDATED, 0, 0, 0, 0, 0, NULL),
};

static const sb_field transaction_fields[] = {
	F("account_number", STR, DIGITS, 90, 0, 0, 4, 0, NULL),
	F("account_type", STR, POOL, 90, 0, 0, 0, 0, EN("savings", "checking")),
	F("acknowledgements_count", INT, INT, 0, 0, 0, 0, 3, NULL),
	F("adjustment_amount", NUM, CENTS, 80, 0, 0, 0, 500, NULL),
	F("application_fee_amount", NUM, AMOUNT, 40, 0, 0, 300, 0, NULL),
	F("applied_application_fee_percent", NUM, CENTS, 40, 0, 0, 0, 500, NULL),
	F("applied_flex_rate_percent", NUM, CENTS, 70, 0, 0, 0, 500, NULL),
	F("applied_fot_percent", NUM, CENTS, 60, 0, 0, 300, 500, NULL),
	F("applied_processor_fee_percent", NUM, CENTS, 10, 0, 0, 220, 290, NULL),
	F("applied_raw_processor_fee_flat", NUM, CENTS, 10, 0, 0, 20, 30, NULL),
	F("billing_address1", STR, STREET, 20, SUP, 0, 0, 0, NULL),
	F("billing_address2", STR, POOL, 85, SUP, 0, 0, 0, EN("Apt 4B", "Unit 26", "Suite 100")),
	F("billing_city", STR, POOL, 15, SUP, LOC, 0, 0, &city),
	F("billing_country", STR, POOL, 15, SUP, LOC, 0, 0, &country),
	F("billing_first_name", STR, FIRST, 2, SUP, 0, 0, 0, NULL),
	F("billing_last_name", STR, LAST, 2, SUP, 0, 0, 0, NULL),
	F("billing_postal_code", STR, POOL, 15, SUP, LOC, 0, 0, &zip),
	F("billing_state", STR, POOL, 15, SUP, LOC, 0, 0, &state),
	F("browser_info", STR, POOL, 30, 0, 0, 0, 0, UA),
	F("campaign_id", INT, CAMPAIGN, 0, 0, 0, 0, 0, NULL),
	F("card_expiration", STR, POOL, 20, 0, 0, 0, 0, EN("0127", "1128", "0526", "0929")),
	F("card_last_four", INT, INT, 20, 0, 0, 1000, 9999, NULL),
	F("card_type", STR, POOL, 20, 0, 0, 0, 0,
	  EN("Visa", "Visa", "Mastercard", "American Express", "Discover")),
	F("charged_at", TIME, TOFF, 5, 0, 0, 0, 120, NULL),
	F("charged_classy_fees_amount", NUM, AMOUNT, 10, 0, 0, 50, 0, NULL),
	F("charged_currency_code", STR, POOL, 5, 0, 0, 0, 0, EN("USD")),
	F("charged_fees_amount", NUM, AMOUNT, 10, 0, 0, 290, 30, NULL),
	F("charged_pp_fees_amount", NUM, AMOUNT, 10, 0, 0, 240, 30, NULL),
	F("charged_total_gross_amount", NUM, AMOUNT, 5, 0, 0, 10000, 0, NULL),
	F("classy_fees_amount", NUM, AMOUNT, 10, 0, 0, 50, 0, NULL),
	F("comment", STR, POOL, 60, VOL, 0, 0, 0, COMMENTS),
	F("company_name", STR, POOL, 85, 0, 0, 0, 0, EN("GoFundMe Pro", "Acme Corp", "Café Zoë")),
	F("context", OBJ, RAW, 30, 0, 0, 0, 0,
	  EN("{\"is_passport\":true,\"source_campaign_type\":\"donation\",\"created_by\":null}",
	     "{\"is_passport\":false,\"source_campaign_type\":\"peer_to_peer\",\"created_by\":\"My App\"}")),
	F("created_at", TIME, CREATED, 0, 0, 0, 0, 0, NULL),
	F("currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD")),
	F("designation_id", INT, INT, 20, 0, 0, 34600, 34699, NULL),
	F("donation_gross_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("donation_matching_plan_id", INT, INT, 95, 0, 0, 4000, 4999, NULL),
	F("donation_net_amount", NUM, AMOUNT, 0, 0, 0, 9710, -30, NULL),
	F("fees_amount", NUM, AMOUNT, 0, 0, 0, 290, 30, NULL),
	F("fee_on_top", BOOL, BOOL, 0, 0, 0, 30, 0, NULL),
	F("flex_rate_amount", NUM, AMOUNT, 70, 0, 0, 100, 0, NULL),
	F("frequency", STR, FREQ, 0, 0, 0, 0, 0, NULL),
	F("fundraising_page_id", INT, INT, 70, 0, 0, 2100000, 2199999, NULL),
	F("fundraising_team_id", INT, INT, 85, 0, 0, 209000, 209999, NULL),
	F("hide_amount", BOOL, BOOL, 0, 0, 0, 5, 0, NULL),
	F("id", INT, ID, 0, 0, 0, 0, 0, NULL),
	F("initial_gross_amount", NUM, AMOUNT, 5, 0, 0, 10000, 0, NULL),
	F("institution", STR, POOL, 85, 0, 0, 0, 0, EN("ABC Bank", "Chase", "Wells Fargo")),
	F("in_honor_of", STR, POOL, 90, 0, 0, 0, 0, EN("Grandma Rosa", "Mr. Ōtani", "Our dog Biscuit")),
	F("is_anonymous", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("is_donor_covered_fee", BOOL, BOOL, 0, 0, 0, 40, 0, NULL),
	F("is_gift_aid", BOOL, BOOL, 0, 0, 0, 2, 0, NULL),
	F("is_reprocess", BOOL, BOOL, 0, 0, 0, 3, 0, NULL),
	F("member_country", STR, POOL, 40, SUP, LOC, 0, 0, &country),
	F("member_email_address", STR, EMAIL, 40, SUP, 0, 0, 0, NULL),
	F("member_id", INT, INT, 40, 0, 0, 1000, 999999, NULL),
	F("member_name", STR, FULLNAME, 40, SUP, 0, 0, 0, NULL),
	F("member_phone", STR, PHONE, 50, SUP, 0, 0, 0, NULL),
	F("member_cell_phone", STR, PHONE, 70, SUP, 0, 0, 0, NULL),
	F("consent", OBJ, RAW, 0, 0, 0, 0, 0,
	  EN("{\"email_opt_in\":true,\"sms_opt_in\":false}",
	     "{\"email_opt_in\":false,\"sms_opt_in\":false}")),
	F("metadata", STR, POOL, 90, 0, 0, 0, 0, EN("{foo: 'bar'}", "{\"crm\":\"x-17\"}")),
	F("organization_id", INT, ORG, 0, 0, 0, 0, 0, NULL),
	F("overhead_net_amount", NUM, AMOUNT, 5, 0, 0, 9710, -30, NULL),
	F("parent_transaction_id", INT, INT, 97, 0, 0, 30000000, 30099999, NULL),
	F("payment_gateway", STR, POOL, 5, 0, 0, 0, 0,
	  EN("Classy Pay", "Classy Pay", "Stripe", "BrainTree", "PayPalCommerce", "Authorize.net")),
	F("payment_method", STR, POOL, 10, 0, 0, 0, 0, EN("CC", "CC", "ACH", "PayPal", "WPP")),
	F("payment_source", STR, POOL, 50, 0, 0, 0, 0,
	  EN("APPLE_PAY", "GOOGLE_PAY", "STRIPE_LINK", "MANUAL", "PAYPAL", "VENMO")),
	F("payment_type", STR, POOL, 5, 0, 0, 0, 0, PAY_TYPES),
	F("pp_fees_amount", NUM, AMOUNT, 10, 0, 0, 240, 30, NULL),
	F("pp_reference_id", STR, DIGITS, 20, 0, 0, 8, 0, NULL),
	F("pp_response", STR, POOL, 30, 0, 0, 0, 0, EN("1", "1023", "approved")),
	F("pp_transaction_id", STR, HEX, 10, 0, 0, 16, 0, NULL),
	F("processor_decline_code", STR, POOL, 95, 0, 0, 0, 0, EN("64", "05", "51")),
	F("processor_fee_amount", NUM, AMOUNT, 10, 0, 0, 220, 30, NULL),
	F("promo_code_code", STR, POOL, 95, 0, 0, 0, 0, EN("PROMO", "GALA2024")),
	F("purchased_at", TIME, TOFF, 2, 0, 0, 0, 0, NULL),
	F("raw_adjustment_amount", NUM, CENTS, 80, 0, 0, 0, 500, NULL),
	F("raw_application_fee_amount", NUM, AMOUNT, 40, 0, 0, 300, 0, NULL),
	F("raw_currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD")),
	F("raw_donation_gross_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("raw_flex_rate_amount", NUM, AMOUNT, 70, 0, 0, 100, 0, NULL),
	F("raw_initial_gross_amount", NUM, AMOUNT, 5, 0, 0, 10000, 0, NULL),
	F("raw_overhead_net_amount", NUM, AMOUNT, 5, 0, 0, 9710, -30, NULL),
	F("raw_processor_fee_amount", NUM, AMOUNT, 10, 0, 0, 220, 30, NULL),
	F("raw_total_gross_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("recurring_donation_plan_id", INT, PLAN, 0, 0, 0, 0, 0, NULL),
	F("refunded_at", TIME, STATUS_AT, 0, 0, 0, SB_TX_REFUNDED, 0, NULL),
	F("reprocess_attempts", INT, INT, 0, 0, 0, 0, 1, NULL),
	F("status", STR, STATUS, 0, 0, 0, 0, 0, NULL),
	F("supporter_id", INT, SUPPORTER, 0, 0, 0, 0, 0, NULL),
	F("tax_entity_id", INT, INT, 80, 0, 0, 300, 340, NULL),
	F("total_gross_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("updated_at", TIME, UPDATED, 0, 0, 0, 0, 0, NULL),
	/* the document's shape: every key present, null when not captured */
	F("utm", OBJ, RAW, 0, 0, 0, 0, 0,
	  EN("{\"campaign\":\"spring\",\"content\":\"top_banner\",\"medium\":\"email\","
	     "\"source\":\"newsletter\",\"term\":null}",
	     "{\"campaign\":null,\"content\":null,\"medium\":null,\"source\":null,\"term\":null}",
	     "{\"campaign\":\"gt\",\"content\":null,\"medium\":\"social\",\"source\":\"facebook\","
	     "\"term\":\"donate now\"}")),
	F("opted_into_payment_sync", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
};

#define URL_POOL(u) EN(u)
static const sb_field campaign_fields[] = {
	F("address1", STR, STREET, 30, 0, 0, 0, 0, NULL),
	F("campaign_template_id", INT, INT, 60, 0, 0, 400, 499, NULL),
	F("studio_template_id", INT, INT, 80, 0, 0, 1, 20, NULL),
	F("is_linked", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("linked_at", TIME, TOFF, 90, 0, 0, 0, 86400, NULL),
	F("unlinked_at", TIME, TOFF, 95, 0, 0, 86400, 864000, NULL),
	F("canonical_url", STR, URL, 0, 0, 0, 0, 0, URL_POOL("/campaign/c")),
	F("category_id", INT, INT, 30, 0, 0, 1, 12, NULL),
	F("channel_id", INT, INT, 60, 0, 0, 1, 5, NULL),
	F("channel_keywords", STR, POOL, 80, 0, 0, 0, 0, EN("some_keyword", "gala", "5k")),
	F("city", STR, POOL, 20, 0, LOC, 0, 0, &city),
	F("contact_email", STR, POOL, 20, 0, 0, 0, 0, EN("events@example.org", "give@example.org")),
	F("contact_phone", STR, PHONE, 0, 0, 0, 0, 0, NULL),
	F("country", STR, POOL, 20, 0, LOC, 0, 0, &country),
	F("created_at", TIME, CREATED, 0, 0, 0, 0, 0, NULL),
	F("created_with", STR, POOL, 0, 0, 0, 0, 0, EN("classyapp", "classyapp", "api")),
	F("currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD")),
	F("default_page_appeal_email", STR, POOL, 40, 0, 0, 0, 0,
	  EN("Please donate to my fundraising page")),
	F("default_page_goal", NUM, CENTS, 0, 0, 0, 10000, 100000, NULL),
	F("default_page_thank_you_email", STR, POOL, 40, 0, 0, 0, 0, EN("Thank you")),
	F("default_team_appeal_email", STR, POOL, 40, 0, 0, 0, 0,
	  EN("Please donate to my fundraising team")),
	F("default_team_goal", NUM, CENTS, 0, 0, 0, 50000, 500000, NULL),
	F("default_team_thank_you_email", STR, POOL, 40, 0, 0, 0, 0, EN("Thank you")),
	F("designation_id", INT, INT, 20, 0, 0, 34600, 34699, NULL),
	F("display_group_name", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("ended_at", TIME, TOFF, 50, 0, 0, 5184000, 31536000, NULL),
	F("effective_fixed_fot_percent", NUMSTR, CENTS, 20, 0, 0, 400, 500, NULL),
	F("effective_flex_rate_percent", NUM, CENTS, 30, 0, 0, 0, 500, NULL),
	F("effective_recaptcha_settings", STR, POOL, 0, 0, 0, 0, 0, EN("ENABLED", "DISABLED")),
	F("external_id", STR, UUID, 50, 0, 0, 0, 0, NULL),
	F("external_url", STR, POOL, 70, 0, 0, 0, 0, EN("https://pro.gofundme.com")),
	F("goal", NUM, CENTS, 10, VOL, 0, 500000, 10000000, NULL),
	F("hide_from_profile", BOOL, BOOL, 30, 0, 0, 10, 0, NULL),
	F("id", INT, ID, 0, 0, 0, 0, 0, NULL),
	F("internal_name", STR, CAMPNAME, 30, 0, 0, 0, 1, NULL),
	F("is_fees_free", BOOL, BOOL, 30, 0, 0, 10, 0, NULL),
	F("is_general", INT, INT, 30, 0, 0, 0, 1, NULL),
	F("location_details", STR, POOL, 0, 0, 0, 0, 0, EN("Heading north on I-5...", "")),
	F("minimum_donation_amount", NUM, CENTS, 0, 0, 0, 100, 1000, NULL),
	F("name", STR, CAMPNAME, 0, 0, 0, 0, 0, NULL),
	F("organization_id", INT, ORG, 0, 0, 0, 0, 0, NULL),
	F("postal_code", STR, POOL, 20, 0, LOC, 0, 0, &zip),
	F("raw_currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD", "USD", "EUR")),
	F("raw_goal", NUMSTR, CENTS, 0, VOL, 0, 500000, 10000000, NULL),
	F("redirect_url", STR, POOL, 70, 0, 0, 0, 0, EN("https://pro.gofundme.com/")),
	F("sort_designation_by", STR, POOL, 0, 0, 0, 0, 0, EN("A-Z", "NEW-OLD", "OLD-NEW")),
	F("started_at", TIME, TOFF, 0, 0, 0, 0, 2592000, NULL),
	F("state", STR, POOL, 20, 0, LOC, 0, 0, &state),
	F("status", STR, STATUS, 0, 0, 0, 0, 0, NULL),
	F("timezone_identifier", STR, POOL, 0, 0, 0, 0, 0,
	  EN("America/Los_Angeles", "America/New_York", "Europe/Berlin", "UTC")),
	F("type", STR, POOL, 0, 0, 0, 0, 0,
	  EN("donation", "donation", "crowdfunding", "peer_to_peer", "ticketed", "registration",
	     "reg_w_fund", "fund_for_entry", "dynamic", "gfm_npo", "gfm_p2p")),
	F("updated_at", TIME, UPDATED, 0, 0, 0, 0, 0, NULL),
	F("venue", STR, POOL, 70, 0, 0, 0, 0, EN("City Townhall", "Balboa Park")),
	F("add_registration_fee", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("allow_duplicate_fundraisers", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("allow_fundraising_pages", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("allow_team_fundraising", BOOL, BOOL, 0, 0, 0, 40, 0, NULL),
	F("default_page_appeal", STR, POOL, 40, 0, 0, 0, 0, EN("Please donate to my fundraising page")),
	F("default_page_post_asset_id", INT, INT, 70, 0, 0, 1, 999, NULL),
	F("default_page_post_body", STR, POOL, 50, 0, 0, 0, 0, EN("Lorem ipsum")),
	F("default_page_post_title", STR, POOL, 50, 0, 0, 0, 0, EN("Welcome to our team page!")),
	F("default_team_appeal", STR, POOL, 40, 0, 0, 0, 0, EN("Please donate to my fundraising team")),
	F("default_team_post_asset_id", INT, INT, 70, 0, 0, 1, 999, NULL),
	F("default_team_post_body", STR, POOL, 50, 0, 0, 0, 0, EN("Lorem ipsum")),
	F("default_team_post_title", STR, POOL, 50, 0, 0, 0, 0, EN("Welcome to our team page!")),
	F("default_thank_you_text", STR, POOL, 30, 0, 0, 0, 0, EN("Thank you so much!", "Merci ! 🙏")),
	F("fixed_fot_percent", NUMSTR, CENTS, 20, 0, 0, 400, 500, NULL),
	F("flex_rate_percent", NUM, CENTS, 30, 0, 0, 0, 500, NULL),
	F("is_billing_address_required", BOOL, BOOL, 0, 0, 0, 30, 0, NULL),
	F("is_ended_at_hidden", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("is_started_at_hidden", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("pages_can_set_appeal", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("pages_can_set_goal", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("team_membership_policy", STR, POOL, 0, 0, 0, 0, 0, EN("optional", "required", "prohibited")),
	F("teams_can_set_appeal", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("teams_can_set_goal", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("ticket_pass_on_fees", BOOL, BOOL, 30, 0, 0, 20, 0, NULL),
	F("allow_ecards", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("classy_mode_appeal", STR, POOL, 60, 0, 0, 0, 0, EN("Example appeal text")),
	F("classy_mode_checked_by_default", BOOL, BOOL, 0, 0, 0, 30, 0, NULL),
	F("classy_mode_enabled", BOOL, BOOL, 30, 0, 0, 30, 0, NULL),
	F("checkout_corporate_donation_enabled", BOOL, BOOL, 0, 0, 0, 70, 0, NULL),
	F("corporate_donation_enabled", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("custom_url", STR, URL, 80, 0, 0, 0, 0, URL_POOL("https://give.example.org/c/")),
	F("daf_enabled", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("dcf_enabled", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("dcf_allowed", BOOL, BOOL, 0, 0, 0, 60, 0, NULL),
	F("disable_donation_attribution", BOOL, BOOL, 30, 0, 0, 10, 0, NULL),
	F("hide_anonymous_donations", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_recurring_end_date", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_contact_opt_in", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_donation_amounts", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_dedications", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_donation_comments", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("offer_dedication_postal_notifications", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("opt_in_checked_by_default", BOOL, BOOL, 0, 0, 0, 40, 0, NULL),
	F("return_url", STR, URL, 80, 0, 0, 0, 0, URL_POOL("https://test.org/return/")),
	F("send_dedication_emails", BOOL, BOOL, 30, 0, 0, 40, 0, NULL),
	F("logo_id", INT, INT, 40, 0, 0, 1000, 1999, NULL),
	F("logo_url", STR, POOL, 40, 0, 0, 0, 0, EN("https://gofundme-cdn-url.com/your-logo.png")),
	F("team_cover_photo_id", INT, INT, 70, 0, 0, 2000, 2999, NULL),
	F("team_cover_photo_url", STR, POOL, 70, 0, 0, 0, 0,
	  EN("https://gofundme-cdn-url.com/your-team-cover-photo.png")),
	F("crypto_giving", STR, POOL, 0, 0, 0, 0, 0, EN("disabled", "disabled", "enabled", "exclusive")),
	F("embedded_giving", STR, POOL, 0, 0, 0, 0, 0, EN("disabled", "modal", "inline")),
	F("exit_modal", BOOL, BOOL, 0, 0, 0, 20, 0, NULL),
	F("use_intelligent_ask_onetime", BOOL, BOOL, 30, 0, 0, 30, 0, NULL),
	F("use_intelligent_ask_recurring", BOOL, BOOL, 30, 0, 0, 30, 0, NULL),
	F("whitelist_url", STR, POOL, 70, 0, 0, 0, 0, EN("https://www.myawesomecharity.org")),
};

static const sb_field plan_fields[] = {
	F("address", STR, STREET, 0, SUP, 0, 0, 0, NULL),
	F("address2", STR, POOL, 85, SUP, 0, 0, 0, EN("Unit 26", "Apt 4B")),
	F("applied_fot_percent", NUM, CENTS, 60, 0, 0, 300, 500, NULL),
	F("campaign_id", INT, CAMPAIGN, 0, 0, 0, 0, 0, NULL),
	F("canceled_at", TIME, STATUS_AT, 0, 0, 0, SB_PLAN_CANCELED, 0, NULL),
	F("cancel_by", STR, POOL, 70, 0, 0, 0, 0, EN("admin", "supporter")),
	F("cancel_reason_code", STR, POOL, 80, 0, 0, 0, 0, EN("1", "2", "5")),
	F("cancel_reason_text", STR, POOL, 80, 0, 0, 0, 0,
	  EN("Can no longer afford it", "Moved to annual giving")),
	F("cc_card_exp", STR, POOL, 0, 0, 0, 0, 0, EN("202612", "202709", "202511", "202803")),
	F("cc_last_four", STR, DIGITS, 0, 0, 0, 4, 0, NULL),
	F("ach_last_four", INT, INT, 85, 0, 0, 1000, 9999, NULL),
	F("cc_type", STR, POOL, 20, 0, 0, 0, 0, EN("Visa", "Mastercard", "American Express")),
	F("city", STR, POOL, 0, SUP, LOC, 0, 0, &city),
	F("company_name", STR, POOL, 90, 0, 0, 0, 0, EN("Test Company", "Acme Corp")),
	F("country", STR, POOL, 0, SUP, LOC, 0, 0, &country),
	F("created_at", TIME, CREATED, 0, 0, 0, 0, 0, NULL),
	F("currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD")),
	F("designation_id", INT, INT, 20, 0, 0, 34600, 34699, NULL),
	F("donation_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("failed_at", TIME, STATUS_AT, 0, 0, 0, SB_PLAN_FAILED, 0, NULL),
	F("fee_on_top", BOOL, BOOL, 0, 0, 0, 30, 0, NULL),
	F("first_name", STR, FIRST, 0, SUP, 0, 0, 0, NULL),
	F("frequency", STR, FREQ, 0, 0, 0, 0, 0, NULL),
	F("fundraising_page_id", INT, INT, 80, 0, 0, 2100000, 2199999, NULL),
	F("fundraising_team_id", INT, INT, 90, 0, 0, 209000, 209999, NULL),
	F("id", INT, ID, 0, 0, 0, 0, 0, NULL),
	F("is_anonymous", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("hide_amount", BOOL, BOOL, 0, 0, 0, 5, 0, NULL),
	F("is_gift_aid", BOOL, BOOL, 0, 0, 0, 2, 0, NULL),
	F("is_paused", BOOL, BOOL, 0, 0, 0, 3, 0, NULL),
	F("can_be_reactivated", BOOL, BOOL, 0, 0, 0, 70, 0, NULL),
	F("last_name", STR, LAST, 0, SUP, 0, 0, 0, NULL),
	F("member_id", INT, INT, 0, 0, 0, 1000, 999999, NULL),
	F("metadata", OBJ, RAW, 85, 0, 0, 0, 0, EN("{\"foo\":\"bar\"}")),
	F("next_processing_date", DATE, DOFF, 20, 0, 0, 1, 31, NULL),
	F("organization_id", INT, ORG, 0, 0, 0, 0, 0, NULL),
	F("pause_until", DATE, DOFF, 95, 0, 0, 30, 90, NULL),
	F("plan_paused_on_date", DATE, DOFF, 95, 0, 0, -30, -1, NULL),
	F("payment_gateway", STR, POOL, 10, 0, 0, 0, 0, EN("Classy Pay", "Stripe", "PayPal")),
	F("payment_provider_configuration_name", STR, POOL, 30, 0, 0, 0, 0, EN("Classy Pay")),
	F("payment_type", STR, POOL, 10, 0, 0, 0, 0, EN("Credit Card", "Credit Card", "ACH", "Paypal")),
	F("postal_code", STR, POOL, 0, SUP, LOC, 0, 0, &zip),
	F("pp_plan_id", STR, HEX, 0, 0, 0, 13, 0, NULL),
	F("raw_currency_code", STR, POOL, 0, 0, 0, 0, 0, EN("USD")),
	F("raw_donation_amount", NUMSTR, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("recur_until", DATE, DOFF, 80, 0, 0, 365, 1095, NULL),
	/* the document's shape: mmdd, month, day */
	F("schedule", OBJ, RAW, 50, 0, 0, 0, 0,
	  EN("{\"mmdd\":\"0115\",\"month\":\"January\",\"day\":15}",
	     "{\"mmdd\":\"0901\",\"month\":\"September\",\"day\":1}")),
	F("started_at", TIME, TOFF, 0, 0, 0, 0, 0, NULL),
	F("state", STR, POOL, 0, SUP, LOC, 0, 0, &state),
	F("status", STR, STATUS, 0, 0, 0, 0, 0, NULL),
	F("supporter_id", INT, SUPPORTER, 0, 0, 0, 0, 0, NULL),
	F("timezone_identifier", STR, POOL, 0, 0, 0, 0, 0, EN("UTC", "America/New_York")),
	F("updated_at", TIME, UPDATED, 0, 0, 0, 0, 0, NULL),
	F("is_donor_covered_fee", BOOL, BOOL, 0, 0, 0, 40, 0, NULL),
	F("raw_initial_gross_amount", NUM, AMOUNT, 0, 0, 0, 10000, 0, NULL),
	F("raw_adjustment_amount", NUM, AMOUNT, 0, 0, 0, 0, 0, NULL),
	F("dcf_enabled", BOOL, BOOL, 0, 0, 0, 50, 0, NULL),
	F("dcf_allowed", BOOL, BOOL, 0, 0, 0, 60, 0, NULL),
	F("classy_mode_enabled", BOOL, BOOL, 0, 0, 0, 30, 0, NULL),
	F("effective_fixed_fot_percent", NUMSTR, CENTS, 0, 0, 0, 400, 500, NULL),
	F("migrated", BOOL, BOOL, 0, 0, 0, 10, 0, NULL),
	F("migration_date", TIME, TOFF, 85, 0, 0, 0, 86400, NULL),
};

_Static_assert(NELEM(supporter_fields) == 27, "Supporter has 27 fields");
_Static_assert(NELEM(transaction_fields) == 96, "Transaction has 96 fields");
_Static_assert(NELEM(campaign_fields) == 108, "Campaign has 108 fields");
_Static_assert(NELEM(plan_fields) == 62, "RecurringDonationPlan has 62 fields");
_Static_assert(NELEM(campaign_fields) <= SB_MAX_FIELDS, "SB_MAX_FIELDS too small");

/* Status and frequency pools: the order is what SB_TX_* / SB_PLAN_* name.
 * Transaction spells "semi-annual", plans "semi-annually" (both per the spec). */
#define TX_STATUS EN("success", "refunded", "failed", "canceled", "pending", "incomplete")
#define PLAN_STATUS EN("active", "canceled", "failed", "ended", "paused", "failing")
#define CAMPAIGN_STATUS EN("active", "deactivated", "draft", "unpublished")
#define TX_FREQ EN("one-time", "monthly", "yearly", "quarterly", "weekly", "daily", \
		   "bi-weekly", "semi-annual", "bi-monthly")
#define PLAN_FREQ EN("one-time", "monthly", "yearly", "quarterly", "weekly", "daily", \
		     "bi-weekly", "semi-annually", "bi-monthly")

sb_entity sb_entities[SB_NENT] = {
	[SB_SUPPORTERS] = {"supporters", supporter_fields, NELEM(supporter_fields), NULL, NULL,
			   0, 0},
	[SB_TRANSACTIONS] = {"transactions", transaction_fields, NELEM(transaction_fields),
			     TX_STATUS, TX_FREQ, 0, 0},
	[SB_CAMPAIGNS] = {"campaigns", campaign_fields, NELEM(campaign_fields), CAMPAIGN_STATUS,
			  NULL, 0, 0},
	[SB_PLANS] = {"recurring-donation-plans", plan_fields, NELEM(plan_fields), PLAN_STATUS,
		      PLAN_FREQ, 0, 0},
};

int sb_field_find(const sb_entity *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (strlen(e->fields[i].name) == len && !memcmp(e->fields[i].name, name, len))
			return (int)i;
	return -1;
}

/* Every record renders each key, so the quoted "name": forms are built once. */
static char key_text[16384];

void sb_schema_init(void)
{
	size_t used = 0;
	for (int i = 0; i < SB_NENT; i++) {
		sb_entity *e = &sb_entities[i];
		e->f_id = sb_field_find(e, "id", 2);
		e->f_updated = sb_field_find(e, "updated_at", 10);
		for (size_t f = 0; f < e->nfields && f < SB_MAX_FIELDS; f++) {
			char *k = key_text + used;
			int n = snprintf(k, sizeof(key_text) - used, "\"%s\":", e->fields[f].name);
			e->keys[f] = k;
			e->keylen[f] = (uint8_t)n;
			used += (size_t)n + 1;
		}
	}
}

int sb_entity_find(const char *name)
{
	for (int i = 0; name && i < SB_NENT; i++)
		if (!strcmp(sb_entities[i].name, name))
			return i;
	return -1;
}
