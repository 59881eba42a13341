#ifndef CS_MC_INT_H
#define CS_MC_INT_H
/* Internals of the Mailchimp plugin, shared by its files:
 *   mc_config.c   keys, per-org lists, merge-field mapping
 *   mc_fields.c   contact -> payload (merge fields, tags), diffs
 *   mc_preflight.c ping, list, merge-field check and creation
 *   mc_plan.c     contacts -> plan items against the last-sent state
 *   mc_members.c  what Mailchimp holds: status scan and full snapshot
 *   mc_push.c     batch subscribe, PUT, tags; outcomes and state
 *   mailchimp.c   the plugin descriptor and lifecycle */
#include "plugin/plugin.h"
#include "plugin/mailchimp/mc_client.h"
#include "util/idset.h"

#include <stddef.h>

#define MC_MAX_FIELDS 32
#define MC_MAX_ORG_LISTS 64
#define MC_SUBSCRIBE_CHUNK 500 /* the API's limit per batch-subscribe call */
#define MC_BATCH_CHUNK 1000    /* operations per /batches call */

/* How a column becomes a merge-field value. */
enum mc_ftype { MC_F_TEXT = 0, MC_F_NUMBER, MC_F_DATE, MC_F_YESNO };

typedef struct mc_field {
	char tag[11];     /* merge tag, at most 10 characters */
	char column[64];  /* contact_segments column */
	int type;         /* enum mc_ftype */
} mc_field;

typedef struct mc_org_list {
	long long org_id;
	char list_id[64];
} mc_org_list;

typedef struct mc_config {
	char api_key[128]; /* secret */
	char api_url[512];
	char list_id[64];
	char tag_prefix[64];
	char status_if_new[16]; /* "subscribed" or "pending" */
	int concurrency;
	long batch_min; /* updates + tag calls at or above this go through /batches */
	mc_org_list org_lists[MC_MAX_ORG_LISTS];
	int norg_lists;
	mc_field fields[MC_MAX_FIELDS];
	int nfields;
} mc_config;

/* The plugin's configuration keys (the descriptor's key table). */
extern const cs_plugin_key mc_config_keys[];
int mc_config_load(mc_config *cfg, cs_err *err);
/* Parses MAILCHIMP_MERGE_FIELDS ("FNAME,LNAME,TOTALAMT" or "TAG=column:type"). */
int mc_fields_parse(const char *spec, mc_field *out, int max, int *n, cs_err *err);
/* Parses MAILCHIMP_ORG_LISTS ("1001=abc123,1002=def456"). */
int mc_org_lists_parse(const char *spec, mc_org_list *out, int max, int *n, cs_err *err);
const char *mc_list_for_org(const mc_config *cfg, long long org_id);
const char *mc_ftype_name(int type);

/* ---- payloads (mc_fields.c) ---- */

/* The merge fields and managed tags a contact should have, as canonical
 * JSON {"email":..,"merge_fields":{..},"tags":[sorted]}; caller frees. */
char *mc_payload(const mc_config *cfg, const cs_contact *c);
/* The merge-field value of one column value, as a new cJSON item. */
cJSON *mc_field_value(const mc_field *f, const char *v);
/* Fields of new that differ from old (NULL old: every field), appended to
 * changes as {"field","from","to"} strings; returns how many. */
int mc_merge_diff(const cJSON *old_merge, const cJSON *new_merge, cJSON *changes);
/* Tags in a but not in b, appended to out as strings. */
int mc_tags_minus(const cJSON *a, const cJSON *b, cJSON *out);
int mc_has_prefix(const char *tag, const char *prefix);

/* ---- what Mailchimp holds (mc_members.c) ---- */

typedef struct mc_member {
	char hash[33];
	char status[16];
	cJSON *merge; /* full snapshot only: merge fields and prefixed tags */
	cJSON *tags;
} mc_member;

