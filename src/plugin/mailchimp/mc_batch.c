/* Mailchimp /batches: chunks of ops are POSTed concurrently over the pool,
 * then each batch is polled until "finished", its results downloaded from
 * response_body_url WITHOUT credentials (another host on the real service)
 * and read from the tar.gz in memory with libarchive. Results are matched
 * to ops by operation_id through a sorted index (chunks can hold 10k ops). */
#include "plugin/mailchimp/mc_transport.h"

#include "util/buf.h"
#include "util/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_FIRST_MS 200L
#define POLL_MAX_MS 10000L
#define POLL_GIVE_UP_MS (2L * 3600 * 1000) /* a batch stuck longer is reported */

enum batch_state { B_NEW = 0, B_SUBMITTED, B_DONE };

typedef struct batch {
	size_t first, count; /* ops[first .. first+count) */
	char id[64];
	int state;
} batch;

typedef struct bctx {
	mc_client *c;
	mc_op *ops;
	batch *b;
} bctx;

/* Fills every op of b that has no result yet (res.status == 0 and not
 * transient) with a transient failure; detail gets `detail` when given. */
static void fail_rest(mc_op *ops, const batch *b, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_rest(mc_op *ops, const batch *b, const char *detail, const char *fmt, ...)
{
	char title[sizeof(ops[0].res.title)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	for (size_t k = b->first; k < b->first + b->count; k++) {
		mc_result *r = &ops[k].res;
		if (r->status || r->transient)
			continue;
		mc_set_transient(r, 0, "%s", title);
		if (detail)
			mc_copy(r->detail, sizeof(r->detail), detail);
	}
}

static int is_fatal(int rc)
{
	return rc == CS_EINTR || rc == CS_EAUTH || rc == CS_ETRANSPORT;
}

/* ---- submission ---------------------------------------------------------- */

static int build_body(const mc_op *ops, const batch *b, cs_buf *out)
{
	int bad = cs_buf_puts(out, "{\"operations\":[");
	for (size_t k = b->first; !bad && k < b->first + b->count; k++) {
		const mc_op *op = &ops[k];
		bad = (k > b->first && cs_buf_puts(out, ",")) || cs_buf_puts(out, "{\"method\":") ||
		      cs_buf_json_str(out, op->method) || cs_buf_puts(out, ",\"path\":") ||
		      cs_buf_json_str(out, op->path) || cs_buf_puts(out, ",\"operation_id\":") ||
		      cs_buf_json_str(out, op->id);
		if (!bad && op->body)
			bad = cs_buf_puts(out, ",\"body\":") || cs_buf_json_str(out, op->body);
		if (!bad)
			bad = cs_buf_puts(out, "}");
	}
	return bad || cs_buf_puts(out, "]}") ? -1 : 0;
}

static int submit(void *ctx, int slot, size_t i, cs_err *err)
{
	bctx *bc = ctx;
	batch *b = &bc->b[i];
	cs_buf body;
	cs_buf_init(&body, MC_MAX_BODY);
	if (build_body(bc->ops, b, &body) < 0) {
		cs_buf_release(&body);
		fail_rest(bc->ops, b, NULL, "batch too large to send (%zu operations)", b->count);
		b->state = B_DONE;
		return 0;
	}
	mc_result r;
	cs_err e = {0};
	int rc = mc_exec(bc->c, slot, "POST", "/batches", cs_buf_str(&body), &r, &e);
	cs_buf_release(&body);
	if (rc && is_fatal(rc)) {
		*err = e;
		goto out;
	}
	b->state = B_DONE;
	if (rc) {
		fail_rest(bc->ops, b, e.msg, "batch submission failed");
		rc = 0;
	} else if (r.transient) {
		fail_rest(bc->ops, b, NULL, "batch submission failed: %s", r.title);
	} else if (r.status >= 300) {
		/* The batch was refused as a whole: every op carries the answer. */
		for (size_t k = b->first; k < b->first + b->count; k++) {
			mc_result *o = &bc->ops[k].res;
			o->status = r.status;
			memcpy(o->title, r.title, sizeof(o->title));
			memcpy(o->detail, r.detail, sizeof(o->detail));
			memcpy(o->instance, r.instance, sizeof(o->instance));
		}
	} else {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r.body, "id");
		if (cJSON_IsString(id) && *id->valuestring &&
		    strlen(id->valuestring) < sizeof(b->id)) {
			snprintf(b->id, sizeof(b->id), "%s", id->valuestring);
			b->state = B_SUBMITTED;
			cs_debug("mailchimp batch %s: %zu operations submitted", b->id, b->count);
		} else {
			fail_rest(bc->ops, b, NULL, "batch submission answered without an id");
		}
	}
out:
	mc_result_release(&r);
	return rc;
}

/* ---- results ------------------------------------------------------------- */

static int cmp_op(const void *a, const void *b)
{
	return strcmp((*(mc_op *const *)a)->id, (*(mc_op *const *)b)->id);
}

static int cmp_key(const void *key, const void *elt)
{
	return strcmp(key, (*(mc_op *const *)elt)->id);
}

typedef struct matcher {
	mc_op **idx; /* the batch's ops sorted by id */
	size_t n;
	const char *batch_id;
} matcher;

/* One result entry {status_code, operation_id, response}. */
static void apply_entry(matcher *m, const cJSON *item)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "operation_id");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(item, "status_code");
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(item, "response");
	/* A status outside HTTP's range is no answer (and converting a huge
	 * double to long is undefined): the op keeps no result and fails as
	 * transient, so the next run sends it again. Found by fuzzing. */
	if (!cJSON_IsString(id) || !cJSON_IsNumber(sc) || !(sc->valuedouble >= 100 &&
							     sc->valuedouble < 600))
		return;
	mc_op **hit = bsearch(id->valuestring, m->idx, m->n, sizeof(*m->idx), cmp_key);
	if (!hit) {
		cs_debug("mailchimp batch %s: result for unknown operation '%s' ignored", m->batch_id,
			 id->valuestring);
		return;
	}
	mc_result *r = &(*hit)->res;
	mc_result_release(r);
	r->status = (long)sc->valuedouble;
	if (cJSON_IsString(resp) && *resp->valuestring)
		r->body = cJSON_Parse(resp->valuestring);
	if (r->status >= 400)
		mc_fill_problem(r, r->body);
}

