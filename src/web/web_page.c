/* The status page (web.h): renders the model web_model.c read, top to
 * bottom: the head (inline CSS, meta refresh), a summary, every org (its
 * entities' freshness and last run, a chart and table of each entity's
 * runs, the error rate, the last Mailchimp push), then the workers and
 * their leases. Each state is said in words as well as colour. Text only
 * ever goes out through cs_web_text; no script, no URL. */
#include "web/web.h"
#include "web/web_model.h"
#include "web/web_svg.h"

#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em;"
	"border-bottom:2px solid #ddd}h3{font-size:1.05em;margin:1em 0 .3em}"
	"table{border-collapse:collapse;margin:.3em 0 1em}th,td{border:1px solid #ccc;"
	"padding:.2em .5em;text-align:left;vertical-align:top}td.n,th.n{text-align:right}"
	".lvl{display:inline-block;padding:0 .5em;border-radius:.6em;font-weight:600}"
	".ok{background:#d8f0dc;color:#0b5d1e}.warning{background:#fff1c2;color:#6b4b00}"
	".critical{background:#fbd5d5;color:#8a1010}.none{background:#e8e8e8;color:#333}"
	".meta{color:#555}.err{color:#8a1010}figure{margin:0 0 1.2em;display:flex;"
	"flex-wrap:wrap;gap:1em;align-items:flex-start}figcaption{font-weight:600;width:100%}"
	"svg.chart{font-size:11px;background:#fafafa;border:1px solid #ddd}"
	".frame{fill:none;stroke:#888}.axis text{fill:#444}.axis-label{fill:#222}"
	".s-records rect,rect.s-records{fill:#4c78a8}.s-records rect.failed{fill:#d62728}"
	".s-secs circle,rect.s-secs{fill:#f58518}.mark path,path.mark{stroke:#d62728;"
	"stroke-width:2.5}.history{font-size:12px}.history td{padding:.1em .4em}"
	"tr.failed td{background:#fdeaea}";

/* Words beside each colour: freshness, error rate, run status. */
static const char *const fresh_words[] = {"fresh", "stale", "very stale"};
static const char *const rate_words[] = {"normal", "elevated", "high"};
static const char *const level_cls[] = {"ok", "warning", "critical"};

static int run_failed(int status)
{
	return status == CS_RUN_FAILED || status == CS_RUN_PARTIAL;
}

static const char *status_cls(int status)
{
	return run_failed(status) ? "critical" : status == CS_RUN_SUCCESS ? "ok" : "warning";
}

/* <span class="lvl CLS">WORDS</span> */
static void badge(cs_web_w *w, const char *cls, const char *words)
{
	cs_web_tag(w, "<span class=\"lvl ");
	cs_web_text(w, cls);
	cs_web_tag(w, "\">");
	cs_web_text(w, words);
	cs_web_tag(w, "</span>");
}

static void count_cell(cs_web_w *w, const char *cls, long long v)
{
	char t[32];
	cs_web_fmt_count(v, t, sizeof(t));
	cs_web_tag(w, "<td class=\"n ");
	cs_web_text(w, cls);
	cs_web_tag(w, "\">");
	cs_web_text(w, t);
	cs_web_tag(w, "</td>");
}

static void secs_cell(cs_web_w *w, double secs)
{
	char t[32];
	cs_web_fmt_secs(secs, t, sizeof(t));
	cs_web_tag(w, "<td class=\"n secs\">");
	cs_web_text(w, t);
	cs_web_tag(w, "</td>");
}

static void cell(cs_web_w *w, const char *text)
{
	cs_web_elem(w, "td", NULL, text);
}

/* <table class="cls">[<caption>]<thead> of heads (NULL-ended; a head
 * starting with '#' is a number column, right-aligned)<tbody>. */
static void table_open(cs_web_w *w, const char *cls, const char *caption,
		       const char *const *heads)
{
	cs_web_tag(w, "<table class=\"");
	cs_web_text(w, cls);
	cs_web_tag(w, "\">");
	if (caption)
		cs_web_elem(w, "caption", NULL, caption);
	cs_web_tag(w, "<thead><tr>");
	for (; *heads; heads++)
		cs_web_elem(w, "th", **heads == '#' ? "n" : NULL, *heads + (**heads == '#'));
	cs_web_tag(w, "</tr></thead><tbody>");
}

