/* Organizations and sync bookkeeping: the org rows (with their encrypted
 * secrets, which this file stores and returns but never decrypts), the
 * sync_state read, and the sync_runs log (which host and pid ran each run),
 * whose errors are stored redacted (util/redact.h): no registered secret
 * ever reaches the database in one. It must never close a run whose worker,
 * on any host, is alive. */
#include "store/sql/sqlstore.h"
#include "util/proc.h"
#include "util/redact.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tables besides the entity tables that hold per-org rows and go with --purge. */
static const char *const purge_tables[] = {"sync_state", "sync_runs", "aggregate_queue",
					   "plugin_state", "plugin_runs", "plugin_outcomes"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_LOOKBACK_S 300

static const char *const org_cols[] = {"id",		    "name",	  "client_id",
				       "client_secret_enc", "created_at", "updated_at"};

int cs_sql_org_put(cs_store *st, const cs_org *org, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	cs_buf b = CS_BUF_INIT;
	char now[32];
	/* An update without a secret keeps the stored one. */
	cs_sql_upsert u = {"organizations", org_cols, 6, 1, 0, "client_secret_enc", "created_at", 0, NULL, NULL};
	if (cs_sql_upsert_text(s->c->dia, &u, &b)) {
		cs_buf_release(&b);
		return cs_err_set(err, CS_ERR, "cannot save an organization: out of memory");
	}
	cs_sql_now(now);
	int rc = cs_sql_exec(s->c, cs_buf_str(&b), "save an organization",
			     CS_SQL_ARGS(CS_V_INT(org->id), CS_V_TEXT(org->name),
					 CS_V_TEXT(org->client_id), CS_V_OPT(org->secret_enc),
					 CS_V_TIME(org->created_at[0] ? org->created_at : now),
					 CS_V_TIME(now)),
			     NULL, err);
	cs_buf_release(&b);
	return rc;
}

#define ORG_SELECT "SELECT id, name, client_id, client_secret_enc, created_at FROM organizations"

static int org_from_row(cs_sql_stmt *q, cs_org *o)
{
	memset(o, 0, sizeof(*o));
	o->id = cs_sql_col_int(q, 0);
	cs_sql_col_copy(q, 1, o->name, sizeof(o->name));
	cs_sql_col_copy(q, 2, o->client_id, sizeof(o->client_id));
	cs_sql_col_copy(q, 4, o->created_at, sizeof(o->created_at));
	const char *enc = cs_sql_col_text(q, 3);
	if (enc && !(o->secret_enc = strdup(enc)))
		return -1;
	return 0;
}

typedef struct org_walk {
	cs_org_cb cb;
	void *ctx;
	cs_org *one; /* org_get: the row goes here */
	int oom;
} org_walk;

static int org_row(cs_sql_stmt *q, void *arg)
{
	org_walk *w = arg;
	cs_org o;
	if (org_from_row(q, w->one ? w->one : &o)) {
		w->oom = 1;
		return CS_ERR;
	}
	if (w->one)
		return 0;
	int rc = w->cb(&o, w->ctx);
	cs_org_release(&o);
	return rc;
}

int cs_sql_org_get(cs_store *st, long long id, cs_org *out, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	org_walk w = {NULL, NULL, out, 0};
	memset(out, 0, sizeof(*out));
	out->id = -1;
	int rc = cs_sql_query(s->c, ORG_SELECT " WHERE id = ?1", "read an organization",
			      CS_SQL_ARGS(CS_V_INT(id)), org_row, &w, err);
	if (w.oom)
		return cs_err_set(err, CS_ERR, "cannot read organization %lld: out of memory", id);
	if (rc == 0 && out->id == -1) {
		out->id = 0;
		return cs_err_set(err, CS_ENOTFOUND,
				  "organization %lld is not registered; add it with 'classy-sync org "
				  "add' or see 'classy-sync org list'",
				  id);
	}
	return rc;
}

int cs_sql_org_list(cs_store *st, cs_org_cb cb, void *ctx, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	org_walk w = {cb, ctx, NULL, 0};
	int rc = cs_sql_query(s->c, ORG_SELECT " ORDER BY id", "list organizations", CS_SQL_NOARGS,
			      org_row, &w, err);
	if (w.oom)
		return cs_err_set(err, CS_ERR, "cannot list organizations: out of memory");
	return rc;
}

/* Deletes the org's rows from every per-org table; adds the count to *n. */
static int purge(cs_sql_store *s, long long id, long long *n, cs_err *err)
{
	char sql[128];
	long long changes = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < CS_ENT_COUNT + ARRAY_LEN(purge_tables); i++) {
		const char *t = i < CS_ENT_COUNT ? cs_entities[i].name : purge_tables[i - CS_ENT_COUNT];
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE organization_id = ?1", t);
		rc = cs_sql_exec(s->c, sql, "purge an organization", CS_SQL_ARGS(CS_V_INT(id)),
				 &changes, err);
		*n += changes;
	}
	return rc;
}

