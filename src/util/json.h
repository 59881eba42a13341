#ifndef CS_JSON_H
#define CS_JSON_H
/* Small cJSON conveniences shared by the status file's writers and readers
 * (daemon, `daemon status`, the timetable). */
#include <cjson/cJSON.h>
#include <stdint.h>

/* Member k of o as a string, or dflt when absent or not a string. */
const char *cs_json_str(const cJSON *o, const char *k, const char *dflt);
/* Member k of o as a number, or 0 when absent or not a number. */
double cs_json_num(const cJSON *o, const char *k);
/* Adds k as the stored UTC time form of ms (whole seconds), or null when
 * !present. Returns 0, or -1 when out of memory. */
int cs_json_add_time(cJSON *o, const char *k, int64_t ms, int present);

#endif
