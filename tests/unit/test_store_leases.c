/* Leases (sync_leases) and alert records (alerts): migration v5. */
#include "test_store_helpers.h"

#include "util/timeutil.h"

#include <sys/wait.h>

static void host(char *out, size_t n)
{
	gethostname(out, n);
	out[n - 1] = '\0';
}

/* Writes a lease row as another process would (replacing the job's row). */
static void put_lease(tstore *t, long long org, const char *job, const char *holder, long long pid,
		      const char *h, int64_t expires)
{
	cs_err err = {0};
	char *sql = sqlite3_mprintf("DELETE FROM sync_leases WHERE organization_id = %lld AND job = %Q;"
				    " INSERT INTO sync_leases VALUES (%lld, %Q, %Q, %lld, %Q, %lld, %lld)",
				    org, job, org, job, holder, pid, h, (long long)cs_time_now_ms(),
				    (long long)expires);
	if (cs_sql_script(t->sql, sql, "write a lease", &err))
		fail_msg("%s: %s", sql, err.msg);
	sqlite3_free(sql);
}

static void test_acquire_conflict_release(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_lease_info li;
	char h[128];
	host(h, sizeof(h));
	tstore_open(&t);
	assert_int_equal(t.st->lease_acquire(t.st, 1001, "supporters", "sync pid 5", 60000, &li, &err),
			 0);
	assert_int_equal(q_int(&t, "SELECT pid FROM sync_leases"), getpid());
	/* the same holder again: a refresh */
	assert_int_equal(t.st->lease_acquire(t.st, 1001, "supporters", "sync pid 5", 60000, &li, &err),
			 0);
	/* another holder in this process: conflict */
	memset(&li, 0, sizeof(li));
	assert_int_equal(t.st->lease_acquire(t.st, 1001, "supporters", "daemon", 60000, &li, &err),
			 CS_ECONFLICT);
	assert_string_equal(li.holder, "sync pid 5");
	assert_int_equal(li.pid, getpid());
	assert_string_equal(li.host, h);
	/* another job or org is free */
	assert_int_equal(t.st->lease_acquire(t.st, 1001, "campaigns", "daemon", 60000, &li, &err), 0);
	assert_int_equal(t.st->lease_acquire(t.st, 1002, "supporters", "daemon", 60000, &li, &err), 0);
	/* a live process elsewhere (pid 1 exists) holds it */
	put_lease(&t, 7, "plugins", "daemon pid 1", 1, h, cs_time_now_ms() + 60000);
	assert_int_equal(t.st->lease_acquire(t.st, 7, "plugins", "sync", 60000, &li, &err),
			 CS_ECONFLICT);
	assert_string_equal(li.holder, "daemon pid 1");
	assert_non_null(strstr(err.msg, "plugins of organization 7 is being synced by daemon pid 1"));
	/* release: only the holder's own */
	assert_int_equal(t.st->lease_release(t.st, 7, "plugins", "sync", &err), 0);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM sync_leases WHERE organization_id = 7"), 1);
	assert_int_equal(t.st->lease_release(t.st, 1001, "supporters", "sync pid 5", &err), 0);
	assert_int_equal(t.st->lease_acquire(t.st, 1001, "supporters", "daemon", 60000, &li, &err), 0);
	tstore_close(&t);
}

static void test_expiry_and_other_host(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_lease_info li;
	tstore_open(&t);
	/* a live holder on another host: conflict until it expires */
	put_lease(&t, 1, "transactions", "daemon pid 1", 1, "elsewhere", cs_time_now_ms() + 60000);
	assert_int_equal(t.st->lease_acquire(t.st, 1, "transactions", "sync", 1000, &li, &err),
			 CS_ECONFLICT);
	assert_string_equal(li.host, "elsewhere");
	put_lease(&t, 1, "transactions", "daemon pid 1", 1, "elsewhere", cs_time_now_ms() - 1);
	assert_int_equal(t.st->lease_acquire(t.st, 1, "transactions", "sync", 1000, &li, &err), 0);
	assert_string_equal(q_text(&t, "SELECT holder FROM sync_leases"), "sync");
	tstore_close(&t);
}

static void test_dead_pid_takeover(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_lease_info li;
	char h[128];
	host(h, sizeof(h));
	tstore_open(&t);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0); /* reaped: its pid is dead */
	put_lease(&t, 1, "campaigns", "daemon pid x", child, h, cs_time_now_ms() + 600000);
	assert_int_equal(t.st->lease_acquire(t.st, 1, "campaigns", "sync", 60000, &li, &err), 0);
	assert_int_equal(q_int(&t, "SELECT pid FROM sync_leases"), getpid());
	tstore_close(&t);
}

