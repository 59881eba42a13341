#ifndef CS_SQLITE_H
#define CS_SQLITE_H
/* The SQLite backend (the embedded default). cs_sqlite_open is registered in
 * store/store.c; the rest is for tests that look under the store. */
#include "store/store.h"

#include <sqlite3.h>

int cs_sqlite_open(const cs_config *cfg, cs_store **out, cs_err *err);
/* The SQLite handle under a store opened by cs_sqlite_open. */
sqlite3 *cs_sqlite_handle(cs_store *s);
/* Whether the background WAL checkpointer has started (it starts on first
 * need, so short commands never pay for it). */
int cs_sqlite_has_checkpointer(cs_store *s);
/* The message and code a failure rc of `what` on database path gets. */
int cs_sqlite_map_error(const char *path, int rc, const char *detail, const char *what,
			cs_err *err);

#endif
