/* The dispatcher: walks nested command tables, parses options from each
 * command's table, prints generated help, and does the shared setup (config,
 * store, migrations, master key) that a command's flags ask for, so a
 * command never repeats it. It must never know a command by name, and
 * never print anything but help and usage errors. */
#include "cmd/cmd.h"

#include "http/http.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/secret.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static int g_verbosity; /* -1 quiet, 0 LOG_LEVEL, 1 verbose */

static void on_signal(int sig)
{
	if (!g_stop)
		g_stop = sig;
}

int cs_cmd_should_stop(void)
{
	return g_stop != 0;
}

int cs_cmd_stopped_exit(int code)
{
	return g_stop == SIGINT ? CS_EXIT_INTERRUPTED : code;
}

const cs_cmd_global cs_cmd_globals[] = {
	{"-h", "--help", 0, 0, "show this help"},
	{"-q", "--quiet", -1, 0, "only warnings and errors on stderr (no progress)"},
	{"-v", "--verbose", 1, 0, "debug messages on stderr (overrides LOG_LEVEL)"},
	{"-V", "--version", 0, 1, "print the version"},
	{NULL, NULL, 0, 0, NULL},
};

/* -q and -v, anywhere on the line (-h and -V are read where they apply). */
static int global_opt(const char *s)
{
	for (const cs_cmd_global *g = cs_cmd_globals; g->shrt; g++)
		if (g->verbosity && (!strcmp(s, g->shrt) || !strcmp(s, g->lng))) {
			g_verbosity = g->verbosity;
			return 1;
		}
	return 0;
}

int cs_cmd_verbosity(void)
{
	return g_verbosity;
}

void cs_cmd_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cs_cmd_opt_index(const cs_cmd_opt *opts, const char *name)
{
	for (int i = 0; opts && opts[i].name; i++)
		if (!strcmp(opts[i].name, name))
			return i;
	return -1;
}

int cs_cmd_arg_set(const cs_cmd *cmd, const cs_cmd_args *a, const char *name)
{
	int i = cs_cmd_opt_index(cmd->opts, name);
	return i >= 0 && a->set[i];
}

const char *cs_cmd_arg_str(const cs_cmd *cmd, const cs_cmd_args *a, const char *name)
{
	int i = cs_cmd_opt_index(cmd->opts, name);
	return i >= 0 && a->set[i] ? a->str[i] : NULL;
}

long long cs_cmd_arg_num(const cs_cmd *cmd, const cs_cmd_args *a, const char *name)
{
	int i = cs_cmd_opt_index(cmd->opts, name);
	return i >= 0 && a->set[i] ? a->num[i] : 0;
}

int cs_cmd_org_id(const char *prog, const char *s, long long *id)
{
	char *end;
	*id = strtoll(s, &end, 10);
	if (*end || *id <= 0)
		return cs_cmd_usage_error(prog, "organization id must be a positive number, got '%s'",
					  s);
	return 0;
}

int cs_cmd_fail(const cs_err *err)
{
	fprintf(stderr, "classy-sync: error: %s\n", err->msg[0] ? err->msg : "unknown failure");
	return cs_err_exit_code(err->code);
}

int cs_cmd_usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s\nrun '%s --help' for usage\n", prog, msg, prog);
	return CS_EXIT_USAGE;
}

void cs_cmd_synopsis(const cs_cmd *cmd, const char *prog, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s", prog, cmd->sub ? " <command>" : "", cmd->usage ? " " : "",
		 cmd->usage ? cmd->usage : "", cmd->opts ? " [options]" : "");
}

