/* store_diff on real history files: ports, services, hosts, findings, unknown ports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store-helpers.h"
#include "store/diff.h"

struct changes {
	size_t n;
	struct {
		enum store_change_kind kind;
		char host[64];
		uint16_t port;
		enum scan_state o, w;
		char detail[128];
	} c[16];
};

static int collect(void *ctx, const struct store_change *c)
{
	struct changes *s = ctx;

	if (s->n == 16)
		return 1;
	s->c[s->n].kind = c->kind;
	snprintf(s->c[s->n].host, sizeof(s->c[0].host), "%s", c->host ? c->host : "");
	s->c[s->n].port = c->port;
	s->c[s->n].o = c->old_state;
	s->c[s->n].w = c->new_state;
	snprintf(s->c[s->n].detail, sizeof(s->c[0].detail), "%s>%s|%s",
	         c->old_service ? c->old_service : "", c->new_service ? c->new_service : "",
	         c->check ? c->check : "");
	s->n++;
	return 0;
}

struct fixture {
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	tmp_db(f->path, sizeof(f->path));
	if (store_open(f->path, STORE_CREATE, &f->st, NULL, 0) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	rm_db(f->path);
	free(f);
	return 0;
}

/* The acceptance case: one port opens between two scans; 40 closed ports are hidden. */
static void test_port_opens(void **state)
{
	static const uint16_t before[] = {22}, after[] = {22, 31};
	struct fixture *f = *state;
	struct test_host h1, h2;
	struct changes ch = {0};
	int64_t a, b;

	test_host_make(&h1, "198.18.0.2", 20, 40, before, 1);
	test_host_make(&h2, "198.18.0.2", 20, 40, after, 2);
	a = test_record(f->st, "198.18.0.2", "20-59", &h1, 1);
	b = test_record(f->st, "198.18.0.2", "20-59", &h2, 1);
	assert_int_equal(store_diff(f->st, a, b, collect, &ch), 1);
	assert_int_equal(ch.c[0].kind, STORE_CH_PORT);
	assert_string_equal(ch.c[0].host, "198.18.0.2");
	assert_int_equal(ch.c[0].port, 31);
	assert_int_equal(ch.c[0].o, SCAN_CLOSED);
	assert_int_equal(ch.c[0].w, SCAN_OPEN);
	/* Backwards: it closed. */
	ch.n = 0;
	assert_int_equal(store_diff(f->st, b, a, collect, &ch), 1);
	assert_int_equal(ch.c[0].o, SCAN_OPEN);
	assert_int_equal(ch.c[0].w, SCAN_CLOSED);
	/* A run against itself, and an identical one, have no changes. */
	assert_int_equal(store_diff(f->st, a, a, collect, &ch), 0);
	b = test_record(f->st, "198.18.0.2", "20-59", &h1, 1);
	assert_int_equal(store_diff(f->st, a, b, collect, &ch), 0);
	assert_int_equal(store_diff(f->st, a, 999, collect, &ch), -ENOENT);
}

/* A port one run did not scan is no difference. */
static void test_unscanned_port(void **state)
{
	static const uint16_t open1[] = {22}, open2[] = {22, 70};
	struct fixture *f = *state;
	struct test_host h1, h2;
	struct changes ch = {0};
	int64_t a, b;

	test_host_make(&h1, "198.18.0.2", 20, 40, open1, 1);
	test_host_make(&h2, "198.18.0.2", 40, 40, open2, 2); /* 40-79 */
	a = test_record(f->st, "198.18.0.2", "20-59", &h1, 1);
	b = test_record(f->st, "198.18.0.2", "40-79", &h2, 1);
	/* 22 open -> not scanned, 70 not scanned -> open: neither is a change. */
	assert_int_equal(store_diff(f->st, a, b, collect, &ch), 0);
}

/* An own audit of machine name (no targets), complete, with no results. */
static int64_t own_audit(struct store *st, const char *name)
{
	int64_t id = 0;

	assert_int_equal(
	    store_run_begin(
	        st, &(struct store_run_info){.kind = "audit", .hostname = name, .start = 1000},
	        &id),
	    0);
	assert_int_equal(store_run_end(st, id, NULL, STORE_RUN_COMPLETE), 0);
	return id;
}

