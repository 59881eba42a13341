/* Migration 9 on every backend (SQLite, and through tests/with-backend.sh
 * PostgreSQL and MySQL): it adds a column for every field the entity
 * tables did not mirror, and fills them from the raw_json of rows written
 * before it, with no refetch; migration 10 does the same for the exact
 * cents twins of its amounts. The same record written before the migration
 * (by the old schema: id, organization, raw_json) and after it (by the
 * writer) reads back the same in every column the migration added: the
 * backfill gives what the writer's converters give, in Classy's time forms
 * and for values that do not convert (NULL on both sides). Its rollback
 * drops the columns again. */
#include "test_store_helpers.h"

#include <cjson/cJSON.h>

#define V9 9
#define SYNC "2024-05-01T10:00:00.123Z"

/* Rolls back migration 9 and those after it (migration 10's cents twins
 * of its amounts first); returns how many a migrate applies again. */
static int roll_back_v9(tstore *t)
{
	cs_err err = {0};
	int version = 0, n = 0;
	do {
		if (t->st->rollback(t->st, &version, &err))
			fail_msg("rollback: %s", err.msg);
		n++;
	} while (version > V9);
	assert_int_equal(version, V9);
	return n;
}

/* Classy's time forms (NOTES.md), and an offset that is not UTC. */
static const char *const times[] = {"2021-04-23T08:23:21Z", "2021-04-23T08:23:21+0000",
				    "2024-10-05T14:48:00.000Z", "2021-04-23T10:23:21+02:00"};

/* A record of entity e with every field of migration 9 set: good values
 * (odd == 0), or values of the wrong kind for the column (odd == 1). */
static char *record(const cs_entity *e, long long id, int odd)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "updated_at", "2024-01-01T00:00:00Z");
	int k = 0;
	for (size_t i = 0; i < e->ncolumns; i++) {
		const cs_column *c = &e->columns[i];
		if (c->since != V9)
			continue;
		k++;
		switch (c->type) {
		case CS_COL_INT:
			odd ? cJSON_AddStringToObject(o, c->name, "12a")
			    : cJSON_AddNumberToObject(o, c->name, 1000 + k);
			break;
		case CS_COL_TEXT:
			odd ? cJSON_AddNumberToObject(o, c->name, 42)
			    : cJSON_AddStringToObject(o, c->name, "Grüße, O'Brien");
			break;
		case CS_COL_BOOL:
			odd ? cJSON_AddStringToObject(o, c->name, "maybe")
			    : cJSON_AddBoolToObject(o, c->name, k % 2);
			break;
		case CS_COL_MONEY:
			odd ? cJSON_AddStringToObject(o, c->name, "n/a")
			    : cJSON_AddNumberToObject(o, c->name, 12.5 + k);
			break;
		case CS_COL_TIME:
			cJSON_AddStringToObject(o, c->name, odd ? "yesterday" : times[k % 4]);
			break;
		case CS_COL_DATE:
			cJSON_AddStringToObject(o, c->name, odd ? "2023-13-45" : "2023-04-01");
			break;
		case CS_COL_JSON:
			if (odd)
				cJSON_AddStringToObject(o, c->name, "plain");
			else
				cJSON_AddItemToObject(o, c->name,
						      cJSON_Parse("{\"source\":\"mailchimp\",\"n\":[1,2]}"));
			break;
		}
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_non_null(s);
	return s;
}

/* A row as the schema before migration 9 wrote it. */
static void insert_old(tstore *t, const cs_entity *e, long long id, const char *json)
{
	cs_err err = {0};
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (id, organization_id, raw_json, synced_at) VALUES (?1, 7, ?2, ?3)",
		 e->name);
	if (cs_sql_exec(t->sql, sql, "insert an old row",
			CS_SQL_ARGS(CS_V_INT(id), ((cs_sql_val){CS_SQL_JSON, 0, 0, json}),
				    CS_V_TIME(SYNC)),
			NULL, &err))
		fail_msg("%s: %s", sql, err.msg);
}

/* Column c of row id, rendered (NULL, a number, 'text'). */
static void value(tstore *t, const cs_entity *e, const char *c, long long id, char *out,
		  size_t n)
{
	snprintf(out, n, "%s", q_quote(t, 0, "SELECT \"%s\" FROM %s WHERE id = %lld", c, e->name, id));
}

/* A JSON column's two renderings hold the same document: MariaDB's
 * JSON_EXTRACT spaces what it prints ({"a": 1}), the writer prints compact
 * JSON, and MariaDB's JSON is text that keeps either as it came. */
