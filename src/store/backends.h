#ifndef CS_STORE_BACKENDS_H
#define CS_STORE_BACKENDS_H
/* Backend constructors, one per backend (a stub when its library was not
 * built). Private to store/: everyone else calls cs_store_open. */
#include "store/store.h"

int cs_sqlite_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_pgsql_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_mysql_open(const cs_config *cfg, cs_store **out, cs_err *err);
/* What a stub constructor returns: CS_EUSAGE naming DB_TYPE and the product. */
int cs_store_not_built(const char *db_type, const char *product, cs_err *err);

#endif
