/* Text arguments, parsed one way everywhere: the command line's flags
 * (sb_main.c), the knobs both halves take as query parameters
 * (/__sandbox/knobs, /__sandbox/mc/knobs, ?update=, ?n=) and the numbers
 * inside list queries. One table row says a setting's name, type, range and
 * place; the same rules then hold at start-up and at run time.
 *
 * Must never: print, or know any setting by name; it writes only through
 * the offsets it is given. */
#include "core/sb_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The long of v, with an optional unit after it ("1800/min"). */
static int parse_long_unit(const char *v, const char *unit, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (unit && !strcmp(end, unit))
		end += strlen(unit);
	if (!*v || *end || errno || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

int sb_parse_long(const char *v, long min, long max, long *out)
{
	return parse_long_unit(v, NULL, min, max, out);
}

static int parse_rate(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);
	if (!*v || *end || !(x >= 0.0 && x <= 1.0)) /* NaN fails too */
		return -1;
	*out = x;
	return 0;
}

int sb_opt_set(const sb_opt *d, void *base, const char *v)
{
	char *p = (char *)base + d->off;
	if (d->type == SB_OPT_FLAG) {
		*(long *)p = 1;
		return 0;
	}
	if (!v)
		return -1;
	switch (d->type) {
	case SB_OPT_STR:
		*(const char **)p = v;
		return 0;
	case SB_OPT_RATE:
		return parse_rate(v, (double *)p);
	default:
		return parse_long_unit(v, d->type == SB_OPT_PERMIN ? "/min" : NULL, d->min, d->max,
				       (long *)p);
	}
}

void sb_opt_explain(const sb_opt *d, const char *v, char *msg, size_t msglen)
{
	if (d->type == SB_OPT_RATE)
		snprintf(msg, msglen, "invalid '%s' value '%s': use a fraction from 0 to 1", d->name,
			 v);
	else if (d->type == SB_OPT_LONG || d->type == SB_OPT_PERMIN)
		snprintf(msg, msglen, "invalid '%s' value '%s': use an integer from %ld to %ld",
			 d->name, v, d->min, d->max);
	else
		snprintf(msg, msglen, "invalid '%s' value '%s'", d->name, v);
}

int sb_opts_read(const sb_opt *defs, size_t n, void *base, sb_arg_fn arg, void *ctx, char *msg,
		 size_t msglen)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = arg(ctx, defs[i].name);
		if (v && sb_opt_set(&defs[i], base, v)) {
			sb_opt_explain(&defs[i], v, msg, msglen);
			return -1;
		}
	}
	return 0;
}

int sb_hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

int sb_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}
