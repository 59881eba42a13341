#ifndef CS_ALERT_H
#define CS_ALERT_H
/* Alerts: a webhook message when something needs a human, and one more
 * when it is over.
 *
 * A condition is (event, org, entity), keyed "event:org:entity" with empty
 * parts for what does not apply: "stale:1001:supporters",
 * "supervisor_gave_up::". The daemon observes each condition as firing or
 * clear; cs_alert_decide turns that and the condition's record into send,
 * suppress or nothing (cooldown rules below), and the record is kept behind
 * cs_alert_store so that it survives restarts (the daemon stores it in the
 * `alerts` table; cs_alert_memstore is the in-memory one).
 *
 * Cooldown rules (cs_alert_decide), with the previous record and now:
 *   no record, or resolved | firing -> send firing (a new episode starts)
 *   no record, or resolved | clear  -> nothing
 *   firing                 | firing -> send again once now - last_sent_at
 *                                      >= cooldown, else suppress
 *   firing                 | clear  -> send resolved, exactly once (the
 *                                      record becomes resolved)
 * A record from the future (the clock moved back) counts as past the
 * cooldown, so a clock step cannot silence a condition.
 *
 * Payload (POST, Content-Type: application/json), compatible with Slack
 * incoming webhooks and easy for anything else to read:
 *   {
 *     "text": ":red_circle: classy-sync: supporters for org 1001 failed 3 times
 *              in a row: <detail>",                one human line
 *     "attachments": [{
 *       "fallback": <text>, "color": "danger" | "warning" | "good", "ts": <unix s>,
 *       "fields": [ {"title": "org",    "value": "1001", "short": true},
 *                   {"title": "entity", "value": "supporters", "short": true},
 *                   {"title": "event",  "value": "consecutive_failures", "short": true},
 *                   {"title": "since",  "value": "2024-05-01T10:00:00Z", "short": true},
 *                   {"title": "detail", "value": <detail>, "short": false} ]
 *     }],
 *     "event": "job_failed" | "consecutive_failures" | "stale" |
 *              "health_critical" | "supervisor_gave_up",
 *     "status": "firing" | "resolved",
 *     "condition": "consecutive_failures:1001:supporters",
 *     "org": "1001" | null, "entity": "supporters" | null,
 *     "since": ISO UTC start of the episode, "at": ISO UTC time of sending,
 *     "detail": <detail> | null
 *   }
 * Field values are "-" when they do not apply. Colors: "danger" for
 * failures, health and the supervisor, "warning" for staleness, "good" for
 * every resolved message. The detail is cut to CS_ALERT_DETAIL_MAX bytes on
 * a UTF-8 boundary. */
#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

enum cs_alert_event {
	CS_ALERT_JOB_FAILED = 0,       /* a run of (org, entity) failed */
	CS_ALERT_CONSECUTIVE_FAILURES, /* ... failed `failures` times in a row */
	CS_ALERT_STALE,                /* no successful run for too long */
	CS_ALERT_HEALTH_CRITICAL,      /* a health check is critical */
	CS_ALERT_SUPERVISOR_GAVE_UP,   /* the supervisor stopped restarting a job */
	CS_ALERT__COUNT
};

/* "job_failed", ...; NULL for an unknown event. */
const char *cs_alert_event_name(int event);

typedef struct cs_alert {
	int event;          /* enum cs_alert_event */
	long long org;      /* 0 when not about one org */
	const char *entity; /* "supporters", "mailchimp", or NULL */
	const char *detail; /* the last error, how stale, ...; may be NULL */
	int failures;       /* consecutive_failures: how many in a row */
} cs_alert;

#define CS_ALERT_KEY_MAX 160
#define CS_ALERT_MSG_MAX 512
#define CS_ALERT_DETAIL_MAX 1000

/* The condition key "event:org:entity". Returns 0, or CS_EUSAGE for an
 * unknown event or a key that does not fit. */
int cs_alert_key(const cs_alert *a, char *out, size_t outsz);

enum cs_alert_state { CS_ALERT_STATE_NONE = 0, CS_ALERT_STATE_FIRING, CS_ALERT_STATE_RESOLVED };

/* What is remembered about a condition between observations. */
typedef struct cs_alert_record {
	char key[CS_ALERT_KEY_MAX];
	int state;            /* enum cs_alert_state */
	int64_t last_sent_at; /* ms since the epoch, the last message of either kind */
	int64_t since;        /* ms, when the current (or last) firing episode began */
	long count;           /* firing messages sent in this episode */
	char last_message[CS_ALERT_MSG_MAX]; /* the text of the last message */
} cs_alert_record;

enum cs_alert_decision {
	CS_ALERT_NOTHING = 0,
	CS_ALERT_SEND_FIRING,
	CS_ALERT_SUPPRESS,
	CS_ALERT_SEND_RESOLVED
};

