#ifndef CS_HTTP_SLEEP_H
#define CS_HTTP_SLEEP_H
/* The one interruptible sleep of the HTTP layer (sleep.c). */

/* Sleeps ms, waking early when should_stop fires; returns CS_EINTR then.
 * Tests shorten every wait with CLASSY_SYNC_TEST_TIME_SCALE (a divisor). */
int cs_http_sleep_ms(long ms, int (*should_stop)(void));

#endif
