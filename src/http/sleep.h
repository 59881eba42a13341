#ifndef CS_HTTP_SLEEP_H
#define CS_HTTP_SLEEP_H
/* The one interruptible sleep of the HTTP layer (sleep.c), and how a
 * retry wait is described. */
#include <stddef.h>

/* Sleeps ms, waking early when should_stop fires; returns CS_EINTR then.
 * Tests shorten every wait with CLASSY_SYNC_TEST_TIME_SCALE (a divisor). */
int cs_http_sleep_ms(long ms, int (*should_stop)(void));

/* ms as the waits above take it: divided by CLASSY_SYNC_TEST_TIME_SCALE in
 * tests, unchanged otherwise. The event loop (loop.c) waits on timers, not
 * in this sleep, and scales its waits with this. */
long cs_http_scaled_ms(long ms);

/* A request about to wait before it is tried again (cs_http_opts.on_wait,
 * and the event loop's progress info): what, why and how long. */
typedef struct cs_http_wait {
	const char *method, *url; /* the URL as logs may show it (log_url) */
	const char *label;        /* cs_http_opts.label: what it is for, or NULL */
	const char *why;          /* the last failure in words */
	long status;              /* its HTTP status; 0: a transport failure */
	int retry, max_retries;   /* the attempt to come is retry `retry` of max */
	long wait_ms;             /* the policy's wait (before test scaling) */
} cs_http_wait;

/* "waiting 12 s: HTTP 503 from PEER, retry 3 of 8" (or "PEER: timed out"
 * for a transport failure) into out. */
void cs_http_wait_text(const cs_http_wait *w, const char *peer, char *out, size_t n);

#endif
