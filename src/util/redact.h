#ifndef CS_REDACT_H
#define CS_REDACT_H
/* The one place secrets are taken out of text (redact.c). Every secret is
 * registered when it is loaded; every error message (err.c), log line
 * (log.c), stored run error (store/sql) and alert text then goes through
 * cs_redact_copy, which removes each registered secret in every encoding it
 * travels in: raw, URL-encoded (either hex case, '+' for a space, %25XX
 * twice encoded), JSON-escaped, and inside base64 or base64url (an HTTP
 * Basic header is base64 of "user:key"). It never depends on err.c or
 * log.c: both call it. */
#include <stdarg.h>
#include <stddef.h>

/* What a secret (or a text cut inside one) becomes. */
#define CS_REDACT_MARK "[redacted]"
/* Shorter values are not registered: redacting every "abc" in every message
 * would make messages unreadable, and so short a value protects nothing. */
#define CS_REDACT_MIN_LEN 6
/* A text that ENDS with at least this many characters of a secret's start
 * is taken to be cut inside that secret, and loses them. Fewer could not be
 * told from ordinary endings: with 3, one message in 4096 ending in three
 * hex digits ("organization 1001") would lose them to a hex token. Cutting
 * after redacting, as cs_redact_copy does, never leaves such a tail; this
 * catches texts that someone else cut first. */
#define CS_REDACT_MIN_TAIL 4

/* Registers a secret (copied into wiped, guarded memory). Registering the
 * same value again counts a reference. Returns 0, or -1 when out of memory
 * (the caller should fail: the secret would not be redacted). Values shorter
 * than CS_REDACT_MIN_LEN are ignored (0). Thread-safe. */
int cs_redact_add(const char *secret);
/* A URL whose parts are secret (a webhook token in the path, a password in
 * user:password@): registers its password and its path with query. */
int cs_redact_add_url(const char *url);
/* Drops one reference; the value is wiped when the last one goes. */
void cs_redact_remove(const char *secret);
/* Forgets every secret (tests). */
void cs_redact_reset(void);
/* How many distinct secrets are registered (tests). */
size_t cs_redact_count(void);

/* Copies in[0..inlen) into out (outsz bytes, always NUL-terminated when
 * outsz > 0) with every registered secret replaced by CS_REDACT_MARK. The
 * whole input is redacted BEFORE the copy is cut to outsz, so a cut never
 * lands inside a secret. Returns strlen(out). */
size_t cs_redact_copy(char *out, size_t outsz, const char *in, size_t inlen);
/* A redacted copy of s, malloc'd (free() it), NULL when out of memory. */
char *cs_redact_dup(const char *s);
/* Formats fmt in full (however long), appends tail (may be NULL), then
 * redacts the result into out, cutting only after redaction. For err.c and
 * log.c. */
void cs_redact_vformat(char *out, size_t outsz, const char *tail, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* In place: s is a NUL-terminated text in a buffer of cap bytes. */
void cs_redact_str(char *s, size_t cap);

#endif
