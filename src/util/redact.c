/* Secret redaction: a process-wide registry of the secrets this process
 * holds (client secrets, access tokens, API keys, the master key, database
 * passwords, webhook paths) and the one function every outgoing text goes
 * through to lose them (see redact.h for where it is called).
 *
 * A secret is found, not by comparing against a list of its encodings, but
 * by decoding the text while matching: at each position the next byte of the
 * secret may appear literally, as %XX (either case, or %25XX when encoded
 * twice), as '+' for a space, or as a JSON escape (\", \/, \uXXXX with
 * surrogate pairs, ...), mixed freely. Runs of base64 or base64url are
 * decoded and searched the same way, which covers an HTTP Basic header
 * (base64 of "user:key") whatever the key's offset. A text that ends in the
 * middle of a secret (or of an escape inside one) loses that tail.
 *
 * Must never: call err.c or log.c (both call this file), keep a copy of a
 * secret outside sodium_malloc'd memory, or leave a decoded copy unwiped. */
#include "util/redact.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	unsigned char *s; /* sodium_malloc'd, NUL-terminated */
	size_t n;
	unsigned long refs;
} entry;

static pthread_rwlock_t g_lock = PTHREAD_RWLOCK_INITIALIZER;
static entry *g_v;
static size_t g_n, g_cap;
static atomic_size_t g_count; /* g_n, readable without the lock: the fast path */

/* Matching backtracks only where a byte has two readings (a '%' in a secret
 * that the text may show raw or encoded); this bounds the work of one
 * attempt on a hostile text. */
#define MATCH_BUDGET 4096
#define MAX_DEPTH 32
/* base64 runs shorter than this cannot hold CS_REDACT_MIN_LEN bytes. */
#define B64_MIN_RUN 8
/* In decoded base64 a cut tail must be longer: a few random-looking bytes
 * match the start of some secret too easily. */
#define B64_MIN_TAIL 6

/* ---- the registry ------------------------------------------------------- */

static entry *find_locked(const char *s, size_t n)
{
	for (size_t i = 0; i < g_n; i++)
		if (g_v[i].n == n && memcmp(g_v[i].s, s, n) == 0)
			return &g_v[i];
	return NULL;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_sodium_rc;

static void sodium_once(void)
{
	g_sodium_rc = sodium_init() < 0 ? -1 : 0;
}

/* sodium_malloc aborts before sodium_init. */
static int ready(void)
{
	pthread_once(&g_once, sodium_once);
	return g_sodium_rc;
}

int cs_redact_add(const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < CS_REDACT_MIN_LEN)
		return 0;
	if (ready())
		return -1;
	int rc = 0;
	pthread_rwlock_wrlock(&g_lock);
	entry *e = find_locked(secret, n);
	if (e) {
		e->refs++;
		goto out;
	}
	if (g_n == g_cap) {
		size_t cap = g_cap ? 2 * g_cap : 8;
		entry *v = realloc(g_v, cap * sizeof(*v));
		if (!v) {
			rc = -1;
			goto out;
		}
		g_v = v;
		g_cap = cap;
	}
	unsigned char *copy = sodium_malloc(n + 1);
	if (!copy) {
		rc = -1;
		goto out;
	}
	memcpy(copy, secret, n + 1);
	g_v[g_n++] = (entry){copy, n, 1};
	atomic_store(&g_count, g_n);
out:
	pthread_rwlock_unlock(&g_lock);
	return rc;
}

void cs_redact_remove(const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < CS_REDACT_MIN_LEN)
		return;
	pthread_rwlock_wrlock(&g_lock);
	entry *e = find_locked(secret, n);
	if (e && --e->refs == 0) {
		sodium_free(e->s);
		*e = g_v[--g_n];
		atomic_store(&g_count, g_n);
	}
	pthread_rwlock_unlock(&g_lock);
}

void cs_redact_reset(void)
{
	pthread_rwlock_wrlock(&g_lock);
	for (size_t i = 0; i < g_n; i++)
		sodium_free(g_v[i].s);
	free(g_v);
	g_v = NULL;
	g_n = g_cap = 0;
	atomic_store(&g_count, 0);
	pthread_rwlock_unlock(&g_lock);
}

