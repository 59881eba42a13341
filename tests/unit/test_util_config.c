#include "util/config.h"

#include "util/log.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every variable a test may touch; saved before and restored after each
 * test so the process environment leaves as it came. */
static const char *const touched[] = {
	"DB_TYPE",        "DB_PATH",          "DB_HOST",
	"DB_PORT",        "DB_USER",          "DB_PASSWORD",
	"DB_NAME",        "CLASSY_API_URL",   "CLASSY_TOKEN_URL",
	"CLASSY_SYNC_KEY_FILE", "CLASSY_SYNC_KEY", "LOG_LEVEL",
	"LOG_FORMAT",     "CLASSY_SYNC_ENV_FILE", "HOME",
	"MAILCHIMP_API_KEY", "OTHER_TOOL",
	"CLASSY_SYNC_ALLOW_HTTP", "CLASSY_SYNC_CA_FILE",
	"XDG_STATE_HOME", "STATE_DIRECTORY",
};

/* 32 zero bytes, base64 */
#define KEY32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

typedef struct fixture {
	char *saved[N(touched)];
	char oldcwd[PATH_MAX];
	char dir[64];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	for (size_t i = 0; i < N(touched); i++) {
		const char *v = getenv(touched[i]);
		f->saved[i] = v ? strdup(v) : NULL;
		unsetenv(touched[i]);
	}
	setenv("HOME", "/home/tester", 1);
	assert_non_null(getcwd(f->oldcwd, sizeof(f->oldcwd)));
	strcpy(f->dir, "/tmp/cs-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(chdir(f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	for (size_t i = 0; i < N(touched); i++) {
		if (f->saved[i])
			setenv(touched[i], f->saved[i], 1);
		else
			unsetenv(touched[i]);
		free(f->saved[i]);
	}
	unlink(".env");
	unlink("other.env");
	unlink("classy-sync.db");
	assert_int_equal(chdir(f->oldcwd), 0);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void load_ok(cs_config *cfg)
{
	cs_err err = {0};
	if (cs_config_load(cfg, &err) != 0)
		fail_msg("load failed: %s", err.msg);
}

static void load_fails(const char *want_msg)
{
	cs_config cfg;
	cs_err err = {0};
	assert_int_equal(cs_config_load(&cfg, &err), CS_EUSAGE);
	assert_int_equal(err.code, CS_EUSAGE);
	if (!strstr(err.msg, want_msg))
		fail_msg("message '%s' lacks '%s'", err.msg, want_msg);
}

static void test_defaults(void **state)
{
	(void)state;
	cs_config cfg;
	load_ok(&cfg);
	assert_int_equal(cfg.db_type, CS_DB_SQLITE);
	assert_string_equal(cfg.db_path, "/home/tester/.local/state/classy-sync/classy.db");
	assert_int_equal(cfg.db_path_default, 1);
	assert_string_equal(cfg.db_host, "");
	assert_int_equal(cfg.db_port, 0);
	assert_string_equal(cfg.db_password, "");
	assert_string_equal(cfg.api_url, "https://api.classy.org/2.0");
	assert_string_equal(cfg.token_url, "https://api.classy.org/oauth2/auth");
	assert_string_equal(cfg.key_file, "/home/tester/.config/classy-sync/master.key");
	assert_string_equal(cfg.key_b64, "");
	assert_int_equal(cfg.log_level, CS_LOG_INFO);
	assert_int_equal(cfg.log_format, CS_LOG_TEXT);
}

/* The default DB_PATH: systemd's state directory, else XDG_STATE_HOME (only
 * absolute), else ~/.local/state; the old ./classy-sync.db while one is
 * there; a DB_PATH that is set is taken as it is. */
static void test_db_path_default(void **state)
{
	(void)state;
	cs_config cfg;
	setenv("XDG_STATE_HOME", "/var/xdg", 1);
	load_ok(&cfg);
	assert_string_equal(cfg.db_path, "/var/xdg/classy-sync/classy.db");
	setenv("XDG_STATE_HOME", "relative/xdg", 1);
	load_ok(&cfg);
	assert_string_equal(cfg.db_path, "/home/tester/.local/state/classy-sync/classy.db");
	setenv("STATE_DIRECTORY", "/var/lib/classy-sync:/var/lib/other", 1);
	load_ok(&cfg);
	assert_string_equal(cfg.db_path, "/var/lib/classy-sync/classy.db");
	assert_int_equal(cfg.db_path_default, 1);
	write_file("classy-sync.db", "");
	load_ok(&cfg);
	assert_string_equal(cfg.db_path, "./classy-sync.db");
	assert_int_equal(cfg.db_path_default, 0);
	setenv("DB_PATH", "/srv/x.db", 1);
	load_ok(&cfg);
	assert_string_equal(cfg.db_path, "/srv/x.db");
	assert_int_equal(cfg.db_path_default, 0);
	/* nothing made for a DB_PATH that was set */
	cs_err err = {0};
	assert_int_equal(cs_config_make_db_dir(&cfg, &err), 0);
}

static void test_env_values(void **state)
{
	(void)state;
	setenv("DB_TYPE", "PostgreSQL", 1);
	setenv("DB_PATH", "~/data/x.db", 1);
	setenv("DB_HOST", "db.example.org", 1);
	setenv("DB_PORT", "5432", 1);
	setenv("DB_USER", "sync", 1);
	setenv("DB_PASSWORD", "hunter2", 1);
	setenv("DB_NAME", "classy", 1);
	setenv("CLASSY_API_URL", "http://127.0.0.1:8080/api/2.0/", 1);
	setenv("CLASSY_TOKEN_URL", "https://pro.gofundme.com/oauth2/auth", 1);
	setenv("CLASSY_SYNC_KEY_FILE", "/etc/cs/key", 1);
	setenv("CLASSY_SYNC_KEY", KEY32, 1);
	setenv("LOG_LEVEL", "debug", 1);
	setenv("LOG_FORMAT", "json", 1);
	cs_config cfg;
	load_ok(&cfg);
	assert_int_equal(cfg.db_type, CS_DB_POSTGRESQL);
	assert_string_equal(cfg.db_path, "/home/tester/data/x.db");
	assert_string_equal(cfg.db_host, "db.example.org");
	assert_int_equal(cfg.db_port, 5432);
	assert_string_equal(cfg.db_user, "sync");
	assert_string_equal(cfg.db_password, "hunter2");
	assert_string_equal(cfg.db_name, "classy");
	assert_string_equal(cfg.api_url, "http://127.0.0.1:8080/api/2.0");
	assert_string_equal(cfg.token_url, "https://pro.gofundme.com/oauth2/auth");
	assert_string_equal(cfg.key_file, "/etc/cs/key");
	assert_string_equal(cfg.key_b64, KEY32);
	assert_int_equal(cfg.log_level, CS_LOG_DEBUG);
	assert_int_equal(cfg.log_format, CS_LOG_JSON);
}

static void test_dotenv_forms(void **state)
{
	(void)state;
	write_file(".env", "# a comment\n"
			   "\n"
			   "   \t\n"
			   "DB_HOST=plain\n"
			   "export DB_USER=exported\n"
			   "DB_NAME = 'single quoted # not a comment'\n"
			   "DB_PASSWORD=\"p#ss w0rd\\n\"   # trailing comment\n"
			   "DB_PATH=/var/lib/cs.db # inline comment\n"
			   "LOG_LEVEL=warn\r\n"
			   "LOG_FORMAT=text\n"
			   "LOG_FORMAT=json\n"
			   "MAILCHIMP_API_KEY=abc-us6\n"
			   "OTHER_TOOL=whatever it wants\n"
			   "  # indented comment\n"
			   "DB_PORT=3306");
	cs_config cfg;
	load_ok(&cfg);
	assert_string_equal(cfg.db_host, "plain");
	assert_string_equal(cfg.db_user, "exported");
	assert_string_equal(cfg.db_name, "single quoted # not a comment");
	assert_string_equal(cfg.db_password, "p#ss w0rd\\n");
	assert_string_equal(cfg.db_path, "/var/lib/cs.db");
	assert_int_equal(cfg.log_level, CS_LOG_WARN);
	assert_int_equal(cfg.log_format, CS_LOG_JSON); /* the last duplicate wins */
	assert_int_equal(cfg.db_port, 3306);
}

static void test_env_wins_over_file(void **state)
{
	(void)state;
	write_file(".env", "DB_HOST=from-file\nLOG_LEVEL=bogus\nDB_USER=file-user\n");
	setenv("DB_HOST", "from-env", 1);
	setenv("LOG_LEVEL", "error", 1); /* the bad file value is never used */
	setenv("DB_USER", "", 1);        /* set but empty: the default, not the file */
	cs_config cfg;
	load_ok(&cfg);
	assert_string_equal(cfg.db_host, "from-env");
	assert_int_equal(cfg.log_level, CS_LOG_ERROR);
	assert_string_equal(cfg.db_user, "");
}

static void test_named_env_file(void **state)
{
	(void)state;
	write_file(".env", "DB_HOST=cwd\n");
	write_file("other.env", "DB_HOST=named\n");
	setenv("CLASSY_SYNC_ENV_FILE", "other.env", 1);
	cs_config cfg;
	load_ok(&cfg);
	assert_string_equal(cfg.db_host, "named");

	setenv("CLASSY_SYNC_ENV_FILE", "missing.env", 1);
	load_fails("CLASSY_SYNC_ENV_FILE: cannot open env file 'missing.env'");
	load_fails("unset CLASSY_SYNC_ENV_FILE");
}

/* A named env file that cannot be opened for want of resources (here file descriptors;
 * the allocation-failure pass found ENOMEM) is a failure of the machine, exit 1, not a
 * configuration error (exit 2) with advice to fix a path that is fine. */
static void test_named_env_file_resources(void **state)
{
	(void)state;
	write_file("other.env", "DB_HOST=named\n");
	setenv("CLASSY_SYNC_ENV_FILE", "other.env", 1);
	struct rlimit old;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	struct rlimit low = {64, old.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int fds[64], n = 0;
	for (int fd; n < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0;)
		fds[n++] = fd;
	cs_config cfg;
	cs_err err = {0};
	int rc = cs_config_load(&cfg, &err);
	while (n > 0)
		close(fds[--n]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, CS_EIO);
	assert_int_equal(cs_err_exit_code(rc), CS_EXIT_FAIL);
	assert_non_null(strstr(err.msg, "cannot open env file 'other.env'"));
	assert_null(strstr(err.msg, "fix the path"));
}

static void test_dotenv_malformed(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"just words",    "=value",       "1KEY=x",          "KEY",
		"KEY x=1",       "KEY-NAME=1",   "export",          "export KEY",
		"KEY=\"open",    "KEY='open",    "KEY=\"a\"b",       "KEY='a' junk",
		"exportKEY x",   "KEY:=1",       "[section]",
	};
	for (size_t i = 0; i < N(lines); i++) {
		char text[256];
		snprintf(text, sizeof(text), "# ok\nDB_HOST=ok\n%s\n", lines[i]);
		write_file(".env", text);
		cs_config cfg;
		cs_err err = {0};
		if (cs_config_load(&cfg, &err) != CS_EUSAGE)
			fail_msg("line '%s' was accepted", lines[i]);
		assert_string_equal(err.msg, "'.env' line 3: expected KEY=value");
	}
}

static const struct {
	const char *name, *value, *msg;
} bad_values[] = {
	{"DB_TYPE", "oracle",
	 "DB_TYPE: 'oracle' is not allowed (expected one of: sqlite, postgresql, mysql)"},
	{"LOG_LEVEL", "verbose",
	 "LOG_LEVEL: 'verbose' is not allowed (expected one of: debug, info, warn, error)"},
	{"LOG_FORMAT", "xml", "LOG_FORMAT: 'xml' is not allowed (expected one of: text, json)"},
	{"DB_PORT", "0", "DB_PORT: '0' is not a number from 1 to 65535"},
	{"DB_PORT", "65536", "DB_PORT: '65536' is not a number from 1 to 65535"},
	{"DB_PORT", "-1", "DB_PORT: '-1' is not a number from 1 to 65535"},
	{"DB_PORT", "54x", "DB_PORT: '54x' is not a number from 1 to 65535"},
	{"DB_PORT", " 54", "DB_PORT: ' 54' is not a number from 1 to 65535"},
	{"DB_PORT", "99999999999999999999",
	 "DB_PORT: '99999999999999999999' is not a number from 1 to 65535"},
	{"CLASSY_API_URL", "xyz",
	 "CLASSY_API_URL: 'xyz' is not a valid URL (expected http(s)://host[:port]/path)"},
	{"CLASSY_TOKEN_URL", "ftp://h/x", "CLASSY_TOKEN_URL: 'ftp://h/x' is not a valid URL"},
	{"CLASSY_SYNC_KEY", "c2hvcnQ=", "CLASSY_SYNC_KEY: not a base64 key of 32 bytes"},
	{"CLASSY_SYNC_KEY", "not base64 at all!", "CLASSY_SYNC_KEY: not a base64 key"},
	{"CLASSY_RATE_LIMIT_SHARED", "yes",
	 "CLASSY_RATE_LIMIT_SHARED: 'yes' is not allowed (expected one of: 0, 1, auto)"},
	{"CLASSY_SYNC_LEASE_TTL", "1", "CLASSY_SYNC_LEASE_TTL: '1' is not a number from 2 to 3600"},
};

static void test_bad_values_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(bad_values); i++) {
		setenv(bad_values[i].name, bad_values[i].value, 1);
		load_fails(bad_values[i].msg);
		unsetenv(bad_values[i].name);
	}
}

