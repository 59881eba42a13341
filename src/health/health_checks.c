/* Local health checks that are not about an org: the database (connection,
 * migrations, free disk space) and the daemon (status file, pid, heartbeat).
 *
 * Never writes anything: the daemon's status file is read through the
 * contract in health_paths.h, the database only through the store's reads. */
#include "health/health_int.h"
#include "health/health_paths.h"

#include "util/timeutil.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

typedef struct mig_count {
	int known, applied, newest;
} mig_count;

static int count_migration(const cs_migration_info *m, void *ctx)
{
	mig_count *c = ctx;
	c->known++;
	c->applied += m->applied != 0;
	if (m->applied && m->version > c->newest)
		c->newest = m->version;
	return 0;
}

static void check_migrations(cs_health_state *r, cs_health_check *c)
{
	cs_store *st = r->o->store;
	mig_count mc = {0, 0, 0};
	cs_err err = {0};
	if (st->migrations(st, count_migration, &mc, &err)) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "cannot read the migrations: %s", err.msg);
		cs_health_recommend(c, "check DB_TYPE/DB_PATH with `classy-sync config show`");
	} else if (mc.applied == 0) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "%s database has no schema (0 of %d migrations)",
			      st->name, mc.known);
		cs_health_recommend(c, "create it with `classy-sync db migrate`");
	} else if (mc.applied < mc.known) {
		cs_health_set(c, CS_HEALTH_WARNING, "%s database: %d of %d migrations pending",
			      st->name, mc.known - mc.applied, mc.known);
		cs_health_recommend(c, "apply them with `classy-sync db migrate`");
	} else {
		cs_health_set(c, CS_HEALTH_OK, "%s database connected, schema version %d (current)",
			      st->name, mc.newest);
	}
}

static void check_disk(cs_health_state *r, cs_health_check *c)
{
	char dir[1024];
	struct statvfs vfs;
	snprintf(dir, sizeof(dir), "%s", r->o->cfg->db_path);
	const char *d = dirname(dir);
	if (statvfs(d, &vfs) != 0) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "cannot stat the file system of '%s'", d);
		return;
	}
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	uint64_t total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	int level = cs_health_disk_level(avail, total);
	double pct = total ? 100.0 * (double)avail / (double)total : 0;
	cs_health_set(c, level, "%.1f GiB free of %.1f GiB (%.0f%%) on '%s'",
		      (double)avail / (1 << 30), (double)total / (1 << 30), pct, d);
	if (level)
		cs_health_recommend(c, "free space on '%s': SQLite fails writes when the disk fills "
				    "(warning below 1 GiB or 10%%, critical below 100 MiB or 2%%)",
				    d);
}

/* Adds one check and fills it with fn, timing it. -1 when out of memory. */
static int timed(cs_health_state *r, const char *component, const char *name,
		 void (*fn)(cs_health_state *r, cs_health_check *c))
{
	int64_t t0 = cs_time_mono_ms();
	cs_health_check *c = cs_health_add(r->rep, component, name);
	if (!c)
		return -1;
	fn(r, c);
	c->duration_ms = (double)(cs_time_mono_ms() - t0);
	return 0;
}

int cs_health_database(cs_health_state *r)
{
	if (timed(r, "database", "database", check_migrations))
		return -1;
	if (r->o->cfg->db_type != CS_DB_SQLITE)
		return 0;
	return timed(r, "database", "database/disk", check_disk);
}

static void daemon_running(cs_health_check *c, const cs_health_daemon_status *ds, int64_t now)
{
	char up[32], hb[32];
	int64_t age = cs_health_heartbeat_age(now, ds->heartbeat_at_ms);
	int level = cs_health_daemon_level(1, 1, age);
	cs_health_fmt_age(ds->started_at_ms ? now - ds->started_at_ms : 0, up, sizeof(up));
	cs_health_fmt_age(age, hb, sizeof(hb));
	if (level == CS_HEALTH_OK) {
		cs_health_set(c, level, "running, pid %lld, up %s, heartbeat %s ago, %lld restart(s)",
			      ds->pid, up, hb, ds->restarts);
		return;
	}
	if (age < 0)
		cs_health_set(c, level, "pid %lld is alive but its status file has no heartbeat",
			      ds->pid);
	else
		cs_health_set(c, level,
			      "pid %lld is alive but its heartbeat is %s old (limit 2 min): the "
			      "daemon loop is stuck",
			      ds->pid, hb);
	cs_health_recommend(c, "look at the daemon log, then `classy-sync daemon restart`");
}

static void check_daemon(cs_health_state *r, cs_health_check *c)
{
	char path[1200];
	cs_health_daemon_status ds;
	cs_err err = {0};
	if (cs_health_daemon_status_path_env(r->o->cfg->db_path, path, sizeof(path), &err)) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "%s", err.msg);
		return;
	}
	int rc = cs_health_daemon_status_read(path, &ds, &err);
	if (rc == CS_ENOTFOUND || (rc == 0 && !cs_proc_pid_alive(ds.pid))) {
		if (rc == 0)
			cs_health_set(c, CS_HEALTH_WARNING,
				      "not running (pid %lld in '%s' is gone); fine if syncs run "
				      "from cron",
				      ds.pid, path);
		else
			cs_health_set(c, CS_HEALTH_WARNING,
				      "not running (no status file '%s'); fine if syncs run from "
				      "cron",
				      path);
		cs_health_recommend(c, "start it with `classy-sync daemon start`, or ignore this "
				    "when a scheduler such as cron runs `classy-sync sync`");
	} else if (rc) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "%s", err.msg);
	} else {
		daemon_running(c, &ds, r->now);
	}
}

int cs_health_daemon(cs_health_state *r)
{
	return timed(r, "daemon", "daemon", check_daemon);
}
