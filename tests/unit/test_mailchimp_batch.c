/* mc_run_batches against a fake /batches: submission format, polling,
 * the tar.gz results (built here with libarchive) matched by operation_id,
 * a missing result, no credentials to the results URL, chunking, and the
 * failure paths (refused, throttled, damaged archive, stop, duplicate ids). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin/mailchimp/mc_client.h"
#include "test_mailchimp_fake.h"

#include <archive.h>
#include <archive_entry.h>

#define MAX_BATCHES 8
#define MAX_DL 8

typedef struct fb_op {
	char id[48], method[8], path[256];
	char *body; /* NULL when the operation had none */
} fb_op;

typedef struct fb_batch {
	char id[16];
	fb_op *ops;
	size_t n;
	int polls;
} fb_batch;

enum { SUBMIT_OK = 0, SUBMIT_THROTTLED, SUBMIT_REFUSED };

typedef struct batch_srv {
	int submit;          /* SUBMIT_* */
	const char *skip_id; /* no result for this operation */
	int corrupt;         /* results are not a tar.gz */
	int stop_on_poll;    /* set mcf_stop_flag at the first poll */
	fb_batch b[MAX_BATCHES];
	int nb;
	char dl_auth[MAX_DL][512]; /* Authorization of each results download */
	int ndl;
} batch_srv;

/* ---- the fake ------------------------------------------------------------ */

static void record_batch(mcf_server *s, batch_srv *p, const mcf_req *r, mcf_answer *a)
{
	cJSON *j = cJSON_Parse(r->body);
	const cJSON *ops = cJSON_GetObjectItem(j, "operations");
	if (!cJSON_IsArray(ops) || p->nb == MAX_BATCHES) {
		mcf_json(a, 400, "{\"title\":\"bad batch\"}");
		cJSON_Delete(j);
		return;
	}
	fb_batch *b = &p->b[p->nb++];
	snprintf(b->id, sizeof(b->id), "b%d", p->nb);
	b->n = (size_t)cJSON_GetArraySize(ops);
	b->ops = calloc(b->n, sizeof(*b->ops));
	size_t k = 0;
	const cJSON *op;
	cJSON_ArrayForEach(op, ops)
	{
		fb_op *o = &b->ops[k++];
		snprintf(o->id, sizeof(o->id), "%s", cJSON_GetObjectItem(op, "operation_id")->valuestring);
		snprintf(o->method, sizeof(o->method), "%s", cJSON_GetObjectItem(op, "method")->valuestring);
		snprintf(o->path, sizeof(o->path), "%s", cJSON_GetObjectItem(op, "path")->valuestring);
		const cJSON *body = cJSON_GetObjectItem(op, "body");
		o->body = cJSON_IsString(body) ? strdup(body->valuestring) : NULL;
	}
	cJSON_Delete(j);
	(void)s;
	mcf_json(a, 200, "{\"id\":\"%s\",\"status\":\"pending\",\"total_operations\":%zu}", b->id,
		 b->n);
}

/* One results file: a JSON array of {status_code, operation_id, response}. */
static char *results_json(const fb_batch *b, size_t from, size_t to, const char *skip)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t k = from; k < to; k++) {
		const fb_op *o = &b->ops[k];
		if (skip && strcmp(o->id, skip) == 0)
			continue;
		cJSON *e = cJSON_CreateObject();
		char *resp;
		int status;
		if (strcmp(o->id, "op-3") == 0) {
			status = 400;
			resp = strdup("{\"type\":\"x\",\"title\":\"Invalid Resource\",\"status\":400,"
				      "\"detail\":\"Please provide a valid email address.\","
				      "\"instance\":\"inst-3\",\"errors\":[{\"field\":"
				      "\"email_address\",\"message\":\"looks fake\"}]}");
		} else if (!o->body) {
			status = 204;
			resp = strdup("");
		} else {
			status = 200;
			cJSON *echo = cJSON_CreateObject();
			cJSON_AddStringToObject(echo, "operation_id", o->id);
			cJSON_AddStringToObject(echo, "method", o->method);
			cJSON_AddStringToObject(echo, "path", o->path);
			cJSON_AddItemToObject(echo, "body", cJSON_Parse(o->body));
			resp = cJSON_PrintUnformatted(echo);
			cJSON_Delete(echo);
		}
		cJSON_AddNumberToObject(e, "status_code", status);
		cJSON_AddStringToObject(e, "operation_id", o->id);
		cJSON_AddStringToObject(e, "response", resp);
		free(resp);
		cJSON_AddItemToArray(arr, e);
	}
	char *out = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return out;
}

