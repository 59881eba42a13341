/* The request budget shared through the database (migration v7,
 * CS_CTRL_RATE_SLOT, sync/share.c), on every backend: the reservation keeps
 * http/budget.h's contract (the first free index at or after `first`, never
 * one at or past the limit, never one twice, old seconds forgotten); budgets
 * of several processes, each over its own connection, never hand out more
 * than a second's limit together; and a failing database leaves the budget
 * pacing alone, saying so. */
#include "test_store_helpers.h"

#include "sync/share.h"

#include <sys/wait.h>
#include <time.h>

#define APP "app-shared"
#define S0 1700000000LL /* a second, as the budget numbers them */

static long take(cs_store *st, const char *app, long long slot, long limit, long first)
{
	cs_err err = {0};
	cs_rate_slot r = {app, slot, limit, first, 99};
	if (st->ctrl(st, CS_CTRL_RATE_SLOT, &r, &err))
		fail_msg("reserve %s/%lld: %s", app, slot, err.msg);
	return r.index;
}

static void test_contract(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	for (long i = 0; i < 5; i++)
		assert_int_equal(take(t.st, APP, S0, 5, 0), i);
	assert_int_equal(take(t.st, APP, S0, 5, 0), -1); /* full */
	assert_int_equal(take(t.st, APP, S0, 6, 0), 5);  /* a higher limit: room again */
	/* at or after first: indexes before it are skipped for good */
	assert_int_equal(take(t.st, APP, S0 + 1, 10, 3), 3);
	assert_int_equal(take(t.st, APP, S0 + 1, 10, 0), 4);
	assert_int_equal(take(t.st, APP, S0 + 1, 10, 9), 9);
	assert_int_equal(take(t.st, APP, S0 + 1, 10, 0), -1);
	/* first at or past the limit, or no limit: nothing */
	assert_int_equal(take(t.st, APP, S0 + 2, 10, 10), -1);
	assert_int_equal(take(t.st, APP, S0 + 2, 0, 0), -1);
	assert_int_equal(take(t.st, APP, S0 + 2, 10, -4), 0);
	/* seconds and applications count apart */
	assert_int_equal(take(t.st, "other-app", S0, 5, 0), 0);
	assert_int_equal(q_int(&t, "SELECT used FROM rate_slots WHERE app = '%s' AND slot = %lld",
			       APP, S0),
			 6);
	assert_int_equal(q_int(&t, "SELECT used FROM rate_slots WHERE app = 'other-app'"), 1);
	tstore_close(&t);
}

/* Making a second's row forgets the application's seconds older than
 * CS_RATE_SLOT_KEEP_S; other applications' rows are theirs to prune. */
