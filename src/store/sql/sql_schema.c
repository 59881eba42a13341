/* The numbered migrations, as data: each lists the tables, indexes and
 * views it creates (dropped in reverse by a rollback). The same list, in
 * the same numbers, is applied on every backend; sql_ddl.c writes it in the
 * backend's dialect.
 *
 * A migration, once released, never changes: a new column or view is a new
 * migration. Tables other than the entity tables live here; the entity
 * tables come from model/entities.c (built below). No table has a
 * foreign key: rows of an org removed without --purge, and orphans, stay. */
#include "store/sql/schema.h"
#include "store/sql/sqlrow.h"
#include "store/sql/views.h"
#include "model/entity.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NN CS_SQLCOL_NOT_NULL
#define COLS(a) a, ARRAY_LEN(a)

/* ---- the entity tables, built once from model/entities.c ----
 * Layout: id (the API's), organization_id, the mirrored columns in model
 * order, raw_json, synced_at, deleted_at, then the columns the store
 * computes itself (supporter aggregates), which the upsert never writes.
 * Adding a column in the model adds it to the DDL and the upsert. */
#define MAX_TABLE_COLS 160 /* campaigns: 106 mirrored, plus the store's own */
#define MAX_ENTITY_INDEXES 16
#define NAME_LEN 64

/* Columns a table has beyond its mirrored ones. */
static const struct {
	int entity;
	cs_sql_col col;
} computed_cols[] = {
	{CS_ENT_SUPPORTERS,
	 {"lifetime_donation_amount", CS_ROLE_MONEY, CS_SQLCOL_NOT_NULL, "0", NULL}},
	{CS_ENT_SUPPORTERS, {"lifetime_donation_count", CS_ROLE_INT, CS_SQLCOL_NOT_NULL, "0", NULL}},
	{CS_ENT_SUPPORTERS, {"first_donation_date", CS_ROLE_TIME, 0, NULL, NULL}},
	{CS_ENT_SUPPORTERS, {"last_donation_date", CS_ROLE_TIME, 0, NULL, NULL}},
	{CS_ENT_SUPPORTERS, {"active_recurring_plans", CS_ROLE_INT, CS_SQLCOL_NOT_NULL, "0", NULL}},
	{CS_ENT_SUPPORTERS,
	 {"monthly_recurring_amount", CS_ROLE_MONEY, CS_SQLCOL_NOT_NULL, "0", NULL}},
	{CS_ENT_SUPPORTERS, {"aggregates_at", CS_ROLE_TIME, 0, NULL, NULL}},
};

static const int role_of_type[] = {
	[CS_COL_INT] = CS_ROLE_INT,   [CS_COL_TEXT] = CS_ROLE_TEXT, [CS_COL_BOOL] = CS_ROLE_BOOL,
	[CS_COL_MONEY] = CS_ROLE_MONEY, [CS_COL_TIME] = CS_ROLE_TIME, [CS_COL_DATE] = CS_ROLE_DATE,
	[CS_COL_JSON] = CS_ROLE_JSON,
};

static struct built {
	cs_sql_col cols[MAX_TABLE_COLS];
	cs_sql_table table;
	cs_sql_index idx[MAX_ENTITY_INDEXES];
	char names[MAX_ENTITY_INDEXES][2][NAME_LEN]; /* index name, columns */
	size_t nidx;
	/* the columns later migrations add (cs_column.since), in model order */
	cs_sql_added_col added[MAX_TABLE_COLS];
	int added_since[MAX_TABLE_COLS];
	size_t nadded;
} built[CS_ENT_COUNT];
/* Every entity's added columns as migration objects (cs_sql_obj_expand). */
#define MAX_ADDED (CS_ENT_COUNT * MAX_TABLE_COLS)
static cs_sql_obj added_objs[MAX_ADDED];
static int added_objs_since[MAX_ADDED];
static size_t nadded_objs;
static pthread_once_t built_once = PTHREAD_ONCE_INIT;

