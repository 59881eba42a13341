/* The daemon's endpoint (/, /report, /healthz, /readyz, /metrics). We bind the
 * listening socket ourselves and hand it to libmicrohttpd: binding is where
 * things go wrong (port in use, address not on this host), and doing it
 * here gives us the errno to name the problem, where MHD_start_daemon only
 * returns NULL.
 *
 * Never serves more than GET and HEAD, never binds beyond the loopback
 * without a token, never answers a request without it when there is one
 * (but the probes /healthz and /readyz), never keeps the token itself (a
 * hash of it) nor writes it anywhere, and never does slow work on the
 * server thread: the handlers read a timestamp, render the registry or read
 * small tables (the report's figures are read on a thread of the daemon's,
 * and the handler answers 503 while they are). */
#include "httpd/httpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Flood limits: a client that opens connections and sends nothing must not
 * starve the liveness probe (a supervisor would restart a healthy daemon).
 * One address holds at most PER_IP_LIMIT connections (MHD closes the next
 * at once), an idle one goes after CONN_TIMEOUT_S, and the total leaves room
 * for many clients (MHD_USE_AUTO picks epoll or poll, so fds above
 * FD_SETSIZE are fine). Scrapers and probes need one or two each. */
#define LISTEN_BACKLOG 128
#define MAX_CONNECTIONS 256
#define PER_IP_LIMIT 8
#define CONN_TIMEOUT_S 3
#define REASON_MAX 256
#define TEXT_PLAIN "text/plain; charset=utf-8"
#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define HTML_TEXT "text/html; charset=utf-8"
#define TOKEN_HASH_BYTES 32

struct cs_httpd {
	struct MHD_Daemon *d;
	cs_httpd_handlers h; /* h.token is NULL: only its hash is kept */
	int port;
	int auth; /* requests need the token */
	unsigned char token_hash[TOKEN_HASH_BYTES];
};

/* ---- the listen address ------------------------------------------------ */

static int bad_listen(const char *addr, const char *why, cs_err *err)
{
	return cs_err_set(err, CS_EUSAGE,
			  "invalid listen address '%s': %s; use HOST:PORT, e.g. 127.0.0.1:9464, "
			  ":9464 (loopback), 0.0.0.0:9464 or [::1]:9464",
			  addr, why);
}

