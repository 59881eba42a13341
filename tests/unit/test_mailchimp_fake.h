/* An in-process fake Mailchimp for the mc_client unit tests: libmicrohttpd
 * with a thread per connection (so concurrent requests really overlap), a
 * route callback per test, a log of every request and a count of requests
 * in flight. Header-only (static functions), like test_http_fake.h. */
#ifndef TEST_MAILCHIMP_FAKE_H
#define TEST_MAILCHIMP_FAKE_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct mcf_req {
	char method[8];
	char path[512];
	char auth[512];
	char accept[128];
	char content_type[128];
	char *body; /* NUL-terminated, never NULL */
	size_t body_len;
} mcf_req;

typedef struct mcf_answer {
	int status;
	char *body; /* malloc'd; the server frees it */
	size_t len;
	const char *content_type;
	int drop; /* close the connection without answering */
} mcf_answer;

typedef struct mcf_server mcf_server;
/* Called with the server's lock held; r is already in the log. */
typedef void (*mcf_route)(mcf_server *s, const mcf_req *r, mcf_answer *a);

struct mcf_server {
	struct MHD_Daemon *d;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" */
	pthread_mutex_t mu;
	mcf_route route;
	void *user;
	int delay_ms; /* each request stays in flight at least this long */
	mcf_req *reqs;
	size_t nreqs, cap;
	atomic_int inflight, max_inflight;
};

typedef struct mcf_ctx {
	char *body;
	size_t len, cap;
} mcf_ctx;

static void mcf_setv(mcf_answer *a, int status, const char *ctype, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	free(a->body);
	a->body = malloc((size_t)n + 1);
	vsnprintf(a->body, (size_t)n + 1, fmt, ap);
	a->len = (size_t)n;
	a->status = status;
	a->content_type = ctype;
}