static void tar_add(struct archive *a, const char *name, const char *data, int dir)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)strlen(data));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (!dir)
		assert_int_equal(archive_write_data(a, data, strlen(data)), (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

/* A tar.gz like Mailchimp's: a directory and the results in two files. */
static char *results_targz(const fb_batch *b, const char *skip, size_t *len)
{
	size_t cap = 4 << 20, used = 0;
	char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_ustar(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	char dir[32], name[64];
	snprintf(dir, sizeof(dir), "%s/", b->id);
	tar_add(a, dir, NULL, 1);
	size_t half = b->n / 2;
	for (int part = 0; part < 2; part++) {
		char *json = results_json(b, part ? half : 0, part ? b->n : half, skip);
		snprintf(name, sizeof(name), "%s/part-%d.json", b->id, part);
		tar_add(a, name, json, 0);
		free(json);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*len = used;
	return buf;
}

static fb_batch *find_batch(batch_srv *p, const char *id)
{
	for (int i = 0; i < p->nb; i++)
		if (strcmp(p->b[i].id, id) == 0)
			return &p->b[i];
	return NULL;
}

static void route_batches(mcf_server *s, const mcf_req *r, mcf_answer *a)
{
	batch_srv *p = s->user;
	char id[32];
	fb_batch *b;
	if (strcmp(r->method, "POST") == 0 && strcmp(r->path, "/3.0/batches") == 0) {
		if (p->submit == SUBMIT_THROTTLED)
			mcf_problem(a, 429, "{\"title\":\"Too Many Requests\",\"status\":429}");
		else if (p->submit == SUBMIT_REFUSED)
			mcf_problem(a, 400, "{\"title\":\"Invalid Resource\",\"status\":400,"
					    "\"detail\":\"bad operations\",\"instance\":\"inst-b\"}");
		else
			record_batch(s, p, r, a);
	} else if (strcmp(r->method, "GET") == 0 && sscanf(r->path, "/3.0/batches/%31s", id) == 1 &&
		   (b = find_batch(p, id))) {
		if (p->stop_on_poll)
			atomic_store(&mcf_stop_flag, 1);
		if (++b->polls == 1)
			mcf_json(a, 200, "{\"id\":\"%s\",\"status\":\"started\",\"finished_operations\":0}",
				 id);
		else
			mcf_json(a, 200,
				 "{\"id\":\"%s\",\"status\":\"finished\",\"total_operations\":%zu,"
				 "\"finished_operations\":%zu,\"response_body_url\":"
				 "\"%s/results/%s.tar.gz?X-Amz-Signature=abc\"}",
				 id, b->n, b->n, s->base, id);
	} else if (strcmp(r->method, "GET") == 0 && sscanf(r->path, "/results/%31[^.]", id) == 1 &&
		   (b = find_batch(p, id))) {
		if (p->ndl < MAX_DL)
			snprintf(p->dl_auth[p->ndl++], sizeof(p->dl_auth[0]), "%s", r->auth);
		if (p->corrupt) {
			mcf_bin(a, 200, "application/x-gzip", strdup("this is not a tarball"), 21);
		} else {
			size_t len;
			char *tgz = results_targz(b, p->skip_id, &len);
			mcf_bin(a, 200, "application/x-gzip", tgz, len);
		}
	} else {
		mcf_problem(a, 404, "{\"title\":\"Resource Not Found\",\"status\":404}");
	}
}

static void srv_free(batch_srv *p)
{
	for (int i = 0; i < p->nb; i++) {
		for (size_t k = 0; k < p->b[i].n; k++)
			free(p->b[i].ops[k].body);
		free(p->b[i].ops);
	}
}

/* ---- helpers ------------------------------------------------------------- */

/* JSON text (already escaped) that must survive being sent as a string. */
static const char odd_text[] = "quote \\\" backslash \\\\ newline \\n tab \\t \xc3\xbcml\xc3\xa4ut";

static void make_ops(mc_op *ops, size_t n)
{
	memset(ops, 0, n * sizeof(*ops));
	for (size_t i = 0; i < n; i++) {
		char path[96], body[256], email[64], hash[33];
		snprintf(email, sizeof(email), "user%zu@example.com", i);
		mc_subscriber_hash(email, hash);
		snprintf(path, sizeof(path), "/lists/L1/members/%s", hash);
		snprintf(body, sizeof(body),
			 "{\"email_address\":\"%s\",\"status_if_new\":\"subscribed\",\"note\":\"%s\"}",
			 email, odd_text);
		snprintf(ops[i].id, sizeof(ops[i].id), "op-%zu", i);
		ops[i].user = (void *)(uintptr_t)i;
		if (i == 5) {
			ops[i].method = "DELETE";
			ops[i].path = strdup(path);
			continue;
		}
		ops[i].method = "PUT";
		ops[i].path = strdup(path);
		ops[i].body = strdup(body);
	}
}

/* An op answered 200 carries the echo of its own operation. */
static void check_echo(const mc_op *op)
{
	assert_int_equal(op->res.status, 200);
	assert_int_equal(op->res.transient, 0);
	const cJSON *b = op->res.body;
	assert_non_null(b);
	assert_string_equal(cJSON_GetObjectItem(b, "operation_id")->valuestring, op->id);
	assert_string_equal(cJSON_GetObjectItem(b, "path")->valuestring, op->path);
	char *sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "body"));
	cJSON *want = cJSON_Parse(op->body);
	char *want_s = cJSON_PrintUnformatted(want);
	assert_string_equal(sent, want_s);
	free(sent);
	free(want_s);
	cJSON_Delete(want);
}

/* ---- tests --------------------------------------------------------------- */

static void test_batch_results_matched_by_id(void **state)
{
	(void)state;
	batch_srv p = {.skip_id = "op-7"};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_batches, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 2, 10000, NULL);
	enum { N = 12 };
	mc_op ops[N];
	make_ops(ops, N);
	cs_err err = {0};
	assert_int_equal(mc_run_batches(c, ops, N, 100, &err), 0);

	/* What was submitted: every op, its body as a JSON string, verbatim. */
	assert_int_equal(p.nb, 1);
	assert_int_equal(p.b[0].n, N);
	for (size_t i = 0; i < N; i++) {
		const fb_op *o = &p.b[0].ops[i];
		assert_string_equal(o->id, ops[i].id);
		assert_string_equal(o->method, ops[i].method);
		assert_string_equal(o->path, ops[i].path);
		if (ops[i].body)
			assert_string_equal(o->body, ops[i].body);
		else
			assert_null(o->body);
	}
	const mcf_req *post = mcf_find(&s, "POST", "/3.0/batches", 0);
	char creds[256];
	assert_int_equal(mcf_basic_decode(post->auth, creds, sizeof(creds)), 0);
	assert_string_equal(creds, "classy-sync:" MCF_KEY);
	assert_string_equal(post->content_type, "application/json");
	assert_int_equal(p.b[0].polls, 2);
	const mcf_req *poll = mcf_find(&s, "GET", "/3.0/batches/b1", 1);
	assert_non_null(poll);
	assert_int_equal(mcf_basic_decode(poll->auth, creds, sizeof(creds)), 0);

	/* The results URL got no credentials at all. */
	assert_int_equal(p.ndl, 1);
	assert_string_equal(p.dl_auth[0], "");
	const mcf_req *dl = mcf_find(&s, "GET", "/results/b1.tar.gz", 0);
	assert_non_null(dl);
	assert_string_equal(dl->auth, "");

	for (size_t i = 0; i < N; i++) {
		const mc_result *r = &ops[i].res;
		if (i == 3) {
			assert_int_equal(r->status, 400);
			assert_int_equal(r->transient, 0);
			assert_string_equal(r->title, "Invalid Resource");
			assert_string_equal(r->detail, "Please provide a valid email address.; "
						       "email_address: looks fake");
			assert_string_equal(r->instance, "inst-3");
		} else if (i == 5) {
			assert_int_equal(r->status, 204);
			assert_null(r->body);
		} else if (i == 7) {
			assert_int_equal(r->status, 0);
			assert_int_equal(r->transient, 1);
			assert_string_equal(r->title, "no result in batch b1");
		} else {
			check_echo(&ops[i]);
		}
	}
	mc_stats st;
	mc_client_stats(c, &st);
	assert_int_equal(st.requests, 4); /* POST, two polls, the download */
	assert_int_equal(st.writes, 1);
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	srv_free(&p);
}

static void test_batch_chunks(void **state)
{
	(void)state;
	batch_srv p = {0};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_batches, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 4, 10000, NULL);
	enum { N = 25 };
	mc_op ops[N];
	make_ops(ops, N);
	/* No body and no op-3 special case here: every op is a plain PUT. */
	for (size_t i = 0; i < N; i++)
		snprintf(ops[i].id, sizeof(ops[i].id), "put-%zu", i);
	free(ops[5].path);
	ops[5].path = strdup("/lists/L1/members/x");
	ops[5].method = "PUT";
	ops[5].body = strdup("{\"email_address\":\"x@example.com\"}");
	cs_err err = {0};
	assert_int_equal(mc_run_batches(c, ops, N, 10, &err), 0);
	assert_int_equal(mcf_count(&s, "POST", "/3.0/batches"), 3);
	assert_int_equal(p.nb, 3);
	assert_int_equal(p.ndl, 3);
	size_t total = 0, fives = 0, tens = 0;
	for (int i = 0; i < p.nb; i++) {
		total += p.b[i].n;
		fives += p.b[i].n == 5;
		tens += p.b[i].n == 10;
		/* Chunks are contiguous runs of the ops. */
		size_t first;
		assert_int_equal(sscanf(p.b[i].ops[0].id, "put-%zu", &first), 1);
		assert_int_equal(first % 10, 0);
		for (size_t k = 0; k < p.b[i].n; k++) {
			char want[16];
			snprintf(want, sizeof(want), "put-%zu", first + k);
			assert_string_equal(p.b[i].ops[k].id, want);
		}
		assert_string_equal(p.dl_auth[i], "");
	}
	assert_int_equal(total, N);
	assert_int_equal(fives, 1);
	assert_int_equal(tens, 2);
	for (size_t i = 0; i < N; i++)
		check_echo(&ops[i]);
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	srv_free(&p);
}

