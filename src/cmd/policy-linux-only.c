/*
 * policy apply and policy import where nftables is not built (Windows): they
 * say so, and what to use instead.
 */
#include "cmd/common.h"
#include "cmd/policy.h"

int policy_cmd_apply(const struct policy_opts *o)
{
	(void)o;
	return cmd_usage("policy", "apply loads nftables and is Linux-only: on Windows run the "
	                           "script of 'policy compile --to windows FILE' as administrator");
}

int policy_cmd_import(const struct policy_opts *o)
{
	(void)o;
	return cmd_usage("policy", "import reads an nftables ruleset and is Linux-only");
}
