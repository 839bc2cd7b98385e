/*
 * The live firewall: the whole nftables ruleset (every family and table,
 * including the ones iptables-nft writes for ufw, firewalld and Docker), read
 * through libnftables in its JSON form, compiled into a compact model, and an
 * evaluator of the path a NEW connection from outside takes through it:
 *
 *   ingress → prerouting (filter and nat chains: dnat, redirect)
 *           → routing → input                  (delivered to a local socket)
 *                     → forward → postrouting  (to a container or another host)
 *
 * Reading:
 *
 *   struct fw_ruleset *rs;
 *   char why[256];
 *   int rc = fw_ruleset_read(-1, &rs, why, sizeof(why));   // or a namespace fd
 *   if (rc < 0) ... // -EPERM without CAP_NET_ADMIN; why says more
 *   if (rs->legacy) ... // rules in legacy xtables: not evaluated (rs->legacy says where)
 *
 * or, from `nft -j list ruleset` output (a file, a fixture, `policy import`):
 *
 *   rc = fw_ruleset_parse(json, len, &rs, why, sizeof(why));
 *
 * Walking the model (what `policy import` needs): every table, its chains in
 * the order nft lists them, each chain's rules in order, each rule's items in
 * order. A worked example: the ruleset
 *
 *   table inet filter {
 *     chain input { type filter hook input priority 0; policy drop;
 *       iif "lo" accept                                  # handle 4
 *       ip saddr 198.18.0.5 tcp dport 22 accept          # handle 5
 *       tcp dport { 80, 443 } accept }                   # handle 6
 *   }
 *
 * reads as rs->tables[0] = {family FW_FAM_INET, name "filter"}, its chain
 * chains[0] = {name "input", base true, hook FW_HOOK_INPUT, prio 0,
 * policy FW_VERDICT_DROP}, and rules[1] (handle 5) holds three items:
 *
 *   items[0] FW_ITEM_MATCH  match.ncomp 1, comp[0].field FW_F_SADDR,
 *            op FW_OP_EQ, set: one element [198.18.0.5, 198.18.0.5]
 *   items[1] FW_ITEM_MATCH  comp[0].field FW_F_DPORT, comp[0].l4 IPPROTO_TCP,
 *            set: one element [0x0016, 0x0016] (values big-endian bytes)
 *   items[2] FW_ITEM_VERDICT verdict FW_VERDICT_ACCEPT
 *
 * and rules[1].text is "ip saddr 198.18.0.5 tcp dport 22 accept". Matches on
 * sets (named: match.set->name "allowed"; anonymous: name NULL) hold sorted
 * elements; each element is one interval per component ("198.18.0.0/24" is
 * [198.18.0.0, 198.18.0.255], "veth*" is ["veth", "veth\xff..."]).
 * Expressions the model cannot represent are kept as FW_ITEM_UNKNOWN_COND
 * (a condition of unknown truth) or FW_ITEM_UNKNOWN_STMT (a statement of
 * unknown effect), each with its reason in .why: they are never dropped.
 *
 * Evaluating: fill a struct fw_env (the host's interfaces, addresses, routes
 * and sysctls; fw_env_read() reads them from a live namespace) and a
 * struct fw_query (family, protocol, destination, arrival interface), then
 *
 *   struct fw_outcome out[FW_MAX_OUTCOMES];
 *   int n = fw_eval(rs, env, &q, out, FW_MAX_OUTCOMES);
 *
 * returns the outcomes, each for a set of source addresses (all non-loopback
 * sources unless a rule restricts them): accepted, dropped, rejected or
 * unknown, with the table, chain, rule handle and text that decided, and for
 * a dnat or redirect the new destination and the rule that made it.
 *
 * Library code: never prints, returns negative errno with a reason in why.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_KEY_MAX      64 /* bytes of one (possibly concatenated) key */
#define FW_COMP_MAX     6  /* components of a concatenation */
#define FW_IFNAMSIZ     16 /* interface names, as the kernel's IFNAMSIZ */
#define FW_MAX_OUTCOMES 32

