/* The PostgreSQL backend of a build without libpq's -dev package
 * (scripts/bootstrap installs it): the registry keeps its row and
 * DB_TYPE=postgresql gets a clear message. */
#include "store/backends.h"

int cs_pgsql_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	(void)cfg;
	*out = NULL;
	return cs_store_not_built("postgresql", "PostgreSQL", err);
}

const struct cs_sql_dialect *cs_pgsql_dialect_get(void)
{
	return NULL;
}
