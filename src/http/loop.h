#ifndef CS_HTTP_LOOP_H
#define CS_HTTP_LOOP_H
/* The HTTP event loop (loop.c): one thread running libcurl's multi
 * interface, many transfers at once over reused connections (HTTP/2
 * streams where offered), at most max_in_flight of them at a time. Every
 * request takes its send time from its budget (budget.h) and is retried
 * exactly as cs_http_do retries (http_int.h). Callers hand requests over as
 * calls and are told on the loop's thread when each one finished. */
#include "http/http.h"

#include <stdint.h>

typedef struct cs_http_loop cs_http_loop;
typedef struct cs_http_call cs_http_call;
/* Runs on the loop's thread when a call finished (answer, failure after
 * retries, or stop). It must only hand the call over (queue it, signal a
 * condition): never parse, write to a database or block, or every other
 * transfer waits. */
typedef void (*cs_http_call_fn)(cs_http_call *call, void *ud);

/* A reusable request slot: its own easy handle and response buffer. */
cs_http_call *cs_http_call_new(void);
/* Only when the call is not in the loop (never submitted, or done). */
void cs_http_call_free(cs_http_call *call);
/* The call's response. Between calls the owner may swap the body buffer
 * with its own (the loop appends to whatever buffer is there, emptied). */
cs_http_resp *cs_http_call_resp(cs_http_call *call);
/* After done: 0 when an answer was received (any status: the caller
 * judges it), else the failure, as cs_http_do returns them. */
int cs_http_call_result(const cs_http_call *call, cs_err *err);
/* The URL of the call's request (valid until the next submit). */
const char *cs_http_call_url(const cs_http_call *call);
/* After done: the attempts of this call (requests, retries, throttled,
 * errors), for the owner's counters. */
const cs_http_stats *cs_http_call_stats(const cs_http_call *call);

/* A loop of its own (tests); most callers share the process's one. */
int cs_http_loop_new(int max_in_flight, cs_http_loop **out, cs_err *err);
/* Stops the thread; calls still in the loop end with CS_EINTR first. */
void cs_http_loop_free(cs_http_loop *l);
/* The process's loop, created with max_in_flight on first use and shared
 * by every run in the process (a daemon's jobs too); each user releases it
 * with cs_http_loop_unshare, the last one stops it. */
int cs_http_loop_share(int max_in_flight, cs_http_loop **out, cs_err *err);
void cs_http_loop_unshare(cs_http_loop *l);

/* Hands req over: method, URL, headers, body and log_url are copied, opts
 * (budget, should_stop, timeouts, retries) applied as cs_http_new does. The
 * call must not be in the loop already. done(call, ud) follows, always,
 * on the loop's thread. */
int cs_http_loop_submit(cs_http_loop *l, cs_http_call *call, const cs_http_req *req,
			const cs_http_opts *opts, cs_http_call_fn done, void *ud, cs_err *err);

/* What the loop is doing, for progress lines. */
typedef struct cs_http_loop_info {
	int max_in_flight;
	int in_flight;   /* transfers on the wire */
	int queued;      /* waiting for a place in flight */
	int paced;       /* holding a send time from their budget (smoothing) */
	int held;        /* held by their budget: the window is spent, or a 429 said wait */
	int retrying;    /* waiting to be tried again */
	int64_t hold_ms; /* the longest hold still to go */
	int64_t retry_ms;    /* the longest retry wait still to go */
	char retry_why[128]; /* why the latest retry was scheduled */
	long retry_status;   /* ... its HTTP status (0: a transport failure) */
	int retry_n, retry_max; /* ... it is retry n of max */
	long requests, retries, throttled, errors; /* since the loop started */
} cs_http_loop_info;
void cs_http_loop_get_info(cs_http_loop *l, cs_http_loop_info *out);

#endif
