/* The metrics registry: exact exposition text, a strict parser of the
 * format run over every rendering, number formatting, misuse, and four
 * threads updating at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "httpd/metrics.h"
#include "util/err.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a strict parser of the text format 0.0.4 --------------------------- */

#define MAX_SAMPLES 512

typedef struct sample {
	char name[128];
	char labels[256]; /* the label set without le, as written */
	char le[32];
	double v;
} sample;

typedef struct parsed {
	char family[64][128]; /* TYPE order */
	char type[64][16];
	int nfam;
	sample s[MAX_SAMPLES];
	int ns;
} parsed;

static int is_name_char(int c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* Reads a metric or label name at *p; returns its length, 0 if none. */
static size_t read_name(const char **p, char *out, size_t n, int metric)
{
	size_t i = 0;
	while (is_name_char((unsigned char)(*p)[i], i == 0) && (metric || (*p)[i] != ':')) {
		if (i + 1 < n)
			out[i] = (*p)[i];
		i++;
	}
	out[i < n ? i : n - 1] = '\0';
	*p += i;
	return i;
}

static int parse_value(const char *s, double *v)
{
	if (strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0 || strcmp(s, "NaN") == 0) {
		*v = strcmp(s, "NaN") == 0 ? NAN : s[0] == '+' ? INFINITY : -INFINITY;
		return 0;
	}
	char *end;
	*v = strtod(s, &end);
	/* strtod also takes "inf" and hex: the format does not. */
	return end != s && *end == '\0' && !strpbrk(s, "xXiInN") ? 0 : -1;
}

/* {a="x",b="y\"z"}: checks escapes, splits le off into s->le. */
static int parse_labels(const char **pp, sample *s)
{
	const char *p = *pp;
	char lname[64];
	if (*p++ != '{')
		return -1;
	while (*p != '}') {
		if (!read_name(&p, lname, sizeof(lname), 0) || *p++ != '=' || *p++ != '"')
			return -1;
		const char *start = p;
		while (*p != '"') {
			if (*p == '\0' || *p == '\n')
				return -1;
			if (*p == '\\' && !strchr("\\\"n", *++p))
				return -1;
			p++;
		}
		size_t len = (size_t)(p - start);
		p++;
		if (strcmp(lname, "le") == 0) {
			snprintf(s->le, sizeof(s->le), "%.*s", (int)len, start);
		} else {
			size_t used = strlen(s->labels);
			snprintf(s->labels + used, sizeof(s->labels) - used, "%s=\"%.*s\",", lname,
				 (int)len, start);
		}
		if (*p == ',')
			p++;
		else if (*p != '}')
			return -1;
	}
	*pp = p + 1;
	return 0;
}

static int family_of(const parsed *ps, const char *name)
{
	for (int i = 0; i < ps->nfam; i++) {
		size_t n = strlen(ps->family[i]);
		if (strcmp(name, ps->family[i]) == 0)
			return i;
		if (strcmp(ps->type[i], "histogram") == 0 && strncmp(name, ps->family[i], n) == 0 &&
		    (!strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") ||
		     !strcmp(name + n, "_count")))
			return i;
	}
	return -1;
}

static void parse_comment(parsed *ps, const char *line, int *cur)
{
	char name[128], type[16];
	if (strncmp(line, "# HELP ", 7) == 0) {
		const char *p = line + 7;
		assert_true(read_name(&p, name, sizeof(name), 1) > 0);
		assert_true(*p == ' ');
		return;
	}
	assert_int_equal(sscanf(line, "# TYPE %127s %15s", name, type), 2);
	assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
		    !strcmp(type, "histogram"));
	assert_int_equal(family_of(ps, name), -1); /* TYPE once per family */
	snprintf(ps->family[ps->nfam], sizeof(ps->family[0]), "%s", name);
	snprintf(ps->type[ps->nfam], sizeof(ps->type[0]), "%s", type);
	*cur = ps->nfam++;
}

