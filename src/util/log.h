#ifndef CS_LOG_H
#define CS_LOG_H
/* Logging to stderr, as text or as one JSON object per line. Every line goes
 * through the secret redaction (util/redact.h); still, never pass a secret
 * that was not registered there.
 *
 * Structured fields: a caller that logs about one thing (a sync task: its
 * org, entity, run id and mode) keeps a cs_log_ctx of key/values and logs
 * with cs_logc; a line may add its own fields (counts, duration_ms) as a
 * NULL-key terminated cs_log_field table. In LOG_FORMAT=json every field
 * is a member of the line's object, after ts, level and msg; text lines
 * look as they always did (the message says what the fields say). */
#include <stddef.h>

enum cs_log_level { CS_LOG_DEBUG = 0, CS_LOG_INFO, CS_LOG_WARN, CS_LOG_ERROR };
enum cs_log_format { CS_LOG_TEXT = 0, CS_LOG_JSON };

void cs_log_setup(int level, int format);
int cs_log_level(void);
void cs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cs_debug(...) cs_log(CS_LOG_DEBUG, __VA_ARGS__)
#define cs_info(...) cs_log(CS_LOG_INFO, __VA_ARGS__)
#define cs_warn(...) cs_log(CS_LOG_WARN, __VA_ARGS__)
#define cs_error(...) cs_log(CS_LOG_ERROR, __VA_ARGS__)

/* One field: a string (str non-NULL, redacted like the message) or a
 * whole number. */
typedef struct cs_log_field {
	const char *key;
	const char *str;
	long long num;
} cs_log_field;
#define CS_LOG_NUM(k, v) {(k), NULL, (long long)(v)}
#define CS_LOG_STR(k, v) {(k), (v), 0}
#define CS_LOG_END {NULL, NULL, 0}

#define CS_LOG_CTX_MAX 6
typedef struct cs_log_ctx {
	cs_log_field f[CS_LOG_CTX_MAX];
	int n;
} cs_log_ctx;
/* Sets key (replacing its value when present; a full context ignores new
 * keys). String values are not copied: they must outlive the context. */
void cs_log_ctx_str(cs_log_ctx *c, const char *key, const char *v);
void cs_log_ctx_num(cs_log_ctx *c, const char *key, long long v);

/* cs_log with the fields of ctx (may be NULL) and then extra (NULL-key
 * terminated, may be NULL). */
void cs_logc(int level, const cs_log_ctx *ctx, const cs_log_field *extra, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A live terminal display on stderr (the sync progress) that log lines
 * must not garble: erase(ud) runs under the log's lock before every line
 * is written (the display redraws on its next frame), and the display
 * draws between cs_log_lock and cs_log_unlock. NULL erase removes it. */
void cs_log_set_display(void (*erase)(void *ud), void *ud);
void cs_log_lock(void);
void cs_log_unlock(void);

#endif
