/* classy-sync daemon start|stop|restart|status|schedule|workers: options, the
 * output, and the exit codes. The process model and loop live in
 * src/daemon/; this file parses options, prints what they return and
 * decides the exit code. It never forks or supervises itself. */
#include "cmd/cmd.h"
#include "util/json.h"

#include "alert/alert.h"
#include "daemon/daemon.h"
#include "httpd/httpd.h"
#include "sched/dconfig.h"
#include "util/proc.h"
#include "util/redact.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --config, else ./daemon-config.json when it exists, else "" (defaults);
 * made absolute so the status shows where it came from. Checks it. */
static int resolve_config(const char *given, char *out, size_t n, cs_err *err)
{
	const char *path = cs_dconfig_pick(given);
	out[0] = '\0';
	if (!path)
		return 0;
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		return cs_err_set(err, CS_EUSAGE, "cannot read daemon config '%s': %s", path,
				  strerror(errno));
	if (strlen(abs) >= n)
		return cs_err_set(err, CS_EUSAGE, "daemon config path '%s' is too long", abs);
	memcpy(out, abs, strlen(abs) + 1);
	cs_dconfig cfg;
	int rc = cs_dconfig_load(out, &cfg, err);
	if (rc)
		return rc == CS_ENOTFOUND ? (err->code = CS_EUSAGE) : rc;
	cs_dconfig_release(&cfg);
	return 0;
}

#define HTTP_TOKEN_MIN 16

/* The token of --http-token-file FILE: its first line, from a file only
 * its owner can read (like the master key). Never from argv, where every
 * user of the machine can read it (ps, /proc/PID/cmdline). */
