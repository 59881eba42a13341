/* `status`: counts per table per org, orphans and the last run per org and
 * entity, as the JSON documented for `status --json`. Read in one
 * transaction so the figures agree with each other while a sync writes.
 * Read-only: it must never write, so it can run beside a sync. */
#include "store/sql/sqlstore.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct org_stat {
	long long id;
	long long total[CS_ENT_COUNT];
	long long deleted[CS_ENT_COUNT];
	long long orphans;
} org_stat;

typedef struct stats {
	org_stat *v;
	size_t n, cap;
	ptrdiff_t off; /* the counter a grouped query adds to, < 0: none */
} stats;

static org_stat *stat_for(stats *st, long long id)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].id == id)
			return &st->v[i];
	org_stat *v = cs_buf_grow_array(st->v, &st->cap, st->n, sizeof(*v), 8);
	if (!v)
		return NULL;
	st->v = v;
	org_stat *o = &st->v[st->n++];
	memset(o, 0, sizeof(*o));
	o->id = id;
	return o;
}

static int grouped_row(cs_sql_stmt *q, void *arg)
{
	stats *st = arg;
	org_stat *o = stat_for(st, cs_sql_col_int(q, 0));
	if (!o)
		return CS_ERR;
	if (st->off >= 0)
		*(long long *)((char *)o + st->off) += cs_sql_col_int(q, 1);
	return 0;
}

/* Runs sql, which yields (organization_id[, n]) rows, adding n to the
 * long long at offset `off` of each org's stat (off < 0: just list the org). */
static int grouped(cs_sql_store *s, stats *st, const char *sql, ptrdiff_t off, cs_err *err)
{
	st->off = off;
	int rc = cs_sql_query(s->c, sql, "read status", CS_SQL_NOARGS, grouped_row, st, err);
	if (rc == CS_ERR && !err->msg[0])
		rc = cs_err_set(err, CS_ERR, "cannot read status: out of memory");
	return rc;
}

static int collect(cs_sql_store *s, stats *st, cs_err *err)
{
	char sql[256];
	int rc = grouped(s, st, "SELECT id FROM organizations", -1, err);
	for (size_t e = 0; rc == 0 && e < CS_ENT_COUNT; e++) {
		const char *t = cs_entities[e].name;
		snprintf(sql, sizeof(sql),
			 "SELECT organization_id, count(*) FROM \"%s\" GROUP BY organization_id", t);
		rc = grouped(s, st, sql, offsetof(org_stat, total) + e * sizeof(long long), err);
		if (rc < 0)
			break;
		snprintf(sql, sizeof(sql),
			 "SELECT organization_id, count(*) FROM \"%s\" WHERE deleted_at IS NOT NULL "
			 "GROUP BY organization_id",
			 t);
		rc = grouped(s, st, sql, offsetof(org_stat, deleted) + e * sizeof(long long), err);
	}
	if (rc == 0)
		rc = grouped(s, st, "SELECT DISTINCT organization_id FROM sync_runs", -1, err);
	/* A transaction whose supporter has not arrived (or never will). */
	if (rc == 0)
		rc = grouped(s, st,
			     "SELECT t.organization_id, count(*) FROM transactions t WHERE "
			     "t.supporter_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM supporters "
			     "s WHERE s.id = t.supporter_id) GROUP BY t.organization_id",
			     offsetof(org_stat, orphans), err);
	return rc;
}

static int cmp_stat(const void *a, const void *b)
{
	long long x = ((const org_stat *)a)->id, y = ((const org_stat *)b)->id;
	return (x > y) - (x < y);
}

static void add_text_or_null(cJSON *o, const char *key, cs_sql_stmt *q, int col)
{
	const char *t = cs_sql_col_text(q, col);
	if (t)
		cJSON_AddStringToObject(o, key, t);
	else
		cJSON_AddNullToObject(o, key);
}

static const char *const run_text[] = {"mode", "status", "started_at", "finished_at"};
static const char *const run_nums[] = {"records", "pages", "requests", "retries"};

