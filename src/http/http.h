#ifndef CS_HTTP_H
#define CS_HTTP_H
/* HTTP over libcurl: one keep-alive handle per client, TLS verification always
 * on, timeouts, a retry policy for throttling and transient failures, and a
 * request budget shared by every client of the same API application. */
#include "http/budget.h"
#include "http/sleep.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>

typedef struct cs_http_opts {
	long connect_timeout_ms; /* default 10 000 */
	long timeout_ms;         /* whole request, default 60 000 */
	int max_retries;         /* transient failures per request, default 8 */
	long backoff_base_ms;    /* first backoff, default 500; doubles with jitter */
	long backoff_max_ms;     /* cap for one wait, default 30 000 */
	long retry_budget_ms;    /* total waiting allowed per request, default 300 000 */
	/* How far past timeout_ms our own deadline for a transfer libcurl left
	 * stuck lies (http_int.h), default 1 000. Tests that make transfers
	 * stuck on purpose shorten it; the verdict is the same at any value. */
	long stuck_grace_ms;
	size_t max_body;         /* response cap, default 64 MiB */
	cs_http_budget *budget;       /* shared request budget, may be NULL */
	/* Stops waits early when it returns non-zero (SIGTERM); may be NULL. */
	int (*should_stop)(void);
	/* Told before a request waits to be tried again, on the thread that
	 * sent it (the event loop's for its calls), so the caller can log or
	 * show it; the HTTP layer itself only logs it at debug level. It must
	 * not block. NULL: none. */
	void (*on_wait)(const cs_http_wait *w, void *ud);
	void *wait_ud;
	const char *label; /* what the requests are for (an entity), for on_wait */
} cs_http_opts;

typedef struct cs_http_req {
	const char *method; /* "GET", "POST", ... */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
	const char *body;           /* may be NULL */
	size_t body_len;
	int no_retry; /* one attempt only (token fetch retries itself) */
	/* What logs show instead of url, for URLs that carry a secret (a
	 * webhook token in the path, a signed query); NULL shows url. */
	const char *log_url;
} cs_http_req;

typedef struct cs_http_resp {
	long status;
	cs_buf body;
	long retry_after_s; /* Retry-After header or body retry_after, -1 if none */
	long rl_limit;      /* X-RateLimit-Limit, -1 if absent */
	long rl_remaining;  /* X-RateLimit-Remaining, -1 if absent */
	long rl_reset;      /* X-RateLimit-Reset, -1 if absent */
	char content_type[128];
	/* Set when the last failure was resolving or connecting: the URL is the
	 * likely culprit, so callers can point at the variable that holds it. */
	int conn_failed;
} cs_http_resp;

typedef struct cs_http_stats {
	long requests;  /* attempts sent, including retries */
	long retries;   /* attempts that repeated an earlier one */
	long throttled; /* 429/503 answers */
	long errors;    /* transport failures and 5xx */
	long rl_remaining; /* last X-RateLimit-Remaining seen, -1 if none */
} cs_http_stats;

typedef struct cs_http cs_http;

int cs_http_global_init(cs_err *err); /* once per process, before threads */
/* The CA bundle every TLS connection is verified against (CLASSY_SYNC_CA_FILE);
 * NULL or "" means the system's. Before threads. Verification itself is
 * never turned off. */
void cs_http_global_ca_file(const char *path);
cs_http *cs_http_new(const cs_http_opts *opts, cs_err *err);
void cs_http_free(cs_http *h);

void cs_http_resp_init(cs_http_resp *r);
void cs_http_resp_release(cs_http_resp *r);

/* Sends req and fills resp. Retries, unless req->no_retry:
 *  - 429 and 503 after Retry-After / body retry_after, else backoff;
 *  - other 5xx, timeouts, resets and truncated bodies with backoff,
 *    up to max_retries and retry_budget_ms.
 * Returns 0 whenever an HTTP answer was received (any status: the caller
 * judges 4xx), CS_ETRANSPORT when retries ran out on transport failures or
 * 5xx answers (err->http_status then holds the status, resp the last
 * answer), CS_ERATELIMIT when they ran out on throttling, CS_EINTR when
 * should_stop, CS_EPROTO when the body exceeds max_body. With no_retry, any
 * answer returns 0 and only a transport failure is an error. */
int cs_http_do(cs_http *h, const cs_http_req *req, cs_http_resp *resp, cs_err *err);

const cs_http_stats *cs_http_get_stats(const cs_http *h);
/* Adds the attempts made for this client elsewhere (the event loop's calls)
 * to its counters. */
void cs_http_count(cs_http *h, const cs_http_stats *more);
/* The client's options, with defaults applied: what its calls in the event
 * loop use too. */
const cs_http_opts *cs_http_get_opts(const cs_http *h);

/* The budget this client paces against (opts->budget unless replaced). The
 * Classy client attaches the budget of its client id when none is set. */
cs_http_budget *cs_http_get_budget(const cs_http *h);
void cs_http_set_budget(cs_http *h, cs_http_budget *b);

#endif
