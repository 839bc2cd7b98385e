/*
 * Lab forger for the UDP scan's tests: from inside the target's namespace,
 * sends the scanner forged replies to probes it never sees (a blind attacker
 * that knows both addresses and the probed ports), at a fixed rate for a
 * bounded time. Only between lab namespaces (tests/LAB.md): the addresses
 * must be in 198.18.0.0/15.
 *
 *   lab-forge SRC DST PORTS SPORTS RATE SECONDS
 *     SRC      the targets' addresses, "198.18.0.2,198.18.0.3" (forged sources)
 *     DST      the scanner's address
 *     PORTS    the probed ports, "53,161,9000-9009"
 *     SPORTS   the scanner's source ports to quote, "61000-61015/32768-65535": groups
 *              split by '/' are drawn from equally often, whatever their size
 *     RATE     packets per second (batches of 64 through sendmmsg)
 *     SECONDS  how long (at most 600)
 *
 * Packets cycle through these variants, every field the forger cannot know
 * drawn at random:
 *   0  ICMP port unreachable quoting an empty probe: random IP id and checksum
 *   1  the same with the UDP checksum computed for the guessed source port
 *   2  the same with only the 8-byte UDP header quoted (RFC 792's minimum)
 *   3  a quote of a payload probe with portscope's old fixed token (0x7073)
 *   4  ICMP admin-prohibited (filtered) quoting an empty probe
 *   5  a UDP datagram from a probed port, empty
 *   6  a UDP datagram from a probed port answering a DNS query with the old token
 * Prints "SENT n SECONDS t" at the end. Exit status 0, 2 on bad arguments, 3
 * when the raw socket cannot be opened or sending fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH    64
#define PKT_MAX  128
#define VARIANTS 7

struct range {
	uint16_t lo, hi;
};

struct ranges {
	struct range r[32];
	size_t n;
	uint64_t total; /* ports over all ranges */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: fast, and good enough to look random to the scanner */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int parse_ranges(const char *s, struct ranges *out)
{
	char *copy = strdup(s), *save = NULL;

	out->n = 0;
	out->total = 0;
	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long lo, hi;
		char *end;

		if (out->n == sizeof(out->r) / sizeof(out->r[0]))
			goto bad;
		lo = strtoul(tok, &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end || lo < 1 || hi > 65535 || lo > hi)
			goto bad;
		out->r[out->n++] = (struct range){(uint16_t)lo, (uint16_t)hi};
		out->total += hi - lo + 1;
	}
	free(copy);
	return out->n ? 0 : -1;
bad:
	free(copy);
	return -1;
}

static uint16_t pick(const struct ranges *rs)
{
	uint64_t k = rng() % rs->total;

	for (size_t i = 0; i < rs->n; i++) {
		uint64_t w = (uint64_t)(rs->r[i].hi - rs->r[i].lo) + 1;

		if (k < w)
			return (uint16_t)(rs->r[i].lo + k);
		k -= w;
	}
	return rs->r[0].lo;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void ip_header(uint8_t *p, size_t total, uint8_t proto, uint16_t id, struct in_addr src,
                      struct in_addr dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)total);
	put16(p + 4, id);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	put16(p + 10, fold(sum16(p, 20, 0)));
}

/* A UDP header (and payload) from src:sport to dst:dport with a correct checksum. */
static size_t udp_segment(uint8_t *u, struct in_addr src, struct in_addr dst, uint16_t sport,
                          uint16_t dport, const uint8_t *pl, size_t plen)
{
	uint32_t sum;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0);
	if (plen)
		memcpy(u + 8, pl, plen); /* pl may be NULL when empty */
	sum = sum16((const uint8_t *)&src, 4, 0);
	sum = sum16((const uint8_t *)&dst, 4, sum);
	sum += 17 + (uint32_t)(8 + plen);
	sum = sum16(u, 8 + plen, sum);
	put16(u + 6, fold(sum) ? fold(sum) : 0xffff);
	return 8 + plen;
}

