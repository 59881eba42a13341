/* Alert delivery: a bounded queue drained by one background thread that
 * POSTs each message to the webhook through cs_http, which retries 5xx,
 * 429 and transport failures with backoff inside a retry budget.
 *
 * Never makes the caller wait for a webhook: enqueueing takes a mutex for a
 * few pointer moves, and when the queue is full the oldest message goes.
 * Never logs the URL (it is a secret) and wipes it on free. */
#include "alert/alert.h"

#include "http/http.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_QUEUE 64
#define DEFAULT_BUDGET_MS 60000L
#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_COOLDOWN_MS (3600 * 1000LL)
#define DROP_LOG_EVERY 100 /* a flood of alerts must not become a flood of logs */

struct cs_alerter {
	char *url;        /* secret: never logged, wiped on free */
	char safe[300];   /* scheme://host, what logs show */
	cs_http *http;    /* used by the worker thread only */
	cs_alert_store store;
	cs_alert_memstore *own_store; /* when the caller gave none */
	int64_t cooldown_ms;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t work; /* signalled on enqueue and stop */
	pthread_cond_t idle; /* broadcast when a message was handled */
	char **q;            /* ring of JSON bodies */
	size_t head, len, cap;
	int in_flight;
	atomic_int stop;
	cs_alerter_stats st;
	pthread_t thread;

	pthread_mutex_t observe_mu; /* load, decide, save as one step */
};

/* cs_http's should_stop takes no argument; the worker thread records its
 * alerter here, and should_stop is only ever called on that thread (from
 * cs_http_sleep_ms, cs_http_do's transfer loop and libcurl's progress
 * callback). */
static _Thread_local cs_alerter *tl_self;

static int worker_should_stop(void)
{
	return tl_self && atomic_load(&tl_self->stop);
}

/* ---- delivery ------------------------------------------------------------ */

/* cs_http's messages read "POST <url>: why". The URL's secret parts were
 * registered for redaction (cs_alerter_new), so the message holds no token
 * even when the URL was long enough to be cut; the line names the webhook
 * already, so only the reason is kept. */
static const char *reason_of(const char *msg)
{
	const char *sep = strncmp(msg, "POST ", 5) == 0 ? strstr(msg + 5, ": ") : NULL;
	return sep ? sep + 2 : msg;
}

/* A short, printable excerpt of a webhook's answer ("no_service"). */
static void excerpt(const cs_buf *body, char *out, size_t n)
{
	size_t i = 0;
	for (const char *p = cs_buf_str(body); *p && i + 1 < n && i < 80; p++)
		out[i++] = (*p >= 0x20 && *p < 0x7f) ? *p : ' ';
	out[i] = '\0';
}

/* Returns 1 when the webhook took the message. */
static int deliver(cs_alerter *a, const char *body)
{
	static const char *const headers[] = {"Content-Type: application/json", NULL};
	char shown[256];
	cs_alert_redact_url(a->url, shown, sizeof(shown)); /* Slack puts its token in the path */
	cs_http_req req = {"POST", a->url, headers, body, strlen(body), 0, shown};
	cs_http_resp resp;
	cs_err err = {0};
	cs_http_resp_init(&resp);
	int rc = cs_http_do(a->http, &req, &resp, &err);
	int ok = rc == 0 && resp.status >= 200 && resp.status < 300;
	if (rc == CS_EINTR) {
		cs_warn("alert webhook %s: delivery abandoned at shutdown", a->safe);
	} else if (rc < 0) {
		cs_warn("alert webhook %s: cannot deliver an alert: %s", a->safe,
			reason_of(err.msg));
	} else if (!ok) {
		/* A 4xx is not retried: the URL or the payload is wrong. */
		char what[96];
		excerpt(&resp.body, what, sizeof(what));
		cs_warn("alert webhook %s answered %ld%s%s; check ALERT_WEBHOOK_URL", a->safe,
			resp.status, what[0] ? ": " : "", what);
	}
	cs_http_resp_release(&resp);
	return ok;
}

