#include "sched/schedule.h"

#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Every test runs on an injected clock: plain int64 milliseconds that the
 * test moves forward. Nothing sleeps. */

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static int64_t at(const char *iso)
{
	int64_t ms;
	assert_int_equal(cs_time_parse(iso, &ms, NULL), 0);
	return ms;
}

static void config(cs_dconfig *cfg, const char *json)
{
	cs_err err;
	if (cs_dconfig_parse(json, "<test>", cfg, &err))
		fail_msg("test config rejected: %s", err.msg);
}

/* The job cs_sched_next hands out now, or NULL. */
static cs_sched_job *next(cs_sched *s, int64_t now)
{
	cs_sched_job *j = (cs_sched_job *)1;
	int rc = cs_sched_next(s, now, &j);
	assert_true(rc == 0 || rc == 1);
	assert_true(rc == 1 ? j != NULL : j == NULL);
	return j;
}

static void expect_next(cs_sched *s, int64_t now, long long org, int kind)
{
	cs_sched_job *j = next(s, now);
	if (!j || j->org_id != org || j->kind != kind)
		fail_msg("expected %lld/%s, got %s%lld/%s", org, cs_sched_job_kind_name(kind),
			 j ? "" : "nothing ", j ? j->org_id : 0LL,
			 j ? cs_sched_job_kind_name(j->kind) : "");
	assert_true(j->running);
}

static void finish(cs_sched *s, long long org, int kind, int64_t now, int status)
{
	cs_sched_job *j = cs_sched_find(s, org, kind);
	assert_non_null(j);
	assert_int_equal(cs_sched_finished(j, now, status, now - j->started_ms), 0);
}

/* Each org's jobs in kind order, orgs in the given order: job i of N is
 * first due at now + i * min(interval, 60 s) / N. */
static void test_first_runs_are_staggered(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"syncIntervals\": {\"transactions\": 20000}, \"maxConcurrentJobs\": 16}");
	const long long orgs[] = {1001, 2002, 1001}; /* a duplicate is ignored */
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 3, t0), 0);
	assert_int_equal(s.njobs, 10);
	for (size_t i = 0; i < 10; i++) {
		const cs_sched_job *j = s.jobs[i];
		assert_int_equal(j->org_id, i < 5 ? 1001 : 2002);
		assert_int_equal(j->kind, (int)(i % 5));
		int64_t spread = j->kind == CS_ENT_TRANSACTIONS ? 20000 : 60000;
		assert_int_equal(j->next_due_ms, t0 + spread * (int64_t)i / 10);
		assert_true(j->next_due_ms - t0 < j->interval_ms);
	}
	/* at t0 only the very first job may start; org 1 is then busy, and
	 * org 2's first due job is transactions (job 7: 7 * 20 s / 10) */
	expect_next(&s, t0, 1001, CS_ENT_CAMPAIGNS);
	assert_null(next(&s, t0));
	assert_int_equal(cs_sched_wake_ms(&s, t0), t0 + 14000);
	assert_null(next(&s, t0 + 13999));
	expect_next(&s, t0 + 14000, 2002, CS_ENT_TRANSACTIONS);
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);
}

static void test_nothing_starts_twice(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"maxConcurrentJobs\": 16}");
	const long long org = 7;
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t0), 0);
	cs_sched_job *j = next(&s, t0);
	assert_non_null(j);
	for (int64_t t = t0; t < t0 + 3 * HOUR; t += 10 * MIN)
		assert_null(next(&s, t)); /* neither it nor (same org) anything else */
	assert_int_equal(cs_sched_started(j, t0 + 3 * HOUR), CS_ECONFLICT);
	assert_int_equal(cs_sched_running(&s), 1);
	assert_int_equal(cs_sched_finished(j, t0 + 3 * HOUR, 0, 3 * HOUR), 0);
	assert_int_equal(cs_sched_finished(j, t0 + 3 * HOUR, 0, 3 * HOUR), CS_ERR);
	assert_int_equal(j->runs, 1);
	cs_sched_release(&s);
}

/* A run longer than its interval: each turn that comes round meanwhile is
 * skipped and counted, whether or not the loop looked at that moment. */
