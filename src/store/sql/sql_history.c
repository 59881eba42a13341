/* The run history the daemon, `health` and the status page read through
 * ctrl ops: per org and entity the newest run and the newest success, the
 * failure count over the newest finished runs, the newest runs themselves,
 * the newest push of a plugin with its counts, its recent rejections by
 * reason, and the last run of every org and entity. Every statement is an
 * index seek on sync_runs (organization_id, entity, id), plugin_runs
 * (plugin, id) or plugin_outcomes (plugin, status, id), so the cost does not
 * grow with the history. Read-only. */
#include "store/sql/sqlstore.h"

#include <string.h>

#define FACTS_MAX_WINDOW 100

int cs_sql_rows_json(cs_sql *c, const char *sql, const char *param, cJSON *array,
		     const char *what, cs_err *err)
{
	cs_sql_stmt *q = NULL;
	int rc = cs_sql_prepare(c, sql, what, &q, err);
	if (rc < 0)
		return rc;
	if (param)
		cs_sql_bind_text(q, 1, param);
	int n = cs_sql_ncols(q);
	while ((rc = cs_sql_step(q, err)) == CS_SQL_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(array, o);
		for (int i = 0; i < n; i++) {
			const char *name = cs_sql_col_name(q, i);
			switch (cs_sql_col_kind(q, i)) {
			case CS_SQL_NULL:
				cJSON_AddNullToObject(o, name);
				break;
			case CS_SQL_INT:
			case CS_SQL_REAL:
				cJSON_AddNumberToObject(o, name, cs_sql_col_real(q, i));
				break;
			default:
				cJSON_AddStringToObject(o, name, cs_sql_col_text(q, i));
			}
		}
	}
	cs_sql_finalize(q);
	return rc < 0 ? rc : 0;
}

/* CS_CTRL_LAST_RUNS: uses the sync_runs (organization_id, entity, id) index. */
int cs_sql_last_runs(cs_sql_store *s, cJSON **out, cs_err *err)
{
	cJSON *a = cJSON_CreateArray();
	if (!a)
		return cs_err_set(err, CS_ERR, "out of memory");
	int rc = cs_sql_rows_json(
		s->c,
		"SELECT r.organization_id, r.entity, (SELECT MAX(finished_at) FROM sync_runs x"
		" WHERE x.organization_id = r.organization_id AND x.entity = r.entity AND"
		" x.status = 'success') AS last_success_at, r.status, r.finished_at, r.records,"
		" r.error FROM sync_runs r WHERE r.id IN (SELECT MAX(id) FROM sync_runs"
		" GROUP BY organization_id, entity) ORDER BY 1, 2",
		NULL, a, "read the last runs", err);
	if (rc) {
		cJSON_Delete(a);
		return rc;
	}
	*out = a;
	return 0;
}

static int status_code(const char *text)
{
	for (int i = CS_RUN_RUNNING; i <= CS_RUN_INTERRUPTED; i++)
		if (text && !strcmp(text, cs_run_status_name(i)))
			return i;
	return CS_RUN_FAILED;
}

static int last_row(cs_sql_stmt *q, void *arg)
{
	struct cs_entity_facts *f = arg;
	f->last_status = status_code(cs_sql_col_text(q, 0));
	cs_sql_col_copy(q, 1, f->last_at, sizeof(f->last_at));
	cs_sql_col_copy(q, 2, f->last_error, sizeof(f->last_error));
	return 0;
}

static int success_row(cs_sql_stmt *q, void *arg)
{
	struct cs_entity_facts *f = arg;
	cs_sql_col_copy(q, 0, f->last_success_at, sizeof(f->last_success_at));
	return 0;
}

/* The window: the newest `window` finished runs of each entity (an index
 * range each), merged newest first; the org's newest `window` overall are
 * among them. */
typedef struct win_run {
	long long id;
	int failed;
} win_run;

typedef struct window {
	win_run v[CS_ENT_COUNT * FACTS_MAX_WINDOW];
	int n;
} window;

