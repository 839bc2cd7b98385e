/*
 * libFuzzer harness: policy import on arbitrary nftables JSON. Whatever the
 * ruleset, the import is a policy the parser takes whole (no syntax error),
 * and its verdicts agree with the evaluator's for a few connections.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/firewall.h"
#include "policy/import.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fw_iface ifaces[] = {
    {.name = "lo", .index = 1, .up = true, .loopback = true},
    {.name = "veth0", .index = 2, .up = true},
};
static struct fw_addr addrs[] = {
    {.family = 4, .addr = {198, 18, 0, 2}, .ifname = "veth0"},
    {.family = 6, .addr = {0xfd, 0, 0x5c, 0x09, [15] = 2}, .ifname = "veth0"},
};
static struct fw_route routes[] = {
    {.family = 4, .type = 1, .addr = {198, 18, 0, 0}, .plen = 24, .oifname = "veth0"},
    {.family = 6, .type = 1, .addr = {0xfd, 0, 0x5c, 0x09}, .plen = 64, .oifname = "veth0"},
};
static const struct fw_env env = {
    .ifaces = ifaces, .nifaces = 2, .addrs = addrs, .naddrs = 2, .routes = routes, .nroutes = 2};

/* The policy's verdict for a connection equals the evaluator's, unless that one is unknown. */
static void agree(const struct fw_ruleset *rs, const struct policy *p, uint16_t port,
                  const char *from)
{
	struct fw_query q = {.family = 4,
	                     .proto = IPPROTO_TCP,
	                     .dport = port,
	                     .iifname = "veth0",
	                     .have_saddr = true,
	                     .daddr = {198, 18, 0, 2}};
	struct policy_addr a = {.family = AF_INET, .prefix = 32};
	struct fw_outcome out[FW_MAX_OUTCOMES];
	enum fw_result want;
	ssize_t r;

	inet_pton(AF_INET, from, q.saddr);
	memcpy(a.bytes, q.saddr, 4);
	if (fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES) < 1 || out[0].result == FW_UNKNOWN)
		return;
	r = policy_eval(p,
	                &(struct policy_packet){.proto = POLICY_P_TCP, .port = port, .from = &a});
	want = r < 0 || p->rules[r].action == POLICY_DENY ? FW_DROPPED
	       : p->rules[r].action == POLICY_ALLOW       ? FW_ACCEPTED
	                                                  : FW_REJECTED;
	if (want != out[0].result)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_import_stats st;
	struct policy_error errs[2];
	struct fw_ruleset *rs = NULL;
	struct policy p = {0};
	char why[256], *text = NULL;
	size_t len, nerr;

	if (fw_ruleset_parse((const char *)data, size, &rs, why, sizeof(why)) < 0)
		return 0;
	if (policy_import(rs, &env, NULL, &text, &len, &st, why, sizeof(why)) == 0) {
		if (strlen(text) != len)
			abort();
		if (policy_read_buf(text, len, &p, errs, 2, &nerr) != 0)
			abort();       /* every import parses */
		if (st.unknown == 0) { /* where the evaluator cannot tell, the import says so */
			agree(rs, &p, 22, "198.18.0.5");
			agree(rs, &p, 80, "198.18.7.9");
			agree(rs, &p, 2000, "203.0.113.1");
		}
		policy_free(&p);
		free(text);
	}
	fw_ruleset_free(rs);
	return 0;
}
