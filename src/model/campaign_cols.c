/* The campaigns' columns (Campaign in Classy's OpenAPI
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

const cs_column cs_campaign_cols[] = {
	{"name", T, 0, "Campaign name", 0},
	{"internal_name", T, 0, "Internal name for Campaign. Can differ from name attribute", 0},
	{"status", T, 0, "Status of Campaign", 0},
	{"type", T, 0,
	 "The campaign's type, which determines its functionality and features:\n - donation: "
	 "    Classic standard donation page (retired)\n - crowdfunding: Classic Crowdfunding "
	 "campaign (retired)\n - peer_to_peer: Classic Peer-to-Peer campaign\n - ticketed:    "
	 " Ticketed Event campaign\n - reg_w_fund:   Registration with Fundraising campaign\n "
	 "- dynamic:      Campaign Studio Donation Page and Embedded Form campaigns\n - "
	 "gfm_npo:      Campaign used to process transactions from an organization's GoFundMe "
	 "Nonprofit Page and individual fundraisers on behalf of the organization (only "
	 "available if the organization's GoFundMe Nonprofit Page is claimed)\n - gfm_p2p:    "
	 "  GoFundMe Peer-to-Peer campaign that leverages GoFundMe for the fundraising "
	 "experience (only available if the organization's GoFundMe Nonprofit Page is claimed)", 0},
	{"goal", M, 0, "Fundraising goal for this Campaign normalized against currency_code", 0},
	{"raw_goal", T, 0, "Raw Fundraising Goal for this Campaign", 0},
	{"currency_code", T, 0,
	 "ISO code of the currency against which this Campaign is normalized. Inherited from "
	 "Organization's currency code.", 0},
	{"raw_currency_code", T, 0,
	 "ISO code of the currency in which this Campaign should be presented. Defaults to "
	 "`currency_code` value if not specified.", 0},
	{"started_at", TS, 0, "Date/time the campaign begins", 0},
	{"ended_at", TS, 0, "Date/time of when the campaign ends", 0},
	{"designation_id", I, IX,
	 "ID of Designation the Campaign Transactions will be allocated to", 0},
	{"timezone_identifier", T, 0, "Timezone Identifier", 0},
	{"canonical_url", T, 0, "Canonical url of the Campaign", 0},
	{"created_at", TS, 0, "Date/time of initial record creation", 0},
	{"updated_at", TS, 0, "Date/time of last alteration", 0},
	/* migration 9 */
	{"address1", T, 0, "First line of address", 9},
	{"campaign_template_id", I, 0,
	 "Primary identifier of the Campaign Template this Campaign was created from", 9},
	{"studio_template_id", I, 0,
	 "Primary identifier of the Studio Template this Campaign was created from", 9},
	{"is_linked", B, 0,
	 "Whether the Campaign is currently consuming Studio Template updates. Defaults to "
	 "false; set true when the campaign is created linked to a Studio Template, and false "
	 "again on unlink.", 9},
	{"linked_at", TS, 0,
	 "Set once when the campaign first becomes linked to a Studio Template at creation; "
	 "never updated thereafter (no re-link path). NULL if never linked.", 9},
	{"unlinked_at", TS, 0,
	 "Timestamp of the unlink operation. NULL until the campaign is unlinked from its "
	 "Studio Template; written only by the unlink flow, never at creation. Never cleared.", 9},
	{"category_id", I, 0, "Category designation for Campaign", 9},
	{"channel_id", I, 0, "Channel designation for Campaign", 9},
	{"channel_keywords", T, 0, "List of keywords Campaign is tagged with", 9},
	{"city", T, 0, "City name", 9},
	{"contact_email", T, 0,
	 "Email address for the Campaign Contact. Set to the Organization Email by default if "
	 "none is specified", 9},
	{"contact_phone", T, 0, "Phone number for the Campaign Contact", 9},
	{"country", T, 0, "Country name", 9},
	{"created_with", T, 0, "Indicates which application created the Campaign", 9},
	{"default_page_appeal_email", T, 0,
	 "Default appeal text displayed on Fundraising Pages", 9},
	{"default_page_goal", M, 0,
	 "Default goal for the Campaign's Fundraising Pages. Presented in units of the "
	 "Campaign's currency_code", 9},
	{"default_page_thank_you_email", T, 0,
	 "Default thank you email text for the Campaign's Fundraising Pages", 9},
	{"default_team_appeal_email", T, 0, "Default appeal email text for Fundraising Teams", 9},
	{"default_team_goal", M, 0,
	 "Default goal for the Campaign's Fundraising Teams. Presented in units of the "
	 "Campaign's currency_code.", 9},
	{"default_team_thank_you_email", T, 0,
	 "Default thank you email text for the Campaign's Fundraising Teams", 9},
	{"display_group_name", B, 0,
	 "Flag to determine if Designation Group Names should be shown", 9},
	{"effective_fixed_fot_percent", T, 0,
	 "Percentage to be added to fee on top (aka Classy Mode) Transactions for the "
	 "Campaign to cover fees. If fixed fot percent is null falls back on the "
	 "Organization's fixed fot percent", 9},
	{"effective_flex_rate_percent", M, NA,
	 "Percentage Campaign elects to be added to donor covered fees calculation to cover "
	 "any additional costs other than fees. If flex rate percent is null falls back on "
	 "the Organization's flex rate percent", 9},
	{"effective_recaptcha_settings", T, 0,
	 "Indicates whether or not captcha should be displayed on checkout pages. If false at "
	 "Org level, will not display on campaigns.", 9},
	{"external_id", T, 0,
	 "A unique identifier provided by an external system (e.g., Salesforce) that is "
	 "associated with this campaign.", 9},
	{"external_url", T, 0,
	 "When set on a Campaign, GoFundMe Pro will push all requests for this Campaign to "
	 "the specified URL via HTTP redirect. Commonly used to redirect traffic from ended "
	 "Campaign to another Site/Campaign", 9},
	{"hide_from_profile", B, 0,
	 "Indicates whether the Campaign will be hidden on the profile", 9},
	{"is_fees_free", B, 0,
	 "Indicates whether the Campaign has Fees associated with it or not", 9},
	{"is_general", M, NA,
	 "Indicates whether the Campaign is general or not. Boolean returned as 0 or 1 "
	 "accordingly.", 9},
	{"location_details", T, 0,
	 "Additional information about the location of the event (e.g. directions, "
	 "clarifications)", 9},
	{"minimum_donation_amount", M, 0, "Determines the minimum donation amount allowed.", 9},
	{"postal_code", T, 0, "Zip Code", 9},
	{"redirect_url", T, 0, "Redirect the unpublish campaign to this url", 9},
	{"sort_designation_by", T, 0, "How to sort within Designation Groups", 9},
	{"state", T, 0, "State/province name", 9},
	{"venue", T, 0, "Free text representing a location", 9},
	{"add_registration_fee", B, 0, "Indicates whether a registration fee is added or not", 9},
	{"allow_duplicate_fundraisers", B, 0,
	 "Indicates whether a Campaign allows a single User to own several Fundraising Pages", 9},
	{"allow_fundraising_pages", B, 0,
	 "Specifies whether a Campaign allows for the creation of new Fundraising Pages. Only "
	 "relevant for Campaigns with types that allow for Fundraising Pages in general", 9},
	{"allow_team_fundraising", B, 0,
	 "Specifies whether a Campaign allows for Team Fundraising", 9},
	{"default_page_appeal", T, 0, "Default appeal text displayed on Fundraising Pages", 9},
	{"default_page_post_asset_id", I, 0, "Default Asset ID of page story post", 9},
	{"default_page_post_body", T, 0, "Default body of page story post", 9},
	{"default_page_post_title", T, 0, "Default title of page story post", 9},
	{"default_team_appeal", T, 0, "Default appeal text displayed on Fundraising Teams", 9},
	{"default_team_post_asset_id", I, 0, "Default Asset ID of team story post", 9},
	{"default_team_post_body", T, 0, "Default body of team story post", 9},
	{"default_team_post_title", T, 0, "Default title of team story post", 9},
	{"default_thank_you_text", T, 0, "Default thank you text on the thank you page", 9},
	{"fixed_fot_percent", T, 0,
	 "Percentage Campaign elects to be added to Fee on top (aka Classy Mode) Transactions "
	 "to cover Fees", 9},
	{"flex_rate_percent", M, NA,
	 "Percentage Campaign elects to be added to donor covered fees calculation to cover "
	 "any additional costs other than fees.", 9},
	{"is_billing_address_required", B, 0,
	 "If true, a billing address must be provided when creating Transactions against the "
	 "Campaign", 9},
	{"is_ended_at_hidden", B, 0, "If true, Campaign end date is not shown", 9},
	{"is_started_at_hidden", B, 0, "If true, Campaign start date is not shown", 9},
	{"pages_can_set_appeal", B, 0, "Indicates whether Fundraising Pages can set the appeal", 9},
	{"pages_can_set_goal", B, 0, "Indicates whether Fundraising Pages can set the goal", 9},
	{"team_membership_policy", T, 0,
	 "Configuration indicating whether team membership for this Campaign's Fundraising "
	 "Pages is optional, required, or prohibited", 9},
	{"teams_can_set_appeal", B, 0, "Indicates whether Fundraising Teams can set the appeal", 9},
	{"teams_can_set_goal", B, 0, "Indicates whether Fundraising Teams can set the goal", 9},
	{"ticket_pass_on_fees", B, 0,
	 "Indicates whether a Campaign passes Fees from tickets to the user or not (fee on "
	 "top for tickets)", 9},
	{"allow_ecards", B, 0, "Whether Ecard Dedications are available for this Campaign", 9},
	{"classy_mode_appeal", T, 0, "Classy mode appeal text", 9},
	{"classy_mode_checked_by_default", B, 0,
	 "Whether or not classymode or dcf is checked by default on a donation page. Despite "
	 "the name, also applies to DCF", 9},
	{"classy_mode_enabled", B, 0,
	 "If true, give the donor the option to cover the Transaction Fee via ClassyMode "
	 "calculation", 9},
	{"checkout_corporate_donation_enabled", B, 0,
	 "If true, show the company credit card option on the ticketing checkout page", 9},
	{"corporate_donation_enabled", B, 0,
	 "If true, give the donor the option to donate on the behalf of a corporation", 9},
	{"custom_url", T, 0, "Custom URL", 9},
	{"daf_enabled", B, 0,
	 "If true, give the donor the ability to connect a donor advised fund (DAF)", 9},
	{"dcf_enabled", B, 0,
	 "If true, give the donor the option to cover the Transaction Fee via Donor Covered "
	 "Fees calculation", 9},
	{"dcf_allowed", B, 0,
	 "Whether or not the campaign will use DCF or classymode. If true, this means the "
	 "campaign must be treated as a dcf campaign. All newly created campaigns should have "
	 "dcf_allowed = true. For whether or not dcf should show up on a donation page, "
	 "please see dcf_enabled.", 9},
	{"disable_donation_attribution", B, 0,
	 "Flag to allow/disallow donors to select a Fundraising Page or Team to attribute "
	 "their Donation to. If true, Donation Attribution is disabled. Set to false to "
	 "enable Donation Attribution", 9},
	{"hide_anonymous_donations", B, 0,
	 "If true, Donation forms will not display the anonymous Donation field", 9},
	{"hide_recurring_end_date", B, 0,
	 "Indicates whether the end date for recurring donations will be hidden in the "
	 "donation page", 9},
	{"hide_contact_opt_in", B, 0,
	 "If true, Donation forms will not display the contact opt in field", 9},
	{"hide_donation_amounts", B, 0,
	 "If true, donors will not be able to hide their donation amounts", 9},
	{"hide_dedications", B, 0, "If true, donation dedications will not be offered", 9},
	{"hide_donation_comments", B, 0,
	 "If true, donation forms will not display the donation comments field", 9},
	{"offer_dedication_postal_notifications", B, 0,
	 "If true, offer to collect mailing information for postal notifications for "
	 "dedications", 9},
	{"opt_in_checked_by_default", B, 0,
	 "If true, and if the hide_contact_opt_in option is false, this will check the opt-in "
	 "selection by default on donation forms", 9},
	{"return_url", T, 0, "Return URL", 9},
	{"send_dedication_emails", B, 0, "If true, send dedication email for donation", 9},
	{"logo_id", I, 0,
	 "Primary identifier of Asset used as the main Campaign Logo. Interpreted from "
	 "associated Campaign Theme", 9},
	{"logo_url", T, 0,
	 "URL for logo image. Either hardcoded URL for legacy Campaigns or interpreted from "
	 "logo Asset specified by logo ID", 9},
	{"team_cover_photo_id", I, 0,
	 "ID of the associated Asset that serves as the default cover photo for this "
	 "Campaign's Teams (inherited from associated Theme)", 9},
	{"team_cover_photo_url", T, 0,
	 "URL for Campaign's default team cover photo image. Interpreted from team cover "
	 "photo Asset specified by team cover photo ID", 9},
	{"crypto_giving", T, 0, "Indicates if Crypto Giving is Enabled, Disabled or Exclusive", 9},
	{"embedded_giving", T, 0, "Indicates if Embedded Giving is Disabled, Modal or Inline", 9},
	{"exit_modal", B, 0, "Indicates if Exit Modal is toggle on/off for a certain Campaign", 9},
	{"use_intelligent_ask_onetime", B, 0,
	 "Toggle Intelligent Ask Amount for One-time donations", 9},
	{"use_intelligent_ask_recurring", B, 0,
	 "Toggle Intelligent Ask Amount for Recurring donations", 9},
	{"whitelist_url", T, 0,
	 "Used to bypass security blocking conditions in the donor iframe, based on "
	 "X-FRAME-OPTIONS ALLOW-FROM", 9},
};
_Static_assert(sizeof(cs_campaign_cols) / sizeof(cs_campaign_cols[0]) == CS_CAMPAIGN_NCOLS,
	       "CS_CAMPAIGN_NCOLS (model/entity_cols.h) must count cs_campaign_cols");
