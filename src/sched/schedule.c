/* The timetable: which job may start now, when the loop should wake, what a
 * finished run means for the next one (the rules are in schedule.h). The
 * timetable is small (orgs x 5 jobs), so every decision is a plain scan:
 * easy to check, and no index to keep in step with the jobs.
 *
 * Never reads a clock, sleeps or starts a thread: every call takes the
 * time, so tests drive it with a fake clock. Never frees a job the loop
 * still runs: retired jobs wait until their run ends. */
#include "sched/schedule.h"
#include "util/json.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>


#define DAY_MS 86400000LL
#define MINUTE_MS 60000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* ---- lookups ---------------------------------------------------------- */

cs_sched_job *cs_sched_find(const cs_sched *s, long long org_id, int kind)
{
	for (size_t i = 0; i < s->njobs && !s->jobs[i]->retired; i++)
		if (s->jobs[i]->org_id == org_id && s->jobs[i]->kind == kind)
			return s->jobs[i];
	return NULL;
}

size_t cs_sched_running(const cs_sched *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->njobs; i++)
		n += s->jobs[i]->running != 0;
	return n;
}

/* Live or retired: an org that comes back takes its retired jobs back. */
static cs_sched_job *find_any(const cs_sched *s, long long org_id, int kind)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i]->org_id == org_id && s->jobs[i]->kind == kind)
			return s->jobs[i];
	return NULL;
}


static cs_sched_org *org_state(const cs_sched *s, long long org_id)
{
	for (size_t i = 0; i < s->norgs; i++)
		if (s->orgs[i].org_id == org_id)
			return &s->orgs[i];
	return NULL;
}

/* ---- nightly full reconciliation ------------------------------------- */

/* When the org's next nightly run falls due; <= now when it is owed now.
 * Unix time has no leap seconds, so a UTC day is exactly DAY_MS. */
static int64_t next_trigger(const cs_sched_org *o, int64_t now)
{
	int64_t day = floor_div(now, DAY_MS);
	int64_t at = day * DAY_MS + o->nightly_minute * MINUTE_MS;
	return o->last_full_day >= day ? at + DAY_MS : at;
}

/* A start never owes a full run by itself: if today's time has passed, the
 * first one is tomorrow's. Otherwise every restart would reconcile. */
static int64_t initial_full_day(long minute, int64_t now)
{
	int64_t day = floor_div(now, DAY_MS);
	if (minute < 0 || now >= day * DAY_MS + minute * MINUTE_MS)
		return day;
	return day - 1;
}

int cs_sched_full_due(cs_sched *s, int64_t now_ms)
{
	int fired = 0;
	for (size_t i = 0; i < s->norgs; i++) {
		cs_sched_org *o = &s->orgs[i];
		if (o->nightly_minute < 0 || next_trigger(o, now_ms) > now_ms)
			continue;
		int64_t at = next_trigger(o, now_ms);
		o->last_full_day = floor_div(now_ms, DAY_MS);
		for (int k = 0; k < CS_ENT_COUNT; k++) {
			cs_sched_job *j = cs_sched_find(s, o->org_id, k);
			if (!j)
				continue;
			j->full_pending = 1;
			if (!j->running) /* a running one gets it when it finishes */
				j->next_due_ms = min64(j->next_due_ms, at);
		}
		cs_info("nightly full sync due for org %lld", o->org_id);
		fired++;
	}
	return fired;
}

/* ---- starting and finishing ------------------------------------------ */

/* A running job whose turn came round again skips that turn (or several,
 * for a very long run); counted here, lazily, from the due time itself, so
 * the count is exact whenever it is looked at. */
static void account_overlap(cs_sched_job *j, int64_t now)
{
	if (!j->running || j->retired || j->next_due_ms > now)
		return;
	long long turns = (now - j->next_due_ms) / j->interval_ms + 1;
	j->skipped_overlap += turns;
	j->next_due_ms += turns * j->interval_ms;
	if (turns > 1)
		cs_info("skipped %lld/%s: previous run still going (%lld turns)", j->org_id,
			cs_sched_job_kind_name(j->kind), turns);
	else
		cs_info("skipped %lld/%s: previous run still going", j->org_id,
			cs_sched_job_kind_name(j->kind));
}

int cs_sched_started(cs_sched_job *job, int64_t now_ms)
{
	if (job->running)
		return CS_ECONFLICT;
	job->running = 1;
	job->started_ms = now_ms;
	job->full = job->full_pending;
	job->full_pending = 0;
	/* provisional: when this turn would come round again, for overlaps */
	job->next_due_ms = now_ms + job->interval_ms;
	return 0;
}

