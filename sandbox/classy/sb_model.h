#ifndef SB_MODEL_H
#define SB_MODEL_H
/* What the Classy half serves: the entities and their fields (sb_schema.c),
 * the records (sb_data.c), their rendering (sb_render.c) and list queries
 * over them (sb_query.c). Records are compact structs; every field beyond
 * the few stored ones is derived from a hash of (seed, id, field, version),
 * so 1M transactions cost ~70 bytes each and render deterministically. */
#include "core/sb_args.h"
#include "core/sb_rng.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- schema: entities and their fields (sb_schema.c) ---- */

enum sb_ent { SB_SUPPORTERS = 0, SB_TRANSACTIONS, SB_CAMPAIGNS, SB_PLANS, SB_NENT };

/* JSON shape of a field. */
enum sb_type {
	SB_T_INT = 0, /* integer */
	SB_T_NUM,     /* number with 2 decimals (money, percents) */
	SB_T_NUMSTR,  /* the same, as a string: "5.00" */
	SB_T_BOOL,
	SB_T_STR,
	SB_T_TIME, /* date-time; the record's form picks Z, +0000 or .000Z */
	SB_T_DATE, /* YYYY-MM-DD */
	SB_T_OBJ   /* object; not filterable or sortable */
};

/* How a field's value is derived (sb_render.c: sb_field_value). */
enum sb_gen {
	SB_G_ID = 0, SB_G_ORG, SB_G_SUPPORTER, SB_G_CAMPAIGN, SB_G_PLAN, SB_G_CREATED, SB_G_UPDATED,
	SB_G_TOFF,        /* created + a..b seconds */
	SB_G_DOFF,        /* calendar date, updated + a..b days */
	SB_G_STATUS_AT,   /* updated_at when status == a, else null */
	SB_G_STATUS, SB_G_FREQ,
	SB_G_AMOUNT,      /* amount * a / 10000 + b cents, never below 0 */
	SB_G_INT,         /* a..b */
	SB_G_CENTS,       /* a..b cents */
	SB_G_BOOL,        /* true with a percent */
	SB_G_POOL,        /* one of the strings in p */
	SB_G_RAW,         /* one of the JSON texts in p */
	SB_G_FIRST, SB_G_LAST, SB_G_FULLNAME, SB_G_EMAIL, SB_G_PHONE, SB_G_STREET,
	SB_G_DIGITS,      /* a string of a decimal digits */
	SB_G_HEX,         /* a string of a hex digits */
	SB_G_UUID,
	SB_G_CAMPNAME,    /* campaign name; b != 0 gives the internal name */
	SB_G_URL          /* p[0] + id */
};

/* Field flags. */
enum {
	SB_FF_VOL = 1, /* value changes with the record's version */
	SB_FF_SUP = 2  /* derived from the supporter id, so a transaction's billing
			* name and address match its supporter's */
};

typedef struct sb_pool {
	const char *const *s;
	uint32_t n;
} sb_pool;

typedef struct sb_field {
	const char *name;
	uint8_t type, gen, nullpct, flags;
	uint8_t grp; /* fields of one group pick the same pool index */
	int32_t a, b;
	const sb_pool *p;
} sb_field;

#define SB_MAX_FIELDS 128

typedef struct sb_entity {
	const char *name; /* path segment: "recurring-donation-plans" */
	const sb_field *fields;
	size_t nfields;
	const sb_pool *statuses; /* NULL when the entity has no status */
	const sb_pool *freqs;
	int f_id, f_updated; /* field indices, set by sb_schema_init */
	const char *keys[SB_MAX_FIELDS]; /* "\"name\":", set by sb_schema_init */
	uint8_t keylen[SB_MAX_FIELDS];
} sb_entity;

extern sb_entity sb_entities[SB_NENT];
extern const sb_pool sb_first_names, sb_last_names, sb_streets, sb_campaign_names;

void sb_schema_init(void);
int sb_entity_find(const char *name); /* enum sb_ent or -1 */
int sb_field_find(const sb_entity *e, const char *name, size_t len);

/* Status indices the generator and mutator rely on (order in the pools). */
enum { SB_TX_SUCCESS = 0, SB_TX_REFUNDED, SB_TX_FAILED, SB_TX_CANCELED, SB_TX_PENDING };
enum { SB_PLAN_ACTIVE = 0, SB_PLAN_CANCELED, SB_PLAN_FAILED, SB_PLAN_ENDED, SB_PLAN_PAUSED };
#define SB_FREQ_ONE_TIME 0

/* ---- records and data (sb_data.c) ---- */

typedef struct sb_rec {
	int64_t id;
	int64_t created, updated; /* unix seconds */
	int64_t supporter_id, campaign_id, plan_id; /* 0 = null */
	int64_t amount;           /* cents */
	uint32_t version;         /* bumped by every mutation */
	uint8_t status, freq, form, pad;
} sb_rec;

