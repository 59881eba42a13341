/* Fuzz target: `.env` parsing (src/util/envfile.c). The parser reads a
 * path, so the input goes into a memfd read through /proc/self/fd; nothing
 * touches the disk. Properties: a parse succeeds or fails with a message;
 * every key it keeps is a valid variable name and can be looked up. */
#include "fuzz.h"

#include "util/envfile.h"

#include <ctype.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-env", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	cs_envfile ef = CS_ENVFILE_INIT;
	cs_err err = {0};
	if (cs_envfile_parse(&ef, path, &err) == 0) {
		for (size_t i = 0; i < ef.n; i++) {
			const char *k = ef.v[i].key;
			FUZZ_CHECK(k[0] && (isalpha((unsigned char)k[0]) || k[0] == '_'));
			for (const char *p = k; *p; p++)
				FUZZ_CHECK(isalnum((unsigned char)*p) || *p == '_');
			FUZZ_CHECK(cs_envfile_get(&ef, k) != NULL);
		}
	} else {
		FUZZ_CHECK(err.msg[0] != '\0');
	}
	cs_envfile_release(&ef);
	return 0;
}
