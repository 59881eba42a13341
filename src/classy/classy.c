/* The Classy API client: authenticated GETs with one token refresh on 401,
 * the organization lookup and one page of a list endpoint. It returns
 * records and never stores them (the sync engine does), and must never put
 * the token or the secret into a URL, a log line or a message. */
#include "classy/classy_int.h"

#include "util/log.h"
#include "util/redact.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_trimmed(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return strndup(s, n);
}

static int check_opts(const cs_classy_opts *o, cs_err *err)
{
	const struct {
		const char *value, *what;
	} required[] = {
		{o->api_url, "the API URL (CLASSY_API_URL)"},
		{o->token_url, "the token URL (CLASSY_TOKEN_URL)"},
		{o->client_id, "the client id"},
		{o->client_secret, "the client secret"},
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!required[i].value || !required[i].value[0])
			return cs_err_set(err, CS_EUSAGE,
					  "cannot create the Classy client: %s is empty; set it",
					  required[i].what);
	return 0;
}

cs_classy *cs_classy_new(const cs_classy_opts *opts, cs_http *http, cs_err *err)
{
	if (check_opts(opts, err))
		return NULL;
	if (sodium_init() < 0) {
		cs_err_set(err, CS_ERR, "cannot initialise libsodium: no usable randomness");
		return NULL;
	}
	cs_classy *c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->http = http;
	c->mono_ms = cs_time_mono_ms;
	c->api_url = dup_trimmed(opts->api_url);
	c->token_url = strdup(opts->token_url);
	c->client_id = strdup(opts->client_id);
	size_t n = strlen(opts->client_secret) + 1;
	c->secret = sodium_malloc(n);
	if (!c->api_url || !c->token_url || !c->client_id || !c->secret)
		goto oom;
	memcpy(c->secret, opts->client_secret, n);
	/* from now on no message can carry it (util/redact.h) */
	if (cs_redact_add(c->secret))
		goto oom;
	c->secret_registered = 1;
	/* Orgs that share an API application share its allowance. */
	if (!cs_http_get_budget(http))
		cs_http_set_budget(http, cs_http_budget_get(c->client_id, CS_CLASSY_RATE_LIMIT));
	return c;
oom:
	cs_classy_free(c);
	cs_err_set(err, CS_ERR, "cannot create the Classy client: out of memory");
	return NULL;
}

void cs_classy_free(cs_classy *c)
{
	if (!c)
		return;
	cs_classy_token_drop(c);
	if (c->secret_registered)
		cs_redact_remove(c->secret);
	sodium_free(c->secret);
	free(c->api_url);
	free(c->token_url);
	free(c->client_id);
	free(c);
}

void cs_classy_set_clock(cs_classy *c, int64_t (*mono_ms)(void))
{
	c->mono_ms = mono_ms ? mono_ms : cs_time_mono_ms;
}

cs_http *cs_classy_http(const cs_classy *c)
{
	return c->http;
}

long cs_classy_token_requests(const cs_classy *c)
{
	return c->token_requests;
}

const cs_http_stats *cs_classy_stats(const cs_classy *c)
{
	cs_classy *m = (cs_classy *)c;
	/* Token calls go through the same HTTP client, so they are counted. */
	m->stats = *cs_http_get_stats(c->http);
	return &m->stats;
}

int cs_classy_http_error(const char *url, long status, const cs_buf *body, cs_err *err)
{
	char msg[512];
	cs_classy_api_message(body, msg, sizeof(msg));
	cs_err_set(err, CS_EHTTP, "GET %s: %ld: %s", url, status,
		   msg[0] ? msg : "the API gave no message");
	if (err)
		err->http_status = status;
	return CS_EHTTP;
}

/* ---- authenticated GET -------------------------------------------------- */

char *cs_classy_auth_header(const cs_classy *c)
{
	size_t n = strlen(c->token) + sizeof("Authorization: Bearer ");
	char *auth = sodium_malloc(n);
	if (auth)
		snprintf(auth, n, "Authorization: Bearer %s", c->token);
	return auth;
}

static int get_once(cs_classy *c, const char *url, cs_http_resp *resp, cs_err *err)
{
	char *auth = cs_classy_auth_header(c);
	if (!auth)
		return cs_err_set(err, CS_ERR, "GET %s: out of secure memory", url);
	const char *headers[] = {auth, "Accept: application/json", NULL};
	cs_http_req req = {"GET", url, headers, NULL, 0, 0, NULL};
	int rc = cs_http_do(c->http, &req, resp, err);
	sodium_free(auth);
	cs_classy_hint(c, rc, resp, "CLASSY_API_URL", err);
	return rc;
}

