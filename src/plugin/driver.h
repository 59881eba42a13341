#ifndef CS_PLUGIN_DRIVER_H
#define CS_PLUGIN_DRIVER_H
/* The core side of the plugin lifecycle (driver.c): commands call these,
 * plugins never do. */
#include "plugin/plugin.h"

#include <stdlib.h>

typedef struct cs_plugin_push_report {
	cs_push_counts totals; /* summed over orgs */
	size_t orgs_total, orgs_failed;
	cJSON *orgs;    /* array: one object per org (run id, status, counts, error) */
	cJSON *samples; /* array: sample diffs the plugins appended */
} cs_plugin_push_report;

/* init -> configure -> per org: run row, plan, push unless dry run -> close.
 * An error of one org is logged and counted, and the next org still runs,
 * unless it is one that would fail them all (auth, usage, stop). Returns
 * non-zero only for failures before any org ran or that stopped the loop;
 * rep->orgs_failed tells the rest. */
int cs_plugin_push(cs_store *st, const cs_plugin *p, const cs_plugin_push_opts *opts,
		   int (*should_stop)(void), cs_plugin_push_report *rep, cs_err *err);

/* 0 all well; 1 when nothing could be done; 3 when some orgs or records
 * failed (permanent rejections included); else the code of rc. */
int cs_plugin_exit_code(const cs_plugin_push_report *rep, int rc);

/* init -> configure -> close: 0 when the plugin is configured (its keys
 * are set and valid), else the configure error. */
int cs_plugin_configured(cs_store *st, const cs_plugin *p, cs_err *err);

/* init -> configure -> health -> close. */
int cs_plugin_health(cs_store *st, const cs_plugin *p, char *msg, size_t msgsz, cs_err *err);

/* Adds each count of c to o as a number, by field name. */
void cs_plugin_counts_json(cJSON *o, const cs_push_counts *c);
/* Reads the counts cs_plugin_counts_json wrote back from o. */
void cs_plugin_counts_from_json(const cJSON *o, cs_push_counts *c);

#endif