typedef unsigned __int128 fw_u128;

enum fw_family {
	FW_FAM_UNKNOWN,
	FW_FAM_INET,
	FW_FAM_IP,
	FW_FAM_IP6,
	FW_FAM_ARP,
	FW_FAM_BRIDGE,
	FW_FAM_NETDEV,
};

enum fw_hook {
	FW_HOOK_NONE, /* a regular (non-base) chain */
	FW_HOOK_INGRESS,
	FW_HOOK_PREROUTING,
	FW_HOOK_INPUT,
	FW_HOOK_FORWARD,
	FW_HOOK_OUTPUT,
	FW_HOOK_POSTROUTING,
	FW_HOOK_OTHER, /* egress, arp's hooks, ... */
};

enum fw_chain_type {
	FW_CHAIN_FILTER,
	FW_CHAIN_NAT,
	FW_CHAIN_ROUTE,
};

enum fw_verdict {
	FW_VERDICT_NONE, /* no verdict (continue with the next rule) */
	FW_VERDICT_ACCEPT,
	FW_VERDICT_DROP,
	FW_VERDICT_REJECT,
	FW_VERDICT_JUMP,
	FW_VERDICT_GOTO,
	FW_VERDICT_RETURN,
	FW_VERDICT_CONTINUE,
	FW_VERDICT_QUEUE, /* to user space: unknown to us */
};

/* How a reject answers (nmap reads tcp reset as closed, icmp as filtered for TCP). */
enum fw_reject {
	FW_REJECT_DEFAULT, /* no type given: icmp(x) port-unreachable */
	FW_REJECT_TCP_RST, /* with tcp reset */
	FW_REJECT_ICMP,    /* with icmp / icmpv6 / icmpx CODE */
};

/* What a match component reads from the packet or its connection. */
enum fw_field {
	FW_F_NONE,
	FW_F_IIFNAME,   /* meta iifname, and iif by name (16 bytes, zero-padded) */
	FW_F_OIFNAME,   /* meta oifname, and oif by name */
	FW_F_L4PROTO,   /* meta l4proto, ip protocol, ip6 nexthdr (1 byte) */
	FW_F_NFPROTO,   /* meta nfproto: 2 ipv4, 10 ipv6 (1 byte) */
	FW_F_ETHERTYPE, /* meta protocol: 0x0800, 0x86dd (2 bytes) */
	FW_F_MARK,      /* meta mark (4 bytes) */
	FW_F_PKTTYPE,   /* meta pkttype: 0 host, 1 broadcast, 2 multicast (1 byte) */
	FW_F_SADDR,     /* ip/ip6 saddr (4 or 16 bytes: width says) */
	FW_F_DADDR,
	FW_F_SPORT, /* tcp/udp/th sport (2 bytes); comp.l4 names the header */
	FW_F_DPORT,
	FW_F_TCPFLAGS,  /* 1 byte: fin 1 syn 2 rst 4 psh 8 ack 16 urg 32 ecn 64 cwr 128 */
	FW_F_CTSTATE,   /* 4 bytes: invalid 1 established 2 related 4 new 8 untracked 64 */
	FW_F_CTSTATUS,  /* 4 bytes: snat 16 dnat 32 (IPS_*) */
	FW_F_CTDIR,     /* 1 byte: original 0, reply 1 */
	FW_F_CTMARK,    /* 4 bytes */
	FW_F_CT_ODADDR, /* ct original daddr: the destination before nat */
	FW_F_CT_ODPORT, /* ct original proto-dst */
	FW_F_FIBTYPE,   /* fib daddr type: RTN_* (1 byte); comp.fib_iif for "daddr . iif" */
	FW_F_FIBOIF,    /* fib saddr|daddr [. iif] oif: 1 byte, 1 exists / 0 missing */
	FW_F_ICMPTYPE,  /* icmp type / icmpv6 type (1 byte); comp.l4 1 or 58 */
	FW_F_HOPLIMIT,  /* ip ttl / ip6 hoplimit (1 byte): known for neighbor discovery only */
};

