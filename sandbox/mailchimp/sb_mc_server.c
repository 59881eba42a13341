/* The Mailchimp half's front door: its own route tables (the API under
 * /3.0, the admin routes), the policy wrapped around every API call
 * (connection limit, latency, Basic auth, injected faults), the counters
 * behind /__sandbox/mc/stats, and problem+json answers. */
#include "mailchimp/sb_mc_int.h"

#include "core/sb_route.h"

#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct sb_mc_route {
	sb_route_key key;
	const char *name; /* the key in the stats' by_route */
	sb_mc_handler fn;
} sb_mc_route;

/* Paths are below /3.0. Deletions are routed only to be refused and
 * counted: a correct client never deletes a contact. */
static const sb_mc_route api_routes[] = {
	{{"GET", "/ping"}, "GET ping", sb_mc_h_ping},
	{{"GET", "/lists/*"}, "GET list", sb_mc_h_list},
	{{"POST", "/lists/*"}, "POST batch-subscribe", sb_mc_h_batch_subscribe},
	{{"GET", "/lists/*/merge-fields"}, "GET merge-fields", sb_mc_h_fields},
	{{"POST", "/lists/*/merge-fields"}, "POST merge-fields", sb_mc_h_field_add},
	{{"GET", "/lists/*/members"}, "GET members", sb_mc_h_members},
	{{"POST", "/lists/*/members"}, "POST members", sb_mc_h_member_post},
	{{"GET", "/lists/*/members/*"}, "GET member", sb_mc_h_member},
	{{"PUT", "/lists/*/members/*"}, "PUT members", sb_mc_h_member_put},
	{{"PATCH", "/lists/*/members/*"}, "PATCH members", sb_mc_h_member_patch},
	{{"DELETE", "/lists/*/members/*"}, "DELETE members", sb_mc_h_refuse_delete},
	{{"POST", "/lists/*/members/*/actions/delete-permanent"}, "POST delete-permanent",
	 sb_mc_h_refuse_delete},
	{{"POST", "/lists/*/members/*/tags"}, "POST tags", sb_mc_h_tags},
	{{"GET", "/batches"}, "GET batches", sb_mc_h_batch_list},
	{{"POST", "/batches"}, "POST batches", sb_mc_h_batch_submit},
	{{"GET", "/batches/*"}, "GET batch", sb_mc_h_batch_get},
};
#define NAPI (sizeof(api_routes) / sizeof(api_routes[0]))
_Static_assert(NAPI <= SB_MC_NROUTES_MAX, "raise SB_MC_NROUTES_MAX");

/* No auth, no limits, no faults. The results download stands in for an S3
 * URL on another host, so it is not under /3.0 either. */
static const sb_mc_route admin_routes[] = {
	{{"GET", "/__sandbox/mc/stats"}, NULL, sb_mc_h_admin_stats},
	{{"POST", "/__sandbox/mc/reset-stats"}, NULL, sb_mc_h_admin_reset_stats},
	{{"GET", "/__sandbox/mc/members"}, NULL, sb_mc_h_admin_members},
	{{"POST", "/__sandbox/mc/seed"}, NULL, sb_mc_h_admin_seed},
	{{"POST", "/__sandbox/mc/reset"}, NULL, sb_mc_h_admin_reset},
	{{"GET", "/__sandbox/mc/knobs"}, NULL, sb_mc_h_admin_knobs},
	{{"POST", "/__sandbox/mc/knobs"}, NULL, sb_mc_h_admin_knobs},
	{{"GET", "/__mc/batch-results/*"}, NULL, sb_mc_h_batch_results},
};
#define NADMIN (sizeof(admin_routes) / sizeof(admin_routes[0]))

const char *sb_mc_route_name(int i)
{
	return i >= 0 && (size_t)i < NAPI ? api_routes[i].name : "other";
}

int sb_mc_nroutes(void)
{
	return (int)NAPI;
}

/* Index into t, or -404 / -405. */
static int find(const sb_mc_route *t, size_t n, sb_mc_req *rq)
{
	return sb_route_find(t, n, sizeof(*t), rq->method, rq->path, rq->params, rq->pbuf,
			     sizeof(rq->pbuf));
}

/* ---- requests ---- */