/* diff --host: a host's runs across target lists, and its changes only. */
static void test_host_runs_and_changes(void **state)
{
	static const uint16_t before[] = {22}, after[] = {22, 31};
	struct fixture *f = *state;
	struct test_host both[2], h1, h2;
	struct changes ch = {0};
	int64_t r1, r2, r3, r4, id = 0;

	test_host_make(&both[0], "198.18.0.2", 20, 40, before, 1);
	test_host_make(&both[1], "198.18.2.2", 20, 40, before, 1);
	test_host_make(&h1, "198.18.0.2", 20, 40, after, 2);
	test_host_make(&h2, "198.18.2.2", 20, 40, after, 2);
	r1 = test_record(f->st, "198.18.0.2 198.18.2.2", "20-59", both, 2);
	r2 = test_record(f->st, "198.18.2.2", "20-59", &h2, 1);
	r3 = own_audit(f->st, "web-1");
	r4 = test_record(f->st, "198.18.0.2", "20-59", &h1, 1);
	/* 198.18.0.2: runs 4 then 1 (the own audit 3 is another kind, run 2 is not its) */
	assert_int_equal(store_host_previous(f->st, "198.18.0.2", false, 0, &id), 0);
	assert_int_equal(id, r4);
	assert_int_equal(store_host_previous(f->st, "198.18.0.2", false, r4, &id), 0);
	assert_int_equal(id, r1);
	assert_int_equal(store_host_previous(f->st, "198.18.0.2", false, r1, &id), -ENOENT);
	assert_int_equal(store_host_previous(f->st, "198.18.2.2", false, 0, &id), 0);
	assert_int_equal(id, r2);
	assert_int_equal(store_host_previous(f->st, "198.18.9.9", false, 0, &id), -ENOENT);
	/* web-1 is a machine with one own audit; an address is not a machine */
	assert_int_equal(store_host_is_machine(f->st, "web-1"), 1);
	assert_int_equal(store_host_is_machine(f->st, "198.18.0.2"), 0);
	assert_int_equal(store_host_previous(f->st, "web-1", true, 0, &id), 0);
	assert_int_equal(id, r3);
	assert_int_equal(store_host_previous(f->st, "web-1", true, r3, &id), -ENOENT);
	/* Run 1 -> 4 whole: 198.18.2.2 gone, port 31 opened; for one host, its own only. */
	assert_int_equal(store_diff(f->st, r1, r4, collect, &ch), 2);
	ch.n = 0;
	assert_int_equal(store_diff_host(f->st, r1, r4, "198.18.0.2", collect, &ch), 1);
	assert_int_equal(ch.c[0].kind, STORE_CH_PORT);
	assert_string_equal(ch.c[0].host, "198.18.0.2");
	assert_int_equal(ch.c[0].port, 31);
	ch.n = 0;
	assert_int_equal(store_diff_host(f->st, r1, r4, "198.18.2.2", collect, &ch), 1);
	assert_int_equal(ch.c[0].kind, STORE_CH_HOST_GONE);
	assert_int_equal(store_diff_host(f->st, r1, r4, "198.18.9.9", collect, &ch), 0);
}

static void test_hosts_new_gone(void **state)
{
	static const uint16_t open1[] = {22};
	struct fixture *f = *state;
	struct test_host two[2], one;
	struct changes ch = {0};
	int64_t a, b;

	test_host_make(&two[0], "198.18.0.2", 20, 5, open1, 1);
	test_host_make(&two[1], "198.18.0.3", 20, 5, open1, 1);
	test_host_make(&one, "198.18.0.3", 20, 5, open1, 1);
	one.h.up = false;
	a = test_record(f->st, "198.18.0.2-3", "20-24", two, 2);
	b = test_record(f->st, "198.18.0.2-3", "20-24", &one, 1);
	assert_int_equal(store_diff(f->st, a, b, collect, &ch), 2);
	assert_int_equal(ch.c[0].kind, STORE_CH_HOST_GONE);
	assert_string_equal(ch.c[0].host, "198.18.0.2");
	assert_int_equal(ch.c[1].kind, STORE_CH_HOST_DOWN);
	assert_string_equal(ch.c[1].host, "198.18.0.3");
	ch.n = 0;
	assert_int_equal(store_diff(f->st, b, a, collect, &ch), 2);
	assert_int_equal(ch.c[0].kind, STORE_CH_HOST_NEW);
	assert_int_equal(ch.c[1].kind, STORE_CH_HOST_UP);
}

struct found {
	int n, stop_at;
	char text[2][96];
};

static int found_cb(void *ctx, const struct store_finding_row *r)
{
	struct found *fd = ctx;

	if (fd->n < 2)
		snprintf(fd->text[fd->n], sizeof(fd->text[0]), "%s %d/%u %s %s %s %s",
		         r->host ? r->host : "-", r->proto, r->port, r->check,
		         r->severity ? r->severity : "-", r->title ? r->title : "-",
		         r->detail ? r->detail : "-");
	return ++fd->n == fd->stop_at ? 7 : 0;
}

