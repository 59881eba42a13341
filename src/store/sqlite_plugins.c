/* Push plugin state: contacts with their last-sent state, state and outcome
 * writes, run rows and the status summary. */
#include "store/sqlite_ops.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The four state columns follow the view's columns in the walk. */
#define STATE_COLS 4

int cs_sqlite_contacts(cs_store *st, long long org, const char *plugin, const char *scope,
		       cs_contact_cb cb, void *ctx, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	/* Ordered by email so runs see contacts in the same order (stable
	 * samples, --limit picks the same ones). */
	int rc = cs_sqlite_prepare(
		s,
		"SELECT c.*, p.payload_hash, p.payload, p.status, p.organization_id"
		" FROM contact_segments c"
		" LEFT JOIN plugin_state p ON p.plugin = ?2 AND p.scope = ?3"
		" AND p.email_key = c.email_key WHERE c.organization_id = ?1 ORDER BY c.email_key",
		&q, "read contacts for a push", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, plugin, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, scope, -1, SQLITE_STATIC);
	int total = sqlite3_column_count(q), ncols = total - STATE_COLS;
	const char **names = calloc((size_t)total, sizeof(*names));
	const char **values = calloc((size_t)total, sizeof(*values));
	int i_sup = -1, i_key = -1;
	if (!names || !values) {
		rc = cs_err_set(err, CS_ERR, "out of memory reading contacts");
		goto out;
	}
	for (int i = 0; i < ncols; i++) {
		names[i] = sqlite3_column_name(q, i);
		if (!strcmp(names[i], "supporter_id"))
			i_sup = i;
		else if (!strcmp(names[i], "email_key"))
			i_key = i;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < total; i++)
			values[i] = (const char *)sqlite3_column_text(q, i);
		cs_contact c = {
			.org_id = org,
			.supporter_id = i_sup >= 0 ? sqlite3_column_int64(q, i_sup) : 0,
			.email_key = i_key >= 0 && values[i_key] ? values[i_key] : "",
			.ncols = ncols,
			.names = names,
			.values = values,
			.sent_hash = values[ncols],
			.sent_payload = values[ncols + 1],
			.sent_status = values[ncols + 2],
			.sent_org_id = sqlite3_column_int64(q, ncols + 3),
		};
		if ((rc = cb(&c, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "read contacts for a push", err);
out:
	free(names);
	free(values);
	sqlite3_finalize(q);
	return rc;
}

static int put_states(cs_sqlite *s, const char *plugin, const cs_plugin_state *v, size_t n,
		      const char *now, cs_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(
		s,
		"INSERT INTO plugin_state (plugin, scope, email_key, organization_id, supporter_id,"
		" payload_hash, payload, status, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		" ?9) ON CONFLICT (plugin, scope, email_key) DO UPDATE SET organization_id ="
		" excluded.organization_id, supporter_id = excluded.supporter_id, payload_hash ="
		" excluded.payload_hash, payload = excluded.payload, status = excluded.status,"
		" updated_at = excluded.updated_at",
		&q, "save plugin state", err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, plugin, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, v[i].scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, v[i].email_key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, v[i].org_id);
		sqlite3_bind_int64(q, 5, v[i].supporter_id);
		cs_sqlite_bind_opt(q, 6, v[i].hash);
		cs_sqlite_bind_opt(q, 7, v[i].payload);
		sqlite3_bind_text(q, 8, v[i].status, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 9, now, -1, SQLITE_STATIC);
		int r = sqlite3_step(q);
		if (r != SQLITE_DONE)
			rc = cs_sqlite_fail(s, r, "save plugin state", err);
	}
	sqlite3_finalize(q);
	return rc;
}

static int put_outcomes(cs_sqlite *s, const char *plugin, long long run_id,
			const cs_plugin_outcome *v, size_t n, const char *now, cs_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(
		s,
		"INSERT INTO plugin_outcomes (run_id, plugin, organization_id, supporter_id,"
		" email_key, action, status, error_title, error_detail, request_id, at) VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		&q, "record plugin outcomes", err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, run_id);
		sqlite3_bind_text(q, 2, plugin, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, v[i].org_id);
		sqlite3_bind_int64(q, 4, v[i].supporter_id);
		cs_sqlite_bind_opt(q, 5, v[i].email_key);
		sqlite3_bind_text(q, 6, v[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 7, v[i].status, -1, SQLITE_STATIC);
		cs_sqlite_bind_opt(q, 8, v[i].error_title);
		cs_sqlite_bind_opt(q, 9, v[i].error_detail);
		cs_sqlite_bind_opt(q, 10, v[i].request_id);
		sqlite3_bind_text(q, 11, now, -1, SQLITE_STATIC);
		int r = sqlite3_step(q);
		if (r != SQLITE_DONE)
			rc = cs_sqlite_fail(s, r, "record plugin outcomes", err);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_plugin_record(cs_store *st, const char *plugin, long long run_id,
			    const cs_plugin_state *states, size_t nstates,
			    const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	char now[32];
	cs_sqlite_now(now);
	int rc = cs_sqlite_exec(s->db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	if ((rc = put_states(s, plugin, states, nstates, now, err)) == 0 &&
	    (rc = put_outcomes(s, plugin, run_id, outcomes, noutcomes, now, err)) == 0) {
		int r = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (r == SQLITE_OK)
			return 0;
		rc = cs_sqlite_fail(s, r, "commit plugin outcomes", err);
	}
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static const char *run_mode(const cs_plugin_run *r)
{
	return r->dry_run ? "dry-run" : r->full ? "full" : "incremental";
}

int cs_sqlite_plugin_run_begin(cs_store *st, cs_plugin_run *run, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	if (!run->started_at[0])
		cs_sqlite_now(run->started_at);
	int rc = cs_sqlite_prepare(s,
				   "INSERT INTO plugin_runs (plugin, organization_id, mode, started_at,"
				   " status, pid) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
				   &q, "record a push run", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 1, run->plugin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, run->org_id);
	sqlite3_bind_text(q, 3, run_mode(run), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, run->started_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, (long long)getpid());
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		run->id = sqlite3_last_insert_rowid(s->db);
		rc = 0;
	} else {
		rc = cs_sqlite_fail(s, rc, "record a push run", err);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_plugin_run_finish(cs_store *st, const cs_plugin_run *run, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char now[32];
	int rc = cs_sqlite_prepare(
		s,
		"UPDATE plugin_runs SET finished_at = ?2, status = ?3, considered = ?4,"
		" unchanged = ?5, created = ?6, updated = ?7, tagged = ?8, skipped = ?9,"
		" rejected = ?10, failed = ?11, requests = ?12, writes = ?13, error = ?14"
		" WHERE id = ?1",
		&q, "record the end of a push run", err);
	if (rc < 0)
		return rc;
	const cs_push_counts *c = &run->counts;
	const long long nums[] = {c->considered, c->unchanged, c->created, c->updated, c->tagged,
				  c->skipped,    c->rejected,  c->failed,  c->requests, c->writes};
	cs_sqlite_now(now);
	sqlite3_bind_int64(q, 1, run->id);
	sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, cs_run_status_name(run->status), -1, SQLITE_STATIC);
	for (int i = 0; i < (int)(sizeof(nums) / sizeof(nums[0])); i++)
		sqlite3_bind_int64(q, 4 + i, nums[i]);
	cs_sqlite_bind_opt(q, 14, run->error);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "record the end of a push run", err);
	sqlite3_finalize(q);
	return rc;
}
