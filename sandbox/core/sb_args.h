#ifndef SB_ARGS_H
#define SB_ARGS_H
/* Text arguments, parsed one way everywhere: the command line's flags, the
 * knobs both halves take as query parameters, and the numbers inside list
 * queries (sb_args.c). */
#include <stddef.h>

/* A query argument by name; NULL when absent. */
typedef const char *(*sb_arg_fn)(void *ctx, const char *key);

enum sb_opt_type {
	SB_OPT_STR = 0, /* const char *: the text itself */
	SB_OPT_LONG,    /* long in [min, max] */
	SB_OPT_PERMIN,  /* long in [min, max], optionally followed by "/min" */
	SB_OPT_RATE,    /* double, a fraction from 0 to 1 */
	SB_OPT_FLAG     /* long set to 1; takes no value */
};

/* One setting and where it lands: off is the offset of its const char *,
 * long or double in the struct the caller passes as base. */
typedef struct sb_opt {
	const char *name;
	int type; /* enum sb_opt_type */
	size_t off;
	long min, max;
} sb_opt;

#define SB_NOPTS(defs) (sizeof(defs) / sizeof((defs)[0]))

/* Stores v (NULL for a flag) at base + d->off. -1, storing nothing, when v
 * is not a valid value for d. */
int sb_opt_set(const sb_opt *d, void *base, const char *v);
/* Why v is not valid for d: "invalid 'KEY' value 'V': use ...". */
void sb_opt_explain(const sb_opt *d, const char *v, char *msg, size_t msglen);
/* Sets each of the n settings that arg(ctx, name) supplies, in table order.
 * At the first invalid one returns -1 with its explanation in msg; the
 * settings before it are already stored, so callers pass a copy. */
int sb_opts_read(const sb_opt *defs, size_t n, void *base, sb_arg_fn arg, void *ctx, char *msg,
		 size_t msglen);

/* A whole decimal integer in [min, max] (what strtol takes, nothing after
 * it). -1 when v is anything else; *out is then untouched. */
int sb_parse_long(const char *v, long min, long max, long *out);
/* The value of a hex digit, or -1. */
int sb_hex_digit(char c);
int sb_ends_with(const char *s, const char *suffix);

#endif
