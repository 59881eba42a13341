/* The data dictionary's words for what the project owns: each table's and
 * view's purpose, the bookkeeping and computed columns of the entity tables,
 * the project's own tables, and every view column with its role (a view is
 * SQL text, so its columns are listed here in the view's order; the store's
 * unit test checks the list against the views a migration makes). Columns
 * mirrored from the API are described by Classy's document, in
 * model/entities.c, never here. Data only. */
#include "store/sql/dict_text.h"
#include "store/sql/sql.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TBL(t, d) {t, NULL, -1, d}
#define COL(t, c, d) {t, c, -1, d}
#define VCOL(v, c, role, d) {v, c, CS_ROLE_##role, d}

/* supporter_segments and contact_segments end with the same columns
 * (segments.h: SEGMENTS_SELECT), but for the first and last gift: a
 * supporter's is the gift's time, a contact's the UTC date (@date) */
#define SEGMENT_COLS(v, when, what)                                                            \
	VCOL(v, "email_address", TEXT, "The supporter's email address"),                        \
	VCOL(v, "first_name", TEXT, "First name"), VCOL(v, "last_name", TEXT, "Last name"),     \
	VCOL(v, "opt_in", BOOL, "Whether the supporter opted in to email (Classy's opt_in)"),   \
	VCOL(v, "lifetime_donation_amount", MONEY,                                              \
	     "Sum of successful, not deleted gifts (supporters.lifetime_donation_amount)"),     \
	VCOL(v, "lifetime_donation_count", INT, "Number of successful, not deleted gifts"),     \
	VCOL(v, "monthly_recurring_amount", MONEY,                                              \
	     "Monthly value of active recurring plans (frequency_factors)"),                    \
	VCOL(v, "active_recurring_plans", INT, "Number of active recurring plans"),             \
	VCOL(v, "first_donation_date", when, what " of the first successful gift"),             \
	VCOL(v, "last_donation_date", when, what " of the latest successful gift"),             \
	VCOL(v, "days_since_last_gift", INT,                                                    \
	     "Whole days since the latest successful gift (0 for a future date)"),              \
	VCOL(v, "value_tier", KEY,                                                              \
	     "Segment of segment_thresholds kind 'value' holding the lifetime amount"),         \
	VCOL(v, "value_tag", KEY, "Tag name of value_tier"),                                    \
	VCOL(v, "engagement_segment", KEY,                                                      \
	     "Segment of kind 'engagement' holding days_since_last_gift"),                      \
	VCOL(v, "engagement_tag", KEY, "Tag name of engagement_segment"),                       \
	VCOL(v, "frequency_segment", KEY,                                                       \
	     "Segment of kind 'frequency' holding lifetime_donation_count"),                    \
	VCOL(v, "frequency_tag", KEY, "Tag name of frequency_segment"),                         \
	VCOL(v, "is_monthly_recurring", BOOL, "Whether any recurring plan is active"),          \
	VCOL(v, "monthly_recurring_tag", KEY, "Tag name for monthly donors (special_tags)"),    \
	VCOL(v, "is_lifetime_1k", BOOL, "Whether the lifetime amount is at least 1,000"),       \
	VCOL(v, "lifetime_1k_tag", KEY, "Tag name for lifetime donors of 1,000 or more"),       \
	VCOL(v, "is_lifetime_5k", BOOL, "Whether the lifetime amount is at least 5,000"),       \
	VCOL(v, "lifetime_5k_tag", KEY, "Tag name for lifetime donors of 5,000 or more"),       \
	VCOL(v, "is_monthly_100", BOOL, "Whether the monthly recurring amount is at least 100"), \
	VCOL(v, "monthly_100_tag", KEY, "Tag name for monthly donors of 100 or more")

