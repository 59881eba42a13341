/* HTTP over libcurl. One easy handle per client, run on the client's own
 * multi handle (drive.c), which keeps the connection alive between
 * requests; every request re-applies all options after curl_easy_reset,
 * which forgets the previous request's method, body and headers. The
 * options of an attempt and the retry policy live here, shared with the
 * event loop (loop.c) through http_int.h; it must never turn off TLS
 * verification, never retry past max_retries or the retry budget, never
 * log a URL that carries a secret (log_url), and never leave the end of a
 * transfer to libcurl alone (our deadline, http_int.h). */
#include "http/http_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct cs_http {
	CURL *curl;
	CURLM *multi; /* runs curl's transfers and keeps its connections */
	cs_http_opts o; /* with defaults applied */
	cs_http_stats stats;
	cs_http_xfer x; /* the callbacks' state during a request */
};

int cs_http_global_init(cs_err *err)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return cs_err_set(err, CS_ERR, "cannot initialise libcurl: %s",
				  curl_easy_strerror(rc));
	if (sodium_init() < 0)
		return cs_err_set(err, CS_ERR, "cannot initialise libsodium: no usable randomness");
	return 0;
}

void cs_http_apply_defaults(cs_http_opts *o)
{
	if (o->connect_timeout_ms <= 0)
		o->connect_timeout_ms = 10000;
	if (o->timeout_ms <= 0)
		o->timeout_ms = 60000;
	/* 0 is "not set"; a negative value means no retries at all. */
	if (o->max_retries == 0)
		o->max_retries = 8;
	else if (o->max_retries < 0)
		o->max_retries = 0;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = 500;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = 30000;
	if (o->retry_budget_ms <= 0)
		o->retry_budget_ms = 300000;
	if (o->stuck_grace_ms <= 0)
		o->stuck_grace_ms = CS_HTTP_DEADLINE_GRACE_MS;
	if (o->max_body == 0)
		o->max_body = CS_BUF_DEFAULT_MAX;
}

cs_http *cs_http_new(const cs_http_opts *opts, cs_err *err)
{
	cs_http *h = calloc(1, sizeof(*h));
	if (!h) {
		cs_err_set(err, CS_ERR, "cannot create the HTTP client: out of memory");
		return NULL;
	}
	if (opts)
		h->o = *opts;
	cs_http_apply_defaults(&h->o);
	h->stats.rl_remaining = -1;
	h->curl = curl_easy_init();
	h->multi = curl_multi_init();
	if (!h->curl || !h->multi) {
		cs_http_free(h);
		cs_err_set(err, CS_ERR, "cannot create the HTTP client: libcurl is out of memory");
		return NULL;
	}
	return h;
}

void cs_http_free(cs_http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi); /* the handle is never left in it */
	curl_easy_cleanup(h->curl);
	free(h);
}

const cs_http_stats *cs_http_get_stats(const cs_http *h)
{
	return &h->stats;
}

void cs_http_count(cs_http *h, const cs_http_stats *more)
{
	h->stats.requests += more->requests;
	h->stats.retries += more->retries;
	h->stats.throttled += more->throttled;
	h->stats.errors += more->errors;
	if (more->rl_remaining >= 0)
		h->stats.rl_remaining = more->rl_remaining;
}

const cs_http_opts *cs_http_get_opts(const cs_http *h)
{
	return &h->o;
}

cs_http_budget *cs_http_get_budget(const cs_http *h)
{
	return h->o.budget;
}

void cs_http_set_budget(cs_http *h, cs_http_budget *b)
{
	h->o.budget = b;
}