static void test_renew(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_lease_info li;
	tstore_open(&t);
	assert_int_equal(t.st->lease_acquire(t.st, 1, "supporters", "me", 1000, &li, &err), 0);
	long long e1 = q_int(&t, "SELECT expires_at FROM sync_leases");
	assert_int_equal(t.st->lease_renew(t.st, 1, "supporters", "me", 600000, &err), 0);
	long long e2 = q_int(&t, "SELECT expires_at FROM sync_leases");
	assert_true(e2 >= e1 + 590000);
	/* not ours (any more) */
	assert_int_equal(t.st->lease_renew(t.st, 1, "supporters", "other", 1000, &err), CS_ECONFLICT);
	assert_int_equal(t.st->lease_release(t.st, 1, "supporters", "me", &err), 0);
	assert_int_equal(t.st->lease_renew(t.st, 1, "supporters", "me", 1000, &err), CS_ECONFLICT);
	tstore_close(&t);
}

/* Two processes racing for one lease: exactly one wins. */
static void test_race(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	enum { N = 4 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			cs_store *st = NULL; /* its own connection to the same database */
			cs_err err = {0};
			cs_lease_info li;
			if (cs_store_open(&t.cfg, &st, &err))
				_exit(9);
			int rc = st->lease_acquire(st, 1, "supporters", "racer", 60000, &li, &err);
			_exit(rc == 0 ? 0 : rc == CS_ECONFLICT ? 1 : 9);
		}
	}
	int won = 0, lost = 0;
	for (int i = 0; i < N; i++) {
		int st;
		waitpid(kids[i], &st, 0);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			won++;
		else if (WEXITSTATUS(st) == 1)
			lost++;
	}
	/* A winner that already exited is dead: a later racer may take over
	 * from it, so more than one may win in sequence, but never none and
	 * never a failure other than the conflict. */
	assert_true(won >= 1);
	assert_int_equal(won + lost, N);
	tstore_close(&t);
}

/* A run row as a worker left it: 'running', with its pid and host. */
static long long put_run(tstore *t, long long org, const char *entity, long long pid,
			 const char *h)
{
	cs_err err = {0};
	if (cs_sql_exec(t->sql,
			"INSERT INTO sync_runs (organization_id, entity, mode, started_at, status, pid,"
			" host) VALUES (?1, ?2, 'full', ?5, 'running', ?3, ?4)",
			"write a run", CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(entity), CS_V_INT(pid),
						   CS_V_OPT(h), CS_V_TIME("2025-01-01T00:00:00.000Z")),
			NULL, &err))
		fail_msg("%s", err.msg);
	return q_int(t, "SELECT MAX(id) FROM sync_runs");
}

static const char *run_status(tstore *t, long long id)
{
	return q_text(t, "SELECT status FROM sync_runs WHERE id = %lld", id);
}

static void begin_run(tstore *t, long long org, int entity)
{
	cs_err err = {0};
	cs_run run = {.org_id = org, .entity = entity};
	assert_int_equal(t->st->run_begin(t->st, &run, &err), 0);
	run.status = CS_RUN_SUCCESS;
	assert_int_equal(t->st->run_finish(t->st, &run, &err), 0);
}

/* A run left 'running' on another host: its pid means nothing here (ours,
 * alive here, stands for any), so it is closed when that host's process
 * holds no unexpired lease on the job (org, entity name), and kept while it
 * does. On this host the pid decides, as before. */
