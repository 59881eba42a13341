/* Background WAL checkpoints. SQLite's automatic checkpoint runs inside the
 * COMMIT that crosses the threshold, so the writer stalls while pages are
 * copied back and the disk syncs: about a third of the wall time of a long
 * sync. Here the commit only wakes a thread that checkpoints PASSIVE (it never
 * blocks the writer or readers) on its own connection. If that thread cannot
 * be had, the commit checkpoints itself as SQLite would. */
#include "store/sqlite/sqlite_int.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>

/* WAL frames, not bytes: 32 MB of a new database's 8 KB pages (16 MB of
 * an older one's 4 KB): large enough that the disk syncs rarely, small
 * enough that the WAL index (one entry a frame) stays cheap to search. */
#define CKPT_PAGES 4000

struct cs_sqlite_ckpt {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending, stop, running;
	pthread_cond_t idle; /* signalled when a checkpoint ends */
	sqlite3 *db; /* the checkpointer's own connection */
};

static void *ckpt_main(void *arg)
{
	struct cs_sqlite_ckpt *k = arg;
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->pending && !k->stop)
			pthread_cond_wait(&k->wake, &k->lock);
		if (k->stop)
			break;
		k->pending = 0;
		k->running = 1;
		pthread_mutex_unlock(&k->lock);
		int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			cs_debug("background checkpoint failed: %s", sqlite3_errmsg(k->db));
		pthread_mutex_lock(&k->lock);
		k->running = 0;
		pthread_cond_broadcast(&k->idle);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static struct cs_sqlite_ckpt *ckpt_start(cs_sqlite *s)
{
	struct cs_sqlite_ckpt *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	if (sqlite3_open_v2(s->base.name, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(k->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto out_fail;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	pthread_cond_init(&k->idle, NULL);
	if (pthread_create(&k->tid, NULL, ckpt_main, k) == 0)
		return k;
	pthread_cond_destroy(&k->idle);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
out_fail:
	sqlite3_close_v2(k->db);
	free(k);
	return NULL;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	cs_sqlite *s = arg;
	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	/* The log only starts over once a checkpoint has copied every frame and
	 * then a write begins. The background thread races the writer and never
	 * catches up, so the WAL (and its index, mapped into memory) would grow
	 * with the whole sync. At twice the threshold the writer waits for the
	 * background pass and finishes the job itself, between transactions;
	 * most frames are already copied by then. */
	if (pages >= 2 * CKPT_PAGES) {
		if (s->ckpt) {
			pthread_mutex_lock(&s->ckpt->lock);
			while (s->ckpt->running)
				pthread_cond_wait(&s->ckpt->idle, &s->ckpt->lock);
			pthread_mutex_unlock(&s->ckpt->lock);
		}
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (!s->ckpt && !s->ckpt_failed && !(s->ckpt = ckpt_start(s))) {
		s->ckpt_failed = 1;
		cs_debug("database '%s': no background checkpointer; checkpointing inline", s->base.name);
	}
	if (!s->ckpt) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&s->ckpt->lock);
	s->ckpt->pending = 1;
	pthread_cond_signal(&s->ckpt->wake);
	pthread_mutex_unlock(&s->ckpt->lock);
	return SQLITE_OK;
}

void cs_sqlite_ckpt_setup(cs_sqlite *s)
{
	/* Replaces the automatic checkpoint (a WAL hook disables it). The
	 * thread starts on first need, so short commands never pay for it. */
	sqlite3_wal_hook(s->db, wal_hook, s);
}

void cs_sqlite_ckpt_stop(cs_sqlite *s)
{
	struct cs_sqlite_ckpt *k = s->ckpt;
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->tid, NULL);
	pthread_cond_destroy(&k->wake);
	pthread_cond_destroy(&k->idle);
	pthread_mutex_destroy(&k->lock);
	sqlite3_close_v2(k->db);
	free(k);
	s->ckpt = NULL;
}
