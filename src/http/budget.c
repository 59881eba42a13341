/* Request budget per API application. Classy allows a fixed number of
 * requests per minute per app, shared by every organization that uses it, so
 * the budget lives in a process-wide registry keyed by client id.
 *
 * Two rules decide when the next request may go, and the later one wins:
 *  - smoothing: the pace (the configured allowance less 1%) is cut into
 *    one-second slots whose send times are evenly spaced, and the indexes
 *    of those times are taken from the shared reservation (in-process by
 *    default), so no second ever sees more than its share and a fixed
 *    minute window on the server sees at most the pace plus one slot;
 *  - the server's word: below a reserve of X-RateLimit-Remaining the rest of
 *    the window is spread over what remains, and with nothing left (or after
 *    a 429's Retry-After) every request waits for the reset.
 * It paces and never sends: it must never call back into the HTTP client,
 * and it never sleeps while holding its lock. */
#include "http/budget.h"
#include "http/sleep.h"

#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MS 60000L
/* A reset further away than this is a clock mix-up, not a real window. */
#define MAX_WINDOW_MS (2 * WINDOW_MS)
/* Below this, X-RateLimit-Reset is seconds from now; above, a Unix time. */
#define RESET_EPOCH_MIN 1000000000L
/* Slots looked at past the current one before answering "not yet". */
#define SLOTS_AHEAD 3
/* A larger reset (year 5138) is taken as this before it is multiplied to
 * ms, so no value a server sends can overflow; the window is then capped
 * at MAX_WINDOW_MS anyway, never ignored. */
#define MAX_RESET 100000000000L

struct cs_http_budget {
	struct cs_http_budget *next;
	pthread_mutex_t mu;
	long conf;          /* configured allowance a minute; 0: no smoothing */
	long limit;         /* server's X-RateLimit-Limit, else conf (the remaining rule) */
	long server_limit;  /* X-RateLimit-Limit, -1 until an answer carries it */
	long remaining;     /* estimate: the server's count minus grants since */
	long seen;          /* the server's last reported remaining, -1 if none */
	int64_t window_end; /* monotonic ms; 0 while unknown */
	int64_t last_grant; /* monotonic ms the previous request was let through */
	int64_t hold_until; /* monotonic ms: a spent window's reset or a 429's Retry-After */
	long granted;
	int share_failed;   /* the shared reservation is failing: said in the log */
	char key[];
};

static pthread_mutex_t g_registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cs_http_budget *g_registry;
static cs_http_budget_hooks g_hooks;
static cs_http_budget_share g_share = {cs_http_budget_share_local, NULL};

void cs_http_budget_set_hooks(const cs_http_budget_hooks *hooks)
{
	memset(&g_hooks, 0, sizeof(g_hooks));
	if (hooks)
		g_hooks = *hooks;
}

void cs_http_budget_set_share(const cs_http_budget_share *share)
{
	g_share = share && share->reserve ? *share
					  : (cs_http_budget_share){cs_http_budget_share_local, NULL};
}

static int64_t mono_now(void)
{
	return g_hooks.mono_ms ? g_hooks.mono_ms() : cs_time_mono_ms();
}

static int64_t wall_now(void)
{
	return g_hooks.wall_ms ? g_hooks.wall_ms() : cs_time_now_ms();
}

static int pause_ms(long ms, int (*should_stop)(void))
{
	return g_hooks.sleep_ms ? g_hooks.sleep_ms(ms, should_stop)
				: cs_http_sleep_ms(ms, should_stop);
}

/* ---- the in-process shared reservation ---------------------------------- */

/* Slots of one key, by slot number modulo the ring: a reservation is never
 * further ahead than a hold (at most two windows) plus SLOTS_AHEAD. */
#define RING 256 /* seconds: more than the longest hold (MAX_WINDOW_MS) */
typedef struct local_slots {
	struct local_slots *next;
	struct {
		int64_t slot;
		long used;
	} ring[RING];
	char key[];
} local_slots;

