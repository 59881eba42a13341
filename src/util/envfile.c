/* The `.env` file behind the configuration: parsing KEY=value lines
 * (quotes, `export`, comments), and the process-wide copy that
 * cs_config_env_lookup reads, where the environment always wins. Values may
 * be passwords: they are wiped on release and must never be logged. */
#include "util/envfile.h"
#include "util/buf.h"

#include "util/config.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_FILE_VAR "CLASSY_SYNC_ENV_FILE"

static cs_envfile g_cache = CS_ENVFILE_INIT;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *trim(char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int key_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* What may follow a value: nothing, or whitespace and a `# comment`. */
static int rest_ok(const char *s)
{
	if (*s && !is_blank(*s))
		return 0;
	while (is_blank(*s))
		s++;
	return *s == '\0' || *s == '#';
}

/* Quoted values are taken literally, without escapes, so that a password
 * holding a backslash or '#' survives; unquoted ones end at " #". */
static int parse_value(char *s, char **val)
{
	if (*s == '"' || *s == '\'') {
		char *end = strchr(s + 1, *s);
		if (!end || !rest_ok(end + 1))
			return -1;
		*end = '\0';
		*val = s + 1;
		return 0;
	}
	for (char *p = s; *p; p++) {
		if (*p == '#' && p > s && is_blank(p[-1])) {
			*p = '\0';
			break;
		}
	}
	*val = trim(s);
	return 0;
}

/* Returns 1 for an entry, 0 for a line to skip, -1 for a malformed line. */
static int parse_line(char *line, char **key, char **val)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if (strncmp(s, "export", 6) == 0 && (s[6] == ' ' || s[6] == '\t'))
		s = trim(s + 6);
	if (!key_char(*s, 1))
		return -1;
	char *p = s + 1;
	while (key_char(*p, 0))
		p++;
	char *kend = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return -1;
	*kend = '\0';
	*key = s;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return parse_value(p, val) ? -1 : 1;
}

static int add_entry(cs_envfile *ef, const char *key, const char *val, int line)
{
	cs_envfile_entry *v = cs_buf_grow_array(ef->v, &ef->cap, ef->n, sizeof(*v), 16);
	if (!v)
		return -1;
	ef->v = v;
	cs_envfile_entry *e = &ef->v[ef->n];
	e->key = strdup(key);
	e->value = strdup(val);
	e->line = line;
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return -1;
	}
	ef->n++;
	return 0;
}

static int parse_stream(cs_envfile *ef, FILE *f, const char *path, cs_err *err)
{
	char *line = NULL, *key, *val;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		int r = parse_line(line, &key, &val);
		if (r < 0) {
			rc = cs_err_set(err, CS_EUSAGE, "'%s' line %d: expected KEY=value", path,
					lineno);
			goto out;
		}
		if (r > 0 && add_entry(ef, key, val, lineno)) {
			rc = cs_err_set(err, CS_ERR, "cannot read '%s': out of memory", path);
			goto out;
		}
	}
	if (ferror(f))
		rc = cs_err_set(err, CS_EIO, "cannot read '%s': %s", path, strerror(errno));
out:
	if (line) {
		sodium_memzero(line, cap);
		free(line);
	}
	return rc;
}

int cs_envfile_parse(cs_envfile *ef, const char *path, cs_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cs_err_set(err, errno == ENOENT ? CS_EUSAGE : CS_EIO,
				  "cannot open env file '%s': %s", path, strerror(errno));
	ef->path = strdup(path);
	int rc = ef->path ? parse_stream(ef, f, path, err)
			  : cs_err_set(err, CS_ERR, "cannot read '%s': out of memory", path);
	fclose(f);
	return rc;
}

/* Whether a failed open is about the path the user gave (a configuration error, exit 2),
 * not about the machine (out of memory or file descriptors, an I/O error: exit 1). */
static int path_error(int e)
{
	return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EISDIR ||
	       e == ELOOP || e == ENAMETOOLONG;
}

int cs_envfile_load_default(cs_envfile *ef, cs_err *err)
{
	const char *named = getenv(ENV_FILE_VAR);
	if (named && *named) {
		FILE *probe = fopen(named, "r");
		if (!probe && !path_error(errno))
			return cs_err_set(err, CS_EIO, "%s: cannot open env file '%s': %s",
					  ENV_FILE_VAR, named, strerror(errno));
		if (!probe)
			return cs_err_set(err, CS_EUSAGE,
					  "%s: cannot open env file '%s': %s; fix the path or unset %s",
					  ENV_FILE_VAR, named, strerror(errno), ENV_FILE_VAR);
		fclose(probe);
		return cs_envfile_parse(ef, named, err);
	}
	/* ./.env is optional: only its absence is silent */
	FILE *probe = fopen(".env", "r");
	if (!probe && errno == ENOENT)
		return 0;
	if (probe)
		fclose(probe);
	return cs_envfile_parse(ef, ".env", err);
}

const cs_envfile_entry *cs_envfile_get(const cs_envfile *ef, const char *key)
{
	for (size_t i = ef->n; i-- > 0;)
		if (strcmp(ef->v[i].key, key) == 0)
			return &ef->v[i];
	return NULL;
}

void cs_envfile_release(cs_envfile *ef)
{
	for (size_t i = 0; i < ef->n; i++) {
		sodium_memzero(ef->v[i].value, strlen(ef->v[i].value));
		free(ef->v[i].key);
		free(ef->v[i].value);
	}
	free(ef->v);
	free(ef->path);
	*ef = (cs_envfile)CS_ENVFILE_INIT;
}

void cs_envfile_install(cs_envfile *ef)
{
	pthread_mutex_lock(&g_lock);
	cs_envfile_release(&g_cache);
	g_cache = *ef;
	pthread_mutex_unlock(&g_lock);
	*ef = (cs_envfile)CS_ENVFILE_INIT;
}

int cs_config_env_lookup(const char *name, char *out, size_t outsz)
{
	if (outsz)
		out[0] = '\0';
	if (!name)
		return CS_ENOTFOUND;
	const char *v = getenv(name);
	int rc = CS_ENOTFOUND;
	pthread_mutex_lock(&g_lock);
	if (!v) {
		const cs_envfile_entry *e = cs_envfile_get(&g_cache, name);
		v = e ? e->value : NULL;
	}
	if (v) {
		size_t n = strlen(v);
		rc = n < outsz ? CS_OK : CS_ERR;
		if (rc == CS_OK)
			memcpy(out, v, n + 1);
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}
