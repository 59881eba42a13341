#ifndef CS_WEB_REPORT_INT_H
#define CS_WEB_REPORT_INT_H
/* The giving report's model, read by web_report_model.c and rendered by
 * web_report.c. Only counts, sums and segment or campaign names: nothing
 * that names a donor. Private to src/web. */
#include "web/report.h"

#define CS_REPORT_SEGMENTS 16

typedef struct cs_report_month {
	char month[8]; /* "YYYY-MM" */
	double gifts, amount, rec_gifts, rec_amount, donors, first_time;
} cs_report_month;

typedef struct cs_report_segment {
	char name[128];
	double supporters, value;
} cs_report_segment;

typedef struct cs_report_dist {
	cs_report_segment seg[CS_REPORT_SEGMENTS];
	int n;
	double no_gift; /* supporters without a successful gift (segment NULL) */
} cs_report_dist;

typedef struct cs_report_campaign {
	long long id;
	char name[256];
	double goal, raised, pct, gifts, donors; /* goal, pct < 0: none */
} cs_report_campaign;

typedef struct cs_report_org {
	long long id;
	char name[256];
} cs_report_org;

struct cs_web_report {
	int64_t now_ms;
	long long org_id;   /* 0: all */
	char scope[300];    /* the org's name, or "all organizations" */
	cs_report_org *orgs; /* every registered org, for the selector */
	size_t norgs;
	cs_report_month months[CS_REPORT_MONTHS]; /* oldest first */
	cs_report_dist value, engagement;
	cs_report_campaign campaigns[CS_REPORT_CAMPAIGNS];
	int ncampaigns;
	double once, repeat; /* donors who gave once, more than once */
};

#endif