static pthread_mutex_t g_local_mu = PTHREAD_MUTEX_INITIALIZER;
static local_slots *g_local;

long cs_http_budget_share_local(void *ctx, const char *key, int64_t slot, long slot_limit,
				long first)
{
	(void)ctx;
	pthread_mutex_lock(&g_local_mu);
	local_slots *l = g_local;
	while (l && strcmp(l->key, key) != 0)
		l = l->next;
	if (!l) {
		size_t n = strlen(key) + 1;
		l = calloc(1, sizeof(*l) + n);
		if (!l) {
			pthread_mutex_unlock(&g_local_mu);
			return CS_ERR;
		}
		memcpy(l->key, key, n);
		for (int i = 0; i < RING; i++)
			l->ring[i].slot = -1;
		l->next = g_local;
		g_local = l;
	}
	int i = (int)(slot % RING);
	if (l->ring[i].slot != slot) {
		l->ring[i].slot = slot;
		l->ring[i].used = 0;
	}
	long idx = l->ring[i].used > first ? l->ring[i].used : first;
	if (idx >= slot_limit)
		idx = -1;
	else
		l->ring[i].used = idx + 1;
	pthread_mutex_unlock(&g_local_mu);
	return idx;
}

/* ---- budgets ------------------------------------------------------------ */

cs_http_budget *cs_http_budget_new(const char *key, long limit_per_min)
{
	if (!key)
		key = "";
	size_t n = strlen(key) + 1;
	struct cs_http_budget *b = calloc(1, sizeof(*b) + n);
	if (!b)
		return NULL;
	memcpy(b->key, key, n);
	pthread_mutex_init(&b->mu, NULL);
	b->conf = limit_per_min > 0 ? limit_per_min : 0;
	b->limit = b->conf;
	b->server_limit = b->remaining = b->seen = -1;
	return b;
}

void cs_http_budget_free(cs_http_budget *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b);
}

cs_http_budget *cs_http_budget_get(const char *key, long limit_per_min)
{
	if (!key)
		key = "";
	pthread_mutex_lock(&g_registry_mu);
	struct cs_http_budget *b = g_registry;
	while (b && strcmp(b->key, key) != 0)
		b = b->next;
	if (!b && (b = cs_http_budget_new(key, limit_per_min))) {
		/* Budgets live as long as the process: clients come and go,
		 * the application's allowance does not. */
		b->next = g_registry;
		g_registry = b;
	}
	pthread_mutex_unlock(&g_registry_mu);
	return b;
}

long cs_http_budget_pace(long limit_per_min)
{
	if (limit_per_min <= 0)
		return 0;
	/* 1% headroom: clock drift between us and the server, and answers
	 * that arrive out of order, never add up to a 429. */
	long pace = limit_per_min - (limit_per_min + 99) / 100;
	return pace > 0 ? pace : 1;
}

long cs_http_budget_slot_limit(long pace_per_min, int64_t slot)
{
	if (pace_per_min <= 0 || slot < 0)
		return 0;
	int64_t per = WINDOW_MS / CS_HTTP_BUDGET_SLOT_MS;
	return (long)((slot + 1) * pace_per_min / per - slot * pace_per_min / per);
}

long cs_http_budget_pace_ms(long limit, long remaining, int64_t window_end_ms,
			    int64_t last_grant_ms, int64_t now_ms)
{
	if (limit <= 0 || remaining < 0 || window_end_ms <= 0 || now_ms >= window_end_ms)
		return 0;
	long reserve = limit / 20 > 5 ? limit / 20 : 5;
	if (remaining >= reserve)
		return 0;
	/* remaining + 1 gaps: the last of them ends at the reset, when the
	 * allowance is full again. */
	int64_t base = last_grant_ms > 0 && last_grant_ms <= window_end_ms ? last_grant_ms : now_ms;
	int64_t gap = (window_end_ms - base) / (remaining + 1);
	int64_t wait = base + gap - now_ms;
	if (wait < 0)
		wait = 0;
	if (wait > window_end_ms - now_ms)
		wait = window_end_ms - now_ms;
	return (long)wait;
}