static void test_close_runs_across_hosts(void **state)
{
	(void)state;
	tstore t;
	char h[128];
	host(h, sizeof(h));
	long long me = getpid();
	int64_t now = cs_time_now_ms();
	tstore_open(&t);
	/* every new run records this host and pid */
	begin_run(&t, 2, CS_ENT_CAMPAIGNS);
	assert_string_equal(q_text(&t, "SELECT host FROM sync_runs"), h);
	assert_int_equal(q_int(&t, "SELECT pid FROM sync_runs"), me);

	long long far = put_run(&t, 1, "supporters", me, "elsewhere");
	long long local = put_run(&t, 1, "supporters", me, h);
	long long old = put_run(&t, 1, "supporters", me, NULL); /* before migration 6 */
	put_lease(&t, 1, "supporters", "daemon", me, "elsewhere", now + 600000);
	begin_run(&t, 1, CS_ENT_SUPPORTERS);
	assert_string_equal(run_status(&t, far), "running");
	assert_string_equal(run_status(&t, local), "running");
	assert_string_equal(run_status(&t, old), "running");

	/* a live lease of that host, but another process, or another job */
	put_lease(&t, 1, "supporters", "daemon", me + 1, "elsewhere", now + 600000);
	put_lease(&t, 1, "campaigns", "daemon", me, "elsewhere", now + 600000);
	begin_run(&t, 1, CS_ENT_SUPPORTERS);
	assert_string_equal(run_status(&t, far), "interrupted");
	assert_non_null(strstr(q_text(&t, "SELECT error FROM sync_runs WHERE id = %lld", far),
			       "the worker on host elsewhere (pid"));
	assert_string_equal(run_status(&t, local), "running");

	/* its lease expired */
	far = put_run(&t, 1, "supporters", me, "elsewhere");
	put_lease(&t, 1, "supporters", "daemon", me, "elsewhere", now + 600000);
	begin_run(&t, 1, CS_ENT_SUPPORTERS);
	assert_string_equal(run_status(&t, far), "running");
	put_lease(&t, 1, "supporters", "daemon", me, "elsewhere", now - 1);
	begin_run(&t, 1, CS_ENT_SUPPORTERS);
	assert_string_equal(run_status(&t, far), "interrupted");
	assert_string_equal(run_status(&t, local), "running");
	assert_string_equal(run_status(&t, old), "running");

	/* on this host a pid that is gone closes the run, whatever the lease */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	local = put_run(&t, 1, "supporters", child, h);
	old = put_run(&t, 1, "supporters", child, NULL);
	put_lease(&t, 1, "supporters", "daemon", child, h, now + 600000);
	begin_run(&t, 1, CS_ENT_SUPPORTERS);
	assert_string_equal(run_status(&t, local), "interrupted");
	assert_string_equal(run_status(&t, old), "interrupted");
	char want[200];
	snprintf(want, sizeof(want), "the process (pid %d on host %s) ended", (int)child, h);
	assert_non_null(strstr(q_text(&t, "SELECT error FROM sync_runs WHERE id = %lld", local),
			       want));
	snprintf(want, sizeof(want), "the process (pid %d) ended", (int)child);
	assert_non_null(strstr(q_text(&t, "SELECT error FROM sync_runs WHERE id = %lld", old),
			       want));
	/* another org or entity is never touched */
	assert_string_equal(q_text(&t, "SELECT status FROM sync_runs WHERE organization_id = 2"),
			    "success");
	tstore_close(&t);
}

static void test_alert_records(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_alert_row r, back;
	tstore_open(&t);
	assert_int_equal(t.st->alert_load(t.st, "stale:1:supporters", &back, &err), CS_ENOTFOUND);
	memset(&r, 0, sizeof(r));
	snprintf(r.key, sizeof(r.key), "stale:1:supporters");
	r.state = 1;
	r.since = 1000;
	r.last_sent_at = 2000;
	r.count = 2;
	snprintf(r.last_message, sizeof(r.last_message), "it's stale");
	assert_int_equal(t.st->alert_save(t.st, &r, &err), 0);
	assert_int_equal(t.st->alert_load(t.st, "stale:1:supporters", &back, &err), 0);
	assert_string_equal(back.key, r.key);
	assert_int_equal(back.state, 1);
	assert_int_equal(back.since, 1000);
	assert_int_equal(back.last_sent_at, 2000);
	assert_int_equal(back.count, 2);
	assert_string_equal(back.last_message, "it's stale");
	assert_string_equal(q_text(&t, "SELECT state FROM alerts"), "firing");
	r.state = 2;
	assert_int_equal(t.st->alert_save(t.st, &r, &err), 0);
	assert_int_equal(t.st->alert_load(t.st, "stale:1:supporters", &back, &err), 0);
	assert_int_equal(back.state, 2);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM alerts"), 1);
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_conflict_release),
		cmocka_unit_test(test_expiry_and_other_host),
		cmocka_unit_test(test_dead_pid_takeover),
		cmocka_unit_test(test_renew),
		cmocka_unit_test(test_race),
		cmocka_unit_test(test_close_runs_across_hosts),
		cmocka_unit_test(test_alert_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
