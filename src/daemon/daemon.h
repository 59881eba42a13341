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
	int foreground;
} cs_daemon_opts;

/* The pid of the running daemon's supervisor: the pidfile exists and its
 * lock is held. 0 when no daemon runs. */
long cs_daemon_running(const cs_daemon_paths *p);

/* Starts the daemon. In the foreground this returns when it stops; detached
 * it returns once the worker reported ready (or failed). Returns an exit
 * code: 0, 1 (already running, could not start, gave up), 2 (bad config). */
int cs_daemon_start(const cs_daemon_opts *o, const cs_daemon_paths *paths);

/* Reads the status file: the parsed JSON, or NULL (missing, unreadable). */
struct cJSON *cs_daemon_read_status(const cs_daemon_paths *p);

#endif
