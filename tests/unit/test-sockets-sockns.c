#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockets/sockdiag.h"
#include "sockets/sockns.h"

static void test_check_name(void **state)
{
	char longname[300];

	(void)state;
	assert_int_equal(sockns_check_name("ps-ls-1"), 0);
	assert_int_equal(sockns_check_name("a"), 0);
	assert_int_equal(sockns_check_name(""), -EINVAL);
	assert_int_equal(sockns_check_name("."), -EINVAL);
	assert_int_equal(sockns_check_name(".."), -EINVAL);
	assert_int_equal(sockns_check_name("a/b"), -EINVAL);
	assert_int_equal(sockns_check_name("/etc/passwd"), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sockns_check_name(longname), -EINVAL);
}

static void test_open_name_errors(void **state)
{
	struct sockns ns = {.fd = -1};
	char dir[] = "/tmp/test-sockns-XXXXXX", path[64];
	int fd;

	(void)state;
	assert_int_equal(sockns_open_name("/run/netns", "../x", &ns), -EINVAL);
	assert_int_equal(sockns_open_name("/nonexistent-dir", "x", &ns), -ENOENT);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sockns_open_name(dir, "missing", &ns), -ENOENT);
	/* A plain file (a stale /run/netns entry) is no namespace. */
	snprintf(path, sizeof(path), "%s/stale", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sockns_open_name(dir, "stale", &ns), -ENOENT);
	unlink(path);
	rmdir(dir);
}

static void test_current(void **state)
{
	struct sockns ns = {.fd = -1};
	struct stat st;

	(void)state;
	assert_int_equal(sockns_current("/nonexistent-dir", &ns), 0);
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(ns.inode, st.st_ino);
	/* Not in the given directory: named after its inode. */
	{
		char want[64];

		snprintf(want, sizeof(want), "net:[%llu]", (unsigned long long)st.st_ino);
		assert_string_equal(ns.name, want);
	}
	sockns_release(&ns);
	assert_int_equal(ns.fd, -1);
	assert_null(ns.name);
}

static uint64_t thread_ns(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

static int count(const struct sockdiag_sock *s, void *data)
{
	(void)s;
	(*(int *)data)++;
	return 0;
}

/*
 * In a child: makes a new namespace with a listener in it, goes back, then
 * enters it with sockns_enter(), opens a sock_diag socket there, leaves, and
 * checks that the thread is home again while the socket still dumps the new one.
 * Returns 0 or the number of the failed step.
 */
static int enter_leave_child(void)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), lst, saved = -1;
	struct sockns ns = {.fd = -1};
	struct sockdiag *d = NULL;
	struct sockdiag_req req = {
	    .family = AF_INET,
	    .proto = IPPROTO_TCP,
	    .states = 1u << TCP_LISTEN,
	};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(47999)};
	uint64_t home_ino = thread_ns();
	int n = 0;

	if (home < 0 || unshare(CLONE_NEWNET) < 0)
		return 1;
	ns.fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ns.inode = thread_ns();
	/* A listener on a port bound in the new namespace only (no lo needed for listen). */
	lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ns.fd < 0 || lst < 0 || bind(lst, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lst, 1) < 0)
		return 2;
	if (setns(home, CLONE_NEWNET) < 0 || thread_ns() != home_ino)
		return 3;
	if (sockns_enter(&ns, &saved) < 0 || thread_ns() != ns.inode)
		return 4;
	if (sockdiag_open(&d) < 0)
		return 5;
	if (sockns_leave(saved) < 0 || thread_ns() != home_ino)
		return 6;
	if (sockdiag_dump(d, &req, count, &n) < 0 || n != 1)
		return 7;
	sockdiag_close(d);
	close(lst);
	close(ns.fd);
	close(home);
	return 0;
}

static void test_enter_leave(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip(); /* needs CAP_SYS_ADMIN for unshare/setns */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(enter_leave_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_name),
	    cmocka_unit_test(test_open_name_errors),
	    cmocka_unit_test(test_current),
	    cmocka_unit_test(test_enter_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
