/* POST /batches: the operations run on one background worker, in
 * submission order, through the same routes as live requests (so a PUT in
 * a batch fails exactly as a live PUT would). The results become a gzip'd
 * ustar archive of JSON arrays, served at a URL that, like the real S3
 * one, needs no credentials and should get none.
 *
 * Must never: name a route or handler: operations go through the runner
 * the front door hands to sb_mc_batches_new. */
#include "mailchimp/sb_mc_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESULTS_PER_FILE 100 /* larger batches give several files, as the real one does */
#define MAX_BATCHES 10000

enum { B_PENDING = 0, B_STARTED, B_FINISHED };
static const char *const state_names[] = {"pending", "started", "finished"};

typedef struct sb_mc_batch {
	char id[16];
	int state;
	size_t total, finished, errored;
	int64_t submitted, completed;
	char base[160];   /* of the submitting request: batch operations' links */
	cJSON *ops;       /* until the worker takes them */
	cs_buf tgz;       /* the results, once finished */
} sb_mc_batch;

struct sb_mc_batches {
	sb_mc *m;
	sb_mc_exec_fn exec; /* runs one operation through the live routes */
	pthread_mutex_t lock; /* everything below and every batch's fields */
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	sb_mc_batch **v;
	size_t n, cap, next; /* next: the first batch not taken by the worker */
};

/* ---- one operation ---- */

/* In place: %XX and '+' as a query string encodes them. */
static void unescape(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (*s == '%' && sb_hex_digit(s[1]) >= 0 && sb_hex_digit(s[2]) >= 0) {
			*w++ = (char)(sb_hex_digit(s[1]) * 16 + sb_hex_digit(s[2]));
			s += 2;
		} else {
			*w++ = *s == '+' ? ' ' : *s;
		}
	}
	*w = '\0';
}

static void query_args(sb_mc_req *rq, char *q)
{
	char *save = NULL;
	for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq++ = '\0';
		unescape(kv);
		if (eq)
			unescape(eq);
		sb_mc_req_add_arg(rq, kv, eq ? eq : "");
	}
}

static void param_args(sb_mc_req *rq, const cJSON *params)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, params) {
		char *txt = cJSON_IsString(p) ? NULL : cJSON_PrintUnformatted(p);
		sb_mc_req_add_arg(rq, p->string, txt ? txt : cJSON_GetStringValue(p));
		free(txt);
	}
}

/* Paths come as "/3.0/lists/x", "3.0/lists/x", "/lists/x" or "lists/x". */
static void norm_path(const char *in, char *out, size_t outsz)
{
	in += *in == '/';
	if (!strncmp(in, "3.0", 3) && (in[3] == '/' || !in[3]))
		in += 3 + (in[3] == '/');
	snprintf(out, outsz, "/%s", in);
}

static void exec_one(sb_mc_batches *bs, const char *base, const cJSON *op, sb_resp *rs)
{
	sb_mc_req rq;
	char path[1024];
	const char *body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "body"));
	sb_mc_req_init(bs->m, &rq);
	rq.in_batch = 1;
	snprintf(rq.base, sizeof(rq.base), "%s", base);
	rq.method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "method"));
	norm_path(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "path")), path,
		  sizeof(path));
	char *q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		query_args(&rq, q);
	}
	param_args(&rq, cJSON_GetObjectItemCaseSensitive(op, "params"));
	rq.path = path;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	bs->exec(bs->m, &rq, rs);
}

/* ---- the archive ---- */

static la_ssize_t tgz_write(struct archive *a, void *cls, const void *buf, size_t n)
{
	(void)a;
	return cs_buf_append(cls, buf, n) ? -1 : (la_ssize_t)n;
}

static int tgz_entry(struct archive *a, const char *path, const char *data, size_t n, int dir)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return -1;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, time(NULL), 0);
	int rc = archive_write_header(a, e) == ARCHIVE_OK &&
			 (dir || archive_write_data(a, data, n) == (la_ssize_t)n)
		 ? 0 : -1;
	archive_entry_free(e);
	return rc;
}

