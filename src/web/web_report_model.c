/* Reads the giving report's figures (web/report.h) through CS_CTRL_GIVING,
 * one part at a time, into the fixed-size model of web_report_int.h: the
 * last CS_REPORT_MONTHS calendar months (UTC) with a row for each even when
 * nothing was given, the two distributions in their threshold order, and
 * the campaigns that raised most. Copies only counts, sums and the names of
 * segments, campaigns and organizations. */
#include "web/web_report_int.h"

#include "util/timeutil.h"
#include "web/web_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Month k of the window (0 the oldest) as "YYYY-MM"; `first` is the
 * window's first month as year * 12 + month - 1. */
static void month_label(int first, int k, char *out, size_t n)
{
	unsigned m = (unsigned)(first + k); /* months since year 0: never negative */
	snprintf(out, n, "%04u-%02u", m / 12 % 10000, m % 12 + 1);
}

/* The window: the current month and the CS_REPORT_MONTHS - 1 before it;
 * from and until are the first days of its first month and of the month
 * after it. */
static void window(cs_web_report *r, char from[16], char until[16])
{
	char now[CS_TIME_BUFSZ];
	int y = 1970, m = 1;
	cs_time_format(r->now_ms, 0, now);
	if (sscanf(now, "%4d-%2d", &y, &m) != 2)
		y = 1970, m = 1;
	int first = y * 12 + (m - 1) - (CS_REPORT_MONTHS - 1);
	for (int k = 0; k < CS_REPORT_MONTHS; k++)
		month_label(first, k, r->months[k].month, sizeof(r->months[k].month));
	char label[8];
	snprintf(from, 16, "%s-01", r->months[0].month);
	month_label(first, CS_REPORT_MONTHS, label, sizeof(label));
	snprintf(until, 16, "%s-01", label);
}

static cs_report_month *month_of(cs_web_report *r, const char *label)
{
	for (int k = 0; label && k < CS_REPORT_MONTHS; k++)
		if (!strcmp(r->months[k].month, label))
			return &r->months[k];
	return NULL;
}

static int month_row(const cs_giving_row *g, void *ctx)
{
	cs_report_month *m = month_of(ctx, g->label);
	if (m && g->n >= 5) {
		m->gifts = g->v[0];
		m->amount = g->v[1];
		m->rec_gifts = g->v[2];
		m->rec_amount = g->v[3];
		m->donors = g->v[4];
	}
	return 0;
}

static int first_row(const cs_giving_row *g, void *ctx)
{
	cs_report_month *m = month_of(ctx, g->label);
	if (m && g->n >= 1)
		m->first_time = g->v[0];
	return 0;
}

/* Columns: sort, supporters, total lifetime value. */
static int dist_row(const cs_giving_row *g, void *ctx)
{
	cs_report_dist *d = ctx;
	if (g->n < 3)
		return 0;
	if (!g->label) {
		d->no_gift += g->v[1];
		return 0;
	}
	if (d->n == CS_REPORT_SEGMENTS)
		return 0;
	cs_report_segment *s = &d->seg[d->n++];
	snprintf(s->name, sizeof(s->name), "%s", g->label);
	s->supporters = g->v[1];
	s->value = g->v[2];
	return 0;
}

/* Columns: campaign_id, goal, raised, percent_of_goal, gift_count, unique_donors. */
static int campaign_row(const cs_giving_row *g, void *ctx)
{
	cs_web_report *r = ctx;
	if (g->n < 6 || r->ncampaigns == CS_REPORT_CAMPAIGNS)
		return 0;
	cs_report_campaign *c = &r->campaigns[r->ncampaigns++];
	c->id = (long long)g->v[0];
	/* a campaign named after a person's address ("jane@x.org's run") shows none */
	cs_web_scrub_emails(g->label ? g->label : "", c->name, sizeof(c->name));
	c->goal = g->null[1] ? -1 : g->v[1];
	c->raised = g->v[2];
	c->pct = g->null[3] ? -1 : g->v[3];
	c->gifts = g->v[4];
	c->donors = g->v[5];
	return 0;
}

