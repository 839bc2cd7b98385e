/*
 * The Windows Firewall's verdict on an inbound connection to a local port,
 * from its profiles and rules as INetFwPolicy2 gives them (firewall-windows.c
 * reads them through COM; this part is pure, and unit-tested on Linux too).
 *
 * Per active profile, Windows' order: the firewall off → accepted; "block all
 * inbound" on → blocked; an enabled inbound Block rule matching the protocol,
 * the port, the profile and the program → blocked; else such an Allow rule →
 * accepted; else the profile's default inbound action. A rule whose condition
 * cannot be decided here (a port keyword such as RPC, a service, an interface
 * or local-address list, a program when the owner is unknown) gives unknown
 * when it could change that outcome, never a guess. With several active
 * profiles (one per network), accepted in one is accepted.
 *
 * Example: Public active, default inbound Block, rules {Allow "Web" TCP 80,443
 * Public; Block "No 8080" TCP 8080 any}: TCP 443 → accepted by rule "Web";
 * TCP 8080 → blocked by "No 8080"; TCP 22 → blocked by the default.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WINFW_PROFILE_DOMAIN  1 /* NET_FW_PROFILE2_DOMAIN */
#define WINFW_PROFILE_PRIVATE 2
#define WINFW_PROFILE_PUBLIC  4
#define WINFW_PROTO_ANY       256 /* NET_FW_IP_PROTOCOL_ANY */

/* One rule, with the fields INetFwRule gives (strings in UTF-8). */
struct winfw_rule {
	char name[128];
	bool enabled;
	bool inbound;           /* NET_FW_RULE_DIR_IN */
	bool allow;             /* NET_FW_ACTION_ALLOW; else block */
	int protocol;           /* 6, 17, WINFW_PROTO_ANY, or another IP protocol */
	char local_ports[256];  /* "*", "" (any) or "80,443,5000-5010,RPC" */
	char remote_addrs[256]; /* "*" or "" (any), else the sources it applies to */
	long profiles;          /* WINFW_PROFILE_* bits (0x7fffffff: all) */
	char app[260];          /* the program's full path (environment expanded), "" any */
	char service[64];       /* the service it applies to, "" any, "*" any service */
	char other[96]; /* a condition not evaluated here ("local addresses 10.0.0.5"), "" none */
};

struct winfw_profile {
	bool enabled;      /* FirewallEnabled */
	bool block_all;    /* BlockAllInboundTraffic */
	bool default_deny; /* DefaultInboundAction is NET_FW_ACTION_BLOCK */
};

struct winfw_policy {
	long current;                 /* CurrentProfileTypes: WINFW_PROFILE_* bits */
	struct winfw_profile prof[3]; /* domain, private, public */
	const struct winfw_rule *rules;
	size_t nrules;
};

/* The connection asked about. */
struct winfw_query {
	int proto; /* 6 or 17 */
	uint16_t port;
	const char *app;      /* the owner's full image path; NULL: unknown */
	const char *services; /* the owner's services, comma-separated ("" none); NULL: unknown */
};

enum winfw_result { WINFW_ACCEPTED, WINFW_BLOCKED, WINFW_UNKNOWN };

struct winfw_verdict {
	enum winfw_result result;
	char by[320];      /* the rule or setting that decided, or why unknown */
	bool restricted;   /* accepted from some sources only (sources) */
	char sources[256]; /* "any", or the deciding rule's remote addresses */
};

/* The verdict on q under p. Returns 0, or -EINVAL (no active profile, bad proto). */
int winfw_eval(const struct winfw_policy *p, const struct winfw_query *q, struct winfw_verdict *v);

/* "Domain", "Private", "Public" joined by ',' for WINFW_PROFILE_* bits, into buf. */
const char *winfw_profiles_name(long profiles, char *buf, size_t len);
