#ifndef TEST_HTTP_DONE_H
#define TEST_HTTP_DONE_H
/* The event loop's calls report here (on_done, on the loop's thread); the
 * test thread waits for a count of them (wait_done), never for a time. */
#include "http/loop.h"

#include <pthread.h>

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_done;

__attribute__((unused)) static void on_done(cs_http_call *call, void *ud)
{
	(void)call, (void)ud;
	pthread_mutex_lock(&g_mu);
	g_done++;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
}

__attribute__((unused)) static void wait_done(int n)
{
	pthread_mutex_lock(&g_mu);
	while (g_done < n)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
}

#endif
