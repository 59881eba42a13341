/* Process liveness: a running process is alive, an exited one that has not
 * been reaped (a zombie) is not, nor are impossible pids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/proc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_alive_and_zombie(void **state)
{
	(void)state;
	assert_true(cs_proc_pid_alive(getpid()));
	assert_false(cs_proc_pid_alive(0));
	assert_false(cs_proc_pid_alive(-3));
	assert_false(cs_proc_pid_alive(1LL << 40));
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;
		close(fds[1]);
		(void)!read(fds[0], &c, 1); /* wait for the parent's go */
		_exit(0);
	}
	close(fds[0]);
	assert_true(cs_proc_pid_alive(child)); /* blocked in read: running */
	close(fds[1]);                    /* let it exit */
	siginfo_t si;
	/* wait until it has exited, without reaping it: now a zombie */
	assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	assert_false(cs_proc_pid_alive(child));
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_false(cs_proc_pid_alive(child));
}

/* Start-up hardening: no core dumps, not dumpable, and files 0600 /
 * directories 0700 even under umask 000. */
static void test_lockdown(void **state)
{
	(void)state;
	umask(0);
	assert_int_equal(cs_proc_lockdown(), 0);
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	char dir[] = "/tmp/cs-lockdown-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[64], sub[64];
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	FILE *f = fopen(file, "w"); /* 0666 before the umask */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(mkdir(sub, 0777), 0);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* a stricter umask of the caller's is kept */
	umask(0277);
	assert_int_equal(cs_proc_lockdown(), 0);
	assert_int_equal(umask(0), 0277);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* CLASSY_SYNC_HOST: the name given replaces the machine's, and goes back. */
static void test_host_name(void **state)
{
	(void)state;
	char own[128], got[128];
	cs_proc_host_name(own, sizeof(own));
	assert_true(own[0]);
	cs_proc_set_host_name("worker-7.example");
	cs_proc_host_name(got, sizeof(got));
	assert_string_equal(got, "worker-7.example");
	cs_proc_host_name(got, 7);
	assert_string_equal(got, "worker");
	cs_proc_set_host_name("");
	cs_proc_host_name(got, sizeof(got));
	assert_string_equal(got, own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_alive_and_zombie),
					   cmocka_unit_test(test_lockdown),
					   cmocka_unit_test(test_host_name)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
