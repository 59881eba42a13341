/* Waiting that a stop request can cut short: the retry backoff (http.c),
 * the budget's pacing (budget.c) and the Mailchimp batch polls all sleep
 * here. It sits below both http.c and budget.c so neither calls the other
 * back. It must never sleep longer than one slice without looking at the
 * stop flag, and never busy-wait. Tests shorten every wait with
 * CLASSY_SYNC_TEST_TIME_SCALE. */
#include "http/sleep.h"

#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define SLEEP_SLICE_MS 100L
/* Longer waits (31 years) are cut to this before the ms -> us product. */
#define MAX_SLEEP_MS 1000000000000L

static long time_scale(void)
{
	const char *scale_env = getenv("CLASSY_SYNC_TEST_TIME_SCALE");
	long scale = scale_env ? strtol(scale_env, NULL, 10) : 1;
	return scale < 1 ? 1 : scale;
}

long cs_http_scaled_ms(long ms)
{
	return ms > 0 ? ms / time_scale() : 0;
}

int cs_http_sleep_ms(long ms, int (*should_stop)(void))
{
	if (ms > MAX_SLEEP_MS)
		ms = MAX_SLEEP_MS;
	int64_t left_us = ms > 0 ? (int64_t)ms * 1000 / time_scale() : 0;
	/* Sleep in slices so a stop request is noticed within SLEEP_SLICE_MS. */
	for (;;) {
		if (should_stop && should_stop())
			return CS_EINTR;
		if (left_us <= 0)
			return 0;
		int64_t us = left_us < SLEEP_SLICE_MS * 1000 ? left_us : SLEEP_SLICE_MS * 1000;
		struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
			if (should_stop && should_stop())
				return CS_EINTR;
		}
		left_us -= us;
	}
}

void cs_http_wait_text(const cs_http_wait *w, const char *peer, char *out, size_t n)
{
	char why[300];
	if (w->status > 0)
		snprintf(why, sizeof(why), "HTTP %ld from %s", w->status, peer);
	else
		snprintf(why, sizeof(why), "%s: %s", peer, w->why ? w->why : "no answer");
	/* tenths below ten seconds: backoff starts at half a second */
	if (w->wait_ms < 10000)
		snprintf(out, n, "waiting %.1f s: %s, retry %d of %d", w->wait_ms / 1000.0, why,
			 w->retry, w->max_retries);
	else
		snprintf(out, n, "waiting %ld s: %s, retry %d of %d", (w->wait_ms + 500) / 1000, why,
			 w->retry, w->max_retries);
}
