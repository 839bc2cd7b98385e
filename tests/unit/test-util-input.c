/* The bounded input reader (util/input.c): lines, limits, NUL bytes, FIFOs, standard input. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/input.h"

static char dir[] = "/tmp/ps-input-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A file of the test's directory holding len bytes of text; its path (static). */
static const char *file_of(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

/* Reads every line of path under lim into out ("line|line|"); returns the last result. */
static int read_all(const char *path, const struct input_limits *lim, char *out, size_t cap,
                    char *why, size_t whylen)
{
	struct input in;
	char *line;
	size_t len, used = 0;
	int r = input_open(&in, path, lim, why, whylen);

	out[0] = '\0';
	if (r < 0)
		return r;
	while ((r = input_line(&in, &line, &len, why, whylen)) > 0) {
		assert_int_equal(strlen(line), len);
		assert_true(in.lineno > 0);
		used += (size_t)snprintf(out + used, cap - used, "%s|", line);
	}
	input_close(&in);
	return r;
}

static void test_lines(void **state)
{
	static const char text[] = "one\ntwo\r\n\n  four  \nfive";
	char out[256], why[256] = "", *buf;
	size_t len;

	(void)state;
	assert_int_equal(read_all(file_of("a", text, sizeof(text) - 1), NULL, out, sizeof(out), why,
	                          sizeof(why)),
	                 0);
	assert_string_equal(out, "one|two\r||  four  |five|");
	assert_int_equal(read_all(file_of("e", "", 0), NULL, out, sizeof(out), why, sizeof(why)),
	                 0);
	assert_string_equal(out, "");
	assert_int_equal(
	    input_slurp(file_of("a", text, sizeof(text) - 1), NULL, &buf, &len, why, sizeof(why)),
	    0);
	assert_string_equal(buf, "one\ntwo\r\n\n  four  \nfive\n");
	assert_int_equal(len, strlen(buf));
	free(buf);
}

static void test_limits(void **state)
{
	const struct input_limits lim = {.max_bytes = 64, .max_line = 8};
	char out[256], why[256], want[256], big[100];
	const char *path;

	(void)state;
	/* A line of exactly max_line bytes is fine, one more is not. */
	path = file_of("l", "12345678\n123456789\n", 19);
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: line too long (more than 8 bytes)", path);
	assert_string_equal(why, want);
	assert_string_equal(out, "12345678|");
	/* The last line, without its newline, too. */
	path = file_of("m", "ok\n123456789", 12);
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, ":2: line too long"));
	/* A NUL byte, named with its line. */
	path = file_of("n", "a\nb\nc\0d\n", 8);
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: a NUL byte: binary data, not text", path);
	assert_string_equal(why, want);
	assert_string_equal(out, "a|b|");
	/* More than max_bytes in all. */
	memset(big, 'x', sizeof(big));
	for (size_t i = 3; i < sizeof(big); i += 4)
		big[i] = '\n';
	path = file_of("b", big, sizeof(big));
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), -EFBIG);
	snprintf(want, sizeof(want), "%s: more than 64 bytes (at line 1)", path);
	assert_string_equal(why, want);
	assert_true(input_is_bad(-EFBIG) && input_is_bad(-EINVAL) && !input_is_bad(-EACCES));
}

static void test_devices_and_errors(void **state)
{
	char out[64], why[256], want[256];

	(void)state;
	assert_int_equal(read_all("/dev/zero", NULL, out, sizeof(out), why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "/dev/zero:1: a NUL byte: binary data, not text");
	assert_int_equal(read_all("/dev/null", NULL, out, sizeof(out), why, sizeof(why)), 0);
	assert_int_equal(read_all(dir, NULL, out, sizeof(out), why, sizeof(why)), -EISDIR);
	snprintf(want, sizeof(want), "'%s' is a directory, not a file", dir);
	assert_string_equal(why, want);
	assert_int_equal(read_all("/nonexistent/x", NULL, out, sizeof(out), why, sizeof(why)),
	                 -ENOENT);
	assert_string_equal(why, "cannot open '/nonexistent/x': No such file or directory");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A FIFO nobody opens for writing: no hang, an error after idle_ms. One written later: read. */
static void test_fifo(void **state)
{
	const struct input_limits lim = {.idle_ms = 300};
	char path[128], out[64], why[256];
	double t0;
	pid_t pid;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	t0 = now_s();
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), -ETIMEDOUT);
	assert_true(now_s() - t0 >= 0.25 && now_s() - t0 < 5);
	assert_non_null(strstr(why, "no data for 0.3 s"));
	assert_true(input_is_bad(-ETIMEDOUT));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		usleep(100000);
		fd = open(path, O_WRONLY);
		_exit(fd >= 0 && write(fd, "x\ny\n", 4) == 4 ? 0 : 1);
	}
	assert_int_equal(read_all(path, &lim, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "x|y|");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
}

/* "-" is standard input: here a pipe with two lines, then the writer's end. */
static void test_stdin(void **state)
{
	char out[64], why[256];
	int p[2], saved = dup(0);

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "198.18.0.1\n198.18.0.2", 21), 21);
	close(p[1]);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	assert_int_equal(read_all("-", NULL, out, sizeof(out), why, sizeof(why)), 0);
	assert_string_equal(out, "198.18.0.1|198.18.0.2|");
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_true(fcntl(0, F_GETFD) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_devices_and_errors),
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_stdin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
