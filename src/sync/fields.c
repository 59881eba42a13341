/* CLASSY_FIELDS: the sparse field set (`fields=`) of each entity's list
 * queries, for users who want fewer columns and smaller pages. A field the
 * engine pages by (id, updated_at) or the aggregates are computed from is
 * always asked for, whatever the setting says, so trimming can make
 * columns NULL but can never break a cursor or a lifetime total. Pure:
 * it must never touch the network or the store. */
#include "sync/sync.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* What each entity always needs, by enum cs_entity_id. */
static const char *const required[CS_ENT_COUNT] = {
	[CS_ENT_CAMPAIGNS] = "id,updated_at",
	[CS_ENT_SUPPORTERS] = "id,updated_at",
	[CS_ENT_TRANSACTIONS] = "id,updated_at,supporter_id,status,purchased_at,total_gross_amount",
	[CS_ENT_RECURRING_PLANS] = "id,updated_at,supporter_id,status,frequency,donation_amount",
};

static int field_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.';
}

/* Appends the fields of list (comma-separated, n bytes) not in out yet. */
static int add_fields(char *out, size_t cap, const char *list, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && list[j] != ',')
			j++;
		size_t len = j - i;
		if (len > 0) {
			char name[128];
			if (len >= sizeof(name))
				return -1;
			memcpy(name, list + i, len);
			name[len] = '\0';
			/* already there? compare whole names between commas */
			int dup = 0;
			for (const char *p = out; *p && !dup;) {
				const char *e = strchr(p, ',');
				size_t l = e ? (size_t)(e - p) : strlen(p);
				dup = l == len && !memcmp(p, name, len);
				p = e ? e + 1 : p + l;
			}
			size_t used = strlen(out);
			if (!dup && snprintf(out + used, cap - used, "%s%s", used ? "," : "", name) >=
					    (int)(cap - used))
				return -1;
		}
		i = j + 1;
	}
	return 0;
}

int cs_sync_fields(const char *spec, const cs_entity *e, char *out, size_t n, cs_err *err)
{
	out[0] = '\0';
	for (const char *p = spec ? spec : ""; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (!*p)
			break;
		const char *eq = p, *end;
		while (*eq && *eq != '=' && *eq != ' ' && *eq != ';')
			eq++;
		if (*eq != '=')
			return cs_err_set(err, CS_EUSAGE,
					  "CLASSY_FIELDS: '%.*s' is not ENTITY=field,field (e.g. "
					  "'supporters=id,email_address')",
					  (int)(eq - p), p);
		char ent[64];
		snprintf(ent, sizeof(ent), "%.*s", (int)(eq - p), p);
		const cs_entity *which = cs_entity_find(ent);
		if (!which)
			return cs_err_set(err, CS_EUSAGE,
					  "CLASSY_FIELDS: unknown entity '%s' (expected supporters, "
					  "transactions, campaigns or recurring-plans)",
					  ent);
		for (end = eq + 1; *end && *end != ' ' && *end != '\t' && *end != ';'; end++)
			if (*end != ',' && !field_char(*end))
				return cs_err_set(err, CS_EUSAGE,
						  "CLASSY_FIELDS: '%c' cannot be part of a field name "
						  "(in the list for %s)",
						  *end, ent);
		if (which == e && (add_fields(out, n, required[e->id], strlen(required[e->id])) ||
				   add_fields(out, n, eq + 1, (size_t)(end - eq - 1))))
			return cs_err_set(err, CS_EUSAGE, "CLASSY_FIELDS: the list for %s is too long",
					  ent);
		p = end;
	}
	return 0;
}
