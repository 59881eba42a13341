/* Parsing a PaginatedResponse.
 *
 * Every record must reach the store with its parsed object AND its exact
 * original bytes (raw_json), and re-printing each record with cJSON would
 * double the JSON cost (NOTES.md). cJSON exposes no source spans, so we walk
 * the envelope ourselves at the structural level only ('{', '"key"', ':',
 * ',', '}', '[', ']' and whitespace) and hand every key, envelope value and
 * element of "data" to cJSON_ParseWithLengthOpts, which parses one value and
 * returns where it ended. The bytes between a record's start and that end are
 * its span. Nothing inside a value is scanned twice, so the cost stays linear.
 *
 * Records point into the page's body and arena: nothing may keep one past
 * cs_classy_page_reset or _release, and this file must never make a
 * request or store a record.
 */
#include "classy/classy.h"

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct walker {
	const char *s;
	size_t len, pos;
	cs_err *err;
} walker;

/* Envelope integers we keep. */
static const struct {
	const char *name;
	size_t off;
	int is_long;
} envelope_ints[] = {
	{"current_page", offsetof(cs_classy_page, current_page), 0},
	{"last_page", offsetof(cs_classy_page, last_page), 0},
	{"per_page", offsetof(cs_classy_page, per_page), 0},
	{"total", offsetof(cs_classy_page, total), 1},
};

/* cJSON allocates through global hooks. While a thread parses a page, its
 * allocations come from that page's arena and frees are no-ops; the trees
 * are then dropped all at once by resetting the arena, never by cJSON_Delete.
 * Everywhere else (no arena set) the hooks are plain malloc and free. */
static _Thread_local cs_arena *parse_arena;

static void *hook_malloc(size_t n)
{
	return parse_arena ? cs_arena_alloc(parse_arena, n) : malloc(n);
}

static void hook_free(void *ptr)
{
	if (!parse_arena)
		free(ptr);
}

static void install_hooks(void)
{
	cJSON_Hooks hooks = {hook_malloc, hook_free};
	cJSON_InitHooks(&hooks);
}

void cs_classy_page_init(cs_classy_page *p)
{
	/* The first page is set up before any other thread exists. */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_hooks);
	memset(p, 0, sizeof(*p));
	cs_buf_init(&p->body, 0);
}

static void clear_records(cs_classy_page *p)
{
	cs_arena_reset(&p->arena);
	p->nrecords = 0;
	p->current_page = p->last_page = p->per_page = 0;
	p->total = 0;
}

void cs_classy_page_reset(cs_classy_page *p)
{
	clear_records(p);
	cs_buf_reset(&p->body);
}

void cs_classy_page_release(cs_classy_page *p)
{
	if (!p)
		return;
	clear_records(p);
	cs_arena_release(&p->arena);
	free(p->items);
	free(p->records);
	cs_buf_release(&p->body);
	cs_classy_page_init(p);
}

static int malformed(walker *w, size_t at, const char *what)
{
	if (at >= w->len)
		at = w->len;
	return cs_err_set(w->err, CS_EPROTO, "malformed JSON in the API response at byte %zu (%s)",
			  at, what);
}

static void skip_ws(walker *w)
{
	while (w->pos < w->len) {
		char c = w->s[w->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		w->pos++;
	}
}

/* Skips whitespace and returns the next byte without consuming it, or -1 at
 * the end of the body. */
static int peek(walker *w)
{
	skip_ws(w);
	return w->pos < w->len ? (unsigned char)w->s[w->pos] : -1;
}

static int expect(walker *w, char c, const char *what)
{
	int got = peek(w);
	if (got == -1)
		return malformed(w, w->pos, "the body ends early; the response was cut short");
	if (got != c)
		return malformed(w, w->pos, what);
	w->pos++;
	return 0;
}

/* Parses one JSON value at the current position; NULL (err set) on failure.
 * The failure says where we were: in record N of "data" when record > 0,
 * else what. It is only formatted on failure: this runs for every record. */
static cJSON *parse_one(walker *w, const char *what, size_t record)
{
	if (peek(w) == -1) {
		malformed(w, w->pos, "the body ends early; the response was cut short");
		return NULL;
	}
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(w->s + w->pos, w->len - w->pos, &end, 0);
	if (!v) {
		size_t at = end ? (size_t)(end - w->s) : w->pos;
		char msg[160];
		int n = record ? snprintf(msg, sizeof(msg), "in record %zu of \"data\"", record)
			       : snprintf(msg, sizeof(msg), "%s", what);
		if (at + 1 >= w->len && n > 0 && (size_t)n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - (size_t)n, "; the response was cut short");
		malformed(w, at, msg);
		return NULL;
	}
	w->pos = (size_t)(end - w->s);
	return v;
}

static int push_record(cs_classy_page *p, cJSON *rec, const char *raw, size_t raw_len)
{
	if (p->nrecords == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 128;
		cJSON **items = realloc(p->items, cap * sizeof(*items));
		if (!items)
			return -1;
		p->items = items;
		cs_record *records = realloc(p->records, cap * sizeof(*records));
		if (!records)
			return -1;
		p->records = records;
		p->cap = cap;
	}
	p->items[p->nrecords] = rec;
	p->records[p->nrecords] = (cs_record){rec, raw, raw_len};
	p->nrecords++;
	return 0;
}

static int check_record(walker *w, const cJSON *rec, size_t index, size_t start)
{
	if (!cJSON_IsObject(rec))
		return cs_err_set(w->err, CS_EPROTO,
				  "record %zu of \"data\" in the API response (byte %zu) is not an "
				  "object",
				  index + 1, start);
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "id")))
		return cs_err_set(w->err, CS_EPROTO,
				  "record %zu of \"data\" in the API response (byte %zu) has no "
				  "numeric \"id\"",
				  index + 1, start);
	return 0;
}

