/* cJSON conveniences: typed member reads with defaults, a time member in
 * the stored form or null, and exact integers from a number's source text
 * (json.h says where that text comes from). No JSON parsing or printing of
 * its own: the digits of one number are all it reads. */
#include "util/json.h"
#include "util/timeutil.h"

#include <limits.h>

const char *cs_json_str(const cJSON *o, const char *k, const char *dflt)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
	return s ? s : dflt;
}

double cs_json_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* 2^53: from here on a double no longer holds every integer (2^53 + 1
 * reads as 2^53), so a double this large cannot say which one was sent. */
#define EXACT_DOUBLE_MAX 9007199254740992.0

static int digits_int(const char *s, long long *out)
{
	int neg = *s == '-';
	s += neg;
	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return CS_JSON_NOT_INT;
	/* accumulate negatively: -LLONG_MIN does not fit */
	long long x = 0;
	int range = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		int d = *s - '0';
		if (x < (LLONG_MIN + d) / 10)
			range = 1;
		else
			x = x * 10 - d;
	}
	if (*s)
		return CS_JSON_NOT_INT; /* a fraction or an exponent */
	if (range || (!neg && x == LLONG_MIN))
		return CS_JSON_RANGE;
	*out = neg ? x : -x;
	return 0;
}

int cs_json_exact_int(const cJSON *v, long long *out)
{
	if (!cJSON_IsNumber(v))
		return CS_JSON_NOT_INT;
	if (v->valuestring)
		return digits_int(v->valuestring, out);
	double d = v->valuedouble;
	if (!(d > -EXACT_DOUBLE_MAX && d < EXACT_DOUBLE_MAX)) /* NaN too */
		return CS_JSON_RANGE;
	if (d != (double)(long long)d)
		return CS_JSON_NOT_INT;
	*out = (long long)d;
	return 0;
}

int cs_json_add_time(cJSON *o, const char *k, int64_t ms, int present)
{
	char buf[CS_TIME_BUFSZ];
	if (!present)
		return cJSON_AddNullToObject(o, k) ? 0 : -1;
	cs_time_format(ms, 0, buf);
	return cJSON_AddStringToObject(o, k, buf) ? 0 : -1;
}
