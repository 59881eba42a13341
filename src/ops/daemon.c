/* The daemon's outer layer: runtime paths, the pidfile, detaching, and the
 * supervisor that restarts a crashed worker (autoRestart) and gives up after
 * maxRestarts inside autoRestart.window. */
#include "ops/daemon_int.h"
#include "ops/health_paths.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void cs_daemon_paths_init(const cs_config *cfg, cs_daemon_paths *p)
{
	/* one naming rule, shared with `health` (ops/health_paths.c); a path
	 * too long is left "" and fails clearly when opened */
	const char *dir = getenv("CLASSY_SYNC_RUN_DIR");
	cs_err err = {0};
	if (cs_daemon_file_path(dir, cfg->db_path, "pid", p->pidfile, sizeof(p->pidfile), &err))
		p->pidfile[0] = '\0';
	if (cs_daemon_file_path(dir, cfg->db_path, "log", p->logfile, sizeof(p->logfile), &err))
		p->logfile[0] = '\0';
	if (cs_daemon_file_path(dir, cfg->db_path, "json", p->statusfile, sizeof(p->statusfile), &err))
		p->statusfile[0] = '\0';
}

static long read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

long cs_daemon_running(const cs_daemon_paths *p)
{
	int fd = open(p->pidfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long pid = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK)
		pid = read_pid(fd); /* locked: the daemon holds it */
	close(fd);
	return pid;
}

/* Opens and locks the pidfile; the lock lives as long as the returned fd
 * (inherited across the forks). -1 with *other set when a daemon runs. */
static int pidfile_lock(const cs_daemon_paths *p, long *other, cs_err *err)
{
	*other = 0;
	int fd = open(p->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return cs_err_set(err, CS_EIO, "cannot open pidfile '%s': %s", p->pidfile,
				  strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		*other = read_pid(fd);
		close(fd);
		return cs_err_set(err, CS_ECONFLICT, "already running (pid %ld)", *other);
	}
	return fd;
}

static void pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		cs_warn("cannot write the pidfile");
}

cJSON *cs_daemon_read_status(const cs_daemon_paths *p)
{
	FILE *f = fopen(p->statusfile, "r");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	cJSON *j = cJSON_Parse(buf);
	free(buf);
	return j;
}

/* ---- supervisor ---------------------------------------------------------- */

/* The locked pidfile; the worker closes its copy so the lock is the
 * supervisor's alone (a worker outliving it must not look like a daemon). */
static int g_pidfd = -1;

static void give_up_alert(const cs_daemon_opts *o, const char *detail)
{
	cs_alert_config ac;
	cs_err err = {0};
	if (cs_alert_config_from_env(&ac, &err) || !ac.url[0])
		return;
	cs_store *st = NULL;
	if (cs_store_open(o->cfg, &st, &err))
		st = NULL;
	dworker w;
	memset(&w, 0, sizeof(w));
	w.st = st;
	cs_daemon_alert_store(&w);
	cs_alerter_opts ao = {.url = ac.url, .allow_http = ac.allow_http,
			      .retry_budget_ms = 10000, .timeout_ms = 5000,
			      .store = st ? &w.astore : NULL};
	cs_alerter *al = NULL;
	if (cs_alerter_new(&ao, &al, &err) == 0) {
		cs_alert a = {.event = CS_ALERT_SUPERVISOR_GAVE_UP, .detail = detail};
		cs_alerter_observe(al, &a, 1, cs_time_now_ms(), &err);
		if (cs_alerter_flush(al, 15000))
			cs_warn("the supervisor_gave_up alert could not be delivered in time");
		cs_alerter_free(al);
	} else {
		cs_warn("cannot send the supervisor_gave_up alert: %s", err.msg);
	}
	cs_store_close(st);
}

static pid_t spawn_worker(cs_worker_args *wa, const sigset_t *old)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, old, NULL);
	if (g_pidfd >= 0)
		close(g_pidfd);
	const char *wd = getenv("WATCHDOG_PID");
	if (wd && strtol(wd, NULL, 10) == (long)getppid()) { /* the worker feeds it */
		char buf[32];
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		setenv("WATCHDOG_PID", buf, 1);
	}
	_exit(cs_daemon_worker(wa));
}

static int sleep_or_signal(const sigset_t *set, int64_t ms, int *stop)
{
	int64_t end = cs_time_mono_ms() + ms;
	for (;;) {
		int64_t left = end - cs_time_mono_ms();
		if (left <= 0)
			return 0;
		struct timespec ts = cs_time_timespec(left);
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			*stop = 1;
			return 1;
		}
	}
}

