#ifndef CS_CMD_H
#define CS_CMD_H
/* Command layer: a dispatch table of git-style subcommands, one file per
 * command, with per-command option tables that also generate --help. Only
 * this layer prints to stdout (results) and stderr (progress, errors). */
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

#include <stddef.h>
#include <stdio.h>

enum cs_cmd_flags {
	CS_CMD_CONFIG = 1 << 0,   /* load and validate configuration first */
	CS_CMD_STORE = 1 << 1,    /* open the store (implies CONFIG) */
	CS_CMD_MIGRATED = 1 << 2, /* apply pending migrations before running */
	CS_CMD_KEY = 1 << 3,      /* load the master key */
	CS_CMD_HIDDEN = 1 << 4    /* runs, but is absent from help and generated docs */
};

/* The options every command answers besides its own option table, anywhere
 * on its line (dispatch.c); help, the man page and the completion all print
 * this one table. */
typedef struct cs_cmd_global {
	const char *shrt, *lng;
	int verbosity; /* -1 quiet, 1 verbose, 0 not a verbosity switch */
	int top_only;  /* only before a command (-V) */
	const char *help;
} cs_cmd_global;

extern const cs_cmd_global cs_cmd_globals[]; /* ends with a NULL shrt */

enum cs_cmd_opt_type { CS_CMD_OPT_FLAG = 0, CS_CMD_OPT_STRING, CS_CMD_OPT_INT };

typedef struct cs_cmd_opt {
	const char *name; /* long name without dashes */
	int type;
	const char *arg;  /* placeholder in help, e.g. "ID" */
	const char *help;
} cs_cmd_opt;

/* Parsed values, parallel to the option table. */
#define CS_CMD_MAX_OPTS 16
#define CS_CMD_MAX_ARGS 8
typedef struct cs_cmd_args {
	int set[CS_CMD_MAX_OPTS];
	const char *str[CS_CMD_MAX_OPTS];
	long long num[CS_CMD_MAX_OPTS];
	const char *pos[CS_CMD_MAX_ARGS];
	int npos;
} cs_cmd_args;

typedef struct cs_cmd_ctx {
	cs_config cfg;
	cs_store *store;
	unsigned char *key;
	int stderr_tty;  /* stderr is a terminal: live progress may be drawn */
	int stderr_ansi; /* ... and may carry escapes (cs_cmd_ansi) */
	int quiet;       /* -q: warnings and errors only, no progress */
	const char *prog; /* "classy-sync org add" for messages */
} cs_cmd_ctx;

typedef struct cs_cmd cs_cmd;
struct cs_cmd {
	const char *name;
	int (*fn)(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args);
	int flags;
	const char *summary;
	const char *usage;       /* positional part, e.g. "ID [incremental|full]" */
	const cs_cmd_opt *opts;  /* NULL-name terminated, may be NULL */
	int min_pos, max_pos;    /* positional argument counts */
	const cs_cmd *const *sub; /* nested verbs, NULL-terminated */
	const char *description; /* longer help text, may be NULL */
	const void *data;        /* the command's own data (e.g. its plugin), may be NULL */
};

/* Runs the command table against argv (after the program name). */
int cs_cmd_run(const cs_cmd *table, const char *prefix, int argc, char **argv);
/* The usage line of --help without its "usage: ": "classy-sync db copy [options]". */
void cs_cmd_synopsis(const cs_cmd *cmd, const char *prog, char *buf, size_t n);
/* The whole command tree (top.c), plugins included. */
const cs_cmd *cs_cmd_root(void);
/* Index of an option by name in a command's table (for reading cs_cmd_args). */
int cs_cmd_opt_index(const cs_cmd_opt *opts, const char *name);
int cs_cmd_arg_set(const cs_cmd *cmd, const cs_cmd_args *a, const char *name);
const char *cs_cmd_arg_str(const cs_cmd *cmd, const cs_cmd_args *a, const char *name);
long long cs_cmd_arg_num(const cs_cmd *cmd, const cs_cmd_args *a, const char *name);
/* A positional organization id: 0, or the usage error's exit code (printed)
 * when s is not a positive number. */
