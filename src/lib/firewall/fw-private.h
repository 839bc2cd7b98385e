/* The firewall module's private parts: shared by the parser, the index and the evaluator. */
#pragma once

#include <jansson.h>

#include "firewall/firewall.h"

/* A base chain in evaluation order: by hook, then priority. */
struct fw_base {
	enum fw_hook hook;
	int prio;
	size_t seq; /* listing order, to keep the sort stable */
	struct fw_table *table;
	struct fw_chain *chain;
};

/*
 * A chain's rules indexed by destination port: the port space is cut into
 * elementary intervals; each holds, in rule order, the rules whose dport
 * constraint covers it. Rules with no (indexable) dport constraint are in
 * every interval. A lookup is a binary search and a walk of one short list.
 */
struct fw_index {
	size_t nseg;
	uint16_t *seg_lo;  /* segment i covers [seg_lo[i], seg_lo[i+1]) (the last to 65535) */
	uint32_t *seg_off; /* segment i's rules: rules[seg_off[i] .. seg_off[i+1]) */
	uint32_t *rules;   /* rule indices, ascending within a segment */
	uint32_t *uncon;   /* rules without a port constraint, ascending */
	size_t nuncon;
};

/* Builds the port index of every chain and the ordered base-chain list. */
int fw_compile(struct fw_ruleset *rs);

/* Frees the compiled parts. */
void fw_compile_free(struct fw_ruleset *rs);

/*
 * Decoders of the iptables-nft (xt) extensions: turn the match or target
 * name, revision and binary info into model items. Returns 0 when decoded
 * (items appended through the callback), -ENOTSUP otherwise.
 */
struct fw_xt {
	bool target; /* a target (else a match) */
	char name[32];
	uint32_t rev;
	const uint8_t *info;
	size_t len;
};
int fw_xt_decode(const struct fw_xt *xt, uint8_t family, struct fw_item *out, size_t max,
                 size_t *n);

/* Per-rule xt info read from the kernel, in expression order; fills the parsed ruleset's xt items.
 */
struct fw_xt_rule {
	uint8_t family; /* NFPROTO_* */
	char table[64];
	char chain[64];
	uint64_t handle;
	struct fw_xt *xt;
	size_t nxt;
};

/* Replaces each rule's unknown xt items by their decoding (from the kernel's dump). */
int fw_xt_apply(struct fw_ruleset *rs, const struct fw_xt_rule *xr, size_t n);

/* Reads the xt expressions of every rule of the current namespace through netlink. */
int fw_xt_dump(struct fw_xt_rule **out, size_t *n);
void fw_xt_free(struct fw_xt_rule *xr, size_t n);

/* Renders a rule's text from its JSON expression list. */
char *fw_rule_render(json_t *expr);

/* Frees one item's owned parts. */
void fw_item_release(struct fw_item *it);

/* The width and parsing of a field. */
unsigned fw_field_width(enum fw_field f, uint8_t family);

/* Compares keys component-wise: whether key lies in e for every component of the set. */
bool fw_elem_contains(const struct fw_set *s, const struct fw_elem *e, const uint8_t *key);
