/* Mailchimp transport: base URL and Basic auth, the one request path every
 * call takes (mc_send, mc_exec), problem+json errors, stats and the
 * subscriber hash. The pool is in mc_pool.c, /batches in mc_batch.c. It
 * knows nothing of contacts, and must never put the API key anywhere but
 * the Authorization header. */
#include "plugin/mailchimp/mc_transport.h"

#include "util/buf.h"
#include "util/log.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_USERNAME "classy-sync"
#define MC_DEFAULT_TIMEOUT_MS 120000L

static const char no_dc_msg[] =
	"MAILCHIMP_API_KEY has no data center suffix (expected a key ending in -us6 or "
	"similar); set MAILCHIMP_API_URL to override";

/* ---- base URL and client ------------------------------------------------ */

/* A data center is letters then digits: "us6", "eu1". */
static int valid_dc(const char *dc)
{
	const char *p = dc;
	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == dc || !(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0';
}

int mc_base_url_from_key(const char *key, char *out, size_t outsz, cs_err *err)
{
	if (outsz)
		out[0] = '\0';
	if (!key || !*key)
		return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_API_KEY is not set");
	/* Never echo any part of the key: the suffix may be the secret itself
	 * when the key is malformed. */
	const char *dash = strrchr(key, '-');
	if (!dash || !valid_dc(dash + 1))
		return cs_err_set(err, CS_EUSAGE, "%s", no_dc_msg);
	int n = snprintf(out, outsz, "https://%s.api.mailchimp.com/3.0", dash + 1);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return cs_err_set(err, CS_ERR, "cannot build the mailchimp URL: buffer too small");
	}
	return 0;
}

/* "Authorization: Basic base64(classy-sync:key)", built once. */
static char *make_auth_header(const char *key)
{
	static const char prefix[] = "Authorization: Basic ";
	size_t ulen = strlen(MC_USERNAME), klen = strlen(key);
	size_t bin_len = ulen + 1 + klen;
	unsigned char *bin = malloc(bin_len);
	size_t b64_len = sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL);
	char *hdr = malloc(sizeof(prefix) - 1 + b64_len);
	if (!bin || !hdr) {
		free(bin);
		free(hdr);
		return NULL;
	}
	memcpy(bin, MC_USERNAME ":", ulen + 1);
	memcpy(bin + ulen + 1, key, klen);
	memcpy(hdr, prefix, sizeof(prefix) - 1);
	sodium_bin2base64(hdr + sizeof(prefix) - 1, b64_len, bin, bin_len,
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(bin, bin_len);
	free(bin);
	return hdr;
}

int mc_client_new(const mc_client_opts *o, mc_client **out, cs_err *err)
{
	*out = NULL;
	if (!o || !o->api_key || !*o->api_key)
		return cs_err_set(err, CS_EUSAGE, "MAILCHIMP_API_KEY is not set");
	if (o->concurrency < 1 || o->concurrency > MC_MAX_CONCURRENCY)
		return cs_err_set(err, CS_EUSAGE,
				  "MAILCHIMP_CONCURRENCY must be between 1 and %d (mailchimp allows "
				  "%d connections per API key), got %d",
				  MC_MAX_CONCURRENCY, MC_MAX_CONCURRENCY, o->concurrency);
	char derived[128];
	const char *url = o->api_url;
	if (!url || !*url) {
		int rc = mc_base_url_from_key(o->api_key, derived, sizeof(derived), err);
		if (rc)
			return rc;
		url = derived;
	}
	mc_client *c = calloc(1, sizeof(*c));
	if (!c)
		return cs_err_set(err, CS_ERR, "cannot create the mailchimp client: out of memory");
	c->concurrency = o->concurrency;
	c->should_stop = o->should_stop;
	c->base = strdup(url);
	c->auth_hdr = make_auth_header(o->api_key);
	if (!c->base || !c->auth_hdr) {
		cs_err_set(err, CS_ERR, "cannot create the mailchimp client: out of memory");
		goto fail;
	}
	size_t n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	/* Mailchimp's 429 means "too many connections at once" (another client
	 * of the same key) and sends no Retry-After: a slot frees within
	 * moments, so waits start short and stay short rather than the Classy
	 * client's 30 s. */
	cs_http_opts ho = {
		.backoff_base_ms = 250,
		.backoff_max_ms = 10000,
		.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MC_DEFAULT_TIMEOUT_MS,
		.max_body = MC_MAX_BODY,
		.should_stop = o->should_stop,
	};
	for (int i = 0; i < c->concurrency; i++) {
		c->h[i] = cs_http_new(&ho, err);
		if (!c->h[i])
			goto fail;
	}
	*out = c;
	return 0;
fail:
	mc_client_free(c);
	return err ? err->code : CS_ERR;
}