typedef struct sb_table {
	sb_rec *recs; /* sorted by id: ids only ever grow */
	size_t n, cap;
	uint32_t *by_upd; /* indices into recs sorted by (updated, id) */
	atomic_ulong lists; /* list requests served, for --mutate-every */
} sb_table;

typedef struct sb_org {
	int64_t id;
	int64_t created, updated;
	sb_table t[SB_NENT];
} sb_org;

typedef struct sb_gen_opts {
	uint64_t seed;
	int orgs;
	long count[SB_NENT];
	long ties, orphans;
	int64_t now; /* unix seconds the timeline ends at (minus 5 minutes) */
	int64_t id_base; /* first id of every entity; 0: each entity's usual base */
} sb_gen_opts;

typedef struct sb_data {
	pthread_rwlock_t lock;
	uint64_t seed;
	sb_org *orgs;
	size_t norgs;
	int64_t next_id[SB_NENT];
	int64_t tie_second;
	sb_rng rng; /* mutations; guarded by the write lock */
} sb_data;

int sb_data_init(sb_data *d, const sb_gen_opts *o);
void sb_data_release(sb_data *d);
sb_org *sb_data_org(sb_data *d, int64_t id);

/* Updates `update` records and creates `create` new ones. Updates pick
 * records that sort early, or with ties set, members of the big tie group
 * (the records sharing d->tie_second), so a client walking that group by
 * page number sees an unread member shift onto a page it already read.
 * Appends a JSON description ({"updated":[ids],"created":[ids]}) to out
 * when out is not NULL. Changes are stamped skew seconds before now (a late
 * commit, a source clock behind; 0 normally). Caller holds the write lock. */
int sb_data_mutate(sb_data *d, sb_org *org, int ent, long update, long create, int ties,
		   int64_t skew, cs_buf *out);

/* Sets the amount (cents) of record id and changes it like an update
 * (updated_at now - skew, moved to the end of by_upd), so a client's next
 * incremental sync reads it. -1 when there is no such record. Caller holds
 * the write lock. */
int sb_data_set_amount(sb_data *d, sb_org *org, int ent, int64_t id, int64_t cents,
		       int64_t skew);

/* ---- rendering (sb_render.c) ---- */

typedef struct sb_val {
	uint8_t kind; /* enum sb_type of the value, or SB_V_NULL */
	int64_t i;
	const char *s;
	size_t n;
} sb_val;
#define SB_V_NULL 255

/* A fast append-only writer that flushes into a cs_buf in large blocks. */
typedef struct sb_w {
	cs_buf *out;
	size_t len;
	int err;
	char buf[32768];
} sb_w;

void sb_w_init(sb_w *w, cs_buf *out);
int sb_w_flush(sb_w *w);
void sb_w_put(sb_w *w, const char *s, size_t n);
void sb_w_str(sb_w *w, const char *s); /* JSON-escaped, quoted */

/* The value of field f of r; scratch (>= 128 bytes) may hold the string. */
void sb_field_value(uint64_t seed, int64_t org, const sb_entity *e, int f, const sb_rec *r,
		    sb_val *v, char *scratch);
/* mask: bitset over field indices, or NULL for every field. */
void sb_render_rec(uint64_t seed, int64_t org, const sb_entity *e, const sb_rec *r,
		   const uint64_t *mask, sb_w *w);
void sb_render_org(const sb_org *o, uint64_t seed, cs_buf *out);

/* ---- queries (sb_query.c) ---- */

#define SB_MAX_SORT 8
#define SB_MASK_WORDS 2 /* up to 128 fields */

enum sb_op { SB_OP_LE = 0, SB_OP_GE, SB_OP_NE, SB_OP_EQ, SB_OP_LT, SB_OP_GT };

typedef struct sb_query {
	long page, per_page;
	int nsort;
	struct {
		int field, desc;
	} sort[SB_MAX_SORT];
	int has_filter, ffield, op, fnull;
	sb_val fval;     /* parsed filter value, kind of the field's type */
	double fnum;     /* for SB_T_NUM fields */
	char fstr[512];
	int has_mask;
	uint64_t mask[SB_MASK_WORDS];
} sb_query;

/* Parses the query parameters; on a bad one returns -1 with a message. */
int sb_query_parse(const sb_entity *e, sb_arg_fn arg, void *ctx, sb_query *q, char *msg,
		   size_t msglen);
/* A broken API or caching proxy, on request (knobs ignore_filters and
 * ignore_page): forgets the parsed filter, or selects page 1 whatever was
 * asked (the envelope still names the page asked: a stale cache entry).
 * The query was parsed (and refused when bad) first, as the real API
 * would. */
void sb_query_loosen(sb_query *q, int ignore_filter, int ignore_page);
/* Selects the page: fills idx (up to per_page entries), *nidx and *total.
 * Caller holds the read lock. */
int sb_query_run(uint64_t seed, int64_t org, const sb_entity *e, const sb_table *t,
		 const sb_query *q, uint32_t *idx, size_t *nidx, size_t *total);

#endif
