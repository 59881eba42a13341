/* Fuzz target: one entity's JSON-to-row mapping (the binders and the
 * upsert of src/store/sql/sql_page.c) on an in-memory SQLite store opened
 * with cs_store_open (DB_PATH ":memory:"). Built once per entity
 * (FUZZ_ENTITY = enum cs_entity_id): fuzz_store_rows_<entity>. The input is
 * one record, its bytes the raw_json. Properties: the record is stored or
 * refused with a message, never half-stored; a stored record is exactly one
 * row holding the input bytes as raw_json, under the record's own id when
 * that id is an integer a double holds exactly. Each record's page is
 * rolled back, so the database stays empty. */
#include "fuzz.h"

#include "store/sqlite/sqlite.h"
#include "store/store.h"
#include "util/json.h"

#include <sqlite3.h>
#include <stdio.h>

#ifndef FUZZ_ENTITY
#define FUZZ_ENTITY CS_ENT_SUPPORTERS
#endif

static cs_store *open_store(void)
{
	cs_config cfg;
	cs_err err = {0};
	cs_store *st = NULL;
	int applied = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_type = CS_DB_SQLITE;
	snprintf(cfg.db_path, sizeof(cfg.db_path), ":memory:");
	if (cs_store_open(&cfg, &st, &err) || st->migrate(st, &applied, &err)) {
		fprintf(stderr, "fuzz: cannot open the in-memory store: %s\n", err.msg);
		abort();
	}
	return st;
}

/* Rows of the entity's table holding exactly these raw bytes; the id of the
 * last one in *id. */
static int rows_with_raw(sqlite3 *db, const char *table, const uint8_t *raw, size_t n,
			 long long *id)
{
	char sql[160];
	sqlite3_stmt *q;
	snprintf(sql, sizeof(sql), "SELECT id FROM \"%s\" WHERE raw_json = ?1", table);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(q, 1, n ? (const char *)raw : "", (int)n, SQLITE_STATIC);
	int rows = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		rows++;
		*id = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	return rows;
}

static long long table_rows(sqlite3 *db, const char *table)
{
	char sql[96];
	sqlite3_stmt *q;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\"", table);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
		abort();
	long long n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_store *st;
	if (!st)
		st = open_store();
	const cs_entity *e = &cs_entities[FUZZ_ENTITY];
	sqlite3 *db = cs_sqlite_handle(st);
	cJSON *json = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		return 0;
	}
	/* The page parser judges ids before the store sees a record (classy/
	 * page.c): only a positive whole id reaches page_upsert. */
	long long want = 0;
	const cJSON *jid = cJSON_GetObjectItemCaseSensitive(json, "id");
	if (!jid || cs_json_exact_int(jid, &want) || want <= 0) {
		cJSON_Delete(json);
		return 0;
	}
	cs_record rec = {json, (const char *)data, size, want, NULL};
	cs_err err = {0};
	if (st->page_begin(st, "2024-01-01T00:00:00.000Z", &err))
		abort();
	int rc = st->page_upsert(st, e, 1001, &rec, &err);
	long long id = 0;
	int rows = rows_with_raw(db, e->name, data, size, &id);
	if (rc == 0) {
		FUZZ_CHECK(rows == 1);
		FUZZ_CHECK(table_rows(db, e->name) == 1);
		FUZZ_CHECK(id == want);
	} else {
		FUZZ_CHECK(err.msg[0] != '\0');
		FUZZ_CHECK(rows == 0);
	}
	st->page_abort(st);
	FUZZ_CHECK(table_rows(db, e->name) == 0);
	cJSON_Delete(json);
	return 0;
}
