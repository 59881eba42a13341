/* Leases (sync_leases) and alert records (alerts), migration v5. A lease is
 * taken in one write-locked transaction (read the row, then write it), so
 * two processes can never both win; this file must never take over a lease
 * whose holder is alive and unexpired. The unexpired leases, listed, are the
 * live workers sharing the database. */
#include "store/sql/sqlstore.h"
#include "util/proc.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct lease_read {
	cs_lease_info li;
	int found;
} lease_read;

static int lease_row(cs_sql_stmt *q, void *arg)
{
	lease_read *r = arg;
	r->found = 1;
	cs_sql_col_copy(q, 0, r->li.holder, sizeof(r->li.holder));
	r->li.pid = cs_sql_col_int(q, 1);
	cs_sql_col_copy(q, 2, r->li.host, sizeof(r->li.host));
	r->li.acquired_at_ms = cs_sql_col_int(q, 3);
	r->li.expires_at_ms = cs_sql_col_int(q, 4);
	return 0;
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

int cs_sql_lease_acquire(cs_store *st, long long org, const char *job, const char *holder,
			 long ttl_ms, cs_lease_info *held_by, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char host[128];
	cs_proc_host_name(host, sizeof(host));
	long long pid = getpid();
	lease_read r;
	memset(&r, 0, sizeof(r));
	int rc = cs_sql_begin(s->c, 1, "take a sync lease", err);
	if (rc)
		return rc;
	/* The row must exist for the read below to lock it in every product:
	 * an expired placeholder is inserted when there is none. Of two
	 * processes asking at once, the second waits on the first's lock and
	 * then reads its lease. Keyed, so a product whose insert-or-ignore only
	 * share-locks an existing row (two such locks then deadlock on the
	 * FOR UPDATE) can say it with an exclusive lock. */
	rc = cs_sql_exec(s->c,
			 cs_sql_text(s->c->dia, "lease.placeholder",
				     "@insert_ignore INTO sync_leases (organization_id, job, holder,"
				     " pid, host, acquired_at, expires_at)"
				     " VALUES (?1, ?2, '', 0, '', 0, 0)@ignore_conflicts"),
			 "take a sync lease", CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(job)), NULL, err);
	if (rc == 0)
		rc = cs_sql_query(s->c,
				  "SELECT holder, pid, host, acquired_at, expires_at FROM sync_leases"
				  " WHERE organization_id = ?1 AND job = ?2@lock_row",
				  "read a sync lease", CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(job)),
				  lease_row, &r, err);
	int64_t now = cs_time_now_ms();
	if (rc == 0 && r.found && !lease_free(&r.li, holder, pid, host, now)) {
		r.li.org_id = org;
		snprintf(r.li.job, sizeof(r.li.job), "%s", job);
		if (held_by)
			*held_by = r.li;
		rc = cs_err_set(err, CS_ECONFLICT, "%s of organization %lld is being synced by %s on %s",
				job, org, r.li.holder, r.li.host);
	}
	if (rc == 0)
		rc = cs_sql_exec(s->c,
				 "UPDATE sync_leases SET holder = ?3, pid = ?4, host = ?5,"
				 " acquired_at = ?6, expires_at = ?7 WHERE organization_id = ?1 AND job = ?2",
				 "write a sync lease",
				 CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(job), CS_V_TEXT(holder),
					     CS_V_INT(pid), CS_V_TEXT(host), CS_V_INT(now),
					     CS_V_INT(now + ttl_ms)),
				 NULL, err);
	return cs_sql_end(s->c, rc, "take a sync lease", err);
}

int cs_sql_lease_renew(cs_store *st, long long org, const char *job, const char *holder,
		       long ttl_ms, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char host[128];
	long long changed = 0;
	cs_proc_host_name(host, sizeof(host));
	int rc = cs_sql_exec(s->c,
			     "UPDATE sync_leases SET expires_at = ?1 WHERE organization_id = ?2"
			     " AND job = ?3 AND holder = ?4 AND pid = ?5 AND host = ?6",
			     "renew a sync lease",
			     CS_SQL_ARGS(CS_V_INT(cs_time_now_ms() + ttl_ms), CS_V_INT(org), CS_V_TEXT(job),
					 CS_V_TEXT(holder), CS_V_INT(getpid()), CS_V_TEXT(host)),
			     &changed, err);
	if (rc == 0 && changed == 0)
		rc = cs_err_set(err, CS_ECONFLICT,
				"lease on %s of organization %lld is no longer held by %s", job, org,
				holder);
	return rc;
}