static void test_overlap_is_skipped_and_counted(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"syncIntervals\": {\"campaigns\": 10000}}");
	const long long org = 7;
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t0), 0);
	cs_sched_job *j = next(&s, t0);
	assert_int_equal(j->kind, CS_ENT_CAMPAIGNS);
	assert_null(next(&s, t0 + 9999));
	assert_int_equal(j->skipped_overlap, 0);
	assert_null(next(&s, t0 + 10000)); /* its turn: still going, skipped */
	assert_int_equal(j->skipped_overlap, 1);
	assert_null(next(&s, t0 + 15000)); /* same turn, counted once */
	assert_int_equal(j->skipped_overlap, 1);
	/* turns at +20 s and +30 s pass unobserved; the finish counts them */
	assert_int_equal(cs_sched_finished(j, t0 + 35000, 0, 35000), 0);
	assert_int_equal(j->skipped_overlap, 3);
	assert_int_equal(j->next_due_ms, t0 + 45000);
	cs_sched_release(&s);
}

static void test_cap_is_respected(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"maxConcurrentJobs\": 2}");
	const long long orgs[] = {1, 2, 3, 4};
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 4, t0), 0);
	int64_t t = t0 + MIN; /* everything is due */
	expect_next(&s, t, 1, CS_ENT_CAMPAIGNS);
	expect_next(&s, t, 2, CS_ENT_CAMPAIGNS);
	assert_null(next(&s, t));
	assert_int_equal(cs_sched_wake_ms(&s, t), CS_SCHED_NEVER);
	finish(&s, 1, CS_ENT_CAMPAIGNS, t + SEC, 0);
	/* org 1's supporters (due t0 + 3 s) was due before org 3's campaigns
	 * (t0 + 30 s): among idle orgs the job due first goes first */
	expect_next(&s, t + SEC, 1, CS_ENT_SUPPORTERS);
	assert_null(next(&s, t + SEC));
	assert_int_equal(cs_sched_running(&s), 2);
	cs_sched_release(&s);
}

static void test_org_entity_order(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"maxConcurrentJobs\": 16, \"syncIntervals\": {\"campaigns\": 20000,"
		     "\"supporters\": 10000}}");
	const long long org = 7;
	cs_sched s;
	int64_t t = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t), 0);
	t += MIN;
	const int order[] = {CS_ENT_CAMPAIGNS, CS_ENT_SUPPORTERS, CS_ENT_TRANSACTIONS,
			     CS_ENT_RECURRING_PLANS, CS_SCHED_JOB_PLUGINS};
	for (int i = 0; i < 5; i++) {
		expect_next(&s, t, org, order[i]);
		assert_null(next(&s, t + SEC)); /* the rest of the org waits */
		t += 2 * SEC;
		finish(&s, org, order[i], t, 0);
	}
	/* supporters (every 10 s) is due before campaigns (every 20 s), but once
	 * both are due the earlier kind goes first */
	int64_t sup_due = cs_sched_find(&s, org, CS_ENT_SUPPORTERS)->next_due_ms;
	int64_t camp_due = cs_sched_find(&s, org, CS_ENT_CAMPAIGNS)->next_due_ms;
	assert_true(sup_due < camp_due);
	expect_next(&s, camp_due, org, CS_ENT_CAMPAIGNS);
	/* then supporters, which waited for it */
	finish(&s, org, CS_ENT_CAMPAIGNS, camp_due + SEC, 0);
	expect_next(&s, camp_due + SEC, org, CS_ENT_SUPPORTERS);
	cs_sched_release(&s);
}

/* Every kind is due again before its siblings have all run (intervals
 * shorter than three runs, as on an overloaded daemon): kind order alone
 * would run campaigns, supporters and transactions forever; a job passed
 * over once goes next, so every kind keeps running. */
static void test_no_kind_starves(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"syncIntervals\": {\"campaigns\": 1000, \"supporters\": 1000,"
		     "\"transactions\": 1000, \"recurringPlans\": 1000, \"plugins\": 1000}}");
	const long long org = 7;
	cs_sched s;
	int64_t t = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t), 0);
	int ran[CS_SCHED_JOB_KINDS] = {0};
	t += MIN;
	for (int i = 0; i < 50; i++) {
		cs_sched_job *j = next(&s, t);
		assert_non_null(j);
		ran[j->kind]++;
		t += SEC / 2; /* three runs outlast every interval */
		finish(&s, org, j->kind, t, 0);
	}
	for (int k = 0; k < CS_SCHED_JOB_KINDS; k++)
		if (ran[k] < 50 / CS_SCHED_JOB_KINDS - 1)
			fail_msg("%s ran %d times in 50 runs", cs_sched_job_kind_name(k), ran[k]);
	cs_sched_release(&s);
}

