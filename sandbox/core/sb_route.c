/* Route matching for both halves. Each half keeps its own table, because
 * their routes take different policies (bearer auth and the rate limit for
 * Classy; Basic auth, a connection limit and problem+json for Mailchimp);
 * the rows of both begin with an sb_route_key, so one matcher serves them.
 *
 * Must never: know a route, a handler or a half; it compares text only. */
#include "core/sb_route.h"

#include <string.h>

int sb_path_match(const char *pattern, const char *path, const char *params[4], char *pbuf,
		  size_t pbufsz)
{
	size_t used = 0;
	int np = 0;
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			if (n == 0 || np == 4 || used + n + 1 > pbufsz)
				return 0;
			memcpy(pbuf + used, path, n);
			pbuf[used + n] = '\0';
			params[np++] = pbuf + used;
			used += n + 1;
			path += n;
			pattern++;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

int sb_route_find(const void *rows, size_t n, size_t stride, const char *method,
		  const char *path, const char *params[4], char *pbuf, size_t pbufsz)
{
	int path_matched = 0;
	for (size_t i = 0; i < n; i++) {
		const sb_route_key *k = (const sb_route_key *)((const char *)rows + i * stride);
		if (!sb_path_match(k->pattern, path, params, pbuf, pbufsz))
			continue;
		if (!strcmp(k->method, method))
			return (int)i;
		path_matched = 1;
	}
	return path_matched ? -405 : -404;
}
