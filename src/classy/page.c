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
 * A record object is walked the same way, one level down: each member's key
 * and value are parsed by cJSON and linked into the record's object in
 * source order. That is what gives every top-level number its exact source
 * text, kept in the number node's valuestring (util/json.h): cJSON holds
 * numbers only as doubles, and an id above 2^53 read through a double can
 * become another record's id (issue 11, finding 7). The record's id is read
 * from those digits; a record whose id is not a whole number from 1 to
 * 2^63-1 is kept on the page but marked rejected (cs_record.why), so the
 * engine can report it and store the rest of the page.
 *
 * Records point into the page's body and arena: nothing may keep one past
 * cs_classy_page_reset or _release, and this file must never make a
 * request or store a record.
 */
#include "classy/classy.h"
#include "util/json.h"

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

/* Parses one JSON value at the current position, which must not be the
 * end or whitespace; NULL (err set) on failure. The failure says where we
 * were: in record N of "data" when record > 0, else what. It is only
 * formatted on failure: this runs for every key and value of every record. */
static cJSON *parse_here(walker *w, const char *what, size_t record)
{
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

/* parse_here after skipping whitespace; the end of the body is an error. */
static cJSON *parse_one(walker *w, const char *what, size_t record)
{
	if (peek(w) == -1) {
		malformed(w, w->pos, "the body ends early; the response was cut short");
		return NULL;
	}
	return parse_here(w, what, record);
}

/* Why a record cannot be stored, or NULL; sets r->id when it can. */
static const char *judge_record(cs_record *r)
{
	if (!cJSON_IsObject(r->json))
		return "it is not a JSON object";
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->json, "id");
	long long v;
	if (!id)
		return "it has no \"id\"";
	int rc = cs_json_exact_int(id, &v);
	if (rc == CS_JSON_RANGE)
		return "its \"id\" is out of range (above 9223372036854775807)";
	if (rc)
		return "its \"id\" is not a whole number";
	if (v <= 0)
		return "its \"id\" is not positive";
	r->id = v;
	return NULL;
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
	cs_record *r = &p->records[p->nrecords];
	*r = (cs_record){rec, raw, raw_len, 0, NULL};
	r->why = judge_record(r);
	p->items[p->nrecords] = rec;
	p->nrecords++;
	return 0;
}

/* Does this top-level member need its source text? The id always (it is
 * read only from its digits), and any number a double may not hold
 * exactly: from 2^53 / 10^4 up, an amount's ten-thousandths or an
 * integer's last digits can be lost. Below that a double holds every
 * integer and every amount of four decimals exactly. */
#define DOUBLE_EXACT_BELOW 900719925474.0992

static int needs_text(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || v->valuestring)
		return 0;
	if (!strcmp(v->string, "id"))
		return 1;
	return !(v->valuedouble > -DOUBLE_EXACT_BELOW && v->valuedouble < DOUBLE_EXACT_BELOW);
}

static int out_of_memory(walker *w)
{
	return cs_err_set(w->err, CS_ERR, "cannot hold the API response: out of memory");
}

/* Keeps a number's source text in its valuestring (json.h). */
static int keep_number_text(cJSON *v, const char *text, size_t len)
{
	char *copy = cJSON_malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	v->valuestring = copy;
	return 0;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where the value of member `name` starts in a record's bytes, without
 * walking the record. In valid JSON the bytes "name" (a quote, the name, a
 * quote) followed by optional whitespace and ':' are a member name at some
 * depth, provided the first quote is not escaped (an even number of
 * backslashes before it): inside a string every quote is escaped, and the
 * closing one cannot be, since the byte before it is the name's last
 * letter, not a backslash. The parsed record has a top-level `name`, so
 * when there is exactly one such place it is that member. Returns 1 and
 * *at, or 0 when there are none (the name was written with escapes) or
 * several (nested objects use it too): the caller then walks. */
static int find_member(const char *s, size_t len, const char *name, size_t *at)
{
	char pat[40];
	size_t n = strlen(name);
	if (n + 2 > sizeof(pat))
		return 0;
	pat[0] = '"';
	memcpy(pat + 1, name, n);
	pat[n + 1] = '"';
	n += 2;
	int found = 0;
	for (const char *p = s, *end = s + len; (p = memmem(p, (size_t)(end - p), pat, n)); p++) {
		size_t bs = 0;
		while (p - bs > s && p[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		const char *q = p + n;
		while (q < end && is_ws(*q))
			q++;
		if (bs % 2 || q == end || *q != ':')
			continue;
		if (found++)
			return 0;
		for (q++; q < end && is_ws(*q);)
			q++;
		*at = (size_t)(q - s);
	}
	return found == 1;
}

/* Fallback for keep_texts: walks the record's members from the start, in
 * step with the parsed children (cJSON keeps members in source order),
 * each key and value parsed by cJSON for its end, as far as the last
 * number that needs its text. */
static int walk_texts(walker *w, cJSON *rec, size_t start, size_t end, size_t left)
{
	walker m = {w->s, end, start + 1, w->err}; /* just past the '{' */
	for (cJSON *c = rec->child; c && left; c = c->next) {
		if (!parse_one(&m, "in a record of \"data\"", 0) ||
		    expect(&m, ':', "expected ':' in a record of \"data\""))
			return CS_EPROTO;
		size_t at = (skip_ws(&m), m.pos);
		if (!parse_one(&m, "in a record of \"data\"", 0))
			return CS_EPROTO;
		if (needs_text(c)) {
			if (keep_number_text(c, m.s + at, m.pos - at))
				return out_of_memory(w);
			left--;
		}
		if (peek(&m) == ',')
			m.pos++;
	}
	return 0;
}

/* Gives each top-level number that needs it (needs_text) its source text.
 * The record was parsed whole, in one cJSON call; a number's text is found
 * by its member name (find_member: one pass of memmem over the record,
 * then cJSON parses the value for its end), or, when the name is not
 * unique, by walking the members. Usually only the id needs it. */
static int keep_texts(walker *w, cJSON *rec, size_t start, size_t end)
{
	size_t left = 0;
	for (const cJSON *c = rec->child; c; c = c->next)
		left += (size_t)needs_text(c);
	for (cJSON *c = rec->child; c && left; c = c->next) {
		size_t at;
		if (!needs_text(c))
			continue;
		if (!find_member(w->s + start, end - start, c->string, &at))
			return walk_texts(w, rec, start, end, left);
		walker m = {w->s, end, start + at, w->err};
		const cJSON *v = parse_here(&m, "in a record of \"data\"", 0);
		if (!v)
			return CS_EPROTO;
		/* the value found is the one cJSON parsed for this member */
		if (!cJSON_IsNumber(v) || v->valuedouble != c->valuedouble)
			return walk_texts(w, rec, start, end, left);
		if (keep_number_text(c, m.s + start + at, m.pos - start - at))
			return out_of_memory(w);
		left--;
	}
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
		if (cJSON_IsObject(rec) && (rc = keep_texts(w, rec, start, w->pos)))
			return rc;
		if (push_record(p, rec, w->s + start, w->pos - start) < 0)
			return cs_err_set(w->err, CS_ERR, "cannot hold the API response: out of memory");
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
	return r->why ? 0 : r->id;
}
