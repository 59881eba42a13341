/* The data dictionary (store/dict.h) against a database the migrations made,
 * on every backend: it names every table and view, every column of each in
 * order and no other, each with a description; mirrored columns carry the
 * API field and the description of model/entities.c; each declared type is
 * the backend's own. That the descriptions are Classy's is checked against
 * its document by tests/contract/schema. */
#include "test_store_fixture.h"
#include "store/dict.h"

static int backend_index(void)
{
	const char *b = tstore_backend();
	for (int i = 0; i < CS_DICT_NBACKENDS; i++)
		if (!strcmp(b, cs_dict_backend_name(i)))
			return i;
	fail_msg("unknown backend '%s'", b);
	return 0;
}

/* The columns of a table or view as the database lists them, in order. */
static const char *db_columns(fx *f, const char *name)
{
	const char *b = tstore_backend();
	if (!strcmp(b, "sqlite"))
		return q_list(&f->t, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", name);
	return q_list(&f->t,
		      "SELECT column_name FROM information_schema.columns WHERE table_name = '%s'"
		      " AND table_schema = %s ORDER BY ordinal_position",
		      name, !strcmp(b, "postgresql") ? "current_schema()" : "DATABASE()");
}

typedef struct seen {
	fx *f;
	int tables, views, api_cols;
} seen;

static int check_table(const cs_dict_table *t, void *arg)
{
	seen *s = arg;
	char want[4096] = "";
	size_t used = 0;
	if (!t->desc || !*t->desc)
		fail_msg("%s has no description", t->name);
	if (t->ncols == 0)
		fail_msg("%s has no columns", t->name);
	for (size_t i = 0; i < t->ncols; i++) {
		const cs_dict_col *c = &t->cols[i];
		if (!c->desc || !*c->desc)
			fail_msg("%s.%s has no description", t->name, c->name);
		if (!c->logical || !c->type[CS_DICT_SQLITE])
			fail_msg("%s.%s has no type", t->name, c->name);
		used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? "," : "",
					 c->name);
		s->api_cols += c->api_field != NULL;
	}
	/* every column the database has, in its order, and no other */
	const char *got = db_columns(s->f, t->name);
	if (strcmp(got, want))
		fail_msg("%s %s: the database has\n  %s\nthe dictionary says\n  %s",
			 t->is_view ? "view" : "table", t->name, got, want);
	if (t->is_view)
		s->views++;
	else
		s->tables++;
	return 0;
}

static void test_dictionary_matches_database(void **state)
{
	seen s = {*state, 0, 0, 0};
	assert_int_equal(cs_dict_each(check_table, &s), 0);
	/* every table and view the migrations made is in it */
	const char *b = tstore_backend();
	long long tables, views;
	if (!strcmp(b, "sqlite")) {
		tables = q_int(&s.f->t, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
					" AND name NOT LIKE 'sqlite_%%'");
		views = q_int(&s.f->t, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'view'");
	} else {
		const char *where = !strcmp(b, "postgresql") ? "current_schema()" : "DATABASE()";
		tables = q_int(&s.f->t, "SELECT COUNT(*) FROM information_schema.tables WHERE"
					" table_schema = %s AND table_type = 'BASE TABLE'", where);
		views = q_int(&s.f->t, "SELECT COUNT(*) FROM information_schema.views WHERE"
				       " table_schema = %s", where);
	}
	assert_int_equal(s.tables, tables);
	assert_int_equal(s.views, views);
	/* the mirrored columns and each entity's id */
	size_t want = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++)
		want += cs_entities[e].ncolumns + 1;
	assert_int_equal(s.api_cols, want);
}

/* The declared types of a table's or view's columns, in order, as the
 * catalogue spells them in the dialect's DDL words: PRAGMA table_info on
 * SQLite; information_schema on a server, with PostgreSQL's long names
 * and MariaDB's integer display widths put back in the DDL's words. */
