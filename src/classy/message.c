/* What the user reads when a Classy call fails: the API's own words picked
 * out of an error body, and the hint that says what to do about a failure
 * (which variable holds the URL, when the allowance runs out). Shared by
 * the token fetch (token.c) and the API calls (classy.c). It only formats:
 * it must never send a request, and never cut the API's words before they
 * are redacted (util/redact.h): a body may echo a secret, and a cut inside
 * it would leave its first characters. */
#include "classy/classy_int.h"

#include "util/redact.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SNIPPET_BYTES 200
/* How much of a body that is not JSON is redacted to make the snippet: far
 * more than SNIPPET_BYTES, so a secret (in any encoding) that starts inside
 * the snippet ends inside what is redacted. */
#define SNIPPET_SCAN 8192

static const char *string_of(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* {"error": {"per_page": ["may not be greater than 100"]}} → "per_page may ..." */
static void field_message(const cJSON *obj, char *out, size_t n)
{
	const cJSON *field = obj ? obj->child : NULL;
	if (!field || !field->string)
		return;
	const cJSON *first = cJSON_IsArray(field) ? cJSON_GetArrayItem(field, 0) : field;
	cs_buf b = CS_BUF_INIT;
	if (cJSON_IsString(first) && cs_buf_printf(&b, "%s %s", field->string,
						    first->valuestring) == 0)
		cs_redact_copy(out, n, b.data, b.len);
	if (b.data)
		sodium_memzero(b.data, b.len);
	cs_buf_release(&b);
}

static void pick_message(const cJSON *j, char *out, size_t n)
{
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(j, "errors");
	const char *s = string_of(j, "message");
	if (!s)
		s = cJSON_IsString(error) && error->valuestring[0] ? error->valuestring : NULL;
	if (!s && cJSON_IsObject(error)) {
		s = string_of(error, "message");
		if (!s) {
			field_message(error, out, n);
			return;
		}
	}
	if (!s)
		s = string_of(j, "error_description");
	if (!s && cJSON_IsArray(errors) && cJSON_IsString(cJSON_GetArrayItem(errors, 0)))
		s = cJSON_GetArrayItem(errors, 0)->valuestring;
	if (s)
		cs_redact_copy(out, n, s, strlen(s));
}

void cs_classy_api_message(const cs_buf *body, char *out, size_t n)
{
	out[0] = '\0';
	cJSON *j = cJSON_ParseWithLength(cs_buf_str(body), body->len);
	if (cJSON_IsObject(j))
		pick_message(j, out, n);
	cJSON_Delete(j);
	if (!out[0]) {
		size_t len = body->len < SNIPPET_SCAN ? body->len : SNIPPET_SCAN;
		cs_redact_copy(out, n < SNIPPET_BYTES + 1 ? n : SNIPPET_BYTES + 1,
			       cs_buf_str(body), len);
	}
	for (char *p = out; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
}

void cs_classy_hint(const cs_classy *c, int rc, const cs_http_resp *resp, const char *url_var,
		    cs_err *err)
{
	if (!err)
		return;
	size_t n = strlen(err->msg);
	char *end = err->msg + n;
	size_t room = sizeof(err->msg) - n;
	if (rc == CS_ETRANSPORT && resp->conn_failed)
		snprintf(end, room, "; check %s", url_var);
	else if (rc == CS_ETRANSPORT)
		snprintf(end, room, "; the API may be down or overloaded: try again later");
	else if (rc == CS_ERATELIMIT)
		snprintf(end, room, "; client id '%s' is out of requests (its allowance is shared by "
			 "every organization using it): try again later", c->client_id);
}
