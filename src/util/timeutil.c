/* Timestamps: the API's ISO 8601 forms parsed to int64 ms UTC and
 * formatted back (hand-written scanning, since this runs for several
 * fields of every record), plus the wall and monotonic clocks and timed-wait
 * deadlines. Parsing must never depend on the local time zone, and
 * intervals must never be measured on the wall clock. */
#include "util/timeutil.h"

#include <stdio.h>
#include <time.h>

/* Hand-written digit scanning instead of sscanf/strptime: this runs for
 * several fields of every record, and sscanf alone costs more than the
 * whole parse budget. It also makes the accepted grammar exact. */

#define MS_PER_DAY 86400000LL

typedef struct tparts {
	int year, mon, day, hour, min, sec, ms;
	int offset_min; /* local = UTC + offset */
	int has_ms, date_only;
} tparts;

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)(*p)[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + (int)d;
	}
	*p += n;
	*out = v;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no tables, no
 * dependency on the process time zone (timegm would be correct too, but it
 * is several times slower). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int parse_date(const char **p, tparts *t)
{
	const char *s = *p;
	if (digits(&s, 4, &t->year) || *s++ != '-' || digits(&s, 2, &t->mon) ||
	    *s++ != '-' || digits(&s, 2, &t->day))
		return -1;
	if (t->mon < 1 || t->mon > 12 || t->day < 1 || t->day > days_in_month(t->year, t->mon))
		return -1;
	*p = s;
	return 0;
}

/* Fraction of 1-6 digits; milliseconds are kept, finer digits truncated
 * (rounding could carry into the next second for no real gain). */
static int parse_fraction(const char **p, tparts *t)
{
	const char *s = *p;
	int n = 0, ms = 0;
	while ((unsigned)((unsigned char)s[n] - '0') <= 9) {
		if (n < 3)
			ms = ms * 10 + (s[n] - '0');
		if (++n > 6)
			return -1;
	}
	if (n == 0)
		return -1;
	for (int i = n; i < 3; i++)
		ms *= 10;
	t->ms = ms;
	t->has_ms = 1;
	*p = s + n;
	return 0;
}

/* Zone: nothing (UTC), Z, or +HH, +HHMM, +HH:MM (and '-'). */
static int parse_zone(const char *s, tparts *t)
{
	if (*s == '\0')
		return 0;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		return 0;
	if (*s != '+' && *s != '-')
		return -1;
	int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
	if (digits(&s, 2, &oh))
		return -1;
	int colon = *s == ':';
	s += colon;
	if ((colon || *s) && digits(&s, 2, &om))
		return -1;
	if (*s || oh > 23 || om > 59)
		return -1;
	t->offset_min = sign * (oh * 60 + om);
	return 0;
}

static int parse_parts(const char *s, tparts *t)
{
	*t = (tparts){0};
	if (!s || parse_date(&s, t))
		return -1;
	if (*s == '\0') {
		t->date_only = 1;
		return 0;
	}
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &t->hour) || *s++ != ':' || digits(&s, 2, &t->min) ||
	    *s++ != ':' || digits(&s, 2, &t->sec))
		return -1;
	if (t->hour > 23 || t->min > 59 || t->sec > 60)
		return -1;
	if ((*s == '.' || *s == ',') && (s++, parse_fraction(&s, t)))
		return -1;
	return parse_zone(s, t);
}

static int64_t parts_to_ms(const tparts *t)
{
	int64_t days = days_from_civil(t->year, t->mon, t->day);
	int64_t secs = days * 86400 + t->hour * 3600 + t->min * 60 + t->sec -
		       (int64_t)t->offset_min * 60;
	return secs * 1000 + t->ms;
}

int cs_time_parse(const char *s, int64_t *ms, int *has_ms)
{
	tparts t;
	if (parse_parts(s, &t))
		return -1;
	if (ms)
		*ms = parts_to_ms(&t);
	if (has_ms)
		*has_ms = t.has_ms;
	return 0;
}

static char *put2(char *o, int v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
	return o + 2;
}

static char *put_date(char *o, int64_t y, int m, int d)
{
	o = put2(o, (int)(y / 100));
	o = put2(o, (int)(y % 100));
	*o++ = '-';
	o = put2(o, m);
	*o++ = '-';
	return put2(o, d);
}

/* Writes "YYYY-MM-DDTHH:MM:SS" and returns the end; years outside 0..9999
 * (never sent by the API) take a slow path that still cannot overflow. */
static char *put_datetime(int64_t ms, char *out, int *frac)
{
	int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	int64_t y;
	int m, d, secs = (int)(rem / 1000);
	civil_from_days(days, &y, &m, &d);
	*frac = (int)(rem % 1000);
	if (y < 0 || y > 9999) {
		int n = snprintf(out, CS_TIME_BUFSZ - 8, "%04lld-%02d-%02dT%02d:%02d:%02d",
				 (long long)y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
		return out + (n < CS_TIME_BUFSZ - 8 ? n : CS_TIME_BUFSZ - 9);
	}
	char *o = put_date(out, y, m, d);
	*o++ = 'T';
	o = put2(o, secs / 3600);
	*o++ = ':';
	o = put2(o, secs / 60 % 60);
	*o++ = ':';
	return put2(o, secs % 60);
}

void cs_time_format(int64_t ms, int with_ms, char *out)
{
	int frac;
	char *o = put_datetime(ms, out, &frac);
	if (with_ms) {
		*o++ = '.';
		*o++ = (char)('0' + frac / 100);
		o = put2(o, frac % 100);
	}
	*o++ = 'Z';
	*o = '\0';
}

void cs_time_format_filter(int64_t ms, char *out)
{
	int frac;
	char *o = put_datetime(ms, out, &frac);
	for (const char *z = "+0000"; *z; z++)
		*o++ = *z;
	*o = '\0';
}

int cs_time_normalize(const char *s, char *out)
{
	tparts t;
	if (parse_parts(s, &t))
		return -1;
	if (t.date_only) {
		*put_date(out, t.year, t.mon, t.day) = '\0';
		return 0;
	}
	cs_time_format(parts_to_ms(&t), t.has_ms, out);
	return 0;
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cs_time_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t cs_time_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

struct timespec cs_time_timespec(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	return ts;
}

struct timespec cs_time_deadline_in(clockid_t clk, int64_t ms)
{
	struct timespec ts, add = cs_time_timespec(ms);
	clock_gettime(clk, &ts);
	ts.tv_sec += add.tv_sec;
	ts.tv_nsec += add.tv_nsec;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
