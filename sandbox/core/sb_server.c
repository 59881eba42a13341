/* HTTP plumbing: libmicrohttpd with a thread per connection (so latency
 * injection never stalls other clients), request bodies up to 1 MiB, the
 * parts mounted on the server asked in turn, and the ways an answer can go
 * out: whole, streamed, cut off (truncated) or not at all (dropped).
 *
 * Must never: know a route, a half or a policy. Which request is faulted,
 * throttled or cut, and where, is decided by the part that answers it;
 * this file only carries the decision out. */
#include "core/sb_server.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (1 << 20)

struct sb_server {
	struct MHD_Daemon *mhd;
	sb_mount mounts[SB_MAX_MOUNTS];
	size_t nmounts;
	char bind[64];
	int port;
};

/* ---- helpers for handlers ---- */

const char *sb_arg(sb_req *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *sb_req_arg(void *rq, const char *key)
{
	return sb_arg(rq, key);
}

int sb_resp_opts(sb_resp *rs, const sb_opt *defs, size_t n, void *base, sb_arg_fn arg,
		 void *ctx)
{
	char msg[1024];
	if (!sb_opts_read(defs, n, base, arg, ctx, msg, sizeof(msg)))
		return 0;
	sb_resp_error(rs, 400, "%s", msg);
	return -1;
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
void sb_base_url(sb_req *rq, char *out, size_t len)
{
	const sb_server *s = rq->srv;
	const char *host = sb_header(rq, "Host");
	if (!host || !*host || strlen(host) > 200 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
		    strlen(host))
		snprintf(out, len, "http://%s:%d", s->bind, s->port);
	else
		snprintf(out, len, "http://%s", host);
}

const char *sb_header(sb_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void sb_sleep_ms(long ms)
{
	struct timespec ts = cs_time_timespec(ms);
	while (nanosleep(&ts, &ts))
		;
}

/* Asks each mounted part in turn; a request none claims is a 404. */
static void handle(sb_server *s, sb_req *rq, sb_resp *rs)
{
	for (size_t i = 0; i < s->nmounts; i++)
		if (s->mounts[i].fn(s->mounts[i].part, rq, rs))
			return;
	sb_resp_error(rs, 404, "route '%s' not found", rq->url);
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
static struct MHD_Response *truncated(sb_resp *rs, int *close)
{
	size_t len = rs->body.len, cut = rs->cut < len ? rs->cut : len;
	char *data = cs_buf_detach(&rs->body);
	*close = 1;
	if (rs->short_length)
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

static enum MHD_Result send_resp(struct MHD_Connection *c, sb_resp *rs)
{
	struct MHD_Response *r;
	int close = 0;
	if (rs->stream) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, rs->stream,
						      rs->stream_cls, rs->stream_free);
		if (r)
			rs->stream = NULL; /* MHD frees the reader now */
	} else if (rs->mode == SB_RESP_TRUNCATE) {
		r = truncated(rs, &close);
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
			rq->too_large = 1; /* answered once the upload ends */
		*upload_size = 0;
		return MHD_YES;
	}
	rq->conn = c;
	rq->srv = s;
	rq->method = method;
	rq->url = url;
	sb_resp rs = {.status = 200};
	cs_buf_init(&rs.body, 0);
	if (rq->too_large)
		sb_resp_error(&rs, 413, "request body is larger than %d bytes", MAX_BODY);
	else
		handle(s, rq, &rs);
	cs_debug("%s %s -> %d", method, url, rs.mode == SB_RESP_DROP ? 0 : rs.status);
	enum MHD_Result ret = rs.mode == SB_RESP_DROP ? MHD_NO : send_resp(c, &rs);
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

sb_server *sb_server_start(const sb_server_opts *o, int *port_out, char *msg, size_t msglen)
{
	sb_server *s = calloc(1, sizeof(*s));
	if (!s || o->nmounts > SB_MAX_MOUNTS) {
		snprintf(msg, msglen, "out of memory starting the server");
		free(s);
		return NULL;
	}
	memcpy(s->mounts, o->mounts, o->nmounts * sizeof(*s->mounts));
	s->nmounts = o->nmounts;
	snprintf(s->bind, sizeof(s->bind), "%s", o->bind);
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
	free(s);
}