enum fw_op {
	FW_OP_EQ,
	FW_OP_NE,
	FW_OP_IN,     /* flags: (value & set) != 0 */
	FW_OP_NOT_IN, /* flags: (value & set) == 0 */
	FW_OP_LT,
	FW_OP_GT,
	FW_OP_LE,
	FW_OP_GE,
};

struct fw_comp {
	enum fw_field field;
	uint8_t width;  /* bytes */
	uint8_t l4;     /* ports: IPPROTO_TCP, IPPROTO_UDP, or 0 for th */
	uint8_t family; /* addresses: 4 or 6 */
	bool fib_saddr; /* fib: reads saddr (else daddr) */
	bool fib_iif;   /* fib: ". iif" in the key */
};

/* One set element: an interval per component, laid out like the key. */
struct fw_elem {
	uint8_t lo[FW_KEY_MAX];
	uint8_t hi[FW_KEY_MAX];
	bool catchall; /* the "*" element of a map */
	uint32_t data; /* maps: index into the set's values (verdicts or nat data) */
};

/* What a map holds per element. */
enum fw_map_kind {
	FW_MAP_NONE,    /* a plain set */
	FW_MAP_VERDICT, /* vmap */
	FW_MAP_VALUE,   /* addresses, ports, marks: the data type's bytes */
};

struct fw_mapval {
	enum fw_verdict verdict; /* FW_MAP_VERDICT */
	uint32_t target;         /* jump/goto: chain index in the table */
	uint8_t v[FW_KEY_MAX];   /* FW_MAP_VALUE: bytes (a concat of the data's types) */
	uint8_t vlen;
};

struct fw_set {
	char *name; /* named set or map; NULL for an anonymous one */
	unsigned ncomp;
	struct fw_comp comp[FW_COMP_MAX];
	unsigned keylen; /* sum of comp widths */
	struct fw_elem *elems;
	size_t nelems;
	bool single_sorted; /* one component: elems sorted by lo, disjoint (binary search) */
	enum fw_map_kind kind;
	struct fw_mapval *vals;
	size_t nvals;
	unsigned ndata;                   /* FW_MAP_VALUE: components of the data */
	struct fw_comp data[FW_COMP_MAX]; /* their types */
	char *why; /* non-NULL: the set could not be read whole, lookups are unknown */
};

struct fw_match {
	enum fw_op op;
	unsigned ncomp;
	struct fw_comp comp[FW_COMP_MAX];
	unsigned keylen;
	bool has_mask; /* key & mask before the compare */
	uint8_t mask[FW_KEY_MAX];
	struct fw_set *set; /* the right side; named sets are shared, anonymous owned */
	bool set_owned;
};

enum fw_nat_kind {
	FW_NAT_DNAT,
	FW_NAT_REDIRECT,
	FW_NAT_SNAT,
	FW_NAT_MASQUERADE,
};

/* Where a dnat sends the connection: constants, or a lookup in a map. */
struct fw_nat {
	enum fw_nat_kind kind;
	uint8_t family; /* 4 or 6; 0: the packet's */
	bool has_addr;
	uint8_t addr[16];
	bool has_port;
	uint16_t port;           /* host order; a range's first port */
	struct fw_match *map;    /* "dnat to KEY map {...}": key comps and the map */
	bool map_addr, map_port; /* which parts the map's data gives */
};

enum fw_item_kind {
	FW_ITEM_MATCH,
	FW_ITEM_VERDICT,
	FW_ITEM_VMAP,
	FW_ITEM_NAT,
	FW_ITEM_MARK_SET,     /* meta mark set CONST */
	FW_ITEM_NOTRACK,      /* ct state becomes untracked, no nat */
	FW_ITEM_NOP,          /* counter, log, comment, dynamic set updates: no effect here */
	FW_ITEM_UNKNOWN_COND, /* a condition we cannot evaluate (limit, quota, xt match) */
	FW_ITEM_UNKNOWN_STMT, /* a statement of unknown effect (xt target, tproxy, fwd) */
};

