/* A webhook receiver for the daemon's alert tests:
 *   POST /__sandbox/webhook          stores the body, answers 200 (or 500
 *                                    while failures are owed)
 *   POST /__sandbox/webhook/fail?n=N the next N posts answer 500 (not stored)
 *   GET  /__sandbox/webhook          {"posts":[bodies parsed as JSON]}
 *   POST /__sandbox/webhook/reset    forget the posts
 * Process-wide state: one sandbox serves one test.
 *
 * Must never: store a body that is not JSON, or more than MAX_POSTS. */
#include "classy/sb_classy_int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POSTS 1000

static pthread_mutex_t wh_lock = PTHREAD_MUTEX_INITIALIZER;
static char *wh_posts[MAX_POSTS];
static size_t wh_n;
static long wh_fail;

void sb_h_webhook_post(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)c;
	pthread_mutex_lock(&wh_lock);
	if (wh_fail > 0) {
		wh_fail--;
		pthread_mutex_unlock(&wh_lock);
		sb_resp_error(rs, 500, "webhook failure injected");
		return;
	}
	cJSON *j = cJSON_Parse(cs_buf_str(&rq->body));
	char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!txt) {
		pthread_mutex_unlock(&wh_lock);
		sb_resp_error(rs, 400, "the body is not JSON");
		return;
	}
	if (wh_n < MAX_POSTS)
		wh_posts[wh_n++] = txt;
	else
		free(txt);
	pthread_mutex_unlock(&wh_lock);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}

void sb_h_webhook_get(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)c;
	(void)rq;
	cs_buf_reset(&rs->body);
	cs_buf_puts(&rs->body, "{\"posts\":[");
	pthread_mutex_lock(&wh_lock);
	for (size_t i = 0; i < wh_n; i++) {
		if (i)
			cs_buf_puts(&rs->body, ",");
		cs_buf_puts(&rs->body, wh_posts[i]);
	}
	pthread_mutex_unlock(&wh_lock);
	cs_buf_puts(&rs->body, "]}");
	rs->status = 200;
	rs->ctype = "application/json";
}

void sb_h_webhook_fail(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)c;
	const char *v = sb_arg(rq, "n");
	long n;
	if (!v || sb_parse_long(v, 0, 1000000, &n)) {
		sb_resp_error(rs, 400, "invalid 'n': pass ?n=N with N from 0 to 1000000");
		return;
	}
	pthread_mutex_lock(&wh_lock);
	wh_fail = n;
	pthread_mutex_unlock(&wh_lock);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}

void sb_h_webhook_reset(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)c;
	(void)rq;
	pthread_mutex_lock(&wh_lock);
	for (size_t i = 0; i < wh_n; i++)
		free(wh_posts[i]);
	wh_n = 0;
	wh_fail = 0;
	pthread_mutex_unlock(&wh_lock);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}

/* Frees what is stored (at exit, so leak checkers stay quiet). */
void sb_webhook_release(void)
{
	pthread_mutex_lock(&wh_lock);
	for (size_t i = 0; i < wh_n; i++)
		free(wh_posts[i]);
	wh_n = 0;
	pthread_mutex_unlock(&wh_lock);
}