static void add_index(struct built *b, const char *table, const char *col, const char *where,
		      const char *full_cols)
{
	if (b->nidx == MAX_ENTITY_INDEXES)
		return;
	char(*nm)[NAME_LEN] = b->names[b->nidx];
	snprintf(nm[0], NAME_LEN, "%s_%s", table, where ? "deleted" : col);
	snprintf(nm[1], NAME_LEN, "%s", col);
	b->idx[b->nidx++] = (cs_sql_index){nm[0], table, nm[1], where, full_cols, 0};
}

static void build_one(const cs_entity *e, struct built *b)
{
	size_t n = 0;
	b->cols[n++] = (cs_sql_col){"id", CS_ROLE_ID, CS_SQLCOL_PK, NULL, NULL};
	b->cols[n++] = (cs_sql_col){"organization_id", CS_ROLE_INT, CS_SQLCOL_NOT_NULL, NULL, NULL};
	for (size_t i = 0; i < e->ncolumns && n < MAX_TABLE_COLS - 16; i++) {
		const cs_column *c = &e->columns[i];
		int role = role_of_type[c->type];
		/* indexed text must fit an index key in every product */
		if (role == CS_ROLE_TEXT && (c->flags & CS_COLF_INDEX))
			role = CS_ROLE_KEY;
		cs_sql_col col = {c->name, role, 0, NULL, NULL};
		/* a released migration never changes: migration 1 creates the
		 * columns it always did, a later one adds the rest */
		if (c->since) {
			b->added_since[b->nadded] = c->since;
			b->added[b->nadded++] = (cs_sql_added_col){e->name, col};
		} else {
			b->cols[n++] = col;
		}
	}
	b->cols[n++] = (cs_sql_col){"raw_json", CS_ROLE_JSON, CS_SQLCOL_NOT_NULL, NULL, NULL};
	b->cols[n++] = (cs_sql_col){"synced_at", CS_ROLE_TIME, CS_SQLCOL_NOT_NULL, NULL, NULL};
	b->cols[n++] = (cs_sql_col){"deleted_at", CS_ROLE_TIME, 0, NULL, NULL};
	for (size_t i = 0; i < ARRAY_LEN(computed_cols); i++)
		if (computed_cols[i].entity == e->id)
			b->cols[n++] = computed_cols[i].col;
	b->table = (cs_sql_table){e->name, b->cols, n, NULL, 0};

	add_index(b, e->name, "organization_id", NULL, NULL);
	/* lets `status` count soft-deleted rows without reading every row */
	add_index(b, e->name, "organization_id", "deleted_at IS NOT NULL",
		  "organization_id, deleted_at");
	for (size_t i = 0; i < e->ncolumns; i++)
		if (e->columns[i].flags & CS_COLF_INDEX)
			add_index(b, e->name, e->columns[i].name, NULL, NULL);
}

/* The added columns in version, then entity, then model order: each
 * migration's are one run. */
static void build_all(void)
{
	int max = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		build_one(&cs_entities[e], &built[e]);
		for (size_t i = 0; i < built[e].nadded; i++)
			max = built[e].added_since[i] > max ? built[e].added_since[i] : max;
	}
	for (int v = 1; v <= max; v++)
		for (int e = 0; e < CS_ENT_COUNT; e++)
			for (size_t i = 0; i < built[e].nadded && nadded_objs < MAX_ADDED; i++)
				if (built[e].added_since[i] == v) {
					added_objs_since[nadded_objs] = v;
					added_objs[nadded_objs++] =
						(cs_sql_obj){CS_OBJ_COLUMN, &built[e].added[i]};
				}
}

const cs_sql_table *cs_sql_entity_table(int entity)
{
	pthread_once(&built_once, build_all);
	return &built[entity].table;
}

