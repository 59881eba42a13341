/* classy-sync org add|list|remove|sync: registering an organization with
 * its credentials (verified against the API unless --no-verify, encrypted
 * with the master key before they are stored). The secret comes from the
 * environment or stdin: it must never be taken from argv, echoed or printed,
 * and `org list` never shows it. */
#include "cmd/cmd.h"

#include "classy/classy.h"
#include "util/buf.h"
#include "util/redact.h"
#include "util/secret.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Reads one line from stdin into a sodium_malloc'd buffer, without echo when
 * stdin is a terminal. The secret never passes through argv. */
static char *read_secret(const char *prompt)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	enum { MAX = 1024 };
	char *s = sodium_malloc(MAX);
	size_t n = 0;
	int c;
	while (s && (c = getchar()) != EOF && c != '\n')
		if (n + 1 < MAX)
			s[n++] = (char)c;
	if (s) {
		while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
			n--;
		s[n] = '\0';
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	return s;
}

static int prompt_line(const char *prompt, char *out, size_t outsz)
{
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (!fgets(out, (int)outsz, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

/* Verifies the credentials the way a sync would use them: token, then the
 * organization itself. Fills name from the API when the user gave none. */
static int verify(cs_cmd_ctx *ctx, cs_org *org, const char *secret, cs_err *err)
{
	cs_http_opts hopts = {.should_stop = cs_cmd_should_stop};
	cs_http *http = cs_http_new(&hopts, err);
	if (!http)
		return err->code ? err->code : CS_ERR;
	cs_classy_opts copts = {ctx->cfg.api_url, ctx->cfg.token_url, org->client_id, secret};
	cs_classy *api = cs_classy_new(&copts, http, err);
	int rc = api ? 0 : (err->code ? err->code : CS_ERR);
	char *name = NULL;
	if (!rc)
		rc = cs_classy_authenticate(api, err);
	if (!rc)
		rc = cs_classy_get_org(api, org->id, &name, err);
	if (!rc && !org->name[0] && name)
		snprintf(org->name, sizeof(org->name), "%s", name);
	free(name);
	cs_classy_free(api);
	cs_http_free(http);
	return rc;
}

static int gather(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args, cs_org *org)
{
	int tty = isatty(STDIN_FILENO);
	char buf[256];
	long long id = cs_cmd_arg_num(self, args, "org-id");
	if (!id && tty && prompt_line("Classy organization id: ", buf, sizeof(buf)) == 0)
		id = strtoll(buf, NULL, 10);
	if (id <= 0)
		return cs_cmd_usage_error(ctx->prog, "--org-id ID is required (a positive number)");
	org->id = id;
	const char *v = cs_cmd_arg_str(self, args, "client-id");
	if (v)
		snprintf(org->client_id, sizeof(org->client_id), "%s", v);
	else if (!tty || prompt_line("API client id: ", org->client_id, sizeof(org->client_id)))
		return cs_cmd_usage_error(ctx->prog, "--client-id ID is required");
	v = cs_cmd_arg_str(self, args, "name");
	if (v)
		snprintf(org->name, sizeof(org->name), "%s", v);
	else if (tty)
		prompt_line("Display name (empty: use Classy's): ", org->name, sizeof(org->name));
	return 0;
}

/* All stored secrets are under one master key. One that the loaded key
 * cannot decrypt means it is another key, and saving under it would leave
 * secrets under two keys (issue 11, finding 5). The org being saved is left
 * out: its old secret is about to be replaced. */
static int check_same_key(cs_cmd_ctx *ctx, long long except, cs_err *err)
{
	cs_org_list orgs = {0};
	if (cs_org_list_load(ctx->store, 0, &orgs, err))
		return err->code;
	int rc = 0;
	for (size_t i = 0; i < orgs.n; i++) {
		const cs_org *o = &orgs.v[i];
		if (o->id == except || !o->secret_enc || !o->secret_enc[0])
			continue;
		char *plain = NULL;
		cs_err derr = {0};
		if (cs_secret_decrypt(ctx->key, o->secret_enc, &plain, &derr))
			rc = cs_err_set(err, CS_ERR,
					"the master key (%s%s%s) cannot decrypt the credentials stored "
					"for organization %lld: saving more under it would keep secrets "
					"under two keys; use the key they were saved with, or remove "
					"every organization ('classy-sync org remove ID') and add them "
					"again",
					ctx->cfg.key_b64[0] ? "CLASSY_SYNC_KEY" : "file '",
					ctx->cfg.key_b64[0] ? "" : ctx->cfg.key_file,
					ctx->cfg.key_b64[0] ? "" : "'", o->id);
		cs_secret_free(plain);
		break; /* one is enough: they share one key */
	}
	cs_org_list_release(&orgs);
	return rc;
}

static int org_add(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	if (cs_cmd_arg_set(self, args, "client-secret"))
		return cs_cmd_usage_error(ctx->prog,
					  "the secret is never taken from the command line (shell "
					  "history, ps); set CLASSY_CLIENT_SECRET or pipe it on stdin");
	cs_org org;
	memset(&org, 0, sizeof(org));
	int rc = gather(ctx, self, args, &org);
	if (rc)
		return rc;
	cs_err kerr = {0};
	if (check_same_key(ctx, org.id, &kerr)) /* before asking for the secret */
		return cs_cmd_fail(&kerr);
	const char *env = getenv("CLASSY_CLIENT_SECRET");
	char *secret = env ? NULL : read_secret("API client secret: ");
	const char *use = env ? env : secret;
	cs_err err = {0};
	if (!use || !*use) {
		rc = cs_cmd_usage_error(ctx->prog, "no client secret: set CLASSY_CLIENT_SECRET or "
						   "write it on stdin");
		goto out;
	}
	/* no message of this command may show it (util/redact.h) */
	if (cs_redact_add(use)) {
		cs_err_set(&err, CS_ERR, "cannot keep the client secret: out of memory");
		rc = cs_cmd_fail(&err);
		goto out;
	}
	if (!cs_cmd_arg_set(self, args, "no-verify")) {
		if (verify(ctx, &org, use, &err)) {
			cs_err_wrap(&err, "cannot verify organization %lld (nothing was saved; "
					  "--no-verify skips this check)", org.id);
			rc = cs_cmd_fail(&err);
			goto out;
		}
	}
	if (!org.name[0])
		snprintf(org.name, sizeof(org.name), "organization %lld", org.id);
	cs_time_format(cs_time_now_ms(), 0, org.created_at);
	if (cs_secret_encrypt(ctx->key, use, &org.secret_enc, &err) ||
	    ctx->store->org_put(ctx->store, &org, &err)) {
		rc = cs_cmd_fail(&err);
		goto out;
	}
	printf("organization %lld (%s) saved%s; sync it with 'classy-sync org sync %lld'\n", org.id,
	       org.name,
	       cs_cmd_arg_set(self, args, "no-verify") ? " without verification" : ", verified",
	       org.id);
out:
	if (secret)
		sodium_free(secret);
	free(org.secret_enc);
	return rc;
}

static int print_org(const cs_org *o, void *arg)
{
	cJSON *arr = arg;
	if (arr) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "id", (double)o->id);
		cJSON_AddStringToObject(j, "name", o->name);
		cJSON_AddStringToObject(j, "client_id", o->client_id);
		cJSON_AddStringToObject(j, "created_at", o->created_at);
		cJSON_AddItemToArray(arr, j);
	} else {
		printf("%-10lld %-32s %-24s %s\n", o->id, o->name, o->client_id, o->created_at);
	}
	return 0;
}

static int org_list(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_err err = {0};
	int json = cs_cmd_arg_set(self, args, "json");
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json)
		printf("%-10s %-32s %-24s %s\n", "id", "name", "client_id", "added");
	int rc = ctx->store->org_list(ctx->store, print_org, arr, &err);
	if (!rc && json) {
		char *s = cJSON_PrintUnformatted(arr);
		printf("%s\n", s);
		free(s);
	}
	cJSON_Delete(arr);
	return rc ? cs_cmd_fail(&err) : 0;
}

