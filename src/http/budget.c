/* Request budget per API application. Classy allows a fixed number of
 * requests per minute per app, shared by every organization that uses it, so
 * the budget lives in a process-wide registry keyed by client id. The server
 * reports what is left after each answer; when that falls below a reserve we
 * spread the rest over the window instead of running into a 429. It paces
 * and never sends: it must never call back into the HTTP client. */
#include "http/budget.h"
#include "http/sleep.h"

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
/* A larger reset (year 5138) is taken as this before it is multiplied to
 * ms, so no value a server sends can overflow; the window is then capped
 * at MAX_WINDOW_MS anyway, never ignored. */
#define MAX_RESET 100000000000L

struct cs_http_budget {
	struct cs_http_budget *next;
	pthread_mutex_t mu;
	long limit;         /* requests per window, from the server when known */
	long remaining;     /* estimate: the server's count minus grants since */
	long seen;          /* the server's last reported remaining, -1 if none */
	int64_t window_end; /* monotonic ms; 0 while unknown */
	int64_t last_grant; /* monotonic ms the previous request was let through */
	char key[];
};

static pthread_mutex_t g_registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cs_http_budget *g_registry;
static cs_http_budget_hooks g_hooks;

void cs_http_budget_set_hooks(const cs_http_budget_hooks *hooks)
{
	memset(&g_hooks, 0, sizeof(g_hooks));
	if (hooks)
		g_hooks = *hooks;
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

cs_http_budget *cs_http_budget_get(const char *key, long limit_per_min)
{
	if (!key)
		key = "";
	pthread_mutex_lock(&g_registry_mu);
	struct cs_http_budget *b = g_registry;
	while (b && strcmp(b->key, key) != 0)
		b = b->next;
	if (!b) {
		size_t n = strlen(key) + 1;
		b = calloc(1, sizeof(*b) + n);
		if (b) {
			memcpy(b->key, key, n);
			pthread_mutex_init(&b->mu, NULL);
			b->limit = limit_per_min > 0 ? limit_per_min : 0;
			b->remaining = b->seen = -1;
			/* Budgets live as long as the process: clients come and go,
			 * the application's allowance does not. */
			b->next = g_registry;
			g_registry = b;
		}
	}
	pthread_mutex_unlock(&g_registry_mu);
	return b;
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

int cs_http_budget_acquire(cs_http_budget *b, int (*should_stop)(void))
{
	if (!b)
		return 0;
	pthread_mutex_lock(&b->mu);
	int64_t now = mono_now();
	if (b->window_end > 0 && now >= b->window_end) {
		/* The window rolled over: assume the full allowance until the
		 * next answer says otherwise. */
		b->remaining = b->seen >= 0 ? b->limit : -1;
		b->window_end = 0;
	}
	long wait = cs_http_budget_pace_ms(b->limit, b->remaining, b->window_end, b->last_grant, now);
	/* Reserve the slot before sleeping so concurrent callers queue up
	 * behind it instead of all waking at the same moment. */
	b->last_grant = now + wait;
	if (b->remaining > 0)
		b->remaining--;
	long left = b->remaining;
	pthread_mutex_unlock(&b->mu);
	if (wait <= 0)
		return 0;
	cs_debug("budget '%s': %ld requests left in the window, pacing %ld ms", b->key, left,
		 wait);
	return pause_ms(wait, should_stop);
}

void cs_http_budget_observe(cs_http_budget *b, long limit, long remaining, long reset)
{
	if (!b || remaining < 0)
		return;
	pthread_mutex_lock(&b->mu);
	int64_t now = mono_now();
	if (limit > 0)
		b->limit = limit;
	if (reset > MAX_RESET)
		reset = MAX_RESET;
	if (reset > 0) {
		int64_t in_ms = reset >= RESET_EPOCH_MIN ? reset * 1000 - wall_now() : reset * 1000;
		if (in_ms < 0)
			in_ms = 0;
		if (in_ms > MAX_WINDOW_MS)
			in_ms = MAX_WINDOW_MS;
		b->window_end = now + in_ms;
	} else if (b->window_end <= 0 || now >= b->window_end || remaining > b->seen) {
		/* Without a reset time, a window starts with the first answer
		 * after the last one ended, or when the count went back up. */
		b->window_end = now + WINDOW_MS;
	}
	b->remaining = b->seen = remaining;
	pthread_mutex_unlock(&b->mu);
}

void cs_http_budget_update(cs_http_budget *b, long limit, long remaining)
{
	cs_http_budget_observe(b, limit, remaining, -1);
}
