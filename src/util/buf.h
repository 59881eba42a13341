#ifndef CS_BUF_H
#define CS_BUF_H
/* One growable byte buffer with a hard cap, so a broken or hostile response
 * cannot exhaust memory. Always NUL-terminated once anything was added. */
#include <stddef.h>

typedef struct cs_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means CS_BUF_DEFAULT_MAX */
} cs_buf;

#define CS_BUF_DEFAULT_MAX ((size_t)64 << 20)
#define CS_BUF_INIT {NULL, 0, 0, 0}

void cs_buf_init(cs_buf *b, size_t max);
/* Returns 0, or -1 when the cap would be exceeded or allocation failed. */
int cs_buf_append(cs_buf *b, const void *p, size_t n);
int cs_buf_puts(cs_buf *b, const char *s);
int cs_buf_printf(cs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with every byte outside [A-Za-z0-9-._~] percent-encoded (RFC 3986),
 * so '+' goes out as %2B. Encode exactly once. */
int cs_buf_urlencode(cs_buf *b, const char *s);
/* Appends s as a JSON string literal, quotes included. */
int cs_buf_json_str(cs_buf *b, const char *s);
void cs_buf_reset(cs_buf *b);
/* Hands the storage to the caller (never NULL; "" when empty) and resets b. */
char *cs_buf_detach(cs_buf *b);
void cs_buf_release(cs_buf *b);
/* Returns data, or "" when nothing was appended yet. */
const char *cs_buf_str(const cs_buf *b);

/* Room for element n of a growable array of elem-byte items whose capacity
 * is *cap: when n == *cap the array is reallocated to twice the capacity
 * (first when empty). Returns the array (moved or not), or NULL when out of
 * memory, leaving the old array and *cap untouched. */
void *cs_buf_grow_array(void *arr, size_t *cap, size_t n, size_t elem, size_t first);

#endif
