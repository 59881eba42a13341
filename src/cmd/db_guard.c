/* The guards around a schema change, for `db migrate|rollback|reset` and
 * the migration the dispatcher runs before a command: what a step would
 * drop, read from the store's migration list (CS_CTRL_DROP_PLAN), and the
 * backup written before (CS_CTRL_BACKUP). No schema changes here, and no
 * backup is ever skipped on SQLite when the change would touch a schema
 * that exists: a failed backup stops the change. */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cs_cmd_grouped(long long n, char *buf, size_t size)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%lld", n < 0 ? -n : n);
	size_t o = 0;
	if (n < 0 && o + 1 < size)
		buf[o++] = '-';
	for (int i = 0; i < len && o + 1 < size; i++) {
		if (i && (len - i) % 3 == 0 && o + 2 < size)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

int cs_cmd_db_backup(cs_cmd_ctx *ctx, int version, char *note, size_t n, cs_err *err)
{
	cs_store_backup b = {version, ""};
	cs_err why = {0};
	int rc = ctx->store->ctrl(ctx->store, CS_CTRL_BACKUP, &b, &why);
	if (rc == 0) {
		snprintf(note, n, "backup of the database at schema version %d written to '%s'",
			 version, b.path);
		return 0;
	}
	if (rc != CS_ENOTFOUND) {
		*err = why;
		return rc;
	}
	snprintf(note, n, "no backup was made: %s", why.msg);
	return 0;
}

/* What the migration list says about the database: the newest applied
 * version and how many of this build's migrations are not applied. */
typedef struct schema_state {
	int newest, pending;
} schema_state;

static int note_migration(const cs_migration_info *m, void *arg)
{
	schema_state *st = arg;
	if (m->applied && m->version > st->newest)
		st->newest = m->version;
	st->pending += !m->applied;
	return 0;
}

int cs_cmd_db_migrate(cs_cmd_ctx *ctx, int *applied, char *note, size_t n, cs_err *err)
{
	schema_state st = {0, 0};
	*applied = 0;
	note[0] = '\0';
	int rc = ctx->store->migrations(ctx->store, note_migration, &st, err);
	/* a new database has nothing to lose; one with a schema is copied first */
	if (rc == 0 && st.pending && st.newest)
		rc = cs_cmd_db_backup(ctx, st.newest, note, n, err);
	if (rc == 0)
		rc = ctx->store->migrate(ctx->store, applied, err);
	return rc;
}

/* ---- the plan: what a rollback or a reset would drop ---- */

typedef struct plan_out {
	FILE *out;
	int indexes, views;
} plan_out;

static int print_item(const cs_drop_item *it, void *arg)
{
	plan_out *po = arg;
	char n[32];
	if (it->rows < 0) {
		po->indexes += !strcmp(it->kind, "index");
		po->views += !strcmp(it->kind, "view");
		return 0;
	}
	fprintf(po->out, "  %s (%s): ", it->name, it->kind);
	if (it->rows == 0)
		fprintf(po->out, "empty\n");
	else
		fprintf(po->out, "%s %s%s%s%s\n", cs_cmd_grouped(it->rows, n, sizeof(n)),
			strcmp(it->kind, "column") ? "row" : "value", it->rows == 1 ? "" : "s",
			it->about ? " of " : "", it->about ? it->about : "");
	return 0;
}

int cs_cmd_db_plan(cs_cmd_ctx *ctx, int all, cs_drop_plan *p, char **text, cs_err *err)
{
	cs_store_where w;
	plan_out po = {NULL, 0, 0};
	char *items = NULL;
	size_t len = 0;
	memset(p, 0, sizeof(*p));
	p->all = all;
	p->cb = print_item;
	p->ctx = &po;
	*text = NULL;
	/* the header names the step, which is known only after the walk */
	po.out = open_memstream(&items, &len);
	if (!po.out)
		return cs_err_set(err, CS_ERR, "cannot list what would be dropped: out of memory");
	int rc = ctx->store->ctrl(ctx->store, CS_CTRL_DROP_PLAN, p, err);
	if (rc == 0 && (po.indexes || po.views))
		fprintf(po.out, "  and %d index(es) and %d view(s)\n", po.indexes, po.views);
	fclose(po.out);
	FILE *out = rc == 0 && p->version ? open_memstream(text, &len) : NULL;
	if (out) {
		cs_err ignored = {0};
		if (ctx->store->ctrl(ctx->store, CS_CTRL_WHERE, &w, &ignored))
			snprintf(w.text, sizeof(w.text), "%s", ctx->cfg.db_path);
		if (all)
			fprintf(out, "resetting database '%s' drops every table of migrations %d "
				     "down to 1:\n",
				w.text, p->version);
		else
			fprintf(out, "rolling back migration %d '%s' of database '%s' drops:\n",
				p->version, p->name ? p->name : "?", w.text);
		fputs(items ? items : "", out);
		fclose(out);
	} else if (rc == 0 && p->version) {
		rc = cs_err_set(err, CS_ERR, "cannot list what would be dropped: out of memory");
	}
	free(items);
	return rc;
}
