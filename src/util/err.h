#ifndef CS_ERR_H
#define CS_ERR_H
/* Error convention: a function that can fail returns int (0 ok, negative on
 * failure) and fills the cs_err passed last. Only the command layer prints. */
#include <stdarg.h>

enum cs_code {
	CS_OK = 0,
	CS_ERR = -1,        /* generic failure */
	CS_ENOTFOUND = -2,  /* the thing asked for does not exist */
	CS_ERATELIMIT = -3, /* throttled and out of retries */
	CS_EAUTH = -4,      /* credentials rejected */
	CS_ECONFLICT = -5,  /* already exists / a lease held by another run */
	CS_EUSAGE = -6,     /* bad input from the user: config, flags */
	CS_EIO = -7,        /* local I/O: disk full, read-only, permissions */
	CS_ETRANSPORT = -8, /* network: timeout, reset, truncated body */
	CS_EPROTO = -9,     /* the API answered something we cannot use */
	CS_EINTR = -10,     /* stopped by a signal */
	CS_EHTTP = -11,     /* the API answered a 4xx we do not retry */
	CS_EBUSY = -12,     /* the database is locked by another process */
	CS_EDBCONN = -13    /* the connection to the database server was lost */
};

/* Process exit codes, shared by every command. 130 (128 + SIGINT, the
 * shell's convention) when Ctrl-C stopped a command cleanly. */
enum cs_exit {
	CS_EXIT_OK = 0,
	CS_EXIT_FAIL = 1,
	CS_EXIT_USAGE = 2,
	CS_EXIT_PARTIAL = 3,
	CS_EXIT_INTERRUPTED = 130
};

typedef struct cs_err {
	int code;
	long http_status; /* when the failure came from an HTTP answer, else 0 */
	char msg[1024];
} cs_err;

/* Sets code and message, returns code so callers can `return cs_err_set(...)`. */
int cs_err_set(cs_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the existing message: "context: old message". Returns e->code. */
int cs_err_wrap(cs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cs_err_clear(cs_err *e);
/* Maps an error code to the exit code a command should return. */
int cs_err_exit_code(int code);

#endif