/* Same state, other version; findings new and fixed. */
static void test_services_and_findings(void **state)
{
	struct fixture *f = *state;
	struct target_addr addr = {.family = AF_INET};
	struct changes ch = {0};
	int64_t run[2];
	const char *ver[2] = {"9.1", "9.2"};
	const char *checks[2] = {"telnet-exposed", "ssh-old"};

	inet_pton(AF_INET, "198.18.0.7", &addr.v4);
	for (int i = 0; i < 2; i++) {
		uint16_t ports[1] = {22};
		uint8_t res[1] = {scan_res_pack(SCAN_OPEN, SCAN_REASON_SYN_ACK)};
		struct scan_host h = {.addr = addr,
		                      .up = true,
		                      .proto = IPPROTO_TCP,
		                      .nports = 1,
		                      .ports = ports,
		                      .res = res,
		                      .counts = {[SCAN_OPEN] = 1}};

		assert_int_equal(store_run_begin(f->st,
		                                 &(struct store_run_info){.targets = "198.18.0.7",
		                                                          .ports = "22",
		                                                          .proto = IPPROTO_TCP,
		                                                          .start = 1},
		                                 &run[i]),
		                 0);
		assert_int_equal(store_port(f->st, run[i],
		                            &(struct store_port){.addr = &addr,
		                                                 .proto = IPPROTO_TCP,
		                                                 .port = 22,
		                                                 .state = SCAN_OPEN,
		                                                 .reason = SCAN_REASON_SYN_ACK,
		                                                 .service = "ssh",
		                                                 .product = "OpenSSH",
		                                                 .version = ver[i]}),
		                 0);
		assert_int_equal(store_host(f->st, run[i], &h), 0);
		assert_int_equal(store_finding(f->st, run[i],
		                               &(struct store_finding){.addr = &addr,
		                                                       .proto = IPPROTO_TCP,
		                                                       .port = 22,
		                                                       .check = checks[i],
		                                                       .severity = "high",
		                                                       .title = "t"}),
		                 0);
		assert_int_equal(store_finding(f->st, run[i],
		                               &(struct store_finding){.check = "same-both",
		                                                       .severity = "info"}),
		                 0);
		assert_int_equal(store_run_end(f->st, run[i], NULL, STORE_RUN_COMPLETE), 0);
	}
	assert_int_equal(store_diff(f->st, run[0], run[1], collect, &ch), 3);
	assert_int_equal(ch.c[0].kind, STORE_CH_SERVICE);
	assert_string_equal(ch.c[0].detail, "ssh OpenSSH 9.1>ssh OpenSSH 9.2|");
	assert_int_equal(ch.c[1].kind, STORE_CH_FINDING_NEW);
	assert_string_equal(ch.c[1].detail, ">|ssh-old");
	assert_int_equal(ch.c[2].kind, STORE_CH_FINDING_FIXED);
	assert_string_equal(ch.c[2].detail, ">|telnet-exposed");
	assert_int_equal(store_finding(f->st, run[0], &(struct store_finding){0}), -EINVAL);

	/* Read back in the order recorded; a callback's non-zero value stops the walk. */
	struct found fd = {0};

	assert_int_equal(store_findings(f->st, run[1], found_cb, &fd), 0);
	assert_int_equal(fd.n, 2);
	assert_string_equal(fd.text[0], "198.18.0.7 6/22 ssh-old high t -");
	assert_string_equal(fd.text[1], "- 0/0 same-both info - -");
	fd = (struct found){.stop_at = 1};
	assert_int_equal(store_findings(f->st, run[1], found_cb, &fd), 7);
	assert_int_equal(fd.n, 1);
	fd = (struct found){0};
	assert_int_equal(store_findings(f->st, 999, found_cb, &fd), 0);
	assert_int_equal(fd.n, 0);
}

/* A host missing from an incomplete run is no "gone" host. */
static void test_incomplete_run(void **state)
{
	static const uint16_t open1[] = {22};
	struct fixture *f = *state;
	struct test_host h;
	struct changes ch = {0};
	int64_t a, b;

	test_host_make(&h, "198.18.0.2", 20, 5, open1, 1);
	a = test_record(f->st, "198.18.0.2", "20-24", &h, 1);
	assert_int_equal(store_run_begin(f->st,
	                                 &(struct store_run_info){.targets = "198.18.0.2",
	                                                          .ports = "20-24",
	                                                          .proto = IPPROTO_TCP,
	                                                          .start = 1},
	                                 &b),
	                 0);
	assert_int_equal(store_run_end(f->st, b, NULL, STORE_RUN_INCOMPLETE), 0);
	assert_int_equal(store_diff(f->st, a, b, collect, &ch), 0);
	assert_int_equal(store_run_previous(f->st, 0, &b), 0);
	assert_int_equal(b, a); /* the newest complete run */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_port_opens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unscanned_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hosts_new_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_runs_and_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_services_and_findings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_incomplete_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
