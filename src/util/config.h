#ifndef CS_CONFIG_H
#define CS_CONFIG_H
/* Configuration from the environment, one table drives parsing, validation,
 * defaults, `.env` files and redacted display (see config.c). */
#include "util/err.h"

#include <stddef.h>

enum cs_db_type { CS_DB_SQLITE = 0, CS_DB_POSTGRESQL, CS_DB_MYSQL };
/* CLASSY_RATE_LIMIT_SHARED: auto shares on the server products only */
enum cs_shared_mode { CS_SHARED_OFF = 0, CS_SHARED_ON, CS_SHARED_AUTO };
/* libpq's sslmode values, in its order */
enum cs_sslmode { CS_SSL_PREFER = 0, CS_SSL_DISABLE, CS_SSL_ALLOW, CS_SSL_REQUIRE,
		  CS_SSL_VERIFY_CA, CS_SSL_VERIFY_FULL };

typedef struct cs_config {
	int db_type;
	char db_path[1024];
	int db_path_default; /* DB_PATH was not set: the state directory's classy.db */
	char db_host[256];
	int db_port;
	char db_user[256];
	char db_password[256]; /* secret */
	char db_name[256];
	int db_sslmode;         /* enum cs_sslmode (PostgreSQL) */
	char database_url[1024]; /* secret when it holds a password */
	char api_url[512];
	char token_url[512];
	int rate_limit;    /* requests a minute per API application; 0: no pacing */
	int rate_limit_shared; /* enum cs_shared_mode: the budget shared through the database */
	int concurrency;   /* Classy requests in flight at once per process */
	char fields[1024]; /* "ENTITY=f1,f2 ...": trimmed list payloads; "" every field */
	char key_file[1024];
	char key_b64[128]; /* secret: CLASSY_SYNC_KEY */
	int log_level;
	int log_format;
	int allow_http;     /* CLASSY_SYNC_ALLOW_HTTP: plain http to any host */
	char ca_file[1024]; /* CLASSY_SYNC_CA_FILE: CA bundle for TLS, "" = the system's */
	int lease_ttl_s;    /* CLASSY_SYNC_LEASE_TTL: how long a sync lease lives unrenewed */
	char host[128];     /* CLASSY_SYNC_HOST: the host name leases and runs record, "" own */
} cs_config;

/* Fills cfg with defaults, then the .env file (CLASSY_SYNC_ENV_FILE, else
 * ./.env when it exists), then the real environment, which wins. Every value
 * is validated; a bad one fails with CS_EUSAGE and a message naming the
 * variable (and, for a file, the file and line). */
int cs_config_load(cs_config *cfg, cs_err *err);

/* The default DB_PATH of versions before the state directory, still used
 * when DB_PATH is unset and the working directory holds such a file. */
#define CS_CONFIG_OLD_DB_PATH "./classy-sync.db"

/* config_dbpath.c: the default DB_PATH into out (empty when no state
 * directory can be found): $STATE_DIRECTORY/classy.db (the first of a
 * list), else $XDG_STATE_HOME/classy-sync/classy.db (only when absolute),
 * else ~/.local/state/classy-sync/classy.db. */
void cs_config_default_db_path(char *out, size_t n);
/* Creates the directory of the default DB_PATH (and its parents), each one
 * made 0700; nothing when DB_PATH was set. Called before the database or a
 * file beside it is opened, not by cs_config_load, so `config show` creates
 * nothing. */
int cs_config_make_db_dir(const cs_config *cfg, cs_err *err);

/* Calls fn once per known variable with its current value, secrets replaced
 * by "(set)" or "(unset)". For `config show` and docs. */
typedef void (*cs_config_visit_fn)(const char *name, const char *value, const char *help,
				   void *ctx);
void cs_config_visit(const cs_config *cfg, cs_config_visit_fn fn, void *ctx);

const char *cs_config_db_type_name(int db_type);
const char *cs_config_sslmode_name(int mode);
/* Writes url with the password of its user part replaced by "***", for
 * messages and `config show`. */
void cs_config_redact_url(const char *url, char *out, size_t n);

/* The settings of the database `db copy --to url` names (postgresql://,
 * mysql://, or sqlite:PATH), the rest taken from base. url must hold no
 * password; password (may be NULL: DB_COPY_PASSWORD, percent-encoded) goes
 * into the stored URL. CS_EUSAGE names what is wrong. */
int cs_config_target(const cs_config *base, const char *url, const char *password,
		     cs_config *out, cs_err *err);

/* Zeroes the secret fields (DB_PASSWORD, CLASSY_SYNC_KEY) once cfg is no
 * longer needed. */
void cs_config_wipe(cs_config *cfg);

/* Plain http:// sends what a request carries (a client secret, a bearer
 * token, an API key) unencrypted. A URL variable (name) holding an http://
 * URL is refused (CS_EUSAGE, naming it) unless its host is this machine
 * (127.0.0.0/8, ::1, localhost) or allow_http. https:// always passes. */
int cs_config_check_transport(const char *name, const char *url, int allow_http, cs_err *err);
/* The same for a variable outside the table (a plugin's URL), with
 * CLASSY_SYNC_ALLOW_HTTP read as cs_config_env_lookup reads it. */
int cs_config_check_transport_env(const char *name, const char *url, cs_err *err);

/* Reads a variable the config table does not know (e.g. MAILCHIMP_API_KEY)
 * with the same precedence as cs_config_load: the real environment, even
 * when set to "", wins over the .env file that the last cs_config_load read.
 * Returns 0 and copies the value, CS_ENOTFOUND when it is set nowhere, or
 * CS_ERR when it does not fit in outsz bytes (out is then ""). */
int cs_config_env_lookup(const char *name, char *out, size_t outsz);

#endif
