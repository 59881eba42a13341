#ifndef CS_WEB_MODEL_H
#define CS_WEB_MODEL_H
/* What the status page shows, read from the store in one pass (web_model.c)
 * and rendered by web_page.c. Text fields hold what the page may show:
 * errors and reasons are already scrubbed of email addresses. */
#include "web/web.h"

#include "health/health.h"
#include "web/web_html.h"

#define CS_WEB_REASONS 10
#define CS_WEB_REJECTIONS_READ 200 /* newest rejections counted by reason */
#define CS_WEB_ERROR_WINDOW CS_HEALTH_ERROR_WINDOW

typedef struct cs_web_run {
	long long id;
	int status; /* enum cs_run_status */
	int full;
	long long records;
	double secs; /* duration, < 0 while running or unknown */
	char started_at[32];
	char error[400];
} cs_web_run;

typedef struct cs_web_entity {
	long interval_ms;
	char last_success_at[32]; /* "" never */
	int64_t age_ms;           /* of the last success, < 0 never */
	int fresh_level;          /* enum cs_health_level */
	cs_web_run runs[CS_WEB_HISTORY]; /* newest first */
	int nruns;
} cs_web_entity;

typedef struct cs_web_reason {
	char text[160];
	long long count;
} cs_web_reason;

typedef struct cs_web_org {
	long long id;
	char name[256];
	cs_web_entity ent[CS_ENT_COUNT];
	int recent, recent_failed, error_level; /* the newest CS_WEB_ERROR_WINDOW finished runs */
	cs_plugin_last push;                    /* push.error scrubbed */
	cs_web_reason reasons[CS_WEB_REASONS];
	int nreasons;
} cs_web_org;

typedef struct cs_web_lease {
	cs_lease_info li;
	int64_t expires_in_ms;
} cs_web_lease;

typedef struct cs_web_model {
	int64_t now_ms;
	cs_web_org *orgs;
	size_t norgs;
	cs_web_lease *leases;
	size_t nleases, leases_cap;
} cs_web_model;

int cs_web_model_load(const cs_web_source *src, cs_web_model *m, cs_err *err);
void cs_web_model_release(cs_web_model *m);

#endif
