/* Push plugin state: the contacts a plugin walks (contact_segments joined
 * with its last-sent state), state and outcome writes in one transaction,
 * plugin_runs rows (errors stored redacted, util/redact.h), and the
 * `<plugin> status` summary. This file stores what a plugin decided; it must
 * never decide what is sent. */
#include "store/sql/sqlstore.h"
#include "util/proc.h"
#include "util/redact.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The four state columns follow the view's columns in the walk. */
#define STATE_COLS 4

typedef struct contact_walk {
	long long org;
	cs_contact_cb cb;
	void *ctx;
	int ncols, total, i_sup, i_key;
	const char **names, **values;
} contact_walk;

/* Column names are known once the statement is prepared. */
static int contact_setup(contact_walk *w, cs_sql_stmt *q)
{
	w->total = cs_sql_ncols(q);
	w->ncols = w->total - STATE_COLS;
	w->names = calloc((size_t)w->total, sizeof(*w->names));
	w->values = calloc((size_t)w->total, sizeof(*w->values));
	if (!w->names || !w->values)
		return -1;
	w->i_sup = w->i_key = -1;
	for (int i = 0; i < w->ncols; i++) {
		w->names[i] = cs_sql_col_name(q, i);
		if (!strcmp(w->names[i], "supporter_id"))
			w->i_sup = i;
		else if (!strcmp(w->names[i], "email_key"))
			w->i_key = i;
	}
	return 0;
}

static int contact_row(cs_sql_stmt *q, contact_walk *w)
{
	for (int i = 0; i < w->total; i++)
		w->values[i] = cs_sql_col_text(q, i);
	const char *key = w->i_key >= 0 ? w->values[w->i_key] : NULL;
	cs_contact c = {
		.org_id = w->org,
		.supporter_id = w->i_sup >= 0 ? cs_sql_col_int(q, w->i_sup) : 0,
		.email_key = key ? key : "",
		.ncols = w->ncols,
		.names = w->names,
		.values = w->values,
		.sent_hash = w->values[w->ncols],
		.sent_payload = w->values[w->ncols + 1],
		.sent_status = w->values[w->ncols + 2],
		.sent_org_id = cs_sql_col_int(q, w->ncols + 3),
	};
	return w->cb(&c, w->ctx);
}

int cs_sql_contacts(cs_store *st, long long org, const char *plugin, const char *scope,
		    cs_contact_cb cb, void *ctx, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	cs_sql_stmt *q = NULL;
	contact_walk w = {.org = org, .cb = cb, .ctx = ctx};
	/* Ordered by email so runs see contacts in the same order (stable
	 * samples, --limit picks the same ones). */
	int rc = cs_sql_prepare(
		s->c,
		"SELECT c.*, p.payload_hash, p.payload, p.status, p.organization_id"
		" FROM contact_segments c"
		" LEFT JOIN plugin_state p ON p.plugin = ?2 AND p.scope = ?3"
		" AND p.email_key = c.email_key WHERE c.organization_id = ?1 ORDER BY c.email_key",
		"read contacts for a push", &q, err);
	if (rc < 0)
		return rc;
	cs_sql_bind_all(q, CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(plugin), CS_V_TEXT(scope)));
	if (contact_setup(&w, q)) {
		rc = cs_err_set(err, CS_ERR, "out of memory reading contacts");
		goto out;
	}
	while ((rc = cs_sql_step(q, err)) == CS_SQL_ROW)
		if ((rc = contact_row(q, &w)) != 0)
			goto out;
out:
	free(w.names);
	free(w.values);
	cs_sql_finalize(q);
	return rc;
}

static const char *const state_cols[] = {"plugin",	 "scope",        "email_key",
					 "organization_id", "supporter_id", "payload_hash",
					 "payload",	 "status",       "updated_at"};

/* Runs one prepared statement per item: bind(item) then step. */
typedef int (*bind_item_fn)(cs_sql_stmt *q, const void *items, size_t i, const void *ctx);