static int read_token_file(const char *path, char *out, size_t n, cs_err *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_err_set(err, CS_EUSAGE, "cannot read the HTTP token file '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &sb) == 0 && (sb.st_mode & (S_IRWXG | S_IRWXO))) {
		close(fd);
		return cs_err_set(err, CS_EUSAGE,
				  "the HTTP token file '%s' is readable by others (mode %03o); "
				  "make it the owner's only: chmod 600 '%s'",
				  path, (unsigned)(sb.st_mode & 0777), path);
	}
	ssize_t got = read(fd, out, n - 1);
	close(fd);
	if (got < 0)
		return cs_err_set(err, CS_EUSAGE, "cannot read the HTTP token file '%s': %s", path,
				  strerror(errno));
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* Printable ASCII without spaces, long enough not to be guessed; the
 * message never quotes it. */
static int check_token(const char *t, const char *from, cs_err *err)
{
	size_t len = strlen(t);
	for (size_t i = 0; i < len; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return cs_err_set(err, CS_EUSAGE, "the HTTP token (%s) must be printable "
							  "ASCII without spaces", from);
	if (len < HTTP_TOKEN_MIN)
		return cs_err_set(err, CS_EUSAGE, "the HTTP token (%s) is %zu characters; use at "
						  "least %d (e.g. openssl rand -hex 32)",
				  from, len, HTTP_TOKEN_MIN);
	return 0;
}

/* --http's token: --http-token-file, else CLASSY_SYNC_HTTP_TOKEN, else
 * none; and the loopback rule, checked before anything starts, so a daemon
 * that would be refused exits 2 at once. */
static int resolve_http(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args,
			char *token, size_t n, cs_err *err)
{
	const char *addr = cs_cmd_arg_str(self, args, "http");
	const char *file = cs_cmd_arg_str(self, args, "http-token-file");
	const char *from = file ? "--http-token-file" : "CLASSY_SYNC_HTTP_TOKEN";
	int rc = 0, loopback = 1;
	token[0] = '\0';
	if (file)
		rc = read_token_file(file, token, n, err);
	else
		snprintf(token, n, "%s", ctx->cfg.http_token);
	if (rc == 0 && token[0] && (rc = check_token(token, from, err)) == 0 &&
	    cs_redact_add(token))
		rc = cs_err_set(err, CS_ERR, "out of memory");
	if (rc == 0 && addr)
		rc = cs_httpd_listen_is_loopback(addr, &loopback, err);
	if (rc == 0 && addr && !loopback && !token[0])
		rc = cs_err_set(err, CS_EUSAGE, CS_HTTPD_NEEDS_TOKEN, addr);
	if (rc == 0 && !addr && file)
		rc = cs_err_set(err, CS_EUSAGE, "--http-token-file needs --http ADDR");
	return rc;
}

static int exit_code(int end)
{
	switch (end) {
	case CS_DAEMON_END_STOPPED:
		return CS_EXIT_OK;
	case CS_DAEMON_END_BAD_CONFIG:
		return CS_EXIT_USAGE;
	default:
		return CS_EXIT_FAIL;
	}
}

/* Starts the daemon: in the foreground until it stops, else detached once
 * its worker is ready. */
static int start(const cs_daemon_opts *o, const cs_daemon_paths *paths)
{
	cs_err err = {0};
	int fd;
	if (cs_daemon_lock(paths, &fd, &err)) {
		fprintf(stderr, "classy-sync: daemon %s\n", err.msg);
		return CS_EXIT_FAIL;
	}
	if (o->foreground)
		return exit_code(cs_daemon_run(o, paths, fd));
	cs_daemon_started st;
	int rc = cs_daemon_detach(o, paths, fd, &st, &err);
	if (rc == 0) {
		printf("daemon started (pid %ld); log: %s\n", st.pid, paths->logfile);
		return CS_EXIT_OK;
	}
	if (!st.spawned)
		return cs_cmd_fail(&err);
	fprintf(stderr, "classy-sync: error: the daemon did not start: %s (log: %s)\n",
		st.report[0] ? st.report : "it exited", paths->logfile);
	return rc == CS_EUSAGE ? CS_EXIT_USAGE : CS_EXIT_FAIL;
}

static int do_start(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_daemon_opts o;
	memset(&o, 0, sizeof(o));
	cs_err err = {0};
	char token[sizeof(ctx->cfg.http_token)];
	if (resolve_config(cs_cmd_arg_str(self, args, "config"), o.config_path, sizeof(o.config_path),
			   &err) ||
	    resolve_http(ctx, self, args, token, sizeof(token), &err))
		return cs_cmd_fail(&err);
	o.http_token = token[0] ? token : NULL;
	cs_alert_config ac;
	if (cs_alert_config_from_env(&ac, &err))
		return cs_cmd_fail(&err);
	o.cfg = &ctx->cfg;
	o.key = ctx->key;
	o.http = cs_cmd_arg_str(self, args, "http");
	o.foreground = cs_cmd_arg_set(self, args, "foreground");
	/* the daemon's processes open their own handles */
	cs_store_close(ctx->store);
	ctx->store = NULL;
	cs_daemon_paths paths;
	cs_daemon_paths_init(&ctx->cfg, &paths);
	return start(&o, &paths);
}

static int do_stop(cs_cmd_ctx *ctx, long long timeout_s)
{
	cs_daemon_paths paths;
	cs_daemon_paths_init(&ctx->cfg, &paths);
	cs_err err = {0};
	long pid;
	int rc = cs_daemon_stop(&paths, &pid, &err);
	if (rc == CS_ENOTFOUND) {
		fprintf(stderr, "classy-sync: daemon is not running\n");
		return CS_EXIT_OK;
	}
	if (rc)
		return cs_cmd_fail(&err);
	fprintf(stderr, "stopping the daemon (pid %ld)...\n", pid);
	if (cs_daemon_wait_stopped(&paths, pid, timeout_s, &err))
		return cs_cmd_fail(&err);
	printf("daemon stopped (pid %ld)\n", pid);
	return CS_EXIT_OK;
}

/* --timeout S of stop and restart, 60 s when not given. */
static long long stop_timeout(const cs_cmd *self, const cs_cmd_args *args)
{
	return cs_cmd_arg_set(self, args, "timeout") ? cs_cmd_arg_num(self, args, "timeout") : 60;
}

static int cmd_start(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	return do_start(ctx, self, args);
}

static int cmd_stop(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	return do_stop(ctx, stop_timeout(self, args));
}

static int cmd_restart(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	/* a bad new config must not cost the running daemon */
	char path[1024];
	cs_err err = {0};
	if (resolve_config(cs_cmd_arg_str(self, args, "config"), path, sizeof(path), &err))
		return cs_cmd_fail(&err);
	int rc = do_stop(ctx, stop_timeout(self, args));
	return rc ? rc : do_start(ctx, self, args);
}

/* The status file of the running daemon, with "running" and the heartbeat
 * age added. When none runs: with --json, {"running":false,...} to print;
 * else NULL, after saying so. */
static cJSON *load_status(cs_cmd_ctx *ctx, int json)
{
	cs_daemon_paths paths;
	cs_daemon_paths_init(&ctx->cfg, &paths);
	long pid = cs_daemon_running(&paths);
	cJSON *st = pid ? cs_daemon_read_status(&paths) : NULL;
	if (!st) {
		if (json)
			return cJSON_Parse("{\"running\":false,\"pid\":null,\"jobs\":[]}");
		else if (pid)
			printf("daemon: starting (pid %ld), no status yet\n", pid);
		else
			printf("daemon: not running\n");
		return NULL;
	}
	cJSON_AddBoolToObject(st, "running", 1);
	int64_t beat = (int64_t)cs_json_num(st, "heartbeat_ms");
	cJSON_AddNumberToObject(st, "heartbeat_age_ms", (double)(cs_time_now_ms() - beat));
	return st;
}

static void fmt_dur(double ms, char *out, size_t n)
{
	long long s = (long long)(ms / 1000);
	if (ms < 0)
		snprintf(out, n, "-");
	else if (s >= 3600)
		snprintf(out, n, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, n, "%.1fs", ms / 1000);
}

/* --json: item as one line (null when absent); frees st. */
static int print_json(const cJSON *item, cJSON *st)
{
	char *t = cJSON_PrintUnformatted(item);
	printf("%s\n", t ? t : "null");
	free(t);
	cJSON_Delete(st);
	return CS_EXIT_OK;
}

/* ---- daemon workers: the live workers, read from the database ---- */

/* Groups the leases (host, pid, holder order) into one object per worker. */
typedef struct workers_walk {
	cJSON *workers, *cur;
	char host[128];
	int oom;
} workers_walk;

static int add_lease(const cs_lease_info *li, void *ctx)
{
	workers_walk *w = ctx;
	cJSON *cur = w->cur;
	/* a pid can be checked on its own host only; elsewhere the unexpired
	 * lease is the sign of life */
	int here = !strcmp(li->host, w->host);
	if (!cur || strcmp(cs_json_str(cur, "host", ""), li->host) ||
	    cs_json_num(cur, "pid") != (double)li->pid ||
	    strcmp(cs_json_str(cur, "holder", ""), li->holder)) {
		cur = w->cur = cJSON_CreateObject();
		if (!cur || !cJSON_AddItemToArray(w->workers, cur) ||
		    !cJSON_AddStringToObject(cur, "host", li->host) ||
		    !cJSON_AddNumberToObject(cur, "pid", (double)li->pid) ||
		    !cJSON_AddStringToObject(cur, "holder", li->holder) ||
		    !cJSON_AddBoolToObject(cur, "this_host", here) ||
		    !cJSON_AddBoolToObject(cur, "alive", !here || cs_proc_pid_alive(li->pid)) ||
		    !cJSON_AddArrayToObject(cur, "leases"))
			goto oom;
	}
	cJSON *l = cJSON_CreateObject();
	if (!l || !cJSON_AddItemToArray(cJSON_GetObjectItem(cur, "leases"), l) ||
	    !cJSON_AddNumberToObject(l, "org", (double)li->org_id) ||
	    !cJSON_AddStringToObject(l, "job", li->job) ||
	    cs_json_add_time(l, "acquired_at", li->acquired_at_ms, 1) ||
	    cs_json_add_time(l, "expires_at", li->expires_at_ms, 1) ||
	    !cJSON_AddNumberToObject(l, "expires_in_ms",
				     (double)(li->expires_at_ms - cs_time_now_ms())))
		goto oom;
	return 0;
oom:
	w->oom = 1;
	return CS_ERR;
}

/* The live workers as {"workers":[...]} (NULL with err filled). */
static cJSON *collect_workers(cs_store *store, cs_err *err)
{
	cJSON *top = cJSON_CreateObject();
	cJSON *workers = top ? cJSON_AddArrayToObject(top, "workers") : NULL;
	workers_walk w = {workers, NULL, "", 0};
	cs_proc_host_name(w.host, sizeof(w.host));
	cs_lease_walk walk = {add_lease, &w};
	int rc = workers ? store->ctrl(store, CS_CTRL_LEASES, &walk, err) : CS_ERR;
	if (rc || w.oom) {
		cJSON_Delete(top);
		if (w.oom || !workers)
			cs_err_set(err, CS_ERR, "cannot list the workers: out of memory");
		return NULL;
	}
	return top;
}

static void print_workers(const cJSON *workers)
{
	int n = cJSON_GetArraySize(workers), nleases = 0;
	if (n == 0)
		printf("no worker holds a lease in this database\n");
	else
		printf("%-24s %-8s %-14s %-8s %-16s %s\n", "host", "pid", "holder", "org", "job",
		       "lease expires in");
	const cJSON *wk, *l;
	cJSON_ArrayForEach(wk, workers)
	{
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(wk, "leases"))
		{
			char in[32];
			fmt_dur(cs_json_num(l, "expires_in_ms"), in, sizeof(in));
			printf("%-24s %-8.0f %-14s %-8.0f %-16s %s%s\n", cs_json_str(wk, "host", "?"),
			       cs_json_num(wk, "pid"), cs_json_str(wk, "holder", "?"),
			       cs_json_num(l, "org"), cs_json_str(l, "job", "?"), in,
			       cJSON_IsTrue(cJSON_GetObjectItem(wk, "alive"))
				       ? ""
				       : " (process gone: the lease is free to take)");
			nleases++;
		}
	}
	if (n)
		printf("\n%d worker(s) hold %d lease(s)\n", n, nleases);
}

static int cmd_workers(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_err err = {0};
	cJSON *top = collect_workers(ctx->store, &err);
	if (!top)
		return cs_cmd_fail(&err);
	if (cs_cmd_arg_set(self, args, "json"))
		return print_json(top, top);
	print_workers(cJSON_GetObjectItem(top, "workers"));
	cJSON_Delete(top);
	return CS_EXIT_OK;
}

/* `daemon status` on a server database also lists every worker sharing it
 * (several daemons exist only there). The status file part never waits on
 * the database; this part opens it last, and a database that cannot be
 * read is a line of the output, not a failed status. On SQLite (one
 * machine, whose file a sync may hold locked) it reads the status file
 * only: `daemon workers` asks the database there. */
static void status_workers(cs_cmd_ctx *ctx, cJSON *st)
{
	if (ctx->cfg.db_type == CS_DB_SQLITE)
		return;
	cs_err err = {0};
	cs_store *store = NULL;
	cJSON *top = NULL;
	if (cs_store_open(&ctx->cfg, &store, &err) == 0)
		top = collect_workers(store, &err);
	cs_store_close(store);
	if (st) {
		if (top)
			cJSON_AddItemToObject(st, "workers",
					      cJSON_DetachItemFromObject(top, "workers"));
		else
			cJSON_AddStringToObject(st, "workers_error", err.msg);
	} else {
		printf("\nworkers sharing the database (all hosts):\n");
		if (top)
			print_workers(cJSON_GetObjectItem(top, "workers"));
		else
			printf("cannot read them: %s\n", err.msg);
	}
	cJSON_Delete(top);
}

static int is_running(const cJSON *st)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(st, "running"));
}

