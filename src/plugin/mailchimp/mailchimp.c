/* The Mailchimp push plugin: descriptor and lifecycle (keys: mc_config.c).
 * Trust first: it never sends `status`, never deletes or archives, never
 * re-subscribes anyone, and reports (never unsubscribes) a supporter who
 * withdrew consent. Then speed: only changed contacts are sent, new ones in
 * batches of 500, updates concurrently or through /batches. */
#include "plugin/mailchimp/mailchimp.h"
#include "plugin/mailchimp/mc_int.h"

#include "util/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLAG_CREATE_FIELDS = 0 };
static const cs_plugin_flag mc_flags[] = {
	{"create-fields", "create missing merge fields in the list (else the run stops)"},
	{NULL, NULL},
};

static int mc_init(const cs_plugin_host *host, void **self, cs_err *err)
{
	mc_plugin *mp = calloc(1, sizeof(*mp));
	if (!mp)
		return cs_err_set(err, CS_ERR, "out of memory");
	mp->host = host;
	cs_idset_init(&mp->seen);
	*self = mp;
	return 0;
}

static int mc_configure(void *self, cs_err *err)
{
	mc_plugin *mp = self;
	int rc = mc_config_load(&mp->cfg, err);
	if (rc)
		return rc;
	mc_client_opts o = {.api_url = mp->cfg.api_url, .api_key = mp->cfg.api_key,
			    .concurrency = mp->cfg.concurrency,
			    .should_stop = mp->host->should_stop};
	return mc_client_new(&o, &mp->client, err);
}

static int mc_health(void *self, char *msg, size_t msgsz, cs_err *err)
{
	mc_plugin *mp = self;
	char note[256];
	int rc = mc_preflight(mp->client, &mp->cfg, mp->cfg.list_id, 0, 1, note, sizeof(note), err);
	if (rc == 0)
		snprintf(msg, msgsz, "ping ok; list '%s' reachable with every mapped merge field",
			 mp->cfg.list_id);
	return rc;
}

/* Pre-flight once per list per command. */
static int check_list(mc_plugin *mp, int create, int dry, cs_err *err)
{
	for (int i = 0; i < mp->nchecked; i++)
		if (!strcmp(mp->checked[i], mp->list))
			return 0;
	char note[512];
	int rc = mc_preflight(mp->client, &mp->cfg, mp->list, create, dry, note, sizeof(note), err);
	if (rc == 0 && note[0])
		cs_log(CS_LOG_INFO, "mailchimp list '%s': %s", mp->list, note);
	if (rc == 0 && mp->nchecked < MC_MAX_ORG_LISTS + 1)
		snprintf(mp->checked[mp->nchecked++], sizeof(mp->checked[0]), "%s", mp->list);
	return rc;
}

static void clear_notes(mc_plugin *mp)
{
	for (size_t i = 0; i < mp->nnotes; i++) {
		free(mp->notes[i].email_key);
		free(mp->notes[i].payload);
	}
	mp->nnotes = 0;
}

static int mc_plan_hook(void *self, long long org, const cs_plugin_push_opts *opts,
			cs_push_counts *counts, cJSON *samples, cs_err *err)
{
	mc_plugin *mp = self;
	mc_stats a, b;
	mc_client_stats(mp->client, &a);
	clear_notes(mp);
	mp->list = mc_list_for_org(&mp->cfg, org);
	int rc = check_list(mp, (opts->flags >> FLAG_CREATE_FIELDS) & 1, opts->dry_run, err);
	if (rc == 0)
		rc = mc_plan_org(mp, org, opts, counts, samples, err);
	mc_client_stats(mp->client, &b);
	counts->requests += b.requests - a.requests;
	counts->writes += b.writes - a.writes;
	return rc;
}

static int mc_push_hook(void *self, long long org, cs_push_counts *counts, cs_err *err)
{
	(void)org;
	mc_plugin *mp = self;
	/* the plan's figures were planned ones; the push counts what happened */
	int rc = mc_push_plan(mp, counts, err);
	mc_plan_clear(&mp->plan);
	clear_notes(mp);
	return rc;
}

static void mc_close(void *self)
{
	mc_plugin *mp = self;
	if (!mp)
		return;
	mc_plan_clear(&mp->plan);
	free(mp->plan.v);
	clear_notes(mp);
	free(mp->notes);
	mc_members_release(&mp->members);
	cs_idset_release(&mp->seen);
	mc_client_free(mp->client);
	sodium_memzero(mp->cfg.api_key, sizeof(mp->cfg.api_key));
	free(mp);
}

const cs_plugin cs_plugin_mailchimp = {
	.abi = CS_PLUGIN_ABI,
	.name = "mailchimp",
	.summary = "push consenting supporters to a Mailchimp audience (merge fields and tags)",
	.keys = mc_config_keys,
	.flags = mc_flags,
	.init = mc_init,
	.configure = mc_configure,
	.health = mc_health,
	.plan = mc_plan_hook,
	.push = mc_push_hook,
	.close = mc_close,
};
