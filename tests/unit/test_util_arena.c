/* The page arena: aligned allocations, growth past a chunk, reuse after reset. */
#include "util/arena.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_alignment_and_distinct(void **state)
{
	(void)state;
	cs_arena a = CS_ARENA_INIT;
	char *prev = NULL;
	for (size_t n = 1; n < 200; n++) {
		char *p = cs_arena_alloc(&a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, (int)n, n); /* writable, and must not overlap the previous block */
		if (prev)
			assert_true(p >= prev + 1);
		prev = p;
	}
	cs_arena_release(&a);
}

static void test_large_and_growth(void **state)
{
	(void)state;
	cs_arena a = CS_ARENA_INIT;
	char *big = cs_arena_alloc(&a, 1 << 20); /* larger than a chunk */
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	char *many[5000];
	for (int i = 0; i < 5000; i++) {
		many[i] = cs_arena_alloc(&a, 100);
		assert_non_null(many[i]);
		memset(many[i], i & 0xff, 100);
	}
	for (int i = 0; i < 5000; i++)
		assert_int_equal((unsigned char)many[i][99], i & 0xff);
	assert_int_equal(big[(1 << 20) - 1], 1);
	cs_arena_release(&a);
}

static void test_reset_reuses_chunks(void **state)
{
	(void)state;
	cs_arena a = CS_ARENA_INIT;
	for (int i = 0; i < 10000; i++)
		assert_non_null(cs_arena_alloc(&a, 64));
	size_t held = cs_arena_chunks(&a);
	assert_true(held > 1);
	for (int round = 0; round < 5; round++) {
		cs_arena_reset(&a);
		assert_null(a.head);
		for (int i = 0; i < 10000; i++)
			assert_non_null(cs_arena_alloc(&a, 64));
		/* Steady state: the same work needs no new chunk. */
		assert_int_equal(cs_arena_chunks(&a), held);
	}
	cs_arena_release(&a);
	assert_null(a.head);
	assert_null(a.free);
	assert_int_equal(cs_arena_chunks(&a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_distinct),
		cmocka_unit_test(test_large_and_growth),
		cmocka_unit_test(test_reset_reuses_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
