/* Quiz questions from the knowledge base (see quiz.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "knowledge/portclass.h"
#include "knowledge/risk.h"
#include "quiz/quiz.h"
#include "util/array.h"

static const char *const quiz_kind_names[] = {
    [QUIZ_PORT_SERVICE] = "port-service",
    [QUIZ_SERVICE_PORT] = "service-port",
    [QUIZ_RANGE] = "range",
    [QUIZ_TRANSPORT] = "transport",
    [QUIZ_STATE] = "state",
    [QUIZ_RISK] = "risk",
    [QUIZ_TUPLE] = "tuple",
};

const char *quiz_kind_name(int kind)
{
	if (kind < 0 || kind >= QUIZ_KIND_MAX)
		return NULL;
	return quiz_kind_names[kind];
}

/* Ports every administrator meets, with the protocol they are asked about. */
static const struct kb_portproto quiz_ports[] = {
    {21, KB_PROTO_TCP},   {22, KB_PROTO_TCP},   {23, KB_PROTO_TCP},   {25, KB_PROTO_TCP},
    {53, KB_PROTO_UDP},   {67, KB_PROTO_UDP},   {69, KB_PROTO_UDP},   {80, KB_PROTO_TCP},
    {110, KB_PROTO_TCP},  {111, KB_PROTO_TCP},  {123, KB_PROTO_UDP},  {143, KB_PROTO_TCP},
    {161, KB_PROTO_UDP},  {389, KB_PROTO_TCP},  {443, KB_PROTO_TCP},  {445, KB_PROTO_TCP},
    {514, KB_PROTO_UDP},  {587, KB_PROTO_TCP},  {636, KB_PROTO_TCP},  {993, KB_PROTO_TCP},
    {995, KB_PROTO_TCP},  {1433, KB_PROTO_TCP}, {3306, KB_PROTO_TCP}, {3389, KB_PROTO_TCP},
    {5432, KB_PROTO_TCP}, {5900, KB_PROTO_TCP}, {6379, KB_PROTO_TCP}, {11211, KB_PROTO_TCP},
};
#define QUIZ_NPORTS (ARRAY_SIZE(quiz_ports))

/* splitmix64: small, seedable, good enough to pick questions. */
struct quiz_rng {
	uint64_t s;
};

