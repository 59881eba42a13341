/* The PostgreSQL backend: connecting with libpq (DATABASE_URL, or DB_HOST,
 * DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_SSLMODE; a Unix socket
 * directory works as host), the session settings the store relies on (UTC,
 * ISO dates), and handing the connection to the shared SQL store. What the
 * SQL looks like is in pgsql_dialect.c, how it is spoken in pgsql_driver.c.
 * The password goes to libpq only: never into a message, a log line or the
 * name the database is shown by. */
#include "store/backends.h"
#include "store/pgsql/pgsql_int.h"
#include "store/sql/sqlstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every session: times read back in UTC (the driver turns them into the
 * stored ISO form), and no notices on stderr. */
static const char session_sql[] = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
				  " SET client_min_messages = warning;"
				  " SET standard_conforming_strings = on";

/* raw_json (jsonb, about 3 KB a transaction) is compressed before it is
 * stored out of line; lz4 does it several times faster than the default
 * pglz, which took a quarter of the server's CPU in a full sync (docs/
 * BENCHMARKS.md). Values are read back whichever way they were written.
 * A server built without lz4 refuses the setting: it keeps pglz. */
static const char compression_sql[] = "SET default_toast_compression = lz4";

/* The libpq parameters, from the URL or from the DB_* settings. */
static void build_params(cs_pgsql *c, const cs_config *cfg, const char **keys,
			 const char **vals)
{
	int n = 0;
	const struct {
		const char *key, *val;
	} from_cfg[] = {
		{"host", cfg->db_host},
		{"user", cfg->db_user},
		{"password", cfg->db_password},
		{"dbname", cfg->db_name},
	};
	if (cfg->database_url[0]) {
		/* libpq reads postgresql:// URLs itself (expand_dbname) */
		snprintf(c->conninfo[n], sizeof(c->conninfo[0]), "%s", cfg->database_url);
		keys[n] = "dbname", vals[n] = c->conninfo[n], n++;
	} else {
		for (size_t i = 0; i < sizeof(from_cfg) / sizeof(from_cfg[0]); i++) {
			if (!from_cfg[i].val[0])
				continue;
			snprintf(c->conninfo[n], sizeof(c->conninfo[0]), "%s", from_cfg[i].val);
			keys[n] = from_cfg[i].key, vals[n] = c->conninfo[n], n++;
		}
		if (cfg->db_port) {
			snprintf(c->conninfo[n], sizeof(c->conninfo[0]), "%d", cfg->db_port);
			keys[n] = "port", vals[n] = c->conninfo[n], n++;
		}
		keys[n] = "sslmode", vals[n] = cs_config_sslmode_name(cfg->db_sslmode), n++;
	}
	keys[n] = "application_name", vals[n] = "classy-sync", n++;
	keys[n] = "connect_timeout", vals[n] = "10", n++;
	keys[n] = NULL, vals[n] = NULL;
}

/* "postgresql://user@host:port/db": what messages call the database. */
static void describe(cs_pgsql *c)
{
	const char *host = PQhost(c->conn), *port = PQport(c->conn);
	snprintf(c->base.name, sizeof(c->base.name), "postgresql://%s@%s%s%s/%s",
		 PQuser(c->conn), host && host[0] == '/' ? "" : host ? host : "",
		 port && *port ? ":" : "", port ? port : "", PQdb(c->conn));
	if (host && host[0] == '/') /* a socket directory */
		snprintf(c->base.name + strlen(c->base.name),
			 sizeof(c->base.name) - strlen(c->base.name), "?host=%s", host);
}

static int connect_db(cs_pgsql *c, cs_err *err)
{
	PQfinish(c->conn);
	c->conn = PQconnectdbParams((const char *const *)c->keys, (const char *const *)c->vals, 1);
	if (!c->conn)
		return cs_err_set(err, CS_ERR, "cannot connect to PostgreSQL: out of memory");
	if (PQstatus(c->conn) != CONNECTION_OK) {
		char msg[400];
		describe(c); /* where libpq tried, defaults included */
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->conn));
		msg[strcspn(msg, "\n")] = '\0';
		return cs_err_set(err, CS_EUSAGE,
				  "cannot connect to PostgreSQL at '%s': %s; check DB_HOST, DB_PORT, "
				  "DB_USER, DB_PASSWORD, DB_NAME (or DATABASE_URL)",
				  c->base.name, msg);
	}
	describe(c);
	PGresult *r = PQexec(c->conn, session_sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0
		 : cs_pgsql_fail(c, r, "set up the session", err);
	PQclear(r);
	if (rc == 0)
		PQclear(PQexec(c->conn, compression_sql));
	return rc;
}

static void pgsql_close(cs_sql *base)
{
	cs_pgsql *c = (cs_pgsql *)base;
	if (!c)
		return;
	PQfinish(c->conn);
	free((void *)c->keys);
	free((void *)c->vals);
	free(c);
}

static const char *pgsql_describe(cs_sql *base)
{
	return base->name;
}

static int pgsql_reconnect(cs_sql *base, cs_err *err)
{
	return connect_db((cs_pgsql *)base, err);
}

static const cs_sql_hooks pgsql_hooks = {pgsql_close, NULL, pgsql_describe, pgsql_reconnect,
					 NULL, NULL};

int cs_pgsql_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	*out = NULL;
	cs_pgsql *c = calloc(1, sizeof(*c));
	const char **keys = calloc(12, sizeof(*keys)), **vals = calloc(12, sizeof(*vals));
	if (!c || !keys || !vals) {
		free(c);
		free(keys);
		free(vals);
		return cs_err_set(err, CS_ERR, "cannot open database: out of memory");
	}
	c->base.drv = &cs_pgsql_driver;
	c->base.dia = &cs_pgsql_dialect;
	c->keys = keys;
	c->vals = vals;
	build_params(c, cfg, keys, vals);
	/* until connected, a name without the password */
	if (cfg->database_url[0])
		cs_config_redact_url(cfg->database_url, c->base.name, sizeof(c->base.name));
	else
		snprintf(c->base.name, sizeof(c->base.name), "postgresql://%s@%s/%s", cfg->db_user,
			 cfg->db_host, cfg->db_name);
	int rc = connect_db(c, err);
	if (rc) {
		pgsql_close(&c->base);
		return rc;
	}
	return cs_sql_store_new(&c->base, &pgsql_hooks, out, err);
}