static void test_bad_values_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(bad_values); i++) {
		char text[256], want[512];
		snprintf(text, sizeof(text), "DB_HOST=x\n%s=\"%s\"\n", bad_values[i].name,
			 bad_values[i].value);
		write_file(".env", text);
		snprintf(want, sizeof(want), "'.env' line 2: %s", bad_values[i].msg);
		load_fails(want);
	}
}

static void test_secret_never_in_messages(void **state)
{
	(void)state;
	setenv("CLASSY_SYNC_KEY", "s3cretvalue-not-a-key", 1);
	cs_config cfg;
	cs_err err = {0};
	assert_int_equal(cs_config_load(&cfg, &err), CS_EUSAGE);
	assert_null(strstr(err.msg, "s3cretvalue"));
}

static void test_urls(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} goods[] = {
		{"https://api.classy.org/2.0", "https://api.classy.org/2.0"},
		{"https://api.classy.org/2.0/", "https://api.classy.org/2.0"},
		{"https://api.classy.org/", "https://api.classy.org"},
		{"https://api.classy.org", "https://api.classy.org"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"HTTP://127.0.0.1:1/a/b//", "HTTP://127.0.0.1:1/a/b/"},
		{"http://[::1]:9000/api", "http://[::1]:9000/api"},
		{"https://pro.gofundme.com/api/2.0", "https://pro.gofundme.com/api/2.0"},
	};
	for (size_t i = 0; i < N(goods); i++) {
		setenv("CLASSY_API_URL", goods[i].in, 1);
		cs_config cfg;
		load_ok(&cfg);
		assert_string_equal(cfg.api_url, goods[i].out);
	}
	static const char *const bads[] = {
		"api.classy.org/2.0",        "https//api.classy.org",
		"https://",                  "https:///2.0",
		"https://:443/x",            "https://host:/x",
		"https://host:0/x",          "https://host:65536/x",
		"https://host:80a/x",        "https://ho st/x",
		"https://host/a b",          "https://host/x?page=1",
		"https://host/x#frag",       "https://host?x",
		"https://[]/x",              "https://[::1/x",
		"https://user@host/x",       "mailto:someone",
		"https://host/x\t",
	};
	for (size_t i = 0; i < N(bads); i++) {
		char want[256];
		setenv("CLASSY_API_URL", bads[i], 1);
		snprintf(want, sizeof(want), "CLASSY_API_URL: '%s' is not a valid URL", bads[i]);
		load_fails(want);
	}
}