static void parse_sample(parsed *ps, const char *line, int cur)
{
	assert_true(ps->ns < MAX_SAMPLES);
	sample *s = &ps->s[ps->ns++];
	memset(s, 0, sizeof(*s));
	const char *p = line;
	assert_true(read_name(&p, s->name, sizeof(s->name), 1) > 0);
	if (*p == '{')
		assert_int_equal(parse_labels(&p, s), 0);
	assert_true(*p++ == ' ');
	assert_int_equal(parse_value(p, &s->v), 0);
	/* TYPE came first, and the family's samples are contiguous. */
	int fam = family_of(ps, s->name);
	assert_true(fam >= 0);
	assert_int_equal(fam, cur);
	if (strcmp(ps->type[fam], "histogram") == 0 && strstr(s->name, "_bucket"))
		assert_true(s->le[0] != '\0');
	else
		assert_true(s->le[0] == '\0');
}

/* Buckets of each series: ascending le, cumulative counts, +Inf last and
 * equal to _count. */
static void check_histograms(const parsed *ps)
{
	for (int i = 0; i < ps->ns; i++) {
		const sample *c = &ps->s[i];
		size_t n = strlen(c->name);
		if (n < 6 || strcmp(c->name + n - 6, "_count") != 0)
			continue;
		char bucket[140];
		snprintf(bucket, sizeof(bucket), "%.*s_bucket", (int)(n - 6), c->name);
		double prev_le = -INFINITY, prev_v = 0, inf_v = -1;
		int nb = 0;
		for (int j = 0; j < ps->ns; j++) {
			const sample *b = &ps->s[j];
			if (strcmp(b->name, bucket) || strcmp(b->labels, c->labels))
				continue;
			double le;
			assert_int_equal(parse_value(b->le, &le), 0);
			assert_true(le > prev_le);
			assert_true(b->v >= prev_v);
			prev_le = le, prev_v = b->v, nb++;
			if (isinf(le))
				inf_v = b->v;
		}
		assert_true(nb > 0);
		assert_true(isinf(prev_le));
		assert_true(inf_v == c->v);
	}
}

static void parse_exposition(const char *text, parsed *ps)
{
	memset(ps, 0, sizeof(*ps));
	int cur = -1;
	size_t len = strlen(text);
	assert_true(len == 0 || text[len - 1] == '\n');
	char *copy = strdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			parse_comment(ps, line, &cur);
		else
			parse_sample(ps, line, cur);
	}
	free(copy);
	check_histograms(ps);
}

/* ---- tests -------------------------------------------------------------- */

static char *render(cs_metrics *m)
{
	cs_buf b = CS_BUF_INIT;
	assert_int_equal(cs_metrics_render(m, &b), 0);
	parsed *ps = malloc(sizeof(*ps));
	parse_exposition(cs_buf_str(&b), ps);
	free(ps);
	return cs_buf_detach(&b);
}

static void test_empty_registry_renders_nothing(void **state)
{
	(void)state;
	cs_metrics *m = cs_metrics_new();
	char *text = render(m);
	assert_string_equal(text, "");
	free(text);
	cs_metrics_free(m);
	cs_metrics_free(NULL);
}

