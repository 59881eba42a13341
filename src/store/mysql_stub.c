/* The MySQL backend of a build without libmariadb's -dev package
 * (scripts/bootstrap installs it): the registry keeps its row and
 * DB_TYPE=mysql gets a clear message. */
#include "store/backends.h"

int cs_mysql_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	(void)cfg;
	*out = NULL;
	return cs_store_not_built("mysql", "MySQL", err);
}

const struct cs_sql_dialect *cs_mysql_dialect_get(void)
{
	return NULL;
}
