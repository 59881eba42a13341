/* One page of a list endpoint through the HTTP event loop: the same URL,
 * token, 401 refresh, status judgement and parsing as cs_classy_list, cut
 * in two so many pages can be in flight at once. The start runs on the
 * owner's thread (it may fetch a token), the loop sends and retries, and
 * the end runs on the owner's thread again. It must never parse on the
 * loop's thread, never put the token anywhere but the Authorization header
 * (the header is built in secure memory and the loop wipes its copy), and
 * never store a record. */
#include "classy/classy_int.h"

#include "util/log.h"

#include <sodium.h>
#include <string.h>

int cs_classy_list_start(cs_classy *c, cs_http_loop *loop, const cs_classy_list_query *q,
			 cs_classy_listing *l, cs_classy_page *p, cs_http_call_fn done, void *ud,
			 cs_err *err)
{
	int rc = cs_classy_token_ensure(c, err);
	if (rc)
		return rc;
	cs_buf url = CS_BUF_INIT;
	if ((rc = cs_classy_list_url(c->api_url, q, &url))) {
		cs_buf_release(&url);
		return cs_err_set(err, rc == CS_EUSAGE ? CS_EUSAGE : CS_ERR,
				  "cannot build the list URL for '%s': %s",
				  q && q->entity ? q->entity->name : "?",
				  rc == CS_EUSAGE ? "bad organization id, page or per_page"
						  : "out of memory");
	}
	char *auth = cs_classy_auth_header(c);
	if (!auth) {
		rc = cs_err_set(err, CS_ERR, "GET %s: out of secure memory", url.data);
		cs_buf_release(&url);
		return rc;
	}
	const char *headers[] = {auth, "Accept: application/json", NULL};
	cs_http_req req = {"GET", url.data, headers, NULL, 0, 0, NULL};
	/* the client's options, its waits told which entity they hold up */
	cs_http_opts o = *cs_http_get_opts(c->http);
	o.label = q->entity ? q->entity->name : NULL;
	/* The page's buffer receives the body, so records can point into it
	 * and its capacity is reused from page to page. */
	cs_classy_page_reset(p);
	cs_http_resp *r = cs_http_call_resp(l->call);
	cs_buf_release(&r->body);
	r->body = p->body;
	cs_buf_init(&p->body, 0);
	l->token_stamp = c->token_expires;
	rc = cs_http_loop_submit(loop, l->call, &req, &o, done, ud, err);
	if (rc) {
		p->body = r->body;
		cs_buf_init(&r->body, 0);
	}
	sodium_free(auth);
	cs_buf_release(&url);
	return rc;
}

int cs_classy_list_end(cs_classy *c, cs_classy_listing *l, cs_classy_page *p, cs_err *err)
{
	cs_http_resp *r = cs_http_call_resp(l->call);
	cs_http_count(c->http, cs_http_call_stats(l->call));
	cs_buf_release(&p->body);
	p->body = r->body;
	cs_buf_init(&r->body, 0);
	const char *url = cs_http_call_url(l->call);
	int rc = cs_http_call_result(l->call, err);
	if (rc) {
		cs_classy_hint(c, rc, r, "CLASSY_API_URL", err);
		return rc;
	}
	if (r->status == 401) {
		if (l->refreshed)
			return cs_classy_refused(c, url, err);
		l->refreshed = 1;
		/* Other pages in flight carried the same token: only the first
		 * refusal drops it, the rest use the one that replaced it. */
		if (c->token && c->token_expires == l->token_stamp) {
			cs_info("GET %s: 401, refreshing the access token and trying again", url);
			cs_classy_token_drop(c);
		}
		return 1;
	}
	if (r->status < 200 || r->status > 299)
		return cs_classy_http_error(url, r->status, &p->body, err);
	return cs_classy_parse_list(p, url, r->content_type, err);
}
