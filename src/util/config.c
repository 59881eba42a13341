/* Configuration from the environment and .env, driven by one table of
 * variables: defaults, parsing, validation, overrides and redacted display
 * (`config show`). Adding a variable is adding a row. It must never print a
 * secret's value, and never read the environment outside the table (a
 * plugin's own keys go through cs_config_env_lookup). */
#include "util/config.h"

#include "util/envfile.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One table drives everything below: defaults, the .env file, environment
 * overrides, validation and redacted display. Adding a variable means adding
 * a row (and a cs_config field), never new code paths. */

enum var_type { T_STR, T_PATH, T_URL, T_INT, T_ENUM, T_KEY, T_DBURL, T_FILE, T_DBPATH };
#define F_SECRET 1u

typedef struct var {
	const char *name;
	int type;
	unsigned flags;
	size_t off, size;           /* field in cs_config; size for strings */
	const char *def;            /* NULL: empty string / 0 */
	const char *const *allowed; /* T_ENUM: NULL-terminated, index = value */
	int min, max;               /* T_INT */
	const char *help;
} var;

#define FIELD(f) offsetof(cs_config, f), sizeof(((cs_config *)0)->f)

static const char *const db_types[] = {"sqlite", "postgresql", "mysql", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
static const char *const booleans[] = {"0", "1", NULL};
static const char *const shared_modes[] = {"0", "1", "auto", NULL};
static const char *const sslmodes[] = {"prefer",  "disable",   "allow",
				       "require", "verify-ca", "verify-full", NULL};

/* Other spellings an enum value is known by. */
static const struct {
	const char *alias, *name;
} enum_aliases[] = {
	{"postgres", "postgresql"},
	{"pg", "postgresql"},
	{"mariadb", "mysql"},
};

/* The enum tables double as the int values, so they must line up. */
_Static_assert(CS_DB_SQLITE == 0 && CS_DB_POSTGRESQL == 1 && CS_DB_MYSQL == 2, "db_types");
_Static_assert(CS_LOG_DEBUG == 0 && CS_LOG_INFO == 1 && CS_LOG_WARN == 2 && CS_LOG_ERROR == 3,
	       "log_levels");
_Static_assert(CS_LOG_TEXT == 0 && CS_LOG_JSON == 1, "log_formats");
_Static_assert(CS_SHARED_OFF == 0 && CS_SHARED_ON == 1 && CS_SHARED_AUTO == 2, "shared_modes");

static const var vars[] = {
	{"DB_TYPE", T_ENUM, 0, FIELD(db_type), "sqlite", db_types, 0, 0,
	 "database backend: sqlite, postgresql (postgres, pg) or mysql (mariadb)"},
	{"DB_PATH", T_DBPATH, 0, FIELD(db_path), NULL, NULL, 0, 0,
	 "SQLite database file; default: classy.db in $STATE_DIRECTORY (systemd), else in "
	 "$XDG_STATE_HOME/classy-sync (~/.local/state/classy-sync), made 0700"},
	{"DB_HOST", T_STR, 0, FIELD(db_host), NULL, NULL, 0, 0, "server database host"},
	{"DB_PORT", T_INT, 0, FIELD(db_port), NULL, NULL, 1, 65535, "server database port"},
	{"DB_USER", T_STR, 0, FIELD(db_user), NULL, NULL, 0, 0, "server database user"},
	{"DB_PASSWORD", T_STR, F_SECRET, FIELD(db_password), NULL, NULL, 0, 0,
	 "server database password"},
	{"DB_NAME", T_STR, 0, FIELD(db_name), NULL, NULL, 0, 0, "server database name"},
	/* before the URLs, which it judges */
	{"CLASSY_SYNC_ALLOW_HTTP", T_ENUM, 0, FIELD(allow_http), "0", booleans, 0, 0,
	 "1 allows plain http:// to hosts other than this machine (secrets then travel "
	 "unencrypted)"},
	{"DB_SSLMODE", T_ENUM, 0, FIELD(db_sslmode), "prefer", sslmodes, 0, 0,
	 "PostgreSQL TLS: prefer, disable, allow, require, verify-ca or verify-full"},
	{"DATABASE_URL", T_DBURL, 0, FIELD(database_url), NULL, NULL, 0, 0,
	 "the server database as one URL, postgresql://user:pass@host:port/db or "
	 "mysql://...; sets DB_TYPE; shown without its password"},
	{"CLASSY_API_URL", T_URL, 0, FIELD(api_url), "https://api.classy.org/2.0", NULL, 0, 0,
	 "Classy API base URL"},
	{"CLASSY_TOKEN_URL", T_URL, 0, FIELD(token_url), "https://api.classy.org/oauth2/auth",
	 NULL, 0, 0, "OAuth2 token endpoint"},
	{"CLASSY_RATE_LIMIT", T_INT, 0, FIELD(rate_limit), "1800", NULL, 0, 1000000,
	 "requests a minute per API application, shared by its orgs; 0: no client-side pacing"},
	{"CLASSY_RATE_LIMIT_SHARED", T_ENUM, 0, FIELD(rate_limit_shared), "auto", shared_modes, 0,
	 0,
	 "processes on one database share each application's budget through it (table "
	 "rate_slots): auto on PostgreSQL and MySQL, 1 on SQLite too, 0 never"},
	{"CLASSY_CONCURRENCY", T_INT, 0, FIELD(concurrency), "8", NULL, 1, 64,
	 "Classy requests in flight at once (per process)"},
	{"CLASSY_FIELDS", T_STR, 0, FIELD(fields), NULL, NULL, 0, 0,
	 "fewer fields per record: 'supporters=f1,f2 transactions=f3'; empty: every field"},
	{"CLASSY_SYNC_KEY_FILE", T_PATH, 0, FIELD(key_file), "~/.config/classy-sync/master.key",
	 NULL, 0, 0, "master key file, created with mode 0600 on first use"},
	{"CLASSY_SYNC_KEY", T_KEY, F_SECRET, FIELD(key_b64), NULL, NULL, 0, 0,
	 "base64 32-byte master key, used instead of the key file"},
	{"LOG_LEVEL", T_ENUM, 0, FIELD(log_level), "info", log_levels, 0, 0,
	 "debug, info, warn or error"},
	{"LOG_FORMAT", T_ENUM, 0, FIELD(log_format), "text", log_formats, 0, 0,
	 "text, or json for one object per line on stderr"},
	{"CLASSY_SYNC_CA_FILE", T_FILE, 0, FIELD(ca_file), NULL, NULL, 0, 0,
	 "PEM file of the CA certificates TLS trusts (default: the system's)"},
	{"CLASSY_SYNC_LEASE_TTL", T_INT, 0, FIELD(lease_ttl_s), "120", NULL, 2, 3600,
	 "seconds a sync lease lives without renewal (renewed every quarter of it): how soon "
	 "another worker takes over the jobs of one that died"},
	{"CLASSY_SYNC_HOST", T_STR, 0, FIELD(host), NULL, NULL, 0, 0,
	 "the host name leases and runs record (default: the machine's); set one per worker "
	 "when workers share a host name but not their processes (containers)"},
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static char *str_field(cs_config *cfg, const var *v)
{
	return (char *)cfg + v->off;
}

static int *int_field(cs_config *cfg, const var *v)
{
	return (int *)(void *)((char *)cfg + v->off);
}

static int set_str(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	size_t n = strlen(val);
	if (n >= v->size)
		return cs_err_set(err, CS_EUSAGE, "%s: value is too long (at most %zu bytes)",
				  v->name, v->size - 1);
	memcpy(str_field(cfg, v), val, n + 1);
	return 0;
}

/* Only "~" and "~/..." expand: that is what the default uses, and guessing
 * at "~user" would need a passwd lookup for no real benefit. */
static int set_path(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	if (val[0] != '~' || (val[1] != '\0' && val[1] != '/'))
		return set_str(v, val, cfg, err);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return cs_err_set(err, CS_EUSAGE,
				  "%s: cannot expand '~' in '%s' because HOME is not set; set HOME "
				  "or give an absolute path",
				  v->name, val);
	int n = snprintf(str_field(cfg, v), v->size, "%s%s", home, val + 1);
	if (n < 0 || (size_t)n >= v->size)
		return cs_err_set(err, CS_EUSAGE, "%s: value is too long (at most %zu bytes)",
				  v->name, v->size - 1);
	return 0;
}

/* DB_PATH: a value as any path. Unset: the database of an older version,
 * ./classy-sync.db, when the working directory holds one (it was the
 * default), else the state directory's classy.db, whose directory
 * cs_config_make_db_dir creates. */
static int set_db_path(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	cfg->db_path_default = 0;
	if (*val)
		return set_path(v, val, cfg, err);
	char path[sizeof(cfg->db_path)];
	cs_config_default_db_path(path, sizeof(path));
	if (!path[0] || access(CS_CONFIG_OLD_DB_PATH, F_OK) == 0)
		return set_str(v, CS_CONFIG_OLD_DB_PATH, cfg, err);
	cfg->db_path_default = 1;
	return set_str(v, path, cfg, err);
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* Shape check only (libcurl parses for real later): scheme, a host, an
 * optional port, a path without spaces, query or fragment. */
static int url_ok(const char *u)
{
	const char *p;
	if (strncasecmp(u, "https://", 8) == 0)
		p = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		p = u + 7;
	else
		return 0;
	const char *host = p;
	if (*p == '[') { /* IPv6 literal */
		p = strchr(p, ']');
		if (!p || p == host + 1)
			return 0;
		p++;
	} else {
		while (host_char(*p))
			p++;
		if (p == host)
			return 0;
	}
	if (*p == ':') {
		const char *port = ++p;
		long n = 0;
		while (*p >= '0' && *p <= '9' && n <= 65535)
			n = n * 10 + (*p++ - '0');
		if (p == port || n < 1 || n > 65535)
			return 0;
	}
	if (*p != '\0' && *p != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#' || *p == 0x7f)
			return 0;
	return 1;
}

static int set_url(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	if (!url_ok(val))
		return cs_err_set(err, CS_EUSAGE,
				  "%s: '%s' is not a valid URL (expected http(s)://host[:port]/path)",
				  v->name, val);
	/* every URL in the table receives a secret or a token */
	int rc = cs_config_check_transport(v->name, val, cfg->allow_http, err);
	if (rc == 0)
		rc = set_str(v, val, cfg, err);
	if (rc)
		return rc;
	/* one trailing '/' goes, so callers can always append "/path" */
	char *s = str_field(cfg, v);
	size_t n = strlen(s);
	if (s[n - 1] == '/')
		s[n - 1] = '\0';
	return 0;
}

static int set_int(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	if (*val == '\0') {
		*int_field(cfg, v) = 0;
		return 0;
	}
	char *end;
	long n = strtol(val, &end, 10);
	if (*end != '\0' || end == val || *val == ' ' || *val == '+' || n < v->min ||
	    n > v->max)
		return cs_err_set(err, CS_EUSAGE, "%s: '%s' is not a number from %d to %d", v->name,
				  val, v->min, v->max);
	*int_field(cfg, v) = (int)n;
	return 0;
}

static int set_enum(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	char list[256] = "";
	for (size_t i = 0; i < sizeof(enum_aliases) / sizeof(enum_aliases[0]); i++)
		if (strcasecmp(val, enum_aliases[i].alias) == 0)
			val = enum_aliases[i].name;
	for (int i = 0; v->allowed[i]; i++) {
		if (strcasecmp(val, v->allowed[i]) == 0) {
			*int_field(cfg, v) = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 v->allowed[i]);
	}
	return cs_err_set(err, CS_EUSAGE, "%s: '%s' is not allowed (expected one of: %s)",
			  v->name, val, list);
}

/* Checked here so a bad key stops the run before any work; the value
 * itself never goes into the message. */
static int set_key(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	unsigned char key[CS_SECRET_KEY_BYTES + 1];
	size_t len = 0;
	if (*val) {
		int bad = sodium_base642bin(key, sizeof(key), val, strlen(val), " \t\r\n", &len,
					    NULL, sodium_base64_VARIANT_ORIGINAL);
		sodium_memzero(key, sizeof(key));
		if (bad || len != CS_SECRET_KEY_BYTES)
			return cs_err_set(err, CS_EUSAGE,
					  "%s: not a base64 key of %d bytes; generate one with "
					  "'head -c 32 /dev/urandom | base64'",
					  v->name, CS_SECRET_KEY_BYTES);
	}
	return set_str(v, val, cfg, err);
}

static const struct {
	const char *scheme;
	int db_type;
} url_schemes[] = {
	{"postgresql://", CS_DB_POSTGRESQL},
	{"postgres://", CS_DB_POSTGRESQL},
	{"mysql://", CS_DB_MYSQL},
	{"mariadb://", CS_DB_MYSQL},
};

static int url_db_type(const char *url)
{
	for (size_t i = 0; i < sizeof(url_schemes) / sizeof(url_schemes[0]); i++)
		if (strncasecmp(url, url_schemes[i].scheme, strlen(url_schemes[i].scheme)) == 0)
			return url_schemes[i].db_type;
	return -1;
}

/* The scheme names the product; the rest is the driver's to read. */
static int set_dburl(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	if (*val && url_db_type(val) < 0)
		return cs_err_set(err, CS_EUSAGE,
				  "%s: the URL must start with postgresql:// or mysql:// (or "
				  "postgres://, mariadb://)",
				  v->name);
	return set_str(v, val, cfg, err);
}

void cs_config_redact_url(const char *url, char *out, size_t n)
{
	const char *scheme_end = strstr(url, "://");
	const char *at = scheme_end ? strchr(scheme_end + 3, '@') : NULL;
	const char *colon = at ? memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3)) : NULL;
	if (!colon) {
		snprintf(out, n, "%s", url);
		return;
	}
	snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
}

/* A path to a file that must be readable when set (a CA bundle). */
static int set_file(const var *v, const char *val, cs_config *cfg, cs_err *err)
{
	int rc = set_path(v, val, cfg, err);
	const char *path = str_field(cfg, v);
	if (rc == 0 && *path && access(path, R_OK) != 0)
		rc = cs_err_set(err, CS_EUSAGE, "%s: cannot read '%s': %s", v->name, path,
				strerror(errno));
	return rc;
}

typedef int (*setter)(const var *, const char *, cs_config *, cs_err *);
static const setter setters[] = {
	[T_STR] = set_str, [T_PATH] = set_path, [T_URL] = set_url,  [T_INT] = set_int,
	[T_ENUM] = set_enum, [T_KEY] = set_key, [T_DBURL] = set_dburl, [T_FILE] = set_file,
	[T_DBPATH] = set_db_path,
};

/* Precedence: a real environment variable (even an empty one), then the
 * file, then the default. An empty value means the default. */
static int apply_var(const var *v, const cs_envfile *ef, cs_config *cfg, cs_err *err)
{
	const cs_envfile_entry *e = NULL;
	const char *val = getenv(v->name);
	if (!val && (e = cs_envfile_get(ef, v->name)))
		val = e->value;
	if (!val || !*val) {
		e = NULL;
		val = v->def ? v->def : "";
	}
	int rc = setters[v->type](v, val, cfg, err);
	if (rc && e)
		cs_err_wrap(err, "'%s' line %d", ef->path, e->line);
	return rc;
}

/* DATABASE_URL names the product (DB_TYPE may stay at its default); a
 * DB_TYPE naming another server product is a mistake to point out, not to
 * guess about. */
static int check_database_url(cs_config *cfg, cs_err *err)
{
	if (!cfg->database_url[0])
		return 0;
	int t = url_db_type(cfg->database_url);
	if (cfg->db_type != CS_DB_SQLITE && cfg->db_type != t)
		return cs_err_set(err, CS_EUSAGE,
				  "DB_TYPE=%s but DATABASE_URL is a %s URL; unset one of them",
				  cs_config_db_type_name(cfg->db_type), cs_config_db_type_name(t));
	cfg->db_type = t;
	return 0;
}

int cs_config_load(cs_config *cfg, cs_err *err)
{
	cs_envfile ef = CS_ENVFILE_INIT;
	int rc = cs_envfile_load_default(&ef, err);
	if (rc)
		goto out;
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NVARS; i++)
		if ((rc = apply_var(&vars[i], &ef, cfg, err)))
			goto out;
	if ((rc = check_database_url(cfg, err)))
		goto out;
	/* Secrets are redacted from every message from now on. */
	for (size_t i = 0; i < NVARS; i++)
		if ((vars[i].flags & F_SECRET) && cs_redact_add(str_field(cfg, &vars[i]))) {
			rc = cs_err_set(err, CS_ERR, "cannot load the configuration: out of memory");
			goto out;
		}
	/* a password in DATABASE_URL too */
	if (cfg->database_url[0] && cs_redact_add_url_password(cfg->database_url)) {
		rc = cs_err_set(err, CS_ERR, "cannot load the configuration: out of memory");
		goto out;
	}
	cs_envfile_install(&ef);
out:
	cs_envfile_release(&ef);
	return rc;
}

/* ---- plain http -------------------------------------------------------- */

/* The host of an http(s) URL, into out: brackets of an IPv6 literal and any
 * user:password@ dropped. */
static void url_host(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t alen = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', alen);
	if (at) {
		alen -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t hlen;
	if (*p == '[') {
		const char *close = memchr(p, ']', alen);
		p++;
		hlen = close ? (size_t)(close - p) : alen - 1;
	} else {
		const char *colon = memchr(p, ':', alen);
		hlen = colon ? (size_t)(colon - p) : alen;
	}
	snprintf(out, n, "%.*s", (int)(hlen < n ? hlen : n - 1), p);
}

/* 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z), localhost: this machine. A name
 * that only resolves there (127.0.0.1.nip.io) does not count: the check
 * must not depend on DNS. */
static int host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

int cs_config_check_transport(const char *name, const char *url, int allow_http, cs_err *err)
{
	char host[256];
	if (strncasecmp(url, "http://", 7) != 0 || allow_http)
		return 0;
	url_host(url, host, sizeof(host));
	if (host_is_loopback(host))
		return 0;
	return cs_err_set(err, CS_EUSAGE,
			  "%s: '%s' is plain http to another machine, so the credentials every "
			  "request carries would travel unencrypted; use https://, or set "
			  "CLASSY_SYNC_ALLOW_HTTP=1 if the network is trusted (plain http is "
			  "allowed to 127.0.0.1, ::1 and localhost)",
			  name, url);
}

int cs_config_check_transport_env(const char *name, const char *url, cs_err *err)
{
	char v[8] = "";
	int rc = cs_config_env_lookup("CLASSY_SYNC_ALLOW_HTTP", v, sizeof(v));
	if (rc == CS_ERR || (rc == 0 && v[0] && strcmp(v, "0") && strcmp(v, "1")))
		return cs_err_set(err, CS_EUSAGE,
				  "CLASSY_SYNC_ALLOW_HTTP: '%s' is not allowed (expected one of: 0, 1)",
				  rc == 0 ? v : "a long value");
	return cs_config_check_transport(name, url, rc == 0 && !strcmp(v, "1"), err);
}

/* ---- display ------------------------------------------------------------ */

static const char *enum_name(const char *const *allowed, int i)
{
	for (int k = 0; allowed[k]; k++)
		if (k == i)
			return allowed[k];
	return "unknown";
}

static void value_text(const var *v, const cs_config *cfg, char *buf, size_t n)
{
	cs_config *c = (cs_config *)cfg;
	int iv = v->type == T_ENUM || v->type == T_INT ? *int_field(c, v) : 0;
	buf[0] = '\0';
	if (v->type == T_ENUM)
		snprintf(buf, n, "%s", enum_name(v->allowed, iv));
	else if (v->type == T_INT && (iv || v->def))
		snprintf(buf, n, "%d", iv);
	else if (v->type != T_INT)
		snprintf(buf, n, "%s", str_field(c, v));
	if (v->flags & F_SECRET)
		snprintf(buf, n, "%s", *buf ? "(set)" : "(unset)");
	if (v->type == T_DBURL)
		cs_config_redact_url(str_field(c, v), buf, n);
}

void cs_config_visit(const cs_config *cfg, cs_config_visit_fn fn, void *ctx)
{
	for (size_t i = 0; i < NVARS; i++) {
		char buf[1100];
		value_text(&vars[i], cfg, buf, sizeof(buf));
		fn(vars[i].name, buf, vars[i].help, ctx);
	}
}

void cs_config_wipe(cs_config *cfg)
{
	for (size_t i = 0; i < NVARS; i++)
		if (vars[i].flags & F_SECRET)
			sodium_memzero(str_field(cfg, &vars[i]), vars[i].size);
}

const char *cs_config_db_type_name(int db_type)
{
	return enum_name(db_types, db_type);
}

const char *cs_config_sslmode_name(int mode)
{
	return enum_name(sslmodes, mode);
}

/* `db copy --to`: the target's settings, the rest as in base. A password
 * never comes on the command line (every user of the machine can read a
 * process's arguments): it comes from DB_COPY_PASSWORD, put into the URL
 * here, in memory only. */
int cs_config_target(const cs_config *base, const char *url, const char *password,
		     cs_config *out, cs_err *err)
{
	*out = *base;
	out->db_path[0] = out->database_url[0] = out->db_host[0] = out->db_user[0] = '\0';
	out->db_password[0] = out->db_name[0] = '\0';
	out->db_port = 0;
	out->db_path_default = 0;
	if (!strncmp(url, "sqlite:", 7)) {
		const char *path = url + 7;
		if (!strncmp(path, "//", 2))
			path += 2; /* sqlite:///abs/path */
		out->db_type = CS_DB_SQLITE;
		if (!*path || strlen(path) >= sizeof(out->db_path))
			return cs_err_set(err, CS_EUSAGE, "--to '%s': no usable file path after "
							  "sqlite:", url);
		snprintf(out->db_path, sizeof(out->db_path), "%s", path);
		return 0;
	}
	int t = url_db_type(url);
	if (t < 0)
		return cs_err_set(err, CS_EUSAGE,
				  "--to '%s' is not a database URL: use postgresql://USER@HOST/DB, "
				  "mysql://USER@HOST/DB or sqlite:PATH",
				  url);
	char shown[1024];
	cs_config_redact_url(url, shown, sizeof(shown));
	if (strcmp(shown, url))
		return cs_err_set(err, CS_EUSAGE,
				  "--to '%s': leave the password out of the URL (any user of this "
				  "machine can read a command's arguments) and set DB_COPY_PASSWORD",
				  shown);
	out->db_type = t;
	const char *rest = strstr(url, "://") + 3, *at = strchr(rest, '@');
	int n;
	if (password && *password && at)
		n = snprintf(out->database_url, sizeof(out->database_url), "%.*s:%s%s",
			     (int)(at - url), url, password, at);
	else if (password && *password)
		return cs_err_set(err, CS_EUSAGE, "--to '%s': DB_COPY_PASSWORD is set but the URL "
						  "names no user (USER@HOST)", url);
	else
		n = snprintf(out->database_url, sizeof(out->database_url), "%s", url);
	if (n < 0 || (size_t)n >= sizeof(out->database_url))
		return cs_err_set(err, CS_EUSAGE, "--to '%s': the URL is too long", shown);
	return 0;
}