struct fw_item {
	enum fw_item_kind kind;
	struct fw_match match;   /* MATCH; VMAP: the key and the verdict map */
	enum fw_verdict verdict; /* VERDICT */
	uint32_t target;         /* jump/goto: chain index within the table */
	enum fw_reject reject;   /* VERDICT reject: how */
	uint8_t reject_code;     /* ICMP code (or icmpx's) when FW_REJECT_ICMP */
	uint8_t only_family;     /* 4 or 6: the item applies to that family only (reject icmp) */
	struct fw_nat nat;       /* NAT */
	uint32_t mark;           /* MARK_SET */
	char *why;               /* UNKNOWN_*: what it is ("xt match 'recent'") */
	uint8_t xt_index;        /* an iptables-nft extension: its 1-based place among the rule's */
};

struct fw_rule {
	uint64_t handle;
	char *text; /* nft-like text of the rule */
	struct fw_item *items;
	size_t nitems;
};

struct fw_chain {
	char *name;
	bool base;
	enum fw_hook hook;
	enum fw_chain_type type;
	int prio;
	enum fw_verdict policy; /* ACCEPT or DROP for base chains */
	char *dev;              /* netdev/ingress: the device */
	struct fw_rule *rules;
	size_t nrules;
	struct fw_index *index; /* private: rules by destination port */
};

struct fw_table {
	enum fw_family family;
	char *name;
	struct fw_chain *chains;
	size_t nchains;
	struct fw_set **sets; /* named sets and maps */
	size_t nsets;
};

struct fw_ruleset {
	struct fw_table *tables;
	size_t ntables;
	char *legacy; /* non-NULL: rules live in legacy xtables, this says where; not evaluated */
	struct fw_base *bases; /* private: base chains by hook and priority */
	size_t nbases;
};

/* "inet", "ip", "ip6", ... */
const char *fw_family_name(enum fw_family f);
/* "prerouting", "input", ... */
const char *fw_hook_name(enum fw_hook h);

/*
 * Parses the JSON that `nft -j list ruleset` prints (len bytes, need not be
 * NUL-terminated). Unknown expressions become unknown items, never errors.
 * Returns 0 with *out (free with fw_ruleset_free), -EINVAL for JSON that is
 * not an nftables ruleset (why names the bad part), -ENOMEM.
 */
int fw_ruleset_parse(const char *json, size_t len, struct fw_ruleset **out, char *why,
                     size_t whylen);

/*
 * Reads the live ruleset of the network namespace nsfd (an open
 * /run/netns/NAME or /proc/PID/ns/net; -1: the calling thread's own) through
 * libnftables, and decodes the iptables-nft (xt) expressions nft's JSON leaves
 * opaque. Sets rs->legacy when legacy xtables hold rules. Returns 0 with *out,
 * -EPERM without CAP_NET_ADMIN (or CAP_SYS_ADMIN to enter nsfd), or another
 * negative errno, with a reason in why.
 */
int fw_ruleset_read(int nsfd, struct fw_ruleset **out, char *why, size_t whylen);

void fw_ruleset_free(struct fw_ruleset *rs);

/* The chain of rs that holds rule r, and its table (for reporting). */
const struct fw_chain *fw_rule_chain(const struct fw_ruleset *rs, const struct fw_rule *r,
                                     const struct fw_table **table);

/* ---- the host the packet arrives at ---- */

struct fw_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t plen;
	char ifname[FW_IFNAMSIZ];
};

struct fw_iface {
	char name[FW_IFNAMSIZ];
	uint32_t index;
	bool up;
	bool loopback;
	bool route_localnet; /* net.ipv4.conf.IF.route_localnet (or all) */
};