static void *worker(void *arg)
{
	cs_alerter *a = arg;
	tl_self = a;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->len == 0 && !atomic_load(&a->stop))
			pthread_cond_wait(&a->work, &a->mu);
		if (atomic_load(&a->stop))
			break;
		char *body = a->q[a->head];
		a->head = (a->head + 1) % a->cap;
		a->len--;
		a->in_flight = 1;
		pthread_mutex_unlock(&a->mu);

		int ok = deliver(a, body);
		free(body);

		pthread_mutex_lock(&a->mu);
		a->in_flight = 0;
		if (ok)
			a->st.sent++;
		else if (!atomic_load(&a->stop))
			a->st.failed++;
		else
			a->st.dropped++;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- the queue ----------------------------------------------------------- */

int cs_alerter_enqueue(cs_alerter *a, const char *json)
{
	char *copy = strdup(json);
	if (!copy)
		return CS_ERR;
	char *old = NULL;
	long dropped = 0;
	pthread_mutex_lock(&a->mu);
	if (a->len == a->cap) {
		old = a->q[a->head];
		a->head = (a->head + 1) % a->cap;
		a->len--;
		dropped = ++a->st.dropped;
	}
	a->q[(a->head + a->len) % a->cap] = copy;
	a->len++;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	if (old) {
		free(old);
		if (dropped == 1 || dropped % DROP_LOG_EVERY == 0)
			cs_warn("alert queue full (%zu waiting, webhook %s slow or down): dropped "
				"the oldest alert, %ld dropped so far",
				a->cap, a->safe, dropped);
	}
	return 0;
}

int cs_alerter_flush(cs_alerter *a, long timeout_ms)
{
	struct timespec until = cs_time_deadline_in(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&a->mu);
	while (a->len + (size_t)a->in_flight > 0 && !atomic_load(&a->stop))
		if (pthread_cond_timedwait(&a->idle, &a->mu, &until) == ETIMEDOUT)
			break;
	int left = (int)(a->len + (size_t)a->in_flight);
	pthread_mutex_unlock(&a->mu);
	return left;
}

void cs_alerter_get_stats(cs_alerter *a, cs_alerter_stats *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->st;
	out->pending = (long)(a->len + (size_t)a->in_flight);
	pthread_mutex_unlock(&a->mu);
}

/* ---- observing conditions ------------------------------------------------ */

int cs_alerter_observe(cs_alerter *a, const cs_alert *al, int firing, int64_t now_ms,
		       cs_err *err)
{
	cs_alert_record rec;
	memset(&rec, 0, sizeof(rec));
	if (cs_alert_key(al, rec.key, sizeof(rec.key)) != 0)
		return cs_err_set(err, CS_EUSAGE, "cannot observe an alert of unknown event %d",
				  al->event);
	pthread_mutex_lock(&a->observe_mu);
	char key[CS_ALERT_KEY_MAX];
	memcpy(key, rec.key, sizeof(key));
	int rc = a->store.load(a->store.ctx, key, &rec, err);
	int found = rc == 0;
	if (rc != 0 && rc != CS_ENOTFOUND)
		goto out;
	if (!found) { /* a store may have scribbled on rec before saying so */
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.key, key, sizeof(rec.key));
	}
	int d = cs_alert_decide(found ? &rec : NULL, firing, now_ms, a->cooldown_ms);
	rc = d;
	if (d != CS_ALERT_SEND_FIRING && d != CS_ALERT_SEND_RESOLVED)
		goto out;
	int status = d == CS_ALERT_SEND_FIRING ? CS_ALERT_STATE_FIRING : CS_ALERT_STATE_RESOLVED;
	int new_episode = rec.state != CS_ALERT_STATE_FIRING;
	char text[CS_ALERT_MSG_MAX];
	cs_buf body = CS_BUF_INIT;
	cs_alert_text(al, status, text, sizeof(text));
	rc = cs_alert_payload(al, status, status == CS_ALERT_STATE_FIRING && new_episode
						  ? now_ms : rec.since,
			      now_ms, &body, err);
	if (rc == 0)
		rc = cs_alerter_enqueue(a, cs_buf_str(&body));
	cs_buf_release(&body);
	if (rc != 0) {
		if (err && !err->msg[0])
			cs_err_set(err, CS_ERR, "cannot queue the alert '%s': out of memory",
				   rec.key);
		goto out;
	}
	cs_alert_record_apply(&rec, d, now_ms, text);
	rc = a->store.save(a->store.ctx, &rec, err);
	rc = rc == 0 ? d : rc;