static int same_json(int type, const char *a, const char *b)
{
	if (type != CS_COL_JSON || a[0] != '\'' || b[0] != '\'')
		return 0;
	char x[4096], y[4096];
	snprintf(x, sizeof(x), "%.*s", (int)strlen(a) - 2, a + 1);
	snprintf(y, sizeof(y), "%.*s", (int)strlen(b) - 2, b + 1);
	cJSON *jx = cJSON_Parse(x), *jy = cJSON_Parse(y);
	int same = jx && jy && cJSON_Compare(jx, jy, 1);
	cJSON_Delete(jx);
	cJSON_Delete(jy);
	return same;
}

/* Column name of the old rows 1, 2 (backfilled) against the written rows
 * 11, 12: the same value, a good one filling it, an odd one leaving it
 * NULL unless text or JSON take it. Returns how many it compared. */
static int same_both_ways(tstore *t, const cs_entity *ent, const char *name, int type,
			  int *filled)
{
	for (int odd = 0; odd < 2; odd++) {
		char old[4096], now[4096];
		value(t, ent, name, 1 + odd, old, sizeof(old));
		value(t, ent, name, 11 + odd, now, sizeof(now));
		if (strcmp(old, now) && !same_json(type, old, now))
			fail_msg("%s.%s (%s value): backfilled %s, written %s", ent->name, name,
				 odd ? "odd" : "good", old, now);
		/* a good value fills the column; a text column takes any scalar
		 * and a JSON column any value, odd or not */
		if (!odd && !strcmp(old, "NULL"))
			fail_msg("%s.%s: the backfill left it NULL", ent->name, name);
		if (odd && strcmp(old, "NULL") && type != CS_COL_TEXT && type != CS_COL_JSON)
			fail_msg("%s.%s: the odd value became %s", ent->name, name, old);
		*filled += strcmp(old, "NULL") != 0;
	}
	return 2;
}

static void test_backfill_matches_the_writer(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	int applied = 0;
	char *json[CS_ENT_COUNT][2];
	tstore_open(&t);
	int rolled = roll_back_v9(&t);
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (int odd = 0; odd < 2; odd++) {
			json[e][odd] = record(ent, 1 + odd, odd);
			insert_old(&t, ent, 1 + odd, json[e][odd]);
		}
	}
	if (t.st->migrate(t.st, &applied, &err))
		fail_msg("migrate: %s", err.msg);
	assert_int_equal(applied, rolled);
	/* the same records through the writer, as ids 11 and 12 */
	for (int e = 0; e < CS_ENT_COUNT; e++)
		for (int odd = 0; odd < 2; odd++) {
			cJSON *j = cJSON_Parse(json[e][odd]);
			cJSON_ReplaceItemInObject(j, "id", cJSON_CreateNumber(11 + odd));
			char *s = cJSON_PrintUnformatted(j);
			const char *one[] = {s};
			put_page(&t, e, 7, SYNC, one, 1);
			cJSON_free(s);
			cJSON_Delete(j);
		}
	int checked = 0, filled = 0, twins = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t i = 0; i < ent->ncolumns; i++)
			if (ent->columns[i].since == V9)
				checked += same_both_ways(&t, ent, ent->columns[i].name,
							  ent->columns[i].type, &filled);
		/* migration 10's cents twins of those amounts (cents: an integer) */
		const cs_sql_twin *tw;
		size_t n = 0;
		const cs_sql_added_col *cc = cs_sql_cents_cols(e, &n);
		for (size_t i = 0; (tw = cs_sql_cents_twin(e, i)); i++)
			if (tw->version == 10)
				twins += same_both_ways(&t, ent, cc[i].col.name, CS_COL_INT, &filled);
	}
	assert_int_equal(twins, 2 * 24);
	assert_true(checked > 400); /* 216 columns, two records each */
	assert_true(filled > 216 + 24);
	for (int e = 0; e < CS_ENT_COUNT; e++)
		for (int odd = 0; odd < 2; odd++)
			cJSON_free(json[e][odd]);
	tstore_close(&t);
}

/* Classy's time forms are stored as the writer stores them: UTC, the
 * milliseconds kept when sent. */