int cs_sql_org_remove(cs_store *st, long long id, int purge_data, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	long long n = 0;
	if (s->in_page)
		return cs_err_set(err, CS_ERR,
				  "cannot remove organization %lld: a page is in progress", id);
	int rc = cs_sql_begin(s->c, 1, "remove an organization", err);
	if (rc < 0)
		return rc;
	rc = cs_sql_exec(s->c, "DELETE FROM organizations WHERE id = ?1", "remove an organization",
			 CS_SQL_ARGS(CS_V_INT(id)), &n, err);
	if (rc == 0 && purge_data)
		rc = purge(s, id, &n, err);
	if (rc == 0 && n == 0)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"organization %lld is not registered%s; see 'classy-sync org list'",
				id, purge_data ? " and has no synced data" : "");
	return cs_sql_end(s->c, rc, "remove an organization", err);
}

static const char *entity_name(int entity)
{
	return entity >= 0 && entity < CS_ENT_COUNT ? cs_entities[entity].name : NULL;
}

static int state_row(cs_sql_stmt *q, void *arg)
{
	cs_sync_state *out = arg;
	cs_sql_col_copy(q, 0, out->cursor, sizeof(out->cursor));
	out->lookback_s = (int)cs_sql_col_int(q, 1);
	out->full_last_id = cs_sql_col_int(q, 2);
	cs_sql_col_copy(q, 3, out->full_started_at, sizeof(out->full_started_at));
	cs_sql_col_copy(q, 4, out->last_full_at, sizeof(out->last_full_at));
	return 0;
}

int cs_sql_state_get(cs_store *st, long long org, int entity, cs_sync_state *out, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	memset(out, 0, sizeof(*out));
	out->org_id = org;
	out->entity = entity;
	out->lookback_s = DEFAULT_LOOKBACK_S;
	if (!entity_name(entity))
		return cs_err_set(err, CS_ERR, "cannot read sync state: unknown entity %d", entity);
	return cs_sql_query(s->c,
			    "SELECT \"cursor\", lookback_s, full_last_id, full_started_at, last_full_at"
			    " FROM sync_state WHERE organization_id = ?1 AND entity = ?2",
			    "read sync state",
			    CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(entity_name(entity))), state_row,
			    out, err);
}

/* Runs left 'running' by a process that died (kill -9, power loss), read
 * in rounds of ROUND in id order. */
#define ROUND 64
typedef struct open_runs {
	struct open_run {
		long long id, pid;
		char host[128]; /* "" for runs recorded before migration 6 */
	} r[ROUND];
	int n, more;
} open_runs;

static int open_row(cs_sql_stmt *q, void *arg)
{
	open_runs *d = arg;
	if (d->n == ROUND) {
		d->more = 1;
		return 0;
	}
	struct open_run *r = &d->r[d->n++];
	r->id = cs_sql_col_int(q, 0);
	r->pid = cs_sql_col_int(q, 1);
	cs_sql_col_copy(q, 2, r->host, sizeof(r->host));
	return 0;
}

static int count_row(cs_sql_stmt *q, void *arg)
{
	*(long long *)arg = cs_sql_col_int(q, 0);
	return 0;
}

/* Whether the process that ran r is gone. A pid means something on its own
 * host only. On this host (or with no host: a run from before workers were
 * recorded) the pid says it; one that exists again (reused) is left alone.
 * A run of another host is alive while that host's process (host and pid)
 * holds an unexpired lease on the job: the keeper renews it while the run
 * goes on (daemon/lease.c), and it lapses within its ttl when the process
 * or its machine dies. The job of an entity's run is the entity's name. */
static int run_gone(cs_sql_store *s, long long org, const char *job, const struct open_run *r,
		    const char *host, int *gone, cs_err *err)
{
	if (!r->host[0] || !strcmp(r->host, host)) {
		*gone = !(r->pid > 0 && cs_proc_pid_alive(r->pid));
		return 0;
	}
	long long held = 0;
	int rc = cs_sql_query(s->c,
			      "SELECT COUNT(*) FROM sync_leases WHERE organization_id = ?1 AND job = ?2"
			      " AND host = ?3 AND pid = ?4 AND expires_at > ?5",
			      "check a worker's lease",
			      CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(job), CS_V_TEXT(r->host),
					  CS_V_INT(r->pid), CS_V_INT(cs_time_now_ms())),
			      count_row, &held, err);
	*gone = rc == 0 && held == 0;
	return rc;
}

