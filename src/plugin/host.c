/* What the core offers plugins: contacts, state and outcome writes, and the
 * small rules every destination shares (consent, email syntax, hashing), so
 * no plugin writes its own. It sits below every plugin and must never name
 * one, nor the registry above them. */
#include "plugin/plugin.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int cs_plugin_contacts(const cs_plugin_host *h, long long org_id, const char *scope,
		       cs_contact_cb cb, void *ctx, cs_err *err)
{
	return h->store->contacts(h->store, org_id, h->plugin, scope, cb, ctx, err);
}

int cs_plugin_record(const cs_plugin_host *h, const cs_plugin_state *states, size_t nstates,
		     const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err)
{
	if (nstates == 0 && noutcomes == 0)
		return 0;
	return h->store->plugin_record(h->store, h->plugin, h->run_id, states, nstates, outcomes,
				       noutcomes, err);
}

const char *cs_plugin_contact_get(const cs_contact *c, const char *name)
{
	for (int i = 0; i < c->ncols; i++)
		if (!strcmp(c->names[i], name))
			return c->values[i];
	return NULL;
}

/* Skips leading white space in *s; returns the length without the
 * trailing white space. Values are judged as stored, spaces aside. */
static size_t trim(const char **s)
{
	while (isspace((unsigned char)**s))
		(*s)++;
	size_t n = strlen(*s);
	while (n && isspace((unsigned char)(*s)[n - 1]))
		n--;
	return n;
}

int cs_plugin_consent_true(const char *v)
{
	static const char *const yes[] = {"1", "true", "t", "yes", "y"};
	if (!v)
		return 0;
	size_t n = trim(&v);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strlen(yes[i]) == n && !strncasecmp(v, yes[i], n))
			return 1;
	return 0;
}

/* A domain label: letters, digits and hyphens, not starting or ending with
 * a hyphen. */
static int label_ok(const char *p, size_t n)
{
	if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && !((unsigned char)p[i] & 0x80))
			return 0;
	return 1;
}

static int domain_ok(const char *d, size_t n)
{
	int labels = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || d[i] == '.') {
			if (!label_ok(d + start, i - start))
				return 0;
			labels++;
			start = i + 1;
		}
	}
	return labels >= 2;
}

int cs_plugin_email_valid(const char *email)
{
	if (!email)
		return 0;
	size_t n = trim(&email);
	if (n == 0 || n > 254)
		return 0;
	const char *at = memchr(email, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - email) - 1))
		return 0;
	size_t local = (size_t)(at - email);
	if (local == 0 || local > 64 || email[0] == '.' || email[local - 1] == '.')
		return 0;
	for (size_t i = 0; i < local; i++) {
		unsigned char ch = (unsigned char)email[i];
		if (isspace(ch) || iscntrl(ch) || strchr("()<>,;:\\\"[]", ch) ||
		    (ch == '.' && email[i + 1] == '.'))
			return 0;
	}
	return domain_ok(at + 1, n - local - 1);
}

void cs_plugin_payload_hash(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0; /* only on allocation failure: an empty hash never matches */
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * (mdlen < 32 ? mdlen : 32)] = '\0';
}

int cs_plugin_contact_verdict(const cs_contact *c)
{
	if (!cs_plugin_consent_true(cs_plugin_contact_get(c, "opt_in")))
		return CS_PLUGIN_CONTACT_NO_CONSENT;
	if (!cs_plugin_email_valid(cs_plugin_contact_get(c, "email_address")))
		return CS_PLUGIN_CONTACT_BAD_EMAIL;
	return CS_PLUGIN_CONTACT_SEND;
}
