/* classy-sync db copy --to URL: the whole mirror (rows, run history,
 * encrypted credentials, plugin state) into another database, the way a
 * user grows from SQLite to a server. store/store_copy.c copies and
 * verifies; this file reads the target, prints progress and the result.
 * A password must never come through argv: DB_COPY_PASSWORD carries it. */
#include "cmd/cmd.h"
#include "store/copy.h"
#include "util/redact.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct copy_view {
	int tty, ansi;
	int tables;
	long long rows;
} copy_view;

static void on_progress(const char *table, long long done, long long total, void *ctx)
{
	copy_view *v = ctx;
	if (!v->tty)
		return;
	cs_cmd_erase_line(stderr, v->ansi, 79);
	fprintf(stderr, "copying %s: %lld of %lld rows", table, done, total);
	if (total > 0)
		fprintf(stderr, " (%lld %%)", done * 100 / total);
	fflush(stderr);
}

static void on_table(const cs_copy_table *t, void *ctx)
{
	copy_view *v = ctx;
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", t->source_sum[i]);
	if (v->tty)
		cs_cmd_erase_line(stderr, v->ansi, 79);
	printf("  %-24s %10lld %10lld %10lld  %s\n", t->name, t->target_rows, t->copied,
	       t->resumed, hex);
	fflush(stdout);
	v->tables++;
	v->rows += t->target_rows;
}

/* DB_COPY_PASSWORD, percent-encoded for a URL and registered for
 * redaction; NULL when unset. */
static int copy_password(char **out, cs_err *err)
{
	char pw[512];
	*out = NULL;
	int rc = cs_config_env_lookup("DB_COPY_PASSWORD", pw, sizeof(pw));
	if (rc == CS_ENOTFOUND || (rc == 0 && !pw[0]))
		return 0;
	if (rc)
		return cs_err_set(err, CS_EUSAGE, "DB_COPY_PASSWORD is longer than %zu bytes",
				  sizeof(pw) - 1);
	char *enc = curl_easy_escape(NULL, pw, 0);
	if (!enc || cs_redact_add(pw) || cs_redact_add(enc)) {
		curl_free(enc);
		return cs_err_set(err, CS_ERR, "cannot read DB_COPY_PASSWORD: out of memory");
	}
	*out = enc;
	return 0;
}

/* Asked between two committed batches. CLASSY_SYNC_TEST_COPY_KILL_AT=N
 * (tests) kills the process there at the Nth time, as kill -9 would: the
 * resume test needs a stop at a known point, not a timed one. */
static int copy_should_stop(void)
{
	static long calls;
	const char *at = getenv("CLASSY_SYNC_TEST_COPY_KILL_AT");
	if (at && ++calls == atol(at))
		raise(SIGKILL);
	return cs_cmd_should_stop();
}

static int same_file(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	int same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

static int db_copy(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	const char *url = cs_cmd_arg_str(self, args, "to");
	if (!url || !*url)
		return cs_cmd_usage_error(ctx->prog, "--to URL is required (postgresql://USER@HOST/DB, "
						     "mysql://USER@HOST/DB or sqlite:PATH)");
	cs_err err = {0};
	char *pw = NULL;
	cs_config to_cfg;
	cs_store *to = NULL;
	int rc = copy_password(&pw, &err);
	if (rc == 0)
		rc = cs_config_target(&ctx->cfg, url, pw, &to_cfg, &err);
	curl_free(pw);
	if (rc == 0 && to_cfg.db_type == CS_DB_SQLITE && ctx->cfg.db_type == CS_DB_SQLITE &&
	    same_file(to_cfg.db_path, ctx->cfg.db_path))
		rc = cs_err_set(&err, CS_EUSAGE, "--to names the database being copied ('%s')",
				ctx->cfg.db_path);
	if (rc == 0)
		rc = cs_store_open(&to_cfg, &to, &err);
	if (rc) {
		cs_store_close(to);
		return cs_cmd_fail(&err);
	}
	char shown[1024];
	cs_config_redact_url(to_cfg.database_url[0] ? url : to_cfg.db_path, shown, sizeof(shown));
	printf("copying the mirror to %s\n", shown);
	printf("  %-24s %10s %10s %10s  %s\n", "table", "rows", "copied", "resumed",
	       "sha256 (first 8 bytes)");
	copy_view v = {.tty = ctx->stderr_tty && !ctx->quiet, .ansi = ctx->stderr_ansi};
	cs_copy_hooks hooks = {on_progress, on_table, copy_should_stop, &v};
	rc = cs_store_copy(ctx->store, to, &hooks, &err);
	if (v.tty)
		cs_cmd_erase_line(stderr, v.ansi, 79);
	cs_store_close(to);
	if (rc == CS_EINTR)
		return cs_cmd_stopped_exit(cs_cmd_fail(&err));
	if (rc)
		return cs_cmd_fail(&err);
	printf("copy verified: %d tables, %lld rows; each table's row count and checksum equal "
	       "the source's\n", v.tables, v.rows);
	printf("to use it: set DATABASE_URL=%s (the password in .env, not on a command line)\n",
	       shown);
	return 0;
}

static const cs_cmd_opt copy_opts[] = {
	{"to", CS_CMD_OPT_STRING, "URL",
	 "the target: postgresql://USER@HOST[:PORT]/DB, mysql://USER@HOST[:PORT]/DB or "
	 "sqlite:PATH (its password in DB_COPY_PASSWORD)"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_db_copy = {"copy", db_copy, CS_CMD_STORE | CS_CMD_MIGRATED,
	"copy the whole mirror into another database, resumable, verified", NULL, copy_opts, 0,
	0, NULL,
	"Copies every table (records, run history, encrypted credentials, plugin state) in key "
	"order, in batches each committed on its own: run it again after an interruption and it "
	"resumes. Each table is then verified: the same row count and SHA-256 checksum on both "
	"sides, or the copy fails naming the table. Stop every sync (the daemon) first. The "
	"target is migrated to the current schema; copy into an empty database.",
	NULL};
