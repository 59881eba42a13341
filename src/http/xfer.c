/* One transfer's setup over libcurl: the options every attempt re-applies
 * after curl_easy_reset, and the callbacks that read the answer (body under
 * its cap, the headers that matter, the stop check). Shared by the blocking
 * client (http.c, drive.c) and the event loop (loop.c). It must never turn
 * off TLS verification, and every number a server sends is capped before
 * any arithmetic. */
#include "http/http_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USER_AGENT "classy-sync/0.1"

static char g_ca_file[1024]; /* set before threads, read by every request */

void cs_http_global_ca_file(const char *path)
{
	snprintf(g_ca_file, sizeof(g_ca_file), "%s", path ? path : "");
}

static void resp_clear_meta(cs_http_resp *r)
{
	r->status = 0;
	r->retry_after_s = r->rl_limit = r->rl_remaining = r->rl_reset = -1;
	r->content_type[0] = '\0';
}

void cs_http_resp_init(cs_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	cs_buf_init(&r->body, 0);
	resp_clear_meta(r);
}

void cs_http_resp_release(cs_http_resp *r)
{
	if (!r)
		return;
	cs_buf_release(&r->body);
	resp_clear_meta(r);
}

/* ---- callbacks ---------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	cs_http_xfer *h = ud;
	if (cs_buf_append(&h->cur->body, p, size * n) < 0) {
		h->overflow = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* Every number a server sends is capped here, before any arithmetic: a
 * huge one means "very long", never an overflow, and is never ignored. */
#define MAX_HEADER_NUMBER 100000000000L /* 1e11: a Unix time in the year 5138 */

/* A non-negative decimal, saturated at MAX_HEADER_NUMBER however many
 * digits it has; -1 when it is not one. */
static long parse_long(const char *v, size_t n)
{
	long x = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x < MAX_HEADER_NUMBER)
			x = x * 10 + (v[i] - '0');
	}
	return x < MAX_HEADER_NUMBER ? x : MAX_HEADER_NUMBER;
}

static void set_retry_after(cs_http_resp *r, const char *v, size_t n)
{
	long s = parse_long(v, n);
	if (s < 0 && n < 64) {
		/* The other allowed form is an HTTP date. */
		char tmp[64];
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		time_t t = curl_getdate(tmp, NULL), now = time(NULL);
		if (t >= 0)
			s = t <= now ? 0 : t - now > CS_HTTP_MAX_RETRY_AFTER_S ? CS_HTTP_MAX_RETRY_AFTER_S
								: (long)(t - now);
	}
	r->retry_after_s = s > CS_HTTP_MAX_RETRY_AFTER_S ? CS_HTTP_MAX_RETRY_AFTER_S : s;
}

static void set_content_type(cs_http_resp *r, const char *v, size_t n)
{
	if (n >= sizeof(r->content_type))
		n = sizeof(r->content_type) - 1;
	memcpy(r->content_type, v, n);
	r->content_type[n] = '\0';
}

#define LONG_FIELD(f) offsetof(cs_http_resp, f)

static const struct {
	const char *name;
	size_t field; /* offset of a long in cs_http_resp, or 0 for a custom parser */
	void (*parse)(cs_http_resp *r, const char *v, size_t n);
} header_table[] = {
	{"retry-after", 0, set_retry_after},
	{"x-ratelimit-limit", LONG_FIELD(rl_limit), NULL},
	{"x-ratelimit-remaining", LONG_FIELD(rl_remaining), NULL},
	{"x-ratelimit-reset", LONG_FIELD(rl_reset), NULL},
	{"content-type", 0, set_content_type},
};

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
	cs_http_xfer *h = ud;
	size_t len = size * n;
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		/* A new status line (after a 100 Continue): forget older headers. */
		resp_clear_meta(h->cur);
		return len;
	}
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return len;
	size_t name_len = (size_t)(colon - line);
	const char *v = colon + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	for (size_t i = 0; i < sizeof(header_table) / sizeof(header_table[0]); i++) {
		if (strlen(header_table[i].name) != name_len ||
		    strncasecmp(line, header_table[i].name, name_len) != 0)
			continue;
		if (header_table[i].parse)
			header_table[i].parse(h->cur, v, (size_t)(end - v));
		else
			*(long *)((char *)h->cur + header_table[i].field) =
				parse_long(v, (size_t)(end - v));
		break;
	}
	return len;
}

/* Ends a transfer that libcurl runs as soon as a stop is asked. One it no
 * longer runs never gets here: our loops (drive.c, loop.c) check the stop
 * flag themselves too. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	cs_http_xfer *h = ud;
	return h->should_stop && h->should_stop() ? 1 : 0;
}

/* ---- one attempt -------------------------------------------------------- */

static void set_method(CURL *c, const cs_http_req *req)
{
	int is_get = strcmp(req->method, "GET") == 0;
	if (is_get) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (req->body || strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (strcmp(req->method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
}

void cs_http_xfer_setup(CURL *c, const cs_http_opts *o, const cs_http_req *req,
			struct curl_slist *hdrs, cs_http_xfer *h, cs_http_resp *resp)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (g_ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, g_ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/* HTTP/2 where the server offers it over TLS (one connection carries
	 * many requests of the event loop); HTTP/1.1 keep-alive otherwise. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	/* Accept-Encoding with every decoder libcurl has (gzip at least). */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	/* A declared Content-Length over the cap fails before any byte is read. */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
	set_method(c, req);

	h->errbuf[0] = '\0';
	h->overflow = 0;
	h->cur = resp;
	h->should_stop = o->should_stop;
	h->timeout_ms = o->timeout_ms;
	h->grace_ms = o->stuck_grace_ms;
	h->stuck_ms = 0;
	cs_buf_reset(&resp->body);
	resp->body.max = o->max_body;
	resp_clear_meta(resp);
	resp->conn_failed = 0;
}
