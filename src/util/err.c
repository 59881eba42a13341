/* The error struct every fallible call fills (message, code, HTTP status)
 * and the map from codes to exit codes. Every message is redacted
 * (util/redact.h) as it is made, before it is cut to fit, so no message can
 * carry a secret or a fragment of one, wherever it goes next (stderr, the
 * database, an alert). It must never print: only the command layer and the
 * daemon loop report errors. */
#include "util/err.h"

#include "util/redact.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int cs_err_set(cs_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	cs_redact_vformat(e->msg, sizeof(e->msg), NULL, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

int cs_err_wrap(cs_err *e, const char *fmt, ...)
{
	if (!e)
		return CS_ERR;
	/* "prefix: old", redacted as one text; when cut, the end goes (the
	 * prefix matters most). */
	char old[sizeof(e->msg) + 2];
	snprintf(old, sizeof(old), ": %s", e->msg);
	va_list ap;
	va_start(ap, fmt);
	cs_redact_vformat(e->msg, sizeof(e->msg), old, fmt, ap);
	va_end(ap);
	sodium_memzero(old, sizeof(old));
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