static CURLcode perform(cs_http *h, const cs_http_req *req, struct curl_slist *hdrs,
			cs_http_resp *resp)
{
	cs_http_xfer_setup(h->curl, &h->o, req, hdrs, &h->x, resp);
	if (!h->multi && !(h->multi = curl_multi_init())) {
		snprintf(h->x.errbuf, sizeof(h->x.errbuf), "cannot start the transfer: out of memory");
		return CURLE_OUT_OF_MEMORY;
	}
	CURLcode rc = cs_http_drive(h->multi, h->curl, &h->x);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (h->x.stuck_ms > 0) {
		/* What kept it stuck lives on in the multi handle's connection
		 * cache (libcurl 7.88.1: a connection whose first request failed
		 * is kept, and PIPEWAIT transfers wait on it forever): start the
		 * next attempt on a new one. */
		curl_multi_cleanup(h->multi);
		h->multi = curl_multi_init(); /* NULL: made again, or failed, next time */
	}
	h->x.cur = NULL;
	return rc;
}

/* Transport failures worth another attempt, and how to name them. */
static const struct {
	CURLcode code;
	const char *what;
} retryable[] = {
	{CURLE_COULDNT_CONNECT, NULL /* from errno */},
	{CURLE_OPERATION_TIMEDOUT, "timed out"},
	{CURLE_RECV_ERROR, "the connection failed while receiving"},
	{CURLE_SEND_ERROR, "the connection failed while sending"},
	{CURLE_GOT_NOTHING, "the server closed the connection without answering"},
	{CURLE_PARTIAL_FILE, "the response body was cut short"},
};

static int is_retryable(CURLcode rc)
{
	for (size_t i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++)
		if (retryable[i].code == rc)
			return 1;
	return 0;
}

