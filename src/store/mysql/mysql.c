/* The MySQL/MariaDB backend: where to connect (DATABASE_URL, read with
 * libcurl's URL parser, or DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME;
 * a DB_HOST starting with '/' is a Unix socket), the session settings the
 * store's SQL relies on, and handing the connection to the shared SQL
 * store. What the SQL looks like is in mysql_dialect.c, how it is spoken in
 * mysql_driver.c. The password goes to libmariadb only: never into a
 * message, a log line or the name the database is shown by. */
#include "store/backends.h"
#include "store/mysql/mysql_int.h"
#include "store/sql/sqlstore.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every session, in this order:
 *  - ANSI_QUOTES: the core quotes identifiers "..."; PIPES_AS_CONCAT: the
 *    views concatenate with ||; strict: a value that does not fit is an
 *    error, never silently cut; no zero dates; NO_BACKSLASH_ESCAPES: string
 *    literals mean what they do in SQLite and PostgreSQL;
 *  - times are UTC (DATETIME has no zone; UTC_TIMESTAMP does not depend on
 *    it, NOW() does);
 *  - utf8mb4 with the binary collation the tables use, so literals compare
 *    as the columns do;
 *  - writes in READ COMMITTED: an upsert locks its row, not the gap before
 *    it, so workers writing other orgs do not deadlock (status asks for a
 *    snapshot itself, see the dialect's begin_read);
 *  - DECIMAL division keeps four more places (the default, which a server
 *    may have lowered): amounts / 10000.0 stay exact. */
static const char *const session_sql[] = {
	("SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,"
	 "NO_ZERO_IN_DATE,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES'"),
	"SET SESSION time_zone = '+00:00'",
	"SET NAMES utf8mb4 COLLATE utf8mb4_bin",
	"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
	"SET SESSION div_precision_increment = 4",
};

/* ---- where to connect ---- */

static int url_part(CURLU *u, CURLUPart part, char *out, size_t n, int decode)
{
	char *v = NULL;
	out[0] = '\0';
	CURLUcode rc = curl_url_get(u, part, &v, decode ? CURLU_URLDECODE : 0);
	if (rc == CURLUE_OK && v) {
		int fits = strlen(v) < n;
		if (fits)
			snprintf(out, n, "%s", v);
		curl_free(v);
		return fits ? 0 : -1;
	}
	return 0; /* absent */
}

/* ?socket=/path: the one query parameter (values percent-decoded). */
static int url_query(cs_mysql *c, const char *query, const char *shown, cs_err *err)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", query);
	for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
		if (!eq || klen != 6 || memcmp(kv, "socket", 6))
			return cs_err_set(err, CS_EUSAGE,
					  "DATABASE_URL '%s': unknown parameter '%.*s'; only ?socket=PATH "
					  "is understood",
					  shown, (int)klen, kv);
		int len = 0;
		char *v = curl_easy_unescape(NULL, eq + 1, 0, &len);
		if (!v)
			return cs_err_set(err, CS_ERR, "cannot read DATABASE_URL: out of memory");
		int fits = strlen(v) < sizeof(c->socket);
		if (fits)
			memcpy(c->socket, v, strlen(v) + 1);
		curl_free(v);
		if (!fits)
			return cs_err_set(err, CS_EUSAGE,
					  "DATABASE_URL '%s': a socket path is at most %zu bytes", shown,
					  sizeof(c->socket) - 1);
	}
	return 0;
}

/* mysql://user:password@host:port/database?socket=/path (or mariadb://);
 * user and password percent-decoded. */
static int parse_url(cs_mysql *c, const char *url, const char *shown, cs_err *err)
{
	CURLU *u = curl_url();
	char port[16], query[1024];
	int rc = 0;
	if (!u)
		return cs_err_set(err, CS_ERR, "cannot read DATABASE_URL: out of memory");
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url,
				    CURLU_NON_SUPPORT_SCHEME | CURLU_NO_AUTHORITY);
	if (uc != CURLUE_OK) {
		rc = cs_err_set(err, CS_EUSAGE, "DATABASE_URL '%s' is not a URL: %s", shown,
				curl_url_strerror(uc));
		goto out;
	}
	if (url_part(u, CURLUPART_HOST, c->host, sizeof(c->host), 1) ||
	    url_part(u, CURLUPART_USER, c->user, sizeof(c->user), 1) ||
	    url_part(u, CURLUPART_PASSWORD, c->password, sizeof(c->password), 1) ||
	    url_part(u, CURLUPART_PATH, c->db, sizeof(c->db), 1) ||
	    url_part(u, CURLUPART_PORT, port, sizeof(port), 0) ||
	    url_part(u, CURLUPART_QUERY, query, sizeof(query), 0)) {
		rc = cs_err_set(err, CS_EUSAGE, "DATABASE_URL '%s': a part of it is too long",
				shown);
		goto out;
	}
	/* "[::1]" is an IPv6 address; "/db" the database */
	size_t hl = strlen(c->host);
	if (hl > 1 && c->host[0] == '[' && c->host[hl - 1] == ']') {
		memmove(c->host, c->host + 1, hl - 2);
		c->host[hl - 2] = '\0';
	}
	memmove(c->db, c->db + (c->db[0] == '/'), strlen(c->db + (c->db[0] == '/')) + 1);
	c->port = (unsigned)atoi(port);
	if (query[0])
		rc = url_query(c, query, shown, err);
