/* The Classy half's route table, and the path matcher both halves share
 * (the Mailchimp half keeps its own table in mc_server.c, because its
 * routes take a different policy: Basic auth, a connection limit and
 * problem+json errors). */
#include "sandbox.h"

#include <string.h>

const sb_route sb_routes[] = {
	{"POST", "/oauth2/auth", sb_h_token, SB_RF_TOKEN},
	{"GET", "/2.0/organizations/*", sb_h_org, SB_RF_API},
	{"GET", "/2.0/organizations/*/*", sb_h_list, SB_RF_API},
	{"GET", "/__sandbox/dump", sb_h_dump, SB_RF_ADMIN},
	{"GET", "/__sandbox/stats", sb_h_stats, SB_RF_ADMIN},
	{"POST", "/__sandbox/reset-stats", sb_h_reset_stats, SB_RF_ADMIN},
	{"POST", "/__sandbox/mutate", sb_h_mutate, SB_RF_ADMIN},
	{"GET", "/__sandbox/knobs", sb_h_knobs, SB_RF_ADMIN},
	{"POST", "/__sandbox/knobs", sb_h_knobs, SB_RF_ADMIN},
	{"POST", "/__sandbox/expire-tokens", sb_h_expire_tokens, SB_RF_ADMIN},
	{"POST", "/__sandbox/set-credentials", sb_h_set_credentials, SB_RF_ADMIN},
	{"POST", "/__sandbox/webhook", sb_h_webhook_post, SB_RF_ADMIN},
	{"GET", "/__sandbox/webhook", sb_h_webhook_get, SB_RF_ADMIN},
	{"POST", "/__sandbox/webhook/fail", sb_h_webhook_fail, SB_RF_ADMIN},
	{"POST", "/__sandbox/webhook/reset", sb_h_webhook_reset, SB_RF_ADMIN},
};
const size_t sb_nroutes = sizeof(sb_routes) / sizeof(sb_routes[0]);

int sb_path_match(const char *pattern, const char *url, const char *params[4], char *pbuf,
		  size_t pbufsz)
{
	size_t used = 0;
	int np = 0;
	while (*pattern && *url) {
		if (*pattern == '*') {
			size_t n = strcspn(url, "/");
			if (n == 0 || np == 4 || used + n + 1 > pbufsz)
				return 0;
			memcpy(pbuf + used, url, n);
			pbuf[used + n] = '\0';
			params[np++] = pbuf + used;
			used += n + 1;
			url += n;
			pattern++;
		} else if (*pattern++ != *url++) {
			return 0;
		}
	}
	return *pattern == '\0' && *url == '\0';
}

int sb_route_find(const char *method, const char *url, sb_req *rq)
{
	int path_matched = 0;
	for (size_t i = 0; i < sb_nroutes; i++) {
		if (!sb_path_match(sb_routes[i].pattern, url, rq->params, rq->pbuf, sizeof(rq->pbuf)))
			continue;
		if (!strcmp(sb_routes[i].method, method))
			return (int)i;
		path_matched = 1;
	}
	return path_matched ? -405 : -404;
}
