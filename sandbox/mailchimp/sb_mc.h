#ifndef SB_MC_H
#define SB_MC_H
/* The Mailchimp half of classy-sandbox, as the program's main sees it: an
 * emulation of the Marketing API v3 under /3.0 on the same port as the
 * Classy half, failures included (problem+json errors, compliance states,
 * forgotten contacts, fake-looking emails, the 10-connection limit, async
 * /batches with tar.gz results), plus the counters under /__sandbox/mc that
 * let tests prove what a client did and did not send. */
#include "core/sb_server.h"

#include <stdint.h>

/* Set by flags, changed at run time through /__sandbox/mc/knobs. */
typedef struct sb_mc_knobs {
	long latency_ms, max_connections, fail_writes;
	double fail_rate, throttle_rate;
} sb_mc_knobs;

typedef struct sb_mc sb_mc;

typedef struct sb_mc_opts {
	const char *api_key, *list_id;
	uint64_t seed;
	sb_mc_knobs knobs;
} sb_mc_opts;

/* Starts the batch worker (which inherits the caller's signal mask). NULL
 * when out of memory. */
sb_mc *sb_mc_new(const sb_mc_opts *o);
/* After the server stopped: joins the worker. */
void sb_mc_free(sb_mc *m);
/* An sb_mount_fn (part: the sb_mc). Claims /3.0, /__mc/ and
 * /__sandbox/mc/; returns 0 for anything else. */
int sb_mc_handle(void *part, sb_req *rq, sb_resp *rs);

#endif