const cs_sql_index *cs_sql_entity_indexes(int entity, size_t *n)
{
	pthread_once(&built_once, build_all);
	*n = built[entity].nidx;
	return built[entity].idx;
}

/* The run of objs whose version[] is v (objs sorted by version): its first
 * object and *n, or NULL and 0. */
static const cs_sql_obj *obj_run(const cs_sql_obj *objs, const int *version, size_t nobjs, int v,
				 size_t *n)
{
	size_t first = 0;
	while (first < nobjs && version[first] != v)
		first++;
	size_t last = first;
	while (last < nobjs && version[last] == v)
		last++;
	*n = last - first;
	return last > first ? &objs[first] : NULL;
}

const cs_sql_obj *cs_sql_obj_expand(const cs_sql_obj *o, size_t *n)
{
	if (o->kind == CS_OBJ_CENTS_COLUMNS) {
		const int *version = NULL;
		size_t nobjs = 0;
		const cs_sql_obj *objs = cs_sql_cents_objs(&version, &nobjs);
		return obj_run(objs, version, nobjs, *(const int *)o->def, n);
	}
	if (o->kind != CS_OBJ_ENTITY_COLUMNS) {
		*n = 1;
		return o;
	}
	pthread_once(&built_once, build_all);
	return obj_run(added_objs, added_objs_since, nadded_objs, *(const int *)o->def, n);
}

/* ---- v1 core: organizations, sync bookkeeping, entity tables ---- */

static const cs_sql_col organizations_cols[] = {
	{"id", CS_ROLE_ID, CS_SQLCOL_PK, NULL, NULL},
	{"name", CS_ROLE_TEXT, 0, NULL, NULL},
	{"client_id", CS_ROLE_TEXT, 0, NULL, NULL},
	{"client_secret_enc", CS_ROLE_TEXT, 0, NULL, NULL},
	{"created_at", CS_ROLE_TIME, NN, NULL, NULL},
	{"updated_at", CS_ROLE_TIME, NN, NULL, NULL},
};
static const cs_sql_table organizations = {"organizations", COLS(organizations_cols), NULL, 0};

static const cs_sql_col sync_state_cols[] = {
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"entity", CS_ROLE_KEY, NN, NULL, NULL},
	{"cursor", CS_ROLE_TIME, 0, NULL, NULL},
	{"lookback_s", CS_ROLE_INT, NN, "300", NULL},
	{"full_last_id", CS_ROLE_INT, NN, "0", NULL},
	{"full_started_at", CS_ROLE_TIME, 0, NULL, NULL},
	{"last_full_at", CS_ROLE_TIME, 0, NULL, NULL},
	{"updated_at", CS_ROLE_TIME, NN, NULL, NULL},
};
static const cs_sql_table sync_state = {"sync_state", COLS(sync_state_cols),
					"organization_id, entity", 0};

static const cs_sql_col sync_runs_cols[] = {
	{"id", CS_ROLE_SERIAL, 0, NULL, NULL},
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"entity", CS_ROLE_KEY, NN, NULL, NULL},
	{"mode", CS_ROLE_KEY, NN, NULL, NULL},
	{"started_at", CS_ROLE_TIME, NN, NULL, NULL},
	{"finished_at", CS_ROLE_TIME, 0, NULL, NULL},
	{"status", CS_ROLE_KEY, NN, NULL, NULL},
	{"records", CS_ROLE_INT, NN, "0", NULL},
	{"pages", CS_ROLE_INT, NN, "0", NULL},
	{"requests", CS_ROLE_INT, NN, "0", NULL},
	{"retries", CS_ROLE_INT, NN, "0", NULL},
	{"error", CS_ROLE_TEXT, 0, NULL, NULL},
	{"pid", CS_ROLE_INT, 0, NULL, NULL},
};
static const cs_sql_table sync_runs = {"sync_runs", COLS(sync_runs_cols), NULL, 0};
static const cs_sql_index sync_runs_org_entity = {"sync_runs_org_entity", "sync_runs",
						  "organization_id, entity, id", NULL, NULL, 0};

