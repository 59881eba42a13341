#ifndef SB_ROUTE_H
#define SB_ROUTE_H
/* Route tables (sb_route.c): each half keeps its own table, whose rows
 * begin with an sb_route_key; the matching is shared. */
#include <stddef.h>

typedef struct sb_route_key {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
} sb_route_key;

/* Matches path against pattern; copies the '*' segments into pbuf and
 * points params at them. 1 on a match. */
int sb_path_match(const char *pattern, const char *path, const char *params[4], char *pbuf,
		  size_t pbufsz);
/* The index of the row of rows (n rows, stride bytes apart, each starting
 * with an sb_route_key) that path and method match, filling params; -405
 * when only the path matches some row, else -404. */
int sb_route_find(const void *rows, size_t n, size_t stride, const char *method,
		  const char *path, const char *params[4], char *pbuf, size_t pbufsz);

#endif