static const char expected[] =
	"# HELP classy_sync_records_upserted_total Records written to the mirror.\n"
	"# TYPE classy_sync_records_upserted_total counter\n"
	"classy_sync_records_upserted_total{org=\"7\",entity=\"supporters\"} 1\n"
	"classy_sync_records_upserted_total{org=\"1001\",entity=\"supporters\"} 3\n"
	"classy_sync_records_upserted_total{org=\"1001\",entity=\"transactions\"} 2\n"
	"# HELP classy_sync_requests_total HTTP requests sent to the Classy API, retries "
	"included.\n"
	"# TYPE classy_sync_requests_total counter\n"
	"classy_sync_requests_total{org=\"1001\",entity=\"we\\\"ird\\\\\\n\"} 1\n"
	"# HELP classy_sync_runs_failed_total Entity sync runs that ended failed.\n"
	"# TYPE classy_sync_runs_failed_total counter\n"
	"classy_sync_runs_failed_total{org=\"1001\",entity=\"supporters\"} 0\n"
	"# HELP classy_sync_last_success_timestamp_seconds Unix time of the end of the last "
	"successful run.\n"
	"# TYPE classy_sync_last_success_timestamp_seconds gauge\n"
	"classy_sync_last_success_timestamp_seconds{org=\"1001\",entity=\"supporters\"} "
	"1714000000.5\n"
	"# HELP classy_sync_rate_limit_remaining Last X-RateLimit-Remaining the API sent.\n"
	"# TYPE classy_sync_rate_limit_remaining gauge\n"
	"classy_sync_rate_limit_remaining{org=\"1001\"} 1799\n"
	"# HELP classy_sync_up 1 while the daemon is running.\n"
	"# TYPE classy_sync_up gauge\n"
	"classy_sync_up 1\n"
	"# HELP classy_sync_run_duration_seconds Duration of entity sync runs.\n"
	"# TYPE classy_sync_run_duration_seconds histogram\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"0.1\"} 1\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"0.5\"} 1\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"1\"} 1\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"5\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"15\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"60\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"300\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"900\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"3600\"} 2\n"
	"classy_sync_run_duration_seconds_bucket{org=\"1001\",entity=\"supporters\",le=\"+Inf\"} 3\n"
	"classy_sync_run_duration_seconds_sum{org=\"1001\",entity=\"supporters\"} 4002.5\n"
	"classy_sync_run_duration_seconds_count{org=\"1001\",entity=\"supporters\"} 3\n";

static void test_render_exact_lines(void **state)
{
	(void)state;
	cs_metrics *m = cs_metrics_new();
	/* Inserted out of order: the output is sorted by (org, entity). */
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, 1001, "transactions", 2),
			 0);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters", 1), 0);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, 7, "supporters", 1), 0);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters", 2), 0);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_REQUESTS, 1001, "we\"ird\\\n", 1), 0);
	/* A zero increment creates the series: "no failures yet" is a value. */
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RUNS_FAILED, 1001, "supporters", 0), 0);
	assert_int_equal(
		cs_metrics_set(m, CS_METRICS_LAST_SUCCESS, 1001, "supporters", 1714000000.5), 0);
	/* Extra labels are ignored by metrics that do not carry them. */
	assert_int_equal(cs_metrics_set(m, CS_METRICS_RATE_LIMIT_REMAINING, 1001, "supporters", 5),
			 0);
	assert_int_equal(cs_metrics_set(m, CS_METRICS_RATE_LIMIT_REMAINING, 1001, NULL, 1799), 0);
	assert_int_equal(cs_metrics_set(m, CS_METRICS_UP, 1001, "x", 1), 0);
	/* Upper bounds are inclusive: 0.1 lands in le="0.1". */
	assert_int_equal(cs_metrics_observe_duration(m, 1001, "supporters", 0.1), 0);
	assert_int_equal(cs_metrics_observe_duration(m, 1001, "supporters", 2.4), 0);
	assert_int_equal(cs_metrics_observe_duration(m, 1001, "supporters", 4000), 0);
	char *text = render(m);
	assert_string_equal(text, expected);
	free(text);
	assert_true(cs_metrics_value(m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters") == 3);
	assert_true(cs_metrics_value(m, CS_METRICS_RATE_LIMIT_REMAINING, 1001, "whatever") == 1799);
	assert_true(cs_metrics_value(m, CS_METRICS_HEARTBEAT, 0, NULL) == 0);
	cs_metrics_free(m);
}

static void test_misuse_is_rejected(void **state)
{
	(void)state;
	cs_metrics *m = cs_metrics_new();
	assert_int_equal(cs_metrics_set(m, CS_METRICS_REQUESTS, 1, "a", 5), CS_EUSAGE);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_REQUESTS, 1, "a", -1), CS_EUSAGE);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_UP, 0, NULL, NAN), CS_EUSAGE);
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RUN_DURATION, 1, "a", 1), CS_EUSAGE);
	assert_int_equal(cs_metrics_add(m, CS_METRICS__COUNT, 1, "a", 1), CS_EUSAGE);
	assert_int_equal(cs_metrics_add(m, -1, 1, "a", 1), CS_EUSAGE);
	assert_int_equal(cs_metrics_observe_duration(m, 1, "a", -0.5), CS_EUSAGE);
	/* Gauges go both ways. */
	assert_int_equal(cs_metrics_add(m, CS_METRICS_RATE_LIMIT_REMAINING, 1, NULL, -3), 0);
	assert_true(cs_metrics_value(m, CS_METRICS_RATE_LIMIT_REMAINING, 1, NULL) == -3);
	assert_null(cs_metrics_name(CS_METRICS__COUNT));
	assert_string_equal(cs_metrics_name(CS_METRICS_UP), "classy_sync_up");
	assert_int_equal(cs_metrics_type_of(CS_METRICS_RUN_DURATION), CS_METRICS_HISTOGRAM);
	char *text = render(m);
	assert_string_equal(text, "# HELP classy_sync_rate_limit_remaining Last "
				  "X-RateLimit-Remaining the API sent.\n"
				  "# TYPE classy_sync_rate_limit_remaining gauge\n"
				  "classy_sync_rate_limit_remaining{org=\"1\"} -3\n");
	free(text);
	cs_metrics_free(m);
}