int cs_classy_refused(const cs_classy *c, const char *url, cs_err *err)
{
	cs_err_set(err, CS_EAUTH,
		   "GET %s: 401 even with a fresh token; client id '%s' is not allowed here: "
		   "check the API application's access",
		   url, c->client_id);
	if (err)
		err->http_status = 401;
	return CS_EAUTH;
}

/* GET with the cached token; on a 401 the token is refreshed once and the
 * request replayed, because a token can expire or be revoked mid-run. */
static int api_get(cs_classy *c, const char *url, cs_http_resp *resp, cs_err *err)
{
	for (int refreshed = 0;; refreshed = 1) {
		int rc = cs_classy_token_ensure(c, err);
		if (rc)
			return rc;
		rc = get_once(c, url, resp, err);
		if (rc || resp->status != 401)
			return rc;
		if (refreshed)
			return cs_classy_refused(c, url, err);
		cs_info("GET %s: 401, refreshing the access token and trying again", url);
		cs_classy_token_drop(c);
	}
}

/* ---- endpoints ---------------------------------------------------------- */

static int org_answer(long long org_id, const char *url, const cs_http_resp *resp,
		      char **name_out, cs_err *err)
{
	if (resp->status == 404)
		return cs_err_set(err, CS_ENOTFOUND,
				  "organization %lld was not found (or this API application cannot "
				  "see it)",
				  org_id);
	if (resp->status == 403) {
		char msg[256];
		cs_classy_api_message(&resp->body, msg, sizeof(msg));
		cs_err_set(err, CS_EAUTH,
			   "organization %lld refused this API application (403: %s): ask the "
			   "organization to grant it access",
			   org_id, msg);
		if (err)
			err->http_status = 403;
		return CS_EAUTH;
	}
	if (resp->status != 200)
		return cs_classy_http_error(url, resp->status, &resp->body, err);
	cJSON *j = cJSON_ParseWithLength(cs_buf_str(&resp->body), resp->body.len);
	int rc = 0;
	if (!cJSON_IsObject(j))
		rc = cs_err_set(err, CS_EPROTO, "GET %s: the answer is not a JSON object", url);
	else if (name_out) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
		*name_out = cJSON_IsString(name) && name->valuestring[0] ? strdup(name->valuestring)
									 : NULL;
	}
	cJSON_Delete(j);
	return rc;
}

int cs_classy_get_org(cs_classy *c, long long org_id, char **name_out, cs_err *err)
{
	if (name_out)
		*name_out = NULL;
	if (org_id <= 0)
		return cs_err_set(err, CS_EUSAGE, "organization id %lld is not valid: use a positive "
				  "number", org_id);
	cs_buf url = CS_BUF_INIT;
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	int rc = cs_buf_printf(&url, "%s/organizations/%lld", c->api_url, org_id);
	if (rc < 0) {
		rc = cs_err_set(err, CS_ERR, "cannot build the organization URL: out of memory");
		goto out;
	}
	rc = api_get(c, url.data, &resp, err);
	if (!rc)
		rc = org_answer(org_id, url.data, &resp, name_out, err);
out:
	cs_http_resp_release(&resp);
	cs_buf_release(&url);
	return rc;
}

int cs_classy_parse_list(cs_classy_page *p, const char *url, const char *content_type,
			 cs_err *err)
{
	int rc = cs_classy_page_parse(p, err);
	if (rc == CS_EPROTO && content_type[0] && !strstr(content_type, "json"))
		cs_err_wrap(err, "GET %s (content type '%s', not JSON)", url, content_type);
	else if (rc)
		cs_err_wrap(err, "GET %s", url);
	return rc;
}

int cs_classy_list(cs_classy *c, const cs_classy_list_query *q, cs_classy_page *p, cs_err *err)
{
	cs_buf url = CS_BUF_INIT;
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	int rc = cs_classy_list_url(c->api_url, q, &url);
	if (rc) {
		rc = cs_err_set(err, rc == CS_EUSAGE ? CS_EUSAGE : CS_ERR,
				"cannot build the list URL for '%s': %s",
				q && q->entity ? q->entity->name : "?",
				rc == CS_EUSAGE ? "bad organization id, page or per_page"
						: "out of memory");
		goto out;
	}
	/* The page's buffer receives the body directly, so records can point
	 * into it and its capacity is reused from page to page. */
	cs_classy_page_reset(p);
	resp.body = p->body;
	cs_buf_init(&p->body, 0);
	rc = api_get(c, url.data, &resp, err);
	p->body = resp.body;
	cs_buf_init(&resp.body, 0);
	if (rc)
		goto out;
	if (resp.status < 200 || resp.status > 299)
		rc = cs_classy_http_error(url.data, resp.status, &p->body, err);
	else
		rc = cs_classy_parse_list(p, url.data, resp.content_type, err);
out:
	cs_http_resp_release(&resp);
	cs_buf_release(&url);
	return rc;
}
