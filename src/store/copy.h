#ifndef CS_STORE_COPY_H
#define CS_STORE_COPY_H
/* `db copy`: a whole mirror from one store to another (store_copy.c). */
#include "store/store.h"

/* What one table's copy came to. The digests are SHA-256 over the rows in
 * key order, each value in a canonical form every backend reads alike. */
typedef struct cs_copy_table {
	const char *name;
	long long source_rows, target_rows;
	long long copied;  /* rows written by this run (a resumed copy skips some) */
	long long resumed; /* rows already in the target when the copy started */
	unsigned char source_sum[32], target_sum[32];
} cs_copy_table;

typedef struct cs_copy_hooks {
	/* rows of table done so far out of total (the source's count) */
	void (*progress)(const char *table, long long done, long long total, void *ctx);
	/* called once per table after it is verified */
	void (*table_done)(const cs_copy_table *t, void *ctx);
	/* non-zero: stop between batches (CS_EINTR; run again to resume) */
	int (*should_stop)(void);
	void *ctx;
} cs_copy_hooks;

/* Migrates `to` to the current schema, then copies every table of `from`
 * (read in one consistent snapshot) by key order in batches, each batch
 * committed on its own, so a copy stopped at any point resumes where it
 * stopped when run again. Each table is then verified: the same count and
 * the same digest on both sides, or the copy fails naming the table.
 * Never writes to `from`. */
int cs_store_copy(cs_store *from, cs_store *to, const cs_copy_hooks *hooks, cs_err *err);

#endif
