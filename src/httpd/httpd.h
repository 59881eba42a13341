#ifndef CS_HTTPD_H
#define CS_HTTPD_H
/* The daemon's small HTTP endpoint (libmicrohttpd, one internal thread):
 *
 *   GET /         200, "text/html; charset=utf-8", the status page
 *                 handlers->page appends (404 when page is NULL)
 *   GET /report  200, HTML, the giving report handlers->report appends for
 *                 the organization of "?org=ID" (absent or "all": every
 *                 one); 503 with Retry-After and the handler's HTML while
 *                 its figures are being read; 400 for another value, 404
 *                 for an unknown org or when report is NULL
 *   GET /healthz  200 "ok\n" while handlers->live says the work loop is
 *                 turning (its heartbeat is fresh), else 503 "<reason>\n"
 *   GET /readyz   200 "ok\n" when handlers->ready says the daemon can do its
 *                 work (database open, configuration valid), else 503
 *   GET /metrics  200, Content-Type "text/plain; version=0.0.4;
 *                 charset=utf-8", the text handlers->metrics appends
 *   other paths   404; methods other than GET and HEAD: 405 with Allow
 *
 * Handlers run on the server's thread, so they must be thread-safe and
 * quick: read a timestamp or render the registry, never do I/O that can
 * hang (the page handler reads small tables through its own connection).
 *
 * Access: a bare ":PORT" binds the loopback interface. Any address beyond
 * it (0.0.0.0, a LAN address, [::]) needs a token, else cs_httpd_start
 * refuses. With a token every request but /healthz and /readyz (which
 * probes must reach) needs "Authorization: Bearer TOKEN", compared in
 * constant time; else 401. The token is never logged or echoed. */
#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>

typedef struct cs_httpd_handlers {
	void *ctx; /* passed to every handler */
	/* 1 when live; 0 fills reason ("no heartbeat for 312 s"). */
	int (*live)(void *ctx, char *reason, size_t reasonsz);
	/* 1 when ready; 0 fills reason ("database is locked"). */
	int (*ready)(void *ctx, char *reason, size_t reasonsz);
	/* Appends the exposition text; negative on failure (then 500). */
	int (*metrics)(void *ctx, cs_buf *out);
	/* Appends the HTML of the status page; negative on failure (then
	 * 500). Optional. */
	int (*page)(void *ctx, cs_buf *out);
	/* Appends the HTML of the giving report of org (0: every org);
	 * CS_ENOTFOUND when org is not registered (then 404), another negative
	 * on failure (then 500); a positive number when the figures are not
	 * there yet: 503 with the HTML it appended and a Retry-After of that
	 * many seconds. Optional. */
	int (*report)(void *ctx, long long org, cs_buf *out);
	/* NULL or "": no authentication (loopback only). Copied (hashed). */
	const char *token;
} cs_httpd_handlers;

typedef struct cs_httpd cs_httpd;

/* Parses listen, "HOST:PORT" with HOST an IPv4 address, "[IPv6]" or
 * "localhost", or ":PORT" for 127.0.0.1 (the loopback default: serving
 * every interface takes an explicit "0.0.0.0:PORT" or "[::]:PORT").
 * PORT 0 picks a free port (see cs_httpd_port). Binds, listens and starts
 * serving. The handlers struct is copied; all three handlers are required.
 * Fails with CS_EUSAGE for a malformed address or missing handler, and
 * CS_EIO when the address cannot be bound (in use, not on this host,
 * privileged port), each naming the address and what to do. */
int cs_httpd_start(const char *listen, const cs_httpd_handlers *h, cs_httpd **out, cs_err *err);

/* The refusal for an address beyond the loopback without a token (%s:
 * the address), shared with the command that checks it before starting. */
#define CS_HTTPD_NEEDS_TOKEN                                                                      \
	"serving '%s' beyond this machine needs a token: set CLASSY_SYNC_HTTP_TOKEN or "         \
	"--http-token-file FILE (clients then send 'Authorization: Bearer TOKEN'), or listen "   \
	"on 127.0.0.1"

/* Whether listen (as cs_httpd_start parses it) is on this machine only:
 * 127.0.0.0/8, [::1], [::ffff:127.x.x.x], localhost or ":PORT". 0 with
 * *loopback set; CS_EUSAGE for a malformed address. */
int cs_httpd_listen_is_loopback(const char *listen, int *loopback, cs_err *err);

/* The bound port (useful after port 0). */
int cs_httpd_port(const cs_httpd *d);

/* Stops serving, waits for the server thread and frees d. NULL is a no-op. */
void cs_httpd_stop(cs_httpd *d);

#endif
