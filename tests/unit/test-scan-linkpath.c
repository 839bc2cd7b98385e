/* linkpath: parsing the kernel's route, link and neighbour answers; local addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/linkpath.h"

static const uint8_t mac_a[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x02};

static struct nlmsghdr *route_msg(uint8_t *buf, unsigned char type, uint32_t oif, const char *gw)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rm;
	struct in_addr a;

	nlh->nlmsg_type = RTM_NEWROUTE;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = AF_INET;
	rm->rtm_type = type;
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	if (gw) {
		inet_pton(AF_INET, gw, &a);
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &a);
	}
	return nlh;
}

static void test_route(void **state)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh;
	struct linkpath p;
	char a[INET6_ADDRSTRLEN];

	(void)state;
	nlh = route_msg(buf, RTN_UNICAST, 3, "198.18.0.2");
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.ifindex, 3);
	assert_string_equal(target_addr_str(&p.self, a, sizeof(a)), "198.18.0.2");

	/* A local route (a target on this machine): the raw IP socket. */
	nlh = route_msg(buf, RTN_LOCAL, 1, NULL);
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.ifindex, 0);

	/* A gateway of the wrong length is not a gateway. */
	nlh = route_msg(buf, RTN_UNICAST, 3, NULL);
	mnl_attr_put(nlh, RTA_GATEWAY, 3, "abc");
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.ifindex, 3);
	assert_int_equal(p.self.family, 0);

	/* A message too short for its rtmsg, and a length past the buffer. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_int_equal(p.ifindex, 0);
	nlh->nlmsg_len = 4000;
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, 64, &p), -EINVAL);
	nlh->nlmsg_len = 0xfffffff0; /* libmnl alone would walk off the buffer */
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, 64, &p), -EINVAL);
	assert_int_equal(p.ifindex, 0);
	nlh->nlmsg_len = 16;
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_UNIX, buf, 16, &p), -EINVAL);
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf + 1, 16, &p), -EINVAL);

	/* The kernel's error answer (no route). */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	*(struct nlmsgerr *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsgerr)) =
	    (struct nlmsgerr){.error = -ENETUNREACH};
	assert_int_equal(linkpath_parse(LINKPATH_ROUTE, AF_INET, buf, nlh->nlmsg_len, &p), -EINVAL);
	assert_int_equal(p.ifindex, 0);
}

static void test_link(void **state)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct linkpath p;

	(void)state;
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_type = ARPHRD_ETHER;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac_a);
	mnl_attr_put_strz(nlh, IFLA_QDISC, "noqueue");
	assert_int_equal(linkpath_parse(LINKPATH_LINK, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_memory_equal(p.hdr + 6, mac_a, 6);
	assert_true(p.noqueue);

	/* Loopback: no link header of ours. */
	ifi->ifi_type = ARPHRD_LOOPBACK;
	assert_int_equal(linkpath_parse(LINKPATH_LINK, AF_INET, buf, nlh->nlmsg_len, &p), 0);
	assert_memory_equal(p.hdr + 6, (uint8_t[6]){0}, 6);
}

static void test_neigh(void **state)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	struct linkpath p;

	(void)state;
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	nd->ndm_state = NUD_STALE;
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac_b);
	assert_int_equal(linkpath_parse(LINKPATH_NEIGH, AF_INET6, buf, nlh->nlmsg_len, &p), 0);
	assert_memory_equal(p.hdr, mac_b, 6);

	/* Not resolved yet: no address to send to. */
	nd->ndm_state = NUD_INCOMPLETE;
	assert_int_equal(linkpath_parse(LINKPATH_NEIGH, AF_INET6, buf, nlh->nlmsg_len, &p), 0);
	assert_memory_equal(p.hdr, (uint8_t[6]){0}, 6);
}

/* The loopback route needs no packet: its probes take the raw IP socket. */
static void test_lookup_loopback(void **state)
{
	struct linkpath_ctx *lp;
	struct linkpath p;
	struct target_addr dst = {.family = AF_INET}, other = {.family = AF_INET};
	char a[INET6_ADDRSTRLEN];

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &dst.v4);
	inet_pton(AF_INET, "192.0.2.77", &other.v4); /* TEST-NET-1: never ours */
	assert_int_equal(linkpath_open(&lp), 0);
	assert_int_equal(linkpath_lookup(lp, &dst, NULL, &p), 0);
	assert_int_equal(p.ifindex, 0);
	assert_string_equal(target_addr_str(&p.self, a, sizeof(a)), "127.0.0.1");
	assert_int_equal(linkpath_lookup(lp, &dst, &other, &p), -EADDRNOTAVAIL);
	linkpath_close(lp);
	assert_int_equal(linkpath_local(&dst), 0);
	assert_int_equal(linkpath_local(&other), -EADDRNOTAVAIL);
}

