/* classy-sync db migrate|rollback|status|seed|reset (and copy, db_copy.c;
 * schema, db_schema.c): the schema and the reference data, through the
 * store's vtable. `reset` must never run
 * without --yes, and this file never touches SQL itself. */
#include "cmd/cmd.h"

#include <stdio.h>

static int db_migrate(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	(void)args;
	cs_err err = {0};
	int applied = 0;
	long long seeded = 0;
	if (ctx->store->migrate(ctx->store, &applied, &err) ||
	    (applied && ctx->store->seed(ctx->store, 0, &seeded, &err)))
		return cs_cmd_fail(&err);
	printf(applied ? "applied %d migration(s)\n" : "schema is up to date (%d applied)\n",
	       applied);
	return 0;
}

static int db_rollback(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	(void)args;
	cs_err err = {0};
	int version = 0;
	if (ctx->store->rollback(ctx->store, &version, &err))
		return cs_cmd_fail(&err);
	if (version)
		printf("rolled back migration %d\n", version);
	else
		printf("nothing to roll back\n");
	return 0;
}

static int print_migration(const cs_migration_info *m, void *arg)
{
	(void)arg;
	printf("%4d  %-12s %s\n", m->version, m->name, m->applied ? m->applied_at : "pending");
	return 0;
}

/* Where the open database is: the SQLite file, or the server's URL without
 * its password (never DB_PATH when the database is on a server). */
static const char *db_where(cs_cmd_ctx *ctx, cs_store_where *w)
{
	cs_err ignored = {0};
	if (ctx->store->ctrl(ctx->store, CS_CTRL_WHERE, w, &ignored))
		snprintf(w->text, sizeof(w->text), "%s",
			 ctx->cfg.db_type == CS_DB_SQLITE ? ctx->cfg.db_path : "(unknown)");
	return w->text;
}

static int db_status(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	(void)args;
	cs_err err = {0};
	cs_store_where w;
	printf("database: %s (%s)\n", db_where(ctx, &w), cs_config_db_type_name(ctx->cfg.db_type));
	printf("version  name         applied\n");
	if (ctx->store->migrations(ctx->store, print_migration, NULL, &err))
		return cs_cmd_fail(&err);
	return 0;
}

static int db_seed(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_err err = {0};
	long long inserted = 0;
	int demo = cs_cmd_arg_set(self, args, "demo");
	if (ctx->store->seed(ctx->store, demo, &inserted, &err))
		return cs_cmd_fail(&err);
	printf("seeded %lld new row(s)%s; existing rows were left as they were\n", inserted,
	       demo ? " including the demo organization (id 1)" : "");
	return 0;
}

static int db_reset(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_store_where w;
	if (!cs_cmd_arg_set(self, args, "yes"))
		return cs_cmd_usage_error(ctx->prog,
					  "reset deletes every table in '%s'; add --yes to confirm",
					  db_where(ctx, &w));
	cs_err err = {0};
	if (ctx->store->reset(ctx->store, &err))
		return cs_cmd_fail(&err);
	printf("database '%s' reset: all tables dropped (run 'classy-sync db migrate' to recreate)\n",
	       db_where(ctx, &w));
	return 0;
}

static const cs_cmd_opt seed_opts[] = {
	{"demo", CS_CMD_OPT_FLAG, NULL, "also load a generated demo organization (id 1)"},
	{NULL, 0, NULL, NULL},
};
static const cs_cmd_opt reset_opts[] = {
	{"yes", CS_CMD_OPT_FLAG, NULL, "confirm that every table may be dropped"},
	{NULL, 0, NULL, NULL},
};

static const cs_cmd db_migrate_cmd = {"migrate", db_migrate, CS_CMD_STORE,
	"apply pending schema migrations", NULL, NULL, 0, 0, NULL, NULL, NULL};
static const cs_cmd db_rollback_cmd = {"rollback", db_rollback, CS_CMD_STORE,
	"roll back the newest applied migration", NULL, NULL, 0, 0, NULL, NULL, NULL};
static const cs_cmd db_status_cmd = {"status", db_status, CS_CMD_STORE,
	"list migrations and whether each is applied", NULL, NULL, 0, 0, NULL, NULL, NULL};
static const cs_cmd db_seed_cmd = {"seed", db_seed, CS_CMD_STORE | CS_CMD_MIGRATED,
	"load reference data (segment thresholds, tag names); never overwrites", NULL, seed_opts,
	0, 0, NULL, NULL, NULL};
static const cs_cmd db_reset_cmd = {"reset", db_reset, CS_CMD_STORE,
	"drop every table and view (needs --yes)", NULL, reset_opts, 0, 0, NULL, NULL, NULL};

static const cs_cmd *const db_subs[] = {
	&db_migrate_cmd, &db_rollback_cmd, &db_status_cmd, &db_seed_cmd, &db_reset_cmd,
	&cs_cmd_db_copy, &cs_cmd_db_schema, NULL,
};

const cs_cmd cs_cmd_db = {
	.name = "db",
	.summary = "manage the database schema and reference data",
	.sub = db_subs,
};