size_t cs_redact_count(void)
{
	return atomic_load(&g_count);
}

/* Registers url[a..b) when it is long enough. */
static int add_part(const char *url, size_t a, size_t b)
{
	if (b <= a || b - a < CS_REDACT_MIN_LEN)
		return 0;
	if (ready())
		return -1;
	char *part = sodium_malloc(b - a + 1);
	if (!part)
		return -1;
	memcpy(part, url + a, b - a);
	part[b - a] = '\0';
	int rc = cs_redact_add(part);
	sodium_free(part);
	return rc;
}

int cs_redact_add_url(const char *url)
{
	const char *sep = url ? strstr(url, "://") : NULL;
	if (!sep)
		return cs_redact_add(url); /* not a URL: all of it */
	size_t auth = (size_t)(sep - url) + 3;
	size_t end = auth + strcspn(url + auth, "/?#");
	/* user:password@host: the password */
	const char *at = memchr(url + auth, '@', end - auth);
	int rc = 0;
	if (at) {
		const char *colon = memchr(url + auth, ':', (size_t)(at - (url + auth)));
		if (colon)
			rc = add_part(url, (size_t)(colon + 1 - url), (size_t)(at - url));
	}
	/* the path with its query: a webhook's token, a signed query */
	if (rc == 0)
		rc = add_part(url, end, strlen(url));
	return rc;
}

/* ---- decoding while matching -------------------------------------------- */