void sb_mc_req_init(sb_mc *m, sb_mc_req *rq)
{
	memset(rq, 0, sizeof(*rq));
	uint64_t n = atomic_fetch_add(&m->next_instance, 1);
	uint64_t a = sb_hash(m->seed, n, 0x1d), b = sb_hash(m->seed, n, 0x2d);
	snprintf(rq->instance, sizeof(rq->instance), "%08x-%04x-%04x-%04x-%012llx",
		 (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff,
		 (unsigned)(b >> 48), (unsigned long long)b & 0xffffffffffffULL);
}

const char *sb_mc_arg(const sb_mc_req *rq, const char *key)
{
	if (rq->conn)
		return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
	for (int i = 0; i < rq->nargs; i++)
		if (!strcmp(rq->akey[i], key))
			return rq->aval[i];
	return NULL;
}

int sb_mc_req_add_arg(sb_mc_req *rq, const char *key, const char *val)
{
	size_t used = 0, kn = strlen(key), vn = strlen(val);
	if (rq->nargs)
		used = (size_t)(rq->aval[rq->nargs - 1] - rq->abuf) + strlen(rq->aval[rq->nargs - 1]) + 1;
	if (rq->nargs == 8 || used + kn + vn + 2 > sizeof(rq->abuf))
		return -1;
	memcpy(rq->abuf + used, key, kn + 1);
	memcpy(rq->abuf + used + kn + 1, val, vn + 1);
	rq->akey[rq->nargs] = rq->abuf + used;
	rq->aval[rq->nargs++] = rq->abuf + used + kn + 1;
	return 0;
}

/* ---- answers ---- */

static void put_json(sb_resp *rs, int status, const char *ctype, cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	cs_buf_reset(&rs->body);
	rs->status = s ? status : 500;
	rs->ctype = ctype;
	cs_buf_puts(&rs->body, s ? s : "{\"error\":\"out of memory\"}");
	free(s);
}

static cJSON *problem_json(sb_mc_req *rq, int status, const char *title, const char *detail)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "https://mailchimp.com/developer/marketing/docs/errors/");
	cJSON_AddStringToObject(j, "title", title);
	cJSON_AddNumberToObject(j, "status", status);
	cJSON_AddStringToObject(j, "detail", detail);
	cJSON_AddStringToObject(j, "instance", rq->instance);
	return j;
}

void sb_mc_problem(sb_mc_req *rq, sb_resp *rs, int status, const char *title, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	put_json(rs, status, "application/problem+json", problem_json(rq, status, title, detail));
}

void sb_mc_invalid(sb_mc_req *rq, sb_resp *rs, const char *field, const char *message)
{
	cJSON *j = problem_json(rq, 400, "Invalid Resource",
				"The resource submitted could not be validated. For field-specific "
				"details, see the 'errors' array.");
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "errors"), e);
	put_json(rs, 400, "application/problem+json", j);
}

void sb_mc_not_found(sb_mc_req *rq, sb_resp *rs)
{
	sb_mc_problem(rq, rs, 404, "Resource Not Found", "The requested resource could not be found.");
}

void sb_mc_resp_cjson(sb_resp *rs, cJSON *j)
{
	put_json(rs, 200, "application/json", j);
}

cJSON *sb_mc_body_object(sb_mc_req *rq, sb_resp *rs)
{
	cJSON *j = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	if (cJSON_IsObject(j))
		return j;
	cJSON_Delete(j);
	sb_mc_problem(rq, rs, 400, "JSON Parse Exception",
		   "We encountered an unspecified JSON parsing error.");
	return NULL;
}

int sb_mc_list_ok(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	if (!strcmp(rq->params[0], m->store.list_id)) /* immutable after start */
		return 1;
	sb_mc_not_found(rq, rs);
	return 0;
}

/* ---- fields= and exclude_fields= ---- */

/* How a comma list of dotted paths treats path: 2 when it names path or
 * an ancestor (keep the whole subtree), 1 when it names a descendant
 * (keep, and filter inside), 0 when neither. */
static int listed(const char *list, const char *path)
{
	size_t pn = strlen(path);
	int r = 0;
	for (const char *e = list; *e;) {
		size_t n = strcspn(e, ",");
		if ((n == pn || (n < pn && path[n] == '.')) && !strncmp(e, path, n))
			return 2;
		if (n > pn && e[pn] == '.' && !strncmp(e, path, pn))
			r = 1;
		e += n + (e[n] == ',');
	}
	return r;
}

static void filter(cJSON *node, const char *prefix, const char *fields, const char *excl)
{
	cJSON *c = node->child, *next;
	for (; c; c = next) {
		next = c->next;
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 c->string ? c->string : "");
		int keep = fields ? listed(fields, path) : 2;
		if (!keep || (excl && listed(excl, path) == 2)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
			continue;
		}
		const char *sub = keep == 2 ? NULL : fields;
		if (cJSON_IsObject(c)) {
			filter(c, path, sub, excl);
		} else if (cJSON_IsArray(c)) {
			cJSON *el;
			cJSON_ArrayForEach(el, c)
				if (cJSON_IsObject(el))
					filter(el, path, sub, excl);
		}
	}
}