static int parse_port(const char *s, in_port_t *port)
{
	size_t n = strlen(s);
	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	long v = strtol(s, NULL, 10);
	if (v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* Splits addr into host and port text; host is "" for ":PORT". */
static int split_listen(const char *addr, char *host, size_t hostsz, const char **port,
			int *bracketed, cs_err *err)
{
	const char *colon;
	*bracketed = addr[0] == '[';
	if (*bracketed) {
		const char *close = strchr(addr, ']');
		if (!close)
			return bad_listen(addr, "missing ']' after the IPv6 address", err);
		colon = close + 1;
		if (*colon != ':')
			return bad_listen(addr, "missing ':PORT' after ']'", err);
		addr++; /* host is between the brackets */
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return bad_listen(addr, "missing ':PORT'", err);
		if (memchr(addr, ':', (size_t)(colon - addr)))
			return bad_listen(addr, "an IPv6 address needs brackets, as in [::1]:9464",
					  err);
	}
	size_t n = (size_t)(colon - addr) - (*bracketed ? 1 : 0);
	if (n >= hostsz)
		return bad_listen(addr - *bracketed, "the host is too long", err);
	memcpy(host, addr, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

/* Fills ss from addr. A bare ":PORT" means loopback: the endpoint has no
 * authentication, so reaching it from elsewhere must be asked for. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
			cs_err *err)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *port_s = "";
	int bracketed = 0;
	in_port_t port = 0;
	if (!addr || !*addr)
		return bad_listen("", "it is empty", err);
	int rc = split_listen(addr, host, sizeof(host), &port_s, &bracketed, err);
	if (rc)
		return rc;
	if (parse_port(port_s, &port))
		return bad_listen(addr, "the port must be a number from 0 to 65535", err);
	memset(ss, 0, sizeof(*ss));
	if (bracketed) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = port;
		*len = sizeof(*a);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return bad_listen(addr, "not a numeric IPv6 address between the brackets",
					  err);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = port;
	*len = sizeof(*a);
	if (!*host || strcmp(host, "localhost") == 0)
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return bad_listen(addr, "the host must be a numeric IPv4 address, [IPv6] or "
					  "localhost",
				  err);
	return 0;
}

static int addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (IN6_IS_ADDR_LOOPBACK(a))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

int cs_httpd_listen_is_loopback(const char *addr, int *loopback, cs_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int rc = parse_listen(addr, &ss, &len, err);
	if (rc == 0)
		*loopback = addr_is_loopback(&ss);
	return rc;
}

/* What to do about a bind or listen errno, in words. */
static const char *bind_advice(int e)
{
	switch (e) {
	case EADDRINUSE:
		return "another process (or another classy-sync daemon) already listens there; "
		       "stop it or choose another port";
	case EADDRNOTAVAIL:
		return "the address is not one of this host's; use 127.0.0.1, 0.0.0.0 or an "
		       "address of a local interface";
	case EACCES:
		return "ports below 1024 need privileges; choose a port above 1024";
	case EAFNOSUPPORT:
		return "this host has no IPv6; use an IPv4 address";
	default:
		return "check the address";
	}
}

static int open_listener(const char *addr, const struct sockaddr_storage *ss, socklen_t len,
			 int *fd_out, int *port_out, cs_err *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int e = 0;
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	/* A restarted daemon must not wait out TIME_WAIT; a live listener on
	 * the port still makes bind fail with EADDRINUSE. */
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		e = errno;
		goto fail;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
		e = errno;
		goto fail;
	}
	*port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
	*fd_out = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	char tmp[128], buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror_r(e, tmp, sizeof(tmp)));
	buf[0] = (char)tolower((unsigned char)buf[0]); /* messages are lowercase */
	return cs_err_set(err, CS_EIO, "cannot listen on '%s': %s; %s", addr, buf,
			  bind_advice(e));
}

/* ---- routes ------------------------------------------------------------- */

typedef struct answer {
	unsigned status;
	const char *ctype;
	cs_buf body;
	struct MHD_Connection *conn; /* for the query's arguments */
	int retry_after_s;           /* > 0: a Retry-After header */
} answer;

/* One line of text: the reason a handler gave, or a fallback. */
static void answer_text(answer *a, unsigned status, const char *text)
{
	a->status = status;
	a->ctype = TEXT_PLAIN;
	cs_buf_puts(&a->body, text);
	cs_buf_puts(&a->body, "\n");
}

static void probe(answer *a, int (*check)(void *, char *, size_t), void *ctx,
		  const char *fallback)
{
	char reason[REASON_MAX] = "";
	if (check(ctx, reason, sizeof(reason)) == 1) {
		answer_text(a, MHD_HTTP_OK, "ok");
		return;
	}
	/* A reason is one line: a stray newline would end the body early. */
	reason[strcspn(reason, "\r\n")] = '\0';
	answer_text(a, MHD_HTTP_SERVICE_UNAVAILABLE, reason[0] ? reason : fallback);
}

static void route_healthz(const cs_httpd *s, answer *a)
{
	probe(a, s->h.live, s->h.ctx, "not live");
}

static void route_readyz(const cs_httpd *s, answer *a)
{
	probe(a, s->h.ready, s->h.ctx, "not ready");
}

static void route_metrics(const cs_httpd *s, answer *a)
{
	if (s->h.metrics(s->h.ctx, &a->body) < 0) {
		cs_buf_reset(&a->body);
		answer_text(a, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics");
		return;
	}
	a->status = MHD_HTTP_OK;
	a->ctype = PROM_TEXT;
}

static void route_page(const cs_httpd *s, answer *a)
{
	if (!s->h.page) {
		answer_text(a, MHD_HTTP_NOT_FOUND, "not found; try /healthz, /readyz or /metrics");
		return;
	}
	if (s->h.page(s->h.ctx, &a->body) < 0) {
		cs_buf_reset(&a->body);
		answer_text(a, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot render the status page; see the daemon's log");
		return;
	}
	a->status = MHD_HTTP_OK;
	a->ctype = HTML_TEXT;
}

/* "?org=": absent, empty or "all" is 0 (every org), else a positive id;
 * -1 when it is neither. */
static long long org_arg(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "org");
	if (!v || !*v || !strcmp(v, "all"))
		return 0;
	size_t n = strlen(v);
	if (n > 18 || strspn(v, "0123456789") != n)
		return -1;
	long long id = strtoll(v, NULL, 10);
	return id > 0 ? id : -1;
}

static void route_report(const cs_httpd *s, answer *a)
{
	long long org = org_arg(a->conn);
	if (!s->h.report) {
		answer_text(a, MHD_HTTP_NOT_FOUND, "not found; try /, /healthz, /readyz or /metrics");
		return;
	}
	if (org < 0) {
		answer_text(a, MHD_HTTP_BAD_REQUEST,
			    "bad org: use /report?org=ID (a registered organization's id) or "
			    "/report?org=all");
		return;
	}
	int rc = s->h.report(s->h.ctx, org, &a->body);
	if (rc > 0) { /* the figures are being read: the page the handler wrote says so */
		a->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		a->ctype = HTML_TEXT;
		a->retry_after_s = rc;
		return;
	}
	if (rc < 0) {
		cs_buf_reset(&a->body);
		if (rc == CS_ENOTFOUND)
			answer_text(a, MHD_HTTP_NOT_FOUND,
				    "no such organization; /report?org=all lists the registered ones");
		else
			answer_text(a, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "cannot render the giving report; see the daemon's log");
		return;
	}
	a->status = MHD_HTTP_OK;
	a->ctype = HTML_TEXT;
}

/* open: reachable without the token (probes must not need a secret). */
static const struct route {
	const char *path;
	void (*fn)(const cs_httpd *s, answer *a);
	int open;
} routes[] = {
	{"/", route_page, 0},
	{"/report", route_report, 0},
	{"/healthz", route_healthz, 1},
	{"/readyz", route_readyz, 1},
	{"/metrics", route_metrics, 0},
};

/* The hash of a token, so the comparison takes the same time whatever its
 * length and however much of it matches. */
static void token_hash(const char *t, size_t n, unsigned char out[TOKEN_HASH_BYTES])
{
	crypto_generichash(out, TOKEN_HASH_BYTES, (const unsigned char *)t, n, NULL, 0);
}

/* 1 when the Authorization header carries the token as a Bearer token. */
static int authorized(const cs_httpd *s, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	h += strspn(h, " ");
	unsigned char got[TOKEN_HASH_BYTES];
	token_hash(h, strcspn(h, " \t"), got);
	return sodium_memcmp(got, s->token_hash, TOKEN_HASH_BYTES) == 0;
}

static void dispatch(const cs_httpd *s, struct MHD_Connection *conn, const char *url,
		     const char *method, answer *a)
{
	const struct route *r = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0)
			r = &routes[i];
	if (!r)
		answer_text(a, MHD_HTTP_NOT_FOUND,
			    "not found; try /, /report, /healthz, /readyz or /metrics");
	else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		answer_text(a, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed; use GET");
	else if (s->auth && !r->open && !authorized(s, conn))
		answer_text(a, MHD_HTTP_UNAUTHORIZED,
			    "unauthorized; send the daemon's HTTP token as 'Authorization: "
			    "Bearer TOKEN'");
	else
		r->fn(s, a);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	(void)version, (void)upload_data;
	static int seen; /* marks a request whose headers arrived */
	if (!*req_cls) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_size) { /* no route takes a body: discard it */
		*upload_size = 0;
		return MHD_YES;
	}
	answer a = {0, NULL, CS_BUF_INIT, conn, 0};
	cs_buf_init(&a.body, 16 << 20);
	dispatch(cls, conn, url, method, &a);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		a.body.len, (void *)cs_buf_str(&a.body), MHD_RESPMEM_MUST_COPY);
	cs_buf_release(&a.body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (a.status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (a.retry_after_s > 0) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%d", a.retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	if (a.status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"classy-sync\"");
	if (!strcmp(a.ctype, HTML_TEXT)) /* nothing from elsewhere, ever */
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; "
					"img-src data:");
	enum MHD_Result rc = MHD_queue_response(conn, a.status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

int cs_httpd_start(const char *addr, const cs_httpd_handlers *h, cs_httpd **out, cs_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int fd = -1, port = 0;
	*out = NULL;
	if (!h || !h->live || !h->ready || !h->metrics)
		return cs_err_set(err, CS_EUSAGE, "cannot start the HTTP endpoint: the live, "
						  "ready and metrics handlers are all required");
	int auth = h->token && h->token[0];
	if (auth && sodium_init() < 0)
		return cs_err_set(err, CS_ERR, "cannot start the HTTP endpoint: libsodium failed "
						"to initialise");
	int rc = parse_listen(addr, &ss, &len, err);
	if (rc == 0 && !auth && !addr_is_loopback(&ss))
		rc = cs_err_set(err, CS_EUSAGE, CS_HTTPD_NEEDS_TOKEN, addr);
	if (rc == 0)
		rc = open_listener(addr, &ss, len, &fd, &port, err);
	if (rc)
		return rc;
	cs_httpd *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return cs_err_set(err, CS_ERR, "cannot start the HTTP endpoint on '%s': out of "
						"memory", addr);
	}
	s->h = *h;
	s->h.token = NULL;
	s->port = port;
	s->auth = auth;
	if (auth)
		token_hash(h->token, strlen(h->token), s->token_hash);
	/* MHD owns fd from here, and closes it on failure too (libmicrohttpd
	 * 0.9.75 does), so no close() below. */
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
				MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return cs_err_set(err, CS_ERR, "cannot start the HTTP endpoint on '%s': "
						"libmicrohttpd failed to start its thread", addr);
	}
	*out = s;
	return 0;
}

int cs_httpd_port(const cs_httpd *d)
{
	return d ? d->port : 0;
}

void cs_httpd_stop(cs_httpd *d)
{
	if (!d)
		return;
	MHD_stop_daemon(d->d);
	free(d);
}
