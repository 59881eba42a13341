/* Helpers shared by every backend and every caller: the store's record
 * types (run status names, organizations, org lists) and the "not built"
 * answer of a backend stub. No database access of its own: an org list is
 * read through the vtable of the store it is given. */
#include "store/backends.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const run_status_names[] = {
	[CS_RUN_RUNNING] = "running", [CS_RUN_SUCCESS] = "success", [CS_RUN_PARTIAL] = "partial",
	[CS_RUN_FAILED] = "failed",   [CS_RUN_INTERRUPTED] = "interrupted",
};

const char *cs_run_status_name(int status)
{
	if (status < 0 || (size_t)status >= ARRAY_LEN(run_status_names))
		return "unknown";
	return run_status_names[status];
}

void cs_org_release(cs_org *org)
{
	if (!org)
		return;
	free(org->secret_enc);
	org->secret_enc = NULL;
}

static int org_list_add(const cs_org *org, void *ctx)
{
	cs_org_list *l = ctx;
	cs_org *v = cs_buf_grow_array(l->v, &l->cap, l->n, sizeof(*v), 8);
	if (!v)
		return CS_ERR;
	l->v = v;
	v[l->n] = *org;
	v[l->n].secret_enc = NULL;
	if (org->secret_enc && !(v[l->n].secret_enc = strdup(org->secret_enc)))
		return CS_ERR;
	l->n++;
	return 0;
}

int cs_org_list_load(cs_store *s, long long only, cs_org_list *out, cs_err *err)
{
	int rc;
	cs_org_list_release(out);
	if (only) {
		cs_org org = {0};
		if ((rc = s->org_get(s, only, &org, err)) != 0)
			return rc;
		rc = org_list_add(&org, out);
		cs_org_release(&org);
	} else {
		rc = s->org_list(s, org_list_add, out, err);
		if (rc != CS_ERR || err->code)
			return rc;
	}
	return rc ? cs_err_set(err, CS_ERR, "cannot list organizations: out of memory") : 0;
}

void cs_org_list_release(cs_org_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		cs_org_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int cs_store_not_built(const char *db_type, const char *product, cs_err *err)
{
	return cs_err_set(err, CS_EUSAGE,
			  "DB_TYPE=%s: this build of classy-sync has no %s backend (not built); "
			  "use DB_TYPE=sqlite",
			  db_type, product);
}
