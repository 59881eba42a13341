/* The HTTP event loop: one thread, one libcurl multi handle, many transfers.
 *
 * A call moves through four lists, all owned by the loop's thread:
 *   incoming  (submitted from any thread, under the lock)
 *   pending   waiting for a place in flight, or for a retry or budget hold
 *   scheduled holding a send time from its budget (counts as in flight)
 *   active    on the wire (added to the multi handle)
 * and ends with its done callback. At most max_in_flight calls are
 * scheduled or active at once, so a budget never hands out send times far
 * ahead of what can be sent. A budget that holds its requests (a spent
 * window, a 429) keeps only its own calls pending; other applications'
 * calls go past them.
 *
 * It must never parse a body, touch a database or sleep: every wait is a
 * timer of curl_multi_poll. Answers are judged and retried by the same
 * policy as cs_http_do (http_int.h). Each call owns its easy handle; the
 * multi handle owns the connections, so they are reused across calls.
 * Stop flags and every active call's deadline (http_int.h) are checked
 * here, between polls, never in a libcurl callback: a transfer libcurl
 * left stuck is removed and its attempt fails as abandoned. */
#include "http/loop.h"
#include "http/http_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A budget hold longer than this keeps the call pending instead of taking
 * a place in flight for it. */
#define LOOKAHEAD_MS 1000
/* Stop requests are noticed within this. */
#define STOP_POLL_MS CS_HTTP_TURN_MS

enum call_state { C_IDLE = 0, C_INCOMING, C_PENDING, C_SCHEDULED, C_ACTIVE, C_DONE };
enum wait_kind { W_NONE = 0, W_HELD, W_RETRY };

struct cs_http_call {
	struct cs_http_call *next, *prev; /* in one of the loop's lists */
	int state;
	int wait;           /* enum wait_kind, while pending with not_before */
	int64_t not_before; /* monotonic ms: pending until, or scheduled send time */
	int64_t started;    /* monotonic ms: after the active attempt's first perform; 0 before */
	int fresh;          /* the last attempt was abandoned: the next one on a new connection */
	CURL *easy;
	cs_http_opts o;
	cs_http_req req; /* points into the copies below */
	char *method, *url, *log_url, *body;
	struct curl_slist *hdrs;
	cs_http_xfer x;
	cs_http_resp resp;
	cs_http_attempts st;
	cs_http_stats stats;
	int rc;
	cs_err err;
	cs_http_call_fn done;
	void *ud;
};

typedef struct call_list {
	cs_http_call *head, *tail;
	int n;
} call_list;

struct cs_http_loop {
	pthread_t thread;
	pthread_mutex_t mu; /* incoming, shutdown, info */
	CURLM *multi;
	int max_in_flight;
	int shutdown;
	call_list incoming, pending, scheduled, active;
	cs_http_stats totals;
	char retry_why[256];
	long retry_status;          /* of the latest retry scheduled */
	int retry_n, retry_max;
	cs_http_loop_info info; /* published at the end of every turn */
};

/* ---- lists -------------------------------------------------------------- */

static void list_push(call_list *l, cs_http_call *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void list_remove(call_list *l, cs_http_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->next = c->prev = NULL;
	l->n--;
}

static call_list *list_of(cs_http_loop *l, const cs_http_call *c)
{
	switch (c->state) {
	case C_PENDING: return &l->pending;
	case C_SCHEDULED: return &l->scheduled;
	case C_ACTIVE: return &l->active;
	default: return NULL;
	}
}

static void move_to(cs_http_loop *l, cs_http_call *c, int state)
{
	call_list *from = list_of(l, c);
	if (from)
		list_remove(from, c);
	c->state = state;
	call_list *to = list_of(l, c);
	if (to)
		list_push(to, c);
}

/* ---- calls -------------------------------------------------------------- */

cs_http_call *cs_http_call_new(void)
{
	cs_http_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		return NULL;
	}
	cs_http_resp_init(&c->resp);
	return c;
}

static void call_clear_request(cs_http_call *c)
{
	cs_http_headers_free(c->hdrs);
	c->hdrs = NULL;
	free(c->method);
	free(c->url);
	free(c->log_url);
	free(c->body);
	c->method = c->url = c->log_url = c->body = NULL;
}

void cs_http_call_free(cs_http_call *c)
{
	if (!c)
		return;
	call_clear_request(c);
	cs_http_resp_release(&c->resp);
	curl_easy_cleanup(c->easy);
	free(c);
}

cs_http_resp *cs_http_call_resp(cs_http_call *c)
{
	return &c->resp;
}

int cs_http_call_result(const cs_http_call *c, cs_err *err)
{
	if (c->rc && err)
		*err = c->err;
	return c->rc;
}

