/* The Classy half's policy state, behind one lock: the knobs, the counters
 * behind /__sandbox/stats (API requests per second among them), the
 * per-application rate window (a fixed minute, with X-RateLimit headers as
 * the real API sends them) and the seeded fault dice (drops, 500, HTML 503,
 * 429 storms, truncated bodies).
 *
 * Must never: route or answer a request on its own; sb_classy.c decides
 * when each rule applies. One splitmix stream serves every fault roll and
 * cut, in request order, so a seeded run injects the same faults each time. */
#include "classy/sb_classy_int.h"

#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

void sb_policy_init(sb_policy *p, const sb_knobs *k, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->knobs = *k;
	p->rng.s = sb_hash(seed, 0xfa017, 0);
}

void sb_policy_release(sb_policy *p)
{
	pthread_mutex_destroy(&p->lock);
}

void sb_policy_knobs(sb_policy *p, sb_knobs *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->knobs;
	pthread_mutex_unlock(&p->lock);
}

void sb_policy_set_knobs(sb_policy *p, const sb_knobs *k)
{
	pthread_mutex_lock(&p->lock);
	p->knobs = *k;
	pthread_mutex_unlock(&p->lock);
}

/* ---- counters ---- */

void sb_policy_count_request(sb_policy *p, const char *path, int token)
{
	pthread_mutex_lock(&p->lock);
	p->requests++;
	if (token)
		p->token_requests++;
	size_t i = 0;
	while (i < p->npaths && strcmp(p->paths[i].path, path))
		i++;
	if (i == p->npaths && p->npaths < SB_MAX_PATHS) {
		snprintf(p->paths[i].path, sizeof(p->paths[0].path), "%s", path);
		p->paths[p->npaths++].n = 0;
	}
	if (i < p->npaths)
		p->paths[i].n++;
	if (!token) {
		int64_t sec = cs_time_now_ms() / 1000;
		int k = (int)(sec % SB_SECONDS);
		if (p->per_second[k].sec != sec)
			p->per_second[k].sec = sec, p->per_second[k].n = 0;
		p->per_second[k].n++;
	}
	pthread_mutex_unlock(&p->lock);
}

void sb_policy_count_list(sb_policy *p)
{
	pthread_mutex_lock(&p->lock);
	p->list_requests++;
	pthread_mutex_unlock(&p->lock);
}

void sb_policy_stats(sb_policy *p, cs_buf *out)
{
	pthread_mutex_lock(&p->lock);
	cs_buf_printf(out,
		      "{\"requests\":%llu,\"list_requests\":%llu,\"token_requests\":%llu,"
		      "\"throttled\":%llu,\"faults\":%llu,\"by_path\":{",
		      (unsigned long long)p->requests, (unsigned long long)p->list_requests,
		      (unsigned long long)p->token_requests, (unsigned long long)p->throttled,
		      (unsigned long long)p->faults);
	for (size_t i = 0; i < p->npaths; i++) {
		if (i)
			cs_buf_puts(out, ",");
		cs_buf_json_str(out, p->paths[i].path);
		cs_buf_printf(out, ":%llu", (unsigned long long)p->paths[i].n);
	}
	/* [[unix second, API requests], ...] of the last hour, oldest first */
	cs_buf_puts(out, "},\"per_second\":[");
	int64_t now = cs_time_now_ms() / 1000;
	int first = 1;
	for (int64_t sec = now - SB_SECONDS + 1; sec <= now; sec++) {
		int k = (int)(sec % SB_SECONDS);
		if (p->per_second[k].sec != sec || !p->per_second[k].n)
			continue;
		cs_buf_printf(out, "%s[%lld,%llu]", first ? "" : ",", (long long)sec,
			      (unsigned long long)p->per_second[k].n);
		first = 0;
	}
	cs_buf_puts(out, "]}");
	pthread_mutex_unlock(&p->lock);
}

void sb_policy_reset_stats(sb_policy *p)
{
	pthread_mutex_lock(&p->lock);
	p->requests = p->list_requests = p->token_requests = p->throttled = p->faults = 0;
	p->npaths = 0;
	memset(p->per_second, 0, sizeof(p->per_second));
	p->win_end_ms = 0; /* the next request starts a new window */
	pthread_mutex_unlock(&p->lock);
}