/* Describes a transport failure in lowercase words, without the URL. */
static void describe_failure(CURL *c, const cs_http_xfer *h, CURLcode rc, char *out, size_t n)
{
	if (h->stuck_ms > 0) { /* our deadline, not libcurl's timeout (http_int.h) */
		snprintf(out, n, "stuck in libcurl, abandoned after %ld ms (libcurl's %ld ms timeout "
			 "never fired; it may have run out of memory: check free memory and run again)",
			 h->stuck_ms, h->timeout_ms);
		return;
	}
	for (size_t i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++) {
		if (retryable[i].code == rc && retryable[i].what) {
			snprintf(out, n, "%s", retryable[i].what);
			return;
		}
	}
	long os_errno = 0;
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	char tmp[128];
	if (rc == CURLE_COULDNT_CONNECT && os_errno)
		snprintf(out, n, "%s", strerror_r((int)os_errno, tmp, sizeof(tmp)));
	else if (rc == CURLE_COULDNT_RESOLVE_HOST)
		snprintf(out, n, "could not resolve the host");
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(out, n, "the server's TLS certificate is not trusted (%.100s); if a "
			 "private CA signed it, set CLASSY_SYNC_CA_FILE to its certificate",
			 h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
	else
		snprintf(out, n, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
	if (!isupper((unsigned char)out[1])) /* "SSL ..." stays */
		out[0] = (char)tolower((unsigned char)out[0]);
}

static long body_retry_after(const cs_http_resp *r)
{
	if (r->body.len == 0 || r->body.len > 4096)
		return -1;
	cJSON *j = cJSON_ParseWithLength(r->body.data, r->body.len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "retry_after");
	long s = !cJSON_IsNumber(v) || !(v->valuedouble >= 0) ? -1
		 : v->valuedouble >= CS_HTTP_MAX_RETRY_AFTER_S	  ? CS_HTTP_MAX_RETRY_AFTER_S
							  : (long)v->valuedouble;
	cJSON_Delete(j);
	return s;
}

static long backoff_ms(const cs_http_opts *o, int retry)
{
	long cap = o->backoff_base_ms;
	for (int i = 0; i < retry && cap < o->backoff_max_ms; i++)
		cap *= 2;
	if (cap > o->backoff_max_ms)
		cap = o->backoff_max_ms;
	/* Full jitter: clients that failed together do not retry together. */
	return (long)randombytes_uniform((uint32_t)cap + 1);
}

/* ---- the retry loop ----------------------------------------------------- */

enum verdict { V_DONE, V_THROTTLED, V_SERVER, V_TRANSPORT, V_FATAL };

static void note_rate_limit(const cs_http_opts *o, cs_http_stats *stats, const cs_http_resp *r,
			    int throttled)
{
	long remaining = r->rl_remaining, reset = r->rl_reset;
	if (r->rl_remaining >= 0)
		stats->rl_remaining = r->rl_remaining;
	if (throttled && r->retry_after_s > 0) {
		/* The server said when to come back: every client sharing the
		 * budget holds off until then, not just this request. */
		if (remaining < 0)
			remaining = 0;
		if (reset < 0)
			reset = r->retry_after_s;
	}
	if (o->budget)
		cs_http_budget_observe(o->budget, r->rl_limit, remaining, reset);
}

static enum verdict judge(const cs_http_opts *o, cs_http_stats *stats, CURL *c,
			  const cs_http_xfer *x, CURLcode rc, cs_http_resp *resp,
			  cs_http_attempts *st)
{
	if (rc != CURLE_OK) {
		resp->conn_failed = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
				    rc == CURLE_PEER_FAILED_VERIFICATION;
		describe_failure(c, x, rc, st->why, sizeof(st->why));
		stats->errors++;
		return is_retryable(rc) ? V_TRANSPORT : V_FATAL;
	}
	int throttled = resp->status == 429 || resp->status == 503;
	if (throttled && resp->retry_after_s < 0)
		resp->retry_after_s = body_retry_after(resp);
	note_rate_limit(o, stats, resp, throttled);
	if (throttled) {
		stats->throttled++;
		snprintf(st->why, sizeof(st->why), "throttled (%ld)", resp->status);
		return V_THROTTLED;
	}
	if (resp->status >= 500) {
		stats->errors++;
		snprintf(st->why, sizeof(st->why), "server error %ld", resp->status);
		return V_SERVER;
	}
	return V_DONE;
}

static int give_up(const cs_http_req *req, const cs_http_resp *resp,
		   const cs_http_attempts *st, const char *extra, cs_err *err)
{
	int code = st->last == V_THROTTLED ? CS_ERATELIMIT : CS_ETRANSPORT;
	cs_err_set(err, code, "%s %s: %s after %d attempt%s%s", req->method, req->url, st->why,
		   st->attempts, st->attempts == 1 ? "" : "s", extra);
	if (err)
		err->http_status = st->last == V_THROTTLED || st->last == V_SERVER ? resp->status : 0;
	return code;
}

/* The URL as logs may show it (see cs_http_req.log_url). */
static const char *shown_url(const cs_http_req *req)
{
	return req->log_url ? req->log_url : req->url;
}

static void log_attempt(const cs_http_req *req, const cs_http_resp *resp, CURLcode rc,
			const cs_http_attempts *st)
{
	if (cs_log_level() > CS_LOG_DEBUG)
		return;
	long ms = (long)(cs_time_mono_ms() - st->t0);
	if (rc == CURLE_OK)
		cs_debug("%s %s -> %ld (%ld ms)", req->method, shown_url(req), resp->status, ms);
	else
		cs_debug("%s %s -> %s (%ld ms)", req->method, shown_url(req), st->why, ms);
}

/* Fault injection for the fault campaign (tests/faults/run):
 * CLASSY_SYNC_TEST_KILL_AT_REQUEST=N sends SIGKILL to this process when its
 * Nth answer (counted over every handle and thread) has arrived, before the
 * caller sees it: a crash at the moment a received answer is not yet
 * recorded. Never set outside tests. */
static void maybe_kill(void)
{
	static atomic_long answers, kill_at = -1; /* atomic: pool threads come here */
	if (atomic_load(&kill_at) < 0) {
		const char *v = getenv("CLASSY_SYNC_TEST_KILL_AT_REQUEST");
		atomic_store(&kill_at, v ? atol(v) : 0);
	}
	long at = atomic_load(&kill_at);
	if (at > 0 && atomic_fetch_add(&answers, 1) + 1 == at)
		raise(SIGKILL);
}

void cs_http_attempt_begin(cs_http_stats *stats, cs_http_attempts *st)
{
	if (st->attempts++ > 0)
		stats->retries++;
	stats->requests++;
	st->t0 = cs_time_mono_ms();
}

static long next_wait_ms(const cs_http_opts *o, const cs_http_resp *resp,
			 const cs_http_attempts *st)
{
	if (st->last == V_THROTTLED && resp->retry_after_s >= 0)
		return resp->retry_after_s * 1000;
	return backoff_ms(o, st->attempts - 1);
}

int cs_http_after_attempt(const cs_http_opts *o, cs_http_stats *stats, const cs_http_req *req,
			  CURL *c, CURLcode rc, cs_http_xfer *x, cs_http_resp *resp,
			  cs_http_attempts *st, long *wait_ms, cs_err *err)
{
	*wait_ms = -1;
	maybe_kill();
	if (rc == CURLE_FILESIZE_EXCEEDED) /* a declared Content-Length over the cap */
		x->overflow = 1;
	st->last = judge(o, stats, c, x, rc, resp, st);
	log_attempt(req, resp, rc, st);
	if (x->overflow)
		return cs_err_set(err, CS_EPROTO,
				  "%s %s: the response is larger than the %zu byte limit; "
				  "the API sent more than a page should hold",
				  req->method, req->url, o->max_body);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return cs_err_set(err, CS_EINTR, "%s %s: interrupted", req->method, req->url);
	if (st->last == V_FATAL)
		return give_up(req, resp, st, "", err);
	if (st->last == V_DONE)
		return 0;
	/* Without retries there is no policy to apply to an answer: the
	 * caller judges a 429 or 5xx like any other status. */
	if (req->no_retry && st->last != V_TRANSPORT)
		return 0;
	int max_attempts = req->no_retry ? 1 : o->max_retries + 1;
	if (st->attempts >= max_attempts)
		return give_up(req, resp, st, "", err);
	long wait = next_wait_ms(o, resp, st);
	if (st->waited_ms + wait > o->retry_budget_ms) {
		char extra[160];
		snprintf(extra, sizeof(extra), " (the next wait of %ld ms would pass the "
			 "retry budget of %ld ms)", wait, o->retry_budget_ms);
		return give_up(req, resp, st, extra, err);
	}
	cs_debug("%s %s: %s, retrying in %ld ms", req->method, shown_url(req), st->why, wait);
	cs_http_wait w = {req->method, shown_url(req), o->label, st->why,
			  st->last == V_TRANSPORT ? 0 : resp->status, st->attempts, o->max_retries, wait};
	if (o->on_wait)
		o->on_wait(&w, o->wait_ud);
	st->waited_ms += wait;
	*wait_ms = wait;
	return 0;
}

int cs_http_do(cs_http *h, const cs_http_req *req, cs_http_resp *resp, cs_err *err)
{
	cs_http_attempts st = {0};
	int oom, rc = 0;
	if ((rc = cs_http_headers_check(req, err)))
		return rc;
	struct curl_slist *hdrs = cs_http_headers_build(req, &oom);
	if (oom) {
		rc = cs_err_set(err, CS_ERR, "%s %s: out of memory", req->method, req->url);
		goto out;
	}
	for (;;) {
		if (h->o.budget && cs_http_budget_acquire(h->o.budget, h->o.should_stop) == CS_EINTR) {
			rc = cs_err_set(err, CS_EINTR, "%s %s: interrupted", req->method, req->url);
			goto out;
		}
		cs_http_attempt_begin(&h->stats, &st);
		CURLcode cc = perform(h, req, hdrs, resp);
		long wait;
		rc = cs_http_after_attempt(&h->o, &h->stats, req, h->curl, cc, &h->x, resp, &st, &wait,
					   err);
		if (rc < 0 || wait < 0)
			goto out;
		if (cs_http_sleep_ms(wait, h->o.should_stop) == CS_EINTR) {
			rc = cs_err_set(err, CS_EINTR, "%s %s: interrupted while waiting to retry",
					req->method, req->url);
			goto out;
		}
	}
out:
	cs_http_headers_free(hdrs);
	return rc;
}
