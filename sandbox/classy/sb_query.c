/* List query parameters (page, per_page, sort, fields, filter) and their
 * execution. The incremental-sync shapes, filter=updated_at>=X with
 * sort=updated_at[,id] and filter=id>N with sort=id, are answered by binary
 * search on an index; any other filter scans, any other sort sorts.
 *
 * Must never: accept what the real API refuses (a filter encoded twice, a
 * datetime with milliseconds or a space): clients must meet those errors
 * here first. */
#include "classy/sb_model.h"

#include "util/timeutil.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAGE 1000000000L

static int bad(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Strict integer in [min, max]: optional '-', digits only, no leading space. */
static int parse_long(const char *s, long min, long max, long *out)
{
	return isspace((unsigned char)*s) ? -1 : sb_parse_long(s, min, max, out);
}

static int parse_paging(sb_arg_fn arg, void *ctx, sb_query *q, char *msg, size_t len)
{
	const char *page = arg(ctx, "page"), *pp = arg(ctx, "per_page");
	q->page = 1;
	q->per_page = 20;
	if (page && parse_long(page, 1, MAX_PAGE, &q->page))
		return bad(msg, len, "invalid 'page' value '%.64s': use a positive integer", page);
	if (pp && parse_long(pp, 1, 100, &q->per_page))
		return bad(msg, len,
			   "invalid 'per_page' value '%.64s': the per page must be between 1 and 100",
			   pp);
	return 0;
}

/* Calls fn on each comma-separated item of s (empty items skipped). */
static int each_item(const char *s, int (*fn)(const char *, size_t, void *), void *ctx)
{
	while (*s) {
		const char *c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		if (n && fn(s, n, ctx))
			return -1;
		s += n + (c != NULL);
	}
	return 0;
}

typedef struct item_ctx {
	const sb_entity *e;
	sb_query *q;
	char *msg;
	size_t len;
} item_ctx;

static int sort_item(const char *s, size_t n, void *p)
{
	item_ctx *c = p;
	const char *colon = memchr(s, ':', n);
	size_t fl = colon ? (size_t)(colon - s) : n;
	int desc = 0;
	if (colon) {
		size_t dl = n - fl - 1;
		if (dl == 4 && !strncasecmp(colon + 1, "desc", 4))
			desc = 1;
		else if (!(dl == 3 && !strncasecmp(colon + 1, "asc", 3)))
			return bad(c->msg, c->len, "invalid sort direction in '%.*s': use asc or desc",
				   (int)n, s);
	}
	int f = sb_field_find(c->e, s, fl);
	if (f < 0)
		return bad(c->msg, c->len, "cannot sort %s by unknown field '%.*s'", c->e->name,
			   (int)fl, s);
	if (c->e->fields[f].type == SB_T_OBJ)
		return bad(c->msg, c->len, "cannot sort by '%.*s': it is not a scalar field",
			   (int)fl, s);
	if (c->q->nsort == SB_MAX_SORT)
		return bad(c->msg, c->len, "too many sort fields: at most %d", SB_MAX_SORT);
	c->q->sort[c->q->nsort].field = f;
	c->q->sort[c->q->nsort++].desc = desc;
	return 0;
}

static int fields_item(const char *s, size_t n, void *p)
{
	item_ctx *c = p;
	int f = sb_field_find(c->e, s, n);
	if (f < 0)
		return bad(c->msg, c->len, "unknown field '%.*s' in 'fields' for %s", (int)n, s,
			   c->e->name);
	c->q->mask[f / 64] |= 1ULL << (f % 64);
	c->q->has_mask = 1;
	return 0;
}

/* The API takes three datetime forms in filters and nothing else. */
static int check_time_form(const char *v, char *msg, size_t len)
{
	size_t n = strlen(v);
	if (strchr(v, ' '))
		return bad(msg, len,
			   "invalid datetime '%.64s' in filter: it contains a space; a '+' in the "
			   "offset must be sent encoded as %%2B",
			   v);
	if (strchr(v, '.'))
		return bad(msg, len,
			   "invalid datetime '%.64s' in filter: milliseconds are not accepted; use "
			   "YYYY-MM-DDTHH:MM:SS+0000, YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD",
			   v);
	int shape = n == 10 || (n == 20 && v[10] == 'T' && v[19] == 'Z') ||
		    (n == 24 && v[10] == 'T' && (v[19] == '+' || v[19] == '-'));
	int64_t ms;
	if (!shape || cs_time_parse(v, &ms, NULL))
		return bad(msg, len,
			   "invalid datetime '%.64s' in filter: use YYYY-MM-DDTHH:MM:SS+0000, "
			   "YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD",
			   v);
	return 0;
}

static int still_encoded(const char *v)
{
	for (const char *p = strchr(v, '%'); p; p = strchr(p + 1, '%'))
		if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]))
			return 1;
	return 0;
}

