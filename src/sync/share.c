/* The request budget shared through the database. Each reservation a
 * budget asks for (http/budget.h: an index of one second of one
 * application) is one CS_CTRL_RATE_SLOT on a store handle of this share's
 * own, so every process on the database counts against one row per
 * application and second.
 *
 * It is called with a budget's lock held, from the HTTP event loop: it must
 * be quick and must never call back into a budget. So it remembers the
 * seconds it found full (used only grows, so a full second stays full) and
 * asks the database nothing about them again; and after a failure it
 * leaves the database alone for a while (the budget paces locally
 * meanwhile, and says so), reconnecting first when the connection was
 * lost. Budgets of several applications may ask at once from several
 * threads (the daemon's jobs): one mutex keeps the handle to one at a
 * time. */
#include "sync/share.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS 10000L
#define NFULL 16 /* seconds remembered full: a budget looks at most 4 ahead */

struct cs_sync_share {
	cs_store *st;
	pthread_mutex_t mu;
	long retry_ms;
	int64_t down_until; /* monotonic ms: no database call before then */
	int down_code;      /* the failure answered meanwhile (< -1) */
	int reconnect;      /* the connection was lost: reconnect before asking */
	struct full_slot {
		uint64_t key; /* hash of the application */
		int64_t slot;
		long limit; /* full at this limit: used >= limit */
	} full[NFULL];
	unsigned nextfull;
};

/* On SQLite every reservation takes the file's one write lock, so it
 * queues behind page commits and a long write (a full sync's recompute)
 * holds every request back: only when asked (docs/ARCHITECTURE.md has the
 * figures). A server locks the slot's row alone. */
int cs_sync_share_wanted(const cs_config *cfg)
{
	if (cfg->rate_limit <= 0 || cfg->rate_limit_shared == CS_SHARED_OFF)
		return 0;
	return cfg->rate_limit_shared == CS_SHARED_ON || cfg->db_type != CS_DB_SQLITE;
}

static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static int known_full(const cs_sync_share *s, uint64_t key, int64_t slot, long limit)
{
	for (int i = 0; i < NFULL; i++)
		if (s->full[i].key == key && s->full[i].slot == slot && s->full[i].limit >= limit)
			return 1;
	return 0;
}

static void remember_full(cs_sync_share *s, uint64_t key, int64_t slot, long limit)
{
	s->full[s->nextfull++ % NFULL] = (struct full_slot){key, slot, limit};
}

/* One reservation on the database: the index, -1 when full, or a failure
 * (< -1) after which the database is left alone for retry_ms. */
static long ask(cs_sync_share *s, cs_rate_slot *r)
{
	cs_err err = {0};
	int rc = 0;
	if (s->reconnect && (rc = s->st->ctrl(s->st, CS_CTRL_RECONNECT, NULL, &err)) == 0)
		s->reconnect = 0;
	if (rc == 0)
		rc = s->st->ctrl(s->st, CS_CTRL_RATE_SLOT, r, &err);
	if (rc == 0) {
		if (s->down_code)
			cs_info("the request budget shared through the database works again");
		s->down_code = 0;
		return r->index;
	}
	if (!s->down_code)
		cs_warn("the request budget shared through the database failed: %s; each process "
			"paces alone until it works again (tried again every %ld s)",
			err.msg, (s->retry_ms + 999) / 1000);
	s->reconnect |= rc == CS_EDBCONN;
	s->down_code = rc < -1 ? rc : CS_EIO; /* -1 would mean "full" */
	s->down_until = cs_time_mono_ms() + s->retry_ms;
	return s->down_code;
}

static long share_reserve(void *ctx, const char *key, int64_t slot, long limit, long first)
{
	cs_sync_share *s = ctx;
	uint64_t h = key_hash(key);
	long idx;
	pthread_mutex_lock(&s->mu);
	if (s->down_code && cs_time_mono_ms() < s->down_until) {
		idx = s->down_code;
	} else if (known_full(s, h, slot, limit)) {
		idx = -1;
	} else {
		cs_rate_slot r = {key, slot, limit, first, -1};
		idx = ask(s, &r);
		if (idx == -1 && first < limit)
			remember_full(s, h, slot, limit);
	}
	pthread_mutex_unlock(&s->mu);
	return idx;
}

int cs_sync_share_open(const cs_config *cfg, cs_sync_share **out, cs_err *err)
{
	*out = NULL;
	cs_sync_share *s = calloc(1, sizeof(*s));
	if (!s)
		return cs_err_set(err, CS_ERR, "cannot share the request budget: out of memory");
	int rc = cs_store_open(cfg, &s->st, err);
	if (rc) {
		free(s);
		return rc;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->retry_ms = RETRY_MS;
	*out = s;
	return 0;
}

void cs_sync_share_free(cs_sync_share *s)
{
	if (!s)
		return;
	cs_store_close(s->st);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

cs_http_budget_share cs_sync_share_hook(cs_sync_share *s)
{
	return (cs_http_budget_share){share_reserve, s};
}

void cs_sync_share_set_retry_ms(cs_sync_share *s, long ms)
{
	pthread_mutex_lock(&s->mu);
	s->retry_ms = ms > 0 ? ms : RETRY_MS;
	if (s->down_until > cs_time_mono_ms() + s->retry_ms)
		s->down_until = cs_time_mono_ms() + s->retry_ms;
	pthread_mutex_unlock(&s->mu);
}

cs_sync_share *cs_sync_share_start(const cs_config *cfg)
{
	cs_sync_share *s = NULL;
	cs_err err = {0};
	if (!cs_sync_share_wanted(cfg))
		return NULL;
	if (cs_sync_share_open(cfg, &s, &err)) {
		cs_warn("cannot share the request budget through the database: %s; this process "
			"paces alone",
			err.msg);
		return NULL;
	}
	cs_http_budget_share hook = cs_sync_share_hook(s);
	cs_http_budget_set_share(&hook);
	return s;
}

void cs_sync_share_stop(cs_sync_share *s)
{
	if (!s)
		return;
	cs_http_budget_set_share(NULL);
	cs_sync_share_free(s);
}
