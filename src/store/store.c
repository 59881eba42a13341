/* Backend registry. Adding a backend is one row in `backends`; a backend
 * that was not built registers a stub constructor that explains so. This
 * file must never know a backend's internals: it only calls constructors. */
#include "store/backends.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*cs_store_open_fn)(const cs_config *cfg, cs_store **out, cs_err *err);

static const struct {
	int db_type; /* enum cs_db_type */
	const char *name;
	cs_store_open_fn open;
} backends[] = {
	{CS_DB_SQLITE, "sqlite", cs_sqlite_open},
	{CS_DB_POSTGRESQL, "postgresql", cs_pgsql_open},
	{CS_DB_MYSQL, "mysql", cs_mysql_open},
};

int cs_store_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < ARRAY_LEN(backends); i++) {
		if (backends[i].db_type != cfg->db_type)
			continue;
		cs_store *s = NULL;
		int rc = backends[i].open(cfg, &s, err);
		if (rc < 0)
			return rc;
		/* A backend built against another interface would call through
		 * the wrong slots; refuse it before anything runs. */
		if (s->abi != CS_STORE_ABI) {
			int abi = s->abi;
			cs_store_close(s);
			return cs_err_set(err, CS_ERR,
					  "DB_TYPE=%s: the backend speaks store interface %d, this "
					  "build needs %d; rebuild classy-sync",
					  backends[i].name, abi, CS_STORE_ABI);
		}
		*out = s;
		return 0;
	}
	return cs_err_set(err, CS_EUSAGE, "DB_TYPE: unknown database type %d; use DB_TYPE=sqlite",
			  cfg->db_type);
}

void cs_store_close(cs_store *s)
{
	if (s)
		s->close(s);
}