int cs_sched_finished(cs_sched_job *job, int64_t now_ms, int status, int64_t duration_ms)
{
	if (!job->running)
		return CS_ERR;
	account_overlap(job, now_ms);
	job->running = 0;
	job->runs++;
	job->last_finish_ms = now_ms;
	job->last_duration_ms = duration_ms;
	job->last_status = status == CS_SCHED_JOB_OK        ? CS_SCHED_JOB_OK
			   : status == CS_SCHED_JOB_PARTIAL ? CS_SCHED_JOB_PARTIAL
							    : CS_SCHED_JOB_FAILED;
	if (job->last_status == CS_SCHED_JOB_OK) {
		job->consecutive_failures = 0;
		job->last_success_ms = now_ms;
	} else {
		job->consecutive_failures++;
	}
	/* finish-based, see schedule.h; an owed full run does not wait */
	job->next_due_ms = job->full_pending ? now_ms : now_ms + job->interval_ms;
	return 0;
}

/* Frees retired jobs whose run has ended; they sit after the live ones. */
static void sweep_retired(cs_sched *s)
{
	size_t w = 0;
	for (size_t i = 0; i < s->njobs; i++) {
		if (s->jobs[i]->retired && !s->jobs[i]->running)
			free(s->jobs[i]);
		else
			s->jobs[w++] = s->jobs[i];
	}
	s->njobs = w;
}

/* The latest start of any job of the org whose group begins at start. */
static int64_t org_last_start(const cs_sched *s, size_t start)
{
	int64_t last = 0;
	for (size_t i = start; i < s->njobs && !s->jobs[i]->retired &&
			       s->jobs[i]->org_id == s->jobs[start]->org_id;
	     i++)
		if (s->jobs[i]->started_ms > last)
			last = s->jobs[i]->started_ms;
	return last;
}

/* One org's group of live jobs, which starts at index start (live jobs are
 * grouped by org, in kind order): *end gets the group's end, *busy whether
 * one of its jobs runs. Returns the job the org would start now, if idle:
 * the due job passed over longest (due before the org last started
 * another), else its first due job in kind order. */
static cs_sched_job *org_candidate(const cs_sched *s, size_t start, size_t *end, int *busy,
				   int64_t now)
{
	long long org = s->jobs[start]->org_id;
	int64_t last = org_last_start(s, start);
	cs_sched_job *first = NULL, *passed = NULL;
	size_t i = start;
	/* Retired jobs never share an org with live ones (a reload that brings
	 * the org back reclaims them), so the group alone says if it is busy. */
	*busy = 0;
	for (; i < s->njobs && !s->jobs[i]->retired && s->jobs[i]->org_id == org; i++) {
		cs_sched_job *j = s->jobs[i];
		*busy |= j->running;
		if (j->running || j->next_due_ms > now)
			continue;
		if (!first)
			first = j;
		if (j->next_due_ms < last && (!passed || j->next_due_ms < passed->next_due_ms))
			passed = j;
	}
	*end = i;
	return *busy ? NULL : passed ? passed : first;
}

int cs_sched_next(cs_sched *s, int64_t now_ms, cs_sched_job **out)
{
	*out = NULL;
	cs_sched_full_due(s, now_ms);
	sweep_retired(s);
	for (size_t i = 0; i < s->njobs; i++)
		account_overlap(s->jobs[i], now_ms);
	if ((long)cs_sched_running(s) >= s->max_running)
		return 0;

	cs_sched_job *best = NULL;
	size_t end;
	int busy;
	for (size_t i = 0; i < s->njobs && !s->jobs[i]->retired; i = end) {
		cs_sched_job *cand = org_candidate(s, i, &end, &busy, now_ms);
		if (cand && (!best || cand->next_due_ms < best->next_due_ms))
			best = cand;
	}
	if (!best)
		return 0;
	cs_sched_started(best, now_ms);
	*out = best;
	return 1;
}

int64_t cs_sched_wake_ms(const cs_sched *s, int64_t now_ms)
{
	if ((long)cs_sched_running(s) >= s->max_running)
		return CS_SCHED_NEVER;
	int64_t wake = CS_SCHED_NEVER;
	size_t end;
	int busy;
	for (size_t i = 0; i < s->njobs && !s->jobs[i]->retired; i = end) {
		long long org = s->jobs[i]->org_id;
		org_candidate(s, i, &end, &busy, now_ms);
		/* a busy org starts nothing before its running job ends */
		if (busy)
			continue;
		/* the earliest due job of an idle org is startable when due: an
		 * earlier kind due by then would only start sooner */
		for (size_t k = i; k < end; k++)
			wake = min64(wake, s->jobs[k]->next_due_ms);
		const cs_sched_org *o = org_state(s, org);
		if (o && o->nightly_minute >= 0)
			wake = min64(wake, next_trigger(o, now_ms));
	}
	return wake < now_ms ? now_ms : wake;
}