static int cmd_status(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	int json = cs_cmd_arg_set(self, args, "json");
	cJSON *st = load_status(ctx, json);
	if (!st) {
		status_workers(ctx, NULL);
		return CS_EXIT_FAIL;
	}
	cJSON_DeleteItemFromObject(st, "schedule");
	if (json) {
		int up = is_running(st);
		status_workers(ctx, st);
		print_json(st, st);
		return up ? CS_EXIT_OK : CS_EXIT_FAIL;
	}
	char up[32], hb[32];
	fmt_dur(cs_json_num(st, "uptime_s") * 1000, up, sizeof(up));
	fmt_dur(cs_json_num(st, "heartbeat_age_ms"), hb, sizeof(hb));
	printf("daemon: %s (pid %.0f, worker %.0f), up %s, restarts %.0f\n",
	       cs_json_str(st, "state", "?"), cs_json_num(st, "pid"), cs_json_num(st, "worker_pid"), up,
	       cs_json_num(st, "restarts"));
	printf("config: %s\n", cs_json_str(st, "config_file", "(built-in defaults)"));
	printf("heartbeat: %s ago\n", hb);
	if (cs_json_str(st, "http", NULL))
		printf("http: %s\n", cs_json_str(st, "http", ""));
	printf("\n%-8s %-16s %-12s %-22s %-22s %s\n", "org", "job", "state", "last result",
	       "next run", "records");
	const cJSON *j;
	cJSON_ArrayForEach(j, cJSON_GetObjectItem(st, "jobs"))
	{
		const cJSON *p = cJSON_GetObjectItem(j, "progress");
		const cJSON *l = cJSON_GetObjectItem(j, "last");
		char state[24], last[40];
		if (cJSON_IsObject(p))
			snprintf(state, sizeof(state), "running");
		else
			snprintf(state, sizeof(state), "idle");
		snprintf(last, sizeof(last), "%s",
			 cJSON_IsObject(l) ? cs_json_str(l, "status", "-") : "never");
		const cJSON *counted = cJSON_IsObject(p) ? p : l;
		printf("%-8.0f %-16s %-12s %-22s %-22s %.0f%s\n", cs_json_num(j, "org"),
		       cs_json_str(j, "kind", "?"), state, last, cs_json_str(j, "next_run", "-"),
		       cs_json_num(counted, "records"), cJSON_IsObject(p) ? " so far" : "");
		if (cJSON_IsObject(l) && cs_json_str(l, "error", NULL))
			printf("         last error: %s\n", cs_json_str(l, "error", ""));
	}
	cJSON_Delete(st);
	status_workers(ctx, NULL);
	return CS_EXIT_OK;
}

