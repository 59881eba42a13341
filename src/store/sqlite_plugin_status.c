/* `<plugin> status`: the last push per org, outcome counts and recent errors,
 * as JSON (schema in README "mailchimp status --json"). */
#include "store/sqlite_ops.h"

#include <string.h>

int cs_sqlite_rows_json(cs_sqlite *s, const char *sql, const char *param, cJSON *array,
			const char *what, cs_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = cs_sqlite_prepare(s, sql, &q, what, err);
	if (rc < 0)
		return rc;
	if (param)
		sqlite3_bind_text(q, 1, param, -1, SQLITE_STATIC);
	int n = sqlite3_column_count(q);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(array, o);
		for (int i = 0; i < n; i++) {
			const char *name = sqlite3_column_name(q, i);
			switch (sqlite3_column_type(q, i)) {
			case SQLITE_NULL:
				cJSON_AddNullToObject(o, name);
				break;
			case SQLITE_INTEGER:
			case SQLITE_FLOAT:
				cJSON_AddNumberToObject(o, name, sqlite3_column_double(q, i));
				break;
			default:
				cJSON_AddStringToObject(o, name,
							(const char *)sqlite3_column_text(q, i));
			}
		}
	}
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, what, err);
	sqlite3_finalize(q);
	return rc;
}

/* ?1 is the plugin name in each. */
static const struct {
	const char *key, *sql;
} sections[] = {
	/* the newest real (not dry) push of each org */
	{"last_runs",
	 "SELECT r.* FROM plugin_runs r WHERE r.plugin = ?1 AND r.id = (SELECT MAX(id) FROM"
	 " plugin_runs x WHERE x.plugin = ?1 AND x.organization_id = r.organization_id"
	 " AND x.mode <> 'dry-run') ORDER BY r.organization_id"},
	/* outcomes of those runs, by action and status */
	{"last_outcomes",
	 "SELECT o.organization_id, o.action, o.status, COUNT(*) AS count FROM plugin_outcomes o"
	 " WHERE o.plugin = ?1 AND o.run_id IN (SELECT MAX(id) FROM plugin_runs WHERE"
	 " plugin = ?1 AND mode <> 'dry-run' GROUP BY organization_id)"
	 " GROUP BY o.organization_id, o.action, o.status ORDER BY 1, 2, 3"},
	/* what the destination holds as we last sent it, by state */
	{"contacts",
	 "SELECT organization_id, scope, status, COUNT(*) AS count FROM plugin_state"
	 " WHERE plugin = ?1 GROUP BY organization_id, scope, status ORDER BY 1, 2, 3"},
	{"recent_errors",
	 "SELECT at, organization_id, supporter_id, email_key, action, status, error_title,"
	 " error_detail, request_id FROM plugin_outcomes WHERE plugin = ?1"
	 " AND status IN ('rejected', 'failed') ORDER BY id DESC LIMIT 10"},
};

int cs_sqlite_plugin_status(cs_store *st, const char *plugin, cJSON **out, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "plugin", plugin);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(sections) / sizeof(sections[0]); i++) {
		cJSON *a = cJSON_AddArrayToObject(root, sections[i].key);
		rc = cs_sqlite_rows_json(s, sections[i].sql, plugin, a, "read plugin status", err);
	}
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}
