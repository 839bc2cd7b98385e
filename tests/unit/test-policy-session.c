/*
 * Unit tests for the lockout guard (src/lib/policy/session.c): SSH_CONNECTION
 * parsing, the verdict for the client, and which SSH connection counts, over a
 * /proc made by the test (ancestors, their names, environments, namespaces).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/session.h"

static void test_parse(void **state)
{
	struct policy_client c;
	char buf[64];

	(void)state;
	assert_int_equal(policy_client_parse("10.0.0.6 51234 10.0.0.1 22", &c), 0);
	policy_addr_format(&c.addr, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.6");
	assert_int_equal(c.port, 51234);
	assert_int_equal(c.server_port, 22);
	assert_string_equal(c.how, "SSH_CONNECTION");

	/* IPv4-mapped addresses are IPv4; scopes are dropped */
	assert_int_equal(policy_client_parse("::ffff:198.18.0.9 1 ::ffff:198.18.0.1 2222", &c), 0);
	assert_int_equal(c.addr.family, AF_INET);
	policy_addr_format(&c.addr, buf, sizeof(buf));
	assert_string_equal(buf, "198.18.0.9");
	assert_int_equal(c.server_port, 2222);
	assert_int_equal(policy_client_parse("fe80::1%eth0 5 fe80::2%eth0 22", &c), 0);
	assert_int_equal(c.addr.family, AF_INET6);
	assert_int_equal(policy_client_parse("  fd00:5c09::7  9  fd00:5c09::1  22 ", &c), 0);

	assert_int_equal(policy_client_parse(NULL, &c), -EINVAL);
	assert_int_equal(policy_client_parse("", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.6", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.6 x 10.0.0.1 22", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.6 1 10.0.0.1 0", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.6 1 10.0.0.1 65536", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.0/8 1 10.0.0.1 22", &c), -EINVAL);
	assert_int_equal(policy_client_parse("10.0.0.6 1 10.0.0.1 22 extra", &c), -EINVAL);
	assert_int_equal(policy_client_parse("host 1 10.0.0.1 22", &c), -EINVAL);
}

static void test_lockout(void **state)
{
	static const char doc[] = "ALLOW TCP Port 80 (HTTP)\n"
	                          "ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)\n"
	                          "REJECT TCP PORT 2222\n"
	                          "DENY ALL (Block everything else)\n";
	struct policy_error errs[1];
	struct policy p = {0}, q = {0};
	struct policy_client c;
	size_t nerr;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 1, &nerr), 0);
	assert_int_equal(policy_client_parse("10.0.0.5 1 10.0.0.1 22", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), -1);
	assert_int_equal(policy_client_parse("10.0.0.6 1 10.0.0.1 22", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), 3);
	assert_int_equal(policy_client_parse("10.0.0.5 1 10.0.0.1 2222", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), 2); /* rejected counts */
	assert_int_equal(policy_client_parse("10.0.0.5 1 10.0.0.1 80", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), -1);
	/* the loopback is accepted before any rule */
	assert_int_equal(policy_client_parse("127.0.0.1 1 127.0.0.1 22", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), -1);
	assert_int_equal(policy_client_parse("::1 1 ::1 22", &c), 0);
	assert_int_equal(policy_lockout(&p, &c), -1);
	/* no rule matches: the chain drops it */
	assert_int_equal(policy_read_buf("ALLOW UDP PORT 53\n", 18, &q, errs, 1, &nerr), 0);
	assert_int_equal(policy_client_parse("10.0.0.5 1 10.0.0.1 22", &c), 0);
	assert_int_equal(policy_lockout(&q, &c), 1);
	policy_free(&p);
	policy_free(&q);
}

/* ---- a /proc of the test's making ---- */

static char root[64];

static void put(const char *rel, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* self -> 900 (shell, with env) -> 800 (sshd) -> 1; namespaces as asked. */
static void make_proc(const char *env, bool same_ns)
{
	char rel[64], nspath[256], other[256];
	static const char environ[] = "HOME=/root\0SSH_CONNECTION=198.18.0.9 4000 198.18.0.1 22\0";

	snprintf(root, sizeof(root), "/tmp/ps-proc-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(rel, sizeof(rel), "%d/stat", (int)getpid());
	put_str(rel, "1 (portscope) R 900 1 1");
	put_str("900/stat", "900 (bash (x)) S 800 900 900");
	put_str("900/comm", "bash\n");
	put("900/environ", environ, env ? sizeof(environ) - 1 : 6);
	put_str("800/stat", "800 (sshd) S 1 800 800");
	put_str("800/comm", "sshd\n");
	put_str("800/ns/net", "a");
	snprintf(rel, sizeof(rel), "%d/ns/net", (int)getpid());
	snprintf(nspath, sizeof(nspath), "%s/%s", root, rel);
	snprintf(other, sizeof(other), "%s/800/ns/net", root);
	if (same_ns) {
		char dir[256];
		snprintf(dir, sizeof(dir), "%s/%d/ns", root, (int)getpid());
		mkdir(dir, 0700);
		assert_int_equal(link(other, nspath), 0); /* same inode: same namespace */
	} else {
		put_str(rel, "b");
	}
}

static void rm_proc(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_find(void **state)
{
	static const char mine[] = "198.18.0.9 4000 198.18.0.1 22";
	struct policy_client c;

	(void)state;
	/* handed down by an sshd of another namespace (a lab): not this firewall's */
	make_proc(mine, false);
	assert_int_equal(policy_client_find(mine, root, &c), 0);
	/* set by someone else than that sshd: taken as it is */
	assert_int_equal(policy_client_find("10.0.0.6 1 10.0.0.1 22", root, &c), 1);
	assert_int_equal(c.server_port, 22);
	/* no SSH_CONNECTION and an sshd elsewhere: none */
	assert_int_equal(policy_client_find(NULL, root, &c), 0);
	rm_proc();

	/* the sshd of this namespace: its SSH_CONNECTION counts */
	make_proc(mine, true);
	assert_int_equal(policy_client_find(mine, root, &c), 1);
	assert_int_equal(c.port, 4000);
	/* a malformed one is an error */
	assert_int_equal(policy_client_find("garbage", root, &c), -EINVAL);
	rm_proc();

	/* no sshd among the ancestors at all */
	snprintf(root, sizeof(root), "/tmp/ps-proc-XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(policy_client_find(NULL, root, &c), 0);
	assert_int_equal(policy_client_find(mine, root, &c), 1);
	rm_proc();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_lockout),
	    cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
