/* Shared by unit tests that check what reaches stderr (the log): runs fn
 * with file descriptor 2 on a temporary file and leaves what was written
 * in out (cut to n - 1 bytes, NUL-terminated). Include after cmocka.h. */
#ifndef TEST_STDERR_H
#define TEST_STDERR_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void capture_stderr(void (*fn)(void), char *out, size_t n)
{
	char path[] = "/tmp/cs-stderr-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	size_t got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	fclose(f);
	close(fd);
	unlink(path);
}

#endif
