#ifndef CS_NOTIFY_H
#define CS_NOTIFY_H
/* The systemd notify protocol, spoken directly (no libsystemd): one
 * datagram of newline-separated VAR=value lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET, a filesystem path or, when it starts with '@', a name
 * in the abstract namespace. Outside systemd (NOTIFY_SOCKET unset) every
 * call is a successful no-op, so the daemon calls them unconditionally.
 *
 * The daemon sends READY=1 once the config is loaded and the timetable
 * built, STATUS=... as the work changes, STOPPING=1 on SIGTERM, and
 * WATCHDOG=1 from its work loop every cs_notify_watchdog_usec() / 2, so
 * that a hung loop (not just a live process) trips the watchdog.
 *
 * Return values: 0 sent (or nothing to do); CS_EUSAGE when NOTIFY_SOCKET
 * is not an absolute path or '@' name or is too long; CS_EIO when the
 * socket or the send failed (errno is kept for the caller's message). */

int cs_notify(const char *state);

int cs_notify_ready(void);    /* "READY=1" */
int cs_notify_stopping(void); /* "STOPPING=1" */
int cs_notify_watchdog(void); /* "WATCHDOG=1" */
/* "STATUS=<formatted>"; newlines become spaces, so a status can never
 * smuggle in another assignment such as READY=1. */
int cs_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* $WATCHDOG_USEC when the watchdog is meant for this process: when
 * WATCHDOG_PID is unset or equals getpid(). 0 when unset, not a positive
 * number, or meant for another process. */
long long cs_notify_watchdog_usec(void);

#endif
