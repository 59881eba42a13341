/* The Mailchimp half's counters: what a client sent, counted on arrival
 * whatever the answer (a retried write counts twice), and
 * /__sandbox/mc/stats, which shows them. Tests prove with them what a
 * client never did: set the status of a member that already existed,
 * delete a contact, fire tag
 * automations, exceed the connection limit, send its key to the results
 * URL.
 *
 * Must never: change what a request does; counting only reads it. */
#include "mailchimp/sb_mc_int.h"

#include <string.h>

/* ---- counting ---- */

static int is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

/* Counted on arrival, whatever the answer: a retried write counts twice. */
void sb_mc_count_arrival(sb_mc *m, const sb_mc_req *rq, int ri)
{
	int write = is_write(rq->method);
	int del = !strcmp(rq->method, "DELETE") || sb_ends_with(rq->path, "/actions/delete-permanent");
	size_t slot = ri >= 0 ? (size_t)ri : m->nroutes;
	pthread_mutex_lock(&m->lock);
	if (rq->in_batch) {
		m->stats.batch_operations++;
		m->stats.batch_writes += write;
		m->stats.batch_by_route[slot]++;
	} else {
		m->stats.requests++;
		m->stats.writes += write;
		m->stats.by_route[slot]++;
	}
	m->stats.deletes += del;
	pthread_mutex_unlock(&m->lock);
}

/* Counted where the member's existence is known (the handlers), so a test
 * can prove the rule that matters: a status is only ever applied to a
 * member that did not exist. */
void sb_mc_count_status(sb_mc *m, int existed, int applies)
{
	pthread_mutex_lock(&m->lock);
	if (!existed)
		m->stats.status_on_new++;
	else if (applies)
		m->stats.status_on_existing++;
	else
		m->stats.status_on_existing_refused++;
	pthread_mutex_unlock(&m->lock);
}

void sb_mc_count_tag_call(sb_mc *m, int is_syncing)
{
	pthread_mutex_lock(&m->lock);
	m->stats.is_syncing_false += !is_syncing;
	pthread_mutex_unlock(&m->lock);
}

void sb_mc_count_download(sb_mc *m, int with_auth)
{
	pthread_mutex_lock(&m->lock);
	m->stats.result_downloads++;
	m->stats.result_downloads_with_auth += with_auth != 0;
	pthread_mutex_unlock(&m->lock);
}

/* ---- /__sandbox/mc/stats ---- */

/* Per route, by the route names the front door registered; "other" last. */
static void put_routes(const sb_mc *m, cJSON *j, const char *key, const uint64_t *counts)
{
	cJSON *o = cJSON_AddObjectToObject(j, key);
	for (size_t i = 0; i <= m->nroutes; i++)
		cJSON_AddNumberToObject(o, i < m->nroutes ? m->route_names[i] : "other",
					(double)counts[i]);
}

void sb_mc_h_admin_stats(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)rq;
	cJSON *j = cJSON_CreateObject();
	pthread_mutex_lock(&m->lock);
	const sb_mc_stats *s = &m->stats;
	const struct {
		const char *name;
		uint64_t v;
	} counters[] = {
		{"requests", s->requests},
		{"writes", s->writes},
		{"batch_operations", s->batch_operations},
		{"batch_writes", s->batch_writes},
		{"deletes", s->deletes},
		{"status_on_new", s->status_on_new},
		{"status_on_existing", s->status_on_existing},
		{"status_on_existing_refused", s->status_on_existing_refused},
		{"is_syncing_false", s->is_syncing_false},
		{"max_in_flight", (uint64_t)s->max_in_flight},
		{"throttled_429", s->throttled_429},
		{"faults_500", s->faults_500},
		{"unauthorized_401", s->unauthorized_401},
		{"result_downloads", s->result_downloads},
		{"result_downloads_with_auth", s->result_downloads_with_auth},
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		cJSON_AddNumberToObject(j, counters[i].name, (double)counters[i].v);
	put_routes(m, j, "by_route", s->by_route);
	put_routes(m, j, "batch_by_route", s->batch_by_route);
	pthread_mutex_unlock(&m->lock);
	cJSON_AddNumberToObject(j, "in_flight", (double)atomic_load(&m->in_flight));
	sb_mc_resp_cjson(rs, j);
}

void sb_mc_h_admin_reset_stats(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	(void)rq;
	pthread_mutex_lock(&m->lock);
	memset(&m->stats, 0, sizeof(m->stats));
	pthread_mutex_unlock(&m->lock);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}
