/* HTTP plumbing: libmicrohttpd with a thread per connection (so latency
 * injection never stalls other clients), a route table, and the behaviour
 * wrapped around every API call: injected faults, the per-application rate
 * limit, bearer auth and the counters behind /__sandbox/stats. */
#include "sandbox.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (1 << 20)
#define MAX_PATHS 512

typedef struct path_count {
	char path[96];
	uint64_t n;
} path_count;

struct sb_server {
	struct MHD_Daemon *mhd;
	sb_data *data;
	sb_oauth *oauth;
	sb_mc *mc;
	char bind[64];
	int port;
	pthread_mutex_t lock; /* everything below */
	sb_knobs knobs;
	sb_rng rng;
	int64_t win_end_ms, win_end_unix; /* rate window: monotonic and wall clock */
	long win_count;
	uint64_t requests, list_requests, token_requests, throttled, faults;
	path_count paths[MAX_PATHS];
	size_t npaths;
};

/* ---- helpers for handlers ---- */

const char *sb_arg(sb_req *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

void sb_resp_json(sb_resp *rs, int status, const char *json)
{
	rs->status = status;
	cs_buf_reset(&rs->body);
	cs_buf_puts(&rs->body, json);
}

void sb_resp_error(sb_resp *rs, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->status = status;
	cs_buf_reset(&rs->body);
	cs_buf_puts(&rs->body, "{\"error\":");
	cs_buf_json_str(&rs->body, msg);
	cs_buf_puts(&rs->body, "}");
}

void sb_resp_header(sb_resp *rs, const char *name, const char *fmt, ...)
{
	if (rs->nhdr == (int)(sizeof(rs->hdr) / sizeof(rs->hdr[0])))
		return;
	va_list ap;
	va_start(ap, fmt);
	snprintf(rs->hdr[rs->nhdr][0], sizeof(rs->hdr[0][0]), "%s", name);
	vsnprintf(rs->hdr[rs->nhdr][1], sizeof(rs->hdr[0][1]), fmt, ap);
	va_end(ap);
	rs->nhdr++;
}

/* Links use the Host the client asked for, as a real server behind its own
 * name would; a missing or odd Host falls back to the bound address. */
void sb_base_url(sb_server *s, sb_req *rq, char *out, size_t len)
{
	const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Host");
	if (!host || !*host || strlen(host) > 200 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
		    strlen(host))
		snprintf(out, len, "http://%s:%d", s->bind, s->port);
	else
		snprintf(out, len, "http://%s", host);
}

sb_data *sb_server_data(sb_server *s)
{
	return s->data;
}

sb_oauth *sb_server_oauth(sb_server *s)
{
	return s->oauth;
}

void sb_server_knobs(sb_server *s, sb_knobs *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->knobs;
	pthread_mutex_unlock(&s->lock);
}

void sb_server_set_knobs(sb_server *s, const sb_knobs *k)
{
	pthread_mutex_lock(&s->lock);
	s->knobs = *k;
	pthread_mutex_unlock(&s->lock);
}

void sb_server_count_list(sb_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->list_requests++;
	pthread_mutex_unlock(&s->lock);
}

void sb_server_stats(sb_server *s, cs_buf *out)
{
	pthread_mutex_lock(&s->lock);
	cs_buf_printf(out,
		      "{\"requests\":%llu,\"list_requests\":%llu,\"token_requests\":%llu,"
		      "\"throttled\":%llu,\"faults\":%llu,\"by_path\":{",
		      (unsigned long long)s->requests, (unsigned long long)s->list_requests,
		      (unsigned long long)s->token_requests, (unsigned long long)s->throttled,
		      (unsigned long long)s->faults);
	for (size_t i = 0; i < s->npaths; i++) {
		if (i)
			cs_buf_puts(out, ",");
		cs_buf_json_str(out, s->paths[i].path);
		cs_buf_printf(out, ":%llu", (unsigned long long)s->paths[i].n);
	}
	cs_buf_puts(out, "}}");
	pthread_mutex_unlock(&s->lock);
}

void sb_server_reset_stats(sb_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->requests = s->list_requests = s->token_requests = s->throttled = s->faults = 0;
	s->npaths = 0;
	pthread_mutex_unlock(&s->lock);
}

/* ---- per-request policy ---- */

static void count_request(sb_server *s, const char *path, int flags)
{
	pthread_mutex_lock(&s->lock);
	s->requests++;
	if (flags & SB_RF_TOKEN)
		s->token_requests++;
	size_t i = 0;
	while (i < s->npaths && strcmp(s->paths[i].path, path))
		i++;
	if (i == s->npaths && s->npaths < MAX_PATHS) {
		snprintf(s->paths[i].path, sizeof(s->paths[0].path), "%s", path);
		s->paths[s->npaths++].n = 0;
	}
	if (i < s->npaths)
		s->paths[i].n++;
	pthread_mutex_unlock(&s->lock);
}

/* A fixed one-minute window per client application. take: count this
 * request. Returns 1 when throttled. Fills the rate headers either way. */
static int rate_limit(sb_server *s, int take, sb_resp *rs)
{
	pthread_mutex_lock(&s->lock);
	long limit = s->knobs.rate_limit;
	int64_t now = cs_time_mono_ms();
	int throttled = 0;
	if (limit <= 0) {
		pthread_mutex_unlock(&s->lock);
		return 0; /* unlimited: like Classy's internal apps, no headers */
	}
	if (s->win_end_ms <= now) {
		s->win_end_ms = now + 60000;
		s->win_end_unix = (cs_time_now_ms() + 60000 + 999) / 1000;
		s->win_count = 0;
	}
	if (take && s->win_count >= limit) {
		throttled = 1;
		s->throttled++;
	} else if (take) {
		s->win_count++;
	}
	long remaining = limit - s->win_count, retry = (s->win_end_ms - now + 999) / 1000;
	int64_t reset = s->win_end_unix;
	pthread_mutex_unlock(&s->lock);
	sb_resp_header(rs, "X-RateLimit-Limit", "%ld", limit);
	sb_resp_header(rs, "X-RateLimit-Remaining", "%ld", remaining > 0 ? remaining : 0);
	if (throttled) {
		retry = retry < 1 ? 1 : retry;
		sb_resp_header(rs, "Retry-After", "%ld", retry);
		sb_resp_header(rs, "X-RateLimit-Reset", "%lld", (long long)reset);
		rs->status = 429;
		cs_buf_reset(&rs->body);
		cs_buf_printf(&rs->body, "{\"message\":\"Too Many Attempts.\",\"retry_after\":%ld}",
			      retry);
	}
	return throttled;
}

/* Rolls the fault dice: 0 none, else the fault to inject. */
enum { FAULT_NONE = 0, FAULT_DROP, FAULT_500, FAULT_503, FAULT_TRUNCATE, FAULT_429 };

static int roll_fault(sb_server *s, int after_ok)
{
	int f = FAULT_NONE;
	pthread_mutex_lock(&s->lock);
	double x = sb_rng_unit(&s->rng);
	if (after_ok) {
		if (x < s->knobs.truncate_rate)
			f = FAULT_TRUNCATE;
	} else if (x < s->knobs.drop_rate) {
		f = FAULT_DROP;
	} else if (x < s->knobs.drop_rate + s->knobs.fail_rate) {
		f = sb_rng_below(&s->rng, 2) ? FAULT_503 : FAULT_500;
	} else if (x < s->knobs.drop_rate + s->knobs.fail_rate + s->knobs.throttle_rate) {
		f = FAULT_429;
	}
	if (f == FAULT_429)
		s->throttled++;
	else if (f)
		s->faults++;
	pthread_mutex_unlock(&s->lock);
	return f;
}

static void inject_failure(sb_resp *rs, int fault)
{
	if (fault == FAULT_429) {
		/* A storm from other tenants of the same app: the real answer shape. */
		sb_resp_header(rs, "X-RateLimit-Remaining", "0");
		sb_resp_header(rs, "Retry-After", "1");
		sb_resp_json(rs, 429, "{\"message\":\"Too Many Attempts.\",\"retry_after\":1}");
		return;
	}
	if (fault == FAULT_500) {
		sb_resp_json(rs, 500, "{\"error\":\"Server Error\"}");
		return;
	}
	/* A load balancer in front of the API answers 503 in HTML, not JSON. */
	rs->status = 503;
	rs->ctype = "text/html";
	cs_buf_reset(&rs->body);
	cs_buf_puts(&rs->body, "<html><head><title>503 Service Temporarily Unavailable</title>"
			       "</head><body><center><h1>503 Service Temporarily Unavailable"
			       "</h1></center></body></html>\n");
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts))
		;
}

