/* The systemd notify protocol, spoken directly (notify.h): one datagram to
 * $NOTIFY_SOCKET per message. Follows systemd's
 * man/notify-selfcontained-example.c: a fresh socket per message keeps
 * this stateless and safe after fork, and the messages are rare (seconds
 * apart at the most).
 *
 * Never fails the daemon outside systemd (no NOTIFY_SOCKET: a successful
 * no-op), and never lets a STATUS text carry a newline into another
 * assignment. */
#include "daemon/notify.h"

#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>


static int notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sa->sun_path))
		return CS_EUSAGE;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract: the name is the bytes that follow */
	/* no terminating NUL counted: abstract names are exactly n bytes */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int cs_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	if (!name || !*name)
		return 0;
	struct sockaddr_un sa;
	socklen_t len;
	if (notify_addr(name, &sa, &len))
		return CS_EUSAGE;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CS_EIO;
	size_t n = strlen(state);
	ssize_t sent = sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)n ? 0 : CS_EIO;
}

int cs_notify_ready(void)
{
	return cs_notify("READY=1");
}

int cs_notify_stopping(void)
{
	return cs_notify("STOPPING=1");
}

int cs_notify_watchdog(void)
{
	return cs_notify("WATCHDOG=1");
}

int cs_notify_status(const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "STATUS=");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return cs_notify(msg);
}

/* A positive decimal number, nothing else; -1 otherwise. */
static long long parse_positive(const char *s)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return (*end || errno || v <= 0) ? -1 : v;
}

long long cs_notify_watchdog_usec(void)
{
	long long usec = parse_positive(getenv("WATCHDOG_USEC"));
	if (usec <= 0)
		return 0;
	/* set for a parent or child of ours, not us (systemd sets it for the
	 * main pid; a forked helper inherits the environment) */
	const char *pid = getenv("WATCHDOG_PID");
	if (pid && parse_positive(pid) != (long long)getpid())
		return 0;
	return usec;
}