static int read_entry(struct archive *a, cs_buf *buf)
{
	char tmp[65536];
	la_ssize_t got;
	cs_buf_reset(buf);
	while ((got = archive_read_data(a, tmp, sizeof(tmp))) > 0)
		if (cs_buf_append(buf, tmp, (size_t)got) < 0)
			return -1;
	return got < 0 ? -1 : 0;
}

/* Reads the tar.gz of JSON arrays and applies every entry. On a damaged
 * archive, fills why and returns -1 (entries already read are kept). */
static int read_results(matcher *m, const char *data, size_t len, char *why, size_t whysz)
{
	struct archive *a = archive_read_new();
	if (!a) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	cs_buf buf;
	cs_buf_init(&buf, MC_MAX_BODY);
	struct archive_entry *ent;
	int rc = -1, r;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
		goto out;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if (read_entry(a, &buf) < 0)
			goto out;
		cJSON *arr = cJSON_ParseWithLength(cs_buf_str(&buf), buf.len);
		if (!cJSON_IsArray(arr))
			cs_warn("mailchimp batch %s: results file '%s' is not a JSON array; skipped",
				m->batch_id, archive_entry_pathname(ent));
		const cJSON *item;
		cJSON_ArrayForEach(item, arr)
		{
			apply_entry(m, item);
		}
		cJSON_Delete(arr);
	}
	if (r == ARCHIVE_EOF)
		rc = 0;
out:
	if (rc)
		snprintf(why, whysz, "%s",
			 archive_error_string(a) ? archive_error_string(a) : "not a tar.gz archive");
	archive_read_free(a);
	cs_buf_release(&buf);
	return rc;
}

/* Downloads and applies the results of b. Never sends the API key. */
static int fetch_results(bctx *bc, int slot, batch *b, const char *url, cs_err *err)
{
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	cs_err e = {0};
	int rc = mc_send(bc->c, slot, "GET", url, 1, NULL, &resp, &e);
	cs_debug("mailchimp batch %s: results download -> %ld", b->id, resp.status);
	if (rc == CS_EINTR) {
		*err = e;
		goto out;
	}
	rc = 0;
	if (e.code) {
		fail_rest(bc->ops, b, e.msg, "cannot download the results of batch %s", b->id);
		goto out;
	}
	if (resp.status != 200) {
		fail_rest(bc->ops, b, NULL, "cannot download the results of batch %s (status %ld)",
			  b->id, resp.status);
		goto out;
	}
	char why[256];
	if (mc_batch_apply_results(bc->ops + b->first, b->count, b->id,
				   resp.body.data ? resp.body.data : "", resp.body.len, why,
				   sizeof(why)) < 0)
		fail_rest(bc->ops, b, why, "cannot read the results of batch %s", b->id);
	fail_rest(bc->ops, b, NULL, "no result in batch %s", b->id);
out:
	cs_http_resp_release(&resp);
	return rc;
}

int mc_batch_apply_results(mc_op *ops, size_t n, const char *batch_id, const char *data,
			   size_t len, char *why, size_t whysz)
{
	mc_op **idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n; k++)
		idx[k] = &ops[k];
	qsort(idx, n, sizeof(*idx), cmp_op);
	matcher m = {idx, n, batch_id};
	int rc = read_results(&m, data, len, why, whysz);
	free(idx);
	return rc;
}

/* ---- polling ------------------------------------------------------------- */

