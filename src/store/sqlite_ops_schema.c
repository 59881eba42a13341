/* Migration v5 "operations": what the daemon and concurrent commands share.
 *
 *  - sync_leases: who runs a job of an org right now. A row per (org, job)
 *    with the holder ("daemon pid 1234", "sync pid 99"), its pid and host,
 *    and an expiry; a crashed holder's lease expires (or is taken over at
 *    once when its pid is dead on this host). Times are ms since the epoch.
 *  - alerts: the record of each alert condition (ops/alert.h), so cooldowns
 *    and open episodes survive a daemon restart. */
#include "store/sqlite_int.h"

static const char operations_up_sql[] =
	"CREATE TABLE sync_leases (organization_id INTEGER NOT NULL, job TEXT NOT NULL,"
	" holder TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,"
	" acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" PRIMARY KEY (organization_id, job));"
	"CREATE TABLE alerts (key TEXT PRIMARY KEY, state TEXT NOT NULL, since INTEGER,"
	" last_sent_at INTEGER, count INTEGER NOT NULL DEFAULT 0, last_message TEXT,"
	" updated_at TEXT NOT NULL);";

static const char operations_down_sql[] = "DROP TABLE IF EXISTS alerts;"
					  "DROP TABLE IF EXISTS sync_leases;";

int cs_sqlite_operations_up(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, operations_up_sql, err);
}

int cs_sqlite_operations_down(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, operations_down_sql, err);
}