static int parse_value(const sb_field *f, const char *v, sb_query *q, char *msg, size_t len)
{
	long l;
	char *end;
	q->fval.kind = f->type;
	switch (f->type) {
	case SB_T_INT:
		if (parse_long(v, LONG_MIN, LONG_MAX, &l))
			return bad(msg, len, "filter value '%.64s' for '%s' is not an integer", v,
				   f->name);
		q->fval.i = l;
		break;
	case SB_T_NUM:
	case SB_T_NUMSTR:
		q->fnum = strtod(v, &end);
		if (!*v || *end)
			return bad(msg, len, "filter value '%.64s' for '%s' is not a number", v,
				   f->name);
		break;
	case SB_T_BOOL:
		if (!strcasecmp(v, "true") || !strcmp(v, "1"))
			q->fval.i = 1;
		else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
			q->fval.i = 0;
		else
			return bad(msg, len, "filter value '%.64s' for '%s' is not a boolean: use "
				   "true, false, 1 or 0", v, f->name);
		break;
	case SB_T_TIME:
	case SB_T_DATE: {
		int64_t ms;
		if (check_time_form(v, msg, len) || cs_time_parse(v, &ms, NULL))
			return -1;
		q->fval.i = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		break;
	}
	default:
		snprintf(q->fstr, sizeof(q->fstr), "%s", v);
		q->fval.s = q->fstr;
		q->fval.n = strlen(q->fstr);
	}
	return 0;
}

static int parse_filter(const sb_entity *e, const char *s, sb_query *q, char *msg, size_t len)
{
	static const char *const ops[] = {[SB_OP_LE] = "<=", [SB_OP_GE] = ">=", [SB_OP_NE] = "<>",
					  [SB_OP_EQ] = "=",  [SB_OP_LT] = "<",  [SB_OP_GT] = ">"};
	size_t at = strcspn(s, "<>=!");
	const char *p = s + at;
	q->op = -1;
	if (!strncmp(p, "!=", 2))
		q->op = SB_OP_NE;
	for (int i = 0; q->op < 0 && i < 6; i++)
		if (*p && !strncmp(p, ops[i], strlen(ops[i])))
			q->op = i;
	if (q->op < 0 || at == 0)
		return bad(msg, len,
			   "invalid filter '%.80s': use {field}{operator}{value} with one of "
			   "<= >= <> != = < > (encode the filter once)",
			   s);
	const char *v = p + (q->op == SB_OP_EQ || q->op == SB_OP_LT || q->op == SB_OP_GT ? 1 : 2);
	int f = sb_field_find(e, s, at);
	if (f < 0)
		return bad(msg, len, "cannot filter %s by unknown field '%.*s'", e->name, (int)at, s);
	if (e->fields[f].type == SB_T_OBJ)
		return bad(msg, len, "cannot filter by '%s': it is not a scalar field",
			   e->fields[f].name);
	if (still_encoded(v))
		return bad(msg, len,
			   "filter value '%.64s' is still percent-encoded after decoding: encode "
			   "the filter exactly once",
			   v);
	q->has_filter = 1;
	q->ffield = f;
	if (!strcasecmp(v, "null") && (q->op == SB_OP_EQ || q->op == SB_OP_NE)) {
		q->fnull = 1;
		return 0;
	}
	return parse_value(&e->fields[f], v, q, msg, len);
}