/* Unknown paths under /2.0 still go through auth and the rate limit, as
 * they would on the real API. */
static int unrouted_flags(const char *url)
{
	if (!strncmp(url, "/2.0/", 5))
		return SB_RF_API;
	return !strncmp(url, "/__sandbox/", 11) ? SB_RF_ADMIN : 0;
}

static void handle(sb_server *s, sb_req *rq, sb_resp *rs)
{
	if (s->mc && sb_mc_handle(s->mc, s, rq, rs))
		return; /* the Mailchimp half applies its own policy */
	int ri = sb_route_find(rq->method, rq->url, rq);
	int flags = ri >= 0 ? sb_routes[ri].flags : unrouted_flags(rq->url);
	if (!(flags & SB_RF_ADMIN)) {
		count_request(s, rq->url, flags);
		sb_knobs k;
		sb_server_knobs(s, &k);
		if (k.latency_ms > 0)
			sleep_ms(k.latency_ms);
	}
	if (flags & SB_RF_API) {
		int fault = roll_fault(s, 0);
		if (fault == FAULT_DROP) {
			rs->mode = SB_RESP_DROP;
			return;
		}
		if (fault) {
			rate_limit(s, 0, rs);
			inject_failure(rs, fault);
			return;
		}
		if (rate_limit(s, 1, rs))
			return;
		const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							       "Authorization");
		if (!sb_oauth_check(s->oauth, auth)) {
			sb_resp_json(rs, 401,
				     "{\"error\":\"access_denied\",\"message\":\"The resource owner "
				     "or authorization server denied the request.\",\"hint\":"
				     "\"Access token is missing, invalid, expired or revoked\"}");
			return;
		}
	} else if (flags & SB_RF_TOKEN) {
		rate_limit(s, 0, rs);
	}
	if (ri == -404)
		sb_resp_error(rs, 404, "route '%s' not found", rq->url);
	else if (ri == -405)
		sb_resp_error(rs, 405, "method '%s' is not allowed on '%s'", rq->method, rq->url);
	else
		sb_routes[ri].fn(s, rq, rs);
	if ((flags & SB_RF_API) && rs->status == 200 && !rs->stream &&
	    roll_fault(s, 1) == FAULT_TRUNCATE)
		rs->mode = SB_RESP_TRUNCATE;
}

