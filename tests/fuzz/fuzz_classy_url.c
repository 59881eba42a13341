/* Fuzz target: list URL building (src/classy/url.c). The input is split at
 * NUL bytes into a base URL, a sort and a filter; an org id and a page come
 * from the first bytes. The URL must be built or refused, never overflow,
 * and every query value must come out percent-encoded exactly once: the
 * query holds no byte outside the unreserved set and '%XX' escapes. */
#include "fuzz.h"

#include "classy/classy.h"

#include <ctype.h>

static int encoded_ok(const char *q)
{
	for (const char *p = q; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return 0;
			p += 2;
		} else if (!isalnum(c) && !strchr("-._~&=", c)) {
			return 0;
		}
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	long long org = (long long)(int8_t)data[0] * 1000 + 1001;
	int page = (int8_t)data[1];
	int entity = data[2] % CS_ENT_COUNT;
	char *s = fuzz_cstr(data + 3, size - 3);
	/* parts: base URL \0 sort \0 filter */
	const char *base = s, *sort = NULL, *filter = NULL;
	size_t n = size - 3, at = strlen(s) + 1;
	if (at <= n) {
		sort = s + at;
		at += strlen(sort) + 1;
	}
	if (at <= n)
		filter = s + at;
	cs_classy_list_query q = {org, &cs_entities[entity], page, 0, sort, filter, NULL};
	cs_buf out = CS_BUF_INIT;
	int rc = cs_classy_list_url(base, &q, &out);
	if (rc == 0) {
		const char *url = cs_buf_str(&out);
		size_t blen = strlen(base);
		while (blen && base[blen - 1] == '/')
			blen--;
		FUZZ_CHECK(!strncmp(url, base, blen));
		FUZZ_CHECK(!strncmp(url + blen, "/organizations/", 15));
		const char *qm = strchr(url + blen, '?');
		FUZZ_CHECK(qm && !strncmp(qm, "?per_page=", 10));
		/* everything after the fixed path is numbers and encoded values */
		FUZZ_CHECK(encoded_ok(qm + 1));
	} else {
		FUZZ_CHECK(org <= 0 || page < 1);
	}
	cs_buf_release(&out);
	free(s);
	return 0;
}