static void head(cs_web_w *w, const cs_web_source *src)
{
	cs_web_tag(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
		      "<meta name=\"viewport\" content=\"width=device-width\"/>");
	if (src->refresh_s > 0) {
		cs_web_tag(w, "<meta http-equiv=\"refresh\" content=\"");
		cs_web_textf(w, "%d", src->refresh_s);
		cs_web_tag(w, "\"/>");
	}
	cs_web_tag(w, "<title>classy-sync status</title><style>");
	cs_web_tag(w, css);
	cs_web_tag(w, "</style></head><body><header><h1>classy-sync status</h1><p class=\"meta\">");
	char now[CS_TIME_BUFSZ];
	cs_time_format(src->now_ms, 0, now);
	cs_web_textf(w, "as of %s", now);
	if (src->refresh_s > 0)
		cs_web_textf(w, "; this page reloads every %d s", src->refresh_s);
	if (src->daemon)
		cs_web_textf(w, "; daemon: %s", src->daemon);
	cs_web_tag(w, "</p></header>");
}

static void ago(cs_web_w *w, int64_t age_ms)
{
	char t[32];
	cs_health_fmt_age(age_ms, t, sizeof(t));
	cs_web_textf(w, "%s ago", t);
}

/* The freshness cell: words and colour, and what they are measured on. */
static void freshness(cs_web_w *w, const cs_web_entity *e)
{
	cs_web_tag(w, "<td>");
	if (e->age_ms < 0) {
		badge(w, e->nruns ? "critical" : "none", e->nruns ? "never succeeded" : "never synced");
	} else {
		badge(w, level_cls[e->fresh_level], fresh_words[e->fresh_level]);
		cs_web_tag(w, " ");
		ago(w, e->age_ms);
	}
	if (e->interval_ms > 0) {
		char t[32];
		cs_health_fmt_age(e->interval_ms, t, sizeof(t));
		cs_web_textf(w, " (every %s)", t);
	}
	cs_web_tag(w, "</td>");
}

static void entity_row(cs_web_w *w, const cs_web_entity *e, int ent)
{
	cs_web_tag(w, "<tr data-entity=\"");
	cs_web_text(w, cs_entities[ent].name);
	cs_web_tag(w, "\">");
	cs_web_elem(w, "th", NULL, cs_entities[ent].name);
	freshness(w, e);
	if (!e->nruns) {
		cs_web_tag(w, "<td colspan=\"5\">no run yet</td></tr>");
		return;
	}
	const cs_web_run *r = &e->runs[0];
	cs_web_tag(w, "<td>");
	badge(w, status_cls(r->status), cs_run_status_name(r->status));
	cs_web_textf(w, " %s run %lld", r->full ? "full" : "incremental", r->id);
	cs_web_tag(w, "</td>");
	cell(w, r->started_at);
	count_cell(w, "records", r->records);
	secs_cell(w, r->secs);
	cs_web_elem(w, "td", "err", r->error);
	cs_web_tag(w, "</tr>");
}

static void entities_table(cs_web_w *w, const cs_web_org *o)
{
	static const char *const heads[] = {"entity",	"freshness", "last run", "started",
					    "#records", "#duration", "error",	 NULL};
	table_open(w, "entities", NULL, heads);
	for (int e = 0; e < CS_ENT_COUNT; e++)
		entity_row(w, &o->ent[e], e);
	cs_web_tag(w, "</tbody></table>");
}

