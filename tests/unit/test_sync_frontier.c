/* Checkpoints while ranges finish out of order: the frontier alone (a
 * table of cases and a seeded property check over random commit orders),
 * then the writer storing pages of three ranges of one full scan out of
 * order into a real SQLite store, where the committed full_last_id must
 * never pass a range whose pages are not all stored, and a page that
 * fails leaves neither its rows nor its checkpoint. */
#include "sync/engine_int.h"
#include "test_store_helpers.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_frontier_cases(void **state)
{
	(void)state;
	cs_sync_frontier f;
	assert_int_equal(cs_sync_frontier_init(&f, 0), 0);
	assert_int_equal(cs_sync_frontier_value(&f), 0);
	int a = cs_sync_frontier_split(&f, 300);
	int b = cs_sync_frontier_split(&f, 600);
	assert_true(a > 0 && b > 0 && a != b);
	/* the last range finishes first: nothing before it moves */
	cs_sync_frontier_advance(&f, b, 700, 1);
	assert_int_equal(cs_sync_frontier_value(&f), 0);
	cs_sync_frontier_advance(&f, 0, 100, 0);
	assert_int_equal(cs_sync_frontier_value(&f), 100);
	cs_sync_frontier_advance(&f, a, 450, 0);
	assert_int_equal(cs_sync_frontier_value(&f), 100);
	/* a position never goes back */
	cs_sync_frontier_advance(&f, 0, 50, 0);
	assert_int_equal(cs_sync_frontier_value(&f), 100);
	cs_sync_frontier_advance(&f, 0, 300, 1);
	assert_int_equal(cs_sync_frontier_value(&f), 450);
	cs_sync_frontier_advance(&f, a, 600, 1);
	assert_int_equal(cs_sync_frontier_value(&f), 700); /* all done: the last position */
	/* no split inside a done range, or at or before a position */
	assert_int_equal(cs_sync_frontier_split(&f, 650), -1);
	cs_sync_frontier_release(&f);

	assert_int_equal(cs_sync_frontier_init(&f, 1000), 0);
	cs_sync_frontier_advance(&f, 0, 1500, 0);
	assert_int_equal(cs_sync_frontier_split(&f, 1500), -1);
	assert_int_equal(cs_sync_frontier_split(&f, 900), -1);
	assert_true(cs_sync_frontier_split(&f, 1501) > 0);
	cs_sync_frontier_release(&f);
}

/* Keys 1..N in R ranges of pages of P keys; pages commit in a seeded random
 * order (each range's own pages in order, as the writer gets them). After
 * every commit, every key up to the checkpoint must be committed. */
static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

static void test_frontier_random_orders(void **state)
{
	(void)state;
	enum { N = 2000, R = 7, P = 37 };
	for (int round = 0; round < 200; round++) {
		static unsigned char committed[N + 1];
		memset(committed, 0, sizeof(committed));
		cs_sync_frontier f;
		assert_int_equal(cs_sync_frontier_init(&f, 0), 0);
		int64_t lo[R + 1];
		int id[R], next[R];
		lo[0] = 0;
		lo[R] = N;
		id[0] = 0;
		for (int r = 1; r < R; r++) {
			lo[r] = lo[r - 1] + 1 + (int64_t)(next_rand() % (N / R));
			id[r] = cs_sync_frontier_split(&f, lo[r]);
			assert_true(id[r] > 0);
		}
		for (int r = 0; r < R; r++)
			next[r] = (int)lo[r];
		int left = R;
		int64_t last = 0;
		while (left) {
			int r = (int)(next_rand() % R);
			if (next[r] >= lo[r + 1])
				continue;
			int64_t end = next[r] + P < lo[r + 1] ? next[r] + P : lo[r + 1];
			for (int64_t k = next[r] + 1; k <= end; k++)
				committed[k] = 1;
			next[r] = (int)end;
			int done = end >= lo[r + 1];
			left -= done;
			cs_sync_frontier_advance(&f, id[r], end, done);
			int64_t v = cs_sync_frontier_value(&f);
			assert_true(v >= last); /* never backwards */
			for (int64_t k = 1; k <= v; k++)
				if (!committed[k])
					fail_msg("round %d: checkpoint %lld passes key %lld, not committed",
						 round, (long long)v, (long long)k);
			last = v;
		}
		assert_int_equal(cs_sync_frontier_value(&f), N);
		cs_sync_frontier_release(&f);
	}
}

