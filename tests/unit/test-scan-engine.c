/*
 * The scan engine on real sockets, in a fresh network namespace of its own
 * (unshare(CLONE_NEWNET): needs root, skipped otherwise): results through the
 * sink, and running out of descriptors (EMFILE) shrinks the window instead of
 * failing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "scan/engine.h"
#include "scan/timing.h"

struct tally {
	uint64_t hosts, ports, by_state[SCAN_STATE_MAX];
	uint64_t open_ports[8];
	size_t nopen;
	bool done;
	struct scan_summary sum;
};

static void tally_port(void *ctx, const struct scan_result *r)
{
	struct tally *t = ctx;

	t->ports++;
	if (r->state == SCAN_OPEN && t->nopen < 8)
		t->open_ports[t->nopen++] = r->port;
}

static void tally_host(void *ctx, const struct scan_host *h)
{
	struct tally *t = ctx;

	t->hosts++;
	for (int s = 0; s < SCAN_STATE_MAX; s++)
		t->by_state[s] += h->counts[s];
}

static void tally_done(void *ctx, const struct scan_summary *s)
{
	struct tally *t = ctx;

	t->done = true;
	t->sum = *s;
}

/* A namespace of our own with lo up; false when not allowed (not root). */
static bool own_netns(void)
{
	struct ifreq ifr = {0};
	int s;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	return true;
}

/* A TCP listener on addr:port (port 0: an ephemeral one); returns the fd, *port set. */
static int listener(const char *addr, uint16_t *port, int backlog)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
	socklen_t len = sizeof(sa);
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, backlog), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return s;
}

static struct scan_config config(struct targetset *ts, struct portlist *pl, unsigned level,
                                 unsigned window)
{
	struct scan_config cfg = {
	    .targets = ts, .ports = pl, .tech = &scan_tech_connect, .seed = 42, .threads = 2};

	assert_int_equal(scan_timing_template(level, window, &cfg.cc, &cfg.host_timeout_us), 0);
	return cfg;
}

static void test_engine(void **state)
{
	struct portlist pl = {0};
	struct targetset *ts;
	struct tally t = {0};
	struct scan_sink sink = {
	    .ctx = &t, .on_port = tally_port, .on_host_done = tally_host, .on_done = tally_done};
	struct scan_config cfg;
	uint16_t lport[3] = {0}, full = 0;
	int lfd[3], fullfd, filler;
	struct rlimit rl, low;
	char why[256] = "";
	struct sockaddr_in sa = {.sin_family = AF_INET};

	(void)state;
	if (!own_netns()) {
		skip(); /* needs root for a network namespace */
		return;
	}
	/* 1. Loopback, ports 1-2000 plus three listeners on ephemeral ports. */
	for (int i = 0; i < 3; i++)
		lfd[i] = listener("127.0.0.1", &lport[i], 64);
	assert_int_equal(portlist_add_range(&pl, 1, 2000), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(portlist_add_range(&pl, lport[i], lport[i]), 0);
	ts = targetset_new(0);
	assert_int_equal(targetset_add(ts, "127.0.0.1", why, sizeof(why)), 0);
	assert_int_equal(targetset_seal(ts), 0);
	cfg = config(ts, &pl, 4, 1000);
	assert_int_equal(scan_run(&cfg, &sink, why, sizeof(why)), 0);
	assert_true(t.done);
	assert_int_equal(t.hosts, 1);
	assert_int_equal(t.ports, pl.n);
	assert_int_equal(t.nopen, 3);
	assert_int_equal(t.by_state[SCAN_OPEN], 3);
	assert_int_equal(t.by_state[SCAN_CLOSED], pl.n - 3);
	assert_int_equal(t.sum.counts[SCAN_OPEN], 3);
	assert_true(t.sum.probes_sent >= pl.n);
	for (int i = 0; i < 3; i++)
		close(lfd[i]);
	targetset_free(ts);
	portlist_free(&pl);

	/*
	 * 2. 200 hosts (127.0.0.1-200) x one port whose listener's accept queue is
	 * full: every SYN is dropped, every probe waits for its timeout, so the
	 * window (100) wants more descriptors than the limit (open + 24) allows.
	 */
	fullfd = listener("0.0.0.0", &full, 0);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_port = htons(full);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(portlist_add_range(&pl, full, full), 0);
	ts = targetset_new(0);
	assert_int_equal(targetset_add(ts, "127.0.0.1-200", why, sizeof(why)), 0);
	assert_int_equal(targetset_seal(ts), 0);
	cfg = config(ts, &pl, 5, 100);
	cfg.cc.max_retries = 0;
	cfg.cc.min_rtt_us = cfg.cc.initial_rtt_us = cfg.cc.max_rtt_us = 100000;
	cfg.cc.cwnd_init = cfg.cc.cwnd_min = 100; /* no shrinking on timeouts: only EMFILE */
	cfg.cc.ssthresh_init = 100;
	memset(&t, 0, sizeof(t));
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	low.rlim_cur = (rlim_t)(fullfd + 24);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(scan_run(&cfg, &sink, why, sizeof(why)), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(t.done);
	assert_int_equal(t.hosts, 200);
	assert_int_equal(t.by_state[SCAN_FILTERED], 200);
	assert_int_equal(t.sum.counts[SCAN_FILTERED], 200);
	close(filler);
	close(fullfd);
	targetset_free(ts);
	portlist_free(&pl);
}

/* What scan, audit and policy verify start from: a template and a fresh seed. */
static void test_config_defaults(void **state)
{
	struct scan_config cfg, again;
	struct cc_params want;
	uint64_t ht;

	(void)state;
	assert_int_equal(scan_config_defaults(&cfg, 4), 0);
	assert_int_equal(scan_timing_template(4, scan_fd_budget(), &want, &ht), 0);
	assert_memory_equal(&cfg.cc, &want, sizeof(want));
	assert_int_equal(cfg.host_timeout_us, ht);
	assert_null(cfg.targets);
	assert_null(cfg.ports);
	assert_null(cfg.tech);
	assert_false(cfg.randomize_hosts);
	assert_int_equal(cfg.threads, 0);
	assert_int_equal(scan_config_defaults(&again, 4), 0);
	assert_true(cfg.seed != again.seed || cfg.seed != 0);
	/* -T5 has a host timeout, -T3 none. */
	assert_int_equal(scan_config_defaults(&cfg, 5), 0);
	assert_true(cfg.host_timeout_us > 0);
	assert_int_equal(scan_config_defaults(&cfg, 3), 0);
	assert_int_equal(cfg.host_timeout_us, 0);
	/* No -T6: refused, and nothing half-filled. */
	cfg.seed = 7;
	assert_int_equal(scan_config_defaults(&cfg, 6), -ERANGE);
	assert_int_equal(cfg.seed, 0);
	assert_int_equal(cfg.cc.cwnd_max, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