static int cmd_schedule(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	int json = cs_cmd_arg_set(self, args, "json");
	cJSON *st = load_status(ctx, json);
	if (!st)
		return CS_EXIT_FAIL;
	if (!is_running(st)) {
		print_json(st, st);
		return CS_EXIT_FAIL;
	}
	const cJSON *sched = cJSON_GetObjectItem(st, "schedule");
	if (json)
		return print_json(sched, st);
	printf("%-8s %-16s %10s %-22s %10s %-8s %s\n", "org", "job", "interval", "next run",
	       "last took", "last", "runs");
	const cJSON *j;
	cJSON_ArrayForEach(j, cJSON_GetObjectItem(sched, "jobs"))
	{
		char iv[32], took[32];
		fmt_dur(cs_json_num(j, "interval_ms"), iv, sizeof(iv));
		const cJSON *d = cJSON_GetObjectItem(j, "last_duration_ms");
		fmt_dur(cJSON_IsNumber(d) ? d->valuedouble : -1, took, sizeof(took));
		const cJSON *ls = cJSON_GetObjectItem(j, "last_status");
		printf("%-8.0f %-16s %10s %-22s %10s %-8s %.0f\n", cs_json_num(j, "org"),
		       cs_json_str(j, "kind", "?"), iv,
		       cJSON_IsTrue(cJSON_GetObjectItem(j, "running")) ? "(running)"
								   : cs_json_str(j, "next_run", "-"),
		       took, cJSON_IsString(ls) ? ls->valuestring : "-", cs_json_num(j, "runs"));
	}
	cJSON_Delete(st);
	return CS_EXIT_OK;
}

