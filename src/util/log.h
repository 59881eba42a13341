#ifndef CS_LOG_H
#define CS_LOG_H
/* Logging to stderr, as text or as one JSON object per line. Every line goes
 * through the secret redaction (util/redact.h); still, never pass a secret
 * that was not registered there. */

enum cs_log_level { CS_LOG_DEBUG = 0, CS_LOG_INFO, CS_LOG_WARN, CS_LOG_ERROR };
enum cs_log_format { CS_LOG_TEXT = 0, CS_LOG_JSON };

void cs_log_setup(int level, int format);
int cs_log_level(void);
void cs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cs_debug(...) cs_log(CS_LOG_DEBUG, __VA_ARGS__)
#define cs_info(...) cs_log(CS_LOG_INFO, __VA_ARGS__)
#define cs_warn(...) cs_log(CS_LOG_WARN, __VA_ARGS__)
#define cs_error(...) cs_log(CS_LOG_ERROR, __VA_ARGS__)

#endif