static int run_row(cs_sql_stmt *q, void *arg)
{
	cJSON *r = cJSON_AddObjectToObject(arg, cs_sql_col_text(q, 0));
	cJSON_AddNumberToObject(r, "id", (double)cs_sql_col_int(q, 1));
	for (int i = 0; i < 4; i++)
		add_text_or_null(r, run_text[i], q, 2 + i);
	for (int i = 0; i < 4; i++)
		cJSON_AddNumberToObject(r, run_nums[i], (double)cs_sql_col_int(q, 6 + i));
	add_text_or_null(r, "error", q, 10);
	return 0;
}

static int add_last_runs(cs_sql_store *s, cJSON *org, long long id, cs_err *err)
{
	cJSON *runs = cJSON_AddObjectToObject(org, "last_runs");
	return cs_sql_query(s->c,
			    "SELECT entity, id, mode, status, started_at, finished_at, records, "
			    "pages, requests, retries, error FROM sync_runs WHERE id IN (SELECT "
			    "max(id) FROM sync_runs WHERE organization_id = ?1 GROUP BY entity) "
			    "ORDER BY entity",
			    "read status", CS_SQL_ARGS(CS_V_INT(id)), run_row, runs, err);
}

static int name_row(cs_sql_stmt *q, void *arg)
{
	add_text_or_null(arg, "name", q, 0);
	add_text_or_null(arg, "client_id", q, 1);
	return 0;
}

static int add_org(cs_sql_store *s, cJSON *list, const org_stat *o, cs_err *err)
{
	cJSON *org = cJSON_CreateObject();
	cJSON_AddItemToArray(list, org);
	cJSON_AddNumberToObject(org, "id", (double)o->id);
	int rc = cs_sql_query(s->c, "SELECT name, client_id FROM organizations WHERE id = ?1",
			      "read status", CS_SQL_ARGS(CS_V_INT(o->id)), name_row, org, err);
	if (rc)
		return rc;
	/* null for an org removed without --purge whose rows remain */
	if (!cJSON_GetObjectItem(org, "name")) {
		cJSON_AddNullToObject(org, "name");
		cJSON_AddNullToObject(org, "client_id");
	}
	cJSON *counts = cJSON_AddObjectToObject(org, "counts");
	cJSON *deleted = cJSON_AddObjectToObject(org, "deleted");
	for (size_t e = 0; e < CS_ENT_COUNT; e++) {
		cJSON_AddNumberToObject(counts, cs_entities[e].name,
					(double)(o->total[e] - o->deleted[e]));
		cJSON_AddNumberToObject(deleted, cs_entities[e].name, (double)o->deleted[e]);
	}
	cJSON_AddNumberToObject(org, "orphan_transactions", (double)o->orphans);
	return add_last_runs(s, org, o->id, err);
}

static int add_orgs(cs_sql_store *s, cJSON *root, cs_err *err)
{
	stats st = {NULL, 0, 0, -1};
	cJSON *list = cJSON_AddArrayToObject(root, "organizations");
	int rc = collect(s, &st, err);
	if (rc == 0 && st.n)
		qsort(st.v, st.n, sizeof(*st.v), cmp_stat);
	for (size_t i = 0; rc == 0 && i < st.n; i++)
		rc = add_org(s, list, &st.v[i], err);
	free(st.v);
	return rc;
}

int cs_sql_status(cs_store *store, cJSON **out, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)store;
	int version = 0, own_txn = !s->in_page && !s->c->in_txn;
	*out = NULL;
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return cs_err_set(err, CS_ERR, "cannot read status: out of memory");
	cJSON_AddStringToObject(root, "database",
				s->hooks.describe ? s->hooks.describe(s->c) : s->c->name);
	/* A read transaction: one consistent snapshot while a sync commits. */
	cs_err ignored = {0};
	if (own_txn && cs_sql_begin(s->c, 0, "read status", &ignored) != 0)
		own_txn = 0;
	int rc = cs_sql_schema_version(s, &version, err);
	if (rc == 0) {
		cJSON_AddNumberToObject(root, "schema_version", version);
		if (version >= 1)
			rc = add_orgs(s, root, err);
		else
			cJSON_AddArrayToObject(root, "organizations");
	}
	if (own_txn)
		cs_sql_end(s->c, 0, "read status", &ignored);
	if (rc < 0) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}
