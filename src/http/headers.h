/* Header lines of a request, for http.c: checked, built, wiped. */
#ifndef CS_HTTP_HEADERS_H
#define CS_HTTP_HEADERS_H

#include "http/http.h"

#include <curl/curl.h>

/* The first header line holding a control character (CR LF above all), or
 * NULL: such a line must never go out. */
const char *cs_http_bad_header(const cs_http_req *req);
/* 0, or CS_EPROTO naming (never showing: it may be a secret) the first
 * header whose value holds a control character. Every path that sends a
 * request (http.c, loop.c) asks this first. */
int cs_http_headers_check(const cs_http_req *req, cs_err *err);
/* The request's header lines plus "Expect:" for a body; *oom on failure. */
struct curl_slist *cs_http_headers_build(const cs_http_req *req, int *oom);
/* Wipes each line (it may hold a bearer token), then frees the list. */
void cs_http_headers_free(struct curl_slist *list);

#endif
