/* classy-sync config show: the effective configuration, then each push
 * plugin's own keys from its key table. Secrets are shown only as (set) or
 * (unset): this command must never print a secret's value. */
#include "cmd/cmd.h"

#include "plugin/registry/registry.h"

#include <stdio.h>

static void show(const char *name, const char *value, const char *help, void *arg)
{
	(void)help;
	(void)arg;
	printf("%-22s %s\n", name, value);
}

static int config_show(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	(void)args;
	cs_config_visit(&ctx->cfg, show, NULL);
	/* then each push plugin's own keys, from its key table */
	for (size_t i = 0; cs_plugin_registry[i]; i++) {
		for (const cs_plugin_key *k = cs_plugin_registry[i]->keys; k && k->name; k++) {
			char v[1024];
			int rc = cs_config_env_lookup(k->name, v, sizeof(v));
			if (k->secret)
				show(k->name, rc == 0 && v[0] ? "(set)" : "(unset)", k->help, NULL);
			else
				show(k->name, rc == 0 ? v : k->def ? k->def : "", k->help, NULL);
		}
	}
	return 0;
}

static const cs_cmd config_show_cmd = {
	.name = "show",
	.fn = config_show,
	.flags = CS_CMD_CONFIG,
	.summary = "print the effective configuration (secrets shown as (set)/(unset))",
};

static const cs_cmd *const config_subs[] = {&config_show_cmd, NULL};

const cs_cmd cs_cmd_config = {
	.name = "config",
	.summary = "inspect the configuration",
	.sub = config_subs,
};
