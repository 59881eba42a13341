/* Leases (sync_leases) and alert records (alerts), migration v5. */
#include "store/sqlite_ops.h"
#include "util/proc.h"
#include "util/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static void this_host(char *out, size_t n)
{
	if (gethostname(out, n) != 0)
		snprintf(out, n, "unknown");
	out[n - 1] = '\0';
}

static void read_lease(sqlite3_stmt *q, long long org, const char *job, cs_lease_info *li)
{
	memset(li, 0, sizeof(*li));
	li->org_id = org;
	snprintf(li->job, sizeof(li->job), "%s", job);
	cs_sqlite_col_copy(q, 0, li->holder, sizeof(li->holder));
	li->pid = sqlite3_column_int64(q, 1);
	cs_sqlite_col_copy(q, 2, li->host, sizeof(li->host));
	li->acquired_at_ms = sqlite3_column_int64(q, 3);
	li->expires_at_ms = sqlite3_column_int64(q, 4);
}

/* Whether a lease row may be taken over by (holder, pid, host) at now. */
static int lease_free(const cs_lease_info *li, const char *holder, long long pid,
		      const char *host, int64_t now)
{
	if (li->expires_at_ms <= now)
		return 1; /* expired */
	if (strcmp(li->host, host))
		return 0; /* another host: only expiry frees it */
	if (li->pid == pid)
		return !strcmp(li->holder, holder); /* ours already: refresh */
	return li->pid > 0 && !cs_proc_pid_alive(li->pid);
}

static int step_done(cs_sqlite *s, sqlite3_stmt *q, const char *what, cs_err *err)
{
	int rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : cs_sqlite_fail(s, rc, what, err);
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_lease_acquire(cs_store *st, long long org, const char *job, const char *holder,
			    long ttl_ms, cs_lease_info *held_by, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	char host[128];
	this_host(host, sizeof(host));
	long long pid = getpid();
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "take a sync lease", err);
	sqlite3_stmt *q = NULL;
	rc = cs_sqlite_prepare(s,
			       "SELECT holder, pid, host, acquired_at, expires_at FROM sync_leases"
			       " WHERE organization_id = ?1 AND job = ?2",
			       &q, "read a sync lease", err);
	if (rc)
		goto out_rollback;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, job, -1, SQLITE_STATIC);
	int64_t now = cs_time_now_ms();
	int src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		cs_lease_info li;
		read_lease(q, org, job, &li);
		if (!lease_free(&li, holder, pid, host, now)) {
			sqlite3_finalize(q);
			if (held_by)
				*held_by = li;
			rc = cs_err_set(err, CS_ECONFLICT,
					"%s of organization %lld is being synced by %s on %s", job,
					org, li.holder, li.host);
			goto out_rollback;
		}
	} else if (src != SQLITE_DONE) {
		sqlite3_finalize(q);
		rc = cs_sqlite_fail(s, src, "read a sync lease", err);
		goto out_rollback;
	}
	sqlite3_finalize(q);
	rc = cs_sqlite_prepare(s,
			       "INSERT OR REPLACE INTO sync_leases (organization_id, job, holder, pid,"
			       " host, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       &q, "write a sync lease", err);
	if (rc)
		goto out_rollback;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, pid);
	sqlite3_bind_text(q, 5, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, now);
	sqlite3_bind_int64(q, 7, now + ttl_ms);
	rc = step_done(s, q, "write a sync lease", err);
	if (rc)
		goto out_rollback;
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = cs_sqlite_fail(s, rc, "take a sync lease", err);
		goto out_rollback;
	}
	return 0;
out_rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int cs_sqlite_lease_renew(cs_store *st, long long org, const char *job, const char *holder,
			  long ttl_ms, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	char host[128];
	this_host(host, sizeof(host));
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(s,
				   "UPDATE sync_leases SET expires_at = ?1 WHERE organization_id = ?2"
				   " AND job = ?3 AND holder = ?4 AND pid = ?5 AND host = ?6",
				   &q, "renew a sync lease", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, cs_time_now_ms() + ttl_ms);
	sqlite3_bind_int64(q, 2, org);
	sqlite3_bind_text(q, 3, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, getpid());
	sqlite3_bind_text(q, 6, host, -1, SQLITE_STATIC);
	rc = step_done(s, q, "renew a sync lease", err);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = cs_err_set(err, CS_ECONFLICT,
				"lease on %s of organization %lld is no longer held by %s", job, org,
				holder);
	return rc;
}

int cs_sqlite_lease_release(cs_store *st, long long org, const char *job, const char *holder,
			    cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	char host[128];
	this_host(host, sizeof(host));
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(s,
				   "DELETE FROM sync_leases WHERE organization_id = ?1 AND job = ?2"
				   " AND holder = ?3 AND pid = ?4 AND host = ?5",
				   &q, "release a sync lease", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, holder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, getpid());
	sqlite3_bind_text(q, 5, host, -1, SQLITE_STATIC);
	return step_done(s, q, "release a sync lease", err);
}

static const char *const state_names[] = {"none", "firing", "resolved"};

int cs_sqlite_alert_load(cs_store *st, const char *key, cs_alert_row *out, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(s,
				   "SELECT state, since, last_sent_at, count, last_message FROM alerts"
				   " WHERE key = ?1",
				   &q, "read an alert record", err);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->key, sizeof(out->key), "%s", key);
		const char *state = (const char *)sqlite3_column_text(q, 0);
		for (int i = 0; i < 3; i++)
			if (state && !strcmp(state, state_names[i]))
				out->state = i;
		out->since = sqlite3_column_int64(q, 1);
		out->last_sent_at = sqlite3_column_int64(q, 2);
		out->count = (long)sqlite3_column_int64(q, 3);
		cs_sqlite_col_copy(q, 4, out->last_message, sizeof(out->last_message));
		rc = 0;
	} else if (src == SQLITE_DONE) {
		rc = cs_err_set(err, CS_ENOTFOUND, "no alert record for '%s'", key);
	} else {
		rc = cs_sqlite_fail(s, src, "read an alert record", err);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_alert_save(cs_store *st, const cs_alert_row *row, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(s,
				   "INSERT OR REPLACE INTO alerts (key, state, since, last_sent_at, count,"
				   " last_message, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				   &q, "save an alert record", err);
	if (rc)
		return rc;
	char now[32];
	cs_sqlite_now(now);
	int state = row->state >= 0 && row->state <= 2 ? row->state : 0;
	sqlite3_bind_text(q, 1, row->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, state_names[state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, row->since);
	sqlite3_bind_int64(q, 4, row->last_sent_at);
	sqlite3_bind_int64(q, 5, row->count);
	sqlite3_bind_text(q, 6, row->last_message, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
	return step_done(s, q, "save an alert record", err);
}

/* CS_CTRL_LAST_RUNS: uses the sync_runs (organization_id, entity, id) index. */
int cs_sqlite_last_runs(cs_store *st, cJSON **out, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	cJSON *a = cJSON_CreateArray();
	if (!a)
		return cs_err_set(err, CS_ERR, "out of memory");
	int rc = cs_sqlite_rows_json(
		s,
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
