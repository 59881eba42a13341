#ifndef SB_MC_H
#define SB_MC_H
/* The Mailchimp half of classy-sandbox: an emulation of the Marketing API
 * v3 under /3.0 on the same port, failures included (problem+json errors,
 * compliance states, forgotten contacts, fake-looking emails, the
 * 10-connection limit, async /batches with tar.gz results), plus the
 * counters that let tests prove what a client did and did not send.
 *
 * Files: mc_server.c (routing, auth, connection limit, faults, stats),
 * mc_email.c (hash, fake-looking addresses),
 * mc_store.c (audience state), mc_api.c (list, members, tags, batch
 * subscribe), mc_batch.c (/batches), mc_admin.c (/__sandbox/mc). */
#include "sandbox.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>

/* ---- email addresses (mc_email.c) ---- */

/* Trimmed and lowercased into out; -1 when it does not fit. */
int mc_email_norm(const char *email, char *out, size_t outsz);
/* The subscriber hash: lowercase hex MD5 of the normalised email. */
void mc_email_hash(const char *email, char out[33]);
/* 1 when Mailchimp would call it fake or invalid (see mc_email.c). */
int mc_email_fake(const char *email);

/* ---- audience state (mc_store.c); every call needs st->lock held ---- */

enum mc_status {
	MC_SUBSCRIBED = 0, MC_UNSUBSCRIBED, MC_CLEANED, MC_PENDING, MC_TRANSACTIONAL, MC_ARCHIVED,
	MC_NSTATUS
};
extern const char *const mc_status_names[MC_NSTATUS];
/* enum mc_status of s, or -1 (NULL gives -1). */
int mc_status_find(const char *s);

enum mc_ftype {
	MC_F_TEXT = 0, MC_F_NUMBER, MC_F_ADDRESS, MC_F_PHONE, MC_F_DATE, MC_F_URL, MC_F_IMAGEURL,
	MC_F_RADIO, MC_F_DROPDOWN, MC_F_BIRTHDAY, MC_F_ZIP, MC_F_NTYPES
};
extern const char *const mc_ftype_names[MC_F_NTYPES];
int mc_ftype_find(const char *s);

#define MC_TAG_MAX 10 /* merge tags: Mailchimp's limit */

typedef struct mc_field {
	int id;
	int type; /* enum mc_ftype */
	char tag[MC_TAG_MAX + 1];
	char name[101];
} mc_field;

typedef struct mc_member {
	char hash[33];   /* subscriber hash: the id */
	char uid[11];    /* unique_email_id */
	char *email;     /* as given, trimmed */
	int status;      /* enum mc_status */
	cJSON *merge;    /* object TAG -> value; only known tags */
	int *tags;       /* tag ids */
	size_t ntags, tcap;
	int64_t changed; /* unix seconds */
} mc_member;

typedef struct mc_tag {
	int id;
	char *name;
} mc_tag;

typedef struct mc_store {
	pthread_mutex_t lock;
	uint64_t seed;
	char list_id[64];
	mc_field *fields;
	size_t nfields, fcap;
	int next_field_id;
	mc_member *members; /* in creation order; never removed but by a reset */
	size_t nmembers, mcap;
	uint32_t *index;    /* open addressing by hash: member index + 1, 0 = empty */
	size_t icap;
	mc_tag *tags;
	size_t ntags, tagcap;
	char **forgotten;   /* normalised emails */
	size_t nforgotten, fgcap;
} mc_store;

int mc_store_init(mc_store *st, const char *list_id, uint64_t seed);
void mc_store_release(mc_store *st);
/* Back to the initial audience: the seeded members, fields and forgotten set. */
int mc_store_reset(mc_store *st);

mc_member *mc_member_find(mc_store *st, const char *hash);
/* A new member; NULL when out of memory. Pointers into st->members die
 * with the next add. */
mc_member *mc_member_add(mc_store *st, const char *email, int status);
/* active: add the tag (creating it in the audience), else remove it. */
int mc_member_tag(mc_store *st, mc_member *m, const char *name, int active);
void mc_member_clear_tags(mc_member *m);
/* A tag's name by id ("" when unknown). */
const char *mc_tag_name(mc_store *st, int id);
int mc_forgotten_has(mc_store *st, const char *email);
int mc_forgotten_add(mc_store *st, const char *email);

const mc_field *mc_field_find(mc_store *st, const char *tag);
/* Adds a merge field; -1 with a message when the tag or type is refused. */
int mc_field_add(mc_store *st, const char *tag, const char *name, int type, char *msg,
		 size_t msglen);

/* Checks merge values as Mailchimp does: unknown tags pass (they are
 * ignored), known ones must suit their type. On failure returns -1 and
 * names the tag and the message. merge may be NULL. */
int mc_merge_check(mc_store *st, const cJSON *merge, char *field, size_t fieldsz, char *msg,
		   size_t msglen);
