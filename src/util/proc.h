#ifndef CS_PROC_H
#define CS_PROC_H
/* Whether a process of this host still runs: it exists and is not a zombie.
 * A zombie has exited: it only waits to be reaped, which in a container
 * whose pid 1 does not reap can be forever, so kill(pid, 0) alone would
 * call it alive. EPERM (another user's process) counts as alive. */
int cs_proc_pid_alive(long long pid);

#endif
