/* An in-process fake HTTP server for the http and classy unit tests: it
 * answers from a scripted list of canned answers, can drop the connection or
 * cut a body short, and records what it received. Header-only (static
 * functions) so each test executable stays a single .c file. */
#ifndef TEST_HTTP_FAKE_H
#define TEST_HTTP_FAKE_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum fake_action {
	FAKE_SEND = 0, /* answer normally */
	FAKE_DROP,     /* close the connection without answering */
	FAKE_TRUNCATE  /* announce the full length, send half, close */
};

typedef struct fake_answer {
	int status;
	const char *headers; /* "Name: value\n" lines, or NULL */
	const char *body;    /* NULL means empty */
	int action;          /* enum fake_action */
} fake_answer;

typedef struct fake_request {
	char method[8];
	char uri[2048]; /* exactly as sent: path and raw query */
	char auth[512];
	char accept[128];
	char content_type[128];
	char user_agent[64];
	char body[2048];
} fake_request;

#define FAKE_MAX_REQ 64

typedef struct fake_server {
	struct MHD_Daemon *d;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" */
	pthread_mutex_t mu;
	const fake_answer *script; /* answers for everything but the token path */
	size_t nscript, next;
	fake_answer fallback; /* once the script ran out */
	/* Requests to token_path are answered from token_script, then with
	 * {"access_token":"tok-N","expires_in":token_ttl} where N counts tokens. */
	const char *token_path;
	const fake_answer *token_script;
	size_t ntoken, token_next;
	int token_ttl;
	int tokens_issued;
	char token_body[256];
	fake_request reqs[FAKE_MAX_REQ];
	size_t nreqs;
	int connections;
	struct fake_trunc {
		const char *body;
		size_t len;
	} trunc; /* the one cut-short answer in flight */
} fake_server;

/* Per-request context: the raw URI (from the URI log callback) and body. */
typedef struct fake_ctx {
	char uri[2048];
	char body[2048];
	size_t body_len;
	int called;
} fake_ctx;

static void *fake_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	fake_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx)
		snprintf(ctx->uri, sizeof(ctx->uri), "%s", uri);
	return ctx;
}

static void fake_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	free(*req_cls);
	*req_cls = NULL;
}

static void fake_notify_conn(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			     enum MHD_ConnectionNotificationCode code)
{
	(void)conn, (void)socket_ctx;
	fake_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&s->mu);
		s->connections++;
		pthread_mutex_unlock(&s->mu);
	}
}

static void fake_copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t n)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
	snprintf(out, n, "%s", v ? v : "");
}

static void fake_record(fake_server *s, struct MHD_Connection *conn, const char *method,
			const fake_ctx *ctx)
{
	if (s->nreqs >= FAKE_MAX_REQ)
		return;
	fake_request *r = &s->reqs[s->nreqs++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->uri, sizeof(r->uri), "%s", ctx->uri);
	snprintf(r->body, sizeof(r->body), "%.*s", (int)ctx->body_len, ctx->body);
	fake_copy_header(conn, "Authorization", r->auth, sizeof(r->auth));
	fake_copy_header(conn, "Accept", r->accept, sizeof(r->accept));
	fake_copy_header(conn, "Content-Type", r->content_type, sizeof(r->content_type));
	fake_copy_header(conn, "User-Agent", r->user_agent, sizeof(r->user_agent));
}

/* Picks the answer for this request; called with the lock held. */
static fake_answer fake_pick(fake_server *s, const char *uri)
{
	if (s->token_path && strncmp(uri, s->token_path, strlen(s->token_path)) == 0) {
		if (s->token_next < s->ntoken)
			return s->token_script[s->token_next++];
		s->tokens_issued++;
		snprintf(s->token_body, sizeof(s->token_body),
			 "{\"access_token\":\"tok-%d\",\"token_type\":\"bearer\",\"expires_in\":%d}",
			 s->tokens_issued, s->token_ttl);
		return (fake_answer){200, NULL, s->token_body, FAKE_SEND};
	}
	if (s->next < s->nscript)
		return s->script[s->next++];
	return s->fallback;
}

typedef struct fake_trunc fake_trunc;

static ssize_t fake_trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	fake_trunc *t = cls;
	size_t half = t->len / 2;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static void fake_add_headers(struct MHD_Response *resp, const char *headers)
{
	char line[512];
	for (const char *p = headers; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		char *colon = strchr(line, ':');
		if (colon) {
			*colon = '\0';
			char *v = colon + 1;
			while (*v == ' ')
				v++;
			MHD_add_response_header(resp, line, v);
		}
		p = nl ? nl + 1 : p + n;
	}
}

static struct MHD_Response *fake_make_response(const fake_answer *a, fake_trunc *trunc)
{
	const char *body = a->body ? a->body : "";
	struct MHD_Response *resp;
	if (a->action == FAKE_TRUNCATE) {
		trunc->body = body;
		trunc->len = strlen(body);
		resp = MHD_create_response_from_callback(trunc->len, 1024, fake_trunc_read, trunc,
							 NULL);
	} else {
		resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (body[0] == '{' || body[0] == '[')
		MHD_add_response_header(resp, "Content-Type", "application/json");
	fake_add_headers(resp, a->headers);
	return resp;
}

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **req_cls)
{
	(void)url, (void)version;
	fake_server *s = cls;
	fake_ctx *ctx = *req_cls;
	if (!ctx)
		return MHD_NO;
	if (!ctx->called++)
		return MHD_YES;
	if (*upload_size) {
		size_t room = sizeof(ctx->body) - ctx->body_len;
		size_t n = *upload_size < room ? *upload_size : room;
		memcpy(ctx->body + ctx->body_len, upload_data, n);
		ctx->body_len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->mu);
	fake_record(s, conn, method, ctx);
	fake_answer a = fake_pick(s, ctx->uri);
	pthread_mutex_unlock(&s->mu);
	if (a.action == FAKE_DROP)
		return MHD_NO;
	/* The reader runs after this returns; the answer's body is static. */
	struct MHD_Response *resp = fake_make_response(&a, &s->trunc);
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)a.status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static int fake_start(fake_server *s, const fake_answer *script, size_t n)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->script = script;
	s->nscript = n;
	s->fallback = (fake_answer){500, NULL, "{\"message\":\"script ran out\"}", FAKE_SEND};
	s->token_path = "/oauth2/auth";
	s->token_ttl = 3600;
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, fake_handler, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				MHD_OPTION_URI_LOG_CALLBACK, fake_uri_log, s,
				MHD_OPTION_NOTIFY_COMPLETED, fake_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, fake_notify_conn, s, MHD_OPTION_END);
	if (!s->d)
		return -1;
	s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	return 0;
}

static void fake_stop(fake_server *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	s->d = NULL;
	pthread_mutex_destroy(&s->mu);
}

/* Copies of what the server saw, taken under its lock. */
static inline size_t fake_nreqs(fake_server *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nreqs;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static inline fake_request fake_req(fake_server *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	fake_request r = i < s->nreqs ? s->reqs[i] : (fake_request){0};
	pthread_mutex_unlock(&s->mu);
	return r;
}

static inline int fake_connections(fake_server *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->connections;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* A port where nothing listens: bound but not listening, so connecting is
 * refused for as long as *fd stays open. */
static inline int fake_closed_port(int *fd)
{
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof(addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	return ntohs(addr.sin_port);
}

#endif
