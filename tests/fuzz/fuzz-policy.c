/*
 * libFuzzer harness: the policy parser on arbitrary text (hints and labels
 * included), then lint, eval, the first-match index against eval, and compile.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/index.h"
#include "policy/lint.h"
#include "policy/nft.h"
#include "policy/policy.h"

#define MAX_ERRS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct policy_finding *f, void *ctx)
{
	if (!f->check || !f->message[0])
		abort();
	(*(size_t *)ctx)++;
	return 0;
}

static void check_rule(const struct policy_rule *r)
{
	if (!r->text || !r->text[0] || r->line == 0)
		abort();
	if (r->protos != POLICY_P_TCP && r->protos != POLICY_P_UDP && r->protos != POLICY_P_ANY &&
	    r->protos != POLICY_P_ALL)
		abort();
	if (r->protos == POLICY_P_ALL && r->nports)
		abort();
	for (size_t i = 0; i < r->nports; i++)
		if (r->ports[i].lo == 0 || r->ports[i].lo > r->ports[i].hi)
			abort();
	for (size_t i = 0; i < r->nfrom; i++)
		if (!policy_addr_contains(&r->from[i], &r->from[i]) || /* host bits clear */
		    (r->from[i].family != AF_INET && r->from[i].family != AF_INET6))
			abort();
	if (r->label &&
	    (!r->label[0] || strlen(r->label) > POLICY_LABEL_MAX || strchr(r->label, '"')))
		abort();
	/* a hint follows a port list, and a rule with a hint has a label */
	if (r->hint && (!r->nports || !r->label || !r->hint[0] ||
	                strlen(r->hint) > POLICY_LABEL_MAX || strchr(r->hint, '"')))
		abort();
}

/* The rule eval picks for a packet is one the index says wins, and the index agrees. */
static void check_index(const struct policy *p)
{
	static const uint16_t ports[] = {1, 22, 80, 443, 8080, 65535};
	static const unsigned protos[] = {POLICY_P_TCP, POLICY_P_UDP, POLICY_P_OTHER};
	struct policy_index *ix;

	if (policy_index_build(p, 0, p->nrules, &ix) < 0)
		return;
	for (size_t i = 0; i < p->nrules && i < 8; i++) {
		const struct policy_addr *a = p->rules[i].nfrom ? &p->rules[i].from[0] : NULL;
		struct policy_addr host;
		uint32_t node = IX_NONE;

		if (!a)
			continue;
		host = *a;
		host.prefix = host.family == AF_INET ? 32 : 128;
		for (uint32_t k = 0; k < ix->nnodes; k++) {
			struct policy_addr pa = {.family = ix->node[k].family,
			                         .prefix = ix->node[k].len};
			memcpy(pa.bytes, ix->node[k].addr, 16);
			if (policy_addr_contains(&pa, &host) &&
			    (node == IX_NONE || ix->node[k].depth > ix->node[node].depth))
				node = k;
		}
		if (node == IX_NONE)
			abort();
		for (int pl = 0; pl < IX_PLANES; pl++)
			for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
				uint16_t port = pl == IX_OTHER ? 0 : ports[k];
				ssize_t want = policy_eval(
				    p, &(struct policy_packet){
				           .proto = protos[pl], .port = port, .from = &host});
				uint32_t got = ix_decider(ix, node, pl, port, NULL);
				if (want < 0 ? got != IX_NONE : got != (uint32_t)want)
					abort();
				if (want >= 0 && !ix_rule_wins(ix, (size_t)want))
					abort();
			}
	}
	policy_index_free(ix);
}

/* Whether some line of the script is a flush command (labels may say "flush" in comments). */
static bool flushes(const char *s)
{
	for (const char *l = s; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		while (*l == '\t' || *l == ' ')
			l++;
		if (!strncmp(l, "flush", 5))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_error errs[MAX_ERRS];
	struct policy p = {0};
	size_t nerr = 0, nfound = 0, len;
	char *out = NULL;
	int rc;

	rc = policy_read_buf((const char *)data, size, &p, errs, MAX_ERRS, &nerr);
	if ((rc == 0) != (nerr == 0))
		abort();
	for (size_t i = 0; i < nerr && i < MAX_ERRS; i++)
		if (errs[i].line == 0 || errs[i].col == 0 || !errs[i].msg[0])
			abort(); /* every error says where and what */
	for (size_t i = 0; i < p.nrules; i++)
		check_rule(&p.rules[i]);
	rc = policy_lint(&p, count, &nfound);
	if (rc < 0 || (size_t)rc != nfound)
		abort();
	check_index(&p);
	(void)policy_eval(&p, &(struct policy_packet){.proto = POLICY_P_TCP, .port = 22});
	if (policy_nft_compile(&p, NULL, &out, &len) == 0) {
		if (strlen(out) != len || flushes(out))
			abort();
		free(out);
	}
	policy_free(&p);
	return 0;
}
