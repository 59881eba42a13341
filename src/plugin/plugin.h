#ifndef CS_PLUGIN_H
#define CS_PLUGIN_H
/* Push destinations are plugins: a versioned descriptor of lifecycle hooks
 * plus a table of the plugin's own configuration keys. Registration is
 * static, by name (plugin/registry/registry.h). The core owns everything a
 * destination has in common: the command line, reading the audience from
 * the store, the last-sent state used for diffing, outcome rows and run
 * rows. A plugin owns only the conversation with its destination.
 *
 * Lifecycle, as `classy-sync <plugin> sync` drives it:
 *   init -> configure -> plan -> (push unless dry run) -> close
 * and `classy-sync health <plugin>`: init -> configure -> health -> close.
 * See docs/PLUGINS.md. */
#include "store/store.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define CS_PLUGIN_ABI 1
#define CS_PLUGIN_SAMPLES 10

/* One configuration key of a plugin, read through cs_config_env_lookup (the
 * environment wins over .env). Shown by `config show` with secrets
 * redacted; a required key that is unset fails with a message naming it. */
typedef struct cs_plugin_key {
	const char *name; /* "MAILCHIMP_API_KEY"; NULL ends the table */
	int required;
	int secret;
	const char *def;  /* default, or NULL */
	const char *help;
} cs_plugin_key;

/* A plugin-specific boolean flag of `<plugin> sync` (e.g. --create-fields). */
typedef struct cs_plugin_flag {
	const char *name; /* long name without dashes; NULL ends the table */
	const char *help;
} cs_plugin_flag;

/* What the user asked for on the command line. */
typedef struct cs_plugin_push_opts {
	long long org_id;  /* 0: every organization */
	int dry_run;       /* plan and print; no write request of any kind */
	long long limit;   /* at most this many contacts with changes; 0 = all */
	int full;          /* ignore the last-sent state, diff against the destination */
	unsigned flags;    /* bit i set: plugin flag i was given */
} cs_plugin_push_opts;

typedef struct cs_plugin cs_plugin;
typedef struct cs_plugin_host cs_plugin_host;

struct cs_plugin {
	int abi; /* CS_PLUGIN_ABI */
	const char *name;    /* command and state name: "mailchimp" */
	const char *summary; /* one line for help */
	const cs_plugin_key *keys;
	const cs_plugin_flag *flags; /* may be NULL */

	/* Allocates the plugin's private state. */
	int (*init)(const cs_plugin_host *host, void **self, cs_err *err);
	/* Reads and validates the plugin's keys (CS_EUSAGE naming the key). */
	int (*configure)(void *self, cs_err *err);
	/* Live check of the destination (ping, list): fills a one-line message;
	 * returns 0 when healthy. */
	int (*health)(void *self, char *msg, size_t msgsz, cs_err *err);
	/* Computes the changes for one organization and keeps them in self.
	 * Appends up to CS_PLUGIN_SAMPLES sample diffs to the samples array
	 * ({"email","action","changes":[{"field","from","to"}],"tags_add",
	 * "tags_remove"}); the command prints them. Makes no write request. */
	int (*plan)(void *self, long long org_id, const cs_plugin_push_opts *opts,
		    cs_push_counts *counts, cJSON *samples, cs_err *err);
	/* Sends the planned changes and records outcomes and last-sent state
	 * through the host. Per-record failures are counted, not returned. */
	int (*push)(void *self, long long org_id, cs_push_counts *counts, cs_err *err);
	void (*close)(void *self);
};

/* ---- What the core offers a plugin ---- */

/* Given to init; the core keeps it alive until close and sets run_id before
 * each org's plan. */
struct cs_plugin_host {
	cs_store *store;
	const char *plugin; /* the plugin's name, for state rows */
	long long run_id;   /* of the plugin_runs row of the org being pushed */
	int (*should_stop)(void);
	int stderr_tty;
};

/* Walks the org's contacts (every one with a non-empty email, consenting or
 * not) with the last-sent state of scope. */
int cs_plugin_contacts(const cs_plugin_host *h, long long org_id, const char *scope,
		       cs_contact_cb cb, void *ctx, cs_err *err);
/* Writes states and outcomes in one transaction; either may be n == 0. */
int cs_plugin_record(const cs_plugin_host *h, const cs_plugin_state *states, size_t nstates,
		     const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err);

/* Value of column name in c, or NULL (also when the column is absent). */
const char *cs_plugin_contact_get(const cs_contact *c, const char *name);
/* Consent as stored: 1, true, 't', 'yes' (any case) count; anything else
 * does not. */
int cs_plugin_consent_true(const char *v);
/* Syntactic email check: one '@', a non-empty local part, a dotted domain
 * without spaces or empty labels. Works on the trimmed address. */
int cs_plugin_email_valid(const char *email);
/* Whether a contact may be sent: consent as stored and a valid email. */
enum cs_plugin_contact_verdict {
	CS_PLUGIN_CONTACT_SEND = 0,
	CS_PLUGIN_CONTACT_NO_CONSENT,
	CS_PLUGIN_CONTACT_BAD_EMAIL
};
int cs_plugin_contact_verdict(const cs_contact *c);
/* Lowercase hex SHA-256 of data (65 bytes with the NUL). */
void cs_plugin_payload_hash(const char *data, size_t len, char out[65]);

#endif
