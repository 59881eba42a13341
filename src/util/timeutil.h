#ifndef CS_TIMEUTIL_H
#define CS_TIMEUTIL_H
/* ISO 8601 handling. Internally a timestamp is int64 milliseconds since the
 * Unix epoch, UTC. The API sends several forms (NOTES.md):
 *   2021-04-23T08:23:21Z  2021-04-23T08:23:21+0000  2024-10-05T14:48:00.000Z
 * plus +HH:MM offsets, a space instead of 'T', and bare dates. */
#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define CS_TIME_BUFSZ 32

/* Parses s. On success stores ms and whether the input carried a fraction of
 * a second (*has_ms, may be NULL) and returns 0; returns -1 on anything that
 * is not a valid date or datetime (including out-of-range fields). */
int cs_time_parse(const char *s, int64_t *ms, int *has_ms);

/* Formats as stored in the database: "2021-04-23T08:23:21Z", or with ".123Z"
 * when with_ms is set. out must hold CS_TIME_BUFSZ bytes. */
void cs_time_format(int64_t ms, int with_ms, char *out);

/* Formats for an API filter value: whole seconds, "+0000" offset, because
 * the API rejects milliseconds in filters. */
void cs_time_format_filter(int64_t ms, char *out);

/* Normalises any accepted input form to the stored form (UTC, Z, keeping
 * milliseconds only when present). A bare date stays "YYYY-MM-DD".
 * Returns -1 when s does not parse. */
int cs_time_normalize(const char *s, char *out);

/* Current wall-clock time in ms, and a monotonic clock in ms for intervals. */
int64_t cs_time_now_ms(void);
int64_t cs_time_mono_ms(void);

/* An absolute deadline ms from now on clock clk, for pthread_cond_timedwait
 * (whose clock is CLOCK_REALTIME unless the condition says otherwise). */
struct timespec cs_time_deadline_in(clockid_t clk, int64_t ms);
/* ms as a timespec: a relative wait (nanosleep) or a point on a clock. */
struct timespec cs_time_timespec(int64_t ms);

#endif
