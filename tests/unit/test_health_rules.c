/* The classification rules of `health` at their boundaries, and the daemon
 * status file contract (path rule, reading, pid liveness). */
#include "health/health.h"
#include "health/health_paths.h"

#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MIN_MS (60 * 1000L)
#define GIB ((uint64_t)1 << 30)
#define MIB ((uint64_t)1 << 20)

static void test_freshness(void **state)
{
	(void)state;
	long iv = 30 * MIN_MS;
	assert_int_equal(cs_health_freshness_level(-1, iv), CS_HEALTH_WARNING); /* never */
	assert_int_equal(cs_health_freshness_level(0, iv), CS_HEALTH_OK);
	assert_int_equal(cs_health_freshness_level(2 * iv, iv), CS_HEALTH_OK);
	assert_int_equal(cs_health_freshness_level(2 * iv + 1, iv), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_freshness_level(4 * iv, iv), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_freshness_level(4 * iv + 1, iv), CS_HEALTH_CRITICAL);
	/* 7-day interval: no overflow in 4x */
	long week = 604800000L;
	assert_int_equal(cs_health_freshness_level(4 * (int64_t)week, week), CS_HEALTH_WARNING);
}

static void test_error_rate(void **state)
{
	(void)state;
	assert_int_equal(cs_health_error_rate_level(0, 0), CS_HEALTH_OK);
	assert_int_equal(cs_health_error_rate_level(0, 20), CS_HEALTH_OK);
	assert_int_equal(cs_health_error_rate_level(3, 20), CS_HEALTH_OK);       /* 15% */
	assert_int_equal(cs_health_error_rate_level(4, 20), CS_HEALTH_WARNING);  /* 20% */
	assert_int_equal(cs_health_error_rate_level(9, 20), CS_HEALTH_WARNING);  /* 45% */
	assert_int_equal(cs_health_error_rate_level(10, 20), CS_HEALTH_CRITICAL); /* 50% */
	assert_int_equal(cs_health_error_rate_level(1, 6), CS_HEALTH_OK);        /* 16.7% */
	assert_int_equal(cs_health_error_rate_level(1, 5), CS_HEALTH_WARNING);   /* 20% */
	assert_int_equal(cs_health_error_rate_level(1, 2), CS_HEALTH_CRITICAL);
	assert_int_equal(cs_health_error_rate_level(1, 1), CS_HEALTH_CRITICAL);
}

static void test_disk(void **state)
{
	(void)state;
	uint64_t big = 1000 * GIB;
	assert_int_equal(cs_health_disk_level(200 * GIB, big), CS_HEALTH_OK);
	assert_int_equal(cs_health_disk_level(100 * GIB, big), CS_HEALTH_OK); /* exactly 10% */
	assert_int_equal(cs_health_disk_level(100 * GIB - 1, big), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_disk_level(20 * GIB, big), CS_HEALTH_WARNING); /* 2% */
	assert_int_equal(cs_health_disk_level(20 * GIB - 1, big), CS_HEALTH_CRITICAL);
	/* small disk: the absolute limits */
	uint64_t small = 4 * GIB; /* 2% = 82 MiB, 10% = 410 MiB */
	assert_int_equal(cs_health_disk_level(GIB, small), CS_HEALTH_OK); /* 25% */
	assert_int_equal(cs_health_disk_level(GIB - 1, small), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_disk_level(100 * MIB, small), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_disk_level(100 * MIB - 1, small), CS_HEALTH_CRITICAL);
	assert_int_equal(cs_health_disk_level(0, 0), CS_HEALTH_CRITICAL);
}

static void test_daemon(void **state)
{
	(void)state;
	long max = CS_HEALTH_HEARTBEAT_MAX_MS;
	assert_int_equal(max, 120000);
	assert_int_equal(cs_health_daemon_level(0, 0, -1), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_daemon_level(1, 0, 1000), CS_HEALTH_WARNING);
	assert_int_equal(cs_health_daemon_level(1, 1, 0), CS_HEALTH_OK);
	assert_int_equal(cs_health_daemon_level(1, 1, max), CS_HEALTH_OK);
	assert_int_equal(cs_health_daemon_level(1, 1, max + 1), CS_HEALTH_CRITICAL);
	assert_int_equal(cs_health_daemon_level(1, 1, -1), CS_HEALTH_CRITICAL); /* no heartbeat */
	/* the daemon beat after the check took its clock: fresh, not missing */
	assert_int_equal(cs_health_heartbeat_age(5000, 0), -1);
	assert_int_equal(cs_health_heartbeat_age(5000, 3000), 2000);
	assert_int_equal(cs_health_heartbeat_age(5000, 6000), 0);
	assert_int_equal(cs_health_daemon_level(1, 1, cs_health_heartbeat_age(5000, 6000)),
			 CS_HEALTH_OK);
}

