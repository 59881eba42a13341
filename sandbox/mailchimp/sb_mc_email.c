/* Email addresses as Mailchimp judges them: normalisation, the subscriber
 * hash (MD5 through OpenSSL libcrypto), and what counts as fake-looking.
 *
 * Must never: keep state; every function is a pure judgement of a string. */
#include "mailchimp/sb_mc_int.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int sb_mc_email_norm(const char *email, char *out, size_t outsz)
{
	while (isspace((unsigned char)*email))
		email++;
	size_t n = strlen(email);
	while (n && isspace((unsigned char)email[n - 1]))
		n--;
	if (n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	out[n] = '\0';
	return 0;
}

void sb_mc_email_hash(const char *email, char out[33])
{
	char norm[512];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (sb_mc_email_norm(email, norm, sizeof(norm)))
		norm[0] = '\0'; /* too long to be an address: hashes like "" */
	EVP_Digest(norm, strlen(norm), md, &n, EVP_md5(), NULL);
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", i < n ? md[i] : 0);
}

/* One label of a domain: letters, digits, inner hyphens, 1..63 bytes. */
static int label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* A dot-atom local part and a dotted domain whose last label is alphabetic:
 * what Mailchimp's form validation accepts, near enough. */
static int email_syntax_ok(const char *e)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || at - e > 64 || strlen(e) > 254 || strchr(at + 1, '@'))
		return 0;
	for (const char *p = e; p < at; p++) {
		if (*p == '.' && (p == e || p + 1 == at || p[1] == '.'))
			return 0;
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+/=?^_`{|}~.-", *p))
			return 0;
	}
	const char *d = at + 1, *last = NULL;
	int labels = 0;
	for (;;) {
		size_t n = strcspn(d, ".");
		if (!label_ok(d, n))
			return 0;
		labels++;
		last = d;
		if (!d[n])
			break;
		d += n + 1;
	}
	if (labels < 2 || strlen(last) < 2)
		return 0;
	for (const char *p = last; *p; p++)
		if (!isalpha((unsigned char)*p))
			return 0;
	return 1;
}

/* Fake-looking, by the sandbox's rule: bad syntax, a reserved test domain
 * (.invalid, .test), or a local part of exactly "fake" or "test". */
int sb_mc_email_fake(const char *email)
{
	char e[512];
	if (sb_mc_email_norm(email, e, sizeof(e)) || !email_syntax_ok(e))
		return 1;
	if (sb_ends_with(e, ".invalid") || sb_ends_with(e, ".test"))
		return 1;
	return !strncmp(e, "fake@", 5) || !strncmp(e, "test@", 5);
}