/* A directory named after the batch holding 0.json, 1.json, ...: a client
 * must skip entries that are not regular files. */
static int tgz_build(const char *id, cJSON **files, size_t nfiles, cs_buf *out)
{
	struct archive *a = archive_write_new();
	char path[64];
	int rc = -1;
	if (!a || archive_write_set_format_ustar(a) || archive_write_add_filter_gzip(a) ||
	    archive_write_open(a, out, NULL, tgz_write, NULL))
		goto out;
	snprintf(path, sizeof(path), "%s/", id);
	if (tgz_entry(a, path, NULL, 0, 1))
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		char *txt = cJSON_PrintUnformatted(files[i]);
		snprintf(path, sizeof(path), "%s/%zu.json", id, i);
		int bad = !txt || tgz_entry(a, path, txt, strlen(txt), 0);
		free(txt);
		if (bad)
			goto out;
	}
	rc = archive_write_close(a) == ARCHIVE_OK ? 0 : -1;
out:
	if (a)
		archive_write_free(a);
	return rc;
}

/* ---- the worker ---- */

static void run_batch(sb_mc_batches *bs, sb_mc_batch *b, const cJSON *ops)
{
	size_t nfiles = b->total ? (b->total + RESULTS_PER_FILE - 1) / RESULTS_PER_FILE : 1, i = 0;
	cJSON **files = calloc(nfiles, sizeof(*files));
	const cJSON *op;
	for (size_t f = 0; files && f < nfiles; f++)
		files[f] = cJSON_CreateArray();
	cJSON_ArrayForEach(op, ops) {
		sb_resp rs = {.status = 200};
		cs_buf_init(&rs.body, 0);
		exec_one(bs, b->base, op, &rs);
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "status_code", rs.status);
		const char *oid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op,
											 "operation_id"));
		cJSON_AddStringToObject(r, "operation_id", oid ? oid : "");
		cJSON_AddStringToObject(r, "response", cs_buf_str(&rs.body));
		cs_buf_release(&rs.body);
		if (files)
			cJSON_AddItemToArray(files[i / RESULTS_PER_FILE], r);
		else
			cJSON_Delete(r);
		i++;
		pthread_mutex_lock(&bs->lock);
		b->finished++;
		b->errored += rs.status >= 400;
		int stop = bs->stop;
		pthread_mutex_unlock(&bs->lock);
		if (stop)
			break;
	}
	cs_buf tgz;
	cs_buf_init(&tgz, 0);
	if (!files || tgz_build(b->id, files, nfiles, &tgz))
		cs_buf_reset(&tgz); /* out of memory: an empty download, as a failed upload */
	for (size_t f = 0; files && f < nfiles; f++)
		cJSON_Delete(files[f]);
	free(files);
	pthread_mutex_lock(&bs->lock);
	b->tgz = tgz;
	b->state = B_FINISHED;
	b->completed = time(NULL);
	pthread_mutex_unlock(&bs->lock);
}

static void *worker(void *arg)
{
	sb_mc_batches *bs = arg;
	pthread_mutex_lock(&bs->lock);
	for (;;) {
		while (!bs->stop && bs->next == bs->n)
			pthread_cond_wait(&bs->cond, &bs->lock);
		if (bs->stop)
			break;
		sb_mc_batch *b = bs->v[bs->next++];
		cJSON *ops = b->ops;
		b->ops = NULL;
		b->state = B_STARTED;
		pthread_mutex_unlock(&bs->lock);
		run_batch(bs, b, ops);
		cJSON_Delete(ops);
		pthread_mutex_lock(&bs->lock);
	}
	pthread_mutex_unlock(&bs->lock);
	return NULL;
}

/* ---- handlers ---- */

