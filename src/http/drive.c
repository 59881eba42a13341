/* One transfer of the blocking client (http.c), driven by our own loop over
 * a multi handle instead of curl_easy_perform, because the end of a transfer
 * must not depend on libcurl alone: libcurl 7.88.1, after a failed
 * allocation while it builds a request, can leave a transfer stuck where
 * neither CURLOPT_TIMEOUT_MS nor the progress callback (which carried the
 * stop request) ever fires again, and curl_easy_perform then never returns.
 * Here the stop flag and our deadline (http_int.h) are checked between polls
 * of at most CS_HTTP_TURN_MS, outside every libcurl callback. libcurl still
 * does all the work; this only decides when to stop waiting for it. */
#include "http/http_int.h"

#include "util/timeutil.h"

#include <stdio.h>

/* libcurl's own end of the transfer, if it came: 1 with *rc set. */
static int take_result(CURLM *m, CURLcode *rc)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		if (msg->msg == CURLMSG_DONE) {
			*rc = msg->data.result;
			return 1;
		}
	}
	return 0;
}

/* A failure of the multi interface itself, worded into the error buffer
 * that describe_failure (http.c) reads; not retried. */
static CURLcode multi_failed(cs_http_xfer *x, const char *what, CURLMcode mc)
{
	snprintf(x->errbuf, sizeof(x->errbuf), "%s: %s", what, curl_multi_strerror(mc));
	return mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
}

/* A poll's wait: to the deadline, at most a turn. */
static long clamp_wait(int64_t to_deadline)
{
	return to_deadline <= 0 ? 0 : to_deadline < CS_HTTP_TURN_MS ? (long)to_deadline
								       : CS_HTTP_TURN_MS;
}

CURLcode cs_http_drive(CURLM *m, CURL *c, cs_http_xfer *x)
{
	CURLMcode mc = curl_multi_add_handle(m, c);
	if (mc != CURLM_OK)
		return multi_failed(x, "cannot start the transfer", mc);
	int64_t started = 0, deadline = 0;
	CURLcode rc;
	for (;;) {
		int64_t before = cs_time_mono_ms();
		int running;
		mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			rc = multi_failed(x, "libcurl failed to run the transfer", mc);
			break;
		}
		if (take_result(m, &rc))
			break;
		if (x->should_stop && x->should_stop()) {
			rc = CURLE_ABORTED_BY_CALLBACK; /* worded "interrupted" like the callback's */
			break;
		}
		int64_t now = cs_time_mono_ms();
		if (!started) {
			/* libcurl started its clock in that first perform. */
			started = now;
			deadline = cs_http_deadline(x, started);
		} else if (before >= deadline) {
			/* That perform began a second past libcurl's timeout,
			 * yet libcurl did not end the transfer: it is stuck. */
			rc = cs_http_xfer_abandon(x, now - started);
			break;
		}
		/* libcurl shortens the wait to its own timers. */
		mc = curl_multi_poll(m, NULL, 0, (int)clamp_wait(deadline - now), NULL);
		if (mc != CURLM_OK) {
			rc = multi_failed(x, "libcurl failed to wait for the transfer", mc);
			break;
		}
	}
	curl_multi_remove_handle(m, c);
	return rc;
}