int sb_query_parse(const sb_entity *e, sb_arg_fn arg, void *ctx, sb_query *q, char *msg,
		   size_t msglen)
{
	memset(q, 0, sizeof(*q));
	item_ctx c = {e, q, msg, msglen};
	const char *sort = arg(ctx, "sort"), *fields = arg(ctx, "fields");
	const char *filter = arg(ctx, "filter");
	if (parse_paging(arg, ctx, q, msg, msglen))
		return -1;
	if (sort && each_item(sort, sort_item, &c))
		return -1;
	if (fields && each_item(fields, fields_item, &c))
		return -1;
	if (filter && parse_filter(e, filter, q, msg, msglen))
		return -1;
	return 0;
}

void sb_query_loosen(sb_query *q, int ignore_filter, int ignore_page)
{
	if (ignore_filter)
		q->has_filter = q->fnull = 0;
	if (ignore_page)
		q->page = 1;
}

/* ---- matching and ordering ---- */

static int cmp_val(const sb_val *a, const sb_val *b)
{
	if (a->kind == SB_V_NULL || b->kind == SB_V_NULL)
		return (a->kind != SB_V_NULL) - (b->kind != SB_V_NULL);
	if (a->kind == SB_T_STR) {
		size_t n = a->n < b->n ? a->n : b->n;
		int c = memcmp(a->s, b->s, n);
		return c ? c : (a->n > b->n) - (a->n < b->n);
	}
	return (a->i > b->i) - (a->i < b->i);
}

typedef struct run_ctx {
	uint64_t seed;
	int64_t org;
	const sb_entity *e;
	const sb_table *t;
	const sb_query *q;
} run_ctx;

static int matches(const run_ctx *c, const sb_rec *r)
{
	char scratch[256];
	sb_val v;
	const sb_query *q = c->q;
	sb_field_value(c->seed, c->org, c->e, q->ffield, r, &v, scratch);
	if (q->fnull)
		return (q->op == SB_OP_EQ) == (v.kind == SB_V_NULL);
	if (v.kind == SB_V_NULL)
		return 0;
	int cmp;
	if (v.kind == SB_T_NUM || v.kind == SB_T_NUMSTR) {
		double x = (double)v.i / 100.0;
		cmp = (x > q->fnum) - (x < q->fnum);
	} else {
		cmp = cmp_val(&v, &q->fval);
	}
	switch (q->op) {
	case SB_OP_LE: return cmp <= 0;
	case SB_OP_GE: return cmp >= 0;
	case SB_OP_LT: return cmp < 0;
	case SB_OP_GT: return cmp > 0;
	case SB_OP_EQ: return cmp == 0;
	default: return cmp != 0;
	}
}

static int cmp_recs(const void *a, const void *b, void *p)
{
	const run_ctx *c = p;
	const sb_rec *x = &c->t->recs[*(const uint32_t *)a], *y = &c->t->recs[*(const uint32_t *)b];
	char sx[256], sy[256];
	for (int i = 0; i < c->q->nsort; i++) {
		sb_val vx, vy;
		sb_field_value(c->seed, c->org, c->e, c->q->sort[i].field, x, &vx, sx);
		sb_field_value(c->seed, c->org, c->e, c->q->sort[i].field, y, &vy, sy);
		int r = cmp_val(&vx, &vy);
		if (r)
			return c->q->sort[i].desc ? -r : r;
	}
	/* Ties break by id, in the direction of the first key. */
	int r = (x->id > y->id) - (x->id < y->id);
	return c->q->nsort && c->q->sort[0].desc ? -r : r;
}

/* ---- indexed plans ---- */

enum { IX_ID = 0, IX_UPD, IX_NONE };

static int64_t ix_key(const sb_table *t, int ix, size_t pos)
{
	return ix == IX_ID ? t->recs[pos].id : t->recs[t->by_upd[pos]].updated;
}

static uint32_t ix_rec(const sb_table *t, int ix, size_t pos)
{
	return ix == IX_ID ? (uint32_t)pos : t->by_upd[pos];
}