/* The next run is one interval after the previous one finished. */
static void test_interval_counts_from_finish(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"syncIntervals\": {\"campaigns\": 60000}}");
	const long long org = 7;
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t0), 0);
	cs_sched_job *j = next(&s, t0);
	int64_t end = t0 + 45000;
	assert_int_equal(cs_sched_finished(j, end, CS_SCHED_JOB_FAILED, 45000), 0);
	assert_int_equal(j->next_due_ms, end + 60000);
	assert_int_equal(j->consecutive_failures, 1);
	assert_int_equal(j->last_status, CS_SCHED_JOB_FAILED);
	assert_int_equal(j->last_duration_ms, 45000);
	/* the other kinds go in between; campaigns not before end + 60 s */
	for (int64_t t = end; t < end + 60000; t += 1000) {
		cs_sched_job *o = next(&s, t);
		assert_true(o == NULL || o->kind != CS_ENT_CAMPAIGNS);
		if (o)
			assert_int_equal(cs_sched_finished(o, t, 0, 0), 0);
	}
	expect_next(&s, end + 60000, org, CS_ENT_CAMPAIGNS);
	finish(&s, org, CS_ENT_CAMPAIGNS, end + 61000, 2); /* any other exit code: failed */
	assert_int_equal(j->consecutive_failures, 2);
	expect_next(&s, end + 121000, org, CS_ENT_CAMPAIGNS);
	finish(&s, org, CS_ENT_CAMPAIGNS, end + 122000, CS_SCHED_JOB_PARTIAL);
	assert_int_equal(j->consecutive_failures, 3);
	assert_int_equal(j->last_status, CS_SCHED_JOB_PARTIAL);
	expect_next(&s, end + 182000, org, CS_ENT_CAMPAIGNS);
	finish(&s, org, CS_ENT_CAMPAIGNS, end + 183000, CS_SCHED_JOB_OK);
	assert_int_equal(j->consecutive_failures, 0);
	assert_int_equal(j->last_success_ms, end + 183000);
	cs_sched_release(&s);
}

static void test_per_org_overrides(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"organizations\": {\"1001\": {\"syncIntervals\": {\"transactions\": 5000}},"
		     "\"2002\": {\"enabled\": false}}}");
	const long long orgs[] = {1001, 2002, 3003};
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 3, t0), 0);
	assert_int_equal(s.njobs, 10);
	assert_int_equal(cs_sched_find(&s, 1001, CS_ENT_TRANSACTIONS)->interval_ms, 5000);
	assert_int_equal(cs_sched_find(&s, 1001, CS_ENT_SUPPORTERS)->interval_ms, 1800000);
	assert_int_equal(cs_sched_find(&s, 3003, CS_ENT_TRANSACTIONS)->interval_ms, 900000);
	assert_int_equal(cs_sched_find(&s, 3003, CS_SCHED_JOB_PLUGINS)->interval_ms, 3600000);
	assert_null(cs_sched_find(&s, 2002, CS_ENT_CAMPAIGNS));
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);
}

/* Runs everything that may start at t, finishing each at once. */
static void drain(cs_sched *s, int64_t t, int *fulls)
{
	cs_sched_job *j;
	while ((j = next(s, t))) {
		*fulls += j->full;
		assert_int_equal(cs_sched_finished(j, t, 0, 0), 0);
	}
}

