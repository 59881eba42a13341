#ifndef CS_MC_CLIENT_H
#define CS_MC_CLIENT_H
/* Mailchimp Marketing API v3 transport: base URL, Basic auth, problem+json
 * errors, a bounded pool of concurrent connections, and /batches with their
 * tar.gz results. It knows nothing of contacts or plans (mailchimp.c does).
 *
 * Rules it keeps:
 *  - the API key goes only in the Authorization header of requests to the
 *    API base URL; never in a URL, a log line or an error message, and never
 *    to the batch results URL (another host on the real service);
 *  - at most `concurrency` requests are in flight at once (Mailchimp allows
 *    10 connections per key; the 11th is answered 429);
 *  - 429, 5xx, timeouts and resets are retried with jittered backoff by
 *    http/ (Mailchimp sends no Retry-After); what still fails is reported
 *    as transient in the result, never as a crash of the run. */
#include "http/http.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct mc_client mc_client;

typedef struct mc_client_opts {
	const char *api_url; /* "https://us6.api.mailchimp.com/3.0", no trailing slash needed;
			      * NULL or "": derived from the key (mc_base_url_from_key) */
	const char *api_key; /* secret */
	int concurrency;     /* 1..10 */
	long timeout_ms;     /* per request, default 120 000 */
	int (*should_stop)(void);
} mc_client_opts;

/* Base URL from the key's data center: "...-us6" gives
 * "https://us6.api.mailchimp.com/3.0". CS_EUSAGE naming MAILCHIMP_API_KEY
 * (without echoing the key) when it has no valid "-dc" suffix. */
int mc_base_url_from_key(const char *key, char *out, size_t outsz, cs_err *err);

/* CS_EUSAGE naming MAILCHIMP_API_KEY / MAILCHIMP_CONCURRENCY when they are
 * unusable. Call cs_http_global_init once per process first. The client is
 * driven from one thread at a time (mc_request and the runs must not
 * overlap); only mc_client_stats may be called from any thread. */
int mc_client_new(const mc_client_opts *o, mc_client **out, cs_err *err);
void mc_client_free(mc_client *c);

/* The outcome of one API call. */
typedef struct mc_result {
	long status;     /* HTTP status; 0 when no answer came (transport) */
	int transient;   /* 429/5xx/transport still failing after retries */
	cJSON *body;     /* parsed JSON body, or NULL (empty, 204, not JSON) */
	/* From an application/problem+json answer (or a batch operation's
	 * response), else "": */
	char title[128];
	char detail[512];
	char instance[128]; /* the request id, for support */
} mc_result;

void mc_result_release(mc_result *r);

/* One request. path is relative to the base URL ("/lists/abc"), query
 * included; body is JSON text or NULL. res is overwritten, not released.
 * Returns 0 whenever an HTTP answer was received (the caller judges
 * res->status) or when retries ran out (res->transient set, res->status the
 * last status or 0, res->title the reason); CS_EINTR when stopped; CS_EAUTH
 * for 401/403 with a message that names MAILCHIMP_API_KEY (res filled too);
 * CS_ETRANSPORT "cannot reach mailchimp at '<url>': ...; check
 * MAILCHIMP_API_URL" when connecting failed and the API has never answered
 * this client (after a first answer, a connection failure is transient). */
int mc_request(mc_client *c, const char *method, const char *path, const char *body,
	       mc_result *res, cs_err *err);

/* One queued operation, for the pool and for /batches. */
typedef struct mc_op {
	const char *method; /* "PUT", "POST", ... (static string) */
	char *path;         /* owned, relative to the base URL */
	char *body;         /* owned JSON text, or NULL */
	char id[48];        /* operation_id, unique within one call */
	mc_result res;      /* filled by the run */
	void *user;         /* caller's tag (e.g. the contact index) */
} mc_op;

/* Frees path, body and res of n ops (not the array). */
void mc_ops_release(mc_op *ops, size_t n);

/* Runs n ops over the pool, at most concurrency at once, filling each
 * res (each res must be zeroed or hold an earlier result, which is
 * released). Per-op failures land in res; returns non-zero only when no
 * further request makes sense: CS_EINTR (stopped), CS_EAUTH (key
 * rejected), CS_ETRANSPORT (unreachable before any answer). The ops never
 * sent then get res.transient = 1 and title "stopped". */
int mc_run_parallel(mc_client *c, mc_op *ops, size_t n, cs_err *err);

/* Runs n ops through POST /batches in chunks of at most chunk ops (>= 1),
 * submitted concurrently; polls GET /batches/{id} with growing waits until
 * each is "finished"; downloads response_body_url without credentials;
 * reads the tar.gz (libarchive) and fills each op's res from its result
 * entry {status_code, operation_id, response} matched by id. An op whose
 * result is missing gets res.transient = 1 and a title saying so. Ops
 * with an empty id get "op-<index>"; duplicate ids are refused (CS_ERR).
 * A batch refused as a whole (4xx on POST /batches) gives each of its ops
 * that status and problem. Returns like mc_run_parallel; ops without a
 * result when it stops are transient "stopped". Paths carry no query
 * string (Mailchimp batch operations take those as "params"). */
int mc_run_batches(mc_client *c, mc_op *ops, size_t n, size_t chunk, cs_err *err);

/* Requests sent so far (retries included) and how many were writes
 * (anything but GET). Thread-safe. */
typedef struct mc_stats {
	long requests, writes, retries, throttled;
} mc_stats;
void mc_client_stats(const mc_client *c, mc_stats *out);

/* Subscriber hash: lowercase hex MD5 of the trimmed, lowercased email
 * (OpenSSL libcrypto). out holds 33 bytes. */
void mc_subscriber_hash(const char *email, char out[33]);

#endif
