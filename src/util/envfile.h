#ifndef CS_ENVFILE_H
#define CS_ENVFILE_H
/* Internal to util: the parsed `.env` file behind cs_config_load and
 * cs_config_env_lookup. Other modules use cs_config_env_lookup
 * (util/config.h). */
#include "util/err.h"

#include <stddef.h>

typedef struct cs_envfile_entry {
	char *key;
	char *value;
	int line;
} cs_envfile_entry;

typedef struct cs_envfile {
	char *path; /* as given, for messages; NULL when no file was read */
	cs_envfile_entry *v;
	size_t n, cap;
} cs_envfile;

#define CS_ENVFILE_INIT {NULL, NULL, 0, 0}

/* Reads the file CLASSY_SYNC_ENV_FILE names (an error if it cannot be read),
 * else ./.env when it exists, else nothing (ef stays empty, returns 0). */
int cs_envfile_load_default(cs_envfile *ef, cs_err *err);
/* Parses path into ef. Blank lines and `# comments` are skipped; anything
 * else must be `[export ]KEY=value` with an optional quoted value. */
int cs_envfile_parse(cs_envfile *ef, const char *path, cs_err *err);
/* The last entry for key, or NULL. */
const cs_envfile_entry *cs_envfile_get(const cs_envfile *ef, const char *key);
/* Wipes the values (they may be passwords) and frees everything. */
void cs_envfile_release(cs_envfile *ef);

/* Makes ef the process-wide file cs_config_env_lookup reads, taking
 * ownership; the previous one is released. */
void cs_envfile_install(cs_envfile *ef);

#endif
