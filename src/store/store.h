#ifndef CS_STORE_H
#define CS_STORE_H
/* Storage backend interface. A backend is a versioned struct of function
 * pointers that each implementation embeds as its first member; backends are
 * registered by name (store.c). store/ knows nothing of the API or the
 * network: it stores cs_records described by the entity tables. */
#include "model/entity.h"
#include "util/config.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define CS_STORE_ABI 3

typedef struct cs_org {
	long long id;
	char name[256];
	char client_id[256];
	char *secret_enc; /* base64 secretbox; owned, free() it */
	char created_at[32];
} cs_org;

/* Per org and entity paging state. Written in the same transaction as the
 * page it describes, so a crash never separates rows from their cursor. */
typedef struct cs_sync_state {
	long long org_id;
	int entity;                /* enum cs_entity_id */
	char cursor[32];           /* incremental lower bound (stored time form) or "" */
	int lookback_s;            /* re-read window before the cursor */
	long long full_last_id;    /* resumable full scan: last id committed, 0 none */
	char full_started_at[32];  /* "" when no full scan is in progress */
	char last_full_at[32];     /* when the last complete full scan finished */
} cs_sync_state;

enum cs_run_status {
	CS_RUN_RUNNING = 0,
	CS_RUN_SUCCESS,
	CS_RUN_PARTIAL,
	CS_RUN_FAILED,
	CS_RUN_INTERRUPTED
};

typedef struct cs_run {
	long long id;
	long long org_id;
	int entity;
	int full;
	char started_at[32];
	char finished_at[32];
	int status; /* enum cs_run_status */
	long long records, pages, requests, retries;
	char error[1024];
} cs_run;

typedef struct cs_migration_info {
	int version;
	const char *name;
	int applied;
	char applied_at[32];
} cs_migration_info;

/* Walk callbacks: the argument is valid only during the call (copy what you
 * keep, secret_enc included); a non-zero return stops the walk and is
 * returned by it. */
typedef int (*cs_org_cb)(const cs_org *org, void *ctx);
typedef int (*cs_migration_cb)(const cs_migration_info *m, void *ctx);

enum cs_store_ctrl_op {
	CS_CTRL_NONE = 0,
	/* arg is cJSON **: an array, one object per org and entity that has
	 * runs: {"organization_id", "entity", "last_success_at" (ISO or null),
	 * "status", "finished_at", "records", "error"} of the newest run. */
	CS_CTRL_LAST_RUNS = 1,
	/* later features add ops here; unknown ops return CS_ENOTFOUND */
	/* arg unused: connect again after CS_EDBCONN (a server restarted, the
	 * network dropped); what was not committed is gone, the rest stays */
	CS_CTRL_RECONNECT = 2,
	/* arg: cs_store_where *: where the database is, for people */
	CS_CTRL_WHERE = 3,
	/* arg: cs_lease_walk *: every unexpired lease (migration v5) */
	CS_CTRL_LEASES = 4,
	CS_CTRL_RUN_FACTS = 100,   /* arg: cs_run_facts *, for `health` */
	CS_CTRL_PLUGIN_LAST = 101, /* arg: cs_plugin_last *, for `health` */
	CS_CTRL_HAS_ROWS = 102,    /* arg: cs_has_rows *, for the sync */
	CS_CTRL_RECOMPUTE_SOME = 103, /* arg: cs_recompute_some *, for the sync */
	CS_CTRL_RATE_SLOT = 104,      /* arg: cs_rate_slot *, for the shared budget */
	CS_CTRL_RUN_HISTORY = 105,    /* arg: cs_run_history *, for the status page */
	CS_CTRL_PLUGIN_REJECTIONS = 106, /* arg: cs_plugin_rejections *, for the status page */
	CS_CTRL_GIVING = 107,         /* arg: cs_giving_query *, for the giving report */
	CS_CTRL_DROP_PLAN = 110,      /* arg: cs_drop_plan *, for `db rollback|reset` */
	CS_CTRL_BACKUP = 111,         /* arg: cs_store_backup *, before a schema change */
	CS_CTRL_READER = 112          /* arg: cs_store_reader * or NULL: see below */
};

/* CS_CTRL_READER: this connection is about to read much and write nothing
 * (the giving report's figures). SQLite maps the file into memory, so a
 * page read is a memory access rather than a pread() system call: one
 * org's cold report at 1M transactions spent more time in those calls than
 * in SQLite (docs/BENCHMARKS.md). The mapped pages are the kernel's file
 * cache, counted in the process's RSS while the connection lives: close it
 * when idle (the daemon's report loader does). Servers: nothing to do. */
