#ifndef CS_CLASSY_H
#define CS_CLASSY_H
/* Classy API v2 client: OAuth2 client credentials, the organization and list
 * endpoints, filter encoding and page parsing. It returns records and never
 * stores them; the sync engine does that. */
#include "http/http.h"
#include "http/loop.h"
#include "model/entity.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#define CS_CLASSY_PER_PAGE 100
/* Classy's documented allowance per API application, requests per minute
 * (NOTES.md). The server's X-RateLimit-Limit replaces it as soon as one
 * answer arrives. */
#define CS_CLASSY_RATE_LIMIT 1800

typedef struct cs_classy_opts {
	const char *api_url;   /* e.g. https://api.classy.org/2.0 (no trailing /) */
	const char *token_url; /* e.g. https://api.classy.org/oauth2/auth */
	const char *client_id;
	const char *client_secret; /* copied into locked memory, wiped on free */
} cs_classy_opts;

typedef struct cs_classy cs_classy;

/* The client borrows http; it must outlive the client. */
cs_classy *cs_classy_new(const cs_classy_opts *opts, cs_http *http, cs_err *err);
void cs_classy_free(cs_classy *c);

/* Fetches a token now (used by `org add` to verify credentials). A rejected
 * secret fails with CS_EAUTH and says which client id was refused. */
int cs_classy_authenticate(cs_classy *c, cs_err *err);

/* GET /organizations/{id}. On success *name_out (malloc'd, may be NULL) gets
 * the organization name. 404/403 fail with CS_ENOTFOUND / CS_EAUTH. */
int cs_classy_get_org(cs_classy *c, long long org_id, char **name_out, cs_err *err);

typedef struct cs_classy_list_query {
	long long org_id;
	const cs_entity *entity;
	int page;             /* 1-based */
	int per_page;         /* 0 means CS_CLASSY_PER_PAGE */
	const char *sort;     /* e.g. "updated_at,id" or NULL */
	const char *filter;   /* unencoded, e.g. "updated_at>=2021-01-01T00:00:00+0000" */
	const char *fields;   /* sparse field set "id,updated_at,...", or NULL for all */
} cs_classy_list_query;

/* Builds the list URL. The filter is percent-encoded exactly once ('+' is
 * %2B, '>' is %3E). Pure function, unit-tested. */
int cs_classy_list_url(const char *api_url, const cs_classy_list_query *q, cs_buf *out);

typedef struct cs_classy_page {
	cs_buf body;          /* the response bytes; records point into it */
	cs_arena arena;       /* the records' cJSON trees live here */
	cJSON **items;        /* one parsed object per record */
	cs_record *records;   /* json + exact raw bytes of each record */
	size_t nrecords, cap;
	int current_page, last_page, per_page;
	long total;
} cs_classy_page;

void cs_classy_page_init(cs_classy_page *p);
void cs_classy_page_release(cs_classy_page *p); /* frees items; keeps nothing */
/* Drops the records and the body but keeps the allocations for the next
 * page, so paging does not reallocate 260 KB every time. */
void cs_classy_page_reset(cs_classy_page *p);
/* Parses a PaginatedResponse held in p->body: envelope fields plus each
 * element of "data" with its byte span and exact id. Malformed or truncated
 * JSON fails with CS_EPROTO and a message saying where; a well-formed record
 * without a valid id does not fail the page (see cs_classy_record_id).
 * Every top-level number of a record keeps its source text (util/json.h).
 * Pure, unit-tested. */
int cs_classy_page_parse(cs_classy_page *p, cs_err *err);
/* The exact Classy id of a parsed record, or 0 when the record is rejected
 * (r->why says why: no id, not a whole number, out of range, not positive,
 * not an object). A rejected record stays on the page so the caller can
 * report it and store the others; it must never be stored. */
long long cs_classy_record_id(const cs_record *r);

/* GET one page of a list endpoint (with token refresh on 401 and the HTTP
 * retry policy) and parse it into p (which is reset first). A 4xx fails with
 * CS_EHTTP and the API's own message. */
int cs_classy_list(cs_classy *c, const cs_classy_list_query *q, cs_classy_page *p, cs_err *err);

/* The same request through the HTTP event loop (list_async.c), so many
 * pages are in flight at once. cs_classy_list_start makes sure a token is
 * cached (fetching one blocks this thread), lends p's body buffer to
 * l->call and submits it; done runs on the loop's thread. After done, on
 * the owner's thread, cs_classy_list_end takes the answer back into p and
 * parses it as cs_classy_list does. It returns 1 when the token was
 * refused: start the same request again (a new token is fetched unless
 * another request already replaced it; a second refusal fails with
 * CS_EAUTH). Attempts are counted in the client's HTTP counters. */
typedef struct cs_classy_listing {
	cs_http_call *call;  /* the caller's request slot */
	int64_t token_stamp; /* which token the request carried */
	int refreshed;       /* a token was refused already: clear for a new query */
} cs_classy_listing;
int cs_classy_list_start(cs_classy *c, cs_http_loop *loop, const cs_classy_list_query *q,
			 cs_classy_listing *l, cs_classy_page *p, cs_http_call_fn done, void *ud,
			 cs_err *err);
int cs_classy_list_end(cs_classy *c, cs_classy_listing *l, cs_classy_page *p, cs_err *err);

/* The HTTP client the Classy client sends with (its budget, options). */
cs_http *cs_classy_http(const cs_classy *c);

/* Counters for run logs; requests include token calls. */
const cs_http_stats *cs_classy_stats(const cs_classy *c);
/* How many times the client asked the token endpoint for a token. */
long cs_classy_token_requests(const cs_classy *c);

/* Test hook: the monotonic clock (ms) that token expiry is judged by. NULL
 * restores the real one. */
void cs_classy_set_clock(cs_classy *c, int64_t (*mono_ms)(void));

#endif