static int each_item(cs_sql_stmt *q, const void *items, size_t n, bind_item_fn bind,
		     const void *ctx, cs_err *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		cs_sql_reset(q);
		bind(q, items, i, ctx);
		rc = cs_sql_step(q, err);
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

typedef struct record_ctx {
	const char *plugin, *now;
	long long run_id;
} record_ctx;

static int bind_state(cs_sql_stmt *q, const void *items, size_t i, const void *arg)
{
	const cs_plugin_state *v = &((const cs_plugin_state *)items)[i];
	const record_ctx *c = arg;
	return cs_sql_bind_all(q, CS_SQL_ARGS(CS_V_TEXT(c->plugin), CS_V_TEXT(v->scope),
					      CS_V_TEXT(v->email_key), CS_V_INT(v->org_id),
					      CS_V_INT(v->supporter_id), CS_V_OPT(v->hash),
					      CS_V_OPT(v->payload), CS_V_TEXT(v->status),
					      CS_V_TIME(c->now)));
}

static int bind_outcome(cs_sql_stmt *q, const void *items, size_t i, const void *arg)
{
	const cs_plugin_outcome *v = &((const cs_plugin_outcome *)items)[i];
	const record_ctx *c = arg;
	return cs_sql_bind_all(q, CS_SQL_ARGS(CS_V_INT(c->run_id), CS_V_TEXT(c->plugin),
					      CS_V_INT(v->org_id), CS_V_INT(v->supporter_id),
					      CS_V_OPT(v->email_key), CS_V_TEXT(v->action),
					      CS_V_TEXT(v->status), CS_V_OPT(v->error_title),
					      CS_V_OPT(v->error_detail), CS_V_OPT(v->request_id),
					      CS_V_TIME(c->now)));
}

static int put_items(cs_sql_store *s, const char *sql, const char *what, const void *items,
		     size_t n, bind_item_fn bind, const record_ctx *c, cs_err *err)
{
	cs_sql_stmt *q = NULL;
	int rc = cs_sql_prepare(s->c, sql, what, &q, err);
	if (rc == 0)
		rc = each_item(q, items, n, bind, c, err);
	cs_sql_finalize(q);
	return rc;
}

int cs_sql_plugin_record(cs_store *st, const char *plugin, long long run_id,
			 const cs_plugin_state *states, size_t nstates,
			 const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char now[32];
	cs_buf b = CS_BUF_INIT;
	cs_sql_now(now);
	record_ctx c = {plugin, now, run_id};
	cs_sql_upsert u = {"plugin_state", state_cols, 9, 3, 0, NULL, NULL, 0, NULL, NULL};
	if (cs_sql_upsert_text(s->c->dia, &u, &b)) {
		cs_buf_release(&b);
		return cs_err_set(err, CS_ERR, "cannot save plugin state: out of memory");
	}
	int rc = cs_sql_begin(s->c, 1, "record plugin outcomes", err);
	if (rc) {
		cs_buf_release(&b);
		return rc;
	}
	rc = put_items(s, cs_buf_str(&b), "save plugin state", states, nstates, bind_state, &c,
		       err);
	if (rc == 0)
		rc = put_items(s,
			       "INSERT INTO plugin_outcomes (run_id, plugin, organization_id,"
			       " supporter_id, email_key, action, status, error_title, error_detail,"
			       " request_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			       "record plugin outcomes", outcomes, noutcomes, bind_outcome, &c, err);
	cs_buf_release(&b);
	return cs_sql_end(s->c, rc, "commit plugin outcomes", err);
}

static const char *run_mode(const cs_plugin_run *r)
{
	return r->dry_run ? "dry-run" : r->full ? "full" : "incremental";
}

int cs_sql_plugin_run_begin(cs_store *st, cs_plugin_run *run, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (!run->started_at[0])
		cs_sql_now(run->started_at);
	char host[128];
	cs_proc_host_name(host, sizeof(host));
	return cs_sql_insert_id(s->c,
				"INSERT INTO plugin_runs (plugin, organization_id, mode, started_at,"
				" status, pid, host) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6)"
				"@returning_id",
				"record a push run",
				CS_SQL_ARGS(CS_V_TEXT(run->plugin), CS_V_INT(run->org_id),
					    CS_V_TEXT(run_mode(run)), CS_V_TIME(run->started_at),
					    CS_V_INT(getpid()), CS_V_TEXT(host)),
				&run->id, err);
}

int cs_sql_plugin_run_finish(cs_store *st, const cs_plugin_run *run, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char now[32];
	const cs_push_counts *c = &run->counts;
	cs_sql_now(now);
	char *error = cs_redact_dup(run->error);
	int rc = cs_sql_exec(
		s->c,
		"UPDATE plugin_runs SET finished_at = ?2, status = ?3, considered = ?4,"
		" unchanged = ?5, created = ?6, updated = ?7, tagged = ?8, skipped = ?9,"
		" rejected = ?10, failed = ?11, requests = ?12, writes = ?13, error = ?14"
		" WHERE id = ?1",
		"record the end of a push run",
		CS_SQL_ARGS(CS_V_INT(run->id), CS_V_TIME(now), CS_V_TEXT(cs_run_status_name(run->status)),
			    CS_V_INT(c->considered), CS_V_INT(c->unchanged), CS_V_INT(c->created),
			    CS_V_INT(c->updated), CS_V_INT(c->tagged), CS_V_INT(c->skipped),
			    CS_V_INT(c->rejected), CS_V_INT(c->failed), CS_V_INT(c->requests),
			    CS_V_INT(c->writes), CS_V_OPT(error ? error : CS_REDACT_MARK)),
		NULL, err);
	free(error);
	return rc;
}

/* ?1 is the plugin name in each. */
static const struct {
	const char *key, *sql;
} sections[] = {
	/* the newest real (not dry) push of each org */
	{"last_runs",
	 "SELECT r.* FROM plugin_runs r WHERE r.plugin = ?1 AND r.id = (SELECT MAX(id) FROM"
	 " plugin_runs x WHERE x.plugin = ?1 AND x.organization_id = r.organization_id"
	 " AND x.mode <> 'dry-run') ORDER BY r.organization_id"},
	/* outcomes of those runs, by action and status */
	{"last_outcomes",
	 "SELECT o.organization_id, o.action, o.status, COUNT(*) AS count FROM plugin_outcomes o"
	 " WHERE o.plugin = ?1 AND o.run_id IN (SELECT MAX(id) FROM plugin_runs WHERE"
	 " plugin = ?1 AND mode <> 'dry-run' GROUP BY organization_id)"
	 " GROUP BY o.organization_id, o.action, o.status ORDER BY 1, 2, 3"},
	/* what the destination holds as we last sent it, by state */
	{"contacts",
	 "SELECT organization_id, scope, status, COUNT(*) AS count FROM plugin_state"
	 " WHERE plugin = ?1 GROUP BY organization_id, scope, status ORDER BY 1, 2, 3"},
	{"recent_errors",
	 "SELECT at, organization_id, supporter_id, email_key, action, status, error_title,"
	 " error_detail, request_id FROM plugin_outcomes WHERE plugin = ?1"
	 " AND status IN ('rejected', 'failed') ORDER BY id DESC LIMIT 10"},
};

int cs_sql_plugin_status(cs_store *st, const char *plugin, cJSON **out, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "plugin", plugin);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(sections) / sizeof(sections[0]); i++) {
		cJSON *a = cJSON_AddArrayToObject(root, sections[i].key);
		rc = cs_sql_rows_json(s->c, sections[i].sql, plugin, a, "read plugin status", err);
	}
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}