static const cs_cmd_opt start_opts[] = {
	{"foreground", CS_CMD_OPT_FLAG, NULL, "stay attached (systemd Type=notify, containers)"},
	{"config", CS_CMD_OPT_STRING, "FILE",
	 "daemon config (default: ./daemon-config.json if it exists, else built-in defaults)"},
	{"http", CS_CMD_OPT_STRING, "ADDR",
	 "serve the status page / and /healthz /readyz /metrics on ADDR (e.g. 127.0.0.1:9464, "
	 ":9464); off by default; beyond loopback only with a token"},
	{"http-token-file", CS_CMD_OPT_STRING, "FILE",
	 "the --http token, from a file only its owner reads (else CLASSY_SYNC_HTTP_TOKEN); "
	 "requests send 'Authorization: Bearer TOKEN'"},
	{"timeout", CS_CMD_OPT_INT, "S", "restart: seconds to wait for the old daemon (default 60)"},
	{NULL, 0, NULL, NULL},
};

static const cs_cmd_opt stop_opts[] = {
	{"timeout", CS_CMD_OPT_INT, "S", "seconds to wait for it to exit (default 60)"},
	{NULL, 0, NULL, NULL},
};

static const cs_cmd_opt json_opts[] = {
	{"json", CS_CMD_OPT_FLAG, NULL, "print as JSON"},
	{NULL, 0, NULL, NULL},
};