static int hexval(unsigned char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* n hex digits at t[i..]: the value, -1 when one is not hex, -2 when the
 * text ends first. */
static long hex_at(const unsigned char *t, size_t len, size_t i, int n)
{
	long v = 0;
	for (int k = 0; k < n; k++) {
		if (i + (size_t)k >= len)
			return -2;
		int h = hexval(t[i + (size_t)k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t utf8(unsigned long cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

#define CUT (-1L) /* the text ends inside the escape */

/* %XX at t[i]; with twice set, %25XX. Returns the escape's length and the
 * byte, 0 when there is none, CUT. */
static long url_escape(const unsigned char *t, size_t n, size_t i, int twice, unsigned char *b)
{
	if (t[i] != '%')
		return 0;
	long v = hex_at(t, n, i + 1, 2);
	if (v == -2)
		return CUT;
	if (v < 0)
		return 0;
	if (!twice) {
		*b = (unsigned char)v;
		return 3;
	}
	if (v != '%')
		return 0;
	long w = hex_at(t, n, i + 3, 2);
	if (w == -2)
		return CUT;
	if (w < 0)
		return 0;
	*b = (unsigned char)w;
	return 5;
}

/* A JSON escape at t[i]: its length and the UTF-8 bytes it stands for. */
static long json_escape(const unsigned char *t, size_t n, size_t i, unsigned char *out,
			size_t *outn)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (t[i] != '\\')
		return 0;
	if (i + 1 >= n)
		return CUT;
	const char *p = t[i + 1] ? strchr(from, t[i + 1]) : NULL;
	if (p) {
		out[0] = (unsigned char)to[p - from];
		*outn = 1;
		return 2;
	}
	if (t[i + 1] != 'u')
		return 0;
	long cp = hex_at(t, n, i + 2, 4);
	if (cp < 0)
		return cp == -2 ? CUT : 0;
	long len = 6;
	if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair: \uD83D\uDE00 */
		if (i + 7 >= n)
			return CUT;
		if (t[i + 6] != '\\' || t[i + 7] != 'u')
			return 0;
		long lo = hex_at(t, n, i + 8, 4);
		if (lo < 0)
			return lo == -2 ? CUT : 0;
		if (lo < 0xdc00 || lo > 0xdfff)
			return 0;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		len = 12;
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		return 0;
	}
	*outn = utf8((unsigned long)cp, out);
	return len;
}

typedef struct matcher {
	const unsigned char *t; /* the text */
	size_t n;
	const unsigned char *s; /* the secret */
	size_t m;
	size_t min_tail;
	int budget;
} matcher;

typedef struct step {
	size_t dk, dj; /* secret bytes and text bytes one reading consumes */
} step;

/* The readings of t[j] that agree with the secret from byte k; *cut when an
 * escape there is cut off by the end of the text. */
static int readings(const matcher *c, size_t k, size_t j, step *out, int *cut)
{
	unsigned char ch = c->t[j], want = c->s[k], dec[4];
	size_t dn = 1;
	int na = 0;
	*cut = 0;
	if (ch == want || (ch == '+' && want == ' '))
		out[na++] = (step){1, 1};
	for (int kind = 0; kind < 3; kind++) {
		long len = kind < 2 ? url_escape(c->t, c->n, j, kind, dec)
				    : json_escape(c->t, c->n, j, dec, &dn);
		if (kind < 2)
			dn = 1;
		if (len == CUT)
			*cut = 1;
		else if (len > 0 && dn <= c->m - k && memcmp(dec, c->s + k, dn) == 0)
			out[na++] = (step){dn, (size_t)len};
	}
	return na;
}

/* Matches the secret from byte k at text position j. Returns one past the
 * end of the match in the text (so 0 is "no match"). Loops while a byte has
 * one reading and recurses only where it has several. */
static size_t match_from(matcher *c, size_t k, size_t j, int depth)
{
	while (k < c->m) {
		if (--c->budget < 0 || depth > MAX_DEPTH)
			return 0;
		if (j >= c->n) /* the text ends inside the secret */
			return k >= c->min_tail ? c->n + 1 : 0;
		step alt[4];
		int cut, na = readings(c, k, j, alt, &cut);
		/* an escape cut off by the end of the text: the text ends here */
		if (cut && k >= c->min_tail)
			return c->n + 1;
		if (na == 0)
			return 0;
		for (int a = 0; a + 1 < na; a++) {
			size_t r = match_from(c, k + alt[a].dk, j + alt[a].dj, depth + 1);
			if (r)
				return r;
		}
		k += alt[na - 1].dk;
		j += alt[na - 1].dj;
	}
	return j + 1;
}

/* Could a secret starting with first begin at t[j]? */
static int may_start(unsigned char ch, unsigned char first)
{
	return ch == first || ch == '%' || ch == '\\' || (ch == '+' && first == ' ');
}

/* Marks in hide[] every span of t that holds a registered secret (or, at the
 * end, the start of one). Returns 1 when anything was marked. Caller holds
 * the read lock. */
static int mark_secrets(const unsigned char *t, size_t n, size_t min_tail, unsigned char *hide)
{
	int found = 0;
	for (size_t j = 0; j < n; j++) {
		size_t end = 0;
		for (size_t e = 0; e < g_n; e++) {
			if (!may_start(t[j], g_v[e].s[0]))
				continue;
			matcher c = {t, n, g_v[e].s, g_v[e].n, min_tail, MATCH_BUDGET};
			size_t r = match_from(&c, 0, j, 0);
			if (r > end)
				end = r;
		}
		if (end) {
			if (hide)
				memset(hide + j, 1, end - 1 - j);
			found = 1;
		}
	}
	return found;
}

/* ---- base64 ------------------------------------------------------------- */

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '-' || c == '_';
}

/* Decodes the run r[0..len) (no padding) and looks for a secret in it. */
static int run_holds_secret(const char *r, size_t len, int at_end)
{
	int url = 0, std = 0;
	for (size_t i = 0; i < len; i++) {
		url |= r[i] == '-' || r[i] == '_';
		std |= r[i] == '+' || r[i] == '/';
	}
	if (url && std)
		return 0;
	int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
			  : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	if (len % 4 == 1)
		len--;
	size_t cap = len / 4 * 3 + 3, bin_len = 0;
	unsigned char stack[768];
	unsigned char *bin = cap <= sizeof(stack) ? stack : malloc(cap);
	if (!bin)
		return 1; /* cannot look: assume the worst */
	/* A run cut short ends in a character whose spare bits are not zero,
	 * which libsodium refuses: then decode only its whole groups. */
	if (sodium_base642bin(bin, cap, r, len, NULL, &bin_len, NULL, variant) != 0 &&
	    sodium_base642bin(bin, cap, r, len / 4 * 4, NULL, &bin_len, NULL, variant) != 0)
		bin_len = 0;
	int found = bin_len && mark_secrets(bin, bin_len, at_end ? B64_MIN_TAIL : (size_t)-1,
					    NULL);
	sodium_memzero(bin, cap);
	if (bin != stack)
		free(bin);
	return found;
}

static void mark_base64(const unsigned char *t, size_t n, unsigned char *hide)
{
	for (size_t i = 0; i < n;) {
		if (!b64_char(t[i])) {
			i++;
			continue;
		}
		size_t a = i;
		while (i < n && b64_char(t[i]))
			i++;
		size_t b = i;
		while (i < n && i - b < 2 && t[i] == '=')
			i++;
		if (b - a >= B64_MIN_RUN && run_holds_secret((const char *)t + a, b - a, i == n))
			memset(hide + a, 1, i - a);
	}
}

/* ---- output ------------------------------------------------------------- */

static size_t copy_cut(char *out, size_t outsz, const char *in, size_t inlen)
{
	size_t n = inlen < outsz - 1 ? inlen : outsz - 1;
	memmove(out, in, n);
	out[n] = '\0';
	return n;
}

size_t cs_redact_copy(char *out, size_t outsz, const char *in, size_t inlen)
{
	if (outsz == 0)
		return 0;
	if (atomic_load(&g_count) == 0 || inlen == 0)
		return copy_cut(out, outsz, in, inlen);
	unsigned char *hide = calloc(inlen, 1);
	if (!hide) /* cannot tell what is secret: show nothing */
		return copy_cut(out, outsz, CS_REDACT_MARK, strlen(CS_REDACT_MARK));
	const unsigned char *t = (const unsigned char *)in;
	pthread_rwlock_rdlock(&g_lock);
	mark_secrets(t, inlen, CS_REDACT_MIN_TAIL, hide);
	mark_base64(t, inlen, hide);
	pthread_rwlock_unlock(&g_lock);
	static const char mark[] = CS_REDACT_MARK;
	size_t o = 0;
	for (size_t i = 0; i < inlen && o + 1 < outsz;) {
		if (!hide[i]) {
			out[o++] = in[i++];
			continue;
		}
		for (size_t k = 0; k < sizeof(mark) - 1 && o + 1 < outsz; k++)
			out[o++] = mark[k];
		while (i < inlen && hide[i])
			i++;
	}
	out[o] = '\0';
	free(hide);
	return o;
}

char *cs_redact_dup(const char *s)
{
	size_t n = strlen(s);
	/* Every hidden span is at least CS_REDACT_MIN_TAIL (4) bytes and
	 * becomes the 10-byte mark: the copy is at most 4n bytes, plus one
	 * mark. */
	size_t cap = 4 * n + sizeof(CS_REDACT_MARK);
	char *out = malloc(cap);
	if (out)
		cs_redact_copy(out, cap, s, n);
	return out;
}

void cs_redact_str(char *s, size_t cap)
{
	if (!s || cap == 0 || atomic_load(&g_count) == 0)
		return;
	size_t n = strnlen(s, cap - 1);
	char stack[2048];
	char *tmp = n <= sizeof(stack) ? stack : malloc(n);
	if (!tmp) {
		copy_cut(s, cap, CS_REDACT_MARK, strlen(CS_REDACT_MARK));
		return;
	}
	memcpy(tmp, s, n);
	cs_redact_copy(s, cap, tmp, n);
	sodium_memzero(tmp, n);
	if (tmp != stack)
		free(tmp);
}

/* With no memory for the full text the cut comes first, and the tail rule
 * still removes a secret's cut-off start at the end. */
void cs_redact_vformat(char *out, size_t outsz, const char *tail, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	size_t tn = tail ? strlen(tail) : 0;
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *full = n >= 0 ? malloc((size_t)n + tn + 1) : NULL;
	if (!full) {
		/* the arguments may point into out: format aside first */
		char cut[1024];
		vsnprintf(cut, sizeof(cut), fmt, ap);
		snprintf(out, outsz, "%s%s", cut, tail ? tail : "");
		cs_redact_str(out, outsz);
		sodium_memzero(cut, sizeof(cut));
		return;
	}
	vsnprintf(full, (size_t)n + 1, fmt, ap);
	if (tail)
		memcpy(full + n, tail, tn + 1);
	cs_redact_copy(out, outsz, full, (size_t)n + tn);
	sodium_memzero(full, (size_t)n + tn);
	free(full);
}