/* ---- the writer, out of order, on a real store ---- */

typedef struct wfx {
	tstore ts;
	cs_sync_opts opts;
	cs_sync_ctx c;
	cs_sync_task t;
	cs_sync_entity_result res;
	int slot[3];
} wfx;

static int wsetup(void **state)
{
	wfx *w = calloc(1, sizeof(*w));
	tstore_open(&w->ts);
	w->opts.lookback_s = -1;
	w->c.st = w->ts.st;
	w->c.opts = &w->opts;
	w->c.tasks = &w->t;
	w->c.ntasks = 1;
	w->t.run = &w->c;
	w->t.org = 7;
	w->t.e = &cs_entities[CS_ENT_SUPPORTERS];
	w->t.full = 1;
	w->t.res = &w->res;
	w->t.state.org_id = 7;
	w->t.state.entity = CS_ENT_SUPPORTERS;
	snprintf(w->t.state.full_started_at, sizeof(w->t.state.full_started_at),
		 "2026-01-01T00:00:00.000Z");
	atomic_init(&w->t.write_rc, 0);
	/* ids (0, 300], (300, 600], (600, ...) */
	assert_int_equal(cs_sync_frontier_init(&w->t.frontier, 0), 0);
	w->slot[0] = 0;
	w->slot[1] = cs_sync_frontier_split(&w->t.frontier, 300);
	w->slot[2] = cs_sync_frontier_split(&w->t.frontier, 600);
	*state = w;
	return 0;
}

static int wteardown(void **state)
{
	wfx *w = *state;
	cs_sync_frontier_release(&w->t.frontier);
	tstore_close(&w->ts);
	free(w);
	return 0;
}

/* Fills job with ids from..to (a record whose id is not an integer at `bad`,
 * when not 0: the page parses, the store refuses it) as one page of range r. */
static void make_page(wfx *w, cs_sync_job *job, int r, long long from, long long to, int done,
		      long long bad)
{
	memset(job, 0, sizeof(*job));
	cs_classy_page_init(&job->page);
	cs_buf *b = &job->page.body;
	cs_buf_printf(b, "{\"current_page\":1,\"last_page\":1,\"per_page\":100,\"total\":%lld,"
			 "\"data\":[", to - from + 1);
	for (long long id = from; id <= to; id++) {
		if (id == bad)
			cs_buf_printf(b, "%s{\"id\":%lld.5}", id > from ? "," : "", id);
		else
			cs_buf_printf(b, "%s{\"id\":%lld,\"first_name\":\"s%lld\"}", id > from ? "," : "",
				      id, id);
	}
	cs_buf_puts(b, "]}");
	cs_err err = {0};
	assert_int_equal(cs_classy_page_parse(&job->page, &err), 0);
	job->kind = CS_JOB_PAGE;
	job->task = &w->t;
	job->slot = w->slot[r];
	job->pos = to;
	job->range_done = done;
}

/* Stores one page (make_page) in a transaction of its own; returns what the
 * writer returned. */
static int store_page(wfx *w, int r, long long from, long long to, int done, long long bad)
{
	cs_sync_job job;
	make_page(w, &job, r, from, to, done, bad);
	cs_err err = {0};
	int rc = cs_sync_writer_store(&w->c, &job, &err);
	if (bad)
		assert_non_null(strstr(err.msg, "cannot store supporters record"));
	cs_classy_page_release(&job.page);
	return rc;
}

