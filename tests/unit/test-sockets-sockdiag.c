#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sockets/sockdiag.h"

/* A receive buffer being crafted, message by message. */
struct buf {
	_Alignas(8) unsigned char b[4096];
	size_t len;
};

static struct nlmsghdr *put_hdr(struct buf *B, uint16_t type, size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(B->b + B->len);

	memset(h, 0, NLMSG_SPACE(payload));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(payload);
	h->nlmsg_type = type;
	B->len += NLMSG_SPACE(payload);
	return h;
}

/* Appends a SOCK_DIAG_BY_FAMILY message with room for attrlen bytes of attributes. */
static struct nlmsghdr *put_sock(struct buf *B, uint8_t family, uint8_t state, const char *src,
                                 uint16_t sport, const char *dst, uint16_t dport, uint32_t inode,
                                 size_t attrlen)
{
	struct nlmsghdr *h =
	    put_hdr(B, SOCK_DIAG_BY_FAMILY, sizeof(struct inet_diag_msg) + attrlen);
	struct inet_diag_msg *m = NLMSG_DATA(h);

	m->idiag_family = family;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	inet_pton(family, src, m->id.idiag_src);
	inet_pton(family, dst, m->id.idiag_dst);
	m->idiag_uid = 1000;
	m->idiag_inode = inode;
	return h;
}

static void put_attr_u8(struct nlmsghdr *h, uint16_t type, uint8_t v)
{
	struct nlattr *a = (struct nlattr *)((unsigned char *)NLMSG_DATA(h) +
	                                     NLMSG_ALIGN(sizeof(struct inet_diag_msg)));

	a->nla_len = NLA_HDRLEN + 1;
	a->nla_type = type;
	*((unsigned char *)a + NLA_HDRLEN) = v;
}

static void put_done(struct buf *B)
{
	put_hdr(B, NLMSG_DONE, sizeof(int));
}

struct seen {
	struct sockdiag_sock s[8];
	int n;
	int stop_at; /* return 7 from this call on, 0 = never */
};

static int collect(const struct sockdiag_sock *s, void *data)
{
	struct seen *v = data;

	if (v->n < 8)
		v->s[v->n] = *s;
	v->n++;
	return v->stop_at && v->n >= v->stop_at ? 7 : 0;
}

static void test_parse_v4_listen(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0};
	const uint8_t lo[4] = {127, 0, 0, 1};

	(void)state;
	put_sock(&B, AF_INET, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 4242, 0);
	put_done(&B);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), 1);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.s[0].family, AF_INET);
	assert_int_equal(v.s[0].proto, IPPROTO_TCP);
	assert_int_equal(v.s[0].state, TCP_LISTEN);
	assert_int_equal(v.s[0].local_port, 8080);
	assert_int_equal(v.s[0].peer_port, 0);
	assert_memory_equal(v.s[0].local, lo, 4);
	assert_int_equal(v.s[0].uid, 1000);
	assert_int_equal(v.s[0].inode, 4242);
	assert_int_equal(v.s[0].v6only, -1);
}

static void test_parse_v6_attrs(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0};
	struct nlmsghdr *h;
	const uint8_t any6[16] = {0};

	(void)state;
	h = put_sock(&B, AF_INET6, TCP_LISTEN, "::", 22, "::", 0, 1, NLA_HDRLEN + 4);
	put_attr_u8(h, INET_DIAG_SKV6ONLY, 0);
	h = put_sock(&B, AF_INET6, TCP_CLOSE, "fd00:5c09::1", 53, "::", 0, 2, NLA_HDRLEN + 4);
	put_attr_u8(h, INET_DIAG_SKV6ONLY, 1);
	/* An attribute portscope does not know is skipped. */
	h = put_sock(&B, AF_INET6, TCP_ESTABLISHED, "::1", 5000, "::1", 22, 3, NLA_HDRLEN + 4);
	put_attr_u8(h, INET_DIAG_SHUTDOWN, 3);
	/* No NLMSG_DONE: more to come. */
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_UDP, collect, &v), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.s[0].v6only, 0);
	assert_memory_equal(v.s[0].local, any6, 16);
	assert_int_equal(v.s[1].v6only, 1);
	assert_int_equal(v.s[1].local[0], 0xfd);
	assert_int_equal(v.s[1].proto, IPPROTO_UDP);
	assert_int_equal(v.s[2].v6only, -1);
	assert_int_equal(v.s[2].peer_port, 22);
	assert_int_equal(v.s[2].local[15], 1);
}