/* portscope's DNS probe before per-probe tokens, and an answer to it. */
static const uint8_t dns_query[] = {0x70, 0x73, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
static const uint8_t dns_answer[] = {0x70, 0x73, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};

/* Builds forged packet number i into p; returns its length. */
static size_t forge(uint8_t *p, unsigned variant, struct in_addr target, struct in_addr scanner,
                    const struct ranges *ports, const struct ranges *sports)
{
	uint16_t tport = pick(ports), sport = pick(sports);
	uint8_t *icmp = p + 20, *inner = icmp + 8, *iu = inner + 20;
	size_t qlen, total;

	if (variant >= 5) {
		const uint8_t *pl = variant == 6 ? dns_answer : NULL;
		size_t plen = variant == 6 ? sizeof(dns_answer) : 0;
		size_t n = udp_segment(p + 20, target, scanner, tport, sport, pl, plen);

		ip_header(p, 20 + n, IPPROTO_UDP, (uint16_t)rng(), target, scanner);
		return 20 + n;
	}
	/* The quoted probe: scanner:sport -> target:tport. */
	if (variant == 3) {
		qlen = udp_segment(iu, scanner, target, sport, tport, dns_query, sizeof(dns_query));
	} else {
		qlen = udp_segment(iu, scanner, target, sport, tport, NULL, 0);
		if (variant == 0 || variant == 4)
			put16(iu + 6, (uint16_t)rng());
	}
	ip_header(inner, 20 + qlen, IPPROTO_UDP, (uint16_t)rng(), scanner, target);
	if (variant == 2)
		qlen = 8;
	total = 20 + 8 + 20 + qlen;
	memset(icmp, 0, 8);
	icmp[0] = 3;                     /* destination unreachable */
	icmp[1] = variant == 4 ? 13 : 3; /* admin prohibited : port unreachable */
	put16(icmp + 2, fold(sum16(icmp, 8 + 20 + qlen, 0)));
	ip_header(p, total, IPPROTO_ICMP, (uint16_t)rng(), target, scanner);
	return total;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int lab_addr(const char *s, struct in_addr *a)
{
	uint32_t h;

	if (inet_pton(AF_INET, s, a) != 1)
		return -1;
	h = ntohl(a->s_addr);
	return (h & 0xfffe0000u) == 0xc6120000u ? 0 : -1; /* 198.18.0.0/15 */
}

int main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct in_addr targets[8], scanner;
	size_t ntargets = 0;
	char *srcs, *ssave = NULL;
	struct ranges ports, sports[4];
	size_t ngroups = 0;
	char *groups, *gsave = NULL;
	double rate, seconds, start, end;
	uint64_t sent = 0;
	unsigned variant = 0;
	int fd, one = 1;

	srcs = argc == 7 ? strdup(argv[1]) : NULL;
	for (char *a = srcs ? strtok_r(srcs, ",", &ssave) : NULL; a && ntargets < 8;
	     a = strtok_r(NULL, ",", &ssave))
		if (lab_addr(a, &targets[ntargets++]) < 0)
			ntargets = 9;
	free(srcs);
	groups = argc == 7 ? strdup(argv[4]) : NULL;
	for (char *g = groups ? strtok_r(groups, "/", &gsave) : NULL; g && ngroups < 4;
	     g = strtok_r(NULL, "/", &gsave))
		if (parse_ranges(g, &sports[ngroups++]) < 0)
			ngroups = 5;
	free(groups);
	if (argc != 7 || ntargets < 1 || ntargets > 8 || lab_addr(argv[2], &scanner) < 0 ||
	    parse_ranges(argv[3], &ports) < 0 || ngroups < 1 || ngroups > 4) {
		fprintf(stderr, "usage: lab-forge SRC DST PORTS SPORTS RATE SECONDS "
		                "(lab addresses in 198.18.0.0/15)\n");
		return 2;
	}
	rate = strtod(argv[5], NULL);
	seconds = strtod(argv[6], NULL);
	if (!(rate >= 1 && rate <= 1e7) || !(seconds > 0 && seconds <= 600)) {
		fprintf(stderr, "lab-forge: RATE 1..1e7 and SECONDS 0..600\n");
		return 2;
	}
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		rng_state = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("lab-forge: raw socket");
		return 3;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	to.sin_addr = scanner;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	printf("READY\n");
	fflush(stdout);
	start = now_s();
	end = start + seconds;
	while (!stop) {
		double t = now_s();
		int n;

		if (t >= end)
			break;
		/* Paced: never ahead of rate x elapsed. */
		if ((double)sent >= (t - start) * rate) {
			struct timespec ts = {0, (long)(BATCH / rate * 1e9 / 4)};

			nanosleep(&ts, NULL);
			continue;
		}
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_len = forge(bufs[i], variant, targets[rng() % ntargets], scanner,
			                       &ports, &sports[rng() % ngroups]);
			variant = (variant + 1) % VARIANTS;
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			perror("lab-forge: sendmmsg");
			return 3;
		}
		sent += n > 0 ? (uint64_t)n : 0;
	}
	printf("SENT %llu SECONDS %.3f\n", (unsigned long long)sent, now_s() - start);
	return 0;
}
