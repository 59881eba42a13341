#ifndef CS_ARENA_H
#define CS_ARENA_H
/* A bump allocator for short-lived trees that die together: the cJSON
 * objects of one API page. A page of 100 transactions is about 30,000 small
 * allocations; taking them from an arena and dropping them all at once
 * removes most of the per-record malloc/free cost and keeps the chunks for
 * the next page. */
#include <stddef.h>

typedef struct cs_arena_chunk cs_arena_chunk;
typedef struct cs_arena {
	cs_arena_chunk *head; /* chunk being filled; earlier ones follow */
	cs_arena_chunk *free; /* chunks kept from before the last reset */
} cs_arena;

#define CS_ARENA_INIT {NULL, NULL}

/* Returns 16-byte aligned memory, or NULL when out of memory. */
void *cs_arena_alloc(cs_arena *a, size_t n);
/* Forgets every allocation but keeps the chunks for reuse. */
void cs_arena_reset(cs_arena *a);
void cs_arena_release(cs_arena *a);
/* Chunks held, in use or kept: what a page costs in steady state. */
size_t cs_arena_chunks(const cs_arena *a);

#endif