void mc_client_free(mc_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->concurrency; i++)
		cs_http_free(c->h[i]);
	if (c->auth_hdr) {
		sodium_memzero(c->auth_hdr, strlen(c->auth_hdr));
		free(c->auth_hdr);
	}
	free(c->base);
	free(c);
}

/* ---- results ------------------------------------------------------------ */

void mc_result_release(mc_result *r)
{
	if (!r)
		return;
	cJSON_Delete(r->body);
	memset(r, 0, sizeof(*r));
}

void mc_ops_release(mc_op *ops, size_t n)
{
	for (size_t i = 0; ops && i < n; i++) {
		free(ops[i].path);
		free(ops[i].body);
		ops[i].path = ops[i].body = NULL;
		mc_result_release(&ops[i].res);
	}
}

void mc_set_transient(mc_result *res, long status, const char *fmt, ...)
{
	res->transient = 1;
	res->status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->title, sizeof(res->title), fmt, ap);
	va_end(ap);
}

static void copy_str(char *dst, size_t n, const cJSON *v)
{
	if (cJSON_IsString(v) && v->valuestring)
		snprintf(dst, n, "%s", v->valuestring);
}

void mc_fill_problem(mc_result *res, const cJSON *body)
{
	if (!cJSON_IsObject(body))
		return;
	copy_str(res->title, sizeof(res->title), cJSON_GetObjectItemCaseSensitive(body, "title"));
	copy_str(res->detail, sizeof(res->detail),
		 cJSON_GetObjectItemCaseSensitive(body, "detail"));
	copy_str(res->instance, sizeof(res->instance),
		 cJSON_GetObjectItemCaseSensitive(body, "instance"));
	/* Validation errors: "detail; field: message; field: message". */
	const cJSON *e, *errors = cJSON_GetObjectItemCaseSensitive(body, "errors");
	cJSON_ArrayForEach(e, errors)
	{
		const cJSON *field = cJSON_GetObjectItemCaseSensitive(e, "field");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
		const char *f = cJSON_IsString(field) ? field->valuestring : "";
		const char *m = cJSON_IsString(msg) ? msg->valuestring : "";
		if (!*f && !*m)
			continue;
		size_t len = strlen(res->detail);
		if (len + 1 >= sizeof(res->detail))
			break;
		snprintf(res->detail + len, sizeof(res->detail) - len, "%s%s%s%s",
			 len ? "; " : "", f, *f && *m ? ": " : "", m);
	}
}

/* ---- the request path ----------------------------------------------------- */

/* cs_http's messages start with "METHOD URL: "; keep only the reason, so
 * no URL (the results URL is signed) reaches a message. */
static void keep_reason(cs_err *e, const char *method, const char *url)
{
	size_t ml = strlen(method), ul = strlen(url);
	if (strncmp(e->msg, method, ml) == 0 && e->msg[ml] == ' ' &&
	    strncmp(e->msg + ml + 1, url, ul) == 0 && e->msg[ml + 1 + ul] == ':') {
		const char *p = e->msg + ml + 1 + ul + 1;
		while (*p == ' ')
			p++;
		memmove(e->msg, p, strlen(p) + 1);
	}
}

static void publish_stats(mc_client *c, int slot, const char *method, long before)
{
	const cs_http_stats *s = cs_http_get_stats(c->h[slot]);
	atomic_store(&c->st[slot].requests, s->requests);
	atomic_store(&c->st[slot].retries, s->retries);
	atomic_store(&c->st[slot].throttled, s->throttled);
	if (strcmp(method, "GET") != 0)
		atomic_fetch_add(&c->writes, s->requests - before);
}