static void test_fmt_age(void **state)
{
	(void)state;
	char b[32];
	cs_health_fmt_age(40000, b, sizeof(b));
	assert_string_equal(b, "40 s");
	cs_health_fmt_age(25 * MIN_MS, b, sizeof(b));
	assert_string_equal(b, "25 min");
	cs_health_fmt_age(3 * 60 * MIN_MS, b, sizeof(b));
	assert_string_equal(b, "3 h");
	cs_health_fmt_age(-5, b, sizeof(b));
	assert_string_equal(b, "0 s");
}

static void test_status_path(void **state)
{
	(void)state;
	char p[64];
	cs_err err = {0};
	assert_int_equal(
		cs_health_daemon_status_path(NULL, "/var/lib/x/classy.db", p, sizeof(p), &err), 0);
	assert_string_equal(p, "/var/lib/x/classy.db.daemon.json");
	assert_int_equal(cs_health_daemon_status_path("", "a.db", p, sizeof(p), &err), 0);
	assert_string_equal(p, "a.db.daemon.json");
	assert_int_equal(
		cs_health_daemon_status_path("/run/cs", "/var/lib/x/classy.db", p, sizeof(p), &err), 0);
	assert_string_equal(p, "/run/cs/classy-sync.daemon.json");
	char tiny[8];
	assert_int_equal(cs_health_daemon_status_path("/run/cs", "x", tiny, sizeof(tiny), &err),
			 CS_EUSAGE);
	setenv("CLASSY_SYNC_RUN_DIR", "/tmp/rd", 1);
	assert_int_equal(cs_health_daemon_status_path_env("x.db", p, sizeof(p), &err), 0);
	assert_string_equal(p, "/tmp/rd/classy-sync.daemon.json");
	unsetenv("CLASSY_SYNC_RUN_DIR");
	assert_int_equal(cs_health_daemon_status_path_env("x.db", p, sizeof(p), &err), 0);
	assert_string_equal(p, "x.db.daemon.json");
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_status_read(void **state)
{
	(void)state;
	char dir[] = "/tmp/cs-health-XXXXXX", path[128];
	cs_health_daemon_status ds;
	cs_err err = {0};
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.json", dir);
	assert_int_equal(cs_health_daemon_status_read(path, &ds, &err), CS_ENOTFOUND);
	write_file(path, "{\"pid\": 1234, \"started_at\": \"2024-03-10T12:00:00Z\", "
			 "\"heartbeat_at\": \"2024-03-10T12:05:00Z\", \"restarts\": 2, \"x\": 1}");
	assert_int_equal(cs_health_daemon_status_read(path, &ds, &err), 0);
	assert_int_equal(ds.pid, 1234);
	assert_int_equal(ds.restarts, 2);
	assert_int_equal(ds.heartbeat_at_ms - ds.started_at_ms, 300000);
	write_file(path, "{\"started_at\": 1}");
	assert_int_equal(cs_health_daemon_status_read(path, &ds, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, path));
	write_file(path, "not json");
	assert_int_equal(cs_health_daemon_status_read(path, &ds, &err), CS_EPROTO);
	unlink(path);
	rmdir(dir);
}

static void test_pid_alive(void **state)
{
	(void)state;
	assert_true(cs_proc_pid_alive(getpid()));
	assert_false(cs_proc_pid_alive(0));
	assert_false(cs_proc_pid_alive(-5));
	assert_false(cs_proc_pid_alive(1LL << 40));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_freshness),   cmocka_unit_test(test_error_rate),
		cmocka_unit_test(test_disk),        cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_fmt_age),     cmocka_unit_test(test_status_path),
		cmocka_unit_test(test_status_read), cmocka_unit_test(test_pid_alive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
