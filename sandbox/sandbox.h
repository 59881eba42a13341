#ifndef SB_SANDBOX_H
#define SB_SANDBOX_H
/* classy-sandbox: a local emulation of the Classy API v2 for tests, demos
 * and benchmarks. Records are compact structs; every field beyond the few
 * stored ones is derived from a hash of (seed, id, field, version), so 1M
 * transactions cost ~70 bytes each and render deterministically. */
#include "core/sb_args.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- deterministic randomness (splitmix64) ---- */

static inline uint64_t sb_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t sb_hash(uint64_t seed, uint64_t a, uint64_t b)
{
	return sb_mix(seed ^ sb_mix(a ^ sb_mix(b)));
}

typedef struct sb_rng {
	uint64_t s;
} sb_rng;

static inline uint64_t sb_rng_next(sb_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return sb_mix(r->s);
}

/* Uniform in [0, n); n == 0 gives 0. */
static inline uint64_t sb_rng_below(sb_rng *r, uint64_t n)
{
	return n ? sb_rng_next(r) % n : 0;
}

static inline double sb_rng_unit(sb_rng *r)
{
	return (double)(sb_rng_next(r) >> 11) / 9007199254740992.0;
}

/* ---- schema: entities and their fields (schema.c) ---- */

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

/* How a field's value is derived (render.c: sb_field_value). */
enum sb_gen {
	G_ID = 0, G_ORG, G_SUPPORTER, G_CAMPAIGN, G_PLAN, G_CREATED, G_UPDATED,
	G_TOFF,       /* created + a..b seconds */
	G_DOFF,       /* calendar date, updated + a..b days */
	G_STATUS_AT,  /* updated_at when status == a, else null */
	G_STATUS, G_FREQ,
	G_AMOUNT,     /* amount * a / 10000 + b cents, never below 0 */
	G_INT,        /* a..b */
	G_CENTS,      /* a..b cents */
	G_BOOL,       /* true with a percent */
	G_POOL,       /* one of the strings in p */
	G_RAW,        /* one of the JSON texts in p */
	G_FIRST, G_LAST, G_FULLNAME, G_EMAIL, G_PHONE, G_STREET,
	G_DIGITS,     /* a string of a decimal digits */
	G_HEX,        /* a string of a hex digits */
	G_UUID,
	G_CAMPNAME,   /* campaign name; b != 0 gives the internal name */
	G_URL         /* p[0] + id */
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

/* ---- records and data (data.c) ---- */

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

/* Updates `update` early-sorting records and creates `create` new ones;
 * appends a JSON description ({"updated":[ids],"created":[ids]}) to out
 * when out is not NULL. Caller holds the write lock. */
/* Updates `update` records and creates `create`. Updates pick records that
 * sort early, or with ties set, members of the big tie group (the records
 * sharing d->tie_second), so a client walking that group by page number
 * sees an unread member shift onto a page it already read. */
int sb_data_mutate(sb_data *d, sb_org *org, int ent, long update, long create, int ties,
		   cs_buf *out);

/* ---- rendering (render.c) ---- */

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

/* ---- queries (query.c) ---- */

#define SB_MAX_SORT 8
#define SB_MASK_WORDS 2 /* up to 128 fields */

enum sb_op { OP_LE = 0, OP_GE, OP_NE, OP_EQ, OP_LT, OP_GT };

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
/* Selects the page: fills idx (up to per_page entries), *nidx and *total.
 * Caller holds the read lock. */
int sb_query_run(uint64_t seed, int64_t org, const sb_entity *e, const sb_table *t,
		 const sb_query *q, uint32_t *idx, size_t *nidx, size_t *total);

/* ---- server (server.c) ---- */

typedef struct sb_knobs {
	double fail_rate, drop_rate, truncate_rate;
	double throttle_rate; /* 429 storms independent of the real limit */
	long rate_limit; /* per minute, 0 = unlimited */
	long latency_ms, token_ttl, mutate_every;
	long mutate_ties; /* automatic updates pick the big tie group */
} sb_knobs;

typedef struct sb_server sb_server;

typedef struct sb_req {
	struct MHD_Connection *conn;
	const char *method, *url;
	const char *params[4]; /* path captures, NUL-terminated copies */
	char pbuf[256];
	cs_buf body; /* request body */
	int route;
} sb_req;

enum sb_resp_mode { SB_RESP_NORMAL = 0, SB_RESP_DROP, SB_RESP_TRUNCATE };

typedef struct sb_resp {
	int status;
	const char *ctype;
	cs_buf body;
	int mode; /* enum sb_resp_mode */
	int nhdr;
	char hdr[8][2][64];
	/* A streamed body (an MHD content reader) replaces `body` when set. */
	ssize_t (*stream)(void *cls, uint64_t pos, char *buf, size_t max);
	void *stream_cls;
	void (*stream_free)(void *cls);
} sb_resp;

/* Handlers fill rs; they never fail outright (a failure is a response). */
typedef void (*sb_handler)(sb_server *s, sb_req *rq, sb_resp *rs);

/* ---- routing (routes.c) ---- */

enum sb_route_flags {
	SB_RF_API = 1,   /* /2.0: faults, rate limit, bearer auth */
	SB_RF_TOKEN = 2, /* the token endpoint: counted, carries rate headers */
	SB_RF_ADMIN = 4  /* /__sandbox: none of the above */
};

typedef struct sb_route {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	sb_handler fn;
	int flags;
} sb_route;

extern const sb_route sb_routes[];
extern const size_t sb_nroutes;

/* Matches url against pattern; copies the '*' segments into pbuf and
 * points params at them. 1 on a match. */
int sb_path_match(const char *pattern, const char *url, const char *params[4], char *pbuf,
		  size_t pbufsz);
/* Returns the index into sb_routes, or -404 / -405. */
int sb_route_find(const char *method, const char *url, sb_req *rq);

const char *sb_arg(sb_req *rq, const char *key);
/* sb_arg as an sb_arg_fn, rq being an sb_req. */
const char *sb_req_arg(void *rq, const char *key);
/* Reads the n settings of defs from arg(ctx) into base (sb_opts_read); at
 * the first invalid one answers 400 with its explanation and returns -1. */
int sb_resp_opts(sb_resp *rs, const sb_opt *defs, size_t n, void *base, sb_arg_fn arg,
		 void *ctx);
void sb_resp_json(sb_resp *rs, int status, const char *json);
/* {"error":"<msg>"} with the given status. */
void sb_resp_error(sb_resp *rs, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sb_resp_header(sb_resp *rs, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The absolute base URL for links, "http://host:port". */
void sb_base_url(sb_server *s, sb_req *rq, char *out, size_t len);

sb_data *sb_server_data(sb_server *s);
void sb_server_knobs(sb_server *s, sb_knobs *out);
void sb_server_set_knobs(sb_server *s, const sb_knobs *k);
/* Counts toward the stats: list_requests. */
void sb_server_count_list(sb_server *s);
/* Stats as JSON, and reset. */
void sb_server_stats(sb_server *s, cs_buf *out);
void sb_server_reset_stats(sb_server *s);

/* The Mailchimp half (mc.h); the server hands it every /3.0, /__mc and
 * /__sandbox/mc request. Returns 1 when it answered. */
typedef struct sb_mc sb_mc;
int sb_mc_handle(sb_mc *m, sb_server *s, sb_req *rq, sb_resp *rs);

typedef struct sb_server_opts {
	const char *bind;
	int port;
	sb_knobs knobs;
	const char *client_id, *client_secret;
	uint64_t seed;
	sb_mc *mc; /* may be NULL: no Mailchimp half */
} sb_server_opts;

sb_server *sb_server_start(const sb_server_opts *o, sb_data *d, int *port_out, char *msg,
			   size_t msglen);
void sb_server_stop(sb_server *s);

/* ---- oauth (oauth.c) ---- */

typedef struct sb_oauth sb_oauth;
sb_oauth *sb_oauth_new(const char *client_id, const char *client_secret, uint64_t seed);
void sb_oauth_free(sb_oauth *o);
sb_oauth *sb_server_oauth(sb_server *s);
/* 1 when the Authorization header carries a live token. */
int sb_oauth_check(sb_oauth *o, const char *authorization);
void sb_oauth_expire_all(sb_oauth *o);
int sb_oauth_set_secret(sb_oauth *o, const char *secret);

/* ---- handlers (api.c, oauth.c, admin.c) ---- */

void sb_h_token(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_org(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_list(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_dump(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_stats(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_reset_stats(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_mutate(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_knobs(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_expire_tokens(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_set_credentials(sb_server *s, sb_req *rq, sb_resp *rs);
/* webhook.c: a receiver for alert tests */
void sb_h_webhook_post(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_webhook_get(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_webhook_fail(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_h_webhook_reset(sb_server *s, sb_req *rq, sb_resp *rs);
void sb_webhook_release(void);

#endif
