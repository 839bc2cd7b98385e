/*
 * The audit's firewall step on Windows: the live nftables ruleset does not
 * exist there, and the Windows Firewall's rules are not evaluated yet, so the
 * report says so and the scan's exposure stands (see audit-private.h).
 */
#include <stdio.h>

#include "audit/audit-private.h"

int audit_firewall(struct audit_job *j)
{
	snprintf(j->rep->firewall, sizeof(j->rep->firewall),
	         "not evaluated: the Windows Firewall's rules are not read (unknown); "
	         "exposure from a scan of the own addresses");
	return 1;
}
