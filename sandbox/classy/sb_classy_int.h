#ifndef SB_CLASSY_INT_H
#define SB_CLASSY_INT_H
/* Inside the Classy half: its state, the policy wrapped around every API
 * call (sb_policy.c), OAuth (sb_oauth.c) and the handlers its route table
 * (sb_classy.c) points at. */
#include "classy/sb_classy.h"

#include <pthread.h>
#include <stdint.h>

/* ---- policy (sb_policy.c): knobs, counters, the rate window, fault dice ---- */

#define SB_MAX_PATHS 512
#define SB_SECONDS 3600 /* API requests per second, over the last hour */

typedef struct sb_path_count {
	char path[96];
	uint64_t n;
} sb_path_count;

typedef struct sb_policy {
	pthread_mutex_t lock; /* everything below */
	sb_knobs knobs;
	sb_rng rng; /* faults and truncation */
	int64_t win_end_ms, win_end_unix; /* rate window: monotonic and wall clock */
	long win_count;
	uint64_t requests, list_requests, token_requests, throttled, faults;
	sb_path_count paths[SB_MAX_PATHS];
	size_t npaths;
	struct {
		int64_t sec; /* unix second, by sec % SB_SECONDS */
		uint64_t n;
	} per_second[SB_SECONDS];
} sb_policy;

void sb_policy_init(sb_policy *p, const sb_knobs *k, uint64_t seed);
void sb_policy_release(sb_policy *p);
void sb_policy_knobs(sb_policy *p, sb_knobs *out);
void sb_policy_set_knobs(sb_policy *p, const sb_knobs *k);
/* Counts a request to path (a token request when token is set); an API
 * request also in its wall-clock second, as it arrives. */
void sb_policy_count_request(sb_policy *p, const char *path, int token);
/* Counts toward the stats: list_requests. */
void sb_policy_count_list(sb_policy *p);
/* Stats as JSON, and reset (which also starts a new rate window). */
void sb_policy_stats(sb_policy *p, cs_buf *out);
void sb_policy_reset_stats(sb_policy *p);
/* A fixed one-minute window per client application. take: count this
 * request. Returns 1 when throttled (rs then holds the 429). Fills the rate
 * headers either way. */
int sb_policy_rate_limit(sb_policy *p, int take, sb_resp *rs);

enum sb_fault { SB_FAULT_NONE = 0, SB_FAULT_DROP, SB_FAULT_500, SB_FAULT_503, SB_FAULT_429 };
/* Rolls the fault dice for a request about to be handled. */
int sb_policy_roll_fault(sb_policy *p);
/* Answers rs as the fault says (not SB_FAULT_NONE or SB_FAULT_DROP). */
void sb_policy_inject(sb_resp *rs, int fault);
/* Rolls the dice for a 200 answer: maybe marks it to be cut off. */
void sb_policy_roll_truncate(sb_policy *p, sb_resp *rs);

/* ---- oauth (sb_oauth.c) ---- */

typedef struct sb_oauth sb_oauth;
sb_oauth *sb_oauth_new(const char *client_id, const char *client_secret, uint64_t seed);
void sb_oauth_free(sb_oauth *o);
/* 1 when the Authorization header carries a live token. */
int sb_oauth_check(sb_oauth *o, const char *authorization);
void sb_oauth_expire_all(sb_oauth *o);
int sb_oauth_set_secret(sb_oauth *o, const char *secret);

/* ---- the half ---- */

struct sb_classy {
	sb_data data;
	sb_oauth *oauth;
	sb_policy policy;
};

/* Handlers fill rs; they never fail outright (a failure is a response). */
typedef void (*sb_handler)(sb_classy *c, sb_req *rq, sb_resp *rs);

/* sb_oauth.c */
void sb_h_token(sb_classy *c, sb_req *rq, sb_resp *rs);
/* sb_api.c */
void sb_h_org(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_list(sb_classy *c, sb_req *rq, sb_resp *rs);
/* sb_admin.c */
void sb_h_dump(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_stats(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_reset_stats(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_mutate(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_set_amount(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_knobs(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_expire_tokens(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_set_credentials(sb_classy *c, sb_req *rq, sb_resp *rs);
/* sb_webhook.c: a receiver for alert tests */
void sb_h_webhook_post(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_webhook_get(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_webhook_fail(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_h_webhook_reset(sb_classy *c, sb_req *rq, sb_resp *rs);
void sb_webhook_release(void);

#endif
