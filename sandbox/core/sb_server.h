#ifndef SB_SERVER_H
#define SB_SERVER_H
/* The sandbox's HTTP plumbing (sb_server.c): one libmicrohttpd server on
 * one port, and the parts mounted on it (the Mailchimp half, the Classy
 * half), asked in turn for every request. The server knows no route and no
 * half: a part claims a request by answering it. */
#include "core/sb_args.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sb_server sb_server;

typedef struct sb_req {
	struct MHD_Connection *conn;
	sb_server *srv;
	const char *method, *url;
	const char *params[4]; /* path captures, NUL-terminated copies */
	char pbuf[256];
	cs_buf body; /* request body */
	int too_large; /* the body went over the limit: answered 413 */
} sb_req;

enum sb_resp_mode {
	SB_RESP_NORMAL = 0,
	SB_RESP_DROP,    /* close the connection unanswered */
	SB_RESP_TRUNCATE /* send the first `cut` bytes of the body, then close */
};

typedef struct sb_resp {
	int status;
	const char *ctype;
	cs_buf body;
	int mode; /* enum sb_resp_mode */
	/* SB_RESP_TRUNCATE: how many bytes go out, and whether Content-Length
	 * says so (a short body that looks complete) or promises the whole
	 * body (a transport error). */
	size_t cut;
	int short_length;
	int nhdr;
	char hdr[8][2][64];
	/* A streamed body (an MHD content reader) replaces `body` when set. */
	ssize_t (*stream)(void *cls, uint64_t pos, char *buf, size_t max);
	void *stream_cls;
	void (*stream_free)(void *cls);
} sb_resp;

/* A part of the sandbox: it answers the requests it claims and returns 1,
 * else returns 0 and the next part is asked. Parts answer failures too
 * (a failure is a response). */
typedef int (*sb_mount_fn)(void *part, sb_req *rq, sb_resp *rs);

typedef struct sb_mount {
	sb_mount_fn fn;
	void *part;
} sb_mount;

#define SB_MAX_MOUNTS 4

typedef struct sb_server_opts {
	const char *bind;
	int port;
	const sb_mount *mounts; /* asked in this order; copied */
	size_t nmounts;
} sb_server_opts;

sb_server *sb_server_start(const sb_server_opts *o, int *port_out, char *msg, size_t msglen);
void sb_server_stop(sb_server *s);

/* ---- for the parts' handlers ---- */

const char *sb_arg(sb_req *rq, const char *key);
/* sb_arg as an sb_arg_fn, rq being an sb_req. */
const char *sb_req_arg(void *rq, const char *key);
/* A request header; NULL when absent. */
const char *sb_header(sb_req *rq, const char *name);
/* Reads the n settings of defs from arg(ctx) into base (sb_opts_read); at
 * the first invalid one answers 400 with its explanation and returns -1. */
int sb_resp_opts(sb_resp *rs, const sb_opt *defs, size_t n, void *base, sb_arg_fn arg,
		 void *ctx);
void sb_resp_json(sb_resp *rs, int status, const char *json);
/* {"error":"<msg>"} with the given status. */
void sb_resp_error(sb_resp *rs, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sb_resp_header(sb_resp *rs, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The absolute base URL for links, "http://host:port". */
void sb_base_url(sb_req *rq, char *out, size_t len);
/* Injected latency: sleeps ms milliseconds, signals or not. */
void sb_sleep_ms(long ms);

#endif
