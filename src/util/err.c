/* The error struct every fallible call fills (message, code, HTTP status)
 * and the map from codes to exit codes. It must never print: only the
 * command layer and the daemon loop report errors. */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

int cs_err_set(cs_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

int cs_err_wrap(cs_err *e, const char *fmt, ...)
{
	if (!e)
		return CS_ERR;
	char prefix[512], old[sizeof(e->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation of very long chains is acceptable: the prefix matters most. */
	size_t n = strlen(prefix);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, prefix, n);
	memcpy(e->msg + n, ": ", 2);
	size_t room = sizeof(e->msg) - n - 3;
	size_t m = strnlen(old, room);
	memcpy(e->msg + n + 2, old, m);
	e->msg[n + 2 + m] = '\0';
	if (e->code == 0)
		e->code = CS_ERR;
	return e->code;
}

void cs_err_clear(cs_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->http_status = 0;
	e->msg[0] = '\0';
}

int cs_err_exit_code(int code)
{
	if (code == 0)
		return CS_EXIT_OK;
	if (code == CS_EUSAGE)
		return CS_EXIT_USAGE;
	return CS_EXIT_FAIL;
}
