#ifndef CS_SQL_SCHEMA_H
#define CS_SQL_SCHEMA_H
/* The schema as data: tables, indexes and views described once, with
 * columns by role (sql.h), and the numbered migrations as lists of the
 * objects each one creates. The DDL for any dialect is generated from these
 * (sql_ddl.c); nothing here is product-specific. */
#include "store/sql/sql.h"

#include <stddef.h>

enum cs_sql_col_flags {
	CS_SQLCOL_NOT_NULL = 1 << 0,
	CS_SQLCOL_PK = 1 << 1,     /* the table's single-column primary key */
	CS_SQLCOL_UNIQUE = 1 << 2,
};

typedef struct cs_sql_col {
	const char *name;
	int role;          /* enum cs_sql_role */
	int flags;         /* enum cs_sql_col_flags */
	const char *dflt;  /* DEFAULT literal, or NULL */
	const char *check; /* CHECK expression, or NULL */
} cs_sql_col;

typedef struct cs_sql_table {
	const char *name;
	const cs_sql_col *cols;
	size_t ncols;
	const char *pk; /* composite primary key "a, b", or NULL */
	int key_only;   /* every column is in the key: SQLite stores it WITHOUT ROWID */
} cs_sql_table;

typedef struct cs_sql_index {
	const char *name, *table;
	const char *cols;  /* "a, b" */
	const char *where; /* partial index condition, or NULL */
	const char *full_cols; /* columns where partial indexes do not exist */
	int unique;
} cs_sql_index;

/* A view: its SELECT (with dialect words) and the views it reads, which
 * must be dropped after it. */
typedef struct cs_sql_view {
	const char *name;
	const char *select;
} cs_sql_view;

/* A column a later migration adds to a table an earlier one created. It is
 * nullable or has a default: every product adds such a column to the rows
 * that exist. */
typedef struct cs_sql_added_col {
	const char *table;
	cs_sql_col col;
} cs_sql_added_col;

/* Work a migration does on the rows that exist, in C, after the objects
 * listed before it exist and inside the migration's transaction (filling
 * an added column from raw_json). Nothing to undo: a rollback drops what
 * was filled. */
struct cs_sql_store;
typedef struct cs_sql_backfill {
	const char *what;
	int (*run)(struct cs_sql_store *s, int version, cs_err *err);
	int version; /* handed to run: the migration it belongs to */
} cs_sql_backfill;

enum cs_sql_obj_kind {
	CS_OBJ_TABLE = 1,
	CS_OBJ_INDEX,
	CS_OBJ_VIEW,
	CS_OBJ_ENTITY_TABLES, /* the mirrored entity tables, from model/entities.c */
	CS_OBJ_COLUMN,        /* a cs_sql_added_col */
	/* the columns the model says a migration adds to the entity tables
	 * (cs_column.since == *(const int *)def): a CS_OBJ_COLUMN each, and the
	 * migration fills them from raw_json (sql_backfill.c) */
	CS_OBJ_ENTITY_COLUMNS,
	/* A view an earlier migration made, which this one replaces: dropped on
	 * the way up, made again as it was on the way down. */
	CS_OBJ_VIEW_REPLACED,
	/* A view whose columns carry the declared types of their roles, as the
	 * data dictionary lists them (sql_dict_text.c): see sql_ddl.c */
	CS_OBJ_VIEW_TYPED,
	CS_OBJ_BACKFILL, /* a cs_sql_backfill */
	/* the exact-cents twins migration *(const int *)def adds (sql_cents.c):
	 * a CS_OBJ_COLUMN each, then the CS_OBJ_BACKFILL that fills them */
	CS_OBJ_CENTS_COLUMNS
};

typedef struct cs_sql_obj {
	int kind;
	const void *def; /* cs_sql_table, cs_sql_index, cs_sql_view, cs_sql_added_col or
			  * cs_sql_backfill */
} cs_sql_obj;

/* A migration creates its objects in order and drops them in reverse. */
typedef struct cs_sql_migration {
	int version;
	const char *name;
	const cs_sql_obj *objs;
	size_t nobjs;
} cs_sql_migration;

extern const cs_sql_migration cs_sql_migrations[];
extern const unsigned cs_sql_nmigrations;

/* Whether a table's rows mean nothing outside their database (the shared
 * budget's seconds, rate_slots; view_column_types, which holds none): `db
 * copy` leaves it alone on both sides. */
int cs_sql_table_ephemeral(const cs_sql_table *t);
int cs_sql_table_name_ephemeral(const char *name);

/* The entity table of e and its indexes, as data the DDL generator reads;
 * built once (sql_entities.c). */
const cs_sql_table *cs_sql_entity_table(int entity);
const cs_sql_index *cs_sql_entity_indexes(int entity, size_t *n);

/* The objects o stands for, n of them: the CS_OBJ_COLUMN of each entity
 * column a CS_OBJ_ENTITY_COLUMNS adds (in entity, then model order; NULL
 * and 0 when none), those of a CS_OBJ_CENTS_COLUMNS with their backfill, or
 * o itself. Whatever walks a migration's objects walks these. */
const cs_sql_obj *cs_sql_obj_expand(const cs_sql_obj *o, size_t *n);

/* After a migration's DDL: fills the columns a CS_OBJ_ENTITY_COLUMNS of
 * version `since` added from each row's raw_json (sql_backfill.c). */
int cs_sql_backfill_columns(struct cs_sql_store *s, int since, cs_err *err);

/* The table that never holds a row, whose columns declare one type per
 * column role: SQLite gives a view's column a declared type only from a
 * table's column, so a typed view reads its types from here (sql_ddl.c). */
extern const cs_sql_table cs_sql_view_column_types;

/* The exact integer-cents twin of each amount the model has (sql_cents.c:
 * every money column but a CS_COLF_NOT_AMOUNT one): *n of them for entity
 * e, in model order; each named <money column>_cents. */
const cs_sql_added_col *cs_sql_cents_cols(int entity, size_t *n);
typedef struct cs_sql_twin {
	const char *about; /* for what a rollback drops: rebuilt from raw_json */
	const char *desc;  /* the data dictionary's words */
	int source;        /* the entity column index of its amount */
	int version;       /* the migration that adds it */
} cs_sql_twin;
/* The i-th twin of entity e (NULL past the last), and table.column's (NULL
 * when it is no twin: a rollback drops a twin's values without anything to
 * confirm, raw_json holds them). */
const cs_sql_twin *cs_sql_cents_twin(int entity, size_t i);
const cs_sql_twin *cs_sql_cents_find(const char *table, const char *column);
/* Every twin's objects (its column, then each version's backfill), sorted by
 * the migration that adds them, with that version of each in *version: what
 * cs_sql_obj_expand takes a CS_OBJ_CENTS_COLUMNS's run from. */
const cs_sql_obj *cs_sql_cents_objs(const int **version, size_t *n);

/* What a table holds, in a few words for people, or NULL. */
const char *cs_sql_table_about(const char *table);

/* sql_ddl.c: CREATE and DROP statements for one object, appended to b. */
int cs_sql_ddl_create(const cs_sql_dialect *d, const cs_sql_obj *o, cs_buf *b);
int cs_sql_ddl_drop(const cs_sql_dialect *d, const cs_sql_obj *o, cs_buf *b);

#endif
