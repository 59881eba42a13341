/* A Mailchimp request and its answers, the same whether it came from the
 * network or from inside a batch: its id (the problem+json `instance`), its
 * query arguments, problem+json errors, JSON bodies, and the fields= /
 * exclude_fields= trimming every 200 answer gets.
 *
 * Must never: decide policy (auth, limits, faults) or touch the audience;
 * it shapes what handlers answer. */
#include "mailchimp/sb_mc_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (rq->net)
		return sb_arg(rq->net, key);
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

void sb_mc_apply_fields(sb_mc_req *rq, sb_resp *rs)
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