/* The pace in force: the configured allowance, lowered by the server's. */
static long pace_of(const struct cs_http_budget *b)
{
	if (b->conf <= 0)
		return 0;
	long lim = b->server_limit > 0 && b->server_limit < b->conf ? b->server_limit : b->conf;
	return cs_http_budget_pace(lim);
}

/* How long the server's word makes the next request wait. An explicit
 * reset with nothing left holds whatever the limit (a 429 may come with
 * Retry-After alone). */
static long hold_ms(const struct cs_http_budget *b, int64_t now)
{
	long wait = cs_http_budget_pace_ms(b->limit, b->remaining, b->window_end, b->last_grant, now);
	if (b->hold_until > now && b->hold_until - now > wait)
		wait = (long)(b->hold_until - now);
	return wait;
}

/* A failing shared reservation is said once per outage, and so is its
 * return: meanwhile this process paces on the in-process one. */
static long share_reserve(struct cs_http_budget *b, int64_t slot, long lim, long first)
{
	long idx = g_share.reserve(g_share.ctx, b->key, slot, lim, first);
	if (idx >= -1) {
		if (b->share_failed)
			cs_info("budget of application '%s': the shared request reservation works "
				"again; pacing with the other processes",
				b->key);
		b->share_failed = 0;
		return idx;
	}
	if (!b->share_failed)
		cs_warn("budget of application '%s': the shared request reservation failed (error "
			"%ld); pacing this process alone, so processes that share the application "
			"may together exceed its allowance until it works again",
			b->key, idx);
	b->share_failed = 1;
	return cs_http_budget_share_local(NULL, b->key, slot, lim, first);
}

/* A send time (wall ms) from the slots of pace: 1 and *t when one was
 * reserved, 0 and *t = when to ask again when the next slots are full. */
static int slot_time(struct cs_http_budget *b, long pace, int64_t wall, int64_t *t)
{
	int64_t k0 = wall / CS_HTTP_BUDGET_SLOT_MS;
	for (int64_t k = k0; k <= k0 + SLOTS_AHEAD; k++) {
		long lim = cs_http_budget_slot_limit(pace, k);
		int64_t start = k * CS_HTTP_BUDGET_SLOT_MS;
		long first = 0;
		if (k == k0) {
			/* Times already past are handed out only as far back as a
			 * tenth of the slot: a request that was not ready at its
			 * time (its page was being parsed) catches up at once, but
			 * an idle budget never bursts. A slot never holds more
			 * than its limit either way. */
			first = (long)(((wall - start) * lim + CS_HTTP_BUDGET_SLOT_MS - 1) /
				       CS_HTTP_BUDGET_SLOT_MS);
			first -= lim / 10 > 1 ? lim / 10 : 1;
			if (first < 0)
				first = 0;
		}
		if (lim <= 0 || first >= lim)
			continue;
		long idx = share_reserve(b, k, lim, first);
		if (idx < 0)
			continue;
		*t = start + idx * CS_HTTP_BUDGET_SLOT_MS / lim;
		if (*t < wall)
			*t = wall;
		return 1;
	}
	*t = (k0 + SLOTS_AHEAD + 1) * CS_HTTP_BUDGET_SLOT_MS;
	return 0;
}

