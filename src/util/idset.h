#ifndef CS_IDSET_H
#define CS_IDSET_H
/* A small open-addressing set of int64 ids (the engine's de-duplication of
 * records that share the boundary second of two pages). */
#include <stddef.h>
#include <stdint.h>

typedef struct cs_idset {
	int64_t *slots; /* 0 marks an empty slot; id 0 is tracked separately */
	size_t cap, len;
	int has_zero;
} cs_idset;

void cs_idset_init(cs_idset *s);
void cs_idset_release(cs_idset *s);
void cs_idset_clear(cs_idset *s);
/* Returns 1 when id was added, 0 when it was already there, -1 on OOM. */
int cs_idset_add(cs_idset *s, int64_t id);
int cs_idset_has(const cs_idset *s, int64_t id);

#endif
