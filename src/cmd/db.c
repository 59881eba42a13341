/* classy-sync db migrate|rollback|status|seed|reset (and copy, db_copy.c;
 * schema, db_schema.c): the schema and the reference data, through the
 * store's vtable. `reset`, and a `rollback` step that drops rows, must
 * never run without --yes, nor any schema change without the backup
 * db_guard.c takes first; this file never touches SQL. */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>

static int db_migrate(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	(void)args;
	cs_err err = {0};
	int applied = 0;
	long long seeded = 0;
	char note[1400];
	if (cs_cmd_db_migrate(ctx, &applied, note, sizeof(note), &err) ||
	    (applied && ctx->store->seed(ctx->store, 0, &seeded, &err)))
		return cs_cmd_fail(&err);
	if (note[0])
		printf("%s\n", note);
	printf(applied ? "applied %d migration(s)\n" : "schema is up to date (%d applied)\n",
	       applied);
	return 0;
}

/* A step that drops rows (a reset: always) needs --yes; refused, it prints
 * what it would drop on stderr, changes nothing and exits 2. Otherwise the
 * plan is the result, and the database is backed up first (SQLite). */
static int confirm_and_back_up(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args,
			       const cs_drop_plan *p, const char *plan, int always)
{
	char rows[32], note[1400] = "";
	cs_err err = {0};
	if ((always || p->rows) && !cs_cmd_arg_set(self, args, "yes")) {
		fputs(plan ? plan : "", stderr);
		return cs_cmd_usage_error(
			ctx->prog, "this drops %s%s; nothing was changed: add --yes to confirm (%s)",
			p->rows ? cs_cmd_grouped(p->rows, rows, sizeof(rows)) : "every table",
			!p->rows ? "" : p->rows == 1 ? " row" : " rows",
			ctx->cfg.db_type == CS_DB_SQLITE
				? "a backup of the database is written next to it first"
				: "classy-sync makes no backup of a server database: back it up "
				  "first with the server's own tools");
	}
	fputs(plan ? plan : "", stdout);
	if (p->version && cs_cmd_db_backup(ctx, p->version, note, sizeof(note), &err))
		return cs_cmd_fail(&err);
	if (note[0])
		printf("%s\n", note);
	return 0;
}

static int db_rollback(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_err err = {0};
	cs_drop_plan p;
	char *plan = NULL;
	int version = 0;
	if (cs_cmd_db_plan(ctx, 0, &p, &plan, &err))
		return cs_cmd_fail(&err);
	int rc = p.version ? confirm_and_back_up(ctx, self, args, &p, plan, 0) : 0;
	free(plan);
	if (rc)
		return rc;
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
	cs_err err = {0};
	cs_drop_plan p;
	char *plan = NULL;
	if (cs_cmd_db_plan(ctx, 1, &p, &plan, &err))
		return cs_cmd_fail(&err);
	int rc = confirm_and_back_up(ctx, self, args, &p, plan, 1);
	free(plan);
	if (rc)
		return rc;
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
static const cs_cmd_opt rollback_opts[] = {
	{"yes", CS_CMD_OPT_FLAG, NULL, "confirm when the step drops rows"},
	{NULL, 0, NULL, NULL},
};

static const cs_cmd db_migrate_cmd = {"migrate", db_migrate, CS_CMD_STORE,
	"apply pending schema migrations", NULL, NULL, 0, 0, NULL, NULL, NULL};
static const cs_cmd db_rollback_cmd = {"rollback", db_rollback, CS_CMD_STORE,
	"roll back the newest applied migration (needs --yes when it drops rows)", NULL,
	rollback_opts, 0, 0, NULL,
	"Names what the step drops, with the rows each table holds. A step that drops rows\n"
	"needs --yes; without it nothing changes (exit 2). An SQLite database is first backed\n"
	"up next to itself (<file>.bak-v<version>-<time>, VACUUM INTO); a server database is\n"
	"not: back it up with the server's own tools first.",
	NULL};
static const cs_cmd db_status_cmd = {"status", db_status, CS_CMD_STORE,
	"list migrations and whether each is applied", NULL, NULL, 0, 0, NULL, NULL, NULL};
static const cs_cmd db_seed_cmd = {"seed", db_seed, CS_CMD_STORE | CS_CMD_MIGRATED,
	"load reference data (segment thresholds, tag names); never overwrites", NULL, seed_opts,
	0, 0, NULL, NULL, NULL};
static const cs_cmd db_reset_cmd = {"reset", db_reset, CS_CMD_STORE,
	"drop every table and view (needs --yes)", NULL, reset_opts, 0, 0, NULL,
	"Names every table it drops, with its rows, and needs --yes. An SQLite database is\n"
	"first backed up next to itself (<file>.bak-v<version>-<time>); a server database\n"
	"is not: back it up with the server's own tools first.",
	NULL};

static const cs_cmd *const db_subs[] = {
	&db_migrate_cmd, &db_rollback_cmd, &db_status_cmd, &db_seed_cmd, &db_reset_cmd,
	&cs_cmd_db_copy, &cs_cmd_db_schema, NULL,
};

const cs_cmd cs_cmd_db = {
	.name = "db",
	.summary = "manage the database schema and reference data",
	.sub = db_subs,
};
