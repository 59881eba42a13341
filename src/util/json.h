#ifndef CS_JSON_H
#define CS_JSON_H
/* Small cJSON conveniences shared by the status file's writers and readers
 * (daemon, `daemon status`, the timetable), and the exact reading of an
 * integer from a number's source text. */
#include <cjson/cJSON.h>
#include <stdint.h>

/* Member k of o as a string, or dflt when absent or not a string. */
const char *cs_json_str(const cJSON *o, const char *k, const char *dflt);
/* Member k of o as a number, or 0 when absent or not a number. */
double cs_json_num(const cJSON *o, const char *k);
/* Adds k as the stored UTC time form of ms (whole seconds), or null when
 * !present. Returns 0, or -1 when out of memory. */
int cs_json_add_time(cJSON *o, const char *k, int64_t ms, int present);

/* Exact integers. cJSON keeps a number only as a double, which holds every
 * integer up to 2^53 and no more: two ids above it can read as one. So the
 * page parser (classy/page.c) keeps the source text of each top-level
 * number of a record in that node's valuestring (cJSON leaves it NULL for
 * numbers), and integers are read from those digits, never from the double.
 *
 * cs_json_exact_int reads v as a whole number in the int64 range: from the
 * source text when v has it (exactly -?(0|[1-9][0-9]*): a fraction, an
 * exponent or a leading zero is not a whole number, even "12.0"), else from
 * a double only up to 2^53 (a tree built in memory). Returns 0, or
 * CS_JSON_NOT_INT (not a number, or not written as a whole number) or
 * CS_JSON_RANGE (a whole number outside int64, or above 2^53 without its
 * text). */
enum { CS_JSON_NOT_INT = -1, CS_JSON_RANGE = -2 };
int cs_json_exact_int(const cJSON *v, long long *out);

#endif