typedef struct mc_members {
	mc_member *v;
	size_t n, cap;
	int sorted;
} mc_members;

/* Members whose status is unsubscribed, cleaned or archived (status scan),
 * or every member with merge fields and tags when full. */
int mc_members_fetch(mc_client *c, const mc_config *cfg, const char *list, int full,
		     mc_members *out, cs_err *err);
const mc_member *mc_members_find(mc_members *m, const char *hash);
void mc_members_release(mc_members *m);
/* Whether a status can never be written to (cleaned, unsubscribed, archived). */
int mc_status_locked(const char *status);

/* ---- preflight (mc_preflight.c) ---- */

/* GET /ping, GET /lists/{id}, merge fields: each mapped tag must exist with
 * a compatible type; missing ones are created when create is set (and not
 * dry), else the error lists them. */
int mc_preflight(mc_client *c, const mc_config *cfg, const char *list, int create, int dry,
		 char *note, size_t notesz, cs_err *err);

/* ---- plan and push ---- */

enum mc_kind { MC_CREATE = 0, MC_UPDATE };

/* One contact with something to send. Kept small (strings only): a first
 * push plans every consenting supporter. */
typedef struct mc_item {
	long long org_id, supporter_id;
	char *email_key, *email;
	char *payload;   /* canonical desired payload; its merge_fields are sent */
	char *tags_body; /* JSON array of {"name","status"} changes, or NULL */
	char phash[65], shash[33]; /* payload hash, subscriber hash */
	int kind;                  /* enum mc_kind */
	int merge_changed;         /* an update with field changes: PUT */
	/* results, filled by the push */
	int created, updated, tagged;
	int failed, rejected, skipped; /* final verdicts; none = all ok */
	const char *failed_action;     /* "create", "update" or "tags" */
	struct mc_why *why;            /* allocated on the first problem only */
} mc_item;

/* Why an item failed, was rejected or skipped: kept out of mc_item so a
 * plan of contacts that all go through costs no message buffers. */
typedef struct mc_why {
	char title[128], detail[512], request_id[128];
} mc_why;

/* it->why, allocated on first use (a shared fallback when out of memory,
 * so a message may then be wrong but never lost to a crash). */
mc_why *mc_item_why(mc_item *it);

typedef struct mc_plan {
	mc_item *v;
	size_t n, cap;
} mc_plan;

/* A state change (and report) found while planning, written by the push
 * (never by a dry run, so a real run still reports it). */
typedef struct mc_note {
	long long org_id, supporter_id;
	char *email_key, *payload;
	char hash[65];
	const char *scope;  /* a list id of the configuration */
	const char *status; /* new plugin_state status */
	const char *title, *detail; /* outcome to report, or NULL title for none */
} mc_note;

typedef struct mc_plugin {
	const cs_plugin_host *host;
	mc_config cfg;
	mc_client *client;
	mc_plan plan;
	const char *list; /* of the org being planned */
	int create_fields;
	/* lists already checked in this command (preflight once per list) */
	char checked[MC_MAX_ORG_LISTS + 1][64];
	int nchecked;
	/* subscriber hashes planned in this command, per list, so two orgs
	 * sharing a list never send one person twice */
	cs_idset seen;
	/* planning scratch */
	mc_members members;
	int full;
	long long limit;
	cs_push_counts *counts;
	cJSON *samples;
	struct mc_note *notes; /* state-only changes found while planning */
	size_t nnotes, capnotes;
} mc_plugin;

int mc_plan_org(mc_plugin *mp, long long org, const cs_plugin_push_opts *opts,
		cs_push_counts *counts, cJSON *samples, cs_err *err);
void mc_plan_clear(mc_plan *p);
int mc_push_plan(mc_plugin *mp, cs_push_counts *counts, cs_err *err);
/* Writes the state-only rows collected while planning. */
int mc_flush_pending(mc_plugin *mp, cs_err *err);

#endif