typedef struct cs_store_reader {
	/* asked now and then during each statement (SQLite: every 100,000 VM
	 * steps, about a millisecond); non-zero stops it, and the read fails
	 * CS_EINTR, so a daemon that stops does not wait out seconds of SQL.
	 * Called on the reading thread. NULL: never stopped. */
	int (*cancel)(void *ctx);
	void *ctx;
} cs_store_reader;

/* CS_CTRL_DROP_PLAN: what `db rollback` (the newest applied migration) or
 * `db reset` (every applied one, newest first) would drop, read from the
 * migration list itself, with the rows each table holds; changes nothing.
 * cb sees each object in the order it would be dropped. A migration this
 * build does not know fails as the rollback or reset would. */
typedef struct cs_drop_item {
	int version;           /* the migration whose step drops it */
	const char *migration; /* that migration's name */
	const char *kind;      /* "table", "column", "index" or "view" */
	char name[160];        /* "plugin_state", or "sync_runs.host" for a column */
	const char *about;     /* what a table holds, for people; may be NULL */
	long long rows;        /* rows of a table, non-NULL values of a column; -1: none held */
} cs_drop_item;

typedef struct cs_drop_plan {
	int all; /* in: 1 every applied migration (reset), 0 the newest (rollback) */
	int (*cb)(const cs_drop_item *it, void *ctx); /* in, may be NULL */
	void *ctx;
	int version;    /* out: the newest applied version, 0 when none is */
	const char *name; /* out: its name, or NULL */
	long long rows; /* out: rows and column values in all that would be dropped */
} cs_drop_plan;

/* CS_CTRL_BACKUP: a consistent copy of the whole database, written next to
 * it as "<file>.bak-v<version>-<YYYYmmddTHHMMSSZ>" with mode 0600 (SQLite:
 * VACUUM INTO, then fsync). On failure (a full disk) nothing is left behind
 * and the database is unchanged. CS_ENOTFOUND where the backend makes none:
 * a server database is backed up by its DBA (pg_dump, mariadb-dump). */
typedef struct cs_store_backup {
	int version;     /* in: the schema version being backed up, for the name */
	char path[1100]; /* out: the backup file */
} cs_store_backup;

/* CS_CTRL_WHERE: the SQLite file's path, or the server's URL without its
 * password ("postgresql://cs@db.example.org:5432/classy"). */
typedef struct cs_store_where {
	char text[1024];
} cs_store_where;

/* CS_CTRL_RUN_FACTS: what `health` needs from sync_runs about one org,
 * read through the (organization_id, entity, id) index only, so it stays
 * fast however long the history grows. Runs still going and interrupted
 * runs are left out of the window; partial and failed runs count as failed. */
typedef struct cs_run_facts {
	long long org_id; /* in */
	int window;       /* in: newest finished runs of the org counted, 1..100 */
	struct cs_entity_facts {
		int last_status;          /* enum cs_run_status of the newest run, -1 none */
		char last_at[32];         /* its finished_at, else started_at */
		char last_error[512];     /* its error, "" none */
		char last_success_at[32]; /* finished_at of the newest success, "" none */
	} ent[CS_ENT_COUNT];          /* out, by enum cs_entity_id */
	int recent, recent_failed;    /* out: runs in the window, of which failed */
} cs_run_facts;

/* Counts of one push, by outcome. */
typedef struct cs_push_counts {
	long long considered; /* contacts read from the store */
	long long unchanged;  /* same payload as last sent: nothing to do */
	long long created, updated, tagged;
	long long skipped;    /* no consent, invalid email, compliance state, ... */
	long long rejected;   /* permanent rejection by the destination */
	long long failed;     /* transient failure: retried on the next run */
	long long requests, writes;
} cs_push_counts;

/* CS_CTRL_PLUGIN_LAST: the newest real (not dry-run) push of one plugin
 * for one org, from plugin_runs through its (plugin, id) index. */
typedef struct cs_plugin_last {
	const char *plugin; /* in */
	long long org_id;   /* in */
	int found;          /* out: 0 when the plugin never pushed this org */
	int status;         /* out: enum cs_run_status */
	char started_at[32];
	char error[512];
	char finished_at[32];  /* out: "" while it runs */
	cs_push_counts counts; /* out: its outcome counts (0 while it runs) */
} cs_plugin_last;

/* CS_CTRL_RUN_HISTORY: the newest `limit` runs (1..100) of one org and
 * entity, newest first, through the sync_runs (organization_id, entity, id)
 * index: the cost does not grow with the history. cb gets each run (valid
 * during the call); a non-zero return stops the walk and is returned. */