int cs_http_budget_reserve(cs_http_budget *b, int64_t *at_ms)
{
	int64_t now = mono_now();
	*at_ms = now;
	if (!b)
		return 1;
	pthread_mutex_lock(&b->mu);
	if (b->window_end > 0 && now >= b->window_end) {
		/* The window rolled over: assume the full allowance until the
		 * next answer says otherwise. */
		b->remaining = b->seen >= 0 ? b->limit : -1;
		b->window_end = 0;
	}
	/* The server's word first (spread the rest of the window, or wait for
	 * its reset), then the smoothing slot at or after that time. */
	long wait = hold_ms(b, now);
	int64_t at = now + wait;
	long pace = pace_of(b);
	int granted = 1;
	if (pace > 0) {
		int64_t wall = wall_now(), t;
		granted = slot_time(b, pace, wall + wait, &t);
		at = now + (t - wall);
	}
	if (granted) {
		/* Counted before the request goes, so concurrent callers queue
		 * up behind it instead of all being let through at once. */
		b->last_grant = at;
		if (b->remaining > 0)
			b->remaining--;
		b->granted++;
		if (wait > 0)
			cs_debug("budget '%s': %ld requests left in the window, pacing %ld ms",
				 b->key, b->remaining, wait);
	}
	pthread_mutex_unlock(&b->mu);
	*at_ms = at;
	return granted;
}

int cs_http_budget_acquire(cs_http_budget *b, int (*should_stop)(void))
{
	for (;;) {
		int64_t at;
		int granted = cs_http_budget_reserve(b, &at);
		int64_t now = mono_now();
		if (at > now && pause_ms((long)(at - now), should_stop) == CS_EINTR)
			return CS_EINTR;
		if (granted)
			return 0;
	}
}

/* How far the count must go up to mean a new window: answers to requests
 * in flight together arrive in any order, so the count seen goes up by a
 * few now and then within one window. */
static long new_window_jump(const struct cs_http_budget *b)
{
	long j = b->limit / 10;
	return j > 10 ? j : 10;
}

void cs_http_budget_observe(cs_http_budget *b, long limit, long remaining, long reset)
{
	if (!b)
		return;
	/* counts are capped like the reset, so no sum below can overflow */
	if (limit > MAX_RESET)
		limit = MAX_RESET;
	if (remaining > MAX_RESET)
		remaining = MAX_RESET;
	pthread_mutex_lock(&b->mu);
	if (limit > 0) {
		b->limit = limit;
		b->server_limit = limit;
	}
	if (remaining < 0) {
		pthread_mutex_unlock(&b->mu);
		return;
	}
	int64_t now = mono_now();
	if (reset > MAX_RESET)
		reset = MAX_RESET;
	if (reset > 0) {
		int64_t in_ms = reset >= RESET_EPOCH_MIN ? reset * 1000 - wall_now() : reset * 1000;
		if (in_ms < 0)
			in_ms = 0;
		if (in_ms > MAX_WINDOW_MS)
			in_ms = MAX_WINDOW_MS;
		b->window_end = now + in_ms;
		if (remaining == 0)
			b->hold_until = b->window_end;
	} else if (b->seen < 0 || remaining > b->seen + new_window_jump(b)) {
		/* Without a reset time, a window starts with the first answer,
		 * or when the count went back up: evidence of a new window. */
		b->window_end = now + WINDOW_MS;
	} else if (b->window_end <= 0 || now >= b->window_end) {
		/* Our estimate of the end passed: a count that looks fresh is a
		 * new window; a low one means the server's window has not
		 * rolled yet (our estimate was early), and guessing a new
		 * minute from it would spread the rest over a phantom window. */
		b->window_end = remaining >= b->limit / 2 ? now + WINDOW_MS : 0;
	}
	b->remaining = b->seen = remaining;
	pthread_mutex_unlock(&b->mu);
}

void cs_http_budget_update(cs_http_budget *b, long limit, long remaining)
{
	cs_http_budget_observe(b, limit, remaining, -1);
}

void cs_http_budget_get_info(cs_http_budget *b, cs_http_budget_info *out)
{
	memset(out, 0, sizeof(*out));
	out->remaining = -1;
	if (!b)
		return;
	pthread_mutex_lock(&b->mu);
	int64_t now = mono_now();
	out->pace_per_min = pace_of(b);
	out->remaining = b->remaining;
	out->granted = b->granted;
	out->hold_ms = hold_ms(b, now);
	pthread_mutex_unlock(&b->mu);
}