const char *cs_http_call_url(const cs_http_call *c)
{
	return c->url ? c->url : "";
}

const cs_http_stats *cs_http_call_stats(const cs_http_call *c)
{
	return &c->stats;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int copy_request(cs_http_call *c, const cs_http_req *req)
{
	int oom = 0;
	c->method = strdup(req->method);
	c->url = strdup(req->url);
	c->log_url = dup_or_null(req->log_url);
	if (req->body) {
		c->body = malloc(req->body_len + 1);
		if (c->body) {
			memcpy(c->body, req->body, req->body_len);
			c->body[req->body_len] = '\0';
		}
	}
	c->hdrs = cs_http_headers_build(req, &oom);
	if (oom || !c->method || !c->url || (req->log_url && !c->log_url) ||
	    (req->body && !c->body))
		return -1;
	c->req = *req;
	c->req.method = c->method;
	c->req.url = c->url;
	c->req.log_url = c->log_url;
	c->req.body = c->body;
	c->req.headers = NULL; /* already in hdrs */
	return 0;
}

/* ---- the loop's thread -------------------------------------------------- */

static int64_t scaled_after(int64_t now, int64_t at)
{
	return at > now ? now + cs_http_scaled_ms((long)(at - now)) : now;
}

static void finish(cs_http_loop *l, cs_http_call *c, int rc)
{
	if (c->state == C_ACTIVE)
		curl_multi_remove_handle(l->multi, c->easy);
	move_to(l, c, C_DONE);
	c->rc = rc;
	c->x.cur = NULL;
	c->done(c, c->ud);
}

static void start(cs_http_loop *l, cs_http_call *c)
{
	cs_http_xfer_setup(c->easy, &c->o, &c->req, c->hdrs, &c->x, &c->resp);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	if (c->fresh) {
		/* What kept the last attempt stuck lives on in the shared
		 * connection cache (libcurl 7.88.1 keeps a connection whose first
		 * request failed, and PIPEWAIT transfers wait on it forever): this
		 * one neither waits nor reuses; its answer settles the host's
		 * connections for the calls after it. */
		curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c->easy, CURLOPT_PIPEWAIT, 0L);
		c->fresh = 0;
	}
	cs_http_attempt_begin(&c->stats, &c->st);
	l->totals.requests++;
	if (c->st.attempts > 1)
		l->totals.retries++;
	c->started = 0;
	CURLMcode mc = curl_multi_add_handle(l->multi, c->easy);
	if (mc != CURLM_OK) {
		move_to(l, c, C_PENDING);
		finish(l, c, cs_err_set(&c->err, CS_ERR, "%s %s: cannot start the transfer: %s",
					c->method, c->url, curl_multi_strerror(mc)));
		return;
	}
	move_to(l, c, C_ACTIVE);
}

static int stop_requested(const cs_http_call *c)
{
	return c->o.should_stop && c->o.should_stop();
}

static void check_stops(cs_http_loop *l, call_list *list, int shutdown)
{
	for (cs_http_call *c = list->head, *next; c; c = next) {
		next = c->next;
		if (shutdown || stop_requested(c))
			finish(l, c, cs_err_set(&c->err, CS_EINTR, "%s %s: interrupted", c->method,
						c->url));
	}
}

/* Pending calls whose wait is over take a place in flight, in order, as
 * long as there is one and their budget hands out a send time. */
static void admit(cs_http_loop *l, int64_t now)
{
	for (cs_http_call *c = l->pending.head, *next; c; c = next) {
		next = c->next;
		if (l->scheduled.n + l->active.n >= l->max_in_flight)
			return;
		if (c->not_before > now)
			continue;
		c->wait = W_NONE;
		int64_t at = now;
		if (c->o.budget) {
			cs_http_budget_info bi;
			cs_http_budget_get_info(c->o.budget, &bi);
			if (bi.hold_ms > LOOKAHEAD_MS) {
				c->wait = W_HELD;
				c->not_before = scaled_after(now, now + bi.hold_ms);
				continue;
			}
			if (!cs_http_budget_reserve(c->o.budget, &at)) {
				c->wait = W_HELD;
				c->not_before = scaled_after(now, at);
				continue;
			}
		}
		at = scaled_after(now, at);
		if (at <= now) {
			start(l, c);
		} else {
			c->not_before = at;
			move_to(l, c, C_SCHEDULED);
		}
	}
}

static void start_due(cs_http_loop *l, int64_t now)
{
	for (cs_http_call *c = l->scheduled.head, *next; c; c = next) {
		next = c->next;
		if (c->not_before <= now)
			start(l, c);
	}
}

/* An attempt of active call c ended with rc: a final answer or failure
 * ends the call; anything the policy retries goes back to pending until
 * its wait is over. */