int mc_send(mc_client *c, int slot, const char *method, const char *target, int absolute,
	    const char *body, cs_http_resp *resp, cs_err *err)
{
	cs_buf url = CS_BUF_INIT;
	if (absolute ? cs_buf_puts(&url, target)
		     : cs_buf_puts(&url, c->base) || cs_buf_puts(&url, target)) {
		cs_buf_release(&url);
		return cs_err_set(err, CS_ERR, "out of memory building the request URL");
	}
	const char *api_hdrs[] = {c->auth_hdr, "Accept: application/json",
				  body ? "Content-Type: application/json" : NULL, NULL};
	/* the results URL is signed (S3): logs show it without its query */
	char shown[512];
	snprintf(shown, sizeof(shown), "%.*s?(signed)", (int)strcspn(cs_buf_str(&url), "?"),
		 cs_buf_str(&url));
	cs_http_req req = {method, cs_buf_str(&url), absolute ? NULL : api_hdrs, body,
			   body ? strlen(body) : 0, 0, absolute ? shown : NULL};
	long before = cs_http_get_stats(c->h[slot])->requests;
	int rc = cs_http_do(c->h[slot], &req, resp, err);
	publish_stats(c, slot, method, before);
	if (rc && err)
		keep_reason(err, method, req.url);
	if (rc == 0 && !absolute)
		atomic_store(&c->answered, 1);
	cs_buf_release(&url);
	return rc;
}

int mc_exec(mc_client *c, int slot, const char *method, const char *path, const char *body,
	    mc_result *res, cs_err *err)
{
	memset(res, 0, sizeof(*res));
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	cs_err e = {0};
	int rc = mc_send(c, slot, method, path, 0, body, &resp, &e);
	if (rc == CS_EINTR) {
		mc_set_transient(res, 0, "stopped");
		cs_err_set(err, CS_EINTR, "mailchimp %s %s: interrupted", method, path);
		goto out;
	}
	if (rc == CS_ETRANSPORT || rc == CS_ERATELIMIT) {
		/* Nothing ever answered and the connection itself failed: the
		 * URL is the likely culprit, and the user can fix it. */
		if (rc == CS_ETRANSPORT && resp.status == 0 && resp.conn_failed &&
		    !atomic_load(&c->answered)) {
			rc = cs_err_set(err, CS_ETRANSPORT,
					"cannot reach mailchimp at '%s': %s; check MAILCHIMP_API_URL",
					c->base, e.msg);
			goto out;
		}
		mc_set_transient(res, resp.status, "%s", e.msg);
		cs_debug("mailchimp %s %s -> transient: %s", method, path, e.msg);
		rc = 0;
		goto out;
	}
	if (rc) {
		cs_err_set(err, rc, "mailchimp %s %s: %s", method, path, e.msg);
		goto out;
	}
	res->status = resp.status;
	if (resp.body.len)
		res->body = cJSON_ParseWithLength(resp.body.data, resp.body.len);
	cs_debug("mailchimp %s %s -> %ld", method, path, resp.status);
	if (resp.status < 400)
		goto out;
	mc_fill_problem(res, res->body);
	if (resp.status == 401 || resp.status == 403) {
		rc = cs_err_set(err, CS_EAUTH,
				"mailchimp rejected the API key (%ld%s%s): check MAILCHIMP_API_KEY "
				"and that MAILCHIMP_API_URL points at its data center",
				resp.status, res->title[0] ? " " : "", res->title);
		if (err)
			err->http_status = resp.status;
	}
out:
	cs_http_resp_release(&resp);
	return rc;
}

int mc_request(mc_client *c, const char *method, const char *path, const char *body,
	       mc_result *res, cs_err *err)
{
	return mc_exec(c, 0, method, path, body, res, err);
}

/* ---- stats and hash --------------------------------------------------------- */

void mc_client_stats(const mc_client *c, mc_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < c->concurrency; i++) {
		out->requests += atomic_load(&c->st[i].requests);
		out->retries += atomic_load(&c->st[i].retries);
		out->throttled += atomic_load(&c->st[i].throttled);
	}
	out->writes = atomic_load(&c->writes);
}

void mc_subscriber_hash(const char *email, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	const char *s = email ? email : "";
	size_t n = strlen(s);
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	/* ASCII case folding, independent of the locale. */
	char stack[256];
	char *low = n < sizeof(stack) ? stack : malloc(n + 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = '\0';
	if (!low)
		return;
	for (size_t i = 0; i < n; i++)
		low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	if (EVP_Digest(low, n, md, &mdlen, EVP_md5(), NULL) == 1 && mdlen == 16) {
		for (unsigned i = 0; i < 16; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
		out[32] = '\0';
	}
	if (low != stack)
		free(low);
}