static const cs_sql_col aggregate_queue_cols[] = {
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"supporter_id", CS_ROLE_INT, NN, NULL, NULL},
};
static const cs_sql_table aggregate_queue = {"aggregate_queue", COLS(aggregate_queue_cols),
					     "organization_id, supporter_id", 1};

static const cs_sql_obj v1[] = {
	{CS_OBJ_TABLE, &organizations},     {CS_OBJ_TABLE, &sync_state},
	{CS_OBJ_TABLE, &sync_runs},         {CS_OBJ_INDEX, &sync_runs_org_entity},
	{CS_OBJ_TABLE, &aggregate_queue},   {CS_OBJ_ENTITY_TABLES, NULL},
};

/* ---- v2 reference: what users edit to tune segmentation ---- */

/* One row per segment; a value is in a segment when min_value <= v <
 * max_value (NULL max = unbounded); overlapping edits: the lowest sort
 * wins. Tag names are unique so one tag never means two things. */
static const cs_sql_col segment_thresholds_cols[] = {
	{"kind", CS_ROLE_KEY, NN, NULL, "kind IN ('value','engagement','frequency')"},
	{"segment", CS_ROLE_KEY, NN, NULL, NULL},
	{"tag", CS_ROLE_KEY, NN, NULL, NULL},
	{"min_value", CS_ROLE_REAL, NN, NULL, NULL},
	{"max_value", CS_ROLE_REAL, 0, NULL, NULL},
	{"sort", CS_ROLE_INT, NN, "0", NULL},
};
static const cs_sql_table segment_thresholds = {"segment_thresholds",
						COLS(segment_thresholds_cols), "kind, segment", 0};
static const cs_sql_index segment_thresholds_tag = {"segment_thresholds_tag", "segment_thresholds",
						    "tag", NULL, NULL, 1};
static const cs_sql_index segment_thresholds_segment = {
	"segment_thresholds_segment", "segment_thresholds", "segment", NULL, NULL, 1};

static const cs_sql_col special_tags_cols[] = {
	{"key", CS_ROLE_KEY, NN | CS_SQLCOL_PK, NULL, NULL},
	{"tag", CS_ROLE_KEY, NN | CS_SQLCOL_UNIQUE, NULL, NULL},
	{"description", CS_ROLE_TEXT, 0, NULL, NULL},
};
static const cs_sql_table special_tags = {"special_tags", COLS(special_tags_cols), NULL, 0};

/* monthly = amount * num / den, integers so sums stay exact */
static const cs_sql_col frequency_factors_cols[] = {
	{"frequency", CS_ROLE_KEY, NN | CS_SQLCOL_PK, NULL, NULL},
	{"num", CS_ROLE_INT, NN, NULL, "num > 0"},
	{"den", CS_ROLE_INT, NN, NULL, "den > 0"},
};
static const cs_sql_table frequency_factors = {"frequency_factors", COLS(frequency_factors_cols),
					       NULL, 0};

/* Recompute queues every supporter that never had aggregates; without this
 * index that step would scan the whole supporters table on every run. */
static const cs_sql_index supporters_aggregates_pending = {
	"supporters_aggregates_pending", "supporters", "organization_id", "aggregates_at IS NULL",
	"organization_id, aggregates_at", 0};

static const cs_sql_obj v2[] = {
	{CS_OBJ_TABLE, &segment_thresholds}, {CS_OBJ_INDEX, &segment_thresholds_tag},
	{CS_OBJ_INDEX, &segment_thresholds_segment}, {CS_OBJ_TABLE, &special_tags},
	{CS_OBJ_TABLE, &frequency_factors}, {CS_OBJ_INDEX, &supporters_aggregates_pending},
};

/* ---- v3 views (views.c) ---- */

