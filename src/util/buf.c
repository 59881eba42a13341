/* The growable byte buffer with a hard cap, and the one growth rule for
 * arrays (cs_buf_grow_array). A failed append leaves the buffer as it was;
 * it must never grow past its cap, so a hostile response cannot exhaust
 * memory, and never hand out data that is not NUL-terminated. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cs_buf_init(cs_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int grow(cs_buf *b, size_t need)
{
	size_t max = b->max ? b->max : CS_BUF_DEFAULT_MAX;
	if (need + 1 > max + 1 || need < b->len)
		return -1;
	if (need + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > max + 1)
		cap = max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int cs_buf_append(cs_buf *b, const void *p, size_t n)
{
	if (grow(b, b->len + n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cs_buf_puts(cs_buf *b, const char *s)
{
	return cs_buf_append(b, s, strlen(s));
}

int cs_buf_printf(cs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, b->len + (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int cs_buf_urlencode(cs_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			    *p == '~';
		char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		if (plain ? cs_buf_append(b, p, 1) : cs_buf_append(b, enc, 3))
			return -1;
	}
	return 0;
}

int cs_buf_json_str(cs_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (cs_buf_append(b, "\"", 1))
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};
			rc = cs_buf_append(b, esc, 2);
		} else if (*p < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			rc = cs_buf_append(b, esc, 6);
		} else {
			rc = cs_buf_append(b, p, 1);
		}
		if (rc)
			return -1;
	}
	return cs_buf_append(b, "\"", 1);
}

void cs_buf_reset(cs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *cs_buf_detach(cs_buf *b)
{
	char *p = b->data ? b->data : strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void cs_buf_release(cs_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *cs_buf_str(const cs_buf *b)
{
	return b->data ? b->data : "";
}

void *cs_buf_grow_array(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap && arr)
		return arr;
	size_t want = *cap ? *cap * 2 : first;
	void *v = realloc(arr, want * elem);
	if (v)
		*cap = want;
	return v;
}
