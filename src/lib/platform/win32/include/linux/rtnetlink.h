/*
 * The route types of <linux/rtnetlink.h> that the firewall's evaluator names
 * (fib lookups in an nftables ruleset read from a file); values are Linux's ABI.
 */
#pragma once

enum {
	RTN_UNSPEC,
	RTN_UNICAST,
	RTN_LOCAL,
	RTN_BROADCAST,
	RTN_ANYCAST,
	RTN_MULTICAST,
	RTN_BLACKHOLE,
	RTN_UNREACHABLE,
	RTN_PROHIBIT,
	RTN_THROW,
	RTN_NAT,
	RTN_XRESOLVE,
};
