/* A task's checkpoint while its key space is paged by several walks at
 * once. Each walk owns a range of keys; pages of different ranges commit
 * in whatever order they arrive, and each commit advances its range's
 * position. The checkpoint written with a commit is the position of the
 * first range that is not done: every key before it is committed, so a
 * crash resumes from it and loses nothing, while ranges further on that
 * finished early are simply read again (upserts make that harmless).
 *
 * It must never let the checkpoint pass a range that is not done, and
 * never move a range's position back. It knows nothing of pages, requests
 * or the store. */
#include "sync/engine_int.h"

#include <stdlib.h>
#include <string.h>

int cs_sync_frontier_init(cs_sync_frontier *f, int64_t lo)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->cap = 8;
	f->r = calloc((size_t)f->cap, sizeof(*f->r));
	if (!f->r)
		return -1;
	f->r[0] = (struct cs_sync_range){.id = 0, .lo = lo, .pos = lo};
	f->n = 1;
	f->next_id = 1;
	return 0;
}

void cs_sync_frontier_release(cs_sync_frontier *f)
{
	if (!f->r)
		return;
	free(f->r);
	f->r = NULL;
	pthread_mutex_destroy(&f->mu);
}

int cs_sync_frontier_split(cs_sync_frontier *f, int64_t lo)
{
	pthread_mutex_lock(&f->mu);
	int id = -1, at = 0;
	/* the range it falls into: the last one starting before lo */
	while (at < f->n && f->r[at].lo < lo)
		at++;
	if (at == 0 || f->r[at - 1].done || f->r[at - 1].pos >= lo)
		goto out; /* not inside an open range past its position */
	if (f->n == f->cap) {
		void *more = realloc(f->r, (size_t)f->cap * 2 * sizeof(*f->r));
		if (!more)
			goto out;
		f->r = more;
		f->cap *= 2;
	}
	memmove(&f->r[at + 1], &f->r[at], (size_t)(f->n - at) * sizeof(*f->r));
	id = f->next_id++;
	f->r[at] = (struct cs_sync_range){.id = id, .lo = lo, .pos = lo};
	f->n++;
out:
	pthread_mutex_unlock(&f->mu);
	return id;
}

void cs_sync_frontier_advance(cs_sync_frontier *f, int id, int64_t pos, int done)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->n; i++) {
		if (f->r[i].id != id)
			continue;
		if (pos > f->r[i].pos)
			f->r[i].pos = pos;
		if (done)
			f->r[i].done = 1;
		break;
	}
	pthread_mutex_unlock(&f->mu);
}

int64_t cs_sync_frontier_value(cs_sync_frontier *f)
{
	pthread_mutex_lock(&f->mu);
	int i = 0;
	while (i < f->n - 1 && f->r[i].done)
		i++;
	int64_t v = f->r[i].pos;
	pthread_mutex_unlock(&f->mu);
	return v;
}