/* First position whose key is >= v (or > v when strict). */
static size_t ix_bound(const sb_table *t, int ix, int64_t v, int strict)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t k = ix_key(t, ix, mid);
		if (k < v || (strict && k == v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int pick_index(const sb_entity *e, const sb_query *q, int *desc)
{
	*desc = q->nsort ? q->sort[0].desc : 0;
	if (q->nsort == 0 || (q->nsort == 1 && q->sort[0].field == e->f_id))
		return IX_ID;
	if (q->sort[0].field != e->f_updated)
		return IX_NONE;
	if (q->nsort == 1 ||
	    (q->nsort == 2 && q->sort[1].field == e->f_id && q->sort[1].desc == q->sort[0].desc))
		return IX_UPD;
	return IX_NONE;
}

/* Narrows [lo, hi) when the filter is on the index key; returns 1 then. */
static int ix_range(const sb_entity *e, const sb_table *t, const sb_query *q, int ix,
		    size_t *lo, size_t *hi)
{
	int key = ix == IX_ID ? e->f_id : e->f_updated;
	*lo = 0;
	*hi = t->n;
	if (!q->has_filter || q->ffield != key || q->fnull || q->op == SB_OP_NE)
		return !q->has_filter;
	int64_t v = q->fval.i;
	switch (q->op) {
	case SB_OP_GE: *lo = ix_bound(t, ix, v, 0); break;
	case SB_OP_GT: *lo = ix_bound(t, ix, v, 1); break;
	case SB_OP_LE: *hi = ix_bound(t, ix, v, 1); break;
	case SB_OP_LT: *hi = ix_bound(t, ix, v, 0); break;
	case SB_OP_EQ:
		*lo = ix_bound(t, ix, v, 0);
		*hi = ix_bound(t, ix, v, 1);
		break;
	}
	return 1;
}

static void run_index(const run_ctx *c, int ix, int desc, uint32_t *idx, size_t *nidx,
		      size_t *total)
{
	const sb_query *q = c->q;
	size_t lo, hi, off = (size_t)(q->page - 1) * (size_t)q->per_page;
	int exact = ix_range(c->e, c->t, q, ix, &lo, &hi);
	*nidx = *total = 0;
	if (exact) {
		*total = hi > lo ? hi - lo : 0;
		for (size_t k = off; k < *total && *nidx < (size_t)q->per_page; k++)
			idx[(*nidx)++] = ix_rec(c->t, ix, desc ? hi - 1 - k : lo + k);
		return;
	}
	for (size_t k = 0; k < c->t->n; k++) {
		uint32_t ri = ix_rec(c->t, ix, desc ? c->t->n - 1 - k : k);
		if (!matches(c, &c->t->recs[ri]))
			continue;
		if (*total >= off && *nidx < (size_t)q->per_page)
			idx[(*nidx)++] = ri;
		(*total)++;
	}
}

static int run_sorted(const run_ctx *c, uint32_t *idx, size_t *nidx, size_t *total)
{
	const sb_query *q = c->q;
	size_t n = 0, off = (size_t)(q->page - 1) * (size_t)q->per_page;
	uint32_t *all = malloc((c->t->n + 1) * sizeof(*all));
	if (!all)
		return -1;
	for (size_t i = 0; i < c->t->n; i++)
		if (!q->has_filter || matches(c, &c->t->recs[i]))
			all[n++] = (uint32_t)i;
	qsort_r(all, n, sizeof(*all), cmp_recs, (void *)c);
	*total = n;
	*nidx = 0;
	for (size_t k = off; k < n && *nidx < (size_t)q->per_page; k++)
		idx[(*nidx)++] = all[k];
	free(all);
	return 0;
}

int sb_query_run(uint64_t seed, int64_t org, const sb_entity *e, const sb_table *t,
		 const sb_query *q, uint32_t *idx, size_t *nidx, size_t *total)
{
	run_ctx c = {seed, org, e, t, q};
	int desc, ix = pick_index(e, q, &desc);
	if (ix == IX_NONE)
		return run_sorted(&c, idx, nidx, total);
	run_index(&c, ix, desc, idx, nidx, total);
	return 0;
}
