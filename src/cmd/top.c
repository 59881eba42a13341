/* The top of the command tree: the fixed commands, one per registered push
 * plugin, and version; process setup (no core dumps, private files, signals,
 * libcurl) before dispatch.
 * It must never hold a command's own logic: that lives in its file. */
#include "cmd/cmd.h"

#include "http/http.h"
#include "util/proc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* CS_VERSION comes from the build (project() in CMakeLists.txt), the one
 * place the package's version is also read from. */

static int cmd_version(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)ctx;
	(void)self;
	(void)args;
	printf("classy-sync %s\n", CS_VERSION);
	return 0;
}

static const cs_cmd cmd_version_def = {
	.name = "version", .fn = cmd_version, .summary = "print the version",
};

static const cs_cmd *const fixed_subs[] = {
	&cs_cmd_sync, &cs_cmd_org, &cs_cmd_status, &cs_cmd_report, &cs_cmd_health, &cs_cmd_daemon,
	&cs_cmd_db, &cs_cmd_config,
	&cs_cmd_gen_docs,
};

/* The fixed commands, then one per push plugin, then version. */
static const cs_cmd *top_subs[32];

static cs_cmd top = {
	.name = "classy-sync",
	.summary = "mirror Classy (GoFundMe Pro) organizations into SQL and keep them current",
	.description = "Configuration comes from environment variables or a .env file; see\n"
		       "'classy-sync config show' and README.md.",
};

static void build_top(void)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(fixed_subs) / sizeof(fixed_subs[0]); i++)
		top_subs[n++] = fixed_subs[i];
	n += cs_cmd_plugin_commands(top_subs + n, sizeof(top_subs) / sizeof(top_subs[0]) - n - 2);
	top_subs[n++] = &cmd_version_def;
	top_subs[n] = NULL;
	top.sub = top_subs;
}

const cs_cmd *cs_cmd_root(void)
{
	if (!top.sub)
		build_top();
	return &top;
}

int cs_cmd_main(int argc, char **argv)
{
	cs_err err = {0};
	/* before anything holds a secret or creates a file (util/proc.h) */
	if (cs_proc_lockdown()) {
		cs_err_set(&err, CS_ERR, "cannot turn off core dumps: %s", strerror(errno));
		return cs_cmd_fail(&err);
	}
	cs_cmd_install_signals();
	if (cs_http_global_init(&err))
		return cs_cmd_fail(&err);
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")))
		return cmd_version(NULL, NULL, NULL);
	return cs_cmd_run(cs_cmd_root(), "classy-sync", argc - 1, argv + 1);
}