/* ---- sending ---- */

typedef struct trunc_ctx {
	char *data;
	size_t cut;
} trunc_ctx;

/* Serves the first `cut` bytes, then fails so MHD drops the connection
 * with the declared Content-Length unmet. */
static ssize_t trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	trunc_ctx *t = cls;
	if (pos >= t->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = t->cut - (size_t)pos < max ? t->cut - (size_t)pos : max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t)n;
}

static void trunc_free(void *cls)
{
	trunc_ctx *t = cls;
	free(t->data);
	free(t);
}

/* Two ways a body gets cut off: the connection closes before the declared
 * length arrives (a transport error), or a short Content-Length declares the
 * cut body complete (the client's JSON parser must notice). */
static struct MHD_Response *truncated(sb_server *s, sb_resp *rs, int *close)
{
	size_t len = rs->body.len;
	pthread_mutex_lock(&s->lock);
	size_t cut = len / 10 + (size_t)sb_rng_below(&s->rng, len * 8 / 10 + 1);
	int short_length = (int)sb_rng_below(&s->rng, 2);
	pthread_mutex_unlock(&s->lock);
	char *data = cs_buf_detach(&rs->body);
	*close = 1;
	if (short_length)
		return MHD_create_response_from_buffer(cut, data, MHD_RESPMEM_MUST_FREE);
	trunc_ctx *t = malloc(sizeof(*t));
	if (!t) {
		free(data);
		return NULL;
	}
	*t = (trunc_ctx){data, cut};
	struct MHD_Response *r =
		MHD_create_response_from_callback(len, 16384, trunc_read, t, trunc_free);
	if (!r)
		trunc_free(t);
	return r;
}

