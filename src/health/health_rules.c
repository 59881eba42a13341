/* The classification rules of `health`, as pure functions (thresholds in
 * health.h and README "health").
 *
 * Never reads a clock, a file or the store: every fact comes in as an
 * argument, so the boundaries are unit-tested exactly. */
#include "health/health.h"

#include <stdio.h>

#define GIB ((uint64_t)1 << 30)
#define MIB ((uint64_t)1 << 20)

int cs_health_freshness_level(int64_t age_ms, long interval_ms)
{
	if (age_ms < 0)
		return CS_HEALTH_WARNING; /* never succeeded */
	if (interval_ms <= 0)
		return CS_HEALTH_OK;
	if (age_ms > 4 * (int64_t)interval_ms)
		return CS_HEALTH_CRITICAL;
	if (age_ms > 2 * (int64_t)interval_ms)
		return CS_HEALTH_WARNING;
	return CS_HEALTH_OK;
}

int cs_health_error_rate_level(int failed, int total)
{
	if (total <= 0 || failed <= 0)
		return CS_HEALTH_OK;
	/* failed/total >= 50% and >= 20%, in integers */
	if (2 * failed >= total)
		return CS_HEALTH_CRITICAL;
	if (5 * failed >= total)
		return CS_HEALTH_WARNING;
	return CS_HEALTH_OK;
}

int cs_health_disk_level(uint64_t avail, uint64_t total)
{
	/* avail/total < 2% and < 10%, as avail*50 < total and avail*10 < total */
	if (avail < 100 * MIB || (total && avail < total / 50))
		return CS_HEALTH_CRITICAL;
	if (avail < GIB || (total && avail < total / 10))
		return CS_HEALTH_WARNING;
	return CS_HEALTH_OK;
}

int64_t cs_health_heartbeat_age(int64_t now, int64_t heartbeat_at_ms)
{
	if (!heartbeat_at_ms)
		return -1;
	return now > heartbeat_at_ms ? now - heartbeat_at_ms : 0;
}

int cs_health_daemon_level(int has_file, int alive, int64_t heartbeat_age_ms)
{
	if (!has_file || !alive)
		return CS_HEALTH_WARNING;
	if (heartbeat_age_ms < 0 || heartbeat_age_ms > CS_HEALTH_HEARTBEAT_MAX_MS)
		return CS_HEALTH_CRITICAL;
	return CS_HEALTH_OK;
}

void cs_health_fmt_age(int64_t ms, char *out, size_t outsz)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;
	if (s < 120)
		snprintf(out, outsz, "%lld s", (long long)s);
	else if (s < 2 * 3600)
		snprintf(out, outsz, "%lld min", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(out, outsz, "%lld h", (long long)(s / 3600));
	else
		snprintf(out, outsz, "%lld d", (long long)(s / 86400));
}
