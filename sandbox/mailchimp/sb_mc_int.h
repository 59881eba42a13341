#ifndef SB_MC_INT_H
#define SB_MC_INT_H
/* Inside the Mailchimp half (sb_mc.h), from the top down:
 *   sb_mc_server.c  the front door: route tables, auth, connection limit,
 *                   faults, the half's lifecycle
 *   sb_mc_api.c     list, merge fields, members, tags, batch subscribe
 *   sb_mc_batch.c   /batches and its worker      sb_mc_admin.c  /__sandbox/mc
 *   sb_mc_stats.c   the counters                 sb_mc_req.c    requests, answers
 *   sb_mc_store.c   the audience                 sb_mc_email.c  hash, fake emails */
#include "mailchimp/sb_mc.h"
#include "core/sb_rng.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>

/* ---- email addresses (sb_mc_email.c) ---- */

/* Trimmed and lowercased into out; -1 when it does not fit. */
int sb_mc_email_norm(const char *email, char *out, size_t outsz);
/* The subscriber hash: lowercase hex MD5 of the normalised email. */
void sb_mc_email_hash(const char *email, char out[33]);
/* 1 when Mailchimp would call it fake or invalid (see sb_mc_email.c). */
int sb_mc_email_fake(const char *email);

/* ---- audience state (sb_mc_store.c); every call needs st->lock held ---- */

enum sb_mc_status {
	SB_MC_SUBSCRIBED = 0, SB_MC_UNSUBSCRIBED, SB_MC_CLEANED, SB_MC_PENDING, SB_MC_TRANSACTIONAL,
	SB_MC_ARCHIVED, SB_MC_NSTATUS
};
extern const char *const sb_mc_status_names[SB_MC_NSTATUS];
/* enum sb_mc_status of s, or -1 (NULL gives -1). */
int sb_mc_status_find(const char *s);

enum sb_mc_ftype {
	SB_MC_F_TEXT = 0, SB_MC_F_NUMBER, SB_MC_F_ADDRESS, SB_MC_F_PHONE, SB_MC_F_DATE, SB_MC_F_URL,
	SB_MC_F_IMAGEURL, SB_MC_F_RADIO, SB_MC_F_DROPDOWN, SB_MC_F_BIRTHDAY, SB_MC_F_ZIP,
	SB_MC_F_NTYPES
};
extern const char *const sb_mc_ftype_names[SB_MC_F_NTYPES];
int sb_mc_ftype_find(const char *s);

#define SB_MC_TAG_MAX 10 /* merge tags: Mailchimp's limit */

typedef struct sb_mc_field {
	int id;
	int type; /* enum sb_mc_ftype */
	char tag[SB_MC_TAG_MAX + 1];
	char name[101];
} sb_mc_field;

typedef struct sb_mc_member {
	char hash[33];   /* subscriber hash: the id */
	char uid[11];    /* unique_email_id */
	char *email;     /* as given, trimmed */
	int status;      /* enum sb_mc_status */
	cJSON *merge;    /* object TAG -> value; only known tags */
	int *tags;       /* tag ids */
	size_t ntags, tcap;
	int64_t changed; /* unix seconds */
} sb_mc_member;

typedef struct sb_mc_tag {
	int id;
	char *name;
} sb_mc_tag;

typedef struct sb_mc_store {
	pthread_mutex_t lock;
	uint64_t seed;
	char list_id[64];
	sb_mc_field *fields;
	size_t nfields, fcap;
	int next_field_id;
	sb_mc_member *members; /* in creation order; never removed but by a reset */
	size_t nmembers, mcap;
	uint32_t *index;    /* open addressing by hash: member index + 1, 0 = empty */
	size_t icap;
	sb_mc_tag *tags;
	size_t ntags, tagcap;
	char **forgotten;   /* normalised emails */
	size_t nforgotten, fgcap;
} sb_mc_store;

int sb_mc_store_init(sb_mc_store *st, const char *list_id, uint64_t seed);
void sb_mc_store_release(sb_mc_store *st);
/* Back to the initial audience: the seeded members, fields and forgotten set. */
int sb_mc_store_reset(sb_mc_store *st);

sb_mc_member *sb_mc_member_find(sb_mc_store *st, const char *hash);
/* A new member; NULL when out of memory. Pointers into st->members die
 * with the next add. */
sb_mc_member *sb_mc_member_add(sb_mc_store *st, const char *email, int status);
/* active: add the tag (creating it in the audience), else remove it. */
int sb_mc_member_tag(sb_mc_store *st, sb_mc_member *m, const char *name, int active);
void sb_mc_member_clear_tags(sb_mc_member *m);
/* A tag's name by id ("" when unknown). */
const char *sb_mc_tag_name(sb_mc_store *st, int id);
int sb_mc_forgotten_has(sb_mc_store *st, const char *email);
int sb_mc_forgotten_add(sb_mc_store *st, const char *email);

const sb_mc_field *sb_mc_field_find(sb_mc_store *st, const char *tag);
/* Adds a merge field; -1 with a message when the tag or type is refused. */
int sb_mc_field_add(sb_mc_store *st, const char *tag, const char *name, int type, char *msg,
		    size_t msglen);

/* Checks merge values as Mailchimp does: unknown tags pass (they are
 * ignored), known ones must suit their type. On failure returns -1 and
 * names the tag and the message. merge may be NULL. */
int sb_mc_merge_check(sb_mc_store *st, const cJSON *merge, char *field, size_t fieldsz, char *msg,
		      size_t msglen);
/* Merges the known tags of a checked object into the member. */
int sb_mc_merge_apply(sb_mc_store *st, sb_mc_member *m, const cJSON *merge);