/* ---- the rate window ---- */

int sb_policy_rate_limit(sb_policy *p, int take, sb_resp *rs)
{
	pthread_mutex_lock(&p->lock);
	long limit = p->knobs.rate_limit;
	int64_t now = cs_time_mono_ms();
	int throttled = 0;
	if (limit <= 0) {
		pthread_mutex_unlock(&p->lock);
		return 0; /* unlimited: like Classy's internal apps, no headers */
	}
	if (p->win_end_ms <= now) {
		p->win_end_ms = now + 60000;
		p->win_end_unix = (cs_time_now_ms() + 60000 + 999) / 1000;
		p->win_count = 0;
	}
	if (take && p->win_count >= limit) {
		throttled = 1;
		p->throttled++;
	} else if (take) {
		p->win_count++;
	}
	long remaining = limit - p->win_count, retry = (p->win_end_ms - now + 999) / 1000;
	int64_t reset = p->win_end_unix;
	pthread_mutex_unlock(&p->lock);
	sb_resp_header(rs, "X-RateLimit-Limit", "%ld", limit);
	sb_resp_header(rs, "X-RateLimit-Remaining", "%ld", remaining > 0 ? remaining : 0);
	if (throttled) {
		retry = retry < 1 ? 1 : retry;
		sb_resp_header(rs, "Retry-After", "%ld", retry);
		sb_resp_header(rs, "X-RateLimit-Reset", "%lld", (long long)reset);
		rs->status = 429;
		cs_buf_reset(&rs->body);
		cs_buf_printf(&rs->body, "{\"message\":\"Too Many Attempts.\",\"retry_after\":%ld}",
			      retry);
	}
	return throttled;
}

/* ---- fault dice ---- */

int sb_policy_roll_fault(sb_policy *p)
{
	int f = SB_FAULT_NONE;
	pthread_mutex_lock(&p->lock);
	double x = sb_rng_unit(&p->rng);
	const sb_knobs *k = &p->knobs;
	if (x < k->drop_rate)
		f = SB_FAULT_DROP;
	else if (x < k->drop_rate + k->fail_rate)
		f = sb_rng_below(&p->rng, 2) ? SB_FAULT_503 : SB_FAULT_500;
	else if (x < k->drop_rate + k->fail_rate + k->throttle_rate)
		f = SB_FAULT_429;
	if (f == SB_FAULT_429)
		p->throttled++;
	else if (f)
		p->faults++;
	pthread_mutex_unlock(&p->lock);
	return f;
}

void sb_policy_inject(sb_resp *rs, int fault)
{
	if (fault == SB_FAULT_429) {
		/* A storm from other tenants of the same app: the real answer shape. */
		sb_resp_header(rs, "X-RateLimit-Remaining", "0");
		sb_resp_header(rs, "Retry-After", "1");
		sb_resp_json(rs, 429, "{\"message\":\"Too Many Attempts.\",\"retry_after\":1}");
		return;
	}
	if (fault == SB_FAULT_500) {
		sb_resp_json(rs, 500, "{\"error\":\"Server Error\"}");
		return;
	}
	/* A load balancer in front of the API answers 503 in HTML, not JSON. */
	rs->status = 503;
	rs->ctype = "text/html";
	cs_buf_reset(&rs->body);
	cs_buf_puts(&rs->body, "<html><head><title>503 Service Temporarily Unavailable</title>"
			       "</head><body><center><h1>503 Service Temporarily Unavailable"
			       "</h1></center></body></html>\n");
}

/* The cut lands between a tenth and nine tenths of the body; half the cuts
 * declare the short length (see sb_resp.short_length). */
void sb_policy_roll_truncate(sb_policy *p, sb_resp *rs)
{
	size_t len = rs->body.len;
	pthread_mutex_lock(&p->lock);
	if (sb_rng_unit(&p->rng) < p->knobs.truncate_rate) {
		p->faults++;
		rs->mode = SB_RESP_TRUNCATE;
		rs->cut = len / 10 + (size_t)sb_rng_below(&p->rng, len * 8 / 10 + 1);
		rs->short_length = (int)sb_rng_below(&p->rng, 2);
	}
	pthread_mutex_unlock(&p->lock);
}
