/* classy-sync health [component] [--detailed] [--watch] [--json]: options,
 * output and the watch loop. The checks are in src/health/ (so the daemon
 * runs the same ones); this file supplies the live hooks (API client,
 * plugins), which health/ does not link. Exit 0 all healthy, 1 on a
 * warning, 2 on a critical (README "health"). */
#include "cmd/cmd.h"

#include "health/health.h"
#include "plugin/driver.h"
#include "plugin/registry/registry.h"
#include "sync/sync.h"
#include "util/secret.h"
#include "util/timeutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct live_ud {
	cs_cmd_ctx *ctx;
	unsigned char *key; /* NULL when it could not be loaded: key_err says why */
	cs_err key_err;
	pthread_mutex_t store_mu; /* plugin checks share the store connection */
	const char *names[16];
} live_ud;

/* A probe's deadline: its HTTP waits (backoff, Retry-After) stop there, so a
 * probe that timed out does not keep retrying in the background. */
static _Thread_local int64_t probe_deadline;

static int probe_should_stop(void)
{
	return cs_cmd_should_stop() || (probe_deadline && cs_time_mono_ms() > probe_deadline);
}

static int live_org_probe(void *ud, const cs_org *org, char *msg, size_t msgsz, long *rl,
		     cs_err *err)
{
	live_ud *u = ud;
	cs_http *http = NULL;
	cs_classy *api = NULL;
	char *name = NULL;
	if (!u->key) {
		*err = u->key_err;
		return err->code ? err->code : CS_ERR;
	}
	int64_t t0 = cs_time_mono_ms();
	probe_deadline = t0 + CS_HEALTH_LIVE_TIMEOUT_MS;
	int rc = cs_sync_connect(&u->ctx->cfg, org, u->key, probe_should_stop, &http, &api, err);
	if (rc == 0 && (rc = cs_classy_authenticate(api, err)) != 0)
		cs_err_wrap(err, "token fetch failed");
	int64_t t1 = cs_time_mono_ms();
	if (rc == 0 && (rc = cs_classy_get_org(api, org->id, &name, err)) != 0)
		cs_err_wrap(err, "token ok, GET /organizations/%lld failed", org->id);
	if (rc == 0) {
		*rl = cs_http_get_stats(http)->rl_remaining;
		char rlbuf[32] = "not sent";
		if (*rl >= 0)
			snprintf(rlbuf, sizeof(rlbuf), "%ld", *rl);
		snprintf(msg, msgsz,
			 "token fetched (%lld ms), API reachable (%lld ms)%s%s%s, "
			 "X-RateLimit-Remaining %s",
			 (long long)(t1 - t0), (long long)(cs_time_mono_ms() - t1), name ? ": '" : "",
			 name ? name : "", name ? "'" : "", rlbuf);
	}
	free(name);
	cs_classy_free(api);
	cs_http_free(http);
	return rc;
}

static int live_plugin_probe(void *ud, size_t i, char *msg, size_t msgsz, cs_err *err)
{
	live_ud *u = ud;
	pthread_mutex_lock(&u->store_mu);
	int rc = cs_plugin_health(u->ctx->store, cs_plugin_registry[i], msg, msgsz, err);
	pthread_mutex_unlock(&u->store_mu);
	return rc;
}

static void print_text(const cs_health_report *rep, int detailed, FILE *out)
{
	char at[CS_TIME_BUFSZ];
	cs_time_format(rep->checked_at_ms, 0, at);
	fprintf(out, "health: %s  (%zu checks, %.0f ms, %s)\n", cs_health_level_name(rep->worst),
		rep->n, rep->duration_ms, at);
	for (size_t i = 0; i < rep->n; i++) {
		const cs_health_check *c = &rep->v[i];
		fprintf(out, "%-9s %-22s %-8s %5.0f ms  %s\n", c->component, c->name,
			cs_health_level_name(c->level), c->duration_ms, c->message);
		if (detailed && c->recommendation[0])
			fprintf(out, "%42s-> %s\n", "", c->recommendation);
	}
}

static int print_json(const cs_health_report *rep, int detailed)
{
	cJSON *root = cs_health_report_json(rep, detailed);
	char *s = root ? cJSON_Print(root) : NULL;
	if (s)
		puts(s);
	cJSON_free(s);
	cJSON_Delete(root);
	return s ? 0 : -1;
}

/* ---- --watch ---- */

typedef struct term {
	int raw;
	struct termios saved;
} term;

static void term_raw(term *t)
{
	struct termios r;
	t->raw = 0;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) != 0)
		return;
	r = t->saved;
	r.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C is SIGINT */
	r.c_cc[VMIN] = 1;
	r.c_cc[VTIME] = 0;
	t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &r) == 0;
}

static void term_restore(term *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	t->raw = 0;
}

/* Waits up to ms for q (returns 1), a signal (1), or the timeout (0). Other
 * keys are ignored; at EOF stdin is no longer watched (*in_open = 0). */
static int wait_key(long ms, int *in_open)
{
	int64_t deadline = cs_time_mono_ms() + ms;
	for (;;) {
		int64_t left = deadline - cs_time_mono_ms();
		if (cs_cmd_should_stop())
			return 1;
		if (left <= 0)
			return 0;
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&pfd, *in_open ? 1 : 0, (int)left);
		if (n <= 0)
			continue; /* timeout or EINTR: the loop checks both */
		char ch;
		ssize_t got = read(STDIN_FILENO, &ch, 1);
		if (got <= 0 && !(got < 0 && errno == EINTR))
			*in_open = 0;
		else if (got == 1 && (ch == 'q' || ch == 'Q' || ch == 3))
			return 1;
	}
}

