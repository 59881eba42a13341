#ifndef CS_HTTP_INT_H
#define CS_HTTP_INT_H
/* Internals shared by http.c (one blocking transfer at a time) and loop.c
 * (many transfers on one event loop): the options of an attempt, the
 * callbacks' state and the retry policy, so both paths judge answers and
 * retry exactly alike. Not a public interface. */
#include "http/headers.h"
#include "http/http.h"

#include <curl/curl.h>
#include <stdint.h>

/* What libcurl's callbacks fill during one attempt. */
typedef struct cs_http_xfer {
	cs_http_resp *cur; /* the response the callbacks fill */
	int overflow;      /* the body hit max_body */
	int (*should_stop)(void);
	char errbuf[CURL_ERROR_SIZE];
} cs_http_xfer;

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
