/* OAuth2 client credentials, as POST /oauth2/auth answers them: one client
 * application, authorised for every organization, and a list of issued
 * bearer tokens that expire after --token-ttl (or all at once on demand).
 *
 * Two knobs make it hostile on purpose (token_echo, token_inject: see
 * sb_classy.h), for the client's redaction and header checks.
 *
 * Must never: accept credentials from the query string (the real server
 * refuses them, and a client that sends them leaks its secret to logs). */
#include "classy/sb_classy_int.h"

#include "util/timeutil.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_LEN 40
#define MAX_TOKENS 4096

typedef struct token {
	char s[TOKEN_LEN + 1];
	int64_t exp_ms; /* monotonic */
} token;

struct sb_oauth {
	pthread_mutex_t lock;
	char client_id[128], secret[128];
	sb_rng rng;
	token toks[MAX_TOKENS];
	size_t n;
};

sb_oauth *sb_oauth_new(const char *client_id, const char *client_secret, uint64_t seed)
{
	sb_oauth *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	pthread_mutex_init(&o->lock, NULL);
	snprintf(o->client_id, sizeof(o->client_id), "%s", client_id);
	snprintf(o->secret, sizeof(o->secret), "%s", client_secret);
	o->rng.s = sb_hash(seed, 0x70ce2, 0);
	return o;
}