static int window_row(cs_sql_stmt *q, void *arg)
{
	window *w = arg;
	int st = status_code(cs_sql_col_text(q, 1));
	if (w->n == CS_ENT_COUNT * FACTS_MAX_WINDOW)
		return 0;
	w->v[w->n].id = cs_sql_col_int(q, 0);
	w->v[w->n].failed = st == CS_RUN_FAILED || st == CS_RUN_PARTIAL;
	w->n++;
	return 0;
}

static void count_window(const window *w, int size, cs_run_facts *f)
{
	/* selection of the `size` highest ids; n is at most 4 * 100 */
	char used[CS_ENT_COUNT * FACTS_MAX_WINDOW] = {0};
	for (int k = 0; k < size; k++) {
		int best = -1;
		for (int i = 0; i < w->n; i++)
			if (!used[i] && (best < 0 || w->v[i].id > w->v[best].id))
				best = i;
		if (best < 0)
			break;
		used[best] = 1;
		f->recent++;
		f->recent_failed += w->v[best].failed;
	}
}

static int entity_facts(cs_sql_store *s, cs_run_facts *f, int e, int size, window *w,
			cs_err *err)
{
	struct cs_entity_facts *ef = &f->ent[e];
	const char *name = cs_entities[e].name;
	ef->last_status = -1;
	int rc = cs_sql_query(s->c,
			      "SELECT status, coalesce(finished_at, started_at), error FROM sync_runs"
			      " WHERE organization_id = ?1 AND entity = ?2 ORDER BY id DESC LIMIT 1",
			      "read run history", CS_SQL_ARGS(CS_V_INT(f->org_id), CS_V_TEXT(name)),
			      last_row, ef, err);
	if (rc == 0)
		rc = cs_sql_query(s->c,
				  "SELECT finished_at FROM sync_runs WHERE organization_id = ?1 AND"
				  " entity = ?2 AND status = 'success' ORDER BY id DESC LIMIT 1",
				  "read run history",
				  CS_SQL_ARGS(CS_V_INT(f->org_id), CS_V_TEXT(name)), success_row, ef,
				  err);
	if (rc == 0)
		rc = cs_sql_query(s->c,
				  "SELECT id, status FROM sync_runs WHERE organization_id = ?1 AND"
				  " entity = ?2 AND status NOT IN ('running', 'interrupted')"
				  " ORDER BY id DESC LIMIT ?3",
				  "read run history",
				  CS_SQL_ARGS(CS_V_INT(f->org_id), CS_V_TEXT(name), CS_V_INT(size)),
				  window_row, w, err);
	return rc;
}

int cs_sql_run_facts(cs_sql_store *s, cs_run_facts *f, cs_err *err)
{
	window w;
	int rc = 0;
	int size = f->window < 1 ? 1 : f->window > FACTS_MAX_WINDOW ? FACTS_MAX_WINDOW : f->window;
	memset(f->ent, 0, sizeof(f->ent));
	f->recent = f->recent_failed = 0;
	w.n = 0;
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++)
		rc = entity_facts(s, f, e, size, &w, err);
	if (rc == 0)
		count_window(&w, size, f);
	return rc;
}

static int plugin_row(cs_sql_stmt *q, void *arg)
{
	cs_plugin_last *p = arg;
	p->found = 1;
	p->status = status_code(cs_sql_col_text(q, 0));
	cs_sql_col_copy(q, 1, p->started_at, sizeof(p->started_at));
	cs_sql_col_copy(q, 2, p->error, sizeof(p->error));
	cs_sql_col_copy(q, 3, p->finished_at, sizeof(p->finished_at));
	long long *n[] = {&p->counts.considered, &p->counts.unchanged, &p->counts.created,
			  &p->counts.updated,    &p->counts.tagged,    &p->counts.skipped,
			  &p->counts.rejected,   &p->counts.failed};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		*n[i] = cs_sql_col_int(q, 4 + (int)i);
	return 0;
}