static const cs_sql_obj v3[] = {
	{CS_OBJ_VIEW, &cs_sql_view_supporter_segments},
	{CS_OBJ_VIEW, &cs_sql_view_supporter_summary},
	{CS_OBJ_VIEW, &cs_sql_view_campaign_performance},
	{CS_OBJ_VIEW, &cs_sql_view_donor_value_distribution},
	{CS_OBJ_VIEW, &cs_sql_view_donor_engagement_distribution},
};

/* ---- v4 plugins: state push plugins keep, and contact_segments ----
 *  plugin_state: what was last sent per contact per plugin and scope (a
 *  Mailchimp list), hash plus canonical payload, so a rerun with nothing
 *  changed sends nothing and an update can show a field diff;
 *  plugin_runs: one row per push of one org; plugin_outcomes: one row per
 *  action on a contact (audit trail). */

static const cs_sql_col plugin_state_cols[] = {
	{"plugin", CS_ROLE_KEY, NN, NULL, NULL},
	{"scope", CS_ROLE_KEY, NN, NULL, NULL},
	{"email_key", CS_ROLE_KEY, NN, NULL, NULL},
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"supporter_id", CS_ROLE_INT, 0, NULL, NULL},
	{"payload_hash", CS_ROLE_KEY, 0, NULL, NULL},
	{"payload", CS_ROLE_TEXT, 0, NULL, NULL},
	{"status", CS_ROLE_KEY, NN, NULL, NULL},
	{"updated_at", CS_ROLE_TIME, NN, NULL, NULL},
};
static const cs_sql_table plugin_state = {"plugin_state", COLS(plugin_state_cols),
					  "plugin, scope, email_key", 0};

static const cs_sql_col plugin_runs_cols[] = {
	{"id", CS_ROLE_SERIAL, 0, NULL, NULL},
	{"plugin", CS_ROLE_KEY, NN, NULL, NULL},
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"mode", CS_ROLE_KEY, NN, NULL, NULL},
	{"started_at", CS_ROLE_TIME, NN, NULL, NULL},
	{"finished_at", CS_ROLE_TIME, 0, NULL, NULL},
	{"status", CS_ROLE_KEY, NN, NULL, NULL},
	{"considered", CS_ROLE_INT, 0, NULL, NULL},
	{"unchanged", CS_ROLE_INT, 0, NULL, NULL},
	{"created", CS_ROLE_INT, 0, NULL, NULL},
	{"updated", CS_ROLE_INT, 0, NULL, NULL},
	{"tagged", CS_ROLE_INT, 0, NULL, NULL},
	{"skipped", CS_ROLE_INT, 0, NULL, NULL},
	{"rejected", CS_ROLE_INT, 0, NULL, NULL},
	{"failed", CS_ROLE_INT, 0, NULL, NULL},
	{"requests", CS_ROLE_INT, 0, NULL, NULL},
	{"writes", CS_ROLE_INT, 0, NULL, NULL},
	{"error", CS_ROLE_TEXT, 0, NULL, NULL},
	{"pid", CS_ROLE_INT, 0, NULL, NULL},
};
static const cs_sql_table plugin_runs = {"plugin_runs", COLS(plugin_runs_cols), NULL, 0};
static const cs_sql_index plugin_runs_plugin = {"plugin_runs_plugin", "plugin_runs", "plugin, id",
						NULL, NULL, 0};

static const cs_sql_col plugin_outcomes_cols[] = {
	{"id", CS_ROLE_SERIAL, 0, NULL, NULL},
	{"run_id", CS_ROLE_INT, 0, NULL, NULL},
	{"plugin", CS_ROLE_KEY, NN, NULL, NULL},
	{"organization_id", CS_ROLE_INT, 0, NULL, NULL},
	{"supporter_id", CS_ROLE_INT, 0, NULL, NULL},
	{"email_key", CS_ROLE_KEY, 0, NULL, NULL},
	{"action", CS_ROLE_KEY, NN, NULL, NULL},
	{"status", CS_ROLE_KEY, NN, NULL, NULL},
	{"error_title", CS_ROLE_TEXT, 0, NULL, NULL},
	{"error_detail", CS_ROLE_TEXT, 0, NULL, NULL},
	{"request_id", CS_ROLE_TEXT, 0, NULL, NULL},
	{"at", CS_ROLE_TIME, NN, NULL, NULL},
};
static const cs_sql_table plugin_outcomes = {"plugin_outcomes", COLS(plugin_outcomes_cols), NULL,
					     0};