static const char *db_types(fx *f, const char *name)
{
	const char *b = tstore_backend();
	if (!strcmp(b, "sqlite"))
		return q_list(&f->t, "SELECT type FROM pragma_table_info('%s') ORDER BY cid", name);
	if (!strcmp(b, "postgresql"))
		return q_list(&f->t,
			      "SELECT CASE data_type WHEN 'numeric' THEN 'NUMERIC(' ||"
			      " numeric_precision || ',' || numeric_scale || ')'"
			      " WHEN 'timestamp with time zone' THEN 'TIMESTAMPTZ'"
			      " ELSE UPPER(data_type) END FROM information_schema.columns"
			      " WHERE table_name = '%s' AND table_schema = current_schema()"
			      " ORDER BY ordinal_position", name);
	return q_list(&f->t,
		      "SELECT CASE data_type WHEN 'bigint' THEN 'BIGINT' WHEN 'datetime' THEN"
		      " CONCAT('DATETIME(', datetime_precision, ')') ELSE UPPER(column_type) END"
		      " FROM information_schema.columns WHERE table_name = '%s'"
		      " AND table_schema = DATABASE() ORDER BY ordinal_position", name);
}

/* Every view column declares a type (BI tools read it), the one the
 * dictionary gives its role on this backend (migration 8). */
static int check_view_types(const cs_dict_table *t, void *arg)
{
	fx *f = arg;
	char want[4096] = "";
	size_t used = 0;
	int b = backend_index();
	if (!t->is_view)
		return 0;
	for (size_t i = 0; i < t->ncols; i++) {
		const char *type = t->cols[i].type[b];
		if (!type || !*type)
			fail_msg("%s.%s has no type on %s", t->name, t->cols[i].name,
				 tstore_backend());
		used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? "," : "",
					 type);
	}
	const char *got = db_types(f, t->name);
	if (strcmp(got, want))
		fail_msg("view %s declares\n  %s\nthe dictionary says\n  %s", t->name, got, want);
	return 0;
}

static void test_view_columns_declare_types(void **state)
{
	assert_int_equal(cs_dict_each(check_view_types, *state), 0);
}

typedef struct find {
	const char *table, *column;
	cs_dict_col col;
	const char *api_schema;
	int found;
} find;

static int find_col(const cs_dict_table *t, void *arg)
{
	find *f = arg;
	if (strcmp(t->name, f->table))
		return 0;
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, f->column)) {
			f->col = t->cols[i];
			f->api_schema = t->api_schema;
			f->found = 1;
		}
	return 1;
}

static find lookup(const char *table, const char *column)
{
	find f = {table, column, {0}, NULL, 0};
	cs_dict_each(find_col, &f);
	if (!f.found)
		fail_msg("%s.%s is not in the dictionary", table, column);
	return f;
}

/* Mirrored columns say their API field and Classy's words; the project's
 * own say none; the types are the DDL's. */
static void test_api_fields_and_types(void **state)
{
	(void)state;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t i = 0; i < ent->ncolumns; i++) {
			find f = lookup(ent->name, ent->columns[i].name);
			assert_non_null(f.col.api_field);
			assert_string_equal(f.col.api_field, ent->columns[i].name);
			assert_ptr_equal(f.col.desc, ent->columns[i].desc);
			assert_string_equal(f.api_schema, ent->schema);
		}
		find id = lookup(ent->name, "id");
		assert_string_equal(id.col.api_field, "id");
		assert_ptr_equal(id.col.desc, ent->id_desc);
		assert_null(lookup(ent->name, "raw_json").col.api_field);
		assert_null(lookup(ent->name, "organization_id").col.api_field);
	}
	find goal = lookup("campaigns", "goal");
	assert_string_equal(goal.col.logical, "money");
	int b = backend_index();
	static const char *const money[] = {"REAL", "NUMERIC(19,4)", "DECIMAL(19,4)"};
	assert_string_equal(goal.col.type[b], money[b]);
	assert_string_equal(lookup("transactions", "purchased_at").col.logical, "datetime");
	assert_string_equal(lookup("sync_runs", "host").col.logical, "text");
	assert_string_equal(lookup("supporter_summary", "donor_type").col.logical, "text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dictionary_matches_database, setup_migrated,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_fields_and_types, setup_migrated,
						teardown),
		cmocka_unit_test_setup_teardown(test_view_columns_declare_types, setup_migrated,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
