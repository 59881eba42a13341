#ifndef CS_DAEMON_H
#define CS_DAEMON_H
/* `classy-sync daemon`: a supervisor process and its worker.
 *
 * Process model (docs/ARCHITECTURE.md "Daemon"):
 *   start ──(double fork + setsid unless --foreground)──> supervisor
 *   supervisor: holds the pidfile (flock), forks the worker, restarts it
 *               after a crash (autoRestart), forwards SIGTERM and SIGHUP
 *   worker:     the scheduler loop, one thread per running job, the status
 *               file, alerts, metrics and the HTTP endpoint
 *
 * Runtime files: next to the database (DB_PATH + ".daemon.pid", ".daemon.log",
 * ".daemon.json"), or in $CLASSY_SYNC_RUN_DIR as classy-sync.daemon.*. */
#include "util/config.h"
#include "util/err.h"

#include <stdint.h>

typedef struct cs_daemon_paths {
	char pidfile[1100];
	char logfile[1100];
	char statusfile[1100];
} cs_daemon_paths;

void cs_daemon_paths_init(const cs_config *cfg, cs_daemon_paths *p);

typedef struct cs_daemon_opts {
	const cs_config *cfg;
	const unsigned char *key;
	char config_path[1024]; /* "" = built-in defaults */
	const char *http;       /* --http ADDR, or NULL */
	const char *http_token; /* the endpoint's token, or NULL (loopback only) */
	int foreground;
} cs_daemon_opts;

/* The pid of the running daemon's supervisor: the pidfile exists and its
 * lock is held. 0 when no daemon runs. */
long cs_daemon_running(const cs_daemon_paths *p);

/* Asks the running daemon to stop: SIGTERM to its supervisor, which
 * forwards it; the jobs finish their page first. 0 with *pid set;
 * CS_ENOTFOUND when no daemon runs; CS_ERR when it cannot be signalled. */
int cs_daemon_stop(const cs_daemon_paths *p, long *pid, cs_err *err);

/* Waits until the daemon of pid no longer holds the pidfile. 0 when it is
 * gone; CS_ERR after timeout_s seconds. */
int cs_daemon_wait_stopped(const cs_daemon_paths *p, long pid, long long timeout_s, cs_err *err);

/* Starting takes two steps, so the command can say what went wrong where:
 * cs_daemon_lock, then cs_daemon_run (foreground) or cs_daemon_detach.
 * Nothing here prints; the daemon's own processes log (util/log.h). */

/* Takes the pidfile's lock; *fd holds it and goes to cs_daemon_run or
 * cs_daemon_detach, which own it from then on. CS_ECONFLICT "already
 * running (pid N)" when a daemon holds it, CS_EIO when the pidfile cannot
 * be opened. */
int cs_daemon_lock(const cs_daemon_paths *p, int *fd, cs_err *err);

/* How a supervisor ended. The values are also a detached supervisor's exit
 * status. */
enum cs_daemon_end {
	CS_DAEMON_END_STOPPED = 0,   /* stopped by SIGTERM/SIGINT */
	CS_DAEMON_END_FAILED = 1,    /* could not fork a worker, or gave up restarting it */
	CS_DAEMON_END_BAD_CONFIG = 2 /* the worker could not start at all (bad config) */
};

/* Runs the supervisor in this process (--foreground) until it stops;
 * returns an enum cs_daemon_end. */
int cs_daemon_run(const cs_daemon_opts *o, const cs_daemon_paths *p, int lock_fd);

typedef struct cs_daemon_started {
	long pid;          /* started: the supervisor's pid */
	int spawned;       /* the daemon's process was forked (else: pipe or fork failed) */
	char report[1100]; /* what the worker reported: "ok", "usage: ...", "error: ...",
			    * or "" when it exited without a word */
} cs_daemon_started;

/* Detaches (double fork + setsid, output to the log file) and waits until
 * the worker reported ready or failed. 0 when it runs. Otherwise, with
 * out->spawned 0: CS_EIO (no pipe, no fork); with out->spawned 1 the worker
 * did not get ready: CS_EUSAGE when it rejected the configuration, else
 * CS_ERR, and out->report says what it reported. */
int cs_daemon_detach(const cs_daemon_opts *o, const cs_daemon_paths *p, int lock_fd,
		     cs_daemon_started *out, cs_err *err);

/* Reads the status file: the parsed JSON, or NULL (missing, unreadable). */
struct cJSON *cs_daemon_read_status(const cs_daemon_paths *p);

#endif
