/* The daemon's own processes above the worker: starting it (in the
 * foreground, or detached with a double fork), and the supervisor that
 * forks the worker, forwards SIGTERM and SIGHUP, restarts a crashed worker
 * (autoRestart) and gives up after maxRestarts inside autoRestart.window,
 * with one last alert.
 *
 * Never prints and never picks an exit code for the command: it returns
 * results (src/cmd/daemon_cmd.c says what they mean); its processes only
 * log. Never lets a worker hold the pidfile lock: a worker that outlives
 * its supervisor must not look like a running daemon. */
#include "daemon/daemon_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		cs_warn("cannot write the pidfile");
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
	cs_alert_store as = cs_daemon_alert_store(st);
	cs_alerter_opts ao = {.url = ac.url, .allow_http = ac.allow_http,
			      .retry_budget_ms = 10000, .timeout_ms = 5000,
			      .store = st ? &as : NULL};
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

static pid_t spawn_worker(cs_daemon_worker_args *wa, const sigset_t *old)
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
	_exit(cs_daemon_worker_main(wa));
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

#define MAX_CRASH_TIMES 100 /* the largest autoRestart.maxRestarts (sched/dconfig.c) */

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
	if (cs_dconfig_load_or_defaults(o->config_path, &cfg, &err))
		cs_dconfig_defaults(&cfg); /* checked before; the worker reports it */
	cs_daemon_worker_args wa = {.o = o, .paths = paths, .sup_pid = getpid(),
				    .started_ms = cs_time_now_ms(), .ready_fd = ready_fd};
	/* On the stack, not the heap: a forked worker must not inherit a block
	 * it cannot free (valgrind saw it as lost in every worker), and there is
	 * no allocation to fail. autoRestart.maxRestarts is at most 100. */
	int64_t crashes[MAX_CRASH_TIMES];
	long keep = cfg.restart_max < MAX_CRASH_TIMES ? cfg.restart_max : MAX_CRASH_TIMES;
	int ncrash = 0, stop = 0, backoff = 0, end = CS_DAEMON_END_STOPPED;
	for (;;) {
		pid_t child = spawn_worker(&wa, &old);
		if (wa.ready_fd >= 0) {
			close(wa.ready_fd); /* the first worker reports readiness */
			wa.ready_fd = -1;
		}
		if (child < 0) {
			cs_log(CS_LOG_ERROR, "cannot fork the worker: %s", strerror(errno));
			end = CS_DAEMON_END_FAILED;
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
		if (WIFEXITED(status) && WEXITSTATUS(status) == CS_DAEMON_WORKER_STOPPED) {
			cs_info("worker %ld stopped", (long)child);
			break;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == CS_DAEMON_WORKER_FATAL) {
			cs_log(CS_LOG_ERROR, "worker %ld could not start; not restarting it",
			       (long)child);
			end = CS_DAEMON_END_BAD_CONFIG;
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
			end = CS_DAEMON_END_FAILED;
			break;
		}
		/* keep the newest maxRestarts crash times */
		if (ncrash == keep) {
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
	cs_dconfig_release(&cfg);
	unlink(paths->pidfile);
	cs_info("daemon stopped");
	return end;
}

int cs_daemon_run(const cs_daemon_opts *o, const cs_daemon_paths *paths, int lock_fd)
{
	g_pidfd = lock_fd;
	pidfile_write(lock_fd);
	int end = supervise(o, paths, -1);
	close(lock_fd);
	return end;
}

/* Reads what the worker reported on the pipe: "ok", or "usage: ..." /
 * "error: ..." up to its first newline; "" when it exited without a word. */
static void read_report(int fd, char *msg, size_t n)
{
	size_t len = 0;
	ssize_t r;
	while (len < n - 1 && (r = read(fd, msg + len, n - 1 - len)) > 0)
		len += (size_t)r;
	msg[len] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
}

int cs_daemon_detach(const cs_daemon_opts *o, const cs_daemon_paths *paths, int lock_fd,
		     cs_daemon_started *out, cs_err *err)
{
	memset(out, 0, sizeof(*out));
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		cs_err_set(err, CS_EIO, "cannot create a pipe: %s", strerror(errno));
		close(lock_fd);
		return err->code;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cs_err_set(err, CS_EIO, "cannot fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		close(lock_fd);
		return err->code;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		/* private whatever the umask: the log names orgs and runs */
		int logfd = open(paths->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (logfd >= 0) {
			dup2(logfd, STDOUT_FILENO);
			dup2(logfd, STDERR_FILENO);
		}
		/* The umask stays as cs_proc_lockdown left it (077): the status
		 * file and a database made from here on must not be readable by
		 * others. */
		g_pidfd = lock_fd;
		pidfile_write(lock_fd);
		_exit(supervise(o, paths, pfd[1]));
	}
	out->spawned = 1;
	close(pfd[1]);
	close(lock_fd);
	waitpid(pid, NULL, 0);
	read_report(pfd[0], out->report, sizeof(out->report));
	close(pfd[0]);
	out->pid = cs_daemon_running(paths);
	if (!strncmp(out->report, "ok", 2))
		return 0;
	int usage = !strncmp(out->report, "usage: ", 7);
	return cs_err_set(err, usage ? CS_EUSAGE : CS_ERR, "the daemon did not start: %.900s",
			  out->report[0] ? out->report : "it exited");
}
