#ifndef CS_PROC_H
#define CS_PROC_H
#include <stddef.h>

/* Whether a process of this host still runs: it exists and is not a zombie.
 * A zombie has exited: it only waits to be reaped, which in a container
 * whose pid 1 does not reap can be forever, so kill(pid, 0) alone would
 * call it alive. EPERM (another user's process) counts as alive. */
int cs_proc_pid_alive(long long pid);

/* This host's name as leases and run rows record it (gethostname; "unknown"
 * when it fails), so a pid is always read with the host it belongs to. */
void cs_proc_host_name(char *out, size_t n);
/* Replaces the name cs_proc_host_name gives (CLASSY_SYNC_HOST: workers
 * whose pids mean nothing to each other but that share a host name, such as
 * containers with host networking); NULL or "" restores gethostname. Call
 * it once at start, before any thread. */
void cs_proc_set_host_name(const char *name);

/* Process hardening, once at start (cmd/top.c), inherited by the daemon's
 * forks:
 *  - no core dumps: RLIMIT_CORE 0, and PR_SET_DUMPABLE 0, which also keeps
 *    other processes of the same user from attaching (ptrace) or reading
 *    /proc/PID/mem, environ and fd. A core or such a read would hold the
 *    URL-encoded form with the client secret and the bearer token;
 *  - files private to the user: umask 077 added to the caller's, so every
 *    file created is 0600 (the database and its -wal/-shm, status file,
 *    pidfile, log, key, exports) and every directory 0700, whatever the
 *    umask was.
 * Returns 0, or -1 (errno set) when a limit could not be set. */
int cs_proc_lockdown(void);

#endif