static enum MHD_Result send_resp(sb_server *s, struct MHD_Connection *c, sb_resp *rs)
{
	struct MHD_Response *r;
	int close = 0;
	if (rs->stream) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, rs->stream,
						      rs->stream_cls, rs->stream_free);
		if (r)
			rs->stream = NULL; /* MHD frees the reader now */
	} else if (rs->mode == SB_RESP_TRUNCATE) {
		r = truncated(s, rs, &close);
	} else {
		size_t len = rs->body.len;
		r = MHD_create_response_from_buffer(len, cs_buf_detach(&rs->body),
						    MHD_RESPMEM_MUST_FREE);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", rs->ctype ? rs->ctype : "application/json");
	for (int i = 0; i < rs->nhdr; i++)
		MHD_add_response_header(r, rs->hdr[i][0], rs->hdr[i][1]);
	if (close)
		MHD_add_response_header(r, "Connection", "close");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- MHD callbacks ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	sb_server *s = cls;
	sb_req *rq = *con_cls;
	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		cs_buf_init(&rq->body, MAX_BODY);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cs_buf_append(&rq->body, upload, *upload_size))
			rq->route = -413; /* answered once the upload ends */
		*upload_size = 0;
		return MHD_YES;
	}
	rq->conn = c;
	rq->method = method;
	rq->url = url;
	sb_resp rs = {.status = 200};
	cs_buf_init(&rs.body, 0);
	if (rq->route == -413)
		sb_resp_error(&rs, 413, "request body is larger than %d bytes", MAX_BODY);
	else
		handle(s, rq, &rs);
	cs_debug("%s %s -> %d", method, url, rs.mode == SB_RESP_DROP ? 0 : rs.status);
	enum MHD_Result ret = rs.mode == SB_RESP_DROP ? MHD_NO : send_resp(s, c, &rs);
	if (rs.stream && rs.stream_free)
		rs.stream_free(rs.stream_cls);
	cs_buf_release(&rs.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	sb_req *rq = *con_cls;
	if (rq) {
		cs_buf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	cs_warn("microhttpd: %s", msg);
}

/* ---- lifecycle ---- */

static struct MHD_Daemon *start_mhd(sb_server *s, const sb_server_opts *o, char *msg,
				    size_t len)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (inet_pton(AF_INET, o->bind, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)o->port);
	} else if (inet_pton(AF_INET6, o->bind, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)o->port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(msg, len, "invalid --bind address '%s': give a numeric IPv4 or IPv6 address",
			 o->bind);
		return NULL;
	}
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
		on_mhd_log, s, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
	if (!d)
		snprintf(msg, len, "cannot listen on '%s' port %d: address in use or not permitted",
			 o->bind, o->port);
	return d;
}

sb_server *sb_server_start(const sb_server_opts *o, sb_data *d, int *port_out, char *msg,
			   size_t msglen)
{
	sb_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(msg, msglen, "out of memory starting the server");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->data = d;
	s->mc = o->mc;
	s->knobs = o->knobs;
	s->rng.s = sb_hash(o->seed, 0xfa017, 0);
	snprintf(s->bind, sizeof(s->bind), "%s", o->bind);
	s->oauth = sb_oauth_new(o->client_id, o->client_secret, o->seed);
	if (s->oauth)
		s->mhd = start_mhd(s, o, msg, msglen);
	if (!s->mhd) {
		sb_server_stop(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*port_out = s->port;
	return s;
}

void sb_server_stop(sb_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	sb_oauth_free(s->oauth);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