static long long q1(wfx *w, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(w->ts.db, sql, -1, &st, NULL), SQLITE_OK);
	long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static long long checkpoint(wfx *w)
{
	return q1(w, "SELECT full_last_id FROM sync_state WHERE organization_id = 7 AND "
		     "entity = 'supporters'");
}

static void test_writer_out_of_order(void **state)
{
	wfx *w = *state;
	/* the last range's page arrives first: stored, checkpoint stays at 0 */
	assert_int_equal(store_page(w, 2, 601, 700, 0, 0), 0);
	assert_int_equal(q1(w, "SELECT COUNT(*) FROM supporters"), 100);
	assert_int_equal(checkpoint(w), 0);
	assert_int_equal(store_page(w, 0, 1, 100, 0, 0), 0);
	assert_int_equal(checkpoint(w), 100);
	assert_int_equal(store_page(w, 1, 301, 400, 0, 0), 0);
	assert_int_equal(checkpoint(w), 100); /* range 0 is not done */
	/* a page that fails half way: neither its rows nor its checkpoint */
	assert_int_not_equal(store_page(w, 0, 101, 200, 0, 150), 0);
	assert_int_equal(q1(w, "SELECT COUNT(*) FROM supporters WHERE id BETWEEN 101 AND 200"), 0);
	assert_int_equal(checkpoint(w), 100);
	assert_int_equal(store_page(w, 0, 101, 300, 1, 0), 0);
	assert_int_equal(checkpoint(w), 400); /* range 0 done: up to range 1's position */
	assert_int_equal(store_page(w, 1, 401, 600, 1, 0), 0);
	assert_int_equal(checkpoint(w), 700);
	assert_int_equal(q1(w, "SELECT COUNT(*) FROM supporters"), 700);
	assert_int_equal(w->res.records, 700);
	assert_int_equal(w->res.pages, 5);
}

/* Several pages in one transaction (the pipelined writer batches the pages
 * that wait): nothing is committed before the commit, and the commit
 * carries the checkpoint of every page in it, not of the first. */
static void test_writer_batch_commits_the_last_checkpoint(void **state)
{
	wfx *w = *state;
	cs_sync_job jobs[3];
	cs_err err = {0};
	make_page(w, &jobs[0], 0, 1, 100, 0, 0);
	make_page(w, &jobs[1], 0, 101, 200, 0, 0);
	make_page(w, &jobs[2], 0, 201, 300, 1, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cs_sync_writer_add(&w->c, &jobs[i], &err), 0);
	assert_int_equal(checkpoint(w), -1); /* no state row before the commit */
	assert_int_equal(cs_sync_writer_commit(&w->c, &err), 0);
	assert_int_equal(q1(w, "SELECT COUNT(*) FROM supporters"), 300);
	/* range 0 is done: the checkpoint is range 1's start */
	assert_int_equal(checkpoint(w), 300);
	assert_int_equal(w->res.pages, 3);
	assert_int_equal(w->res.records, 300);
	/* then two pages of range 1, the second ending it: up to range 2 */
	for (int i = 0; i < 3; i++)
		cs_classy_page_release(&jobs[i].page);
	make_page(w, &jobs[0], 1, 301, 400, 0, 0);
	make_page(w, &jobs[1], 1, 401, 600, 1, 0);
	assert_int_equal(cs_sync_writer_add(&w->c, &jobs[0], &err), 0);
	assert_int_equal(cs_sync_writer_add(&w->c, &jobs[1], &err), 0);
	assert_int_equal(cs_sync_writer_commit(&w->c, &err), 0);
	assert_int_equal(checkpoint(w), 600);
	for (int i = 0; i < 2; i++)
		cs_classy_page_release(&jobs[i].page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frontier_cases),
		cmocka_unit_test(test_frontier_random_orders),
		cmocka_unit_test_setup_teardown(test_writer_out_of_order, wsetup, wteardown),
		cmocka_unit_test_setup_teardown(test_writer_batch_commits_the_last_checkpoint, wsetup,
						wteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
