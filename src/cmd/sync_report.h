#ifndef CS_CMD_SYNC_REPORT_H
#define CS_CMD_SYNC_REPORT_H
/* The outcome of `sync` and `org sync` (sync_report.c): a table per org on
 * stdout, or with --json one object for the whole run; errors always on
 * stderr as well. Private to the command layer. */
#include "sync/sync.h"

#include <cjson/cJSON.h>

typedef struct cs_cmd_sync_report {
	int full;
	cJSON *root, *runs, *errors; /* --json only, else NULL */
	long long records, requests;
	size_t ok, failed;
} cs_cmd_sync_report;

/* json: build the object (printed by _end) instead of the text tables. */
void cs_cmd_sync_report_init(cs_cmd_sync_report *r, int json, int full);
/* "classy-sync: error: ..." on stderr, and in the object's errors. */
void cs_cmd_sync_report_error(cs_cmd_sync_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An entity not run because another process holds its lease (who). */
void cs_cmd_sync_report_skipped(cs_cmd_sync_report *r, long long org, const cs_entity *e,
				const char *who);
/* One org's runs: counted, and printed or added to the object. */
void cs_cmd_sync_report_org(cs_cmd_sync_report *r, const cs_sync_org_result *res);
/* The totals line, or the object with the run's status and exit code
 * (printed on stdout, one line); frees the object. */
void cs_cmd_sync_report_end(cs_cmd_sync_report *r, int64_t duration_ms, int exit_code);

#endif