/* A JSON answer. */
static inline void mcf_json(mcf_answer *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void mcf_json(mcf_answer *a, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mcf_setv(a, status, "application/json", fmt, ap);
	va_end(ap);
}

/* A problem+json answer. */
static inline void mcf_problem(mcf_answer *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void mcf_problem(mcf_answer *a, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mcf_setv(a, status, "application/problem+json", fmt, ap);
	va_end(ap);
}

/* A binary answer; takes ownership of data. */
static inline void mcf_bin(mcf_answer *a, int status, const char *ctype, char *data, size_t len)
{
	free(a->body);
	a->body = data;
	a->len = len;
	a->status = status;
	a->content_type = ctype;
}

/* Decodes "Basic base64" into out; 0 when it is well formed. */
static inline int mcf_basic_decode(const char *auth, char *out, size_t outsz)
{
	if (strncmp(auth, "Basic ", 6) != 0)
		return -1;
	size_t n = 0;
	if (sodium_base642bin((unsigned char *)out, outsz - 1, auth + 6, strlen(auth + 6), NULL,
			      &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static void mcf_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			  enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	mcf_ctx *ctx = *req_cls;
	if (ctx)
		free(ctx->body);
	free(ctx);
	*req_cls = NULL;
}

static void mcf_copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t n)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	snprintf(out, n, "%s", v ? v : "");
}

static void mcf_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static enum MHD_Result mcf_handler(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_size, void **req_cls)
{
	(void)version;
	mcf_server *s = cls;
	mcf_ctx *ctx = *req_cls;
	if (!ctx) {
		*req_cls = calloc(1, sizeof(mcf_ctx));
		return *req_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (ctx->len + *upload_size + 1 > ctx->cap) {
			ctx->cap = (ctx->len + *upload_size + 1) * 2;
			ctx->body = realloc(ctx->body, ctx->cap);
		}
		memcpy(ctx->body + ctx->len, upload_data, *upload_size);
		ctx->len += *upload_size;
		ctx->body[ctx->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	int now = atomic_fetch_add(&s->inflight, 1) + 1;
	int seen = atomic_load(&s->max_inflight);
	while (now > seen && !atomic_compare_exchange_weak(&s->max_inflight, &seen, now))
		;
	if (s->delay_ms)
		mcf_sleep_ms(s->delay_ms);

	mcf_answer a = {0};
	pthread_mutex_lock(&s->mu);
	if (s->nreqs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->reqs = realloc(s->reqs, s->cap * sizeof(*s->reqs));
	}
	mcf_req *r = &s->reqs[s->nreqs++];
	memset(r, 0, sizeof(*r));
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", url);
	mcf_copy_header(conn, "Authorization", r->auth, sizeof(r->auth));
	mcf_copy_header(conn, "Accept", r->accept, sizeof(r->accept));
	mcf_copy_header(conn, "Content-Type", r->content_type, sizeof(r->content_type));
	r->body = ctx->body ? ctx->body : strdup("");
	r->body_len = ctx->len;
	ctx->body = NULL;
	s->route(s, r, &a);
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&s->inflight, 1);

	if (a.drop) {
		free(a.body);
		return MHD_NO;
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(a.len, a.body ? a.body : (void *)"",
						a.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (a.content_type)
		MHD_add_response_header(resp, "Content-Type", a.content_type);
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)(a.status ? a.status : 200), resp);
	MHD_destroy_response(resp);
	return rc;
}

static inline int mcf_start(mcf_server *s, mcf_route route, void *user)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->route = route;
	s->user = user;
	atomic_init(&s->inflight, 0);
	atomic_init(&s->max_inflight, 0);
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
				NULL, NULL, mcf_handler, s, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, mcf_completed,
				s, MHD_OPTION_END);
	if (!s->d)
		return -1;
	s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	return 0;
}

/* Stops the daemon; the log stays readable until mcf_free. */
static inline void mcf_stop(mcf_server *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	s->d = NULL;
}

static inline void mcf_free(mcf_server *s)
{
	mcf_stop(s);
	for (size_t i = 0; i < s->nreqs; i++)
		free(s->reqs[i].body);
	free(s->reqs);
	s->reqs = NULL;
	s->nreqs = s->cap = 0;
	pthread_mutex_destroy(&s->mu);
}

/* The i-th request of the log whose method and path match (path NULL:
 * any), or NULL. Only call while no request is in flight. */
static inline const mcf_req *mcf_find(mcf_server *s, const char *method, const char *path,
				      size_t nth)
{
	for (size_t i = 0; i < s->nreqs; i++) {
		const mcf_req *r = &s->reqs[i];
		if (strcmp(r->method, method) == 0 && (!path || strcmp(r->path, path) == 0) &&
		    nth-- == 0)
			return r;
	}
	return NULL;
}

static inline size_t mcf_count(mcf_server *s, const char *method, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nreqs; i++)
		n += strcmp(s->reqs[i].method, method) == 0 &&
		     strncmp(s->reqs[i].path, prefix, strlen(prefix)) == 0;
	return n;
}

/* ---- shared by the mc_client tests (include cmocka.h and mc_client.h
 * before this header to use them) ---- */
#if defined(CS_MC_CLIENT_H) && defined(cmocka_unit_test)
#define MCF_KEY "0123456789abcdef0123456789abcdef-us6"

/* The should_stop a test flips. */
static atomic_int mcf_stop_flag;
static inline int mcf_should_stop(void)
{
	return atomic_load(&mcf_stop_flag);
}

/* A client of the fake at BASE/3.0 with key and concurrency. */
static inline mc_client *mcf_client(mcf_server *s, const char *key, int concurrency,
				    long timeout_ms, int (*should_stop)(void))
{
	char url[128];
	snprintf(url, sizeof(url), "%s/3.0", s->base);
	mc_client *c = NULL;
	cs_err err = {0};
	mc_client_opts o = {url, key, concurrency, timeout_ms, should_stop};
	assert_int_equal(mc_client_new(&o, &c, &err), 0);
	return c;
}
#endif

#endif
