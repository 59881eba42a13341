/* The daemon seen from outside, as the commands see it: its runtime paths,
 * the pidfile (who holds it; taking it before a start), stopping it, and
 * reading its status file.
 *
 * Never prints and never decides an exit code (src/cmd/daemon_cmd.c does),
 * and never signals anything but the pid that holds the pidfile lock: a
 * stale pidfile names no one. */
#include "daemon/daemon.h"
#include "health/health_paths.h"

#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* What `daemon status` reads of the status file: it lists every job. */
#define STATUS_MAX_BYTES ((size_t)1 << 20)
/* How often a stop looks whether the daemon is gone. */
#define STOP_POLL_MS 50

/* A path too long is left "" and fails clearly when opened. */
static void runtime_path(const char *dir, const char *db_path, const char *ext, char *out,
			 size_t n)
{
	cs_err err = {0};
	if (cs_health_daemon_file_path(dir, db_path, ext, out, n, &err))
		out[0] = '\0';
}

void cs_daemon_paths_init(const cs_config *cfg, cs_daemon_paths *p)
{
	/* one naming rule, shared with `health` (health/health_paths.c) */
	const char *dir = getenv("CLASSY_SYNC_RUN_DIR");
	runtime_path(dir, cfg->db_path, "pid", p->pidfile, sizeof(p->pidfile));
	runtime_path(dir, cfg->db_path, "log", p->logfile, sizeof(p->logfile));
	runtime_path(dir, cfg->db_path, "json", p->statusfile, sizeof(p->statusfile));
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

/* The lock lives as long as the fd (inherited across the forks). */
int cs_daemon_lock(const cs_daemon_paths *p, int *fd, cs_err *err)
{
	*fd = open(p->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return cs_err_set(err, CS_EIO, "cannot open pidfile '%s': %s", p->pidfile,
				  strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		long other = read_pid(*fd);
		close(*fd);
		*fd = -1;
		return cs_err_set(err, CS_ECONFLICT, "already running (pid %ld)", other);
	}
	return 0;
}

int cs_daemon_stop(const cs_daemon_paths *p, long *pid, cs_err *err)
{
	*pid = cs_daemon_running(p);
	if (!*pid)
		return cs_err_set(err, CS_ENOTFOUND, "daemon is not running");
	if (kill((pid_t)*pid, SIGTERM) != 0)
		return cs_err_set(err, CS_ERR, "cannot signal the daemon (pid %ld): %s", *pid,
				  strerror(errno));
	return 0;
}

int cs_daemon_wait_stopped(const cs_daemon_paths *p, long pid, long long timeout_s, cs_err *err)
{
	int64_t end = cs_time_mono_ms() + timeout_s * 1000;
	while (cs_daemon_running(p) == pid) {
		if (cs_time_mono_ms() >= end)
			return cs_err_set(err, CS_ERR,
					  "the daemon (pid %ld) did not stop within %lld s; it may "
					  "still be finishing a page (see its log)",
					  pid, timeout_s);
		struct timespec ts = cs_time_timespec(STOP_POLL_MS);
		nanosleep(&ts, NULL);
	}
	return 0;
}

cJSON *cs_daemon_read_status(const cs_daemon_paths *p)
{
	cs_err err = {0};
	return cs_health_daemon_status_json(p->statusfile, STATUS_MAX_BYTES, &err);
}