static void test_nightly_full_once_a_day(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"maxConcurrentJobs\": 16, \"organizations\": {\"2\": {\"nightlyFullSync\":"
		     "\"\"}}}");
	const long long orgs[] = {1, 2};
	cs_sched s;
	/* started after today's 03:00: nothing owed until tomorrow */
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 2, at("2024-03-10T12:00:00Z")), 0);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-10T12:00:01Z")), 0);
	int fulls = 0;
	drain(&s, at("2024-03-11T02:59:00Z"), &fulls);
	assert_int_equal(fulls, 0);
	assert_int_equal(cs_sched_wake_ms(&s, at("2024-03-11T02:59:00Z")),
			 at("2024-03-11T03:00:00Z"));
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-11T02:59:59Z")), 0);
	drain(&s, at("2024-03-11T03:00:00Z"), &fulls); /* fires inside next() */
	assert_int_equal(fulls, 4); /* every entity of org 1, no plugins, none of org 2 */
	assert_int_equal(cs_sched_find(&s, 1, CS_SCHED_JOB_PLUGINS)->full_pending, 0);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-11T23:59:59Z")), 0);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-12T03:00:00Z")), 1);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-12T03:00:00Z")), 0);
	cs_sched_release(&s);

	/* started before 03:00: today's run is owed at 03:00 */
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 2, at("2024-03-10T02:00:00Z")), 0);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-10T02:59:59Z")), 0);
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-10T03:00:30Z")), 1);
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);
}

/* A job running at the nightly time takes its full run right after. */
static void test_nightly_waits_for_running_job(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"nightlyFullSync\": \"03:00\"}");
	const long long org = 1;
	cs_sched s;
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, at("2024-03-10T02:59:00Z")), 0);
	cs_sched_job *j = next(&s, at("2024-03-10T02:59:00Z"));
	assert_int_equal(j->kind, CS_ENT_CAMPAIGNS);
	assert_int_equal(j->full, 0);
	assert_null(next(&s, at("2024-03-10T03:00:00Z")));
	assert_true(j->full_pending);
	assert_int_equal(cs_sched_finished(j, at("2024-03-10T03:10:00Z"), 0, 11 * MIN), 0);
	assert_int_equal(j->next_due_ms, at("2024-03-10T03:10:00Z"));
	expect_next(&s, at("2024-03-10T03:10:00Z"), 1, CS_ENT_CAMPAIGNS);
	assert_int_equal(j->full, 1);
	assert_int_equal(j->full_pending, 0);
	cs_sched_release(&s);
}