static void apply_fields(sb_mc_req *rq, sb_resp *rs)
{
	const char *fields = sb_mc_arg(rq, "fields"), *excl = sb_mc_arg(rq, "exclude_fields");
	if (!fields && !excl)
		return;
	cJSON *j = cJSON_ParseWithLength(cs_buf_str(&rs->body), rs->body.len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return;
	}
	filter(j, "", fields, excl);
	put_json(rs, rs->status, rs->ctype, j);
}

/* ---- counters ---- */

static int is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* Member objects in a write body carrying "status": one for a member body,
 * one per element of a batch subscribe's members[]. */
static uint64_t status_fields(const sb_mc_req *rq)
{
	cJSON *j = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	uint64_t n = 0;
	const cJSON *mem = cJSON_GetObjectItemCaseSensitive(j, "members"), *el;
	if (cJSON_IsArray(mem)) {
		cJSON_ArrayForEach(el, mem)
			n += cJSON_GetObjectItemCaseSensitive(el, "status") != NULL;
	} else if (cJSON_IsObject(j)) {
		n = cJSON_GetObjectItemCaseSensitive(j, "status") != NULL;
	}
	cJSON_Delete(j);
	return n;
}

/* Counted on arrival, whatever the answer: a retried write counts twice. */
static void count_arrival(sb_mc *m, const sb_mc_req *rq, int ri)
{
	int write = is_write(rq->method);
	int del = !strcmp(rq->method, "DELETE") || ends_with(rq->path, "/actions/delete-permanent");
	uint64_t sf = write ? status_fields(rq) : 0;
	size_t slot = ri >= 0 ? (size_t)ri : NAPI;
	pthread_mutex_lock(&m->lock);
	if (rq->in_batch) {
		m->stats.batch_operations++;
		m->stats.batch_writes += write;
		m->stats.batch_by_route[slot]++;
	} else {
		m->stats.requests++;
		m->stats.writes += write;
		m->stats.by_route[slot]++;
	}
	m->stats.deletes += del;
	m->stats.status_field_seen += sf;
	pthread_mutex_unlock(&m->lock);
}

void sb_mc_count_tag_call(sb_mc *m, int is_syncing)
{
	pthread_mutex_lock(&m->lock);
	m->stats.is_syncing_false += !is_syncing;
	pthread_mutex_unlock(&m->lock);
}

void sb_mc_count_download(sb_mc *m, int with_auth)
{
	pthread_mutex_lock(&m->lock);
	m->stats.result_downloads++;
	m->stats.result_downloads_with_auth += with_auth != 0;
	pthread_mutex_unlock(&m->lock);
}

/* ---- policy ---- */

/* HTTP Basic with any username; the password must be the API key. */
static int auth_ok(sb_mc *m, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	unsigned char out[1024];
	if (!h || strncasecmp(h, "Basic ", 6))
		return 0;
	h += 6;
	h += strspn(h, " ");
	size_t n = strlen(h);
	if (n < 4 || n % 4 || n / 4 * 3 >= sizeof(out))
		return 0;
	int len = EVP_DecodeBlock(out, (const unsigned char *)h, (int)n);
	if (len < 0)
		return 0;
	len -= (h[n - 1] == '=') + (h[n - 2] == '='); /* EVP counts the padding */
	const unsigned char *colon = memchr(out, ':', (size_t)len);
	if (!colon)
		return 0;
	size_t plen = (size_t)len - (size_t)(colon + 1 - out);
	return plen == strlen(m->api_key) && !memcmp(colon + 1, m->api_key, plen);
}

/* 0, 500 or 429, from the seeded generator, as the Classy half does;
 * fail_writes answers every write 500 (reads still work), to test what a
 * client does when only its writes fail. */
static int roll_fault(sb_mc *m, const char *method)
{
	pthread_mutex_lock(&m->lock);
	double x = sb_rng_unit(&m->rng);
	int f = m->knobs.fail_writes && strcmp(method, "GET") ? 500
		: x < m->knobs.fail_rate ? 500
		: x < m->knobs.fail_rate + m->knobs.throttle_rate ? 429 : 0;
	m->stats.faults_500 += f == 500;
	m->stats.throttled_429 += f == 429;
	pthread_mutex_unlock(&m->lock);
	return f;
}

static void too_many(sb_mc_req *rq, sb_resp *rs, long limit)
{
	/* Mailchimp sends no Retry-After: clients must back off on their own. */
	sb_mc_problem(rq, rs, 429, "Too Many Requests",
		   "You have exceeded the limit of %ld simultaneous connections.", limit);
}