static int close_run(cs_sql_store *s, const struct open_run *r, const char *host, const char *now,
		     cs_err *err)
{
	char msg[400];
	if (!r->host[0]) /* recorded before hosts were: judged as this host's */
		snprintf(msg, sizeof(msg),
			 "the process (pid %lld) ended before this run finished; the next run "
			 "resumed from the last committed page",
			 r->pid);
	else if (!strcmp(r->host, host))
		snprintf(msg, sizeof(msg),
			 "the process (pid %lld on host %s) ended before this run finished; the next "
			 "run resumed from the last committed page",
			 r->pid, r->host);
	else
		snprintf(msg, sizeof(msg),
			 "the worker on host %s (pid %lld) stopped renewing its lease before this "
			 "run finished; the next run resumed from the last committed page",
			 r->host, r->pid);
	return cs_sql_exec(s->c,
			   "UPDATE sync_runs SET status = 'interrupted', finished_at = ?2, error = ?3"
			   " WHERE id = ?1 AND status = 'running'",
			   "close a run left unfinished",
			   CS_SQL_ARGS(CS_V_INT(r->id), CS_V_TIME(now), CS_V_TEXT(msg)), NULL, err);
}

/* A run whose process died stays 'running' forever. Before a new run of the
 * same org and entity, relabel those whose process is gone as interrupted
 * (run_gone: a live run, on any host, is never closed). */
static int close_dead_runs(cs_sql_store *s, long long org, const char *entity, cs_err *err)
{
	open_runs d;
	char now[32], host[128];
	long long after = 0;
	int rc;
	cs_sql_now(now);
	cs_proc_host_name(host, sizeof(host));
	do {
		d.n = d.more = 0;
		rc = cs_sql_query(s->c,
				  "SELECT id, pid, host FROM sync_runs WHERE organization_id = ?1 AND "
				  "entity = ?2 AND status = 'running' AND id > ?3 ORDER BY id",
				  "check for runs left unfinished",
				  CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(entity), CS_V_INT(after)),
				  open_row, &d, err);
		for (int i = 0; rc == 0 && i < d.n; i++) {
			int gone = 0;
			after = d.r[i].id;
			rc = run_gone(s, org, entity, &d.r[i], host, &gone, err);
			if (rc == 0 && gone)
				rc = close_run(s, &d.r[i], host, now, err);
		}
	} while (rc == 0 && d.more);
	return rc;
}

int cs_sql_run_begin(cs_store *st, cs_run *run, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (!entity_name(run->entity))
		return cs_err_set(err, CS_ERR, "cannot record a run: unknown entity %d", run->entity);
	if (!run->started_at[0])
		cs_sql_now(run->started_at);
	int rc = close_dead_runs(s, run->org_id, entity_name(run->entity), err);
	if (rc < 0)
		return rc;
	char host[128];
	cs_proc_host_name(host, sizeof(host));
	char *error = cs_redact_dup(run->error);
	rc = cs_sql_insert_id(
		s->c,
		"INSERT INTO sync_runs (organization_id, entity, mode, started_at, status, records,"
		" pages, requests, retries, error, pid, host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		" ?9, ?10, ?11, ?12)@returning_id",
		"record a run",
		CS_SQL_ARGS(CS_V_INT(run->org_id), CS_V_TEXT(entity_name(run->entity)),
			    CS_V_TEXT(run->full ? "full" : "incremental"), CS_V_TIME(run->started_at),
			    CS_V_TEXT(cs_run_status_name(run->status)), CS_V_INT(run->records),
			    CS_V_INT(run->pages), CS_V_INT(run->requests), CS_V_INT(run->retries),
			    CS_V_OPT(error ? error : CS_REDACT_MARK), CS_V_INT(getpid()),
			    CS_V_TEXT(host)),
		&run->id, err);
	free(error);
	return rc;
}

int cs_sql_run_finish(cs_store *st, const cs_run *run, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char now[32];
	long long changed = 0;
	cs_sql_now(now);
	char *error = cs_redact_dup(run->error);
	int rc = cs_sql_exec(s->c,
			     "UPDATE sync_runs SET finished_at = ?2, status = ?3, records = ?4, "
			     "pages = ?5, requests = ?6, retries = ?7, error = ?8 WHERE id = ?1",
			     "record the end of a run",
			     CS_SQL_ARGS(CS_V_INT(run->id),
					 CS_V_TIME(run->finished_at[0] ? run->finished_at : now),
					 CS_V_TEXT(cs_run_status_name(run->status)),
					 CS_V_INT(run->records), CS_V_INT(run->pages),
					 CS_V_INT(run->requests), CS_V_INT(run->retries),
					 CS_V_OPT(error ? error : CS_REDACT_MARK)),
			     &changed, err);
	free(error);
	if (rc == 0 && changed == 0)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"cannot record the end of run %lld in database '%s': no such run",
				run->id, s->c->name);
	return rc;
}
