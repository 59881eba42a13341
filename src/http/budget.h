#ifndef CS_HTTP_BUDGET_H
#define CS_HTTP_BUDGET_H
/* Request budget per API application (client id), budget.c. Every request
 * of every organization that uses one application takes a slot from it, so
 * together they stay under the application's allowance:
 *  - smoothed: the configured allowance (CLASSY_RATE_LIMIT a minute, less a
 *    1% headroom) is handed out as evenly spaced send times, never as a
 *    burst at the start of a minute;
 *  - shared: the send times come from a "shared reservation" (see
 *    cs_http_budget_share below), in-process by default, so several
 *    processes that use one application can agree on them;
 *  - adaptive: X-RateLimit-Limit lowers the pace, a low
 *    X-RateLimit-Remaining spreads what is left over the rest of the
 *    window, and a 429 (Retry-After, X-RateLimit-Reset) holds every request
 *    of the application until then.
 * Budgets are process-wide and looked up by key. http.c and loop.c feed it
 * every answer; it knows nothing of requests itself. */
#include <stdint.h>

typedef struct cs_http_budget cs_http_budget;

/* The budget of key (created on first use with limit_per_min, the
 * configured allowance; 0 means no client-side pacing, only what the
 * server's headers say). Budgets live as long as the process. */
cs_http_budget *cs_http_budget_get(const char *key, long limit_per_min);

/* Non-blocking: asks for the next send time. Returns 1 when a slot was
 * granted (and counted): the request may go at *at_ms (monotonic ms: now, a
 * little later, or after a hold); 0 when the shared reservation has no free
 * slot in the next few seconds: ask again at *at_ms. A caller that does not
 * want to hold a slot far ahead looks at cs_http_budget_get_info's hold_ms
 * first. */
int cs_http_budget_reserve(cs_http_budget *b, int64_t *at_ms);
/* Blocking: reserves a slot and sleeps until its time. Returns CS_EINTR if
 * should_stop fires. */
int cs_http_budget_acquire(cs_http_budget *b, int (*should_stop)(void));
void cs_http_budget_update(cs_http_budget *b, long limit, long remaining);
/* As cs_http_budget_update, plus X-RateLimit-Reset (-1 if absent): a Unix time in
 * seconds, or seconds from now when small. cs_http_do calls this. */
void cs_http_budget_observe(cs_http_budget *b, long limit, long remaining, long reset);

/* What the budget is doing, for progress lines. */
typedef struct cs_http_budget_info {
	long pace_per_min;  /* the smoothed pace, 0 when not pacing */
	long remaining;     /* the estimate of what the server allows, -1 unknown */
	int64_t hold_ms;    /* > 0: every request waits this long (window spent, 429) */
	long granted;       /* slots granted so far */
} cs_http_budget_info;
void cs_http_budget_get_info(cs_http_budget *b, cs_http_budget_info *out);

/* The pacing rule, pure so it can be tested: how long to wait at now_ms
 * before the next request, given the last known limit and remaining count,
 * the end of the window and when the previous request was let through
 * (0 if never). Zero while remaining is at or above the reserve
 * max(5, 5% of limit); below it the rest of the window is spread evenly
 * over what remains, and with nothing left it waits for the reset. */
long cs_http_budget_pace_ms(long limit, long remaining, int64_t window_end_ms,
			    int64_t last_grant_ms, int64_t now_ms);

/* The smoothing rule, pure: the pace of `limit` a minute is cut into slots
 * of CS_HTTP_BUDGET_SLOT_MS; slot k (wall ms / slot length) allows
 * cs_http_budget_slot_limit(pace, k) requests, and the i-th of them goes at
 * slot start + i × slot length / that limit. The limits of any 60
 * consecutive slots add up to the pace exactly. */
#define CS_HTTP_BUDGET_SLOT_MS 1000L
long cs_http_budget_pace(long limit_per_min);
long cs_http_budget_slot_limit(long pace_per_min, int64_t slot);

/* The shared reservation: how budgets of one application in several
 * processes (several daemons on one database) agree on send times.
 * reserve() takes the first free index at or after `first` of slot `slot`
 * (wall-clock seconds since the epoch, so every process numbers slots
 * alike) of application `key`, when it is below slot_limit, and returns it;
 * it returns -1 when the slot is full, and a negative cs_code below -1 when
 * the shared store failed (the budget then paces locally and says so in the
 * log). Index i of slot k is sent at k × slot length + i × slot length /
 * slot_limit, so the indexes handed out are the whole agreement. A database
 * implementation is one statement:
 *   UPDATE rate_slots SET used = MAX(used, ?first) + 1
 *    WHERE app = ?key AND slot = ?slot AND MAX(used, ?first) < ?limit
 *   RETURNING used - 1
 * (after inserting the slot's row if missing; rows of past slots can be
 * deleted at will). It is called with the budget's lock held, at most a few
 * times per request, from the HTTP event loop's thread or a thread about to
 * send: it must be quick and must never call back into the budget. The
 * default, in-process implementation keeps the last few slots of each key
 * in memory. */
typedef struct cs_http_budget_share {
	long (*reserve)(void *ctx, const char *key, int64_t slot, long slot_limit, long first);
	void *ctx;
} cs_http_budget_share;
/* Installs a shared reservation for every budget (NULL restores the
 * in-process one). Call it before the first request. */
void cs_http_budget_set_share(const cs_http_budget_share *share);
/* The in-process implementation, for tests that check a share's contract. */
long cs_http_budget_share_local(void *ctx, const char *key, int64_t slot, long slot_limit,
				long first);

/* A budget outside the registry, as a second process would have it (tests
 * of the shared reservation); free it with cs_http_budget_free. */
cs_http_budget *cs_http_budget_new(const char *key, long limit_per_min);
void cs_http_budget_free(cs_http_budget *b);

/* Test hook: replaces the budget's clocks (monotonic and wall, ms) and its
 * sleep. NULL, or NULL members, restore the real ones. */
typedef struct cs_http_budget_hooks {
	int64_t (*mono_ms)(void);
	int64_t (*wall_ms)(void);
	int (*sleep_ms)(long ms, int (*should_stop)(void));
} cs_http_budget_hooks;
void cs_http_budget_set_hooks(const cs_http_budget_hooks *hooks);

#endif
