/*
 * The live ruleset where there is no nftables (the Windows build): nothing to
 * read, and the reason why, so that the callers' columns say "not read".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firewall/firewall.h"

int fw_ruleset_read(int nsfd, struct fw_ruleset **out, char *why, size_t whylen)
{
	(void)nsfd;
	*out = NULL;
	snprintf(why, whylen, "nftables rulesets exist only on Linux");
	return -ENOTSUP;
}

int fw_env_read(int nsfd, struct fw_env *env, char *why, size_t whylen)
{
	(void)nsfd;
	memset(env, 0, sizeof(*env));
	snprintf(why, whylen, "nftables rulesets exist only on Linux");
	return -ENOTSUP;
}