/* The rules above. prev is NULL when the condition has no record. Pure. */
int cs_alert_decide(const cs_alert_record *prev, int firing, int64_t now_ms, int64_t cooldown_ms);

/* Updates rec after a decision was carried out (only the two sends change
 * it): state, last_sent_at, since (a new episode), count, last_message. */
void cs_alert_record_apply(cs_alert_record *rec, int decision, int64_t now_ms, const char *text);

/* The human line for a message, status CS_ALERT_STATE_FIRING or _RESOLVED. */
void cs_alert_text(const cs_alert *a, int status, char *out, size_t outsz);

/* Appends the JSON payload documented above to out. */
int cs_alert_payload(const cs_alert *a, int status, int64_t since_ms, int64_t now_ms,
		     cs_buf *out, cs_err *err);

/* ---- persistence of records ---------------------------------------------- */

typedef struct cs_alert_store {
	void *ctx;
	/* 0 and fills rec; CS_ENOTFOUND when key has no record; other
	 * negative codes on failure. */
	int (*load)(void *ctx, const char *key, cs_alert_record *rec, cs_err *err);
	/* Inserts or replaces the record of rec->key. */
	int (*save)(void *ctx, const cs_alert_record *rec, cs_err *err);
} cs_alert_store;

/* Records in memory, thread-safe: for tests, and for a daemon run without
 * a database. */
typedef struct cs_alert_memstore cs_alert_memstore;
cs_alert_memstore *cs_alert_memstore_new(void);
void cs_alert_memstore_free(cs_alert_memstore *ms); /* NULL is a no-op */
cs_alert_store cs_alert_memstore_store(cs_alert_memstore *ms);

/* ---- configuration ------------------------------------------------------- */

typedef struct cs_alert_config {
	char url[2048]; /* ALERT_WEBHOOK_URL; "" means alerts are off. A secret:
			 * Slack's URLs carry the token in their path. */
	int allow_http; /* ALERT_ALLOW_HTTP=1 accepts http:// (a local relay) */
} cs_alert_config;

/* Reads ALERT_WEBHOOK_URL and ALERT_ALLOW_HTTP through cs_config_env_lookup and
 * checks them with cs_alert_check_url. CS_EUSAGE names the variable. */
int cs_alert_config_from_env(cs_alert_config *c, cs_err *err);

/* The URL must be https://HOST..., or http://HOST... with allow_http.
 * Messages show the URL only as scheme://host. */
int cs_alert_check_url(const char *url, int allow_http, cs_err *err);

/* "https://hooks.slack.com/services/T0/B0/secret" -> "https://hooks.slack.com":
 * what may be logged of a webhook URL (user info, path and query dropped). */
void cs_alert_redact_url(const char *url, char *out, size_t outsz);

/* ---- delivery ------------------------------------------------------------ */

typedef struct cs_alerter cs_alerter;

typedef struct cs_alerter_opts {
	const char *url;         /* checked with cs_alert_check_url */
	int allow_http;
	size_t queue_max;        /* messages waiting, default 64; the oldest drop first */
	long retry_budget_ms;    /* total backoff per message, default 60 000 */
	long timeout_ms;         /* one attempt, default 10 000 */
	int64_t cooldown_ms;     /* repeat a firing condition after this, default 1 h */
	const cs_alert_store *store; /* copied; NULL: an internal memstore */
} cs_alerter_opts;

typedef struct cs_alerter_stats {
	long pending;   /* waiting or in flight */
	long sent;      /* answered 2xx */
	long failed;    /* given up: retries ran out, or a 4xx answer */
	long dropped;   /* pushed out of a full queue, or left at shutdown */
} cs_alerter_stats;

/* Checks the URL and starts the delivery thread. */
int cs_alerter_new(const cs_alerter_opts *opts, cs_alerter **out, cs_err *err);

/* Stops the thread, abandoning an attempt in flight and what is queued
 * (logged); call cs_alerter_flush first for a clean shutdown. NULL is a
 * no-op. */
void cs_alerter_free(cs_alerter *a);

/* Queues a JSON body for the webhook. Never blocks on the network: when the
 * queue is full the oldest message is dropped with a warning. Returns 0, or
 * CS_ERR when out of memory (the message is lost). */
int cs_alerter_enqueue(cs_alerter *a, const char *json);

/* Observes a condition at now_ms: loads its record, decides, and on a send
 * queues the payload and saves the updated record. Returns the decision
 * (>= 0), or a negative code when the store failed (a message may have been
 * queued already). Serialised, so two threads cannot both send. */
int cs_alerter_observe(cs_alerter *a, const cs_alert *al, int firing, int64_t now_ms,
		       cs_err *err);

/* Waits up to timeout_ms (on a condition variable) until every queued
 * message was handled: delivered, or given up. Returns how many are still
 * waiting or in flight, so 0 means nothing is left. */
int cs_alerter_flush(cs_alerter *a, long timeout_ms);

void cs_alerter_get_stats(cs_alerter *a, cs_alerter_stats *out);

#endif