typedef struct cs_run_history {
	long long org_id; /* in */
	int entity;       /* in: enum cs_entity_id */
	int limit;        /* in */
	int (*cb)(const cs_run *run, void *ctx);
	void *ctx;
} cs_run_history;

/* CS_CTRL_PLUGIN_REJECTIONS: of the newest `limit` (1..1000) rejections a
 * plugin recorded for an org (plugin_outcomes through its (plugin, status,
 * id) index), how many had each reason: the destination's error title,
 * never the contact, its email or its detail text. cb once per reason, the
 * most frequent first. */
typedef struct cs_plugin_rejections {
	const char *plugin; /* in */
	long long org_id;   /* in */
	int limit;          /* in */
	int (*cb)(const char *reason, long long count, void *ctx);
	void *ctx;
} cs_plugin_rejections;

/* CS_CTRL_GIVING: one part of the giving report (web/report.h), for one
 * org or (org_id 0) every org together, read in the views' own terms: a
 * gift is a successful transaction that is not deleted, money is summed
 * exactly and given in the org's currency units. cb gets one row at a
 * time: label (text, NULL for SQL NULL) and n numbers (null[i] set for SQL
 * NULL). Never a donor's name or email. The parts and their columns:
 *   MONTHS        "YYYY-MM" of purchased_at in [from, until): gifts, amount,
 *                 recurring gifts, recurring amount (a plan's gifts),
 *                 distinct donors; from transactions
 *   FIRST_GIFTS   "YYYY-MM" of first_donation_date in [from, until): donors
 *                 whose first gift it was; from supporter_summary
 *   VALUE         value_tier (NULL: no successful gift): sort, supporters,
 *                 total lifetime value; from donor_value_distribution
 *   ENGAGEMENT    engagement_segment, the same columns; from
 *                 donor_engagement_distribution
 *   CAMPAIGNS     name: campaign_id, goal, raised, percent_of_goal,
 *                 gift_count, unique_donors; the `limit` (1..100) that raised
 *                 most; from campaign_performance
 *   DONORS        label NULL: donors who gave once, donors who gave more
 *                 than once; from supporter_summary
 * from and until are dates (YYYY-MM-DD, UTC), for the monthly parts. */
enum cs_giving_part {
	CS_GIVING_MONTHS = 0,
	CS_GIVING_FIRST_GIFTS,
	CS_GIVING_VALUE,
	CS_GIVING_ENGAGEMENT,
	CS_GIVING_CAMPAIGNS,
	CS_GIVING_DONORS,
	CS_GIVING_NPARTS
};
#define CS_GIVING_COLS 8
typedef struct cs_giving_row {
	const char *label;
	int n;
	double v[CS_GIVING_COLS];
	unsigned char null[CS_GIVING_COLS];
} cs_giving_row;
typedef struct cs_giving_query {
	int part;          /* in: enum cs_giving_part */
	long long org_id;  /* in: 0 every org */
	const char *from, *until; /* in: the monthly parts' dates */
	int limit;         /* in: CAMPAIGNS */
	int (*cb)(const cs_giving_row *row, void *ctx);
	void *ctx;
} cs_giving_query;

/* CS_CTRL_HAS_ROWS: whether an org has any row of an entity, through the
 * organization_id index. A full scan that starts on none cannot leave a row
 * absent, so the sync skips its soft-delete pass (which reads every row). */
typedef struct cs_has_rows {
	long long org_id; /* in */
	int entity;       /* in: enum cs_entity_id */
	int any;          /* out */
} cs_has_rows;

/* CS_CTRL_RECOMPUTE_SOME: the aggregates of up to `limit` queued supporters
 * of an org (the lowest ids), in one short transaction, taking them off the
 * queue. The sync runs it while its writer has nothing else to do, so the
 * recompute at the end finds little left; recompute_aggregates stays the
 * one that guarantees every queued supporter is done. */
typedef struct cs_recompute_some {
	long long org_id;  /* in */
	long long limit;   /* in: > 0 */
	long long updated; /* out: supporters updated */
} cs_recompute_some;

/* CS_CTRL_RATE_SLOT: one reservation of the request budget that every
 * process on this database shares (migration v7, table rate_slots; the
 * contract is cs_http_budget_share's in http/budget.h, which store/ does
 * not include): the first free index at or after `first` of second `slot`
 * of application `app`, when it is below `limit`. Atomic on every backend
 * (one conditional UPDATE), so two processes never get one index; rows of
 * seconds older than CS_RATE_SLOT_KEEP_S are deleted when a second's row is
 * made. */
