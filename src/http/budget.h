#ifndef CS_HTTP_BUDGET_H
#define CS_HTTP_BUDGET_H
/* Request budget per API application (client id), budget.c. It honours
 * X-RateLimit-Remaining and paces requests before the server throttles.
 * Budgets are process-wide and looked up by key, so orgs sharing an app
 * share one budget. http.c feeds it every answer; it knows nothing of
 * requests itself. */
#include <stdint.h>

typedef struct cs_http_budget cs_http_budget;

cs_http_budget *cs_http_budget_get(const char *key, long limit_per_min);
/* Blocks until a request may be sent. Returns CS_EINTR if should_stop fires. */
int cs_http_budget_acquire(cs_http_budget *b, int (*should_stop)(void));
void cs_http_budget_update(cs_http_budget *b, long limit, long remaining);
/* As cs_http_budget_update, plus X-RateLimit-Reset (-1 if absent): a Unix time in
 * seconds, or seconds from now when small. cs_http_do calls this. */
void cs_http_budget_observe(cs_http_budget *b, long limit, long remaining, long reset);

/* The pacing rule, pure so it can be tested: how long to wait at now_ms
 * before the next request, given the last known limit and remaining count,
 * the end of the window and when the previous request was let through
 * (0 if never). Zero while remaining is at or above the reserve
 * max(5, 5% of limit); below it the rest of the window is spread evenly
 * over what remains, and with nothing left it waits for the reset. */
long cs_http_budget_pace_ms(long limit, long remaining, int64_t window_end_ms,
			    int64_t last_grant_ms, int64_t now_ms);

/* Test hook: replaces the budget's clocks (monotonic and wall, ms) and its
 * sleep. NULL, or NULL members, restore the real ones. */
typedef struct cs_http_budget_hooks {
	int64_t (*mono_ms)(void);
	int64_t (*wall_ms)(void);
	int (*sleep_ms)(long ms, int (*should_stop)(void));
} cs_http_budget_hooks;
void cs_http_budget_set_hooks(const cs_http_budget_hooks *hooks);

#endif