static const cs_sql_index plugin_outcomes_run = {"plugin_outcomes_run", "plugin_outcomes",
						 "run_id", NULL, NULL, 0};
static const cs_sql_index plugin_outcomes_status = {"plugin_outcomes_status", "plugin_outcomes",
						    "plugin, status, id", NULL, NULL, 0};

/* No index on supporters(org, LOWER(TRIM(email))): the view reads every
 * supporter of the org anyway (measured: 2.4 s for 100k either way), and
 * the index cost 0.9 s per 100k supporter upserts in a full sync. */
static const cs_sql_obj v4[] = {
	{CS_OBJ_TABLE, &plugin_state},          {CS_OBJ_TABLE, &plugin_runs},
	{CS_OBJ_INDEX, &plugin_runs_plugin},    {CS_OBJ_TABLE, &plugin_outcomes},
	{CS_OBJ_INDEX, &plugin_outcomes_run},   {CS_OBJ_INDEX, &plugin_outcomes_status},
	{CS_OBJ_VIEW, &cs_sql_view_contact_segments},
};

/* ---- v5 operations: what the daemon and concurrent commands share ----
 *  sync_leases: who runs a job of an org now, with its pid, host and expiry
 *  (ms since the epoch); alerts: each alert condition's record, so
 *  cooldowns and open episodes survive a daemon restart. */

static const cs_sql_col sync_leases_cols[] = {
	{"organization_id", CS_ROLE_INT, NN, NULL, NULL},
	{"job", CS_ROLE_KEY, NN, NULL, NULL},
	{"holder", CS_ROLE_KEY, NN, NULL, NULL},
	{"pid", CS_ROLE_INT, NN, NULL, NULL},
	{"host", CS_ROLE_KEY, NN, NULL, NULL},
	{"acquired_at", CS_ROLE_INT, NN, NULL, NULL},
	{"expires_at", CS_ROLE_INT, NN, NULL, NULL},
};
static const cs_sql_table sync_leases = {"sync_leases", COLS(sync_leases_cols),
					 "organization_id, job", 0};

static const cs_sql_col alerts_cols[] = {
	{"key", CS_ROLE_KEY, CS_SQLCOL_PK, NULL, NULL},
	{"state", CS_ROLE_KEY, NN, NULL, NULL},
	{"since", CS_ROLE_INT, 0, NULL, NULL},
	{"last_sent_at", CS_ROLE_INT, 0, NULL, NULL},
	{"count", CS_ROLE_INT, NN, "0", NULL},
	{"last_message", CS_ROLE_TEXT, 0, NULL, NULL},
	{"updated_at", CS_ROLE_TIME, NN, NULL, NULL},
};
static const cs_sql_table alerts = {"alerts", COLS(alerts_cols), NULL, 0};

static const cs_sql_obj v5[] = {
	{CS_OBJ_TABLE, &sync_leases},
	{CS_OBJ_TABLE, &alerts},
};

/* ---- v6 workers: several daemons on one database ----
 *  which host ran each run, beside its pid: a pid means something only on
 *  its own host, so a run left 'running' is judged by its host's lease
 *  (sql_orgs.c). NULL in runs recorded before. */

static const cs_sql_added_col sync_runs_host = {"sync_runs",
						{"host", CS_ROLE_KEY, 0, NULL, NULL}};
