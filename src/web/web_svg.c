/* The chart helper: one function draws any chart of the status page from
 * its table (web_svg.h). Never writes text but through cs_web_text, never
 * refers to anything outside the page (no href, no font, no script). */
#include "web/web_svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 560
#define H 220
#define LEFT 64  /* room for the left axis' ticks and label */
#define RIGHT 64 /* and the right one's */
#define TOP 28   /* the legend */
#define BOTTOM 40
#define PLOT_W (W - LEFT - RIGHT)
#define PLOT_H (H - TOP - BOTTOM)
/* Slanted tick labels need room below the plot: the chart grows by this,
 * the plot keeps its size. */
#define SLANT_ROOM 70
#define TICK_CHARS 18 /* a longer label is cut (the table has it whole) */

/* A tick scale: the smallest 1, 2 or 5 x 10^k at or above the maximum. */
static double nice_max(const double *v, int n)
{
	double m = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	if (m <= 0)
		return 1;
	double p = pow(10, floor(log10(m)));
	double steps[] = {1, 2, 5, 10};
	for (int i = 0; i < 4; i++)
		if (steps[i] * p >= m)
			return steps[i] * p;
	return 10 * p;
}

static double y_of(double v, double max)
{
	return TOP + PLOT_H - v / max * PLOT_H;
}

