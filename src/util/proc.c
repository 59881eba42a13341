/* Process liveness, shared by leases, run bookkeeping and `health` (a
 * zombie counts as gone, another user's process as alive), the host name a
 * pid belongs to, and the
 * process's own hardening at start. It only asks about other processes: it
 * must never signal one for real. */
#include "util/proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static char g_host[128];

void cs_proc_set_host_name(const char *name)
{
	snprintf(g_host, sizeof(g_host), "%s", name ? name : "");
}

void cs_proc_host_name(char *out, size_t n)
{
	if (n == 0)
		return;
	if (g_host[0])
		snprintf(out, n, "%s", g_host);
	else if (gethostname(out, n) != 0)
		snprintf(out, n, "unknown");
	out[n - 1] = '\0';
}

int cs_proc_lockdown(void)
{
	mode_t old = umask(077);
	umask(old | 077);
	struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return -1;
	/* valgrind and the sanitizers run inside the process and keep working;
	 * LeakSanitizer makes the process dumpable again for its own check. */
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

int cs_proc_pid_alive(long long pid)
{
	if (pid < 1 || pid != (long long)(pid_t)pid)
		return 0;
	if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
		return 0;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 1; /* no /proc: trust kill() */
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	const char *p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}
