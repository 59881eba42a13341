/* Logging to stderr, as text or as one JSON object per line, serialised by
 * one lock so lines of two threads never interleave (nor a line and the
 * live display that registered with cs_log_set_display). Every line is
 * redacted (util/redact.h) before it is cut to fit, string fields too, so a
 * registered secret never reaches the log, even when a caller passes one by
 * mistake. It must never write to stdout (results live there). */
#include "util/log.h"

#include "util/buf.h"
#include "util/redact.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int g_level = CS_LOG_INFO;
static int g_format = CS_LOG_TEXT;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*g_erase)(void *ud);
static void *g_erase_ud;
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

void cs_log_lock(void)
{
	pthread_mutex_lock(&g_lock);
}

void cs_log_unlock(void)
{
	pthread_mutex_unlock(&g_lock);
}

void cs_log_set_display(void (*erase)(void *ud), void *ud)
{
	pthread_mutex_lock(&g_lock);
	g_erase = erase;
	g_erase_ud = ud;
	pthread_mutex_unlock(&g_lock);
}

static cs_log_field *ctx_slot(cs_log_ctx *c, const char *key)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->f[i].key, key))
			return &c->f[i];
	if (c->n == CS_LOG_CTX_MAX)
		return NULL;
	c->f[c->n].key = key;
	return &c->f[c->n++];
}

void cs_log_ctx_str(cs_log_ctx *c, const char *key, const char *v)
{
	cs_log_field *f = ctx_slot(c, key);
	if (f)
		*f = (cs_log_field)CS_LOG_STR(key, v ? v : "");
}

void cs_log_ctx_num(cs_log_ctx *c, const char *key, long long v)
{
	cs_log_field *f = ctx_slot(c, key);
	if (f)
		*f = (cs_log_field)CS_LOG_NUM(key, v);
}

static void json_fields(cs_buf *b, const cs_log_field *f, int n)
{
	for (int i = 0; (n < 0 || i < n) && f[i].key; i++) {
		cs_buf_puts(b, ",");
		cs_buf_json_str(b, f[i].key);
		cs_buf_puts(b, ":");
		if (!f[i].str) {
			cs_buf_printf(b, "%lld", f[i].num);
			continue;
		}
		char *s = cs_redact_dup(f[i].str);
		cs_buf_json_str(b, s ? s : "");
		free(s);
	}
}

static void vlog(int level, const cs_log_ctx *ctx, const cs_log_field *extra, const char *fmt,
		 va_list ap)
{
	if (level < g_level || level < CS_LOG_DEBUG || level > CS_LOG_ERROR)
		return;
	char msg[2048], ts[64];
	cs_redact_vformat(msg, sizeof(msg), NULL, fmt, ap);

	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);

	cs_buf b = CS_BUF_INIT;
	if (g_format == CS_LOG_JSON) {
		cs_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[level]);
		cs_buf_json_str(&b, msg);
		if (ctx)
			json_fields(&b, ctx->f, ctx->n);
		if (extra)
			json_fields(&b, extra, -1);
		cs_buf_puts(&b, "}\n");
	} else {
		cs_buf_printf(&b, "%s %-5s %s\n", ts, names[level], msg);
	}
	pthread_mutex_lock(&g_lock);
	if (g_erase)
		g_erase(g_erase_ud);
	fputs(cs_buf_str(&b), stderr);
	fflush(stderr);
	pthread_mutex_unlock(&g_lock);
	cs_buf_release(&b);
}

void cs_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, NULL, NULL, fmt, ap);
	va_end(ap);
}

void cs_logc(int level, const cs_log_ctx *ctx, const cs_log_field *extra, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, ctx, extra, fmt, ap);
	va_end(ap);
}
