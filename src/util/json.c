/* cJSON conveniences: typed member reads with defaults, and a time member
 * in the stored form or null. No parsing or printing of its own. */
#include "util/json.h"
#include "util/timeutil.h"

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

int cs_json_add_time(cJSON *o, const char *k, int64_t ms, int present)
{
	char buf[CS_TIME_BUFSZ];
	if (!present)
		return cJSON_AddNullToObject(o, k) ? 0 : -1;
	cs_time_format(ms, 0, buf);
	return cJSON_AddStringToObject(o, k, buf) ? 0 : -1;
}