static struct linkpath_route route(uint32_t table, enum linkpath_kind kind, const char *pfx,
                                   uint8_t plen, uint32_t prio, int oif)
{
	struct linkpath_route r = {
	    .kind = kind, .table = table, .plen = plen, .priority = prio, .oif = oif};
	int fam = strchr(pfx, ':') ? AF_INET6 : AF_INET;

	r.dst.family = fam;
	assert_int_equal(
	    inet_pton(fam, pfx, fam == AF_INET ? (void *)&r.dst.v4 : (void *)&r.dst.v6), 1);
	return r;
}

static const struct linkpath_route *match(const struct linkpath_route *rt, size_t n,
                                          const char *dst)
{
	struct target_addr a = {.family = strchr(dst, ':') ? AF_INET6 : AF_INET};

	assert_int_equal(
	    inet_pton(a.family, dst, a.family == AF_INET ? (void *)&a.v4 : (void *)&a.v6), 1);
	return linkpath_fib_match(rt, n, &a);
}

/* Longest prefix in table local, then main, then default; the lower metric among equals. */
static void test_fib_match(void **state)
{
	const struct linkpath_route rt[] = {
	    route(RT_TABLE_MAIN, LINKPATH_ONLINK, "198.18.4.0", 22, 0, 3),
	    route(RT_TABLE_MAIN, LINKPATH_VIA, "198.18.8.0", 24, 0, 3),
	    route(RT_TABLE_LOCAL, LINKPATH_LOCAL, "198.18.4.1", 32, 0, 1),
	    route(RT_TABLE_LOCAL, LINKPATH_LOCAL, "127.0.0.0", 8, 0, 1),
	    route(RT_TABLE_MAIN, LINKPATH_VIA, "0.0.0.0", 0, 100, 4),
	    route(RT_TABLE_MAIN, LINKPATH_VIA, "0.0.0.0", 0, 50, 5),
	    route(RT_TABLE_MAIN, LINKPATH_NOROUTE, "198.18.9.0", 24, 0, 0),
	    route(RT_TABLE_MAIN, LINKPATH_ONLINK, "198.18.8.128", 25, 0, 6),
	    route(RT_TABLE_DEFAULT, LINKPATH_VIA, "203.0.113.0", 24, 0, 7),
	    route(RT_TABLE_MAIN, LINKPATH_ONLINK, "fd00:5c09::", 64, 256, 3),
	    route(RT_TABLE_LOCAL, LINKPATH_LOCAL, "fd00:5c09::1", 128, 0, 1),
	};
	size_t n = sizeof(rt) / sizeof(rt[0]);

	(void)state;
	assert_ptr_equal(match(rt, n, "198.18.4.1"), &rt[2]);
	assert_ptr_equal(match(rt, n, "198.18.5.200"), &rt[0]);
	assert_ptr_equal(match(rt, n, "198.18.8.7"), &rt[1]);
	assert_ptr_equal(match(rt, n, "198.18.8.200"), &rt[7]); /* /25 inside the /24 */
	assert_ptr_equal(match(rt, n, "127.9.9.9"), &rt[3]);
	assert_ptr_equal(match(rt, n, "198.18.9.1"), &rt[6]);
	assert_ptr_equal(match(rt, n, "192.0.2.1"), &rt[5]); /* metric 50 beats 100 */
	/* main's default route wins before table default is looked at */
	assert_ptr_equal(match(rt, n, "203.0.113.5"), &rt[5]);
	assert_ptr_equal(match(rt, 4, "203.0.113.5"), NULL);
	assert_ptr_equal(match(rt, n, "fd00:5c09::1"), &rt[10]);
	assert_ptr_equal(match(rt, n, "fd00:5c09::99"), &rt[9]);
	assert_ptr_equal(match(rt, n, "fd00:5c0a::1"), NULL); /* no IPv6 default */
	assert_ptr_equal(match(rt, 0, "198.18.4.1"), NULL);
}

/* The routing snapshot of this (test) namespace: loopback is local, with or without rules. */
static void test_fib_load(void **state)
{
	struct linkpath_ctx *lp;
	struct linkpath_fib fib;
	struct linkpath_route r;
	struct target_addr lo = {.family = AF_INET};

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &lo.v4);
	assert_int_equal(linkpath_open(&lp), 0);
	assert_int_equal(linkpath_fib_load(lp, AF_INET, &fib), 0);
	assert_int_equal(linkpath_fib_lookup(lp, &fib, &lo, &r), 0);
	assert_int_equal(r.kind, LINKPATH_LOCAL);
	fib.kernel = true; /* the per-target kernel look-up says the same */
	assert_int_equal(linkpath_fib_lookup(lp, &fib, &lo, &r), 0);
	assert_int_equal(r.kind, LINKPATH_LOCAL);
	linkpath_fib_free(&fib);
	linkpath_close(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route),     cmocka_unit_test(test_link),
	    cmocka_unit_test(test_neigh),     cmocka_unit_test(test_lookup_loopback),
	    cmocka_unit_test(test_fib_match), cmocka_unit_test(test_fib_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