static void history_table(cs_web_w *w, const cs_web_entity *e)
{
	static const char *const heads[] = {"run", "started", "status", "#records", "#duration",
					    NULL};
	table_open(w, "history", NULL, heads);
	for (int i = 0; i < e->nruns; i++) {
		const cs_web_run *r = &e->runs[i];
		cs_web_tag(w, run_failed(r->status) ? "<tr class=\"run failed\" data-run=\""
						    : "<tr class=\"run\" data-run=\"");
		cs_web_textf(w, "%lld", r->id);
		cs_web_tag(w, "\">");
		cs_web_tag(w, "<td>");
		cs_web_textf(w, "%lld", r->id);
		cs_web_tag(w, "</td>");
		cell(w, r->started_at);
		cs_web_elem(w, "td", "status", cs_run_status_name(r->status));
		count_cell(w, "records", r->records);
		secs_cell(w, r->secs);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table>");
}

/* The chart of an entity's runs, oldest to newest, and the same numbers as
 * a table beside it. */
static void history(cs_web_w *w, const cs_web_org *o, int ent)
{
	const cs_web_entity *e = &o->ent[ent];
	double recs[CS_WEB_HISTORY], secs[CS_WEB_HISTORY];
	unsigned char failed[CS_WEB_HISTORY];
	int failures = 0;
	for (int i = 0; i < e->nruns; i++) {
		const cs_web_run *r = &e->runs[e->nruns - 1 - i];
		recs[i] = (double)r->records;
		secs[i] = r->secs;
		failed[i] = (unsigned char)run_failed(r->status);
		failures += failed[i];
	}
	char id[64], title[160], desc[200];
	const char *name = cs_entities[ent].name;
	snprintf(id, sizeof(id), "c%lld-%s", o->id, name);
	snprintf(title, sizeof(title), "%s: the last %d runs", name, e->nruns);
	snprintf(desc, sizeof(desc),
		 "Records (bars) and duration in seconds (dots) of each of the last %d runs of "
		 "%s, oldest first; %d failed (marked with a cross).",
		 e->nruns, name, failures);
	cs_web_chart c = {id, title, desc, "runs, oldest to newest", "failed run", e->nruns, failed,
			  {{"records", CS_WEB_BARS, "s-records", recs},
			   {"duration (s)", CS_WEB_DOTS, "s-secs", secs}},
			  2, NULL, 0, 0, 0, NULL};
	cs_web_tag(w, "<figure>");
	cs_web_elem(w, "figcaption", NULL, title);
	cs_web_svg_chart(w, &c);
	history_table(w, e);
	cs_web_tag(w, "</figure>");
}

static void error_rate(cs_web_w *w, const cs_web_org *o)
{
	cs_web_tag(w, "<p class=\"error-rate\" data-failed=\"");
	cs_web_textf(w, "%d", o->recent_failed);
	cs_web_tag(w, "\" data-runs=\"");
	cs_web_textf(w, "%d", o->recent);
	cs_web_tag(w, "\">Error rate: ");
	badge(w, level_cls[o->error_level], rate_words[o->error_level]);
	if (o->recent)
		cs_web_textf(w, " %d of the last %d finished runs failed (%d %%)", o->recent_failed,
			     o->recent, o->recent_failed * 100 / o->recent);
	else
		cs_web_text(w, " no finished run yet");
	cs_web_tag(w, "</p>");
}

static const struct {
	const char *label;
	size_t off;
} push_counts[] = {
	{"considered", offsetof(cs_push_counts, considered)},
	{"unchanged", offsetof(cs_push_counts, unchanged)},
	{"created", offsetof(cs_push_counts, created)},
	{"updated", offsetof(cs_push_counts, updated)},
	{"tagged", offsetof(cs_push_counts, tagged)},
	{"skipped", offsetof(cs_push_counts, skipped)},
	{"rejected", offsetof(cs_push_counts, rejected)},
	{"failed", offsetof(cs_push_counts, failed)},
};

static void reasons(cs_web_w *w, const cs_web_org *o)
{
	if (!o->nreasons) {
		cs_web_tag(w, "<p>No recent rejection.</p>");
		return;
	}
	static const char *const heads[] = {"reason", "#contacts", NULL};
	table_open(w, "rejections", "recent rejections by reason (contacts are not shown)", heads);
	for (int i = 0; i < o->nreasons; i++) {
		cs_web_tag(w, "<tr>");
		cell(w, o->reasons[i].text);
		count_cell(w, "count", o->reasons[i].count);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table>");
}

static void push(cs_web_w *w, const cs_web_org *o)
{
	const cs_plugin_last *p = &o->push;
	cs_web_tag(w, "<h3>Mailchimp push</h3>");
	if (!p->found) {
		cs_web_tag(w, "<p>Never pushed.</p>");
		return;
	}
	cs_web_tag(w, "<p class=\"push\">Last push: ");
	badge(w, status_cls(p->status), cs_run_status_name(p->status));
	cs_web_textf(w, " started %s", p->started_at);
	if (p->error[0])
		cs_web_elem(w, "span", "err", p->error);
	cs_web_tag(w, "</p><table class=\"push-counts\"><thead><tr>");
	for (size_t i = 0; i < sizeof(push_counts) / sizeof(push_counts[0]); i++)
		cs_web_elem(w, "th", "n", push_counts[i].label);
	cs_web_tag(w, "</tr></thead><tbody><tr>");
	for (size_t i = 0; i < sizeof(push_counts) / sizeof(push_counts[0]); i++)
		count_cell(w, push_counts[i].label,
			   *(const long long *)(const void *)((const char *)&p->counts +
							       push_counts[i].off));
	cs_web_tag(w, "</tr></tbody></table>");
	reasons(w, o);
}

static void org(cs_web_w *w, const cs_web_org *o)
{
	cs_web_tag(w, "<section class=\"org\" id=\"");
	cs_web_textf(w, "org-%lld", o->id);
	cs_web_tag(w, "\"><h2><bdi>");
	cs_web_text(w, o->name[0] ? o->name : "(no name)");
	cs_web_tag(w, "</bdi> <span class=\"meta\">");
	cs_web_textf(w, "organization %lld", o->id);
	cs_web_tag(w, "</span></h2>");
	error_rate(w, o);
	entities_table(w, o);
	for (int e = 0; e < CS_ENT_COUNT; e++)
		if (o->ent[e].nruns)
			history(w, o, e);
	push(w, o);
	cs_web_tag(w, "</section>");
}

static void workers(cs_web_w *w, const cs_web_model *m)
{
	cs_web_tag(w, "<section id=\"workers\"><h2>Workers and their leases</h2>");
	if (!m->nleases) {
		cs_web_tag(w, "<p>No worker holds a lease now (nothing is syncing).</p></section>");
		return;
	}
	static const char *const heads[] = {"host", "#pid", "holder", "#organization", "job",
					    "lease expires in", NULL};
	table_open(w, "leases", NULL, heads);
	for (size_t i = 0; i < m->nleases; i++) {
		const cs_lease_info *li = &m->leases[i].li;
		char t[32];
		cs_health_fmt_age(m->leases[i].expires_in_ms, t, sizeof(t));
		cs_web_tag(w, "<tr>");
		cell(w, li->host);
		cs_web_tag(w, "<td class=\"n\">");
		cs_web_textf(w, "%lld", li->pid);
		cs_web_tag(w, "</td>");
		cell(w, li->holder);
		cs_web_tag(w, "<td class=\"n\">");
		cs_web_textf(w, "%lld", li->org_id);
		cs_web_tag(w, "</td>");
		cell(w, li->job);
		cell(w, t);
		cs_web_tag(w, "</tr>");
	}
	cs_web_tag(w, "</tbody></table></section>");
}

/* One line over everything: how many org x entity pairs are in each state. */
static void summary(cs_web_w *w, const cs_web_model *m)
{
	int n[3] = {0}, never = 0;
	for (size_t i = 0; i < m->norgs; i++)
		for (int e = 0; e < CS_ENT_COUNT; e++) {
			const cs_web_entity *en = &m->orgs[i].ent[e];
			if (en->age_ms < 0)
				never++;
			else
				n[en->fresh_level]++;
		}
	cs_web_tag(w, "<p class=\"summary\">");
	if (!m->norgs) {
		cs_web_tag(w, "No organization yet: add one with classy-sync org add.</p>");
		return;
	}
	cs_web_textf(w, "%zu organization(s): ", m->norgs);
	for (int l = 0; l < 3; l++) {
		badge(w, level_cls[l], fresh_words[l]);
		cs_web_textf(w, " %d  ", n[l]);
	}
	badge(w, "none", "never synced or never succeeded");
	cs_web_textf(w, " %d", never);
	cs_web_tag(w, "</p>");
}

int cs_web_status_page(const cs_web_source *src, cs_buf *out, cs_err *err)
{
	cs_web_model m;
	int rc = cs_web_model_load(src, &m, err);
	if (rc) {
		cs_web_model_release(&m);
		return rc;
	}
	cs_web_w w = {out, 0};
	head(&w, src);
	summary(&w, &m);
	for (size_t i = 0; i < m.norgs; i++)
		org(&w, &m.orgs[i]);
	workers(&w, &m);
	cs_web_tag(&w, "</body></html>\n");
	cs_web_model_release(&m);
	if (w.failed)
		return cs_err_set(err, CS_ERR, "cannot render the status page: it outgrew its "
						"buffer or memory ran out");
	return 0;
}