static void test_batch_damaged_archive(void **state)
{
	(void)state;
	batch_srv p = {.corrupt = 1};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_batches, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 2, 10000, NULL);
	enum { N = 4 };
	mc_op ops[N];
	make_ops(ops, N);
	cs_err err = {0};
	assert_int_equal(mc_run_batches(c, ops, N, 100, &err), 0);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(ops[i].res.transient, 1);
		assert_string_equal(ops[i].res.title, "cannot read the results of batch b1");
		assert_true(ops[i].res.detail[0] != '\0');
	}
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	srv_free(&p);
}

static void test_batch_submission_throttled_or_refused(void **state)
{
	(void)state;
	for (int mode = SUBMIT_THROTTLED; mode <= SUBMIT_REFUSED; mode++) {
		batch_srv p = {.submit = mode};
		mcf_server s;
		assert_int_equal(mcf_start(&s, route_batches, &p), 0);
		mc_client *c = mcf_client(&s, MCF_KEY, 2, 10000, NULL);
		enum { N = 6 };
		mc_op ops[N];
		make_ops(ops, N);
		cs_err err = {0};
		assert_int_equal(mc_run_batches(c, ops, N, 3, &err), 0);
		for (size_t i = 0; i < N; i++) {
			const mc_result *r = &ops[i].res;
			if (mode == SUBMIT_THROTTLED) {
				assert_int_equal(r->transient, 1);
				assert_string_equal(r->title, "batch submission failed: throttled (429) "
							      "after 9 attempts");
			} else {
				assert_int_equal(r->transient, 0);
				assert_int_equal(r->status, 400);
				assert_string_equal(r->title, "Invalid Resource");
				assert_string_equal(r->instance, "inst-b");
			}
		}
		assert_int_equal(mcf_count(&s, "GET", "/"), 0);
		mc_ops_release(ops, N);
		mc_client_free(c);
		mcf_free(&s);
		srv_free(&p);
	}
}

