/* The request's header lines as libcurl takes them. Header values may hold
 * a bearer token built from network data: a line with a control character
 * must never be sent, and every copy is wiped before it is freed. */
#include "http/headers.h"

#include <sodium.h>
#include <string.h>

/* A header line holding a control character (CR LF above all) would end
 * the line and start another that whoever chose the value wrote: values
 * built from network data (a bearer token) must never go out like that.
 * Returns the first bad line, or NULL. */
const char *cs_http_bad_header(const cs_http_req *req)
{
	for (const char *const *p = req->headers; p && *p; p++)
		for (const unsigned char *c = (const unsigned char *)*p; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				return *p;
	return NULL;
}

int cs_http_headers_check(const cs_http_req *req, cs_err *err)
{
	const char *bad = cs_http_bad_header(req);
	if (!bad)
		return 0;
	/* the name only: the value may be a secret */
	return cs_err_set(err, CS_EPROTO,
			  "%s %s: refusing to send header '%.*s': its value holds a control "
			  "character (CR, LF or another below 0x20)",
			  req->method, req->url, (int)strcspn(bad, ":"), bad);
}

struct curl_slist *cs_http_headers_build(const cs_http_req *req, int *oom)
{
	struct curl_slist *list = NULL;
	*oom = 0;
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *next = curl_slist_append(list, *p);
		if (!next) {
			*oom = 1;
			break;
		}
		list = next;
	}
	/* A small POST must not wait for a 100 Continue that never comes. */
	if (!*oom && req->body) {
		struct curl_slist *next = curl_slist_append(list, "Expect:");
		if (next)
			list = next;
		else
			*oom = 1;
	}
	return list;
}

/* Header values may carry a bearer token: wipe the copies before freeing. */
void cs_http_headers_free(struct curl_slist *list)
{
	for (struct curl_slist *p = list; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(list);
}
