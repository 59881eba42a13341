#include "daemon/notify.h"

#include "util/err.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

/* A real AF_UNIX datagram socket plays systemd: the test binds it, points
 * NOTIFY_SOCKET at it and reads back what was sent. A datagram is queued by
 * the time sendto returns, so reads never wait. */

static const char *const touched[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
#define NTOUCHED (sizeof(touched) / sizeof(touched[0]))

typedef struct fixture {
	char *saved[NTOUCHED];
	char dir[64];
	char path[128];
	int fd;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	for (size_t i = 0; i < NTOUCHED; i++) {
		const char *v = getenv(touched[i]);
		f->saved[i] = v ? strdup(v) : NULL;
		unsetenv(touched[i]);
	}
	strcpy(f->dir, "/tmp/cs-notify-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	for (size_t i = 0; i < NTOUCHED; i++) {
		if (f->saved[i])
			setenv(touched[i], f->saved[i], 1);
		else
			unsetenv(touched[i]);
		free(f->saved[i]);
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->path[0])
		unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Binds a datagram socket to name ('@' = abstract) and sets NOTIFY_SOCKET. */
static void listen_on(fixture *f, const char *name)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
			 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
}

static void expect_message(fixture *f, const char *want)
{
	char buf[600];
	ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void expect_nothing(fixture *f)
{
	char buf[16];
	assert_int_equal(recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void test_path_socket(void **state)
{
	fixture *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
	listen_on(f, f->path);
	assert_int_equal(cs_notify_ready(), 0);
	assert_int_equal(cs_notify_status("syncing %d orgs", 3), 0);
	assert_int_equal(cs_notify_watchdog(), 0);
	assert_int_equal(cs_notify_stopping(), 0);
	assert_int_equal(cs_notify("STATUS=x"), 0);
	expect_message(f, "READY=1");
	expect_message(f, "STATUS=syncing 3 orgs");
	expect_message(f, "WATCHDOG=1");
	expect_message(f, "STOPPING=1");
	expect_message(f, "STATUS=x");
	expect_nothing(f);
	/* a newline cannot start a second assignment */
	assert_int_equal(cs_notify_status("a\nREADY=1"), 0);
	expect_message(f, "STATUS=a READY=1");
}

static void test_abstract_socket(void **state)
{
	fixture *f = *state;
	char name[64];
	snprintf(name, sizeof(name), "@cs-notify-test-%ld", (long)getpid());
	listen_on(f, name);
	assert_int_equal(cs_notify_ready(), 0);
	assert_int_equal(cs_notify_watchdog(), 0);
	expect_message(f, "READY=1");
	expect_message(f, "WATCHDOG=1");
}

static void test_unset_sends_nothing(void **state)
{
	fixture *f = *state;
	snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
	listen_on(f, f->path);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(cs_notify_ready(), 0);
	assert_int_equal(cs_notify_status("x"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(cs_notify_watchdog(), 0);
	expect_nothing(f);
}

static void test_bad_socket_names(void **state)
{
	fixture *f = *state;
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(cs_notify_ready(), CS_EUSAGE);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(cs_notify_ready(), CS_EUSAGE);
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	assert_int_equal(cs_notify_ready(), CS_EUSAGE);
	/* nobody listening */
	snprintf(f->path, sizeof(f->path), "%s/nobody", f->dir);
	setenv("NOTIFY_SOCKET", f->path, 1);
	assert_int_equal(cs_notify_ready(), CS_EIO);
	f->path[0] = '\0';
}

static void test_watchdog_usec(void **state)
{
	(void)state;
	char pid[32];
	assert_int_equal(cs_notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(cs_notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(cs_notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(cs_notify_watchdog_usec(), 0);
	setenv("WATCHDOG_PID", "garbage", 1);
	assert_int_equal(cs_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	const char *bad[] = {"", "0", "-5", "12abc", " 7", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		assert_int_equal(cs_notify_watchdog_usec(), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unset_sends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_socket_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_usec, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