static void attempt_ended(cs_http_loop *l, cs_http_call *c, CURLcode rc)
{
	curl_multi_remove_handle(l->multi, c->easy);
	move_to(l, c, C_PENDING);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->resp.status);
	long throttled = c->stats.throttled, errors = c->stats.errors, wait;
	int r = cs_http_after_attempt(&c->o, &c->stats, &c->req, c->easy, rc, &c->x, &c->resp,
				      &c->st, &wait, &c->err);
	l->totals.throttled += c->stats.throttled - throttled;
	l->totals.errors += c->stats.errors - errors;
	if (r < 0 || wait < 0) {
		finish(l, c, r);
		return;
	}
	int64_t now = cs_time_mono_ms();
	c->wait = W_RETRY;
	c->not_before = scaled_after(now, now + wait);
	_Static_assert(sizeof(l->retry_why) == sizeof(c->st.why), "retry_why");
	memcpy(l->retry_why, c->st.why, sizeof(l->retry_why));
	l->retry_status = rc == CURLE_OK ? c->resp.status : 0;
	l->retry_n = c->st.attempts;
	l->retry_max = c->o.max_retries;
}

/* Transfers libcurl ended. */
static void reap(cs_http_loop *l)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(l->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		cs_http_call *c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		attempt_ended(l, c, m->data.result);
	}
}

/* Transfers that a whole perform (begun at `before`, ended by `after`)
 * ran past our deadline without ending: stuck, abandoned (http_int.h). Run
 * after reap, so one that libcurl timed out itself keeps its verdict. A
 * transfer's clock starts after its first perform, as libcurl's does. */
static void expire(cs_http_loop *l, int64_t before, int64_t after)
{
	for (cs_http_call *c = l->active.head, *next; c; c = next) {
		next = c->next;
		if (!c->started)
			c->started = after;
		else if (before >= cs_http_deadline(&c->x, c->started)) {
			c->fresh = 1;
			attempt_ended(l, c, cs_http_xfer_abandon(&c->x, after - c->started));
		}
	}
}

static long next_timeout(cs_http_loop *l, int64_t now)
{
	long t = -1;
	curl_multi_timeout(l->multi, &t);
	if (t < 0 || t > STOP_POLL_MS)
		t = STOP_POLL_MS; /* stop flags are polled, not signalled */
	for (const cs_http_call *c = l->active.head; c; c = c->next) {
		int64_t left = cs_http_deadline(&c->x, c->started) - now;
		if (c->started && left < t)
			t = left > 0 ? (long)left : 0;
	}
	const call_list *lists[] = {&l->pending, &l->scheduled};
	for (size_t i = 0; i < 2; i++)
		for (const cs_http_call *c = lists[i]->head; c; c = c->next)
			if (c->not_before > now && c->not_before - now < t)
				t = (long)(c->not_before - now);
			else if (c->not_before <= now && (i == 1 || l->scheduled.n + l->active.n <
									     l->max_in_flight))
				t = 0;
	return t;
}

static void publish(cs_http_loop *l, int64_t now)
{
	cs_http_loop_info in = {.max_in_flight = l->max_in_flight, .in_flight = l->active.n,
				.paced = l->scheduled.n};
	for (const cs_http_call *c = l->pending.head; c; c = c->next) {
		int64_t left = c->not_before > now ? c->not_before - now : 0;
		if (c->wait == W_RETRY && left > 0) {
			in.retrying++;
			if (left > in.retry_ms)
				in.retry_ms = left;
		} else if (c->wait == W_HELD && left > 0) {
			in.held++;
			if (left > in.hold_ms)
				in.hold_ms = left;
		} else {
			in.queued++;
		}
	}
	in.requests = l->totals.requests;
	in.retries = l->totals.retries;
	in.throttled = l->totals.throttled;
	in.errors = l->totals.errors;
	in.retry_status = l->retry_status;
	in.retry_n = l->retry_n;
	in.retry_max = l->retry_max;
	snprintf(in.retry_why, sizeof(in.retry_why), "%.*s", (int)sizeof(in.retry_why) - 1,
		 l->retry_why);
	pthread_mutex_lock(&l->mu);
	l->info = in;
	pthread_mutex_unlock(&l->mu);
}