cJSON *sb_mc_member_json(sb_mc_store *st, const sb_mc_member *m);
cJSON *sb_mc_field_json(sb_mc_store *st, const sb_mc_field *f);
/* "2025-01-01T00:00:00+00:00", as Mailchimp writes times. */
void sb_mc_time_str(int64_t unix_s, char out[32]);

/* ---- the half (front door: sb_mc_server.c) ---- */

enum { SB_MC_NROUTES_MAX = 24 };

typedef struct sb_mc_stats {
	uint64_t requests, writes, deletes, is_syncing_false;
	/* member objects carrying `status`: for an address that was not a
	 * member; for a member that existed, in a write that applies it (PUT,
	 * PATCH, batch subscribe with update_existing true); for a member that
	 * existed, refused unapplied (batch subscribe with update_existing
	 * false, POST /members) */
	uint64_t status_on_new, status_on_existing, status_on_existing_refused;
	uint64_t throttled_429, faults_500, unauthorized_401;
	uint64_t batch_operations, batch_writes;
	uint64_t result_downloads, result_downloads_with_auth;
	uint64_t by_route[SB_MC_NROUTES_MAX + 1];       /* last: "other" */
	uint64_t batch_by_route[SB_MC_NROUTES_MAX + 1];
	long max_in_flight;
} sb_mc_stats;

typedef struct sb_mc_batches sb_mc_batches;

struct sb_mc {
	char api_key[256];
	uint64_t seed;
	sb_mc_store store;
	pthread_mutex_t lock; /* knobs, rng, stats */
	sb_mc_knobs knobs;
	sb_rng rng;
	sb_mc_stats stats;
	atomic_long in_flight;
	atomic_ulong next_instance;
	sb_mc_batches *batches;
	/* The API routes' names, by_route's keys; set once by sb_mc_new. */
	const char *route_names[SB_MC_NROUTES_MAX];
	size_t nroutes;
};

/* ---- one request and its answers (sb_mc_req.c) ---- */

/* One Mailchimp request, from the network or from inside a batch. */
typedef struct sb_mc_req {
	const char *method;
	const char *path;      /* below /3.0, no query: "/lists/x/members" */
	const char *params[4]; /* path captures */
	char pbuf[256];
	const char *body;      /* may be NULL */
	size_t body_len;
	sb_req *net;           /* the network request; NULL inside a batch: args below */
	int nargs;
	const char *akey[8], *aval[8];
	char abuf[1024];
	char instance[40];     /* request id, echoed in problem+json */
	char base[160];        /* "http://host:port", for links */
	int in_batch;          /* counted as a batch operation */
} sb_mc_req;

typedef void (*sb_mc_handler)(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

/* Fills the request id and clears the args. */
void sb_mc_req_init(sb_mc *m, sb_mc_req *rq);
/* A query argument; NULL when absent. */
const char *sb_mc_arg(const sb_mc_req *rq, const char *key);
/* Adds an argument to a request without a connection; -1 when full. */
int sb_mc_req_add_arg(sb_mc_req *rq, const char *key, const char *val);

/* problem+json: {type, title, status, detail, instance}. */
void sb_mc_problem(sb_mc_req *rq, sb_resp *rs, int status, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* 400 "Invalid Resource" with errors:[{field, message}]. */
void sb_mc_invalid(sb_mc_req *rq, sb_resp *rs, const char *field, const char *message);
void sb_mc_not_found(sb_mc_req *rq, sb_resp *rs);
/* Prints j into rs as a 200 answer and frees it. */
void sb_mc_resp_cjson(sb_resp *rs, cJSON *j);
/* Parses the body as a JSON object, or answers 400 and returns NULL. */
cJSON *sb_mc_body_object(sb_mc_req *rq, sb_resp *rs);
/* 1 when params[0] is the configured list; else answers 404. */
int sb_mc_list_ok(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
/* Trims a JSON answer to ?fields= and ?exclude_fields= (dotted paths). */
void sb_mc_apply_fields(sb_mc_req *rq, sb_resp *rs);

/* ---- counters (sb_mc_stats.c) ---- */

/* A request on arrival; ri is its API route, or < 0 ("other"). */
void sb_mc_count_arrival(sb_mc *m, const sb_mc_req *rq, int ri);
void sb_mc_count_tag_call(sb_mc *m, int is_syncing);
/* A member object carrying `status`; existed: the member was already
 * there; applies: the write would set it on an existing member. */
void sb_mc_count_status(sb_mc *m, int existed, int applies);
void sb_mc_count_download(sb_mc *m, int with_auth);
void sb_mc_h_admin_stats(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_admin_reset_stats(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

/* ---- handlers (sb_mc_api.c) ---- */

void sb_mc_h_ping(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_list(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_fields(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_field_add(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_members(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_member(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_member_put(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_member_patch(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_member_post(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_refuse_delete(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_tags(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_batch_subscribe(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

/* ---- /batches (sb_mc_batch.c) ---- */

/* Runs one operation of a batch through the same routes as a live request
 * (no auth, no limits, no faults: the real service runs them internally).
 * The front door supplies it, so the batch worker never names the routes. */
typedef void (*sb_mc_exec_fn)(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

sb_mc_batches *sb_mc_batches_new(sb_mc *m, sb_mc_exec_fn exec);
void sb_mc_batches_free(sb_mc_batches *b);
void sb_mc_h_batch_submit(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_batch_get(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_batch_list(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_batch_results(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

/* ---- /__sandbox/mc (sb_mc_admin.c) ---- */

void sb_mc_h_admin_members(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_admin_seed(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_admin_reset(sb_mc *m, sb_mc_req *rq, sb_resp *rs);
void sb_mc_h_admin_knobs(sb_mc *m, sb_mc_req *rq, sb_resp *rs);

#endif