static void test_parse_error_and_ack(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0};
	struct nlmsghdr *h;

	(void)state;
	h = put_hdr(&B, NLMSG_ERROR, sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(h))->error = 0; /* an ack: not an error */
	put_sock(&B, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 9, 0);
	h = put_hdr(&B, NLMSG_ERROR, sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(h))->error = -EPERM;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EPERM);
	assert_int_equal(v.n, 1);

	/* An out-of-range error code is not passed on as an errno. */
	B.len = 0;
	h = put_hdr(&B, NLMSG_ERROR, sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(h))->error = 12;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	/* An error message too short to hold its code. */
	B.len = 0;
	put_hdr(&B, NLMSG_ERROR, 0);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
}

static void test_parse_callback_stops(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0, .stop_at = 2};

	(void)state;
	for (int i = 0; i < 4; i++)
		put_sock(&B, AF_INET, TCP_LISTEN, "0.0.0.0", (uint16_t)(80 + i), "0.0.0.0", 0, 1,
		         0);
	put_done(&B);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), 7);
	assert_int_equal(v.n, 2);
}

static void test_parse_skips_unknown_types(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0};

	(void)state;
	put_hdr(&B, NLMSG_NOOP, 0);
	put_hdr(&B, 0x7777, 12);
	put_sock(&B, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 1, 0);
	put_done(&B);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), 1);
	assert_int_equal(v.n, 1);
	/* An empty buffer and a tail shorter than a header hold nothing. */
	assert_int_equal(sockdiag_parse_buf(B.b, 0, IPPROTO_TCP, collect, &v), 0);
	assert_int_equal(sockdiag_parse_buf(B.b, 10, IPPROTO_TCP, collect, &v), 0);
	assert_int_equal(v.n, 1);
}

static void test_parse_hostile(void **state)
{
	struct buf B = {.len = 0};
	struct seen v = {.n = 0};
	struct nlmsghdr *h;
	struct nlattr *a;

	(void)state;
	/* nlmsg_len past the end of the buffer. */
	h = put_sock(&B, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 1, 0);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len - 4, IPPROTO_TCP, collect, &v), -EBADMSG);
	/* nlmsg_len smaller than a header. */
	h->nlmsg_len = 8;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	/* A message too short for an inet_diag_msg. */
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg) - 1);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	/* An unknown address family. */
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
	((struct inet_diag_msg *)NLMSG_DATA(h))->idiag_family = AF_UNIX;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	assert_int_equal(v.n, 0);

	/* Attributes: longer than the message, shorter than their header, empty v6only. */
	B.len = 0;
	h = put_sock(&B, AF_INET6, TCP_LISTEN, "::", 22, "::", 0, 1, NLA_HDRLEN + 4);
	a = (struct nlattr *)((unsigned char *)NLMSG_DATA(h) + sizeof(struct inet_diag_msg));
	a->nla_type = INET_DIAG_SKV6ONLY;
	a->nla_len = 200;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	a->nla_len = 2;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	a->nla_len = NLA_HDRLEN;
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), -EBADMSG);
	assert_int_equal(v.n, 0);
	/* A message ending in a partial attribute header: the partial bytes are ignored. */
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg) + 2);
	assert_int_equal(sockdiag_parse_buf(B.b, B.len, IPPROTO_TCP, collect, &v), 0);
	assert_int_equal(v.n, 1);
}

static void test_parse_msg_direct(void **state)
{
	struct buf B = {.len = 0};
	struct sockdiag_sock s;
	struct nlmsghdr *h;

	(void)state;
	h = put_sock(&B, AF_INET, TCP_TIME_WAIT, "198.18.0.1", 443, "198.18.0.2", 50000, 0, 0);
	assert_int_equal(sockdiag_parse_msg(h, IPPROTO_TCP, &s), 0);
	assert_int_equal(s.state, TCP_TIME_WAIT);
	assert_int_equal(s.inode, 0);
	assert_int_equal(s.peer[3], 2);
	assert_int_equal(s.peer_port, 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_v4_listen),
	    cmocka_unit_test(test_parse_v6_attrs),
	    cmocka_unit_test(test_parse_error_and_ack),
	    cmocka_unit_test(test_parse_callback_stops),
	    cmocka_unit_test(test_parse_skips_unknown_types),
	    cmocka_unit_test(test_parse_hostile),
	    cmocka_unit_test(test_parse_msg_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
