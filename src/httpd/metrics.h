#ifndef CS_METRICS_H
#define CS_METRICS_H
/* A small, thread-safe metrics registry rendered in the Prometheus text
 * exposition format 0.0.4 (what /metrics serves).
 *
 * Every metric is declared once, in the table in metrics.c: name, type,
 * help and which labels it carries. Labels are org and entity ONLY, so that
 * the number of series stays orgs x entities: anything else (a run's status,
 * an HTTP status) is a separate metric, e.g. classy_sync_runs_failed_total
 * next to classy_sync_runs_total, never a label.
 *
 * A metric with fewer labels ignores the extra arguments: the org-only
 * gauge classy_sync_rate_limit_remaining ignores entity, and the unlabelled
 * classy_sync_up ignores both. Families appear in table order, and series
 * within a family in (org, entity) order, so the output is stable. */
#include "util/buf.h"

enum cs_metrics_id {
	/* counters, labels {org, entity} */
	CS_METRICS_RECORDS_UPSERTED = 0, /* classy_sync_records_upserted_total */
	CS_METRICS_REQUESTS,    /* classy_sync_requests_total: attempts, retries included */
	CS_METRICS_RETRIES,     /* classy_sync_retries_total */
	CS_METRICS_THROTTLED,   /* classy_sync_throttled_total: 429 answers */
	CS_METRICS_ERRORS,      /* classy_sync_errors_total: transport failures and 5xx */
	CS_METRICS_RUNS,        /* classy_sync_runs_total: finished runs, any status */
	CS_METRICS_RUNS_FAILED, /* classy_sync_runs_failed_total: runs that ended failed */
	/* gauges */
	CS_METRICS_LAST_SUCCESS, /* classy_sync_last_success_timestamp_seconds {org, entity} */
	CS_METRICS_RATE_LIMIT_REMAINING, /* classy_sync_rate_limit_remaining {org} */
	CS_METRICS_UP,           /* classy_sync_up, no labels */
	CS_METRICS_HEARTBEAT,    /* classy_sync_daemon_heartbeat_timestamp_seconds, no labels */
	/* histogram, labels {org, entity} */
	CS_METRICS_RUN_DURATION, /* classy_sync_run_duration_seconds */
	CS_METRICS__COUNT
};

enum cs_metrics_type { CS_METRICS_COUNTER = 0, CS_METRICS_GAUGE, CS_METRICS_HISTOGRAM };

typedef struct cs_metrics cs_metrics;

/* NULL when out of memory. */
cs_metrics *cs_metrics_new(void);
void cs_metrics_free(cs_metrics *m); /* NULL is a no-op */

/* Adds v to a counter (v >= 0) or a gauge (any sign). entity may be NULL
 * for metrics without the entity label. Returns 0, CS_EUSAGE for an unknown
 * id, a histogram, a negative counter increment or a non-finite value, and
 * CS_ERR when out of memory. Counters only go up, so Prometheus' rate()
 * never sees a reset that did not happen. */
int cs_metrics_add(cs_metrics *m, int id, long long org, const char *entity, double v);

/* Sets a gauge. Returns as cs_metrics_add; CS_EUSAGE for a counter. */
int cs_metrics_set(cs_metrics *m, int id, long long org, const char *entity, double v);

/* Records one run's duration in classy_sync_run_duration_seconds
 * (buckets 0.1 0.5 1 5 15 60 300 900 3600 +Inf). */
int cs_metrics_observe_duration(cs_metrics *m, long long org, const char *entity, double seconds);

/* The current value of a counter or gauge (the sum, for a histogram), or 0
 * when the series was never touched. For health checks and tests. */
double cs_metrics_value(cs_metrics *m, int id, long long org, const char *entity);

/* Appends the exposition text to out. Returns 0, or CS_ERR when out hits
 * its cap or memory runs out (out then holds a partial text). */
int cs_metrics_render(cs_metrics *m, cs_buf *out);

/* The table: name and type of a metric, NULL for an unknown id. */
const char *cs_metrics_name(int id);
int cs_metrics_type_of(int id);

/* Formats v as Prometheus parses it: integers without exponent or
 * fraction ("3", "1714000000"), others in the shortest form that reads back
 * exactly, "+Inf", "-Inf", "NaN". out must hold 32 bytes. Exposed for tests. */
void cs_metrics_format_value(double v, char *out);

#endif