static void test_reload_keeps_running_jobs(void **state)
{
	(void)state;
	cs_dconfig cfg, cfg2;
	config(&cfg, "{\"maxConcurrentJobs\": 16, \"syncIntervals\": {\"campaigns\": 60000}}");
	const long long orgs[] = {1, 2};
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 2, t0), 0);
	cs_sched_job *run1 = next(&s, t0);            /* org 1 campaigns */
	cs_sched_job *run2 = next(&s, t0 + 30 * SEC); /* org 2 campaigns */
	assert_true(run1 && run2 && run1->org_id == 1 && run2->org_id == 2);
	assert_int_equal(cs_sched_finished(run1, t0 + 40 * SEC, 0, 40 * SEC), 0);
	cs_sched_job *sup1 = next(&s, t0 + 40 * SEC);
	assert_int_equal(sup1->kind, CS_ENT_SUPPORTERS);

	/* new intervals, org 2 gone, org 3 new */
	config(&cfg2, "{\"maxConcurrentJobs\": 16, \"syncIntervals\": {\"campaigns\": 120000,"
		      "\"supporters\": 5000}}");
	const long long orgs2[] = {1, 3};
	int64_t t1 = t0 + 50 * SEC;
	assert_int_equal(cs_sched_reload(&s, &cfg2, orgs2, 2, t1), 0);
	assert_ptr_equal(cs_sched_find(&s, 1, CS_ENT_CAMPAIGNS), run1); /* same job, history kept */
	assert_int_equal(run1->runs, 1);
	assert_int_equal(run1->next_due_ms, t0 + 40 * SEC + 120000); /* from its last finish */
	assert_ptr_equal(cs_sched_find(&s, 1, CS_ENT_SUPPORTERS), sup1);
	assert_true(sup1->running);
	assert_int_equal(sup1->interval_ms, 5000);
	assert_true(run2->running && run2->retired); /* org 2's run goes on */
	assert_null(cs_sched_find(&s, 2, CS_ENT_CAMPAIGNS));
	assert_non_null(cs_sched_find(&s, 3, CS_ENT_CAMPAIGNS));
	assert_int_equal(cs_sched_running(&s), 2);

	assert_int_equal(cs_sched_finished(sup1, t1 + SEC, 0, 11 * SEC), 0);
	assert_int_equal(sup1->next_due_ms, t1 + SEC + 5000); /* the new interval */
	assert_int_equal(cs_sched_finished(run2, t1 + SEC, 0, 21 * SEC), 0);
	/* org 1's transactions has been due since t0 + 12 s; org 3 is new and
	 * staggered from the reload: job 5 of 10 */
	expect_next(&s, t1 + SEC, 1, CS_ENT_TRANSACTIONS);
	assert_int_equal(cs_sched_find(&s, 3, CS_ENT_CAMPAIGNS)->next_due_ms, t1 + 30 * SEC);
	assert_int_equal(s.njobs, 10); /* org 2's ended run was dropped */
	expect_next(&s, t1 + 30 * SEC, 3, CS_ENT_CAMPAIGNS);

	/* an org that leaves and comes back while its job runs gets that job
	 * back, still running: never a second copy of it */
	cs_sched_job *c3 = cs_sched_find(&s, 3, CS_ENT_CAMPAIGNS);
	assert_int_equal(cs_sched_reload(&s, &cfg2, orgs2, 1, t1 + 31 * SEC), 0);
	assert_true(c3->retired && c3->running);
	assert_int_equal(cs_sched_reload(&s, &cfg2, orgs2, 2, t1 + 32 * SEC), 0);
	assert_ptr_equal(cs_sched_find(&s, 3, CS_ENT_CAMPAIGNS), c3);
	assert_true(!c3->retired && c3->running);
	assert_int_equal(s.njobs, 10);
	for (cs_sched_job *j; (j = next(&s, t1 + 40 * SEC));) /* org 1 may run, org 3 waits */
		assert_int_equal(j->org_id, 1);
	assert_int_equal(cs_sched_finished(c3, t1 + 41 * SEC, 0, 11 * SEC), 0);
	assert_int_equal(c3->runs, 1);
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);
	cs_dconfig_release(&cfg2);
}

static void test_wake_time(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{\"maxConcurrentJobs\": 1, \"nightlyFullSync\": \"\"}");
	const long long orgs[] = {1, 2};
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 2, t0), 0);
	/* due already: wake now, even when asked late */
	assert_int_equal(cs_sched_wake_ms(&s, t0), t0);
	assert_int_equal(cs_sched_wake_ms(&s, t0 + 5), t0 + 5);
	cs_sched_job *j = next(&s, t0);
	/* the only slot is taken: nothing but a finish helps */
	assert_int_equal(cs_sched_wake_ms(&s, t0), CS_SCHED_NEVER);
	assert_int_equal(cs_sched_finished(j, t0 + SEC, 0, SEC), 0);
	/* org 1 supporters at +6 s (job 1 of 10), org 2 campaigns at +30 s */
	assert_int_equal(cs_sched_wake_ms(&s, t0 + SEC), t0 + 6 * SEC);
	j = next(&s, t0 + 6 * SEC);
	assert_int_equal(j->kind, CS_ENT_SUPPORTERS);
	assert_int_equal(cs_sched_finished(j, t0 + 7 * SEC, 0, SEC), 0);
	assert_int_equal(cs_sched_wake_ms(&s, t0 + 7 * SEC), t0 + 12 * SEC);
	cs_sched_release(&s);

	/* with the cap free, a busy org's due jobs do not wake the loop */
	cs_dconfig_release(&cfg);
	config(&cfg, "{\"maxConcurrentJobs\": 2, \"nightlyFullSync\": \"\"}");
	assert_int_equal(cs_sched_init(&s, &cfg, orgs, 2, t0), 0);
	j = next(&s, t0);
	assert_int_equal(cs_sched_wake_ms(&s, t0 + 20 * SEC), t0 + 30 * SEC);
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);

	/* nothing due for days: the nightly run is the timer */
	config(&cfg, "{\"nightlyFullSync\": \"23:00\","
		     "\"syncIntervals\": {\"campaigns\": 604800000,"
		     "\"supporters\": 604800000, \"transactions\": 604800000,"
		     "\"recurringPlans\": 604800000, \"plugins\": 604800000}}");
	const long long one = 1;
	assert_int_equal(cs_sched_init(&s, &cfg, &one, 1, t0), 0);
	int64_t t = t0;
	for (int i = 0; i < 5; i++) { /* the loop as the daemon runs it */
		t = cs_sched_wake_ms(&s, t);
		assert_int_equal(t, t0 + i * 12 * SEC);
		while ((j = next(&s, t)))
			assert_int_equal(cs_sched_finished(j, t, 0, 0), 0);
	}
	assert_int_equal(cs_sched_wake_ms(&s, t), at("2024-03-10T23:00:00Z"));
	assert_int_equal(cs_sched_full_due(&s, at("2024-03-10T23:00:00Z")), 1);
	cs_sched_release(&s);
	cs_dconfig_release(&cfg);
}

