/* The daemon status file: where it lives and how to read it (contract in
 * health_paths.h). The daemon writes it, `health` and `daemon status` read
 * it, so the naming rule and the reader live here, once, below all three.
 *
 * Never writes the file: the daemon does (daemon_status.c), through a
 * rename, so a reader never sees half of it. */
#include "health/health_paths.h"

#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define STATUS_MAX_BYTES 65536

int cs_health_daemon_file_path(const char *run_dir, const char *db_path, const char *ext,
			       char *out, size_t outsz, cs_err *err)
{
	int n;
	if (run_dir && run_dir[0])
		n = snprintf(out, outsz, "%s/classy-sync.daemon.%s", run_dir, ext);
	else
		n = snprintf(out, outsz, "%s.daemon.%s", db_path ? db_path : "", ext);
	if (n < 0 || (size_t)n >= outsz)
		return cs_err_set(err, CS_EUSAGE, "daemon %s file path is too long (%d bytes)", ext,
				  n);
	return 0;
}

int cs_health_daemon_status_path(const char *run_dir, const char *db_path, char *out,
				 size_t outsz, cs_err *err)
{
	return cs_health_daemon_file_path(run_dir, db_path, "json", out, outsz, err);
}

int cs_health_daemon_status_path_env(const char *db_path, char *out, size_t outsz, cs_err *err)
{
	return cs_health_daemon_status_path(getenv("CLASSY_SYNC_RUN_DIR"), db_path, out, outsz, err);
}

cJSON *cs_health_daemon_status_json(const char *path, size_t max_bytes, cs_err *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		cs_err_set(err, errno == ENOENT ? CS_ENOTFOUND : CS_EIO,
			   "cannot read daemon status file '%s': %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max_bytes);
	size_t n = buf ? fread(buf, 1, max_bytes - 1, fp) : 0;
	fclose(fp);
	if (!buf) {
		cs_err_set(err, CS_ERR, "out of memory");
		return NULL;
	}
	buf[n] = '\0';
	cJSON *root = cJSON_Parse(buf);
	free(buf);
	if (!root)
		cs_err_set(err, CS_EPROTO, "daemon status file '%s' is not JSON", path);
	return root;
}

static int64_t time_field(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	int64_t ms = 0;
	if (cJSON_IsString(v) && cs_time_parse(v->valuestring, &ms, NULL) == 0)
		return ms;
	return 0;
}

int cs_health_daemon_status_read(const char *path, cs_health_daemon_status *out, cs_err *err)
{
	cJSON *root = cs_health_daemon_status_json(path, STATUS_MAX_BYTES, err);
	if (!root && err->code != CS_EPROTO)
		return err->code;
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
	if (!cJSON_IsObject(root) || !cJSON_IsNumber(pid) || pid->valuedouble < 1) {
		cJSON_Delete(root);
		return cs_err_set(err, CS_EPROTO,
				  "daemon status file '%s' is not a JSON object with a \"pid\"", path);
	}
	memset(out, 0, sizeof(*out));
	out->pid = (long long)pid->valuedouble;
	out->started_at_ms = time_field(root, "started_at");
	out->heartbeat_at_ms = time_field(root, "heartbeat_at");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "restarts");
	out->restarts = cJSON_IsNumber(r) ? (long long)r->valuedouble : 0;
	cJSON_Delete(root);
	return 0;
}
