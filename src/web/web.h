#ifndef CS_WEB_H
#define CS_WEB_H
/* The status page the daemon serves at / (issue 13): per organization and
 * entity, freshness against its interval, the last run, the run history as
 * a chart with its numbers, the error rate; the workers and their leases;
 * the last Mailchimp push with its counts and recent rejections by reason.
 *
 * Rendered here in C from the store, as one self-contained XHTML-valid
 * document: inline CSS, inline SVG, no script, no URL of any kind, a meta
 * refresh. It reads only small tables (organizations, sync_runs through
 * its (organization_id, entity, id) index, plugin_runs, plugin_outcomes
 * through (plugin, status, id), sync_leases), never an entity table, so
 * its cost does not grow with the mirror. It never shows an email address
 * or a donor's name: rejections are counted by reason, errors are scrubbed
 * of anything shaped like an address. */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>

/* The runs of each org and entity the page charts and tabulates. */
#define CS_WEB_HISTORY 30

typedef struct cs_web_source {
	cs_store *store;
	int64_t now_ms; /* wall clock the ages are measured against */
	/* The sync interval of a job kind (enum cs_entity_id, or
	 * CS_SCHED_JOB_PLUGINS) for an org; <= 0 when unknown. */
	long (*interval_ms)(void *ctx, long long org_id, int kind);
	void *ctx;
	const char *daemon; /* a line about the daemon ("worker pid 12, up 3 min"), or NULL */
	int refresh_s;      /* meta refresh; 0: none */
} cs_web_source;

/* Appends the page to out. Fails (with err) when the store cannot be read
 * or the page outgrows out's cap; out then holds a partial page. */
int cs_web_status_page(const cs_web_source *src, cs_buf *out, cs_err *err);

#endif
