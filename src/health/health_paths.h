#ifndef CS_HEALTH_PATHS_H
#define CS_HEALTH_PATHS_H
/* The daemon status file: written by the daemon, read by `health` and
 * `daemon status`. Contract (docs/ARCHITECTURE.md "Health checks"):
 *
 *   path  $CLASSY_SYNC_RUN_DIR/classy-sync.daemon.json when that variable is
 *         set and not empty, else DB_PATH + ".daemon.json"
 *   body  a JSON object with at least
 *         {"pid": N, "started_at": ISO, "heartbeat_at": ISO, "restarts": N}
 *         (ISO in the stored form, "2024-03-10T12:00:13Z"); other keys are
 *         ignored by readers. Write it to a temporary file in the same
 *         directory and rename() it over, so readers never see half a file. */
#include "util/err.h"
#include "util/proc.h" /* cs_proc_pid_alive, for readers of the pid */

#include <stddef.h>
#include <stdint.h>

#define CS_HEALTH_DAEMON_STATUS_NAME "classy-sync.daemon.json"

/* Any of the daemon's runtime files by extension ("pid", "log", "json"):
 * run_dir/classy-sync.daemon.EXT, else DB_PATH.daemon.EXT. run_dir is
 * $CLASSY_SYNC_RUN_DIR (NULL or "" when unset). Returns 0, or CS_EUSAGE
 * when the path does not fit. */
int cs_health_daemon_file_path(const char *run_dir, const char *db_path, const char *ext,
			       char *out, size_t outsz, cs_err *err);

/* The status file path for a database path (DB_PATH): the "json" one. */
int cs_health_daemon_status_path(const char *run_dir, const char *db_path, char *out,
				 size_t outsz, cs_err *err);

/* The same with run_dir read from the environment. */
int cs_health_daemon_status_path_env(const char *db_path, char *out, size_t outsz, cs_err *err);

typedef struct cs_health_daemon_status {
	long long pid;
	int64_t started_at_ms;   /* 0 when absent */
	int64_t heartbeat_at_ms; /* 0 when absent */
	long long restarts;
} cs_health_daemon_status;

/* Reads and parses the file. CS_ENOTFOUND when there is none, CS_EPROTO
 * when it is not the JSON above (naming the path). */
int cs_health_daemon_status_read(const char *path, cs_health_daemon_status *out, cs_err *err);

/* The whole file as JSON, reading at most max_bytes - 1 of it (the daemon
 * lists every job there; `daemon status` shows them). NULL with err set:
 * CS_ENOTFOUND when there is none, CS_EIO when unreadable, CS_EPROTO when
 * it is not JSON, CS_ERR when out of memory. */
struct cJSON *cs_health_daemon_status_json(const char *path, size_t max_bytes, cs_err *err);

#endif
