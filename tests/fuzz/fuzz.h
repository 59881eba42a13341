/* Shared by the fuzz targets (tests/fuzz/fuzz_*.c): the libFuzzer entry
 * point's signature and a NUL-terminated copy of the input, which the
 * parsers under test take as C strings. Test-only: nothing in src/ includes
 * this. A target must never write outside its own memory (no files but a
 * memfd, no network), so it can run millions of times per minute. */
#ifndef CS_FUZZ_H
#define CS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (it may hold NULs: the string then ends early,
 * which is what a C caller of the parser would see). Free it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A failed property: abort, so libFuzzer saves the input as a crash and the
 * replay test fails on it. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			__builtin_trap();                                                  \
		}                                                                          \
	} while (0)

#endif