int cs_sql_plugin_last(cs_sql_store *s, cs_plugin_last *p, cs_err *err)
{
	p->found = 0;
	p->started_at[0] = p->error[0] = p->finished_at[0] = '\0';
	memset(&p->counts, 0, sizeof(p->counts));
	if (!cs_sql_has_table(s->c, "plugin_runs"))
		return 0;
	return cs_sql_query(s->c,
			    "SELECT status, started_at, error, finished_at, considered, unchanged,"
			    " created, updated, tagged, skipped, rejected, failed FROM plugin_runs"
			    " WHERE plugin = ?1"
			    " AND organization_id = ?2 AND mode <> 'dry-run' ORDER BY id DESC"
			    " LIMIT 1",
			    "read plugin runs",
			    CS_SQL_ARGS(CS_V_TEXT(p->plugin), CS_V_INT(p->org_id)), plugin_row, p,
			    err);
}

static int history_row(cs_sql_stmt *q, void *arg)
{
	cs_run_history *h = arg;
	cs_run r;
	memset(&r, 0, sizeof(r));
	r.id = cs_sql_col_int(q, 0);
	r.org_id = h->org_id;
	r.entity = h->entity;
	const char *mode = cs_sql_col_text(q, 1);
	r.full = mode && !strcmp(mode, "full");
	cs_sql_col_copy(q, 2, r.started_at, sizeof(r.started_at));
	cs_sql_col_copy(q, 3, r.finished_at, sizeof(r.finished_at));
	r.status = status_code(cs_sql_col_text(q, 4));
	r.records = cs_sql_col_int(q, 5);
	r.pages = cs_sql_col_int(q, 6);
	r.requests = cs_sql_col_int(q, 7);
	r.retries = cs_sql_col_int(q, 8);
	cs_sql_col_copy(q, 9, r.error, sizeof(r.error));
	return h->cb(&r, h->ctx);
}

/* CS_CTRL_RUN_HISTORY: an index range on sync_runs (organization_id, entity, id). */
int cs_sql_run_history(cs_sql_store *s, cs_run_history *h, cs_err *err)
{
	int limit = h->limit < 1 ? 1 : h->limit > FACTS_MAX_WINDOW ? FACTS_MAX_WINDOW : h->limit;
	if (h->entity < 0 || h->entity >= CS_ENT_COUNT || !h->cb)
		return cs_err_set(err, CS_EUSAGE, "cannot read run history: bad entity or callback");
	return cs_sql_query(s->c,
			    "SELECT id, mode, started_at, finished_at, status, records, pages,"
			    " requests, retries, error FROM sync_runs WHERE organization_id = ?1"
			    " AND entity = ?2 ORDER BY id DESC LIMIT ?3",
			    "read run history",
			    CS_SQL_ARGS(CS_V_INT(h->org_id), CS_V_TEXT(cs_entities[h->entity].name),
					CS_V_INT(limit)),
			    history_row, h, err);
}

static int rejection_row(cs_sql_stmt *q, void *arg)
{
	cs_plugin_rejections *r = arg;
	const char *reason = cs_sql_col_text(q, 0);
	return r->cb(reason && *reason ? reason : "(no reason given)", cs_sql_col_int(q, 1),
		     r->ctx);
}

/* CS_CTRL_PLUGIN_REJECTIONS: the newest rejections through plugin_outcomes
 * (plugin, status, id), grouped by error title; no email, no detail. */
int cs_sql_plugin_rejections(cs_sql_store *s, cs_plugin_rejections *r, cs_err *err)
{
	int limit = r->limit < 1 ? 1 : r->limit > 1000 ? 1000 : r->limit;
	if (!r->cb || !r->plugin)
		return cs_err_set(err, CS_EUSAGE, "cannot read rejections: no plugin or callback");
	if (!cs_sql_has_table(s->c, "plugin_outcomes"))
		return 0;
	return cs_sql_query(s->c,
			    "SELECT reason, COUNT(*) FROM (SELECT error_title AS reason FROM"
			    " plugin_outcomes WHERE plugin = ?1 AND status = 'rejected' AND"
			    " organization_id = ?2 ORDER BY id DESC LIMIT ?3) AS recent"
			    " GROUP BY reason ORDER BY 2 DESC, 1",
			    "read plugin rejections",
			    CS_SQL_ARGS(CS_V_TEXT(r->plugin), CS_V_INT(r->org_id), CS_V_INT(limit)),
			    rejection_row, r, err);
}