/* Plain http:// carries the secret (token URL), the bearer token (API URL)
 * in clear: refused, naming the variable, unless the host is this machine
 * or CLASSY_SYNC_ALLOW_HTTP=1. */
static void test_plain_http_only_to_loopback(void **state)
{
	(void)state;
	static const char *const loopback[] = {
		"http://127.0.0.1:8080/2.0", "http://127.5.6.7/x",	 "http://localhost:1",
		"http://LocalHost/x",	     "http://[::1]:9000/api", "http://[::ffff:127.0.0.1]/x",
		"https://api.example.org/x",
	};
	static const char *const remote[] = {
		"http://api.classy.org/2.0", "http://10.0.0.1/x",	   "http://128.0.0.1/x",
		"http://[::2]/x",	     "http://localhost.example.org/x", "http://127.0.0.1.nip.io/x",
		"HTTP://api.classy.org",
	};
	static const char *const vars[] = {"CLASSY_API_URL", "CLASSY_TOKEN_URL"};
	for (size_t v = 0; v < N(vars); v++) {
		for (size_t i = 0; i < N(loopback); i++) {
			setenv(vars[v], loopback[i], 1);
			cs_config cfg;
			load_ok(&cfg);
		}
		for (size_t i = 0; i < N(remote); i++) {
			setenv(vars[v], remote[i], 1);
			char want[256];
			snprintf(want, sizeof(want), "%s: '%s' is plain http to another machine",
				 vars[v], remote[i]);
			load_fails(want);
			load_fails("CLASSY_SYNC_ALLOW_HTTP=1");
			setenv("CLASSY_SYNC_ALLOW_HTTP", "1", 1);
			cs_config cfg;
			load_ok(&cfg);
			assert_int_equal(cfg.allow_http, 1);
			unsetenv("CLASSY_SYNC_ALLOW_HTTP");
		}
		unsetenv(vars[v]);
	}
	setenv("CLASSY_SYNC_ALLOW_HTTP", "yes", 1);
	load_fails("CLASSY_SYNC_ALLOW_HTTP: 'yes' is not allowed");
	unsetenv("CLASSY_SYNC_ALLOW_HTTP");
	/* a plugin's URL, through the environment lookup */
	cs_config cfg;
	load_ok(&cfg);
	cs_err err = {0};
	assert_int_equal(cs_config_check_transport_env("MAILCHIMP_API_URL", "http://127.0.0.1:1/3.0",
						       &err), 0);
	assert_int_equal(cs_config_check_transport_env("MAILCHIMP_API_URL",
						       "http://us6.api.mailchimp.com/3.0", &err),
			 CS_EUSAGE);
	assert_non_null(strstr(err.msg, "MAILCHIMP_API_URL: 'http://us6.api.mailchimp.com/3.0'"));
	setenv("CLASSY_SYNC_ALLOW_HTTP", "1", 1);
	assert_int_equal(cs_config_check_transport_env("MAILCHIMP_API_URL",
						       "http://us6.api.mailchimp.com/3.0", &err),
			 0);
}