static void fmt_tick(double v, char *out, size_t n)
{
	if (v >= 1e6)
		snprintf(out, n, "%gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(out, n, "%gk", v / 1e3);
	else
		snprintf(out, n, "%g", v);
}

/* The axis of series s: 0, half and the top, and its label, on the left
 * (s == 0) or the right. */
static void axis(cs_web_w *w, const cs_web_series *s, int right, double max)
{
	int x = right ? LEFT + PLOT_W : LEFT;
	char t[32];
	cs_web_tag(w, "<g class=\"axis\">");
	for (int i = 0; i <= 2; i++) {
		double v = max * i / 2;
		fmt_tick(v, t, sizeof(t));
		char tag[160];
		snprintf(tag, sizeof(tag), "<text x=\"%d\" y=\"%.1f\" text-anchor=\"%s\">", right ? x + 6 : x - 6,
			 y_of(v, max) + 4, right ? "start" : "end");
		cs_web_tag(w, tag);
		cs_web_text(w, t);
		cs_web_tag(w, "</text>");
	}
	char tag[200];
	int lx = right ? W - 12 : 14, ly = TOP + PLOT_H / 2;
	snprintf(tag, sizeof(tag),
		 "<text class=\"axis-label %s\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		 "transform=\"rotate(-90 %d %d)\">",
		 s->cls, lx, ly, lx, ly);
	cs_web_tag(w, tag);
	cs_web_text(w, s->name);
	cs_web_tag(w, "</text></g>");
}

/* Series k of a grouped chart sits in its share of each slot; a lone bar
 * series is centred. */
static void marks(cs_web_w *w, const cs_web_chart *c, int k, double max)
{
	const cs_web_series *s = &c->series[k];
	double slot = (double)PLOT_W / (c->n ? c->n : 1);
	double bw = c->grouped ? slot * 0.8 / c->nseries : slot * 0.6;
	double shift = c->grouped ? -slot * 0.4 + bw * (k + 0.5) : 0;
	char tag[256];
	snprintf(tag, sizeof(tag), "<g class=\"%s\">", s->cls);
	cs_web_tag(w, tag);
	for (int i = 0; i < c->n; i++) {
		if (s->v[i] < 0)
			continue;
		double cx = LEFT + slot * (i + 0.5) + shift, y = y_of(s->v[i], max);
		if (s->kind == CS_WEB_BARS)
			snprintf(tag, sizeof(tag),
				 "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"%s/>",
				 cx - bw / 2, y, bw, TOP + PLOT_H - y,
				 c->marked && c->marked[i] ? " class=\"failed\"" : "");
		else
			snprintf(tag, sizeof(tag), "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/>", cx, y);
		cs_web_tag(w, tag);
	}
	cs_web_tag(w, "</g>");
}

static void failures(cs_web_w *w, const cs_web_chart *c)
{
	double slot = (double)PLOT_W / (c->n ? c->n : 1);
	char tag[200];
	if (!c->marked)
		return;
	cs_web_tag(w, "<g class=\"mark\">");
	for (int i = 0; c->marked && i < c->n; i++) {
		if (!c->marked[i])
			continue;
		double cx = LEFT + slot * (i + 0.5);
		snprintf(tag, sizeof(tag), "<path d=\"M%.1f %d l8 8 m0 -8 l-8 8\"/>", cx - 4, TOP - 12);
		cs_web_tag(w, tag);
	}
	cs_web_tag(w, "</g>");
}

/* The legend along the top: each series' swatch and name, then the mark. */
static void legend(cs_web_w *w, const cs_web_chart *c)
{
	char tag[200];
	int x = LEFT;
	for (int s = 0; s < c->nseries; s++, x += 150) {
		snprintf(tag, sizeof(tag),
			 "<rect class=\"%s\" x=\"%d\" y=\"4\" width=\"10\" height=\"10\"/>"
			 "<text x=\"%d\" y=\"13\">",
			 c->series[s].cls, x, x + 14);
		cs_web_tag(w, tag);
		cs_web_text(w, c->series[s].name);
		cs_web_tag(w, "</text>");
	}
	if (!c->mark_label)
		return;
	snprintf(tag, sizeof(tag),
		 "<path class=\"mark\" d=\"M%d 5 l8 8 m0 -8 l-8 8\"/><text x=\"%d\" y=\"13\">", x,
		 x + 14);
	cs_web_tag(w, tag);
	cs_web_text(w, c->mark_label);
	cs_web_tag(w, "</text>");
}

/* s cut to at most TICK_CHARS characters, never inside one (UTF-8). */
static void cut_label(const char *s, char *out, size_t n)
{
	size_t o = 0;
	int chars = 0;
	for (; *s && o + 4 < n; chars++) {
		if (chars == TICK_CHARS) {
			memcpy(out + o, "\xE2\x80\xA6", 3); /* an ellipsis */
			o += 3;
			break;
		}
		do
			out[o++] = *s++;
		while (*s && ((unsigned char)*s & 0xC0) == 0x80 && o + 1 < n);
	}
	out[o] = '\0';
}

/* The x axis' labels under their slots, slanted to fit long ones. */
static void ticks(cs_web_w *w, const cs_web_chart *c)
{
	double slot = (double)PLOT_W / (c->n ? c->n : 1);
	int every = c->tick_every > 1 ? c->tick_every : 1;
	char tag[200], label[4 * TICK_CHARS + 8];
	cs_web_tag(w, "<g class=\"axis ticks\">");
	for (int i = 0; i < c->n; i += every) {
		double x = LEFT + slot * (i + 0.5);
		int y = TOP + PLOT_H + 14;
		if (c->slant)
			snprintf(tag, sizeof(tag),
				 "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
				 "transform=\"rotate(-35 %.1f %d)\">",
				 x, y, x, y);
		else
			snprintf(tag, sizeof(tag), "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
				 x, y);
		cs_web_tag(w, tag);
		cut_label(c->ticks[i] ? c->ticks[i] : "", label, sizeof(label));
		cs_web_text(w, label);
		cs_web_tag(w, "</text>");
	}
	cs_web_tag(w, "</g>");
}

/* The largest value of every series, for a grouped chart's shared axis. */
static double shared_max(const cs_web_chart *c)
{
	double m = 0;
	for (int s = 0; s < c->nseries; s++) {
		double v = nice_max(c->series[s].v, c->n);
		m = v > m ? v : m;
	}
	return m;
}

void cs_web_svg_chart(cs_web_w *w, const cs_web_chart *c)
{
	char tag[400];
	int h = H + (c->ticks && c->slant ? SLANT_ROOM : 0);
	snprintf(tag, sizeof(tag),
		 "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		 "aria-labelledby=\"%s-t %s-d\">",
		 W, h, W, h, c->id, c->id);
	cs_web_tag(w, tag);
	snprintf(tag, sizeof(tag), "<title id=\"%s-t\">", c->id);
	cs_web_tag(w, tag);
	cs_web_text(w, c->title);
	snprintf(tag, sizeof(tag), "</title><desc id=\"%s-d\">", c->id);
	cs_web_tag(w, tag);
	cs_web_text(w, c->desc);
	cs_web_tag(w, "</desc>");
	snprintf(tag, sizeof(tag),
		 "<path class=\"frame\" d=\"M%d %d V%d H%d V%d\"/>", LEFT, TOP, TOP + PLOT_H,
		 LEFT + PLOT_W, TOP);
	cs_web_tag(w, tag);
	for (int s = 0; s < c->nseries; s++) {
		double max = c->grouped ? shared_max(c) : nice_max(c->series[s].v, c->n);
		cs_web_series shared = {c->y_label, CS_WEB_BARS, "shared", NULL};
		if (!c->grouped)
			axis(w, &c->series[s], s == 1, max);
		else if (s == 0)
			axis(w, c->y_label ? &shared : &c->series[0], 0, max);
		marks(w, c, s, max);
	}
	failures(w, c);
	legend(w, c);
	if (c->ticks)
		ticks(w, c);
	snprintf(tag, sizeof(tag), "<text class=\"axis-label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
		 LEFT + PLOT_W / 2, h - 10);
	cs_web_tag(w, tag);
	cs_web_text(w, c->x_label);
	cs_web_tag(w, "</text></svg>");
}