static int parse_data(cs_classy_page *p, walker *w)
{
	int rc = expect(w, '[', "\"data\" is not an array");
	if (rc)
		return rc;
	if (peek(w) == ']') {
		w->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(w);
		size_t start = w->pos;
		cJSON *rec = parse_one(w, NULL, p->nrecords + 1);
		if (!rec)
			return CS_EPROTO;
		rc = check_record(w, rec, p->nrecords, start);
		if (!rc && push_record(p, rec, w->s + start, w->pos - start) < 0)
			rc = cs_err_set(w->err, CS_ERR, "cannot hold the API response: out of memory");
		if (rc) {
			cJSON_Delete(rec);
			return rc;
		}
		int c = peek(w);
		if (c == ',') {
			w->pos++;
			continue;
		}
		if (c == ']') {
			w->pos++;
			return 0;
		}
		char what[64];
		snprintf(what, sizeof(what), "expected ',' or ']' after record %zu of \"data\"",
			 p->nrecords);
		return c == -1 ? expect(w, ']', what) : malformed(w, w->pos, what);
	}
}

static int parse_envelope_value(cs_classy_page *p, walker *w, const char *key)
{
	cJSON *v = parse_one(w, "in a field of the response envelope", 0);
	if (!v)
		return CS_EPROTO;
	for (size_t i = 0; i < sizeof(envelope_ints) / sizeof(envelope_ints[0]); i++) {
		if (strcmp(key, envelope_ints[i].name) != 0 || !cJSON_IsNumber(v))
			continue;
		char *field = (char *)p + envelope_ints[i].off;
		/* Saturated into [0, max]: converting an out-of-range double is
		 * undefined, and no page number or total is negative. Found by
		 * fuzzing. */
		double d = v->valuedouble, max = envelope_ints[i].is_long ? 9.2e18 : INT_MAX;
		d = d >= 0 ? (d < max ? d : max) : 0;
		if (envelope_ints[i].is_long)
			*(long *)field = (long)d;
		else
			*(int *)field = (int)d;
	}
	cJSON_Delete(v);
	return 0;
}

/* One "key": value member of the envelope. */
static int parse_member(cs_classy_page *p, walker *w, int *seen_data)
{
	size_t key_at = (skip_ws(w), w->pos);
	cJSON *key = parse_one(w, "expected a field name", 0);
	if (!key)
		return CS_EPROTO;
	int rc = 0;
	if (!cJSON_IsString(key)) {
		rc = malformed(w, key_at, "expected a field name");
		goto out;
	}
	rc = expect(w, ':', "expected ':' after a field name");
	if (rc)
		goto out;
	if (strcmp(key->valuestring, "data") == 0) {
		if ((*seen_data)++) {
			rc = malformed(w, key_at, "\"data\" appears twice");
			goto out;
		}
		rc = parse_data(p, w);
	} else {
		rc = parse_envelope_value(p, w, key->valuestring);
	}
out:
	cJSON_Delete(key);
	return rc;
}

static int parse_envelope(cs_classy_page *p, walker *w)
{
	int seen_data = 0;
	int rc = expect(w, '{', "the response is not a JSON object");
	if (rc)
		return rc;
	if (peek(w) == '}') {
		w->pos++;
	} else {
		for (;;) {
			rc = parse_member(p, w, &seen_data);
			if (rc)
				return rc;
			int c = peek(w);
			if (c == ',' || c == '}') {
				w->pos++;
				if (c == '}')
					break;
				continue;
			}
			return expect(w, '}', "expected ',' or '}' after a field");
		}
	}
	if (peek(w) != -1)
		return malformed(w, w->pos, "unexpected bytes after the end of the response");
	if (!seen_data)
		return cs_err_set(w->err, CS_EPROTO,
				  "the API response has no \"data\" array; expected a paginated "
				  "list");
	return 0;
}

int cs_classy_page_parse(cs_classy_page *p, cs_err *err)
{
	clear_records(p);
	walker w = {cs_buf_str(&p->body), p->body.len, 0, err};
	parse_arena = &p->arena;
	int rc = parse_envelope(p, &w);
	parse_arena = NULL;
	if (rc)
		clear_records(p);
	return rc;
}

long long cs_classy_record_id(const cs_record *r)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->json, "id");
	return cJSON_IsNumber(id) ? (long long)id->valuedouble : 0;
}
