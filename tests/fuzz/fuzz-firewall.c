/*
 * libFuzzer harness: the nftables JSON ruleset reader and the evaluator on
 * arbitrary input, and the iptables-nft (xt) blob decoders on arbitrary bytes.
 * Whatever the input, unknown expressions give "unknown", never a crash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/firewall.h"
#include "firewall/fw-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_iface ifaces[] = {
    {.name = "lo", .index = 1, .up = true, .loopback = true},
    {.name = "veth0", .index = 2, .up = true, .route_localnet = true},
};
static struct fw_addr addrs[] = {
    {.family = 4, .addr = {198, 18, 0, 2}, .ifname = "veth0"},
    {.family = 6, .addr = {0xfd, 0, 0x5c, 0x09, [15] = 2}, .ifname = "veth0"},
};
static struct fw_route routes[] = {
    {.family = 4, .type = 1, .addr = {198, 18, 0, 0}, .plen = 24, .oifname = "veth0"},
    {.family = 4, .type = 1, .addr = {0}, .plen = 0, .oifname = "veth0"},
    {.family = 6, .type = 1, .addr = {0xfd, 0, 0x5c, 0x09}, .plen = 64, .oifname = "veth0"},
};
static const struct fw_env env = {.ifaces = ifaces,
                                  .nifaces = 2,
                                  .addrs = addrs,
                                  .naddrs = 2,
                                  .routes = routes,
                                  .nroutes = 3,
                                  .forward4 = true,
                                  .forward6 = true};

static void check(const struct fw_outcome *o, int n)
{
	char buf[512];

	if (n < 1 || n > FW_MAX_OUTCOMES)
		abort();
	for (int i = 0; i < n; i++) {
		if (o[i].result > FW_UNKNOWN || o[i].nsrc > 8)
			abort();
		fw_ref_format(&o[i].by, buf, sizeof(buf));
		if (o[i].by.rule && !o[i].by.rule->text)
			abort();
	}
}

static void fuzz_xt(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"comment",  "state",    "conntrack", "multiport",
	                                    "tcp",      "udp",      "addrtype",  "mark",
	                                    "pkttype",  "rpfilter", "REJECT",    "DNAT",
	                                    "REDIRECT", "SNAT",     "LOG",       "NOTRACK"};
	struct fw_item items[8];
	struct fw_xt xt;
	uint8_t *copy;
	size_t n = 0;

	if (size < 3)
		return;
	memset(&xt, 0, sizeof(xt));
	xt.target = data[1] >= 10 * 16;
	snprintf(xt.name, sizeof(xt.name), "%s", names[data[1] % 16]);
	xt.rev = data[2] % 4;
	/* a copy of exactly the rest, so reads past it are caught */
	copy = malloc(size - 3 ? size - 3 : 1);
	if (!copy)
		return;
	memcpy(copy, data + 3, size - 3);
	xt.info = copy;
	xt.len = size - 3;
	if (fw_xt_decode(&xt, data[2] & 4 ? 6 : 4, items, 8, &n) == 0)
		for (size_t i = 0; i < n; i++)
			fw_item_release(&items[i]);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_ruleset *rs = NULL;
	struct fw_outcome out[FW_MAX_OUTCOMES];
	char why[256];

	if (size && data[0] == 'X') {
		fuzz_xt(data, size);
		return 0;
	}
	if (fw_ruleset_parse((const char *)data, size, &rs, why, sizeof(why)) != 0)
		return 0;
	for (unsigned i = 0; i < 6; i++) {
		static const uint16_t ports[] = {22, 80, 8080, 53, 1, 65535};
		struct fw_query q = {.family = i & 1 ? 6 : 4,
		                     .proto = i & 2 ? IPPROTO_UDP : IPPROTO_TCP,
		                     .dport = ports[i],
		                     .iifname = i == 5 ? "lo" : "veth0"};

		memcpy(q.daddr, q.family == 6 ? addrs[1].addr : addrs[0].addr, 16);
		check(out, fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES));
	}
	fw_ruleset_free(rs);
	return 0;
}