static void print_help(const cs_cmd *cmd, const char *prog, FILE *out)
{
	char synopsis[512];
	cs_cmd_synopsis(cmd, prog, synopsis, sizeof(synopsis));
	fprintf(out, "usage: %s\n", synopsis);
	fprintf(out, "\n%s\n", cmd->summary);
	if (cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	if (cmd->sub) {
		fprintf(out, "\ncommands:\n");
		for (const cs_cmd *const *s = cmd->sub; *s; s++)
			if (!((*s)->flags & CS_CMD_HIDDEN))
				fprintf(out, "  %-18s %s\n", (*s)->name, (*s)->summary);
	}
	fprintf(out, "\noptions:\n");
	for (const cs_cmd_opt *o = cmd->opts; o && o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-22s %s\n", left, o->help);
	}
	int top = !prog[strcspn(prog, " ")];
	for (const cs_cmd_global *g = cs_cmd_globals; g->shrt; g++) {
		if (g->top_only && !top)
			continue;
		char left[64];
		snprintf(left, sizeof(left), "%s, %s", g->shrt, g->lng);
		fprintf(out, "  %-22s %s\n", left, g->help);
	}
	if (cmd->sub)
		fprintf(out, "\nrun '%s <command> --help' for a command's own options\n", prog);
}

static int parse_value(const cs_cmd_opt *o, const char *v, cs_cmd_args *a, int i, const char *prog)
{
	a->set[i] = 1;
	a->str[i] = v;
	if (o->type == CS_CMD_OPT_INT) {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (!*v || *end || n < 0)
			return cs_cmd_usage_error(prog, "--%s needs a non-negative whole number, got '%s'",
						  o->name, v);
		a->num[i] = n;
	}
	return 0;
}

static int parse_args(const cs_cmd *cmd, const char *prog, int argc, char **argv, cs_cmd_args *a)
{
	memset(a, 0, sizeof(*a));
	int only_pos = 0;
	for (int k = 0; k < argc; k++) {
		const char *s = argv[k];
		if (only_pos || s[0] != '-' || !s[1]) {
			if (a->npos >= CS_CMD_MAX_ARGS || a->npos >= cmd->max_pos)
				return cs_cmd_usage_error(prog, "unexpected argument '%s'", s);
			a->pos[a->npos++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			only_pos = 1;
			continue;
		}
		if (global_opt(s))
			continue;
		char name[64];
		const char *eq = strchr(s, '=');
		size_t len = eq ? (size_t)(eq - s) : strlen(s);
		if (s[1] != '-' || len - 2 >= sizeof(name))
			return cs_cmd_usage_error(prog, "unknown option '%s'", s);
		memcpy(name, s + 2, len - 2);
		name[len - 2] = '\0';
		int i = cs_cmd_opt_index(cmd->opts, name);
		if (i < 0)
			return cs_cmd_usage_error(prog, "unknown option '--%s'", name);
		const cs_cmd_opt *o = &cmd->opts[i];
		if (o->type == CS_CMD_OPT_FLAG) {
			if (eq)
				return cs_cmd_usage_error(prog, "--%s takes no value", name);
			a->set[i] = 1;
			continue;
		}
		const char *v = eq ? eq + 1 : (k + 1 < argc ? argv[++k] : NULL);
		if (!v)
			return cs_cmd_usage_error(prog, "--%s needs a value (%s)", name, o->arg);
		if (parse_value(o, v, a, i, prog))
			return CS_EXIT_USAGE;
	}
	if (a->npos < cmd->min_pos)
		return cs_cmd_usage_error(prog, "missing argument: %s", cmd->usage ? cmd->usage : "");
	return 0;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static int count_secret(const cs_org *o, void *arg)
{
	*(long long *)arg += o->secret_enc && o->secret_enc[0];
	return 0;
}

int cs_cmd_key_fresh(void *store, cs_err *err)
{
	cs_store *st = store;
	long long n = 0;
	if (!st)
		return 1;
	if (st->org_list(st, count_secret, &n, err))
		return err->code ? err->code : CS_ERR;
	return n == 0;
}

/* LOG_LEVEL, unless -q or -v said otherwise. */
static void set_log(int level, int format)
{
	if (g_verbosity)
		level = g_verbosity < 0 ? CS_LOG_WARN : CS_LOG_DEBUG;
	cs_log_setup(level, format);
}

static int setup(cs_cmd_ctx *ctx, int flags, cs_err *err)
{
	if (!(flags & (CS_CMD_CONFIG | CS_CMD_STORE | CS_CMD_KEY)))
		return 0;
	if (cs_config_load(&ctx->cfg, err))
		return err->code;
	set_log(ctx->cfg.log_level, ctx->cfg.log_format);
	cs_http_global_ca_file(ctx->cfg.ca_file);
	cs_proc_set_host_name(ctx->cfg.host);
	if ((flags & CS_CMD_STORE) && (cs_config_make_db_dir(&ctx->cfg, err) ||
					cs_store_open(&ctx->cfg, &ctx->store, err)))
		return err->code;
	if (flags & CS_CMD_MIGRATED) {
		int applied = 0;
		char note[1400];
		if (cs_cmd_db_migrate(ctx, &applied, note, sizeof(note), err))
			return cs_err_wrap(err, "cannot bring the database schema up to date");
		if (note[0])
			cs_info("%s", note);
		if (applied)
			cs_info("applied %d database migration(s)", applied);
		/* Fresh tables get the reference rows the views need; seeding never
		 * overwrites, so this is safe on every migration. */
		long long seeded = 0;
		if (applied && ctx->store->seed(ctx->store, 0, &seeded, err))
			return cs_err_wrap(err, "cannot load the reference data");
	}
	/* a new master key only for a database holding no secret yet */
	if ((flags & CS_CMD_KEY) &&
	    cs_secret_key_load(&ctx->cfg, cs_cmd_key_fresh, ctx->store, &ctx->key, err))
		return err->code;
	return 0;
}

static int run_leaf(const cs_cmd *cmd, const char *prog, int argc, char **argv)
{
	cs_cmd_args args;
	int rc = parse_args(cmd, prog, argc, argv, &args);
	if (rc)
		return rc;
	cs_cmd_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.stderr_tty = isatty(STDERR_FILENO);
	ctx.stderr_ansi = cs_cmd_ansi(STDERR_FILENO);
	ctx.prog = prog;
	ctx.quiet = g_verbosity < 0;
	cs_err err = {0};
	set_log(cs_log_level(), CS_LOG_TEXT); /* before setup reads the configuration */
	if (setup(&ctx, cmd->flags, &err))
		rc = cs_cmd_fail(&err);
	else
		rc = cmd->fn(&ctx, cmd, &args);
	cs_secret_key_free(ctx.key);
	cs_store_close(ctx.store);
	cs_config_wipe(&ctx.cfg);
	return rc;
}

int cs_cmd_run(const cs_cmd *cmd, const char *prog, int argc, char **argv)
{
	if (!cmd->sub) {
		if (wants_help(argc, argv)) {
			print_help(cmd, prog, stdout);
			return CS_EXIT_OK;
		}
		return run_leaf(cmd, prog, argc, argv);
	}
	while (argc > 0 && global_opt(argv[0])) {
		argc--;
		argv++;
	}
	if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		print_help(cmd, prog, argc == 0 ? stderr : stdout);
		return argc == 0 ? CS_EXIT_USAGE : CS_EXIT_OK;
	}
	for (const cs_cmd *const *s = cmd->sub; *s; s++) {
		if (strcmp((*s)->name, argv[0]))
			continue;
		char sub_prog[256];
		snprintf(sub_prog, sizeof(sub_prog), "%s %s", prog, (*s)->name);
		return cs_cmd_run(*s, sub_prog, argc - 1, argv + 1);
	}
	return cs_cmd_usage_error(prog, "unknown command '%s'", argv[0]);
}