int cs_cmd_org_id(const char *prog, const char *s, long long *id);

/* Prints "classy-sync: error: ..." (and a hint) on stderr; returns the exit code. */
int cs_cmd_fail(const cs_err *err);
/* A cs_secret_fresh_fn over a cs_store (arg): 1 when no organization holds
 * an encrypted secret, so a missing master key may be made anew. */
int cs_cmd_key_fresh(void *store, cs_err *err);
int cs_cmd_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Stop flag set by SIGINT/SIGTERM; the engine finishes its page and stops. */
int cs_cmd_should_stop(void);
void cs_cmd_install_signals(void);
/* The exit code of a command that stopped cleanly on a signal: 130
 * (CS_EXIT_INTERRUPTED) for SIGINT, else code (SIGTERM keeps it). */
int cs_cmd_stopped_exit(int code);
/* -q (-1), -v (1) or neither (0), from the global options. */
int cs_cmd_verbosity(void);

/* Terminal output (term.c): whether fd may carry escape sequences (a
 * terminal, and NO_COLOR unset or empty), and erasing the current line of
 * at most width columns with or without them. */
int cs_cmd_ansi(int fd);
void cs_cmd_erase_line(FILE *f, int ansi, int width);

/* Schema changes (db_guard.c). cs_cmd_db_migrate applies what is pending,
 * after a backup (cs_cmd_db_backup) when the database already has a schema;
 * note says where the backup is, or why there is none ("" when none was
 * needed). cs_cmd_db_backup fails only when a backup was due and could not
 * be written; a backend that makes none (a server) fills note instead.
 * cs_cmd_db_plan says in *text (to free; NULL when nothing is applied) what
 * a rollback (all 0) or a reset (all 1) would drop, and fills p. */
int cs_cmd_db_migrate(cs_cmd_ctx *ctx, int *applied, char *note, size_t n, cs_err *err);
int cs_cmd_db_backup(cs_cmd_ctx *ctx, int version, char *note, size_t n, cs_err *err);
int cs_cmd_db_plan(cs_cmd_ctx *ctx, int all, cs_drop_plan *p, char **text, cs_err *err);
/* n with thousands separators ("2,863") in buf. */
const char *cs_cmd_grouped(long long n, char *buf, size_t size);

/* The command tables, one per file. */
extern const cs_cmd cs_cmd_db;
extern const cs_cmd cs_cmd_db_copy; /* a verb of db */
extern const cs_cmd cs_cmd_db_schema; /* a verb of db */
extern const cs_cmd cs_cmd_org;
extern const cs_cmd cs_cmd_sync;
extern const cs_cmd cs_cmd_status;
extern const cs_cmd cs_cmd_report;
extern const cs_cmd cs_cmd_config;
extern const cs_cmd cs_cmd_health;
extern const cs_cmd cs_cmd_daemon;
extern const cs_cmd cs_cmd_gen_docs; /* hidden: the man page and the completion */
/* One command per registered push plugin (plugin.c); returns how many were
 * put in out. */
size_t cs_cmd_plugin_commands(const cs_cmd **out, size_t max);

int cs_cmd_main(int argc, char **argv);

/* Shared by `sync` and `org sync`: runs entity (or all when NULL) for the
 * orgs given (all orgs when org_id is 0) and prints the summary (json: as
 * one object, sync_report.c). */
int cs_cmd_sync_orgs(cs_cmd_ctx *ctx, long long org_id, const char *entity_name, int full,
		     int json);
int cs_cmd_org_sync(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args);

/* Live sync progress on stderr (progress.c): the sync's progress callback
 * with a cs_cmd_progress as its context; clear erases what it drew. ansi:
 * escapes allowed (cs_cmd_ansi), else one line over a carriage return. */
typedef struct cs_cmd_progress cs_cmd_progress;
struct cs_sync_progress;
cs_cmd_progress *cs_cmd_progress_new(int ansi);
void cs_cmd_progress_free(cs_cmd_progress *pg);
void cs_cmd_progress_clear(cs_cmd_progress *pg);
void cs_cmd_progress_cb(const struct cs_sync_progress *p, void *pg);

#endif
