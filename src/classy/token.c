/* OAuth2 client credentials. The token is cached and fetched again shortly
 * before it expires, because a full sync can outlive it. The secret and the
 * token only ever live in sodium_malloc'd memory or in a buffer we wipe, and
 * are registered for redaction (util/redact.h) while held: this file must
 * never copy them into memory that is freed without wiping, nor into a
 * message, and never accept a token that could not travel in a header. */
#include "classy/classy_int.h"

#include "util/log.h"
#include "util/redact.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_TTL_S 3600 /* what Classy answers; used when expires_in is absent */
/* A longer expires_in is capped to a day (a server's huge number is taken
 * as "long-lived", never multiplied out of range): the token is then only
 * refreshed daily, and a 401 refreshes it earlier anyway. */
#define MAX_TTL_S 86400
#define REFRESH_MARGIN_MS 60000

static const char form_head[] = "grant_type=client_credentials&client_id=";
static const char form_secret[] = "&client_secret=";

/* Builds the urlencoded form. The buffer is sized once up front so that no
 * realloc leaves a copy of the secret behind in freed memory. */
static int build_form(const cs_classy *c, cs_buf *b)
{
	size_t need = sizeof(form_head) + sizeof(form_secret) + 3 * strlen(c->client_id) +
		      3 * strlen(c->secret);
	if (cs_buf_printf(b, "%*s", (int)need, "") < 0)
		return -1;
	cs_buf_reset(b);
	int rc = cs_buf_puts(b, form_head);
	rc |= cs_buf_urlencode(b, c->client_id);
	rc |= cs_buf_puts(b, form_secret);
	rc |= cs_buf_urlencode(b, c->secret);
	return rc ? -1 : 0;
}

static void wipe_buf(cs_buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	cs_buf_release(b);
}

void cs_classy_token_drop(cs_classy *c)
{
	if (c->token)
		cs_redact_remove(c->token);
	sodium_free(c->token); /* wipes it */
	c->token = NULL;
	c->token_expires = 0;
}

/* The token goes into "Authorization: Bearer <token>" on every request: a
 * control character (CR LF above all) would end that header and start one
 * the server chose. Only visible ASCII is taken. */
static int token_printable(const char *tok)
{
	for (const unsigned char *p = (const unsigned char *)tok; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

static int store_token(cs_classy *c, const char *tok, double expires_in)
{
	size_t n = strlen(tok) + 1;
	char *copy = sodium_malloc(n);
	if (!copy)
		return -1;
	memcpy(copy, tok, n);
	if (cs_redact_add(copy)) {
		sodium_free(copy);
		return -1;
	}
	cs_classy_token_drop(c);
	c->token = copy;
	if (!(expires_in > 0)) /* absent, zero, negative */
		expires_in = DEFAULT_TTL_S;
	else if (expires_in > MAX_TTL_S)
		expires_in = MAX_TTL_S;
	c->token_ttl_ms = (int64_t)(expires_in * 1000);
	c->token_expires = c->mono_ms() + c->token_ttl_ms;
	return 0;
}

static int parse_token(cs_classy *c, const cs_http_resp *resp, cs_err *err)
{
	cJSON *j = cJSON_ParseWithLength(cs_buf_str(&resp->body), resp->body.len);
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
	int rc = 0;
	if (!cJSON_IsString(tok) || !tok->valuestring[0])
		rc = cs_err_set(err, CS_EPROTO,
				"the token endpoint '%s' answered 200 without an access_token; "
				"check CLASSY_TOKEN_URL",
				c->token_url);
	else if (!token_printable(tok->valuestring))
		rc = cs_err_set(err, CS_EPROTO,
				"the token endpoint '%s' answered an access_token with control "
				"characters or spaces, which would inject headers into every API "
				"request; refusing to use it: check CLASSY_TOKEN_URL",
				c->token_url);
	else if (store_token(c, tok->valuestring, cJSON_IsNumber(exp) ? exp->valuedouble : 0))
		rc = cs_err_set(err, CS_ERR, "cannot keep the access token: out of secure memory");
	/* The parsed tree holds the token too. */
	if (cJSON_IsString(tok))
		sodium_memzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(j);
	return rc;
}

/* A token endpoint may echo the request, the secret with it (URL-encoded):
 * the secret is registered (util/redact.h), so the API's words below are
 * redacted before they are cut, and cs_err_set redacts the message again. */
static int token_error(cs_classy *c, const cs_http_resp *resp, cs_err *err)
{
	char msg[256];
	cs_classy_api_message(&resp->body, msg, sizeof(msg));
	int rejected = resp->status == 400 || resp->status == 401 || resp->status == 403;
	if (rejected)
		cs_err_set(err, CS_EAUTH,
			   "classy rejected the credentials for client id '%s'%s%s%s: check the "
			   "client id and secret",
			   c->client_id, msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
	else
		cs_err_set(err, CS_EHTTP, "POST %s: %ld: %s; check CLASSY_TOKEN_URL", c->token_url,
			   resp->status, msg[0] ? msg : "no message");
	if (err)
		err->http_status = resp->status;
	return rejected ? CS_EAUTH : CS_EHTTP;
}

static int fetch_token(cs_classy *c, cs_err *err)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
		NULL};
	cs_buf form = CS_BUF_INIT;
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	int rc;
	if (build_form(c, &form) < 0) {
		rc = cs_err_set(err, CS_ERR, "cannot build the token request: out of memory");
		goto out;
	}
	cs_http_req req = {"POST", c->token_url, headers, form.data, form.len, 0, NULL};
	c->token_requests++;
	cs_debug("fetching an access token for client id '%s'", c->client_id);
	rc = cs_http_do(c->http, &req, &resp, err);
	if (rc) {
		if (rc == CS_ETRANSPORT || rc == CS_ERATELIMIT)
			cs_err_wrap(err, "cannot get an access token for client id '%s'",
				    c->client_id);
		cs_classy_hint(c, rc, &resp, "CLASSY_TOKEN_URL", err);
		goto out;
	}
	rc = resp.status == 200 ? parse_token(c, &resp, err) : token_error(c, &resp, err);
out:
	wipe_buf(&form);
	wipe_buf(&resp.body);
	cs_http_resp_release(&resp);
	return rc;
}

int cs_classy_token_ensure(cs_classy *c, cs_err *err)
{
	if (c->token) {
		int64_t margin = c->token_ttl_ms / 10;
		if (margin > REFRESH_MARGIN_MS)
			margin = REFRESH_MARGIN_MS;
		if (c->mono_ms() < c->token_expires - margin)
			return 0;
		cs_debug("the access token for client id '%s' expires soon; refreshing",
			 c->client_id);
	}
	return fetch_token(c, err);
}

int cs_classy_authenticate(cs_classy *c, cs_err *err)
{
	cs_classy_token_drop(c);
	return fetch_token(c, err);
}
