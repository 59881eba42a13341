/* The state one health run shares among its components: the registered
 * orgs (loaded once), the lookup of one by id, and the queue of live probes
 * the components add to and health_live.c runs at the end.
 *
 * Never adds a check and never talks to the network: a component decides
 * what to report, the live runner does the probing. */
#include "health/health_int.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

int cs_health_load_orgs(cs_health_state *r, cs_err *err)
{
	cs_store *st = r->o->store;
	if (cs_org_list_load(st, 0, &r->orgs, err) == 0)
		return 0;
	/* no schema yet: the database check says so; no org checks then */
	cs_org_list_release(&r->orgs);
	return err->code == CS_EUSAGE || err->code == CS_ENOTFOUND || err->code == CS_ERR
		       ? (memset(err, 0, sizeof(*err)), 0)
		       : err->code;
}

const cs_org *cs_health_find_org(const cs_health_state *r, long long id)
{
	for (size_t i = 0; i < r->orgs.n; i++)
		if (r->orgs.v[i].id == id)
			return &r->orgs.v[i];
	return NULL;
}

int cs_health_live_add(cs_health_state *r, const cs_health_live *l)
{
	cs_health_live *v = cs_buf_grow_array(r->live, &r->livecap, r->nlive, sizeof(*v), 8);
	if (!v)
		return -1;
	r->live = v;
	r->live[r->nlive++] = *l;
	return 0;
}

void cs_health_run_release(cs_health_state *r)
{
	cs_org_list_release(&r->orgs);
	free(r->facts);
	free(r->live);
	r->facts = NULL;
	r->live = NULL;
}
