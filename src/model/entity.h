#ifndef CS_ENTITY_H
#define CS_ENTITY_H
/* Entities are defined once, as data. The migrations, the upserts, the API
 * mapping and the tests all read these tables (entities.c). The module sits
 * below both classy/ and store/ so neither has to know about the other. */
#include <stddef.h>

enum cs_col_type {
	CS_COL_INT = 0, /* integer id or count */
	CS_COL_TEXT,    /* string; objects/arrays are stored as compact JSON */
	CS_COL_BOOL,    /* stored 0/1 */
	CS_COL_MONEY,   /* exact decimal, see util/money.h */
	CS_COL_TIME,    /* datetime, stored UTC ISO 8601 with Z */
	CS_COL_DATE,    /* calendar date, stored YYYY-MM-DD */
	CS_COL_JSON     /* a nested object or array, stored as compact JSON */
};

enum cs_col_flags {
	CS_COLF_INDEX = 1 << 0, /* relationship or filter column: gets an index */
	/* A CS_COL_MONEY column that holds no amount of currency: a percent or
	 * rate, or a 0/1 flag the document types as a number. Every other money
	 * column has an exact integer-cents twin (store/sql/sql_cents.c); cents
	 * of a rate would cut its digits (2.875 % is no 288) and a sum of rates
	 * means nothing, so these have none. */
	CS_COLF_NOT_AMOUNT = 1 << 1
};

typedef struct cs_column {
	const char *name; /* API field name == column name */
	int type;         /* enum cs_col_type */
	int flags;        /* enum cs_col_flags */
	const char *desc; /* the field's description in Classy's OpenAPI document
			   * (tests/contract/schema checks it); the data dictionary */
	int since;        /* the migration that added the column to an existing
			   * table, 0: the table had it from migration 1 */
} cs_column;

enum cs_entity_id {
	CS_ENT_CAMPAIGNS = 0,
	CS_ENT_SUPPORTERS,
	CS_ENT_TRANSACTIONS,
	CS_ENT_RECURRING_PLANS,
	CS_ENT_COUNT
};

typedef struct cs_entity {
	int id;               /* enum cs_entity_id; also the order `sync all` runs in */
	const char *name;     /* sync_runs.entity and table name: "recurring_plans" */
	const char *cli_name; /* command-line spelling: "recurring-plans" */
	const char *endpoint; /* path under /organizations/{id}/ */
	const char *with;     /* `with=` value for the list call, or NULL */
	const cs_column *columns; /* mirrored columns, excluding id */
	size_t ncolumns;
	/* Column holding the supporter id whose aggregates a change affects,
	 * or NULL. Supporters point at themselves ("id"). */
	const char *supporter_ref;
	const char *schema;  /* the record's schema in Classy's OpenAPI document */
	const char *id_desc; /* the document's description of its id field */
} cs_entity;

extern const cs_entity cs_entities[CS_ENT_COUNT];

/* One API record as the engine hands it to the store: the parsed object and
 * its exact original bytes, which become raw_json without re-printing. The
 * page parser (classy/page.c) also reads its id exactly from the digits the
 * API sent, or says why the record cannot be stored; records built
 * elsewhere leave both 0 and the store reads the id itself. */
struct cJSON;
typedef struct cs_record {
	const struct cJSON *json;
	const char *raw;
	size_t raw_len;
	long long id;    /* the exact Classy id (> 0), 0 when not read or rejected */
	const char *why; /* NULL, or why the record is rejected (static text) */
} cs_record;

/* Lookup by table name or CLI name ("recurring-plans" or "recurring_plans"). */
const cs_entity *cs_entity_find(const char *name);
/* Index of a column by name via the entity's sorted index, or -1. Used on the
 * hot path for every field of every record, so it is a binary search. */
int cs_entity_column_index(const cs_entity *e, const char *name);

#endif
