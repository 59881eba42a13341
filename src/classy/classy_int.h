#ifndef CS_CLASSY_INT_H
#define CS_CLASSY_INT_H
/* Internals shared by the Classy client's files; not a public interface. */
#include "classy/classy.h"

#include <stdint.h>

struct cs_classy {
	cs_http *http; /* borrowed */
	char *api_url, *token_url, *client_id;
	char *secret;          /* sodium_malloc'd, wiped by sodium_free */
	int secret_registered; /* with util/redact.h, until cs_classy_free */
	char *token;           /* sodium_malloc'd, registered for redaction; NULL when none */
	int64_t token_expires; /* monotonic ms */
	int64_t token_ttl_ms;
	long token_requests;
	cs_http_stats stats; /* snapshot for cs_classy_stats */
	int64_t (*mono_ms)(void);
};

/* ---- token.c ---- */

/* Makes sure a token is cached and not about to expire. */
int cs_classy_token_ensure(cs_classy *c, cs_err *err);
/* Forgets the cached token, so the next request fetches a new one. */
void cs_classy_token_drop(cs_classy *c);

/* ---- classy.c, for list_async.c ---- */

/* A non-2xx answer as CS_EHTTP with the API's own message. */
int cs_classy_http_error(const char *url, long status, const cs_buf *body, cs_err *err);
/* Parses a list answer held in p->body, naming url (and a content type
 * that is not JSON) when it fails. */
int cs_classy_parse_list(cs_classy_page *p, const char *url, const char *content_type,
			 cs_err *err);
/* A 401 even with a fresh token: CS_EAUTH naming the client id. */
int cs_classy_refused(const cs_classy *c, const char *url, cs_err *err);
/* The Authorization header for the cached token, in sodium memory; NULL
 * when out of secure memory. Free with sodium_free. */
char *cs_classy_auth_header(const cs_classy *c);

/* ---- message.c: below both token.c and classy.c ---- */

/* After cs_http_do failed with rc, appends what the user can do about it:
 * check the variable holding the URL (url_var) when the host could not be
 * reached, wait when the application's allowance ran out. */
void cs_classy_hint(const cs_classy *c, int rc, const cs_http_resp *resp, const char *url_var,
		    cs_err *err);

/* The API's own words from an error body: "message", "error" (a string, or an
 * object with "message" or a field → messages map), "error_description",
 * "errors"[0], else the first 200 bytes. Control characters become spaces. */
void cs_classy_api_message(const cs_buf *body, char *out, size_t n);

#endif