static int org_remove(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	long long id;
	if (cs_cmd_org_id(ctx->prog, args->pos[0], &id))
		return CS_EXIT_USAGE;
	int purge = cs_cmd_arg_set(self, args, "purge");
	cs_err err = {0};
	if (ctx->store->org_remove(ctx->store, id, purge, &err))
		return cs_cmd_fail(&err);
	printf(purge ? "organization %lld removed with all its synced data\n"
		     : "organization %lld removed; its synced data was kept (--purge deletes it)\n",
	       id);
	return 0;
}

static const cs_cmd_opt add_opts[] = {
	{"org-id", CS_CMD_OPT_INT, "ID", "Classy organization id"},
	{"name", CS_CMD_OPT_STRING, "NAME", "display name (default: the name Classy returns)"},
	{"client-id", CS_CMD_OPT_STRING, "ID", "API application client id"},
	{"no-verify", CS_CMD_OPT_FLAG, NULL, "save without fetching a token and the organization"},
	{"client-secret", CS_CMD_OPT_STRING, "-", "refused: use CLASSY_CLIENT_SECRET or stdin"},
	{NULL, 0, NULL, NULL},
};
static const cs_cmd_opt json_opts[] = {
	{"json", CS_CMD_OPT_FLAG, NULL, "print a JSON array (never includes secrets)"},
	{NULL, 0, NULL, NULL},
};
static const cs_cmd_opt remove_opts[] = {
	{"purge", CS_CMD_OPT_FLAG, NULL, "also delete every synced row of the organization"},
	{NULL, 0, NULL, NULL},
};

static const cs_cmd org_add_cmd = {"add", org_add, CS_CMD_STORE | CS_CMD_MIGRATED | CS_CMD_KEY,
	"register an organization; the secret comes from CLASSY_CLIENT_SECRET or stdin", NULL,
	add_opts, 0, 0, NULL,
	"The secret is encrypted with the master key (CLASSY_SYNC_KEY_FILE) before it is\n"
	"stored. On a terminal, missing values are prompted for and the secret is read\n"
	"without echo.", NULL};
static const cs_cmd org_list_cmd = {"list", org_list, CS_CMD_STORE | CS_CMD_MIGRATED,
	"list registered organizations (never shows secrets)", NULL, json_opts, 0, 0, NULL, NULL, NULL};
static const cs_cmd org_remove_cmd = {"remove", org_remove, CS_CMD_STORE | CS_CMD_MIGRATED,
	"remove an organization; keeps its synced data unless --purge", "ID", remove_opts, 1, 1,
	NULL, NULL, NULL};
static const cs_cmd_opt org_sync_opts[] = {
	{"json", CS_CMD_OPT_FLAG, NULL, "print the summary as one JSON object (see README)"},
	{NULL, 0, NULL, NULL},
};
static const cs_cmd org_sync_cmd = {"sync", cs_cmd_org_sync,
	CS_CMD_STORE | CS_CMD_MIGRATED | CS_CMD_KEY, "sync every entity of one organization",
	"ID [incremental|full]", org_sync_opts, 1, 2, NULL, NULL, NULL};

static const cs_cmd *const org_subs[] = {
	&org_add_cmd, &org_list_cmd, &org_remove_cmd, &org_sync_cmd, NULL,
};

const cs_cmd cs_cmd_org = {
	.name = "org",
	.summary = "manage organizations and their encrypted credentials",
	.sub = org_subs,
};