static void *loop_main(void *arg)
{
	cs_http_loop *l = arg;
	for (;;) {
		pthread_mutex_lock(&l->mu);
		int shutdown = l->shutdown;
		cs_http_call *in = l->incoming.head;
		l->incoming.head = l->incoming.tail = NULL;
		l->incoming.n = 0;
		pthread_mutex_unlock(&l->mu);
		for (cs_http_call *c = in, *next; c; c = next) {
			next = c->next;
			c->next = c->prev = NULL;
			c->state = C_PENDING;
			list_push(&l->pending, c);
		}
		check_stops(l, &l->active, shutdown);
		check_stops(l, &l->scheduled, shutdown);
		check_stops(l, &l->pending, shutdown);
		int64_t now = cs_time_mono_ms();
		if (shutdown) {
			publish(l, now);
			return NULL;
		}
		start_due(l, now);
		admit(l, now);
		int running;
		int64_t before = cs_time_mono_ms();
		curl_multi_perform(l->multi, &running);
		reap(l);
		now = cs_time_mono_ms();
		expire(l, before, now);
		start_due(l, now);
		admit(l, now);
		publish(l, now);
		curl_multi_poll(l->multi, NULL, 0, (int)next_timeout(l, now), NULL);
	}
}

/* ---- the public side ---------------------------------------------------- */

int cs_http_loop_new(int max_in_flight, cs_http_loop **out, cs_err *err)
{
	*out = NULL;
	cs_http_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return cs_err_set(err, CS_ERR, "cannot start the HTTP loop: out of memory");
	l->max_in_flight = max_in_flight > 0 ? max_in_flight : 1;
	l->multi = curl_multi_init();
	if (!l->multi) {
		free(l);
		return cs_err_set(err, CS_ERR, "cannot start the HTTP loop: curl_multi_init failed");
	}
	/* One connection per request in flight (HTTP/1.1), kept between
	 * requests; HTTP/2 multiplexes them over fewer. */
	curl_multi_setopt(l->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)l->max_in_flight);
	curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)l->max_in_flight);
	curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	pthread_mutex_init(&l->mu, NULL);
	l->info.max_in_flight = l->max_in_flight;
	if (pthread_create(&l->thread, NULL, loop_main, l)) {
		pthread_mutex_destroy(&l->mu);
		curl_multi_cleanup(l->multi);
		free(l);
		return cs_err_set(err, CS_ERR, "cannot start the HTTP loop: no thread");
	}
	*out = l;
	return 0;
}

void cs_http_loop_free(cs_http_loop *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->shutdown = 1;
	pthread_mutex_unlock(&l->mu);
	curl_multi_wakeup(l->multi);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->mu);
	curl_multi_cleanup(l->multi);
	free(l);
}

static pthread_mutex_t g_shared_mu = PTHREAD_MUTEX_INITIALIZER;
static cs_http_loop *g_shared;
static int g_shared_refs;

int cs_http_loop_share(int max_in_flight, cs_http_loop **out, cs_err *err)
{
	pthread_mutex_lock(&g_shared_mu);
	int rc = 0;
	if (!g_shared)
		rc = cs_http_loop_new(max_in_flight, &g_shared, err);
	if (rc == 0)
		g_shared_refs++;
	*out = g_shared;
	pthread_mutex_unlock(&g_shared_mu);
	return rc;
}

void cs_http_loop_unshare(cs_http_loop *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&g_shared_mu);
	cs_http_loop *stop = NULL;
	if (l == g_shared && --g_shared_refs == 0) {
		stop = g_shared;
		g_shared = NULL;
	}
	pthread_mutex_unlock(&g_shared_mu);
	cs_http_loop_free(stop);
}

int cs_http_loop_submit(cs_http_loop *l, cs_http_call *c, const cs_http_req *req,
			const cs_http_opts *opts, cs_http_call_fn done, void *ud, cs_err *err)
{
	if (c->state != C_IDLE && c->state != C_DONE)
		return cs_err_set(err, CS_ERR, "%s %s: the request slot is still in use", req->method,
				  req->url);
	int rc = cs_http_headers_check(req, err);
	if (rc)
		return rc;
	call_clear_request(c);
	if (copy_request(c, req)) {
		call_clear_request(c);
		return cs_err_set(err, CS_ERR, "%s %s: out of memory", req->method, req->url);
	}
	memset(&c->o, 0, sizeof(c->o));
	if (opts)
		c->o = *opts;
	cs_http_apply_defaults(&c->o);
	memset(&c->st, 0, sizeof(c->st));
	memset(&c->stats, 0, sizeof(c->stats));
	c->stats.rl_remaining = -1;
	cs_err_clear(&c->err);
	c->rc = 0;
	c->wait = W_NONE;
	c->not_before = 0;
	c->fresh = 0;
	c->done = done;
	c->ud = ud;
	pthread_mutex_lock(&l->mu);
	c->state = C_INCOMING;
	list_push(&l->incoming, c);
	pthread_mutex_unlock(&l->mu);
	curl_multi_wakeup(l->multi);
	return 0;
}

void cs_http_loop_get_info(cs_http_loop *l, cs_http_loop_info *out)
{
	pthread_mutex_lock(&l->mu);
	*out = l->info;
	pthread_mutex_unlock(&l->mu);
}