static int donors_row(const cs_giving_row *g, void *ctx)
{
	cs_web_report *r = ctx;
	if (g->n >= 2) {
		r->once = g->v[0];
		r->repeat = g->v[1];
	}
	return 0;
}

static int load_parts(cs_web_report *r, cs_store *st, const cs_store_reader *reader,
		      cs_err *err)
{
	/* the parts read whole tables at 1M rows: the store's reading mode */
	int rc = st->ctrl(st, CS_CTRL_READER, (void *)reader, err);
	if (rc)
		return rc;
	char from[16], until[16];
	window(r, from, until);
	struct {
		int part;
		int (*cb)(const cs_giving_row *, void *);
		void *ctx;
	} steps[] = {
		{CS_GIVING_MONTHS, month_row, r},
		{CS_GIVING_FIRST_GIFTS, first_row, r},
		{CS_GIVING_VALUE, dist_row, &r->value},
		{CS_GIVING_ENGAGEMENT, dist_row, &r->engagement},
		{CS_GIVING_CAMPAIGNS, campaign_row, r},
		{CS_GIVING_DONORS, donors_row, r},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cs_giving_query q = {steps[i].part, r->org_id, from, until, CS_REPORT_CAMPAIGNS,
				     steps[i].cb, steps[i].ctx};
		rc = st->ctrl(st, CS_CTRL_GIVING, &q, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Every org for the selector (id and name only: the list's secrets are
 * dropped with it), and the scope's name; CS_ENOTFOUND for an unknown org. */
static int load_orgs(cs_web_report *r, cs_store *st, cs_err *err)
{
	cs_org_list l = {0};
	int rc = cs_org_list_load(st, 0, &l, err);
	if (rc == 0 && l.n && !(r->orgs = calloc(l.n, sizeof(*r->orgs))))
		rc = cs_err_set(err, CS_ERR, "cannot read the giving report: out of memory");
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		r->orgs[i].id = l.v[i].id;
		snprintf(r->orgs[i].name, sizeof(r->orgs[i].name), "%s", l.v[i].name);
		if (l.v[i].id == r->org_id)
			snprintf(r->scope, sizeof(r->scope), "%s",
				 l.v[i].name[0] ? l.v[i].name : "(no name)");
	}
	r->norgs = rc == 0 ? l.n : 0;
	cs_org_list_release(&l);
	if (rc == 0 && r->org_id && !r->scope[0])
		rc = cs_err_set(err, CS_ENOTFOUND,
				"no organization %lld: 'classy-sync org list' shows the registered ones",
				r->org_id);
	if (rc == 0 && !r->org_id)
		snprintf(r->scope, sizeof(r->scope), "all organizations");
	return rc;
}

int cs_web_report_load(const cs_web_report_source *src, cs_web_report **out, cs_err *err)
{
	*out = NULL;
	cs_web_report *r = calloc(1, sizeof(*r));
	if (!r)
		return cs_err_set(err, CS_ERR, "cannot read the giving report: out of memory");
	r->now_ms = src->now_ms;
	r->org_id = src->org_id;
	int rc = load_orgs(r, src->store, err);
	if (rc == 0)
		rc = load_parts(r, src->store, src->reader, err);
	if (rc) {
		cs_web_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

size_t cs_web_report_org_ids(const cs_web_report *r, long long *ids, size_t max)
{
	size_t n = 0;
	for (; r && n < r->norgs && n < max; n++)
		ids[n] = r->orgs[n].id;
	return n;
}

void cs_web_report_free(cs_web_report *r)
{
	if (!r)
		return;
	free(r->orgs);
	free(r);
}

int cs_web_report_page(const cs_web_report_source *src, cs_buf *out, cs_err *err)
{
	cs_web_report *r = NULL;
	int rc = cs_web_report_load(src, &r, err);
	if (rc == 0)
		rc = cs_web_report_render(r, src->flags, out, err);
	cs_web_report_free(r);
	return rc;
}