static cJSON *batch_json(const sb_mc_batch *b, const char *base)
{
	char t[32];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", b->id);
	cJSON_AddStringToObject(j, "status", state_names[b->state]);
	cJSON_AddNumberToObject(j, "total_operations", (double)b->total);
	cJSON_AddNumberToObject(j, "finished_operations", (double)b->finished);
	cJSON_AddNumberToObject(j, "errored_operations", (double)b->errored);
	sb_mc_time_str(b->submitted, t);
	cJSON_AddStringToObject(j, "submitted_at", t);
	if (b->state == B_FINISHED)
		sb_mc_time_str(b->completed, t);
	cJSON_AddStringToObject(j, "completed_at", b->state == B_FINISHED ? t : "");
	char url[256] = "";
	if (b->state == B_FINISHED)
		snprintf(url, sizeof(url), "%s/__mc/batch-results/%s.tar.gz", base, b->id);
	cJSON_AddStringToObject(j, "response_body_url", url);
	cJSON_AddArrayToObject(j, "_links");
	return j;
}

/* 0 when every operation is well formed, else 1 with the field to blame. */
static int ops_invalid(const cJSON *ops, char *field, size_t fieldsz)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	const cJSON *op;
	int i = 0;
	cJSON_ArrayForEach(op, ops) {
		const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "method"));
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "path"));
		const cJSON *body = cJSON_GetObjectItemCaseSensitive(op, "body");
		const cJSON *oid = cJSON_GetObjectItemCaseSensitive(op, "operation_id");
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(op, "params");
		int ok = 0;
		for (size_t k = 0; method && k < 5; k++)
			ok |= !strcmp(method, methods[k]);
		const char *bad = !ok ? "method" : !path || !*path ? "path"
				  : body && !cJSON_IsString(body) ? "body"
				  : oid && !cJSON_IsString(oid) ? "operation_id"
				  : params && !cJSON_IsObject(params) ? "params" : NULL;
		if (bad)
			return snprintf(field, fieldsz, "operations.%d.%s", i, bad), 1;
		i++;
	}
	return 0;
}

static sb_mc_batch *batch_new(sb_mc_batches *bs, cJSON *ops, const char *base)
{
	sb_mc_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	snprintf(b->id, sizeof(b->id), "%010llx",
		 (unsigned long long)(sb_hash(bs->m->seed, bs->n, 0xba7c) & 0xffffffffffULL));
	b->ops = ops;
	b->total = (size_t)cJSON_GetArraySize(ops);
	b->submitted = time(NULL);
	snprintf(b->base, sizeof(b->base), "%s", base);
	cs_buf_init(&b->tgz, 0);
	return b;
}

/* Queues the batch; NULL (ops not taken) when full or out of memory.
 * Caller holds bs->lock. */
static sb_mc_batch *enqueue(sb_mc_batches *bs, cJSON *ops, const char *base)
{
	if (bs->n == MAX_BATCHES)
		return NULL;
	sb_mc_batch **v = cs_buf_grow_array(bs->v, &bs->cap, bs->n, sizeof(*v), 16);
	if (!v)
		return NULL;
	bs->v = v;
	sb_mc_batch *b = batch_new(bs, ops, base);
	if (b) {
		bs->v[bs->n++] = b;
		pthread_cond_signal(&bs->cond);
	}
	return b;
}

void sb_mc_h_batch_submit(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	cJSON *body = sb_mc_body_object(rq, rs);
	if (!body)
		return;
	cJSON *ops = cJSON_DetachItemFromObjectCaseSensitive(body, "operations");
	char field[48];
	sb_mc_batches *bs = m->batches;
	cJSON_Delete(body);
	if (!cJSON_IsArray(ops)) {
		sb_mc_invalid(rq, rs, "operations", "Schema describes array, another type found instead");
	} else if (ops_invalid(ops, field, sizeof(field))) {
		sb_mc_invalid(rq, rs, field, "Each operation needs a method (GET, POST, PUT, PATCH or "
					  "DELETE) and a path; body and operation_id are strings");
	} else {
		pthread_mutex_lock(&bs->lock);
		sb_mc_batch *b = enqueue(bs, ops, rq->base);
		cJSON *j = b ? batch_json(b, rq->base) : NULL;
		pthread_mutex_unlock(&bs->lock);
		if (j) {
			sb_mc_resp_cjson(rs, j);
			return; /* the batch owns ops now */
		}
		sb_mc_problem(rq, rs, 429, "Too Many Requests",
			      "The sandbox holds at most %d batches; reset it.", MAX_BATCHES);
	}
	cJSON_Delete(ops);
}

