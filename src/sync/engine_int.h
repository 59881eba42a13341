#ifndef CS_ENGINE_INT_H
#define CS_ENGINE_INT_H
/* State of one entity run, shared by the engine's files. */
#include "sync/sync.h"
#include "util/idset.h"

typedef struct cs_run_ctx {
	cs_store *st;
	cs_classy *api;
	long long org;
	const cs_entity *e;
	const cs_sync_opts *opts;
	cs_entity_result *res;
	cs_sync_state state; /* committed with every page */
	cs_page page;
	cs_idset seen; /* ids at the current lower-bound second */
	int lookback_s;
	int restart_full;
	long total;
	int64_t t0;
} cs_run_ctx;

int cs_engine_run(cs_run_ctx *c, cs_err *err);
int cs_engine_fetch(cs_run_ctx *c, int page, const char *sort, const char *filter, cs_err *err);
int cs_engine_store_page(cs_run_ctx *c, const unsigned char *skip, cs_err *err);
int cs_engine_finish_full(cs_run_ctx *c, const char *started, cs_err *err);
void cs_engine_report(cs_run_ctx *c);

#endif