/* ---- building and reloading ------------------------------------------ */

/* The enabled orgs of ids, in order, without duplicates. */
static size_t enabled_orgs(const cs_dconfig *cfg, const long long *ids, size_t n, long long *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;
		for (size_t k = 0; k < m && !seen; k++)
			seen = out[k] == ids[i];
		if (!seen && cs_dconfig_org_enabled(cfg, ids[i]))
			out[m++] = ids[i];
	}
	return m;
}

/* Where a reused job's next run falls under a new interval: from its last
 * finish; a job that never finished keeps its staggered first run unless
 * the new interval brings it closer. Running jobs decide at finish. */
static void retime(cs_sched_job *j, long interval, int64_t now)
{
	j->interval_ms = interval;
	if (j->running)
		j->next_due_ms = j->started_ms + interval;
	else if (j->full_pending)
		return; /* owed now-ish already */
	else if (j->last_finish_ms)
		j->next_due_ms = j->last_finish_ms + interval;
	else
		j->next_due_ms = min64(j->next_due_ms, now + interval);
}

static void fresh_job(cs_sched_job *j, long long org, int kind, long interval, int64_t first_due)
{
	memset(j, 0, sizeof(*j));
	j->org_id = org;
	j->kind = kind;
	j->interval_ms = interval;
	j->next_due_ms = first_due;
	j->last_duration_ms = -1;
	j->last_status = CS_SCHED_JOB_NEVER;
}

static int64_t stagger(size_t i, size_t n, long interval)
{
	int64_t spread = min64(interval, CS_SCHED_STAGGER_MS);
	return spread * (int64_t)i / (int64_t)n;
}

int cs_sched_reload(cs_sched *s, const cs_dconfig *cfg, const long long *org_ids, size_t norgs,
		    int64_t now_ms)
{
	long long *ids = norgs ? malloc(norgs * sizeof(*ids)) : NULL;
	size_t n = ids ? enabled_orgs(cfg, org_ids, norgs, ids) : 0;
	size_t nlive = n * CS_SCHED_JOB_KINDS;
	cs_sched_job **jobs = malloc((nlive + s->njobs + 1) * sizeof(*jobs));
	cs_sched_org *orgs = calloc(n + 1, sizeof(*orgs));
	int oom = (norgs && !ids) || !jobs || !orgs;

	/* Pass 1 only allocates, so running out of memory changes nothing. */
	for (size_t i = 0; i < nlive && !oom; i++) {
		jobs[i] = find_any(s, ids[i / CS_SCHED_JOB_KINDS], (int)(i % CS_SCHED_JOB_KINDS));
		if (!jobs[i] && !(jobs[i] = malloc(sizeof(cs_sched_job)))) {
			for (size_t k = 0; k < i; k++)
				if (!find_any(s, ids[k / CS_SCHED_JOB_KINDS],
					      (int)(k % CS_SCHED_JOB_KINDS)))
					free(jobs[k]);
			oom = 1;
		}
	}
	if (oom) {
		free(ids);
		free(jobs);
		free(orgs);
		return CS_ERR;
	}

	/* Pass 2: retime the jobs kept, set up the new ones. */
	for (size_t i = 0; i < nlive; i++) {
		long long org = ids[i / CS_SCHED_JOB_KINDS];
		int kind = (int)(i % CS_SCHED_JOB_KINDS);
		/* the config guarantees >= 1000; a zeroed struct must not spin the loop */
		long interval = cs_dconfig_interval_ms(cfg, org, kind);
		if (interval < 1000)
			interval = 1000;
		if (jobs[i] == find_any(s, org, kind)) {
			jobs[i]->retired = 0;
			retime(jobs[i], interval, now_ms);
		} else {
			int64_t first = now_ms + stagger(i, nlive, interval);
			fresh_job(jobs[i], org, kind, interval, first);
		}
	}
	/* Old jobs left out: running ones retire, the rest go. */
	size_t total = nlive;
	for (size_t i = 0; i < s->njobs; i++) {
		cs_sched_job *j = s->jobs[i];
		int kept = 0;
		for (size_t k = 0; k < nlive && !kept; k++)
			kept = jobs[k] == j;
		if (kept)
			continue;
		if (j->running) {
			j->retired = 1;
			jobs[total++] = j;
		} else {
			free(j);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const cs_sched_org *old = org_state(s, ids[i]);
		orgs[i].org_id = ids[i];
		orgs[i].nightly_minute = cs_dconfig_nightly_minute(cfg, ids[i]);
		/* a day already served stays served, so a reload never fires twice */
		orgs[i].last_full_day = old && old->nightly_minute >= 0
						? old->last_full_day
						: initial_full_day(orgs[i].nightly_minute, now_ms);
	}
	free(s->jobs);
	free(s->orgs);
	free(ids);
	s->jobs = jobs;
	s->njobs = total;
	s->orgs = orgs;
	s->norgs = n;
	s->max_running = cfg->max_concurrent_jobs > 0 ? cfg->max_concurrent_jobs : 1;
	return 0;
}

int cs_sched_init(cs_sched *s, const cs_dconfig *cfg, const long long *org_ids, size_t norgs,
		  int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	return cs_sched_reload(s, cfg, org_ids, norgs, now_ms);
}

void cs_sched_release(cs_sched *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->njobs; i++)
		free(s->jobs[i]);
	free(s->jobs);
	free(s->orgs);
	memset(s, 0, sizeof(*s));
}