static void test_old_seconds_are_forgotten(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	const long long old = S0 - CS_RATE_SLOT_KEEP_S - 1, recent = S0 - 10;
	if (cs_sql_exec(t.sql,
			"INSERT INTO rate_slots (app, slot, used) VALUES (?1, ?2, 3), (?1, ?3, 4),"
			" (?4, ?2, 5)",
			"write slots",
			CS_SQL_ARGS(CS_V_TEXT(APP), CS_V_INT(old), CS_V_INT(recent),
				    CS_V_TEXT("other-app")),
			NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(take(t.st, APP, S0, 30, 0), 0);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM rate_slots WHERE app = '%s'", APP), 2);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM rate_slots WHERE slot = %lld", old), 1);
	assert_int_equal(q_int(&t, "SELECT used FROM rate_slots WHERE slot = %lld", recent), 4);
	tstore_close(&t);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* Runs n children, each fn(t, i, fd) writing longs to fd; returns what they
 * wrote, sorted, in *got (malloc'd), and how many. The children start
 * together: each waits at a gate (a pipe's end of file) that opens once all
 * are forked, so their first statements race as hard as they can. */
static size_t run_children(tstore *t, int n, void (*fn)(tstore *, int, int), long **got)
{
	int fds[2], gate[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(gate), 0);
	pid_t kids[8];
	assert_true(n <= 8);
	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			char c;
			close(fds[0]);
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0)
				_exit(6);
			fn(t, i, fds[1]);
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]);
	close(fds[1]);
	size_t cap = 1024, len = 0;
	*got = malloc(cap * sizeof(long));
	long v;
	while (read(fds[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
		if (len == cap)
			*got = realloc(*got, (cap *= 2) * sizeof(long));
		(*got)[len++] = v;
	}
	close(fds[0]);
	for (int i = 0; i < n; i++) {
		int st;
		waitpid(kids[i], &st, 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	qsort(*got, len, sizeof(**got), cmp_long);
	return len;
}

static void put_long(int fd, long v)
{
	if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(9);
}

/* A child: its own connection, 30 reservations of one second (limit 50). */
static void racer(tstore *t, int i, int fd)
{
	(void)i;
	cs_store *st = NULL;
	cs_err err = {0};
	if (cs_store_open(&t->cfg, &st, &err))
		_exit(8);
	for (int k = 0; k < 30; k++) {
		cs_rate_slot r = {APP, S0, 50, 0, -1};
		if (st->ctrl(st, CS_CTRL_RATE_SLOT, &r, &err))
			_exit(7);
		if (r.index >= 0)
			put_long(fd, r.index);
	}
	cs_store_close(st);
}

/* Four processes want 120 indexes of a second that has 50: they get
 * exactly 0..49 between them, each once. */
static void test_processes_share_one_second(void **state)
{
	(void)state;
	tstore t;
	long *got = NULL;
	tstore_open(&t);
	size_t n = run_children(&t, 4, racer, &got);
	assert_int_equal(n, 50);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], (long)i);
	assert_int_equal(q_int(&t, "SELECT used FROM rate_slots"), 50);
	free(got);
	tstore_close(&t);
}

/* A child: its own connection, one reservation in each of 150 seconds no
 * one has asked for yet (limit 50): never full, so it must always get an
 * index, whoever made the second's row. */
static void row_racer(tstore *t, int i, int fd)
{
	(void)i;
	cs_store *st = NULL;
	cs_err err = {0};
	if (cs_store_open(&t->cfg, &st, &err))
		_exit(8);
	for (long long k = 0; k < 150; k++) {
		cs_rate_slot r = {APP, S0 + 1000 + k, 50, 0, -1};
		if (st->ctrl(st, CS_CTRL_RATE_SLOT, &r, &err))
			_exit(7);
		put_long(fd, r.index);
	}
	cs_store_close(st);
}

/* Four processes asking for new seconds at once: the one whose insert of
 * a second's row loses to another's still gets its index (CI once saw a
 * lost race read as a full second, and a budget skip it). */
static void test_a_row_made_by_another_is_not_full(void **state)
{
	(void)state;
	tstore t;
	long *got = NULL;
	tstore_open(&t);
	size_t n = run_children(&t, 4, row_racer, &got);
	assert_int_equal(n, 600);
	if (got[0] < 0)
		fail_msg("a process got no index of a second with room (index %ld)", got[0]);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM rate_slots WHERE used = 4"), 150);
	free(got);
	tstore_close(&t);
}

/* When a process shares its budget through the database: pacing on, and
 * CLASSY_RATE_LIMIT_SHARED 1, or auto on a server product. */
static void test_when_shared(void **state)
{
	(void)state;
	static const struct {
		int db, mode, limit, want;
	} cases[] = {
		{CS_DB_POSTGRESQL, CS_SHARED_AUTO, 1800, 1}, {CS_DB_MYSQL, CS_SHARED_AUTO, 1800, 1},
		{CS_DB_SQLITE, CS_SHARED_AUTO, 1800, 0},     {CS_DB_SQLITE, CS_SHARED_ON, 1800, 1},
		{CS_DB_MYSQL, CS_SHARED_OFF, 1800, 0},       {CS_DB_POSTGRESQL, CS_SHARED_ON, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cs_config cfg = {.db_type = cases[i].db, .rate_limit_shared = cases[i].mode,
				 .rate_limit = cases[i].limit};
		if (cs_sync_share_wanted(&cfg) != cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
	}
}

/* ---- budgets over the share, on a clock the test holds ---- */

static int64_t g_mono, g_wall;

static int64_t fake_mono(void)
{
	return g_mono;
}

static int64_t fake_wall(void)
{
	return g_wall;
}

static int fake_sleep(long ms, int (*should_stop)(void))
{
	(void)should_stop;
	g_mono += ms;
	g_wall += ms;
	return 0;
}

static void use_fake_clock(void)
{
	g_mono = 5000000;
	g_wall = S0 * 1000;
	cs_http_budget_set_hooks(&(cs_http_budget_hooks){fake_mono, fake_wall, fake_sleep});
}

static cs_sync_share *share_on(tstore *t)
{
	cs_sync_share *s = NULL;
	cs_err err = {0};
	if (cs_sync_share_open(&t->cfg, &s, &err))
		fail_msg("open the share: %s", err.msg);
	return s;
}

static void install(cs_sync_share *s)
{
	cs_http_budget_share h = cs_sync_share_hook(s);
	cs_http_budget_set_share(&h);
}

/* A child process: its own share (connection) and budget on a clock
 * stopped at the start of second S0; it asks 60 times without waiting and
 * reports the wall time of each send time it was granted. */
static void budget_process(tstore *t, int i, int fd)
{
	(void)i;
	use_fake_clock();
	cs_sync_share *s = share_on(t);
	install(s);
	cs_http_budget *b = cs_http_budget_new(APP, 1800);
	for (int k = 0; k < 60; k++) {
		int64_t at;
		if (cs_http_budget_reserve(b, &at))
			put_long(fd, (long)(at - g_mono + g_wall));
	}
	cs_http_budget_free(b);
	cs_http_budget_set_share(NULL);
	cs_sync_share_free(s);
}

/* Three processes, 180 requests, room for the 4 seconds a budget looks
 * ahead: each second's limit is handed out once, whoever asked. */
static void test_budgets_of_processes_share_each_second(void **state)
{
	(void)state;
	tstore t;
	long *got = NULL;
	tstore_open(&t);
	size_t n = run_children(&t, 3, budget_process, &got);
	long pace = cs_http_budget_pace(1800), room = 0;
	for (int64_t k = S0; k < S0 + 4; k++)
		room += cs_http_budget_slot_limit(pace, k);
	assert_int_equal((long)n, room);
	long per[4] = {0};
	for (size_t i = 0; i < n; i++) {
		if (i && got[i] == got[i - 1])
			fail_msg("two processes got the send time %ld", got[i]);
		long k = got[i] / 1000 - (long)S0;
		assert_true(k >= 0 && k < 4);
		per[k]++;
	}
	for (int k = 0; k < 4; k++)
		assert_int_equal(per[k], cs_http_budget_slot_limit(pace, S0 + k));
	free(got);
	tstore_close(&t);
}

/* Two budgets of one application, as two processes have them (each its
 * own connection), taking turns while time runs: no second ever sees more
 * than its limit from both together. */
static void test_two_budgets_pace_together(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	use_fake_clock();
	cs_sync_share *sa = share_on(&t), *sb = share_on(&t);
	cs_http_budget *a = cs_http_budget_new(APP, 600), *b = cs_http_budget_new(APP, 600);
	long pace = cs_http_budget_pace(600), per[64] = {0};
	for (int i = 0; i < 400; i++) {
		install(i % 2 ? sb : sa);
		assert_int_equal(cs_http_budget_acquire(i % 2 ? b : a, NULL), 0);
		long k = (long)(g_wall / 1000 - S0);
		assert_true(k >= 0 && k < 64);
		per[k]++;
	}
	for (int k = 0; k < 64; k++)
		if (per[k] > cs_http_budget_slot_limit(pace, S0 + k))
			fail_msg("second %d: %ld requests, limit %ld", k, per[k],
				 cs_http_budget_slot_limit(pace, S0 + k));
	/* and at the pace: 400 requests in about 400 / 9.9 s */
	assert_true(g_wall / 1000 - S0 <= 42);
	assert_int_equal(q_int(&t, "SELECT SUM(used) FROM rate_slots"), 400);
	cs_http_budget_set_share(NULL);
	cs_http_budget_set_hooks(NULL);
	cs_http_budget_free(a);
	cs_http_budget_free(b);
	cs_sync_share_free(sa);
	cs_sync_share_free(sb);
	tstore_close(&t);
}

/* ---- a failing database ---- */

/* stderr into a file while a test step runs, to read what was logged. */
typedef struct capture {
	char path[64];
	int fd, saved;
	char text[4096];
} capture;

static void capture_start(capture *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/test_rate_slots_logXXXXXX");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	dup2(c->fd, STDERR_FILENO);
}

static const char *capture_end(capture *c)
{
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	ssize_t got = pread(c->fd, c->text, sizeof(c->text) - 1, 0);
	c->text[got > 0 ? got : 0] = '\0';
	close(c->fd);
	unlink(c->path);
	return c->text;
}

static void test_failure_paces_alone_and_says_so(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	capture cap;
	int version = 0, applied = 0, granted[3];
	int64_t at;
	tstore_open(&t);
	cs_sync_share *s = share_on(&t);
	install(s);
	cs_http_budget *b = cs_http_budget_new(APP, 1800);
	assert_int_equal(cs_http_budget_reserve(b, &at), 1);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM rate_slots WHERE used > 0"), 1);

	/* the table goes (migration 7 rolled back, after those above it):
	 * still granted, locally */
	do
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
	while (version > 7);
	assert_int_equal(version, 7);
	capture_start(&cap);
	granted[0] = cs_http_budget_reserve(b, &at);
	granted[1] = cs_http_budget_reserve(b, &at);
	const char *log = capture_end(&cap);
	assert_int_equal(granted[0], 1);
	assert_int_equal(granted[1], 1);
	assert_non_null(strstr(log, "the request budget shared through the database failed: "));
	assert_non_null(strstr(log, "each process paces alone until it works again"));
	const char *said = strstr(log, "budget of application '" APP "': the shared request "
				       "reservation failed");
	assert_non_null(said);
	assert_non_null(strstr(said, "pacing this process alone"));
	assert_null(strstr(said + 1, "budget of application")); /* said once */

	/* back: the next reservation after the retry interval uses it again */
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	cs_sync_share_set_retry_ms(s, 1);
	nanosleep(&(struct timespec){0, 5000000}, NULL);
	capture_start(&cap);
	granted[2] = cs_http_budget_reserve(b, &at);
	log = capture_end(&cap);
	assert_int_equal(granted[2], 1);
	assert_non_null(strstr(log, "the request budget shared through the database works again"));
	assert_non_null(strstr(log, "the shared request reservation works again"));
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM rate_slots WHERE used > 0"), 1);

	cs_http_budget_set_share(NULL);
	cs_http_budget_free(b);
	cs_sync_share_free(s);
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contract),
		cmocka_unit_test(test_old_seconds_are_forgotten),
		cmocka_unit_test(test_when_shared),
		cmocka_unit_test(test_processes_share_one_second),
		cmocka_unit_test(test_a_row_made_by_another_is_not_full),
		cmocka_unit_test(test_budgets_of_processes_share_each_second),
		cmocka_unit_test(test_two_budgets_pace_together),
		cmocka_unit_test(test_failure_paces_alone_and_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