static void test_ca_file(void **state)
{
	(void)state;
	setenv("CLASSY_SYNC_CA_FILE", "/nonexistent/ca.pem", 1);
	load_fails("CLASSY_SYNC_CA_FILE: cannot read '/nonexistent/ca.pem'");
	write_file("other.env", "-----BEGIN CERTIFICATE-----\n");
	setenv("CLASSY_SYNC_CA_FILE", "other.env", 1);
	cs_config cfg;
	load_ok(&cfg);
	assert_string_equal(cfg.ca_file, "other.env");
}

static void test_home_and_length(void **state)
{
	(void)state;
	unsetenv("HOME");
	load_fails("CLASSY_SYNC_KEY_FILE: cannot expand '~' in '~/.config/classy-sync/master.key'"
		   " because HOME is not set");
	setenv("CLASSY_SYNC_KEY_FILE", "/abs/key", 1);
	cs_config cfg;
	load_ok(&cfg); /* an absolute path needs no HOME */
	setenv("DB_PATH", "~other/x.db", 1);
	load_ok(&cfg); /* only "~" and "~/" expand */
	assert_string_equal(cfg.db_path, "~other/x.db");

	char longv[600];
	memset(longv, 'h', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	setenv("DB_HOST", longv, 1);
	load_fails("DB_HOST: value is too long (at most 255 bytes)");
}

typedef struct seen {
	int count;
	char dump[4096];
} seen;

static void collect(const char *name, const char *value, const char *help, void *ctx)
{
	seen *s = ctx;
	assert_non_null(help);
	assert_true(*help);
	s->count++;
	size_t n = strlen(s->dump);
	snprintf(s->dump + n, sizeof(s->dump) - n, "%s=%s\n", name, value);
}

static void test_visit_redacts(void **state)
{
	(void)state;
	setenv("DB_PASSWORD", "hunter2", 1);
	setenv("DB_PORT", "5432", 1);
	setenv("LOG_LEVEL", "WARN", 1);
	cs_config cfg;
	load_ok(&cfg);
	seen s = {0};
	cs_config_visit(&cfg, collect, &s);
	assert_int_equal(s.count, 23);
	assert_null(strstr(s.dump, "hunter2"));
	assert_non_null(strstr(s.dump, "DB_PASSWORD=(set)\n"));
	assert_non_null(strstr(s.dump, "CLASSY_SYNC_KEY=(unset)\n"));
	assert_non_null(strstr(s.dump, "DB_TYPE=sqlite\n"));
	assert_non_null(strstr(s.dump, "DB_PORT=5432\n"));
	assert_non_null(strstr(s.dump, "DB_HOST=\n"));
	assert_non_null(strstr(s.dump, "LOG_LEVEL=warn\n"));
	assert_non_null(strstr(s.dump, "LOG_FORMAT=text\n"));
	assert_non_null(strstr(s.dump, "CLASSY_RATE_LIMIT=1800\n"));
	assert_non_null(strstr(s.dump, "CLASSY_CONCURRENCY=8\n"));
	assert_non_null(strstr(s.dump, "CLASSY_RATE_LIMIT_SHARED=auto\n"));
	assert_non_null(strstr(s.dump, "CLASSY_SYNC_LEASE_TTL=120\n"));
	assert_non_null(strstr(s.dump, "CLASSY_SYNC_HOST=\n"));
	assert_non_null(strstr(s.dump, "CLASSY_FIELDS=\n"));
	assert_non_null(strstr(s.dump, "CLASSY_API_URL=https://api.classy.org/2.0\n"));
}

/* DATABASE_URL names the product, is shown without its password, and a
 * DB_TYPE naming another server product is an error, not a guess. */
static void test_database_url(void **state)
{
	(void)state;
	cs_config cfg;
	cs_err err = {0};
	setenv("DATABASE_URL", "postgresql://cs:s3cr%40t@db.example:5432/classy", 1);
	load_ok(&cfg);
	assert_int_equal(cfg.db_type, CS_DB_POSTGRESQL);
	seen s = {0};
	cs_config_visit(&cfg, collect, &s);
	assert_null(strstr(s.dump, "s3cr"));
	assert_non_null(strstr(s.dump, "DATABASE_URL=postgresql://cs:***@db.example:5432/classy\n"));
	setenv("DB_TYPE", "mariadb", 1);
	assert_int_equal(cs_config_load(&cfg, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "DATABASE_URL is a postgresql URL"));
	setenv("DATABASE_URL", "oracle://x", 1);
	unsetenv("DB_TYPE");
	assert_int_equal(cs_config_load(&cfg, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "DATABASE_URL"));
	unsetenv("DATABASE_URL");
	setenv("DB_TYPE", "pg", 1);
	load_ok(&cfg);
	assert_int_equal(cfg.db_type, CS_DB_POSTGRESQL);
	unsetenv("DB_TYPE");
}

static void test_env_lookup(void **state)
{
	(void)state;
	write_file(".env", "MAILCHIMP_API_KEY=abc-us6\nOTHER_TOOL=from-file\n");
	cs_config cfg;
	load_ok(&cfg);
	char out[64];
	assert_int_equal(cs_config_env_lookup("MAILCHIMP_API_KEY", out, sizeof(out)), CS_OK);
	assert_string_equal(out, "abc-us6");
	setenv("OTHER_TOOL", "from-env", 1);
	assert_int_equal(cs_config_env_lookup("OTHER_TOOL", out, sizeof(out)), CS_OK);
	assert_string_equal(out, "from-env");
	setenv("OTHER_TOOL", "", 1);
	assert_int_equal(cs_config_env_lookup("OTHER_TOOL", out, sizeof(out)), CS_OK);
	assert_string_equal(out, "");
	assert_int_equal(cs_config_env_lookup("NOT_ANYWHERE_XYZ", out, sizeof(out)), CS_ENOTFOUND);
	assert_int_equal(cs_config_env_lookup(NULL, out, sizeof(out)), CS_ENOTFOUND);
	assert_int_equal(cs_config_env_lookup("MAILCHIMP_API_KEY", out, 7), CS_ERR);
	assert_string_equal(out, "");
	assert_int_equal(cs_config_env_lookup("MAILCHIMP_API_KEY", out, 8), CS_OK);

	/* a reload without the file forgets its values */
	unlink(".env");
	load_ok(&cfg);
	assert_int_equal(cs_config_env_lookup("MAILCHIMP_API_KEY", out, sizeof(out)), CS_ENOTFOUND);
}

static void test_db_type_name(void **state)
{
	(void)state;
	assert_string_equal(cs_config_db_type_name(CS_DB_SQLITE), "sqlite");
	assert_string_equal(cs_config_db_type_name(CS_DB_POSTGRESQL), "postgresql");
	assert_string_equal(cs_config_db_type_name(CS_DB_MYSQL), "mysql");
	assert_string_equal(cs_config_db_type_name(3), "unknown");
	assert_string_equal(cs_config_db_type_name(-1), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),          T(test_env_values),
		T(test_db_path_default),
		T(test_dotenv_forms),      T(test_env_wins_over_file),
		T(test_named_env_file),    T(test_named_env_file_resources),
		T(test_dotenv_malformed),
		T(test_bad_values_env),    T(test_bad_values_file),
		T(test_secret_never_in_messages), T(test_urls),
		T(test_home_and_length),   T(test_visit_redacts),
		T(test_env_lookup),        T(test_db_type_name),
		T(test_database_url),
		T(test_plain_http_only_to_loopback), T(test_ca_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
