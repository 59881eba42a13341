/* The giving report (web/report.h): renders the model web_report_model.c
 * read, top to bottom: the head (inline CSS), the scope and the selector of
 * organizations (plain links, no script), a line on first-time and repeat
 * donors, then one figure per question, each an SVG chart with its title
 * and axes and the same numbers as a table beside it, so it reads without
 * the picture (a screen reader, a printout). Text only ever goes out
 * through cs_web_text; the only links are the selector's "?org=". */
#include "web/web_report_int.h"
#include "web/web_html.h"
#include "web/web_svg.h"

#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em;"
	"border-bottom:2px solid #ddd}table{border-collapse:collapse;margin:.3em 0 1em}"
	"th,td{border:1px solid #ccc;padding:.15em .5em;text-align:left;vertical-align:top}"
	"td.n,th.n{text-align:right}.meta{color:#555}nav ul{list-style:none;padding:0;"
	"display:flex;flex-wrap:wrap;gap:.3em .8em}nav a[aria-current]{font-weight:700;"
	"color:#1b1b1b}figure{margin:0 0 1.2em;display:flex;flex-wrap:wrap;gap:1em;"
	"align-items:flex-start}figcaption{font-weight:600;width:100%}"
	"svg.chart{font-size:11px;background:#fafafa;border:1px solid #ddd}"
	".frame{fill:none;stroke:#888}.axis text{fill:#444}.axis-label{fill:#222}"
	".s-a rect,rect.s-a{fill:#4c78a8}.s-b circle,rect.s-b{fill:#f58518}"
	".s-b rect{fill:#f58518}table.data{font-size:12px}"
	"@media print{nav{display:none}figure{break-inside:avoid}}";

/* The document's opening up to <title>'s text; a page that waits for its
 * figures reloads itself. */
static void doc_open(cs_web_w *w, int refresh_s)
{
	cs_web_tag(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
		      "<meta name=\"viewport\" content=\"width=device-width\"/>");
	if (refresh_s > 0) {
		cs_web_tag(w, "<meta http-equiv=\"refresh\" content=\"");
		cs_web_textf(w, "%d", refresh_s);
		cs_web_tag(w, "\"/>");
	}
	cs_web_tag(w, "<title>");
}

static void head(cs_web_w *w, const cs_web_report *r, unsigned flags)
{
	int refreshing = (flags & CS_WEB_REPORT_REFRESHING) != 0;
	doc_open(w, refreshing ? CS_WEB_REPORT_RETRY_S : 0);
	cs_web_textf(w, "Giving report: %s", r->scope);
	cs_web_tag(w, "</title><style>");
	cs_web_tag(w, css);
	cs_web_tag(w, "</style></head><body><header><h1>Giving report: <bdi>");
	cs_web_text(w, r->scope);
	cs_web_tag(w, "</bdi></h1><p class=\"meta\">");
	char now[CS_TIME_BUFSZ];
	cs_time_format(r->now_ms, 0, now);
	cs_web_textf(w, "as of %s; months in UTC; amounts in each organization's own currency, "
			"summed as they are when organizations are together",
		     now);
	if (refreshing)
		cs_web_textf(w, "; being refreshed: a sync run has finished since these figures "
				"were read, and this page reloads in %d s",
			     CS_WEB_REPORT_RETRY_S);
	cs_web_tag(w, "</p></header>");
}

static void org_link(cs_web_w *w, const cs_web_report *r, long long id, const char *name)
{
	cs_web_tag(w, "<li><a href=\"?org=");
	if (id)
		cs_web_textf(w, "%lld", id);
	else
		cs_web_text(w, "all");
	cs_web_tag(w, r->org_id == id ? "\" aria-current=\"page\"><bdi>" : "\"><bdi>");
	cs_web_text(w, name[0] ? name : "(no name)");
	cs_web_tag(w, "</bdi></a></li>");
}

/* The selector: plain GET links, so it needs no script. */
static void selector(cs_web_w *w, const cs_web_report *r)
{
	cs_web_tag(w, "<nav aria-label=\"organization\"><ul>");
	org_link(w, r, 0, "All organizations");
	for (size_t i = 0; i < r->norgs; i++)
		org_link(w, r, r->orgs[i].id, r->orgs[i].name);
	cs_web_tag(w, "</ul></nav>");
}

