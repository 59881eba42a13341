/* The store's write rules on every backend (SQLite, and through
 * tests/with-backend.sh PostgreSQL and MySQL): an older version of a record
 * never overwrites a newer one, yet still counts as seen (and is live again
 * if it was soft-deleted); a record twice in one page is stored once, as its
 * last version; a page larger than one batch, and one smaller, are written
 * whole with their cursor; every supporter a batch's records named is
 * queued, even more than it has rows. */
#include "test_store_helpers.h"

#include <cjson/cJSON.h>

#define SYNC1 "2024-05-01T10:00:00.123Z"
#define SYNC2 "2024-05-02T10:00:00.456Z"

static void put(tstore *t, const char *synced_at, const char *const *jsons, size_t n)
{
	put_page(t, CS_ENT_SUPPORTERS, 7, synced_at, jsons, n);
}

static void test_older_version_never_overwrites(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	const char *newer[] = {"{\"id\":1,\"first_name\":\"New\",\"updated_at\":\"2024-03-02T00:00:00Z\"}"};
	const char *older[] = {"{\"id\":1,\"first_name\":\"Old\",\"updated_at\":\"2024-03-01T00:00:00Z\"}"};
	const char *same[] = {"{\"id\":1,\"first_name\":\"Same\",\"updated_at\":\"2024-03-02T00:00:00Z\"}"};
	put(&t, SYNC1, newer, 1);
	put(&t, SYNC2, older, 1);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 1"), "New");
	/* the record was seen: a complete full scan must not soft-delete it */
	assert_string_equal(q_text(&t, "SELECT synced_at FROM supporters WHERE id = 1"), SYNC2);
	put(&t, SYNC2, same, 1); /* not older: it wins */
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 1"), "Same");
	tstore_close(&t);
}

/* A row soft-deleted (absent from a complete full scan) is live again as
 * soon as the record is seen again, in any version: restored in Classy, or
 * marked by a scan that missed it. */
static void test_seen_again_is_live(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	long long marked = 0;
	tstore_open(&t);
	const char *v2[] = {"{\"id\":1,\"first_name\":\"New\",\"updated_at\":\"2024-03-02T00:00:00Z\"}"};
	const char *v1[] = {"{\"id\":1,\"first_name\":\"Old\",\"updated_at\":\"2024-03-01T00:00:00Z\"}"};
	for (int round = 0; round < 2; round++) {
		put(&t, SYNC1, v2, 1);
		/* a scan that started after SYNC1 and did not see it */
		assert_int_equal(t.st->page_begin(t.st, SYNC2, &err), 0);
		assert_int_equal(t.st->mark_absent(t.st, &cs_entities[CS_ENT_SUPPORTERS], 7,
						   "2024-05-01T11:00:00.000Z", &marked, &err), 0);
		assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
		assert_int_equal(marked, 1);
		assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM supporters WHERE deleted_at IS NULL"),
				 0);
		/* seen again: the same version, then (round 2) an older one */
		put(&t, SYNC2, round ? v1 : v2, 1);
		assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM supporters WHERE deleted_at IS NULL"),
				 1);
		assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 1"), "New");
	}
	tstore_close(&t);
}

static void test_duplicate_in_one_page(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	const char *page[] = {
		"{\"id\":5,\"first_name\":\"A\",\"updated_at\":\"2024-03-01T00:00:00Z\"}",
		"{\"id\":6,\"first_name\":\"B\",\"updated_at\":\"2024-03-01T00:00:00Z\"}",
		"{\"id\":5,\"first_name\":\"C\",\"updated_at\":\"2024-03-01T00:00:01Z\"}",
	};
	put(&t, SYNC1, page, 3);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM supporters"), 2);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 5"), "C");
	tstore_close(&t);
}

/* More rows than a batch holds, then fewer: every row arrives with its
 * cursor, and each supporter is queued for aggregates. */
static void test_pages_of_any_size(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	static char buf[260][96];
	const char *page[260];
	tstore_open(&t);
	for (int i = 0; i < 260; i++) {
		snprintf(buf[i], sizeof(buf[i]), "{\"id\":%d,\"updated_at\":\"2024-03-01T00:00:00Z\"}",
			 1000 + i);
		page[i] = buf[i];
	}
	cs_sync_state cur = {.org_id = 7, .entity = CS_ENT_SUPPORTERS, .lookback_s = 300,
			       .full_last_id = 1259};
	snprintf(cur.cursor, sizeof(cur.cursor), "2024-03-01T00:00:00Z");
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (int i = 0; i < 260; i++) {
		cJSON *j = cJSON_Parse(page[i]);
		cs_record rec = {j, page[i], strlen(page[i]), 0, NULL};
		if (t.st->page_upsert(t.st, &cs_entities[CS_ENT_SUPPORTERS], 7, &rec, &err))
			fail_msg("upsert: %s", err.msg);
		cJSON_Delete(j);
	}
	assert_int_equal(t.st->page_commit(t.st, &cur, &err), 0);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM supporters"), 260);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM aggregate_queue"), 260);
	assert_int_equal(q_int(&t, "SELECT full_last_id FROM sync_state"), 1259);
	/* an aborted page leaves nothing, batched or not */
	assert_int_equal(t.st->page_begin(t.st, SYNC2, &err), 0);
	const char *extra = "{\"id\":5000}";
	cJSON *j = cJSON_Parse(extra);
	cs_record rec = {j, extra, strlen(extra), 0, NULL};
	assert_int_equal(t.st->page_upsert(t.st, &cs_entities[CS_ENT_SUPPORTERS], 7, &rec, &err), 0);
	cJSON_Delete(j);
	t.st->page_abort(t.st);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM supporters"), 260);
	tstore_close(&t);
}

/* One gift seen 250 times in a page, with another supporter each time (it
 * moved while a split scan read it twice, say): the batch holds one row but
 * names 250 supporters, more than its queue insert takes at once, and more
 * than a batch keeps. */
static void test_replaced_rows_queue_every_supporter(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char json[96];
	tstore_open(&t);
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (int i = 0; i < 250; i++) {
		snprintf(json, sizeof(json), "{\"id\":9,\"supporter_id\":%d}", 2000 + i);
		cJSON *j = cJSON_Parse(json);
		cs_record rec = {j, json, strlen(json), 0, NULL};
		if (t.st->page_upsert(t.st, &cs_entities[CS_ENT_TRANSACTIONS], 7, &rec, &err))
			fail_msg("upsert: %s", err.msg);
		cJSON_Delete(j);
	}
	assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM transactions"), 1);
	assert_int_equal(q_int(&t, "SELECT supporter_id FROM transactions"), 2249);
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM aggregate_queue WHERE supporter_id"
				   " BETWEEN 2000 AND 2249"), 250);
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_older_version_never_overwrites),
		cmocka_unit_test(test_seen_again_is_live),
		cmocka_unit_test(test_duplicate_in_one_page),
		cmocka_unit_test(test_pages_of_any_size),
		cmocka_unit_test(test_replaced_rows_queue_every_supporter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
