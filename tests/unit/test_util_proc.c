/* Process liveness: a running process is alive, an exited one that has not
 * been reaped (a zombie) is not, nor are impossible pids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/proc.h"

#include <signal.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_alive_and_zombie)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