out:
	pthread_mutex_unlock(&a->observe_mu);
	return rc;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void apply_defaults(cs_alerter_opts *o)
{
	if (o->queue_max == 0)
		o->queue_max = DEFAULT_QUEUE;
	if (o->retry_budget_ms <= 0)
		o->retry_budget_ms = DEFAULT_BUDGET_MS;
	if (o->timeout_ms <= 0)
		o->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (o->cooldown_ms <= 0)
		o->cooldown_ms = DEFAULT_COOLDOWN_MS;
}

static int init_sync(cs_alerter *a)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	/* flush waits against the monotonic clock: a clock step must not
	 * stretch or cut the wait. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->observe_mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->idle, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static cs_http *new_client(const cs_alerter_opts *o, cs_err *err)
{
	cs_http_opts ho = {0};
	ho.connect_timeout_ms = o->timeout_ms < 5000 ? o->timeout_ms : 5000;
	ho.timeout_ms = o->timeout_ms;
	ho.backoff_base_ms = 1000;
	ho.backoff_max_ms = 15000;
	ho.retry_budget_ms = o->retry_budget_ms;
	ho.max_body = 64 * 1024; /* a webhook answers "ok" */
	ho.should_stop = worker_should_stop;
	return cs_http_new(&ho, err);
}

static void release(cs_alerter *a)
{
	cs_http_free(a->http);
	cs_alert_memstore_free(a->own_store);
	if (a->url) {
		sodium_memzero(a->url, strlen(a->url));
		free(a->url);
	}
	free(a->q);
	free(a);
}

/* Frees what cs_alerter_new set up once the thread has stopped (or never
 * ran). */
static void destroy(cs_alerter *a)
{
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->observe_mu);
	release(a);
}

int cs_alerter_new(const cs_alerter_opts *opts, cs_alerter **out, cs_err *err)
{
	cs_alerter_opts o = *opts;
	*out = NULL;
	int rc = cs_alert_check_url(o.url, o.allow_http, err);
	if (rc)
		return rc;
	/* Slack's token is the path: no message may show it (util/redact.h). */
	if (cs_redact_add_url(o.url))
		return cs_err_set(err, CS_ERR, "cannot start alerts: out of memory");
	apply_defaults(&o);
	cs_alerter *a = calloc(1, sizeof(*a));
	if (!a)
		return cs_err_set(err, CS_ERR, "cannot start alerts: out of memory");
	a->cap = o.queue_max;
	a->cooldown_ms = o.cooldown_ms;
	a->url = strdup(o.url);
	a->q = calloc(a->cap, sizeof(*a->q));
	cs_alert_redact_url(o.url, a->safe, sizeof(a->safe));
	if (o.store)
		a->store = *o.store;
	else if ((a->own_store = cs_alert_memstore_new()))
		a->store = cs_alert_memstore_store(a->own_store);
	if (!a->url || !a->q || !a->store.load || init_sync(a) != 0) {
		release(a);
		return cs_err_set(err, CS_ERR, "cannot start alerts: out of memory");
	}
	a->http = new_client(&o, err);
	if (!a->http || pthread_create(&a->thread, NULL, worker, a) != 0) {
		rc = a->http ? cs_err_set(err, CS_ERR, "cannot start the alert thread") : CS_ERR;
		destroy(a);
		return rc;
	}
	*out = a;
	return 0;
}

void cs_alerter_free(cs_alerter *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	atomic_store(&a->stop, 1);
	pthread_cond_broadcast(&a->work);
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	if (a->len)
		cs_warn("alerts: %zu message%s not delivered before shutdown", a->len,
			a->len == 1 ? "" : "s");
	for (; a->len; a->len--, a->head = (a->head + 1) % a->cap)
		free(a->q[a->head]);
	destroy(a);
}
