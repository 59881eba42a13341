/* A small open-addressing set of int64 ids, used by the engine to
 * de-duplicate records that share the boundary second of two pages. It
 * must never lose an id it reported as added, nor report one twice. */
#include "util/idset.h"

#include <stdlib.h>
#include <string.h>

void cs_idset_init(cs_idset *s)
{
	memset(s, 0, sizeof(*s));
}

void cs_idset_release(cs_idset *s)
{
	free(s->slots);
	cs_idset_init(s);
}

void cs_idset_clear(cs_idset *s)
{
	if (s->slots)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->len = 0;
	s->has_zero = 0;
}

static size_t slot_of(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
	return (size_t)(h >> 32) & (cap - 1);
}

static int64_t *find(const cs_idset *s, int64_t id)
{
	size_t i = slot_of(id, s->cap);
	while (s->slots[i] && s->slots[i] != id)
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

static int grow(cs_idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	cs_idset bigger = {calloc(cap, sizeof(int64_t)), cap, 0, s->has_zero};
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i]) {
			*find(&bigger, s->slots[i]) = s->slots[i];
			bigger.len++;
		}
	free(s->slots);
	*s = bigger;
	return 0;
}

int cs_idset_add(cs_idset *s, int64_t id)
{
	if (id == 0) {
		int added = !s->has_zero;
		s->has_zero = 1;
		return added;
	}
	if ((s->len + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	int64_t *slot = find(s, id);
	if (*slot)
		return 0;
	*slot = id;
	s->len++;
	return 1;
}

int cs_idset_has(const cs_idset *s, int64_t id)
{
	if (id == 0)
		return s->has_zero;
	return s->cap && *find(s, id) == id;
}