#define CS_RATE_SLOT_KEEP_S 300
typedef struct cs_rate_slot {
	const char *app; /* in: the API application (client id) */
	long long slot;  /* in: wall-clock seconds since the epoch */
	long limit;      /* in: indexes the second holds */
	long first;      /* in: the lowest index wanted */
	long index;      /* out: the index taken, -1 when none is free */
} cs_rate_slot;

/* ---- Push plugins (see plugin/plugin.h) ---- */

/* One contact: a row of the contact_segments view (supporters merged by
 * folded email within an org) joined with one plugin's last-sent state.
 * Column values are text as stored, NULL for SQL NULL; everything is valid
 * only during the callback. */
typedef struct cs_contact {
	long long org_id;
	long long supporter_id; /* the representative supporter */
	const char *email_key;  /* lower(trim(email)) */
	int ncols;
	const char *const *names;
	const char *const *values;
	/* last-sent state for (plugin, scope, email_key); all NULL when none */
	const char *sent_hash;
	const char *sent_payload;
	const char *sent_status;
	long long sent_org_id; /* the org whose push wrote that state, 0 when none */
} cs_contact;

typedef int (*cs_contact_cb)(const cs_contact *c, void *ctx);

/* The last-sent state of one contact. */
typedef struct cs_plugin_state {
	const char *scope; /* destination-defined, e.g. the Mailchimp list id */
	const char *email_key;
	long long org_id, supporter_id;
	const char *hash;    /* of the payload now at the destination (or rejected) */
	const char *payload; /* canonical JSON of it, for field-level diffs */
	const char *status;  /* "sent", "rejected", "skipped", "consent_withdrawn" */
} cs_plugin_state;

/* The outcome of one action on one contact (plugin_outcomes). */
typedef struct cs_plugin_outcome {
	long long org_id, supporter_id;
	const char *email_key;
	const char *action; /* "create", "update", "tags", "skip", "report" */
	const char *status; /* "ok", "skipped", "rejected", "failed" */
	const char *error_title, *error_detail, *request_id; /* may be NULL */
} cs_plugin_outcome;

/* A plugin_runs row: one push of one plugin for one org. */
typedef struct cs_plugin_run {
	long long id;
	char plugin[64];
	long long org_id;
	int dry_run, full;
	char started_at[32];
	int status; /* enum cs_run_status */
	cs_push_counts counts;
	char error[1024];
} cs_plugin_run;

/* ---- Operations (migration v5): leases and alert records ---- */

/* A lease: who runs a job (an entity name, or "plugins") of an org, so two
 * processes never run it at once. Times are ms since the epoch. */
typedef struct cs_lease_info {
	long long org_id;
	char job[32];
	char holder[128]; /* "daemon pid 1234", "sync pid 99" */
	long long pid;
	char host[128];
	int64_t acquired_at_ms, expires_at_ms;
} cs_lease_info;

/* CS_CTRL_LEASES: cb once per unexpired lease (expires_at after now), in
 * the order host, pid, holder, org, job: the live workers sharing the
 * database, on every host, and what each holds. A non-zero return stops
 * the walk and is returned. */
typedef struct cs_lease_walk {
	int (*cb)(const cs_lease_info *li, void *ctx);
	void *ctx;
} cs_lease_walk;

/* An alert condition's record (mirrors ops/alert.h cs_alert_record, which
 * store/ cannot include). state: 0 none, 1 firing, 2 resolved. */
typedef struct cs_alert_row {
	char key[160];
	int state;
	int64_t since, last_sent_at; /* ms since the epoch */
	long count;
	char last_message[512];
} cs_alert_row;

typedef struct cs_store cs_store;
struct cs_store {
	int abi; /* CS_STORE_ABI */
	const char *name;

	void (*close)(cs_store *s);

	/* schema */
	int (*migrate)(cs_store *s, int *applied, cs_err *err);   /* to latest */
	int (*rollback)(cs_store *s, int *version, cs_err *err);  /* newest one down */
	int (*migrations)(cs_store *s, cs_migration_cb cb, void *ctx, cs_err *err);
	int (*reset)(cs_store *s, cs_err *err);                   /* drop everything */
	/* Reference data (segment thresholds, tag names); demo adds a generated
	 * demo organization. Never overwrites existing rows. */
	int (*seed)(cs_store *s, int demo, long long *inserted, cs_err *err);

