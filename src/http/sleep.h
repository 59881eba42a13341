#ifndef CS_HTTP_SLEEP_H
#define CS_HTTP_SLEEP_H
/* The one interruptible sleep of the HTTP layer (sleep.c). */

/* Sleeps ms, waking early when should_stop fires; returns CS_EINTR then.
 * Tests shorten every wait with CLASSY_SYNC_TEST_TIME_SCALE (a divisor). */
int cs_http_sleep_ms(long ms, int (*should_stop)(void));

/* ms as the waits above take it: divided by CLASSY_SYNC_TEST_TIME_SCALE in
 * tests, unchanged otherwise. The event loop (loop.c) waits on timers, not
 * in this sleep, and scales its waits with this. */
long cs_http_scaled_ms(long ms);

#endif