static const cs_sql_added_col plugin_runs_host = {"plugin_runs",
						  {"host", CS_ROLE_KEY, 0, NULL, NULL}};

static const cs_sql_obj v6[] = {
	{CS_OBJ_COLUMN, &sync_runs_host},
	{CS_OBJ_COLUMN, &plugin_runs_host},
};

/* ---- v7 budget: the request budget shared by every process on the database ----
 *  rate_slots: per API application (client id) and wall-clock second, how
 *  many send times of that second are handed out (http/budget.h; the
 *  reservation is sql_rate.c). Rows of past seconds mean nothing and are
 *  pruned as new ones are made. */

static const cs_sql_col rate_slots_cols[] = {
	{"app", CS_ROLE_KEY, NN, NULL, NULL},
	{"slot", CS_ROLE_INT, NN, NULL, NULL},
	{"used", CS_ROLE_INT, NN, "0", NULL},
};
static const cs_sql_table rate_slots = {"rate_slots", COLS(rate_slots_cols), "app, slot", 0};

static const cs_sql_obj v7[] = {
	{CS_OBJ_TABLE, &rate_slots},
};

/* ---- v8 analysts: typed views, exact cents, indexed reporting dates ----
 *  Every view is made again with declared column types (the roles the
 *  data dictionary lists for it, sql_dict_text.c): SQLite reads them from
 *  view_column_types, the servers from a CAST (sql_ddl.c). The distributions
 *  read supporter_segments, so they go first and come back last. */

/* one column per role a view column may have, each declared as the
 * dialect declares that role (SERIAL is a key, never a view's column) */
static const cs_sql_col view_column_types_cols[] = {
	{"id_value", CS_ROLE_ID, 0, NULL, NULL},       {"int_value", CS_ROLE_INT, 0, NULL, NULL},
	{"bool_value", CS_ROLE_BOOL, 0, NULL, NULL},   {"money_value", CS_ROLE_MONEY, 0, NULL, NULL},
	{"real_value", CS_ROLE_REAL, 0, NULL, NULL},   {"time_value", CS_ROLE_TIME, 0, NULL, NULL},
	{"date_value", CS_ROLE_DATE, 0, NULL, NULL},   {"key_value", CS_ROLE_KEY, 0, NULL, NULL},
	{"text_value", CS_ROLE_TEXT, 0, NULL, NULL},   {"json_value", CS_ROLE_JSON, 0, NULL, NULL},
};
const cs_sql_table cs_sql_view_column_types = {"view_column_types",
					       COLS(view_column_types_cols), NULL, 0};

/* The exact cents of each amount the tables had from the start
 * (sql_cents.c): filled by the writer and, for the rows already stored,
 * from raw_json by the backfill that ends the run. */
static const int v8_since = 8;

/* The dates reports filter and group by: a gift's date (revenue per month,
 * the last 12 months) and a plan's next charge (what comes in next). */
static const cs_sql_index transactions_purchased_at = {
	"transactions_purchased_at", "transactions", "purchased_at", NULL, NULL, 0};
static const cs_sql_index recurring_plans_next_processing_date = {
	"recurring_plans_next_processing_date", "recurring_plans", "next_processing_date", NULL,
	NULL, 0};

#define REPLACED(v) {CS_OBJ_VIEW_REPLACED, &cs_sql_view_##v}
#define TYPED(v) {CS_OBJ_VIEW_TYPED, &cs_sql_view_##v}
static const cs_sql_obj v8[] = {
	{CS_OBJ_TABLE, &cs_sql_view_column_types},
	REPLACED(donor_engagement_distribution),
	REPLACED(donor_value_distribution),
	REPLACED(contact_segments),
	REPLACED(campaign_performance),
	REPLACED(supporter_summary),
	REPLACED(supporter_segments),
	TYPED(supporter_segments),
	TYPED(supporter_summary),
	TYPED(campaign_performance),
	TYPED(donor_value_distribution),
	TYPED(donor_engagement_distribution),
	TYPED(contact_segments),
	{CS_OBJ_CENTS_COLUMNS, &v8_since},
	{CS_OBJ_INDEX, &transactions_purchased_at},
	{CS_OBJ_INDEX, &recurring_plans_next_processing_date},
};

