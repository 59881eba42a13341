#ifndef CS_HTTP_INT_H
#define CS_HTTP_INT_H
/* Internals shared by http.c (one blocking transfer at a time, driven by
 * drive.c) and loop.c (many transfers on one event loop): the options of an
 * attempt, our deadline, the callbacks' state and the retry policy, so both
 * paths judge answers and retry exactly alike. Not a public interface. */
#include "http/headers.h"
#include "http/http.h"

#include <curl/curl.h>
#include <stdint.h>

/* What libcurl's callbacks fill during one attempt. */
typedef struct cs_http_xfer {
	cs_http_resp *cur; /* the response the callbacks fill */
	int overflow;      /* the body hit max_body */
	int (*should_stop)(void);
	long timeout_ms;   /* the attempt's CURLOPT_TIMEOUT_MS */
	long stuck_ms;     /* > 0: abandoned at our deadline after this long */
	long grace_ms;     /* our deadline lies this far past timeout_ms */
	char errbuf[CURL_ERROR_SIZE];
} cs_http_xfer;

/* Our own deadline for every transfer. libcurl enforces CURLOPT_TIMEOUT_MS
 * only while its state machine runs: libcurl 7.88.1 can be left stuck by a
 * failed allocation while it builds a request, and then neither its timeout
 * nor its progress callback fires again. So our loops (cs_http_drive, and
 * the event loop's) check the deadline between polls, outside libcurl's
 * callbacks. It is counted from the end of the transfer's first
 * curl_multi_perform (where libcurl starts its clock) and lies
 * CS_HTTP_DEADLINE_GRACE_MS (cs_http_opts.stuck_grace_ms) past libcurl's
 * timeout; a transfer is abandoned
 * only when a whole curl_multi_perform ran after the deadline without
 * ending it. A transfer libcurl still runs has then been ended by libcurl's
 * own timeout, so normal timeouts keep their verdict and words, however
 * slow the machine. */
#define CS_HTTP_DEADLINE_GRACE_MS 1000
/* Retry-After (a header's, or a body's retry_after) above a day is taken as
 * a day: the retry budget then gives up with a message saying so. */
#define CS_HTTP_MAX_RETRY_AFTER_S 86400L
/* How often our loops look at stop flags and deadlines at the latest. */
#define CS_HTTP_TURN_MS 100

static inline int64_t cs_http_deadline(const cs_http_xfer *x, int64_t started)
{
	return started + x->timeout_ms + x->grace_ms;
}

/* Marks the attempt as abandoned at our deadline after ran_ms, and returns
 * the code its verdict takes (a retryable timeout, worded by stuck_ms). The
 * caller takes the handle out of its multi handle. */
static inline CURLcode cs_http_xfer_abandon(cs_http_xfer *x, int64_t ran_ms)
{
	x->stuck_ms = ran_ms > 0 ? (long)ran_ms : 1;
	return CURLE_OPERATION_TIMEDOUT;
}

/* Runs the attempt set up on c (cs_http_xfer_setup) on m, the blocking
 * client's own multi handle, until libcurl ends it, x->should_stop fires
 * (CURLE_ABORTED_BY_CALLBACK) or our deadline passes (abandoned); c is out
 * of m again when it returns (drive.c). */
CURLcode cs_http_drive(CURLM *m, CURL *c, cs_http_xfer *x);

/* One request's attempts so far. */
typedef struct cs_http_attempts {
	int attempts;
	long waited_ms;
	int last; /* the verdict of the last attempt (http.c) */
	int64_t t0;
	char why[256]; /* the last failure, in words */
} cs_http_attempts;

void cs_http_apply_defaults(cs_http_opts *o);

/* The request's header lines: checked, built and wiped by headers.h. */

/* Resets c and sets every option of one attempt of req: URL, TLS (with the
 * CA bundle of cs_http_global_ca_file), timeouts, the body cap,
 * keep-alive, HTTP/2 where offered, compression, headers, callbacks into x
 * and resp (whose body is emptied and capped at o->max_body). */
void cs_http_xfer_setup(CURL *c, const cs_http_opts *o, const cs_http_req *req,
			struct curl_slist *hdrs, cs_http_xfer *x, cs_http_resp *resp);

/* Counts an attempt about to be sent. */
void cs_http_attempt_begin(cs_http_stats *stats, cs_http_attempts *st);

/* After an attempt of req ended with rc (resp filled by x): judges it
 * (stats, the budget, the log) and decides what comes next. Returns 0 with
 * *wait_ms < 0 when the answer is final, 0 with *wait_ms >= 0 when the
 * request should be tried again after that wait, or a negative code with
 * err set when it failed for good. */
int cs_http_after_attempt(const cs_http_opts *o, cs_http_stats *stats, const cs_http_req *req,
			  CURL *c, CURLcode rc, cs_http_xfer *x, cs_http_resp *resp,
			  cs_http_attempts *st, long *wait_ms, cs_err *err);

#endif
