/* The store ctrl ops behind `health`: per org and entity the newest run and
 * the newest success, the failure count over the newest finished runs, and
 * the newest push of a plugin. Every statement is an index seek on
 * sync_runs (organization_id, entity, id) or plugin_runs (plugin, id), so
 * the cost does not grow with the history. */
#include "store/sqlite_ops.h"

#include <string.h>

#define FACTS_MAX_WINDOW 100

static int status_code(const unsigned char *text)
{
	for (int i = CS_RUN_RUNNING; i <= CS_RUN_INTERRUPTED; i++)
		if (text && !strcmp((const char *)text, cs_run_status_name(i)))
			return i;
	return CS_RUN_FAILED;
}

/* The newest run of (org, entity), and its newest success. */
static int entity_last(cs_sqlite *s, sqlite3_stmt *last, sqlite3_stmt *ok, long long org,
		       const char *entity, struct cs_entity_facts *f)
{
	f->last_status = -1;
	sqlite3_bind_int64(last, 1, org);
	sqlite3_bind_text(last, 2, entity, -1, SQLITE_STATIC);
	int rc = sqlite3_step(last);
	if (rc == SQLITE_ROW) {
		f->last_status = status_code(sqlite3_column_text(last, 0));
		cs_sqlite_col_copy(last, 1, f->last_at, sizeof(f->last_at));
		cs_sqlite_col_copy(last, 2, f->last_error, sizeof(f->last_error));
	}
	sqlite3_reset(last);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	sqlite3_bind_int64(ok, 1, org);
	sqlite3_bind_text(ok, 2, entity, -1, SQLITE_STATIC);
	rc = sqlite3_step(ok);
	if (rc == SQLITE_ROW)
		cs_sqlite_col_copy(ok, 0, f->last_success_at, sizeof(f->last_success_at));
	sqlite3_reset(ok);
	(void)s;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The window: the newest `window` finished runs of each entity (an index
 * range each), merged newest first; the org's newest `window` overall are
 * among them. */
typedef struct win_run {
	long long id;
	int failed;
} win_run;

static int window_runs(sqlite3_stmt *q, long long org, const char *entity, int window,
		       win_run *v, int *n)
{
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, window);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int st = status_code(sqlite3_column_text(q, 1));
		v[*n].id = sqlite3_column_int64(q, 0);
		v[*n].failed = st == CS_RUN_FAILED || st == CS_RUN_PARTIAL;
		(*n)++;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void count_window(const win_run *v, int n, int window, cs_run_facts *f)
{
	/* selection of the `window` highest ids; n is at most 4 * 100 */
	char used[CS_ENT_COUNT * FACTS_MAX_WINDOW] = {0};
	for (int k = 0; k < window; k++) {
		int best = -1;
		for (int i = 0; i < n; i++)
			if (!used[i] && (best < 0 || v[i].id > v[best].id))
				best = i;
		if (best < 0)
			break;
		used[best] = 1;
		f->recent++;
		f->recent_failed += v[best].failed;
	}
}

static const char *const facts_sql[3] = {
	"SELECT status, coalesce(finished_at, started_at), error FROM sync_runs"
	" WHERE organization_id = ?1 AND entity = ?2 ORDER BY id DESC LIMIT 1",
	"SELECT finished_at FROM sync_runs WHERE organization_id = ?1 AND entity = ?2"
	" AND status = 'success' ORDER BY id DESC LIMIT 1",
	"SELECT id, status FROM sync_runs WHERE organization_id = ?1 AND entity = ?2"
	" AND status NOT IN ('running', 'interrupted') ORDER BY id DESC LIMIT ?3",
};

int cs_sqlite_run_facts(cs_sqlite *s, cs_run_facts *f, cs_err *err)
{
	sqlite3_stmt *q[3] = {NULL, NULL, NULL};
	win_run v[CS_ENT_COUNT * FACTS_MAX_WINDOW];
	int n = 0, rc = 0;
	int window = f->window < 1 ? 1 : f->window > FACTS_MAX_WINDOW ? FACTS_MAX_WINDOW : f->window;
	memset(f->ent, 0, sizeof(f->ent));
	f->recent = f->recent_failed = 0;
	for (int i = 0; rc == 0 && i < 3; i++)
		rc = cs_sqlite_prepare(s, facts_sql[i], &q[i], "read run history", err);
	for (size_t e = 0; rc == 0 && e < CS_ENT_COUNT; e++) {
		const char *name = cs_entities[e].name;
		int src = entity_last(s, q[0], q[1], f->org_id, name, &f->ent[e]);
		if (src == SQLITE_OK)
			src = window_runs(q[2], f->org_id, name, window, v, &n);
		if (src != SQLITE_OK)
			rc = cs_sqlite_fail(s, src, "read run history", err);
	}
	if (rc == 0)
		count_window(v, n, window, f);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(q[i]);
	return rc;
}

int cs_sqlite_plugin_last(cs_sqlite *s, cs_plugin_last *p, cs_err *err)
{
	sqlite3_stmt *q = NULL;
	p->found = 0;
	p->started_at[0] = p->error[0] = '\0';
	if (!cs_sqlite_has_table(s, "plugin_runs"))
		return 0;
	int rc = cs_sqlite_prepare(s,
				   "SELECT status, started_at, error FROM plugin_runs WHERE plugin = ?1"
				   " AND organization_id = ?2 AND mode <> 'dry-run' ORDER BY id DESC"
				   " LIMIT 1",
				   &q, "read plugin runs", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, p->plugin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, p->org_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		p->found = 1;
		p->status = status_code(sqlite3_column_text(q, 0));
		cs_sqlite_col_copy(q, 1, p->started_at, sizeof(p->started_at));
		cs_sqlite_col_copy(q, 2, p->error, sizeof(p->error));
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "read plugin runs", err);
	sqlite3_finalize(q);
	return rc;
}
