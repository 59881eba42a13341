#ifndef CS_SYNC_SHARE_H
#define CS_SYNC_SHARE_H
/* The request budget shared through the database (share.c): the database
 * implementation of http/budget.h's shared reservation, over a store handle
 * of its own (CS_CTRL_RATE_SLOT, table rate_slots), so every process that
 * syncs into one database (several daemons, a daemon and a manual sync)
 * takes its send times from one count per application and second. */
#include "http/budget.h"
#include "store/store.h"
#include "util/config.h"

typedef struct cs_sync_share cs_sync_share;

/* Whether cfg asks for it: pacing is on (CLASSY_RATE_LIMIT > 0) and
 * CLASSY_RATE_LIMIT_SHARED is 1, or auto on a server database. */
int cs_sync_share_wanted(const cs_config *cfg);

/* Opens a store handle of its own on cfg's database (store handles are not
 * thread-safe; the reservation runs on the HTTP event loop's thread). */
int cs_sync_share_open(const cs_config *cfg, cs_sync_share **out, cs_err *err);
void cs_sync_share_free(cs_sync_share *s); /* NULL is fine */
/* The reservation as a budget takes it (cs_http_budget_set_share). */
cs_http_budget_share cs_sync_share_hook(cs_sync_share *s);
/* After a failure the database is left alone this long (default 10 s):
 * the budget paces locally meanwhile. Applies to a wait under way too.
 * For tests. */
void cs_sync_share_set_retry_ms(cs_sync_share *s, long ms);

/* For a command or the daemon, before its first request: when cfg wants
 * it, opens the share and installs it for every budget of the process.
 * When it cannot be had, says so in the log and leaves the in-process
 * reservation, so the caller goes on pacing alone. Returns what
 * cs_sync_share_stop takes at the end (NULL when nothing was installed). */
cs_sync_share *cs_sync_share_start(const cs_config *cfg);
/* Puts the in-process reservation back and closes the handle. NULL ok. */
void cs_sync_share_stop(cs_sync_share *s);

#endif
