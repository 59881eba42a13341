/* The SQLite schema as versioned migrations. v1 "core" is generated from the
 * entity tables (model/entities.c), so adding a mirrored column there adds it
 * here and to the upsert without another edit. */
#include "store/sqlite_int.h"
#include "util/buf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int core_up(sqlite3 *db, cs_err *err);
static int core_down(sqlite3 *db, cs_err *err);

const cs_sqlite_migration cs_sqlite_migrations[] = {
	{1, "core", core_up, core_down},
	{2, "reference", cs_sqlite_reference_up, cs_sqlite_reference_down},
	{3, "views", cs_sqlite_views_up, cs_sqlite_views_down},
	{4, "plugins", cs_sqlite_plugins_up, cs_sqlite_plugins_down},
	{5, "operations", cs_sqlite_operations_up, cs_sqlite_operations_down},
};
const unsigned cs_sqlite_nmigrations = ARRAY_LEN(cs_sqlite_migrations);

/* Columns a table has beyond its mirrored ones. They live only here, so the
 * upsert (built from the entity columns) never overwrites them. */
static const struct {
	int entity;
	const char *decl;
} extra_cols[] = {
	{CS_ENT_SUPPORTERS, "lifetime_donation_amount REAL NOT NULL DEFAULT 0"},
	{CS_ENT_SUPPORTERS, "lifetime_donation_count INTEGER NOT NULL DEFAULT 0"},
	{CS_ENT_SUPPORTERS, "first_donation_date TEXT"},
	{CS_ENT_SUPPORTERS, "last_donation_date TEXT"},
	{CS_ENT_SUPPORTERS, "active_recurring_plans INTEGER NOT NULL DEFAULT 0"},
	{CS_ENT_SUPPORTERS, "monthly_recurring_amount REAL NOT NULL DEFAULT 0"},
	{CS_ENT_SUPPORTERS, "aggregates_at TEXT"},
};

/* SQLite affinity per column type. Money is REAL holding the double of the
 * exact value; exactness comes from summing in util/money.h units. */
static const char *const affinity[] = {
	[CS_COL_INT] = "INTEGER", [CS_COL_TEXT] = "TEXT", [CS_COL_BOOL] = "INTEGER",
	[CS_COL_MONEY] = "REAL",  [CS_COL_TIME] = "TEXT", [CS_COL_DATE] = "TEXT",
};

/* Tables without a per-entity shape. organization_id is an indexed column,
 * never a foreign key: rows of an org removed without --purge must stay. */
static const char core_fixed_sql[] =
	"CREATE TABLE organizations (id INTEGER PRIMARY KEY, name TEXT, client_id TEXT, "
	"client_secret_enc TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
	"CREATE TABLE sync_state (organization_id INTEGER NOT NULL, entity TEXT NOT NULL, "
	"cursor TEXT, lookback_s INTEGER NOT NULL DEFAULT 300, "
	"full_last_id INTEGER NOT NULL DEFAULT 0, full_started_at TEXT, last_full_at TEXT, "
	"updated_at TEXT NOT NULL, PRIMARY KEY (organization_id, entity));"
	"CREATE TABLE sync_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
	"organization_id INTEGER NOT NULL, entity TEXT NOT NULL, mode TEXT NOT NULL, "
	"started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, "
	"records INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0, "
	"requests INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0, error TEXT, "
	"pid INTEGER);"
	"CREATE INDEX sync_runs_org_entity ON sync_runs (organization_id, entity, id);"
	"CREATE TABLE aggregate_queue (organization_id INTEGER NOT NULL, "
	"supporter_id INTEGER NOT NULL, PRIMARY KEY (organization_id, supporter_id)) "
	"WITHOUT ROWID;";

static const char *const core_fixed_tables[] = {"organizations", "sync_state", "sync_runs",
						"aggregate_queue"};

static int entity_table_sql(cs_buf *b, const cs_entity *e)
{
	int bad = cs_buf_printf(b, "CREATE TABLE \"%s\" (id INTEGER PRIMARY KEY, "
			 "organization_id INTEGER NOT NULL",
		      e->name);
	for (size_t i = 0; i < e->ncolumns; i++)
		bad |= cs_buf_printf(b, ", \"%s\" %s", e->columns[i].name,
			      affinity[e->columns[i].type]);
	bad |= cs_buf_puts(b, ", raw_json TEXT NOT NULL, synced_at TEXT NOT NULL, deleted_at TEXT");
	for (size_t i = 0; i < ARRAY_LEN(extra_cols); i++)
		if (extra_cols[i].entity == e->id)
			bad |= cs_buf_printf(b, ", %s", extra_cols[i].decl);
	bad |= cs_buf_puts(b, ");");

	bad |= cs_buf_printf(b, "CREATE INDEX \"%s_organization_id\" ON \"%s\" (organization_id);",
		      e->name, e->name);
	/* Lets `status` count soft-deleted rows without reading every row. */
	bad |= cs_buf_printf(b, "CREATE INDEX \"%s_deleted\" ON \"%s\" (organization_id) "
			 "WHERE deleted_at IS NOT NULL;",
		      e->name, e->name);
	for (size_t i = 0; i < e->ncolumns; i++)
		if (e->columns[i].flags & CS_COLF_INDEX)
			bad |= cs_buf_printf(b, "CREATE INDEX \"%s_%s\" ON \"%s\" (\"%s\");", e->name,
				      e->columns[i].name, e->name, e->columns[i].name);
	return bad;
}

static int core_sql(cs_buf *b)
{
	int bad = cs_buf_puts(b, core_fixed_sql);
	for (size_t e = 0; e < CS_ENT_COUNT; e++)
		bad |= entity_table_sql(b, &cs_entities[e]);
	return bad;
}

static int core_up(sqlite3 *db, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	int rc = core_sql(&b);
	if (rc < 0)
		rc = cs_err_set(err, CS_ERR, "cannot build the core schema: out of memory");
	else
		rc = cs_sqlite_exec(db, cs_buf_str(&b), err);
	cs_buf_release(&b);
	return rc;
}

static int core_down(sqlite3 *db, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	int bad = 0;
	for (size_t e = CS_ENT_COUNT; e-- > 0;)
		bad |= cs_buf_printf(&b, "DROP TABLE IF EXISTS \"%s\";", cs_entities[e].name);
	for (size_t i = ARRAY_LEN(core_fixed_tables); i-- > 0;)
		bad |= cs_buf_printf(&b, "DROP TABLE IF EXISTS \"%s\";", core_fixed_tables[i]);
	int rc = !bad ? cs_sqlite_exec(db, cs_buf_str(&b), err)
			: cs_err_set(err, CS_ERR, "cannot drop the core schema: out of memory");
	cs_buf_release(&b);
	return rc;
}