static void run_route(sb_mc *m, sb_mc_req *rq, int ri, sb_resp *rs)
{
	if (ri == -404)
		sb_mc_not_found(rq, rs);
	else if (ri == -405)
		sb_mc_problem(rq, rs, 405, "Method Not Allowed",
			   "The requested method and resource are not compatible. See the Allow "
			   "header for this resource's available methods.");
	else
		api_routes[ri].fn(m, rq, rs);
	if (rs->status == 200)
		apply_fields(rq, rs);
}

void sb_mc_exec_op(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	int ri = find(api_routes, NAPI, rq);
	count_arrival(m, rq, ri);
	run_route(m, rq, ri, rs);
}

/* The in-flight count covers the whole handling, latency included, so a
 * client's real concurrency is what the limit sees. */
static void api(sb_mc *m, sb_req *sr, sb_resp *rs)
{
	sb_mc_req rq;
	sb_mc_req_init(m, &rq);
	rq.method = sr->method;
	rq.path = sr->url[4] ? sr->url + 4 : "/";
	rq.body = sr->body.data;
	rq.body_len = sr->body.len;
	rq.conn = sr->conn;
	sb_base_url(sr, rq.base, sizeof(rq.base));
	int ri = find(api_routes, NAPI, &rq);
	count_arrival(m, &rq, ri);
	long n = atomic_fetch_add(&m->in_flight, 1) + 1;
	pthread_mutex_lock(&m->lock);
	sb_mc_knobs k = m->knobs;
	int over = n > k.max_connections;
	if (over)
		m->stats.throttled_429++;
	else if (n > m->stats.max_in_flight)
		m->stats.max_in_flight = n;
	pthread_mutex_unlock(&m->lock);
	if (over) {
		too_many(&rq, rs, k.max_connections);
		goto out;
	}
	if (k.latency_ms > 0)
		sb_sleep_ms(k.latency_ms);
	int fault;
	if (!auth_ok(m, sr->conn)) {
		pthread_mutex_lock(&m->lock);
		m->stats.unauthorized_401++;
		pthread_mutex_unlock(&m->lock);
		sb_mc_problem(&rq, rs, 401, "API Key Invalid",
			   "Your API key may be invalid, or you've attempted to access the wrong "
			   "datacenter.");
	} else if ((fault = roll_fault(m, rq.method)) == 500) {
		sb_mc_problem(&rq, rs, 500, "Internal Server Error",
			   "An unexpected internal error has occurred. Please contact Support for "
			   "more information.");
	} else if (fault == 429) {
		too_many(&rq, rs, k.max_connections);
	} else {
		run_route(m, &rq, ri, rs);
	}
out:
	atomic_fetch_sub(&m->in_flight, 1);
}

static void admin(sb_mc *m, sb_req *sr, sb_resp *rs)
{
	sb_mc_req rq;
	sb_mc_req_init(m, &rq);
	rq.method = sr->method;
	rq.path = sr->url;
	rq.body = sr->body.data;
	rq.body_len = sr->body.len;
	rq.conn = sr->conn;
	sb_base_url(sr, rq.base, sizeof(rq.base));
	int ri = find(admin_routes, NADMIN, &rq);
	if (ri == -404)
		sb_resp_error(rs, 404, "route '%s' not found", sr->url);
	else if (ri == -405)
		sb_resp_error(rs, 405, "method '%s' is not allowed on '%s'", sr->method, sr->url);
	else
		admin_routes[ri].fn(m, &rq, rs);
}

int sb_mc_handle(void *part, sb_req *rq, sb_resp *rs)
{
	sb_mc *m = part;
	const char *u = rq->url;
	if (!strncmp(u, "/3.0", 4) && (u[4] == '\0' || u[4] == '/'))
		api(m, rq, rs);
	else if (!strncmp(u, "/__mc/", 6) || !strncmp(u, "/__sandbox/mc/", 14))
		admin(m, rq, rs);
	else
		return 0;
	return 1;
}

/* ---- lifecycle ---- */

sb_mc *sb_mc_new(const sb_mc_opts *o)
{
	sb_mc *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->api_key, sizeof(m->api_key), "%s", o->api_key);
	m->seed = o->seed;
	m->knobs = o->knobs;
	m->rng.s = sb_hash(o->seed, 0x3c4a1, 0); /* its own stream: Classy faults unchanged */
	pthread_mutex_init(&m->lock, NULL);
	if (sb_mc_store_init(&m->store, o->list_id, o->seed) || !(m->batches = sb_mc_batches_new(m))) {
		sb_mc_free(m);
		return NULL;
	}
	return m;
}

void sb_mc_free(sb_mc *m)
{
	if (!m)
		return;
	sb_mc_batches_free(m->batches); /* joins the worker, which uses the store */
	sb_mc_store_release(&m->store);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
