/* The metrics registry and its Prometheus text rendering. One mutex guards
 * everything: updates are a few per page and scrapes a few per minute, so
 * contention is negligible and a single lock keeps a scrape consistent (a
 * histogram's buckets, sum and count always agree).
 *
 * Never takes a label beyond org and entity (the series stay orgs x
 * entities), and never lets a counter go down. */
#include "httpd/metrics.h"
#include "util/buf.h"

#include "util/err.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum labels { L_NONE = 0, L_ORG, L_ORG_ENTITY };

static const double duration_buckets[] = {0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600};
#define DURATION_NB (sizeof(duration_buckets) / sizeof(duration_buckets[0]))
#define MAX_BUCKETS 16

static const struct metric_def {
	const char *name;
	int type;
	int labels;
	const char *help;
	const double *buckets; /* histograms: finite upper bounds, ascending */
	size_t nbuckets;
} defs[CS_METRICS__COUNT] = {
	[CS_METRICS_RECORDS_UPSERTED] = {"classy_sync_records_upserted_total", CS_METRICS_COUNTER,
					 L_ORG_ENTITY, "Records written to the mirror.", NULL, 0},
	[CS_METRICS_REQUESTS] = {"classy_sync_requests_total", CS_METRICS_COUNTER, L_ORG_ENTITY,
				 "HTTP requests sent to the Classy API, retries included.", NULL,
				 0},
	[CS_METRICS_RETRIES] = {"classy_sync_retries_total", CS_METRICS_COUNTER, L_ORG_ENTITY,
				"HTTP requests that repeated an earlier attempt.", NULL, 0},
	[CS_METRICS_THROTTLED] = {"classy_sync_throttled_total", CS_METRICS_COUNTER, L_ORG_ENTITY,
				  "Answers that throttled the client (429).", NULL, 0},
	[CS_METRICS_ERRORS] = {"classy_sync_errors_total", CS_METRICS_COUNTER, L_ORG_ENTITY,
			       "Transport failures and 5xx answers.", NULL, 0},
	[CS_METRICS_RUNS] = {"classy_sync_runs_total", CS_METRICS_COUNTER, L_ORG_ENTITY,
			     "Entity sync runs that finished, whatever their status.", NULL, 0},
	[CS_METRICS_RUNS_FAILED] = {"classy_sync_runs_failed_total", CS_METRICS_COUNTER,
				    L_ORG_ENTITY, "Entity sync runs that ended failed.", NULL, 0},
	[CS_METRICS_LAST_SUCCESS] = {"classy_sync_last_success_timestamp_seconds", CS_METRICS_GAUGE,
				     L_ORG_ENTITY,
				     "Unix time of the end of the last successful run.", NULL, 0},
	[CS_METRICS_RATE_LIMIT_REMAINING] = {"classy_sync_rate_limit_remaining", CS_METRICS_GAUGE,
					     L_ORG, "Last X-RateLimit-Remaining the API sent.",
					     NULL, 0},
	[CS_METRICS_UP] = {"classy_sync_up", CS_METRICS_GAUGE, L_NONE,
			   "1 while the daemon is running.", NULL, 0},
	[CS_METRICS_HEARTBEAT] = {"classy_sync_daemon_heartbeat_timestamp_seconds",
				  CS_METRICS_GAUGE, L_NONE,
				  "Unix time of the last turn of the daemon loop.", NULL, 0},
	[CS_METRICS_RUN_DURATION] = {"classy_sync_run_duration_seconds", CS_METRICS_HISTOGRAM,
				     L_ORG_ENTITY, "Duration of entity sync runs.",
				     duration_buckets, DURATION_NB},
};

/* Per-bucket (not cumulative) counts; the last slot is +Inf. Rendering
 * accumulates, so the output is cumulative by construction. */
typedef struct hist {
	uint64_t counts[MAX_BUCKETS + 1];
	double sum;
	uint64_t n;
} hist;

/* One (org, entity) key and the values of every metric for it. A metric
 * with fewer labels uses the key with those parts blanked, so one row may
 * carry an org-only gauge and no per-entity value at all: `touched` says
 * which metrics have a series at this key. */
typedef struct series {
	long long org;
	char *entity; /* "" when the metric has no entity label */
	unsigned touched;
	double v[CS_METRICS__COUNT];
	hist *h[CS_METRICS__COUNT];
} series;

struct cs_metrics {
	pthread_mutex_t mu;
	series **rows; /* sorted by (org, entity) */
	size_t n, cap;
};