	/* organizations */
	int (*org_put)(cs_store *s, const cs_org *org, cs_err *err); /* insert or update */
	int (*org_get)(cs_store *s, long long id, cs_org *out, cs_err *err); /* CS_ENOTFOUND */
	int (*org_list)(cs_store *s, cs_org_cb cb, void *ctx, cs_err *err);
	int (*org_remove)(cs_store *s, long long id, int purge, cs_err *err);

	/* sync bookkeeping */
	int (*state_get)(cs_store *s, long long org, int entity, cs_sync_state *out, cs_err *err);
	int (*run_begin)(cs_store *s, cs_run *run, cs_err *err); /* sets run->id */
	int (*run_finish)(cs_store *s, const cs_run *run, cs_err *err);

	/* One page = one transaction: begin, upserts, commit with the new state. */
	int (*page_begin)(cs_store *s, const char *synced_at, cs_err *err);
	int (*page_upsert)(cs_store *s, const cs_entity *e, long long org, const cs_record *rec,
			   cs_err *err);
	int (*page_commit)(cs_store *s, const cs_sync_state *state, cs_err *err);
	void (*page_abort)(cs_store *s);

	/* Soft-marks rows of org not synced since `since` (a complete full scan
	 * started then); sets *marked. */
	int (*mark_absent)(cs_store *s, const cs_entity *e, long long org, const char *since,
			   long long *marked, cs_err *err);
	/* Recomputes supporter aggregates for the supporters queued by upserts
	 * of org, then clears the queue; sets *updated. */
	int (*recompute_aggregates)(cs_store *s, long long org, long long *updated, cs_err *err);

	/* Counts per table per org, orphans, last run per org and entity, as a
	 * JSON object (documented in README `status --json`). */
	int (*status)(cs_store *s, cJSON **out, cs_err *err);

	/* Push plugins: contacts with last-sent state, state and outcome
	 * writes (one transaction), run rows, and a status summary
	 * {"last_run":{..},"outcomes":{status:count},"recent_errors":[..]}. */
	int (*contacts)(cs_store *s, long long org, const char *plugin, const char *scope,
			cs_contact_cb cb, void *ctx, cs_err *err);
	int (*plugin_record)(cs_store *s, const char *plugin, long long run_id,
			     const cs_plugin_state *states, size_t nstates,
			     const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err);
	int (*plugin_run_begin)(cs_store *s, cs_plugin_run *run, cs_err *err); /* sets id */
	int (*plugin_run_finish)(cs_store *s, const cs_plugin_run *run, cs_err *err);
	int (*plugin_status)(cs_store *s, const char *plugin, cJSON **out, cs_err *err);

	/* Leases (ABI 3). acquire: 0 when this process (holder, getpid(), this
	 * host) now holds (org, job) for ttl_ms; CS_ECONFLICT with *held_by
	 * filled when another live holder does. An expired lease, or one whose
	 * pid is dead on this host, is taken over. One IMMEDIATE transaction, so
	 * two processes cannot both win. renew: extends our lease, CS_ECONFLICT
	 * when it is no longer ours. release: drops it if ours (0 either way). */
	int (*lease_acquire)(cs_store *s, long long org, const char *job, const char *holder,
			     long ttl_ms, cs_lease_info *held_by, cs_err *err);
	int (*lease_renew)(cs_store *s, long long org, const char *job, const char *holder,
			   long ttl_ms, cs_err *err);
	int (*lease_release)(cs_store *s, long long org, const char *job, const char *holder,
			     cs_err *err);
	/* Alert records (the `alerts` table): load is CS_ENOTFOUND when key has
	 * none; save inserts or replaces. */
	int (*alert_load)(cs_store *s, const char *key, cs_alert_row *out, cs_err *err);
	int (*alert_save)(cs_store *s, const cs_alert_row *row, cs_err *err);

	/* Extension point: returns CS_ENOTFOUND for ops it does not know. */
	int (*ctrl)(cs_store *s, int op, void *arg, cs_err *err);
};

/* Opens the backend named by cfg->db_type. A backend that was not built
 * fails with a "not built" message naming DB_TYPE. */
int cs_store_open(const cs_config *cfg, cs_store **out, cs_err *err);
void cs_store_close(cs_store *s);

const char *cs_run_status_name(int status);
void cs_org_release(cs_org *org);

/* Every registered organization, copied (secret_enc included), in id order;
 * or just `only` when it is not 0 (CS_ENOTFOUND when it is not registered).
 * One collector for the commands, the daemon, health and the plugin driver. */
typedef struct cs_org_list {
	cs_org *v;
	size_t n, cap;
} cs_org_list;
int cs_org_list_load(cs_store *s, long long only, cs_org_list *out, cs_err *err);
void cs_org_list_release(cs_org_list *l);


#endif
