/* Logging to stderr, as text or as one JSON object per line, serialised by
 * one lock so lines of two threads never interleave. Every line is redacted
 * (util/redact.h) before it is cut to fit, so a registered secret never
 * reaches the log, even when a caller passes one by mistake. It must never
 * write to stdout (results live there). */
#include "util/log.h"

#include "util/buf.h"
#include "util/redact.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int g_level = CS_LOG_INFO;
static int g_format = CS_LOG_TEXT;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const names[] = {"debug", "info", "warn", "error"};

void cs_log_setup(int level, int format)
{
	g_level = level;
	g_format = format;
}

int cs_log_level(void)
{
	return g_level;
}

void cs_log(int level, const char *fmt, ...)
{
	if (level < g_level || level < CS_LOG_DEBUG || level > CS_LOG_ERROR)
		return;
	char msg[2048], ts[64];
	va_list ap;
	va_start(ap, fmt);
	cs_redact_vformat(msg, sizeof(msg), NULL, fmt, ap);
	va_end(ap);

	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);

	pthread_mutex_lock(&g_lock);
	if (g_format == CS_LOG_JSON) {
		cs_buf b = CS_BUF_INIT;
		cs_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[level]);
		cs_buf_json_str(&b, msg);
		cs_buf_puts(&b, "}\n");
		fputs(cs_buf_str(&b), stderr);
		cs_buf_release(&b);
	} else {
		fprintf(stderr, "%s %-5s %s\n", ts, names[level], msg);
	}
	fflush(stderr);
	pthread_mutex_unlock(&g_lock);
}