_Static_assert(CS_METRICS__COUNT <= sizeof(unsigned) * 8, "touched needs a bit per metric");
_Static_assert(DURATION_NB <= MAX_BUCKETS, "hist has room for MAX_BUCKETS bounds");

cs_metrics *cs_metrics_new(void)
{
	cs_metrics *m = calloc(1, sizeof(*m));
	if (m)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

static void series_free(series *s)
{
	for (int i = 0; i < CS_METRICS__COUNT; i++)
		free(s->h[i]);
	free(s->entity);
	free(s);
}

void cs_metrics_free(cs_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		series_free(m->rows[i]);
	free(m->rows);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

const char *cs_metrics_name(int id)
{
	return id >= 0 && id < CS_METRICS__COUNT ? defs[id].name : NULL;
}

int cs_metrics_type_of(int id)
{
	return id >= 0 && id < CS_METRICS__COUNT ? defs[id].type : -1;
}

/* ---- lookup ------------------------------------------------------------- */

static int key_cmp(long long org, const char *entity, const series *s)
{
	if (org != s->org)
		return org < s->org ? -1 : 1;
	return strcmp(entity, s->entity);
}

/* Binary search; *pos is where the key is or would go. */
static series *find(const cs_metrics *m, long long org, const char *entity, size_t *pos)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(org, entity, m->rows[mid]);
		if (c == 0) {
			*pos = mid;
			return m->rows[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return NULL;
}

/* Blanks the key parts the metric does not label by. */
static void norm_key(int id, long long *org, const char **entity)
{
	if (defs[id].labels < L_ORG_ENTITY || !*entity)
		*entity = "";
	if (defs[id].labels < L_ORG)
		*org = 0;
}

/* The row for (org, entity), created when missing; NULL when out of memory.
 * Called with the lock held. */
static series *get_row(cs_metrics *m, int id, long long org, const char *entity)
{
	norm_key(id, &org, &entity);
	size_t pos;
	series *s = find(m, org, entity, &pos);
	if (s)
		return s;
	series **rows = cs_buf_grow_array(m->rows, &m->cap, m->n, sizeof(*rows), 16);
	if (!rows)
		return NULL;
	m->rows = rows;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->entity = strdup(entity))) {
		free(s);
		return NULL;
	}
	s->org = org;
	memmove(m->rows + pos + 1, m->rows + pos, (m->n - pos) * sizeof(*m->rows));
	m->rows[pos] = s;
	m->n++;
	return s;
}

/* ---- updates ------------------------------------------------------------ */

static int update(cs_metrics *m, int id, long long org, const char *entity, double v, int set)
{
	if (!m || id < 0 || id >= CS_METRICS__COUNT || !isfinite(v))
		return CS_EUSAGE;
	int type = defs[id].type;
	if (type == CS_METRICS_HISTOGRAM || (type == CS_METRICS_COUNTER && (set || v < 0)))
		return CS_EUSAGE;
	pthread_mutex_lock(&m->mu);
	series *s = get_row(m, id, org, entity);
	if (s) {
		s->v[id] = set ? v : s->v[id] + v;
		s->touched |= 1u << id;
	}
	pthread_mutex_unlock(&m->mu);
	return s ? 0 : CS_ERR;
}

int cs_metrics_add(cs_metrics *m, int id, long long org, const char *entity, double v)
{
	return update(m, id, org, entity, v, 0);
}

int cs_metrics_set(cs_metrics *m, int id, long long org, const char *entity, double v)
{
	return update(m, id, org, entity, v, 1);
}

static void hist_observe(hist *h, const struct metric_def *d, double v)
{
	size_t i = 0;
	while (i < d->nbuckets && v > d->buckets[i]) /* le: upper bounds are inclusive */
		i++;
	h->counts[i]++;
	h->sum += v;
	h->n++;
}

int cs_metrics_observe_duration(cs_metrics *m, long long org, const char *entity, double seconds)
{
	const int id = CS_METRICS_RUN_DURATION;
	if (!m || !isfinite(seconds) || seconds < 0)
		return CS_EUSAGE;
	int rc = CS_ERR;
	pthread_mutex_lock(&m->mu);
	series *s = get_row(m, id, org, entity);
	if (s && !s->h[id])
		s->h[id] = calloc(1, sizeof(hist));
	if (s && s->h[id]) {
		hist_observe(s->h[id], &defs[id], seconds);
		s->v[id] = s->h[id]->sum;
		s->touched |= 1u << id;
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

double cs_metrics_value(cs_metrics *m, int id, long long org, const char *entity)
{
	if (!m || id < 0 || id >= CS_METRICS__COUNT)
		return 0;
	norm_key(id, &org, &entity);
	size_t pos;
	pthread_mutex_lock(&m->mu);
	const series *s = find(m, org, entity, &pos);
	double v = s && (s->touched & (1u << id)) ? s->v[id] : 0;
	pthread_mutex_unlock(&m->mu);
	return v;
}

/* ---- rendering ---------------------------------------------------------- */

void cs_metrics_format_value(double v, char *out)
{
	if (isnan(v)) {
		strcpy(out, "NaN");
	} else if (isinf(v)) {
		strcpy(out, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		/* Counters and Unix seconds: plain digits, never 1.7e+09. */
		snprintf(out, 32, "%.0f", v == 0 ? 0.0 : v);
	} else {
		/* The shortest precision that reads back to the same double. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, 32, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

/* Label values escape backslash, double quote and newline (format 0.0.4);
 * HELP text escapes only backslash and newline. */
static int put_escaped(cs_buf *out, const char *s, int quote)
{
	int rc = 0;
	for (const char *p = s; *p && rc == 0; p++) {
		if (*p == '\\')
			rc = cs_buf_puts(out, "\\\\");
		else if (*p == '\n')
			rc = cs_buf_puts(out, "\\n");
		else if (*p == '"' && quote)
			rc = cs_buf_puts(out, "\\\"");
		else
			rc = cs_buf_append(out, p, 1);
	}
	return rc;
}

/* name{org="..",entity="..",le=".."} value\n; le may be NULL. */
static int put_sample(cs_buf *out, const char *name, const char *suffix, int labels,
		      const series *s, const char *le, double v)
{
	char num[32];
	int rc = cs_buf_printf(out, "%s%s", name, suffix);
	if (labels == L_NONE && !le)
		goto value;
	rc |= cs_buf_puts(out, "{");
	const char *sep = "";
	if (labels >= L_ORG) {
		rc |= cs_buf_printf(out, "org=\"%lld\"", s->org);
		sep = ",";
	}
	if (labels == L_ORG_ENTITY) {
		rc |= cs_buf_puts(out, ",entity=\"");
		rc |= put_escaped(out, s->entity, 1);
		rc |= cs_buf_puts(out, "\"");
	}
	if (le)
		rc |= cs_buf_printf(out, "%sle=\"%s\"", sep, le);
	rc |= cs_buf_puts(out, "}");
value:
	cs_metrics_format_value(v, num);
	rc |= cs_buf_printf(out, " %s\n", num);
	return rc;
}

static int put_histogram(cs_buf *out, const struct metric_def *d, const series *s,
			 const hist *h)
{
	char le[32];
	uint64_t cum = 0;
	int rc = 0;
	for (size_t i = 0; i <= d->nbuckets; i++) {
		cum += h->counts[i];
		if (i < d->nbuckets)
			cs_metrics_format_value(d->buckets[i], le);
		else
			strcpy(le, "+Inf");
		rc |= put_sample(out, d->name, "_bucket", d->labels, s, le, (double)cum);
	}
	rc |= put_sample(out, d->name, "_sum", d->labels, s, NULL, h->sum);
	rc |= put_sample(out, d->name, "_count", d->labels, s, NULL, (double)h->n);
	return rc;
}

static const char *type_name(int type)
{
	static const char *const names[] = {"counter", "gauge", "histogram"};
	return names[type];
}

/* One family: HELP and TYPE once, then its series; nothing when the family
 * has no series yet (like the client libraries' empty vectors). */
static int put_family(cs_buf *out, const cs_metrics *m, int id)
{
	const struct metric_def *d = &defs[id];
	const unsigned bit = 1u << id;
	int rc = 0, header = 0;
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		const series *s = m->rows[i];
		if (!(s->touched & bit))
			continue;
		if (!header++) {
			rc |= cs_buf_printf(out, "# HELP %s ", d->name);
			rc |= put_escaped(out, d->help, 0);
			rc |= cs_buf_printf(out, "\n# TYPE %s %s\n", d->name, type_name(d->type));
		}
		if (d->type == CS_METRICS_HISTOGRAM)
			rc |= put_histogram(out, d, s, s->h[id]);
		else
			rc |= put_sample(out, d->name, "", d->labels, s, NULL, s->v[id]);
	}
	return rc;
}

int cs_metrics_render(cs_metrics *m, cs_buf *out)
{
	int rc = 0;
	if (!m || !out)
		return CS_EUSAGE;
	pthread_mutex_lock(&m->mu);
	for (int id = 0; id < CS_METRICS__COUNT && rc == 0; id++)
		rc = put_family(out, m, id);
	pthread_mutex_unlock(&m->mu);
	return rc ? CS_ERR : 0;
}