static sb_mc_batch *batch_find(sb_mc_batches *bs, const char *id)
{
	for (size_t i = 0; i < bs->n; i++)
		if (!strcmp(bs->v[i]->id, id))
			return bs->v[i];
	return NULL;
}

void sb_mc_h_batch_get(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	sb_mc_batches *bs = m->batches;
	pthread_mutex_lock(&bs->lock);
	sb_mc_batch *b = batch_find(bs, rq->params[0]);
	cJSON *j = b ? batch_json(b, rq->base) : NULL;
	pthread_mutex_unlock(&bs->lock);
	if (j)
		sb_mc_resp_cjson(rs, j);
	else
		sb_mc_not_found(rq, rs);
}

void sb_mc_h_batch_list(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	sb_mc_batches *bs = m->batches;
	cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "batches");
	pthread_mutex_lock(&bs->lock);
	for (size_t i = 0; i < bs->n; i++)
		cJSON_AddItemToArray(arr, batch_json(bs->v[i], rq->base));
	cJSON_AddNumberToObject(j, "total_items", (double)bs->n);
	pthread_mutex_unlock(&bs->lock);
	sb_mc_resp_cjson(rs, j);
}

/* GET /__mc/batch-results/{id}.tar.gz: no auth, like the S3 URL it
 * stands for; counts whether the client sent its key anyway. */
void sb_mc_h_batch_results(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	sb_mc_batches *bs = m->batches;
	char id[32];
	size_t n = strlen(rq->params[0]);
	sb_mc_count_download(m, rq->net && sb_header(rq->net, "Authorization"));
	if (n <= 7 || n - 7 >= sizeof(id) || strcmp(rq->params[0] + n - 7, ".tar.gz")) {
		sb_resp_error(rs, 404, "no such results file '%s'", rq->params[0]);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(n - 7), rq->params[0]);
	pthread_mutex_lock(&bs->lock);
	sb_mc_batch *b = batch_find(bs, id);
	if (b && b->state == B_FINISHED) {
		cs_buf_reset(&rs->body);
		cs_buf_append(&rs->body, b->tgz.data, b->tgz.len);
		rs->ctype = "application/x-gzip";
	} else {
		sb_resp_error(rs, 404, "no finished batch '%s'", id);
	}
	pthread_mutex_unlock(&bs->lock);
}

/* ---- lifecycle ---- */

sb_mc_batches *sb_mc_batches_new(sb_mc *m, sb_mc_exec_fn exec)
{
	sb_mc_batches *bs = calloc(1, sizeof(*bs));
	if (!bs)
		return NULL;
	bs->m = m;
	bs->exec = exec;
	pthread_mutex_init(&bs->lock, NULL);
	pthread_cond_init(&bs->cond, NULL);
	if (pthread_create(&bs->thread, NULL, worker, bs)) {
		sb_mc_batches_free(bs);
		return NULL;
	}
	bs->started = 1;
	return bs;
}

void sb_mc_batches_free(sb_mc_batches *bs)
{
	if (!bs)
		return;
	if (bs->started) {
		pthread_mutex_lock(&bs->lock);
		bs->stop = 1;
		pthread_cond_signal(&bs->cond);
		pthread_mutex_unlock(&bs->lock);
		pthread_join(bs->thread, NULL);
	}
	for (size_t i = 0; i < bs->n; i++) {
		cJSON_Delete(bs->v[i]->ops);
		cs_buf_release(&bs->v[i]->tgz);
		free(bs->v[i]);
	}
	free(bs->v);
	pthread_cond_destroy(&bs->cond);
	pthread_mutex_destroy(&bs->lock);
	free(bs);
}