static int watch(const cs_health_opts *o, long interval_ms, int json)
{
	term t;
	int in_open = 1, rc = 0, ansi = cs_cmd_ansi(STDOUT_FILENO);
	cs_cmd_install_signals();
	term_raw(&t);
	do {
		cs_health_report rep;
		cs_err err = {0};
		rc = cs_health_run(o, &rep, &err);
		/* a new screen on a terminal; a blank line between reports otherwise */
		fputs(ansi ? "\033[H\033[2J" : "\n", stdout);
		if (rc)
			printf("health: %s\n", err.msg);
		else if (json)
			print_json(&rep, o->detailed);
		else
			print_text(&rep, o->detailed, stdout);
		cs_health_report_release(&rep);
		printf("-- refreshing every %ld s; press q or Ctrl-C to quit --\n",
		       interval_ms / 1000);
		fflush(stdout);
		if (rc)
			break;
	} while (!wait_key(interval_ms, &in_open));
	term_restore(&t);
	return rc ? CS_EXIT_USAGE : CS_EXIT_OK;
}

/* ---- the command ---- */

static void setup_live(cs_cmd_ctx *ctx, int detailed, live_ud *u, cs_health_hooks *h)
{
	size_t n = 0;
	memset(u, 0, sizeof(*u));
	u->ctx = ctx;
	pthread_mutex_init(&u->store_mu, NULL);
	for (size_t i = 0; cs_plugin_registry[i] && n < 15; i++)
		u->names[n++] = cs_plugin_registry[i]->name;
	h->plugin_names = u->names;
	h->plugin_probe = live_plugin_probe;
	h->ud = u;
	if (!detailed)
		return;
	cs_err err = {0};
	if (cs_http_global_init(&err) == 0)
		cs_secret_key_load(&ctx->cfg, cs_cmd_key_fresh, ctx->store, &u->key, &u->key_err);
	else
		u->key_err = err;
	h->org_probe = live_org_probe;
}

static int cmd_health(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *a)
{
	cs_err err = {0};
	cs_dconfig dcfg;
	live_ud ud;
	int detailed = cs_cmd_arg_set(self, a, "detailed"), json = cs_cmd_arg_set(self, a, "json");
	long long every = cs_cmd_arg_set(self, a, "interval") ? cs_cmd_arg_num(self, a, "interval") : 2;
	if (every < 1 || every > 3600)
		return cs_cmd_usage_error(ctx->prog, "--interval must be 1..3600 seconds, not %lld",
					  every);
	if (cs_dconfig_load_or_defaults(cs_dconfig_pick(cs_cmd_arg_str(self, a, "config")), &dcfg, &err))
		return cs_cmd_fail(&err);
	cs_health_opts o = {.store = ctx->store, .cfg = &ctx->cfg, .dcfg = &dcfg,
			    .only = a->npos ? a->pos[0] : NULL, .detailed = detailed};
	setup_live(ctx, detailed, &ud, &o.hooks);
	int rc;
	if (cs_cmd_arg_set(self, a, "watch")) {
		rc = watch(&o, (long)every * 1000, json);
	} else {
		cs_health_report rep;
		rc = cs_health_run(&o, &rep, &err);
		if (rc == CS_EUSAGE)
			rc = cs_cmd_usage_error(ctx->prog, "%s", err.msg);
		else if (rc)
			rc = cs_cmd_fail(&err);
		else if (json ? print_json(&rep, detailed) : (print_text(&rep, detailed, stdout), 0))
			rc = CS_EXIT_FAIL;
		else
			rc = rep.worst;
		cs_health_report_release(&rep);
	}
	cs_secret_key_free(ud.key);
	cs_dconfig_release(&dcfg);
	/* store_mu is left alone: a timed-out plugin check may still hold it */
	return rc;
}

static const cs_cmd_opt health_opts[] = {
	{"detailed", CS_CMD_OPT_FLAG, NULL, "add recommendations and live checks (token, API, plugins)"},
	{"watch", CS_CMD_OPT_FLAG, NULL, "live dashboard, redrawn every --interval s; q or Ctrl-C quits"},
	{"interval", CS_CMD_OPT_INT, "SECONDS", "refresh period of --watch (default 2)"},
	{"json", CS_CMD_OPT_FLAG, NULL, "print the report as one JSON object (see README)"},
	{"config", CS_CMD_OPT_STRING, "FILE",
	 "daemon-config.json for the sync intervals (default ./daemon-config.json if present)"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_health = {
	.name = "health",
	.fn = cmd_health,
	.flags = CS_CMD_STORE,
	.summary = "check components; exit 0 healthy, 1 warning, 2 critical",
	.usage = "[component]",
	.opts = health_opts,
	.min_pos = 0,
	.max_pos = 1,
	.description = "Components: database, daemon, freshness, errors, plugins, org:<id> (or "
		       "just the id), or a push plugin by name (e.g. 'mailchimp'). Without one, "
		       "all of them from local facts only; --detailed adds the live network "
		       "checks, run in parallel with a 10 s timeout each.",
};