/* view_column_types too: it never holds a row, and has no key to copy by */
/* ---- v9 every field: a column for each field of Classy's four schemas ----
 *  the entity tables mirrored 74 of the document's 293 fields (ids
 *  included); the rest
 *  were reachable only through raw_json. The columns come from the model
 *  (cs_column.since 9), and the migration fills them from each row's
 *  raw_json (sql_backfill.c), with no refetch. A rollback drops them and
 *  says how many values each held. */

static const int v9_since = 9;
static const cs_sql_obj v9[] = {
	{CS_OBJ_ENTITY_COLUMNS, &v9_since},
};

/* ---- v10 cents: the exact cents of migration 9's amounts ----
 *  what migration 8 gave the first amounts (sql_cents.c), for the amounts
 *  migration 9 added: a twin each, filled from raw_json; percents and rates
 *  get none (model/entity.h: CS_COLF_NOT_AMOUNT). */

static const int v10_since = 10;
static const cs_sql_obj v10[] = {
	{CS_OBJ_CENTS_COLUMNS, &v10_since},
};

int cs_sql_table_ephemeral(const cs_sql_table *t)
{
	return t == &rate_slots || t == &cs_sql_view_column_types;
}

int cs_sql_table_name_ephemeral(const char *name)
{
	return !strcmp(name, rate_slots.name) || !strcmp(name, cs_sql_view_column_types.name);
}

const cs_sql_migration cs_sql_migrations[] = {
	{1, "core", COLS(v1)},      {2, "reference", COLS(v2)}, {3, "views", COLS(v3)},
	{4, "plugins", COLS(v4)},   {5, "operations", COLS(v5)}, {6, "workers", COLS(v6)},
	{7, "budget", COLS(v7)},     {8, "analysts", COLS(v8)},
	{9, "every-field", COLS(v9)},  {10, "cents", COLS(v10)},
};
const unsigned cs_sql_nmigrations = ARRAY_LEN(cs_sql_migrations);

/* What each table holds, in words that read after "2,863 rows of": `db
 * rollback` and `db reset` say what they would drop with them. An entity
 * table holds "records synced from Classy"; a table missing here is named
 * without words. */
static const struct {
	const char *table, *about;
} table_about[] = {
	{"organizations", "registered organizations and their encrypted API credentials"},
	{"sync_state", "sync checkpoints (where each sync resumes)"},
	{"sync_runs", "sync run history"},
	{"aggregate_queue", "supporters waiting for their totals to be recomputed"},
	{"segment_thresholds", "segment thresholds (reference data you may have edited)"},
	{"special_tags", "tag names (reference data you may have edited)"},
	{"frequency_factors", "recurring frequency factors (reference data)"},
	{"plugin_state", "Mailchimp sent-state (what each push plugin last sent per contact)"},
	{"plugin_runs", "push plugin run history"},
	{"plugin_outcomes", "push audit trail (each action on a contact)"},
	{"sync_leases", "job leases (who runs which job now)"},
	{"alerts", "alert records (cooldowns, open alerts)"},
	{"rate_slots", "request-budget seconds shared by workers (bookkeeping, rebuilt on its own)"},
	{"view_column_types", "nothing (it never holds a row: it gives SQLite's views their types)"},
};

const char *cs_sql_table_about(const char *table)
{
	for (size_t i = 0; i < ARRAY_LEN(table_about); i++)
		if (!strcmp(table_about[i].table, table))
			return table_about[i].about;
	for (int e = 0; e < CS_ENT_COUNT; e++)
		if (!strcmp(cs_entities[e].name, table))
			return "records synced from Classy";
	return NULL;
}