/* A table head: NULL-ended heads, '#' first marks a number column. */
static void table_open(cs_web_w *w, const char *cls, const char *const *heads)
{
	cs_web_tag(w, "<table class=\"data ");
	cs_web_text(w, cls);
	cs_web_tag(w, "\"><thead><tr>");
	for (; *heads; heads++)
		cs_web_elem(w, "th", **heads == '#' ? "n" : NULL, *heads + (**heads == '#'));
	cs_web_tag(w, "</tr></thead><tbody>");
}

static void num_cell(cs_web_w *w, const char *cls, double v, int money)
{
	char t[48];
	if (money)
		cs_web_fmt_money(v, t, sizeof(t));
	else
		cs_web_fmt_count((long long)(v + (v < 0 ? -0.5 : 0.5)), t, sizeof(t));
	cs_web_tag(w, "<td class=\"n ");
	cs_web_text(w, cls);
	cs_web_tag(w, "\">");
	cs_web_text(w, t);
	cs_web_tag(w, "</td>");
}

/* <figure> with its caption and chart; the caller adds the table and
 * closes it. */
static void figure(cs_web_w *w, const cs_web_chart *c)
{
	cs_web_tag(w, "<figure>");
	cs_web_elem(w, "figcaption", NULL, c->title);
	cs_web_svg_chart(w, c);
}