static void test_batch_stop_while_polling(void **state)
{
	(void)state;
	batch_srv p = {.stop_on_poll = 1};
	atomic_store(&mcf_stop_flag, 0);
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_batches, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 2, 10000, mcf_should_stop);
	enum { N = 4 };
	mc_op ops[N];
	make_ops(ops, N);
	cs_err err = {0};
	assert_int_equal(mc_run_batches(c, ops, N, 100, &err), CS_EINTR);
	assert_string_equal(err.msg, "mailchimp batches stopped: 4 of 4 operations without a result");
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(ops[i].res.transient, 1);
		assert_string_equal(ops[i].res.title, "stopped");
		assert_string_equal(ops[i].res.detail,
				    "batch b1 was submitted and may still complete on mailchimp");
	}
	assert_int_equal(p.ndl, 0);
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	srv_free(&p);
	atomic_store(&mcf_stop_flag, 0);
}

static void test_batch_ids(void **state)
{
	(void)state;
	batch_srv p = {0};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_batches, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 2, 10000, NULL);
	enum { N = 3 };
	mc_op ops[N];
	make_ops(ops, N);
	snprintf(ops[2].id, sizeof(ops[2].id), "op-0");
	cs_err err = {0};
	assert_int_equal(mc_run_batches(c, ops, N, 100, &err), CS_ERR);
	assert_string_equal(err.msg, "duplicate operation_id 'op-0' in a mailchimp batch");
	assert_int_equal(s.nreqs, 0);
	assert_int_equal(mc_run_batches(c, ops, N, 0, &err), CS_ERR);
	/* Empty ids are given one. */
	ops[1].id[0] = ops[2].id[0] = '\0';
	assert_int_equal(mc_run_batches(c, ops, N, 100, &err), 0);
	assert_string_equal(ops[1].id, "op-1");
	assert_string_equal(ops[2].id, "op-2");
	check_echo(&ops[2]);
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	srv_free(&p);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_err err = {0};
	if (cs_http_global_init(&err) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_results_matched_by_id),
		cmocka_unit_test(test_batch_chunks),
		cmocka_unit_test(test_batch_damaged_archive),
		cmocka_unit_test(test_batch_submission_throttled_or_refused),
		cmocka_unit_test(test_batch_stop_while_polling),
		cmocka_unit_test(test_batch_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
