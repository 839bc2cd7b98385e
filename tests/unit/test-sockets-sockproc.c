#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockets/sockproc.h"

static void link_ok(const char *s, uint32_t want)
{
	uint32_t v = 7;

	assert_int_equal(sockproc_parse_link(s, strlen(s), &v), 0);
	assert_int_equal(v, want);
}

static void link_bad(const char *s)
{
	uint32_t v = 7;

	assert_int_equal(sockproc_parse_link(s, strlen(s), &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_parse_link(void **state)
{
	(void)state;
	link_ok("socket:[12345]", 12345);
	link_ok("socket:[1]", 1);
	link_ok("socket:[4294967295]", 4294967295u);
	link_bad("socket:[4294967296]");
	link_bad("socket:[99999999999999999999]");
	link_bad("socket:[0]");
	link_bad("socket:[]");
	link_bad("socket:[12x]");
	link_bad("socket:[-1]");
	link_bad("socket:[ 1]");
	link_bad("socket:[123");
	link_bad("socket:123]");
	link_bad("socket:[");
	link_bad("pipe:[12345]");
	link_bad("anon_inode:[eventpoll]");
	link_bad("/dev/null");
	link_bad("");
	/* The length given is what counts, not a NUL (readlink does not write one). */
	{
		uint32_t v = 0;

		assert_int_equal(sockproc_parse_link("socket:[42]garbage", 11, &v), 0);
		assert_int_equal(v, 42);
	}
}

static void name_is(const char *cmdline, size_t len, const char *comm, const char *want)
{
	char out[64];

	assert_string_equal(sockproc_name_from(cmdline, len, comm, out, sizeof(out)), want);
}

static void test_name_from(void **state)
{
	char small[5];

	(void)state;
	name_is("/usr/sbin/sshd\0-D", 17, "sshd", "sshd");
	name_is("sshd: root@pts/0", 16, "sshd", "sshd");
	name_is("nginx: master process /usr/sbin/nginx", 37, "nginx", "nginx");
	name_is("/usr/bin/python3\0-u\0-c", 22, "python3", "python3");
	name_is("/opt/app/a-very-long-server-name\0", 33, "a-very-long-ser",
	        "a-very-long-server-name");
	name_is("", 0, "kworker/0:1", "kworker/0:1");
	name_is("/usr/bin/", 9, "odd", "odd");
	name_is("x", 1, NULL, "x");
	name_is("", 0, NULL, "");
	/* Not NUL-terminated within len: only len bytes count. */
	name_is("redis-serverXXXX", 12, "redis-server", "redis-server");
	/* Truncated to the output buffer. */
	assert_string_equal(sockproc_name_from("abcdefgh", 8, "c", small, sizeof(small)), "abcd");
}

/* A fake /proc: PID/fd/N symlinks to "socket:[INODE]", PID/cmdline, PID/comm. */
static char root[64];

static void put_link(const char *pid, const char *fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/fd", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/fd/%s", root, pid, fd);
	assert_int_equal(symlink(target, path), 0);
}

static void put_file(const char *pid, const char *file, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", root, pid, file);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int make_proc(void **state)
{
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-sockproc-XXXXXX");
	assert_non_null(mkdtemp(root));
	put_link("123", "3", "socket:[4242]");
	put_link("123", "4", "pipe:[1]");
	put_link("123", "5", "socket:[5000]");
	put_link("456", "5", "socket:[4242]");
	put_link("456", "6", "socket:[4242]"); /* the same socket on two fds */
	put_link("789", "0", "/dev/null");
	put_file("123", "cmdline", "/usr/sbin/nginx\0-g\0", 19);
	put_file("123", "comm", "nginx\n", 6);
	put_file("456", "cmdline", "nginx: worker process", 21);
	put_file("456", "comm", "nginx\n", 6);
	/* Not processes: skipped. */
	snprintf(path, sizeof(path), "%s/self", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/0123", root);
	mkdir(path, 0755);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_proc(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void check_map(struct sockproc *m)
{
	unsigned idx[4];
	size_t n;

	n = sockproc_lookup(m, 4242, idx, 4);
	assert_int_equal(n, 2);
	assert_int_equal(sockproc_pid(m, idx[0]), 123);
	assert_int_equal(sockproc_pid(m, idx[1]), 456);
	assert_string_equal(sockproc_name(m, idx[0]), "nginx");
	assert_string_equal(sockproc_name(m, idx[1]), "nginx");
	/* Fewer slots than holders: the count is still the whole. */
	assert_int_equal(sockproc_lookup(m, 4242, idx, 1), 2);
	assert_int_equal(sockproc_pid(m, idx[0]), 123);

	n = sockproc_lookup(m, 5000, idx, 4);
	assert_int_equal(n, 1);
	assert_int_equal(sockproc_pid(m, idx[0]), 123);
	assert_int_equal(sockproc_lookup(m, 1, idx, 4), 0);
	assert_int_equal(sockproc_lookup(m, 0, idx, 4), 0);
	assert_int_equal(sockproc_unreadable(m), 0);
	assert_int_equal(sockproc_pid(m, 999), -1);
	assert_string_equal(sockproc_name(m, 999), "?");
}

static void test_scan(void **state)
{
	struct sockproc *m = sockproc_new();

	(void)state;
	assert_non_null(m);
	assert_int_equal(sockproc_scan(m, root), 0);
	check_map(m);
	/* A map is scanned once. */
	assert_int_equal(sockproc_scan(m, root), -EBUSY);
	sockproc_free(m);
}

static void test_scan_threaded(void **state)
{
	struct sockproc *m = sockproc_new();

	(void)state;
	assert_non_null(m);
	assert_int_equal(sockproc_scan_wait(m), -EINVAL); /* nothing started */
	assert_int_equal(sockproc_scan_start(m, root), 0);
	assert_int_equal(sockproc_scan_wait(m), 0);
	check_map(m);
	sockproc_free(m);
}

static void test_scan_missing_dir(void **state)
{
	struct sockproc *m = sockproc_new();

	(void)state;
	assert_int_equal(sockproc_scan(m, "/nonexistent/proc"), -ENOENT);
	sockproc_free(m);
	m = sockproc_new();
	assert_int_equal(sockproc_scan_start(m, "/nonexistent/proc"), 0);
	assert_int_equal(sockproc_scan_wait(m), -ENOENT);
	sockproc_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_link),
	    cmocka_unit_test(test_name_from),
	    cmocka_unit_test(test_scan),
	    cmocka_unit_test(test_scan_threaded),
	    cmocka_unit_test(test_scan_missing_dir),
	};

	return cmocka_run_group_tests(tests, make_proc, remove_proc);
}