/* ---- JSON for `daemon schedule --json` -------------------------------- */


static const char *status_name(int status)
{
	switch (status) {
	case CS_SCHED_JOB_OK:
		return "ok";
	case CS_SCHED_JOB_PARTIAL:
		return "partial";
	case CS_SCHED_JOB_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

static cJSON *job_json(const cs_sched *s, const cs_sched_job *j, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	const cs_sched_org *org = org_state(s, j->org_id);
	int nightly = !j->retired && j->kind < CS_ENT_COUNT && org && org->nightly_minute >= 0;
	const char *st = status_name(j->last_status);
	int bad = !o;
	bad = bad || !cJSON_AddNumberToObject(o, "org", (double)j->org_id);
	bad = bad || !cJSON_AddStringToObject(o, "kind", cs_sched_job_kind_name(j->kind));
	bad = bad || !cJSON_AddNumberToObject(o, "interval_ms", (double)j->interval_ms);
	/* a running job's next run is decided when it finishes */
	bad = bad || cs_json_add_time(o, "next_run", j->next_due_ms, !j->running && !j->retired);
	bad = bad || cs_json_add_time(o, "next_full_run", nightly ? next_trigger(org, now) : 0, nightly);
	bad = bad || cs_json_add_time(o, "last_run", j->last_finish_ms, j->last_finish_ms != 0);
	bad = bad || !(j->last_duration_ms >= 0
			       ? cJSON_AddNumberToObject(o, "last_duration_ms",
							 (double)j->last_duration_ms)
			       : cJSON_AddNullToObject(o, "last_duration_ms"));
	bad = bad || !(st ? cJSON_AddStringToObject(o, "last_status", st)
			  : cJSON_AddNullToObject(o, "last_status"));
	bad = bad || !cJSON_AddBoolToObject(o, "running", j->running);
	bad = bad || !cJSON_AddBoolToObject(o, "full", j->running && j->full);
	bad = bad || !cJSON_AddBoolToObject(o, "full_pending", j->full_pending);
	bad = bad || !cJSON_AddNumberToObject(o, "consecutive_failures", j->consecutive_failures);
	bad = bad || !cJSON_AddNumberToObject(o, "skipped_overlap", (double)j->skipped_overlap);
	bad = bad || !cJSON_AddNumberToObject(o, "runs", (double)j->runs);
	if (bad) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *cs_sched_to_json(const cs_sched *s, int64_t now_ms)
{
	cJSON *root = cJSON_CreateObject(), *jobs = NULL;
	int bad = !root || cs_json_add_time(root, "now", now_ms, 1) ||
		  !cJSON_AddNumberToObject(root, "max_concurrent_jobs", (double)s->max_running) ||
		  !cJSON_AddNumberToObject(root, "running", (double)cs_sched_running(s)) ||
		  !(jobs = cJSON_AddArrayToObject(root, "jobs"));
	for (size_t i = 0; i < s->njobs && !bad; i++) {
		cJSON *j = job_json(s, s->jobs[i], now_ms);
		bad = !j || !cJSON_AddItemToArray(jobs, j);
	}
	if (bad) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
