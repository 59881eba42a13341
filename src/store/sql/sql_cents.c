/* Exact integer cents beside each money column: SQLite keeps money as REAL,
 * whose SUM() shows float noise (0.1 + 0.2); an INTEGER column of cents
 * sums exactly in every product. The columns exist on every backend, so one
 * query reads the same on all three (on PostgreSQL and MariaDB the
 * NUMERIC/DECIMAL column sums exactly too).
 *
 * Which columns have a twin is read off the model, never listed here: every
 * CS_COL_MONEY column but those flagged CS_COLF_NOT_AMOUNT (percents and
 * rates, whose cents would cut digits and whose sum means nothing). A twin
 * is added by the migration twin_version() names for its amount's, and
 * filled by one rule (cs_money_to_cents of the exact amount, never a
 * double's) by two writers:
 *  - the page upsert, from the amount sql_row.c already read exactly from
 *    the API's text (cs_sql_cents_fill);
 *  - the migration that adds it, for the rows stored before, from each
 *    record's raw_json (sql_cents_backfill.c). */
#include "store/sql/schema.h"
#include "store/sql/sqlrow.h"
#include "util/money.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_CENTS 32 /* per entity: transactions have 25 */
#define MAX_VERSIONS 4
#define MAX_OBJS (CS_ENT_COUNT * MAX_CENTS + MAX_VERSIONS)

/* Migration 8 added the twins of the amounts the tables had from the
 * start; migration 9 was released without twins for the amounts it added,
 * so migration 10 adds those. A later migration that adds money columns
 * adds their twins itself, with {CS_OBJ_CENTS_COLUMNS, &its version} after
 * its CS_OBJ_ENTITY_COLUMNS. */
static int twin_version(int since)
{
	return since == 0 ? 8 : since == 9 ? 10 : since;
}

static struct entity_twins {
	cs_sql_added_col cols[MAX_CENTS]; /* what cs_sql_cents_cols hands out */
	cs_sql_twin info[MAX_CENTS];
	char name[MAX_CENTS][64];
	char desc[MAX_CENTS][320];
	size_t n;
} twins[CS_ENT_COUNT];

/* Each version's columns, then its backfill: one run per migration. */
static struct {
	cs_sql_obj objs[MAX_OBJS];
	int version[MAX_OBJS];
	size_t n;
	cs_sql_backfill fill[MAX_VERSIONS];
	char about[MAX_VERSIONS][80];
	int nversions;
} runs;
static pthread_once_t built_once = PTHREAD_ONCE_INIT;

static void add_twin(const cs_entity *e, int col, struct entity_twins *t)
{
	const cs_column *c = &e->columns[col];
	size_t i = t->n++;
	snprintf(t->name[i], sizeof(t->name[i]), "%s_cents", c->name);
	snprintf(t->desc[i], sizeof(t->desc[i]),
		 "Exact %s in whole cents (hundredths, rounded half away from zero past two "
		 "decimals): an integer that SUM() adds exactly; from the API's decimal text, "
		 "never through a float",
		 c->name);
	t->cols[i] = (cs_sql_added_col){e->name, {t->name[i], CS_ROLE_INT, 0, NULL, NULL}};
	t->info[i] = (cs_sql_twin){NULL, t->desc[i], col, twin_version(c->since)};
}

/* The objects of version v: every entity's twins of it, then the backfill. */
static void add_run(int v)
{
	if (runs.nversions == MAX_VERSIONS)
		return;
	int k = runs.nversions++;
	snprintf(runs.about[k], sizeof(runs.about[k]),
		 "exact cents (made again from raw_json by migration %d)", v);
	runs.fill[k] = (cs_sql_backfill){"exact cents from raw_json", cs_sql_cents_backfill, v};
	for (int e = 0; e < CS_ENT_COUNT; e++)
		for (size_t i = 0; i < twins[e].n && runs.n < MAX_OBJS - 1; i++)
			if (twins[e].info[i].version == v) {
				twins[e].info[i].about = runs.about[k];
				runs.version[runs.n] = v;
				runs.objs[runs.n++] = (cs_sql_obj){CS_OBJ_COLUMN, &twins[e].cols[i]};
			}
	runs.version[runs.n] = v;
	runs.objs[runs.n++] = (cs_sql_obj){CS_OBJ_BACKFILL, &runs.fill[k]};
}

static void build(void)
{
	int last = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t c = 0; c < ent->ncolumns && twins[e].n < MAX_CENTS; c++)
			if (ent->columns[c].type == CS_COL_MONEY &&
			    !(ent->columns[c].flags & CS_COLF_NOT_AMOUNT))
				add_twin(ent, (int)c, &twins[e]);
	}
	/* versions in ascending order, each once */
	for (;;) {
		int next = 0;
		for (int e = 0; e < CS_ENT_COUNT; e++)
			for (size_t i = 0; i < twins[e].n; i++) {
				int v = twins[e].info[i].version;
				next = v > last && (!next || v < next) ? v : next;
			}
		if (!next)
			break;
		add_run(next);
		last = next;
	}
}

const cs_sql_added_col *cs_sql_cents_cols(int entity, size_t *n)
{
	pthread_once(&built_once, build);
	*n = twins[entity].n;
	return twins[entity].cols;
}

const cs_sql_twin *cs_sql_cents_twin(int entity, size_t i)
{
	pthread_once(&built_once, build);
	return i < twins[entity].n ? &twins[entity].info[i] : NULL;
}

const cs_sql_twin *cs_sql_cents_find(const char *table, const char *column)
{
	pthread_once(&built_once, build);
	for (int e = 0; e < CS_ENT_COUNT; e++)
		for (size_t i = 0; i < twins[e].n; i++)
			if (!strcmp(twins[e].cols[i].table, table) &&
			    !strcmp(twins[e].cols[i].col.name, column))
				return &twins[e].info[i];
	return NULL;
}

const cs_sql_obj *cs_sql_cents_objs(const int **version, size_t *n)
{
	pthread_once(&built_once, build);
	*version = runs.version;
	*n = runs.n;
	return runs.objs;
}

size_t cs_sql_cents_fill(const cs_entity *e, const cs_sql_val *row, cs_sql_val *out)
{
	size_t n = 0;
	cs_sql_cents_cols(e->id, &n);
	for (size_t i = 0; i < n; i++) {
		const cs_sql_val *m = &row[CS_SQL_ROW_COL(twins[e->id].info[i].source)];
		out[i] = m->kind == CS_SQL_MONEY ? CS_V_INT(cs_money_to_cents(m->i)) : CS_V_NULL;
	}
	return n;
}