out:
	curl_url_cleanup(u);
	return rc;
}

static int settings(cs_mysql *c, const cs_config *cfg, cs_err *err)
{
	char shown[1024];
	if (cfg->database_url[0]) {
		cs_config_redact_url(cfg->database_url, shown, sizeof(shown));
		int rc = parse_url(c, cfg->database_url, shown, err);
		if (rc)
			return rc;
	} else {
		snprintf(c->user, sizeof(c->user), "%s", cfg->db_user);
		snprintf(c->password, sizeof(c->password), "%s", cfg->db_password);
		snprintf(c->db, sizeof(c->db), "%s", cfg->db_name);
		if (cfg->db_host[0] == '/') {
			size_t n = strlen(cfg->db_host);
			if (n >= sizeof(c->socket))
				return cs_err_set(err, CS_EUSAGE,
						  "DB_HOST: a socket path is at most %zu bytes",
						  sizeof(c->socket) - 1);
			memcpy(c->socket, cfg->db_host, n + 1);
		} else
			snprintf(c->host, sizeof(c->host), "%s", cfg->db_host);
		c->port = cfg->db_port > 0 ? (unsigned)cfg->db_port : 0;
	}
	/* what messages call the database: no password */
	char port[16] = "";
	if (c->port)
		snprintf(port, sizeof(port), ":%u", c->port);
	snprintf(c->base.name, sizeof(c->base.name), "mysql://%s%s%s%s/%s%s%s", c->user,
		 c->user[0] ? "@" : "", c->host[0] ? c->host : "localhost", port, c->db,
		 c->socket[0] ? "?socket=" : "", c->socket);
	if (!c->db[0])
		return cs_err_set(err, CS_EUSAGE,
				  "cannot open database '%s': no database named; set DB_NAME (or the "
				  "path of DATABASE_URL, mysql://user:password@host/database)",
				  c->base.name);
	return 0;
}

/* ---- the connection ---- */

static int connect_db(cs_mysql *c, cs_err *err)
{
	unsigned timeout = 10;
	my_bool off = 0;
	if (!(c->conn = mysql_init(NULL)))
		return cs_err_set(err, CS_ERR, "cannot open database '%s': out of memory",
				  c->base.name);
	mysql_options(c->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(c->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	/* a silent reconnect would lose the transaction and the session */
	mysql_options(c->conn, MYSQL_OPT_RECONNECT, &off);
	mysql_options(c->conn, MYSQL_OPT_LOCAL_INFILE, &off);
	/* CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, as SQLite
	 * and PostgreSQL do, not only those whose values changed (a lease
	 * renewed within the same millisecond is still renewed) */
	if (!mysql_real_connect(c->conn, c->socket[0] ? NULL : c->host[0] ? c->host : NULL,
				c->user[0] ? c->user : NULL, c->password, c->db, c->port,
				c->socket[0] ? c->socket : NULL, CLIENT_FOUND_ROWS))
		return cs_mysql_fail_connect(c, err);
	for (size_t i = 0; i < sizeof(session_sql) / sizeof(session_sql[0]); i++)
		if (mysql_query(c->conn, session_sql[i]))
			return cs_mysql_fail_conn(c, "set up the session", err);
	return 0;
}

static void mysql_close_conn(cs_sql *base)
{
	cs_mysql *c = (cs_mysql *)base;
	if (!c)
		return;
	if (c->conn)
		mysql_close(c->conn);
	memset(c->password, 0, sizeof(c->password));
	free(c);
}

static const char *mysql_describe(cs_sql *base)
{
	return base->name;
}

static int mysql_reconnect(cs_sql *base, cs_err *err)
{
	cs_mysql *c = (cs_mysql *)base;
	if (c->conn)
		mysql_close(c->conn);
	c->conn = NULL;
	return connect_db(c, err);
}

static const cs_sql_hooks mysql_hooks = {mysql_close_conn, NULL, mysql_describe,
					 mysql_reconnect, NULL, NULL};

int cs_mysql_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	*out = NULL;
	cs_mysql *c = calloc(1, sizeof(*c));
	if (!c)
		return cs_err_set(err, CS_ERR, "cannot open database: out of memory");
	c->base.drv = &cs_mysql_driver;
	c->base.dia = &cs_mysql_dialect;
	int rc = settings(c, cfg, err);
	if (rc == 0)
		rc = connect_db(c, err);
	if (rc) {
		mysql_close_conn(&c->base);
		return rc;
	}
	return cs_sql_store_new(&c->base, &mysql_hooks, out, err);
}