/* Merges the known tags of a checked object into the member. */
int mc_merge_apply(mc_store *st, mc_member *m, const cJSON *merge);

cJSON *mc_member_json(mc_store *st, const mc_member *m);
cJSON *mc_field_json(mc_store *st, const mc_field *f);
/* "2025-01-01T00:00:00+00:00", as Mailchimp writes times. */
void mc_time_str(int64_t unix_s, char out[32]);

/* ---- the server side (mc_server.c) ---- */

typedef struct mc_knobs {
	long latency_ms, max_connections, fail_writes;
	double fail_rate, throttle_rate;
} mc_knobs;

enum { MC_NROUTES_MAX = 24 };

typedef struct mc_stats {
	uint64_t requests, writes, deletes, status_field_seen, is_syncing_false;
	uint64_t throttled_429, faults_500, unauthorized_401;
	uint64_t batch_operations, batch_writes;
	uint64_t result_downloads, result_downloads_with_auth;
	uint64_t by_route[MC_NROUTES_MAX + 1];       /* last: "other" */
	uint64_t batch_by_route[MC_NROUTES_MAX + 1];
	long max_in_flight;
} mc_stats;

typedef struct mc_batches mc_batches;

struct sb_mc {
	char api_key[256];
	uint64_t seed;
	mc_store store;
	pthread_mutex_t lock; /* knobs, rng, stats */
	mc_knobs knobs;
	sb_rng rng;
	mc_stats stats;
	atomic_long in_flight;
	atomic_ulong next_instance;
	mc_batches *batches;
};

typedef struct sb_mc_opts {
	const char *api_key, *list_id;
	uint64_t seed;
	mc_knobs knobs;
} sb_mc_opts;

sb_mc *sb_mc_new(const sb_mc_opts *o);
void sb_mc_free(sb_mc *m);

/* One Mailchimp request, from the network or from inside a batch. */
typedef struct mc_req {
	const char *method;
	const char *path;      /* below /3.0, no query: "/lists/x/members" */
	const char *params[4]; /* path captures */
	char pbuf[256];
	const char *body;      /* may be NULL */
	size_t body_len;
	struct MHD_Connection *conn; /* NULL inside a batch: args below instead */
	int nargs;
	const char *akey[8], *aval[8];
	char abuf[1024];
	char instance[40];     /* request id, echoed in problem+json */
	char base[160];        /* "http://host:port", for links */
	int in_batch;          /* counted as a batch operation */
} mc_req;

typedef void (*mc_handler)(sb_mc *m, mc_req *rq, sb_resp *rs);

/* Fills the request id and clears the args. */
void mc_req_init(sb_mc *m, mc_req *rq);
/* A query argument; NULL when absent. */
const char *mc_arg(const mc_req *rq, const char *key);
/* Adds an argument to a request without a connection; -1 when full. */
int mc_req_add_arg(mc_req *rq, const char *key, const char *val);

/* problem+json: {type, title, status, detail, instance}. */
void mc_problem(mc_req *rq, sb_resp *rs, int status, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* 400 "Invalid Resource" with errors:[{field, message}]. */
void mc_invalid(mc_req *rq, sb_resp *rs, const char *field, const char *message);
void mc_not_found(mc_req *rq, sb_resp *rs);
/* Prints j into rs as a 200 answer and frees it. */
void mc_resp_cjson(sb_resp *rs, cJSON *j);
/* Parses the body as a JSON object, or answers 400 and returns NULL. */
cJSON *mc_body_object(mc_req *rq, sb_resp *rs);
/* 1 when params[0] is the configured list; else answers 404. */
int mc_list_ok(sb_mc *m, mc_req *rq, sb_resp *rs);

/* Runs one operation of a batch through the same routes (no auth, no
 * limits, no faults: the real service runs them internally). */
void mc_exec_op(sb_mc *m, mc_req *rq, sb_resp *rs);

void mc_count_tag_call(sb_mc *m, int is_syncing);
void mc_count_download(sb_mc *m, int with_auth);

/* ---- handlers ---- */

void mc_h_ping(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_list(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_fields(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_field_add(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_members(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_member(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_member_put(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_member_patch(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_member_post(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_refuse_delete(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_tags(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_batch_subscribe(sb_mc *m, mc_req *rq, sb_resp *rs);

/* mc_batch.c */
mc_batches *mc_batches_new(sb_mc *m);
void mc_batches_free(mc_batches *b);
void mc_h_batch_submit(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_batch_get(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_batch_list(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_batch_results(sb_mc *m, mc_req *rq, sb_resp *rs);

/* mc_admin.c */
void mc_h_admin_stats(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_admin_reset_stats(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_admin_members(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_admin_seed(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_admin_reset(sb_mc *m, mc_req *rq, sb_resp *rs);
void mc_h_admin_knobs(sb_mc *m, mc_req *rq, sb_resp *rs);
/* The route names behind by_route, for the stats. */
const char *mc_route_name(int i);
int mc_nroutes(void);

#endif
