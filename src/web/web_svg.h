#ifndef CS_WEB_SVG_H
#define CS_WEB_SVG_H
/* Inline SVG charts, built from a table of series: each series is drawn
 * the way its kind says (bars or dots) on its own y axis (the first on the
 * left, the second on the right), over points 0..n-1 on the x axis. Points
 * flagged in `marked` (failed runs) get a cross above them and the mark's
 * legend entry. The chart carries a <title> and a <desc> (what a screen
 * reader says), axis labels and tick values; the caller puts the numbers in
 * a table beside it. All text goes through cs_web_text. */
#include "web/web_html.h"

enum cs_web_series_kind { CS_WEB_BARS, CS_WEB_DOTS };

typedef struct cs_web_series {
	const char *name;  /* legend and axis label: "records", "duration (s)" */
	int kind;          /* enum cs_web_series_kind */
	const char *cls;   /* CSS class of its marks: "s-records" */
	const double *v;   /* n values, >= 0; < 0: none at that point */
} cs_web_series;

#define CS_WEB_CHART_SERIES 2

typedef struct cs_web_chart {
	const char *id;      /* unique in the page: the title's and desc's ids */
	const char *title;   /* "supporters: the last 30 runs" */
	const char *desc;    /* one sentence for screen readers */
	const char *x_label; /* "runs, oldest to newest" */
	const char *mark_label; /* legend of a marked point: "failed run"; NULL: none */
	int n;
	const unsigned char *marked; /* n flags, or NULL */
	cs_web_series series[CS_WEB_CHART_SERIES];
	int nseries;
	/* n labels under the x axis (months, segments), or NULL; every
	 * tick_every-th is written (0 or 1: all), slanted when slant is set */
	const char *const *ticks;
	int tick_every, slant;
	/* both series are bars side by side on one shared left axis (amounts
	 * of one kind: raised and goal), instead of one axis each */
	int grouped;
	const char *y_label; /* a grouped chart's axis label: "amount" */
} cs_web_chart;

void cs_web_svg_chart(cs_web_w *w, const cs_web_chart *c);

#endif