static void months_table(cs_web_w *w, const cs_web_report *r, int recurring)
{
	static const char *const all[] = {"month", "#gifts", "#amount", "#donors", NULL};
	static const char *const rec[] = {"month", "#recurring gifts", "#recurring amount", NULL};
	table_open(w, recurring ? "recurring" : "months", recurring ? rec : all);
	for (int k = 0; k < CS_REPORT_MONTHS; k++) {
		const cs_report_month *m = &r->months[k];
		cs_web_tag(w, "<tr data-month=\"");
		cs_web_text(w, m->month);
		cs_web_tag(w, "\">");
		cs_web_elem(w, "td", NULL, m->month);
		num_cell(w, "gifts", recurring ? m->rec_gifts : m->gifts, 0);
		num_cell(w, "amount", recurring ? m->rec_amount : m->amount, 1);
		if (!recurring)
			num_cell(w, "donors", m->donors, 0);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table></figure>");
}

/* Gifts and amount per month, or (recurring) the gifts of recurring plans. */
static void months(cs_web_w *w, const cs_web_report *r, int recurring)
{
	double a[CS_REPORT_MONTHS], b[CS_REPORT_MONTHS];
	const char *month_ticks[CS_REPORT_MONTHS];
	for (int k = 0; k < CS_REPORT_MONTHS; k++) {
		month_ticks[k] = r->months[k].month;
		a[k] = recurring ? r->months[k].rec_amount : r->months[k].gifts;
		b[k] = recurring ? r->months[k].rec_gifts : r->months[k].amount;
	}
	cs_web_chart c = {
		recurring ? "c-recurring" : "c-months",
		recurring ? "Recurring revenue per month" : "Gifts and amount per month",
		recurring ? "The amount given through recurring plans (bars) and the number of "
			    "those gifts (dots) in each of the last 24 months, oldest first."
			  : "The number of gifts (bars) and the amount given (dots) in each of "
			    "the last 24 months, oldest first.",
		"month", NULL, CS_REPORT_MONTHS, NULL,
		{{recurring ? "recurring amount" : "gifts", CS_WEB_BARS, "s-a", a},
		 {recurring ? "recurring gifts" : "amount", CS_WEB_DOTS, "s-b", b}},
		2, month_ticks, 3, 0, 0, NULL};
	cs_web_tag(w, recurring ? "<section id=\"recurring\">" : "<section id=\"months\">");
	figure(w, &c);
	months_table(w, r, recurring);
	cs_web_tag(w, "</section>");
}

static void donors_table(cs_web_w *w, const cs_web_report *r)
{
	static const char *const heads[] = {"month", "#donors", "#first-time", "#repeat", NULL};
	table_open(w, "donors", heads);
	for (int k = 0; k < CS_REPORT_MONTHS; k++) {
		const cs_report_month *m = &r->months[k];
		double repeat = m->donors - m->first_time;
		cs_web_tag(w, "<tr data-month=\"");
		cs_web_text(w, m->month);
		cs_web_tag(w, "\">");
		cs_web_elem(w, "td", NULL, m->month);
		num_cell(w, "donors", m->donors, 0);
		num_cell(w, "first-time", m->first_time, 0);
		num_cell(w, "repeat", repeat > 0 ? repeat : 0, 0);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table></figure>");
}

/* First-time donors of a month gave their first gift in it; repeat donors
 * gave in it and had given before. Then the same split over all time. */
static void donors(cs_web_w *w, const cs_web_report *r)
{
	double a[CS_REPORT_MONTHS], b[CS_REPORT_MONTHS];
	const char *month_ticks[CS_REPORT_MONTHS];
	for (int k = 0; k < CS_REPORT_MONTHS; k++) {
		double repeat = r->months[k].donors - r->months[k].first_time;
		month_ticks[k] = r->months[k].month;
		a[k] = r->months[k].first_time;
		b[k] = repeat > 0 ? repeat : 0;
	}
	cs_web_chart c = {"c-donors", "First-time and repeat donors per month",
			  "Donors who gave their first gift (left bars) and donors who had given "
			  "before (right bars) in each of the last 24 months, oldest first.",
			  "month", NULL, CS_REPORT_MONTHS, NULL,
			  {{"first-time", CS_WEB_BARS, "s-a", a}, {"repeat", CS_WEB_BARS, "s-b", b}},
			  2, month_ticks, 3, 0, 1, "donors"};
	cs_web_tag(w, "<section id=\"donors\">");
	figure(w, &c);
	donors_table(w, r);
	cs_web_tag(w, "<p class=\"donor-split\" data-once=\"");
	cs_web_textf(w, "%.0f", r->once);
	cs_web_tag(w, "\" data-repeat=\"");
	cs_web_textf(w, "%.0f", r->repeat);
	cs_web_tag(w, "\">");
	char once[32], more[32];
	cs_web_fmt_count((long long)r->once, once, sizeof(once));
	cs_web_fmt_count((long long)r->repeat, more, sizeof(more));
	cs_web_textf(w, "Over all time: %s donor(s) gave once, %s gave more than once.", once, more);
	cs_web_tag(w, "</p></section>");
}

static void dist_table(cs_web_w *w, const cs_report_dist *d, const char *cls, const char *seg)
{
	const char *const heads[] = {seg, "#donors", "#lifetime value", "#average", NULL};
	table_open(w, cls, heads);
	for (int i = 0; i < d->n; i++) {
		const cs_report_segment *s = &d->seg[i];
		cs_web_tag(w, "<tr>");
		cs_web_elem(w, "td", "segment", s->name);
		num_cell(w, "donors", s->supporters, 0);
		num_cell(w, "value", s->value, 1);
		num_cell(w, "average", s->supporters > 0 ? s->value / s->supporters : 0, 1);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table></figure>");
}

/* Donors by value tier or by engagement, in the thresholds' order. */
static void dist(cs_web_w *w, const cs_report_dist *d, int engagement)
{
	double a[CS_REPORT_SEGMENTS], b[CS_REPORT_SEGMENTS];
	const char *ticks[CS_REPORT_SEGMENTS];
	for (int i = 0; i < d->n; i++) {
		a[i] = d->seg[i].supporters;
		b[i] = d->seg[i].value;
		ticks[i] = d->seg[i].name;
	}
	cs_web_chart c = {
		engagement ? "c-engagement" : "c-value",
		engagement ? "Donors by engagement" : "Donors by value tier",
		engagement ? "Donors (bars) and their lifetime value (dots) in each engagement "
			     "segment, by days since their last gift."
			   : "Donors (bars) and their lifetime value (dots) in each value tier, by "
			     "lifetime giving.",
		engagement ? "engagement segment" : "value tier", NULL, d->n, NULL,
		{{"donors", CS_WEB_BARS, "s-a", a}, {"lifetime value", CS_WEB_DOTS, "s-b", b}},
		2, ticks, 1, 1, 0, NULL};
	cs_web_tag(w, engagement ? "<section id=\"engagement\">" : "<section id=\"value\">");
	figure(w, &c);
	dist_table(w, d, engagement ? "engagement" : "value",
		   engagement ? "engagement segment" : "value tier");
	cs_web_tag(w, "<p class=\"no-gift\" data-supporters=\"");
	cs_web_textf(w, "%.0f", d->no_gift);
	cs_web_tag(w, "\">");
	char t[32];
	cs_web_fmt_count((long long)d->no_gift, t, sizeof(t));
	cs_web_textf(w, "%s supporter(s) without a successful gift are in no segment.", t);
	cs_web_tag(w, "</p></section>");
}

static void campaign_row(cs_web_w *w, int rank, const cs_report_campaign *k)
{
	cs_web_tag(w, "<tr data-campaign=\"");
	cs_web_textf(w, "%lld", k->id);
	cs_web_tag(w, "\"><td class=\"n\">");
	cs_web_textf(w, "%d", rank);
	cs_web_tag(w, "</td><td class=\"name\"><bdi>");
	cs_web_text(w, k->name[0] ? k->name : "(no name)");
	cs_web_tag(w, "</bdi></td>");
	if (k->goal >= 0)
		num_cell(w, "goal", k->goal, 1);
	else
		cs_web_tag(w, "<td class=\"n goal\">none</td>");
	num_cell(w, "raised", k->raised, 1);
	if (k->pct >= 0) {
		cs_web_tag(w, "<td class=\"n pct\">");
		cs_web_textf(w, "%.0f %%", k->pct);
		cs_web_tag(w, "</td>");
	} else {
		cs_web_tag(w, "<td class=\"n pct\">-</td>");
	}
	num_cell(w, "gifts", k->gifts, 0);
	num_cell(w, "donors", k->donors, 0);
	cs_web_tag(w, "</tr>");
}

static void campaigns(cs_web_w *w, const cs_web_report *r)
{
	static const char *const heads[] = {"#rank", "campaign", "#goal", "#raised",
					    "#of goal", "#gifts", "#donors", NULL};
	double a[CS_REPORT_CAMPAIGNS], b[CS_REPORT_CAMPAIGNS];
	char rank[CS_REPORT_CAMPAIGNS][16];
	const char *ticks[CS_REPORT_CAMPAIGNS];
	for (int i = 0; i < r->ncampaigns; i++) {
		a[i] = r->campaigns[i].raised;
		b[i] = r->campaigns[i].goal; /* < 0: no goal, no bar */
		snprintf(rank[i], sizeof(rank[i]), "#%d", i + 1);
		ticks[i] = rank[i];
	}
	cs_web_chart c = {"c-campaigns", "Top campaigns by amount raised, against their goals",
			  "The amount each campaign raised (left bars) beside its goal (right "
			  "bars), the campaigns that raised most first; the table names them.",
			  "campaign, by rank in the table", NULL, r->ncampaigns, NULL,
			  {{"raised", CS_WEB_BARS, "s-a", a}, {"goal", CS_WEB_BARS, "s-b", b}},
			  2, ticks, 1, 0, 1, "amount"};
	cs_web_tag(w, "<section id=\"campaigns\">");
	figure(w, &c);
	table_open(w, "campaigns", heads);
	for (int i = 0; i < r->ncampaigns; i++)
		campaign_row(w, i + 1, &r->campaigns[i]);
	cs_web_tag(w, "</tbody></table></figure></section>");
}

int cs_web_report_render(const cs_web_report *r, unsigned flags, cs_buf *out, cs_err *err)
{
	cs_web_w w = {out, 0};
	head(&w, r, flags);
	if (!(flags & CS_WEB_REPORT_STANDALONE))
		selector(&w, r);
	months(&w, r, 0);
	months(&w, r, 1);
	donors(&w, r);
	dist(&w, &r->value, 0);
	dist(&w, &r->engagement, 1);
	campaigns(&w, r);
	cs_web_tag(&w, "</body></html>\n");
	if (w.failed)
		return cs_err_set(err, CS_ERR, "cannot render the giving report: it outgrew its "
						"buffer or memory ran out");
	return 0;
}

int cs_web_report_wait_page(long long org, cs_buf *out, cs_err *err)
{
	cs_web_w w = {out, 0};
	doc_open(&w, CS_WEB_REPORT_RETRY_S);
	cs_web_text(&w, "Giving report: reading the figures");
	cs_web_tag(&w, "</title></head><body><h1>Giving report</h1><p>");
	if (org)
		cs_web_textf(&w, "The figures of organization %lld are being read", org);
	else
		cs_web_text(&w, "The figures of all organizations are being read");
	cs_web_textf(&w, " from the database; this page reloads in %d s.", CS_WEB_REPORT_RETRY_S);
	cs_web_tag(&w, "</p></body></html>\n");
	if (w.failed)
		return cs_err_set(err, CS_ERR, "cannot render the giving report's waiting page: "
						"out of memory");
	return 0;
}
