/* libFuzzer harness: the policy parser on arbitrary text, then lint, eval and compile. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	if (p.nrules <= 64) { /* the linter compares rules pairwise */
		rc = policy_lint(&p, count, &nfound);
		if (rc < 0 || (size_t)rc != nfound)
			abort();
	}
	(void)policy_eval(&p, &(struct policy_packet){.proto = POLICY_P_TCP, .port = 22});
	if (policy_nft_compile(&p, NULL, &out, &len) == 0) {
		if (strlen(out) != len || flushes(out))
			abort();
		free(out);
	}
	policy_free(&p);
	return 0;
}
