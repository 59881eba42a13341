/* The store vtable on the SQL core: one cs_store for every SQL backend.
 * A backend opens its connection and calls cs_sql_store_new; the operations
 * themselves live in the other sql_*.c files, split by concern. This file
 * must never hold product-specific SQL or call a driver directly. */
#include "store/sql/sqlstore.h"

#include <stdio.h>
#include <stdlib.h>

static void store_close(cs_store *st)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (!s)
		return;
	cs_sql_store_drop_cached(s);
	if (s->in_page)
		cs_sql_rollback(s->c);
	if (s->hooks.close)
		s->hooks.close(s->c);
	free(s);
}

/* What was in flight died with the old connection: its transaction, its
 * server-side statements and the rows batched for it. */
static int store_reconnect(cs_sql_store *s, cs_err *err)
{
	if (!s->hooks.reconnect)
		return cs_err_set(err, CS_ENOTFOUND, "the %s backend does not reconnect",
				  s->base.name);
	cs_sql_store_drop_cached(s);
	s->in_page = 0;
	s->c->in_txn = 0;
	return s->hooks.reconnect(s->c, err);
}

static int store_ctrl(cs_store *st, int op, void *arg, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (op == CS_CTRL_RECONNECT)
		return store_reconnect(s, err);
	if (op == CS_CTRL_WHERE) {
		cs_store_where *w = arg;
		snprintf(w->text, sizeof(w->text), "%s",
			 s->hooks.describe ? s->hooks.describe(s->c) : s->c->name);
		return 0;
	}
	if (op == CS_CTRL_LEASES)
		return cs_sql_lease_list(s, arg, err);
	if (op == CS_CTRL_LAST_RUNS)
		return cs_sql_last_runs(s, arg, err);
	if (op == CS_CTRL_RUN_FACTS)
		return cs_sql_run_facts(s, arg, err);
	if (op == CS_CTRL_PLUGIN_LAST)
		return cs_sql_plugin_last(s, arg, err);
	if (op == CS_CTRL_HAS_ROWS)
		return cs_sql_has_rows(s, arg, err);
	if (op == CS_CTRL_RECOMPUTE_SOME)
		return cs_sql_recompute_some(s, arg, err);
	if (op == CS_CTRL_RATE_SLOT)
		return cs_sql_rate_slot(s, arg, err);
	if (op == CS_CTRL_RUN_HISTORY)
		return cs_sql_run_history(s, arg, err);
	if (op == CS_CTRL_PLUGIN_REJECTIONS)
		return cs_sql_plugin_rejections(s, arg, err);
	if (op == CS_CTRL_GIVING)
		return cs_sql_giving(s, arg, err);
	if (op == CS_CTRL_DROP_PLAN)
		return cs_sql_schema_plan(s, arg, err);
	if (op == CS_CTRL_READER)
		return s->hooks.reader ? s->hooks.reader(s->c, arg, err) : 0;
	if (op == CS_CTRL_BACKUP && s->hooks.backup)
		return s->hooks.backup(s->c, arg, err);
	if (op == CS_CTRL_BACKUP)
		return cs_err_set(err, CS_ENOTFOUND,
				  "classy-sync makes no backup of a %s database: back it up with "
				  "the server's own tools first (that is its DBA's job)",
				  st->name);
	return cs_err_set(err, CS_ENOTFOUND,
			  "store operation %d is not supported by the %s backend; upgrade "
			  "classy-sync",
			  op, st->name);
}

static const cs_store sql_vtable = {
	.abi = CS_STORE_ABI,
	.close = store_close,
	.migrate = cs_sql_schema_migrate,
	.rollback = cs_sql_schema_rollback,
	.migrations = cs_sql_schema_list,
	.reset = cs_sql_schema_reset,
	.seed = cs_sql_seed,
	.org_put = cs_sql_org_put,
	.org_get = cs_sql_org_get,
	.org_list = cs_sql_org_list,
	.org_remove = cs_sql_org_remove,
	.state_get = cs_sql_state_get,
	.run_begin = cs_sql_run_begin,
	.run_finish = cs_sql_run_finish,
	.page_begin = cs_sql_page_begin,
	.page_upsert = cs_sql_page_upsert,
	.page_commit = cs_sql_page_commit,
	.page_abort = cs_sql_page_abort,
	.mark_absent = cs_sql_mark_absent,
	.recompute_aggregates = cs_sql_recompute,
	.status = cs_sql_status,
	.contacts = cs_sql_contacts,
	.plugin_record = cs_sql_plugin_record,
	.plugin_run_begin = cs_sql_plugin_run_begin,
	.plugin_run_finish = cs_sql_plugin_run_finish,
	.plugin_status = cs_sql_plugin_status,
	.lease_acquire = cs_sql_lease_acquire,
	.lease_renew = cs_sql_lease_renew,
	.lease_release = cs_sql_lease_release,
	.alert_load = cs_sql_alert_load,
	.alert_save = cs_sql_alert_save,
	.ctrl = store_ctrl,
};

int cs_sql_store_new(cs_sql *c, const cs_sql_hooks *hooks, cs_store **out, cs_err *err)
{
	*out = NULL;
	cs_sql_store *s = calloc(1, sizeof(*s));
	if (!s) {
		if (hooks->close)
			hooks->close(c);
		return cs_err_set(err, CS_ERR, "cannot open database: out of memory");
	}
	s->base = sql_vtable;
	s->base.name = c->drv->name;
	s->c = c;
	s->hooks = *hooks;
	*out = &s->base;
	return 0;
}

cs_sql *cs_sql_store_conn(cs_store *st)
{
	return st && st->close == store_close ? ((cs_sql_store *)st)->c : NULL;
}
