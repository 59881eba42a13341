#ifndef CS_DCONFIG_INT_H
#define CS_DCONFIG_INT_H
/* The key table shared by the parser (dconfig.c) and the dump and key
 * reference (dconfig_dump.c). Not part of the public API. */
#include "sched/dconfig.h"

#include <stddef.h>

enum cs_dconfig_key_type {
	DK_MS = 0, /* whole milliseconds */
	DK_INT,    /* whole number */
	DK_BOOL,   /* true / false, stored 0/1 */
	DK_HHMM,   /* "HH:MM" UTC, stored as minute of the day; "" or null = off */
	DK_ORGS    /* the organizations object, parsed with the F_ORG rows */
};

#define DK_TOP 1u /* valid at the top level of the file */
#define DK_ORG 2u /* valid under organizations."<id>" */

typedef struct cs_dconfig_key {
	const char *path; /* dotted path relative to its scope */
	int type;         /* enum cs_dconfig_key_type */
	unsigned flags;   /* DK_TOP, DK_ORG */
	size_t off;       /* long field in cs_dconfig (DK_TOP) */
	size_t org_off;   /* long field in cs_dconfig_org (DK_ORG) */
	long def, min, max;
	const char *help;
} cs_dconfig_key;

extern const cs_dconfig_key cs_dconfig_table[];
extern const size_t cs_dconfig_ntable;

static inline long *cs_dconfig_field(void *base, size_t off)
{
	return (long *)(void *)((char *)base + off);
}

/* "HH:MM" for a minute of the day, "" for CS_DCONFIG_OFF. buf: 8 bytes. */
void cs_dconfig_hhmm(long minute, char *buf);

#endif