static uint64_t rng_next(struct quiz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static unsigned rng_below(struct quiz_rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

static const char *proto_upper(int proto)
{
	return proto == KB_PROTO_UDP ? "UDP" : proto == KB_PROTO_SCTP ? "SCTP" : "TCP";
}

/*
 * Places the right option (options[0] on entry) and the wrong ones in a random
 * order; sets q->answer.
 */
static void quiz_shuffle(struct quiz_rng *r, struct quiz_question *q)
{
	char tmp[QUIZ_TEXT_MAX];
	unsigned right = 0;

	for (unsigned i = q->noptions - 1; i > 0; i--) {
		unsigned j = rng_below(r, i + 1);

		if (i == j)
			continue;
		memcpy(tmp, q->options[i], sizeof(tmp));
		memcpy(q->options[i], q->options[j], sizeof(tmp));
		memcpy(q->options[j], tmp, sizeof(tmp));
		if (right == i)
			right = j;
		else if (right == j)
			right = i;
	}
	q->answer = right;
}

static void quiz_about(struct quiz_question *q, uint16_t port, int proto, const char *service)
{
	q->port = port;
	q->proto = proto;
	snprintf(q->service, sizeof(q->service), "%s", service ? service : "");
}

static bool quiz_has_option(const struct quiz_question *q, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(q->options[i], s) == 0)
			return true;
	return false;
}

/* Whether the service name (or alias) name is registered on port/proto. */
static bool quiz_name_on_port(const struct kb *kb, const char *name, uint16_t port, int proto)
{
	struct kb_portproto pp[64];
	int n = kb_service_ports(kb, name, pp, 64);

	if (n > 64)
		return true; /* too many to check: never offer it as wrong */
	for (int i = 0; i < n; i++)
		if (pp[i].port == port && pp[i].proto == proto)
			return true;
	return false;
}

/* A port of quiz_ports with a name in kb, from a random start; false when none. */
static bool quiz_pick_port(const struct kb *kb, struct quiz_rng *r, size_t *at)
{
	size_t start = rng_below(r, QUIZ_NPORTS);

	for (size_t k = 0; k < QUIZ_NPORTS; k++) {
		size_t i = (start + k) % QUIZ_NPORTS;

		if (kb_service_name(kb, quiz_ports[i].port, (enum kb_proto)quiz_ports[i].proto)) {
			*at = i;
			return true;
		}
	}
	return false;
}

static int quiz_port_service(const struct kb *kb, struct quiz_rng *r, struct quiz_question *q)
{
	size_t at, start;
	const struct kb_portproto *pp;
	const char *right;
	unsigned n = 1;

	if (!kb || !quiz_pick_port(kb, r, &at))
		return -ENOENT;
	pp = &quiz_ports[at];
	right = kb_service_name(kb, pp->port, (enum kb_proto)pp->proto);
	quiz_about(q, pp->port, pp->proto, right);
	snprintf(q->text, sizeof(q->text), "Which service is registered on %s port %u?",
	         proto_upper(pp->proto), pp->port);
	snprintf(q->options[0], QUIZ_TEXT_MAX, "%s", right);
	start = rng_below(r, QUIZ_NPORTS);
	for (size_t k = 0; k < QUIZ_NPORTS && n < QUIZ_MAX_OPTIONS; k++) {
		const struct kb_portproto *o = &quiz_ports[(start + k) % QUIZ_NPORTS];
		const char *name = kb_service_name(kb, o->port, (enum kb_proto)o->proto);

		if (!name || o->port == pp->port || quiz_has_option(q, n, name) ||
		    quiz_name_on_port(kb, name, pp->port, pp->proto))
			continue;
		snprintf(q->options[n++], QUIZ_TEXT_MAX, "%s", name);
	}
	if (n < 3)
		return -ENOENT;
	q->noptions = n;
	snprintf(q->explanation, sizeof(q->explanation),
	         "%u/%s is %s in the services files (see 'portscope info %u').", pp->port,
	         kb_proto_name(pp->proto), right, pp->port);
	quiz_shuffle(r, q);
	return 0;
}

static int quiz_service_port(const struct kb *kb, struct quiz_rng *r, struct quiz_question *q)
{
	size_t at, start;
	const struct kb_portproto *pp;
	const char *name;
	unsigned n = 1;
	char num[16];

	if (!kb || !quiz_pick_port(kb, r, &at))
		return -ENOENT;
	pp = &quiz_ports[at];
	name = kb_service_name(kb, pp->port, (enum kb_proto)pp->proto);
	quiz_about(q, pp->port, pp->proto, name);
	snprintf(q->text, sizeof(q->text), "Which %s port is registered for %s?",
	         proto_upper(pp->proto), name);
	snprintf(q->options[0], QUIZ_TEXT_MAX, "%u", pp->port);
	start = rng_below(r, QUIZ_NPORTS);
	for (size_t k = 0; k < QUIZ_NPORTS && n < QUIZ_MAX_OPTIONS; k++) {
		const struct kb_portproto *o = &quiz_ports[(start + k) % QUIZ_NPORTS];

		snprintf(num, sizeof(num), "%u", o->port);
		if (o->port == pp->port || quiz_has_option(q, n, num) ||
		    quiz_name_on_port(kb, name, o->port, pp->proto))
			continue;
		memcpy(q->options[n++], num, sizeof(num));
	}
	if (n < 3)
		return -ENOENT;
	q->noptions = n;
	snprintf(q->explanation, sizeof(q->explanation),
	         "%s is registered on %u/%s (see 'portscope info %s').", name, pp->port,
	         kb_proto_name(pp->proto), name);
	quiz_shuffle(r, q);
	return 0;
}

static int quiz_range(struct quiz_rng *r, struct quiz_question *q)
{
	int cls = (int)rng_below(r, 3), right = 0;
	uint16_t lo, hi, port;

	kb_portclass_range(cls, &lo, &hi);
	port = (uint16_t)(lo + rng_below(r, (unsigned)(hi - lo) + 1));
	quiz_about(q, port, KB_PROTO_TCP, NULL);
	snprintf(q->text, sizeof(q->text), "Which IANA port range is port %u in?", port);
	q->noptions = 3;
	/* Fixed order (low to high) reads best; the right one is wherever it falls. */
	for (int c = KB_PORT_WELL_KNOWN; c <= KB_PORT_DYNAMIC; c++) {
		uint16_t a, b;

		kb_portclass_range(c, &a, &b);
		snprintf(q->options[c], QUIZ_TEXT_MAX, "%s (%u-%u)", kb_portclass_name(c), a, b);
		if (c == (int)kb_port_class(port))
			right = c;
	}
	q->answer = (unsigned)right;
	snprintf(q->explanation, sizeof(q->explanation),
	         "RFC 6335: well-known 0-1023, registered 1024-49151, dynamic (private, "
	         "ephemeral) 49152-65535; %u is %s.",
	         port, kb_portclass_name(right));
	return 0;
}

static int quiz_transport(const struct kb *kb, struct quiz_rng *r, struct quiz_question *q)
{
	enum kb_source src = kb && kb_has_source(kb, KB_SRC_ETC) ? KB_SRC_ETC : KB_SRC_NMAP;
	size_t start = rng_below(r, QUIZ_NPORTS);

	if (!kb)
		return -ENOENT;
	for (size_t k = 0; k < QUIZ_NPORTS; k++) {
		const struct kb_portproto *pp = &quiz_ports[(start + k) % QUIZ_NPORTS];
		bool has[2] = {false, false};
		const char *name = NULL;

		for (int p = KB_PROTO_TCP; p <= KB_PROTO_UDP; p++) {
			const struct kb_service *sv;
			size_t n = kb_port_services(kb, pp->port, (enum kb_proto)p, &sv);

			for (size_t i = 0; i < n; i++)
				if (sv[i].source == src) {
					has[p] = true;
					if (!name && p == pp->proto)
						name = sv[i].name;
				}
		}
		if (!name)
			continue;
		quiz_about(q, pp->port, pp->proto, name);
		snprintf(q->text, sizeof(q->text),
		         "Over which transport does %s list port %u (%s)?",
		         src == KB_SRC_ETC ? "/etc/services" : "nmap-services", pp->port, name);
		snprintf(q->options[0], QUIZ_TEXT_MAX, "TCP only");
		snprintf(q->options[1], QUIZ_TEXT_MAX, "UDP only");
		snprintf(q->options[2], QUIZ_TEXT_MAX, "both TCP and UDP");
		q->noptions = 3;
		q->answer = has[0] && has[1] ? 2 : has[1] ? 1 : 0;
		snprintf(q->explanation, sizeof(q->explanation),
		         "%s has %s for port %u; a port number names a TCP port and a UDP port "
		         "separately.",
		         src == KB_SRC_ETC ? "/etc/services" : "nmap-services",
		         has[0] && has[1] ? "tcp and udp entries"
		         : has[1]         ? "only a udp entry"
		                          : "only a tcp entry",
		         pp->port);
		return 0;
	}
	return -ENOENT;
}

struct quiz_fixed {
	const char *text;
	const char *right;
	const char *wrong[3];
	const char *explanation;
};

static const struct quiz_fixed quiz_states[] = {
    {"A TCP connect probe completes the handshake (SYN/ACK came back). What state is the port in?",
     "open",
     {"closed", "filtered", "open|filtered"},
     "A completed handshake means a program is listening and accepting: open."},
    {"A TCP probe is answered with a RST (connection refused). What state is the port in?",
     "closed",
     {"open", "filtered", "open|filtered"},
     "The host answered, but nothing listens there: closed (reason conn-refused or reset)."},
    {"A TCP probe gets no answer at all, even after retries. What state is the port in?",
     "filtered",
     {"open", "closed", "unfiltered"},
     "Silence means something (a firewall) dropped the probe: filtered (reason no-response)."},
    {"A TCP probe is answered by an ICMP administratively-prohibited error. What state is the "
     "port in?",
     "filtered",
     {"open", "closed", "open|filtered"},
     "A firewall rejected the probe with ICMP: filtered (reason admin-prohibited)."},
    {"A UDP probe gets no answer at all. What state is the port in?",
     "open|filtered",
     {"open", "closed", "unfiltered"},
     "UDP services often stay silent, and so do firewalls: the scan cannot tell them apart."},
    {"A UDP probe is answered by an ICMP port-unreachable. What state is the port in?",
     "closed",
     {"open", "filtered", "open|filtered"},
     "ICMP port unreachable (type 3 code 3) is how a host says nothing listens on a UDP port."},
};

static const struct quiz_fixed quiz_tuples[] = {
    {"What does the 4-tuple (source address, source port, destination address, destination "
     "port) identify?",
     "one connection (for one transport protocol)",
     {"one host", "one listening socket and all its clients", "one network interface"},
     "The kernel finds a TCP connection by its 4-tuple; a listener matches only the local half."},
    {"Two connections from one client to the same server address and port: which part of "
     "their 4-tuples differs?",
     "the source (client) port",
     {"the destination port", "the destination address", "nothing: they share one 4-tuple"},
     "The client's kernel picks a different ephemeral source port for each connection."},
};

static int quiz_fixed(const struct quiz_fixed *tab, size_t n, struct quiz_rng *r,
                      struct quiz_question *q)
{
	const struct quiz_fixed *f = &tab[rng_below(r, (unsigned)n)];

	snprintf(q->text, sizeof(q->text), "%s", f->text);
	snprintf(q->options[0], QUIZ_TEXT_MAX, "%s", f->right);
	for (unsigned i = 0; i < 3; i++)
		snprintf(q->options[i + 1], QUIZ_TEXT_MAX, "%s", f->wrong[i]);
	q->noptions = 4;
	snprintf(q->explanation, sizeof(q->explanation), "%s", f->explanation);
	quiz_shuffle(r, q);
	return 0;
}

static int quiz_risk(struct quiz_rng *r, struct quiz_question *q)
{
	size_t n, start, k;
	const struct kb_risk *t = kb_risk_table(&n), *e = NULL;
	unsigned got = 1;

	/* A high-severity entry, from a random start. */
	start = rng_below(r, (unsigned)n);
	for (k = 0; k < n && !e; k++)
		if (t[(start + k) % n].severity == KB_SEV_HIGH)
			e = &t[(start + k) % n];
	if (!e)
		return -ENOENT;
	quiz_about(q, e->port, e->proto, e->service);
	snprintf(q->text, sizeof(q->text), "Why is an exposed %s (%u/%s) a high risk?", e->service,
	         e->port, kb_proto_name(e->proto));
	snprintf(q->options[0], QUIZ_TEXT_MAX, "%s", e->note);
	start = rng_below(r, (unsigned)n);
	for (k = 0; k < n && got < QUIZ_MAX_OPTIONS; k++) {
		const struct kb_risk *o = &t[(start + k) % n];
		bool same = o->port == e->port || strcmp(o->service, e->service) == 0;

		/* Never another entry of this port or service: it could be true here too. */
		if (same || quiz_has_option(q, got, o->note))
			continue;
		snprintf(q->options[got++], QUIZ_TEXT_MAX, "%s", o->note);
	}
	if (got < 3)
		return -ENOENT;
	q->noptions = got;
	snprintf(q->explanation, sizeof(q->explanation), "%s (%s)", e->recommendation, e->citation);
	quiz_shuffle(r, q);
	return 0;
}

int quiz_generate(const struct kb *kb, uint64_t seed, unsigned index, struct quiz_question *q)
{
	struct quiz_rng order = {.s = seed}, r;
	unsigned kinds[QUIZ_KIND_MAX];

	/* The seed's order of kinds (Fisher-Yates), cycled. */
	for (unsigned i = 0; i < QUIZ_KIND_MAX; i++)
		kinds[i] = i;
	for (unsigned i = QUIZ_KIND_MAX - 1; i > 0; i--) {
		unsigned j = rng_below(&order, i + 1), t = kinds[i];

		kinds[i] = kinds[j];
		kinds[j] = t;
	}
	r.s = seed ^ (0xd1b54a32d192ed03ULL * ((uint64_t)index + 1));
	rng_next(&r);
	for (unsigned k = 0; k < QUIZ_KIND_MAX; k++) {
		enum quiz_kind kind = (enum quiz_kind)kinds[(index + k) % QUIZ_KIND_MAX];
		int rc;

		memset(q, 0, sizeof(*q));
		q->kind = kind;
		switch (kind) {
		case QUIZ_PORT_SERVICE:
			rc = quiz_port_service(kb, &r, q);
			break;
		case QUIZ_SERVICE_PORT:
			rc = quiz_service_port(kb, &r, q);
			break;
		case QUIZ_RANGE:
			rc = quiz_range(&r, q);
			break;
		case QUIZ_TRANSPORT:
			rc = quiz_transport(kb, &r, q);
			break;
		case QUIZ_STATE:
			rc = quiz_fixed(quiz_states, ARRAY_SIZE(quiz_states), &r, q);
			break;
		case QUIZ_RISK:
			rc = quiz_risk(&r, q);
			break;
		case QUIZ_TUPLE:
			rc = quiz_fixed(quiz_tuples, ARRAY_SIZE(quiz_tuples), &r, q);
			break;
		default:
			rc = -ENOENT;
			break;
		}
		if (rc == 0)
			return 0;
	}
	return -ENOENT;
}

int quiz_parse_answer(const char *s, size_t len, unsigned noptions)
{
	size_t a = 0, b = len;
	unsigned v;

	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	if (b - a == 1 && (s[a] == 'q' || s[a] == 'Q'))
		return -ECANCELED;
	if (b - a == 4 && strncasecmp(s + a, "quit", 4) == 0)
		return -ECANCELED;
	if (b - a == 1 && isalpha((unsigned char)s[a])) {
		v = (unsigned)(tolower((unsigned char)s[a]) - 'a');
		return v < noptions ? (int)v : -EINVAL;
	}
	if (b - a == 1 && s[a] >= '1' && s[a] <= '9') {
		v = (unsigned)(s[a] - '1');
		return v < noptions ? (int)v : -EINVAL;
	}
	return -EINVAL;
}