static void test_backfilled_times_are_utc(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	int applied = 0;
	tstore_open(&t);
	roll_back_v9(&t);
	const char *recs[] = {
		"{\"id\":1,\"charged_at\":\"2017-01-01T12:02:01+0000\",\"fee_on_top\":true,"
		"\"hide_amount\":false,\"card_last_four\":1234,\"adjustment_amount\":0.5,"
		"\"comment\":\"Hi\",\"account_type\":null,\"utm\":{\"source\":\"mailchimp\"}}",
		"{\"id\":2,\"charged_at\":\"2017-01-01T14:02:01.250+02:00\",\"fee_on_top\":\"false\","
		"\"card_last_four\":\"0042\"}",
	};
	for (int i = 0; i < 2; i++)
		insert_old(&t, &cs_entities[CS_ENT_TRANSACTIONS], i + 1, recs[i]);
	if (t.st->migrate(t.st, &applied, &err))
		fail_msg("migrate: %s", err.msg);
	assert_same_time(q_text(&t, "SELECT charged_at FROM transactions WHERE id = 1"),
			 "2017-01-01T12:02:01Z");
	assert_same_time(q_text(&t, "SELECT charged_at FROM transactions WHERE id = 2"),
			 "2017-01-01T12:02:01.250Z");
	assert_int_equal(q_int(&t, "SELECT fee_on_top FROM transactions WHERE id = 1"), 1);
	assert_int_equal(q_int(&t, "SELECT fee_on_top FROM transactions WHERE id = 2"), 0);
	assert_int_equal(q_int(&t, "SELECT hide_amount FROM transactions WHERE id = 1"), 0);
	assert_int_equal(q_int(&t, "SELECT card_last_four FROM transactions WHERE id = 2"), 42);
	assert_string_equal(q_quote(&t, 0, "SELECT adjustment_amount FROM transactions WHERE id = 1"),
			    "0.5");
	assert_string_equal(q_text(&t, "SELECT comment FROM transactions WHERE id = 1"), "Hi");
	assert_string_equal(q_quote(&t, 0, "SELECT account_type FROM transactions WHERE id = 1"),
			    "NULL");
	assert_int_equal(q_int(&t, "SELECT COUNT(*) FROM transactions WHERE utm IS NOT NULL"), 1);
	tstore_close(&t);
}

/* The rollback drops every column the migration added, and only those. */
/* A date the calendar does not have (February 30, April 31, February 29
 * of a common year) is NULL, as the writer stores it, and never fails the
 * migration: a server's cast of it would (PostgreSQL "date/time field value
 * out of range"), and one such value in a stored raw_json would stop the
 * upgrade of every row. A leap day of a leap year is kept. */
static void test_backfill_impossible_dates(void **state)
{
	(void)state;
	static const struct {
		const char *time, *date, *want_date; /* want_date NULL: NULL */
	} v[] = {
		{"2021-02-30T00:00:00Z", "2023-02-29", NULL},
		{"2021-04-31T12:00:00+0000", "2023-06-31", NULL},
		{"1900-02-29T00:00:00Z", "2100-02-29", NULL},
		{"2024-02-29T23:59:59.500Z", "2000-02-29", "2000-02-29"},
	};
	tstore t;
	cs_err err = {0};
	int applied = 0;
	char json[256];
	tstore_open(&t);
	roll_back_v9(&t);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(json, sizeof(json), "{\"id\":%zu,\"charged_at\":\"%s\"}", i + 1, v[i].time);
		insert_old(&t, &cs_entities[CS_ENT_TRANSACTIONS], (long long)i + 1, json);
		snprintf(json, sizeof(json), "{\"id\":%zu,\"recur_until\":\"%s\"}", i + 1, v[i].date);
		insert_old(&t, &cs_entities[CS_ENT_RECURRING_PLANS], (long long)i + 1, json);
	}
	if (t.st->migrate(t.st, &applied, &err))
		fail_msg("migrate: %s", err.msg);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		long long id = (long long)i + 1;
		char time[64], date[64]; /* q_quote's buffer is its own, reused */
		snprintf(time, sizeof(time), "%s",
			 q_quote(&t, 0, "SELECT charged_at FROM transactions WHERE id = %lld", id));
		snprintf(date, sizeof(date), "%s",
			 q_quote(&t, 0, "SELECT recur_until FROM recurring_plans WHERE id = %lld", id));
		if (!v[i].want_date) {
			assert_string_equal(time, "NULL");
			assert_string_equal(date, "NULL");
		} else {
			assert_string_not_equal(time, "NULL");
			assert_non_null(strstr(date, v[i].want_date));
		}
	}
	tstore_close(&t);
}

static void test_rollback_drops_the_columns(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	assert_true(has_column(&t, "transactions", "utm"));
	assert_true(has_column(&t, "campaigns", "allow_ecards"));
	roll_back_v9(&t);
	for (int e = 0; e < CS_ENT_COUNT; e++)
		for (size_t i = 0; i < cs_entities[e].ncolumns; i++) {
			const cs_column *c = &cs_entities[e].columns[i];
			if (has_column(&t, cs_entities[e].name, c->name) != (c->since != V9))
				fail_msg("%s.%s %s after the rollback", cs_entities[e].name, c->name,
					 c->since == V9 ? "is still there" : "is gone");
		}
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backfill_matches_the_writer),
		cmocka_unit_test(test_backfilled_times_are_utc),
		cmocka_unit_test(test_backfill_impossible_dates),
		cmocka_unit_test(test_rollback_drops_the_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
