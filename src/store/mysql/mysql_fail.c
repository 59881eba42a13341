/* MySQL/MariaDB errors as messages a user can act on: each error number the
 * program or its user must react to differently gets its cs_err code (a
 * lock conflict is CS_EBUSY, a lost server CS_EDBCONN, a setting to fix
 * CS_EUSAGE, a full disk CS_EIO) and says what to do. Every message names
 * the database as the connection describes it, which never holds the
 * password; this file must never put a value or a password in a message. */
#include "store/mysql/mysql_int.h"

#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <string.h>

/* Errors of MariaDB that the client library's headers may not name. */
#ifndef ER_READ_ONLY_MODE
#define ER_READ_ONLY_MODE 1836
#endif
#define ER_CLIENT_INTERACTION_TIMEOUT 4031 /* MySQL 8: idle client disconnected */

static const struct {
	unsigned num;
	int code;
	const char *why;
} failures[] = {
	{CR_SERVER_GONE_ERROR, CS_EDBCONN,
	 "the connection to the database server was lost; nothing of the page in flight was "
	 "kept; check the server and rerun"},
	{CR_SERVER_LOST, CS_EDBCONN,
	 "the connection to the database server was lost; nothing of the page in flight was "
	 "kept; check the server and rerun"},
	{CR_SERVER_LOST_EXTENDED, CS_EDBCONN,
	 "the connection to the database server was lost; check the server and rerun"},
	{ER_CONNECTION_KILLED, CS_EDBCONN,
	 "the server ended the connection; nothing of the page in flight was kept; rerun"},
	{ER_CLIENT_INTERACTION_TIMEOUT, CS_EDBCONN,
	 "the server closed the idle connection; rerun"},
	{ER_SERVER_SHUTDOWN, CS_EDBCONN,
	 "the database server is shutting down; nothing of the page in flight was kept; rerun "
	 "once it is back"},
	{CR_CONNECTION_ERROR, CS_EDBCONN,
	 "the database server cannot be reached; check that it runs, and DB_HOST and DB_PORT "
	 "(or DATABASE_URL)"},
	{CR_CONN_HOST_ERROR, CS_EDBCONN,
	 "the database server cannot be reached; check that it runs, and DB_HOST and DB_PORT "
	 "(or DATABASE_URL)"},
	{CR_UNKNOWN_HOST, CS_EUSAGE, "the host is unknown; check DB_HOST (or DATABASE_URL)"},
	{ER_LOCK_WAIT_TIMEOUT, CS_EBUSY,
	 "the rows are locked by another process (lock wait timeout); wait for it, then rerun"},
	{ER_LOCK_DEADLOCK, CS_EBUSY,
	 "a deadlock with another process was broken by the server; rerun"},
	{ER_CON_COUNT_ERROR, CS_EBUSY,
	 "the server has too many connections; run fewer workers or raise max_connections"},
	{ER_ACCESS_DENIED_ERROR, CS_EUSAGE,
	 "the user or password was rejected; check DB_USER and DB_PASSWORD (or DATABASE_URL)"},
	{ER_DBACCESS_DENIED_ERROR, CS_EUSAGE,
	 "the user may not use the database; check DB_USER and DB_NAME, or GRANT ALL ON the "
	 "database TO the user"},
	{ER_BAD_DB_ERROR, CS_EUSAGE,
	 "the database does not exist; create it (CREATE DATABASE ... CHARACTER SET utf8mb4) "
	 "or set DB_NAME"},
	{ER_TABLEACCESS_DENIED_ERROR, CS_EUSAGE,
	 "permission denied; grant the user DB_USER the rights on the database's tables"},
	{ER_SPECIFIC_ACCESS_DENIED_ERROR, CS_EUSAGE,
	 "permission denied; grant the user DB_USER the rights it lacks"},
	{ER_NO_DB_ERROR, CS_EUSAGE, "no database is selected; set DB_NAME (or DATABASE_URL)"},
	{ER_NO_SUCH_TABLE, CS_EUSAGE,
	 "a table is missing; run 'classy-sync db migrate' (or check DB_NAME)"},
	{ER_DISK_FULL, CS_EIO, "the database server's disk is full; free space and rerun"},
	{ER_RECORD_FILE_FULL, CS_EIO,
	 "a table is full (the server's disk or its tablespace limit); free space and rerun"},
	{ER_GET_ERRNO, CS_EIO,
	 "the server's storage failed (often a full disk); check the server's log"},
	{ER_OUTOFMEMORY, CS_EIO, "the database server is out of memory; rerun later"},
	{ER_OUT_OF_RESOURCES, CS_EIO, "the database server is out of memory; rerun later"},
	{ER_OPTION_PREVENTS_STATEMENT, CS_EIO,
	 "the server refuses writes (read-only, a replica?); point DB_HOST at the primary"},
	{ER_READ_ONLY_MODE, CS_EIO,
	 "the server refuses writes (read-only, a replica?); point DB_HOST at the primary"},
};

/* "<lead>: <why> (<server message>)"; dflt: the code and advice of an
 * error the table does not know. */
static int fail_as(unsigned errnum, const char *msg, const char *lead, int dflt_code,
		   const char *dflt_why, cs_err *err)
{
	char detail[400];
	snprintf(detail, sizeof(detail), "%s", msg && *msg ? msg : "unknown error");
	detail[strcspn(detail, "\n")] = '\0';
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		if (failures[i].num == errnum)
			return cs_err_set(err, failures[i].code, "%s: %s (%s)", lead, failures[i].why,
					  detail);
	if (dflt_why)
		return cs_err_set(err, dflt_code, "%s: %s (%s)", lead, dflt_why, detail);
	return cs_err_set(err, dflt_code, "%s: %s", lead, detail);
}

int cs_mysql_fail(cs_mysql *c, unsigned errnum, const char *msg, const char *what, cs_err *err)
{
	char lead[1200];
	snprintf(lead, sizeof(lead), "cannot %s in database '%s'", what, c->base.name);
	return fail_as(errnum, msg, lead, CS_ERR, NULL, err);
}

int cs_mysql_fail_connect(cs_mysql *c, cs_err *err)
{
	char lead[1200];
	snprintf(lead, sizeof(lead), "cannot connect to database '%s'", c->base.name);
	return fail_as(mysql_errno(c->conn), mysql_error(c->conn), lead, CS_EUSAGE,
		       "check DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME (or DATABASE_URL)",
		       err);
}

int cs_mysql_fail_conn(cs_mysql *c, const char *what, cs_err *err)
{
	return cs_mysql_fail(c, mysql_errno(c->conn), mysql_error(c->conn), what, err);
}

int cs_mysql_fail_stmt(cs_mysql_stmt *s, const char *what, cs_err *err)
{
	cs_mysql *c = (cs_mysql *)s->base.conn;
	return cs_mysql_fail(c, mysql_stmt_errno(s->st), mysql_stmt_error(s->st), what, err);
}