int cs_sql_lease_release(cs_store *st, long long org, const char *job, const char *holder,
			 cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char host[128];
	cs_proc_host_name(host, sizeof(host));
	return cs_sql_exec(s->c,
			   "DELETE FROM sync_leases WHERE organization_id = ?1 AND job = ?2"
			   " AND holder = ?3 AND pid = ?4 AND host = ?5",
			   "release a sync lease",
			   CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(job), CS_V_TEXT(holder),
				       CS_V_INT(getpid()), CS_V_TEXT(host)),
			   NULL, err);
}

static int lease_list_row(cs_sql_stmt *q, void *arg)
{
	const cs_lease_walk *w = arg;
	cs_lease_info li;
	memset(&li, 0, sizeof(li));
	li.org_id = cs_sql_col_int(q, 0);
	cs_sql_col_copy(q, 1, li.job, sizeof(li.job));
	cs_sql_col_copy(q, 2, li.holder, sizeof(li.holder));
	li.pid = cs_sql_col_int(q, 3);
	cs_sql_col_copy(q, 4, li.host, sizeof(li.host));
	li.acquired_at_ms = cs_sql_col_int(q, 5);
	li.expires_at_ms = cs_sql_col_int(q, 6);
	return w->cb(&li, w->ctx);
}

/* Released leases are deleted and placeholders never run (expires_at 0):
 * what is unexpired is held by a live worker, or by one that died less
 * than a ttl ago and is about to lose it. */
int cs_sql_lease_list(cs_sql_store *s, const cs_lease_walk *w, cs_err *err)
{
	return cs_sql_query(s->c,
			    "SELECT organization_id, job, holder, pid, host, acquired_at, expires_at"
			    " FROM sync_leases WHERE expires_at > ?1"
			    " ORDER BY host, pid, holder, organization_id, job",
			    "list sync leases", CS_SQL_ARGS(CS_V_INT(cs_time_now_ms())),
			    lease_list_row, (void *)w, err);
}

static const char *const state_names[] = {"none", "firing", "resolved"};

typedef struct alert_read {
	cs_alert_row *out;
	int found;
} alert_read;

static int alert_row(cs_sql_stmt *q, void *arg)
{
	alert_read *r = arg;
	cs_alert_row *out = r->out;
	r->found = 1;
	const char *state = cs_sql_col_text(q, 0);
	for (int i = 0; i < 3; i++)
		if (state && !strcmp(state, state_names[i]))
			out->state = i;
	out->since = cs_sql_col_int(q, 1);
	out->last_sent_at = cs_sql_col_int(q, 2);
	out->count = (long)cs_sql_col_int(q, 3);
	cs_sql_col_copy(q, 4, out->last_message, sizeof(out->last_message));
	return 0;
}

int cs_sql_alert_load(cs_store *st, const char *key, cs_alert_row *out, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	alert_read r = {out, 0};
	memset(out, 0, sizeof(*out));
	int rc = cs_sql_query(s->c,
			      "SELECT state, since, last_sent_at, count, last_message FROM alerts"
			      " WHERE \"key\" = ?1",
			      "read an alert record", CS_SQL_ARGS(CS_V_TEXT(key)), alert_row, &r,
			      err);
	if (rc)
		return rc;
	if (!r.found)
		return cs_err_set(err, CS_ENOTFOUND, "no alert record for '%s'", key);
	snprintf(out->key, sizeof(out->key), "%s", key);
	return 0;
}

static const char *const alert_cols[] = {"key",   "state",	      "since",     "last_sent_at",
					 "count", "last_message", "updated_at"};

int cs_sql_alert_save(cs_store *st, const cs_alert_row *row, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	cs_buf b = CS_BUF_INIT;
	char now[32];
	cs_sql_now(now);
	int state = row->state >= 0 && row->state <= 2 ? row->state : 0;
	cs_sql_upsert u = {"alerts", alert_cols, 7, 1, 0, NULL, NULL, 0, NULL, NULL};
	int rc = cs_sql_upsert_text(s->c->dia, &u, &b)
			 ? cs_err_set(err, CS_ERR, "cannot save an alert record: out of memory")
			 : cs_sql_exec(s->c, cs_buf_str(&b), "save an alert record",
				       CS_SQL_ARGS(CS_V_TEXT(row->key), CS_V_TEXT(state_names[state]),
						   CS_V_INT(row->since), CS_V_INT(row->last_sent_at),
						   CS_V_INT(row->count), CS_V_TEXT(row->last_message),
						   CS_V_TIME(now)),
				       NULL, err);
	cs_buf_release(&b);
	return rc;
}