#define DISTRIBUTION_COLS(v, seg, tag, segdesc)                                                     \
	VCOL(v, "organization_id", INT, "The organization"),                                    \
	VCOL(v, seg, KEY, segdesc " (NULL: supporters without a successful gift)"),             \
	VCOL(v, tag, KEY, "Tag name of the segment"),                                          \
	VCOL(v, "sort", INT, "The segment's sort order in segment_thresholds"),                 \
	VCOL(v, "supporters", INT, "Number of supporters in the segment"),                      \
	VCOL(v, "total_lifetime_value", MONEY, "Sum of their lifetime donation amounts"),       \
	VCOL(v, "average_lifetime_value", MONEY, "Average lifetime amount, rounded to cents"),  \
	VCOL(v, "monthly_recurring_amount", MONEY, "Sum of their monthly recurring amounts")

const cs_sql_dict_text cs_sql_dict_texts[] = {
	/* ---- the entity tables ---- */
	TBL("campaigns", "Classy campaigns of each synced organization, one row per campaign"),
	TBL("supporters", "Classy supporters (donors and fundraisers), with donation aggregates "
			  "the store computes"),
	TBL("transactions", "Classy transactions (donations, registrations, refunds)"),
	TBL("recurring_plans", "Classy recurring donation plans"),
	COL("*", "organization_id", "The Classy organization the record was synced for "
				    "(organizations.id)"),
	COL("*", "raw_json", "The record exactly as the API sent it; every field, mirrored or not"),
	COL("*", "synced_at", "When classy-sync last wrote the row (UTC)"),
	COL("*", "deleted_at", "When a full sync found the record gone from the API (soft delete); "
			       "NULL while it exists"),
	COL("supporters", "lifetime_donation_amount",
	    "Sum of total_gross_amount of the supporter's successful, not deleted transactions"),
	COL("supporters", "lifetime_donation_count",
	    "Number of the supporter's successful, not deleted transactions"),
	COL("supporters", "first_donation_date", "purchased_at of the first successful gift"),
	COL("supporters", "last_donation_date", "purchased_at of the latest successful gift"),
	COL("supporters", "active_recurring_plans", "Number of the supporter's active plans"),
	COL("supporters", "monthly_recurring_amount",
	    "Monthly value of the active plans: donation_amount x frequency_factors"),
	COL("supporters", "aggregates_at", "When the aggregates were last computed; NULL: pending"),
	/* the *_cents twins of the amounts are described with them (sql_cents.c) */

	/* ---- the migrations' own record (sql_migrate.c) ---- */
	TBL("schema_migrations", "The migrations applied to this database (db status)"),
	VCOL("schema_migrations", "version", INT, "Migration number"),
	VCOL("schema_migrations", "name", TEXT, "Migration name"),
	VCOL("schema_migrations", "applied_at", TEXT, "When it was applied (UTC, ISO 8601)"),

	/* ---- v1 core ---- */
	TBL("organizations", "The Classy organizations classy-sync syncs, with their credentials"),
	COL("organizations", "id", "Classy's organization id"),
	COL("organizations", "name", "The organization's name as Classy gives it"),
	COL("organizations", "client_id", "The API application's client id"),
	COL("organizations", "client_secret_enc",
	    "The client secret, encrypted with the master key (never plain)"),
	COL("organizations", "created_at", "When the organization was added (UTC)"),
	COL("organizations", "updated_at", "When it was last changed (UTC)"),
	TBL("sync_state", "Each organization's sync position per entity"),
	COL("sync_state", "organization_id", "The organization"),
	COL("sync_state", "entity", "The entity table name"),
	COL("sync_state", "cursor", "Highest updated_at committed by incremental sync"),
	COL("sync_state", "lookback_s", "Seconds re-read before the cursor on each incremental sync"),
	COL("sync_state", "full_last_id", "Last id committed by a full sync in progress (resume)"),
	COL("sync_state", "full_started_at", "When the full sync in progress began"),
	COL("sync_state", "last_full_at", "When the last full sync finished"),
	COL("sync_state", "updated_at", "When the row last changed (UTC)"),
	TBL("sync_runs", "One row per sync of one entity of one organization"),
	COL("sync_runs", "id", "Run number"),
	COL("sync_runs", "organization_id", "The organization"),
	COL("sync_runs", "entity", "The entity table name"),
	COL("sync_runs", "mode", "'full' or 'incremental'"),
	COL("sync_runs", "started_at", "When the run began (UTC)"),
	COL("sync_runs", "finished_at", "When it ended; NULL while running"),
	COL("sync_runs", "status", "'running', 'success', 'failed' or 'interrupted'"),
	COL("sync_runs", "records", "Records written"),
	COL("sync_runs", "pages", "Pages fetched"),
	COL("sync_runs", "requests", "HTTP requests made"),
	COL("sync_runs", "retries", "Requests retried"),
	COL("sync_runs", "error", "Why it failed, or NULL"),
	COL("sync_runs", "pid", "Process id that ran it (meaningful on its host only)"),
	COL("sync_runs", "host", "Host that ran it; NULL for runs recorded before migration 6"),
	TBL("aggregate_queue", "Supporters whose aggregates must be recomputed"),
	COL("aggregate_queue", "organization_id", "The organization"),
	COL("aggregate_queue", "supporter_id", "The supporter (supporters.id)"),

	/* ---- v2 reference ---- */
	TBL("segment_thresholds", "Segment boundaries users edit: a value v is in a segment when "
				  "min_value <= v < max_value"),
	COL("segment_thresholds", "kind", "'value', 'engagement' or 'frequency'"),
	COL("segment_thresholds", "segment", "Segment name"),
	COL("segment_thresholds", "tag", "Tag name pushed to destinations (unique)"),
	COL("segment_thresholds", "min_value", "Lowest value in the segment (inclusive)"),
	COL("segment_thresholds", "max_value", "Value above the segment (exclusive); NULL: none"),
	COL("segment_thresholds", "sort", "Order when edited ranges overlap: lowest wins"),
	TBL("special_tags", "Names of the tags that are not segments"),
	COL("special_tags", "key", "What the tag marks (monthly_recurring, lifetime_1k, ...)"),
	COL("special_tags", "tag", "Tag name (unique)"),
	COL("special_tags", "description", "What the tag means"),
	TBL("frequency_factors", "Monthly value of a plan: amount x num / den per frequency"),
	COL("frequency_factors", "frequency", "A recurring plan's frequency"),
	COL("frequency_factors", "num", "Numerator"),
	COL("frequency_factors", "den", "Denominator"),

	/* ---- v4 plugins ---- */
	TBL("plugin_state", "What a push plugin last sent per contact and scope"),
	COL("plugin_state", "plugin", "Plugin name"),
	COL("plugin_state", "scope", "The destination's scope (a Mailchimp list id)"),
	COL("plugin_state", "email_key", "Trimmed, ASCII-lowercased email: the contact"),
	COL("plugin_state", "organization_id", "The organization"),
	COL("plugin_state", "supporter_id", "The supporter the payload came from"),
	COL("plugin_state", "payload_hash", "Hash of the canonical payload"),
	COL("plugin_state", "payload", "The canonical payload sent (JSON)"),
	COL("plugin_state", "status", "The contact's state at the destination"),
	COL("plugin_state", "updated_at", "When the row last changed (UTC)"),
	TBL("plugin_runs", "One row per push of one organization by one plugin"),
	COL("plugin_runs", "id", "Run number"),
	COL("plugin_runs", "plugin", "Plugin name"),
	COL("plugin_runs", "organization_id", "The organization"),
	COL("plugin_runs", "mode", "How it ran (sync, dry run, ...)"),
	COL("plugin_runs", "started_at", "When the run began (UTC)"),
	COL("plugin_runs", "finished_at", "When it ended; NULL while running"),
	COL("plugin_runs", "status", "'running', 'success', 'failed' or 'interrupted'"),
	COL("plugin_runs", "considered", "Contacts considered"),
	COL("plugin_runs", "unchanged", "Contacts with nothing to send"),
	COL("plugin_runs", "created", "Contacts created"),
	COL("plugin_runs", "updated", "Contacts updated"),
	COL("plugin_runs", "tagged", "Contacts whose tags changed"),
	COL("plugin_runs", "skipped", "Contacts skipped (e.g. cannot be re-subscribed)"),
	COL("plugin_runs", "rejected", "Contacts the destination refused"),
	COL("plugin_runs", "failed", "Contacts that failed"),
	COL("plugin_runs", "requests", "HTTP requests made"),
	COL("plugin_runs", "writes", "Write requests made"),
	COL("plugin_runs", "error", "Why it failed, or NULL"),
	COL("plugin_runs", "pid", "Process id that ran it"),
	COL("plugin_runs", "host", "Host that ran it; NULL for runs recorded before migration 6"),
	TBL("plugin_outcomes", "One row per action on a contact (audit trail)"),
	COL("plugin_outcomes", "id", "Row number"),
	COL("plugin_outcomes", "run_id", "The push (plugin_runs.id)"),
	COL("plugin_outcomes", "plugin", "Plugin name"),
	COL("plugin_outcomes", "organization_id", "The organization"),
	COL("plugin_outcomes", "supporter_id", "The supporter"),
	COL("plugin_outcomes", "email_key", "The contact"),
	COL("plugin_outcomes", "action", "What was done (create, update, tag, ...)"),
	COL("plugin_outcomes", "status", "How it ended"),
	COL("plugin_outcomes", "error_title", "The destination's error title, or NULL"),
	COL("plugin_outcomes", "error_detail", "The destination's error detail, or NULL"),
	COL("plugin_outcomes", "request_id", "The destination's request id, for its support"),
	COL("plugin_outcomes", "at", "When (UTC)"),

	/* ---- v5 operations, v7 budget ---- */
	TBL("sync_leases", "Who runs a job of an organization now (daemon workers)"),
	COL("sync_leases", "organization_id", "The organization"),
	COL("sync_leases", "job", "The job"),
	COL("sync_leases", "holder", "The worker holding the lease"),
	COL("sync_leases", "pid", "Its process id"),
	COL("sync_leases", "host", "Its host"),
	COL("sync_leases", "acquired_at", "When taken (ms since the epoch)"),
	COL("sync_leases", "expires_at", "When it lapses unless renewed (ms since the epoch)"),
	TBL("alerts", "Each alert condition's state, so cooldowns survive a restart"),
	COL("alerts", "key", "The alert condition"),
	COL("alerts", "state", "'ok' or 'firing'"),
	COL("alerts", "since", "When the state began (s since the epoch)"),
	COL("alerts", "last_sent_at", "When an alert was last sent (s since the epoch)"),
	COL("alerts", "count", "Alerts sent in this episode"),
	COL("alerts", "last_message", "The last message sent"),
	COL("alerts", "updated_at", "When the row last changed (UTC)"),
	TBL("rate_slots", "The API request budget shared by every process (per second)"),
	COL("rate_slots", "app", "The API application (client id)"),
	COL("rate_slots", "slot", "Wall-clock second"),
	COL("rate_slots", "used", "Requests handed out in that second"),

	/* ---- v8 analysts ---- */
	TBL("view_column_types", "Never holds a row: each column is declared as one column role "
				 "is, and SQLite's views take their columns' declared types from "
				 "it (a view column gets none from a CAST there)"),
	COL("view_column_types", "id_value", "Declared as an API id"),
	COL("view_column_types", "int_value", "Declared as an integer"),
	COL("view_column_types", "bool_value", "Declared as a boolean"),
	COL("view_column_types", "money_value", "Declared as an amount"),
	COL("view_column_types", "real_value", "Declared as a number"),
	COL("view_column_types", "time_value", "Declared as a datetime"),
	COL("view_column_types", "date_value", "Declared as a date"),
	COL("view_column_types", "key_value", "Declared as short text"),
	COL("view_column_types", "text_value", "Declared as text"),
	COL("view_column_types", "json_value", "Declared as a JSON document"),

	/* ---- views ---- */
	TBL("supporter_segments", "One row per not deleted supporter: figures and segments"),
	VCOL("supporter_segments", "supporter_id", INT, "The supporter (supporters.id)"),
	VCOL("supporter_segments", "organization_id", INT, "The organization"),
	SEGMENT_COLS("supporter_segments", TIME, "Time"),
	TBL("supporter_summary", "One row per not deleted supporter: giving summary"),
	VCOL("supporter_summary", "supporter_id", INT, "The supporter (supporters.id)"),
	VCOL("supporter_summary", "organization_id", INT, "The organization"),
	VCOL("supporter_summary", "name", TEXT, "First and last name, NULL when both are empty"),
	VCOL("supporter_summary", "email_address", TEXT, "Email address"),
	VCOL("supporter_summary", "lifetime_donation_amount", MONEY, "Sum of successful gifts"),
	VCOL("supporter_summary", "lifetime_donation_count", INT, "Number of successful gifts"),
	VCOL("supporter_summary", "first_donation_date", TIME, "Time of the first gift"),
	VCOL("supporter_summary", "last_donation_date", TIME, "Time of the latest gift"),
	VCOL("supporter_summary", "donor_type", KEY, "'recurring', 'one-time' or 'none'"),
	VCOL("supporter_summary", "last_gift_amount", MONEY,
	     "total_gross_amount of the latest successful gift"),
	VCOL("supporter_summary", "gifts_last_12_months", INT, "Successful gifts in 365 days"),
	VCOL("supporter_summary", "amount_last_12_months", MONEY, "Their sum"),
	TBL("campaign_performance", "One row per not deleted campaign: what it raised"),
	VCOL("campaign_performance", "campaign_id", INT, "The campaign (campaigns.id)"),
	VCOL("campaign_performance", "organization_id", INT, "The organization"),
	VCOL("campaign_performance", "name", TEXT, "Campaign name"),
	VCOL("campaign_performance", "status", TEXT, "Campaign status"),
	VCOL("campaign_performance", "goal", MONEY, "Fundraising goal"),
	VCOL("campaign_performance", "raised", MONEY, "Sum of successful gifts"),
	VCOL("campaign_performance", "unique_donors", INT, "Distinct supporters who gave"),
	VCOL("campaign_performance", "gift_count", INT, "Number of successful gifts"),
	VCOL("campaign_performance", "average_gift", MONEY, "raised / gift_count, to cents"),
	VCOL("campaign_performance", "percent_of_goal", REAL, "raised / goal x 100, 2 places"),
	VCOL("campaign_performance", "duration_days", INT,
	     "Days from started_at to ended_at (or now, if sooner)"),
	TBL("donor_value_distribution", "Supporters per value tier"),
	DISTRIBUTION_COLS("donor_value_distribution", "value_tier", "value_tag",
			  "The value tier"),
	TBL("donor_engagement_distribution", "Supporters per engagement segment"),
	DISTRIBUTION_COLS("donor_engagement_distribution", "engagement_segment",
			  "engagement_tag", "The engagement segment"),
	TBL("contact_segments", "supporter_segments per contact: supporters of an organization "
				"whose emails differ only in case or spaces are merged"),
	VCOL("contact_segments", "supporter_id", INT,
	     "The representative supporter: the most recently updated"),
	VCOL("contact_segments", "organization_id", INT, "The organization"),
	VCOL("contact_segments", "email_key", KEY, "Trimmed, ASCII-lowercased email"),
	VCOL("contact_segments", "merged_supporters", INT, "Supporters merged into the contact"),
	SEGMENT_COLS("contact_segments", DATE, "UTC date"),
};
const size_t cs_sql_dict_ntexts = ARRAY_LEN(cs_sql_dict_texts);
