/* The digest `db copy` compares: SHA-256 over a table's rows in key order,
 * each value in a canonical form, so one mirror held by two products gives
 * one digest. What a product changes on the way in is undone here, not
 * forgiven: numbers by value, money by ten-thousandths, JSON by content
 * (PostgreSQL's jsonb reorders keys and spacing), text as the server
 * products store it (invalid UTF-8 as U+FFFD). It must never call two
 * different tables equal: every value is tagged and length-prefixed. */
#include "store/copy_int.h"
#include "util/money.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cs_copy_digest_init(cs_copy_digest *d)
{
	d->rows = 0;
	d->md = EVP_MD_CTX_new();
	return d->md && EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

void cs_copy_digest_release(cs_copy_digest *d)
{
	EVP_MD_CTX_free(d->md);
	d->md = NULL;
}

int cs_copy_digest_final(cs_copy_digest *d, unsigned char out[32])
{
	unsigned int n = 0;
	return EVP_DigestFinal_ex(d->md, out, &n) == 1 && n == 32 ? 0 : -1;
}

static int put(cs_copy_digest *d, char tag, const char *s, size_t n)
{
	char head[32];
	int h = snprintf(head, sizeof(head), "%c%zu:", tag, n);
	return EVP_DigestUpdate(d->md, head, (size_t)h) == 1 &&
			       (n == 0 || EVP_DigestUpdate(d->md, s, n) == 1)
		       ? 0
		       : -1;
}

/* Objects' members sorted by key, at every depth. */
static int by_key(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static int sort_keys(cJSON *node)
{
	for (cJSON *c = node->child; c; c = c->next)
		if (sort_keys(c))
			return -1;
	if (!cJSON_IsObject(node) || !node->child)
		return 0;
	size_t n = 0;
	for (cJSON *c = node->child; c; c = c->next)
		n++;
	cJSON **v = malloc(n * sizeof(*v));
	if (!v)
		return -1;
	n = 0;
	for (cJSON *c = node->child; c; c = c->next)
		v[n++] = c;
	qsort(v, n, sizeof(*v), by_key);
	for (size_t i = 0; i < n; i++) {
		v[i]->prev = i ? v[i - 1] : v[n - 1]; /* cJSON: the head's prev is the tail */
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	}
	node->child = v[0];
	free(v);
	return 0;
}

/* PostgreSQL's driver stores an escaped NUL as "\ufffd" (no PostgreSQL text
 * holds a NUL); the same reading on every side. */
static void nul_escapes(char *p)
{
	for (size_t k = 0; p[k]; k++) {
		if (p[k] != '\\')
			continue;
		if (!strncmp(p + k + 1, "u0000", 5))
			memcpy(p + k + 1, "ufffd", 5);
		if (p[k + 1])
			k++;
	}
}

static int put_json(cs_copy_digest *d, const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	nul_escapes(copy);
	cJSON *j = cJSON_ParseWithLength(copy, len);
	int rc;
	if (!j) {
		/* not JSON (a product accepted it as text): compare it as text */
		rc = put(d, 'X', copy, len);
	} else {
		char *canon = sort_keys(j) ? NULL : cJSON_PrintUnformatted(j);
		rc = canon ? put(d, 'J', canon, strlen(canon)) : -1;
		free(canon);
	}
	cJSON_Delete(j);
	free(copy);
	return rc;
}

static int put_text(cs_copy_digest *d, char tag, const char *s)
{
	size_t n = strlen(s);
	char *fixed = NULL;
	size_t fixed_len = 0;
	if (cs_sql_utf8_fix(s, n, &fixed, &fixed_len))
		return -1;
	int rc = fixed ? put(d, tag, fixed, fixed_len) : put(d, tag, s, n);
	free(fixed);
	return rc;
}

/* A time as every product reads it back: SQLite keeps what was written
 * ("...:21Z" or "...:21.5Z"), a server's time type always gives
 * milliseconds ("...:21.500Z"). Dates and other text stay as they are. */
static int put_time(cs_copy_digest *d, const char *s)
{
	size_t n = strlen(s), frac = 0;
	if (n < 20 || s[10] != 'T' || s[n - 1] != 'Z' || (n > 20 && s[19] != '.'))
		return put_text(d, 'D', s);
	char t[32];
	memcpy(t, s, 19);
	t[19] = '.';
	for (size_t i = 20; i + 1 < n && frac < 3; i++)
		t[20 + frac++] = s[i];
	while (frac < 3)
		t[20 + frac++] = '0';
	t[23] = 'Z';
	t[24] = '\0';
	return put(d, 'D', t, 24);
}

int cs_copy_digest_value(cs_copy_digest *d, const cs_sql_val *v)
{
	char num[64];
	switch (v->kind) {
	case CS_SQL_NULL:
		return put(d, 'N', "", 0);
	case CS_SQL_INT:
		return put(d, 'I', num, (size_t)snprintf(num, sizeof(num), "%lld", v->i));
	case CS_SQL_MONEY:
		return put(d, 'M', num, (size_t)snprintf(num, sizeof(num), "%lld", v->i));
	case CS_SQL_REAL:
		return put(d, 'R', num, (size_t)snprintf(num, sizeof(num), "%.17g", v->r));
	case CS_SQL_JSON:
		return put_json(d, v->s, strlen(v->s));
	case CS_SQL_TIME:
		return put_time(d, v->s);
	default:
		return put_text(d, 'T', v->s);
	}
}

int cs_copy_digest_row_end(cs_copy_digest *d)
{
	d->rows++;
	return EVP_DigestUpdate(d->md, "\n", 1) == 1 ? 0 : -1;
}

int cs_copy_read_value(cs_sql_stmt *st, int i, int role, cs_sql_val *v)
{
	if (cs_sql_col_kind(st, i) == CS_SQL_NULL) {
		*v = CS_V_NULL;
		return 0;
	}
	const char *s;
	cs_money m;
	switch (role) {
	case CS_ROLE_ID:
	case CS_ROLE_SERIAL:
	case CS_ROLE_INT:
	case CS_ROLE_BOOL:
		*v = CS_V_INT(cs_sql_col_int(st, i));
		return 0;
	case CS_ROLE_REAL:
		*v = CS_V_REAL(cs_sql_col_real(st, i));
		return 0;
	case CS_ROLE_MONEY:
		/* SQLite keeps money as REAL, the servers as exact decimals */
		if (cs_sql_col_kind(st, i) == CS_SQL_REAL ? cs_money_from_double(cs_sql_col_real(st, i), &m)
		    : cs_money_parse(cs_sql_col_text(st, i), &m) &&
			      cs_money_from_double(cs_sql_col_real(st, i), &m))
			return -1;
		*v = (cs_sql_val){CS_SQL_MONEY, m, 0, NULL};
		return 0;
	case CS_ROLE_TIME:
	case CS_ROLE_DATE:
		s = cs_sql_col_text(st, i);
		*v = (cs_sql_val){CS_SQL_TIME, 0, 0, s};
		return 0;
	case CS_ROLE_JSON:
		s = cs_sql_col_text(st, i);
		*v = (cs_sql_val){CS_SQL_JSON, 0, 0, s};
		return 0;
	default:
		*v = CS_V_TEXT(cs_sql_col_text(st, i));
		return 0;
	}
}