static int collect(void *ctx, int slot, size_t i, cs_err *err)
{
	bctx *bc = ctx;
	batch *b = &bc->b[i];
	if (b->state != B_SUBMITTED)
		return 0;
	char path[96], url[4096] = "";
	snprintf(path, sizeof(path), "/batches/%s", b->id);
	long wait = POLL_FIRST_MS, waited = 0;
	for (;;) {
		if (waited >= POLL_GIVE_UP_MS) {
			fail_rest(bc->ops, b, NULL, "batch %s did not finish within %ld minutes",
				  b->id, POLL_GIVE_UP_MS / 60000);
			b->state = B_DONE;
			return 0;
		}
		if (cs_http_sleep_ms(wait, bc->c->should_stop) == CS_EINTR)
			return cs_err_set(err, CS_EINTR, "mailchimp batch %s: stopped while waiting",
					  b->id);
		waited += wait;
		wait = wait * 3 / 2 < POLL_MAX_MS ? wait * 3 / 2 : POLL_MAX_MS;
		mc_result r;
		cs_err e = {0};
		int rc = mc_exec(bc->c, slot, "GET", path, NULL, &r, &e);
		if (rc) {
			mc_result_release(&r);
			if (is_fatal(rc)) {
				*err = e;
				return rc;
			}
			fail_rest(bc->ops, b, e.msg, "cannot poll batch %s", b->id);
			b->state = B_DONE;
			return 0;
		}
		if (r.transient || r.status != 200) {
			fail_rest(bc->ops, b, r.transient ? r.title : r.detail,
				  "cannot poll batch %s (status %ld)", b->id, r.status);
			mc_result_release(&r);
			b->state = B_DONE;
			return 0;
		}
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(r.body, "status");
		const cJSON *fin = cJSON_GetObjectItemCaseSensitive(r.body, "finished_operations");
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(r.body, "response_body_url");
		int finished = cJSON_IsString(st) && strcmp(st->valuestring, "finished") == 0;
		cs_debug("mailchimp batch %s: %s, %ld of %zu operations finished", b->id,
			 cJSON_IsString(st) ? st->valuestring : "?",
			 cJSON_IsNumber(fin) ? (long)fin->valuedouble : -1L, b->count);
		if (finished && cJSON_IsString(u))
			snprintf(url, sizeof(url), "%s", u->valuestring);
		mc_result_release(&r);
		if (finished)
			break;
	}
	int rc = 0;
	if (url[0])
		rc = fetch_results(bc, slot, b, url, err);
	else
		fail_rest(bc->ops, b, NULL, "no result in batch %s", b->id);
	if (!rc)
		b->state = B_DONE;
	return rc;
}

/* ---- the run ------------------------------------------------------------- */

/* Gives ops without an id one, and refuses duplicates: results are matched
 * by id. */
static int check_ids(mc_op *ops, size_t n, cs_err *err)
{
	for (size_t i = 0; i < n; i++) {
		ops[i].id[sizeof(ops[i].id) - 1] = '\0';
		if (!ops[i].id[0])
			snprintf(ops[i].id, sizeof(ops[i].id), "op-%zu", i);
	}
	mc_op **idx = malloc(n * sizeof(*idx));
	if (!idx)
		return cs_err_set(err, CS_ERR, "out of memory preparing a mailchimp batch");
	for (size_t i = 0; i < n; i++)
		idx[i] = &ops[i];
	qsort(idx, n, sizeof(*idx), cmp_op);
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++)
		if (strcmp(idx[i - 1]->id, idx[i]->id) == 0)
			rc = cs_err_set(err, CS_ERR, "duplicate operation_id '%s' in a mailchimp batch",
					idx[i]->id);
	free(idx);
	return rc;
}

int mc_run_batches(mc_client *c, mc_op *ops, size_t n, size_t chunk, cs_err *err)
{
	if (chunk == 0)
		return cs_err_set(err, CS_ERR, "mailchimp batch size must be at least 1");
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		mc_result_release(&ops[i].res);
	int rc = check_ids(ops, n, err);
	if (rc)
		return rc;
	size_t nb = (n + chunk - 1) / chunk;
	batch *b = calloc(nb, sizeof(*b));
	if (!b)
		return cs_err_set(err, CS_ERR, "out of memory preparing a mailchimp batch");
	for (size_t i = 0; i < nb; i++) {
		b[i].first = i * chunk;
		b[i].count = n - b[i].first < chunk ? n - b[i].first : chunk;
	}
	bctx bc = {c, ops, b};
	size_t claimed;
	cs_err e = {0};
	rc = mc_pool_run(c, nb, submit, &bc, &claimed, &e);
	if (!rc)
		rc = mc_pool_run(c, nb, collect, &bc, &claimed, &e);
	size_t unfinished = 0;
	for (size_t i = 0; i < nb; i++) {
		if (b[i].state == B_DONE)
			continue;
		char detail[160] = "";
		if (b[i].state == B_SUBMITTED)
			snprintf(detail, sizeof(detail),
				 "batch %s was submitted and may still complete on mailchimp", b[i].id);
		fail_rest(ops, &b[i], detail[0] ? detail : NULL, "stopped");
		unfinished += b[i].count;
	}
	free(b);
	if (rc == CS_EINTR)
		return cs_err_set(err, CS_EINTR,
				  "mailchimp batches stopped: %zu of %zu operations without a result",
				  unfinished, n);
	if (rc && err) {
		*err = e;
		err->code = rc;
	}
	return rc;
}