void sb_oauth_free(sb_oauth *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* Drops expired tokens; when still full, the oldest goes. Caller locks. */
static void prune(sb_oauth *o, int64_t now)
{
	size_t w = 0;
	for (size_t i = 0; i < o->n; i++)
		if (o->toks[i].exp_ms > now)
			o->toks[w++] = o->toks[i];
	o->n = w;
	if (o->n == MAX_TOKENS) {
		memmove(o->toks, o->toks + 1, (MAX_TOKENS - 1) * sizeof(token));
		o->n--;
	}
}

/* What token_inject appends to a token: a header line of the server's. */
#define INJECTED "\r\nX-Injected: 1"

/* Returns 0 and the new token, or -1 when the credentials are wrong. out
 * has room for TOKEN_LEN + sizeof(INJECTED). */
static int issue(sb_oauth *o, const char *id, const char *secret, long ttl, int inject,
		 char *out)
{
	static const char hex[] = "0123456789abcdef";
	int rc = -1;
	pthread_mutex_lock(&o->lock);
	if (!strcmp(id, o->client_id) && !strcmp(secret, o->secret)) {
		int64_t now = cs_time_mono_ms();
		prune(o, now);
		token *t = &o->toks[o->n++];
		for (int i = 0; i < TOKEN_LEN; i++)
			t->s[i] = hex[sb_rng_below(&o->rng, 16)];
		t->s[TOKEN_LEN] = '\0';
		t->exp_ms = now + ttl * 1000;
		memcpy(out, t->s, TOKEN_LEN + 1);
		if (inject)
			memcpy(out + TOKEN_LEN, INJECTED, sizeof(INJECTED));
		rc = 0;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int sb_oauth_check(sb_oauth *o, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return 0;
	const char *tok = authorization + 7;
	int ok = 0;
	pthread_mutex_lock(&o->lock);
	int64_t now = cs_time_mono_ms();
	for (size_t i = 0; i < o->n && !ok; i++)
		ok = o->toks[i].exp_ms > now && !strcmp(o->toks[i].s, tok);
	pthread_mutex_unlock(&o->lock);
	return ok;
}

void sb_oauth_expire_all(sb_oauth *o)
{
	pthread_mutex_lock(&o->lock);
	o->n = 0;
	pthread_mutex_unlock(&o->lock);
}

int sb_oauth_set_secret(sb_oauth *o, const char *secret)
{
	if (!secret || strlen(secret) >= sizeof(o->secret))
		return -1;
	pthread_mutex_lock(&o->lock);
	snprintf(o->secret, sizeof(o->secret), "%s", secret);
	pthread_mutex_unlock(&o->lock);
	return 0;
}

/* ---- POST /oauth2/auth ---- */

typedef struct form {
	char grant_type[64], client_id[256], client_secret[256];
	int too_long;
} form;

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *content_type,
				  const char *encoding, const char *data, uint64_t off,
				  size_t size)
{
	form *f = cls;
	(void)kind, (void)filename, (void)content_type, (void)encoding;
	char *dst = !strcmp(key, "grant_type")      ? f->grant_type
		    : !strcmp(key, "client_id")     ? f->client_id
		    : !strcmp(key, "client_secret") ? f->client_secret
						    : NULL;
	size_t cap = dst == f->grant_type ? sizeof(f->grant_type) : sizeof(f->client_id);
	if (!dst)
		return MHD_YES;
	if (off + size >= cap) {
		f->too_long = 1;
		return MHD_YES;
	}
	memcpy(dst + off, data, size);
	dst[off + size] = '\0';
	return MHD_YES;
}

static void oauth_error(sb_resp *rs, int status, const char *error, const char *message)
{
	rs->status = status;
	cs_buf_reset(&rs->body);
	cs_buf_printf(&rs->body, "{\"error\":\"%s\",\"message\":", error);
	cs_buf_json_str(&rs->body, message);
	cs_buf_puts(&rs->body, "}");
}

/* Parses the form body with MHD's own urlencoded parser. */
static int parse_form(sb_req *rq, form *f)
{
	struct MHD_PostProcessor *pp = MHD_create_post_processor(rq->conn, 4096, form_field, f);
	if (!pp)
		return -1;
	enum MHD_Result ok = MHD_post_process(pp, rq->body.data ? rq->body.data : "", rq->body.len);
	MHD_destroy_post_processor(pp);
	return ok == MHD_YES && !f->too_long ? 0 : -1;
}

void sb_h_token(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	form f = {0};
	if (sb_arg(rq, "client_id") || sb_arg(rq, "client_secret") || sb_arg(rq, "grant_type")) {
		oauth_error(rs, 400, "invalid_request",
			    "credentials were sent in the query string: send grant_type, client_id "
			    "and client_secret in an application/x-www-form-urlencoded body");
		return;
	}
	if (parse_form(rq, &f)) {
		oauth_error(rs, 400, "invalid_request",
			    "the request body is not a valid application/x-www-form-urlencoded form");
		return;
	}
	if (strcmp(f.grant_type, "client_credentials")) {
		oauth_error(rs, 400, "unsupported_grant_type",
			    "The authorization grant type is not supported by the authorization "
			    "server. Use grant_type=client_credentials.");
		return;
	}
	if (!*f.client_id || !*f.client_secret) {
		oauth_error(rs, 400, "invalid_request",
			    "The request is missing a required parameter: client_id and "
			    "client_secret are required.");
		return;
	}
	sb_knobs k;
	sb_policy_knobs(&c->policy, &k);
	if (k.token_echo) {
		/* A careless server: the request, secret and all, in the message. */
		cs_buf m = CS_BUF_INIT;
		cs_buf_puts(&m, "Client authentication failed for request: ");
		cs_buf_append(&m, rq->body.data ? rq->body.data : "", rq->body.len);
		oauth_error(rs, 401, "invalid_client", cs_buf_str(&m));
		cs_buf_release(&m);
		return;
	}
	char tok[TOKEN_LEN + sizeof(INJECTED)];
	if (issue(c->oauth, f.client_id, f.client_secret, k.token_ttl, (int)k.token_inject, tok)) {
		oauth_error(rs, 401, "invalid_client", "Client authentication failed");
		return;
	}
	rs->status = 200;
	cs_buf_puts(&rs->body, "{\"access_token\":");
	cs_buf_json_str(&rs->body, tok);
	cs_buf_printf(&rs->body, ",\"token_type\":\"bearer\",\"expires_in\":%ld}", k.token_ttl);
}
