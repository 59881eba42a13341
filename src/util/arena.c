/* A bump allocator for the cJSON trees of one API page: allocations come
 * from 256 KB chunks and are freed all at once by a reset that keeps the
 * chunks for the next page. It must never free single allocations, and
 * never be shared between threads (each page has its own). */
#include "util/arena.h"

#include <stdalign.h>
#include <stdlib.h>

#define CHUNK_BYTES ((size_t)256 << 10)
#define ALIGN ((size_t)16)

struct cs_arena_chunk {
	cs_arena_chunk *next;
	size_t size, used;
	alignas(16) unsigned char data[];
};

static cs_arena_chunk *new_chunk(cs_arena *a, size_t need)
{
	/* Reuse a kept chunk when it is big enough; oversized ones are rare. */
	cs_arena_chunk **pp = &a->free;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->size >= need)
			break;
	cs_arena_chunk *c = *pp;
	if (c) {
		*pp = c->next;
	} else {
		size_t size = need > CHUNK_BYTES ? need : CHUNK_BYTES;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
	}
	c->used = 0;
	c->next = a->head;
	a->head = c;
	return c;
}

void *cs_arena_alloc(cs_arena *a, size_t n)
{
	n = (n + ALIGN - 1) & ~(ALIGN - 1);
	cs_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n)
		c = new_chunk(a, n);
	if (!c)
		return NULL;
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

void cs_arena_reset(cs_arena *a)
{
	while (a->head) {
		cs_arena_chunk *c = a->head;
		a->head = c->next;
		c->next = a->free;
		a->free = c;
	}
}

static void free_list(cs_arena_chunk *c)
{
	while (c) {
		cs_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void cs_arena_release(cs_arena *a)
{
	free_list(a->head);
	free_list(a->free);
	a->head = a->free = NULL;
}

size_t cs_arena_chunks(const cs_arena *a)
{
	size_t n = 0;
	for (const cs_arena_chunk *c = a->head; c; c = c->next)
		n++;
	for (const cs_arena_chunk *c = a->free; c; c = c->next)
		n++;
	return n;
}
