#ifndef SB_CLASSY_H
#define SB_CLASSY_H
/* The Classy half of classy-sandbox, as the program's main sees it: an
 * emulation of the Classy API v2 (OAuth2 client credentials, the
 * organization and its four list endpoints) with deterministic data, its
 * failures (faults, a rate limit, expiring tokens, records changing while a
 * client pages) and the /__sandbox admin endpoints. It mounts on the server
 * (core/sb_server.h) and answers every request it is handed. */
#include "classy/sb_model.h"
#include "core/sb_server.h"

/* What a client can be made to suffer; set by flags, changed at run time
 * through /__sandbox/knobs. */
typedef struct sb_knobs {
	double fail_rate, drop_rate, truncate_rate;
	double throttle_rate; /* 429 storms independent of the real limit */
	long rate_limit; /* per minute, 0 = unlimited */
	long latency_ms, token_ttl, mutate_every;
	long mutate_ties; /* automatic updates pick the big tie group */
	/* Hostile token endpoint (sb_oauth.c): token_echo answers every token
	 * request 401 with the form body it received in the message, as a
	 * careless server would; token_inject issues tokens holding CR LF and
	 * a header line. */
	long token_echo, token_inject;
	/* A broken API or caching proxy: list queries answered as if they had
	 * no filter, or as page 1 whatever page was asked (client paging
	 * loops must notice instead of looping for ever). */
	long ignore_filters, ignore_page;
	/* The source's clock runs this many seconds behind, or its commits
	 * land late: every mutation stamps updated_at = now - clock_skew, so a
	 * change can appear older than a client's stored cursor. */
	long clock_skew;
	/* list pages serve records whose id is a multiple of this with the id
	 * negated: an id a client must reject (0 = never) */
	long bad_id_every;
} sb_knobs;

typedef struct sb_classy sb_classy;

typedef struct sb_classy_opts {
	sb_gen_opts gen;
	sb_knobs knobs;
	const char *client_id, *client_secret;
} sb_classy_opts;

/* Generates the data; NULL with a message when out of memory. */
sb_classy *sb_classy_new(const sb_classy_opts *o, char *msg, size_t msglen);
/* After the server stopped: no handler may run any more. */
void sb_classy_free(sb_classy *c);
/* An sb_mount_fn (part: the sb_classy). Claims every request: what no
 * route matches is its 404 or 405. */
int sb_classy_handle(void *part, sb_req *rq, sb_resp *rs);

#endif
