/* The list URL of an entity: per_page and page, then sort, filter, with
 * and fields, each percent-encoded exactly once ('+' is %2B, '>' is %3E), which is
 * what the API's filter parser needs. A pure function: it must never touch
 * the network or the client's state, so it can be tested alone. */
#include "classy/classy.h"

#include <string.h>

int cs_classy_list_url(const char *api_url, const cs_classy_list_query *q, cs_buf *out)
{
	if (!api_url || !q || !q->entity || q->org_id <= 0 || q->page < 1 || q->per_page < 0 ||
	    q->per_page > CS_CLASSY_PER_PAGE)
		return CS_EUSAGE;
	/* Optional parameters in the order they go out. Callers pass raw
	 * values; each is percent-encoded here, exactly once. */
	const struct {
		const char *name, *value;
	} params[] = {
		{"sort", q->sort},
		{"filter", q->filter},
		{"with", q->entity->with},
		{"fields", q->fields},
	};
	size_t base_len = strlen(api_url);
	while (base_len > 0 && api_url[base_len - 1] == '/')
		base_len--;
	int per_page = q->per_page ? q->per_page : CS_CLASSY_PER_PAGE;
	int rc = cs_buf_append(out, api_url, base_len);
	rc |= cs_buf_printf(out, "/organizations/%lld/%s?per_page=%d&page=%d", q->org_id,
			    q->entity->endpoint, per_page, q->page);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (!params[i].value || !*params[i].value)
			continue;
		rc |= cs_buf_printf(out, "&%s=", params[i].name);
		rc |= cs_buf_urlencode(out, params[i].value);
	}
	return rc ? CS_ERR : 0;
}