static int supervise(const cs_daemon_opts *o, const cs_daemon_paths *paths, int ready_fd)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	cs_dconfig cfg;
	cs_err err = {0};
	if (!o->config_path[0])
		cs_dconfig_defaults(&cfg);
	else if (cs_dconfig_load(o->config_path, &cfg, &err))
		cs_dconfig_defaults(&cfg); /* checked before; the worker reports it */
	cs_worker_args wa = {.o = o, .paths = paths, .sup_pid = getpid(),
			     .started_ms = cs_time_now_ms(), .ready_fd = ready_fd};
	int64_t *crashes = calloc((size_t)cfg.restart_max + 1, sizeof(*crashes));
	int ncrash = 0, stop = 0, rc = 0, backoff = 0;
	for (;;) {
		pid_t child = spawn_worker(&wa, &old);
		if (wa.ready_fd >= 0) {
			close(wa.ready_fd); /* the first worker reports readiness */
			wa.ready_fd = -1;
		}
		if (child < 0) {
			cs_log(CS_LOG_ERROR, "cannot fork the worker: %s", strerror(errno));
			rc = 1;
			break;
		}
		cs_info("supervisor %ld: worker %ld started (restarts so far: %d)", (long)getpid(),
			(long)child, wa.restarts);
		int status = 0;
		for (;;) {
			int sig = sigwaitinfo(&set, NULL);
			if (sig == SIGTERM || sig == SIGINT) {
				stop = 1;
				kill(child, SIGTERM);
			} else if (sig == SIGHUP) {
				kill(child, SIGHUP);
			}
			pid_t r = waitpid(child, &status, WNOHANG);
			if (r == child)
				break;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == CS_WORKER_STOPPED) {
			cs_info("worker %ld stopped", (long)child);
			break;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == CS_WORKER_FATAL) {
			cs_log(CS_LOG_ERROR, "worker %ld could not start; not restarting it",
			       (long)child);
			rc = 2;
			break;
		}
		char why[128];
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
		if (stop) {
			cs_warn("worker %ld %s while stopping", (long)child, why);
			break;
		}
		int64_t now = cs_time_mono_ms();
		int recent = 0;
		for (int i = 0; i < ncrash; i++)
			recent += now - crashes[i] < cfg.restart_window_ms;
		if (!cfg.restart_enabled || recent >= cfg.restart_max) {
			char detail[256];
			snprintf(detail, sizeof(detail),
				 "worker %s; %d restart(s) within %ld s (autoRestart.maxRestarts %ld); "
				 "the daemon stopped",
				 why, recent, cfg.restart_window_ms / 1000, cfg.restart_max);
			cs_log(CS_LOG_ERROR, "supervisor gave up: %s", detail);
			give_up_alert(o, detail);
			rc = 1;
			break;
		}
		/* keep the newest maxRestarts crash times */
		if (ncrash == cfg.restart_max) {
			memmove(crashes, crashes + 1, (size_t)(ncrash - 1) * sizeof(*crashes));
			ncrash--;
		}
		crashes[ncrash++] = now;
		backoff = recent;
		int64_t delay = cfg.restart_delay_ms;
		for (int i = 0; i < backoff && delay < 600000; i++)
			delay *= 2;
		cs_warn("worker %ld %s; restarting it in %lld ms", (long)child, why, (long long)delay);
		if (sleep_or_signal(&set, delay, &stop))
			break;
		wa.restarts++;
	}
	free(crashes);
	cs_dconfig_release(&cfg);
	unlink(paths->pidfile);
	cs_info("daemon stopped");
	return rc;
}

int cs_daemon_start(const cs_daemon_opts *o, const cs_daemon_paths *paths)
{
	cs_err err = {0};
	long other = 0;
	int fd = pidfile_lock(paths, &other, &err);
	if (fd < 0) {
		fprintf(stderr, "classy-sync: daemon %s\n", err.msg);
		return CS_EXIT_FAIL;
	}
	g_pidfd = fd;
	if (o->foreground) {
		pidfile_write(fd);
		int rc = supervise(o, paths, -1);
		close(fd);
		return rc;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "classy-sync: error: cannot create a pipe: %s\n", strerror(errno));
		return CS_EXIT_FAIL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "classy-sync: error: cannot fork: %s\n", strerror(errno));
		return CS_EXIT_FAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		int logfd = open(paths->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (logfd >= 0) {
			dup2(logfd, STDOUT_FILENO);
			dup2(logfd, STDERR_FILENO);
		}
		umask(022);
		pidfile_write(fd);
		_exit(supervise(o, paths, pfd[1]));
	}
	close(pfd[1]);
	close(fd);
	waitpid(pid, NULL, 0);
	char msg[1100] = "";
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(msg) - 1 && (r = read(pfd[0], msg + n, sizeof(msg) - 1 - n)) > 0)
		n += (size_t)r;
	msg[n] = '\0';
	close(pfd[0]);
	long pid2 = cs_daemon_running(paths);
	if (!strncmp(msg, "ok", 2)) {
		printf("daemon started (pid %ld); log: %s\n", pid2, paths->logfile);
		return CS_EXIT_OK;
	}
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "classy-sync: error: the daemon did not start: %s (log: %s)\n",
		msg[0] ? msg : "it exited", paths->logfile);
	return !strncmp(msg, "usage: ", 7) ? CS_EXIT_USAGE : CS_EXIT_FAIL;
}