static void test_number_formatting(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0, "0"},
		{-0.0, "0"},
		{3, "3"},
		{-2.5, "-2.5"},
		{1714000000, "1714000000"},
		{1714000000.123, "1714000000.123"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{1e15, "1e+15"},
		{123456789012345, "123456789012345"},
		{1e-9, "1e-09"},
	};
	char out[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cs_metrics_format_value(cases[i].v, out);
		assert_string_equal(out, cases[i].want);
		assert_true(strtod(out, NULL) == cases[i].v);
	}
	cs_metrics_format_value(INFINITY, out);
	assert_string_equal(out, "+Inf");
	cs_metrics_format_value(-INFINITY, out);
	assert_string_equal(out, "-Inf");
	cs_metrics_format_value(NAN, out);
	assert_string_equal(out, "NaN");
}

static void test_render_hits_buffer_cap(void **state)
{
	(void)state;
	cs_metrics *m = cs_metrics_new();
	assert_int_equal(cs_metrics_set(m, CS_METRICS_UP, 0, NULL, 1), 0);
	cs_buf b;
	cs_buf_init(&b, 16);
	assert_int_equal(cs_metrics_render(m, &b), CS_ERR);
	cs_buf_release(&b);
	cs_metrics_free(m);
}

#define THREADS 4
#define ROUNDS 20000

static void *hammer(void *arg)
{
	cs_metrics *m = arg;
	for (int i = 0; i < ROUNDS; i++) {
		cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters", 1);
		/* New keys while others read and write: exercises the inserts. */
		cs_metrics_add(m, CS_METRICS_REQUESTS, i % 50, "transactions", 1);
		if (i % 100 == 0)
			cs_metrics_observe_duration(m, 1001, "supporters", (double)(i % 7));
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	(void)state;
	cs_metrics *m = cs_metrics_new();
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
	/* Scrapes during the updates must always parse. */
	for (int i = 0; i < 20; i++)
		free(render(m));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_true(cs_metrics_value(m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters") ==
		    THREADS * ROUNDS);
	for (int org = 0; org < 50; org++)
		assert_true(cs_metrics_value(m, CS_METRICS_REQUESTS, org, "transactions") ==
			    THREADS * ROUNDS / 50);
	char *text = render(m);
	assert_non_null(strstr(text, "classy_sync_run_duration_seconds_count{org=\"1001\","
				     "entity=\"supporters\"} 800\n"));
	free(text);
	cs_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_registry_renders_nothing),
		cmocka_unit_test(test_render_exact_lines),
		cmocka_unit_test(test_misuse_is_rejected),
		cmocka_unit_test(test_number_formatting),
		cmocka_unit_test(test_render_hits_buffer_cap),
		cmocka_unit_test(test_concurrent_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