#define RUN_FLAGS (CS_CMD_STORE | CS_CMD_MIGRATED | CS_CMD_KEY)

static const cs_cmd start_cmd = {
	.name = "start", .fn = cmd_start, .flags = RUN_FLAGS, .opts = start_opts,
	.summary = "start the daemon (detached unless --foreground)",
	.description = "Exit codes: 0 started (or, with --foreground, stopped cleanly), 1 already\n"
		       "running or could not start or the supervisor gave up, 2 bad config.",
};
static const cs_cmd stop_cmd = {
	.name = "stop", .fn = cmd_stop, .flags = CS_CMD_CONFIG, .opts = stop_opts,
	.summary = "stop the daemon gracefully (SIGTERM, then wait)",
	.description = "The page in flight commits or rolls back and runs are recorded as\n"
		       "interrupted. Exit 0 when stopped or not running, 1 on timeout.",
};
static const cs_cmd restart_cmd = {
	.name = "restart", .fn = cmd_restart, .flags = RUN_FLAGS, .opts = start_opts,
	.summary = "stop the daemon, then start it with these options",
};
static const cs_cmd status_cmd = {
	.name = "status", .fn = cmd_status, .flags = CS_CMD_CONFIG, .opts = json_opts,
	.summary = "pid, uptime, heartbeat, jobs, last and next runs; workers on a server DB",
	.description = "Reads this machine's daemon status file, then, on a PostgreSQL or MySQL\n"
		       "database, the live workers of every host with the leases they hold (as\n"
		       "'daemon workers'; a database that cannot be read is said, not fatal).\n"
		       "On SQLite it never opens the database. Exit 0 when the daemon runs, 1\n"
		       "when it does not (--json then prints {\"running\":false,...}).",
};
static const cs_cmd schedule_cmd = {
	.name = "schedule", .fn = cmd_schedule, .flags = CS_CMD_CONFIG, .opts = json_opts,
	.summary = "the timetable: each org and job, interval, next run, last duration",
	.description = "Exit 0 when the daemon runs, 1 when it does not.",
};

static const cs_cmd workers_cmd = {
	.name = "workers", .fn = cmd_workers, .flags = CS_CMD_STORE | CS_CMD_MIGRATED,
	.opts = json_opts,
	.summary = "every live worker sharing the database, on any host, and the leases it holds",
	.description = "Reads the unexpired leases from the database (sync_leases): host, pid,\n"
		       "holder, each org and job held, and when the lease expires. Unlike\n"
		       "'daemon status', it opens the database. Exit 0, also when none runs.",
};

static const cs_cmd *const daemon_subs[] = {&start_cmd, &stop_cmd, &restart_cmd, &status_cmd,
					     &schedule_cmd, &workers_cmd, NULL};

const cs_cmd cs_cmd_daemon = {
	.name = "daemon",
	.summary = "run syncs on a schedule in the background, supervised",
	.sub = daemon_subs,
	.description = "Runtime files live next to the database (DB_PATH.daemon.pid, .log, .json)\n"
		       "or in $CLASSY_SYNC_RUN_DIR. See README \"Operations\".",
};