static void test_schedule_json(void **state)
{
	(void)state;
	cs_dconfig cfg;
	config(&cfg, "{}");
	const long long org = 1001;
	cs_sched s;
	int64_t t0 = at("2024-03-10T12:00:00Z");
	assert_int_equal(cs_sched_init(&s, &cfg, &org, 1, t0), 0);
	cs_sched_job *j = next(&s, t0);
	assert_int_equal(cs_sched_finished(j, t0 + 2500, CS_SCHED_JOB_PARTIAL, 2500), 0);
	j = next(&s, t0 + 12 * SEC);
	cJSON *root = cs_sched_to_json(&s, t0 + 13 * SEC);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "now")->valuestring, "2024-03-10T12:00:13Z");
	assert_int_equal(cJSON_GetObjectItem(root, "running")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(root, "max_concurrent_jobs")->valueint, 2);
	cJSON *jobs = cJSON_GetObjectItem(root, "jobs");
	assert_int_equal(cJSON_GetArraySize(jobs), 5);
	cJSON *c = cJSON_GetArrayItem(jobs, 0);
	assert_int_equal(cJSON_GetObjectItem(c, "org")->valueint, 1001);
	assert_string_equal(cJSON_GetObjectItem(c, "kind")->valuestring, "campaigns");
	assert_int_equal(cJSON_GetObjectItem(c, "interval_ms")->valueint, 3600000);
	assert_string_equal(cJSON_GetObjectItem(c, "next_run")->valuestring,
			    "2024-03-10T13:00:02Z");
	assert_string_equal(cJSON_GetObjectItem(c, "next_full_run")->valuestring,
			    "2024-03-11T03:00:00Z");
	assert_string_equal(cJSON_GetObjectItem(c, "last_run")->valuestring,
			    "2024-03-10T12:00:02Z");
	assert_int_equal(cJSON_GetObjectItem(c, "last_duration_ms")->valueint, 2500);
	assert_string_equal(cJSON_GetObjectItem(c, "last_status")->valuestring, "partial");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(c, "running")));
	assert_int_equal(cJSON_GetObjectItem(c, "consecutive_failures")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(c, "skipped_overlap")->valueint, 0);
	cJSON *sup = cJSON_GetArrayItem(jobs, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sup, "running")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sup, "next_run")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sup, "last_status")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sup, "last_duration_ms")));
	cJSON *plug = cJSON_GetArrayItem(jobs, 4);
	assert_string_equal(cJSON_GetObjectItem(plug, "kind")->valuestring, "plugins");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(plug, "next_full_run")));
	cJSON_Delete(root);
	cs_sched_release(&s);
	cs_sched_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_runs_are_staggered),
		cmocka_unit_test(test_nothing_starts_twice),
		cmocka_unit_test(test_overlap_is_skipped_and_counted),
		cmocka_unit_test(test_cap_is_respected),
		cmocka_unit_test(test_org_entity_order),
		cmocka_unit_test(test_no_kind_starves),
		cmocka_unit_test(test_interval_counts_from_finish),
		cmocka_unit_test(test_per_org_overrides),
		cmocka_unit_test(test_nightly_full_once_a_day),
		cmocka_unit_test(test_nightly_waits_for_running_job),
		cmocka_unit_test(test_reload_keeps_running_jobs),
		cmocka_unit_test(test_wake_time),
		cmocka_unit_test(test_schedule_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