/* A route of the main table (or local: type local/broadcast). */
struct fw_route {
	uint8_t family;
	uint8_t type; /* RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, RTN_BLACKHOLE, ... */
	uint8_t addr[16];
	uint8_t plen;
	char oifname[FW_IFNAMSIZ];
};

struct fw_env {
	struct fw_iface *ifaces;
	size_t nifaces;
	struct fw_addr *addrs; /* every address of every interface */
	size_t naddrs;
	struct fw_route *routes;
	size_t nroutes;
	bool forward4; /* net.ipv4.ip_forward */
	bool forward6; /* net.ipv6.conf.all.forwarding */
};

/*
 * Reads the interfaces, addresses, routes and sysctls of namespace nsfd (-1:
 * own). Returns 0 or a negative errno with a reason in why.
 */
int fw_env_read(int nsfd, struct fw_env *env, char *why, size_t whylen);
void fw_env_free(struct fw_env *env);

/* ---- evaluation ---- */

struct fw_query {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t daddr[16];
	uint16_t dport;      /* host order */
	uint16_t sport;      /* host order; 0: an ephemeral port (40000) */
	const char *iifname; /* the arrival interface */
	bool have_saddr;     /* one source only; else all non-loopback sources */
	uint8_t saddr[16];
	uint8_t icmp_type; /* proto IPPROTO_ICMP(V6): the message type */
	uint8_t hoplimit;  /* TTL or hop limit when known (255: neighbor discovery), else 0 */
};

enum fw_result {
	FW_ACCEPTED, /* reaches the destination socket (or its absence: closed) */
	FW_DROPPED,
	FW_REJECTED,
	FW_UNKNOWN,
};

/* A rule (or a chain's policy, rule NULL) at some point of the path. */
struct fw_ref {
	const struct fw_table *table;
	const struct fw_chain *chain;
	const struct fw_rule *rule; /* NULL: the chain's policy decided */
};

struct fw_outcome {
	enum fw_result result;
	enum fw_reject reject; /* FW_REJECTED: how */
	uint8_t reject_code;
	struct fw_ref by;  /* what decided (for ACCEPTED: the last explicit accept, if any) */
	enum fw_hook hook; /* where it was decided */
	bool by_route;     /* dropped by routing (no forwarding, martian), not a rule */
	char why[160];     /* UNKNOWN and by_route: the reason */
	/* the sources this outcome holds for: intervals [lo, hi] of the family's addresses */
	size_t nsrc;
	fw_u128 src_lo[8], src_hi[8];
	bool src_more; /* more intervals than fit */
	bool src_all;  /* every non-loopback source */
	/* after nat */
	bool natted;
	struct fw_ref nat_by;
	uint8_t dfamily;
	uint8_t daddr[16];
	uint16_t dport;
	bool local;                /* delivered to this host (input), else forwarded */
	char oifname[FW_IFNAMSIZ]; /* forwarded: the way out */
};

/*
 * Evaluates the path of a NEW connection q through rs on the host env.
 * Fills out[0..n) (at most max) and returns n ≥ 1, one outcome per set of
 * sources that fares alike; or a negative errno (-EINVAL for a bad query).
 */
int fw_eval(const struct fw_ruleset *rs, const struct fw_env *env, const struct fw_query *q,
            struct fw_outcome *out, size_t max);

/* "accepted", "dropped", "rejected", "unknown". */
const char *fw_result_name(enum fw_result r);

/*
 * Writes "inet filter input handle 5: tcp dport 22 accept" (or "inet filter
 * input policy drop") for ref into buf. Returns buf.
 */
char *fw_ref_format(const struct fw_ref *ref, char *buf, size_t len);

/* Interval helpers: address bytes (family 4 or 6) to and from a 128-bit number. */
fw_u128 fw_addr_to_u128(uint8_t family, const uint8_t *addr);
void fw_u128_to_addr(uint8_t family, fw_u128 v, uint8_t *addr);
