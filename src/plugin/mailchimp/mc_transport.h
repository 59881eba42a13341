#ifndef CS_MC_TRANSPORT_H
#define CS_MC_TRANSPORT_H
/* Internals shared by mc_client.c (client, the one request path), mc_pool.c
 * (the worker pool) and mc_batch.c (/batches). Not for use outside those
 * three files. */
#include "plugin/mailchimp/mc_client.h"

#include <stdatomic.h>
#include <string.h>

#define MC_MAX_CONCURRENCY 10
#define MC_MAX_BODY ((size_t)256 << 20) /* batch results can be large */

/* What one handle has sent, published after each request by the thread
 * that owns the handle, so mc_client_stats can read it from any thread. */
typedef struct mc_slot_stats {
	atomic_long requests, retries, throttled;
} mc_slot_stats;

struct mc_client {
	char *base;      /* API base URL, no trailing slash */
	char *auth_hdr;  /* "Authorization: Basic ..." (secret; wiped on free) */
	int concurrency; /* number of handles and at most that many in flight */
	cs_http *h[MC_MAX_CONCURRENCY]; /* one per worker: cs_http is not thread-safe */
	mc_slot_stats st[MC_MAX_CONCURRENCY];
	atomic_long writes;
	atomic_int answered; /* the API answered at least once */
	int (*should_stop)(void);
};

/* One call through handle `slot`. With absolute set, target is a full URL
 * that gets no credentials and no Accept header (the batch results); else
 * target is a path under the base URL sent with the Authorization header.
 * Returns cs_http_do's code; err holds the reason without the URL
 * (mc_reason). Every request of the client goes through here. */
int mc_send(mc_client *c, int slot, const char *method, const char *target, int absolute,
	    const char *body, cs_http_resp *resp, cs_err *err);

/* An API call through handle `slot`, interpreted as mc_request documents.
 * res is overwritten (not released). */
int mc_exec(mc_client *c, int slot, const char *method, const char *path, const char *body,
	    mc_result *res, cs_err *err);

/* Fills title, detail and instance from a problem+json body (and its
 * errors[] into detail). body may be NULL. */
void mc_fill_problem(mc_result *res, const cJSON *body);

/* Sets res to a transient failure with the given title (truncated). */
void mc_set_transient(mc_result *res, long status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copies src into dst[n], truncating. */
static inline void mc_copy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* Applies a /batches results archive (tar.gz of JSON arrays of
 * {operation_id, status_code, response}) to the n ops it answers, matched by
 * id. Returns 0, or -1 with why filled when the archive is damaged (entries
 * read before the damage are kept). Ops without an entry are left as they
 * were. The batch runner and the fuzz target go through here. */
int mc_batch_apply_results(mc_op *ops, size_t n, const char *batch_id, const char *data,
			   size_t len, char *why, size_t whysz);

/* Releases res of ops [from, n) and marks them transient "stopped". */
void mc_mark_stopped(mc_op *ops, size_t from, size_t n);

/* The pool: runs fn(ctx, slot, i) for i in [0, n) on up to concurrency
 * threads (the caller's thread is slot 0), each index exactly once, in
 * claim order. A task returning non-zero stops the pool: no index is
 * claimed after it, and the first such code and its err are returned.
 * should_stop is checked before each claim (CS_EINTR). *claimed receives
 * how many indices were handed out; those from *claimed on never ran. */
typedef int (*mc_task_fn)(void *ctx, int slot, size_t i, cs_err *err);
int mc_pool_run(mc_client *c, size_t n, mc_task_fn fn, void *ctx, size_t *claimed, cs_err *err);

#endif
