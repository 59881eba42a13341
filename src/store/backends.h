#ifndef CS_STORE_BACKENDS_H
#define CS_STORE_BACKENDS_H
/* Backend constructors, one per backend (a stub when its library was not
 * built). Private to store/: everyone else calls cs_store_open. */
#include "store/store.h"

int cs_sqlite_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_pgsql_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_mysql_open(const cs_config *cfg, cs_store **out, cs_err *err);
/* Each SQL backend's dialect, or NULL from its stub: the data dictionary
 * (store/dict.h) names each backend's declared types. */
struct cs_sql_dialect;
const struct cs_sql_dialect *cs_sqlite_dialect_get(void);
const struct cs_sql_dialect *cs_pgsql_dialect_get(void);
const struct cs_sql_dialect *cs_mysql_dialect_get(void);
/* What a stub constructor returns: CS_EUSAGE naming DB_TYPE and the product. */
int cs_store_not_built(const char *db_type, const char *product, cs_err *err);

#endif
